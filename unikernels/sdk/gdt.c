/* SPDX-License-Identifier: ISC */
/*
 * Our own GDT. The monitor's boot GDT sits at 0x1000, which the boot page
 * tables leave unmapped: the first exception delivery (which reads the
 * CS descriptor through the GDTR's linear address) would fault again and
 * end in a triple fault. Selectors stay the same: code 0x08, data 0x10.
 */
#include "sdk_internal.h"

#define GDT_CODE_SEL	0x08
#define GDT_DATA_SEL	0x10

/* Accessed bits preset so the CPU never writes to the table. */
static uint64_t gdt[3] __attribute__((aligned(16))) = {
	0,
	0x00af9b000000ffffULL,	/* 64-bit code, DPL 0 */
	0x00cf93000000ffffULL,	/* data, read/write, DPL 0 */
};

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void sdk_gdt_init(void)
{
	struct gdt_ptr ptr = {
		.limit = sizeof(gdt) - 1,
		.base = (uint64_t)(uintptr_t)gdt,
	};

	/*
	 * Reload every segment register from the new table; CS needs a
	 * far return.
	 */
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"movw %w1, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"movw %%ax, %%fs\n\t"
		"movw %%ax, %%gs\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:"
		: : "m"(ptr), "r"((uint32_t)GDT_DATA_SEL),
		    "i"(GDT_CODE_SEL)
		: "rax", "memory");
}
