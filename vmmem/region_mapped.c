// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regions mapped on access (VMMEM_ADD_MAPPED): memory with no permanent
 * kernel mapping, such as another domain's grant references, which a
 * provider maps one page at a time while an access needs it. The region
 * has no @hva; the accesses that can map (copies, iov_iter copies, single
 * accesses, range checks) pass VMMEM_ACCESS_MAPPING and call
 * vmmem_map_page() and vmmem_unmap_page() around each page they touch;
 * held slices keep a page the region keeps mapped (vmmem_map_kept())
 * until they are released. Translations to bio_vecs need pages, not
 * addresses: where the provider can map onto pages of its own
 * (&vmmem_mapper_ops.map_pages), a translation maps its range in batches
 * (vmmem_map_pages()) and unmaps it when released. Every other access
 * (slices, caches) is refused there, since it would hand out a pointer
 * that outlives the mapping.
 *
 * A region may keep some of its pages mapped between accesses
 * (&vmmem_update.cache_pages), as Xen backends keep persistent grants: a
 * direct-mapped cache of slots (the largest power of two not above
 * cache_pages), page index modulo the number of slots, under one
 * spinlock. A slot in use by an access is never reused; a page whose slot
 * is busy with another page is mapped and unmapped as if there were no
 * cache. Kept pages are unmapped when their slot is reused or the region
 * is released.
 */
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>
#endif

#include "vmmem.h"

/* The most pages a region mapped on access keeps mapped between accesses. */
#define VMMEM_MAP_CACHE_MAX	4096

/* A slot that keeps no page. */
#define VMMEM_SLOT_EMPTY	ULONG_MAX

/**
 * struct vmmem_map_slot - one page kept mapped between accesses
 * @index: the page's index in the region, or %VMMEM_SLOT_EMPTY
 * @kaddr: where the provider mapped it
 * @writable: mapped for writing (and reading), not only for reading
 * @users: accesses using the mapping now; a slot in use is not reused
 */
struct vmmem_map_slot {
	unsigned long index;
	void *kaddr;
	bool writable;
	unsigned int users;
};

/**
 * struct vmmem_map_cache - the pages a region keeps mapped
 * @lock: guards the slots; taken in any context, around the provider's
 *	@map and @unmap for a slot (which do not sleep)
 * @mask: number of slots - 1 (a power of two)
 * @slot: page index i lives in slot[i & @mask] when kept
 */
struct vmmem_map_cache {
	spinlock_t lock;	/* see @lock above */
	unsigned long mask;
	struct vmmem_map_slot slot[];
};

/* End the mappings of every kept page; no access can run any more. */
static void vmmem_map_cache_flush(struct vmmem_region *region)
{
	struct vmmem_map_cache *cache = region->map_cache;
	struct vmmem_map_slot *slot;
	unsigned long i;

	for (i = 0; i <= cache->mask; i++) {
		slot = &cache->slot[i];
		if (slot->index == VMMEM_SLOT_EMPTY)
			continue;
		WARN_ON_ONCE(slot->users);
		region->mapper->unmap(region->mapper_priv, slot->index,
				      slot->kaddr);
		slot->index = VMMEM_SLOT_EMPTY;
	}
}

/*
 * Unmap what the cache kept, then the provider frees its state, unless
 * the add that built us failed.
 */
static void vmmem_mapped_release(struct vmmem_region *region)
{
	if (region->map_cache) {
		vmmem_map_cache_flush(region);
		kvfree(region->map_cache);
	}
	if (region->release_mapper && region->mapper->release)
		region->mapper->release(region->mapper_priv);
}

static const struct vmmem_backing_ops vmmem_mapped_ops = {
	.backing = VMMEM_BACKING_MAPPED,
	.release = vmmem_mapped_release,
};

