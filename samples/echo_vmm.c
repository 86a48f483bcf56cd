// SPDX-License-Identifier: GPL-2.0-only
/*
 * echo_vmm - a test VMM for the vmmem_echo sample device.
 *
 * It plays both the VMM and the guest driver: it maps anonymous memory,
 * registers it with the device as guest regions (with holes between them,
 * one read-only, one ending at 2^64 - 1), lays out a split virtqueue and
 * descriptor chains in it (buffers crossing from one region into the
 * next, chains with several readable and several writable buffers),
 * publishes them with release stores, kicks the device and checks every
 * echoed byte and every used entry. Then it feeds the device malformed
 * chains and bad requests and checks that each is refused with the
 * expected errno.
 *
 * Output: one line per check, "ok - <name>" or "not ok - <name>: <detail>",
 * a few "report: " lines, and last "echo_vmm: N passed, M failed". The exit
 * status is 0 if nothing failed. Usage: echo_vmm [device path].
 *
 * A static binary with libc only, so that it runs in a bare initramfs.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/virtio_ring.h>

#include "vmmem_echo_uapi.h"

/* Guest-physical layout; every size is a multiple of any page size. */
#define GPA_RINGS	0x100000ULL	/* rings, 1 MiB: up to 32768 entries */
#define RINGS_SIZE	0x100000ULL
#define GPA_LOW		0x1000000ULL	/* data, 64 KiB ... */
#define DATA_SIZE	0x10000ULL
#define GPA_HIGH	(GPA_LOW + DATA_SIZE)	/* ... and 64 KiB right after */
#define GPA_HOLE	0x1800000ULL	/* nothing is ever mapped here */
#define GPA_ROM		0x2000000ULL	/* read-only data, 64 KiB */
#define GPA_TOP		(~0ULL - 0xffffULL)	/* 64 KiB ending at 2^64 - 1 */
#define GPA_LAST	(~0ULL)

#define SENTINEL	0xa5	/* writable bytes before the device writes */
#define MAX_BUFS	8	/* buffers in a generated chain */
#define MAX_BUF_LEN	1500
#define MAX_BATCH	64	/* chains per kick in the generated tests */
#define MAX_ERRNO	256

enum { R_RINGS, R_LOW, R_HIGH, R_ROM, R_TOP, NR_REGIONS };

struct region {
	const char *name;
	__u64 gpa;
	__u64 size;
	__u32 flags;
	__u8 *hva;
	int added;
};

static struct region regions[NR_REGIONS] = {
	[R_RINGS] = { .name = "rings", .gpa = GPA_RINGS, .size = RINGS_SIZE },
	[R_LOW] = { .name = "low", .gpa = GPA_LOW, .size = DATA_SIZE },
	[R_HIGH] = { .name = "high", .gpa = GPA_HIGH, .size = DATA_SIZE },
	[R_ROM] = { .name = "rom", .gpa = GPA_ROM, .size = DATA_SIZE,
		    .flags = VMMEM_ECHO_REGION_RDONLY },
	[R_TOP] = { .name = "top", .gpa = GPA_TOP, .size = DATA_SIZE },
};

/* Split ring layout (virtio 1.x), little-endian. */
struct ring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct ring_used_elem {
	__le32 id;
	__le32 len;
};

/* The driver's view of the queue. */
struct queue {
	__u32 size;
	__u64 desc;
	__u64 avail;
	__u64 used;
	__u16 avail_idx;	/* next avail entry to fill */
	__u16 used_idx;		/* next used entry to consume */
	__u32 next_desc;	/* next descriptor to hand out */
};

struct buf {
	__u64 gpa;
	__u32 len;
	int write;
};

struct chain {
	struct buf buf[MAX_BUFS];
	unsigned int nr;
	__u16 head;
	__u8 *expect;		/* the readable bytes, in order */
	__u64 expect_len;
};

/* What the VMM itself saw the device do, to compare with its counters. */
struct tally {
	__u64 chains;
	__u64 descs;
	__u64 bytes;
};

static int dev_fd = -1;
static const char *dev_path = VMMEM_ECHO_DEVICE;
static long page_size;
static struct queue vq;
static struct tally tally;
static unsigned int passed, failed;
static unsigned int malformed[MAX_ERRNO], refused[MAX_ERRNO];
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;
static char why[512];

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EINVAL, "EINVAL" }, { EEXIST, "EEXIST" }, { EOVERFLOW, "EOVERFLOW" },
	{ EFAULT, "EFAULT" }, { ENOENT, "ENOENT" }, { ENOTTY, "ENOTTY" },
	{ ENXIO, "ENXIO" }, { EIO, "EIO" }, { ELOOP, "ELOOP" },
	{ ERANGE, "ERANGE" }, { EPROTO, "EPROTO" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EMSGSIZE, "EMSGSIZE" },
	{ EROFS, "EROFS" }, { ENOMEM, "ENOMEM" }, { EPERM, "EPERM" },
	{ EINTR, "EINTR" }, { EBADF, "EBADF" }, { ENODEV, "ENODEV" },
	{ EACCES, "EACCES" }, { ENOENT, "ENOENT" }, { 0, NULL },
};

static const char *errname(int err)
{
	static char buf[32];
	int i;

	if (err < 0)
		err = -err;
	for (i = 0; errno_names[i].name; i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* A ret of an ioctl as the checks read it: a count, 0 or -errno. */
static const char *retname(long ret)
{
	static char buf[32];

	if (ret < 0)
		return errname((int)-ret);
	snprintf(buf, sizeof(buf), "%ld", ret);
	return buf;
}

static void pass_check(const char *name)
{
	printf("ok - %s\n", name);
	passed++;
}

static void fail_check(const char *name, const char *detail)
{
	printf("not ok - %s: %s\n", name, detail);
	failed++;
}

/* Report @name as passed if @detail is empty, as failed with it if not. */
static void check(const char *name, const char *detail)
{
	if (detail[0])
		fail_check(name, detail);
	else
		pass_check(name);
}

static void set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

static void die(const char *what)
{
	printf("not ok - %s: %s\n", what, strerror(errno));
	failed++;
	printf("echo_vmm: %u passed, %u failed\n", passed, failed);
	exit(1);
}

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static __u32 rng_below(__u32 n)
{
	return (__u32)(rng() % n);
}

static long dev_ioctl(int fd, unsigned long req, void *arg)
{
	long ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static long kick(void)
{
	return dev_ioctl(dev_fd, VMMEM_ECHO_KICK, NULL);
}

static int get_stats(int fd, struct vmmem_echo_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	return (int)dev_ioctl(fd, VMMEM_ECHO_GET_STATS, st);
}

/* mm->pinned_vm of this process in KiB, or -1 without /proc. */
static long vm_pinned_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Anonymous memory with an inaccessible page on either side, so that no
 * two regions are ever adjacent in the VMM's address space: a buffer that
 * crosses two guest regions really is two pieces of memory.
 */
static __u8 *map_guarded(__u64 size)
{
	__u8 *p;

	p = mmap(NULL, size + 2 * page_size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page_size, size, PROT_READ | PROT_WRITE))
		return NULL;
	return p + page_size;
}

static long add_region(int fd, __u64 gpa, const void *hva, __u64 size,
		       __u32 flags)
{
	struct vmmem_echo_region r = {
		.guest_addr = gpa,
		.user_addr = (__u64)(unsigned long)hva,
		.size = size,
		.flags = flags,
	};

	return dev_ioctl(fd, VMMEM_ECHO_ADD_REGION, &r);
}

static long remove_region(int fd, __u64 gpa, __u64 size)
{
	struct vmmem_echo_region r = { .guest_addr = gpa, .size = size };

	return dev_ioctl(fd, VMMEM_ECHO_REMOVE_REGION, &r);
}

static long add_known(int i)
{
	struct region *r = &regions[i];
	long ret = add_region(dev_fd, r->gpa, r->hva, r->size, r->flags);

	if (!ret)
		r->added = 1;
	return ret;
}

static long remove_known(int i)
{
	struct region *r = &regions[i];
	long ret = remove_region(dev_fd, r->gpa, r->size);

	if (!ret)
		r->added = 0;
	return ret;
}

static __u64 pages_of(__u64 size)
{
	return size / page_size;
}

static __u64 pages_added(void)
{
	__u64 pages = 0;
	int i;

	for (i = 0; i < NR_REGIONS; i++)
		if (regions[i].added)
			pages += pages_of(regions[i].size);
	return pages;
}

static unsigned int regions_added(void)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < NR_REGIONS; i++)
		n += regions[i].added;
	return n;
}

