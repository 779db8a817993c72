/* SPDX-License-Identifier: ISC */
/*
 * The judge of the random property run: the staleness model (a
 * translation valid since the address was last invalidated may still
 * be used), the check of each guest access against the reference, the
 * dirty-log truth, and the invariants over tables and TLB after every
 * event.
 */
#include <stdio.h>
#include <stdlib.h>

#include "property_world.h"

u64 rng_next(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int fail_at(struct world *w, const char *fmt, unsigned long long a,
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

void ref_now(struct world *w, u64 va, struct ref_result *r)
{
	ref_walk(&w->s.pg, mem_read, &w->s, va, r);
}

int univ_index(struct world *w, u64 va)
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
void record_stale(struct world *w)
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

void clear_stale(struct world *w, int i)
{
	if (i < 0) {
		memset(w->stale, 0, sizeof(w->stale));
		return;
	}
	memset(&w->stale[i], 0, sizeof(w->stale[i]));
}

u64 physmap_va(struct world *w, u64 gpa)
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
	    ((kind == K_SW || kind == K_UW || kind == K_SWA) &&
	     !(leaf & GPT_D)))
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
		if (sl && !(sl->readonly && (kind == K_SW || kind == K_UW ||
					     kind == K_SWA)))
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
 * A guest access, judged against the tables as they were before it;
 * kind may carry K_IMPL, and is judged by the kind whose rules the
 * reference says it follows.
 * A data write landing on a page table keeps what is there (sim.h,
 * benign): it still traps, unsyncs and dirties, but the guest's
 * kernel mappings stay intact so the sequence stays meaningful.
 */
int guest_access(struct world *w, u64 va, int kind, u64 val, u32 len)
{
	struct sim_access res;
	struct ref_result before;

	ref_now(w, va, &before);
	sim_do_access(&w->s, va, kind, val, len, &res);
	if (w->s.err[0])
		return fail_at(w, "hardware error at %llx kind %llx", va, kind);
	return check_access(w, va, ref_kind_of(ref_kind_ec(kind)), &res,
			    &before);
}

/* The guest kernel writes its page tables through the physmap. */
int guest_pt_write(void *ctx, u64 gpa, u64 val, u32 len)
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

int check_dirty(struct world *w, int id)
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

int check_all(struct world *w)
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

/*
 * After a flush nothing stale may remain: every address, accessed with
 * a read or fetch kind (EFLAGS.AC 0 or 1, explicit or implicit), must
 * give exactly the reference's outcome.
 */
int probe_all(struct world *w, u64 x)
{
	static const int kinds[] = {
		K_SR, K_UR, K_SX, K_UX, K_SRA, K_SRA | K_IMPL, K_SR | K_IMPL,
		K_UR,
	};
	int i;

	for (i = 0; i < (int)NUNIV; i++)
		if (guest_access(w, w->univ[i], kinds[(x >> (i % 32)) & 7], 0,
				 8))
			return -1;
	return 0;
}
