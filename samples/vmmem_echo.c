// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_echo - a virtio echo device built on vmmem, as a sample consumer.
 *
 * Each open() of /dev/vmmem_echo is one device with its own guest-physical
 * address space (a struct vmmem). Through ioctls (vmmem_echo_uapi.h) a
 * userspace VMM registers its own memory as guest regions, describes one
 * split virtqueue (virtio 1.x, little-endian) in that memory and kicks it.
 * On a kick the device does what a virtio device does with the avail ring:
 * for every new chain it copies the bytes of the device-readable buffers,
 * in order, into the device-writable buffers of the same chain, returns
 * the chain in the used ring with the number of bytes written, and then
 * publishes the new used index.
 *
 * The guest is not trusted. Ring indices are read with an acquire load and
 * the used index published with a release store; descriptors are copied
 * out of guest memory once and only the copy is checked and used; every
 * guest address goes through vmmem's bounds-checked accessors. A malformed
 * chain stops the kick with an errno (the table is in the uapi header) and
 * breaks the queue, like virtio's DEVICE_NEEDS_RESET: later kicks fail with
 * -EIO until the VMM sets the queue again. Guest errors are reported
 * through the ioctl and the counters only, never to the kernel log.
 *
 * Only <linux/vmmem.h> and vmmem's exports (namespace VMMEM) are used.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmmem.h>
#include <uapi/linux/virtio_ring.h>

#include "vmmem_echo_uapi.h"

/* A symbol namespace is a string from Linux 6.13, a bare word before. */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
MODULE_IMPORT_NS("VMMEM");
#else
MODULE_IMPORT_NS(VMMEM);
#endif

/* Bytes moved between two guest buffers per step (see echo_copy_chain()). */
#define ECHO_BOUNCE_SIZE	PAGE_SIZE

/* Offsets in the split rings (virtio 1.x, 2.7.6 and 2.7.8). */
#define ECHO_RING_IDX		2	/* le16 idx after le16 flags */
#define ECHO_RING_ENTRIES	4	/* ring[] after flags and idx */

/* A descriptor as the guest lays it out (virtio 1.x, 2.7.5). */
struct echo_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

/* A used ring element (virtio 1.x, 2.7.8). */
struct echo_used_elem {
	__le32 id;
	__le32 len;
};

static_assert(sizeof(struct echo_desc) == 16);
static_assert(sizeof(struct echo_used_elem) == 8);

/* A descriptor of the chain at hand: copied once, checked, in CPU order. */
struct echo_buf {
	u64 addr;
	u32 len;
	bool write;
};

/**
 * struct echo_queue - the device's split virtqueue
 * @size: number of descriptors, a power of two; 0 when no queue is set
 * @desc: guest address of the descriptor table
 * @avail: guest address of the available ring
 * @used: guest address of the used ring
 * @last_avail: next avail index to read
 * @used_idx: used index of the last completed chain
 * @broken: 0, or the negative errno that broke the queue
 * @chain: @size entries: the copied-out descriptors of the chain at hand
 */
struct echo_queue {
	u32 size;
	u64 desc;
	u64 avail;
	u64 used;
	u16 last_avail;
	u16 used_idx;
	int broken;
	struct echo_buf *chain;
};

/**
 * struct echo_dev - one open file: a device and its guest memory
 * @lock: serialises the ioctls, so the map, the queue and the counters
 *	change only under it
 * @owner: the address space of the process that opened the device (held
 *	with mmgrab()); only that process may change memory or the queue
 * @vm: the guest-physical address space
 * @vq: the queue
 * @bounce: %ECHO_BOUNCE_SIZE bytes for guest-to-guest copies
 * @pages: pages pinned by the registered regions
 * @chains: chains completed
 * @descs: descriptors in completed chains
 * @bytes: bytes echoed
 * @rejected: times the queue was broken
 * @last_error: errno of the last time, or 0
 */
struct echo_dev {
	struct mutex lock;	/* the ioctls, one at a time */
	struct mm_struct *owner;
	struct vmmem *vm;
	struct echo_queue vq;
	void *bounce;
	u64 pages;
	u64 chains;
	u64 descs;
	u64 bytes;
	u64 rejected;
	int last_error;
};

