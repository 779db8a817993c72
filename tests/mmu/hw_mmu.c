/* SPDX-License-Identifier: ISC */
/*
 * The simulated hardware MMU. In shadow mode it walks the shadow
 * tables from the MMU's root as a CPU running with CR0.WP=1, EFER.NX=1
 * and the guest's SMEP/SMAP would. In TDP mode it walks the guest's
 * own tables (the reference model's walk) with every guest-physical
 * access translated through the NPT/EPT tables, and sets the guest's
 * accessed/dirty bits as a write through the TDP tables. A TLB caches
 * completed translations until the MMU flushes or the guest
 * invalidates them.
 */
#include <stdio.h>

#include "ref_model.h"
#include "sim.h"

#define ADDR	0x000ffffffffff000ULL

void sim_tlb_flush(struct sim *s)
{
	memset(s->tlb, 0, sizeof(s->tlb));
}

void sim_tlb_flush_va(struct sim *s, u64 va)
{
	struct sim_tlb *t = &s->tlb[(va >> 12) % SIM_TLB_SIZE];

	if (t->valid && t->vpn == va >> 12)
		t->valid = false;
}

static bool is_write(int kind)
{
	return kind == K_SW || kind == K_UW || kind == K_SWA;
}

/* The CPU state the hardware walks shadow tables with. */
static void hw_paging(struct sim *s, struct mmu_paging *hw)
{
	memset(hw, 0, sizeof(*hw));
	hw->mode = s->pg.mode == MMU_MODE_NPT ? MMU_MODE_NPT : MMU_MODE_LM4;
	hw->wp = true;
	hw->nxe = true;
	if (s->pg.mode != MMU_MODE_OFF) {
		hw->smep = s->pg.smep;
		hw->smap = s->pg.smap;
	}
}

/* 0: leaf found; -1: not present; -2: a table pointer leads nowhere. */
int hw_walk_shadow(struct sim *s, u64 va, u64 *hfn, u8 *allow,
		   u64 *spte_out)
{
	u64 hpa = mmu_root_hpa(s->mmu);
	int level = mmu_root_level(s->mmu);
	bool w = true, u = true, nx = false;
	struct mmu_paging hw;

	hw_paging(s, &hw);
	if (!hpa)
		return -3;	/* no root: the MMU is out of memory */
	for (; level >= 1; level--) {
		u64 *t = sim_table(s, hpa), e;
		bool large;

		if (!t)
			return -2;
		e = t[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & 1))
			return -1;
		w = w && (e & 2);
		u = u && (e & 4);
		nx = nx || (e >> 63);
		large = (level == 2 || level == 3) && (e & 0x80);
		if (level == 1 || large) {
			u64 span = 1ULL << (9 * (level - 1));

			*hfn = ((e & ADDR) >> 12 & ~(span - 1)) +
			       ((va >> 12) & (span - 1));
			*allow = ref_allow_bits(&hw, w, u, nx);
			if (spte_out)
				*spte_out = e;
			return 0;
		}
		hpa = e & ADDR;
	}
	return -1;
}

int hw_walk_tdp(struct sim *s, u64 gpa, u64 *hfn, bool *r, bool *w, bool *x)
{
	u64 hpa = mmu_root_hpa(s->mmu);
	bool ept = s->kind == MMU_KIND_EPT;
	bool rr = true, ww = true, xx = true;
	int level;

	for (level = 4; level >= 1; level--) {
		u64 *t = sim_table(s, hpa), e;
		bool large;

		if (!t)
			return -2;
		e = t[(gpa >> (12 + 9 * (level - 1))) & 511];
		if (ept) {
			if (!(e & 7))
				return -1;
			rr = rr && (e & 1);
			ww = ww && (e & 2);
			xx = xx && (e & 4);
		} else {
			/* NPT: every access is a user access. */
			if (!(e & 1))
				return -1;
			ww = ww && (e & 2);
			rr = rr && (e & 4);
			xx = xx && (e & 4) && !(e >> 63);
			ww = ww && rr;
		}
		large = (level == 2 || level == 3) && (e & 0x80);
		if (level == 1 || large) {
			u64 span = 1ULL << (9 * (level - 1));

			*hfn = ((e & ADDR) >> 12 & ~(span - 1)) +
			       ((gpa >> 12) & (span - 1));
			*r = rr;
			*w = ww;
			*x = xx;
			return 0;
		}
		hpa = e & ADDR;
	}
	return -1;
}

