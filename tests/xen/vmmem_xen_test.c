// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_xen_test: vmmem_add_xen_grants() against a real grant table, in
 * the Xen lane's PV dom0. As a frontend would, the module grants pages to
 * a domain (its own: dom0 may map its own grants), the third one
 * read-only and a fifth reference left ungranted; then, as a backend,
 * reaches them through vmmem at their grant-DMA addresses: copies both
 * ways, single accesses, a write to the read-only grant and an access to
 * the ungranted one refused at their page, and afterwards every grant
 * ends at once (a leaked mapping would keep it in use); translations to
 * bio_vecs, whose pages are lent pages with the grants' frames. All of it
 * twice:
 * mapping each page for each access, and keeping pages mapped between
 * accesses (persistent grants), where a page read stays mapped (its grant
 * cannot end) until the region is removed, and held slices write pages.
 *
 * Then vmmem_add_xen_foreign(), over frames mapped from "another domain"
 * as a VMM maps them: this module plays the VMM in insmod's address space
 * (privcmd mmap() and IOCTL_PRIVCMD_MMAPBATCH_V2). Xen lets a domain map
 * its own frames through the foreign interfaces only as DOMID_SELF, so the
 * frames are pages of ours, named by their machine frame numbers as a PV
 * domain's frames are (vmmem_xen_domu_test.c reaches a real domU's). What the VMM
 * writes through privcmd's mapping vmmem reads, and the other way round.
 *
 * Loading runs the checks and prints one "ok - NAME" or "not ok - NAME"
 * line per check to the kernel log; the module stays loaded until removed.
 */
#define pr_fmt(fmt) "vmmem_xen_test: " fmt

#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/timex.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/vmmem.h>
#include <xen/grant_table.h>
#include <xen/interface/memory.h>
#include <xen/interface/xen.h>
#include <xen/page.h>
#include <xen/privcmd.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "xen_test.h"

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

/*
 * @a / @b in hundredths. The clock of a PV domain under software
 * emulation may stand still across a short loop (a vCPU's clock is held
 * back to the last value any vCPU read): @b may be 0.
 */
static u64 ratio100(u64 a, u64 b)
{
	return div64_u64(a * 100, max_t(u64, b, 1));
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
 * software emulation only the ratio means anything. Counted in TSC cycles
 * on one CPU, as foreign_cost() is: the domain's clock may stand still.
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
		preempt_disable();
		t0 = get_cycles();
		for (i = 0; i < 2000; i++)
			left += vmmem_copy_from_guest(vm, base + 64, direct,
						      lens[k]);
		t1 = get_cycles();
		for (i = 0; i < 2000; i++)
			left += vmmem_copy_from_guest(vm, base + 64, vbuf,
						      lens[k]);
		t2 = get_cycles();
		preempt_enable();
		pr_info("# grant copy / map + unmap, TSC cycles of a %u-byte copy: %llu / %llu = %llu.%02llu\n",
			lens[k], (t1 - t0) / 2000, (t2 - t1) / 2000,
			ratio100(t1 - t0, t2 - t1) / 100,
			ratio100(t1 - t0, t2 - t1) % 100);
	}
	mcheck(!left, "timed copies all complete (grant copy and mapped)");
	vfree(vbuf);
}

/* The frame a page's bytes live in, as a device would DMA to it. */
static unsigned long page_mfn(struct page *page)
{
	return pfn_to_mfn(page_to_pfn(page));
}

/* Every lent page is a translation's: the next one finds none free. */
#define LENDS		(256 / NR_GRANTED)

/*
 * Translations to bio_vecs: the grants are mapped onto pages the region
 * lends, whose frames are the frontend's own (so DMA reaches them), in
 * one batch, and unmapped when the translation is released; what the
 * device writes there is the frontend's page. Refused: a write to the
 * read-only grant, the ungranted reference, more pages than are lent.
 */
