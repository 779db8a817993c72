// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the MMU core (struct mmu_host_ops): table pages
 * from the page allocator, guest frames from the memslots' pages,
 * pinned on first use. Every call comes with vm->lock held, so the slots cannot
 * change under the MMU. x86-64 has no highmem: a pinned page is
 * always in the direct map, and page_address() reaches it.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sizes.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "skiff.h"

static void *skiff_alloc_table(void *ctx, u64 *hpa)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!p)
		return NULL;
	skiff_live_add(SKIFF_LIVE_TABLES, 1);
	*hpa = page_to_phys(p);
	return page_address(p);
}

static void skiff_free_table(void *ctx, void *table, u64 hpa)
{
	free_page((unsigned long)table);
	skiff_live_add(SKIFF_LIVE_TABLES, -1);
}

static void *skiff_zalloc(void *ctx, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL_ACCOUNT);

	if (p)
		skiff_live_add(SKIFF_LIVE_ALLOCS, 1);
	return p;
}

static void skiff_free(void *ctx, void *p)
{
	if (p)
		skiff_live_add(SKIFF_LIVE_ALLOCS, -1);
	kvfree(p);
}

/*
 * A 2 MiB mapping is allowed where the slot holds the whole aligned
 * 2 MiB of guest frames and they sit on 512 contiguous, aligned host
 * frames (a transparent huge page, or luck). 1 GiB is never used: a
 * unikernel's memory is small, and the check would cost 256K lookups.
 */
static int skiff_large_level(struct skiff_memslot *s, u64 gfn)
{
	u64 first = gfn & ~511ULL, idx, i, hfn;
	struct page **p;

	if (first < s->base_gfn || first + 512 > s->base_gfn + s->npages)
		return 1;
	idx = first - s->base_gfn;
	/* Pinned in chunks by slot offset: all there if the slot is aligned. */
	p = s->pages + idx;
	if (!p[0] || !p[511])
		return 1;
	hfn = page_to_pfn(p[0]);
	if (hfn & 511)
		return 1;
	/*
	 * A writable 2 MiB mapping must not reach a page pinned to read:
	 * skiff_guest_may_write's pinning rule, for all 512 pages.
	 */
	if (find_next_zero_bit(s->pinned_w, idx + 512, idx) < idx + 512)
		return 1;
	for (i = 1; i < 512; i++)
		if (!p[i] || page_to_pfn(p[i]) != hfn + i)
			return 1;
	return 2;
}

/*
 * Writes go through only where the creator's mapping allows them, as
 * on KVM, which follows the host's page tables: a monitor may
 * mprotect() part of guest memory read-only after making the slot
 * (skiff-monitor does so for the guest's text). Pinning does not see
 * that; the VMA does. *level drops to 4K unless one VMA covers the
 * whole aligned 2 MiB.
 */
static bool skiff_host_writable(struct skiff_vm *vm, struct skiff_memslot *s,
				u64 gfn, int *level)
{
	u64 addr = s->userspace_addr + ((gfn - s->base_gfn) << PAGE_SHIFT);
	u64 first = addr & ~(SZ_2M - 1);
	struct vm_area_struct *vma;
	bool w;

	mmap_read_lock(vm->mm);
	vma = vma_lookup(vm->mm, addr);
	w = vma && (vma->vm_flags & VM_WRITE);
	if (!vma || vma->vm_start > first || vma->vm_end < first + SZ_2M)
		*level = 1;
	mmap_read_unlock(vm->mm);
	return w;
}

/*
 * skiff_guest_may_write - may gfn of s, its page pinned, be written for
 * the guest: mapped writable by the MMU (skiff_gfn_to_pfn), or stored
 * to by skiff itself (skiff_gpa_ptr)? Only if the slot is not read-only,
 * the page was pinned for writing (one pinned to read may be shared with
 * other mappings, and writing it would write theirs: skiff_memslot_page)
 * and the creator's mapping allows writes now (skiff_host_writable,
 * which may drop *level to 4K). skiff_large_level keeps 2 MiB mappings
 * to runs of 512 pages all pinned for writing.
 */
static bool skiff_guest_may_write(struct skiff_vm *vm, struct skiff_memslot *s,
				  u64 gfn, int *level)
{
	return !(s->flags & KVM_MEM_READONLY) &&
	       skiff_memslot_page_writable(s, gfn - s->base_gfn) &&
	       skiff_host_writable(vm, s, gfn, level);
}

static int skiff_gfn_to_pfn(void *ctx, u64 gfn, struct mmu_pfn *pfn)
{
	struct skiff_memslot *s = skiff_memslot_of_gfn(ctx, gfn);
	struct page *page;

	if (!s)
		return -1;
	page = skiff_memslot_page(s, gfn - s->base_gfn);
	if (!page)
		return -1;
	pfn->hfn = page_to_pfn(page);
	pfn->slot = s->id;
	pfn->max_level = min_t(int, skiff_large_level(s, gfn),
			       skiff_arch->max_level);
	pfn->writable = skiff_guest_may_write(ctx, s, gfn, &pfn->max_level);
	return 0;
}

