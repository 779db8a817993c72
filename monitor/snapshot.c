/* SPDX-License-Identifier: ISC */
/*
 * A snapshot: the VM's whole state written, while its vCPU is held at a
 * hypercall boundary, as a plaintext migration stream (docs/migration.md)
 * to a file skiffd opened and passed in. Sections: config, skiffd's
 * definition, every page of memory (zero pages as zero runs), the vCPU,
 * the clock, end. Block and net devices keep no state of their own in
 * the monitor: every request completes inside its hypercall.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

/* Everything after the hello, with the vCPU held. */
static int write_state(struct vm *vm, struct stream_writer *w,
		       const char *definition)
{
	static struct stream_vm_config cfg;	/* the transfer thread's own */
	struct stream_vcpu_state v;
	struct stream_clock clock;

	vm_stream_config(vm, &cfg);
	/* Its own record: skiffd's restore reads no further than this. */
	if (stream_write_config(w, &cfg) ||
	    (definition && stream_write_definition(w, definition,
						   strlen(definition))) ||
	    stream_writer_flush(w))
		return -1;
	if (vcpu_state_save(vm, &v, &clock))
		return -2;
	if (stream_write_pages(w, 0, vm->mem.size / GUEST_PAGE_SIZE,
			       vm->mem.host) ||
	    stream_write_vcpu(w, &v) || device_state_write(vm, w) ||
	    stream_write_clock(w, &clock) || stream_write_end(w))
		return -1;
	return 0;
}

int snapshot_write(struct vm *vm, int fd, const char *definition,
		   struct snapshot_stats *st, char *err, size_t errlen)
{
	struct stream_fd out;
	struct stream_writer_config wc = { stream_fd_write, &out, NULL,
					   STREAM_TO_DESTINATION };
	struct stream_error serr = { { 0 } };
	struct stream_writer *w;
	double t0 = mono_now();
	int rc;

	memset(st, 0, sizeof(*st));
	stream_fd_init(&out, fd, 0);
	rc = vcpu_capture_begin(vm);
	if (rc) {
		snprintf(err, errlen, "snapshot: %s", rc == -ESRCH ?
			 "the guest is no longer running" :
			 "the vCPU did not stop within 10 s");
		return -1;
	}
	w = stream_writer_new(&wc, &serr);
	if (!w) {
		snprintf(err, errlen, "snapshot: %s", serr.msg);
		vcpu_capture_end(vm);
		return -1;
	}
	rc = write_state(vm, w, definition);
	vcpu_capture_end(vm);
	if (rc == -2)
		snprintf(err, errlen, "snapshot: the vCPU's state: %s",
			 mon_last_error());
	else if (rc)
		snprintf(err, errlen, "snapshot: %s", stream_writer_error(w));
	if (!rc && fsync(fd) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "snapshot: fsync: %s", strerror(errno));
		rc = -1;
	}
	st->bytes = stream_writer_bytes(w);
	st->pages = stream_writer_pages(w, &st->zero_pages);
	st->seconds = mono_now() - t0;
	stream_writer_free(w);
	return rc ? -1 : 0;
}
