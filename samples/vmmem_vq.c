// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_vq - a split virtqueue (virtio 1.x, little-endian) over vmmem.
 *
 * See vmmem_vq.h. The guest is not trusted: every index read from guest
 * memory is checked against the queue size and clamped with
 * array_index_nospec(), every loop is bounded by the queue size or the
 * indirect table length, and every descriptor is copied out once with
 * vmmem_copy_from_guest() and only the copy is used.
 */
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/version.h>
#include <linux/vmmem.h>
#include <uapi/linux/virtio_ring.h>

#include "vmmem_vq.h"

#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
MODULE_IMPORT_NS("VMMEM");
#else
MODULE_IMPORT_NS(VMMEM);
#endif

/* Offsets in the split rings (virtio 1.x, 2.7.6 and 2.7.8). */
#define VQ_RING_FLAGS	0
#define VQ_RING_IDX	2
#define VQ_RING_ENTRIES	4

struct vq_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct vq_used_elem {
	__le32 id;
	__le32 len;
};

static_assert(sizeof(struct vq_desc) == 16);
static_assert(sizeof(struct vq_used_elem) == 8);

/**
 * vmmem_vq_init() - set up a split virtqueue
 * @vq: the queue to fill
 * @desc: guest address of the descriptor table
 * @avail: guest address of the avail ring
 * @used: guest address of the used ring
 * @size: number of entries
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was negotiated
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC was negotiated
 *
 * Checks the size and the alignment of the rings; the rings themselves are
 * checked by every access.
 *
 * Context: Any context.
 * Return: 0, or -EINVAL for a bad size or a misaligned ring.
 */
int vmmem_vq_init(struct vmmem_vq *vq, u64 desc, u64 avail, u64 used,
		  u32 size, bool event_idx, bool indirect)
{
	if (!size || size > 32768 || !is_power_of_2(size))
		return -EINVAL;
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->size = size;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->last_avail = 0;
	vq->avail_idx = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	return 0;
}
EXPORT_SYMBOL_GPL(vmmem_vq_init);

static int vq_read_desc(union vmmem_space space, u64 table, u32 i,
			struct vq_desc *d)
{
	if (vmmem_copy_from_guest(space, table + (u64)i * sizeof(*d), d,
				  sizeof(*d)))
		return -EFAULT;
	return 0;
}

static int vq_add_buf(const struct vq_desc *d, struct vmmem_vq_buf *bufs,
		      unsigned int max_bufs, unsigned int *nr, bool *seen_write)
{
	bool write = le16_to_cpu(d->flags) & VRING_DESC_F_WRITE;
	u64 addr = le64_to_cpu(d->addr);
	u32 len = le32_to_cpu(d->len);

	/* Readable buffers come before writable ones (virtio 1.x, 2.7.4.2). */
	if (!write && *seen_write)
		return -EINVAL;
	if (addr + len < addr)
		return -EINVAL;
	if (*nr >= max_bufs)
		return -E2BIG;
	*seen_write |= write;
	bufs[*nr].addr = addr;
	bufs[*nr].len = len;
	bufs[*nr].write = write;
	(*nr)++;
	return 0;
}