/**
 * echo_check_area() - check that a guest buffer or ring is usable
 * @space: the guest memory: the map, or the snapshot of a kick
 * @gpa: first guest address
 * @len: length in bytes; 0 is always usable
 * @write: the device will write it
 *
 * Context: Any context.
 * Return: 0, -EOVERFLOW if the area would pass 2^64 - 1, -EFAULT if a byte
 * of it is not registered, -EROFS if @write and a byte is read-only.
 */
static int echo_check_area(union vmmem_space space, u64 gpa, u64 len,
			   bool write)
{
	u64 last;

	if (!len)
		return 0;
	if (check_add_overflow(gpa, len - 1, &last))
		return -EOVERFLOW;
	if (!vmmem_check_range(space, gpa, len, VMMEM_READ))
		return -EFAULT;
	if (write && !vmmem_check_range(space, gpa, len, VMMEM_WRITE))
		return -EROFS;
	return 0;
}

/**
 * echo_walk_chain() - copy out a descriptor chain and check its shape
 * @ed: the device
 * @snap: the guest memory of this kick
 * @head: head index, from the avail ring
 * @nr: set to the number of descriptors in the chain
 * @nr_read: set to the number of device-readable ones (they come first)
 *
 * Each descriptor is read once, with a copy, into @ed->vq.chain; nothing
 * is read from the descriptor table again. The buffers' addresses are
 * checked afterwards, by echo_check_chain().
 *
 * A chain cannot have more descriptors than the queue, so a walk that
 * would take one more has met a descriptor twice: -ELOOP, not a hang.
 *
 * Context: Process context, @ed->lock held.
 * Return: 0, or -ERANGE, -ELOOP, -EINVAL, -EOPNOTSUPP, -EPROTO, -EMSGSIZE
 * as in the uapi header, -EFAULT if the table became unreachable.
 */
static int echo_walk_chain(struct echo_dev *ed, struct vmmem_snapshot *snap,
			   u16 head, unsigned int *nr, unsigned int *nr_read)
{
	struct echo_queue *vq = &ed->vq;
	u64 read_bytes = 0, write_bytes = 0;
	unsigned int n = 0, nread = 0;
	struct echo_desc desc;
	struct echo_buf *buf;
	u32 idx = head;
	u16 flags;

	for (;;) {
		if (idx >= vq->size)
			return -ERANGE;
		if (n == vq->size)
			return -ELOOP;
		if (vmmem_copy_from_guest(snap, vq->desc +
					  (u64)idx * sizeof(desc),
					  &desc, sizeof(desc)))
			return -EFAULT;

		flags = le16_to_cpu(desc.flags);
		if (flags & ~(VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
			      VRING_DESC_F_INDIRECT))
			return -EINVAL;
		if (flags & VRING_DESC_F_INDIRECT)
			return -EOPNOTSUPP;

		buf = &vq->chain[n];
		buf->addr = le64_to_cpu(desc.addr);
		buf->len = le32_to_cpu(desc.len);
		buf->write = flags & VRING_DESC_F_WRITE;
		if (buf->write) {
			write_bytes += buf->len;
		} else {
			if (nread != n)
				return -EPROTO;
			nread++;
			read_bytes += buf->len;
		}
		/* The used element reports the bytes written in a le32. */
		if (read_bytes > U32_MAX || write_bytes > U32_MAX)
			return -EMSGSIZE;
		n++;

		if (!(flags & VRING_DESC_F_NEXT))
			break;
		idx = le16_to_cpu(desc.next);
	}
	*nr = n;
	*nr_read = nread;
	return 0;
}

/**
 * echo_check_chain() - check every buffer of a walked chain
 * @ed: the device
 * @snap: the guest memory of this kick
 * @nr: descriptors in @ed->vq.chain
 *
 * The answer stays true for the rest of the kick, which uses the same
 * snapshot.
 *
 * Context: Process context, @ed->lock held.
 * Return: 0, or the first error of echo_check_area().
 */
