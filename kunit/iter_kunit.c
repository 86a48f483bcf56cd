// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_iter: copies through iov_iters (kernel and user), and zero-copy
 * translation to bio_vecs and scatterlists, on the fixture layout (see
 * fixture.h) for every backing.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

#define BUF	(6 * PAGE_SIZE)

struct iter_case {
	const char *desc;
	u64 gpa;
	size_t len;
	size_t iter_len;	/* room in the iterator */
	size_t copied;
	bool to_guest;
};

static const struct iter_case iter_cases[] = {
	{ "to iter, one region", FX_A + 10, 100, 200, 100, false },
	{ "to iter, three regions", FX_A + 8, 5 * FX_P - 16, BUF, 5 * FX_P - 16, false },
	{ "to iter, short iterator", FX_B - 8, 64, 16, 16, false },
	{ "to iter, into a hole", FX_C + FX_P - 8, 64, BUF, 8, false },
	{ "to iter, starts in a hole", FX_HOLE, 64, BUF, 0, false },
	{ "to iter, zero length", FX_HOLE, 0, BUF, 0, false },
	{ "to iter, runs into 2^64", 0 - 16ULL, 64, BUF, 16, false },
	{ "from iter, one region", FX_B + 1, 300, BUF, 300, true },
	{ "from iter, across regions", FX_A + FX_A_SIZE - 5, 10, BUF, 10, true },
	{ "from iter, into read-only", FX_C - 8, 16, BUF, 8, true },
	{ "from iter, short iterator", FX_A, 64, 40, 40, true },
	{ "from iter, into a hole", FX_E + FX_P - 4, 16, BUF, 4, true },
};

KUNIT_ARRAY_PARAM_DESC(iter, iter_cases, desc);

/* kvec iterators: count and bytes after every call. */
static void vmmem_iter_kvec(struct kunit *test)
{
	const struct iter_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	u8 *buf = kunit_kzalloc(test, BUF, GFP_KERNEL);
	struct kvec kv = { .iov_base = buf, .iov_len = c->iter_len };
	struct iov_iter iter;
	size_t i, n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < BUF; i++)
		buf[i] = ~fx_pattern(c->gpa + i);
	iov_iter_kvec(&iter, c->to_guest ? ITER_SOURCE : ITER_DEST, &kv, 1, c->iter_len);
	n = c->to_guest ? vmmem_copy_from_iter(vm, c->gpa, &iter, c->len) :
			  vmmem_copy_to_iter(vm, c->gpa, &iter, c->len);
	KUNIT_EXPECT_EQ(test, n, c->copied);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), c->iter_len - c->copied);
	if (c->to_guest) {
		u8 *back = kunit_kzalloc(test, BUF, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, back);
		KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, c->gpa, back, n));
		KUNIT_EXPECT_EQ(test, 0, memcmp(back, buf, n));
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, FX_C_SIZE));
	} else {
		KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, n));
		if (n < c->iter_len)
			KUNIT_EXPECT_EQ(test, buf[n], (u8)~fx_pattern(c->gpa + n));
	}
}

/*
 * A bvec iterator over a kernel page. A short copy advances the iterator by
 * exactly what it copied, so the all-or-nothing recipe (iov_iter_revert()
 * by the return value) puts it back where it was.
 */
static void vmmem_iter_bvec_and_revert(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	unsigned long bits = 0;
	struct bio_vec bv;
	struct iov_iter iter;
	size_t done;

	KUNIT_ASSERT_NOT_NULL(test, page);
	bvec_set_page(&bv, page, 256, 100);
	iov_iter_bvec(&iter, ITER_DEST, &bv, 1, 256);
	KUNIT_EXPECT_EQ(test, 256, vmmem_copy_to_iter(vm, FX_B - 128, &iter, 256));
	KUNIT_EXPECT_TRUE(test, fx_matches(page_address(page) + 100, FX_B - 128, 256));

	iov_iter_bvec(&iter, ITER_DEST, &bv, 1, 256);
	KUNIT_EXPECT_EQ(test, 64, vmmem_copy_to_iter(vm, FX_A, &iter, 64));
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 192);
	done = vmmem_copy_to_iter(vm, FX_HOLE - 8, &iter, 64);
	KUNIT_EXPECT_EQ(test, done, 8);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 184);
	iov_iter_revert(&iter, done);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 192);
	/* The next copy goes where the failed one started. */
	KUNIT_EXPECT_EQ(test, 8, vmmem_copy_to_iter(vm, FX_E, &iter, 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(page_address(page) + 100 + 64, FX_E, 8));

	iov_iter_bvec(&iter, ITER_SOURCE, &bv, 1, 256);
	done = vmmem_copy_from_iter(vm, FX_C - 8, &iter, 64);
	KUNIT_EXPECT_EQ(test, done, 8);
	iov_iter_revert(&iter, done);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 256);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, FX_C_SIZE));

	/* Writes from an iterator are dirty-logged, page by page. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 64, vmmem_copy_from_iter(vm, FX_E, &iter, 64));
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), 192);
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, 64, vmmem_copy_from_iter(vm, FX_A + FX_P - 32, &iter, 64));
	KUNIT_EXPECT_EQ(test, 2, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));
	__free_page(page);
}

/*
 * Guest to user memory of the test's own mm through a ubuf iterator, as a
 * caller copies to a __user pointer. Returns the bytes not copied; the
 * iterator has advanced by the rest.
 */
