// SPDX-License-Identifier: GPL-2.0-only
/*
 * Xen grant references as guest memory: a region mapped on access whose
 * pages are the grants of one frontend domain, at the addresses Xen's
 * virtio transport gives them (grant-DMA: bit 63 set, the reference in
 * the page number). Each access maps the page it needs with a
 * GNTTABOP_map_grant_ref hypercall into a slot of kernel address space,
 * read-only unless it writes, and unmaps it right after (or, for
 * persistent grants, keeps up to VMMEM_XEN_KEPT pages mapped, in slots of
 * their own, until the region goes); short pieces of copies are copied by
 * Xen instead (GNTTABOP_copy). Nothing sleeps, so the accesses keep their
 * any-context contract. A translation to bio_vecs needs struct pages: it
 * maps its grants in batches with gnttab_map_refs() onto pages the region
 * lends (from gnttab_alloc_pages(), made when it first translates), as
 * blkback does; those are real pages whose frame Linux knows to be the
 * grant's, so a device can DMA to them. Built where the kernel
 * has CONFIG_XEN; supported in PV domains, where a grant is mapped at a
 * kernel virtual address (auto-translated domains map at guest frames of
 * ballooned pages instead, which this file does not do).
 *
 * Frames of another domain that a VMM maps with privcmd (Xen's "foreign"
 * mappings) use the same slots: vmmem_add_xen_foreign() takes the domain
 * and the frame numbers the VMM gave privcmd, and each access maps its
 * page into a slot with update_va_mapping_otherdomain, the one-entry form
 * of the foreign mmu_update that privcmd's PV mappings are made with
 * (Xen checks both alike); or, with VMMEM_XEN_MAP_ALL, every frame is
 * mapped when the region is added and stays mapped until it goes. The
 * VMM's mapping itself is of no use here: pin_user_pages() refuses it
 * (VM_IO | VM_PFNMAP), its entries hold machine frames that a PV kernel
 * cannot turn back into another domain's frame (follow_pfnmap_start()
 * reads them through xen_pte_val(), which reports pfn 0 or, past this
 * domain's memory, the machine frame as if it were an I/O frame), and
 * nothing keeps them once the VMM unmaps.
 */
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmmem.h>
#include <linux/xarray.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <asm/xen/hypercall.h>

#include "vmmem.h"

/*
 * Mapping slots per region: concurrent accesses to one region at most,
 * pages kept mapped included.
 */
#define VMMEM_XEN_SLOTS		64
static_assert(VMMEM_XEN_KEPT < VMMEM_XEN_SLOTS);
static_assert(!(VMMEM_XEN_PERSISTENT & VMMEM_REGION_FLAGS));
static_assert(!(VMMEM_XEN_MAP_ALL & VMMEM_REGION_FLAGS));

/* Pages a grant region lends to translations at a time (1 MiB). */
#define VMMEM_XEN_LENT		256

/**
 * struct vmmem_xen_lent - pages that translations map grants onto
 * @pages: from gnttab_alloc_pages(): no memory behind them until a grant
 *	is mapped there
 * @handles: per page, the grant handle of its mapping
 * @busy: pages lent to a translation now
 * @index_of: a page's index in @pages, by its pfn
 */
struct vmmem_xen_lent {
	struct page *pages[VMMEM_XEN_LENT];
	grant_handle_t handles[VMMEM_XEN_LENT];
	DECLARE_BITMAP(busy, VMMEM_XEN_LENT);
	struct xarray index_of;
};

/**
 * struct vmmem_xen_area - one region's Xen memory and its mapping slots
 * @domid: the domain whose memory it is
 * @first_ref: grants: the reference of the region's first page
 * @slots: %VMMEM_XEN_SLOTS pages of kernel address space, each mapping
 *	one page of the region while an access uses it; made with vmap() of
 *	@placeholder, so that the page tables exist for Xen to write, then
 *	emptied
 * @placeholder: what the slots mapped while they were made
 * @busy: slots in use
 * @handles: grants: per slot, the grant handle of its mapping
 * @frames: foreign frames: per page of the region, its frame in @domid
 * @lent: grants: the pages translations map grants onto; made by the
 *	first translation, under @lent_lock, and then never changed
 * @lent_lock: serialises making @lent
 */
struct vmmem_xen_area {
	domid_t domid;
	grant_ref_t first_ref;
	void *slots;
	struct page *placeholder;
	DECLARE_BITMAP(busy, VMMEM_XEN_SLOTS);
	grant_handle_t handles[VMMEM_XEN_SLOTS];
	u64 *frames;
	struct vmmem_xen_lent *lent;
	struct mutex lent_lock;	/* see @lent_lock above */
};

