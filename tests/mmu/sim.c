/* SPDX-License-Identifier: ISC */
/*
 * The simulated host: memslots and their backing, table pages, the
 * mmu_host_ops, and the record of writes to dirty-logged slots.
 * The hardware MMU and TLB are in hw_mmu.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <sys/mman.h>

#include "sim.h"

struct sim_slot *sim_slot_of_gfn(struct sim *s, u64 gfn)
{
	int i;

	for (i = 0; i < SIM_MAX_SLOTS; i++) {
		struct sim_slot *sl = &s->slots[i];

		if (sl->present && gfn >= sl->base_gfn &&
		    gfn - sl->base_gfn < sl->npages)
			return sl;
	}
	return NULL;
}

int sim_gfn_of_hfn(struct sim *s, u64 hfn, u64 *gfn)
{
	int i;

	for (i = 0; i < SIM_MAX_SLOTS; i++) {
		struct sim_slot *sl = &s->slots[i];

		if (sl->present && hfn >= sl->host_hfn &&
		    hfn - sl->host_hfn < sl->npages) {
			*gfn = sl->base_gfn + (hfn - sl->host_hfn);
			return 0;
		}
	}
	return -1;
}

u8 *sim_gpa_ptr(struct sim *s, u64 gpa)
{
	struct sim_slot *sl = sim_slot_of_gfn(s, gpa >> 12);

	if (!sl)
		return NULL;
	return sl->mem + (gpa - (sl->base_gfn << 12));
}

/* Byte-wise so accesses may cross pages and slots. */
int sim_read(struct sim *s, u64 gpa, void *buf, u32 len)
{
	u8 *out = buf;
	u32 i;

	for (i = 0; i < len; i++) {
		u8 *p = sim_gpa_ptr(s, gpa + i);

		if (!p)
			return -1;
		out[i] = *p;
	}
	return 0;
}

void sim_truth_mark(struct sim *s, u64 gfn)
{
	struct sim_slot *sl = sim_slot_of_gfn(s, gfn);
	u64 i;

	if (!sl || !sl->logging)
		return;
	i = gfn - sl->base_gfn;
	sl->truth[i / 64] |= 1ULL << (i % 64);
}

int sim_write(struct sim *s, u64 gpa, const void *buf, u32 len)
{
	const u8 *in = buf;
	u32 i;

	for (i = 0; i < len; i++) {
		u8 *p = sim_gpa_ptr(s, gpa + i);

		if (!p)
			return -1;
		*p = in[i];
		sim_truth_mark(s, (gpa + i) >> 12);
	}
	return 0;
}

/* The guest's data writes never scribble over its page tables. */
bool sim_benign(struct sim *s, u64 gfn)
{
	return !s->table_write && gfn >= s->benign_lo && gfn < s->benign_hi;
}

void *sim_table(struct sim *s, u64 hpa)
{
	u64 i = (hpa >> 12) - SIM_TABLE_HFN;

	if ((hpa >> 12) < SIM_TABLE_HFN || i >= s->nr_tables)
		return NULL;
	return s->tables[i];
}

