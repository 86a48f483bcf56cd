// SPDX-License-Identifier: GPL-2.0-only
/*
 * Streams: copies between guest memory and any iov_iter (kvec, bvec, user
 * buffers: iov_iter_ubuf() makes one of a user pointer). Kernel iterators are
 * copied under RCU; user iterators (and, before 6.4, pipes) piece by piece
 * through held slices, outside RCU, because their copies may fault or
 * allocate, and sleep. Regions mapped on access are copied page by page,
 * each page mapped around its copy; for user iterators through a bounce
 * page, so that no mapping waits on a user fault.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "vmmem.h"

/*
 * Hold the next per-region piece of [gpa, gpa + len): 1 with @slice held,
 * 0 when @len is 0, -EFAULT at a hole or a forbidden region.
 */
static int vmmem_hold_next(struct vmmem *vm, u64 gpa, u64 len,
			   unsigned int access, struct vmmem_slice *slice)
{
	struct vmmem_slice_iter iter;
	struct vmmem_miss miss = {};
	struct vmmem_region *region;
	int ret;

	__vmmem_slice_iter_init(&iter, vm, gpa, len, access);
	rcu_read_lock();
	ret = vmmem_walk_next(&iter, slice, &region, U64_MAX, &miss);
	if (ret > 0) {
		vmmem_region_get(region);
		slice->region = region;
	}
	rcu_read_unlock();
	return ret;
}

/* _copy_mc_to_iter() behind a KUnit stub, as vmmem_copy_mc_to_kernel(). */
noinline size_t vmmem_copy_mc_to_iter(const void *src, size_t len,
				      struct iov_iter *iter)
{
	KUNIT_STATIC_STUB_REDIRECT(vmmem_copy_mc_to_iter, src, len, iter);
	return _copy_mc_to_iter(src, len, iter);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>
EXPORT_SYMBOL_IF_KUNIT(vmmem_copy_mc_to_iter);
#endif

/*
 * A piece of a region mapped on access, for a kernel iterator: each page
 * mapped, copied and unmapped in turn, under the caller's RCU. Stops at a
 * page the provider does not map, or where @iter stops.
 */
static noinline size_t vmmem_iter_mapped(struct vmmem_region *region, u64 gpa,
					 size_t len, struct iov_iter *iter,
					 bool to_guest)
{
	struct vmmem_page_map map;
	size_t done, n, c;
	void *ptr;

	for (done = 0; done < len; done += n) {
		n = min_t(u64, len - done, PAGE_SIZE - ((gpa + done) & ~PAGE_MASK));
		if (vmmem_map_page(region, gpa + done,
				   to_guest ? VMMEM_WRITE : VMMEM_READ, &map))
			break;
		ptr = map.kaddr + ((gpa + done) & ~PAGE_MASK);
		if (!to_guest && (region->flags & VMMEM_REGION_COPY_MC))
			c = vmmem_copy_mc_to_iter(ptr, n, iter);
		else if (!to_guest)
			c = copy_to_iter(ptr, n, iter);
		else
			c = copy_from_iter(ptr, n, iter);
		vmmem_unmap_page(region, gpa + done, &map);
		if (to_guest && c)
			vmmem_dirty_note(region, gpa + done, c);
		if (c < n)
			return done + c;
	}
	return done;
}

/*
 * A piece of a region mapped on access, held, for an iterator that may
 * fault and sleep: through a bounce page, copied to or from guest memory
 * under RCU, so that no mapping is kept while the user copy waits.
 */
static size_t vmmem_iter_bounce(struct vmmem_region *region, u64 gpa,
				size_t len, struct iov_iter *iter,
				bool to_guest)
{
	void *bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	size_t done = 0, n, c, left;

	if (!bounce)
		return 0;
	while (done < len) {
		n = min_t(size_t, len - done, PAGE_SIZE);
		if (to_guest) {
			c = copy_from_iter(bounce, n, iter);
			rcu_read_lock();
			left = vmmem_copy_to_mapped(region, gpa + done, bounce,
						    c);
			rcu_read_unlock();
			/* What did not reach the guest stays in @iter. */
			iov_iter_revert(iter, left);
			done += c - left;
			if (c < n || left)
				break;
		} else {
			rcu_read_lock();
			left = vmmem_copy_from_mapped(region, gpa + done,
						      bounce, n);
			rcu_read_unlock();
			c = copy_to_iter(bounce, n - left, iter);
			done += c;
			if (left || c < n)
				break;
		}
	}
	kfree(bounce);
	return done;
}

/*
 * Copy one piece; writes into guest memory are dirty-logged, reads out of
 * a VMMEM_MC_SAFE map's regions stop at a poisoned byte.
 */
static size_t vmmem_iter_piece(const struct vmmem_slice *slice,
			       struct vmmem_region *region,
			       struct iov_iter *iter, bool to_guest)
{
	size_t n;

