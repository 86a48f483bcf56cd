// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_fault: every entry point that allocates, with its 1st, 2nd, 3rd ...
 * allocation failing in turn (the kernel's per-task fail_nth, through
 * failslab and fail_page_alloc), until the call no longer reaches the
 * failing allocation. Each failed call must return its documented error
 * and leave the map exactly as it was: regions, generation, contents,
 * pins, the memlock charge and page references. A failure that a fallback
 * absorbs (kvmalloc() falling back to vmalloc()) must succeed whole.
 *
 * Runs where the kernel has FAILSLAB, FAIL_PAGE_ALLOC and their debugfs
 * knobs (the smp-kasan lane); skipped elsewhere. There kmemleak runs too,
 * and the last case scans for what the sweep leaked. The knobs are set
 * through the data of their debugfs files, as debugfs may not be mounted
 * when KUnit runs.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "fixture.h"
#include "../vmmem/vmmem.h"

/* A failure at every allocation of a call takes at most this many runs. */
#define FAULT_MAX_RUNS	400

struct fault_knobs {
	bool *slab_ignore_reclaim, *page_ignore_reclaim;
	unsigned long *slab_verbose, *page_verbose;
	u32 *page_min_order;
	bool old_slab_ignore, old_page_ignore;
	unsigned long old_slab_verbose, old_page_verbose;
	u32 old_min_order;
};

/* The value a debugfs file of @dir shows: its inode's private data. */
static void *fault_knob(const char *dir, const char *name)
{
	struct dentry *parent = debugfs_lookup(dir, NULL), *file;
	void *data = NULL;

	if (IS_ERR_OR_NULL(parent))
		return NULL;
	file = debugfs_lookup(name, parent);
	if (!IS_ERR_OR_NULL(file)) {
		data = d_inode(file)->i_private;
		dput(file);
	}
	dput(parent);
	return data;
}

static void fault_knobs_restore(void *data)
{
	struct fault_knobs *k = data;

	*k->slab_ignore_reclaim = k->old_slab_ignore;
	*k->page_ignore_reclaim = k->old_page_ignore;
	*k->slab_verbose = k->old_slab_verbose;
	*k->page_verbose = k->old_page_verbose;
	*k->page_min_order = k->old_min_order;
}

/*
 * Let fail_nth reach sleeping allocations (GFP_KERNEL) of any order, and
 * keep the injected failures out of the log, until the test ends.
 */
static int fault_init(struct kunit *test)
{
	struct fault_knobs *k;

	if (!IS_ENABLED(CONFIG_FAILSLAB) || !IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC) ||
	    !IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS))
		kunit_skip(test, "needs FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS");
	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->slab_ignore_reclaim = fault_knob("failslab", "ignore-gfp-wait");
	k->page_ignore_reclaim = fault_knob("fail_page_alloc", "ignore-gfp-wait");
	k->slab_verbose = fault_knob("failslab", "verbose");
	k->page_verbose = fault_knob("fail_page_alloc", "verbose");
	k->page_min_order = fault_knob("fail_page_alloc", "min-order");
	if (!k->slab_ignore_reclaim || !k->page_ignore_reclaim ||
	    !k->slab_verbose || !k->page_verbose || !k->page_min_order)
		return -ENOENT;
	k->old_slab_ignore = *k->slab_ignore_reclaim;
	k->old_page_ignore = *k->page_ignore_reclaim;
	k->old_slab_verbose = *k->slab_verbose;
	k->old_page_verbose = *k->page_verbose;
	k->old_min_order = *k->page_min_order;
	*k->slab_ignore_reclaim = false;
	*k->page_ignore_reclaim = false;
	*k->slab_verbose = 0;
	*k->page_verbose = 0;
	*k->page_min_order = 0;
	return kunit_add_action_or_reset(test, fault_knobs_restore, k);
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* The @n-th allocation of this task from now on fails (fail_nth). */
static void fault_arm(unsigned int n)
{
	WRITE_ONCE(current->fail_nth, n);
}

/* Allocations still to go before the failure; 0 if it happened. */
static unsigned int fault_disarm(void)
{
	unsigned int left = READ_ONCE(current->fail_nth);

	WRITE_ONCE(current->fail_nth, 0);
	return left;
}
#else
/* Never called: fault_init() skips the suite. */
static void fault_arm(unsigned int n)
{
}

