// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_bench_map: lookups against the structures kernel developers use
 * today, single accesses against the plain-pointer floor, hotplug latency
 * and readers under hotplug, metadata size, and IOVA spaces against
 * vhost's IOTLB. Built only with
 * CONFIG_VMMEM_BENCH (make bench); prints, asserts nothing.
 */
#include <kunit/test.h>
#include <linux/bsearch.h>
#include <linux/interval_tree.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/sizes.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vhost_iotlb.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "fixture.h"
/* For the lookup-only column: vmmem's own lookup, inlined. */
#include "../vmmem/vmmem.h"

#define REPEATS		7
#define NADDR		4096
#define LOOKUPS		200000U

struct flat_region {
	u64 gpa;
	u64 size;
	const void *hva;
};

/* The alternatives, built over the same regions as the map. */
struct lookup_bench {
	struct vmmem *vm;
	unsigned int n;
	struct flat_region *flat;		/* sorted by gpa */
	unsigned int last_used;			/* the KVM / vm-memory hint */
	struct interval_tree_node *itnodes;
	struct rb_root_cached itree;
	u64 *addr;				/* NADDR addresses to look up */
	unsigned long iters;
	u64 sink;
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v)
{
	sort(v, REPEATS, sizeof(*v), cmp_u64, NULL);
	return v[REPEATS / 2];
}

static void lookup_vmmem(struct lookup_bench *b)
{
	unsigned long i;
	u8 v = 0;

	for (i = 0; i < b->iters; i++) {
		vmmem_load(b->vm, b->addr[i % NADDR], &v);
		b->sink += v;
	}
}

/*
 * Not an alternative: vmmem's lookup inlined here, without the exported
 * call and the access checks of vmmem_load(), then the same 1-byte load as
 * every column: what the search costs, the load included.
 */
static void lookup_only(struct lookup_bench *b)
{
	struct vmmem_region *r;
	unsigned long i;
	u64 gpa;

	for (i = 0; i < b->iters; i++) {
		gpa = b->addr[i % NADDR];
		rcu_read_lock();
		r = vmmem_lookup(b->vm, gpa);
		if (r)
			b->sink += READ_ONCE(*(u8 *)(r->hva + (gpa - r->gpa)));
		rcu_read_unlock();
	}
}

static void lookup_linear(struct lookup_bench *b)
{
	unsigned long i, j;
	u64 gpa;

	for (i = 0; i < b->iters; i++) {
		gpa = b->addr[i % NADDR];
		for (j = 0; j < b->n; j++) {
			if (gpa - b->flat[j].gpa < b->flat[j].size) {
				b->sink += READ_ONCE(*(u8 *)(b->flat[j].hva +
							     gpa - b->flat[j].gpa));
				break;
			}
		}
	}
}

static void lookup_sorted(struct lookup_bench *b)
{
	unsigned int lo, hi, mid;
	struct flat_region *r;
	unsigned long i;
	u64 gpa;

	for (i = 0; i < b->iters; i++) {
		gpa = b->addr[i % NADDR];
		r = &b->flat[b->last_used];
		if (gpa - r->gpa >= r->size) {
			lo = 0;
			hi = b->n;
			while (lo + 1 < hi) {
				mid = (lo + hi) / 2;
				if (b->flat[mid].gpa <= gpa)
					lo = mid;
				else
					hi = mid;
			}
			r = &b->flat[lo];
			if (gpa - r->gpa >= r->size)
				continue;
			b->last_used = lo;
		}
		b->sink += READ_ONCE(*(u8 *)(r->hva + gpa - r->gpa));
	}
}

static void lookup_itree(struct lookup_bench *b)
{
	struct interval_tree_node *node;
	struct flat_region *r;
	unsigned long i;
	u64 gpa;

	for (i = 0; i < b->iters; i++) {
		gpa = b->addr[i % NADDR];
		node = interval_tree_iter_first(&b->itree, gpa, gpa);
		if (!node)
			continue;
		r = &b->flat[node - b->itnodes];
		b->sink += READ_ONCE(*(u8 *)(r->hva + gpa - r->gpa));
	}
}

static u64 time_ns(void (*fn)(struct lookup_bench *b), struct lookup_bench *b)
{
	u64 start = ktime_get_ns();

	fn(b);
	return max(ktime_get_ns() - start, 1ULL);
}

KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);

/* The pages behind the regions of a case; the map holds its own references. */
struct bench_pages {
	unsigned int n;
	struct page *page[] __counted_by(n);
};

static void bench_pages_free(void *data)
{
	struct bench_pages *bp = data;
	unsigned int i;

	for (i = 0; i < bp->n; i++)
		if (bp->page[i])
			put_page(bp->page[i]);
	kvfree(bp);
}

/*
 * Adds of @n one-page regions two pages apart, and one more after them
 * (adds[@n], which the hotplug benches add and remove), built once per case
 * so that the hotplug bench counts none of it as the map's slab.
 *
 * Each region has a page of its own, as guest memory does, not one page
 * shared by all: each region vmap()s its page at an address of its own,
 * and a hypervisor that shadows page tables (KVM's shadow MMU, as under
 * PVM) keeps at most 1000 mappings of one page, zapping them all when one
 * more is made. Past N = 1000 every load of the shared page then faulted
 * into the hypervisor: microseconds per op at N >= 4096, in every column.
 */
