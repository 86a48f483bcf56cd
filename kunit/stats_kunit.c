// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_stats: what a map tells about itself. Each statistic against a
 * scripted sequence of accesses (exact counts, taken as differences so
 * that the fixture's own setup does not count), the debugfs files'
 * contents, map names, and the vmmem_fault and vmmem_commit trace events
 * through probes attached to them.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/debugfs.h>
#include <linux/preempt.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"
#include "../vmmem/vmmem_trace.h"

/* Three regions, few enough to be compared each: R1 rw, R2 ro, TOP rw. */
#define S_R1		SZ_1M
#define S_R1_SIZE	(16 * FX_P)
#define S_R2		(S_R1 + S_R1_SIZE)
#define S_R2_SIZE	(4 * FX_P)
#define S_HOLE		(S_R2 + S_R2_SIZE)
#define S_TOP_SIZE	FX_P
#define S_TOP		(0 - S_TOP_SIZE)

static struct vmmem *stats_map(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	fx_add(test, vm, S_R1, S_R1_SIZE, 0);
	fx_add(test, vm, S_R2, S_R2_SIZE, VMMEM_REGION_RDONLY);
	fx_add(test, vm, S_TOP, S_TOP_SIZE, 0);
	return vm;
}

/* The counts since @base was taken, in @now; @base becomes @now. */
static void stats_delta(struct vmmem *vm, u64 *base, u64 *now)
{
	unsigned int i;
	u64 sums[VMMEM_NR_STATS];

	vmmem_stats_sum(vm, sums);
	for (i = 0; i < VMMEM_NR_STATS; i++) {
		now[i] = sums[i] - base[i];
		base[i] = sums[i];
	}
}

/* Every statistic but the ones listed in @want (index, count) is 0. */
static void expect_only(struct kunit *test, const u64 *got,
			const unsigned int *want, unsigned int nr)
{
	unsigned int i, j;
	u64 expect;

	for (i = 0; i < VMMEM_NR_STATS; i++) {
		expect = 0;
		for (j = 0; j < nr; j++)
			if (want[2 * j] == i)
				expect = want[2 * j + 1];
		KUNIT_EXPECT_EQ_MSG(test, got[i], expect, "statistic %s",
				    vmmem_stat_names[i]);
	}
}

#define EXPECT_ONLY(test, got, ...)					\
	do {								\
		static const unsigned int __want[] = { __VA_ARGS__ };	\
		expect_only(test, got, __want, ARRAY_SIZE(__want) / 2);	\
	} while (0)

#define FAULT(cause)	(VMMEM_STAT_FAULT + VMMEM_FAULT_##cause)

/* Copies: kinds, bytes, and the cause of each short copy. */
static void vmmem_stats_copies(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	u8 buf[64] = {};

	stats_delta(vm, base, d);

	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1 + 8, buf, 40), 0UL);
	stats_delta(vm, base, d);
	EXPECT_ONLY(test, d, VMMEM_STAT_COPY_FROM_GUEST, 1,
		    VMMEM_STAT_BYTES_FROM_GUEST, 40, VMMEM_STAT_LOOKUP_FEW, 1);

	/* Into R2, which is read-only: 10 bytes, then a fault. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, S_R2 - 10, buf, 30), 20UL);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_TO_GUEST], 1ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_TO_GUEST], 10ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(READ_ONLY)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 0ULL);

	/* Out of R2 into the hole: 16 bytes, then a fault. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_HOLE - 16, buf, 64), 48UL);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_FROM_GUEST], 16ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 1ULL);

	/* Off the top of the address space: 8 bytes, then past the end. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, U64_MAX - 7, buf, 24), 16UL);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_FROM_GUEST], 8ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(PAST_END)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 0ULL);

	/* A zero-length copy is an access of nothing, and no fault. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, S_HOLE, buf, 0), 0UL);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_TO_GUEST], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 0ULL);
}

/* Copies through iov_iters: an iterator that runs out is not a fault. */
static void vmmem_stats_iter(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	u8 buf[64] = {};
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iov_iter iter;

	stats_delta(vm, base, d);
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, 32);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_iter(vm, S_R1, &iter, 100), (size_t)32);
	iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, 64);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_iter(vm, S_R2 - 8, &iter, 64), (size_t)8);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_TO_ITER], 1ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_FROM_ITER], 1ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_FROM_GUEST], 32ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_TO_GUEST], 8ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(READ_ONLY)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 0ULL);
}