static unsigned int fault_disarm(void)
{
	return 0;
}
#endif

/* What must not change when a call fails. */
struct fault_state {
	struct vmmem_info info;
	s64 pinned_vm;
	long locked_vm;
	int page_refs;
	unsigned int region_refs;
	struct vmmem_info iova_info;
};

struct fault_ctx;

/**
 * struct fault_op - one entry point under the sweep
 * @name: shown in failures
 * @err: the error an allocation failure must give
 * @prepare: optional; builds what the call needs, outside the sweep
 * @call: the entry point, with allocations failing
 * @check_failed: optional; what else must hold after a failed call
 * @undo: puts the map back after a successful call
 */
struct fault_op {
	const char *name;
	int err;
	void (*prepare)(struct kunit *test, struct fault_ctx *ctx);
	int (*call)(struct fault_ctx *ctx);
	void (*check_failed)(struct kunit *test, struct fault_ctx *ctx);
	void (*undo)(struct kunit *test, struct fault_ctx *ctx);
};

/**
 * struct fault_ctx - the map under test and the arguments of one call
 * @vm: the fixture's layout of regions, filled with its pattern
 * @up: updates for vmmem_update()
 * @nr_up: entries in @up
 * @uaddr: user memory for %VMMEM_ADD_USER
 * @page: a page for %VMMEM_ADD_PAGES
 * @bvs: the translation's bio_vecs
 * @held: the translation's held slices
 * @bv: a translation for the scatterlist call
 * @sgt: its table
 * @created: a map vmmem_create() made
 * @iova: an IOVA space over @vm, for the IOVA calls
 * @iova_created: an IOVA space vmmem_iova_create() made
 */
struct fault_ctx {
	struct vmmem *vm;
	struct vmmem_update up[3];
	unsigned int nr_up;
	unsigned long uaddr;
	struct page *page;
	struct bio_vec bvs[4];
	struct vmmem_slice held[4];
	struct vmmem_bvecs bv;
	struct sg_table sgt;
	struct vmmem *created;
	struct vmmem_iova *iova;
	struct vmmem_iova *iova_created;
};

static void fault_state(struct fault_ctx *ctx, struct fault_state *st)
{
	vmmem_info(ctx->vm, &st->info);
	/* The test thread has an mm once it has mapped user memory. */
	st->pinned_vm = current->mm ? atomic64_read(&current->mm->pinned_vm) : 0;
	st->locked_vm = atomic_long_read(&current_user()->locked_vm);
	st->page_refs = ctx->page ? page_ref_count(ctx->page) : 0;
	/* A region that no failed update touches: references on it leak too. */
	st->region_refs = vmmem_kunit_region_refs(ctx->vm, FX_A);
	if (ctx->iova)
		vmmem_info(ctx->iova, &st->iova_info);
}

#define G	(256 * FX_P)	/* where the sweep adds, away from the fixture */

static void prep_user(struct kunit *test, struct fault_ctx *ctx)
{
	ctx->uaddr = fx_user_map(test, 2 * FX_P, PROT_READ | PROT_WRITE,
				 MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE);
}

static void prep_page(struct kunit *test, struct fault_ctx *ctx)
{
	ctx->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, ctx->page);
}

static int call_update(struct fault_ctx *ctx)
{
	return vmmem_update(ctx->vm, ctx->up, ctx->nr_up);
}

static int call_add_vmalloc(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_ADD_VMALLOC,
					    .gpa = G, .size = 2 * FX_P };
	ctx->nr_up = 1;
	return call_update(ctx);
}

static int call_add_user(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_ADD_USER, .gpa = G,
					    .size = 2 * FX_P,
					    .uaddr = ctx->uaddr };
	ctx->nr_up = 1;
	return call_update(ctx);
}

static int call_add_pages(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_ADD_PAGES, .gpa = G,
					    .size = FX_P, .pages = &ctx->page };
	ctx->nr_up = 1;
	return call_update(ctx);
}

/* A provider for VMMEM_ADD_MAPPED that only counts its releases. */
static unsigned int mapped_releases;

static int count_map(void *priv, unsigned long index, unsigned int access,
		     void **kaddr)
{
	return -EFAULT;
}

