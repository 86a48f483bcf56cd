// SPDX-License-Identifier: GPL-2.0-only
/*
 * Held slices: a reference on the region behind a guest range, so that a
 * kernel pointer or the pages behind it stay valid while the caller sleeps
 * (block I/O, sendmsg()). Removing a held region takes it out of the map at
 * once; its memory is released when the last holder lets go. In a region
 * mapped on access that keeps pages mapped, each page is a slice of its
 * own, and the page's mapping is kept for the holder too.
 */
#include "vmmem.h"

/*
 * Hold @piece of a region mapped on access, page by page, into @slices
 * from *@n (counting past @max without holding). Returns 0, or an error
 * with the bytes of @piece from the page that failed in *@left; what it
 * held is in @slices for the caller to release.
 */
static int vmmem_hold_mapped(struct vmmem_region *region,
			     const struct vmmem_slice *piece,
			     unsigned int access, struct vmmem_slice *slices,
			     unsigned int max, unsigned int *n, u64 *left)
{
	u64 gpa = piece->gpa, rest = piece->len, len;
	void *kaddr;
	int ret;

	for (; rest; rest -= len, gpa += len, (*n)++) {
		len = min_t(u64, rest, PAGE_SIZE - (gpa & ~PAGE_MASK));
		if (*n >= max)
			continue;
		ret = vmmem_map_kept(region, gpa, access, &kaddr);
		if (ret) {
			*left = rest;
			return ret;
		}
		vmmem_region_get(region);
		slices[*n] = (struct vmmem_slice){
			.ptr = kaddr + (gpa & ~PAGE_MASK),
			.wptr = access & VMMEM_WRITE ?
				kaddr + (gpa & ~PAGE_MASK) : NULL,
			.gpa = gpa,
			.len = len,
			.region = region,
		};
	}
	return 0;
}

/**
 * vmmem_release() - let go of held slices
 * @slices: from vmmem_hold(); their fields are invalid afterwards
 * @nr: number of slices it returned
 *
 * If a region was removed and this was its last holder, its memory is
 * released from a workqueue.
 *
 * Context: Any context; does not sleep.
 */
void vmmem_release(struct vmmem_slice *slices, unsigned int nr)
{
	struct vmmem_slice *slice;

	while (nr--) {
		slice = &slices[nr];
		if (slice->region) {
			if (slice->region->flags & VMMEM_REGION_ON_ACCESS)
				vmmem_unmap_kept(slice->region, slice->gpa);
			vmmem_region_put(slice->region);
			slice->region = NULL;
		}
		slice->ptr = NULL;
		slice->wptr = NULL;
	}
}
EXPORT_SYMBOL_NS_GPL(vmmem_release, VMMEM_NS);

/**
 * vmmem_hold() - slices of a guest range that stay valid across sleeping
 * @space: the map or snapshot
 * @gpa: first guest-physical address of the range
 * @len: length of the range in bytes
 * @access: %VMMEM_READ and/or %VMMEM_WRITE, checked on every piece
 * @slices: array to fill with held slices, one per region crossed (one
 *	per page in a region mapped on access)
 * @nr: in: entries in @slices; out: pieces held, or pieces needed after
 *	-ENOBUFS
 *
 * Like vmmem_find_slice(), but without the caller's rcu_read_lock(): each
 * slice holds a reference on its region, which keeps the memory (and, for
 * user and page-array regions, the pages) until vmmem_release(), even if
 * the region is removed from the map meanwhile. Holding does not block
 * removal, so a holder may remove the region it holds. A range inside one
 * region needs one slice. All or nothing: on any error no slice is held.
 *
 * In a region mapped on access (%VMMEM_ADD_MAPPED), only pages the region
 * keeps mapped (&vmmem_update.cache_pages) can be held: each is a slice of
 * its own, whose mapping stays until vmmem_release().
 *
 * Context: Any context; does not sleep (but see vmmem_iova_create() for a
 * space with a miss hook).
 * Return: 0 with *@nr held slices (none for @len 0); -ENOBUFS if the range
 * needs more than *@nr slices (*@nr then says how many); -EFAULT at a hole,
 * a region that does not permit @access or a byte past 2^64 - 1, a region
 * mapped on access that keeps no pages or a page its provider does not
 * map; -EBUSY for a page whose slot in such a region is in use by another
 * page (or by a read-only mapping, for a write); -EINVAL if @access is
 * invalid; in an IOVA space, -EFAULT also for an entry that does not
 * permit @access or a miss, or the miss hook's error.
 */
int vmmem_hold(union vmmem_space space, u64 gpa, u64 len, unsigned int access,
	       struct vmmem_slice *slices, unsigned int *nr)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_slice_iter iter;
	struct vmmem_miss miss = {};
	struct vmmem_region *region;
	struct vmmem_slice piece;
	unsigned int n = 0;
	u64 left = 0;
	int ret;

	/* Checked here too, as a walk of nothing never looks at them. */
	if (!vmmem_access_valid(access))
		return -EINVAL;
	vmmem_count(vm, VMMEM_STAT_HOLD);
	__vmmem_slice_iter_init(&iter, vm, gpa, len,
				access | VMMEM_ACCESS_MAPPING);
	rcu_read_lock();
	while ((ret = vmmem_walk_next(&iter, &piece, &region, U64_MAX,
				      &miss)) > 0) {
		if (unlikely(region->flags & VMMEM_REGION_ON_ACCESS)) {
			ret = vmmem_hold_mapped(region, &piece, access, slices,
						*nr, &n, &left);
			if (ret)
				break;
		} else if (n < *nr) {
			vmmem_region_get(region);
			piece.region = region;
			slices[n] = piece;
			n++;
		} else {
			n++;
		}
	}
	rcu_read_unlock();

	if (unlikely(ret == -EFAULT))
		vmmem_walk_fault(vm, gpa, len, len - iter.remaining - left,
				 access, _RET_IP_);
	if (!ret && n > *nr)
		ret = -ENOBUFS;
	if (ret) {
		vmmem_release(slices, min(n, *nr));
		if (ret == -ENOBUFS)
			*nr = n;
		return ret;
	}
	*nr = n;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vmmem_hold, VMMEM_NS);
