// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_model: a randomized differential test against a simple reference
 * model (a sorted list of regions, each with its own byte array). Random
 * adds, removes, batches, copies across holes, region ends and 2^64,
 * single accesses, range checks and snapshots run on both; any difference
 * in a result or a byte fails. The seed is printed; boot with
 * vmmem_kunit.model_seed=<seed> to replay it.
 */
#include <kunit/test.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fixture.h"

static ulong model_seed;
module_param(model_seed, ulong, 0444);
MODULE_PARM_DESC(model_seed, "seed of vmmem_model (0: random)");

/* One thread: under KCSAN there is no race to find, only a tenfold slowdown. */
#define MODEL_OPS	(IS_ENABLED(CONFIG_KCSAN) ? 10000 : 100000)
#define WINDOW_PAGES	32	/* two windows: at 0 and ending at 2^64 - 1 */
#define MAX_PAGES	6
#define MAX_REGIONS	(2 * WINDOW_PAGES)
#define MAX_SNAPS	4
#define MAX_COPY	(3 * FX_P)

struct mregion {
	u64 gpa;
	u64 size;
	unsigned int flags;
	unsigned int refs;	/* the model map and model snapshots */
	u8 *bytes;
};

struct mmap_state {
	struct mregion *r[MAX_REGIONS];
	unsigned int n;
};

struct msnap {
	struct vmmem *view;
	struct mmap_state map;
};

struct model {
	struct kunit *test;
	struct vmmem *vm;
	struct rnd_state rnd;
	struct mmap_state map;
	struct msnap snaps[MAX_SNAPS];
	unsigned int nsnaps;
	u8 *src, *dst, *expect;
	unsigned long counts[12];
	bool diverged;
};

static const char * const op_names[] = {
	"add", "remove", "batch", "copy-to", "copy-from", "single", "range",
	"snap-take", "snap-read", "snap-drop", "counters",
};

static u32 rnd(struct model *m, u32 n)
{
	return prandom_u32_state(&m->rnd) % n;
}

static __printf(2, 3) void diverge(struct model *m, const char *fmt, ...)
{
	char msg[128];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	KUNIT_FAIL(m->test, "%s", msg);
	m->diverged = true;
}

/* A random address near the two windows, sometimes just outside them. */
static u64 rnd_addr(struct model *m)
{
	u64 span = (WINDOW_PAGES + 2) * FX_P;
	u64 off = ((u64)prandom_u32_state(&m->rnd) << 20 ^
		   prandom_u32_state(&m->rnd)) % span;

	return rnd(m, 2) ? off : 0 - span + off;
}

static u64 rnd_page(struct model *m)
{
	u64 page = rnd(m, WINDOW_PAGES) * FX_P;

	return rnd(m, 2) ? page : 0 - WINDOW_PAGES * FX_P + page;
}

static struct mregion *m_find(const struct mmap_state *map, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < map->n; i++)
		if (gpa >= map->r[i]->gpa && gpa - map->r[i]->gpa < map->r[i]->size)
			return map->r[i];
	return NULL;
}

static bool m_overlaps(const struct mmap_state *map, u64 gpa, u64 size)
{
	u64 last = gpa + size - 1;
	unsigned int i;

	for (i = 0; i < map->n; i++)
		if (gpa <= map->r[i]->gpa + map->r[i]->size - 1 &&
		    map->r[i]->gpa <= last)
			return true;
	return false;
}

static void m_put(struct mregion *r)
{
	if (!--r->refs) {
		kfree(r->bytes);
		kfree(r);
	}
}

/* The argument rules of the contract, written out again for the model. */
static int m_args(u64 gpa, u64 size, unsigned int flags)
{
	u64 last;

	if (flags & ~VMMEM_REGION_FLAGS || !size || !PAGE_ALIGNED(gpa) ||
	    !PAGE_ALIGNED(size))
		return -EINVAL;
	if (check_add_overflow(gpa, size - 1, &last))
		return -EOVERFLOW;
	return 0;
}

static int m_add(struct mmap_state *map, u64 gpa, u64 size, unsigned int flags)
{
	struct mregion *r;
	int ret = m_args(gpa, size, flags);

	if (ret)
		return ret;
	if (m_overlaps(map, gpa, size))
		return -EEXIST;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (r)
		r->bytes = kzalloc(size, GFP_KERNEL);
	if (!r || !r->bytes) {
		kfree(r);
		return -ENOMEM;
	}
	r->gpa = gpa;
	r->size = size;
	r->flags = flags;
	r->refs = 1;
	map->r[map->n++] = r;
	return 0;
}

