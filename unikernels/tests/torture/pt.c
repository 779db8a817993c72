/* SPDX-License-Identifier: ISC */
/*
 * Page tables and their model. Every table page has a model page beside
 * it holding each entry as the guest last wrote it; the model walker
 * predicts a translation from those alone, so a hypervisor that loses,
 * reorders or corrupts a write to a table is caught, not echoed.
 */
#include "torture.h"

#define NR_TABLES	96
#define NR_FRAMES	32
#define NR_BIGS		2
#define PINNED		(1 << 20)	/* refs of tables never freed */

struct table *roots[NR_AS];
uintptr_t frames[NR_FRAMES];
uintptr_t bigs[NR_BIGS];
const unsigned int nr_frames = NR_FRAMES, nr_bigs = NR_BIGS;

static struct table tables[NR_TABLES];
static uint64_t models[NR_TABLES][PT_ENTRIES];
static uintptr_t pool;
static int free_list[NR_TABLES], nr_free;

/* Entry indices the region uses at each level (level 4 first). */
static const uint16_t l4_idx[] = { 1, 2 };
static const uint16_t l3_idx[] = { 0, 3 };
static const uint16_t l2_idx[] = { 0, 5 };
static const uint16_t l1_idx[DIR_SLOTS] = {
	0, 1, 2, 3, 64, 255, 256, 511
};

static const uint16_t *const region[] = { NULL, l1_idx, l2_idx, l3_idx, l4_idx };
static const int region_n[] = { 0, DIR_SLOTS, 2, 2, 2 };

int region_index(int level, int n)
{
	return region[level][n];
}

int region_count(int level)
{
	return region_n[level];
}

uint64_t slot_va(int slot)
{
	int dir = slot / DIR_SLOTS;

	return (uint64_t)l4_idx[dir >> 2] << 39 |
	       (uint64_t)l3_idx[(dir >> 1) & 1] << 30 |
	       (uint64_t)l2_idx[dir & 1] << 21 |
	       (uint64_t)l1_idx[slot % DIR_SLOTS] << 12;
}

int va_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

bool is_leaf(int level, uint64_t e)
{
	return level == 1 || (level == 2 && (e & PTE_PS));
}

bool is_link(int level, uint64_t e)
{
	return (e & PTE_P) && !is_leaf(level, e);
}

uint64_t page_tag(uintptr_t pa)
{
	return (pa >> 12) * 0x9e3779b97f4a7c15ULL ^ 0x746f727475726521ULL;
}

static uintptr_t alloc_aligned(size_t size, size_t align)
{
	uintptr_t p = (uintptr_t)skiff_alloc(size + align);

	if (!p)
		fail(NULL, "out of memory (%lu bytes): give the guest more\n",
		     (unsigned long)size);
	return (p + align - 1) & ~(align - 1);
}

/* A data page: its tag, no write yet, then `mov $tag32, %eax; ret`. */
static void frame_fill(uintptr_t pa)
{
	uint64_t *w = (uint64_t *)pa;
	uint8_t *code = (uint8_t *)pa + FRAME_CODE;
	uint32_t imm = (uint32_t)page_tag(pa);

	w[FRAME_TAG / 8] = page_tag(pa);
	w[FRAME_WORD / 8] = 0;
	code[0] = 0xb8;
	memcpy(code + 1, &imm, sizeof(imm));
	code[5] = 0xc3;
}

static void frames_init(void)
{
	uintptr_t base;
	unsigned int i;

	base = alloc_aligned(NR_FRAMES * PAGE_4K, PAGE_4K);
	for (i = 0; i < NR_FRAMES; i++) {
		frames[i] = base + i * PAGE_4K;
		frame_fill(frames[i]);
	}
	base = alloc_aligned(NR_BIGS * PAGE_2M, PAGE_2M);
	for (i = 0; i < NR_BIGS * PT_ENTRIES; i++)
		frame_fill(base + i * PAGE_4K);
	for (i = 0; i < NR_BIGS; i++)
		bigs[i] = base + i * PAGE_2M;
}

struct table *table_alloc(int level)
{
	struct table *t;

	if (!nr_free)
		fail(NULL, "table pool exhausted\n");
	t = &tables[free_list[--nr_free]];
	t->level = level;
	t->refs = 0;
	return t;
}

/* Drops a reference; the last one clears the table, putting its children. */
void table_put(struct table *t)
{
	uint64_t e;
	int i;

	if (--t->refs > 0)
		return;
	for (i = 0; i < PT_ENTRIES; i++) {
		e = t->want[i];
		if (!e)
			continue;
		pt_write(t, i, 0);
		if (is_link(t->level, e))
			table_put(table_of(e));
	}
	t->level = 0;
	/* Last in, first out: soon reused, maybe at another level. */
	free_list[nr_free++] = (int)(t - tables);
}

struct table *table_of(uint64_t entry)
{
	uintptr_t pa = entry & PTE_ADDR;
	uintptr_t i = (pa - pool) / PAGE_4K;

	if (pa < pool || i >= NR_TABLES || !tables[i].level)
		fail(NULL, "model: entry 0x%lx links no live table\n",
		     (unsigned long)entry);
	return &tables[i];
}

uint64_t table_link(const struct table *t)
{
	return (uintptr_t)t->hw;
}