static int echo_check_chain(struct echo_dev *ed, struct vmmem_snapshot *snap,
			    unsigned int nr)
{
	const struct echo_buf *buf = ed->vq.chain;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = echo_check_area(snap, buf[i].addr, buf[i].len,
				      buf[i].write);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * echo_copy_chain() - echo the readable bytes into the writable buffers
 * @ed: the device
 * @snap: the guest memory of this kick
 * @nr: descriptors in @ed->vq.chain
 * @nr_read: the readable ones, which come first
 * @written: set to the number of bytes written
 *
 * Copies min(readable bytes, writable bytes), in order; a writable tail
 * beyond that is left as it was.
 *
 * Guest to guest through a bounce buffer rather than with slices: the
 * guest may make a readable and a writable buffer overlap, and a chunk
 * read completely before it is written keeps the result defined (a
 * memcpy() between overlapping slices is not); both sides stay inside
 * vmmem's checked copies, which cross region boundaries by themselves;
 * and one page per step bounds the work between two points where the
 * kick can reschedule or stop for a signal. The price is one more
 * memcpy() per page, which an echo device can afford.
 *
 * Context: Process context, @ed->lock held; may sleep.
 * Return: 0, -EFAULT if a copy failed (not expected: the buffers were
 * checked in the same snapshot), -EINTR if a signal is pending.
 */
static int echo_copy_chain(struct echo_dev *ed, struct vmmem_snapshot *snap,
			   unsigned int nr, unsigned int nr_read, u32 *written)
{
	const struct echo_buf *buf = ed->vq.chain;
	unsigned int r = 0, w = nr_read;
	u32 roff = 0, woff = 0, done = 0, chunk;

	while (r < nr_read && w < nr) {
		if (roff == buf[r].len) {
			r++;
			roff = 0;
			continue;
		}
		if (woff == buf[w].len) {
			w++;
			woff = 0;
			continue;
		}
		chunk = min(buf[r].len - roff, buf[w].len - woff);
		chunk = min_t(u32, chunk, ECHO_BOUNCE_SIZE);
		if (vmmem_copy_from_guest(snap, buf[r].addr + roff, ed->bounce,
					  chunk) ||
		    vmmem_copy_to_guest(snap, buf[w].addr + woff, ed->bounce,
					chunk))
			return -EFAULT;
		roff += chunk;
		woff += chunk;
		done += chunk;

		if (signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	*written = done;
	return 0;
}

/**
 * echo_do_chain() - process the chain at the device's avail index
 * @ed: the device
 * @snap: the guest memory of this kick
 *
 * On success the used element is written (not yet published) and both
 * indices move on; on failure they stay, so the chain is not consumed.
 *
 * Context: Process context, @ed->lock held; may sleep.
 * Return: 0, or a negative errno from reading the ring, walking, checking
 * or copying the chain, or writing the used element.
 */
static int echo_do_chain(struct echo_dev *ed, struct vmmem_snapshot *snap)
{
	struct echo_queue *vq = &ed->vq;
	u32 mask = vq->size - 1, written;
	struct echo_used_elem elem;
	unsigned int nr, nr_read;
	__le16 raw_head;
	u16 head;
	int ret;

	/*
	 * One untorn load, as wide as its __le16. The entry is 2-byte
	 * aligned: echo_set_queue() checked the ring's address.
	 */
	ret = vmmem_load(snap, vq->avail + ECHO_RING_ENTRIES +
			 (vq->last_avail & mask) * sizeof(__le16), &raw_head);
	if (ret)
		return ret;
	head = le16_to_cpu(raw_head);
	ret = echo_walk_chain(ed, snap, head, &nr, &nr_read);
	if (ret)
		return ret;
	ret = echo_check_chain(ed, snap, nr);
	if (ret)
		return ret;
	ret = echo_copy_chain(ed, snap, nr, nr_read, &written);
	if (ret)
		return ret;

	elem.id = cpu_to_le32(head);
	elem.len = cpu_to_le32(written);
	if (vmmem_copy_to_guest(snap, vq->used + ECHO_RING_ENTRIES +
				(u64)(vq->used_idx & mask) * sizeof(elem),
				&elem, sizeof(elem)))
		return -EFAULT;

	vq->last_avail++;
	vq->used_idx++;
	ed->chains++;
	ed->descs += nr;
	ed->bytes += written;
	return 0;
}

/**
 * echo_kick() - process every chain the driver has made available
 * @ed: the device
 *
 * Works on one snapshot of the guest memory, taken at the start. Reads
 * avail->idx once with acquire ordering (the ring entries and descriptors
 * the driver wrote before it are then visible), processes the chains up
 * to it and publishes the used index once, with release ordering, after
 * the data and the used elements. A malformed chain stops the kick; the
 * chains before it are still published.
 *
 * Context: Process context, @ed->lock held; may sleep.
 * Return: the number of chains completed; -ENXIO without a queue; -EIO if
 * the queue is broken; -EINTR if a signal came before any chain was
 * completed; or the errno that broke the queue.
 */
static long echo_kick(struct echo_dev *ed)
{
	struct echo_queue *vq = &ed->vq;
	struct vmmem_snapshot *snap;
	__le16 raw_idx;
	u16 avail_idx;
	long done = 0;
	int ret, err;

	if (!vq->size)
		return -ENXIO;
	if (vq->broken)
		return -EIO;

	/*
	 * One view of guest memory for the whole kick, so a chain is checked
	 * and copied in the same regions (here @ed->lock already keeps the
	 * map still; a device that kicks outside its ioctl lock needs this).
	 * The other design was one type for both,
	 *	struct vmmem *snap = vmmem_snapshot(ed->vm);
	 * where vmmem_update(snap, ...) compiles and fails with -EPERM when it
	 * runs. A distinct type makes that a compile error, and every access
	 * call below takes snap as it takes ed->vm (a union vmmem_space), with no
	 * cast.
	 */
	snap = vmmem_snapshot(ed->vm);

	/* Pairs with the driver's release store of avail->idx. */
	ret = vmmem_load_acquire(snap, vq->avail + ECHO_RING_IDX, &raw_idx);
	if (ret)
		goto put;
	avail_idx = le16_to_cpu(raw_idx);
	if ((u16)(avail_idx - vq->last_avail) > vq->size) {
		ret = -EINVAL;
		goto put;
	}

	while (vq->last_avail != avail_idx) {
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = echo_do_chain(ed, snap);
		if (ret)
			break;
		done++;
	}

	if (done) {
		err = vmmem_store_release(snap, vq->used + ECHO_RING_IDX,
					  cpu_to_le16(vq->used_idx));
		if (err && (!ret || ret == -EINTR))
			ret = err;
	}
put:
	vmmem_snapshot_put(snap);
	if (!ret || (ret == -EINTR && done))
		return done;
	if (ret == -EINTR)
		return ret;

	vq->broken = ret;
	ed->rejected++;
	ed->last_error = ret;
	return ret;
}

/**
 * echo_set_queue() - describe, reset or remove the queue
 * @ed: the device
 * @q: the description from the VMM
 *
 * A failed call leaves the previous queue as it was.
 *
 * Context: Process context, @ed->lock held; may sleep.
 * Return: 0; -EINVAL for nonzero flags or reserved fields, a size that is
 * not a power of two up to %VMMEM_ECHO_QUEUE_MAX, a misaligned ring or a
 * base index above 65535; -EOVERFLOW, -EFAULT or -EROFS (used ring) from
 * echo_check_area(); -ENOMEM.
 */
static int echo_set_queue(struct echo_dev *ed,
			  const struct vmmem_echo_queue *q)
{
	struct echo_queue *vq = &ed->vq;
	struct echo_buf *chain;
	int ret;

	if (q->flags || q->reserved || q->base_idx > U16_MAX)
		return -EINVAL;
	if (!q->size) {
		if (q->base_idx || q->desc_addr || q->avail_addr || q->used_addr)
			return -EINVAL;
		kvfree(vq->chain);
		memset(vq, 0, sizeof(*vq));
		return 0;
	}
	if (q->size > VMMEM_ECHO_QUEUE_MAX || !is_power_of_2(q->size))
		return -EINVAL;
	if (!IS_ALIGNED(q->desc_addr, VRING_DESC_ALIGN_SIZE) ||
	    !IS_ALIGNED(q->avail_addr, VRING_AVAIL_ALIGN_SIZE) ||
	    !IS_ALIGNED(q->used_addr, VRING_USED_ALIGN_SIZE))
		return -EINVAL;

	ret = echo_check_area(ed->vm, q->desc_addr,
			      (u64)q->size * sizeof(struct echo_desc), false);
	if (!ret)
		ret = echo_check_area(ed->vm, q->avail_addr, ECHO_RING_ENTRIES +
				      (u64)q->size * sizeof(__le16), false);
	if (!ret)
		ret = echo_check_area(ed->vm, q->used_addr, ECHO_RING_ENTRIES +
				      (u64)q->size *
				      sizeof(struct echo_used_elem), true);
	if (ret)
		return ret;

	chain = kvmalloc_array(q->size, sizeof(*chain), GFP_KERNEL_ACCOUNT);
	if (!chain)
		return -ENOMEM;
	kvfree(vq->chain);
	vq->size = q->size;
	vq->desc = q->desc_addr;
	vq->avail = q->avail_addr;
	vq->used = q->used_addr;
	vq->last_avail = q->base_idx;
	vq->used_idx = q->base_idx;
	vq->broken = 0;
	vq->chain = chain;
	return 0;
}

/**
 * echo_add_region() - pin the caller's memory as a guest region
 * @ed: the device
 * @r: the region from the VMM
 *
 * Context: Process context with the caller's mm, @ed->lock held; sleeps.
 * Return: 0; -EINVAL for unknown flags, nonzero reserved fields or a user
 * address that does not fit the kernel's; otherwise the errors of
 * vmmem_update() with %VMMEM_ADD_USER, which changes nothing when it fails.
 */
static int echo_add_region(struct echo_dev *ed,
			   const struct vmmem_echo_region *r)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_USER,
		.gpa = r->guest_addr,
		.size = r->size,
		.uaddr = r->user_addr,
	};
	int ret;

	if (r->reserved || (r->flags & ~VMMEM_ECHO_REGION_RDONLY))
		return -EINVAL;
	if (r->user_addr != (unsigned long)r->user_addr)
		return -EINVAL;
	if (r->flags & VMMEM_ECHO_REGION_RDONLY)
		up.flags |= VMMEM_REGION_RDONLY;

	/* A single update is an array of one. */
	ret = vmmem_update(ed->vm, &up, 1);
	if (!ret)
		ed->pages += r->size >> PAGE_SHIFT;
	return ret;
}

/**
 * echo_remove_region() - unregister a guest region and unpin its pages
 * @ed: the device
 * @r: the exact guest address and size of the region
 *
 * Context: Process context, @ed->lock held; sleeps.
 * Return: 0; -EINVAL if the user address, flags or reserved fields are
 * not 0; -ENOENT if no region has exactly that address and size.
 */
static int echo_remove_region(struct echo_dev *ed,
			      const struct vmmem_echo_region *r)
{
	const struct vmmem_update up = {
		.op = VMMEM_REMOVE,
		.gpa = r->guest_addr,
		.size = r->size,
	};
	int ret;

	if (r->user_addr || r->flags || r->reserved)
		return -EINVAL;
	ret = vmmem_update(ed->vm, &up, 1);
	if (!ret)
		ed->pages -= r->size >> PAGE_SHIFT;
	return ret;
}

/**
 * echo_get_stats() - fill the counters for the VMM
 * @ed: the device
 * @st: the structure to fill, every field
 *
 * Context: @ed->lock held.
 */
static void echo_get_stats(struct echo_dev *ed, struct vmmem_echo_stats *st)
{
	struct vmmem_info info;

	vmmem_info(ed->vm, &info);
	memset(st, 0, sizeof(*st));
	st->regions = info.nr_regions;
	st->pages_pinned = ed->pages;
	st->chains = ed->chains;
	st->descs = ed->descs;
	st->bytes = ed->bytes;
	st->rejected = ed->rejected;
	st->last_error = ed->last_error;
	st->broken = ed->vq.broken;
	st->queue_size = ed->vq.size;
	st->last_avail_idx = ed->vq.last_avail;
	st->used_idx = ed->vq.used_idx;
}

static long echo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct echo_dev *ed = file->private_data;
	void __user *argp = (void __user *)arg;
	union {
		struct vmmem_echo_region region;
		struct vmmem_echo_queue queue;
		struct vmmem_echo_stats stats;
	} u;
	long ret;

	switch (cmd) {
	case VMMEM_ECHO_ADD_REGION:
	case VMMEM_ECHO_REMOVE_REGION:
		if (copy_from_user(&u.region, argp, sizeof(u.region)))
			return -EFAULT;
		break;
	case VMMEM_ECHO_SET_QUEUE:
		if (copy_from_user(&u.queue, argp, sizeof(u.queue)))
			return -EFAULT;
		break;
	case VMMEM_ECHO_KICK:
		if (arg)
			return -EINVAL;
		break;
	case VMMEM_ECHO_GET_STATS:
		break;
	default:
		return -ENOTTY;
	}
	/* Pins are charged to the caller: only the owner may add or kick. */
	if (cmd != VMMEM_ECHO_GET_STATS && current->mm != ed->owner)
		return -EPERM;

	ret = mutex_lock_interruptible(&ed->lock);
	if (ret)
		return ret;
	switch (cmd) {
	case VMMEM_ECHO_ADD_REGION:
		ret = echo_add_region(ed, &u.region);
		break;
	case VMMEM_ECHO_REMOVE_REGION:
		ret = echo_remove_region(ed, &u.region);
		break;
	case VMMEM_ECHO_SET_QUEUE:
		ret = echo_set_queue(ed, &u.queue);
		break;
	case VMMEM_ECHO_KICK:
		ret = echo_kick(ed);
		break;
	case VMMEM_ECHO_GET_STATS:
		echo_get_stats(ed, &u.stats);
		break;
	}
	mutex_unlock(&ed->lock);

	if (cmd == VMMEM_ECHO_GET_STATS &&
	    copy_to_user(argp, &u.stats, sizeof(u.stats)))
		return -EFAULT;
	return ret;
}

