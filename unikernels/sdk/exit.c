/* SPDX-License-Identifier: ISC */
/* Leaving the guest: HALT is the only way out under hvt. */
#include "sdk_internal.h"
#include "hypercall.h"

void skiff_halt(int status, const void *cookie)
{
	struct hvt_hc_halt arg = {
		.cookie = (uint64_t)(uintptr_t)cookie,
		.exit_status = status,
	};

	hvt_hypercall(HVT_HYPERCALL_HALT, &arg);
	/*
	 * HALT does not return; if a tender resumes us anyway, `hlt` is
	 * fatal under hvt and stops it.
	 */
	for (;;)
		__asm__ __volatile__("hlt");
}

void skiff_exit(int status)
{
	skiff_halt(status, NULL);
}

void skiff_abort(void)
{
	skiff_halt(SKIFF_EXIT_ABORT, NULL);
}

void skiff_panic(const char *fmt, ...)
{
	va_list ap;

	skiff_puts("skiff: panic: ");
	va_start(ap, fmt);
	skiff_vprintf(fmt, ap);
	va_end(ap);
	skiff_abort();
}
