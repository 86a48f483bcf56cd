// SPDX-License-Identifier: GPL-2.0-only
/*
 * The caller-side translation cache: remember where a guest window (a ring,
 * a config block) lives in kernel memory, and revalidate with one compare
 * of the map's generation. Only the slow paths live here; the fast path is
 * inline in <linux/vmmem.h>. The fields are private to vmmem (__private),
 * so they are read and written here through ACCESS_PRIVATE().
 */
#include "vmmem.h"

#define cache_field(cache, field)	ACCESS_PRIVATE(cache, field)

/* What an unresolved cache's log flag points at. */
static const bool vmmem_cache_never_logs;

/*
 * Resolve the window; 0 or the errno of vmmem_find_slice(). Under RCU.
 * Counted, and a fault reported for @ip, the caller of the API.
 */
static int vmmem_cache_resolve(struct vmmem_cache *cache, unsigned long ip)
{
	/* Pairs with the release in vmmem_layout_publish(). */
	u64 generation = smp_load_acquire(cache_field(cache, generation));
	struct vmmem_region *region;
	struct vmmem_slice slice;
	int ret;

	ret = __vmmem_find_slice(cache_field(cache, vm), cache_field(cache, gpa),
				 cache_field(cache, len),
				 cache_field(cache, access), &slice, &region);
	vmmem_count(cache_field(cache, vm), VMMEM_STAT_CACHE_RESOLVE);
	if (ret) {
		cache_field(cache, gen_read) = VMMEM_CACHE_INVALID;
		cache_field(cache, gen_write) = VMMEM_CACHE_INVALID;
		return vmmem_access_fault(cache_field(cache, vm), ret,
					  VMMEM_FAULT_STRADDLE,
					  cache_field(cache, gpa),
					  cache_field(cache, len),
					  cache_field(cache, access), ip);
	}
	cache_field(cache, hva) = (void *)slice.ptr;
	cache_field(cache, region) = region;
	cache_field(cache, log) = &region->log;
	/* Only the kinds of access the cache permits can ever match. */
	cache_field(cache, gen_read) = cache_field(cache, access) & VMMEM_READ ?
				       generation : VMMEM_CACHE_INVALID;
	cache_field(cache, gen_write) = cache_field(cache, access) & VMMEM_WRITE ?
					generation : VMMEM_CACHE_INVALID;
	return 0;
}

/**
 * vmmem_cache_init() - set up a translation cache for a guest window
 * @space: the map or snapshot; must outlive the cache
 * @gpa: first guest-physical address of the window (an IOVA in an IOVA
 *	space)
 * @len: length of the window in bytes, inside one region
 * @access: %VMMEM_READ and/or %VMMEM_WRITE that the caller will do
 * @cache: the cache, owned by the caller
 *
 * The window is resolved now and again whenever the map's generation has
 * moved, each time for all of @access: a window set up for writing whose
 * region is now read-only faults for loads too. A cache is not shared
 * between threads without the caller's own serialisation. Use it with
 * vmmem_cache_ptr(), vmmem_load(), vmmem_store(), vmmem_load_acquire() and
 * vmmem_store_release().
 *
 * Context: Any context (but see vmmem_iova_create() for a space with a
 * miss hook).
 * Return: 0; -EINVAL for invalid @access, a zero @len or a window that
 * crosses a region's end (or an IOVA entry's); -EFAULT if the window is
 * unmapped or not permitted; an IOVA space's miss hook's error. The cache
 * is usable (and retries) after an error.
 */
