// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_iova_space: IOVA spaces over the fixture layout. Entries with each
 * permission, entries over read-only regions and holes, entries that cross
 * regions and jump between them, unmaps that cut entries, the miss hook,
 * guest memory removed and added back under entries, caches, dirty
 * logging by guest-physical page, 2^64 at both levels, and a per-device
 * view without an IOMMU.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bvec.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "fixture.h"

#define RW	(VMMEM_READ | VMMEM_WRITE)

/* The IOVA layout of most cases. */
#define I_B	(256 * FX_P)		/* 2 pages: B, read and write */
#define I_A	(I_B + 2 * FX_P)	/* 1 page: A, right after: a jump back */
#define I_RO	(512 * FX_P)		/* A, read only */
#define I_WO	(I_RO + 2 * FX_P)	/* A's 2nd page, write only */
#define I_C	(I_RO + 4 * FX_P)	/* C (a read-only region), read and write */
#define I_E	(I_RO + 6 * FX_P)	/* 2 pages: E, then a hole */
#define I_TOP	(768 * FX_P)		/* 2 pages: TOP, which ends at 2^64 - 1 */
#define I_END	(0 - 2 * FX_P)		/* 2 pages: A, ending at IOVA 2^64 - 1 */
#define I_NONE	(1024 * FX_P)		/* never mapped */

KUNIT_DEFINE_ACTION_WRAPPER(iova_destroy_action, vmmem_iova_destroy,
			    struct vmmem_iova *);

static struct vmmem_iova *iova_create(struct kunit *test, struct vmmem *vm,
				      vmmem_iova_miss_t miss, void *priv)
{
	struct vmmem_iova *iova = vmmem_iova_create(vm, miss, priv);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, iova_destroy_action,
							   iova));
	return iova;
}

static void iova_map(struct kunit *test, struct vmmem_iova *iova, u64 addr,
		     u64 size, u64 gpa, unsigned int perm)
{
	KUNIT_ASSERT_EQ_MSG(test, 0, vmmem_iova_map(iova, addr, size, gpa, perm),
			    "map %#llx+%#llx -> %#llx", addr, size, gpa);
}

/* The fixture layout and the IOVA layout above over it. */
static struct vmmem_iova *iova_layout(struct kunit *test, struct vmmem **vmp)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_iova *iova = iova_create(test, vm, NULL, NULL);

	iova_map(test, iova, I_B, 2 * FX_P, FX_B, RW);
	iova_map(test, iova, I_A, FX_P, FX_A, RW);
	iova_map(test, iova, I_RO, FX_P, FX_A, VMMEM_READ);
	iova_map(test, iova, I_WO, FX_P, FX_A + FX_P, VMMEM_WRITE);
	iova_map(test, iova, I_C, FX_P, FX_C, RW);
	iova_map(test, iova, I_E, 2 * FX_P, FX_E, RW);
	iova_map(test, iova, I_TOP, 2 * FX_P, FX_TOP, RW);
	iova_map(test, iova, I_END, 2 * FX_P, FX_A, RW);
	if (vmp)
		*vmp = vm;
	return iova;
}

struct perm_case {
	const char *name;
	u64 iova;
	u64 gpa;		/* behind @iova */
	bool write;
	int want;
};

static const struct perm_case perm_cases[] = {
	{ "read-only entry, read", I_RO, FX_A, false, 0 },
	{ "read-only entry, write", I_RO, FX_A, true, -EFAULT },
	{ "write-only entry, read", I_WO, FX_A + FX_P, false, -EFAULT },
	{ "write-only entry, write", I_WO, FX_A + FX_P, true, 0 },
	{ "read-write entry, read", I_B, FX_B, false, 0 },
	{ "read-write entry, write", I_B, FX_B, true, 0 },
	{ "read-write entry over a read-only region, read", I_C, FX_C, false, 0 },
	{ "read-write entry over a read-only region, write", I_C, FX_C, true, -EFAULT },
	{ "entry over a hole", I_E + FX_P, 0, false, -EFAULT },
	{ "no entry", I_NONE, 0, false, -EFAULT },
};