/*
 * Second stage of a two-dimensional walk: the MMU's NPT/EPT, or for a
 * nested L2 with its own paging the shadow NPT the MMU builds from
 * L1's NPT (every access through it is a user access).
 */
static int stage2(struct sim *s, u64 gpa, u64 *hfn, bool *r, bool *w,
		  bool *x)
{
	u8 allow = 0;
	int rc;

	if (s->kind != MMU_KIND_SHADOW)
		return hw_walk_tdp(s, gpa, hfn, r, w, x);
	rc = hw_walk_shadow(s, gpa, hfn, &allow, NULL);
	*r = allow & (1 << K_UR);
	*w = allow & (1 << K_UW);
	*x = allow & (1 << K_UX);
	return rc == -3 ? -1 : rc;
}

static u8 *hfn_ptr(struct sim *s, u64 hfn)
{
	u64 gfn;
	struct sim_slot *sl;

	if (sim_gfn_of_hfn(s, hfn, &gfn))
		return NULL;
	sl = sim_slot_of_gfn(s, gfn);
	return sl ? sl->mem + ((gfn - sl->base_gfn) << 12) : NULL;
}

/* A guest-physical access by the page walker in TDP mode. */
struct tdp_rd {
	struct sim *s;
	u64 fault_gpa;
	bool fault_write;
	bool fault_present;
	bool fault_walk;	/* while walking the guest's tables */
	bool fault_fetch;	/* the access itself is a fetch */
};

static int tdp_access(struct tdp_rd *c, u64 gpa, bool write, u8 **p)
{
	u64 hfn;
	bool r, w, x;
	int rc = stage2(c->s, gpa, &hfn, &r, &w, &x);

	if (rc == -2) {
		snprintf(c->s->err, sizeof(c->s->err),
			 "TDP table pointer outside table pages");
		return 1;
	}
	if (rc || !r || (write && !w)) {
		c->fault_gpa = gpa;
		c->fault_write = write;
		c->fault_present = rc == 0;
		return 1;
	}
	*p = hfn_ptr(c->s, hfn);
	if (!*p) {
		snprintf(c->s->err, sizeof(c->s->err),
			 "TDP maps gpa %llx to unbacked hfn %llx",
			 (unsigned long long)gpa, (unsigned long long)hfn);
		return 1;
	}
	*p += gpa & 0xfff;
	return 0;
}

static int tdp_read(void *ctx, u64 gpa, u64 *val, u32 len)
{
	struct sim *s = ((struct tdp_rd *)ctx)->s;
	u8 *p;

	/* Outside memory reads as not present (an L2 gpa is not in it). */
	if (!s->nested_l2 && !sim_slot_of_gfn(s, gpa >> 12))
		return -1;
	((struct tdp_rd *)ctx)->fault_walk = true;
	if (tdp_access(ctx, gpa, false, &p))
		return 1;
	((struct tdp_rd *)ctx)->fault_walk = false;
	*val = 0;
	memcpy(val, p, len);
	return 0;
}

/* Set A on every gpte and D on the leaf for writes, through the TDP. */
static int tdp_set_ad(struct tdp_rd *c, const struct ref_result *r,
		      bool write)
{
	int i;

	for (i = 0; i < r->nr; i++) {
		u64 v = r->pte[i], nv = v | 0x20;
		u8 *p;

		if (r->pte_gpa[i] == ~0ULL)
			continue;
		if (i == r->nr - 1 && write)
			nv |= 0x40;
		if (nv == v)
			continue;
		c->fault_walk = true;
		if (tdp_access(c, r->pte_gpa[i], true, &p))
			return 1;
		c->fault_walk = false;
		memcpy(p, &nv, r->pte_size);
		sim_truth_mark(c->s, r->pte_gpa[i] >> 12);
	}
	return 0;
}

static struct sim_tlb *tlb_hit(struct sim *s, u64 va, int kind)
{
	struct sim_tlb *t = &s->tlb[(va >> 12) % SIM_TLB_SIZE];

