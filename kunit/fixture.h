/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared fixture of the vmmem KUnit suites: one map with a fixed layout of
 * adjacent regions, a read-only region, a hole and a region that ends at
 * 2^64 - 1, every byte filled with a pattern derived from its address.
 */
#ifndef _VMMEM_KUNIT_FIXTURE_H
#define _VMMEM_KUNIT_FIXTURE_H

#include <kunit/test.h>
#include <linux/vmmem.h>

#define FX_P		((u64)PAGE_SIZE)
#define FX_BASE		(16 * FX_P)
/* A and B are adjacent and writable; C follows B and is read-only. */
#define FX_A		FX_BASE
#define FX_A_SIZE	(2 * FX_P)
#define FX_B		(FX_A + FX_A_SIZE)
#define FX_B_SIZE	(2 * FX_P)
#define FX_C		(FX_B + FX_B_SIZE)
#define FX_C_SIZE	FX_P
/* A two-page hole, then E. */
#define FX_HOLE		(FX_C + FX_C_SIZE)
#define FX_HOLE_SIZE	(2 * FX_P)
#define FX_E		(FX_HOLE + FX_HOLE_SIZE)
#define FX_E_SIZE	FX_P
/* TOP ends exactly at 2^64 - 1. */
#define FX_TOP_SIZE	(2 * FX_P)
#define FX_TOP		(0 - FX_TOP_SIZE)

/* The byte the fixture stores at @gpa: differs between neighbours and pages. */
static inline u8 fx_pattern(u64 gpa)
{
	return (u8)(gpa ^ (gpa >> 8) ^ (gpa >> 16) ^ (gpa >> 56) ^ 0x5a);
}

/*
 * The access-contract suites run once per kind of backing memory: the
 * suite's init picks the backing that fx_add() uses for every region.
 */
enum fx_backing { FX_VMALLOC, FX_USER, FX_PAGES };

int fx_init_vmalloc(struct kunit *test);
int fx_init_user(struct kunit *test);
int fx_init_pages(struct kunit *test);

#define FX_SUITE(var, suite_name, init_fn, cases)	\
	static struct kunit_suite var = {		\
		.name = suite_name,			\
		.init = init_fn,			\
		.test_cases = cases,			\
	}

/* Suites <base>, <base>_user and <base>_pages, with the same cases. */
#define FX_DEFINE_SUITES(base, ...)						\
	static struct kunit_case base##_vmalloc_cases[] = { __VA_ARGS__, {} };	\
	static struct kunit_case base##_user_cases[] = { __VA_ARGS__, {} };	\
	static struct kunit_case base##_pages_cases[] = { __VA_ARGS__, {} };	\
	FX_SUITE(base##_vmalloc_suite, #base, fx_init_vmalloc,			\
		 base##_vmalloc_cases);						\
	FX_SUITE(base##_user_suite, #base "_user", fx_init_user,		\
		 base##_user_cases);						\
	FX_SUITE(base##_pages_suite, #base "_pages", fx_init_pages,		\
		 base##_pages_cases);						\
	kunit_test_suites(&base##_vmalloc_suite, &base##_user_suite,		\
			  &base##_pages_suite)

unsigned long fx_user_map(struct kunit *test, unsigned long len,
			  unsigned long prot, unsigned long flags);
int fx_try_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	       unsigned int flags);
struct vmmem *fx_create(struct kunit *test);
struct vmmem *fx_create_layout(struct kunit *test);
void fx_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	    unsigned int flags);
void fx_fill(struct kunit *test, struct vmmem *vm, u64 gpa, u64 len);
bool fx_matches(const u8 *buf, u64 gpa, size_t len);
bool fx_guest_matches(struct kunit *test, struct vmmem *vm, u64 gpa,
		      size_t len);

#endif /* _VMMEM_KUNIT_FIXTURE_H */
