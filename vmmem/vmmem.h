/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmmem internals shared by the source files of the module. Nothing here is
 * visible to users of <linux/vmmem.h>.
 *
 * The shape: a struct vmmem points (RCU) at its current layout, an
 * immutable set of regions. Every change builds a new layout and publishes
 * it in one pointer store, so a reader sees one whole layout or the next,
 * and a snapshot is simply a reference on a layout. Regions are refcounted
 * by the layouts that contain them and by holders of slices.
 *
 * A layout keeps its regions twice: in a maple tree, which updates copy and
 * edit (each operation of a batch is O(log n)), and in arrays built once
 * when the layout is published, which readers search: the regions in
 * address order, and their starts as an implicit search tree.
 */
#ifndef _VMMEM_INTERNAL_H
#define _VMMEM_INTERNAL_H

#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <linux/prefetch.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/vmmem.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"

struct vmmem_map_cache;
struct vmmem_map_slot;
struct vmmem_region;

/*
 * Internal region flag, beside the public VMMEM_REGION_* ones: the region
 * belongs to a map created with VMMEM_MC_SAFE, so copies out of it use the
 * machine-check-safe copy. Set at add time; never reported.
 */
#define VMMEM_REGION_COPY_MC	0x80000000u
static_assert(!(VMMEM_REGION_COPY_MC & VMMEM_REGION_FLAGS));

/*
 * Internal region flag: the region has no kernel mapping (@hva is NULL);
 * its pages are mapped while they are accessed (VMMEM_ADD_MAPPED). Only
 * the accesses that know how to map reach it: see VMMEM_ACCESS_MAPPING.
 */
#define VMMEM_REGION_ON_ACCESS	0x40000000u
static_assert(!(VMMEM_REGION_ON_ACCESS & VMMEM_REGION_FLAGS));

/*
 * Internal access bit, beside VMMEM_READ and VMMEM_WRITE: the caller maps
 * the pieces of VMMEM_REGION_ON_ACCESS regions itself (copies, iov_iter
 * copies, single accesses, range checks, holds). Without it such a region refuses the access,
 * so no path that hands out pointers can meet one by mistake. Never
 * accepted from callers of the API.
 */
#define VMMEM_ACCESS_MAPPING	0x100u
static_assert(!(VMMEM_ACCESS_MAPPING & VMMEM_ACCESS_MASK));

/**
 * struct vmmem_backing_ops - what differs between kinds of backing memory
 * @backing: the kind, as reported by vmmem_region_info()
 * @release: undo everything the add did (unmap, free, unpin); may sleep
 */
struct vmmem_backing_ops {
	enum vmmem_backing backing;
	void (*release)(struct vmmem_region *region);
};

/**
 * struct vmmem_region - one guest-physical range and its kernel mapping
 * @gpa: first guest-physical address, page-aligned
 * @size: length in bytes, page-aligned, non-zero
 * @hva: kernel address of @gpa; the region is contiguous from here. NULL
 *	for a region mapped on access
 * @flags: VMMEM_REGION_* flags given at add time, and
 *	%VMMEM_REGION_COPY_MC and %VMMEM_REGION_ON_ACCESS
 * @log: dirty logging is on: writes mark @dirty
 * @ops: backing-specific operations
 * @pages: the backing pages, for user and page-array regions
 * @npages: number of pages (size / PAGE_SIZE), and of entries in @pages
 * @nr_large: how many of @pages belong to large folios (THP, hugetlb)
 * @mm: user regions: the mm the pages were pinned from, whose pinned_vm
 *	counts them
 * @user: user regions: the user charged for them (RLIMIT_MEMLOCK), with a
 *	reference; NULL when the adder had CAP_IPC_LOCK
 * @uaddr: user regions: the VMM's address of @gpa in @mm
 * @dirty: one bit per page, allocated when dirty logging starts (or at add
 *	while it is on) and freed with the region, or handed to @departed
 * @departed: set once the region has left the live map with a dirty
 *	bitmap: the record through which harvests still reach its bits
 * @vm: the live map the region was added to, with a reference on its
 *	@refs, so that statistics and trace events can name the map for as
 *	long as the region lives
 * @removed_from: set once an update has removed the region from this live
 *	map (with a reference on its @refs): its release is counted in
 *	@removed_from->nr_removed and wakes vmmem_wait_released()
 * @ref: one per layout that contains the region, one per held slice
 * @release_work: releases the region when a holder drops the last
 *	reference in a context that cannot sleep
 * @mapper: regions mapped on access: the operations that map a page
 * @mapper_priv: their argument
 * @map_cache: regions mapped on access: the pages kept mapped between
 *	accesses (region_mapped.c), or NULL
 * @release_mapper: the add succeeded: the release calls
 *	&vmmem_mapper_ops.release (see vmmem_mapped_adopt())
 *
 * Immutable once published, so lock-free readers need no ordering beyond
 * the rcu_assign_pointer() that publishes the layout. What every access
 * reads (@gpa to @log) shares the first cache line.
 */
