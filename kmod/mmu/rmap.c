// SPDX-License-Identifier: GPL-2.0
/*
 * The reverse map: for each gfn, the shadow leaf sptes that map it.
 * Write-protecting a gfn (it became a shadowed guest page table, or
 * dirty logging) and zapping a gfn (memslot removal) go through it.
 */
#include "mmu_internal.h"

struct mmu_rmap *mmu_rmap_get(struct mmu *mmu, u64 gfn)
{
	return mmu_hmap_get(&mmu->rmap, gfn);
}

int mmu_rmap_add(struct mmu *mmu, u64 gfn, struct mmu_page *sp, u32 idx)
{
	struct mmu_rmap *rm = mmu_rmap_get(mmu, gfn);

	if (!rm) {
		rm = mmu_zalloc(mmu, sizeof(*rm));
		if (!rm)
			return -1;
		if (mmu_hmap_put(mmu, &mmu->rmap, gfn, rm)) {
			mmu_free(mmu, rm);
			return -1;
		}
	}
	if (mmu_grow_sptep(mmu, &rm->sptes, &rm->cap, rm->nr + 1)) {
		if (!rm->nr) {
			mmu_hmap_del(mmu, &mmu->rmap, gfn);
			mmu_free(mmu, rm);
		}
		return -1;
	}
	rm->sptes[rm->nr].sp = sp;
	rm->sptes[rm->nr].idx = idx;
	rm->nr++;
	return 0;
}

void mmu_rmap_del(struct mmu *mmu, u64 gfn, struct mmu_page *sp, u32 idx)
{
	struct mmu_rmap *rm = mmu_rmap_get(mmu, gfn);
	u32 i;

	if (!rm)
		return;
	for (i = 0; i < rm->nr; i++) {
		if (rm->sptes[i].sp == sp && rm->sptes[i].idx == idx) {
			rm->sptes[i] = rm->sptes[--rm->nr];
			break;
		}
	}
	if (rm->nr)
		return;
	mmu_hmap_del(mmu, &mmu->rmap, gfn);
	mmu_free(mmu, rm->sptes);
	mmu_free(mmu, rm);
}

/*
 * mmu_rmap_write_protect - clear W on every spte mapping gfn.
 * @keep_mmu_w: dirty logging keeps SPTE_MMU_WRITABLE so the fast path
 *	may restore W; shadowing a guest table clears it too.
 * Returns true if an spte changed (the caller must flush).
 */
bool mmu_rmap_write_protect(struct mmu *mmu, u64 gfn, bool keep_mmu_w)
{
	struct mmu_rmap *rm = mmu_rmap_get(mmu, gfn);
	bool changed = false;
	u32 i;

	for (i = 0; rm && i < rm->nr; i++) {
		u64 *sptep = &rm->sptes[i].sp->spt[rm->sptes[i].idx];
		u64 new = spte_set_writable(mmu, *sptep, false);

		if (!keep_mmu_w)
			new &= ~SPTE_MMU_WRITABLE;
		if (new != *sptep) {
			changed |= spte_writable(mmu, *sptep);
			*sptep = new;
		}
	}
	if (changed)
		mmu->need_flush = true;
	return changed;
}

bool mmu_rmap_zap_gfn(struct mmu *mmu, u64 gfn)
{
	struct mmu_rmap *rm;
	bool changed = false;

	while ((rm = mmu_rmap_get(mmu, gfn))) {
		struct mmu_sptep e = rm->sptes[0];
		u32 nr = rm->nr;

		shadow_drop_spte(mmu, e.sp, e.idx);
		/* Never spin on an entry the drop did not remove. */
		if (mmu_rmap_get(mmu, gfn) == rm && rm->nr == nr)
			mmu_rmap_del(mmu, gfn, e.sp, e.idx);
		changed = true;
	}
	return changed;
}

void mmu_rmap_destroy(struct mmu *mmu)
{
	u32 i;

	for (i = 0; i < mmu->rmap.nr_buckets; i++) {
		struct mmu_hmap_ent *e;

		for (e = mmu->rmap.buckets[i]; e; e = e->next) {
			struct mmu_rmap *rm = e->val;

			mmu_free(mmu, rm->sptes);
			mmu_free(mmu, rm);
		}
	}
	mmu_hmap_destroy(mmu, &mmu->rmap);
}
