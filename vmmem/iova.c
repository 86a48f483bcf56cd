// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA spaces: the addresses a device behind an IOMMU (a virtual IOMMU, or
 * a vDPA device that vhost-vdpa programs) uses instead of guest-physical
 * ones. Entries [iova, iova + size) -> [gpa, gpa + size) of one map, each
 * with its own permission, live in one red-black tree: a map or an unmap is
 * O(log n) under the space's mutex, in place, with one allocation per map
 * and at most two per unmap; readers search it under RCU, with no shared
 * write and no lock unless a search that found nothing raced a change
 * (counted by a sequence). An access translates its IOVA through the
 * entry and then looks the guest-physical address up in the map like any
 * access: guest memory removed under an entry faults, and dirty logging
 * marks guest-physical pages.
 *
 * The space is handed to access calls as a struct vmmem (its view) whose
 * layout is empty, so that the map's inline lookups miss at once and only
 * then test for an IOVA space: maps pay nothing for it.
 */
#include <linux/rbtree.h>
#include <linux/seqlock.h>
#include <linux/slab.h>

#include "vmmem.h"
#include "vmmem_trace.h"

/**
 * struct vmmem_iova_entry - one mapped range of IOVAs
 * @node: in the space's tree
 * @first: its first IOVA
 * @last: its last IOVA
 * @gpa: the guest-physical address of @first
 * @perm: %VMMEM_READ and/or %VMMEM_WRITE
 * @region: the map's region that holds all of the entry's guest-physical
 *	range, or NULL (a hole, or more than one region): saves accesses the
 *	map's lookup. Set under the space's lock when the entry goes in and
 *	each time the map publishes a layout, before the old layout is
 *	retired, so that a region found here is alive for the reader's RCU
 *	section.
 *
 * Its range never changes once in the tree: an unmap that cuts an entry
 * puts in the pieces it keeps as new entries, before it takes the old one
 * out, so that a reader always finds the IOVAs the unmap does not touch.
 * It is freed a grace period after it goes out, without an rcu_head:
 * 64 bytes, one cache line for each step of a search (with an rcu_head,
 * 80 bytes from kmalloc-96 put half of the nodes across two lines).
 */
struct vmmem_iova_entry {
	struct rb_node node;
	u64 first;
	u64 last;
	u64 gpa;
	unsigned int perm;
	struct vmmem_region __rcu *region;
};

static_assert(sizeof(struct vmmem_iova_entry) <= 64);

/**
 * struct vmmem_iova - an I/O virtual address space over a map
 * @view: what access calls take: a struct vmmem whose @iova points here,
 *	with an empty layout; its @generation is the space's, which moves
 *	with every change of the space and of the map
 * @vm: the map, with a user reference
 * @entries: the entries, by IOVA; written under @lock, read under RCU
 * @lock: serialises changes of @entries, of @nr_ranges and of the
 *	generation
 * @changing: held by the writer while it changes @entries, one entry at a
 *	time; taken by readers whose search found nothing and raced a change
 * @seq: odd while @entries changes; moves with each change
 * @node: in @vm->iovas, under @vm->lock
 * @miss: the miss hook, or NULL
 * @priv: its argument
 * @nr_ranges: entries in @entries
 * @rcu: frees the structure after readers that raced with its end
 */
struct vmmem_iova {
	struct vmmem view;
	struct vmmem *vm;
	struct rb_root entries;
	struct mutex lock;	/* see @lock above */
	spinlock_t changing;
	seqcount_spinlock_t seq;
	struct list_head node;
	vmmem_iova_miss_t miss;
	void *priv;
	unsigned long nr_ranges;
	struct rcu_head rcu;
};

/* The layout of every IOVA space's view: no region, never changes. */
static struct vmmem_layout vmmem_iova_no_layout;

static struct vmmem_iova_entry *vmmem_iova_entry_of(struct rb_node *node)
{
	return node ? rb_entry(node, struct vmmem_iova_entry, node) : NULL;
}

/*
 * Searches the tree for the entry that holds @addr (or NULL), and sets
 * *@next to the entry with the lowest first IOVA above @addr (or NULL).
 * Child pointers are written with WRITE_ONCE() (rb_link_node_rcu() and
 * the rebalancing of <linux/rbtree.h>, which never lets a lockless search
 * loop) and read with rcu_dereference_raw(); an entry is filled before
 * rb_link_node_rcu() publishes it. A search that races a change may miss
 * an entry, but whatever it finds is an entry that was linked meanwhile.
 */
