// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_bench: side-by-side measurements, printed as ratios, never
 * asserted. Built only with CONFIG_VMMEM_BENCH (make bench), on a non-debug
 * kernel. Each figure is measured REPEATS times with the two sides
 * interleaved, and reported as min/median/max of the per-repeat ratios.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"
#include "../vmmem/vmmem_trace.h"

#define REPEATS		15
#define BENCH_GPA	BIT_ULL(30)
#define BENCH_SIZE	SZ_4M

struct bench {
	struct vmmem *vm;
	struct vmmem *mc;	/* the same layout, created VMMEM_MC_SAFE */
	struct vmmem *mapped;	/* @guest as a region mapped on access */
	void *guest;		/* a second vmalloc area: memcpy()'s floor */
	u8 *buf;
	size_t len;
	unsigned long iters;
	size_t copied;		/* what the iterator copies returned */
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Prints "name: min/median/max" of ratios given in thousandths. */
static void report(struct kunit *test, const char *name, u64 *ratios)
{
	sort(ratios, REPEATS, sizeof(*ratios), cmp_u64, NULL);
	kunit_info(test, "%-36s %llu.%03llu / %llu.%03llu / %llu.%03llu\n", name,
		   ratios[0] / 1000, ratios[0] % 1000,
		   ratios[REPEATS / 2] / 1000, ratios[REPEATS / 2] % 1000,
		   ratios[REPEATS - 1] / 1000, ratios[REPEATS - 1] % 1000);
	pr_info("bench: %s %llu.%03llu ratio\n", name,
		ratios[REPEATS / 2] / 1000, ratios[REPEATS / 2] % 1000);
}

typedef void (*bench_fn)(struct bench *b);

static u64 run_ns(bench_fn fn, struct bench *b)
{
	u64 start = ktime_get_ns();

	fn(b);
	return max(ktime_get_ns() - start, 1ULL);
}

static __always_inline void copy_to_map(struct bench *b, struct vmmem *vm)
{
	unsigned long i;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		vmmem_copy_to_guest(vm, BENCH_GPA + off, b->buf, b->len);
	}
}

static void copy_to_vmmem(struct bench *b)
{
	copy_to_map(b, b->vm);
}

static void copy_to_memcpy(struct bench *b)
{
	unsigned long i;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		memcpy(b->guest + off, b->buf, b->len);
		barrier();
	}
}

static __always_inline void copy_from_map(struct bench *b, struct vmmem *vm)
{
	unsigned long i;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		vmmem_copy_from_guest(vm, BENCH_GPA + off, b->buf, b->len);
	}
}

static void copy_from_vmmem(struct bench *b)
{
	copy_from_map(b, b->vm);
}

static void copy_from_mc_safe(struct bench *b)
{
	copy_from_map(b, b->mc);
}

static void copy_from_mapped(struct bench *b)
{
	copy_from_map(b, b->mapped);
}

static void copy_to_mapped(struct bench *b)
{
	copy_to_map(b, b->mapped);
}

/*
 * The cheapest provider there can be: its memory is always mapped, so what
 * the rows measure is vmmem's own price for memory mapped on access (two calls
 * and a page-sized piece loop), the floor under any real provider.
 */
static int bench_map(void *priv, unsigned long index, unsigned int access,
		     void **kaddr)
{
	*kaddr = priv + index * PAGE_SIZE;
	return 0;
}

static void bench_unmap(void *priv, unsigned long index, void *kaddr)
{
}

/* Translations: the pages under the same memory, a batch per call. */
static int bench_map_pages(void *priv, unsigned long index, unsigned int nr,
			   unsigned int access, struct page **pages)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		pages[i] = vmalloc_to_page(priv + (index + i) * PAGE_SIZE);
	return 0;
}

static void bench_unmap_pages(void *priv, unsigned long index,
			      unsigned int nr, struct page **pages)
{
}

static const struct vmmem_mapper_ops bench_mapper = {
	.map = bench_map,
	.unmap = bench_unmap,
	.map_pages = bench_map_pages,
	.unmap_pages = bench_unmap_pages,
};

#define BENCH_BVECS	16

/* Translations of @b->len bytes and their release, read by a device. */
static void translate_in(struct bench *b, struct vmmem *vm)
{
	struct bio_vec bvs[BENCH_BVECS];
	struct vmmem_slice held[BENCH_BVECS];
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = BENCH_BVECS };
	unsigned long i;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		if (!vmmem_translate(vm, BENCH_GPA + off, b->len, VMMEM_READ, &bv))
			vmmem_untranslate(&bv);
	}
}

