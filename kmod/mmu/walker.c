// SPDX-License-Identifier: GPL-2.0
/*
 * The guest page-table walker for every x86 paging mode: paging off,
 * 32-bit (PSE, PSE-36), PAE, 4- and 5-level long mode, and an L1
 * hypervisor's NPT. One walker parameterised by a format description
 * rather than one copy per mode. It computes the access a translation
 * allows, the exact #PF error code, and sets accessed/dirty bits by
 * cmpxchg as the CPU would.
 */
#include "mmu_internal.h"

#define ADDR_M_MASK	(((1ULL << MMU_MAXPHYADDR) - 1) & ~0xfffULL)
#define WALK_RETRIES	4

struct walk_fmt {
	int top;		/* root level */
	u32 pte_size;		/* 4 or 8 bytes */
	u32 idx_bits;		/* 10 or 9 */
	u64 rsvd;		/* reserved in every present entry */
};

static void walk_fmt_init(const struct mmu_paging *pg, struct walk_fmt *f)
{
	f->pte_size = 8;
	f->idx_bits = 9;
	f->rsvd = 0;
	switch (pg->mode) {
	case MMU_MODE_32:
		f->top = 2;
		f->pte_size = 4;
		f->idx_bits = 10;
		return;
	case MMU_MODE_PAE:
		f->top = 3;
		/* PAE entries reserve 62:M, unlike long mode's 51:M. */
		f->rsvd = ((1ULL << 63) - 1) & ~((1ULL << MMU_MAXPHYADDR) - 1);
		break;
	case MMU_MODE_LM5:
		f->top = 5;
		f->rsvd = ((1ULL << 52) - 1) & ~((1ULL << MMU_MAXPHYADDR) - 1);
		break;
	default:
		f->top = 4;
		f->rsvd = ((1ULL << 52) - 1) & ~((1ULL << MMU_MAXPHYADDR) - 1);
		break;
	}
	if (!pg->nxe)
		f->rsvd |= X86_NX;
}

static u32 walk_index(const struct walk_fmt *f, u64 va, int level)
{
	u32 shift = MMU_PAGE_SHIFT + f->idx_bits * (level - 1);

	return (u32)(va >> shift) & ((1U << f->idx_bits) - 1);
}

/* Is the entry at level a leaf, and which bits does it reserve? */
static bool walk_leaf(const struct mmu_paging *pg, const struct walk_fmt *f,
		      int level, u64 pte, u64 *rsvd)
{
	*rsvd = f->rsvd;
	if (level == 1)
		return true;
	if (f->pte_size == 4) {
		if (!pg->pse || !(pte & X86_PS))
			return false;
		/* PSE-36: bits 13..(13+M-33) hold pa[32..M-1]. */
		*rsvd = (1ULL << 22) - (1ULL << (13 + MMU_MAXPHYADDR - 32));
		return true;
	}
	if (level >= 4) {
		*rsvd |= X86_PS;
		return false;
	}
	if (!(pte & X86_PS))
		return false;
	*rsvd |= (1ULL << (MMU_PAGE_SHIFT + 9 * (level - 1))) - (1ULL << 13);
	return true;
}

static u32 pte_access(const struct mmu_paging *pg, u64 pte)
{
	u32 acc = 0;

	if (pte & X86_W)
		acc |= MMU_ACC_WRITE;
	if (pte & X86_U)
		acc |= MMU_ACC_USER;
	if (!(pg->nxe && (pte & X86_NX)))
		acc |= MMU_ACC_EXEC;
	return acc;
}

static u64 table_base(const struct walk_fmt *f, u64 pte)
{
	if (f->pte_size == 4)
		return pte & 0xfffff000ULL;
	return pte & ADDR_M_MASK;
}