/* Claim a free slot: its number, or -EAGAIN when all are in use. */
static int vmmem_xen_slot_get(struct vmmem_xen_area *g)
{
	unsigned long slot;

	do {
		slot = find_first_zero_bit(g->busy, VMMEM_XEN_SLOTS);
		/* All slots busy: transient, as the retry says. */
		if (slot >= VMMEM_XEN_SLOTS)
			return -EAGAIN;
	} while (test_and_set_bit_lock(slot, g->busy));
	return slot;
}

static void vmmem_xen_slot_put(struct vmmem_xen_area *g, unsigned long slot)
{
	clear_bit_unlock(slot, g->busy);
}

static int vmmem_xen_map(void *priv, unsigned long index, unsigned int access,
			 void **kaddr)
{
	struct vmmem_xen_area *g = priv;
	struct gnttab_map_grant_ref op;
	unsigned int flags = GNTMAP_host_map;
	void *addr;
	int slot;

	slot = vmmem_xen_slot_get(g);
	if (slot < 0)
		return slot;
	addr = g->slots + slot * PAGE_SIZE;
	if (!(access & VMMEM_WRITE))
		flags |= GNTMAP_readonly;
	gnttab_set_map_op(&op, (unsigned long)addr, flags, g->first_ref + index,
			  g->domid);
	if (HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1) ||
	    op.status != GNTST_okay) {
		vmmem_xen_slot_put(g, slot);
		/* The frontend's page is paged out: worth another try. */
		return op.status == GNTST_eagain ? -EAGAIN : -EFAULT;
	}
	g->handles[slot] = op.handle;
	*kaddr = addr;
	return 0;
}

static void vmmem_xen_unmap(void *priv, unsigned long index, void *kaddr)
{
	struct vmmem_xen_area *g = priv;
	unsigned long slot = (kaddr - g->slots) >> PAGE_SHIFT;
	struct gnttab_unmap_grant_ref op;

	gnttab_set_unmap_op(&op, (unsigned long)kaddr, GNTMAP_host_map,
			    g->handles[slot]);
	/* Xen flushes the TLBs of the domain's CPUs for the address. */
	if (HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1) ||
	    op.status != GNTST_okay) {
		/* The slot still maps the grant: never hand it out again. */
		pr_warn_ratelimited("vmmem: grant unmap failed (status %d), slot retired\n",
				    op.status);
		return;
	}
	vmmem_xen_slot_put(g, slot);
}

/*
 * A short piece by GNTTABOP_copy: Xen copies between the grant and our own
 * frames, one hypercall instead of a map, an unmap and its TLB flush. Our
 * side must be in the direct map (a vmalloc'd or stack buffer has no
 * frame we can name cheaply: then vmmem maps the page instead), and may
 * span two of our pages.
 */
static int vmmem_xen_copy(void *priv, unsigned long index, unsigned int offset,
			  void *buf, unsigned int len, unsigned int access)
{
	struct vmmem_xen_area *g = priv;
	struct gnttab_copy op[2] = {};
	struct gnttab_copy_ptr *grant, *local;
	unsigned int nr = 0, done, seg, i;

	if (!virt_addr_valid(buf) || !virt_addr_valid(buf + len - 1))
		return -EOPNOTSUPP;
	for (done = 0; done < len; done += seg, nr++) {
		seg = min_t(unsigned int, len - done,
			    XEN_PAGE_SIZE - offset_in_page(buf + done));
		if (access & VMMEM_WRITE) {
			op[nr].flags = GNTCOPY_dest_gref;
			grant = &op[nr].dest;
			local = &op[nr].source;
		} else {
			op[nr].flags = GNTCOPY_source_gref;
			grant = &op[nr].source;
			local = &op[nr].dest;
		}
		grant->u.ref = g->first_ref + index;
		grant->domid = g->domid;
		grant->offset = offset + done;
		local->u.gmfn = virt_to_gfn(buf + done);
		local->domid = DOMID_SELF;
		local->offset = offset_in_page(buf + done);
		op[nr].len = seg;
	}
	if (HYPERVISOR_grant_table_op(GNTTABOP_copy, op, nr))
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		/* The frontend's page is paged out: worth another try. */
		if (op[i].status == GNTST_eagain)
			return -EAGAIN;
		if (op[i].status != GNTST_okay)
			return -EFAULT;
	}
	return 0;
}