struct vmmem_region {
	u64 gpa;
	u64 size;
	void *hva;
	unsigned int flags;
	bool log;
	const struct vmmem_backing_ops *ops;
	struct page **pages;
	unsigned long npages;
	unsigned long nr_large;
	struct mm_struct *mm;
	struct user_struct *user;
	unsigned long uaddr;
	unsigned long *dirty;
	struct vmmem_departed *departed;
	struct vmmem *vm;
	struct vmmem *removed_from;
	refcount_t ref;
	struct work_struct release_work;
	const struct vmmem_mapper_ops *mapper;
	void *mapper_priv;
	struct vmmem_map_cache *map_cache;
	bool release_mapper;
};

/**
 * struct vmmem_departed - dirty bits of a region that left the live map
 * @node: in @vm->departed
 * @vm: the live map; the record holds a reference on @vm->refs
 * @region: the region, until its last holder lets go; then NULL: no bit
 *	can be set any more, and the record goes once its bits are harvested
 * @gpa: the region's first guest-physical address
 * @npages: the region's pages, bits in @dirty
 * @dirty: the region's bitmap, owned by the record from now on
 * @free_work: frees the record, so a harvest may drop it from any context
 *
 * Harvests keep reporting the pages a device wrote through a held slice or
 * translation after the region was removed, until the bits are harvested
 * with the region gone, or the next vmmem_dirty_log_start().
 */
struct vmmem_departed {
	struct list_head node;
	struct vmmem *vm;
	struct vmmem_region *region;
	u64 gpa;
	unsigned long npages;
	unsigned long *dirty;
	struct work_struct free_work;
};

struct vmmem_layout;

/*
 * How a layout is searched depends on its size, chosen when it is built
 * (make bench, lookup rows): up to VMMEM_FEW_REGIONS regions, by comparing
 * each in turn, from an array in the layout itself; up to
 * VMMEM_SORTED_REGIONS, by a binary search of their starts in address
 * order; above, by the branch-free descent of an implicit search tree,
 * whose top levels share cache lines. Beyond a few regions, lookups try
 * the last region found first.
 */
#define VMMEM_FEW_REGIONS	8
#define VMMEM_SORTED_REGIONS	32

/**
 * struct vmmem_span - where one of a few regions lies
 * @gpa: its first guest-physical address
 * @size: its length; 0 for the padding after the last region
 */
struct vmmem_span {
	u64 gpa;
	u64 size;
};

/**
 * struct vmmem - a guest-physical address space, or a frozen view of one
 * @layout: the current layout; readers rcu_dereference() it. An IOVA
 *	space's view has an empty one that never changes, so that its
 *	lookups miss at once and go to @iova
 * @iova: set in the view of an IOVA space (&vmmem_iova.view), whose
 *	accesses translate through it; NULL in a map or a snapshot view
 * @hint: per CPU, the index of the region the CPU's last lookup found in
 *	the current layout; only ever a guess (a reader preempted to another
 *	CPU may write another CPU's slot, and a new layout keeps the old
 *	indices), checked before use. Shared with the snapshot views
 * @frozen: for a snapshot view, the layout the view belongs to; NULL for a
 *	live map
 * @lock: serialises updates of a live map, and guards the maple trees of
 *	all its layouts (their external lock)
 * @users: references held by users of a live map; the last one empties it
 * @refs: keeps the structure: one while @users is non-zero, one per layout
 * @generation: the generation of @layout; changes before any region of
 *	the previous layout can be released
 * @retiring: layouts whose free is queued (after a grace period): a
 *	removal waits for them, since they may hold what it removed
 * @flags: the VMMEM_* flags it was created with
 * @dirty_logging: regions added now start with logging on
 * @dirty_lock: serialises dirty log start and stop, which wait for a grace
 *	period without holding @lock
 * @departed_lock: guards @departed; taken in any context
 * @departed: &struct vmmem_departed of regions removed with dirty bits
 * @nr_removed: regions removed by an update and not yet released (a held
 *	slice, a translation or a snapshot still uses them)
 * @released_wait: woken when @nr_removed drops to 0
 * @iovas: the IOVA spaces over a live map (&vmmem_iova.node), guarded by
 *	@lock: each publication changes their generations too
 * @name: the name its creator gave the live map; views point at their
 *	map's
 * @stats: per CPU, the live map's statistics (see stats.c); views point at
 *	their map's, so that accesses through them count there
 * @nr_updates: updates published, under @lock
 * @nr_snapshots: snapshots taken and not yet put
 * @debugfs: the live map's directory under vmmem/ in debugfs, or NULL
 * @destroy_work: frees the structure once the last reference is gone
 */
struct vmmem {
	struct vmmem_layout __rcu *layout;
	struct vmmem_iova *iova;
	unsigned int __percpu *hint;
	struct vmmem_layout *frozen;
	struct mutex lock;	/* see @lock above */
	refcount_t users;
	refcount_t refs;
	u64 generation;
	atomic_t retiring;
	unsigned int flags;
	bool dirty_logging;
	struct mutex dirty_lock;	/* see @dirty_lock above */
	spinlock_t departed_lock;	/* see @departed_lock above */
	struct list_head departed;
	atomic_t nr_removed;
	wait_queue_head_t released_wait;
	struct list_head iovas;
	const char *name;
	struct vmmem_stats __percpu *stats;
	u64 nr_updates;
	atomic_t nr_snapshots;
	struct dentry *debugfs;
	struct work_struct destroy_work;
};

