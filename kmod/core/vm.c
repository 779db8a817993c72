// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VM and the VM file descriptor. One VM per fd. The VM fd
 * and its vCPU's fd each hold a reference; the last one to close frees
 * everything the VM holds, so a killed process leaves nothing pinned.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "skiff.h"

static void skiff_vm_free(struct kref *ref)
{
	struct skiff_vm *vm = container_of(ref, struct skiff_vm, ref);

	/* The MMU maps the slots' pages: it goes before they are unpinned. */
	mmu_destroy(vm->mmu);
	vm->mmu = NULL;
	skiff_memslots_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
	skiff_live_add(SKIFF_LIVE_VMS, -1);
}

void skiff_vm_put(struct skiff_vm *vm)
{
	kref_put(&vm->ref, skiff_vm_free);
}

static int skiff_vm_release(struct inode *inode, struct file *file)
{
	skiff_vm_put(file->private_data);
	return 0;
}

static long skiff_vm_set_memory(struct skiff_vm *vm, void __user *argp)
{
	struct kvm_userspace_memory_region mem;
	long r;

	if (copy_from_user(&mem, argp, sizeof(mem)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	skiff_vm_mmu_begin(vm);
	r = skiff_memslot_set(vm, &mem);
	skiff_vm_mmu_end(vm);
	mutex_unlock(&vm->lock);
	return r;
}

static long skiff_vm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct skiff_vm *vm = file->private_data;

	/* As KVM: a VM is used only from the process that made it. */
	if (vm->mm != current->mm)
		return -EIO;
	switch (cmd) {
	case KVM_SET_USER_MEMORY_REGION:
		return skiff_vm_set_memory(vm, (void __user *)arg);
	case KVM_CREATE_VCPU:
		return skiff_vcpu_create(vm, arg);
	case KVM_GET_DIRTY_LOG:
		return skiff_get_dirty_log(vm, (void __user *)arg);
	case KVM_CLEAR_DIRTY_LOG:
		return skiff_clear_dirty_log(vm, (void __user *)arg);
	case KVM_ENABLE_CAP:
		return skiff_vm_enable_cap(vm, (void __user *)arg);
	case KVM_CHECK_EXTENSION:
		return skiff_check_extension(arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations skiff_vm_fops = {
	.owner = THIS_MODULE,
	.release = skiff_vm_release,
	.unlocked_ioctl = skiff_vm_ioctl,
	.llseek = noop_llseek,
};

/*
 * skiff_vm_create - KVM_CREATE_VM: type 0 (the default machine type) is
 * the only one. Returns the new VM's fd or a negative errno.
 */
int skiff_vm_create(unsigned long type)
{
	struct skiff_vm *vm;
	int fd;

	if (type)
		return -EINVAL;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	skiff_live_add(SKIFF_LIVE_VMS, 1);
	mutex_init(&vm->lock);
	kref_init(&vm->ref);
	mmgrab(current->mm);
	vm->mm = current->mm;
	fd = skiff_mmu_create(vm);
	if (fd)
		goto err;
	fd = anon_inode_getfd("skiff-vm", &skiff_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		goto err;
	return fd;
err:
	skiff_vm_put(vm);
	return fd;
}