int vmmem_cache_init(union vmmem_space space, u64 gpa, u64 len,
		     unsigned int access, struct vmmem_cache *cache)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_miss miss = {};
	int ret;

	cache_field(cache, vm) = vm;
	cache_field(cache, generation) = vm->frozen ? &vm->frozen->generation :
						      &vm->generation;
	cache_field(cache, gpa) = gpa;
	cache_field(cache, len) = len;
	cache_field(cache, access) = access;
	cache_field(cache, hva) = NULL;
	cache_field(cache, region) = NULL;
	cache_field(cache, log) = &vmmem_cache_never_logs;
	cache_field(cache, gen_read) = VMMEM_CACHE_INVALID;
	cache_field(cache, gen_write) = VMMEM_CACHE_INVALID;
	if (!len || !vmmem_access_valid(access))
		return -EINVAL;

	rcu_read_lock();
	while ((ret = vmmem_cache_resolve(cache, _RET_IP_)) == -ENOENT) {
		ret = vmmem_miss_call(vm, gpa, access, &miss);
		if (ret)
			break;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_cache_init, VMMEM_NS);

/* True if [@gpa, @gpa + @size) is inside the window. */
static bool vmmem_cache_covers(struct vmmem_cache *cache, u64 gpa, u64 size)
{
	u64 len = cache_field(cache, len);

	return size <= len && gpa - cache_field(cache, gpa) <= len - size;
}

/*
 * Kernel address of [@gpa, @gpa + @size), which the window covers; the
 * offset clamped under speculation, as vmmem_cache_ptr() does.
 */
static void *vmmem_cache_hva(struct vmmem_cache *cache, u64 gpa, u64 size)
{
	u64 off = gpa - cache_field(cache, gpa);

	return cache_field(cache, hva) +
	       array_index_nospec(off, cache_field(cache, len) - size + 1);
}

/**
 * __vmmem_cache_resolve() - the slow path of vmmem_cache_ptr()
 * @cache: the cache
 * @gpa: first guest-physical address of the range
 * @size: length of the range in bytes
 * @access: %VMMEM_READ and/or %VMMEM_WRITE
 *
 * Taken when the map's generation no longer matches or @access is not the
 * cache's: checks all that vmmem_cache_ptr() checks, resolving the window
 * again first. Callers use vmmem_cache_ptr() instead.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: as vmmem_cache_ptr().
 */
void *__vmmem_cache_resolve(struct vmmem_cache *cache, u64 gpa, size_t size,
			    unsigned int access)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "vmmem cache used outside rcu_read_lock()");
	if (!vmmem_access_valid(access) ||
	    (access & ~cache_field(cache, access)) ||
	    !vmmem_cache_covers(cache, gpa, size))
		return NULL;
	/* Rare (the map changed, or the last resolve failed): look it up. */
	if (vmmem_cache_resolve(cache, _RET_IP_))
		return NULL;
	return vmmem_cache_hva(cache, gpa, size);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_cache_resolve, VMMEM_NS);

/**
 * __vmmem_cache_mark_dirty() - dirty logging for a store through a cache
 * @cache: the cache, resolved (its pointer just used, in this RCU section)
 * @gpa: first byte written
 * @len: bytes written
 *
 * The slow path of vmmem_store() and vmmem_store_release() on a cache
 * while logging is on; callers use those instead. A range outside the
 * window, or a cache that is not resolved, marks nothing.
 *
 * Context: rcu_read_lock() held by the caller, the same section in which
 * the store was made.
 */
void __vmmem_cache_mark_dirty(struct vmmem_cache *cache, u64 gpa, size_t len)
{
	struct vmmem_region *region = cache_field(cache, region);
	void *hva;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(),
			 "vmmem cache used outside rcu_read_lock()");
	if (cache_field(cache, gen_write) == VMMEM_CACHE_INVALID ||
	    !vmmem_cache_covers(cache, gpa, len))
		return;
	/* The guest-physical address: in an IOVA space, not @gpa. */
	hva = vmmem_cache_hva(cache, gpa, len);
	__vmmem_mark_dirty(region, region->gpa + (hva - region->hva), len);
}
EXPORT_SYMBOL_NS_GPL(__vmmem_cache_mark_dirty, VMMEM_NS);
