// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zero-copy translation of a guest range into bio_vecs (and scatterlists),
 * holding the regions behind it, so block and network backends can build a
 * bio or an ITER_BVEC and sleep while the I/O runs.
 */
#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/vmalloc.h>

#include "vmmem.h"

/* The page behind byte @off of a region; @off clamped under speculation. */
static struct page *vmmem_region_page(const struct vmmem_region *region,
				      u64 off)
{
	off = array_index_nospec(off, region->size);
	if (region->pages)
		return region->pages[off >> PAGE_SHIFT];
	if (region->ops->backing == VMMEM_BACKING_HOST_RAM)
		return pfn_to_page(PHYS_PFN(region->gpa + off));
	return vmalloc_to_page(region->hva + (off & PAGE_MASK));
}

/* Where the last bio_vec ends, to merge physically contiguous pages. */
struct vmmem_bvec_tail {
	unsigned long next_pfn;	/* the pfn right after it, if it ends a page */
	unsigned int len;
	bool open;		/* it ends at a page end and may grow */
};

/*
 * Append [page + offset, + len) to the bio_vecs, merging it into the last
 * one when it continues it physically. Counts beyond @max without storing,
 * up to UINT_MAX, where the count stays: a range of 2^32 pages or more
 * must not wrap it back to an index that looks valid.
 */
static void vmmem_bvec_add(struct vmmem_bvecs *bv, struct vmmem_bvec_tail *tail,
			   struct page *page, unsigned int offset,
			   unsigned int len)
{
	if (tail->open && offset == 0 && page_to_pfn(page) == tail->next_pfn &&
	    tail->len <= UINT_MAX - len) {
		tail->len += len;
		if (bv->nr <= bv->max && bv->nr != UINT_MAX)
			bv->bv[bv->nr - 1].bv_len += len;
	} else {
		if (bv->nr < bv->max)
			bvec_set_page(&bv->bv[bv->nr], page, len, offset);
		if (bv->nr != UINT_MAX)
			bv->nr++;
		tail->len = len;
	}
	tail->open = (offset + len) % PAGE_SIZE == 0;
	tail->next_pfn = page_to_pfn(page) + (offset + len) / PAGE_SIZE;
}

/*
 * The longest piece a translation takes at @gpa before it may pause: up
 * to VMMEM_RCU_CHUNK, ending on a page boundary, so that a pause never
 * splits a page into two bio_vecs.
 */
static u64 vmmem_piece_max(u64 gpa)
{
	return VMMEM_RCU_CHUNK - (gpa & ~PAGE_MASK);
}

/* Bytes of the page at @gpa that the next @rest bytes from @gpa cover. */
static u64 vmmem_page_bytes(u64 gpa, u64 rest)
{
	return min_t(u64, rest, PAGE_SIZE - (gpa & ~PAGE_MASK));
}

/* Pages that @rest bytes (at most a piece, 1 MiB) from @gpa touch. */
static unsigned long vmmem_pages_spanned(u64 gpa, u64 rest)
{
	return ((gpa & ~PAGE_MASK) + rest - 1) / PAGE_SIZE + 1;
}

/*
 * Translate @piece of @region, which is mapped on access: map its pages
 * onto the provider's pages, VMMEM_MAP_BATCH at a time, and append them.
 * The provider may sleep, so it is called outside RCU: the region stays,
 * as the caller holds it in @held (NULL if the held array is full, when
 * the piece is only counted). @held->len grows by what is mapped and
 * stored. Pages that do not fit in @bv are unmapped at once and the rest
 * of the piece is counted, a bio_vec per page, without mapping it: only
 * -ENOBUFS's count is wanted then (which this may overstate). Returns 0,
 * or the provider's error with what was mapped before in @bv and @held.
 */
static int vmmem_translate_mapped(struct vmmem_region *region,
				  const struct vmmem_slice *piece,
				  unsigned int access, struct vmmem_bvecs *bv,
				  struct vmmem_bvec_tail *tail,
				  struct vmmem_slice *held)
{
	u64 gpa = piece->gpa, rest = piece->len, len;
	struct page *pages[VMMEM_MAP_BATCH];
	unsigned long index;
	unsigned int n, i;
	int ret;

