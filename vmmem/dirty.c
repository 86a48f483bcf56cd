// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking for live migration: one bit per page of each region,
 * set by every write that goes through vmmem while logging is on, and
 * harvested (read and cleared) atomically per bitmap word, so no write
 * between two harvests is ever lost.
 *
 * Ordering (Documentation/vmmem.rst, "Publications and their barriers"):
 *  - data and bit: a writer stores the data, then, after a full barrier,
 *    reads the bit and sets it if clear; a harvester clears the bits with a
 *    fully ordered atomic and only then reads the pages. Either the writer
 *    reads the bit after the harvester cleared it (and sets it again for
 *    the next harvest), or the harvester reads the data after it landed.
 *  - flag and bitmap: starting zeroes the bitmap, then sets region->log
 *    with a release; a writer that sees the flag re-reads it with an
 *    acquire before it touches the bitmap.
 *  - start and writers: start waits for a grace period after setting the
 *    flags, so every write that saw logging off (each is inside one
 *    rcu_read_lock() section with its flag check) has finished before the
 *    VMM's first full copy.
 *
 * Regions that leave the live map keep their bits reachable: their bitmap
 * moves to a &struct vmmem_departed record on the map, which harvests read
 * until the region's last holder has let go and the bits are harvested.
 */
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "vmmem.h"
#include "vmmem_trace.h"

static atomic_long_t *vmmem_dirty_word(unsigned long *bitmap,
				       unsigned long page)
{
	return (atomic_long_t *)&bitmap[BIT_WORD(page)];
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
	atomic_long_t *word;

	/*
	 * Seen on: the bitmap is zeroed and allocated. Pairs with the
	 * release in vmmem_dirty_set_logging().
	 */
	if (!smp_load_acquire(&region->log))
		return;
	/*
	 * The data before the bit test: a full barrier, not only one before
	 * an atomic, since the test below may skip the atomic. Pairs with the
	 * fully ordered fetch_andnot of the harvest (store buffering: the
	 * harvest reads the new data, or this reads the cleared bit).
	 */
	smp_mb();
	/* The range is the guest's: keep a mispredicted walk in the bitmap. */
	first = array_index_nospec(first, region->npages);
	last = array_index_nospec(last, region->npages);
	vmmem_count_add(region->vm, VMMEM_STAT_DIRTY_MARKED, last - first + 1);
	for (page = first; page <= last; page = ALIGN(page + 1, BITS_PER_LONG)) {
		mask = BITMAP_FIRST_WORD_MASK(page);
		if (BIT_WORD(page) == BIT_WORD(last))
			mask &= BITMAP_LAST_WORD_MASK(last + 1);
		word = vmmem_dirty_word(region->dirty, page);
		/* Most writes touch one page: skip the atomic when it is set. */
		if ((atomic_long_read(word) & mask) != mask)
			atomic_long_or(mask, word);
	}
}

/* Zero a bitmap that harvests may be reading, word by word. */
static void vmmem_dirty_zero(unsigned long *bitmap, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < BITS_TO_LONGS(npages); i++)
		atomic_long_set(vmmem_dirty_word(bitmap, i * BITS_PER_LONG), 0);
}

static void vmmem_departed_free_work(struct work_struct *work)
{
	struct vmmem_departed *rec =
		container_of(work, struct vmmem_departed, free_work);

	kvfree(rec->dirty);
	vmmem_unref(rec->vm);
	kfree(rec);
}

/* Unlink a record and free it later; the caller holds departed_lock. */
static void vmmem_departed_drop(struct vmmem_departed *rec)
{
	list_del(&rec->node);
	INIT_WORK(&rec->free_work, vmmem_departed_free_work);
	queue_work(vmmem_wq, &rec->free_work);
}

/*
 * Departed regions follow logging on and off like the map's own. A new
 * logging period drops their bits with everyone else's: records whose
 * region is gone go, the others are zeroed and kept, since their region
 * may still be written.
 */
