// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_user: regions pinned from a process's memory, on real user
 * mappings of the test's own mm (kunit_vm_mmap()). Every failure proves
 * that no page stays pinned and nothing stays accounted.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "fixture.h"

#define G	(64 * FX_P)	/* guest address of the region under test */

/* How many pages of [uaddr, +npages) are pinned; holes count as unpinned. */
static unsigned long pinned_in(unsigned long uaddr, unsigned long npages)
{
	unsigned long i, n = 0;
	struct page *page;

	for (i = 0; i < npages; i++) {
		if (get_user_pages_fast(uaddr + i * PAGE_SIZE, 1, 0, &page) != 1)
			continue;
		n += folio_maybe_dma_pinned(page_folio(page));
		put_page(page);
	}
	return n;
}

static s64 pinned_vm(void)
{
	return atomic64_read(&current->mm->pinned_vm);
}

/* Pages charged to the current user's RLIMIT_MEMLOCK, by anyone. */
static long locked_vm(void)
{
	return atomic_long_read(&current_user()->locked_vm);
}

static unsigned long map_rw(struct kunit *test, unsigned long len)
{
	return fx_user_map(test, len, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE);
}

/* Writes the guest pattern of [gpa, +len) into user memory at @uaddr. */
static void fill_user(struct kunit *test, unsigned long uaddr, u64 gpa,
		      size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < len; i++)
		buf[i] = fx_pattern(gpa + i);
	KUNIT_ASSERT_EQ(test, 0, copy_to_user((void __user *)uaddr, buf, len));
}

/* Adds @size bytes of the caller's memory at @uaddr as guest @gpa. */
static int add_user(struct vmmem *vm, u64 gpa, unsigned long uaddr, u64 size,
		    unsigned int flags)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_USER,
		.flags = flags,
		.gpa = gpa,
		.size = size,
		.uaddr = uaddr,
	};

	return vmmem_update(vm, &up, 1);
}

static bool user_matches(struct kunit *test, unsigned long uaddr,
			 const void *data, size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, copy_from_user(buf, (void __user *)uaddr, len));
	return !memcmp(buf, data, len);
}

/* Bytes written through the user mapping are seen by vmmem, and back. */
static void vmmem_user_shared_both_ways(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 4 * FX_P);
	struct vmmem_region_info info;
	s64 base;

	fill_user(test, uaddr, G, 4 * FX_P);
	base = pinned_vm();
	KUNIT_ASSERT_EQ(test, 0, add_user(vm, G, uaddr, 4 * FX_P, 0));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 4), 4);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 4);

	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, G, 4 * FX_P));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, G + FX_P - 2, "abcd", 4));
	KUNIT_EXPECT_TRUE(test, user_matches(test, uaddr + FX_P - 2, "abcd", 4));
	KUNIT_EXPECT_EQ(test, 0, vmmem_store_release(vm, G + 3 * FX_P, 0x0123456789abcdefULL));
	KUNIT_EXPECT_TRUE(test, user_matches(test, uaddr + 3 * FX_P,
					     &(u64){ 0x0123456789abcdefULL }, 8));

	KUNIT_ASSERT_EQ(test, 0, vmmem_region_info(vm, G + FX_P, &info));
	KUNIT_EXPECT_EQ(test, info.backing, VMMEM_BACKING_USER);
	KUNIT_EXPECT_EQ(test, info.gpa, G);
	KUNIT_EXPECT_EQ(test, info.size, 4 * FX_P);
	KUNIT_EXPECT_EQ(test, info.uaddr, uaddr);
	KUNIT_EXPECT_EQ(test, info.nr_pages, 4);
	KUNIT_EXPECT_EQ(test, -ENOENT, vmmem_region_info(vm, G - 1, &info));

	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 4 * FX_P));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 4), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
}