	while (rest) {
		if (!held || bv->nr > bv->max) {
			bv->nr = min_t(u64, (u64)bv->nr +
				       vmmem_pages_spanned(gpa, rest), UINT_MAX);
			tail->open = false;
			return 0;
		}
		index = (gpa - region->gpa) >> PAGE_SHIFT;
		n = min_t(unsigned long, VMMEM_MAP_BATCH,
			  vmmem_pages_spanned(gpa, rest));
		rcu_read_unlock();
		ret = vmmem_map_pages(region, index, n, access, pages);
		rcu_read_lock();
		if (ret)
			return ret;
		for (i = 0; i < n; i++) {
			len = vmmem_page_bytes(gpa, rest);
			vmmem_bvec_add(bv, tail, pages[i], gpa & ~PAGE_MASK, len);
			gpa += len;
			rest -= len;
			if (bv->nr > bv->max)
				break;
			held->len += len;
		}
		/* Page i was counted, not stored: it and the rest go back. */
		if (i < n)
			vmmem_unmap_pages(region, index + i, n - i, pages + i);
	}
	return 0;
}

/* A position in a translation's bio_vecs: bio_vec @i, @done bytes into it. */
struct vmmem_bvec_pos {
	unsigned int i;
	unsigned int done;
};

/* Move @pos @bytes on, up to the end of the @nr bio_vecs that were stored. */
static void vmmem_bvec_skip(const struct vmmem_bvecs *bv, unsigned int nr,
			    struct vmmem_bvec_pos *pos, u64 bytes)
{
	unsigned int step;

	while (bytes && pos->i < nr) {
		step = min_t(u64, bytes, bv->bv[pos->i].bv_len - pos->done);
		pos->done += step;
		bytes -= step;
		if (pos->done == bv->bv[pos->i].bv_len) {
			pos->i++;
			pos->done = 0;
		}
	}
}

/*
 * Unmap the pages that @held's provider mapped for it. They are in the
 * bio_vecs in the order of the slices' bytes, from @pos (a piece of a page
 * never straddles two bio_vecs), and go back in batches.
 */
static void vmmem_bvec_unmap_held(const struct vmmem_bvecs *bv,
				  unsigned int nr, struct vmmem_bvec_pos *pos,
				  const struct vmmem_slice *held)
{
	const struct vmmem_region *region = held->region;
	u64 gpa = held->gpa, rest = held->len, len;
	struct page *pages[VMMEM_MAP_BATCH];
	const struct bio_vec *b;
	unsigned long first = 0;
	unsigned int n = 0;

	for (; rest; gpa += len, rest -= len) {
		len = vmmem_page_bytes(gpa, rest);
		/* Only stored pages were mapped: a held length says so. */
		if (WARN_ON_ONCE(pos->i >= nr))
			break;
		b = &bv->bv[pos->i];
		if (!n)
			first = (gpa - region->gpa) >> PAGE_SHIFT;
		pages[n++] = nth_page(b->bv_page,
				      (b->bv_offset + pos->done) >> PAGE_SHIFT);
		vmmem_bvec_skip(bv, nr, pos, len);
		if (n == VMMEM_MAP_BATCH) {
			vmmem_unmap_pages(region, first, n, pages);
			n = 0;
		}
	}
	if (n)
		vmmem_unmap_pages(region, first, n, pages);
}

/*
 * Let go of the first @nr_held held slices of a translation whose first
 * @nr bio_vecs were stored: unmap what providers mapped onto pages (a walk
 * of the bio_vecs, only as far as the last such slice), then drop the
 * holds.
 */
static void vmmem_translation_put(struct vmmem_bvecs *bv, unsigned int nr_held,
				  unsigned int nr)
{
	struct vmmem_bvec_pos pos = {};
	unsigned int i, walk = 0;
	struct vmmem_slice *held;

	for (i = 0; i < nr_held; i++)
		if (bv->held[i].region->flags & VMMEM_REGION_ON_ACCESS)
			walk = i + 1;
	for (i = 0; i < nr_held; i++) {
		held = &bv->held[i];
		if (i < walk) {
			if (held->region->flags & VMMEM_REGION_ON_ACCESS)
				vmmem_bvec_unmap_held(bv, nr, &pos, held);
			else
				vmmem_bvec_skip(bv, nr, &pos, held->len);
		}
		vmmem_region_put(held->region);
		held->region = NULL;
		held->ptr = NULL;
		held->wptr = NULL;
	}
}

