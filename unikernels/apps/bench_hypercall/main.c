/* SPDX-License-Identifier: ISC */
/*
 * bench_hypercall N: N WALLTIME hypercalls (the cheapest round trip
 * through the monitor), then exit 0 without printing. For bench/hypercall.
 */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	uint64_t n, i;

	if (argc != 2 || !skiff_parse_u64(argv[1], &n)) {
		skiff_puts("usage: bench_hypercall N\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		skiff_walltime_ns();
	return 0;
}
