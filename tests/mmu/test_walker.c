/* SPDX-License-Identifier: ISC */
/*
 * Directed tests of the guest page-table walker (kmod/mmu/walker.c),
 * one or more per paging mode and per permission rule, each checked
 * against hand-computed values and against the reference model.
 */
#include <stdio.h>

#define TEST_HARNESS_IMPL
#include "../lib/test_harness.h"
#include "gpt.h"
#include "ref_model.h"

#define PF_P	PFERR_PRESENT
#define PF_W	PFERR_WRITE
#define PF_U	PFERR_USER
#define PF_R	PFERR_RSVD
#define PF_F	PFERR_FETCH

static struct sim s;
static struct gpt g;

static int mem_read(void *ctx, u64 gpa, u64 *val, u32 len)
{
	*val = 0;
	return sim_read(ctx, gpa, val, len);
}

static struct mmu_paging setup(enum mmu_mode mode)
{
	struct mmu_paging pg = { .mode = mode, .wp = true, .pse = true,
				 .nxe = mode != MMU_MODE_32 };

	sim_init(&s, MMU_KIND_SHADOW, true, 0);
	sim_add_slot(&s, 0, 0, 256, false, false);
	gpt_init(&g, &s, mode, 0x10, 64);
	if (mode != MMU_MODE_OFF)
		pg.cr3 = gpt_alloc(&g);
	return pg;
}

static void finish(void)
{
	sim_fini(&s);
}

/* Walk with the MMU and the reference; both must agree with want. */
static int walk(struct mmu_paging *pg, u64 va, u32 ec, u64 *gfn)
{
	struct mmu_walk w;
	struct ref_result r;
	int kind = ref_kind_of(ec);
	int rc = mmu_walk_guest(s.mmu, pg, va, ec, &w, false);

	ref_walk(pg, mem_read, &s, va, &r);
	if (rc == 0) {
		CHECK(r.status == REF_OK && (r.allow & (1 << kind)));
		CHECK_EQ_U64(r.gfn, w.gfn);
		*gfn = w.gfn;
		return -1;
	}
	CHECK(!(r.status == REF_OK && (r.allow & (1 << kind))));
	CHECK_EQ_U64(r.ec[kind], w.error_code);
	return (int)w.error_code;
}