/* The region of the VMM's own layout that holds @gpa, registered or not. */
static struct region *region_of(__u64 gpa)
{
	int i;

	for (i = 0; i < NR_REGIONS; i++)
		if (gpa - regions[i].gpa < regions[i].size)
			return &regions[i];
	return NULL;
}

/* Copy between the VMM's view of guest memory and a buffer of its own. */
static void guest_copy(__u64 gpa, __u8 *mem, __u64 len, int to_guest)
{
	struct region *r;
	__u64 off, n;

	while (len) {
		r = region_of(gpa);
		if (!r) {
			fprintf(stderr, "echo_vmm: bug: gpa %#llx unmapped\n", gpa);
			abort();
		}
		off = gpa - r->gpa;
		n = r->size - off < len ? r->size - off : len;
		if (to_guest)
			memcpy(r->hva + off, mem, n);
		else
			memcpy(mem, r->hva + off, n);
		gpa += n;
		mem += n;
		len -= n;
	}
}

static void *ring_ptr(__u64 gpa)
{
	return regions[R_RINGS].hva + (gpa - GPA_RINGS);
}

static __le16 *avail_idx_ptr(void)
{
	return (__le16 *)ring_ptr(vq.avail) + 1;
}

static __le16 *used_idx_ptr(void)
{
	return (__le16 *)ring_ptr(vq.used) + 1;
}

static __u16 used_idx_acquire(void)
{
	return le16toh(__atomic_load_n(used_idx_ptr(), __ATOMIC_ACQUIRE));
}

static struct ring_used_elem *used_elem(__u16 idx)
{
	return (struct ring_used_elem *)ring_ptr(vq.used + 4) +
		(idx & (vq.size - 1));
}

static long set_queue_raw(__u32 size, __u32 base, __u64 desc, __u64 avail,
			  __u64 used, __u32 flags, __u32 reserved)
{
	struct vmmem_echo_queue q = {
		.size = size,
		.base_idx = base,
		.desc_addr = desc,
		.avail_addr = avail,
		.used_addr = used,
		.flags = flags,
		.reserved = reserved,
	};

	return dev_ioctl(dev_fd, VMMEM_ECHO_SET_QUEUE, &q);
}

/*
 * Lay out a fresh queue of @size entries at the start of the rings region,
 * as a driver does after a reset, with both indices at @base, and describe
 * it to the device.
 */
static long setup_queue(__u32 size, __u16 base)
{
	__u64 end;

	vq.size = size;
	vq.desc = GPA_RINGS;
	vq.avail = vq.desc + 16ULL * size;
	vq.used = (vq.avail + 4 + 2ULL * size + 2 + 3) & ~3ULL;
	vq.avail_idx = base;
	vq.used_idx = base;
	vq.next_desc = 0;
	end = vq.used + 4 + 8ULL * size + 2;
	memset(ring_ptr(GPA_RINGS), 0, end - GPA_RINGS);
	*avail_idx_ptr() = htole16(base);
	*used_idx_ptr() = htole16(base);
	return set_queue_raw(size, base, vq.desc, vq.avail, vq.used, 0, 0);
}

static void set_desc(__u32 i, __u64 addr, __u32 len, __u16 flags, __u16 next)
{
	struct ring_desc *d = (struct ring_desc *)ring_ptr(vq.desc) + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/* Put @head in the next avail entry; the device sees it after publish(). */
static void push_head(__u16 head)
{
	__le16 *ring = (__le16 *)ring_ptr(vq.avail) + 2;

	ring[vq.avail_idx & (vq.size - 1)] = htole16(head);
	vq.avail_idx++;
}

/* The entries before the index are written before it: a release store. */
static void publish(void)
{
	__atomic_store_n(avail_idx_ptr(), htole16(vq.avail_idx),
			 __ATOMIC_RELEASE);
}

/*
 * Fill a chain's buffers (readable ones with fresh bytes, unless they are
 * in the read-only region, writable ones with SENTINEL), record the bytes
 * the device should echo, and lay its descriptors out from vq.next_desc
 * downwards, so that each "next" jumps back through the table.
 */
static int put_chain(struct chain *c)
{
	__u64 total = 0, off = 0;
	unsigned int k;
	__u32 idx[MAX_BUFS];
	__u8 *p;

	for (k = 0; k < c->nr; k++)
		if (!c->buf[k].write)
			total += c->buf[k].len;
	free(c->expect);
	c->expect = malloc(total ? total : 1);
	if (!c->expect)
		return -ENOMEM;
	c->expect_len = total;

	for (k = 0; k < c->nr; k++) {
		struct buf *b = &c->buf[k];
		__u64 i;

		if (b->write) {
			p = malloc(b->len ? b->len : 1);
			if (!p)
				return -ENOMEM;
			memset(p, SENTINEL, b->len);
			guest_copy(b->gpa, p, b->len, 1);
			free(p);
			continue;
		}
		p = c->expect + off;
		if (region_of(b->gpa) == &regions[R_ROM]) {
			guest_copy(b->gpa, p, b->len, 0);
		} else {
			for (i = 0; i < b->len; i++)
				p[i] = (__u8)rng();
			guest_copy(b->gpa, p, b->len, 1);
		}
		off += b->len;
	}

	for (k = 0; k < c->nr; k++)
		idx[k] = (vq.next_desc + c->nr - 1 - k) & (vq.size - 1);
	vq.next_desc += c->nr;
	for (k = 0; k < c->nr; k++) {
		__u16 flags = c->buf[k].write ? VRING_DESC_F_WRITE : 0;

		if (k + 1 < c->nr)
			flags |= VRING_DESC_F_NEXT;
		set_desc(idx[k], c->buf[k].gpa, c->buf[k].len, flags,
			 k + 1 < c->nr ? idx[k + 1] : 0);
	}
	c->head = idx[0];
	push_head(c->head);
	return 0;
}

/*
 * Check one used element against its chain: the id, the length (all the
 * readable bytes that fit in the writable buffers) and every writable
 * byte: the echoed bytes first, then SENTINEL. Sets why on a mismatch.
 */
static int verify_chain(const struct chain *c, const struct ring_used_elem *e)
{
	__u64 wtotal = 0, want, pos = 0, i;
	__u32 id = le32toh(e->id), len = le32toh(e->len);
	unsigned int k;
	__u8 *p;

	for (k = 0; k < c->nr; k++)
		if (c->buf[k].write)
			wtotal += c->buf[k].len;
	want = c->expect_len < wtotal ? c->expect_len : wtotal;
	if (id != c->head || len != want) {
		set_why("used element {id %u, len %u}, want {id %u, len %llu}",
			id, len, c->head, want);
		return -1;
	}
	for (k = 0; k < c->nr; k++) {
		const struct buf *b = &c->buf[k];

		if (!b->write)
			continue;
		p = malloc(b->len ? b->len : 1);
		if (!p) {
			set_why("out of memory");
			return -1;
		}
		guest_copy(b->gpa, p, b->len, 0);
		for (i = 0; i < b->len; i++, pos++) {
			__u8 exp = pos < want ? c->expect[pos] : SENTINEL;

			if (p[i] != exp) {
				set_why("byte %llu of the chain (gpa %#llx) is %#x, want %#x",
					pos, b->gpa + i, p[i], exp);
				free(p);
				return -1;
			}
		}
		free(p);
	}
	return 0;
}

static void tally_chain(const struct chain *c, __u32 len)
{
	tally.chains++;
	tally.descs += c->nr;
	tally.bytes += len;
}

/*
 * Lay out @nr chains, publish them, kick once and check everything: the
 * kick's count, used->idx, each used element and each echoed byte.
 * Returns 0, or -1 with why set.
 */
static int run_batch(struct chain *chains, unsigned int nr)
{
	__u16 used_now;
	unsigned int i;
	int bad = 0;
	long ret;

	for (i = 0; i < nr; i++) {
		if (put_chain(&chains[i])) {
			set_why("out of memory");
			return -1;
		}
	}
	publish();
	ret = kick();
	used_now = used_idx_acquire();
	if (ret != (long)nr) {
		set_why("kick returned %s, want %u", retname(ret), nr);
		vq.used_idx = used_now;
		return -1;
	}
	if (used_now != vq.avail_idx) {
		set_why("used->idx %u, want %u", used_now, vq.avail_idx);
		vq.used_idx = used_now;
		return -1;
	}
	/* Consume every used element, even after a mismatch. */
	for (i = 0; i < nr; i++) {
		const struct ring_used_elem *e = used_elem(vq.used_idx);

		if (!bad && verify_chain(&chains[i], e))
			bad = -1;
		tally_chain(&chains[i], le32toh(e->len));
		vq.used_idx++;
	}
	return bad;
}

static void free_chains(struct chain *chains, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		free(chains[i].expect);
		chains[i].expect = NULL;
	}
}

