// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_slice: single slices, the slice iterator and range checks, against
 * the fixture layout (see fixture.h).
 */
#include <kunit/test.h>
#include <linux/uaccess.h>

#include "fixture.h"

struct slice_case {
	const char *desc;
	u64 gpa;
	size_t len;
	unsigned int access;
	int ret;
};

static const struct slice_case slice_cases[] = {
	{ "inside a region", FX_A + 10, 100, VMMEM_READ, 0 },
	{ "whole region", FX_B, FX_B_SIZE, VMMEM_READ | VMMEM_WRITE, 0 },
	{ "ends at the region's end", FX_E + 8, FX_E_SIZE - 8, VMMEM_WRITE, 0 },
	{ "empty, in a region", FX_A, 0, VMMEM_READ, 0 },
	{ "read-only region, read", FX_C, 16, VMMEM_READ, 0 },
	{ "whole top region", FX_TOP, FX_TOP_SIZE, VMMEM_READ, 0 },
	{ "last byte of the address space", U64_MAX, 1, VMMEM_READ, 0 },
	{ "crosses into an adjacent region", FX_B - 8, 16, VMMEM_READ, -EINVAL },
	{ "crosses into a hole", FX_E + FX_E_SIZE - 8, 16, VMMEM_READ, -EINVAL },
	{ "runs past 2^64", 0 - 8ULL, 16, VMMEM_READ, -EINVAL },
	{ "starts in a hole", FX_HOLE, 8, VMMEM_READ, -EFAULT },
	{ "empty, in a hole", FX_HOLE, 0, VMMEM_READ, -EFAULT },
	{ "read-only region, write", FX_C, 16, VMMEM_WRITE, -EFAULT },
	{ "read-only region, read and write", FX_C, 16, VMMEM_READ | VMMEM_WRITE,
	  -EFAULT },
	{ "no access bits", FX_A, 8, 0, -EINVAL },
	{ "unknown access bit", FX_A, 8, 0x4, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(slice, slice_cases, desc);

static void vmmem_find_slice_rules(struct kunit *test)
{
	const struct slice_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	/* Not NULL: a found slice holds nothing, so it clears @region. */
	struct vmmem_slice slice = { .ptr = test, .region = (void *)test };
	bool matches = false;
	int ret;

	rcu_read_lock();
	ret = vmmem_find_slice(vm, c->gpa, c->len, c->access, &slice);
	if (!ret)
		matches = fx_matches(slice.ptr, c->gpa, c->len);
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, ret, c->ret);
	if (ret) {
		KUNIT_EXPECT_PTR_EQ(test, slice.ptr, (void *)test);
		return;
	}
	KUNIT_EXPECT_TRUE(test, matches);
	KUNIT_EXPECT_EQ(test, slice.gpa, c->gpa);
	KUNIT_EXPECT_EQ(test, slice.len, c->len);
	/* A pointer to write through only in a slice taken for writing. */
	KUNIT_EXPECT_PTR_EQ(test, slice.wptr,
			    c->access & VMMEM_WRITE ? (void *)slice.ptr : NULL);
	KUNIT_EXPECT_NULL(test, slice.region);
}

/* Writes through a slice are what later copies read. */
static void vmmem_slice_write_through(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice slice;
	u8 back[4];

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, 0, vmmem_find_slice(vm, FX_B + 100, 4, VMMEM_WRITE, &slice));
	memcpy(slice.wptr, "vmm!", 4);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, FX_B + 100, back, 4));
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, "vmm!", 4));
}

#define MAX_PIECES 4

struct walk_case {
	const char *desc;
	u64 gpa;
	u64 len;
	unsigned int access;
	int end;			/* last return of the walk */
	unsigned int pieces;
	u64 piece_len[MAX_PIECES];
	u64 fail_gpa;			/* iter.gpa after an error */
};

static const struct walk_case walk_cases[] = {
	{ "empty range in a hole", FX_HOLE, 0, VMMEM_READ, 0, 0 },
	{ "inside one region", FX_A + 1, 10, VMMEM_READ, 0, 1, { 10 } },
	{ "three adjacent regions", FX_A + FX_P, 3 * FX_P + 8, VMMEM_READ, 0, 3,
	  { FX_P, FX_B_SIZE, 8 } },
	{ "up to the end of the last region before a hole", FX_B, 3 * FX_P,
	  VMMEM_READ, 0, 2, { FX_B_SIZE, FX_C_SIZE } },
	{ "into a hole", FX_B + FX_P, 3 * FX_P, VMMEM_READ, -EFAULT, 2,
	  { FX_P, FX_C_SIZE }, FX_HOLE },
	{ "starts in a hole", FX_HOLE + 1, 8, VMMEM_READ, -EFAULT, 0, { 0 },
	  FX_HOLE + 1 },
	{ "write into a read-only region", FX_B, 3 * FX_P, VMMEM_WRITE, -EFAULT,
	  1, { FX_B_SIZE }, FX_C },
	{ "to 2^64 - 1 exactly", FX_TOP + 8, FX_TOP_SIZE - 8, VMMEM_READ, 0, 1,
	  { FX_TOP_SIZE - 8 } },
	{ "past 2^64", FX_TOP, U64_MAX, VMMEM_READ, -EFAULT, 1, { FX_TOP_SIZE },
	  0 },
	{ "invalid access", FX_A, 8, 0, -EINVAL, 0, { 0 }, FX_A },
};

