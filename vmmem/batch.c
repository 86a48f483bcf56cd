// SPDX-License-Identifier: GPL-2.0-only
/*
 * Updates of the map. Every update, a single add or remove as much as a
 * batch, copies the current layout's tree, applies its operations to the
 * copy, builds the copy's lookup array and publishes it in one pointer
 * store: readers never see a half-applied update, and an update that fails
 * part-way publishes nothing. Regions to add are fully built (allocated, pinned, mapped)
 * before the map's lock is taken.
 */
#include <linux/err.h>
#include <linux/list.h>
#include <linux/slab.h>

#include "vmmem.h"

enum vmmem_op_type { VMMEM_OP_ADD, VMMEM_OP_REMOVE, VMMEM_OP_REMOVE_ALL };

/**
 * struct vmmem_op - one operation of an update
 * @node: in the batch's list, in the order the caller gave
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

/**
 * struct vmmem_batch - operations published together
 * @vm: the map
 * @ops: the operations, applied in order
 * @error: the first error met while building; commit then fails with it
 */
struct vmmem_batch {
	struct vmmem *vm;
	struct list_head ops;
	int error;
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
 * Build the next layout from the current one and @ops, and publish it.
 * On failure nothing is published. The ops keep their region references
 * either way; the caller drops them.
 */
static int vmmem_update(struct vmmem *vm, struct list_head *ops)
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
	vmmem_departed_attach(vm, &departed);
	mutex_unlock(&vm->lock);
	/*
	 * Adds release nothing: the old layout goes after a grace period,
	 * and N adds cost no grace period at all. Removals wait (without the
	 * lock) so that memory only they gave up is released on return.
	 */
	vmmem_layout_retire(old, removes);
	return 0;
}

/* Drop the ops and their region references: published regions survive. */
static void vmmem_ops_free(struct list_head *ops)
{
	struct vmmem_op *op, *next;

	list_for_each_entry_safe(op, next, ops, node) {
		if (op->region)
			vmmem_region_put_sync(op->region);
		list_del(&op->node);
		kfree(op);
	}
}

/**
 * vmmem_add_prepare() - the checks of an add, before anything is built
 * @vm: the map
 * @gpa: first guest-physical address of the new region
 * @size: its size
 * @flags: its flags
 *
 * Return: 0, -EPERM for a snapshot, the argument errors of
 * vmmem_check_new_region(), or -EEXIST if the range is already in use.
 */
int vmmem_add_prepare(struct vmmem *vm, u64 gpa, u64 size, unsigned int flags)
{
	int ret;

	if (vm->frozen)
		return -EPERM;
	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ret;
	/* Fail fast, before allocating or pinning what may be gigabytes. */
	if (vmmem_range_in_use(vm, gpa, size))
		return -EEXIST;
	return 0;
}

/**
 * vmmem_add_region() - publish one prepared region
 * @vm: the live map
 * @region: from a vmmem_prepare_*() function; consumed
 *
 * Context: Process context; sleeps.
 * Return: 0, -EEXIST on overlap, -ENOMEM.
 */
int vmmem_add_region(struct vmmem *vm, struct vmmem_region *region)
{
	struct vmmem_op op = { .type = VMMEM_OP_ADD, .region = region };
	LIST_HEAD(ops);

	int ret;

	list_add(&op.node, &ops);
	ret = vmmem_update(vm, &ops);
	vmmem_region_put_sync(region);
	return ret;
}

/**
 * vmmem_remove() - remove one region from a map
 * @vm: the map
 * @gpa: the region's first guest-physical address, exactly as added
 * @size: the region's size, exactly as added
 *
 * The region disappears from new lookups at once. Accesses already under
 * way finish on the old memory; then, unless a snapshot or a held slice
 * still uses the region, its memory is released (freed, or unpinned and
 * unaccounted) before this returns, so the caller may reuse the user range
 * or the memlock budget at once. A held region is released when its last
 * holder lets go.
 *
 * Context: Process context; sleeps for an RCU grace period, without
 * holding the map's lock, so other updates go on meanwhile.
 * Return: 0, -EPERM for a snapshot, -ENOENT if no region starts at @gpa
 * with exactly @size bytes, or -ENOMEM (the map is then unchanged).
 */
