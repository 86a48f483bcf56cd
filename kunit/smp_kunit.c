// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_smp: the publications that only another CPU can get wrong, each
 * raced by worker kthreads bound to CPUs other than the test thread's (see
 * fx_threads_start()): dirty logging started under writers, message passing
 * through acquire and release accesses, and harvesting against writers that
 * find the dirty bit already set, and IOVA entries remapped under readers
 * and searched while the tree rebalances.
 * Under UML (one CPU) the same cases run as interleaved logic.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "fixture.h"

/* Workers of every case: one per CPU, at most this many. */
#define SMP_WORKERS	4
/* Longest span harvested at once, in pages. */
#define SMP_MAX_PAGES	64

/* A and B: 4 writable pages in two adjacent regions. */
#define AB		FX_A
#define AB_SIZE		(FX_A_SIZE + FX_B_SIZE)
/* Two adjacent 16-page regions above the fixture layout. */
#define BIG		(64 * FX_P)
#define BIG_HALF	(16 * FX_P)
#define BIG_SIZE	(2 * BIG_HALF)

/* The fixture layout, and BIG filled with the pattern. */
static struct vmmem *smp_layout(struct kunit *test)
{
	struct vmmem *vm = fx_create_layout(test);

	fx_add(test, vm, BIG, BIG_HALF, 0);
	fx_add(test, vm, BIG + BIG_HALF, BIG_HALF, 0);
	fx_fill(test, vm, BIG, BIG_SIZE);
	return vm;
}

/* Harvests [@gpa, @gpa + @size) and copies every dirty page into @shadow. */
static unsigned long copy_dirty(struct kunit *test, struct vmmem *vm, u64 gpa,
				u64 size, void *shadow)
{
	unsigned long bits[BITS_TO_LONGS(SMP_MAX_PAGES)];
	unsigned long page, n = 0, npages = size >> PAGE_SHIFT;
	long ret;

	KUNIT_ASSERT_LE(test, npages, SMP_MAX_PAGES);
	bitmap_zero(bits, npages);
	ret = vmmem_dirty_harvest(vm, gpa, size, bits);
	KUNIT_ASSERT_GE(test, ret, 0);
	for_each_set_bit(page, bits, npages) {
		KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(vm, gpa + page * PAGE_SIZE,
							       (u8 *)shadow + page * PAGE_SIZE,
							       PAGE_SIZE));
		n++;
	}
	KUNIT_EXPECT_EQ(test, ret, (long)n);
	return n;
}

/* Words of [@gpa, @gpa + @size) where @shadow and guest memory differ. */
static unsigned long diff_words(struct kunit *test, struct vmmem *vm, u64 gpa,
				u64 size, const u64 *shadow, u64 *buf)
{
	unsigned long i, n = 0;

	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(vm, gpa, buf, size));
	for (i = 0; i < size / 8; i++) {
		if (shadow[i] == buf[i])
			continue;
		if (!n)
			kunit_info(test, "the shadow of %#llx holds %#llx, guest memory %#llx\n",
				   gpa + 8 * i, shadow[i], buf[i]);
		n++;
	}
	return n;
}

/* One 8-byte write of @seq, as a single store or as a copy. */
static int seq_write(struct vmmem *vm, u64 gpa, u64 seq, bool store)
{
	if (store)
		return vmmem_store(vm, gpa, seq);
	return vmmem_copy_to_guest(vm, gpa, &seq, sizeof(seq)) ? -EFAULT : 0;
}

/*
 * smp_log_start_vs_writers: writers write sequence numbers into BIG while the
 * test thread starts logging and takes the first full copy. Once they see
 * logging on, they stop writing into BIG and write a fixed number into A and
 * B, which are harvested meanwhile. The shadows must equal guest memory: a
 * write into BIG that saw logging off must have landed before the start
 * returned (a grace period), and a writer that sees logging on must see a
 * cleared bitmap (on a fresh map: the bitmap at all). Few writes reach BIG
 * after the start, so such a lost write is rarely hidden by a later one to
 * its page. Every other cycle is a restart of logging on the same map.
 */
#define LS_CYCLES	16
#define LS_PRE_MIN	32	/* writes each writer makes before the start */
#define LS_PRE_MAX	100000	/* cap, if the start never comes */
#define LS_POST		2000	/* writes into A and B, per writer and cycle */

