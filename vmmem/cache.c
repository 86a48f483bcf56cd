// SPDX-License-Identifier: GPL-2.0-only
/*
 * The caller-side translation cache: remember where a guest window (a ring,
 * a config block) lives in kernel memory, and revalidate with one compare
 * of the map's generation. Only the slow path lives here; the fast path is
 * inline in <linux/vmmem.h>.
 */
#include "vmmem.h"

/* What an unresolved cache's log flag points at. */
static const bool vmmem_cache_never_logs;

/* Resolve the window; 0 or the errno of vmmem_get_slice(). Under RCU. */
static int vmmem_cache_resolve(struct vmmem_cache *cache)
{
	/* Pairs with the release in vmmem_layout_publish(). */
	u64 generation = smp_load_acquire(cache->generation);
	struct vmmem_region *region;
	struct vmmem_slice slice;
	int ret;

	ret = __vmmem_get_slice(cache->vm, cache->gpa, cache->len,
				cache->access, &slice, &region);
	if (ret) {
		cache->valid_gen = VMMEM_CACHE_INVALID;
		return ret;
	}
	cache->hva = slice.ptr;
	cache->region = region;
	cache->log = &region->log;
	cache->valid_gen = generation;
	return 0;
}

/**
 * vmmem_cache_init() - set up a translation cache for a guest window
 * @cache: the cache, owned by the caller
 * @vm: the map or snapshot; must outlive the cache
 * @gpa: first guest-physical address of the window
 * @len: length of the window in bytes, inside one region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE that the caller will do
 *
 * The window is resolved now and again whenever the map's generation has
 * moved. A cache is not shared between threads without the caller's own
 * serialisation.
 *
 * Context: Any context.
 * Return: 0; -EINVAL for invalid @access, a zero @len or a window that
 * crosses a region's end; -EFAULT if the window is unmapped or not
 * permitted. The cache is usable (and retries) after an error.
 */
int vmmem_cache_init(struct vmmem_cache *cache, struct vmmem *vm, u64 gpa,
		     u64 len, unsigned int access)
{
	int ret;

	cache->vm = vm;
	cache->generation = vm->frozen ? &vm->frozen->generation :
					 &vm->generation;
	cache->gpa = gpa;
	cache->len = len;
	cache->access = access;
	cache->hva = NULL;
	cache->region = NULL;
	cache->log = &vmmem_cache_never_logs;
	cache->valid_gen = VMMEM_CACHE_INVALID;
	if (!len || !vmmem_access_valid(access))
		return -EINVAL;

	rcu_read_lock();
	ret = vmmem_cache_resolve(cache);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_cache_init, VMMEM_NS);

/**
 * vmmem_cache_refresh() - resolve a cache's window again
 * @cache: the cache
 *
 * The slow path of vmmem_cache_ptr(), taken when the map's generation no
 * longer matches.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the kernel address of the window's first byte, or NULL if the
 * window is no longer mapped and permitted in one region.
 */
void *vmmem_cache_refresh(struct vmmem_cache *cache)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "vmmem cache used outside rcu_read_lock()");
	return vmmem_cache_resolve(cache) ? NULL : cache->hva;
}
EXPORT_SYMBOL_NS_GPL(vmmem_cache_refresh, VMMEM_NS);

/**
 * vmmem_cache_mark_dirty() - dirty logging for a store through a cache
 * @cache: the cache, used under rcu_read_lock() with a matching generation
 * @gpa: first byte written
 * @len: bytes written
 *
 * The slow path of vmmem_cache_store_release() while logging is on.
 *
 * Context: rcu_read_lock() held by the caller.
 */
void vmmem_cache_mark_dirty(struct vmmem_cache *cache, u64 gpa, u64 len)
{
	__vmmem_mark_dirty(cache->region, gpa, len);
}
EXPORT_SYMBOL_NS_GPL(vmmem_cache_mark_dirty, VMMEM_NS);
