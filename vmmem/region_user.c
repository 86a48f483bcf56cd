// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions backed by a VMM's own memory: the user pages are pinned with
 * FOLL_LONGTERM, charged to the user's RLIMIT_MEMLOCK (and counted in the
 * mm's pinned_vm), and mapped into one contiguous kernel view with vmap().
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vmmem.h"

/* Pages pinned per pin_user_pages_fast() call, between resched points. */
#define VMMEM_PIN_CHUNK		512

static bool vmmem_region_writable(const struct vmmem_region *region)
{
	return !(region->flags & VMMEM_REGION_RDONLY);
}

/*
 * Charge the region's pages to the user's RLIMIT_MEMLOCK, unless the
 * caller has CAP_IPC_LOCK, and count them in the mm's pinned_vm (VmPin).
 * The charge is the user's (user_struct.locked_vm, shared with io_uring
 * and the other pinners), not the mm's: a child that pins and exits
 * takes nothing of its charge with it, so a loop of children cannot pin
 * without bound behind one file.
 */
static int vmmem_account_pinned(struct vmmem_region *region)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	unsigned long cur, new;

	if (!capable(CAP_IPC_LOCK)) {
		cur = atomic_long_read(&user->locked_vm);
		do {
			if (check_add_overflow(cur, region->npages, &new) ||
			    new > limit)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
		region->user = get_uid(user);
	}
	atomic64_add(region->npages, &region->mm->pinned_vm);
	return 0;
}

/* Return the charge to the user and the mm it was taken from. */
static void vmmem_unaccount_pinned(struct vmmem_region *region)
{
	atomic64_sub(region->npages, &region->mm->pinned_vm);
	if (region->user) {
		atomic_long_sub(region->npages, &region->user->locked_vm);
		free_uid(region->user);
		region->user = NULL;
	}
}

/* Pin every page of the region, or none: on error nothing stays pinned. */
static int vmmem_pin_user(struct vmmem_region *region)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	unsigned long done = 0, chunk;
	int ret;

	if (vmmem_region_writable(region))
		gup_flags |= FOLL_WRITE;

	while (done < region->npages) {
		chunk = min(region->npages - done, VMMEM_PIN_CHUNK);
		ret = pin_user_pages_fast(region->uaddr + done * PAGE_SIZE, chunk,
					  gup_flags, region->pages + done);
		if (ret <= 0) {
			ret = ret ?: -EFAULT;
			goto unpin;
		}
		done += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto unpin;
		}
		cond_resched();
	}
	return 0;

unpin:
	unpin_user_pages(region->pages, done);
	return ret;
}

static unsigned long vmmem_count_large(struct page **pages,
				       unsigned long npages)
{
	unsigned long i, n = 0;

	for (i = 0; i < npages; i++)
		n += folio_test_large(page_folio(pages[i]));
	return n;
}

static void vmmem_user_release(struct vmmem_region *region)
{
	vunmap(region->hva);
	unpin_user_pages_dirty_lock(region->pages, region->npages,
				    vmmem_region_writable(region));
	kvfree(region->pages);
	vmmem_unaccount_pinned(region);
	mmdrop(region->mm);
}

static const struct vmmem_backing_ops vmmem_user_ops = {
	.backing = VMMEM_BACKING_USER,
	.release = vmmem_user_release,
};

/**
 * vmmem_prepare_user() - pin user memory into a region
 * @gpa: first guest-physical address
 * @uaddr: address of the memory in the calling process
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags
 *
 * Context: Process context with a user address space; may sleep.
 * Return: the region, not in any map, or ERR_PTR() with the errors of
 * vmmem_update() other than -EEXIST.
 */
struct vmmem_region *vmmem_prepare_user(u64 gpa, unsigned long uaddr,
					u64 size, unsigned int flags)
{
	struct mm_struct *mm = current->mm;
	struct vmmem_region *region;
	unsigned long uend;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);
	if (!PAGE_ALIGNED(uaddr) || !mm)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(uaddr, size - 1, &uend))
		return ERR_PTR(-EOVERFLOW);
	if (size >> PAGE_SHIFT > totalram_pages())
		return ERR_PTR(-ENOMEM);

	region = vmmem_region_alloc(gpa, size, flags, &vmmem_user_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->uaddr = uaddr;
	region->npages = size >> PAGE_SHIFT;
	region->pages = kvmalloc_array(region->npages, sizeof(*region->pages),
				       GFP_KERNEL_ACCOUNT);
	if (!region->pages) {
		ret = -ENOMEM;
		goto free_region;
	}

	/* From here on, release unaccounts against this mm, whoever calls it. */
	region->mm = mm;
	ret = vmmem_account_pinned(region);
	if (ret)
		goto free_pages;
	ret = vmmem_pin_user(region);
	if (ret)
		goto unaccount;
	ret = vmmem_check_poison(region->pages, region->npages);
	if (ret)
		goto unpin;

	region->hva = vmap(region->pages, region->npages, VM_MAP,
			   vmmem_region_prot(region));
	if (!region->hva) {
		ret = -ENOMEM;
		goto unpin;
	}
	region->nr_large = vmmem_count_large(region->pages, region->npages);
	mmgrab(mm);
	return region;

unpin:
	unpin_user_pages(region->pages, region->npages);
unaccount:
	vmmem_unaccount_pinned(region);
free_pages:
	kvfree(region->pages);
free_region:
	kfree(region);
	return ERR_PTR(ret);
}
