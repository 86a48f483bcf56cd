// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_xen_domu_test: vmmem_add_xen_grants() and vmmem_add_xen_foreign()
 * over the memory of a real second domain, in the Xen lane's PV dom0.
 * tests/xen/domu-run starts a small PV domU whose vmmem_xen_domu module
 * grants dom0 NR_GRANTED pages (the third read-only, one more reference
 * after them ungranted) and publishes the references and the pages'
 * frame numbers; this module gets them as parameters and, as a backend
 * and then as a VMM, reaches the pages through vmmem:
 *
 *   - through the grants: the domU's bytes copied out, a copy into the
 *     ungranted reference stopped at its page, 64-byte pieces by Xen's
 *     grant copy, dom0's bytes written to pages 0 and 1, writes to the
 *     read-only grant refused (a copy stops there, a store fails), reads
 *     of it allowed;
 *   - translations to bio_vecs: pages lent by vmmem whose frames are the
 *     domU's, read and written through an iov_iter, and a write
 *     translation over the read-only grant refused;
 *   - through the frames, as a VMM maps them (vmmem_add_xen_foreign()):
 *     what was written through the grants read back by the second route,
 *     dom0's bytes written to page 3 and read back through the grants, a
 *     frame the domU does not own refused;
 *   - once more with pages kept mapped (persistent grants) and with every
 *     frame mapped at once (VMMEM_XEN_MAP_ALL).
 *
 * Every region is gone when loading returns: the domU then checks what
 * dom0 wrote and that every grant ends. One "ok - NAME" or "not ok - NAME"
 * line per check goes to the kernel log; the module stays loaded until
 * removed.
 */
#define pr_fmt(fmt) "vmmem_xen_domu_test: " fmt

#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmmem.h>
#include <xen/page.h>
#include <xen/xen.h>

#include "xen_test.h"

#define NR_GRANTED	4
#define NR_REFS		(NR_GRANTED + 1)	/* the last is not granted */
#define RO_PAGE		2			/* granted read-only */
#define SEED_DOMU	1	/* what the domU wrote */
#define SEED_DOM0	2	/* what this module writes */
#define FOREIGN_GPA	0x100000000ULL		/* where the frames go */
#define NOT_OWNED_GPA	(FOREIGN_GPA + 16 * PAGE_SIZE)

static unsigned short domid;
module_param(domid, ushort, 0444);
MODULE_PARM_DESC(domid, "the domU");

static unsigned int first_ref;
module_param(first_ref, uint, 0444);
MODULE_PARM_DESC(first_ref, "the domU's first grant reference");

static unsigned int refs;
module_param(refs, uint, 0444);
MODULE_PARM_DESC(refs, "how many references from first_ref (5)");

static u64 frames[NR_GRANTED];
static unsigned int nr_frames;
module_param_array(frames, ullong, &nr_frames, 0444);
MODULE_PARM_DESC(frames, "the granted pages' frame numbers in the domU");

static unsigned int passed, failed;

static void check(bool ok, const char *name)
{
	if (ok)
		passed++;
	else
		failed++;
	pr_info("%s - xen domU %s\n", ok ? "ok" : "not ok", name);
}

static void fill(u8 *buf, unsigned int page, u8 seed)
{
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off++)
		buf[off] = pattern(page, off, seed);
}

/* Whether @buf holds page @page of @seed's pattern. */
static bool holds(const u8 *buf, unsigned int page, u8 seed)
{
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off++)
		if (buf[off] != pattern(page, off, seed))
			return false;
	return true;
}

/* What each page holds once dom0 has written: see vmmem_xen_domu.c. */
static const u8 final_seed[NR_GRANTED] = {
	SEED_DOM0, SEED_DOM0, SEED_DOMU, SEED_DOM0
};

