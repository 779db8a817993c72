// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow paging: shadow pages keyed by (gfn, role), built lazily on
 * guest page faults from the guest walker's result. Leaf sptes are
 * always 4K: a large guest page is mapped through direct shadow pages,
 * which lets small host pages back it and keeps write-tracking of
 * guest tables inside it exact.
 */
#include "mmu_internal.h"

#define GPTE_RSVD_8	(((1ULL << 63) - 1) & ~((1ULL << MMU_MAXPHYADDR) - 1))
#define GPTE_ADDR_8	(((1ULL << MMU_MAXPHYADDR) - 1) & ~0xfffULL)

union mmu_role shadow_base_role(struct mmu *mmu)
{
	const struct mmu_paging *pg = &mmu->pg;
	union mmu_role r = { .word = 0 };

	r.gpte_4byte = pg->mode == MMU_MODE_32;
	r.efer_nx = pg->nxe;
	r.cr0_wp = pg->wp;
	r.smep_andnot_wp = pg->smep && !pg->wp;
	/*
	 * EFLAGS.AC is not in the role. KVM folds it into the permission
	 * check at fault time, and so do we: the walker reads it from the
	 * access (PFERR_AC), while sptes keep the guest's U bit and the
	 * hardware, running with the guest's CR4.SMAP and EFLAGS, applies
	 * SMAP and AC to every access itself. The one spte that would bake
	 * a supervisor permission in, the CR0.WP=0 write trick, is not
	 * used on user pages under SMAP (shadow_leaf_spte), so no cached
	 * permission depends on AC.
	 */
	r.smap_andnot_wp = pg->smap && !pg->wp;
	r.guest_mode = pg->mode == MMU_MODE_NPT;
	/* CR4.PSE changes what a 32-bit PDE means, so it keys pages. */
	r.cr4_pse = pg->mode == MMU_MODE_32 && pg->pse;
	return r;
}

struct mmu_page *shadow_find_page(struct mmu *mmu, u64 gfn,
				  union mmu_role role)
{
	struct mmu_page *sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn);

	for (; sp; sp = sp->hash_next)
		if (sp->role.word == role.word)
			return sp;
	return NULL;
}

/* Zap every guest-table shadow of gfn: writes to it stop trapping. */
void shadow_unprotect_gfn(struct mmu *mmu, u64 gfn)
{
	struct mmu_page *sp;

restart:
	for (sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn); sp; sp = sp->hash_next) {
		if (!sp->role.direct && !sp->role.invalid) {
			shadow_zap_page(mmu, sp);
			goto restart;
		}
	}
}

/* Writes to gfn must trap while a synced guest table shadows it. */
bool shadow_gfn_tracked(struct mmu *mmu, u64 gfn)
{
	struct mmu_page *sp = mmu_hmap_get(&mmu->sp_by_gfn, gfn);

	for (; sp; sp = sp->hash_next)
		if (!sp->role.direct && !sp->role.invalid)
			return true;
	return false;
}

/*
 * Guest address of the gpte that entry idx of a leaf (level 1) page
 * mirrors; a 32-bit guest PT is split in two quadrants of 512.
 */
u64 shadow_gpte_gpa(struct mmu_page *sp, int idx)
{
	u64 base = sp->gfn << MMU_PAGE_SHIFT;

	if (!sp->role.gpte_4byte)
		return base + idx * 8;
	return base + (sp->role.quadrant * 512 + idx) * 4;
}

void shadow_drop_spte(struct mmu *mmu, struct mmu_page *sp, int idx)
{
	u64 spte = sp->spt[idx];
	u64 bit = 1ULL << (idx % 64);

	if (!spte_present(mmu, spte))
		return;
	if (sp->role.level == 1) {
		mmu_rmap_del(mmu, sp->gfns[idx], sp, idx);
	} else {
		struct mmu_page *child = mmu_page_of_hpa(mmu, spte);

		if (child)
			mmu_page_del_parent(child, sp, idx);
		if (sp->unsync_child_bitmap[idx / 64] & bit) {
			sp->unsync_child_bitmap[idx / 64] &= ~bit;
			sp->unsync_children--;
		}
	}
	sp->spt[idx] = 0;
	mmu->need_flush = true;
}

/*
 * shadow_zap_page - unlink sp from its parents and its children, drop
 * its leaves from the rmap. A root in use is only marked invalid and
 * freed when its last user lets go.
 */
