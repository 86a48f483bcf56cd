// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA spaces: the addresses a device behind an IOMMU (a virtual IOMMU, or
 * a vDPA device that vhost-vdpa programs) uses instead of guest-physical
 * ones. Entries [iova, iova + size) -> [gpa, gpa + size) of one map, each
 * with its own permission, live in a maple tree in RCU mode: a map or an
 * unmap is O(log n) under the space's mutex, and readers walk the tree
 * under RCU without any lock. An access translates its IOVA through the
 * entry and then looks the guest-physical address up in the map like any
 * access: guest memory removed under an entry faults, and dirty logging
 * marks guest-physical pages.
 *
 * The space is handed to access calls as a struct vmmem (its view) whose
 * layout is empty, so that the map's inline lookups miss at once and only
 * then test for an IOVA space: maps pay nothing for it.
 */
#include <linux/kcsan-checks.h>
#include <linux/maple_tree.h>
#include <linux/slab.h>

#include "vmmem.h"

/**
 * struct vmmem_iova_entry - one mapping, as vmmem_iova_map() made it
 * @iova: its first IOVA
 * @gpa: the guest-physical address of @iova
 * @perm: %VMMEM_READ and/or %VMMEM_WRITE
 * @ranges: ranges of the tree that point here: an unmap in the middle of
 *	an entry leaves two; changed under the space's lock only
 * @next: on the list of entries an unmap frees
 * @rcu: frees it after the readers that may have found it
 *
 * What readers use (@iova, @gpa, @perm) never changes: an unmap only cuts
 * the ranges of the tree that point here, which bound each access.
 */
struct vmmem_iova_entry {
	u64 iova;
	u64 gpa;
	unsigned int perm;
	unsigned int ranges;
	struct vmmem_iova_entry *next;
	struct rcu_head rcu;
};

/**
 * struct vmmem_iova - an I/O virtual address space over a map
 * @view: what access calls take: a struct vmmem whose @iova points here,
 *	with an empty layout; its @generation is the space's, which moves
 *	with every change of the space and of the map
 * @vm: the map, with a user reference
 * @tree: IOVA range -> &struct vmmem_iova_entry; RCU mode, external lock
 *	@lock
 * @lock: serialises changes of @tree, of @nr_ranges and of the generation
 * @node: in @vm->iovas, under @vm->lock
 * @miss: the miss hook, or NULL
 * @priv: its argument
 * @nr_ranges: ranges in @tree
 * @rcu: frees the structure after readers that raced with its end
 */
struct vmmem_iova {
	struct vmmem view;
	struct vmmem *vm;
	struct maple_tree tree;
	struct mutex lock;	/* see @lock above */
	struct list_head node;
	vmmem_iova_miss_t miss;
	void *priv;
	unsigned long nr_ranges;
	struct rcu_head rcu;
};

/* The layout of every IOVA space's view: no region, never changes. */
static struct vmmem_layout vmmem_iova_no_layout;

/*
 * A reader's walk of the tree under RCU. The maple tree's RCU readers race
 * with its writer by design: the writer builds new nodes, links them in and
 * frees the old ones through call_rcu() (whose head overlays the node), and
 * a reader that meets a dead node walks again. KCSAN reports those plain
 * accesses of the library's own on both sides (seen on the smp-kcsan lane,
 * in mtree_range_walk() against mas_topiary_replace(), mas_put_in_tree()
 * and call_rcu()), so it does not watch the walks, and only them: our own
 * accesses around them, and the writer's, stay watched.
 */
#define vmmem_iova_rcu_walk(expr)					\
({									\
	typeof(expr) __found;						\
									\
	kcsan_disable_current();					\
	__found = (expr);						\
	kcsan_enable_current();						\
	__found;							\
})

/**
 * vmmem_iova_resolve() - translate the IOVA at which a piece starts
 * @vm: the view of an IOVA space
 * @addr: the IOVA
 * @access: %VMMEM_READ and/or %VMMEM_WRITE; 0 checks no permission
 *
 * Returns its answer by value, not through pointers to the caller's
 * variables, which would keep them in memory on the hot path of every
 * walk (and give it a stack canary) for maps that have no IOVA at all.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the region behind @addr, the guest-physical address of @addr and
 * the offset of the piece's last byte (it ends where the entry's range or
 * the region ends, whichever comes first), with @ret 0; else @ret is
 * -ENOENT if no entry holds @addr and the space has a miss hook, -EFAULT
 * for a miss without one, an entry or a region that does not permit
 * @access, or a hole in guest memory under the entry.
 */
