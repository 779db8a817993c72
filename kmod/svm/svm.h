/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod/svm: the AMD SVM backend of skiff.ko. skiff_svm_init() is its
 * interface to the core; the rest of this header is shared by the
 * files of this folder. docs/kmod.md describes the design.
 */
#ifndef SKIFF_SVM_H
#define SKIFF_SVM_H

#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/types.h>
#include <asm/svm.h>

#include "../core/skiff.h"

/* The SVM backend, or an ERR_PTR (and why, in the log). */
const struct skiff_arch_ops *skiff_svm_init(bool tdp);
void skiff_svm_exit(void);

/* The address SVM wants for a page: with SME, its C-bit set. */
#define svm_page_pa(page)	__sme_set(page_to_phys(page))

/* What the CPU offers (CPUID 0x8000000A), read once at load. */
struct svm_caps {
	u32 max_asid;		/* highest usable ASID */
	bool nrips;		/* next_rip on exits */
	bool flush_by_asid;	/* TLB_CONTROL_FLUSH_ASID */
	bool decode_assists;	/* exit_info_1 decodes CR and INVLPG exits */
	bool npt;		/* nested paging, and the npt parameter */
	bool tsc_aux;		/* RDTSCP or RDPID: TSC_AUX is switched */
};

extern struct svm_caps svm_caps;

/* A vCPU's SVM state. */
struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	int last_cpu;		/* where the ASID below is valid */
	u64 asid_gen;
	u64 efer;		/* as the guest sees it (no SVME) */
	u32 tsc_aux;		/* what the guest's RDPID reads */
	/* Shadow paging: the guest's own CR0/CR3/CR4 (the VMCB's differ). */
	u64 cr0, cr3, cr4;
	u64 *pae_root;		/* the PDPT of a guest not in long mode */
	u64 pae_root_pa;
	bool paging_stale;	/* svm_shadow_load() before the next entry */
};

static inline struct svm_vcpu *to_svm(struct skiff_vcpu *v)
{
	return v->arch;
}

/* cpu.c: per-CPU SVM state around our VMRUN, and ASIDs. */
int svm_cpu_init(void);
void svm_cpu_exit(void);
void svm_cpu_pre_run(struct skiff_vcpu *v);
void svm_cpu_run(struct skiff_vcpu *v);
void svm_cpu_put(struct skiff_vcpu *v);

/* svm.c: the permission maps every VMCB points at. */
extern u64 svm_iopm_pa, svm_msrpm_pa;

/* vmcb.c: the VMCB and the vCPU state ioctls. */
void svm_vmcb_init(struct skiff_vcpu *v);
void svm_vmcb_init_flush(struct vmcb *vmcb, u64 npt_root, u32 asid);
void svm_get_regs(struct skiff_vcpu *v, struct kvm_regs *regs);
void svm_set_regs(struct skiff_vcpu *v, const struct kvm_regs *regs);
void svm_get_sregs(struct skiff_vcpu *v, struct kvm_sregs *sregs);
int svm_set_sregs(struct skiff_vcpu *v, const struct kvm_sregs *sregs);
void svm_inject(struct skiff_vcpu *v, u8 vector, bool has_err, u32 err);
void svm_get_insn_regs(struct skiff_vcpu *v, struct skiff_insn_regs *r);
void svm_put_insn_regs(struct skiff_vcpu *v, const struct skiff_insn_regs *r,
		       u32 len);
void svm_inject_pf(struct skiff_vcpu *v, u64 addr, u32 err);

/* msr.c: the vCPU's MSRs, for exits and KVM_GET/SET_MSRS. */
int svm_get_msr(struct skiff_vcpu *v, u32 msr, u64 *val);
int svm_set_msr(struct skiff_vcpu *v, u32 msr, u64 val);

/* exit.c: what each exit code means (1 go on, 0 to userspace, <0). */
int svm_handle_exit(struct skiff_vcpu *v);
void svm_complete_io(struct skiff_vcpu *v);
void svm_skip(struct skiff_vcpu *v, u32 len);
int svm_gp(struct skiff_vcpu *v);

/* paging.c: control registers, and shadow paging (npt=0). */
u64 svm_cr0(struct skiff_vcpu *v);
u64 svm_cr3(struct skiff_vcpu *v);
u64 svm_cr4(struct skiff_vcpu *v);
bool svm_cr4_valid(u64 cr4);
void svm_guest_paging(struct skiff_vcpu *v, struct mmu_paging *pg);
int svm_code_mode(struct skiff_vcpu *v);
int svm_fetch(struct skiff_vcpu *v, u8 *buf);
int svm_shadow_load(struct skiff_vcpu *v);
int svm_shadow_pre_run(struct skiff_vcpu *v);
int svm_exit_cr(struct skiff_vcpu *v, u64 code);
int svm_exit_pf(struct skiff_vcpu *v);
int svm_exit_invlpg(struct skiff_vcpu *v);

/* vmrun.S: load the guest's GPRs, VMRUN, store them back. */
void skiff_svm_vmrun(u64 vmcb_pa, u64 host_save_pa, u64 *gprs);

#endif
