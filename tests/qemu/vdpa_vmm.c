// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa_vmm - a VMM on the vhost-vdpa uAPI, driving samples/vmmem_vdpa_blk
 * bound to vhost_vdpa (/dev/vhost-vdpa-0), for the vdpa lane.
 *
 * It sets the device up as a VMM does (owner, features, backend features,
 * status, config space, vring number, base, addresses, kick and call
 * eventfds, enable, DRIVER_OK) and gives it memory with IOTLB update and
 * invalidate messages. Every IOVA differs from the user address behind
 * it, so a device that used the wrong address would fail. Then:
 *  - GET_ID and FLUSH;
 *  - 4 MiB written in requests of odd sizes, split into 1 to 12 buffers at
 *    offsets that are not page-aligned, some through indirect tables, and
 *    read back into other buffers;
 *  - buffers in an IOVA range that was invalidated, or half mapped:
 *    refused with VIRTIO_BLK_S_IOERR, the disk and the memory unchanged;
 *  - a read-only mapping the device must write, and a write-only one it
 *    must read: refused likewise; the allowed directions work;
 *  - remapping while requests are in flight: a thread moves an IOVA range
 *    between two buffers (and leaves it unmapped at times) while reads
 *    into it run; each completes with OK or IOERR, the device stays
 *    usable, and every 512-byte block of both buffers ends up either as
 *    it was or holding the disk data meant for it;
 *  - DISCARD and WRITE_ZEROES read back as zeroes.
 *
 * Output: one "ok - ..." or "not ok - ...: detail" line per check, "# "
 * lines with figures, and last "vdpa_vmm: N passed, M failed". The exit
 * status is 0 if nothing failed. A static binary with libc only.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define DEV_PATH	"/dev/vhost-vdpa-0"
#define QSZ		64u
#define SLOTS		(QSZ / 4)	/* four direct descriptors each */
#define MAX_BUFS	12		/* data buffers of one request */
#define SECTOR		512u
#define PAGE		4096u
#define WAIT_MS		10000

/* IOVAs: none equal to the user address behind them. */
#define IOVA_CTRL	0x10000000ull	/* rings, headers, tables */
#define IOVA_DATA	0x40000000ull	/* RW data */
#define IOVA_HOLE	0x50000000ull	/* invalidated or half mapped */
#define IOVA_RO		0x60000000ull
#define IOVA_WO		0x70000000ull
#define IOVA_REMAP	0x80000000ull

#define CTRL_SIZE	(8 * PAGE)
#define OFF_AVAIL	0x1000u
#define OFF_USED	0x2000u
#define OFF_HDR		0x3000u		/* 16 bytes per slot */
#define OFF_STATUS	0x3400u		/* 1 byte per slot */
#define OFF_SEG		0x3800u		/* discard segment */
#define OFF_TABLE	0x4000u		/* MAX_BUFS + 2 descriptors per slot */
#define TABLE_SIZE	((MAX_BUFS + 2) * 16u)

#define DATA_SIZE	(8u << 20)
#define PATTERN_SIZE	(4u << 20)
#define SIDE_SIZE	(64u << 10)	/* hole, read-only, write-only areas */
#define REMAP_SIZE	(64u << 10)
#define REMAP_REQS	4u		/* in flight at once, 16 KiB each */
#define REMAP_ROUNDS	150	/* at least, and ... */
#define REMAP_MIN	40	/* ... until this many remaps */
#define REMAP_SECONDS	60	/* or this long */

#define CANARY		0xa5
#define STATUS_NONE	0xee

static int fd = -1, kick_fd = -1, call_fd = -1;
static unsigned char *ctrl, *data, *pattern;
static __u16 avail_idx, used_seen;
static unsigned int passed, failed;

struct buf {
	__u64 iova;
	__u32 len;
};

