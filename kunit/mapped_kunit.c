// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_mapped: regions mapped on access (VMMEM_ADD_MAPPED). A fake
 * provider stands in for a grant table: it maps its own pages, refuses
 * writable mappings of pages "granted" read-only, fails one chosen page or
 * answers -EAGAIN a number of times, copies short pieces itself if asked
 * (a grant copy), and counts live mappings, which must be zero after every
 * access unless the region keeps pages mapped. Copies, iov_iter copies,
 * single accesses, range checks and holds of kept pages reach such memory,
 * and translations to bio_vecs where the provider maps onto pages (it
 * hands out its own, up to a pool's worth at a time); every other path
 * that hands out pointers must refuse it without ever calling the
 * provider.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/bvec.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

#define M_PAGES		4
#define M_GPA		(64 * FX_P)
#define M_SIZE		(M_PAGES * FX_P)
/* The provider's pages: M_PAGES in most tests, more to batch translations. */
#define F_PAGES		(2 * VMMEM_MAP_BATCH + 3)

/* The fake grant table of one test (tests run one at a time). */
static struct fake {
	struct page *pages[F_PAGES];
	DECLARE_BITMAP(rdonly, F_PAGES);	/* granted read-only */
	long fail_index;			/* this page's map fails... */
	int fail_err;				/* ...with this error */
	unsigned int eagain;			/* maps left to answer -EAGAIN */
	int live;				/* mappings not yet ended */
	unsigned int maps, mapped, unmaps, releases;	/* calls, successes */
	unsigned int copies;			/* copy calls */
	bool copy_unsupported;			/* copy says: map instead */
	u8 page_live[F_PAGES];			/* map_pages mappings per page */
	int pages_live;				/* all of them */
	unsigned int pool;			/* at most this many (0: any) */
	unsigned int page_calls, batch_max;	/* map_pages calls, most pages */
	bool bad;				/* an impossible call was made */
} fake;

static int fake_map(void *priv, unsigned long index, unsigned int access,
		    void **kaddr)
{
	struct fake *f = priv;

	f->maps++;
	if (index >= F_PAGES || !access || (access & ~VMMEM_ACCESS_MASK)) {
		f->bad = true;
		return -EINVAL;
	}
	if (f->eagain) {
		f->eagain--;
		return -EAGAIN;
	}
	if (index == f->fail_index)
		return f->fail_err;
	if ((access & VMMEM_WRITE) && test_bit(index, f->rdonly))
		return -EACCES;
	*kaddr = page_address(f->pages[index]);
	f->live++;
	f->mapped++;
	return 0;
}

static void fake_unmap(void *priv, unsigned long index, void *kaddr)
{
	struct fake *f = priv;

	f->unmaps++;
	if (index >= F_PAGES || kaddr != page_address(f->pages[index]) ||
	    f->live <= 0)
		f->bad = true;
	f->live--;
}

static void fake_release(void *priv)
{
	struct fake *f = priv;

	f->releases++;
	if (f->live || f->pages_live)
		f->bad = true;
}

/* The provider may sleep here: vmmem must call it outside RCU and locks. */
static bool fake_in_atomic(void)
{
	return (IS_ENABLED(CONFIG_PREEMPT_COUNT) &&
		(preempt_count() || irqs_disabled())) || rcu_preempt_depth();
}

/* Grants mapped onto pages: hands out its own pages, all or none. */
static int fake_map_pages(void *priv, unsigned long index, unsigned int nr,
			  unsigned int access, struct page **pages)
{
	struct fake *f = priv;
	unsigned int i;

	f->page_calls++;
	if (!nr || nr > VMMEM_MAP_BATCH || index >= F_PAGES ||
	    nr > F_PAGES - index || !access || (access & ~VMMEM_ACCESS_MASK) ||
	    fake_in_atomic()) {
		f->bad = true;
		return -EINVAL;
	}
	might_sleep();
	f->batch_max = max(f->batch_max, nr);
	if (f->eagain) {
		f->eagain--;
		return -EAGAIN;
	}
	for (i = 0; i < nr; i++) {
		if (index + i == f->fail_index)
			return f->fail_err;
		if ((access & VMMEM_WRITE) && test_bit(index + i, f->rdonly))
			return -EACCES;
	}
	if (f->pool && f->pages_live + nr > f->pool)
		return -EBUSY;
	for (i = 0; i < nr; i++) {
		pages[i] = f->pages[index + i];
		f->page_live[index + i]++;
	}
	f->pages_live += nr;
	return 0;
}

static void fake_unmap_pages(void *priv, unsigned long index, unsigned int nr,
			     struct page **pages)
{
	struct fake *f = priv;
	unsigned int i;

	if (!nr || index >= F_PAGES || nr > F_PAGES - index) {
		f->bad = true;
		return;
	}
	for (i = 0; i < nr; i++) {
		if (pages[i] != f->pages[index + i] ||
		    !f->page_live[index + i]) {
			f->bad = true;
			continue;
		}
		f->page_live[index + i]--;
		f->pages_live--;
	}
}

static const struct vmmem_mapper_ops fake_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.release = fake_release,
};

/* A grant copy: the same rules as a map, and no mapping. */
static int fake_copy(void *priv, unsigned long index, unsigned int offset,
		     void *buf, unsigned int len, unsigned int access)
{
	struct fake *f = priv;
	u8 *page;

	f->copies++;
	if (index >= M_PAGES || !access || (access & ~VMMEM_ACCESS_MASK) ||
	    len <= 8 || len > VMMEM_COPY_OP_MAX || offset + len > PAGE_SIZE) {
		f->bad = true;
		return -EINVAL;
	}
	if (f->copy_unsupported)
		return -EOPNOTSUPP;
	if (f->eagain) {
		f->eagain--;
		return -EAGAIN;
	}
	if (index == f->fail_index)
		return f->fail_err;
	if ((access & VMMEM_WRITE) && test_bit(index, f->rdonly))
		return -EACCES;
	page = page_address(f->pages[index]);
	if (access & VMMEM_WRITE)
		memcpy(page + offset, buf, len);
	else
		memcpy(buf, page + offset, len);
	return 0;
}

static const struct vmmem_mapper_ops fake_pages_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.map_pages = fake_map_pages,
	.unmap_pages = fake_unmap_pages,
	.release = fake_release,
};

static const struct vmmem_mapper_ops fake_copy_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.copy = fake_copy,
	.release = fake_release,
};

static void free_page_action(void *page)
{
	__free_page(page);
}

/* The provider's pages are every other page of one block: see fake_init(). */
#define F_ORDER		order_base_2(2 * F_PAGES)

static void free_block_action(void *block)
{
	__free_pages(block, F_ORDER);
}

/* The provider's byte at @gpa of the mapped region. */
static u8 *fake_byte(u64 gpa)
{
	u64 off = gpa - M_GPA;

	return (u8 *)page_address(fake.pages[off >> PAGE_SHIFT]) +
	       (off & ~PAGE_MASK);
}

/*
 * A fresh provider whose pages hold fx_pattern() of their guest address.
 * They are pages @stride apart in one block: with 2, no two of them are
 * physically contiguous, so each makes a bio_vec of its own; with 1, all
 * are, and a translation merges them.
 */
static void fake_init_stride(struct kunit *test, unsigned int stride)
{
	struct page *block;
	u64 gpa;
	int i;

	memset(&fake, 0, sizeof(fake));
	fake.fail_index = -1;
	block = alloc_pages(GFP_KERNEL, F_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, free_block_action, block));
	for (i = 0; i < F_PAGES; i++)
		fake.pages[i] = nth_page(block, i * stride);
	for (gpa = M_GPA; gpa < M_GPA + F_PAGES * FX_P; gpa++)
		*fake_byte(gpa) = fx_pattern(gpa);
}

static void fake_init(struct kunit *test)
{
	fake_init_stride(test, 2);
}

static int add_mapped(struct vmmem *vm, u64 gpa, u64 size, unsigned int flags,
		      const struct vmmem_mapper_ops *ops)
{
	const struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED,
		.flags = flags,
		.gpa = gpa,
		.size = size,
		.mapper = ops,
		.priv = &fake,
	};

	return vmmem_update(vm, &up, 1);
}

/*
 * A map with the provider's region at M_GPA between two vmalloc regions
 * (one page each, adjacent), filled with the pattern.
 */
static struct vmmem *mapped_map_ops(struct kunit *test, unsigned int flags,
				    const struct vmmem_mapper_ops *ops)
{
	struct vmmem *vm;

	fake_init(test);
	vm = fx_create(test);
	fx_add(test, vm, M_GPA - FX_P, FX_P, 0);
	fx_add(test, vm, M_GPA + M_SIZE, FX_P, 0);
	fx_fill(test, vm, M_GPA - FX_P, FX_P);
	fx_fill(test, vm, M_GPA + M_SIZE, FX_P);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, flags, ops));
	return vm;
}

static struct vmmem *mapped_map(struct kunit *test, unsigned int flags)
{
	return mapped_map_ops(test, flags, &fake_ops);
}

/* Remove the region: released once, nothing left mapped, no bad call. */
static void mapped_done(struct kunit *test, struct vmmem *vm)
{
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, fake.mapped, fake.unmaps);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

struct copy_case {
	const char *name;
	u64 gpa;
	u64 len;
	unsigned int maps;	/* provider pages mapped by one copy */
};

static const struct copy_case copy_cases[] = {
	{ "one byte", M_GPA + 5, 1, 1 },
	{ "aligned u64 (untorn)", M_GPA + FX_P + 8, 8, 1 },
	{ "a whole page", M_GPA + FX_P, FX_P, 1 },
	{ "across a page boundary", M_GPA + FX_P - 3, 7, 2 },
	{ "the whole region", M_GPA, M_SIZE, M_PAGES },
	{ "odd offset, three pages", M_GPA + 100, 3 * FX_P - 137, 3 },
	{ "odd offset, four pages", M_GPA + 100, 3 * FX_P - 37, 4 },
	{ "from the region before", M_GPA - 64, 64 + FX_P + 1, 2 },
	{ "into the region after", M_GPA + M_SIZE - 10, 20, 1 },
	{ "before, all of it, after", M_GPA - FX_P, M_SIZE + 2 * FX_P, M_PAGES },
};

