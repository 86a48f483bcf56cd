// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_copy: byte copies of every size, and of values and objects at any
 * alignment and across regions, against the fixture layout (see
 * fixture.h).
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "fixture.h"

#define POISON		0xa5
#define GUARD		64	/* poisoned bytes after what should be copied */

struct copy_case {
	const char *desc;
	u64 gpa;
	unsigned long len;
	unsigned long not_copied;
};

static const struct copy_case from_cases[] = {
	{ "zero length at a hole", 0, 0, 0 },
	{ "zero length in a region", FX_A, 0, 0 },
	{ "zero length at 2^64 - 1", U64_MAX, 0, 0 },
	{ "inside one region", FX_A + 100, 1000, 0 },
	{ "whole region", FX_A, FX_A_SIZE, 0 },
	{ "crosses a page inside a region", FX_A + FX_P - 3, 6, 0 },
	{ "crosses adjacent regions", FX_B - 100, 200, 0 },
	{ "spans three regions", FX_A + FX_P, 4 * FX_P, 0 },
	{ "read-only region is readable", FX_C + 8, 8, 0 },
	{ "ends at the last byte before a hole", FX_C, FX_C_SIZE, 0 },
	{ "runs into a hole", FX_C + FX_C_SIZE - 10, 30, 20 },
	{ "one byte past a region", FX_E + FX_E_SIZE - 1, 2, 1 },
	{ "starts in a hole", FX_HOLE, 16, 16 },
	{ "starts in a hole, ends in a region", FX_E - 8, 16, 16 },
	{ "starts below the first region", FX_A - 1, 2, 2 },
	{ "40 bytes across adjacent regions", FX_B - 20, 40, 0 },
	{ "40 bytes into a hole", FX_C + FX_C_SIZE - 24, 40, 16 },
	{ "64 bytes ending at 2^64 - 1", 0 - 64ULL, 64, 0 },
	{ "64 bytes into 2^64", 0 - 40ULL, 64, 24 },
	{ "last byte of the address space", U64_MAX, 1, 0 },
	{ "ends exactly at 2^64 - 1", 0 - 16ULL, 16, 0 },
	{ "runs into 2^64", 0 - 16ULL, 32, 16 },
	{ "ULONG_MAX bytes from the top region", FX_TOP, ULONG_MAX,
	  ULONG_MAX - FX_TOP_SIZE },
	{ "ULONG_MAX bytes from a hole", FX_HOLE, ULONG_MAX, ULONG_MAX },
	{ "2 bytes into a hole", FX_HOLE - 1, 2, 1 },
	{ "8 bytes into 2^64", 0 - 4ULL, 8, 4 },
};

KUNIT_ARRAY_PARAM_DESC(from, from_cases, desc);

static void vmmem_copy_from_rules(struct kunit *test)
{
	const struct copy_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	size_t copied = c->len - c->not_copied;
	size_t i;
	u8 *buf;

	buf = kunit_kmalloc(test, copied + GUARD, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, POISON, copied + GUARD);

	KUNIT_EXPECT_EQ(test, c->not_copied,
			vmmem_copy_from_guest(vm, c->gpa, buf, c->len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, copied));
	for (i = copied; i < copied + GUARD && i < c->len; i++)
		KUNIT_ASSERT_EQ_MSG(test, buf[i], POISON, "byte %zu written", i);
}