/**
 * struct vmmem_layout - one immutable set of regions
 * @nr_regions: number of regions
 * @height: levels of @search_tree; 0 when it is @starts or empty
 * @search_tree: above %VMMEM_SORTED_REGIONS regions, the first guest
 *	address of each region as an implicit binary search tree in
 *	breadth-first order (node k has children 2k and 2k + 1; entry 0 is
 *	unused), completed to 2^@height - 1 nodes with U64_MAX, which no
 *	lookup key reaches. Lookups descend it without branches, and the top
 *	levels share a few cache lines whatever the address is
 * @starts: up to %VMMEM_SORTED_REGIONS regions, the first guest address
 *	of each, in address order; NULL when empty
 * @regions: the regions in address order; NULL when empty
 * @few_span: up to %VMMEM_FEW_REGIONS regions, where each lies, in address
 *	order, then empty spans; unused otherwise
 * @few: the regions of @few_span, the last repeated in the padding
 * @view: what a snapshot of this layout hands out: a frozen struct vmmem
 *	whose @layout never changes
 * @vm: the live map the layout belongs to (a reference on @vm->refs)
 * @tree: gpa -> region, one range per region, for updates: the next layout
 *	starts as a copy of it; external lock @vm->lock; immutable once
 *	published
 * @ref: the live map's pointer and each snapshot
 * @generation: the map's generation when this layout was published
 * @free_work: frees the layout after a grace period, in process context
 *
 * What lookups read comes first, in cache lines that no reader writes
 * (the guesses are per CPU, in @vm->hint), so they stay clean in every
 * CPU's cache; a layout of one or two regions is found in the first.
 */
struct vmmem_layout {
	unsigned int nr_regions;
	unsigned int height;
	union {
		u64 *search_tree;
		u64 *starts;
	};
	struct vmmem_region **regions;
	struct vmmem_span few_span[VMMEM_FEW_REGIONS];
	struct vmmem_region *few[VMMEM_FEW_REGIONS];
	struct vmmem view;
	struct vmmem *vm;
	struct maple_tree tree;
	refcount_t ref;
	u64 generation;
	struct rcu_work free_work;
};

/* A cache's generation for access it may not make, or before it resolves. */
#define VMMEM_CACHE_INVALID	U64_MAX

/* Frees what removed regions and dropped layouts leave behind. */
extern struct workqueue_struct *vmmem_wq;

/*
 * stats.c: what a map counts. Accesses by kind (each call of the API;
 * loads and stores through a cache's pointer are the caller's own and
 * count only when the cache resolves), bytes copied, faults by cause,
 * lookups by path, dirty pages. The order is the order debugfs prints.
 */
enum vmmem_stat {
	VMMEM_STAT_COPY_FROM_GUEST,
	VMMEM_STAT_COPY_TO_GUEST,
	VMMEM_STAT_COPY_TO_ITER,
	VMMEM_STAT_COPY_FROM_ITER,
	VMMEM_STAT_LOAD,
	VMMEM_STAT_STORE,
	VMMEM_STAT_FIND_SLICE,
	VMMEM_STAT_SLICE_ITER,
	VMMEM_STAT_CHECK_RANGE,
	VMMEM_STAT_HOLD,
	VMMEM_STAT_TRANSLATE,
	VMMEM_STAT_CACHE_RESOLVE,
	VMMEM_STAT_BYTES_FROM_GUEST,
	VMMEM_STAT_BYTES_TO_GUEST,
	VMMEM_STAT_FAULT,	/* + enum vmmem_fault_cause */
	VMMEM_STAT_LOOKUP_FEW = VMMEM_STAT_FAULT + 8,
	VMMEM_STAT_LOOKUP_HINT,
	VMMEM_STAT_LOOKUP_NEXT,
	VMMEM_STAT_LOOKUP_SEARCH,
	VMMEM_STAT_DIRTY_MARKED,
	VMMEM_STAT_DIRTY_HARVESTED,
	VMMEM_NR_STATS
};

/* Why an access failed, as statistics and the vmmem_fault event say. */
enum vmmem_fault_cause {
	VMMEM_FAULT_HOLE,		/* no region (or IOVA entry) there */
	VMMEM_FAULT_READ_ONLY,		/* a write to a read-only region */
	VMMEM_FAULT_MISALIGNED,		/* a single access not aligned */
	VMMEM_FAULT_STRADDLE,		/* a slice or cache window past a region */
	VMMEM_FAULT_PAST_END,		/* a range past 2^64 - 1 */
	VMMEM_FAULT_IOVA_PERMISSION,	/* an IOVA entry refused the access */
	VMMEM_FAULT_MEMORY_ERROR,	/* a poisoned byte (VMMEM_MC_SAFE copies) */
	VMMEM_FAULT_NOT_MAPPED,		/* memory mapped on access was not */
	VMMEM_NR_FAULT_CAUSES
};

static_assert(VMMEM_STAT_FAULT + VMMEM_NR_FAULT_CAUSES == VMMEM_STAT_LOOKUP_FEW);

struct vmmem_stats {
	u64 count[VMMEM_NR_STATS];
};

/* On unless a benchmark measures what counting costs. */
DECLARE_STATIC_KEY_TRUE(vmmem_stats_on);

