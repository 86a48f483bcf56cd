/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmmem - guest-physical memory access for in-kernel devices.
 *
 * The only header that users of vmmem include. See Documentation/vmmem.rst
 * for the access contract and the locking and context rules.
 *
 * One argument order everywhere: first what the call acts on (a space: a
 * map or a snapshot; or an object vmmem filled in before: a cache, an
 * iterator, held slices, bio_vecs), then the guest address, then the other
 * side of a copy (kernel buffer, iov_iter or value), then the length, then
 * the access bits, and last what the call fills in. Exports live in the
 * symbol namespace VMMEM: MODULE_IMPORT_NS(VMMEM) before Linux 6.13,
 * MODULE_IMPORT_NS("VMMEM") from 6.13.
 */
#ifndef _LINUX_VMMEM_H
#define _LINUX_VMMEM_H

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/compiler_types.h>
#include <linux/errno.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <asm/barrier.h>

struct bio_vec;
struct iov_iter;
struct page;
struct sg_table;
struct vmmem;
struct vmmem_iova;
struct vmmem_mapper_ops;
struct vmmem_region;
struct vmmem_snapshot;

/**
 * union vmmem_space - what an access reads and writes: a map, a snapshot
 *	or an IOVA space
 * @map: a live guest-physical map, from vmmem_create()
 * @snapshot: a frozen view of one, from vmmem_snapshot()
 * @iova: an I/O virtual address space over a map, from vmmem_iova_create()
 *
 * Every call that only accesses guest memory takes a union vmmem_space, so a
 * &struct vmmem, &struct vmmem_snapshot or &struct vmmem_iova pointer can
 * be passed as it is (a transparent union, as release_pages() takes).
 * Calls that change a map take a &struct vmmem: a snapshot or an IOVA
 * space passed to them does not compile. The "gpa" of an access call is
 * an address in the space it is given: an IOVA for an IOVA space.
 */
union vmmem_space {
	struct vmmem *map;
	struct vmmem_snapshot *snapshot;
	struct vmmem_iova *iova;
} __attribute__((__transparent_union__));

/* Region flag of struct vmmem_update. */
#define VMMEM_REGION_RDONLY	0x1u	/* devices may read, never write */
#define VMMEM_REGION_FLAGS	VMMEM_REGION_RDONLY

/* Access bits of range checks, slices, holds, caches and translations. */
#define VMMEM_READ		0x1u
#define VMMEM_WRITE		0x2u
#define VMMEM_ACCESS_MASK	(VMMEM_READ | VMMEM_WRITE)

/* Flag of vmmem_create(). */
#define VMMEM_MC_SAFE		0x1u	/* copies out survive memory errors */
#define VMMEM_CREATE_FLAGS	VMMEM_MC_SAFE

/* Room for a map's name, its NUL included. */
#define VMMEM_NAME_MAX		32

struct vmmem *vmmem_create(const char *name, unsigned int flags);
void vmmem_get(struct vmmem *vm);
void vmmem_put(struct vmmem *vm);
struct vmmem_snapshot *vmmem_snapshot(union vmmem_space space);
void vmmem_snapshot_put(struct vmmem_snapshot *snap);
void vmmem_synchronize(void);

/**
 * enum vmmem_update_op - one kind of change to a map
 * @VMMEM_ADD_VMALLOC: add a zeroed vmalloc area of vmmem's own
 * @VMMEM_ADD_USER: add pages of the calling process, from
 *	&vmmem_update.uaddr, pinned with FOLL_LONGTERM
 * @VMMEM_ADD_PAGES: add the pages in &vmmem_update.pages, which an
 *	in-kernel provider owns
 * @VMMEM_ADD_HOST_RAM: add host RAM at host-physical addresses: the
 *	region's guest-physical range is [gpa, gpa + size) of host memory,
 *	which must be System RAM throughout (reached through the direct map;
 *	the caller keeps it from going offline while the region exists)
 * @VMMEM_ADD_MAPPED: add memory that has no permanent kernel mapping and
 *	is mapped page by page while it is accessed, by the operations in
 *	&vmmem_update.mapper (grant references of another domain, say)
 * @VMMEM_REMOVE: remove the region added at exactly [gpa, gpa + size)
 * @VMMEM_REMOVE_ALL: remove every region (gpa and size are ignored)
 */
