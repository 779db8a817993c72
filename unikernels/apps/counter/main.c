/* SPDX-License-Identifier: ISC */
/* counter: prints "tick N" (N = 1, 2, ...) once a second until killed. */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	uint64_t next = skiff_monotonic_ns();
	uint64_t n, now;

	for (n = 1;; n++) {
		skiff_printf("tick %lu\n", (unsigned long)n);
		/* Against a deadline, so the ticks do not drift. */
		next += SKIFF_NSEC_PER_SEC;
		now = skiff_monotonic_ns();
		if (next > now)
			skiff_sleep_ns(next - now);
	}
}
