/* SPDX-License-Identifier: ISC */
/*
 * bench/mmu: figures for the MMU core, measured in the userspace
 * harness (tests/mmu/sim.c) with the same build of kmod/mmu.
 *
 * 1. Guest page-table writes per trap, unsync on vs off, on a
 *    fork-like workload (copy the address space, write-protect the
 *    parent for copy-on-write, run both, tear the child down) and a
 *    page-cache-like one (a kernel window whose PTEs are set, used and
 *    cleared with INVLPG over and over). Each write is made by the
 *    guest through its own mapping of its page tables, so it traps,
 *    is emulated or lands on an unsync page exactly as on hardware.
 * 2. ns per shadow fault and per TDP fault (mmu_page_fault alone).
 * 3. Shadow and TDP memory per GiB of guest memory touched with 4K
 *    pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../tests/mmu/gpt.h"

#define PHYS_VA		(1ULL << 39)
#define USER_VA		0x40000000ULL
#define POOL_GFN	0x100ULL
#define POOL_PAGES	1024ULL
#define DATA_GFN	0x1000ULL
#define NPROC_PAGES	2048		/* 8 MiB process, 4 PTs */

struct guest {
	struct sim s;
	struct gpt g;
	struct mmu_paging pg;
	u64 traps_in_writes;
	u64 writes;
};

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* The guest kernel writes a PTE through its physmap. */
static int pt_write(void *ctx, u64 gpa, u64 val, u32 len)
{
	struct guest *gu = ctx;
	struct sim_access r;
	u64 before = gu->s.traps;

	gu->writes++;
	gu->s.table_write = true;
	sim_do_access(&gu->s, PHYS_VA + gpa, K_SW, val, len, &r);
	gu->s.table_write = false;
	gu->traps_in_writes += gu->s.traps - before;
	return r.out == SIM_OK ? 0 : -1;
}

static void load_cr3(struct guest *gu, u64 cr3)
{
	gu->pg.cr3 = cr3;
	sim_set_paging(&gu->s, &gu->pg);
}

static int guest_init(struct guest *gu, enum mmu_kind kind, bool unsync)
{
	u64 i;

	memset(gu, 0, sizeof(*gu));
	if (sim_init(&gu->s, kind, unsync, 1 << 20) ||
	    sim_add_slot(&gu->s, 0, 0, DATA_GFN + 4 * NPROC_PAGES, false,
			 false))
		return -1;
	gpt_init(&gu->g, &gu->s, MMU_MODE_LM4, POOL_GFN, POOL_PAGES);
	gu->pg = (struct mmu_paging){ .mode = MMU_MODE_LM4, .wp = true,
				      .nxe = true };
	gu->pg.cr3 = gpt_alloc(&gu->g);
	for (i = 0; i < POOL_PAGES; i++)
		gpt_map(&gu->g, gu->pg.cr3, PHYS_VA + ((POOL_GFN + i) << 12),
			((POOL_GFN + i) << 12) | GPT_P | GPT_W, 1);
	return 0;
}

/* A new address space sharing the kernel half (PML4 entry 1). */
static u64 new_mm(struct guest *gu, u64 kernel_root)
{
	u64 root = gpt_alloc(&gu->g), e = 0;

	sim_read(&gu->s, kernel_root + 8, &e, 8);
	gu->g.write(gu->g.wctx, root + 8, e, 8);
	return root;
}

static int touch(struct guest *gu, u64 va, int kind, u64 root)
{
	struct sim_access r;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		u64 pte;

		sim_do_access(&gu->s, va, kind, 0x55, 8, &r);
		if (r.out == SIM_OK)
			return 0;
		if (r.out != SIM_PF || !(r.ec & PFERR_WRITE))
			return -1;
		/* Copy-on-write: the guest makes its PTE writable. */
		pte = gpt_entry_gpa(&gu->g, root, va, 1);
		if (pte == ~0ULL)
			return -1;
		sim_read(&gu->s, pte, &r.gpa, 8);
		pt_write(gu, pte, r.gpa | GPT_W | GPT_D, 8);
		sim_invlpg(&gu->s, va);
	}
	return -1;
}

