// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_vdpa_blk - a vDPA virtio-blk device whose memory access goes
 * through vmmem only, as a sample consumer.
 *
 * A RAM-backed disk (vmalloc'd, capacity_mb MiB) with one split
 * virtqueue. The device's vmmem map holds one %VMMEM_ADD_HOST_RAM region
 * per range of System RAM; which addresses the device sees depends on the
 * driver bound to it:
 *  - virtio_vdpa gives it the DMA addresses of the host kernel's own
 *    buffers. Its DMA device uses dma-direct with a 64-bit mask, so those
 *    are host-physical addresses, used on the map as they are.
 *  - any other driver (vhost_vdpa) gives it I/O virtual addresses: the
 *    device reads and writes only through an IOVA space over the map,
 *    which the driver programs with dma_map()/dma_unmap() (vhost-vdpa's
 *    IOTLB messages, with their permissions). Unmapped, it is empty: such
 *    a driver never reaches host memory it did not map.
 *
 * Kicks queue a worker, which takes every chain available (many per
 * kick) through vmmem_vq, carries out the request and returns it. A
 * request whose data buffers are not all accessible as it needs them
 * completes with VIRTIO_BLK_S_IOERR before any data moves. A malformed
 * chain marks the device DEVICE_NEEDS_RESET and stops the queue.
 */
#include <linux/dma-mapping.h>
#include <linux/ioport.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vdpa.h>
#include <linux/version.h>
#include <linux/vhost_iotlb.h>
#include <linux/vmalloc.h>
#include <linux/vmmem.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_blk.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ids.h>
#include <uapi/linux/virtio_ring.h>

#include "vmmem_vq.h"

#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
MODULE_IMPORT_NS("VMMEM");
#else
MODULE_IMPORT_NS(VMMEM);
#endif

static unsigned int capacity_mb = 64;
module_param(capacity_mb, uint, 0444);
MODULE_PARM_DESC(capacity_mb, "Disk size in MiB (1..2048, default 64)");

#define VBLK_QUEUE_MAX		256
#define VBLK_SEG_MAX		128
#define VBLK_SIZE_MAX		SZ_1M
#define VBLK_MAX_BUFS		(VBLK_SEG_MAX + 2)
#define VBLK_DISCARD_SEGS	32
#define VBLK_CHAINS_PER_RUN	64
#define VBLK_SECTOR_SHIFT	9
#define VBLK_ID			"vmmem-vdpa-blk"

#define VBLK_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |			\
			 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |		\
			 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |		\
			 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |		\
			 BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |		\
			 BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) |		\
			 BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |		\
			 BIT_ULL(VIRTIO_BLK_F_FLUSH) |			\
			 BIT_ULL(VIRTIO_BLK_F_DISCARD) |		\
			 BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

struct vblk {
	struct vdpa_device vdpa;
	struct vmmem *vm;
	/* Programmed by dma_map()/dma_unmap(), which take no lock of ours. */
	struct vmmem_iova *iova;
	void *disk;
	u64 disk_bytes;
	struct virtio_blk_config config;
	struct work_struct work;
	/* Guards all below against the ops and the worker. */
	struct mutex lock;
	u64 features;
	u8 status;
	u32 generation;
	struct vdpa_callback vq_cb;
	struct vdpa_callback config_cb;
	u64 desc_addr;
	u64 driver_addr;
	u64 device_addr;
	u32 num;
	bool ready;
	bool live;
	/* The map or the IOVA space, chosen when the queue starts. */
	union vmmem_space space;
	u16 saved_avail;
	struct vmmem_vq vq;
	struct vmmem_vq_buf bufs[VBLK_MAX_BUFS];
};

static struct vblk *the_vblk;

static struct vblk *to_vblk(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct vblk, vdpa);
}

/*
 * Copies @len bytes between @kbuf and the chain's readable (!@write) or
 * writable buffers, starting @off bytes into them. 0 or -EFAULT.
 */
