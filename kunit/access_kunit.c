// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_access: single untorn loads and stores, relaxed, acquire and
 * release, against the fixture layout (see fixture.h).
 */
#include <kunit/test.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "fixture.h"

enum access_op { LOAD, STORE, LOAD_ACQUIRE, STORE_RELEASE };

struct access_case {
	const char *desc;
	enum access_op op;
	unsigned int bytes;
	u64 gpa;
	int ret;
};

static const struct access_case access_cases[] = {
	{ "load u8", LOAD, 1, FX_A + 3, 0 },
	{ "load u16", LOAD, 2, FX_A + 2, 0 },
	{ "load u32", LOAD, 4, FX_A + 4, 0 },
	{ "load u64", LOAD, 8, FX_A + 8, 0 },
	{ "store u8", STORE, 1, FX_A + 3, 0 },
	{ "store u16", STORE, 2, FX_A + 2, 0 },
	{ "store u32", STORE, 4, FX_A + 4, 0 },
	{ "store u64", STORE, 8, FX_A + 8, 0 },
	{ "load-acquire u16", LOAD_ACQUIRE, 2, FX_B + 2, 0 },
	{ "load-acquire u32", LOAD_ACQUIRE, 4, FX_B + 4, 0 },
	{ "load-acquire u64", LOAD_ACQUIRE, 8, FX_B + 8, 0 },
	{ "store-release u16", STORE_RELEASE, 2, FX_B + 2, 0 },
	{ "store-release u32", STORE_RELEASE, 4, FX_B + 4, 0 },
	{ "store-release u64", STORE_RELEASE, 8, FX_B + 8, 0 },
	/* Last bytes of a region, and of the address space. */
	{ "load u64 at a region's end", LOAD, 8, FX_B - 8, 0 },
	{ "store u32 at a region's end", STORE, 4, FX_E + FX_E_SIZE - 4, 0 },
	{ "load u64 at 2^64 - 8", LOAD, 8, 0 - 8ULL, 0 },
	{ "store-release u64 at 2^64 - 8", STORE_RELEASE, 8, 0 - 8ULL, 0 },
	{ "store u8 at 2^64 - 1", STORE, 1, U64_MAX, 0 },
	/* Misaligned: never split, even where every byte is mapped. */
	{ "load u16 misaligned", LOAD, 2, FX_A + 1, -EINVAL },
	{ "load u32 misaligned by 2", LOAD, 4, FX_A + 2, -EINVAL },
	{ "load u64 misaligned by 4", LOAD, 8, FX_A + 4, -EINVAL },
	{ "store u64 misaligned", STORE, 8, FX_A + 1, -EINVAL },
	{ "load-acquire u32 misaligned", LOAD_ACQUIRE, 4, FX_A + 1, -EINVAL },
	{ "store-release u16 misaligned", STORE_RELEASE, 2, FX_A + 3, -EINVAL },
	{ "load u64 straddling adjacent regions", LOAD, 8, FX_B - 4, -EINVAL },
	{ "store u16 straddling adjacent regions", STORE, 2, FX_B - 1, -EINVAL },
	{ "load u32 straddling into a hole", LOAD, 4, FX_HOLE - 2, -EINVAL },
	{ "load u64 straddling 2^64", LOAD, 8, 0 - 4ULL, -EINVAL },
	{ "store u16 misaligned in a hole", STORE, 2, FX_HOLE + 1, -EINVAL },
	/* Unmapped or not permitted. */
	{ "load u8 in a hole", LOAD, 1, FX_HOLE, -EFAULT },
	{ "load u64 in a hole", LOAD, 8, FX_HOLE + 8, -EFAULT },
	{ "load u32 below the first region", LOAD, 4, FX_A - 4, -EFAULT },
	{ "store u32 in a hole", STORE, 4, FX_HOLE + 4, -EFAULT },
	{ "load-acquire u16 at address 0", LOAD_ACQUIRE, 2, 0, -EFAULT },
	{ "store-release u64 in a hole", STORE_RELEASE, 8, FX_HOLE, -EFAULT },
	{ "load u32 from read-only", LOAD, 4, FX_C + 4, 0 },
	{ "load-acquire u64 from read-only", LOAD_ACQUIRE, 8, FX_C + 8, 0 },
	{ "store u8 into read-only", STORE, 1, FX_C, -EFAULT },
	{ "store u64 into read-only", STORE, 8, FX_C + 8, -EFAULT },
	{ "store-release u32 into read-only", STORE_RELEASE, 4, FX_C + 4, -EFAULT },
};