static void copy_case_desc(const struct copy_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(copy, copy_cases, copy_case_desc);

/* Copies out and in, page by page through the provider. */
static void mapped_copy(struct kunit *test)
{
	const struct copy_case *c = test->param_value;
	struct vmmem *vm = mapped_map(test, 0);
	u8 *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa, buf, c->len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, c->len));
	KUNIT_EXPECT_EQ(test, c->maps, fake.maps);
	KUNIT_EXPECT_EQ(test, fake.maps, fake.unmaps);

	for (i = 0; i < c->len; i++)
		buf[i] = ~fx_pattern(c->gpa + i);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_to_guest(vm, c->gpa, buf, c->len));
	KUNIT_EXPECT_EQ(test, 2 * c->maps, fake.maps);
	memset(buf, 0, c->len);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa, buf, c->len));
	for (i = 0; i < c->len; i++)
		if (buf[i] != (u8)~fx_pattern(c->gpa + i))
			break;
	KUNIT_EXPECT_EQ(test, c->len, i);
	/* What the provider holds changed exactly where the copy went. */
	for (i = M_GPA; i < M_GPA + M_SIZE; i++)
		if (*fake_byte(i) != (i - c->gpa < c->len ? (u8)~fx_pattern(i) :
							      fx_pattern(i)))
			break;
	KUNIT_EXPECT_EQ(test, M_GPA + M_SIZE, i);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa, buf, 0));
	KUNIT_EXPECT_EQ(test, 3 * c->maps, fake.maps);
	mapped_done(test, vm);
}

/* A page granted read-only: reads go through, writes stop at its start. */
static void mapped_readonly_page(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	const size_t len = 3 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	u64 gpa = M_GPA + 10;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	set_bit(2, fake.rdonly);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, gpa, buf, len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, gpa, len));
	memset(buf, 0xee, len);
	/* Pages 0 and 1 written (from +10), page 2 refused. */
	KUNIT_EXPECT_EQ(test, (unsigned long)(len - (2 * FX_P - 10)),
			vmmem_copy_to_guest(vm, gpa, buf, len));
	KUNIT_EXPECT_EQ(test, 0xee, *fake_byte(M_GPA + 2 * FX_P - 1));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + 2 * FX_P),
			*fake_byte(M_GPA + 2 * FX_P));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, M_GPA + 2 * FX_P, (u32)1));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, M_GPA + 3 * FX_P, (u32)1));
	mapped_done(test, vm);
}

/* A region added read-only never asks the provider for a writable page. */
static void mapped_readonly_region(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, VMMEM_REGION_RDONLY);
	u8 buf[16] = {};
	u64 v;

	KUNIT_EXPECT_EQ(test, 16UL, vmmem_copy_to_guest(vm, M_GPA, buf, 16));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, M_GPA, (u64)1));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, M_GPA, 16, VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, M_GPA + 8, &v));
	KUNIT_EXPECT_EQ(test, 1U, fake.maps);
	mapped_done(test, vm);
}

/* The provider fails page 2: the copy stops there and counts the rest. */
static void mapped_map_error(struct kunit *test)
{
	static const int errors[] = { -EFAULT, -EINVAL, -ENOMEM, -EAGAIN };
	struct vmmem *vm = mapped_map(test, 0);
	const size_t len = 3 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	u64 gpa = M_GPA + FX_P + 20;
	unsigned int i;
	u16 v16;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* An -EAGAIN that never ends is an error too, once retried. */
	for (i = 0; i < ARRAY_SIZE(errors); i++) {
		fake.fail_index = 2;
		fake.fail_err = errors[i];
		KUNIT_EXPECT_EQ(test, (unsigned long)(len - (FX_P - 20)),
				vmmem_copy_from_guest(vm, gpa, buf, len));
		KUNIT_EXPECT_TRUE(test, fx_matches(buf, gpa, FX_P - 20));
		KUNIT_EXPECT_EQ(test, (unsigned long)(len - (FX_P - 20)),
				vmmem_copy_to_guest(vm, gpa, buf, len));
		KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(vm, M_GPA + 2 * FX_P, &v16));
		KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, M_GPA + 2 * FX_P, (u16)7));
		KUNIT_EXPECT_EQ(test, 0, fake.live);
	}
	mapped_done(test, vm);
}

/* -EAGAIN is retried, VMMEM_MAP_TRIES calls in all, then the access fails. */
static void mapped_eagain(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	u8 buf[8];
	u64 v;

	fake.eagain = VMMEM_MAP_TRIES - 1;
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA + 3, buf, 8));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_TRIES, fake.maps);
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 3, 8));

	fake.maps = 0;
	fake.eagain = VMMEM_MAP_TRIES;
	KUNIT_EXPECT_EQ(test, 8UL, vmmem_copy_from_guest(vm, M_GPA + 3, buf, 8));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_TRIES, fake.maps);

	fake.maps = 0;
	fake.eagain = VMMEM_MAP_TRIES;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_load(vm, M_GPA + 8, &v));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_TRIES, fake.maps);
	fake.eagain = VMMEM_MAP_TRIES - 1;
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, M_GPA + 8, &v));
	mapped_done(test, vm);
}

/* Single accesses of every width and ordering, and misalignment. */
static void mapped_single(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	u64 gpa = M_GPA + FX_P + 64, v64;
	u32 v32;
	u16 v16;
	u8 v8;

	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, gpa, (u8)0x11));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, gpa + 2, (u16)0x2233));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, gpa + 4, (u32)0x44556677));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, gpa + 8, 0x8899aabbccddeeffULL));
	KUNIT_EXPECT_EQ(test, 0x11, *fake_byte(gpa));
	KUNIT_EXPECT_EQ(test, 0x2233, *(u16 *)fake_byte(gpa + 2));
	KUNIT_EXPECT_EQ(test, 0x44556677U, *(u32 *)fake_byte(gpa + 4));
	KUNIT_EXPECT_EQ(test, 0x8899aabbccddeeffULL, *(u64 *)fake_byte(gpa + 8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(vm, gpa, &v8));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, gpa + 2, &v16));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load_acquire(vm, gpa + 4, &v32));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, gpa + 8, &v64));
	KUNIT_EXPECT_EQ(test, 0x11, v8);
	KUNIT_EXPECT_EQ(test, 0x2233, v16);
	KUNIT_EXPECT_EQ(test, 0x44556677U, v32);
	KUNIT_EXPECT_EQ(test, 0x8899aabbccddeeffULL, v64);
	KUNIT_EXPECT_EQ(test, 8U, fake.maps);
	/* Misaligned: refused before any mapping. */
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_load(vm, gpa + 1, &v16));
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_store(vm, gpa + 4, v64));
	KUNIT_EXPECT_EQ(test, 8U, fake.maps);
	mapped_done(test, vm);
}

/* Paths that hand out pointers refuse the region and never map. */
static void mapped_pointer_paths_refused(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	struct vmmem_slice slices[4], slice;
	struct vmmem_slice_iter iter;
	struct bio_vec bvec[4];
	struct vmmem_bvecs bv = { .bv = bvec, .held = slices, .max = 4 };
	struct vmmem_cache cache;
	unsigned int nr = 4;

	KUNIT_EXPECT_EQ(test, -EFAULT,
			vmmem_hold(vm, M_GPA, 8, VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, -EFAULT,
			vmmem_translate(vm, M_GPA, 8, VMMEM_READ, &bv));
	KUNIT_EXPECT_NE(test, 0,
			vmmem_cache_init(vm, M_GPA, 64, VMMEM_READ, &cache));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, -EFAULT,
			vmmem_find_slice(vm, M_GPA, 8, VMMEM_READ, &slice));
	vmmem_slice_iter_init(vm, M_GPA, 8, VMMEM_READ, &iter);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_slice_iter_next(&iter, &slice));
	/* vmmem's own access bit is no way in. */
	vmmem_slice_iter_init(vm, M_GPA, 8, VMMEM_READ | VMMEM_ACCESS_MAPPING,
			      &iter);
	KUNIT_EXPECT_EQ(test, -EINVAL, vmmem_slice_iter_next(&iter, &slice));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	/* A range check says what copies can reach. */
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, M_GPA - FX_P, M_SIZE + 2 * FX_P,
						  VMMEM_READ | VMMEM_WRITE));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, M_GPA, M_SIZE + 2 * FX_P,
						   VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	mapped_done(test, vm);
}

/* Writes through the provider are dirty-logged by guest page. */
static void mapped_dirty(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	unsigned long bitmap[1] = {};
	u8 buf[16] = {};

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_to_guest(vm, M_GPA + FX_P - 8, buf, 16));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, M_GPA + 3 * FX_P, (u8)1));
	/* A refused write marks nothing. */
	set_bit(0, fake.rdonly);
	KUNIT_EXPECT_EQ(test, 16UL, vmmem_copy_to_guest(vm, M_GPA, buf, 16));
	KUNIT_EXPECT_EQ(test, 3L, vmmem_dirty_harvest(vm, M_GPA, M_SIZE, bitmap));
	KUNIT_EXPECT_EQ(test, 0xbUL, bitmap[0]);
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	mapped_done(test, vm);
}

