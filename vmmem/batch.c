// SPDX-License-Identifier: GPL-2.0-only
/*
 * Updates of the map. Every update, a single add or remove as much as many
 * of them, copies the current layout's tree, applies its operations to the
 * copy, builds the copy's lookup array and publishes it in one pointer
 * store: readers never see a half-applied update, and an update that fails
 * part-way publishes nothing. Regions to add are fully built (allocated, pinned, mapped)
 * before the map's lock is taken.
 */
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/slab.h>

#include "vmmem.h"
#include "vmmem_trace.h"

enum vmmem_op_type { VMMEM_OP_ADD, VMMEM_OP_REMOVE, VMMEM_OP_REMOVE_ALL };

/**
 * struct vmmem_op - one operation of an update, built
 * @node: in the update's list, in the order the caller gave
 * @type: what to do
 * @region: %VMMEM_OP_ADD: the prepared region, with its creator's reference
 * @gpa: %VMMEM_OP_REMOVE: first address of the region to remove
 * @size: %VMMEM_OP_REMOVE: its exact size
 */
struct vmmem_op {
	struct list_head node;
	enum vmmem_op_type type;
	struct vmmem_region *region;
	u64 gpa;
	u64 size;
};

/* True if a region of @mt has a byte in [gpa, last]. */
static bool vmmem_tree_range_used(struct maple_tree *mt, u64 gpa, u64 last)
{
	MA_STATE(mas, mt, gpa, gpa);

	return mas_find(&mas, last);
}

static int vmmem_apply_add(struct vmmem_layout *layout,
			   struct vmmem_region *region)
{
	MA_STATE(mas, &layout->tree, region->gpa, vmmem_region_last(region));
	int ret;

	if (vmmem_tree_range_used(&layout->tree, region->gpa, mas.last))
		return -EEXIST;
	ret = mas_store_gfp(&mas, region, GFP_KERNEL_ACCOUNT);
	if (!ret)
		layout->nr_regions++;
	return ret;
}

static int vmmem_apply_remove(struct vmmem_layout *layout, u64 gpa, u64 size)
{
	MA_STATE(mas, &layout->tree, gpa, gpa);
	struct vmmem_region *region;
	int ret;

	region = mas_walk(&mas);
	if (!region || region->gpa != gpa || region->size != size)
		return -ENOENT;
	mas_set_range(&mas, region->gpa, vmmem_region_last(region));
	ret = mas_store_gfp(&mas, NULL, GFP_KERNEL_ACCOUNT);
	if (!ret)
		layout->nr_regions--;
	return ret;
}

static int vmmem_apply(struct vmmem_layout *layout, const struct vmmem_op *op)
{
	int ret;

	switch (op->type) {
	case VMMEM_OP_ADD:
		/* Added while logging is on: logged from the first write. */
		if (layout->vm->dirty_logging) {
			ret = vmmem_region_dirty_alloc(op->region);
			if (ret)
				return ret;
			op->region->log = true;
		}
		return vmmem_apply_add(layout, op->region);
	case VMMEM_OP_REMOVE:
		return vmmem_apply_remove(layout, op->gpa, op->size);
	case VMMEM_OP_REMOVE_ALL:
		__mt_destroy(&layout->tree);
		layout->nr_regions = 0;
		return 0;
	}
	return -EINVAL;
}

/*
 * The regions one layout has and the other lacks, as trace events: both
 * layouts are sorted, so one merge walk finds them. Under @vm->lock.
 */
static void vmmem_trace_changes(struct vmmem *vm, struct vmmem_layout *old,
				struct vmmem_layout *new)
{
	unsigned int i = 0, j = 0;
	struct vmmem_region *a, *b;

	if (!trace_vmmem_region_add_enabled() &&
	    !trace_vmmem_region_remove_enabled())
		return;
	while (i < old->nr_regions || j < new->nr_regions) {
		a = i < old->nr_regions ? old->regions[i] : NULL;
		b = j < new->nr_regions ? new->regions[j] : NULL;
		if (a == b) {
			i++;
			j++;
		} else if (a && (!b || a->gpa <= b->gpa)) {
			trace_vmmem_region_remove(vm->name, a->gpa, a->size,
						  a->flags & VMMEM_REGION_FLAGS);
			i++;
		} else {
			trace_vmmem_region_add(vm->name, b->gpa, b->size,
					       b->flags & VMMEM_REGION_FLAGS);
			j++;
		}
	}
}

/*
 * Build the next layout from the current one and @ops, and publish it.
 * On failure nothing is published. The ops keep their region references
 * either way; the caller drops them.
 */
