/* SPDX-License-Identifier: ISC */
/*
 * CPU state the test needs beyond what the SDK sets up: CR3 and INVLPG,
 * EFER.NXE where the CPU has NX, and the segments and TSS that let the
 * guest drop to CPL 3 (U/S only matters to user accesses: without SMEP
 * or SMAP, supervisor code may touch user pages).
 */
#include "torture.h"

#define MSR_EFER	0xc0000080u
#define EFER_NXE	(1ULL << 11)
#define CPUID_NX	(1u << 20)	/* 0x80000001 EDX */

#define TSS_SEL		0x28

bool nx_on;

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "tss size");

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss64 tss;
static uint64_t gdt[7] __attribute__((aligned(16)));
/* Where a trap from CPL 3 lands: not the stack user_call() left. */
static uint8_t trap_stack[16384] __attribute__((aligned(16)));

void write_cr3(uint64_t pa)
{
	__asm__ __volatile__("movq %0, %%cr3" : : "r"(pa) : "memory");
}

void cr3_reload(void)
{
	uint64_t cr3;

	__asm__ __volatile__("movq %%cr3, %0" : "=r"(cr3));
	write_cr3(cr3);
}

void invlpg(uint64_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(0));
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ __volatile__("wrmsr"
			     : : "c"(msr), "a"((uint32_t)val),
			       "d"((uint32_t)(val >> 32)));
}

/* The monitor leaves EFER.NXE clear; set it if the CPU has NX. */
void nx_enable(void)
{
	uint32_t r[4];

	cpuid(0x80000000, r);
	if (r[0] < 0x80000001)
		return;
	cpuid(0x80000001, r);
	if (!(r[3] & CPUID_NX))
		return;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	nx_on = true;
}

static void tss_descriptor(uint64_t *d, uintptr_t base)
{
	d[0] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 |
	       0x89ULL << 40 |			/* present, 64-bit TSS */
	       (uint64_t)((base >> 24) & 0xff) << 56;
	d[1] = base >> 32;
}

/*
 * Our own GDT: the SDK's two kernel segments at the same selectors,
 * user data and 64-bit code (DPL 3), and a TSS whose RSP0 is the stack
 * traps from CPL 3 run on. Accessed bits preset: the CPU never writes
 * the table but for the TSS busy bit.
 */
void ring3_init(void)
{
	struct gdt_ptr ptr = {
		.limit = sizeof(gdt) - 1,
		.base = (uintptr_t)gdt,
	};

	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08 kernel code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10 kernel data */
	gdt[3] = 0x00cff3000000ffffULL;		/* 0x18 user data */
	gdt[4] = 0x00affb000000ffffULL;		/* 0x20 user code */
	tss_descriptor(&gdt[5], (uintptr_t)&tss);
	tss.rsp[0] = (uintptr_t)trap_stack + sizeof(trap_stack);
	tss.iomap_base = sizeof(tss);
	__asm__ __volatile__("lgdt %0\n\t"
			     "ltr %w1"
			     : : "m"(ptr), "r"(TSS_SEL) : "memory");
}