/* Single accesses, slices, holds, translations, caches, range checks. */
static void vmmem_stats_accesses(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	struct bio_vec bvs[4];
	struct vmmem_slice held[4], slice;
	struct vmmem_bvecs bv = { .bv = bvs, .held = held, .max = 4 };
	struct vmmem_slice_iter it;
	struct vmmem_cache cache;
	unsigned int nr = 4;
	u32 v32;
	u64 v64;

	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, vmmem_load(vm, S_R1 + 4, &v32), 0);
	KUNIT_EXPECT_EQ(test, vmmem_load(vm, S_R1 + 2, &v32), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmmem_store(vm, S_R1 + 8, (u64)1), 0);
	KUNIT_EXPECT_EQ(test, vmmem_store(vm, S_R2, (u64)1), -EFAULT);
	KUNIT_EXPECT_EQ(test, vmmem_load(vm, S_HOLE, &v64), -EFAULT);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_LOAD], 3ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_STORE], 2ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(MISALIGNED)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(READ_ONLY)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_BYTES_FROM_GUEST], 0ULL);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, vmmem_find_slice(vm, S_R1, 8, VMMEM_READ, &slice), 0);
	/* R1 ends where R2 starts: a slice cannot cross. */
	KUNIT_EXPECT_EQ(test, vmmem_find_slice(vm, S_R2 - 4, 8, VMMEM_READ, &slice),
			-EINVAL);
	/* Invalid access bits are the caller's bug, not a fault. */
	KUNIT_EXPECT_EQ(test, vmmem_find_slice(vm, S_R1, 8, 0, &slice), -EINVAL);
	vmmem_slice_iter_init(vm, S_R2 - 8, 16, VMMEM_READ, &it);
	KUNIT_EXPECT_EQ(test, vmmem_slice_iter_next(&it, &slice), 1);
	KUNIT_EXPECT_EQ(test, vmmem_slice_iter_next(&it, &slice), 1);
	KUNIT_EXPECT_EQ(test, vmmem_slice_iter_next(&it, &slice), 0);
	vmmem_slice_iter_init(vm, U64_MAX, 2, VMMEM_READ, &it);
	KUNIT_EXPECT_EQ(test, vmmem_slice_iter_next(&it, &slice), 1);
	KUNIT_EXPECT_EQ(test, vmmem_slice_iter_next(&it, &slice), -EFAULT);
	rcu_read_unlock();
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_FIND_SLICE], 3ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_SLICE_ITER], 3ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(STRADDLE)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(PAST_END)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 0ULL);

	KUNIT_EXPECT_EQ(test, vmmem_hold(vm, S_R1, 2 * FX_P, VMMEM_READ, held, &nr), 0);
	vmmem_release(held, nr);
	nr = 4;
	KUNIT_EXPECT_EQ(test, vmmem_hold(vm, S_R2, S_R2_SIZE + 1, VMMEM_READ, held,
					 &nr), -EFAULT);
	KUNIT_EXPECT_EQ(test, vmmem_translate(vm, S_R1, 8, VMMEM_WRITE, &bv), 0);
	vmmem_untranslate(&bv);
	KUNIT_EXPECT_EQ(test, vmmem_translate(vm, S_R1, S_R1_SIZE + 8, VMMEM_WRITE,
					      &bv), -EFAULT);
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, S_R1, 8, VMMEM_READ));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, S_HOLE, 8, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, vmmem_cache_init(vm, S_R1, 64, VMMEM_READ, &cache), 0);
	KUNIT_EXPECT_EQ(test, vmmem_cache_init(vm, S_R2 - 8, 64, VMMEM_READ, &cache),
			-EINVAL);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_HOLD], 2ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_TRANSLATE], 2ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_CHECK_RANGE], 2ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_CACHE_RESOLVE], 2ULL);
	/*
	 * The hold and the second range check met the hole, the
	 * translation R2's read-only pages.
	 */
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 2ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(READ_ONLY)], 1ULL);
	/* The cache's window runs from R1 into R2. */
	KUNIT_EXPECT_EQ(test, d[FAULT(STRADDLE)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(MISALIGNED)] + d[FAULT(PAST_END)] +
			d[FAULT(IOVA_PERMISSION)] + d[FAULT(MEMORY_ERROR)], 0ULL);
}