/* One chain, given as buffers, run in a kick of its own. */
static void echo_case(const char *name, const struct buf *bufs, unsigned int nr)
{
	struct chain c = { .nr = nr };

	memcpy(c.buf, bufs, nr * sizeof(*bufs));
	why[0] = 0;
	run_batch(&c, 1);
	free_chains(&c, 1);
	check(name, why);
}

/* Bump allocator over a guest range, for generated chains. */
struct arena {
	__u64 next;
	__u64 end;
};

static __u64 arena_alloc(struct arena *a, __u32 len)
{
	__u64 gpa = a->next;

	if (a->end - a->next < len)
		return 0;
	a->next += len;
	return gpa;
}

static __u32 random_len(void)
{
	return rng_below(10) ? 1 + rng_below(MAX_BUF_LEN) : 0;
}

/*
 * A random chain of 1 to @max_descs buffers: up to four readable ones
 * (from the low/high data, sometimes from the read-only region), then up
 * to four writable ones (in the data, sometimes at the very top of the
 * address space). Returns 0, or -1 if the arenas are full.
 */
static int random_chain(struct chain *c, unsigned int max_descs,
			struct arena *data, struct arena *top)
{
	unsigned int nread, nwrite, k;

	do {
		nread = rng_below(5);
		nwrite = rng_below(5);
	} while (!nread && !nwrite);
	while (nread + nwrite > max_descs) {
		if (nread > nwrite)
			nread--;
		else
			nwrite--;
	}
	c->nr = nread + nwrite;
	for (k = 0; k < c->nr; k++) {
		struct buf *b = &c->buf[k];

		b->len = random_len();
		b->write = k >= nread;
		if (!b->write && !rng_below(4)) {
			b->gpa = GPA_ROM + rng_below(DATA_SIZE - b->len + 1);
			continue;
		}
		b->gpa = arena_alloc(b->write && !rng_below(8) ? top : data,
				     b->len);
		if (!b->gpa)
			return -1;
	}
	return 0;
}

/*
 * @nr_chains random chains through the current queue, in kicks of a
 * random number of chains that together use at most the queue's
 * descriptors. Returns 0, or -1 with why set.
 */
static int run_random(unsigned int nr_chains)
{
	static struct chain chains[MAX_BATCH];
	unsigned int done = 0, n, descs;
	struct arena data, top;
	int ret = 0;

	while (!ret && done < nr_chains) {
		data.next = GPA_LOW;
		data.end = GPA_HIGH + DATA_SIZE;
		top.next = GPA_TOP;
		top.end = GPA_LAST;
		n = 0;
		descs = 0;
		while (n < MAX_BATCH && done + n < nr_chains &&
		       descs < vq.size) {
			if (random_chain(&chains[n], vq.size - descs, &data,
					 &top))
				break;
			descs += chains[n].nr;
			n++;
			if (!rng_below(3))
				break;
		}
		ret = run_batch(chains, n);
		done += n;
	}
	free_chains(chains, MAX_BATCH);
	return ret;
}

static void count_err(unsigned int *table, long ret)
{
	if (ret < 0 && -ret < MAX_ERRNO)
		table[-ret]++;
}

/* Check that @ret is -@want; count it in @table. */
static void expect_err(const char *name, long ret, int want,
		       unsigned int *table)
{
	if (ret == -want) {
		count_err(table, ret);
		pass_check(name);
		return;
	}
	set_why("got %s, want %s", retname(ret), errname(want));
	fail_check(name, why);
}

static void expect_ok(const char *name, long ret)
{
	if (ret >= 0) {
		pass_check(name);
		return;
	}
	set_why("failed with %s", errname((int)-ret));
	fail_check(name, why);
}

/* --- Tests ------------------------------------------------------------ */

static void test_fresh(int fd, const char *name)
{
	struct vmmem_echo_stats st;

	why[0] = 0;
	if (get_stats(fd, &st))
		set_why("GET_STATS failed: %s", strerror(errno));
	else if (st.regions || st.pages_pinned || st.chains || st.descs ||
		 st.bytes || st.rejected || st.last_error || st.broken ||
		 st.queue_size || st.last_avail_idx || st.used_idx ||
		 st.reserved)
		set_why("stats not all zero (regions %llu, pages %llu, chains %llu)",
			st.regions, st.pages_pinned, st.chains);
	check(name, why);
}