/* The 4K frame that va lands on inside a leaf of the given level. */
static u64 leaf_gfn(const struct walk_fmt *f, u64 pte, int level, u64 va)
{
	u64 base;

	if (level == 1)
		return table_base(f, pte) >> MMU_PAGE_SHIFT;
	if (f->pte_size == 4) {
		base = (pte & 0xffc00000ULL) | (((pte >> 13) & 0xfULL) << 32);
		return (base >> MMU_PAGE_SHIFT) + ((va >> 12) & 0x3ff);
	}
	base = pte & ADDR_M_MASK & ~((1ULL << (12 + 9 * (level - 1))) - 1);
	return (base >> MMU_PAGE_SHIFT) +
	       ((va >> 12) & ((1ULL << (9 * (level - 1))) - 1));
}

/*
 * SMAP (CR4.SMAP=1) stops a supervisor data access to a user page
 * unless the access is explicit and EFLAGS.AC=1. Implicit supervisor
 * accesses are checked as if AC=0. Fetches are left to SMEP.
 */
static bool smap_overridden(u32 ec)
{
	return (ec & PFERR_AC) && !(ec & PFERR_IMPLICIT);
}

/* Does the final access pass U/S, R/W, NX, SMEP and SMAP? */
static bool walk_permits(const struct mmu_paging *pg, u32 acc, u32 ec)
{
	bool user = ec & PFERR_USER;

	if (user && !(acc & MMU_ACC_USER))
		return false;
	if ((ec & PFERR_WRITE) && !(acc & MMU_ACC_WRITE) && (user || pg->wp))
		return false;
	if (ec & PFERR_FETCH) {
		if (!(acc & MMU_ACC_EXEC))
			return false;
		if (!user && pg->smep && (acc & MMU_ACC_USER))
			return false;
	} else if (!user && pg->smap && (acc & MMU_ACC_USER) &&
		   !smap_overridden(ec)) {
		/* A write with AC=1 still passed the R/W and WP rule above. */
		return false;
	}
	return true;
}

static u32 fault_code(const struct mmu_paging *pg, u32 ec, u32 present)
{
	u32 code = present | (ec & (PFERR_WRITE | PFERR_USER));
	bool nx = pg->nxe && pg->mode != MMU_MODE_32;

	if ((ec & PFERR_FETCH) && (nx || pg->smep))
		code |= PFERR_FETCH;
	return code;
}

static int read_pte(struct mmu *mmu, const struct walk_fmt *f, u64 gpa,
		    u64 *pte)
{
	u32 v32;

	if (f->pte_size == 8)
		return mmu->ops->read_guest(mmu->ctx, gpa, pte, 8);
	if (mmu->ops->read_guest(mmu->ctx, gpa, &v32, 4))
		return -1;
	*pte = v32;
	return 0;
}

/* Set A (and D on the leaf for writes). 1: a gpte changed, walk again. */
static int walk_set_ad(struct mmu *mmu, const struct walk_fmt *f,
		       struct mmu_walk *w, const u64 *gpa, u32 ec)
{
	int level;

	for (level = w->top; level >= w->level; level--) {
		u64 old = w->pte[level], new = old | X86_A;
		int r;

		if (gpa[level] == ~0ULL)
			continue;	/* PAE PDPTE: no A bit */
		if (level == w->level && (ec & PFERR_WRITE))
			new |= X86_D;
		if (new == old)
			continue;
		r = mmu->ops->cmpxchg_guest(mmu->ctx, gpa[level], old, new,
					    f->pte_size);
		if (r > 0)
			return 1;
		if (r == 0) {
			mmu_mark_dirty(mmu, gpa[level] >> MMU_PAGE_SHIFT);
			w->pte[level] = new;
		}
	}
	return 0;
}

static void walk_nopaging(u64 va, struct mmu_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->gfn = (va & 0xffffffffULL) >> MMU_PAGE_SHIFT;
	w->level = 1;
	w->top = 0;
	w->access = MMU_ACC_ALL;
}

