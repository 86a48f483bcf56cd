// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions backed by pages that an in-kernel provider already owns. vmmem
 * takes its own reference on each page for the region's life and maps them
 * into one contiguous kernel view with vmap().
 */
#include <linux/err.h>
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

/* Size in bytes of @npages pages, or -EOVERFLOW. */
static int vmmem_pages_size(unsigned long npages, u64 *size)
{
	return check_shl_overflow((u64)npages, PAGE_SHIFT, size) ? -EOVERFLOW : 0;
}

/**
 * vmmem_prepare_pages() - build a region over the caller's pages
 * @gpa: first guest-physical address
 * @pages: the pages, in guest order
 * @npages: number of pages
 * @flags: VMMEM_REGION_* flags
 *
 * Context: Process context; may sleep.
 * Return: the region, not in any map, holding a reference on each page,
 * or ERR_PTR() with the errors of vmmem_update() other than -EEXIST.
 */
struct vmmem_region *vmmem_prepare_pages(u64 gpa, struct page **pages,
					 unsigned long npages,
					 unsigned int flags)
{
	struct vmmem_region *region;
	unsigned long i;
	u64 size;
	int ret;

	ret = vmmem_pages_size(npages, &size) ?:
	      vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);

	/* No caller has more pages than RAM: refuse before allocating. */
	if (npages > totalram_pages())
		return ERR_PTR(-ENOMEM);
	ret = vmmem_check_poison(pages, npages);
	if (ret)
		return ERR_PTR(ret);

	region = vmmem_region_alloc(gpa, size, flags, &vmmem_pages_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->npages = npages;
	region->pages = kvmalloc_array(npages, sizeof(*pages),
				       GFP_KERNEL_ACCOUNT);
	if (!region->pages)
		goto free_region;
	memcpy(region->pages, pages, npages * sizeof(*pages));
	region->hva = vmap(region->pages, npages, VM_MAP,
			   vmmem_region_prot(region));
	if (!region->hva)
		goto free_pages;
	for (i = 0; i < npages; i++) {
		get_page(pages[i]);
		region->nr_large += folio_test_large(page_folio(pages[i]));
	}
	return region;

free_pages:
	kvfree(region->pages);
free_region:
	kfree(region);
	return ERR_PTR(-ENOMEM);
}