/* Slots for @cache_pages kept pages of a region of @npages pages. */
static struct vmmem_map_cache *vmmem_map_cache_alloc(unsigned int cache_pages,
						     unsigned long npages)
{
	/* Down, so that no more than @cache_pages stay mapped. */
	unsigned long nr = rounddown_pow_of_two(min_t(unsigned long,
						      cache_pages, npages));
	struct vmmem_map_cache *cache;
	unsigned long i;

	cache = kvzalloc(struct_size(cache, slot, nr), GFP_KERNEL_ACCOUNT);
	if (!cache)
		return NULL;
	spin_lock_init(&cache->lock);
	cache->mask = nr - 1;
	for (i = 0; i < nr; i++)
		cache->slot[i].index = VMMEM_SLOT_EMPTY;
	return cache;
}

/**
 * vmmem_prepare_mapped() - build a region whose pages are mapped on access
 * @gpa: first guest-physical address, page-aligned
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags
 * @mapper: the operations that map a page; @map and @unmap are required
 * @priv: their argument
 * @cache_pages: how many pages to keep mapped between accesses, at most
 *	%VMMEM_MAP_CACHE_MAX; 0 for none
 *
 * Context: Process context.
 * Return: the region, not in any map, or ERR_PTR() with the argument
 * errors of vmmem_check_new_region(), -EINVAL without @mapper->map or
 * @mapper->unmap, with @mapper->map_pages but without
 * @mapper->unmap_pages, or for too large @cache_pages, or -ENOMEM.
 */