void shadow_zap_page(struct mmu *mmu, struct mmu_page *sp)
{
	int i;

	while (sp->nr_parents) {
		struct mmu_sptep p = sp->parents[0];
		u32 nr = sp->nr_parents;

		shadow_drop_spte(mmu, p.sp, p.idx);
		if (sp->nr_parents == nr)
			mmu_page_del_parent(sp, p.sp, p.idx);
	}
	for (i = 0; i < SPTE_ENTRIES; i++)
		shadow_drop_spte(mmu, sp, i);
	sp->unsync = false;
	mmu->stats.zapped++;
	mmu->need_flush = true;
	if (sp->root_count) {
		/* Out of the hash so no lookup finds it again. */
		mmu_page_unhash(mmu, sp);
		sp->role.invalid = 1;
		return;
	}
	mmu_page_free(mmu, sp);
}

static u32 gpte_access(union mmu_role role, u64 gpte)
{
	u32 acc = 0;

	if (gpte & X86_W)
		acc |= MMU_ACC_WRITE;
	if (gpte & X86_U)
		acc |= MMU_ACC_USER;
	if (!(role.efer_nx && (gpte & X86_NX)))
		acc |= MMU_ACC_EXEC;
	return acc;
}

/* Can the leaf be writable now? May unsync the gfn on a write fault. */
static bool leaf_may_write(struct mmu *mmu, u64 gfn, bool write_fault,
			   bool *emulate)
{
	if (!shadow_gfn_tracked(mmu, gfn))
		return true;
	if (write_fault && !unsync_try(mmu, gfn))
		return true;
	*emulate = write_fault;
	return false;
}

/*
 * shadow_leaf_spte - the spte for gfn with the guest's access.
 * @dirty: the gpte's D bit; a clean gpte gets a read-only spte so the
 *	first write faults and the walker sets D.
 * @ec: the faulting access (0 when prefetching from a gpte).
 * Sets *emulate when the write hits a shadowed guest table.
 */
u64 shadow_leaf_spte(struct mmu *mmu, union mmu_role role, u64 gfn,
		     u32 access, bool dirty, u32 ec,
		     const struct mmu_pfn *pfn, bool *emulate)
{
	u64 spte = (pfn->hfn << MMU_PAGE_SHIFT) | X86_P | X86_A;
	bool write = ec & PFERR_WRITE;
	bool want_w = (access & MMU_ACC_WRITE) && (dirty || write);

	*emulate = false;
	if (access & MMU_ACC_USER)
		spte |= X86_U;
	if (!(access & MMU_ACC_EXEC))
		spte |= X86_NX;
	if (pfn->writable)
		spte |= SPTE_HOST_WRITABLE;
	if (!pfn->writable)
		return spte;
	if (want_w) {
		if (!leaf_may_write(mmu, gfn, write, emulate))
			return spte;
		spte |= SPTE_MMU_WRITABLE;
	} else if (write && !(ec & PFERR_USER) && !role.cr0_wp &&
		   role.smap_andnot_wp && (access & MMU_ACC_USER)) {
		/*
		 * CR0.WP=0 with SMAP: a supervisor write to a read-only user
		 * page passed the walk only because EFLAGS.AC=1. Dropping U
		 * (below) would hide the page from the hardware's SMAP check
		 * on later AC=0 accesses: keep the spte and emulate instead.
		 */
		*emulate = true;
		return spte;
	} else if (write && !(ec & PFERR_USER) && !role.cr0_wp) {
		/*
		 * CR0.WP=0: the supervisor may write a read-only page. Grant
		 * W without U so user accesses fault and get the real
		 * permissions back; with SMEP also forbid supervisor fetch.
		 */
		if (!leaf_may_write(mmu, gfn, write, emulate))
			return spte;
		if (role.smep_andnot_wp && (access & MMU_ACC_USER))
			spte |= X86_NX;
		spte &= ~X86_U;
		mmu_mark_dirty(mmu, gfn);
		return spte | X86_W | X86_D;
	} else {
		return spte;
	}
	if (mmu_gfn_logged_clean(mmu, gfn) && !write)
		return spte;
	mmu_mark_dirty(mmu, gfn);
	return spte | X86_W | X86_D;
}

/* Install new at sp[idx], keeping the rmap in step. */
static int set_leaf(struct mmu *mmu, struct mmu_page *sp, int idx, u64 gfn,
		    u64 new)
{
	u64 old = sp->spt[idx];

	if (spte_present(mmu, old) && sp->gfns[idx] == gfn) {
		if ((old & ~new) & (X86_W | X86_U | X86_P) ||
		    (new & ~old) & X86_NX || spte_addr(old) != spte_addr(new))
			mmu->need_flush = true;
		sp->spt[idx] = new;
		return 0;
	}
	shadow_drop_spte(mmu, sp, idx);
	if (mmu_rmap_add(mmu, gfn, sp, idx))
		return -1;
	sp->gfns[idx] = gfn;
	sp->spt[idx] = new;
	return 0;
}