enum vmmem_update_op {
	VMMEM_ADD_VMALLOC,
	VMMEM_ADD_USER,
	VMMEM_ADD_PAGES,
	VMMEM_ADD_HOST_RAM,
	VMMEM_ADD_MAPPED,
	VMMEM_REMOVE,
	VMMEM_REMOVE_ALL,
};

/**
 * struct vmmem_update - one change in a call to vmmem_update()
 * @op: what to do
 * @flags: for adds, 0 or %VMMEM_REGION_RDONLY
 * @gpa: first guest-physical address of the region, page-aligned
 * @size: its length in bytes, page-aligned and non-zero
 * @uaddr: %VMMEM_ADD_USER: the caller's address of @gpa, page-aligned
 * @pages: %VMMEM_ADD_PAGES: @size / PAGE_SIZE ordinary refcounted pages
 *	in guest order; vmmem copies the array and takes its own references
 * @mapper: %VMMEM_ADD_MAPPED: the operations that map the region's pages
 * @priv: %VMMEM_ADD_MAPPED: passed to @mapper's operations; owned by the
 *	region once the add succeeds (released by &vmmem_mapper_ops.release)
 * @cache_pages: %VMMEM_ADD_MAPPED: how many pages the region may keep
 *	mapped between accesses (as Xen's persistent grants), at most 4096;
 *	0 maps and unmaps each page around each access. Only for memory whose
 *	owner lets mappings outlive the accesses until the region is removed
 */
struct vmmem_update {
	enum vmmem_update_op op;
	unsigned int flags;
	u64 gpa;
	u64 size;
	unsigned long uaddr;
	struct page **pages;
	const struct vmmem_mapper_ops *mapper;
	void *priv;
	unsigned int cache_pages;
};

/**
 * struct vmmem_mapper_ops - memory that is mapped only while it is accessed
 * @map: map page @index of the region (0 for the page at its first
 *	guest-physical address) for @access (%VMMEM_READ, or %VMMEM_WRITE
 *	with or without it) and set *@kaddr to the page's kernel address.
 *	Called inside the access call, under rcu_read_lock(), in any context
 *	the call allows: must not sleep. Return 0; -EAGAIN for a transient
 *	failure, which vmmem retries a few times (%VMMEM_MAP_TRIES in all);
 *	any other negative errno ends the access at that page (a copy then
 *	returns the bytes not copied, a single access -EFAULT)
 * @unmap: end the mapping that @map made of page @index at @kaddr; must
 *	not sleep. Each successful @map is followed by one @unmap: before
 *	the access call returns, or for a page the region keeps mapped
 *	(&vmmem_update.cache_pages), when vmmem maps another page in its
 *	place or the region is released, always before @release. vmmem may
 *	call @map and @unmap of a kept page with a spinlock held
 * @copy: optional: copy @len bytes between @buf and page @index from
 *	@offset, without mapping the page: out of it into @buf, or into it
 *	with %VMMEM_WRITE in @access. vmmem asks for pieces of 9 to
 *	%VMMEM_COPY_OP_MAX bytes within one page (shorter copies may promise
 *	an untorn access, longer ones are cheaper mapped) of a region that
 *	keeps no pages. Same context and errors as @map; -EOPNOTSUPP has
 *	vmmem map the page instead (a @buf it cannot reach, say)
 * @map_pages: optional: map the @nr pages from page @index onto &struct
 *	pages for @access and store those in @pages, for vmmem_translate()
 *	(bio_vecs need pages: a Xen backend maps grants onto pages from
 *	gnttab_alloc_pages()). All or nothing: 0 with every page mapped, or
 *	a negative errno with none: -EAGAIN is retried as for @map, -EBUSY
 *	says that no pages are free now; the translation fails with the
 *	error. Called outside RCU, without locks, in process context: may
 *	sleep. At most %VMMEM_MAP_BATCH pages per call, never past the
 *	region's end
 * @unmap_pages: end the mappings of @nr pages from page @index, which
 *	@map_pages put on @pages (given back as it stored them, in any
 *	grouping of its calls). Must not sleep: vmmem_untranslate() runs in
 *	I/O completion. Required with @map_pages
 * @release: called once the region is gone and no access can map any
 *	more; may sleep. Frees @priv. Optional
 *
 * vmmem calls @map for one page at a time. Without &vmmem_update.cache_pages
 * it never holds a mapping beyond the call that made it; with it, up to
 * that many pages stay mapped between accesses. Pages mapped by
 * @map_pages stay mapped until the translation is released.
 */
