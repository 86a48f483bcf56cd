/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmmem_vq - a split virtqueue (virtio 1.x, little-endian) over vmmem.
 *
 * A small library for devices built on vmmem: it walks descriptor chains
 * (direct and indirect), copying every descriptor out of guest memory once
 * and checking every guest-controlled value, and it fills the used ring,
 * publishing the used index with a release store. Event index
 * notification suppression (VIRTIO_RING_F_EVENT_IDX) is supported.
 */
#ifndef _VMMEM_VQ_H
#define _VMMEM_VQ_H

#include <linux/types.h>
#include <linux/vmmem.h>

/* Most entries an indirect table may hold (a descriptor is 16 bytes). */
#define VMMEM_VQ_MAX_INDIRECT	1024

/**
 * struct vmmem_vq - one split virtqueue
 * @desc: guest address of the descriptor table (16-byte aligned)
 * @avail: guest address of the driver (avail) ring (2-byte aligned)
 * @used: guest address of the device (used) ring (4-byte aligned)
 * @size: number of entries, a power of two, 1..32768
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was negotiated
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC was negotiated
 * @last_avail: next avail ring entry the device takes
 * @avail_idx: the driver's avail index as last read
 * @used_idx: the device's used index, published or not
 * @signalled: used index at the last notification decision
 */
struct vmmem_vq {
	u64 desc;
	u64 avail;
	u64 used;
	u32 size;
	bool event_idx;
	bool indirect;
	u16 last_avail;
	u16 avail_idx;
	u16 used_idx;
	u16 signalled;
};

/**
 * struct vmmem_vq_buf - one descriptor of a chain, checked, in CPU order
 * @addr: guest address of the buffer
 * @len: its length in bytes
 * @write: the device writes the buffer (else it reads it)
 */
struct vmmem_vq_buf {
	u64 addr;
	u32 len;
	bool write;
};

int vmmem_vq_init(struct vmmem_vq *vq, u64 desc, u64 avail, u64 used,
		  u32 size, bool event_idx, bool indirect);
int vmmem_vq_pop(union vmmem_space space, struct vmmem_vq *vq,
		 struct vmmem_vq_buf *bufs, unsigned int max_bufs,
		 unsigned int *nr_bufs, u16 *head);
int vmmem_vq_push(union vmmem_space space, struct vmmem_vq *vq, u16 head,
		  u32 len);
int vmmem_vq_publish(union vmmem_space space, struct vmmem_vq *vq);
int vmmem_vq_enable_notify(union vmmem_space space, struct vmmem_vq *vq);
bool vmmem_vq_need_interrupt(union vmmem_space space, struct vmmem_vq *vq);

#endif /* _VMMEM_VQ_H */
