// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_hotplug: snapshots, held slices, updates of many changes, the
 * generation counter and the translation cache, on the fixture layout (see
 * fixture.h), for every backing.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/bitmap.h>
#include <linux/bvec.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/workqueue.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

static bool is_user_backed(struct kunit *test)
{
	const enum fx_backing *backing = test->priv;

	return backing && *backing == FX_USER;
}

static s64 pinned_vm(void)
{
	return current->mm ? atomic64_read(&current->mm->pinned_vm) : 0;
}

/* A snapshot keeps seeing the layout it was taken with. */
static void vmmem_snapshot_is_frozen(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_info before = fx_info(vm);
	struct vmmem_snapshot *snap = vmmem_snapshot(vm);
	struct vmmem_info info;
	u64 word = 0x1122334455667788ULL, back = 0;

	info = fx_info(snap);
	KUNIT_EXPECT_EQ(test, info.generation, before.generation);
	KUNIT_EXPECT_EQ(test, info.nr_regions, before.nr_regions);
	KUNIT_EXPECT_EQ(test, info.last_addr, before.last_addr);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_A, FX_A_SIZE));
	fx_add(test, vm, FX_HOLE, FX_P, 0);

	/* The live map moved on... */
	KUNIT_EXPECT_NE(test, fx_info(vm).generation, before.generation);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_A, 1, VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	/* ...the snapshot did not, and A's memory is still there. */
	info = fx_info(snap);
	KUNIT_EXPECT_EQ(test, info.generation, before.generation);
	KUNIT_EXPECT_EQ(test, info.nr_regions, before.nr_regions);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, (struct vmmem *)snap, FX_A,
						 FX_A_SIZE + FX_B_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(snap, FX_HOLE, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_A + 8, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(snap, FX_A + 8, &back, 8));
	KUNIT_EXPECT_EQ(test, back, word);
	/* B is in both: a write through the snapshot shows in the map. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(snap, FX_B, word));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_B, &back));
	KUNIT_EXPECT_EQ(test, back, word);
	vmmem_snapshot_put(snap);
}

/*
 * A snapshot of a snapshot is the same snapshot with one more reference:
 * it survives one vmmem_snapshot_put(), even with its map changed and the
 * memory it shows removed from the map.
 */
static void vmmem_snapshot_references(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_snapshot *snap = vmmem_snapshot(vm);
	struct vmmem_snapshot *again = vmmem_snapshot(snap);
	u64 gen = fx_info(vm).generation;
	s64 base;

	KUNIT_EXPECT_PTR_EQ(test, snap, again);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_TOP, FX_TOP_SIZE));
	base = pinned_vm();
	vmmem_snapshot_put(again);
	vmmem_synchronize();
	/* One reference is left: the view still works, as it was. */
	KUNIT_EXPECT_EQ(test, fx_info(snap).generation, gen);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(snap, FX_TOP, FX_TOP_SIZE, VMMEM_WRITE));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, (struct vmmem *)snap, FX_TOP,
						 FX_TOP_SIZE));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	/* The last one releases what only the snapshot kept. */
	vmmem_snapshot_put(snap);
	vmmem_synchronize();
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base - FX_TOP_SIZE / FX_P);
	vmmem_snapshot_put(NULL);
	/* An unchanged map hands out the same view again. */
	snap = vmmem_snapshot(vm);
	again = vmmem_snapshot(vm);
	KUNIT_EXPECT_PTR_EQ(test, snap, again);
	vmmem_snapshot_put(again);
	vmmem_snapshot_put(snap);
}

/* A snapshot outlives the last reference on its map; then all is freed. */
static void vmmem_snapshot_outlives_map(struct kunit *test)
{
	struct vmmem *vm = vmmem_create("kunit", 0);
	struct vmmem_snapshot *snap;
	s64 base;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	fx_add(test, vm, FX_A, FX_A_SIZE, 0);
	fx_fill(test, vm, FX_A, FX_A_SIZE);
	base = pinned_vm();
	snap = vmmem_snapshot(vm);
	vmmem_put(vm);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, (struct vmmem *)snap, FX_A,
						 FX_A_SIZE));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	vmmem_snapshot_put(snap);
	vmmem_synchronize();
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base - FX_A_SIZE / FX_P);
}

