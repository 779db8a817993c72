// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION: create, move, change the flags of and
 * delete memslots, with KVM's checks and errnos (virt/kvm/kvm_main.c,
 * __kvm_set_memory_region), so a monitor sees the same answers on
 * /dev/kvm and /dev/skiff.
 *
 * Where skiff differs from KVM: a slot's pages are pinned (FOLL_LONGTERM)
 * in 2 MiB chunks as the guest first touches them, its whole size is
 * charged to the creator's locked_vm when it is created, and all of it
 * is released when it is deleted or the VM is closed. KVM instead
 * faults pages in and follows the host through MMU notifiers; pinning
 * keeps notifiers out of the run loop and makes "nothing stays pinned
 * after the fds close" a checkable property. Pinning at creation made
 * a 512 MiB guest's start pay for zeroing all of its memory.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "skiff.h"

#define SKIFF_MEM_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

/* The checks KVM makes before it looks at the existing slots. */
static int skiff_memslot_check(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~SKIFF_MEM_FLAGS)
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	/* Address space 1 (SMM) and ids past ours do not exist here. */
	if ((mem->slot >> 16) || (u16)mem->slot >= SKIFF_MAX_SLOTS)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > SKIFF_SLOT_MAX_PAGES)
		return -EINVAL;
	return 0;
}

static bool skiff_memslot_overlaps(struct skiff_vm *vm, u32 id, u64 base,
				   u64 npages)
{
	struct skiff_memslot *s;
	u32 i;

	for (i = 0; i < SKIFF_MAX_SLOTS; i++) {
		s = vm->slots[i];
		if (!s || i == id)
			continue;
		if (base < s->base_gfn + s->npages && s->base_gfn < base + npages)
			return true;
	}
	return false;
}

/* Pages are pinned in chunks of this many, aligned in the slot. */
#define PIN_CHUNK	512

static u64 chunk_len(struct skiff_memslot *s, u64 first)
{
	return min_t(u64, PIN_CHUNK, s->npages - first);
}

/* Every chunk pinned so far goes back, marked dirty unless read-only. */
static void skiff_memslot_unpin(struct skiff_vm *vm, struct skiff_memslot *s)
{
	u64 first;

	for (first = 0; first < s->npages; first += PIN_CHUNK) {
		if (!s->pages[first])
			continue;
		/* The guest wrote through the MMU: the kernel must see it. */
		unpin_user_pages_dirty_lock(s->pages + first,
					    chunk_len(s, first),
					    !(s->flags & KVM_MEM_READONLY));
		skiff_live_add(SKIFF_LIVE_PINNED, -chunk_len(s, first));
		cond_resched();
	}
	account_locked_vm(vm->mm, s->npages, false);
	vm->pinned_pages -= s->npages;
}

/* Pins n pages from addr, all or none. Returns 0 or -EFAULT. */
static int pin_range(u64 addr, u64 n, unsigned int gup, struct page **pages)
{
	u64 done = 0;
	long r;

	while (done < n) {
		r = pin_user_pages_fast(addr + (done << PAGE_SHIFT), n - done,
					gup, pages + done);
		if (r <= 0) {
			if (done)
				unpin_user_pages(pages, done);
			return -EFAULT;
		}
		done += r;
	}
	return 0;
}

/*
 * skiff_memslot_page - the page behind page idx of s, pinned from the
 * creator's mapping with the rest of its chunk on first use. Pages are
 * pinned for writing where the mapping allows it, else for reading:
 * the monitor maps read-only slots, and the guest's text, read-only.
 * NULL if the mapping is gone (KVM_RUN then fails with EFAULT, as on
 * KVM). Under vm->lock, from the creator's process.
 *
 * A page pinned for reading stays read-only to the guest for as long
 * as it is pinned, even if the mapping becomes writable later: it may
 * be shared with other mappings (a page cache page, or the kernel's
 * zero page for anonymous memory not yet touched), and writing it
 * would write theirs. KVM follows a later mprotect() through its MMU
 * notifier and faults a private page in; skiff, which pins, leaves the
 * page read-only (a guest write is then EFAULT), docs/kmod.md.
 */
struct page *skiff_memslot_page(struct skiff_memslot *s, u64 idx)
{
	u64 first = idx - idx % PIN_CHUNK, n = chunk_len(s, first), i;
	u64 addr = s->userspace_addr + (first << PAGE_SHIFT);
	bool ro = s->flags & KVM_MEM_READONLY;

	if (s->pages[first])
		return s->pages[idx];
	if (!pin_range(addr, n, FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE),
		       s->pages + first)) {
		if (!ro)
			bitmap_set(s->pinned_w, first, n);
		goto pinned;
	}
	/* A read-only stretch in the chunk: page by page, as allowed. */
	for (i = 0; i < n; i++) {
		if (!ro && !pin_range(addr + (i << PAGE_SHIFT), 1,
				      FOLL_LONGTERM | FOLL_WRITE,
				      s->pages + first + i)) {
			set_bit(first + i, s->pinned_w);
			continue;
		}
		if (pin_range(addr + (i << PAGE_SHIFT), 1, FOLL_LONGTERM,
			      s->pages + first + i))
			goto err;
	}
pinned:
	skiff_live_add(SKIFF_LIVE_PINNED, n);
	return s->pages[idx];
err:
	/* A chunk is pinned whole or not at all. */
	if (i)
		unpin_user_pages(s->pages + first, i);
	memset(s->pages + first, 0, n * sizeof(*s->pages));
	bitmap_clear(s->pinned_w, first, n);
	return NULL;
}

/* Page idx of s is pinned, and for writing (skiff_memslot_page). */
bool skiff_memslot_page_writable(struct skiff_memslot *s, u64 idx)
{
	return s->pages[idx] && test_bit(idx, s->pinned_w);
}