/*
 * Give back the lent pages; no translation holds any. Pages retired by a
 * failed unmap may still map a grant: then none are given back (leaked,
 * as Xen's own backends leak what they cannot unmap).
 */
static void vmmem_xen_lent_free(struct vmmem_xen_lent *lent)
{
	xa_destroy(&lent->index_of);
	if (bitmap_empty(lent->busy, VMMEM_XEN_LENT))
		gnttab_free_pages(VMMEM_XEN_LENT, lent->pages);
	else
		pr_warn("vmmem: lent pages still map grants, leaked\n");
	kfree(lent);
}

/* The lent pages of @g, made on first use; NULL if they cannot be. */
static struct vmmem_xen_lent *vmmem_xen_lent(struct vmmem_xen_area *g)
{
	/* Pairs with the smp_store_release() below: a made pool is whole. */
	struct vmmem_xen_lent *lent = smp_load_acquire(&g->lent);
	unsigned int i;

	if (lent)
		return lent;
	mutex_lock(&g->lent_lock);
	lent = g->lent;
	if (lent)
		goto unlock;
	lent = kzalloc(sizeof(*lent), GFP_KERNEL_ACCOUNT);
	if (!lent)
		goto unlock;
	xa_init(&lent->index_of);
	if (gnttab_alloc_pages(VMMEM_XEN_LENT, lent->pages)) {
		kfree(lent);
		lent = NULL;
		goto unlock;
	}
	for (i = 0; i < VMMEM_XEN_LENT; i++) {
		if (xa_err(xa_store(&lent->index_of,
				    page_to_pfn(lent->pages[i]),
				    xa_mk_value(i), GFP_KERNEL_ACCOUNT))) {
			vmmem_xen_lent_free(lent);
			lent = NULL;
			goto unlock;
		}
	}
	/* Pairs with the smp_load_acquire()s: readers see the pool whole. */
	smp_store_release(&g->lent, lent);
unlock:
	mutex_unlock(&g->lent_lock);
	return lent;
}

/* Take @nr free lent pages into @index: 0, or -EBUSY with none taken. */
static int vmmem_xen_lend(struct vmmem_xen_lent *lent, unsigned int nr,
			  unsigned int *index)
{
	unsigned int n = 0, i = 0;

	while (n < nr) {
		i = find_next_zero_bit(lent->busy, VMMEM_XEN_LENT, i);
		if (i >= VMMEM_XEN_LENT) {
			while (n--)
				clear_bit_unlock(index[n], lent->busy);
			return -EBUSY;
		}
		if (!test_and_set_bit_lock(i, lent->busy))
			index[n++] = i;
	}
	return 0;
}

/* Unmap @nr lent pages (all mapped) and give them back. */
static void vmmem_xen_lent_unmap(struct vmmem_xen_lent *lent,
				 const unsigned int *index, unsigned int nr)
{
	struct gnttab_unmap_grant_ref ops[VMMEM_MAP_BATCH];
	struct page *pages[VMMEM_MAP_BATCH];
	unsigned int i;

	if (!nr)
		return;
	for (i = 0; i < nr; i++) {
		pages[i] = lent->pages[index[i]];
		gnttab_set_unmap_op(&ops[i],
				    (unsigned long)page_address(pages[i]),
				    GNTMAP_host_map, lent->handles[index[i]]);
	}
	/* Never sleeps: no page of ours has another user to wait for. */
	if (gnttab_unmap_refs(ops, NULL, pages, nr)) {
		/* The pages may still map the grants: never lend them again. */
		pr_warn_ratelimited("vmmem: grant unmap failed, %u pages retired\n",
				    nr);
		return;
	}
	for (i = 0; i < nr; i++) {
		if (ops[i].status != GNTST_okay) {
			pr_warn_ratelimited("vmmem: grant unmap failed (status %d), page retired\n",
					    ops[i].status);
			continue;
		}
		clear_bit_unlock(index[i], lent->busy);
	}
}

/*
 * Map @nr grants from page @index onto lent pages, in one hypercall.
 * gnttab_map_refs() may sleep only to retry a frontend page that Xen
 * paged out; it also records each page's foreign frame for DMA.
 */
static int vmmem_xen_map_pages(void *priv, unsigned long index,
			       unsigned int nr, unsigned int access,
			       struct page **pages)
{
	struct vmmem_xen_area *g = priv;
	struct gnttab_map_grant_ref ops[VMMEM_MAP_BATCH];
	unsigned int lent_index[VMMEM_MAP_BATCH], i, done = 0;
	unsigned int flags = GNTMAP_host_map;
	struct vmmem_xen_lent *lent;
	int ret = 0;