	if (unlikely(region->flags & VMMEM_REGION_ON_ACCESS))
		return vmmem_iter_mapped(region, slice->gpa, slice->len, iter,
					 to_guest);
	if (!to_guest && unlikely(region->flags & VMMEM_REGION_COPY_MC))
		return vmmem_copy_mc_to_iter(slice->ptr, slice->len, iter);
	if (!to_guest)
		return copy_to_iter(slice->ptr, slice->len, iter);
	n = copy_from_iter(slice->wptr, slice->len, iter);
	if (n)
		vmmem_dirty_note(region, slice->gpa, n);
	return n;
}

/*
 * Kernel iterators cannot fault: copy under RCU, without holding, pausing
 * between chunks of a long copy.
 */
static size_t vmmem_iter_copy_rcu(struct vmmem *vm, u64 gpa, size_t len,
				  struct iov_iter *iter, bool to_guest)
{
	unsigned long budget = VMMEM_RCU_CHUNK;
	struct vmmem_slice_iter walk;
	struct vmmem_miss miss = {};
	struct vmmem_region *region;
	struct vmmem_slice slice;
	size_t done = 0, n;

	__vmmem_slice_iter_init(&walk, vm, gpa, len,
				(to_guest ? VMMEM_WRITE : VMMEM_READ) |
				VMMEM_ACCESS_MAPPING);
	rcu_read_lock();
	while (vmmem_walk_next(&walk, &slice, &region, VMMEM_RCU_CHUNK,
			       &miss) > 0) {
		n = vmmem_iter_piece(&slice, region, iter, to_guest);
		done += n;
		if (n < slice.len)
			break;
		if (walk.remaining && vmmem_rcu_spend(&budget, n))
			vmmem_rcu_pause();
	}
	rcu_read_unlock();
	return done;
}

static size_t vmmem_iter_copy_pieces(struct vmmem *vm, u64 gpa, size_t len,
				     struct iov_iter *iter, bool to_guest)
{
	struct vmmem_slice slice;
	size_t done = 0, n;

	if (!vmmem_iter_may_sleep(iter))
		return vmmem_iter_copy_rcu(vm, gpa, len, iter, to_guest);

	/* User memory may fault and sleep: copy each piece through a hold. */
	while (done < len &&
	       vmmem_hold_next(vm, gpa + done, len - done,
			       (to_guest ? VMMEM_WRITE : VMMEM_READ) |
			       VMMEM_ACCESS_MAPPING, &slice) > 0) {
		if (unlikely(slice.region->flags & VMMEM_REGION_ON_ACCESS))
			n = vmmem_iter_bounce(slice.region, slice.gpa, slice.len,
					      iter, to_guest);
		else
			n = vmmem_iter_piece(&slice, slice.region, iter,
					     to_guest);
		/* A reference only: no page of the region was kept for it. */
		vmmem_region_put(slice.region);
		done += n;
		/* The end of the space (IOVAs or guest-physical): no wrap. */
		if (n < slice.len || gpa + (done - 1) == U64_MAX)
			break;
	}
	return done;
}

/* A copy of at most what @iter holds, counted; @ip is the API's caller. */
static __always_inline size_t vmmem_iter_copy(struct vmmem *vm, u64 gpa,
					      size_t len, struct iov_iter *iter,
					      bool to_guest, unsigned long ip)
{
	size_t done;

	len = min(len, iov_iter_count(iter));
	done = vmmem_iter_copy_pieces(vm, gpa, len, iter, to_guest);
	vmmem_count(vm, to_guest ? VMMEM_STAT_COPY_FROM_ITER :
				   VMMEM_STAT_COPY_TO_ITER);
	vmmem_count_add(vm, to_guest ? VMMEM_STAT_BYTES_TO_GUEST :
				       VMMEM_STAT_BYTES_FROM_GUEST, done);
	if (unlikely(done < len))
		vmmem_walk_fault(vm, gpa, len, done,
				 to_guest ? VMMEM_WRITE : VMMEM_READ, ip);
	return done;
}

/**
 * vmmem_copy_to_iter() - copy guest memory into an iov_iter
 * @space: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @iter: the destination; advanced by exactly the bytes copied
 * @len: number of bytes
 *
 * Stops at a hole, past 2^64 - 1, or when @iter is full or faults; in a
 * map created with %VMMEM_MC_SAFE, also at a byte that a hardware memory
 * error has poisoned (_copy_mc_to_iter()); in a region mapped on access,
 * at a page its provider does not map (or, for a user iterator, when no
 * bounce page can be allocated). A caller that needs all of it reverts a
 * short copy with iov_iter_revert().
 *
 * Context: Any context for kernel iterators (kvec, bvec), as
 * vmmem_copy_from_guest(); process context for user iterators, which may
 * fault and sleep.
 * Return: the number of bytes copied.
 */
size_t vmmem_copy_to_iter(union vmmem_space space, u64 gpa, struct iov_iter *iter,
			  size_t len)
{
	return vmmem_iter_copy(vmmem_space_map(space), gpa, len, iter, false,
			       _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_to_iter, VMMEM_NS);

/**
 * vmmem_copy_from_iter() - copy an iov_iter into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @iter: the source; advanced by exactly the bytes copied
 * @len: number of bytes
 *
 * Stops at a hole, a read-only region, past 2^64 - 1, or when @iter is
 * exhausted or faults; in a region mapped on access, at a page its
 * provider does not map writable (or, for a user iterator, when no bounce
 * page can be allocated). The bytes written are dirty-logged.
 *
 * Context: As vmmem_copy_to_iter().
 * Return: the number of bytes copied.
 */
size_t vmmem_copy_from_iter(union vmmem_space space, u64 gpa,
			    struct iov_iter *iter, size_t len)
{
	return vmmem_iter_copy(vmmem_space_map(space), gpa, len, iter, true,
			       _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_from_iter, VMMEM_NS);