static const struct copy_case to_cases[] = {
	{ "zero length at a hole", 0, 0, 0 },
	{ "zero length in a read-only region", FX_C, 0, 0 },
	{ "inside one region", FX_A + 100, 1000, 0 },
	{ "whole region", FX_B, FX_B_SIZE, 0 },
	{ "crosses adjacent regions", FX_B - 100, 200, 0 },
	{ "runs into a read-only region", FX_C - 8, 16, 8 },
	{ "starts in a read-only region", FX_C, 8, 8 },
	{ "runs into a hole", FX_E + FX_E_SIZE - 4, 8, 4 },
	{ "starts in a hole", FX_HOLE + 8, 8, 8 },
	{ "40 bytes across adjacent regions", FX_B - 20, 40, 0 },
	{ "40 bytes into a read-only region", FX_C - 24, 40, 16 },
	{ "33 bytes into a hole", FX_E + FX_E_SIZE - 17, 33, 16 },
	{ "64 bytes ending at 2^64 - 1", 0 - 64ULL, 64, 0 },
	{ "last byte of the address space", U64_MAX, 1, 0 },
	{ "runs into 2^64", 0 - 8ULL, 16, 8 },
	{ "4 bytes in a read-only region", FX_C + 4, 4, 4 },
	{ "8 bytes into a read-only region", FX_C - 4, 8, 4 },
	{ "2 bytes into a hole", FX_E + FX_E_SIZE - 1, 2, 1 },
};

KUNIT_ARRAY_PARAM_DESC(to, to_cases, desc);

static void vmmem_copy_to_rules(struct kunit *test)
{
	const struct copy_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	size_t copied = c->len - c->not_copied;
	u8 *src, *back;
	size_t i;

	src = kunit_kmalloc(test, c->len + 1, GFP_KERNEL);
	back = kunit_kzalloc(test, c->len + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < c->len; i++)
		src[i] = ~fx_pattern(c->gpa + i);

	KUNIT_EXPECT_EQ(test, c->not_copied,
			vmmem_copy_to_guest(vm, c->gpa, src, c->len));

	/* The copied prefix landed; the byte after it did not change. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, c->gpa, back, copied));
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, src, copied));
	if (c->not_copied && vmmem_check_range(vm, c->gpa + copied, 1, VMMEM_READ))
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa + copied, 1));
	/* Read-only memory is never written. */
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, FX_C_SIZE));
}

/*
 * Small sizes at every offset in a word, in both directions: the aligned
 * single accesses (1, 2, 4, 8), the word copies of 9 to 64 bytes at each
 * of their size classes' edges, and memcpy() past them.
 */
static void vmmem_copy_small_sizes(struct kunit *test)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24,
					31, 32, 33, 40, 63, 64, 65, 100 };
	struct vmmem *vm = fx_create_layout(test);
	u8 src[128], dst[128];
	unsigned int s, off, i;
	u64 gpa;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (off = 0; off < 8; off++) {
			gpa = FX_A + 128 * (s + 1) + off;
			for (i = 0; i < sizes[s]; i++)
				src[i] = s * 16 + off + i;
			memset(dst, POISON, sizeof(dst));
			KUNIT_ASSERT_EQ(test, 0, vmmem_copy_to_guest(vm, gpa, src, sizes[s]));
			KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(vm, gpa, dst, sizes[s]));
			KUNIT_EXPECT_EQ_MSG(test, 0, memcmp(src, dst, sizes[s]),
					    "size %zu offset %u", sizes[s], off);
			KUNIT_EXPECT_EQ(test, dst[sizes[s]], POISON);
			/* Neighbours of the copy keep the pattern. */
			KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, gpa - 1, 1));
			KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, gpa + sizes[s], 1));
			fx_fill(test, vm, gpa, sizes[s]);
		}
	}
}

/* An aligned 8-byte copy reads and writes the value as one native word. */
static void vmmem_copy_aligned_words(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	u64 v64 = 0x1122334455667788ULL, got64 = 0;
	u32 v32 = 0x99aabbcc, got32 = 0;
	u16 v16 = 0xddee, got16 = 0;

	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_B + 8, &v64, 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_B + 8, &got64));
	KUNIT_EXPECT_EQ(test, got64, v64);
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_B + 4, &v32, 4));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_B + 4, &got32));
	KUNIT_EXPECT_EQ(test, got32, v32);
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_B + 2, &v16, 2));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_B + 2, &got16));
	KUNIT_EXPECT_EQ(test, got16, v16);

	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_TOP, ~v64));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, FX_TOP, &got64, 8));
	KUNIT_EXPECT_EQ(test, got64, ~v64);
}

