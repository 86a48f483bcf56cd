/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmmem - guest-physical memory access for in-kernel devices.
 *
 * The only header that users of vmmem include. See Documentation/vmmem.rst
 * for the access contract and the locking and context rules.
 */
#ifndef _LINUX_VMMEM_H
#define _LINUX_VMMEM_H

#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/version.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

struct bio_vec;
struct iov_iter;
struct page;
struct sg_table;
struct vmmem;
struct vmmem_batch;
struct vmmem_region;

/*
 * The symbol namespace of every vmmem export, in the form this kernel's
 * MODULE_IMPORT_NS() and EXPORT_SYMBOL_NS_GPL() take: a string literal from
 * 6.13, a bare word before. Consumers write MODULE_IMPORT_NS(VMMEM_NS).
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define VMMEM_NS	"VMMEM"
#else
#define VMMEM_NS	VMMEM
#endif

/* Region flags for vmmem_add_*(). */
#define VMMEM_REGION_RDONLY	0x1u	/* devices may read, never write */
#define VMMEM_REGION_FLAGS	VMMEM_REGION_RDONLY

/* Access bits for vmmem_check_range(), slices and the slice walk. */
#define VMMEM_READ		0x1u
#define VMMEM_WRITE		0x2u
#define VMMEM_ACCESS_MASK	(VMMEM_READ | VMMEM_WRITE)

struct vmmem *vmmem_create(void);
void vmmem_get(struct vmmem *vm);
void vmmem_put(struct vmmem *vm);
struct vmmem *vmmem_snapshot(struct vmmem *vm);
void vmmem_synchronize(void);

int vmmem_dirty_log_start(struct vmmem *vm);
int vmmem_dirty_log_stop(struct vmmem *vm);
long vmmem_dirty_harvest(struct vmmem *vm, u64 gpa, u64 len,
			 unsigned long *bitmap);
long vmmem_dirty_clear(struct vmmem *vm, u64 gpa, u64 len);
void vmmem_mark_dirty(struct vmmem *vm, u64 gpa, u64 len);

int vmmem_add_vmalloc(struct vmmem *vm, u64 gpa, u64 size, unsigned int flags);
int vmmem_add_user(struct vmmem *vm, u64 gpa, unsigned long uaddr, u64 size,
		   unsigned int flags);
int vmmem_add_pages(struct vmmem *vm, u64 gpa, struct page **pages,
		    unsigned long npages, unsigned int flags);
int vmmem_remove(struct vmmem *vm, u64 gpa, u64 size);

struct vmmem_batch *vmmem_batch_create(struct vmmem *vm);
int vmmem_batch_add_vmalloc(struct vmmem_batch *batch, u64 gpa, u64 size,
			    unsigned int flags);
int vmmem_batch_add_user(struct vmmem_batch *batch, u64 gpa,
			 unsigned long uaddr, u64 size, unsigned int flags);
int vmmem_batch_add_pages(struct vmmem_batch *batch, u64 gpa,
			  struct page **pages, unsigned long npages,
			  unsigned int flags);
int vmmem_batch_remove(struct vmmem_batch *batch, u64 gpa, u64 size);
int vmmem_batch_remove_all(struct vmmem_batch *batch);
int vmmem_batch_commit(struct vmmem_batch *batch);
void vmmem_batch_abort(struct vmmem_batch *batch);

/**
 * enum vmmem_backing - what memory backs a region
 * @VMMEM_BACKING_VMALLOC: a zeroed vmalloc area of vmmem's own
 *	(vmmem_add_vmalloc())
 * @VMMEM_BACKING_USER: pages of a process pinned with FOLL_LONGTERM
 *	(vmmem_add_user())
 * @VMMEM_BACKING_PAGES: pages an in-kernel provider handed over
 *	(vmmem_add_pages())
 */
enum vmmem_backing {
	VMMEM_BACKING_VMALLOC,
	VMMEM_BACKING_USER,
	VMMEM_BACKING_PAGES,
};

