// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated writes to write-protected guest page tables. The write goes
 * to guest memory, then every shadow page of the gfn is brought in
 * step: a leaf entry is recomputed from the new gpte, a non-leaf entry
 * is dropped (the next fault relinks it). Pages written again and
 * again without the guest translating through them are being reused
 * as data: they are unshadowed (write-flood detection).
 */
#include "mmu_internal.h"

static bool write_misaligned(u64 gpa, u32 len, u32 gsize)
{
	u32 off = gpa & (gsize - 1);

	return off + len > gsize;
}

/* A 4-byte-gpte PD entry covers two shadow entries: drop both. */
static void drop_pde32(struct mmu *mmu, struct mmu_page *sp, u32 g)
{
	if (g / 256 != sp->role.quadrant)
		return;
	shadow_drop_spte(mmu, sp, (g % 256) * 2);
	shadow_drop_spte(mmu, sp, (g % 256) * 2 + 1);
}

static void update_entry(struct mmu *mmu, struct mmu_page *sp, u32 g)
{
	u32 gsize = sp->role.gpte_4byte ? 4 : 8;
	int idx = g;
	u64 gpte = 0;

	if (sp->role.gpte_4byte && sp->role.level > 1) {
		drop_pde32(mmu, sp, g);
		return;
	}
	if (sp->role.gpte_4byte) {
		if (g / 512 != sp->role.quadrant)
			return;
		idx = g % 512;
	}
	if (sp->role.level > 1) {
		shadow_drop_spte(mmu, sp, idx);
		return;
	}
	if (mmu->ops->read_guest(mmu->ctx, shadow_gpte_gpa(sp, idx), &gpte,
				 gsize))
		gpte = 0;
	shadow_update_leaf(mmu, sp, idx, gpte);
}

/*
 * Leaf tables are left out when unsync is on, as in KVM: the guest
 * writing them often makes them unsync, not unshadowed.
 */
static bool write_flooded(struct mmu *mmu, struct mmu_page *sp)
{
	if (sp->role.level == 1 && mmu->cfg.unsync)
		return false;
	return ++sp->write_flooding >= MMU_FLOOD_LIMIT;
}

/* Returns true if sp was zapped (the gfn's chain changed). */
static bool write_one_page(struct mmu *mmu, struct mmu_page *sp, u64 gpa,
			   u32 len)
{
	u32 gsize = sp->role.gpte_4byte ? 4 : 8;

	if (write_misaligned(gpa, len, gsize)) {
		shadow_zap_page(mmu, sp);
		return true;
	}
	if (write_flooded(mmu, sp)) {
		mmu->stats.flood_zaps++;
		shadow_zap_page(mmu, sp);
		return true;
	}
	update_entry(mmu, sp, (gpa & (MMU_PAGE_SIZE - 1)) / gsize);
	return false;
}

/*
 * pte_write_emulated - store val (len bytes, len <= 8) at gpa for the
 * guest and update the shadow pages of that gfn. Returns -1 if gpa
 * has no memory.
 */
int pte_write_emulated(struct mmu *mmu, u64 gpa, u64 val, u32 len)
{
	u64 gfn = gpa >> MMU_PAGE_SHIFT;
	struct mmu_page *sp;
	u64 gen = ++mmu->fault_gen;

	if (len > 8 || mmu->ops->write_guest(mmu->ctx, gpa, &val, len))
		return -1;
	mmu_mark_dirty(mmu, gfn);
restart:
	for (sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn); sp; sp = sp->hash_next) {
		if (sp->role.direct || sp->role.invalid || sp->fault_gen == gen)
			continue;
		sp->fault_gen = gen;
		if (write_one_page(mmu, sp, gpa, len))
			goto restart;
	}
	mmu_flush_if_needed(mmu);
	return 0;
}