static __always_inline struct vmmem_iova_entry *
vmmem_iova_search(struct vmmem_iova *iova, u64 addr,
		  struct vmmem_iova_entry **next)
{
	struct rb_node *node = rcu_dereference_raw(iova->entries.rb_node);
	struct vmmem_iova_entry *entry;

	*next = NULL;
	while (node) {
		entry = rb_entry(node, struct vmmem_iova_entry, node);
		if (addr < entry->first) {
			*next = entry;
			node = rcu_dereference_raw(node->rb_left);
		} else if (addr > entry->last) {
			node = rcu_dereference_raw(node->rb_right);
		} else {
			return entry;
		}
	}
	return NULL;
}

/* The search again, for a reader that raced a change: see vmmem_iova_find(). */
static noinline struct vmmem_iova_entry *
vmmem_iova_search_locked(struct vmmem_iova *iova, u64 addr,
			 struct vmmem_iova_entry **next)
{
	struct vmmem_iova_entry *found;
	unsigned long flags;

	spin_lock_irqsave(&iova->changing, flags);
	/* No change under way: the tree is whole. */
	found = vmmem_iova_search(iova, addr, next);
	spin_unlock_irqrestore(&iova->changing, flags);
	return found;
}

/**
 * vmmem_iova_find() - the entry that holds an IOVA, or the next one
 * @iova: the space
 * @addr: the IOVA
 * @next: set to the entry with the lowest first IOVA above @addr, or NULL
 *
 * An entry found is the answer, even if the search raced a change: it was
 * in the tree meanwhile, and its range never changes. A search that found
 * nothing is trusted only if the space's sequence was even before it and
 * had not moved after it (read barriers on both sides, pairing with the
 * write barriers of write_seqcount_begin() and write_seqcount_end() around
 * each change); otherwise it is made again under @iova->changing, which
 * the writer holds for each change, so that a stream of changes cannot
 * starve readers (a reader that retried without the lock was seen making
 * no progress for minutes against a remapping loop on the smp-kasan
 * lane).
 *
 * Context: rcu_read_lock() or the space's lock held by the caller.
 * Return: the entry whose range holds @addr, or NULL.
 */
static __always_inline struct vmmem_iova_entry *
vmmem_iova_find(struct vmmem_iova *iova, u64 addr,
		struct vmmem_iova_entry **next)
{
	struct vmmem_iova_entry *found;
	unsigned int seq;

	seq = raw_read_seqcount(&iova->seq);
	found = vmmem_iova_search(iova, addr, next);
	if (likely(found) ||
	    likely(!(seq & 1) && !read_seqcount_retry(&iova->seq, seq)))
		return found;
	return vmmem_iova_search_locked(iova, addr, next);
}

/*
 * The last mapped IOVA, or 0. Not on an access path: it looks under the
 * lock that the writer holds for each change, where the tree is whole.
 */
static u64 vmmem_iova_last(struct vmmem_iova *iova)
{
	struct rb_node *node;
	unsigned long flags;
	u64 last = 0;

	spin_lock_irqsave(&iova->changing, flags);
	node = rb_last(&iova->entries);
	if (node)
		last = vmmem_iova_entry_of(node)->last;
	spin_unlock_irqrestore(&iova->changing, flags);
	return last;
}

/*
 * Links @entry where it sorts (by first IOVA, then last: a piece that an
 * unmap keeps goes in beside the entry it comes from, which overlaps it
 * until it goes out). With @check, fails if it overlaps an entry: the
 * walk meets the entries just before and just after its place, the only
 * ones that could. The node goes in with rb_link_node_rcu() (a release)
 * and the tree is rebalanced inside a write section of the sequence, all
 * under @iova->changing.
 */
static int vmmem_iova_link(struct vmmem_iova *iova,
			   struct vmmem_iova_entry *entry, bool check)
{
	struct rb_node **link = &iova->entries.rb_node, *parent = NULL;
	struct vmmem_iova_entry *at;

