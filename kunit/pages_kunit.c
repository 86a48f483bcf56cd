// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_pages: regions over pages that an in-kernel provider owns, and
 * region introspection.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/io.h>
#include <linux/mm.h>

#include "fixture.h"

#define G	(64 * FX_P)

static struct page **alloc_pages_array(struct kunit *test, unsigned long n)
{
	struct page **pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	return pages;
}

static void put_pages_array(struct page **pages, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		put_page(pages[i]);
}

/* Adds @size bytes of @pages at @gpa. */
static int add_pages(struct vmmem *vm, u64 gpa, struct page **pages, u64 size,
		     unsigned int flags)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.flags = flags,
		.gpa = gpa,
		.size = size,
		.pages = pages,
	};

	return vmmem_update(vm, &up, 1);
}

/* vmmem holds one reference per page from add to remove, no more. */
static void vmmem_pages_references(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page **pages = alloc_pages_array(test, 3);
	struct vmmem_region_info info;
	u32 val = 0;

	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, G, pages, 3 * FX_P, 0));
	KUNIT_EXPECT_EQ(test, page_count(pages[0]), 2);
	KUNIT_EXPECT_EQ(test, page_count(pages[2]), 2);

	/* Guest order follows the array; writes land in the right page. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, G + 2 * FX_P + 4, (u32)0xabcdef01));
	KUNIT_EXPECT_EQ(test, *(u32 *)(page_address(pages[2]) + 4), 0xabcdef01);
	*(u32 *)page_address(pages[1]) = 0x600d;
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, G + FX_P, &val));
	KUNIT_EXPECT_EQ(test, val, 0x600d);

	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, G, &info));
	KUNIT_EXPECT_EQ(test, info.backing, VMMEM_BACKING_PAGES);
	KUNIT_EXPECT_EQ(test, info.nr_pages, 3);
	KUNIT_EXPECT_EQ(test, info.nr_large_pages, 0);
	KUNIT_EXPECT_EQ(test, info.uaddr, 0);

	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 3 * FX_P));
	KUNIT_EXPECT_EQ(test, page_count(pages[0]), 1);
	KUNIT_EXPECT_EQ(test, page_count(pages[2]), 1);
	put_pages_array(pages, 3);
}

/* The caller may drop its references at once: the region keeps the pages. */
static void vmmem_pages_outlive_caller(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page **pages = alloc_pages_array(test, 2);

	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, G, pages, 2 * FX_P, 0));
	put_pages_array(pages, 2);
	fx_fill(test, vm, G, 2 * FX_P);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, G, 2 * FX_P));
}

struct pages_fail_case {
	const char *desc;
	u64 gpa;
	u64 size;
	unsigned int flags;
	int ret;
};

/* Sizes past two pages must fail before vmmem reads past the array. */
static const struct pages_fail_case pages_fail_cases[] = {
	{ "no pages", G, 0, 0, -EINVAL },
	{ "misaligned gpa", G + 1, 2 * FX_P, 0, -EINVAL },
	{ "misaligned size", G, FX_P + 8, 0, -EINVAL },
	{ "unknown flag", G, 2 * FX_P, 0x100, -EINVAL },
	{ "guest range wraps", 0 - FX_P, 2 * FX_P, 0, -EOVERFLOW },
	{ "size of nearly 2^64", G, 0 - FX_P, 0, -EOVERFLOW },
	{ "overlaps a region", 0, 2 * FX_P, 0, -EEXIST },
};

KUNIT_ARRAY_PARAM_DESC(pages_fail, pages_fail_cases, desc);

/* A failed add holds no reference and changes nothing. */
static void vmmem_pages_add_failures(struct kunit *test)
{
	const struct pages_fail_case *c = test->param_value;
	struct vmmem *vm = fx_create(test);
	struct page **pages = alloc_pages_array(test, 2);

	fx_add(test, vm, 0, FX_P, 0);
	KUNIT_EXPECT_EQ(test, c->ret, add_pages(vm, c->gpa, pages, c->size, c->flags));
	KUNIT_EXPECT_EQ(test, page_count(pages[0]), 1);
	KUNIT_EXPECT_EQ(test, page_count(pages[1]), 1);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 1);
	put_pages_array(pages, 2);
}

/*
 * An update that fails after a valid add of pages: the add is undone, so
 * no page keeps a reference of vmmem's and the map has not changed.
 */
static void vmmem_pages_update_all_or_nothing(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page **pages = alloc_pages_array(test, 3);
	struct vmmem_info before, after;
	struct vmmem_update ups[] = {
		{ .op = VMMEM_ADD_PAGES, .gpa = G, .size = 2 * FX_P, .pages = pages },
		{ .op = VMMEM_ADD_PAGES, .gpa = 0, .size = FX_P, .pages = &pages[2] },
	};

	fx_add(test, vm, 0, FX_P, 0);
	vmmem_info(vm, &before);
	KUNIT_EXPECT_EQ(test, -EEXIST, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	/* The same with an argument error in the second update. */
	ups[1].gpa = G + 2 * FX_P;
	ups[1].size = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	vmmem_info(vm, &after);
	KUNIT_EXPECT_EQ(test, after.nr_regions, 1);
	KUNIT_EXPECT_EQ(test, after.generation, before.generation);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, G, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, page_count(pages[0]), 1);
	KUNIT_EXPECT_EQ(test, page_count(pages[1]), 1);
	KUNIT_EXPECT_EQ(test, page_count(pages[2]), 1);

	/* Both valid: one step, both regions. */
	ups[1].size = FX_P;
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 3);
	KUNIT_EXPECT_EQ(test, page_count(pages[2]), 2);
	ups[0].op = VMMEM_REMOVE;
	ups[1].op = VMMEM_REMOVE;
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, page_count(pages[0]), 1);
	KUNIT_EXPECT_EQ(test, page_count(pages[2]), 1);
	put_pages_array(pages, 3);
}

