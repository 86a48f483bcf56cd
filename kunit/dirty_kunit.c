// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_dirty: dirty page logging on every write path, harvesting and
 * clearing, and a migration stress test, on the fixture layout (see
 * fixture.h) for every backing.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "fixture.h"

/* The pages FX_A .. FX_E: A0 A1 B0 B1 C, two of the hole, E. */
#define SPAN_PAGES	8
#define PG(n)		BIT(n)

enum write_path {
	W_COPY_TO, W_STORE_BE64, W_STORE_U8, W_STORE_U16, W_STORE_U32, W_STORE_U64,
	W_RELEASE_U8, W_RELEASE_U16, W_RELEASE_U32, W_RELEASE_U64, W_CACHE_STORE,
	W_CACHE_RELEASE, W_MARK,
};

struct dirty_case {
	const char *desc;
	enum write_path path;
	u64 gpa;
	u64 len;
	unsigned long dirty;	/* PG() bits of the span */
};

static const struct dirty_case dirty_cases[] = {
	{ "copy in one page", W_COPY_TO, FX_A + 100, 8, PG(0) },
	{ "copy across a page", W_COPY_TO, FX_A + FX_P - 4, 8, PG(0) | PG(1) },
	{ "copy across two regions", W_COPY_TO, FX_B - 4, 8, PG(1) | PG(2) },
	{ "copy over three pages", W_COPY_TO, FX_A + FX_P - 4, FX_P + 8,
	  PG(0) | PG(1) | PG(2) },
	{ "zero-length copy", W_COPY_TO, FX_A, 0, 0 },
	{ "zero-length copy at a page", W_COPY_TO, FX_A + FX_P, 0, 0 },
	{ "40-byte copy across a page", W_COPY_TO, FX_A + FX_P - 20, 40, PG(0) | PG(1) },
	{ "64-byte copy in one page", W_COPY_TO, FX_E + 64, 64, PG(7) },
	{ "copy stopped by read-only", W_COPY_TO, FX_C - 4, 8, PG(3) },
	{ "copy into a hole", W_COPY_TO, FX_HOLE, 8, 0 },
	{ "copy stopped by a hole", W_COPY_TO, FX_E + FX_P - 4, 8, PG(7) },
	{ "copy of a whole region", W_COPY_TO, FX_B, FX_B_SIZE, PG(2) | PG(3) },
	{ "copy into read-only", W_COPY_TO, FX_C, 8, 0 },
	{ "16-byte copy across a page", W_COPY_TO, FX_A + FX_P - 8, 16, PG(0) | PG(1) },
	{ "4-byte copy across regions", W_COPY_TO, FX_B - 2, 4, PG(1) | PG(2) },
	{ "store __be64", W_STORE_BE64, FX_E + 8, 8, PG(7) },
	{ "store u8", W_STORE_U8, FX_E + FX_P - 1, 1, PG(7) },
	{ "store u16", W_STORE_U16, FX_A + 2, 2, PG(0) },
	{ "store u32", W_STORE_U32, FX_A + FX_P, 4, PG(1) },
	{ "store u64", W_STORE_U64, FX_B + FX_P - 8, 8, PG(2) },
	{ "store u64 into read-only", W_STORE_U64, FX_C, 8, 0 },
	{ "store-release u8", W_RELEASE_U8, FX_A + FX_P + 1, 1, PG(1) },
	{ "store-release u16", W_RELEASE_U16, FX_B, 2, PG(2) },
	{ "store-release u32", W_RELEASE_U32, FX_E, 4, PG(7) },
	{ "store-release u64", W_RELEASE_U64, FX_A + 16, 8, PG(0) },
	{ "store through a cache", W_CACHE_STORE, FX_B + 4, 4, PG(2) },
	{ "store-release through a cache", W_CACHE_RELEASE, FX_B + FX_P + 8, 8, PG(3) },
	{ "vmmem_mark_dirty across a hole", W_MARK, FX_C, 4 * FX_P, PG(4) | PG(7) },
	{ "vmmem_mark_dirty of nothing", W_MARK, FX_HOLE, 2 * FX_P, 0 },
};

KUNIT_ARRAY_PARAM_DESC(dirty, dirty_cases, desc);

