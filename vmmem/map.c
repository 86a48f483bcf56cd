// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest-physical map: one maple tree range per region, RCU mode, so that
 * lookups take no lock while writers, serialised by a mutex, add and remove
 * regions. A removed region is freed only after a grace period.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "vmmem.h"

/**
 * vmmem_create() - create an empty guest-physical address space
 *
 * The caller owns the one reference of the new map and drops it with
 * vmmem_put().
 *
 * Context: Process context; may sleep.
 * Return: the new map, or ERR_PTR(-ENOMEM).
 */
struct vmmem *vmmem_create(void)
{
	struct vmmem *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	mutex_init(&vm->lock);
	mt_init_flags(&vm->map, MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU);
	mt_set_external_lock(&vm->map, &vm->lock);
	refcount_set(&vm->users, 1);
	atomic64_set(&vm->generation, 0);
	return vm;
}
EXPORT_SYMBOL_NS_GPL(vmmem_create, VMMEM_NS);

/**
 * vmmem_get() - take another reference on a map
 * @vm: the map; the caller must already hold a reference
 *
 * Context: Any context.
 */
void vmmem_get(struct vmmem *vm)
{
	refcount_inc(&vm->users);
}
EXPORT_SYMBOL_NS_GPL(vmmem_get, VMMEM_NS);

static void vmmem_destroy(struct vmmem *vm)
{
	MA_STATE(mas, &vm->map, 0, 0);
	struct vmmem_region *region;

	/*
	 * The last reference is gone, so no reader can be inside the tree:
	 * regions are released at once, without waiting for a grace period.
	 */
	mutex_lock(&vm->lock);
	mas_for_each(&mas, region, ULONG_MAX)
		vmmem_region_release(region);
	__mt_destroy(&vm->map);
	mutex_unlock(&vm->lock);

	mutex_destroy(&vm->lock);
	kfree(vm);
}

/**
 * vmmem_put() - drop a reference on a map
 * @vm: the map, or NULL
 *
 * Dropping the last reference removes and frees every region.
 *
 * Context: Process context; may sleep when the last reference goes.
 */
void vmmem_put(struct vmmem *vm)
{
	if (vm && refcount_dec_and_test(&vm->users))
		vmmem_destroy(vm);
}
EXPORT_SYMBOL_NS_GPL(vmmem_put, VMMEM_NS);

/**
 * vmmem_check_new_region() - validate the arguments of an add
 * @gpa: first guest-physical address
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags
 *
 * Argument errors are reported before any overlap is looked at, so that a
 * bad request gets the same errno whatever the map holds.
 *
 * Return: 0, -EINVAL for unknown flags, a zero size or misalignment, or
 * -EOVERFLOW if the region would pass 2^64.
 */
