// SPDX-License-Identifier: GPL-2.0
/*
 * skiff.ko: a small hypervisor core for unikernels behind a subset of
 * KVM's ioctl ABI on /dev/skiff (docs/kmod.md).
 */
#include <linux/module.h>

#include "skiff.h"

static int __init skiff_init(void)
{
	return skiff_dev_register();
}

static void __exit skiff_exit(void)
{
	skiff_dev_unregister();
}

module_init(skiff_init);
module_exit(skiff_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("skiff: KVM-compatible hypervisor core for unikernels");