static void translate_checks(struct vmmem *vm, u64 base, struct page **pages,
			     u8 *buf)
{
	static struct bio_vec bvs[LENDS + 1][NR_REFS];
	static struct vmmem_slice held[LENDS + 1][NR_REFS];
	static struct vmmem_bvecs bv[LENDS + 1];
	const size_t len = NR_GRANTED * PAGE_SIZE;
	unsigned int i, n = 0, frames = 0, off;
	struct iov_iter iter;
	struct page *page;
	bool same = true;
	u64 t0, t1, t2, t3, least[3] = { U64_MAX, U64_MAX, U64_MAX };
	long ret = 0;

	for (i = 0; i <= LENDS; i++)
		bv[i] = (struct vmmem_bvecs){ .bv = bvs[i], .held = held[i],
					      .max = NR_REFS };
	fill(pages, 4);
	if (vmmem_translate(vm, base, len, VMMEM_READ, &bv[0])) {
		mcheck(false, "4 granted pages translated to bio_vecs");
		return;
	}
	mcheck(bv[0].nr >= 1 && bv[0].nr <= NR_GRANTED && bv[0].nr_held == 1 &&
	       bv_page_at(&bv[0], NR_GRANTED - 1),
	       "4 granted pages translated to bio_vecs");
	for (i = 0; i < NR_GRANTED && bv_page_at(&bv[0], i); i++) {
		page = bv_page_at(&bv[0], i);
		same &= page_is(page, i, 4);
		frames += page_mfn(page) == page_mfn(pages[i]) &&
			  page != pages[i];
	}
	mcheck(same, "their pages hold the frontend's bytes");
	mcheck(frames == NR_GRANTED,
	       "their frames are the frontend's (what a device DMAs to)");
	iov_iter_bvec(&iter, ITER_SOURCE, bv[0].bv, bv[0].nr, len);
	same = copy_from_iter(buf, len, &iter) == len;
	for (i = 0; i < NR_GRANTED; i++)
		for (off = 0; off < PAGE_SIZE; off++)
			same &= buf[i * PAGE_SIZE + off] == pattern(i, off, 4);
	mcheck(same, "an ITER_BVEC over them reads the frontend's bytes");
	vmmem_untranslate(&bv[0]);

	if (!vmmem_translate(vm, base + 8, 2 * PAGE_SIZE - 16, VMMEM_WRITE,
			     &bv[0])) {
		memset(buf, 0x5a, PAGE_SIZE - 8);
		memset(buf + PAGE_SIZE - 8, 0xa5, PAGE_SIZE - 8);
		iov_iter_bvec(&iter, ITER_DEST, bv[0].bv, bv[0].nr,
			      2 * PAGE_SIZE - 16);
		same = copy_to_iter(buf, 2 * PAGE_SIZE - 16, &iter) ==
		       2 * PAGE_SIZE - 16;
		vmmem_untranslate(&bv[0]);
		mcheck(same && *(u8 *)(page_address(pages[0]) + 8) == 0x5a &&
		       *(u8 *)(page_address(pages[1]) + PAGE_SIZE - 9) == 0xa5 &&
		       *(u8 *)(page_address(pages[1]) + PAGE_SIZE - 8) ==
		       pattern(1, PAGE_SIZE - 8, 4),
		       "a device's writes through the bio_vecs reach the frontend");
	} else {
		mcheck(false, "a device's writes through the bio_vecs reach the frontend");
	}
	mcheck(vmmem_translate(vm, base, len, VMMEM_WRITE, &bv[0]) == -EFAULT &&
	       !bv[0].nr_held && page_is(pages[RO_PAGE], RO_PAGE, 4),
	       "a translation for writing over the read-only grant -> EFAULT");
	mcheck(vmmem_translate(vm, base + len - 8, 16, VMMEM_READ, &bv[0]) == -EFAULT &&
	       !bv[0].nr_held,
	       "a translation into the ungranted reference -> EFAULT");

	/* Each translation holds 4 of the 256 lent pages. */
	while (n < LENDS &&
	       !vmmem_translate(vm, base, len, VMMEM_READ, &bv[n]))
		n++;
	mcheck(n == LENDS && vmmem_translate(vm, base, PAGE_SIZE, VMMEM_READ,
					     &bv[LENDS]) == -EBUSY,
	       "every lent page in use: the next translation -> EBUSY");
	while (n)
		vmmem_untranslate(&bv[--n]);
	mcheck(!vmmem_translate(vm, base, len, VMMEM_READ, &bv[0]) &&
	       bv_page_at(&bv[0], 3) && page_is(bv_page_at(&bv[0], 3), 3, 4),
	       "released translations give their pages back");
	vmmem_untranslate(&bv[0]);

	/*
	 * What 4 pages cost each way, with the lent pages made: the least
	 * of 8 tries, as emulation stalls now and then.
	 */
	for (i = 0; i < 8; i++) {
		t0 = rdtsc_ordered();
		ret |= vmmem_translate(vm, base, len, VMMEM_READ, &bv[0]);
		t1 = rdtsc_ordered();
		if (!ret)
			vmmem_untranslate(&bv[0]);
		t2 = rdtsc_ordered();
		ret |= vmmem_copy_from_guest(vm, base, buf, len);
		t3 = rdtsc_ordered();
		least[0] = min(least[0], t1 - t0);
		least[1] = min(least[1], t2 - t1);
		least[2] = min(least[2], t3 - t2);
	}
	pr_info("# 4 grants%s, TSC cycles: translated %llu, released %llu; copied %llu\n",
		mode, least[0], least[1], least[2]);
	mcheck(!ret, "timed translations and copies complete");
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

	translate_checks(vm, base, pages, buf);

	remove = (struct vmmem_update){ .op = VMMEM_REMOVE, .gpa = base,
					.size = NR_REFS * PAGE_SIZE };
	mcheck(!vmmem_update(vm, &remove, 1), "the region removed");
}

