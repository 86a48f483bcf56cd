// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single untorn accesses of 1, 2, 4 and 8 bytes: the loads and stores a
 * device makes on ring indices, flags and descriptor fields that a guest
 * vCPU reads and writes at the same time. They are never split: a
 * misaligned access fails instead of being copied in pieces. These are the
 * out-of-line halves of vmmem_load(), vmmem_store(), vmmem_load_acquire()
 * and vmmem_store_release() in <linux/vmmem.h>, one per width, so that the
 * width is a compile-time choice. The ordering is a branch taken first,
 * into one of two copies of the body, so that no register carries it
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
 * holds @gpa: the access then goes out of line (vmmem_iova_load() and
 * vmmem_iova_store()), so that nothing of the IOVA path, no variable
 * whose address a call takes, weighs on this one.
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
		return -EFAULT;
	*regionp = region;
	*ptrp = vmmem_region_ptr(region, gpa);
	return 0;
}

/*
 * The kernel address behind IOVA @addr and its region and guest-physical
 * address, calling the space's miss hook if it has one. Entries are
 * page-aligned, so an aligned access stays in one. Caller holds RCU.
 */
static int vmmem_iova_single_ptr(struct vmmem *vm, u64 addr,
				 unsigned int access, void **ptrp,
				 struct vmmem_region **regionp, u64 *gpap)
{
	struct vmmem_miss miss = {};
	struct vmmem_xlate x;
	int ret;

	while ((x = vmmem_iova_resolve(vm, addr, access)).ret == -ENOENT) {
		ret = vmmem_miss_call(vm, addr, access, &miss);
		if (ret)
			return ret;
	}
	if (x.ret)
		return x.ret;
	*regionp = x.region;
	*gpap = x.gpa;
	*ptrp = vmmem_region_ptr(x.region, x.gpa);
	return 0;
}

/* A single load through an IOVA space, into *@val of @size bytes. */
static noinline int vmmem_iova_load(struct vmmem *vm, u64 addr, void *val,
				    size_t size, bool acquire)
{
	struct vmmem_region *region;
	void *ptr;
	u64 gpa;
	int ret;

	rcu_read_lock();
	ret = vmmem_iova_single_ptr(vm, addr, VMMEM_READ, &ptr, &region, &gpa);
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
	}
	rcu_read_unlock();
	return ret;
}

/* A single store of the low @size bytes of @val through an IOVA space. */
static noinline int vmmem_iova_store(struct vmmem *vm, u64 addr, u64 val,
				     size_t size, bool release)
{
	struct vmmem_region *region;
	void *ptr;
	u64 gpa;
	int ret;

	rcu_read_lock();
	ret = vmmem_iova_single_ptr(vm, addr, VMMEM_WRITE, &ptr, &region, &gpa);
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
		__ret = vmmem_iova_load(__vm, __gpa, __valp,		\
					sizeof(*__valp), __acquire);	\
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
		__ret = vmmem_iova_store(__vm, __gpa, (u64)__val,	\
					 sizeof(__val), __release);	\
	__ret;								\
})

/**
 * __vmmem_load_1() - load 1 byte from guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, any address
 * @val: where the value is stored; unchanged on failure
 * @acquire: with acquire ordering (virt_load_acquire()), else READ_ONCE()
 *
 * The out-of-line half of vmmem_load() and vmmem_load_acquire(), which
 * callers use instead.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EFAULT if @gpa is unmapped.
 */
int __vmmem_load_1(union vmmem_space space, u64 gpa, u8 *val, bool acquire)
{
	return acquire ? vmmem_single_load(space, gpa, val, true) :
			 vmmem_single_load(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_load_1, VMMEM_NS);

/**
 * __vmmem_store_1() - store 1 byte into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, any address
 * @val: the value
 * @release: with release ordering (virt_store_release()), else WRITE_ONCE()
 *
 * The out-of-line half of vmmem_store() and vmmem_store_release(), which
 * callers use instead. Dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EFAULT if @gpa is unmapped or read-only.
 */
int __vmmem_store_1(union vmmem_space space, u64 gpa, u8 val, bool release)
{
	return release ? vmmem_single_store(space, gpa, val, true) :
			 vmmem_single_store(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_store_1, VMMEM_NS);

/**
 * __vmmem_load_2() - load 2 bytes from guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 2-byte aligned
 * @val: where the value is stored; unchanged on failure
 * @acquire: with acquire ordering (virt_load_acquire()), else READ_ONCE()
 *
 * The out-of-line half of vmmem_load() and vmmem_load_acquire(), which
 * callers use instead.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int __vmmem_load_2(union vmmem_space space, u64 gpa, u16 *val, bool acquire)
{
	return acquire ? vmmem_single_load(space, gpa, val, true) :
			 vmmem_single_load(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_load_2, VMMEM_NS);

/**
 * __vmmem_store_2() - store 2 bytes into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 2-byte aligned
 * @val: the value
 * @release: with release ordering (virt_store_release()), else WRITE_ONCE()
 *
 * The out-of-line half of vmmem_store() and vmmem_store_release(), which
 * callers use instead. Dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int __vmmem_store_2(union vmmem_space space, u64 gpa, u16 val, bool release)
{
	return release ? vmmem_single_store(space, gpa, val, true) :
			 vmmem_single_store(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_store_2, VMMEM_NS);

/**
 * __vmmem_load_4() - load 4 bytes from guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 4-byte aligned
 * @val: where the value is stored; unchanged on failure
 * @acquire: with acquire ordering (virt_load_acquire()), else READ_ONCE()
 *
 * The out-of-line half of vmmem_load() and vmmem_load_acquire(), which
 * callers use instead.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int __vmmem_load_4(union vmmem_space space, u64 gpa, u32 *val, bool acquire)
{
	return acquire ? vmmem_single_load(space, gpa, val, true) :
			 vmmem_single_load(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_load_4, VMMEM_NS);

/**
 * __vmmem_store_4() - store 4 bytes into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 4-byte aligned
 * @val: the value
 * @release: with release ordering (virt_store_release()), else WRITE_ONCE()
 *
 * The out-of-line half of vmmem_store() and vmmem_store_release(), which
 * callers use instead. Dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int __vmmem_store_4(union vmmem_space space, u64 gpa, u32 val, bool release)
{
	return release ? vmmem_single_store(space, gpa, val, true) :
			 vmmem_single_store(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_store_4, VMMEM_NS);

/**
 * __vmmem_load_8() - load 8 bytes from guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 8-byte aligned
 * @val: where the value is stored; unchanged on failure
 * @acquire: with acquire ordering (virt_load_acquire()), else READ_ONCE()
 *
 * The out-of-line half of vmmem_load() and vmmem_load_acquire(), which
 * callers use instead.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int __vmmem_load_8(union vmmem_space space, u64 gpa, u64 *val, bool acquire)
{
	return acquire ? vmmem_single_load(space, gpa, val, true) :
			 vmmem_single_load(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_load_8, VMMEM_NS);

/**
 * __vmmem_store_8() - store 8 bytes into guest memory
 * @space: the map or snapshot
 * @gpa: guest-physical address, 8-byte aligned
 * @val: the value
 * @release: with release ordering (virt_store_release()), else WRITE_ONCE()
 *
 * The out-of-line half of vmmem_store() and vmmem_store_release(), which
 * callers use instead. Dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int __vmmem_store_8(union vmmem_space space, u64 gpa, u64 val, bool release)
{
	return release ? vmmem_single_store(space, gpa, val, true) :
			 vmmem_single_store(space, gpa, val, false);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_store_8, VMMEM_NS);