/*
 * Values in a fixed byte order, read and written with the copy recipe
 * (vmmem_copy_*_guest() of a __le32 or __be64 and a conversion): at any
 * alignment, across adjacent regions, and stopping at a hole or at 2^64.
 */
struct endian_case {
	const char *desc;
	unsigned int bytes;
	bool big;
	u64 gpa;
	unsigned int not_copied;
};

static const struct endian_case endian_cases[] = {
	{ "le16 aligned", 2, false, FX_A + 2, 0 },
	{ "le32 aligned", 4, false, FX_A + 4, 0 },
	{ "le64 aligned", 8, false, FX_A + 8, 0 },
	{ "be16 aligned", 2, true, FX_A + 2, 0 },
	{ "be32 aligned", 4, true, FX_A + 4, 0 },
	{ "be64 aligned", 8, true, FX_A + 8, 0 },
	{ "le32 misaligned", 4, false, FX_A + 5, 0 },
	{ "be64 misaligned", 8, true, FX_A + 3, 0 },
	{ "le64 across adjacent regions", 8, false, FX_B - 3, 0 },
	{ "be32 across adjacent regions", 4, true, FX_B - 1, 0 },
	{ "le16 into a hole", 2, false, FX_E + FX_E_SIZE - 1, 1 },
	{ "be64 in a hole", 8, true, FX_HOLE, 8 },
	{ "le64 into 2^64", 8, false, 0 - 4ULL, 4 },
	{ "be16 at the top", 2, true, 0 - 2ULL, 0 },
};

KUNIT_ARRAY_PARAM_DESC(endian, endian_cases, desc);

union endian_value {
	__le16 le16;
	__be16 be16;
	__le32 le32;
	__be32 be32;
	__le64 le64;
	__be64 be64;
	u8 bytes[8];
};

static void endian_encode(const struct endian_case *c, u64 v, union endian_value *raw)
{
	switch (c->bytes) {
	case 2:
		if (c->big)
			raw->be16 = cpu_to_be16(v);
		else
			raw->le16 = cpu_to_le16(v);
		break;
	case 4:
		if (c->big)
			raw->be32 = cpu_to_be32(v);
		else
			raw->le32 = cpu_to_le32(v);
		break;
	default:
		if (c->big)
			raw->be64 = cpu_to_be64(v);
		else
			raw->le64 = cpu_to_le64(v);
		break;
	}
}

static u64 endian_decode(const struct endian_case *c, const union endian_value *raw)
{
	switch (c->bytes) {
	case 2:
		return c->big ? be16_to_cpu(raw->be16) : le16_to_cpu(raw->le16);
	case 4:
		return c->big ? be32_to_cpu(raw->be32) : le32_to_cpu(raw->le32);
	default:
		return c->big ? be64_to_cpu(raw->be64) : le64_to_cpu(raw->le64);
	}
}

static void vmmem_endian_copies(struct kunit *test)
{
	const struct endian_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	u64 value = 0x0102030405060708ULL >> (64 - 8 * c->bytes);
	unsigned int copied = c->bytes - c->not_copied, i;
	union endian_value raw, back;

	endian_encode(c, value, &raw);
	KUNIT_EXPECT_EQ(test, c->not_copied,
			vmmem_copy_to_guest(vm, c->gpa, &raw, c->bytes));
	memset(&back, POISON, sizeof(back));
	KUNIT_EXPECT_EQ(test, c->not_copied,
			vmmem_copy_from_guest(vm, c->gpa, &back, c->bytes));

	/* Guest bytes of @value, most significant first for big-endian. */
	for (i = 0; i < copied; i++)
		KUNIT_EXPECT_EQ(test, back.bytes[i],
				c->big ? i + 1 : c->bytes - i);
	for (; i < sizeof(back); i++)
		KUNIT_EXPECT_EQ(test, back.bytes[i], POISON);
	if (!c->not_copied)
		KUNIT_EXPECT_EQ(test, endian_decode(c, &back), value);
}

