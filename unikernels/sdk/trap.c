/* SPDX-License-Identifier: ISC */
/*
 * CPU exceptions: print a one-line report, then halt with status 255 and
 * the trap frame as the halt cookie (7 x u64: cr2, error_code, rip, cs,
 * rflags, rsp, ss), which is what a tender's dumpcore expects.
 */
#include "sdk_internal.h"

/* What the stubs in trap_entry.S leave on the stack. */
struct trap_regs {
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

/* The ABI wants HVT_HALT_COOKIE_MAX bytes behind a cookie pointer. */
static union {
	struct hvt_trap_frame frame;
	uint8_t bytes[HVT_HALT_COOKIE_MAX];
} trap_cookie;
static int in_trap;

static const char *const trap_names[32] = {
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

void sdk_trap(const struct trap_regs *regs);

void sdk_trap(const struct trap_regs *regs)
{
	uint64_t cr2 = read_cr2();

	/* A fault while reporting a fault: halt without printing. */
	if (in_trap++)
		skiff_halt(SKIFF_EXIT_ABORT, &trap_cookie);

	trap_cookie.frame = (struct hvt_trap_frame){
		.cr2 = cr2,
		.error_code = regs->error_code,
		.rip = regs->rip,
		.cs = regs->cs,
		.rflags = regs->rflags,
		.rsp = regs->rsp,
		.ss = regs->ss,
	};

	skiff_printf("skiff: trap: %s (vector %lu) error_code=0x%lx rip=0x%lx cr2=0x%lx rsp=0x%lx rflags=0x%lx\n",
		     trap_names[regs->vector & 31],
		     (unsigned long)regs->vector,
		     (unsigned long)regs->error_code,
		     (unsigned long)regs->rip, (unsigned long)cr2,
		     (unsigned long)regs->rsp, (unsigned long)regs->rflags);
	skiff_halt(SKIFF_EXIT_ABORT, &trap_cookie);
}
