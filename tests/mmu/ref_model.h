/* SPDX-License-Identifier: ISC */
/*
 * The reference model: an independent, deliberately plain reading of
 * the x86 paging rules (Intel SDM vol. 3 ch. 4, AMD APM vol. 2 ch. 5)
 * that the MMU's walker and the shadow/TDP tables are checked against.
 */
#ifndef SKIFF_TESTS_MMU_REF_MODEL_H
#define SKIFF_TESTS_MMU_REF_MODEL_H

#include "sim.h"

/* Reads a gpte; returns 0, -1 (no memory), or 1 (abort: TDP fault). */
typedef int (*ref_read_fn)(void *ctx, u64 gpa, u64 *val, u32 len);

enum ref_status { REF_OK, REF_FAULT, REF_ABORT };

struct ref_result {
	enum ref_status status;
	u64 gfn;
	u8 allow;		/* 1 << kind for each kind allowed */
	u32 ec[K_NR];		/* error code for each kind not allowed */
	int leaf_level;
	int nr;			/* gptes read */
	u64 pte_gpa[6];		/* ~0: PAE PDPTE register */
	u64 pte[6];
	u32 pte_size;
};

void ref_walk(const struct mmu_paging *pg, ref_read_fn rd, void *ctx,
	      u64 va, struct ref_result *r);
/* The access description (PFERR_*) of a kind, K_IMPL included. */
u32 ref_kind_ec(int kind);
/* The kind whose rules an access described by ec follows. */
int ref_kind_of(u32 ec);
/* Kinds allowed by accumulated W/U/NX under pg's CR0/CR4/EFER. */
u8 ref_allow_bits(const struct mmu_paging *pg, bool w, bool u, bool nx);

#endif
