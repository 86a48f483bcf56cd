// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs: vmmem/<map name>/ for each live map, readable by root only:
 *  - regions: one line per region of the current layout;
 *  - map: the map as a whole (generation, updates, snapshots, holders,
 *    pinned and charged pages, dirty logging, IOVA spaces);
 *  - stats: the map's statistics, summed over the CPUs (stats.c).
 * A read takes the map's update lock, never anything an access takes, so
 * reading never blocks the readers of the map (only its updates, briefly).
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>

#include "vmmem.h"

static struct dentry *vmmem_debugfs_root;

static const char *const vmmem_backing_names[] = {
	[VMMEM_BACKING_VMALLOC] = "vmalloc",
	[VMMEM_BACKING_USER] = "user",
	[VMMEM_BACKING_PAGES] = "pages",
	[VMMEM_BACKING_HOST_RAM] = "hostram",
	[VMMEM_BACKING_MAPPED] = "mapped",
};

/* Dirty bits set in @region's bitmap, as a harvest would report them. */
static unsigned long vmmem_dirty_weight(const struct vmmem_region *region)
{
	unsigned long i, n = 0;

	if (!region->dirty)
		return 0;
	/* Words that writers set with atomics meanwhile: a snapshot. */
	for (i = 0; i < BITS_TO_LONGS(region->npages); i++)
		n += hweight_long(READ_ONCE(region->dirty[i]));
	return n;
}

static int vmmem_regions_show(struct seq_file *m, struct vmmem *vm)
{
	struct vmmem_layout *layout;
	struct vmmem_region *r;
	unsigned int i;

	seq_puts(m, "# first              last               backing access pages   large   log dirty   refs\n");
	mutex_lock(&vm->lock);
	layout = vmmem_current_layout(vm);
	for (i = 0; i < layout->nr_regions; i++) {
		r = layout->regions[i];
		seq_printf(m, "0x%016llx 0x%016llx %-7s %-6s %-7lu %-7lu %-3s %-7lu %u\n",
			   r->gpa, vmmem_region_last(r),
			   vmmem_backing_names[r->ops->backing],
			   r->flags & VMMEM_REGION_RDONLY ? "r" : "rw",
			   r->npages, r->nr_large, READ_ONCE(r->log) ? "on" : "off",
			   vmmem_dirty_weight(r), refcount_read(&r->ref));
	}
	mutex_unlock(&vm->lock);
	return 0;
}

static int vmmem_map_show(struct seq_file *m, struct vmmem *vm)
{
	unsigned long pinned = 0, charged = 0, held = 0;
	struct vmmem_layout *layout;
	struct vmmem_region *r;
	unsigned int i;
	u64 bytes = 0;

	mutex_lock(&vm->lock);
	layout = vmmem_current_layout(vm);
	for (i = 0; i < layout->nr_regions; i++) {
		r = layout->regions[i];
		bytes += r->size;
		if (r->mm)
			pinned += r->npages;
		if (r->user)
			charged += r->npages;
		/* Beyond the current layout's own: holders, older layouts. */
		held += refcount_read(&r->ref) - 1;
	}
	seq_printf(m, "name: %s\n", vm->name);
	seq_printf(m, "generation: %llu\n", layout->generation);
	seq_printf(m, "updates: %llu\n", vm->nr_updates);
	seq_printf(m, "regions: %u\n", layout->nr_regions);
	seq_printf(m, "bytes: %llu\n", bytes);
	seq_printf(m, "snapshots: %d\n", atomic_read(&vm->nr_snapshots));
	seq_printf(m, "region_refs_beyond_layout: %lu\n", held);
	seq_printf(m, "removed_not_released: %d\n", atomic_read(&vm->nr_removed));
	seq_printf(m, "pinned_pages: %lu\n", pinned);
	seq_printf(m, "memlock_pages: %lu\n", charged);
	seq_printf(m, "dirty_logging: %s\n", vm->dirty_logging ? "on" : "off");
	vmmem_iova_seq_show(m, vm);
	mutex_unlock(&vm->lock);
	return 0;
}

