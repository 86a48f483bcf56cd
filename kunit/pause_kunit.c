// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_rcu_pause: long copies, translations and harvests leave their RCU
 * read-side section every VMMEM_RCU_CHUNK bytes (VMMEM_DIRTY_STEP of dirty
 * bits), so a grace period never waits for all of one. The suite counts the
 * pauses through a KUnit stub, and removes a region during one: the walk
 * must look its regions up afresh and stop where the region was, never
 * touch the freed memory (KASAN watches on the smp-kasan lane).
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/sizes.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

/* Two adjacent regions, R1 of 3 MiB and R2 of 2 MiB. */
#define R1		SZ_1G
#define R1_SIZE		(3 * SZ_1M)
#define R2		(R1 + R1_SIZE)
#define R2_SIZE		(2 * SZ_1M)
#define BOTH		(R1_SIZE + R2_SIZE)

struct pause_ctx {
	struct vmmem *vm;
	unsigned int pauses;
	unsigned int remove_at;	/* the pause at which R2 goes; 0: never */
	int remove_ret;
};

static struct pause_ctx *pause_ctx;

/* The real pause, counted; at pause @remove_at, R2 is removed meanwhile. */
static void counted_pause(void)
	__must_hold(RCU)
{
	struct pause_ctx *ctx = pause_ctx;

	rcu_read_unlock();
	if (++ctx->pauses == ctx->remove_at)
		ctx->remove_ret = fx_remove(ctx->vm, R2, R2_SIZE);
	rcu_read_lock();
}

KUNIT_DEFINE_ACTION_WRAPPER(vfree_action, vfree, const void *);

static struct pause_ctx *pause_setup(struct kunit *test, void **buf)
{
	struct pause_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->vm = fx_create(test);
	fx_add(test, ctx->vm, R1, R1_SIZE, 0);
	fx_add(test, ctx->vm, R2, R2_SIZE, 0);
	fx_fill(test, ctx->vm, R1, BOTH);
	*buf = vzalloc(BOTH);
	KUNIT_ASSERT_NOT_NULL(test, *buf);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vfree_action, *buf));
	pause_ctx = ctx;
	kunit_activate_static_stub(test, vmmem_rcu_pause, counted_pause);
	return ctx;
}

/* 5 MiB in 1 MiB pieces: a pause between each two, none after the last. */
static void vmmem_long_copies_pause(struct kunit *test)
{
	void *buf;
	struct pause_ctx *ctx = pause_setup(test, &buf);
	struct kvec kv = { .iov_base = buf, .iov_len = BOTH };
	struct iov_iter iter;

	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(ctx->vm, R1, buf, BOTH), 0UL);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 4u);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, R1, BOTH));

	ctx->pauses = 0;
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(ctx->vm, R1, buf, BOTH), 0UL);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 4u);

	ctx->pauses = 0;
	memset(buf, 0, BOTH);
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, BOTH);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_iter(ctx->vm, R1, &iter, BOTH),
			(size_t)BOTH);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 4u);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, R1, BOTH));

	/* Short copies, and copies of many small pieces, add up the same way. */
	ctx->pauses = 0;
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(ctx->vm, R1 + 5, buf, SZ_1M), 0UL);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 0u);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(ctx->vm, R2 - 5, buf, SZ_1M), 0UL);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 0u);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(ctx->vm, R2 - SZ_1M + 5, buf,
						    2 * SZ_1M + 10), 0UL);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 1u);
}

/* A region removed during a pause ends the copy there, as a hole does. */
static void vmmem_long_copy_meets_removal(struct kunit *test)
{
	void *buf;
	struct pause_ctx *ctx = pause_setup(test, &buf);
	struct kvec kv = { .iov_base = buf, .iov_len = BOTH };
	struct iov_iter iter;

	ctx->remove_at = 3;
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(ctx->vm, R1, buf, BOTH),
			(unsigned long)R2_SIZE);
	KUNIT_EXPECT_EQ(test, ctx->remove_ret, 0);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, R1, R1_SIZE));

	fx_add(test, ctx->vm, R2, R2_SIZE, 0);
	ctx->pauses = 0;
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(ctx->vm, R1, buf, BOTH),
			(unsigned long)R2_SIZE);
	KUNIT_EXPECT_EQ(test, ctx->remove_ret, 0);

	fx_add(test, ctx->vm, R2, R2_SIZE, 0);
	ctx->pauses = 0;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, BOTH);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_iter(ctx->vm, R1, &iter, BOTH),
			(size_t)R1_SIZE);
	KUNIT_EXPECT_EQ(test, ctx->remove_ret, 0);
}

/*
 * A long translation pauses too: the chunks of one region stay one held
 * slice, a region removed during a pause fails it as a hole does, and the
 * count that -ENOBUFS reports still suffices.
 */
