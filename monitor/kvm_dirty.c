/* SPDX-License-Identifier: ISC */
/*
 * The dirty-logging ioctls. Three ways a KVM-style device can say which
 * guest pages were written, best first:
 *
 * - the dirty ring (KVM_CAP_DIRTY_LOG_RING[_ACQ_REL]): each vCPU pushes
 *   the pages it dirties to a ring shared with us, so a harvest costs
 *   what the guest dirtied, not a pass over a bit per page of its memory.
 *   It must be enabled before the vCPU exists, so kvm_open() enables it
 *   for every VM; that costs the ring's 64 KiB of kernel memory and
 *   nothing at run time while no slot logs.
 * - the bitmap with manual protect (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2):
 *   KVM_GET_DIRTY_LOG only reads and KVM_CLEAR_DIRTY_LOG re-arms the
 *   pages it names, in chunks, so the MMU lock is held a chunk at a time
 *   rather than for the whole of memory. skiff.ko offers this one.
 * - the plain bitmap: KVM_GET_DIRTY_LOG reads and re-arms in one call.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor.h"

/*
 * 4096 entries (64 KiB): a guest dirtying 16 MiB between two harvests
 * leaves the ring only once. The kernel keeps some entries in reserve
 * (64, and 512 more with Intel's PML), so a much smaller ring would exit
 * far more often.
 */
#define DIRTY_RING_ENTRIES	4096u

enum kvm_dirty_mode kvm_dirty_mode_max = KVM_DIRTY_MODE_RING;

static int vm_check(struct kvm_backend *k, long cap)
{
	int r = ioctl(k->vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int vm_enable(struct kvm_backend *k, uint32_t cap, uint64_t arg)
{
	struct kvm_enable_cap c = { .cap = cap, .args[0] = arg };

	return ioctl(k->vm_fd, KVM_ENABLE_CAP, &c);
}

/*
 * ACQ_REL is the same ring with its memory ordering spelled out; the
 * collector below follows that ordering either way, and x86 kernels
 * offer both.
 */
static bool ring_enable(struct kvm_backend *k)
{
	uint64_t bytes = DIRTY_RING_ENTRIES * sizeof(struct kvm_dirty_gfn);
	uint32_t cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	int max = vm_check(k, cap);

	if (max <= 0) {
		cap = KVM_CAP_DIRTY_LOG_RING;
		max = vm_check(k, cap);
	}
	if (max <= 0)
		return false;
	if ((uint64_t)max < bytes)
		bytes = max;
	if (vm_enable(k, cap, bytes) < 0) {
		mon_warn("%s: enabling the dirty ring: %s (dirty logging falls back to the bitmap)",
			 k->path, strerror(errno));
		return false;
	}
	k->ring_entries = bytes / sizeof(struct kvm_dirty_gfn);
	return true;
}

/*
 * INITIALLY_SET where offered: turning logging on then write-protects
 * nothing at once (a pass over all of memory under the MMU lock);
 * dirty_log_start() re-arms memory chunk by chunk instead.
 */
static bool manual_enable(struct kvm_backend *k)
{
	uint64_t flags = vm_check(k, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) &
		(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		 KVM_DIRTY_LOG_INITIALLY_SET);

	if (!(flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		return false;
	if (vm_enable(k, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, flags) < 0) {
		mon_warn("%s: enabling manual dirty-log protect: %s (dirty logging falls back to KVM_GET_DIRTY_LOG alone)",
			 k->path, strerror(errno));
		return false;
	}
	k->dirty_init_set = flags & KVM_DIRTY_LOG_INITIALLY_SET;
	return true;
}

/*
 * The nested PVM hypervisor (kvm_pvm, the /dev/kvm of these CI
 * machines) offers the ring but loses writes in it: a page written
 * before logging starts and again after it sometimes has no entry, so
 * a migration sends it stale. Seen with the churn guest, 1 migration in
 * 2 to 5 (64 MiB at 16 MiB/s; 32 MiB at 8 MiB/s: 1 in 4), never with
 * the bitmap modes on the same host (16 migrations) nor with kvm_amd's
 * ring in the lab (10). docs/migration.md, "Dirty tracking".
 */
static bool ring_loses_writes(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

void kvm_dirty_setup(struct kvm_backend *k)
{
	k->dirty_mode = KVM_DIRTY_MODE_BITMAP;
	if (kvm_dirty_mode_max >= KVM_DIRTY_MODE_RING &&
	    !ring_loses_writes() && ring_enable(k))
		k->dirty_mode = KVM_DIRTY_MODE_RING;
	else if (kvm_dirty_mode_max >= KVM_DIRTY_MODE_MANUAL &&
		 manual_enable(k))
		k->dirty_mode = KVM_DIRTY_MODE_MANUAL;
}

/* Once enabled, the ring is the only log KVM keeps: failing here is fatal. */
int kvm_dirty_ring_map(struct kvm_backend *k)
{
	size_t len = k->ring_entries * sizeof(struct kvm_dirty_gfn);
	off_t off = (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * sysconf(_SC_PAGESIZE);
	void *p;

	if (k->dirty_mode != KVM_DIRTY_MODE_RING)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd,
		 off);
	if (p == MAP_FAILED) {
		mon_err("%s: mmap of the dirty ring: %s", k->path,
			strerror(errno));
		return -1;
	}
	k->ring = p;
	k->ring_next = 0;
	return 0;
}

void kvm_dirty_ring_unmap(struct kvm_backend *k)
{
	if (k->ring)
		munmap(k->ring, k->ring_entries * sizeof(struct kvm_dirty_gfn));
	k->ring = NULL;
}

int kvm_get_dirty_log(struct kvm_backend *k, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	if (ioctl(k->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
		mon_err("%s: KVM_GET_DIRTY_LOG: %s", k->path, strerror(errno));
		return -1;
	}
	return 0;
}

int kvm_clear_dirty_log(struct kvm_backend *k, uint32_t slot, uint64_t first,
			uint32_t num, uint64_t *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot,
		.num_pages = num,
		.first_page = first,
		.dirty_bitmap = bitmap,
	};

	if (ioctl(k->vm_fd, KVM_CLEAR_DIRTY_LOG, &log) < 0) {
		mon_err("%s: KVM_CLEAR_DIRTY_LOG of pages [%llu, +%u): %s",
			k->path, (unsigned long long)first, num,
			strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The ring's protocol (api.rst, KVM_CAP_DIRTY_LOG_RING): entries are
 * taken in order from where the last collection stopped while their
 * DIRTY flag is set, each marked RESET once read; KVM_RESET_DIRTY_RINGS
 * then re-arms those pages and frees the entries. Only reset entries are
 * reused, so one pass sees at most ring_entries of them.
 */
long kvm_dirty_ring_collect(struct kvm_backend *k, uint32_t slot,
			    uint64_t *bitmap, uint64_t npages)
{
	uint32_t mask = k->ring_entries - 1;
	long n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &k->ring[k->ring_next & mask];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (bitmap && e->slot == slot && e->offset < npages)
			bitmap[e->offset / 64] |= 1ull << (e->offset % 64);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		k->ring_next++;
		n++;
	}
	if (n && ioctl(k->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0) {
		mon_err("%s: KVM_RESET_DIRTY_RINGS: %s", k->path,
			strerror(errno));
		return -1;
	}
	return n;
}
