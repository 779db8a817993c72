/* SPDX-License-Identifier: ISC */
/*
 * Restore: a VM whose image is parsed and whose devices are attached,
 * but which has not run, takes its memory, vCPU and clock from a
 * plaintext stream (a snapshot file) instead of booting. Runs before the
 * sandbox. The stream is untrusted input: the codec checks its framing,
 * sizes and page ranges; here each section is checked against this VM
 * (vm_stream.c), the vCPU's MSRs against the ones this device carries,
 * and the clock against this host's TSC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

#define RESTORE_CHUNK	(1024 * 1024)

struct restore {
	struct vm *vm;
	bool have_config, have_vcpu, have_clock;
	struct stream_vcpu_state vcpu;
	struct stream_clock clock;
};

static int refuse(struct stream_error *e, const char *msg)
{
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	return -1;
}

static int on_config(void *o, const struct stream_vm_config *cfg,
		     struct stream_error *e)
{
	struct restore *r = o;

	r->have_config = true;
	return vm_stream_config_check(r->vm, cfg, e->msg, sizeof(e->msg));
}

static int on_pages(void *o, uint64_t gfn, uint32_t count, const void *data,
		    struct stream_error *e)
{
	struct restore *r = o;
	uint8_t *dst = guest_ptr(&r->vm->mem, gfn * GUEST_PAGE_SIZE);
	size_t len = (size_t)count * GUEST_PAGE_SIZE;

	/* The codec checked gfn + count against the config's memory size. */
	if (data)
		memcpy(dst, data, len);
	else
		memset(dst, 0, len);
	return 0;
}

static bool msr_carried(const struct vm *vm, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < vm->nmsrs; i++)
		if (vm->msr_index[i] == index)
			return true;
	return false;
}

static int on_vcpu(void *o, const struct stream_vcpu_state *v,
		   struct stream_error *e)
{
	struct restore *r = o;
	uint32_t i;

	if (v->id != 0)
		return refuse(e, "a vCPU other than vCPU 0 (skiff VMs have one)");
	for (i = 0; i < v->nmsrs; i++) {
		if (!msr_carried(r->vm, v->msrs[i].index)) {
			snprintf(e->msg, sizeof(e->msg),
				 "MSR 0x%x is not one this monitor restores",
				 v->msrs[i].index);
			return -1;
		}
	}
	r->vcpu = *v;
	r->have_vcpu = true;
	return 0;
}

static int on_clock(void *o, const struct stream_clock *k,
		    struct stream_error *e)
{
	struct restore *r = o;

	r->clock = *k;
	r->have_clock = true;
	return vcpu_clock_check(r->vm, k, e->msg, sizeof(e->msg));
}

static int on_device(void *o, const char *name, const void *blob, size_t len,
		     struct stream_error *e)
{
	snprintf(e->msg, sizeof(e->msg),
		 "device %s: this monitor keeps no device state to restore",
		 name);
	return -1;
}

static const struct stream_callbacks restore_cb = {
	.config = on_config,
	.pages = on_pages,
	.vcpu = on_vcpu,
	.device = on_device,
	.clock = on_clock,
};

/* Feed the whole file to the reader; 0 once it was complete. */
static int read_stream(struct stream_reader *rd, int fd, uint8_t *buf)
{
	ssize_t n;

	for (;;) {
		n = read(fd, buf, RESTORE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mon_err("restore: read after %llu bytes: %s",
				(unsigned long long)stream_reader_bytes(rd),
				strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (stream_reader_feed(rd, buf, n))
			goto bad;
	}
	if (stream_reader_finish(rd))
		goto bad;
	return 0;
bad:
	mon_err("restore: %s", stream_reader_error(rd));
	return -1;
}

int restore_from_fd(struct vm *vm, int fd)
{
	static struct restore r;
	struct stream_reader_config cfg = {
		.cb = &restore_cb, .opaque = &r, .token = NULL,
		.direction = STREAM_TO_DESTINATION,
		.max_mem_size = GUEST_MEM_MAX,
	};
	struct stream_error err = { { 0 } };
	struct stream_reader *rd;
	uint8_t *buf;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.vm = vm;
	buf = malloc(RESTORE_CHUNK);
	rd = stream_reader_new(&cfg, &err);
	if (!buf || !rd) {
		mon_err("restore: %s", rd ? "out of memory" : err.msg);
		goto out;
	}
	if (read_stream(rd, fd, buf))
		goto out;
	if (!r.have_vcpu || !r.have_clock) {
		mon_err("restore: the stream has no %s",
			r.have_vcpu ? "clock section" : "vCPU state");
		goto out;
	}
	/* A snapshot's guest sees no time pass while it was in the file. */
	if (vcpu_state_load(vm, &r.vcpu, r.clock.guest_tsc))
		goto out;
	rc = 0;
out:
	stream_reader_free(rd);
	free(buf);
	return rc;
}