static void test_register(long pin_base)
{
	struct vmmem_echo_stats st;
	long ret, pin;
	int i;

	why[0] = 0;
	for (i = 0; i < NR_REGIONS && !why[0]; i++) {
		if (i == R_TOP)
			continue;
		ret = add_known(i);
		if (ret)
			set_why("region %s: %s", regions[i].name, errname((int)-ret));
	}
	check("register 4 regions with holes, two of them adjacent", why);

	expect_ok("register a region ending at 2^64 - 1", add_known(R_TOP));

	why[0] = 0;
	if (get_stats(dev_fd, &st))
		set_why("GET_STATS: %s", strerror(errno));
	else if (st.regions != regions_added() ||
		 st.pages_pinned != pages_added())
		set_why("%llu regions, %llu pages; want %u, %llu", st.regions,
			st.pages_pinned, regions_added(), pages_added());
	check("stats count the regions and pinned pages", why);

	pin = vm_pinned_kib();
	if (pin < 0 || pin_base < 0) {
		pass_check("VmPin counts the pinned pages # skip: no /proc/self/status");
		return;
	}
	why[0] = 0;
	if ((__u64)(pin - pin_base) != pages_added() * page_size / 1024)
		set_why("VmPin grew by %ld kB, want %llu kB", pin - pin_base,
			pages_added() * page_size / 1024);
	check("VmPin counts the pinned pages", why);
}

static void test_bad_regions(void)
{
	struct vmmem_echo_region r;
	struct vmmem_echo_stats before, after;
	long pin = vm_pinned_kib(), ret;
	__u8 *spare, *ro;

	spare = map_guarded(4 * page_size);
	ro = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	if (!spare || ro == MAP_FAILED)
		die("mmap spare memory");
	memset(spare, 1, 4 * page_size);
	get_stats(dev_fd, &before);

	expect_err("add: unaligned guest address -> EINVAL",
		   add_region(dev_fd, GPA_HOLE + 512, spare, page_size, 0),
		   EINVAL, refused);
	expect_err("add: unaligned size -> EINVAL",
		   add_region(dev_fd, GPA_HOLE, spare, page_size + 512, 0),
		   EINVAL, refused);
	expect_err("add: unaligned user address -> EINVAL",
		   add_region(dev_fd, GPA_HOLE, spare + 64, page_size, 0),
		   EINVAL, refused);
	expect_err("add: zero size -> EINVAL",
		   add_region(dev_fd, GPA_HOLE, spare, 0, 0), EINVAL, refused);
	expect_err("add: unknown flags -> EINVAL",
		   add_region(dev_fd, GPA_HOLE, spare, page_size, 0x2),
		   EINVAL, refused);

	memset(&r, 0, sizeof(r));
	r.guest_addr = GPA_HOLE;
	r.user_addr = (unsigned long)spare;
	r.size = page_size;
	r.reserved = 1;
	expect_err("add: nonzero reserved field -> EINVAL",
		   dev_ioctl(dev_fd, VMMEM_ECHO_ADD_REGION, &r), EINVAL,
		   refused);

	expect_err("add: overlapping the start of a region -> EEXIST",
		   add_region(dev_fd, GPA_LOW - page_size, spare,
			      2 * page_size, 0), EEXIST, refused);
	expect_err("add: inside a region -> EEXIST",
		   add_region(dev_fd, GPA_HIGH + page_size, spare, page_size,
			      0), EEXIST, refused);
	expect_err("add: wrapping past 2^64 -> EOVERFLOW",
		   add_region(dev_fd, GPA_LAST - page_size + 1, spare,
			      2 * page_size, 0), EOVERFLOW, refused);

	/* A user range with a page that is not mapped at all. */
	if (munmap(spare + 2 * page_size, page_size))
		die("munmap");
	expect_err("add: user range with an unmapped page -> EFAULT",
		   add_region(dev_fd, GPA_HOLE, spare, 4 * page_size, 0),
		   EFAULT, refused);
	expect_err("add: writable region over read-only memory -> EFAULT",
		   add_region(dev_fd, GPA_HOLE, ro, page_size, 0), EFAULT,
		   refused);

	expect_err("remove: no region there -> ENOENT",
		   remove_region(dev_fd, GPA_HOLE, page_size), ENOENT,
		   refused);
	expect_err("remove: wrong size -> ENOENT",
		   remove_region(dev_fd, GPA_LOW, 2 * DATA_SIZE), ENOENT,
		   refused);
	memset(&r, 0, sizeof(r));
	r.guest_addr = GPA_LOW;
	r.size = DATA_SIZE;
	r.flags = VMMEM_ECHO_REGION_RDONLY;
	expect_err("remove: nonzero flags -> EINVAL",
		   dev_ioctl(dev_fd, VMMEM_ECHO_REMOVE_REGION, &r), EINVAL,
		   refused);

	why[0] = 0;
	ret = get_stats(dev_fd, &after);
	if (ret)
		set_why("GET_STATS: %s", strerror(errno));
	else if (after.regions != before.regions ||
		 after.pages_pinned != before.pages_pinned)
		set_why("now %llu regions, %llu pages; were %llu, %llu",
			after.regions, after.pages_pinned, before.regions,
			before.pages_pinned);
	else if (pin >= 0 && vm_pinned_kib() != pin)
		set_why("VmPin is %ld kB, was %ld kB", vm_pinned_kib(), pin);
	check("failed region requests change nothing", why);

	munmap(spare, 2 * page_size);
	munmap(spare + 3 * page_size, page_size);
	munmap(ro, page_size);
}

static void test_bad_queues(void)
{
	struct vmmem_echo_stats st;
	__u64 d = GPA_RINGS, a = GPA_RINGS + 0x1000, u = GPA_RINGS + 0x2000;
	struct chain c = { .nr = 2 };

	expect_err("kick without a queue -> ENXIO", kick(), ENXIO, refused);
	expect_ok("describe a queue of 8", setup_queue(8, 0));

	expect_err("queue: size 12, not a power of two -> EINVAL",
		   set_queue_raw(12, 0, d, a, u, 0, 0), EINVAL, refused);
	expect_err("queue: size 65536, above 32768 -> EINVAL",
		   set_queue_raw(65536, 0, d, a, u, 0, 0), EINVAL, refused);
	expect_err("queue: size 0 with addresses -> EINVAL",
		   set_queue_raw(0, 0, d, a, u, 0, 0), EINVAL, refused);
	expect_err("queue: descriptor table 8-byte aligned -> EINVAL",
		   set_queue_raw(8, 0, d + 8, a, u, 0, 0), EINVAL, refused);
	expect_err("queue: avail ring at an odd address -> EINVAL",
		   set_queue_raw(8, 0, d, a + 1, u, 0, 0), EINVAL, refused);
	expect_err("queue: used ring 2-byte aligned -> EINVAL",
		   set_queue_raw(8, 0, d, a, u + 2, 0, 0), EINVAL, refused);
	expect_err("queue: unknown flags -> EINVAL",
		   set_queue_raw(8, 0, d, a, u, 1, 0), EINVAL, refused);
	expect_err("queue: nonzero reserved field -> EINVAL",
		   set_queue_raw(8, 0, d, a, u, 0, 1), EINVAL, refused);
	expect_err("queue: base index above 65535 -> EINVAL",
		   set_queue_raw(8, 65536, d, a, u, 0, 0), EINVAL, refused);
	expect_err("queue: descriptor table in a hole -> EFAULT",
		   set_queue_raw(8, 0, GPA_HOLE, a, u, 0, 0), EFAULT, refused);
	expect_err("queue: avail ring in a hole -> EFAULT",
		   set_queue_raw(8, 0, d, GPA_HOLE, u, 0, 0), EFAULT, refused);
	expect_err("queue: table running off its region -> EFAULT",
		   set_queue_raw(8, 0, GPA_RINGS + RINGS_SIZE - 64, a, u, 0, 0),
		   EFAULT, refused);
	expect_err("queue: used ring in read-only memory -> EROFS",
		   set_queue_raw(8, 0, d, a, GPA_ROM, 0, 0), EROFS, refused);
	expect_err("queue: table wrapping past 2^64 -> EOVERFLOW",
		   set_queue_raw(8, 0, GPA_LAST - 63, a, u, 0, 0), EOVERFLOW,
		   refused);

	/* The queue described first is still there and still works. */
	why[0] = 0;
	if (get_stats(dev_fd, &st))
		set_why("GET_STATS: %s", strerror(errno));
	else if (st.queue_size != 8 || st.broken)
		set_why("queue size %u, broken %s", st.queue_size,
			errname(st.broken));
	if (!why[0]) {
		c.buf[0] = (struct buf){ GPA_LOW, 64, 0 };
		c.buf[1] = (struct buf){ GPA_HIGH, 64, 1 };
		run_batch(&c, 1);
		free_chains(&c, 1);
	}
	check("failed queue requests change nothing", why);
}

