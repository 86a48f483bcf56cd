// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single untorn accesses of 1, 2, 4 and 8 bytes: the loads and stores a
 * device makes on ring indices, flags and descriptor fields that a guest
 * vCPU reads and writes at the same time. They are never split: a
 * misaligned access fails instead of being copied in pieces.
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
	if (!region || !vmmem_region_permits(region, access))
		return -EFAULT;
	*regionp = region;
	*ptrp = vmmem_region_ptr(region, gpa);
	return 0;
}

/*
 * The guest is the other side of these barriers even on a !SMP build, hence
 * virt_*() rather than smp_*().
 */
#define vmmem_relaxed_load(p)		READ_ONCE(*(p))
#define vmmem_relaxed_store(p, v)	WRITE_ONCE(*(p), v)

#define vmmem_single_load(vm, gpa, valp, load)				\
({									\
	typeof(valp) __val = (valp);					\
	struct vmmem_region *__region;					\
	void *__ptr;							\
	int __ret;							\
									\
	rcu_read_lock();						\
	__ret = vmmem_single_ptr(vm, gpa, sizeof(*__val), VMMEM_READ,	\
				 &__ptr, &__region);			\
	if (!__ret)							\
		*__val = load((typeof(__val))__ptr);			\
	rcu_read_unlock();						\
	__ret;								\
})

#define vmmem_single_store(vm, gpa, val, store)				\
({									\
	u64 __gpa = (gpa);						\
	struct vmmem_region *__region;					\
	void *__ptr;							\
	int __ret;							\
									\
	rcu_read_lock();						\
	__ret = vmmem_single_ptr(vm, __gpa, sizeof(val), VMMEM_WRITE,	\
				 &__ptr, &__region);			\
	if (!__ret) {							\
		store((typeof(val) *)__ptr, val);			\
		vmmem_dirty_note(__region, __gpa, sizeof(val));		\
	}								\
	rcu_read_unlock();						\
	__ret;								\
})

