// SPDX-License-Identifier: GPL-2.0-only
/*
 * domu_vmm: the VMM's view of the Xen lane's domU (tests/xen/domu-run).
 * Maps the domU's granted pages by their frame numbers with privcmd, as a
 * VMM maps a guest's memory (mmap() of /dev/xen/privcmd, then
 * IOCTL_PRIVCMD_MMAPBATCH_V2 for the domU), and checks what they hold:
 * "before" dom0's vmmem_xen_domu_test runs, the domU's own bytes in every
 * page; "after", dom0's bytes in pages 0, 1 and 3 (written through vmmem)
 * and the domU's in page 2 (the read-only grant). A route to the same
 * memory that does not go through vmmem.
 *
 * Usage: domu_vmm DOMID FRAME,FRAME,FRAME,FRAME before|after
 * Prints one "ok - NAME" or "not ok - NAME: DETAIL" line per check; exits
 * non-zero if one failed.
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

#define NR_PAGES	4
#define PAGE		4096
#define RO_PAGE		2	/* granted read-only: dom0 may not write it */
#define SEED_DOMU	1	/* as in vmmem_xen_domu.c */
#define SEED_DOM0	2	/* as in vmmem_xen_domu_test.c */

/*
 * <xen/privcmd.h> needs Xen's own headers, which are not uapi: its
 * IOCTL_PRIVCMD_MMAPBATCH_V2 argument, with domid_t a __u16 and xen_pfn_t
 * an unsigned long on x86_64.
 */
struct mmapbatch_v2 {
	unsigned int num;
	__u16 dom;
	__u64 addr;
	const unsigned long *arr;
	int *err;
};

#define IOCTL_MMAPBATCH_V2 _IOC(_IOC_NONE, 'P', 4, sizeof(struct mmapbatch_v2))

static int failed;
static const char *stage;

static void check(int ok, const char *name, const char *detail)
{
	if (ok) {
		printf("ok - xen domU VMM (%s): %s\n", stage, name);
	} else {
		printf("not ok - xen domU VMM (%s): %s: %s\n", stage, name, detail);
		failed = 1;
	}
}

/* As in vmmem_xen_domu.c. */
static unsigned char pattern(unsigned int page, unsigned int off,
			     unsigned char seed)
{
	return (unsigned char)(seed + page * 31 + off * 7 + (off >> 8));
}

int main(int argc, char **argv)
{
	unsigned long frames[NR_PAGES];
	unsigned char seeds[NR_PAGES];
	int err[NR_PAGES] = { 0 };
	struct mmapbatch_v2 batch;
	unsigned int i, off;
	char detail[128] = "";
	unsigned char *mem;
	char *p, *end;
	int fd, ok;

	if (argc != 4 || (strcmp(argv[3], "before") && strcmp(argv[3], "after"))) {
		fprintf(stderr, "usage: %s DOMID FRAME,FRAME,FRAME,FRAME before|after\n",
			argv[0]);
		return 2;
	}
	stage = argv[3];
	p = argv[2];
	for (i = 0; i < NR_PAGES; i++) {
		errno = 0;
		frames[i] = strtoul(p, &end, 0);
		if (errno || end == p || *end != (i < NR_PAGES - 1 ? ',' : '\0')) {
			check(0, "frames given", argv[2]);
			return 1;
		}
		p = end + 1;
		/* Before dom0 writes, all the domU's; after, page 2 only. */
		seeds[i] = !strcmp(stage, "after") && i != RO_PAGE ?
			   SEED_DOM0 : SEED_DOMU;
	}

	fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	mem = fd < 0 ? MAP_FAILED : mmap(NULL, NR_PAGES * PAGE,
					 PROT_READ | PROT_WRITE, MAP_SHARED,
					 fd, 0);
	if (mem == MAP_FAILED) {
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
		check(0, "privcmd opened and mapped", detail);
		return 1;
	}
	batch = (struct mmapbatch_v2){
		.num = NR_PAGES,
		.dom = (__u16)strtoul(argv[1], NULL, 0),
		.addr = (unsigned long)mem,
		.arr = frames,
		.err = err,
	};
	ok = !ioctl(fd, IOCTL_MMAPBATCH_V2, &batch);
	if (!ok)
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
	for (i = 0; i < NR_PAGES; i++) {
		if (err[i]) {
			snprintf(detail, sizeof(detail), "frame %#lx: error %d",
				 frames[i], err[i]);
			ok = 0;
		}
	}
	check(ok, "privcmd maps the domU's 4 frames", detail);
	if (ok) {
		for (i = 0; i < NR_PAGES && ok; i++)
			for (off = 0; off < PAGE && ok; off++)
				ok = mem[i * PAGE + off] == pattern(i, off, seeds[i]);
		snprintf(detail, sizeof(detail), "page %u differs at offset %u",
			 i - 1, off - 1);
		check(ok, !strcmp(stage, "after") ?
		      "pages 0, 1 and 3 hold what dom0 wrote, page 2 the domU's bytes" :
		      "the 4 pages hold the domU's bytes", detail);
	}
	munmap(mem, NR_PAGES * PAGE);
	close(fd);
	return failed;
}
