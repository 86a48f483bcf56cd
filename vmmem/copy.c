// SPDX-License-Identifier: GPL-2.0-only
/*
 * Byte copies between kernel buffers and guest memory, shaped like
 * copy_{from,to}_user(): they return the number of bytes NOT copied and
 * stop at the first byte that is unmapped or not permitted.
 */
#include <linux/kcsan-checks.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmmem.h"

/*
 * 9 to 64 bytes without a call into memcpy(), which costs as much as the
 * rest of a small copy: the first and the last words, overlapping in the
 * middle (memcpy()'s own tail does the same). All loads come before the
 * stores: with each word stored right after its load, 64-byte copies out
 * of the guest measured 0.7x of memcpy() instead of 1.1x (a load can wait
 * behind an earlier store that looks like the same address, 4 KiB
 * aliasing).
 *
 * The guest and other devices may write guest memory at any time, and a
 * copy promises no atomicity (as copy_from_user() does not): its word
 * accesses race by contract, so KCSAN is told not to report them, as it
 * never checks memcpy(). vmmem's own data stays checked.
 */
static __always_inline void vmmem_copy_small(void *dst, const void *src,
					     size_t len)
{
	u64 a, b, c, d, w, x, y, z;

	kcsan_disable_current();
	if (len > 32) {
		a = get_unaligned((const u64 *)src);
		b = get_unaligned((const u64 *)(src + 8));
		c = get_unaligned((const u64 *)(src + 16));
		d = get_unaligned((const u64 *)(src + 24));
		w = get_unaligned((const u64 *)(src + len - 32));
		x = get_unaligned((const u64 *)(src + len - 24));
		y = get_unaligned((const u64 *)(src + len - 16));
		z = get_unaligned((const u64 *)(src + len - 8));
		put_unaligned(a, (u64 *)dst);
		put_unaligned(b, (u64 *)(dst + 8));
		put_unaligned(c, (u64 *)(dst + 16));
		put_unaligned(d, (u64 *)(dst + 24));
		put_unaligned(w, (u64 *)(dst + len - 32));
		put_unaligned(x, (u64 *)(dst + len - 24));
		put_unaligned(y, (u64 *)(dst + len - 16));
		put_unaligned(z, (u64 *)(dst + len - 8));
	} else if (len > 16) {
		a = get_unaligned((const u64 *)src);
		b = get_unaligned((const u64 *)(src + 8));
		y = get_unaligned((const u64 *)(src + len - 16));
		z = get_unaligned((const u64 *)(src + len - 8));
		put_unaligned(a, (u64 *)dst);
		put_unaligned(b, (u64 *)(dst + 8));
		put_unaligned(y, (u64 *)(dst + len - 16));
		put_unaligned(z, (u64 *)(dst + len - 8));
	} else {
		a = get_unaligned((const u64 *)src);
		z = get_unaligned((const u64 *)(src + len - 8));
		put_unaligned(a, (u64 *)dst);
		put_unaligned(z, (u64 *)(dst + len - 8));
	}
	kcsan_enable_current();
}

/*
 * Copies of 1, 2, 4 or 8 bytes at a naturally aligned guest address are one
 * untorn access, so a device reading a ring index with a plain copy never
 * sees half of a guest vCPU's store. Regions are page-aligned, so the guest
 * address and the kernel address share their alignment.
 */
static __always_inline void vmmem_copy_out(void *dst, const void *src,
					   size_t len)
{
	if (len > sizeof(u64)) {
		if (len <= 64)
			vmmem_copy_small(dst, src, len);
		else
			memcpy(dst, src, len);
		return;
	}
	switch (len) {
	case 1:
		*(u8 *)dst = READ_ONCE(*(const u8 *)src);
		return;
	case 2:
		if (IS_ALIGNED((unsigned long)src, 2)) {
			put_unaligned(READ_ONCE(*(const u16 *)src), (u16 *)dst);
			return;
		}
		break;
	case 4:
		if (IS_ALIGNED((unsigned long)src, 4)) {
			put_unaligned(READ_ONCE(*(const u32 *)src), (u32 *)dst);
			return;
		}
		break;
	case 8:
		if (IS_ALIGNED((unsigned long)src, 8)) {
			put_unaligned(READ_ONCE(*(const u64 *)src), (u64 *)dst);
			return;
		}
		break;
	}
	memcpy(dst, src, len);
}