/* One region over anonymous memory followed by shmem-backed memory. */
static void vmmem_user_anon_and_shmem(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 4 * FX_P), shm;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u8 data[16];

	shm = kunit_vm_mmap(test, NULL, uaddr + 2 * FX_P, 2 * FX_P,
			    PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, 0);
	KUNIT_ASSERT_EQ(test, shm, uaddr + 2 * FX_P);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, uaddr);
	KUNIT_EXPECT_TRUE(test, vma && vma_is_anonymous(vma));
	vma = vma_lookup(mm, shm);
	KUNIT_EXPECT_TRUE(test, vma && vma->vm_file && (vma->vm_flags & VM_SHARED));
	mmap_read_unlock(mm);

	fill_user(test, uaddr, G, 4 * FX_P);
	KUNIT_ASSERT_EQ(test, 0, add_user(vm, G, uaddr, 4 * FX_P, 0));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, G, 4 * FX_P));

	/* A write across the anonymous/shmem boundary lands on both sides. */
	memset(data, 0xc3, sizeof(data));
	KUNIT_EXPECT_EQ(test, 0, vmmem_copy_to_guest(vm, G + 2 * FX_P - 8, data,
						     sizeof(data)));
	KUNIT_EXPECT_TRUE(test, user_matches(test, shm - 8, data, sizeof(data)));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 4), 4);
}

static void vmmem_user_read_only(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = fx_user_map(test, 2 * FX_P, PROT_READ,
					  MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE);
	s64 base = pinned_vm();
	u64 val = 1;

	KUNIT_ASSERT_EQ(test, 0, add_user(vm, G, uaddr, 2 * FX_P, VMMEM_REGION_RDONLY));
	KUNIT_EXPECT_EQ(test, 0, vmmem_load(vm, G + 8, &val));
	KUNIT_EXPECT_EQ(test, val, 0);
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_store(vm, G + 8, (u64)1));
	KUNIT_EXPECT_EQ(test, sizeof(val), vmmem_copy_to_guest(vm, G, &val, sizeof(val)));
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, G, 2 * FX_P, VMMEM_WRITE));
	KUNIT_EXPECT_TRUE(test, vmmem_check_range(vm, G, 2 * FX_P, VMMEM_READ));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 2), 2);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 2), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
}

/* Lowers RLIMIT_MEMLOCK and drops CAP_IPC_LOCK until memlock_restore(). */
struct memlock_state {
	const struct cred *old_cred;
	unsigned long old_limit;
};

static void memlock_limit(struct kunit *test, struct memlock_state *st,
			  unsigned long limit_pages, bool drop_cap)
{
	struct rlimit *rlim = &current->signal->rlim[RLIMIT_MEMLOCK];
	struct cred *cred;

	st->old_cred = NULL;
	if (drop_cap) {
		cred = prepare_creds();
		KUNIT_ASSERT_NOT_NULL(test, cred);
		cap_lower(cred->cap_effective, CAP_IPC_LOCK);
		st->old_cred = override_creds(cred);
		put_cred(cred);
	}
	task_lock(current->group_leader);
	st->old_limit = rlim->rlim_cur;
	rlim->rlim_cur = limit_pages << PAGE_SHIFT;
	task_unlock(current->group_leader);
}

static void memlock_restore(struct memlock_state *st)
{
	task_lock(current->group_leader);
	current->signal->rlim[RLIMIT_MEMLOCK].rlim_cur = st->old_limit;
	task_unlock(current->group_leader);
	if (st->old_cred)
		revert_creds(st->old_cred);
}

enum user_failure {
	HOLE_IN_MIDDLE, HOLE_AT_END, PROT_READ_MAPPING, PROT_NONE_MAPPING,
	OVER_MEMLOCK, MISALIGNED_UADDR, MISALIGNED_SIZE, ZERO_SIZE,
	WRAPPING_UADDR, WRAPPING_GPA, KERNEL_UADDR, OVERLAP, BAD_FLAGS,
};

