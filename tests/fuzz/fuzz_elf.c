/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the parsers of untrusted image files: the ELF
 * headers, program headers, Solo5 notes and the manifest. Any crash,
 * sanitizer report or hang is a bug; a parse that succeeds must also
 * describe an image that fits the guest.
 */
#include <stdlib.h>

#include "monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elf_image img;
	const uint64_t mem = 32 * MIB;
	char err[256];
	size_t i;

	if (elf_parse(data, size, mem, &img, err, sizeof(err)))
		return 0;
	for (i = 0; i < img.nseg; i++) {
		const struct elf_segment *s = &img.seg[i];

		if (s->start < HVT_GUEST_MIN_BASE || s->end > mem ||
		    s->offset + s->filesz > size || s->filesz > s->memsz)
			abort();
	}
	if (img.mft.entries < 1 || img.mft.entries > MFT_MAX_ENTRIES)
		abort();
	return 0;
}