struct logstart {
	struct vmmem *vm;
	atomic64_t seq, pre, post, errors;
	bool started;		/* marked accesses only */
};

static void logstart_writer(struct fx_worker *w)
{
	struct logstart *ls = w->data;
	struct rnd_state rnd;
	unsigned int i;
	u64 off;

	prandom_seed_state(&rnd, get_random_u64());
	for (i = 0; i < LS_PRE_MAX && !READ_ONCE(ls->started); i++) {
		if (fx_worker_stopping(w))
			return;
		off = round_down(prandom_u32_state(&rnd) % BIG_SIZE, 8);
		if (seq_write(ls->vm, BIG + off, atomic64_inc_return(&ls->seq),
			      prandom_u32_state(&rnd) % 2))
			atomic64_inc(&ls->errors);
		atomic64_inc(&ls->pre);
		if (i % 16 == 15)
			fx_yield();
	}
	for (i = 0; i < LS_POST && !fx_worker_stopping(w); i++) {
		off = round_down(prandom_u32_state(&rnd) % AB_SIZE, 8);
		if (seq_write(ls->vm, AB + off, atomic64_inc_return(&ls->seq),
			      prandom_u32_state(&rnd) % 2))
			atomic64_inc(&ls->errors);
		atomic64_inc(&ls->post);
		if (i % 16 == 15)
			fx_yield();
	}
}

static void smp_log_start_vs_writers(struct kunit *test)
{
	struct logstart *ls = kunit_kzalloc(test, sizeof(*ls), GFP_KERNEL);
	u64 *big = kunit_kmalloc(test, BIG_SIZE, GFP_KERNEL);
	u64 *ab = kunit_kmalloc(test, AB_SIZE, GFP_KERNEL);
	u64 *buf = kunit_kmalloc(test, BIG_SIZE, GFP_KERNEL);
	unsigned int c, nr = fx_nr_workers(SMP_WORKERS);
	unsigned long harvests = 0, copied = 0, lost = 0;
	struct fx_threads *th;

	KUNIT_ASSERT_TRUE(test, ls && big && ab && buf);
	for (c = 0; c < LS_CYCLES; c++) {
		/* Even cycles: a fresh map, whose regions get their first bitmap. */
		if (c % 2 == 0)
			ls->vm = smp_layout(test);
		WRITE_ONCE(ls->started, false);
		atomic64_set(&ls->pre, 0);
		th = fx_threads_start(test, logstart_writer, ls, nr, "vmmem-ls");
		if (!c)
			fx_threads_print(test, th);
		/* The start lands among writes into BIG. */
		while (atomic64_read(&ls->pre) < LS_PRE_MIN * nr && fx_threads_running(th))
			fx_spin();
		KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(ls->vm));
		WRITE_ONCE(ls->started, true);
		KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(ls->vm, BIG, big, BIG_SIZE));
		KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(ls->vm, AB, ab, AB_SIZE));
		while (fx_threads_running(th)) {
			copied += copy_dirty(test, ls->vm, BIG, BIG_SIZE, big);
			copied += copy_dirty(test, ls->vm, AB, AB_SIZE, ab);
			harvests++;
			fx_yield();
		}
		fx_threads_stop(test, th);
		copied += copy_dirty(test, ls->vm, BIG, BIG_SIZE, big);
		copied += copy_dirty(test, ls->vm, AB, AB_SIZE, ab);
		harvests++;
		lost += diff_words(test, ls->vm, BIG, BIG_SIZE, big, buf);
		lost += diff_words(test, ls->vm, AB, AB_SIZE, ab, buf);
		KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_stop(ls->vm));
	}

	kunit_info(test, "%u cycles, %u writers: %lld writes, %lld after the start; %lu harvests, %lu pages copied, %lu words lost\n",
		   LS_CYCLES, nr, atomic64_read(&ls->seq), atomic64_read(&ls->post),
		   harvests, copied, lost);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ls->errors), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ls->post), (s64)LS_CYCLES * LS_POST * nr);
	KUNIT_EXPECT_EQ(test, lost, 0);
}

