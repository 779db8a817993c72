/* SPDX-License-Identifier: ISC */
/*
 * Guest page-table builder (see gpt.h).
 */
#include "gpt.h"

static int direct_write(void *ctx, u64 gpa, u64 val, u32 len)
{
	return sim_write(ctx, gpa, &val, len);
}

void gpt_init(struct gpt *g, struct sim *s, enum mmu_mode mode,
	      u64 pool_gfn, u64 pool_pages)
{
	g->s = s;
	g->mode = mode;
	g->pool_next = pool_gfn;
	g->pool_end = pool_gfn + pool_pages;
	g->write = direct_write;
	g->wctx = s;
}

u64 gpt_alloc(struct gpt *g)
{
	if (g->pool_next >= g->pool_end)
		return ~0ULL;
	return g->pool_next++ << 12;
}

int gpt_levels(enum mmu_mode mode)
{
	switch (mode) {
	case MMU_MODE_32:
		return 2;
	case MMU_MODE_PAE:
		return 3;
	case MMU_MODE_LM5:
		return 5;
	case MMU_MODE_OFF:
		return 0;
	default:
		return 4;
	}
}

u32 gpt_pte_size(enum mmu_mode mode)
{
	return mode == MMU_MODE_32 ? 4 : 8;
}

/* PAE PDPTEs take only P; other tables get P, W, U. */
u64 gpt_table_flags(enum mmu_mode mode, int level)
{
	if (mode == MMU_MODE_PAE && level == 3)
		return GPT_P;
	return GPT_P | GPT_W | GPT_U;
}

static u64 index_of(enum mmu_mode mode, u64 va, int level)
{
	if (mode == MMU_MODE_32)
		return (va >> (12 + 10 * (level - 1))) & 1023;
	if (mode == MMU_MODE_PAE && level == 3)
		return (va >> 30) & 3;
	return (va >> (12 + 9 * (level - 1))) & 511;
}

static u64 entry_addr(enum mmu_mode mode, u64 e)
{
	if (mode == MMU_MODE_32)
		return e & 0xfffff000ULL;
	return e & 0x0000000ffffff000ULL;
}

u64 gpt_entry_gpa(struct gpt *g, u64 root, u64 va, int level)
{
	u32 sz = gpt_pte_size(g->mode);
	u64 table = root;
	int l;

	for (l = gpt_levels(g->mode); l > level; l--) {
		u64 e = 0;

		if (sim_read(g->s, table + index_of(g->mode, va, l) * sz, &e,
			     sz) || !(e & GPT_P) || (l < 4 && (e & GPT_PS) &&
						     !(g->mode == MMU_MODE_PAE &&
						       l == 3)))
			return ~0ULL;
		table = entry_addr(g->mode, e);
	}
	return table + index_of(g->mode, va, level) * sz;
}

int gpt_map(struct gpt *g, u64 root, u64 va, u64 leaf, int level)
{
	u32 sz = gpt_pte_size(g->mode);
	u64 table = root;
	int l;

	for (l = gpt_levels(g->mode); l > level; l--) {
		u64 gpa = table + index_of(g->mode, va, l) * sz, e = 0;

		if (sim_read(g->s, gpa, &e, sz))
			return -1;
		if (!(e & GPT_P)) {
			u64 t = gpt_alloc(g);

			if (t == ~0ULL)
				return -1;
			e = t | gpt_table_flags(g->mode, l);
			if (g->write(g->wctx, gpa, e, sz))
				return -1;
		}
		table = entry_addr(g->mode, e);
	}
	return g->write(g->wctx, table + index_of(g->mode, va, level) * sz,
			leaf, sz);
}
