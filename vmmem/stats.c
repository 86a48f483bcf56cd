// SPDX-License-Identifier: GPL-2.0-only
/*
 * Statistics of a map, and faults: each map counts its accesses, bytes,
 * faults, lookups and dirty pages per CPU (so that the read path writes
 * no cache line another CPU reads), and debugfs sums them. A fault is
 * counted and traced where the API call that met it returns, out of line:
 * the access paths only carry the failing address that far.
 */
#include <linux/overflow.h>

#include "vmmem.h"
#include "vmmem_trace.h"

DEFINE_STATIC_KEY_TRUE(vmmem_stats_on);

const char *const vmmem_stat_names[VMMEM_NR_STATS] = {
	[VMMEM_STAT_COPY_FROM_GUEST] = "copy_from_guest",
	[VMMEM_STAT_COPY_TO_GUEST] = "copy_to_guest",
	[VMMEM_STAT_COPY_TO_ITER] = "copy_to_iter",
	[VMMEM_STAT_COPY_FROM_ITER] = "copy_from_iter",
	[VMMEM_STAT_LOAD] = "load",
	[VMMEM_STAT_STORE] = "store",
	[VMMEM_STAT_FIND_SLICE] = "find_slice",
	[VMMEM_STAT_SLICE_ITER] = "slice_iter_next",
	[VMMEM_STAT_CHECK_RANGE] = "check_range",
	[VMMEM_STAT_HOLD] = "hold",
	[VMMEM_STAT_TRANSLATE] = "translate",
	[VMMEM_STAT_CACHE_RESOLVE] = "cache_resolve",
	[VMMEM_STAT_BYTES_FROM_GUEST] = "bytes_from_guest",
	[VMMEM_STAT_BYTES_TO_GUEST] = "bytes_to_guest",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_HOLE] = "fault_hole",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_READ_ONLY] = "fault_read_only",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_MISALIGNED] = "fault_misaligned",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_STRADDLE] = "fault_straddle",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_PAST_END] = "fault_past_end",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_IOVA_PERMISSION] = "fault_iova_permission",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_MEMORY_ERROR] = "fault_memory_error",
	[VMMEM_STAT_FAULT + VMMEM_FAULT_NOT_MAPPED] = "fault_not_mapped",
	[VMMEM_STAT_LOOKUP_FEW] = "lookup_few",
	[VMMEM_STAT_LOOKUP_HINT] = "lookup_hint",
	[VMMEM_STAT_LOOKUP_NEXT] = "lookup_next",
	[VMMEM_STAT_LOOKUP_SEARCH] = "lookup_search",
	[VMMEM_STAT_DIRTY_MARKED] = "dirty_pages_marked",
	[VMMEM_STAT_DIRTY_HARVESTED] = "dirty_pages_harvested",
};

/**
 * vmmem_stats_sum() - a map's statistics, summed over the CPUs
 * @vm: the live map (or a view of it)
 * @sums: VMMEM_NR_STATS entries, filled
 *
 * Each CPU's counters are read while they may change: a sum is as exact as
 * the accesses that had completed when it was read (but for a count lost
 * to preemption, see vmmem_count_add()).
 *
 * Context: Any context.
 */
void vmmem_stats_sum(struct vmmem *vm, u64 *sums)
{
	unsigned int cpu, i;

	memset(sums, 0, VMMEM_NR_STATS * sizeof(*sums));
	for_each_possible_cpu(cpu) {
		struct vmmem_stats *stats = per_cpu_ptr(vm->stats, cpu);

		for (i = 0; i < VMMEM_NR_STATS; i++) {
			/* Racing with their CPU's adds, by design: a snapshot. */
			sums[i] += data_race(stats->count[i]);
		}
	}
}

/**
 * vmmem_fault() - count and trace an access that failed
 * @vm: the map or view the access used
 * @cause: why it failed
 * @addr: the first address that failed (an IOVA in an IOVA space)
 * @len: the bytes from @addr on that were not accessed
 * @access: %VMMEM_READ and/or %VMMEM_WRITE
 * @ip: the caller of the API function (_RET_IP_ there)
 *
 * Out of line and cold: faults are the guest's doing and must stay cheap
 * to the host, but never weigh on the accesses that succeed.
 *
 * Context: Any context.
 */
