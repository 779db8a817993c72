// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs a vCPU has, for the guest's RDMSR/WRMSR exits and for the
 * monitor's KVM_GET/SET_MSRS (what a migration saves and restores).
 * The syscall and segment-base MSRs live in the VMCB, switched by
 * VMLOAD/VMSAVE: the guest reaches them without exits (the MSR
 * permission map lets them through), the monitor through here. Every
 * other MSR is #GP for the guest and refused to the monitor, as KVM
 * does for an MSR it does not know (ignore_msrs=0).
 *
 * TSC_AUX is the monitor's only (the guest's CPUID has neither RDTSCP
 * nor RDPID, so its RDMSR/WRMSR are #GP, as on KVM); but RDPID cannot
 * be intercepted, so the value is loaded around each VMRUN (cpu.c) and
 * saved with the rest, where the CPU has TSC_AUX at all.
 */
#include <asm/apicdef.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "svm.h"

/* The VMCB field that holds msr, for those VMLOAD/VMSAVE switch. */
static u64 *svm_vmcb_msr(struct vmcb_save_area *sa, u32 msr)
{
	switch (msr) {
	case MSR_IA32_SYSENTER_CS:
		return &sa->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:
		return &sa->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:
		return &sa->sysenter_eip;
	case MSR_STAR:
		return &sa->star;
	case MSR_LSTAR:
		return &sa->lstar;
	case MSR_CSTAR:
		return &sa->cstar;
	case MSR_SYSCALL_MASK:
		return &sa->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &sa->kernel_gs_base;
	case MSR_FS_BASE:
		return &sa->fs.base;
	case MSR_GS_BASE:
		return &sa->gs.base;
	default:
		return NULL;
	}
}

/* svm_get_msr - 0 and *val, or -1 for an MSR this vCPU does not have. */
int svm_get_msr(struct skiff_vcpu *v, u32 msr, u64 *val)
{
	struct svm_vcpu *s = to_svm(v);
	u64 *field = svm_vmcb_msr(&s->vmcb->save, msr);

	if (field) {
		*val = *field;
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		*val = s->efer;
		return 0;
	case MSR_IA32_TSC:
		*val = rdtsc() + s->vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = s->vmcb->save.g_pat;
		return 0;
	case MSR_IA32_APICBASE:
		*val = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       MSR_IA32_APICBASE_BSP;
		return 0;
	case MSR_TSC_AUX:
		if (!svm_caps.tsc_aux)
			return -1;
		*val = s->tsc_aux;
		return 0;
	default:
		return -1;
	}
}

static int svm_set_efer(struct skiff_vcpu *v, u64 val)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_save_area *sa = &s->vmcb->save;

	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return -1;
	/* LME may not change while paging is on; LMA is the CPU's. */
	if ((sa->cr0 & X86_CR0_PG) && ((val ^ s->efer) & EFER_LME))
		return -1;
	s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA);
	if (!svm_caps.npt)
		return svm_shadow_load(v);
	sa->efer = s->efer | EFER_SVME;
	return 0;
}

/*
 * svm_set_msr - 0, or -1 for an MSR this vCPU does not have or a value
 * it may not hold (#GP for the guest, a short count for the monitor).
 */
int svm_set_msr(struct skiff_vcpu *v, u32 msr, u64 val)
{
	struct svm_vcpu *s = to_svm(v);
	u64 *field = svm_vmcb_msr(&s->vmcb->save, msr);

	if (field) {
		/* Addresses the CPU would load must be canonical. */
		if (msr != MSR_IA32_SYSENTER_CS && msr != MSR_STAR &&
		    msr != MSR_SYSCALL_MASK && (s64)(val << 16) >> 16 != val)
			return -1;
		*field = val;
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		return svm_set_efer(v, val);
	case MSR_IA32_TSC:
		s->vmcb->control.tsc_offset = val - rdtsc();
		v->tsc_offset = s->vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!skiff_pat_valid(val))
			return -1;
		s->vmcb->save.g_pat = val;
		return 0;
	case MSR_TSC_AUX:
		if (!svm_caps.tsc_aux)
			return -1;
		/* AMD CPUs ignore bits 63:32; KVM drops them for AMD too. */
		s->tsc_aux = val;
		return 0;
	default:
		return -1;
	}
}
