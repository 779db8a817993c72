// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN: enter the guest until an exit needs userspace, a signal is
 * pending or immediate_exit asks to stop. The guest's FPU state is
 * loaded for the whole call (as KVM's kvm_load_guest_fpu): the kernel
 * saves it on a context switch like any task's, so the loop may
 * reschedule between entries.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "skiff.h"

long skiff_vcpu_run(struct skiff_vcpu *v)
{
	struct kvm_run *run = v->run;
	long r;

	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	fpu_swap_kvm_fpstate(&v->fpu, true);
	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		cond_resched();
		r = skiff_arch->run(v);
		if (r <= 0)
			break;
	}
	fpu_swap_kvm_fpstate(&v->fpu, false);
	return r;
}