static void perm_case_desc(const struct perm_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(perm, perm_cases, perm_case_desc);

/* Every access path applies the entry's permission, then the region's. */
static void vmmem_iova_permissions(struct kunit *test)
{
	const struct perm_case *c = test->param_value;
	unsigned int access = c->write ? VMMEM_WRITE : VMMEM_READ, nr = 1;
	u64 addr = c->iova + 24, val = 0x1122334455667788ULL, got = 0;
	struct vmmem *vm;
	struct vmmem_iova *iova = iova_layout(test, &vm);
	struct vmmem_slice slice;
	u8 buf[16];
	int ret;

	if (c->write)
		ret = vmmem_store(iova, addr, val);
	else
		ret = vmmem_load(iova, addr, &got);
	KUNIT_EXPECT_EQ(test, ret, c->want);
	KUNIT_EXPECT_EQ(test, vmmem_check_range(iova, addr, sizeof(buf), access), !c->want);

	memset(buf, 0x33, sizeof(buf));
	ret = c->write ? vmmem_copy_to_guest(iova, addr + 8, buf, sizeof(buf)) :
			 vmmem_copy_from_guest(iova, addr + 8, buf, sizeof(buf));
	KUNIT_EXPECT_EQ(test, ret, c->want ? (int)sizeof(buf) : 0);

	rcu_read_lock();
	ret = vmmem_find_slice(iova, addr, 8, access, &slice);
	KUNIT_EXPECT_EQ(test, ret, c->want);
	if (!ret)
		KUNIT_EXPECT_EQ(test, slice.gpa, c->gpa + 24);
	rcu_read_unlock();

	ret = vmmem_hold(iova, addr, 8, access, &slice, &nr);
	KUNIT_EXPECT_EQ(test, ret, c->want);
	if (!ret) {
		KUNIT_EXPECT_EQ(test, nr, 1U);
		KUNIT_EXPECT_EQ(test, slice.gpa, c->gpa + 24);
		vmmem_release(&slice, nr);
	}
	if (c->want)
		return;
	/* The access landed at the guest-physical address behind. */
	if (c->write) {
		KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, c->gpa + 24, &got));
		KUNIT_EXPECT_EQ(test, got, val);
		KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa + 32, buf,
								 sizeof(buf)));
		KUNIT_EXPECT_EQ(test, buf[0], 0x33);
	} else {
		KUNIT_EXPECT_TRUE(test, fx_matches((u8 *)&got, c->gpa + 24, 8));
		KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa + 32, sizeof(buf)));
	}
}

/* A copy runs on across entries (which jump in guest memory) and regions. */
static void vmmem_iova_copy_across_entries(struct kunit *test)
{
	struct vmmem_iova *iova = iova_layout(test, NULL);
	u8 *buf = kunit_kmalloc(test, 3 * FX_P, GFP_KERNEL);
	struct vmmem_slice_iter iter;
	struct vmmem_slice slices[3];
	unsigned int nr = 3;
	int i = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(iova, I_B + 8, buf, 3 * FX_P - 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_B + 8, 2 * FX_P - 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf + 2 * FX_P - 8, FX_A, FX_P));

	/* Pieces end with the entry, and say where they are in guest memory. */
	rcu_read_lock();
	vmmem_slice_iter_init(iova, I_B, 3 * FX_P, VMMEM_READ, &iter);
	while (vmmem_slice_iter_next(&iter, &slices[i]) > 0 && i < 2)
		i++;
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, i, 2);
	KUNIT_EXPECT_EQ(test, slices[0].gpa, FX_B);
	KUNIT_EXPECT_EQ(test, slices[0].len, 2 * FX_P);
	KUNIT_EXPECT_EQ(test, slices[1].gpa, FX_A);
	KUNIT_EXPECT_EQ(test, slices[1].len, FX_P);

	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(iova, I_B, 3 * FX_P, VMMEM_WRITE, slices, &nr));
	KUNIT_EXPECT_EQ(test, nr, 2U);
	KUNIT_EXPECT_EQ(test, slices[1].gpa, FX_A);
	vmmem_release(slices, nr);

	/* An entry over E and then a hole: the copy stops at the hole. */
	KUNIT_EXPECT_EQ(test, FX_P, vmmem_copy_from_guest(iova, I_E, buf, 2 * FX_P));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_E, FX_P));
	/* Past the read-only entry: nothing mapped, the copy stops. */
	KUNIT_EXPECT_EQ(test, 2 * FX_P, vmmem_copy_from_guest(iova, I_RO, buf, 3 * FX_P));
}

