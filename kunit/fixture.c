// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared fixture of the vmmem KUnit suites, and the test module's
 * identity.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "fixture.h"
/* VMMEM_NS: the namespace in the form this kernel's MODULE_IMPORT_NS() takes. */
#include "../vmmem/compat.h"

KUNIT_DEFINE_ACTION_WRAPPER(fx_put_action, vmmem_put, struct vmmem *);

/* An empty map, put when the test ends. */
struct vmmem *fx_create(struct kunit *test)
{
	struct vmmem *vm = vmmem_create("kunit", 0);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fx_put_action, vm));
	return vm;
}

static const enum fx_backing fx_backings[] = { FX_VMALLOC, FX_USER, FX_PAGES };

int fx_init_vmalloc(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_VMALLOC];
	return 0;
}

int fx_init_user(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_USER];
	return 0;
}

int fx_init_pages(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_PAGES];
	return 0;
}

/* A user mapping of the test's own mm, unmapped when the test ends. */
unsigned long fx_user_map(struct kunit *test, unsigned long len,
			  unsigned long prot, unsigned long flags)
{
	unsigned long uaddr = kunit_vm_mmap(test, NULL, 0, len, prot, flags, 0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(uaddr), "mmap: %ld", (long)uaddr);
	return uaddr;
}

/* Populated, so that pinning never meets the shared zero page. */
static int fx_add_user(struct kunit *test, struct vmmem *vm, u64 gpa,
		       u64 size, unsigned int flags)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_USER,
		.flags = flags,
		.gpa = gpa,
		.size = size,
		.uaddr = fx_user_map(test, size, PROT_READ | PROT_WRITE,
				     MAP_ANONYMOUS | MAP_PRIVATE |
				     MAP_POPULATE),
	};

	return vmmem_update(vm, &up, 1);
}

/* vmmem keeps its own page references: ours are dropped right away. */
static int fx_add_pages(struct kunit *test, struct vmmem *vm, u64 gpa,
			u64 size, unsigned int flags)
{
	unsigned long i, npages = size >> PAGE_SHIFT;
	struct vmmem_update up = {
		.op = VMMEM_ADD_PAGES,
		.flags = flags,
		.gpa = gpa,
		.size = size,
	};
	struct page **pages;
	int ret;

	pages = kunit_kcalloc(test, npages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < npages; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	up.pages = pages;
	ret = vmmem_update(vm, &up, 1);
	for (i = 0; i < npages; i++)
		put_page(pages[i]);
	return ret;
}

/* Adds a region with the suite's backing (vmalloc outside such suites). */
int fx_try_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	       unsigned int flags)
{
	const enum fx_backing *backing = test->priv;
	struct vmmem_update up = {
		.op = VMMEM_ADD_VMALLOC,
		.flags = flags,
		.gpa = gpa,
		.size = size,
	};

	switch (backing ? *backing : FX_VMALLOC) {
	case FX_USER:
		return fx_add_user(test, vm, gpa, size, flags);
	case FX_PAGES:
		return fx_add_pages(test, vm, gpa, size, flags);
	default:
		return vmmem_update(vm, &up, 1);
	}
}

void fx_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	    unsigned int flags)
{
	KUNIT_ASSERT_EQ_MSG(test, 0, fx_try_add(test, vm, gpa, size, flags),
			    "add [%#llx, +%#llx)", gpa, size);
}

/*
 * Writes the pattern through slices rather than vmmem_copy_to_guest(), so
 * that read-only regions can be filled and the copy code is not its own
 * oracle.
 */
/*
 * The byte behind vmmem's kernel address @p, through the direct map: the
 * fixture plays the VMM, which may write memory that read-only regions
 * map read-only.
 */
static u8 *fx_backing_byte(const void *p)
{
	return page_address(vmalloc_to_page(p)) + offset_in_page(p);
}

