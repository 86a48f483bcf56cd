// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_poison: hardware memory errors. Copies out of a map created with
 * VMMEM_MC_SAFE go through the machine-check-safe copies, which no test
 * can make fail for real: the suite replaces them (KUnit static stubs)
 * with copies that stop at a chosen "poisoned" byte, and checks what vmmem
 * reports and copies. Pages that memory_failure() has already marked are
 * refused at add time; the suite marks pages itself (where the kernel has
 * CONFIG_MEMORY_FAILURE: the SMP lanes) and unmarks them before they are
 * freed.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/page-flags.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

#define SENTINEL	0xa5

/* What the replacement copies see: one poisoned byte, and their calls. */
static const void *poisoned;
static unsigned int mc_calls;

/* Bytes of [src, src + len) before the poisoned one: all if not inside. */
static size_t bytes_before_poison(const void *src, size_t len)
{
	if (poisoned >= src && poisoned < src + len)
		return poisoned - src;
	return len;
}

static unsigned long fake_copy_mc_to_kernel(void *dst, const void *src,
					    size_t len)
{
	size_t n = bytes_before_poison(src, len);

	mc_calls++;
	memcpy(dst, src, n);
	return len - n;
}

static size_t fake_copy_mc_to_iter(const void *src, size_t len,
				   struct iov_iter *iter)
{
	mc_calls++;
	return copy_to_iter(src, bytes_before_poison(src, len), iter);
}

KUNIT_DEFINE_ACTION_WRAPPER(put_map, vmmem_put, struct vmmem *);
KUNIT_DEFINE_ACTION_WRAPPER(unpin_page, unpin_user_page, struct page *);

static void free_page_action(void *page)
{
	__free_page((struct page *)page);
}

/* A map created with @flags, holding the fixture layout (vmalloc). */
static struct vmmem *poison_layout(struct kunit *test, unsigned int flags)
{
	struct vmmem *vm = vmmem_create("kunit", flags);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_map, vm));
	fx_add(test, vm, FX_A, FX_A_SIZE, 0);
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	fx_add(test, vm, FX_C, FX_C_SIZE, VMMEM_REGION_RDONLY);
	fx_fill(test, vm, FX_A, FX_A_SIZE + FX_B_SIZE + FX_C_SIZE);
	return vm;
}

/* Poison the byte at @gpa (U64_MAX: none) and route copies to the fakes. */
static void poison_at(struct kunit *test, struct vmmem *vm, u64 gpa)
{
	struct vmmem_slice slice;
	int ret;

	poisoned = NULL;
	mc_calls = 0;
	if (gpa != U64_MAX) {
		/* The region lives as long as the map: the address stays valid. */
		rcu_read_lock();
		ret = vmmem_find_slice(vm, gpa, 1, VMMEM_READ, &slice);
		rcu_read_unlock();
		KUNIT_ASSERT_EQ(test, ret, 0);
		poisoned = slice.ptr;
	}
	kunit_activate_static_stub(test, vmmem_copy_mc_to_kernel,
				   fake_copy_mc_to_kernel);
	kunit_activate_static_stub(test, vmmem_copy_mc_to_iter,
				   fake_copy_mc_to_iter);
}

static void vmmem_create_flags(struct kunit *test)
{
	struct vmmem_region_info info;
	struct vmmem *vm;

	KUNIT_EXPECT_EQ(test, PTR_ERR(vmmem_create("kunit", ~VMMEM_CREATE_FLAGS)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vmmem_create("kunit", 0x80000000u)), -EINVAL);

	/* The map's choice is not a region flag: nobody sees it. */
	vm = poison_layout(test, VMMEM_MC_SAFE);
	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, FX_A, &info));
	KUNIT_EXPECT_EQ(test, info.flags, 0u);
	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, FX_C, &info));
	KUNIT_EXPECT_EQ(test, info.flags, VMMEM_REGION_RDONLY);
}

struct mc_case {
	const char *desc;
	u64 gpa;
	unsigned long len;
	u64 poison;
	unsigned long not_copied;
};

