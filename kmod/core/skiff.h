/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skiff.ko core: the /dev/skiff device, VMs and their memslots. The
 * ioctls are KVM's (numbers and structs from <linux/kvm.h>), so one
 * monitor runs on /dev/kvm or /dev/skiff; docs/kmod.md lists what is
 * implemented. This header is the interface of kmod/core.
 */
#ifndef SKIFF_CORE_H
#define SKIFF_CORE_H

#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

/*
 * Slots a VM may have. KVM allows 32764 in address space 0; a unikernel
 * monitor uses a handful. CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS) says so.
 */
#define SKIFF_MAX_SLOTS		32
/* The most pages one slot may have (KVM: KVM_MEM_MAX_NR_PAGES). */
#define SKIFF_SLOT_MAX_PAGES	((1UL << 31) - 1)

/*
 * A memslot: guest frames [base_gfn, base_gfn + npages) backed by the
 * creating process's memory at userspace_addr. Its pages are pinned
 * while the slot exists (released on removal and VM close), so the MMU
 * can map them without faulting them in from the run loop.
 */
struct skiff_memslot {
	u32 id;
	u32 flags;		/* KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY */
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	struct page **pages;
};

struct skiff_vm {
	struct mutex lock;		/* slots */
	struct mm_struct *mm;		/* the creator's: ioctls come from it */
	struct skiff_memslot *slots[SKIFF_MAX_SLOTS];
	u64 pinned_pages;		/* charged to the creator's locked_vm */
};

/* dev.c: /dev/skiff and its ioctls. */
int skiff_dev_register(void);
void skiff_dev_unregister(void);
long skiff_check_extension(unsigned long cap);

/* vm.c: KVM_CREATE_VM and the VM fd. */
int skiff_vm_create(unsigned long type);

/* memslot.c: KVM_SET_USER_MEMORY_REGION and slot lifetime. */
int skiff_memslot_set(struct skiff_vm *vm,
		      const struct kvm_userspace_memory_region *mem);
void skiff_memslots_free(struct skiff_vm *vm);

#endif