	lent = vmmem_xen_lent(g);
	if (!lent)
		return -ENOMEM;
	if (vmmem_xen_lend(lent, nr, lent_index))
		return -EBUSY;
	if (!(access & VMMEM_WRITE))
		flags |= GNTMAP_readonly;
	for (i = 0; i < nr; i++) {
		pages[i] = lent->pages[lent_index[i]];
		gnttab_set_map_op(&ops[i], (unsigned long)page_address(pages[i]),
				  flags, g->first_ref + index + i, g->domid);
		/* What an op the hypercall never reached says. */
		ops[i].status = GNTST_general_error;
	}
	if (gnttab_map_refs(ops, NULL, pages, nr))
		ret = -EFAULT;
	/* Keep what mapped at the front, to undo it on any failure. */
	for (i = 0; i < nr; i++) {
		if (ops[i].status == GNTST_okay) {
			lent->handles[lent_index[i]] = ops[i].handle;
			swap(lent_index[done], lent_index[i]);
			done++;
		} else if (!ret) {
			ret = ops[i].status == GNTST_eagain ? -EAGAIN : -EFAULT;
		}
	}
	if (!ret)
		return 0;
	vmmem_xen_lent_unmap(lent, lent_index, done);
	for (i = done; i < nr; i++)
		clear_bit_unlock(lent_index[i], lent->busy);
	return ret;
}

static void vmmem_xen_unmap_pages(void *priv, unsigned long index,
				  unsigned int nr, struct page **pages)
{
	struct vmmem_xen_area *g = priv;
	/* Made before the translation that mapped @pages: see vmmem_xen_lent(). */
	struct vmmem_xen_lent *lent = smp_load_acquire(&g->lent);
	unsigned int lent_index[VMMEM_MAP_BATCH], i;

	for (i = 0; i < nr; i++)
		lent_index[i] = xa_to_value(xa_load(&lent->index_of,
						    page_to_pfn(pages[i])));
	vmmem_xen_lent_unmap(lent, lent_index, nr);
}

/* Frees what vmmem_xen_alloc() built, however far it got. */
static void vmmem_xen_free(struct vmmem_xen_area *g)
{
	if (g->lent)
		vmmem_xen_lent_free(g->lent);
	if (g->slots)
		vunmap(g->slots);
	if (g->placeholder)
		__free_page(g->placeholder);
	kvfree(g->frames);
	kfree(g);
}

/*
 * Clear the slots' entries, flushing the TLBs once after the last. Only x86
 * PV maps at kernel addresses (the regions are refused elsewhere).
 */
static int vmmem_xen_clear_slots(struct vmmem_xen_area *g)
{
#ifdef CONFIG_XEN_PV
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < VMMEM_XEN_SLOTS; i++) {
		flags = i == VMMEM_XEN_SLOTS - 1 ?
			UVMF_TLB_FLUSH | UVMF_ALL : UVMF_NONE;
		if (HYPERVISOR_update_va_mapping((unsigned long)g->slots +
						 i * PAGE_SIZE, __pte_ma(0),
						 flags))
			return -EFAULT;
	}
#endif
	return 0;
}

/*
 * The state of a region of @domid's memory, with its slots made and empty:
 * vmap() builds the page tables, then each slot's entry is cleared (and
 * the TLBs flushed once), so that no CPU can still see the placeholder
 * where Xen later maps a page without a flush. NULL on failure.
 */
static struct vmmem_xen_area *vmmem_xen_alloc(domid_t domid)
{
	struct vmmem_xen_area *g;
	struct page **pages;
	unsigned int i;

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return NULL;
	g->domid = domid;
	mutex_init(&g->lent_lock);
	g->placeholder = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	pages = kmalloc_array(VMMEM_XEN_SLOTS, sizeof(*pages), GFP_KERNEL);
	if (g->placeholder && pages) {
		for (i = 0; i < VMMEM_XEN_SLOTS; i++)
			pages[i] = g->placeholder;
		/*
		 * VM_IOREMAP, as xenbus marks its foreign mappings: a reader
		 * of vmalloc space (/proc/kcore) then skips the slots rather
		 * than look up a struct page for another domain's frame.
		 */
		g->slots = vmap(pages, VMMEM_XEN_SLOTS, VM_MAP | VM_IOREMAP,
				PAGE_KERNEL);
	}
	kfree(pages);
	if (!g->slots)
		goto fail;
	if (vmmem_xen_clear_slots(g))
		goto fail;
	return g;

fail:
	vmmem_xen_free(g);
	return NULL;
}

