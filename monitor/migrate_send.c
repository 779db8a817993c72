/* SPDX-License-Identifier: ISC */
/*
 * Live migration, the source's side: pre-copy over a connected socket
 * skiffd hands over (docs/migration.md). All pages go first, then rounds
 * of the pages dirtied meanwhile, until what is left would go within the
 * downtime budget at the bandwidth the link showed, or a round limit is
 * hit. Then the vCPU is held at a hypercall boundary, the last pages,
 * the vCPU and its clock go, and the destination's ack is awaited. The
 * stream's end section is the commit: only after writing it does this
 * side give the guest up, and only after the destination has closed the
 * connection (it has read end and runs the guest) does it report success.
 *
 * A guest that dirties memory faster than the link drains it is
 * throttled: the vCPU is held while a growing share of each round's
 * chunks is sent (up to 80 %), so the rounds converge.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define CHUNK_PAGES		256	/* 1 MiB: one memory section */
#define ACK_TIMEOUT_MS		30000
#define CLOSE_TIMEOUT_MS	10000
#define THROTTLE_STEP		20	/* percent */
#define THROTTLE_MAX		80

struct precopy {
	struct vm *vm;
	const struct migrate_params *params;
	struct stream_writer *w;
	struct stream_fd out;
	uint64_t *dirty;
	size_t words;
	uint64_t npages;
	uint64_t pages_sent;
	unsigned int throttle;		/* percent of chunks with the vCPU held */
	unsigned long chunk_no;
	double t0, paused_at;
	struct migrate_progress prog;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void publish(struct precopy *pc, const char *phase)
{
	pc->prog.phase = phase;
	pc->prog.pages_sent = pc->pages_sent;
	pc->prog.bytes_sent = stream_writer_bytes(pc->w);
	pc->prog.elapsed_s = mono_now() - pc->t0;
	transfer_progress_set(&pc->prog);
}

/* One chunk of pages; the vCPU is held for a throttled share of them. */
static int send_chunk(struct precopy *pc, uint64_t gfn, uint64_t n,
		      bool vcpu_held)
{
	bool hold = !vcpu_held && pc->throttle &&
		    pc->chunk_no++ % 10 < pc->throttle / 10;
	int rc;

	if (hold && vcpu_capture_begin(pc->vm))
		hold = false;	/* the guest stopped: send anyway */
	rc = stream_write_pages(pc->w, gfn, n,
				guest_ptr(&pc->vm->mem, gfn * GUEST_PAGE_SIZE));
	if (hold)
		vcpu_capture_end(pc->vm);
	pc->pages_sent += n;
	return rc;
}

static int send_all(struct precopy *pc)
{
	uint64_t gfn, n;

	for (gfn = 0; gfn < pc->npages; gfn += n) {
		n = pc->npages - gfn < CHUNK_PAGES ? pc->npages - gfn :
		    CHUNK_PAGES;
		if (send_chunk(pc, gfn, n, false))
			return -1;
		if (gfn % (64 * CHUNK_PAGES) == 0)
			publish(pc, "precopy");
	}
	return 0;
}

static bool dirty_bit(const uint64_t *b, uint64_t gfn)
{
	return b[gfn / 64] >> (gfn % 64) & 1;
}

/* Send the pages set in the bitmap, in runs, and clear it. */
static int send_dirty(struct precopy *pc, bool vcpu_held)
{
	uint64_t gfn = 0, end;

	while (gfn < pc->npages) {
		if (!pc->dirty[gfn / 64]) {
			gfn = (gfn / 64 + 1) * 64;
			continue;
		}
		if (!dirty_bit(pc->dirty, gfn)) {
			gfn++;
			continue;
		}
		for (end = gfn + 1; end < pc->npages &&
		     end - gfn < CHUNK_PAGES && dirty_bit(pc->dirty, end);)
			end++;
		if (send_chunk(pc, gfn, end - gfn, vcpu_held))
			return -1;
		gfn = end;
	}
	memset(pc->dirty, 0, pc->words * sizeof(uint64_t));
	return 0;
}

static uint64_t count_dirty(const struct precopy *pc)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < pc->words; i++)
		n += __builtin_popcountll(pc->dirty[i]);
	return n;
}