static struct vmmem_update *page_adds(struct kunit *test, unsigned int n)
{
	struct vmmem_update *ups = kvcalloc(n + 1, sizeof(*ups), GFP_KERNEL);
	struct bench_pages *bp;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ups);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kvfree_action, ups));
	bp = kvzalloc(struct_size(bp, page, n + 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bp);
	bp->n = n + 1;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, bench_pages_free, bp));
	for (i = 0; i <= n; i++) {
		bp->page[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, bp->page[i]);
		ups[i] = (struct vmmem_update){
			.op = VMMEM_ADD_PAGES,
			.gpa = 2ULL * i * PAGE_SIZE,
			.size = PAGE_SIZE,
			.pages = &bp->page[i],
		};
	}
	return ups;
}

/* The map: the first @n of @adds, in one update. */
static void build_map(struct kunit *test, struct lookup_bench *b,
		      unsigned int n, const struct vmmem_update *adds)
{
	b->vm = vmmem_create("kunit", 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b->vm);
	b->n = n;
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(b->vm, adds, n));
}

/* The alternatives, over the map's regions and kernel addresses. */
static void build_alternatives(struct kunit *test, struct lookup_bench *b)
{
	struct vmmem_slice slice;
	unsigned int i, n = b->n;

	b->flat = kvcalloc(n, sizeof(*b->flat), GFP_KERNEL);
	b->itnodes = kvcalloc(n, sizeof(*b->itnodes), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b->flat && b->itnodes);
	b->itree = RB_ROOT_CACHED;
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		vmmem_find_slice(b->vm, 2ULL * i * PAGE_SIZE, PAGE_SIZE, VMMEM_READ, &slice);
		b->flat[i] = (struct flat_region){ slice.gpa, PAGE_SIZE, slice.ptr };
		b->itnodes[i].start = slice.gpa;
		b->itnodes[i].last = slice.gpa + PAGE_SIZE - 1;
		interval_tree_insert(&b->itnodes[i], &b->itree);
	}
	rcu_read_unlock();
	b->last_used = 0;
}

static void build(struct kunit *test, struct lookup_bench *b, unsigned int n,
		  const struct vmmem_update *adds)
{
	build_map(test, b, n, adds);
	build_alternatives(test, b);
}

static void teardown(struct lookup_bench *b)
{
	vmmem_put(b->vm);
	kvfree(b->flat);
	kvfree(b->itnodes);
}

/* @v thousandths as "x.yyy", in @buf. */
static const char *milli(char *buf, u64 v)
{
	snprintf(buf, 24, "%llu.%03llu", v / 1000, v % 1000);
	return buf;
}

/* "min / median / max" of @v (sorted here), thousandths, into @buf. */
static const char *spread(char *buf, size_t size, u64 *v)
{
	char a[24], m[24], z[24];

	sort(v, REPEATS, sizeof(*v), cmp_u64, NULL);
	snprintf(buf, size, "%s / %s / %s", milli(a, v[0]),
		 milli(m, v[REPEATS / 2]), milli(z, v[REPEATS - 1]));
	return buf;
}

static void fill_addrs(struct lookup_bench *b, bool random, struct rnd_state *rnd)
{
	unsigned int i, r;

	for (i = 0; i < NADDR; i++) {
		r = random ? prandom_u32_state(rnd) % b->n : i % b->n;
		b->addr[i] = 2ULL * r * PAGE_SIZE + (prandom_u32_state(rnd) % PAGE_SIZE);
	}
}

static void (* const alt[])(struct lookup_bench *b) = {
	lookup_linear, lookup_sorted, lookup_itree,
};

/* Per op, in thousandths of a nanosecond. */
static u64 per_op(u64 *t)
{
	return median(t) * 1000 / LOOKUPS;
}