struct user_fail_case {
	const char *desc;
	enum user_failure what;
	int ret;
};

static const struct user_fail_case user_fail_cases[] = {
	{ "unmapped page in the middle", HOLE_IN_MIDDLE, -EFAULT },
	{ "unmapped last page", HOLE_AT_END, -EFAULT },
	{ "read-only mapping, writable region", PROT_READ_MAPPING, -EFAULT },
	{ "PROT_NONE mapping", PROT_NONE_MAPPING, -EFAULT },
	{ "RLIMIT_MEMLOCK exceeded", OVER_MEMLOCK, -ENOMEM },
	{ "misaligned user address", MISALIGNED_UADDR, -EINVAL },
	{ "misaligned size", MISALIGNED_SIZE, -EINVAL },
	{ "zero size", ZERO_SIZE, -EINVAL },
	{ "user range wraps", WRAPPING_UADDR, -EOVERFLOW },
	{ "guest range wraps", WRAPPING_GPA, -EOVERFLOW },
	{ "address outside user space", KERNEL_UADDR, -EFAULT },
	{ "overlaps a region", OVERLAP, -EEXIST },
	{ "unknown flag", BAD_FLAGS, -EINVAL },
};

KUNIT_ARRAY_PARAM_DESC(user_fail, user_fail_cases, desc);

#define NPAGES 4

static void vmmem_user_add_failures(struct kunit *test)
{
	const struct user_fail_case *c = test->param_value;
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, NPAGES * FX_P), arg_uaddr;
	u64 gpa = G, size = NPAGES * FX_P;
	unsigned int flags = 0, regions;
	struct memlock_state st;
	long locked;
	s64 base;

	fx_add(test, vm, 0, FX_P, 0);
	arg_uaddr = uaddr;
	switch (c->what) {
	case HOLE_IN_MIDDLE:
		KUNIT_ASSERT_EQ(test, 0, vm_munmap(uaddr + FX_P, FX_P));
		break;
	case HOLE_AT_END:
		KUNIT_ASSERT_EQ(test, 0, vm_munmap(uaddr + (NPAGES - 1) * FX_P, FX_P));
		break;
	case PROT_READ_MAPPING:
		uaddr = fx_user_map(test, size, PROT_READ,
				    MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE);
		arg_uaddr = uaddr;
		break;
	case PROT_NONE_MAPPING:
		uaddr = fx_user_map(test, size, PROT_NONE, MAP_ANONYMOUS | MAP_PRIVATE);
		arg_uaddr = uaddr;
		break;
	case MISALIGNED_UADDR:
		arg_uaddr = uaddr + 8;
		break;
	case MISALIGNED_SIZE:
		size -= 8;
		break;
	case ZERO_SIZE:
		size = 0;
		break;
	case WRAPPING_UADDR:
		arg_uaddr = 0 - FX_P;
		size = 2 * FX_P;
		break;
	case WRAPPING_GPA:
		gpa = 0 - FX_P;
		break;
	case KERNEL_UADDR:
		arg_uaddr = PAGE_ALIGN(TASK_SIZE);
		break;
	case OVERLAP:
		gpa = 0;
		break;
	case BAD_FLAGS:
		flags = 0x10;
		break;
	default:
		break;
	}

	regions = fx_info(vm).nr_regions;
	base = pinned_vm();
	locked = locked_vm();
	if (c->what == OVER_MEMLOCK)
		memlock_limit(test, &st, locked + NPAGES - 1, true);
	KUNIT_EXPECT_EQ(test, c->ret, add_user(vm, gpa, arg_uaddr, size, flags));
	if (c->what == OVER_MEMLOCK)
		memlock_restore(&st);

	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, NPAGES), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, regions);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, G, 1, VMMEM_READ));
}

/*
 * One update whose second add fails to pin: the pages the first add pinned
 * are unpinned and unaccounted again, and no region is added.
 */
