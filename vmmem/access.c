// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single untorn accesses of 1, 2, 4 and 8 bytes: the loads and stores a
 * device makes on ring indices, flags and descriptor fields that a guest
 * vCPU reads and writes at the same time. They are never split: a
 * misaligned access fails instead of being copied in pieces. These are the
 * out-of-line halves of vmmem_load(), vmmem_store(), vmmem_load_acquire()
 * and vmmem_store_release() in <linux/vmmem.h>: one export for loads and
 * one for stores, which branch on the width and the ordering first, into
 * one of eight copies of the body, so that no register carries either
 * across the lookup.
 */
#include "vmmem.h"

/*
 * A naturally aligned access of at most 8 bytes never straddles a page, so
 * it never straddles two regions (which are page-aligned): alignment is the
 * only rule to check besides the lookup itself.
 */
static_assert(PAGE_SIZE % sizeof(u64) == 0);

/*
 * Kernel address for a single access, and the region (for dirty logging).
 * Not an ERR_PTR: the compiler cannot tell a kernel address from an error
 * and would test every result. Caller holds RCU.
 *
 * Return: 0, -EINVAL, -EFAULT, or 1 when no region of an IOVA space's view
 * holds @gpa, or the region is mapped on access: the access then goes out
 * of line (vmmem_slow_load() and vmmem_slow_store()), so that nothing of
 * those paths, no variable whose address a call takes, weighs on this one.
 */
static __always_inline int vmmem_single_ptr(struct vmmem *vm, u64 gpa,
					    size_t size, unsigned int access,
					    void **ptrp,
					    struct vmmem_region **regionp)
{
	struct vmmem_region *region;

	if (!IS_ALIGNED(gpa, size))
		return -EINVAL;
	region = vmmem_lookup(vm, gpa);
	if (unlikely(!region))
		return vm->iova ? 1 : -EFAULT;
	if (!vmmem_region_permits(region, access))
		return region->flags & VMMEM_REGION_ON_ACCESS ? 1 : -EFAULT;
	*regionp = region;
	*ptrp = vmmem_region_ptr(region, gpa);
	return 0;
}

/*
 * The kernel address behind @addr for an access that went out of line: in
 * an IOVA space, through its entry (calling the space's miss hook if it has
 * one; entries are page-aligned, so an aligned access stays in one); in a
 * region mapped on access, through a mapping of its page, which *@map then
 * holds for vmmem_slow_unmap() (@map->kaddr stays NULL otherwise). Also
 * sets the region and the guest-physical address. Caller holds RCU.
 */
static __always_inline int vmmem_slow_single_ptr(struct vmmem *vm, u64 addr,
						 unsigned int access, void **ptrp,
						 struct vmmem_region **regionp,
						 u64 *gpap,
						 struct vmmem_page_map *map)
{
	struct vmmem_miss miss = {};
	struct vmmem_xlate x;
	int ret;

	access |= VMMEM_ACCESS_MAPPING;
	if (vm->iova) {
		while ((x = vmmem_iova_resolve(vm, addr, access)).ret == -ENOENT) {
			ret = vmmem_miss_call(vm, addr, access, &miss);
			if (ret)
				return ret;
		}
		if (x.ret)
			return x.ret;
	} else {
		/* The map changed since the fast path looked: look again. */
		x.region = vmmem_lookup(vm, addr);
		if (!x.region || !vmmem_region_permits(x.region, access))
			return -EFAULT;
		x.gpa = addr;
	}
	*regionp = x.region;
	*gpap = x.gpa;
	map->kaddr = NULL;
	if (likely(!(x.region->flags & VMMEM_REGION_ON_ACCESS))) {
		*ptrp = vmmem_region_ptr(x.region, x.gpa);
		return 0;
	}
	if (vmmem_map_page(x.region, x.gpa, access, map))
		return -EFAULT;
	*ptrp = map->kaddr + (x.gpa & ~PAGE_MASK);
	return 0;
}

/* End the page mapping vmmem_slow_single_ptr() made, if it made one. */
static __always_inline void vmmem_slow_unmap(struct vmmem_region *region,
					     u64 gpa,
					     const struct vmmem_page_map *map)
{
	if (unlikely(map->kaddr))
		vmmem_unmap_page(region, gpa, map);
}

/*
 * A single load through an IOVA space or from a region mapped on access,
 * into *@val of @size bytes.
 */