/* A translation to bio_vecs through an IOVA space holds the right pages. */
static void vmmem_iova_translate(struct kunit *test)
{
	struct vmmem *vm;
	struct vmmem_iova *iova = iova_layout(test, &vm);
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 4 };
	unsigned long bits = 0;
	u8 *p;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(iova, I_B + FX_P, 2 * FX_P, RW, &bv));
	KUNIT_EXPECT_EQ(test, bv.nr_held, 2U);
	KUNIT_EXPECT_EQ(test, held[0].gpa, FX_B + FX_P);
	KUNIT_EXPECT_EQ(test, held[1].gpa, FX_A);
	p = bvec_kmap_local(&bvs[bv.nr - 1]);
	KUNIT_EXPECT_EQ(test, p[bvs[bv.nr - 1].bv_len - 1], fx_pattern(FX_A + FX_P - 1));
	kunmap_local(p);
	vmmem_untranslate(&bv);
	/* Written pages are logged by guest-physical address. */
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_A, FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, 1UL);
	bits = 0;
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_B, 2 * FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, 2UL);
}

/* Writes through an IOVA space mark the guest-physical pages behind. */
static void vmmem_iova_dirty_logging(struct kunit *test)
{
	struct vmmem *vm;
	struct vmmem_iova *iova = iova_layout(test, &vm);
	struct vmmem_cache cache;
	unsigned long bits = 0;
	u64 v = 7;

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(iova, I_A + 8, v));
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_A, 2 * FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, 1UL);

	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_to_guest(iova, I_WO, &v, sizeof(v)));
	bits = 0;
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_A, 2 * FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, 2UL);

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(iova, I_B + FX_P, FX_P, RW, &cache));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(&cache, I_B + FX_P + 16, v));
	bits = 0;
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_B, 2 * FX_P, &bits));
	KUNIT_EXPECT_EQ(test, bits, 2UL);

	/* Marks skip IOVAs no entry maps, and pages of holes. */
	vmmem_mark_dirty(iova, I_E, 2 * FX_P);
	vmmem_mark_dirty(iova, I_NONE - FX_P, 2 * FX_P);
	KUNIT_EXPECT_EQ(test, 1L, vmmem_dirty_harvest(vm, FX_E, FX_P, &bits));
	vmmem_mark_dirty(iova, I_TOP - FX_P, 3 * FX_P);
	KUNIT_EXPECT_EQ(test, 2L, vmmem_dirty_harvest(vm, FX_TOP, 2 * FX_P, &bits));
}

