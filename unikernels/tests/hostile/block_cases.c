/* SPDX-License-Identifier: ISC */
/*
 * Hostile block calls, for the image whose manifest declares a block
 * device "disk" (hostile_block.hvt). Raw hypercalls, bypassing the SDK's
 * own one-block rule, so the monitor's checks are what is tested.
 */
#include "hostile.h"
#include "hypercall.h"

static char buf[4096] __attribute__((aligned(4096)));

static int disk_handle(void)
{
	int h = skiff_block_open("disk", NULL);

	if (h < 0) {
		skiff_puts("hostile: no block device \"disk\"\n");
		skiff_exit(2);
	}
	return h;
}

static int block_raw(unsigned int nr, volatile struct hvt_hc_block *arg)
{
	arg->ret = -1;
	hvt_hypercall(nr, arg);
	return arg->ret;
}

static void block_len(unsigned int nr, uint64_t len)
{
	struct hvt_hc_block arg = {
		.handle = (uint64_t)disk_handle(),
		.data = (uintptr_t)buf,
		.len = len,
	};

	skiff_printf("hostile: ret=%d\n", block_raw(nr, &arg));
}

void block_read_huge(void)
{
	block_len(HVT_HYPERCALL_BLOCK_READ, 1ULL << 40);
}

void block_write_huge(void)
{
	block_len(HVT_HYPERCALL_BLOCK_WRITE, 1ULL << 32);
}

/* One valid block, read into a buffer that ends exactly at mem_size. */
void block_buf_end(void)
{
	struct skiff_block_info info;
	struct hvt_hc_block arg = { 0 };

	arg.handle = (uint64_t)skiff_block_open("disk", &info);
	arg.len = info.block_size;
	arg.data = guest_mem_size() - info.block_size;
	skiff_printf("hostile: ret=%d\n",
		     block_raw(HVT_HYPERCALL_BLOCK_READ, &arg));
}

void block_arg_outside(void)
{
	disk_handle();
	hvt_hypercall_gpa(HVT_HYPERCALL_BLOCK_READ,
			  (uint32_t)guest_mem_size() - 8);
}

/* Not fatal: a handle that is not a block device gets EINVAL back. */
void block_bad_handle(void)
{
	static const uint64_t handles[] = { 0, 2, 63, 64, 1ULL << 32 };
	struct hvt_hc_block arg = { .data = (uintptr_t)buf, .len = 512 };
	size_t i;

	disk_handle();
	for (i = 0; i < SKIFF_ARRAY_SIZE(handles); i++) {
		arg.handle = handles[i];
		skiff_printf("hostile: handle %lu: ret=%d\n",
			     (unsigned long)handles[i],
			     block_raw(HVT_HYPERCALL_BLOCK_READ, &arg));
	}
	skiff_exit(0);
}
