/* SPDX-License-Identifier: ISC */
/*
 * Directed tests of the MMU: TDP (NPT and EPT) faults, large pages,
 * zapping, dirty logging; shadow paging with each role bit, unsync
 * and sync, write-flood detection, the root cache, the shadow-page cap,
 * direct pages for large guest pages, and nested NPT shadowing. They
 * look inside (mmu_internal.h) to name the page a test is about.
 */
#include <stdio.h>

#define TEST_HARNESS_IMPL
#include "../lib/test_harness.h"
#include "../../kmod/mmu/mmu_internal.h"
#include "gpt.h"
#include "ref_model.h"

static struct sim s;
static struct gpt g;

static void tdp_setup(enum mmu_kind kind)
{
	sim_init(&s, kind, true, 0);
	sim_add_slot(&s, 0, 0, 64, false, false);
	sim_add_slot(&s, 1, 0x200, 512, false, true);
	sim_add_slot(&s, 2, 0x80, 16, true, false);
	s.pg.mode = MMU_MODE_OFF;
}

static struct mmu_paging shadow_setup(enum mmu_mode mode, bool unsync,
				      u32 max_sp)
{
	struct mmu_paging pg = { .mode = mode, .wp = true, .pse = true,
				 .nxe = mode != MMU_MODE_32 };

	sim_init(&s, MMU_KIND_SHADOW, unsync, max_sp);
	sim_add_slot(&s, 0, 0, 256, false, false);
	sim_add_slot(&s, 1, 0x200, 512, false, true);
	gpt_init(&g, &s, mode, 0x80, 64);
	if (mode != MMU_MODE_OFF)
		pg.cr3 = gpt_alloc(&g);
	return pg;
}

static void load(struct mmu_paging *pg)
{
	if (pg->mode == MMU_MODE_PAE)
		mmu_load_pdptes(s.mmu, pg);
	CHECK(sim_set_paging(&s, pg) == 0);
}

static enum sim_outcome access(u64 va, int kind)
{
	struct sim_access r;

	sim_do_access(&s, va, kind, 0x1234, 8, &r);
	return r.out;
}

static void done(void)
{
	sim_fini(&s);
	CHECK(!s.err[0]);
	if (s.err[0])
		fprintf(stderr, "  sim: %s\n", s.err);
}

static int mem_read(void *ctx, u64 gpa, u64 *val, u32 len)
{
	*val = 0;
	return sim_read(ctx, gpa, val, len);
}

/* No staleness in these tests: the guest's tables as they are. */
static bool check_ref(void *ctx, u64 va, u64 gfn, u8 allow)
{
	struct ref_result r;

	if (!allow)
		return true;
	ref_walk(&s.pg, mem_read, &s, va, &r);
	return r.status == REF_OK && r.gfn == gfn && !(allow & ~r.allow);
}

static bool tdp_leaf_level(u64 gpa, int *level)
{
	u64 hpa = mmu_root_hpa(s.mmu);
	int l;

	for (l = 4; l >= 1; l--) {
		u64 *t = sim_table(&s, hpa), e;

		if (!t)
			return false;
		e = t[(gpa >> (12 + 9 * (l - 1))) & 511];
		if (!(e & 7))
			return false;
		if (l == 1 || (e & 0x80)) {
			*level = l;
			return true;
		}
		hpa = e & 0x000ffffffffff000ULL;
	}
	return false;
}

static void tdp_basic(enum mmu_kind kind)
{
	int level = 0;

	tdp_setup(kind);
	CHECK(access(0x3000, K_SW) == SIM_OK);
	CHECK(tdp_leaf_level(0x3000, &level) && level == 1);
	/* Slot 1 is 2M-aligned and host-huge: one 2M leaf. */
	CHECK(access(0x200000 + 0x5000, K_SR) == SIM_OK);
	CHECK(tdp_leaf_level(0x2ff000, &level) && level == 2);
	/* No memslot: MMIO exit; read-only slot: reads ok, writes exit. */
	CHECK(access(0x150000, K_SR) == SIM_MMIO);
	CHECK(access(0x80000, K_SR) == SIM_OK);
	CHECK(access(0x80000, K_SW) == SIM_MMIO);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* Zap (memslot removal): nothing of the slot stays mapped. */
	sim_remove_slot(&s, 1);
	CHECK(!tdp_leaf_level(0x205000, &level));
	CHECK(access(0x205000, K_SR) == SIM_MMIO);
	done();
}