/* Through an IOVA space: the entry's permission, then the provider. */
static void mapped_iova(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	struct vmmem_iova *iova = vmmem_iova_create(vm, NULL, NULL);
	const size_t len = 2 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	u32 v;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, 0x100000, M_SIZE, M_GPA,
						VMMEM_READ));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(iova, 0x100000 + 50, buf, len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 50, len));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(iova, 0x100000 + FX_P, &v));
	KUNIT_EXPECT_EQ(test, *(u32 *)fake_byte(M_GPA + FX_P), v);
	KUNIT_EXPECT_EQ(test, 4U, fake.maps);
	/* The entry is read-only: the provider is not asked. */
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(iova, 0x100000, v));
	KUNIT_EXPECT_EQ(test, 8UL, vmmem_copy_to_guest(iova, 0x100000, buf, 8));
	KUNIT_EXPECT_EQ(test, 4U, fake.maps);
	vmmem_iova_destroy(iova);
	mapped_done(test, vm);
}

/* The last byte is 2^64 - 1: nothing wraps to address 0. */
static void mapped_top_of_space(struct kunit *test)
{
	struct vmmem *vm;
	u8 buf[32];
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iov_iter it;
	u64 v;

	fake_init(test);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, 0 - M_SIZE, M_SIZE, 0, &fake_ops));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, U64_MAX - 15, buf, 16));
	KUNIT_EXPECT_EQ(test, *fake_byte(M_GPA + M_SIZE - 1), buf[15]);
	KUNIT_EXPECT_EQ(test, 16UL, vmmem_copy_from_guest(vm, U64_MAX - 15, buf, 32));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, U64_MAX - 7, &v));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, U64_MAX - 7, v + 1));
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, sizeof(buf));
	KUNIT_EXPECT_EQ(test, 16, vmmem_copy_to_iter(vm, U64_MAX - 15, &it, 32));
	KUNIT_EXPECT_EQ(test, *fake_byte(M_GPA + M_SIZE - 1), buf[15]);
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, sizeof(buf));
	KUNIT_EXPECT_EQ(test, 16, vmmem_copy_from_iter(vm, U64_MAX - 15, &it, 32));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, 0 - M_SIZE, M_SIZE));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* The provider's state stays the caller's when the add fails. */
static void mapped_add_errors(struct kunit *test)
{
	static const struct vmmem_mapper_ops no_unmap = { .map = fake_map };
	static const struct vmmem_mapper_ops no_unmap_pages = {
		.map = fake_map,
		.unmap = fake_unmap,
		.map_pages = fake_map_pages,
	};
	const struct vmmem_update ups[] = {
		{ .op = VMMEM_ADD_MAPPED, .gpa = M_GPA, .size = M_SIZE,
		  .mapper = &fake_ops, .priv = &fake },
		/* Fails at publication, after the region above was built. */
		{ .op = VMMEM_REMOVE, .gpa = 0, .size = FX_P },
	};
	struct vmmem_region_info info;
	struct vmmem *vm;

	fake_init(test);
	vm = fx_create(test);
	KUNIT_EXPECT_EQ(test, -EINVAL, add_mapped(vm, M_GPA, M_SIZE, 0, NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, add_mapped(vm, M_GPA, M_SIZE, 0, &no_unmap));
	KUNIT_EXPECT_EQ(test, -EINVAL, add_mapped(vm, M_GPA, M_SIZE, 0,
						  &no_unmap_pages));
	KUNIT_EXPECT_EQ(test, -EINVAL, add_mapped(vm, M_GPA + 1, M_SIZE, 0, &fake_ops));
	KUNIT_EXPECT_EQ(test, -EINVAL, add_mapped(vm, M_GPA, M_SIZE, 0x4, &fake_ops));
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0U, fx_info(vm).nr_regions);

	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, 0, &fake_ops));
	KUNIT_EXPECT_EQ(test, -EEXIST, add_mapped(vm, M_GPA + FX_P, FX_P, 0, &fake_ops));
	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, M_GPA + 5, &info));
	KUNIT_EXPECT_EQ(test, VMMEM_BACKING_MAPPED, info.backing);
	KUNIT_EXPECT_EQ(test, (unsigned long)M_PAGES, info.nr_pages);
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* A snapshot keeps the region, and the provider, until it is put. */
static void mapped_snapshot(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	struct vmmem_snapshot *snap = vmmem_snapshot(vm);
	u8 buf[8];

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, snap);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
	KUNIT_EXPECT_EQ(test, 8UL, vmmem_copy_from_guest(vm, M_GPA, buf, 8));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(snap, M_GPA, buf, 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA, 8));
	vmmem_snapshot_put(snap);
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 10 * HZ));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* The provider's region alone, keeping up to @cache_pages pages mapped. */
/* Add the provider's region, keeping up to @cache_pages pages mapped. */
static int add_kept(struct vmmem *vm, const struct vmmem_mapper_ops *ops,
		    unsigned int cache_pages)
{
	const struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED,
		.gpa = M_GPA,
		.size = M_SIZE,
		.mapper = ops,
		.priv = &fake,
		.cache_pages = cache_pages,
	};

	return vmmem_update(vm, &up, 1);
}

static struct vmmem *cached_map(struct kunit *test, unsigned int cache_pages)
{
	struct vmmem *vm;

	fake_init(test);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_kept(vm, &fake_ops, cache_pages));
	return vm;
}

struct cache_case {
	const char *name;
	unsigned int cache_pages;
	unsigned int kept;	/* pages left mapped after one pass */
	unsigned int remaps;	/* maps of a second pass over every page */
};

static const struct cache_case cache_cases[] = {
	{ "every page kept", M_PAGES, M_PAGES, 0 },
	{ "more slots than pages", 100, M_PAGES, 0 },
	/* Pages 0 and 2 share slot 0, 1 and 3 slot 1: each pass evicts. */
	{ "two slots, four pages", 2, 2, M_PAGES },
	/* No more than asked for: three slots round down to two. */
	{ "three round down to two", 3, 2, M_PAGES },
	{ "one slot", 1, 1, M_PAGES },
};

static void cache_case_desc(const struct cache_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cache, cache_cases, cache_case_desc);

/*
 * Pages stay mapped between accesses, as many as there are slots; a page
 * whose slot holds another is mapped in its place. Reads map read-only;
 * the first write remaps writable. The removal unmaps every kept page
 * before the provider is released (fake_release() checks).
 */
static void mapped_cache(struct kunit *test)
{
	const struct cache_case *c = test->param_value;
	struct vmmem *vm = cached_map(test, c->cache_pages);
	u8 *buf = kunit_kmalloc(test, M_SIZE, GFP_KERNEL);
	unsigned int maps;
	u64 v;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA, buf, M_SIZE));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, (unsigned int)M_PAGES, fake.maps);
	KUNIT_EXPECT_EQ(test, (int)c->kept, fake.live);

	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA, buf, M_SIZE));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, M_PAGES + c->remaps, fake.maps);
	KUNIT_EXPECT_EQ(test, (int)c->kept, fake.live);

	/* The last page read is kept read-only: a store remaps it. */
	maps = fake.maps;
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, M_GPA + 3 * FX_P + 8, &v));
	KUNIT_EXPECT_EQ(test, maps, fake.maps);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, M_GPA + 3 * FX_P + 8, ~v));
	KUNIT_EXPECT_EQ(test, maps + 1, fake.maps);
	KUNIT_EXPECT_EQ(test, 0, vmmem_store(vm, M_GPA + 3 * FX_P + 16, v));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, M_GPA + 3 * FX_P + 8, &v));
	KUNIT_EXPECT_EQ(test, maps + 1, fake.maps);
	KUNIT_EXPECT_EQ(test, (int)c->kept, fake.live);
	mapped_done(test, vm);
}

/* A page that fails to map leaves its slot empty; nothing stays mapped. */
static void mapped_cache_error(struct kunit *test)
{
	struct vmmem *vm = cached_map(test, M_PAGES);
	u8 *buf = kunit_kmalloc(test, M_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fake.fail_index = 1;
	fake.fail_err = -EFAULT;
	KUNIT_EXPECT_EQ(test, (unsigned long)(M_SIZE - FX_P),
			vmmem_copy_from_guest(vm, M_GPA, buf, M_SIZE));
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	fake.eagain = VMMEM_MAP_TRIES;
	KUNIT_EXPECT_EQ(test, (unsigned long)FX_P,
			vmmem_copy_to_guest(vm, M_GPA + 2 * FX_P, buf, FX_P));
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	/* A page granted read-only keeps its read-only mapping. */
	set_bit(0, fake.rdonly);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, M_GPA, (u32)1));
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	fake.fail_index = -1;
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA, buf, M_SIZE));
	KUNIT_EXPECT_EQ(test, M_PAGES, fake.live);
	mapped_done(test, vm);
}

/*
 * A slot in use is never taken over: another page of the same slot, or a
 * writable mapping of the page the slot keeps read-only, is mapped without
 * the cache while it is, and ended by its own unmap.
 */
static void mapped_cache_busy(struct kunit *test)
{
	struct vmmem *vm = cached_map(test, 2);
	struct vmmem_page_map a, b, w;
	struct vmmem_region *region;

	rcu_read_lock();
	region = vmmem_lookup(vm, M_GPA);
	KUNIT_ASSERT_NOT_NULL(test, region);
	KUNIT_EXPECT_EQ(test, 0, vmmem_map_page(region, M_GPA, VMMEM_READ, &a));
	KUNIT_EXPECT_NOT_NULL(test, a.slot);
	KUNIT_EXPECT_EQ(test, 0, vmmem_map_page(region, M_GPA + 2 * FX_P,
						VMMEM_READ, &b));
	KUNIT_EXPECT_NULL(test, b.slot);
	KUNIT_EXPECT_EQ(test, 0, vmmem_map_page(region, M_GPA, VMMEM_WRITE, &w));
	KUNIT_EXPECT_NULL(test, w.slot);
	KUNIT_EXPECT_PTR_EQ(test, a.kaddr, w.kaddr);
	KUNIT_EXPECT_EQ(test, 3, fake.live);
	vmmem_unmap_page(region, M_GPA + 2 * FX_P, &b);
	vmmem_unmap_page(region, M_GPA, &w);
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	vmmem_unmap_page(region, M_GPA, &a);
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	/* Free again: page 2 takes slot 0 over. */
	KUNIT_EXPECT_EQ(test, 0, vmmem_map_page(region, M_GPA + 2 * FX_P,
						VMMEM_READ, &b));
	KUNIT_EXPECT_NOT_NULL(test, b.slot);
	vmmem_unmap_page(region, M_GPA + 2 * FX_P, &b);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	KUNIT_EXPECT_EQ(test, 4U, fake.maps);
	mapped_done(test, vm);
}

