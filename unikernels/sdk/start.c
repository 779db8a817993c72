/* SPDX-License-Identifier: ISC */
/* C entry: set up the CPU tables, the clock and argv, then run main(). */
#include "sdk_internal.h"

#define SDK_MAX_ARGS 128

static const struct hvt_boot_info *boot_info;

const struct hvt_boot_info *skiff_boot_info(void)
{
	return boot_info;
}

static void check_memory(const struct hvt_boot_info *bi)
{
	/*
	 * A tender skips PT_LOADs without file bytes, so nothing outside
	 * this image checks that .bss fits in guest memory: do it here.
	 */
	if ((uintptr_t)_end + SKIFF_STACK_SIZE > bi->mem_size)
		skiff_panic("not enough memory: image ends at 0x%lx, mem_size 0x%lx\n",
			    (unsigned long)(uintptr_t)_end,
			    (unsigned long)bi->mem_size);
}

void sdk_start(const struct hvt_boot_info *bi)
{
	static char *argv[SDK_MAX_ARGS + 1];
	int argc;

	/* First, as .bss itself may lie past the end of memory. */
	check_memory(bi);
	/*
	 * Guest RAM starts zeroed, but zero .bss anyway: cheap, and it
	 * does not depend on how a loader treats the .bss segment.
	 */
	memset(__bss_start, 0, (size_t)(_end - __bss_start));
	boot_info = bi;
	sdk_gdt_init();
	sdk_idt_init();
	sdk_time_init(bi->cpu_cycle_freq);

	argv[0] = (char *)sdk_app_name;
	argc = 1 + sdk_cmdline_split((const char *)(uintptr_t)bi->cmdline,
				     argv + 1, SDK_MAX_ARGS - 1);
	argv[argc] = NULL;
	skiff_exit(main(argc, argv));
}
