// SPDX-License-Identifier: GPL-2.0
/*
 * The VMCB: its intercepts and reset state, and the vCPU state ioctls
 * (KVM_GET/SET_REGS, KVM_GET/SET_SREGS) over it. With nested paging
 * the guest owns CR0, CR3 and CR4 outright; EFER always carries SVME
 * for the hardware and never shows it to the guest or the monitor.
 */
#include <linux/mm.h>
#include <asm/apicdef.h>
#include <asm/traps.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "svm.h"

/* The PAT a reset CPU has (SDM/APM: WB WT UC- UC, twice). */
#define PAT_RESET	0x0007040600070406ULL
#define EFER_GUEST	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

static void set_intercept(struct vmcb *vmcb, u32 bit)
{
	vmcb->control.intercepts[bit / 32] |= 1U << (bit % 32);
}

/*
 * What leaves the guest: interrupts (the host's), I/O and MSRs through
 * the all-intercept bitmaps, CPUID, HLT, shutdown, every SVM
 * instruction, the debug registers, and instructions that would reach
 * host state (RDTSCP's TSC_AUX, RDPMC, XSETBV, MONITOR/MWAIT, RDPRU,
 * INVD/WBINVD).
 */
static void svm_set_intercepts(struct vmcb *vmcb)
{
	static const u32 bits[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_INIT,
		INTERCEPT_CPUID, INTERCEPT_RDPMC, INTERCEPT_INVD,
		INTERCEPT_HLT, INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT,
		INTERCEPT_MSR_PROT, INTERCEPT_TASK_SWITCH,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_RDTSCP,
		INTERCEPT_WBINVD, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		set_intercept(vmcb, bits[i]);
	vmcb->control.intercepts[INTERCEPT_DR] = ~0U;
	/* CR4 keeps to what the CPUID we offer allows (paging.c). */
	set_intercept(vmcb, INTERCEPT_CR4_WRITE);
	if (svm_caps.npt)
		return;
	/* Shadow paging: paging state and #PF belong to the MMU core. */
	set_intercept(vmcb, INTERCEPT_CR0_WRITE);
	set_intercept(vmcb, INTERCEPT_CR3_READ);
	set_intercept(vmcb, INTERCEPT_CR3_WRITE);
	set_intercept(vmcb, INTERCEPT_CR4_READ);
	set_intercept(vmcb, INTERCEPT_INVLPG);
	set_intercept(vmcb, INTERCEPT_EXCEPTION_OFFSET + X86_TRAP_PF);
}

static void seg_reset(struct vmcb_seg *seg, u16 attrib)
{
	seg->selector = 0;
	seg->attrib = attrib;
	seg->limit = 0xffff;
	seg->base = 0;
}

/* The state of a CPU after RESET (APM vol. 2, 14.1.3), as KVM's. */
static void svm_save_reset(struct vmcb_save_area *sa)
{
	seg_reset(&sa->cs, 0x9b);
	sa->cs.selector = 0xf000;
	sa->cs.base = 0xffff0000;
	seg_reset(&sa->ds, 0x93);
	sa->es = sa->ss = sa->fs = sa->gs = sa->ds;
	seg_reset(&sa->gdtr, 0);
	seg_reset(&sa->idtr, 0);
	seg_reset(&sa->ldtr, 0x82);
	seg_reset(&sa->tr, 0x8b);
	sa->efer = EFER_SVME;
	sa->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	sa->dr6 = 0xffff0ff0;
	sa->dr7 = 0x400;
	sa->rflags = X86_EFLAGS_FIXED;
	sa->rip = 0xfff0;
	sa->g_pat = PAT_RESET;
}

/* svm_vmcb_init - a VMCB for a vCPU just made or just reset. */
void svm_vmcb_init(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_control_area *c = &s->vmcb->control;

	memset(s->vmcb, 0, PAGE_SIZE);
	svm_set_intercepts(s->vmcb);
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	c->tsc_offset = v->tsc_offset;
	c->int_ctl = V_INTR_MASKING_MASK;
	svm_save_reset(&s->vmcb->save);
	s->efer = 0;
	s->last_cpu = -1;	/* a fresh ASID at the next entry */
	skiff_pt_retry_reset(v);
	memset(v->gprs, 0, sizeof(v->gprs));
	if (svm_caps.npt) {
		c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
		c->nested_cr3 = mmu_root_hpa(v->vm->mmu);
		return;
	}
	s->cr0 = s->vmcb->save.cr0;
	s->cr3 = 0;
	s->cr4 = 0;
	/* Callers may hold vm->lock: the core learns the mode at entry. */
	s->paging_stale = true;
}

/*
 * svm_vmcb_init_flush - a VMCB that flushes every ASID on VMRUN and
 * exits at once: real mode at 0, nested paging on an empty root, so
 * the first instruction fetch is an NPF. Nothing of the guest runs.
 * The host's interrupts are intercepted as in every VMCB: VMRUN runs
 * with EFLAGS.IF set, so an interrupt pending then (the hand-back runs
 * from the scheduler, interrupts off) would otherwise be taken by this
 * "guest", through its IVT, and the host would never see it: a lost
 * timer interrupt left the lab's kernel idle for good. Such an exit
 * comes before the first fetch; the flush has happened all the same.
 */
void svm_vmcb_init_flush(struct vmcb *vmcb, u64 npt_root, u32 asid)
{
	struct vmcb_control_area *c = &vmcb->control;

	memset(vmcb, 0, PAGE_SIZE);
	set_intercept(vmcb, INTERCEPT_INTR);
	set_intercept(vmcb, INTERCEPT_NMI);
	set_intercept(vmcb, INTERCEPT_SMI);
	set_intercept(vmcb, INTERCEPT_INIT);
	set_intercept(vmcb, INTERCEPT_VMRUN);
	set_intercept(vmcb, INTERCEPT_SHUTDOWN);
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	c->asid = asid;
	c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	c->int_ctl = V_INTR_MASKING_MASK;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = npt_root;
	svm_save_reset(&vmcb->save);
	vmcb->save.cs.selector = 0;
	vmcb->save.cs.base = 0;
	vmcb->save.rip = 0;
	vmcb->save.cr0 = X86_CR0_ET;
}

void svm_get_regs(struct skiff_vcpu *v, struct kvm_regs *r)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	const u64 *g = v->gprs;

	r->rax = sa->rax;
	r->rbx = g[SKIFF_RBX];
	r->rcx = g[SKIFF_RCX];
	r->rdx = g[SKIFF_RDX];
	r->rsi = g[SKIFF_RSI];
	r->rdi = g[SKIFF_RDI];
	r->rsp = sa->rsp;
	r->rbp = g[SKIFF_RBP];
	r->r8 = g[SKIFF_R8];
	r->r9 = g[SKIFF_R9];
	r->r10 = g[SKIFF_R10];
	r->r11 = g[SKIFF_R11];
	r->r12 = g[SKIFF_R12];
	r->r13 = g[SKIFF_R13];
	r->r14 = g[SKIFF_R14];
	r->r15 = g[SKIFF_R15];
	r->rip = sa->rip;
	r->rflags = sa->rflags;
}