/*
 * Count one event: one add to this CPU's counter, no shared cache line
 * written. raw_cpu_add(), not this_cpu_add(): where the architecture has
 * no single-instruction per-CPU add (UML, arm64), this_cpu_add() masks
 * interrupts or takes an atomic around it, which made a counted 4-byte
 * load several times slower in make bench. The price: a reader preempted
 * and moved to another CPU in the middle of the add may lose one count
 * (the counts are for people, never for decisions).
 */
static __always_inline void vmmem_count_add(struct vmmem *vm,
					    enum vmmem_stat stat, u64 n)
{
	if (static_branch_likely(&vmmem_stats_on))
		raw_cpu_add(vm->stats->count[stat], n);
}

static __always_inline void vmmem_count(struct vmmem *vm, enum vmmem_stat stat)
{
	vmmem_count_add(vm, stat, 1);
}

extern const char *const vmmem_stat_names[VMMEM_NR_STATS];
void vmmem_stats_sum(struct vmmem *vm, u64 *sums);
void vmmem_fault(struct vmmem *vm, enum vmmem_fault_cause cause, u64 addr,
		 u64 len, unsigned int access, unsigned long ip);
void vmmem_walk_fault(struct vmmem *vm, u64 addr, u64 len, u64 done,
		      unsigned int access, unsigned long ip);
int vmmem_access_fault(struct vmmem *vm, int ret,
		       enum vmmem_fault_cause einval, u64 addr, u64 len,
		       unsigned int access, unsigned long ip);

/* debugfs.c */
void vmmem_debugfs_init(void);
void vmmem_debugfs_exit(void);
void vmmem_debugfs_add(struct vmmem *vm);
void vmmem_debugfs_remove(struct vmmem *vm);
#if IS_ENABLED(CONFIG_KUNIT)
int vmmem_debugfs_show(struct seq_file *m, struct vmmem *vm, const char *file);
#endif

/* map.c */
struct vmmem_layout *vmmem_layout_alloc(struct vmmem *vm);
struct vmmem_layout *vmmem_layout_publish(struct vmmem *vm,
					  struct vmmem_layout *layout);
void vmmem_layout_retire(struct vmmem_layout *old, bool wait);
void vmmem_unref(struct vmmem *vm);
void vmmem_layout_discard(struct vmmem_layout *layout);
int vmmem_layout_index(struct vmmem_layout *layout);
struct vmmem_region *vmmem_layout_find(struct vmmem_layout *layout, u64 gpa,
				       u64 last);
void vmmem_region_get(struct vmmem_region *region);
void vmmem_region_put(struct vmmem_region *region);
void vmmem_region_put_sync(struct vmmem_region *region);
int vmmem_check_new_region(u64 gpa, u64 size, unsigned int flags);
int vmmem_check_poison(struct page **pages, unsigned long npages);
bool vmmem_range_in_use(struct vmmem *vm, u64 gpa, u64 size);
struct vmmem_region *vmmem_region_alloc(u64 gpa, u64 size, unsigned int flags,
					const struct vmmem_backing_ops *ops);
void vmmem_region_abort(struct vmmem_region *region);
void vmmem_note_removed(struct vmmem *vm, struct vmmem_layout *old,
			struct vmmem_layout *new);

#if IS_ENABLED(CONFIG_KUNIT)
unsigned int vmmem_kunit_region_refs(struct vmmem *vm, u64 gpa);
void vmmem_kunit_stats_enable(bool on);
unsigned int vmmem_kunit_hint(struct vmmem *vm, unsigned int cpu);
unsigned int vmmem_kunit_departed(struct vmmem *vm);
void vmmem_kunit_bvec_add_pages(struct vmmem_bvecs *bv, struct page **pages,
				unsigned int nr_pages);
#endif

/* copy.c, iter.c: the machine-check-safe copies, which tests replace */
unsigned long vmmem_copy_mc_to_kernel(void *dst, const void *src, size_t len);
/* copy.c: copies inside one region mapped on access */
unsigned long vmmem_copy_from_mapped(struct vmmem_region *region, u64 gpa,
				     void *dst, unsigned long len);
unsigned long vmmem_copy_to_mapped(struct vmmem_region *region, u64 gpa,
				   const void *src, unsigned long len);
size_t vmmem_copy_mc_to_iter(const void *src, size_t len,
			     struct iov_iter *iter);

/* iova.c */

/**
 * struct vmmem_xlate - an IOVA translated, from vmmem_iova_resolve()
 * @region: the region behind it
 * @gpa: its guest-physical address
 * @last: offset of the last byte of the piece that starts there
 * @ret: 0, or the error (and the rest is unset)
 */
struct vmmem_xlate {
	struct vmmem_region *region;
	u64 gpa;
	u64 last;
	int ret;
};

struct vmmem_xlate vmmem_iova_resolve(struct vmmem *vm, u64 addr,
				      unsigned int access);
enum vmmem_fault_cause vmmem_iova_fault_cause(struct vmmem *vm, u64 addr,
					      unsigned int access);
void vmmem_iova_seq_show(struct seq_file *m, struct vmmem *vm);
void vmmem_iova_changed(struct vmmem *vm);
void vmmem_iova_info(struct vmmem *vm, struct vmmem_info *info);
u64 vmmem_iova_skip(struct vmmem *vm, u64 addr, u64 last);