static void count_unmap(void *priv, unsigned long index, void *kaddr)
{
}

static void count_release(void *priv)
{
	mapped_releases++;
}

static const struct vmmem_mapper_ops count_ops = {
	.map = count_map,
	.unmap = count_unmap,
	.release = count_release,
};

static void prep_mapped(struct kunit *test, struct fault_ctx *ctx)
{
	mapped_releases = 0;
}

static int call_add_mapped(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_ADD_MAPPED, .gpa = G,
					    .size = 2 * FX_P,
					    .mapper = &count_ops };
	ctx->nr_up = 1;
	return call_update(ctx);
}

/* The same, keeping its two pages mapped between accesses: one more allocation. */
static int call_add_mapped_cached(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_ADD_MAPPED, .gpa = G,
					    .size = 2 * FX_P,
					    .mapper = &count_ops,
					    .cache_pages = 2 };
	ctx->nr_up = 1;
	return call_update(ctx);
}

/* A failed add leaves the provider's state to the caller. */
static void check_mapped_kept(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_EXPECT_EQ(test, 0U, mapped_releases);
}

/* Move E: a remove and an add at a new place, in one update. */
static int call_move(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_REMOVE, .gpa = FX_E,
					    .size = FX_E_SIZE };
	ctx->up[1] = (struct vmmem_update){ .op = VMMEM_ADD_VMALLOC, .gpa = G,
					    .size = FX_E_SIZE };
	ctx->nr_up = 2;
	return call_update(ctx);
}

static int call_remove(struct fault_ctx *ctx)
{
	ctx->up[0] = (struct vmmem_update){ .op = VMMEM_REMOVE, .gpa = FX_E,
					    .size = FX_E_SIZE };
	ctx->nr_up = 1;
	return call_update(ctx);
}

static void undo_add(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_update(ctx->vm, &(struct vmmem_update){
			.op = VMMEM_REMOVE, .gpa = G, .size = ctx->up[0].size }, 1));
}

/* Undone, the added region released its provider, once. */
static void undo_add_mapped(struct kunit *test, struct fault_ctx *ctx)
{
	undo_add(test, ctx);
	KUNIT_EXPECT_EQ(test, 1U, mapped_releases);
	mapped_releases = 0;
}

static void undo_move(struct kunit *test, struct fault_ctx *ctx)
{
	struct vmmem_update back[2] = {
		{ .op = VMMEM_REMOVE, .gpa = G, .size = FX_E_SIZE },
		{ .op = VMMEM_ADD_VMALLOC, .gpa = FX_E, .size = FX_E_SIZE },
	};

	KUNIT_ASSERT_EQ(test, 0, vmmem_update(ctx->vm, back, 2));
	fx_fill(test, ctx->vm, FX_E, FX_E_SIZE);
}

static void undo_remove(struct kunit *test, struct fault_ctx *ctx)
{
	fx_add(test, ctx->vm, FX_E, FX_E_SIZE, 0);
	fx_fill(test, ctx->vm, FX_E, FX_E_SIZE);
}

static int call_log_start(struct fault_ctx *ctx)
{
	return vmmem_dirty_log_start(ctx->vm);
}

/* Logging stays off: a write marks nothing. */
static void check_log_off(struct kunit *test, struct fault_ctx *ctx)
{
	unsigned long bits = 0;
	u8 v = fx_pattern(FX_A);

	KUNIT_EXPECT_EQ(test, 0, vmmem_store(ctx->vm, FX_A, v));
	KUNIT_EXPECT_EQ(test, 0, vmmem_dirty_harvest(ctx->vm, FX_A, FX_P, &bits));
}

static void undo_log_start(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_stop(ctx->vm));
}

/* With logging on, an add allocates a bitmap and a remove a record. */
static void prep_logging(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_dirty_log_start(ctx->vm));
}

static void prep_translation(struct kunit *test, struct fault_ctx *ctx)
{
	ctx->bv = (struct vmmem_bvecs){ .bv = ctx->bvs, .held = ctx->held,
					.max = ARRAY_SIZE(ctx->bvs) };
	KUNIT_ASSERT_EQ(test, 0, vmmem_translate(ctx->vm, FX_A, FX_A_SIZE + FX_B_SIZE,
						 VMMEM_READ, &ctx->bv));
}