/*
 * smp_message_passing: each producer writes a 64-byte payload into one of
 * its two slots, then publishes the message's number with a store-release;
 * the test thread, the consumer, polls every producer's number with a
 * load-acquire, reads the payload, checks it and acks the number with a
 * store-release; a producer reuses a slot only after a load-acquire of the
 * ack shows its previous message was read. A payload that does not match
 * its number is an ordering bug on one side or the other. The _cache
 * variant does the number and the ack through struct vmmem_cache.
 */
#define MP_MSGS		10000	/* per producer; a tenth on one CPU */
#define MP_WORDS	8	/* a 64-byte payload */
/* Numbers and acks in B's second page, each in a cache line of its own. */
#define MP_IDX		(FX_B + FX_P)
#define MP_HEAD(p)	(MP_IDX + (p) * 128)
#define MP_ACK(p)	(MP_IDX + (p) * 128 + 64)
/* Payload slots in A, some across a page or into B. */
#define MP_SLOT(p, s)	(FX_A + (2 * (p) + (s) + 1) * 1024 - 32)

struct mp {
	struct vmmem *vm;
	u32 msgs;
	bool cache;
	atomic64_t errors;
};

static u64 mp_word(unsigned int p, u32 m, unsigned int j)
{
	return (u64)(p + 1) << 56 | (u64)m << 8 | j;
}

static int mp_publish(struct mp *mp, struct vmmem_cache *cache, u64 gpa, u32 val)
{
	if (mp->cache)
		return vmmem_store_release(cache, gpa, val);
	return vmmem_store_release(mp->vm, gpa, cpu_to_le32(val));
}

static int mp_observe(struct mp *mp, struct vmmem_cache *cache, u64 gpa, u32 *val)
{
	__le32 raw;
	int ret;

	if (mp->cache)
		return vmmem_load_acquire(cache, gpa, val);
	ret = vmmem_load_acquire(mp->vm, gpa, &raw);
	if (!ret)
		*val = le32_to_cpu(raw);
	return ret;
}

static void mp_producer(struct fx_worker *w)
{
	struct mp *mp = w->data;
	unsigned int p = w->idx, j;
	struct vmmem_cache cache;
	u64 payload[MP_WORDS];
	u32 m, ack;

	if (vmmem_cache_init(mp->vm, MP_IDX, FX_P, VMMEM_READ | VMMEM_WRITE, &cache)) {
		atomic64_inc(&mp->errors);
		return;
	}
	for (m = 1; m <= mp->msgs; m++) {
		/* Slot m % 2 held message m - 2: wait until it was read. */
		for (;;) {
			if (fx_worker_stopping(w))
				return;
			if (mp_observe(mp, &cache, MP_ACK(p), &ack)) {
				atomic64_inc(&mp->errors);
				return;
			}
			if (ack + 2 >= m)
				break;
			fx_spin();
		}
		for (j = 0; j < MP_WORDS; j++)
			payload[j] = mp_word(p, m, j);
		if (vmmem_copy_to_guest(mp->vm, MP_SLOT(p, m % 2), payload, sizeof(payload)) ||
		    mp_publish(mp, &cache, MP_HEAD(p), m)) {
			atomic64_inc(&mp->errors);
			return;
		}
	}
}

/*
 * Reads message @m of producer @p and acks it: true if the payload was
 * whole. @report: say what was wrong.
 */
static bool mp_take(struct kunit *test, struct mp *mp, struct vmmem_cache *cache,
		    unsigned int p, u32 m, bool report)
{
	u64 payload[MP_WORDS];
	bool ok = true;
	unsigned int j;

	if (vmmem_copy_from_guest(mp->vm, MP_SLOT(p, m % 2), payload, sizeof(payload))) {
		if (report)
			kunit_info(test, "producer %u, message %u: read failed\n", p, m);
		ok = false;
	}
	for (j = 0; ok && j < MP_WORDS; j++) {
		if (payload[j] == mp_word(p, m, j))
			continue;
		if (report)
			kunit_info(test, "producer %u, message %u: word %u is %#llx\n",
				   p, m, j, payload[j]);
		ok = false;
	}
	if (mp_publish(mp, cache, MP_ACK(p), m))
		ok = false;
	return ok;
}

