/* SPDX-License-Identifier: ISC */
/*
 * exit STATUS: halts with STATUS, any int (the monitor's exit code is
 * STATUS mod 256). Prints the status it was given first.
 */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	uint64_t status;

	if (argc != 2 || !skiff_parse_u64(argv[1], &status) ||
	    status > INT32_MAX) {
		skiff_puts("usage: exit STATUS (0..2147483647)\n");
		return 2;
	}
	skiff_printf("exit: status %d\n", (int)status);
	skiff_exit((int)status);
}
