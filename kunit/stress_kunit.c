// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_stress: reader kthreads, each bound to a CPU other than the test
 * thread's, read, verify and write guest memory through snapshots, held
 * slices and the live map while the test thread adds, removes, moves and
 * batch-replaces regions. Every 8-byte word holds the id of its region and
 * its offset in it, so reading freed, stale or misplaced memory is a
 * mismatch.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "fixture.h"

#define SLOTS		8
#define SLOT_PAGES	4
#define SPACE		(SLOTS * SLOT_PAGES * FX_P)
/*
 * Each update publishes a layout and waits for a grace period: some 10 ms
 * under QEMU TCG, which bounds the case's time.
 */
#define UPDATES		2000
/* Rounds each reader makes at least; then on until the updates are done. */
#define READ_ROUNDS	200
#define READERS		3
/* Re-reads of a held word, a window for the updater on another CPU. */
#define HOLD_READS	16
/* A region id for every slot, then at most SLOTS per update. */
#define MAX_IDS		((UPDATES + 1) * SLOTS)

struct region_id {
	u64 gpa;
	u64 size;
};

struct stress {
	struct vmmem *vm;
	struct region_id *ids;		/* written before a region is published */
	atomic_t next_id;
	atomic64_t rounds, reads, writes, holds, faults, mismatches;
	bool updates_done;		/* marked accesses only */
};

struct slot {
	u64 gpa;
	u64 size;			/* 0: empty */
};

static u64 word_of(u32 id, u64 off)
{
	return (u64)id << 32 | off;
}

/* Does @v belong at @gpa? */
static bool word_ok(struct stress *st, u64 gpa, u64 v)
{
	u32 id = v >> 32;
	u64 off = (u32)v;
	struct region_id rid;

	/* Acquire: the id's entry was written before the id was counted. */
	if (id >= (u32)atomic_read_acquire(&st->next_id))
		return false;
	rid = st->ids[id];
	return off < rid.size && rid.gpa + off == gpa;
}

static void check_word(struct stress *st, u64 gpa, u64 v)
{
	if (!word_ok(st, gpa, v))
		atomic64_inc(&st->mismatches);
}

static void reader_round(struct stress *st, struct rnd_state *rnd)
{
	struct vmmem_snapshot *snap = vmmem_snapshot(st->vm);
	struct vmmem_region_info info;
	struct vmmem_slice slice;
	u64 gpa, v, buf[8];
	unsigned long left, i;
	unsigned int nr;
	bool changed = false;
	int j, k, ret;

	for (j = 0; j < 8; j++) {
		/* One CPU: let the updater change the map while the snapshot is held. */
		if (j == 4)
			fx_yield();
		gpa = round_down(prandom_u32_state(rnd) % SPACE, 8);
		ret = vmmem_load(snap, gpa, &v);
		atomic64_inc(&st->reads);
		if (ret) {
			/* A hole in the snapshot is a hole for every call. */
			if (ret != -EFAULT || !vmmem_region_info(snap, gpa, &info))
				atomic64_inc(&st->mismatches);
			atomic64_inc(&st->faults);
			continue;
		}
		/* The word, and the snapshot's idea of its region, agree. */
		if (!word_ok(st, gpa, v) || vmmem_region_info(snap, gpa, &info) ||
		    info.gpa != st->ids[v >> 32].gpa)
			atomic64_inc(&st->mismatches);
		/* Writing the word back cannot move it: the snapshot is fixed. */
		if (vmmem_store(snap, gpa, v))
			atomic64_inc(&st->mismatches);
		atomic64_inc(&st->writes);
	}

	/* A copy that may cross regions and holes: every copied word fits. */
	gpa = round_down(prandom_u32_state(rnd) % SPACE, 8);
	left = vmmem_copy_from_guest(snap, gpa, buf, sizeof(buf));
	for (i = 0; i < (sizeof(buf) - left) / 8; i++)
		check_word(st, gpa + 8 * i, buf[i]);
	if (!left != vmmem_check_range(snap, gpa, sizeof(buf), VMMEM_READ))
		atomic64_inc(&st->mismatches);
	vmmem_snapshot_put(snap);

	/*
	 * Live map: a held word survives removal, by the updater on its CPU
	 * (or, on one CPU, while the holder sleeps).
	 */
	gpa = round_down(prandom_u32_state(rnd) % SPACE, 8);
	nr = 1;
	if (!vmmem_hold(st->vm, gpa, 8, VMMEM_READ, &slice, &nr)) {
		v = READ_ONCE(*(const u64 *)slice.ptr);
		if (prandom_u32_state(rnd) % 2)
			fx_yield();
		for (k = 0; k < HOLD_READS; k++)
			changed |= READ_ONCE(*(const u64 *)slice.ptr) != v;
		if (changed)
			atomic64_inc(&st->mismatches);
		check_word(st, gpa, v);
		vmmem_release(&slice, nr);
		atomic64_inc(&st->holds);
	}
	if (!vmmem_load(st->vm, gpa, &v))
		check_word(st, gpa, v);
}