/* An IOVA entry that refuses the access is its own cause. */
static void vmmem_stats_iova(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	struct vmmem_iova *iova = vmmem_iova_create(vm, NULL, NULL);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	u8 buf[8] = {};

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, vmmem_iova_map(iova, 0, FX_P, S_R1, VMMEM_READ), 0);
	KUNIT_ASSERT_EQ(test, vmmem_iova_map(iova, FX_P, FX_P, S_R2, VMMEM_READ |
					     VMMEM_WRITE), 0);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(iova, 8, buf, 8), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(iova, 8, buf, 8), 8UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(iova, FX_P, buf, 8), 8UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(iova, 2 * FX_P, buf, 8), 8UL);
	stats_delta(vm, base, d);
	/* Counted in the map the space is over. */
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_FROM_GUEST], 1ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_COPY_TO_GUEST], 3ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(IOVA_PERMISSION)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(READ_ONLY)], 1ULL);
	KUNIT_EXPECT_EQ(test, d[FAULT(HOLE)], 1ULL);
	vmmem_iova_destroy(iova);
}

/*
 * Lookups by path, on one CPU (the guesses are per CPU), in a map of more
 * regions than are compared each: the guess, the region after it, search.
 */
static void vmmem_stats_lookups(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	unsigned int i;
	u8 b;

	for (i = 0; i <= VMMEM_FEW_REGIONS; i++)
		fx_add(test, vm, S_R1 + 2 * i * FX_P, FX_P, 0);
	migrate_disable();
	stats_delta(vm, base, d);
	/* A new map guesses region 0. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1, &b, 1), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1 + 2 * FX_P, &b, 1), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1 + 8 * FX_P, &b, 1), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1 + 8 * FX_P + 1, &b, 1), 0UL);
	stats_delta(vm, base, d);
	migrate_enable();
	EXPECT_ONLY(test, d, VMMEM_STAT_COPY_FROM_GUEST, 4,
		    VMMEM_STAT_BYTES_FROM_GUEST, 4, VMMEM_STAT_LOOKUP_HINT, 2,
		    VMMEM_STAT_LOOKUP_NEXT, 1, VMMEM_STAT_LOOKUP_SEARCH, 1);
}

/* Dirty pages marked by writes and reported by harvests. */
static void vmmem_stats_dirty(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	u8 buf[16] = {};

	KUNIT_ASSERT_EQ(test, vmmem_dirty_log_start(vm), 0);
	stats_delta(vm, base, d);
	/* Two pages by one copy, one of them again by a store. */
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, S_R1 + FX_P - 8, buf, 16), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_store(vm, S_R1 + FX_P, (u32)1), 0);
	KUNIT_EXPECT_EQ(test, vmmem_dirty_harvest(vm, S_R1, S_R1_SIZE, NULL), 2L);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_DIRTY_MARKED], 3ULL);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_DIRTY_HARVESTED], 2ULL);
	KUNIT_EXPECT_EQ(test, vmmem_dirty_harvest(vm, S_R1, S_R1_SIZE, NULL), 0L);
	stats_delta(vm, base, d);
	KUNIT_EXPECT_EQ(test, d[VMMEM_STAT_DIRTY_HARVESTED], 0ULL);
}

/* Statistics off (the benchmarks' baseline): nothing counts. */
static void vmmem_stats_off(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	u64 base[VMMEM_NR_STATS] = {}, d[VMMEM_NR_STATS];
	u8 b;

	stats_delta(vm, base, d);
	vmmem_kunit_stats_enable(false);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1, &b, 1), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_HOLE, &b, 1), 1UL);
	vmmem_kunit_stats_enable(true);
	stats_delta(vm, base, d);
	EXPECT_ONLY(test, d);
}

