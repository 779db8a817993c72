// SPDX-License-Identifier: GPL-2.0
/*
 * Guest paging on SVM: the control registers the guest sees, and
 * shadow paging (the module parameter npt=0) over the MMU core.
 *
 * With nested paging the guest owns CR0 and CR3; only CR4 writes exit,
 * so the guest cannot turn on what the CPUID we offer leaves out
 * (OSXSAVE above all: its XSAVE state would escape KVM_GET_FPU).
 *
 * With shadow paging the hardware runs on the MMU core's tables: CR0,
 * CR3 and CR4 writes exit, the guest's values are kept here, and the
 * hardware's are derived (PG and WP always on, PAE always on). A
 * guest with paging off or in a 32-bit mode runs in the CPU's legacy
 * PAE mode (paged real mode for CR0.PE=0), on a 4-entry PDPT copied
 * from the core's 4-level root before each entry; a long-mode guest
 * runs on the root itself. #PF and INVLPG exit to the core.
 *
 * Without DecodeAssists (QEMU's SVM has none) the instruction behind a
 * CR exit is decoded from guest memory (kmod/core/emulate.c).
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "svm.h"

#define CR4_GUEST	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |        \
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |         \
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |        \
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |            \
			 X86_CR4_FSGSBASE | X86_CR4_SMEP | X86_CR4_SMAP)
/* CPUID 0x8000000A EDX bit 7: exit_info_1 names the GPR of a CR exit. */
#define EXITINFO_CR_VALID	BIT_ULL(63)

u64 svm_cr0(struct skiff_vcpu *v)
{
	return svm_caps.npt ? to_svm(v)->vmcb->save.cr0 : to_svm(v)->cr0;
}

u64 svm_cr3(struct skiff_vcpu *v)
{
	return svm_caps.npt ? to_svm(v)->vmcb->save.cr3 : to_svm(v)->cr3;
}

u64 svm_cr4(struct skiff_vcpu *v)
{
	return svm_caps.npt ? to_svm(v)->vmcb->save.cr4 : to_svm(v)->cr4;
}

/*
 * svm_cr4_valid - a CR4 the guest may hold: CR4_GUEST, less the bits
 * this CPU lacks. VMRUN refuses a CR4 with a bit the CPU does not have
 * (VMEXIT_INVALID), so such a CR4 is EINVAL at KVM_SET_SREGS (and #GP
 * for the guest's own write), not a failed entry later; as VMX's check
 * against IA32_VMX_CR4_FIXED1.
 */
bool svm_cr4_valid(u64 cr4)
{
	u64 ok = CR4_GUEST;

	if (!boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok &= ~X86_CR4_FSGSBASE;
	if (!boot_cpu_has(X86_FEATURE_SMEP))
		ok &= ~X86_CR4_SMEP;
	if (!boot_cpu_has(X86_FEATURE_SMAP))
		ok &= ~X86_CR4_SMAP;
	return !(cr4 & ~ok);
}

/* svm_guest_paging - the guest's paging state, as the MMU core wants it. */
void svm_guest_paging(struct skiff_vcpu *v, struct mmu_paging *pg)
{
	skiff_guest_paging(pg, svm_cr0(v), svm_cr3(v), svm_cr4(v),
			   to_svm(v)->efer);
}

/* The code size of the guest's current code segment: 16, 32 or 64. */
int svm_code_mode(struct skiff_vcpu *v)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;

	if (!(svm_cr0(v) & X86_CR0_PE))
		return 16;
	if ((to_svm(v)->efer & EFER_LMA) && (sa->cs.attrib & SVM_SELECTOR_L_MASK))
		return 64;
	return (sa->cs.attrib & SVM_SELECTOR_DB_MASK) ? 32 : 16;
}

/*
 * svm_fetch - up to 15 instruction bytes at CS:RIP through the guest's
 * own tables. Returns how many could be read (0: none). Under vm->lock.
 */