/*
 * shadow_update_leaf - refresh leaf idx of an indirect level-1 page
 * from gpte (sync, invlpg, emulated write). Invalid or never-accessed
 * gptes drop the spte: the next access faults and walks the guest.
 */
int shadow_update_leaf(struct mmu *mmu, struct mmu_page *sp, int idx,
		       u64 gpte)
{
	union mmu_role role = sp->role;
	struct mmu_pfn pfn;
	bool emulate;
	u64 gfn, spte;

	if (!(gpte & X86_P) || !(gpte & X86_A))
		goto drop;
	if (role.gpte_4byte) {
		gfn = (gpte & 0xfffff000ULL) >> MMU_PAGE_SHIFT;
	} else {
		if ((gpte & GPTE_RSVD_8) || (!role.efer_nx && gpte & X86_NX))
			goto drop;
		gfn = (gpte & GPTE_ADDR_8) >> MMU_PAGE_SHIFT;
	}
	if (mmu->ops->gfn_to_pfn(mmu->ctx, gfn, &pfn))
		goto drop;
	spte = shadow_leaf_spte(mmu, role, gfn,
				role.access & gpte_access(role, gpte),
				gpte & X86_D, 0, &pfn, &emulate);
	return set_leaf(mmu, sp, idx, gfn, spte);
drop:
	shadow_drop_spte(mmu, sp, idx);
	return 0;
}

/* The page the fault needs below level: what (gfn, role) it is. */
static void child_key(struct mmu *mmu, const struct mmu_walk *w, u64 va,
		      int cl, u64 *gfn, union mmu_role *role)
{
	u64 span = 1ULL << (9 * cl);

	*role = shadow_base_role(mmu);
	role->level = cl;
	if (mmu->pg.mode == MMU_MODE_OFF) {
		role->direct = 1;
		role->access = MMU_ACC_ALL;
		*gfn = ((va & 0xffffffffULL) >> MMU_PAGE_SHIFT) & ~(span - 1);
	} else if (cl >= w->level) {
		role->access = w->acc_above[cl];
		*gfn = w->table_gfn[cl];
		if (role->gpte_4byte)
			role->quadrant = cl == 2 ? (va >> 30) & 3 :
						   (va >> 21) & 1;
	} else {
		/*
		 * A large guest page: its 4K pieces live in direct pages. A
		 * clean large gpte gets pages without W (as in KVM), so the
		 * first write faults and the walker sets D.
		 */
		role->direct = 1;
		role->access = w->access;
		if (!(w->pte[w->level] & X86_D))
			role->access &= ~MMU_ACC_WRITE;
		*gfn = w->gfn & ~(span - 1);
	}
}

/* Find or create the child page; a found unsync page is synced. */
static struct mmu_page *get_child(struct mmu *mmu, u64 gfn,
				  union mmu_role role)
{
	struct mmu_page *sp = shadow_find_page(mmu, gfn, role);

	if (sp) {
		/* A failed entry is left dropped: the page is still sound. */
		if (sp->unsync)
			unsync_sync_page(mmu, sp);
		return sp;
	}
	if (pressure_make_room(mmu))
		return NULL;
	if (!role.direct)
		unsync_account_shadowed(mmu, gfn, role.level);
	return mmu_page_alloc(mmu, gfn, role, true);
}

static int link_child(struct mmu *mmu, struct mmu_page *sp, int idx,
		      struct mmu_page *child)
{
	if (mmu_page_add_parent(mmu, child, sp, idx))
		return -1;
	sp->spt[idx] = spte_make_table(mmu, child->hpa);
	if (child->unsync || child->unsync_children)
		unsync_mark_parents(mmu, child);
	return 0;
}

/* Step from sp at level to the child page the walk needs. */
static struct mmu_page *fetch_step(struct mmu *mmu, struct mmu_page *sp,
				   int level, u64 va,
				   const struct mmu_walk *w)
{
	int idx = (va >> (MMU_PAGE_SHIFT + 9 * (level - 1))) & 511;
	struct mmu_page *child;
	union mmu_role role;
	u64 gfn;

	if (sp->pseudo && level == 4 && mmu->root.top == sp &&
	    spte_present(mmu, sp->spt[idx]))
		return mmu_page_of_hpa(mmu, sp->spt[idx]);
	child_key(mmu, w, va, level - 1, &gfn, &role);
	if (spte_present(mmu, sp->spt[idx])) {
		child = mmu_page_of_hpa(mmu, sp->spt[idx]);
		if (child && child->gfn == gfn && child->role.word == role.word)
			return child;
		shadow_drop_spte(mmu, sp, idx);
	}
	child = get_child(mmu, gfn, role);
	if (!child || link_child(mmu, sp, idx, child))
		return NULL;
	if (child->unsync_children)
		unsync_sync_subtree(mmu, child);
	return child;
}

