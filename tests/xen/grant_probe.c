// SPDX-License-Identifier: GPL-2.0-only
/*
 * grant_probe: can a grant be mapped end to end on this machine? Run in a
 * PV dom0 (scripts/lane-xen.sh), it grants pages to its own domain with
 * /dev/xen/gntalloc (as a frontend does) and maps the grants back with
 * /dev/xen/gntdev (as a backend does: gnttab_map_refs() under the hood),
 * then checks that bytes cross in both directions, that a read-only grant
 * cannot be mapped writable but can be read, that a reference nobody
 * granted is refused, and that everything unmaps. Prints one
 * "ok - NAME" or "not ok - NAME: DETAIL" line per check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>
/* <xen/gntdev.h> uses two Xen types that no uapi header defines. */
#define grant_ref_t	__u32
#define domid_t		__u16
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

#define NR_PAGES	4
#define SELF		0	/* dom0 grants to itself */

static int passed, failed;
static long page_size;

static void check(int ok, const char *name, const char *detail)
{
	if (ok) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: %s (%s)\n", name, detail, strerror(errno));
		failed++;
	}
}

/* A grant of @count pages to our own domain, and its mapping by the granter. */
struct grant {
	struct ioctl_gntalloc_alloc_gref *req;
	unsigned char *mem;
};

static int grant_alloc(int ga, struct grant *g, __u32 count, int writable)
{
	size_t size = sizeof(*g->req) + count * sizeof(g->req->gref_ids[0]);

	g->req = calloc(1, size);
	if (!g->req)
		return -1;
	g->req->domid = SELF;
	g->req->flags = writable ? GNTALLOC_FLAG_WRITABLE : 0;
	g->req->count = count;
	if (ioctl(ga, IOCTL_GNTALLOC_ALLOC_GREF, g->req))
		return -1;
	g->mem = mmap(NULL, count * page_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, ga, g->req->index);
	return g->mem == MAP_FAILED ? -1 : 0;
}

static int grant_free(int ga, struct grant *g)
{
	struct ioctl_gntalloc_dealloc_gref d = {
		.index = g->req->index,
		.count = g->req->count,
	};
	int ret = munmap(g->mem, g->req->count * page_size);

	ret |= ioctl(ga, IOCTL_GNTALLOC_DEALLOC_GREF, &d);
	free(g->req);
	return ret;
}

/* Ask gntdev for an offset at which the grants @refs can be mmap()ed. */
static int gntdev_add(int gd, const __u32 *refs, __u32 count, __u64 *index)
{
	struct ioctl_gntdev_map_grant_ref *req;
	size_t size = sizeof(*req) + count * sizeof(req->refs[0]);
	__u32 i;
	int ret;

	req = calloc(1, size);
	if (!req)
		return -1;
	req->count = count;
	for (i = 0; i < count; i++) {
		req->refs[i].domid = SELF;
		req->refs[i].ref = refs[i];
	}
	ret = ioctl(gd, IOCTL_GNTDEV_MAP_GRANT_REF, req);
	*index = req->index;
	free(req);
	return ret;
}

static int gntdev_remove(int gd, __u64 index, __u32 count)
{
	struct ioctl_gntdev_unmap_grant_ref req = {
		.index = index,
		.count = count,
	};

	return ioctl(gd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &req);
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7 + (i >> 9));
}

