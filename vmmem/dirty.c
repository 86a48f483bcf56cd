// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking for live migration: one bit per page of each region,
 * set by every write that goes through vmmem while logging is on, and
 * harvested (read and cleared) atomically per bitmap word, so no write
 * between two harvests is ever lost.
 *
 * Ordering: a writer stores the data, then sets the bit after a full
 * barrier; a harvester clears the bits with a fully ordered atomic and only
 * then reads the pages. A harvester that sees a bit therefore sees the
 * data written before it, and a write that lands after the harvest sets
 * the bit again for the next one.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "vmmem.h"

static unsigned long *vmmem_dirty_word(const struct vmmem_region *region,
				       unsigned long page)
{
	return &region->dirty[BIT_WORD(page)];
}

/* Get and clear the bits of @mask in the word of @page, in one atomic. */
static unsigned long vmmem_dirty_take(struct vmmem_region *region,
				      unsigned long page, unsigned long mask)
{
	atomic_long_t *word = (atomic_long_t *)vmmem_dirty_word(region, page);

	/* Fully ordered: the harvester reads the pages after this. */
	return atomic_long_fetch_andnot(mask, word) & mask;
}

/**
 * __vmmem_mark_dirty() - mark the pages of [gpa, gpa + len) in a region
 * @region: the region; logging is on (@region->dirty allocated)
 * @gpa: first written byte, inside @region
 * @len: bytes written, non-zero, inside @region
 *
 * Context: Any context; the data must already be written.
 */
void __vmmem_mark_dirty(struct vmmem_region *region, u64 gpa, u64 len)
{
	unsigned long first = (gpa - region->gpa) >> PAGE_SHIFT;
	unsigned long last = (gpa + len - 1 - region->gpa) >> PAGE_SHIFT;
	unsigned long page, mask;

	/* The data before the bit, for a harvester that sees the bit. */
	smp_mb__before_atomic();
	for (page = first; page <= last; page = ALIGN(page + 1, BITS_PER_LONG)) {
		mask = BITMAP_FIRST_WORD_MASK(page);
		if (BIT_WORD(page) == BIT_WORD(last))
			mask &= BITMAP_LAST_WORD_MASK(last + 1);
		/* Most writes touch one page: skip the atomic when it is set. */
		if ((READ_ONCE(*vmmem_dirty_word(region, page)) & mask) != mask)
			atomic_long_or(mask, (atomic_long_t *)vmmem_dirty_word(region, page));
	}
}