/**
 * struct vmmem_miss - what one access call asked an IOVA miss hook
 * @addr: the address it last called the hook for
 * @called: it called the hook at all
 * @count: how many times: each call dropped RCU
 *
 * A local of the access call, used only inline, so that it stays in
 * registers (a pointer to it handed out of line would put it, and a stack
 * canary, on every call's path).
 */
struct vmmem_miss {
	u64 addr;
	bool called;
	unsigned int count;
};

int vmmem_iova_miss(struct vmmem *vm, u64 addr, unsigned int access);

/**
 * vmmem_miss_call() - call an IOVA space's miss hook, once per address
 * @vm: the view of an IOVA space with a miss hook
 * @addr: the IOVA that no entry holds
 * @access: what the access wanted
 * @miss: the access call's record, zeroed when the call starts
 *
 * Context: as vmmem_iova_miss().
 * Return: 0 to look again; -EFAULT if the hook was already called for
 * @addr in this call (it mapped nothing there); else the hook's error.
 */
static __always_inline int vmmem_miss_call(struct vmmem *vm, u64 addr,
					   unsigned int access,
					   struct vmmem_miss *miss)
{
	if (miss->called && miss->addr == addr)
		return -EFAULT;
	miss->called = true;
	miss->addr = addr;
	miss->count++;
	return vmmem_iova_miss(vm, addr, access);
}

/* dirty.c */
int vmmem_region_dirty_alloc(struct vmmem_region *region);
void __vmmem_mark_dirty(struct vmmem_region *region, u64 gpa, u64 len);
int vmmem_departed_prepare(struct vmmem_layout *old, struct vmmem_layout *new,
			   struct list_head *records);
void vmmem_departed_attach(struct vmmem *vm, struct list_head *records);
void vmmem_departed_region_gone(struct vmmem_region *region);
void vmmem_departed_destroy(struct vmmem *vm);

/*
 * Mark a write that went through vmmem; one predictable branch when off.
 * The caller is inside the rcu_read_lock() section in which it wrote, so
 * that vmmem_dirty_log_start() can wait for writers that saw logging off.
 */
static __always_inline void vmmem_dirty_note(struct vmmem_region *region,
					     u64 gpa, u64 len)
{
	if (unlikely(READ_ONCE(region->log)))
		__vmmem_mark_dirty(region, gpa, len);
}

/* region_*.c: build a region, not yet in any map */
struct vmmem_region *vmmem_prepare_vmalloc(u64 gpa, u64 size,
					   unsigned int flags);
struct vmmem_region *vmmem_prepare_user(u64 gpa, unsigned long uaddr,
					u64 size, unsigned int flags);
struct vmmem_region *vmmem_prepare_pages(u64 gpa, struct page **pages,
					 unsigned long npages,
					 unsigned int flags);
struct vmmem_region *vmmem_prepare_mapped(u64 gpa, u64 size,
					  unsigned int flags,
					  const struct vmmem_mapper_ops *mapper,
					  void *priv, unsigned int cache_pages);
void vmmem_mapped_adopt(struct vmmem_region *region);

/**
 * struct vmmem_page_map - a page of a region mapped on access, mapped
 * @kaddr: the page's kernel address
 * @slot: the region's cache slot that keeps the mapping, or NULL if
 *	vmmem_unmap_page() ends it
 */
struct vmmem_page_map {
	void *kaddr;
	struct vmmem_map_slot *slot;
};

int vmmem_map_page(const struct vmmem_region *region, u64 gpa,
		   unsigned int access, struct vmmem_page_map *map);
void vmmem_unmap_page(const struct vmmem_region *region, u64 gpa,
		      const struct vmmem_page_map *map);
int vmmem_copy_op(const struct vmmem_region *region, u64 gpa, void *buf,
		  unsigned int len, unsigned int access);

/*
 * A piece of @len bytes of @region goes to its provider's copy: it has
 * one, keeps no pages mapped (a kept page is cheaper still), and the piece
 * is longer than an untorn access and short enough to beat a mapping.
 * Inline, so that providers without a copy cost no call.
 */
static inline bool vmmem_copy_op_takes(const struct vmmem_region *region,
				       u64 len)
{
	return region->mapper->copy && !region->map_cache &&
	       len > sizeof(u64) && len <= VMMEM_COPY_OP_MAX;
}

int vmmem_map_kept(const struct vmmem_region *region, u64 gpa,
		   unsigned int access, void **kaddr);
void vmmem_unmap_kept(const struct vmmem_region *region, u64 gpa);
int vmmem_map_pages(const struct vmmem_region *region, unsigned long index,
		    unsigned int nr, unsigned int access, struct page **pages);
void vmmem_unmap_pages(const struct vmmem_region *region, unsigned long index,
		       unsigned int nr, struct page **pages);
struct vmmem_region *vmmem_prepare_host_ram(u64 gpa, u64 size,
					    unsigned int flags);