static const struct mc_case mc_cases[] = {
	{ "poison inside one region", FX_A + 100, 1000, FX_A + 600, 500 },
	{ "poison at the first byte", FX_A + 100, 64, FX_A + 100, 64 },
	{ "poison at the last byte", FX_A + 100, 64, FX_A + 163, 1 },
	{ "one byte, poisoned", FX_A + 7, 1, FX_A + 7, 1 },
	{ "poison in the next region", FX_B - 100, 200, FX_B + 50, 50 },
	{ "poison in the first of two regions", FX_B - 100, 200, FX_B - 1, 101 },
	{ "poison, then a hole", FX_C + FX_C_SIZE - 100, 200,
	  FX_C + FX_C_SIZE - 50, 150 },
	{ "poison just past the copy", FX_A, 100, FX_A + 100, 0 },
	{ "no poison, across regions", FX_A + 5, 3 * FX_P, U64_MAX, 0 },
};

KUNIT_ARRAY_PARAM_DESC(mc, mc_cases, desc);

/* Bytes before the stop are the guest's; nothing after it is written. */
static void expect_stopped(struct kunit *test, const u8 *buf, u64 gpa,
			   size_t len, size_t copied)
{
	size_t i;

	KUNIT_EXPECT_TRUE(test, fx_matches(buf, gpa, copied));
	for (i = copied; i < len; i++)
		if (buf[i] != SENTINEL) {
			KUNIT_FAIL(test, "byte %zu of %zu written past the stop", i, len);
			return;
		}
}

static void vmmem_mc_copy_stops_at_poison(struct kunit *test)
{
	const struct mc_case *c = test->param_value;
	struct vmmem *vm = poison_layout(test, VMMEM_MC_SAFE);
	u8 *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, SENTINEL, c->len);
	poison_at(test, vm, c->poison);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, c->gpa, buf, c->len),
			c->not_copied);
	KUNIT_EXPECT_GT(test, mc_calls, 0u);
	expect_stopped(test, buf, c->gpa, c->len, c->len - c->not_copied);
}

static void vmmem_mc_copy_to_iter_stops_at_poison(struct kunit *test)
{
	const struct mc_case *c = test->param_value;
	struct vmmem *vm = poison_layout(test, VMMEM_MC_SAFE);
	size_t copied = c->len - c->not_copied;
	unsigned long ubuf = fx_user_map(test, c->len, PROT_READ | PROT_WRITE,
					 MAP_ANONYMOUS | MAP_PRIVATE |
					 MAP_POPULATE);
	u8 *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);
	struct kvec kv = { .iov_len = c->len };
	struct iov_iter iter;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	poison_at(test, vm, c->poison);

	/* A kernel iterator, copied under RCU. */
	memset(buf, SENTINEL, c->len);
	kv.iov_base = buf;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, c->len);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_iter(vm, c->gpa, &iter, c->len), copied);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), c->not_copied);
	expect_stopped(test, buf, c->gpa, c->len, copied);

	/* A user iterator, copied through held slices. */
	memset(buf, SENTINEL, c->len);
	KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)ubuf, buf, c->len));
	iov_iter_ubuf(&iter, ITER_DEST, (void __user *)ubuf, c->len);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_iter(vm, c->gpa, &iter, c->len), copied);
	KUNIT_EXPECT_EQ(test, iov_iter_count(&iter), c->not_copied);
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(buf, (void __user *)ubuf, c->len));
	expect_stopped(test, buf, c->gpa, c->len, copied);
}

/*
 * Only maps created with VMMEM_MC_SAFE pay for the safe copy, and aligned
 * 2, 4 and 8-byte copies stay single untorn loads there too.
 */
