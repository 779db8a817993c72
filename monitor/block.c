/* SPDX-License-Identifier: ISC */
/*
 * BLOCK_BASIC devices: a file (or an inherited fd) read and written at
 * byte offsets. Attachment follows solo5-hvt (O_RDWR, capacity from
 * SEEK_END, sector size a power of two >= 512 dividing the capacity).
 *
 * Differences from solo5-hvt, on purpose: the data buffer is checked
 * before the handle and bounds (a guest pointer out of range is fatal
 * whatever else is wrong), and a host I/O error returns HVT_R_EUNSPEC
 * to the guest instead of killing the VM, so a failing disk can be
 * handled by the application.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

#define BLOCK_DEFAULT_SECTOR	512

static int block_open(const struct block_opt *b)
{
	int fd;

	if (b->fd >= 0) {
		if (fcntl(b->fd, F_GETFL) < 0) {
			mon_err("block %s: fd %d: %s", b->name, b->fd,
				strerror(errno));
			return -1;
		}
		return b->fd;
	}
	fd = open(b->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		mon_err("block %s: %s: %s", b->name, b->path, strerror(errno));
	return fd;
}

int block_attach(struct vm *vm, const struct block_opt *b)
{
	const char *what = b->path ? b->path : "fd";
	uint32_t bs = b->sector_size ? b->sector_size : BLOCK_DEFAULT_SECTOR;
	struct mft_entry *e;
	int idx;
	off_t cap;
	int fd;

	if (!b->path && b->fd < 0) {
		mon_err("--block-sector-size:%s given without --block:%s",
			b->name, b->name);
		return -1;
	}
	idx = device_declared(vm, b->name, MFT_DEV_BLOCK_BASIC);
	if (idx < 0)
		return -1;
	fd = block_open(b);
	if (fd < 0)
		return -1;
	vm->dev[idx].fd = fd;
	cap = lseek(fd, 0, SEEK_END);
	if (cap < 0) {
		mon_err("block %s: %s: %s", b->name, what, strerror(errno));
		return -1;
	}
	if (cap < bs || cap % bs) {
		mon_err("block %s: %s: size %lld is not a non-zero multiple of the %u-byte sector",
			b->name, what, (long long)cap, bs);
		return -1;
	}
	e = &vm->mft.e[idx];
	e->attached = 1;
	e->u.block_basic.capacity = cap;
	e->u.block_basic.block_size = bs;
	vm->dev[idx].type = MFT_DEV_BLOCK_BASIC;
	vm->dev[idx].capacity = cap;
	vm->dev[idx].block_size = bs;
	return 0;
}

/* Offset and length inside the device, without wrapping. */
static bool block_bounds_ok(const struct vm_device *d, uint64_t off,
			    uint64_t len)
{
	return off < d->capacity && len <= d->capacity - off;
}

static int block_io(int fd, uint8_t *p, uint64_t len, uint64_t off,
		    bool write_op)
{
	while (len) {
		ssize_t n = write_op ? pwrite(fd, p, len, off) :
				       pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static enum hc_result block_call(struct vm *vm, uint64_t gpa,
				 unsigned int nr, bool write_op)
{
	struct hvt_hc_block a;
	const struct vm_device *d;
	int rc;

	if (hc_args_inout(vm, nr, gpa, &a, sizeof(a)) ||
	    hc_check_buffer(vm, nr, "block data", a.data, a.len, !write_op))
		return HC_FATAL;
	d = device_at(vm, a.handle, MFT_DEV_BLOCK_BASIC);
	if (!d || !block_bounds_ok(d, a.offset, a.len)) {
		a.ret = HVT_R_EINVAL;
	} else {
		rc = block_io(d->fd, guest_ptr(&vm->mem, a.data), a.len,
			      a.offset, write_op);
		if (rc)
			mon_warn("block %s: %s of %llu bytes at %llu: %s",
				 vm->mft.e[a.handle].name,
				 write_op ? "write" : "read",
				 (unsigned long long)a.len,
				 (unsigned long long)a.offset, strerror(-rc));
		a.ret = rc ? HVT_R_EUNSPEC : HVT_R_OK;
		if (!rc)
			__atomic_add_fetch(write_op ?
					   &vm->counters.block_write_bytes :
					   &vm->counters.block_read_bytes,
					   a.len, __ATOMIC_RELAXED);
	}
	if (hc_args_out(vm, nr, gpa, &a, sizeof(a)))
		return HC_FATAL;
	return HC_CONTINUE;
}

enum hc_result hc_block_write(struct vm *vm, uint64_t gpa)
{
	return block_call(vm, gpa, HVT_HYPERCALL_BLOCK_WRITE, true);
}

enum hc_result hc_block_read(struct vm *vm, uint64_t gpa)
{
	return block_call(vm, gpa, HVT_HYPERCALL_BLOCK_READ, false);
}