/* Fault injection: about one allocation in 32 fails. */
static bool sim_oom(struct sim *s)
{
	u64 z;

	if (!s->oom_seed)
		return false;
	z = (s->oom_seed += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return ((z ^ (z >> 31)) & 31) == 0;
}

static void *op_alloc_table(void *ctx, u64 *hpa)
{
	struct sim *s = ctx;
	void *t;
	u64 i;

	if (sim_oom(s))
		return NULL;
	for (i = 0; i < s->nr_tables && s->tables[i]; i++)
		;
	if (i == s->cap_tables) {
		u64 ncap = s->cap_tables ? s->cap_tables * 2 : 64;
		void **n = realloc(s->tables, ncap * sizeof(*n));

		if (!n)
			return NULL;
		memset(n + s->cap_tables, 0,
		       (ncap - s->cap_tables) * sizeof(*n));
		s->tables = n;
		s->cap_tables = ncap;
	}
	t = aligned_alloc(4096, 4096);
	if (!t)
		return NULL;
	memset(t, 0, 4096);
	s->tables[i] = t;
	if (i == s->nr_tables)
		s->nr_tables++;
	s->live_tables++;
	*hpa = (SIM_TABLE_HFN + i) << 12;
	return t;
}

static void op_free_table(void *ctx, void *table, u64 hpa)
{
	struct sim *s = ctx;
	u64 i = (hpa >> 12) - SIM_TABLE_HFN;

	if (i >= s->nr_tables || s->tables[i] != table) {
		snprintf(s->err, sizeof(s->err), "free of unknown table %llx",
			 (unsigned long long)hpa);
		return;
	}
	free(table);
	s->tables[i] = NULL;
	s->live_tables--;
}

static void *op_zalloc(void *ctx, size_t size)
{
	struct sim *s = ctx;
	void *p = sim_oom(s) ? NULL : calloc(1, size);

	if (p)
		s->heap_bytes += malloc_usable_size(p);
	return p;
}

static void op_free(void *ctx, void *p)
{
	struct sim *s = ctx;

	s->heap_bytes -= malloc_usable_size(p);
	free(p);
}

/* Can the aligned range of span pages around gfn map as one? */
static bool slot_fits(const struct sim_slot *sl, u64 gfn, u64 span)
{
	u64 hfn = sl->host_hfn + (gfn - sl->base_gfn);
	u64 lo = gfn & ~(span - 1);

	return (hfn & (span - 1)) == (gfn & (span - 1)) &&
	       lo >= sl->base_gfn && lo + span <= sl->base_gfn + sl->npages;
}

/* Huge mappings need the whole aligned range in the slot, congruent. */
static int slot_max_level(const struct sim_slot *sl, u64 gfn)
{
	if (!sl->huge || !slot_fits(sl, gfn, 512))
		return 1;
	return slot_fits(sl, gfn, 512 * 512) ? 3 : 2;
}

static int op_gfn_to_pfn(void *ctx, u64 gfn, struct mmu_pfn *pfn)
{
	struct sim *s = ctx;
	struct sim_slot *sl = sim_slot_of_gfn(s, gfn);

	if (!sl)
		return -1;
	pfn->hfn = sl->host_hfn + (gfn - sl->base_gfn);
	pfn->slot = (int)(sl - s->slots);
	pfn->writable = !sl->readonly;
	pfn->max_level = slot_max_level(sl, gfn);
	return 0;
}

static int op_read_guest(void *ctx, u64 gpa, void *buf, u32 len)
{
	return sim_read(ctx, gpa, buf, len);
}

static int op_write_guest(void *ctx, u64 gpa, const void *buf, u32 len)
{
	struct sim *s = ctx;
	struct sim_slot *sl = sim_slot_of_gfn(s, gpa >> 12);

	if (sl && sl->readonly)
		return -1;
	return sim_write(s, gpa, buf, len);
}

static int op_cmpxchg_guest(void *ctx, u64 gpa, u64 old, u64 new, u32 len)
{
	struct sim *s = ctx;
	u64 cur = 0;

	if (sim_read(s, gpa, &cur, len))
		return -1;
	if (cur != old || s->cmpxchg_races)
		return 1;
	return op_write_guest(s, gpa, &new, len);
}

static void op_flush_tlb(void *ctx)
{
	struct sim *s = ctx;

	s->flushes++;
	sim_tlb_flush(s);
}

static void op_yield(void *ctx)
{
	((struct sim *)ctx)->yields++;
}

static const struct mmu_host_ops sim_ops = {
	.alloc_table = op_alloc_table,
	.free_table = op_free_table,
	.zalloc = op_zalloc,
	.free = op_free,
	.gfn_to_pfn = op_gfn_to_pfn,
	.read_guest = op_read_guest,
	.write_guest = op_write_guest,
	.cmpxchg_guest = op_cmpxchg_guest,
	.flush_tlb = op_flush_tlb,
	.yield = op_yield,
};

int sim_init(struct sim *s, enum mmu_kind kind, bool unsync, u32 max_sp)
{
	struct mmu_config cfg = {
		.kind = kind, .unsync = unsync, .max_shadow_pages = max_sp,
	};

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->next_host_hfn = 0x1000;
	s->pg.mode = MMU_MODE_OFF;
	s->pg.wp = true;
	s->mmu = mmu_create(&sim_ops, s, &cfg);
	return s->mmu ? 0 : -1;
}

void sim_fini(struct sim *s)
{
	int i;

	mmu_destroy(s->mmu);
	for (i = 0; i < SIM_MAX_SLOTS; i++) {
		if (s->slots[i].mem)
			munmap(s->slots[i].mem, s->slots[i].npages * 4096);
		free(s->slots[i].truth);
	}
	if (s->live_tables && !s->err[0])
		snprintf(s->err, sizeof(s->err), "%llu table pages leaked",
			 (unsigned long long)s->live_tables);
	free(s->tables);
}

/* Backing frames are placed 2M-aligned so huge slots can use them. */
int sim_add_slot(struct sim *s, int id, u64 base_gfn, u64 npages,
		 bool readonly, bool huge)
{
	struct sim_slot *sl = &s->slots[id];

	if (!sl->mem) {
		/* mmap: untouched guest pages cost nothing. */
		sl->mem = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		sl->truth = calloc((npages + 63) / 64, 8);
		if (sl->mem == MAP_FAILED)
			sl->mem = NULL;
		if (!sl->mem || !sl->truth)
			return -1;
		/* Aligned so huge slots can map 2M (and 1G) pages. */
		if (npages >= 512 * 512)
			s->next_host_hfn = (s->next_host_hfn + 0x3ffff) &
					   ~0x3ffffULL;
		sl->host_hfn = s->next_host_hfn;
		s->next_host_hfn += (npages + 511) & ~511ULL;
	}
	sl->present = true;
	sl->readonly = readonly;
	sl->huge = huge;
	sl->base_gfn = base_gfn;
	sl->npages = npages;
	return 0;
}

/* KVM_SET_USER_MEMORY_REGION with size 0: zap, forget the log. */
void sim_remove_slot(struct sim *s, int id)
{
	struct sim_slot *sl = &s->slots[id];

	if (!sl->present)
		return;
	sl->present = false;
	if (sl->logging) {
		mmu_dirty_log_disable(s->mmu, id);
		sl->logging = false;
	}
	mmu_zap_gfn_range(s->mmu, sl->base_gfn, sl->base_gfn + sl->npages);
}

/* Same backing, new guest address (a moved memslot). */
void sim_move_slot(struct sim *s, int id, u64 new_base)
{
	struct sim_slot *sl = &s->slots[id];

	sim_remove_slot(s, id);
	sl->base_gfn = new_base;
	sl->present = true;
}