static void test_echo(void)
{
	const __u64 cross = GPA_HIGH;	/* where low ends and high begins */
	struct chain chains[5];
	unsigned int i;

	expect_ok("describe a queue of 16", setup_queue(16, 0));
	why[0] = 0;
	if (kick() != 0)
		set_why("kick returned nonzero");
	else if (used_idx_acquire() != 0)
		set_why("used->idx moved");
	check("kick with nothing available returns 0", why);

	echo_case("echo one readable buffer into one writable buffer",
		  (struct buf[]){ { GPA_LOW, 100, 0 }, { GPA_HIGH, 100, 1 } },
		  2);
	echo_case("chain of 3 readable and 3 writable buffers",
		  (struct buf[]){
			{ GPA_LOW + 0x100, 700, 0 },
			{ GPA_LOW + 0x2000, 1, 0 },
			{ GPA_LOW + 0x3000, 3000, 0 },
			{ GPA_HIGH + 0x4000, 50, 1 },
			{ GPA_HIGH + 0x5000, 2600, 1 },
			{ GPA_HIGH + 0x7000, 1051, 1 } }, 6);
	echo_case("readable buffer crossing from one region into the next",
		  (struct buf[]){
			{ cross - 0x800, 0x1000, 0 },
			{ cross - 0x3100, 0x1000, 1 },
			{ cross - 0x2100, 0x1000, 1 } }, 3);
	echo_case("writable buffer crossing from one region into the next",
		  (struct buf[]){
			{ cross - 0x5000, 0x777, 0 },
			{ cross - 0x4000, 0x1889, 0 },
			{ cross - 0x1000, 0x2000, 1 } }, 3);
	echo_case("large buffers crossing regions (several bounce pages)",
		  (struct buf[]){
			{ cross - 0x6000, 0x9000, 0 },
			{ cross - 0xa000, 0x4000, 1 },
			{ cross + 0x3000, 0x5000, 1 } }, 3);
	echo_case("readable buffer in the read-only region",
		  (struct buf[]){ { GPA_ROM + 0x123, 2000, 0 },
				  { GPA_LOW, 2000, 1 } }, 2);
	echo_case("buffers ending at 2^64 - 1",
		  (struct buf[]){ { GPA_TOP, 512, 0 },
				  { GPA_LAST - 511, 512, 1 } }, 2);
	echo_case("less writable space than data: truncated",
		  (struct buf[]){ { GPA_LOW, 1000, 0 }, { GPA_HIGH, 300, 1 },
				  { GPA_HIGH + 0x1000, 200, 1 } }, 3);
	echo_case("more writable space than data: tail untouched",
		  (struct buf[]){ { GPA_LOW, 100, 0 },
				  { GPA_HIGH, 1000, 1 } }, 2);
	echo_case("zero-length buffers in a chain",
		  (struct buf[]){ { GPA_LOW, 0, 0 }, { GPA_LOW + 64, 40, 0 },
				  { GPA_HIGH, 0, 1 }, { GPA_HIGH + 64, 40, 1 },
				  { GPA_HIGH + 256, 0, 1 } }, 5);
	echo_case("readable buffers only: used length 0",
		  (struct buf[]){ { GPA_LOW, 64, 0 }, { GPA_LOW + 64, 64, 0 } },
		  2);
	echo_case("writable buffers only: used length 0, untouched",
		  (struct buf[]){ { GPA_HIGH, 64, 1 } }, 1);

	memset(chains, 0, sizeof(chains));
	for (i = 0; i < 5; i++) {
		chains[i].nr = 3;
		chains[i].buf[0] = (struct buf){ GPA_LOW + i * 0x1000, 300 + i, 0 };
		chains[i].buf[1] = (struct buf){ GPA_ROM + i * 0x1000, 10 * i, 0 };
		chains[i].buf[2] = (struct buf){ GPA_HIGH + i * 0x1000, 400, 1 };
	}
	why[0] = 0;
	run_batch(chains, 5);
	free_chains(chains, 5);
	check("five chains in one kick, used in order", why);
}

static void test_wrap(void)
{
	struct vmmem_echo_stats st;

	expect_ok("describe a queue of 8", setup_queue(8, 0));
	why[0] = 0;
	run_random(300);
	check("300 random chains through a queue of 8 (ring wraps)", why);

	expect_ok("describe a queue of 16 at index 65496",
		  setup_queue(16, 65496));
	why[0] = 0;
	run_random(120);
	if (!why[0]) {
		if (get_stats(dev_fd, &st))
			set_why("GET_STATS: %s", strerror(errno));
		else if (st.last_avail_idx != vq.avail_idx ||
			 st.used_idx != vq.used_idx)
			set_why("device at avail %u used %u, driver at %u",
				st.last_avail_idx, st.used_idx, vq.avail_idx);
		else if (vq.avail_idx >= 65496)
			set_why("index did not wrap: %u", vq.avail_idx);
	}
	check("avail and used indices wrap at 65536", why);
}

static void test_max_queue(void)
{
	__u32 top = VMMEM_ECHO_QUEUE_MAX - 1;
	struct ring_used_elem *e;
	__u8 data[256], out[256];
	unsigned int i;

	expect_ok("describe a queue of 32768", setup_queue(32768, 0));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (__u8)rng();
	guest_copy(GPA_LOW, data, sizeof(data), 1);
	memset(out, SENTINEL, sizeof(out));
	guest_copy(GPA_HIGH, out, sizeof(out), 1);
	set_desc(top, GPA_LOW, sizeof(data), VRING_DESC_F_NEXT, 0);
	set_desc(0, GPA_HIGH, sizeof(out), VRING_DESC_F_WRITE, 0);
	push_head((__u16)top);
	publish();

	why[0] = 0;
	if (kick() != 1) {
		set_why("kick did not complete one chain");
	} else {
		e = used_elem(vq.used_idx);
		guest_copy(GPA_HIGH, out, sizeof(out), 0);
		if (le32toh(e->id) != top || le32toh(e->len) != sizeof(data))
			set_why("used element {%u, %u}", le32toh(e->id),
				le32toh(e->len));
		else if (memcmp(out, data, sizeof(data)))
			set_why("echoed bytes differ");
		vq.used_idx++;
		tally.chains++;
		tally.descs += 2;
		tally.bytes += sizeof(data);
	}
	check("chain from the last descriptor of a 32768 queue", why);
}