/**
 * struct vmmem_region_info - what a region is and what backs it
 * @gpa: first guest-physical address of the region
 * @size: length in bytes
 * @flags: VMMEM_REGION_* flags it was added with
 * @backing: the kind of backing memory
 * @uaddr: for %VMMEM_BACKING_USER, the process address that backs @gpa;
 *	0 otherwise
 * @nr_pages: number of base pages (@size / PAGE_SIZE)
 * @nr_large_pages: how many of those belong to large folios (transparent
 *	or hugetlb huge pages); always 0 for %VMMEM_BACKING_VMALLOC
 */
struct vmmem_region_info {
	u64 gpa;
	u64 size;
	unsigned int flags;
	enum vmmem_backing backing;
	unsigned long uaddr;
	unsigned long nr_pages;
	unsigned long nr_large_pages;
};

int vmmem_region_info(struct vmmem *vm, u64 gpa, struct vmmem_region_info *info);

unsigned int vmmem_num_regions(struct vmmem *vm);
u64 vmmem_last_addr(struct vmmem *vm);
u64 vmmem_generation(const struct vmmem *vm);
bool vmmem_check_range(struct vmmem *vm, u64 gpa, u64 len, unsigned int access);

/**
 * struct vmmem_slice - one contiguous kernel view of guest memory
 * @ptr: kernel address of the byte at @gpa
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes, all inside one region
 * @writable: false when the region is read-only to devices
 * @region: for a held slice, the reference that keeps it valid; NULL for a
 *	slice from vmmem_get_slice() or a slice walk
 *
 * A slice from vmmem_get_slice() or a slice walk is valid only inside the
 * rcu_read_lock() section in which it was obtained: once the caller leaves
 * it, the region behind the slice may be removed and its memory freed. A
 * held slice (vmmem_hold_slice(), vmmem_hold_range()) stays valid, across
 * sleeping, until vmmem_release_slice().
 */
struct vmmem_slice {
	void *ptr;
	u64 gpa;
	size_t len;
	bool writable;
	struct vmmem_region *region;
};

int vmmem_get_slice(struct vmmem *vm, u64 gpa, size_t len,
		    unsigned int access, struct vmmem_slice *slice);
int vmmem_hold_slice(struct vmmem *vm, u64 gpa, size_t len,
		     unsigned int access, struct vmmem_slice *slice);
void vmmem_release_slice(struct vmmem_slice *slice);
int vmmem_hold_range(struct vmmem *vm, u64 gpa, u64 len, unsigned int access,
		     struct vmmem_slice *slices, unsigned int *nr);
void vmmem_release_range(struct vmmem_slice *slices, unsigned int nr);

/**
 * struct vmmem_slice_iter - walk of the per-region pieces of a guest range
 * @vm: the map being walked
 * @gpa: guest-physical address of the next piece
 * @remaining: bytes not yet returned
 * @access: %VMMEM_READ and/or %VMMEM_WRITE, checked on every piece
 * @past_end: the walk reached 2^64 - 1 with bytes remaining
 *
 * Initialise with vmmem_slice_iter_init() and call vmmem_slice_iter_next()
 * until it returns 0 or an error, all inside one rcu_read_lock() section.
 * The fields are read-only to callers; after an error, @gpa is the first
 * byte that could not be reached and @remaining counts it and the rest.
 */
struct vmmem_slice_iter {
	struct vmmem *vm;
	u64 gpa;
	u64 remaining;
	unsigned int access;
	bool past_end;
};

void vmmem_slice_iter_init(struct vmmem_slice_iter *iter, struct vmmem *vm,
			   u64 gpa, u64 len, unsigned int access);
int vmmem_slice_iter_next(struct vmmem_slice_iter *iter,
			  struct vmmem_slice *slice);

int vmmem_walk_slices(struct vmmem *vm, u64 gpa, u64 len,
		      unsigned int access,
		      int (*fn)(const struct vmmem_slice *slice, void *priv),
		      void *priv);

unsigned long vmmem_copy_from_guest(struct vmmem *vm, void *dst, u64 gpa,
				    unsigned long len);
