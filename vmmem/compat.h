/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every difference between the kernel versions vmmem builds against lives
 * here, so the rest of the sources read as plain kernel code.
 */
#ifndef _VMMEM_COMPAT_H
#define _VMMEM_COMPAT_H

#include <linux/export.h>
#include <linux/version.h>

/*
 * The symbol namespace of every export. 6.13 turned the namespace argument
 * of EXPORT_SYMBOL_NS_GPL() from a bare word into a string.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define VMMEM_NS	"VMMEM"
#else
#define VMMEM_NS	VMMEM
#endif

/* 6.12 moved the unaligned-access helpers out of asm/. */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* _VMMEM_COMPAT_H */
