// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_access: single untorn loads and stores, relaxed, acquire and
 * release, at every width, through a map, a snapshot and a translation
 * cache, against the fixture layout (see fixture.h).
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
	{ "load-acquire u8", LOAD_ACQUIRE, 1, FX_B + 1, 0 },
	{ "load-acquire u16", LOAD_ACQUIRE, 2, FX_B + 2, 0 },
	{ "load-acquire u32", LOAD_ACQUIRE, 4, FX_B + 4, 0 },
	{ "load-acquire u64", LOAD_ACQUIRE, 8, FX_B + 8, 0 },
	{ "store-release u8", STORE_RELEASE, 1, FX_B + 1, 0 },
	{ "store-release u16", STORE_RELEASE, 2, FX_B + 2, 0 },
	{ "store-release u32", STORE_RELEASE, 4, FX_B + 4, 0 },
	{ "store-release u64", STORE_RELEASE, 8, FX_B + 8, 0 },
	/* Last bytes of a region, and of the address space. */
	{ "load u64 at a region's end", LOAD, 8, FX_B - 8, 0 },
	{ "store u32 at a region's end", STORE, 4, FX_E + FX_E_SIZE - 4, 0 },
	{ "load u64 at 2^64 - 8", LOAD, 8, 0 - 8ULL, 0 },
	{ "store-release u64 at 2^64 - 8", STORE_RELEASE, 8, 0 - 8ULL, 0 },
	{ "store u8 at 2^64 - 1", STORE, 1, U64_MAX, 0 },
	{ "load-acquire u8 at 2^64 - 1", LOAD_ACQUIRE, 1, U64_MAX, 0 },
	{ "store-release u16 at 2^64 - 2", STORE_RELEASE, 2, 0 - 2ULL, 0 },
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
	{ "store-release u8 in a hole", STORE_RELEASE, 1, FX_HOLE + 3, -EFAULT },
	{ "load u32 from read-only", LOAD, 4, FX_C + 4, 0 },
	{ "load-acquire u64 from read-only", LOAD_ACQUIRE, 8, FX_C + 8, 0 },
	{ "store u8 into read-only", STORE, 1, FX_C, -EFAULT },
	{ "store u64 into read-only", STORE, 8, FX_C + 8, -EFAULT },
	{ "store-release u32 into read-only", STORE_RELEASE, 4, FX_C + 4, -EFAULT },
	{ "store-release u8 into read-only", STORE_RELEASE, 1, FX_C + 1, -EFAULT },
};

KUNIT_ARRAY_PARAM_DESC(access, access_cases, desc);

#define SENTINEL 0x5eed

/*
 * One access of @c->bytes through @from (a map, a snapshot or a cache):
 * the value's type picks the width. The destination starts out holding
 * SENTINEL (truncated to its width), so *val shows whether a failed load
 * left it alone.
 */
#define access_load(from, c, val)					\
({									\
	typeof(from) __from = (from);					\
	const struct access_case *__c = (c);				\
	u64 *__valp = (val);						\
	bool __acq = __c->op == LOAD_ACQUIRE;				\
	u8 __v8 = SENTINEL & U8_MAX;					\
	u16 __v16 = SENTINEL;						\
	u32 __v32 = SENTINEL;						\
	u64 __v64 = SENTINEL;						\
	int __ret;							\
									\
	switch (__c->bytes) {						\
	case 1:								\
		__ret = __acq ? vmmem_load_acquire(__from, __c->gpa, &__v8) : \
				vmmem_load(__from, __c->gpa, &__v8);	\
		*__valp = __v8;						\
		break;							\
	case 2:								\
		__ret = __acq ? vmmem_load_acquire(__from, __c->gpa, &__v16) : \
				vmmem_load(__from, __c->gpa, &__v16);	\
		*__valp = __v16;					\
		break;							\
	case 4:								\
		__ret = __acq ? vmmem_load_acquire(__from, __c->gpa, &__v32) : \
				vmmem_load(__from, __c->gpa, &__v32);	\
		*__valp = __v32;					\
		break;							\
	default:							\
		__ret = __acq ? vmmem_load_acquire(__from, __c->gpa, &__v64) : \
				vmmem_load(__from, __c->gpa, &__v64);	\
		*__valp = __v64;					\
		break;							\
	}								\
	__ret;								\
})

