/* SPDX-License-Identifier: ISC */
/*
 * Exception stubs for vectors 0-31. Each pushes a dummy error code where
 * the CPU does not push one, then the vector number, then every general
 * register, so sdk_trap() sees one layout: struct skiff_trap_frame. A
 * guest's handler may resume the interrupted code (skiff_set_trap_handler),
 * so the registers, possibly changed by it, are restored on the way out.
 */
	.text

.macro TRAP_NOEC vec
	.align 16
trap_\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
.endm

.macro TRAP_EC vec
	.align 16
trap_\vec:
	pushq $\vec
	jmp trap_common
.endm

	TRAP_NOEC 0
	TRAP_NOEC 1
	TRAP_NOEC 2
	TRAP_NOEC 3
	TRAP_NOEC 4
	TRAP_NOEC 5
	TRAP_NOEC 6
	TRAP_NOEC 7
	TRAP_EC 8
	TRAP_NOEC 9
	TRAP_EC 10
	TRAP_EC 11
	TRAP_EC 12
	TRAP_EC 13
	TRAP_EC 14
	TRAP_NOEC 15
	TRAP_NOEC 16
	TRAP_EC 17
	TRAP_NOEC 18
	TRAP_NOEC 19
	TRAP_NOEC 20
	TRAP_EC 21
	TRAP_NOEC 22
	TRAP_NOEC 23
	TRAP_NOEC 24
	TRAP_NOEC 25
	TRAP_NOEC 26
	TRAP_NOEC 27
	TRAP_NOEC 28
	TRAP_EC 29
	TRAP_EC 30
	TRAP_NOEC 31

/*
 * The CPU aligned RSP to 16 bytes before pushing its frame; with the
 * error code, the vector and 15 registers (22 words) it is still aligned
 * at the call, as the SysV ABI wants.
 */
trap_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rbx
	pushq %rbp
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call sdk_trap
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rbp
	popq %rbx
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp		/* the vector and the error code */
	iretq

/* Table of stub addresses, read by sdk_idt_init(). */
	.section .rodata
	.align 8
	.globl sdk_trap_stubs
sdk_trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_\vec
	.endr

	.section .note.GNU-stack, "", @progbits