static int vblk_chain_copy(struct vblk *vb, unsigned int nr, bool write,
			   u64 off, void *kbuf, u64 len)
{
	unsigned int i;

	for (i = 0; i < nr && len; i++) {
		const struct vmmem_vq_buf *b = &vb->bufs[i];
		u64 n;

		if (b->write != write)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = min_t(u64, b->len - off, len);
		if (write ? vmmem_copy_to_guest(vb->space, b->addr + off, kbuf,
						n) :
			    vmmem_copy_from_guest(vb->space, b->addr + off, kbuf,
						  n))
			return -EFAULT;
		kbuf += n;
		len -= n;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

/*
 * Whether every buffer of the chain is accessible as the request needs it
 * (readable ones readable, writable ones writable), checked before any
 * data moves so that a refused request changes nothing. An unmap that
 * races with the request may still cut it short part-way.
 */
static bool vblk_chain_ok(struct vblk *vb, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const struct vmmem_vq_buf *b = &vb->bufs[i];

		if (!vmmem_check_range(vb->space, b->addr, b->len,
				       b->write ? VMMEM_WRITE : VMMEM_READ))
			return false;
	}
	return true;
}

static bool vblk_range_ok(struct vblk *vb, u64 sector, u64 bytes)
{
	u64 start, end;

	if (check_shl_overflow(sector, VBLK_SECTOR_SHIFT, &start))
		return false;
	if (check_add_overflow(start, bytes, &end))
		return false;
	return end <= vb->disk_bytes;
}

static u8 vblk_discard(struct vblk *vb, unsigned int nr, u64 payload,
		       bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	u64 i, count = payload / sizeof(seg);
	u32 flags, sectors;
	u64 sector;

	if (!count || payload % sizeof(seg) || count > VBLK_DISCARD_SEGS)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < count; i++) {
		if (vblk_chain_copy(vb, nr, false,
				    sizeof(struct virtio_blk_outhdr) +
				    i * sizeof(seg), &seg, sizeof(seg)))
			return VIRTIO_BLK_S_IOERR;
		sector = le64_to_cpu(seg.sector);
		sectors = le32_to_cpu(seg.num_sectors);
		flags = le32_to_cpu(seg.flags);
		if (flags & ~(zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0))
			return VIRTIO_BLK_S_UNSUPP;
		if (!vblk_range_ok(vb, sector,
				   (u64)sectors << VBLK_SECTOR_SHIFT))
			return VIRTIO_BLK_S_IOERR;
		/* A discarded range of a RAM disk reads back as zeroes. */
		memset(vb->disk + (sector << VBLK_SECTOR_SHIFT), 0,
		       (size_t)sectors << VBLK_SECTOR_SHIFT);
	}
	return VIRTIO_BLK_S_OK;
}