#define access_store(from, c, val)					\
({									\
	typeof(from) __from = (from);					\
	const struct access_case *__c = (c);				\
	bool __rel = __c->op == STORE_RELEASE;				\
	u64 __val = (val);						\
	int __ret;							\
									\
	switch (__c->bytes) {						\
	case 1:								\
		__ret = __rel ? vmmem_store_release(__from, __c->gpa, (u8)__val) : \
				vmmem_store(__from, __c->gpa, (u8)__val); \
		break;							\
	case 2:								\
		__ret = __rel ? vmmem_store_release(__from, __c->gpa, (u16)__val) : \
				vmmem_store(__from, __c->gpa, (u16)__val); \
		break;							\
	case 4:								\
		__ret = __rel ? vmmem_store_release(__from, __c->gpa, (u32)__val) : \
				vmmem_store(__from, __c->gpa, (u32)__val); \
		break;							\
	default:							\
		__ret = __rel ? vmmem_store_release(__from, __c->gpa, __val) : \
				vmmem_store(__from, __c->gpa, __val);	\
		break;							\
	}								\
	__ret;								\
})

/* Native value of the fixture pattern at [gpa, gpa + bytes). */
static u64 pattern_value(u64 gpa, unsigned int bytes)
{
	u8 raw[8];
	unsigned int i;

	for (i = 0; i < bytes; i++)
		raw[i] = fx_pattern(gpa + i);
	switch (bytes) {
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

enum access_via { VIA_MAP, VIA_SNAPSHOT, VIA_CACHE };

KUNIT_DEFINE_ACTION_WRAPPER(snapshot_put_action, vmmem_snapshot_put,
			    struct vmmem_snapshot *);

/* A snapshot of @vm, put when the test ends. */
static struct vmmem_snapshot *test_snapshot(struct kunit *test, struct vmmem *vm)
{
	struct vmmem_snapshot *snap = vmmem_snapshot(vm);

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, snapshot_put_action,
							   snap));
	return snap;
}

/* One access through the space or cache that @via names. */
static int do_load(struct vmmem *vm, struct vmmem_snapshot *snap,
		   struct vmmem_cache *cache, enum access_via via,
		   const struct access_case *c, u64 *val)
{
	switch (via) {
	case VIA_SNAPSHOT:
		return access_load(snap, c, val);
	case VIA_CACHE:
		return access_load(cache, c, val);
	default:
		return access_load(vm, c, val);
	}
}

static int do_store(struct vmmem *vm, struct vmmem_snapshot *snap,
		    struct vmmem_cache *cache, enum access_via via,
		    const struct access_case *c, u64 val)
{
	switch (via) {
	case VIA_SNAPSHOT:
		return access_store(snap, c, val);
	case VIA_CACHE:
		return access_store(cache, c, val);
	default:
		return access_store(vm, c, val);
	}
}

static void single_access_rules(struct kunit *test, enum access_via via)
{
	const struct access_case *c = test->param_value;
	struct vmmem *vm = fx_create_layout(test);
	u64 mask = c->bytes == 8 ? U64_MAX : BIT_ULL(8 * c->bytes) - 1;
	u64 stored = 0xf1e2d3c4b5a69788ULL & mask;
	struct vmmem_snapshot *snap = NULL;
	struct vmmem_region_info info;
	struct vmmem_cache cache;
	unsigned int access;
	u64 val;
	bool mapped;

	if (via == VIA_SNAPSHOT)
		snap = test_snapshot(test, vm);
	if (via == VIA_CACHE) {
		/*
		 * A window over the whole region of @c->gpa, with the access
		 * the region permits: the cache must answer as the map does.
		 * A hole has no window to cache.
		 */
		if (vmmem_region_info(vm, c->gpa, &info)) {
			KUNIT_EXPECT_EQ(test, -EFAULT,
					vmmem_cache_init(vm, c->gpa, c->bytes,
							 VMMEM_READ, &cache));
			return;
		}
		access = info.flags & VMMEM_REGION_RDONLY ? VMMEM_READ :
							    VMMEM_READ | VMMEM_WRITE;
		KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, info.gpa, info.size,
							  access, &cache));
	}

	if (c->op == LOAD || c->op == LOAD_ACQUIRE) {
		KUNIT_EXPECT_EQ(test, c->ret, do_load(vm, snap, &cache, via, c, &val));
		KUNIT_EXPECT_EQ(test, val, c->ret ? SENTINEL & mask :
					   pattern_value(c->gpa, c->bytes));
		return;
	}

	mapped = vmmem_check_range(vm, c->gpa, c->bytes, VMMEM_READ);
	KUNIT_EXPECT_EQ(test, c->ret, do_store(vm, snap, &cache, via, c, stored));
	if (c->ret) {
		/* Nothing written, not even part of the value. */
		if (mapped)
			KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa, c->bytes));
		return;
	}
	/* The store is seen the way it was made and through the map. */
	KUNIT_EXPECT_EQ(test, 0, do_load(vm, snap, &cache, via, c, &val));
	KUNIT_EXPECT_EQ(test, val, stored);
	KUNIT_EXPECT_EQ(test, 0, do_load(vm, NULL, NULL, VIA_MAP, c, &val));
	KUNIT_EXPECT_EQ(test, val, stored);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa - 1, 1));
	if (vmmem_check_range(vm, c->gpa + c->bytes, 1, VMMEM_READ))
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, c->gpa + c->bytes, 1));
}