/* Too many pages to keep is refused, and leaves the provider's state be. */
static void mapped_cache_too_large(struct kunit *test)
{
	struct vmmem *vm;

	fake_init(test);
	vm = fx_create(test);
	KUNIT_EXPECT_EQ(test, -EINVAL, add_kept(vm, &fake_ops, 4097));
	KUNIT_EXPECT_EQ(test, 0U, fx_info(vm).nr_regions);
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
}

/*
 * Held slices of a region that keeps pages mapped: a slice per page, each
 * page kept mapped until the slices are released, even after the region
 * is removed; the provider is released after the last holder.
 */
static void mapped_hold(struct kunit *test)
{
	struct vmmem *vm = cached_map(test, M_PAGES);
	struct vmmem_slice slices[4];
	u64 gpa = M_GPA + 100, len = 2 * FX_P;
	unsigned int nr = 2, i;

	/* Three pages need three slices; nothing held when they do not fit. */
	KUNIT_EXPECT_EQ(test, -ENOBUFS,
			vmmem_hold(vm, gpa, len, VMMEM_READ, slices, &nr));
	KUNIT_EXPECT_EQ(test, 3U, nr);
	nr = ARRAY_SIZE(slices);
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, gpa, len, VMMEM_READ, slices, &nr));
	KUNIT_ASSERT_EQ(test, 3U, nr);
	KUNIT_EXPECT_EQ(test, FX_P - 100, (u64)slices[0].len);
	KUNIT_EXPECT_EQ(test, FX_P, (u64)slices[1].len);
	KUNIT_EXPECT_EQ(test, 100ULL, (u64)slices[2].len);
	for (i = 0; i < nr; i++) {
		KUNIT_EXPECT_TRUE(test, fx_matches(slices[i].ptr, slices[i].gpa,
						   slices[i].len));
		KUNIT_EXPECT_NULL(test, slices[i].wptr);
	}
	KUNIT_EXPECT_EQ(test, 3, fake.live);

	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
	KUNIT_EXPECT_TRUE(test, fx_matches(slices[1].ptr, slices[1].gpa,
					   slices[1].len));
	vmmem_release(slices, nr);
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 10 * HZ));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_EQ(test, fake.mapped, fake.unmaps);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* A writable held slice writes the provider's page; read-only pages refuse. */
static void mapped_hold_write(struct kunit *test)
{
	struct vmmem *vm = cached_map(test, M_PAGES);
	struct vmmem_slice slices[2];
	unsigned int nr = 2;

	fx_add(test, vm, M_GPA - FX_P, FX_P, 0);
	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, M_GPA - 8, 16,
					    VMMEM_READ | VMMEM_WRITE, slices, &nr));
	KUNIT_ASSERT_EQ(test, 2U, nr);
	KUNIT_ASSERT_NOT_NULL(test, slices[1].wptr);
	KUNIT_EXPECT_EQ(test, M_GPA, slices[1].gpa);
	memset(slices[1].wptr, 0x5a, 8);
	KUNIT_EXPECT_EQ(test, 0x5a, *fake_byte(M_GPA + 7));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + 8), *fake_byte(M_GPA + 8));
	vmmem_release(slices, nr);

	set_bit(1, fake.rdonly);
	nr = 2;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_hold(vm, M_GPA + FX_P - 8, 16,
						  VMMEM_WRITE, slices, &nr));
	nr = 2;
	KUNIT_EXPECT_EQ(test, 0, vmmem_hold(vm, M_GPA + FX_P - 8, 16,
					    VMMEM_READ, slices, &nr));
	vmmem_release(slices, nr);
	mapped_done(test, vm);
}

/*
 * A page whose slot a holder keeps for another page cannot be held
 * (-EBUSY), but copies still reach it, mapped for their own use.
 */
static void mapped_hold_busy(struct kunit *test)
{
	struct vmmem *vm = cached_map(test, 2);
	struct vmmem_slice held, other;
	unsigned int nr = 1, nr2 = 1;
	u8 buf[8];

	KUNIT_ASSERT_EQ(test, 0, vmmem_hold(vm, M_GPA, 8, VMMEM_READ, &held, &nr));
	KUNIT_EXPECT_EQ(test, -EBUSY, vmmem_hold(vm, M_GPA + 2 * FX_P, 8,
						 VMMEM_READ, &other, &nr2));
	KUNIT_EXPECT_EQ(test, -EBUSY, vmmem_hold(vm, M_GPA + 8, 8, VMMEM_WRITE,
						 &other, &nr2));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA + 2 * FX_P,
							 buf, 8));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 2 * FX_P, 8));
	KUNIT_EXPECT_EQ(test, 1, fake.live);
	vmmem_release(&held, nr);
	nr2 = 1;
	KUNIT_EXPECT_EQ(test, 0, vmmem_hold(vm, M_GPA + 2 * FX_P, 8, VMMEM_WRITE,
					    &other, &nr2));
	vmmem_release(&other, nr2);
	mapped_done(test, vm);
}

struct copy_op_case {
	const char *name;
	u64 gpa;
	u64 len;
	unsigned int copies;	/* pieces the provider copies */
	unsigned int maps;	/* pieces it maps */
};

static const struct copy_op_case copy_op_cases[] = {
	{ "9 bytes", M_GPA + 3, 9, 1, 0 },
	{ "8 aligned bytes stay one untorn load", M_GPA + 8, 8, 0, 1 },
	{ "7 bytes", M_GPA + 1, 7, 0, 1 },
	{ "the most copied", M_GPA + 100, VMMEM_COPY_OP_MAX, 1, 0 },
	{ "one more is mapped", M_GPA + 100, VMMEM_COPY_OP_MAX + 1, 0, 1 },
	{ "across a page: two copies", M_GPA + FX_P - 20, 40, 2, 0 },
	{ "a long piece, then a short one", M_GPA + 64, FX_P, 1, 1 },
	{ "four pages", M_GPA, M_SIZE, 0, M_PAGES },
};

static void copy_op_case_desc(const struct copy_op_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(copy_op, copy_op_cases, copy_op_case_desc);

/* A provider's copy serves short pieces, both ways; the rest is mapped. */
static void mapped_copy_op(struct kunit *test)
{
	const struct copy_op_case *c = test->param_value;
	struct vmmem *vm;
	u8 *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);
	unsigned long bits[1] = {};
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	fake_init(test);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, 0, &fake_copy_ops));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa, buf, c->len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, c->len));
	KUNIT_EXPECT_EQ(test, c->copies, fake.copies);
	KUNIT_EXPECT_EQ(test, c->maps, fake.maps);

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	for (i = 0; i < c->len; i++)
		buf[i] = ~fx_pattern(c->gpa + i);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_to_guest(vm, c->gpa, buf, c->len));
	KUNIT_EXPECT_EQ(test, 2 * c->copies, fake.copies);
	KUNIT_EXPECT_EQ(test, 2 * c->maps, fake.maps);
	for (i = M_GPA; i < M_GPA + M_SIZE; i++)
		if (*fake_byte(i) != (i - c->gpa < c->len ? (u8)~fx_pattern(i) :
							      fx_pattern(i)))
			break;
	KUNIT_EXPECT_EQ(test, M_GPA + M_SIZE, i);
	/* The pages written are dirty, copied or mapped. */
	KUNIT_EXPECT_EQ(test, (PAGE_ALIGN(c->gpa + c->len) - (c->gpa & PAGE_MASK)) >>
			PAGE_SHIFT, vmmem_dirty_harvest(vm, M_GPA, M_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	mapped_done(test, vm);
}

/*
 * The copy's errors end the copy at its page, -EAGAIN is retried, and
 * -EOPNOTSUPP sends the piece to a mapping.
 */
static void mapped_copy_op_errors(struct kunit *test)
{
	struct vmmem *vm;
	u8 buf[64];

	fake_init(test);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, 0, &fake_copy_ops));
	/* 20 bytes of page 0, then page 1 fails. */
	fake.fail_index = 1;
	fake.fail_err = -EFAULT;
	KUNIT_EXPECT_EQ(test, 44UL, vmmem_copy_from_guest(vm, M_GPA + FX_P - 20,
							  buf, 64));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + FX_P - 20, 20));
	fake.fail_index = -1;
	set_bit(1, fake.rdonly);
	KUNIT_EXPECT_EQ(test, 44UL, vmmem_copy_to_guest(vm, M_GPA + FX_P - 20,
							buf, 64));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + FX_P), *fake_byte(M_GPA + FX_P));
	fake.eagain = VMMEM_MAP_TRIES - 1;
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA + 8, buf, 64));
	fake.eagain = VMMEM_MAP_TRIES;
	KUNIT_EXPECT_EQ(test, 64UL, vmmem_copy_from_guest(vm, M_GPA + 8, buf, 64));
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	fake.copy_unsupported = true;
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA + 8, buf, 64));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 8, 64));
	KUNIT_EXPECT_EQ(test, 1U, fake.maps);
	mapped_done(test, vm);
}