struct vmmem_mapper_ops {
	int (*map)(void *priv, unsigned long index, unsigned int access,
		   void **kaddr);
	void (*unmap)(void *priv, unsigned long index, void *kaddr);
	int (*copy)(void *priv, unsigned long index, unsigned int offset,
		    void *buf, unsigned int len, unsigned int access);
	int (*map_pages)(void *priv, unsigned long index, unsigned int nr,
			 unsigned int access, struct page **pages);
	void (*unmap_pages)(void *priv, unsigned long index, unsigned int nr,
			    struct page **pages);
	void (*release)(void *priv);
};

/* The most pages vmmem asks &vmmem_mapper_ops.map_pages for at once. */
#define VMMEM_MAP_BATCH		16

/* The longest piece vmmem copies with &vmmem_mapper_ops.copy. */
#define VMMEM_COPY_OP_MAX	512

/* How many times an access calls &vmmem_mapper_ops.map for one page. */
#define VMMEM_MAP_TRIES		4

/*
 * Xen's virtio transport puts grant references in its DMA addresses: bit
 * 63 set, the reference in the (4 KiB) page number. vmmem_add_xen_grants()
 * adds a frontend's grants at those addresses (where CONFIG_XEN is set).
 */
#define VMMEM_XEN_GRANT_DMA	BIT_ULL(63)

/*
 * vmmem_add_xen_grants() flag: keep up to %VMMEM_XEN_KEPT pages mapped
 * between accesses, as blkback keeps persistent grants. Only for a frontend
 * that keeps its grants until the region is removed: a grant still mapped
 * cannot be ended.
 */
#define VMMEM_XEN_PERSISTENT	0x100u
#define VMMEM_XEN_KEPT		32

/*
 * vmmem_add_xen_foreign() flag: map every frame when the region is added
 * and keep it mapped until the region is released, as a VMM's privcmd
 * mapping does: no hypercall per access.
 */
#define VMMEM_XEN_MAP_ALL	0x200u

/* The address of the first byte of grant reference @ref. */
static inline u64 vmmem_xen_grant_addr(u32 ref)
{
	return VMMEM_XEN_GRANT_DMA | ((u64)ref << 12);
}

int vmmem_add_xen_grants(struct vmmem *vm, u16 domid, u32 first_ref,
			 unsigned int nr, unsigned int flags);
int vmmem_add_xen_foreign(struct vmmem *vm, u64 gpa, u16 domid,
			  const u64 *frames, unsigned int nr,
			  unsigned int flags);
int vmmem_update(struct vmmem *vm, const struct vmmem_update *updates,
		 unsigned int nr_updates);
int vmmem_wait_released(struct vmmem *vm, unsigned long timeout);

/**
 * typedef vmmem_iova_miss_t - an IOVA space's miss hook
 * @priv: the pointer given to vmmem_iova_create()
 * @iova: the I/O virtual address an access found unmapped
 * @access: %VMMEM_READ and/or %VMMEM_WRITE, what the access wanted
 *
 * Called in the context of the access, outside any RCU read-side section
 * vmmem took, to map @iova (vmmem_iova_map()) before the access looks
 * again, once per address per access call.
 *
 * Return: 0 to look again, or a negative errno to fail the access there.
 */
typedef int (*vmmem_iova_miss_t)(void *priv, u64 iova, unsigned int access);

struct vmmem_iova *vmmem_iova_create(struct vmmem *vm, vmmem_iova_miss_t miss,
				     void *priv);
void vmmem_iova_destroy(struct vmmem_iova *iova);
int vmmem_iova_map(struct vmmem_iova *iova, u64 addr, u64 size, u64 gpa,
		   unsigned int perm);
