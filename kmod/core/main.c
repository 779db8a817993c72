// SPDX-License-Identifier: GPL-2.0
/*
 * skiff.ko: a small hypervisor core for unikernels behind a subset of
 * KVM's ioctl ABI on /dev/skiff (docs/kmod.md).
 */
#include <linux/module.h>

#include "skiff.h"
#include "../svm/svm.h"

const struct skiff_arch_ops *skiff_arch;

/* The vendor backend must work before /dev/skiff appears. */
static int __init skiff_init(void)
{
	const struct skiff_arch_ops *ops = skiff_svm_init();
	int r;

	if (IS_ERR(ops))
		return PTR_ERR(ops);
	skiff_arch = ops;
	skiff_vcpu_run_init();
	skiff_live_init();
	r = skiff_dev_register();
	if (r) {
		skiff_live_exit();
		skiff_vcpu_run_exit();
		skiff_svm_exit();
	}
	return r;
}

static void __exit skiff_exit(void)
{
	skiff_dev_unregister();
	skiff_live_exit();
	skiff_vcpu_run_exit();
	skiff_svm_exit();
}

module_init(skiff_init);
module_exit(skiff_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("skiff: KVM-compatible hypervisor core for unikernels");
