// SPDX-License-Identifier: GPL-2.0-only
/*
 * Uses an exported vmmem symbol without MODULE_IMPORT_NS(): neither modpost
 * nor the module loader may accept it. If it ever loads, it says so.
 */
#include <linux/err.h>
#include <linux/module.h>
#include <linux/vmmem.h>

static int __init vmmem_nsmissing_init(void)
{
	struct vmmem *vm = vmmem_create("nsmissing", 0);

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	vmmem_put(vm);
	return 0;
}
module_init(vmmem_nsmissing_init);

static void __exit vmmem_nsmissing_exit(void)
{
}
module_exit(vmmem_nsmissing_exit);

MODULE_DESCRIPTION("vmmem test: a consumer that does not import the VMMEM namespace");
MODULE_LICENSE("GPL");