#define NR_FOREIGN	3
#define FOREIGN_GPA	0x100000000ULL	/* where the frames go in the map */
#define NO_DOMAIN	1000		/* a domain that does not exist */

static void fcheck(bool ok, const char *what)
{
	char name[128];

	snprintf(name, sizeof(name), "xen foreign: %s", what);
	check(ok, name);
}

/*
 * The VMM's part, in insmod's address space: a privcmd mapping of @nr
 * frames of @domid at *@uaddr, with protection @prot. Returns the ioctl's
 * result (the first frame's own error in *@err0); *@uaddr is set whenever
 * the mmap() worked.
 */
static long privcmd_map(struct file *privcmd, u16 domid, const u64 *frames,
			unsigned int nr, unsigned long prot,
			unsigned long *uaddr, int *err0)
{
	struct privcmd_mmapbatch_v2 m = { .num = nr, .dom = domid };
	unsigned long scratch;
	long ret;

	*uaddr = vm_mmap(privcmd, 0, nr * PAGE_SIZE, prot, MAP_SHARED, 0);
	if (IS_ERR_VALUE(*uaddr)) {
		*uaddr = 0;
		return -ENOMEM;
	}
	/* The ioctl reads its arguments from user memory. */
	scratch = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(scratch))
		return -ENOMEM;
	m.addr = *uaddr;
	m.arr = (const xen_pfn_t __user *)(scratch + 64);
	m.err = (int __user *)(scratch + 64 + nr * sizeof(xen_pfn_t));
	BUILD_BUG_ON(sizeof(xen_pfn_t) != sizeof(u64));
	if (copy_to_user((void __user *)scratch, &m, sizeof(m)) ||
	    copy_to_user((void __user *)m.arr, frames, nr * sizeof(u64))) {
		ret = -EFAULT;
		goto out;
	}
	ret = privcmd->f_op->unlocked_ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2,
					    scratch);
	if (get_user(*err0, m.err))
		ret = -EFAULT;
out:
	vm_munmap(scratch, PAGE_SIZE);
	return ret;
}

/*
 * What the kernel's own page table walk makes of privcmd's entry for
 * machine frame @mfn (@what): the pfn it reports.
 */
