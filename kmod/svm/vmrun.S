/* SPDX-License-Identifier: GPL-2.0 */
/*
 * skiff_svm_vmrun(vmcb_pa, host_save_pa, gprs): one world switch.
 * Called with interrupts off and GIF clear. VMRUN itself saves and
 * restores only part of the host (RIP, RSP, RAX, CR0/3/4, EFER,
 * RFLAGS, GDTR/IDTR, ES/CS/SS/DS): VMSAVE/VMLOAD of a per-CPU area
 * carry the rest (FS, GS, TR, LDTR, KERNEL_GS_BASE, STAR/LSTAR/CSTAR/
 * SFMASK, SYSENTER_*). Until the host's VMLOAD, GS holds the guest's
 * base, so nothing here may touch per-CPU data; GIF=0 holds off
 * interrupts and NMIs until the caller's STGI.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

/* Offsets into gprs[], in KVM's order (enum skiff_reg). */
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

	.section .text, "ax"

SYM_FUNC_START(skiff_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx			/* gprs:		16(%rsp) */
	push	%rsi			/* host save area:	 8(%rsp) */
	push	%rdi			/* VMCB:		  (%rsp) */

	mov	%rsi, %rax
	vmsave	%rax

	mov	%rdx, %rax
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

	mov	(%rsp), %rax
	vmload	%rax
	/* Host IF=1 lets a physical interrupt end the guest (INTR exit). */
	sti
	vmrun	%rax
	cli
	vmsave	%rax

	mov	16(%rsp), %rax
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

	mov	8(%rsp), %rax
	vmload	%rax

	/* The guest may have filled the return stack buffer: refill it. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Leave no guest value in a register the caller may spill. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(skiff_svm_vmrun)
