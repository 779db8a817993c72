/* SPDX-License-Identifier: ISC */
/*
 * time: checks the clocks.
 *  1. SAMPLES monotonic readings never go back (nor do the raw TSC's).
 *  2. Sleeping SLEEP_MS through POLL advances both clocks by about that
 *     much: this checks the TSC scaling against the host's clock.
 *  3. Prints the wall clock, which the Bats test compares with the host.
 * Exits 3 if the guest itself sees a clock go back.
 */
#include "skiff_sdk.h"

#define SAMPLES		1000
#define SLEEP_MS	200
#define NS_PER_MS	1000000ULL

static int check_monotonic(void)
{
	uint64_t prev = skiff_monotonic_ns(), prev_tsc = skiff_rdtsc();
	uint64_t now, tsc;
	int i;

	for (i = 0; i < SAMPLES; i++) {
		now = skiff_monotonic_ns();
		tsc = skiff_rdtsc();
		if (now < prev || tsc < prev_tsc) {
			skiff_printf("time: clock went back: %lu < %lu\n",
				     (unsigned long)now, (unsigned long)prev);
			return -1;
		}
		prev = now;
		prev_tsc = tsc;
	}
	skiff_printf("time: monotonic ok (%d samples)\n", SAMPLES);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t m0, m1, w0, w1, wall;

	if (check_monotonic())
		return 3;

	m0 = skiff_monotonic_ns();
	w0 = skiff_walltime_ns();
	skiff_sleep_ns(SLEEP_MS * NS_PER_MS);
	m1 = skiff_monotonic_ns();
	w1 = skiff_walltime_ns();
	if (m1 < m0 || w1 < w0) {
		skiff_puts("time: clock went back across a sleep\n");
		return 3;
	}
	skiff_printf("time: slept %d ms: monotonic +%lu ms, wall +%lu ms\n",
		     SLEEP_MS, (unsigned long)((m1 - m0) / NS_PER_MS),
		     (unsigned long)((w1 - w0) / NS_PER_MS));

	wall = skiff_walltime_ns();
	skiff_printf("time: wall %lu.%09lu\n",
		     (unsigned long)(wall / SKIFF_NSEC_PER_SEC),
		     (unsigned long)(wall % SKIFF_NSEC_PER_SEC));
	return 0;
}