TEST(paging_off_is_identity)
{
	struct mmu_paging pg = setup(MMU_MODE_OFF);
	u64 gfn = 0;

	CHECK_EQ_U64(walk(&pg, 0x12345678, PF_U | PF_W, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x12345);
	finish();
}

TEST(mode32_4k_and_wp)
{
	struct mmu_paging pg = setup(MMU_MODE_32);
	u64 gfn = 0;

	gpt_map(&g, pg.cr3, 0x00401000, 0x50000 | GPT_P | GPT_U, 1);
	CHECK_EQ_U64(walk(&pg, 0x00401234, PF_U, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x50);
	CHECK_EQ_U64(walk(&pg, 0x00401000, PF_U | PF_W, &gfn), PF_P | PF_W | PF_U);
	CHECK_EQ_U64(walk(&pg, 0x00401000, PF_W, &gfn), PF_P | PF_W);
	pg.wp = false;
	CHECK_EQ_U64(walk(&pg, 0x00401000, PF_W, &gfn), -1);
	CHECK_EQ_U64(walk(&pg, 0x00402000, PF_U, &gfn), PF_U);
	/* No NX in 32-bit paging: fetch faults carry no I/D bit. */
	CHECK_EQ_U64(walk(&pg, 0x00402000, PF_F, &gfn), 0);
	finish();
}

TEST(mode32_pse36_and_reserved)
{
	struct mmu_paging pg = setup(MMU_MODE_32);
	u64 gfn = 0;
	u32 pde = 0x00800000 | (0x3 << 13) | GPT_PS | GPT_P | GPT_W;

	sim_write(&s, pg.cr3 + 1 * 4, &pde, 4);
	CHECK_EQ_U64(walk(&pg, 0x00405000, 0, &gfn), -1);
	CHECK_EQ_U64(gfn, (0x3ULL << 20) | 0x800 | 0x5);
	pde |= 1 << 17;		/* reserved with MAXPHYADDR 36 */
	sim_write(&s, pg.cr3 + 1 * 4, &pde, 4);
	CHECK_EQ_U64(walk(&pg, 0x00405000, PF_W, &gfn), PF_P | PF_R | PF_W);
	/* Without CR4.PSE the PS bit is ignored: it is a table pointer. */
	pg.pse = false;
	CHECK(walk(&pg, 0x00405000, 0, &gfn) != PF_P + PF_R);
	finish();
}

TEST(pae_pdptes_loaded_at_cr3)
{
	struct mmu_paging pg = setup(MMU_MODE_PAE);
	u64 gfn = 0, bad;

	gpt_map(&g, pg.cr3, 0x40200000, 0x60000 | GPT_P | GPT_W | GPT_U, 1);
	CHECK(mmu_load_pdptes(s.mmu, &pg) == 0);
	CHECK_EQ_U64(walk(&pg, 0x40200000, PF_U | PF_W, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x60);
	/* Clearing the PDPTE in memory has no effect until CR3 reload. */
	bad = 0;
	sim_write(&s, pg.cr3 + 8, &bad, 8);
	CHECK_EQ_U64(walk(&pg, 0x40200000, PF_U, &gfn), -1);
	CHECK(mmu_load_pdptes(s.mmu, &pg) == 0);
	CHECK_EQ_U64(walk(&pg, 0x40200000, PF_U, &gfn), PF_U);
	bad = 0x20000 | GPT_P | GPT_W;	/* W is reserved in a PDPTE */
	sim_write(&s, pg.cr3 + 8, &bad, 8);
	CHECK(mmu_load_pdptes(s.mmu, &pg) == -1);
	finish();
}

TEST(pae_large_nx_and_nxe)
{
	struct mmu_paging pg = setup(MMU_MODE_PAE);
	u64 gfn = 0;

	gpt_map(&g, pg.cr3, 0x00200000,
		0x400000 | GPT_P | GPT_PS | GPT_U | GPT_NX, 2);
	mmu_load_pdptes(s.mmu, &pg);
	CHECK_EQ_U64(walk(&pg, 0x00203000, PF_U, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x403);
	CHECK_EQ_U64(walk(&pg, 0x00203000, PF_U | PF_F, &gfn),
		     PF_P | PF_U | PF_F);
	pg.nxe = false;		/* NX becomes a reserved bit */
	CHECK_EQ_U64(walk(&pg, 0x00203000, PF_U, &gfn), PF_P | PF_R | PF_U);
	finish();
}

TEST(lm4_huge_and_reserved)
{
	struct mmu_paging pg = setup(MMU_MODE_LM4);
	u64 gfn = 0, e;

	gpt_map(&g, pg.cr3, 0x40000000, 0x40000000 | GPT_P | GPT_PS | GPT_W,
		3);
	CHECK_EQ_U64(walk(&pg, 0x40123000, PF_W, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x40123);
	gpt_map(&g, pg.cr3, 0x80000000, 0x80000000 | GPT_P | GPT_PS |
		(1ULL << 20), 3);	/* bit 20 reserved in a 1G entry */
	CHECK_EQ_U64(walk(&pg, 0x80000000, 0, &gfn), PF_P | PF_R);
	e = gpt_entry_gpa(&g, pg.cr3, 0x40000000, 4);
	sim_read(&s, e, &gfn, 8);
	gfn |= GPT_PS;		/* PS is reserved in a PML4E */
	sim_write(&s, e, &gfn, 8);
	CHECK_EQ_U64(walk(&pg, 0x40000000, 0, &gfn), PF_P | PF_R);
	gfn = 0x30000 | GPT_P | (1ULL << 40);	/* above MAXPHYADDR */
	sim_write(&s, e, &gfn, 8);
	CHECK_EQ_U64(walk(&pg, 0x40000000, PF_U, &gfn), PF_P | PF_R | PF_U);
	finish();
}

TEST(lm4_smep_smap_us)
{
	struct mmu_paging pg = setup(MMU_MODE_LM4);
	u64 gfn = 0;

	gpt_map(&g, pg.cr3, 0x1000, 0x70000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x2000, 0x71000 | GPT_P | GPT_W, 1);
	pg.smep = true;
	CHECK_EQ_U64(walk(&pg, 0x1000, PF_F, &gfn), PF_P | PF_F);
	CHECK_EQ_U64(walk(&pg, 0x1000, 0, &gfn), -1);
	pg.smap = true;
	CHECK_EQ_U64(walk(&pg, 0x1000, 0, &gfn), PF_P);
	CHECK_EQ_U64(walk(&pg, 0x1000, PF_U, &gfn), -1);
	CHECK_EQ_U64(walk(&pg, 0x2000, PF_U, &gfn), PF_P | PF_U);
	CHECK_EQ_U64(walk(&pg, 0x2000, PF_W, &gfn), -1);
	finish();
}

/*
 * SMAP and EFLAGS.AC, every combination: user or supervisor page (both
 * read-only, so CR0.WP matters), CR4.SMAP, AC, explicit or implicit,
 * read or write, WP; supervisor accesses, exact error code. SMAP stops
 * a user page unless the access is explicit with AC=1; a write that
 * SMAP lets through still obeys R/W with WP. The error code is the same
 * for both kinds of fault (x86 has no SMAP bit in it).
 */
#define OK	-1
static const struct smap_case {
	u8 upage, smap, ac, impl, write, wp;
	int want;
} smap_cases[] = {
	/* U  SMAP AC IMPL W  WP  outcome */
	{ 0, 0, 0, 0, 0, 0, OK },
	{ 0, 0, 0, 0, 0, 1, OK },
	{ 0, 0, 0, 0, 1, 0, OK },
	{ 0, 0, 0, 0, 1, 1, PF_P | PF_W },
	{ 0, 0, 0, 1, 0, 0, OK },
	{ 0, 0, 0, 1, 0, 1, OK },
	{ 0, 0, 0, 1, 1, 0, OK },
	{ 0, 0, 0, 1, 1, 1, PF_P | PF_W },
	{ 0, 0, 1, 0, 0, 0, OK },
	{ 0, 0, 1, 0, 0, 1, OK },
	{ 0, 0, 1, 0, 1, 0, OK },
	{ 0, 0, 1, 0, 1, 1, PF_P | PF_W },
	{ 0, 0, 1, 1, 0, 0, OK },
	{ 0, 0, 1, 1, 0, 1, OK },
	{ 0, 0, 1, 1, 1, 0, OK },
	{ 0, 0, 1, 1, 1, 1, PF_P | PF_W },
	{ 0, 1, 0, 0, 0, 0, OK },
	{ 0, 1, 0, 0, 0, 1, OK },
	{ 0, 1, 0, 0, 1, 0, OK },
	{ 0, 1, 0, 0, 1, 1, PF_P | PF_W },
	{ 0, 1, 0, 1, 0, 0, OK },
	{ 0, 1, 0, 1, 0, 1, OK },
	{ 0, 1, 0, 1, 1, 0, OK },
	{ 0, 1, 0, 1, 1, 1, PF_P | PF_W },
	{ 0, 1, 1, 0, 0, 0, OK },
	{ 0, 1, 1, 0, 0, 1, OK },
	{ 0, 1, 1, 0, 1, 0, OK },
	{ 0, 1, 1, 0, 1, 1, PF_P | PF_W },
	{ 0, 1, 1, 1, 0, 0, OK },
	{ 0, 1, 1, 1, 0, 1, OK },
	{ 0, 1, 1, 1, 1, 0, OK },
	{ 0, 1, 1, 1, 1, 1, PF_P | PF_W },
	{ 1, 0, 0, 0, 0, 0, OK },
	{ 1, 0, 0, 0, 0, 1, OK },
	{ 1, 0, 0, 0, 1, 0, OK },
	{ 1, 0, 0, 0, 1, 1, PF_P | PF_W },
	{ 1, 0, 0, 1, 0, 0, OK },
	{ 1, 0, 0, 1, 0, 1, OK },
	{ 1, 0, 0, 1, 1, 0, OK },
	{ 1, 0, 0, 1, 1, 1, PF_P | PF_W },
	{ 1, 0, 1, 0, 0, 0, OK },
	{ 1, 0, 1, 0, 0, 1, OK },
	{ 1, 0, 1, 0, 1, 0, OK },
	{ 1, 0, 1, 0, 1, 1, PF_P | PF_W },
	{ 1, 0, 1, 1, 0, 0, OK },
	{ 1, 0, 1, 1, 0, 1, OK },
	{ 1, 0, 1, 1, 1, 0, OK },
	{ 1, 0, 1, 1, 1, 1, PF_P | PF_W },
	{ 1, 1, 0, 0, 0, 0, PF_P },
	{ 1, 1, 0, 0, 0, 1, PF_P },
	{ 1, 1, 0, 0, 1, 0, PF_P | PF_W },
	{ 1, 1, 0, 0, 1, 1, PF_P | PF_W },
	{ 1, 1, 0, 1, 0, 0, PF_P },
	{ 1, 1, 0, 1, 0, 1, PF_P },
	{ 1, 1, 0, 1, 1, 0, PF_P | PF_W },
	{ 1, 1, 0, 1, 1, 1, PF_P | PF_W },
	{ 1, 1, 1, 0, 0, 0, OK },
	{ 1, 1, 1, 0, 0, 1, OK },
	{ 1, 1, 1, 0, 1, 0, OK },
	{ 1, 1, 1, 0, 1, 1, PF_P | PF_W },
	{ 1, 1, 1, 1, 0, 0, PF_P },
	{ 1, 1, 1, 1, 0, 1, PF_P },
	{ 1, 1, 1, 1, 1, 0, PF_P | PF_W },
	{ 1, 1, 1, 1, 1, 1, PF_P | PF_W },
};

#define NR_SMAP_CASES	(sizeof(smap_cases) / sizeof(smap_cases[0]))

/* In 32-bit, PAE and 4-level paging. */
static void smap_ac_cases(enum mmu_mode mode)
{
	struct mmu_paging pg = setup(mode);
	u64 gfn = 0;
	u32 i;

	gpt_map(&g, pg.cr3, 0x1000, 0x70000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x2000, 0x71000 | GPT_P, 1);
	if (mode == MMU_MODE_PAE)
		CHECK(mmu_load_pdptes(s.mmu, &pg) == 0);
	CHECK(NR_SMAP_CASES == 64);
	for (i = 0; i < NR_SMAP_CASES; i++) {
		const struct smap_case *c = &smap_cases[i];
		u32 ec = (c->write ? PF_W : 0) | (c->ac ? PFERR_AC : 0) |
			 (c->impl ? PFERR_IMPLICIT : 0);
		int got;

		pg.smap = c->smap;
		pg.wp = c->wp;
		got = walk(&pg, c->upage ? 0x1000 : 0x2000, ec, &gfn);
		if (got != c->want)
			fprintf(stderr, "  mode %d case %u: got %d, want %d\n",
				mode, i, got, c->want);
		CHECK_EQ_U64(got, c->want);
	}
	finish();
}

TEST(smap_ac_every_combination)
{
	smap_ac_cases(MMU_MODE_LM4);
	smap_ac_cases(MMU_MODE_PAE);
	smap_ac_cases(MMU_MODE_32);
}
#undef OK

TEST(lm5_walk)
{
	struct mmu_paging pg = setup(MMU_MODE_LM5);
	u64 gfn = 0, va = 0x00ff800000001000ULL;

	gpt_map(&g, pg.cr3, va, 0x77000 | GPT_P | GPT_W | GPT_U, 1);
	CHECK_EQ_U64(walk(&pg, va, PF_U | PF_W, &gfn), -1);
	CHECK_EQ_U64(gfn, 0x77);
	CHECK_EQ_U64(walk(&pg, va ^ (1ULL << 48), PF_U, &gfn), PF_U);
	finish();
}

TEST(accessed_dirty_by_cmpxchg)
{
	struct mmu_paging pg = setup(MMU_MODE_LM4);
	struct mmu_walk w;
	u64 e1, e4, pte_gpa;

	gpt_map(&g, pg.cr3, 0x5000, 0x78000 | GPT_P | GPT_W, 1);
	pte_gpa = gpt_entry_gpa(&g, pg.cr3, 0x5000, 1);
	CHECK(mmu_walk_guest(s.mmu, &pg, 0x5000, 0, &w, true) == 0);
	sim_read(&s, pte_gpa, &e1, 8);
	sim_read(&s, pg.cr3, &e4, 8);
	CHECK(e1 & GPT_A);
	CHECK(!(e1 & GPT_D));
	CHECK(e4 & GPT_A);
	CHECK(mmu_walk_guest(s.mmu, &pg, 0x5000, PF_W, &w, true) == 0);
	sim_read(&s, pte_gpa, &e1, 8);
	CHECK(e1 & GPT_D);
	/* Another writer wins every cmpxchg: the walk asks for a retry. */
	gpt_map(&g, pg.cr3, 0x7000, 0x7a000 | GPT_P | GPT_W, 1);
	s.cmpxchg_races = true;
	CHECK(mmu_walk_guest(s.mmu, &pg, 0x7000, 0, &w, true) == -1);
	s.cmpxchg_races = false;
	/* A faulting walk leaves A/D alone. */
	gpt_map(&g, pg.cr3, 0x6000, 0x79000 | GPT_P, 1);
	CHECK(mmu_walk_guest(s.mmu, &pg, 0x6000, PF_W, &w, true) == 1);
	sim_read(&s, gpt_entry_gpa(&g, pg.cr3, 0x6000, 1), &e1, 8);
	CHECK(!(e1 & (GPT_A | GPT_D)));
	finish();
}

TEST(npt_mode_user_semantics)
{
	struct mmu_paging pg = setup(MMU_MODE_NPT);
	u64 gfn = 0;

	gpt_map(&g, pg.cr3, 0x3000, 0x7a000 | GPT_P | GPT_W | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x203000, 0x7b000 | GPT_P | GPT_W, 1);
	CHECK_EQ_U64(walk(&pg, 0x3000, PF_W, &gfn), -1);
	/* Every NPT access is a user access: a U=0 leaf faults. */
	CHECK_EQ_U64(walk(&pg, 0x203000, 0, &gfn), PF_P | PF_U);
	finish();
}

TEST(hostile_tables)
{
	struct mmu_paging pg = setup(MMU_MODE_LM4);
	u64 gfn = 0, e;

	/* A PML4E pointing at the PML4 itself: the walk must end. */
	e = pg.cr3 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, pg.cr3, &e, 8);
	walk(&pg, 0x0, PF_U, &gfn);
	walk(&pg, 0x1000, PF_U | PF_W, &gfn);
	/* A table outside every memslot reads as not present. */
	e = 0x7fff000 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, pg.cr3 + 8, &e, 8);
	CHECK_EQ_U64(walk(&pg, 1ULL << 39, PF_U, &gfn), PF_U);
	/* A CR3 outside memory. */
	pg.cr3 = 0x7ffe000;
	CHECK_EQ_U64(walk(&pg, 0x1000, 0, &gfn), 0);
	finish();
}

static u64 rnd(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random entry: mostly a pointer into the 8 table pages. */
static u64 random_entry(u64 *x, u32 size)
{
	u64 r = rnd(x), e = (0x10 + (r & 7)) << 12;

	e |= (r >> 8) & 0xfff;			/* every flag bit */
	if (!(r & 0x30000))
		e |= 1;
	if ((r & 0x3c0000) == 0x3c0000)
		e = rnd(x);			/* anything at all */
	if (size == 8 && (r & 0xc00000) == 0xc00000)
		e |= 1ULL << 63;
	if (size == 8 && (r & 0xf000000) == 0xf000000)
		e |= 1ULL << (36 + (r >> 28) % 27);
	if (size == 4 && (r & 0x30000000) == 0x30000000)
		e |= (u64)(r >> 40) << 13 & 0x3fe000;
	return size == 4 ? e & 0xffffffffULL : e;
}

/*
 * Differential test: random tables along a random address in every
 * mode and CR0/CR4/EFER combination; the MMU's walker and the
 * reference must agree on every access kind (gfn or error code).
 */
TEST(walker_matches_reference_random)
{
	static const enum mmu_mode modes[] = {
		MMU_MODE_32, MMU_MODE_PAE, MMU_MODE_LM4, MMU_MODE_LM5,
		MMU_MODE_NPT,
	};
	u64 x = 42;
	int it, k, a, bad = 0;

	sim_init(&s, MMU_KIND_SHADOW, true, 0);
	sim_add_slot(&s, 0, 0, 64, false, false);
	for (it = 0; it < 20000 && bad < 5; it++) {
		u64 r = rnd(&x), va = rnd(&x) & 0x01fffffffffff000ULL;
		struct mmu_paging pg = {
			.mode = modes[r % 5], .wp = r & 8, .pse = r & 16,
			.nxe = r & 32, .smep = r & 64, .smap = r & 128,
			.cr3 = 0x10000,
		};
		u32 sz = pg.mode == MMU_MODE_32 ? 4 : 8;
		u64 table = pg.cr3, e = 0;
		int l, top = gpt_levels(pg.mode == MMU_MODE_NPT ?
					MMU_MODE_LM4 : pg.mode);

		if (pg.mode == MMU_MODE_32)
			va &= 0xffffffffULL;
		if (pg.mode == MMU_MODE_PAE) {
			va &= 0xffffffffULL;
			e = ((0x11 + (r >> 8) % 7) << 12) | 1;
			sim_write(&s, pg.cr3 + ((va >> 30) & 3) * 8, &e, 8);
			if (mmu_load_pdptes(s.mmu, &pg))
				continue;
			table = e & ~0xfffULL;
			top = 2;
		}
		if (pg.mode == MMU_MODE_NPT)
			pg.smep = pg.smap = false, pg.wp = true;
		for (l = top; l >= 1; l--) {
			u32 shift = sz == 4 ? 12 + 10 * (l - 1) :
					      12 + 9 * (l - 1);
			u64 idx = (va >> shift) & (sz == 4 ? 1023 : 511);

			e = random_entry(&x, sz);
			sim_write(&s, table + idx * sz, &e, sz);
			table = (e & 0xffffff000ULL) < (64 << 12) ?
				e & 0xff000ULL : table;
		}
		/* Every kind, and supervisor data kinds also implicit. */
		for (a = 0; a < 2 * K_NR; a++) {
			u32 ec = ref_kind_ec(a < K_NR ? a : (a - K_NR) | K_IMPL);
			struct mmu_walk w;
			struct ref_result ref;
			int rc;

			if ((ec & PFERR_IMPLICIT) &&
			    (ec & (PFERR_USER | PFERR_FETCH)))
				continue;
			k = ref_kind_of(ec);
			rc = mmu_walk_guest(s.mmu, &pg, va, ec, &w, false);
			ref_walk(&pg, mem_read, &s, va, &ref);
			if (ref.status == REF_OK && (ref.allow & (1 << k))) {
				if (rc || w.gfn != ref.gfn)
					bad++;
			} else if (!rc || w.error_code != ref.ec[k]) {
				bad++;
			}
			if (bad && bad < 5 && !test_failures_in_case) {
				fprintf(stderr, "  mode %d smap %d va %llx access %x: mmu rc %d ec %x gfn %llx, ref st %d allow %x ec %x gfn %llx\n",
					pg.mode, pg.smap, (unsigned long long)va,
					ec, rc,
					w.error_code, (unsigned long long)w.gfn,
					ref.status, ref.allow, ref.ec[k],
					(unsigned long long)ref.gfn);
				test_failures_in_case++;
			}
		}
	}
	CHECK(bad == 0);
	finish();
}

static const struct test_case cases[] = {
	TEST_ENTRY(paging_off_is_identity),
	TEST_ENTRY(mode32_4k_and_wp),
	TEST_ENTRY(mode32_pse36_and_reserved),
	TEST_ENTRY(pae_pdptes_loaded_at_cr3),
	TEST_ENTRY(pae_large_nx_and_nxe),
	TEST_ENTRY(lm4_huge_and_reserved),
	TEST_ENTRY(lm4_smep_smap_us),
	TEST_ENTRY(smap_ac_every_combination),
	TEST_ENTRY(lm5_walk),
	TEST_ENTRY(accessed_dirty_by_cmpxchg),
	TEST_ENTRY(npt_mode_user_semantics),
	TEST_ENTRY(hostile_tables),
	TEST_ENTRY(walker_matches_reference_random),
};

TEST_MAIN("mmu-walker", cases)
