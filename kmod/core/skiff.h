/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skiff.ko core: the /dev/skiff device, VMs and their memslots. The
 * ioctls are KVM's (numbers and structs from <linux/kvm.h>), so one
 * monitor runs on /dev/kvm or /dev/skiff; docs/kmod.md lists what is
 * implemented. This header is the interface of kmod/core.
 */
#ifndef SKIFF_CORE_H
#define SKIFF_CORE_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "../mmu/mmu.h"
#include "emulate.h"

/*
 * Slots a VM may have. KVM allows 32764 in address space 0; a unikernel
 * monitor uses a handful. CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS) says so.
 */
#define SKIFF_MAX_SLOTS		32
/* The most pages one slot may have (KVM: KVM_MEM_MAX_NR_PAGES). */
#define SKIFF_SLOT_MAX_PAGES	((1UL << 31) - 1)

/*
 * A memslot: guest frames [base_gfn, base_gfn + npages) backed by the
 * creating process's memory at userspace_addr. Its pages are pinned in
 * 2 MiB chunks on first use and stay pinned while the slot exists
 * (released on removal and VM close); pages[] is NULL where not yet.
 */
struct skiff_memslot {
	u32 id;
	u32 flags;		/* KVM_MEM_LOG_DIRTY_PAGES, KVM_MEM_READONLY */
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	struct page **pages;
	/*
	 * Pages pinned for writing (FOLL_WRITE). Only these may ever be
	 * written for the guest: a page pinned for reading may be shared,
	 * the zero page even (memslot.c).
	 */
	unsigned long *pinned_w;
};

struct skiff_vcpu;

struct skiff_vm {
	struct mutex lock;		/* slots, mmu, vcpu creation */
	struct mm_struct *mm;		/* the creator's: ioctls come from it */
	struct skiff_memslot *slots[SKIFF_MAX_SLOTS];
	u64 pinned_pages;		/* charged to the creator's locked_vm */
	struct mmu *mmu;		/* guest memory as the hardware sees it */
	bool mmu_flush;			/* the MMU dropped mappings: flush TLB */
	bool flush_gva_pending;		/* flush flush_gva (mmu_host.c) */
	u64 flush_gva;
	/*
	 * Odd while a thread other than the vCPU's changes the MMU (a
	 * memslot, the dirty log), bumped again when it is done; an entry
	 * runs only on an MMU no such change touched since the vCPU took
	 * its root (vcpu_run.c).
	 */
	unsigned long mmu_seq;
	bool manual_protect;		/* MANUAL_DIRTY_LOG_PROTECT2 enabled */
	struct skiff_vcpu *vcpu;	/* one per VM for now */
	bool vcpu_made;			/* ids are never reused, as KVM */
	struct kref ref;		/* the VM fd and the vCPU fd */
};

/* The CPUID table a monitor gave with KVM_SET_CPUID2. */
#define SKIFF_MAX_CPUID	80

/*
 * A port-I/O exit userspace has not yet completed. As KVM, RIP stays
 * on the IN or OUT until the next KVM_RUN, which moves it past and,
 * for IN, loads the value userspace left in the run page.
 */
struct skiff_pending_io {
	bool pending;
	bool in;
	u8 size;
	u64 next_rip;
};

struct skiff_vcpu {
	struct skiff_vm *vm;
	struct mutex lock;		/* one vCPU ioctl at a time */
	struct kvm_run *run;		/* the page userspace maps */
	struct fpu_guest fpu;		/* the guest's FPU/XSAVE state */
	u64 gprs[SKIFF_NR_GPRS];	/* RAX and RSP live in the VMCB */
	struct skiff_pending_io pio;
	u32 cpuid_nent;
	struct kvm_cpuid_entry2 *cpuid;
	u64 tsc_offset;
	struct preempt_notifier pn;	/* vcpu_put when KVM_RUN is preempted */
	u64 retry_rip, retry_gpa;	/* the last unprotect-and-retry (exit.c) */
	unsigned long mmu_seq;		/* vm->mmu_seq when the root was taken */
	bool in_guest;			/* between the entry check and the exit */
	int guest_cpu;			/* where, while in_guest */
	void *arch;			/* the vendor's state (kmod/svm, kmod/vmx) */
};

