// SPDX-License-Identifier: GPL-2.0-only
/*
 * Streams: copies between guest memory and any iov_iter (kvec, bvec, user
 * buffers), and the user-pointer forms built on them. Kernel iterators are
 * copied under RCU; user iterators piece by piece through held slices,
 * outside RCU, because copying to or from user memory may fault and sleep.
 */
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "vmmem.h"

/*
 * Hold the next per-region piece of [gpa, gpa + len): 1 with @slice held,
 * 0 when @len is 0, -EFAULT at a hole or a forbidden region.
 */
static int vmmem_hold_next(struct vmmem *vm, u64 gpa, u64 len,
			   unsigned int access, struct vmmem_slice *slice)
{
	struct vmmem_slice_iter iter;
	struct vmmem_region *region;
	int ret;

	__vmmem_slice_iter_init(&iter, vm, gpa, len, access);
	rcu_read_lock();
	ret = __vmmem_slice_iter_next_region(&iter, slice, &region);
	if (ret > 0) {
		vmmem_region_get(region);
		slice->region = region;
	}
	rcu_read_unlock();
	return ret;
}

/* Copy one piece; writes into guest memory are dirty-logged. */
static size_t vmmem_iter_piece(const struct vmmem_slice *slice,
			       struct vmmem_region *region,
			       struct iov_iter *iter, bool to_guest)
{
	size_t n;

	if (!to_guest)
		return copy_to_iter(slice->ptr, slice->len, iter);
	n = copy_from_iter(slice->ptr, slice->len, iter);
	if (n)
		vmmem_dirty_note(region, slice->gpa, n);
	return n;
}

/* Kernel iterators cannot fault: copy under RCU, without holding. */
static size_t vmmem_iter_copy_rcu(struct vmmem *vm, u64 gpa, size_t len,
				  struct iov_iter *iter, bool to_guest)
{
	struct vmmem_slice_iter walk;
	struct vmmem_region *region;
	struct vmmem_slice slice;
	size_t done = 0, n;

	__vmmem_slice_iter_init(&walk, vm, gpa, len,
				to_guest ? VMMEM_WRITE : VMMEM_READ);
	rcu_read_lock();
	while (__vmmem_slice_iter_next_region(&walk, &slice, &region) > 0) {
		n = vmmem_iter_piece(&slice, region, iter, to_guest);
		done += n;
		if (n < slice.len)
			break;
	}
	rcu_read_unlock();
	return done;
}

static size_t vmmem_iter_copy(struct vmmem *vm, u64 gpa, size_t len,
			      struct iov_iter *iter, bool to_guest)
{
	struct vmmem_slice slice;
	size_t done = 0, n;

	len = min(len, iov_iter_count(iter));
	if (!user_backed_iter(iter))
		return vmmem_iter_copy_rcu(vm, gpa, len, iter, to_guest);

	/* User memory may fault and sleep: copy each piece through a hold. */
	while (done < len &&
	       vmmem_hold_next(vm, gpa + done, len - done,
			       to_guest ? VMMEM_WRITE : VMMEM_READ, &slice) > 0) {
		n = vmmem_iter_piece(&slice, slice.region, iter, to_guest);
		vmmem_release_slice(&slice);
		done += n;
		if (n < slice.len || slice.gpa + (slice.len - 1) == U64_MAX)
			break;
	}
	return done;
}

/* All of it, or -EFAULT with the iterator back where it was. */
static int vmmem_iter_copy_full(struct vmmem *vm, u64 gpa, size_t len,
				struct iov_iter *iter, bool to_guest)
{
	size_t done = vmmem_iter_copy(vm, gpa, len, iter, to_guest);

	if (done == len)
		return 0;
	iov_iter_revert(iter, done);
	return -EFAULT;
}

/**
 * vmmem_copy_to_iter() - copy guest memory into an iov_iter
 * @vm: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes
 * @iter: the destination; advanced by exactly the bytes copied
 *
 * Stops at a hole, past 2^64 - 1, or when @iter is full or faults.
 *
 * Context: Any context for kernel iterators (kvec, bvec); process context
 * for user iterators, which may fault and sleep.
 * Return: the number of bytes copied.
 */
