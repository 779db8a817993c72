/* SPDX-License-Identifier: ISC */
/*
 * Events of the random property run: accesses, gpte and PDE writes by
 * the guest through its own mapping of its tables, INVLPG, CR3 loads,
 * CR0/CR4/EFER changes, memslot changes, host invalidations, dirty-log
 * operations, memory pressure, flushes. Each event is three random
 * words read against the current state, so dropping events (to
 * minimise a failing trace) keeps the others meaningful.
 */
#include "property_world.h"

static const char *const ev_names[EV_NR] = {
	"access", "pte", "pde", "invlpg", "cr3", "mode", "slot", "inval",
	"dirty", "pressure", "flush",
};

/* Relative weights of the event types, out of 100. */
static const int ev_weight[EV_NR] = {
	38, 20, 7, 8, 6, 3, 4, 3, 6, 3, 2,
};

u64 data_gfn(struct world *w, u64 x)
{
	switch (x % 6) {
	case 0:
	case 1:
		return DATA_GFN + (x >> 8) % 16;
	case 2:
		return w->s.slots[1].base_gfn + (x >> 8) % 512;
	case 3:
		return w->s.slots[2].base_gfn + (x >> 8) % 16;
	case 4:
		return POOL_GFN + (x >> 8) % POOL_PAGES;	/* a table */
	default:
		return 0x100 + (x >> 8) % 64;			/* no slot */
	}
}

u64 leaf_flags(struct world *w, u64 x)
{
	u64 f = GPT_P;

	if (x & 1)
		f |= GPT_W;
	if (x & 2)
		f |= GPT_U;
	if (x & 4)
		f |= GPT_A;
	if (x & 8)
		f |= GPT_D;
	if ((x & 0x30) == 0x30 && w->g.mode != MMU_MODE_32)
		f |= GPT_NX;
	if ((x & 0x3c0) == 0x3c0)
		f &= ~GPT_P;
	if ((x & 0x7c00) == 0x7c00 && w->g.mode != MMU_MODE_32)
		f |= 1ULL << 40;			/* reserved */
	return f;
}

static u64 window_va(u64 x)
{
	return ((x & 1) ? U1 : U0) + ((x >> 1) % WIN) * 4096;
}

static int ev_pte(struct world *w, const struct event *e)
{
	u64 pt = w->pts[e->a % 4], va = window_va(e->b);
	u32 sz = gpt_pte_size(w->g.mode);
	u64 val = (data_gfn(w, e->c) << 12) | leaf_flags(w, e->c >> 16);

	u64 gpa = pt + ((va >> 12) & (sz == 4 ? 1023 : 511)) * sz;

	if (w->g.mode == MMU_MODE_OFF)
		return guest_access(w, va, (int)(e->c % K_NR), e->c, 8);
	w->last_va = va;
	if (sz == 4)
		return guest_pt_write(w, gpa, val & 0xffffffffULL, 4);
	switch ((e->a >> 8) % 16) {
	case 0:
		/* Two halves: the guest sees the intermediate gpte. */
		if (guest_pt_write(w, gpa, val & 0xffffffffULL, 4))
			return -1;
		return guest_pt_write(w, gpa + 4, val >> 32, 4);
	case 1:
		/* Straddling two gptes: the shadow must give up the page. */
		return guest_pt_write(w, gpa + 4, val, 8);
	default:
		return guest_pt_write(w, gpa, val, 8);
	}
}

/* A PDE of a user window: another table, a large page, junk. */
static u64 pde_value(struct world *w, u64 x)
{
	u64 fl = GPT_P | GPT_W | GPT_U | GPT_A;
	u64 big = w->g.mode == MMU_MODE_32 ? 0x400000ULL : 0x200000ULL;

	switch (x % 10) {
	case 0:
	case 1:
	case 2:
		return w->pts[(x >> 3) % 4] | fl;
	case 8:
		/* Hostile: any frame as a table (data, no slot, a table). */
		return (data_gfn(w, x >> 3) << 12) | fl;
	case 9:
		/* Hostile: a loop back to the root. */
		return w->roots[(x >> 3) & 1] | fl;
	case 3:
		return (w->s.slots[1].base_gfn << 12) | fl | GPT_PS | GPT_D;
	case 4:
		return ((x >> 8) % 4) * big | fl | GPT_PS | (x & 0x100);
	case 5:
		return 0;
	case 6:
		return w->pts[(x >> 3) % 4] | GPT_P | ((x >> 5) & 6);
	default:
		if (w->g.mode == MMU_MODE_32)
			return (x & 0x3e0000ULL) | GPT_PS | GPT_P;
		return w->pts[0] | GPT_P | (1ULL << 45);
	}
}

