/* SPDX-License-Identifier: ISC */
/*
 * The simulated host for the MMU harness: guest physical memory in
 * memslots backed by host frames, table pages with "physical"
 * addresses, the mmu_host_ops over them, a hardware MMU with a TLB
 * that walks the shadow or TDP tables, and a record of every write to
 * a dirty-logged slot (the truth the dirty log is checked against).
 */
#ifndef SKIFF_TESTS_MMU_SIM_H
#define SKIFF_TESTS_MMU_SIM_H

#include "../../kmod/mmu/mmu.h"

#define SIM_MAX_SLOTS	4
#define SIM_TABLE_HFN	0x100000ULL	/* table pages live from here */
#define SIM_TLB_SIZE	64

/*
 * Access kinds: supervisor/user x read/write/fetch, then supervisor
 * read/write with EFLAGS.AC=1 (SMAP lets them reach user pages).
 * K_IMPL or'ed into a kind given to sim_do_access makes it an implicit
 * supervisor access (descriptor tables): SMAP ignores AC for it.
 */
enum sim_kind {
	K_SR, K_SW, K_SX, K_UR, K_UW, K_UX, K_SRA, K_SWA, K_NR
};

#define K_IMPL	0x10

struct sim_slot {
	bool present;
	bool readonly;
	bool huge;		/* host backs it with 2M pages */
	bool logging;
	u64 base_gfn;
	u64 npages;
	u64 host_hfn;		/* first backing frame */
	u8 *mem;		/* npages * 4K */
	u64 *truth;		/* writes since the last get/clear */
};

struct sim_tlb {
	bool valid;
	u64 vpn;
	u64 hfn;
	u64 gfn;		/* what the walk translated to (checks) */
	u8 allow;		/* 1 << kind */
	bool dirty;
};

struct sim {
	struct mmu *mmu;
	enum mmu_kind kind;
	struct mmu_paging pg;	/* the guest's paging state */
	struct sim_slot slots[SIM_MAX_SLOTS];
	void **tables;
	u64 nr_tables, cap_tables;
	u64 live_tables;
	u64 heap_bytes;		/* MMU bookkeeping allocated */
	u64 oom_seed;		/* nonzero: fail some allocations */
	bool cmpxchg_races;	/* every cmpxchg loses (another writer) */
	bool nested_l2;		/* an L2 with l2pg runs on the shadow NPT */
	bool l2_identity;	/* ... and maps linear = L2 physical */
	struct mmu_paging l2pg;
	u64 next_host_hfn;
	struct sim_tlb tlb[SIM_TLB_SIZE];
	u64 flushes;
	u64 yields;
	u64 tlb_fill_gen;
	char err[256];		/* first invariant violation */
	u64 benign_lo, benign_hi;	/* data writes here keep contents */
	bool table_write;		/* a deliberate page-table write */
	u64 traps;		/* exits to the MMU (faults, emulation) */
	u64 pt_writes;		/* guest writes to its page tables */
	u32 access_ec;		/* description of the access in progress */
};

/* Outcome of one guest access. */
enum sim_outcome {
	SIM_OK,
	SIM_PF,			/* #PF delivered to the guest */
	SIM_MMIO,		/* exit: no memslot / read-only slot */
	SIM_NOMEM,
	SIM_LOOP,		/* fault handler made no progress */
};

struct sim_access {
	enum sim_outcome out;
	u32 ec;
	u64 gpa;
	u64 hfn;
	u64 gfn;
	bool emulated;
};

int sim_init(struct sim *s, enum mmu_kind kind, bool unsync, u32 max_sp);
void sim_fini(struct sim *s);
int sim_add_slot(struct sim *s, int id, u64 base_gfn, u64 npages,
		 bool readonly, bool huge);
void sim_remove_slot(struct sim *s, int id);
void sim_move_slot(struct sim *s, int id, u64 new_base);
struct sim_slot *sim_slot_of_gfn(struct sim *s, u64 gfn);
int sim_gfn_of_hfn(struct sim *s, u64 hfn, u64 *gfn);
u8 *sim_gpa_ptr(struct sim *s, u64 gpa);
int sim_read(struct sim *s, u64 gpa, void *buf, u32 len);
int sim_write(struct sim *s, u64 gpa, const void *buf, u32 len);
void *sim_table(struct sim *s, u64 hpa);
void sim_tlb_flush(struct sim *s);
void sim_tlb_flush_va(struct sim *s, u64 va);
void sim_truth_mark(struct sim *s, u64 gfn);
bool sim_benign(struct sim *s, u64 gfn);

/* Guest state changes (the harness is the guest kernel). */
int sim_set_paging(struct sim *s, const struct mmu_paging *pg);
void sim_invlpg(struct sim *s, u64 va);

/*
 * sim_do_access - the guest accesses va with kind; a write stores val
 * (len bytes). Runs the hardware and the MMU's fault handling until
 * the access completes or faults to the guest.
 */
void sim_do_access(struct sim *s, u64 va, int kind, u64 val, u32 len,
		   struct sim_access *res);

/* Hardware walk of the shadow/TDP tables (no TLB). */
int hw_walk_shadow(struct sim *s, u64 va, u64 *hfn, u8 *allow,
		   u64 *spte_out);
int hw_walk_tdp(struct sim *s, u64 gpa, u64 *hfn, bool *r, bool *w,
		bool *x);

/* Invariants: every reachable leaf, every TLB entry. */
typedef bool (*sim_allowed_fn)(void *ctx, u64 va, u64 gfn, u8 allow);
int sim_check_tables(struct sim *s, sim_allowed_fn allowed, void *ctx);

#endif
