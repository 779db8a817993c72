/* SPDX-License-Identifier: ISC */
/*
 * Hypercalls: a 32-bit OUT to port 0x500 + nr carrying the guest-physical
 * address of an argument struct. This file owns the one place where port
 * accesses are validated and the one place where guest pointers become
 * host pointers; the handlers in the device files only ever see structs
 * copied in through hc_args_in() and buffers passed by hc_check_buffer().
 *
 * It is also where the monitor's writes into guest memory are marked
 * dirty for a migration: every range a handler may write passes through
 * hc_check_buffer(..., true) or hc_args_out(), which note it, and
 * hypercall_dispatch() marks the notes once the handler has returned.
 * Marking at the check, before the data lands, would let a harvest in
 * between re-arm the page and miss the write.
 */
#include <string.h>

#include "monitor.h"

static hypercall_fn table[HVT_HYPERCALL_MAX];

static const char *const names[HVT_HYPERCALL_MAX] = {
	[0] = "reserved",
	[HVT_HYPERCALL_WALLTIME] = "WALLTIME",
	[HVT_HYPERCALL_PUTS] = "PUTS",
	[HVT_HYPERCALL_POLL] = "POLL",
	[HVT_HYPERCALL_BLOCK_WRITE] = "BLOCK_WRITE",
	[HVT_HYPERCALL_BLOCK_READ] = "BLOCK_READ",
	[HVT_HYPERCALL_NET_WRITE] = "NET_WRITE",
	[HVT_HYPERCALL_NET_READ] = "NET_READ",
	[HVT_HYPERCALL_HALT] = "HALT",
};

const char *hypercall_name(unsigned int nr)
{
	return nr < HVT_HYPERCALL_MAX ? names[nr] : "unknown";
}

static bool have_device(const struct vm *vm, uint32_t type)
{
	uint32_t i;

	for (i = 1; i < vm->mft.entries; i++)
		if (vm->dev[i].type == type)
			return true;
	return false;
}

/* Block and net calls exist only when such a device is attached. */
void hypercalls_init(struct vm *vm)
{
	memset(table, 0, sizeof(table));
	table[HVT_HYPERCALL_WALLTIME] = hc_walltime;
	table[HVT_HYPERCALL_PUTS] = hc_puts;
	table[HVT_HYPERCALL_POLL] = hc_poll;
	table[HVT_HYPERCALL_HALT] = hc_halt;
	if (have_device(vm, MFT_DEV_BLOCK_BASIC)) {
		table[HVT_HYPERCALL_BLOCK_WRITE] = hc_block_write;
		table[HVT_HYPERCALL_BLOCK_READ] = hc_block_read;
	}
	if (have_device(vm, MFT_DEV_NET_BASIC)) {
		table[HVT_HYPERCALL_NET_WRITE] = hc_net_write;
		table[HVT_HYPERCALL_NET_READ] = hc_net_read;
	}
}

/* Note a range the handler may write (no wrap: checked by the caller). */
static void hc_writes_note(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct hc_writes *w = &vm->hc_writes;
	struct guest_range *last;
	unsigned int i;

	if (!len)
		return;
	for (i = 0; i < w->n; i++)
		if (w->r[i].start == gpa && w->r[i].end == gpa + len)
			return;
	if (w->n < HC_WRITES_MAX) {
		w->r[w->n].start = gpa;
		w->r[w->n++].end = gpa + len;
		return;
	}
	/* No handler writes more than two ranges: widen rather than forget. */
	last = &w->r[HC_WRITES_MAX - 1];
	if (gpa < last->start)
		last->start = gpa;
	if (gpa + len > last->end)
		last->end = gpa + len;
}

static void hc_writes_mark(struct vm *vm)
{
	struct hc_writes *w = &vm->hc_writes;
	unsigned int i;

	for (i = 0; i < w->n; i++)
		guest_mem_mark_written(&vm->mem, w->r[i].start,
				       w->r[i].end - w->r[i].start);
	w->n = 0;
}

enum hc_result hypercall_dispatch(struct vm *vm, uint16_t port, uint8_t dir,
				  uint8_t size, uint32_t count,
				  const void *data)
{
	enum hc_result r;
	unsigned int nr;
	uint32_t gpa;

	if (dir != KVM_EXIT_IO_OUT || size != 4 || count != 1 ||
	    port < HVT_HYPERCALL_PIO_BASE ||
	    port >= HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX) {
		mon_err("invalid guest port access: %s of %u byte(s) x%u at port 0x%x",
			dir == KVM_EXIT_IO_OUT ? "out" : "in", size, count,
			port);
		return HC_FATAL;
	}
	nr = port - HVT_HYPERCALL_PIO_BASE;
	if (!table[nr]) {
		mon_err("invalid hypercall: number %u (%s)%s", nr,
			hypercall_name(nr),
			nr ? ": no such device attached" : "");
		return HC_FATAL;
	}
	memcpy(&gpa, data, sizeof(gpa));
	__atomic_add_fetch(&vm->counters.hypercalls[nr], 1, __ATOMIC_RELAXED);
	r = table[nr](vm, gpa);
	hc_writes_mark(vm);
	return r;
}

int hc_args_in(struct vm *vm, unsigned int nr, uint64_t gpa, void *args,
	       size_t size)
{
	if (!guest_range_ok(&vm->mem, gpa, size)) {
		mon_err("hypercall %s: invalid guest access: argument struct at 0x%llx (+%zu) outside guest memory (0x%llx bytes)",
			hypercall_name(nr), (unsigned long long)gpa, size,
			(unsigned long long)vm->mem.size);
		return -1;
	}
	memcpy(args, guest_ptr(&vm->mem, gpa), size);
	return 0;
}

int hc_args_inout(struct vm *vm, unsigned int nr, uint64_t gpa, void *args,
		  size_t size)
{
	if (hc_args_in(vm, nr, gpa, args, size))
		return -1;
	return hc_check_buffer(vm, nr, "argument struct", gpa, size, true);
}

int hc_args_out(struct vm *vm, unsigned int nr, uint64_t gpa,
		const void *args, size_t size)
{
	if (!guest_range_writable(&vm->mem, gpa, size)) {
		mon_err("hypercall %s: invalid guest access: argument struct at 0x%llx (+%zu) is not writable guest memory",
			hypercall_name(nr), (unsigned long long)gpa, size);
		return -1;
	}
	memcpy(guest_ptr(&vm->mem, gpa), args, size);
	hc_writes_note(vm, gpa, size);
	return 0;
}

int hc_check_buffer(struct vm *vm, unsigned int nr, const char *what,
		    uint64_t gpa, uint64_t len, bool guest_writes_into)
{
	const struct guest_mem *m = &vm->mem;

	if (!guest_range_ok(m, gpa, len)) {
		mon_err("hypercall %s: invalid guest access: %s [0x%llx, +0x%llx) outside guest memory (0x%llx bytes)",
			hypercall_name(nr), what, (unsigned long long)gpa,
			(unsigned long long)len, (unsigned long long)m->size);
		return -1;
	}
	if (guest_writes_into && !guest_range_writable(m, gpa, len)) {
		mon_err("hypercall %s: invalid guest access: %s [0x%llx, +0x%llx) is read-only guest memory",
			hypercall_name(nr), what, (unsigned long long)gpa,
			(unsigned long long)len);
		return -1;
	}
	if (guest_writes_into)
		hc_writes_note(vm, gpa, len);
	return 0;
}