/* Map the parent, fork, run parent and child, exit the child. */
static int fork_like(struct guest *gu, int rounds)
{
	u64 kroot = gu->pg.cr3, parent = new_mm(gu, kroot);
	u64 ptes[NPROC_PAGES], child, i, v;
	int r;

	gu->g.write = pt_write;
	gu->g.wctx = gu;
	load_cr3(gu, parent);
	for (i = 0; i < NPROC_PAGES; i++)
		gpt_map(&gu->g, parent, USER_VA + i * 4096,
			((DATA_GFN + i) << 12) | GPT_P | GPT_W | GPT_U, 1);
	for (i = 0; i < NPROC_PAGES; i++)
		touch(gu, USER_VA + i * 4096, K_UW, parent);
	for (i = 0; i < NPROC_PAGES; i++)
		ptes[i] = gpt_entry_gpa(&gu->g, parent, USER_VA + i * 4096, 1);
	gu->writes = 0;
	gu->traps_in_writes = 0;
	for (r = 0; r < rounds; r++) {
		u64 pool = gu->g.pool_next;

		child = new_mm(gu, kroot);
		for (i = 0; i < NPROC_PAGES; i++) {
			sim_read(&gu->s, ptes[i], &v, 8);
			v &= ~GPT_W;
			pt_write(gu, ptes[i], v, 8);
			gpt_map(&gu->g, child, USER_VA + i * 4096, v, 1);
		}
		load_cr3(gu, parent);		/* flush_tlb_mm */
		load_cr3(gu, child);
		for (i = 0; i < NPROC_PAGES; i += 8)
			touch(gu, USER_VA + i * 4096, K_UR, child);
		for (i = 0; i < NPROC_PAGES; i += 64)
			touch(gu, USER_VA + i * 4096, K_UW, child);
		load_cr3(gu, parent);
		for (i = 0; i < NPROC_PAGES; i += 4)
			touch(gu, USER_VA + i * 4096, K_UW, parent);
		/* Child exit: its PTEs are cleared. */
		load_cr3(gu, child);
		for (i = 0; i < NPROC_PAGES; i++)
			pt_write(gu, gpt_entry_gpa(&gu->g, child,
						   USER_VA + i * 4096, 1),
				 0, 8);
		load_cr3(gu, parent);
		gu->g.pool_next = pool;	/* reuse the child's tables */
	}
	return 0;
}

/* kmap-like: set a PTE, use the page, clear it, INVLPG. */
static int page_cache_like(struct guest *gu, int rounds)
{
	u64 root = gu->pg.cr3, i, pte;
	int r;

	gu->g.write = pt_write;
	gu->g.wctx = gu;
	gpt_map(&gu->g, root, USER_VA, GPT_P, 1);	/* build the PT */
	load_cr3(gu, root);
	gu->writes = 0;
	gu->traps_in_writes = 0;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < 512; i++) {
			u64 va = USER_VA + i * 4096;

			pte = gpt_entry_gpa(&gu->g, root, va, 1);
			pt_write(gu, pte, ((DATA_GFN + (r * 512 + i) %
					    (4 * NPROC_PAGES)) << 12) |
				 GPT_P | GPT_W, 8);
			touch(gu, va, K_SR, root);
		}
		for (i = 0; i < 512; i++) {
			u64 va = USER_VA + i * 4096;

			pt_write(gu, gpt_entry_gpa(&gu->g, root, va, 1), 0, 8);
			sim_invlpg(&gu->s, va);
		}
	}
	return 0;
}

static double writes_per_trap(int which, bool unsync, u64 *w, u64 *t)
{
	struct guest *gu = calloc(1, sizeof(*gu));
	double v;

	if (!gu || guest_init(gu, MMU_KIND_SHADOW, unsync))
		exit(1);
	load_cr3(gu, gu->pg.cr3);
	if (which)
		page_cache_like(gu, 8);
	else
		fork_like(gu, 4);
	*w = gu->writes;
	*t = gu->traps_in_writes;
	v = gu->traps_in_writes ? (double)gu->writes / gu->traps_in_writes :
				  (double)gu->writes;
	sim_fini(&gu->s);
	free(gu);
	return v;
}

