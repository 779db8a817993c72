/* SPDX-License-Identifier: ISC */
/*
 * bigout: 1 MiB of console output (16384 lines of 64 bytes, contents from
 * a fixed LCG), then one line with the byte count and the POSIX cksum
 * (CRC-32, as cksum(1) prints it) of that MiB, for the test to verify.
 */
#include "skiff_sdk.h"

#define LINES		16384
#define LINE_LEN	64
#define CHUNK		4096

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i << 24;
		for (k = 0; k < 8; k++)
			c = c & 0x80000000U ? (c << 1) ^ 0x04c11db7U : c << 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const char *p, size_t n)
{
	while (n--)
		crc = (crc << 8) ^ crc_table[((crc >> 24) ^ (uint8_t)*p++) & 0xff];
	return crc;
}

/* cksum(1) appends the length, least significant byte first. */
static uint32_t crc_finish(uint32_t crc, uint64_t len)
{
	char b;

	for (; len; len >>= 8) {
		b = (char)(len & 0xff);
		crc = crc_update(crc, &b, 1);
	}
	return ~crc;
}

static void make_line(char *line, uint32_t n, uint64_t *state)
{
	int i;

	skiff_snprintf(line, 10, "%08x ", n);
	line[8] = ' ';
	for (i = 9; i < LINE_LEN - 1; i++) {
		*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
		line[i] = (char)('a' + (*state >> 33) % 26);
	}
	line[LINE_LEN - 1] = '\n';
}

int main(int argc, char **argv)
{
	static char chunk[CHUNK];
	uint64_t state = 42, total = 0;
	uint32_t crc = 0, n;
	size_t used = 0;

	crc_init();
	for (n = 0; n < LINES; n++) {
		make_line(chunk + used, n, &state);
		used += LINE_LEN;
		if (used == CHUNK) {
			crc = crc_update(crc, chunk, used);
			skiff_console_write(chunk, used);
			total += used;
			used = 0;
		}
	}
	skiff_printf("bigout: bytes=%lu cksum=%u\n", (unsigned long)total,
		     crc_finish(crc, total));
	return 0;
}