KUNIT_ARRAY_PARAM_DESC(walk, walk_cases, desc);

static void vmmem_slice_iter_rules(struct kunit *test)
{
	const struct walk_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice_iter iter;
	struct vmmem_slice slice[MAX_PIECES + 1];
	bool matches[MAX_PIECES + 1];
	unsigned int n = 0, i;
	u64 expect_gpa = c->gpa, walked = 0;
	int ret;

	rcu_read_lock();
	vmmem_slice_iter_init(vm, c->gpa, c->len, c->access, &iter);
	while (n <= MAX_PIECES &&
	       (ret = vmmem_slice_iter_next(&iter, &slice[n])) > 0) {
		matches[n] = fx_matches(slice[n].ptr, slice[n].gpa, slice[n].len);
		n++;
	}
	rcu_read_unlock();

	KUNIT_EXPECT_EQ(test, ret, c->end);
	KUNIT_ASSERT_EQ(test, n, c->pieces);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, slice[i].gpa, expect_gpa);
		KUNIT_EXPECT_EQ(test, slice[i].len, c->piece_len[i]);
		KUNIT_EXPECT_TRUE(test, matches[i]);
		expect_gpa += slice[i].len;
		walked += slice[i].len;
	}
	/* After an error the walk says where it stopped and what is left. */
	if (c->end) {
		KUNIT_EXPECT_EQ(test, iter.gpa, c->fail_gpa);
		KUNIT_EXPECT_EQ(test, iter.remaining, c->len - walked);
		/* And keeps saying so. */
		rcu_read_lock();
		KUNIT_EXPECT_EQ(test, c->end, vmmem_slice_iter_next(&iter, &slice[0]));
		rcu_read_unlock();
	}
}

struct collect {
	unsigned int pieces;
	unsigned int stop_at;		/* stop after this many pieces, if not 0 */
	u64 bytes;
	bool in_order;
	u64 next_gpa;
};

/* Walks [gpa, gpa + len) as a caller does, one RCU section for the walk. */
static int walk(struct vmmem *vm, u64 gpa, u64 len, unsigned int access,
		struct collect *col, struct vmmem_slice_iter *iter)
{
	struct vmmem_slice slice;
	int ret;

	rcu_read_lock();
	vmmem_slice_iter_init(vm, gpa, len, access, iter);
	while ((ret = vmmem_slice_iter_next(iter, &slice)) > 0) {
		col->in_order &= slice.gpa == col->next_gpa &&
				 fx_matches(slice.ptr, slice.gpa, slice.len);
		col->next_gpa = slice.gpa + slice.len;
		col->bytes += slice.len;
		if (++col->pieces == col->stop_at)
			break;
	}
	rcu_read_unlock();
	return ret;
}

/* Walks with the loop callers write, including one that stops early. */
static void vmmem_slice_walk_loop(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct collect col = { .in_order = true, .next_gpa = FX_A };
	struct vmmem_slice_iter iter;

	KUNIT_EXPECT_EQ(test, 0, walk(vm, FX_A, 5 * FX_P, VMMEM_READ, &col, &iter));
	KUNIT_EXPECT_EQ(test, col.pieces, 3);
	KUNIT_EXPECT_EQ(test, col.bytes, 5 * FX_P);
	KUNIT_EXPECT_TRUE(test, col.in_order);
	KUNIT_EXPECT_EQ(test, iter.remaining, 0);

	/* The pieces before a hole are returned, then the error comes. */
	col = (struct collect){ .in_order = true, .next_gpa = FX_B };
	KUNIT_EXPECT_EQ(test, -EFAULT, walk(vm, FX_B, 4 * FX_P, VMMEM_READ, &col, &iter));
	KUNIT_EXPECT_EQ(test, col.pieces, 2);
	KUNIT_EXPECT_EQ(test, col.bytes, FX_B_SIZE + FX_C_SIZE);
	KUNIT_EXPECT_TRUE(test, col.in_order);

	/* A walk stopped early says where the rest starts. */
	col = (struct collect){ .in_order = true, .next_gpa = FX_A, .stop_at = 2 };
	KUNIT_EXPECT_EQ(test, 1, walk(vm, FX_A, 5 * FX_P, VMMEM_READ, &col, &iter));
	KUNIT_EXPECT_EQ(test, col.pieces, 2);
	KUNIT_EXPECT_EQ(test, iter.gpa, FX_C);
	KUNIT_EXPECT_EQ(test, iter.remaining, 5 * FX_P - FX_A_SIZE - FX_B_SIZE);

	col = (struct collect){ .in_order = true, .next_gpa = FX_C };
	KUNIT_EXPECT_EQ(test, -EFAULT, walk(vm, FX_C, 8, VMMEM_WRITE, &col, &iter));
	KUNIT_EXPECT_EQ(test, -EINVAL, walk(vm, FX_A, 8, 0, &col, &iter));
	KUNIT_EXPECT_EQ(test, 0, walk(vm, FX_HOLE, 0, VMMEM_READ, &col, &iter));
	KUNIT_EXPECT_EQ(test, col.pieces, 0);
}