static __always_inline void vmmem_copy_in(void *dst, const void *src,
					  size_t len)
{
	if (len > sizeof(u64)) {
		if (len <= 64)
			vmmem_copy_small(dst, src, len);
		else
			memcpy(dst, src, len);
		return;
	}
	switch (len) {
	case 1:
		WRITE_ONCE(*(u8 *)dst, *(const u8 *)src);
		return;
	case 2:
		if (IS_ALIGNED((unsigned long)dst, 2)) {
			WRITE_ONCE(*(u16 *)dst, get_unaligned((const u16 *)src));
			return;
		}
		break;
	case 4:
		if (IS_ALIGNED((unsigned long)dst, 4)) {
			WRITE_ONCE(*(u32 *)dst, get_unaligned((const u32 *)src));
			return;
		}
		break;
	case 8:
		if (IS_ALIGNED((unsigned long)dst, 8)) {
			WRITE_ONCE(*(u64 *)dst, get_unaligned((const u64 *)src));
			return;
		}
		break;
	}
	memcpy(dst, src, len);
}

/*
 * copy_mc_to_kernel() behind a KUnit stub: no test can raise a machine
 * check, so the suites replace it to make a copy stop where a poisoned
 * line would.
 */
noinline unsigned long vmmem_copy_mc_to_kernel(void *dst, const void *src,
					       size_t len)
{
	KUNIT_STATIC_STUB_REDIRECT(vmmem_copy_mc_to_kernel, dst, src, len);
	return copy_mc_to_kernel(dst, src, len);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>
EXPORT_SYMBOL_IF_KUNIT(vmmem_copy_mc_to_kernel);
#endif

/*
 * A copy out of a region of a map created with VMMEM_MC_SAFE: a memory
 * error in the source ends the copy instead of the kernel, where the
 * architecture can recover one (copy_mc_to_kernel(); elsewhere it is
 * memcpy()). The untorn 1, 2, 4 and 8-byte copies stay single loads: no
 * machine-check-safe copy promises an untorn access. Returns the number
 * of bytes not copied.
 */
static unsigned long vmmem_copy_out_mc(void *dst, const void *src, size_t len)
{
	if (len > 1 && len <= sizeof(u64) && is_power_of_2(len) &&
	    IS_ALIGNED((unsigned long)src, len)) {
		vmmem_copy_out(dst, src, len);
		return 0;
	}
	return vmmem_copy_mc_to_kernel(dst, src, len);
}

/*
 * Copy @len bytes into @dst from the on-access region @region at @gpa, or
 * with VMMEM_WRITE in @access from @src into it, one page mapping at a
 * time, or by the provider's copy for a short piece; writes mark the pages
 * they wrote. Returns the bytes not copied: from the first page the
 * provider did not map or copy, or (VMMEM_MC_SAFE) the first poisoned
 * byte. Caller holds RCU.
 */
static __always_inline unsigned long
vmmem_copy_mapped(struct vmmem_region *region, u64 gpa, void *dst,
		  const void *src, unsigned long len, unsigned int access)
{
	unsigned long done, n, left = 0;
	struct vmmem_page_map map;
	void *ptr;
	int ret;

	for (done = 0; done < len; done += n, gpa += n) {
		n = min_t(u64, len - done, PAGE_SIZE - (gpa & ~PAGE_MASK));
		if (unlikely(vmmem_copy_op_takes(region, n))) {
			/* The provider only reads what it is given to write. */
			ret = vmmem_copy_op(region, gpa,
					    access & VMMEM_WRITE ?
					    (void *)(src + done) : dst + done,
					    n, access);
			if (!ret) {
				if (access & VMMEM_WRITE)
					vmmem_dirty_note(region, gpa, n);
				continue;
			}
			if (ret != -EOPNOTSUPP)
				return len - done;
		}
		if (vmmem_map_page(region, gpa, access, &map))
			return len - done;
		ptr = map.kaddr + (gpa & ~PAGE_MASK);
		if (access & VMMEM_WRITE)
			vmmem_copy_in(ptr, src + done, n);
		else if (region->flags & VMMEM_REGION_COPY_MC)
			left = vmmem_copy_out_mc(dst + done, ptr, n);
		else
			vmmem_copy_out(dst + done, ptr, n);
		vmmem_unmap_page(region, gpa, &map);
		if (access & VMMEM_WRITE)
			vmmem_dirty_note(region, gpa, n);
		if (left)
			return len - done - (n - left);
	}
	return 0;
}

/**
 * vmmem_copy_from_mapped() - copy out of a region mapped on access
 * @region: the region
 * @gpa: the first guest-physical address, inside @region
 * @dst: the kernel buffer
 * @len: bytes, all inside @region
 *
 * Context: rcu_read_lock() held; any context.
 * Return: the bytes not copied, from the first page the provider did not
 * map or copy (or the first poisoned byte, VMMEM_MC_SAFE).
 */
noinline unsigned long vmmem_copy_from_mapped(struct vmmem_region *region,
					      u64 gpa, void *dst,
					      unsigned long len)
{
	return vmmem_copy_mapped(region, gpa, dst, NULL, len, VMMEM_READ);
}

/**
 * vmmem_copy_to_mapped() - copy into a region mapped on access
 * @region: the region
 * @gpa: the first guest-physical address, inside @region
 * @src: the kernel buffer
 * @len: bytes, all inside @region
 *
 * The pages written are marked dirty.
 *
 * Context: rcu_read_lock() held; any context.
 * Return: the bytes not copied, from the first page the provider did not
 * map writable or copy.
 */
noinline unsigned long vmmem_copy_to_mapped(struct vmmem_region *region,
					    u64 gpa, const void *src,
					    unsigned long len)
{
	return vmmem_copy_mapped(region, gpa, NULL, src, len, VMMEM_WRITE);
}

/*
 * The general copies: piece by piece across adjacent regions (and IOVA
 * entries), to the first unmapped or read-only byte (or, out of the guest,
 * poisoned byte; or a page mapped on access that could not be), with a
 * pause in RCU every VMMEM_RCU_CHUNK bytes. Out of line, so the one-region
 * fast paths below stay small. Caller holds RCU.
 */
static noinline unsigned long vmmem_copy_from_pieces(struct vmmem *vm,
						     void *dst, u64 gpa,
						     unsigned long len)
{
	unsigned long budget = VMMEM_RCU_CHUNK, left;
	struct vmmem_slice_iter iter;
	struct vmmem_miss miss = {};
	struct vmmem_region *region;
	struct vmmem_slice slice;

	__vmmem_slice_iter_init(&iter, vm, gpa, len,
				VMMEM_READ | VMMEM_ACCESS_MAPPING);
	while (vmmem_walk_next(&iter, &slice, &region, VMMEM_RCU_CHUNK,
			       &miss) > 0) {
		if (unlikely(region->flags & (VMMEM_REGION_COPY_MC |
					      VMMEM_REGION_ON_ACCESS))) {
			if (region->flags & VMMEM_REGION_ON_ACCESS)
				left = vmmem_copy_from_mapped(region, slice.gpa,
							      dst, slice.len);
			else
				left = vmmem_copy_out_mc(dst, slice.ptr,
							 slice.len);
			if (left)
				return iter.remaining + left;
		} else {
			vmmem_copy_out(dst, slice.ptr, slice.len);
		}
		dst += slice.len;
		if (iter.remaining && vmmem_rcu_spend(&budget, slice.len))
			vmmem_rcu_pause();
	}
	return iter.remaining;
}

static noinline unsigned long vmmem_copy_to_pieces(struct vmmem *vm, u64 gpa,
						   const void *src,
						   unsigned long len)
{
	unsigned long budget = VMMEM_RCU_CHUNK, left;
	struct vmmem_slice_iter iter;
	struct vmmem_miss miss = {};
	struct vmmem_region *region;
	struct vmmem_slice slice;

	__vmmem_slice_iter_init(&iter, vm, gpa, len,
				VMMEM_WRITE | VMMEM_ACCESS_MAPPING);
	while (vmmem_walk_next(&iter, &slice, &region, VMMEM_RCU_CHUNK,
			       &miss) > 0) {
		if (unlikely(region->flags & VMMEM_REGION_ON_ACCESS)) {
			left = vmmem_copy_to_mapped(region, slice.gpa, src,
						    slice.len);
			if (left)
				return iter.remaining + left;
		} else {
			vmmem_copy_in(slice.wptr, src, slice.len);
			vmmem_dirty_note(region, slice.gpa, slice.len);
		}
		src += slice.len;
		if (iter.remaining && vmmem_rcu_spend(&budget, slice.len))
			vmmem_rcu_pause();
	}
	return iter.remaining;
}

/*
 * True if [@gpa, @gpa + @len) is non-empty, at most VMMEM_RCU_CHUNK long
 * and inside @region, which holds @gpa (@len - 1 wraps for 0). Such a
 * copy ends at or below the region's last byte, so it never wraps past
 * 2^64 - 1. Zero-length and long copies take the general path, which
 * copies and marks nothing for the first and pauses in the second.
 */
static __always_inline bool vmmem_copy_fits(const struct vmmem_region *region,
					    u64 gpa, unsigned long len)
{
	return len - 1 < min_t(u64, region->size - (gpa - region->gpa),
			       VMMEM_RCU_CHUNK);
}

/**
 * vmmem_copy_from_guest() - copy bytes out of guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @dst: kernel destination buffer of at least @len bytes
 * @len: number of bytes
 *
 * The copy crosses adjacent regions and stops at the first unmapped byte
 * (a hole, or past 2^64 - 1); the bytes before it are copied. A copy of
 * 2, 4 or 8 bytes at a naturally aligned address inside one region is one
 * untorn load. A caller that needs all of it or an error writes
 * "if (vmmem_copy_from_guest(...)) return -EFAULT;".
 *
 * In a map created with %VMMEM_MC_SAFE, a hardware memory error in the
 * guest's memory stops the copy where the architecture can recover one
 * (copy_mc_to_kernel()): the bytes from the poisoned one on count as not
 * copied, and the kernel survives. Untorn copies (2, 4 and 8 bytes,
 * aligned) stay single loads and are not covered.
 *
 * Context: Any context; does not sleep (but see vmmem_iova_create() for a
 * space with a miss hook). A copy longer than 1 MiB leaves RCU between
 * chunks, and reschedules there only if called preemptible and outside
 * RCU.
 * Return: the number of bytes not copied, 0 on full success.
 */
unsigned long vmmem_copy_from_guest(union vmmem_space space, u64 gpa, void *dst,
				    unsigned long len)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_region *region;
	unsigned long left = 0;

	rcu_read_lock();
	region = vmmem_lookup(vm, gpa);
	/* Most copies fit in one region: one lookup, one copy. */
	if (likely(region && vmmem_copy_fits(region, gpa, len))) {
		if (likely(!(region->flags & (VMMEM_REGION_COPY_MC |
					      VMMEM_REGION_ON_ACCESS))))
			vmmem_copy_out(dst, vmmem_region_ptr(region, gpa), len);
		else if (likely(!(region->flags & VMMEM_REGION_ON_ACCESS)))
			left = vmmem_copy_out_mc(dst, vmmem_region_ptr(region, gpa),
						 len);
		else
			left = vmmem_copy_from_mapped(region, gpa, dst, len);
	} else {
		left = vmmem_copy_from_pieces(vm, dst, gpa, len);
	}
	rcu_read_unlock();
	vmmem_count(vm, VMMEM_STAT_COPY_FROM_GUEST);
	vmmem_count_add(vm, VMMEM_STAT_BYTES_FROM_GUEST, len - left);
	if (unlikely(left))
		vmmem_walk_fault(vm, gpa, len, len - left, VMMEM_READ, _RET_IP_);
	return left;
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_from_guest, VMMEM_NS);