	lockdep_assert_held(&iova->lock);
	while (*link) {
		parent = *link;
		at = vmmem_iova_entry_of(parent);
		if (check && entry->first <= at->last && at->first <= entry->last)
			return -EEXIST;
		if (entry->first < at->first ||
		    (entry->first == at->first && entry->last < at->last))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	spin_lock_irq(&iova->changing);
	write_seqcount_begin(&iova->seq);
	rb_link_node_rcu(&entry->node, parent, link);
	rb_insert_color(&entry->node, &iova->entries);
	write_seqcount_end(&iova->seq);
	spin_unlock_irq(&iova->changing);
	return 0;
}

static void vmmem_iova_unlink(struct vmmem_iova *iova,
			      struct vmmem_iova_entry *entry)
{
	lockdep_assert_held(&iova->lock);
	spin_lock_irq(&iova->changing);
	write_seqcount_begin(&iova->seq);
	rb_erase(&entry->node, &iova->entries);
	write_seqcount_end(&iova->seq);
	spin_unlock_irq(&iova->changing);
}

/* The writer's walk, in order. */
static struct vmmem_iova_entry *vmmem_iova_next(struct vmmem_iova_entry *entry)
{
	return vmmem_iova_entry_of(rb_next(&entry->node));
}

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
	struct vmmem_iova *iova = vm->iova;
	struct vmmem_iova_entry *entry, *next;
	struct vmmem_xlate x = { .ret = -EFAULT };

	entry = vmmem_iova_find(iova, addr, &next);
	if (!entry) {
		if (iova->miss)
			x.ret = -ENOENT;
		return x;
	}
	if (access & VMMEM_ACCESS_MASK & ~entry->perm)
		return x;
	x.gpa = entry->gpa + (addr - entry->first);
	/* Pairs with rcu_assign_pointer() in vmmem_iova_bind(). */
	x.region = rcu_dereference(entry->region) ?:
		   vmmem_lookup(iova->vm, x.gpa);
	if (!x.region || !vmmem_region_permits(x.region, access))
		return x;
	x.last = min_t(u64, entry->last - addr,
		       vmmem_region_last(x.region) - x.gpa);
	x.ret = 0;
	return x;
}

/**
 * vmmem_iova_fault_cause() - why an access at an IOVA fails
 * @vm: the view of an IOVA space
 * @addr: the IOVA
 * @access: what the access wanted
 *
 * For statistics only: one search of the latch, never under the writer's
 * lock (a fault must not slow the space's changes); a search that raced
 * a change says "hole".
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: %VMMEM_FAULT_IOVA_PERMISSION if the entry refuses @access,
 * %VMMEM_FAULT_READ_ONLY if the region behind it does,
 * %VMMEM_FAULT_NOT_MAPPED if that region is mapped on access, else
 * %VMMEM_FAULT_HOLE (no entry, or guest memory missing under it).
 */
enum vmmem_fault_cause vmmem_iova_fault_cause(struct vmmem *vm, u64 addr,
					      unsigned int access)
{
	struct vmmem_iova *iova = vm->iova;
	struct vmmem_iova_entry *entry, *next;
	struct vmmem_region *region;

	entry = vmmem_iova_search(iova, addr, &next);
	if (!entry)
		return VMMEM_FAULT_HOLE;
	if (access & VMMEM_ACCESS_MASK & ~entry->perm)
		return VMMEM_FAULT_IOVA_PERMISSION;
	/* Pairs with rcu_assign_pointer() in vmmem_iova_bind(). */
	region = rcu_dereference(entry->region) ?:
		 vmmem_lookup(iova->vm, entry->gpa + (addr - entry->first));
	if (region && !vmmem_region_permits(region,
					    access | VMMEM_ACCESS_MAPPING))
		return VMMEM_FAULT_READ_ONLY;
	if (region && (region->flags & VMMEM_REGION_ON_ACCESS))
		return VMMEM_FAULT_NOT_MAPPED;
	return VMMEM_FAULT_HOLE;
}

/**
 * vmmem_iova_seq_show() - the IOVA spaces of a map, for debugfs
 * @m: where to print, one line per space
 * @vm: the live map
 *
 * Context: @vm->lock held.
 */
void vmmem_iova_seq_show(struct seq_file *m, struct vmmem *vm)
{
	struct vmmem_iova *iova;
	struct vmmem_info info;
	unsigned int n = 0;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(iova, &vm->iovas, node)
		n++;
	seq_printf(m, "iova_spaces: %u\n", n);
	n = 0;
	list_for_each_entry(iova, &vm->iovas, node) {
		vmmem_iova_info(&iova->view, &info);
		seq_printf(m, "iova_space %u: entries %u generation %llu last 0x%llx miss_hook %s\n",
			   n++, info.nr_regions, info.generation, info.last_addr,
			   iova->miss ? "yes" : "no");
	}
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

	/* The hook sees what the caller asked for, not vmmem's own bits. */
	access &= VMMEM_ACCESS_MASK;
	rcu_read_unlock();
	ret = iova->miss(iova->priv, addr, access);
	trace_vmmem_iova_miss(vm->name, addr, 0, 0, access, min(ret, 0));
	rcu_read_lock();
	return min(ret, 0);
}