int main(void)
{
	size_t size;
	struct grant rw, ro;
	unsigned char *map, *expect;
	__u64 index, ro_index, bad_index;
	__u32 bad_ref = 0xfffff0;
	int ga, gd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	size = NR_PAGES * page_size;
	expect = malloc(size);
	if (!expect)
		return 1;

	ga = open("/dev/xen/gntalloc", O_RDWR);
	gd = open("/dev/xen/gntdev", O_RDWR);
	check(ga >= 0 && gd >= 0, "xen: open /dev/xen/gntalloc and /dev/xen/gntdev",
	      "open failed");
	if (ga < 0 || gd < 0)
		return 1;

	/* Grant writable pages to ourselves and fill them as a frontend would. */
	check(!grant_alloc(ga, &rw, NR_PAGES, 1), "xen: grant 4 writable pages to dom0",
	      "IOCTL_GNTALLOC_ALLOC_GREF or mmap");
	if (failed)
		return 1;
	fill(rw.mem, size, 17);
	memcpy(expect, rw.mem, size);

	/* Map the grants as a backend would. */
	check(!gntdev_add(gd, rw.req->gref_ids, NR_PAGES, &index),
	      "xen: gntdev accepts the references", "IOCTL_GNTDEV_MAP_GRANT_REF");
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, gd, index);
	check(map != MAP_FAILED, "xen: granted pages mapped writable", "mmap");
	if (map == MAP_FAILED)
		return 1;
	check(!memcmp(map, expect, size), "xen: the mapping shows the granter's bytes",
	      "contents differ");
	fill(map, size, 91);
	memcpy(expect, map, size);
	check(!memcmp(rw.mem, expect, size), "xen: the granter sees the mapper's writes",
	      "contents differ");
	check(!munmap(map, size) && !gntdev_remove(gd, index, NR_PAGES),
	      "xen: writable mapping unmapped", "munmap or IOCTL_GNTDEV_UNMAP_GRANT_REF");

	/* A read-only grant: GNTMAP_readonly or nothing. */
	check(!grant_alloc(ga, &ro, 1, 0), "xen: grant 1 read-only page to dom0",
	      "IOCTL_GNTALLOC_ALLOC_GREF or mmap");
	fill(ro.mem, page_size, 33);
	check(!gntdev_add(gd, ro.req->gref_ids, 1, &ro_index),
	      "xen: gntdev accepts the read-only reference", "IOCTL_GNTDEV_MAP_GRANT_REF");
	map = mmap(NULL, page_size, PROT_READ, MAP_SHARED, gd, ro_index);
	check(map != MAP_FAILED && !memcmp(map, ro.mem, page_size),
	      "xen: read-only grant mapped for reading shows the granter's bytes",
	      "mmap(PROT_READ) failed or contents differ");
	check((map == MAP_FAILED || !munmap(map, page_size)) &&
	      !gntdev_remove(gd, ro_index, 1),
	      "xen: read-only mapping unmapped", "munmap or IOCTL_GNTDEV_UNMAP_GRANT_REF");
	/* gntdev keeps a failed mmap's state: a fresh offset for the refusal. */
	check(!gntdev_add(gd, ro.req->gref_ids, 1, &ro_index),
	      "xen: gntdev accepts the read-only reference again",
	      "IOCTL_GNTDEV_MAP_GRANT_REF");
	map = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, gd, ro_index);
	check(map == MAP_FAILED, "xen: read-only grant refused for a writable mapping",
	      "mmap(PROT_WRITE) succeeded");
	if (map != MAP_FAILED)
		munmap(map, page_size);
	check(!gntdev_remove(gd, ro_index, 1), "xen: the refused mapping's reference is removed",
	      "IOCTL_GNTDEV_UNMAP_GRANT_REF");

	/* A reference nobody granted. */
	check(!gntdev_add(gd, &bad_ref, 1, &bad_index),
	      "xen: gntdev records an ungranted reference", "IOCTL_GNTDEV_MAP_GRANT_REF");
	map = mmap(NULL, page_size, PROT_READ, MAP_SHARED, gd, bad_index);
	check(map == MAP_FAILED, "xen: an ungranted reference is refused by the mapping",
	      "mmap succeeded");
	if (map != MAP_FAILED)
		munmap(map, page_size);
	check(!gntdev_remove(gd, bad_index, 1), "xen: the ungranted reference is removed",
	      "IOCTL_GNTDEV_UNMAP_GRANT_REF");

	check(!grant_free(ga, &rw) && !grant_free(ga, &ro),
	      "xen: grants ended and freed", "munmap or IOCTL_GNTALLOC_DEALLOC_GREF");
	close(gd);
	close(ga);
	free(expect);
	printf("# grant_probe: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