static int echo_open(struct inode *inode, struct file *file)
{
	char name[VMMEM_NAME_MAX];
	struct echo_dev *ed;
	int ret;

	ed = kzalloc(sizeof(*ed), GFP_KERNEL_ACCOUNT);
	if (!ed)
		return -ENOMEM;
	ed->bounce = kmalloc(ECHO_BOUNCE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!ed->bounce) {
		ret = -ENOMEM;
		goto free_dev;
	}
	/* Named after the device and the VMM: debugfs vmmem/<name>/. */
	snprintf(name, sizeof(name), "vmmem_echo-%d", task_tgid_nr(current));
	ed->vm = vmmem_create(name, 0);
	if (IS_ERR(ed->vm)) {
		ret = PTR_ERR(ed->vm);
		goto free_bounce;
	}
	mutex_init(&ed->lock);
	ed->owner = current->mm;
	if (ed->owner)
		mmgrab(ed->owner);
	file->private_data = ed;
	return stream_open(inode, file);

free_bounce:
	kfree(ed->bounce);
free_dev:
	kfree(ed);
	return ret;
}

/*
 * The last reference to the map goes here: every region is removed, its
 * pages unpinned and unaccounted, before this returns.
 */
static int echo_release(struct inode *inode, struct file *file)
{
	struct echo_dev *ed = file->private_data;

	vmmem_put(ed->vm);
	if (ed->owner)
		mmdrop(ed->owner);
	kvfree(ed->vq.chain);
	kfree(ed->bounce);
	mutex_destroy(&ed->lock);
	kfree(ed);
	return 0;
}

static const struct file_operations echo_fops = {
	.owner		= THIS_MODULE,
	.open		= echo_open,
	.release	= echo_release,
	.unlocked_ioctl	= echo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice echo_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vmmem_echo",
	.fops	= &echo_fops,
	.mode	= 0600,
};

module_misc_device(echo_misc);

MODULE_DESCRIPTION("vmmem sample: a virtio echo device for a userspace VMM");
MODULE_LICENSE("GPL");