int vmmem_remove(struct vmmem *vm, u64 gpa, u64 size)
{
	struct vmmem_op op = { .type = VMMEM_OP_REMOVE, .gpa = gpa, .size = size };
	LIST_HEAD(ops);

	if (vm->frozen)
		return -EPERM;
	list_add(&op.node, &ops);
	return vmmem_update(vm, &ops);
}
EXPORT_SYMBOL_NS_GPL(vmmem_remove, VMMEM_NS);

/**
 * vmmem_batch_create() - start a batch of updates published together
 * @vm: the map
 *
 * Add operations with vmmem_batch_add_*(), vmmem_batch_remove() and
 * vmmem_batch_remove_all(), then publish them all at once with
 * vmmem_batch_commit() or drop them with vmmem_batch_abort(). Operations
 * apply in the order given, so removing a region and adding it back at
 * another address or size moves or resizes it in one step.
 *
 * Context: Process context; may sleep.
 * Return: the batch, ERR_PTR(-EPERM) for a snapshot or ERR_PTR(-ENOMEM).
 */
struct vmmem_batch *vmmem_batch_create(struct vmmem *vm)
{
	struct vmmem_batch *batch;

	if (vm->frozen)
		return ERR_PTR(-EPERM);
	batch = kzalloc(sizeof(*batch), GFP_KERNEL_ACCOUNT);
	if (!batch)
		return ERR_PTR(-ENOMEM);
	batch->vm = vm;
	INIT_LIST_HEAD(&batch->ops);
	return batch;
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_create, VMMEM_NS);

/* Record an operation; the first error sticks to the batch. */
static int vmmem_batch_push(struct vmmem_batch *batch, enum vmmem_op_type type,
			    struct vmmem_region *region, u64 gpa, u64 size)
{
	struct vmmem_op *op;

	if (IS_ERR(region)) {
		batch->error = batch->error ?: PTR_ERR(region);
		return PTR_ERR(region);
	}
	op = kzalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	if (!op) {
		if (region)
			vmmem_region_abort(region);
		batch->error = batch->error ?: -ENOMEM;
		return -ENOMEM;
	}
	op->type = type;
	op->region = region;
	op->gpa = gpa;
	op->size = size;
	list_add_tail(&op->node, &batch->ops);
	return 0;
}

/**
 * vmmem_batch_add_vmalloc() - add a vmalloc-backed region to a batch
 * @batch: the batch
 * @gpa: as for vmmem_add_vmalloc()
 * @size: as for vmmem_add_vmalloc()
 * @flags: as for vmmem_add_vmalloc()
 *
 * The memory is allocated now; overlaps are checked at commit, against
 * the map as the batch's earlier operations leave it.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the argument and memory errors of vmmem_add_vmalloc(); an
 * error also makes vmmem_batch_commit() fail.
 */
int vmmem_batch_add_vmalloc(struct vmmem_batch *batch, u64 gpa, u64 size,
			    unsigned int flags)
{
	return vmmem_batch_push(batch, VMMEM_OP_ADD,
				vmmem_prepare_vmalloc(gpa, size, flags), 0, 0);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_add_vmalloc, VMMEM_NS);

/**
 * vmmem_batch_add_user() - add a region of pinned user memory to a batch
 * @batch: the batch
 * @gpa: as for vmmem_add_user()
 * @uaddr: as for vmmem_add_user()
 * @size: as for vmmem_add_user()
 * @flags: as for vmmem_add_user()
 *
 * The pages are pinned and accounted now, and released if the batch is
 * aborted or fails.
 *
 * Context: Process context with a user address space; may sleep.
 * Return: 0, or the argument, pinning and memory errors of
 * vmmem_add_user(); an error also makes vmmem_batch_commit() fail.
 */