/* An unmap cuts entries; what it leaves translates as before. */
static void vmmem_iova_unmap_cuts(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_iova *iova = iova_create(test, vm, NULL, NULL);
	struct vmmem_info info, again;
	u8 b;
	int i;

	/* A then B: four pages over two regions, then one more entry. */
	iova_map(test, iova, I_B, 4 * FX_P, FX_A, RW);
	iova_map(test, iova, I_B + 4 * FX_P, FX_P, FX_E, VMMEM_READ);
	vmmem_info(iova, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 2U);
	KUNIT_EXPECT_EQ(test, info.last_addr, I_B + 5 * FX_P - 1);

	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, I_B + FX_P, FX_P));
	vmmem_info(iova, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 3U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, vmmem_load(iova, I_B + i * FX_P + 5, &b),
				i == 1 ? -EFAULT : 0);
		if (i != 1)
			KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_A + i * FX_P + 5));
	}
	/* Across two entries, cutting both. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, I_B + 3 * FX_P, 2 * FX_P));
	vmmem_info(iova, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 2U);
	KUNIT_EXPECT_EQ(test, info.last_addr, I_B + 3 * FX_P - 1);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(iova, I_B + 4 * FX_P, &b));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, I_B + 3 * FX_P - 1, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_A + 3 * FX_P - 1));
	/* Nothing mapped there: not an error, and the generation stays. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_iova_unmap(iova, I_NONE, FX_P));
	KUNIT_EXPECT_EQ(test, 0, vmmem_iova_unmap(iova, 0, 0));
	vmmem_info(iova, &again);
	KUNIT_EXPECT_EQ(test, again.generation, info.generation);
	/* Everything, then the space is empty. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, 0, 0 - FX_P));
	vmmem_info(iova, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 0U);
	KUNIT_EXPECT_EQ(test, info.last_addr, 0ULL);
}

struct arg_case {
	const char *name;
	bool unmap;
	u64 addr, size, gpa;
	unsigned int perm;
	int want;
};

static const struct arg_case arg_cases[] = {
	{ "map: IOVA misaligned", false, I_NONE + 8, FX_P, FX_A, RW, -EINVAL },
	{ "map: guest address misaligned", false, I_NONE, FX_P, FX_A + 8, RW, -EINVAL },
	{ "map: size misaligned", false, I_NONE, FX_P + 8, FX_A, RW, -EINVAL },
	{ "map: size 0", false, I_NONE, 0, FX_A, RW, -EINVAL },
	{ "map: no permission", false, I_NONE, FX_P, FX_A, 0, -EINVAL },
	{ "map: unknown permission", false, I_NONE, FX_P, FX_A, RW | 0x8, -EINVAL },
	{ "map: IOVA past 2^64 - 1", false, 0 - FX_P, 2 * FX_P, FX_A, RW, -EINVAL },
	{ "map: guest address past 2^64 - 1", false, I_NONE, 2 * FX_P, 0 - FX_P, RW,
	  -EINVAL },
	{ "map: over the start of an entry", false, I_B - FX_P, 2 * FX_P, FX_A, RW,
	  -EEXIST },
	{ "map: inside an entry", false, I_B + FX_P, FX_P, FX_A, RW, -EEXIST },
	{ "map: over the end of an entry", false, I_A, 2 * FX_P, FX_A, RW, -EEXIST },
	{ "map: around an entry", false, I_B - FX_P, 8 * FX_P, FX_A, RW, -EEXIST },
	{ "map: the last page of IOVAs", false, 0 - FX_P, FX_P, FX_A, RW, -EEXIST },
	{ "map: free, over a hole in guest memory", false, I_NONE, FX_P, FX_HOLE, RW,
	  0 },
	{ "unmap: misaligned", true, I_B + 8, FX_P, 0, 0, -EINVAL },
	{ "unmap: size misaligned", true, I_B, 8, 0, 0, -EINVAL },
	{ "unmap: past 2^64 - 1", true, 0 - FX_P, 2 * FX_P, 0, 0, -EINVAL },
	{ "unmap: size 0", true, I_B, 0, 0, 0, 0 },
	{ "unmap: nothing mapped", true, I_NONE, FX_P, 0, 0, 0 },
};

static void arg_case_desc(const struct arg_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(arg, arg_cases, arg_case_desc);

/* Bad arguments and overlaps fail whole: the space is as it was. */
static void vmmem_iova_arguments(struct kunit *test)
{
	const struct arg_case *c = test->param_value;
	struct vmmem_iova *iova = iova_layout(test, NULL);
	struct vmmem_info before, after;
	int ret;
	u8 b;

	vmmem_info(iova, &before);
	ret = c->unmap ? vmmem_iova_unmap(iova, c->addr, c->size) :
			 vmmem_iova_map(iova, c->addr, c->size, c->gpa, c->perm);
	KUNIT_EXPECT_EQ(test, ret, c->want);
	vmmem_info(iova, &after);
	KUNIT_EXPECT_EQ(test, after.nr_regions, before.nr_regions + (!ret && !c->unmap));
	KUNIT_EXPECT_EQ(test, after.generation != before.generation,
			!ret && !c->unmap);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, I_B, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_B));
}

