/* SPDX-License-Identifier: ISC */
/*
 * CPU exceptions. A guest may take a vector itself (skiff_set_trap_handler)
 * and resume; otherwise, or if its handler declines, print a one-line
 * report, then halt with status 255 and the trap frame as the halt cookie
 * (7 x u64: cr2, error_code, rip, cs, rflags, rsp, ss), which is what a
 * tender's dumpcore expects.
 */
#include "sdk_internal.h"

#define NR_VECTORS	32

/* trap_entry.S pushes 15 registers, the vector and an error code. */
_Static_assert(sizeof(struct skiff_trap_frame) == 22 * 8, "trap frame size");

/* The ABI wants HVT_HALT_COOKIE_MAX bytes behind a cookie pointer. */
static union {
	struct hvt_trap_frame frame;
	uint8_t bytes[HVT_HALT_COOKIE_MAX];
} trap_cookie;
static int in_trap;

static skiff_trap_handler handlers[NR_VECTORS];
static bool in_handler;

static const char *const trap_names[NR_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static uint64_t read_cr2(void)
{
	uint64_t cr2;

	__asm__ __volatile__("movq %%cr2, %0" : "=r"(cr2));
	return cr2;
}

void skiff_set_trap_handler(unsigned int vector, skiff_trap_handler fn)
{
	if (vector < NR_VECTORS)
		handlers[vector] = fn;
}

static bool run_handler(struct skiff_trap_frame *f, uint64_t cr2)
{
	skiff_trap_handler fn = handlers[f->vector % NR_VECTORS];
	bool resume;

	/* A fault inside a handler is reported, not handled again. */
	if (!fn || in_handler)
		return false;
	in_handler = true;
	resume = fn(f, cr2);
	in_handler = false;
	return resume;
}

static void report(const struct skiff_trap_frame *f, uint64_t cr2)
	__attribute__((noreturn));

static void report(const struct skiff_trap_frame *f, uint64_t cr2)
{
	/* A fault while reporting a fault: halt without printing. */
	if (in_trap++)
		skiff_halt(SKIFF_EXIT_ABORT, &trap_cookie);

	trap_cookie.frame = (struct hvt_trap_frame){
		.cr2 = cr2,
		.error_code = f->error_code,
		.rip = f->rip,
		.cs = f->cs,
		.rflags = f->rflags,
		.rsp = f->rsp,
		.ss = f->ss,
	};

	skiff_printf("skiff: trap: %s (vector %lu) error_code=0x%lx rip=0x%lx cr2=0x%lx rsp=0x%lx rflags=0x%lx\n",
		     trap_names[f->vector % NR_VECTORS],
		     (unsigned long)f->vector,
		     (unsigned long)f->error_code,
		     (unsigned long)f->rip, (unsigned long)cr2,
		     (unsigned long)f->rsp, (unsigned long)f->rflags);
	skiff_halt(SKIFF_EXIT_ABORT, &trap_cookie);
}

void sdk_trap(struct skiff_trap_frame *f);

void sdk_trap(struct skiff_trap_frame *f)
{
	/* Before anything else can fault and change it. */
	uint64_t cr2 = read_cr2();

	if (run_handler(f, cr2))
		return;
	report(f, cr2);
}
