/* SPDX-License-Identifier: ISC */
/*
 * Restore: a VM whose image is parsed and whose devices are attached,
 * but which has not run, takes its memory, vCPU and clock from a stream
 * instead of booting: a plaintext snapshot file, or an encrypted live
 * migration on a socket. Runs before the sandbox. The stream is
 * untrusted input: the codec checks its framing, sizes and page ranges;
 * here each section is checked against this VM (vm_stream.c), the
 * vCPU's MSRs against the ones this device carries, and the clock
 * against this host's TSC.
 *
 * A migration's final state (vCPU and clock) is loaded as soon as it
 * arrives and acknowledged to the source; the guest runs only once the
 * stream's end section, the source's commit, has been read. Without it
 * the guest stays on the source (docs/migration.md, "Commit").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "monitor.h"

#define RESTORE_CHUNK	(1024 * 1024)
#define INCOMING_TIMEOUT_MS	60000	/* silence that ends a migration */

struct restore {
	struct vm *vm;
	bool have_config, have_vcpu, have_clock;
	struct stream_vcpu_state vcpu;
	struct stream_clock clock;
};

static struct restore incoming;	/* one per process, before the guest */

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
	struct restore *r = o;

	return device_state_restore(r->vm, name, blob, len, e->msg,
				    sizeof(e->msg));
}

/* Where skiffd's console log stood on the source (live migration). */
static int on_console(void *o, uint64_t offset, struct stream_error *e)
{
	((struct restore *)o)->vm->console_origin = offset;
	return 0;
}

static const struct stream_callbacks restore_cb = {
	.console = on_console,
	.config = on_config,
	.pages = on_pages,
	.vcpu = on_vcpu,
	.device = on_device,
	.clock = on_clock,
};

/* Feed the whole file to the reader; 0 once it was complete. */
static int read_file(struct stream_reader *rd, int fd, uint8_t *buf)
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

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The guest's TSC on arrival: a snapshot's guest saw no time pass; a
 * migrated guest sees the time it was stopped, measured by the two
 * hosts' clocks (never backwards; capped at a minute should they
 * disagree wildly).
 */
static uint64_t arrival_tsc(const struct stream_clock *k, bool live)
{
	uint64_t now = realtime_ns(), gone;

	if (!live || now <= k->realtime_ns)
		return k->guest_tsc;
	gone = now - k->realtime_ns;
	if (gone > 60 * 1000000000ull)
		gone = 60 * 1000000000ull;
	return k->guest_tsc + (uint64_t)((double)gone * k->tsc_hz / 1e9);
}

static int load_state(struct restore *r, bool live)
{
	if (!r->have_vcpu || !r->have_clock) {
		mon_err("restore: the stream has no %s",
			r->have_vcpu ? "clock section" : "vCPU state");
		return -1;
	}
	return vcpu_state_load(r->vm, &r->vcpu, arrival_tsc(&r->clock, live));
}

static bool final_state_in(void *arg)
{
	struct restore *r = arg;

	return r->have_vcpu && r->have_clock;
}

/*
 * The answer stream to the source: an ack (0 "ready", or why not) once
 * the final state is loaded, then, after the source's commit, its end:
 * the confirmation that this side runs the guest. The source counts only
 * that end as success (docs/migration.md, "Commit").
 */
struct answer {
	struct stream_fd out;
	struct stream_writer *w;
	char why[300];			/* when it could not be written */
};

static int answer_open(struct answer *a, int fd, const uint8_t *token)
{
	struct stream_writer_config wc = { stream_fd_write, &a->out, token,
					   STREAM_TO_SOURCE };
	struct stream_error err = { { 0 } };

	stream_fd_init(&a->out, fd, 0);
	a->w = stream_writer_new(&wc, &err);
	if (!a->w)
		snprintf(a->why, sizeof(a->why), "%s", err.msg);
	return a->w ? 0 : -1;
}

/*
 * The ack, flushed so the source reads it now. The stream starts here,
 * not earlier: until the source's final state is in, the connection
 * carries the source's bytes only (skiffd's handshake answer goes the
 * same way before this monitor writes a byte: see daemon/migration_*.c).
 */
