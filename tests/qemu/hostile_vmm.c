// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostile_vmm - a randomized hostile VMM for the vmmem_echo sample device.
 *
 * Several threads share a small pool of open files of /dev/vmmem_echo and
 * a small pool of anonymous mappings, and each performs a fixed number of
 * random operations on them: open and close files (a close often lands
 * while another thread is inside an ioctl on that file), register memory
 * (valid, overlapping, misaligned, huge, read-only, over RLIMIT_MEMLOCK,
 * unmapped, with garbage flags or pointers), remove it, describe queues
 * (valid and garbage), fill rings with random descriptors and kick, read
 * the counters, and munmap(), mremap(MREMAP_MAYMOVE), mmap(MAP_FIXED) over
 * or madvise(MADV_DONTNEED) memory that is registered, and fork() children
 * that try to change the inherited devices (they must get EPERM), some
 * with devices of their own, and exit with files still open. Errors are
 * expected; they are counted and reported, and nothing may crash.
 *
 * The chaos runs in a child that drops to an unprivileged uid with a small
 * RLIMIT_MEMLOCK, so that every pin is charged. Afterwards, with every
 * file closed and every child reaped, nothing may stay pinned or charged:
 * VmPin is 0 kB, a region of exactly RLIMIT_MEMLOCK registers, and one
 * page more does not. The kernel log is checked by the QEMU lane.
 *
 * Output: "hostile_vmm: seed N" first, then one line per check, "ok - ..."
 * or "not ok - ...: detail", "report: " lines with the return codes of
 * every kind of operation, and last "hostile_vmm: N passed, M failed".
 * The exit status is 0 if nothing failed.
 * Usage: hostile_vmm [seed]. The seed fixes every thread's choices; the
 * interleaving of the threads is up to the machine.
 *
 * A static binary with libc only, so that it runs in a bare initramfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/virtio_ring.h>

#include "../../samples/vmmem_echo_uapi.h"

#define DEFAULT_SEED	20261201ULL
#define NR_THREADS	4
#define OPS_PER_THREAD	2500
#define NR_OPS_TOTAL	(NR_THREADS * OPS_PER_THREAD)
#define NR_FDS		6	/* slots for open files */
#define NR_MAPS		8	/* slots for anonymous mappings */
#define NR_RECS		8	/* regions remembered per file */
#define MAP_MAX_PAGES	96
#define MEMLOCK_LIMIT	(4ULL << 20)
#define GUARD_SIZE	(16ULL << 20)	/* PROT_NONE: never pinnable */
#define BIG_EXTRA	4		/* pages past the limit in big */
#define CHAOS_UID	65534
#define CHAOS_TIMEOUT	240		/* seconds */
#define QUEUE_MAX_LOG	4		/* queues of 1 to 16 descriptors */
#define MAX_ERRNO	134		/* table index for anything else */
#define MIB		0x100000ULL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum op {
	OP_OPEN, OP_CLOSE, OP_ADD, OP_REMOVE, OP_SETQ, OP_KICK, OP_STATS,
	OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MADVISE, OP_FORK, NR_KINDS
};

static const char *const op_names[NR_KINDS] = {
	[OP_OPEN] = "open", [OP_CLOSE] = "close",
	[OP_ADD] = "ADD_REGION", [OP_REMOVE] = "REMOVE_REGION",
	[OP_SETQ] = "SET_QUEUE", [OP_KICK] = "KICK",
	[OP_STATS] = "GET_STATS", [OP_MMAP] = "mmap",
	[OP_MUNMAP] = "munmap", [OP_MREMAP] = "mremap",
	[OP_MADVISE] = "madvise", [OP_FORK] = "fork",
};

static const unsigned int op_weight[NR_KINDS] = {
	[OP_OPEN] = 3, [OP_CLOSE] = 3, [OP_ADD] = 16, [OP_REMOVE] = 8,
	[OP_SETQ] = 8, [OP_KICK] = 16, [OP_STATS] = 6, [OP_MMAP] = 6,
	[OP_MUNMAP] = 4, [OP_MREMAP] = 4, [OP_MADVISE] = 5, [OP_FORK] = 2,
};

/* A region this program believes one file has: where it came from. */
struct rec {
	__u64 gpa;
	__u64 size;
	int map;		/* map slot of the backing memory, -1: big */
	unsigned int map_gen;	/* that slot's generation when it was added */
	__u64 off;		/* offset of the backing memory in the slot */
	int rdonly;		/* registered read-only */
};

/* The queue this program last set on one file. */
struct ring {
	int set;
	__u32 size;
	__u64 gpa;		/* descriptor table; the rings follow */
	int map;
	unsigned int map_gen;
	__u64 off;		/* offset of the table in the map slot */
};

struct fd_slot {
	pthread_mutex_t lock;	/* everything but busy; fd is also read bare */
	int fd;			/* -1 when empty */
	unsigned int gen;	/* bumped whenever fd changes */
	int busy;		/* threads inside an ioctl on fd */
	struct rec rec[NR_RECS];
	unsigned int nr_rec;
	struct ring ring;
};

struct map_slot {
	/*
	 * Read-held to touch the memory or to hand its address to the
	 * device, write-held to unmap or move it: memory is never used after
	 * it went, and the device is never given an address that another
	 * mapping (a stack, the heap) might take meanwhile.
	 */
	pthread_rwlock_t lock;
	__u8 *addr;		/* NULL when unmapped */
	__u64 size;
	int writable;
	unsigned int gen;	/* bumped whenever addr or size changes */
};

struct thread {
	pthread_t tid;
	unsigned int id;
	__u64 rng;
	int started;
};

/* Shared between the root parent and the chaos process. */
struct shared {
	unsigned int passed;
	unsigned int failed;
};

/* A split ring in little-endian guest memory (virtio 1.x). */
struct ring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

static struct shared *res;
static long page_size;
static __u64 seed = DEFAULT_SEED;
static struct fd_slot fds[NR_FDS];
static struct map_slot maps[NR_MAPS];
static __u8 *guard;		/* GUARD_SIZE of PROT_NONE */
static __u8 *big;		/* MEMLOCK_LIMIT + BIG_EXTRA pages, RW */
static __u64 big_size;

static unsigned long results[NR_KINDS][MAX_ERRNO + 1];
static unsigned long ops_done;
static unsigned long owner_eperm;	/* the owner was refused */
static unsigned long over_limit_added;	/* a region above the limit went in */
static unsigned long bad_stats;		/* counters that make no sense */
static unsigned long closed_busy;	/* closes during another's ioctl */
static unsigned long kick_chains;	/* chains the kicks completed */
static unsigned long children, children_bad;
static int child_bad_status;		/* exit code, or 128 + signal */