struct miss_hook {
	struct vmmem_iova *iova;
	unsigned int calls;
	u64 last_addr;
	unsigned int last_access;
	int mode;		/* 0: map the page onto E; 1: map nothing; else: error */
};

static int miss_hook(void *priv, u64 addr, unsigned int access)
{
	struct miss_hook *h = priv;

	h->calls++;
	h->last_addr = addr;
	h->last_access = access;
	if (h->mode == 0)
		return vmmem_iova_map(h->iova, round_down(addr, FX_P), FX_P, FX_E, RW);
	return h->mode == 1 ? 0 : h->mode;
}

/* Misses call the hook, which maps on demand, once per address per call. */
static void vmmem_iova_miss_hook(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct miss_hook *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct vmmem_slice slices[3];
	struct vmmem_cache cache;
	unsigned int nr = 3;
	u8 buf[32], b = 0;

	KUNIT_ASSERT_NOT_NULL(test, h);
	h->iova = iova_create(test, vm, miss_hook, h);

	/* Maps on demand: a copy over two missing pages calls it twice. */
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(h->iova, I_NONE + FX_P - 16, buf,
							 sizeof(buf)));
	KUNIT_EXPECT_EQ(test, h->calls, 2U);
	KUNIT_EXPECT_EQ(test, h->last_addr, I_NONE + FX_P);
	KUNIT_EXPECT_EQ(test, h->last_access, VMMEM_READ);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_E + FX_P - 16, 16));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf + 16, FX_E, 16));
	/* Mapped now: no more calls. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(h->iova, I_NONE, &b));
	KUNIT_EXPECT_EQ(test, h->calls, 2U);

	/* Inside the caller's RCU section, a miss is a hole: no call. */
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_find_slice(h->iova, I_B, 1, VMMEM_READ,
							&slices[0]));
	rcu_read_unlock();
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(h->iova, I_B, 1, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, h->calls, 2U);

	/* A hook that maps nothing is called once, and the access fails. */
	h->mode = 1;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(h->iova, I_B, b));
	KUNIT_EXPECT_EQ(test, h->calls, 3U);
	KUNIT_EXPECT_EQ(test, h->last_access, VMMEM_WRITE);
	KUNIT_EXPECT_EQ(test, sizeof(buf),
			vmmem_copy_to_guest(h->iova, I_B, buf, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, h->calls, 4U);

	/* Its error is what calls that return one return. */
	h->mode = -EAGAIN;
	KUNIT_EXPECT_EQ(test, -EAGAIN, vmmem_hold(h->iova, I_NONE, 3 * FX_P, VMMEM_READ,
						  slices, &nr));
	KUNIT_EXPECT_EQ(test, h->calls, 5U);
	KUNIT_EXPECT_EQ(test, h->last_addr, I_NONE + 2 * FX_P);
	KUNIT_EXPECT_EQ(test, -EAGAIN, vmmem_load(h->iova, I_B, &b));
	KUNIT_EXPECT_EQ(test, -EAGAIN, vmmem_cache_init(h->iova, I_B, 8, VMMEM_READ,
							&cache));
	/* A copy stops short at the page it could not get. */
	KUNIT_EXPECT_EQ(test, 16UL, vmmem_copy_from_guest(h->iova, I_NONE + 2 * FX_P - 16,
							  buf, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, h->calls, 8U);
}

/* Guest memory removed under an entry faults; added back, it works again. */
static void vmmem_iova_hotplug(struct kunit *test)
{
	struct vmmem *vm;
	struct vmmem_iova *iova = iova_layout(test, &vm);
	struct vmmem_update rm = { .op = VMMEM_REMOVE, .gpa = FX_E, .size = FX_E_SIZE };
	/* An entry inside E alone, whose region the entry keeps. */
	const u64 i_in = I_NONE + 8 * FX_P;
	struct vmmem_cache cache;
	u8 b;

	iova_map(test, iova, i_in, FX_P, FX_E, RW);
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(iova, I_E, FX_P, VMMEM_READ, &cache));
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(vm, &rm, 1));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(iova, I_E, &b));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(iova, i_in, &b));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(&cache, I_E, &b));
	fx_add(test, vm, FX_E, FX_E_SIZE, 0);
	fx_fill(test, vm, FX_E, FX_E_SIZE);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, I_E + 3, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_E + 3));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, I_E + 4, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_E + 4));
	/* The new region's memory, not the old one's (a stale entry would). */
	KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, FX_E + 5, (u8)~fx_pattern(FX_E + 5)));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, I_E + 5, &b));
	KUNIT_EXPECT_EQ(test, b, (u8)~fx_pattern(FX_E + 5));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, i_in + 5, &b));
	KUNIT_EXPECT_EQ(test, b, (u8)~fx_pattern(FX_E + 5));
}