/**
 * vmmem_copy_to_guest() - copy bytes into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @src: kernel source buffer of at least @len bytes
 * @len: number of bytes
 *
 * The copy crosses adjacent regions and stops at the first byte that is
 * unmapped or read-only; the bytes before it are written and stay written.
 * A copy of 2, 4 or 8 bytes at a naturally aligned address inside one
 * region is one untorn store. While dirty logging is on, the pages written
 * are marked, region by region, after their data.
 *
 * Context: Any context; does not sleep (but see vmmem_iova_create() for a
 * space with a miss hook). A copy longer than 1 MiB leaves RCU between
 * chunks, and reschedules there only if called preemptible and outside
 * RCU.
 * Return: the number of bytes not copied, 0 on full success.
 */
unsigned long vmmem_copy_to_guest(union vmmem_space space, u64 gpa,
				  const void *src, unsigned long len)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_region *region;
	unsigned long left = 0;

	rcu_read_lock();
	region = vmmem_lookup(vm, gpa);
	if (likely(region && vmmem_region_permits(region, VMMEM_WRITE) &&
		   vmmem_copy_fits(region, gpa, len))) {
		vmmem_copy_in(vmmem_region_ptr(region, gpa), src, len);
		vmmem_dirty_note(region, gpa, len);
	} else {
		left = vmmem_copy_to_pieces(vm, gpa, src, len);
	}
	rcu_read_unlock();
	vmmem_count(vm, VMMEM_STAT_COPY_TO_GUEST);
	vmmem_count_add(vm, VMMEM_STAT_BYTES_TO_GUEST, len - left);
	if (unlikely(left))
		vmmem_walk_fault(vm, gpa, len, len - left, VMMEM_WRITE, _RET_IP_);
	return left;
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_to_guest, VMMEM_NS);