static void vmmem_single_access_rules(struct kunit *test)
{
	single_access_rules(test, VIA_MAP);
}

/* A snapshot of an unchanged map answers every access as the map does. */
static void vmmem_single_access_snapshot(struct kunit *test)
{
	single_access_rules(test, VIA_SNAPSHOT);
}

static void vmmem_single_access_cache(struct kunit *test)
{
	single_access_rules(test, VIA_CACHE);
}

/* A store-release publishes earlier copies to a later load-acquire. */
static void vmmem_release_acquire_pair(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	u8 payload[64], back[64];
	u16 idx = 0;

	memset(payload, 0x77, sizeof(payload));
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_A + 256, payload,
						     sizeof(payload)));
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(vm, FX_A + 2, (u16)1));
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire(vm, FX_A + 2, &idx));
	KUNIT_EXPECT_EQ(test, idx, 1);
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(vm, FX_A + 256, back,
						       sizeof(back)));
	KUNIT_EXPECT_EQ(test, 0, memcmp(payload, back, sizeof(back)));
}

/*
 * Endian types keep their byte order: the bytes in guest memory are in the
 * type's order on any CPU, relaxed or ordered, through a map or a cache.
 */
#define ENDIAN_LE_BYTES	{ 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }
#define ENDIAN_BE_BYTES	{ 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }

static void endian_check_bytes(struct kunit *test, struct vmmem *vm, u64 gpa,
			       const u8 *want, size_t len)
{
	u8 raw[8];

	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(vm, gpa, raw, len));
	KUNIT_EXPECT_EQ_MSG(test, 0, memcmp(raw, want, len), "at %llx", gpa);
}

