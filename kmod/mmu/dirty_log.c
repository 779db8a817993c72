// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging by write protection, in TDP and shadow mode. Enabling
 * protects the slot; the first write to a page faults, is logged, and
 * gets write access back on a fast path that walks no guest tables.
 * Get and clear follow KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG.
 */
#include "mmu_internal.h"

static struct mmu_dirty_slot *dirty_slot(struct mmu *mmu, int slot)
{
	int i;

	for (i = 0; i < MMU_MAX_SLOTS; i++)
		if (mmu->dirty[i].enabled && mmu->dirty[i].slot == slot)
			return &mmu->dirty[i];
	return NULL;
}

struct mmu_dirty_slot *dirty_slot_of_gfn(struct mmu *mmu, u64 gfn)
{
	int i;

	for (i = 0; i < MMU_MAX_SLOTS; i++) {
		struct mmu_dirty_slot *ds = &mmu->dirty[i];

		if (ds->enabled && gfn >= ds->base_gfn &&
		    gfn - ds->base_gfn < ds->npages)
			return ds;
	}
	return NULL;
}

void mmu_mark_dirty(struct mmu *mmu, u64 gfn)
{
	struct mmu_dirty_slot *ds = dirty_slot_of_gfn(mmu, gfn);
	u64 i;

	if (!ds)
		return;
	i = gfn - ds->base_gfn;
	ds->bitmap[i / 64] |= 1ULL << (i % 64);
}

bool mmu_gfn_logged_clean(struct mmu *mmu, u64 gfn)
{
	struct mmu_dirty_slot *ds = dirty_slot_of_gfn(mmu, gfn);
	u64 i;

	if (!ds)
		return false;
	i = gfn - ds->base_gfn;
	return !(ds->bitmap[i / 64] & (1ULL << (i % 64)));
}

void dirty_log_write_protect(struct mmu *mmu, u64 gfn)
{
	if (mmu->cfg.kind == MMU_KIND_SHADOW)
		mmu_rmap_write_protect(mmu, gfn, true);
	else
		tdp_write_protect_gfn(mmu, gfn);
}

/*
 * dirty_log_fast_fault - a write hit spte idx of sp, present and
 * read-only only because of dirty logging: log it, restore W.
 */
bool dirty_log_fast_fault(struct mmu *mmu, struct mmu_page *sp, u32 idx,
			  u32 ec)
{
	u64 spte = sp->spt[idx];

	if (!spte_present(mmu, spte) || spte_writable(mmu, spte))
		return false;
	if (!(spte & SPTE_MMU_WRITABLE) || !(spte & SPTE_HOST_WRITABLE))
		return false;
	if (mmu->cfg.kind == MMU_KIND_SHADOW && (ec & PFERR_USER) &&
	    !(spte & X86_U))
		return false;
	mmu_mark_dirty(mmu, sp->gfns[idx]);
	spte = spte_set_writable(mmu, spte, true);
	if (mmu->cfg.kind == MMU_KIND_SHADOW)
		spte |= X86_D;
	sp->spt[idx] = spte;
	mmu->stats.fast_faults++;
	return true;
}

int mmu_dirty_log_enable(struct mmu *mmu, int slot, u64 base_gfn,
			 u64 npages)
{
	struct mmu_dirty_slot *ds = dirty_slot(mmu, slot);
	u64 gfn;
	int i;

	if (ds)
		return 0;
	for (i = 0; i < MMU_MAX_SLOTS && mmu->dirty[i].enabled; i++)
		;
	if (i == MMU_MAX_SLOTS)
		return -1;
	ds = &mmu->dirty[i];
	ds->bitmap = mmu_zalloc(mmu, ((npages + 63) / 64) * 8);
	if (!ds->bitmap)
		return -1;
	ds->slot = slot;
	ds->base_gfn = base_gfn;
	ds->npages = npages;
	ds->enabled = true;
	/* Huge mappings cannot be logged per 4K page: refault as 4K. */
	if (mmu->cfg.kind != MMU_KIND_SHADOW)
		tdp_zap_range(mmu, base_gfn, base_gfn + npages, true);
	for (gfn = base_gfn; gfn < base_gfn + npages; gfn++) {
		if (gfn % 4096 == 4095)
			mmu->ops->yield(mmu->ctx);
		dirty_log_write_protect(mmu, gfn);
	}
	mmu_flush_if_needed(mmu);
	return 0;
}

void mmu_dirty_log_disable(struct mmu *mmu, int slot)
{
	struct mmu_dirty_slot *ds = dirty_slot(mmu, slot);

	if (!ds)
		return;
	/* TDP: drop the 4K mappings so the slot refaults with huge pages. */
	if (mmu->cfg.kind != MMU_KIND_SHADOW) {
		tdp_zap_range(mmu, ds->base_gfn, ds->base_gfn + ds->npages,
			      false);
		mmu_flush_if_needed(mmu);
	}
	mmu_free(mmu, ds->bitmap);
	ds->bitmap = NULL;
	ds->enabled = false;
}

int mmu_dirty_log_get(struct mmu *mmu, int slot, u64 *bitmap,
		      bool manual_protect)
{
	struct mmu_dirty_slot *ds = dirty_slot(mmu, slot);
	u64 w, words;

	if (!ds)
		return -1;
	words = (ds->npages + 63) / 64;
	memcpy(bitmap, ds->bitmap, words * 8);
	if (manual_protect)
		return 0;
	for (w = 0; w < words; w++) {
		u64 m = ds->bitmap[w];

		ds->bitmap[w] = 0;
		for (; m; m &= m - 1)
			dirty_log_write_protect(mmu, ds->base_gfn + w * 64 +
						__builtin_ctzll(m));
	}
	mmu_flush_if_needed(mmu);
	return 0;
}

/* first must be 64-aligned; npages too unless it reaches the end. */
int mmu_dirty_log_clear(struct mmu *mmu, int slot, u64 first,
			u64 npages, const u64 *mask)
{
	struct mmu_dirty_slot *ds = dirty_slot(mmu, slot);
	u64 i;

	if (!ds || first % 64 || first > ds->npages ||
	    npages > ds->npages - first ||
	    (npages % 64 && first + npages != ds->npages))
		return -1;
	for (i = 0; i < npages; i++) {
		u64 n = first + i, bit = 1ULL << (n % 64);

		if (!(mask[i / 64] & (1ULL << (i % 64))) ||
		    !(ds->bitmap[n / 64] & bit))
			continue;
		ds->bitmap[n / 64] &= ~bit;
		dirty_log_write_protect(mmu, ds->base_gfn + n);
	}
	mmu_flush_if_needed(mmu);
	return 0;
}