static void privcmd_walk(unsigned long uaddr, u64 mfn, const char *what)
{
	struct follow_pfnmap_args args = { .address = uaddr };
	struct mm_struct *mm = current->mm;
	int ret;

	mmap_read_lock(mm);
	args.vma = vma_lookup(mm, uaddr);
	ret = args.vma ? follow_pfnmap_start(&args) : -ENOENT;
	if (!ret) {
		pr_info("# follow_pfnmap_start() on privcmd's entry for machine frame %#llx (%s): pfn %#lx\n",
			mfn, what, args.pfn);
		follow_pfnmap_end(&args);
	} else {
		pr_info("# follow_pfnmap_start() on privcmd's entry for machine frame %#llx (%s): %d\n",
			mfn, what, ret);
	}
	mmap_read_unlock(mm);
}

/*
 * A frame that is not ours, through privcmd as a VMM maps one: the first
 * frame of Xen's M2P table, which Xen owns and lets dom0 map for reading
 * (as DOMID_XEN). What follow_pfnmap_start() makes of its entry is what
 * it makes of any other owner's frame in a PV kernel.
 */
static void privcmd_other_owner(struct file *privcmd)
{
	struct xen_machphys_mfn_list list = { .max_extents = 1 };
	unsigned long uaddr = 0;
	xen_pfn_t mfn = 0;
	u64 frame;
	long ret;
	int err0 = 0;

	set_xen_guest_handle(list.extent_start, &mfn);
	ret = HYPERVISOR_memory_op(XENMEM_machphys_mfn_list, &list);
	if (ret || !list.nr_extents) {
		pr_info("# XENMEM_machphys_mfn_list: %ld\n", ret);
		return;
	}
	frame = mfn;
	ret = privcmd_map(privcmd, DOMID_XEN, &frame, 1, PROT_READ, &uaddr,
			  &err0);
	pr_info("# privcmd: Xen's M2P frame %#llx mapped as DOMID_XEN: %ld (frame: %d)\n",
		frame, ret, err0);
	if (!ret && !err0)
		privcmd_walk(uaddr, frame, "Xen's, not ours");
	if (uaddr)
		vm_munmap(uaddr, PAGE_SIZE);
}

static bool user_is(unsigned long uaddr, u8 *buf, size_t len, u8 seed)
{
	size_t i;

	if (copy_from_user(buf, (const void __user *)uaddr, len))
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != pattern(i / PAGE_SIZE, i % PAGE_SIZE, seed))
			return false;
	return true;
}

static bool buf_is(const u8 *buf, size_t len, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(i / PAGE_SIZE, i % PAGE_SIZE, seed))
			return false;
	return true;
}

static void fill_buf(u8 *buf, size_t len, u8 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(i / PAGE_SIZE, i % PAGE_SIZE, seed);
}

static int foreign_remove(struct vmmem *vm, u64 gpa, unsigned int nr)
{
	struct vmmem_update remove = {
		.op = VMMEM_REMOVE, .gpa = gpa, .size = (u64)nr << PAGE_SHIFT,
	};

	return vmmem_update(vm, &remove, 1);
}

/* Argument errors, each of which changes nothing. */
static void foreign_errors(struct vmmem *vm, const u64 *frames)
{
	u64 big[1] = { 1ULL << 40 };

	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames, 0,
				     0) == -EINVAL, "no frames -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, NULL, 1,
				     0) == -EINVAL, "no frame array -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_IO, frames, 1,
				     0) == -EINVAL,
	       "a reserved domain (DOMID_IO) -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, big, 1,
				     0) == -EINVAL,
	       "a frame number past 2^40 - 1 -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA + 1, DOMID_SELF, frames,
				     1, 0) == -EINVAL,
	       "a misaligned address -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames, 1,
				     0x4) == -EINVAL,
	       "unknown region flags -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, -PAGE_SIZE, DOMID_SELF, frames, 2,
				     0) == -EOVERFLOW,
	       "a range past 2^64 -> EOVERFLOW");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames, 1,
				     VMMEM_XEN_PERSISTENT |
				     VMMEM_XEN_MAP_ALL) == -EINVAL,
	       "kept and all mapped at once -> EINVAL");
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA + 1, DOMID_SELF, frames,
				     1, VMMEM_XEN_MAP_ALL) == -EINVAL,
	       "a misaligned address, all mapped -> EINVAL");
}