/* A region that keeps pages mapped uses them, not the copy. */
static void mapped_copy_op_kept(struct kunit *test)
{
	struct vmmem *vm;
	u8 buf[64];

	fake_init(test);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_kept(vm, &fake_copy_ops, 1));
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, M_GPA + 8, buf, 64));
	KUNIT_EXPECT_EQ(test, 0U, fake.copies);
	KUNIT_EXPECT_EQ(test, 1U, fake.maps);
	mapped_done(test, vm);
}

/*
 * iov_iter copies, both ways, page by page through the provider: a kvec of
 * three segments, a bvec, and user memory (through a bounce page).
 */
enum iter_kind { ITER_KIND_KVEC, ITER_KIND_BVEC, ITER_KIND_USER };

struct iter_case {
	const char *name;
	u64 gpa;
	u64 len;
	enum iter_kind kind;
};

static const struct iter_case iter_cases[] = {
	{ "kvec, one byte", M_GPA + 5, 1, ITER_KIND_KVEC },
	{ "kvec, across a page boundary", M_GPA + FX_P - 3, 7, ITER_KIND_KVEC },
	{ "kvec, the whole region", M_GPA, M_SIZE, ITER_KIND_KVEC },
	{ "kvec, from the region before", M_GPA - 64, 64 + FX_P + 1, ITER_KIND_KVEC },
	{ "kvec, before, all of it, after", M_GPA - FX_P, M_SIZE + 2 * FX_P,
	  ITER_KIND_KVEC },
	{ "bvec, odd offset, three pages", M_GPA + 100, 3 * FX_P - 137,
	  ITER_KIND_BVEC },
	{ "user, across a page boundary", M_GPA + FX_P - 3, 7, ITER_KIND_USER },
	{ "user, before, all of it, after", M_GPA - FX_P, M_SIZE + 2 * FX_P,
	  ITER_KIND_USER },
};

static void iter_case_desc(const struct iter_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(iter, iter_cases, iter_case_desc);

/* @len bytes at @buf (or @ubuf) as an iterator of the case's kind. */
static void iter_init(const struct iter_case *c, unsigned int dir, u8 *buf,
		      unsigned long ubuf, struct kvec *kv, struct bio_vec *bv,
		      struct iov_iter *it)
{
	size_t a = c->len / 3, b = c->len - c->len / 2;

	switch (c->kind) {
	case ITER_KIND_KVEC:
		kv[0] = (struct kvec){ buf, a };
		kv[1] = (struct kvec){ buf + a, b - a };
		kv[2] = (struct kvec){ buf + b, c->len - b };
		iov_iter_kvec(it, dir, kv, 3, c->len);
		break;
	case ITER_KIND_BVEC:
		/* The buffer is one allocation of whole pages: page by page. */
		for (a = 0; a < DIV_ROUND_UP(c->len, PAGE_SIZE); a++)
			bvec_set_virt(&bv[a], buf + a * PAGE_SIZE,
				      min_t(size_t, PAGE_SIZE, c->len - a * PAGE_SIZE));
		iov_iter_bvec(it, dir, bv, a, c->len);
		break;
	case ITER_KIND_USER:
		iov_iter_ubuf(it, dir, (void __user *)ubuf, c->len);
		break;
	}
}

static void mapped_iter(struct kunit *test)
{
	const struct iter_case *c = test->param_value;
	struct vmmem *vm = mapped_map(test, 0);
	size_t size = PAGE_ALIGN(c->len);
	u8 *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	unsigned long ubuf = 0, bits[1] = {};
	struct bio_vec bv[8];
	struct kvec kv[3];
	struct iov_iter it;
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	if (c->kind == ITER_KIND_USER)
		ubuf = fx_user_map(test, size, PROT_READ | PROT_WRITE,
				   MAP_ANONYMOUS | MAP_PRIVATE);

	iter_init(c, ITER_DEST, buf, ubuf, kv, bv, &it);
	KUNIT_EXPECT_EQ(test, (size_t)c->len,
			vmmem_copy_to_iter(vm, c->gpa, &it, c->len));
	KUNIT_EXPECT_EQ(test, 0UL, iov_iter_count(&it));
	if (c->kind == ITER_KIND_USER)
		KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(buf, (void __user *)ubuf,
							  c->len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, c->len));
	KUNIT_EXPECT_EQ(test, 0, fake.live);

	for (i = 0; i < c->len; i++)
		buf[i] = ~fx_pattern(c->gpa + i);
	if (c->kind == ITER_KIND_USER)
		KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)ubuf, buf,
							c->len));
	iter_init(c, ITER_SOURCE, buf, ubuf, kv, bv, &it);
	KUNIT_EXPECT_EQ(test, (size_t)c->len,
			vmmem_copy_from_iter(vm, c->gpa, &it, c->len));
	for (i = M_GPA; i < M_GPA + M_SIZE; i++)
		if (*fake_byte(i) != (i - c->gpa < c->len ? (u8)~fx_pattern(i) :
							      fx_pattern(i)))
			break;
	KUNIT_EXPECT_EQ(test, M_GPA + M_SIZE, i);
	/* The provider's pages written, and only those, are dirty. */
	i = max(c->gpa, M_GPA);
	KUNIT_EXPECT_EQ(test, (PAGE_ALIGN(min(c->gpa + c->len, M_GPA + M_SIZE)) -
			       (i & PAGE_MASK)) >> PAGE_SHIFT,
			vmmem_dirty_harvest(vm, M_GPA, M_SIZE, bits));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	mapped_done(test, vm);
}

/* Short iov_iter copies: a read-only page, a failing page, endless -EAGAIN. */
static void mapped_iter_errors(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	const size_t len = 3 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	unsigned long ubuf = fx_user_map(test, len, PROT_READ | PROT_WRITE,
					 MAP_ANONYMOUS | MAP_PRIVATE);
	u64 gpa = M_GPA + FX_P + 20;
	struct iov_iter it;
	struct kvec kv;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, 0xee, len);
	KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)ubuf, buf, len));
	kv = (struct kvec){ buf, len };
	set_bit(2, fake.rdonly);
	/* Page 1 from +20 written, page 2 refused: nothing of it changes. */
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, FX_P - 20, (u64)vmmem_copy_from_iter(vm, gpa, &it, len));
	KUNIT_EXPECT_EQ(test, len - (FX_P - 20), iov_iter_count(&it));
	KUNIT_EXPECT_EQ(test, 0xee, *fake_byte(M_GPA + 2 * FX_P - 1));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + 2 * FX_P), *fake_byte(M_GPA + 2 * FX_P));
	/* The same from user memory: the bounce page's bytes go back. */
	iov_iter_ubuf(&it, ITER_SOURCE, (void __user *)ubuf, len);
	KUNIT_EXPECT_EQ(test, FX_P - 20, (u64)vmmem_copy_from_iter(vm, gpa, &it, len));
	KUNIT_EXPECT_EQ(test, len - (FX_P - 20), iov_iter_count(&it));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + 2 * FX_P), *fake_byte(M_GPA + 2 * FX_P));

	fake.fail_index = 2;
	fake.fail_err = -EFAULT;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, FX_P - 20, (u64)vmmem_copy_to_iter(vm, gpa, &it, len));
	iov_iter_ubuf(&it, ITER_DEST, (void __user *)ubuf, len);
	KUNIT_EXPECT_EQ(test, FX_P - 20, (u64)vmmem_copy_to_iter(vm, gpa, &it, len));
	fake.fail_index = -1;
	fake.eagain = ~0U;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_to_iter(vm, gpa, &it, len));
	fake.eagain = 0;
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	mapped_done(test, vm);
}

/* The three regions of mapped_map(): vmalloc, mapped, vmalloc. */
#define M_LOW		(M_GPA - FX_P)
#define M_ALL		(M_SIZE + 2 * FX_P)

/* Through an IOVA space: across vmalloc and mapped, and entry permissions. */
static void mapped_iter_iova(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	struct vmmem_iova *iova = vmmem_iova_create(vm, NULL, NULL);
	const size_t len = 2 * PAGE_SIZE;
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	unsigned long bitmap[1] = {};
	u64 addr = 0x100000 + FX_P - 50, i;
	struct iov_iter it;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, 0x100000, M_ALL, M_LOW,
						VMMEM_READ | VMMEM_WRITE));
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, 0x200000, M_SIZE, M_GPA,
						VMMEM_READ));
	/* IOVA addr is guest M_GPA - 50: the region before, then two pages. */
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, len, vmmem_copy_to_iter(iova, addr, &it, len));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA - 50, len));
	KUNIT_EXPECT_EQ(test, 2U, fake.maps);

	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	for (i = 0; i < len; i++)
		buf[i] = ~fx_pattern(M_GPA - 50 + i);
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, len, vmmem_copy_from_iter(iova, addr, &it, len));
	KUNIT_EXPECT_EQ(test, (u8)~fx_pattern(M_GPA), *fake_byte(M_GPA));
	KUNIT_EXPECT_EQ(test, (u8)~fx_pattern(M_GPA + 2 * FX_P - 51),
			*fake_byte(M_GPA + 2 * FX_P - 51));
	KUNIT_EXPECT_EQ(test, fx_pattern(M_GPA + 2 * FX_P - 50),
			*fake_byte(M_GPA + 2 * FX_P - 50));
	/* Dirty bits are by guest page: before, and mapped pages 0 and 1. */
	KUNIT_EXPECT_EQ(test, 3L, vmmem_dirty_harvest(vm, M_LOW, M_ALL, bitmap));
	KUNIT_EXPECT_EQ(test, 0x7UL, bitmap[0]);
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 4U, fake.maps);

	/* The read-only entry: the provider is not asked for a write. */
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_iter(iova, 0x200000, &it, 8));
	KUNIT_EXPECT_EQ(test, 4U, fake.maps);
	/* Reads stop where the entry ends. */
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, 8, vmmem_copy_to_iter(iova, 0x200000 + M_SIZE - 8,
						    &it, 16));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + M_SIZE - 8, 8));
	KUNIT_EXPECT_EQ(test, 5U, fake.maps);
	vmmem_iova_destroy(iova);
	mapped_done(test, vm);
}

