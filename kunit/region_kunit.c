// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_region: adding and removing regions with vmmem_update(), and what
 * vmmem_info() and vmmem_region_info() report.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "fixture.h"

/* The map every add case starts from: one 16-page region at EX. */
#define EX		(16 * FX_P)
#define EX_SIZE		(16 * FX_P)
#define EX_MARK		0x1badcafe

struct add_case {
	const char *desc;
	u64 gpa;
	u64 size;
	unsigned int flags;
	int ret;
};

static const struct add_case add_cases[] = {
	{ "zero size", 64 * FX_P, 0, 0, -EINVAL },
	{ "zero size at existing", EX, 0, 0, -EINVAL },
	{ "misaligned gpa", 64 * FX_P + 1, FX_P, 0, -EINVAL },
	{ "misaligned size", 64 * FX_P, FX_P + 1, 0, -EINVAL },
	{ "sub-page size", 64 * FX_P, FX_P / 2, 0, -EINVAL },
	{ "unknown flag", 64 * FX_P, FX_P, 0x80, -EINVAL },
	{ "wraps past 2^64", 0 - FX_P, 2 * FX_P, 0, -EOVERFLOW },
	{ "2^64 - page from page 2", 2 * FX_P, 0 - FX_P, 0, -EOVERFLOW },
	{ "huge and overlapping", FX_P, 0 - FX_P, 0, -EEXIST },
	{ "misaligned and overlapping", EX + 1, FX_P, 0, -EINVAL },
	{ "unknown flag and overlapping", EX, FX_P, 0x80, -EINVAL },
	{ "wraps onto existing", 0 - FX_P, FX_P + EX + FX_P, 0, -EOVERFLOW },
	{ "overlaps exactly", EX, EX_SIZE, 0, -EEXIST },
	{ "overlaps first page", EX - FX_P, 2 * FX_P, 0, -EEXIST },
	{ "overlaps last page", EX + EX_SIZE - FX_P, 2 * FX_P, 0, -EEXIST },
	{ "inside existing", EX + FX_P, FX_P, 0, -EEXIST },
	{ "covers existing", EX - FX_P, EX_SIZE + 2 * FX_P, 0, -EEXIST },
	{ "read-only overlapping", EX + FX_P, FX_P, VMMEM_REGION_RDONLY, -EEXIST },
	{ "adjacent below", EX - FX_P, FX_P, 0, 0 },
	{ "adjacent above", EX + EX_SIZE, FX_P, 0, 0 },
	{ "at address 0", 0, FX_P, 0, 0 },
	{ "ends at 2^64 - 1", 0 - FX_P, FX_P, 0, 0 },
	{ "read-only", 64 * FX_P, 4 * FX_P, VMMEM_REGION_RDONLY, 0 },
};

KUNIT_ARRAY_PARAM_DESC(add, add_cases, desc);

