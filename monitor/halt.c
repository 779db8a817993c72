/* SPDX-License-Identifier: ISC */
/*
 * HALT: the guest's only way out. The status becomes the process exit
 * status (mod 256). A non-zero cookie must point at HVT_HALT_COOKIE_MAX
 * bytes of guest memory; for status 255 it is the guest's trap frame,
 * which we print so an operator sees where a guest crashed.
 */
#include <string.h>

#include "monitor.h"

static void report_trap(struct vm *vm, uint64_t cookie)
{
	struct hvt_trap_frame f;

	memcpy(&f, guest_ptr(&vm->mem, cookie), sizeof(f));
	mon_err("guest trap: rip=0x%llx cr2=0x%llx error_code=0x%llx cs=0x%llx rflags=0x%llx rsp=0x%llx ss=0x%llx",
		(unsigned long long)f.rip, (unsigned long long)f.cr2,
		(unsigned long long)f.error_code, (unsigned long long)f.cs,
		(unsigned long long)f.rflags, (unsigned long long)f.rsp,
		(unsigned long long)f.ss);
}

enum hc_result hc_halt(struct vm *vm, uint64_t gpa)
{
	struct hvt_hc_halt a;

	if (hc_args_in(vm, HVT_HYPERCALL_HALT, gpa, &a, sizeof(a)))
		return HC_FATAL;
	if (a.cookie && hc_check_buffer(vm, HVT_HYPERCALL_HALT, "halt cookie",
					a.cookie, HVT_HALT_COOKIE_MAX, false))
		return HC_FATAL;
	vm->exit_status = a.exit_status & 0xff;
	if (vm->exit_status == 255 && a.cookie) {
		report_trap(vm, a.cookie);
		vm->trapped = true;
	}
	return HC_HALT;
}