static void pass_check(const char *fmt, ...)
{
	va_list ap;

	printf("ok - hostile_vmm: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	res->passed++;
}

static void fail_check(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("not ok - hostile_vmm: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	res->failed++;
}

static const char *errname(int err)
{
	static char buf[32];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static void count(unsigned long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* Count the result of one operation: >= 0 is success, else -errno. */
static void record(enum op op, long ret)
{
	unsigned long idx = 0;

	if (ret < 0)
		idx = -ret < MAX_ERRNO ? (unsigned long)-ret : MAX_ERRNO;
	count(&results[op][idx]);
}

static __u64 rnd(__u64 *s)
{
	__u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static __u64 below(__u64 *s, __u64 n)
{
	return n ? rnd(s) % n : 0;
}

static int chance(__u64 *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

static __u64 splitmix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An ioctl on the file of @s (or none): 0 or more, or -errno. */
static long dev_ioctl(struct fd_slot *s, int fd, unsigned long cmd, void *arg)
{
	long ret;

	if (s)
		__atomic_add_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
	ret = ioctl(fd, cmd, arg);
	if (ret < 0)
		ret = -errno;
	if (s)
		__atomic_sub_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
	/* Every file was opened by this process: it owns all of them. */
	if (ret == -EPERM)
		count(&owner_eperm);
	return ret;
}

static long add_region(struct fd_slot *s, int fd, __u64 gpa, const void *hva,
		       __u64 size, __u32 flags)
{
	struct vmmem_echo_region r = {
		.guest_addr = gpa,
		.user_addr = (__u64)(unsigned long)hva,
		.size = size,
		.flags = flags,
	};

	return dev_ioctl(s, fd, VMMEM_ECHO_ADD_REGION, &r);
}

static long remove_region(struct fd_slot *s, int fd, __u64 gpa, __u64 size)
{
	struct vmmem_echo_region r = { .guest_addr = gpa, .size = size };

	return dev_ioctl(s, fd, VMMEM_ECHO_REMOVE_REGION, &r);
}

static long get_stats(struct fd_slot *s, int fd, struct vmmem_echo_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	return dev_ioctl(s, fd, VMMEM_ECHO_GET_STATS, st);
}

static int slot_fd(struct fd_slot *s)
{
	return __atomic_load_n(&s->fd, __ATOMIC_ACQUIRE);
}

/* Take the file out of @s (under its lock); the caller closes it. */
static int slot_take(struct fd_slot *s, int newfd)
{
	int old;

	pthread_mutex_lock(&s->lock);
	old = s->fd;
	__atomic_store_n(&s->fd, newfd, __ATOMIC_RELEASE);
	s->gen++;
	s->nr_rec = 0;
	s->ring.set = 0;
	pthread_mutex_unlock(&s->lock);
	return old;
}

static void close_file(struct fd_slot *s, int fd, enum op op)
{
	long ret;

	if (__atomic_load_n(&s->busy, __ATOMIC_SEQ_CST))
		count(&closed_busy);
	ret = close(fd) ? -errno : 0;
	record(op, ret);
}

/* Copy what @s knows about its file; returns its generation. */
static unsigned int slot_snapshot(struct fd_slot *s, struct rec *rec,
				  unsigned int *nr, struct ring *ring)
{
	unsigned int gen;

	pthread_mutex_lock(&s->lock);
	gen = s->gen;
	*nr = s->nr_rec;
	memcpy(rec, s->rec, sizeof(s->rec));
	if (ring)
		*ring = s->ring;
	pthread_mutex_unlock(&s->lock);
	return gen;
}

static void slot_add_rec(struct fd_slot *s, unsigned int gen,
			 const struct rec *r)
{
	pthread_mutex_lock(&s->lock);
	if (s->gen == gen) {
		if (s->nr_rec == NR_RECS) {
			memmove(&s->rec[0], &s->rec[1],
				sizeof(s->rec[0]) * (NR_RECS - 1));
			s->nr_rec--;
		}
		s->rec[s->nr_rec++] = *r;
	}
	pthread_mutex_unlock(&s->lock);
}

static void slot_del_rec(struct fd_slot *s, unsigned int gen, __u64 gpa,
			 __u64 size)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; s->gen == gen && i < s->nr_rec; i++) {
		if (s->rec[i].gpa != gpa || s->rec[i].size != size)
			continue;
		s->rec[i] = s->rec[--s->nr_rec];
		break;
	}
	pthread_mutex_unlock(&s->lock);
}

/* A file slot for an ioctl: mostly one with an open file (and a queue). */
static struct fd_slot *pick_slot(__u64 *rng, int want_queue)
{
	unsigned int i, start = below(rng, NR_FDS);
	struct fd_slot *s;

	if (chance(rng, 5))
		return &fds[start];
	if (want_queue) {
		for (i = 0; i < NR_FDS; i++) {
			s = &fds[(start + i) % NR_FDS];
			if (__atomic_load_n(&s->ring.set, __ATOMIC_RELAXED))
				return s;
		}
	}
	for (i = 0; i < NR_FDS; i++)
		if (slot_fd(&fds[(start + i) % NR_FDS]) >= 0)
			return &fds[(start + i) % NR_FDS];
	return &fds[start];
}

/* A guest address for @size bytes: mostly in a few overlapping windows. */
static __u64 pick_gpa(__u64 *rng, __u64 size)
{
	__u64 r = below(rng, 100);

	if (r < 80)
		return below(rng, 8) * MIB + below(rng, 256) * page_size;
	if (r < 90)
		return 0 - size;		/* ends at 2^64 - 1 */
	if (r < 95)
		return 0 - page_size;		/* passes 2^64 when size > 1 page */
	return rnd(rng) & ~(__u64)(page_size - 1);
}

/* A mapped slot, write-locked, starting the search at a random one. */
static struct map_slot *lock_mapped(__u64 *rng, int write, int *idx)
{
	unsigned int i, start = below(rng, NR_MAPS);
	struct map_slot *m;

	for (i = 0; i < NR_MAPS; i++) {
		m = &maps[(start + i) % NR_MAPS];
		if (write)
			pthread_rwlock_wrlock(&m->lock);
		else
			pthread_rwlock_rdlock(&m->lock);
		if (m->addr) {
			*idx = (int)((start + i) % NR_MAPS);
			return m;
		}
		pthread_rwlock_unlock(&m->lock);
	}
	return NULL;
}

static void op_open(struct thread *t)
{
	struct fd_slot *s = &fds[below(&t->rng, NR_FDS)];
	int fd, old;

	fd = open(VMMEM_ECHO_DEVICE, O_RDWR);
	if (fd < 0) {
		record(OP_OPEN, -errno);
		return;
	}
	record(OP_OPEN, 0);
	/* A full slot gives up its file: a close that others may be inside. */
	old = slot_take(s, fd);
	if (old >= 0)
		close_file(s, old, OP_CLOSE);
}

static void op_close(struct thread *t)
{
	struct fd_slot *s = &fds[below(&t->rng, NR_FDS)];
	unsigned int i;
	int fd;

	/* Half the time, prefer a file another thread is inside an ioctl on. */
	if (chance(&t->rng, 50)) {
		for (i = 0; i < NR_FDS; i++) {
			if (__atomic_load_n(&fds[i].busy, __ATOMIC_SEQ_CST) &&
			    slot_fd(&fds[i]) >= 0) {
				s = &fds[i];
				break;
			}
		}
	}
	fd = slot_take(s, -1);
	if (fd < 0) {
		/* An empty slot: close() of a file that is not open. */
		record(OP_CLOSE, close(-1) ? -errno : 0);
		return;
	}
	close_file(s, fd, OP_CLOSE);
}

/* A page-aligned range of a mapped slot, read-locked, for the device. */
static struct map_slot *pick_backing(struct thread *t, __u64 max_pages,
				     int *idx, __u64 *off, __u64 *size)
{
	struct map_slot *m = lock_mapped(&t->rng, 0, idx);
	__u64 pages, first, n;

	if (!m)
		return NULL;
	pages = m->size / page_size;
	first = below(&t->rng, pages);
	n = 1 + below(&t->rng, pages - first);
	if (n > max_pages)
		n = 1 + below(&t->rng, max_pages);
	*off = first * page_size;
	*size = n * page_size;
	return m;
}

static void op_add(struct thread *t)
{
	struct fd_slot *s = pick_slot(&t->rng, 0);
	__u64 v = below(&t->rng, 100), off = 0, size = 0, gpa;
	static const __u64 huge[] = {
		MEMLOCK_LIMIT + 4096, 2 * MEMLOCK_LIMIT, GUARD_SIZE,
		1ULL << 30, 1ULL << 40, 1ULL << 63, ~0xfffULL,
	};
	struct vmmem_echo_region r;
	struct rec recs[NR_RECS];
	struct map_slot *m;
	unsigned int gen, nr;
	__u32 flags = 0;
	int fd, idx;
	long ret;

	gen = slot_snapshot(s, recs, &nr, NULL);
	fd = slot_fd(s);

	if (v < 60) {
		/* Valid memory: in place, overlapping, read-only or not. */
		m = pick_backing(t, 32, &idx, &off, &size);
		if (!m) {
			record(OP_ADD, add_region(s, fd, 0, guard, page_size, 0));
			return;
		}
		if (nr && v >= 45) {
			/* Overlap a region this file (probably) has. */
			const struct rec *o = &recs[below(&t->rng, nr)];

			gpa = o->gpa + below(&t->rng, o->size / page_size) * page_size;
		} else {
			gpa = pick_gpa(&t->rng, size);
		}
		if (!m->writable || chance(&t->rng, 15))
			flags = VMMEM_ECHO_REGION_RDONLY;
		/* Read-only memory, registered writable: EFAULT. */
		if (!m->writable && chance(&t->rng, 30))
			flags = 0;
		ret = add_region(s, fd, gpa, m->addr + off, size, flags);
		if (!ret) {
			struct rec rec = {
				.gpa = gpa, .size = size, .map = idx,
				.map_gen = m->gen, .off = off,
				.rdonly = !!flags,
			};

			slot_add_rec(s, gen, &rec);
		}
		pthread_rwlock_unlock(&m->lock);
		record(OP_ADD, ret);
		return;
	}
	if (v < 68) {
		/* Misaligned guest address, size or user address: EINVAL. */
		m = pick_backing(t, 32, &idx, &off, &size);
		if (!m) {
			record(OP_ADD, add_region(s, fd, 1, guard, page_size, 0));
			return;
		}
		gpa = pick_gpa(&t->rng, size);
		switch (below(&t->rng, 3)) {
		case 0:
			gpa += 1 + below(&t->rng, page_size - 1);
			ret = add_region(s, fd, gpa, m->addr + off, size, 0);
			break;
		case 1:
			ret = add_region(s, fd, gpa, m->addr + off,
					 size - 1 - below(&t->rng, page_size - 1), 0);
			break;
		default:
			ret = add_region(s, fd, gpa, m->addr + off + 1 +
					 below(&t->rng, page_size - 1), size, 0);
			break;
		}
		pthread_rwlock_unlock(&m->lock);
		record(OP_ADD, ret);
		return;
	}
	if (v < 76) {
		/* Huge, backed by PROT_NONE: ENOMEM, EOVERFLOW, never pinned. */
		size = huge[below(&t->rng, ARRAY_SIZE(huge))];
		ret = add_region(s, fd, pick_gpa(&t->rng, size), guard, size, 0);
		if (!ret)
			count(&over_limit_added);
		record(OP_ADD, ret);
		return;
	}
	if (v < 82) {
		/*
		 * Real memory at or past RLIMIT_MEMLOCK: the limit itself goes
		 * in only when nothing else is charged; past it, never.
		 */
		size = chance(&t->rng, 50) ? MEMLOCK_LIMIT :
		       MEMLOCK_LIMIT + (1 + below(&t->rng, BIG_EXTRA)) * page_size;
		gpa = 64 * MIB + below(&t->rng, 4) * 8 * MIB;
		ret = add_region(s, fd, gpa, big, size, 0);
		if (!ret) {
			struct rec rec = { .gpa = gpa, .size = size, .map = -1 };

			if (size > MEMLOCK_LIMIT)
				count(&over_limit_added);
			slot_add_rec(s, gen, &rec);
		}
		record(OP_ADD, ret);
		return;
	}
	if (v < 88) {
		/* Unknown flags or nonzero reserved field: EINVAL. */
		memset(&r, 0, sizeof(r));
		r.guest_addr = pick_gpa(&t->rng, page_size);
		r.user_addr = (__u64)(unsigned long)guard;
		r.size = page_size;
		if (chance(&t->rng, 50))
			r.flags = 2U << below(&t->rng, 31);
		else
			r.reserved = 1 + (__u32)below(&t->rng, 0xffffffffULL);
		record(OP_ADD, dev_ioctl(s, fd, VMMEM_ECHO_ADD_REGION, &r));
		return;
	}
	if (v < 95) {
		/* Nothing (or the kernel) at the user address: EFAULT. */
		static const __u64 bad[] = {
			0, 0x1000, 0xffffffff81000000ULL, 0x0000800000000000ULL,
			0xfffffffffffff000ULL,
		};
		__u64 ua = bad[below(&t->rng, ARRAY_SIZE(bad))];

		size = (1 + below(&t->rng, 4)) * page_size;
		if (chance(&t->rng, 30))
			ua = (__u64)(unsigned long)guard +
			     below(&t->rng, GUARD_SIZE / page_size - 4) * page_size;
		ret = add_region(s, fd, pick_gpa(&t->rng, size),
				 (void *)(unsigned long)ua, size, 0);
		record(OP_ADD, ret);
		return;
	}
	/* The argument itself is not readable: EFAULT. */
	record(OP_ADD, dev_ioctl(s, fd, VMMEM_ECHO_ADD_REGION,
				 chance(&t->rng, 50) ? NULL : (void *)guard));
}

static void op_remove(struct thread *t)
{
	struct fd_slot *s = pick_slot(&t->rng, 0);
	__u64 v = below(&t->rng, 100), gpa, size;
	struct vmmem_echo_region r;
	struct rec recs[NR_RECS];
	unsigned int gen, nr;
	long ret;
	int fd;

	gen = slot_snapshot(s, recs, &nr, NULL);
	fd = slot_fd(s);
	if (v < 75 && nr) {
		const struct rec *o = &recs[below(&t->rng, nr)];

		gpa = o->gpa;
		size = o->size;
		/* Not quite the region: ENOENT. */
		if (v >= 60)
			size += chance(&t->rng, 50) ? page_size :
				(size > (__u64)page_size ? -page_size : page_size);
		ret = remove_region(s, fd, gpa, size);
		if (!ret)
			slot_del_rec(s, gen, gpa, size);
		record(OP_REMOVE, ret);
		return;
	}
	if (v < 88) {
		size = (1 + below(&t->rng, 8)) * page_size;
		gpa = pick_gpa(&t->rng, size);
		ret = remove_region(s, fd, gpa, size);
		if (!ret)
			slot_del_rec(s, gen, gpa, size);
		record(OP_REMOVE, ret);
		return;
	}
	if (v < 96) {
		/* A user address, flags or reserved field: EINVAL. */
		memset(&r, 0, sizeof(r));
		r.guest_addr = nr ? recs[0].gpa : 0;
		r.size = nr ? recs[0].size : (__u64)page_size;
		switch (below(&t->rng, 3)) {
		case 0:
			r.user_addr = (__u64)(unsigned long)guard;
			break;
		case 1:
			r.flags = VMMEM_ECHO_REGION_RDONLY;
			break;
		default:
			r.reserved = 1;
			break;
		}
		record(OP_REMOVE, dev_ioctl(s, fd, VMMEM_ECHO_REMOVE_REGION, &r));
		return;
	}
	record(OP_REMOVE, dev_ioctl(s, fd, VMMEM_ECHO_REMOVE_REGION, NULL));
}

/* Where the rings of a queue of @q descriptors at @base go. */
static void ring_layout(__u64 base, __u32 q, __u64 *avail, __u64 *used)
{
	*avail = base + 16ULL * q;
	*used = (*avail + 6 + 2ULL * q + 3) & ~3ULL;
}

static long set_queue(struct fd_slot *s, int fd, __u32 q, __u32 base_idx,
		      __u64 desc, __u64 avail, __u64 used)
{
	struct vmmem_echo_queue vq = {
		.size = q, .base_idx = base_idx,
		.desc_addr = desc, .avail_addr = avail, .used_addr = used,
	};

	return dev_ioctl(s, fd, VMMEM_ECHO_SET_QUEUE, &vq);
}

/*
 * The ring memory of @ring if its mapping is still the one registered,
 * with the slot read-locked (or NULL); the caller calls ring_unlock().
 */
static __u8 *ring_lock(const struct ring *ring)
{
	struct map_slot *m;

	/* The memory at the limit is never unmapped: no lock. */
	if (ring->map < 0)
		return big + ring->off;
	m = &maps[ring->map];
	pthread_rwlock_rdlock(&m->lock);
	if (!m->addr || !m->writable || m->gen != ring->map_gen ||
	    ring->off + page_size > m->size)
		return NULL;
	return m->addr + ring->off;
}

static void ring_unlock(const struct ring *ring)
{
	if (ring->map >= 0)
		pthread_rwlock_unlock(&maps[ring->map].lock);
}

/* Set a valid queue in a region of @s's file; 0 or -errno. */
static long setq_valid(struct thread *t, struct fd_slot *s, int fd,
		       unsigned int gen, const struct rec *recs,
		       unsigned int nr)
{
	__u32 base = chance(&t->rng, 80) ? 0 : (__u32)below(&t->rng, 65536);
	unsigned int pick = below(&t->rng, nr), i;
	struct ring ring = { .set = 1 };
	__u64 page, avail, used;
	const struct rec *o;
	__u8 *mem;
	long ret;

	/* Mostly a writable region: the used ring must be writable. */
	for (i = 0; i < nr && recs[pick].rdonly && chance(&t->rng, 90); i++)
		pick = (pick + 1) % nr;
	o = &recs[pick];
	page = below(&t->rng, o->size / page_size) * page_size;
	ring.size = 1U << below(&t->rng, QUEUE_MAX_LOG + 1);
	ring.gpa = o->gpa + page;
	ring.map = o->map;
	ring.map_gen = o->map_gen;
	ring.off = o->off + page;
	ring_layout(ring.gpa, ring.size, &avail, &used);
	/* Start with empty rings if this program can still reach them. */
	mem = ring_lock(&ring);
	if (mem)
		memset(mem, 0, page_size);
	ring_unlock(&ring);
	ret = set_queue(s, fd, ring.size, base, ring.gpa, avail, used);
	if (!ret) {
		pthread_mutex_lock(&s->lock);
		if (s->gen == gen)
			s->ring = ring;
		pthread_mutex_unlock(&s->lock);
	}
	return ret;
}

static void op_setq(struct thread *t)
{
	struct fd_slot *s = pick_slot(&t->rng, 0);
	__u64 v = below(&t->rng, 100), gpa, avail, used;
	struct vmmem_echo_queue vq;
	struct rec recs[NR_RECS];
	unsigned int gen, nr;
	__u32 q;
	int fd;

	gen = slot_snapshot(s, recs, &nr, NULL);
	fd = slot_fd(s);
	if (v < 55 && nr) {
		record(OP_SETQ, setq_valid(t, s, fd, gen, recs, nr));
		return;
	}
	if (v < 65) {
		/* Remove the queue. */
		record(OP_SETQ, set_queue(s, fd, 0, 0, 0, 0, 0));
		return;
	}
	if (v < 97) {
		q = 1U << below(&t->rng, QUEUE_MAX_LOG + 1);
		gpa = nr ? recs[below(&t->rng, nr)].gpa : pick_gpa(&t->rng, page_size);
		ring_layout(gpa, q, &avail, &used);
		memset(&vq, 0, sizeof(vq));
		vq.size = q;
		vq.desc_addr = gpa;
		vq.avail_addr = avail;
		vq.used_addr = used;
		switch (below(&t->rng, 10)) {
		case 0:
			vq.size = chance(&t->rng, 50) ? 3 + 2 * (__u32)below(&t->rng, 100) :
				  (__u32)VMMEM_ECHO_QUEUE_MAX << (1 + below(&t->rng, 4));
			break;
		case 1:
			vq.desc_addr += 1 + below(&t->rng, 15);
			break;
		case 2:
			vq.avail_addr += 1;
			break;
		case 3:
			vq.used_addr += 1 + below(&t->rng, 3);
			break;
		case 4:
			vq.flags = 1U << below(&t->rng, 32);
			break;
		case 5:
			vq.reserved = 1;
			break;
		case 6:
			vq.base_idx = 65536 + (__u32)below(&t->rng, 1U << 20);
			break;
		case 7:
			/* Size 0 with addresses left over. */
			vq.size = 0;
			break;
		case 8:
			/* Rings nobody registered, or past 2^64. */
			vq.desc_addr = chance(&t->rng, 50) ? (0 - 16ULL * q) & ~15ULL :
				       (rnd(&t->rng) & ~0xfffULL);
			ring_layout(vq.desc_addr, q, &vq.avail_addr, &vq.used_addr);
			break;
		default:
			/* The biggest queue, rings over whatever is there. */
			vq.size = VMMEM_ECHO_QUEUE_MAX;
			vq.avail_addr = gpa + 16ULL * VMMEM_ECHO_QUEUE_MAX;
			vq.used_addr = vq.avail_addr + 0x10000;
			break;
		}
		record(OP_SETQ, dev_ioctl(s, fd, VMMEM_ECHO_SET_QUEUE, &vq));
		return;
	}
	record(OP_SETQ, dev_ioctl(s, fd, VMMEM_ECHO_SET_QUEUE,
				  chance(&t->rng, 50) ? NULL : (void *)guard));
}

/* A guest address for a buffer: mostly inside a region of the file. */
static void pick_buffer(struct thread *t, const struct rec *recs,
			unsigned int nr, __u64 *addr, __u32 *len)
{
	const struct rec *o;
	__u64 off;

	if (!nr || chance(&t->rng, 5)) {
		*addr = chance(&t->rng, 50) ? rnd(&t->rng) : 0 - below(&t->rng, 4096);
		*len = (__u32)below(&t->rng, 8192);
		return;
	}
	o = &recs[below(&t->rng, nr)];
	off = below(&t->rng, o->size);
	*addr = o->gpa + off;
	if (chance(&t->rng, 8))
		*len = (__u32)rnd(&t->rng);	/* past the region, or 4 GiB */
	else
		*len = 1 + (__u32)below(&t->rng, o->size - off < 2048 ?
					o->size - off : 2048);
}

/* Lay out chains (plausible or garbage) and publish up to @n of them. */
static void fill_ring(struct thread *t, __u8 *mem, const struct ring *ring,
		      const struct rec *recs, unsigned int nr, __u16 last)
{
	__u32 q = ring->size, d, c, k, nd, nread, n;
	struct ring_desc *desc = (struct ring_desc *)mem;
	__u64 avail, used, addr;
	__le16 *av;
	__u16 flags;
	__u32 len;
	int garbage = chance(&t->rng, 25);

	ring_layout(0, q, &avail, &used);
	av = (__le16 *)(mem + avail);
	n = chance(&t->rng, 10) ? 0 : 1 + (__u32)below(&t->rng, q);
	if (chance(&t->rng, 5))
		n = q + 1 + (__u32)below(&t->rng, 3);	/* too far ahead: EINVAL */
	d = (__u32)below(&t->rng, q);

	for (c = 0; c < n; c++) {
		__u16 head = (__u16)d;

		nd = 1 + (__u32)below(&t->rng, 3);
		nread = (__u32)below(&t->rng, nd + 1);
		for (k = 0; k < nd; k++) {
			struct ring_desc *e = &desc[d];

			d = (d + 1) % q;
			pick_buffer(t, recs, nr, &addr, &len);
			flags = (k + 1 < nd ? VRING_DESC_F_NEXT : 0) |
				(k >= nread ? VRING_DESC_F_WRITE : 0);
			e->addr = htole64(addr);
			e->len = htole32(len);
			e->flags = htole16(flags);
			e->next = htole16((__u16)d);
			if (garbage && chance(&t->rng, 30)) {
				e->flags = htole16((__u16)rnd(&t->rng) & 0x7);
				if (chance(&t->rng, 20))
					e->flags = htole16((__u16)rnd(&t->rng));
				e->next = htole16((__u16)below(&t->rng, 2 * q));
			}
		}
		if (garbage && chance(&t->rng, 20))
			head = (__u16)below(&t->rng, 2 * q);
		av[2 + ((last + c) & (q - 1))] = htole16(head);
	}
	av[0] = 0;
	/* Pairs with the device's acquire load of avail->idx. */
	__atomic_store_n(&av[1], htole16((__u16)(last + n)), __ATOMIC_RELEASE);
}

static void op_kick(struct thread *t)
{
	struct fd_slot *s = pick_slot(&t->rng, chance(&t->rng, 80));
	struct vmmem_echo_stats st;
	struct rec recs[NR_RECS];
	struct ring ring;
	unsigned int nr, gen;
	unsigned long cmd;
	__u16 last;
	__u8 *mem;
	long ret;
	int fd;

	gen = slot_snapshot(s, recs, &nr, &ring);
	fd = slot_fd(s);
	/* Mostly give a file with memory but no queue a queue first. */
	if (!ring.set && nr && chance(&t->rng, 80)) {
		record(OP_SETQ, setq_valid(t, s, fd, gen, recs, nr));
		slot_snapshot(s, recs, &nr, &ring);
	}
	if (chance(&t->rng, 8)) {
		/* A nonzero argument, or a command the device does not know. */
		switch (below(&t->rng, 3)) {
		case 0:
			record(OP_KICK, dev_ioctl(s, fd, VMMEM_ECHO_KICK,
						  (void *)(1 + below(&t->rng, 1000))));
			break;
		case 1:
			cmd = _IO(VMMEM_ECHO_IOC_MAGIC, 0x06 + below(&t->rng, 250));
			record(OP_KICK, dev_ioctl(s, fd, cmd, NULL));
			break;
		default:
			/* ADD_REGION's number with the wrong size. */
			cmd = _IOW(VMMEM_ECHO_IOC_MAGIC, 0x01, __u32);
			record(OP_KICK, dev_ioctl(s, fd, cmd, guard));
			break;
		}
		return;
	}
	if (ring.set) {
		mem = ring_lock(&ring);
		if (mem && !get_stats(s, fd, &st)) {
			last = st.last_avail_idx;
			/* Mostly reset a broken queue first. */
			if (st.broken && chance(&t->rng, 70)) {
				__u64 avail, used;

				ring_layout(ring.gpa, ring.size, &avail, &used);
				memset(mem, 0, page_size);
				record(OP_SETQ, set_queue(s, fd, ring.size, 0, ring.gpa,
							  avail, used));
				last = 0;
			}
			fill_ring(t, mem, &ring, recs, nr, last);
		}
		/* Unlocked: the memory may go while the device works on it. */
		ring_unlock(&ring);
	}
	ret = dev_ioctl(s, fd, VMMEM_ECHO_KICK, NULL);
	if (ret > 0)
		__atomic_add_fetch(&kick_chains, ret, __ATOMIC_RELAXED);
	record(OP_KICK, ret);
}

static void op_stats(struct thread *t)
{
	struct fd_slot *s = pick_slot(&t->rng, 0);
	struct vmmem_echo_stats st;
	__u64 v = below(&t->rng, 100);
	int fd = slot_fd(s);
	long ret;

	if (v < 85) {
		ret = get_stats(s, fd, &st);
		if (!ret && (st.reserved || st.queue_size > VMMEM_ECHO_QUEUE_MAX ||
			     (st.queue_size & (st.queue_size - 1)) ||
			     st.regions > st.pages_pinned ||
			     st.pages_pinned > MEMLOCK_LIMIT / page_size ||
			     st.broken > 0 || st.last_error > 0))
			count(&bad_stats);
		record(OP_STATS, ret);
		return;
	}
	/* Counters to memory that is not writable: EFAULT. */
	record(OP_STATS, dev_ioctl(s, fd, VMMEM_ECHO_GET_STATS,
				   v < 93 ? NULL : (void *)guard));
}

static void op_mmap(struct thread *t)
{
	struct map_slot *m = &maps[below(&t->rng, NR_MAPS)];
	__u64 pages = 1 + below(&t->rng, MAP_MAX_PAGES), size, i;
	int writable = !chance(&t->rng, 12), flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p, *hint = NULL;
	long ret = 0;

	size = pages * page_size;
	pthread_rwlock_wrlock(&m->lock);
	if (m->addr && chance(&t->rng, 50)) {
		/* Touch every page of what is there (faults pages back in). */
		if (m->writable) {
			for (i = 0; i < m->size; i += page_size)
				m->addr[i] = (__u8)rnd(&t->rng);
		}
		pthread_rwlock_unlock(&m->lock);
		record(OP_MMAP, 0);
		return;
	}
	if (m->addr) {
		/* A new mapping over the old one, in one step. */
		hint = m->addr;
		flags |= MAP_FIXED;
		if (size > m->size)
			size = m->size;
	}
	p = mmap(hint, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
		 flags, -1, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		if (hint)
			munmap(hint, m->size);
		m->addr = NULL;
		m->size = 0;
	} else {
		if (hint && size < m->size)
			munmap(m->addr + size, m->size - size);
		m->addr = p;
		m->size = size;
		m->writable = writable;
		if (writable && chance(&t->rng, 50))
			for (i = 0; i < size; i += page_size)
				m->addr[i] = (__u8)i;
	}
	m->gen++;
	pthread_rwlock_unlock(&m->lock);
	record(OP_MMAP, ret);
}

static void op_munmap(struct thread *t)
{
	struct map_slot *m;
	__u64 keep = 0;
	long ret;
	int idx;

	m = lock_mapped(&t->rng, 1, &idx);
	if (!m) {
		op_mmap(t);
		return;
	}
	if (m->size > (__u64)page_size && chance(&t->rng, 30))
		keep = (1 + below(&t->rng, m->size / page_size - 1)) * page_size;
	ret = munmap(m->addr + keep, m->size - keep) ? -errno : 0;
	if (!ret) {
		m->size = keep;
		if (!keep)
			m->addr = NULL;
		m->gen++;
	}
	pthread_rwlock_unlock(&m->lock);
	record(OP_MUNMAP, ret);
}

static void op_mremap(struct thread *t)
{
	__u64 size = (1 + below(&t->rng, MAP_MAX_PAGES)) * page_size;
	struct map_slot *m;
	long ret = 0;
	void *p;
	int idx;

	m = lock_mapped(&t->rng, 1, &idx);
	if (!m) {
		op_mmap(t);
		return;
	}
	p = mremap(m->addr, m->size, size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		ret = -errno;
	} else {
		m->addr = p;
		m->size = size;
		m->gen++;
	}
	pthread_rwlock_unlock(&m->lock);
	record(OP_MREMAP, ret);
}

static void op_madvise(struct thread *t)
{
	struct map_slot *m;
	__u64 first, n, pages;
	__u8 *base;
	long ret;
	int idx;

	/* Sometimes the memory at the limit, which only ADD_REGION uses. */
	if (chance(&t->rng, 15)) {
		pages = big_size / page_size;
		first = below(&t->rng, pages);
		n = 1 + below(&t->rng, pages - first);
		ret = madvise(big + first * page_size, n * page_size,
			      MADV_DONTNEED) ? -errno : 0;
		record(OP_MADVISE, ret);
		return;
	}
	m = lock_mapped(&t->rng, 0, &idx);
	if (!m) {
		op_mmap(t);
		return;
	}
	base = m->addr;
	pages = m->size / page_size;
	first = below(&t->rng, pages);
	n = 1 + below(&t->rng, pages - first);
	ret = madvise(base + first * page_size, n * page_size,
		      MADV_DONTNEED) ? -errno : 0;
	pthread_rwlock_unlock(&m->lock);
	record(OP_MADVISE, ret);
}

/* Child plans: which inherited files it closes, what else it does. */
#define PLAN_OWN_DEVICE	0x100000000ULL	/* open a device and add memory */
#define PLAN_CLOSE_OWN	0x200000000ULL	/* and close it again before exit */
#define PLAN_KICK_OWN	0x400000000ULL	/* and kick it */

/* Exit bits of a child: what went wrong. */
#define CHILD_BAD_STATS	0x01	/* GET_STATS on an inherited file failed */
#define CHILD_NOT_EPERM	0x02	/* a change to an inherited file was not EPERM */
#define CHILD_OPEN	0x04	/* could not open a device of its own */
#define CHILD_OWN_ADD	0x08	/* adding its own memory failed oddly */

/*
 * The forked child: one thread, a copy of the parent's memory and files.
 * Only system calls here, no locks and no stdio: other threads of the
 * parent may have held them at the fork.
 */
static int child_main(const int *fd, __u64 plan)
{
	struct vmmem_echo_region r = {
		.guest_addr = 1ULL << 40,
		.user_addr = (__u64)(unsigned long)guard,
		.size = (__u64)page_size,
	};
	struct vmmem_echo_queue q = { 0 };
	struct vmmem_echo_stats st;
	int bits = 0, i, own;
	__u8 *mem;
	long ret;

	for (i = 0; i < NR_FDS; i++) {
		if (fd[i] < 0)
			continue;
		ret = ioctl(fd[i], VMMEM_ECHO_GET_STATS, &st) ? -errno : 0;
		/* Closed by another thread of the parent before the fork. */
		if (ret == -EBADF)
			continue;
		if (ret) {
			bits |= CHILD_BAD_STATS;
			continue;
		}
		if (ioctl(fd[i], VMMEM_ECHO_ADD_REGION, &r) != -1 || errno != EPERM)
			bits |= CHILD_NOT_EPERM;
		if (ioctl(fd[i], VMMEM_ECHO_REMOVE_REGION, &r) != -1 || errno != EPERM)
			bits |= CHILD_NOT_EPERM;
		if (ioctl(fd[i], VMMEM_ECHO_SET_QUEUE, &q) != -1 || errno != EPERM)
			bits |= CHILD_NOT_EPERM;
		if (ioctl(fd[i], VMMEM_ECHO_KICK, NULL) != -1 || errno != EPERM)
			bits |= CHILD_NOT_EPERM;
		/* Some inherited files are closed, the rest go at exit. */
		if (plan & (1ULL << i))
			close(fd[i]);
	}
	if (!(plan & PLAN_OWN_DEVICE))
		return bits;

	own = open(VMMEM_ECHO_DEVICE, O_RDWR);
	if (own < 0)
		return bits | CHILD_OPEN;
	mem = mmap(NULL, 8 * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return bits | CHILD_OWN_ADD;
	r.user_addr = (__u64)(unsigned long)mem;
	r.size = 8 * page_size;
	/* The user's budget may be spent by the parent: ENOMEM is fine. */
	if (ioctl(own, VMMEM_ECHO_ADD_REGION, &r) && errno != ENOMEM)
		bits |= CHILD_OWN_ADD;
	if (plan & PLAN_KICK_OWN)
		ioctl(own, VMMEM_ECHO_KICK, NULL);
	if (plan & PLAN_CLOSE_OWN)
		close(own);
	return bits;
}

static void op_fork(struct thread *t)
{
	__u64 plan = rnd(&t->rng);
	int fd[NR_FDS], i, status;
	pid_t pid;

	for (i = 0; i < NR_FDS; i++)
		fd[i] = slot_fd(&fds[i]);
	pid = fork();
	if (pid < 0) {
		record(OP_FORK, -errno);
		return;
	}
	if (!pid)
		_exit(child_main(fd, plan));
	count(&children);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	if (status == 0) {
		record(OP_FORK, 0);
		return;
	}
	record(OP_FORK, -MAX_ERRNO);
	count(&children_bad);
	status = WIFEXITED(status) ? WEXITSTATUS(status) :
		 WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	__atomic_store_n(&child_bad_status, status, __ATOMIC_RELAXED);
}

static void (*const op_fn[NR_KINDS])(struct thread *t) = {
	[OP_OPEN] = op_open, [OP_CLOSE] = op_close, [OP_ADD] = op_add,
	[OP_REMOVE] = op_remove, [OP_SETQ] = op_setq, [OP_KICK] = op_kick,
	[OP_STATS] = op_stats, [OP_MMAP] = op_mmap, [OP_MUNMAP] = op_munmap,
	[OP_MREMAP] = op_mremap, [OP_MADVISE] = op_madvise,
	[OP_FORK] = op_fork,
};

static void *chaos_thread(void *arg)
{
	struct thread *t = arg;
	unsigned int i, k, total = 0, r;

	for (k = 0; k < NR_KINDS; k++)
		total += op_weight[k];
	for (i = 0; i < OPS_PER_THREAD; i++) {
		r = (unsigned int)below(&t->rng, total);
		for (k = 0; r >= op_weight[k]; k++)
			r -= op_weight[k];
		op_fn[k](t);
		count(&ops_done);
	}
	return NULL;
}

/* A "Name: value" line of /proc/self/status, or -1. */
static long long status_field(const char *name, int hex)
{
	long long val = -1;
	char line[256];
	size_t len = strlen(name);
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		val = strtoll(line + len + 1, NULL, hex ? 16 : 10);
		break;
	}
	fclose(f);
	return val;
}

/* Open files of this process that are the device. */
static int device_files_open(void)
{
	char path[300], target[256];
	struct dirent *de;
	int n = 0;
	ssize_t len;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		n += !strcmp(target, VMMEM_ECHO_DEVICE);
	}
	closedir(d);
	return n;
}

static void report_table(void)
{
	unsigned int k, e;
	unsigned long total;
	char list[768];
	size_t len;

	for (k = 0; k < NR_KINDS; k++) {
		total = 0;
		len = 0;
		list[0] = 0;
		for (e = 0; e <= MAX_ERRNO; e++) {
			unsigned long n = results[k][e];

			if (!n)
				continue;
			total += n;
			if (len >= sizeof(list))
				continue;
			len += snprintf(list + len, sizeof(list) - len, "%s%s x%lu",
					len ? ", " : "",
					!e ? "ok" : e == MAX_ERRNO ? "other" : errname(e),
					n);
		}
		printf("report: hostile_vmm %s: %lu (%s)\n", op_names[k], total, list);
	}
	printf("report: hostile_vmm: %lu chains echoed, %lu closes during an ioctl, %lu children\n",
	       kick_chains, closed_busy, children);
}

/* Drop to CHAOS_UID with a small RLIMIT_MEMLOCK; 0 or -1. */
static int drop_privileges(void)
{
	struct rlimit rl = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	long long capeff;

	if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
		fail_check("unprivileged", "setrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));
		return -1;
	}
	if (geteuid() == 0) {
		if (setgroups(0, NULL) || setresgid(CHAOS_UID, CHAOS_UID, CHAOS_UID) ||
		    setresuid(CHAOS_UID, CHAOS_UID, CHAOS_UID)) {
			fail_check("unprivileged", "dropping to uid %d: %s", CHAOS_UID,
				   strerror(errno));
			return -1;
		}
	}
	capeff = status_field("CapEff", 1);
	if (capeff & (1LL << 14)) {	/* CAP_IPC_LOCK */
		fail_check("unprivileged", "CAP_IPC_LOCK is still effective (CapEff %llx)",
			   capeff);
		return -1;
	}
	pass_check("chaos runs as uid %u without CAP_IPC_LOCK, RLIMIT_MEMLOCK %llu KiB",
		   getuid(), MEMLOCK_LIMIT >> 10);
	return 0;
}

static int setup_memory(void)
{
	__u64 i;

	guard = mmap(NULL, GUARD_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	big_size = MEMLOCK_LIMIT + BIG_EXTRA * page_size;
	big = mmap(NULL, big_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard == MAP_FAILED || big == MAP_FAILED)
		return -1;
	for (i = 0; i < NR_MAPS; i++) {
		struct map_slot *m = &maps[i];

		pthread_rwlock_init(&m->lock, NULL);
		m->size = (1 + splitmix(seed + i) % MAP_MAX_PAGES) * page_size;
		/* One slot is read-only memory, never written. */
		m->writable = i != NR_MAPS - 1;
		m->addr = mmap(NULL, m->size,
			       m->writable ? PROT_READ | PROT_WRITE : PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m->addr == MAP_FAILED)
			return -1;
		if (m->writable)
			memset(m->addr, (int)i, m->size);
	}
	for (i = 0; i < NR_FDS; i++) {
		pthread_mutex_init(&fds[i].lock, NULL);
		fds[i].fd = -1;
	}
	return 0;
}

/* After the chaos: nothing pinned, nothing charged. */
static void check_baseline(void)
{
	struct vmmem_echo_stats st = { 0 };
	long long pin, pin_added;
	long ret, more, over;
	__u8 *mem;
	int fd, n;

	n = device_files_open();
	pin = status_field("VmPin", 0);
	if (n)
		fail_check("VmPin", "%d device files still open (test bug)", n);
	else if (pin != 0)
		fail_check("VmPin", "%lld kB pinned with every file closed and every child reaped",
			   pin);
	else
		pass_check("VmPin is 0 kB with every file closed and every child reaped");

	/* Exactly the limit: fails with ENOMEM if any charge leaked. */
	mem = mmap(NULL, MEMLOCK_LIMIT + page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open(VMMEM_ECHO_DEVICE, O_RDWR);
	if (mem == MAP_FAILED || fd < 0) {
		fail_check("memlock", "mmap/open: %s", strerror(errno));
		return;
	}
	ret = add_region(NULL, fd, 0, mem, MEMLOCK_LIMIT, 0);
	pin_added = status_field("VmPin", 0);
	/* With the budget spent, one page more is refused. */
	more = add_region(NULL, fd, 64 * MIB, mem + MEMLOCK_LIMIT, page_size, 0);
	if (ret)
		fail_check("memlock", "a region of exactly RLIMIT_MEMLOCK: %s (leaked charge?)",
			   errname((int)-ret));
	else if (pin_added != (long long)(MEMLOCK_LIMIT >> 10))
		fail_check("memlock", "VmPin is %lld kB with %llu KiB registered",
			   pin_added, MEMLOCK_LIMIT >> 10);
	else if (more != -ENOMEM)
		fail_check("memlock", "one page past a spent budget: %s, want ENOMEM",
			   more ? errname((int)-more) : "added");
	else
		pass_check("%s (%llu KiB) registers, one page more is ENOMEM: no charge leaked",
			   "a region of exactly RLIMIT_MEMLOCK", MEMLOCK_LIMIT >> 10);
	if (!more)
		remove_region(NULL, fd, 64 * MIB, page_size);
	/* Only if it went in: a failed add is reported once, above. */
	if (!ret) {
		ret = remove_region(NULL, fd, 0, MEMLOCK_LIMIT);
		if (ret || get_stats(NULL, fd, &st) || st.regions || st.pages_pinned ||
		    status_field("VmPin", 0) != 0)
			fail_check("memlock", "removal: %s, %llu regions, %llu pages, VmPin %lld",
				   ret ? errname((int)-ret) : "ok", st.regions,
				   st.pages_pinned, status_field("VmPin", 0));
		else
			pass_check("removing it unpins everything (VmPin 0 kB)");
	}

	over = add_region(NULL, fd, 0, mem, MEMLOCK_LIMIT + page_size, 0);
	if (over != -ENOMEM)
		fail_check("memlock", "a region one page over RLIMIT_MEMLOCK: %s, want ENOMEM",
			   over ? errname((int)-over) : "added");
	else
		pass_check("a region one page over RLIMIT_MEMLOCK fails with ENOMEM");
	close(fd);
	munmap(mem, MEMLOCK_LIMIT + page_size);
}

static void check_chaos(void)
{
	char missing[256];
	size_t len = 0;
	unsigned int k;

	if (__atomic_load_n(&ops_done, __ATOMIC_SEQ_CST) != NR_OPS_TOTAL)
		fail_check("operations", "%lu performed, want %u", ops_done,
			   NR_OPS_TOTAL);
	missing[0] = 0;
	for (k = 0; k < NR_KINDS; k++)
		if (!results[k][0])
			len += snprintf(missing + len, sizeof(missing) - len, " %s",
					op_names[k]);
	if (!kick_chains)
		len += snprintf(missing + len, sizeof(missing) - len, " echo");
	if (ops_done == NR_OPS_TOTAL && !missing[0])
		pass_check("%u operations (seed %llu), every kind succeeded at least once",
			   NR_OPS_TOTAL, seed);
	else if (missing[0])
		fail_check("operations", "never succeeded:%s", missing);

	if (children_bad)
		fail_check("children", "%lu of %lu failed, last exit %d (%s)",
			   children_bad, children, child_bad_status,
			   "mask 1 GET_STATS, 2 not EPERM, 4 open, 8 own ADD; 128+ signal");
	else
		pass_check("%lu forked children exited cleanly, %s", children,
			   "every change to an inherited file was EPERM");

	if (owner_eperm)
		fail_check("owner", "%lu ioctls of the owning process got EPERM",
			   owner_eperm);
	else
		pass_check("the owning process never got EPERM");

	if (over_limit_added)
		fail_check("memlock", "%lu regions larger than RLIMIT_MEMLOCK were added",
			   over_limit_added);
	else
		pass_check("no region larger than RLIMIT_MEMLOCK went in");

	if (bad_stats)
		fail_check("GET_STATS", "%lu answers out of range", bad_stats);
	else
		pass_check("every GET_STATS answer was in range");
}

static int run_chaos(void)
{
	struct thread th[NR_THREADS];
	unsigned int i, joined = 0;
	double start;
	int fd;

	if (drop_privileges())
		return 1;
	fd = open(VMMEM_ECHO_DEVICE, O_RDWR);
	if (fd < 0) {
		fail_check("open", "%s as uid %u: %s", VMMEM_ECHO_DEVICE, getuid(),
			   strerror(errno));
		return 1;
	}
	close(fd);
	if (setup_memory()) {
		fail_check("setup", "mmap: %s", strerror(errno));
		return 1;
	}

	start = now();
	for (i = 0; i < NR_THREADS; i++) {
		th[i].id = i;
		th[i].rng = splitmix(seed ^ ((i + 1) * 0x9e3779b97f4a7c15ULL)) | 1;
		th[i].started = !pthread_create(&th[i].tid, NULL, chaos_thread, &th[i]);
	}
	for (i = 0; i < NR_THREADS; i++)
		if (th[i].started && !pthread_join(th[i].tid, NULL))
			joined++;
	/* Close whatever the threads left open. */
	for (i = 0; i < NR_FDS; i++) {
		fd = slot_take(&fds[i], -1);
		if (fd >= 0)
			close(fd);
	}
	printf("hostile_vmm: %u threads, %lu operations in %.1f s\n", NR_THREADS,
	       ops_done, now() - start);
	if (joined == NR_THREADS)
		pass_check("all %u threads finished", NR_THREADS);
	else
		fail_check("threads", "%u of %u started and finished", joined, NR_THREADS);

	report_table();
	check_chaos();
	check_baseline();
	return res->failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct stat sb;
	int status = 0, chmodded = 0, timed_out = 0;
	double start, deadline;
	pid_t pid, w;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	printf("hostile_vmm: seed %llu\n", seed);
	page_size = sysconf(_SC_PAGESIZE);
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		printf("not ok - hostile_vmm: mmap: %s\n", strerror(errno));
		printf("hostile_vmm: 0 passed, 1 failed\n");
		return 1;
	}

	/* The unprivileged chaos process and its children open the device. */
	if (stat(VMMEM_ECHO_DEVICE, &sb)) {
		fail_check("device", "%s: %s", VMMEM_ECHO_DEVICE, strerror(errno));
		printf("hostile_vmm: %u passed, %u failed\n", res->passed, res->failed);
		return 1;
	}
	if (geteuid() == 0 && (sb.st_mode & 0666) != 0666) {
		if (chmod(VMMEM_ECHO_DEVICE, 0666))
			fail_check("device", "chmod: %s", strerror(errno));
		else
			chmodded = 1;
	}

	start = now();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fail_check("fork", "%s", strerror(errno));
	} else if (!pid) {
		_exit(run_chaos());
	} else {
		deadline = start + CHAOS_TIMEOUT;
		for (;;) {
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid || (w < 0 && errno != EINTR))
				break;
			if (now() > deadline) {
				/* A task stuck in the kernel may not die: wait 10 s. */
				kill(pid, SIGKILL);
				deadline = now() + 10;
				while (waitpid(pid, &status, WNOHANG) != pid &&
				       now() < deadline)
					usleep(50000);
				timed_out = 1;
				break;
			}
			usleep(50000);
		}
		if (timed_out)
			fail_check("chaos", "not finished after %d s, killed", CHAOS_TIMEOUT);
		else if (WIFSIGNALED(status))
			fail_check("chaos", "the chaos process died of signal %d",
				   WTERMSIG(status));
		else if (!WIFEXITED(status) ||
			 (WEXITSTATUS(status) && !res->failed))
			fail_check("chaos", "exit status %#x without a failed check",
				   status);
		else
			pass_check("the chaos process ran to its end in %.1f s", now() - start);
	}
	if (chmodded)
		chmod(VMMEM_ECHO_DEVICE, sb.st_mode & 07777);
	printf("hostile_vmm: %u passed, %u failed\n", res->passed, res->failed);
	return res->failed ? 1 : 0;
}
