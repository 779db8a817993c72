// SPDX-License-Identifier: GPL-2.0
/*
 * Live objects: what skiff.ko holds right now, counted where it is
 * allocated and freed (VMs, vCPUs, memslots, MMU table pages and MMU
 * allocations, pinned guest pages). /sys/kernel/debug/skiff/live shows
 * them, so a test can check that a process killed mid-run leaves
 * nothing behind; and unloading the module reports any count that is
 * not back to zero as a leak in the kernel log. The slab caches are
 * shared with the rest of the kernel, so /proc/slabinfo cannot tell
 * this; KVM keeps similar figures in its own debugfs directory.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "skiff.h"

static const char *const live_names[SKIFF_NR_LIVE] = {
	[SKIFF_LIVE_VMS] = "vms",
	[SKIFF_LIVE_VCPUS] = "vcpus",
	[SKIFF_LIVE_SLOTS] = "memslots",
	[SKIFF_LIVE_TABLES] = "mmu_tables",
	[SKIFF_LIVE_ALLOCS] = "mmu_allocs",
	[SKIFF_LIVE_PINNED] = "pinned_pages",
};

atomic_long_t skiff_live[SKIFF_NR_LIVE];

static struct dentry *live_dir;

static int live_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < SKIFF_NR_LIVE; i++)
		seq_printf(m, "%s %ld\n", live_names[i],
			   atomic_long_read(&skiff_live[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(live);

/* Without debugfs the counts are still kept, for the check at unload. */
void skiff_live_init(void)
{
	live_dir = debugfs_create_dir("skiff", NULL);
	debugfs_create_file("live", 0444, live_dir, NULL, &live_fops);
}

/* At unload every fd is closed: anything still counted was leaked. */
void skiff_live_exit(void)
{
	long n;
	int i;

	debugfs_remove_recursive(live_dir);
	for (i = 0; i < SKIFF_NR_LIVE; i++) {
		n = atomic_long_read(&skiff_live[i]);
		if (n)
			pr_err("skiff: leak: %ld %s at unload\n", n,
			       live_names[i]);
	}
}
