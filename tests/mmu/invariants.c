/* SPDX-License-Identifier: ISC */
/*
 * Invariants over everything the hardware can reach: each leaf of the
 * shadow or TDP tables and each TLB entry. Isolation (a leaf maps the
 * frame backing the right gfn of a present memslot, nothing else),
 * permissions (checked by the caller's callback against the guest's
 * tables), read-only slots, and the dirty log (a writable mapping of a
 * logged page is already marked dirty).
 */
#include <stdio.h>

#include "ref_model.h"
#include "sim.h"

#define ADDR	0x000ffffffffff000ULL
#define WRITES	((1 << K_SW) | (1 << K_UW) | (1 << K_SWA))

struct walk_ctx {
	struct sim *s;
	sim_allowed_fn allowed;
	void *actx;
	struct mmu_paging hw;
};

static int fail(struct sim *s, const char *what, u64 a, u64 b)
{
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "%s (%llx, %llx)", what,
			 (unsigned long long)a, (unsigned long long)b);
	return -1;
}

static int check_write(struct sim *s, u64 gfn, u8 allow)
{
	struct sim_slot *sl = sim_slot_of_gfn(s, gfn);

	if (!(allow & WRITES))
		return 0;
	if (sl && sl->readonly)
		return fail(s, "writable mapping of read-only slot", gfn, 0);
	if (mmu_gfn_logged_clean(s->mmu, gfn))
		return fail(s, "writable mapping escapes dirty log", gfn, 0);
	return 0;
}

static int shadow_leaf(struct walk_ctx *c, u64 va, u64 hfn, u8 allow)
{
	u64 gfn;

	if (sim_gfn_of_hfn(c->s, hfn, &gfn))
		return fail(c->s, "shadow leaf maps non-guest frame", va, hfn);
	if (check_write(c->s, gfn, allow))
		return -1;
	if (!c->allowed(c->actx, va, gfn, allow))
		return fail(c->s, "shadow leaf grants more than guest", va,
			    gfn);
	return 0;
}

static int shadow_tree(struct walk_ctx *c, u64 hpa, int level, u64 va,
		       bool w, bool u, bool nx)
{
	u64 *t = sim_table(c->s, hpa);
	int i;

	if (!t)
		return fail(c->s, "shadow pointer outside tables", hpa, level);
	for (i = 0; i < 512; i++) {
		u64 e = t[i], cva = va | ((u64)i << (12 + 9 * (level - 1)));
		bool cw = w && (e & 2), cu = u && (e & 4), cnx = nx || e >> 63;

		if (!(e & 1))
			continue;
		if (level == 1 || (e & 0x80)) {
			u8 allow = ref_allow_bits(&c->hw, cw, cu, cnx);

			if (shadow_leaf(c, cva, (e & ADDR) >> 12, allow))
				return -1;
			continue;
		}
		if (shadow_tree(c, e & ADDR, level - 1, cva, cw, cu, cnx))
			return -1;
	}
	return 0;
}

static int tdp_leaf(struct sim *s, u64 gfn, u64 span, u64 hfn, bool w)
{
	u64 i, step = span > 512 ? 61 : span > 1 ? 31 : 1;

	/* Sampled inside large leaves, always including the last page. */
	for (i = 0; i < span; i = (i + step < span || i == span - 1) ?
				  i + step : span - 1) {
		struct sim_slot *sl = sim_slot_of_gfn(s, gfn + i);

		if (!sl)
			return fail(s, "TDP maps gfn outside memslots",
				    gfn + i, hfn + i);
		if (hfn + i != sl->host_hfn + (gfn + i - sl->base_gfn))
			return fail(s, "TDP maps gfn to wrong frame", gfn + i,
				    hfn + i);
		if (check_write(s, gfn + i, w ? WRITES : 0))
			return -1;
	}
	return 0;
}

static int tdp_tree(struct sim *s, u64 hpa, int level, u64 gfn)
{
	u64 *t = sim_table(s, hpa);
	bool ept = s->kind == MMU_KIND_EPT;
	int i;

	if (!t)
		return fail(s, "TDP pointer outside tables", hpa, level);
	for (i = 0; i < 512; i++) {
		u64 e = t[i], span = 1ULL << (9 * (level - 1));
		u64 cg = gfn + i * span;
		bool w = ept ? e & 2 : (e & 2) && (e & 4);

		if (!(ept ? e & 7 : e & 1))
			continue;
		if (level == 1 || (e & 0x80)) {
			if (tdp_leaf(s, cg, span, (e & ADDR) >> 12, w))
				return -1;
			continue;
		}
		if (tdp_tree(s, e & ADDR, level - 1, cg))
			return -1;
	}
	return 0;
}

static int check_tlb(struct walk_ctx *c)
{
	struct sim *s = c->s;
	int i;

	for (i = 0; i < SIM_TLB_SIZE; i++) {
		struct sim_tlb *t = &s->tlb[i];
		u64 gfn;

		if (!t->valid)
			continue;
		if (sim_gfn_of_hfn(s, t->hfn, &gfn) || gfn != t->gfn)
			return fail(s, "TLB entry maps a stale frame",
				    t->vpn << 12, t->hfn);
		if (check_write(s, gfn, t->allow))
			return -1;
		/* L2 linear addresses: the callback judges L1's table. */
		if (s->nested_l2 && !s->l2_identity)
			continue;
		if (!c->allowed(c->actx, t->vpn << 12, gfn, t->allow))
			return fail(s, "TLB entry grants more than guest",
				    t->vpn << 12, gfn);
	}
	return 0;
}

int sim_check_tables(struct sim *s, sim_allowed_fn allowed, void *ctx)
{
	struct walk_ctx c = { .s = s, .allowed = allowed, .actx = ctx };

	memset(&c.hw, 0, sizeof(c.hw));
	c.hw.mode = s->pg.mode == MMU_MODE_NPT ? MMU_MODE_NPT : MMU_MODE_LM4;
	c.hw.wp = true;
	c.hw.nxe = true;
	if (s->pg.mode != MMU_MODE_OFF) {
		c.hw.smep = s->pg.smep;
		c.hw.smap = s->pg.smap;
	}
	if (s->kind == MMU_KIND_SHADOW && !mmu_root_hpa(s->mmu)) {
		if (!s->oom_seed)
			return fail(s, "no shadow root", 0, 0);
	} else if (s->kind == MMU_KIND_SHADOW) {
		if (shadow_tree(&c, mmu_root_hpa(s->mmu),
				mmu_root_level(s->mmu), 0, true, true, false))
			return -1;
	} else if (tdp_tree(s, mmu_root_hpa(s->mmu), 4, 0)) {
		return -1;
	}
	return check_tlb(&c);
}