KUNIT_ARRAY_PARAM_DESC(access, access_cases, desc);

#define SENTINEL 0x5eed

/*
 * Loads into *val. The narrow destinations start out holding SENTINEL; on
 * failure *val reads SENTINEL only if the destination was left untouched.
 */
static int do_load(struct vmmem *vm, const struct access_case *c, u64 *val)
{
	bool acq = c->op == LOAD_ACQUIRE;
	u8 v8 = (u8)SENTINEL;
	u16 v16 = SENTINEL;
	u32 v32 = SENTINEL;
	int ret;

	switch (c->bytes) {
	case 1:
		ret = vmmem_load_u8(vm, c->gpa, &v8);
		*val = ret && v8 == (u8)SENTINEL ? SENTINEL : v8;
		break;
	case 2:
		ret = acq ? vmmem_load_acquire_u16(vm, c->gpa, &v16) :
			    vmmem_load_u16(vm, c->gpa, &v16);
		*val = v16;
		break;
	case 4:
		ret = acq ? vmmem_load_acquire_u32(vm, c->gpa, &v32) :
			    vmmem_load_u32(vm, c->gpa, &v32);
		*val = v32;
		break;
	default:
		*val = SENTINEL;
		ret = acq ? vmmem_load_acquire_u64(vm, c->gpa, val) :
			    vmmem_load_u64(vm, c->gpa, val);
		break;
	}
	return ret;
}

static int do_store(struct vmmem *vm, const struct access_case *c, u64 val)
{
	bool rel = c->op == STORE_RELEASE;

	switch (c->bytes) {
	case 1:
		return vmmem_store_u8(vm, c->gpa, val);
	case 2:
		return rel ? vmmem_store_release_u16(vm, c->gpa, val) :
			     vmmem_store_u16(vm, c->gpa, val);
	case 4:
		return rel ? vmmem_store_release_u32(vm, c->gpa, val) :
			     vmmem_store_u32(vm, c->gpa, val);
	default:
		return rel ? vmmem_store_release_u64(vm, c->gpa, val) :
			     vmmem_store_u64(vm, c->gpa, val);
	}
}

/* Native value of the fixture pattern at [gpa, gpa + bytes). */
static u64 pattern_value(const struct access_case *c)
{
	u8 raw[8];
	unsigned int i;

	for (i = 0; i < c->bytes; i++)
		raw[i] = fx_pattern(c->gpa + i);
	switch (c->bytes) {
	case 1:
		return raw[0];
	case 2:
		return get_unaligned((u16 *)raw);
	case 4:
		return get_unaligned((u32 *)raw);
	default:
		return get_unaligned((u64 *)raw);
	}
}

static void vmmem_single_access_rules(struct kunit *test)
{
	const struct access_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	u64 mask = c->bytes == 8 ? U64_MAX : BIT_ULL(8 * c->bytes) - 1;
	u64 stored = 0xf1e2d3c4b5a69788ULL & mask;
	u64 val;
	bool mapped;

	if (c->op == LOAD || c->op == LOAD_ACQUIRE) {
		KUNIT_EXPECT_EQ(test, c->ret, do_load(vm, c, &val));
		KUNIT_EXPECT_EQ(test, val, c->ret ? SENTINEL : pattern_value(c));
		return;
	}

	mapped = vmmem_check_range(vm, c->gpa, c->bytes, VMMEM_READ);
	KUNIT_EXPECT_EQ(test, c->ret, do_store(vm, c, stored));
	if (c->ret) {
		/* Nothing written, not even part of the value. */
		if (mapped)
			KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa, c->bytes));
		return;
	}
	/* The store is visible to the matching load and to a byte copy. */
	KUNIT_EXPECT_EQ(test, 0, do_load(vm, c, &val));
	KUNIT_EXPECT_EQ(test, val, stored);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa - 1, 1));
	if (vmmem_check_range(vm, c->gpa + c->bytes, 1, VMMEM_READ))
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa + c->bytes, 1));
}