static noinline int vmmem_slow_load(struct vmmem *vm, u64 addr, void *val,
				    size_t size, bool acquire)
{
	struct vmmem_region *region;
	struct vmmem_page_map map;
	void *ptr;
	u64 gpa;
	int ret;

	rcu_read_lock();
	ret = vmmem_slow_single_ptr(vm, addr, VMMEM_READ, &ptr, &region, &gpa,
				    &map);
	if (!ret) {
		switch (size) {
		case 1:
			/* Acquire: later guest reads stay after this one. */
			*(u8 *)val = acquire ? virt_load_acquire((u8 *)ptr) :
					       READ_ONCE(*(u8 *)ptr);
			break;
		case 2:
			/* Acquire: later guest reads stay after this one. */
			*(u16 *)val = acquire ? virt_load_acquire((u16 *)ptr) :
						READ_ONCE(*(u16 *)ptr);
			break;
		case 4:
			/* Acquire: later guest reads stay after this one. */
			*(u32 *)val = acquire ? virt_load_acquire((u32 *)ptr) :
						READ_ONCE(*(u32 *)ptr);
			break;
		default:
			/* Acquire: later guest reads stay after this one. */
			*(u64 *)val = acquire ? virt_load_acquire((u64 *)ptr) :
						READ_ONCE(*(u64 *)ptr);
			break;
		}
		vmmem_slow_unmap(region, gpa, &map);
	}
	rcu_read_unlock();
	return ret;
}

/*
 * A single store of the low @size bytes of @val through an IOVA space or
 * into a region mapped on access.
 */
static noinline int vmmem_slow_store(struct vmmem *vm, u64 addr, u64 val,
				     size_t size, bool release)
{
	struct vmmem_region *region;
	struct vmmem_page_map map;
	void *ptr;
	u64 gpa;
	int ret;

	rcu_read_lock();
	ret = vmmem_slow_single_ptr(vm, addr, VMMEM_WRITE, &ptr, &region, &gpa,
				    &map);
	if (!ret) {
		switch (size) {
		case 1:
			if (release)
				/* Earlier guest writes stay before this one. */
				virt_store_release((u8 *)ptr, (u8)val);
			else
				WRITE_ONCE(*(u8 *)ptr, (u8)val);
			break;
		case 2:
			if (release)
				/* Earlier guest writes stay before this one. */
				virt_store_release((u16 *)ptr, (u16)val);
			else
				WRITE_ONCE(*(u16 *)ptr, (u16)val);
			break;
		case 4:
			if (release)
				/* Earlier guest writes stay before this one. */
				virt_store_release((u32 *)ptr, (u32)val);
			else
				WRITE_ONCE(*(u32 *)ptr, (u32)val);
			break;
		default:
			if (release)
				/* Earlier guest writes stay before this one. */
				virt_store_release((u64 *)ptr, val);
			else
				WRITE_ONCE(*(u64 *)ptr, val);
			break;
		}
		vmmem_slow_unmap(region, gpa, &map);
		vmmem_dirty_note(region, gpa, size);
	}
	rcu_read_unlock();
	return ret;
}

/*
 * The guest is the other side of these barriers even on a !SMP build, hence
 * virt_*() rather than smp_*().
 */
#define vmmem_single_load(space, gpa, valp, acquire)			\
({									\
	struct vmmem *__vm = vmmem_space_map(space);			\
	typeof(valp) __valp = (valp);					\
	bool __acquire = (acquire);					\
	u64 __gpa = (gpa);						\
	struct vmmem_region *__region;					\
	void *__ptr;							\
	int __ret;							\
									\
	rcu_read_lock();						\
	__ret = vmmem_single_ptr(__vm, __gpa, sizeof(*__valp),		\
				 VMMEM_READ, &__ptr, &__region);	\
	if (!__ret && __acquire) {					\
		/* Later guest reads stay after this one. */		\
		*__valp = virt_load_acquire((typeof(__valp))__ptr);	\
	} else if (!__ret) {						\
		*__valp = READ_ONCE(*(typeof(__valp))__ptr);		\
	}								\
	rcu_read_unlock();						\
	if (unlikely(__ret > 0))					\
		__ret = vmmem_slow_load(__vm, __gpa, __valp,		\
					sizeof(*__valp), __acquire);	\
	vmmem_count(__vm, VMMEM_STAT_LOAD);				\
	if (unlikely(__ret))						\
		vmmem_access_fault(__vm, __ret, VMMEM_FAULT_MISALIGNED,	\
				   __gpa, sizeof(*__valp), VMMEM_READ,	\
				   _RET_IP_);				\
	__ret;								\
})