/* Whether the @nr pages at @gpa read back as final_seed says. */
static bool reads_final(struct vmmem *vm, u64 gpa, u8 *buf)
{
	unsigned int i;
	bool same = true;

	if (vmmem_copy_from_guest(vm, gpa, buf, NR_GRANTED * PAGE_SIZE))
		return false;
	for (i = 0; i < NR_GRANTED; i++)
		same &= holds(buf + i * PAGE_SIZE, i, final_seed[i]);
	return same;
}

static int remove(struct vmmem *vm, u64 gpa, unsigned int nr)
{
	struct vmmem_update up = {
		.op = VMMEM_REMOVE, .gpa = gpa, .size = (u64)nr << PAGE_SHIFT,
	};

	return vmmem_update(vm, &up, 1);
}

/* Whether @len bytes at @buf are page @page's from @off in @seed's pattern. */
static bool piece_is(const u8 *buf, unsigned int page, unsigned int off,
		     unsigned int len, u8 seed)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(page, off + i, seed))
			return false;
	return true;
}

/*
 * Pieces of 9 to 512 bytes from or into a buffer in the direct map go by
 * Xen's grant copy, not by a mapping: a 64-byte piece read, one written
 * into page 1 (read back whole, by a mapping) and one refused by the
 * read-only grant.
 */
static void short_pieces(struct vmmem *vm, u8 *buf)
{
	const u64 base = vmmem_xen_grant_addr(first_ref);
	u8 *piece = kmalloc(64, GFP_KERNEL);
	unsigned int off;

	if (!piece) {
		check(false, "grants: 64-byte copies (no buffer)");
		return;
	}
	check(!vmmem_copy_from_guest(vm, base + 3 * PAGE_SIZE + 100, piece, 64) &&
	      piece_is(piece, 3, 100, 64, SEED_DOMU),
	      "grants: a 64-byte copy out (Xen's grant copy) reads the domU's bytes");
	for (off = 0; off < 64; off++)
		piece[off] = pattern(1, 256 + off, SEED_DOM0);
	check(!vmmem_copy_to_guest(vm, base + PAGE_SIZE + 256, piece, 64) &&
	      !vmmem_copy_from_guest(vm, base + PAGE_SIZE, buf, PAGE_SIZE) &&
	      piece_is(buf, 1, 0, 256, SEED_DOMU) &&
	      piece_is(buf + 256, 1, 256, 64, SEED_DOM0) &&
	      piece_is(buf + 320, 1, 320, PAGE_SIZE - 320, SEED_DOMU),
	      "grants: a 64-byte copy in (Xen's grant copy) writes those bytes only");
	check(vmmem_copy_to_guest(vm, base + RO_PAGE * PAGE_SIZE + 256, piece,
				  64) == 64,
	      "grants: a 64-byte copy into the read-only grant is refused");
	kfree(piece);
}

static void by_grants(struct vmmem *vm, u8 *buf)
{
	const u64 base = vmmem_xen_grant_addr(first_ref);
	const size_t len = NR_GRANTED * PAGE_SIZE;
	unsigned int i;
	bool same = true;
	u64 v64;

	check(!vmmem_add_xen_grants(vm, domid, first_ref, NR_REFS, 0),
	      "grants: 5 references added at their grant-DMA addresses");
	check(!vmmem_copy_from_guest(vm, base, buf, len),
	      "grants: 4 granted pages copied out");
	for (i = 0; i < NR_GRANTED; i++)
		same &= holds(buf + i * PAGE_SIZE, i, SEED_DOMU);
	check(same, "grants: the bytes are the ones the domU wrote");
	check(vmmem_copy_from_guest(vm, base + 100, buf, len) == 100,
	      "grants: a copy into the ungranted reference stops at its page");
	check(vmmem_load(vm, base + NR_GRANTED * PAGE_SIZE, &v64) == -EFAULT,
	      "grants: the ungranted reference refuses loads");
	short_pieces(vm, buf);

	for (i = 0; i < NR_GRANTED; i++)
		fill(buf + i * PAGE_SIZE, i, SEED_DOM0);
	check(vmmem_copy_to_guest(vm, base, buf, len) ==
	      (NR_GRANTED - RO_PAGE) * PAGE_SIZE,
	      "grants: a copy in writes pages 0 and 1, stops at the read-only grant");
	check(vmmem_store(vm, base + RO_PAGE * PAGE_SIZE + 8, (u32)1) == -EFAULT,
	      "grants: the read-only grant refuses a store");
	check(!vmmem_copy_from_guest(vm, base + RO_PAGE * PAGE_SIZE, buf,
				     PAGE_SIZE) &&
	      holds(buf, RO_PAGE, SEED_DOMU),
	      "grants: the read-only grant still reads the domU's bytes");
}

