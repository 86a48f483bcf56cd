// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_hotplug: snapshots, held slices, batches, the generation counter
 * and the translation cache, on the fixture layout (see fixture.h), for
 * every backing.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/bitmap.h>
#include <linux/bvec.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>

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
	u64 gen = vmmem_generation(vm);
	struct vmmem *snap = vmmem_snapshot(vm);
	unsigned int regions = vmmem_num_regions(vm);
	u64 word = 0x1122334455667788ULL, back = 0;

	KUNIT_EXPECT_EQ(test, vmmem_generation(snap), gen);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_A, FX_A_SIZE));
	fx_add(test, vm, FX_HOLE, FX_P, 0);

	/* The live map moved on... */
	KUNIT_EXPECT_NE(test, vmmem_generation(vm), gen);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_A, 1, VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	/* ...the snapshot did not, and A's memory is still there. */
	KUNIT_EXPECT_EQ(test, vmmem_generation(snap), gen);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(snap), regions);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, snap, FX_A, FX_A_SIZE + FX_B_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(snap, FX_HOLE, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_A + 8, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_read(snap, FX_A + 8, &back, 8));
	KUNIT_EXPECT_EQ(test, back, word);
	/* B is in both: a write through the snapshot shows in the map. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_u64(snap, FX_B, word));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_u64(vm, FX_B, &back));
	KUNIT_EXPECT_EQ(test, back, word);

	/* A snapshot cannot be changed. */
	KUNIT_EXPECT_EQ(test, -EPERM, vmmem_add_vmalloc(snap, 200 * FX_P, FX_P, 0));
	KUNIT_EXPECT_EQ(test, -EPERM, vmmem_remove(snap, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, PTR_ERR(vmmem_batch_create(snap)), -EPERM);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(snap), regions);
	vmmem_put(snap);
}

/* Snapshots of snapshots, get and put: references on one layout. */
static void vmmem_snapshot_references(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem *snap = vmmem_snapshot(vm);
	struct vmmem *again = vmmem_snapshot(snap);

	KUNIT_EXPECT_PTR_EQ(test, snap, again);
	vmmem_get(snap);
	vmmem_put(again);
	vmmem_put(snap);
	/* One reference is left: the view still works. */
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, snap, FX_TOP, FX_TOP_SIZE));
	vmmem_put(snap);
	/* An unchanged map hands out the same view again. */
	again = vmmem_snapshot(vm);
	KUNIT_EXPECT_PTR_EQ(test, snap, again);
	vmmem_put(again);
}

/* A snapshot outlives the last reference on its map; then all is freed. */
static void vmmem_snapshot_outlives_map(struct kunit *test)
{
	struct vmmem *vm = vmmem_create();
	struct vmmem *snap;
	s64 base;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	fx_add(test, vm, FX_A, FX_A_SIZE, 0);
	fx_fill(test, vm, FX_A, FX_A_SIZE);
	base = pinned_vm();
	snap = vmmem_snapshot(vm);
	vmmem_put(vm);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, snap, FX_A, FX_A_SIZE));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	vmmem_put(snap);
	vmmem_synchronize();
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base - FX_A_SIZE / FX_P);
}

/* Removing a held region hides it at once; the memory stays for the holder. */
static void vmmem_hold_survives_remove(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slice;
	s64 base;

	KUNIT_ASSERT_EQ(test, 0, vmmem_hold_slice(vm, FX_B + 16, FX_P, VMMEM_WRITE,
						  &slice));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 2);
	base = pinned_vm();
	/* The holder itself removes the region: no deadlock, no wait. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_B, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	/* Sleeping with a held slice is allowed. */
	usleep_range(1000, 2000);
	KUNIT_EXPECT_TRUE(test, fx_matches(slice.ptr, FX_B + 16, FX_P));
	memset(slice.ptr, 0, 8);
	vmmem_release_slice(&slice);
	KUNIT_EXPECT_NULL(test, slice.region);
	vmmem_synchronize();
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base - FX_B_SIZE / FX_P);
}