static void translate_plain(struct bench *b)
{
	translate_in(b, b->vm);
}

static void translate_mapped(struct bench *b)
{
	translate_in(b, b->mapped);
}

/* Holds of the same ranges: what a translation adds to one is its pages. */
static void hold_plain(struct bench *b)
{
	struct vmmem_slice held[BENCH_BVECS];
	unsigned long i;
	unsigned int nr;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		nr = BENCH_BVECS;
		if (!vmmem_hold(b->vm, BENCH_GPA + off, b->len, VMMEM_READ, held, &nr))
			vmmem_release(held, nr);
	}
}

static void copy_from_memcpy(struct bench *b)
{
	unsigned long i;
	u64 off;

	for (i = 0; i < b->iters; i++) {
		off = (i * b->len) % BENCH_SIZE;
		memcpy(b->buf, b->guest + off, b->len);
		barrier();
	}
}

/*
 * Copies that cross from the first region into the adjacent second one,
 * split at a different 64-byte boundary each time; memcpy() copies the
 * same bytes inside one area.
 */
static u64 cross_off(unsigned long i)
{
	return BENCH_SIZE - SZ_4K + 64 * (1 + i % 63);
}

static void cross_to_vmmem(struct bench *b)
{
	unsigned long i;

	for (i = 0; i < b->iters; i++)
		vmmem_copy_to_guest(b->vm, BENCH_GPA + cross_off(i), b->buf, b->len);
}

static void cross_to_memcpy(struct bench *b)
{
	unsigned long i;

	for (i = 0; i < b->iters; i++) {
		memcpy(b->guest + cross_off(i) - BENCH_SIZE / 2, b->buf, b->len);
		barrier();
	}
}

static void cross_from_vmmem(struct bench *b)
{
	unsigned long i;

	for (i = 0; i < b->iters; i++)
		vmmem_copy_from_guest(b->vm, BENCH_GPA + cross_off(i), b->buf, b->len);
}

static void cross_from_memcpy(struct bench *b)
{
	unsigned long i;

	for (i = 0; i < b->iters; i++) {
		memcpy(b->buf, b->guest + cross_off(i) - BENCH_SIZE / 2, b->len);
		barrier();
	}
}

static void iter_from_vmmem(struct bench *b)
{
	struct kvec kv = { .iov_base = b->buf, .iov_len = b->len };
	struct iov_iter iter;
	unsigned long i;

	for (i = 0; i < b->iters; i++) {
		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, b->len);
		b->copied += vmmem_copy_to_iter(b->vm, BENCH_GPA +
						(i * b->len) % BENCH_SIZE,
						&iter, b->len);
	}
}

/* The floor: copy_to_iter() from a plain kernel buffer. */
static void iter_from_buffer(struct bench *b)
{
	struct kvec kv = { .iov_base = b->buf, .iov_len = b->len };
	struct iov_iter iter;
	unsigned long i;

	for (i = 0; i < b->iters; i++) {
		iov_iter_kvec(&iter, ITER_DEST, &kv, 1, b->len);
		b->copied += copy_to_iter(b->guest + (i * b->len) % BENCH_SIZE,
					  b->len, &iter);
	}
}

/*
 * Writes after clearing every dirty bit, so that with logging on each
 * write marks its page (the costly case); compare() toggles logging.
 */
/* Relaxed 4-byte loads, one per 8 bytes of the region. */
static void load_vmmem(struct bench *b)
{
	unsigned long i;
	u32 v, sum = 0;

	for (i = 0; i < b->iters; i++) {
		vmmem_load(b->vm, BENCH_GPA + (i * 8) % BENCH_SIZE, &v);
		sum += v;
	}
	b->copied = sum;
}

/* Copies that stop at once: the start of the range is a hole. */
static void copy_from_hole(struct bench *b)
{
	unsigned long i;

	for (i = 0; i < b->iters; i++)
		vmmem_copy_from_guest(b->vm, BENCH_GPA - b->len, b->buf, b->len);
}

static void write_after_clear(struct bench *b)
{
	vmmem_dirty_harvest(b->vm, BENCH_GPA, BENCH_SIZE, NULL);
	copy_to_vmmem(b);
}

/* Ratio of throughputs a / b, in thousandths, interleaved REPEATS times. */
static void compare(struct kunit *test, struct bench *b, const char *name,
		    bench_fn a, bench_fn base, bool log_a)
{
	u64 ratios[REPEATS], ta, tb;
	unsigned int r;

	for (r = 0; r < REPEATS; r++) {
		if (log_a)
			vmmem_dirty_log_start(b->vm);
		ta = run_ns(a, b);
		if (log_a)
			vmmem_dirty_log_stop(b->vm);
		tb = run_ns(base, b);
		ratios[r] = div64_u64(tb * 1000, ta);
	}
	report(test, name, ratios);
}