/* Carries out one request; returns the bytes written into the chain. */
static u32 vblk_request(struct vblk *vb, unsigned int nr)
{
	struct virtio_blk_outhdr hdr;
	u64 out_len = 0, in_len = 0, data, sector;
	u32 written = 0;
	unsigned int i;
	u8 status;

	for (i = 0; i < nr; i++) {
		if (vb->bufs[i].write)
			in_len += vb->bufs[i].len;
		else
			out_len += vb->bufs[i].len;
	}
	/* No room for the status byte: nothing can be reported. */
	if (!in_len)
		return 0;
	if (out_len < sizeof(hdr) || !vblk_chain_ok(vb, nr) ||
	    vblk_chain_copy(vb, nr, false, 0, &hdr, sizeof(hdr))) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	sector = le64_to_cpu(hdr.sector);

	switch (le32_to_cpu(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		data = in_len - 1;
		if (data % 512 || !vblk_range_ok(vb, sector, data)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		if (vblk_chain_copy(vb, nr, true, 0,
				    vb->disk + (sector << VBLK_SECTOR_SHIFT),
				    data)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		written = data;
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		data = out_len - sizeof(hdr);
		if (data % 512 || !vblk_range_ok(vb, sector, data) ||
		    vblk_chain_copy(vb, nr, false, sizeof(hdr),
				    vb->disk + (sector << VBLK_SECTOR_SHIFT),
				    data))
			status = VIRTIO_BLK_S_IOERR;
		else
			status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_FLUSH:
		/* RAM has nothing to write back. */
		status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[VIRTIO_BLK_ID_BYTES] = VBLK_ID;
		u64 n = min_t(u64, in_len - 1, sizeof(id));

		if (vblk_chain_copy(vb, nr, true, 0, id, n)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		written = n;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
		status = vblk_discard(vb, nr, out_len - sizeof(hdr), false);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = vblk_discard(vb, nr, out_len - sizeof(hdr), true);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	if (vblk_chain_copy(vb, nr, true, in_len - 1, &status, 1))
		return written;
	return written + 1;
}

static void vblk_broken(struct vblk *vb)
{
	vb->live = false;
	vb->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vb->config_cb.callback)
		vb->config_cb.callback(vb->config_cb.private);
}

static void vblk_work(struct work_struct *work)
{
	struct vblk *vb = container_of(work, struct vblk, work);
	unsigned int nr, done = 0;
	bool more = false;
	u16 head;
	int ret;

	mutex_lock(&vb->lock);
	if (!vb->live)
		goto out;
	for (;;) {
		ret = vmmem_vq_pop(vb->space, &vb->vq, vb->bufs, VBLK_MAX_BUFS,
				   &nr, &head);
		if (!ret) {
			ret = vmmem_vq_enable_notify(vb->space, &vb->vq);
			if (ret > 0)
				continue;
			break;
		}
		if (ret < 0)
			break;
		ret = vmmem_vq_push(vb->space, &vb->vq, head,
				    vblk_request(vb, nr));
		if (ret)
			break;
		if (++done == VBLK_CHAINS_PER_RUN) {
			more = true;
			break;
		}
	}
	if (done) {
		if (!vmmem_vq_publish(vb->space, &vb->vq) &&
		    vmmem_vq_need_interrupt(vb->space, &vb->vq) &&
		    vb->vq_cb.callback) {
			/* As an interrupt handler would run. */
			local_bh_disable();
			vb->vq_cb.callback(vb->vq_cb.private);
			local_bh_enable();
		}
	}
	if (ret < 0)
		vblk_broken(vb);
	else if (more)
		queue_work(system_wq, &vb->work);
out:
	mutex_unlock(&vb->lock);
}

static int vblk_set_vq_address(struct vdpa_device *vdpa, u16 idx, u64 desc,
			       u64 driver, u64 device)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx)
		return -EINVAL;
	mutex_lock(&vb->lock);
	vb->desc_addr = desc;
	vb->driver_addr = driver;
	vb->device_addr = device;
	mutex_unlock(&vb->lock);
	return 0;
}

static void vblk_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx || num > VBLK_QUEUE_MAX)
		return;
	mutex_lock(&vb->lock);
	vb->num = num;
	mutex_unlock(&vb->lock);
}

static void vblk_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct vblk *vb = to_vblk(vdpa);

	/* May be called in atomic context: only queue the worker. */
	if (!idx)
		queue_work(system_wq, &vb->work);
}

static void vblk_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
			   struct vdpa_callback *cb)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx)
		return;
	mutex_lock(&vb->lock);
	vb->vq_cb = *cb;
	mutex_unlock(&vb->lock);
}

/*
 * Whether the bound driver hands the device host-physical addresses:
 * only virtio_vdpa, whose addresses come from the kernel's DMA API.
 * Called by the driver's own ops, so the binding cannot change meanwhile.
 */
static bool vblk_host_physical(struct vblk *vb)
{
	const struct device_driver *drv = READ_ONCE(vb->vdpa.dev.driver);

	return drv && !strcmp(drv->name, "virtio_vdpa");
}

/* With the lock held: starts the queue if the driver is done with it. */
static void vblk_start(struct vblk *vb)
{
	if (vb->live || !vb->ready || !(vb->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (vblk_host_physical(vb))
		vb->space.map = vb->vm;
	else
		vb->space.iova = vb->iova;
	if (vmmem_vq_init(&vb->vq, vb->desc_addr, vb->driver_addr,
			  vb->device_addr, vb->num,
			  vb->features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX),
			  vb->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC))) {
		vblk_broken(vb);
		return;
	}
	vb->vq.last_avail = vb->saved_avail;
	vb->vq.avail_idx = vb->saved_avail;
	vb->vq.used_idx = vb->saved_avail;
	vb->vq.signalled = vb->saved_avail;
	vb->live = true;
}

