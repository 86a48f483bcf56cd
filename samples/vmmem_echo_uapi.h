/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vmmem_echo - the ioctl interface of the sample echo device, shared by
 * the kernel module and the userspace VMM that drives it.
 *
 * Every structure has a fixed size, only naturally aligned fields and
 * explicit padding, so 32-bit and 64-bit callers see the same layout.
 * Unknown flags and nonzero reserved fields are refused with -EINVAL, so
 * that they can be given a meaning later.
 *
 * The process that opened the device owns it, as vhost's owner does: any
 * other process (a child that inherited the file, one that received it
 * over a socket) gets -EPERM from every ioctl except
 * %VMMEM_ECHO_GET_STATS.
 */
#ifndef _VMMEM_ECHO_UAPI_H
#define _VMMEM_ECHO_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VMMEM_ECHO_DEVICE	"/dev/vmmem_echo"

/* Largest split virtqueue (virtio 1.x: a power of two up to 32768). */
#define VMMEM_ECHO_QUEUE_MAX	32768

/* struct vmmem_echo_region flags: the device may read, never write. */
#define VMMEM_ECHO_REGION_RDONLY	0x1U

/**
 * struct vmmem_echo_region - guest memory backed by the caller's memory
 * @guest_addr: first guest-physical address, page-aligned
 * @user_addr: address of the backing memory in the calling process,
 *	page-aligned; must be 0 for %VMMEM_ECHO_REMOVE_REGION
 * @size: length in bytes, page-aligned and non-zero
 * @flags: 0 or %VMMEM_ECHO_REGION_RDONLY; must be 0 for
 *	%VMMEM_ECHO_REMOVE_REGION
 * @reserved: must be 0
 *
 * %VMMEM_ECHO_ADD_REGION pins the pages of [@user_addr, @user_addr +
 * @size) of the calling process (counted against its RLIMIT_MEMLOCK)
 * until the region is removed or the file is closed. The pins do not
 * follow later changes of the mapping: remove the region before munmap().
 * %VMMEM_ECHO_REMOVE_REGION takes the exact (@guest_addr, @size) of a
 * region.
 */
struct vmmem_echo_region {
	__u64 guest_addr;
	__u64 user_addr;
	__u64 size;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct vmmem_echo_queue - the one split virtqueue of the device
 * @size: number of descriptors, a power of two up to
 *	%VMMEM_ECHO_QUEUE_MAX; 0 removes the queue (the addresses and
 *	@base_idx must then be 0)
 * @base_idx: the avail index the device starts at, and the first used
 *	index it publishes (below 65536); 0 after a driver reset, another
 *	value to resume a queue (as VHOST_SET_VRING_BASE)
 * @desc_addr: guest address of the descriptor table, 16-byte aligned
 * @avail_addr: guest address of the available ring, 2-byte aligned
 * @used_addr: guest address of the used ring, 4-byte aligned
 * @flags: must be 0
 * @reserved: must be 0
 *
 * The three areas must be mapped when the queue is set (the used ring
 * writable). Setting the queue, even to the same values, is the device
 * reset of that queue: it clears the broken state.
 */
struct vmmem_echo_queue {
	__u32 size;
	__u32 base_idx;
	__u64 desc_addr;
	__u64 avail_addr;
	__u64 used_addr;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct vmmem_echo_stats - counters of one open file
 * @regions: regions registered now
 * @pages_pinned: pages (of the kernel's PAGE_SIZE) pinned by them now
 * @chains: descriptor chains processed and returned in the used ring
 * @descs: descriptors in those chains
 * @bytes: bytes copied from readable into writable buffers
 * @rejected: kicks that found a malformed chain or an unusable ring and
 *	broke the queue
 * @last_error: the negative errno of the last rejection, or 0
 * @broken: the negative errno that broke the queue, 0 while it works
 * @queue_size: size of the queue, 0 if none is set
 * @last_avail_idx: the next avail index the device will read
 * @used_idx: the used index the device last published
 * @reserved: 0
 */
struct vmmem_echo_stats {
	__u64 regions;
	__u64 pages_pinned;
	__u64 chains;
	__u64 descs;
	__u64 bytes;
	__u64 rejected;
	__s32 last_error;
	__s32 broken;
	__u32 queue_size;
	__u16 last_avail_idx;
	__u16 used_idx;
	__u64 reserved;
};

#define VMMEM_ECHO_IOC_MAGIC	0xBE

/* Register guest memory: 0 or -errno of vmmem_update() (VMMEM_ADD_USER). */
#define VMMEM_ECHO_ADD_REGION	_IOW(VMMEM_ECHO_IOC_MAGIC, 0x01, struct vmmem_echo_region)
/* Unregister it (unpins its pages): 0 or -ENOENT, -EINVAL. */
#define VMMEM_ECHO_REMOVE_REGION _IOW(VMMEM_ECHO_IOC_MAGIC, 0x02, struct vmmem_echo_region)
/* Describe (and reset) the queue, or remove it with size 0. */
#define VMMEM_ECHO_SET_QUEUE	_IOW(VMMEM_ECHO_IOC_MAGIC, 0x03, struct vmmem_echo_queue)
/*
 * Process the avail ring; the argument must be 0. Returns the number of
 * chains completed or a negative errno: the first malformed chain stops
 * the kick (chains before it are completed and published) and breaks the
 * queue; later kicks fail with -EIO until the queue is set again.
 *
 * First, per kick: avail->idx more than the queue size ahead of the
 * device is EINVAL. Then, per chain, its descriptors are walked (each is
 * copied once, and checked in this order):
 *   ERANGE      a head or next index at or beyond the queue size
 *   ELOOP       a chain longer than the queue size (a loop)
 *   EINVAL      a flag other than NEXT, WRITE and INDIRECT
 *   EOPNOTSUPP  an indirect descriptor (the device does not offer them)
 *   EPROTO      a device-readable descriptor after a device-writable one
 *   EMSGSIZE    readable or writable bytes of the chain over 4 GiB - 1
 * and then its buffers, in order:
 *   EOVERFLOW   a buffer whose last byte would pass 2^64 - 1
 *   EFAULT      a buffer not entirely in registered memory
 *   EROFS       a device-writable buffer in a read-only region
 * A ring that is no longer registered is EFAULT too. Without a queue a
 * kick fails with ENXIO. A signal stops a kick between two chains, or
 * between two pages of a copy (that chain is left for the next kick): it
 * returns the chains completed so far, or EINTR if there are none.
 */
#define VMMEM_ECHO_KICK		_IO(VMMEM_ECHO_IOC_MAGIC, 0x04)
#define VMMEM_ECHO_GET_STATS	_IOR(VMMEM_ECHO_IOC_MAGIC, 0x05, struct vmmem_echo_stats)

#endif /* _VMMEM_ECHO_UAPI_H */
