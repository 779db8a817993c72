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

#include "property_world.h"

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
	/*
	 * One sequence in four starts with CR4.SMAP=1 and CR0.WP=0, where
	 * EFLAGS.AC decides whether a supervisor write to a read-only user
	 * page passes (and the shadow MMU must emulate it).
	 */
	if ((oom >> 8) % 4 == 0 && mode != MMU_MODE_NPT &&
	    mode != MMU_MODE_OFF) {
		pg.smap = true;
		pg.wp = false;
	}
	w->s.pg = pg;
	return load_cr3(w, 0);
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
				ev_name(ev[i].type),
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