int svm_fetch(struct skiff_vcpu *v, u8 *buf)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	u64 va = sa->cs.base + sa->rip;
	struct mmu_paging pg;

	if (svm_code_mode(v) != 64)
		va = (u32)va;
	svm_guest_paging(v, &pg);
	return skiff_fetch(v, &pg, va, sa->cpl == 3, buf);
}

/* A GPR as a CR instruction names it (RAX and RSP live in the VMCB). */
static u64 *svm_gpr(struct skiff_vcpu *v, u8 r)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;

	if (r == SKIFF_RAX)
		return &sa->rax;
	if (r == SKIFF_RSP)
		return &sa->rsp;
	return &v->gprs[r];
}

/*
 * svm_shadow_load - after the guest's CR0, CR3, CR4 or EFER changed
 * (shadow paging): the hardware's values, and the core's paging mode.
 * Returns -1 if a PAE guest's PDPTEs are invalid (#GP for MOV CR).
 */
int svm_shadow_load(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	struct vmcb_save_area *sa = &s->vmcb->save;
	bool pg_on = s->cr0 & X86_CR0_PG;
	struct mmu_paging pg;
	int r;

	s->paging_stale = false;
	sa->cr0 = s->cr0 | X86_CR0_PG | X86_CR0_WP;
	sa->cr4 = s->cr4 | X86_CR4_PAE;
	/* As KVM: the core's sptes use NX whatever the guest's EFER says. */
	sa->efer = s->efer | EFER_SVME | EFER_NX;
	if (!pg_on) {
		sa->cr4 &= ~(X86_CR4_SMEP | X86_CR4_SMAP);
		sa->efer &= ~(EFER_LME | EFER_LMA);
	}
	/* Reads of CR0 exit only while the hardware's differs. */
	if (sa->cr0 != s->cr0)
		s->vmcb->control.intercepts[INTERCEPT_CR] |= BIT(INTERCEPT_CR0_READ);
	else
		s->vmcb->control.intercepts[INTERCEPT_CR] &= ~BIT(INTERCEPT_CR0_READ);
	svm_guest_paging(v, &pg);
	mutex_lock(&v->vm->lock);
	r = pg.mode == MMU_MODE_PAE ? mmu_load_pdptes(v->vm->mmu, &pg) : 0;
	if (!r)
		r = mmu_set_paging(v->vm->mmu, &pg) ? -1 : 0;
	mutex_unlock(&v->vm->lock);
	return r;
}

/*
 * svm_shadow_pre_run - the root for this entry: the core's 4-level
 * root for a long-mode guest, else a PDPT of its first four entries
 * (legacy PAE mode), from skiff_shadow_root.
 */
int svm_shadow_pre_run(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	u64 cr3;

	if (s->paging_stale && svm_shadow_load(v))
		return -EINVAL;
	cr3 = skiff_shadow_root(v, s->efer & EFER_LMA, s->pae_root,
				s->pae_root_pa);
	if (!cr3)
		return -ENOMEM;
	s->vmcb->save.cr3 = cr3;
	return 0;
}

