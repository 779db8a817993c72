/* SPDX-License-Identifier: ISC */
/* Interfaces between the SDK's own files; applications use skiff_sdk.h. */
#ifndef SKIFF_SDK_INTERNAL_H
#define SKIFF_SDK_INTERNAL_H

#include "skiff_sdk.h"

/* Linker script symbols. */
extern char __bss_start[], _end[];

/* Generated from the app's manifest description by mftgen. */
extern const char sdk_app_name[];

void sdk_start(const struct hvt_boot_info *bi) __attribute__((noreturn));
void sdk_gdt_init(void);
void sdk_idt_init(void);
void sdk_time_init(uint64_t cpu_cycle_freq);
int sdk_cmdline_split(const char *cmdline, char **argv, int max);

/* The attached manifest entry `name` of `type`, or -1. */
int sdk_mft_find(const char *name, uint32_t type,
		 const struct mft_entry **entry);
/* The entry at `handle` if it is an attached device of `type`, or NULL. */
const struct mft_entry *sdk_mft_get(int handle, uint32_t type);

#endif /* SKIFF_SDK_INTERNAL_H */
