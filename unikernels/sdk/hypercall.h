/* SPDX-License-Identifier: ISC */
/*
 * The hvt hypercall instruction: `outl` of the argument struct's
 * guest-physical address (identity mapped, so its address) to port
 * 0x500 + nr. The "memory" clobber is the barrier the ABI asks for: the
 * struct is written before the exit and its OUT fields read after it.
 */
#ifndef SKIFF_HYPERCALL_H
#define SKIFF_HYPERCALL_H

#include <stdint.h>
#include "hvt_abi.h"

static inline void hvt_hypercall_gpa(unsigned int nr, uint32_t gpa)
{
	uint16_t port = (uint16_t)(HVT_HYPERCALL_PIO_BASE + nr);

	__asm__ __volatile__("outl %0, %1" : : "a"(gpa), "Nd"(port) : "memory");
}

static inline void hvt_hypercall(unsigned int nr, volatile void *arg)
{
	/* All of guest RAM sits below 4 GiB, so the low 32 bits suffice. */
	hvt_hypercall_gpa(nr, (uint32_t)(uintptr_t)arg);
}

#endif /* SKIFF_HYPERCALL_H */