static void vmmem_mc_copy_is_per_map(struct kunit *test)
{
	struct vmmem *plain = poison_layout(test, 0);
	struct vmmem *safe = poison_layout(test, VMMEM_MC_SAFE);
	u8 buf[200];

	poison_at(test, plain, FX_A + 8);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(plain, FX_A, buf, 200), 0UL);
	KUNIT_EXPECT_EQ(test, mc_calls, 0u);

	poison_at(test, safe, FX_A + 8);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(safe, FX_A + 8, buf, 8), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(safe, FX_A + 8, buf, 4), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(safe, FX_A + 8, buf, 2), 0UL);
	KUNIT_EXPECT_EQ(test, mc_calls, 0u);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_A + 8, 2));
	/* Misaligned, or any other size: the safe copy. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(safe, FX_A + 7, buf, 8), 7UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(safe, FX_A + 8, buf, 3), 3UL);
	KUNIT_EXPECT_EQ(test, mc_calls, 2u);

	/* Snapshots share the regions, and so the map's choice. */
	mc_calls = 0;
	{
		struct vmmem_snapshot *snap = vmmem_snapshot(safe);

		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, snap);
		KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(snap, FX_A, buf, 100),
				92UL);
		vmmem_snapshot_put(snap);
	}
	KUNIT_EXPECT_EQ(test, mc_calls, 1u);
}

static void unpoison(void *page)
{
	ClearPageHWPoison(page);
}

/* Mark @page as memory_failure() would, until the test ends. */
static void mark_poisoned(struct kunit *test, struct page *page)
{
	SetPageHWPoison(page);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, unpoison, page));
}

static void vmmem_poisoned_pages_refused(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct page *pages[3];
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.gpa = FX_A,
		.size = 3 * FX_P,
		.pages = pages,
	};
	u64 generation = fx_info(vm).generation;
	int refs[3], i;

	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		kunit_skip(test, "no CONFIG_MEMORY_FAILURE: pages carry no poison mark");
	for (i = 0; i < 3; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_ASSERT_EQ(test, 0,
				kunit_add_action_or_reset(test, free_page_action,
							  pages[i]));
		refs[i] = page_ref_count(pages[i]);
	}
	mark_poisoned(test, pages[2]);

	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), -EHWPOISON);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 0u);
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, generation);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(pages[i]), refs[i]);

	/* Healthy again: the same pages are accepted. */
	kunit_release_action(test, unpoison, pages[2]);
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), 0);
}

static void vmmem_poisoned_user_pages_refused(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = fx_user_map(test, 3 * FX_P, PROT_READ | PROT_WRITE,
					  MAP_ANONYMOUS | MAP_PRIVATE |
					  MAP_POPULATE);
	struct vmmem_update up = {
		.op = VMMEM_ADD_USER,
		.gpa = FX_A,
		.size = 3 * FX_P,
		.uaddr = uaddr,
	};
	s64 pinned = atomic64_read(&current->mm->pinned_vm);
	long locked = atomic_long_read(&current_user()->locked_vm);
	struct page *pages[3];
	int refs[3], i;

	if (!IS_ENABLED(CONFIG_MEMORY_FAILURE))
		kunit_skip(test, "no CONFIG_MEMORY_FAILURE: pages carry no poison mark");
	/* Our own pins keep the pages (and their marks) ours to clear. */
	KUNIT_ASSERT_EQ(test, pin_user_pages_fast(uaddr, 3, FOLL_WRITE, pages), 3);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, 0,
				kunit_add_action_or_reset(test, unpin_page,
							  pages[i]));
		refs[i] = page_ref_count(pages[i]);
	}
	mark_poisoned(test, pages[1]);

	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), -EHWPOISON);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 0u);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), pinned);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&current_user()->locked_vm), locked);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(pages[i]), refs[i]);

	kunit_release_action(test, unpoison, pages[1]);
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), 0);
}

static struct kunit_case poison_cases[] = {
	KUNIT_CASE(vmmem_create_flags),
	KUNIT_CASE_PARAM(vmmem_mc_copy_stops_at_poison, mc_gen_params),
	KUNIT_CASE_PARAM(vmmem_mc_copy_to_iter_stops_at_poison, mc_gen_params),
	KUNIT_CASE(vmmem_mc_copy_is_per_map),
	KUNIT_CASE(vmmem_poisoned_pages_refused),
	KUNIT_CASE(vmmem_poisoned_user_pages_refused),
	{}
};

static struct kunit_suite poison_suite = {
	.name = "vmmem_poison",
	.test_cases = poison_cases,
};

kunit_test_suite(poison_suite);