struct vmmem_region *vmmem_prepare_mapped(u64 gpa, u64 size,
					  unsigned int flags,
					  const struct vmmem_mapper_ops *mapper,
					  void *priv, unsigned int cache_pages)
{
	struct vmmem_region *region;
	int ret;

	ret = vmmem_check_new_region(gpa, size, flags);
	if (ret)
		return ERR_PTR(ret);
	if (!mapper || !mapper->map || !mapper->unmap ||
	    (mapper->map_pages && !mapper->unmap_pages) ||
	    cache_pages > VMMEM_MAP_CACHE_MAX)
		return ERR_PTR(-EINVAL);

	region = vmmem_region_alloc(gpa, size, flags | VMMEM_REGION_ON_ACCESS,
				    &vmmem_mapped_ops);
	if (!region)
		return ERR_PTR(-ENOMEM);
	region->mapper = mapper;
	region->mapper_priv = priv;
	if (cache_pages) {
		region->map_cache = vmmem_map_cache_alloc(cache_pages,
							  region->npages);
		if (!region->map_cache) {
			vmmem_region_abort(region);
			return ERR_PTR(-ENOMEM);
		}
	}
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

/* The provider's @map, -EAGAIN retried up to VMMEM_MAP_TRIES calls in all. */
static int vmmem_map_tries(const struct vmmem_region *region,
			   unsigned long index, unsigned int access,
			   void **kaddr)
{
	int tries = VMMEM_MAP_TRIES, ret;

	do {
		ret = region->mapper->map(region->mapper_priv, index,
					  access & VMMEM_ACCESS_MASK, kaddr);
	} while (ret == -EAGAIN && --tries);
	return ret;
}

/*
 * Use or fill the slot of page @index. Returns 1 when the slot is busy
 * with another page or with a read-only mapping the access cannot use:
 * the caller maps the page without the cache.
 */
static int vmmem_map_cached(const struct vmmem_region *region,
			    unsigned long index, unsigned int access,
			    struct vmmem_page_map *map)
{
	struct vmmem_map_cache *cache = region->map_cache;
	struct vmmem_map_slot *slot = &cache->slot[index & cache->mask];
	bool write = access & VMMEM_WRITE;
	unsigned long irqflags;
	void *kaddr;
	int ret = 1;

	spin_lock_irqsave(&cache->lock, irqflags);
	if (slot->index == index && (slot->writable || !write)) {
		ret = 0;
		goto use;
	}
	if (slot->users)
		goto unlock;
	if (slot->index != VMMEM_SLOT_EMPTY) {
		region->mapper->unmap(region->mapper_priv, slot->index,
				      slot->kaddr);
		slot->index = VMMEM_SLOT_EMPTY;
	}
	ret = vmmem_map_tries(region, index, access, &kaddr);
	if (ret)
		goto unlock;
	slot->index = index;
	slot->kaddr = kaddr;
	slot->writable = write;
use:
	slot->users++;
	map->kaddr = slot->kaddr;
	map->slot = slot;
unlock:
	spin_unlock_irqrestore(&cache->lock, irqflags);
	return ret;
}

/**
 * vmmem_copy_op() - copy a piece of an on-access page without mapping it
 * @region: a region mapped on access
 * @gpa: the first guest-physical address of the piece, inside @region
 * @buf: the kernel buffer
 * @len: bytes, all in @gpa's page
 * @access: %VMMEM_WRITE to copy @buf into the page, else %VMMEM_READ
 *
 * Through the provider's &vmmem_mapper_ops.copy, for a piece that
 * vmmem_copy_op_takes(); -EAGAIN retried as for a map.
 *
 * Context: rcu_read_lock() held; any context.
 * Return: 0; -EOPNOTSUPP when the caller should map the page instead; or
 * the provider's last error.
 */
int vmmem_copy_op(const struct vmmem_region *region, u64 gpa, void *buf,
		  unsigned int len, unsigned int access)
{
	unsigned long index = (gpa - region->gpa) >> PAGE_SHIFT;
	int tries = VMMEM_MAP_TRIES, ret;

	index = array_index_nospec(index, region->npages);
	do {
		ret = region->mapper->copy(region->mapper_priv, index,
					   gpa & ~PAGE_MASK, buf, len,
					   access & VMMEM_ACCESS_MASK);
	} while (ret == -EAGAIN && --tries);
	return ret;
}

/**
 * vmmem_map_page() - map the page of an on-access region that holds @gpa
 * @region: a region mapped on access
 * @gpa: a guest-physical address inside @region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE (other bits are ignored)
 * @map: filled with the page's kernel address (not @gpa's), and what
 *	vmmem_unmap_page() needs to end the mapping
 *
 * From the region's cache if it keeps the page (filling the cache if the
 * page's slot is free), else from the provider, which is retried on a
 * transient failure (-EAGAIN) up to %VMMEM_MAP_TRIES calls in all,
 * without sleeping. Every success must be followed by vmmem_unmap_page()
 * before the caller leaves its RCU read-side section.
 *
 * Context: rcu_read_lock() held; any context.
 * Return: 0, or the provider's last error.
 */
int vmmem_map_page(const struct vmmem_region *region, u64 gpa,
		   unsigned int access, struct vmmem_page_map *map)
{
	unsigned long index = (gpa - region->gpa) >> PAGE_SHIFT;
	int ret;

	/* A guest-chosen address steers no speculative call past the end. */
	index = array_index_nospec(index, region->npages);
	if (region->map_cache) {
		ret = vmmem_map_cached(region, index, access, map);
		if (ret <= 0)
			return ret;
	}
	map->slot = NULL;
	return vmmem_map_tries(region, index, access, &map->kaddr);
}

#if IS_ENABLED(CONFIG_KUNIT)
EXPORT_SYMBOL_IF_KUNIT(vmmem_map_page);
#endif

/**
 * vmmem_map_kept() - map a page of an on-access region for a held slice
 * @region: a region mapped on access
 * @gpa: a guest-physical address inside @region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE (other bits are ignored)
 * @kaddr: set to the kernel address of the page (not of @gpa)
 *
 * Only a page the region keeps mapped can be held: it stays in its slot,
 * in use, until vmmem_unmap_kept(), across any sleep of the holder.
 *
 * Context: any context; does not sleep.
 * Return: 0; -EFAULT if the region keeps no pages or the provider does not
 * map this one; -EBUSY if its slot is in use by another page, or by a
 * read-only mapping of this one and @access writes.
 */
int vmmem_map_kept(const struct vmmem_region *region, u64 gpa,
		   unsigned int access, void **kaddr)
{
	unsigned long index = (gpa - region->gpa) >> PAGE_SHIFT;
	struct vmmem_page_map map;
	int ret;

	if (!region->map_cache)
		return -EFAULT;
	index = array_index_nospec(index, region->npages);
	ret = vmmem_map_cached(region, index, access, &map);
	if (ret)
		return ret > 0 ? -EBUSY : -EFAULT;
	*kaddr = map.kaddr;
	return 0;
}

/**
 * vmmem_unmap_kept() - let go of a page mapped by vmmem_map_kept()
 * @region: the region
 * @gpa: an address of the page, as given to vmmem_map_kept()
 *
 * The page stays in its slot, which is free for reuse once no access uses
 * it; a slot in use is never given to another page, so the page is still
 * there.
 *
 * Context: any context; does not sleep.
 */
void vmmem_unmap_kept(const struct vmmem_region *region, u64 gpa)
{
	struct vmmem_map_cache *cache = region->map_cache;
	unsigned long index = (gpa - region->gpa) >> PAGE_SHIFT;
	unsigned long irqflags;

	spin_lock_irqsave(&cache->lock, irqflags);
	cache->slot[index & cache->mask].users--;
	spin_unlock_irqrestore(&cache->lock, irqflags);
}

/**
 * vmmem_unmap_page() - end a mapping made by vmmem_map_page()
 * @region: the region
 * @gpa: the address given to vmmem_map_page()
 * @map: what it filled
 *
 * A page the cache keeps stays mapped, for the next access.
 *
 * Context: rcu_read_lock() held; any context.
 */
void vmmem_unmap_page(const struct vmmem_region *region, u64 gpa,
		      const struct vmmem_page_map *map)
{
	unsigned long irqflags;

	if (map->slot) {
		spin_lock_irqsave(&region->map_cache->lock, irqflags);
		map->slot->users--;
		spin_unlock_irqrestore(&region->map_cache->lock, irqflags);
		return;
	}
	region->mapper->unmap(region->mapper_priv,
			      (gpa - region->gpa) >> PAGE_SHIFT, map->kaddr);
}

#if IS_ENABLED(CONFIG_KUNIT)
EXPORT_SYMBOL_IF_KUNIT(vmmem_unmap_page);
#endif

/**
 * vmmem_map_pages() - map pages of an on-access region onto struct pages
 * @region: a region mapped on access whose provider has
 *	&vmmem_mapper_ops.map_pages
 * @index: the first page, inside @region
 * @nr: pages, 1 to %VMMEM_MAP_BATCH, all inside @region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE (other bits are ignored)
 * @pages: filled with the @nr pages
 *
 * All or nothing, as the provider promises; -EAGAIN retried up to
 * %VMMEM_MAP_TRIES calls in all. Each success is undone by
 * vmmem_unmap_pages() of the same pages, in any grouping.
 *
 * Context: Process context, outside RCU and locks; may sleep.
 * Return: 0, or the provider's last error.
 */
int vmmem_map_pages(const struct vmmem_region *region, unsigned long index,
		    unsigned int nr, unsigned int access, struct page **pages)
{
	int tries = VMMEM_MAP_TRIES, ret;

	might_sleep();
	do {
		ret = region->mapper->map_pages(region->mapper_priv, index, nr,
						access & VMMEM_ACCESS_MASK,
						pages);
	} while (ret == -EAGAIN && --tries);
	return ret;
}

/**
 * vmmem_unmap_pages() - end mappings made by vmmem_map_pages()
 * @region: the region
 * @index: the first page
 * @nr: pages, at most %VMMEM_MAP_BATCH
 * @pages: the pages vmmem_map_pages() gave for them
 *
 * Context: Any context; does not sleep.
 */
void vmmem_unmap_pages(const struct vmmem_region *region, unsigned long index,
		       unsigned int nr, struct page **pages)
{
	region->mapper->unmap_pages(region->mapper_priv, index, nr, pages);
}
