/* SPDX-License-Identifier: ISC */
/*
 * Live migration, the source's side: pre-copy over a connected socket
 * skiffd hands over (docs/migration.md). All pages go first, then rounds
 * of the pages dirtied meanwhile, until what is left would go within the
 * downtime budget at the bandwidth the link showed, or a round limit is
 * hit. Then the vCPU is held at a hypercall boundary, the last pages,
 * the vCPU and its clock go, and the destination's ack is awaited. The
 * stream's end section is the commit: only after writing it does this
 * side give the guest up, and only after the destination has confirmed
 * it (its answer stream's end: it has read the commit and runs the
 * guest) does it report success.
 *
 * A guest that dirties memory faster than the link drains it is
 * throttled: the vCPU is held while a growing share of each round's
 * chunks is sent (up to 80 %), so the rounds converge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define CHUNK_PAGES		256	/* 1 MiB: one memory section */
#define ACK_TIMEOUT_MS		30000
#define CONFIRM_TIMEOUT_MS	10000
#define THROTTLE_STEP		20	/* percent */
#define THROTTLE_MAX		80
#define PUBLISH_EVERY_S		0.1	/* progress for monitor.info */

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
	double t0, paused_at, published_at;
	double logging_since;		/* the last harvest, for the dirty rate */
	double pass_seconds;		/* time spent sending pages, */
	uint64_t pass_bytes;		/* and the bytes it sent */
	struct migrate_progress prog;
	struct stream_reader *back;	/* the destination's answers */
	bool have_ack;
	uint32_t ack_status;
	char ack_message[STREAM_ACK_MSG_MAX];
};

