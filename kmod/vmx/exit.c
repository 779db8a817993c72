// SPDX-License-Identifier: GPL-2.0
/*
 * What each VM exit means, as kmod/svm/exit.c does for SVM. Most are
 * finished here and the guest goes on; port I/O, HLT, triple fault,
 * MMIO and failed entries go to userspace with kvm_run filled as KVM
 * fills it. VMX instructions and those that would reach host state
 * raise #UD in the guest.
 */
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "vmx.h"

/* Past the instruction that exited: VMX gives its length. */
void vmx_skip(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);

	x->rip += x->exit_len;
	/* The instruction completed: no STI or MOV SS shadow remains. */
	x->interruptibility &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

static int vmx_ud(struct skiff_vcpu *v)
{
	vmx_inject(v, X86_TRAP_UD, false, 0);
	return 1;
}

int vmx_gp(struct skiff_vcpu *v)
{
	vmx_inject(v, X86_TRAP_GP, true, 0);
	return 1;
}

/*
 * IN/OUT: one value of 1, 2 or 4 bytes, in the run page; the next
 * KVM_RUN completes it. The exit qualification decodes it (SDM table
 * 28-5): size - 1 in bits 2:0, IN in bit 3, string 4, REP 5, port
 * 31:16. String and REP forms go to the monitor as an emulation
 * failure, as on SVM.
 */
static int vmx_exit_io(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 q = x->exit_qual;

	if (q & (BIT(4) | BIT(5)))
		return skiff_emulation_failed(v);
	return vmx_pio(v, q >> 16, (q & 7) + 1, q & BIT(3), x->exit_len);
}

/* vmx_pio - one IN or OUT of len bytes at RIP, to userspace. */
int vmx_pio(struct skiff_vcpu *v, u16 port, u8 size, bool in, u32 len)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct kvm_run *run = v->run;

	v->pio.pending = true;
	v->pio.in = in;
	v->pio.size = size;
	v->pio.next_rip = x->rip + len;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = SKIFF_PIO_OFFSET;
	if (!in)
		memcpy((u8 *)run + SKIFF_PIO_OFFSET, &v->gprs[SKIFF_RAX], size);
	return 0;
}

/* vmx_complete_io - finish the port I/O userspace has served. */
void vmx_complete_io(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 *rax = &v->gprs[SKIFF_RAX];
	u32 val = 0;

	if (!v->pio.pending)
		return;
	v->pio.pending = false;
	x->rip = v->pio.next_rip;
	x->interruptibility &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (!v->pio.in)
		return;
	memcpy(&val, (u8 *)v->run + SKIFF_PIO_OFFSET, v->pio.size);
	/* IN AL/AX keeps the rest of RAX; IN EAX zero-extends it. */
	if (v->pio.size == 4)
		*rax = val;
	else if (v->pio.size == 2)
		*rax = (*rax & ~0xffffULL) | (u16)val;
	else
		*rax = (*rax & ~0xffULL) | (u8)val;
}

static int vmx_exit_cpuid(struct skiff_vcpu *v)
{
	u64 *g = v->gprs;
	u32 out[4];

	skiff_cpuid(v, g[SKIFF_RAX], g[SKIFF_RCX], out);
	g[SKIFF_RAX] = out[0];
	g[SKIFF_RBX] = out[1];
	g[SKIFF_RCX] = out[2];
	g[SKIFF_RDX] = out[3];
	vmx_skip(v);
	return 1;
}

int vmx_exit_msr(struct skiff_vcpu *v, bool write)
{
	u64 *g = v->gprs;
	u32 msr = g[SKIFF_RCX];
	u64 val;

	if (msr == MSR_TSC_AUX)		/* the monitor's only, as on SVM */
		return vmx_gp(v);
	if (write) {
		val = (u32)g[SKIFF_RAX] | (g[SKIFF_RDX] << 32);
		if (vmx_set_msr(v, msr, val))
			return vmx_gp(v);
	} else {
		if (vmx_get_msr(v, msr, &val))
			return vmx_gp(v);
		g[SKIFF_RAX] = (u32)val;
		g[SKIFF_RDX] = val >> 32;
	}
	vmx_skip(v);
	return 1;
}

/* A GPR as the CR-access qualification names it (RSP is a VMCS field). */
static u64 *vmx_gpr(struct skiff_vcpu *v, u8 r)
{
	return r == SKIFF_RSP ? &to_vmx(v)->rsp : &v->gprs[r];
}

