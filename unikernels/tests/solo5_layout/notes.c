/* SPDX-License-Identifier: ISC */
/*
 * The two extras of Solo5's layout: the PT_INTERP string, and an OpenBSD
 * ident note (type 1, "OpenBSD", descriptor 0) that Solo5 adds so that
 * OpenBSD does not treat the image as a native binary. Tenders ignore
 * both.
 */
#include <stdint.h>

const char solo5_interp[] __attribute__((section(".interp"), used)) =
	"/nonexistent/solo5/";

struct openbsd_note {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
	char name[8];
	uint32_t desc;
};

const struct openbsd_note solo5_not_openbsd
	__attribute__((section(".note.solo5.not_openbsd"), aligned(4), used)) = {
	.n_namesz = sizeof("OpenBSD"),
	.n_descsz = sizeof(uint32_t),
	.n_type = 1,
	.name = "OpenBSD",
	.desc = 0,
};