/* Zero-length iov_iter copies succeed anywhere and map nothing. */
static void mapped_iter_zero_length(struct kunit *test)
{
	struct vmmem *vm = mapped_map(test, 0);
	u8 buf[8] = {};
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iov_iter it;

	fake.fail_index = 0;
	fake.fail_err = -EFAULT;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, sizeof(buf));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_iter(vm, M_GPA, &it, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_iter(vm, M_GPA + 3, &it, 0));
	KUNIT_EXPECT_EQ(test, 8, iov_iter_count(&it));
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, sizeof(buf));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_iter(vm, M_GPA, &it, 0));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_from_iter(vm, M_GPA + M_ALL, &it, 0));
	KUNIT_EXPECT_EQ(test, 8, iov_iter_count(&it));
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	fake.fail_index = -1;
	mapped_done(test, vm);
}

/* The byte a machine-check-safe copy stops at, as if poisoned. */
static const void *poisoned;

static size_t fake_copy_mc_to_iter(const void *src, size_t len,
				   struct iov_iter *iter)
{
	if (poisoned >= src && poisoned < src + len)
		len = poisoned - src;
	return copy_to_iter(src, len, iter);
}

static unsigned long fake_copy_mc_to_kernel(void *dst, const void *src,
					    size_t len)
{
	size_t n = len;

	if (poisoned >= src && poisoned < src + len)
		n = poisoned - src;
	memcpy(dst, src, n);
	return len - n;
}

KUNIT_DEFINE_ACTION_WRAPPER(put_map, vmmem_put, struct vmmem *);

/*
 * A VMMEM_MC_SAFE map: copies out of the provider's pages stop at a
 * poisoned byte, a user iterator's too (its bounce page is filled up to
 * that byte).
 */
static void mapped_iter_mc_safe(struct kunit *test)
{
	struct vmmem *vm = vmmem_create("kunit", VMMEM_MC_SAFE);
	const size_t len = 3 * PAGE_SIZE, done = FX_P + 90;
	u8 *buf = kunit_kzalloc(test, len, GFP_KERNEL);
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	unsigned long uaddr;
	struct iov_iter it;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_map, vm));
	fake_init(test);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, 0, &fake_ops));
	kunit_activate_static_stub(test, vmmem_copy_mc_to_iter,
				   fake_copy_mc_to_iter);
	kunit_activate_static_stub(test, vmmem_copy_mc_to_kernel,
				   fake_copy_mc_to_kernel);
	poisoned = fake_byte(M_GPA + FX_P + 100);

	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, done, vmmem_copy_to_iter(vm, M_GPA + 10, &it, len));
	KUNIT_EXPECT_EQ(test, len - done, iov_iter_count(&it));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 10, done));
	KUNIT_EXPECT_EQ(test, 0, buf[done]);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_EQ(test, (unsigned long)(len - done),
			vmmem_copy_from_guest(vm, M_GPA + 10, buf, len));

	/* An untouched user buffer, through the bounce page. */
	uaddr = fx_user_map(test, len, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE);
	iov_iter_ubuf(&it, ITER_DEST, (void __user *)uaddr, len);
	KUNIT_EXPECT_EQ(test, done, vmmem_copy_to_iter(vm, M_GPA + 10, &it, len));
	KUNIT_ASSERT_EQ(test, 0, copy_from_user(buf, (void __user *)uaddr, done));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, M_GPA + 10, done));
	KUNIT_EXPECT_EQ(test, 0, fake.live);

	/* Writes are plain copies: no poison there. */
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, len);
	KUNIT_EXPECT_EQ(test, len, vmmem_copy_from_iter(vm, M_GPA + 10, &it, len));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.live);
	KUNIT_EXPECT_EQ(test, fake.mapped, fake.unmaps);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/*
 * A provider whose mappings exist only between map and unmap, as a grant
 * mapping does: each map copies the page into a window of its own and
 * each unmap writes it back and frees it, so that a use after an unmap is
 * a use after free (KASAN in the SMP lanes) or poisoned bytes. Counters
 * are atomic: several CPUs map at once.
 */
static struct win {
	struct page *pages[M_PAGES];
	spinlock_t lock;	/* serialises the copies into and out of the pages */
	atomic_t live, maps, bad;
} win;

static int win_map(void *priv, unsigned long index, unsigned int access,
		   void **kaddr)
{
	void *w = kmalloc(PAGE_SIZE, GFP_ATOMIC);
	unsigned long flags;

	if (!w)
		return -ENOMEM;
	spin_lock_irqsave(&win.lock, flags);
	memcpy(w, page_address(win.pages[index]), PAGE_SIZE);
	spin_unlock_irqrestore(&win.lock, flags);
	*kaddr = w;
	atomic_inc(&win.live);
	atomic_inc(&win.maps);
	return 0;
}

static void win_unmap(void *priv, unsigned long index, void *kaddr)
{
	unsigned long flags;

	if (atomic_dec_return(&win.live) < 0)
		atomic_inc(&win.bad);
	/* Writes put back the bytes they read: a stale window is harmless. */
	spin_lock_irqsave(&win.lock, flags);
	memcpy(page_address(win.pages[index]), kaddr, PAGE_SIZE);
	spin_unlock_irqrestore(&win.lock, flags);
	memset(kaddr, 0xaa, PAGE_SIZE);
	kfree(kaddr);
}

static const struct vmmem_mapper_ops win_ops = {
	.map = win_map,
	.unmap = win_unmap,
};

#define WIN_ROUNDS	4000

struct win_run {
	struct vmmem *vm;
	atomic_t wrong;
};

/* Reads of 64 bytes across the four pages; every eighth writes them back. */
static void win_worker(struct fx_worker *w)
{
	struct win_run *run = w->data;
	unsigned int i, page;
	u8 buf[64];
	u64 gpa;

	for (i = 0; i < WIN_ROUNDS && !fx_worker_stopping(w); i++) {
		page = (i * 7 + w->idx) % M_PAGES;
		gpa = M_GPA + page * FX_P + (i * 97 + w->idx * 13) % (FX_P - 64);
		if (vmmem_copy_from_guest(run->vm, gpa, buf, 64) ||
		    !fx_matches(buf, gpa, 64))
			atomic_inc(&run->wrong);
		if (i % 8 == 0 && vmmem_copy_to_guest(run->vm, gpa, buf, 64))
			atomic_inc(&run->wrong);
	}
}

/*
 * Kept pages under CPUs that share slots: two slots for four pages, so
 * that pages evict each other while other CPUs use them, and reads race
 * the remaps that writes make. A slot reused while in use would free a
 * window a CPU still copies from. Planted bug (the in-use test before an
 * eviction dropped): KASAN reports the use after free in smp-kasan.
 */
static void mapped_cache_smp(struct kunit *test)
{
	const struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED, .gpa = M_GPA, .size = M_SIZE,
		.mapper = &win_ops, .cache_pages = 2,
	};
	struct win_run run = {};
	struct fx_threads *th;
	unsigned int i;
	u64 gpa;

	memset(&win, 0, sizeof(win));
	spin_lock_init(&win.lock);
	for (i = 0; i < M_PAGES; i++) {
		win.pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, win.pages[i]);
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, free_page_action,
								   win.pages[i]));
	}
	for (gpa = M_GPA; gpa < M_GPA + M_SIZE; gpa++)
		((u8 *)page_address(win.pages[(gpa - M_GPA) >> PAGE_SHIFT]))
			[(gpa - M_GPA) & ~PAGE_MASK] = fx_pattern(gpa);
	run.vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(run.vm, &up, 1));

	th = fx_threads_start(test, win_worker, &run, fx_nr_workers(4), "vmmem-win");
	fx_threads_print(test, th);
	fx_threads_stop(test, th);
	kunit_info(test, "%d maps for %u rounds\n", atomic_read(&win.maps),
		   WIN_ROUNDS);
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&run.wrong));
	KUNIT_EXPECT_LE(test, atomic_read(&win.live), 2);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(run.vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&win.live));
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&win.bad));
}

/* Write ~pattern through the bio_vecs of @bv, the range from @gpa. */
static void bvecs_write(const struct vmmem_bvecs *bv, u64 gpa)
{
	unsigned int i, j;
	u8 *p;

	for (i = 0; i < bv->nr; i++) {
		p = bvec_kmap_local(&bv->bv[i]);
		for (j = 0; j < bv->bv[i].bv_len; j++)
			p[j] = ~fx_pattern(gpa + j);
		kunmap_local(p);
		gpa += bv->bv[i].bv_len;
	}
}

struct translate_case {
	const char *name;
	u64 gpa;
	u64 len;
	unsigned int held;	/* slices held: one per region */
	unsigned int pages;	/* provider pages mapped */
};

static const struct translate_case translate_cases[] = {
	{ "one byte", M_GPA + 5, 1, 1, 1 },
	{ "a whole page", M_GPA + FX_P, FX_P, 1, 1 },
	{ "across a page boundary", M_GPA + FX_P - 3, 7, 1, 2 },
	{ "the whole region", M_GPA, M_SIZE, 1, M_PAGES },
	{ "odd offset, four pages", M_GPA + 100, 3 * FX_P - 37, 1, 4 },
	{ "from the region before", M_GPA - 64, 64 + FX_P + 1, 2, 2 },
	{ "into the region after", M_GPA + M_SIZE - 10, 20, 2, 1 },
	{ "before, all of it, after", M_GPA - FX_P, M_SIZE + 2 * FX_P, 3, M_PAGES },
};