int vmmem_batch_add_user(struct vmmem_batch *batch, u64 gpa,
			 unsigned long uaddr, u64 size, unsigned int flags)
{
	return vmmem_batch_push(batch, VMMEM_OP_ADD,
				vmmem_prepare_user(gpa, uaddr, size, flags), 0, 0);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_add_user, VMMEM_NS);

/**
 * vmmem_batch_add_pages() - add a region of the caller's pages to a batch
 * @batch: the batch
 * @gpa: as for vmmem_add_pages()
 * @pages: as for vmmem_add_pages()
 * @npages: as for vmmem_add_pages()
 * @flags: as for vmmem_add_pages()
 *
 * Context: Process context; may sleep.
 * Return: 0, or the argument and memory errors of vmmem_add_pages(); an
 * error also makes vmmem_batch_commit() fail.
 */
int vmmem_batch_add_pages(struct vmmem_batch *batch, u64 gpa,
			  struct page **pages, unsigned long npages,
			  unsigned int flags)
{
	return vmmem_batch_push(batch, VMMEM_OP_ADD,
				vmmem_prepare_pages(gpa, pages, npages, flags),
				0, 0);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_add_pages, VMMEM_NS);

/**
 * vmmem_batch_remove() - remove a region as part of a batch
 * @batch: the batch
 * @gpa: the region's first guest-physical address, exactly as added
 * @size: the region's exact size
 *
 * The region must exist when the batch's earlier operations have applied;
 * that is checked at commit.
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM; an error also makes vmmem_batch_commit() fail.
 */
int vmmem_batch_remove(struct vmmem_batch *batch, u64 gpa, u64 size)
{
	return vmmem_batch_push(batch, VMMEM_OP_REMOVE, NULL, gpa, size);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_remove, VMMEM_NS);

/**
 * vmmem_batch_remove_all() - remove every region as part of a batch
 * @batch: the batch
 *
 * Followed by adds, this replaces the whole layout in one step.
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM; an error also makes vmmem_batch_commit() fail.
 */
int vmmem_batch_remove_all(struct vmmem_batch *batch)
{
	return vmmem_batch_push(batch, VMMEM_OP_REMOVE_ALL, NULL, 0, 0);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_remove_all, VMMEM_NS);

static void vmmem_batch_free(struct vmmem_batch *batch)
{
	vmmem_ops_free(&batch->ops);
	kfree(batch);
}

/**
 * vmmem_batch_commit() - publish a batch in one step, or nothing
 * @batch: the batch; consumed whatever the result
 *
 * Readers see the map before the batch or after all of it. If any
 * operation fails, nothing is published and the regions the batch built
 * are released. Like vmmem_remove(), returns after removed regions that
 * nobody holds are released.
 *
 * Context: Process context; sleeps, for an RCU grace period (outside the
 * map's lock) if the batch removes regions.
 * Return: 0; the first error met while building the batch; -EEXIST if an
 * added region overlaps; -ENOENT if a removed region does not exist
 * exactly; -ENOMEM.
 */
int vmmem_batch_commit(struct vmmem_batch *batch)
{
	int ret = batch->error;

	if (!ret)
		ret = vmmem_update(batch->vm, &batch->ops);
	vmmem_batch_free(batch);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_commit, VMMEM_NS);

/**
 * vmmem_batch_abort() - drop a batch without publishing anything
 * @batch: the batch, or NULL; consumed
 *
 * Context: Process context; may sleep (pinned pages are released).
 */
void vmmem_batch_abort(struct vmmem_batch *batch)
{
	if (batch)
		vmmem_batch_free(batch);
}
EXPORT_SYMBOL_NS_GPL(vmmem_batch_abort, VMMEM_NS);
