// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_xen_test: vmmem_add_xen_grants() against a real grant table, in
 * the Xen lane's PV dom0. As a frontend would, the module grants pages to
 * a domain (its own: dom0 may map its own grants), the third one
 * read-only and a fifth reference left ungranted; then, as a backend,
 * reaches them through vmmem at their grant-DMA addresses: copies both
 * ways, single accesses, a write to the read-only grant and an access to
 * the ungranted one refused at their page, and afterwards every grant
 * ends at once (a leaked mapping would keep it in use). All of it twice:
 * mapping each page for each access, and keeping pages mapped between
 * accesses (persistent grants), where a page read stays mapped (its grant
 * cannot end) until the region is removed, and held slices write pages.
 * Loading runs the checks and prints one "ok - NAME" or "not ok - NAME"
 * line per check to the kernel log; the module stays loaded until removed.
 */
#define pr_fmt(fmt) "vmmem_xen_test: " fmt

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmmem.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>

#define NR_GRANTED	4
#define NR_REFS		(NR_GRANTED + 1)	/* the last is not granted */
#define RO_PAGE		2			/* granted read-only */
#define SELF		0			/* dom0 */

static unsigned int passed, failed;
static bool ref_lost;	/* a grant ended early: its reference is free */

static void check(bool ok, const char *name)
{
	if (ok)
		passed++;
	else
		failed++;
	pr_info("%s - %s\n", ok ? "ok" : "not ok", name);
}

static u8 pattern(unsigned int page, unsigned int off, u8 seed)
{
	return (u8)(seed + page * 31 + off * 7 + (off >> 8));
}

static bool page_is(struct page *page, unsigned int i, u8 seed)
{
	const u8 *p = page_address(page);
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off++)
		if (p[off] != pattern(i, off, seed))
			return false;
	return true;
}

static void fill(struct page **pages, u8 seed)
{
	unsigned int i, off;

	for (i = 0; i < NR_GRANTED; i++)
		for (off = 0; off < PAGE_SIZE; off++)
			((u8 *)page_address(pages[i]))[off] = pattern(i, off, seed);
}

/* run() checks each thing once per mode, and names the mode. */
static const char *mode;

static void mcheck(bool ok, const char *what)
{
	char name[128];

	snprintf(name, sizeof(name), "xen grants%s: %s", mode, what);
	check(ok, name);
}

/*
 * What a short copy costs through Xen's grant copy (from a buffer in the
 * direct map) against a map and an unmap (from a vmalloc buffer, which the
 * grant copy cannot name): one line of information, not a check; under
 * software emulation only the ratio means anything.
 */
static void copy_cost(struct vmmem *vm, u64 base, void *direct)
{
	static const unsigned int lens[] = { 64, 512 };
	u8 *vbuf = vmalloc(PAGE_SIZE);
	unsigned long left = 0;
	unsigned int i, k;
	u64 t0, t1, t2;

	if (!vbuf)
		return;
	for (k = 0; k < ARRAY_SIZE(lens); k++) {
		t0 = ktime_get_ns();
		for (i = 0; i < 2000; i++)
			left += vmmem_copy_from_guest(vm, base + 64, direct,
						      lens[k]);
		t1 = ktime_get_ns();
		for (i = 0; i < 2000; i++)
			left += vmmem_copy_from_guest(vm, base + 64, vbuf,
						      lens[k]);
		t2 = ktime_get_ns();
		pr_info("# grant copy / map + unmap, time of a %u-byte copy: %llu.%02llu\n",
			lens[k], (t1 - t0) / (t2 - t1),
			(t1 - t0) * 100 / (t2 - t1) % 100);
	}
	mcheck(!left, "timed copies all complete (grant copy and mapped)");
	vfree(vbuf);
}

