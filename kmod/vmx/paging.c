// SPDX-License-Identifier: GPL-2.0
/*
 * Guest paging on VMX, as kmod/svm/paging.c has it for SVM: the
 * guest's paging state for the MMU core's walker, and instruction
 * fetch through it (the access size of an MMIO exit is decoded from
 * the instruction, kmod/core/emulate.c). Shadow paging is not here
 * yet: with EPT the guest owns CR3 and its tables.
 */
#include <linux/mm.h>
#include <asm/processor-flags.h>

#include "vmx.h"

/* vmx_guest_paging - the guest's paging state, as the MMU core wants it. */
static void vmx_guest_paging(struct skiff_vcpu *v, struct mmu_paging *pg)
{
	struct vmx_vcpu *x = to_vmx(v);

	memset(pg, 0, sizeof(*pg));
	if (!(x->cr0 & X86_CR0_PG))
		pg->mode = MMU_MODE_OFF;
	else if (x->efer & EFER_LMA)
		pg->mode = (x->cr4 & X86_CR4_LA57) ? MMU_MODE_LM5 : MMU_MODE_LM4;
	else if (x->cr4 & X86_CR4_PAE)
		pg->mode = MMU_MODE_PAE;
	else
		pg->mode = MMU_MODE_32;
	pg->wp = x->cr0 & X86_CR0_WP;
	pg->pse = x->cr4 & X86_CR4_PSE;
	pg->nxe = x->efer & EFER_NX;
	pg->smep = x->cr4 & X86_CR4_SMEP;
	pg->smap = x->cr4 & X86_CR4_SMAP;
	pg->cr3 = x->cr3;
}

/* The code size of the guest's current code segment: 16, 32 or 64. */
int vmx_code_mode(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 ar = x->seg[VMX_CS].ar;

	if (!(x->cr0 & X86_CR0_PE))
		return 16;
	if ((x->efer & EFER_LMA) && (ar & VMX_AR_L_MASK))
		return 64;
	return (ar & VMX_AR_DB_MASK) ? 32 : 16;
}

/*
 * vmx_fetch - up to 15 instruction bytes at CS:RIP through the guest's
 * own tables. Returns how many could be read (0: none). Under vm->lock.
 */
int vmx_fetch(struct skiff_vcpu *v, u8 *buf)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 va = x->seg[VMX_CS].base + x->rip;
	struct mmu_paging pg;
	struct mmu_walk w;
	int got = 0;

	if (vmx_code_mode(v) != 64)
		va = (u32)va;
	vmx_guest_paging(v, &pg);
	if (pg.mode == MMU_MODE_PAE && mmu_load_pdptes(v->vm->mmu, &pg))
		return 0;
	while (got < 15) {
		u32 ec = PFERR_FETCH |
			(VMX_AR_DPL(x->seg[VMX_SS].ar) == 3 ? PFERR_USER : 0);
		u32 n = min_t(u32, 15 - got, PAGE_SIZE - offset_in_page(va));

		if (mmu_walk_guest(v->vm->mmu, &pg, va, ec, &w, false))
			break;
		if (skiff_guest_read(v->vm, (w.gfn << PAGE_SHIFT) |
				     offset_in_page(va), buf + got, n))
			break;
		got += n;
		va += n;
	}
	return got;
}
