// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions backed by a vmalloc area that vmmem allocates itself: zeroed, and
 * charged to the memory cgroup of the task that adds it, like every other
 * allocation vmmem makes for a map (vmalloc_user() would not charge it).
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vmmem.h"

static void vmmem_vmalloc_release(struct vmmem_region *region)
{
	vfree(region->hva);
}

static const struct vmmem_backing_ops vmmem_vmalloc_ops = {
	.backing = VMMEM_BACKING_VMALLOC,
	.release = vmmem_vmalloc_release,
};

/**
 * vmmem_prepare_vmalloc() - build a vmalloc-backed region
 * @gpa: first guest-physical address
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags
 *
 * Context: Process context; may sleep.
 * Return: the region, not in any map, or ERR_PTR() with the argument
 * errors of vmmem_check_new_region() or -ENOMEM.
 */
struct vmmem_region *vmmem_prepare_vmalloc(u64 gpa, u64 size,
					   unsigned int flags)
{
	struct vmmem_region *region;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);
	/* vmalloc would refuse too, but with a warning in the log. */
	if (size >> PAGE_SHIFT > totalram_pages())
		return ERR_PTR(-ENOMEM);

	region = vmmem_region_alloc(gpa, size, flags, &vmmem_vmalloc_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->hva = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!region->hva) {
		kfree(region);
		return ERR_PTR(-ENOMEM);
	}
	return region;
}