/*
 * Rounds until the rest fits the budget. Each round's duration and bytes
 * give the link's rate and the guest's dirty rate for the estimate.
 */
static int precopy_rounds(struct precopy *pc)
{
	const struct migrate_params *p = pc->params;
	double start = mono_now(), now, secs, rate;
	uint64_t bytes0 = 0, n, prev = UINT64_MAX;

	for (pc->prog.round = 1;; pc->prog.round++) {
		if (dirty_log_harvest(pc->vm, pc->dirty))
			return -1;
		now = mono_now();
		secs = now - start > 1e-6 ? now - start : 1e-6;
		rate = (stream_writer_bytes(pc->w) - bytes0) / secs;
		if (rate < MIB)
			rate = MIB;	/* a round too small to measure */
		if (p->bandwidth_mib_s > 0 && rate > p->bandwidth_mib_s * MIB)
			rate = p->bandwidth_mib_s * MIB;
		n = count_dirty(pc);
		pc->prog.dirty_pages = n;
		pc->prog.dirty_rate_mib_s = n * GUEST_PAGE_SIZE / secs / MIB;
		pc->prog.estimated_downtime_ms = n * GUEST_PAGE_SIZE / rate *
						 1000;
		publish(pc, "precopy");
		if (pc->prog.estimated_downtime_ms <= p->downtime_ms ||
		    pc->prog.round >= p->max_rounds)
			return 0;
		if (n >= prev && pc->throttle < THROTTLE_MAX)
			pc->throttle += THROTTLE_STEP;
		prev = n;
		start = mono_now();
		bytes0 = stream_writer_bytes(pc->w);
		if (send_dirty(pc, false))
			return -1;
	}
}

/* With the vCPU held: the last pages, the vCPU and its clock. */
static int send_final(struct precopy *pc, char *err, size_t errlen)
{
	struct stream_vcpu_state v;
	struct stream_clock clock;

	if (dirty_log_harvest(pc->vm, pc->dirty)) {
		snprintf(err, errlen, "dirty log: %s", mon_last_error());
		return -1;
	}
	pc->prog.dirty_pages = count_dirty(pc);
	publish(pc, "final");
	if (vcpu_state_save(pc->vm, &v, &clock)) {
		snprintf(err, errlen, "the vCPU's state: %s", mon_last_error());
		return -1;
	}
	if (send_dirty(pc, true) || stream_write_vcpu(pc->w, &v) ||
	    stream_write_clock(pc->w, &clock) || stream_writer_flush(pc->w)) {
		snprintf(err, errlen, "%s", stream_writer_error(pc->w));
		return -1;
	}
	return 0;
}

struct ack {
	bool have;
	uint32_t status;
	char message[STREAM_ACK_MSG_MAX];
};

static int on_ack(void *o, uint32_t status, const char *message,
		  struct stream_error *e)
{
	struct ack *a = o;

	a->have = true;
	a->status = status;
	snprintf(a->message, sizeof(a->message), "%s", message);
	return 0;
}

/* The destination's word on the final state: 0 when it is ready. */
static int await_ack(struct precopy *pc, int sock, char *err, size_t errlen)
{
	static const struct stream_callbacks cb = { .ack = on_ack };
	struct stream_reader_config rc = {
		.cb = &cb, .token = pc->params->token,
		.direction = STREAM_TO_SOURCE,
	};
	struct stream_error serr = { { 0 } };
	struct stream_reader *r;
	char why[300];
	struct ack a = { 0 };
	int ret = -1;

	rc.opaque = &a;
	r = stream_reader_new(&rc, &serr);
	if (!r) {
		snprintf(err, errlen, "%s", serr.msg);
		return -1;
	}
	if (stream_fd_read(r, sock, ACK_TIMEOUT_MS, NULL, NULL, why,
			   sizeof(why)))
		snprintf(err, errlen, "no acknowledgement from the destination: %s",
			 why);
	else if (a.status)
		snprintf(err, errlen, "the destination refused the VM: %s",
			 a.message);
	else
		ret = 0;
	stream_reader_free(r);
	return ret;
}