static void vblk_set_vq_ready(struct vdpa_device *vdpa, u16 idx, bool ready)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx)
		return;
	mutex_lock(&vb->lock);
	vb->ready = ready;
	if (!ready)
		vb->live = false;
	else
		vblk_start(vb);
	mutex_unlock(&vb->lock);
}

static bool vblk_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct vblk *vb = to_vblk(vdpa);
	bool ready;

	if (idx)
		return false;
	mutex_lock(&vb->lock);
	ready = vb->ready;
	mutex_unlock(&vb->lock);
	return ready;
}

static int vblk_set_vq_state(struct vdpa_device *vdpa, u16 idx,
			     const struct vdpa_vq_state *state)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx)
		return -EINVAL;
	mutex_lock(&vb->lock);
	vb->saved_avail = state->split.avail_index;
	mutex_unlock(&vb->lock);
	return 0;
}

static int vblk_get_vq_state(struct vdpa_device *vdpa, u16 idx,
			     struct vdpa_vq_state *state)
{
	struct vblk *vb = to_vblk(vdpa);

	if (idx)
		return -EINVAL;
	mutex_lock(&vb->lock);
	state->split.avail_index = vb->live ? vb->vq.last_avail :
					      vb->saved_avail;
	mutex_unlock(&vb->lock);
	return 0;
}

static u32 vblk_get_vq_align(struct vdpa_device *vdpa)
{
	return PAGE_SIZE;
}

static u64 vblk_get_device_features(struct vdpa_device *vdpa)
{
	return VBLK_FEATURES;
}

static int vblk_set_driver_features(struct vdpa_device *vdpa, u64 features)
{
	struct vblk *vb = to_vblk(vdpa);

	/* Virtio 1.x, little-endian, only. */
	if (!(features & BIT_ULL(VIRTIO_F_VERSION_1)))
		return -EINVAL;
	mutex_lock(&vb->lock);
	vb->features = features & VBLK_FEATURES;
	mutex_unlock(&vb->lock);
	return 0;
}

static u64 vblk_get_driver_features(struct vdpa_device *vdpa)
{
	struct vblk *vb = to_vblk(vdpa);
	u64 features;

	mutex_lock(&vb->lock);
	features = vb->features;
	mutex_unlock(&vb->lock);
	return features;
}

static void vblk_set_config_cb(struct vdpa_device *vdpa,
			       struct vdpa_callback *cb)
{
	struct vblk *vb = to_vblk(vdpa);

	mutex_lock(&vb->lock);
	vb->config_cb = *cb;
	mutex_unlock(&vb->lock);
}

static u16 vblk_get_vq_num_max(struct vdpa_device *vdpa)
{
	return VBLK_QUEUE_MAX;
}

static u32 vblk_get_device_id(struct vdpa_device *vdpa)
{
	return VIRTIO_ID_BLOCK;
}

static u32 vblk_get_vendor_id(struct vdpa_device *vdpa)
{
	return 0;
}

static u8 vblk_get_status(struct vdpa_device *vdpa)
{
	struct vblk *vb = to_vblk(vdpa);
	u8 status;

	mutex_lock(&vb->lock);
	status = vb->status;
	mutex_unlock(&vb->lock);
	return status;
}

/* With the lock held: back to the state after creation. */
static void vblk_reset_locked(struct vblk *vb)
{
	vb->live = false;
	vb->ready = false;
	vb->status = 0;
	vb->features = 0;
	vb->desc_addr = 0;
	vb->driver_addr = 0;
	vb->device_addr = 0;
	vb->num = 0;
	vb->saved_avail = 0;
	memset(&vb->vq_cb, 0, sizeof(vb->vq_cb));
	memset(&vb->config_cb, 0, sizeof(vb->config_cb));
	vb->generation++;
}

static int vblk_reset(struct vdpa_device *vdpa)
{
	struct vblk *vb = to_vblk(vdpa);

	mutex_lock(&vb->lock);
	vblk_reset_locked(vb);
	mutex_unlock(&vb->lock);
	/* A worker that ran before the reset is done when reset returns. */
	flush_work(&vb->work);
	return 0;
}