	if (!t->valid || t->vpn != va >> 12 || !(t->allow & (1 << kind)))
		return NULL;
	if (is_write(kind) && !t->dirty)
		return NULL;
	return t;
}

static void tlb_fill(struct sim *s, u64 va, u64 hfn, u64 gfn, u8 allow,
		     bool dirty)
{
	struct sim_tlb *t = &s->tlb[(va >> 12) % SIM_TLB_SIZE];

	t->valid = true;
	t->vpn = va >> 12;
	t->hfn = hfn;
	t->gfn = gfn;
	t->allow = allow;
	t->dirty = dirty;
}

static void complete(struct sim *s, u64 va, int kind, u64 val, u32 len,
		     struct sim_tlb *t, struct sim_access *res)
{
	u8 *p = hfn_ptr(s, t->hfn);

	res->out = SIM_OK;
	res->hfn = t->hfn;
	res->gfn = t->gfn;
	if (!p) {
		snprintf(s->err, sizeof(s->err),
			 "va %llx maps hfn %llx that backs no gfn",
			 (unsigned long long)va, (unsigned long long)t->hfn);
		res->out = SIM_NOMEM;
		return;
	}
	if (is_write(kind)) {
		u64 gfn = 0;

		sim_gfn_of_hfn(s, t->hfn, &gfn);
		if (!sim_benign(s, gfn))
			memcpy(p + (va & 0xfff), &val, len);
		sim_truth_mark(s, gfn);
	}
}

/* The hardware's error code with the vendor code's AC/implicit bits. */
static u32 hw_ec(struct sim *s, bool present)
{
	u32 ec = s->access_ec;

	if (s->pg.mode == MMU_MODE_NPT)
		ec |= PFERR_USER;
	return ec | (present ? PFERR_PRESENT : 0);
}

/* Hand a fault to the MMU. 1: retry the access; 0: res is final. */
static int to_mmu(struct sim *s, u64 addr, u32 ec, int kind, u64 val,
		  u32 len, struct sim_access *res)
{
	struct mmu_fault f = { 0 };

	s->traps++;
	switch (mmu_page_fault(s->mmu, addr, ec, &f)) {
	case MMU_RET_RETRY:
		return 1;
	case MMU_RET_INJECT:
		res->out = SIM_PF;
		res->ec = f.error_code;
		return 0;
	case MMU_RET_EMULATE:
		res->out = SIM_OK;
		res->emulated = true;
		res->gfn = f.gpa >> 12;
		if (sim_benign(s, f.gpa >> 12))
			sim_read(s, f.gpa, &val, len);
		if (is_write(kind))
			mmu_emulate_write(s->mmu, f.gpa, val, len);
		return 0;
	case MMU_RET_MMIO:
		res->out = SIM_MMIO;
		res->gpa = f.gpa;
		return 0;
	default:
		res->out = SIM_NOMEM;
		return 0;
	}
}

static int shadow_step(struct sim *s, u64 va, int kind, u64 val, u32 len,
		       struct sim_access *res)
{
	u64 hfn, gfn = 0;
	u8 allow = 0;
	int rc = hw_walk_shadow(s, va, &hfn, &allow, NULL);

	if (rc == -2) {
		snprintf(s->err, sizeof(s->err),
			 "shadow table pointer outside table pages");
		res->out = SIM_NOMEM;
		return 0;
	}
	if (rc == -3) {
		res->out = SIM_NOMEM;
		return 0;
	}
	if (rc == 0 && (allow & (1 << kind))) {
		sim_gfn_of_hfn(s, hfn, &gfn);
		tlb_fill(s, va, hfn, gfn, allow, true);
		complete(s, va, kind, val, len, tlb_hit(s, va, kind), res);
		return 0;
	}
	return to_mmu(s, va, hw_ec(s, rc == 0), kind, val, len, res);
}

static u8 tdp_allow(u8 guest, bool r, bool w, bool x)
{
	u8 allow = guest;

	if (!r)
		allow &= ~((1 << K_SR) | (1 << K_UR) | (1 << K_SRA));
	if (!w)
		allow &= ~((1 << K_SW) | (1 << K_UW) | (1 << K_SWA));
	if (!x)
		allow &= ~((1 << K_SX) | (1 << K_UX));
	return allow;
}