static void vmmem_hold_slice_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slice = { .region = NULL };

	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold_slice(vm, FX_HOLE, 8, VMMEM_READ, &slice));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold_slice(vm, FX_C, 8, VMMEM_WRITE, &slice));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_hold_slice(vm, FX_B - 4, 8, VMMEM_READ, &slice));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_hold_slice(vm, FX_A, 8, 0, &slice));
	KUNIT_EXPECT_NULL(test, slice.region);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);

	KUNIT_ASSERT_EQ(test, 0, vmmem_hold_slice(vm, FX_C, 8, VMMEM_READ, &slice));
	KUNIT_EXPECT_FALSE(test, slice.writable);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 2);
	vmmem_release_slice(&slice);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);
	/* Releasing twice is harmless. */
	vmmem_release_slice(&slice);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);
}

static void vmmem_hold_range_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slices[4];
	unsigned int nr = ARRAY_SIZE(slices), i;

	/* Three regions: three held pieces, in order. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold_range(vm, FX_A + 8, 5 * FX_P - 16,
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
	vmmem_release_range(slices, nr);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);

	/* Too small an array: the count needed, and nothing held. */
	nr = 2;
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_hold_range(vm, FX_A, 5 * FX_P,
							 VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, nr, 3);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);

	/* A hole, or write access to read-only memory: nothing held. */
	nr = ARRAY_SIZE(slices);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold_range(vm, FX_B, 4 * FX_P,
							VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold_range(vm, FX_A, 5 * FX_P,
							VMMEM_WRITE, slices, &nr));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_A), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_B), 1);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_region_refs(vm, FX_C), 1);

	/* Empty range: nothing to hold, success. */
	nr = ARRAY_SIZE(slices);
	KUNIT_EXPECT_EQ(test, 0, vmmem_hold_range(vm, FX_HOLE, 0, VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, nr, 0);
}

/* Adds a region with the suite's backing through a batch. */
static int batch_add(struct kunit *test, struct vmmem_batch *batch, u64 gpa,
		     u64 size, unsigned int flags)
{
	const enum fx_backing *backing = test->priv;
	unsigned long uaddr;

	if (backing && *backing == FX_USER) {
		uaddr = fx_user_map(test, size, PROT_READ | PROT_WRITE,
				    MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE);
		return vmmem_batch_add_user(batch, gpa, uaddr, size, flags);
	}
	return vmmem_batch_add_vmalloc(batch, gpa, size, flags);
}

/* Move a region and resize another in one step. */
static void vmmem_batch_moves(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	u64 gen = vmmem_generation(vm);
	struct vmmem_batch *batch = vmmem_batch_create(vm);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_remove(batch, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, FX_HOLE, FX_E_SIZE, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_remove(batch, FX_A, FX_A_SIZE));
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, FX_A - FX_P, FX_A_SIZE + FX_P, 0));
	/* Nothing visible before the commit. */
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_E, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_commit(batch));

	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen + 1);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_E, 1, VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_HOLE, FX_E_SIZE, VMMEM_WRITE));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, FX_A - FX_P, FX_A_SIZE + FX_P,
						  VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 5);
	/* B was not part of the batch and kept its contents. */
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_B, FX_B_SIZE));
}

/* Replace the whole layout in one step. */
static void vmmem_batch_replaces_layout(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_batch *batch = vmmem_batch_create(vm);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_remove_all(batch));
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, FX_A, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, 0, FX_P, VMMEM_REGION_RDONLY));
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_commit(batch));
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 2);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), FX_A + FX_P - 1);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_A + FX_P, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 0, 1, VMMEM_WRITE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_TOP, 1, VMMEM_READ));
}

struct batch_fail_case {
	const char *desc;
	int ret;
	int step;	/* which variant of a bad batch */
};

static const struct batch_fail_case batch_fail_cases[] = {
	{ "added region overlaps", -EEXIST, 0 },
	{ "added regions overlap each other", -EEXIST, 1 },
	{ "removed region does not exist", -ENOENT, 2 },
	{ "removed twice", -ENOENT, 3 },
	{ "bad arguments while building", -EINVAL, 4 },
	{ "removed with the wrong size", -ENOENT, 5 },
};

KUNIT_ARRAY_PARAM_DESC(batch_fail, batch_fail_cases, desc);