static void vmmem_long_translation_pauses(struct kunit *test)
{
	const unsigned int max = BOTH / PAGE_SIZE;
	struct vmmem_bvecs bv = { .max = max };
	void *buf;
	struct pause_ctx *ctx = pause_setup(test, &buf);
	unsigned int need;

	bv.bv = kunit_kcalloc(test, max, sizeof(*bv.bv), GFP_KERNEL);
	bv.held = kunit_kcalloc(test, max, sizeof(*bv.held), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, bv.bv && bv.held);

	KUNIT_ASSERT_EQ(test, vmmem_translate(ctx->vm, R1 + 5, BOTH - 10,
					      VMMEM_READ, &bv), 0);
	/*
	 * Pieces end on pages: 1M - 5, 1M, 1M | 1M, 1M - 5, pauses after the
	 * 2nd, 3rd and 4th; each page is one bio_vec at most.
	 */
	KUNIT_EXPECT_EQ(test, ctx->pauses, 3u);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 2u);
	KUNIT_EXPECT_EQ(test, bv.held[0].gpa, (u64)R1 + 5);
	KUNIT_EXPECT_EQ(test, bv.held[0].len, (size_t)R1_SIZE - 5);
	KUNIT_EXPECT_EQ(test, bv.held[1].gpa, (u64)R2);
	KUNIT_EXPECT_EQ(test, bv.held[1].len, (size_t)R2_SIZE - 5);
	KUNIT_EXPECT_EQ(test, fx_bvecs_bytes(&bv), (u64)BOTH - 10);
	KUNIT_EXPECT_LE(test, bv.nr, max);
	vmmem_untranslate(&bv);

	/*
	 * Too few entries: the count asked for is enough. Room for one: the
	 * two regions need two holds however contiguous the pages happen to
	 * be (vmalloc'd pages may merge into a handful of bio_vecs).
	 */
	ctx->pauses = 0;
	bv.max = 1;
	KUNIT_EXPECT_EQ(test, vmmem_translate(ctx->vm, R1, BOTH, VMMEM_READ, &bv),
			-ENOBUFS);
	need = bv.nr;
	KUNIT_EXPECT_GE(test, need, 2u);
	KUNIT_EXPECT_GT(test, ctx->pauses, 0u);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 0u);
	KUNIT_ASSERT_LE(test, need, max);
	bv.max = need;
	KUNIT_EXPECT_EQ(test, vmmem_translate(ctx->vm, R1, BOTH, VMMEM_READ, &bv), 0);
	vmmem_untranslate(&bv);

	/* R2 goes at the third pause: a hole, and nothing stays held. */
	bv.max = max;
	ctx->pauses = 0;
	ctx->remove_at = 3;
	KUNIT_EXPECT_EQ(test, vmmem_translate(ctx->vm, R1, BOTH, VMMEM_READ, &bv),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, ctx->remove_ret, 0);
	KUNIT_EXPECT_EQ(test, bv.nr_held, 0u);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(ctx->vm, R1), 1u);
}

/*
 * A harvest pauses after each VMMEM_DIRTY_STEP (64 Ki pages) of a region:
 * one page, repeated, backs a region one step and one page long.
 */
static void vmmem_long_harvest_pauses(struct kunit *test)
{
	const unsigned long npages = SZ_64K + 1;
	struct pause_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct page **pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.gpa = R1,
		.size = npages * FX_P,
		.pages = pages,
	};
	unsigned long i;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_NOT_NULL(test, page);
	if (!pages)
		__free_page(page);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < npages; i++)
		pages[i] = page;
	ctx->vm = fx_create(test);
	ret = vmmem_update(ctx->vm, &up, 1);
	kvfree(pages);
	__free_page(page);
	if (ret == -ENOMEM)
		kunit_skip(test, "no room to map %lu pages", npages);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_ASSERT_EQ(test, vmmem_dirty_log_start(ctx->vm), 0);
	vmmem_mark_dirty(ctx->vm, R1, npages * FX_P);
	pause_ctx = ctx;
	kunit_activate_static_stub(test, vmmem_rcu_pause, counted_pause);
	KUNIT_EXPECT_EQ(test, vmmem_dirty_harvest(ctx->vm, R1, npages * FX_P, NULL),
			(long)npages);
	KUNIT_EXPECT_EQ(test, ctx->pauses, 1u);
	KUNIT_EXPECT_EQ(test, vmmem_dirty_harvest(ctx->vm, R1, npages * FX_P, NULL),
			0L);
}

static struct kunit_case pause_cases[] = {
	KUNIT_CASE(vmmem_long_copies_pause),
	KUNIT_CASE(vmmem_long_copy_meets_removal),
	KUNIT_CASE(vmmem_long_translation_pauses),
	KUNIT_CASE(vmmem_long_harvest_pauses),
	{}
};

static struct kunit_suite pause_suite = {
	.name = "vmmem_rcu_pause",
	.test_cases = pause_cases,
};

kunit_test_suite(pause_suite);
