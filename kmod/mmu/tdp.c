// SPDX-License-Identifier: GPL-2.0
/*
 * Two-dimensional paging: NPT (x86 format) or EPT tables mapping gpa
 * to hpa, built lazily on faults. Large pages are used where the
 * memslot and host backing allow and the slot is not dirty-logged.
 * Tables are plain mmu_page objects found by address, not by role:
 * a gpa has exactly one mapping, so there is nothing to share.
 */
#include "mmu_internal.h"

static u64 level_span(int level)
{
	return 1ULL << (9 * (level - 1));
}

static int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & 511;
}

int tdp_init(struct mmu *mmu)
{
	union mmu_role role = { .word = 0 };
	struct mmu_page *root;

	role.level = 4;
	role.direct = 1;
	root = mmu_page_alloc(mmu, 0, role, false);
	if (!root)
		return -1;
	root->root_count = 1;
	mmu->root.top = root;
	mmu->root.hpa = root->hpa;
	mmu->root.valid = true;
	return 0;
}

static void free_subtree(struct mmu *mmu, struct mmu_page *sp)
{
	int i;

	for (i = 0; sp->role.level > 1 && i < SPTE_ENTRIES; i++) {
		u64 spte = sp->spt[i];

		if (spte_present(mmu, spte) &&
		    !spte_large(mmu, spte, sp->role.level))
			free_subtree(mmu, mmu_page_of_hpa(mmu, spte));
	}
	mmu_page_free(mmu, sp);
}

void tdp_destroy(struct mmu *mmu)
{
	if (mmu->root.valid)
		free_subtree(mmu, mmu->root.top);
	mmu->root.valid = false;
}

/* Descend to the table at level for gfn, allocating as needed. */
static struct mmu_page *tdp_table(struct mmu *mmu, u64 gfn, int *level)
{
	struct mmu_page *sp = mmu->root.top;
	int l;

	for (l = 4; l > *level; l--) {
		int idx = tdp_index(gfn, l);
		u64 spte = sp->spt[idx];
		union mmu_role role = { .word = 0 };
		struct mmu_page *child;

		if (spte_present(mmu, spte) && !spte_large(mmu, spte, l)) {
			sp = mmu_page_of_hpa(mmu, spte);
			continue;
		}
		if (spte_present(mmu, spte)) {
			/* A large leaf in the way: replace it by a table. */
			sp->spt[idx] = 0;
			mmu->need_flush = true;
		}
		role.level = l - 1;
		role.direct = 1;
		child = mmu_page_alloc(mmu, gfn & ~(level_span(l) - 1), role,
				       false);
		if (!child)
			return NULL;
		sp->spt[idx] = spte_make_table(mmu, child->hpa);
		sp = child;
	}
	*level = l;
	return sp;
}

/* Where a table already exists, map below it (no huge recovery). */
static int tdp_level(struct mmu *mmu, u64 gfn, int want)
{
	struct mmu_page *sp = mmu->root.top;
	int l;

	for (l = 4; l > 1; l--) {
		u64 spte = sp->spt[tdp_index(gfn, l)];

		if (!spte_present(mmu, spte) || spte_large(mmu, spte, l))
			break;
		if (l <= want)
			want = l - 1;
		sp = mmu_page_of_hpa(mmu, spte);
	}
	return want;
}

static bool tdp_fast_fault(struct mmu *mmu, u64 gfn, u32 ec)
{
	struct mmu_page *sp = mmu->root.top;
	int l;

	if (!(ec & PFERR_PRESENT) || !(ec & PFERR_WRITE))
		return false;
	for (l = 4; l > 1; l--) {
		u64 spte = sp->spt[tdp_index(gfn, l)];

		if (!spte_present(mmu, spte) || spte_large(mmu, spte, l))
			return false;
		sp = mmu_page_of_hpa(mmu, spte);
	}
	return dirty_log_fast_fault(mmu, sp, tdp_index(gfn, 1), ec);
}

