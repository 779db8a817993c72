// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN: enter the guest until an exit needs userspace, a signal is
 * pending or immediate_exit asks to stop. The guest's FPU state is
 * loaded for the whole call (as KVM's kvm_load_guest_fpu): the kernel
 * saves it on a context switch like any task's, so the loop may
 * reschedule between entries. Whenever the vCPU leaves the CPU
 * (preempted, or KVM_RUN returns) the backend hears of it (vcpu_put):
 * SVM must then hand the CPU's TLB back clean to another hypervisor.
 *
 * The tables the hardware walks. The vCPU takes the MMU's root (and,
 * for a guest outside long mode on shadow paging, a below-4G copy of
 * its first entries) under vm->lock, but enters the guest without it:
 * a memslot change or dirty-log call from another thread could free
 * or write-protect tables in that window, or while the guest runs, and
 * the guest would walk a freed page or write past the dirty log.
 * KVM's answer is request bits and vcpu->mode: a vCPU in guest mode is
 * kicked out with an IPI, and one about to enter sees the request with
 * interrupts off and goes round again. skiff does the same for its one
 * vCPU: such a change first makes vm->mmu_seq odd and kicks the vCPU
 * out of guest mode (skiff_vm_mmu_begin, waiting for the IPI to be
 * taken, which is after the exit), and an entry, with interrupts off,
 * goes ahead only if vm->mmu_seq is what it was when the root was
 * taken (skiff_guest_enter), else back round the loop for a fresh
 * root. Holding vm->lock across the entry instead would stall those
 * ioctls for as long as the guest runs.
 */
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>

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

static void skiff_kick(void *info)
{
}

/*
 * skiff_vm_mmu_begin - under vm->lock, before a thread other than the
 * vCPU's changes the MMU: no entry from now until skiff_vm_mmu_end,
 * and a vCPU in guest mode is out of it when this returns (the IPI's
 * function runs once that CPU has interrupts on again).
 */
void skiff_vm_mmu_begin(struct skiff_vm *vm)
{
	struct skiff_vcpu *v = vm->vcpu;

	lockdep_assert_held(&vm->lock);
	WRITE_ONCE(vm->mmu_seq, vm->mmu_seq + 1);
	/* Pairs with skiff_guest_enter's: it sees the seq, or we in_guest. */
	smp_mb();
	/* Acquire: guest_cpu as written before that in_guest. */
	if (v && smp_load_acquire(&v->in_guest))
		smp_call_function_single(READ_ONCE(v->guest_cpu), skiff_kick,
					 NULL, 1);
}

void skiff_vm_mmu_end(struct skiff_vm *vm)
{
	/* Release: the change is seen by whoever sees the even seq. */
	smp_store_release(&vm->mmu_seq, vm->mmu_seq + 1);
}

/*
 * The seq an entry will check: taken before the root (the backend's
 * run reads that after), so any change after the root was read fails
 * the check. An odd seq means a change is in progress: wait for it.
 */
static void skiff_mmu_snapshot(struct skiff_vcpu *v)
{
	/* Acquire: pairs with skiff_vm_mmu_end's release. */
	unsigned long seq = smp_load_acquire(&v->vm->mmu_seq);

	if (seq & 1) {
		mutex_lock(&v->vm->lock);
		seq = v->vm->mmu_seq;
		mutex_unlock(&v->vm->lock);
	}
	v->mmu_seq = seq;
}

/*
 * skiff_guest_enter - for a backend, interrupts off, right before the
 * entry: false if the MMU changed since the root was taken (the
 * backend then returns 1: round the loop again), else the vCPU is in
 * guest mode until skiff_guest_exit and nothing frees its tables.
 */
bool skiff_guest_enter(struct skiff_vcpu *v)
{
	lockdep_assert_irqs_disabled();
	WRITE_ONCE(v->guest_cpu, smp_processor_id());
	/* guest_cpu before in_guest, for skiff_vm_mmu_begin's acquire. */
	smp_wmb();
	/* in_guest before the seq is read: skiff_vm_mmu_begin's pair. */
	smp_store_mb(v->in_guest, true);
	if (READ_ONCE(v->vm->mmu_seq) == v->mmu_seq)
		return true;
	/* Release: nothing of the entry attempt is reordered after. */
	smp_store_release(&v->in_guest, false);
	return false;
}

/* skiff_guest_exit - after the exit, interrupts still off. */
void skiff_guest_exit(struct skiff_vcpu *v)
{
	/* Release: the exit's state is complete before in_guest clears. */
	smp_store_release(&v->in_guest, false);
}

/*
 * skiff_shadow_root - with shadow paging, the CR3 the hardware runs
 * on: the MMU's 4-level root for a long-mode guest, else pae_root (a
 * PDPT below 4G) filled from the root's first four entries, as legacy
 * PAE mode wants (PDPTEs carry P only: the rest is reserved there).
 * The copy is made under vm->lock, after the snapshot, so the tables
 * it names stay until the exit (above). 0 if the MMU has no root.
 */
u64 skiff_shadow_root(struct skiff_vcpu *v, bool long_mode, u64 *pae_root,
		      u64 pae_root_pa)
{
	u64 root, *p4, *p3;
	int i;

	mutex_lock(&v->vm->lock);
	root = mmu_root_hpa(v->vm->mmu);
	if (root && !long_mode) {
		p4 = __va(root);
		p3 = (p4[0] & _PAGE_PRESENT) ? __va(p4[0] & PTE_PFN_MASK) : NULL;
		for (i = 0; i < 4; i++)
			pae_root[i] = p3 && (p3[i] & _PAGE_PRESENT) ?
				(p3[i] & PTE_PFN_MASK) | _PAGE_PRESENT : 0;
		root = pae_root_pa;
	}
	mutex_unlock(&v->vm->lock);
	return root;
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
		skiff_mmu_snapshot(v);
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
