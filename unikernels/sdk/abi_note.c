/* SPDX-License-Identifier: ISC */
/*
 * The ABI1 note: tells a tender this image is for hvt, ABI version 2.
 * The linker script gives its section a PT_NOTE of its own, because a
 * tender reads only the first note of each PT_NOTE segment.
 */
#include "hvt_abi.h"

const struct solo5_abi_note sdk_abi_note
	__attribute__((section(".note.solo5.abi"), aligned(4), used)) = {
	.h = {
		.n_namesz = SOLO5_NOTE_NAMESZ,
		.n_descsz = sizeof(struct solo5_abi_note) -
			    sizeof(struct solo5_note_header),
		.n_type = SOLO5_NOTE_ABI,
		.name = SOLO5_NOTE_NAME,
	},
	.abi_target = HVT_ABI_TARGET,
	.abi_version = HVT_ABI_VERSION,
};
