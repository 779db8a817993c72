/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the files of kmod/mmu. Nothing outside this
 * folder includes it.
 */
#ifndef SKIFF_MMU_INTERNAL_H
#define SKIFF_MMU_INTERNAL_H

#include "mmu.h"

#define SPTE_ENTRIES	512
#define MMU_MAX_SLOTS	32
#define MMU_PREV_ROOTS	3
#define MMU_FLOOD_LIMIT	3
#define MMU_DEFAULT_MAX_SP	4096

/* x86 (shadow, NPT) spte bits. */
#define X86_P		(1ULL << 0)
#define X86_W		(1ULL << 1)
#define X86_U		(1ULL << 2)
#define X86_A		(1ULL << 5)
#define X86_D		(1ULL << 6)
#define X86_PS		(1ULL << 7)
#define X86_NX		(1ULL << 63)
/* EPT bits. */
#define EPT_R		(1ULL << 0)
#define EPT_W		(1ULL << 1)
#define EPT_X		(1ULL << 2)
#define EPT_WB		(6ULL << 3)
#define EPT_PS		(1ULL << 7)
/*
 * Software bits, ignored by hardware in every format: bits 9 and 10 of
 * x86 entries in all paging modes (as KVM's), and of EPT entries while
 * EPT A/D bits and MBEC are off. Bits 52-62, ignored in long mode and
 * EPT, are reserved in legacy PAE mode, where a shadowed 32-bit or
 * real-mode guest runs on these tables.
 */
#define SPTE_HOST_WRITABLE	(1ULL << 9)	/* memslot allows writes */
#define SPTE_MMU_WRITABLE	(1ULL << 10)	/* only dirty log blocks W */
#define SPTE_ADDR_MASK	0x000ffffffffff000ULL

/*
 * The role: everything besides the gfn that decides the contents of a
 * shadow page. Two pages for the same gfn with different roles are
 * different pages.
 */
union mmu_role {
	u32 word;
	struct {
		u32 level:3;
		u32 direct:1;
		u32 quadrant:2;		/* part of a 4-byte-gpte table */
		u32 access:3;		/* MMU_ACC_* through the parents */
		u32 gpte_4byte:1;	/* 32-bit non-PAE guest */
		u32 efer_nx:1;
		u32 cr0_wp:1;
		u32 smep_andnot_wp:1;
		u32 smap_andnot_wp:1;
		u32 guest_mode:1;	/* shadows an L1's NPT */
		u32 invalid:1;
		u32 cr4_pse:1;		/* 32-bit only: PS means 4M */
		u32 pad:15;
	};
};

/* Where an spte lives: its page and index. */
struct mmu_sptep {
	struct mmu_page *sp;
	u32 idx;
};

/* One shadow page (or TDP table page). */
struct mmu_page {
	u64 gfn;
	union mmu_role role;
	u64 *spt;
	u64 hpa;
	u64 *gfns;		/* gfn mapped by each leaf spte */
	struct mmu_page *hash_next;	/* same gfn bucket */
	struct mmu_page *lru_prev, *lru_next;
	struct mmu_sptep *parents;
	u32 nr_parents, cap_parents;
	u64 unsync_child_bitmap[SPTE_ENTRIES / 64];
	u32 unsync_children;
	bool unsync;
	bool pseudo;		/* PAE/32-bit upper levels, not in hash */
	bool in_hash;
	u64 fault_gen;		/* last fault that used it */
	u32 root_count;
	u32 write_flooding;
};

/* A u64 -> pointer chained hash map (gfn, table address, ...). */
struct mmu_hmap_ent {
	u64 key;
	void *val;
	struct mmu_hmap_ent *next;
};

struct mmu_hmap {
	struct mmu_hmap_ent **buckets;
	u32 nr_buckets;
	u32 count;
};

/* Reverse map entry list for one gfn. */
struct mmu_rmap {
	struct mmu_sptep *sptes;
	u32 nr, cap;
};

struct mmu_dirty_slot {
	bool enabled;
	int slot;
	u64 base_gfn;
	u64 npages;
	u64 *bitmap;
};

struct mmu_root {
	bool valid;
	u64 hpa;
	u64 cr3;
	u32 role_word;
	u64 pdptes[4];
	struct mmu_page *top;		/* hardware root page */
};

struct mmu {
	const struct mmu_host_ops *ops;
	void *ctx;
	struct mmu_config cfg;
	bool ept;
	struct mmu_paging pg;
	bool paging_set;
	struct mmu_root root;
	struct mmu_root prev[MMU_PREV_ROOTS];
	struct mmu_hmap sp_by_gfn;	/* indirect + direct shadow pages */
	struct mmu_hmap sp_by_hpa;	/* every table page */
	struct mmu_hmap rmap;		/* gfn -> struct mmu_rmap */
	struct mmu_page lru;		/* list head: newest first */
	struct mmu_dirty_slot dirty[MMU_MAX_SLOTS];
	struct mmu_stats stats;
	u64 fault_gen;
	bool need_flush;
};

/* mmu.c */
void *mmu_zalloc(struct mmu *mmu, size_t size);
void mmu_free(struct mmu *mmu, void *p);
void mmu_flush_if_needed(struct mmu *mmu);