unsigned long vmmem_copy_to_guest(struct vmmem *vm, u64 gpa, const void *src,
				  unsigned long len);
int vmmem_read(struct vmmem *vm, u64 gpa, void *dst, size_t len);
int vmmem_write(struct vmmem *vm, u64 gpa, const void *src, size_t len);

int vmmem_load_u8(struct vmmem *vm, u64 gpa, u8 *val);
int vmmem_load_u16(struct vmmem *vm, u64 gpa, u16 *val);
int vmmem_load_u32(struct vmmem *vm, u64 gpa, u32 *val);
int vmmem_load_u64(struct vmmem *vm, u64 gpa, u64 *val);
int vmmem_store_u8(struct vmmem *vm, u64 gpa, u8 val);
int vmmem_store_u16(struct vmmem *vm, u64 gpa, u16 val);
int vmmem_store_u32(struct vmmem *vm, u64 gpa, u32 val);
int vmmem_store_u64(struct vmmem *vm, u64 gpa, u64 val);
int vmmem_load_acquire_u16(struct vmmem *vm, u64 gpa, u16 *val);
int vmmem_load_acquire_u32(struct vmmem *vm, u64 gpa, u32 *val);
int vmmem_load_acquire_u64(struct vmmem *vm, u64 gpa, u64 *val);
int vmmem_store_release_u16(struct vmmem *vm, u64 gpa, u16 val);
int vmmem_store_release_u32(struct vmmem *vm, u64 gpa, u32 val);
int vmmem_store_release_u64(struct vmmem *vm, u64 gpa, u64 val);

#define VMMEM_CACHE_INVALID	U64_MAX

/**
 * struct vmmem_cache - a caller-side translation of a guest window
 * @vm: the map or snapshot the window is in
 * @generation: the map's generation word, compared on every access
 * @valid_gen: the generation @hva was resolved at, or %VMMEM_CACHE_INVALID
 * @gpa: first guest-physical address of the window
 * @len: length of the window in bytes
 * @access: %VMMEM_READ and/or %VMMEM_WRITE permitted through the cache
 * @hva: kernel address of @gpa while @valid_gen matches
 * @region: the region of @hva, while @valid_gen matches
 * @log: that region's dirty-logging flag
 *
 * Set up with vmmem_cache_init(); the fields are the cache's own. Like
 * KVM's gfn_to_hva_cache: an access costs one compare while the map is
 * unchanged, and a lookup after any change.
 */
struct vmmem_cache {
	struct vmmem *vm;
	const u64 *generation;
	u64 valid_gen;
	u64 gpa;
	u64 len;
	unsigned int access;
	void *hva;
	struct vmmem_region *region;
	const bool *log;
};

int vmmem_cache_init(struct vmmem_cache *cache, struct vmmem *vm, u64 gpa,
		     u64 len, unsigned int access);
void *vmmem_cache_refresh(struct vmmem_cache *cache);
void vmmem_cache_mark_dirty(struct vmmem_cache *cache, u64 gpa, u64 len);

/**
 * vmmem_cache_ptr() - kernel address of a guest range in a cached window
 * @cache: the cache
 * @gpa: first guest-physical address of the range
 * @size: length of the range in bytes
 *
 * The pointer is valid until the caller leaves its rcu_read_lock()
 * section. The offset into the window is clamped under speculation.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the kernel address, or NULL if the range is not inside the
 * window or the window is no longer mapped in one region.
 */
static inline void *vmmem_cache_ptr(struct vmmem_cache *cache, u64 gpa,
				    size_t size)
{
	u64 off = gpa - cache->gpa;
	void *hva = cache->hva;

	if (unlikely(READ_ONCE(*cache->generation) != cache->valid_gen)) {
		hva = vmmem_cache_refresh(cache);
		if (!hva)
			return NULL;
	}
	if (unlikely(size > cache->len || off > cache->len - size))
		return NULL;
	return hva + array_index_nospec(off, cache->len - size + 1);
}

