/* SPDX-License-Identifier: ISC */
/*
 * tiny: an hvt image written without the SDK or a C compiler, with its
 * own encoding of the ABI (HVT_ABI.md 1.3, 6): the ABI1 and MFT1 notes
 * spelled out byte by byte, PUTS and HALT with their argument structs in
 * read-only memory, no stack, no writable segment at all. It prints
 * "tiny\n" and exits 7.
 */
	.section .text, "ax", @progbits
	.globl _start
_start:
	movl $puts_arg, %eax
	movw $0x502, %dx		/* 0x500 + PUTS */
	outl %eax, %dx
	movl $halt_arg, %eax
	movw $0x508, %dx		/* 0x500 + HALT */
	outl %eax, %dx
	hlt				/* not reached: HALT does not return */

	.section .rodata, "a", @progbits
	.balign 8
message:
	.ascii "tiny\n"
	.balign 8
puts_arg:
	.quad message			/* data */
	.quad 5				/* len */
halt_arg:
	.quad 0				/* cookie */
	.long 7				/* exit_status */
	.long 0

	/* ABI1: namesz, descsz, type "ABI1", "Solo5\0" padded to 8. */
	.section .note.solo5.abi, "a", @note
	.balign 4
	.long 6, 16, 0x31494241
	.ascii "Solo5\0\0\0"
	.long 1				/* abi_target: hvt */
	.long 2				/* abi_version */
	.long 0, 0

	/*
	 * MFT1 with only the reserved entry 0: descsz counts 4 bytes of
	 * padding, the 8-byte header and one 104-byte entry.
	 */
	.section .note.solo5.manifest, "a", @note
	.balign 4
	.long 6, 4 + 8 + 104, 0x3154464d
	.ascii "Solo5\0\0\0"
	.long 0				/* pads the payload to 8 bytes */
	.long 1				/* version */
	.long 1				/* entries */
	.fill 68, 1, 0			/* e[0].name: empty */
	.long 0x40000000		/* e[0].type: MFT_RESERVED_FIRST */
	.fill 104 - 72, 1, 0		/* device data, host word, attached */

	.section .note.GNU-stack, "", @progbits