/* hmap.c */
int mmu_hmap_init(struct mmu *mmu, struct mmu_hmap *h, u32 nr_buckets);
void mmu_hmap_destroy(struct mmu *mmu, struct mmu_hmap *h);
void *mmu_hmap_get(struct mmu_hmap *h, u64 key);
int mmu_hmap_put(struct mmu *mmu, struct mmu_hmap *h, u64 key, void *val);
void *mmu_hmap_del(struct mmu *mmu, struct mmu_hmap *h, u64 key);
int mmu_grow_sptep(struct mmu *mmu, struct mmu_sptep **arr, u32 *cap,
		   u32 need);

/* spte.c */
u64 spte_make_table(struct mmu *mmu, u64 hpa);
u64 spte_make_tdp_leaf(struct mmu *mmu, u64 hfn, int level, bool writable,
		       bool host_writable);
bool spte_present(struct mmu *mmu, u64 spte);
bool spte_large(struct mmu *mmu, u64 spte, int level);
bool spte_writable(struct mmu *mmu, u64 spte);
u64 spte_set_writable(struct mmu *mmu, u64 spte, bool w);
u64 spte_addr(u64 spte);

/* page.c: shadow page objects */
struct mmu_page *mmu_page_alloc(struct mmu *mmu, u64 gfn,
				union mmu_role role, bool hashed);
void mmu_page_free(struct mmu *mmu, struct mmu_page *sp);
void mmu_page_unhash(struct mmu *mmu, struct mmu_page *sp);
struct mmu_page *mmu_page_of_hpa(struct mmu *mmu, u64 hpa);
int mmu_page_add_parent(struct mmu *mmu, struct mmu_page *sp,
			struct mmu_page *parent, u32 idx);
void mmu_page_del_parent(struct mmu_page *sp, struct mmu_page *parent,
			 u32 idx);
void mmu_page_touch(struct mmu *mmu, struct mmu_page *sp);

/* rmap.c */
int mmu_rmap_add(struct mmu *mmu, u64 gfn, struct mmu_page *sp, u32 idx);
void mmu_rmap_del(struct mmu *mmu, u64 gfn, struct mmu_page *sp, u32 idx);
struct mmu_rmap *mmu_rmap_get(struct mmu *mmu, u64 gfn);
bool mmu_rmap_write_protect(struct mmu *mmu, u64 gfn, bool keep_mmu_w);
bool mmu_rmap_zap_gfn(struct mmu *mmu, u64 gfn);
void mmu_rmap_destroy(struct mmu *mmu);

/* shadow.c */
enum mmu_fault_ret shadow_page_fault(struct mmu *mmu, u64 va, u32 ec,
				     struct mmu_fault *out);
void shadow_drop_spte(struct mmu *mmu, struct mmu_page *sp, int idx);
void shadow_zap_page(struct mmu *mmu, struct mmu_page *sp);
u64 shadow_leaf_spte(struct mmu *mmu, union mmu_role role, u64 gfn,
		     u32 access, bool dirty, u32 ec,
		     const struct mmu_pfn *pfn, bool *emulate);
u64 shadow_gpte_gpa(struct mmu_page *sp, int idx);
int shadow_update_leaf(struct mmu *mmu, struct mmu_page *sp, int idx,
		       u64 gpte);
union mmu_role shadow_base_role(struct mmu *mmu);
struct mmu_page *shadow_find_page(struct mmu *mmu, u64 gfn,
				  union mmu_role role);
bool shadow_gfn_tracked(struct mmu *mmu, u64 gfn);
void shadow_unprotect_gfn(struct mmu *mmu, u64 gfn);
struct mmu_page *shadow_leaf_page_of(struct mmu *mmu, u64 va);

/* root_cache.c */
int shadow_load_root(struct mmu *mmu);
void shadow_free_roots(struct mmu *mmu);
void shadow_put_root(struct mmu *mmu, struct mmu_root *r);

/* unsync.c */
int unsync_try(struct mmu *mmu, u64 gfn);
void unsync_mark_parents(struct mmu *mmu, struct mmu_page *sp);
int unsync_sync_page(struct mmu *mmu, struct mmu_page *sp);
void unsync_sync_roots(struct mmu *mmu);
void unsync_sync_subtree(struct mmu *mmu, struct mmu_page *sp);
void unsync_invlpg(struct mmu *mmu, u64 va);
void unsync_account_shadowed(struct mmu *mmu, u64 gfn, int level);

/* pte_write.c */
int pte_write_emulated(struct mmu *mmu, u64 gpa, u64 val, u32 len);

/* tdp.c */
int tdp_init(struct mmu *mmu);
enum mmu_fault_ret tdp_page_fault(struct mmu *mmu, u64 gpa, u32 ec,
				  struct mmu_fault *out);
void tdp_zap_range(struct mmu *mmu, u64 start, u64 end, bool large_only);
void tdp_write_protect_gfn(struct mmu *mmu, u64 gfn);
void tdp_destroy(struct mmu *mmu);

/* dirty_log.c */
struct mmu_dirty_slot *dirty_slot_of_gfn(struct mmu *mmu, u64 gfn);
bool dirty_log_fast_fault(struct mmu *mmu, struct mmu_page *sp, u32 idx,
			  u32 ec);
void dirty_log_write_protect(struct mmu *mmu, u64 gfn);

/* pressure.c */
int pressure_make_room(struct mmu *mmu);

#endif