size_t vmmem_copy_to_iter(struct vmmem *vm, u64 gpa, size_t len,
			  struct iov_iter *iter)
{
	return vmmem_iter_copy(vm, gpa, len, iter, false);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_to_iter, VMMEM_NS);

/**
 * vmmem_copy_from_iter() - copy an iov_iter into guest memory
 * @vm: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes
 * @iter: the source; advanced by exactly the bytes copied
 *
 * Stops at a hole, a read-only region, past 2^64 - 1, or when @iter is
 * exhausted or faults. The bytes written are dirty-logged.
 *
 * Context: As vmmem_copy_to_iter().
 * Return: the number of bytes copied.
 */
size_t vmmem_copy_from_iter(struct vmmem *vm, u64 gpa, size_t len,
			    struct iov_iter *iter)
{
	return vmmem_iter_copy(vm, gpa, len, iter, true);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_from_iter, VMMEM_NS);

/**
 * vmmem_copy_to_iter_full() - copy a whole guest range into an iov_iter
 * @vm: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes
 * @iter: the destination
 *
 * Context: As vmmem_copy_to_iter().
 * Return: 0 with @iter advanced by @len; -EFAULT if fewer bytes could be
 * copied, with @iter back where it was (its buffer may hold part of the
 * data).
 */
int vmmem_copy_to_iter_full(struct vmmem *vm, u64 gpa, size_t len,
			    struct iov_iter *iter)
{
	return vmmem_iter_copy_full(vm, gpa, len, iter, false);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_to_iter_full, VMMEM_NS);

/**
 * vmmem_copy_from_iter_full() - copy an iov_iter into a whole guest range
 * @vm: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes
 * @iter: the source
 *
 * Context: As vmmem_copy_to_iter().
 * Return: 0 with @iter advanced by @len; -EFAULT if fewer bytes could be
 * copied, with @iter back where it was (guest memory may hold part of the
 * data, dirty-logged).
 */
int vmmem_copy_from_iter_full(struct vmmem *vm, u64 gpa, size_t len,
			      struct iov_iter *iter)
{
	return vmmem_iter_copy_full(vm, gpa, len, iter, true);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_from_iter_full, VMMEM_NS);

/**
 * vmmem_copy_to_user() - copy guest memory to a user buffer
 * @vm: the map or snapshot
 * @dst: user buffer of the calling process
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes
 *
 * Context: Process context; may fault and sleep.
 * Return: the number of bytes not copied, 0 on full success.
 */
unsigned long vmmem_copy_to_user(struct vmmem *vm, void __user *dst, u64 gpa,
				 unsigned long len)
{
	struct iov_iter iter;

	/* Not import_ubuf(): it would cap @len at MAX_RW_COUNT, and 6.1 lacks it. */
	if (!access_ok(dst, len))
		return len;
	iov_iter_ubuf(&iter, ITER_DEST, dst, len);
	return len - vmmem_iter_copy(vm, gpa, len, &iter, false);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_to_user, VMMEM_NS);

/**
 * vmmem_copy_from_user() - copy a user buffer into guest memory
 * @vm: the map or snapshot
 * @gpa: guest-physical address of the first byte
 * @src: user buffer of the calling process
 * @len: number of bytes
 *
 * The bytes written are dirty-logged.
 *
 * Context: Process context; may fault and sleep.
 * Return: the number of bytes not copied, 0 on full success.
 */
unsigned long vmmem_copy_from_user(struct vmmem *vm, u64 gpa,
				   const void __user *src, unsigned long len)
{
	struct iov_iter iter;

	if (!access_ok(src, len))
		return len;
	iov_iter_ubuf(&iter, ITER_SOURCE, (void __user *)src, len);
	return len - vmmem_iter_copy(vm, gpa, len, &iter, true);
}
EXPORT_SYMBOL_NS_GPL(vmmem_copy_from_user, VMMEM_NS);