int vmmem_iova_unmap(struct vmmem_iova *iova, u64 addr, u64 size);

int vmmem_dirty_log_start(struct vmmem *vm);
int vmmem_dirty_log_stop(struct vmmem *vm);
long vmmem_dirty_harvest(struct vmmem *vm, u64 gpa, u64 len,
			 unsigned long *bitmap);
void vmmem_mark_dirty(union vmmem_space space, u64 gpa, u64 len);

/**
 * struct vmmem_info - what a space holds, from one layout
 * @generation: changes whenever the map changes; a snapshot's never does
 * @last_addr: the last byte of the highest region (inclusive); 0 when
 *	there is no region
 * @nr_regions: number of regions
 */
struct vmmem_info {
	u64 generation;
	u64 last_addr;
	unsigned int nr_regions;
};

void vmmem_info(union vmmem_space space, struct vmmem_info *info);

/**
 * enum vmmem_backing - what memory backs a region
 * @VMMEM_BACKING_VMALLOC: a zeroed vmalloc area of vmmem's own
 * @VMMEM_BACKING_USER: pages of a process pinned with FOLL_LONGTERM
 * @VMMEM_BACKING_PAGES: pages an in-kernel provider handed over
 * @VMMEM_BACKING_HOST_RAM: host RAM at its own physical addresses
 * @VMMEM_BACKING_MAPPED: memory mapped while it is accessed
 */