/* Removing a held region hides it at once; the memory stays for the holder. */
static void vmmem_hold_survives_remove(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slice;
	unsigned int nr = 1;
	s64 base;

	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, FX_B + 16, FX_P, VMMEM_WRITE,
					    &slice, &nr));
	KUNIT_ASSERT_EQ(test, nr, 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 2);
	base = pinned_vm();
	/* The holder itself removes the region: no deadlock, no wait. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_B, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	/* Sleeping with a held slice is allowed. */
	usleep_range(1000, 2000);
	KUNIT_EXPECT_TRUE(test, fx_matches(slice.ptr, FX_B + 16, FX_P));
	memset(slice.wptr, 0, 8);
	vmmem_release(&slice, nr);
	KUNIT_EXPECT_NULL(test, slice.region);
	vmmem_synchronize();
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base - FX_B_SIZE / FX_P);
}

/* Holding one slice: an array of one. */
static void vmmem_hold_slice_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slice = { .region = NULL };
	unsigned int nr = 1;

	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold(vm, FX_HOLE, 8, VMMEM_READ, &slice, &nr));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold(vm, FX_C, 8, VMMEM_WRITE, &slice, &nr));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_hold(vm, FX_A, 8, 0, &slice, &nr));
	KUNIT_EXPECT_EQ(test, nr, 1);
	/* Across a region's end: the two pieces it needs, none held. */
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_hold(vm, FX_B - 4, 8, VMMEM_READ, &slice, &nr));
	KUNIT_EXPECT_EQ(test, nr, 2);
	KUNIT_EXPECT_NULL(test, slice.region);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);

	nr = 1;
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, FX_C, 8, VMMEM_READ, &slice, &nr));
	KUNIT_ASSERT_EQ(test, nr, 1);
	/* Taken for reading: no pointer to write through. */
	KUNIT_EXPECT_NULL(test, slice.wptr);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 2);
	vmmem_release(&slice, nr);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);
	/* Releasing twice is harmless. */
	vmmem_release(&slice, nr);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);
}

static void vmmem_hold_range_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slices[4];
	unsigned int nr = ARRAY_SIZE(slices), i;

	/* Three regions: three held pieces, in order. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, FX_A + 8, 5 * FX_P - 16,
					    VMMEM_READ, slices, &nr));
	KUNIT_ASSERT_EQ(test, nr, 3);
	KUNIT_EXPECT_EQ(test, slices[0].gpa, FX_A + 8);
	KUNIT_EXPECT_EQ(test, slices[1].gpa, FX_B);
	KUNIT_EXPECT_EQ(test, slices[2].gpa, FX_C);
	KUNIT_EXPECT_EQ(test, slices[2].len, FX_C_SIZE - 8);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_TRUE(test, fx_matches(slices[i].ptr, slices[i].gpa,
						   slices[i].len));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 2);
	vmmem_release(slices, nr);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);

	/* Too small an array: the count needed, and nothing held. */
	nr = 2;
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_hold(vm, FX_A, 5 * FX_P,
						   VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, nr, 3);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);

	/* A hole, or write access to read-only memory: nothing held. */
	nr = ARRAY_SIZE(slices);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold(vm, FX_B, 4 * FX_P,
						  VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold(vm, FX_A, 5 * FX_P,
						  VMMEM_WRITE, slices, &nr));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);

	/* Empty range: nothing to hold, success. */
	nr = ARRAY_SIZE(slices);
	KUNIT_EXPECT_EQ(test, 0, vmmem_hold(vm, FX_HOLE, 0, VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, nr, 0);
}

/* Drops the test's references on a NULL-terminated array of pages. */
static void put_pages(void *data)
{
	struct page **pages = data;

	while (*pages)
		put_page(*pages++);
}

/*
 * An add of fresh memory with the suite's backing. The pages of a page
 * array stay the test's until it ends, so that their counts show whether
 * vmmem still holds them.
 */
