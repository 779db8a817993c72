/* SPDX-License-Identifier: ISC */
/* Console output through the PUTS hypercall (the monitor's stdout). */
#include "sdk_internal.h"
#include "hypercall.h"

void skiff_console_write(const char *buf, size_t len)
{
	struct hvt_hc_puts arg = {
		.data = (uint64_t)(uintptr_t)buf,
		.len = len,
	};

	if (len == 0)
		return;
	hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
}

void skiff_puts(const char *s)
{
	skiff_console_write(s, strlen(s));
}
