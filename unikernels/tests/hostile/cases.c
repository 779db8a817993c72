/* SPDX-License-Identifier: ISC */
/*
 * Hostile cases that need no device: bad pointers and lengths, bad
 * hypercall numbers, bad port accesses, hlt, triple fault, bad cookies.
 * Memory at the very top of RAM ([mem_size - 16, mem_size)) is free to
 * scribble on: the entry code aligns the stack below it.
 */
#include "hostile.h"
#include "hypercall.h"

static const char msg[] = "hostile payload\n";

static volatile void *top_of_memory(uint64_t below)
{
	return (volatile void *)(uintptr_t)(guest_mem_size() - below);
}

static void out_long(uint16_t port, uint32_t value)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(value), "Nd"(port)
			     : "memory");
}

/* PUTS whose argument struct itself lies outside guest memory. */
void arg_outside(void)
{
	hvt_hypercall_gpa(HVT_HYPERCALL_PUTS, (uint32_t)guest_mem_size());
}

void arg_high(void)
{
	hvt_hypercall_gpa(HVT_HYPERCALL_PUTS, 0xfffffff0U);
}

/* The struct ends exactly at mem_size: the ABI's check is strict. */
void arg_end(void)
{
	volatile struct hvt_hc_puts *arg = top_of_memory(sizeof(*arg));

	arg->data = (uintptr_t)msg;
	arg->len = 1;
	hvt_hypercall(HVT_HYPERCALL_PUTS, arg);
}

static void puts_raw(uint64_t data, uint64_t len)
{
	struct hvt_hc_puts arg = { .data = data, .len = len };

	hvt_hypercall(HVT_HYPERCALL_PUTS, &arg);
}

/* A data buffer ending exactly at mem_size. */
void puts_end(void)
{
	volatile char *p = top_of_memory(16);
	int i;

	for (i = 0; i < 16; i++)
		p[i] = 'x';
	puts_raw((uintptr_t)p, 16);
}

/* The same, one byte shorter: allowed. Prints it, then exits 0. */
void edge_ok(void)
{
	static const char text[] = "edge of memory\n";
	volatile char *p = top_of_memory(16);
	size_t i;

	for (i = 0; i < sizeof(text) - 1; i++)
		p[i] = text[i];
	puts_raw((uintptr_t)p, sizeof(text) - 1);
	skiff_exit(0);
}

/* data + len wraps around 2^64 to a small address. */
void puts_wrap(void)
{
	puts_raw((uintptr_t)msg, 0 - (uint64_t)(uintptr_t)msg + 0x1000);
}

void puts_huge(void)
{
	puts_raw((uintptr_t)msg, 1ULL << 32);
}

void walltime_end(void)
{
	hvt_hypercall(HVT_HYPERCALL_WALLTIME,
		      top_of_memory(sizeof(struct hvt_hc_walltime)));
}

void hypercall_0(void)
{
	struct hvt_hc_puts arg = { .data = (uintptr_t)msg, .len = 4 };

	hvt_hypercall(0, &arg);
}

/* Block and net calls with no such device attached (none declared). */
void block_nodev(void)
{
	static char buf[512];
	struct hvt_hc_block arg = { .data = (uintptr_t)buf, .len = 512 };

	hvt_hypercall(HVT_HYPERCALL_BLOCK_READ, &arg);
}

void net_nodev(void)
{
	static char buf[2048];
	struct hvt_hc_net arg = { .data = (uintptr_t)buf, .len = 2048 };

	hvt_hypercall(HVT_HYPERCALL_NET_READ, &arg);
}

void in_byte(void)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)0x501));
}

void in_long(void)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0x501));
}

void out_word(void)
{
	__asm__ __volatile__("outw %0, %1" : :
			     "a"((uint16_t)(uintptr_t)msg),
			     "Nd"((uint16_t)0x502) : "memory");
}

void out_byte(void)
{
	__asm__ __volatile__("outb %0, %1" : : "a"((uint8_t)0),
			     "Nd"((uint16_t)0x502) : "memory");
}

void out_4ff(void)
{
	out_long(0x4ff, (uint32_t)(uintptr_t)msg);
}

void out_509(void)
{
	struct hvt_hc_puts arg = { .data = (uintptr_t)msg, .len = 4 };

	hvt_hypercall(HVT_HYPERCALL_MAX, &arg);
}

/* The ring kick port exists only when a net ring is offered. */
void ring_kick(void)
{
	out_long(HVT_RING_KICK_PORT, 0);
}

void halt_instruction(void)
{
	__asm__ __volatile__("hlt");
}

/* With an empty IDT, #UD becomes #DF becomes a triple fault. */
void triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ __volatile__("lidt %0\n\tud2" : : "m"(empty));
}

static void halt_cookie(uint64_t cookie)
{
	struct hvt_hc_halt arg = { .cookie = cookie, .exit_status = 0 };

	hvt_hypercall(HVT_HYPERCALL_HALT, &arg);
}

/* The cookie's 512 bytes would run past mem_size. */
void cookie_end(void)
{
	halt_cookie(guest_mem_size() - HVT_HALT_COOKIE_MAX / 2);
}

void cookie_huge(void)
{
	halt_cookie(1ULL << 40);
}

void halt_arg_outside(void)
{
	hvt_hypercall_gpa(HVT_HYPERCALL_HALT, (uint32_t)guest_mem_size() + 64);
}