struct req {
	__u32 type;
	__u64 sector;
	unsigned int nbufs;
	struct buf bufs[MAX_BUFS];
	bool indirect;
};

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok - %s\n", name);
		passed++;
		return;
	}
	printf("not ok - %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

static __u64 rng_state = 0x20261203ull;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		printf("vdpa_vmm: mmap: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

/* One IOTLB message: an update (perm != 0) or an invalidation. */
static int iotlb(__u64 iova, __u64 size, void *uaddr, __u8 perm)
{
	struct vhost_msg_v2 msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = VHOST_IOTLB_MSG_V2;
	msg.iotlb.iova = iova;
	msg.iotlb.size = size;
	msg.iotlb.uaddr = (uintptr_t)uaddr;
	msg.iotlb.perm = perm;
	msg.iotlb.type = perm ? VHOST_IOTLB_UPDATE : VHOST_IOTLB_INVALIDATE;
	if (write(fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return -errno;
	return 0;
}

static __u8 get_status(void)
{
	__u8 s = 0;

	ioctl(fd, VHOST_VDPA_GET_STATUS, &s);
	return s;
}

static int set_status(__u8 s)
{
	return ioctl(fd, VHOST_VDPA_SET_STATUS, &s) ? -errno : 0;
}

/* The rings, in the control area (little-endian, as virtio 1.x is). */
static struct vring_desc *desc(unsigned int i)
{
	return (struct vring_desc *)ctrl + i;
}

static __u16 *avail_ring(void)
{
	return (__u16 *)(ctrl + OFF_AVAIL);
}

static __u16 *used_event(void)
{
	return avail_ring() + 2 + QSZ;
}

static struct vring_used *used_ring(void)
{
	return (struct vring_used *)(ctrl + OFF_USED);
}

static void set_desc(struct vring_desc *d, __u64 addr, __u32 len,
		     __u16 flags, __u16 next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/* The request's header, data and status descriptors, in @d[0..]. */
static unsigned int fill_chain(struct vring_desc *d, const struct req *r,
			       unsigned int slot, bool table)
{
	struct virtio_blk_outhdr *hdr = (void *)(ctrl + OFF_HDR + slot * 16);
	__u16 wflag = (r->type == VIRTIO_BLK_T_IN ||
			  r->type == VIRTIO_BLK_T_GET_ID) ? VRING_DESC_F_WRITE : 0;
	__u16 base = table ? 0 : slot * 4;
	unsigned int n = 0, i;

	hdr->type = htole32(r->type);
	hdr->ioprio = 0;
	hdr->sector = htole64(r->sector);
	ctrl[OFF_STATUS + slot] = STATUS_NONE;
	set_desc(&d[n], IOVA_CTRL + OFF_HDR + slot * 16, 16, VRING_DESC_F_NEXT,
		 base + n + 1);
	n++;
	for (i = 0; i < r->nbufs; i++, n++)
		set_desc(&d[n], r->bufs[i].iova, r->bufs[i].len,
			 wflag | VRING_DESC_F_NEXT, base + n + 1);
	set_desc(&d[n], IOVA_CTRL + OFF_STATUS + slot, 1, VRING_DESC_F_WRITE, 0);
	return n + 1;
}

/* Puts @r on the ring in @slot (not kicked). */
static void submit(const struct req *r, unsigned int slot)
{
	__u16 *avail = avail_ring();

	if (r->indirect || r->nbufs > 2) {
		struct vring_desc *t = (void *)(ctrl + OFF_TABLE +
						slot * TABLE_SIZE);
		unsigned int n = fill_chain(t, r, slot, true);

		set_desc(desc(slot * 4), IOVA_CTRL + OFF_TABLE + slot * TABLE_SIZE,
			 n * 16, VRING_DESC_F_INDIRECT, 0);
	} else {
		fill_chain(desc(slot * 4), r, slot, false);
	}
	avail[2 + avail_idx % QSZ] = htole16(slot * 4);
	avail_idx++;
	/* The descriptors and the entry before the index that shows them. */
	__atomic_store_n(&avail[1], htole16(avail_idx), __ATOMIC_RELEASE);
}

static void kick(void)
{
	__u64 one = 1;

	if (write(kick_fd, &one, sizeof(one)) != sizeof(one))
		printf("# eventfd write: %s\n", strerror(errno));
}

/*
 * Waits until @count more requests completed; done[slot] set for each.
 * Returns 0, or -ETIMEDOUT.
 */
static int wait_used(unsigned int count, bool *done)
{
	struct vring_used *u = used_ring();
	__u64 events;

	while (count) {
		__u16 idx = le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
		struct pollfd p = { .fd = call_fd, .events = POLLIN };

		while (used_seen != idx && count) {
			__u32 id = le32toh(u->ring[used_seen % QSZ].id);

			if (id % 4 == 0 && id / 4 < SLOTS)
				done[id / 4] = true;
			used_seen++;
			count--;
		}
		if (!count)
			break;
		/* Interrupt me at the next entry; then look once more. */
		__atomic_store_n(used_event(), htole16(used_seen),
				 __ATOMIC_SEQ_CST);
		if (le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) != idx)
			continue;
		if (poll(&p, 1, WAIT_MS) <= 0)
			return -ETIMEDOUT;
		if (read(call_fd, &events, sizeof(events)) < 0)
			return -errno;
	}
	return 0;
}

/* Runs one request; its status byte, or -ETIMEDOUT. */
static int run(const struct req *r)
{
	bool done[SLOTS] = { false };

	submit(r, 0);
	kick();
	if (wait_used(1, done))
		return -ETIMEDOUT;
	return ctrl[OFF_STATUS];
}

static struct req one_buf(__u32 type, __u64 sector, __u64 iova,
			  __u32 len)
{
	struct req r = { .type = type, .sector = sector, .nbufs = 1 };

	r.bufs[0].iova = iova;
	r.bufs[0].len = len;
	return r;
}

/* Reads @len bytes at @sector into data + @off (IOVA_DATA + @off). */
static int read_disk(__u64 sector, __u32 off, __u32 len)
{
	struct req r = one_buf(VIRTIO_BLK_T_IN, sector, IOVA_DATA + off, len);

	return run(&r);
}

static char setup_why[160];

/* Setup step @what: false (and why, with errno) if @ok is not. */
static bool sys_step(bool ok, const char *what)
{
	if (!ok)
		snprintf(setup_why, sizeof(setup_why), "%s: %s", what,
			 strerror(errno));
	return ok;
}

/* As sys_step(), for a value the device gave back. */
static bool want_step(bool ok, const char *what)
{
	if (!ok)
		snprintf(setup_why, sizeof(setup_why), "%s", what);
	return ok;
}

static bool setup_features(void)
{
	__u64 features, want, backend;
	__u32 id = 0;

	want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_ACCESS_PLATFORM) |
	       (1ull << VIRTIO_RING_F_EVENT_IDX) |
	       (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
	       (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
	       (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_DISCARD) |
	       (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	return sys_step(!ioctl(fd, VHOST_SET_OWNER), "VHOST_SET_OWNER") &&
	       sys_step(!ioctl(fd, VHOST_VDPA_GET_DEVICE_ID, &id),
			"GET_DEVICE_ID") &&
	       want_step(id == VIRTIO_ID_BLOCK, "device id is not virtio-blk") &&
	       sys_step(!ioctl(fd, VHOST_GET_BACKEND_FEATURES, &backend),
			"GET_BACKEND_FEATURES") &&
	       want_step(backend & (1ull << VHOST_BACKEND_F_IOTLB_MSG_V2),
			 "no IOTLB_MSG_V2") &&
	       (backend = 1ull << VHOST_BACKEND_F_IOTLB_MSG_V2) &&
	       sys_step(!ioctl(fd, VHOST_SET_BACKEND_FEATURES, &backend),
			"SET_BACKEND_FEATURES") &&
	       sys_step(!set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE |
				    VIRTIO_CONFIG_S_DRIVER), "SET_STATUS DRIVER") &&
	       sys_step(!ioctl(fd, VHOST_GET_FEATURES, &features),
			"GET_FEATURES") &&
	       want_step((features & want) == want, "a feature is missing") &&
	       sys_step(!ioctl(fd, VHOST_SET_FEATURES, &want), "SET_FEATURES") &&
	       sys_step(!set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE |
				    VIRTIO_CONFIG_S_DRIVER |
				    VIRTIO_CONFIG_S_FEATURES_OK),
			"SET_STATUS FEATURES_OK") &&
	       want_step(get_status() & VIRTIO_CONFIG_S_FEATURES_OK,
			 "FEATURES_OK not kept");
}

static bool setup_config(void)
{
	struct {
		struct vhost_vdpa_config head;
		struct virtio_blk_config cfg;
	} c;

	memset(&c, 0, sizeof(c));
	c.head.len = sizeof(c.cfg);
	return sys_step(!ioctl(fd, VHOST_VDPA_GET_CONFIG, &c), "GET_CONFIG") &&
	       want_step(le64toh(c.cfg.capacity) == 131072,
			 "capacity is not 64 MiB") &&
	       want_step(le32toh(c.cfg.seg_max) >= MAX_BUFS + 2,
			 "seg_max too small") &&
	       want_step(le32toh(c.cfg.blk_size) == SECTOR,
			 "blk_size is not 512");
}

static bool setup_vring(void)
{
	struct vhost_vring_state num = { .index = 0, .num = QSZ };
	struct vhost_vring_state base = { .index = 0, .num = 0 };
	struct vhost_vring_state enable = { .index = 0, .num = 1 };
	struct vhost_vring_addr addr = {
		.index = 0,
		.desc_user_addr = IOVA_CTRL,
		.avail_user_addr = IOVA_CTRL + OFF_AVAIL,
		.used_user_addr = IOVA_CTRL + OFF_USED,
	};
	struct vhost_vring_file kick = { .index = 0 }, call = { .index = 0 };

	kick_fd = eventfd(0, EFD_CLOEXEC);
	call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	kick.fd = kick_fd;
	call.fd = call_fd;
	return sys_step(kick_fd >= 0 && call_fd >= 0, "eventfd") &&
	       sys_step(!ioctl(fd, VHOST_SET_VRING_NUM, &num), "SET_VRING_NUM") &&
	       sys_step(!ioctl(fd, VHOST_SET_VRING_BASE, &base),
			"SET_VRING_BASE") &&
	       sys_step(!ioctl(fd, VHOST_SET_VRING_ADDR, &addr),
			"SET_VRING_ADDR") &&
	       sys_step(!ioctl(fd, VHOST_SET_VRING_KICK, &kick),
			"SET_VRING_KICK") &&
	       sys_step(!ioctl(fd, VHOST_SET_VRING_CALL, &call),
			"SET_VRING_CALL") &&
	       sys_step(!ioctl(fd, VHOST_VDPA_SET_VRING_ENABLE, &enable),
			"SET_VRING_ENABLE");
}

static bool setup(void)
{
	int i;

	/* vhost-vdpa pins what it maps, against RLIMIT_MEMLOCK (8 MiB). */
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	if (!sys_step(!setrlimit(RLIMIT_MEMLOCK, &unlimited), "RLIMIT_MEMLOCK"))
		return false;
	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open(DEV_PATH, O_RDWR);
		if (fd < 0)
			usleep(100000);
	}
	return sys_step(fd >= 0, "open " DEV_PATH) && setup_features() &&
	       setup_config() &&
	       /* The control area and the data area, mapped read-write. */
	       sys_step(!iotlb(IOVA_CTRL, CTRL_SIZE, ctrl, VHOST_ACCESS_RW),
			"IOTLB update of the rings") &&
	       sys_step(!iotlb(IOVA_DATA, DATA_SIZE, data, VHOST_ACCESS_RW),
			"IOTLB update of the data") &&
	       setup_vring() &&
	       sys_step(!set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE |
				    VIRTIO_CONFIG_S_DRIVER |
				    VIRTIO_CONFIG_S_FEATURES_OK |
				    VIRTIO_CONFIG_S_DRIVER_OK),
			"SET_STATUS DRIVER_OK") &&
	       want_step(get_status() & VIRTIO_CONFIG_S_DRIVER_OK,
			 "DRIVER_OK not kept");
}

static void test_id_flush(void)
{
	struct req r = one_buf(VIRTIO_BLK_T_GET_ID, 0, IOVA_DATA + 100,
			       VIRTIO_BLK_ID_BYTES);
	int st;

	memset(data + 100, 0, VIRTIO_BLK_ID_BYTES);
	st = run(&r);
	check(st == VIRTIO_BLK_S_OK &&
	      !strncmp((char *)data + 100, "vmmem-vdpa-blk", VIRTIO_BLK_ID_BYTES),
	      "GET_ID through the IOVA space", "status %d, id '%.20s'", st,
	      (char *)data + 100);
	r.type = VIRTIO_BLK_T_FLUSH;
	r.nbufs = 0;
	st = run(&r);
	check(st == VIRTIO_BLK_S_OK, "FLUSH", "status %d", st);
}

/* Cuts [iova, iova + len) into 1..@max buffers at multiples of 512. */
static void split(struct req *r, __u64 iova, __u32 len, unsigned int max)
{
	unsigned int n = 1 + rng() % max, i;

	if (n > len / SECTOR)
		n = len / SECTOR;
	r->nbufs = n;
	for (i = 0; i < n; i++) {
		__u32 left = len / SECTOR - (n - 1 - i), piece;

		piece = i == n - 1 ? len / SECTOR : 1 + rng() % left;
		r->bufs[i].iova = iova;
		r->bufs[i].len = piece * SECTOR;
		iova += piece * SECTOR;
		len -= piece * SECTOR;
	}
}

/* 4 MiB out and back, in requests of odd sizes and shapes. */
static void test_data(void)
{
	static const __u32 sizes[] = { 4096, 7 * 512, 65536 + 512,
					  3 * 4096 + 1024, 131072, 512 };
	__u32 off, len;
	unsigned int reqs = 0, k = 0, bad = 0;
	struct req r;
	int st;

	for (off = 0; off < PATTERN_SIZE; off++)
		pattern[off] = rng() >> 24;
	memcpy(data, pattern, PATTERN_SIZE);
	memset(data + PATTERN_SIZE, 0, PATTERN_SIZE);
	for (off = 0; off < PATTERN_SIZE; off += len, k++) {
		len = sizes[k % 6];
		if (len > PATTERN_SIZE - off)
			len = PATTERN_SIZE - off;
		memset(&r, 0, sizeof(r));
		r.type = VIRTIO_BLK_T_OUT;
		r.sector = off / SECTOR;
		split(&r, IOVA_DATA + off, len, k % 5 ? 3 : MAX_BUFS);
		r.indirect = !(k % 7);
		st = run(&r);
		reqs++;
		if (st != VIRTIO_BLK_S_OK && !bad++)
			printf("# OUT at sector %llu: status %d\n",
			       (unsigned long long)r.sector, st);
	}
	check(!bad, "4 MiB written in odd requests (split, indirect)",
	      "%u of %u failed", bad, reqs);
	bad = 0;
	for (off = 0; off < PATTERN_SIZE; off += len, k++) {
		len = sizes[(k + 3) % 6];
		if (len > PATTERN_SIZE - off)
			len = PATTERN_SIZE - off;
		memset(&r, 0, sizeof(r));
		r.type = VIRTIO_BLK_T_IN;
		r.sector = off / SECTOR;
		split(&r, IOVA_DATA + PATTERN_SIZE + off, len,
		      k % 4 ? 3 : MAX_BUFS);
		r.indirect = !(k % 5);
		st = run(&r);
		reqs++;
		if (st != VIRTIO_BLK_S_OK)
			bad++;
	}
	check(!bad && !memcmp(data + PATTERN_SIZE, pattern, PATTERN_SIZE),
	      "4 MiB read back into other buffers, equal",
	      "%u failed, data %s", bad,
	      memcmp(data + PATTERN_SIZE, pattern, PATTERN_SIZE) ? "differs" :
								   "equal");
	printf("# data: %u requests, %u bytes each way\n", reqs, PATTERN_SIZE);
}

/* Whether disk sectors [@sector, +@len) still hold the pattern. */
static bool disk_intact(__u64 sector, __u32 len)
{
	__u32 off = DATA_SIZE - SIDE_SIZE;

	memset(data + off, 0, len);
	return read_disk(sector, off, len) == VIRTIO_BLK_S_OK &&
	       !memcmp(data + off, pattern + sector * SECTOR, len);
}

static bool all_bytes(const unsigned char *p, unsigned char v, size_t len)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

static unsigned int refused;

/* Runs @r, which must fail with IOERR; true if it did. */
static bool refuse(const struct req *r, int *st)
{
	*st = run(r);
	if (*st == VIRTIO_BLK_S_IOERR)
		refused++;
	return *st == VIRTIO_BLK_S_IOERR;
}

static void test_unmapped(void)
{
	unsigned char *hole = map_anon(SIDE_SIZE);
	struct req r;
	int st, ret;

	memset(hole, CANARY, SIDE_SIZE);
	ret = iotlb(IOVA_HOLE, SIDE_SIZE, hole, VHOST_ACCESS_RW);
	if (!ret)
		ret = iotlb(IOVA_HOLE, SIDE_SIZE, NULL, 0);
	check(!ret, "map and invalidate an IOVA range", "%s", strerror(-ret));

	r = one_buf(VIRTIO_BLK_T_OUT, 100, IOVA_HOLE, 8192);
	check(refuse(&r, &st) && disk_intact(100, 8192),
	      "OUT from an invalidated range: IOERR, disk unchanged",
	      "status %d", st);
	r = one_buf(VIRTIO_BLK_T_IN, 100, IOVA_HOLE, 8192);
	check(refuse(&r, &st) && all_bytes(hole, CANARY, SIDE_SIZE),
	      "IN into an invalidated range: IOERR, memory unchanged",
	      "status %d", st);

	/* The first page mapped again, the buffer runs on into the hole. */
	ret = iotlb(IOVA_HOLE, PAGE, hole, VHOST_ACCESS_RW);
	r = one_buf(VIRTIO_BLK_T_IN, 200, IOVA_HOLE + 2048, 4096);
	check(!ret && refuse(&r, &st) && all_bytes(hole, CANARY, SIDE_SIZE),
	      "IN into a half-mapped buffer: IOERR, nothing written",
	      "update %d, status %d", ret, st);
	/* Data split: the first buffer mapped, the second not. */
	memset(&r, 0, sizeof(r));
	r.type = VIRTIO_BLK_T_OUT;
	r.sector = 300;
	r.nbufs = 2;
	r.bufs[0].iova = IOVA_HOLE;
	r.bufs[0].len = 4096;
	r.bufs[1].iova = IOVA_HOLE + 4 * PAGE;
	r.bufs[1].len = 4096;
	check(refuse(&r, &st) && disk_intact(300, 8192),
	      "OUT with its second buffer unmapped: IOERR, disk unchanged",
	      "status %d", st);
	iotlb(IOVA_HOLE, SIDE_SIZE, NULL, 0);
	munmap(hole, SIDE_SIZE);
}

static void test_permissions(void)
{
	unsigned char *ro = map_anon(SIDE_SIZE), *wo = map_anon(SIDE_SIZE);
	struct req r;
	int st, ret;

	memset(ro, CANARY, SIDE_SIZE);
	memset(wo, CANARY, SIDE_SIZE);
	ret = iotlb(IOVA_RO, SIDE_SIZE, ro, VHOST_ACCESS_RO);
	if (!ret)
		ret = iotlb(IOVA_WO, SIDE_SIZE, wo, VHOST_ACCESS_WO);
	check(!ret, "map read-only and write-only ranges", "%s", strerror(-ret));

	r = one_buf(VIRTIO_BLK_T_IN, 400, IOVA_RO, 8192);
	check(refuse(&r, &st) && all_bytes(ro, CANARY, SIDE_SIZE),
	      "IN into a read-only mapping: IOERR, memory unchanged",
	      "status %d", st);
	r = one_buf(VIRTIO_BLK_T_OUT, 500, IOVA_WO, 8192);
	check(refuse(&r, &st) && disk_intact(500, 8192),
	      "OUT from a write-only mapping: IOERR, disk unchanged",
	      "status %d", st);

	/* The permitted directions. */
	r = one_buf(VIRTIO_BLK_T_IN, 600, IOVA_WO, 8192);
	st = run(&r);
	check(st == VIRTIO_BLK_S_OK && !memcmp(wo, pattern + 600 * SECTOR, 8192),
	      "IN into a write-only mapping", "status %d", st);
	r = one_buf(VIRTIO_BLK_T_OUT, 700, IOVA_RO, 8192);
	st = run(&r);
	memset(data, 0, 8192);
	check(st == VIRTIO_BLK_S_OK && read_disk(700, 0, 8192) == 0 &&
	      all_bytes(data, CANARY, 8192),
	      "OUT from a read-only mapping", "status %d", st);
	/* Put the pattern back where the last check wrote. */
	memcpy(data, pattern + 700 * SECTOR, 8192);
	r = one_buf(VIRTIO_BLK_T_OUT, 700, IOVA_DATA, 8192);
	run(&r);
	iotlb(IOVA_RO, SIDE_SIZE, NULL, 0);
	iotlb(IOVA_WO, SIDE_SIZE, NULL, 0);
	munmap(ro, SIDE_SIZE);
	munmap(wo, SIDE_SIZE);
}

static unsigned char *remap_a, *remap_b;
static bool remap_stop;
static unsigned int remaps, remap_errors, unmapped_spells;
static double remap_max_ms;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Moves IOVA_REMAP between A, B and nothing until told to stop. */
static void *remapper(void *arg)
{
	struct timespec pause = { 0, 200000 };
	unsigned int i = 0;

	(void)arg;
	while (!__atomic_load_n(&remap_stop, __ATOMIC_RELAXED)) {
		double start = now_ms();

		if (iotlb(IOVA_REMAP, REMAP_SIZE, NULL, 0))
			remap_errors++;
		if (now_ms() - start > remap_max_ms)
			remap_max_ms = now_ms() - start;
		if (i % 5 == 4) {
			unmapped_spells++;
			nanosleep(&pause, NULL);
		}
		if (iotlb(IOVA_REMAP, REMAP_SIZE, i % 2 ? remap_b : remap_a,
			  VHOST_ACCESS_RW))
			remap_errors++;
		__atomic_store_n(&remaps, remaps + 1, __ATOMIC_RELAXED);
		i++;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* Each block of @buf: as it was, or the disk data meant for it. */
static unsigned int torn_blocks(const unsigned char *buf)
{
	unsigned int off, torn = 0;

	for (off = 0; off < REMAP_SIZE; off += SECTOR)
		if (!all_bytes(buf + off, CANARY, SECTOR) &&
		    memcmp(buf + off, pattern + off, SECTOR))
			torn++;
	return torn;
}

static void test_remap(void)
{
	unsigned int round, i, ok = 0, ioerr = 0, other = 0, timeouts = 0;
	__u32 chunk = REMAP_SIZE / REMAP_REQS;
	pthread_t thread;
	unsigned int torn;
	double start;
	__u8 status;

	remap_a = map_anon(REMAP_SIZE);
	remap_b = map_anon(REMAP_SIZE);
	memset(remap_a, CANARY, REMAP_SIZE);
	memset(remap_b, CANARY, REMAP_SIZE);
	if (iotlb(IOVA_REMAP, REMAP_SIZE, remap_a, VHOST_ACCESS_RW) ||
	    pthread_create(&thread, NULL, remapper, NULL)) {
		check(false, "remapping while requests are in flight",
		      "cannot start");
		return;
	}
	start = now_ms();
	for (round = 0; round < REMAP_ROUNDS ||
	     (__atomic_load_n(&remaps, __ATOMIC_RELAXED) < REMAP_MIN &&
	      now_ms() - start < REMAP_SECONDS * 1e3); round++) {
		bool done[SLOTS] = { false };

		for (i = 0; i < REMAP_REQS; i++) {
			struct req r = one_buf(VIRTIO_BLK_T_IN,
					       i * chunk / SECTOR,
					       IOVA_REMAP + i * chunk, chunk);

			submit(&r, i);
		}
		kick();
		if (wait_used(REMAP_REQS, done)) {
			timeouts++;
			break;
		}
		for (i = 0; i < REMAP_REQS; i++) {
			if (ctrl[OFF_STATUS + i] == VIRTIO_BLK_S_OK)
				ok++;
			else if (ctrl[OFF_STATUS + i] == VIRTIO_BLK_S_IOERR)
				ioerr++;
			else
				other++;
		}
	}
	__atomic_store_n(&remap_stop, true, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	status = get_status();
	torn = torn_blocks(remap_a) + torn_blocks(remap_b);
	printf("# remap: %u rounds of %u reads in %.0f ms: %u ok, %u ioerr\n",
	       round, REMAP_REQS, now_ms() - start, ok, ioerr);
	printf("# remap: %u remaps (%u left unmapped a while), %u IOTLB errors\n",
	       remaps, unmapped_spells, remap_errors);
	printf("# remap: slowest invalidation %.1f ms\n", remap_max_ms);
	check(!timeouts && !other && ok && !torn && !remap_errors &&
	      !(status & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "remapping while requests are in flight",
	      "%u timeouts, %u other statuses, %u ok, %u torn blocks, %u IOTLB errors, status %#x",
	      timeouts, other, ok, torn, remap_errors, status);
	refused += ioerr;
	iotlb(IOVA_REMAP, REMAP_SIZE, NULL, 0);
	/* The device still works. */
	check(disk_intact(0, 65536), "reads after the remapping",
	      "device status %#x", get_status());
	munmap(remap_a, REMAP_SIZE);
	munmap(remap_b, REMAP_SIZE);
}

static void test_discard(void)
{
	struct virtio_blk_discard_write_zeroes *seg =
		(void *)(ctrl + OFF_SEG);
	static const __u32 types[] = { VIRTIO_BLK_T_DISCARD,
					  VIRTIO_BLK_T_WRITE_ZEROES };
	static const char *const names[] = {
		"DISCARD reads back as zeroes",
		"WRITE_ZEROES reads back as zeroes",
	};
	unsigned int i;

	for (i = 0; i < 2; i++) {
		__u64 sector = 1000 + i * 100;
		struct req r = one_buf(types[i], 0, IOVA_CTRL + OFF_SEG,
				       sizeof(*seg));
		bool before;
		int st;

		before = disk_intact(sector, 64 * SECTOR);
		seg->sector = htole64(sector);
		seg->num_sectors = htole32(64);
		seg->flags = 0;
		st = run(&r);
		memset(data, 0xff, 64 * SECTOR);
		check(before && st == VIRTIO_BLK_S_OK &&
		      read_disk(sector, 0, 64 * SECTOR) == VIRTIO_BLK_S_OK &&
		      all_bytes(data, 0, 64 * SECTOR), names[i],
		      "pattern before %d, status %d", before, st);
	}
}

int main(void)
{
	bool up;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctrl = map_anon(CTRL_SIZE);
	data = map_anon(DATA_SIZE);
	pattern = malloc(PATTERN_SIZE);
	if (!pattern)
		return 1;
	memset(ctrl, 0, CTRL_SIZE);
	up = setup();
	check(up, "vhost-vdpa setup (owner, features, IOTLB, vring, DRIVER_OK)",
	      "%s", setup_why);
	if (up) {
		test_id_flush();
		test_data();
		test_unmapped();
		test_permissions();
		test_remap();
		test_discard();
		printf("# refused with IOERR as expected: %u requests\n",
		       refused);
		check(!(get_status() & VIRTIO_CONFIG_S_NEEDS_RESET) &&
		      !set_status(0) && get_status() == 0,
		      "device healthy, then reset", "status %#x", get_status());
	}
	if (fd >= 0)
		close(fd);
	printf("vdpa_vmm: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