static int m_remove(struct mmap_state *map, u64 gpa, u64 size)
{
	unsigned int i;

	for (i = 0; i < map->n; i++) {
		if (map->r[i]->gpa == gpa && map->r[i]->size == size) {
			m_put(map->r[i]);
			map->r[i] = map->r[--map->n];
			return 0;
		}
	}
	return -ENOENT;
}

/* Copy a model map: every region shared, one more reference each. */
static void m_share(struct mmap_state *to, const struct mmap_state *from)
{
	unsigned int i;

	*to = *from;
	for (i = 0; i < to->n; i++)
		to->r[i]->refs++;
}

static void m_drop(struct mmap_state *map)
{
	while (map->n)
		m_put(map->r[--map->n]);
}

/* Bytes a copy reaches before the first unmapped or forbidden byte. */
static u64 m_reach(const struct mmap_state *map, u64 gpa, u64 len, bool write)
{
	u64 done = 0, n;
	struct mregion *r;

	while (done < len) {
		r = m_find(map, gpa + done);
		if (!r || (write && (r->flags & VMMEM_REGION_RDONLY)))
			break;
		n = min(len - done, r->gpa + r->size - (gpa + done));
		done += n;
		if (r->gpa + r->size - 1 == U64_MAX)
			break;
	}
	return done;
}

static u8 *m_byte(const struct mmap_state *map, u64 gpa)
{
	struct mregion *r = m_find(map, gpa);

	return &r->bytes[gpa - r->gpa];
}

static void rnd_region(struct model *m, u64 *gpa, u64 *size, unsigned int *flags)
{
	*gpa = rnd_page(m);
	*size = (1 + rnd(m, MAX_PAGES)) * FX_P;
	*flags = rnd(m, 4) ? 0 : VMMEM_REGION_RDONLY;
	/* Sometimes bad arguments. */
	switch (rnd(m, 50)) {
	case 0:
		*gpa += 8;
		break;
	case 1:
		*size = 0;
		break;
	case 2:
		*size = 0 - *gpa + FX_P;	/* wraps past 2^64 */
		break;
	}
}

static void op_add(struct model *m)
{
	unsigned int flags;
	u64 gpa, size;
	int want, got;

	rnd_region(m, &gpa, &size, &flags);
	want = m_add(&m->map, gpa, size, flags);
	got = vmmem_add_vmalloc(m->vm, gpa, size, flags);
	if (want != got)
		diverge(m, "add %#llx+%#llx: %d, model %d", gpa, size, got, want);
}

static void rnd_victim(struct model *m, u64 *gpa, u64 *size)
{
	struct mregion *r;

	if (!m->map.n || !rnd(m, 8)) {
		*gpa = rnd_page(m);
		*size = FX_P;
		return;
	}
	r = m->map.r[rnd(m, m->map.n)];
	*gpa = r->gpa;
	*size = r->size;
	if (!rnd(m, 6))
		*size += FX_P;
	else if (!rnd(m, 6))
		*gpa += FX_P;
}

static void op_remove(struct model *m)
{
	u64 gpa, size;
	int want, got;

	rnd_victim(m, &gpa, &size);
	want = m_remove(&m->map, gpa, size);
	got = vmmem_remove(m->vm, gpa, size);
	if (want != got)
		diverge(m, "remove %#llx+%#llx: %d, model %d", gpa, size, got, want);
}

/*
 * A batch of up to four adds and removes: all of it applies, or none.
 * Argument errors surface while building and win over the errors that
 * only applying the operations in order reveals.
 */
static void op_batch(struct model *m)
{
	struct vmmem_batch *batch = vmmem_batch_create(m->vm);
	unsigned int i, nops = 1 + rnd(m, 4), flags;
	int build_err = 0, apply_err = 0, ret, want, got;
	struct mmap_state next;
	u64 gpa, size;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(m->test, batch);
	m_share(&next, &m->map);
	for (i = 0; i < nops; i++) {
		if (rnd(m, 2)) {
			rnd_region(m, &gpa, &size, &flags);
			vmmem_batch_add_vmalloc(batch, gpa, size, flags);
			ret = m_args(gpa, size, flags);
			if (ret)
				build_err = build_err ?: ret;
			else
				apply_err = apply_err ?: m_add(&next, gpa, size, flags);
		} else {
			rnd_victim(m, &gpa, &size);
			vmmem_batch_remove(batch, gpa, size);
			apply_err = apply_err ?: m_remove(&next, gpa, size);
		}
	}
	want = build_err ?: apply_err;
	got = vmmem_batch_commit(batch);
	if (want != got)
		diverge(m, "batch of %u: %d, model %d", nops, got, want);
	if (!want) {
		m_drop(&m->map);
		m->map = next;
	} else {
		m_drop(&next);
	}
}

