/* SPDX-License-Identifier: ISC */
/* hello: greets, then prints each argument on a line of its own. */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	int i;

	skiff_printf("Hello, world! (%s)\n", argv[0]);
	for (i = 1; i < argc; i++)
		skiff_printf("arg %d: %s\n", i, argv[i]);
	return 0;
}
