/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skiff MMU core: guest page-table walker, TDP (NPT/EPT) builder, shadow
 * paging with unsync pages, nested NPT shadowing and dirty logging.
 *
 * Portable C: everything outside the core comes through struct
 * mmu_host_ops, so the same files build into skiff.ko and into the
 * userspace harness in tests/mmu/. docs/mmu.md describes the design.
 */
#ifndef SKIFF_MMU_H
#define SKIFF_MMU_H

#include "mmu_types.h"

#define MMU_PAGE_SHIFT	12
#define MMU_PAGE_SIZE	(1ULL << MMU_PAGE_SHIFT)
#define MMU_MAXPHYADDR	36	/* guest-visible physical address width */

/* Page-fault error code bits (x86). */
#define PFERR_PRESENT	(1U << 0)
#define PFERR_WRITE	(1U << 1)
#define PFERR_USER	(1U << 2)
#define PFERR_RSVD	(1U << 3)
#define PFERR_FETCH	(1U << 4)
/*
 * Software bits of an access description, never part of a delivered
 * error code; the caller sets them from the vCPU state (KVM reads
 * EFLAGS.AC at its permission check and takes PFERR_IMPLICIT_ACCESS
 * with the access; here both come with the access).
 * PFERR_AC: EFLAGS.AC was 1. With CR4.SMAP an explicit supervisor data
 *	access to a user page is then allowed (SDM vol. 3 4.6.1).
 * PFERR_IMPLICIT: an implicit supervisor access (descriptor tables,
 *	also at CPL 3). SMAP applies to it whatever EFLAGS.AC holds.
 */
#define PFERR_AC	(1U << 28)
#define PFERR_IMPLICIT	(1U << 29)
/* Stage-2 fault taken while the CPU walked the guest's own tables. */
#define PFERR_GUEST_PAGE	(1U << 30)

/* Guest paging modes; MMU_MODE_NPT is an L1 hypervisor's nested table. */
enum mmu_mode {
	MMU_MODE_OFF,
	MMU_MODE_32,
	MMU_MODE_PAE,
	MMU_MODE_LM4,
	MMU_MODE_LM5,
	MMU_MODE_NPT,
};

/* How the MMU maps guest memory for the hardware. */
enum mmu_kind {
	MMU_KIND_NPT,		/* TDP, AMD nested page tables */
	MMU_KIND_EPT,		/* TDP, Intel extended page tables */
	MMU_KIND_SHADOW,	/* shadow page tables (also nested NPT) */
};

/* Guest paging state: CR0.WP, CR4.PSE/SMEP/SMAP, EFER.NXE, CR3. */
struct mmu_paging {
	enum mmu_mode mode;
	bool wp;
	bool pse;
	bool nxe;
	bool smep;
	bool smap;
	u64 cr3;
	u64 pdptes[4];		/* PAE: loaded at CR3 load (mmu_load_pdptes) */
};

/* Result of translating a gfn through the host's memslots. */
struct mmu_pfn {
	u64 hfn;		/* host frame backing the gfn */
	int slot;		/* memslot id */
	bool writable;		/* slot and host mapping allow writes */
	int max_level;		/* 1: 4K, 2: 2M, 3: 1G allowed by slot+host */
};

/*
 * The host interface. Every call gets ctx. Return values: 0 on success,
 * negative on failure (no memslot, out of memory).
 */