TEST(npt_faults_large_pages_zap)
{
	tdp_basic(MMU_KIND_NPT);
}

TEST(ept_faults_large_pages_zap)
{
	tdp_basic(MMU_KIND_EPT);
}

static void tdp_dirty(enum mmu_kind kind, bool manual)
{
	u64 bm[8] = { 0 }, one = 1;
	struct mmu_stats st;
	int level = 0;

	tdp_setup(kind);
	CHECK(access(0x200000, K_SW) == SIM_OK);
	CHECK(mmu_dirty_log_enable(s.mmu, 1, 0x200, 512) == 0);
	/* The 2M leaf is gone; writes fault and are logged per 4K. */
	CHECK(!tdp_leaf_level(0x200000, &level) || level == 1);
	CHECK(access(0x201000, K_SW) == SIM_OK);
	CHECK(access(0x203000, K_SR) == SIM_OK);
	CHECK(mmu_dirty_log_get(s.mmu, 1, bm, manual) == 0);
	CHECK_EQ_U64(bm[0], 1ULL << 1);
	CHECK(tdp_leaf_level(0x201000, &level) && level == 1);
	if (manual) {
		/* Still writable until cleared: no new fault, no loss. */
		CHECK(mmu_dirty_log_clear(s.mmu, 1, 0, 64, &one) == 0);
		CHECK(mmu_dirty_log_clear(s.mmu, 1, 1, 64, &one) == -1);
		bm[0] = 1ULL << 1;
		CHECK(mmu_dirty_log_clear(s.mmu, 1, 0, 64, bm) == 0);
	}
	mmu_get_stats(s.mmu, &st);
	CHECK(access(0x201000, K_SW) == SIM_OK);
	CHECK(mmu_dirty_log_get(s.mmu, 1, bm, true) == 0);
	CHECK_EQ_U64(bm[0], 1ULL << 1);
	{
		struct mmu_stats st2;

		mmu_get_stats(s.mmu, &st2);
		CHECK(st2.fast_faults == st.fast_faults + 1);
	}
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	mmu_dirty_log_disable(s.mmu, 1);
	done();
}

TEST(npt_dirty_log_get)
{
	tdp_dirty(MMU_KIND_NPT, false);
}

TEST(ept_dirty_log_manual_clear)
{
	tdp_dirty(MMU_KIND_EPT, true);
}

static u64 leaf_spte(u64 va)
{
	u64 hfn, spte = 0;
	u8 allow;

	if (hw_walk_shadow(&s, va, &hfn, &allow, &spte))
		return 0;
	return spte;
}

static struct mmu_page *leaf_page(u64 va)
{
	return shadow_leaf_page_of(s.mmu, va);
}

TEST(shadow_lm4_write_protects_tables)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, false, 0);
	u64 pt;
	struct mmu_stats st;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_W | GPT_U, 1);
	/* The guest maps its own PT at 0x2000 (a "physmap"). */
	pt = gpt_entry_gpa(&g, pg.cr3, 0x1000, 1) & ~0xfffULL;
	gpt_map(&g, pg.cr3, 0x2000, pt | GPT_P | GPT_W, 1);
	load(&pg);
	CHECK(access(0x1000, K_UW) == SIM_OK);
	CHECK(leaf_spte(0x1000) & X86_W);
	CHECK(access(0x2000, K_SR) == SIM_OK);
	CHECK(!(leaf_spte(0x2000) & X86_W));	/* a shadowed table */
	mmu_get_stats(s.mmu, &st);
	/* Unsync off: a PTE write is emulated and updates the spte now. */
	{
		struct sim_access r;

		sim_do_access(&s, 0x2000 + 8, K_SW, 0x31000 | GPT_P | GPT_U, 8,
			      &r);
		CHECK(r.out == SIM_OK && r.emulated);
	}
	CHECK(access(0x1000, K_UR) == SIM_OK);
	{
		struct mmu_stats st2;

		mmu_get_stats(s.mmu, &st2);
		CHECK(st2.emulated_writes == st.emulated_writes + 1);
	}
	done();
}

