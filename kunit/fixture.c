// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared fixture of the vmmem KUnit suites, and the test module's
 * identity.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/string.h>

#include "fixture.h"

KUNIT_DEFINE_ACTION_WRAPPER(fx_put_action, vmmem_put, struct vmmem *);

/* An empty map, put when the test ends. */
struct vmmem *fx_create(struct kunit *test)
{
	struct vmmem *vm = vmmem_create();

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fx_put_action, vm));
	return vm;
}

static const enum fx_backing fx_backings[] = { FX_VMALLOC, FX_USER, FX_PAGES };

int fx_init_vmalloc(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_VMALLOC];
	return 0;
}

int fx_init_user(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_USER];
	return 0;
}

int fx_init_pages(struct kunit *test)
{
	test->priv = (void *)&fx_backings[FX_PAGES];
	return 0;
}

/* A user mapping of the test's own mm, unmapped when the test ends. */
unsigned long fx_user_map(struct kunit *test, unsigned long len,
			  unsigned long prot, unsigned long flags)
{
	unsigned long uaddr = kunit_vm_mmap(test, NULL, 0, len, prot, flags, 0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(uaddr), "mmap: %ld", (long)uaddr);
	return uaddr;
}

/* Populated, so that pinning never meets the shared zero page. */
static int fx_add_user(struct kunit *test, struct vmmem *vm, u64 gpa,
		       u64 size, unsigned int flags)
{
	unsigned long uaddr = fx_user_map(test, size, PROT_READ | PROT_WRITE,
					  MAP_ANONYMOUS | MAP_PRIVATE |
					  MAP_POPULATE);

	return vmmem_add_user(vm, gpa, uaddr, size, flags);
}

/* vmmem keeps its own page references: ours are dropped right away. */
static int fx_add_pages(struct kunit *test, struct vmmem *vm, u64 gpa,
			u64 size, unsigned int flags)
{
	unsigned long i, npages = size >> PAGE_SHIFT;
	struct page **pages;
	int ret;

	pages = kunit_kcalloc(test, npages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < npages; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	ret = vmmem_add_pages(vm, gpa, pages, npages, flags);
	for (i = 0; i < npages; i++)
		put_page(pages[i]);
	return ret;
}

/* Adds a region with the suite's backing (vmalloc outside such suites). */
int fx_try_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	       unsigned int flags)
{
	const enum fx_backing *backing = test->priv;

	switch (backing ? *backing : FX_VMALLOC) {
	case FX_USER:
		return fx_add_user(test, vm, gpa, size, flags);
	case FX_PAGES:
		return fx_add_pages(test, vm, gpa, size, flags);
	default:
		return vmmem_add_vmalloc(vm, gpa, size, flags);
	}
}

void fx_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	    unsigned int flags)
{
	KUNIT_ASSERT_EQ_MSG(test, 0, fx_try_add(test, vm, gpa, size, flags),
			    "add [%#llx, +%#llx)", gpa, size);
}

/*
 * Writes the pattern through slices rather than vmmem_write(), so that
 * read-only regions can be filled and the copy code is not its own oracle.
 */
void fx_fill(struct kunit *test, struct vmmem *vm, u64 gpa, u64 len)
{
	struct vmmem_slice_iter iter;
	struct vmmem_slice slice;
	int ret;
	size_t i;

	vmmem_slice_iter_init(&iter, vm, gpa, len, VMMEM_READ);
	rcu_read_lock();
	while ((ret = vmmem_slice_iter_next(&iter, &slice)) > 0)
		for (i = 0; i < slice.len; i++)
			((u8 *)slice.ptr)[i] = fx_pattern(slice.gpa + i);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/* The fixture layout, every region filled with the pattern. */
struct vmmem *fx_create_layout(struct kunit *test)
{
	struct vmmem *vm = fx_create(test);

	fx_add(test, vm, FX_A, FX_A_SIZE, 0);
	fx_add(test, vm, FX_B, FX_B_SIZE, 0);
	fx_add(test, vm, FX_C, FX_C_SIZE, VMMEM_REGION_RDONLY);
	fx_add(test, vm, FX_E, FX_E_SIZE, 0);
	fx_add(test, vm, FX_TOP, FX_TOP_SIZE, 0);

	fx_fill(test, vm, FX_A, FX_A_SIZE + FX_B_SIZE + FX_C_SIZE);
	fx_fill(test, vm, FX_E, FX_E_SIZE);
	fx_fill(test, vm, FX_TOP, FX_TOP_SIZE);
	return vm;
}

/* True if @buf holds the pattern of [@gpa, @gpa + @len). */
bool fx_matches(const u8 *buf, u64 gpa, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != fx_pattern(gpa + i))
			return false;
	return true;
}

/* True if guest memory at [@gpa, @gpa + @len) still holds the pattern. */
bool fx_guest_matches(struct kunit *test, struct vmmem *vm, u64 gpa,
		      size_t len)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0, vmmem_read(vm, gpa, buf, len));
	return fx_matches(buf, gpa, len);
}

MODULE_DESCRIPTION("KUnit tests for vmmem");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(VMMEM_NS);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