/* A malformed chain, laid out descriptor by descriptor. */
struct hostile_desc {
	__u64 addr;
	__u32 len;
	__u16 flags;
	__u16 next;
};

struct hostile_case {
	const char *name;
	int err;			/* the errno the kick must fail with */
	unsigned int nr;		/* descriptors 0 .. nr - 1 */
	struct hostile_desc desc[3];
	__u16 head;			/* the one avail entry */
	__u16 avail_idx;		/* 0: just past that entry */
};

#define F_NEXT		VRING_DESC_F_NEXT
#define F_WRITE		VRING_DESC_F_WRITE
#define F_INDIRECT	VRING_DESC_F_INDIRECT

static const struct hostile_case hostile_cases[] = {
	{ .name = "descriptor loop -> ELOOP", .err = ELOOP, .nr = 2,
	  .desc = { { GPA_LOW, 16, F_NEXT, 1 }, { GPA_LOW + 16, 16, F_NEXT, 0 } } },
	{ .name = "descriptor chained to itself -> ELOOP", .err = ELOOP, .nr = 1,
	  .desc = { { GPA_LOW, 16, F_NEXT, 0 } } },
	{ .name = "next index out of range -> ERANGE", .err = ERANGE, .nr = 1,
	  .desc = { { GPA_LOW, 16, F_NEXT, 8 } } },
	{ .name = "head index out of range -> ERANGE", .err = ERANGE, .nr = 1,
	  .desc = { { GPA_LOW, 16, 0, 0 } },
	  .head = 0xffff },
	{ .name = "readable after writable -> EPROTO", .err = EPROTO, .nr = 2,
	  .desc = { { GPA_HIGH, 16, F_WRITE | F_NEXT, 1 }, { GPA_LOW, 16, 0, 0 } } },
	{ .name = "indirect descriptor -> EOPNOTSUPP", .err = EOPNOTSUPP, .nr = 1,
	  .desc = { { GPA_LOW, 16, F_INDIRECT, 0 } } },
	{ .name = "unknown descriptor flag -> EINVAL", .err = EINVAL, .nr = 1,
	  .desc = { { GPA_LOW, 16, 0x8, 0 } } },
	{ .name = "readable buffer in a hole -> EFAULT", .err = EFAULT, .nr = 2,
	  .desc = { { GPA_HOLE, 16, F_NEXT, 1 }, { GPA_HIGH, 16, F_WRITE, 0 } } },
	{ .name = "writable buffer in a hole -> EFAULT", .err = EFAULT, .nr = 2,
	  .desc = { { GPA_LOW, 16, F_NEXT, 1 }, { GPA_HOLE, 16, F_WRITE, 0 } } },
	{ .name = "buffer running off a region into a hole -> EFAULT", .err = EFAULT, .nr = 1,
	  .desc = { { GPA_HIGH + DATA_SIZE - 8, 16, 0, 0 } } },
	{ .name = "buffer wrapping past 2^64 -> EOVERFLOW", .err = EOVERFLOW, .nr = 1,
	  .desc = { { GPA_LAST - 7, 16, 0, 0 } } },
	{ .name = "writable buffer in the read-only region -> EROFS", .err = EROFS, .nr = 2,
	  .desc = { { GPA_LOW, 16, F_NEXT, 1 }, { GPA_ROM, 16, F_WRITE, 0 } } },
	{ .name = "chain of more than 4 GiB -> EMSGSIZE", .err = EMSGSIZE, .nr = 2,
	  .desc = { { GPA_HOLE, 0x80000000, F_NEXT, 1 },
		    { GPA_HOLE, 0x80000000, 0, 0 } } },
	{ .name = "avail index too far ahead -> EINVAL", .err = EINVAL, .nr = 1,
	  .desc = { { GPA_LOW, 16, 0, 0 } },
	  .head = 0, .avail_idx = 9 },
	{ .name = NULL },
};

static void lay_out_hostile(const struct hostile_case *hc)
{
	unsigned int i;

	for (i = 0; i < hc->nr; i++)
		set_desc(i, hc->desc[i].addr, hc->desc[i].len,
			 hc->desc[i].flags, hc->desc[i].next);
	push_head(hc->head);
	if (hc->avail_idx)
		vq.avail_idx = hc->avail_idx;
	publish();
}

/*
 * The kick fails with the case's errno; nothing is returned in the used
 * ring; the counters show a rejection with that errno and the queue is
 * broken: the next kick fails with EIO.
 */
static void run_hostile(const struct hostile_case *hc)
{
	struct vmmem_echo_stats before, st;
	long ret;

	why[0] = 0;
	if (setup_queue(8, 0) || get_stats(dev_fd, &before)) {
		set_why("queue setup failed");
		fail_check(hc->name, why);
		return;
	}
	lay_out_hostile(hc);
	ret = kick();
	if (ret != -hc->err)
		set_why("kick returned %s, want %s", retname(ret),
			errname(hc->err));
	else if (used_idx_acquire() != 0)
		set_why("used->idx moved to %u", used_idx_acquire());
	else if (get_stats(dev_fd, &st))
		set_why("GET_STATS: %s", strerror(errno));
	else if (st.broken != -hc->err || st.last_error != -hc->err ||
		 st.rejected != before.rejected + 1 ||
		 st.chains != before.chains)
		set_why("stats: broken %s, last error %s, rejected +%llu",
			errname(st.broken), errname(st.last_error),
			st.rejected - before.rejected);
	if (!why[0]) {
		ret = kick();
		if (ret != -EIO)
			set_why("kick after the error returned %s, want EIO",
				retname(ret));
	}
	if (!why[0])
		count_err(malformed, -hc->err);
	check(hc->name, why);
}

static void test_hostile(void)
{
	const struct hostile_case *hc;
	struct vmmem_echo_stats st;
	struct chain good[2];
	unsigned int i;
	long ret;

	for (hc = hostile_cases; hc->name; hc++)
		run_hostile(hc);

	/* Two good chains, then a loop, in one kick. */
	why[0] = 0;
	memset(good, 0, sizeof(good));
	if (setup_queue(8, 0)) {
		set_why("queue setup failed");
	} else {
		for (i = 0; i < 2; i++) {
			good[i].nr = 2;
			good[i].buf[0] = (struct buf){ GPA_LOW + i * 0x1000, 99, 0 };
			good[i].buf[1] = (struct buf){ GPA_HIGH + i * 0x1000, 99, 1 };
			put_chain(&good[i]);
		}
		set_desc(6, GPA_LOW + 0x4000, 8, F_NEXT, 7);
		set_desc(7, GPA_LOW + 0x4008, 8, F_NEXT, 6);
		push_head(6);
		publish();
		ret = kick();
		if (ret != -ELOOP)
			set_why("kick returned %s, want ELOOP", retname(ret));
		else if (used_idx_acquire() != 2)
			set_why("used->idx %u, want 2", used_idx_acquire());
		for (i = 0; i < 2 && !why[0]; i++) {
			if (!verify_chain(&good[i], used_elem(vq.used_idx)))
				tally_chain(&good[i], 99);
			vq.used_idx++;
		}
	}
	free_chains(good, 2);
	if (!why[0])
		count_err(malformed, -ELOOP);
	check("chains before a malformed one are completed and published",
	      why);

	/* That queue is broken; it stays so until it is set again. */
	why[0] = 0;
	for (i = 0; i < 2 && !why[0]; i++) {
		ret = kick();
		if (ret != -EIO)
			set_why("kick %u returned %s, want EIO", i + 1,
				retname(ret));
	}
	if (!why[0] && (get_stats(dev_fd, &st) || st.broken != -ELOOP))
		set_why("stats do not show the queue broken by ELOOP");
	if (!why[0] && setup_queue(8, 0))
		set_why("setting the queue again failed");
	if (!why[0] && (get_stats(dev_fd, &st) || st.broken))
		set_why("still broken after the reset");
	if (!why[0]) {
		memset(good, 0, sizeof(good));
		good[0].nr = 2;
		good[0].buf[0] = (struct buf){ GPA_LOW, 77, 0 };
		good[0].buf[1] = (struct buf){ GPA_HIGH, 77, 1 };
		run_batch(good, 1);
		free_chains(good, 1);
	}
	check("broken queue fails with EIO until it is set again", why);

	expect_err("kick with a nonzero argument -> EINVAL",
		   dev_ioctl(dev_fd, VMMEM_ECHO_KICK, (void *)1), EINVAL,
		   refused);
	expect_err("unknown ioctl -> ENOTTY",
		   dev_ioctl(dev_fd, _IO(VMMEM_ECHO_IOC_MAGIC, 0x7f), NULL),
		   ENOTTY, refused);
}