static int call_sgtable(struct fault_ctx *ctx)
{
	return vmmem_bvecs_to_sgtable(&ctx->bv, &ctx->sgt, GFP_KERNEL);
}

static void undo_sgtable(struct kunit *test, struct fault_ctx *ctx)
{
	sg_free_table(&ctx->sgt);
}

static int call_create(struct fault_ctx *ctx)
{
	ctx->created = vmmem_create("kunit", 0);
	return PTR_ERR_OR_ZERO(ctx->created);
}

static void undo_create(struct kunit *test, struct fault_ctx *ctx)
{
	vmmem_put(ctx->created);
}

/* Calls that must not allocate at all: the sweep finds no failure point. */
static int call_no_alloc(struct fault_ctx *ctx)
{
	struct vmmem_snapshot *snap = vmmem_snapshot(ctx->vm);
	struct vmmem_slice slices[2];
	struct vmmem_cache cache;
	unsigned int nr = 2;
	int ret;

	ret = vmmem_hold(snap, FX_A, FX_A_SIZE + FX_B_SIZE, VMMEM_READ, slices, &nr);
	if (!ret)
		vmmem_release(slices, nr);
	ret = ret ?: vmmem_cache_init(ctx->vm, FX_B, FX_P, VMMEM_READ, &cache);
	vmmem_snapshot_put(snap);
	return ret;
}

static int call_iova_create(struct fault_ctx *ctx)
{
	ctx->iova_created = vmmem_iova_create(ctx->vm, NULL, NULL);
	return PTR_ERR_OR_ZERO(ctx->iova_created);
}

static void undo_iova_create(struct kunit *test, struct fault_ctx *ctx)
{
	vmmem_iova_destroy(ctx->iova_created);
}

/* IOVA [0, 4 pages) onto A and B, read and write. */
#define IOVA_SIZE	(FX_A_SIZE + FX_B_SIZE)

static void map_iova(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_map(ctx->iova, 0, IOVA_SIZE, FX_A,
						VMMEM_READ | VMMEM_WRITE));
}

static void prep_iova(struct kunit *test, struct fault_ctx *ctx)
{
	ctx->iova = vmmem_iova_create(ctx->vm, NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->iova);
	map_iova(test, ctx);
}

/* A failed IOVA call left the space as it was. */
static void check_iova(struct kunit *test, struct fault_ctx *ctx)
{
	u8 byte;

	KUNIT_EXPECT_TRUE(test, vmmem_check_range(ctx->iova, 0, IOVA_SIZE,
						  VMMEM_READ | VMMEM_WRITE));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(ctx->iova, IOVA_SIZE - 1, &byte));
	KUNIT_EXPECT_EQ(test, byte, fx_pattern(FX_A + IOVA_SIZE - 1));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(ctx->iova, G, 1, VMMEM_READ));
}

static int call_iova_map(struct fault_ctx *ctx)
{
	return vmmem_iova_map(ctx->iova, G, FX_P, FX_A, VMMEM_READ);
}

static void undo_iova_map(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(ctx->iova, G, FX_P));
}

/* An unmap inside the entry: cuts it in two. */
static int call_iova_unmap(struct fault_ctx *ctx)
{
	return vmmem_iova_unmap(ctx->iova, FX_P, FX_P);
}

static void undo_iova_unmap(struct kunit *test, struct fault_ctx *ctx)
{
	KUNIT_ASSERT_EQ(test, 0, vmmem_iova_unmap(ctx->iova, 0, IOVA_SIZE));
	map_iova(test, ctx);
}