void pt_write(struct table *t, int idx, uint64_t val)
{
	t->want[idx] = val;
	((volatile uint64_t *)t->hw)[idx] = val;
}

static void pool_init(void)
{
	int i;

	pool = alloc_aligned(NR_TABLES * PAGE_4K, PAGE_4K);
	memset((void *)pool, 0, NR_TABLES * PAGE_4K);
	for (i = 0; i < NR_TABLES; i++) {
		tables[i].hw = (uint64_t *)(pool + i * PAGE_4K);
		tables[i].want = models[i];
		/* Handed out from index 0 up. */
		free_list[i] = NR_TABLES - 1 - i;
	}
	nr_free = NR_TABLES;
}

static struct table *pinned(int level)
{
	struct table *t = table_alloc(level);

	t->refs = PINNED;
	return t;
}

/*
 * Guest memory as the monitor maps it, shared by every address space:
 * the first 2 MiB in 4 KiB pages (nothing below 64 KiB, boot info
 * read-only), the rest in 2 MiB pages. Supervisor only.
 */
static struct table *identity_build(void)
{
	uint64_t top = skiff_boot_info()->mem_size;
	struct table *pdpt = pinned(3), *pd = NULL, *pt = pinned(1);
	uint64_t pa, e;

	for (pa = 0x10000; pa < PAGE_2M; pa += PAGE_4K)
		pt_write(pt, va_index(pa, 1),
			 pa | PTE_P | (pa >= 0x100000 ? PTE_RW : 0));
	for (pa = 0; pa < top; pa += PAGE_2M) {
		if (!(pa & (PAGE_1G - 1))) {
			pd = pinned(2);
			pt_write(pdpt, va_index(pa, 3),
				 table_link(pd) | PTE_P | PTE_RW);
		}
		e = pa ? pa | PTE_PS : table_link(pt);
		pt_write(pd, va_index(pa, 2), e | PTE_P | PTE_RW);
	}
	return pdpt;
}

/* The page holding the CPL 3 stub, at USER_VA, user and read-only. */
static struct table *user_build(uintptr_t page)
{
	struct table *pdpt = pinned(3), *pd = pinned(2), *pt = pinned(1);
	uint64_t up = PTE_P | PTE_RW | PTE_US;

	pt_write(pdpt, va_index(USER_VA, 3), table_link(pd) | up);
	pt_write(pd, va_index(USER_VA, 2), table_link(pt) | up);
	pt_write(pt, va_index(USER_VA, 1), page | PTE_P | PTE_US);
	return pdpt;
}

void pt_init(void)
{
	struct table *ident, *user;
	uintptr_t user_page;
	int a;

	pool_init();
	frames_init();
	user_page = alloc_aligned(PAGE_4K, PAGE_4K);
	probe_init(user_page);
	ident = identity_build();
	user = user_build(user_page);
	for (a = 0; a < NR_AS; a++) {
		roots[a] = table_alloc(4);
		roots[a]->refs = 1;
		pt_write(roots[a], 0, table_link(ident) | PTE_P | PTE_RW);
		pt_write(roots[a], va_index(USER_VA, 4),
			 table_link(user) | PTE_P | PTE_RW | PTE_US);
	}
}

/*
 * The model's translation of va for an access `acc` (PF_* bits). Rights
 * combine over the levels: writable and user only if every level says
 * so (CR0.WP is set), executable only if no level says NX.
 */
void model_walk(struct table *root, uint64_t va, uint32_t acc,
		struct walk *w)
{
	struct table *t = root;
	bool rw = true, us = true, nx = false;
	uint64_t e = 0, size;
	int level;

	w->depth = 0;
	w->mapped = false;
	w->fault = true;
	w->error = acc;
	for (level = 4; level > 0; level--) {
		w->t[w->depth] = t;
		w->idx[w->depth++] = va_index(va, level);
		e = t->want[va_index(va, level)];
		if (!(e & PTE_P))
			return;
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_US);
		nx = nx || (e & PTE_NX);
		if (is_leaf(level, e))
			break;
		t = table_of(e);
	}
	size = level == 2 ? PAGE_2M : PAGE_4K;
	w->mapped = true;
	w->pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
	w->error |= PF_P;
	if ((acc & PF_U) && !us)
		return;
	if ((acc & PF_W) && !rw)
		return;
	if ((acc & PF_I) && nx)
		return;
	w->fault = false;
}

/*
 * Every table page, live or free, against its model. The MMU may set A
 * in a present entry and D in a present leaf; nothing else may change.
 */
void tables_check(void)
{
	uint64_t want, got, mask;
	int i, j;

	for (i = 0; i < NR_TABLES; i++) {
		for (j = 0; j < PT_ENTRIES; j++) {
			want = tables[i].want[j];
			got = ((volatile uint64_t *)tables[i].hw)[j];
			mask = ~0ULL;
			if (want & PTE_P)
				mask &= is_leaf(tables[i].level, want) ?
					~(PTE_A | PTE_D) : ~PTE_A;
			if ((want ^ got) & mask)
				fail(NULL, "table at 0x%lx (level %d) entry %d: memory 0x%lx, model 0x%lx\n",
				     (unsigned long)(uintptr_t)tables[i].hw,
				     tables[i].level, j, (unsigned long)got,
				     (unsigned long)want);
		}
	}
}