/**
 * vmmem_translate() - guest range to bio_vecs, holding its regions
 * @space: the map or snapshot
 * @gpa: first guest-physical address of the range
 * @len: length in bytes
 * @access: %VMMEM_READ (the device reads guest memory, e.g. a write bio)
 *	and/or %VMMEM_WRITE (the device fills it, e.g. a read bio)
 * @bv: the caller's arrays: @bv->bv and @bv->held, @bv->max entries each;
 *	filled on success
 *
 * Physically contiguous pages are merged into one bio_vec, across regions
 * too, so a translation may hold more regions than it has bio_vecs. The
 * regions stay held, memory and pages valid, until vmmem_untranslate(),
 * even if they are removed meanwhile. A translation with %VMMEM_WRITE is
 * dirty-logged when it is released.
 *
 * A region mapped on access (%VMMEM_ADD_MAPPED) is translated only if its
 * provider maps onto pages (&vmmem_mapper_ops.map_pages, as the Xen grant
 * regions do): its pages are mapped, %VMMEM_MAP_BATCH per call, and stay
 * mapped until vmmem_untranslate().
 *
 * Context: Any context; does not sleep, except where the range crosses a
 * region whose provider maps onto pages: then process context, and it may
 * sleep there. A translation of more than 1 MiB leaves RCU between chunks
 * (the regions it holds stay held), and reschedules there only if called
 * preemptible and outside RCU. An IOVA space's miss hook is called outside
 * RCU too (see vmmem_iova_create()).
 * Return: 0 with @bv->nr bio_vecs and @bv->nr_held held slices, both at
 * most @bv->max; -ENOBUFS if either array would need more than @bv->max
 * entries: @bv->nr then says the @bv->max that suffices for both (UINT_MAX
 * if no unsigned int does), and nothing is held; -EFAULT at a hole, a
 * region (or IOVA entry) that does not permit @access, a region mapped on
 * access whose provider does not map onto pages, or past 2^64 - 1,
 * nothing held; -EINVAL for invalid @access; an IOVA space's miss hook's
 * error, or the error of a provider that maps onto pages (-EBUSY when it
 * has none free, say), nothing held or mapped.
 */
