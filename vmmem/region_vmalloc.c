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

static void vmmem_readonly_release(struct vmmem_region *region)
{
	unsigned long i;

	vunmap(region->hva);
	for (i = 0; i < region->npages; i++)
		__free_page(region->pages[i]);
	kvfree(region->pages);
}

/*
 * A read-only region is mapped read-only: its own zeroed pages, mapped
 * with vmap() and PAGE_KERNEL_RO, as vmalloc() maps only read-write.
 */
static const struct vmmem_backing_ops vmmem_readonly_ops = {
	.backing = VMMEM_BACKING_VMALLOC,
	.release = vmmem_readonly_release,
};

static int vmmem_map_readonly(struct vmmem_region *region)
{
	unsigned long i;

	region->pages = kvcalloc(region->npages, sizeof(*region->pages),
				 GFP_KERNEL_ACCOUNT);
	if (!region->pages)
		return -ENOMEM;
	for (i = 0; i < region->npages; i++) {
		region->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!region->pages[i])
			goto fail;
	}
	region->hva = vmap(region->pages, region->npages, VM_MAP,
			   vmmem_region_prot(region));
	if (region->hva)
		return 0;
fail:
	while (i--)
		__free_page(region->pages[i]);
	kvfree(region->pages);
	region->pages = NULL;
	return -ENOMEM;
}

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

	region = vmmem_region_alloc(gpa, size, flags,
				    flags & VMMEM_REGION_RDONLY ?
				    &vmmem_readonly_ops : &vmmem_vmalloc_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	if (flags & VMMEM_REGION_RDONLY) {
		ret = vmmem_map_readonly(region);
	} else {
		/* Failing quietly: the caller gets -ENOMEM for a guest-sized area. */
		region->hva = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					 __GFP_NOWARN);
		ret = region->hva ? 0 : -ENOMEM;
	}
	if (ret) {
		kfree(region);
		return ERR_PTR(ret);
	}
	return region;
}