/* Copies and single accesses over the frames privcmd mapped at @uaddr. */
static void foreign_run(struct vmmem *vm, const u64 *frames,
			struct page **pages, unsigned long uaddr, u8 *buf,
			unsigned int flags)
{
	const size_t len = NR_FOREIGN * PAGE_SIZE;
	const char *kept = flags & VMMEM_XEN_PERSISTENT ? " (kept mapped)" :
			   flags & VMMEM_XEN_MAP_ALL ? " (all mapped)" : "";
	char what[96];
	u32 v32;

	fill_buf(buf, len, 5);
	snprintf(what, sizeof(what), "the frames added%s", kept);
	fcheck(!copy_to_user((void __user *)uaddr, buf, len) &&
	       !vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames,
				      NR_FOREIGN, flags), what);
	fcheck(vmmem_add_xen_foreign(vm, FOREIGN_GPA + PAGE_SIZE, DOMID_SELF,
				     frames, 1, flags) == -EEXIST,
	       "a range in use -> EEXIST");

	memset(buf, 0, len);
	snprintf(what, sizeof(what),
		 "vmmem reads what the VMM wrote through privcmd%s", kept);
	fcheck(!vmmem_copy_from_guest(vm, FOREIGN_GPA, buf, len) &&
	       buf_is(buf, len, 5), what);

	fill_buf(buf, len, 6);
	snprintf(what, sizeof(what),
		 "the VMM reads through privcmd what vmmem wrote%s", kept);
	fcheck(!vmmem_copy_to_guest(vm, FOREIGN_GPA, buf, len) &&
	       user_is(uaddr, buf, len, 6) && page_is(pages[1], 1, 6), what);

	fcheck(vmmem_copy_from_guest(vm, FOREIGN_GPA + len - 10, buf, 20) == 10,
	       "a copy stops where the frames end");
	snprintf(what, sizeof(what), "single store and load%s", kept);
	fcheck(!vmmem_store_release(vm, FOREIGN_GPA + 2 * PAGE_SIZE + 16,
				    (u32)0xfeedf00d) &&
	       !get_user(v32, (u32 __user *)(uaddr + 2 * PAGE_SIZE + 16)) &&
	       v32 == 0xfeedf00d &&
	       !vmmem_load(vm, FOREIGN_GPA + 2 * PAGE_SIZE + 16, &v32) &&
	       v32 == 0xfeedf00d, what);

	if (flags & VMMEM_XEN_PERSISTENT) {
		struct vmmem_slice held[2];
		unsigned int nr = ARRAY_SIZE(held);

		if (!vmmem_hold(vm, FOREIGN_GPA + PAGE_SIZE - 4, 8,
				VMMEM_READ | VMMEM_WRITE, held, &nr) &&
		    nr == 2) {
			memcpy(held[0].wptr, "wxyz", 4);
			memcpy(held[1].wptr, "1234", 4);
			vmmem_release(held, nr);
			fcheck(!memcmp(page_address(pages[0]) + PAGE_SIZE - 4,
				       "wxyz", 4) &&
			       !memcmp(page_address(pages[1]), "1234", 4),
			       "held slices write the frames (kept mapped)");
		} else {
			fcheck(false, "held slices write the frames (kept mapped)");
		}
	}
	snprintf(what, sizeof(what), "the region removed%s", kept);
	fcheck(!foreign_remove(vm, FOREIGN_GPA, NR_FOREIGN), what);
}

/*
 * What a 64-byte copy costs when each access maps and unmaps its frame,
 * against one whose frame stays mapped: one line of information, not a
 * check; under software emulation only the ratio means anything. Counted
 * in TSC cycles on one CPU: the domain's clock may stand still across the
 * faster loops.
 */
