/* SPDX-License-Identifier: ISC */
/*
 * The two Solo5 notes every hvt image needs, for the hand-written bench
 * guests: ABI1 (hvt, ABI version 2) and an MFT1 manifest with only the
 * reserved entry (no devices). Layout as in HVT_ABI.md section 1.3.
 */
	/* ABI1: owner "Solo5", type "ABI1", target hvt (1), version 2. */
	.section .note.solo5.abi, "a", @note
	.balign 4
	.long 6, 16, 0x31494241
	.asciz "Solo5"
	.balign 4
	.long 1, 2, 0, 0

	/* MFT1: version 1, one entry (the reserved one); payload 8-aligned. */
	.section .note.solo5.manifest, "a", @note
	.balign 4
	.long 6, 4 + 8 + 104, 0x3154464d
	.asciz "Solo5"
	.balign 4
	.long 0				/* pad to the 8-aligned payload */
	.long 1, 1			/* version, entries */
	.fill 68, 1, 0			/* e[0].name */
	.long 0x40000000		/* e[0].type: MFT_RESERVED_FIRST */
	.fill 32, 1, 0			/* union, host data, attached, pad */

	.section .note.GNU-stack, "", @progbits