/*
 * READ_ROUNDS rounds, then on until the updater has made its UPDATES, so
 * that every update meets readers on the other CPUs: a fixed amount of
 * work, counted in updates. One CPU and no preemption (UML): hand the CPU
 * over at every round (the scheduler picks whoever ran least).
 */
static void reader_work(struct fx_worker *w)
{
	struct stress *st = w->data;
	struct rnd_state rnd;
	long rounds;

	prandom_seed_state(&rnd, get_random_u64());
	for (rounds = 0; rounds < READ_ROUNDS || !READ_ONCE(st->updates_done); rounds++) {
		if (fx_worker_stopping(w))
			break;
		reader_round(st, &rnd);
		fx_yield();
	}
	atomic64_add(rounds, &st->rounds);
}

/* Fresh pages holding the pattern of a new region id. */
static struct page **new_region_pages(struct kunit *test, struct stress *st,
				      u64 gpa, u64 size)
{
	unsigned long n = size >> PAGE_SHIFT, i, w;
	struct page **pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	u32 id = atomic_read(&st->next_id);
	u64 *words;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_LT(test, id, MAX_IDS);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		words = page_address(pages[i]);
		for (w = 0; w < PAGE_SIZE / 8; w++)
			words[w] = word_of(id, i * PAGE_SIZE + w * 8);
	}
	st->ids[id] = (struct region_id){ .gpa = gpa, .size = size };
	/* Release: the entry before the id, and both before the publish. */
	atomic_set_release(&st->next_id, id + 1);
	return pages;
}

static void free_region_pages(struct page **pages, u64 size)
{
	unsigned long i;

	for (i = 0; i < size >> PAGE_SHIFT; i++)
		put_page(pages[i]);
	kfree(pages);
}

static void random_place(struct rnd_state *rnd, unsigned int s, struct slot *slot)
{
	unsigned int off = prandom_u32_state(rnd) % SLOT_PAGES;

	slot->gpa = (s * SLOT_PAGES + off) * FX_P;
	slot->size = (1 + prandom_u32_state(rnd) % (SLOT_PAGES - off)) * FX_P;
}

/* An add of fresh pages at @slot; update() drops the caller's pages. */
static struct vmmem_update add_new(struct kunit *test, struct stress *st,
				   const struct slot *slot)
{
	return (struct vmmem_update){
		.op = VMMEM_ADD_PAGES,
		.gpa = slot->gpa,
		.size = slot->size,
		.pages = new_region_pages(test, st, slot->gpa, slot->size),
	};
}

/* Applies @ups as one update, then puts the pages of its adds: vmmem has its own. */
static int update(struct vmmem *vm, struct vmmem_update *ups, unsigned int nr)
{
	int ret = vmmem_update(vm, ups, nr);
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (ups[i].op == VMMEM_ADD_PAGES)
			free_region_pages(ups[i].pages, ups[i].size);
	return ret;
}

KUNIT_DEFINE_ACTION_WRAPPER(vfree_action, vfree, const void *);

