/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skiff_vmx_enter(gprs): one VMLAUNCH of the current VMCS. Called with
 * interrupts off and the VMCS's other host fields written; HOST_RSP is
 * written here, HOST_RIP is skiff_vmx_exit_point (below). Returns 0 after a VM
 * exit, 1 if VMLAUNCH failed (VMfail: the caller reads the error).
 * gprs[] holds all sixteen GPRs in KVM's order; RSP's slot is unused
 * (the guest's RSP is a VMCS field). Every entry is a VMLAUNCH: the
 * VMCS is VMCLEARed after each exit (cpu.c says why).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

/* Offsets into gprs[], in KVM's order (enum skiff_reg). */
#define G_RAX	(0 * 8)
#define G_RCX	(1 * 8)
#define G_RDX	(2 * 8)
#define G_RBX	(3 * 8)
#define G_RBP	(5 * 8)
#define G_RSI	(6 * 8)
#define G_RDI	(7 * 8)
#define G_R8	(8 * 8)
#define G_R9	(9 * 8)
#define G_R10	(10 * 8)
#define G_R11	(11 * 8)
#define G_R12	(12 * 8)
#define G_R13	(13 * 8)
#define G_R14	(14 * 8)
#define G_R15	(15 * 8)

/* The VMCS encoding of HOST_RSP (SDM vol. 3, appendix B). */
#define VMCS_HOST_RSP	0x6c14

	.section .text, "ax"

SYM_FUNC_START(skiff_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* gprs: (%rsp) after the exit */

	/* HOST_RSP: where the call below leaves its return address. */
	lea	-8(%rsp), %rax
	mov	$VMCS_HOST_RSP, %ebx
	vmwrite	%rax, %rbx
	jna	.Lfail

	mov	%rdi, %rax
	mov	G_RCX(%rax), %rcx
	mov	G_RDX(%rax), %rdx
	mov	G_RBX(%rax), %rbx
	mov	G_RBP(%rax), %rbp
	mov	G_RSI(%rax), %rsi
	mov	G_RDI(%rax), %rdi
	mov	G_R8(%rax), %r8
	mov	G_R9(%rax), %r9
	mov	G_R10(%rax), %r10
	mov	G_R11(%rax), %r11
	mov	G_R12(%rax), %r12
	mov	G_R13(%rax), %r13
	mov	G_R14(%rax), %r14
	mov	G_R15(%rax), %r15
	mov	G_RAX(%rax), %rax

	/*
	 * A VM exit returns here through skiff_vmx_exit_point with CF and
	 * ZF clear; a VMfail returns from VMLAUNCH with one of them set.
	 * As KVM's vmenter.S: the call keeps the exit path a function of
	 * its own for objtool and the unwinder.
	 */
	call	skiff_vmx_launch
	jbe	.Lfail

	/* A VM exit: the guest's GPRs in registers, gprs at (%rsp). */
	push	%rax
	mov	8(%rsp), %rax
	mov	%rcx, G_RCX(%rax)
	mov	%rdx, G_RDX(%rax)
	mov	%rbx, G_RBX(%rax)
	mov	%rbp, G_RBP(%rax)
	mov	%rsi, G_RSI(%rax)
	mov	%rdi, G_RDI(%rax)
	mov	%r8, G_R8(%rax)
	mov	%r9, G_R9(%rax)
	mov	%r10, G_R10(%rax)
	mov	%r11, G_R11(%rax)
	mov	%r12, G_R12(%rax)
	mov	%r13, G_R13(%rax)
	mov	%r14, G_R14(%rax)
	mov	%r15, G_R15(%rax)
	popq	G_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lfail:
	mov	$1, %eax

.Lout:
	/* Leave no guest value in a register the caller may spill. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(skiff_vmx_enter)

/*
 * VMLAUNCH; only a VMfail returns from it directly. The host's IF is
 * set for it, as SVM's vmrun.S does for VMRUN: the STI shadow keeps
 * interrupts off up to the VMLAUNCH, and a VM exit clears IF. On
 * hardware it changes nothing (external-interrupt exiting ignores IF);
 * Bochs re-evaluates interrupt blocking at VM entry only when the
 * entry changes IF, so a guest with IF=0 entered with the host's IF=0
 * never exited for the host's interrupts there, and the lab hung.
 * KVM enters with IF=0 (its guests mostly run with IF=1).
 */
SYM_FUNC_START_LOCAL(skiff_vmx_launch)
	sti
	vmlaunch
	cli
	RET
SYM_FUNC_END(skiff_vmx_launch)

/*
 * HOST_RIP. RSP is HOST_RSP, the return address of the call above.
 * The guest may have filled the return stack buffer: refill it before
 * the RET, then clear CF and ZF (not a VMfail), as KVM's vmx_vmexit.
 */
SYM_FUNC_START(skiff_vmx_exit_point)
	push	%rax
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
	or	$1, %rax
	pop	%rax
	RET
SYM_FUNC_END(skiff_vmx_exit_point)
