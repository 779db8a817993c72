/* SPDX-License-Identifier: ISC */
/*
 * fault CASE: dies in the way CASE names. CPU exceptions are caught by
 * the SDK's IDT (one trap line, then halt 255 with the trap frame as
 * cookie); write_text is stopped by the monitor (text is read-only on
 * the host side), with exit 1.
 */
#include "skiff_sdk.h"

static volatile uint64_t sink;

/* Addresses go through a volatile so the compiler cannot see them. */
static volatile uintptr_t null_addr;

static volatile uint64_t *at(uintptr_t addr)
{
	return (volatile uint64_t *)(addr + null_addr);
}

static void do_abort(void)
{
	skiff_abort();
}

static void do_ud2(void)
{
	__asm__ __volatile__("ud2");
}

static void do_div0(void)
{
	uint32_t zero = 0;

	__asm__ __volatile__("xorl %%edx, %%edx\n\t"
			     "movl $1, %%eax\n\t"
			     "divl %0" : : "r"(zero) : "eax", "edx");
}

static void do_null_read(void)
{
	sink = *at(0);
}

static void do_null_write(void)
{
	*at(8) = 1;
}

static void do_noncanonical(void)
{
	sink = *at(0x8000000000000000ULL);
}

static void do_bootinfo_write(void)
{
	/* The boot-info page is mapped read-only in the guest's tables. */
	*at((uintptr_t)skiff_boot_info()) = 0;
}

static void do_beyond_memory(void)
{
	/* Past mem_size (rounded to the 2 MiB mapping) nothing is mapped. */
	uint64_t top = (skiff_boot_info()->mem_size + 0x1fffff) & ~0x1fffffULL;

	sink = *at(top + 0x200000);
}

static void do_write_text(void)
{
	/* Mapped RW by the guest's tables, read-only on the host side. */
	*(volatile uint8_t *)(uintptr_t)&do_ud2 = 0xcc;
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
	{ "abort", do_abort },
	{ "ud2", do_ud2 },
	{ "div0", do_div0 },
	{ "null_read", do_null_read },
	{ "null_write", do_null_write },
	{ "noncanonical", do_noncanonical },
	{ "bootinfo_write", do_bootinfo_write },
	{ "beyond_memory", do_beyond_memory },
	{ "write_text", do_write_text },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc == 2 && i < SKIFF_ARRAY_SIZE(cases); i++) {
		if (strcmp(argv[1], cases[i].name))
			continue;
		skiff_printf("fault: %s\n", cases[i].name);
		cases[i].fn();
		skiff_printf("fault: %s did not fault\n", cases[i].name);
		return 3;
	}
	skiff_puts("usage: fault CASE\n");
	return 2;
}