/* A cache follows its window through unmaps and remaps. */
static void vmmem_iova_cache(struct kunit *test)
{
	struct vmmem_iova *iova = iova_layout(test, NULL);
	struct vmmem_cache cache;
	const u8 *p;
	u8 b;

	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(iova, I_A, FX_P, VMMEM_READ, &cache));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, I_A + 9, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_A + 9));
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, I_A, FX_P));
	rcu_read_lock();
	p = vmmem_cache_ptr(&cache, I_A, 1);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, p);
	iova_map(test, iova, I_A, FX_P, FX_E, VMMEM_READ);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(&cache, I_A + 9, &b));
	KUNIT_EXPECT_EQ(test, b, fx_pattern(FX_E + 9));
	/* A window across two entries is refused, as one across regions. */
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_cache_init(iova, I_B + FX_P, 2 * FX_P,
							VMMEM_READ, &cache));
}

/* 2^64 - 1 ends IOVAs and guest-physical addresses alike: no wrap. */
static void vmmem_iova_top_of_space(struct kunit *test)
{
	struct vmmem_iova *iova = iova_layout(test, NULL);
	u8 *buf = kunit_kmalloc(test, 2 * FX_P + 1, GFP_KERNEL);
	u64 v;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(iova, I_END, buf, 2 * FX_P));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_A, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 1UL, vmmem_copy_from_guest(iova, I_END, buf, 2 * FX_P + 1));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, U64_MAX - 7, &v));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(iova, U64_MAX, 2, VMMEM_READ));
	/* An entry onto the region that ends at guest-physical 2^64 - 1. */
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(iova, I_TOP, buf, 2 * FX_P));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_TOP, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, I_TOP + 2 * FX_P - 8, &v));
	KUNIT_EXPECT_EQ(test, 8UL, vmmem_copy_from_guest(iova, I_TOP + 2 * FX_P - 8, buf, 16));
}