struct range_case {
	const char *desc;
	u64 gpa;
	u64 len;
	unsigned int access;
	bool ok;
};

static const struct range_case range_cases[] = {
	{ "empty in a hole", FX_HOLE, 0, VMMEM_READ, true },
	{ "empty at 2^64 - 1", U64_MAX, 0, VMMEM_WRITE, true },
	{ "one region", FX_A, FX_A_SIZE, VMMEM_READ | VMMEM_WRITE, true },
	{ "adjacent regions", FX_A, FX_A_SIZE + FX_B_SIZE, VMMEM_WRITE, true },
	{ "read across read-only", FX_A, 5 * FX_P, VMMEM_READ, true },
	{ "write across read-only", FX_A, 5 * FX_P, VMMEM_WRITE, false },
	{ "into a hole", FX_C, FX_C_SIZE + 1, VMMEM_READ, false },
	{ "in a hole", FX_HOLE + 8, 1, VMMEM_READ, false },
	{ "up to 2^64 - 1", FX_TOP, FX_TOP_SIZE, VMMEM_WRITE, true },
	{ "past 2^64", FX_TOP, FX_TOP_SIZE + 1, VMMEM_READ, false },
	{ "U64_MAX bytes", FX_TOP, U64_MAX, VMMEM_READ, false },
	{ "no access bits", FX_A, 8, 0 },
	{ "empty with no access bits", FX_A, 0, 0 },
	{ "unknown access bit", FX_A, 8, VMMEM_READ | 0x8, false },
};

KUNIT_ARRAY_PARAM_DESC(range, range_cases, desc);

static void vmmem_check_range_rules(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);

	KUNIT_EXPECT_EQ(test, c->ok, vmmem_check_range(vm, c->gpa, c->len, c->access));
}

/* The same cases run for every backing; the suite init picks it. */
/*
 * Read-only means read-only to the kernel too: where vmmem maps a read-only
 * region itself, the mapping refuses writes, so a device bug cannot write
 * memory the VMM may only read. A writable region takes the same write.
 */
static void vmmem_read_only_mapping(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_slice ro, rw;
	u8 byte;

	if (IS_ENABLED(CONFIG_UML))
		kunit_skip(test, "UML does not fix up faulting kernel writes");
	rcu_read_lock();
	KUNIT_ASSERT_EQ(test, 0, vmmem_find_slice(vm, FX_C, 8, VMMEM_READ, &ro));
	KUNIT_ASSERT_EQ(test, 0, vmmem_find_slice(vm, FX_A, 8, VMMEM_WRITE, &rw));
	byte = fx_pattern(FX_C);
	/* What a device bug would do: write through the read pointer. */
	KUNIT_EXPECT_EQ(test, -EFAULT, copy_to_kernel_nofault((void *)ro.ptr, &byte, 1));
	byte = fx_pattern(FX_A);
	KUNIT_EXPECT_EQ(test, 0, copy_to_kernel_nofault(rw.wptr, &byte, 1));
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A,
						 FX_A_SIZE + FX_B_SIZE + FX_C_SIZE));
}

FX_DEFINE_SUITES(vmmem_slice,
		 KUNIT_CASE_PARAM(vmmem_find_slice_rules, slice_gen_params),
		 KUNIT_CASE(vmmem_slice_write_through),
		 KUNIT_CASE(vmmem_read_only_mapping),
		 KUNIT_CASE_PARAM(vmmem_slice_iter_rules, walk_gen_params),
		 KUNIT_CASE(vmmem_slice_walk_loop),
		 KUNIT_CASE_PARAM(vmmem_check_range_rules, range_gen_params));
