/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every difference between the kernel versions vmmem builds against lives
 * here, so the rest of the sources read as plain kernel code.
 */
#ifndef _VMMEM_COMPAT_H
#define _VMMEM_COMPAT_H

#include <linux/export.h>
#include <linux/maple_tree.h>
#include <linux/rcupdate.h>
#include <linux/uio.h>
#include <linux/version.h>

/*
 * The symbol namespace of every vmmem export, in the form this kernel's
 * EXPORT_SYMBOL_NS_GPL() takes: a string literal from 6.13, a bare word
 * before.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define VMMEM_NS	"VMMEM"
#else
#define VMMEM_NS	VMMEM
#endif

/*
 * KUnit's static stubs (6.3) let the suites replace a function that no
 * test can make fail for real, such as a machine-check-safe copy.
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#include <kunit/static_stub.h>
#else
#define KUNIT_STATIC_STUB_REDIRECT(real_fn_name, args...) ((void)(real_fn_name))
#endif

/* 6.12 moved the unaligned-access helpers out of asm/. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Free after a grace period, without an rcu_head in the object (so a
 * small one fits a cache line); may sleep. 6.3 renamed the one-argument
 * kvfree_rcu(), and stable kernels before it (Debian's 6.1) have the new
 * name too.
 */
#ifndef kvfree_rcu_mightsleep
#define kvfree_rcu_mightsleep(ptr)	kvfree_rcu(ptr)
#endif

/*
 * Iterators whose copies may fault or allocate, and so sleep: vmmem copies
 * them outside rcu_read_lock(), piece by piece through held slices. Before
 * 6.4 a pipe iterator is one of them: filling a pipe allocates pages, and
 * it is not user-backed.
 */
static inline bool vmmem_iter_may_sleep(const struct iov_iter *iter)
{
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
	return user_backed_iter(iter);
#else
	return user_backed_iter(iter) || iov_iter_is_pipe(iter);
#endif
}

/*
 * Copy every range of the tree @from into the empty tree @to; the caller
 * holds both trees' lock. 6.8 added __mt_dup(), which copies whole nodes;
 * before, the copy is rebuilt by in-order stores.
 */
static inline int vmmem_tree_copy(struct maple_tree *from, struct maple_tree *to)
{
#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
	return __mt_dup(from, to, GFP_KERNEL_ACCOUNT);
#else
	MA_STATE(src, from, 0, 0);
	MA_STATE(dst, to, 0, 0);
	void *entry;
	int ret;

	mas_for_each(&src, entry, ULONG_MAX) {
		mas_set_range(&dst, src.index, src.last);
		ret = mas_store_gfp(&dst, entry, GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret;
	}
	return 0;
#endif
}

#endif /* _VMMEM_COMPAT_H */
