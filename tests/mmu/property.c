/* SPDX-License-Identifier: ISC */
/*
 * Seeded random event sequences against the reference model.
 *
 * Each sequence picks a guest paging mode and an MMU kind, builds a
 * small guest (two address spaces sharing a kernel "physmap" of the
 * page-table pool, two user windows), then applies random events:
 * guest accesses, gpte writes (made by the guest through its physmap,
 * so they trap, unsync or emulate as on hardware), INVLPG, CR3
 * switches, CR0/CR4/EFER changes, memslot add/remove/move, host
 * invalidations, dirty-log enable/get/clear, memory pressure. After
 * every event it checks every leaf and TLB entry the hardware can use
 * against the guest's tables, allowing only the staleness the
 * architecture allows (a translation valid since the address was last
 * invalidated), and that no write to a logged slot escaped the log.
 *
 * On failure it prints the seed and a minimised event trace.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gpt.h"
#include "property.h"
#include "ref_model.h"

#define POOL_GFN	0x10ULL
#define POOL_PAGES	32ULL
#define DATA_GFN	0x30ULL
#define SLOT1_GFN	0x200ULL
#define SLOT1_ALT	0x600ULL
#define SLOT2_GFN	0x80ULL
#define SLOT2_ALT	0xa0ULL
#define U0		0x400000ULL
#define U1		0x800000ULL
#define WIN		8
#define NUNIV		(2 * WIN + POOL_PAGES)
#define MAX_STALE	6
#define MAX_EVENTS	64

enum ev_type {
	EV_ACCESS, EV_PTE, EV_PDE, EV_INVLPG, EV_CR3, EV_MODE, EV_SLOT,
	EV_INVAL, EV_DIRTY, EV_PRESSURE, EV_FLUSH, EV_NR
};

static const char *const ev_names[EV_NR] = {
	"access", "pte", "pde", "invlpg", "cr3", "mode", "slot", "inval",
	"dirty", "pressure", "flush",
};

/* Cumulative weights out of 100. */
static const int ev_weight[EV_NR] = {
	38, 20, 7, 8, 6, 3, 4, 3, 6, 3, 2,
};

struct event {
	enum ev_type type;
	u64 a, b, c;
};

struct stale_set {
	int n;
	u64 gfn[MAX_STALE];
	u8 allow[MAX_STALE];
	bool overflow;
};

struct world {
	struct sim s;
	struct gpt g;
	u64 roots[2];
	int cur;
	u64 pts[4];		/* user page tables */
	u64 univ[NUNIV];
	struct stale_set stale[NUNIV];
	u64 physmap;
	u64 last_va;		/* last user va whose pte changed */
	bool failed;
	char why[320];
};