/*
 * skiff_memslot_reserve - the page array, and the slot's whole size
 * charged to the creator's locked_vm at once (RLIMIT_MEMLOCK applies
 * at creation, as when everything was pinned then); pages are pinned
 * as the guest first touches them. Returns 0 or a negative errno.
 */
static int skiff_memslot_reserve(struct skiff_vm *vm, struct skiff_memslot *s)
{
	int r;

	s->pages = kvcalloc(s->npages, sizeof(*s->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!s->pages)
		return -ENOMEM;
	s->pinned_w = kvcalloc(BITS_TO_LONGS(s->npages), sizeof(long),
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	r = s->pinned_w ? account_locked_vm(vm->mm, s->npages, true) : -ENOMEM;
	if (r)
		goto err;
	vm->pinned_pages += s->npages;
	return 0;
err:
	kvfree(s->pinned_w);
	kvfree(s->pages);
	s->pinned_w = NULL;
	s->pages = NULL;
	return r;
}

/*
 * The MMU forgets a slot's old place before it moves or goes: its
 * dirty log is kept by gfn, and its sptes point at the slot's pages.
 */
static void skiff_memslot_unmap(struct skiff_vm *vm, struct skiff_memslot *s)
{
	if (!vm->mmu)
		return;
	if (s->flags & KVM_MEM_LOG_DIRTY_PAGES)
		mmu_dirty_log_disable(vm->mmu, s->id);
	mmu_zap_gfn_range(vm->mmu, s->base_gfn, s->base_gfn + s->npages);
}

/* Dirty logging follows the slot's flag (KVM_MEM_LOG_DIRTY_PAGES). */
static int skiff_memslot_log(struct skiff_vm *vm, struct skiff_memslot *s,
			     u32 old_flags)
{
	bool was = old_flags & KVM_MEM_LOG_DIRTY_PAGES;
	bool now = s->flags & KVM_MEM_LOG_DIRTY_PAGES;

	if (!vm->mmu || was == now)
		return 0;
	if (!now) {
		mmu_dirty_log_disable(vm->mmu, s->id);
		return 0;
	}
	if (mmu_dirty_log_enable(vm->mmu, s->id, s->base_gfn, s->npages)) {
		s->flags = old_flags;
		return -ENOMEM;
	}
	return 0;
}

/* The slot holding gfn, or NULL (an MMIO hole). Under vm->lock. */
struct skiff_memslot *skiff_memslot_of_gfn(struct skiff_vm *vm, u64 gfn)
{
	struct skiff_memslot *s;
	u32 i;

	for (i = 0; i < SKIFF_MAX_SLOTS; i++) {
		s = vm->slots[i];
		if (s && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static void skiff_memslot_free(struct skiff_vm *vm, struct skiff_memslot *s)
{
	skiff_memslot_unmap(vm, s);
	skiff_memslot_unpin(vm, s);
	kvfree(s->pinned_w);
	kvfree(s->pages);
	kfree(s);
	skiff_live_add(SKIFF_LIVE_SLOTS, -1);
}

static int skiff_memslot_create(struct skiff_vm *vm, u32 id,
				const struct kvm_userspace_memory_region *mem)
{
	struct skiff_memslot *s;
	int r;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	skiff_live_add(SKIFF_LIVE_SLOTS, 1);
	s->id = id;
	s->flags = mem->flags;
	s->base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	s->npages = mem->memory_size >> PAGE_SHIFT;
	s->userspace_addr = mem->userspace_addr;
	r = skiff_memslot_reserve(vm, s);
	if (r) {
		kfree(s);
		skiff_live_add(SKIFF_LIVE_SLOTS, -1);
		return r;
	}
	vm->slots[id] = s;
	r = skiff_memslot_log(vm, s, 0);
	if (r) {
		vm->slots[id] = NULL;
		skiff_memslot_free(vm, s);
	}
	return r;
}

/*
 * skiff_memslot_set - KVM_SET_USER_MEMORY_REGION under vm->lock.
 * Size 0 deletes; an existing slot may move (new guest address) or
 * change its dirty-logging flag, never its size, user address or
 * read-only flag. Returns 0 or KVM's errno for the same request.
 */
int skiff_memslot_set(struct skiff_vm *vm,
		      const struct kvm_userspace_memory_region *mem)
{
	u64 base = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u32 id = (u16)mem->slot;
	struct skiff_memslot *old;
	u32 old_flags;
	int r;

	r = skiff_memslot_check(mem);
	if (r)
		return r;
	old = vm->slots[id];
	if (!npages) {
		if (!old)
			return -EINVAL;
		vm->slots[id] = NULL;
		skiff_memslot_free(vm, old);
		return 0;
	}
	if (old && (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY)))
		return -EINVAL;
	if (old && base == old->base_gfn) {
		old_flags = old->flags;
		old->flags = mem->flags;
		return skiff_memslot_log(vm, old, old_flags);
	}
	if (skiff_memslot_overlaps(vm, id, base, npages))
		return -EEXIST;
	if (old) {
		skiff_memslot_unmap(vm, old);
		old->base_gfn = base;
		old->flags = mem->flags;
		return skiff_memslot_log(vm, old, 0);
	}
	return skiff_memslot_create(vm, id, mem);
}

/* VM close: every slot goes, and with it every pin. */
void skiff_memslots_free(struct skiff_vm *vm)
{
	u32 i;

	for (i = 0; i < SKIFF_MAX_SLOTS; i++) {
		if (vm->slots[i]) {
			skiff_memslot_free(vm, vm->slots[i]);
			vm->slots[i] = NULL;
		}
	}
}
