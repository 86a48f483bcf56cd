// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module life: the workqueue that releases what snapshots and held slices
 * kept alive, and the module's identity.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "vmmem.h"

struct workqueue_struct *vmmem_wq;

/**
 * vmmem_synchronize() - wait for deferred releases to finish
 *
 * Dropping a snapshot or a held slice never sleeps, so memory that only it
 * kept alive is released later, from a workqueue. This waits until every
 * such release queued before the call has completed: afterwards unpinned
 * pages are unaccounted and their memlock budget is free again.
 *
 * Context: Process context; sleeps.
 */
void vmmem_synchronize(void)
{
	rcu_barrier();
	flush_workqueue(vmmem_wq);
}
EXPORT_SYMBOL_NS_GPL(vmmem_synchronize, VMMEM_NS);

static int __init vmmem_init(void)
{
	/* Not WQ_MEM_RECLAIM: releasing regions only ever gives memory back. */
	vmmem_wq = alloc_workqueue("vmmem", WQ_UNBOUND, 0);
	if (!vmmem_wq)
		return -ENOMEM;
	vmmem_debugfs_init();
	return 0;
}

static void __exit vmmem_exit(void)
{
	/* Layouts queued with queue_rcu_work() sit in call_rcu() first. */
	rcu_barrier();
	destroy_workqueue(vmmem_wq);
	vmmem_debugfs_exit();
}

module_init(vmmem_init);
module_exit(vmmem_exit);

MODULE_DESCRIPTION("Guest-physical memory access for in-kernel devices");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMMEM_VERSION);