static void translate_case_desc(const struct translate_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(translate, translate_cases, translate_case_desc);

/*
 * A translation maps the region's pages onto the provider's pages, in one
 * call for up to VMMEM_MAP_BATCH of them, holds them until it is released
 * and unmaps them then; what the device writes through the bio_vecs is
 * guest memory, dirty-logged on release.
 */
static void mapped_translate(struct kunit *test)
{
	const struct translate_case *c = test->param_value;
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct bio_vec bvs[8];
	struct vmmem_slice held[8];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 8 };
	u8 *buf = kunit_kmalloc(test, c->len, GFP_KERNEL);
	unsigned long bitmap[1] = {};
	struct iov_iter iter;
	u64 i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, c->gpa, c->len, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, c->held, bv.nr_held);
	KUNIT_EXPECT_EQ(test, (int)c->pages, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 1U, fake.page_calls);
	KUNIT_EXPECT_EQ(test, 0U, fake.maps);
	KUNIT_EXPECT_EQ(test, c->len, fx_bvecs_bytes(&bv));
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, c->gpa));
	iov_iter_bvec(&iter, ITER_SOURCE, bv.bv, bv.nr, c->len);
	KUNIT_EXPECT_EQ(test, c->len, (u64)copy_from_iter(buf, c->len, &iter));
	KUNIT_EXPECT_TRUE(test, fx_matches(buf, c->gpa, c->len));
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);

	/* A device that fills the range, with dirty logging on. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, c->gpa, c->len, VMMEM_WRITE, &bv));
	bvecs_write(&bv, c->gpa);
	KUNIT_EXPECT_EQ(test, 0L, vmmem_dirty_harvest(vm, M_GPA, M_SIZE, bitmap));
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0UL, vmmem_copy_from_guest(vm, c->gpa, buf, c->len));
	for (i = 0; i < c->len; i++)
		if (buf[i] != (u8)~fx_pattern(c->gpa + i))
			break;
	KUNIT_EXPECT_EQ(test, c->len, i);
	KUNIT_EXPECT_EQ(test, (long)c->pages,
			vmmem_dirty_harvest(vm, M_GPA, M_SIZE, bitmap));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_log_stop(vm));
	KUNIT_EXPECT_EQ(test, 2U, fake.page_calls);
	mapped_done(test, vm);
}

/*
 * The provider's refusals: a read-only page written, a page it cannot
 * map, -EAGAIN until the retries run out. All or nothing: nothing held,
 * nothing left mapped, and the neighbours' holds are dropped too.
 */
static void mapped_translate_errors(struct kunit *test)
{
	static const int errors[] = { -EFAULT, -EINVAL, -ENOMEM };
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct bio_vec bvs[8];
	struct vmmem_slice held[8];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 8 };
	u64 all = M_GPA - FX_P, all_len = M_SIZE + 2 * FX_P;
	unsigned int i;

	set_bit(2, fake.rdonly);
	KUNIT_EXPECT_EQ(test, -EACCES,
			vmmem_translate(vm, all, all_len, VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, 0U, bv.nr);
	KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);
	KUNIT_EXPECT_EQ(test, 1, vmmem_kunit_region_refs(vm, all));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, all, all_len, VMMEM_READ, &bv));
	vmmem_untranslate(&bv);
	clear_bit(2, fake.rdonly);

	for (i = 0; i < ARRAY_SIZE(errors); i++) {
		fake.fail_index = 3;
		fake.fail_err = errors[i];
		KUNIT_EXPECT_EQ(test, errors[i],
				vmmem_translate(vm, all, all_len, VMMEM_READ, &bv));
		KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);
		KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
		KUNIT_EXPECT_EQ(test, 1, vmmem_kunit_region_refs(vm, all));
	}
	fake.fail_index = -1;

	fake.page_calls = 0;
	fake.eagain = VMMEM_MAP_TRIES - 1;
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA, 8, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_TRIES, fake.page_calls);
	vmmem_untranslate(&bv);
	fake.page_calls = 0;
	fake.eagain = VMMEM_MAP_TRIES;
	KUNIT_EXPECT_EQ(test, -EAGAIN,
			vmmem_translate(vm, all, all_len, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_TRIES, fake.page_calls);
	KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);

	/* A region added read-only is refused before the provider is asked. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, M_SIZE, VMMEM_REGION_RDONLY,
					    &fake_pages_ops));
	fake.page_calls = 0;
	KUNIT_EXPECT_EQ(test, -EFAULT,
			vmmem_translate(vm, M_GPA, 8, VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, 0U, fake.page_calls);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 2U, fake.releases);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* A provider out of pages says -EBUSY until a translation gives some back. */
static void mapped_translate_pool(struct kunit *test)
{
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct bio_vec bvs[2][4];
	struct vmmem_slice held[2][4];
	struct vmmem_bvecs a = { .bv = bvs[0], .held = held[0], .max = 4 };
	struct vmmem_bvecs b = { .bv = bvs[1], .held = held[1], .max = 4 };

	fake.pool = 3;
	KUNIT_EXPECT_EQ(test, -EBUSY, vmmem_translate(vm, M_GPA, M_SIZE, VMMEM_READ, &a));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA, 2 * FX_P, VMMEM_READ, &a));
	KUNIT_EXPECT_EQ(test, -EBUSY,
			vmmem_translate(vm, M_GPA + FX_P, 2 * FX_P, VMMEM_READ, &b));
	/* One page is left, and the same page may be translated twice. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA + FX_P, 8, VMMEM_READ, &b));
	KUNIT_EXPECT_EQ(test, 3, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 2, fake.page_live[1]);
	vmmem_untranslate(&a);
	KUNIT_EXPECT_EQ(test, 1, fake.pages_live);
	vmmem_untranslate(&b);
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA + FX_P, 2 * FX_P,
						 VMMEM_READ, &b));
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&b, M_GPA + FX_P));
	vmmem_untranslate(&b);
	mapped_done(test, vm);
}

/*
 * Arrays too short: -ENOBUFS with a count that suffices, nothing held or
 * mapped; the count works. No two of the provider's pages are contiguous
 * here, so each makes a bio_vec.
 */
static void mapped_translate_nobufs(struct kunit *test)
{
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct bio_vec bvs[8];
	struct vmmem_slice held[8];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held };
	unsigned int max;

	for (max = 1; max < M_PAGES; max++) {
		bv.max = max;
		KUNIT_EXPECT_EQ(test, -ENOBUFS,
				vmmem_translate(vm, M_GPA + 8, M_SIZE - 16,
						VMMEM_READ, &bv));
		KUNIT_EXPECT_EQ(test, (unsigned int)M_PAGES, bv.nr);
		KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);
		KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	}
	bv.max = M_PAGES;
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA + 8, M_SIZE - 16,
						 VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, (unsigned int)M_PAGES, bv.nr);
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, M_GPA + 8));
	vmmem_untranslate(&bv);
	/* Zero bytes: nothing mapped, nothing held. */
	fake.page_calls = 0;
	KUNIT_EXPECT_EQ(test, 0, vmmem_translate(vm, M_GPA, 0, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);
	KUNIT_EXPECT_EQ(test, 0U, fake.page_calls);
	mapped_done(test, vm);
}

/* A region of F_PAGES pages, alone in a map, over pages @stride apart. */
static struct vmmem *big_map(struct kunit *test, unsigned int stride)
{
	struct vmmem *vm;

	fake_init_stride(test, stride);
	vm = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, add_mapped(vm, M_GPA, F_PAGES * FX_P, 0,
					    &fake_pages_ops));
	return vm;
}

/*
 * Longer ranges are mapped VMMEM_MAP_BATCH pages per call; a failure in a
 * later batch unmaps the earlier ones; physically contiguous pages merge.
 */
static void mapped_translate_batches(struct kunit *test)
{
	const u64 gpa = M_GPA + 100, len = F_PAGES * FX_P - 200;
	struct bio_vec *bvs = kunit_kcalloc(test, F_PAGES, sizeof(*bvs), GFP_KERNEL);
	struct vmmem_slice held[1];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = F_PAGES };
	struct vmmem *vm;

	KUNIT_ASSERT_NOT_NULL(test, bvs);
	vm = big_map(test, 2);
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, gpa, len, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, 3U, fake.page_calls);
	KUNIT_EXPECT_EQ(test, (unsigned int)VMMEM_MAP_BATCH, fake.batch_max);
	KUNIT_EXPECT_EQ(test, (unsigned int)F_PAGES, bv.nr);
	KUNIT_EXPECT_EQ(test, 1U, bv.nr_held);
	KUNIT_EXPECT_EQ(test, len, fx_bvecs_bytes(&bv));
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, gpa));
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);

	/* The second batch fails: the first is unmapped again. */
	fake.page_calls = 0;
	fake.fail_index = VMMEM_MAP_BATCH + 1;
	fake.fail_err = -EFAULT;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_translate(vm, gpa, len, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, 2U, fake.page_calls);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0U, bv.nr_held);
	fake.fail_index = -1;

	/* Too few bio_vecs for the second batch: its pages are not mapped. */
	bv.max = VMMEM_MAP_BATCH + 2;
	fake.page_calls = 0;
	KUNIT_EXPECT_EQ(test, -ENOBUFS, vmmem_translate(vm, gpa, len, VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, (unsigned int)F_PAGES, bv.nr);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_LE(test, fake.page_calls, 2U);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, F_PAGES * FX_P));
	KUNIT_EXPECT_FALSE(test, fake.bad);

	/* Contiguous pages: one bio_vec for all of them. */
	vm = big_map(test, 1);
	bv.max = 1;
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, gpa, len, VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, 1U, bv.nr);
	KUNIT_EXPECT_EQ(test, len, (u64)bv.bv[0].bv_len);
	KUNIT_EXPECT_EQ(test, 100U, bv.bv[0].bv_offset);
	KUNIT_EXPECT_PTR_EQ(test, fake.pages[0], bv.bv[0].bv_page);
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, gpa));
	KUNIT_EXPECT_EQ(test, F_PAGES, fake.pages_live);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, F_PAGES * FX_P));
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* Removed while translated: the pages stay until the translation goes. */
static void mapped_translate_removed(struct kunit *test)
{
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 4 };

	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(vm, M_GPA + FX_P, 2 * FX_P,
						 VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, M_GPA, M_SIZE));
	KUNIT_EXPECT_EQ(test, 0U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, M_GPA + FX_P));
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(vm, 10 * HZ));
	/* fake_release() checks that nothing was mapped any more. */
	KUNIT_EXPECT_EQ(test, 1U, fake.releases);
	KUNIT_EXPECT_EQ(test, 0, fake.pages_live);
	KUNIT_EXPECT_FALSE(test, fake.bad);
}

