/* SPDX-License-Identifier: ISC */
/*
 * The operations, one per round, picked at random by weight: what an OS
 * does to its page tables, in any address space (the active one half the
 * time, so its live tables change under the MMU), each followed by
 * probes of the slots it changed.
 */
#include "torture.h"

static int pick_as(void)
{
	return chance(2) ? active_as : (int)rnd_below(NR_AS);
}

static int slot_index(int slot, int level)
{
	return va_index(slot_va(slot), level);
}

/* A leaf's rights and bits, at random; A and D set now and then. */
static uint64_t leaf_flags(void)
{
	uint64_t f = PTE_P | (rnd() & PTE_AVL);

	if (!chance(4))
		f |= PTE_RW;
	if (!chance(4))
		f |= PTE_US;
	if (nx_on && chance(6))
		f |= PTE_NX;
	if (chance(4))
		f |= PTE_A;
	if (chance(8))
		f |= PTE_D;
	return f;
}

/* Links mostly grant everything: rights are usually taken at the leaf. */
static uint64_t link_flags(void)
{
	uint64_t f = PTE_P | PTE_RW | PTE_US | (rnd() & PTE_AVL);

	if (chance(16))
		f &= ~PTE_RW;
	if (chance(16))
		f &= ~PTE_US;
	if (nx_on && chance(16))
		f |= PTE_NX;
	if (chance(4))
		f |= PTE_A;
	return f;
}

/* Not present: zero, or junk the MMU must ignore (an OS's swap entry). */
static uint64_t absent(void)
{
	return chance(2) ? 0 : rnd() & ~PTE_P;
}

static uint64_t frame_entry(int level)
{
	if (level == 2)
		return bigs[rnd_below(nr_bigs)] | PTE_PS;
	return frames[rnd_below(nr_frames)];
}

/* Probes after a change: the slot it touched, if its space is active. */
static void probe_after(int a, int slot)
{
	struct walk w;

	if (a != active_as)
		slot = (int)rnd_below(NR_SLOTS);
	probe(slot, rand_kind(), &w);
	if (chance(2))
		probe(slot, rand_kind(), &w);
}

/*
 * The 2 MiB page pd[idx] becomes a table of 4 KiB pages mapping the same
 * memory with the same rights (the slots' pages only), as an OS splits.
 */
static void split(struct table *pd, int idx)
{
	uint64_t e = pd->want[idx];
	uint64_t keep = e & (PTE_P | PTE_RW | PTE_US | PTE_NX | PTE_AVL);
	uint64_t base = e & PTE_ADDR & ~(PAGE_2M - 1);
	struct table *pt = table_alloc(1);
	int k, i;

	for (k = 0; k < DIR_SLOTS; k++) {
		i = region_index(1, k);
		pt_write(pt, i, (base + i * PAGE_4K) | keep);
	}
	entry_set(pd, idx, table_link(pt) | link_flags());
}

/* The level-`level` table on slot's path in space a, made as needed. */
static struct table *path_table(int a, int slot, int level)
{
	struct table *t = roots[a];
	int l, idx;

	for (l = 4; l > level; l--) {
		idx = slot_index(slot, l);
		if (l == 2 && is_leaf(2, t->want[idx]) &&
		    (t->want[idx] & PTE_P))
			split(t, idx);
		else if (!is_link(l, t->want[idx]))
			entry_set(t, idx, table_link(table_alloc(l - 1)) |
				  link_flags());
		t = table_of(t->want[idx]);
	}
	return t;
}

/*
 * A present entry on slot's path in space a, the leaf most often: a link
 * takes a whole subtree with it.
 */
static bool pick_present(int a, int slot, struct table **t, int *idx)
{
	struct walk w;
	int d;

	model_walk(roots[a], slot_va(slot), 0, &w);
	d = w.depth - 1;
	if (!w.mapped || chance(8))
		d = (int)rnd_below((unsigned int)w.depth);
	*t = w.t[d];
	*idx = w.idx[d];
	return ((*t)->want[*idx] & PTE_P) != 0;
}

/* One page, or now and then all slots of its directory (mmap, populated). */
static void op_map(void)
{
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS);
	int first = s, last = s, i;
	struct table *pt = path_table(a, s, 1);

	if (chance(3)) {
		first = s - s % DIR_SLOTS;
		last = first + DIR_SLOTS - 1;
	}
	for (i = first; i <= last; i++)
		entry_set(pt, slot_index(i, 1), frame_entry(1) | leaf_flags());
	probe_after(a, s);
}

/* A directory becomes one 2 MiB page, or a 2 MiB page is split. */
static void op_big(void)
{
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS);
	struct table *pd = path_table(a, s, 2);
	int idx = slot_index(s, 2);
	uint64_t e = pd->want[idx];

	if ((e & PTE_P) && is_leaf(2, e))
		split(pd, idx);
	else
		entry_set(pd, idx, frame_entry(2) | leaf_flags());
	probe_after(a, s);
}