static void vmmem_add_rules(struct kunit *test)
{
	const struct add_case *c = test->param_value;
	const struct vmmem_update up = {
		.op = VMMEM_ADD_VMALLOC,
		.flags = c->flags,
		.gpa = c->gpa,
		.size = c->size,
	};
	struct vmmem *vm = fx_create(test);
	u64 gen, val = 0;
	bool was_mapped;

	fx_add(test, vm, EX, EX_SIZE, 0);
	/* A mark in the last word shows whether the add touched EX. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, EX + EX_SIZE - 8, (u64)EX_MARK));
	gen = fx_info(vm).generation;
	was_mapped = vmmem_check_range(vm, c->gpa, 1, VMMEM_READ);

	KUNIT_EXPECT_EQ(test, c->ret, vmmem_update(vm, &up, 1));

	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, EX + EX_SIZE - 8, &val));
	KUNIT_EXPECT_EQ(test, val, EX_MARK);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 1);
		KUNIT_EXPECT_EQ(test, fx_info(vm).generation, gen);
		KUNIT_EXPECT_EQ(test, fx_info(vm).last_addr, EX + EX_SIZE - 1);
		/* Nothing new became mapped at the requested address. */
		KUNIT_EXPECT_EQ(test, was_mapped,
				vmmem_check_range(vm, c->gpa, 1, VMMEM_READ));
		return;
	}

	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 2);
	KUNIT_EXPECT_NE(test, fx_info(vm).generation, gen);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, c->gpa, c->size, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, !(c->flags & VMMEM_REGION_RDONLY),
			vmmem_check_range(vm, c->gpa, c->size, VMMEM_WRITE));
	/* New memory is zeroed, first and last byte. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, c->gpa, &val));
	KUNIT_EXPECT_EQ(test, val, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, c->gpa + c->size - 8, &val));
	KUNIT_EXPECT_EQ(test, val, 0);
}

struct remove_case {
	const char *desc;
	u64 gpa;
	u64 size;
	int ret;
};

/* Two adjacent regions: [EX, +EX_SIZE) and [EX + EX_SIZE, +EX_SIZE). */
static const struct remove_case remove_cases[] = {
	{ "exact first", EX, EX_SIZE, 0 },
	{ "exact second", EX + EX_SIZE, EX_SIZE, 0 },
	{ "smaller size", EX, EX_SIZE - FX_P, -ENOENT },
	{ "larger size", EX, EX_SIZE + FX_P, -ENOENT },
	{ "zero size", EX, 0, -ENOENT },
	{ "inside, not at start", EX + FX_P, EX_SIZE - FX_P, -ENOENT },
	{ "misaligned start", EX + 1, EX_SIZE - 1, -ENOENT },
	{ "both adjacent regions", EX, 2 * EX_SIZE, -ENOENT },
	{ "nothing there", 128 * FX_P, FX_P, -ENOENT },
	{ "in the hole below", EX - FX_P, FX_P, -ENOENT },
	{ "wrapping size", EX, 0 - EX + 1, -ENOENT },
};

KUNIT_ARRAY_PARAM_DESC(remove, remove_cases, desc);

static void vmmem_remove_rules(struct kunit *test)
{
	const struct remove_case *c = test->param_value;
	struct vmmem *vm = fx_create(test);
	u64 gen, other;
	u8 byte = 0xff;

	fx_add(test, vm, EX, EX_SIZE, 0);
	fx_add(test, vm, EX + EX_SIZE, EX_SIZE, 0);
	fx_fill(test, vm, EX, 2 * EX_SIZE);
	gen = fx_info(vm).generation;

	KUNIT_EXPECT_EQ(test, c->ret, fx_remove(vm, c->gpa, c->size));

	if (c->ret) {
		KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 2);
		KUNIT_EXPECT_EQ(test, fx_info(vm).generation, gen);
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, EX, 2 * EX_SIZE));
		return;
	}
	other = c->gpa == EX ? EX + EX_SIZE : EX;
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 1);
	KUNIT_EXPECT_NE(test, fx_info(vm).generation, gen);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, c->gpa, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, c->gpa + c->size - 1, 1,
						   VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, other, EX_SIZE));
	/* The exact range can be added again, and comes back zeroed. */
	KUNIT_EXPECT_EQ(test, 0, fx_try_add(test, vm, c->gpa, c->size, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, c->gpa, &byte));
	KUNIT_EXPECT_EQ(test, byte, 0);
}

static void vmmem_empty_map(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct vmmem_info info = { .generation = 1, .last_addr = 1, .nr_regions = 1 };
	u8 buf[8];

	vmmem_info(vm, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 0);
	KUNIT_EXPECT_EQ(test, info.last_addr, 0);
	KUNIT_EXPECT_EQ(test, info.generation, 0);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 0, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, 0, buf, sizeof(buf)), sizeof(buf));
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, U64_MAX, buf, 1), 1);
	KUNIT_EXPECT_EQ(test, fx_remove(vm, 0, FX_P), -ENOENT);

	/* Emptied again after use, the map behaves as new. */
	fx_add(test, vm, FX_P, FX_P, 0);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, FX_P, FX_P));
	vmmem_info(vm, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 0);
	KUNIT_EXPECT_EQ(test, info.last_addr, 0);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, FX_P, buf, 1), 1);
}