/**
 * vmmem_cache_load_acquire() - load-acquire through a translation cache
 * @cache: the cache
 * @gpa: guest-physical address, naturally aligned for the value's size
 * @valp: pointer to a u16, u32 or u64 to fill; unchanged on failure
 *
 * One untorn load with acquire ordering against the guest, as
 * vmmem_load_acquire_u16() and friends.
 *
 * Context: Any context.
 * Return: 0, -EINVAL if @gpa is misaligned, -EFAULT if it is outside the
 * window or the window is no longer mapped.
 */
#define vmmem_cache_load_acquire(cache, gpa, valp)			\
({									\
	typeof(valp) __vc_val = (valp), __vc_ptr;			\
	u64 __vc_gpa = (gpa);						\
	int __vc_ret = -EINVAL;						\
									\
	if (IS_ALIGNED(__vc_gpa, sizeof(*__vc_val))) {			\
		rcu_read_lock();					\
		__vc_ptr = vmmem_cache_ptr(cache, __vc_gpa,		\
					   sizeof(*__vc_val));		\
		__vc_ret = __vc_ptr ? 0 : -EFAULT;			\
		if (__vc_ptr) {						\
			/* Later guest reads stay after this one. */	\
			*__vc_val = virt_load_acquire(__vc_ptr);	\
		}							\
		rcu_read_unlock();					\
	}								\
	__vc_ret;							\
})

/**
 * vmmem_cache_store_release() - store-release through a translation cache
 * @cache: the cache, set up with %VMMEM_WRITE
 * @gpa: guest-physical address, naturally aligned for the value's size
 * @val: a u16, u32 or u64 value
 *
 * One untorn store with release ordering against the guest, as
 * vmmem_store_release_u16() and friends.
 *
 * Context: Any context.
 * Return: 0, -EINVAL if @gpa is misaligned, -EFAULT if it is outside the
 * window, the window is no longer mapped or the cache is read-only.
 */
#define vmmem_cache_store_release(cache, gpa, val)			\
({									\
	struct vmmem_cache *__vc_cache = (cache);			\
	typeof(val) __vc_v = (val), *__vc_ptr;				\
	u64 __vc_gpa = (gpa);						\
	int __vc_ret = -EINVAL;						\
									\
	if (IS_ALIGNED(__vc_gpa, sizeof(__vc_v))) {			\
		rcu_read_lock();					\
		__vc_ptr = (__vc_cache->access & VMMEM_WRITE) ?		\
			   vmmem_cache_ptr(__vc_cache, __vc_gpa,	\
					   sizeof(__vc_v)) : NULL;	\
		__vc_ret = __vc_ptr ? 0 : -EFAULT;			\
		if (__vc_ptr) {						\
			/* Earlier guest writes stay before this one. */ \
			virt_store_release(__vc_ptr, __vc_v);		\
			if (unlikely(READ_ONCE(*__vc_cache->log)))	\
				vmmem_cache_mark_dirty(__vc_cache,	\
					__vc_gpa, sizeof(__vc_v));	\
		}							\
		rcu_read_unlock();					\
	}								\
	__vc_ret;							\
})

size_t vmmem_copy_to_iter(struct vmmem *vm, u64 gpa, size_t len,
			  struct iov_iter *iter);
size_t vmmem_copy_from_iter(struct vmmem *vm, u64 gpa, size_t len,
			    struct iov_iter *iter);
int vmmem_copy_to_iter_full(struct vmmem *vm, u64 gpa, size_t len,
			    struct iov_iter *iter);
int vmmem_copy_from_iter_full(struct vmmem *vm, u64 gpa, size_t len,
			      struct iov_iter *iter);
unsigned long vmmem_copy_to_user(struct vmmem *vm, void __user *dst, u64 gpa,
				 unsigned long len);
unsigned long vmmem_copy_from_user(struct vmmem *vm, u64 gpa,
				   const void __user *src, unsigned long len);

