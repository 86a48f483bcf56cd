// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmmem_xen_domu: the frontend of the Xen lane's two-domain test, loaded
 * by the /init (tests/xen/domu-init) of a small PV domU that dom0 starts
 * with xl (tests/xen/domu-run). It does not use vmmem: it grants dom0
 * NR_GRANTED pages, filled with a known pattern, under consecutive
 * references, the third read-only, and leaves one more reference after
 * them ungranted; then tells dom0 through xenstore, under the domain's
 * own data/vmmem:
 *
 *   first-ref, refs	the first reference and how many (granted or not)
 *   frames		the pages' frame numbers, comma-separated (for dom0's
 *			foreign mappings, as a VMM names a guest's frames)
 *   state		"granted" once the above are written
 *
 * and waits for dom0's vmmem_xen_domu_test to reach the pages and set
 * state to "written". It then checks what dom0 left in the pages (its
 * bytes in pages 0, 1 and 3, the read-only page unchanged) and that every
 * grant ends (dom0 left nothing mapped), and reports each check as
 * data/vmmem/result/N ("ok - NAME" or "not ok - NAME: DETAIL"), their
 * number as data/vmmem/results, and state "checked"; dom0 prints them
 * and sets state to "collected", and loading returns.
 */
#define pr_fmt(fmt) "vmmem_xen_domu: " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "xen_test.h"

#define NR_GRANTED	4
#define NR_REFS		(NR_GRANTED + 1)	/* the last is not granted */
#define RO_PAGE		2			/* granted read-only */
#define SEED_DOMU	1	/* what this domain writes */
#define SEED_DOM0	2	/* what dom0 writes back (not to RO_PAGE) */
#define NODE		"data/vmmem"		/* relative to our domain */

static unsigned short backend;
module_param(backend, ushort, 0444);
MODULE_PARM_DESC(backend, "domain the pages are granted to (default 0)");

static unsigned int timeout = 300;
module_param(timeout, uint, 0444);
MODULE_PARM_DESC(timeout, "seconds to wait for dom0 (default 300)");

static struct page *pages[NR_GRANTED];
static unsigned int nr_results;

/* The first offset of page @i that does not hold @seed's pattern, or -1. */
static int page_differs(unsigned int i, u8 seed)
{
	const u8 *p = page_address(pages[i]);
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off++)
		if (p[off] != pattern(i, off, seed))
			return off;
	return -1;
}

/* Logs a check and publishes it for dom0 as result/N. */
static void report(bool ok, const char *name, const char *detail)
{
	char node[32];
	int err;

	pr_info("%s - %s%s%s\n", ok ? "ok" : "not ok", name,
		ok ? "" : ": ", ok ? "" : detail);
	snprintf(node, sizeof(node), "result/%u", nr_results);
	err = xenbus_printf(XBT_NIL, NODE, node, "%s - %s%s%s",
			    ok ? "ok" : "not ok", name, ok ? "" : ": ",
			    ok ? "" : detail);
	if (err)
		pr_err("cannot publish %s: %d\n", node, err);
	else
		nr_results++;
}

static void check_page(unsigned int i, u8 seed, const char *name)
{
	char detail[64];
	int off = page_differs(i, seed);

	snprintf(detail, sizeof(detail), "page %u differs at offset %d", i, off);
	report(off < 0, name, detail);
}

/* Waits for dom0 to set our state to @want; false on timeout. */
static bool wait_state(const char *want)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout * MSEC_PER_SEC);
	char *state;
	bool done;

	do {
		state = xenbus_read(XBT_NIL, NODE, "state", NULL);
		done = !IS_ERR(state) && !strcmp(state, want);
		if (!IS_ERR(state))
			kfree(state);
		if (done)
			return true;
		msleep(100);
	} while (time_before(jiffies, end));
	return false;
}

static int publish(grant_ref_t first)
{
	char frames[NR_GRANTED * 20];
	unsigned int i, len = 0;
	int err;

	for (i = 0; i < NR_GRANTED; i++)
		len += scnprintf(frames + len, sizeof(frames) - len, "%s0x%lx",
				 i ? "," : "", xen_page_to_gfn(pages[i]));
	err = xenbus_printf(XBT_NIL, NODE, "first-ref", "%u", first);
	if (!err)
		err = xenbus_printf(XBT_NIL, NODE, "refs", "%u", NR_REFS);
	if (!err)
		err = xenbus_write(XBT_NIL, NODE, "frames", frames);
	if (!err)
		err = xenbus_write(XBT_NIL, NODE, "state", "granted");
	return err;
}

static int __init vmmem_xen_domu_init(void)
{
	bool have_pages = true, ended = true;
	grant_ref_t first;
	unsigned int i, off;
	int err;

	if (!xen_pv_domain() || xen_initial_domain()) {
		pr_err("not a PV domU\n");
		return -ENODEV;
	}
	for (i = 0; i < NR_GRANTED; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			have_pages = false;
			continue;
		}
		for (off = 0; off < PAGE_SIZE; off++)
			((u8 *)page_address(pages[i]))[off] =
				pattern(i, off, SEED_DOMU);
	}
	if (!have_pages || gnttab_alloc_grant_reference_seq(NR_REFS, &first)) {
		report(false, "xen domU side: setup", "no pages or no references");
		err = -ENOMEM;
		goto out_results;
	}
	for (i = 0; i < NR_GRANTED; i++)
		gnttab_grant_foreign_access_ref(first + i, backend,
						xen_page_to_gfn(pages[i]),
						i == RO_PAGE);
	err = publish(first);
	if (err) {
		report(false, "xen domU side: grants published in xenstore",
		       "xenstore write failed");
	} else if (!wait_state("written")) {
		report(false, "xen domU side: dom0 reached the pages",
		       "no state \"written\" in time");
	} else {
		check_page(0, SEED_DOM0,
			   "xen domU side: page 0 holds what dom0 wrote through the grant");
		check_page(1, SEED_DOM0,
			   "xen domU side: page 1 holds what dom0 wrote through the grant");
		check_page(RO_PAGE, SEED_DOMU,
			   "xen domU side: the read-only grant's page is unchanged");
		check_page(3, SEED_DOM0,
			   "xen domU side: page 3 holds what dom0 wrote through the frame");
	}

	/* A grant still mapped would not end: dom0 must have unmapped all. */
	for (i = 0; i < NR_GRANTED; i++)
		ended &= gnttab_end_foreign_access_ref(first + i);
	report(ended, "xen domU side: every grant ends: dom0 left nothing mapped",
	       "a grant is still mapped");
	if (ended) {
		gnttab_free_grant_reference_seq(first, NR_REFS);
	} else {
		/* The pages stay dom0's to reach: never free them. */
		for (i = 0; i < NR_GRANTED; i++)
			pages[i] = NULL;
	}

out_results:
	if (xenbus_printf(XBT_NIL, NODE, "results", "%u", nr_results) ||
	    xenbus_write(XBT_NIL, NODE, "state", "checked"))
		pr_err("cannot publish the results\n");
	/* They go with the domain: stay until dom0 has read them. */
	else if (!wait_state("collected"))
		pr_err("dom0 did not collect the results\n");
	for (i = 0; i < NR_GRANTED; i++)
		if (pages[i])
			__free_page(pages[i]);
	return err;
}

static void __exit vmmem_xen_domu_exit(void)
{
}

module_init(vmmem_xen_domu_init);
module_exit(vmmem_xen_domu_exit);
MODULE_DESCRIPTION("vmmem: the domU half of the Xen lane's two-domain grant test");
MODULE_LICENSE("GPL");
