// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_region: adding and removing regions, and what the map reports.
 */
#include <kunit/test.h>
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
	struct vmmem *vm = fx_create(test);
	u64 gen, mark = EX_MARK, val = 0;
	bool was_mapped;

	fx_add(test, vm, EX, EX_SIZE, 0);
	/* A mark in the last word shows whether the add touched EX. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_write_obj(vm, EX + EX_SIZE - 8, &mark));
	gen = vmmem_generation(vm);
	was_mapped = vmmem_check_range(vm, c->gpa, 1, VMMEM_READ);

	KUNIT_EXPECT_EQ(test, c->ret, vmmem_add_vmalloc(vm, c->gpa, c->size, c->flags));

	KUNIT_EXPECT_EQ(test, 0, vmmem_read_obj(vm, EX + EX_SIZE - 8, &val));
	KUNIT_EXPECT_EQ(test, val, EX_MARK);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 1);
		KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen);
		KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), EX + EX_SIZE - 1);
		/* Nothing new became mapped at the requested address. */
		KUNIT_EXPECT_EQ(test, was_mapped,
				vmmem_check_range(vm, c->gpa, 1, VMMEM_READ));
		return;
	}

	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 2);
	KUNIT_EXPECT_NE(test, vmmem_generation(vm), gen);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, c->gpa, c->size, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, !(c->flags & VMMEM_REGION_RDONLY),
			vmmem_check_range(vm, c->gpa, c->size, VMMEM_WRITE));
	/* New memory is zeroed, first and last byte. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_read_obj(vm, c->gpa, &val));
	KUNIT_EXPECT_EQ(test, val, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_read_obj(vm, c->gpa + c->size - 8, &val));
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
	gen = vmmem_generation(vm);

	KUNIT_EXPECT_EQ(test, c->ret, vmmem_remove(vm, c->gpa, c->size));

	if (c->ret) {
		KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 2);
		KUNIT_EXPECT_EQ(test, vmmem_generation(vm), gen);
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, EX, 2 * EX_SIZE));
		return;
	}
	other = c->gpa == EX ? EX + EX_SIZE : EX;
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 1);
	KUNIT_EXPECT_NE(test, vmmem_generation(vm), gen);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, c->gpa, 1, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, c->gpa + c->size - 1, 1,
						   VMMEM_READ));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, other, EX_SIZE));
	/* The exact range can be added again, and comes back zeroed. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_add_vmalloc(vm, c->gpa, c->size, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_u8(vm, c->gpa, &byte));
	KUNIT_EXPECT_EQ(test, byte, 0);
}

static void vmmem_empty_map(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	u8 buf[8];

	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), 0);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 0, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, buf, 0, sizeof(buf)), sizeof(buf));
	KUNIT_EXPECT_EQ(test, vmmem_read(vm, U64_MAX, buf, 1), -EFAULT);
	KUNIT_EXPECT_EQ(test, vmmem_remove(vm, 0, FX_P), -ENOENT);

	/* Emptied again after use, the map behaves as new. */
	fx_add(test, vm, FX_P, FX_P, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_read(vm, FX_P, buf, 1), -EFAULT);
}

static void vmmem_last_addr_follows_map(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	fx_add(test, vm, 0, FX_P, 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), FX_P - 1);
	fx_add(test, vm, 8 * FX_P, 2 * FX_P, 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 10 * FX_P - 1);
	fx_add(test, vm, 4 * FX_P, FX_P, 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 10 * FX_P - 1);
	fx_add(test, vm, 0 - FX_P, FX_P, 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), U64_MAX);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, 0 - FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 10 * FX_P - 1);
	KUNIT_EXPECT_EQ(test, 0, vmmem_remove(vm, 8 * FX_P, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 5 * FX_P - 1);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 2);
}