/*
 * What the statistics cost @fn: throughput with them on / off (1.000:
 * free), switched outside the timed runs.
 */
static void compare_stats(struct kunit *test, struct bench *b,
			  const char *name, bench_fn fn)
{
	u64 ratios[REPEATS], on, off;
	unsigned int r;

	for (r = 0; r < REPEATS; r++) {
		vmmem_kunit_stats_enable(false);
		off = run_ns(fn, b);
		vmmem_kunit_stats_enable(true);
		on = run_ns(fn, b);
		ratios[r] = div64_u64(off * 1000, on);
	}
	report(test, name, ratios);
}

static void probe_fault(void *data, const char *map, u64 addr, u64 len,
			unsigned int access, unsigned int cause,
			unsigned long caller)
{
	(*(unsigned long *)data)++;
}

/*
 * The vmmem_fault event on the path that fires it: throughput with a
 * probe attached / with the event off. No path that succeeds has an
 * event: off, an event is a static key's no-op on a failure path.
 */
static void compare_fault_event(struct kunit *test, struct bench *b)
{
	u64 ratios[REPEATS], on, off;
	unsigned long fired = 0;
	unsigned int r;

	for (r = 0; r < REPEATS; r++) {
		off = run_ns(copy_from_hole, b);
		if (register_trace_vmmem_fault(probe_fault, &fired)) {
			kunit_info(test, "vmmem_fault: no probe attached\n");
			return;
		}
		on = run_ns(copy_from_hole, b);
		unregister_trace_vmmem_fault(probe_fault, &fired);
		tracepoint_synchronize_unregister();
		ratios[r] = div64_u64(off * 1000, on);
	}
	report(test, "fault_event_probe_vs_off_64", ratios);
	if (fired != REPEATS * b->iters)
		kunit_info(test, "vmmem_fault fired %lu times, want %lu\n", fired,
			   REPEATS * b->iters);
}

