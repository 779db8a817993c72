/* SPDX-License-Identifier: ISC */
/*
 * _start: the monitor enters here in long mode with RDI = boot info and
 * RSP = mem_size - 8. Align the stack as the SysV ABI wants at a call
 * and go to C; sdk_start() never returns.
 */
	.section .text.entry, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call sdk_start
1:	jmp 1b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