#define vmmem_single_store(space, gpa, val, release)			\
({									\
	struct vmmem *__vm = vmmem_space_map(space);			\
	typeof(val) __val = (val);					\
	bool __release = (release);					\
	u64 __gpa = (gpa);						\
	struct vmmem_region *__region;					\
	void *__ptr;							\
	int __ret;							\
									\
	rcu_read_lock();						\
	__ret = vmmem_single_ptr(__vm, __gpa, sizeof(__val),		\
				 VMMEM_WRITE, &__ptr, &__region);	\
	if (!__ret && __release) {					\
		/* Earlier guest writes stay before this one. */	\
		virt_store_release((typeof(__val) *)__ptr, __val);	\
	} else if (!__ret) {						\
		WRITE_ONCE(*(typeof(__val) *)__ptr, __val);		\
	}								\
	if (!__ret)							\
		vmmem_dirty_note(__region, __gpa, sizeof(__val));	\
	rcu_read_unlock();						\
	if (unlikely(__ret > 0))					\
		__ret = vmmem_slow_store(__vm, __gpa, (u64)__val,	\
					 sizeof(__val), __release);	\
	vmmem_count(__vm, VMMEM_STAT_STORE);				\
	if (unlikely(__ret))						\
		vmmem_access_fault(__vm, __ret, VMMEM_FAULT_MISALIGNED,	\
				   __gpa, sizeof(__val), VMMEM_WRITE,	\
				   _RET_IP_);				\
	__ret;								\
})

/**
 * __vmmem_load_n() - load 1, 2, 4 or 8 bytes from guest memory
 * @space: the map, snapshot or IOVA space
 * @gpa: address in the space, naturally aligned for @size
 * @val: where the value is stored (a u8, u16, u32 or u64 as @size says);
 *	unchanged on failure
 * @size: 1, 2, 4 or 8 (any other value loads 8)
 * @acquire: with acquire ordering (virt_load_acquire()), else READ_ONCE()
 *
 * The out-of-line half of vmmem_load() and vmmem_load_acquire(), which
 * callers use instead: they check @size at compile time and pass a
 * constant.
 *
 * Context: Any context; does not sleep, unless an IOVA space's miss hook
 * does (see vmmem_iova_create()).
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is
 * unmapped or (IOVA) not readable.
 */
int __vmmem_load_n(union vmmem_space space, u64 gpa, void *val,
		   unsigned int size, bool acquire)
{
	/* One copy of the body per width and ordering. */
	switch (size) {
	case 1:
		return acquire ? vmmem_single_load(space, gpa, (u8 *)val, true) :
				 vmmem_single_load(space, gpa, (u8 *)val, false);
	case 2:
		return acquire ? vmmem_single_load(space, gpa, (u16 *)val, true) :
				 vmmem_single_load(space, gpa, (u16 *)val, false);
	case 4:
		return acquire ? vmmem_single_load(space, gpa, (u32 *)val, true) :
				 vmmem_single_load(space, gpa, (u32 *)val, false);
	default:
		return acquire ? vmmem_single_load(space, gpa, (u64 *)val, true) :
				 vmmem_single_load(space, gpa, (u64 *)val, false);
	}
}
EXPORT_SYMBOL_NS_GPL(__vmmem_load_n, VMMEM_NS);

/**
 * __vmmem_store_n() - store 1, 2, 4 or 8 bytes into guest memory
 * @space: the map or IOVA space
 * @gpa: address in the space, naturally aligned for @size
 * @val: the value, in its low @size bytes
 * @size: 1, 2, 4 or 8 (any other value stores 8)
 * @release: with release ordering (virt_store_release()), else WRITE_ONCE()
 *
 * The out-of-line half of vmmem_store() and vmmem_store_release(), which
 * callers use instead. Dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep, unless an IOVA space's miss hook
 * does (see vmmem_iova_create()).
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is
 * unmapped, read-only or (IOVA) not writable.
 */
int __vmmem_store_n(union vmmem_space space, u64 gpa, u64 val,
		    unsigned int size, bool release)
{
	/* One copy of the body per width and ordering. */
	switch (size) {
	case 1:
		return release ? vmmem_single_store(space, gpa, (u8)val, true) :
				 vmmem_single_store(space, gpa, (u8)val, false);
	case 2:
		return release ? vmmem_single_store(space, gpa, (u16)val, true) :
				 vmmem_single_store(space, gpa, (u16)val, false);
	case 4:
		return release ? vmmem_single_store(space, gpa, (u32)val, true) :
				 vmmem_single_store(space, gpa, (u32)val, false);
	default:
		return release ? vmmem_single_store(space, gpa, val, true) :
				 vmmem_single_store(space, gpa, val, false);
	}
}
EXPORT_SYMBOL_NS_GPL(__vmmem_store_n, VMMEM_NS);