struct vmmem_xlate vmmem_iova_resolve(struct vmmem *vm, u64 addr,
				      unsigned int access)
{
	MA_STATE(mas, &vm->iova->tree, addr, addr);
	struct vmmem_iova *iova = vm->iova;
	struct vmmem_iova_entry *entry;
	struct vmmem_xlate x = { .ret = -EFAULT };

	entry = vmmem_iova_rcu_walk(mas_walk(&mas));
	if (!entry) {
		if (iova->miss)
			x.ret = -ENOENT;
		return x;
	}
	if (access & ~entry->perm)
		return x;
	/* mas.index <= addr <= mas.last, inside the entry's own range. */
	x.gpa = entry->gpa + (addr - entry->iova);
	x.region = vmmem_lookup(iova->vm, x.gpa);
	if (!x.region || !vmmem_region_permits(x.region, access))
		return x;
	x.last = min_t(u64, mas.last - addr, vmmem_region_last(x.region) - x.gpa);
	x.ret = 0;
	return x;
}

/**
 * vmmem_iova_miss() - let an IOVA space's miss hook map what a walk missed
 * @vm: the view of an IOVA space with a miss hook
 * @addr: the IOVA that no entry holds
 * @access: what the access wanted
 *
 * Drops the caller's RCU read lock around the hook: whatever the caller
 * found under it before is stale afterwards, unless held. Callers go
 * through vmmem_miss_call(), which calls it once per address.
 *
 * Context: rcu_read_lock() held once by the caller, which the hook's
 * context must allow to drop (see vmmem_iova_create()).
 * Return: 0 to look again, or the hook's error.
 */
int vmmem_iova_miss(struct vmmem *vm, u64 addr, unsigned int access)
{
	struct vmmem_iova *iova = vm->iova;
	int ret;

	rcu_read_unlock();
	ret = iova->miss(iova->priv, addr, access);
	rcu_read_lock();
	return min(ret, 0);
}

/* A change is visible: caches resolved before it must resolve again. */
static void vmmem_iova_bump(struct vmmem_iova *iova)
{
	lockdep_assert_held(&iova->lock);
	/*
	 * After the change: a cache that sees the new generation sees the
	 * change too. Pairs with the acquire in the cache's resolve.
	 */
	smp_store_release(&iova->view.generation, iova->view.generation + 1);
}

/**
 * vmmem_iova_changed() - the map behind IOVA spaces published a layout
 * @vm: the live map
 *
 * Moves the generation of every IOVA space over @vm, after the map's own,
 * so that their caches resolve again.
 *
 * Context: @vm->lock held; takes each space's lock.
 */
void vmmem_iova_changed(struct vmmem *vm)
{
	struct vmmem_iova *iova;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(iova, &vm->iovas, node) {
		mutex_lock(&iova->lock);
		vmmem_iova_bump(iova);
		mutex_unlock(&iova->lock);
	}
}

/* Page-aligned, non-empty, and not past 2^64 - 1. */
static bool vmmem_iova_range_valid(u64 addr, u64 size)
{
	return size && PAGE_ALIGNED(addr) && PAGE_ALIGNED(size) &&
	       size - 1 <= U64_MAX - addr;
}

/**
 * vmmem_iova_create() - create an empty IOVA space over a map
 * @vm: the map whose guest-physical addresses the entries point at; the
 *	space takes a reference on it
 * @miss: called when an access finds no entry at an IOVA, or NULL: a
 *	miss is then a fault, as a hole is
 * @priv: passed to @miss
 *
 * Every access call takes the space as it takes a map, with IOVAs for
 * guest-physical addresses: it needs the entry's permission, then the
 * region's. Slices report the guest-physical address behind each piece,
 * and a piece ends where its entry or its region ends.
 *
 * @miss is called by copies (also to and from an iov_iter), single
 * accesses on the space, vmmem_hold(), vmmem_translate() and
 * vmmem_cache_init(), outside the RCU read-side section they took and
 * once per address per call, and may map the address with
 * vmmem_iova_map() (which sleeps). Those calls then sleep if the hook
 * does: a space whose hook sleeps must only be accessed where that is
 * allowed. Calls made inside the caller's RCU section (slices, slice
 * walks, cache pointers, range checks, dirty marks) never call it.
 *
 * Context: Process context; sleeps.
 * Return: the space, or ERR_PTR(-ENOMEM).
 */
struct vmmem_iova *vmmem_iova_create(struct vmmem *vm, vmmem_iova_miss_t miss,
				     void *priv)
{
	struct vmmem_iova *iova;

	iova = kzalloc(sizeof(*iova), GFP_KERNEL_ACCOUNT);
	if (!iova)
		return ERR_PTR(-ENOMEM);
	RCU_INIT_POINTER(iova->view.layout, &vmmem_iova_no_layout);
	iova->view.iova = iova;
	/* Never taken; lockdep's checks of the view's layout name it. */
	mutex_init(&iova->view.lock);
	mutex_init(&iova->lock);
	mt_init_flags(&iova->tree, MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU);
	mt_set_external_lock(&iova->tree, &iova->lock);
	iova->vm = vm;
	iova->miss = miss;
	iova->priv = priv;

	vmmem_get(vm);
	mutex_lock(&vm->lock);
	list_add(&iova->node, &vm->iovas);
	mutex_unlock(&vm->lock);
	return iova;
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_create, VMMEM_NS);