/* Turn logging on or off for every region of the current layout. */
static int vmmem_dirty_set_logging(struct vmmem *vm, bool on)
{
	struct vmmem_layout *layout;
	struct vmmem_region *region;
	unsigned int i;
	int ret = 0;

	if (vm->frozen)
		return -EPERM;
	mutex_lock(&vm->lock);
	/* Starting twice must not wipe bits nobody harvested yet. */
	if (on == vm->dirty_logging)
		goto unlock;
	layout = vmmem_current_layout(vm);
	/* Allocate every bitmap first, so a failure changes nothing. */
	for (i = 0; on && i < layout->nr_regions; i++) {
		ret = vmmem_region_dirty_alloc(layout->regions[i]);
		if (ret)
			goto unlock;
	}
	for (i = 0; i < layout->nr_regions; i++) {
		region = layout->regions[i];
		if (on)
			bitmap_zero(region->dirty, region->npages);
		WRITE_ONCE(region->log, on);
	}
	WRITE_ONCE(vm->dirty_logging, on);
unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * vmmem_region_dirty_alloc() - give a region its dirty bitmap
 * @region: the region; the caller holds its map's lock or owns it alone
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int vmmem_region_dirty_alloc(struct vmmem_region *region)
{
	if (region->dirty)
		return 0;
	region->dirty = kvcalloc(BITS_TO_LONGS(region->npages), sizeof(long),
				 GFP_KERNEL_ACCOUNT);
	return region->dirty ? 0 : -ENOMEM;
}

/**
 * vmmem_dirty_log_start() - start logging writes for live migration
 * @vm: the map
 *
 * Every region gets a cleared bitmap with one bit per page; regions added
 * later while logging is on are logged from their first write. Starting
 * while logging is already on changes nothing (no bit is cleared). From here
 * on every write that goes through vmmem marks the pages it touched:
 * copies to guest memory, vmmem_write() and the object and endian writes,
 * single stores and store-releases (also through a &struct vmmem_cache),
 * and writes that cross regions (each region's own bits). Writes made
 * through a slice or a raw pointer are the caller's to mark with
 * vmmem_mark_dirty().
 *
 * Context: Process context; may sleep.
 * Return: 0, -ENOMEM (logging stays as it was), -EPERM for a snapshot.
 */
int vmmem_dirty_log_start(struct vmmem *vm)
{
	return vmmem_dirty_set_logging(vm, true);
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_log_start, VMMEM_NS);

/**
 * vmmem_dirty_log_stop() - stop logging writes
 * @vm: the map
 *
 * The bits already set stay readable with vmmem_dirty_harvest() until the
 * next vmmem_dirty_log_start() clears them.
 *
 * Context: Process context; may sleep.
 * Return: 0, -EPERM for a snapshot.
 */
int vmmem_dirty_log_stop(struct vmmem *vm)
{
	return vmmem_dirty_set_logging(vm, false);
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_log_stop, VMMEM_NS);

/* Check a harvest or clear range; 0 or -errno. */
static int vmmem_dirty_range_ok(u64 gpa, u64 len)
{
	u64 last;

	if (!len || !PAGE_ALIGNED(gpa) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (check_add_overflow(gpa, len - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/*
 * Get and clear (or only clear, when @out is NULL) the bits of the pages
 * of [gpa, gpa + len), one atomic per bitmap word. Bit i of @out is the
 * page at gpa + i * PAGE_SIZE. Returns the number of dirty pages found.
 */
static unsigned long vmmem_dirty_collect(struct vmmem *vm, u64 gpa, u64 len,
					 unsigned long *out)
{
	u64 last = gpa + (len - 1), cur = gpa;
	struct vmmem_region *region;
	unsigned long found = 0, page, end, mask, bits, bit;
	long first;

	rcu_read_lock();
	while (cur <= last) {
		region = vmmem_layout_find(vmmem_current_layout(vm), cur, last);
		if (!region)
			break;
		cur = max(cur, region->gpa);
		/* Where page 0 of the region falls in @out; may be negative. */
		first = (long)((gpa - region->gpa) >> PAGE_SHIFT);
		if (gpa < region->gpa)
			first = -(long)((region->gpa - gpa) >> PAGE_SHIFT);
		if (region->dirty) {
			page = (cur - region->gpa) >> PAGE_SHIFT;
			end = (min(last, vmmem_region_last(region)) - region->gpa) >>
			      PAGE_SHIFT;
			for (; page <= end; page = ALIGN(page + 1, BITS_PER_LONG)) {
				mask = BITMAP_FIRST_WORD_MASK(page);
				if (BIT_WORD(page) == BIT_WORD(end))
					mask &= BITMAP_LAST_WORD_MASK(end + 1);
				bits = vmmem_dirty_take(region, page, mask);
				found += hweight_long(bits);
				if (!out)
					continue;
				/* Page n of the region is bit n - first of @out. */
				for_each_set_bit(bit, &bits, BITS_PER_LONG)
					__set_bit(BIT_WORD(page) * BITS_PER_LONG + bit -
						  first, out);
			}
		}
		if (vmmem_region_last(region) >= last)
			break;
		cur = vmmem_region_last(region) + 1;
	}
	rcu_read_unlock();
	return found;
}

/**
 * vmmem_dirty_harvest() - get and clear the dirty bits of a guest range
 * @vm: the map
 * @gpa: first guest-physical address, page-aligned
 * @len: length in bytes, page-aligned and non-zero
 * @bitmap: the caller's bitmap of @len / PAGE_SIZE bits, cleared by the
 *	caller; bit i is set if the page at @gpa + i * PAGE_SIZE was written
 *
 * Like KVM_GET_DIRTY_LOG: each bitmap word is read and cleared with one
 * atomic, so a write that races with the harvest is either in this harvest
 * (its data complete) or in the next one. Pages in holes, and regions that
 * were never logged, read as clean. Read the pages only after this
 * returns.
 *
 * Context: Any context; does not sleep.
 * Return: the number of dirty pages found, or -EINVAL for an empty or
 * misaligned range, -EOVERFLOW for a range past 2^64.
 */
long vmmem_dirty_harvest(struct vmmem *vm, u64 gpa, u64 len,
			 unsigned long *bitmap)
{
	int ret = vmmem_dirty_range_ok(gpa, len);

	if (ret)
		return ret;
	return vmmem_dirty_collect(vm, gpa, len, bitmap);
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_harvest, VMMEM_NS);

/**
 * vmmem_dirty_clear() - clear the dirty bits of a guest range unread
 * @vm: the map
 * @gpa: first guest-physical address, page-aligned
 * @len: length in bytes, page-aligned and non-zero
 *
 * The shape of KVM_CLEAR_DIRTY_LOG with manual protection: a VMM that
 * copied a sub-range by other means drops its bits without reading them.
 *
 * Context: Any context; does not sleep.
 * Return: the number of bits that were set, or -EINVAL / -EOVERFLOW as for
 * vmmem_dirty_harvest().
 */
long vmmem_dirty_clear(struct vmmem *vm, u64 gpa, u64 len)
{
	int ret = vmmem_dirty_range_ok(gpa, len);

	if (ret)
		return ret;
	return vmmem_dirty_collect(vm, gpa, len, NULL);
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_clear, VMMEM_NS);

/**
 * vmmem_mark_dirty() - mark guest pages written behind vmmem's back
 * @vm: the map or snapshot
 * @gpa: first written guest-physical address
 * @len: number of bytes written
 *
 * For writes made through a slice (vmmem_get_slice(), held slices, slice
 * walks) or a vmmem_cache_ptr() pointer: call this after the data is
 * written. Bytes in holes are skipped; nothing happens while logging is
 * off or for @len 0.
 *
 * Context: Any context; does not sleep.
 */
void vmmem_mark_dirty(struct vmmem *vm, u64 gpa, u64 len)
{
	struct vmmem_slice_iter iter;
	struct vmmem_region *region;
	struct vmmem_slice slice;

	__vmmem_slice_iter_init(&iter, vm, gpa, len, VMMEM_READ);
	rcu_read_lock();
	while (iter.remaining) {
		if (__vmmem_slice_iter_next_region(&iter, &slice, &region) <= 0) {
			/* Skip a hole: on to the next region, if any. */
			u64 last = iter.remaining - 1 > U64_MAX - iter.gpa ? U64_MAX :
				   iter.gpa + (iter.remaining - 1);

			if (iter.past_end)
				break;
			region = vmmem_layout_find(vmmem_current_layout(vm),
						   iter.gpa, last);
			if (!region || region->gpa < iter.gpa)
				break;
			iter.remaining -= region->gpa - iter.gpa;
			iter.gpa = region->gpa;
			continue;
		}
		if (unlikely(READ_ONCE(region->log)))
			__vmmem_mark_dirty(region, slice.gpa, slice.len);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_NS_GPL(vmmem_mark_dirty, VMMEM_NS);