int vmx_exit_hlt(struct skiff_vcpu *v)
{
	vmx_skip(v);
	v->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

static int vmx_set_cr0(struct skiff_vcpu *v, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);
	bool pg = val & X86_CR0_PG;

	if (val >> 32 || (pg && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return -1;
	/* Paging on with EFER.LME: long mode, as the CPU would enter it. */
	if (pg && !(x->cr0 & X86_CR0_PG) && (x->efer & EFER_LME)) {
		if (!(x->cr4 & X86_CR4_PAE))
			return -1;
		x->efer |= EFER_LMA;
	} else if (!pg && (x->efer & EFER_LMA)) {
		x->efer &= ~EFER_LMA;
	}
	if ((val ^ x->cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		v->vm->mmu_flush = true;
	x->cr0 = val;
	return vmx_caps.ept ? 0 : vmx_shadow_load(v);
}

/* Shadow paging only: with EPT the guest's CR3 loads do not exit. */
static int vmx_set_cr3(struct skiff_vcpu *v, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);

	if ((x->efer & EFER_LMA) && (val >> MMU_MAXPHYADDR))
		return -1;
	x->cr3 = (x->efer & EFER_LMA) ? val : (u32)val;
	return vmx_shadow_load(v);
}

static int vmx_set_cr4(struct skiff_vcpu *v, u64 val)
{
	struct vmx_vcpu *x = to_vmx(v);

	if (!vmx_cr4_valid(val))
		return -1;
	if ((x->efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -1;
	if ((val ^ x->cr4) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE))
		v->vm->mmu_flush = true;
	x->cr4 = val;
	return vmx_caps.ept ? 0 : vmx_shadow_load(v);
}

/* vmx_lmsw - LMSW: the low four bits of CR0, and never clears PE. */
int vmx_lmsw(struct skiff_vcpu *v, u16 src)
{
	u64 cr0 = to_vmx(v)->cr0;

	return vmx_set_cr0(v, (cr0 & ~0xeULL) | (src & 0xf));
}

/*
 * vmx_mov_cr - MOV to or from CR0, CR3 or CR4 with the GPR at gpr:
 * 0, or -1 for #GP (a value no CPU would take, or PAE's PDPTEs
 * invalid). Outside 64-bit mode the operand is 32 bits.
 */
int vmx_mov_cr(struct skiff_vcpu *v, u8 cr, bool write, u64 *gpr)
{
	struct vmx_vcpu *x = to_vmx(v);
	bool wide = vmx_code_mode(v) == 64;
	u64 val;

	if (!write) {
		val = cr == 0 ? x->cr0 : cr == 3 ? x->cr3 : x->cr4;
		*gpr = wide ? val : (u32)val;
		return 0;
	}
	val = wide ? *gpr : (u32)*gpr;
	if (cr == 0)
		return vmx_set_cr0(v, val);
	if (cr == 3) {
		if (vmx_caps.ept) {
			x->cr3 = val;
			return 0;
		}
		return vmx_set_cr3(v, val);
	}
	return vmx_set_cr4(v, val);
}

/*
 * CR access (SDM table 28-3): CR number in bits 3:0, access type in
 * 5:4 (MOV to, MOV from, CLTS, LMSW), GPR in 11:8, LMSW's source in
 * 31:16. With EPT only CR0's and CR4's host-owned bits exit (vmcs.c),
 * and CR3 where the CPU cannot stop its exits; with shadow paging
 * also CR0.PE, PG and WP, and every MOV to or from CR3.
 */
static int vmx_exit_cr(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u64 q = x->exit_qual;
	u8 cr = q & 15, type = (q >> 4) & 3;
	u64 *gpr = vmx_gpr(v, (q >> 8) & 15);
	int r = 0;

	switch (type) {
	case 0:
	case 1:
		if (cr != 0 && cr != 3 && cr != 4)
			return vmx_ud(v);
		/* Reads exit for CR3 only; CR0 and CR4 have read shadows. */
		if (type == 1 && cr != 3)
			return vmx_ud(v);
		r = vmx_mov_cr(v, cr, type == 0, gpr);
		break;
	case 2:
		x->cr0 &= ~(u64)X86_CR0_TS;
		break;
	default:
		r = vmx_lmsw(v, q >> 16);
		break;
	}
	if (r)
		return vmx_gp(v);
	vmx_skip(v);
	return 1;
}

/*
 * An EPT violation: the MMU maps the page, or it is MMIO. The
 * qualification (SDM table 28-7) says read (bit 0), write (1), fetch
 * (2), and in 5:3 what the entry allowed (any: it was present).
 */
static int vmx_exit_ept(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	struct skiff_vm *vm = v->vm;
	u64 q = x->exit_qual, gpa = x->exit_gpa;
	u32 ec = 0;
	enum mmu_fault_ret r;
	struct mmu_fault f;

	if (q & BIT(1))
		ec |= PFERR_WRITE;
	if (q & BIT(2))
		ec |= PFERR_FETCH;
	if (q & (BIT(3) | BIT(4) | BIT(5)))
		ec |= PFERR_PRESENT;
	mutex_lock(&vm->lock);
	r = mmu_page_fault(vm->mmu, gpa, ec | PFERR_USER, &f);
	mutex_unlock(&vm->lock);
	switch (r) {
	case MMU_RET_RETRY:
		return 1;
	case MMU_RET_MMIO:
		return skiff_mmio_exit(v, gpa, ec & PFERR_WRITE);
	case MMU_RET_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Triple fault: as KVM, the vCPU is reset and the monitor told. */
static int vmx_exit_triple_fault(struct skiff_vcpu *v)
{
	vmx_reset(v);
	v->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int vmx_exit_unexpected(struct skiff_vcpu *v, u32 reason)
{
	struct kvm_run *run = v->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	run->internal.ndata = 2;
	run->internal.data[0] = reason;
	run->internal.data[1] = to_vmx(v)->last_cpu;
	return 0;
}

/*
 * VM entry failed: VMLAUNCH's VMfail (reason: the VM-instruction
 * error), or an exit with bit 31 set (invalid guest state, MSR
 * loading: the basic reason with that bit), as KVM reports both.
 */
static int vmx_fail_entry(struct skiff_vcpu *v, u64 reason)
{
	v->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	v->run->fail_entry.hardware_entry_failure_reason = reason;
	v->run->fail_entry.cpu = to_vmx(v)->last_cpu;
	return 0;
}

/* An event the exit interrupted (e.g. delivery hitting an EPT fault). */
static void vmx_requeue_event(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 info = x->idt_vectoring;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	x->inject = info & ~INTR_INFO_UNBLOCK_NMI;
	x->inject_err = x->idt_vectoring_err;
	x->inject_len = x->exit_len;
}

/* For bring-up on a new CPU model: the first N exits, in the log. */
static unsigned int trace_exits;
module_param(trace_exits, uint, 0644);
MODULE_PARM_DESC(trace_exits, "VMX: log this many more exits (debugging)");

int vmx_handle_exit(struct skiff_vcpu *v)
{
	struct vmx_vcpu *x = to_vmx(v);
	u32 reason = x->exit_reason;

	if (trace_exits) {
		trace_exits--;
		pr_err("skiff: exit %#x qual %#llx rip %#llx len %u gpa %#llx fail %d/%u\n",
			reason, x->exit_qual, x->rip, x->exit_len, x->exit_gpa,
			x->vmfail, x->insn_error);
	}

	if (x->vmfail)
		return vmx_fail_entry(v, x->insn_error);
	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return vmx_fail_entry(v, reason);
	x->inject = 0;
	vmx_requeue_event(v);
	switch ((u16)reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		/*
		 * The host's NMI: hand it to the host's handler, as KVM did
		 * before its NMI entry path. Exceptions are intercepted only
		 * with shadow paging.
		 */
		if ((x->exit_intr & INTR_INFO_INTR_TYPE_MASK) ==
		    INTR_TYPE_NMI_INTR) {
			asm volatile("int $2");
			return 1;
		}
		return vmx_caps.ept ? 1 : vmx_exit_exception(v);
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
		return 1;
	case EXIT_REASON_TRIPLE_FAULT:
		return vmx_exit_triple_fault(v);
	case EXIT_REASON_IO_INSTRUCTION:
		return vmx_exit_io(v);
	case EXIT_REASON_HLT:
		return vmx_exit_hlt(v);
	case EXIT_REASON_CPUID:
		return vmx_exit_cpuid(v);
	case EXIT_REASON_MSR_READ:
		return vmx_exit_msr(v, false);
	case EXIT_REASON_MSR_WRITE:
		return vmx_exit_msr(v, true);
	case EXIT_REASON_CR_ACCESS:
		return vmx_exit_cr(v);
	case EXIT_REASON_INVLPG:
		return vmx_exit_invlpg(v);
	case EXIT_REASON_EPT_VIOLATION:
		return vmx_exit_ept(v);
	case EXIT_REASON_EPT_MISCONFIG:
		return -EIO;
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
		vmx_skip(v);
		return 1;
	case EXIT_REASON_RDPMC:
		return vmx_gp(v);
	case EXIT_REASON_VMCALL ... EXIT_REASON_VMOFF:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_DR_ACCESS:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_XSETBV:
	case EXIT_REASON_TASK_SWITCH:
		return vmx_ud(v);
	default:
		return vmx_exit_unexpected(v, reason);
	}
}
