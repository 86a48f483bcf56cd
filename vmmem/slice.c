// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slices: contiguous kernel views of guest memory, one region at a time.
 * Everything that touches guest bytes (copies, range checks) is built on
 * the slice walk, so the hole, permission and 2^64 rules live in one place.
 */
#include <linux/lockdep.h>

#include "vmmem.h"

/**
 * vmmem_find_slice() - kernel view of a guest range inside one region
 * @space: the map or snapshot
 * @gpa: first guest-physical address of the range
 * @len: length of the range in bytes; 0 gives an empty slice at a mapped
 *	@gpa
 * @access: %VMMEM_READ and/or %VMMEM_WRITE that the caller will do
 * @slice: filled on success
 *
 * No reference is taken (vmmem_hold() takes one): the slice stays valid
 * only until the caller leaves the rcu_read_lock() section it was
 * obtained in. Accesses through it are the caller's to make
 * untorn (READ_ONCE() and friends) where the guest may race with them.
 *
 * Context: rcu_read_lock() held by the caller; does not sleep.
 * Return: 0 on success; -EFAULT if @gpa is unmapped or the region does not
 * permit @access; -EINVAL if the range would cross the end of the region
 * or @access is invalid.
 */
int vmmem_find_slice(union vmmem_space space, u64 gpa, size_t len,
		     unsigned int access, struct vmmem_slice *slice)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_region *region;
	int ret;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "vmmem slice taken outside rcu_read_lock()");
	ret = __vmmem_find_slice(vm, gpa, len, access, slice, &region);
	vmmem_count(vm, VMMEM_STAT_FIND_SLICE);
	if (likely(!ret))
		return 0;
	/* Inside the caller's RCU section: no miss hook, a miss is a hole. */
	return vmmem_access_fault(vm, ret == -ENOENT ? -EFAULT : ret,
				  VMMEM_FAULT_STRADDLE, gpa, len, access,
				  _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(vmmem_find_slice, VMMEM_NS);

/**
 * vmmem_slice_iter_init() - start a walk over the pieces of a guest range
 * @space: the map or snapshot
 * @gpa: first guest-physical address of the range
 * @len: length of the range in bytes
 * @access: %VMMEM_READ and/or %VMMEM_WRITE, checked on every piece
 * @iter: the walk to initialise
 *
 * Context: Any context.
 */
void vmmem_slice_iter_init(union vmmem_space space, u64 gpa, u64 len,
			   unsigned int access, struct vmmem_slice_iter *iter)
{
	/* vmmem's own access bits are refused, as other invalid ones are. */
	if (access & ~VMMEM_ACCESS_MASK)
		access = 0;
	__vmmem_slice_iter_init(iter, vmmem_space_map(space), gpa, len, access);
}
EXPORT_SYMBOL_NS_GPL(vmmem_slice_iter_init, VMMEM_NS);

/**
 * vmmem_slice_iter_next() - next per-region piece of a guest range
 * @iter: the walk, from vmmem_slice_iter_init()
 * @slice: filled with the piece on a return of 1
 *
 * Each piece is the largest run inside one region (and, in an IOVA space,
 * one entry); adjacent regions give consecutive pieces. The slices are
 * valid until the caller leaves its rcu_read_lock() section, which must
 * cover the whole walk. A miss in an IOVA space is a hole here: the miss
 * hook is not called inside the caller's RCU section.
 *
 * Context: rcu_read_lock() held by the caller; does not sleep.
 * Return: 1 with a piece in @slice; 0 when the range is complete; -EFAULT
 * at a hole, a region that does not permit the access, or a byte past
 * 2^64 - 1; -EINVAL if the walk's access bits are invalid.
 */
int vmmem_slice_iter_next(struct vmmem_slice_iter *iter,
			  struct vmmem_slice *slice)
{
	struct vmmem *vm = ACCESS_PRIVATE(iter, vm);
	int ret;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "vmmem slice walk outside rcu_read_lock()");
	ret = __vmmem_slice_iter_next(iter, slice);
	if (likely(ret >= 0)) {
		vmmem_count_add(vm, VMMEM_STAT_SLICE_ITER, ret);
		return ret;
	}
	/* Inside the caller's RCU section: no miss hook, a miss is a hole. */
	if (ret == -ENOENT)
		ret = -EFAULT;
	/* Past 2^64 - 1, the walk's address has wrapped to 0. */
	if (ret == -EFAULT && iter->past_end)
		vmmem_fault(vm, VMMEM_FAULT_PAST_END, 0, iter->remaining,
			    iter->access, _RET_IP_);
	else
		vmmem_access_fault(vm, ret, VMMEM_FAULT_STRADDLE, iter->gpa,
				   iter->remaining, iter->access, _RET_IP_);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_slice_iter_next, VMMEM_NS);

/**
 * vmmem_check_range() - tell whether a whole guest range is accessible
 * @space: the map or snapshot
 * @gpa: first guest-physical address of the range
 * @len: length of the range in bytes
 * @access: %VMMEM_READ and/or %VMMEM_WRITE
 *
 * The answer may be stale as soon as it is returned if the map changes;
 * use it for validation, not as a guarantee that a later copy succeeds.
 * A range that fails counts as a fault in the map's statistics and trace
 * events, as an access that met the same byte would.
 *
 * Context: Any context.
 * Return: true if every byte of the range is mapped and permits @access
 * (always true for @len 0 with valid @access); false otherwise, including
 * a range that runs past 2^64 - 1 or invalid @access.
 */
bool vmmem_check_range(union vmmem_space space, u64 gpa, u64 len,
		       unsigned int access)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_slice_iter iter;
	struct vmmem_slice slice;
	int ret;

	if (!vmmem_access_valid(access))
		return false;
	vmmem_count(vm, VMMEM_STAT_CHECK_RANGE);
	/* Memory mapped on access counts as mapped: copies reach it. */
	__vmmem_slice_iter_init(&iter, vm, gpa, len,
				access | VMMEM_ACCESS_MAPPING);
	rcu_read_lock();
	while ((ret = __vmmem_slice_iter_next(&iter, &slice)) > 0)
		;
	rcu_read_unlock();
	/* A device asking is a device about to refuse the guest: counted. */
	if (unlikely(ret))
		vmmem_walk_fault(vm, gpa, len, len - iter.remaining, access,
				 _RET_IP_);
	return ret == 0;
}
EXPORT_SYMBOL_NS_GPL(vmmem_check_range, VMMEM_NS);
