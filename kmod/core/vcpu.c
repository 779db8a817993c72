// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CREATE_VCPU and the vCPU file descriptor: the mmap'ed kvm_run
 * page and the vCPU ioctls. One vCPU per VM for now, id 0
 * (CHECK_EXTENSION(KVM_CAP_MAX_VCPUS) says 1).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "skiff.h"

static void skiff_vcpu_free(struct skiff_vcpu *v)
{
	if (v->arch)
		skiff_arch->vcpu_free(v);
	fpu_free_guest_fpstate(&v->fpu);
	kfree(v->cpuid);
	free_page((unsigned long)v->run);
	kfree(v);
	skiff_live_add(SKIFF_LIVE_VCPUS, -1);
}

static int skiff_vcpu_release(struct inode *inode, struct file *file)
{
	struct skiff_vcpu *v = file->private_data;
	struct skiff_vm *vm = v->vm;

	mutex_lock(&vm->lock);
	vm->vcpu = NULL;
	mutex_unlock(&vm->lock);
	skiff_vcpu_free(v);
	skiff_vm_put(vm);
	return 0;
}

/* The run page is the only page of the mapping; past it is SIGBUS. */
static vm_fault_t skiff_vcpu_fault(struct vm_fault *vmf)
{
	struct skiff_vcpu *v = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(v->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct skiff_vcpu_vm_ops = {
	.fault = skiff_vcpu_fault,
};

static int skiff_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &skiff_vcpu_vm_ops;
	return 0;
}

static long skiff_vcpu_get_regs(struct skiff_vcpu *v, void __user *argp)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	skiff_arch->get_regs(v, &regs);
	return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long skiff_vcpu_set_regs(struct skiff_vcpu *v, void __user *argp)
{
	struct kvm_regs regs;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	skiff_arch->set_regs(v, &regs);
	return 0;
}

static long skiff_vcpu_get_sregs(struct skiff_vcpu *v, void __user *argp)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	skiff_arch->get_sregs(v, &sregs);
	return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long skiff_vcpu_set_sregs(struct skiff_vcpu *v, void __user *argp)
{
	struct kvm_sregs sregs;

	if (copy_from_user(&sregs, argp, sizeof(sregs)))
		return -EFAULT;
	return skiff_arch->set_sregs(v, &sregs);
}

static long skiff_vcpu_dispatch(struct skiff_vcpu *v, unsigned int cmd,
				unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KVM_RUN:
		return arg ? -EINVAL : skiff_vcpu_run(v);
	case KVM_GET_REGS:
		return skiff_vcpu_get_regs(v, argp);
	case KVM_SET_REGS:
		return skiff_vcpu_set_regs(v, argp);
	case KVM_GET_SREGS:
		return skiff_vcpu_get_sregs(v, argp);
	case KVM_SET_SREGS:
		return skiff_vcpu_set_sregs(v, argp);
	case KVM_SET_CPUID2:
		return skiff_set_cpuid2(v, argp);
	case KVM_GET_MSRS:
		return skiff_vcpu_msrs(v, argp, false);
	case KVM_SET_MSRS:
		return skiff_vcpu_msrs(v, argp, true);
	case KVM_GET_FPU:
		return skiff_vcpu_get_fpu(v, argp);
	case KVM_SET_FPU:
		return skiff_vcpu_set_fpu(v, argp);
	case KVM_GET_TSC_KHZ:
		return tsc_khz ? tsc_khz : -EIO;
	default:
		return -ENOTTY;
	}
}

static long skiff_vcpu_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct skiff_vcpu *v = file->private_data;
	long r;

	if (v->vm->mm != current->mm)
		return -EIO;
	/* As KVM: a second caller waits, or is told to come back. */
	if (mutex_lock_killable(&v->lock))
		return -EINTR;
	r = skiff_vcpu_dispatch(v, cmd, arg);
	mutex_unlock(&v->lock);
	return r;
}

static const struct file_operations skiff_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = skiff_vcpu_release,
	.unlocked_ioctl = skiff_vcpu_ioctl,
	.mmap = skiff_vcpu_mmap,
	.llseek = noop_llseek,
};

static struct skiff_vcpu *skiff_vcpu_alloc(struct skiff_vm *vm)
{
	struct skiff_vcpu *v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);

	if (!v)
		return NULL;
	v->vm = vm;
	mutex_init(&v->lock);
	skiff_vcpu_run_setup(v);
	v->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->run)
		goto err_free;
	if (!fpu_alloc_guest_fpstate(&v->fpu))
		goto err_run;
	if (skiff_arch->vcpu_init(v))
		goto err_fpu;
	skiff_live_add(SKIFF_LIVE_VCPUS, 1);
	return v;
err_fpu:
	fpu_free_guest_fpstate(&v->fpu);
err_run:
	free_page((unsigned long)v->run);
err_free:
	kfree(v);
	return NULL;
}

/*
 * skiff_vcpu_create - KVM_CREATE_VCPU: id 0 only (-EINVAL otherwise),
 * once per VM (-EEXIST after). Returns the vCPU's fd.
 */
int skiff_vcpu_create(struct skiff_vm *vm, unsigned long id)
{
	struct skiff_vcpu *v;
	int fd;

	if (id)
		return -EINVAL;
	mutex_lock(&vm->lock);
	fd = -EEXIST;
	if (vm->vcpu_made)
		goto out;
	fd = -ENOMEM;
	v = skiff_vcpu_alloc(vm);
	if (!v)
		goto out;
	kref_get(&vm->ref);
	fd = anon_inode_getfd("skiff-vcpu", &skiff_vcpu_fops, v,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		skiff_vcpu_free(v);
		skiff_vm_put(vm);	/* never the last: the VM fd holds one */
		goto out;
	}
	vm->vcpu = v;
	vm->vcpu_made = true;
out:
	mutex_unlock(&vm->lock);
	return fd;
}
