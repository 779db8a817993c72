// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and KVM_ENABLE_CAP(
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) over the MMU core's per-slot
 * logs, with KVM's checks and errnos. Without manual protect, GET
 * returns the pages written since the last GET and protects them
 * again; with it, GET only reads and CLEAR re-protects what it names,
 * so a migration can re-arm the log in chunks. KVM_DIRTY_LOG_INITIALLY_SET
 * is not offered: logging starts with every page clean and protected.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "skiff.h"

/* A slot id from userspace: address space 0 only, logging on. */
static struct skiff_memslot *logged_slot(struct skiff_vm *vm, u32 id)
{
	struct skiff_memslot *s;

	if ((id >> 16) || (u16)id >= SKIFF_MAX_SLOTS)
		return NULL;
	s = vm->slots[(u16)id];
	if (!s || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return NULL;
	return s;
}

static u64 bitmap_bytes(u64 npages)
{
	return ALIGN(npages, 64) / 8;
}

static long get_log_locked(struct skiff_vm *vm, const struct kvm_dirty_log *log)
{
	struct skiff_memslot *s = logged_slot(vm, log->slot);
	u64 *bitmap;
	long r;

	if (!s)
		return -ENOENT;
	bitmap = kvzalloc(bitmap_bytes(s->npages), GFP_KERNEL_ACCOUNT);
	if (!bitmap)
		return -ENOMEM;
	r = mmu_dirty_log_get(vm->mmu, s->id, bitmap, vm->manual_protect) ?
		-ENOENT : 0;
	if (!r && copy_to_user(log->dirty_bitmap, bitmap,
			       bitmap_bytes(s->npages)))
		r = -EFAULT;
	kvfree(bitmap);
	return r;
}

/* skiff_get_dirty_log - KVM_GET_DIRTY_LOG. */
long skiff_get_dirty_log(struct skiff_vm *vm, void __user *argp)
{
	struct kvm_dirty_log log;
	long r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	skiff_vm_mmu_begin(vm);
	r = get_log_locked(vm, &log);
	skiff_vm_mmu_end(vm);
	mutex_unlock(&vm->lock);
	return r;
}

/* KVM's range rule: 64-aligned start, 64-multiple length or to the end. */
static bool clear_range_ok(const struct kvm_clear_dirty_log *log, u64 npages)
{
	if (log->first_page & 63)
		return false;
	if (log->first_page > npages || log->num_pages > npages - log->first_page)
		return false;
	return !(log->num_pages & 63) ||
		log->first_page + log->num_pages == npages;
}

static long clear_log_locked(struct skiff_vm *vm,
			     const struct kvm_clear_dirty_log *log)
{
	struct skiff_memslot *s = logged_slot(vm, log->slot);
	u64 *mask;
	long r;

	if (!s)
		return -ENOENT;
	if (!clear_range_ok(log, s->npages))
		return -EINVAL;
	if (!log->num_pages)
		return 0;
	mask = vmemdup_user(log->dirty_bitmap, bitmap_bytes(log->num_pages));
	if (IS_ERR(mask))
		return PTR_ERR(mask);
	r = mmu_dirty_log_clear(vm->mmu, s->id, log->first_page,
				log->num_pages, mask) ? -EINVAL : 0;
	kvfree(mask);
	return r;
}

/* skiff_clear_dirty_log - KVM_CLEAR_DIRTY_LOG (manual protect only). */
long skiff_clear_dirty_log(struct skiff_vm *vm, void __user *argp)
{
	struct kvm_clear_dirty_log log;
	long r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	skiff_vm_mmu_begin(vm);
	r = vm->manual_protect ? clear_log_locked(vm, &log) : -EINVAL;
	skiff_vm_mmu_end(vm);
	mutex_unlock(&vm->lock);
	return r;
}

/* skiff_vm_enable_cap - KVM_ENABLE_CAP on a VM. */
long skiff_vm_enable_cap(struct skiff_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags || cap.cap != KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return -EINVAL;
	if (cap.args[0] & ~KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->manual_protect = cap.args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	mutex_unlock(&vm->lock);
	return 0;
}