static int vq_walk_indirect(union vmmem_space space, struct vmmem_vq *vq,
			    const struct vq_desc *id, struct vmmem_vq_buf *bufs,
			    unsigned int max_bufs, unsigned int *nr,
			    bool *seen_write)
{
	u64 table = le64_to_cpu(id->addr);
	u32 len = le32_to_cpu(id->len);
	u32 count, i = 0, steps;
	struct vq_desc d;
	int ret;

	if (!vq->indirect)
		return -EINVAL;
	if (!len || len % sizeof(d) || (table & 15))
		return -EINVAL;
	count = len / sizeof(d);
	if (count > VMMEM_VQ_MAX_INDIRECT)
		return -E2BIG;

	for (steps = 0; steps < count; steps++) {
		i = array_index_nospec(i, count);
		ret = vq_read_desc(space, table, i, &d);
		if (ret)
			return ret;
		/* No nested indirect tables (virtio 1.x, 2.7.5.3.1). */
		if (le16_to_cpu(d.flags) & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		ret = vq_add_buf(&d, bufs, max_bufs, nr, seen_write);
		if (ret)
			return ret;
		if (!(le16_to_cpu(d.flags) & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(d.next);
		if (i >= count)
			return -EINVAL;
	}
	/* More steps than entries: the chain loops. */
	return -ELOOP;
}

/**
 * vmmem_vq_pop() - take the next chain the driver made available
 * @space: the guest memory the queue lives in
 * @vq: the queue
 * @bufs: filled with the chain's buffers, readable ones first
 * @max_bufs: room in @bufs
 * @nr_bufs: filled with the number of buffers in the chain
 * @head: filled with the chain's head index, for vmmem_vq_push()
 *
 * Reads the avail index with acquire ordering when the entries seen
 * before are used up, then copies each descriptor of the next chain once
 * and checks it. A malformed chain is still taken off the avail ring
 * (@head is set when it could be read), so the caller may return it.
 *
 * Context: Any context; does not sleep unless @space does.
 * Return: 1 with a chain, 0 if none is available, -EFAULT if guest memory
 * could not be read, -EINVAL for a bad index, flag combination or order,
 * -E2BIG for a chain longer than @max_bufs or an indirect table too long,
 * -ELOOP for a looping chain, -EPROTO if the driver moved avail further
 * than the queue size.
 */
int vmmem_vq_pop(union vmmem_space space, struct vmmem_vq *vq,
		 struct vmmem_vq_buf *bufs, unsigned int max_bufs,
		 unsigned int *nr_bufs, u16 *head)
{
	bool seen_write = false;
	unsigned int nr = 0;
	u32 i, steps;
	__le16 raw;
	struct vq_desc d;
	int ret;

	*nr_bufs = 0;
	if (vq->last_avail == vq->avail_idx) {
		/* Pairs with the driver's release store of avail->idx. */
		ret = vmmem_load_acquire(space, vq->avail + VQ_RING_IDX, &raw);
		if (ret)
			return ret;
		if ((u16)(le16_to_cpu(raw) - vq->last_avail) > vq->size)
			return -EPROTO;
		vq->avail_idx = le16_to_cpu(raw);
		if (vq->last_avail == vq->avail_idx)
			return 0;
	}

	ret = vmmem_load(space, vq->avail + VQ_RING_ENTRIES +
			 (u64)(vq->last_avail & (vq->size - 1)) * sizeof(raw),
			 &raw);
	if (ret)
		return ret;
	vq->last_avail++;
	i = le16_to_cpu(raw);
	if (i >= vq->size)
		return -EINVAL;
	*head = i;

	for (steps = 0; steps < vq->size; steps++) {
		i = array_index_nospec(i, vq->size);
		ret = vq_read_desc(space, vq->desc, i, &d);
		if (ret)
			return ret;
		if (le16_to_cpu(d.flags) & VRING_DESC_F_INDIRECT) {
			/* An indirect descriptor is the whole chain. */
			if (steps || (le16_to_cpu(d.flags) & VRING_DESC_F_NEXT))
				return -EINVAL;
			ret = vq_walk_indirect(space, vq, &d, bufs, max_bufs,
					       &nr, &seen_write);
			if (ret)
				return ret;
			*nr_bufs = nr;
			return 1;
		}
		ret = vq_add_buf(&d, bufs, max_bufs, &nr, &seen_write);
		if (ret)
			return ret;
		if (!(le16_to_cpu(d.flags) & VRING_DESC_F_NEXT)) {
			*nr_bufs = nr;
			return 1;
		}
		i = le16_to_cpu(d.next);
		if (i >= vq->size)
			return -EINVAL;
	}
	return -ELOOP;
}
EXPORT_SYMBOL_GPL(vmmem_vq_pop);

/**
 * vmmem_vq_push() - put a chain in the used ring, unpublished
 * @space: the guest memory the queue lives in
 * @vq: the queue
 * @head: the chain's head index, from vmmem_vq_pop()
 * @len: bytes the device wrote into the chain
 *
 * The used index is published by vmmem_vq_publish().
 *
 * Context: Any context; does not sleep unless @space does.
 * Return: 0, -EINVAL if @head is out of range, or -EFAULT.
 */
int vmmem_vq_push(union vmmem_space space, struct vmmem_vq *vq, u16 head,
		  u32 len)
{
	struct vq_used_elem e;

	if (head >= vq->size)
		return -EINVAL;
	e.id = cpu_to_le32(head);
	e.len = cpu_to_le32(len);
	if (vmmem_copy_to_guest(space, vq->used + VQ_RING_ENTRIES +
				(u64)(vq->used_idx & (vq->size - 1)) * sizeof(e),
				&e, sizeof(e)))
		return -EFAULT;
	vq->used_idx++;
	return 0;
}
EXPORT_SYMBOL_GPL(vmmem_vq_push);

/**
 * vmmem_vq_publish() - publish the used index
 * @space: the guest memory the queue lives in
 * @vq: the queue
 *
 * A release store: the data and used elements written before are visible
 * to the driver before the index.
 *
 * Context: Any context; does not sleep unless @space does.
 * Return: 0 or -EFAULT.
 */
int vmmem_vq_publish(union vmmem_space space, struct vmmem_vq *vq)
{
	return vmmem_store_release(space, vq->used + VQ_RING_IDX,
				   cpu_to_le16(vq->used_idx));
}
EXPORT_SYMBOL_GPL(vmmem_vq_publish);

/**
 * vmmem_vq_enable_notify() - ask the driver to kick for the next chain
 * @space: the guest memory the queue lives in
 * @vq: the queue
 *
 * With event index, writes avail_event (after the used ring) as the next
 * avail entry the device will take; then, after a full barrier, reads the
 * avail index again so that a chain made available meanwhile is not
 * missed.
 *
 * Context: Any context; does not sleep unless @space does.
 * Return: 1 if more chains are available (keep processing), 0 if none, or
 * -EFAULT / -EPROTO as vmmem_vq_pop().
 */
int vmmem_vq_enable_notify(union vmmem_space space, struct vmmem_vq *vq)
{
	__le16 raw;
	int ret;

	if (vq->event_idx) {
		ret = vmmem_store(space, vq->used + VQ_RING_ENTRIES +
				  (u64)vq->size * sizeof(struct vq_used_elem),
				  cpu_to_le16(vq->last_avail));
		if (ret)
			return ret;
	}
	/* The avail_event store before the avail index load. */
	virt_mb();
	ret = vmmem_load_acquire(space, vq->avail + VQ_RING_IDX, &raw);
	if (ret)
		return ret;
	if ((u16)(le16_to_cpu(raw) - vq->last_avail) > vq->size)
		return -EPROTO;
	vq->avail_idx = le16_to_cpu(raw);
	return vq->avail_idx != vq->last_avail;
}
EXPORT_SYMBOL_GPL(vmmem_vq_enable_notify);

/**
 * vmmem_vq_need_interrupt() - whether the driver wants a used notification
 * @space: the guest memory the queue lives in
 * @vq: the queue
 *
 * Call after vmmem_vq_publish(). With event index, compares the driver's
 * used_event with the used indices published since the last call
 * (vring_need_event()); otherwise honours VRING_AVAIL_F_NO_INTERRUPT. If
 * guest memory cannot be read, notifies.
 *
 * Context: Any context; does not sleep unless @space does.
 * Return: true if the device should notify.
 */
bool vmmem_vq_need_interrupt(union vmmem_space space, struct vmmem_vq *vq)
{
	u16 old = vq->signalled, new = vq->used_idx;
	__le16 raw;

	/* The used index store before the used_event or flags load. */
	virt_mb();
	vq->signalled = new;
	if (vq->event_idx) {
		if (vmmem_load(space, vq->avail + VQ_RING_ENTRIES +
			       (u64)vq->size * sizeof(raw), &raw))
			return true;
		return vring_need_event(le16_to_cpu(raw), new, old);
	}
	if (vmmem_load(space, vq->avail + VQ_RING_FLAGS, &raw))
		return true;
	return !(le16_to_cpu(raw) & VRING_AVAIL_F_NO_INTERRUPT);
}
EXPORT_SYMBOL_GPL(vmmem_vq_need_interrupt);

MODULE_DESCRIPTION("Split virtqueues over vmmem");
MODULE_LICENSE("GPL");
