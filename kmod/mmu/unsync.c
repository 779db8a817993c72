// SPDX-License-Identifier: GPL-2.0
/*
 * Unsync leaf pages. A guest page table that is only ever a leaf table
 * (level 1) may be left writable: the guest edits it freely and the
 * shadow catches up when the guest must invalidate anyway - INVLPG for
 * one address, CR3 load or a TLB flush for all. Parents carry a bitmap
 * of children that lead to unsync pages so a sync visits only those.
 */
#include "mmu_internal.h"

/* Propagate "has unsync below" from sp up to every root above it. */
void unsync_mark_parents(struct mmu *mmu, struct mmu_page *sp)
{
	u32 i;

	for (i = 0; i < sp->nr_parents; i++) {
		struct mmu_page *p = sp->parents[i].sp;
		u32 idx = sp->parents[i].idx;
		u64 bit = 1ULL << (idx % 64);

		if (p->unsync_child_bitmap[idx / 64] & bit)
			continue;
		p->unsync_child_bitmap[idx / 64] |= bit;
		if (p->unsync_children++ == 0)
			unsync_mark_parents(mmu, p);
	}
}

/*
 * unsync_try - let the guest write gfn without trapping. Only possible
 * when every shadow page of gfn is a leaf table. Returns 0 on success.
 */
int unsync_try(struct mmu *mmu, u64 gfn)
{
	struct mmu_page *sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn);

	if (!mmu->cfg.unsync)
		return -1;
	for (; sp; sp = sp->hash_next)
		if (!sp->role.direct && sp->role.level != 1)
			return -1;
	for (sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn); sp; sp = sp->hash_next) {
		if (sp->role.direct || sp->unsync)
			continue;
		sp->unsync = true;
		mmu->stats.unsync_events++;
		unsync_mark_parents(mmu, sp);
	}
	return 0;
}

/*
 * Re-read every gpte of sp and refresh its sptes; sp stays unsync. An
 * entry that cannot be refreshed (out of memory) is left dropped, so
 * the page is never left stale; the walk goes on to the end.
 */
static int sync_contents(struct mmu *mmu, struct mmu_page *sp)
{
	u32 gsize = sp->role.gpte_4byte ? 4 : 8;
	int i, ret = 0;

	for (i = 0; i < SPTE_ENTRIES; i++) {
		u64 gpte = 0;

		if (mmu->ops->read_guest(mmu->ctx, shadow_gpte_gpa(sp, i),
					 &gpte, gsize))
			gpte = 0;
		if (shadow_update_leaf(mmu, sp, i, gpte))
			ret = -1;
	}
	mmu->stats.syncs++;
	return ret;
}

/*
 * unsync_sync_page - bring an unsync page up to date. Called when it
 * is linked again (contents only, it stays unsync) and, through
 * unsync_sync_roots, on CR3 load (synced and write-protected again).
 */
int unsync_sync_page(struct mmu *mmu, struct mmu_page *sp)
{
	return sync_contents(mmu, sp);
}

static void resync(struct mmu *mmu, struct mmu_page *sp)
{
	sync_contents(mmu, sp);
	sp->unsync = false;
	mmu_rmap_write_protect(mmu, sp->gfn, false);
}

static void sync_children(struct mmu *mmu, struct mmu_page *sp, int depth)
{
	int i;

	if (!sp->unsync_children || depth > 5)
		return;
	for (i = 0; i < SPTE_ENTRIES; i++) {
		u64 bit = 1ULL << (i % 64);
		struct mmu_page *child;

		if (!(sp->unsync_child_bitmap[i / 64] & bit))
			continue;
		sp->unsync_child_bitmap[i / 64] &= ~bit;
		sp->unsync_children--;
		if (!spte_present(mmu, sp->spt[i]))
			continue;
		child = mmu_page_of_hpa(mmu, sp->spt[i]);
		if (!child)
			continue;
		if (child->unsync)
			resync(mmu, child);
		sync_children(mmu, child, depth + 1);
	}
}

/*
 * A page with unsync pages below it was linked again: the guest may
 * have changed them and flushed while they were unreachable, so they
 * are synced before the guest can use the path (KVM: MMU_SYNC).
 */
void unsync_sync_subtree(struct mmu *mmu, struct mmu_page *sp)
{
	sync_children(mmu, sp, 0);
}

/* CR3 load / TLB flush: sync everything reachable from the root. */
void unsync_sync_roots(struct mmu *mmu)
{
	if (mmu->root.valid)
		sync_children(mmu, mmu->root.top, 0);
}

/* INVLPG: refresh the one spte for va if its page is unsync. */
void unsync_invlpg(struct mmu *mmu, u64 va)
{
	struct mmu_page *sp = shadow_leaf_page_of(mmu, va);
	int idx = (va >> MMU_PAGE_SHIFT) & 511;
	u64 gpte = 0;

	if (!sp || sp->role.direct || !sp->unsync)
		return;
	if (mmu->ops->read_guest(mmu->ctx, shadow_gpte_gpa(sp, idx), &gpte,
				 sp->role.gpte_4byte ? 4 : 8))
		gpte = 0;
	shadow_update_leaf(mmu, sp, idx, gpte);
}

/*
 * unsync_account_shadowed - gfn gets a new guest-table shadow page.
 * A non-leaf table cannot be unsync, so unsync pages of gfn are zapped
 * first; then every spte that maps gfn loses write access.
 */
void unsync_account_shadowed(struct mmu *mmu, u64 gfn, int level)
{
	struct mmu_page *sp;

	if (level > 1) {
restart:
		for (sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn); sp;
		     sp = sp->hash_next) {
			if (sp->unsync && !sp->role.direct) {
				shadow_zap_page(mmu, sp);
				goto restart;
			}
		}
	}
	mmu_rmap_write_protect(mmu, gfn, false);
}
