// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compile-time checks of <linux/vmmem.h>, built by the build lane as a tiny
 * module against each kernel's headers. Without a VMMEM_MISUSE_* define it
 * is every accepted form and must build without a warning; with one, it is
 * one misuse the header promises to refuse, with an error or a warning.
 */
#include <linux/module.h>
#include <linux/vmmem.h>

/* Never called: only compiled. */
int vmmem_api_use(struct vmmem *vm, struct vmmem_cache *cache, u64 gpa,
		  union vmmem_space space, struct vmmem_iova *iova);
int vmmem_api_use(struct vmmem *vm, struct vmmem_cache *cache, u64 gpa,
		  union vmmem_space space, struct vmmem_iova *iova)
{
	struct vmmem_snapshot *snap = vmmem_snapshot(vm);
	struct vmmem_update add = { .op = VMMEM_ADD_VMALLOC, .size = PAGE_SIZE };
	__le16 idx;
	__be32 word;
	void *ptr;
	u8 byte;
	u64 val;
	int ret;

	/* Maps, snapshots and caches take the same single accesses. */
	ret = vmmem_load(vm, gpa, &byte) ?:
	      vmmem_load(snap, gpa, &idx) ?:
	      vmmem_load_acquire(cache, gpa, &idx) ?:
	      vmmem_load(cache, gpa, &ptr) ?:
	      vmmem_store(vm, gpa, cpu_to_le16(le16_to_cpu(idx) + 1)) ?:
	      vmmem_store_release(snap, gpa, cpu_to_be32(7)) ?:
	      vmmem_store(cache, gpa, (u64)byte) ?:
	      vmmem_store_release(cache, gpa, word = cpu_to_be32(1));
	/* A helper that takes a space passes it on as it is. */
	ret = ret ?: vmmem_load(space, gpa, &val) ?:
	      vmmem_store(space, gpa, val);
	ret = ret ?: (int)vmmem_copy_from_guest(snap, gpa, &val, sizeof(val));
	ret = ret ?: vmmem_update(vm, &add, 1);
	/* An IOVA space is accessed as a map is. */
	ret = ret ?: vmmem_iova_map(iova, gpa, PAGE_SIZE, gpa, VMMEM_READ) ?:
	      vmmem_load(iova, gpa, &val) ?:
	      (int)vmmem_copy_to_guest(iova, gpa, &val, sizeof(val)) ?:
	      vmmem_iova_unmap(iova, gpa, PAGE_SIZE);

	/* Read pointers are const; write pointers come from a write call. */
	rcu_read_lock();
	{
		const __le16 *ro = vmmem_cache_ptr(cache, gpa, sizeof(*ro));
		u8 *rw = vmmem_cache_wptr(cache, gpa + 2, 1);
		struct vmmem_slice slice;

		if (ro && rw)
			*rw = (u8)le16_to_cpu(*ro);
		if (!vmmem_find_slice(vm, gpa, 1, VMMEM_READ | VMMEM_WRITE, &slice))
			*(u8 *)slice.wptr = *(const u8 *)slice.ptr;
	}
	rcu_read_unlock();

#ifdef VMMEM_MISUSE_SNAPSHOT_UPDATE
	ret = vmmem_update(snap, &add, 1);	/* a snapshot never changes */
#endif
#ifdef VMMEM_MISUSE_IOVA_UPDATE
	ret = vmmem_update(iova, &add, 1);	/* entries change by map/unmap */
#endif
#ifdef VMMEM_MISUSE_SNAPSHOT_PUT
	vmmem_put(snap);			/* snapshots have their own put */
#endif
#ifdef VMMEM_MISUSE_SNAPSHOT_LOG
	ret = vmmem_dirty_log_start(snap);
#endif
#ifdef VMMEM_MISUSE_STORE_INT
	ret = vmmem_store(vm, gpa, 1);		/* an int: width not chosen */
#endif
#ifdef VMMEM_MISUSE_LOAD_WIDTH
	{
		struct { u8 b[3]; } three;

		ret = vmmem_load(vm, gpa, &three);	/* not 1, 2, 4 or 8 bytes */
	}
#endif
#ifdef VMMEM_MISUSE_CACHE_PTR_WRITE
	rcu_read_lock();
	{
		u8 *p = vmmem_cache_ptr(cache, gpa, 1);	/* read-only */

		if (p)
			*p = 0;
	}
	rcu_read_unlock();
#endif
#ifdef VMMEM_MISUSE_SLICE_PTR_WRITE
	rcu_read_lock();
	{
		struct vmmem_slice slice;
		u8 *p;

		if (!vmmem_find_slice(vm, gpa, 1, VMMEM_READ, &slice)) {
			p = slice.ptr;			/* read-only */
			*p = 0;
		}
	}
	rcu_read_unlock();
#endif
#ifdef VMMEM_MISUSE_CACHE_FIELD
	ptr = cache->hva;			/* the cache's fields are vmmem's */
#endif
	vmmem_snapshot_put(snap);
	return ret;
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmmem API compile checks");
