/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmod/vmx: the Intel VMX backend of skiff.ko. skiff_vmx_init() is its
 * interface to the core; the rest of this header is shared by the
 * files of this folder. docs/kmod.md describes the design.
 */
#ifndef SKIFF_VMX_H
#define SKIFF_VMX_H

#include <linux/io.h>
#include <linux/types.h>
#include <asm/processor-flags.h>
#include <asm/vmx.h>

#include "../core/skiff.h"

/* The VMX backend, or an ERR_PTR (and why, in the log). */
const struct skiff_arch_ops *skiff_vmx_init(bool tdp);
void skiff_vmx_exit(void);

/*
 * What the CPU offers, from the capability MSRs at load: the controls
 * are what skiff wants, adjusted to the allowed-0 (must be 1) and
 * allowed-1 (may be 1) settings the CPU reports, never hard-coded.
 */
struct vmx_caps {
	u32 revision;		/* VMX_BASIC[30:0], first word of a region */
	u32 pin, proc, proc2, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid;		/* IA32_VMX_EPT_VPID_CAP */
	bool ept;		/* EPT in use, else shadow paging (tdp=0) */
	bool vpid;
	bool unrestricted;	/* real mode and CR0.PE=0 run as is */
	/*
	 * Preemption-timer ticks in a millisecond. The host's interrupts
	 * end the guest anyway; under Bochs they did not always (a guest
	 * spinning with IF=0 never exited, and the lab's kernel lost its
	 * console), so the timer is a backstop there. KVM uses it only
	 * for its guests' APIC timers.
	 */
	u32 preempt_ticks;
	bool tsc_aux;		/* RDTSCP or RDPID: TSC_AUX is the vCPU's */
};

extern struct vmx_caps vmx_caps;

/* vmx.c: the bitmaps every VMCS points at. */
extern u64 vmx_io_a_pa, vmx_io_b_pa, vmx_msr_bitmap_pa;

/* One segment as the VMCS holds it (AR in the VMCS's format). */
struct vmx_seg {
	u64 base;
	u32 limit;
	u32 ar;
	u16 sel;
};

enum { VMX_ES, VMX_CS, VMX_SS, VMX_DS, VMX_FS, VMX_GS, VMX_LDTR, VMX_TR,
	VMX_NR_SEGS };

/*
 * A vCPU's VMX state. The guest's state lives here, not in the VMCS:
 * the VMCS is loaded only for the span of one entry (cpu.c says why),
 * written from this before VMLAUNCH and read back into it after.
 */
struct vmx_vcpu {
	struct page *vmcs;
	u64 vmcs_pa;
	int last_cpu;		/* where the TLB was last flushed for us */
	u16 vpid;
	struct vmx_seg seg[VMX_NR_SEGS];
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u64 rip, rsp, rflags;
	u64 cr0, cr2, cr3, cr4;	/* as the guest sees them */
	u64 efer, pat;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	/* MSRs VMX does not switch: loaded around each entry (cpu.c). */
	u64 kernel_gs_base, star, lstar, cstar, sfmask;
	u32 tsc_aux;		/* the monitor's: RDTSCP/RDPID are #UD */
	u64 pdptr[4];		/* PAE paging outside long mode */
	/*
	 * Shadow paging (tdp=0): cr0, cr3 and cr4 above stay the guest's,
	 * the hardware runs on the MMU core's root (hw_cr3) or, outside
	 * long mode, on a PDPT copied from it (pae_root, below 4G).
	 */
	u64 hw_cr3;
	u64 *pae_root;
	u64 pae_root_pa;
	bool paging_stale;	/* vmx_shadow_load() before the next entry */
	u16 vm86_sel[6];	/* selectors written for virtual-8086 mode */
	u32 interruptibility;
	u32 inject;		/* VM-entry interruption information */
	u32 inject_err;
	u32 inject_len;
	/* Of the last exit. */
	u32 exit_reason;
	u64 exit_qual;
	u32 exit_len;
	u32 exit_intr;		/* VM-exit interruption information */
	u32 exit_intr_err;	/* and its error code */
	u64 exit_gpa;
	u32 idt_vectoring, idt_vectoring_err;
	u32 insn_error;		/* VM_INSTRUCTION_ERROR of a VMfail */
	bool vmfail;
};

static inline struct vmx_vcpu *to_vmx(struct skiff_vcpu *v)
{
	return v->arch;
}

/* cpu.c: per-CPU VMX operation borrowed around one entry. */
int vmx_cpu_init(void);
void vmx_cpu_exit(void);
void vmx_cpu_run(struct skiff_vcpu *v);
void vmx_cpu_put(struct skiff_vcpu *v);

