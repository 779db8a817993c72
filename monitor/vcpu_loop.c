/* SPDX-License-Identifier: ISC */
/*
 * The vCPU loop: enter the guest, handle the exit, repeat until the guest
 * halts or something is fatal. Each fatal exit gets a message that says
 * what the guest did, so an operator (or skiffd's status) knows why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "monitor.h"

#define INSN_DUMP_BYTES		15	/* the longest x86 instruction */

static uint64_t guest_rip(struct vm *vm)
{
	struct kvm_regs r;

	return kvm_get_regs(&vm->kvm, &r) ? 0 : r.rip;
}

static int exit_mmio(struct vm *vm)
{
	const struct kvm_run *run = vm->kvm.run;
	unsigned long long gpa = run->mmio.phys_addr;

	if (run->mmio.is_write && guest_gpa_protected(&vm->mem, gpa))
		mon_err("write to read-only guest memory at 0x%llx (rip 0x%llx)",
			gpa, (unsigned long long)guest_rip(vm));
	else
		mon_err("guest %s of %u bytes at unbacked physical address 0x%llx (rip 0x%llx)",
			run->mmio.is_write ? "write" : "read", run->mmio.len,
			gpa, (unsigned long long)guest_rip(vm));
	return -1;
}

static void insn_bytes(struct vm *vm, uint64_t rip, char *buf, size_t size)
{
	const uint8_t *p;
	size_t i, used = 0;

	buf[0] = '\0';
	if (!guest_range_ok(&vm->mem, rip, INSN_DUMP_BYTES))
		return;
	p = guest_ptr(&vm->mem, rip);
	for (i = 0; i < INSN_DUMP_BYTES && used + 4 < size; i++)
		used += snprintf(buf + used, size - used, " %02x", p[i]);
}

static int exit_internal_error(struct vm *vm)
{
	const struct kvm_run *run = vm->kvm.run;
	uint64_t rip = guest_rip(vm);
	char bytes[INSN_DUMP_BYTES * 3 + 1];

	insn_bytes(vm, rip, bytes, sizeof(bytes));
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
		mon_err("KVM internal error: the host could not emulate the guest instruction at rip 0x%llx (bytes:%s); nested KVM hosts fail on some SSE/AVX instructions: build the guest with -mgeneral-regs-only",
			(unsigned long long)rip, bytes);
	else
		mon_err("KVM internal error: suberror %u at rip 0x%llx",
			run->internal.suberror, (unsigned long long)rip);
	return -1;
}

/* Returns 1 to go on, 0 when the guest halted, -1 when fatal. */
static int handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->kvm.run;
	enum hc_result r;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		r = hypercall_dispatch(vm, run->io.port, run->io.direction,
				       run->io.size, run->io.count,
				       (uint8_t *)run + run->io.data_offset);
		return r == HC_CONTINUE ? 1 : r == HC_HALT ? 0 : -1;
	case KVM_EXIT_HLT:
		mon_err("guest executed HLT at rip 0x%llx: no interrupts are delivered, use the HALT hypercall",
			(unsigned long long)guest_rip(vm));
		return -1;
	case KVM_EXIT_SHUTDOWN:
		mon_err("triple fault: the guest shut down (rip 0x%llx)",
			(unsigned long long)guest_rip(vm));
		return -1;
	case KVM_EXIT_MMIO:
		return exit_mmio(vm);
	case KVM_EXIT_INTERNAL_ERROR:
		return exit_internal_error(vm);
	case KVM_EXIT_DIRTY_RING_FULL:
		/* KVM_RUN refuses to enter until the ring has room again. */
		return dirty_log_ring_full(vm) ? -1 : 1;
	case KVM_EXIT_FAIL_ENTRY:
		mon_err("VM entry failed: hardware reason 0x%llx",
			(unsigned long long)
			run->fail_entry.hardware_entry_failure_reason);
		return -1;
	default:
		mon_err("unhandled exit: reason %u at rip 0x%llx",
			run->exit_reason, (unsigned long long)guest_rip(vm));
		return -1;
	}
}

int vcpu_loop(struct vm *vm)
{
	struct kvm_run *run = vm->kvm.run;
	int rc;

	for (;;) {
		if (vcpu_pause_point(vm))
			return 0;	/* migrated: the destination runs it */
		if (vcpu_stop_signal) {
			mon_err("Exiting on signal %d", (int)vcpu_stop_signal);
			return -1;
		}
		rc = kvm_run(&vm->kvm);
		if (rc == -EINTR || rc == -EAGAIN) {
			run->immediate_exit = 0;
			continue;
		}
		if (rc == -EFAULT) {
			mon_err("write to read-only guest memory or host translation fault (KVM_RUN: %s) at rip 0x%llx",
				strerror(-rc),
				(unsigned long long)guest_rip(vm));
			return -1;
		}
		if (rc) {
			mon_err("KVM_RUN: %s", strerror(-rc));
			return -1;
		}
		__atomic_add_fetch(&vm->counters.exits, 1, __ATOMIC_RELAXED);
		rc = handle_exit(vm);
		if (rc <= 0)
			return rc < 0 ? -1 : vm->exit_status;
	}
}