/*
 * The direct-map address of gpa, if a slot holds it; for a write, only
 * where the guest could write it itself (skiff_guest_may_write): the
 * emulated stores and the A/D bits of guest page tables land here.
 */
static void *skiff_gpa_ptr(struct skiff_vm *vm, u64 gpa, bool write)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct skiff_memslot *s = skiff_memslot_of_gfn(vm, gfn);
	struct page *page;
	int level = 1;	/* skiff_guest_may_write's; nothing is mapped here */

	/* Early, so that a refused store into a read-only slot pins nothing. */
	if (!s || (write && (s->flags & KVM_MEM_READONLY)))
		return NULL;
	page = skiff_memslot_page(s, gfn - s->base_gfn);
	if (!page || (write && !skiff_guest_may_write(vm, s, gfn, &level)))
		return NULL;
	return page_address(page) + offset_in_page(gpa);
}

static int skiff_guest_copy(struct skiff_vm *vm, u64 gpa, void *buf,
			    u32 len, bool write)
{
	while (len) {
		u32 n = min_t(u32, len, PAGE_SIZE - offset_in_page(gpa));
		void *p = skiff_gpa_ptr(vm, gpa, write);

		if (!p)
			return -1;
		if (write) {
			memcpy(p, buf, n);
			if (vm->mmu)
				mmu_mark_dirty(vm->mmu, gpa >> PAGE_SHIFT);
		} else {
			memcpy(buf, p, n);
		}
		gpa += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int skiff_guest_read(struct skiff_vm *vm, u64 gpa, void *buf, u32 len)
{
	return skiff_guest_copy(vm, gpa, buf, len, false);
}

static int skiff_read_guest(void *ctx, u64 gpa, void *buf, u32 len)
{
	return skiff_guest_copy(ctx, gpa, buf, len, false);
}

static int skiff_write_guest(void *ctx, u64 gpa, const void *buf, u32 len)
{
	return skiff_guest_copy(ctx, gpa, (void *)buf, len, true);
}

/* Guest page-table entries are naturally aligned: never across pages. */
static int skiff_cmpxchg_guest(void *ctx, u64 gpa, u64 old, u64 new, u32 len)
{
	struct skiff_vm *vm = ctx;
	void *p;
	bool ok;

	if ((len != 4 && len != 8) || (gpa & (len - 1)))
		return -1;
	p = skiff_gpa_ptr(vm, gpa, true);
	if (!p)
		return -1;
	if (len == 8)
		ok = try_cmpxchg((u64 *)p, &old, new);
	else
		ok = cmpxchg((u32 *)p, (u32)old, (u32)new) == (u32)old;
	if (ok && vm->mmu)
		mmu_mark_dirty(vm->mmu, gpa >> PAGE_SHIFT);
	return ok ? 0 : 1;
}

/* Taken by the vCPU at its next entry (TLB_CONTROL on SVM). */
static void skiff_flush_tlb(void *ctx)
{
	struct skiff_vm *vm = ctx;

	vm->mmu_flush = true;
}

/*
 * One address of the guest's, from its INVLPG (VMX flushes just that
 * where it can, SVM the ASID). Only the vCPU's thread asks, and an
 * entry follows each INVLPG, so one address is pending at a time; a
 * second, different one makes it a whole flush.
 */
static void skiff_flush_tlb_gva(void *ctx, u64 va)
{
	struct skiff_vm *vm = ctx;

	if (vm->flush_gva_pending && vm->flush_gva != va)
		vm->mmu_flush = true;
	vm->flush_gva = va;
	vm->flush_gva_pending = true;
}

static void skiff_yield(void *ctx)
{
	cond_resched();
}

static const struct mmu_host_ops skiff_mmu_ops = {
	.alloc_table = skiff_alloc_table,
	.free_table = skiff_free_table,
	.zalloc = skiff_zalloc,
	.free = skiff_free,
	.gfn_to_pfn = skiff_gfn_to_pfn,
	.read_guest = skiff_read_guest,
	.write_guest = skiff_write_guest,
	.cmpxchg_guest = skiff_cmpxchg_guest,
	.flush_tlb = skiff_flush_tlb,
	.flush_tlb_gva = skiff_flush_tlb_gva,
	.yield = skiff_yield,
};

/* skiff_mmu_create - the VM's MMU, of the kind the backend uses. */
int skiff_mmu_create(struct skiff_vm *vm)
{
	struct mmu_config cfg = {
		.kind = skiff_arch->mmu_kind,
		.unsync = true,
	};

	vm->mmu = mmu_create(&skiff_mmu_ops, vm, &cfg);
	return vm->mmu ? 0 : -ENOMEM;
}
