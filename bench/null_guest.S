/* SPDX-License-Identifier: ISC */
/*
 * The smallest hvt guest: HALT with status 0 as its first act. Boots
 * under any hvt tender; bench/boot uses it to time the monitor's own
 * start-up and teardown apart from any guest's initialisation (on hosts
 * whose /dev/kvm emulates guest instructions, the SDK's start-up alone
 * takes milliseconds).
 */
	.section .text.entry, "ax", @progbits
	.globl _start
_start:
	leaq halt_args(%rip), %rax
	movw $0x508, %dx		/* HVT_HYPERCALL_PIO_BASE + HALT */
	outl %eax, %dx
1:	jmp 1b

	.data
	.balign 16
halt_args:
	.quad 0				/* cookie */
	.long 0				/* exit status */
	.long 0

	.include "hvt_notes.S"
