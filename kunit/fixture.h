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

struct vmmem *fx_create(struct kunit *test);
struct vmmem *fx_create_layout(struct kunit *test);
void fx_add(struct kunit *test, struct vmmem *vm, u64 gpa, u64 size,
	    unsigned int flags);
void fx_fill(struct kunit *test, struct vmmem *vm, u64 gpa, u64 len);
bool fx_matches(const u8 *buf, u64 gpa, size_t len);
bool fx_guest_matches(struct kunit *test, struct vmmem *vm, u64 gpa,
		      size_t len);

#endif /* _VMMEM_KUNIT_FIXTURE_H */