/**
 * vmmem_iova_destroy() - remove every entry of an IOVA space and free it
 * @iova: the space, or NULL
 *
 * No access may use the space once this starts. Slices held and
 * translations made through it stay valid until released: they hold
 * regions of the map, not entries.
 *
 * Context: Process context; sleeps.
 */
void vmmem_iova_destroy(struct vmmem_iova *iova)
{
	struct vmmem_iova_entry *entry;
	MA_STATE(mas, NULL, 0, 0);

	if (!iova)
		return;
	mutex_lock(&iova->vm->lock);
	list_del(&iova->node);
	mutex_unlock(&iova->vm->lock);

	mutex_lock(&iova->lock);
	mas.tree = &iova->tree;
	mas_for_each(&mas, entry, ULONG_MAX) {
		if (!--entry->ranges)
			kfree_rcu(entry, rcu);
	}
	mutex_unlock(&iova->lock);
	/*
	 * No access may start now, and those that raced are done after a
	 * grace period: the tree goes as a plain one. Its RCU-mode destroy
	 * (nodes freed by a walk in an RCU callback) crashed in that
	 * callback on trees of thousands of entries (make bench).
	 */
	synchronize_rcu();
	mutex_lock(&iova->lock);
	mt_clear_in_rcu(&iova->tree);
	__mt_destroy(&iova->tree);
	mutex_unlock(&iova->lock);

	vmmem_put(iova->vm);
	mutex_destroy(&iova->lock);
	mutex_destroy(&iova->view.lock);
	kfree_rcu(iova, rcu);
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_destroy, VMMEM_NS);

/**
 * vmmem_iova_map() - map an IOVA range onto guest-physical memory
 * @iova: the space
 * @addr: first IOVA, page-aligned
 * @size: length in bytes, page-aligned and non-zero
 * @gpa: guest-physical address of @addr, page-aligned
 * @perm: %VMMEM_READ and/or %VMMEM_WRITE: what devices may do through the
 *	entry (a write-only entry refuses reads)
 *
 * The guest-physical range need not be backed now: accesses find the map's
 * regions when they are made, so a hole faults, and memory added later is
 * reached without mapping again. Costs O(log n) in the entries of the
 * space; accesses go on meanwhile and see the entry or not.
 *
 * Context: Process context; sleeps (the space's mutex, allocations).
 * Return: 0; -EINVAL for a misaligned or empty range, one past 2^64 - 1
 * (in IOVAs or in guest-physical addresses) or invalid @perm; -EEXIST if
 * any byte of the range is already mapped; -ENOMEM. On error nothing
 * changed.
 */
