/* SPDX-License-Identifier: ISC */
/*
 * block: exercises the block device "disk".
 *  1. Every block must hold the host's pattern: 16-byte lines
 *     "H<block index, 14 digits>\n" (the test writes them first).
 *  2. Every block is overwritten with "G<index>\n" lines and read back.
 *  3. Out-of-range calls get EINVAL: from the monitor for offsets at or
 *     past the capacity (also one that wraps), from the SDK for a
 *     misaligned offset or a length other than one block.
 * Exits 3 on any mismatch; the test then checks the file from the host.
 */
#include "skiff_sdk.h"

#define LINE 16

static void fill(char *buf, size_t bs, char tag, uint64_t block)
{
	char line[LINE + 1];
	size_t off;

	skiff_snprintf(line, sizeof(line), "%c%014lu\n", tag,
		       (unsigned long)block);
	for (off = 0; off < bs; off += LINE)
		memcpy(buf + off, line, LINE);
}

static int fail(const char *what, uint64_t block, int ret)
{
	skiff_printf("block: %s failed at block %lu (ret %d)\n", what,
		     (unsigned long)block, ret);
	return 3;
}

static int pass(int h, const struct skiff_block_info *info, char tag,
		bool write, char *buf, char *want)
{
	uint64_t bs = info->block_size, n = info->capacity / bs, b;
	int ret;

	for (b = 0; b < n; b++) {
		fill(want, bs, tag, b);
		if (write) {
			ret = skiff_block_write(h, b * bs, want, bs);
			if (ret != SKIFF_R_OK)
				return fail("write", b, ret);
		}
		/*
		 * No need to clear buf: it still holds the previous
		 * block's lines, which differ from this block's.
		 */
		ret = skiff_block_read(h, b * bs, buf, bs);
		if (ret != SKIFF_R_OK)
			return fail("read", b, ret);
		if (memcmp(buf, want, bs))
			return fail(write ? "verify" : "host pattern", b, 0);
	}
	return 0;
}

static int expect_einval(const char *what, int ret)
{
	if (ret == SKIFF_R_EINVAL)
		return 0;
	skiff_printf("block: %s: expected EINVAL, got %d\n", what, ret);
	return 3;
}

static int bounds(int h, const struct skiff_block_info *info, char *buf)
{
	uint64_t bs = info->block_size, cap = info->capacity;

	return expect_einval("read at capacity",
			     skiff_block_read(h, cap, buf, bs)) ||
	       expect_einval("write at capacity",
			     skiff_block_write(h, cap, buf, bs)) ||
	       expect_einval("read far past capacity",
			     skiff_block_read(h, cap + 1024 * bs, buf, bs)) ||
	       expect_einval("read at offset wrapping 2^64",
			     skiff_block_read(h, 0 - bs, buf, bs)) ||
	       expect_einval("misaligned read",
			     skiff_block_read(h, bs / 2, buf, bs)) ||
	       expect_einval("two-block read",
			     skiff_block_read(h, 0, buf, 2 * bs)) ||
	       expect_einval("half-block write",
			     skiff_block_write(h, 0, buf, bs / 2));
}

int main(int argc, char **argv)
{
	struct skiff_block_info info;
	char *buf, *want;
	int h, ret;

	h = skiff_block_open("disk", &info);
	if (h < 0) {
		skiff_puts("block: no device \"disk\"\n");
		return 3;
	}
	skiff_printf("block: capacity=%lu block_size=%lu\n",
		     (unsigned long)info.capacity,
		     (unsigned long)info.block_size);
	buf = skiff_alloc(info.block_size);
	want = skiff_alloc(info.block_size);
	if (!buf || !want || info.block_size % LINE)
		return 3;

	ret = pass(h, &info, 'H', false, buf, want);
	if (!ret)
		ret = pass(h, &info, 'G', true, buf, want);
	if (ret)
		return ret;
	skiff_printf("block: %lu blocks read, written and verified\n",
		     (unsigned long)(info.capacity / info.block_size));
	if (bounds(h, &info, buf))
		return 3;
	skiff_puts("block: bounds ok\n");
	return 0;
}