static struct vmmem_update add_update(struct kunit *test, u64 gpa, u64 size,
				      unsigned int flags)
{
	const enum fx_backing *backing = test->priv;
	struct vmmem_update up = {
		.op = VMMEM_ADD_VMALLOC,
		.flags = flags,
		.gpa = gpa,
		.size = size,
	};
	unsigned long i, n = size >> PAGE_SHIFT;

	switch (backing ? *backing : FX_VMALLOC) {
	case FX_USER:
		up.op = VMMEM_ADD_USER;
		up.uaddr = fx_user_map(test, size, PROT_READ | PROT_WRITE,
				       MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE);
		break;
	case FX_PAGES:
		up.op = VMMEM_ADD_PAGES;
		up.pages = kunit_kcalloc(test, n + 1, sizeof(*up.pages), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, up.pages);
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_pages,
								   up.pages));
		for (i = 0; i < n; i++) {
			up.pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
			KUNIT_ASSERT_NOT_NULL(test, up.pages[i]);
		}
		break;
	case FX_VMALLOC:
		break;
	}
	return up;
}

static struct vmmem_update remove_update(u64 gpa, u64 size)
{
	return (struct vmmem_update){ .op = VMMEM_REMOVE, .gpa = gpa, .size = size };
}

/* Nothing the adds of @ups built is held: no pin, no page reference. */
static void expect_released(struct kunit *test, const struct vmmem_update *ups,
			    unsigned int nr, s64 pinned)
{
	unsigned long k;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, pinned_vm(), pinned);
	for (i = 0; i < nr; i++) {
		if (ups[i].op != VMMEM_ADD_PAGES)
			continue;
		for (k = 0; k < ups[i].size >> PAGE_SHIFT; k++)
			KUNIT_EXPECT_EQ_MSG(test, page_count(ups[i].pages[k]), 1,
					    "update %u, page %lu", i, k);
	}
}

/*
 * Move a region and resize another in one update: each removed, then added
 * back. In the other order the adds meet the regions still there.
 */
static void vmmem_update_moves(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	u64 gen = fx_info(vm).generation;
	const struct vmmem_update ups[] = {
		remove_update(FX_E, FX_E_SIZE),
		add_update(test, FX_HOLE, FX_E_SIZE, 0),
		remove_update(FX_A, FX_A_SIZE),
		add_update(test, FX_A - FX_P, FX_A_SIZE + FX_P, 0),
	};
	const struct vmmem_update adds_first[] = { ups[1], ups[3], ups[0], ups[2] };
	s64 base = pinned_vm();

	KUNIT_EXPECT_EQ(test, -EEXIST, vmmem_update(vm, adds_first, ARRAY_SIZE(adds_first)));
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, gen);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_E, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	expect_released(test, ups, ARRAY_SIZE(ups), base);

	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, gen + 1);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_E, 1, VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_HOLE, FX_E_SIZE, VMMEM_WRITE));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_A - FX_P, FX_A_SIZE + FX_P,
						  VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 5);
	/* B was not part of the update and kept its contents. */
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_B, FX_B_SIZE));
}

/* Replace the whole layout in one step. */
static void vmmem_update_replaces_layout(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	const struct vmmem_update ups[] = {
		/* Its gpa and size are ignored, even invalid ones. */
		{ .op = VMMEM_REMOVE_ALL, .gpa = FX_B + 1, .size = 1 },
		add_update(test, FX_A, FX_P, 0),
		add_update(test, 0, FX_P, VMMEM_REGION_RDONLY),
	};
	struct vmmem_info info;

	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	info = fx_info(vm);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 2);
	KUNIT_EXPECT_EQ(test, info.last_addr, FX_A + FX_P - 1);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_A + FX_P, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 0, 1, VMMEM_WRITE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_TOP, 1, VMMEM_READ));

	/* Alone, it empties the map. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, 1));
	info = fx_info(vm);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 0);
	KUNIT_EXPECT_EQ(test, info.last_addr, 0);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_A, 1, VMMEM_READ));
}

enum update_fail_step {
	ADD_OVERLAPS, ADDS_OVERLAP, REMOVE_MISSING, REMOVE_TWICE, BAD_ARGS,
	REMOVE_WRONG_SIZE, UNKNOWN_OP, CANNOT_BUILD, MISSING_THEN_OVERLAP,
	OVERLAP_THEN_MISSING, MISSING_THEN_BAD_ARGS, ADDS_ONLY_OVERLAP,
};

struct update_fail_case {
	const char *desc;
	int ret;
	enum update_fail_step step;	/* which variant of a bad update */
};