static void smp_message_passing_run(struct kunit *test, bool use_cache)
{
	struct mp *mp = kunit_kzalloc(test, sizeof(*mp), GFP_KERNEL);
	unsigned int nr = fx_nr_workers(SMP_WORKERS), p, done = 0;
	unsigned long consumed = 0, bad = 0, overruns = 0, errors = 0;
	u32 next[SMP_WORKERS], head;
	struct vmmem_cache cache;
	struct fx_threads *th;
	bool finished, progress;

	KUNIT_ASSERT_NOT_NULL(test, mp);
	mp->vm = fx_create_layout(test);
	mp->cache = use_cache;
	mp->msgs = num_online_cpus() == 1 ? MP_MSGS / 10 : MP_MSGS;
	for (p = 0; p < nr; p++) {
		KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(mp->vm, MP_HEAD(p), (u32)0));
		KUNIT_ASSERT_EQ(test, 0, vmmem_store_release(mp->vm, MP_ACK(p), (u32)0));
		next[p] = 1;
	}
	KUNIT_ASSERT_EQ(test, 0, vmmem_cache_init(mp->vm, MP_IDX, FX_P,
						  VMMEM_READ | VMMEM_WRITE, &cache));

	th = fx_threads_start(test, mp_producer, mp, nr, "vmmem-mp");
	fx_threads_print(test, th);
	while (done < nr) {
		/* Sampled before the sweep: then the sweep sees their last number. */
		finished = !fx_threads_running(th);
		progress = false;
		for (p = 0; p < nr; p++) {
			if (next[p] > mp->msgs)
				continue;
			if (mp_observe(mp, &cache, MP_HEAD(p), &head)) {
				errors++;
				break;
			}
			/* A producer is never more than its two slots ahead. */
			if (head > next[p] + 1 || head > mp->msgs)
				overruns++;
			for (; next[p] <= head && next[p] <= mp->msgs; next[p]++) {
				bad += !mp_take(test, mp, &cache, p, next[p], bad < 4);
				consumed++;
				progress = true;
			}
			if (next[p] > mp->msgs)
				done++;
		}
		if (errors)
			fx_threads_abort(th);
		if (progress)
			continue;
		/* Every producer returned and nothing new: the rest is lost. */
		if (finished)
			break;
		fx_spin();
	}
	kunit_info(test, "%u producers, %lu messages consumed, %lu bad, %lu overruns\n",
		   nr, consumed, bad, overruns);
	KUNIT_EXPECT_EQ(test, errors, 0);
	fx_threads_stop(test, th);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mp->errors), 0);
	KUNIT_EXPECT_EQ(test, consumed, (unsigned long)nr * mp->msgs);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, overruns, 0);
}

static void smp_message_passing(struct kunit *test)
{
	smp_message_passing_run(test, false);
}

static void smp_message_passing_cache(struct kunit *test)
{
	smp_message_passing_run(test, true);
}

/*
 * smp_harvest_vs_writers: writers write increasing sequence numbers into the
 * same four pages (A and B, so the dirty bit is usually set already when they
 * write: the writer skips its atomic) while the test thread harvests and
 * copies dirty pages. In rounds: after each burst the writers wait, the test
 * thread harvests and copies one last time, and the shadow must equal guest
 * memory, and hold the last value each writer wrote into each page. A
 * writer that skips the bit the harvester has just cleared, without the
 * harvester seeing its data, loses a write.
 */
#define HV_PAGES	(AB_SIZE / FX_P)
#define HV_ROUNDS	400
#define HV_BURST	64	/* writes per writer and round */
#define HV_SLOTS	8	/* words of each writer in each page */

struct hv_last {
	u64 gpa;		/* 0: none yet */
	u64 val;
};

struct harvest {
	struct vmmem *vm;
	atomic_t arrived;	/* bursts done, over all writers and rounds */
	unsigned int round;	/* the round writers may write in; marked accesses */
	atomic64_t writes, errors;
	/* Each writer's own; handed over by @arrived and @round. */
	struct hv_last last[SMP_WORKERS][HV_PAGES];
};

