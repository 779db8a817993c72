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

/* Returns the bytes that reached stdout. */
static uint64_t console_write(const uint8_t *p, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	return done;
}

/*
 * Where the console log stands, for a migration's destination: the
 * log's offset of our first byte plus what reached the log since (bytes
 * dropped on a write error never reached it).
 */
uint64_t console_log_offset(struct vm *vm, const struct migrate_params *p)
{
	uint64_t origin = p->has_console_offset ? p->console_offset :
			  vm->console_origin;

	return origin + __atomic_load_n(&vm->console_written,
					__ATOMIC_RELAXED);
}

enum hc_result hc_puts(struct vm *vm, uint64_t gpa)
{
	struct hvt_hc_puts a;

	if (hc_args_in(vm, HVT_HYPERCALL_PUTS, gpa, &a, sizeof(a)) ||
	    hc_check_buffer(vm, HVT_HYPERCALL_PUTS, "console data", a.data,
			    a.len, false))
		return HC_FATAL;
	__atomic_add_fetch(&vm->console_written,
			   console_write(guest_ptr(&vm->mem, a.data), a.len),
			   __ATOMIC_RELAXED);
	__atomic_add_fetch(&vm->counters.console_bytes, a.len,
			   __ATOMIC_RELAXED);
	return HC_CONTINUE;
}