static int vmmem_publish_ops(struct vmmem *vm, struct list_head *ops)
{
	struct vmmem_layout *old, *new;
	LIST_HEAD(departed);
	struct vmmem_op *op;
	bool removes = false;
	int ret;

	new = vmmem_layout_alloc(vm);
	if (!new)
		return -ENOMEM;

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->layout, lockdep_is_held(&vm->lock));
	ret = vmmem_tree_copy(&old->tree, &new->tree);
	new->nr_regions = old->nr_regions;
	list_for_each_entry(op, ops, node) {
		if (ret)
			break;
		ret = vmmem_apply(new, op);
		removes |= op->type != VMMEM_OP_ADD;
	}
	if (!ret)
		ret = vmmem_layout_index(new);
	/* Allocated now, so that nothing can fail after the publish. */
	if (!ret && removes)
		ret = vmmem_departed_prepare(old, new, &departed);
	if (ret) {
		vmmem_layout_discard(new);
		mutex_unlock(&vm->lock);
		return ret;
	}

	old = vmmem_layout_publish(vm, new);
	vm->nr_updates++;
	vmmem_departed_attach(vm, &departed);
	if (removes)
		vmmem_note_removed(vm, old, new);
	vmmem_trace_changes(vm, old, new);
	mutex_unlock(&vm->lock);
	/*
	 * Adds release nothing: the old layout goes after a grace period,
	 * and N adds cost no grace period at all. Removals wait (without the
	 * lock) so that memory only they gave up is released on return.
	 */
	vmmem_layout_retire(old, removes);
	return 0;
}

/* The checks of one update that need no memory built, in array order. */
static int vmmem_update_check(const struct vmmem_update *up)
{
	switch (up->op) {
	case VMMEM_ADD_PAGES:
		/* A page count that does not fit (32-bit) is no region to add. */
		if (up->size >> PAGE_SHIFT > ULONG_MAX)
			return -EOVERFLOW;
		fallthrough;
	case VMMEM_ADD_VMALLOC:
	case VMMEM_ADD_USER:
	case VMMEM_ADD_HOST_RAM:
	case VMMEM_ADD_MAPPED:
		return vmmem_check_new_region(up->gpa, up->size, up->flags);
	case VMMEM_REMOVE:
	case VMMEM_REMOVE_ALL:
		return 0;
	}
	return -EINVAL;
}

/* Build what an add needs (allocate, pin, map) before the lock is taken. */
static struct vmmem_region *vmmem_update_prepare(const struct vmmem_update *up)
{
	switch (up->op) {
	case VMMEM_ADD_VMALLOC:
		return vmmem_prepare_vmalloc(up->gpa, up->size, up->flags);
	case VMMEM_ADD_USER:
		return vmmem_prepare_user(up->gpa, up->uaddr, up->size,
					  up->flags);
	case VMMEM_ADD_PAGES:
		return vmmem_prepare_pages(up->gpa, up->pages,
					   up->size >> PAGE_SHIFT, up->flags);
	case VMMEM_ADD_HOST_RAM:
		return vmmem_prepare_host_ram(up->gpa, up->size, up->flags);
	case VMMEM_ADD_MAPPED:
		return vmmem_prepare_mapped(up->gpa, up->size, up->flags,
					    up->mapper, up->priv,
					    up->cache_pages);
	default:
		return NULL;
	}
}

/* Drop the ops' region references: published regions survive. */
static void vmmem_ops_release(struct vmmem_op *ops, unsigned int nr)
{
	while (nr--)
		if (ops[nr].region)
			vmmem_region_put_sync(ops[nr].region);
}

/* The update succeeded: regions mapped on access own their providers. */
static void vmmem_ops_adopt(struct vmmem_op *ops, unsigned int nr)
{
	while (nr--)
		if (ops[nr].region)
			vmmem_mapped_adopt(ops[nr].region);
}

/* vmmem_update(), but for its trace event. */
static int __vmmem_update(struct vmmem *vm, const struct vmmem_update *updates,
			  unsigned int nr_updates)
{
	bool removes = false;
	struct vmmem_op *ops;
	unsigned int i;
	LIST_HEAD(list);
	int ret;

	if (!nr_updates)
		return 0;
	for (i = 0; i < nr_updates; i++) {
		ret = vmmem_update_check(&updates[i]);
		if (ret)
			return ret;
		removes |= updates[i].op == VMMEM_REMOVE ||
			   updates[i].op == VMMEM_REMOVE_ALL;
	}
	/* Fail fast, before allocating or pinning what may be gigabytes. */
	for (i = 0; i < nr_updates && !removes; i++)
		if (vmmem_range_in_use(vm, updates[i].gpa, updates[i].size))
			return -EEXIST;

	ops = kvcalloc(nr_updates, sizeof(*ops), GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < nr_updates; i++) {
		const struct vmmem_update *up = &updates[i];
		struct vmmem_region *region = vmmem_update_prepare(up);

		if (IS_ERR(region)) {
			ret = PTR_ERR(region);
			goto out;
		}
		/* Published only below: readers never see the flag change. */
		if (region && (vm->flags & VMMEM_MC_SAFE))
			region->flags |= VMMEM_REGION_COPY_MC;
		if (region) {
			refcount_inc(&vm->refs);
			region->vm = vm;
		}
		ops[i].region = region;
		ops[i].type = region ? VMMEM_OP_ADD :
			      up->op == VMMEM_REMOVE ? VMMEM_OP_REMOVE :
						       VMMEM_OP_REMOVE_ALL;
		ops[i].gpa = up->gpa;
		ops[i].size = up->size;
		list_add_tail(&ops[i].node, &list);
	}
	ret = vmmem_publish_ops(vm, &list);
	/* Published: the regions own what their providers gave them. */
	if (!ret)
		vmmem_ops_adopt(ops, nr_updates);
out:
	vmmem_ops_release(ops, i);
	kvfree(ops);
	return ret;
}