static void vmmem_bench_copies(struct kunit *test)
{
	static const size_t sizes[] = { 8, 64, 512, 4096, 65536, 1 << 20 };
	/* 8 stays an untorn load on an MC-safe map; 9 cannot. */
	static const size_t mc_sizes[] = { 8, 9, 64, 4096 };
	struct bench b = { .vm = fx_create(test) };
	struct vmmem_slice slice;
	char name[48];
	unsigned int i;

	b.guest = vzalloc(BENCH_SIZE);
	b.buf = kvmalloc(1 << 20, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b.guest && b.buf);
	memset(b.buf, 0x3c, 1 << 20);
	fx_add(test, b.vm, BENCH_GPA, BENCH_SIZE, 0);

	kunit_info(test, "throughput ratio vmmem / memcpy (1.000 = the floor), min / median / max\n");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		b.len = sizes[i];
		b.iters = max(64UL, (64UL << 20) / b.len / 4);
		snprintf(name, sizeof(name), "copy_to_guest_%zu", b.len);
		compare(test, &b, name, copy_to_vmmem, copy_to_memcpy, false);
		snprintf(name, sizeof(name), "copy_from_guest_%zu", b.len);
		compare(test, &b, name, copy_from_vmmem, copy_from_memcpy, false);
	}

	kunit_info(test, "4 KiB copies across two adjacent regions, vmmem / memcpy\n");
	fx_add(test, b.vm, BENCH_GPA + BENCH_SIZE, SZ_64K, 0);
	b.len = SZ_4K;
	b.iters = (64UL << 20) / b.len / 4;
	/* Whole copies, not ones that stop at the end of the first region. */
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_to_guest(b.vm, BENCH_GPA + cross_off(0),
						     b.buf, b.len));
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(b.vm, BENCH_GPA + cross_off(62),
						       b.buf, b.len));
	compare(test, &b, "copy_to_guest_4096_cross", cross_to_vmmem,
		cross_to_memcpy, false);
	compare(test, &b, "copy_from_guest_4096_cross", cross_from_vmmem,
		cross_from_memcpy, false);

	/*
	 * UML has no copy_mc_to_kernel() of its own (the generic one is
	 * memcpy()): these rows measure what the safe path costs vmmem, not
	 * the architecture's machine-check-safe copy.
	 */
	kunit_info(test, "copies out of a VMMEM_MC_SAFE map / a plain map\n");
	b.mc = vmmem_create("bench-mc", VMMEM_MC_SAFE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b.mc));
	fx_add(test, b.mc, BENCH_GPA, BENCH_SIZE, 0);
	for (i = 0; i < ARRAY_SIZE(mc_sizes); i++) {
		b.len = mc_sizes[i];
		b.iters = max(64UL, (64UL << 20) / b.len / 4);
		snprintf(name, sizeof(name), "copy_from_guest_mc_safe_%zu", b.len);
		compare(test, &b, name, copy_from_mc_safe, copy_from_vmmem, false);
	}
	vmmem_put(b.mc);

	kunit_info(test, "copies with a region mapped on access (a provider that maps at once) / a plain map\n");
	/* The provider maps the plain map's own memory: same bytes, same TLB. */
	rcu_read_lock();
	KUNIT_ASSERT_EQ(test, 0, vmmem_find_slice(b.vm, BENCH_GPA, BENCH_SIZE,
						  VMMEM_READ, &slice));
	rcu_read_unlock();
	b.mapped = fx_create(test);
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(b.mapped, &(struct vmmem_update){
			.op = VMMEM_ADD_MAPPED, .gpa = BENCH_GPA, .size = BENCH_SIZE,
			.mapper = &bench_mapper, .priv = (void *)slice.ptr }, 1));
	for (i = 0; i < 4; i++) {
		b.len = sizes[i];
		b.iters = max(64UL, (64UL << 20) / b.len / 4);
		snprintf(name, sizeof(name), "mapped_vs_plain_copy_from_%zu", b.len);
		compare(test, &b, name, copy_from_mapped, copy_from_vmmem, false);
		snprintf(name, sizeof(name), "mapped_vs_plain_copy_to_%zu", b.len);
		compare(test, &b, name, copy_to_mapped, copy_to_vmmem, false);
	}

	kunit_info(test, "translations and their release: / holds of the range, mapped on access / plain\n");
	b.len = SZ_64K;
	b.iters = 1 << 12;
	compare(test, &b, "translate_vs_hold_65536", translate_plain, hold_plain,
		false);
	compare(test, &b, "mapped_vs_plain_translate_65536", translate_mapped,
		translate_plain, false);

	kunit_info(test, "vmmem_copy_to_iter / copy_to_iter from a kernel buffer\n");
	for (i = 3; i <= 4; i++) {
		b.len = sizes[i];
		b.iters = max(64UL, (64UL << 20) / b.len / 4);
		snprintf(name, sizeof(name), "copy_to_iter_%zu", b.len);
		compare(test, &b, name, iter_from_vmmem, iter_from_buffer, false);
	}

	kunit_info(test, "statistics: throughput with them on / off (1.000: free)\n");
	for (i = 0; i < 4; i++) {
		b.len = sizes[i];
		b.iters = max(64UL, (64UL << 20) / b.len / 4);
		snprintf(name, sizeof(name), "stats_on_vs_off_copy_from_%zu", b.len);
		compare_stats(test, &b, name, copy_from_vmmem);
		snprintf(name, sizeof(name), "stats_on_vs_off_copy_to_%zu", b.len);
		compare_stats(test, &b, name, copy_to_vmmem);
	}
	b.iters = 1 << 20;
	compare_stats(test, &b, "stats_on_vs_off_load_4", load_vmmem);
	b.len = 64;
	b.iters = 1 << 16;
	compare_stats(test, &b, "stats_on_vs_off_fault_64", copy_from_hole);

	kunit_info(test, "trace events: throughput with a probe on vmmem_fault / off\n");
	if (IS_ENABLED(CONFIG_TRACEPOINTS))
		compare_fault_event(test, &b);
	else
		kunit_info(test, "no CONFIG_TRACEPOINTS: not measured\n");

	kunit_info(test, "write throughput with dirty logging on / off\n");
	for (i = 3; i <= 4; i++) {
		b.len = sizes[i];
		b.iters = BENCH_SIZE / b.len;
		snprintf(name, sizeof(name), "dirty_log_on_vs_off_%zu", b.len);
		compare(test, &b, name, write_after_clear, write_after_clear, true);
	}
	vfree(b.guest);
	kvfree(b.buf);
}

static struct kunit_case vmmem_bench_cases[] = {
	KUNIT_CASE_SLOW(vmmem_bench_copies),
	{}
};

static struct kunit_suite vmmem_bench_suite = {
	.name = "vmmem_bench",
	.test_cases = vmmem_bench_cases,
};

kunit_test_suite(vmmem_bench_suite);