/*
 * The registers an emulated instruction reads and writes: GPRs in
 * KVM's order, wherever the backend keeps RAX and RSP.
 */
struct skiff_insn_regs {
	u64 gprs[SKIFF_NR_GPRS];
	u64 rflags;
	u64 rip;
};

/*
 * What a vendor backend (kmod/svm, kmod/vmx) offers the core.
 * run enters the guest once and handles the exit: it returns 1 to go
 * on in the kernel, 0 with kvm_run filled for userspace, or -errno.
 */
struct skiff_arch_ops {
	const char *name;
	int (*vcpu_init)(struct skiff_vcpu *v);
	void (*vcpu_free)(struct skiff_vcpu *v);
	int (*run)(struct skiff_vcpu *v);
	/* The vCPU leaves this CPU (preempted, or KVM_RUN returns). */
	void (*vcpu_put)(struct skiff_vcpu *v);
	void (*get_regs)(struct skiff_vcpu *v, struct kvm_regs *regs);
	void (*set_regs)(struct skiff_vcpu *v, const struct kvm_regs *regs);
	void (*get_sregs)(struct skiff_vcpu *v, struct kvm_sregs *sregs);
	int (*set_sregs)(struct skiff_vcpu *v, const struct kvm_sregs *sregs);
	int (*get_msr)(struct skiff_vcpu *v, u32 msr, u64 *val);
	int (*set_msr)(struct skiff_vcpu *v, u32 msr, u64 val);
	u32 nr_msrs_to_save;		/* of skiff_msrs_to_save */
	enum mmu_kind mmu_kind;
	/*
	 * The largest mapping mmu_kind's tables may hold: 2 (2 MiB), or 1
	 * where the CPU's EPT takes no 2 MiB pages. Never 1 GiB: slots are
	 * pinned as 4K pages, whose 2 MiB runs are found, not 1 GiB ones.
	 */
	u8 max_level;
	/*
	 * For the exits the core handles (exit.c): up to 15 instruction
	 * bytes at CS:RIP through the guest's tables (under vm->lock), the
	 * code segment's size (16, 32 or 64), the registers, which
	 * put_insn_regs writes back with RIP moved past len bytes, and
	 * a #PF handed to the guest with CR2 = addr.
	 */
	int (*fetch)(struct skiff_vcpu *v, u8 *buf);
	int (*code_mode)(struct skiff_vcpu *v);
	void (*get_insn_regs)(struct skiff_vcpu *v, struct skiff_insn_regs *r);
	void (*put_insn_regs)(struct skiff_vcpu *v,
			      const struct skiff_insn_regs *r, u32 len);
	void (*inject_pf)(struct skiff_vcpu *v, u64 addr, u32 err);
};

/* The backend picked at load time (main.c). */
extern const struct skiff_arch_ops *skiff_arch;

/* dev.c: /dev/skiff and its ioctls. */
int skiff_dev_register(void);
void skiff_dev_unregister(void);
long skiff_check_extension(unsigned long cap);

/* vm.c: KVM_CREATE_VM and the VM fd. */
int skiff_vm_create(unsigned long type);
void skiff_vm_put(struct skiff_vm *vm);
struct skiff_memslot *skiff_memslot_of_gfn(struct skiff_vm *vm, u64 gfn);
struct page *skiff_memslot_page(struct skiff_memslot *s, u64 idx);
bool skiff_memslot_page_writable(struct skiff_memslot *s, u64 idx);

/* dirty_log.c: the VM's dirty-log ioctls. */
long skiff_get_dirty_log(struct skiff_vm *vm, void __user *argp);
long skiff_clear_dirty_log(struct skiff_vm *vm, void __user *argp);
long skiff_vm_enable_cap(struct skiff_vm *vm, void __user *argp);

