/* SPDX-License-Identifier: ISC */
/*
 * PUTS: guest console bytes to stdout, unmodified. Partial writes are
 * finished; a console nobody reads (EPIPE, closed stdout) drops the bytes
 * rather than killing the guest: the console is a log, not a device the
 * guest depends on.
 */
#include <errno.h>
#include <unistd.h>

#include "monitor.h"

static void console_write(const uint8_t *p, uint64_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

enum hc_result hc_puts(struct vm *vm, uint64_t gpa)
{
	struct hvt_hc_puts a;

	if (hc_args_in(vm, HVT_HYPERCALL_PUTS, gpa, &a, sizeof(a)) ||
	    hc_check_buffer(vm, HVT_HYPERCALL_PUTS, "console data", a.data,
			    a.len, false))
		return HC_FATAL;
	console_write(guest_ptr(&vm->mem, a.data), a.len);
	__atomic_add_fetch(&vm->counters.console_bytes, a.len,
			   __ATOMIC_RELAXED);
	return HC_CONTINUE;
}