static u64 rng_next(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int fail_at(struct world *w, const char *fmt, unsigned long long a,
		   unsigned long long b)
{
	if (!w->failed) {
		w->failed = true;
		snprintf(w->why, sizeof(w->why), fmt, a, b);
	}
	return -1;
}

static int mem_read(void *ctx, u64 gpa, u64 *val, u32 len)
{
	*val = 0;
	return sim_read(ctx, gpa, val, len);
}

static void ref_now(struct world *w, u64 va, struct ref_result *r)
{
	ref_walk(&w->s.pg, mem_read, &w->s, va, r);
}

static int univ_index(struct world *w, u64 va)
{
	int i;

	for (i = 0; i < (int)NUNIV; i++)
		if (w->univ[i] == (va & ~0xfffULL))
			return i;
	return -1;
}

/* Hardware may grant allow on va -> gfn: now, or since the last flush. */
static bool allowed_cb(void *ctx, u64 va, u64 gfn, u8 allow)
{
	struct world *w = ctx;
	struct ref_result r;
	int i = univ_index(w, va), j;

	if (!allow)
		return true;	/* grants nothing; isolation checked apart */
	ref_now(w, va, &r);
	if (r.status == REF_OK && r.gfn == gfn && !(allow & ~r.allow))
		return true;
	if (i < 0)
		return false;
	if (w->stale[i].overflow)
		return true;
	for (j = 0; j < w->stale[i].n; j++)
		if (w->stale[i].gfn[j] == gfn &&
		    !(allow & ~w->stale[i].allow[j]))
			return true;
	if (getenv("MMU_DEBUG")) {
		fprintf(stderr, "deny va %llx gfn %llx allow %x: ref st %d gfn %llx allow %x;",
			(unsigned long long)va, (unsigned long long)gfn, allow,
			r.status, (unsigned long long)r.gfn, r.allow);
		for (j = 0; j < w->stale[i].n; j++)
			fprintf(stderr, " stale %llx/%x",
				(unsigned long long)w->stale[i].gfn[j],
				w->stale[i].allow[j]);
		fprintf(stderr, "\n");
	}
	return false;
}

/* Before the guest changes a translation, the old one may linger. */
static void record_stale(struct world *w)
{
	int i, j;

	for (i = 0; i < (int)NUNIV; i++) {
		struct stale_set *st = &w->stale[i];
		struct ref_result r;

		ref_now(w, w->univ[i], &r);
		if (r.status != REF_OK || !r.allow)
			continue;
		for (j = 0; j < st->n; j++)
			if (st->gfn[j] == r.gfn && st->allow[j] == r.allow)
				break;
		if (j < st->n)
			continue;
		if (st->n == MAX_STALE) {
			/* Too much history: accept anything seen (rare). */
			st->overflow = true;
			continue;
		}
		st->gfn[st->n] = r.gfn;
		st->allow[st->n++] = r.allow;
	}
}

static void clear_stale(struct world *w, int i)
{
	if (i < 0) {
		memset(w->stale, 0, sizeof(w->stale));
		return;
	}
	memset(&w->stale[i], 0, sizeof(w->stale[i]));
}

static u64 physmap_va(struct world *w, u64 gpa)
{
	if (w->s.pg.mode == MMU_MODE_OFF)
		return gpa;	/* paging off: linear is physical */
	return w->physmap + gpa;
}

/*
 * With no stale translation in play, a completed access went through
 * the current gptes: the leaf's A bit, and D for a write, must be set
 * (by the MMU's walker in shadow mode, by the CPU in TDP mode).
 */
static int check_ad(struct world *w, u64 va, int kind)
{
	int i = univ_index(w, va);
	struct ref_result r;
	u64 leaf;

	if (i < 0 || w->stale[i].n || w->stale[i].overflow ||
	    w->s.pg.mode == MMU_MODE_OFF)
		return 0;
	ref_now(w, va, &r);
	if (r.status != REF_OK || !r.nr)
		return 0;
	leaf = r.pte[r.nr - 1];
	if (!(leaf & GPT_A) ||
	    ((kind == K_SW || kind == K_UW) && !(leaf & GPT_D)))
		return fail_at(w, "access at %llx left gpte %llx without A/D",
			       va, leaf);
	return 0;
}

/*
 * check_access - judge one completed guest access against the guest's
 * tables now (faults and emulation see the current tables) or, for a
 * completed access, also the stale translations.
 */
static int check_access(struct world *w, u64 va, int kind,
			const struct sim_access *res,
			const struct ref_result *before)
{
	struct ref_result r = *before;
	struct sim_slot *sl;

	switch (res->out) {
	case SIM_OK:
		if (res->emulated) {
			if (r.status != REF_OK || !(r.allow & (1 << kind)) ||
			    r.gfn != res->gfn)
				return fail_at(w, "emulated access at %llx not allowed (gfn %llx)",
					       va, res->gfn);
			return 0;
		}
		if (!allowed_cb(w, va, res->gfn, 1 << kind))
			return fail_at(w, "access at %llx: gfn/kind/ref allow %llx not allowed",
				       va, res->gfn << 16 | kind << 8 | r.allow);
		return check_ad(w, va, kind);
	case SIM_PF:
		if (r.status == REF_OK && (r.allow & (1 << kind)))
			return fail_at(w, "#PF ec %llx at %llx but guest allows",
				       res->ec, va);
		if (r.ec[kind] != res->ec)
			return fail_at(w, "#PF ec %llx, reference %llx",
				       res->ec, r.ec[kind]);
		return 0;
	case SIM_MMIO:
		sl = sim_slot_of_gfn(&w->s, res->gpa >> 12);
		if (r.status != REF_OK || !(r.allow & (1 << kind)) ||
		    r.gfn != res->gpa >> 12)
			return fail_at(w, "MMIO exit at %llx gpa %llx disagrees",
				       va, res->gpa);
		if (sl && !(sl->readonly && (kind == K_SW || kind == K_UW)))
			return fail_at(w, "MMIO exit for memory gpa %llx (%llx)",
				       res->gpa, kind);
		return 0;
	case SIM_NOMEM:
		if (w->s.oom_seed)
			return 0;
		return fail_at(w, "out of memory at %llx (%llx)", va, kind);
	default:
		return fail_at(w, "access outcome %llx at %llx", res->out, va);
	}
}

/*
 * A guest access, judged against the tables as they were before it.
 * A data write landing on a page table keeps what is there (sim.h,
 * benign): it still traps, unsyncs and dirties, but the guest's
 * kernel mappings stay intact so the sequence stays meaningful.
 */
static int guest_access(struct world *w, u64 va, int kind, u64 val,
			u32 len)
{
	struct sim_access res;
	struct ref_result before;

	ref_now(w, va, &before);
	sim_do_access(&w->s, va, kind, val, len, &res);
	if (w->s.err[0])
		return fail_at(w, "hardware error at %llx kind %llx", va, kind);
	return check_access(w, va, kind, &res, &before);
}

/* The guest kernel writes its page tables through the physmap. */
static int guest_pt_write(void *ctx, u64 gpa, u64 val, u32 len)
{
	struct world *w = ctx;
	struct sim_access res;
	struct ref_result before;

	record_stale(w);
	ref_now(w, physmap_va(w, gpa), &before);
	w->s.pt_writes++;
	w->s.table_write = true;
	sim_do_access(&w->s, physmap_va(w, gpa), K_SW, val, len, &res);
	w->s.table_write = false;
	if (res.out == SIM_NOMEM && w->s.oom_seed && !w->s.err[0])
		return 0;
	if (w->s.err[0] || res.out != SIM_OK)
		return fail_at(w, "page-table write at %llx: outcome/ec %llx",
			       gpa, res.out * 0x10000 + res.ec);
	return check_access(w, physmap_va(w, gpa), K_SW, &res, &before);
}

static u64 data_gfn(struct world *w, u64 x)
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

static u64 leaf_flags(struct world *w, u64 x)
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

static int load_cr3(struct world *w, int which)
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

static int check_dirty(struct world *w, int id)
{
	struct sim_slot *sl = &w->s.slots[id];
	u64 bm[8], i;

	if (!sl->logging)
		return 0;
	if (mmu_dirty_log_get(w->s.mmu, id, bm, true))
		return fail_at(w, "dirty log get failed slot %llx%llx", id, 0);
	for (i = 0; i < (sl->npages + 63) / 64; i++)
		if (sl->truth[i] & ~bm[i])
			return fail_at(w, "write to gfn %llx escaped the dirty log (%llx)",
				       sl->base_gfn + i * 64 +
				       __builtin_ctzll(sl->truth[i] & ~bm[i]),
				       0);
	return 0;
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

/*
 * After a flush nothing stale may remain: every address, accessed with
 * a read or fetch kind, must give exactly the reference's outcome.
 */
static int probe_all(struct world *w, u64 x)
{
	static const int kinds[] = { K_SR, K_UR, K_SX, K_UX };
	int i;

	for (i = 0; i < (int)NUNIV; i++)
		if (guest_access(w, w->univ[i], kinds[(x >> (i % 32)) & 3], 0,
				 8))
			return -1;
	return 0;
}

static int apply(struct world *w, const struct event *e)
{
	int i;

	switch (e->type) {
	case EV_ACCESS:
		/* Favour the user windows, where the tables change. */
		i = (int)(e->a % (e->a & 0x100 ? NUNIV : 2 * WIN));
		return guest_access(w, w->univ[i] + (e->b & 0xff8),
				    (int)((e->b >> 16) % K_NR), e->c, 8);
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

static int check_all(struct world *w)
{
	int id;

	if (w->failed)
		return -1;
	if (sim_check_tables(&w->s, allowed_cb, w) || w->s.err[0])
		return fail_at(w, "invariant %llx%llx", 0, 0);
	for (id = 0; id < SIM_MAX_SLOTS; id++)
		if (check_dirty(w, id))
			return -1;
	return 0;
}

/* Physmap: the kernel maps the table pool at a fixed place, shared. */
static u64 physmap_base(enum mmu_mode mode)
{
	switch (mode) {
	case MMU_MODE_OFF:
		return 0;
	case MMU_MODE_32:
	case MMU_MODE_PAE:
		return 0xc0000000ULL;
	case MMU_MODE_LM5:
		return 1ULL << 48;
	case MMU_MODE_NPT:
		return 1ULL << 35;	/* an L2 physical address */
	default:
		return 1ULL << 39;
	}
}

/* The level at which va a and va b take different entries. */
static int split_level(enum mmu_mode mode, u64 a, u64 b)
{
	int l;

	for (l = gpt_levels(mode); l > 1; l--) {
		u32 bits = mode == MMU_MODE_32 ? 10 : 9;
		u32 shift = 12 + bits * (l - 1);

		if (mode == MMU_MODE_PAE && l == 3)
			shift = 30;
		if ((a >> shift) != (b >> shift))
			return l;
	}
	return 1;
}

/* Give root 1 root 0's entry at level for va (a shared subtree). */
static void share_entry(struct world *w, u64 va, int level)
{
	u32 sz = gpt_pte_size(w->g.mode);
	u64 src = gpt_entry_gpa(&w->g, w->roots[0], va, level);
	u64 dst = gpt_entry_gpa(&w->g, w->roots[1], va, level);
	u64 e = 0;

	sim_read(&w->s, src, &e, sz);
	sim_write(&w->s, dst, &e, sz);
}

/*
 * Nested with L2 paging: L2 maps linear = L2-physical with 1G pages
 * (so the universe means the same in both), its two tables come from
 * the pool, and L1's NPT maps the pool identity so the CPU can walk
 * them and set their A/D bits through the shadow NPT.
 */
static int build_l2(struct world *w)
{
	u64 fl = GPT_P | GPT_W | GPT_U, pml4, pdpt, e, i;

	for (i = 0; i < POOL_PAGES; i++)
		if (gpt_map(&w->g, w->roots[0], (POOL_GFN + i) << 12,
			    ((POOL_GFN + i) << 12) | fl, 1))
			return -1;
	share_entry(w, POOL_GFN << 12, 2);
	pml4 = gpt_alloc(&w->g);
	pdpt = gpt_alloc(&w->g);
	if (pdpt == ~0ULL)
		return -1;
	e = pdpt | fl;
	sim_write(&w->s, pml4, &e, 8);
	for (i = 0; i < 64; i++) {
		e = (i << 30) | fl | GPT_PS;
		sim_write(&w->s, pdpt + i * 8, &e, 8);
	}
	w->s.nested_l2 = true;
	w->s.l2_identity = true;
	w->s.l2pg = (struct mmu_paging){ .mode = MMU_MODE_LM4, .wp = true,
					 .nxe = true, .cr3 = pml4 };
	return 0;
}

static int build_guest(struct world *w, enum mmu_mode mode, u64 *rng)
{
	struct gpt *g = &w->g;
	/* An NPT is walked with user accesses: its entries need U. */
	u64 kflags = GPT_P | GPT_W | (mode == MMU_MODE_NPT ? GPT_U : 0);
	int r, i, j;

	gpt_init(g, &w->s, mode, POOL_GFN, POOL_PAGES);
	w->physmap = physmap_base(mode);
	for (i = 0; i < (int)POOL_PAGES; i++)
		w->univ[2 * WIN + i] = w->physmap + ((POOL_GFN + i) << 12);
	for (i = 0; i < WIN; i++) {
		w->univ[i] = U0 + i * 4096ULL;
		w->univ[WIN + i] = U1 + i * 4096ULL;
	}
	if (mode == MMU_MODE_OFF)
		return 0;
	for (r = 0; r < 2; r++)
		w->roots[r] = gpt_alloc(g);
	for (i = 0; i < 4; i++)
		w->pts[i] = gpt_alloc(g);
	for (r = 0; r < 2; r++) {
		u64 fl = gpt_table_flags(mode, 2);

		if (gpt_map(g, w->roots[r], U0, w->pts[r ? 2 : 0] | fl, 2) ||
		    gpt_map(g, w->roots[r], U1, w->pts[1] | fl, 2))
			return -1;
	}
	/* Root 0 builds the physmap; root 1 shares its subtree. */
	for (i = 0; i < (int)POOL_PAGES; i++)
		if (gpt_map(g, w->roots[0], w->physmap +
			    ((POOL_GFN + i) << 12),
			    ((POOL_GFN + i) << 12) | kflags, 1))
			return -1;
	share_entry(w, w->physmap, split_level(mode, w->physmap, U0));
	for (i = 0; i < 4; i++) {
		for (j = 0; j < WIN; j++) {
			u64 x = rng_next(rng);
			u64 v = (data_gfn(w, x) << 12) | (leaf_flags(w, x >> 16) |
							  GPT_P);
			u32 sz = gpt_pte_size(mode);

			sim_write(&w->s, w->pts[i] + j * sz, &v, sz);
		}
	}
	if (mode == MMU_MODE_NPT && (rng_next(rng) & 1))
		return build_l2(w);
	return 0;
}

static const enum mmu_mode modes[] = {
	MMU_MODE_OFF, MMU_MODE_32, MMU_MODE_PAE, MMU_MODE_LM4, MMU_MODE_LM5,
	MMU_MODE_NPT,
};

static int setup(struct world *w, u64 seed, bool unsync)
{
	u64 rng = seed;
	enum mmu_mode mode = modes[rng_next(&rng) % 6];
	enum mmu_kind kind = (enum mmu_kind)(rng_next(&rng) % 3);
	u32 max_sp = 16 + rng_next(&rng) % 48;
	struct mmu_paging pg = { .mode = mode, .wp = true, .pse = true };

	u64 oom = rng_next(&rng);

	if (mode == MMU_MODE_NPT)
		kind = MMU_KIND_SHADOW;
	memset(w, 0, sizeof(*w));
	if (sim_init(&w->s, kind, unsync, max_sp))
		return -1;
	/* One sequence in eight runs short of memory. */
	if (oom % 8 == 0)
		w->s.oom_seed = oom | 1;
	if (sim_add_slot(&w->s, 0, 0, 64, false, false) ||
	    sim_add_slot(&w->s, 1, SLOT1_GFN, 512, false, true) ||
	    sim_add_slot(&w->s, 2, SLOT2_GFN, 16, false, false))
		return -1;
	if (build_guest(w, mode, &rng))
		return -1;
	w->g.write = guest_pt_write;
	w->g.wctx = w;
	w->s.benign_lo = POOL_GFN;
	w->s.benign_hi = POOL_GFN + POOL_PAGES;
	pg.nxe = mode != MMU_MODE_32 && mode != MMU_MODE_OFF;
	w->s.pg = pg;
	return load_cr3(w, 0);
}

static void gen_events(u64 seed, struct event *ev, int n)
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

/* Run the events whose mask bit is set; returns index of failure. */
static int run_events(u64 seed, bool unsync, const struct event *ev,
		      int n, const bool *keep, struct world *w)
{
	int i, at = -1;

	if (setup(w, seed, unsync) || check_all(w)) {
		at = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (keep && !keep[i])
			continue;
		if (apply(w, &ev[i]) || check_all(w)) {
			at = i;
			break;
		}
	}
out:
	sim_fini(&w->s);
	if (at < 0 && w->s.err[0])
		at = n;
	return at;
}

static void print_trace(u64 seed, bool unsync, const struct event *ev,
			int n, const bool *keep, const struct world *w)
{
	int i;

	fprintf(stderr, "mmu property failure: seed %llu (mode %d kind %d unsync %d): %s %s\n",
		(unsigned long long)seed, w->s.pg.mode, w->s.kind, unsync,
		w->why, w->s.err);
	fprintf(stderr, "  minimal trace (replay: SEED=%llu):\n",
		(unsigned long long)seed);
	for (i = 0; i < n; i++)
		if (keep[i])
			fprintf(stderr, "  [%d] %s %llx %llx %llx\n", i,
				ev_names[ev[i].type],
				(unsigned long long)ev[i].a,
				(unsigned long long)ev[i].b,
				(unsigned long long)ev[i].c);
}

/* Drop events one at a time while the sequence still fails. */
static void minimise(u64 seed, bool unsync, const struct event *ev,
		     int n, bool *keep)
{
	static struct world w;
	int i;

	for (i = n - 1; i >= 0; i--) {
		if (!keep[i])
			continue;
		keep[i] = false;
		if (run_events(seed, unsync, ev, n, keep, &w) < 0)
			keep[i] = true;
	}
}

int property_run(u64 seed, int nevents, bool unsync, bool verbose)
{
	static struct world w;
	struct event ev[MAX_EVENTS] = { 0 };
	bool keep[MAX_EVENTS];
	int at, i;

	if (nevents > MAX_EVENTS)
		nevents = MAX_EVENTS;
	gen_events(seed, ev, nevents);
	at = run_events(seed, unsync, ev, nevents, NULL, &w);
	if (at < 0)
		return 0;
	for (i = 0; i < nevents; i++)
		keep[i] = i <= at;
	if (verbose) {
		struct world *last = malloc(sizeof(*last));

		minimise(seed, unsync, ev, nevents, keep);
		if (last) {
			run_events(seed, unsync, ev, nevents, keep, last);
			print_trace(seed, unsync, ev, nevents, keep, last);
			free(last);
		}
	}
	return -1;
}
