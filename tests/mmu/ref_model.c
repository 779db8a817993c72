/* SPDX-License-Identifier: ISC */
/*
 * Reference model of x86 paging. Written apart from kmod/mmu/walker.c,
 * mode by mode, favouring plainness over sharing. It answers, for one
 * linear address, which of the eight access kinds (supervisor/user x
 * read/write/fetch, supervisor read/write with EFLAGS.AC=1) the
 * guest's tables allow, where they lead, and the exact error code of
 * each kind that faults.
 */
#include "ref_model.h"
#include "sim.h"

#define M_ADDR	0x0000000ffffff000ULL	/* bits 35:12, MAXPHYADDR 36 */
#define B(n)	(1ULL << (n))

u32 ref_kind_ec(int kind)
{
	static const u32 ec[K_NR] = {
		[K_SR] = 0,
		[K_SW] = PFERR_WRITE,
		[K_SX] = PFERR_FETCH,
		[K_UR] = PFERR_USER,
		[K_UW] = PFERR_USER | PFERR_WRITE,
		[K_UX] = PFERR_USER | PFERR_FETCH,
		[K_SRA] = PFERR_AC,
		[K_SWA] = PFERR_WRITE | PFERR_AC,
	};
	u32 impl = (kind & K_IMPL) ? PFERR_IMPLICIT : 0;

	return ec[kind & ~K_IMPL] | impl;
}

/*
 * EFLAGS.AC matters only to an explicit supervisor data access; an
 * implicit one (descriptor tables) follows the rules of AC=0, and user
 * accesses and fetches never look at AC.
 */
int ref_kind_of(u32 ec)
{
	bool write = ec & PFERR_WRITE;
	bool explicit_ac = (ec & PFERR_AC) && !(ec & PFERR_IMPLICIT);

	if (ec & PFERR_USER)
		return (ec & PFERR_FETCH) ? K_UX : write ? K_UW : K_UR;
	if (ec & PFERR_FETCH)
		return K_SX;
	if (explicit_ac)
		return write ? K_SWA : K_SRA;
	return write ? K_SW : K_SR;
}

static bool is_user(const struct mmu_paging *pg, int k)
{
	return pg->mode == MMU_MODE_NPT || k == K_UR || k == K_UW ||
	       k == K_UX;
}

static u32 kind_ec(const struct mmu_paging *pg, int k)
{
	u32 ec = ref_kind_ec(k) & PFERR_WRITE;
	bool fetch = k == K_SX || k == K_UX;
	bool nx_on = pg->nxe && pg->mode != MMU_MODE_32;
	bool smep = pg->smep && pg->mode != MMU_MODE_NPT;

	if (is_user(pg, k))
		ec |= PFERR_USER;
	if (fetch && (nx_on || smep))
		ec |= PFERR_FETCH;
	return ec;
}

static bool kind_ok(const struct mmu_paging *pg, int k, bool w, bool u,
		    bool nx)
{
	bool user = is_user(pg, k);
	bool write = k == K_SW || k == K_UW || k == K_SWA;
	bool fetch = k == K_SX || k == K_UX;
	bool ac = k == K_SRA || k == K_SWA;	/* explicit, EFLAGS.AC=1 */
	bool npt = pg->mode == MMU_MODE_NPT;

	if (user && !u)
		return false;
	if (write && !w && (user || pg->wp))
		return false;
	if (fetch && nx)
		return false;
	if (!npt && fetch && !user && pg->smep && u)
		return false;
	/* SMAP: supervisor data to a user page, unless AC=1 lets it. */
	if (!npt && !fetch && !user && pg->smap && u && !ac)
		return false;
	return true;
}

u8 ref_allow_bits(const struct mmu_paging *pg, bool w, bool u, bool nx)
{
	u8 allow = 0;
	int k;

	for (k = 0; k < K_NR; k++)
		if (kind_ok(pg, k, w, u, nx))
			allow |= 1 << k;
	return allow;
}

static void fault_all(const struct mmu_paging *pg, struct ref_result *r,
		      u32 extra)
{
	int k;

	r->status = REF_FAULT;
	r->allow = 0;
	for (k = 0; k < K_NR; k++)
		r->ec[k] = kind_ec(pg, k) | extra;
}

static void finish(const struct mmu_paging *pg, struct ref_result *r,
		   bool w, bool u, bool nx)
{
	int k;

	r->status = REF_OK;
	r->allow = 0;
	for (k = 0; k < K_NR; k++) {
		if (kind_ok(pg, k, w, u, nx))
			r->allow |= 1 << k;
		else
			r->ec[k] = kind_ec(pg, k) | PFERR_PRESENT;
	}
}

