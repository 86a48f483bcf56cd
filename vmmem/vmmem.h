/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmmem internals shared by the source files of the module. Nothing here is
 * visible to users of <linux/vmmem.h>.
 */
#ifndef _VMMEM_INTERNAL_H
#define _VMMEM_INTERNAL_H

#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/vmmem.h>

#include "compat.h"

struct vmmem_region;

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
 * @hva: kernel address of @gpa; the region is contiguous from here
 * @flags: VMMEM_REGION_* flags given at add time
 * @ops: backing-specific operations
 * @pages: the backing pages, for user and page-array regions
 * @npages: number of entries in @pages (size / PAGE_SIZE)
 * @nr_large: how many of @pages belong to large folios (THP, hugetlb)
 * @mm: user regions: the mm the pages were pinned from and are accounted to
 * @uaddr: user regions: the VMM's address of @gpa in @mm
 *
 * Immutable once published in the map, so lock-free readers need no
 * ordering beyond the maple tree's own rcu_assign_pointer().
 */
struct vmmem_region {
	u64 gpa;
	u64 size;
	void *hva;
	unsigned int flags;
	const struct vmmem_backing_ops *ops;
	struct page **pages;
	unsigned long npages;
	unsigned long nr_large;
	struct mm_struct *mm;
	unsigned long uaddr;
};

/**
 * struct vmmem - a guest-physical address space
 * @map: gpa -> region, one maple tree range per region, RCU mode
 * @lock: serialises every writer of @map and @nr_regions
 * @users: references held through vmmem_create() and vmmem_get()
 * @nr_regions: regions in @map
 * @generation: bumped after every published change of @map
 */
struct vmmem {
	struct maple_tree map;
	struct mutex lock;	/* serialises writers of @map */
	refcount_t users;
	unsigned int nr_regions;
	atomic64_t generation;
};

int vmmem_check_new_region(u64 gpa, u64 size, unsigned int flags);
bool vmmem_range_in_use(struct vmmem *vm, u64 gpa, u64 size);
int vmmem_insert_region(struct vmmem *vm, struct vmmem_region *region);
void vmmem_region_release(struct vmmem_region *region);

/**
 * vmmem_lookup() - find the region that contains a guest address
 * @vm: the map
 * @gpa: the guest-physical address
 *
 * Context: rcu_read_lock() held by the caller, or @vm->lock.
 * Return: the region, or NULL if @gpa is in a hole.
 */
static inline struct vmmem_region *vmmem_lookup(struct vmmem *vm, u64 gpa)
{
	return mtree_load(&vm->map, gpa);
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

/* Last guest address of a region, inclusive. */
static inline u64 vmmem_region_last(const struct vmmem_region *region)
{
	return region->gpa + (region->size - 1);
}

static inline bool vmmem_region_permits(const struct vmmem_region *region,
					unsigned int access)
{
	return !((access & VMMEM_WRITE) && (region->flags & VMMEM_REGION_RDONLY));
}

static inline bool vmmem_access_valid(unsigned int access)
{
	return access && !(access & ~VMMEM_ACCESS_MASK);
}

/**
 * __vmmem_slice_iter_next() - next piece of a slice walk
 * @iter: the walk
 * @slice: filled with the piece
 *
 * The body of vmmem_slice_iter_next(), inlined into the copy loops.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: 1 with a piece in @slice, 0 when the walk is complete, -EFAULT
 * at a hole, a byte past 2^64 - 1 or a region that does not permit the
 * access, -EINVAL for invalid access bits.
 */
static __always_inline int __vmmem_slice_iter_next(struct vmmem_slice_iter *iter,
						   struct vmmem_slice *slice)
{
	const struct vmmem_region *region;
	u64 avail, n;

	if (!iter->remaining)
		return 0;
	if (unlikely(iter->past_end))
		return -EFAULT;
	if (unlikely(!vmmem_access_valid(iter->access)))
		return -EINVAL;

	region = vmmem_lookup(iter->vm, iter->gpa);
	if (!region || !vmmem_region_permits(region, iter->access))
		return -EFAULT;

	/* Cannot overflow: a region holds at most 2^64 - PAGE_SIZE bytes. */
	avail = vmmem_region_last(region) - iter->gpa + 1;
	n = min(iter->remaining, avail);

	slice->ptr = vmmem_region_ptr(region, iter->gpa);
	slice->gpa = iter->gpa;
	slice->len = n;
	slice->writable = !(region->flags & VMMEM_REGION_RDONLY);

	iter->remaining -= n;
	/* Never wrap to guest address 0: the walk ends at 2^64 - 1. */
	if (n == avail && vmmem_region_last(region) == U64_MAX)
		iter->past_end = true;
	iter->gpa += n;
	return 1;
}

#endif /* _VMMEM_INTERNAL_H */
