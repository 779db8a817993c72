/* SPDX-License-Identifier: ISC */
/*
 * Dirty tracking for live migration: which guest pages were written since
 * the last look. One interface over the device's log, in whichever mode
 * kvm_open() chose (kvm_dirty.c), merged with the pages the monitor wrote
 * itself, which no device sees (guest_memory.c).
 *
 * Logging is on only between dirty_log_start() and dirty_log_stop(): the
 * memory slot carries KVM_MEM_LOG_DIRTY_PAGES only then, so a VM that is
 * not migrating keeps its large pages and never faults for the log.
 *
 * The migration thread harvests while the vCPU runs; the vCPU thread
 * empties a full ring itself (dirty_log_ring_full()). The lock makes them
 * take turns: the ring has one reader, and its pages wait in d->bits
 * until the next harvest. It is a single lock because a monitor runs a
 * single VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define LOG_SLOT	0		/* main.c's one memory slot */
#define CLEAR_CHUNK	4096u		/* pages per KVM_CLEAR_DIRTY_LOG */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

size_t dirty_log_bitmap_words(const struct vm *vm)
{
	return (vm->mem.size / GUEST_PAGE_SIZE + 63) / 64;
}

static uint64_t log_pages(const struct vm *vm)
{
	return vm->mem.size / GUEST_PAGE_SIZE;
}

const char *dirty_log_mode(const struct vm *vm)
{
	switch (vm->kvm.dirty_mode) {
	case KVM_DIRTY_MODE_RING:
		return "ring";
	case KVM_DIRTY_MODE_MANUAL:
		return "bitmap-manual";
	default:
		return "bitmap";
	}
}