/* Unprotect-and-retry: the table is no longer shadowed, the write is
 * the guest's own, and the next translation through it rebuilds it. */
TEST(shadow_unprotect_lets_the_write_through)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, false, 0);
	struct mmu_stats st, st2;
	struct sim_access r;
	u64 pt;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_W | GPT_U, 1);
	pt = gpt_entry_gpa(&g, pg.cr3, 0x1000, 1) & ~0xfffULL;
	/* Mapped through another PT: its own walk must not shadow it. */
	gpt_map(&g, pg.cr3, 0x400000, pt | GPT_P | GPT_W, 1);
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(access(0x400000, K_SR) == SIM_OK);
	CHECK(!(leaf_spte(0x400000) & X86_W));
	mmu_get_stats(s.mmu, &st);
	mmu_unprotect_gfn(s.mmu, pt >> 12);
	sim_do_access(&s, 0x400000 + 8, K_SW, 0x31000 | GPT_P | GPT_U, 8, &r);
	CHECK(r.out == SIM_OK && !r.emulated);
	CHECK(leaf_spte(0x400000) & X86_W);
	mmu_get_stats(s.mmu, &st2);
	CHECK(st2.unprotects == st.unprotects + 1);
	CHECK(st2.emulated_writes == st.emulated_writes);
	/* The new gpte is seen: 0x1000 now maps guest frame 0x31. */
	CHECK(access(0x1000, K_UR) == SIM_OK);
	{
		u64 hfn, gfn = 0, spte;
		u8 allow;

		CHECK(!hw_walk_shadow(&s, 0x1000, &hfn, &allow, &spte));
		CHECK(!sim_gfn_of_hfn(&s, hfn, &gfn) && gfn == 0x31);
	}
	done();
}

TEST(shadow_unsync_invlpg_and_cr3_sync)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	u64 pt, traps;
	struct sim_access r;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_W | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x3000, 0x32000 | GPT_P | GPT_W | GPT_U, 1);
	pt = gpt_entry_gpa(&g, pg.cr3, 0x1000, 1) & ~0xfffULL;
	gpt_map(&g, pg.cr3, 0x2000, pt | GPT_P | GPT_W, 1);
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(access(0x3000, K_UR) == SIM_OK);
	/* First write to the PT: unsync, not emulated. */
	sim_do_access(&s, 0x2000 + 8, K_SW, 0x31000 | GPT_P | GPT_U | GPT_A,
		      8, &r);
	CHECK(r.out == SIM_OK && !r.emulated);
	CHECK(leaf_page(0x1000)->unsync);
	traps = s.traps;
	sim_do_access(&s, 0x2000 + 0x18, K_SW, 0x33000 | GPT_P | GPT_U |
		      GPT_A, 8, &r);
	CHECK(s.traps == traps);		/* free while unsync */
	/* Stale until invalidated, as the architecture allows. */
	CHECK_EQ_U64(leaf_spte(0x1000) >> 12 & 0xffffff,
		     s.slots[0].host_hfn + 0x30);
	sim_invlpg(&s, 0x1000);
	CHECK_EQ_U64(leaf_spte(0x1000) >> 12 & 0xffffff,
		     s.slots[0].host_hfn + 0x31);
	CHECK_EQ_U64(leaf_spte(0x3000) >> 12 & 0xffffff,
		     s.slots[0].host_hfn + 0x32);
	/* CR3 load syncs everything and write-protects again. */
	load(&pg);
	CHECK_EQ_U64(leaf_spte(0x3000) >> 12 & 0xffffff,
		     s.slots[0].host_hfn + 0x33);
	CHECK(!leaf_page(0x1000)->unsync);
	done();
}

