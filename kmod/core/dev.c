// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/skiff: the system ioctls of KVM's ABI that skiff implements.
 * Everything else is -ENOTTY, as on /dev/kvm for an unknown ioctl.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "skiff.h"

/*
 * KVM_CHECK_EXTENSION: true answers for exactly what is implemented, so
 * a monitor that probes before use takes the right path.
 */
long skiff_check_extension(unsigned long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_IMMEDIATE_EXIT:
		return 1;
	case KVM_CAP_NR_MEMSLOTS:
		return SKIFF_MAX_SLOTS;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return 1;
	default:
		return 0;
	}
}

static long skiff_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return skiff_check_extension(arg);
	case KVM_CREATE_VM:
		return skiff_vm_create(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : SKIFF_RUN_SIZE;
	case KVM_GET_SUPPORTED_CPUID:
		return skiff_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		return skiff_get_msr_index_list((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations skiff_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = skiff_dev_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice skiff_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "skiff",
	.fops = &skiff_dev_fops,
};

int skiff_dev_register(void)
{
	return misc_register(&skiff_misc);
}

void skiff_dev_unregister(void)
{
	misc_deregister(&skiff_misc);
}
