// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions backed by a vmalloc area that vmmem allocates itself: zeroed, and
 * allocated with vmalloc_user() so a VMM can later mmap it.
 */
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
 * vmmem_add_vmalloc() - add a region backed by new zeroed vmalloc memory
 * @vm: the map
 * @gpa: first guest-physical address, page-aligned
 * @size: length in bytes, page-aligned and non-zero
 * @flags: 0 or %VMMEM_REGION_RDONLY
 *
 * The region is visible to lookups as soon as this returns 0. A failed add
 * changes nothing.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for unknown flags, a zero size or a
 * misaligned @gpa or @size; -EOVERFLOW if the region would pass 2^64;
 * -EEXIST if it overlaps a region; -ENOMEM if memory ran out.
 */
int vmmem_add_vmalloc(struct vmmem *vm, u64 gpa, u64 size, unsigned int flags)
{
	struct vmmem_region *region;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ret;
	/* Fail fast, before zeroing what may be gigabytes. */
	if (vmmem_range_in_use(vm, gpa, size))
		return -EEXIST;
	/* vmalloc would refuse too, but with a warning in the log. */
	if (size >> PAGE_SHIFT > totalram_pages())
		return -ENOMEM;

	region = kzalloc(sizeof(*region), GFP_KERNEL_ACCOUNT);
	if (!region)
		return -ENOMEM;
	region->gpa = gpa;
	region->size = size;
	region->flags = flags;
	region->ops = &vmmem_vmalloc_ops;
	region->hva = vmalloc_user(size);
	if (!region->hva) {
		ret = -ENOMEM;
		goto free_region;
	}

	ret = vmmem_insert_region(vm, region);
	if (ret)
		goto free_area;
	return 0;

free_area:
	vfree(region->hva);
free_region:
	kfree(region);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_add_vmalloc, VMMEM_NS);