/* What a space says of itself, and what it does not do. */
static void vmmem_iova_info_and_snapshots(struct kunit *test)
{
	struct vmmem *vm;
	struct vmmem_iova *iova = iova_layout(test, &vm);
	struct vmmem_update rm = { .op = VMMEM_REMOVE, .gpa = FX_E, .size = FX_E_SIZE };
	struct vmmem_region_info ri;
	struct vmmem_info info, again;

	vmmem_info(iova, &info);
	KUNIT_EXPECT_EQ(test, info.nr_regions, 8U);
	KUNIT_EXPECT_EQ(test, info.last_addr, U64_MAX);
	KUNIT_EXPECT_EQ(test, 0, vmmem_region_info(iova, I_B + FX_P + 5, &ri));
	KUNIT_EXPECT_EQ(test, ri.gpa, FX_B);
	KUNIT_EXPECT_EQ(test, ri.size, FX_B_SIZE);
	KUNIT_EXPECT_EQ(test, 0, vmmem_region_info(iova, I_WO, &ri));
	KUNIT_EXPECT_EQ(test, ri.gpa, FX_A);
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_region_info(iova, I_E + FX_P, &ri));
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_region_info(iova, I_NONE, &ri));
	KUNIT_EXPECT_PTR_EQ(test, ERR_PTR(-EOPNOTSUPP), vmmem_snapshot(iova));
	vmmem_snapshot_put(ERR_PTR(-EOPNOTSUPP));
	/* A change of the map moves the space's generation too. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(vm, &rm, 1));
	vmmem_info(iova, &again);
	KUNIT_EXPECT_NE(test, again.generation, info.generation);
	KUNIT_EXPECT_EQ(test, again.nr_regions, 8U);
}

/*
 * A device without an IOMMU that may see only part of guest memory: a
 * space of entries onto the same addresses, A writable, B read-only, the
 * rest hidden.
 */
static void vmmem_iova_device_view(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_iova *view = iova_create(test, vm, NULL, NULL);
	u8 *buf = kunit_kmalloc(test, 4 * FX_P, GFP_KERNEL);
	u8 b = fx_pattern(FX_B + 1);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	iova_map(test, view, FX_A, FX_A_SIZE, FX_A, RW);
	iova_map(test, view, FX_B, FX_B_SIZE, FX_B, VMMEM_READ);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(view, FX_A + 1, b));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(view, FX_B + 1, b));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, FX_B + 1, b));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(view, FX_A + 2, buf,
							 FX_A_SIZE + FX_B_SIZE - 2));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, FX_A + 2, FX_A_SIZE + FX_B_SIZE - 2));
	/* C is hidden from this device, not from the map. */
	KUNIT_EXPECT_EQ(test, 1UL, vmmem_copy_from_guest(view, FX_C - 1, buf, 2));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, FX_C - 1, buf, 2));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(view, FX_E, 1, VMMEM_READ));
}

/*
 * Many one-page entries with gaps between them, mapped and unmapped in
 * random orders: a tree of several levels, each entry found where it is.
 */
#define MANY	1024

