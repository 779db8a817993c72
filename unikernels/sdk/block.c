/* SPDX-License-Identifier: ISC */
/*
 * Block devices. The tender accepts any length and offset inside the
 * capacity; the guest-side rule of the ABI is stricter: exactly one block
 * per call, at a block-size-aligned offset. The capacity check itself is
 * left to the monitor, which answers EINVAL.
 */
#include "sdk_internal.h"
#include "hypercall.h"

int skiff_block_open(const char *name, struct skiff_block_info *info)
{
	const struct mft_entry *e;
	int handle = sdk_mft_find(name, MFT_DEV_BLOCK_BASIC, &e);

	if (handle >= 0 && info) {
		info->capacity = e->u.block_basic.capacity;
		info->block_size = e->u.block_basic.block_size;
	}
	return handle;
}

static bool block_args_ok(int handle, uint64_t offset, size_t len)
{
	const struct mft_entry *e = sdk_mft_get(handle, MFT_DEV_BLOCK_BASIC);
	uint64_t bs;

	if (!e)
		return false;
	bs = e->u.block_basic.block_size;
	return bs && len == bs && offset % bs == 0;
}

static int block_call(unsigned int nr, int handle, uint64_t offset,
		      const void *buf, size_t len)
{
	struct hvt_hc_block arg = {
		.handle = (uint64_t)handle,
		.offset = offset,
		.data = (uint64_t)(uintptr_t)buf,
		.len = len,
		.ret = HVT_R_EUNSPEC,
	};

	if (!block_args_ok(handle, offset, len))
		return SKIFF_R_EINVAL;
	hvt_hypercall(nr, &arg);
	return arg.ret;
}

int skiff_block_read(int handle, uint64_t offset, void *buf, size_t len)
{
	return block_call(HVT_HYPERCALL_BLOCK_READ, handle, offset, buf, len);
}

int skiff_block_write(int handle, uint64_t offset, const void *buf,
		      size_t len)
{
	return block_call(HVT_HYPERCALL_BLOCK_WRITE, handle, offset, buf, len);
}