static void vmmem_bench_lookup(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 4, 8, 16, 32, 64, 512, 4096, 32764 };
	static const char * const alt_name[] = { "linear", "sorted+last", "itree" };
	char s1[24], s2[24], s3[24], s4[24], s5[24], r1[24], r2[24], r3[24];
	struct lookup_bench b = {};
	u64 t_vm[REPEATS], t_only[REPEATS], t_alt[3][REPEATS], vs_best[REPEATS];
	u64 only_vs_best[REPEATS];
	u64 best;
	struct vmmem_update *adds;
	struct rnd_state rnd;
	unsigned int c, a, r, pattern;

	adds = page_adds(test, counts[ARRAY_SIZE(counts) - 1]);
	b.addr = kunit_kmalloc_array(test, NADDR, sizeof(*b.addr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.addr);
	prandom_seed_state(&rnd, 42);

	kunit_info(test, "lookup + 1-byte load, ns per op (median of %d); vmmem through vmmem_load(), lookup only inlined\n",
		   REPEATS);
	kunit_info(test, "vs best: throughput vmmem / fastest alternative of each repeat, min / median / max\n");
	for (pattern = 0; pattern < 2; pattern++) {
		for (c = 0; c < ARRAY_SIZE(counts); c++) {
			build(test, &b, counts[c], adds);
			fill_addrs(&b, pattern == 0, &rnd);
			b.iters = LOOKUPS;
			for (r = 0; r < REPEATS; r++) {
				t_vm[r] = time_ns(lookup_vmmem, &b);
				t_only[r] = time_ns(lookup_only, &b);
				for (a = 0; a < ARRAY_SIZE(alt); a++) {
					/* The linear scan gets fewer rounds at large N. */
					b.iters = a ? LOOKUPS : max(2000U, LOOKUPS / counts[c]);
					t_alt[a][r] = div64_u64(time_ns(alt[a], &b) * LOOKUPS,
								b.iters);
					b.iters = LOOKUPS;
				}
				best = min3(t_alt[0][r], t_alt[1][r], t_alt[2][r]);
				vs_best[r] = div64_u64(best * 1000, t_vm[r]);
				only_vs_best[r] = div64_u64(best * 1000, t_only[r]);
			}
			/* median() sorts: the per-repeat ratios are taken above. */
			median(vs_best);
			median(only_vs_best);
			kunit_info(test, "%s N=%-5u vmmem %s (lookup only %s)  %s %s  %s %s  %s %s  vs best %s / %s / %s\n",
				   pattern ? "seq " : "rand", counts[c],
				   milli(s1, per_op(t_vm)), milli(s5, per_op(t_only)),
				   alt_name[0], milli(s2, per_op(t_alt[0])),
				   alt_name[1], milli(s3, per_op(t_alt[1])),
				   alt_name[2], milli(s4, per_op(t_alt[2])),
				   milli(r1, vs_best[0]), milli(r2, vs_best[REPEATS / 2]),
				   milli(r3, vs_best[REPEATS - 1]));
			pr_info("bench: lookup_%s_%u_vmmem %s ns\n",
				pattern ? "seq" : "rand", counts[c], s1);
			pr_info("bench: lookup_%s_%u_lookup_only %s ns\n",
				pattern ? "seq" : "rand", counts[c], s5);
			pr_info("bench: lookup_%s_%u_vs_best %s ratio\n",
				pattern ? "seq" : "rand", counts[c], r2);
			pr_info("bench: lookup_%s_%u_only_vs_best %s ratio\n",
				pattern ? "seq" : "rand", counts[c],
				milli(r1, only_vs_best[REPEATS / 2]));
			teardown(&b);
		}
	}
}

/*
 * How lookup cost grows from 8 to 32764 regions at random addresses: both
 * maps built at once and timed alternately, so each repeat's ratio sees
 * the same machine. log2 grows 5x over that range.
 */
static void vmmem_bench_lookup_growth(struct kunit *test)
{
	struct lookup_bench small = {}, large = {};
	u64 vm_growth[REPEATS], sorted_growth[REPEATS], t8, t32764;
	char s1[64], s2[64], m[24];
	struct vmmem_update *adds;
	struct rnd_state rnd;
	unsigned int r;

	adds = page_adds(test, 32764);
	small.addr = kunit_kmalloc_array(test, NADDR, sizeof(u64), GFP_KERNEL);
	large.addr = kunit_kmalloc_array(test, NADDR, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, small.addr && large.addr);
	prandom_seed_state(&rnd, 8);
	build(test, &small, 8, adds);
	build(test, &large, 32764, adds);
	fill_addrs(&small, true, &rnd);
	fill_addrs(&large, true, &rnd);
	small.iters = LOOKUPS;
	large.iters = LOOKUPS;
	for (r = 0; r < REPEATS; r++) {
		t8 = time_ns(lookup_vmmem, &small);
		t32764 = time_ns(lookup_vmmem, &large);
		vm_growth[r] = div64_u64(t32764 * 1000, t8);
		t8 = time_ns(lookup_sorted, &small);
		t32764 = time_ns(lookup_sorted, &large);
		sorted_growth[r] = div64_u64(t32764 * 1000, t8);
	}
	kunit_info(test, "random lookup cost at N=32764 / N=8 (log2: 5.000), min / median / max: vmmem %s  sorted+last %s\n",
		   spread(s1, sizeof(s1), vm_growth),
		   spread(s2, sizeof(s2), sorted_growth));
	pr_info("bench: lookup_rand_growth_8_to_32764 %s ratio (log2: 5.000)\n",
		milli(m, vm_growth[REPEATS / 2]));
	pr_info("bench: lookup_rand_growth_8_to_32764_sorted %s ratio\n",
		milli(m, sorted_growth[REPEATS / 2]));
	teardown(&small);
	teardown(&large);
}

/*
 * Single accesses: an acquire load and a release store per step, as a
 * device does on ring indices, through vmmem, through the translation
 * cache, and on the kernel mapping (the floors).
 */
struct access_bench {
	struct vmmem *vm;
	struct vmmem_cache cache;
	void *hva;
};

#define ACCESSES	1000000U
#define ACC_GPA		(64 * FX_P)
/* Loads from the first 64 slots of the window, stores to the next 64. */
#define ACC_SLOTS	64