static void vmmem_xen_release(void *priv)
{
	vmmem_xen_free(priv);
}

static const struct vmmem_mapper_ops vmmem_xen_ops = {
	.map = vmmem_xen_map,
	.unmap = vmmem_xen_unmap,
	.copy = vmmem_xen_copy,
	.map_pages = vmmem_xen_map_pages,
	.unmap_pages = vmmem_xen_unmap_pages,
	.release = vmmem_xen_release,
};

/**
 * vmmem_add_xen_grants() - add the grants of a frontend domain as a region
 * @vm: the map
 * @domid: the domain that granted the pages
 * @first_ref: the grant reference of the region's first page
 * @nr: number of consecutive grant references (pages)
 * @flags: %VMMEM_REGION_RDONLY, %VMMEM_XEN_PERSISTENT, both or 0
 *
 * The region covers [vmmem_xen_grant_addr(@first_ref),
 * vmmem_xen_grant_addr(@first_ref + @nr)): the addresses a Xen virtio
 * frontend puts in its descriptors. Nothing is mapped now; each page is
 * mapped while an access touches it (see %VMMEM_ADD_MAPPED), read-only for
 * reads, so a read of a page granted read-only succeeds and a write fails
 * there. A reference that is not granted (or no longer) fails the access
 * at its page as a hole would. Remove it with %VMMEM_REMOVE of the same
 * range.
 *
 * With %VMMEM_XEN_PERSISTENT, up to %VMMEM_XEN_KEPT pages stay mapped
 * between accesses (&vmmem_update.cache_pages), so that a hot buffer costs
 * no hypercall; they are unmapped when the region is removed. Only for a
 * frontend that keeps its grants until then (persistent grants): it cannot
 * end a grant that is still mapped.
 *
 * Context: Process context; sleeps.
 * Return: 0; -EOPNOTSUPP outside a PV domain or where pages are not Xen's
 * 4 KiB; -EINVAL for @nr 0, references past 2^32 or invalid @flags; the
 * errors of vmmem_update() (-EEXIST for a range in use, -ENOMEM).
 */
int vmmem_add_xen_grants(struct vmmem *vm, u16 domid, u32 first_ref,
			 unsigned int nr, unsigned int flags)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED,
		.flags = flags & ~VMMEM_XEN_PERSISTENT,
		.gpa = vmmem_xen_grant_addr(first_ref),
		.size = (u64)nr << PAGE_SHIFT,
		.mapper = &vmmem_xen_ops,
		.cache_pages = flags & VMMEM_XEN_PERSISTENT ? VMMEM_XEN_KEPT : 0,
	};
	struct vmmem_xen_area *g;
	int ret;

	if (!xen_pv_domain() || PAGE_SIZE != XEN_PAGE_SIZE)
		return -EOPNOTSUPP;
	if (!nr || (u64)first_ref + nr - 1 > U32_MAX)
		return -EINVAL;

	g = vmmem_xen_alloc(domid);
	if (!g)
		return -ENOMEM;
	g->first_ref = first_ref;
	up.priv = g;
	ret = vmmem_update(vm, &up, 1);
	if (ret)
		vmmem_xen_free(g);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(vmmem_add_xen_grants, VMMEM_NS);

#ifdef CONFIG_XEN_PV

/* The highest frame number an x86 page table entry holds (52-bit). */
#define VMMEM_XEN_FRAME_MAX	((1ULL << (52 - XEN_PAGE_SHIFT)) - 1)

/*
 * Set our entry for @va to @pte, whose frame is a frame of @domid (a gfn
 * of a translated domain, an mfn of a PV one). Xen checks that dom0 may
 * map it, takes a reference to the page for as long as the entry maps it
 * and does not flush: the entry was empty and flushed. Linux has no
 * wrapper for this hypercall.
 */
static int vmmem_xen_map_foreign_va(unsigned long va, pte_t pte, domid_t domid)
{
	return _hypercall4(int, update_va_mapping_otherdomain, va,
			   pte_val_ma(pte), UVMF_NONE, domid);
}