void __cold vmmem_fault(struct vmmem *vm, enum vmmem_fault_cause cause,
			u64 addr, u64 len, unsigned int access, unsigned long ip)
{
	vmmem_count(vm, VMMEM_STAT_FAULT + cause);
	trace_vmmem_fault(vm->name, addr, len, access, cause, ip);
}

/*
 * Why an access of @access at @addr fails now. Run after the access, so a
 * map changed in between may give another answer: the statistics are for
 * people, not for the access's result. Caller holds RCU.
 */
static int vmmem_fault_cause(struct vmmem *vm, u64 addr, unsigned int access)
{
	struct vmmem_region *region = vmmem_lookup(vm, addr);

	if (!region)
		return vm->iova ? vmmem_iova_fault_cause(vm, addr, access) :
				  VMMEM_FAULT_HOLE;
	if (!vmmem_region_permits(region, access | VMMEM_ACCESS_MAPPING))
		return VMMEM_FAULT_READ_ONLY;
	/* The provider did not map the page, or the call cannot map. */
	if (region->flags & VMMEM_REGION_ON_ACCESS)
		return VMMEM_FAULT_NOT_MAPPED;
	/* Accessible now: only a machine-check-safe copy stops there. */
	if (region->flags & VMMEM_REGION_COPY_MC)
		return VMMEM_FAULT_MEMORY_ERROR;
	return -1;
}

/**
 * vmmem_walk_fault() - count and trace a copy or walk that stopped short
 * @vm: the map or view
 * @addr: the first address of the range
 * @len: its length
 * @done: the bytes accessed before it stopped, less than @len
 * @access: %VMMEM_READ or %VMMEM_WRITE
 * @ip: the caller of the API function
 *
 * A copy to or from an iov_iter that stopped at the iterator's end or at a
 * user fault, with guest memory accessible, counts nothing.
 *
 * Context: Any context.
 */
void __cold vmmem_walk_fault(struct vmmem *vm, u64 addr, u64 len, u64 done,
			     unsigned int access, unsigned long ip)
{
	int cause;

	if (check_add_overflow(addr, done, &addr)) {
		cause = VMMEM_FAULT_PAST_END;
	} else {
		rcu_read_lock();
		cause = vmmem_fault_cause(vm, addr, access);
		rcu_read_unlock();
		if (cause < 0)
			return;
	}
	vmmem_fault(vm, cause, addr, len - done, access, ip);
}

/**
 * vmmem_access_fault() - count and trace an access that returned an error
 * @vm: the map or view
 * @ret: the access's error; only -EFAULT and -EINVAL (with valid @access)
 *	are faults, anything else counts nothing
 * @einval: the cause -EINVAL stands for in this call: a misaligned single
 *	access, or a slice or cache window that leaves its region
 * @addr: the address that failed
 * @len: the length of the access
 * @access: %VMMEM_READ and/or %VMMEM_WRITE
 * @ip: the caller of the API function
 *
 * Context: Any context.
 * Return: @ret.
 */
int __cold vmmem_access_fault(struct vmmem *vm, int ret,
			      enum vmmem_fault_cause einval, u64 addr, u64 len,
			      unsigned int access, unsigned long ip)
{
	int cause = -1;

	if (ret == -EINVAL && vmmem_access_valid(access)) {
		cause = einval;
	} else if (ret == -EFAULT) {
		rcu_read_lock();
		cause = vmmem_fault_cause(vm, addr, access);
		rcu_read_unlock();
		/* Accessible by now: a range past 2^64 - 1, or a race. */
		if (cause < 0)
			cause = len && addr + (len - 1) < addr ?
				VMMEM_FAULT_PAST_END : VMMEM_FAULT_HOLE;
	}
	if (cause >= 0)
		vmmem_fault(vm, cause, addr, len, access, ip);
	return ret;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>

/* Benchmarks compare accesses with and without counting. */
void vmmem_kunit_stats_enable(bool on)
{
	if (on)
		static_branch_enable(&vmmem_stats_on);
	else
		static_branch_disable(&vmmem_stats_on);
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_kunit_stats_enable);
#endif