/* Returns 0 ok, or the status to stop with (fault filled in). */
static int fetch_pte(const struct mmu_paging *pg, ref_read_fn rd,
		     void *ctx, u64 gpa, u32 len, struct ref_result *r,
		     u64 *e)
{
	int rc;

	*e = 0;
	rc = rd(ctx, gpa, e, len);
	if (rc > 0) {
		r->status = REF_ABORT;
		return 1;
	}
	r->pte_gpa[r->nr] = gpa;
	r->pte[r->nr] = *e;
	r->nr++;
	if (rc < 0 || !(*e & 1)) {
		fault_all(pg, r, 0);
		return 1;
	}
	return 0;
}

static void walk_32(const struct mmu_paging *pg, ref_read_fn rd, void *ctx,
		    u64 va, struct ref_result *r)
{
	u64 pde, pte, base;

	r->pte_size = 4;
	if (fetch_pte(pg, rd, ctx, (pg->cr3 & 0xfffff000ULL) +
		      ((va >> 22) & 0x3ff) * 4, 4, r, &pde))
		return;
	if (pg->pse && (pde & B(7))) {
		/* PSE-36 with MAXPHYADDR 36: bits 16:13 = pa 35:32. */
		if (pde & 0x3e0000ULL) {
			fault_all(pg, r, PFERR_PRESENT | PFERR_RSVD);
			return;
		}
		base = (pde & 0xffc00000ULL) | (((pde >> 13) & 0xf) << 32);
		r->gfn = (base >> 12) + ((va >> 12) & 0x3ff);
		r->leaf_level = 2;
		finish(pg, r, pde & 2, pde & 4, false);
		return;
	}
	if (fetch_pte(pg, rd, ctx, (pde & 0xfffff000ULL) +
		      ((va >> 12) & 0x3ff) * 4, 4, r, &pte))
		return;
	r->gfn = (pte & 0xfffff000ULL) >> 12;
	r->leaf_level = 1;
	finish(pg, r, (pde & pte) & 2, (pde & pte) & 4, false);
}

static u64 rsvd_bits(const struct mmu_paging *pg, int level, bool large)
{
	u64 rs;

	if (pg->mode == MMU_MODE_PAE)
		rs = (B(63) - 1) & ~(B(36) - 1);	/* 62:36 */
	else
		rs = (B(52) - 1) & ~(B(36) - 1);	/* 51:36 */
	if (!pg->nxe)
		rs |= B(63);
	if (level >= 4)
		rs |= B(7);
	if (large && level == 2)
		rs |= (B(21) - 1) & ~(B(13) - 1);	/* 20:13 */
	if (large && level == 3)
		rs |= (B(30) - 1) & ~(B(13) - 1);	/* 29:13 */
	return rs;
}

static void walk_8(const struct mmu_paging *pg, ref_read_fn rd, void *ctx,
		   u64 va, struct ref_result *r)
{
	int levels = pg->mode == MMU_MODE_PAE ? 3 :
		     pg->mode == MMU_MODE_LM5 ? 5 : 4;
	u64 table = pg->cr3 & M_ADDR, e;
	bool w = true, u = true, nx = false;
	int level;

	r->pte_size = 8;
	for (level = levels; level >= 1; level--) {
		bool large;

		if (pg->mode == MMU_MODE_PAE && level == 3) {
			e = pg->pdptes[(va >> 30) & 3];
			r->pte_gpa[r->nr] = ~0ULL;
			r->pte[r->nr++] = e;
			if (!(e & 1)) {
				fault_all(pg, r, 0);
				return;
			}
			table = e & M_ADDR;
			continue;
		}
		if (fetch_pte(pg, rd, ctx, table +
			      ((va >> (12 + 9 * (level - 1))) & 511) * 8, 8,
			      r, &e))
			return;
		large = (level == 2 || level == 3) && (e & B(7));
		if (e & rsvd_bits(pg, level, large)) {
			fault_all(pg, r, PFERR_PRESENT | PFERR_RSVD);
			return;
		}
		w = w && (e & 2);
		u = u && (e & 4);
		nx = nx || (pg->nxe && (e & B(63)));
		if (level == 1 || large) {
			u64 span = B(9 * (level - 1));

			r->gfn = ((e & M_ADDR) >> 12 & ~(span - 1)) +
				 ((va >> 12) & (span - 1));
			r->leaf_level = level;
			finish(pg, r, w, u, nx);
			return;
		}
		table = e & M_ADDR;
	}
}

void ref_walk(const struct mmu_paging *pg, ref_read_fn rd, void *ctx,
	      u64 va, struct ref_result *r)
{
	memset(r, 0, sizeof(*r));
	switch (pg->mode) {
	case MMU_MODE_OFF:
		r->gfn = (va & 0xffffffffULL) >> 12;
		r->leaf_level = 1;
		r->status = REF_OK;
		r->allow = (1 << K_NR) - 1;
		return;
	case MMU_MODE_32:
		walk_32(pg, rd, ctx, va, r);
		return;
	default:
		walk_8(pg, rd, ctx, va, r);
		return;
	}
}