int vmmem_iova_map(struct vmmem_iova *iova, u64 addr, u64 size, u64 gpa,
		   unsigned int perm)
{
	MA_STATE(mas, &iova->tree, addr, addr);
	struct vmmem_iova_entry *entry;
	u64 last = addr + (size - 1);
	int ret = 0;

	if (!vmmem_iova_range_valid(addr, size) ||
	    !vmmem_iova_range_valid(gpa, size) || !vmmem_access_valid(perm))
		return -EINVAL;
	entry = kmalloc(sizeof(*entry), GFP_KERNEL_ACCOUNT);
	if (!entry)
		return -ENOMEM;
	*entry = (struct vmmem_iova_entry) {
		.iova = addr,
		.gpa = gpa,
		.perm = perm,
		.ranges = 1,
	};

	mutex_lock(&iova->lock);
	if (mas_find(&mas, last)) {
		ret = -EEXIST;
		goto unlock;
	}
	mas_set_range(&mas, addr, last);
	/* Allocates first and stores after: on -ENOMEM the tree is as it was. */
	ret = mas_store_gfp(&mas, entry, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto unlock;
	WRITE_ONCE(iova->nr_ranges, iova->nr_ranges + 1);
	vmmem_iova_bump(iova);
unlock:
	mutex_unlock(&iova->lock);
	if (ret)
		kfree(entry);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_map, VMMEM_NS);

/*
 * Adjusts the range counts of the entries that a cut of [addr, last]
 * changes (or, with @undo, puts them back) and returns the change in the
 * number of ranges. With @dead, collects the entries left with no range.
 */
static long vmmem_iova_cut_count(struct vmmem_iova *iova, u64 addr, u64 last,
				 bool undo, struct vmmem_iova_entry **dead)
{
	MA_STATE(mas, &iova->tree, addr, addr);
	struct vmmem_iova_entry *entry;
	long ranges = 0;

	mas_for_each(&mas, entry, last) {
		/* A range cut at one end keeps the other; cut inside, both. */
		int kept = (mas.index < addr) + (mas.last > last);

		entry->ranges += undo ? 1 - kept : kept - 1;
		ranges += kept - 1;
		if (dead && !entry->ranges) {
			entry->next = *dead;
			*dead = entry;
		}
	}
	return ranges;
}

/**
 * vmmem_iova_unmap() - invalidate an IOVA range
 * @iova: the space
 * @addr: first IOVA, page-aligned
 * @size: length in bytes, page-aligned; 0 does nothing
 *
 * Every byte of the range stops being mapped, whatever entries it cut:
 * the parts of an entry outside the range stay mapped as they were.
 * Unmapped bytes in the range are not an error. Costs O(log n) in the
 * entries of the space, plus one step per entry removed.
 *
 * Accesses that start after this returns fault in the range; one already
 * under way in its RCU read-side section may finish (vmmem_synchronize()
 * waits for those, as an IOTLB invalidation that must complete does).
 * Slices held and translations made before stay valid until released.
 *
 * Context: Process context; sleeps (the space's mutex, allocations).
 * Return: 0; -EINVAL for a misaligned range or one past 2^64 - 1; -ENOMEM
 * with nothing changed.
 */
int vmmem_iova_unmap(struct vmmem_iova *iova, u64 addr, u64 size)
{
	MA_STATE(cut, &iova->tree, addr, addr + (size - 1));
	MA_STATE(mas, &iova->tree, addr, addr);
	u64 last = addr + (size - 1);
	struct vmmem_iova_entry *entry, *dead = NULL;
	long ranges;
	int ret = 0;

	if (!size)
		return PAGE_ALIGNED(addr) ? 0 : -EINVAL;
	if (!vmmem_iova_range_valid(addr, size))
		return -EINVAL;

	mutex_lock(&iova->lock);
	if (!mas_find(&mas, last))
		goto unlock;
	/*
	 * Count first, cut second: the cut is the only step that can fail
	 * (mas_preallocate() is not exported before 6.4), and a failed store
	 * leaves the tree as it was, so the counts are put back by the same
	 * walk.
	 */
	ranges = vmmem_iova_cut_count(iova, addr, last, false, &dead);
	ret = mas_store_gfp(&cut, NULL, GFP_KERNEL_ACCOUNT);
	if (ret) {
		vmmem_iova_cut_count(iova, addr, last, true, NULL);
		dead = NULL;
		goto unlock;
	}
	WRITE_ONCE(iova->nr_ranges, iova->nr_ranges + ranges);
	vmmem_iova_bump(iova);
unlock:
	mutex_unlock(&iova->lock);
	while (dead) {
		entry = dead;
		dead = entry->next;
		kfree_rcu(entry, rcu);
	}
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_unmap, VMMEM_NS);

/**
 * vmmem_iova_info() - vmmem_info() of an IOVA space
 * @vm: the view of the space
 * @info: filled with the generation, the number of mapped ranges (an
 *	entry cut in two counts twice) and the last mapped IOVA
 *
 * Context: Any context.
 */
void vmmem_iova_info(struct vmmem *vm, struct vmmem_info *info)
{
	MA_STATE(mas, &vm->iova->tree, ULONG_MAX, ULONG_MAX);
	struct vmmem_iova *iova = vm->iova;

	rcu_read_lock();
	/* Pairs with the release in vmmem_iova_bump(), as a cache's does. */
	info->generation = smp_load_acquire(&vm->generation);
	info->nr_regions = min_t(unsigned long, READ_ONCE(iova->nr_ranges),
				 UINT_MAX);
	info->last_addr = vmmem_iova_rcu_walk(mas_find_rev(&mas, 0)) ?
			  mas.last : 0;
	rcu_read_unlock();
}

/**
 * vmmem_iova_skip() - where a walk that failed at an IOVA may go on
 * @vm: the view of an IOVA space
 * @addr: the IOVA the walk failed at
 * @last: the last IOVA of the walk
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the start of the next entry after @addr, or for an entry over a
 * hole in guest memory (or one that refused the access) the next page;
 * @last + 1 (possibly 0) when nothing is left.
 */
u64 vmmem_iova_skip(struct vmmem *vm, u64 addr, u64 last)
{
	MA_STATE(mas, &vm->iova->tree, addr, addr);

	if (vmmem_iova_rcu_walk(mas_walk(&mas)))
		return (addr | ~PAGE_MASK) + 1;
	mas_set(&mas, addr);
	return vmmem_iova_rcu_walk(mas_find(&mas, last)) ? mas.index :
							   last + 1;
}