TEST(shadow_write_flood_unshadows)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, false, 0);
	struct mmu_stats st;
	u64 pd;
	int i;

	gpt_map(&g, pg.cr3, 0x200000, 0x30000 | GPT_P | GPT_W, 1);
	pd = gpt_entry_gpa(&g, pg.cr3, 0x200000, 2) & ~0xfffULL;
	gpt_map(&g, pg.cr3, 0x1000, pd | GPT_P | GPT_W, 1);
	load(&pg);
	CHECK(access(0x200000, K_SR) == SIM_OK);
	for (i = 0; i < MMU_FLOOD_LIMIT; i++)
		CHECK(mmu_emulate_write(s.mmu, pd + 0x100 + i * 8, 0, 8) == 0);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.flood_zaps >= 1);
	CHECK(!shadow_gfn_tracked(s.mmu, pd >> 12) ||
	      !shadow_find_page(s.mmu, pd >> 12, leaf_page(0x200000) ?
				leaf_page(0x200000)->role :
				shadow_base_role(s.mmu)));
	done();
}

static union mmu_role leaf_role(u64 va)
{
	struct mmu_page *sp = leaf_page(va);
	union mmu_role r = { .word = 0 };

	return sp ? sp->role : r;
}

TEST(shadow_role_bits)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	union mmu_role r0, r;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x400000, 0x200000 | GPT_P | GPT_PS | GPT_W,
		2);
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	r0 = leaf_role(0x1000);
	CHECK(r0.level == 1 && !r0.direct && r0.efer_nx && r0.cr0_wp);
	CHECK(r0.access == MMU_ACC_ALL);
	pg.wp = false;
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	r = leaf_role(0x1000);
	CHECK(!r.cr0_wp && r.word != r0.word);
	/* WP=0: the supervisor writes a read-only user page. */
	CHECK(access(0x1000, K_SW) == SIM_OK);
	CHECK(!(leaf_spte(0x1000) & X86_U) && (leaf_spte(0x1000) & X86_W));
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(access(0x1000, K_UW) == SIM_PF);
	pg.smep = true;
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(leaf_role(0x1000).smep_andnot_wp);
	CHECK(access(0x1000, K_SW) == SIM_OK);
	CHECK(leaf_spte(0x1000) & X86_NX);	/* SMEP kept with U gone */
	pg.smep = false;
	pg.smap = true;
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(leaf_role(0x1000).smap_andnot_wp);
	pg.smap = false;
	pg.wp = true;
	pg.nxe = false;
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(!leaf_role(0x1000).efer_nx);
	/* A 2M guest page: direct level-1 page with the guest's access. */
	CHECK(access(0x401000, K_SW) == SIM_OK);
	r = leaf_role(0x401000);
	CHECK(r.direct && r.level == 1 && r.access == (MMU_ACC_WRITE |
							MMU_ACC_EXEC));
	done();
}

TEST(shadow_32bit_quadrants)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_32, true, 0);
	union mmu_role a, b;

	gpt_map(&g, pg.cr3, 0x00401000, 0x30000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x00601000, 0x31000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0xc0001000, 0x32000 | GPT_P, 1);
	load(&pg);
	CHECK(access(0x00401000, K_UR) == SIM_OK);
	CHECK(access(0x00601000, K_UR) == SIM_OK);
	CHECK(access(0xc0001000, K_SR) == SIM_OK);
	a = leaf_role(0x00401000);
	b = leaf_role(0x00601000);
	CHECK(a.gpte_4byte && b.gpte_4byte);
	CHECK(a.quadrant == 0 && b.quadrant == 1);
	CHECK(leaf_page(0x00401000)->gfn == leaf_page(0x00601000)->gfn);
	CHECK(leaf_page(0xc0001000) && leaf_page(0xc0001000)->role.quadrant
	      == 0);
	done();
}

