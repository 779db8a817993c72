/* SPDX-License-Identifier: ISC */
/*
 * fpu: deliberately uses SSE (built without -mgeneral-regs-only):
 * stmxcsr, and a packed multiply (mulps). On real KVM it prints the
 * MXCSR (0x1f80 after reset) and a sum, and exits 0. Nested PVM cannot
 * emulate these instructions, and the monitor stops the guest instead.
 */
#include "skiff_sdk.h"

typedef float v4sf __attribute__((vector_size(16)));

int main(int argc, char **argv)
{
	volatile v4sf a = { 1.5f, 2.0f, 3.0f, 4.0f };
	volatile v4sf b = { 2.0f, 2.5f, 3.0f, 0.5f };
	uint32_t mxcsr;
	v4sf c;

	skiff_puts("fpu: start\n");
	__asm__ __volatile__("stmxcsr %0" : "=m"(mxcsr));
	c = a * b;
	skiff_printf("fpu: mxcsr=0x%x sum=%d\n", mxcsr,
		     (int)(c[0] + c[1] + c[2] + c[3]));
	return 0;
}
