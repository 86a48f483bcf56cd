// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest-physical map: an RCU-protected pointer to the current layout (an
 * immutable set of regions, as a maple tree for updates and a sorted array
 * for lookups), reference counts on maps, layouts and regions, and what the
 * map reports about itself.
 *
 * Lifetimes, from the outside in:
 *  - vm->users counts users of a live map; the last vmmem_put() publishes
 *    an empty layout, which releases every region nobody holds.
 *  - a layout is referenced by the live map's pointer and by snapshots;
 *    the last reference frees it after a grace period, dropping its region
 *    references.
 *  - a region is referenced by the layouts that contain it and by held
 *    slices; the last reference releases its memory.
 *  - vm->refs keeps struct vmmem (and the lock guarding every layout's
 *    tree) until the last layout is gone.
 */
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "vmmem.h"
#include "vmmem_trace.h"

static void vmmem_free_work(struct work_struct *work)
{
	struct vmmem *vm = container_of(work, struct vmmem, destroy_work);

	free_percpu(vm->hint);
	free_percpu(vm->stats);
	kfree(vm->name);
	mutex_destroy(&vm->dirty_lock);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

/* Drop a reference on the structure, from any context. */
void vmmem_unref(struct vmmem *vm)
{
	if (refcount_dec_and_test(&vm->refs)) {
		/* Possibly called from a layout's free work under vm->lock. */
		INIT_WORK(&vm->destroy_work, vmmem_free_work);
		queue_work(vmmem_wq, &vm->destroy_work);
	}
}

/* The last reference is gone: give the memory back. May sleep. */
static void vmmem_region_free(struct vmmem_region *region)
{
	struct vmmem *removed_from = region->removed_from;
	struct vmmem *vm = region->vm;

	region->ops->release(region);
	/* A departed region's bitmap belongs to its record. */
	if (region->departed)
		vmmem_departed_region_gone(region);
	else
		kvfree(region->dirty);
	kfree(region);
	/* Released, memory and all: a VMM waiting for it may go on. */
	if (removed_from) {
		if (atomic_dec_and_test(&removed_from->nr_removed))
			wake_up_all(&removed_from->released_wait);
		vmmem_unref(removed_from);
	}
	if (vm)
		vmmem_unref(vm);
}

/**
 * vmmem_note_removed() - count the regions an update removes
 * @vm: the live map
 * @old: the layout just replaced
 * @new: the layout just published
 *
 * Every region of @old that @new lacks is released only when its last
 * user lets go; vmmem_wait_released() waits for that.
 *
 * Context: @vm->lock held.
 */
void vmmem_note_removed(struct vmmem *vm, struct vmmem_layout *old,
			struct vmmem_layout *new)
{
	struct vmmem_region *region;
	unsigned int i;

	lockdep_assert_held(&vm->lock);
	for (i = 0; i < old->nr_regions; i++) {
		region = old->regions[i];
		if (region->removed_from ||
		    mtree_load(&new->tree, region->gpa) == region)
			continue;
		refcount_inc(&vm->refs);
		atomic_inc(&vm->nr_removed);
		region->removed_from = vm;
	}
}

/**
 * vmmem_wait_released() - wait until removed guest memory is released
 * @vm: the map
 * @timeout: how long to wait, in jiffies; %MAX_SCHEDULE_TIMEOUT for ever
 *
 * vmmem_update() returns once the regions it removed are released, unless
 * a held slice, a translation or a snapshot still uses one: that region is
 * released when the last of them lets go. This waits for those, so that a
 * VMM knows when no device can reach the memory any more (and, for user
 * regions, the pages are unpinned and the memlock charge returned). It
 * covers every region removed from @vm so far, including any removed
 * while it waits. vmmem_synchronize() is not this: it waits for work of
 * every map, not for holders.
 *
 * Context: Process context; sleeps, killable.
 * Return: 0 once every removed region is released; -ETIMEDOUT if @timeout
 * passed first; -EINTR if a fatal signal arrived first.
 */
int vmmem_wait_released(struct vmmem *vm, unsigned long timeout)
{
	long ret;

	might_sleep();
	ret = wait_event_killable_timeout(vm->released_wait,
					  !atomic_read(&vm->nr_removed),
					  timeout);
	if (ret < 0)
		return -EINTR;
	return ret ? 0 : -ETIMEDOUT;
}
EXPORT_SYMBOL_NS_GPL(vmmem_wait_released, VMMEM_NS);

static void vmmem_region_release_work(struct work_struct *work)
{
	struct vmmem_region *region =
		container_of(work, struct vmmem_region, release_work);

	vmmem_region_free(region);
}

void vmmem_region_get(struct vmmem_region *region)
{
	refcount_inc(&region->ref);
}

/* Drop a region reference from any context; release later if last. */
void vmmem_region_put(struct vmmem_region *region)
{
	if (refcount_dec_and_test(&region->ref)) {
		trace_vmmem_release_deferred(region->vm->name, region->gpa,
					     region->size,
					     region->flags & VMMEM_REGION_FLAGS);
		INIT_WORK(&region->release_work, vmmem_region_release_work);
		queue_work(vmmem_wq, &region->release_work);
	}
}

/* Drop a region reference in process context; release now if last. */
void vmmem_region_put_sync(struct vmmem_region *region)
{
	might_sleep();
	if (refcount_dec_and_test(&region->ref))
		vmmem_region_free(region);
}

/**
 * vmmem_layout_alloc() - an empty layout for @vm, not yet published
 * @vm: the live map
 *
 * Return: the layout with one reference, or NULL.
 */
struct vmmem_layout *vmmem_layout_alloc(struct vmmem *vm)
{
	struct vmmem_layout *layout;

	layout = kzalloc(sizeof(*layout), GFP_KERNEL_ACCOUNT);
	if (!layout)
		return NULL;
	/*
	 * Not MT_FLAGS_USE_RCU: only updates, under vm->lock, walk the tree
	 * (readers search the layout's array), and a published tree is never
	 * written again.
	 */
	mt_init_flags(&layout->tree, MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&layout->tree, &vm->lock);
	refcount_set(&layout->ref, 1);
	layout->vm = vm;
	refcount_inc(&vm->refs);

	/* The frozen view a snapshot of this layout hands out. */
	mutex_init(&layout->view.lock);
	layout->view.hint = vm->hint;
	layout->view.name = vm->name;
	layout->view.stats = vm->stats;
	layout->view.frozen = layout;
	RCU_INIT_POINTER(layout->view.layout, layout);
	return layout;
}

/*
 * Free a layout no reader can reach any more: unpublished, no references,
 * a grace period after it was unpublished. The caller holds vm->lock (the
 * tree's external lock) and drops the layout's vm->refs afterwards.
 */
static void vmmem_layout_free_locked(struct vmmem_layout *layout)
{
	unsigned int i;

	for (i = 0; i < layout->nr_regions; i++)
		vmmem_region_put_sync(layout->regions[i]);
	__mt_destroy(&layout->tree);
	kvfree(layout->search_tree);
	kvfree(layout->regions);
	mutex_destroy(&layout->view.lock);
	kfree(layout);
}

/**
 * vmmem_layout_discard() - free a layout that was never published
 * @layout: built by an update that failed; once indexed (its @regions
 *	array exists), it holds a reference on each region, dropped here
 *
 * None of those references is the last: the current layout, or the
 * failed update's ops, hold the regions too.
 *
 * Context: The caller holds @layout->vm->lock.
 */
void vmmem_layout_discard(struct vmmem_layout *layout)
{
	struct vmmem *vm = layout->vm;
	unsigned int i;

	for (i = 0; layout->regions && i < layout->nr_regions; i++)
		vmmem_region_put_sync(layout->regions[i]);
	__mt_destroy(&layout->tree);
	kvfree(layout->search_tree);
	kvfree(layout->regions);
	mutex_destroy(&layout->view.lock);
	kfree(layout);
	vmmem_unref(vm);
}

/*
 * The node of a complete binary search tree of @height levels (breadth-first,
 * root 1) that holds the key of in-order rank @rank: the number of trailing
 * zeros of @rank + 1 says how far above the leaves the node is, the bits
 * above them where it is in its level.
 */
static unsigned long vmmem_search_node(unsigned long rank, unsigned int height)
{
	unsigned long pos = rank + 1;
	unsigned int up = __ffs(pos);

	return (1UL << (height - 1 - up)) + (pos >> (up + 1));
}

/**
 * vmmem_layout_index() - build the lookup arrays of a layout about to be published
 * @layout: fully edited; the caller holds @layout->vm->lock
 *
 * Fills @layout->regions from the tree, in address order, takes the
 * reference the layout holds on each region, and lays their starts out
 * for lookups: as @layout->starts, or as @layout->search_tree above
 * %VMMEM_SORTED_REGIONS regions; and as @layout->few_span for a few. An
 * O(n) step, as is the tree copy that every update starts with.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -ENOMEM with nothing taken.
 */
int vmmem_layout_index(struct vmmem_layout *layout)
{
	MA_STATE(mas, &layout->tree, 0, 0);
	unsigned int n = layout->nr_regions, i = 0;
	bool sorted = n <= VMMEM_SORTED_REGIONS;
	unsigned int height = sorted ? 0 : fls(n);
	struct vmmem_region *region;
	unsigned long nodes, rank;

	if (!n)
		return 0;
	/* The starts, or 2^height - 1 >= n nodes and the unused entry 0. */
	nodes = sorted ? n : 1UL << height;
	layout->search_tree = kvmalloc_array(nodes, sizeof(*layout->search_tree),
					     GFP_KERNEL_ACCOUNT);
	layout->regions = kvmalloc_array(n, sizeof(*layout->regions),
					 GFP_KERNEL_ACCOUNT);
	if (!layout->search_tree || !layout->regions) {
		kvfree(layout->search_tree);
		kvfree(layout->regions);
		layout->search_tree = NULL;
		layout->regions = NULL;
		return -ENOMEM;
	}
	mas_for_each(&mas, region, ULONG_MAX) {
		if (WARN_ON_ONCE(i == n))
			break;
		layout->regions[i++] = region;
		vmmem_region_get(region);
	}
	WARN_ON_ONCE(i != n);
	layout->height = height;

	for (rank = 0; i && rank < VMMEM_FEW_REGIONS; rank++) {
		region = layout->regions[min_t(unsigned long, rank, i - 1)];
		layout->few[rank] = region;
		if (rank < i)
			layout->few_span[rank] = (struct vmmem_span){
				.gpa = region->gpa,
				.size = region->size,
			};
	}
	if (sorted) {
		for (rank = 0; rank < n; rank++)
			layout->starts[rank] = rank < i ? layout->regions[rank]->gpa :
							  U64_MAX;
		return 0;
	}
	layout->search_tree[0] = U64_MAX;
	for (rank = 0; rank < nodes - 1; rank++)
		layout->search_tree[vmmem_search_node(rank, height)] =
			rank < i ? layout->regions[rank]->gpa : U64_MAX;
	return 0;
}

static void vmmem_layout_free_work(struct work_struct *work)
{
	struct vmmem_layout *layout =
		container_of(to_rcu_work(work), struct vmmem_layout, free_work);
	struct vmmem *vm = layout->vm;

	mutex_lock(&vm->lock);
	vmmem_layout_free_locked(layout);
	mutex_unlock(&vm->lock);
	atomic_dec(&vm->retiring);
	vmmem_unref(vm);
}

/* Drop a layout reference from any context. */
static void vmmem_layout_put(struct vmmem_layout *layout)
{
	if (refcount_dec_and_test(&layout->ref)) {
		atomic_inc(&layout->vm->retiring);
		INIT_RCU_WORK(&layout->free_work, vmmem_layout_free_work);
		queue_rcu_work(vmmem_wq, &layout->free_work);
	}
}

/**
 * vmmem_layout_publish() - make @layout the map's current layout
 * @vm: the live map; the caller holds @vm->lock
 * @layout: fully built, with the reference that the map's pointer takes over
 *
 * Readers see the old layout or the new one, never a mix: the
 * rcu_assign_pointer() here pairs with the rcu_dereference() of every
 * lookup, so a reader that sees @layout sees it (and its regions) fully
 * built. Does not wait: readers may still use the old layout, which the
 * caller hands to vmmem_layout_retire() after dropping @vm->lock.
 *
 * Context: Process context.
 * Return: the old layout, with the reference the map's pointer had.
 */
struct vmmem_layout *vmmem_layout_publish(struct vmmem *vm,
					  struct vmmem_layout *layout)
{
	struct vmmem_layout *old = rcu_dereference_protected(vm->layout,
						lockdep_is_held(&vm->lock));

	layout->generation = vm->generation + 1;
	rcu_assign_pointer(vm->layout, layout);
	/*
	 * Cached translations stop matching before anything is released (a
	 * grace period after this at the earliest); a cache that sees the new
	 * generation also sees the new layout: this release pairs with the
	 * acquire in the cache's resolve.
	 */
	smp_store_release(&vm->generation, layout->generation);
	/* The IOVA spaces over the map translate through it: theirs too. */
	vmmem_iova_changed(vm);
	return old;
}

/**
 * vmmem_layout_retire() - let go of a layout that vmmem_layout_publish() replaced
 * @old: the layout it returned
 * @wait: wait for the readers of @old, so that the regions only @old held
 *	are released before this returns (removals promise it); otherwise
 *	@old goes after a grace period, from a workqueue
 *
 * Context: Process context, @old->vm->lock not held; sleeps if @wait.
 */
void vmmem_layout_retire(struct vmmem_layout *old, bool wait)
{
	struct vmmem *vm = old->vm;

	if (!wait) {
		vmmem_layout_put(old);
		return;
	}
	synchronize_rcu();
	/*
	 * Older layouts that updates retired without waiting may still hold
	 * regions that @old gave up: let them go first.
	 */
	if (atomic_read(&vm->retiring))
		vmmem_synchronize();
	if (refcount_dec_and_test(&old->ref)) {
		mutex_lock(&vm->lock);
		vmmem_layout_free_locked(old);
		mutex_unlock(&vm->lock);
		vmmem_unref(vm);
	}
}

/*
 * A name shows in debugfs and in trace events: letters, digits and
 * "-_.:", at most VMMEM_NAME_MAX - 1 of them.
 */
static bool vmmem_name_valid(const char *name)
{
	size_t len = strnlen(name, VMMEM_NAME_MAX), i;

	if (!len || len == VMMEM_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("-_.:", name[i]))
			return false;
	return true;
}

/**
 * vmmem_create() - create an empty guest-physical address space
 * @name: what debugfs (vmmem/<name>/) and trace events call the map: 1 to
 *	%VMMEM_NAME_MAX - 1 letters, digits or "-_.:", copied; a device's
 *	name and its VMM's pid, say. Names need not be unique: a second
 *	map of a name gets a numbered debugfs directory
 * @flags: 0, or %VMMEM_MC_SAFE: copies out of guest memory survive
 *	hardware memory errors where the architecture can recover them
 *	(see vmmem_copy_from_guest()), at the cost of a call per copy
 *
 * The caller owns the one reference of the new map and drops it with
 * vmmem_put().
 *
 * Context: Process context; may sleep.
 * Return: the new map, ERR_PTR(-EINVAL) for an invalid @name or unknown
 * @flags, or ERR_PTR(-ENOMEM).
 */
struct vmmem *vmmem_create(const char *name, unsigned int flags)
{
	struct vmmem_layout *layout;
	struct vmmem *vm;

	if (!name || !vmmem_name_valid(name) || (flags & ~VMMEM_CREATE_FLAGS))
		return ERR_PTR(-EINVAL);
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	vm->flags = flags;
	vm->name = kstrdup(name, GFP_KERNEL_ACCOUNT);
	vm->hint = alloc_percpu_gfp(unsigned int, GFP_KERNEL_ACCOUNT);
	vm->stats = alloc_percpu_gfp(struct vmmem_stats, GFP_KERNEL_ACCOUNT);
	if (!vm->name || !vm->hint || !vm->stats)
		goto free_vm;
	mutex_init(&vm->lock);
	mutex_init(&vm->dirty_lock);
	spin_lock_init(&vm->departed_lock);
	INIT_LIST_HEAD(&vm->departed);
	init_waitqueue_head(&vm->released_wait);
	INIT_LIST_HEAD(&vm->iovas);
	refcount_set(&vm->users, 1);
	refcount_set(&vm->refs, 1);

	layout = vmmem_layout_alloc(vm);
	if (!layout) {
		mutex_destroy(&vm->dirty_lock);
		mutex_destroy(&vm->lock);
		goto free_vm;
	}
	RCU_INIT_POINTER(vm->layout, layout);
	vmmem_debugfs_add(vm);
	return vm;

free_vm:
	free_percpu(vm->stats);
	free_percpu(vm->hint);
	kfree(vm->name);
	kfree(vm);
	return ERR_PTR(-ENOMEM);
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

/* The last user is gone: empty the map, then let go of the structure. */
static void vmmem_destroy(struct vmmem *vm)
{
	struct vmmem_layout *empty = vmmem_layout_alloc(vm);
	struct vmmem_layout *old;

	/* Waits for readers of its files, which look at @vm. */
	vmmem_debugfs_remove(vm);

	mutex_lock(&vm->lock);
	if (empty) {
		old = vmmem_layout_publish(vm, empty);
		mutex_unlock(&vm->lock);
		vmmem_layout_retire(old, true);
		old = empty;
	} else {
		/*
		 * No memory for an empty layout: nobody can look any more, so
		 * the current one is retired in place, and its regions are
		 * still released before this returns, as documented.
		 */
		old = rcu_dereference_protected(vm->layout,
						lockdep_is_held(&vm->lock));
		mutex_unlock(&vm->lock);
		vmmem_layout_retire(old, true);
		old = NULL;
	}
	if (old)
		vmmem_layout_put(old);
	vmmem_departed_destroy(vm);
	vmmem_unref(vm);
}

/**
 * vmmem_put() - drop a reference on a map
 * @vm: the map, or NULL
 *
 * Dropping the last reference removes every region: regions that no
 * snapshot or held slice still uses are released before this returns.
 *
 * Context: Process context when it may be the last reference (it waits
 * for a grace period); any context otherwise.
 */
void vmmem_put(struct vmmem *vm)
{
	if (vm && refcount_dec_and_test(&vm->users))
		vmmem_destroy(vm);
}
EXPORT_SYMBOL_NS_GPL(vmmem_put, VMMEM_NS);

/**
 * vmmem_snapshot() - take a consistent view of a map
 * @space: the map, or a snapshot (which gives the same view again, with
 *	one more reference)
 *
 * The view sees exactly the regions the map had when it was taken, across
 * any number of accesses and across sleeping; regions removed from the
 * map later stay valid (their memory is not released) until the last
 * snapshot holding them is put. Every access call takes the view as it
 * takes a map; the calls that change a map do not accept it. An IOVA
 * space has no snapshots (its entries change one by one).
 *
 * Context: Any context; does not sleep, and cannot fail for a map or a
 * snapshot.
 * Return: the snapshot; drop it with vmmem_snapshot_put().
 * ERR_PTR(-EOPNOTSUPP) for an IOVA space.
 */
struct vmmem_snapshot *vmmem_snapshot(union vmmem_space space)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_layout *layout;

	if (vm->iova)
		return ERR_PTR(-EOPNOTSUPP);
	if (vm->frozen) {
		refcount_inc(&vm->frozen->ref);
		atomic_inc(&vm->frozen->vm->nr_snapshots);
		return space.snapshot;
	}
	rcu_read_lock();
	do {
		layout = rcu_dereference(vm->layout);
	} while (!refcount_inc_not_zero(&layout->ref));
	rcu_read_unlock();
	atomic_inc(&vm->nr_snapshots);
	/* See vmmem_space_map(): a snapshot is its layout's frozen view. */
	return (struct vmmem_snapshot *)&layout->view;
}
EXPORT_SYMBOL_NS_GPL(vmmem_snapshot, VMMEM_NS);

/**
 * vmmem_snapshot_put() - drop a reference on a snapshot
 * @snap: the snapshot, NULL or an error pointer
 *
 * Never sleeps: what the snapshot alone kept alive (regions removed from
 * the map since) is released later from a workqueue.
 *
 * Context: Any context.
 */
void vmmem_snapshot_put(struct vmmem_snapshot *snap)
{
	struct vmmem_layout *layout;

	if (IS_ERR_OR_NULL(snap))
		return;
	layout = vmmem_space_map(snap)->frozen;
	/* Before the put, which may free the live map with the layout. */
	atomic_dec(&layout->vm->nr_snapshots);
	vmmem_layout_put(layout);
}
EXPORT_SYMBOL_NS_GPL(vmmem_snapshot_put, VMMEM_NS);

/**
 * vmmem_layout_find() - the first region of a layout in a range
 * @layout: a published layout
 * @gpa: first guest-physical address of the range
 * @last: last address of the range, inclusive
 *
 * Context: rcu_read_lock() held, or the layout's map lock.
 * Return: the lowest region with a byte in [@gpa, @last], or NULL.
 */
struct vmmem_region *vmmem_layout_find(struct vmmem_layout *layout, u64 gpa,
				       u64 last)
{
	unsigned long i = vmmem_layout_search(layout, gpa);
	unsigned int n = layout->nr_regions;
	struct vmmem_region *region;

	/* regions[i - 1] starts at or below @gpa; regions[i] above it. */
	if (i) {
		region = layout->regions[array_index_nospec(i - 1, n)];
		if (vmmem_region_last(region) >= gpa)
			return region;
	}
	if (i >= n)
		return NULL;
	region = layout->regions[array_index_nospec(i, n)];
	return region->gpa <= last ? region : NULL;
}

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

/**
 * vmmem_range_in_use() - early overlap check before a costly allocation
 * @vm: the map
 * @gpa: first guest-physical address of the new region
 * @size: its length, already validated
 *
 * Only a hint: the update checks again under the lock.
 *
 * Return: true if some region overlaps [@gpa, @gpa + @size).
 */
bool vmmem_range_in_use(struct vmmem *vm, u64 gpa, u64 size)
{
	bool used;

	rcu_read_lock();
	used = vmmem_layout_find(vmmem_current_layout(vm), gpa, gpa + (size - 1));
	rcu_read_unlock();
	return used;
}

/**
 * vmmem_region_alloc() - a new region, not yet backed or mapped
 * @gpa: first guest-physical address, validated
 * @size: length, validated
 * @flags: VMMEM_REGION_* flags, validated
 * @ops: the backing's operations
 *
 * Return: the region with one reference (its creator's), or NULL.
 */
struct vmmem_region *vmmem_region_alloc(u64 gpa, u64 size, unsigned int flags,
					const struct vmmem_backing_ops *ops)
{
	struct vmmem_region *region;

	region = kzalloc(sizeof(*region), GFP_KERNEL_ACCOUNT);
	if (!region)
		return NULL;
	region->gpa = gpa;
	region->size = size;
	region->npages = size >> PAGE_SHIFT;
	region->flags = flags;
	region->ops = ops;
	refcount_set(&region->ref, 1);
	return region;
}

/**
 * vmmem_rcu_pause() - a pause in a long walk under rcu_read_lock()
 *
 * Ends the read-side section so that a grace period may complete, and
 * gives the CPU away if the caller can be preempted and holds no RCU read
 * lock of its own (a kernel without preempt counts always says it
 * cannot). The walk must look its regions up again afterwards. Out of
 * line, as it runs once per VMMEM_RCU_CHUNK, and so that the tests can
 * count the pauses.
 *
 * Context: rcu_read_lock() held once by vmmem, maybe more by the caller.
 */
noinline void vmmem_rcu_pause(void)
	__must_hold(RCU)
{
	KUNIT_STATIC_STUB_REDIRECT(vmmem_rcu_pause);
	rcu_read_unlock();
	if (preemptible() && !rcu_preempt_depth())
		cond_resched();
	rcu_read_lock();
}

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>
EXPORT_SYMBOL_IF_KUNIT(vmmem_rcu_pause);
#endif

/**
 * vmmem_check_poison() - refuse pages already known to be poisoned
 * @pages: the pages of a new region
 * @npages: how many
 *
 * A page that a hardware memory error has poisoned would take the host
 * down on the first access; memory_failure() marks it (a hugetlb folio
 * on its head), and vmmem checks the mark before mapping.
 *
 * Return: 0, or -EHWPOISON.
 */
int vmmem_check_poison(struct page **pages, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		if (is_page_hwpoison(pages[i]))
			return -EHWPOISON;
	return 0;
}

/**
 * vmmem_region_abort() - release a prepared region that was never published
 * @region: a region from a vmmem_prepare_*() function
 *
 * Context: Process context; may sleep.
 */
void vmmem_region_abort(struct vmmem_region *region)
{
	vmmem_region_put_sync(region);
}

/**
 * vmmem_info() - what a map, snapshot or IOVA space holds
 * @space: the map or snapshot, or an IOVA space
 * @info: filled with the generation, the number of regions and the last
 *	mapped byte, all of one layout; for an IOVA space, the number of
 *	mapped IOVA ranges (an entry that an unmap cut in two counts twice)
 *	and the last mapped IOVA
 *
 * The generation changes with every published change of the map (an
 * update of any number of operations), and before any memory the previous
 * layout referenced can be released; an IOVA space's, with every map and
 * unmap and every change of its map. A snapshot keeps the generation it
 * was taken at. For a live map or an IOVA space, the answer may be stale
 * as soon as it is returned.
 *
 * Context: Any context.
 */
void vmmem_info(union vmmem_space space, struct vmmem_info *info)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_layout *layout;

	if (vm->iova) {
		vmmem_iova_info(vm, info);
		return;
	}
	rcu_read_lock();
	layout = vmmem_current_layout(vm);
	info->generation = layout->generation;
	info->nr_regions = layout->nr_regions;
	info->last_addr = layout->nr_regions ?
		vmmem_region_last(layout->regions[layout->nr_regions - 1]) : 0;
	rcu_read_unlock();
}
EXPORT_SYMBOL_NS_GPL(vmmem_info, VMMEM_NS);

