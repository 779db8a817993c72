// SPDX-License-Identifier: GPL-2.0
/*
 * skiff.ko: a small hypervisor core for unikernels behind a subset of
 * KVM's ioctl ABI on /dev/skiff (docs/kmod.md).
 */
#include <linux/module.h>

#include <asm/cpufeature.h>

#include "skiff.h"
#include "../svm/svm.h"
#include "../vmx/vmx.h"

const struct skiff_arch_ops *skiff_arch;

/*
 * Two-dimensional paging (AMD's NPT, Intel's EPT), or shadow paging
 * with tdp=0. The SVM backend's own npt parameter says the same for
 * AMD and is kept: nested paging is used only if both allow it.
 */
static bool tdp = true;
module_param(tdp, bool, 0444);
MODULE_PARM_DESC(tdp, "two-dimensional paging, NPT or EPT (1, default) or shadow paging (0)");

static bool skiff_is_vmx;

/* The backend the CPU has: SVM on AMD and Hygon, VMX on Intel. */
static const struct skiff_arch_ops *skiff_arch_init(void)
{
	if (boot_cpu_has(X86_FEATURE_SVM))
		return skiff_svm_init(tdp);
	if (boot_cpu_has(X86_FEATURE_VMX)) {
		skiff_is_vmx = true;
		return skiff_vmx_init(tdp);
	}
	pr_info("skiff: this CPU has neither SVM nor VMX\n");
	return ERR_PTR(-ENODEV);
}

static void skiff_arch_exit(void)
{
	if (skiff_is_vmx)
		skiff_vmx_exit();
	else
		skiff_svm_exit();
}

/* The vendor backend must work before /dev/skiff appears. */
static int __init skiff_init(void)
{
	const struct skiff_arch_ops *ops = skiff_arch_init();
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
		skiff_arch_exit();
	}
	return r;
}

static void __exit skiff_exit(void)
{
	skiff_dev_unregister();
	skiff_live_exit();
	skiff_vcpu_run_exit();
	skiff_arch_exit();
}

module_init(skiff_init);
module_exit(skiff_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("skiff: KVM-compatible hypervisor core for unikernels");