/*
 * One set of loops per width. The floors: READ_ONCE()-width accesses with
 * smp_*() ordering, and with the virt_*() ordering vmmem uses (the other
 * side is a guest vCPU). On UML the two differ: asm-generic virt_*() are
 * full mfences, while smp_*() on this uniprocessor kernel are compiler
 * barriers; on x86-64 both are plain moves.
 */
/* The value types, named so that the macro below only pastes its argument. */
typedef u16 acc_u16;
typedef u32 acc_u32;
typedef u64 acc_u64;

#define ACC_BENCH(T)								\
static void acc_vmmem_##T(struct access_bench *b)				\
{										\
	unsigned int i;								\
	acc_##T v = 0;								\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		vmmem_load_acquire(b->vm, ACC_GPA +				\
				   (i % ACC_SLOTS) * sizeof(v), &v);		\
		vmmem_store_release(b->vm, ACC_GPA + (ACC_SLOTS +		\
				    i % ACC_SLOTS) * sizeof(v),			\
				    (acc_##T)(v + 1));				\
	}									\
}										\
										\
static void acc_cache_##T(struct access_bench *b)				\
{										\
	unsigned int i;								\
	acc_##T v = 0;								\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		vmmem_load_acquire(&b->cache, ACC_GPA +				\
				   (i % ACC_SLOTS) * sizeof(v), &v);		\
		vmmem_store_release(&b->cache, ACC_GPA + (ACC_SLOTS +		\
				    i % ACC_SLOTS) * sizeof(v),			\
				    (acc_##T)(v + 1));				\
	}									\
}										\
										\
static void acc_smp_##T(struct access_bench *b)					\
{										\
	unsigned int i;								\
	acc_##T v;								\
	typeof(v) *p = b->hva;							\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		/* Acquire: later accesses stay after it, as in a ring. */	\
		v = smp_load_acquire(&p[i % ACC_SLOTS]);			\
		/* Release: pairs with the acquire above, as in a ring. */	\
		smp_store_release(&p[ACC_SLOTS + i % ACC_SLOTS], v + 1);	\
	}									\
}										\
										\
static void acc_virt_##T(struct access_bench *b)				\
{										\
	unsigned int i;								\
	acc_##T v;								\
	typeof(v) *p = b->hva;							\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		/* Acquire: later accesses stay after it, as in a ring. */	\
		v = virt_load_acquire(&p[i % ACC_SLOTS]);			\
		/* Release: pairs with the acquire above, as in a ring. */	\
		virt_store_release(&p[ACC_SLOTS + i % ACC_SLOTS], v + 1);	\
	}									\
}										\
										\
static void acc_plain_##T(struct access_bench *b)				\
{										\
	unsigned int i;								\
	acc_##T v;								\
	typeof(v) *p = b->hva;							\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		v = READ_ONCE(p[i % ACC_SLOTS]);				\
		WRITE_ONCE(p[ACC_SLOTS + i % ACC_SLOTS], v + 1);		\
	}									\
}										\
										\
