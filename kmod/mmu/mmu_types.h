/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place the MMU core reaches outside itself for types and
 * memory helpers: linux/types.h in the module, libc in the harness.
 */
#ifndef SKIFF_MMU_TYPES_H
#define SKIFF_MMU_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#endif

#endif