static void vblk_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vblk *vb = to_vblk(vdpa);

	if (!status) {
		vblk_reset(vdpa);
		return;
	}
	mutex_lock(&vb->lock);
	/* FEATURES_OK only with a feature set the device accepts. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vb->features & BIT_ULL(VIRTIO_F_VERSION_1)))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	vb->status = status | (vb->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	vblk_start(vb);
	mutex_unlock(&vb->lock);
}

static size_t vblk_get_config_size(struct vdpa_device *vdpa)
{
	return sizeof(struct virtio_blk_config);
}

static void vblk_get_config(struct vdpa_device *vdpa, unsigned int offset,
			    void *buf, unsigned int len)
{
	struct vblk *vb = to_vblk(vdpa);

	if (offset > sizeof(vb->config) || len > sizeof(vb->config) - offset)
		return;
	memcpy(buf, (u8 *)&vb->config + offset, len);
}

static void vblk_set_config(struct vdpa_device *vdpa, unsigned int offset,
			    const void *buf, unsigned int len)
{
	/* No writable field is offered (no CONFIG_WCE). */
}

static u32 vblk_get_generation(struct vdpa_device *vdpa)
{
	struct vblk *vb = to_vblk(vdpa);
	u32 gen;

	mutex_lock(&vb->lock);
	gen = vb->generation;
	mutex_unlock(&vb->lock);
	return gen;
}