static void foreign_cost(struct vmmem *vm, const u64 *frames, u8 *buf)
{
	static const unsigned int flags[] = {
		0, VMMEM_XEN_PERSISTENT, VMMEM_XEN_MAP_ALL
	};
	unsigned long left = 0;
	u64 t[ARRAY_SIZE(flags)];
	unsigned int i, k;

	for (k = 0; k < ARRAY_SIZE(flags); k++) {
		if (vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames,
					  1, flags[k])) {
			fcheck(false, "timed copies: the frame added");
			return;
		}
		preempt_disable();
		t[k] = get_cycles();
		for (i = 0; i < 2000; i++)
			left += vmmem_copy_from_guest(vm, FOREIGN_GPA + 64, buf,
						      64);
		t[k] = get_cycles() - t[k];
		preempt_enable();
		foreign_remove(vm, FOREIGN_GPA, 1);
	}
	pr_info("# foreign frames, TSC cycles of a 64-byte copy: mapped per access %llu, kept mapped %llu, all mapped %llu\n",
		t[0] / 2000, t[1] / 2000, t[2] / 2000);
	pr_info("# foreign frames, time of a 64-byte copy, mapped per access / kept mapped: %llu.%02llu, / all mapped: %llu.%02llu\n",
		ratio100(t[0], t[1]) / 100, ratio100(t[0], t[1]) % 100,
		ratio100(t[0], t[2]) / 100, ratio100(t[0], t[2]) % 100);
	fcheck(!left, "timed copies all complete (each mode)");
}

/* Frames that Xen refuses to map, or maps read-only. */
static void foreign_refused(struct vmmem *vm, const u64 *frames, u8 *buf)
{
	u64 table[1];
	unsigned int level;
	pte_t *pte;
	u64 v64;

	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, NO_DOMAIN, frames, 1,
				      0) &&
	       vmmem_load(vm, FOREIGN_GPA, &v64) == -EFAULT &&
	       vmmem_copy_from_guest(vm, FOREIGN_GPA, buf, 64) == 64 &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "frames of a domain that does not exist fail the access");
	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, NO_DOMAIN, frames, 1,
				      VMMEM_XEN_MAP_ALL) &&
	       vmmem_load(vm, FOREIGN_GPA, &v64) == -EFAULT &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "frames of a domain that does not exist are holes (all mapped)");
	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, 0, frames, 1, 0) &&
	       vmmem_load(vm, FOREIGN_GPA, &v64) == -EFAULT &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "dom0 naming itself by its id (not DOMID_SELF) is refused by Xen");
	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames, 1,
				      VMMEM_REGION_RDONLY) &&
	       !vmmem_load(vm, FOREIGN_GPA, &v64) &&
	       vmmem_store(vm, FOREIGN_GPA, v64) == -EFAULT &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "a read-only region loads and refuses stores");

	/* A page table of ours: Xen maps it for reading only. */
	pte = lookup_address((unsigned long)buf, &level);
	if (!pte || level != PG_LEVEL_4K) {
		fcheck(false, "a page table frame maps for reading only");
		return;
	}
	table[0] = virt_to_gfn(pte);
	/* Were the write let through, it would write back what is there. */
	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, table, 1,
				      0) &&
	       !vmmem_load(vm, FOREIGN_GPA + 8, &v64) &&
	       vmmem_copy_to_guest(vm, FOREIGN_GPA + 8, &v64, 8) == 8 &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "a page table frame maps for reading only (Xen refuses writing)");
	fcheck(!vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, table, 1,
				      VMMEM_XEN_MAP_ALL) &&
	       !vmmem_load(vm, FOREIGN_GPA + 8, &v64) &&
	       vmmem_copy_to_guest(vm, FOREIGN_GPA + 8, &v64, 8) == 8 &&
	       !foreign_remove(vm, FOREIGN_GPA, 1),
	       "a page table frame is mapped for reading only (all mapped)");
}

