/* SPDX-License-Identifier: ISC */
/*
 * bigout: 1 MiB of console output, 16384 lines of 64 bytes: the line
 * number in 8 hex digits, a space, 54 letters of the alphabet starting
 * at letter (line mod 26), a newline; then a trailer with the byte and
 * line counts. The test regenerates the MiB on the host and compares it
 * byte for byte, which is stronger than a checksum. Kept cheap in
 * instructions (26 line templates, one copy per line): on nested hosts
 * guest instructions may be emulated one by one.
 */
#include "skiff_sdk.h"

#define LINES		16384
#define LINE_LEN	64
#define LETTERS		54
#define CHUNK		4096

static char templates[26][LINE_LEN] __attribute__((aligned(8)));

static void make_templates(void)
{
	int t, i;

	for (t = 0; t < 26; t++) {
		templates[t][8] = ' ';
		for (i = 0; i < LETTERS; i++)
			templates[t][9 + i] = (char)('a' + (t + i) % 26);
		templates[t][LINE_LEN - 1] = '\n';
	}
}

static void make_line(char *line, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	memcpy(line, templates[n % 26], LINE_LEN);
	for (i = 7; i >= 0; i--, n >>= 4)
		line[i] = hex[n & 0xf];
}

int main(int argc, char **argv)
{
	static char chunk[CHUNK] __attribute__((aligned(8)));
	uint64_t total = 0;
	size_t used = 0;
	uint32_t n;

	make_templates();
	for (n = 0; n < LINES; n++) {
		make_line(chunk + used, n);
		used += LINE_LEN;
		if (used < CHUNK)
			continue;
		skiff_console_write(chunk, CHUNK);
		total += CHUNK;
		used = 0;
	}
	skiff_printf("bigout: bytes=%lu lines=%u\n", (unsigned long)total,
		     LINES);
	return 0;
}