static int tdp_fault(struct sim *s, struct tdp_rd *c, int kind, u64 val,
		     u32 len, struct sim_access *res)
{
	u32 ec = (c->fault_write ? PFERR_WRITE : 0) | PFERR_USER |
		 (c->fault_present ? PFERR_PRESENT : 0) |
		 (c->fault_walk ? PFERR_GUEST_PAGE : 0) |
		 (c->fault_fetch && !c->fault_walk ? PFERR_FETCH : 0);

	if (s->err[0]) {
		res->out = SIM_NOMEM;
		return 0;
	}
	return to_mmu(s, c->fault_gpa, ec, kind, val, len, res);
}

static int tdp_step(struct sim *s, u64 va, int kind, u64 val, u32 len,
		    struct sim_access *res)
{
	struct tdp_rd c = { .s = s };
	struct ref_result r;
	u64 hfn, gpa, gfn;
	bool rr, ww, xx;
	u8 *p;

	ref_walk(s->nested_l2 ? &s->l2pg : &s->pg, tdp_read, &c, va, &r);
	if (r.status == REF_ABORT)
		return tdp_fault(s, &c, kind, val, len, res);
	if (r.status == REF_FAULT || !(r.allow & (1 << kind))) {
		res->out = SIM_PF;
		res->ec = r.ec[kind];
		return 0;
	}
	if (tdp_set_ad(&c, &r, is_write(kind)))
		return tdp_fault(s, &c, kind, val, len, res);
	gpa = (r.gfn << 12) | (va & 0xfff);
	if (!s->nested_l2 && !sim_slot_of_gfn(s, r.gfn) &&
	    !stage2(s, gpa, &hfn, &rr, &ww, &xx)) {
		snprintf(s->err, sizeof(s->err), "TDP maps slotless gfn %llx",
			 (unsigned long long)r.gfn);
		res->out = SIM_NOMEM;
		return 0;
	}
	c.fault_fetch = kind == K_SX || kind == K_UX;
	if (tdp_access(&c, gpa, is_write(kind), &p))
		return tdp_fault(s, &c, kind, val, len, res);
	stage2(s, gpa, &hfn, &rr, &ww, &xx);
	if (c.fault_fetch && !xx) {
		c.fault_gpa = gpa;
		c.fault_write = false;
		c.fault_present = true;
		return tdp_fault(s, &c, kind, val, len, res);
	}
	/* Nested: the frame L1's NPT gave, not L2's physical frame. */
	gfn = r.gfn;
	if (s->nested_l2 && sim_gfn_of_hfn(s, hfn, &gfn))
		gfn = ~0ULL;
	tlb_fill(s, va, hfn, gfn, tdp_allow(r.allow, rr, ww, xx),
		 is_write(kind) || !r.nr || (r.pte[r.nr - 1] & 0x40));
	complete(s, va, kind, val, len, tlb_hit(s, va, kind), res);
	return 0;
}

void sim_do_access(struct sim *s, u64 va, int kind, u64 val, u32 len,
		   struct sim_access *res)
{
	int tries;

	/* An implicit access follows the rules of its AC=0 kind. */
	s->access_ec = ref_kind_ec(kind);
	kind = ref_kind_of(s->access_ec);
	memset(res, 0, sizeof(*res));
	for (tries = 0; tries < 16; tries++) {
		struct sim_tlb *t = tlb_hit(s, va, kind);

		if (t) {
			complete(s, va, kind, val, len, t, res);
			return;
		}
		if (s->kind == MMU_KIND_SHADOW && !s->nested_l2) {
			if (!shadow_step(s, va, kind, val, len, res))
				return;
		} else if (!tdp_step(s, va, kind, val, len, res)) {
			return;
		}
	}
	res->out = SIM_LOOP;
}

int sim_set_paging(struct sim *s, const struct mmu_paging *pg)
{
	s->pg = *pg;
	if (s->kind == MMU_KIND_SHADOW)
		return mmu_set_paging(s->mmu, pg);
	/* TDP: CR3 load and CR0/CR4 changes flush the guest TLB only. */
	sim_tlb_flush(s);
	return 0;
}

void sim_invlpg(struct sim *s, u64 va)
{
	if (s->kind == MMU_KIND_SHADOW)
		mmu_invlpg(s->mmu, va);
	else
		sim_tlb_flush_va(s, va);
}