static void hv_writer(struct fx_worker *w)
{
	struct harvest *hv = w->data;
	unsigned int i = w->idx, r, k, page;
	struct hv_last *last;
	struct rnd_state rnd;
	u64 seq = 0, gpa;

	prandom_seed_state(&rnd, get_random_u64());
	for (r = 0; r < HV_ROUNDS; r++) {
		for (k = 0; k < HV_BURST; k++) {
			if (fx_worker_stopping(w))
				return;
			page = prandom_u32_state(&rnd) % HV_PAGES;
			gpa = AB + page * FX_P +
			      (i * HV_SLOTS + prandom_u32_state(&rnd) % HV_SLOTS) * 8;
			seq++;
			if (seq_write(hv->vm, gpa, (u64)(i + 1) << 48 | seq,
				      prandom_u32_state(&rnd) % 2))
				atomic64_inc(&hv->errors);
			last = &hv->last[i][page];
			last->gpa = gpa;
			last->val = (u64)(i + 1) << 48 | seq;
			atomic64_inc(&hv->writes);
			if (k % 8 == 7)
				fx_yield();
		}
		/* Release: the burst and @last before the count. */
		atomic_inc_return_release(&hv->arrived);
		/* Acquire: the test thread is done with @last before we go on. */
		while (smp_load_acquire(&hv->round) == r) {
			if (fx_worker_stopping(w))
				return;
			fx_spin();
		}
	}
}

static void smp_harvest_vs_writers(struct kunit *test)
{
	struct harvest *hv = kunit_kzalloc(test, sizeof(*hv), GFP_KERNEL);
	u64 *shadow = kunit_kmalloc(test, AB_SIZE, GFP_KERNEL);
	u64 *buf = kunit_kmalloc(test, AB_SIZE, GFP_KERNEL);
	unsigned int nr = fx_nr_workers(SMP_WORKERS), r, i, page;
	unsigned long harvests = 0, copied = 0, lost = 0, stale = 0;
	struct hv_last *last;
	struct fx_threads *th;

	KUNIT_ASSERT_TRUE(test, hv && shadow && buf);
	hv->vm = fx_create_layout(test);
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(hv->vm));
	KUNIT_ASSERT_EQ(test, 0, vmmem_copy_from_guest(hv->vm, AB, shadow, AB_SIZE));

	th = fx_threads_start(test, hv_writer, hv, nr, "vmmem-hv");
	fx_threads_print(test, th);
	for (r = 0; r < HV_ROUNDS; r++) {
		/* Acquire: the writers' bursts and @last, once counted. */
		while (atomic_read_acquire(&hv->arrived) < nr * (r + 1)) {
			KUNIT_ASSERT_TRUE_MSG(test, fx_threads_running(th),
					      "writers gone in round %u", r);
			copied += copy_dirty(test, hv->vm, AB, AB_SIZE, shadow);
			harvests++;
			fx_yield();
		}
		/* The writers wait: the last harvest of the round. */
		copied += copy_dirty(test, hv->vm, AB, AB_SIZE, shadow);
		harvests++;
		lost += diff_words(test, hv->vm, AB, AB_SIZE, shadow, buf);
		for (i = 0; i < nr; i++) {
			for (page = 0; page < HV_PAGES; page++) {
				last = &hv->last[i][page];
				if (last->gpa && shadow[(last->gpa - AB) / 8] != last->val)
					stale++;
			}
		}
		/* Release: done with @last before the writers go on. */
		smp_store_release(&hv->round, r + 1);
	}
	fx_threads_stop(test, th);

	kunit_info(test, "%u writers, %lld writes, %lu harvests, %lu pages copied, %lu words lost, %lu last values missing\n",
		   nr, atomic64_read(&hv->writes), harvests, copied, lost, stale);
	KUNIT_EXPECT_EQ(test, atomic64_read(&hv->errors), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&hv->writes), (s64)HV_ROUNDS * HV_BURST * nr);
	KUNIT_EXPECT_EQ(test, lost, 0);
	KUNIT_EXPECT_EQ(test, stale, 0);
}

/*
 * smp_iova_remap_vs_readers: readers load through an IOVA space (directly,
 * and through a cache of the page) while the test thread remaps its pages
 * one at a time: unmap, then map onto the next of IR_TARGETS guest pages,
 * then publish the mapping's number with a release. Every word of target
 * page t holds ir_tag(t). A reader reads the page's number before and after
 * its load (acquire): a value must come from a mapping numbered in between
 * (or the next one, not yet published), or the load must fault. An unmap
 * that frees an entry before readers are done with it is KASAN's to find;
 * one whose change a cache misses (no generation moved, or moved before
 * the change) returns a stale value. After each remapped page sit
 * IR_STABLE stable ones, mapped once: a load of one must never fault,
 * whatever the tree is doing around it (a search that misses an entry
 * while the tree rebalances is a lost load).
 */