void fx_fill(struct kunit *test, struct vmmem *vm, u64 gpa, u64 len)
{
	struct vmmem_slice_iter iter;
	struct vmmem_slice slice;
	int ret;
	size_t i;

	rcu_read_lock();
	vmmem_slice_iter_init(vm, gpa, len, VMMEM_READ, &iter);
	while ((ret = vmmem_slice_iter_next(&iter, &slice)) > 0)
		for (i = 0; i < slice.len; i++)
			*fx_backing_byte(slice.ptr + i) = fx_pattern(slice.gpa + i);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/* The fixture layout, every region filled with the pattern. */
struct vmmem *fx_create_layout(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	fx_add(test, vm, FX_A, FX_A_SIZE, 0);
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	fx_add(test, vm, FX_C, FX_C_SIZE, VMMEM_REGION_RDONLY);
	fx_add(test, vm, FX_E, FX_E_SIZE, 0);
	fx_add(test, vm, FX_TOP, FX_TOP_SIZE, 0);

	fx_fill(test, vm, FX_A, FX_A_SIZE + FX_B_SIZE + FX_C_SIZE);
	fx_fill(test, vm, FX_E, FX_E_SIZE);
	fx_fill(test, vm, FX_TOP, FX_TOP_SIZE);
	return vm;
}

/* True if @buf holds the pattern of [@gpa, @gpa + @len). */
bool fx_matches(const u8 *buf, u64 gpa, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != fx_pattern(gpa + i))
			return false;
	return true;
}

/* Bytes the bio_vecs of a translation cover, whatever their number. */
u64 fx_bvecs_bytes(const struct vmmem_bvecs *bv)
{
	u64 bytes = 0;
	unsigned int i;

	for (i = 0; i < bv->nr; i++)
		bytes += bv->bv[i].bv_len;
	return bytes;
}

/* How many bio_vecs of a translation from @gpa do not hold the pattern. */
unsigned int fx_bvecs_mismatches(const struct vmmem_bvecs *bv, u64 gpa)
{
	unsigned int i, bad = 0;
	void *p;

	for (i = 0; i < bv->nr; i++) {
		p = bvec_kmap_local(&bv->bv[i]);
		bad += !fx_matches(p, gpa, bv->bv[i].bv_len);
		kunmap_local(p);
		gpa += bv->bv[i].bv_len;
	}
	return bad;
}

/* True if guest memory at [@gpa, @gpa + @len) still holds the pattern. */
bool fx_guest_matches(struct kunit *test, struct vmmem *vm, u64 gpa,
		      size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0UL, vmmem_copy_from_guest(vm, gpa, buf, len));
	return fx_matches(buf, gpa, len);
}

static int fx_thread_main(void *data)
{
	struct fx_worker *w = data;
	struct fx_threads *th = w->threads;

	th->fn(w);
	/* Fully ordered: the worker's work before the count the test reads. */
	if (atomic_dec_and_test(&th->running))
		complete(&th->done);
	return 0;
}

/* Stops every worker, asking those still at work to give up first. */
static void fx_threads_release(void *data)
{
	struct fx_threads *th = data;
	unsigned int i;

	fx_threads_abort(th);
	for (i = 0; i < th->nr; i++) {
		if (!th->workers[i].task)
			continue;
		/* Our reference keeps a worker that already returned stoppable. */
		kthread_stop(th->workers[i].task);
		put_task_struct(th->workers[i].task);
		th->workers[i].task = NULL;
	}
}

/* Lets the test thread run anywhere again. */
static void fx_threads_unbind(void *data)
{
	struct fx_threads *th = data;

	set_cpus_allowed_ptr(th->main, cpu_possible_mask);
	put_task_struct(th->main);
}

/* Worker @i's CPU: round robin over the online CPUs other than @main_cpu. */
static unsigned int fx_worker_cpu(unsigned int i, unsigned int main_cpu)
{
	unsigned int nr = num_online_cpus(), k, cpu;

	if (nr < 2)
		return main_cpu;
	k = i % (nr - 1);
	for_each_online_cpu(cpu) {
		if (cpu == main_cpu)
			continue;
		if (!k--)
			return cpu;
	}
	return main_cpu;
}

