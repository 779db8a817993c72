/* SPDX-License-Identifier: ISC */
/*
 * solo5_layout: an SDK guest linked with Solo5's program-header layout.
 * Prints what the monitor put in boot info (the test recomputes each
 * value from the ELF file and the command line), checks that its 2 MiB
 * .bss (a PT_LOAD with no file bytes, like Solo5's net buffers) is
 * usable, and prints its arguments.
 */
#include "skiff_sdk.h"

#define BIG_BSS (2UL * 1024 * 1024)

static volatile uint8_t big_bss[BIG_BSS];

int main(int argc, char **argv)
{
	const struct hvt_boot_info *bi = skiff_boot_info();
	const struct mft *m = (const struct mft *)(uintptr_t)bi->mft;
	int i;

	big_bss[0] = 1;
	big_bss[BIG_BSS - 1] = 2;
	if (big_bss[0] + big_bss[BIG_BSS - 1] != 3)
		return 3;
	skiff_printf("solo5_layout: mem_size=0x%lx kernel_end=0x%lx\n",
		     (unsigned long)bi->mem_size,
		     (unsigned long)bi->kernel_end);
	skiff_printf("solo5_layout: mft=0x%lx entries=%u cmdline=0x%lx\n",
		     (unsigned long)bi->mft, m->entries,
		     (unsigned long)bi->cmdline);
	skiff_printf("solo5_layout: cmdline \"%s\"\n",
		     (const char *)(uintptr_t)bi->cmdline);
	for (i = 1; i < argc; i++)
		skiff_printf("solo5_layout: arg %d: %s\n", i, argv[i]);
	return 0;
}