/* All three fields of vmmem_info(), filled from one layout. */
static void expect_info(struct kunit *test, union vmmem_space space,
			unsigned int nr_regions, u64 last_addr, u64 generation)
{
	struct vmmem_info info;

	/* Garbage first: a field vmmem_info() leaves alone shows. */
	memset(&info, 0xa5, sizeof(info));
	vmmem_info(space, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, nr_regions);
	KUNIT_EXPECT_EQ(test, info.last_addr, last_addr);
	KUNIT_EXPECT_EQ(test, info.generation, generation);
}

/*
 * vmmem_info() follows every change: one generation per published update,
 * none for a failed one, and a snapshot keeps reporting what the map was
 * when it was taken.
 */
static void vmmem_info_follows_map(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	const struct vmmem_update remove_all = { .op = VMMEM_REMOVE_ALL };
	struct vmmem_snapshot *snap;
	u64 gen = 0;

	expect_info(test, vm, 0, 0, gen);
	fx_add(test, vm, 0, FX_P, 0);
	expect_info(test, vm, 1, FX_P - 1, ++gen);
	fx_add(test, vm, 8 * FX_P, 2 * FX_P, 0);
	expect_info(test, vm, 2, 10 * FX_P - 1, ++gen);
	fx_add(test, vm, 4 * FX_P, FX_P, 0);
	expect_info(test, vm, 3, 10 * FX_P - 1, ++gen);
	fx_add(test, vm, 0 - FX_P, FX_P, 0);
	expect_info(test, vm, 4, U64_MAX, ++gen);
	KUNIT_EXPECT_EQ(test, -EEXIST, fx_try_add(test, vm, 4 * FX_P, FX_P, 0));
	KUNIT_EXPECT_EQ(test, -ENOENT, fx_remove(vm, 5 * FX_P, FX_P));
	expect_info(test, vm, 4, U64_MAX, gen);

	snap = vmmem_snapshot(vm);
	expect_info(test, snap, 4, U64_MAX, gen);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, 0 - FX_P, FX_P));
	expect_info(test, vm, 3, 10 * FX_P - 1, ++gen);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, 8 * FX_P, 2 * FX_P));
	expect_info(test, vm, 2, 5 * FX_P - 1, ++gen);
	expect_info(test, snap, 4, U64_MAX, gen - 2);
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, &remove_all, 1));
	expect_info(test, vm, 0, 0, ++gen);
	expect_info(test, snap, 4, U64_MAX, gen - 3);
	vmmem_snapshot_put(snap);
}

/* vmmem_get() keeps the map and its regions alive past the creator's put. */
static void vmmem_refcount(struct kunit *test)
{
	struct vmmem *vm = vmmem_create("kunit", 0);
	u32 val = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, fx_try_add(test, vm, 0, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, 4, (u32)0xfeedf00d));
	vmmem_get(vm);
	vmmem_put(vm);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, 4, &val));
	KUNIT_EXPECT_EQ(test, val, 0xfeedf00d);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 1);
	/* The last put frees the remaining region with the map. */
	vmmem_put(vm);
	vmmem_put(NULL);
}

/*
 * Many regions with holes between them, added in random order and removed
 * in another: every lookup lands in the right region, and the holes stay
 * holes. The seed is printed so a failure can be replayed.
 */
#define MANY 512

static void shuffle(unsigned int *order, struct rnd_state *rnd)
{
	unsigned int i, j;

	for (i = MANY - 1; i > 0; i--) {
		j = prandom_u32_state(rnd) % (i + 1);
		swap(order[i], order[j]);
	}
}