TEST(shadow_pae_and_lm5_and_off)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_PAE, true, 0);

	gpt_map(&g, pg.cr3, 0x40001000, 0x30000 | GPT_P | GPT_U, 1);
	load(&pg);
	CHECK(access(0x40001000, K_UR) == SIM_OK);
	CHECK(access(0x80001000, K_UR) == SIM_PF);
	CHECK(mmu_root_level(s.mmu) == 4);
	done();
	pg = shadow_setup(MMU_MODE_LM5, true, 0);
	gpt_map(&g, pg.cr3, 1ULL << 50, 0x30000 | GPT_P | GPT_U, 1);
	load(&pg);
	CHECK(mmu_root_level(s.mmu) == 5);
	CHECK(access(1ULL << 50, K_UR) == SIM_OK);
	done();
	pg = shadow_setup(MMU_MODE_OFF, true, 0);
	load(&pg);
	CHECK(access(0x5000, K_UX) == SIM_OK);
	CHECK(leaf_role(0x5000).direct);
	CHECK(access(0x150000, K_SR) == SIM_MMIO);
	done();
}

TEST(shadow_root_cache)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	struct mmu_stats st;
	u64 a = pg.cr3, b = gpt_alloc(&g);

	gpt_map(&g, a, 0x1000, 0x30000 | GPT_P | GPT_U, 1);
	gpt_map(&g, b, 0x1000, 0x31000 | GPT_P | GPT_U, 1);
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	pg.cr3 = b;
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	pg.cr3 = a;
	load(&pg);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.root_hits == 1);
	CHECK(leaf_spte(0x1000) & 1);		/* kept its shadow */
	done();
}

TEST(shadow_page_cap_under_pressure)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 16);
	struct mmu_stats st;
	int i;

	for (i = 0; i < 24; i++)
		CHECK(gpt_map(&g, pg.cr3, (u64)i << 30,
			      0x30000 | GPT_P | GPT_U, 1) == 0);
	load(&pg);
	for (i = 0; i < 24; i++) {
		CHECK(access((u64)i << 30, K_UR) == SIM_OK);
		mmu_get_stats(s.mmu, &st);
		CHECK(st.shadow_pages <= 16);
	}
	CHECK(st.zapped > 0);
	mmu_shrink(s.mmu, 100);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.shadow_pages <= 2);
	done();
}

TEST(nested_npt_guest_mode)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_NPT, true, 0);
	struct sim_access r;

	/* L1's NPT maps L2 gpa 0x7000 -> L1 gpa 0x30000. */
	gpt_map(&g, pg.cr3, 0x7000, 0x30000 | GPT_P | GPT_W | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x8000, 0x31000 | GPT_P | GPT_U, 1);
	load(&pg);
	CHECK(access(0x7000, K_SW) == SIM_OK);
	CHECK(leaf_role(0x7000).guest_mode);
	sim_do_access(&s, 0x8000, K_SW, 0, 8, &r);
	/* The #NPF for L1 carries U: NPT accesses are user accesses. */
	CHECK(r.out == SIM_PF && r.ec == (PFERR_PRESENT | PFERR_WRITE |
					  PFERR_USER));
	CHECK(access(0x9000, K_SR) == SIM_PF);
	done();
}

TEST(shadow_pse_role_bit)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_32, true, 0);
	u32 pde = GPT_PS | GPT_P | GPT_U | GPT_A;	/* 4M at gpa 0 */

	/* PDE 1 is a 4M page with PSE, a table pointer without it. */
	sim_write(&s, pg.cr3 + 4, &pde, 4);
	load(&pg);
	CHECK(access(0x00401000, K_UR) == SIM_OK);
	CHECK(leaf_role(0x00401000).cr4_pse && leaf_role(0x00401000).direct);
	pg.pse = false;
	load(&pg);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* gfn 0 as a PT: all zero, so not present. */
	CHECK(access(0x00401000, K_UR) == SIM_PF);
	done();
}

TEST(shadow_root_zapped_in_use)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	struct mmu_stats st;
	u64 old;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_U, 1);
	load(&pg);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	old = mmu_root_hpa(s.mmu);
	/* The host invalidates the guest's PML4 page. */
	mmu_zap_gfn_range(s.mmu, pg.cr3 >> 12, (pg.cr3 >> 12) + 1);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.zapped >= 1);
	CHECK(access(0x1000, K_UR) == SIM_OK);
	CHECK(mmu_root_hpa(s.mmu) != 0);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	(void)old;
	done();
}