int vmmem_translate(union vmmem_space space, u64 gpa, u64 len,
		    unsigned int access, struct vmmem_bvecs *bv)
{
	struct vmmem_region *region, *last = NULL;
	unsigned long budget = VMMEM_RCU_CHUNK;
	struct vmmem_bvec_tail tail = {};
	struct vmmem_slice_iter iter;
	struct vmmem_miss miss = {};
	struct vmmem_slice piece, *held;
	unsigned int misses = 0;
	u64 off, end, chunk, left = 0;
	int ret;

	bv->nr = 0;
	bv->nr_held = 0;
	bv->write = access & VMMEM_WRITE;
	vmmem_count(vmmem_space_map(space), VMMEM_STAT_TRANSLATE);
	/* Checked here too: the walk's own check would let the bit through. */
	if (!vmmem_access_valid(access)) {
		bv->write = false;
		return -EINVAL;
	}
	__vmmem_slice_iter_init(&iter, vmmem_space_map(space), gpa, len,
				access | VMMEM_ACCESS_MAPPING);
	rcu_read_lock();
	while ((ret = vmmem_walk_next(&iter, &piece, &region,
				      vmmem_piece_max(iter.gpa), &miss)) > 0) {
		bool mapped = region->flags & VMMEM_REGION_ON_ACCESS;

		if (unlikely(mapped && !region->mapper->map_pages)) {
			ret = -EFAULT;
			left = piece.len;
			break;
		}
		/* A miss hook ran without RCU, as a pause does (below). */
		if (miss.count != misses && bv->nr_held > bv->max)
			last = NULL;
		misses = miss.count;
		/*
		 * The next chunk of the region held last extends its slice.
		 * @last may be stale after a pause unless we hold it; then a
		 * new slice is counted, which only overstates -ENOBUFS's need.
		 * A mapped region's slice grows by what is mapped.
		 */
		if (region == last) {
			held = bv->nr_held <= bv->max ?
			       &bv->held[bv->nr_held - 1] : NULL;
			if (held && !mapped)
				held->len += piece.len;
		} else {
			held = NULL;
			/* Counted beyond @max, as the bio_vecs are, for -ENOBUFS. */
			if (bv->nr_held < bv->max) {
				vmmem_region_get(region);
				held = &bv->held[bv->nr_held];
				*held = piece;
				held->region = region;
				if (mapped)
					held->len = 0;
			}
			bv->nr_held++;
		}
		last = region;
		if (unlikely(mapped)) {
			ret = vmmem_translate_mapped(region, &piece, access, bv,
						     &tail, held);
			if (ret)
				goto unlock;
		} else {
			off = piece.gpa - region->gpa;
			for (end = off + piece.len; off < end; off += chunk) {
				chunk = vmmem_page_bytes(off, end - off);
				vmmem_bvec_add(bv, &tail,
					       vmmem_region_page(region, off),
					       off & ~PAGE_MASK, chunk);
			}
		}
		if (iter.remaining && vmmem_rcu_spend(&budget, piece.len)) {
			vmmem_rcu_pause();
			if (bv->nr_held > bv->max)
				last = NULL;
		}
	}
	if (unlikely(ret == -EFAULT))
		vmmem_walk_fault(vmmem_space_map(space), gpa, len,
				 len - iter.remaining - left, access, _RET_IP_);
unlock:
	rcu_read_unlock();

	if (!ret && (bv->nr > bv->max || bv->nr_held > bv->max ||
		     bv->nr == UINT_MAX))
		ret = -ENOBUFS;
	if (ret) {
		vmmem_translation_put(bv, min(bv->nr_held, bv->max),
				      min(bv->nr, bv->max));
		bv->nr = ret == -ENOBUFS ? max(bv->nr, bv->nr_held) : 0;
		bv->nr_held = 0;
		bv->write = false;
		return ret;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vmmem_translate, VMMEM_NS);

/**
 * vmmem_untranslate() - release a translation
 * @bv: from vmmem_translate(); emptied
 *
 * For a translation with %VMMEM_WRITE, every page it covered is marked
 * dirty first (if logging is on), since the device may have written any of
 * it. Call it after the I/O has completed, holding no reference of your
 * own to the pages of a region mapped on access: they are unmapped here.
 *
 * Context: Any context; does not sleep.
 */
void vmmem_untranslate(struct vmmem_bvecs *bv)
{
	unsigned int i;

	/* Inside one RCU section with the flag checks, as every writer is. */
	rcu_read_lock();
	for (i = 0; bv->write && i < bv->nr_held; i++)
		vmmem_dirty_note(bv->held[i].region, bv->held[i].gpa,
				 bv->held[i].len);
	rcu_read_unlock();
	vmmem_translation_put(bv, bv->nr_held, bv->nr);
	bv->nr = 0;
	bv->nr_held = 0;
	bv->write = false;
}
EXPORT_SYMBOL_NS_GPL(vmmem_untranslate, VMMEM_NS);

/**
 * vmmem_bvecs_to_sgtable() - a scatterlist for DMA-mapping a translation
 * @bv: a successful translation, still held
 * @sgt: the table to allocate and fill, one entry per bio_vec
 * @gfp: allocation flags
 *
 * The table refers to the translation's pages: free it with
 * sg_free_table() before vmmem_untranslate().
 *
 * Context: As @gfp allows.
 * Return: 0, -ENOMEM, or -EINVAL for an empty translation or one that
 * failed (after -ENOBUFS, @bv->nr counts bio_vecs that were never filled).
 */
int vmmem_bvecs_to_sgtable(const struct vmmem_bvecs *bv, struct sg_table *sgt,
			   gfp_t gfp)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	/* A held translation has both: a failed one holds nothing. */
	if (!bv->nr || bv->nr > bv->max || !bv->nr_held)
		return -EINVAL;
	ret = sg_alloc_table(sgt, bv->nr, gfp);
	if (ret)
		return ret;
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, bv->bv[i].bv_page, bv->bv[i].bv_len,
			    bv->bv[i].bv_offset);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(vmmem_bvecs_to_sgtable, VMMEM_NS);

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>

/*
 * For tests: append whole pages to @bv as a translation would, from the
 * count @bv->nr already has, so that a count near UINT_MAX can be tried
 * without a range of 2^32 pages.
 */
void vmmem_kunit_bvec_add_pages(struct vmmem_bvecs *bv, struct page **pages,
				unsigned int nr_pages)
{
	struct vmmem_bvec_tail tail = {};
	unsigned int i;

	for (i = 0; i < nr_pages; i++)
		vmmem_bvec_add(bv, &tail, pages[i], 0, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_kunit_bvec_add_pages);
#endif