static void vmmem_many_regions(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned int *order;
	unsigned int i, j, seed = get_random_u32();
	struct rnd_state rnd;
	u64 gpa, val;

	order = kunit_kmalloc_array(test, MANY, sizeof(*order), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, order);
	kunit_info(test, "seed %u\n", seed);
	prandom_seed_state(&rnd, seed);
	for (i = 0; i < MANY; i++)
		order[i] = i;

	/* Region i is at page 3i, one or two pages long: holes at 3i + 2. */
	shuffle(order, &rnd);
	for (i = 0; i < MANY; i++) {
		j = order[i];
		fx_add(test, vm, 3 * j * FX_P, (1 + j % 2) * FX_P, 0);
		KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, 3 * j * FX_P, (u64)j));
	}
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, MANY);
	KUNIT_EXPECT_EQ(test, fx_info(vm).last_addr, (3 * (MANY - 1) + 2) * FX_P - 1);

	for (j = 0; j < MANY; j++) {
		gpa = 3 * j * FX_P;
		KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, gpa, &val));
		KUNIT_EXPECT_EQ(test, val, j);
		KUNIT_EXPECT_EQ(test, j % 2 == 1,
				vmmem_check_range(vm, gpa + FX_P, 1, VMMEM_READ));
		KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, gpa + 2 * FX_P, 1,
							   VMMEM_READ));
	}

	shuffle(order, &rnd);
	for (i = 0; i < MANY; i++) {
		j = order[i];
		KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, 3 * j * FX_P,
						   (1 + j % 2) * FX_P));
		KUNIT_EXPECT_EQ(test, vmmem_load(vm, 3 * j * FX_P, &val), -EFAULT);
	}
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 0);
	KUNIT_EXPECT_EQ(test, fx_info(vm).last_addr, 0);
}

/*
 * Lookups at every region boundary, for layouts of many sizes: the first
 * and last byte of each region, the bytes just outside it (a hole, or an
 * adjacent region), address 0 and 2^64 - 1. Regions are visited out of
 * order so that most lookups miss the last-hit hint and search the layout.
 * Then a third of the regions go in one update and the checks run again.
 */
struct lookup_case {
	unsigned int n;
	bool ends;	/* the first region at 0, the last ending at 2^64 - 1 */
};

static const struct lookup_case lookup_cases[] = {
	{ 1, false }, { 1, true }, { 2, false }, { 2, true }, { 3, false },
	{ 3, true }, { 4, false }, { 4, true }, { 5, true }, { 6, false }, { 7, true },
	{ 8, false }, { 8, true }, { 9, false }, { 15, true }, { 16, false },
	{ 17, true }, { 31, false }, { 32, true }, { 33, false }, { 64, true },
	{ 65, false }, { 255, true }, { 256, false }, { 257, true },
	{ 1000, false }, { 1000, true },
};

static void lookup_case_desc(const struct lookup_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u regions%s", c->n,
		 c->ends ? ", at 0 and at 2^64 - 1" : "");
}

KUNIT_ARRAY_PARAM(lookup, lookup_cases, lookup_case_desc);

struct lookup_ref {
	unsigned int n;
	u64 *gpa;
	u64 *size;
	bool *present;
};

/* The region of the reference layout that holds @gpa, or -1. */
static int ref_find(const struct lookup_ref *ref, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < ref->n; i++)
		if (ref->present[i] && gpa - ref->gpa[i] < ref->size[i])
			return i;
	return -1;
}

static void expect_lookup(struct kunit *test, struct vmmem *vm,
			  const struct lookup_ref *ref, u64 gpa)
{
	struct vmmem_region_info info = {};
	int want = ref_find(ref, gpa);
	u8 byte;

	if (want < 0) {
		KUNIT_EXPECT_EQ_MSG(test, -ENOENT, vmmem_region_info(vm, gpa, &info),
				    "at %#llx", gpa);
		KUNIT_EXPECT_EQ_MSG(test, -EFAULT, vmmem_load(vm, gpa, &byte),
				    "at %#llx", gpa);
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, 0, vmmem_region_info(vm, gpa, &info), "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, info.gpa, ref->gpa[want], "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, info.size, ref->size[want], "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, 0, vmmem_load(vm, gpa, &byte), "at %#llx", gpa);
}

static void check_lookups(struct kunit *test, struct vmmem *vm,
			  const struct lookup_ref *ref)
{
	unsigned int i, k, nr = 0;
	u64 last = 0, gpa, end;

	/* 7919 is prime and above every n here: each region once, scattered. */
	for (k = 0; k < ref->n; k++) {
		i = k * 7919 % ref->n;
		gpa = ref->gpa[i];
		end = gpa + ref->size[i];	/* 0 for the region at the top */
		expect_lookup(test, vm, ref, gpa);
		expect_lookup(test, vm, ref, end - 1);
		expect_lookup(test, vm, ref, gpa - 1);
		expect_lookup(test, vm, ref, end);
		expect_lookup(test, vm, ref, gpa + ref->size[i] / 2);
		if (!ref->present[i])
			continue;
		nr++;
		last = max(last, end - 1);
		/* The early overlap check of an add sees every region. */
		KUNIT_EXPECT_EQ(test, -EEXIST, fx_try_add(test, vm, end - FX_P, FX_P, 0));
	}
	/*
	 * In address order, each region and then the byte after it: the
	 * next region, a hole or a removed region, so the lookup's guess of
	 * the next region is both right and wrong.
	 */
	for (i = 0; i < ref->n; i++) {
		end = ref->gpa[i] + ref->size[i];
		expect_lookup(test, vm, ref, ref->gpa[i]);
		expect_lookup(test, vm, ref, end - 1);
		expect_lookup(test, vm, ref, end);
	}
	expect_lookup(test, vm, ref, 0);
	expect_lookup(test, vm, ref, U64_MAX);
	expect_lookup(test, vm, ref, U64_MAX / 2);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, nr);
	KUNIT_EXPECT_EQ(test, fx_info(vm).last_addr, last);
}