static void vmmem_departed_set_logging(struct vmmem *vm, bool on)
{
	struct vmmem_departed *rec, *next;

	spin_lock_irq(&vm->departed_lock);
	list_for_each_entry_safe(rec, next, &vm->departed, node) {
		if (on && !rec->region) {
			vmmem_departed_drop(rec);
			continue;
		}
		if (on)
			vmmem_dirty_zero(rec->dirty, rec->npages);
		/* Not freed while set: its release takes this lock first. */
		if (!rec->region)
			continue;
		/* The zeroed bitmap before the flag: pairs with the writers' acquire. */
		smp_store_release(&rec->region->log, on);
	}
	spin_unlock_irq(&vm->departed_lock);
}

/* Turn logging on or off for every region of the current layout. */
static int vmmem_dirty_set_logging(struct vmmem *vm, bool on)
{
	struct vmmem_layout *layout;
	struct vmmem_region *region;
	unsigned int i;
	int ret = 0;

	mutex_lock(&vm->dirty_lock);
	mutex_lock(&vm->lock);
	/* Starting twice must not wipe bits nobody harvested yet. */
	if (on == vm->dirty_logging) {
		mutex_unlock(&vm->lock);
		goto unlock;
	}
	layout = vmmem_current_layout(vm);
	/* Allocate every bitmap first, so a failure changes nothing. */
	for (i = 0; on && i < layout->nr_regions; i++) {
		ret = vmmem_region_dirty_alloc(layout->regions[i]);
		if (ret) {
			mutex_unlock(&vm->lock);
			goto unlock;
		}
	}
	/*
	 * No writer touches a bitmap while its flag is off: the last stop
	 * waited for the writers that saw it on.
	 */
	for (i = 0; i < layout->nr_regions; i++) {
		region = layout->regions[i];
		if (on)
			vmmem_dirty_zero(region->dirty, region->npages);
		/* The zeroed bitmap before the flag: pairs with the writers' acquire. */
		smp_store_release(&region->log, on);
	}
	WRITE_ONCE(vm->dirty_logging, on);
	mutex_unlock(&vm->lock);
	vmmem_departed_set_logging(vm, on);
	/*
	 * Writes that saw the old flag are over when this returns: after a
	 * start, the VMM's first full copy sees them; after a stop, nobody
	 * marks a bitmap the next start zeroes.
	 */
	synchronize_rcu();
unlock:
	mutex_unlock(&vm->dirty_lock);
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
 * copies to guest memory (from kernel buffers and iov_iters), single
 * stores and store-releases (also through a &struct vmmem_cache), and
 * writes that cross regions (each region's own bits). Writes made
 * through a slice or a raw pointer are the caller's to mark with
 * vmmem_mark_dirty().
 *
 * Returns after every write that saw logging off has finished, so a full
 * copy taken after this, with the harvests that follow, misses nothing.
 * Bits of regions removed earlier are dropped too, as if harvested.
 *
 * Context: Process context; sleeps for an RCU grace period.
 * Return: 0, or -ENOMEM (logging stays as it was).
 */
int vmmem_dirty_log_start(struct vmmem *vm)
{
	int ret = vmmem_dirty_set_logging(vm, true);

	trace_vmmem_dirty_log_start(vm->name, ret);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_log_start, VMMEM_NS);

/**
 * vmmem_dirty_log_stop() - stop logging writes
 * @vm: the map
 *
 * The bits already set stay readable with vmmem_dirty_harvest() until the
 * next vmmem_dirty_log_start() clears them. Returns after every write that
 * saw logging on has marked its pages.
 *
 * Context: Process context; sleeps for an RCU grace period.
 * Return: 0.
 */
int vmmem_dirty_log_stop(struct vmmem *vm)
{
	int ret = vmmem_dirty_set_logging(vm, false);

	trace_vmmem_dirty_log_stop(vm->name, ret);
	return ret;
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
 * A harvest leaves RCU after the bits of this much guest memory: 1024
 * bitmap words, each taken with one atomic (a few tens of microseconds).
 */
#define VMMEM_DIRTY_STEP	((u64)SZ_64K << PAGE_SHIFT)

/*
 * Get and clear the bits of the pages of [@gpa, @last] that a bitmap of
 * @npages pages starting at @start covers, one fully ordered atomic per
 * word (the harvester reads the pages after this). Bit i of @out (if not
 * NULL) is the page at @base + i * PAGE_SIZE. Returns the number of bits
 * taken.
 */
static unsigned long vmmem_dirty_take(unsigned long *bitmap, u64 start,
				      unsigned long npages, u64 gpa, u64 last,
				      u64 base, unsigned long *out)
{
	u64 region_last = start + ((u64)npages << PAGE_SHIFT) - 1;
	unsigned long found = 0, page, end, mask, bits, bit, first;

	if (last < start || region_last < gpa)
		return 0;
	page = (max(gpa, start) - start) >> PAGE_SHIFT;
	end = (min(last, region_last) - start) >> PAGE_SHIFT;
	/* Page n of the bitmap is bit n + first - (base's page) of @out. */
	first = start >> PAGE_SHIFT;
	for (; page <= end; page = ALIGN(page + 1, BITS_PER_LONG)) {
		mask = BITMAP_FIRST_WORD_MASK(page);
		if (BIT_WORD(page) == BIT_WORD(end))
			mask &= BITMAP_LAST_WORD_MASK(end + 1);
		bits = atomic_long_fetch_andnot(mask, vmmem_dirty_word(bitmap, page)) & mask;
		found += hweight_long(bits);
		if (!out)
			continue;
		for_each_set_bit(bit, &bits, BITS_PER_LONG)
			__set_bit(BIT_WORD(page) * BITS_PER_LONG + bit + first -
				  (base >> PAGE_SHIFT), out);
	}
	return found;
}

/*
 * Get and clear (or only clear, when @out is NULL) the bits of the pages
 * of [gpa, gpa + len): those of the live map's regions, at most
 * VMMEM_DIRTY_STEP of guest memory per step with a pause in RCU after
 * each full step, then those of regions that left it. Returns the number
 * of dirty pages found (a page of a departed region and of the region now
 * at its address counts twice, but sets one bit of @out).
 */
static unsigned long vmmem_dirty_collect(struct vmmem *vm, u64 gpa, u64 len,
					 unsigned long *out)
{
	u64 last = gpa + (len - 1), cur = gpa, step_last, spent = 0;
	struct vmmem_departed *rec, *next;
	struct vmmem_region *region;
	unsigned long found = 0, flags;

	rcu_read_lock();
	for (;;) {
		region = vmmem_layout_find(vmmem_current_layout(vm), cur, last);
		if (!region)
			break;
		cur = max(cur, region->gpa);
		step_last = min3(last, vmmem_region_last(region),
				 cur + min(VMMEM_DIRTY_STEP - 1, U64_MAX - cur));
		if (region->dirty)
			found += vmmem_dirty_take(region->dirty, region->gpa,
						  region->npages, cur, step_last,
						  gpa, out);
		if (step_last >= last)
			break;
		spent += step_last - cur + 1;
		cur = step_last + 1;
		if (spent >= VMMEM_DIRTY_STEP) {
			spent = 0;
			vmmem_rcu_pause();
		}
	}
	rcu_read_unlock();

	spin_lock_irqsave(&vm->departed_lock, flags);
	list_for_each_entry_safe(rec, next, &vm->departed, node) {
		found += vmmem_dirty_take(rec->dirty, rec->gpa, rec->npages,
					  gpa, last, gpa, out);
		/* Nobody can set a bit again: drop it once it is clean. */
		if (!rec->region && bitmap_empty(rec->dirty, rec->npages))
			vmmem_departed_drop(rec);
	}
	spin_unlock_irqrestore(&vm->departed_lock, flags);
	return found;
}

/**
 * vmmem_dirty_harvest() - get and clear the dirty bits of a guest range
 * @vm: the map
 * @gpa: first guest-physical address, page-aligned
 * @len: length in bytes, page-aligned and non-zero
 * @bitmap: the caller's bitmap of @len / PAGE_SIZE bits, cleared by the
 *	caller; bit i is set if the page at @gpa + i * PAGE_SIZE was written.
 *	NULL clears the bits unread (KVM_CLEAR_DIRTY_LOG with manual
 *	protection: a VMM that copied a sub-range by other means drops them)
 *
 * Like KVM_GET_DIRTY_LOG: each bitmap word is read and cleared with one
 * atomic, so a write that races with the harvest is either in this harvest
 * (its data complete) or in the next one. Pages in holes, and regions that
 * were never logged, read as clean. A region removed from the map while
 * its pages were logged keeps being reported at its old addresses (writes
 * through held slices and translations that outlive the removal included)
 * until its last holder has let go and its bits are harvested, or until
 * the next vmmem_dirty_log_start(). Read the pages only after this
 * returns.
 *
 * Context: Any context; does not sleep. A harvest of more than 64 Ki
 * pages leaves RCU between chunks, and reschedules there only if called
 * preemptible and outside RCU.
 * Return: the number of dirty pages found (bits cleared), or -EINVAL for
 * an empty or misaligned range, -EOVERFLOW for a range past 2^64.
 */
long vmmem_dirty_harvest(struct vmmem *vm, u64 gpa, u64 len,
			 unsigned long *bitmap)
{
	long found = vmmem_dirty_range_ok(gpa, len);

	if (!found)
		found = vmmem_dirty_collect(vm, gpa, len, bitmap);
	if (found > 0)
		vmmem_count_add(vm, VMMEM_STAT_DIRTY_HARVESTED, found);
	trace_vmmem_dirty_harvest(vm->name, gpa, len, found);
	return found;
}
EXPORT_SYMBOL_NS_GPL(vmmem_dirty_harvest, VMMEM_NS);

/**
 * vmmem_mark_dirty() - mark guest pages written behind vmmem's back
 * @space: the map or snapshot, or an IOVA space (@gpa is then an IOVA,
 *	and the guest-physical pages behind it are marked)
 * @gpa: first written guest-physical address
 * @len: number of bytes written
 *
 * For writes made through a slice (vmmem_find_slice(), held slices, slice
 * walks) or a vmmem_cache_wptr() pointer: call this after the data is
 * written. Bytes in holes are skipped; nothing happens while logging is
 * off or for @len 0.
 *
 * Context: Any context; does not sleep.
 */
void vmmem_mark_dirty(union vmmem_space space, u64 gpa, u64 len)
{
	struct vmmem *vm = vmmem_space_map(space);
	struct vmmem_slice_iter iter;
	struct vmmem_region *region;
	struct vmmem_slice slice;
	u64 next;

	/* Through an IOVA space, what was written went through writable entries. */
	__vmmem_slice_iter_init(&iter, vm, gpa, len,
				vm->iova ? VMMEM_WRITE : VMMEM_READ);
	rcu_read_lock();
	while (iter.remaining) {
		if (__vmmem_slice_iter_next_region(&iter, &slice, &region) <= 0) {
			/* Skip a hole: on to the next region, if any. */
			u64 last = iter.remaining - 1 > U64_MAX - iter.gpa ? U64_MAX :
				   iter.gpa + (iter.remaining - 1);

			if (iter.past_end)
				break;
			if (vm->iova) {
				next = vmmem_iova_skip(vm, iter.gpa, last);
				/* Nothing left, or the end of the space. */
				if (next <= iter.gpa || next - 1 >= last)
					break;
			} else {
				region = vmmem_layout_find(vmmem_current_layout(vm),
							   iter.gpa, last);
				if (!region || region->gpa < iter.gpa)
					break;
				next = region->gpa;
			}
			iter.remaining -= next - iter.gpa;
			iter.gpa = next;
			continue;
		}
		if (unlikely(READ_ONCE(region->log)))
			__vmmem_mark_dirty(region, slice.gpa, slice.len);
	}
	rcu_read_unlock();
}
EXPORT_SYMBOL_NS_GPL(vmmem_mark_dirty, VMMEM_NS);

/**
 * vmmem_departed_prepare() - records for the logged regions an update removes
 * @old: the current layout
 * @new: the layout about to replace it
 * @records: an empty list, filled with one record per region of @old that
 *	has a dirty bitmap and is not in @new
 *
 * Context: Process context, the map's lock held; may sleep.
 * Return: 0, or -ENOMEM with @records left empty.
 */
int vmmem_departed_prepare(struct vmmem_layout *old, struct vmmem_layout *new,
			   struct list_head *records)
{
	struct vmmem_departed *rec, *next;
	struct vmmem_region *region;
	unsigned int i;

	for (i = 0; i < old->nr_regions; i++) {
		region = old->regions[i];
		if (!region->dirty || mtree_load(&new->tree, region->gpa) == region)
			continue;
		rec = kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
		if (!rec)
			goto fail;
		rec->region = region;
		rec->gpa = region->gpa;
		rec->npages = region->npages;
		rec->dirty = region->dirty;
		list_add_tail(&rec->node, records);
	}
	return 0;

fail:
	list_for_each_entry_safe(rec, next, records, node) {
		list_del(&rec->node);
		kfree(rec);
	}
	return -ENOMEM;
}

/**
 * vmmem_departed_attach() - hand removed regions' bitmaps to their records
 * @vm: the live map; its new layout is published
 * @records: from vmmem_departed_prepare(); emptied
 *
 * The old layout, which the caller has not retired yet, still holds the
 * regions, so none of them can be released meanwhile.
 *
 * Context: Process context, @vm->lock held.
 */
void vmmem_departed_attach(struct vmmem *vm, struct list_head *records)
{
	struct vmmem_departed *rec, *next;

	list_for_each_entry_safe(rec, next, records, node) {
		rec->vm = vm;
		refcount_inc(&vm->refs);
		rec->region->departed = rec;
		spin_lock_irq(&vm->departed_lock);
		list_move_tail(&rec->node, &vm->departed);
		spin_unlock_irq(&vm->departed_lock);
	}
}

/**
 * vmmem_departed_region_gone() - a departed region's last holder let go
 * @region: being freed; its bitmap belongs to @region->departed
 *
 * Context: Process context.
 */
void vmmem_departed_region_gone(struct vmmem_region *region)
{
	struct vmmem_departed *rec = region->departed;
	struct vmmem *vm = rec->vm;

	spin_lock_irq(&vm->departed_lock);
	rec->region = NULL;
	/* Nothing left to report, or nobody left to report it to. */
	if (bitmap_empty(rec->dirty, rec->npages) || !refcount_read(&vm->users))
		vmmem_departed_drop(rec);
	spin_unlock_irq(&vm->departed_lock);
}

/**
 * vmmem_departed_destroy() - the map's last user is gone
 * @vm: the map, already emptied
 *
 * Records of regions still held go when their region does.
 *
 * Context: Process context.
 */
void vmmem_departed_destroy(struct vmmem *vm)
{
	struct vmmem_departed *rec, *next;

	spin_lock_irq(&vm->departed_lock);
	list_for_each_entry_safe(rec, next, &vm->departed, node)
		if (!rec->region)
			vmmem_departed_drop(rec);
	spin_unlock_irq(&vm->departed_lock);
}