/* Through an IOVA space: the entry's range and permission, then the pages. */
static void mapped_translate_iova(struct kunit *test)
{
	struct vmmem *vm = mapped_map_ops(test, 0, &fake_pages_ops);
	struct vmmem_iova *iova = vmmem_iova_create(vm, NULL, NULL);
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 4 };

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(iova, 0x100000, M_SIZE, M_GPA,
						VMMEM_READ));
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(iova, 0x100000 + FX_P - 8, 16,
						 VMMEM_READ, &bv));
	KUNIT_EXPECT_EQ(test, 2U, bv.nr);
	KUNIT_EXPECT_EQ(test, 2, fake.pages_live);
	KUNIT_EXPECT_EQ(test, 0U, fx_bvecs_mismatches(&bv, M_GPA + FX_P - 8));
	vmmem_untranslate(&bv);
	fake.page_calls = 0;
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_translate(iova, 0x100000, 8,
						       VMMEM_WRITE, &bv));
	KUNIT_EXPECT_EQ(test, 0U, fake.page_calls);
	vmmem_iova_destroy(iova);
	mapped_done(test, vm);
}

/*
 * A provider that lends pages for translations from a state of its own,
 * one per add: its release poisons and frees the state, so that a
 * translation that maps or unmaps after its region was released is a use
 * after free (KASAN in the SMP lanes) or a count gone wrong. It sleeps
 * before it maps, as a provider may (Xen's retries do), until the test
 * thread has removed the region (which releases it, unless it is held).
 */
struct lend {
	struct page **pages;	/* the backing, shared by every add */
	atomic_t live;		/* pages lent and not given back */
	atomic_t *bad;		/* the test's count of impossible calls */
	atomic_t *mapping;	/* the test's count of calls asleep in map */
	atomic_t *removals;	/* the test's count of removals done */
};

static int lend_map_pages(void *priv, unsigned long index, unsigned int nr,
			  unsigned int access, struct page **pages)
{
	struct lend *l = priv;
	int removals = atomic_read(l->removals);
	unsigned int i;

	/* Until the test thread has removed the region, or 20 ms at most. */
	atomic_inc(l->mapping);
	for (i = 0; i < 20 && atomic_read(l->removals) == removals; i++)
		usleep_range(1000, 1100);
	atomic_dec(l->mapping);
	if (index >= M_PAGES || nr > M_PAGES - index)
		atomic_inc(l->bad);
	for (i = 0; i < nr; i++)
		pages[i] = l->pages[index + i];
	atomic_add(nr, &l->live);
	return 0;
}

static void lend_unmap_pages(void *priv, unsigned long index, unsigned int nr,
			     struct page **pages)
{
	struct lend *l = priv;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (pages[i] != l->pages[index + i])
			atomic_inc(l->bad);
	if (atomic_sub_return(nr, &l->live) < 0)
		atomic_inc(l->bad);
}

static void lend_release(void *priv)
{
	struct lend *l = priv;

	if (atomic_read(&l->live))
		atomic_inc(l->bad);
	memset(l, 0x6b, sizeof(*l));
	kfree(l);
}

static int lend_map(void *priv, unsigned long index, unsigned int access,
		    void **kaddr)
{
	return -EFAULT;
}

static void lend_unmap(void *priv, unsigned long index, void *kaddr)
{
}

static const struct vmmem_mapper_ops lend_ops = {
	.map = lend_map,
	.unmap = lend_unmap,
	.map_pages = lend_map_pages,
	.unmap_pages = lend_unmap_pages,
	.release = lend_release,
};

#define LEND_ROUNDS	40

struct lend_run {
	struct vmmem *vm;
	atomic_t bad, wrong, done, mapping, removals;
};

/*
 * LEND_ROUNDS translations of two pages, checked and released; the region
 * comes and goes, so a miss (-EFAULT, a hole) is tried again.
 */
static void lend_worker(struct fx_worker *w)
{
	struct lend_run *run = w->data;
	struct bio_vec bvs[M_PAGES];
	struct vmmem_slice held[M_PAGES];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = M_PAGES };
	unsigned int i = 0, tries = 0;
	u64 gpa;
	int ret;

	while (i < LEND_ROUNDS && !fx_worker_stopping(w)) {
		gpa = M_GPA + (tries++ * 97 + w->idx * 13) % (M_SIZE - 2 * FX_P);
		ret = vmmem_translate(run->vm, gpa, 2 * FX_P, VMMEM_READ, &bv);
		if (ret) {
			if (ret != -EFAULT)
				atomic_inc(&run->wrong);
			fx_spin();
			continue;
		}
		i++;
		if (fx_bvecs_mismatches(&bv, gpa))
			atomic_inc(&run->wrong);
		/* The region may be removed now: the translation still holds it. */
		fx_yield();
		vmmem_untranslate(&bv);
		atomic_inc(&run->done);
	}
}

/*
 * Translations over a region mapped on access while the test thread
 * removes it and adds it again with a new provider state, from other CPUs:
 * a translation must keep the region (and its provider) until it has
 * given its pages back. Each removal waits (a little) for a worker to be
 * asleep in the provider, which waits for the removal. Planted bug (the
 * region held only after the provider's call, outside RCU): KASAN reports
 * the use after free in the provider on smp-kasan, every run.
 */
static void mapped_translate_smp(struct kunit *test)
{
	struct lend_run run = {};
	struct fx_threads *th;
	struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED, .gpa = M_GPA, .size = M_SIZE,
		.mapper = &lend_ops,
	};
	unsigned int cycles = 0, i;
	struct lend *l;

	fake_init(test);
	run.vm = fx_create(test);
	th = fx_threads_start(test, lend_worker, &run, fx_nr_workers(4),
			      "vmmem-lend");
	fx_threads_print(test, th);
	while (fx_threads_running(th)) {
		l = kzalloc(sizeof(*l), GFP_KERNEL);
		if (!l)
			break;
		l->pages = fake.pages;
		l->bad = &run.bad;
		l->mapping = &run.mapping;
		l->removals = &run.removals;
		up.priv = l;
		if (vmmem_update(run.vm, &up, 1)) {
			kfree(l);
			break;
		}
		for (i = 0; i < 1000 && !atomic_read(&run.mapping) &&
		     fx_threads_running(th); i++)
			fx_spin();
		if (fx_remove(run.vm, M_GPA, M_SIZE))
			break;
		atomic_inc(&run.removals);
		cycles++;
	}
	fx_threads_stop(test, th);
	KUNIT_EXPECT_EQ(test, 0, vmmem_wait_released(run.vm, 10 * HZ));
	kunit_info(test, "%d translations over %u adds and removes\n",
		   atomic_read(&run.done), cycles);
	KUNIT_EXPECT_GT(test, cycles, 0U);
	KUNIT_EXPECT_GT(test, atomic_read(&run.done), 0);
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&run.wrong));
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&run.bad));
}

static struct kunit_case mapped_cases[] = {
	KUNIT_CASE_PARAM(mapped_copy, copy_gen_params),
	KUNIT_CASE(mapped_readonly_page),
	KUNIT_CASE(mapped_readonly_region),
	KUNIT_CASE(mapped_map_error),
	KUNIT_CASE(mapped_eagain),
	KUNIT_CASE(mapped_single),
	KUNIT_CASE(mapped_pointer_paths_refused),
	KUNIT_CASE(mapped_dirty),
	KUNIT_CASE(mapped_iova),
	KUNIT_CASE(mapped_top_of_space),
	KUNIT_CASE(mapped_add_errors),
	KUNIT_CASE(mapped_snapshot),
	KUNIT_CASE_PARAM(mapped_cache, cache_gen_params),
	KUNIT_CASE(mapped_cache_error),
	KUNIT_CASE(mapped_cache_busy),
	KUNIT_CASE(mapped_cache_too_large),
	KUNIT_CASE_SLOW(mapped_cache_smp),
	KUNIT_CASE(mapped_hold),
	KUNIT_CASE(mapped_hold_write),
	KUNIT_CASE(mapped_hold_busy),
	KUNIT_CASE_PARAM(mapped_copy_op, copy_op_gen_params),
	KUNIT_CASE(mapped_copy_op_errors),
	KUNIT_CASE(mapped_copy_op_kept),
	KUNIT_CASE_PARAM(mapped_iter, iter_gen_params),
	KUNIT_CASE(mapped_iter_errors),
	KUNIT_CASE(mapped_iter_iova),
	KUNIT_CASE(mapped_iter_zero_length),
	KUNIT_CASE(mapped_iter_mc_safe),
	KUNIT_CASE_PARAM(mapped_translate, translate_gen_params),
	KUNIT_CASE(mapped_translate_errors),
	KUNIT_CASE(mapped_translate_pool),
	KUNIT_CASE(mapped_translate_nobufs),
	KUNIT_CASE(mapped_translate_batches),
	KUNIT_CASE(mapped_translate_removed),
	KUNIT_CASE(mapped_translate_iova),
	KUNIT_CASE_SLOW(mapped_translate_smp),
	{}
};

static struct kunit_suite mapped_suite = {
	.name = "vmmem_mapped",
	.test_cases = mapped_cases,
};

kunit_test_suites(&mapped_suite);