/* After end: the destination closes the connection once it has it all. */
static int await_close(int sock, char *err, size_t errlen)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char c;
	int rc;

	do {
		rc = poll(&p, 1, CLOSE_TIMEOUT_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc == 1 && read(sock, &c, 1) == 0)
		return 0;
	snprintf(err, errlen, "the connection %s after the commit was sent",
		 rc == 0 ? "stayed silent" : "failed");
	return -1;
}

static int precopy_open(struct precopy *pc, struct vm *vm, int sock,
			const struct migrate_params *p, char *err,
			size_t errlen)
{
	struct stream_writer_config wc = { stream_fd_write, &pc->out,
					   p->token, STREAM_TO_DESTINATION };
	struct stream_error serr = { { 0 } };

	memset(pc, 0, sizeof(*pc));
	pc->vm = vm;
	pc->params = p;
	pc->t0 = mono_now();
	pc->npages = vm->mem.size / GUEST_PAGE_SIZE;
	pc->words = dirty_log_bitmap_words(vm);
	pc->dirty = calloc(pc->words, sizeof(uint64_t));
	stream_fd_init(&pc->out, sock, p->bandwidth_mib_s * MIB);
	if (!pc->dirty) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pc->w = stream_writer_new(&wc, &serr);
	if (!pc->w) {
		snprintf(err, errlen, "%s", serr.msg);
		return -1;
	}
	return 0;
}

static void precopy_close(struct precopy *pc)
{
	stream_writer_free(pc->w);
	free(pc->dirty);
	transfer_progress_set(NULL);
}

/* Everything up to the commit; the vCPU is held when this returns 0. */
static int migrate_until_ack(struct precopy *pc, int sock, char *err,
			     size_t errlen)
{
	static struct stream_vm_config cfg;	/* the transfer thread's */

	vm_stream_config(pc->vm, &cfg);
	if (dirty_log_start(pc->vm)) {
		snprintf(err, errlen, "dirty log: %s", mon_last_error());
		return -1;
	}
	if (stream_write_config(pc->w, &cfg) || send_all(pc) ||
	    precopy_rounds(pc)) {
		snprintf(err, errlen, "%s", stream_writer_error(pc->w)[0] ?
			 stream_writer_error(pc->w) : mon_last_error());
		return -1;
	}
	if (vcpu_capture_begin(pc->vm)) {
		snprintf(err, errlen, "the vCPU did not stop");
		return -1;
	}
	pc->paused_at = mono_now();
	if (send_final(pc, err, errlen) || await_ack(pc, sock, err, errlen)) {
		vcpu_capture_end(pc->vm);
		return -1;
	}
	return 0;
}

enum migrate_outcome migrate_send(struct vm *vm, int sock,
				  const struct migrate_params *p,
				  struct migrate_result *res, char *err,
				  size_t errlen)
{
	enum migrate_outcome out = MIGRATE_FAILED;
	static struct precopy pc;
	char why[400] = "";

	memset(res, 0, sizeof(*res));
	if (precopy_open(&pc, vm, sock, p, why, sizeof(why)) ||
	    migrate_until_ack(&pc, sock, why, sizeof(why)))
		goto out;
	publish(&pc, "commit");
	if (stream_write_end(pc.w)) {
		snprintf(why, sizeof(why), "%s", stream_writer_error(pc.w));
		vcpu_capture_end(vm);
		goto out;
	}
	out = MIGRATE_UNKNOWN;
	if (await_close(sock, why, sizeof(why))) {
		/* The destination may run it: never let this side run it too. */
		vcpu_hold_paused(vm);
		goto out;
	}
	out = MIGRATE_DONE;
	res->downtime_ms = (mono_now() - pc.paused_at) * 1000;
out:
	if (out != MIGRATE_DONE)
		dirty_log_stop(vm);
	res->total_seconds = mono_now() - pc.t0;
	res->rounds = pc.prog.round;
	res->bytes = pc.w ? stream_writer_bytes(pc.w) : 0;
	res->pages = pc.pages_sent;
	if (out == MIGRATE_FAILED)
		snprintf(err, errlen, "migration: %s", why);
	else if (out == MIGRATE_UNKNOWN)
		snprintf(err, errlen, "migration outcome unknown: %s; the guest stays paused here: resume it only if the destination does not run it",
			 why);
	precopy_close(&pc);
	return out;
}