static void op_copy_to(struct model *m)
{
	u64 gpa = rnd_addr(m), len = rnd(m, MAX_COPY + 1), reach, i;
	unsigned long left;

	get_random_bytes(m->src, len);
	reach = m_reach(&m->map, gpa, len, true);
	left = vmmem_copy_to_guest(m->vm, gpa, m->src, len);
	if (left != len - reach)
		diverge(m, "copy to %#llx+%llu: %lu left, model %llu", gpa, len, left,
			len - reach);
	for (i = 0; i < reach; i++)
		*m_byte(&m->map, gpa + i) = m->src[i];
}

/* Reads through @vm must match @map: counts and every byte. */
static void check_copy_from(struct model *m, struct vmmem *vm,
			    const struct mmap_state *map, u64 gpa, u64 len)
{
	u64 reach = m_reach(map, gpa, len, false), i;
	unsigned long left;

	memset(m->dst, 0xa5, len);
	left = vmmem_copy_from_guest(vm, m->dst, gpa, len);
	if (left != len - reach) {
		diverge(m, "copy from %#llx+%llu: %lu left, model %llu", gpa, len,
			left, len - reach);
		return;
	}
	for (i = 0; i < reach; i++)
		m->expect[i] = *m_byte(map, gpa + i);
	if (memcmp(m->dst, m->expect, reach))
		diverge(m, "copy from %#llx+%llu: bytes differ", gpa, len);
}

static void op_copy_from(struct model *m)
{
	check_copy_from(m, m->vm, &m->map, rnd_addr(m), rnd(m, MAX_COPY + 1));
}

static int single_load(struct vmmem *vm, bool acquire, unsigned int bytes,
		       u64 gpa, u64 *val)
{
	u16 v16;
	u32 v32;
	u8 v8;
	int ret;

	switch (bytes) {
	case 1:
		ret = vmmem_load_u8(vm, gpa, &v8);
		*val = v8;
		return ret;
	case 2:
		ret = acquire ? vmmem_load_acquire_u16(vm, gpa, &v16) :
				vmmem_load_u16(vm, gpa, &v16);
		*val = v16;
		return ret;
	case 4:
		ret = acquire ? vmmem_load_acquire_u32(vm, gpa, &v32) :
				vmmem_load_u32(vm, gpa, &v32);
		*val = v32;
		return ret;
	default:
		return acquire ? vmmem_load_acquire_u64(vm, gpa, val) :
				 vmmem_load_u64(vm, gpa, val);
	}
}

static int single_store(struct vmmem *vm, bool release, unsigned int bytes,
			u64 gpa, u64 val)
{
	switch (bytes) {
	case 1:
		return vmmem_store_u8(vm, gpa, val);
	case 2:
		return release ? vmmem_store_release_u16(vm, gpa, val) :
				 vmmem_store_u16(vm, gpa, val);
	case 4:
		return release ? vmmem_store_release_u32(vm, gpa, val) :
				 vmmem_store_u32(vm, gpa, val);
	default:
		return release ? vmmem_store_release_u64(vm, gpa, val) :
				 vmmem_store_u64(vm, gpa, val);
	}
}

static void op_single(struct model *m)
{
	unsigned int bytes = 1 << rnd(m, 4), kind = rnd(m, 4), i;
	bool store = kind & 1;
	u64 gpa = rnd_addr(m), val = get_random_u64(), want_val = 0;
	struct mregion *r;
	int want, got;

	if (rnd(m, 4))
		gpa = round_down(gpa, bytes);
	r = m_find(&m->map, gpa);
	if (!IS_ALIGNED(gpa, bytes))
		want = -EINVAL;
	else if (!r || (store && (r->flags & VMMEM_REGION_RDONLY)))
		want = -EFAULT;
	else
		want = 0;

	if (bytes < 8)
		val &= BIT_ULL(8 * bytes) - 1;
	if (!want && !store) {
		/* Little-endian assembly of the model's bytes, then CPU order. */
		for (i = 0; i < bytes; i++)
			want_val |= (u64)*m_byte(&m->map, gpa + i) << (8 * i);
		if (IS_ENABLED(CONFIG_CPU_BIG_ENDIAN))
			want_val = swab64(want_val) >> (64 - 8 * bytes);
	}
	got = store ? single_store(m->vm, kind & 2, bytes, gpa, val) :
		      single_load(m->vm, kind & 2, bytes, gpa, &val);
	if (want != got) {
		diverge(m, "single %u/%u at %#llx: %d, model %d", kind, bytes, gpa,
			got, want);
		return;
	}
	if (want)
		return;
	if (store) {
		for (i = 0; i < bytes; i++)
			*m_byte(&m->map, gpa + i) = IS_ENABLED(CONFIG_CPU_BIG_ENDIAN) ?
				val >> (8 * (bytes - 1 - i)) : val >> (8 * i);
	} else if (val != want_val) {
		diverge(m, "load %u at %#llx: %#llx, model %#llx", bytes, gpa, val,
			want_val);
	}
}

