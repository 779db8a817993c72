/* SPDX-License-Identifier: ISC */
/* Waiting: the POLL hypercall blocks until net input or a timeout. */
#include "sdk_internal.h"
#include "hypercall.h"

int skiff_poll(uint64_t timeout_ns, uint64_t *ready_set)
{
	struct hvt_hc_poll arg = { .timeout_nsecs = timeout_ns };

	hvt_hypercall(HVT_HYPERCALL_POLL, &arg);
	if (ready_set)
		*ready_set = arg.ready_set;
	return arg.ret;
}

void skiff_sleep_ns(uint64_t ns)
{
	uint64_t deadline = skiff_monotonic_ns() + ns;
	uint64_t now;

	/* POLL returns early when a net device has input: wait again. */
	while ((now = skiff_monotonic_ns()) < deadline)
		skiff_poll(deadline - now, NULL);
}