static void acc_vmmem_relaxed_##T(struct access_bench *b)			\
{										\
	unsigned int i;								\
	acc_##T v = 0;								\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		vmmem_load(b->vm, ACC_GPA + (i % ACC_SLOTS) * sizeof(v), &v);	\
		vmmem_store(b->vm, ACC_GPA + (ACC_SLOTS +			\
			    i % ACC_SLOTS) * sizeof(v), (acc_##T)(v + 1));	\
	}									\
}										\
										\
/* Relaxed accesses through the cache: one compare, then the access. */	\
static void acc_cache_relaxed_##T(struct access_bench *b)			\
{										\
	unsigned int i;								\
	acc_##T v = 0;								\
										\
	for (i = 0; i < ACCESSES; i++) {					\
		vmmem_load(&b->cache, ACC_GPA + (i % ACC_SLOTS) * sizeof(v), &v); \
		vmmem_store(&b->cache, ACC_GPA + (ACC_SLOTS +			\
			    i % ACC_SLOTS) * sizeof(v), (acc_##T)(v + 1));	\
	}									\
}

ACC_BENCH(u16)
ACC_BENCH(u32)
ACC_BENCH(u64)

typedef void (*acc_fn)(struct access_bench *b);

/* One row: the floor, vmmem, the cache and, for information, another floor. */
struct acc_row {
	const char *name;
	acc_fn floor, vmmem, cache, other;
};

#define ACC_ORDERED(T) \
	{ #T " acquire/release", acc_virt_##T, acc_vmmem_##T, acc_cache_##T, acc_smp_##T }
#define ACC_RELAXED(T) \
	{ #T " relaxed", acc_plain_##T, acc_vmmem_relaxed_##T, acc_cache_relaxed_##T, NULL }

static const struct acc_row acc_rows[] = {
	ACC_ORDERED(u16), ACC_ORDERED(u32), ACC_ORDERED(u64),
	ACC_RELAXED(u16), ACC_RELAXED(u32), ACC_RELAXED(u64),
};

static u64 acc_time(void (*fn)(struct access_bench *b), struct access_bench *b)
{
	u64 start = ktime_get_ns();

	fn(b);
	return max(ktime_get_ns() - start, 1ULL);
}

static void vmmem_bench_access(struct kunit *test)
{
	struct access_bench b = { .vm = fx_create(test) };
	u64 t[4][REPEATS], vm_ratio[REPEATS], cache_ratio[REPEATS];
	char s[4][24], r1[64], r2[64], name[32];
	const struct acc_row *row;
	struct vmmem_slice slice;
	unsigned int w, r;

	fx_add(test, b.vm, ACC_GPA, FX_P, 0);
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(b.vm, ACC_GPA,
						  2 * ACC_SLOTS * sizeof(u64),
						  VMMEM_READ | VMMEM_WRITE, &b.cache));
	rcu_read_lock();
	KUNIT_ASSERT_EQ(test, 0, vmmem_find_slice(b.vm, ACC_GPA, FX_P,
						  VMMEM_READ | VMMEM_WRITE, &slice));
	rcu_read_unlock();
	/* vmalloc memory: stays put while the map holds it. */
	b.hva = slice.wptr;

	kunit_info(test, "load + store pair, ns (median of %d); throughput against the floor, min / median / max\n",
		   REPEATS);
	kunit_info(test, "floor: virt_*() for acquire/release (smp_*() shown too), READ_ONCE()/WRITE_ONCE() for relaxed\n");
	for (w = 0; w < ARRAY_SIZE(acc_rows); w++) {
		row = &acc_rows[w];
		for (r = 0; r < REPEATS; r++) {
			t[0][r] = acc_time(row->floor, &b);
			t[1][r] = acc_time(row->vmmem, &b);
			t[2][r] = acc_time(row->cache, &b);
			t[3][r] = row->other ? acc_time(row->other, &b) : 0;
			vm_ratio[r] = div64_u64(t[0][r] * 1000, t[1][r]);
			cache_ratio[r] = div64_u64(t[0][r] * 1000, t[2][r]);
		}
		for (r = 0; r < 4; r++)
			milli(s[r], median(t[r]) * 1000 / ACCESSES);
		kunit_info(test, "%-20s floor %s  vmmem %s  cache %s%s%s  vmmem %s  cache %s\n",
			   row->name, s[0], s[1], s[2], row->other ? "  smp_*() " : "",
			   row->other ? s[3] : "",
			   spread(r1, sizeof(r1), vm_ratio),
			   spread(r2, sizeof(r2), cache_ratio));
		snprintf(name, sizeof(name), "%s", row->name);
		strreplace(name, ' ', '_');
		strreplace(name, '/', '_');
		pr_info("bench: access_%s_vs_floor %s ratio\n", name,
			milli(s[0], vm_ratio[REPEATS / 2]));
		pr_info("bench: access_cache_%s_vs_floor %s ratio\n", name,
			milli(s[0], cache_ratio[REPEATS / 2]));
	}
}

/* Slab pages in use, reclaimable or not. */
static long slab_pages(void)
{
	return global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) +
	       global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
}

/*
 * Add and remove latency at each N; memory per region: the slab pages that
 * building the map took (region, page array, vmap bookkeeping, maple tree
 * and lookup array, which is kmalloc'd at these sizes), in whole pages, so
 * small N read 0. The bench's own arrays are built outside the count, and
 * frees that earlier cases left pending are let run first.
 */
static void vmmem_bench_hotplug(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 8, 64, 512, 4096, 32764 };
	u64 t_add[REPEATS], t_rm[REPEATS], start;
	struct vmmem_update *adds, *add, rm;
	struct lookup_bench b = {};
	long slab_before, slab_after;
	char s1[64], s2[64];
	unsigned int c, r;

	adds = page_adds(test, counts[ARRAY_SIZE(counts) - 1]);
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		rcu_barrier();
		slab_before = slab_pages();
		build_map(test, &b, counts[c], adds);
		slab_after = slab_pages();
		/* The region just above the map's. */
		add = &adds[counts[c]];
		rm = (struct vmmem_update){
			.op = VMMEM_REMOVE,
			.gpa = add->gpa,
			.size = PAGE_SIZE,
		};
		for (r = 0; r < REPEATS; r++) {
			start = ktime_get_ns();
			KUNIT_ASSERT_EQ(test, 0, vmmem_update(b.vm, add, 1));
			t_add[r] = ktime_get_ns() - start;
			start = ktime_get_ns();
			KUNIT_ASSERT_EQ(test, 0, vmmem_update(b.vm, &rm, 1));
			t_rm[r] = ktime_get_ns() - start;
		}
		slab_after = slab_after > slab_before ?
			     (slab_after - slab_before) * PAGE_SIZE / counts[c] : 0;
		kunit_info(test, "N=%-5u add %s us, remove %s us (min / median / max of %d), slab %ld bytes per region\n",
			   counts[c], spread(s1, sizeof(s1), t_add),
			   spread(s2, sizeof(s2), t_rm), REPEATS, slab_after);
		pr_info("bench: hotplug_add_%u %s us\n", counts[c],
			milli(s1, t_add[REPEATS / 2]));
		pr_info("bench: hotplug_remove_%u %s us\n", counts[c],
			milli(s2, t_rm[REPEATS / 2]));
		pr_info("bench: slab_per_region_%u %ld bytes\n", counts[c], slab_after);
		vmmem_put(b.vm);
	}
	/* Per GiB of guest memory, user and page-array regions keep the page
	 * array; dirty logging adds one bit per page.
	 */
	kunit_info(test, "per GiB: page array %lu bytes, dirty bitmap %lu bytes\n",
		   (SZ_1G / PAGE_SIZE) * sizeof(struct page *), SZ_1G / PAGE_SIZE / 8);
	pr_info("bench: metadata_page_array_per_gib %lu bytes\n",
		(SZ_1G / PAGE_SIZE) * sizeof(struct page *));
	pr_info("bench: metadata_dirty_bitmap_per_gib %lu bytes\n", SZ_1G / PAGE_SIZE / 8);
}

struct reader {
	struct lookup_bench *b;
	u64 ops, cpu_ns;
	bool stop;
	struct completion done;
};

static int reader_fn(void *data)
{
	struct reader *rd = data;
	u64 cpu = current->se.sum_exec_runtime;
	unsigned long i = 0;
	u8 v;

	while (!READ_ONCE(rd->stop)) {
		vmmem_load(rd->b->vm, rd->b->addr[i++ % NADDR], &v);
		if (!(i & 1023))
			cond_resched();
	}
	rd->ops = i;
	rd->cpu_ns = current->se.sum_exec_runtime - cpu;
	complete(&rd->done);
	return 0;
}

/*
 * Reads per CPU-nanosecond with and without a concurrent hotplugger, which
 * adds and removes @add, a region outside the map.
 */
static u64 reader_rate(struct kunit *test, struct lookup_bench *b, bool hotplug,
		       const struct vmmem_update *add)
{
	struct reader rd = { .b = b };
	struct task_struct *t;
	unsigned long end = jiffies + HZ / 5;
	struct vmmem_update rm = {
		.op = VMMEM_REMOVE, .gpa = add->gpa, .size = add->size,
	};

	init_completion(&rd.done);
	t = kthread_run(reader_fn, &rd, "vmmem-bench-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	while (time_before(jiffies, end)) {
		if (hotplug) {
			vmmem_update(b->vm, add, 1);
			vmmem_update(b->vm, &rm, 1);
		}
		schedule();
	}
	WRITE_ONCE(rd.stop, true);
	wait_for_completion(&rd.done);
	return div64_u64(rd.ops * 1000000, max(rd.cpu_ns, 1ULL));
}

static void vmmem_bench_readers_under_hotplug(struct kunit *test)
{
	u64 quiet, busy, ratios[REPEATS];
	struct lookup_bench b = {};
	struct vmmem_update *adds;
	struct rnd_state rnd;
	char s1[64];
	unsigned int r;

	adds = page_adds(test, 512);
	b.addr = kunit_kmalloc_array(test, NADDR, sizeof(*b.addr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.addr);
	prandom_seed_state(&rnd, 7);
	build(test, &b, 512, adds);
	fill_addrs(&b, true, &rnd);
	for (r = 0; r < REPEATS; r++) {
		quiet = reader_rate(test, &b, false, &adds[512]);
		busy = reader_rate(test, &b, true, &adds[512]);
		ratios[r] = div64_u64(busy * 1000, max(quiet, 1ULL));
	}
	/* One CPU under UML: throughput per reader CPU time, not wall time. */
	kunit_info(test, "reader throughput per CPU time, hotplug / quiet, min / median / max: %s\n",
		   spread(s1, sizeof(s1), ratios));
	pr_info("bench: readers_under_hotplug %s ratio\n",
		milli(s1, ratios[REPEATS / 2]));
	teardown(&b);
}

/*
 * IOVA spaces against vhost's IOTLB, both holding the same N one-page
 * entries at random IOVAs (even pages; the odd ones stay free) onto the
 * map's one-page regions: the rate of mapping and unmapping one more page,
 * and a random lookup + 1-byte load, which vmmem makes through
 * vmmem_load() on the space (the entry, then the map's region) and vhost
 * through vhost_iotlb_itree_first() and the kernel address it stores. The
 * map's own lookup of the guest-physical addresses behind is timed too.
 * Both remapping loops call cond_resched() every 64 maps, as a worker
 * thread does: without it no grace period could end inside vmmem's loop
 * (one CPU, no preemption), and 20000 unmapped entries would wait for
 * kfree_rcu() while every map took fresh memory (909 ns per map + unmap
 * at 65536 entries, against 422 with a plain kfree() in its place).
 */
#define IOVA_MAPS	20000U

struct iova_bench {
	struct vmmem_iova *iova;
	struct vhost_iotlb *iotlb;
	struct vmmem *vm;
	u64 *iaddr;		/* NADDR IOVAs to look up */
	u64 *gaddr;		/* the guest-physical addresses behind them */
	u64 *spare;		/* NADDR free IOVA pages */
	u64 spare_hva;		/* what vhost's spare entries point at */
	unsigned long iters;
	u64 sink;
};

/* The same loop for the space and for the map behind it. */
static void iova_load_all(struct iova_bench *ib, union vmmem_space space,
			  const u64 *addr)
{
	unsigned long i;
	u8 v;

	for (i = 0; i < ib->iters; i++)
		if (!vmmem_load(space, addr[i % NADDR], &v))
			ib->sink += v;
}

static void iova_lookup_vmmem(struct iova_bench *ib)
{
	iova_load_all(ib, ib->iova, ib->iaddr);
}

static void iova_lookup_gpa(struct iova_bench *ib)
{
	iova_load_all(ib, ib->vm, ib->gaddr);
}

/*
 * Not an alternative: the space's translation called as vmmem_load()
 * calls it, without the exported call and the access checks around it,
 * then the same 1-byte load: what the IOVA search and its checks cost.
 */
static void iova_resolve_only(struct iova_bench *ib)
{
	union vmmem_space space = { .iova = ib->iova };
	struct vmmem_xlate x;
	unsigned long i;

	for (i = 0; i < ib->iters; i++) {
		rcu_read_lock();
		x = vmmem_iova_resolve(space.map, ib->iaddr[i % NADDR], VMMEM_READ);
		if (!x.ret)
			ib->sink += READ_ONCE(*(u8 *)(x.region->hva +
						      (x.gpa - x.region->gpa)));
		rcu_read_unlock();
	}
}

static void iova_lookup_vhost(struct iova_bench *ib)
{
	struct vhost_iotlb_map *map;
	unsigned long i;
	u64 a;

	for (i = 0; i < ib->iters; i++) {
		a = ib->iaddr[i % NADDR];
		map = vhost_iotlb_itree_first(ib->iotlb, a, a);
		if (map)
			ib->sink += READ_ONCE(*(u8 *)(uintptr_t)(map->addr + a - map->start));
	}
}

static void iova_remap_vmmem(struct iova_bench *ib)
{
	unsigned long i;
	u64 a;

	for (i = 0; i < ib->iters; i++) {
		a = ib->spare[i % NADDR];
		ib->sink += vmmem_iova_map(ib->iova, a, PAGE_SIZE, 0, VMMEM_READ);
		ib->sink += vmmem_iova_unmap(ib->iova, a, PAGE_SIZE);
		if (i % 64 == 63)
			cond_resched();
	}
}

static void iova_remap_vhost(struct iova_bench *ib)
{
	unsigned long i;
	u64 a;

	for (i = 0; i < ib->iters; i++) {
		a = ib->spare[i % NADDR];
		ib->sink += vhost_iotlb_add_range(ib->iotlb, a, a + PAGE_SIZE - 1,
						  ib->spare_hva, VHOST_MAP_RO);
		vhost_iotlb_del_range(ib->iotlb, a, a + PAGE_SIZE - 1);
		if (i % 64 == 63)
			cond_resched();
	}
}

static u64 iova_time(void (*fn)(struct iova_bench *ib), struct iova_bench *ib)
{
	u64 start = ktime_get_ns();

	fn(ib);
	return max(ktime_get_ns() - start, 1ULL);
}

/* Per op, in thousandths of a nanosecond, for @ops ops per run. */
static u64 per_ops(u64 *t, unsigned long ops)
{
	return div64_u64(median(t) * 1000, ops);
}

static void vmmem_bench_iova(struct kunit *test)
{
	static const unsigned int counts[] = { 64, 4096, 65536 };
	u64 t_map[REPEATS], t_vmap[REPEATS], t_io[REPEATS], t_gpa[REPEATS];
	u64 t_vh[REPEATS], r_map[REPEATS], r_vh[REPEATS], r_gpa[REPEATS];
	u64 t_only[REPEATS], r_only[REPEATS];
	char s[8][24];
	struct iova_bench ib = {};
	struct lookup_bench lb = {};
	struct vmmem_update *adds;
	struct vmmem_slice slice;
	unsigned int c, i, r, n, m, *perm, k;
	struct rnd_state rnd;
	u64 page;

	adds = page_adds(test, 32764);
	ib.iaddr = kunit_kmalloc_array(test, NADDR, sizeof(u64), GFP_KERNEL);
	ib.gaddr = kunit_kmalloc_array(test, NADDR, sizeof(u64), GFP_KERNEL);
	ib.spare = kunit_kmalloc_array(test, NADDR, sizeof(u64), GFP_KERNEL);
	perm = kvmalloc_array(counts[ARRAY_SIZE(counts) - 1], sizeof(*perm), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, ib.iaddr && ib.gaddr && ib.spare && perm);
	prandom_seed_state(&rnd, 16);
	kunit_info(test, "IOVA spaces against vhost_iotlb, ns per op (median of %d); ratios per repeat, median\n",
		   REPEATS);

	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		n = counts[c];
		m = min(n, 32764U);	/* regions of the map behind */
		build_map(test, &lb, m, adds);
		ib.vm = lb.vm;
		ib.iova = vmmem_iova_create(lb.vm, NULL, NULL);
		ib.iotlb = vhost_iotlb_alloc(2 * n, 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(ib.iova) || !ib.iotlb);
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			/* Not inside swap(), which reads its arguments twice. */
			k = prandom_u32_state(&rnd) % (i + 1);
			swap(perm[i], perm[k]);
		}
		rcu_read_lock();
		for (i = 0; i < n; i++) {
			page = 2ULL * perm[i] * PAGE_SIZE;
			vmmem_find_slice(lb.vm, 2ULL * (i % m) * PAGE_SIZE, PAGE_SIZE,
					 VMMEM_READ, &slice);
			if (vhost_iotlb_add_range(ib.iotlb, page, page + PAGE_SIZE - 1,
						  (uintptr_t)slice.ptr, VHOST_MAP_RW))
				break;
			if (!i)
				ib.spare_hva = (uintptr_t)slice.ptr;
		}
		rcu_read_unlock();
		KUNIT_ASSERT_EQ(test, i, n);
		for (i = 0; i < n; i++)
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(ib.iova, 2ULL * perm[i] * PAGE_SIZE,
								PAGE_SIZE,
								2ULL * (i % m) * PAGE_SIZE,
								VMMEM_READ | VMMEM_WRITE));
		for (i = 0; i < NADDR; i++) {
			k = prandom_u32_state(&rnd) % n;
			page = prandom_u32_state(&rnd) % PAGE_SIZE;
			ib.iaddr[i] = 2ULL * perm[k] * PAGE_SIZE + page;
			ib.gaddr[i] = 2ULL * (k % m) * PAGE_SIZE + page;
			ib.spare[i] = (2ULL * (prandom_u32_state(&rnd) % n) + 1) * PAGE_SIZE;
		}

		for (r = 0; r < REPEATS; r++) {
			ib.iters = IOVA_MAPS;
			t_map[r] = iova_time(iova_remap_vmmem, &ib);
			t_vmap[r] = iova_time(iova_remap_vhost, &ib);
			r_map[r] = div64_u64(t_vmap[r] * 1000, t_map[r]);
			ib.iters = LOOKUPS;
			t_io[r] = iova_time(iova_lookup_vmmem, &ib);
			t_gpa[r] = iova_time(iova_lookup_gpa, &ib);
			t_vh[r] = iova_time(iova_lookup_vhost, &ib);
			t_only[r] = iova_time(iova_resolve_only, &ib);
			r_vh[r] = div64_u64(t_vh[r] * 1000, t_io[r]);
			r_only[r] = div64_u64(t_vh[r] * 1000, t_only[r]);
			r_gpa[r] = div64_u64(t_io[r] * 1000, t_gpa[r]);
		}
		median(r_map);
		median(r_vh);
		median(r_gpa);
		median(r_only);
		kunit_info(test, "N=%-5u map+unmap: vmmem %s  vhost_iotlb %s  (vhost / vmmem %s)\n",
			   n, milli(s[0], per_ops(t_map, IOVA_MAPS)),
			   milli(s[1], per_ops(t_vmap, IOVA_MAPS)),
			   milli(s[2], r_map[REPEATS / 2]));
		kunit_info(test, "N=%-5u lookup + load: vmmem IOVA %s  map (N=%u) %s  vhost_iotlb %s  (vhost / IOVA %s, IOVA / map %s)\n",
			   n, milli(s[3], per_ops(t_io, LOOKUPS)), m,
			   milli(s[4], per_ops(t_gpa, LOOKUPS)),
			   milli(s[5], per_ops(t_vh, LOOKUPS)),
			   milli(s[6], r_vh[REPEATS / 2]), milli(s[7], r_gpa[REPEATS / 2]));
		pr_info("bench: iova_map_unmap_%u_vmmem %s ns\n", n, s[0]);
		pr_info("bench: iova_map_unmap_%u_vhost_vs_vmmem %s ratio\n", n, s[2]);
		pr_info("bench: iova_lookup_%u_vmmem %s ns\n", n, s[3]);
		pr_info("bench: iova_lookup_%u_vhost_vs_vmmem %s ratio\n", n, s[6]);
		pr_info("bench: iova_lookup_%u_vs_map %s ratio\n", n, s[7]);
		kunit_info(test, "N=%-5u IOVA translation only + load: %s  (vhost / it %s)\n",
			   n, milli(s[0], per_ops(t_only, LOOKUPS)),
			   milli(s[1], r_only[REPEATS / 2]));
		pr_info("bench: iova_resolve_only_%u %s ns\n", n, s[0]);
		pr_info("bench: iova_resolve_only_%u_vhost_vs_vmmem %s ratio\n", n, s[1]);

		vhost_iotlb_free(ib.iotlb);
		vmmem_iova_destroy(ib.iova);
		teardown(&lb);
	}
	kvfree(perm);
}

static struct kunit_case vmmem_bench_map_cases[] = {
	KUNIT_CASE_SLOW(vmmem_bench_lookup),
	KUNIT_CASE_SLOW(vmmem_bench_lookup_growth),
	KUNIT_CASE_SLOW(vmmem_bench_access),
	KUNIT_CASE_SLOW(vmmem_bench_hotplug),
	KUNIT_CASE_SLOW(vmmem_bench_readers_under_hotplug),
	KUNIT_CASE_SLOW(vmmem_bench_iova),
	{}
};

static struct kunit_suite vmmem_bench_map_suite = {
	.name = "vmmem_bench_map",
	.test_cases = vmmem_bench_map_cases,
};

kunit_test_suite(vmmem_bench_map_suite);