static void publish(struct precopy *pc, const char *phase)
{
	pc->prog.phase = phase;
	pc->prog.pages_sent = pc->pages_sent;
	pc->prog.bytes_sent = stream_writer_bytes(pc->w);
	pc->published_at = mono_now();
	pc->prog.elapsed_s = pc->published_at - pc->t0;
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
		if (mono_now() - pc->published_at >= PUBLISH_EVERY_S)
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
 * One pass of pages (the full copy or a round), timed for the link's
 * rate. Flushed at its end, so the bytes counted are the bytes handed to
 * the socket.
 */
static int timed_pass(struct precopy *pc, bool all)
{
	uint64_t bytes0 = stream_writer_bytes(pc->w);
	double t = mono_now();

	if ((all ? send_all(pc) : send_dirty(pc, false)) ||
	    stream_writer_flush(pc->w))
		return -1;
	pc->pass_seconds += mono_now() - t;
	pc->pass_bytes += stream_writer_bytes(pc->w) - bytes0;
	return 0;
}

/*
 * The link's rate: all bytes sent over all the time spent sending them.
 * The full copy dominates it; a small round alone would mostly measure
 * the socket buffer, and overstate the rate.
 */
static double link_rate(const struct precopy *pc)
{
	double secs = pc->pass_seconds > 1e-6 ? pc->pass_seconds : 1e-6;
	double rate = pc->pass_bytes / secs;
	double cap = pc->params->bandwidth_mib_s * MIB;

	if (rate < MIB)
		rate = MIB;	/* too little sent to measure */
	if (cap > 0 && rate > cap)
		rate = cap;
	return rate;
}

/*
 * Rounds until the rest fits the budget: after each pass, the pages
 * dirtied since the last harvest, over the link's rate, estimate the
 * downtime a stop now would take.
 */
static int precopy_rounds(struct precopy *pc)
{
	const struct migrate_params *p = pc->params;
	uint64_t n, prev = UINT64_MAX;
	double now, last = pc->logging_since, rate;

	if (timed_pass(pc, true))
		return -1;
	for (pc->prog.round = 1;; pc->prog.round++) {
		if (dirty_log_harvest(pc->vm, pc->dirty))
			return -1;
		now = mono_now();
		n = count_dirty(pc);
		rate = link_rate(pc);
		pc->prog.dirty_pages = n;
		pc->prog.dirty_rate_mib_s = n * GUEST_PAGE_SIZE /
			(now - last > 1e-6 ? now - last : 1e-6) / MIB;
		pc->prog.estimated_downtime_ms = n * GUEST_PAGE_SIZE / rate *
						 1000;
		last = now;
		publish(pc, "precopy");
		if (pc->prog.estimated_downtime_ms <= p->downtime_ms ||
		    pc->prog.round >= p->max_rounds)
			return 0;
		if (n >= prev && pc->throttle < THROTTLE_MAX)
			pc->throttle += THROTTLE_STEP;
		prev = n;
		if (timed_pass(pc, false))
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
	if (device_state_flush(pc->vm)) {
		snprintf(err, errlen, "%s", mon_last_error());
		return -1;
	}
	if (vcpu_state_save(pc->vm, &v, &clock)) {
		snprintf(err, errlen, "the vCPU's state: %s", mon_last_error());
		return -1;
	}
	if (send_dirty(pc, true) || stream_write_vcpu(pc->w, &v) ||
	    device_state_write(pc->vm, pc->w) ||
	    stream_write_clock(pc->w, &clock) ||
	    stream_write_console(pc->w, console_log_offset(pc->vm, pc->params)) ||
	    stream_writer_flush(pc->w)) {
		snprintf(err, errlen, "%s", stream_writer_error(pc->w));
		return -1;
	}
	return 0;
}

static int on_ack(void *o, uint32_t status, const char *message,
		  struct stream_error *e)
{
	struct precopy *pc = o;

	pc->have_ack = true;
	pc->ack_status = status;
	snprintf(pc->ack_message, sizeof(pc->ack_message), "%s", message);
	return 0;
}

static bool ack_in(void *arg)
{
	return ((struct precopy *)arg)->have_ack;
}

/* The destination's word on the final state: 0 when it is ready. */
static int await_ack(struct precopy *pc, int sock, char *err, size_t errlen)
{
	static const struct stream_callbacks cb = { .ack = on_ack };
	struct stream_reader_config rc = {
		.cb = &cb, .opaque = pc, .token = pc->params->token,
		.direction = STREAM_TO_SOURCE,
	};
	struct stream_error serr = { { 0 } };
	char why[300];

	pc->back = stream_reader_new(&rc, &serr);
	if (!pc->back) {
		snprintf(err, errlen, "%s", serr.msg);
		return -1;
	}
	if (stream_fd_read(pc->back, sock, ACK_TIMEOUT_MS, ack_in, pc, why,
			   sizeof(why))) {
		snprintf(err, errlen, "no acknowledgement from the destination: %s",
			 why);
		return -1;
	}
	if (pc->ack_status) {
		snprintf(err, errlen, "the destination refused the VM: %s",
			 pc->ack_message);
		return -1;
	}
	return 0;
}

/*
 * After the commit: the end of the destination's answer stream says it
 * read the commit and runs the guest. Nothing else does: a connection
 * that closes without it may come from a destination that died, or from
 * a middlebox that dropped the confirmation of one that runs.
 */
static int await_confirmation(struct precopy *pc, int sock, char *err,
			      size_t errlen)
{
	char why[300];

	if (stream_fd_read(pc->back, sock, CONFIRM_TIMEOUT_MS, NULL, NULL,
			   why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "no confirmation from the destination after the commit: %s",
		 why);
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

/*
 * After a success the progress stays, in phase "migrated", until the
 * monitor exits: whoever lost the answer still reads the outcome.
 */
static void precopy_close(struct precopy *pc, bool done)
{
	if (done)
		publish(pc, "migrated");
	else
		transfer_progress_set(NULL);
	stream_writer_free(pc->w);
	stream_reader_free(pc->back);
	free(pc->dirty);
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
	pc->logging_since = mono_now();
	if (stream_write_config(pc->w, &cfg) || precopy_rounds(pc)) {
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
	if (await_confirmation(&pc, sock, why, sizeof(why))) {
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
		snprintf(err, errlen, "%s%s", strncmp(why, "migration", 9) ?
			 "migration: " : "", why);
	else if (out == MIGRATE_UNKNOWN)
		snprintf(err, errlen, "migration outcome unknown: %s; the guest stays paused here: resume it only if the destination does not run it",
			 why);
	precopy_close(&pc, out == MIGRATE_DONE);
	return out;
}