/**
 * vmmem_region_info() - describe the region that contains a guest address
 * @space: the map or snapshot, or an IOVA space
 * @gpa: any guest-physical address inside the region; in an IOVA space,
 *	an IOVA mapped onto it (the description is in guest-physical terms)
 * @info: filled on success
 *
 * The description is a copy: it stays readable after the region is gone,
 * but says nothing about the map after this returns.
 *
 * Context: Any context.
 * Return: 0 on success, -ENOENT if @gpa is in a hole (or is an IOVA that
 * no entry maps).
 */
int vmmem_region_info(union vmmem_space space, u64 gpa,
		      struct vmmem_region_info *info)
{
	struct vmmem *vm = vmmem_space_map(space);
	const struct vmmem_region *region;
	struct vmmem_xlate x;
	int ret = -ENOENT;

	rcu_read_lock();
	region = vmmem_lookup(vm, gpa);
	if (!region && vm->iova) {
		x = vmmem_iova_resolve(vm, gpa, 0);
		if (!x.ret)
			region = x.region;
	}
	if (region) {
		*info = (struct vmmem_region_info) {
			.gpa = region->gpa,
			.size = region->size,
			.flags = region->flags & VMMEM_REGION_FLAGS,
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

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>

/* For tests: references on the region at @gpa (0 if none), under RCU. */
unsigned int vmmem_kunit_region_refs(struct vmmem *vm, u64 gpa)
{
	struct vmmem_region *region;
	unsigned int refs = 0;

	/* Layouts that updates retired without waiting go first. */
	vmmem_synchronize();
	rcu_read_lock();
	region = vmmem_lookup(vm, gpa);
	if (region)
		refs = refcount_read(&region->ref);
	rcu_read_unlock();
	return refs;
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_kunit_region_refs);

/* For tests: @cpu's lookup guess. */
unsigned int vmmem_kunit_hint(struct vmmem *vm, unsigned int cpu)
{
	return READ_ONCE(*per_cpu_ptr(vm->hint, cpu));
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_kunit_hint);

/* For tests: departed-region records, once pending frees have run. */
unsigned int vmmem_kunit_departed(struct vmmem *vm)
{
	struct vmmem_departed *rec;
	unsigned int n = 0;

	vmmem_synchronize();
	spin_lock_irq(&vm->departed_lock);
	list_for_each_entry(rec, &vm->departed, node)
		n++;
	spin_unlock_irq(&vm->departed_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_kunit_departed);
#endif