static int ev_pde(struct world *w, const struct event *e)
{
	u64 va = (e->a & 1) ? U1 : U0, gpa;
	u32 sz = gpt_pte_size(w->g.mode);

	if (w->g.mode == MMU_MODE_OFF)
		return 0;
	gpa = gpt_entry_gpa(&w->g, w->roots[(e->a >> 1) & 1], va, 2);
	if (gpa == ~0ULL)
		return 0;
	return guest_pt_write(w, gpa, pde_value(w, e->b), sz);
}

/* MOV CR3 in PAE mode reads the PDPTEs; a reserved bit is #GP. */
static int pae_load(struct world *w, struct mmu_paging *pg)
{
	int i;

	for (i = 0; i < 4; i++) {
		pg->pdptes[i] = 0;
		sim_read(&w->s, pg->cr3 + i * 8, &pg->pdptes[i], 8);
		if ((pg->pdptes[i] & 1) &&
		    (pg->pdptes[i] & 0xfffffff0000001e6ULL))
			return -1;
	}
	return 0;
}

static int set_paging(struct world *w, const struct mmu_paging *pg)
{
	clear_stale(w, -1);
	if (sim_set_paging(&w->s, pg) && !w->s.oom_seed)
		return fail_at(w, "set_paging failed %llx%llx", 0, 0);
	return 0;
}

int load_cr3(struct world *w, int which)
{
	struct mmu_paging pg = w->s.pg;

	if (pg.mode != MMU_MODE_OFF)
		pg.cr3 = w->roots[which];
	if (pg.mode == MMU_MODE_PAE && pae_load(w, &pg))
		return 0;	/* #GP: CR3 unchanged */
	w->cur = which;
	return set_paging(w, &pg);
}

/* CR0.PG: paging off and back on with the current root. */
static int toggle_paging(struct world *w, struct mmu_paging *pg)
{
	if (pg->mode != MMU_MODE_OFF) {
		pg->mode = MMU_MODE_OFF;
		return set_paging(w, pg);
	}
	pg->mode = w->g.mode;
	pg->cr3 = w->roots[w->cur];
	if (pg->mode == MMU_MODE_PAE && pae_load(w, pg))
		return 0;
	return set_paging(w, pg);
}

static int ev_mode(struct world *w, const struct event *e)
{
	struct mmu_paging pg = w->s.pg;

	if (w->g.mode == MMU_MODE_NPT || w->g.mode == MMU_MODE_OFF)
		return 0;
	switch (e->a % 6) {
	case 0:
		pg.wp = !pg.wp;
		break;
	case 1:
		pg.smep = !pg.smep;
		break;
	case 2:
		pg.smap = !pg.smap;
		break;
	case 3:
		if (pg.mode != MMU_MODE_32)
			pg.nxe = !pg.nxe;
		break;
	case 4:
		pg.pse = !pg.pse;
		break;
	default:
		return toggle_paging(w, &pg);
	}
	return set_paging(w, &pg);
}

static int ev_slot(struct world *w, const struct event *e)
{
	int id = 1 + (int)(e->a & 1);
	struct sim_slot *sl = &w->s.slots[id];
	u64 base = id == 1 ? SLOT1_GFN : SLOT2_GFN;
	u64 alt = id == 1 ? SLOT1_ALT : SLOT2_ALT;

	switch ((e->a >> 1) % 3) {
	case 0:
		sim_remove_slot(&w->s, id);
		return 0;
	case 1:
		if (sl->present)
			sim_move_slot(&w->s, id, sl->base_gfn == base ? alt : base);
		return 0;
	default:
		if (!sl->present)
			sim_add_slot(&w->s, id, sl->base_gfn, sl->npages,
				     id == 2 && (e->b & 1), id == 1);
		return 0;
	}
}