/* A batch that fails part-way publishes nothing and keeps nothing. */
static void vmmem_batch_all_or_nothing(struct kunit *test)
{
	const struct batch_fail_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	u64 gen = vmmem_generation(vm);
	struct vmmem_batch *batch;
	s64 base = pinned_vm();

	batch = vmmem_batch_create(vm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	/* Every bad batch starts with good operations. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_remove(batch, FX_A, FX_A_SIZE));
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, FX_HOLE, FX_P, 0));
	switch (c->step) {
	case 0:
		batch_add(test, batch, FX_C, FX_P, 0);
		break;
	case 1:
		batch_add(test, batch, FX_HOLE, 2 * FX_P, 0);
		break;
	case 2:
		vmmem_batch_remove(batch, 300 * FX_P, FX_P);
		break;
	case 3:
		vmmem_batch_remove(batch, FX_A, FX_A_SIZE);
		break;
	case 4:
		KUNIT_EXPECT_EQ(test, -EINVAL,
				vmmem_batch_add_vmalloc(batch, 300 * FX_P + 1, FX_P, 0));
		/* A later good operation does not clear the error. */
		batch_add(test, batch, 400 * FX_P, FX_P, 0);
		break;
	case 5:
		vmmem_batch_remove(batch, FX_B, FX_P);
		break;
	}
	KUNIT_EXPECT_EQ(test, c->ret, vmmem_batch_commit(batch));

	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 5);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A, FX_A_SIZE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	/* Regions the batch built were released with it. */
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
}

static void vmmem_batch_abort_releases(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_batch *batch = vmmem_batch_create(vm);
	s64 base = pinned_vm();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	KUNIT_EXPECT_EQ(test, 0, batch_add(test, batch, FX_HOLE, 2 * FX_P, 0));
	if (is_user_backed(test))
		KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	vmmem_batch_abort(batch);
	vmmem_batch_abort(NULL);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 5);
}

/* The generation moves once per published change, never on a failure. */
static void vmmem_generation_counts(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct vmmem_batch *batch;
	u64 gen = vmmem_generation(vm);

	fx_add(test, vm, 0, FX_P, 0);
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), ++gen);
	KUNIT_EXPECT_EQ(test, -EEXIST, vmmem_add_vmalloc(vm, 0, FX_P, 0));
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_remove(vm, FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen);
	batch = vmmem_batch_create(vm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_add_vmalloc(batch, FX_P, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_add_vmalloc(batch, 2 * FX_P, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_batch_commit(batch));
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), ++gen);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, 0, FX_P));
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), ++gen);
}