static void do_write(struct kunit *test, struct vmmem *vm,
		     const struct dirty_case *c)
{
	u8 *buf = kunit_kmalloc(test, 2 * PAGE_SIZE + 16, GFP_KERNEL);
	struct vmmem_cache cache;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0x5c, 2 * PAGE_SIZE + 16);
	switch (c->path) {
	case W_COPY_TO:
		vmmem_copy_to_guest(vm, c->gpa, buf, c->len);
		break;
	case W_STORE_BE64:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, c->gpa, cpu_to_be64(7)));
		break;
	case W_STORE_U8:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, c->gpa, (u8)7));
		break;
	case W_STORE_U16:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, c->gpa, (u16)7));
		break;
	case W_STORE_U32:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, c->gpa, (u32)7));
		break;
	case W_STORE_U64:
		vmmem_store(vm, c->gpa, (u64)7);
		break;
	case W_RELEASE_U8:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, c->gpa, (u8)7));
		break;
	case W_RELEASE_U16:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, c->gpa, (u16)7));
		break;
	case W_RELEASE_U32:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, c->gpa, (u32)7));
		break;
	case W_RELEASE_U64:
		KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, c->gpa, (u64)7));
		break;
	case W_CACHE_STORE:
		KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_B, FX_B_SIZE, VMMEM_WRITE,
							  &cache));
		KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, c->gpa, (u32)7));
		break;
	case W_CACHE_RELEASE:
		KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_B, FX_B_SIZE, VMMEM_WRITE,
							  &cache));
		KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(&cache, c->gpa, (u64)7));
		break;
	case W_MARK:
		vmmem_mark_dirty(vm, c->gpa, c->len);
		break;
	}
}

/* Harvests the span FX_A .. FX_E as PG() bits. */
static unsigned long harvest_span(struct kunit *test, struct vmmem *vm)
{
	unsigned long bits = 0;
	long n = vmmem_dirty_harvest(vm, FX_A, SPAN_PAGES * FX_P, &bits);

	KUNIT_EXPECT_EQ(test, n, hweight_long(bits));
	return bits;
}

static void vmmem_dirty_write_paths(struct kunit *test)
{
	const struct dirty_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
	do_write(test, vm, c);
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), c->dirty);
	/* Harvesting cleared them. */
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
}

/* With logging off, writes leave no trace; start clears old bits. */
static void vmmem_dirty_off_and_restart(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);

	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_A, (u64)1));
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_A, (u64)1));
	/* A second start keeps the bits not harvested yet. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_B, (u64)1));
	/* Bits set before the stop stay; none after it. */
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_E, (u64)1));
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_E, (u64)1));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(7));
}

/* Regions added while logging is on are logged from their first write. */
static void vmmem_dirty_new_regions(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	unsigned long bits = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	fx_add(test, vm, FX_HOLE, 2 * FX_P, 0);
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_HOLE + FX_P, (u32)1));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(6));
	/* The top region, at the end of the address space. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, U64_MAX, (u8)1));
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_TOP, FX_TOP_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, PG(1));
	/* Marking to the end of the address space skips holes, stops at 2^64. */
	vmmem_mark_dirty(vm, FX_C, U64_MAX);
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(4) | PG(5) | PG(6) | PG(7));
	bits = 0;
	KUNIT_EXPECT_EQ(test, 2, vmmem_dirty_harvest(vm, FX_TOP, FX_TOP_SIZE, &bits));
}

/* Sub-ranges: harvest and clear what is asked, leave the rest. */
static void vmmem_dirty_sub_ranges(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	unsigned long bits = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	vmmem_mark_dirty(vm, FX_A, 4 * FX_P + 1);
	vmmem_mark_dirty(vm, FX_E, 1);
	/* A1 and B0: bits relative to the start of the range asked for. */
	KUNIT_EXPECT_EQ(test, 2, vmmem_dirty_harvest(vm, FX_A + FX_P, 2 * FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, PG(0) | PG(1));
	/* Clear B1 unread. */
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_B + FX_P, FX_P, NULL));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(0) | PG(4) | PG(7));

	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_dirty_harvest(vm, FX_A + 8, FX_P, &bits));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_dirty_harvest(vm, FX_A, 0, &bits));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_dirty_harvest(vm, FX_A, FX_P + 1, NULL));
	KUNIT_EXPECT_EQ(test, -EOVERFLOW, vmmem_dirty_harvest(vm, FX_TOP, 2 * FX_TOP_SIZE,
							      &bits));
}

/*
 * Harvesting into no bitmap clears without reporting: across regions and
 * holes, only what is asked, and what it cleared is not reported again.
 */
static void vmmem_dirty_clear_unread(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	unsigned long bits = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	/* Nothing dirty yet: nothing cleared. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, SPAN_PAGES * FX_P, NULL));
	vmmem_mark_dirty(vm, FX_A, SPAN_PAGES * FX_P);
	vmmem_mark_dirty(vm, FX_TOP, FX_TOP_SIZE);
	/* A1 .. C, across two region boundaries: four pages. */
	KUNIT_EXPECT_EQ(test, 4, vmmem_dirty_harvest(vm, FX_A + FX_P, 4 * FX_P, NULL));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), PG(0) | PG(7));
	/* The top page of the address space, the other left alone. */
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, 0 - FX_P, FX_P, NULL));
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_TOP, FX_TOP_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, PG(0));
	/* Written again after the clear: reported again. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_B, (u64)1));
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_A, SPAN_PAGES * FX_P, NULL));
	KUNIT_EXPECT_EQ(test, harvest_span(test, vm), 0);
}

/*
 * Migration: writers on other CPUs keep writing sequence numbers into random
 * words while the harvester copies every dirty page into a shadow; after the
 * writers are done and one last harvest and copy, the shadow equals guest
 * memory.
 */