static size_t to_user(struct kunit *test, struct vmmem *vm, void __user *udst,
		      u64 gpa, size_t len)
{
	struct iov_iter iter;
	size_t done;

	iov_iter_ubuf(&iter, ITER_DEST, udst, len);
	done = vmmem_copy_to_iter(vm, gpa, &iter, len);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), len - done);
	return len - done;
}

static size_t from_user(struct kunit *test, struct vmmem *vm, u64 gpa,
			const void __user *usrc, size_t len)
{
	struct iov_iter iter;
	size_t done;

	iov_iter_ubuf(&iter, ITER_SOURCE, (void __user *)usrc, len);
	done = vmmem_copy_from_iter(vm, gpa, &iter, len);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), len - done);
	return len - done;
}

/* User buffers of the test's own mm, through ubuf iterators. */
static void vmmem_user_buffers(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	unsigned long uaddr = fx_user_map(test, 2 * FX_P, PROT_READ | PROT_WRITE,
					  MAP_ANONYMOUS | MAP_PRIVATE);
	void __user *ubuf = (void __user *)uaddr;
	u8 *back = kunit_kzalloc(test, 2 * FX_P, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_ASSERT_TRUE(test, access_ok(ubuf, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 0, to_user(test, vm, ubuf, FX_A + 3, 2 * FX_P));
	KUNIT_ASSERT_EQ(test, 0, copy_from_user(back, ubuf, 2 * FX_P));
	KUNIT_EXPECT_TRUE(test, fx_matches(back, FX_A + 3, 2 * FX_P));
	/* A hole in the guest range: the rest is not copied. */
	KUNIT_EXPECT_EQ(test, 2 * FX_P - 8, to_user(test, vm, ubuf, FX_HOLE - 8, 2 * FX_P));

	/* User to guest, stopping at read-only memory. */
	KUNIT_EXPECT_EQ(test, 8, from_user(test, vm, FX_C - 8, ubuf, 16));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, FX_C_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, FX_C - 8, back, 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(back, FX_HOLE - 8, 8));

	/* A user buffer whose second page is gone: partial, then nothing. */
	KUNIT_ASSERT_EQ(test, 0, vm_munmap(uaddr + FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, FX_P, to_user(test, vm, ubuf, FX_A, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 16, from_user(test, vm, FX_A, ubuf + FX_P, 16));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A, 16));
	/* Not user memory at all: the uaccess checks still apply. */
	KUNIT_EXPECT_EQ(test, 16, to_user(test, vm, (void __user *)TASK_SIZE, FX_A, 16));
}

static void vmmem_translate_reads(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct bio_vec bvs[16];
	struct vmmem_slice held[16];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = ARRAY_SIZE(bvs) };
	u8 *buf = kunit_kzalloc(test, 5 * FX_P, GFP_KERNEL);
	struct iov_iter iter;
	struct sg_table sgt;
	struct scatterlist *sg;
	unsigned int i, total = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_A + 100, 5 * FX_P - 200,
						 VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr_held, 3);
	/* Five pages; how many bio_vecs depends on physical contiguity. */
	KUNIT_EXPECT_GE(test, bv.nr, 1);
	KUNIT_EXPECT_LE(test, bv.nr, 5);
	KUNIT_EXPECT_EQ(test, fx_bvecs_mismatches(&bv, FX_A + 100), 0);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 2);

	/* An ITER_BVEC over the translation reads guest memory. */
	iov_iter_bvec(&iter, ITER_SOURCE, bv.bv, bv.nr, 5 * FX_P - 200);
	KUNIT_EXPECT_EQ(test, 5 * FX_P - 200, copy_from_iter(buf, 5 * FX_P - 200, &iter));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_A + 100, 5 * FX_P - 200));

	/* And a scatterlist with the same pages. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_bvecs_to_sgtable(&bv, &sgt, GFP_KERNEL));
	for_each_sgtable_sg(&sgt, sg, i) {
		KUNIT_EXPECT_PTR_EQ(test, sg_page(sg), bv.bv[i].bv_page);
		total += sg->length;
	}
	KUNIT_EXPECT_EQ(test, total, 5 * FX_P - 200);
	sg_free_table(&sgt);

	/* Removed while translated: still readable, released afterwards. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, fx_bvecs_mismatches(&bv, FX_A + 100), 0);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, bv.nr, 0);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
}

static void vmmem_translate_errors(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = ARRAY_SIZE(bvs) };
	unsigned long bits = 0;
	struct sg_table sgt;

	/* A hole, or writing read-only memory: -EFAULT, nothing held. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_translate(vm, FX_E - 8, 16, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_translate(vm, FX_C - 8, 16, VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr_held, 0);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_E), 1);

	/*
	 * After -ENOBUFS, @nr counts bio_vecs that were never filled (nor is
	 * there room for them): no scatterlist can be built from it.
	 */
	bv.max = 1;
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_translate(vm, FX_A, FX_A_SIZE + FX_B_SIZE,
							VMMEM_READ, &bv));
	KUNIT_EXPECT_GT(test, bv.nr, 1);
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_bvecs_to_sgtable(&bv, &sgt, GFP_KERNEL));
	bv.max = ARRAY_SIZE(bvs);

	/* A writable translation is dirty-logged when released. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_E + 8, 16, VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, &bits));
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, &bits));
}

/* Adds @n pages an in-kernel provider owns at @gpa. */
static int add_pages(struct vmmem *vm, u64 gpa, struct page **pages,
		     unsigned long n)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.gpa = gpa,
		.size = n * PAGE_SIZE,
		.pages = pages,
	};

	return vmmem_update(vm, &up, 1);
}