static void foreign(struct vmmem *vm, u8 *buf)
{
	struct page *pages[NR_FOREIGN] = {};
	u64 frames[NR_FOREIGN];
	struct file *privcmd;
	unsigned long uaddr = 0, self = 0;
	struct page *pinned;
	char what[48];
	unsigned int i;
	long ret;
	int err0 = 0;

	for (i = 0; i < NR_FOREIGN; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			fcheck(false, "setup (pages)");
			goto free;
		}
		frames[i] = xen_page_to_gfn(pages[i]);
	}
	foreign_errors(vm, frames);

	privcmd = filp_open("/dev/xen/privcmd", O_RDWR, 0);
	if (IS_ERR(privcmd)) {
		fcheck(false, "open /dev/xen/privcmd");
		goto free;
	}
	/* Xen refuses a domain that names itself; privcmd passes that on. */
	ret = privcmd_map(privcmd, 0, frames, 1, PROT_READ | PROT_WRITE, &self,
			  &err0);
	pr_info("# privcmd: dom0's frame mapped as domain 0: %ld (frame: %d)\n",
		ret, err0);
	if (self)
		vm_munmap(self, PAGE_SIZE);
	ret = privcmd_map(privcmd, DOMID_SELF, frames, NR_FOREIGN,
			  PROT_READ | PROT_WRITE, &uaddr, &err0);
	fcheck(!ret && !err0, "privcmd maps our frames (DOMID_SELF), as a VMM maps a guest's");
	if (ret)
		goto close;
	fcheck(pin_user_pages_fast(uaddr, 1, FOLL_WRITE | FOLL_LONGTERM,
				   &pinned) == -EFAULT,
	       "pin_user_pages() refuses privcmd's mapping (VM_IO | VM_PFNMAP)");
	snprintf(what, sizeof(what), "our page, pfn %#lx", page_to_pfn(pages[0]));
	privcmd_walk(uaddr, frames[0], what);
	privcmd_other_owner(privcmd);
	fill_buf(buf, NR_FOREIGN * PAGE_SIZE, 4);
	fcheck(!copy_to_user((void __user *)uaddr, buf, NR_FOREIGN * PAGE_SIZE) &&
	       page_is(pages[0], 0, 4) && page_is(pages[2], 2, 4),
	       "privcmd's mapping reaches our pages");

	foreign_run(vm, frames, pages, uaddr, buf, 0);
	foreign_run(vm, frames, pages, uaddr, buf, VMMEM_XEN_PERSISTENT);
	foreign_run(vm, frames, pages, uaddr, buf, VMMEM_XEN_MAP_ALL);
	foreign_refused(vm, frames, buf);
	foreign_cost(vm, frames, buf);

	/* vmmem maps the frames itself: the VMM's mapping may go first. */
	fill_buf(buf, NR_FOREIGN * PAGE_SIZE, 7);
	for (i = 0; i < NR_FOREIGN; i++)
		memcpy(page_address(pages[i]), buf + i * PAGE_SIZE, PAGE_SIZE);
	memset(buf, 0, NR_FOREIGN * PAGE_SIZE);
	ret = vmmem_add_xen_foreign(vm, FOREIGN_GPA, DOMID_SELF, frames,
				    NR_FOREIGN, 0);
	vm_munmap(uaddr, NR_FOREIGN * PAGE_SIZE);
	uaddr = 0;
	fcheck(!ret && !vmmem_copy_from_guest(vm, FOREIGN_GPA, buf,
					      NR_FOREIGN * PAGE_SIZE) &&
	       buf_is(buf, NR_FOREIGN * PAGE_SIZE, 7) &&
	       !foreign_remove(vm, FOREIGN_GPA, NR_FOREIGN),
	       "the region reads the frames after the VMM unmapped them");
close:
	if (uaddr)
		vm_munmap(uaddr, NR_FOREIGN * PAGE_SIZE);
	filp_close(privcmd, NULL);
free:
	for (i = 0; i < NR_FOREIGN; i++)
		if (pages[i])
			__free_page(pages[i]);
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

	foreign(vm, buf);
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
MODULE_DESCRIPTION("vmmem: Xen grants and foreign frames reached through vmmem, in a PV dom0");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VMMEM);