TEST(shadow_many_pages_grow_hashes)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	struct mmu_stats st;
	int i;

	sim_add_slot(&s, 3, 0x1000, 2048, false, false);
	for (i = 0; i < 2048; i++)
		gpt_map(&g, pg.cr3, 0x10000000 + i * 4096ULL,
			((0x1000ULL + i) << 12) | GPT_P | GPT_U, 1);
	load(&pg);
	for (i = 0; i < 2048; i++)
		CHECK(access(0x10000000 + i * 4096ULL, K_UR) == SIM_OK);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.shadow_pages >= 7);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* Dirty logging of the slot: every mapping loses W, none leaks. */
	CHECK(mmu_dirty_log_enable(s.mmu, 3, 0x1000, 2048) == 0);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	mmu_zap_gfn_range(s.mmu, 0x1000, 0x2000);
	CHECK(leaf_spte(0x10000000) == 0);
	CHECK(s.yields >= 1);		/* long loops let the host run */
	done();
}

TEST(tdp_1g_pages_and_logging)
{
	u64 bm[4096] = { 0 };
	int level = 0;

	tdp_setup(MMU_KIND_NPT);
	CHECK(sim_add_slot(&s, 3, 0x40000, 0x40000, false, true) == 0);
	CHECK(access(0x40000000ULL + 0x123000, K_SW) == SIM_OK);
	CHECK(tdp_leaf_level(0x40000000ULL + 0x3ff000, &level) && level == 3);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* Logging splits it: the next write maps one logged 4K page. */
	CHECK(mmu_dirty_log_enable(s.mmu, 3, 0x40000, 0x40000) == 0);
	CHECK(!tdp_leaf_level(0x40000000ULL + 0x3ff000, &level));
	CHECK(access(0x40000000ULL + 0x5000, K_SW) == SIM_OK);
	CHECK(tdp_leaf_level(0x40000000ULL + 0x5000, &level) && level == 1);
	CHECK(mmu_dirty_log_get(s.mmu, 3, bm, false) == 0);
	CHECK_EQ_U64(bm[0], 1ULL << 5);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* Logging off: the slot maps huge again. */
	mmu_dirty_log_disable(s.mmu, 3);
	CHECK(access(0x40000000ULL + 0x5000, K_SW) == SIM_OK);
	CHECK(tdp_leaf_level(0x40000000ULL + 0x5000, &level) && level == 3);
	done();
}

/*
 * An L2 with its own 4-level paging runs on the shadow of L1's NPT: the
 * CPU walks L2's tables through the shadow NPT (A/D writes included,
 * logged in L1's memory); a gap in L1's NPT under L2's table is a #NPF.
 */
TEST(nested_l2_two_dimensional)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_NPT, true, 0);
	u64 e, bm[4] = { 0 }, npte;
	int i;

	/* L1's NPT: L2 gpa 0x100000.. (L2 tables) and 0x200000 (data). */
	for (i = 0; i < 4; i++)
		gpt_map(&g, pg.cr3, 0x100000 + i * 4096ULL,
			((0x40ULL + i) << 12) | GPT_P | GPT_W | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x200000, 0x50000 | GPT_P | GPT_W | GPT_U, 1);
	/* L2's tables, in L1 memory, holding L2 gpas. */
	for (i = 0; i < 3; i++) {
		e = (0x101000 + i * 4096ULL) | GPT_P | GPT_W | GPT_U;
		sim_write(&s, (0x40ULL + i) << 12, &e, 8);
	}
	e = 0x200000 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, (0x43ULL << 12) + 8, &e, 8);
	s.nested_l2 = true;
	s.l2pg = (struct mmu_paging){ .mode = MMU_MODE_LM4, .wp = true,
				      .nxe = true, .cr3 = 0x100000 };
	load(&pg);
	CHECK(mmu_dirty_log_enable(s.mmu, 0, 0, 256) == 0);
	CHECK(access(0x1000, K_UW) == SIM_OK);
	sim_read(&s, (0x43ULL << 12) + 8, &e, 8);
	CHECK((e & (GPT_A | GPT_D)) == (GPT_A | GPT_D));
	CHECK(mmu_dirty_log_get(s.mmu, 0, bm, false) == 0);
	CHECK(bm[1] & (1ULL << (0x43 - 64)));	/* L2's PT: A/D write */
	CHECK(bm[1] & (1ULL << (0x50 - 64)));	/* the data write */
	CHECK(leaf_role(0x103000).guest_mode);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* L1 unmaps L2's PT page in its NPT (a trapped, emulated write). */
	npte = gpt_entry_gpa(&g, pg.cr3, 0x103000, 1);
	CHECK(mmu_emulate_write(s.mmu, npte, 0, 8) == 0);
	sim_tlb_flush(&s);
	{
		struct sim_access r;

		sim_do_access(&s, 0x1000, K_UR, 0, 8, &r);
		CHECK(r.out == SIM_PF && r.ec == PFERR_USER);
	}
	done();
}