/* Unmaps a page, or a whole subtree when the entry is a link. */
static void op_unmap(void)
{
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS), idx;
	struct table *t;

	if (pick_present(a, s, &t, &idx))
		entry_set(t, idx, absent());
	probe_after(a, s);
}

static void op_protect(void)
{
	static const uint64_t bits[] = { PTE_RW, PTE_US, PTE_NX };
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS), idx;
	struct table *t;

	if (pick_present(a, s, &t, &idx))
		entry_set(t, idx, t->want[idx] ^ bits[rnd_below(nx_on ? 3 : 2)]);
	probe_after(a, s);
}

/* The same rights, another page. */
static void op_remap(void)
{
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS);
	struct walk w;
	struct table *t;
	int idx;

	model_walk(roots[a], slot_va(s), 0, &w);
	if (w.mapped) {
		t = w.t[w.depth - 1];
		idx = w.idx[w.depth - 1];
		entry_set(t, idx, (t->want[idx] & ~PTE_ADDR) |
			  (frame_entry(t->level) & PTE_ADDR));
	}
	probe_after(a, s);
}

/*
 * A table on some slot's path in some space is linked again elsewhere:
 * tables shared between spaces, or twice in one.
 */
static void op_share(void)
{
	int level = 1 + (int)rnd_below(3), d = 4 - level;
	int a = pick_as(), s = (int)rnd_below(NR_SLOTS);
	struct table *src, *parent;
	struct walk w;

	/* The walk reached a table of that level: it is live. */
	model_walk(roots[rnd_below(NR_AS)], slot_va((int)rnd_below(NR_SLOTS)),
		   0, &w);
	if (w.depth <= d)
		return;
	src = w.t[d];
	parent = path_table(a, s, level + 1);
	entry_set(parent, slot_index(s, level + 1),
		  table_link(src) | link_flags());
	probe_after(a, s);
}

static void op_renew(void)
{
	int a = (int)rnd_below(NR_AS);

	as_renew(a);
	probe_after(a, (int)rnd_below(NR_SLOTS));
}

/* A leaf entry of the active space changed at random, if its table exists. */
static bool bulk_edit(int s)
{
	struct walk w;
	struct table *t;
	uint64_t e;
	int idx;

	model_walk(roots[active_as], slot_va(s), 0, &w);
	t = w.t[w.depth - 1];
	idx = w.idx[w.depth - 1];
	e = t->want[idx];
	if (!(e & PTE_P) && t->level > 1)
		return false;
	if (!(e & PTE_P))
		e = frame_entry(1) | leaf_flags();
	else if (chance(3))
		e = absent();
	else if (chance(2))
		e ^= chance(2) ? PTE_RW : PTE_US;
	else
		e = (e & ~PTE_ADDR) | (frame_entry(t->level) & PTE_ADDR);
	entry_set(t, idx, e);
	return true;
}

/* Several leaves of the live tables changed, then one CR3 reload. */
static void op_bulk(void)
{
	int slots[6], n = 2 + (int)rnd_below(5), i, done = 0;
	struct walk w;

	bulk_begin();
	for (i = 0; i < n; i++) {
		slots[done] = (int)rnd_below(NR_SLOTS);
		if (bulk_edit(slots[done]))
			done++;
	}
	bulk_end();
	for (i = 0; i < done; i++)
		probe(slots[i], rand_kind(), &w);
}

static void op_switch(void)
{
	struct walk w;

	as_switch((active_as + 1 + (int)rnd_below(NR_AS - 1)) % NR_AS);
	probe((int)rnd_below(NR_SLOTS), rand_kind(), &w);
	probe((int)rnd_below(NR_SLOTS), rand_kind(), &w);
}

static void op_probe(void)
{
	struct walk w;
	int n = 1 + (int)rnd_below(4);

	while (n--)
		probe((int)rnd_below(NR_SLOTS), rand_kind(), &w);
}

static const struct {
	const char *name;
	unsigned int weight;
	void (*run)(void);
} ops[] = {
	{ "map", 20, op_map },
	{ "unmap", 8, op_unmap },
	{ "protect", 12, op_protect },
	{ "remap", 8, op_remap },
	{ "big", 5, op_big },
	{ "share", 4, op_share },
	{ "renew", 2, op_renew },
	{ "bulk", 5, op_bulk },
	{ "switch", 8, op_switch },
	{ "probe", 20, op_probe },
	{ "ad", 6, ad_round },
};

void run_op(void)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < SKIFF_ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	r = rnd_below(total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	op_name = ops[i].name;
	ops[i].run();
	stats.ops++;
}