struct fx_obj {
	u16 a;
	u32 b;
	u64 c;
} __packed;

/* Objects are copies, not single accesses: they may straddle regions. */
static void vmmem_copy_objects(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct fx_obj in = { 0x1234, 0x56789abc, 0xdef0123456789abcULL };
	struct fx_obj out = { 0 };

	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_B - 5, &in, sizeof(in)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_guest(vm, FX_B - 5, &out, sizeof(out)));
	KUNIT_EXPECT_EQ(test, 0, memcmp(&in, &out, sizeof(in)));

	/* Four bytes before the hole, none of a read-only region. */
	memset(&out, POISON, sizeof(out));
	KUNIT_EXPECT_EQ(test, sizeof(in) - 4,
			vmmem_copy_to_guest(vm, FX_E + FX_E_SIZE - 4, &in, sizeof(in)));
	KUNIT_EXPECT_EQ(test, sizeof(out) - 4,
			vmmem_copy_from_guest(vm, FX_E + FX_E_SIZE - 4, &out,
					      sizeof(out)));
	KUNIT_EXPECT_EQ(test, 0, memcmp(&in, &out, 4));
	KUNIT_EXPECT_EQ(test, ((u8 *)&out)[4], POISON);
	KUNIT_EXPECT_EQ(test, sizeof(in),
			vmmem_copy_to_guest(vm, FX_C, &in, sizeof(in)));
}

/*
 * With a region at guest address 0, a range that runs past 2^64 - 1 must
 * still stop there instead of wrapping around into address 0.
 */
static void vmmem_copy_never_wraps(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	struct vmmem_slice_iter iter;
	struct vmmem_slice slice;
	u8 buf[32];
	int ret;

	fx_add(test, vm, 0, FX_P, 0);
	fx_add(test, vm, 0 - FX_P, FX_P, 0);
	fx_fill(test, vm, 0, FX_P);
	fx_fill(test, vm, 0 - FX_P, FX_P);

	memset(buf, POISON, sizeof(buf));
	KUNIT_EXPECT_EQ(test, 16, vmmem_copy_from_guest(vm, 0 - 16ULL, buf, 32));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, 0 - 16ULL, 16));
	KUNIT_EXPECT_EQ(test, buf[16], POISON);
	KUNIT_EXPECT_EQ(test, 16, vmmem_copy_to_guest(vm, 0 - 16ULL, buf, 32));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, 0, 16));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, 0 - 16ULL, 32, VMMEM_READ));

	rcu_read_lock();
	vmmem_slice_iter_init(vm, 0 - 16ULL, 32, VMMEM_READ, &iter);
	KUNIT_EXPECT_EQ(test, 1, vmmem_slice_iter_next(&iter, &slice));
	ret = vmmem_slice_iter_next(&iter, &slice);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	KUNIT_EXPECT_EQ(test, iter.remaining, 16);
}

/* The same cases run for every backing; the suite init picks it. */
FX_DEFINE_SUITES(vmmem_copy,
		 KUNIT_CASE_PARAM(vmmem_copy_from_rules, from_gen_params),
		 KUNIT_CASE_PARAM(vmmem_copy_to_rules, to_gen_params),
		 KUNIT_CASE(vmmem_copy_small_sizes),
		 KUNIT_CASE(vmmem_copy_aligned_words),
		 KUNIT_CASE(vmmem_copy_never_wraps),
		 KUNIT_CASE_PARAM(vmmem_endian_copies, endian_gen_params),
		 KUNIT_CASE(vmmem_copy_objects));