static const struct update_fail_case update_fail_cases[] = {
	{ "added region overlaps", -EEXIST, ADD_OVERLAPS },
	{ "added regions overlap each other", -EEXIST, ADDS_OVERLAP },
	{ "removed region does not exist", -ENOENT, REMOVE_MISSING },
	{ "removed twice", -ENOENT, REMOVE_TWICE },
	{ "bad arguments, then a good add", -EINVAL, BAD_ARGS },
	{ "removed with the wrong size", -ENOENT, REMOVE_WRONG_SIZE },
	{ "unknown op", -EINVAL, UNKNOWN_OP },
	{ "a later add cannot be built", -ENOMEM, CANNOT_BUILD },
	{ "first error: missing, then overlapping", -ENOENT, MISSING_THEN_OVERLAP },
	{ "first error: overlapping, then missing", -EEXIST, OVERLAP_THEN_MISSING },
	{ "argument errors before the others", -EINVAL, MISSING_THEN_BAD_ARGS },
	{ "adds only, the last overlaps", -EEXIST, ADDS_ONLY_OVERLAP },
};

KUNIT_ARRAY_PARAM_DESC(update_fail, update_fail_cases, desc);

/*
 * An update that fails part-way publishes nothing and keeps nothing, and
 * returns the error of its first failing update.
 */
static void vmmem_update_all_or_nothing(struct kunit *test)
{
	const struct update_fail_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_info before = fx_info(vm), after;
	/* Every bad update starts with good ones. */
	struct vmmem_update ups[4] = {
		remove_update(FX_A, FX_A_SIZE),
		add_update(test, FX_HOLE, FX_P, 0),
	};
	unsigned int nr = 2;
	s64 base;

	switch (c->step) {
	case ADD_OVERLAPS:
		ups[nr++] = add_update(test, FX_C, FX_P, 0);
		break;
	case ADDS_OVERLAP:
		ups[nr++] = add_update(test, FX_HOLE, 2 * FX_P, 0);
		break;
	case REMOVE_MISSING:
		ups[nr++] = remove_update(300 * FX_P, FX_P);
		break;
	case REMOVE_TWICE:
		ups[nr++] = remove_update(FX_A, FX_A_SIZE);
		break;
	case BAD_ARGS:
		ups[nr++] = (struct vmmem_update){
			.op = VMMEM_ADD_VMALLOC, .gpa = 300 * FX_P + 1, .size = FX_P,
		};
		/* A later good update does not hide the error. */
		ups[nr++] = add_update(test, 400 * FX_P, FX_P, 0);
		break;
	case REMOVE_WRONG_SIZE:
		ups[nr++] = remove_update(FX_B, FX_P);
		break;
	case UNKNOWN_OP:
		ups[nr++] = (struct vmmem_update){
			.op = (enum vmmem_update_op)(VMMEM_REMOVE_ALL + 1),
		};
		break;
	case CANNOT_BUILD:
		/* Built after the earlier add: that one is released again. */
		ups[nr++] = (struct vmmem_update){
			.op = VMMEM_ADD_VMALLOC, .gpa = 1ULL << 52, .size = 1ULL << 50,
		};
		break;
	case MISSING_THEN_OVERLAP:
		ups[nr++] = remove_update(300 * FX_P, FX_P);
		ups[nr++] = add_update(test, FX_C, FX_P, 0);
		break;
	case OVERLAP_THEN_MISSING:
		ups[nr++] = add_update(test, FX_C, FX_P, 0);
		ups[nr++] = remove_update(300 * FX_P, FX_P);
		break;
	case MISSING_THEN_BAD_ARGS:
		ups[nr++] = remove_update(300 * FX_P, FX_P);
		ups[nr++] = (struct vmmem_update){ .op = VMMEM_ADD_VMALLOC, .gpa = 400 * FX_P };
		break;
	case ADDS_ONLY_OVERLAP:
		/* Nothing removed: the overlap is found before anything is built. */
		ups[0] = add_update(test, 300 * FX_P, FX_P, 0);
		ups[nr++] = add_update(test, FX_C, FX_P, 0);
		break;
	}
	base = pinned_vm();
	KUNIT_EXPECT_EQ(test, c->ret, vmmem_update(vm, ups, nr));

	after = fx_info(vm);
	KUNIT_EXPECT_EQ(test, after.generation, before.generation);
	KUNIT_EXPECT_EQ(test, after.nr_regions, before.nr_regions);
	KUNIT_EXPECT_EQ(test, after.last_addr, before.last_addr);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A, FX_A_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 300 * FX_P, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 400 * FX_P, 1, VMMEM_READ));
	/* Regions the update built were released with it. */
	expect_released(test, ups, nr, base);
}

