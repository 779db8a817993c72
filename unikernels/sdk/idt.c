/* SPDX-License-Identifier: ISC */
/*
 * The IDT: interrupt gates for the 32 exception vectors, all leading to
 * sdk_trap(). No external interrupts exist under hvt (no irqchip), so
 * vectors 32 and up are left not-present.
 */
#include "sdk_internal.h"

#define IDT_EXCEPTIONS	32
#define IDT_GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define IDT_CODE_SEL	0x08

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "idt gate size");

extern const uint64_t sdk_trap_stubs[IDT_EXCEPTIONS];

static struct idt_gate idt[IDT_EXCEPTIONS] __attribute__((aligned(16)));

static void idt_set_gate(struct idt_gate *g, uint64_t handler)
{
	g->offset_lo = handler & 0xffff;
	g->selector = IDT_CODE_SEL;
	g->ist = 0;
	g->type_attr = IDT_GATE_INTR;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_hi = handler >> 32;
	g->reserved = 0;
}

void sdk_idt_init(void)
{
	struct idt_ptr ptr = {
		.limit = sizeof(idt) - 1,
		.base = (uint64_t)(uintptr_t)idt,
	};
	int i;

	for (i = 0; i < IDT_EXCEPTIONS; i++)
		idt_set_gate(&idt[i], sdk_trap_stubs[i]);
	__asm__ __volatile__("lidt %0" : : "m"(ptr) : "memory");
}