/* Level 3 of PAE comes from the PDPTE registers, not from memory. */
static int walk_read_level(struct mmu *mmu, const struct mmu_paging *pg,
			   const struct walk_fmt *f, int level, u64 table,
			   u64 va, u64 *pte, u64 *gpa)
{
	if (pg->mode == MMU_MODE_PAE && level == 3) {
		*pte = pg->pdptes[(va >> 30) & 3];
		*gpa = ~0ULL;
		return 0;
	}
	*gpa = table + walk_index(f, va, level) * f->pte_size;
	return read_pte(mmu, f, *gpa, pte);
}

static int walk_once(struct mmu *mmu, const struct mmu_paging *pg, u64 va,
		     u32 ec, struct mmu_walk *w, u64 *gpa)
{
	struct walk_fmt f;
	u64 table, pte, rsvd;
	u32 acc = MMU_ACC_ALL;
	bool leaf;
	int level;

	walk_fmt_init(pg, &f);
	memset(w, 0, sizeof(*w));
	w->top = f.top;
	table = pg->mode == MMU_MODE_PAE ? pg->cr3 & 0xffffffe0ULL :
					  table_base(&f, pg->cr3);
	for (level = f.top; level >= 1; level--) {
		w->table_gfn[level] = table >> MMU_PAGE_SHIFT;
		w->acc_above[level] = acc;
		if (walk_read_level(mmu, pg, &f, level, table, va, &pte,
				    &gpa[level]) || !(pte & X86_P)) {
			w->error_code = fault_code(pg, ec, 0);
			return 1;
		}
		w->pte[level] = pte;
		if (gpa[level] != ~0ULL)
			acc &= pte_access(pg, pte);
		leaf = walk_leaf(pg, &f, level, pte, &rsvd);
		if (pte & rsvd) {
			w->error_code = fault_code(pg, ec, PFERR_PRESENT) |
					PFERR_RSVD;
			return 1;
		}
		if (leaf)
			break;
		table = table_base(&f, pte);
	}
	w->level = level;
	w->access = acc;
	w->acc_above[0] = acc;
	w->gfn = leaf_gfn(&f, pte, level, va);
	if (!walk_permits(pg, acc, ec)) {
		w->error_code = fault_code(pg, ec, PFERR_PRESENT);
		return 1;
	}
	return 0;
}

int mmu_walk_guest(struct mmu *mmu, const struct mmu_paging *pg, u64 va,
		   u32 ec, struct mmu_walk *w, bool set_ad)
{
	struct walk_fmt f;
	u64 gpa[6];
	int tries, r;

	if (pg->mode == MMU_MODE_OFF) {
		walk_nopaging(va, w);
		return 0;
	}
	/* An L1's NPT is walked as user accesses, as the CPU does. */
	if (pg->mode == MMU_MODE_NPT)
		ec |= PFERR_USER;
	walk_fmt_init(pg, &f);
	for (tries = 0; tries < WALK_RETRIES; tries++) {
		r = walk_once(mmu, pg, va, ec, w, gpa);
		if (r || !set_ad)
			return r;
		if (!walk_set_ad(mmu, &f, w, gpa, ec))
			return 0;
	}
	/* The tables keep changing under us: let the vCPU retry. */
	return -1;
}

/* PDPTE bits 2:1, 8:5 and 63:M are reserved; MOV CR3 checks them. */
int mmu_load_pdptes(struct mmu *mmu, struct mmu_paging *pg)
{
	u64 rsvd = 0x1e6ULL | ~((1ULL << MMU_MAXPHYADDR) - 1);
	u64 base = pg->cr3 & 0xffffffe0ULL;
	int i;

	for (i = 0; i < 4; i++) {
		u64 pdpte;

		if (mmu->ops->read_guest(mmu->ctx, base + i * 8, &pdpte, 8))
			return -1;
		if ((pdpte & X86_P) && (pdpte & rsvd))
			return -1;
		pg->pdptes[i] = pdpte;
	}
	return 0;
}