static void report_unsync(void)
{
	static const char *const names[] = { "fork-like", "page-cache-like" };
	int i;

	for (i = 0; i < 2; i++) {
		u64 w1, t1, w0, t0;
		double on = writes_per_trap(i, true, &w1, &t1);
		double off = writes_per_trap(i, false, &w0, &t0);

		printf("%-16s unsync on: %llu writes / %llu traps = %.1f per trap; off: %llu / %llu = %.2f; ratio %.1fx\n",
		       names[i], (unsigned long long)w1,
		       (unsigned long long)t1, on, (unsigned long long)w0,
		       (unsigned long long)t0, off, on / off);
	}
}

/* Faults on n fresh addresses: ns per mmu_page_fault. */
static void report_fault_cost(void)
{
	struct guest *gu = calloc(1, sizeof(*gu));
	struct mmu_fault f;
	u64 n = 65536, i, root;
	double t0, t1;

	if (!gu || guest_init(gu, MMU_KIND_SHADOW, true))
		exit(1);
	root = gu->pg.cr3;
	for (i = 0; i < n / 8; i++)
		gpt_map(&gu->g, root, USER_VA + i * 4096,
			((DATA_GFN + i) << 12) | GPT_P | GPT_W | GPT_U, 1);
	load_cr3(gu, root);
	t0 = now_ns();
	for (i = 0; i < n / 8; i++)
		mmu_page_fault(gu->s.mmu, USER_VA + i * 4096, PFERR_USER, &f);
	t1 = now_ns();
	printf("shadow fault: %.0f ns (4-level guest walk + fetch + rmap)\n",
	       (t1 - t0) / (n / 8));
	sim_fini(&gu->s);
	if (guest_init(gu, MMU_KIND_EPT, true))
		exit(1);
	t0 = now_ns();
	for (i = 0; i < n / 8; i++)
		mmu_page_fault(gu->s.mmu, (DATA_GFN + i) << 12, PFERR_WRITE,
			       &f);
	t1 = now_ns();
	printf("TDP fault:    %.0f ns (EPT, 4K)\n", (t1 - t0) / (n / 8));
	sim_fini(&gu->s);
	free(gu);
}

/* Touch 1 GiB of guest memory with 4K guest pages: bytes of MMU. */
static void report_memory(enum mmu_kind kind)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct gpt g;
	struct mmu_paging pg = { .mode = MMU_MODE_LM4, .wp = true,
				 .nxe = true };
	struct mmu_stats st;
	struct sim_access r;
	u64 pages = 1ULL << 18, i, base = 0x40000, total;

	if (!s || sim_init(s, kind, true, 1 << 20) ||
	    sim_add_slot(s, 0, 0, 0x1000, false, false) ||
	    sim_add_slot(s, 1, base, pages, false, false))
		exit(1);
	gpt_init(&g, s, MMU_MODE_LM4, 0x10, 0x800);
	pg.cr3 = gpt_alloc(&g);
	for (i = 0; i < pages; i++)
		gpt_map(&g, pg.cr3, USER_VA + i * 4096,
			((base + i) << 12) | GPT_P | GPT_W | GPT_U | GPT_A, 1);
	sim_set_paging(s, &pg);
	for (i = 0; i < pages; i++)
		sim_do_access(s, USER_VA + i * 4096, K_UR, 0, 8, &r);
	mmu_get_stats(s->mmu, &st);
	total = st.table_pages * 4096 + s->heap_bytes;
	printf("%-6s memory per guest GiB (4K pages): %llu table pages = %.2f MiB tables, %.2f MiB bookkeeping, %.2f MiB total (%.2f%%)\n",
	       kind == MMU_KIND_SHADOW ? "shadow" : "EPT",
	       (unsigned long long)st.table_pages,
	       st.table_pages * 4096 / 1048576.0, s->heap_bytes / 1048576.0,
	       total / 1048576.0, total * 100.0 / (1ULL << 30));
	sim_fini(s);
	free(s);
}

int main(void)
{
	printf("bench/mmu (userspace harness, one vCPU)\n");
	report_unsync();
	report_fault_cost();
	report_memory(MMU_KIND_SHADOW);
	report_memory(MMU_KIND_EPT);
	return 0;
}