#define MIG_WRITES	40000	/* per writer */
#define MIG_WRITERS	3

struct migration {
	struct vmmem *vm;
	u64 gpa, size;		/* A and B: one writable span */
	atomic64_t seq, writes, errors;
};

static void writer_work(struct fx_worker *w)
{
	struct migration *mig = w->data;
	struct rnd_state rnd;
	unsigned int i;
	u64 off, seq;
	int ret;

	prandom_seed_state(&rnd, get_random_u64());
	for (i = 0; i < MIG_WRITES && !fx_worker_stopping(w); i++) {
		off = round_down(prandom_u32_state(&rnd) % mig->size, 8);
		seq = atomic64_inc_return(&mig->seq);
		if (prandom_u32_state(&rnd) % 2)
			ret = vmmem_store(mig->vm, mig->gpa + off, seq);
		else if (vmmem_copy_to_guest(mig->vm, mig->gpa + off, &seq, sizeof(seq)))
			ret = -EFAULT;
		else
			ret = 0;
		if (ret)
			atomic64_inc(&mig->errors);
		atomic64_inc(&mig->writes);
		/* One CPU under UML: let the harvester in often. */
		if (i % 16 == 15)
			fx_yield();
	}
}

static unsigned long copy_dirty(struct kunit *test, struct migration *mig,
				u8 *shadow)
{
	unsigned long bits[BITS_TO_LONGS(FX_A_SIZE / PAGE_SIZE + FX_B_SIZE / PAGE_SIZE)];
	unsigned long page, n = 0;

	bitmap_zero(bits, mig->size >> PAGE_SHIFT);
	KUNIT_ASSERT_GE(test, vmmem_dirty_harvest(mig->vm, mig->gpa, mig->size, bits), 0);
	for_each_set_bit(page, bits, mig->size >> PAGE_SHIFT) {
		KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(mig->vm, mig->gpa + page * PAGE_SIZE,
							       shadow + page * PAGE_SIZE,
							       PAGE_SIZE));
		n++;
	}
	return n;
}

static void vmmem_dirty_migration(struct kunit *test)
{
	struct migration *mig = kunit_kzalloc(test, sizeof(*mig), GFP_KERNEL);
	unsigned long copied = 0, harvests = 0;
	struct fx_threads *writers;
	u8 *shadow, *final;

	KUNIT_ASSERT_NOT_NULL(test, mig);
	mig->vm = fx_create_layout(test);
	mig->gpa = FX_A;
	mig->size = FX_A_SIZE + FX_B_SIZE;
	shadow = kunit_kmalloc(test, mig->size, GFP_KERNEL);
	final = kunit_kmalloc(test, mig->size, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, shadow && final);

	/* Start logging, then take the first full copy. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(mig->vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(mig->vm, mig->gpa, shadow, mig->size));
	writers = fx_threads_start(test, writer_work, mig, MIG_WRITERS, "vmmem-writer");
	fx_threads_print(test, writers);
	/* Harvest for as long as the writers write. */
	while (fx_threads_running(writers)) {
		copied += copy_dirty(test, mig, shadow);
		harvests++;
		fx_yield();
	}
	fx_threads_stop(test, writers);
	copied += copy_dirty(test, mig, shadow);
	harvests++;

	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(mig->vm, mig->gpa, final, mig->size));
	kunit_info(test, "%lld writes, %lu harvests, %lu pages copied\n",
		   atomic64_read(&mig->writes), harvests, copied);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mig->writes), MIG_WRITERS * MIG_WRITES);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mig->errors), 0);
	KUNIT_EXPECT_EQ(test, 0, memcmp(shadow, final, mig->size));
}

FX_DEFINE_SUITES(vmmem_dirty,
		 KUNIT_CASE_PARAM(vmmem_dirty_write_paths, dirty_gen_params),
		 KUNIT_CASE(vmmem_dirty_off_and_restart),
		 KUNIT_CASE(vmmem_dirty_new_regions),
		 KUNIT_CASE(vmmem_dirty_sub_ranges),
		 KUNIT_CASE(vmmem_dirty_clear_unread),
		 KUNIT_CASE_SLOW(vmmem_dirty_migration));
