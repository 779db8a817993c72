/* SPDX-License-Identifier: ISC */
/* WALLTIME: the host's CLOCK_REALTIME in nanoseconds since the epoch. */
#include <time.h>

#include "monitor.h"

enum hc_result hc_walltime(struct vm *vm, uint64_t gpa)
{
	struct hvt_hc_walltime a;
	struct timespec ts;

	if (hc_args_inout(vm, HVT_HYPERCALL_WALLTIME, gpa, &a, sizeof(a)))
		return HC_FATAL;
	clock_gettime(CLOCK_REALTIME, &ts);
	a.nsecs = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (hc_args_out(vm, HVT_HYPERCALL_WALLTIME, gpa, &a, sizeof(a)))
		return HC_FATAL;
	return HC_CONTINUE;
}