/* Four physically contiguous pages, each freed with __free_page(). */
static void contiguous_pages(struct kunit *test, struct page *pages[4])
{
	struct page *head = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, head);
	split_page(head, 2);
	for (i = 0; i < 4; i++)
		pages[i] = nth_page(head, i);
}

/*
 * The bio_vec count of a range of 2^32 pages or more stops at UINT_MAX
 * instead of wrapping to 0, from where a merge wrote bio_vec -1.
 */
static void vmmem_translate_count_saturates(struct kunit *test)
{
	struct bio_vec slots[3] = {};
	struct vmmem_bvecs bv = { .bv = &slots[1], .max = 1 };
	struct page *pages[4];

	contiguous_pages(test, pages);
	bv.nr = UINT_MAX - 1;
	/* Page 0, then 1 2 3: one more bio_vec, and two merges into it. */
	vmmem_kunit_bvec_add_pages(&bv, pages, 1);
	vmmem_kunit_bvec_add_pages(&bv, &pages[1], 3);
	KUNIT_EXPECT_EQ(test, bv.nr, UINT_MAX);
	/* Nothing stored: the count was past @max all along. */
	KUNIT_EXPECT_EQ(test, slots[0].bv_len, 0);
	KUNIT_EXPECT_EQ(test, slots[1].bv_len, 0);
	KUNIT_EXPECT_EQ(test, slots[2].bv_len, 0);
	for (unsigned int i = 0; i < 4; i++)
		__free_page(pages[i]);
}

/* Physically contiguous pages merge into one bio_vec. */
static void vmmem_translate_merges(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page *pages[4];
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = ARRAY_SIZE(bvs) };
	unsigned int i;

	contiguous_pages(test, pages);
	/* The guest sees pages 0 1 2 in order, then 3 before them. */
	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, FX_A, pages, 3));
	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, FX_A - FX_P, &pages[3], 1));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_A - FX_P + 8, 4 * FX_P - 16,
						 VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr, 2);
	KUNIT_EXPECT_EQ(test, bv.bv[1].bv_len, 3 * FX_P - 8);
	KUNIT_EXPECT_PTR_EQ(test, bv.bv[1].bv_page, pages[0]);
	vmmem_untranslate(&bv);

	/* One bio_vec of room for two: how many are needed, nothing held. */
	bv.max = 1;
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_translate(vm, FX_A - FX_P, 4 * FX_P,
							VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr, 2);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 0);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A - FX_P), 1);
	for (i = 0; i < 4; i++)
		__free_page(pages[i]);
}

/*
 * Two regions whose pages continue each other physically merge into one
 * bio_vec but need two holds: room for one of each is -ENOBUFS, with the
 * size that suffices for both arrays, and nothing held.
 */
static void vmmem_translate_merge_across_regions(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page *pages[4];
	struct bio_vec bvs[2];
	struct vmmem_slice held[2];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 1 };
	unsigned int i;

	contiguous_pages(test, pages);
	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, FX_A, pages, 2));
	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, FX_A + 2 * FX_P, &pages[2], 2));

	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_translate(vm, FX_A, 4 * FX_P, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr, 2);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 0);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A + 2 * FX_P), 1);

	/* With room for two: one bio_vec of four pages, two regions held. */
	bv.max = 2;
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_A, 4 * FX_P, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr, 1);
	KUNIT_EXPECT_EQ(test, bv.bv[0].bv_len, 4 * FX_P);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 2);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A + 2 * FX_P), 2);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A + 2 * FX_P), 1);
	for (i = 0; i < 4; i++)
		__free_page(pages[i]);
}

FX_DEFINE_SUITES(vmmem_iter,
		 KUNIT_CASE_PARAM(vmmem_iter_kvec, iter_gen_params),
		 KUNIT_CASE(vmmem_iter_bvec_and_revert),
		 KUNIT_CASE(vmmem_translate_merge_across_regions),
		 KUNIT_CASE(vmmem_user_buffers),
		 KUNIT_CASE(vmmem_translate_reads),
		 KUNIT_CASE(vmmem_translate_errors),
		 KUNIT_CASE(vmmem_translate_merges),
		 KUNIT_CASE(vmmem_translate_count_saturates));
