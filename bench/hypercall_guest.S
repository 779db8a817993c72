/* SPDX-License-Identifier: ISC */
/*
 * hypercall_guest N: N WALLTIME hypercalls, then HALT with status 0.
 * Its loop is the floor's loop (bench/kvm_floor.c) instruction for
 * instruction (out, dec, jnz), so the difference between the two is the
 * monitor's work per hypercall and nothing the guest does.
 */
	.section .text.entry, "ax", @progbits
	.globl _start
_start:
	movq 24(%rdi), %rsi		/* boot_info.cmdline */
	xorl %ecx, %ecx
parse:
	movzbl (%rsi), %eax
	subl $'0', %eax
	cmpl $9, %eax
	ja counted			/* not a digit (or NUL): done */
	imulq $10, %rcx
	addq %rax, %rcx
	incq %rsi
	jmp parse
counted:
	testq %rcx, %rcx
	jz halt
	leaq walltime_args(%rip), %rax
	movw $0x501, %dx		/* HVT_HYPERCALL_PIO_BASE + WALLTIME */
loop:
	outl %eax, %dx
	decq %rcx
	jnz loop
halt:
	leaq halt_args(%rip), %rax
	movw $0x508, %dx
	outl %eax, %dx
1:	jmp 1b

	.data
	.balign 16
walltime_args:
	.quad 0
halt_args:
	.quad 0
	.long 0, 0

	.include "hvt_notes.S"
