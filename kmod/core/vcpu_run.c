// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN: enter the guest until an exit needs userspace, a signal is
 * pending or immediate_exit asks to stop. The guest's FPU state is
 * loaded for the whole call (as KVM's kvm_load_guest_fpu): the kernel
 * saves it on a context switch like any task's, so the loop may
 * reschedule between entries. Whenever the vCPU leaves the CPU
 * (preempted, or KVM_RUN returns) the backend hears of it (vcpu_put):
 * SVM must then hand the CPU's TLB back clean to another hypervisor.
 */
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "skiff.h"

static void skiff_sched_in(struct preempt_notifier *pn, int cpu)
{
}

static void skiff_sched_out(struct preempt_notifier *pn,
			    struct task_struct *next)
{
	skiff_arch->vcpu_put(container_of(pn, struct skiff_vcpu, pn));
}

static struct preempt_ops skiff_preempt_ops = {
	.sched_in = skiff_sched_in,
	.sched_out = skiff_sched_out,
};

/* Preempt notifiers cost nothing until a module asks for them. */
void skiff_vcpu_run_init(void)
{
	preempt_notifier_inc();
}

void skiff_vcpu_run_exit(void)
{
	preempt_notifier_dec();
}

/* Once per vCPU; KVM_RUN registers the notifier for its duration. */
void skiff_vcpu_run_setup(struct skiff_vcpu *v)
{
	preempt_notifier_init(&v->pn, &skiff_preempt_ops);
}

/*
 * For a backend, with interrupts off, just before it enters the guest:
 * a reschedule since KVM_RUN loaded the guest's FPU state left that
 * state saved in memory, to be reloaded on the way back to user space.
 * Load it now, as KVM's vcpu_enter_guest does, or the guest runs with
 * whatever the last task left in the registers (seen under Bochs: a
 * guest read another task's XMM0).
 */
void skiff_guest_fpu_load(void)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

long skiff_vcpu_run(struct skiff_vcpu *v)
{
	struct kvm_run *run = v->run;
	long r;

	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	preempt_disable();
	preempt_notifier_register(&v->pn);
	preempt_enable();
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
	preempt_disable();
	preempt_notifier_unregister(&v->pn);
	skiff_arch->vcpu_put(v);
	preempt_enable();
	return r;
}
