/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the Xen lane's test modules share: the byte pattern that one side
 * writes and the other checks (the domU's module and dom0's must agree),
 * and the page at an index of a translation.
 */
#ifndef VMMEM_XEN_TEST_H
#define VMMEM_XEN_TEST_H

#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/types.h>
#include <linux/vmmem.h>

/* Byte @off of page @page, as written with @seed. */
static inline u8 pattern(unsigned int page, unsigned int off, u8 seed)
{
	return (u8)(seed + page * 31 + off * 7 + (off >> 8));
}

/*
 * Page @i of a translation of whole pages (lent pages may be contiguous,
 * and then share a bio_vec); NULL past its end.
 */
static inline struct page *bv_page_at(const struct vmmem_bvecs *bv,
				      unsigned int i)
{
	unsigned int b, pages;

	for (b = 0; b < bv->nr; b++) {
		pages = bv->bv[b].bv_len / PAGE_SIZE;
		if (i < pages)
			return nth_page(bv->bv[b].bv_page, i);
		i -= pages;
	}
	return NULL;
}

#endif /* VMMEM_XEN_TEST_H */
