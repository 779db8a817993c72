// SPDX-License-Identifier: GPL-2.0
/*
 * What each #VMEXIT means. Most are finished here and the guest goes
 * on; port I/O, HLT, shutdown, MMIO and failures go to userspace with
 * kvm_run filled as KVM fills it. Instructions a unikernel has no use
 * for, and that would reach host state, raise #UD in the guest.
 */
#include <linux/mutex.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "svm.h"

/* Past the instruction that exited: next_rip if the CPU gives it. */
void svm_skip(struct skiff_vcpu *v, u32 len)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;

	if (svm_caps.nrips && vmcb->control.next_rip)
		vmcb->save.rip = vmcb->control.next_rip;
	else
		vmcb->save.rip += len;
}

static int svm_ud(struct skiff_vcpu *v)
{
	svm_inject(v, X86_TRAP_UD, false, 0);
	return 1;
}

int svm_gp(struct skiff_vcpu *v)
{
	svm_inject(v, X86_TRAP_GP, true, 0);
	return 1;
}

/*
 * IN/OUT: one value of 1, 2 or 4 bytes, in the run page; the next
 * KVM_RUN completes it (svm_complete_io). String and REP forms are not
 * emulated: the monitor is told, as KVM tells it of an instruction its
 * emulator cannot run.
 */
static int svm_exit_io(struct skiff_vcpu *v)
{
	struct vmcb *vmcb = to_svm(v)->vmcb;
	u64 info = vmcb->control.exit_info_1;
	struct kvm_run *run = v->run;
	u8 size = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	bool in = info & SVM_IOIO_TYPE_MASK;

	if (info & (SVM_IOIO_STR_MASK | SVM_IOIO_REP_MASK))
		return skiff_emulation_failed(v);
	/* SZ8, SZ16, SZ32 are one-hot: 1, 2, 4 is the size in bytes. */
	v->pio.pending = true;
	v->pio.in = in;
	v->pio.size = size;
	v->pio.next_rip = svm_caps.nrips ? vmcb->control.next_rip :
		vmcb->control.exit_info_2;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = info >> 16;
	run->io.count = 1;
	run->io.data_offset = SKIFF_PIO_OFFSET;
	if (!in)
		memcpy((u8 *)run + SKIFF_PIO_OFFSET, &vmcb->save.rax, size);
	return 0;
}

/* svm_complete_io - finish the port I/O userspace has served. */
void svm_complete_io(struct skiff_vcpu *v)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	u32 val = 0;

	if (!v->pio.pending)
		return;
	v->pio.pending = false;
	sa->rip = v->pio.next_rip;
	if (!v->pio.in)
		return;
	memcpy(&val, (u8 *)v->run + SKIFF_PIO_OFFSET, v->pio.size);
	/* IN AL/AX keeps the rest of RAX; IN EAX zero-extends it. */
	if (v->pio.size == 4)
		sa->rax = val;
	else if (v->pio.size == 2)
		sa->rax = (sa->rax & ~0xffffULL) | (u16)val;
	else
		sa->rax = (sa->rax & ~0xffULL) | (u8)val;
}

static int svm_exit_cpuid(struct skiff_vcpu *v)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	u32 out[4];

	skiff_cpuid(v, sa->rax, v->gprs[SKIFF_RCX], out);
	sa->rax = out[0];
	v->gprs[SKIFF_RBX] = out[1];
	v->gprs[SKIFF_RCX] = out[2];
	v->gprs[SKIFF_RDX] = out[3];
	svm_skip(v, 2);
	return 1;
}

static int svm_exit_msr(struct skiff_vcpu *v)
{
	struct vmcb_save_area *sa = &to_svm(v)->vmcb->save;
	u32 msr = v->gprs[SKIFF_RCX];
	u64 val;

	if (msr == MSR_TSC_AUX)		/* the monitor's only: msr.c */
		return svm_gp(v);
	if (to_svm(v)->vmcb->control.exit_info_1) {
		val = (u32)sa->rax | (v->gprs[SKIFF_RDX] << 32);
		if (svm_set_msr(v, msr, val))
			return svm_gp(v);
	} else {
		if (svm_get_msr(v, msr, &val))
			return svm_gp(v);
		sa->rax = (u32)val;
		v->gprs[SKIFF_RDX] = val >> 32;
	}
	svm_skip(v, 2);
	return 1;
}