/*
 * tdp_page_fault - an NPT/EPT violation at gpa.
 * 1. Fast path for a write to a page only dirty logging protects.
 * 2. Translate the gfn through the memslots (none: MMIO exit).
 * 3. Pick the level (host and slot limit, dirty logging forces 4K),
 *    build tables down to it and install the leaf.
 */
enum mmu_fault_ret tdp_page_fault(struct mmu *mmu, u64 gpa, u32 ec,
				  struct mmu_fault *out)
{
	u64 gfn = gpa >> MMU_PAGE_SHIFT, base;
	bool write = ec & PFERR_WRITE, w;
	struct mmu_page *sp;
	struct mmu_pfn pfn;
	int level;

	if (tdp_fast_fault(mmu, gfn, ec))
		return MMU_RET_RETRY;
	out->gpa = gpa;
	if (mmu->ops->gfn_to_pfn(mmu->ctx, gfn, &pfn) ||
	    (write && !pfn.writable))
		return MMU_RET_MMIO;
	level = pfn.max_level > 3 ? 3 : pfn.max_level;
	if (level < 1 || dirty_slot_of_gfn(mmu, gfn))
		level = 1;
	level = tdp_level(mmu, gfn, level);
	sp = tdp_table(mmu, gfn, &level);
	if (!sp)
		return MMU_RET_NOMEM;
	base = gfn & ~(level_span(level) - 1);
	w = pfn.writable && (write || !mmu_gfn_logged_clean(mmu, gfn));
	if (w)
		mmu_mark_dirty(mmu, gfn);
	if (spte_present(mmu, sp->spt[tdp_index(gfn, level)]))
		mmu->need_flush = true;
	sp->spt[tdp_index(gfn, level)] =
		spte_make_tdp_leaf(mmu, pfn.hfn - (gfn - base), level, w,
				   pfn.writable);
	if (sp->gfns)
		sp->gfns[tdp_index(gfn, level)] = base;
	return MMU_RET_RETRY;
}

/* Zap leaves overlapping [start, end) below sp; free emptied tables. */
static void zap_below(struct mmu *mmu, struct mmu_page *sp, u64 start,
		      u64 end, bool large_only)
{
	int level = sp->role.level, i;
	u64 span = level_span(level);

	for (i = 0; i < SPTE_ENTRIES; i++) {
		u64 lo = sp->gfn + i * span, spte = sp->spt[i];
		struct mmu_page *child;

		if (!spte_present(mmu, spte) || lo >= end || lo + span <= start)
			continue;
		if (spte_large(mmu, spte, level)) {
			if (large_only && level == 1)
				continue;
			sp->spt[i] = 0;
			mmu->need_flush = true;
			continue;
		}
		child = mmu_page_of_hpa(mmu, spte);
		if (!large_only && lo >= start && lo + span <= end) {
			sp->spt[i] = 0;
			mmu->need_flush = true;
			free_subtree(mmu, child);
			continue;
		}
		zap_below(mmu, child, start, end, large_only);
	}
}

void tdp_zap_range(struct mmu *mmu, u64 start, u64 end, bool large_only)
{
	zap_below(mmu, mmu->root.top, start, end, large_only);
}

void tdp_write_protect_gfn(struct mmu *mmu, u64 gfn)
{
	struct mmu_page *sp = mmu->root.top;
	int l, idx;

	for (l = 4; l >= 1; l--) {
		u64 spte;

		idx = tdp_index(gfn, l);
		spte = sp->spt[idx];
		if (!spte_present(mmu, spte))
			return;
		if (spte_large(mmu, spte, l))
			break;
		sp = mmu_page_of_hpa(mmu, spte);
	}
	if (l > 1) {
		/* Logging maps 4K only; a huge leaf here is dropped. */
		sp->spt[idx] = 0;
		mmu->need_flush = true;
		return;
	}
	if (spte_writable(mmu, sp->spt[idx])) {
		sp->spt[idx] = spte_set_writable(mmu, sp->spt[idx], false);
		mmu->need_flush = true;
	}
}