static const struct fault_op fault_ops[] = {
	{ "vmmem_create", -ENOMEM, NULL, call_create, NULL, undo_create },
	{ "add vmalloc", -ENOMEM, NULL, call_add_vmalloc, NULL, undo_add },
	{ "add user", -ENOMEM, prep_user, call_add_user, NULL, undo_add },
	{ "add pages", -ENOMEM, prep_page, call_add_pages, NULL, undo_add },
	{ "add mapped", -ENOMEM, prep_mapped, call_add_mapped, check_mapped_kept,
	  undo_add_mapped },
	{ "add mapped, pages kept", -ENOMEM, prep_mapped, call_add_mapped_cached,
	  check_mapped_kept, undo_add_mapped },
	{ "remove", -ENOMEM, NULL, call_remove, NULL, undo_remove },
	{ "move (remove + add)", -ENOMEM, NULL, call_move, NULL, undo_move },
	{ "dirty log start", -ENOMEM, NULL, call_log_start, check_log_off,
	  undo_log_start },
	{ "move while logging", -ENOMEM, prep_logging, call_move, NULL,
	  undo_move },
	{ "bvecs to sgtable", -ENOMEM, prep_translation, call_sgtable, NULL,
	  undo_sgtable },
	{ "snapshot, hold, cache init", 0, NULL, call_no_alloc, NULL, NULL },
	{ "IOVA space create", -ENOMEM, NULL, call_iova_create, NULL,
	  undo_iova_create },
	{ "IOVA map", -ENOMEM, prep_iova, call_iova_map, check_iova,
	  undo_iova_map },
	{ "IOVA unmap (cut an entry)", -ENOMEM, prep_iova, call_iova_unmap,
	  check_iova, undo_iova_unmap },
};

static void fault_op_desc(const struct fault_op *op, char *desc)
{
	strscpy(desc, op->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fault, fault_ops, fault_op_desc);

static void vmmem_fault_sweep(struct kunit *test)
{
	const struct fault_op *op = test->param_value;
	struct fault_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct fault_state before, after;
	unsigned int n, hit = 0, absorbed = 0;
	unsigned int left;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->vm = fx_create_layout(test);
	if (op->prepare)
		op->prepare(test, ctx);

	for (n = 1; n <= FAULT_MAX_RUNS; n++) {
		fault_state(ctx, &before);
		fault_arm(n);
		ret = op->call(ctx);
		left = fault_disarm();

		if (!ret) {
			/* Nothing failed, or a fallback absorbed it. */
			absorbed += !left;
			if (op->undo)
				op->undo(test, ctx);
			if (left)
				break;
			continue;
		}
		hit++;
		KUNIT_EXPECT_EQ_MSG(test, ret, op->err, "%s, allocation %u failing",
				    op->name, n);
		KUNIT_EXPECT_EQ_MSG(test, left, 0, "%s failed with no injected failure",
				    op->name);
		fault_state(ctx, &after);
		KUNIT_EXPECT_EQ_MSG(test, after.info.generation, before.info.generation,
				    "%s, allocation %u", op->name, n);
		KUNIT_EXPECT_EQ(test, after.info.nr_regions, before.info.nr_regions);
		KUNIT_EXPECT_EQ(test, after.info.last_addr, before.info.last_addr);
		KUNIT_EXPECT_EQ(test, after.pinned_vm, before.pinned_vm);
		KUNIT_EXPECT_EQ(test, after.locked_vm, before.locked_vm);
		KUNIT_EXPECT_EQ(test, after.page_refs, before.page_refs);
		KUNIT_EXPECT_EQ(test, after.iova_info.generation, before.iova_info.generation);
		KUNIT_EXPECT_EQ(test, after.iova_info.nr_regions, before.iova_info.nr_regions);
		KUNIT_EXPECT_EQ(test, after.iova_info.last_addr, before.iova_info.last_addr);
		KUNIT_EXPECT_EQ_MSG(test, after.region_refs, before.region_refs,
				    "%s, allocation %u: references on a region", op->name, n);
		KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, ctx->vm, FX_E, FX_E_SIZE));
		KUNIT_EXPECT_FALSE(test, vmmem_check_range(ctx->vm, G, 1, VMMEM_READ));
		if (op->check_failed)
			op->check_failed(test, ctx);
		if (test->status == KUNIT_FAILURE)
			break;
	}
	KUNIT_EXPECT_LT_MSG(test, n, FAULT_MAX_RUNS, "%s never stopped allocating",
			    op->name);
	if (!op->err)
		KUNIT_EXPECT_EQ_MSG(test, hit + absorbed, 0, "%s allocates", op->name);
	else
		KUNIT_EXPECT_GT_MSG(test, hit, 0, "%s never failed", op->name);
	kunit_info(test, "%s: %u allocation(s), %u failure(s) returned, %u absorbed\n",
		   op->name, n - 1, hit, absorbed);

	vmmem_iova_destroy(ctx->iova);
	if (ctx->bv.nr_held)
		vmmem_untranslate(&ctx->bv);
	if (ctx->page)
		put_page(ctx->page);
}