static void vmmem_endian_types(struct kunit *test)
{
	static const u8 le[8] = ENDIAN_LE_BYTES, be[8] = ENDIAN_BE_BYTES;
	/* The low bytes of the value, in each order. */
	static const u8 be16[2] = { 0x77, 0x88 }, be32[4] = { 0x55, 0x66, 0x77, 0x88 };
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	/* Converted before the calls: sparse cannot expand them inside. */
	__le16 l16 = cpu_to_le16(0x7788);
	__be16 b16 = cpu_to_be16(0x7788);
	__le32 l32 = cpu_to_le32(0x55667788);
	__be32 b32 = cpu_to_be32(0x55667788);
	__le64 l64 = cpu_to_le64(0x1122334455667788ULL);
	__be64 b64 = cpu_to_be64(0x1122334455667788ULL);

	/* Relaxed and release stores through the map. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, FX_B + 2, l16));
	endian_check_bytes(test, vm, FX_B + 2, le, 2);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(vm, FX_B + 6, b16));
	endian_check_bytes(test, vm, FX_B + 6, be16, 2);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, FX_B + 8, b32));
	endian_check_bytes(test, vm, FX_B + 8, be32, 4);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(vm, FX_B + 12, l32));
	endian_check_bytes(test, vm, FX_B + 12, le, 4);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, FX_B + 16, l64));
	endian_check_bytes(test, vm, FX_B + 16, le, 8);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(vm, FX_B + 24, b64));
	endian_check_bytes(test, vm, FX_B + 24, be, 8);

	/* The same through a cache over A. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_A, FX_A_SIZE,
						  VMMEM_READ | VMMEM_WRITE, &cache));
	KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(&cache, FX_A + 32, l16));
	endian_check_bytes(test, vm, FX_A + 32, le, 2);
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(&cache, FX_A + 40, b64));
	endian_check_bytes(test, vm, FX_A + 40, be, 8);

	/* Loads of bytes laid down in each order, through the map... */
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_A + 16, le, 8));
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_to_guest(vm, FX_A + 24, be, 8));
	KUNIT_ASSERT_EQ(test, 0, vmmem_load(vm, FX_A + 16, &l16));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(l16), 0x7788);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire(vm, FX_A + 16, &l32));
	KUNIT_EXPECT_EQ(test, le32_to_cpu(l32), 0x55667788);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load(vm, FX_A + 16, &l64));
	KUNIT_EXPECT_EQ(test, le64_to_cpu(l64), 0x1122334455667788ULL);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire(vm, FX_A + 24, &b16));
	KUNIT_EXPECT_EQ(test, be16_to_cpu(b16), 0x1122);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load(vm, FX_A + 24, &b32));
	KUNIT_EXPECT_EQ(test, be32_to_cpu(b32), 0x11223344);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire(vm, FX_A + 24, &b64));
	KUNIT_EXPECT_EQ(test, be64_to_cpu(b64), 0x1122334455667788ULL);
	/* ...and through the cache. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_load_acquire(&cache, FX_A + 24, &b32));
	KUNIT_EXPECT_EQ(test, be32_to_cpu(b32), 0x11223344);
	KUNIT_ASSERT_EQ(test, 0, vmmem_load(&cache, FX_A + 16, &l64));
	KUNIT_EXPECT_EQ(test, le64_to_cpu(l64), 0x1122334455667788ULL);

	/* Errors leave the value and guest memory alone. */
	l16 = cpu_to_le16(SENTINEL);
	b32 = cpu_to_be32(SENTINEL);
	l64 = cpu_to_le64(SENTINEL);
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load_acquire(vm, FX_A + 1, &l16));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load(&cache, FX_A + 2, &b32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire(vm, FX_HOLE, &l64));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(l16), SENTINEL);
	KUNIT_EXPECT_EQ(test, be32_to_cpu(b32), SENTINEL);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(l64), SENTINEL);
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store_release(vm, FX_A + 4, l64));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store(&cache, FX_A + 6, b32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, FX_HOLE, b32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(vm, FX_C + 2, l16));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_A, 16));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, 16));
}

/*
 * A cache answers only inside its window, even where the map around it is
 * mapped: a value that starts before the window or ends after it is
 * -EFAULT, alignment is still checked first.
 */
static void vmmem_cache_window_bounds(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	/* [FX_B + 66, FX_B + 74): not aligned to the values it holds. */
	const u64 start = FX_B + 66, end = start + 8;
	struct vmmem_cache cache;
	u64 v64 = SENTINEL;
	u32 v32 = SENTINEL;
	u16 v16 = SENTINEL;
	u8 v8;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, start, end - start,
						  VMMEM_READ | VMMEM_WRITE, &cache));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, start, &v16));
	KUNIT_EXPECT_EQ(test, v16, pattern_value(start, 2));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, start + 2, &v32));
	KUNIT_EXPECT_EQ(test, v32, pattern_value(start + 2, 4));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, end - 1, &v8));
	KUNIT_EXPECT_EQ(test, v8, fx_pattern(end - 1));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, end - 2, (u16)0xabcd));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(&cache, start, (u8)0x42));

	/* Straddling the window's first or last byte. */
	v32 = SENTINEL;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(&cache, start - 2, &v32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load_acquire(&cache, end - 2, &v32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(&cache, FX_B + 64, &v64));
	KUNIT_EXPECT_EQ(test, v32, SENTINEL);
	KUNIT_EXPECT_EQ(test, v64, SENTINEL);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, start - 2, (u32)1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, end - 2, (u32)1));
	/* Just outside it, and far away in the same region. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, start - 1, (u8)1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(&cache, end, &v8));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, FX_B, (u64)1));
	/* Misaligned inside the window. */
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load(&cache, start + 1, &v16));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store_release(&cache, start + 1, (u16)1));

	/* Only the two stores inside the window landed. */
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_B, start - FX_B));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, start + 1, end - 2 - start - 1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, end, FX_B_SIZE - (end - FX_B)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, end - 2, &v16));
	KUNIT_EXPECT_EQ(test, v16, 0xabcd);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, start, &v8));
	KUNIT_EXPECT_EQ(test, v8, 0x42);
}