void svm_set_regs(struct skiff_vcpu *v, const struct kvm_regs *r)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	u64 *g = v->gprs;

	sa->rax = r->rax;
	g[SKIFF_RBX] = r->rbx;
	g[SKIFF_RCX] = r->rcx;
	g[SKIFF_RDX] = r->rdx;
	g[SKIFF_RSI] = r->rsi;
	g[SKIFF_RDI] = r->rdi;
	sa->rsp = r->rsp;
	g[SKIFF_RBP] = r->rbp;
	g[SKIFF_R8] = r->r8;
	g[SKIFF_R9] = r->r9;
	g[SKIFF_R10] = r->r10;
	g[SKIFF_R11] = r->r11;
	g[SKIFF_R12] = r->r12;
	g[SKIFF_R13] = r->r13;
	g[SKIFF_R14] = r->r14;
	g[SKIFF_R15] = r->r15;
	sa->rip = r->rip;
	/* As KVM: bit 1 is always set; the CPU would refuse it clear. */
	sa->rflags = r->rflags | X86_EFLAGS_FIXED;
}

static void seg_to_kvm(const struct vmcb_seg *s, struct kvm_segment *k)
{
	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = s->attrib & SVM_SELECTOR_TYPE_MASK;
	k->s = !!(s->attrib & SVM_SELECTOR_S_MASK);
	k->dpl = (s->attrib & SVM_SELECTOR_DPL_MASK) >> SVM_SELECTOR_DPL_SHIFT;
	k->present = !!(s->attrib & SVM_SELECTOR_P_MASK);
	k->avl = !!(s->attrib & SVM_SELECTOR_AVL_MASK);
	k->l = !!(s->attrib & SVM_SELECTOR_L_MASK);
	k->db = !!(s->attrib & SVM_SELECTOR_DB_MASK);
	k->g = !!(s->attrib & SVM_SELECTOR_G_MASK);
	k->unusable = !k->present;
}