static int svm_set_cr0(struct skiff_vcpu *v, u64 val)
{
	struct svm_vcpu *s = to_svm(v);
	bool was_pg = s->cr0 & X86_CR0_PG, pg = val & X86_CR0_PG;

	if (val >> 32 || (pg && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return -1;
	if (!was_pg && pg && (s->efer & EFER_LME)) {
		if (!(s->cr4 & X86_CR4_PAE))
			return -1;
		s->efer |= EFER_LMA;
	}
	if (was_pg && !pg)
		s->efer &= ~EFER_LMA;
	s->cr0 = val;
	return svm_shadow_load(v);
}

static int svm_set_cr3(struct skiff_vcpu *v, u64 val)
{
	struct svm_vcpu *s = to_svm(v);

	if ((s->efer & EFER_LMA) && (val >> MMU_MAXPHYADDR))
		return -1;
	s->cr3 = (s->efer & EFER_LMA) ? val : (u32)val;
	return svm_shadow_load(v);
}

static int svm_set_cr4(struct skiff_vcpu *v, u64 val)
{
	struct svm_vcpu *s = to_svm(v);

	if (!svm_cr4_valid(val) ||
	    ((s->efer & EFER_LMA) && !(val & X86_CR4_PAE)))
		return -1;
	if (svm_caps.npt) {
		s->vmcb->save.cr4 = val;
		return 0;
	}
	s->cr4 = val;
	return svm_shadow_load(v);
}

/* Which GPR, and how long the instruction is, for a CR exit. */
static int svm_cr_insn(struct skiff_vcpu *v, u8 cr, bool write, u8 *gpr,
		       u8 *len)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;
	struct skiff_mov_cr m;
	u8 buf[15];
	int n;

	if (c->exit_info_1 & EXITINFO_CR_VALID) {
		*gpr = c->exit_info_1 & 15;
		*len = 0;		/* next_rip is there with decode assists */
		return 0;
	}
	mutex_lock(&v->vm->lock);
	n = svm_fetch(v, buf);
	mutex_unlock(&v->vm->lock);
	if (!n || skiff_decode_mov_cr(buf, n, svm_code_mode(v), &m) ||
	    m.cr != cr || m.write != write)
		return -1;
	*gpr = m.gpr;
	*len = m.len;
	return 0;
}

/*
 * svm_exit_cr - MOV to or from CR0, CR3 or CR4. A value no CPU would
 * take is #GP; an instruction that cannot be decoded goes to the
 * monitor as an emulation failure, as on KVM.
 */
int svm_exit_cr(struct skiff_vcpu *v, u64 code)
{
	bool write = code >= SVM_EXIT_WRITE_CR0;
	u8 cr = code & 15, gpr, len;
	u64 *reg, val;
	int r;

	if (svm_cr_insn(v, cr, write, &gpr, &len))
		return skiff_emulation_failed(v);
	reg = svm_gpr(v, gpr);
	if (!write) {
		val = cr == 0 ? svm_cr0(v) : cr == 3 ? svm_cr3(v) : svm_cr4(v);
		*reg = svm_code_mode(v) == 64 ? val : (u32)val;
		svm_skip(v, len);
		return 1;
	}
	val = svm_code_mode(v) == 64 ? *reg : (u32)*reg;
	if (cr == 0)
		r = svm_set_cr0(v, val);
	else if (cr == 3)
		r = svm_set_cr3(v, val);
	else
		r = svm_set_cr4(v, val);
	if (r)
		return svm_gp(v);
	svm_skip(v, len);
	return 1;
}

/* svm_exit_pf - a #PF on the shadow tables (shadow paging only). */
int svm_exit_pf(struct skiff_vcpu *v)
{
	struct svm_vcpu *s = to_svm(v);
	u32 ec = s->vmcb->control.exit_info_1;

	if (s->vmcb->save.rflags & X86_EFLAGS_AC)
		ec |= PFERR_AC;
	return skiff_shadow_pf(v, s->vmcb->control.exit_info_2, ec);
}

/*
 * svm_exit_invlpg - INVLPG (shadow paging only). Without DecodeAssists
 * the address is not known: the guest's whole TLB is flushed, which
 * the architecture allows. The instruction's length is still needed
 * (no NRIPS): an undecodable one is an emulation failure.
 */
int svm_exit_invlpg(struct skiff_vcpu *v)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;
	bool assisted = svm_caps.decode_assists;
	u8 buf[15];
	int n, len = 0;

	mutex_lock(&v->vm->lock);
	if (assisted)
		mmu_invlpg(v->vm->mmu, c->exit_info_1);
	else
		mmu_flush_guest_tlb(v->vm->mmu);
	n = svm_caps.nrips ? 0 : svm_fetch(v, buf);
	mutex_unlock(&v->vm->lock);
	if (!svm_caps.nrips) {
		len = skiff_decode_invlpg(buf, n, svm_code_mode(v));
		if (len <= 0)
			return skiff_emulation_failed(v);
	}
	svm_skip(v, len);
	return 1;
}