/* kmemleak reports objects at least this old (its MSECS_MIN_AGE). */
#define LEAK_MIN_AGE_MS		5000
/* The most of kmemleak's report this case reads. */
#define LEAK_REPORT_MAX		SZ_1M

#if IS_BUILTIN(CONFIG_VMMEM_KUNIT_TEST) && IS_ENABLED(CONFIG_DEBUG_KMEMLEAK)
KUNIT_DEFINE_ACTION_WRAPPER(vfree_action, vfree, const void *);

/*
 * Write @cmd to kmemleak's debugfs file, then read the whole report into a
 * NUL-terminated buffer. The file takes only user buffers (a .write, not
 * .write_iter), so the text goes through a mapping of the test's own mm;
 * debugfs is mounted here, since nothing has mounted it when KUnit runs.
 */
static char *kmemleak_command(struct kunit *test, const char *cmd)
{
	size_t chunk = 16 * PAGE_SIZE, len = 0;
	struct file_system_type *fs;
	struct vfsmount *mnt;
	unsigned long ubuf;
	struct file *file;
	loff_t pos = 0;
	ssize_t n;
	char *text;

	text = vzalloc(LEAK_REPORT_MAX + 1);
	KUNIT_ASSERT_NOT_NULL(test, text);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, vfree_action, text));
	ubuf = fx_user_map(test, chunk, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE);
	fs = get_fs_type("debugfs");
	KUNIT_ASSERT_NOT_NULL(test, fs);
	mnt = kern_mount(fs);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	file = file_open_root_mnt(mnt, "kmemleak", O_RDWR, 0);
	if (IS_ERR(file)) {
		kern_unmount(mnt);
		KUNIT_FAIL_AND_ABORT(test, "open kmemleak: %ld", PTR_ERR(file));
	}

	n = -EFAULT;
	if (!copy_to_user((char __user *)ubuf, cmd, strlen(cmd)))
		n = vfs_write(file, (char __user *)ubuf, strlen(cmd), &pos);
	KUNIT_EXPECT_EQ_MSG(test, n, (ssize_t)strlen(cmd), "kmemleak %s", cmd);
	pos = 0;
	while (len < LEAK_REPORT_MAX) {
		n = vfs_read(file, (char __user *)ubuf,
			     min(chunk, LEAK_REPORT_MAX - len), &pos);
		if (n <= 0 || copy_from_user(text + len, (char __user *)ubuf, n))
			break;
		len += n;
	}
	fput(file);
	kern_unmount(mnt);
	KUNIT_EXPECT_GE_MSG(test, n, 0, "read kmemleak");
	return text;
}

/*
 * Leaks of the test's own: the scan must find them, or it proves nothing.
 * Several, since a stale copy of a pointer somewhere kmemleak scans (a
 * register spilled by an interrupt) can hide one. They come from caches
 * of their own, on fresh slab pages: a kmalloc() object reuses an address
 * that was freed just before, and stale copies of such addresses in live
 * objects hid all eight in one run. Even fresh pages held addresses that
 * earlier slabs of the same object size had handed out: all eight 96-byte
 * objects went unreported in two full smp-kasan runs, so the leaks are
 * spread over three sizes, two of them no kmalloc() size.
 */
#define PLANTED_SIZES	3
#define PLANTED_LEAKS	(8 * PLANTED_SIZES)
static const unsigned int planted_size[PLANTED_SIZES] = { 96, 744, 1976 };
static unsigned long planted_leak[PLANTED_LEAKS];

static noinline void vmmem_fault_plant_leak(struct kmem_cache *cache,
					    unsigned int i)
{
	/* Kept only disguised, so no word in memory points to it. */
	planted_leak[i] = (unsigned long)kmem_cache_alloc(cache, GFP_KERNEL) ^ ~0UL;
}

static bool vmmem_fault_planted(unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < PLANTED_LEAKS; i++) {
		if ((planted_leak[i] ^ ~0UL) == addr)
			return true;
	}
	return false;
}

/*
 * After the sweep: no object that vmmem allocated, through any of the
 * failures injected above, is left unreferenced. Reports are counted by
 * the allocating backtrace: the kernel's own boot-time reports name no
 * vmmem function.
 */