static int slot_log(struct vm *vm, bool on)
{
	return kvm_set_memory(&vm->kvm, LOG_SLOT, 0, vm->mem.size,
			      vm->mem.kvm_view,
			      on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

static bool any_set(const uint64_t *w, size_t n)
{
	while (n--)
		if (*w++)
			return true;
	return false;
}

/*
 * Re-arm the pages set in @bits a chunk at a time: KVM holds its MMU lock
 * for one call, so the vCPU's faults get in between chunks. Clean chunks
 * cost nothing.
 */
static int clear_chunks(struct vm *vm, uint64_t *bits)
{
	uint64_t npages = log_pages(vm), first, num;

	for (first = 0; first < npages; first += num) {
		num = npages - first < CLEAR_CHUNK ? npages - first :
						     CLEAR_CHUNK;
		if (!any_set(bits + first / 64, (num + 63) / 64))
			continue;
		if (kvm_clear_dirty_log(&vm->kvm, LOG_SLOT, first, num,
					bits + first / 64))
			return -1;
	}
	return 0;
}

/* INITIALLY_SET reports every page until cleared: start from clean. */
static int rearm_all(struct vm *vm)
{
	uint64_t *ones = vm->dirty.scratch;

	memset(ones, 0xff, dirty_log_bitmap_words(vm) * sizeof(*ones));
	return clear_chunks(vm, ones);
}

/* OR @from into @to; clear @from too if asked. */
static void bits_or(uint64_t *to, uint64_t *from, size_t words, bool clear)
{
	size_t i;

	for (i = 0; i < words; i++) {
		to[i] |= from[i];
		if (clear)
			from[i] = 0;
	}
}

static void bits_free(struct dirty_log *d)
{
	free(d->bits);
	free(d->scratch);
	d->bits = d->scratch = NULL;
}

int dirty_log_start(struct vm *vm)
{
	struct dirty_log *d = &vm->dirty;
	int rc = -1;

	pthread_mutex_lock(&lock);
	if (d->on) {
		mon_err("dirty log: already on");
		goto out;
	}
	d->bits = calloc(dirty_log_bitmap_words(vm), sizeof(*d->bits));
	d->scratch = calloc(dirty_log_bitmap_words(vm), sizeof(*d->scratch));
	if (!d->bits || !d->scratch) {
		mon_err("dirty log: bitmaps: %s", strerror(ENOMEM));
		goto err_bits;
	}
	if (guest_mem_log_start(&vm->mem))
		goto err_bits;
	/* Entries an earlier logging session left behind are stale. */
	if (vm->kvm.dirty_mode == KVM_DIRTY_MODE_RING &&
	    kvm_dirty_ring_collect(&vm->kvm, LOG_SLOT, NULL, 0) < 0)
		goto err_marks;
	if (slot_log(vm, true))
		goto err_marks;
	if (vm->kvm.dirty_init_set && rearm_all(vm))
		goto err_slot;
	d->on = true;
	rc = 0;
	goto out;
err_slot:
	slot_log(vm, false);
err_marks:
	guest_mem_log_stop(&vm->mem);
err_bits:
	bits_free(d);
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

/*
 * The device's part of a harvest, into d->bits, re-armed before the
 * caller copies the pages (a write after the copy is logged again). On
 * failure nothing is lost: what the device reported waits in d->bits,
 * the rest in the device, for the next harvest.
 */
static int harvest_device(struct vm *vm)
{
	struct kvm_backend *k = &vm->kvm;
	struct dirty_log *d = &vm->dirty;
	size_t words = dirty_log_bitmap_words(vm);

	if (k->dirty_mode == KVM_DIRTY_MODE_RING)
		return kvm_dirty_ring_collect(k, LOG_SLOT, d->bits,
					      log_pages(vm)) < 0 ? -1 : 0;
	if (kvm_get_dirty_log(k, LOG_SLOT, d->scratch))
		return -1;
	bits_or(d->bits, d->scratch, words, false);
	if (k->dirty_mode == KVM_DIRTY_MODE_MANUAL)
		return clear_chunks(vm, d->scratch);
	return 0;
}

int dirty_log_harvest(struct vm *vm, uint64_t *bitmap)
{
	struct dirty_log *d = &vm->dirty;
	int rc = -1;

	pthread_mutex_lock(&lock);
	if (!d->on) {
		mon_err("dirty log: harvest while logging is off");
		goto out;
	}
	if (harvest_device(vm))
		goto out;
	bits_or(bitmap, d->bits, dirty_log_bitmap_words(vm), true);
	guest_mem_log_take(&vm->mem, bitmap);
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

void dirty_log_stop(struct vm *vm)
{
	struct dirty_log *d = &vm->dirty;

	pthread_mutex_lock(&lock);
	if (!d->on)
		goto out;
	if (vm->kvm.dirty_mode == KVM_DIRTY_MODE_RING)
		kvm_dirty_ring_collect(&vm->kvm, LOG_SLOT, NULL, 0);
	if (slot_log(vm, false))
		mon_warn("dirty log: the slot still logs (see above)");
	guest_mem_log_stop(&vm->mem);
	bits_free(d);
	d->on = false;
out:
	pthread_mutex_unlock(&lock);
}

/*
 * On the vCPU thread: keep the ring's pages for the next harvest (drop
 * them if logging has just stopped) so that KVM_RUN can go on.
 */
int dirty_log_ring_full(struct vm *vm)
{
	struct dirty_log *d = &vm->dirty;
	long n;

	if (vm->kvm.dirty_mode != KVM_DIRTY_MODE_RING) {
		mon_err("%s: dirty ring full, but no ring was enabled",
			vm->kvm.path);
		return -1;
	}
	pthread_mutex_lock(&lock);
	n = kvm_dirty_ring_collect(&vm->kvm, LOG_SLOT, d->on ? d->bits : NULL,
				   log_pages(vm));
	pthread_mutex_unlock(&lock);
	__atomic_add_fetch(&d->ring_full_exits, 1, __ATOMIC_RELAXED);
	return n < 0 ? -1 : 0;
}
