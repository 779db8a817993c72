// SPDX-License-Identifier: GPL-2.0
/*
 * The MMU object: creation and teardown, and the entry points the
 * vCPU code calls, each dispatched to TDP or shadow paging.
 */
#include "mmu_internal.h"

#define MIN_SHADOW_PAGES 16

void *mmu_zalloc(struct mmu *mmu, size_t size)
{
	return mmu->ops->zalloc(mmu->ctx, size);
}

void mmu_free(struct mmu *mmu, void *p)
{
	if (p)
		mmu->ops->free(mmu->ctx, p);
}

/* Sptes lost permissions or frames: the hardware TLB must forget. */
void mmu_flush_if_needed(struct mmu *mmu)
{
	if (!mmu->need_flush)
		return;
	mmu->need_flush = false;
	mmu->ops->flush_tlb(mmu->ctx);
}

static bool is_shadow(struct mmu *mmu)
{
	return mmu->cfg.kind == MMU_KIND_SHADOW;
}

struct mmu *mmu_create(const struct mmu_host_ops *ops, void *ctx,
		       const struct mmu_config *cfg)
{
	struct mmu *mmu = ops->zalloc(ctx, sizeof(*mmu));

	if (!mmu)
		return NULL;
	mmu->ops = ops;
	mmu->ctx = ctx;
	mmu->cfg = *cfg;
	if (!mmu->cfg.max_shadow_pages)
		mmu->cfg.max_shadow_pages = MMU_DEFAULT_MAX_SP;
	if (mmu->cfg.max_shadow_pages < MIN_SHADOW_PAGES)
		mmu->cfg.max_shadow_pages = MIN_SHADOW_PAGES;
	mmu->ept = cfg->kind == MMU_KIND_EPT;
	mmu->lru.lru_next = &mmu->lru;
	mmu->lru.lru_prev = &mmu->lru;
	mmu->pg.mode = MMU_MODE_OFF;
	mmu->pg.wp = true;
	if (mmu_hmap_init(mmu, &mmu->sp_by_gfn, 256) ||
	    mmu_hmap_init(mmu, &mmu->sp_by_hpa, 256) ||
	    mmu_hmap_init(mmu, &mmu->rmap, 256))
		goto err;
	if (!is_shadow(mmu) && tdp_init(mmu))
		goto err;
	return mmu;
err:
	mmu_destroy(mmu);
	return NULL;
}

void mmu_destroy(struct mmu *mmu)
{
	int i;

	if (!mmu)
		return;
	if (is_shadow(mmu)) {
		shadow_free_roots(mmu);
		while (mmu->lru.lru_next != &mmu->lru) {
			mmu->lru.lru_next->root_count = 0;
			shadow_zap_page(mmu, mmu->lru.lru_next);
		}
	} else if (mmu->sp_by_hpa.buckets) {
		tdp_destroy(mmu);
	}
	for (i = 0; i < MMU_MAX_SLOTS; i++)
		mmu_free(mmu, mmu->dirty[i].bitmap);
	if (mmu->rmap.buckets)
		mmu_rmap_destroy(mmu);
	if (mmu->sp_by_gfn.buckets)
		mmu_hmap_destroy(mmu, &mmu->sp_by_gfn);
	if (mmu->sp_by_hpa.buckets)
		mmu_hmap_destroy(mmu, &mmu->sp_by_hpa);
	mmu->ops->free(mmu->ctx, mmu);
}

/*
 * mmu_set_paging - the guest loaded CR3 or changed CR0/CR4/EFER. Both
 * flush the guest's TLB, so the shadow syncs everything reachable.
 */
int mmu_set_paging(struct mmu *mmu, const struct mmu_paging *pg)
{
	int r;

	mmu->pg = *pg;
	if (mmu->pg.mode == MMU_MODE_NPT) {
		/* The CPU walks an NPT with user accesses, no SMEP/SMAP. */
		mmu->pg.smep = false;
		mmu->pg.smap = false;
		mmu->pg.wp = true;
	}
	mmu->paging_set = true;
	if (!is_shadow(mmu))
		return 0;
	/* The guest's TLB is flushed even if no root can be built now. */
	mmu->need_flush = true;
	r = shadow_load_root(mmu);
	if (!r)
		unsync_sync_roots(mmu);
	mmu->need_flush = true;
	mmu_flush_if_needed(mmu);
	return r;
}

u64 mmu_root_hpa(struct mmu *mmu)
{
	if (is_shadow(mmu) && shadow_load_root(mmu))
		return 0;
	return mmu->root.hpa;
}

enum mmu_fault_ret mmu_page_fault(struct mmu *mmu, u64 addr, u32 ec,
				  struct mmu_fault *out)
{
	enum mmu_fault_ret r;

	mmu->stats.faults++;
	mmu->fault_gen++;
	if (is_shadow(mmu))
		r = shadow_page_fault(mmu, addr, ec, out);
	else
		r = tdp_page_fault(mmu, addr, ec, out);
	mmu_flush_if_needed(mmu);
	return r;
}

void mmu_invlpg(struct mmu *mmu, u64 va)
{
	if (!is_shadow(mmu))
		return;
	unsync_invlpg(mmu, va);
	/*
	 * The guest's INVLPG must also reach the hardware TLB: va alone
	 * where the host can, unless the sync changed a present spte,
	 * which other addresses may reach through a shared table (KVM's
	 * FNAME(invlpg) flushes every address then too).
	 */
	if (!mmu->need_flush && mmu->ops->flush_tlb_gva) {
		mmu->ops->flush_tlb_gva(mmu->ctx, va);
		return;
	}
	mmu->need_flush = true;
	mmu_flush_if_needed(mmu);
}

void mmu_flush_guest_tlb(struct mmu *mmu)
{
	if (!is_shadow(mmu))
		return;
	unsync_sync_roots(mmu);
	mmu->need_flush = true;
	mmu_flush_if_needed(mmu);
}

int mmu_emulate_write(struct mmu *mmu, u64 gpa, u64 val, u32 len)
{
	return pte_write_emulated(mmu, gpa, val, len);
}

void mmu_unprotect_gfn(struct mmu *mmu, u64 gfn)
{
	if (!is_shadow(mmu))
		return;
	mmu->stats.unprotects++;
	shadow_unprotect_gfn(mmu, gfn);
	mmu_flush_if_needed(mmu);
}

/* Shadow: leaves via the rmap, and guest tables living in the range. */
static void shadow_zap_range(struct mmu *mmu, u64 start, u64 end)
{
	u64 gfn;

	for (gfn = start; gfn < end; gfn++) {
		struct mmu_page *sp;

		/* Large slots: let the host schedule now and then. */
		if (gfn % 4096 == 4095)
			mmu->ops->yield(mmu->ctx);
		mmu_rmap_zap_gfn(mmu, gfn);
		while ((sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn)))
			shadow_zap_page(mmu, sp);
	}
}

void mmu_zap_gfn_range(struct mmu *mmu, u64 start, u64 end)
{
	mmu->fault_gen++;
	if (is_shadow(mmu))
		shadow_zap_range(mmu, start, end);
	else
		tdp_zap_range(mmu, start, end, false);
	mmu_flush_if_needed(mmu);
}

void mmu_get_stats(struct mmu *mmu, struct mmu_stats *st)
{
	*st = mmu->stats;
}
