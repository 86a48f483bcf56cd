/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared fixture of the vmmem KUnit suites: one map with a fixed layout of
 * adjacent regions, a read-only region, a hole and a region that ends at
 * 2^64 - 1, every byte filled with a pattern derived from its address.
 */
#ifndef _VMMEM_KUNIT_FIXTURE_H
#define _VMMEM_KUNIT_FIXTURE_H

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/vmmem.h>

#define FX_P		((u64)PAGE_SIZE)
#define FX_BASE		(16 * FX_P)
/* A and B are adjacent and writable; C follows B and is read-only. */
#define FX_A		FX_BASE
#define FX_A_SIZE	(2 * FX_P)
#define FX_B		(FX_A + FX_A_SIZE)
#define FX_B_SIZE	(2 * FX_P)
#define FX_C		(FX_B + FX_B_SIZE)
#define FX_C_SIZE	FX_P
/* A two-page hole, then E. */
#define FX_HOLE		(FX_C + FX_C_SIZE)
#define FX_HOLE_SIZE	(2 * FX_P)
#define FX_E		(FX_HOLE + FX_HOLE_SIZE)
#define FX_E_SIZE	FX_P
/* TOP ends exactly at 2^64 - 1. */
#define FX_TOP_SIZE	(2 * FX_P)
#define FX_TOP		(0 - FX_TOP_SIZE)

/* The byte the fixture stores at @gpa: differs between neighbours and pages. */
static inline u8 fx_pattern(u64 gpa)
{
	return (u8)(gpa ^ (gpa >> 8) ^ (gpa >> 16) ^ (gpa >> 56) ^ 0x5a);
}

/*
 * The access-contract suites run once per kind of backing memory: the
 * suite's init picks the backing that fx_add() uses for every region.
 */
enum fx_backing { FX_VMALLOC, FX_USER, FX_PAGES };

int fx_init_vmalloc(struct kunit *test);
int fx_init_user(struct kunit *test);
int fx_init_pages(struct kunit *test);

#define FX_SUITE(var, suite_name, init_fn, cases)	\
	static struct kunit_suite var = {		\
		.name = suite_name,			\
		.init = init_fn,			\
		.test_cases = cases,			\
	}