static enum mmu_fault_ret fetch_leaf(struct mmu *mmu, struct mmu_page *sp,
				     u64 va, u32 ec, const struct mmu_walk *w,
				     struct mmu_fault *out)
{
	int idx = (va >> MMU_PAGE_SHIFT) & 511;
	bool dirty = w->top == 0 || (w->pte[w->level] & X86_D);
	struct mmu_pfn pfn;
	bool emulate;
	u64 spte;

	out->gpa = (w->gfn << MMU_PAGE_SHIFT) | (va & 0xfff);
	if (mmu->ops->gfn_to_pfn(mmu->ctx, w->gfn, &pfn))
		return MMU_RET_MMIO;
	if ((ec & PFERR_WRITE) && !pfn.writable)
		return MMU_RET_MMIO;
	spte = shadow_leaf_spte(mmu, sp->role, w->gfn,
				sp->role.direct ? sp->role.access : w->access,
				dirty, ec, &pfn, &emulate);
	if (set_leaf(mmu, sp, idx, w->gfn, spte))
		return MMU_RET_NOMEM;
	if (emulate && (ec & PFERR_GUEST_PAGE)) {
		/*
		 * The CPU's own walk of L2's tables wrote (A/D) to a page
		 * shadowed as one of L1's tables: there is no instruction
		 * to emulate, so unprotect the page and let it retry.
		 */
		shadow_unprotect_gfn(mmu, w->gfn);
		return MMU_RET_RETRY;
	}
	if (emulate) {
		mmu->stats.emulated_writes++;
		return MMU_RET_EMULATE;
	}
	return MMU_RET_RETRY;
}

/* Hardware-style walk of the shadow tables to the 4K leaf for va. */
static struct mmu_page *shadow_leaf_page(struct mmu *mmu, u64 va)
{
	struct mmu_page *sp = mmu->root.top;
	int level;

	for (level = mmu_root_level(mmu); sp && level > 1; level--) {
		int idx = (va >> (MMU_PAGE_SHIFT + 9 * (level - 1))) & 511;

		if (!spte_present(mmu, sp->spt[idx]))
			return NULL;
		sp = mmu_page_of_hpa(mmu, sp->spt[idx]);
	}
	return sp;
}

struct mmu_page *shadow_leaf_page_of(struct mmu *mmu, u64 va)
{
	return shadow_leaf_page(mmu, va);
}

/*
 * shadow_page_fault - handle a #PF the hardware took on the shadow
 * tables.
 * 1. Dirty-log fast path: a write to a present spte that only dirty
 *    logging protects is fixed without walking the guest tables.
 * 2. Walk the guest tables; a guest fault is injected as is.
 * 3. Build the shadow path down to the 4K leaf and install it.
 */
enum mmu_fault_ret shadow_page_fault(struct mmu *mmu, u64 va, u32 ec,
				     struct mmu_fault *out)
{
	struct mmu_page *sp;
	struct mmu_walk w;
	int level, r;

	if (shadow_load_root(mmu))
		return MMU_RET_NOMEM;
	if ((ec & PFERR_PRESENT) && (ec & PFERR_WRITE)) {
		sp = shadow_leaf_page(mmu, va);
		if (sp && dirty_log_fast_fault(mmu, sp,
					       (va >> MMU_PAGE_SHIFT) & 511, ec))
			return MMU_RET_RETRY;
	}
	r = mmu_walk_guest(mmu, &mmu->pg, va, ec, &w, true);
	if (r < 0)
		return MMU_RET_RETRY;
	if (r) {
		out->error_code = w.error_code;
		return MMU_RET_INJECT;
	}
	sp = mmu->root.top;
	for (level = mmu_root_level(mmu); level > 1; level--) {
		sp = fetch_step(mmu, sp, level, va, &w);
		if (!sp)
			return MMU_RET_NOMEM;
		sp->write_flooding = 0;
		mmu_page_touch(mmu, sp);
	}
	return fetch_leaf(mmu, sp, va, ec, &w, out);
}