/* vcpu.c: KVM_CREATE_VCPU and the vCPU fd. */
#define SKIFF_RUN_SIZE		PAGE_SIZE
/* Port-I/O data sits in the run page, past struct kvm_run. */
#define SKIFF_PIO_OFFSET	ALIGN(sizeof(struct kvm_run), 64)
int skiff_vcpu_create(struct skiff_vm *vm, unsigned long id);

/* vcpu_state.c: MSRs and FPU, what a migration saves and restores. */
#define SKIFF_NR_MSRS_TO_SAVE	12	/* the last, TSC_AUX, if the CPU has it */
extern const u32 skiff_msrs_to_save[SKIFF_NR_MSRS_TO_SAVE];
bool skiff_pat_valid(u64 pat);
long skiff_get_msr_index_list(struct kvm_msr_list __user *ul);
long skiff_vcpu_msrs(struct skiff_vcpu *v, struct kvm_msrs __user *um,
		     bool set);
long skiff_vcpu_get_fpu(struct skiff_vcpu *v, struct kvm_fpu __user *uf);
long skiff_vcpu_set_fpu(struct skiff_vcpu *v, struct kvm_fpu __user *uf);

/* vcpu_run.c: KVM_RUN. */
long skiff_vcpu_run(struct skiff_vcpu *v);
void skiff_vcpu_run_init(void);
void skiff_vcpu_run_exit(void);
void skiff_vcpu_run_setup(struct skiff_vcpu *v);
void skiff_guest_fpu_load(void);
bool skiff_guest_enter(struct skiff_vcpu *v);
void skiff_guest_exit(struct skiff_vcpu *v);
void skiff_vm_mmu_begin(struct skiff_vm *vm);
void skiff_vm_mmu_end(struct skiff_vm *vm);
u64 skiff_shadow_root(struct skiff_vcpu *v, bool long_mode, u64 *pae_root,
		      u64 pae_root_pa);

/* cpuid.c: the CPUID the guest sees. */
int skiff_get_supported_cpuid(struct kvm_cpuid2 __user *uc);
int skiff_set_cpuid2(struct skiff_vcpu *v, struct kvm_cpuid2 __user *uc);
void skiff_cpuid(struct skiff_vcpu *v, u32 fn, u32 idx, u32 out[4]);

/* exit.c: exits both backends handle alike. */
int skiff_emulation_failed(struct skiff_vcpu *v);
void skiff_guest_paging(struct mmu_paging *pg, u64 cr0, u64 cr3, u64 cr4,
			u64 efer);
int skiff_fetch(struct skiff_vcpu *v, struct mmu_paging *pg, u64 va,
		bool cpl3, u8 *buf);
int skiff_mmio_exit(struct skiff_vcpu *v, u64 gpa, bool write);
int skiff_shadow_pf(struct skiff_vcpu *v, u64 addr, u32 ec);

/* No unprotect-and-retry is in progress (exit.c): after a reset, say. */
static inline void skiff_pt_retry_reset(struct skiff_vcpu *v)
{
	v->retry_rip = ~0ULL;
}

/* mmu_host.c: the MMU core over pinned memslots. */
int skiff_mmu_create(struct skiff_vm *vm);
int skiff_guest_read(struct skiff_vm *vm, u64 gpa, void *buf, u32 len);

/* live.c: counts of what the module holds (debugfs skiff/live). */
enum skiff_live_kind {
	SKIFF_LIVE_VMS,
	SKIFF_LIVE_VCPUS,
	SKIFF_LIVE_SLOTS,
	SKIFF_LIVE_TABLES,
	SKIFF_LIVE_ALLOCS,
	SKIFF_LIVE_PINNED,
	SKIFF_NR_LIVE
};
extern atomic_long_t skiff_live[SKIFF_NR_LIVE];

static inline void skiff_live_add(enum skiff_live_kind k, long n)
{
	atomic_long_add(n, &skiff_live[k]);
}

void skiff_live_init(void);
void skiff_live_exit(void);

/* memslot.c: KVM_SET_USER_MEMORY_REGION and slot lifetime. */
int skiff_memslot_set(struct skiff_vm *vm,
		      const struct kvm_userspace_memory_region *mem);
void skiff_memslots_free(struct skiff_vm *vm);

#endif