struct mmu_host_ops {
	void *(*alloc_table)(void *ctx, u64 *hpa);	/* zeroed 4K */
	void (*free_table)(void *ctx, void *table, u64 hpa);
	void *(*zalloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	int (*gfn_to_pfn)(void *ctx, u64 gfn, struct mmu_pfn *pfn);
	int (*read_guest)(void *ctx, u64 gpa, void *buf, u32 len);
	int (*write_guest)(void *ctx, u64 gpa, const void *buf, u32 len);
	/* 0: swapped, 1: memory did not hold old, <0: no memory there */
	int (*cmpxchg_guest)(void *ctx, u64 gpa, u64 old, u64 new, u32 len);
	void (*flush_tlb)(void *ctx);
	/* Optional: flush one linear address of the guest's (INVLPG). */
	void (*flush_tlb_gva)(void *ctx, u64 va);
	void (*yield)(void *ctx);
};

struct mmu_config {
	enum mmu_kind kind;
	bool unsync;			/* allow unsync leaf pages */
	u32 max_shadow_pages;		/* 0: default */
};

/* What a fault handler asks its caller to do next. */
enum mmu_fault_ret {
	MMU_RET_RETRY,		/* mapping fixed: re-execute the access */
	MMU_RET_INJECT,		/* deliver #PF (or #NPF to L1) with error_code */
	MMU_RET_EMULATE,	/* write to a shadowed guest table: emulate */
	MMU_RET_MMIO,		/* no memslot (or read-only slot written) */
	MMU_RET_NOMEM,
};

struct mmu_fault {
	u32 error_code;		/* for MMU_RET_INJECT */
	u64 gpa;		/* for MMU_RET_EMULATE / MMU_RET_MMIO */
};

struct mmu_stats {
	u64 shadow_pages;	/* live shadow pages (incl. TDP tables) */
	u64 table_pages;	/* live table pages incl. pseudo roots */
	u64 faults;
	u64 fast_faults;	/* dirty-log fast path */
	u64 emulated_writes;
	u64 unprotects;		/* mmu_unprotect_gfn: write let through */
	u64 unsync_events;
	u64 syncs;
	u64 zapped;
	u64 flood_zaps;
	u64 root_hits;
};

struct mmu;

/* Walker: translate va under pg; used by the fault handlers. */
struct mmu_walk {
	u64 gfn;		/* 4K frame of the translated address */
	int level;		/* level of the guest leaf (1: 4K) */
	int top;		/* guest root level */
	u32 access;		/* effective MMU_ACC_* of the translation */
	u32 acc_above[6];	/* access through gptes of levels > i */
	u64 table_gfn[6];	/* gfn of the guest table at level i */
	u64 pte[6];		/* gpte read at level i */
	u32 error_code;
};

#define MMU_ACC_EXEC	1U
#define MMU_ACC_WRITE	2U
#define MMU_ACC_USER	4U
#define MMU_ACC_ALL	(MMU_ACC_EXEC | MMU_ACC_WRITE | MMU_ACC_USER)

/*
 * mmu_walk_guest - walk the guest tables of pg for va and the access in
 * ec (PFERR_WRITE/USER/FETCH, and PFERR_AC/PFERR_IMPLICIT for SMAP,
 * which never appear in w->error_code). Sets accessed/dirty bits by
 * cmpxchg when set_ad. Returns 0 and fills w, 1 with w->error_code for #PF, or -1
 * if the gptes kept changing while A/D were set (retry the access).
 */
int mmu_walk_guest(struct mmu *mmu, const struct mmu_paging *pg, u64 va,
		   u32 ec, struct mmu_walk *w, bool set_ad);

/* Lifecycle. */
struct mmu *mmu_create(const struct mmu_host_ops *ops, void *ctx,
		       const struct mmu_config *cfg);
void mmu_destroy(struct mmu *mmu);

/*
 * mmu_load_pdptes - PAE: read the four PDPTEs at pg->cr3 into pg as
 * MOV CR3 does. Returns -1 (#GP) on a reserved bit or unreadable PDPT.
 */
int mmu_load_pdptes(struct mmu *mmu, struct mmu_paging *pg);

/*
 * mmu_set_paging - CR3 load or CR0/CR4/EFER change (shadow mode): pick
 * or build the root for pg, sync unsync pages, flush. TDP ignores it.
 */
int mmu_set_paging(struct mmu *mmu, const struct mmu_paging *pg);

/* Root for the hardware (shadow CR3 / nCR3 / EPTP); reloads if zapped. */
u64 mmu_root_hpa(struct mmu *mmu);
int mmu_root_level(struct mmu *mmu);

/*
 * Fault: addr is the gva (shadow) or gpa (TDP); ec is the hardware's
 * error code, plus PFERR_AC and PFERR_IMPLICIT in shadow mode.
 */
enum mmu_fault_ret mmu_page_fault(struct mmu *mmu, u64 addr, u32 ec,
				  struct mmu_fault *out);

/* Guest INVLPG and full TLB flush (intercepted in shadow mode). */
void mmu_invlpg(struct mmu *mmu, u64 va);
void mmu_flush_guest_tlb(struct mmu *mmu);

/*
 * mmu_emulate_write - the guest's write of len bytes at gpa, which hit
 * a write-protected guest page table. Writes memory and updates sptes.
 */
int mmu_emulate_write(struct mmu *mmu, u64 gpa, u64 val, u32 len);

/*
 * mmu_unprotect_gfn - stop shadowing the guest tables at gfn, so the
 * guest's own write to it goes through when it retries: the fallback
 * (KVM's unprotect-and-retry) for a write that cannot be emulated.
 */
void mmu_unprotect_gfn(struct mmu *mmu, u64 gfn);

/*
 * Memslot removal / move or host invalidation of [start, end) gfns.
 * Removing or moving a logged slot: mmu_dirty_log_disable() first, as
 * the log is kept by the slot's old gfn range.
 */
void mmu_zap_gfn_range(struct mmu *mmu, u64 start, u64 end);

/*
 * Dirty logging per memslot (KVM_MEM_LOG_DIRTY_PAGES semantics); the
 * bitmap has one bit per page of the slot, in 64-bit words.
 */
int mmu_dirty_log_enable(struct mmu *mmu, int slot, u64 base_gfn,
			 u64 npages);
void mmu_dirty_log_disable(struct mmu *mmu, int slot);
/* KVM_GET_DIRTY_LOG: copy; unless manual_protect, clear and protect. */
int mmu_dirty_log_get(struct mmu *mmu, int slot, u64 *bitmap,
		      bool manual_protect);
/* KVM_CLEAR_DIRTY_LOG: clear and re-protect bits set in mask. */
int mmu_dirty_log_clear(struct mmu *mmu, int slot, u64 first,
			u64 npages, const u64 *mask);
/* A write by the host or emulator: log it. */
void mmu_mark_dirty(struct mmu *mmu, u64 gfn);
bool mmu_gfn_logged_clean(struct mmu *mmu, u64 gfn);

/* Drop every unused shadow page (memory pressure from the host). */
void mmu_shrink(struct mmu *mmu, u32 nr_to_free);

void mmu_get_stats(struct mmu *mmu, struct mmu_stats *st);

#endif