/* What a debugfs file of @vm reads as, in a test-managed buffer. */
static char *debugfs_text(struct kunit *test, struct vmmem *vm, const char *file)
{
	struct seq_file m = { .size = 2 * PAGE_SIZE };

	m.buf = kunit_kzalloc(test, m.size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	KUNIT_ASSERT_EQ(test, vmmem_debugfs_show(&m, vm, file), 0);
	KUNIT_ASSERT_LT(test, m.count, m.size);
	m.buf[m.count] = 0;
	return m.buf;
}

/* @text has @line (or its start) somewhere. */
static void expect_line(struct kunit *test, const char *text, const char *line)
{
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(text, line), "no line \"%s\" in:\n%s",
				  line, text);
}

static void vmmem_debugfs_files(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	struct vmmem_snapshot *snap;
	struct vmmem_slice held;
	unsigned int nr = 1;
	char line[160];
	char *text;
	u8 buf[4];

	KUNIT_ASSERT_EQ(test, vmmem_dirty_log_start(vm), 0);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, S_R1 + FX_P, buf, 4), 0UL);
	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_HOLE, buf, 4), 4UL);
	KUNIT_ASSERT_EQ(test, vmmem_hold(vm, S_R2, 8, VMMEM_READ, &held, &nr), 0);
	snap = vmmem_snapshot(vm);
	/* The layouts the adds replaced let go of their regions first. */
	vmmem_synchronize();

	text = debugfs_text(test, vm, "regions");
	snprintf(line, sizeof(line), "0x%016llx 0x%016llx %s\n", (u64)S_R1,
		 (u64)S_R2 - 1, "vmalloc rw     16      0       on  1       1");
	expect_line(test, text, line);
	/* R2: held once beyond the layout's own reference. */
	snprintf(line, sizeof(line), "0x%016llx 0x%016llx %s\n", (u64)S_R2,
		 (u64)S_HOLE - 1, "vmalloc r      4       0       on  0       2");
	expect_line(test, text, line);
	snprintf(line, sizeof(line), "0x%016llx 0xffffffffffffffff vmalloc rw     1 ",
		 (u64)S_TOP);
	expect_line(test, text, line);

	text = debugfs_text(test, vm, "map");
	expect_line(test, text, "name: kunit\n");
	expect_line(test, text, "generation: 3\n");
	expect_line(test, text, "updates: 3\n");
	expect_line(test, text, "regions: 3\n");
	snprintf(line, sizeof(line), "bytes: %llu\n",
		 (u64)(S_R1_SIZE + S_R2_SIZE + S_TOP_SIZE));
	expect_line(test, text, line);
	expect_line(test, text, "snapshots: 1\n");
	expect_line(test, text, "region_refs_beyond_layout: 1\n");
	expect_line(test, text, "dirty_logging: on\n");
	expect_line(test, text, "iova_spaces: 0\n");

	text = debugfs_text(test, vm, "stats");
	expect_line(test, text, "copy_to_guest: 1\n");
	expect_line(test, text, "copy_from_guest: 1\n");
	expect_line(test, text, "hold: 1\n");
	expect_line(test, text, "bytes_to_guest: 4\n");
	expect_line(test, text, "fault_hole: 1\n");
	expect_line(test, text, "dirty_pages_marked: 1\n");

	vmmem_snapshot_put(snap);
	vmmem_release(&held, nr);
	text = debugfs_text(test, vm, "map");
	expect_line(test, text, "snapshots: 0\n");
	expect_line(test, text, "region_refs_beyond_layout: 0\n");
	KUNIT_EXPECT_EQ(test, vmmem_debugfs_show(NULL, vm, "nothing"), -ENOENT);
}

/* Names: what is accepted, and directories of maps that share one. */
static void vmmem_names(struct kunit *test)
{
	static const char *const bad[] = {
		"", "a/b", "with space", "new\nline", "0123456789012345678901234567890x",
	};
	struct vmmem *a, *b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(vmmem_create(bad[i], 0)), -EINVAL,
				    "name \"%s\"", bad[i]);
	KUNIT_EXPECT_EQ(test, PTR_ERR(vmmem_create(NULL, 0)), -EINVAL);

	a = vmmem_create("0123456789012345678901234567890", 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	b = vmmem_create("0123456789012345678901234567890", 0);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, b);
	if (!IS_ERR_OR_NULL(b)) {
		KUNIT_EXPECT_STREQ(test, b->name, a->name);
		if (IS_ENABLED(CONFIG_DEBUG_FS)) {
			KUNIT_EXPECT_NOT_NULL(test, a->debugfs);
			KUNIT_EXPECT_NOT_NULL(test, b->debugfs);
			KUNIT_EXPECT_PTR_NE(test, a->debugfs, b->debugfs);
		}
		vmmem_put(b);
	}
	vmmem_put(a);
}

