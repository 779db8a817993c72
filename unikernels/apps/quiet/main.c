/* SPDX-License-Identifier: ISC */
/* quiet: prints nothing and exits 0 at once (boot-time benchmark). */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	return 0;
}