static int vmmem_xen_foreign_map(void *priv, unsigned long index,
				 unsigned int access, void **kaddr)
{
	struct vmmem_xen_area *g = priv;
	pgprot_t prot = access & VMMEM_WRITE ? PAGE_KERNEL : PAGE_KERNEL_RO;
	void *addr;
	int slot, ret;

	slot = vmmem_xen_slot_get(g);
	if (slot < 0)
		return slot;
	addr = g->slots + slot * PAGE_SIZE;
	ret = vmmem_xen_map_foreign_va((unsigned long)addr,
				       mfn_pte(g->frames[index], prot),
				       g->domid);
	if (ret) {
		vmmem_xen_slot_put(g, slot);
		/* A translated domain's page that is paged out: try again. */
		return ret == -ENOENT ? -EAGAIN : -EFAULT;
	}
	*kaddr = addr;
	return 0;
}

static void vmmem_xen_foreign_unmap(void *priv, unsigned long index,
				    void *kaddr)
{
	struct vmmem_xen_area *g = priv;
	unsigned long slot = (kaddr - g->slots) >> PAGE_SHIFT;

	/* Xen drops its reference and flushes the address on all our CPUs. */
	if (HYPERVISOR_update_va_mapping((unsigned long)kaddr, __pte_ma(0),
					 UVMF_INVLPG | UVMF_ALL)) {
		/* The slot may still map the frame: never hand it out again. */
		pr_warn_ratelimited("vmmem: foreign unmap failed, slot retired\n");
		return;
	}
	vmmem_xen_slot_put(g, slot);
}

static const struct vmmem_mapper_ops vmmem_xen_foreign_ops = {
	.map = vmmem_xen_foreign_map,
	.unmap = vmmem_xen_foreign_unmap,
	.release = vmmem_xen_release,
};

/* Pages per vmap() of a region whose frames are all mapped. */
#define VMMEM_XEN_CHUNK		512

/* How a page of a region whose frames are all mapped is mapped. */
enum {
	VMMEM_XEN_PAGE_NONE,	/* not at all: Xen refused the frame */
	VMMEM_XEN_PAGE_RO,	/* for reading */
	VMMEM_XEN_PAGE_RW,	/* for reading and writing */
};

/**
 * struct vmmem_xen_all - a region of foreign frames, all mapped
 * @nr: pages
 * @chunks: the kernel address of each %VMMEM_XEN_CHUNK pages (the last
 *	one may be shorter), made with vmap() of @placeholder
 * @state: per page, VMMEM_XEN_PAGE_*
 * @placeholder: what the chunks map where no frame is mapped
 */
struct vmmem_xen_all {
	unsigned long nr;
	void **chunks;
	u8 *state;
	struct page *placeholder;
};

static void *vmmem_xen_all_addr(const struct vmmem_xen_all *a,
				unsigned long index)
{
	return a->chunks[index / VMMEM_XEN_CHUNK] +
	       (index % VMMEM_XEN_CHUNK) * PAGE_SIZE;
}

static int vmmem_xen_all_map(void *priv, unsigned long index,
			     unsigned int access, void **kaddr)
{
	const struct vmmem_xen_all *a = priv;
	u8 state = a->state[index];

	if (state == VMMEM_XEN_PAGE_NONE ||
	    (access & VMMEM_WRITE && state != VMMEM_XEN_PAGE_RW))
		return -EFAULT;
	*kaddr = vmmem_xen_all_addr(a, index);
	return 0;
}

/* The frame stays mapped until the region goes. */
static void vmmem_xen_all_unmap(void *priv, unsigned long index, void *kaddr)
{
}

/*
 * Unmap every frame (Xen drops its references), flush the TLBs once, then
 * give back the address space. Takes a partly built state.
 */
static void vmmem_xen_all_free(struct vmmem_xen_all *a)
{
	struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_ALL };
	unsigned long i, va;

	if (a->state) {
		for (i = 0; i < a->nr; i++) {
			if (a->state[i] == VMMEM_XEN_PAGE_NONE)
				continue;
			va = (unsigned long)vmmem_xen_all_addr(a, i);
			/* Xen refuses only what was not mapped: nothing to do. */
			HYPERVISOR_update_va_mapping(va, __pte_ma(0), UVMF_NONE);
			if (!(i % VMMEM_XEN_CHUNK))
				cond_resched();
		}
		HYPERVISOR_mmuext_op(&flush, 1, NULL, DOMID_SELF);
	}
	if (a->chunks) {
		for (i = 0; i < DIV_ROUND_UP(a->nr, VMMEM_XEN_CHUNK); i++)
			if (a->chunks[i])
				vunmap(a->chunks[i]);
		kvfree(a->chunks);
	}
	kvfree(a->state);
	if (a->placeholder)
		__free_page(a->placeholder);
	kfree(a);
}

static void vmmem_xen_all_release(void *priv)
{
	vmmem_xen_all_free(priv);
}

