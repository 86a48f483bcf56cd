// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's identity. vmmem keeps no global state: everything lives in
 * the struct vmmem objects its users create.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("Guest-physical memory access for in-kernel devices");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMMEM_VERSION);