/*
 * L2's PT page is also one of L1's NPT tables (shadowed, write-
 * protected, unsync off): the CPU's A/D write to it during L2's walk
 * has no instruction to emulate, so the MMU unprotects the page.
 */
TEST(nested_walk_write_unprotects)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_NPT, false, 0);
	struct mmu_stats st;
	u64 e;
	int i;

	for (i = 0; i < 4; i++)
		gpt_map(&g, pg.cr3, 0x100000 + i * 4096ULL,
			((0x40ULL + i) << 12) | GPT_P | GPT_W | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x200000, 0x50000 | GPT_P | GPT_W | GPT_U, 1);
	/* L1's NPT also uses gfn 0x43 as the PT for L2 gpa 0x600000. */
	e = 0x43000 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, gpt_entry_gpa(&g, pg.cr3, 0x600000, 2), &e, 8);
	for (i = 0; i < 3; i++) {
		e = (0x101000 + i * 4096ULL) | GPT_P | GPT_W | GPT_U;
		sim_write(&s, (0x40ULL + i) << 12, &e, 8);
	}
	e = 0x200000 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, (0x43ULL << 12) + 8, &e, 8);
	e = 0x201000 | GPT_P | GPT_W | GPT_U;
	sim_write(&s, (0x43ULL << 12) + 16, &e, 8);
	load(&pg);
	/* As L1's table: the shadow MMU shadows and protects gfn 0x43. */
	CHECK(access(0x602000, K_SR) == SIM_OK);
	CHECK(shadow_gfn_tracked(s.mmu, 0x43));
	s.nested_l2 = true;
	s.l2pg = (struct mmu_paging){ .mode = MMU_MODE_LM4, .wp = true,
				      .nxe = true, .cr3 = 0x100000 };
	CHECK(access(0x1000, K_UR) == SIM_OK);
	mmu_get_stats(s.mmu, &st);
	CHECK(st.emulated_writes == 0);
	sim_read(&s, (0x43ULL << 12) + 8, &e, 8);
	CHECK(e & GPT_A);
	done();
}

/*
 * SMAP and EFLAGS.AC in shadow mode. The sptes keep the guest's U bit
 * and the hardware applies SMAP and AC to each access; the MMU's walk
 * reads AC (and implicit) from the access. With CR0.WP=0, a supervisor
 * AC=1 write to a read-only user page is emulated rather than mapped
 * without U, so an AC=0 supervisor read of the page still faults.
 */
static struct sim_access acc(u64 va, int kind)
{
	struct sim_access r;

	sim_do_access(&s, va, kind, 0x5a5a, 8, &r);
	return r;
}

