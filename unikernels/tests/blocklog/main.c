/* SPDX-License-Identifier: ISC */
/*
 * blocklog: a log on the block device "disk", for migration with shared
 * storage. Once a second, entry N goes to block N % capacity (16-byte
 * lines "L<N, 14 digits>\n"), then that block and the one of entry N - 1
 * (written a second before: on the source host, when a migration came
 * in between) are read back and checked, and "blocklog N ok" is printed.
 * Exits 3 on any mismatch or failed request.
 */
#include "skiff_sdk.h"

#define LINE 16

static void fill(char *buf, size_t bs, uint64_t n)
{
	char line[LINE + 1];
	size_t off;

	skiff_snprintf(line, sizeof(line), "L%014lu\n", (unsigned long)n);
	for (off = 0; off < bs; off += LINE)
		memcpy(buf + off, line, LINE);
}

/* Entry @n's block holds entry @n. */
static int check(int h, uint64_t bs, uint64_t blocks, uint64_t n, char *buf,
		 char *want)
{
	int ret;

	fill(want, bs, n);
	ret = skiff_block_read(h, n % blocks * bs, buf, bs);
	if (ret != SKIFF_R_OK) {
		skiff_printf("blocklog: reading entry %lu failed (ret %d)\n",
			     (unsigned long)n, ret);
		return 3;
	}
	if (memcmp(buf, want, bs)) {
		skiff_printf("blocklog: entry %lu does not hold what was written: %.15s\n",
			     (unsigned long)n, buf);
		return 3;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct skiff_block_info info;
	uint64_t next = skiff_monotonic_ns(), blocks, n, now;
	char *buf, *want;
	int h, ret;

	h = skiff_block_open("disk", &info);
	if (h < 0 || info.block_size % LINE || info.capacity < info.block_size) {
		skiff_puts("blocklog: no usable device \"disk\"\n");
		return 3;
	}
	blocks = info.capacity / info.block_size;
	buf = skiff_alloc(info.block_size);
	want = skiff_alloc(info.block_size);
	if (!buf || !want)
		return 3;
	for (n = 1;; n++) {
		fill(want, info.block_size, n);
		ret = skiff_block_write(h, n % blocks * info.block_size, want,
					info.block_size);
		if (ret != SKIFF_R_OK) {
			skiff_printf("blocklog: writing entry %lu failed (ret %d)\n",
				     (unsigned long)n, ret);
			return 3;
		}
		if (check(h, info.block_size, blocks, n, buf, want) ||
		    (n > 1 && blocks > 1 &&
		     check(h, info.block_size, blocks, n - 1, buf, want)))
			return 3;
		skiff_printf("blocklog %lu ok\n", (unsigned long)n);
		next += SKIFF_NSEC_PER_SEC;
		now = skiff_monotonic_ns();
		if (next > now)
			skiff_sleep_ns(next - now);
	}
}