static void vmmem_stress_hotplug(struct kunit *test)
{
	struct stress *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	struct slot slots[SLOTS] = {}, next;
	unsigned int s, t, filled, nr, updates = 0, batches = 0;
	/* A remove, or a remove of everything, then an add per slot. */
	struct vmmem_update ups[1 + SLOTS];
	struct fx_threads *readers;
	struct rnd_state rnd;
	u32 seed = get_random_u32();

	KUNIT_ASSERT_NOT_NULL(test, st);
	st->ids = vcalloc(MAX_IDS, sizeof(*st->ids));
	KUNIT_ASSERT_NOT_NULL(test, st->ids);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vfree_action, st->ids));
	st->vm = fx_create(test);
	kunit_info(test, "seed %u\n", seed);
	prandom_seed_state(&rnd, seed);

	/* Start with every slot filled, so readers find memory at once. */
	for (s = 0; s < SLOTS; s++) {
		random_place(&rnd, s, &slots[s]);
		ups[0] = add_new(test, st, &slots[s]);
		KUNIT_ASSERT_EQ(test, 0, update(st->vm, ups, 1));
	}
	readers = fx_threads_start(test, reader_work, st, READERS, "vmmem-reader");
	fx_threads_print(test, readers);

	while (updates < UPDATES) {
		s = prandom_u32_state(&rnd) % SLOTS;
		t = prandom_u32_state(&rnd) % 100;
		if (t < 35 && !slots[s].size) {
			random_place(&rnd, s, &slots[s]);
			ups[0] = add_new(test, st, &slots[s]);
			KUNIT_ASSERT_EQ(test, 0, update(st->vm, ups, 1));
		} else if (t < 65 && slots[s].size) {
			ups[0] = (struct vmmem_update){ .op = VMMEM_REMOVE,
							.gpa = slots[s].gpa,
							.size = slots[s].size };
			KUNIT_ASSERT_EQ(test, 0, update(st->vm, ups, 1));
			slots[s].size = 0;
		} else if (t < 85 && slots[s].size) {
			/* Move within the slot, as one update. */
			random_place(&rnd, s, &next);
			ups[0] = (struct vmmem_update){ .op = VMMEM_REMOVE,
							.gpa = slots[s].gpa,
							.size = slots[s].size };
			ups[1] = add_new(test, st, &next);
			KUNIT_ASSERT_EQ(test, 0, update(st->vm, ups, 2));
			slots[s] = next;
			batches++;
		} else if (t >= 85) {
			/* Replace the whole layout with fresh regions. */
			ups[0] = (struct vmmem_update){ .op = VMMEM_REMOVE_ALL };
			nr = 1;
			for (filled = 0; filled < SLOTS; filled++) {
				if (prandom_u32_state(&rnd) % 2) {
					random_place(&rnd, filled, &slots[filled]);
					ups[nr++] = add_new(test, st, &slots[filled]);
				} else {
					slots[filled].size = 0;
				}
			}
			KUNIT_ASSERT_EQ(test, 0, update(st->vm, ups, nr));
			batches++;
		} else {
			continue;
		}
		updates++;
		fx_yield();
	}

	WRITE_ONCE(st->updates_done, true);
	fx_threads_stop(test, readers);

	kunit_info(test, "%u updates (%u batches), %u region ids, %lld reader rounds, %lld reads, %lld writes, %lld holds, %lld holes, %lld mismatches\n",
		   updates, batches, atomic_read(&st->next_id),
		   atomic64_read(&st->rounds),
		   atomic64_read(&st->reads), atomic64_read(&st->writes),
		   atomic64_read(&st->holds), atomic64_read(&st->faults),
		   atomic64_read(&st->mismatches));
	KUNIT_EXPECT_EQ(test, atomic64_read(&st->mismatches), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&st->reads), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&st->holds), 0);
}

static struct kunit_case vmmem_stress_cases[] = {
	KUNIT_CASE_SLOW(vmmem_stress_hotplug),
	{}
};

static struct kunit_suite vmmem_stress_suite = {
	.name = "vmmem_stress",
	.test_cases = vmmem_stress_cases,
};

kunit_test_suite(vmmem_stress_suite);