static struct vdpa_iova_range vblk_get_iova_range(struct vdpa_device *vdpa)
{
	return (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
}

/*
 * vhost_vdpa's IOTLB updates, one physically contiguous piece each; @pa
 * is host-physical (pinned user pages), so it lies in the map's host-RAM
 * regions. Accesses go on meanwhile and see the entry or not.
 */
static int vblk_dma_map(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
			u64 size, u64 pa, u32 perm, void *opaque)
{
	struct vblk *vb = to_vblk(vdpa);
	unsigned int access = 0;

	if (asid)
		return -EINVAL;
	if (perm & VHOST_MAP_RO)
		access |= VMMEM_READ;
	if (perm & VHOST_MAP_WO)
		access |= VMMEM_WRITE;
	return vmmem_iova_map(vb->iova, iova, size, pa, access);
}

static int vblk_dma_unmap(struct vdpa_device *vdpa, unsigned int asid,
			  u64 iova, u64 size)
{
	struct vblk *vb = to_vblk(vdpa);
	int ret;

	if (asid)
		return -EINVAL;
	ret = vmmem_iova_unmap(vb->iova, iova, size);
	/*
	 * A copy already under way may still be inside the range; it runs in
	 * an RCU read-side section, so after a grace period none is, and the
	 * caller may give the pages back. Expedited: vhost_vdpa unmaps a range
	 * one physically contiguous piece at a time, and the VMM waits for
	 * every one (as KVM waits for its memslot updates).
	 */
	synchronize_rcu_expedited();
	return ret;
}

static void vblk_free(struct vdpa_device *vdpa)
{
	struct vblk *vb = to_vblk(vdpa);

	cancel_work_sync(&vb->work);
	vmmem_iova_destroy(vb->iova);
	if (vb->vm)
		vmmem_put(vb->vm);
	vfree(vb->disk);
	mutex_destroy(&vb->lock);
}

static const struct vdpa_config_ops vblk_ops = {
	.set_vq_address		= vblk_set_vq_address,
	.set_vq_num		= vblk_set_vq_num,
	.kick_vq		= vblk_kick_vq,
	.set_vq_cb		= vblk_set_vq_cb,
	.set_vq_ready		= vblk_set_vq_ready,
	.get_vq_ready		= vblk_get_vq_ready,
	.set_vq_state		= vblk_set_vq_state,
	.get_vq_state		= vblk_get_vq_state,
	.get_vq_align		= vblk_get_vq_align,
	.get_device_features	= vblk_get_device_features,
	.set_driver_features	= vblk_set_driver_features,
	.get_driver_features	= vblk_get_driver_features,
	.set_config_cb		= vblk_set_config_cb,
	.get_vq_num_max		= vblk_get_vq_num_max,
	.get_device_id		= vblk_get_device_id,
	.get_vendor_id		= vblk_get_vendor_id,
	.get_status		= vblk_get_status,
	.set_status		= vblk_set_status,
	.reset			= vblk_reset,
	.get_config_size	= vblk_get_config_size,
	.get_config		= vblk_get_config,
	.set_config		= vblk_set_config,
	.get_generation		= vblk_get_generation,
	.get_iova_range		= vblk_get_iova_range,
	.dma_map		= vblk_dma_map,
	.dma_unmap		= vblk_dma_unmap,
	.free			= vblk_free,
};

/* Adds one System RAM range, trimmed to whole pages, to the map. */
static int vblk_add_ram(struct resource *res, void *arg)
{
	struct vmmem_update up = { .op = VMMEM_ADD_HOST_RAM };
	struct vblk *vb = arg;
	u64 start = PAGE_ALIGN(res->start);
	u64 end = (res->end + 1) & PAGE_MASK;

	if (end <= start)
		return 0;
	up.gpa = start;
	up.size = end - start;
	return vmmem_update(vb->vm, &up, 1);
}

static void vblk_fill_config(struct vblk *vb)
{
	struct virtio_blk_config *c = &vb->config;
	u32 sectors = (u32)min_t(u64, vb->disk_bytes >> VBLK_SECTOR_SHIFT,
				 U32_MAX >> 1);

	c->capacity = cpu_to_le64(vb->disk_bytes >> VBLK_SECTOR_SHIFT);
	c->size_max = cpu_to_le32(VBLK_SIZE_MAX);
	c->seg_max = cpu_to_le32(VBLK_SEG_MAX);
	c->blk_size = cpu_to_le32(512);
	c->max_discard_sectors = cpu_to_le32(sectors);
	c->max_discard_seg = cpu_to_le32(VBLK_DISCARD_SEGS);
	c->discard_sector_alignment = cpu_to_le32(1);
	c->max_write_zeroes_sectors = cpu_to_le32(sectors);
	c->max_write_zeroes_seg = cpu_to_le32(VBLK_DISCARD_SEGS);
	c->write_zeroes_may_unmap = 1;
}

static int __init vblk_init(void)
{
	struct device *dev;
	struct vblk *vb;
	int ret;

	if (!capacity_mb || capacity_mb > 2048)
		return -EINVAL;
	vb = vdpa_alloc_device(struct vblk, vdpa, NULL, &vblk_ops, 1, 1,
			       NULL, false);
	if (IS_ERR(vb))
		return PTR_ERR(vb);
	/* From here, put_device() frees through vblk_free(). */
	mutex_init(&vb->lock);
	INIT_WORK(&vb->work, vblk_work);
	vb->disk_bytes = (u64)capacity_mb << 20;
	vb->disk = vzalloc(vb->disk_bytes);
	if (!vb->disk) {
		ret = -ENOMEM;
		goto put;
	}
	vblk_fill_config(vb);

	/* dma-direct, no IOMMU: DMA addresses are host-physical. */
	dev = &vb->vdpa.dev;
	dev->dma_mask = &dev->coherent_dma_mask;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		goto put;
	vb->vdpa.dma_dev = dev;

	vb->vm = vmmem_create(KBUILD_MODNAME "-0", 0);
	if (IS_ERR(vb->vm)) {
		ret = PTR_ERR(vb->vm);
		vb->vm = NULL;
		goto put;
	}
	vb->iova = vmmem_iova_create(vb->vm, NULL, NULL);
	if (IS_ERR(vb->iova)) {
		ret = PTR_ERR(vb->iova);
		vb->iova = NULL;
		goto put;
	}
	ret = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				  0, U64_MAX, vb, vblk_add_ram);
	if (ret)
		goto put;

	ret = vdpa_register_device(&vb->vdpa, 1);
	if (ret)
		goto put;
	the_vblk = vb;
	return 0;
put:
	put_device(&vb->vdpa.dev);
	return ret;
}

static void __exit vblk_exit(void)
{
	vdpa_unregister_device(&the_vblk->vdpa);
}

module_init(vblk_init);
module_exit(vblk_exit);

MODULE_DESCRIPTION("vDPA virtio-blk device on vmmem (sample)");
MODULE_LICENSE("GPL");