TEST(shadow_smap_eflags_ac)
{
	struct mmu_paging pg = shadow_setup(MMU_MODE_LM4, true, 0);
	u32 pw = PFERR_PRESENT | PFERR_WRITE;
	struct sim_access r;
	u64 v = 0;

	gpt_map(&g, pg.cr3, 0x1000, 0x30000 | GPT_P | GPT_U, 1);
	gpt_map(&g, pg.cr3, 0x3000, 0x32000 | GPT_P | GPT_W | GPT_U, 1);
	pg.smap = true;
	load(&pg);
	CHECK(acc(0x1000, K_SRA).out == SIM_OK);
	CHECK(leaf_spte(0x1000) & X86_U);
	r = acc(0x1000, K_SR);
	CHECK(r.out == SIM_PF && r.ec == PFERR_PRESENT);
	r = acc(0x1000, K_SRA | K_IMPL);
	CHECK(r.out == SIM_PF && r.ec == PFERR_PRESENT);
	r = acc(0x1000, K_SWA);		/* AC=1 but read-only, WP=1 */
	CHECK(r.out == SIM_PF && r.ec == pw);
	r = acc(0x3000, K_SWA);
	CHECK(r.out == SIM_OK && !r.emulated);
	CHECK((leaf_spte(0x3000) & (X86_U | X86_W)) == (X86_U | X86_W));
	r = acc(0x3000, K_SW);
	CHECK(r.out == SIM_PF && r.ec == pw);
	r = acc(0x3000, K_SWA | K_IMPL);
	CHECK(r.out == SIM_PF && r.ec == pw);
	CHECK(acc(0x3000, K_UW).out == SIM_OK);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* WP=0: the AC=1 write to the read-only user page is emulated. */
	pg.wp = false;
	load(&pg);
	r = acc(0x1000, K_SWA);
	CHECK(r.out == SIM_OK && r.emulated);
	sim_read(&s, 0x30000, &v, 8);
	CHECK_EQ_U64(v, 0x5a5a);
	CHECK((leaf_spte(0x1000) & (X86_U | X86_W)) == X86_U);
	r = acc(0x1000, K_SR);
	CHECK(r.out == SIM_PF && r.ec == PFERR_PRESENT);
	r = acc(0x1000, K_SWA | K_IMPL);
	CHECK(r.out == SIM_PF && r.ec == pw);
	CHECK(acc(0x1000, K_SRA).out == SIM_OK);
	CHECK(acc(0x1000, K_UR).out == SIM_OK);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	/* Without SMAP the WP=0 write drops U, as before. */
	pg.smap = false;
	load(&pg);
	r = acc(0x1000, K_SW);
	CHECK(r.out == SIM_OK && !r.emulated);
	CHECK((leaf_spte(0x1000) & (X86_U | X86_W)) == X86_W);
	CHECK(sim_check_tables(&s, check_ref, NULL) == 0);
	done();
}

static const struct test_case cases[] = {
	TEST_ENTRY(npt_faults_large_pages_zap),
	TEST_ENTRY(ept_faults_large_pages_zap),
	TEST_ENTRY(npt_dirty_log_get),
	TEST_ENTRY(ept_dirty_log_manual_clear),
	TEST_ENTRY(shadow_lm4_write_protects_tables),
	TEST_ENTRY(shadow_unsync_invlpg_and_cr3_sync),
	TEST_ENTRY(shadow_write_flood_unshadows),
	TEST_ENTRY(shadow_role_bits),
	TEST_ENTRY(shadow_smap_eflags_ac),
	TEST_ENTRY(shadow_32bit_quadrants),
	TEST_ENTRY(shadow_pae_and_lm5_and_off),
	TEST_ENTRY(shadow_root_cache),
	TEST_ENTRY(shadow_page_cap_under_pressure),
	TEST_ENTRY(nested_npt_guest_mode),
	TEST_ENTRY(shadow_pse_role_bit),
	TEST_ENTRY(shadow_root_zapped_in_use),
	TEST_ENTRY(shadow_many_pages_grow_hashes),
	TEST_ENTRY(tdp_1g_pages_and_logging),
	TEST_ENTRY(nested_l2_two_dimensional),
	TEST_ENTRY(nested_walk_write_unprotects),
	TEST_ENTRY(shadow_unprotect_lets_the_write_through),
};

TEST_MAIN("mmu-directed", cases)