/* Suites <base>, <base>_user and <base>_pages, with the same cases. */
#define FX_DEFINE_SUITES(base, ...)						\
	static struct kunit_case base##_vmalloc_cases[] = { __VA_ARGS__, {} };	\
	static struct kunit_case base##_user_cases[] = { __VA_ARGS__, {} };	\
	static struct kunit_case base##_pages_cases[] = { __VA_ARGS__, {} };	\
	FX_SUITE(base##_vmalloc_suite, #base, fx_init_vmalloc,			\
		 base##_vmalloc_cases);						\
	FX_SUITE(base##_user_suite, #base "_user", fx_init_user,		\
		 base##_user_cases);						\
	FX_SUITE(base##_pages_suite, #base "_pages", fx_init_pages,		\
		 base##_pages_cases);						\
	kunit_test_suites(&base##_vmalloc_suite, &base##_user_suite,		\
			  &base##_pages_suite)

unsigned long fx_user_map(struct kunit *test, unsigned long len,
			  unsigned long prot, unsigned long flags);
int fx_try_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	       unsigned int flags);
struct vmmem *fx_create(struct kunit *test);
struct vmmem *fx_create_layout(struct kunit *test);
void fx_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	    unsigned int flags);
void fx_fill(struct kunit *test, struct vmmem *vm, u64 gpa, u64 len);
bool fx_matches(const u8 *buf, u64 gpa, size_t len);
u64 fx_bvecs_bytes(const struct vmmem_bvecs *bv);
unsigned int fx_bvecs_mismatches(const struct vmmem_bvecs *bv, u64 gpa);
bool fx_guest_matches(struct kunit *test, struct vmmem *vm, u64 gpa,
		      size_t len);

/* Removes the region added at exactly [@gpa, @gpa + @size), alone. */
static inline int fx_remove(struct vmmem *vm, u64 gpa, u64 size)
{
	const struct vmmem_update up = {
		.op = VMMEM_REMOVE,
		.gpa = gpa,
		.size = size,
	};

	return vmmem_update(vm, &up, 1);
}

/* What vmmem_info() says about a map or a snapshot, as a value. */
static inline struct vmmem_info fx_info(union vmmem_space space)
{
	struct vmmem_info info;

	vmmem_info(space, &info);
	return info;
}

/*
 * Worker kthreads for the concurrency suites. fx_threads_start() binds the
 * test thread to one CPU and each worker to another (round robin over the
 * other online CPUs; all on the one CPU under UML), then starts them. Each
 * worker calls the function once, which does a fixed amount of work and
 * returns early only when fx_worker_stopping(). The test waits for them
 * with fx_threads_stop(); a kunit action stops them (and frees the test
 * thread's CPU) if the test ends before that, so a failed assertion never
 * leaves a worker running.
 */
#define FX_MAX_THREADS	8

struct fx_threads;

/**
 * struct fx_worker - one worker of fx_threads_start()
 * @threads: the set it belongs to
 * @task: its kthread, with a reference of the set; NULL when not running
 * @data: what fx_threads_start() was given
 * @idx: index of the worker in the set, from 0
 * @cpu: the CPU it is bound to
 */
struct fx_worker {
	struct fx_threads *threads;
	struct task_struct *task;
	void *data;
	unsigned int idx;
	unsigned int cpu;
};

/**
 * struct fx_threads - workers bound to CPUs, and the test thread's CPU
 * @workers: the workers, @nr of them
 * @fn: what each worker runs
 * @main: the test thread, with a reference while it is bound
 * @worker_cpus: the CPUs of the workers
 * @nr: number of workers
 * @main_cpu: the CPU the test thread is bound to
 * @running: workers that have not returned from @fn yet
 * @done: completed when @running drops to 0
 * @abort: set when the workers must give up (marked accesses only)
 */
struct fx_threads {
	struct fx_worker workers[FX_MAX_THREADS];
	void (*fn)(struct fx_worker *w);
	struct task_struct *main;
	struct cpumask worker_cpus;
	unsigned int nr;
	unsigned int main_cpu;
	atomic_t running;
	struct completion done;
	bool abort;
};

struct fx_threads *fx_threads_start(struct kunit *test,
				    void (*fn)(struct fx_worker *w),
				    void *data, unsigned int nr,
				    const char *name);
bool fx_threads_running(struct fx_threads *th);
void fx_threads_stop(struct kunit *test, struct fx_threads *th);
void fx_threads_print(struct kunit *test, const struct fx_threads *th);

/* Workers for a case: one per online CPU, at most @max, at least one. */
static inline unsigned int fx_nr_workers(unsigned int max)
{
	return clamp(num_online_cpus(), 1U, max);
}

/* True once the worker's set is being stopped: return at once. */
static inline bool fx_worker_stopping(const struct fx_worker *w)
{
	return READ_ONCE(w->threads->abort);
}

/* Make the workers give up; fx_threads_stop() then fails the test. */
static inline void fx_threads_abort(struct fx_threads *th)
{
	WRITE_ONCE(th->abort, true);
}

/*
 * Called between two steps of racing work. One CPU and no preemption
 * (UML): hand the CPU over, or nothing would interleave. SMP: run flat out
 * (cond_resched() is nothing under PREEMPT).
 */
static inline void fx_yield(void)
{
	if (num_online_cpus() == 1)
		schedule();
	else
		cond_resched();
}

/*
 * One step of a busy wait for another thread. SMP: that thread may share
 * this CPU (more workers than CPUs), so let it in where there is no
 * preemption.
 */
static inline void fx_spin(void)
{
	if (num_online_cpus() == 1) {
		schedule();
	} else {
		cpu_relax();
		cond_resched();
	}
}

#endif /* _VMMEM_KUNIT_FIXTURE_H */