static int answer_ack(struct answer *a, int fd, const uint8_t *token,
		      uint32_t status, const char *msg)
{
	if (!a->w && answer_open(a, fd, token))
		return -1;
	if (stream_write_ack(a->w, status, msg) ||
	    stream_writer_flush(a->w) ||
	    (status && stream_write_end(a->w))) {
		snprintf(a->why, sizeof(a->why), "%s",
			 stream_writer_error(a->w));
		return -1;
	}
	return 0;
}

static void answer_close(struct answer *a)
{
	stream_writer_free(a->w);
	a->w = NULL;
}

/* Tell the source why not (the reason is this monitor's error). */
static void refuse_source(struct answer *a, int fd, const uint8_t *token)
{
	if (answer_ack(a, fd, token, 1, mon_last_error()))
		mon_warn("incoming migration: cannot answer the source: %s",
			 a->why);
}

/* A live migration: state, ack, the commit (end), the confirmation. */
static int read_migration(struct stream_reader *rd, int fd,
			  const uint8_t *token)
{
	struct answer a = { .w = NULL };
	char why[300];
	int rc = -1;

	if (stream_fd_read(rd, fd, INCOMING_TIMEOUT_MS, final_state_in, &incoming,
			   why, sizeof(why))) {
		mon_err("incoming migration: %s", why);
		refuse_source(&a, fd, token);
		goto out;
	}
	if (load_state(&incoming, true)) {
		refuse_source(&a, fd, token);
		goto out;
	}
	if (answer_ack(&a, fd, token, 0, "ready")) {
		mon_err("incoming migration: cannot answer the source: %s",
			a.why);
		goto out;
	}
	if (stream_fd_read(rd, fd, INCOMING_TIMEOUT_MS, NULL, NULL, why,
			   sizeof(why))) {
		mon_err("incoming migration: the source did not commit (%s): the guest stays there",
			why);
		goto out;
	}
	/*
	 * The source has given the guest up: run it even if the
	 * confirmation cannot reach the source (it then holds its copy
	 * paused, outcome unknown, and never runs it by itself).
	 */
	if (stream_write_end(a.w))
		mon_warn("incoming migration: the confirmation did not reach the source (%s); the guest runs here",
			 stream_writer_error(a.w));
	rc = 0;
out:
	answer_close(&a);
	return rc;
}

int restore_from_fd(struct vm *vm, int fd, const uint8_t *token)
{
	struct stream_reader_config cfg = {
		.cb = &restore_cb, .opaque = &incoming, .token = token,
		.direction = STREAM_TO_DESTINATION,
		.max_mem_size = GUEST_MEM_MAX,
	};
	struct stream_error err = { { 0 } };
	struct stream_reader *rd;
	uint8_t *buf = NULL;
	int rc = -1;

	memset(&incoming, 0, sizeof(incoming));
	incoming.vm = vm;
	guest_mem_populate(&vm->mem);
	rd = stream_reader_new(&cfg, &err);
	if (!rd) {
		mon_err("restore: %s", err.msg);
		return -1;
	}
	if (token) {
		rc = read_migration(rd, fd, token);
		goto out;
	}
	buf = malloc(RESTORE_CHUNK);
	if (!buf) {
		mon_err("restore: out of memory");
		goto out;
	}
	/* A snapshot's guest sees no time pass while it was in the file. */
	if (read_file(rd, fd, buf) == 0 && load_state(&incoming, false) == 0)
		rc = 0;
out:
	if (rc == 0)
		device_state_announce(vm);
	stream_reader_free(rd);
	free(buf);
	return rc;
}

/* --incoming-token=@FD: 64 hex digits (a newline may follow). */
int incoming_token_read(int fd, uint8_t token[STREAM_TOKEN_BYTES])
{
	char hex[66];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(hex) &&
	       (n = read(fd, hex + len, sizeof(hex) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	close(fd);
	if (len && hex[len - 1] == '\n')
		len--;
	if (len != 64 || sodium_hex2bin(token, STREAM_TOKEN_BYTES, hex, 64,
					NULL, NULL, NULL)) {
		mon_err("--incoming-token: the descriptor must hold the token as 64 hex digits");
		return -1;
	}
	sodium_memzero(hex, sizeof(hex));
	return 0;
}