/*
 * Sets @entry->region from the map's current layout. Under the space's
 * lock, which vmmem_iova_changed() takes after each publication: an entry
 * that went in with a region of the layout just replaced is set again
 * before that layout is retired.
 */
static void vmmem_iova_bind(struct vmmem_iova *iova,
			    struct vmmem_iova_entry *entry)
{
	u64 gpa_last = entry->gpa + (entry->last - entry->first);
	struct vmmem_region *region;

	lockdep_assert_held(&iova->lock);
	rcu_read_lock();
	region = vmmem_lookup(iova->vm, entry->gpa);
	if (region && gpa_last > vmmem_region_last(region))
		region = NULL;
	rcu_assign_pointer(entry->region, region);
	rcu_read_unlock();
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
 * Sets the region of every entry of every IOVA space over @vm from the new
 * layout, then moves the space's generation after the map's own, so that
 * their caches resolve again. O(n) in the entries, as a publication is in
 * the regions.
 *
 * Context: @vm->lock held; takes each space's lock.
 */
void vmmem_iova_changed(struct vmmem *vm)
{
	struct vmmem_iova_entry *entry;
	struct vmmem_iova *iova;
	struct rb_node *node;

	lockdep_assert_held(&vm->lock);
	list_for_each_entry(iova, &vm->iovas, node) {
		mutex_lock(&iova->lock);
		for (node = rb_first(&iova->entries); node; node = rb_next(node)) {
			entry = vmmem_iova_entry_of(node);
			vmmem_iova_bind(iova, entry);
		}
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
	iova->view.name = vm->name;
	iova->view.stats = vm->stats;
	/* Never taken; lockdep's checks of the view's layout name it. */
	mutex_init(&iova->view.lock);
	mutex_init(&iova->lock);
	spin_lock_init(&iova->changing);
	seqcount_spinlock_init(&iova->seq, &iova->changing);
	iova->entries = RB_ROOT;
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
	struct vmmem_iova_entry *entry, *next;

	if (!iova)
		return;
	mutex_lock(&iova->vm->lock);
	list_del(&iova->node);
	mutex_unlock(&iova->vm->lock);

	/* No access may start now; those that raced are done after this. */
	synchronize_rcu();
	rbtree_postorder_for_each_entry_safe(entry, next,
					     &iova->entries, node)
		kfree(entry);

	vmmem_put(iova->vm);
	mutex_destroy(&iova->lock);
	mutex_destroy(&iova->view.lock);
	kfree_rcu(iova, rcu);
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_destroy, VMMEM_NS);

/* vmmem_iova_map() without its trace event. */
static int __vmmem_iova_map(struct vmmem_iova *iova, u64 addr, u64 size,
			    u64 gpa, unsigned int perm)
{
	struct vmmem_iova_entry *entry;
	u64 last = addr + (size - 1);
	int ret;

	if (!vmmem_iova_range_valid(addr, size) ||
	    !vmmem_iova_range_valid(gpa, size) || !vmmem_access_valid(perm))
		return -EINVAL;
	entry = kmalloc(sizeof(*entry), GFP_KERNEL_ACCOUNT);
	if (!entry)
		return -ENOMEM;
	*entry = (struct vmmem_iova_entry) {
		.first = addr,
		.last = last,
		.gpa = gpa,
		.perm = perm,
	};

	mutex_lock(&iova->lock);
	vmmem_iova_bind(iova, entry);
	ret = vmmem_iova_link(iova, entry, true);
	if (!ret) {
		WRITE_ONCE(iova->nr_ranges, iova->nr_ranges + 1);
		vmmem_iova_bump(iova);
	}
	mutex_unlock(&iova->lock);
	if (ret)
		kfree(entry);
	return ret;
}

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
	int ret = __vmmem_iova_map(iova, addr, size, gpa, perm);

	trace_vmmem_iova_map(iova->vm->name, addr, size, gpa, perm, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_map, VMMEM_NS);

/*
 * A new entry for [first, last] of @entry, or NULL for -ENOMEM; in the
 * region of @entry, if it had one. Under the space's lock.
 */
static struct vmmem_iova_entry *
vmmem_iova_piece(struct vmmem_iova *iova, struct vmmem_iova_entry *entry,
		 u64 first, u64 last)
{
	struct vmmem_iova_entry *piece;

	piece = kmalloc(sizeof(*piece), GFP_KERNEL_ACCOUNT);
	if (!piece)
		return NULL;
	*piece = (struct vmmem_iova_entry) {
		.first = first,
		.last = last,
		.gpa = entry->gpa + (first - entry->first),
		.perm = entry->perm,
	};
	RCU_INIT_POINTER(piece->region,
			 rcu_dereference_protected(entry->region,
						   lockdep_is_held(&iova->lock)));
	return piece;
}

/* vmmem_iova_unmap() without its trace event. */
static int __vmmem_iova_unmap(struct vmmem_iova *iova, u64 addr, u64 size)
{
	struct vmmem_iova_entry *entry, *next, *head, *tail;
	struct vmmem_iova_entry *keep_head = NULL, *keep_tail = NULL;
	u64 last = addr + (size - 1);
	long removed = 0;

	if (!size)
		return PAGE_ALIGNED(addr) ? 0 : -EINVAL;
	if (!vmmem_iova_range_valid(addr, size))
		return -EINVAL;

	mutex_lock(&iova->lock);
	/* The tree does not change under the lock: no sequence to check. */
	head = vmmem_iova_search(iova, addr, &next) ?: next;
	if (!head || head->first > last) {
		mutex_unlock(&iova->lock);
		return 0;
	}
	tail = head;
	while (tail->last < last && (next = vmmem_iova_next(tail)) &&
	       next->first <= last)
		tail = next;
	/* The parts of the first and last entries outside the range stay. */
	if (head->first < addr) {
		keep_head = vmmem_iova_piece(iova, head, head->first, addr - 1);
		if (!keep_head)
			goto nomem;
	}
	if (tail->last > last) {
		keep_tail = vmmem_iova_piece(iova, tail, last + 1, tail->last);
		if (!keep_tail)
			goto nomem;
	}
	/*
	 * Nothing fails from here. The pieces go in before the entries they
	 * come from go out: an IOVA outside the range is found all along.
	 */
	if (keep_head)
		vmmem_iova_link(iova, keep_head, false);
	if (keep_tail)
		vmmem_iova_link(iova, keep_tail, false);
	/*
	 * The head's piece sorts just before the head (same first IOVA,
	 * lower last), the tail's after the tail: neither is met here.
	 */
	for (entry = head; entry; entry = next) {
		next = entry == tail ? NULL : vmmem_iova_next(entry);
		vmmem_iova_unlink(iova, entry);
		/* After readers that may have found it; may sleep. */
		kvfree_rcu_mightsleep(entry);
		removed++;
	}
	WRITE_ONCE(iova->nr_ranges, iova->nr_ranges + !!keep_head +
		   !!keep_tail - removed);
	vmmem_iova_bump(iova);
	mutex_unlock(&iova->lock);
	return 0;

nomem:
	mutex_unlock(&iova->lock);
	kfree(keep_head);
	return -ENOMEM;
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
 * under way in its RCU read-side section may finish: synchronize_rcu()
 * after this waits for those, as an IOTLB invalidation that must complete
 * does (copies leave that section at least every 1 MiB).
 * Slices held and translations made before stay valid until released.
 *
 * Context: Process context; sleeps (the space's mutex, allocations).
 * Return: 0; -EINVAL for a misaligned range or one past 2^64 - 1; -ENOMEM
 * with nothing changed.
 */
int vmmem_iova_unmap(struct vmmem_iova *iova, u64 addr, u64 size)
{
	int ret = __vmmem_iova_unmap(iova, addr, size);

	trace_vmmem_iova_unmap(iova->vm->name, addr, size, 0, 0, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_iova_unmap, VMMEM_NS);

/**
 * vmmem_iova_info() - vmmem_info() of an IOVA space
 * @vm: the view of the space
 * @info: filled with the generation, the number of entries (an entry
 *	cut in two by an unmap counts twice) and the last mapped IOVA
 *
 * Context: Any context.
 */
void vmmem_iova_info(struct vmmem *vm, struct vmmem_info *info)
{
	struct vmmem_iova *iova = vm->iova;

	rcu_read_lock();
	/* Pairs with the release in vmmem_iova_bump(), as a cache's does. */
	info->generation = smp_load_acquire(&vm->generation);
	info->nr_regions = min_t(unsigned long, READ_ONCE(iova->nr_ranges),
				 UINT_MAX);
	info->last_addr = vmmem_iova_last(iova);
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
	struct vmmem_iova_entry *next;

	if (vmmem_iova_find(vm->iova, addr, &next))
		return (addr | ~PAGE_MASK) + 1;
	return next && next->first <= last ? next->first : last + 1;
}