/* The file @name of the device's debugfs directory, NUL-terminated. */
static int read_debugfs(const char *dir, const char *name, char *buf,
			size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The number after "@key: " in @text, or -1. */
static long long debugfs_value(const char *text, const char *key)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "%s: ", key);
	for (p = text; (p = strstr(p, pattern)); p++)
		if (p == text || p[-1] == '\n')
			return strtoll(p + strlen(pattern), NULL, 0);
	return -1;
}

/*
 * What vmmem's debugfs says about the device's map (vmmem/<name>/, named
 * after the device and this process): the regions registered, the pages
 * pinned, and the accesses and faults the tests so far caused. Skipped
 * where debugfs is not mounted, unless $VMMEM_DEBUGFS_REQUIRED is set.
 */
static void test_debugfs(void)
{
	static char text[16384];
	const char *name = "vmmem debugfs: regions, map and stats of the device's map";
	long long faults = 0, accesses = 0;
	char dir[128], want[64];
	unsigned int lines = 0;
	const char *p;
	int i;

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/vmmem/vmmem_echo-%d",
		 (int)getpid());
	if (access("/sys/kernel/debug/vmmem", F_OK)) {
		if (getenv("VMMEM_DEBUGFS_REQUIRED"))
			fail_check(name, "no /sys/kernel/debug/vmmem");
		else
			printf("report: debugfs not mounted: its checks skipped\n");
		return;
	}
	why[0] = 0;
	if (read_debugfs(dir, "regions", text, sizeof(text))) {
		set_why("%s/regions: %s", dir, strerror(errno));
		goto out;
	}
	for (p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		lines += *p != '#' && *p != '\n';
	if (lines != regions_added())
		set_why("%u regions listed, want %u", lines, regions_added());
	for (i = 0; !why[0] && i < NR_REGIONS; i++) {
		if (!regions[i].added)
			continue;
		snprintf(want, sizeof(want), "0x%016llx ", (unsigned long long)regions[i].gpa);
		p = strstr(text, want);
		if (!p || strncmp(p + 38, "user    ", 8) ||
		    strncmp(p + 46, regions[i].flags ? "r " : "rw", 2))
			set_why("region %s not listed as a %s user region",
				regions[i].name, regions[i].flags ? "read-only" : "writable");
	}
	if (why[0])
		goto out;
	for (p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (*p != '#')
			printf("report: debugfs regions: %.*s\n",
			       (int)strcspn(p, "\n"), p);

	if (read_debugfs(dir, "map", text, sizeof(text))) {
		set_why("%s/map: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(want, sizeof(want), "name: vmmem_echo-%d\n", (int)getpid());
	if (!strstr(text, want))
		set_why("no \"%.*s\" in map", (int)strlen(want) - 1, want);
	else if (debugfs_value(text, "regions") != regions_added())
		set_why("map says %lld regions, want %u",
			debugfs_value(text, "regions"), regions_added());
	else if (debugfs_value(text, "pinned_pages") != (long long)pages_added())
		set_why("map says %lld pinned pages, want %llu",
			debugfs_value(text, "pinned_pages"), pages_added());
	if (why[0])
		goto out;
	printf("report: debugfs map: generation %lld, updates %lld, regions %lld\n",
	       debugfs_value(text, "generation"), debugfs_value(text, "updates"),
	       debugfs_value(text, "regions"));

	if (read_debugfs(dir, "stats", text, sizeof(text))) {
		set_why("%s/stats: %s", dir, strerror(errno));
		goto out;
	}
	for (p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (!strncmp(p, "fault_", 6))
			faults += strtoll(strchr(p, ':') + 1, NULL, 0);
		else if (strncmp(p, "bytes_", 6) && strncmp(p, "lookup_", 7) &&
			 strncmp(p, "dirty_", 6))
			accesses += strtoll(strchr(p, ':') + 1, NULL, 0);
	}
	if (!accesses || debugfs_value(text, "bytes_from_guest") <= 0 ||
	    debugfs_value(text, "bytes_to_guest") <= 0)
		set_why("stats count no accesses or no bytes: %s", text);
	else if (!faults)
		set_why("stats count no faults after the hostile chains");
	if (!why[0])
		printf("report: debugfs stats: calls %lld, bytes out/in %lld/%lld, faults %lld\n",
		       accesses, debugfs_value(text, "bytes_from_guest"),
		       debugfs_value(text, "bytes_to_guest"), faults);
out:
	check(name, why);
}

static void test_remove(void)
{
	struct vmmem_echo_stats st;
	struct chain c;
	long pin = vm_pinned_kib(), ret;

	/* Unplug "high": its pages are unpinned, buffers there fault. */
	expect_ok("remove a region", remove_known(R_HIGH));
	why[0] = 0;
	if (get_stats(dev_fd, &st))
		set_why("GET_STATS: %s", strerror(errno));
	else if (st.regions != regions_added() ||
		 st.pages_pinned != pages_added())
		set_why("%llu regions, %llu pages; want %u, %llu", st.regions,
			st.pages_pinned, regions_added(), pages_added());
	else if (pin >= 0 && pin - vm_pinned_kib() != DATA_SIZE / 1024)
		set_why("VmPin dropped by %ld kB, want %llu", pin - vm_pinned_kib(),
			DATA_SIZE / 1024);
	check("removing a region unpins its pages", why);

	why[0] = 0;
	if (setup_queue(8, 0)) {
		set_why("queue setup failed");
	} else {
		set_desc(0, GPA_LOW, 32, F_NEXT, 1);
		set_desc(1, GPA_HIGH, 32, F_WRITE, 0);
		push_head(0);
		publish();
		ret = kick();
		if (ret != -EFAULT)
			set_why("kick returned %s, want EFAULT", retname(ret));
	}
	if (!why[0])
		count_err(malformed, -EFAULT);
	check("buffer in a removed region -> EFAULT", why);

	expect_ok("add the region again", add_known(R_HIGH));
	memset(&c, 0, sizeof(c));
	c.nr = 2;
	c.buf[0] = (struct buf){ GPA_HIGH - 100, 200, 0 };
	c.buf[1] = (struct buf){ GPA_HIGH + 0x100, 200, 1 };
	why[0] = 0;
	if (setup_queue(8, 0))
		set_why("queue setup failed");
	else
		run_batch(&c, 1);
	free_chains(&c, 1);
	check("echo through the re-added region", why);

	/* Pull the rings out from under the queue. */
	why[0] = 0;
	if (remove_known(R_RINGS)) {
		set_why("removing the rings region failed");
	} else {
		ret = kick();
		if (ret != -EFAULT)
			set_why("kick returned %s, want EFAULT", retname(ret));
		else if (add_known(R_RINGS) || setup_queue(8, 0))
			set_why("could not restore the rings");
	}
	if (!why[0])
		count_err(malformed, -EFAULT);
	check("rings in a removed region -> EFAULT", why);
}

static void test_counters(struct vmmem_echo_stats *st)
{
	why[0] = 0;
	if (get_stats(dev_fd, st))
		set_why("GET_STATS: %s", strerror(errno));
	else if (st->chains != tally.chains || st->descs != tally.descs ||
		 st->bytes != tally.bytes)
		set_why("device: %llu chains, %llu descs, %llu bytes; VMM saw %llu, %llu, %llu",
			st->chains, st->descs, st->bytes, tally.chains,
			tally.descs, tally.bytes);
	check("device counters match what the VMM saw", why);
}

/*
 * Only the process that opened the device may change it: a child that
 * inherits the file gets -EPERM for everything but GET_STATS, and its
 * attempts change nothing.
 */
static void test_owner(void)
{
	struct vmmem_echo_stats before, after;
	struct vmmem_echo_region reg = {
		.guest_addr = 1ULL << 40,
		.user_addr = (__u64)(unsigned long)regions[0].hva,
		.size = page_size,
	};
	struct vmmem_echo_queue q = { 0 };
	int status = 0;
	pid_t pid;

	why[0] = 0;
	if (get_stats(dev_fd, &before))
		die("GET_STATS");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		struct vmmem_echo_stats st;
		int bad = 0;

		bad |= dev_ioctl(dev_fd, VMMEM_ECHO_ADD_REGION, &reg) != -EPERM;
		bad |= (dev_ioctl(dev_fd, VMMEM_ECHO_REMOVE_REGION, &reg) != -EPERM) << 1;
		bad |= (dev_ioctl(dev_fd, VMMEM_ECHO_SET_QUEUE, &q) != -EPERM) << 2;
		bad |= (dev_ioctl(dev_fd, VMMEM_ECHO_KICK, NULL) != -EPERM) << 3;
		bad |= (get_stats(dev_fd, &st) != 0) << 4;
		_exit(bad);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		set_why("the child did not exit");
	else if (WEXITSTATUS(status))
		set_why("child: failed mask %#x (ADD, REMOVE, SET_QUEUE, KICK, STATS)",
			WEXITSTATUS(status));
	else if (get_stats(dev_fd, &after) ||
		 memcmp(&before, &after, sizeof(before)))
		set_why("the child's attempts changed the device");
	check("only the owner may change the device; others may read its stats", why);
}

static void test_close(long pin_base)
{
	int fd2;
	__u8 *mem;
	long pin;

	/* A second open is a device of its own, with an empty map. */
	why[0] = 0;
	mem = map_guarded(DATA_SIZE);
	fd2 = open(dev_path, O_RDWR | O_CLOEXEC);
	if (!mem || fd2 < 0) {
		set_why("open/mmap: %s", strerror(errno));
	} else {
		struct vmmem_echo_stats st;
		long ret;

		if (get_stats(fd2, &st) || st.regions || st.queue_size)
			set_why("second open sees state of the first");
		ret = dev_ioctl(fd2, VMMEM_ECHO_KICK, NULL);
		if (!why[0] && ret != -ENXIO)
			set_why("kick returned %s, want ENXIO", retname(ret));
		ret = add_region(fd2, GPA_LOW, mem, DATA_SIZE, 0);
		if (!why[0] && ret)
			set_why("adding at a gpa the first open uses: %s",
				retname(ret));
		close(fd2);
	}
	check("a second open is a separate device", why);

	/* Closing the main fd releases everything. */
	why[0] = 0;
	if (close(dev_fd))
		set_why("close: %s", strerror(errno));
	dev_fd = -1;
	pin = vm_pinned_kib();
	if (pin_base < 0) {
		pass_check("close unpins every page # skip: no /proc/self/status");
	} else {
		if (!why[0] && pin != pin_base)
			set_why("VmPin is %ld kB after close, was %ld kB before",
				pin, pin_base);
		check("close unpins every page", why);
	}
	if (mem)
		munmap(mem, DATA_SIZE);

	dev_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("reopen");
	test_fresh(dev_fd, "reopened device starts fresh");
	why[0] = 0;
	if (add_known(R_LOW))
		set_why("adding a region again failed");
	else if (remove_known(R_LOW))
		set_why("removing it failed");
	check("reopened device takes the same regions again", why);
}

static void print_errs(const char *what, const unsigned int *table)
{
	unsigned int total = 0, i;
	char list[512];
	size_t len = 0;

	list[0] = 0;
	for (i = 0; i < MAX_ERRNO; i++) {
		if (!table[i])
			continue;
		total += table[i];
		if (table[i] > 1)
			len += snprintf(list + len, sizeof(list) - len,
					"%s%s x%u", len ? ", " : "",
					errname(i), table[i]);
		else
			len += snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? ", " : "", errname(i));
		if (len >= sizeof(list))
			break;
	}
	printf("report: %s: %u (%s)\n", what, total, list);
}

int main(int argc, char **argv)
{
	struct vmmem_echo_stats st, peak;
	long pin_base;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		dev_path = argv[1];
	page_size = sysconf(_SC_PAGESIZE);

	for (i = 0; i < NR_REGIONS; i++) {
		regions[i].hva = map_guarded(regions[i].size);
		if (!regions[i].hva)
			die("mmap guest memory");
	}
	/* Read-only memory is populated before it is pinned. */
	for (i = 0; i < (int)DATA_SIZE; i++)
		regions[R_ROM].hva[i] = (__u8)(i * 7 + (i >> 8));

	dev_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		set_why("%s: %s", dev_path, strerror(errno));
		fail_check("open the device", why);
		printf("echo_vmm: %u passed, %u failed\n", passed, failed);
		return 1;
	}
	pass_check("open the device");
	pin_base = vm_pinned_kib();

	test_fresh(dev_fd, "a new device has no state");
	test_register(pin_base);
	if (get_stats(dev_fd, &peak))
		memset(&peak, 0, sizeof(peak));
	test_bad_regions();
	test_bad_queues();
	test_echo();
	test_wrap();
	test_max_queue();
	test_hostile();
	test_debugfs();
	test_remove();
	test_counters(&st);
	test_owner();
	test_close(pin_base);

	printf("report: %llu guest regions registered, %llu pages (%llu KiB) pinned from the VMM\n",
	       peak.regions, peak.pages_pinned,
	       peak.pages_pinned * page_size / 1024);
	printf("report: %llu chains and %llu descriptors processed, %llu bytes echoed\n",
	       st.chains, st.descs, st.bytes);
	print_errs("malformed chains caught", malformed);
	print_errs("bad requests refused", refused);
	printf("echo_vmm: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