/**
 * vmmem_space_map() - the struct vmmem behind a space
 * @space: a live map, or a snapshot
 *
 * A &struct vmmem_snapshot is never defined: a snapshot pointer is the
 * address of its layout's frozen view (&vmmem_layout.view), a struct
 * vmmem whose @frozen is set. Its type only keeps snapshots out of the
 * calls that change a map.
 *
 * Return: the live map, or the snapshot's frozen view.
 */
static __always_inline struct vmmem *vmmem_space_map(union vmmem_space space)
{
	return space.map;
}

/**
 * vmmem_current_layout() - the layout a reader sees
 * @vm: a live map or a snapshot view
 *
 * Context: rcu_read_lock() held, or @vm->lock for a live map.
 * Return: the layout; never NULL.
 */
static inline struct vmmem_layout *vmmem_current_layout(struct vmmem *vm)
{
	return rcu_dereference_check(vm->layout, lockdep_is_held(&vm->lock));
}

/**
 * vmmem_layout_search() - where a guest address falls in a layout
 * @layout: a published layout, possibly empty
 * @gpa: the guest-physical address
 *
 * Up to %VMMEM_SORTED_REGIONS regions: a binary search of @layout->starts.
 * Its branches follow the address, but a mispredicted one costs less than
 * the tree's chain of dependent loads at these sizes (make bench, random
 * lookups: 5.9 against 8.8 ns at 16 regions, 9.0 against 11.9 at 32, even
 * at 64, slower at 128).
 *
 * Above: descends @layout->search_tree: @height steps whatever @gpa is,
 * each a load and a conditional add, no branch to mispredict at random
 * addresses. The key is @gpa's page, so that the U64_MAX padding is above
 * every key (starts are page-aligned, so the answer is the same). The
 * path taken, read as a binary number, counts the starts at or below the
 * key.
 *
 * Either way the index stays inside the array at every step, so even a
 * mispredicted step reads nothing else.
 *
 * Return: the number of regions that start at or below @gpa: the region
 * that may hold @gpa is @layout->regions[return - 1]; 0 if none starts
 * at or below it.
 */
static __always_inline unsigned long
vmmem_layout_search(const struct vmmem_layout *layout, u64 gpa)
{
	const u64 *tree = layout->search_tree;
	u64 key = gpa & ~(u64)(PAGE_SIZE - 1);
	unsigned int level = layout->height;
	unsigned long k = 1, lo, hi, mid;

	if (layout->nr_regions <= VMMEM_SORTED_REGIONS) {
		/*
		 * Narrow [lo, hi) to the last start at or below @gpa, if any.
		 * The number of steps hardly depends on @gpa, so the loop's
		 * end is predicted; only the compares are guesses.
		 */
		lo = 0;
		hi = layout->nr_regions;
		if (unlikely(!hi))
			return 0;
		while (lo + 1 < hi) {
			mid = (lo + hi) / 2;
			if (layout->starts[mid] <= gpa)
				lo = mid;
			else
				hi = mid;
		}
		return lo + (layout->starts[lo] <= gpa);
	}
	/*
	 * The 16 nodes four levels below node k are tree[16k .. 16k + 15],
	 * two cache lines: fetch them while the next levels are searched.
	 * They exist while more than four levels are left.
	 */
	for (; level > 4; level--) {
		prefetch(&tree[16 * k]);
		prefetch(&tree[16 * k + 8]);
		k = 2 * k + (tree[k] <= key);
	}
	for (; level; level--)
		k = 2 * k + (tree[k] <= key);
	return k - (1UL << layout->height);
}

/**
 * vmmem_lookup() - find the region that contains a guest address
 * @vm: the map
 * @gpa: the guest-physical address
 *
 * Always inline, the search too: with the search out of line, the call
 * on every miss made sequential lookups twice as slow in make bench.
 *
 * A layout of at most %VMMEM_FEW_REGIONS regions is searched by comparing
 * each. Otherwise: accesses cluster in a few regions (rings, buffers): try
 * the region this CPU found last, then the one after it (a copy or a scan
 * that moved on), as KVM does with its per-vCPU last-used memslot; then
 * search (vmmem_layout_search()). The guess is per CPU so that lookups
 * write no cache line another CPU reads. It is an index, which any layout
 * can check: clamped under speculation, and a stale one just misses.
 *
 * Context: rcu_read_lock() held by the caller, or @vm->lock.
 * Return: the region, or NULL if @gpa is in a hole.
 */
