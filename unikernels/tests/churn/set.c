/* SPDX-License-Identifier: ISC */
/*
 * The working set: page order, page contents and their verification.
 *
 * A page of generation g (written g times; 0: never) holds
 * (page << 32 | g) in its first word and the complement in its last; the
 * rest stays zero. So a page that arrives stale (an older generation),
 * zeroed, torn between two copies, or another page's, fails the check,
 * and a report says which generation it held. Two words, not 512: on
 * emulating hosts each guest instruction costs about 1 us, and the loops
 * below are what bounds the dirty rate the guest can reach.
 */
#include "churn.h"

#define LAST_WORD	(SKIFF_PAGE_SIZE / sizeof(uint64_t) - 1)

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

void churn_set_init(struct churn_set *set, void *base, uint64_t npages)
{
	/* Near n * 5/8: consecutive writes land far apart. */
	uint64_t stride = npages * 5 / 8 + 1;

	while (npages > 1 && gcd(stride, npages) != 1)
		stride++;
	*set = (struct churn_set){ .base = base, .npages = npages,
				   .stride = stride % npages };
}

static bool check_page(const struct churn_set *set, uint64_t page,
		       uint64_t gen, struct churn_fault *fault)
{
	volatile uint64_t *w = set->base + page * (LAST_WORD + 1);
	uint64_t head = gen ? page << 32 | (gen & 0xffffffffu) : 0;
	uint64_t tail = gen ? ~head : 0;
	uint64_t got;

	got = w[0];
	if (got != head) {
		*fault = (struct churn_fault){ page, 0, gen, head, got };
		return false;
	}
	got = w[LAST_WORD];
	if (got != tail) {
		*fault = (struct churn_fault){ page, LAST_WORD, gen, tail,
					       got };
		return false;
	}
	return true;
}

static void advance(const struct churn_set *set, uint64_t *pos,
		    uint64_t *page)
{
	*page += set->stride;
	if (*page >= set->npages)
		*page -= set->npages;
	if (++*pos == set->npages)
		*pos = *page = 0;
}

/* Positions before set->pos have been written once more this sweep. */
bool churn_verify(const struct churn_set *set, struct churn_cursor *cur,
		  uint64_t n, struct churn_fault *fault)
{
	for (; n; n--) {
		uint64_t gen = set->sweep + (cur->pos < set->pos ? 1 : 0);

		if (!check_page(set, cur->page, gen, fault))
			return false;
		advance(set, &cur->pos, &cur->page);
	}
	return true;
}

/* Each page to write must still hold its last generation. */
bool churn_write(struct churn_set *set, uint64_t n, struct churn_fault *fault)
{
	volatile uint64_t *w;
	uint64_t head;

	for (; n; n--) {
		if (!check_page(set, set->page, set->sweep, fault))
			return false;
		w = set->base + set->page * (LAST_WORD + 1);
		head = set->page << 32 | ((set->sweep + 1) & 0xffffffffu);
		w[0] = head;
		w[LAST_WORD] = ~head;
		set->writes++;
		advance(set, &set->pos, &set->page);
		if (set->pos == 0)
			set->sweep++;
	}
	return true;
}
