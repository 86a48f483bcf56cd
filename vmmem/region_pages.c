// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions backed by pages that an in-kernel provider already owns. vmmem
 * takes its own reference on each page for the region's life and maps them
 * into one contiguous kernel view with vmap().
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vmmem.h"

static void vmmem_pages_release(struct vmmem_region *region)
{
	unsigned long i;

	vunmap(region->hva);
	for (i = 0; i < region->npages; i++)
		put_page(region->pages[i]);
	kvfree(region->pages);
}

static const struct vmmem_backing_ops vmmem_pages_ops = {
	.backing = VMMEM_BACKING_PAGES,
	.release = vmmem_pages_release,
};

/**
 * vmmem_add_pages() - add a region backed by pages the caller owns
 * @vm: the map
 * @gpa: first guest-physical address, page-aligned
 * @pages: @npages ordinary refcounted pages (not slab, not the zero page),
 *	in guest order
 * @npages: number of pages, non-zero
 * @flags: 0 or %VMMEM_REGION_RDONLY
 *
 * vmmem copies the array and holds its own reference on every page until
 * the region is removed, so the caller may drop its references at any
 * time. A failed add changes nothing and holds nothing.
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; -EINVAL for unknown flags, no pages or a
 * misaligned @gpa; -EOVERFLOW if the region would pass 2^64; -EEXIST if it
 * overlaps another; -ENOMEM if memory ran out.
 */
int vmmem_add_pages(struct vmmem *vm, u64 gpa, struct page **pages,
		    unsigned long npages, unsigned int flags)
{
	struct vmmem_region *region;
	unsigned long i;
	u64 size;
	int ret;

	if (check_shl_overflow((u64)npages, PAGE_SHIFT, &size))
		return -EOVERFLOW;
	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ret;
	if (vmmem_range_in_use(vm, gpa, size))
		return -EEXIST;

	region = kzalloc(sizeof(*region), GFP_KERNEL_ACCOUNT);
	if (!region)
		return -ENOMEM;
	region->gpa = gpa;
	region->size = size;
	region->flags = flags;
	region->ops = &vmmem_pages_ops;
	region->npages = npages;
	region->pages = kvmemdup(pages, npages * sizeof(*pages),
				 GFP_KERNEL_ACCOUNT);
	if (!region->pages) {
		ret = -ENOMEM;
		goto free_region;
	}
	region->hva = vmap(region->pages, npages, VM_MAP, PAGE_KERNEL);
	if (!region->hva) {
		ret = -ENOMEM;
		goto free_pages;
	}
	for (i = 0; i < npages; i++) {
		get_page(pages[i]);
		region->nr_large += folio_test_large(page_folio(pages[i]));
	}

	ret = vmmem_insert_region(vm, region);
	if (ret)
		goto put_pages;
	return 0;

put_pages:
	for (i = 0; i < npages; i++)
		put_page(pages[i]);
	vunmap(region->hva);
free_pages:
	kvfree(region->pages);
free_region:
	kfree(region);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_add_pages, VMMEM_NS);