static __always_inline struct vmmem_region *vmmem_lookup(struct vmmem *vm,
							 u64 gpa)
{
	struct vmmem_layout *layout = vmmem_current_layout(vm);
	unsigned int n = layout->nr_regions, i;
	struct vmmem_region *region;
	unsigned int *hint;

	/*
	 * A VM often has a handful of regions: compare each, from spans in
	 * the layout (one load per region, none through a region pointer),
	 * and write nothing. A mispredicted loop end reads a padding span,
	 * which holds nothing.
	 */
	if (n <= VMMEM_FEW_REGIONS) {
		if (unlikely(!n))
			return NULL;
		vmmem_count(vm, VMMEM_STAT_LOOKUP_FEW);
		for (i = 0; i < n; i++)
			if (gpa - layout->few_span[i].gpa < layout->few_span[i].size)
				return layout->few[i];
		return NULL;
	}
	/* Preemption may move us: then we guess for another CPU, harmlessly. */
	hint = raw_cpu_ptr(vm->hint);
	i = READ_ONCE(*hint);
	if (likely(i < n)) {
		region = layout->regions[array_index_nospec(i, n)];
		if (likely(gpa - region->gpa < region->size)) {
			vmmem_count(vm, VMMEM_STAT_LOOKUP_HINT);
			return region;
		}
		if (++i < n) {
			region = layout->regions[array_index_nospec(i, n)];
			if (gpa - region->gpa < region->size) {
				vmmem_count(vm, VMMEM_STAT_LOOKUP_NEXT);
				goto found;
			}
		}
	}
	vmmem_count(vm, VMMEM_STAT_LOOKUP_SEARCH);
	/*
	 * The last region that starts at or below @gpa; if none does,
	 * regions[0], which starts above @gpa and so does not hold it.
	 */
	i = vmmem_layout_search(layout, gpa);
	i = array_index_nospec(i - (i != 0), n);
	region = layout->regions[i];
	if (gpa - region->gpa >= region->size)
		return NULL;
found:
	WRITE_ONCE(*hint, i);
	return region;
}

/**
 * vmmem_region_ptr() - kernel address of a guest address inside a region
 * @region: the region containing @gpa
 * @gpa: the guest-physical address
 *
 * The offset is clamped under speculation, so a guest-chosen @gpa cannot
 * steer a speculative load outside the region.
 *
 * Return: the kernel address.
 */
static inline void *vmmem_region_ptr(const struct vmmem_region *region,
				     u64 gpa)
{
	u64 off = array_index_nospec(gpa - region->gpa, region->size);

	return region->hva + off;
}

/*
 * The protection of a kernel mapping vmmem makes: read-only regions are
 * read-only to the kernel too, so a device bug cannot write them.
 */
static inline pgprot_t vmmem_region_prot(const struct vmmem_region *region)
{
	return region->flags & VMMEM_REGION_RDONLY ? PAGE_KERNEL_RO : PAGE_KERNEL;
}

/* Last guest address of a region, inclusive. */
static inline u64 vmmem_region_last(const struct vmmem_region *region)
{
	return region->gpa + (region->size - 1);
}

/*
 * Writes need a writable region, and a region mapped on access needs a
 * caller that maps (VMMEM_ACCESS_MAPPING). With a constant @access, one
 * test of @region->flags.
 */
static __always_inline bool vmmem_region_permits(const struct vmmem_region *region,
						 unsigned int access)
{
	unsigned int refused = 0;

	if (access & VMMEM_WRITE)
		refused |= VMMEM_REGION_RDONLY;
	if (!(access & VMMEM_ACCESS_MAPPING))
		refused |= VMMEM_REGION_ON_ACCESS;
	return !(region->flags & refused);
}

/* Valid access bits from a caller of the API. */
static inline bool vmmem_access_valid(unsigned int access)
{
	return access && !(access & ~VMMEM_ACCESS_MASK);
}

/* @access was checked against @region: a write slice is writable. */
static inline void vmmem_fill_slice(struct vmmem_slice *slice,
				    struct vmmem_region *region, u64 gpa,
				    size_t len, unsigned int access)
{
	void *ptr = vmmem_region_ptr(region, gpa);

	slice->ptr = ptr;
	slice->wptr = access & VMMEM_WRITE ? ptr : NULL;
	slice->gpa = gpa;
	slice->len = len;
	slice->region = NULL;
}

/* The body of vmmem_slice_iter_init(), inlined into the copy loops. */
static __always_inline void __vmmem_slice_iter_init(struct vmmem_slice_iter *iter,
						    struct vmmem *vm, u64 gpa,
						    u64 len, unsigned int access)
{
	ACCESS_PRIVATE(iter, vm) = vm;
	iter->gpa = gpa;
	iter->remaining = len;
	iter->access = access;
	iter->past_end = false;
}

/**
 * __vmmem_slice_iter_next_upto() - next piece of a slice walk, at most @max bytes
 * @iter: the walk
 * @slice: filled with the piece
 * @regionp: set to the piece's region
 * @max: the longest piece wanted, non-zero
 *
 * Each call looks the region up afresh, so a walk may leave its RCU
 * read-side section between two calls (vmmem_rcu_pause()).
 *
 * In an IOVA space, @iter->gpa moves through IOVAs, and a piece ends
 * where its entry or its region ends; @slice->gpa is the guest-physical
 * address behind it, which dirty logging marks.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: 1 with a piece in @slice, 0 when the walk is complete, -EFAULT
 * at a hole, a byte past 2^64 - 1 or a region or IOVA entry that does not
 * permit the access, -EINVAL for invalid access bits, -ENOENT at an IOVA
 * with no entry in a space with a miss hook (see vmmem_miss_call()).
 */
static __always_inline int
__vmmem_slice_iter_next_upto(struct vmmem_slice_iter *iter,
			     struct vmmem_slice *slice,
			     struct vmmem_region **regionp, u64 max)
{
	struct vmmem *vm = ACCESS_PRIVATE(iter, vm);
	struct vmmem_region *region;
	u64 gpa, last, n;

	if (!iter->remaining)
		return 0;
	if (unlikely(iter->past_end))
		return -EFAULT;
	if (unlikely(!vmmem_access_valid(iter->access & ~VMMEM_ACCESS_MAPPING)))
		return -EINVAL;