struct trace_record {
	unsigned int faults;
	unsigned int cause;
	u64 addr, len;
	unsigned long caller;
	char map[VMMEM_NAME_MAX];
	unsigned int commits;
	int commit_ret;
	unsigned int commit_ops;
};

static void probe_fault(void *data, const char *map, u64 addr, u64 len,
			unsigned int access, unsigned int cause,
			unsigned long caller)
{
	struct trace_record *rec = data;

	rec->faults++;
	rec->cause = cause;
	rec->addr = addr;
	rec->len = len;
	rec->caller = caller;
	strscpy(rec->map, map, sizeof(rec->map));
}

static void probe_commit(void *data, const char *map, unsigned int ops,
			 u64 generation, int ret, u64 ns)
{
	struct trace_record *rec = data;

	rec->commits++;
	rec->commit_ret = ret;
	rec->commit_ops = ops;
}

/* The fault and commit events, with their fields, through probes. */
static noinline void vmmem_trace_events(struct kunit *test)
{
	struct vmmem *vm = stats_map(test);
	struct vmmem_update up = { .op = VMMEM_REMOVE, .gpa = S_HOLE, .size = FX_P };
	struct trace_record *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);
	unsigned long here = (unsigned long)vmmem_trace_events;
	u8 buf[8];

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_ASSERT_EQ(test, register_trace_vmmem_fault(probe_fault, rec), 0);
	KUNIT_ASSERT_EQ(test, register_trace_vmmem_commit(probe_commit, rec), 0);

	KUNIT_EXPECT_EQ(test, vmmem_copy_from_guest(vm, S_R1, buf, 8), 0UL);
	KUNIT_EXPECT_EQ(test, rec->faults, 0u);
	KUNIT_EXPECT_EQ(test, vmmem_copy_to_guest(vm, S_R2 - 3, buf, 8), 5UL);
	KUNIT_EXPECT_EQ(test, vmmem_update(vm, &up, 1), -ENOENT);

	unregister_trace_vmmem_fault(probe_fault, rec);
	unregister_trace_vmmem_commit(probe_commit, rec);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_EQ(test, rec->faults, 1u);
	KUNIT_EXPECT_EQ(test, rec->cause, (unsigned int)VMMEM_FAULT_READ_ONLY);
	KUNIT_EXPECT_EQ(test, rec->addr, (u64)S_R2);
	KUNIT_EXPECT_EQ(test, rec->len, 5ULL);
	KUNIT_EXPECT_STREQ(test, rec->map, "kunit");
	/* The caller is this function, not vmmem's own code. */
	KUNIT_EXPECT_GT(test, rec->caller, here);
	KUNIT_EXPECT_LT(test, rec->caller, here + SZ_16K);
	KUNIT_EXPECT_EQ(test, rec->commits, 1u);
	KUNIT_EXPECT_EQ(test, rec->commit_ret, -ENOENT);
	KUNIT_EXPECT_EQ(test, rec->commit_ops, 1u);
}

static struct kunit_case stats_cases[] = {
	KUNIT_CASE(vmmem_stats_copies),
	KUNIT_CASE(vmmem_stats_iter),
	KUNIT_CASE(vmmem_stats_accesses),
	KUNIT_CASE(vmmem_stats_iova),
	KUNIT_CASE(vmmem_stats_lookups),
	KUNIT_CASE(vmmem_stats_dirty),
	KUNIT_CASE(vmmem_stats_off),
	KUNIT_CASE(vmmem_debugfs_files),
	KUNIT_CASE(vmmem_names),
	KUNIT_CASE(vmmem_trace_events),
	{}
};

static struct kunit_suite stats_suite = {
	.name = "vmmem_stats",
	.test_cases = stats_cases,
};

kunit_test_suite(stats_suite);