/* After by_grants(): pages 0 and 1 hold dom0's bytes, 2 and 3 the domU's. */
static void by_translation(struct vmmem *vm, u8 *buf)
{
	static const u8 seed[NR_GRANTED] = {
		SEED_DOM0, SEED_DOM0, SEED_DOMU, SEED_DOMU
	};
	const u64 base = vmmem_xen_grant_addr(first_ref);
	struct bio_vec bvs[NR_GRANTED];
	struct vmmem_slice held[NR_GRANTED];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = NR_GRANTED };
	unsigned int i, domu_frames = 0;
	struct iov_iter iter;
	struct page *page;
	bool same = true;

	if (vmmem_translate(vm, base, NR_GRANTED * PAGE_SIZE, VMMEM_READ, &bv)) {
		check(false, "translation: the 4 granted pages to bio_vecs");
		return;
	}
	check(bv_page_at(&bv, NR_GRANTED - 1),
	      "translation: the 4 granted pages to bio_vecs");
	for (i = 0; i < NR_GRANTED && bv_page_at(&bv, i); i++) {
		page = bv_page_at(&bv, i);
		same &= holds(page_address(page), i, seed[i]);
		domu_frames += pfn_to_mfn(page_to_pfn(page)) == frames[i];
	}
	check(same, "translation: the pages hold the domU's bytes and dom0's");
	check(domu_frames == NR_GRANTED,
	      "translation: each page's frame is the domU's (what a device DMAs to)");
	vmmem_untranslate(&bv);

	if (!vmmem_translate(vm, base + PAGE_SIZE, PAGE_SIZE, VMMEM_WRITE, &bv)) {
		fill(buf, 1, 5);
		iov_iter_bvec(&iter, ITER_DEST, bv.bv, bv.nr, PAGE_SIZE);
		same = copy_to_iter(buf, PAGE_SIZE, &iter) == PAGE_SIZE;
		vmmem_untranslate(&bv);
		memset(buf, 0, PAGE_SIZE);
		check(same && !vmmem_copy_from_guest(vm, base + PAGE_SIZE, buf,
						     PAGE_SIZE) &&
		      holds(buf, 1, 5),
		      "translation: a device's write through the bio_vecs reaches the domU");
		/* Page 1 as by_grants() left it, for the domU's check. */
		fill(buf, 1, SEED_DOM0);
		check(!vmmem_copy_to_guest(vm, base + PAGE_SIZE, buf, PAGE_SIZE),
		      "translation: page 1 written back as it was");
	} else {
		check(false, "translation: a device's write through the bio_vecs reaches the domU");
	}
	check(vmmem_translate(vm, base, NR_GRANTED * PAGE_SIZE, VMMEM_WRITE,
			      &bv) == -EFAULT && !bv.nr_held,
	      "translation: for writing over the read-only grant -> EFAULT");
}