/* The generation moves once per published change, never on a failure. */
static void vmmem_generation_counts(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	const struct vmmem_update two[] = {
		{ .op = VMMEM_ADD_VMALLOC, .gpa = FX_P, .size = FX_P },
		{ .op = VMMEM_ADD_VMALLOC, .gpa = 2 * FX_P, .size = FX_P },
	};
	u64 gen = fx_info(vm).generation;

	fx_add(test, vm, 0, FX_P, 0);
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, ++gen);
	KUNIT_EXPECT_EQ(test, -EEXIST, fx_try_add(test, vm, 0, FX_P, 0));
	KUNIT_EXPECT_EQ(test, -ENOENT, fx_remove(vm, FX_P, FX_P));
	/* No update at all: nothing to publish. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, two, 0));
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, gen);
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, two, ARRAY_SIZE(two)));
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, ++gen);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, 0, FX_P));
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, ++gen);
}

static void vmmem_cache_follows_map(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	u16 idx = 0;
	u64 v = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_B, FX_P, VMMEM_READ | VMMEM_WRITE,
						  &cache));
	/* The generation the cache checked is vmmem's business: internals. */
	KUNIT_EXPECT_EQ(test, ACCESS_PRIVATE(&cache, gen_read), fx_info(vm).generation);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(&cache, FX_B + 2, (u16)7));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(vm, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 7);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_B + FX_P - 8, (u64)99));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_B + FX_P - 8, &v));
	KUNIT_EXPECT_EQ(test, v, 99);

	/* Outside the window, misaligned: refused, value untouched. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire(&cache, FX_B + FX_P, &v));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire(&cache, FX_B - 8, &v));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load_acquire(&cache, FX_B + 1, &idx));
	KUNIT_EXPECT_EQ(test, v, 99);

	/* An unrelated change: the cache revalidates and goes on. */
	fx_add(test, vm, FX_HOLE, FX_P, 0);
	KUNIT_EXPECT_NE(test, ACCESS_PRIVATE(&cache, gen_read), fx_info(vm).generation);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, ACCESS_PRIVATE(&cache, gen_read), fx_info(vm).generation);

	/* The window's region goes: accesses fail; it comes back: they work. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_B, (u32)1));
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 0);
}

static void vmmem_cache_init_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	struct vmmem_snapshot *snap;
	u32 v = 0;

	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_init(vm, FX_HOLE, 8, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_init(vm, FX_C, 8, VMMEM_WRITE, &cache));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(vm, FX_B - 8, 16, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(vm, FX_A, 0, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(vm, FX_A, 8, 0, &cache));

	/* A read-only cache refuses stores. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_C, 64, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_C, (u32)1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, 64));

	/* A cache on a snapshot survives removal from the live map. */
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(snap, FX_E, FX_E_SIZE, VMMEM_READ,
						  &cache));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_E + 4, &v));
	KUNIT_EXPECT_TRUE(test, fx_matches((u8 *)&v, FX_E + 4, 4));
	vmmem_snapshot_put(snap);
}