static const struct vmmem_mapper_ops vmmem_xen_all_ops = {
	.map = vmmem_xen_all_map,
	.unmap = vmmem_xen_all_unmap,
	.release = vmmem_xen_all_release,
};

/* Kernel address space for @a->nr pages, in chunks, mapping a placeholder. */
static int vmmem_xen_all_space(struct vmmem_xen_all *a)
{
	unsigned long nr_chunks = DIV_ROUND_UP(a->nr, VMMEM_XEN_CHUNK), i;
	struct page **pages;
	unsigned int n;

	a->placeholder = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	a->chunks = kvcalloc(nr_chunks, sizeof(*a->chunks),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	pages = kmalloc_array(VMMEM_XEN_CHUNK, sizeof(*pages), GFP_KERNEL);
	if (!a->placeholder || !a->chunks || !pages) {
		kfree(pages);
		return -ENOMEM;
	}
	for (i = 0; i < VMMEM_XEN_CHUNK; i++)
		pages[i] = a->placeholder;
	for (i = 0; i < nr_chunks; i++) {
		n = min_t(unsigned long, a->nr - i * VMMEM_XEN_CHUNK,
			  VMMEM_XEN_CHUNK);
		/* VM_IOREMAP: vmalloc readers skip it, as for the slots. */
		a->chunks[i] = vmap(pages, n, VM_MAP | VM_IOREMAP, PAGE_KERNEL);
		if (!a->chunks[i])
			break;
	}
	kfree(pages);
	return i < nr_chunks ? -ENOMEM : 0;
}

/*
 * Map every frame, for writing where @writable and Xen allows it, else for
 * reading, and flush the TLBs once (the placeholder was mapped there).
 * Returns 0, -EAGAIN for a paged-out frame or -EINTR.
 */
static int vmmem_xen_all_fill(struct vmmem_xen_all *a, domid_t domid,
			      const u64 *frames, bool writable)
{
	struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_ALL };
	unsigned long i, va;
	int ret = 0;

	for (i = 0; i < a->nr; i++) {
		va = (unsigned long)vmmem_xen_all_addr(a, i);
		ret = -EACCES;
		if (writable) {
			ret = vmmem_xen_map_foreign_va(va, mfn_pte(frames[i],
								   PAGE_KERNEL),
						       domid);
			if (!ret)
				a->state[i] = VMMEM_XEN_PAGE_RW;
		}
		if (ret && ret != -ENOENT) {
			ret = vmmem_xen_map_foreign_va(va, mfn_pte(frames[i],
								   PAGE_KERNEL_RO),
						       domid);
			if (!ret)
				a->state[i] = VMMEM_XEN_PAGE_RO;
		}
		/* A translated domain's page that is paged out. */
		if (ret == -ENOENT)
			break;
		ret = 0;
		if (!((i + 1) % VMMEM_XEN_CHUNK)) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	HYPERVISOR_mmuext_op(&flush, 1, NULL, DOMID_SELF);
	return ret == -ENOENT ? -EAGAIN : ret;
}

/* vmmem_add_xen_foreign() with %VMMEM_XEN_MAP_ALL; arguments checked. */
static int vmmem_xen_add_all(struct vmmem *vm, struct vmmem_update *up,
			     domid_t domid, const u64 *frames, unsigned int nr)
{
	struct vmmem_xen_all *a;
	int ret = -ENOMEM;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->nr = nr;
	a->state = kvzalloc(nr, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (a->state && !vmmem_xen_all_space(a))
		ret = vmmem_xen_all_fill(a, domid, frames,
					 !(up->flags & VMMEM_REGION_RDONLY));
	if (!ret) {
		up->mapper = &vmmem_xen_all_ops;
		up->cache_pages = 0;
		up->priv = a;
		ret = vmmem_update(vm, up, 1);
	}
	if (ret)
		vmmem_xen_all_free(a);
	return ret;
}

/**
 * vmmem_add_xen_foreign() - add frames of another domain as a region
 * @vm: the map
 * @gpa: the region's first guest-physical address, page-aligned
 * @domid: the domain that owns the frames, or DOMID_SELF (0x7ff0)
 * @frames: @nr frame numbers in @domid's terms, the region's pages in
 *	order: guest frames if @domid is auto-translated (HVM, PVH), machine
 *	frames if it is PV. These are the frames a VMM gives
 *	IOCTL_PRIVCMD_MMAPBATCH_V2 for the same guest memory. Copied
 * @nr: number of frames (pages)
 * @flags: %VMMEM_REGION_RDONLY, with %VMMEM_XEN_PERSISTENT or
 *	%VMMEM_XEN_MAP_ALL or neither
 *
 * The memory a VMM maps from another domain with privcmd cannot be pinned
 * (its mapping is VM_IO | VM_PFNMAP, and in a PV domain the frames have no
 * &struct page here), and the VMM's mapping gives vmmem nothing that keeps
 * the frames: the VMM may unmap them at any time. So vmmem maps the same
 * frames itself, as the VMM did: each access maps the page it touches into
 * a slot of kernel address space with one update_va_mapping_otherdomain
 * hypercall (read-only unless it writes), and Xen holds a reference to the
 * frame until the access unmaps it. A frame that Xen refuses (no such
 * domain, a frame the domain does not own, a page table written) ends the
 * access at its page as a hole would; a paged-out frame is retried. With
 * %VMMEM_XEN_PERSISTENT, up to %VMMEM_XEN_KEPT pages stay mapped between
 * accesses, until the region is removed; the domain's memory is then not
 * freed before that, even if it dies. With %VMMEM_XEN_MAP_ALL, every frame
 * is mapped now (writable unless the region is read-only or Xen allows
 * only reading, as for a page table) and stays mapped until the region is
 * released, as the VMM's own mapping does: an access costs no hypercall,
 * and a frame Xen refuses is a hole. Accesses never sleep. Remove the
 * region with %VMMEM_REMOVE of the same range.
 *
 * Context: Process context; sleeps.
 * Return: 0; -EOPNOTSUPP outside a PV domain or where pages are not Xen's
 * 4 KiB; -EINVAL for @nr 0, no @frames, a frame number past 2^40 - 1, a
 * reserved @domid other than DOMID_SELF, or invalid @flags (both
 * %VMMEM_XEN_PERSISTENT and %VMMEM_XEN_MAP_ALL included); -EOVERFLOW for a
 * range past 2^64; with %VMMEM_XEN_MAP_ALL, -EAGAIN if a frame is paged
 * out (try again) and -EINTR on a fatal signal; the errors of
 * vmmem_update() (-EEXIST for a range in use, -ENOMEM).
 */
int vmmem_add_xen_foreign(struct vmmem *vm, u64 gpa, u16 domid,
			  const u64 *frames, unsigned int nr,
			  unsigned int flags)
{
	struct vmmem_update up = {
		.op = VMMEM_ADD_MAPPED,
		.flags = flags & ~(VMMEM_XEN_PERSISTENT | VMMEM_XEN_MAP_ALL),
		.gpa = gpa,
		.size = (u64)nr << PAGE_SHIFT,
		.mapper = &vmmem_xen_foreign_ops,
		.cache_pages = flags & VMMEM_XEN_PERSISTENT ? VMMEM_XEN_KEPT : 0,
	};
	struct vmmem_xen_area *g;
	unsigned int i;
	int ret;

	if (!xen_pv_domain() || PAGE_SIZE != XEN_PAGE_SIZE)
		return -EOPNOTSUPP;
	if (!nr || !frames ||
	    (domid >= DOMID_FIRST_RESERVED && domid != DOMID_SELF) ||
	    (flags & VMMEM_XEN_PERSISTENT && flags & VMMEM_XEN_MAP_ALL))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (frames[i] > VMMEM_XEN_FRAME_MAX)
			return -EINVAL;
	/* The range and flags too, before anything is mapped. */
	ret = vmmem_check_new_region(up.gpa, up.size, up.flags);
	if (ret)
		return ret;
	if (flags & VMMEM_XEN_MAP_ALL)
		return vmmem_xen_add_all(vm, &up, domid, frames, nr);

	g = vmmem_xen_alloc(domid);
	if (!g)
		return -ENOMEM;
	g->frames = kvmalloc_array(nr, sizeof(*frames),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!g->frames) {
		vmmem_xen_free(g);
		return -ENOMEM;
	}
	memcpy(g->frames, frames, array_size(nr, sizeof(*frames)));
	up.priv = g;
	ret = vmmem_update(vm, &up, 1);
	if (ret)
		vmmem_xen_free(g);
	return ret;
}

#else /* !CONFIG_XEN_PV */

int vmmem_add_xen_foreign(struct vmmem *vm, u64 gpa, u16 domid,
			  const u64 *frames, unsigned int nr,
			  unsigned int flags)
{
	return -EOPNOTSUPP;
}

#endif /* CONFIG_XEN_PV */
EXPORT_SYMBOL_NS_GPL(vmmem_add_xen_foreign, VMMEM_NS);