static void by_frames(struct vmmem *vm, u8 *buf)
{
	const u64 base = vmmem_xen_grant_addr(first_ref);
	struct page *ours = alloc_page(GFP_KERNEL);
	u64 not_owned, v64;
	unsigned int i;
	bool same = true;

	check(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, domid, frames,
				     NR_GRANTED, 0),
	      "frames: the domU's 4 frames added");
	check(!vmmem_copy_from_guest(vm, FOREIGN_GPA, buf,
				     NR_GRANTED * PAGE_SIZE),
	      "frames: 4 pages copied out");
	for (i = 0; i < NR_GRANTED; i++)
		same &= holds(buf + i * PAGE_SIZE, i, i < RO_PAGE ?
			      SEED_DOM0 : SEED_DOMU);
	check(same,
	      "frames: pages 0, 1 as written through the grants, 2, 3 the domU's");

	fill(buf, 3, SEED_DOM0);
	check(!vmmem_copy_to_guest(vm, FOREIGN_GPA + 3 * PAGE_SIZE, buf,
				   PAGE_SIZE),
	      "frames: page 3 written");
	check(!vmmem_copy_from_guest(vm, base + 3 * PAGE_SIZE, buf, PAGE_SIZE) &&
	      holds(buf, 3, SEED_DOM0),
	      "grants: page 3 reads what was written through the frame");

	/* A page of dom0's own, named as the domU's: Xen checks the owner. */
	if (!ours) {
		check(false, "frames: a frame the domU does not own is refused (no page)");
		return;
	}
	not_owned = xen_page_to_gfn(ours);
	check(!vmmem_add_xen_foreign(vm, NOT_OWNED_GPA, domid, &not_owned, 1, 0) &&
	      vmmem_load(vm, NOT_OWNED_GPA, &v64) == -EFAULT &&
	      !remove(vm, NOT_OWNED_GPA, 1),
	      "frames: a frame the domU does not own is refused");
	__free_page(ours);
}

/* Both routes again, pages kept mapped between accesses or all mapped. */
static void once_more(struct vmmem *vm, u8 *buf)
{
	const u64 base = vmmem_xen_grant_addr(first_ref);

	check(!remove(vm, base, NR_REFS) &&
	      !vmmem_add_xen_grants(vm, domid, first_ref, NR_REFS,
				    VMMEM_XEN_PERSISTENT) &&
	      reads_final(vm, base, buf) && !remove(vm, base, NR_REFS),
	      "grants (kept mapped): the 4 pages read as dom0 left them, region removed");
	check(!remove(vm, FOREIGN_GPA, NR_GRANTED) &&
	      !vmmem_add_xen_foreign(vm, FOREIGN_GPA, domid, frames,
				     NR_GRANTED, VMMEM_XEN_MAP_ALL) &&
	      reads_final(vm, FOREIGN_GPA, buf) &&
	      !remove(vm, FOREIGN_GPA, NR_GRANTED),
	      "frames (all mapped): the 4 pages read as dom0 left them, region removed");
}

static int __init vmmem_xen_domu_test_init(void)
{
	struct vmmem *vm;
	u8 *buf;

	if (!xen_initial_domain() || !domid || refs != NR_REFS ||
	    nr_frames != NR_GRANTED) {
		check(false, "setup: dom0, a domU, 5 references and 4 frames");
		return 0;
	}
	buf = kvmalloc(NR_GRANTED * PAGE_SIZE, GFP_KERNEL);
	vm = vmmem_create("xen-domu", 0);
	if (!buf || IS_ERR_OR_NULL(vm)) {
		check(false, "setup: memory and a map");
	} else {
		by_grants(vm, buf);
		by_translation(vm, buf);
		by_frames(vm, buf);
		once_more(vm, buf);
	}
	pr_info("# %u passed, %u failed\n", passed, failed);
	if (!IS_ERR_OR_NULL(vm))
		vmmem_put(vm);
	kvfree(buf);
	return 0;
}

static void __exit vmmem_xen_domu_test_exit(void)
{
}

module_init(vmmem_xen_domu_test_init);
module_exit(vmmem_xen_domu_test_exit);
MODULE_DESCRIPTION("vmmem: a second domain's grants and frames reached through vmmem, in a PV dom0");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VMMEM);
