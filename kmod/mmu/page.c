// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow page objects: allocation with their table page, the hash by
 * (gfn, role), the table-address index, parent pointers and the LRU
 * list that memory pressure zaps from.
 */
#include "mmu_internal.h"

static void lru_unlink(struct mmu_page *sp)
{
	sp->lru_prev->lru_next = sp->lru_next;
	sp->lru_next->lru_prev = sp->lru_prev;
}

static void lru_push(struct mmu *mmu, struct mmu_page *sp)
{
	sp->lru_next = mmu->lru.lru_next;
	sp->lru_prev = &mmu->lru;
	mmu->lru.lru_next->lru_prev = sp;
	mmu->lru.lru_next = sp;
}

void mmu_page_touch(struct mmu *mmu, struct mmu_page *sp)
{
	sp->fault_gen = mmu->fault_gen;
	lru_unlink(sp);
	lru_push(mmu, sp);
}

static int hash_insert(struct mmu *mmu, struct mmu_page *sp)
{
	sp->hash_next = mmu_hmap_get(&mmu->sp_by_gfn, sp->gfn);
	if (mmu_hmap_put(mmu, &mmu->sp_by_gfn, sp->gfn, sp))
		return -1;
	sp->in_hash = true;
	return 0;
}

static void hash_remove(struct mmu *mmu, struct mmu_page *sp)
{
	struct mmu_page *head = mmu_hmap_get(&mmu->sp_by_gfn, sp->gfn);
	struct mmu_page **pp;

	if (!sp->in_hash)
		return;
	sp->in_hash = false;
	if (head == sp) {
		if (sp->hash_next)
			mmu_hmap_put(mmu, &mmu->sp_by_gfn, sp->gfn,
				     sp->hash_next);
		else
			mmu_hmap_del(mmu, &mmu->sp_by_gfn, sp->gfn);
		return;
	}
	for (pp = head ? &head->hash_next : NULL; pp && *pp;
	     pp = &(*pp)->hash_next) {
		if (*pp == sp) {
			*pp = sp->hash_next;
			return;
		}
	}
}

void mmu_page_unhash(struct mmu *mmu, struct mmu_page *sp)
{
	hash_remove(mmu, sp);
}

/*
 * mmu_page_alloc - allocate a shadow page and its table page.
 * @hashed: insert into the (gfn, role) hash; pseudo roots and TDP
 *	tables are found by address only.
 * Returns NULL when out of memory.
 */
struct mmu_page *mmu_page_alloc(struct mmu *mmu, u64 gfn,
				union mmu_role role, bool hashed)
{
	struct mmu_page *sp = mmu_zalloc(mmu, sizeof(*sp));

	if (!sp)
		return NULL;
	/* Only leaf pages map gfns; upper levels point at pages. */
	if (role.level == 1) {
		sp->gfns = mmu_zalloc(mmu, SPTE_ENTRIES * sizeof(u64));
		if (!sp->gfns)
			goto err_sp;
	}
	sp->spt = mmu->ops->alloc_table(mmu->ctx, &sp->hpa);
	if (!sp->spt)
		goto err_gfns;
	sp->gfn = gfn;
	sp->role = role;
	sp->pseudo = !hashed;
	sp->fault_gen = mmu->fault_gen;
	if (mmu_hmap_put(mmu, &mmu->sp_by_hpa, sp->hpa, sp))
		goto err_table;
	if (hashed && hash_insert(mmu, sp))
		goto err_hpa;
	lru_push(mmu, sp);
	mmu->stats.shadow_pages++;
	mmu->stats.table_pages++;
	return sp;

err_hpa:
	mmu_hmap_del(mmu, &mmu->sp_by_hpa, sp->hpa);
err_table:
	mmu->ops->free_table(mmu->ctx, sp->spt, sp->hpa);
err_gfns:
	mmu_free(mmu, sp->gfns);
err_sp:
	mmu_free(mmu, sp);
	return NULL;
}

/* Frees the object only; the caller has unlinked its sptes. */
void mmu_page_free(struct mmu *mmu, struct mmu_page *sp)
{
	hash_remove(mmu, sp);
	mmu_hmap_del(mmu, &mmu->sp_by_hpa, sp->hpa);
	lru_unlink(sp);
	mmu->ops->free_table(mmu->ctx, sp->spt, sp->hpa);
	mmu_free(mmu, sp->gfns);
	mmu_free(mmu, sp->parents);
	mmu_free(mmu, sp);
	mmu->stats.shadow_pages--;
	mmu->stats.table_pages--;
}

struct mmu_page *mmu_page_of_hpa(struct mmu *mmu, u64 hpa)
{
	return mmu_hmap_get(&mmu->sp_by_hpa, hpa & SPTE_ADDR_MASK);
}

int mmu_page_add_parent(struct mmu *mmu, struct mmu_page *sp,
			struct mmu_page *parent, u32 idx)
{
	if (mmu_grow_sptep(mmu, &sp->parents, &sp->cap_parents,
			   sp->nr_parents + 1))
		return -1;
	sp->parents[sp->nr_parents].sp = parent;
	sp->parents[sp->nr_parents].idx = idx;
	sp->nr_parents++;
	return 0;
}

void mmu_page_del_parent(struct mmu_page *sp, struct mmu_page *parent,
			 u32 idx)
{
	u32 i;

	for (i = 0; i < sp->nr_parents; i++) {
		if (sp->parents[i].sp == parent && sp->parents[i].idx == idx) {
			sp->parents[i] = sp->parents[--sp->nr_parents];
			return;
		}
	}
}
