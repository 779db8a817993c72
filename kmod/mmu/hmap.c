// SPDX-License-Identifier: GPL-2.0
/*
 * A small chained hash map from u64 keys to pointers, and a helper to
 * grow pointer arrays. The MMU keys shadow pages by gfn and by table
 * address, and the reverse map by gfn.
 */
#include "mmu_internal.h"

static u32 hmap_hash(u64 key, u32 nr)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (u32)(key & (nr - 1));
}

int mmu_hmap_init(struct mmu *mmu, struct mmu_hmap *h, u32 nr_buckets)
{
	h->buckets = mmu_zalloc(mmu, nr_buckets * sizeof(*h->buckets));
	if (!h->buckets)
		return -1;
	h->nr_buckets = nr_buckets;
	h->count = 0;
	return 0;
}

void mmu_hmap_destroy(struct mmu *mmu, struct mmu_hmap *h)
{
	u32 i;

	for (i = 0; h->buckets && i < h->nr_buckets; i++) {
		struct mmu_hmap_ent *e = h->buckets[i], *n;

		for (; e; e = n) {
			n = e->next;
			mmu_free(mmu, e);
		}
	}
	mmu_free(mmu, h->buckets);
	h->buckets = NULL;
	h->count = 0;
}

void *mmu_hmap_get(struct mmu_hmap *h, u64 key)
{
	struct mmu_hmap_ent *e = h->buckets[hmap_hash(key, h->nr_buckets)];

	for (; e; e = e->next)
		if (e->key == key)
			return e->val;
	return NULL;
}

/* Doubling keeps chains short as the guest grows its tables. */
static void hmap_grow(struct mmu *mmu, struct mmu_hmap *h)
{
	struct mmu_hmap_ent **nb;
	u32 nr = h->nr_buckets * 2, i;

	nb = mmu_zalloc(mmu, nr * sizeof(*nb));
	if (!nb)
		return;
	for (i = 0; i < h->nr_buckets; i++) {
		struct mmu_hmap_ent *e = h->buckets[i], *n;

		for (; e; e = n) {
			u32 b = hmap_hash(e->key, nr);

			n = e->next;
			e->next = nb[b];
			nb[b] = e;
		}
	}
	mmu_free(mmu, h->buckets);
	h->buckets = nb;
	h->nr_buckets = nr;
}

int mmu_hmap_put(struct mmu *mmu, struct mmu_hmap *h, u64 key, void *val)
{
	u32 b = hmap_hash(key, h->nr_buckets);
	struct mmu_hmap_ent *e = h->buckets[b];

	for (; e; e = e->next) {
		if (e->key == key) {
			e->val = val;
			return 0;
		}
	}
	e = mmu_zalloc(mmu, sizeof(*e));
	if (!e)
		return -1;
	e->key = key;
	e->val = val;
	e->next = h->buckets[b];
	h->buckets[b] = e;
	if (++h->count > h->nr_buckets * 2)
		hmap_grow(mmu, h);
	return 0;
}

void *mmu_hmap_del(struct mmu *mmu, struct mmu_hmap *h, u64 key)
{
	struct mmu_hmap_ent **pp = &h->buckets[hmap_hash(key, h->nr_buckets)];

	for (; *pp; pp = &(*pp)->next) {
		struct mmu_hmap_ent *e = *pp;
		void *val = e->val;

		if (e->key != key)
			continue;
		*pp = e->next;
		mmu_free(mmu, e);
		h->count--;
		return val;
	}
	return NULL;
}

int mmu_grow_sptep(struct mmu *mmu, struct mmu_sptep **arr, u32 *cap,
		   u32 need)
{
	u32 ncap = *cap ? *cap * 2 : 1;	/* most gfns have one mapping */
	struct mmu_sptep *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = mmu_zalloc(mmu, ncap * sizeof(*n));
	if (!n)
		return -1;
	if (*arr)
		memcpy(n, *arr, *cap * sizeof(*n));
	mmu_free(mmu, *arr);
	*arr = n;
	*cap = ncap;
	return 0;
}
