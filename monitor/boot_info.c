/* SPDX-License-Identifier: ISC */
/*
 * What the guest finds at 0x10000 (HVT_ABI.md §2.3 and §3): boot info,
 * then the manifest as attached, then the command line. skiff offers no
 * shared-memory net ring, so host_features and net_ring stay 0 and guests
 * use the NET_READ/NET_WRITE hypercalls, which the ABI allows.
 */
#include <string.h>

#include "monitor.h"

int boot_info_write(struct vm *vm, const struct elf_image *img,
		    const char *cmdline, uint64_t tsc_hz)
{
	struct guest_mem *m = &vm->mem;
	uint64_t mft_gpa = X86_BOOT_INFO_GPA + sizeof(struct hvt_boot_info);
	uint64_t mft_len = manifest_size(&vm->mft);
	uint64_t cmd_gpa = mft_gpa + mft_len;
	struct hvt_boot_info bi = {
		.mem_size = m->size,
		.kernel_end = img->kernel_end,
		.cpu_cycle_freq = tsc_hz,
		.cmdline = cmd_gpa,
		.mft = mft_gpa,
	};
	struct mft hdr = { .version = MFT_VERSION, .entries = vm->mft.entries };
	size_t cmd_len = strlen(cmdline) + 1;

	if (cmd_gpa + HVT_CMDLINE_SIZE > HVT_GUEST_MIN_BASE ||
	    cmd_len > HVT_CMDLINE_SIZE) {
		mon_err("boot info does not fit below 0x%llx",
			(unsigned long long)HVT_GUEST_MIN_BASE);
		return -1;
	}
	memcpy(guest_ptr(m, X86_BOOT_INFO_GPA), &bi, sizeof(bi));
	memcpy(guest_ptr(m, mft_gpa), &hdr, sizeof(hdr));
	memcpy(guest_ptr(m, mft_gpa + sizeof(struct mft)), vm->mft.e,
	       vm->mft.entries * sizeof(struct mft_entry));
	memcpy(guest_ptr(m, cmd_gpa), cmdline, cmd_len);
	/* Before the guest runs, but a write of the monitor's like any. */
	guest_mem_mark_written(m, X86_BOOT_INFO_GPA,
			       cmd_gpa + cmd_len - X86_BOOT_INFO_GPA);
	return 0;
}