/**
 * vmmem_update() - change a map: add and remove regions, all in one step
 * @vm: the map
 * @updates: the changes, applied in array order
 * @nr_updates: number of entries in @updates; 0 changes nothing
 *
 * Readers see the map before the update or after all of it, never a part.
 * A single add or remove is an array of one; removing a region and adding
 * it back at another address or size moves or resizes it in one step, and
 * %VMMEM_REMOVE_ALL followed by adds replaces the whole layout. The memory
 * of every add is built (allocated, pinned and accounted, mapped) before
 * the map's lock is taken. If any update fails, nothing is published and
 * everything built is released: no page stays pinned or accounted.
 *
 * %VMMEM_ADD_MAPPED builds a region with no kernel mapping, whose pages
 * &vmmem_update.mapper maps while copies (iov_iter ones too), single
 * accesses and range checks touch them, and holds of pages it keeps mapped
 * (&vmmem_update.cache_pages); slices, translations and caches refuse such
 * a region (-EFAULT). If the update
 * fails, &vmmem_update.priv stays the caller's; once it succeeds, the
 * region releases it with &vmmem_mapper_ops.release when it goes.
 *
 * %VMMEM_ADD_USER pins the pages of the calling process's range with
 * FOLL_LONGTERM, charges them to its user's RLIMIT_MEMLOCK (unless the
 * caller has CAP_IPC_LOCK; counted in mm->pinned_vm either way) and maps
 * them into one kernel view.
 * The pins do not follow later changes of the user mapping (munmap(),
 * mremap(), MADV_DONTNEED): the VMM removes the region before it changes
 * that mapping. %VMMEM_ADD_PAGES takes a reference on each page and copies
 * the array; the caller may drop its references at any time.
 *
 * Removals return after the memory only they gave up is released (freed,
 * or unpinned and unaccounted, whichever task does it), so the caller may
 * reuse the user range or the memlock budget at once; a region that a
 * snapshot, a held slice or a translation still uses is released when the
 * last of them lets go (vmmem_wait_released() waits for that).
 *
 * Context: Process context (with a user address space for
 * %VMMEM_ADD_USER); sleeps, for an RCU grace period (outside the map's
 * lock) if it removes regions.
 * Return: 0, or the error of the first update (in array order) that
 * fails. Argument errors of every update come first: -EINVAL for an
 * unknown op or flags, a zero size, a misaligned @gpa or @size;
 * -EOVERFLOW if a region would pass 2^64 or its page count does not fit
 * an unsigned long. Then -EEXIST if an added region overlaps one already
 * there (checked before building when the update removes nothing). Then
 * the errors of building: -EINVAL for a misaligned @uaddr, a caller
 * with no user address space or a mapper without @map or @unmap;
 * -EOVERFLOW for a user range that wraps;
 * -ENOMEM when out of memory, over RLIMIT_MEMLOCK or given more pages
 * than RAM; -EFAULT for a user page that is unmapped, cannot be pinned
 * long-term (VM_IO, VM_PFNMAP) or is read-only while the region is
 * writable; -EHWPOISON for a page that a memory error has poisoned;
 * -EINTR for a fatal signal while pinning. Last, at
 * publication: -EEXIST if an add overlaps the map as the earlier updates
 * leave it, -ENOENT if a removed region does not exist exactly as added,
 * -ENOMEM.
 */
int vmmem_update(struct vmmem *vm, const struct vmmem_update *updates,
		 unsigned int nr_updates)
{
	u64 start = ktime_get_ns();
	int ret = __vmmem_update(vm, updates, nr_updates);

	trace_vmmem_commit(vm->name, nr_updates, READ_ONCE(vm->generation),
			   ret, ktime_get_ns() - start);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_update, VMMEM_NS);