static void vmmem_fault_no_leaks(struct kunit *test)
{
	unsigned int leaks = 0, planted = 0, reports = 0, untraced = 0, others = 0, i;
	char *text, *report, *next, *trace, *other[3];
	struct kmem_cache *cache[PLANTED_SIZES];
	char name[32];
	unsigned long addr;

	for (i = 0; i < PLANTED_SIZES; i++) {
		snprintf(name, sizeof(name), "vmmem_planted_leak_%u", planted_size[i]);
		cache[i] = kmem_cache_create(name, planted_size[i], 0, SLAB_NO_MERGE,
					     NULL);
		KUNIT_ASSERT_NOT_NULL(test, cache[i]);
	}
	vmmem_synchronize();
	for (i = 0; i < PLANTED_LEAKS; i++)
		vmmem_fault_plant_leak(cache[i % PLANTED_SIZES], i);
	msleep(LEAK_MIN_AGE_MS + 500);

	/*
	 * Task stacks are left out of this scan: dead frames below a
	 * thread's stack pointer keep stale copies of pointers (the planted
	 * one among them) that would hide a leak. Nothing of vmmem lives on
	 * a stack across the 5 s wait.
	 */
	kmemleak_command(test, "stack=off");
	/*
	 * An object whose contents changed since the last scan (any new
	 * one) is spared once: the second scan reports it.
	 */
	kmemleak_command(test, "scan");
	text = kmemleak_command(test, "scan");
	kmemleak_command(test, "stack=on");
	for (report = strstr(text, "unreferenced object"); report; report = next) {
		next = strstr(report + 1, "unreferenced object");
		if (next)
			next[-1] = '\0';
		reports++;
		/*
		 * A planted leak by its address: its backtrace may be missing
		 * (the stack depot can fail to store one).
		 */
		if (sscanf(report, "unreferenced object 0x%lx", &addr) == 1 &&
		    vmmem_fault_planted(addr)) {
			planted++;
			continue;
		}
		/* Who allocated it: the backtrace, not the data's hex dump. */
		trace = strstr(report, "backtrace");
		if (trace)
			trace = strchr(trace, '\n');
		if (!trace || trace[1] != ' ') {
			/* Cannot be told from a vmmem leak: shown. */
			untraced++;
			kunit_info(test, "a report without a backtrace: %.400s\n", report);
			continue;
		}
		if (strstr(trace, "vmmem")) {
			leaks++;
			kunit_err(test, "%.1000s", report);
		} else if (others < ARRAY_SIZE(other)) {
			other[others++] = report;
		}
	}
	/* Should the planted leaks be missed: what was found instead. */
	for (i = 0; !planted && i < others; i++)
		kunit_info(test, "not a vmmem leak: %.600s\n", other[i]);
	for (i = 0; i < PLANTED_LEAKS; i++)
		kmem_cache_free(cache[i % PLANTED_SIZES], (void *)(planted_leak[i] ^ ~0UL));
	for (i = 0; i < PLANTED_SIZES; i++)
		kmem_cache_destroy(cache[i]);
	KUNIT_EXPECT_EQ(test, leaks, 0u);
	kunit_info(test, "leak scan: %u report(s), %u of them vmmem leaks, %u of %u planted leaks found, %u without a backtrace\n",
		   reports, leaks, planted, PLANTED_LEAKS, untraced);
	/*
	 * A scan that finds none of the planted leaks proves nothing about
	 * vmmem's: say so, as a skip, rather than pass or blame vmmem.
	 */
	if (!planted && !leaks)
		kunit_skip(test, "the leak scan missed every planted leak: no verdict");
}
#else
static void vmmem_fault_no_leaks(struct kunit *test)
{
	kunit_skip(test, "needs DEBUG_KMEMLEAK and the suites built in");
}
#endif

static struct kunit_case fault_cases[] = {
	KUNIT_CASE_PARAM(vmmem_fault_sweep, fault_gen_params),
	/* Last: it checks what every case before it left behind. */
	KUNIT_CASE_SLOW(vmmem_fault_no_leaks),
	{}
};

static struct kunit_suite fault_suite = {
	.name = "vmmem_fault",
	.init = fault_init,
	.test_cases = fault_cases,
};

kunit_test_suite(fault_suite);