/*
 * Pages written after their region left the map, through a translation or
 * a snapshot that still holds it, stay in the dirty log at their old
 * addresses until harvested with the region gone.
 */
static void vmmem_dirty_departed(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = ARRAY_SIZE(bvs) };
	unsigned long bits[1] = {};
	struct vmmem_snapshot *snap;
	u64 word = 0x0123456789abcdefULL;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_A + FX_P, 16, VMMEM_WRITE, &bv));
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_A, FX_A_SIZE));
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 2);

	/* The device finishes its I/O; a snapshot user writes B. */
	memcpy(bvec_virt(&bvs[0]), &word, 8);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_B + FX_P + 8, &word, 8));
	KUNIT_EXPECT_EQ(test, 2, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE + FX_B_SIZE, bits));
	KUNIT_EXPECT_EQ(test, bits[0], BIT(1) | BIT(3));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE + FX_B_SIZE, bits));
	/* The snapshot still holds both: both records stay. */
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 2);

	/*
	 * The last holder lets go: A, clean, goes at once; B's last write is
	 * still reported once, then its record goes too.
	 */
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_B, &word, 8));
	vmmem_snapshot_put(snap);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 1);
	bits[0] = 0;
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_B, FX_B_SIZE, bits));
	KUNIT_EXPECT_EQ(test, bits[0], BIT(0));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 0);

	/*
	 * A removed region still held follows logging off and on, and a new
	 * logging period drops its bits with everyone else's.
	 */
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_E, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_E, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(snap, FX_E + 8, &word, 8));
	vmmem_snapshot_put(snap);
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, bits));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 0);
}

/* A reader that stays inside one RCU read-side section on another CPU. */
struct rcu_reader {
	struct completion inside;
	unsigned long until;		/* jiffies */
	bool release, timed_out, done;
};

static void rcu_reader_work(struct fx_worker *w)
{
	struct rcu_reader *r = w->data;

	rcu_read_lock();
	complete(&r->inside);
	while (!READ_ONCE(r->release) && !fx_worker_stopping(w) &&
	       time_before(jiffies, r->until))
		cpu_relax();
	WRITE_ONCE(r->timed_out, !READ_ONCE(r->release));
	/* Inside the section: a grace period that ends after it sees this. */
	WRITE_ONCE(r->done, true);
	rcu_read_unlock();
}

/* Start @r on a CPU other than the test's, which is bound to its own. */
static struct fx_threads *rcu_reader_start(struct kunit *test, struct rcu_reader *r,
					   unsigned long ms)
{
	struct fx_threads *th;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs: a reader spinning on the only one never yields");
	init_completion(&r->inside);
	r->until = jiffies + msecs_to_jiffies(ms);
	th = fx_threads_start(test, rcu_reader_work, r, 1, "vmmem-rcu-reader");
	wait_for_completion(&r->inside);
	return th;
}

static void rcu_reader_stop(struct kunit *test, struct rcu_reader *r,
			    struct fx_threads *th)
{
	WRITE_ONCE(r->release, true);
	fx_threads_stop(test, th);
}

/* Adds release nothing, so they do not wait for readers of old layouts. */
static void vmmem_adds_do_not_wait(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct rcu_reader r = {};
	struct fx_threads *th;
	unsigned int i;

	/* Long enough that eight grace periods could never fit in it. */
	th = rcu_reader_start(test, &r, 5000);
	for (i = 0; i < 8; i++)
		fx_add(test, vm, FX_BASE + 2 * i * FX_P, FX_P, 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(r.done));
	rcu_reader_stop(test, &r, th);
	KUNIT_EXPECT_FALSE(test, r.timed_out);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 8);
}