#define IR_PAGES	16
#define IR_TARGETS	4
#define IR_STABLE	3	/* stable pages after each remapped one */
#define IR_GPA		(128 * FX_P)
#define IR_READS	20000	/* per reader, unless IR_SECONDS pass first */
#define IR_SECONDS	45	/* well inside KUnit's 300 s timeout on a slow lane */

struct iova_remap {
	struct vmmem_iova *iova;
	unsigned long mapped[IR_PAGES];	/* mapping numbers; marked accesses */
	atomic64_t loads, faults, stale, errors, lost, stable;
	/* Each side waits for the other's progress now and then (UML). */
	atomic_long_t remaps, reads;
	unsigned long deadline;		/* jiffies */
};

static u64 ir_tag(unsigned int target)
{
	return 0x5eed000000000000ULL | target;
}

/* Remapped page @page, or its stable page @stable (1 to IR_STABLE). */
static u64 ir_iova(unsigned int page, unsigned int stable)
{
	return ((IR_STABLE + 1) * page + stable) * FX_P;
}

static u64 ir_target_gpa(unsigned int page, unsigned long nr)
{
	return IR_GPA + (page * IR_TARGETS + nr % IR_TARGETS) * FX_P;
}

/* True if @val comes from one of the mappings numbered @first to @last. */
static bool ir_plausible(unsigned int page, u64 val, unsigned long first,
			 unsigned long last)
{
	unsigned long nr;

	if (last - first >= IR_TARGETS - 1)
		return (val & ~0xffffULL) == ir_tag(0);
	for (nr = first; nr <= last; nr++) {
		if (val == ir_tag(page * IR_TARGETS + nr % IR_TARGETS))
			return true;
	}
	return false;
}

static void ir_reader(struct fx_worker *w)
{
	struct iova_remap *ir = w->data;
	struct vmmem_cache cache;
	unsigned long first, last;
	unsigned int i, page, cached;
	struct rnd_state rnd;
	unsigned long seen;
	u64 addr, val;
	int ret;

	prandom_seed_state(&rnd, get_random_u64());
	cached = prandom_u32_state(&rnd) % IR_PAGES;
	/* May fault now: the cache retries on every use. */
	vmmem_cache_init(ir->iova, ir_iova(cached, 0), FX_P, VMMEM_READ,
			 &cache);
	for (i = 0; i < IR_READS; i++) {
		if (fx_worker_stopping(w) || time_after(jiffies, ir->deadline))
			return;
		page = i % 2 ? cached : prandom_u32_state(&rnd) % IR_PAGES;
		addr = round_down(prandom_u32_state(&rnd) % FX_P, 8);
		if (i % 4 == 2) {
			/* Mapped onto the page's first target all along. */
			ret = vmmem_load(ir->iova, addr + ir_iova(page, 1 +
					 prandom_u32_state(&rnd) % IR_STABLE), &val);
			if (ret || val != ir_tag(page * IR_TARGETS))
				atomic64_inc(&ir->lost);
			atomic64_inc(&ir->stable);
			continue;
		}
		addr += ir_iova(page, 0);
		/* Acquire: pairs with the release after the remap. */
		first = smp_load_acquire(&ir->mapped[page]);
		if (i % 2)
			ret = vmmem_load(&cache, addr, &val);
		else
			ret = vmmem_load(ir->iova, addr, &val);
		/* Acquire: the load before it stays before it. */
		last = smp_load_acquire(&ir->mapped[page]);
		if (ret == -EFAULT) {
			atomic64_inc(&ir->faults);
		} else if (ret) {
			atomic64_inc(&ir->errors);
		} else {
			atomic64_inc(&ir->loads);
			/* The next mapping may be seen before its number. */
			if (!ir_plausible(page, val, first, last + 1))
				atomic64_inc(&ir->stale);
		}
		atomic_long_inc(&ir->reads);
		if (i % 16 == 15) {
			/* Let remaps in, even on one CPU. */
			seen = atomic_long_read(&ir->remaps);
			while (atomic_long_read(&ir->remaps) == seen &&
			       !fx_worker_stopping(w))
				fx_spin();
		}
	}
}