/**
 * fx_threads_start() - start @nr workers, each bound to a CPU
 * @test: the test; its thread is bound to a CPU of its own until
 *	fx_threads_stop() or the end of the test
 * @fn: run once by each worker: a fixed amount of work, cut short only
 *	when fx_worker_stopping()
 * @data: handed to @fn as @w->data
 * @nr: number of workers, 1 to %FX_MAX_THREADS
 * @name: prefix of the kthreads' names
 *
 * Return: the set, to pass to fx_threads_stop().
 */
struct fx_threads *fx_threads_start(struct kunit *test,
				    void (*fn)(struct fx_worker *w),
				    void *data, unsigned int nr,
				    const char *name)
{
	struct fx_threads *th = kunit_kzalloc(test, sizeof(*th), GFP_KERNEL);
	struct task_struct *task;
	struct fx_worker *w;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, th);
	KUNIT_ASSERT_GE(test, nr, 1);
	KUNIT_ASSERT_LE(test, nr, FX_MAX_THREADS);
	th->fn = fn;
	th->nr = nr;
	atomic_set(&th->running, nr);
	init_completion(&th->done);

	th->main_cpu = cpumask_first(cpu_online_mask);
	th->main = get_task_struct(current);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fx_threads_unbind, th));
	KUNIT_ASSERT_EQ(test, 0, set_cpus_allowed_ptr(current, cpumask_of(th->main_cpu)));

	/* Created and bound first, woken together: a failure leaves none at work. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fx_threads_release, th));
	for (i = 0; i < nr; i++) {
		w = &th->workers[i];
		w->threads = th;
		w->data = data;
		w->idx = i;
		w->cpu = fx_worker_cpu(i, th->main_cpu);
		task = kthread_create(fx_thread_main, w, "%s/%u", name, i);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(task), "kthread_create: %ld", PTR_ERR(task));
		kthread_bind(task, w->cpu);
		w->task = get_task_struct(task);
		cpumask_set_cpu(w->cpu, &th->worker_cpus);
	}
	for (i = 0; i < nr; i++)
		wake_up_process(th->workers[i].task);
	return th;
}

/**
 * fx_threads_running() - are workers still at their work?
 * @th: the set
 *
 * For the test thread's loops that race the workers. When KUnit stops the
 * test thread (its timeout), the workers are made to give up, so such a
 * loop ends and fx_threads_stop() fails the test.
 *
 * Return: true while a worker has not returned; once false, everything
 * the workers did is visible to the caller.
 */
bool fx_threads_running(struct fx_threads *th)
{
	if (kthread_should_stop())
		fx_threads_abort(th);
	return atomic_read_acquire(&th->running) > 0;
}

/**
 * fx_threads_stop() - wait for the workers to finish, then reap them
 * @test: the test
 * @th: the set
 *
 * Fails the test if the workers were made to give up (fx_threads_abort(),
 * or KUnit stopping the test thread). Frees the test thread's CPU.
 */
void fx_threads_stop(struct kunit *test, struct fx_threads *th)
{
	while (!wait_for_completion_timeout(&th->done, HZ))
		if (kthread_should_stop())
			fx_threads_abort(th);
	KUNIT_ASSERT_FALSE_MSG(test, READ_ONCE(th->abort), "workers were stopped early");
	kunit_release_action(test, fx_threads_release, th);
	kunit_release_action(test, fx_threads_unbind, th);
}

/* Says where the test thread and the workers run. */
void fx_threads_print(struct kunit *test, const struct fx_threads *th)
{
	kunit_info(test, "%u CPUs online: test thread on CPU %u, %u workers on CPUs %*pbl\n",
		   num_online_cpus(), th->main_cpu, th->nr,
		   cpumask_pr_args(&th->worker_cpus));
}

MODULE_DESCRIPTION("KUnit tests for vmmem");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VMMEM_NS);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