/* A store-release publishes earlier copies to a later load-acquire. */
static void vmmem_release_acquire_pair(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	u8 payload[64], back[64];
	u16 idx = 0;

	memset(payload, 0x77, sizeof(payload));
	KUNIT_ASSERT_EQ(test, 0, vmmem_write(vm, FX_A + 256, payload, sizeof(payload)));
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release_u16(vm, FX_A + 2, 1));
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire_u16(vm, FX_A + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 1);
	KUNIT_ASSERT_EQ(test, 0, vmmem_read(vm, FX_A + 256, back, sizeof(back)));
	KUNIT_EXPECT_EQ(test, 0, memcmp(payload, back, sizeof(back)));
}

/*
 * The little-endian acquire/release helpers: the bytes in guest memory are
 * in little-endian order on any CPU, and the u16/u32/u64 rules hold.
 */
static void vmmem_le_acquire_release(struct kunit *test)
{
	static const u8 le_bytes[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	struct vmmem *vm = fx_create_layout(test);
	u16 v16 = SENTINEL;
	u32 v32 = SENTINEL;
	u64 v64 = SENTINEL, want;
	unsigned int i;
	u8 raw[8];

	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release_le16(vm, FX_B + 2, 0x7788));
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release_le32(vm, FX_B + 4, 0x55667788));
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release_le64(vm, FX_B + 8, 0x1122334455667788ULL));
	KUNIT_ASSERT_EQ(test, 0, vmmem_read(vm, FX_B + 2, raw, 2));
	KUNIT_EXPECT_EQ(test, 0, memcmp(raw, le_bytes, 2));
	KUNIT_ASSERT_EQ(test, 0, vmmem_read(vm, FX_B + 4, raw, 4));
	KUNIT_EXPECT_EQ(test, 0, memcmp(raw, le_bytes, 4));
	KUNIT_ASSERT_EQ(test, 0, vmmem_read(vm, FX_B + 8, raw, 8));
	KUNIT_EXPECT_EQ(test, 0, memcmp(raw, le_bytes, 8));

	/* Loads of bytes laid down in little-endian order. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_write(vm, FX_A + 16, le_bytes, 8));
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire_le16(vm, FX_A + 16, &v16));
	KUNIT_EXPECT_EQ(test, v16, 0x7788);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire_le32(vm, FX_A + 16, &v32));
	KUNIT_EXPECT_EQ(test, v32, 0x55667788);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire_le64(vm, FX_A + 16, &v64));
	KUNIT_EXPECT_EQ(test, v64, 0x1122334455667788ULL);
	/* And from a read-only region, against the fixture's pattern. */
	for (i = 0, want = 0; i < 8; i++)
		want |= (u64)fx_pattern(FX_C + 8 + i) << (8 * i);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire_le64(vm, FX_C + 8, &v64));
	KUNIT_EXPECT_EQ(test, v64, want);

	/* Errors leave *val and guest memory alone. */
	v16 = SENTINEL;
	v32 = SENTINEL;
	v64 = SENTINEL;
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load_acquire_le16(vm, FX_A + 1, &v16));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load_acquire_le32(vm, FX_A + 2, &v32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire_le64(vm, FX_HOLE, &v64));
	KUNIT_EXPECT_EQ(test, v16, SENTINEL);
	KUNIT_EXPECT_EQ(test, v32, SENTINEL);
	KUNIT_EXPECT_EQ(test, v64, SENTINEL);
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store_release_le64(vm, FX_A + 4, 1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release_le32(vm, FX_HOLE, 1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release_le16(vm, FX_C + 2, 1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A, 16));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, 16));
}

/* The same cases run for every backing; the suite init picks it. */
FX_DEFINE_SUITES(vmmem_access,
		 KUNIT_CASE_PARAM(vmmem_single_access_rules, access_gen_params),
		 KUNIT_CASE(vmmem_release_acquire_pair),
		 KUNIT_CASE(vmmem_le_acquire_release));