static int vmmem_stats_show(struct seq_file *m, struct vmmem *vm)
{
	u64 sums[VMMEM_NR_STATS];
	unsigned int i;

	vmmem_stats_sum(vm, sums);
	for (i = 0; i < VMMEM_NR_STATS; i++)
		seq_printf(m, "%s: %llu\n", vmmem_stat_names[i], sums[i]);
	return 0;
}

#define VMMEM_DEBUGFS_FILE(what)					\
static int vmmem_##what##_seq(struct seq_file *m, void *unused)	\
{									\
	return vmmem_##what##_show(m, m->private);			\
}									\
static int vmmem_##what##_open(struct inode *inode, struct file *f)	\
{									\
	return single_open(f, vmmem_##what##_seq, inode->i_private);	\
}									\
static const struct file_operations vmmem_##what##_fops = {		\
	.owner = THIS_MODULE,						\
	.open = vmmem_##what##_open,					\
	.read = seq_read,						\
	.llseek = seq_lseek,						\
	.release = single_release,					\
}

VMMEM_DEBUGFS_FILE(regions);
VMMEM_DEBUGFS_FILE(map);
VMMEM_DEBUGFS_FILE(stats);

/**
 * vmmem_debugfs_add() - give a new map its directory
 * @vm: the live map, fully built
 *
 * The directory is the map's name, or "<name>.<n>" if another map has the
 * name already. Failures leave the map without files, as debugfs wants.
 *
 * Context: Process context.
 */
void vmmem_debugfs_add(struct vmmem *vm)
{
	static atomic_t seq = ATOMIC_INIT(0);
	char name[VMMEM_NAME_MAX + 12];
	struct dentry *dir, *old;

	if (IS_ERR_OR_NULL(vmmem_debugfs_root))
		return;
	strscpy(name, vm->name, sizeof(name));
	/* Looked up first: creating a name that exists logs an error. */
	while ((old = debugfs_lookup(name, vmmem_debugfs_root))) {
		dput(old);
		snprintf(name, sizeof(name), "%s.%u", vm->name,
			 atomic_inc_return(&seq));
	}
	dir = debugfs_create_dir(name, vmmem_debugfs_root);
	if (IS_ERR(dir))
		return;
	debugfs_create_file("regions", 0400, dir, vm, &vmmem_regions_fops);
	debugfs_create_file("map", 0400, dir, vm, &vmmem_map_fops);
	debugfs_create_file("stats", 0400, dir, vm, &vmmem_stats_fops);
	vm->debugfs = dir;
}

/**
 * vmmem_debugfs_remove() - remove a map's directory
 * @vm: the live map, whose last user is gone
 *
 * Returns once no read of its files is under way.
 *
 * Context: Process context; sleeps.
 */
void vmmem_debugfs_remove(struct vmmem *vm)
{
	debugfs_remove(vm->debugfs);
	vm->debugfs = NULL;
}

void vmmem_debugfs_init(void)
{
	vmmem_debugfs_root = debugfs_create_dir("vmmem", NULL);
}

void vmmem_debugfs_exit(void)
{
	debugfs_remove(vmmem_debugfs_root);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/visibility.h>

/* For tests: what reading @file of @vm's directory gives, into @m. */
int vmmem_debugfs_show(struct seq_file *m, struct vmmem *vm, const char *file)
{
	if (!strcmp(file, "regions"))
		return vmmem_regions_show(m, vm);
	if (!strcmp(file, "map"))
		return vmmem_map_show(m, vm);
	if (!strcmp(file, "stats"))
		return vmmem_stats_show(m, vm);
	return -ENOENT;
}
EXPORT_SYMBOL_IF_KUNIT(vmmem_debugfs_show);
#endif