static void vmmem_cache_follows_map(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	u16 idx = 0;
	u64 v = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(&cache, vm, FX_B, FX_P,
						  VMMEM_READ | VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, cache.valid_gen, vmmem_generation(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_cache_store_release(&cache, FX_B + 2, (u16)7));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire_u16(vm, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 7);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_u64(vm, FX_B + FX_P - 8, 99));
	KUNIT_EXPECT_EQ(test, 0, vmmem_cache_load_acquire(&cache, FX_B + FX_P - 8, &v));
	KUNIT_EXPECT_EQ(test, v, 99);

	/* Outside the window, misaligned: refused, value untouched. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_load_acquire(&cache, FX_B + FX_P, &v));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_load_acquire(&cache, FX_B - 8, &v));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_load_acquire(&cache, FX_B + 1, &idx));
	KUNIT_EXPECT_EQ(test, v, 99);

	/* An unrelated change: the cache revalidates and goes on. */
	fx_add(test, vm, FX_HOLE, FX_P, 0);
	KUNIT_EXPECT_NE(test, cache.valid_gen, vmmem_generation(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_cache_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, cache.valid_gen, vmmem_generation(vm));

	/* The window's region goes: accesses fail; it comes back: they work. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_store_release(&cache, FX_B, (u32)1));
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_cache_load_acquire(&cache, FX_B + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 0);
}

static void vmmem_cache_init_rules(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	struct vmmem *snap;
	u32 v = 0;

	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_init(&cache, vm, FX_HOLE, 8, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_init(&cache, vm, FX_C, 8, VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(&cache, vm, FX_B - 8, 16, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(&cache, vm, FX_A, 0, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(&cache, vm, FX_A, 8, 0));

	/* A read-only cache refuses stores. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(&cache, vm, FX_C, 64, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_store_release(&cache, FX_C, (u32)1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, 64));

	/* A cache on a snapshot survives removal from the live map. */
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(&cache, snap, FX_E, FX_E_SIZE,
						  VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_cache_load_acquire(&cache, FX_E + 4, &v));
	KUNIT_EXPECT_TRUE(test, fx_matches((u8 *)&v, FX_E + 4, 4));
	vmmem_put(snap);
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
	struct vmmem *snap;
	u64 word = 0x0123456789abcdefULL;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, FX_A + FX_P, 16, VMMEM_WRITE, &bv));
	snap = vmmem_snapshot(vm);
	KUNIT_ASSERT_EQ(test, 0, vmmem_remove(vm, FX_A, FX_A_SIZE));
	KUNIT_ASSERT_EQ(test, 0, vmmem_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 2);

	/* The device finishes its I/O; a snapshot user writes B. */
	memcpy(bvec_virt(&bvs[0]), &word, 8);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_B + FX_P + 8, &word, 8));
	KUNIT_EXPECT_EQ(test, 2, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE + FX_B_SIZE, bits));
	KUNIT_EXPECT_EQ(test, bits[0], BIT(1) | BIT(3));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE + FX_B_SIZE, bits));
	/* The snapshot still holds both: both records stay. */
	KUNIT_EXPECT_EQ(test, vmmem_kunit_departed(vm), 2);

	/*
	 * The last holder lets go: A, clean, goes at once; B's last write is
	 * still reported once, then its record goes too.
	 */
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_B, &word, 8));
	vmmem_put(snap);
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
	KUNIT_ASSERT_EQ(test, 0, vmmem_remove(vm, FX_E, FX_E_SIZE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_E, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_E, &word, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_E, FX_E_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_write(snap, FX_E + 8, &word, 8));
	vmmem_put(snap);
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
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 8);
}

/* A removal returns only once readers that may see the region are gone. */
static void vmmem_remove_waits_for_readers(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct rcu_reader r = {};
	struct fx_threads *th;

	th = rcu_reader_start(test, &r, 300);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_B, FX_B_SIZE));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(r.done));
	rcu_reader_stop(test, &r, th);
}

/* Each CPU keeps its own lookup guess: no reader writes another's. */
static void vmmem_hint_per_cpu(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	unsigned int first, second;
	u8 v;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	first = cpumask_first(cpu_online_mask);
	second = cpumask_next(first, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(first)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_u8(vm, FX_E, &v));
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(second)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_u8(vm, FX_A, &v));
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	/* The fixture's regions in order: A B C E TOP. */
	KUNIT_EXPECT_EQ(test, vmmem_kunit_hint(vm, first), 3);
	KUNIT_EXPECT_EQ(test, vmmem_kunit_hint(vm, second), 0);
}

FX_DEFINE_SUITES(vmmem_hotplug,
		 KUNIT_CASE(vmmem_snapshot_is_frozen),
		 KUNIT_CASE(vmmem_snapshot_references),
		 KUNIT_CASE(vmmem_snapshot_outlives_map),
		 KUNIT_CASE(vmmem_hold_survives_remove),
		 KUNIT_CASE(vmmem_hold_slice_rules),
		 KUNIT_CASE(vmmem_hold_range_rules),
		 KUNIT_CASE(vmmem_batch_moves),
		 KUNIT_CASE(vmmem_batch_replaces_layout),
		 KUNIT_CASE_PARAM(vmmem_batch_all_or_nothing, batch_fail_gen_params),
		 KUNIT_CASE(vmmem_batch_abort_releases),
		 KUNIT_CASE(vmmem_generation_counts),
		 KUNIT_CASE(vmmem_cache_follows_map),
		 KUNIT_CASE(vmmem_cache_init_rules),
		 KUNIT_CASE(vmmem_dirty_departed),
		 KUNIT_CASE_SLOW(vmmem_adds_do_not_wait),
		 KUNIT_CASE(vmmem_remove_waits_for_readers),
		 KUNIT_CASE(vmmem_hint_per_cpu));