static void vmmem_user_update_all_or_nothing(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 4 * FX_P);
	struct vmmem_update ups[] = {
		{ .op = VMMEM_ADD_USER, .gpa = G, .size = 2 * FX_P, .uaddr = uaddr },
		{ .op = VMMEM_ADD_USER, .gpa = G + 2 * FX_P, .size = 2 * FX_P,
		  .uaddr = uaddr + 2 * FX_P },
	};
	s64 base = pinned_vm();

	KUNIT_ASSERT_EQ(test, 0, vm_munmap(uaddr + 3 * FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, -EFAULT, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 4), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 0);
	KUNIT_EXPECT_FALSE(test, vmmem_check_range(vm, G, 1, VMMEM_READ));

	/* Without the hole, both are added in one step. */
	ups[1].size = FX_P;
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, ups, ARRAY_SIZE(ups)));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 3), 3);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 3);
	KUNIT_EXPECT_EQ(test, fx_info(vm).nr_regions, 2);
}

/* Pins count against RLIMIT_MEMLOCK, region by region, and come back. */
static void vmmem_user_memlock_budget(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 5 * FX_P);
	struct memlock_state st;
	s64 base = pinned_vm();
	long locked = locked_vm();

	memlock_limit(test, &st, locked + 4, true);
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G, uaddr, 2 * FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G + 2 * FX_P, uaddr + 2 * FX_P,
					  2 * FX_P, 0));
	KUNIT_EXPECT_EQ(test, -ENOMEM, add_user(vm, G + 4 * FX_P, uaddr + 4 * FX_P,
						FX_P, 0));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 4);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 4);
	/* Removal gives the budget back at once. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G + 4 * FX_P, uaddr + 4 * FX_P, FX_P, 0));
	memlock_restore(&st);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 3);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 3);

	/* With CAP_IPC_LOCK nothing is charged; VmPin still counts. */
	memlock_limit(test, &st, 0, false);
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G, uaddr, 2 * FX_P, 0));
	memlock_restore(&st);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 5);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 3);
	KUNIT_EXPECT_EQ(test, 0, vmmem_update(vm, &(struct vmmem_update){
						 .op = VMMEM_REMOVE_ALL }, 1));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
}

/* Runs the test thread in a fresh mm of its own: another process, same user. */
static struct mm_struct *enter_other_mm(struct kunit *test,
					struct mm_struct **saved)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);
	*saved = current->mm;
	kthread_unuse_mm(*saved);
	kthread_use_mm(mm);
	return mm;
}

static void leave_other_mm(struct mm_struct *mm, struct mm_struct *saved)
{
	kthread_unuse_mm(mm);
	kthread_use_mm(saved);
	/* Its pages stay pinned while a region holds them: only the mm goes. */
	mmput(mm);
}

/*
 * The limit holds for the user, whichever process pins: another process
 * of the same user cannot add on top of what this one pinned, and a
 * process that pinned and exited leaves its charge until the region goes.
 * Charged to each mm, a loop of children could each pin up to the limit.
 */
static void vmmem_user_memlock_follows_user(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, NPAGES * FX_P), other;
	struct mm_struct *mm, *saved;
	struct memlock_state st;
	long locked = locked_vm();

	memlock_limit(test, &st, locked + NPAGES, true);
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G, uaddr, NPAGES * FX_P, 0));

	mm = enter_other_mm(test, &saved);
	other = vm_mmap(NULL, 0, FX_P, PROT_READ | PROT_WRITE,
			MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(other));
	KUNIT_EXPECT_EQ(test, -ENOMEM, add_user(vm, G + NPAGES * FX_P, other, FX_P, 0));
	KUNIT_EXPECT_EQ(test, pinned_vm(), 0);

	/* Room again: the other process pins one page, then exits. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, NPAGES * FX_P));
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G + NPAGES * FX_P, other, FX_P, 0));
	leave_other_mm(mm, saved);
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + 1);
	KUNIT_EXPECT_EQ(test, -ENOMEM, add_user(vm, G, uaddr, NPAGES * FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G, uaddr, (NPAGES - 1) * FX_P, 0));
	memlock_restore(&st);

	/* Removing the exited process's region returns its charge. */
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G + NPAGES * FX_P, FX_P));
	KUNIT_EXPECT_EQ(test, locked_vm(), locked + NPAGES - 1);
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, (NPAGES - 1) * FX_P));
	KUNIT_EXPECT_EQ(test, locked_vm(), locked);
}

