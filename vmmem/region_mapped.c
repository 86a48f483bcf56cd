// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions mapped on access (VMMEM_ADD_MAPPED): memory with no permanent
 * kernel mapping, such as another domain's grant references, which a
 * provider maps one page at a time while an access needs it. The region
 * has no @hva; the accesses that can map (copies, single accesses, range
 * checks) pass VMMEM_ACCESS_MAPPING and call vmmem_map_page() and
 * vmmem_unmap_page() around each page they touch; every other access
 * (slices, holds, translations, caches, iov_iter copies) is refused there,
 * since it would hand out a pointer that outlives the mapping.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/nospec.h>

#include "vmmem.h"

/* The provider frees its state, unless the add that built us failed. */
static void vmmem_mapped_release(struct vmmem_region *region)
{
	if (region->release_mapper && region->mapper->release)
		region->mapper->release(region->mapper_priv);
}

static const struct vmmem_backing_ops vmmem_mapped_ops = {
	.backing = VMMEM_BACKING_MAPPED,
	.release = vmmem_mapped_release,
};

/**
 * vmmem_prepare_mapped() - build a region whose pages are mapped on access
 * @gpa: first guest-physical address, page-aligned
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags
 * @mapper: the operations that map a page; @map and @unmap are required
 * @priv: their argument
 *
 * Context: Process context.
 * Return: the region, not in any map, or ERR_PTR() with the argument
 * errors of vmmem_check_new_region(), -EINVAL without @mapper->map or
 * @mapper->unmap, or -ENOMEM.
 */
struct vmmem_region *vmmem_prepare_mapped(u64 gpa, u64 size,
					  unsigned int flags,
					  const struct vmmem_mapper_ops *mapper,
					  void *priv)
{
	struct vmmem_region *region;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);
	if (!mapper || !mapper->map || !mapper->unmap)
		return ERR_PTR(-EINVAL);

	region = vmmem_region_alloc(gpa, size, flags | VMMEM_REGION_ON_ACCESS,
				    &vmmem_mapped_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->mapper = mapper;
	region->mapper_priv = priv;
	return region;
}

/**
 * vmmem_mapped_adopt() - the add succeeded: the region owns its provider
 * @region: a region built by vmmem_prepare_mapped(), or any other region
 *	(then nothing happens)
 *
 * From here on the region's release calls &vmmem_mapper_ops.release;
 * before, a failed vmmem_update() leaves the provider's state to its
 * caller. Called while the update still holds its reference.
 */
void vmmem_mapped_adopt(struct vmmem_region *region)
{
	if (region->flags & VMMEM_REGION_ON_ACCESS)
		region->release_mapper = true;
}

/**
 * vmmem_map_page() - map the page of an on-access region that holds @gpa
 * @region: a region mapped on access
 * @gpa: a guest-physical address inside @region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE (other bits are ignored)
 * @kaddr: set to the kernel address of the page (not of @gpa)
 *
 * Retries a transient failure (-EAGAIN) up to %VMMEM_MAP_TRIES calls in
 * all, without sleeping. Every success must be followed by
 * vmmem_unmap_page() before the caller leaves its RCU read-side section.
 *
 * Context: rcu_read_lock() held; any context.
 * Return: 0, or the provider's last error.
 */
int vmmem_map_page(const struct vmmem_region *region, u64 gpa,
		   unsigned int access, void **kaddr)
{
	unsigned long index = (gpa - region->gpa) >> PAGE_SHIFT;
	int tries = VMMEM_MAP_TRIES, ret;

	/* A guest-chosen address steers no speculative call past the end. */
	index = array_index_nospec(index, region->npages);
	do {
		ret = region->mapper->map(region->mapper_priv, index,
					  access & VMMEM_ACCESS_MASK, kaddr);
	} while (ret == -EAGAIN && --tries);
	return ret;
}

/**
 * vmmem_unmap_page() - end a mapping made by vmmem_map_page()
 * @region: the region
 * @gpa: the address given to vmmem_map_page()
 * @kaddr: the page address it returned
 *
 * Context: rcu_read_lock() held; any context.
 */
void vmmem_unmap_page(const struct vmmem_region *region, u64 gpa,
		      void *kaddr)
{
	region->mapper->unmap(region->mapper_priv,
			      (gpa - region->gpa) >> PAGE_SHIFT, kaddr);
}