int vmmem_check_new_region(u64 gpa, u64 size, unsigned int flags)
{
	u64 last;

	if (flags & ~VMMEM_REGION_FLAGS)
		return -EINVAL;
	if (!size || !PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (check_add_overflow(gpa, size - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/* True if no region has a byte in [gpa, last]. Caller holds RCU or the lock. */
static bool vmmem_range_is_free(struct vmmem *vm, u64 gpa, u64 last)
{
	MA_STATE(mas, &vm->map, gpa, gpa);

	return !mas_find(&mas, last);
}

/**
 * vmmem_range_in_use() - early overlap check before a costly allocation
 * @vm: the map
 * @gpa: first guest-physical address of the new region
 * @size: its length, already validated
 *
 * Only a hint: vmmem_insert_region() checks again under the lock.
 *
 * Return: true if some region overlaps [@gpa, @gpa + @size).
 */
bool vmmem_range_in_use(struct vmmem *vm, u64 gpa, u64 size)
{
	bool free;

	rcu_read_lock();
	free = vmmem_range_is_free(vm, gpa, gpa + (size - 1));
	rcu_read_unlock();
	return !free;
}

/**
 * vmmem_insert_region() - publish a fully built region in the map
 * @vm: the map
 * @region: the region, with validated gpa and size and a live mapping
 *
 * On failure the map is unchanged and @region still belongs to the caller.
 *
 * Context: Process context; takes @vm->lock.
 * Return: 0, -EEXIST if any byte of the region is already mapped, or
 * -ENOMEM if the tree could not grow.
 */
int vmmem_insert_region(struct vmmem *vm, struct vmmem_region *region)
{
	MA_STATE(mas, &vm->map, region->gpa, vmmem_region_last(region));
	int ret;

	mutex_lock(&vm->lock);
	if (!vmmem_range_is_free(vm, region->gpa, vmmem_region_last(region))) {
		ret = -EEXIST;
		goto unlock;
	}
	ret = mas_store_gfp(&mas, region, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto unlock;
	WRITE_ONCE(vm->nr_regions, vm->nr_regions + 1);
	atomic64_inc(&vm->generation);
unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * vmmem_region_release() - give back everything a region holds
 * @region: a region no reader can reach any more
 *
 * Context: Process context; may sleep (unpinning locks pages).
 */
void vmmem_region_release(struct vmmem_region *region)
{
	region->ops->release(region);
	kfree(region);
}

/**
 * vmmem_remove() - remove one region from a map
 * @vm: the map
 * @gpa: the region's first guest-physical address, exactly as added
 * @size: the region's size, exactly as added
 *
 * The region disappears from new lookups at once. Accesses already under
 * way finish on the old memory; then the memory is released (freed, or
 * unpinned and unaccounted) before this returns, so the caller may reuse
 * the guest range, the user range or the memlock budget at once.
 *
 * Context: Process context; sleeps for an RCU grace period.
 * Return: 0, -ENOENT if no region starts at @gpa with exactly @size bytes,
 * or -ENOMEM if the tree could not be rebalanced (the map is unchanged).
 */
int vmmem_remove(struct vmmem *vm, u64 gpa, u64 size)
{
	MA_STATE(mas, &vm->map, gpa, gpa);
	struct vmmem_region *region;
	int ret;

	mutex_lock(&vm->lock);
	region = mas_walk(&mas);
	if (!region || region->gpa != gpa || region->size != size) {
		ret = -ENOENT;
		goto unlock;
	}
	mas_set_range(&mas, region->gpa, vmmem_region_last(region));
	ret = mas_store_gfp(&mas, NULL, GFP_KERNEL);
	if (ret)
		goto unlock;
	WRITE_ONCE(vm->nr_regions, vm->nr_regions - 1);
	atomic64_inc(&vm->generation);
unlock:
	mutex_unlock(&vm->lock);
	if (ret)
		return ret;

	synchronize_rcu();
	vmmem_region_release(region);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vmmem_remove, VMMEM_NS);

/**
 * vmmem_num_regions() - number of regions in a map
 * @vm: the map
 *
 * Context: Any context. The count may change as soon as it is read.
 * Return: the number of regions.
 */
unsigned int vmmem_num_regions(const struct vmmem *vm)
{
	return READ_ONCE(vm->nr_regions);
}
EXPORT_SYMBOL_NS_GPL(vmmem_num_regions, VMMEM_NS);

/**
 * vmmem_last_addr() - highest mapped guest-physical address
 * @vm: the map
 *
 * Context: Any context.
 * Return: the last byte of the highest region (inclusive), or 0 when the
 * map is empty.
 */
u64 vmmem_last_addr(struct vmmem *vm)
{
	MA_STATE(mas, &vm->map, ULONG_MAX, ULONG_MAX);
	struct vmmem_region *region;
	u64 last = 0;

	rcu_read_lock();
	region = mas_find_rev(&mas, 0);
	if (region)
		last = vmmem_region_last(region);
	rcu_read_unlock();
	return last;
}
EXPORT_SYMBOL_NS_GPL(vmmem_last_addr, VMMEM_NS);

/**
 * vmmem_generation() - generation number of a map's layout
 * @vm: the map
 *
 * The number changes with every add and remove, so a caller that cached a
 * translation can tell with one compare whether it may still be used.
 *
 * Context: Any context.
 * Return: the current generation.
 */
u64 vmmem_generation(const struct vmmem *vm)
{
	return atomic64_read(&vm->generation);
}
EXPORT_SYMBOL_NS_GPL(vmmem_generation, VMMEM_NS);

/**
 * vmmem_region_info() - describe the region that contains a guest address
 * @vm: the map
 * @gpa: any guest-physical address inside the region
 * @info: filled on success
 *
 * The description is a copy: it stays readable after the region is gone,
 * but says nothing about the map after this returns.
 *
 * Context: Any context.
 * Return: 0 on success, -ENOENT if @gpa is in a hole.
 */
int vmmem_region_info(struct vmmem *vm, u64 gpa, struct vmmem_region_info *info)
{
	const struct vmmem_region *region;
	int ret = -ENOENT;

	rcu_read_lock();
	region = vmmem_lookup(vm, gpa);
	if (region) {
		*info = (struct vmmem_region_info) {
			.gpa = region->gpa,
			.size = region->size,
			.flags = region->flags,
			.backing = region->ops->backing,
			.uaddr = region->uaddr,
			.nr_pages = region->size >> PAGE_SHIFT,
			.nr_large_pages = region->nr_large,
		};
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_region_info, VMMEM_NS);