/**
 * struct vmmem_bvecs - a guest range translated to bio_vecs
 * @bv: the caller's array of @max bio_vecs
 * @held: the caller's array of @max slices, one held per region crossed
 *	(bio_vecs merge across regions, so a range may need more holds than
 *	bio_vecs)
 * @max: entries in @bv and in @held
 * @nr: bio_vecs filled; after -ENOBUFS, the @max that suffices for both
 *	arrays
 * @nr_held: slices held in @held
 * @write: translated for %VMMEM_WRITE: dirty-logged on release
 *
 * Filled by vmmem_translate(), released by vmmem_untranslate().
 */
struct vmmem_bvecs {
	struct bio_vec *bv;
	struct vmmem_slice *held;
	unsigned int max;
	unsigned int nr;
	unsigned int nr_held;
	bool write;
};

int vmmem_translate(struct vmmem *vm, u64 gpa, u64 len, unsigned int access,
		    struct vmmem_bvecs *bv);
void vmmem_untranslate(struct vmmem_bvecs *bv);
int vmmem_bvecs_to_sgtable(const struct vmmem_bvecs *bv, struct sg_table *sgt,
			   gfp_t gfp);

/**
 * vmmem_read_obj() - read an object from guest memory by its size
 * @vm: the guest memory map
 * @gpa: guest-physical address of the object
 * @objp: pointer to the object to fill; sizeof(*@objp) bytes are read
 *
 * Context: Any context, as vmmem_read().
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
#define vmmem_read_obj(vm, gpa, objp)				\
({									\
	typeof(objp) __vmmem_obj = (objp);				\
									\
	vmmem_read(vm, gpa, __vmmem_obj, sizeof(*__vmmem_obj));		\
})

/**
 * vmmem_write_obj() - write an object to guest memory by its size
 * @vm: the guest memory map
 * @gpa: guest-physical address of the object
 * @objp: pointer to the object to copy; sizeof(*@objp) bytes are written
 *
 * Context: Any context, as vmmem_write().
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
#define vmmem_write_obj(vm, gpa, objp)				\
({									\
	typeof(objp) __vmmem_obj = (objp);				\
									\
	vmmem_write(vm, gpa, __vmmem_obj, sizeof(*__vmmem_obj));	\
})

/*
 * Endian helpers: guest values of a fixed byte order, converted to and from
 * CPU order. A naturally aligned value inside one region is read or written
 * in one untorn access; otherwise the bytes are copied (and may straddle
 * regions). Any context; 0 on success, -EFAULT if a byte is unmapped or, for
 * writes, read-only. On failure *@val is left unchanged.
 */

/**
 * vmmem_read_le16() - read a little-endian 16-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_le16(struct vmmem *vm, u64 gpa, u16 *val)
{
	__le16 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = le16_to_cpu(raw);
	return ret;
}

/**
 * vmmem_read_le32() - read a little-endian 32-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_le32(struct vmmem *vm, u64 gpa, u32 *val)
{
	__le32 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = le32_to_cpu(raw);
	return ret;
}

/**
 * vmmem_read_le64() - read a little-endian 64-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_le64(struct vmmem *vm, u64 gpa, u64 *val)
{
	__le64 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = le64_to_cpu(raw);
	return ret;
}

/**
 * vmmem_read_be16() - read a big-endian 16-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_be16(struct vmmem *vm, u64 gpa, u16 *val)
{
	__be16 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = be16_to_cpu(raw);
	return ret;
}

/**
 * vmmem_read_be32() - read a big-endian 32-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_be32(struct vmmem *vm, u64 gpa, u32 *val)
{
	__be32 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = be32_to_cpu(raw);
	return ret;
}

/**
 * vmmem_read_be64() - read a big-endian 64-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped.
 */
static inline int vmmem_read_be64(struct vmmem *vm, u64 gpa, u64 *val)
{
	__be64 raw;
	int ret = vmmem_read(vm, gpa, &raw, sizeof(raw));

	if (!ret)
		*val = be64_to_cpu(raw);
	return ret;
}