/* Nested page fault: the MMU maps the page, or it is MMIO. */
static int svm_exit_npf(struct skiff_vcpu *v)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;
	struct skiff_vm *vm = v->vm;
	enum mmu_fault_ret r;
	struct mmu_fault f;

	mutex_lock(&vm->lock);
	r = mmu_page_fault(vm->mmu, c->exit_info_2, (u32)c->exit_info_1, &f);
	mutex_unlock(&vm->lock);
	switch (r) {
	case MMU_RET_RETRY:
		return 1;
	case MMU_RET_MMIO:
		return skiff_mmio_exit(v, c->exit_info_2,
				     c->exit_info_1 & PFERR_WRITE);
	case MMU_RET_NOMEM:
		return -ENOMEM;
	default:
		/* TDP never asks to inject or emulate. */
		return -EIO;
	}
}

/*
 * Triple fault. The VMCB is undefined after a shutdown: as KVM, the
 * vCPU is reset (so its registers read as after RESET).
 */
static int svm_exit_shutdown(struct skiff_vcpu *v)
{
	svm_vmcb_init(v);
	v->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int svm_exit_unexpected(struct skiff_vcpu *v, u64 code)
{
	struct kvm_run *run = v->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	run->internal.ndata = 2;
	run->internal.data[0] = code;
	run->internal.data[1] = to_svm(v)->last_cpu;
	return 0;
}

/* An event the exit interrupted (e.g. #PF delivery hitting an NPF). */
static void svm_requeue_event(struct skiff_vcpu *v)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;

	if (!(c->exit_int_info & SVM_EXITINTINFO_VALID))
		return;
	c->event_inj = c->exit_int_info;
	c->event_inj_err = c->exit_int_info_err;
}

int svm_handle_exit(struct skiff_vcpu *v)
{
	struct vmcb_control_area *c = &to_svm(v)->vmcb->control;
	u64 code = ((u64)c->exit_code_hi << 32) | c->exit_code;

	c->event_inj = 0;
	svm_requeue_event(v);
	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		return 1;
	case SVM_EXIT_IOIO:
		return svm_exit_io(v);
	case SVM_EXIT_HLT:
		svm_skip(v, 1);
		v->run->exit_reason = KVM_EXIT_HLT;
		return 0;
	case SVM_EXIT_CPUID:
		return svm_exit_cpuid(v);
	case SVM_EXIT_MSR:
		return svm_exit_msr(v);
	case SVM_EXIT_NPF:
		return svm_exit_npf(v);
	case SVM_EXIT_READ_CR0:
	case SVM_EXIT_READ_CR3:
	case SVM_EXIT_READ_CR4:
	case SVM_EXIT_WRITE_CR0:
	case SVM_EXIT_WRITE_CR3:
	case SVM_EXIT_WRITE_CR4:
		return svm_exit_cr(v, code);
	case SVM_EXIT_EXCP_BASE + X86_TRAP_PF:
		return svm_exit_pf(v);
	case SVM_EXIT_INVLPG:
		return svm_exit_invlpg(v);
	case SVM_EXIT_SHUTDOWN:
		return svm_exit_shutdown(v);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		svm_skip(v, 2);
		return 1;
	case SVM_EXIT_RDPMC:
		return svm_gp(v);
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7:
	case SVM_EXIT_VMRUN ... SVM_EXIT_SKINIT:
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_COND:
	case SVM_EXIT_XSETBV:
	case SVM_EXIT_RDPRU:
	case SVM_EXIT_TASK_SWITCH:
		return svm_ud(v);
	case SVM_EXIT_ERR:
		/* The CPU refused our VMCB: the state the monitor set. */
		v->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		v->run->fail_entry.hardware_entry_failure_reason = code;
		v->run->fail_entry.cpu = to_svm(v)->last_cpu;
		return 0;
	default:
		return svm_exit_unexpected(v, code);
	}
}