	region = vmmem_lookup(vm, iter->gpa);
	if (likely(region)) {
		if (!vmmem_region_permits(region, iter->access))
			return -EFAULT;
		gpa = iter->gpa;
		last = vmmem_region_last(region) - gpa;
	} else if (unlikely(vm->iova)) {
		struct vmmem_xlate x = vmmem_iova_resolve(vm, iter->gpa,
							  iter->access);

		if (x.ret)
			return x.ret;
		region = x.region;
		gpa = x.gpa;
		last = x.last;
	} else {
		return -EFAULT;
	}

	/* Cannot overflow: a region holds at most 2^64 - PAGE_SIZE bytes. */
	n = min3(iter->remaining, last + 1, max);
	vmmem_fill_slice(slice, region, gpa, n, iter->access);

	iter->remaining -= n;
	/* Never wrap to address 0: the walk ends at 2^64 - 1. */
	if (iter->gpa + (n - 1) == U64_MAX)
		iter->past_end = true;
	iter->gpa += n;
	*regionp = region;
	return 1;
}

/* The body of vmmem_slice_iter_next(), inlined into the copy loops. */
static __always_inline int
__vmmem_slice_iter_next_region(struct vmmem_slice_iter *iter,
			       struct vmmem_slice *slice,
			       struct vmmem_region **regionp)
{
	return __vmmem_slice_iter_next_upto(iter, slice, regionp, U64_MAX);
}

/**
 * vmmem_walk_next() - next piece of a walk that may call a miss hook
 * @iter: the walk
 * @slice: filled with the piece
 * @regionp: set to the piece's region
 * @max: the longest piece wanted, non-zero
 * @miss: the access call's record of miss hook calls, zeroed at its start
 *
 * As __vmmem_slice_iter_next_upto(), but at an IOVA with no entry in a
 * space with a miss hook, the hook is called (RCU dropped around it: see
 * vmmem_iova_miss()) and the IOVA looked up again, once per address.
 *
 * Context: rcu_read_lock() held once by the caller.
 * Return: as __vmmem_slice_iter_next_upto(), or the hook's error; never
 * -ENOENT.
 */
static __always_inline int vmmem_walk_next(struct vmmem_slice_iter *iter,
					   struct vmmem_slice *slice,
					   struct vmmem_region **regionp,
					   u64 max, struct vmmem_miss *miss)
{
	int ret;

	while ((ret = __vmmem_slice_iter_next_upto(iter, slice, regionp,
						   max)) == -ENOENT) {
		ret = vmmem_miss_call(ACCESS_PRIVATE(iter, vm), iter->gpa,
				      iter->access, miss);
		if (ret)
			break;
	}
	return ret;
}

/*
 * Copies and harvests of long ranges leave their RCU read-side section
 * after about this much work (bytes copied, or pages of dirty bits
 * times PAGE_SIZE), so that a grace period never waits on one of them
 * for long: about 100 us of copying.
 */
#define VMMEM_RCU_CHUNK		SZ_1M

/*
 * Spend @done of a walk's budget: true once VMMEM_RCU_CHUNK has been spent
 * since the last pause (and the budget is full again).
 */
static inline bool vmmem_rcu_spend(unsigned long *budget, u64 done)
{
	if (*budget > done) {
		*budget -= done;
		return false;
	}
	*budget = VMMEM_RCU_CHUNK;
	return true;
}

void vmmem_rcu_pause(void);

/**
 * __vmmem_find_slice() - the body of vmmem_find_slice(), and the region
 * @vm: the map
 * @gpa: first guest-physical address of the range
 * @len: length of the range, inside one region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE
 * @slice: filled on success
 * @regionp: set to the slice's region on success
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: as vmmem_find_slice(), and -ENOENT at an IOVA with no entry in a
 * space with a miss hook.
 */
static inline int __vmmem_find_slice(struct vmmem *vm, u64 gpa, size_t len,
				     unsigned int access,
				     struct vmmem_slice *slice,
				     struct vmmem_region **regionp)
{
	struct vmmem_region *region;
	u64 last;

	if (!vmmem_access_valid(access))
		return -EINVAL;
	region = vmmem_lookup(vm, gpa);
	if (likely(region)) {
		if (!vmmem_region_permits(region, access))
			return -EFAULT;
		last = vmmem_region_last(region) - gpa;
	} else if (vm->iova) {
		struct vmmem_xlate x = vmmem_iova_resolve(vm, gpa, access);

		if (x.ret)
			return x.ret;
		region = x.region;
		gpa = x.gpa;
		last = x.last;
	} else {
		return -EFAULT;
	}
	/* Cannot overflow: a region holds at most 2^64 - PAGE_SIZE bytes. */
	if (len > last + 1)
		return -EINVAL;

	vmmem_fill_slice(slice, region, gpa, len, access);
	*regionp = region;
	return 0;
}

static __always_inline int __vmmem_slice_iter_next(struct vmmem_slice_iter *iter,
						   struct vmmem_slice *slice)
{
	struct vmmem_region *region;

	return __vmmem_slice_iter_next_region(iter, slice, &region);
}

#endif /* _VMMEM_INTERNAL_H */