enum vmmem_backing {
	VMMEM_BACKING_VMALLOC,
	VMMEM_BACKING_USER,
	VMMEM_BACKING_PAGES,
	VMMEM_BACKING_HOST_RAM,
	VMMEM_BACKING_MAPPED,
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

int vmmem_region_info(union vmmem_space space, u64 gpa,
		      struct vmmem_region_info *info);
bool vmmem_check_range(union vmmem_space space, u64 gpa, u64 len,
		       unsigned int access);

/**
 * struct vmmem_slice - one contiguous kernel view of guest memory
 * @ptr: kernel address of the byte at @gpa, for reading
 * @wptr: the same address for writing, in a slice taken with %VMMEM_WRITE
 *	(which only a writable region gives); NULL in a slice taken for
 *	reading only, so that a reader cannot write by mistake
 * @gpa: guest-physical address of the first byte
 * @len: number of bytes, all inside one region
 * @region: for a held slice, the reference that keeps it valid; NULL for a
 *	slice from vmmem_find_slice() or a slice walk
 *
 * A slice from vmmem_find_slice() or a slice walk is valid only inside the
 * rcu_read_lock() section in which it was obtained: once the caller leaves
 * it, the region behind the slice may be removed and its memory freed. A
 * held slice (vmmem_hold()) stays valid, across sleeping, until
 * vmmem_release().
 */
struct vmmem_slice {
	const void *ptr;
	void *wptr;
	u64 gpa;
	size_t len;
	struct vmmem_region *region;
};

int vmmem_find_slice(union vmmem_space space, u64 gpa, size_t len,
		     unsigned int access, struct vmmem_slice *slice);
int vmmem_hold(union vmmem_space space, u64 gpa, u64 len, unsigned int access,
	       struct vmmem_slice *slices, unsigned int *nr);
void vmmem_release(struct vmmem_slice *slices, unsigned int nr);

/**
 * struct vmmem_slice_iter - walk of the per-region pieces of a guest range
 * @vm: the space being walked (vmmem's own)
 * @gpa: guest-physical address of the next piece
 * @remaining: bytes not yet returned
 * @access: %VMMEM_READ and/or %VMMEM_WRITE, checked on every piece
 * @past_end: the walk reached 2^64 - 1 with bytes remaining
 *
 * Initialise with vmmem_slice_iter_init() and call vmmem_slice_iter_next()
 * until it returns 0 or an error, all inside one rcu_read_lock() section.
 * The fields are read-only to callers, and @vm is not theirs at all; after
 * an error, @gpa is the first byte that could not be reached and
 * @remaining counts it and the rest.
 */
struct vmmem_slice_iter {
	struct vmmem *__private vm;
	u64 gpa;
	u64 remaining;
	unsigned int access;
	bool past_end;
};

void vmmem_slice_iter_init(union vmmem_space space, u64 gpa, u64 len,
			   unsigned int access, struct vmmem_slice_iter *iter);
int vmmem_slice_iter_next(struct vmmem_slice_iter *iter,
			  struct vmmem_slice *slice);

unsigned long vmmem_copy_from_guest(union vmmem_space space, u64 gpa, void *dst,
				    unsigned long len);
unsigned long vmmem_copy_to_guest(union vmmem_space space, u64 gpa,
				  const void *src, unsigned long len);
size_t vmmem_copy_to_iter(union vmmem_space space, u64 gpa, struct iov_iter *iter,
			  size_t len);
size_t vmmem_copy_from_iter(union vmmem_space space, u64 gpa,
			    struct iov_iter *iter, size_t len);

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

int vmmem_translate(union vmmem_space space, u64 gpa, u64 len,
		    unsigned int access, struct vmmem_bvecs *bv);
void vmmem_untranslate(struct vmmem_bvecs *bv);
int vmmem_bvecs_to_sgtable(const struct vmmem_bvecs *bv, struct sg_table *sgt,
			   gfp_t gfp);

/**
 * struct vmmem_cache - a caller-side translation of one guest window
 *
 * Set up with vmmem_cache_init(), used with vmmem_cache_ptr(),
 * vmmem_cache_wptr() and the single accesses. Like KVM's gfn_to_hva_cache:
 * an access costs one compare while the map is unchanged, and a lookup
 * after any change. The caller owns the memory; every field is vmmem's
 * (sparse checks that).
 *
 * The generation the window was resolved at is kept once per kind of
 * access, and only for the kinds the cache permits (an impossible value
 * otherwise), so that one compare checks the map and the permission.
 */
struct vmmem_cache {
	/* private: */
	const u64 *__private generation;
	u64 __private gen_read;
	u64 __private gen_write;
	u64 __private gpa;
	u64 __private len;
	unsigned int __private access;
	void *__private hva;
	const bool *__private log;
	struct vmmem *__private vm;
	struct vmmem_region *__private region;
};

int vmmem_cache_init(union vmmem_space space, u64 gpa, u64 len,
		     unsigned int access, struct vmmem_cache *cache);
void *__vmmem_cache_resolve(struct vmmem_cache *cache, u64 gpa, size_t size,
			    unsigned int access);
void __vmmem_cache_mark_dirty(struct vmmem_cache *cache, u64 gpa, size_t len);

/*
 * The body of vmmem_cache_ptr() and vmmem_cache_wptr(): @access is a
 * constant, so the generation check folds to one compare.
 */
static __always_inline void *__vmmem_cache_ptr(struct vmmem_cache *cache,
					       u64 gpa, size_t size,
					       unsigned int access)
{
	u64 generation = READ_ONCE(*ACCESS_PRIVATE(cache, generation));
	u64 len = ACCESS_PRIVATE(cache, len);
	u64 off = gpa - ACCESS_PRIVATE(cache, gpa);
	bool valid = access && !(access & ~VMMEM_ACCESS_MASK);

	/* @access is usually a constant: this folds to one compare. */
	if (access & VMMEM_READ)
		valid = valid && generation == ACCESS_PRIVATE(cache, gen_read);
	if (access & VMMEM_WRITE)
		valid = valid && generation == ACCESS_PRIVATE(cache, gen_write);
	if (unlikely(!valid))
		return __vmmem_cache_resolve(cache, gpa, size, access);
	if (unlikely(size > len || off > len - size))
		return NULL;
	return ACCESS_PRIVATE(cache, hva) + array_index_nospec(off, len - size + 1);
}

/**
 * vmmem_cache_ptr() - kernel address of a guest range in a cached window
 * @cache: the cache, set up with %VMMEM_READ
 * @gpa: first guest-physical address of the range
 * @size: length of the range in bytes
 *
 * For reading only, as the const says; vmmem_cache_wptr() gives a pointer
 * to write through. The pointer is valid until the caller leaves its
 * rcu_read_lock() section. The offset into the window is clamped under
 * speculation.
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the kernel address, or NULL if the range is not inside the
 * window, the cache was not set up for reading or the window is no longer
 * mapped in one region.
 */
static __always_inline const void *vmmem_cache_ptr(struct vmmem_cache *cache,
						   u64 gpa, size_t size)
{
	return __vmmem_cache_ptr(cache, gpa, size, VMMEM_READ);
}

/**
 * vmmem_cache_wptr() - kernel address of a guest range in a cached window, to write
 * @cache: the cache, set up with %VMMEM_WRITE
 * @gpa: first guest-physical address of the range
 * @size: length of the range in bytes
 *
 * As vmmem_cache_ptr(), for writing (and reading: every writable region
 * is readable). Writes through it are the caller's to mark dirty, with
 * vmmem_mark_dirty().
 *
 * Context: rcu_read_lock() held by the caller.
 * Return: the kernel address, or NULL if the range is not inside the
 * window, the cache was not set up for writing or the window is no longer
 * mapped in one writable region.
 */
static __always_inline void *vmmem_cache_wptr(struct vmmem_cache *cache,
					      u64 gpa, size_t size)
{
	return __vmmem_cache_ptr(cache, gpa, size, VMMEM_WRITE);
}

/* The out-of-line single accesses behind vmmem_load() and friends. */
int __vmmem_load_n(union vmmem_space space, u64 gpa, void *val,
		   unsigned int size, bool acquire);
int __vmmem_store_n(union vmmem_space space, u64 gpa, u64 val,
		    unsigned int size, bool release);

/*
 * The single accesses below work on a value's bytes, @size of them, in a
 * union of the caller's type and the u8..u64 of the same size: any type of
 * 1, 2, 4 or 8 bytes (u16, __le32, a pointer) keeps its bits and its
 * sparse annotations. @size is a constant, checked at compile time.
 */
static __always_inline int __vmmem_space_load(union vmmem_space space,
					      u64 gpa, void *buf, size_t size,
					      bool acquire)
{
	return __vmmem_load_n(space, gpa, buf, size, acquire);
}

static __always_inline int __vmmem_space_store(union vmmem_space space,
					       u64 gpa, const void *buf,
					       size_t size, bool release)
{
	u64 val;

	switch (size) {
	case 1:
		val = *(const u8 *)buf;
		break;
	case 2:
		val = *(const u16 *)buf;
		break;
	case 4:
		val = *(const u32 *)buf;
		break;
	default:
		val = *(const u64 *)buf;
		break;
	}
	return __vmmem_store_n(space, gpa, val, size, release);
}

static __always_inline int __vmmem_cache_load(struct vmmem_cache *cache,
					      u64 gpa, void *buf, size_t size,
					      bool acquire)
{
	void *ptr;

	if (!IS_ALIGNED(gpa, size))
		return -EINVAL;
	rcu_read_lock();
	ptr = __vmmem_cache_ptr(cache, gpa, size, VMMEM_READ);
	if (ptr) {
		switch (size) {
		case 1:
			if (acquire) {
				/* Later guest reads stay after this one. */
				*(u8 *)buf = virt_load_acquire((u8 *)ptr);
			} else {
				*(u8 *)buf = READ_ONCE(*(u8 *)ptr);
			}
			break;
		case 2:
			if (acquire) {
				/* Later guest reads stay after this one. */
				*(u16 *)buf = virt_load_acquire((u16 *)ptr);
			} else {
				*(u16 *)buf = READ_ONCE(*(u16 *)ptr);
			}
			break;
		case 4:
			if (acquire) {
				/* Later guest reads stay after this one. */
				*(u32 *)buf = virt_load_acquire((u32 *)ptr);
			} else {
				*(u32 *)buf = READ_ONCE(*(u32 *)ptr);
			}
			break;
		default:
			if (acquire) {
				/* Later guest reads stay after this one. */
				*(u64 *)buf = virt_load_acquire((u64 *)ptr);
			} else {
				*(u64 *)buf = READ_ONCE(*(u64 *)ptr);
			}
			break;
		}
	}
	rcu_read_unlock();
	return ptr ? 0 : -EFAULT;
}

static __always_inline int __vmmem_cache_store(struct vmmem_cache *cache,
					       u64 gpa, const void *buf,
					       size_t size, bool release)
{
	void *ptr;

	if (!IS_ALIGNED(gpa, size))
		return -EINVAL;
	rcu_read_lock();
	ptr = __vmmem_cache_ptr(cache, gpa, size, VMMEM_WRITE);
	if (ptr) {
		switch (size) {
		case 1:
			if (release) {
				/* Earlier guest writes stay before this one. */
				virt_store_release((u8 *)ptr, *(const u8 *)buf);
			} else {
				WRITE_ONCE(*(u8 *)ptr, *(const u8 *)buf);
			}
			break;
		case 2:
			if (release) {
				/* Earlier guest writes stay before this one. */
				virt_store_release((u16 *)ptr, *(const u16 *)buf);
			} else {
				WRITE_ONCE(*(u16 *)ptr, *(const u16 *)buf);
			}
			break;
		case 4:
			if (release) {
				/* Earlier guest writes stay before this one. */
				virt_store_release((u32 *)ptr, *(const u32 *)buf);
			} else {
				WRITE_ONCE(*(u32 *)ptr, *(const u32 *)buf);
			}
			break;
		default:
			if (release) {
				/* Earlier guest writes stay before this one. */
				virt_store_release((u64 *)ptr, *(const u64 *)buf);
			} else {
				WRITE_ONCE(*(u64 *)ptr, *(const u64 *)buf);
			}
			break;
		}
		if (unlikely(READ_ONCE(*ACCESS_PRIVATE(cache, log))))
			__vmmem_cache_mark_dirty(cache, gpa, size);
	}
	rcu_read_unlock();
	return ptr ? 0 : -EFAULT;
}

#define __vmmem_single_size_check(type)					\
	BUILD_BUG_ON_MSG(sizeof(type) != 1 && sizeof(type) != 2 &&	\
			 sizeof(type) != 4 && sizeof(type) != 8,	\
			 "vmmem: a single access is of 1, 2, 4 or 8 bytes")

/*
 * A stored plain int is refused: it is what an unsuffixed literal or an
 * expression such as (u16 + 1) has, so its width is rarely the one meant.
 */
#define __vmmem_single_value_check(type)				\
do {									\
	__vmmem_single_size_check(type);				\
	BUILD_BUG_ON_MSG(__builtin_types_compatible_p(type, int),	\
			 "vmmem: store a sized type (u16, __le32...), "	\
			 "not an int");					\
} while (0)

/*
 * A cache, or a map or snapshot: chosen by type at compile time. Both
 * choices must compile whatever @from is, so each gets @from only when it
 * is of its kind, and a NULL it never uses otherwise.
 */
#define __vmmem_is_cache(from)						\
	__builtin_types_compatible_p(typeof(from), struct vmmem_cache *)
#define __vmmem_as_cache(from)						\
	__builtin_choose_expr(__builtin_types_compatible_p(typeof(from), \
			      struct vmmem_cache *),			\
			      (from), (struct vmmem_cache *)NULL)
#define __vmmem_as_space(from)						\
	__builtin_choose_expr(__builtin_types_compatible_p(typeof(from), \
			      struct vmmem_cache *),			\
			      (struct vmmem *)NULL, (from))

#define __vmmem_load(from, gpa, valp, acquire)				\
({									\
	__auto_type __vmmem_from = (from);				\
	u64 __vmmem_gpa = (gpa);					\
	bool __vmmem_order = (acquire);					\
	typeof(valp) __vmmem_p = (valp);				\
	union {								\
		u8 b1; u16 b2; u32 b4; u64 b8;				\
		typeof(*__vmmem_p) v;					\
	} __vmmem_u;							\
	int __vmmem_ret;						\
									\
	__vmmem_single_size_check(typeof(*__vmmem_p));			\
	__vmmem_ret = __builtin_choose_expr(__vmmem_is_cache(__vmmem_from), \
		__vmmem_cache_load(__vmmem_as_cache(__vmmem_from),	\
				   __vmmem_gpa, &__vmmem_u,		\
				   sizeof(*__vmmem_p), __vmmem_order),	\
		__vmmem_space_load(__vmmem_as_space(__vmmem_from),	\
				   __vmmem_gpa, &__vmmem_u,		\
				   sizeof(*__vmmem_p), __vmmem_order));	\
	if (!__vmmem_ret)						\
		*__vmmem_p = __vmmem_u.v;				\
	__vmmem_ret;							\
})

#define __vmmem_store(from, gpa, val, release)				\
({									\
	__auto_type __vmmem_from = (from);				\
	u64 __vmmem_gpa = (gpa);					\
	bool __vmmem_order = (release);					\
	union {								\
		u8 b1; u16 b2; u32 b4; u64 b8;				\
		typeof(val) v;						\
	} __vmmem_u = { .v = (val) };					\
									\
	__vmmem_single_value_check(typeof(val));			\
	__builtin_choose_expr(__vmmem_is_cache(__vmmem_from),		\
		__vmmem_cache_store(__vmmem_as_cache(__vmmem_from),	\
				    __vmmem_gpa, &__vmmem_u,		\
				    sizeof(__vmmem_u.v), __vmmem_order),	\
		__vmmem_space_store(__vmmem_as_space(__vmmem_from),	\
				    __vmmem_gpa, &__vmmem_u,		\
				    sizeof(__vmmem_u.v), __vmmem_order));	\
})

/**
 * vmmem_load() - load one value from guest memory
 * @from: a map, a snapshot, an IOVA space or a &struct vmmem_cache
 * @gpa: guest-physical address (an IOVA in an IOVA space), naturally
 *	aligned for the value's size
 * @valp: pointer to the value to fill, of 1, 2, 4 or 8 bytes (u16,
 *	__le32, ...); unchanged on failure
 *
 * One untorn load with no ordering (READ_ONCE()), never split. The byte
 * order is the type's: load a __le16 and convert it with le16_to_cpu().
 *
 * Context: Any context; does not sleep (but see vmmem_iova_create() for a
 * space with a miss hook).
 * Return: 0, -EINVAL if @gpa is misaligned, -EFAULT if it is unmapped
 * (outside a cache's window, or not readable), or an IOVA space's miss
 * hook's error.
 */
#define vmmem_load(from, gpa, valp)	__vmmem_load(from, gpa, valp, false)

/**
 * vmmem_load_acquire() - load one value from guest memory, with acquire
 * @from: a map, a snapshot or a &struct vmmem_cache
 * @gpa: guest-physical address, naturally aligned for the value's size
 * @valp: pointer to the value to fill, of 1, 2, 4 or 8 bytes
 *
 * As vmmem_load(), with acquire ordering against the guest: guest memory
 * read after it is not read before it (virt_load_acquire()).
 *
 * Context: Any context; does not sleep.
 * Return: as vmmem_load().
 */
#define vmmem_load_acquire(from, gpa, valp)				\
	__vmmem_load(from, gpa, valp, true)

/**
 * vmmem_store() - store one value into guest memory
 * @from: a map, a snapshot, an IOVA space or a &struct vmmem_cache set up
 *	for writing
 * @gpa: guest-physical address (an IOVA in an IOVA space), naturally
 *	aligned for the value's size
 * @val: the value; its type (u8, u16, __le32, u64, ..., not int) sets the
 *	width
 *
 * One untorn store with no ordering (WRITE_ONCE()), never split, and
 * dirty-logged while logging is on.
 *
 * Context: Any context; does not sleep (but see vmmem_iova_create() for a
 * space with a miss hook).
 * Return: 0, -EINVAL if @gpa is misaligned, -EFAULT if it is unmapped or
 * read-only (or outside a cache's window), or an IOVA space's miss hook's
 * error.
 */
#define vmmem_store(from, gpa, val)	__vmmem_store(from, gpa, val, false)

/**
 * vmmem_store_release() - store one value into guest memory, with release
 * @from: a map, a snapshot or a &struct vmmem_cache set up for writing
 * @gpa: guest-physical address, naturally aligned for the value's size
 * @val: the value; its type (not int) sets the width
 *
 * As vmmem_store(), with release ordering against the guest: guest memory
 * written before it is visible to the guest before it
 * (virt_store_release()).
 *
 * Context: Any context; does not sleep.
 * Return: as vmmem_store().
 */
#define vmmem_store_release(from, gpa, val)				\
	__vmmem_store(from, gpa, val, true)

#endif /* _LINUX_VMMEM_H */
