/* SPDX-License-Identifier: ISC */
/*
 * Shared state of the random property run (property*.c): the simulated
 * world, its events, and the staleness the architecture allows.
 */
#ifndef SKIFF_TESTS_MMU_PROPERTY_WORLD_H
#define SKIFF_TESTS_MMU_PROPERTY_WORLD_H

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

/* property_checks.c: judging accesses and tables. */
u64 rng_next(u64 *x);
int fail_at(struct world *w, const char *fmt, unsigned long long a,
	    unsigned long long b);
void ref_now(struct world *w, u64 va, struct ref_result *r);
int univ_index(struct world *w, u64 va);
void record_stale(struct world *w);
void clear_stale(struct world *w, int i);
u64 physmap_va(struct world *w, u64 gpa);
int guest_access(struct world *w, u64 va, int kind, u64 val, u32 len);
int guest_pt_write(void *ctx, u64 gpa, u64 val, u32 len);
int check_dirty(struct world *w, int id);
int check_all(struct world *w);
int probe_all(struct world *w, u64 x);

/* property_events.c: generating and applying events. */
u64 data_gfn(struct world *w, u64 x);
u64 leaf_flags(struct world *w, u64 x);
int load_cr3(struct world *w, int which);
int apply(struct world *w, const struct event *e);
void gen_events(u64 seed, struct event *ev, int n);
const char *ev_name(enum ev_type t);

#endif