/* Pages of one large folio are reported as such. */
static void vmmem_pages_large_folio(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page *head = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_COMP, 2);
	struct page *pages[5];
	struct vmmem_region_info info;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, head);
	for (i = 0; i < 4; i++)
		pages[i] = nth_page(head, i);
	pages[4] = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, pages[4]);

	KUNIT_ASSERT_EQ(test, 0, add_pages(vm, G, pages, 5 * FX_P, VMMEM_REGION_RDONLY));
	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, G + 4 * FX_P, &info));
	KUNIT_EXPECT_EQ(test, info.nr_pages, 5);
	KUNIT_EXPECT_EQ(test, info.nr_large_pages, 4);
	KUNIT_EXPECT_EQ(test, info.flags, VMMEM_REGION_RDONLY);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, G, (u8)1));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 5 * FX_P));
	KUNIT_EXPECT_EQ(test, folio_ref_count(page_folio(head)), 1);
	__free_pages(head, 2);
	put_page(pages[4]);
}

/* Every backing answers vmmem_region_info() with what it is. */
static void vmmem_region_info_backings(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct vmmem_region_info info = { .gpa = 1 };

	fx_add(test, vm, G, 2 * FX_P, VMMEM_REGION_RDONLY);
	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, G + 2 * FX_P - 1, &info));
	KUNIT_EXPECT_EQ(test, info.backing, VMMEM_BACKING_VMALLOC);
	KUNIT_EXPECT_EQ(test, info.gpa, G);
	KUNIT_EXPECT_EQ(test, info.size, 2 * FX_P);
	KUNIT_EXPECT_EQ(test, info.flags, VMMEM_REGION_RDONLY);
	KUNIT_EXPECT_EQ(test, info.nr_pages, 2);
	KUNIT_EXPECT_EQ(test, info.nr_large_pages, 0);
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_region_info(vm, G + 2 * FX_P, &info));
	/* A failed lookup leaves the caller's struct alone. */
	KUNIT_EXPECT_EQ(test, info.gpa, G);
}

/*
 * Host RAM at its physical addresses: two pages of the kernel's own, read
 * and written through vmmem at their physical address, translated back to
 * themselves; ranges that are not all System RAM refused.
 */
static void vmmem_host_ram(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	struct vmmem *vm = fx_create(test);
	struct vmmem_region_info info;
	struct vmmem_slice held[1];
	struct bio_vec bvs[1];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 1 };
	struct vmmem_update up = { .op = VMMEM_ADD_HOST_RAM, .size = 2 * FX_P };
	u64 phys, v = 0;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = page_to_phys(page);
	up.gpa = phys;
	ret = vmmem_update(vm, &up, 1);
	if (ret == -EOPNOTSUPP || ret == -EINVAL) {
		__free_pages(page, 1);
		kunit_skip(test, "this kernel does not list its RAM as System RAM (%d)", ret);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);

	*(u64 *)page_address(page) = 0x1122334455667788ULL;
	KUNIT_EXPECT_EQ(test, vmmem_load(vm, phys, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0x1122334455667788ULL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, phys + FX_P - 4, "abcdefgh", 8), 0UL);
	KUNIT_EXPECT_EQ(test, memcmp(page_address(page) + FX_P - 4, "abcdefgh", 8), 0);
	KUNIT_EXPECT_EQ(test, vmmem_translate(vm, phys + 8, FX_P, VMMEM_READ, &bv), 0);
	KUNIT_EXPECT_EQ(test, bv.nr, 1u);
	KUNIT_EXPECT_PTR_EQ(test, bvs[0].bv_page, page);
	KUNIT_EXPECT_EQ(test, bvs[0].bv_offset, 8u);
	vmmem_untranslate(&bv);
	KUNIT_ASSERT_EQ(test, vmmem_region_info(vm, phys, &info), 0);
	KUNIT_EXPECT_EQ(test, info.backing, VMMEM_BACKING_HOST_RAM);

	/* Removed: the pages are the kernel's, untouched by the removal. */
	up.op = VMMEM_REMOVE;
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_pages(page, 1);

	/* Far above any RAM, and misaligned: refused, nothing added. */
	up.op = VMMEM_ADD_HOST_RAM;
	up.gpa = 1ULL << 50;
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), -EINVAL);
	up.gpa = phys + 1;
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), -EINVAL);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, phys, 1, VMMEM_READ));
}

static struct kunit_case vmmem_pages_cases[] = {
	KUNIT_CASE(vmmem_pages_references),
	KUNIT_CASE(vmmem_pages_outlive_caller),
	KUNIT_CASE_PARAM(vmmem_pages_add_failures, pages_fail_gen_params),
	KUNIT_CASE(vmmem_pages_update_all_or_nothing),
	KUNIT_CASE(vmmem_pages_large_folio),
	KUNIT_CASE(vmmem_region_info_backings),
	KUNIT_CASE(vmmem_host_ram),
	{}
};

static struct kunit_suite vmmem_pages_suite = {
	.name = "vmmem_pages",
	.test_cases = vmmem_pages_cases,
};

kunit_test_suite(vmmem_pages_suite);