/* vmcs.c: the vCPU state and its ioctls. */
void vmx_reset(struct skiff_vcpu *v);
void vmx_vmcs_write(struct skiff_vcpu *v);
void vmx_vmcs_read(struct skiff_vcpu *v);
void vmx_get_regs(struct skiff_vcpu *v, struct kvm_regs *regs);
void vmx_set_regs(struct skiff_vcpu *v, const struct kvm_regs *regs);
void vmx_get_sregs(struct skiff_vcpu *v, struct kvm_sregs *sregs);
int vmx_set_sregs(struct skiff_vcpu *v, const struct kvm_sregs *sregs);
void vmx_inject(struct skiff_vcpu *v, u8 vector, bool has_err, u32 err);
void vmx_get_insn_regs(struct skiff_vcpu *v, struct skiff_insn_regs *r);
void vmx_put_insn_regs(struct skiff_vcpu *v, const struct skiff_insn_regs *r,
		       u32 len);
void vmx_inject_pf(struct skiff_vcpu *v, u64 addr, u32 err);
u64 vmx_hw_cr0(u64 cr0);
u64 vmx_hw_cr4(u64 cr4);
bool vmx_cr4_valid(u64 cr4);
int vmx_get_msr(struct skiff_vcpu *v, u32 msr, u64 *val);
int vmx_set_msr(struct skiff_vcpu *v, u32 msr, u64 val);

u64 vmx_cr0_mask(void);
int vmx_set_efer(struct skiff_vcpu *v, u64 val);

/*
 * Real mode without unrestricted guest (shadow paging: unrestricted
 * guest needs EPT) runs in virtual-8086 mode (paging.c).
 */
static inline bool vmx_vm86(struct vmx_vcpu *x)
{
	return !vmx_caps.ept && !(x->cr0 & X86_CR0_PE);
}

/* paging.c: the guest's paging, fetch through it, shadow paging. */
int vmx_code_mode(struct skiff_vcpu *v);
int vmx_fetch(struct skiff_vcpu *v, u8 *buf);
int vmx_shadow_load(struct skiff_vcpu *v);
int vmx_shadow_pre_run(struct skiff_vcpu *v);
int vmx_exit_pf(struct skiff_vcpu *v);
int vmx_exit_invlpg(struct skiff_vcpu *v);
int vmx_exit_exception(struct skiff_vcpu *v);

/* exit.c: what each exit means (1 go on, 0 to userspace, <0). */
int vmx_handle_exit(struct skiff_vcpu *v);
void vmx_complete_io(struct skiff_vcpu *v);
void vmx_skip(struct skiff_vcpu *v);
int vmx_pio(struct skiff_vcpu *v, u16 port, u8 size, bool in, u32 len);
int vmx_exit_msr(struct skiff_vcpu *v, bool write);
int vmx_exit_hlt(struct skiff_vcpu *v);
int vmx_mov_cr(struct skiff_vcpu *v, u8 cr, bool write, u64 *gpr);
int vmx_lmsw(struct skiff_vcpu *v, u16 src);
int vmx_gp(struct skiff_vcpu *v);

/* vmenter.S: load the guest's GPRs, VMLAUNCH, store them back. */
int skiff_vmx_enter(u64 *gprs);
void skiff_vmx_exit_point(void);

/* The VMX instructions, as small wrappers; each says if it failed. */
static inline bool vmx_vmwrite(unsigned long field, unsigned long val)
{
	bool fail;

	asm volatile("vmwrite %[val], %[field]; setna %[fail]"
		     : [fail] "=qm" (fail)
		     : [val] "rm" (val), [field] "r" (field) : "cc");
	return fail;
}

static inline unsigned long vmx_vmread(unsigned long field)
{
	unsigned long val = 0;

	asm volatile("vmread %[field], %[val]"
		     : [val] "=rm" (val) : [field] "r" (field) : "cc");
	return val;
}

static inline bool vmx_insn_pa(int op, u64 pa)
{
	bool fail;

	switch (op) {
	case 0:
		asm volatile("vmxon %[pa]; setna %[fail]"
			     : [fail] "=qm" (fail) : [pa] "m" (pa)
			     : "cc", "memory");
		break;
	case 1:
		asm volatile("vmclear %[pa]; setna %[fail]"
			     : [fail] "=qm" (fail) : [pa] "m" (pa)
			     : "cc", "memory");
		break;
	default:
		asm volatile("vmptrld %[pa]; setna %[fail]"
			     : [fail] "=qm" (fail) : [pa] "m" (pa)
			     : "cc", "memory");
		break;
	}
	return fail;
}

#define vmx_vmxon(pa)	vmx_insn_pa(0, pa)
#define vmx_vmclear(pa)	vmx_insn_pa(1, pa)
#define vmx_vmptrld(pa)	vmx_insn_pa(2, pa)

#endif
