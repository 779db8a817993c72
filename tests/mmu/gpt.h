/* SPDX-License-Identifier: ISC */
/*
 * A builder for guest page tables in every mode: allocate tables from
 * a pool of guest frames, map a linear address at a level, find the
 * gpa of the entry that maps an address at a level. Writes go through
 * a callback so a test can route them through the guest's own
 * (trapped, emulated or unsynced) writes, or straight to memory.
 */
#ifndef SKIFF_TESTS_MMU_GPT_H
#define SKIFF_TESTS_MMU_GPT_H

#include "sim.h"

#define GPT_P	0x1ULL
#define GPT_W	0x2ULL
#define GPT_U	0x4ULL
#define GPT_A	0x20ULL
#define GPT_D	0x40ULL
#define GPT_PS	0x80ULL
#define GPT_NX	(1ULL << 63)

typedef int (*gpt_write_fn)(void *ctx, u64 gpa, u64 val, u32 len);

struct gpt {
	struct sim *s;
	enum mmu_mode mode;
	u64 pool_next, pool_end;	/* gfns */
	gpt_write_fn write;
	void *wctx;
};

void gpt_init(struct gpt *g, struct sim *s, enum mmu_mode mode,
	      u64 pool_gfn, u64 pool_pages);
u64 gpt_alloc(struct gpt *g);			/* a zeroed table: gpa */
int gpt_levels(enum mmu_mode mode);
u32 gpt_pte_size(enum mmu_mode mode);
/* gpa of the entry mapping va at level under root; ~0 if no path. */
u64 gpt_entry_gpa(struct gpt *g, u64 root, u64 va, int level);
/* Map va with leaf (already holding address and flags) at level. */
int gpt_map(struct gpt *g, u64 root, u64 va, u64 leaf, int level);
/* Non-leaf entry flags the builder uses. */
u64 gpt_table_flags(enum mmu_mode mode, int level);

#endif