static void run(struct vmmem *vm, grant_ref_t first, struct page **pages,
		u8 *buf, unsigned int flags)
{
	const u64 base = vmmem_xen_grant_addr(first);
	const size_t len = NR_GRANTED * PAGE_SIZE;
	struct vmmem_update remove;
	unsigned int i, off;
	bool same = true, kept;
	u32 v32;
	u64 v64;

	fill(pages, 1);
	mode = flags & VMMEM_XEN_PERSISTENT ? " (kept mapped)" : "";

	mcheck(vmmem_add_xen_grants(vm, SELF, first, 0, 0) == -EINVAL,
	       "no references -> EINVAL");
	mcheck(vmmem_add_xen_grants(vm, SELF, U32_MAX, 2, 0) == -EINVAL,
	       "references past 2^32 - 1 -> EINVAL");
	mcheck(vmmem_add_xen_grants(vm, SELF, first, NR_REFS, flags | 0x4) == -EINVAL,
	       "unknown region flags -> EINVAL");
	mcheck(!vmmem_add_xen_grants(vm, SELF, first, NR_REFS, flags),
	       "5 references added at their grant-DMA addresses");
	mcheck(vmmem_add_xen_grants(vm, SELF, first, 1, 0) == -EEXIST,
	       "the same range again -> EEXIST");

	mcheck(!vmmem_copy_from_guest(vm, base, buf, len),
	       "4 granted pages copied out");
	for (i = 0; i < NR_GRANTED; i++)
		for (off = 0; off < PAGE_SIZE; off++)
			same &= buf[i * PAGE_SIZE + off] == pattern(i, off, 1);
	mcheck(same, "the bytes are the frontend's");
	mcheck(vmmem_copy_from_guest(vm, base + 100, buf, len) == 100,
	       "a copy into the ungranted reference stops at its page");
	mcheck(vmmem_check_range(vm, base, len, VMMEM_READ),
	       "range check of the granted pages");
	if (flags & VMMEM_XEN_PERSISTENT) {
		/*
		 * Silent where it fails, as it must; had it ended the grant,
		 * it also gave the reference back to the free list.
		 */
		kept = !gnttab_try_end_foreign_access(first + 1);
		ref_lost |= !kept;
		mcheck(kept, "a page read stays mapped: its grant cannot end");
	}

	for (i = 0; i < NR_GRANTED; i++)
		for (off = 0; off < PAGE_SIZE; off++)
			buf[i * PAGE_SIZE + off] = pattern(i, off, 2);
	mcheck(vmmem_copy_to_guest(vm, base, buf, len) ==
	       (NR_GRANTED - RO_PAGE) * PAGE_SIZE,
	       "a copy in stops at the read-only grant");
	mcheck(page_is(pages[0], 0, 2) && page_is(pages[1], 1, 2),
	       "the frontend sees the pages written before it");
	mcheck(page_is(pages[RO_PAGE], RO_PAGE, 1) && page_is(pages[3], 3, 1),
	       "the read-only grant and the page after it are unchanged");

	mcheck(!vmmem_store(vm, base + 3 * PAGE_SIZE + 8, (u32)0x12345678) &&
	       *(u32 *)(page_address(pages[3]) + 8) == 0x12345678,
	       "a single store reaches the frontend's page");
	mcheck(!vmmem_load_acquire(vm, base + 3 * PAGE_SIZE + 8, &v32) &&
	       v32 == 0x12345678, "a single load reads it back");
	mcheck(vmmem_store(vm, base + RO_PAGE * PAGE_SIZE, (u32)1) == -EFAULT &&
	       !vmmem_load(vm, base + RO_PAGE * PAGE_SIZE, &v64),
	       "the read-only grant loads but refuses stores");
	mcheck(vmmem_load(vm, base + NR_GRANTED * PAGE_SIZE, &v64) == -EFAULT,
	       "the ungranted reference refuses loads");

	if (!(flags & VMMEM_XEN_PERSISTENT)) {
		/* Short pieces from a direct-map buffer: Xen's grant copy. */
		u8 *direct = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
		u8 *split = direct + PAGE_SIZE - 30;	/* two of our frames */

		fill(pages, 3);
		mcheck(direct &&
		       !vmmem_copy_from_guest(vm, base + PAGE_SIZE - 50, direct, 100) &&
		       !memcmp(direct, page_address(pages[0]) + PAGE_SIZE - 50, 50) &&
		       !memcmp(direct + 50, page_address(pages[1]), 50),
		       "short pieces copied out (grant copy)");
		if (direct)
			memset(split, 0x6b, 100);
		mcheck(direct &&
		       !vmmem_copy_to_guest(vm, base + 3 * PAGE_SIZE + 10, split, 100) &&
		       !memcmp(page_address(pages[3]) + 10, split, 100),
		       "a short piece copied in from two of our frames (grant copy)");
		mcheck(direct &&
		       vmmem_copy_to_guest(vm, base + RO_PAGE * PAGE_SIZE + 10,
					   direct, 100) == 100 &&
		       page_is(pages[RO_PAGE], RO_PAGE, 3),
		       "a grant copy into the read-only grant is refused");
		mcheck(direct &&
		       vmmem_copy_from_guest(vm, base + 4 * PAGE_SIZE - 30, direct,
					     60) == 30,
		       "a grant copy stops at the ungranted reference");
		if (direct)
			copy_cost(vm, base, direct);
		kfree(direct);
	}

	if (flags & VMMEM_XEN_PERSISTENT) {
		struct vmmem_slice held[2];
		unsigned int nr = ARRAY_SIZE(held);

		mcheck(vmmem_hold(vm, base + 4 * PAGE_SIZE - 8, 16, VMMEM_WRITE,
				  held, &nr) == -EFAULT,
		       "a hold into the ungranted reference -> EFAULT");
		nr = ARRAY_SIZE(held);
		if (!vmmem_hold(vm, base + PAGE_SIZE - 4, 8,
				VMMEM_READ | VMMEM_WRITE, held, &nr) &&
		    nr == 2) {
			memcpy(held[0].wptr, "abcd", 4);
			memcpy(held[1].wptr, "efgh", 4);
			vmmem_release(held, nr);
			mcheck(!memcmp(page_address(pages[0]) + PAGE_SIZE - 4,
				       "abcd", 4) &&
			       !memcmp(page_address(pages[1]), "efgh", 4),
			       "a held slice per page writes the frontend's pages");
		} else {
			mcheck(false, "a held slice per page writes the frontend's pages");
		}
	}

	remove = (struct vmmem_update){ .op = VMMEM_REMOVE, .gpa = base,
					.size = NR_REFS * PAGE_SIZE };
	mcheck(!vmmem_update(vm, &remove, 1), "the region removed");
}

