// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_bench_map: lookups against the structures kernel developers use
 * today, single accesses against the plain-pointer floor, hotplug latency
 * and readers under hotplug, and metadata size. Built only with
 * CONFIG_VMMEM_BENCH (make bench); prints, asserts nothing.
 */
#include <kunit/test.h>
#include <linux/bsearch.h>
#include <linux/interval_tree.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "fixture.h"

#define REPEATS		7
#define NADDR		4096
#define LOOKUPS		200000U

struct flat_region {
	u64 gpa;
	u64 size;
	void *hva;
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
	u8 v;

	for (i = 0; i < b->iters; i++) {
		vmmem_load_u8(b->vm, b->addr[i % NADDR], &v);
		b->sink += v;
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

/* N one-page regions two pages apart, over one shared zeroed page. */
static void build(struct kunit *test, struct lookup_bench *b, unsigned int n,
		  struct page *page)
{
	struct vmmem_batch *batch;
	struct vmmem_slice slice;
	unsigned int i;

	b->vm = vmmem_create();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b->vm);
	b->n = n;
	b->flat = kvcalloc(n, sizeof(*b->flat), GFP_KERNEL);
	b->itnodes = kvcalloc(n, sizeof(*b->itnodes), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b->flat && b->itnodes);
	batch = vmmem_batch_create(b->vm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, batch);
	for (i = 0; i < n; i++)
		vmmem_batch_add_pages(batch, 2ULL * i * PAGE_SIZE, &page, 1, 0);
	KUNIT_ASSERT_EQ(test, 0, vmmem_batch_commit(batch));

	b->itree = RB_ROOT_CACHED;
	rcu_read_lock();
	for (i = 0; i < n; i++) {
		vmmem_get_slice(b->vm, 2ULL * i * PAGE_SIZE, PAGE_SIZE, VMMEM_READ, &slice);
		b->flat[i] = (struct flat_region){ slice.gpa, PAGE_SIZE, slice.ptr };
		b->itnodes[i].start = slice.gpa;
		b->itnodes[i].last = slice.gpa + PAGE_SIZE - 1;
		interval_tree_insert(&b->itnodes[i], &b->itree);
	}
	rcu_read_unlock();
	b->last_used = 0;
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

/* Throughput ratio @a_ns / @b_ns as "x.yyy" (1.000: as fast). */
static const char *ratio(char *buf, u64 base_ns, u64 ns)
{
	return milli(buf, div64_u64(base_ns * 1000, ns));
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

static void vmmem_bench_lookup(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 8, 64, 512, 4096, 32764 };
	static const char * const alt_name[] = { "linear", "sorted+last", "itree" };
	char s1[24], s2[24], s3[24], s4[24];
	struct lookup_bench b = {};
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	u64 t_vm[REPEATS], t_alt[3][REPEATS], ns_n8 = 1, ns, best;
	struct rnd_state rnd;
	unsigned int c, a, r, pattern;

	KUNIT_ASSERT_NOT_NULL(test, page);
	b.addr = kunit_kmalloc_array(test, NADDR, sizeof(*b.addr), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.addr);
	prandom_seed_state(&rnd, 42);

	kunit_info(test, "lookup + 1-byte load, ns per op (median of %d); vmmem / best alternative\n",
		   REPEATS);
	for (pattern = 0; pattern < 2; pattern++) {
		for (c = 0; c < ARRAY_SIZE(counts); c++) {
			build(test, &b, counts[c], page);
			fill_addrs(&b, pattern == 0, &rnd);
			b.iters = LOOKUPS;
			for (r = 0; r < REPEATS; r++) {
				t_vm[r] = time_ns(lookup_vmmem, &b);
				for (a = 0; a < ARRAY_SIZE(alt); a++) {
					/* The linear scan gets fewer rounds at large N. */
					b.iters = a ? LOOKUPS : max(2000U, LOOKUPS / counts[c]);
					t_alt[a][r] = div64_u64(time_ns(alt[a], &b) * LOOKUPS,
								b.iters);
					b.iters = LOOKUPS;
				}
			}
			/* Per op, in thousandths of a nanosecond. */
			ns = median(t_vm) * 1000 / LOOKUPS;
			best = min3(median(t_alt[0]), median(t_alt[1]), median(t_alt[2]));
			kunit_info(test, "%s N=%-5u vmmem %s  %s %s  %s %s  %s %s\n",
				   pattern ? "seq " : "rand", counts[c], milli(s1, ns),
				   alt_name[0], milli(s2, median(t_alt[0]) * 1000 / LOOKUPS),
				   alt_name[1], milli(s3, median(t_alt[1]) * 1000 / LOOKUPS),
				   alt_name[2], milli(s4, median(t_alt[2]) * 1000 / LOOKUPS));
			pr_info("bench: lookup_%s_%u_vmmem %s ns\n",
				pattern ? "seq" : "rand", counts[c], milli(s1, ns));
			pr_info("bench: lookup_%s_%u_vs_best %s ratio\n",
				pattern ? "seq" : "rand", counts[c],
				ratio(s2, best, median(t_vm)));
			if (pattern == 0 && counts[c] == 8)
				ns_n8 = ns;
			if (pattern == 0 && counts[c] == 32764)
				pr_info("bench: lookup_rand_growth_8_to_32764 %s ratio (log2: 5.000)\n",
					ratio(s1, ns, ns_n8));
			teardown(&b);
		}
	}
	put_page(page);
}

static struct kunit_case vmmem_bench_map_cases[] = {
	KUNIT_CASE_SLOW(vmmem_bench_lookup),
	{}
};

static struct kunit_suite vmmem_bench_map_suite = {
	.name = "vmmem_bench_map",
	.test_cases = vmmem_bench_map_cases,
};

kunit_test_suite(vmmem_bench_map_suite);