/**
 * vmmem_load_u8() - load a u8 from guest memory
 * @vm: the map
 * @gpa: guest-physical address, any address
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with no ordering (READ_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_u8(struct vmmem *vm, u64 gpa, u8 *val)
{
	return vmmem_single_load(vm, gpa, val, vmmem_relaxed_load);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_u8, VMMEM_NS);

/**
 * vmmem_load_u16() - load a u16 from guest memory
 * @vm: the map
 * @gpa: guest-physical address, 2-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with no ordering (READ_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_u16(struct vmmem *vm, u64 gpa, u16 *val)
{
	return vmmem_single_load(vm, gpa, val, vmmem_relaxed_load);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_u16, VMMEM_NS);

/**
 * vmmem_load_u32() - load a u32 from guest memory
 * @vm: the map
 * @gpa: guest-physical address, 4-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with no ordering (READ_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_u32(struct vmmem *vm, u64 gpa, u32 *val)
{
	return vmmem_single_load(vm, gpa, val, vmmem_relaxed_load);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_u32, VMMEM_NS);

/**
 * vmmem_load_u64() - load a u64 from guest memory
 * @vm: the map
 * @gpa: guest-physical address, 8-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with no ordering (READ_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_u64(struct vmmem *vm, u64 gpa, u64 *val)
{
	return vmmem_single_load(vm, gpa, val, vmmem_relaxed_load);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_u64, VMMEM_NS);

/**
 * vmmem_store_u8() - store a u8 into guest memory
 * @vm: the map
 * @gpa: guest-physical address, any address
 * @val: the value
 *
 * One untorn access with no ordering (WRITE_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_u8(struct vmmem *vm, u64 gpa, u8 val)
{
	return vmmem_single_store(vm, gpa, val, vmmem_relaxed_store);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_u8, VMMEM_NS);

/**
 * vmmem_store_u16() - store a u16 into guest memory
 * @vm: the map
 * @gpa: guest-physical address, 2-byte aligned
 * @val: the value
 *
 * One untorn access with no ordering (WRITE_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_u16(struct vmmem *vm, u64 gpa, u16 val)
{
	return vmmem_single_store(vm, gpa, val, vmmem_relaxed_store);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_u16, VMMEM_NS);

/**
 * vmmem_store_u32() - store a u32 into guest memory
 * @vm: the map
 * @gpa: guest-physical address, 4-byte aligned
 * @val: the value
 *
 * One untorn access with no ordering (WRITE_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_u32(struct vmmem *vm, u64 gpa, u32 val)
{
	return vmmem_single_store(vm, gpa, val, vmmem_relaxed_store);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_u32, VMMEM_NS);

/**
 * vmmem_store_u64() - store a u64 into guest memory
 * @vm: the map
 * @gpa: guest-physical address, 8-byte aligned
 * @val: the value
 *
 * One untorn access with no ordering (WRITE_ONCE()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_u64(struct vmmem *vm, u64 gpa, u64 val)
{
	return vmmem_single_store(vm, gpa, val, vmmem_relaxed_store);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_u64, VMMEM_NS);

/**
 * vmmem_load_acquire_u16() - load a u16 from guest memory with acquire
 * @vm: the map
 * @gpa: guest-physical address, 2-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with acquire ordering: guest memory read after it
 * is not read before it (virt_load_acquire()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_acquire_u16(struct vmmem *vm, u64 gpa, u16 *val)
{
	return vmmem_single_load(vm, gpa, val, virt_load_acquire);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_acquire_u16, VMMEM_NS);

/**
 * vmmem_load_acquire_u32() - load a u32 from guest memory with acquire
 * @vm: the map
 * @gpa: guest-physical address, 4-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with acquire ordering: guest memory read after it
 * is not read before it (virt_load_acquire()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_acquire_u32(struct vmmem *vm, u64 gpa, u32 *val)
{
	return vmmem_single_load(vm, gpa, val, virt_load_acquire);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_acquire_u32, VMMEM_NS);

/**
 * vmmem_load_acquire_u64() - load a u64 from guest memory with acquire
 * @vm: the map
 * @gpa: guest-physical address, 8-byte aligned
 * @val: where the value is stored; unchanged on failure
 *
 * One untorn access with acquire ordering: guest memory read after it
 * is not read before it (virt_load_acquire()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
int vmmem_load_acquire_u64(struct vmmem *vm, u64 gpa, u64 *val)
{
	return vmmem_single_load(vm, gpa, val, virt_load_acquire);
}
EXPORT_SYMBOL_NS_GPL(vmmem_load_acquire_u64, VMMEM_NS);

/**
 * vmmem_store_release_u16() - store a u16 into guest memory with release
 * @vm: the map
 * @gpa: guest-physical address, 2-byte aligned
 * @val: the value
 *
 * One untorn access with release ordering: guest memory written before
 * it is visible to the guest before it (virt_store_release()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_release_u16(struct vmmem *vm, u64 gpa, u16 val)
{
	return vmmem_single_store(vm, gpa, val, virt_store_release);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_release_u16, VMMEM_NS);

/**
 * vmmem_store_release_u32() - store a u32 into guest memory with release
 * @vm: the map
 * @gpa: guest-physical address, 4-byte aligned
 * @val: the value
 *
 * One untorn access with release ordering: guest memory written before
 * it is visible to the guest before it (virt_store_release()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_release_u32(struct vmmem *vm, u64 gpa, u32 val)
{
	return vmmem_single_store(vm, gpa, val, virt_store_release);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_release_u32, VMMEM_NS);

/**
 * vmmem_store_release_u64() - store a u64 into guest memory with release
 * @vm: the map
 * @gpa: guest-physical address, 8-byte aligned
 * @val: the value
 *
 * One untorn access with release ordering: guest memory written before
 * it is visible to the guest before it (virt_store_release()).
 *
 * Context: Any context; does not sleep.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
int vmmem_store_release_u64(struct vmmem *vm, u64 gpa, u64 val)
{
	return vmmem_single_store(vm, gpa, val, virt_store_release);
}
EXPORT_SYMBOL_NS_GPL(vmmem_store_release_u64, VMMEM_NS);