static void seg_from_kvm(struct vmcb_seg *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->attrib = 0;
	if (k->unusable)
		return;
	s->attrib = (k->type & SVM_SELECTOR_TYPE_MASK) |
		(k->s << SVM_SELECTOR_S_SHIFT) |
		((k->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
		(k->present << SVM_SELECTOR_P_SHIFT) |
		(k->avl << SVM_SELECTOR_AVL_SHIFT) |
		(k->l << SVM_SELECTOR_L_SHIFT) |
		(k->db << SVM_SELECTOR_DB_SHIFT) |
		(k->g << SVM_SELECTOR_G_SHIFT);
}

static void dt_to_kvm(const struct vmcb_seg *s, struct kvm_dtable *d)
{
	d->base = s->base;
	d->limit = s->limit;
}

void svm_get_sregs(struct skiff_vcpu *v, struct kvm_sregs *k)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_save_area *sa = &s->vmcb->save;

	seg_to_kvm(&sa->cs, &k->cs);
	seg_to_kvm(&sa->ds, &k->ds);
	seg_to_kvm(&sa->es, &k->es);
	seg_to_kvm(&sa->fs, &k->fs);
	seg_to_kvm(&sa->gs, &k->gs);
	seg_to_kvm(&sa->ss, &k->ss);
	seg_to_kvm(&sa->tr, &k->tr);
	seg_to_kvm(&sa->ldtr, &k->ldt);
	/* TR is always usable on x86, whatever its P bit says. */
	k->tr.unusable = 0;
	dt_to_kvm(&sa->gdtr, &k->gdt);
	dt_to_kvm(&sa->idtr, &k->idt);
	k->cr0 = svm_cr0(v);
	k->cr2 = sa->cr2;
	k->cr3 = svm_cr3(v);
	k->cr4 = svm_cr4(v);
	k->cr8 = s->vmcb->control.int_ctl & V_TPR_MASK;
	k->efer = s->efer;
	/* No local APIC: KVM reports the reset base of the BSP's. */
	k->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       MSR_IA32_APICBASE_BSP;
	memset(k->interrupt_bitmap, 0, sizeof(k->interrupt_bitmap));
}

/*
 * The checks KVM makes of KVM_SET_SREGS (kvm_is_valid_sregs and the
 * reserved-bit checks of CR0/CR4/EFER), so a monitor's bad state is
 * -EINVAL here instead of a failed VMRUN.
 */
static bool svm_sregs_valid(const struct kvm_sregs *k)
{
	bool pg = k->cr0 & X86_CR0_PG;

	if (k->cr0 >> 32 || (k->efer & ~EFER_GUEST) || !svm_cr4_valid(k->cr4))
		return false;
	if (pg && !(k->cr0 & X86_CR0_PE))
		return false;
	if ((k->cr0 & X86_CR0_NW) && !(k->cr0 & X86_CR0_CD))
		return false;
	if ((k->efer & EFER_LME) && pg) {
		if (!(k->cr4 & X86_CR4_PAE) || !(k->efer & EFER_LMA))
			return false;
		if (k->cs.l && k->cs.db)
			return false;
	} else if (k->efer & EFER_LMA) {
		return false;
	}
	return !(k->cr3 >> MMU_MAXPHYADDR);
}

int svm_set_sregs(struct skiff_vcpu *v, const struct kvm_sregs *k)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_save_area *sa = &s->vmcb->save;

	if (!svm_sregs_valid(k))
		return -EINVAL;
	seg_from_kvm(&sa->cs, &k->cs);
	seg_from_kvm(&sa->ds, &k->ds);
	seg_from_kvm(&sa->es, &k->es);
	seg_from_kvm(&sa->fs, &k->fs);
	seg_from_kvm(&sa->gs, &k->gs);
	seg_from_kvm(&sa->ss, &k->ss);
	seg_from_kvm(&sa->tr, &k->tr);
	seg_from_kvm(&sa->ldtr, &k->ldt);
	sa->gdtr.base = k->gdt.base;
	sa->gdtr.limit = k->gdt.limit;
	sa->idtr.base = k->idt.base;
	sa->idtr.limit = k->idt.limit;
	sa->cpl = k->ss.dpl & 3;
	sa->cr2 = k->cr2;
	s->efer = k->efer;
	/* A new address space: the guest's TLB must forget the old one. */
	v->vm->mmu_flush = true;
	if (svm_caps.npt) {
		sa->cr0 = k->cr0;
		sa->cr3 = k->cr3;
		sa->cr4 = k->cr4;
		sa->efer = k->efer | EFER_SVME;
		return 0;
	}
	s->cr0 = k->cr0;
	s->cr3 = k->cr3;
	s->cr4 = k->cr4;
	return svm_shadow_load(v) ? -EINVAL : 0;
}

/* For the core's emulation (kmod/core/exit.c): RAX and RSP are the VMCB's. */
void svm_get_insn_regs(struct skiff_vcpu *v, struct skiff_insn_regs *r)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;

	memcpy(r->gprs, v->gprs, sizeof(r->gprs));
	r->gprs[SKIFF_RAX] = sa->rax;
	r->gprs[SKIFF_RSP] = sa->rsp;
	r->rflags = sa->rflags;
	r->rip = sa->rip;
}

/* No next_rip for a #PF exit: RIP moves by the decoded length. */
void svm_put_insn_regs(struct skiff_vcpu *v, const struct skiff_insn_regs *r,
		       u32 len)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;

	memcpy(v->gprs, r->gprs, sizeof(v->gprs));
	sa->rax = r->gprs[SKIFF_RAX];
	sa->rsp = r->gprs[SKIFF_RSP];
	sa->rflags = r->rflags;
	sa->rip = r->rip + len;
}

void svm_inject_pf(struct skiff_vcpu *v, u64 addr, u32 err)
{
	to_svm(v)->vmcb->save.cr2 = addr;
	svm_inject(v, X86_TRAP_PF, true, err);
}

/* svm_inject - deliver exception vector at the next entry. */
void svm_inject(struct skiff_vcpu *v, u8 vector, bool has_err, u32 err)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;

	c->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		       (has_err ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = err;
}