static int ev_dirty(struct world *w, const struct event *e)
{
	int id = (int)(e->a % 3);
	struct sim_slot *sl = &w->s.slots[id];
	u64 bm[8] = { 0 }, words = (sl->npages + 63) / 64, i, x;

	if (!sl->present)
		return 0;
	switch ((e->a >> 2) % 4) {
	case 0:
		if (sl->logging)
			return 0;
		memset(sl->truth, 0, words * 8);
		if (mmu_dirty_log_enable(w->s.mmu, id, sl->base_gfn,
					 sl->npages))
			return w->s.oom_seed ? 0 :
			       fail_at(w, "enable failed %llx%llx", 0, 0);
		sl->logging = true;
		return 0;
	case 1:
		if (!sl->logging || check_dirty(w, id))
			return -(w->failed);
		mmu_dirty_log_get(w->s.mmu, id, bm, false);
		memset(sl->truth, 0, words * 8);
		return 0;
	case 2:
		if (!sl->logging || check_dirty(w, id))
			return -(w->failed);
		x = e->b;
		for (i = 0; i < words; i++)
			bm[i] = rng_next(&x) | rng_next(&x);
		if (mmu_dirty_log_clear(w->s.mmu, id, 0, sl->npages, bm))
			return fail_at(w, "clear failed %llx%llx", 0, 0);
		for (i = 0; i < words; i++)
			sl->truth[i] &= ~bm[i];
		return 0;
	default:
		if (sl->logging) {
			mmu_dirty_log_disable(w->s.mmu, id);
			sl->logging = false;
		}
		return 0;
	}
}

/* Any kind; a quarter of supervisor data accesses are implicit. */
static int access_kind(u64 x)
{
	int kind = (int)(x % K_NR);
	bool sup_data = kind == K_SR || kind == K_SW || kind == K_SRA ||
			kind == K_SWA;

	if (sup_data && ((x >> 8) & 3) == 0)
		kind |= K_IMPL;
	return kind;
}

int apply(struct world *w, const struct event *e)
{
	int i;

	switch (e->type) {
	case EV_ACCESS:
		/* Favour the user windows, where the tables change. */
		i = (int)(e->a % (e->a & 0x100 ? NUNIV : 2 * WIN));
		return guest_access(w, w->univ[i] + (e->b & 0xff8),
				    access_kind(e->b >> 16), e->c, 8);
	case EV_PTE:
		return ev_pte(w, e);
	case EV_PDE:
		return ev_pde(w, e);
	case EV_INVLPG:
		i = (int)(e->a % NUNIV);
		if (e->b & 1)
			i = univ_index(w, w->last_va);
		if (i < 0)
			return 0;
		clear_stale(w, i);
		sim_invlpg(&w->s, w->univ[i]);
		return 0;
	case EV_CR3:
		if (load_cr3(w, (int)(e->a & 1)))
			return -1;
		return probe_all(w, e->b);
	case EV_MODE:
		return ev_mode(w, e);
	case EV_SLOT:
		return ev_slot(w, e);
	case EV_INVAL:
		mmu_zap_gfn_range(w->s.mmu, e->a % 0x700,
				  e->a % 0x700 + 1 + e->b % 64);
		return 0;
	case EV_DIRTY:
		return ev_dirty(w, e);
	case EV_PRESSURE:
		mmu_shrink(w->s.mmu, 1 + e->a % 8);
		return 0;
	default:
		clear_stale(w, -1);
		if (w->s.kind == MMU_KIND_SHADOW)
			mmu_flush_guest_tlb(w->s.mmu);
		else
			sim_tlb_flush(&w->s);
		return probe_all(w, e->b);
	}
}

void gen_events(u64 seed, struct event *ev, int n)
{
	u64 rng = seed ^ 0x5eed5eed5eedULL;
	int i, t;

	for (i = 0; i < n; i++) {
		int x = (int)(rng_next(&rng) % 100), acc = 0;

		for (t = 0; t < EV_NR - 1; t++) {
			acc += ev_weight[t];
			if (x < acc)
				break;
		}
		ev[i].type = (enum ev_type)t;
		ev[i].a = rng_next(&rng);
		ev[i].b = rng_next(&rng);
		ev[i].c = rng_next(&rng);
	}
}

const char *ev_name(enum ev_type t)
{
	return ev_names[t];
}
