// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions over host RAM, addressed by physical address: for a device whose
 * "guest" is the host kernel itself (a vDPA device under virtio_vdpa sees
 * the physical addresses of the kernel's own DMA buffers). The region's
 * guest-physical range is the host-physical one, reached through the
 * kernel's direct map: nothing is allocated, mapped or pinned, and only
 * ranges that are System RAM in their entirety are accepted.
 */
#include <linux/err.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>

#include "vmmem.h"

/* Nothing to undo: the direct map and the RAM are the kernel's. */
static void vmmem_host_ram_release(struct vmmem_region *region)
{
}

static const struct vmmem_backing_ops vmmem_host_ram_ops = {
	.backing = VMMEM_BACKING_HOST_RAM,
	.release = vmmem_host_ram_release,
};

/**
 * vmmem_prepare_host_ram() - build a region over host RAM
 * @gpa: first host-physical address, page-aligned
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags; %VMMEM_REGION_RDONLY is enforced by
 *	vmmem's checks only, as the direct map stays writable
 *
 * Context: Process context.
 * Return: the region, not in any map, or ERR_PTR() with the argument
 * errors of vmmem_check_new_region(), -EOPNOTSUPP where the direct map
 * does not cover all RAM (highmem), -EINVAL if any byte of the range is
 * not System RAM, or -ENOMEM.
 */
struct vmmem_region *vmmem_prepare_host_ram(u64 gpa, u64 size,
					    unsigned int flags)
{
	struct vmmem_region *region;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);
	if (IS_ENABLED(CONFIG_HIGHMEM))
		return ERR_PTR(-EOPNOTSUPP);
	/* resource_size_t may be narrower than the guest's addresses. */
	if (gpa + (size - 1) != (resource_size_t)(gpa + (size - 1)) ||
	    region_intersects(gpa, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return ERR_PTR(-EINVAL);

	region = vmmem_region_alloc(gpa, size, flags, &vmmem_host_ram_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->hva = phys_to_virt(gpa);
	return region;
}
