/* SPDX-License-Identifier: ISC */
/*
 * Changing entries as an OS must: after each change, exactly the TLB
 * upkeep the architecture asks for, no more. Only the active address
 * space can hold stale translations (no PCIDs, no global pages: a CR3
 * load flushes everything), so a change that the active space cannot
 * reach needs none, and a change that turns a not-present entry present
 * needs none either (no TLB caches a not-present entry). Otherwise one
 * leaf is flushed with INVLPG, anything larger with a CR3 reload.
 */
#include "torture.h"

int active_as = -1;
static bool in_bulk;

/*
 * Slots whose page was covered only by an INVLPG of another address in
 * its 2 MiB page since the last CR3 load. QEMU's TCG (7.2, the lab's
 * CPU) finds code through a cache keyed by virtual address that INVLPG
 * clears for the named 4 KiB page only, even inside a large page, and so
 * runs stale code there under nested paging. Before a fetch from such a
 * page, name it too; data accesses still check that one INVLPG suffices.
 */
static uint64_t fetch_stale;

/* The slots of the active address space whose walk reads t[idx]. */
static uint64_t slots_using(const struct table *t, int idx)
{
	uint64_t hit = 0;
	struct walk w;
	int s, d;

	if (active_as < 0)
		return 0;
	for (s = 0; s < NR_SLOTS; s++) {
		model_walk(roots[active_as], slot_va(s), 0, &w);
		for (d = 0; d < w.depth; d++)
			if (w.t[d] == t && w.idx[d] == idx)
				hit |= 1ULL << s;
	}
	return hit;
}

/* A leaf, or nothing, before and after: INVLPG covers it. */
static bool leaf_change(int level, uint64_t old, uint64_t new)
{
	return !is_link(level, old) && !is_link(level, new);
}

/*
 * INVLPG each slot's page; for a 2 MiB page one address anywhere in it
 * is enough, so pick one at random.
 */
static void invlpg_slots(int level, uint64_t hit)
{
	uint64_t va;
	int s;

	for (s = 0; s < NR_SLOTS; s++) {
		if (!(hit & (1ULL << s)))
			continue;
		va = slot_va(s);
		if (level == 2) {
			fetch_stale |= 1ULL << s;
			if (s % DIR_SLOTS)
				continue;
			va = (va & ~(PAGE_2M - 1)) +
			     rnd_below(PT_ENTRIES) * PAGE_4K;
		}
		invlpg(va);
	}
}

void before_fetch(int slot)
{
	if (fetch_stale & (1ULL << slot))
		invlpg(slot_va(slot));
	fetch_stale &= ~(1ULL << slot);
}

void tlb_flush(void)
{
	fetch_stale = 0;
	cr3_reload();
}

static void settle(const struct table *t, int idx, uint64_t old,
		   uint64_t new)
{
	uint64_t hit;

	if (in_bulk)
		return;
	hit = slots_using(t, idx);
	if (!hit)
		return;
	if (!(old & PTE_P) && chance(2))
		return;
	if (leaf_change(t->level, old, new) && !chance(8))
		invlpg_slots(t->level, hit);
	else
		tlb_flush();
}

/*
 * Sets t[idx], keeps the reference counts, and flushes what it must
 * before a table it unlinked can be freed and reused.
 */
void entry_set(struct table *t, int idx, uint64_t val)
{
	uint64_t old = t->want[idx];

	if (in_bulk && (is_link(t->level, old) || is_link(t->level, val)))
		fail(NULL, "bug: a bulk edit may change leaves only\n");
	if (is_link(t->level, val))
		table_of(val)->refs++;
	pt_write(t, idx, val);
	settle(t, idx, old, val);
	if (is_link(t->level, old))
		table_put(table_of(old));
}

/* Leaf changes without upkeep, then one CR3 reload for them all. */
void bulk_begin(void)
{
	in_bulk = true;
}

void bulk_end(void)
{
	in_bulk = false;
	tlb_flush();
}

void as_switch(int a)
{
	active_as = a;
	fetch_stale = 0;
	write_cr3(table_link(roots[a]));
}

/*
 * A fresh root for address space a, a copy of the old one, which is
 * then freed: its page soon serves as some other table.
 */
void as_renew(int a)
{
	struct table *old = roots[a], *new = table_alloc(4);
	int i;

	new->refs = 1;
	for (i = 0; i < PT_ENTRIES; i++) {
		if (is_link(4, old->want[i]))
			table_of(old->want[i])->refs++;
		if (old->want[i])
			pt_write(new, i, old->want[i]);
	}
	roots[a] = new;
	if (a == active_as)
		as_switch(a);
	table_put(old);
}