static int __init vmmem_xen_test_init(void)
{
	struct page *pages[NR_GRANTED] = {};
	grant_ref_t first;
	struct vmmem *vm;
	bool ended = true, have_pages = true;
	unsigned int i;
	u8 *buf;

	if (!xen_pv_domain()) {
		check(false, "xen grants: not a PV domain");
		return 0;
	}
	buf = kvmalloc(NR_GRANTED * PAGE_SIZE, GFP_KERNEL);
	vm = vmmem_create("xen-test", 0);
	for (i = 0; i < NR_GRANTED; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		have_pages &= !!pages[i];
	}
	if (!buf || IS_ERR_OR_NULL(vm) || !have_pages ||
	    gnttab_alloc_grant_reference_seq(NR_REFS, &first)) {
		check(false, "xen grants: setup (memory, map, references)");
		goto out;
	}
	for (i = 0; i < NR_GRANTED; i++)
		gnttab_grant_foreign_access_ref(first + i, SELF,
						xen_page_to_gfn(pages[i]),
						i == RO_PAGE);

	run(vm, first, pages, buf, 0);
	run(vm, first, pages, buf, VMMEM_XEN_PERSISTENT);
	mode = "";

	/* A grant still mapped would not end: nothing may be left mapped. */
	for (i = 0; i < NR_GRANTED; i++)
		ended &= gnttab_end_foreign_access_ref(first + i);
	check(ended, "xen grants: every grant ends: no mapping left behind");
	if (ended && !ref_lost)
		gnttab_free_grant_reference_seq(first, NR_REFS);
	pr_info("# %u passed, %u failed\n", passed, failed);
out:
	if (!IS_ERR_OR_NULL(vm))
		vmmem_put(vm);
	for (i = 0; i < NR_GRANTED; i++)
		if (pages[i] && ended)
			__free_page(pages[i]);
	kvfree(buf);
	return 0;
}

static void __exit vmmem_xen_test_exit(void)
{
}

module_init(vmmem_xen_test_init);
module_exit(vmmem_xen_test_exit);
MODULE_DESCRIPTION("vmmem: Xen grants reached through vmmem, in a PV dom0");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VMMEM);