/* A cache set up for reading refuses stores, though the region is writable. */
static void vmmem_cache_read_only(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	const void *ro;
	void *ptr;
	u32 v32;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_B, FX_B_SIZE, VMMEM_READ,
						  &cache));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, FX_B + 4, &v32));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, FX_B + 4, (u32)1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_B + 8, (u64)1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, FX_B + 1, (u8)1));
	rcu_read_lock();
	ptr = vmmem_cache_wptr(&cache, FX_B, 8);
	ro = vmmem_cache_ptr(&cache, FX_B, 8);
	KUNIT_EXPECT_TRUE(test, ro && fx_matches(ro, FX_B, 8));
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, ptr);
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_B, 16));

	/* Over a read-only region, a writing cache cannot be set up at all. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_cache_init(vm, FX_C, 64,
							VMMEM_READ | VMMEM_WRITE,
							&cache));
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_C, 64, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_C, (u32)1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_C, 64));
}

/*
 * After the map changes, a cache resolves its window again: an unrelated
 * change keeps it working, removal makes it fail, and a new region at the
 * same address is where its accesses go from then on.
 */
static void vmmem_cache_revalidates(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	u64 v64;
	u16 v16;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_B, FX_P,
						  VMMEM_READ | VMMEM_WRITE, &cache));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, FX_B + 2, (u16)7));

	fx_add(test, vm, FX_HOLE, FX_P, 0);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_B + 2, &v16));
	KUNIT_EXPECT_EQ(test, v16, 7);

	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	v16 = SENTINEL;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(&cache, FX_B + 2, &v16));
	KUNIT_EXPECT_EQ(test, v16, SENTINEL);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_B, (u32)1));

	/* The new region is filled with the pattern, not what was stored. */
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	fx_fill(test, vm, FX_B, FX_B_SIZE);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, FX_B + 2, &v16));
	KUNIT_EXPECT_EQ(test, v16, pattern_value(FX_B + 2, 2));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(&cache, FX_B + 8,
						     0x0123456789abcdefULL));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, FX_B + 8, &v64));
	KUNIT_EXPECT_EQ(test, v64, 0x0123456789abcdefULL);

	/* A read-only region at that address is not written through it. */
	KUNIT_ASSERT_EQ(test, 0, fx_remove(vm, FX_B, FX_B_SIZE));
	fx_add(test, vm, FX_B, FX_P, VMMEM_REGION_RDONLY);
	fx_fill(test, vm, FX_B, FX_P);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(&cache, FX_B, (u8)1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store_release(&cache, FX_B + 8, (u64)1));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, FX_B, 16));
}

/*
 * Stores through a cache are dirty-logged like any store, including for a
 * cache set up before logging started; loads are not.
 */
static void vmmem_cache_dirty_log(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_cache cache;
	unsigned long bits = 0;
	u32 v32;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(vm, FX_A, FX_A_SIZE,
						  VMMEM_READ | VMMEM_WRITE, &cache));
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(&cache, FX_A + 4, &v32));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, FX_A + FX_P, &v32));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, 0);

	KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, FX_A + FX_P + 4, (u32)1));
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, BIT(1));

	bits = 0;
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(&cache, FX_A + 8, (u64)1));
	KUNIT_EXPECT_EQ(test, 1, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, BIT(0));

	/* A failed store marks nothing. */
	bits = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store(&cache, FX_A + 1, (u16)1));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));

	/* After logging stops, nothing more is marked. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, FX_A + 16, (u8)1));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(vm, FX_A, FX_A_SIZE, &bits));
	KUNIT_EXPECT_EQ(test, bits, 0);
}

/* The same cases run for every backing; the suite init picks it. */
FX_DEFINE_SUITES(vmmem_access,
		 KUNIT_CASE_PARAM(vmmem_single_access_rules, access_gen_params),
		 KUNIT_CASE_PARAM(vmmem_single_access_snapshot, access_gen_params),
		 KUNIT_CASE_PARAM(vmmem_single_access_cache, access_gen_params),
		 KUNIT_CASE(vmmem_release_acquire_pair),
		 KUNIT_CASE(vmmem_endian_types),
		 KUNIT_CASE(vmmem_cache_window_bounds),
		 KUNIT_CASE(vmmem_cache_read_only),
		 KUNIT_CASE(vmmem_cache_revalidates),
		 KUNIT_CASE(vmmem_cache_dirty_log));
