// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow roots, one per (CR3, mode, role), with a small cache of the
 * previous roots so a guest switching between a few address spaces
 * finds its shadow tables again. PAE and 32-bit guests get two pseudo
 * levels above their top table because the shadow tables are always
 * 4-level (5-level for LA57 guests).
 */
#include "mmu_internal.h"

int mmu_root_level(struct mmu *mmu)
{
	if (mmu->cfg.kind == MMU_KIND_SHADOW && mmu->pg.mode == MMU_MODE_LM5)
		return 5;
	return 4;
}

static u64 root_cr3(const struct mmu_paging *pg)
{
	switch (pg->mode) {
	case MMU_MODE_OFF:
		return 0;
	case MMU_MODE_PAE:
		return pg->cr3 & 0xffffffe0ULL;
	case MMU_MODE_32:
		return pg->cr3 & 0xfffff000ULL;
	default:
		return pg->cr3 & ((1ULL << MMU_MAXPHYADDR) - 1) & ~0xfffULL;
	}
}

static u32 root_key(struct mmu *mmu)
{
	return shadow_base_role(mmu).word | ((u32)mmu->pg.mode << 24);
}

static bool root_matches(struct mmu *mmu, const struct mmu_root *r)
{
	if (!r->valid || r->top->role.invalid)
		return false;
	if (r->cr3 != root_cr3(&mmu->pg) || r->role_word != root_key(mmu))
		return false;
	if (mmu->pg.mode == MMU_MODE_PAE &&
	    memcmp(r->pdptes, mmu->pg.pdptes, sizeof(r->pdptes)))
		return false;
	return true;
}

void shadow_put_root(struct mmu *mmu, struct mmu_root *r)
{
	struct mmu_page *top = r->top;
	int i;

	if (!r->valid)
		return;
	r->valid = false;
	if (top->pseudo) {
		struct mmu_page *p3 = mmu_page_of_hpa(mmu, top->spt[0]);

		for (i = 0; i < SPTE_ENTRIES; i++)
			shadow_drop_spte(mmu, p3, i);
		shadow_drop_spte(mmu, top, 0);
		mmu_page_free(mmu, p3);
		mmu_page_free(mmu, top);
		return;
	}
	if (!--top->root_count && top->role.invalid)
		mmu_page_free(mmu, top);
}

void shadow_free_roots(struct mmu *mmu)
{
	int i;

	shadow_put_root(mmu, &mmu->root);
	for (i = 0; i < MMU_PREV_ROOTS; i++)
		shadow_put_root(mmu, &mmu->prev[i]);
}

static struct mmu_page *root_real(struct mmu *mmu, int level)
{
	union mmu_role role = shadow_base_role(mmu);
	struct mmu_page *sp;
	u64 gfn = root_cr3(&mmu->pg) >> MMU_PAGE_SHIFT;

	role.level = level;
	role.access = MMU_ACC_ALL;
	role.direct = mmu->pg.mode == MMU_MODE_OFF;
	sp = shadow_find_page(mmu, gfn, role);
	if (sp)
		return sp;
	if (pressure_make_room(mmu))
		return NULL;
	if (!role.direct)
		unsync_account_shadowed(mmu, gfn, level);
	return mmu_page_alloc(mmu, gfn, role, true);
}

static struct mmu_page *root_pseudo(struct mmu *mmu)
{
	union mmu_role role = shadow_base_role(mmu);
	struct mmu_page *p4, *p3;

	role.level = 4;
	p4 = mmu_page_alloc(mmu, 0, role, false);
	if (!p4)
		return NULL;
	role.level = 3;
	p3 = mmu_page_alloc(mmu, 0, role, false);
	if (!p3 || mmu_page_add_parent(mmu, p3, p4, 0)) {
		if (p3)
			mmu_page_free(mmu, p3);
		mmu_page_free(mmu, p4);
		return NULL;
	}
	p4->spt[0] = spte_make_table(mmu, p3->hpa);
	return p4;
}

static int root_build(struct mmu *mmu, struct mmu_root *r)
{
	struct mmu_page *top;

	if (mmu->pg.mode == MMU_MODE_PAE || mmu->pg.mode == MMU_MODE_32)
		top = root_pseudo(mmu);
	else
		top = root_real(mmu, mmu_root_level(mmu));
	if (!top)
		return -1;
	top->root_count++;
	r->top = top;
	r->hpa = top->hpa;
	r->cr3 = root_cr3(&mmu->pg);
	r->role_word = root_key(mmu);
	memcpy(r->pdptes, mmu->pg.pdptes, sizeof(r->pdptes));
	r->valid = true;
	return 0;
}

/* Keep the outgoing root in the cache; evict the oldest. */
static void root_retire(struct mmu *mmu)
{
	int i;

	if (!mmu->root.valid)
		return;
	if (mmu->root.top->role.invalid) {
		shadow_put_root(mmu, &mmu->root);
		return;
	}
	shadow_put_root(mmu, &mmu->prev[MMU_PREV_ROOTS - 1]);
	for (i = MMU_PREV_ROOTS - 1; i > 0; i--)
		mmu->prev[i] = mmu->prev[i - 1];
	mmu->prev[0] = mmu->root;
	mmu->root.valid = false;
}

/*
 * shadow_load_root - make mmu->root the root for the current paging
 * state: keep it, take it from the cache, or build it. A root that
 * changed is synced and the hardware TLB flushed.
 */
int shadow_load_root(struct mmu *mmu)
{
	struct mmu_root found = { .valid = false };
	int i;

	if (root_matches(mmu, &mmu->root))
		return 0;
	for (i = 0; i < MMU_PREV_ROOTS; i++) {
		if (root_matches(mmu, &mmu->prev[i])) {
			found = mmu->prev[i];
			mmu->prev[i].valid = false;
			mmu->stats.root_hits++;
			break;
		}
	}
	root_retire(mmu);
	if (found.valid)
		mmu->root = found;
	else if (root_build(mmu, &mmu->root))
		return -1;
	unsync_sync_roots(mmu);
	mmu->need_flush = true;
	mmu_flush_if_needed(mmu);
	return 0;
}