static void op_range(struct model *m)
{
	u64 gpa = rnd_addr(m), len = rnd(m, MAX_COPY + 1);
	bool write = rnd(m, 2);
	bool want = m_reach(&m->map, gpa, len, write) == len;

	if (want != vmmem_check_range(m->vm, gpa, len, write ? VMMEM_WRITE : VMMEM_READ))
		diverge(m, "check_range %#llx+%llu", gpa, len);
}

static void op_snap_take(struct model *m)
{
	struct msnap *s;

	if (m->nsnaps == MAX_SNAPS)
		return;
	s = &m->snaps[m->nsnaps++];
	s->view = vmmem_snapshot(m->vm);
	m_share(&s->map, &m->map);
}

static void op_snap_read(struct model *m)
{
	struct msnap *s;

	if (!m->nsnaps)
		return;
	s = &m->snaps[rnd(m, m->nsnaps)];
	check_copy_from(m, s->view, &s->map, rnd_addr(m), rnd(m, MAX_COPY + 1));
	if (vmmem_num_regions(s->view) != s->map.n)
		diverge(m, "snapshot has %u regions, model %u",
			vmmem_num_regions(s->view), s->map.n);
}

static void op_snap_drop(struct model *m)
{
	struct msnap *s;

	if (!m->nsnaps)
		return;
	s = &m->snaps[rnd(m, m->nsnaps)];
	vmmem_put(s->view);
	m_drop(&s->map);
	*s = m->snaps[--m->nsnaps];
}

static void op_counters(struct model *m)
{
	u64 last = 0;
	unsigned int i;

	for (i = 0; i < m->map.n; i++)
		last = max(last, m->map.r[i]->gpa + m->map.r[i]->size - 1);
	if (vmmem_num_regions(m->vm) != m->map.n || vmmem_last_addr(m->vm) != last)
		diverge(m, "%u regions up to %#llx, model %u up to %#llx",
			vmmem_num_regions(m->vm), vmmem_last_addr(m->vm), m->map.n,
			last);
}

static void (* const ops[])(struct model *m) = {
	op_add, op_remove, op_batch, op_copy_to, op_copy_from, op_single,
	op_range, op_snap_take, op_snap_read, op_snap_drop, op_counters,
};

/* Out of 1000. */
static const unsigned int weights[] = {
	80, 60, 20, 200, 200, 250, 60, 30, 50, 30, 20,
};

static void vmmem_model_differential(struct kunit *test)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u64 seed = model_seed ?: get_random_u64();
	unsigned int i, pick, op;

	static_assert(ARRAY_SIZE(weights) == ARRAY_SIZE(ops));
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->vm = fx_create(test);
	m->src = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	m->dst = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	m->expect = kunit_kmalloc(test, MAX_COPY, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, m->src && m->dst && m->expect);
	kunit_info(test, "seed %llu (replay: vmmem_kunit.model_seed=%llu)\n", seed, seed);
	prandom_seed_state(&m->rnd, seed);

	for (i = 0; i < MODEL_OPS && !m->diverged; i++) {
		pick = rnd(m, 1000);
		for (op = 0; pick >= weights[op]; op++)
			pick -= weights[op];
		ops[op](m);
		m->counts[op]++;
		if (i % 256 == 0)
			cond_resched();
	}
	if (m->diverged)
		kunit_info(test, "diverged at operation %u (%s)\n", i - 1, op_names[op]);

	for (op = 0; op < ARRAY_SIZE(ops); op++)
		kunit_info(test, "%s: %lu\n", op_names[op], m->counts[op]);
	KUNIT_EXPECT_EQ(test, i, MODEL_OPS);

	while (m->nsnaps)
		op_snap_drop(m);
	m_drop(&m->map);
}

static struct kunit_case vmmem_model_cases[] = {
	KUNIT_CASE_SLOW(vmmem_model_differential),
	{}
};

static struct kunit_suite vmmem_model_suite = {
	.name = "vmmem_model",
	.test_cases = vmmem_model_cases,
};

kunit_test_suite(vmmem_model_suite);
