/* SPDX-License-Identifier: ISC */
/*
 * Time. Monotonic time comes only from the TSC (the hvt ABI offers no
 * paravirtual clock), scaled with the boot info's cpu_cycle_freq:
 * ns = (cycles * mult) >> 32 with mult = (10^9 << 32) / freq. The product
 * is taken in 128 bits, so it cannot overflow; the result wraps only
 * after 2^64 ns (584 years). Wall time is the WALLTIME hypercall.
 */
#include "sdk_internal.h"
#include "hypercall.h"

#define TSC_SHIFT 32

static uint64_t tsc_base;
static uint64_t tsc_mult;

uint64_t skiff_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void sdk_time_init(uint64_t cpu_cycle_freq)
{
	if (cpu_cycle_freq == 0)
		skiff_panic("boot info has no TSC frequency\n");
	/* 10^9 << 32 is below 2^63, so this division cannot overflow. */
	tsc_mult = (SKIFF_NSEC_PER_SEC << TSC_SHIFT) / cpu_cycle_freq;
	tsc_base = skiff_rdtsc();
}

uint64_t skiff_monotonic_ns(void)
{
	uint64_t cycles = skiff_rdtsc() - tsc_base;

	return (uint64_t)(((__uint128_t)cycles * tsc_mult) >> TSC_SHIFT);
}

uint64_t skiff_walltime_ns(void)
{
	struct hvt_hc_walltime arg = { 0 };

	hvt_hypercall(HVT_HYPERCALL_WALLTIME, &arg);
	return arg.nsecs;
}
