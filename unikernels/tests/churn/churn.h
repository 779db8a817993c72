/* SPDX-License-Identifier: ISC */
/*
 * churn: a working set whose every page's content is known at every
 * moment, for migration tests (see main.c).
 */
#ifndef CHURN_H
#define CHURN_H

#include "skiff_sdk.h"

/*
 * Write number w goes to page perm(w mod npages): a fixed permutation
 * (multiplication by a stride coprime to npages), so writes spread over
 * the set, and a page's generation follows from its position and the
 * number of writes alone: no table in guest memory that could go stale
 * with the pages. Everything is stepped incrementally (no division per
 * page): on emulating hosts each guest instruction costs about 1 us.
 */
struct churn_set {
	volatile uint64_t *base;
	uint64_t npages;
	uint64_t stride;	/* coprime to npages */
	uint64_t writes;	/* page writes done so far */
	uint64_t sweep;		/* writes / npages */
	uint64_t pos;		/* writes % npages */
	uint64_t page;		/* the page of position pos */
};

/* A walk over the set in write order (position pos is page page). */
struct churn_cursor {
	uint64_t pos;
	uint64_t page;
};

/* What a verification found wrong; gen is the expected generation. */
struct churn_fault {
	uint64_t page;
	unsigned int word;
	uint64_t gen;
	uint64_t expected;
	uint64_t found;
};

void churn_set_init(struct churn_set *set, void *base, uint64_t npages);
/* Write, or verify, the next n pages; false with *fault on a bad page. */
bool churn_write(struct churn_set *set, uint64_t n, struct churn_fault *fault);
bool churn_verify(const struct churn_set *set, struct churn_cursor *cur,
		  uint64_t n, struct churn_fault *fault);

#endif /* CHURN_H */