struct remover {
	struct vmmem *vm;
	u64 gpa, size;
	int ret;
	struct completion done;
};

static int remover_thread(void *data)
{
	struct remover *r = data;

	r->ret = fx_remove(r->vm, r->gpa, r->size);
	complete(&r->done);
	return 0;
}

/* A kthread without an mm removes the region: the owner's count drops. */
static void vmmem_user_removed_elsewhere(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 2 * FX_P);
	struct remover r = { .vm = vm, .gpa = G, .size = 2 * FX_P };
	struct task_struct *task;
	s64 base = pinned_vm();

	KUNIT_ASSERT_EQ(test, 0, add_user(vm, G, uaddr, 2 * FX_P, 0));
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 2);
	init_completion(&r.done);
	task = kthread_run(remover_thread, &r, "vmmem-remover");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&r.done);
	KUNIT_EXPECT_EQ(test, r.ret, 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 2), 0);
}

/* The last vmmem_put() unpins and unaccounts every user region. */
static void vmmem_user_destroy_releases(struct kunit *test)
{
	unsigned long uaddr = map_rw(test, 3 * FX_P);
	struct vmmem *vm = vmmem_create("kunit", 0);
	s64 base = pinned_vm();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G, uaddr, FX_P, 0));
	KUNIT_EXPECT_EQ(test, 0, add_user(vm, G + FX_P, uaddr + FX_P, 2 * FX_P,
					  VMMEM_REGION_RDONLY));
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 3), 3);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base + 3);
	vmmem_put(vm);
	KUNIT_EXPECT_EQ(test, pinned_in(uaddr, 3), 0);
	KUNIT_EXPECT_EQ(test, pinned_vm(), base);
}

/* Pins hold the pages, not the mapping: munmap does not pull them away. */
static void vmmem_user_survives_munmap(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);
	unsigned long uaddr = map_rw(test, 2 * FX_P);

	fill_user(test, uaddr, G, 2 * FX_P);
	KUNIT_ASSERT_EQ(test, 0, add_user(vm, G, uaddr, 2 * FX_P, 0));
	KUNIT_ASSERT_EQ(test, 0, vm_munmap(uaddr, 2 * FX_P));
	KUNIT_EXPECT_TRUE(test, fx_guest_matches(test, vm, G, 2 * FX_P));
	KUNIT_EXPECT_EQ(test, 0, fx_remove(vm, G, 2 * FX_P));
}

static struct kunit_case vmmem_user_cases[] = {
	KUNIT_CASE(vmmem_user_shared_both_ways),
	KUNIT_CASE(vmmem_user_anon_and_shmem),
	KUNIT_CASE(vmmem_user_read_only),
	KUNIT_CASE_PARAM(vmmem_user_add_failures, user_fail_gen_params),
	KUNIT_CASE(vmmem_user_update_all_or_nothing),
	KUNIT_CASE(vmmem_user_memlock_budget),
	KUNIT_CASE(vmmem_user_memlock_follows_user),
	KUNIT_CASE(vmmem_user_removed_elsewhere),
	KUNIT_CASE(vmmem_user_destroy_releases),
	KUNIT_CASE(vmmem_user_survives_munmap),
	{}
};

static struct kunit_suite vmmem_user_suite = {
	.name = "vmmem_user",
	.test_cases = vmmem_user_cases,
};

kunit_test_suite(vmmem_user_suite);