/* Marking everything, holes skipped, dirties each page of each region. */
static void check_mark_all(struct kunit *test, struct vmmem *vm,
			   const struct lookup_ref *ref)
{
	unsigned long bits[1];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	vmmem_mark_dirty(vm, 0, U64_MAX);
	for (i = 0; i < ref->n; i++) {
		if (!ref->present[i])
			continue;
		bits[0] = 0;
		KUNIT_EXPECT_EQ(test, ref->size[i] >> PAGE_SHIFT,
				vmmem_dirty_harvest(vm, ref->gpa[i], ref->size[i], bits));
	}
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
}

static void vmmem_lookup_boundaries(struct kunit *test)
{
	const struct lookup_case *c = test->param_value;
	struct vmmem *vm = fx_create(test);
	struct lookup_ref ref = { .n = c->n };
	struct vmmem_update *ups;
	unsigned int i, nr;
	u64 page = c->ends ? 0 : 1;

	ref.gpa = kunit_kcalloc(test, c->n, sizeof(*ref.gpa), GFP_KERNEL);
	ref.size = kunit_kcalloc(test, c->n, sizeof(*ref.size), GFP_KERNEL);
	ref.present = kunit_kcalloc(test, c->n, sizeof(*ref.present), GFP_KERNEL);
	ups = kunit_kcalloc(test, c->n, sizeof(*ups), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, ref.gpa && ref.size && ref.present && ups);

	/* One or two pages each; holes of one or two pages, some adjacent. */
	for (i = 0; i < c->n; i++) {
		if (i)
			page += i % 4 == 2 ? 0 : 1 + (i % 5 == 0);
		ref.gpa[i] = page * FX_P;
		ref.size[i] = (1 + (i % 3 == 1)) * FX_P;
		ref.present[i] = true;
		page += ref.size[i] / FX_P;
	}
	if (c->ends && c->n > 1)
		ref.gpa[c->n - 1] = 0 - ref.size[c->n - 1];

	for (i = 0; i < c->n; i++)
		ups[i] = (struct vmmem_update){
			.op = VMMEM_ADD_VMALLOC,
			.gpa = ref.gpa[i],
			.size = ref.size[i],
		};
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(vm, ups, c->n));
	check_lookups(test, vm, &ref);
	check_mark_all(test, vm, &ref);

	/* After hotplug: every third region gone in one step. */
	for (i = 0, nr = 0; i < c->n; i += 3, nr++) {
		ups[nr] = (struct vmmem_update){
			.op = VMMEM_REMOVE,
			.gpa = ref.gpa[i],
			.size = ref.size[i],
		};
		ref.present[i] = false;
	}
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(vm, ups, nr));
	check_lookups(test, vm, &ref);
	check_mark_all(test, vm, &ref);
}

