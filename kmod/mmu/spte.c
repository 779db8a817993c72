// SPDX-License-Identifier: GPL-2.0
/*
 * Spte formats. Shadow and NPT tables use the x86 format; EPT has its
 * own R/W/X layout. Software bits 9/10 live in both formats where the
 * hardware ignores them (mmu_internal.h).
 */
#include "mmu_internal.h"

u64 spte_addr(u64 spte)
{
	return spte & SPTE_ADDR_MASK;
}

/* Non-leaf entries grant everything: permissions live in the leaves. */
u64 spte_make_table(struct mmu *mmu, u64 hpa)
{
	if (mmu->ept)
		return hpa | EPT_R | EPT_W | EPT_X;
	return hpa | X86_P | X86_W | X86_U | X86_A;
}

/* NPT treats every guest access as a user access, so leaves set U. */
u64 spte_make_tdp_leaf(struct mmu *mmu, u64 hfn, int level, bool writable,
		       bool host_writable)
{
	u64 spte = hfn << MMU_PAGE_SHIFT;

	if (mmu->ept) {
		spte |= EPT_R | EPT_X | EPT_WB;
		if (writable)
			spte |= EPT_W;
		if (level > 1)
			spte |= EPT_PS;
	} else {
		spte |= X86_P | X86_U | X86_A | X86_D;
		if (writable)
			spte |= X86_W;
		if (level > 1)
			spte |= X86_PS;
	}
	if (host_writable)
		spte |= SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
	return spte;
}

bool spte_present(struct mmu *mmu, u64 spte)
{
	if (mmu->ept)
		return spte & (EPT_R | EPT_W | EPT_X);
	return spte & X86_P;
}

bool spte_large(struct mmu *mmu, u64 spte, int level)
{
	if (level == 1)
		return true;
	return spte & (mmu->ept ? EPT_PS : X86_PS);
}

bool spte_writable(struct mmu *mmu, u64 spte)
{
	return spte & (mmu->ept ? EPT_W : X86_W);
}

u64 spte_set_writable(struct mmu *mmu, u64 spte, bool w)
{
	u64 bit = mmu->ept ? EPT_W : X86_W;

	return w ? spte | bit : spte & ~bit;
}