KUNIT_DEFINE_ACTION_WRAPPER(ir_destroy_action, vmmem_iova_destroy,
			    struct vmmem_iova *);

/*
 * @pages pages at @gpa, every word of page i holding @tag | i, and an
 * empty IOVA space over @vm, destroyed before the map goes and after the
 * readers (later actions run first).
 */
static struct vmmem_iova *smp_tagged_space(struct kunit *test, struct vmmem *vm,
					   u64 gpa, unsigned int pages, u64 tag)
{
	struct vmmem_iova *iova;
	unsigned int i;
	u64 off;

	fx_add(test, vm, gpa, pages * FX_P, 0);
	for (i = 0; i < pages; i++) {
		for (off = 0; off < FX_P; off += 8)
			KUNIT_ASSERT_EQ(test, 0, vmmem_store(vm, gpa + i * FX_P + off,
							     tag | i));
	}
	iova = vmmem_iova_create(vm, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, iova);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, ir_destroy_action,
							   iova));
	return iova;
}

static void smp_iova_remap_vs_readers(struct kunit *test)
{
	struct iova_remap *ir = kunit_kzalloc(test, sizeof(*ir), GFP_KERNEL);
	unsigned int nr = fx_nr_workers(SMP_WORKERS), t, page;
	struct vmmem *vm = fx_create(test);
	struct fx_threads *th;
	unsigned long r, seen, until;

	KUNIT_ASSERT_NOT_NULL(test, ir);
	ir->iova = smp_tagged_space(test, vm, IR_GPA, IR_PAGES * IR_TARGETS,
				    ir_tag(0));
	for (page = 0; page < IR_PAGES; page++) {
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(ir->iova, ir_iova(page, 0), FX_P,
							ir_target_gpa(page, 0), VMMEM_READ));
		for (t = 1; t <= IR_STABLE; t++)
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(ir->iova, ir_iova(page, t), FX_P,
								ir_target_gpa(page, 0),
								VMMEM_READ));
	}

	ir->deadline = jiffies + IR_SECONDS * HZ;
	th = fx_threads_start(test, ir_reader, ir, nr, "vmmem-ir");
	fx_threads_print(test, th);
	/* Until every reader has made its loads. */
	for (r = 0; fx_threads_running(th); r++) {
		page = r % IR_PAGES;
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(ir->iova, ir_iova(page, 0), FX_P));
		KUNIT_ASSERT_EQ(test, 0,
				vmmem_iova_map(ir->iova, ir_iova(page, 0), FX_P,
					       ir_target_gpa(page, ir->mapped[page] + 1),
					       VMMEM_READ));
		/* Release: the new mapping before its number. */
		smp_store_release(&ir->mapped[page], ir->mapped[page] + 1);
		atomic_long_inc(&ir->remaps);
		/*
		 * Let loads in, even on one CPU, but not for long: readers
		 * wait for remaps too, and the two waits can start together,
		 * each just after the other side's last step (a hang until
		 * KUnit's timeout on the smp-kasan lane while this wait had
		 * no bound).
		 */
		if (r % 8 == 7) {
			seen = atomic_long_read(&ir->reads);
			until = jiffies + 2;
			while (atomic_long_read(&ir->reads) == seen &&
			       time_before(jiffies, until) && fx_threads_running(th))
				fx_spin();
		}
	}
	fx_threads_stop(test, th);

	kunit_info(test, "%u readers, %lu remaps, %lld loads, %lld faults, %lld stable loads, %lld lost%s\n",
		   nr, r, atomic64_read(&ir->loads), atomic64_read(&ir->faults),
		   atomic64_read(&ir->stable), atomic64_read(&ir->lost),
		   time_after(jiffies, ir->deadline) ? " (stopped by the clock)" : "");
	KUNIT_EXPECT_EQ(test, atomic64_read(&ir->errors), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ir->lost), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ir->stale), 0);
	/* Every read of a remapped page either loaded or faulted. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&ir->loads) + atomic64_read(&ir->faults),
			(s64)atomic_long_read(&ir->reads));
	KUNIT_EXPECT_GT(test, atomic64_read(&ir->loads), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&ir->stable), 0);
	KUNIT_EXPECT_GT(test, r, 0);
}

/*
 * smp_iova_search_vs_rebalance: readers load from entries that never
 * change (even IOVA pages) while the test thread maps and unmaps the odd
 * pages between them, so that the tree rebalances around them all the
 * time. A search that runs into a rotation may miss an entry that is
 * there; it must then notice the change and search again, and a load
 * from a stable entry must never fail.
 */