/**
 * vmmem_write_le16() - write a 16-bit value to guest memory as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_le16(struct vmmem *vm, u64 gpa, u16 val)
{
	__le16 raw = cpu_to_le16(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/**
 * vmmem_write_le32() - write a 32-bit value to guest memory as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_le32(struct vmmem *vm, u64 gpa, u32 val)
{
	__le32 raw = cpu_to_le32(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/**
 * vmmem_write_le64() - write a 64-bit value to guest memory as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_le64(struct vmmem *vm, u64 gpa, u64 val)
{
	__le64 raw = cpu_to_le64(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/**
 * vmmem_write_be16() - write a 16-bit value to guest memory as big-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_be16(struct vmmem *vm, u64 gpa, u16 val)
{
	__be16 raw = cpu_to_be16(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/**
 * vmmem_write_be32() - write a 32-bit value to guest memory as big-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_be32(struct vmmem *vm, u64 gpa, u32 val)
{
	__be32 raw = cpu_to_be32(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/**
 * vmmem_write_be64() - write a 64-bit value to guest memory as big-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EFAULT if any byte is unmapped or read-only.
 */
static inline int vmmem_write_be64(struct vmmem *vm, u64 gpa, u64 val)
{
	__be64 raw = cpu_to_be64(val);

	return vmmem_write(vm, gpa, &raw, sizeof(raw));
}

/*
 * Little-endian acquire and release: virtio rings are little-endian, and
 * their indices need ordering. The same rules as vmmem_load_acquire_u16()
 * and vmmem_store_release_u16(): one untorn access, naturally aligned,
 * inside one region; on failure *@val is left unchanged.
 */

/**
 * vmmem_load_acquire_le16() - load-acquire a little-endian 16-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 2-byte aligned
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
static inline int vmmem_load_acquire_le16(struct vmmem *vm, u64 gpa, u16 *val)
{
	u16 raw;
	int ret = vmmem_load_acquire_u16(vm, gpa, &raw);

	if (!ret)
		*val = le16_to_cpu((__force __le16)raw);
	return ret;
}

/**
 * vmmem_load_acquire_le32() - load-acquire a little-endian 32-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 4-byte aligned
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
static inline int vmmem_load_acquire_le32(struct vmmem *vm, u64 gpa, u32 *val)
{
	u32 raw;
	int ret = vmmem_load_acquire_u32(vm, gpa, &raw);

	if (!ret)
		*val = le32_to_cpu((__force __le32)raw);
	return ret;
}

/**
 * vmmem_load_acquire_le64() - load-acquire a little-endian 64-bit guest value
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 8-byte aligned
 * @val: where the value is stored, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped.
 */
static inline int vmmem_load_acquire_le64(struct vmmem *vm, u64 gpa, u64 *val)
{
	u64 raw;
	int ret = vmmem_load_acquire_u64(vm, gpa, &raw);

	if (!ret)
		*val = le64_to_cpu((__force __le64)raw);
	return ret;
}

/**
 * vmmem_store_release_le16() - store-release a 16-bit value as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 2-byte aligned
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
static inline int vmmem_store_release_le16(struct vmmem *vm, u64 gpa, u16 val)
{
	return vmmem_store_release_u16(vm, gpa, (__force u16)cpu_to_le16(val));
}

/**
 * vmmem_store_release_le32() - store-release a 32-bit value as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 4-byte aligned
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
static inline int vmmem_store_release_le32(struct vmmem *vm, u64 gpa, u32 val)
{
	return vmmem_store_release_u32(vm, gpa, (__force u32)cpu_to_le32(val));
}

/**
 * vmmem_store_release_le64() - store-release a 64-bit value as little-endian
 * @vm: the guest memory map
 * @gpa: guest-physical address of the value, 8-byte aligned
 * @val: the value, in CPU byte order
 *
 * Context: Any context.
 * Return: 0 on success, -EINVAL if @gpa is misaligned, -EFAULT if @gpa is unmapped or read-only.
 */
static inline int vmmem_store_release_le64(struct vmmem *vm, u64 gpa, u64 val)
{
	return vmmem_store_release_u64(vm, gpa, (__force u64)cpu_to_le64(val));
}

#endif /* _LINUX_VMMEM_H */