/* vmmem_get() keeps the map and its regions alive past the creator's put. */
static void vmmem_refcount(struct kunit *test)
{
	struct vmmem *vm = vmmem_create();
	u32 val = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, vmmem_add_vmalloc(vm, 0, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_u32(vm, 4, 0xfeedf00d));
	vmmem_get(vm);
	vmmem_put(vm);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_u32(vm, 4, &val));
	KUNIT_EXPECT_EQ(test, val, 0xfeedf00d);
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 1);
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
		KUNIT_ASSERT_EQ(test, 0, vmmem_store_u64(vm, 3 * j * FX_P, j));
	}
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), MANY);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), (3 * (MANY - 1) + 2) * FX_P - 1);

	for (j = 0; j < MANY; j++) {
		gpa = 3 * j * FX_P;
		KUNIT_EXPECT_EQ(test, 0, vmmem_load_u64(vm, gpa, &val));
		KUNIT_EXPECT_EQ(test, val, j);
		KUNIT_EXPECT_EQ(test, j % 2 == 1,
				vmmem_check_range(vm, gpa + FX_P, 1, VMMEM_READ));
		KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, gpa + 2 * FX_P, 1,
							   VMMEM_READ));
	}

	shuffle(order, &rnd);
	for (i = 0; i < MANY; i++) {
		j = order[i];
		KUNIT_ASSERT_EQ(test, 0, vmmem_remove(vm, 3 * j * FX_P,
						      (1 + j % 2) * FX_P));
		KUNIT_EXPECT_EQ(test, vmmem_load_u64(vm, 3 * j * FX_P, &val), -EFAULT);
	}
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), 0);
}

/*
 * Lookups at every region boundary, for layouts of many sizes: the first
 * and last byte of each region, the bytes just outside it (a hole, or an
 * adjacent region), address 0 and 2^64 - 1. Regions are visited out of
 * order so that most lookups miss the last-hit hint and search the layout.
 * Then a third of the regions go in one batch and the checks run again.
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
		KUNIT_EXPECT_EQ_MSG(test, -EFAULT, vmmem_load_u8(vm, gpa, &byte),
				    "at %#llx", gpa);
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, 0, vmmem_region_info(vm, gpa, &info), "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, info.gpa, ref->gpa[want], "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, info.size, ref->size[want], "at %#llx", gpa);
	KUNIT_EXPECT_EQ_MSG(test, 0, vmmem_load_u8(vm, gpa, &byte), "at %#llx", gpa);
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
		KUNIT_EXPECT_EQ(test, -EEXIST, vmmem_add_vmalloc(vm, end - FX_P, FX_P, 0));
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
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), nr);
	KUNIT_EXPECT_EQ(test, vmmem_last_addr(vm), last);
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
	struct vmmem_batch *batch;
	unsigned int i;
	u64 page = c->ends ? 0 : 1;

	ref.gpa = kunit_kcalloc(test, c->n, sizeof(*ref.gpa), GFP_KERNEL);
	ref.size = kunit_kcalloc(test, c->n, sizeof(*ref.size), GFP_KERNEL);
	ref.present = kunit_kcalloc(test, c->n, sizeof(*ref.present), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, ref.gpa && ref.size && ref.present);

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

	batch = vmmem_batch_create(vm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	for (i = 0; i < c->n; i++)
		vmmem_batch_add_vmalloc(batch, ref.gpa[i], ref.size[i], 0);
	KUNIT_ASSERT_EQ(test, 0, vmmem_batch_commit(batch));
	check_lookups(test, vm, &ref);
	check_mark_all(test, vm, &ref);

	/* After hotplug: every third region gone in one step. */
	batch = vmmem_batch_create(vm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	for (i = 0; i < c->n; i += 3) {
		vmmem_batch_remove(batch, ref.gpa[i], ref.size[i]);
		ref.present[i] = false;
	}
	KUNIT_ASSERT_EQ(test, 0, vmmem_batch_commit(batch));
	check_lookups(test, vm, &ref);
	check_mark_all(test, vm, &ref);
}

/* A huge request fails cleanly, without a warning in the log. */
static void vmmem_add_too_large(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	KUNIT_EXPECT_EQ(test, -ENOMEM, vmmem_add_vmalloc(vm, 0, 1ULL << 50, 0));
	KUNIT_EXPECT_EQ(test, vmmem_num_regions(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_generation(vm), 0);
}

static struct kunit_case vmmem_region_cases[] = {
	KUNIT_CASE_PARAM(vmmem_add_rules, add_gen_params),
	KUNIT_CASE_PARAM(vmmem_remove_rules, remove_gen_params),
	KUNIT_CASE(vmmem_empty_map),
	KUNIT_CASE(vmmem_last_addr_follows_map),
	KUNIT_CASE(vmmem_refcount),
	KUNIT_CASE(vmmem_many_regions),
	KUNIT_CASE_PARAM(vmmem_lookup_boundaries, lookup_gen_params),
	KUNIT_CASE(vmmem_add_too_large),
	{}
};

static struct kunit_suite vmmem_region_suite = {
	.name = "vmmem_region",
	.test_cases = vmmem_region_cases,
};

kunit_test_suite(vmmem_region_suite);