#define SR_STABLE	8	/* stable entries, and as many churned ones */
#define SR_GPA		(512 * FX_P)
#define SR_LOADS	4000000	/* per reader, unless SR_SECONDS pass first */
#define SR_SECONDS	10

struct iova_rebalance {
	struct vmmem_iova *iova;
	atomic64_t loads, lost;
	unsigned long deadline;		/* jiffies */
};

static u64 sr_tag(unsigned int k)
{
	return 0x7ab1e00000000000ULL | k;
}

static void sr_reader(struct fx_worker *w)
{
	struct iova_rebalance *sr = w->data;
	struct rnd_state rnd;
	unsigned long i;
	unsigned int k;
	u64 val;

	prandom_seed_state(&rnd, get_random_u64());
	for (i = 0; i < SR_LOADS; i++) {
		if (fx_worker_stopping(w) || time_after(jiffies, sr->deadline))
			break;
		k = prandom_u32_state(&rnd) % SR_STABLE;
		if (vmmem_load(sr->iova, 2 * k * FX_P + 8 * (i % (FX_P / 8)), &val) ||
		    val != sr_tag(k))
			atomic64_inc(&sr->lost);
		/* Let the test thread in, even on one CPU. */
		if (i % 256 == 255)
			fx_spin();
	}
	atomic64_add(i, &sr->loads);
}

static void smp_iova_search_vs_rebalance(struct kunit *test)
{
	struct iova_rebalance *sr = kunit_kzalloc(test, sizeof(*sr), GFP_KERNEL);
	unsigned int nr = fx_nr_workers(SMP_WORKERS), k;
	struct vmmem *vm = fx_create(test);
	unsigned long *mapped, changes;
	struct fx_threads *th;
	struct rnd_state rnd;

	mapped = kunit_kcalloc(test, BITS_TO_LONGS(SR_STABLE), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sr && mapped);
	sr->iova = smp_tagged_space(test, vm, SR_GPA, SR_STABLE, sr_tag(0));
	for (k = 0; k < SR_STABLE; k++)
		KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(sr->iova, 2 * k * FX_P, FX_P,
							SR_GPA + k * FX_P, VMMEM_READ));

	prandom_seed_state(&rnd, 17);
	sr->deadline = jiffies + SR_SECONDS * HZ;
	th = fx_threads_start(test, sr_reader, sr, nr, "vmmem-sr");
	fx_threads_print(test, th);
	for (changes = 0; fx_threads_running(th); changes++) {
		k = changes % SR_STABLE;
		if (__test_and_change_bit(k, mapped))
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(sr->iova, (2 * k + 1) * FX_P,
								  FX_P));
		else
			KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(sr->iova, (2 * k + 1) * FX_P,
								FX_P, SR_GPA + k * FX_P,
								VMMEM_READ));
		if (changes % 64 == 63)
			fx_spin();
	}
	fx_threads_stop(test, th);

	kunit_info(test, "%u readers, %lu changes, %lld loads, %lld lost\n", nr,
		   changes, atomic64_read(&sr->loads), atomic64_read(&sr->lost));
	KUNIT_EXPECT_EQ(test, atomic64_read(&sr->lost), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&sr->loads), 0);
	KUNIT_EXPECT_GT(test, changes, 0);
}

static struct kunit_case vmmem_smp_cases[] = {
	KUNIT_CASE_SLOW(smp_log_start_vs_writers),
	KUNIT_CASE_SLOW(smp_message_passing),
	KUNIT_CASE_SLOW(smp_message_passing_cache),
	KUNIT_CASE_SLOW(smp_harvest_vs_writers),
	KUNIT_CASE_SLOW(smp_iova_remap_vs_readers),
	KUNIT_CASE_SLOW(smp_iova_search_vs_rebalance),
	{}
};

static struct kunit_suite vmmem_smp_suite = {
	.name = "vmmem_smp",
	.test_cases = vmmem_smp_cases,
};

kunit_test_suite(vmmem_smp_suite);
