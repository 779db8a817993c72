// SPDX-License-Identifier: GPL-2.0
/*
 * A cap on shadow pages. When a new page would exceed it, the least
 * recently used pages that no root holds and no fault in progress
 * uses are zapped; the guest refaults what it still needs.
 */
#include "mmu_internal.h"

static struct mmu_page *oldest_victim(struct mmu *mmu)
{
	struct mmu_page *sp;

	for (sp = mmu->lru.lru_prev; sp != &mmu->lru; sp = sp->lru_prev) {
		if (sp->root_count || sp->pseudo || sp->role.invalid)
			continue;
		if (sp->fault_gen == mmu->fault_gen)
			continue;
		return sp;
	}
	return NULL;
}

int pressure_make_room(struct mmu *mmu)
{
	while (mmu->stats.shadow_pages + 1 > mmu->cfg.max_shadow_pages) {
		struct mmu_page *sp = oldest_victim(mmu);

		if (!sp)
			return -1;
		shadow_zap_page(mmu, sp);
	}
	return 0;
}

void mmu_shrink(struct mmu *mmu, u32 nr_to_free)
{
	struct mmu_page *sp;

	if (mmu->cfg.kind != MMU_KIND_SHADOW)
		return;
	mmu->fault_gen++;
	while (nr_to_free-- && (sp = oldest_victim(mmu)))
		shadow_zap_page(mmu, sp);
	mmu_flush_if_needed(mmu);
}