/* A removal returns only once readers that may see the region are gone. */
static void vmmem_remove_waits_for_readers(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct rcu_reader r = {};
	struct fx_threads *th;

	th = rcu_reader_start(test, &r, 300);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(r.done));
	rcu_reader_stop(test, &r, th);
}

/*
 * Each CPU keeps its own lookup guess: no reader writes another's. Guesses
 * are kept only where lookups do not compare every region: one more region
 * than that, a page each, a page apart.
 */
static void vmmem_hint_per_cpu(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned int first, second, i;
	u8 v;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	for (i = 0; i <= VMMEM_FEW_REGIONS; i++)
		fx_add(test, vm, FX_BASE + 2 * i * FX_P, FX_P, 0);
	first = cpumask_first(cpu_online_mask);
	second = cpumask_next(first, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(first)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_BASE + 6 * FX_P, &v));
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(second)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_BASE, &v));
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_hint(vm, first), 3);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_hint(vm, second), 0);
}

/* Lets go of a held slice a little later, from a workqueue. */
struct late_release {
	struct delayed_work work;
	struct vmmem_slice slice;
};

static void late_release_fn(struct work_struct *work)
{
	struct late_release *late = container_of(to_delayed_work(work),
						 struct late_release, work);

	vmmem_release(&late->slice, 1);
}

/*
 * vmmem_wait_released() returns once every removed region is released:
 * not while a held slice or a snapshot still uses one, at once when none
 * does, when the last holder lets go meanwhile, and early for a fatal
 * signal or the timeout.
 */
static void vmmem_wait_for_holders(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct late_release late;
	struct vmmem_snapshot *snap;
	unsigned int nr = 1;

	/* Nothing removed yet, then a removal nobody holds. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 0));
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 0));

	/* A held slice and a snapshot each keep a removed region. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, FX_A, 8, VMMEM_READ, &late.slice, &nr));
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_A, FX_A_SIZE));
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, -ETIMEDOUT, vmmem_wait_released(vm, 0));
	KUNIT_EXPECT_EQ(test, -ETIMEDOUT, vmmem_wait_released(vm, HZ / 50));
	vmmem_snapshot_put(snap);
	/* B had only the snapshot; A is still held. */
	KUNIT_EXPECT_EQ(test, -ETIMEDOUT, vmmem_wait_released(vm, HZ / 10));

	/* A fatal signal ends the wait; the slice is still held. */
	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	KUNIT_EXPECT_EQ(test, -EINTR, vmmem_wait_released(vm, MAX_SCHEDULE_TIMEOUT));
	flush_signals(current);
	disallow_signal(SIGKILL);

	/* The holder lets go while the VMM waits: the wait ends. */
	INIT_DELAYED_WORK(&late.work, late_release_fn);
	schedule_delayed_work(&late.work, HZ / 20);
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 30 * HZ));
	flush_delayed_work(&late.work);
}

FX_DEFINE_SUITES(vmmem_hotplug,
		 KUNIT_CASE(vmmem_snapshot_is_frozen),
		 KUNIT_CASE(vmmem_snapshot_references),
		 KUNIT_CASE(vmmem_snapshot_outlives_map),
		 KUNIT_CASE(vmmem_hold_survives_remove),
		 KUNIT_CASE(vmmem_hold_slice_rules),
		 KUNIT_CASE(vmmem_hold_range_rules),
		 KUNIT_CASE(vmmem_update_moves),
		 KUNIT_CASE(vmmem_update_replaces_layout),
		 KUNIT_CASE_PARAM(vmmem_update_all_or_nothing, update_fail_gen_params),
		 KUNIT_CASE(vmmem_generation_counts),
		 KUNIT_CASE(vmmem_cache_follows_map),
		 KUNIT_CASE(vmmem_cache_init_rules),
		 KUNIT_CASE(vmmem_dirty_departed),
		 KUNIT_CASE_SLOW(vmmem_adds_do_not_wait),
		 KUNIT_CASE(vmmem_remove_waits_for_readers),
		 KUNIT_CASE(vmmem_wait_for_holders),
		 KUNIT_CASE(vmmem_hint_per_cpu));
