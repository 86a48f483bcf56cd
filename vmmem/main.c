// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module life: the workqueue that frees removed regions, and the module's
 * identity.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "vmmem.h"

struct workqueue_struct *vmmem_wq;

static int __init vmmem_init(void)
{
	/*
	 * Not WQ_MEM_RECLAIM: freeing a region only gives memory back, it
	 * never has to make progress for reclaim to.
	 */
	vmmem_wq = alloc_workqueue("vmmem", WQ_UNBOUND, 0);
	if (!vmmem_wq)
		return -ENOMEM;
	return 0;
}

static void __exit vmmem_exit(void)
{
	/* Regions queued by queue_rcu_work() wait in call_rcu() first. */
	rcu_barrier();
	destroy_workqueue(vmmem_wq);
}

module_init(vmmem_init);
module_exit(vmmem_exit);

MODULE_DESCRIPTION("Guest-physical memory access for in-kernel devices");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMMEM_VERSION);