/* A huge request fails cleanly, without a warning in the log. */
static void vmmem_add_too_large(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	KUNIT_EXPECT_EQ(test, -ENOMEM, fx_try_add(test, vm, 0, 1ULL << 50, 0));
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 0);
	KUNIT_EXPECT_EQ(test, fx_info(vm).generation, 0);
}

/* The map's info and contents are those of the fixture layout. */
static void expect_layout_unchanged(struct kunit *test, struct vmmem *vm,
				    const struct vmmem_info *before)
{
	expect_info(test, vm, before->nr_regions, before->last_addr,
		    before->generation);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A,
						 FX_A_SIZE + FX_B_SIZE + FX_C_SIZE));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_TOP, FX_TOP_SIZE));
}

/* No update at all publishes nothing and reads nothing of the array. */
static void vmmem_update_nothing(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	const struct vmmem_update remove_all = { .op = VMMEM_REMOVE_ALL };
	struct vmmem_info before = fx_info(vm);

	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, &remove_all, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, NULL, 0));
	expect_layout_unchanged(test, vm, &before);
}

/* An op vmmem does not know is refused, alone or after good updates. */
static void vmmem_update_unknown_op(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_info before = fx_info(vm);
	struct vmmem_update ups[] = {
		{ .op = VMMEM_REMOVE, .gpa = FX_A, .size = FX_A_SIZE },
		{ .op = VMMEM_ADD_VMALLOC, .gpa = FX_HOLE, .size = FX_P },
		{ .op = (enum vmmem_update_op)(VMMEM_REMOVE_ALL + 1) },
	};

	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_update(vm, &ups[2], 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	ups[2].op = (enum vmmem_update_op)0x7fffffff;
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, FX_HOLE, 1, VMMEM_READ));
	expect_layout_unchanged(test, vm, &before);
}

/*
 * VMMEM_ADD_PAGES takes its size in bytes: one that is not a whole number
 * of pages, or whose page array could never exist, is refused before a
 * page is touched.
 */
static void vmmem_update_pages_size(struct kunit *test)
{
	static const u64 bad_sizes[] = { 0, 1, FX_P / 2, FX_P + 1, 2 * FX_P - 8 };
	struct vmmem *vm = fx_create(test);
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct page *pages[2] = { page, page };
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.gpa = EX,
		.pages = pages,
	};
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		up.size = bad_sizes[i];
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL, vmmem_update(vm, &up, 1),
				    "size %#llx", up.size);
	}
	/* 2^52 - 1 pages, from an array of two: refused cleanly, no warning. */
	up.gpa = FX_P;
	up.size = 0 - FX_P;
	KUNIT_EXPECT_EQ(test, -ENOMEM, vmmem_update(vm, &up, 1));
	/* A page count that does not fit an unsigned long (32-bit only). */
	if (BITS_PER_LONG == 32) {
		up.gpa = 0;
		up.size = ((u64)ULONG_MAX + 1 + 1) << PAGE_SHIFT;
		KUNIT_EXPECT_EQ(test, -EOVERFLOW, vmmem_update(vm, &up, 1));
	}
	expect_info(test, vm, 0, 0, 0);
	/* No reference was taken and kept. */
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	__free_page(page);
}

static struct kunit_case vmmem_region_cases[] = {
	KUNIT_CASE_PARAM(vmmem_add_rules, add_gen_params),
	KUNIT_CASE_PARAM(vmmem_remove_rules, remove_gen_params),
	KUNIT_CASE(vmmem_empty_map),
	KUNIT_CASE(vmmem_info_follows_map),
	KUNIT_CASE(vmmem_refcount),
	KUNIT_CASE(vmmem_many_regions),
	KUNIT_CASE_PARAM(vmmem_lookup_boundaries, lookup_gen_params),
	KUNIT_CASE(vmmem_add_too_large),
	KUNIT_CASE(vmmem_update_nothing),
	KUNIT_CASE(vmmem_update_unknown_op),
	KUNIT_CASE(vmmem_update_pages_size),
	{}
};

static struct kunit_suite vmmem_region_suite = {
	.name = "vmmem_region",
	.test_cases = vmmem_region_cases,
};

kunit_test_suite(vmmem_region_suite);
