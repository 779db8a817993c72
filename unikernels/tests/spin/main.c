/* SPDX-License-Identifier: ISC */
/*
 * spin: says so, then runs forever without a single exit, so the monitor
 * must kick the vCPU out of KVM_RUN itself to pause or stop it.
 */
#include "skiff_sdk.h"

int main(int argc, char **argv)
{
	skiff_puts("spin\n");
	for (;;)
		__asm__ __volatile__("" ::: "memory");
}