static void vmmem_iova_many_entries(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_iova *iova = iova_create(test, vm, NULL, NULL);
	unsigned int *perm = kunit_kmalloc_array(test, MANY, sizeof(*perm), GFP_KERNEL);
	struct vmmem_info info;
	struct rnd_state rnd;
	unsigned int i, j, pass;
	u8 b;

	KUNIT_ASSERT_NOT_NULL(test, perm);
	prandom_seed_state(&rnd, 1024);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < MANY; i++)
			perm[i] = i;
		for (i = MANY - 1; i > 0; i--) {
			j = prandom_u32_state(&rnd) % (i + 1);
			swap(perm[i], perm[j]);
		}
		for (i = 0; i < MANY; i++)
			KUNIT_ASSERT_EQ_MSG(test, 0,
					    vmmem_iova_map(iova, 2ULL * perm[i] * FX_P, FX_P,
							   FX_A + (perm[i] % 4) * FX_P, RW),
					    "entry %u of %u, at page %u", i, MANY, 2 * perm[i]);
		vmmem_info(iova, &info);
		KUNIT_EXPECT_EQ(test, info.nr_regions, MANY);
		for (i = 0; i < MANY; i++) {
			KUNIT_ASSERT_EQ(test, 0, vmmem_load(iova, 2ULL * i * FX_P + i % FX_P, &b));
			KUNIT_ASSERT_EQ(test, b, fx_pattern(FX_A + (i % 4) * FX_P + i % FX_P));
			KUNIT_ASSERT_EQ(test, -EFAULT, vmmem_load(iova, (2ULL * i + 1) * FX_P, &b));
		}
		/* Overlaps are found deep in the tree too; the free pages map. */
		for (i = 1; i < MANY - 1; i += 97) {
			KUNIT_ASSERT_EQ(test, -EEXIST, vmmem_iova_map(iova, (2ULL * i + 1) * FX_P,
								      2 * FX_P, FX_A, RW));
			KUNIT_ASSERT_EQ(test, -EEXIST, vmmem_iova_map(iova, (2ULL * i - 1) * FX_P,
								      2 * FX_P, FX_A, RW));
			KUNIT_ASSERT_EQ(test, -EEXIST, vmmem_iova_map(iova, (2ULL * i - 1) * FX_P,
								      3 * FX_P, FX_A, RW));
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, (2ULL * i + 1) * FX_P,
								FX_P, FX_A, RW));
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, (2ULL * i + 1) * FX_P,
								  FX_P));
		}
		/* Half one by one, in another order; then the rest in one go. */
		for (i = 0; i < MANY / 2; i++) {
			j = perm[MANY - 1 - i];
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, 2ULL * j * FX_P, FX_P));
		}
		vmmem_info(iova, &info);
		KUNIT_EXPECT_EQ(test, info.nr_regions, MANY / 2);
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, 0, 2ULL * MANY * FX_P));
		vmmem_info(iova, &info);
		KUNIT_EXPECT_EQ(test, info.nr_regions, 0U);
	}
}

/*
 * A space of thousands of entries, remapped at free pages many times, then
 * destroyed whole (the bench's case, which crashed once).
 */
static void vmmem_iova_destroy_large(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);
	struct vmmem_iova *iova = vmmem_iova_create(vm, NULL, NULL);
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	for (i = 0; i < 4 * MANY; i++)
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, 2ULL * i * FX_P, FX_P, FX_A, RW));
	for (i = 0; i < 16 * MANY; i++) {
		u64 spare = (2ULL * ((i * 7919) % (4 * MANY)) + 1) * FX_P;

		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, spare, FX_P, FX_B, VMMEM_READ));
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(iova, spare, FX_P));
	}
	vmmem_iova_destroy(iova);
	/* Everything the tree freed goes through RCU callbacks: let them run. */
	rcu_barrier();
}

static struct kunit_case vmmem_iova_space_cases[] = {
	KUNIT_CASE_PARAM(vmmem_iova_permissions, perm_gen_params),
	KUNIT_CASE(vmmem_iova_copy_across_entries),
	KUNIT_CASE(vmmem_iova_translate),
	KUNIT_CASE(vmmem_iova_dirty_logging),
	KUNIT_CASE(vmmem_iova_unmap_cuts),
	KUNIT_CASE_PARAM(vmmem_iova_arguments, arg_gen_params),
	KUNIT_CASE(vmmem_iova_miss_hook),
	KUNIT_CASE(vmmem_iova_hotplug),
	KUNIT_CASE(vmmem_iova_cache),
	KUNIT_CASE(vmmem_iova_top_of_space),
	KUNIT_CASE(vmmem_iova_info_and_snapshots),
	KUNIT_CASE(vmmem_iova_device_view),
	KUNIT_CASE(vmmem_iova_many_entries),
	KUNIT_CASE_SLOW(vmmem_iova_destroy_large),
	{}
};

static struct kunit_suite vmmem_iova_space_suite = {
	.name = "vmmem_iova_space",
	.test_cases = vmmem_iova_space_cases,
};

kunit_test_suite(vmmem_iova_space_suite);
