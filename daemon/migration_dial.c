/* SPDX-License-Identifier: ISC */
/*
 * The source's side of the daemons' handshake, on the event loop:
 * connect (non-blocking, with a deadline), write the handshake, and read
 * the destination's answer (an ack stream keyed by the token) exactly to
 * its last byte. The caller gets the connected socket, with the monitors'
 * stream untouched behind the answer, or why there is none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "migration.h"
#include "stream.h"

#define CONNECT_TIMEOUT_S	10
#define ANSWER_TIMEOUT_S	30	/* the destination checks and spawns */

enum dial_step { DIAL_CONNECT, DIAL_WRITE, DIAL_ANSWER };

struct migration_dial {
	struct event_base *base;
	enum dial_step step;
	int fd;
	struct event *ev;
	uint8_t token[MIGRATION_TOKEN_BYTES];
	uint8_t *out;			/* the handshake */
	size_t out_len, out_off;
	struct stream_reader *ack;
	uint32_t ack_status;
	char ack_msg[STREAM_ACK_MSG_MAX];
	bool acked;
	migration_dial_fn cb;
	void *arg;
};

void migration_dial_cancel(struct migration_dial *dl)
{
	if (!dl)
		return;
	if (dl->ev)
		event_free(dl->ev);
	if (dl->fd >= 0)
		close(dl->fd);
	free(dl->out);
	stream_reader_free(dl->ack);
	sodium_memzero(dl->token, sizeof(dl->token));
	free(dl);
}

/* Tell the caller, once, and forget everything. */
static void finish(struct migration_dial *dl, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct migration_dial *dl, int fd, const char *fmt, ...)
{
	migration_dial_fn cb = dl->cb;
	void *arg = dl->arg;
	char why[300] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	if (fd >= 0)
		dl->fd = -1;		/* the caller's now */
	migration_dial_cancel(dl);
	cb(fd, why, arg);
}

static void step_cb(evutil_socket_t fd, short what, void *arg);

static int wait_for(struct migration_dial *dl, short what, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (dl->ev)
		event_free(dl->ev);
	dl->ev = event_new(dl->base, dl->fd, what, step_cb, dl);
	return dl->ev && !event_add(dl->ev, &tv) ? 0 : -1;
}

static int on_ack(void *opaque, uint32_t status, const char *msg,
		  struct stream_error *err)
{
	struct migration_dial *dl = opaque;

	dl->ack_status = status;
	snprintf(dl->ack_msg, sizeof(dl->ack_msg), "%s", msg);
	dl->acked = true;
	return 0;
}

static const struct stream_callbacks ack_cb = { .ack = on_ack };

/* The destination's answer, read to its last byte and no further. */
static void read_answer(struct migration_dial *dl)
{
	uint8_t buf[512];
	size_t want = stream_reader_want(dl->ack);
	ssize_t n = recv(dl->fd, buf, want < sizeof(buf) ? want : sizeof(buf),
			 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		finish(dl, -1, "the destination closed the connection (a wrong, spent or expired token?)");
		return;
	}
	if (stream_reader_feed(dl->ack, buf, (size_t)n)) {
		finish(dl, -1, "its answer: %s",
		       stream_reader_error(dl->ack));
		return;
	}
	if (!stream_reader_done(dl->ack))
		return;
	if (!dl->acked || dl->ack_status) {
		finish(dl, -1, "the destination refused: %s",
		       dl->ack_msg[0] ? dl->ack_msg : "no reason given");
		return;
	}
	event_free(dl->ev);
	dl->ev = NULL;
	finish(dl, dl->fd, NULL);
}

static int start_answer(struct migration_dial *dl)
{
	struct stream_reader_config rc = {
		.cb = &ack_cb, .opaque = dl, .token = dl->token,
		.direction = STREAM_TO_SOURCE,
	};
	struct stream_error e;

	dl->ack = stream_reader_new(&rc, &e);
	dl->step = DIAL_ANSWER;
	return dl->ack ? wait_for(dl, EV_READ | EV_PERSIST, ANSWER_TIMEOUT_S) :
	       -1;
}

static void write_handshake(struct migration_dial *dl)
{
	ssize_t n = send(dl->fd, dl->out + dl->out_off,
			 dl->out_len - dl->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		finish(dl, -1, "sending the handshake: %s",
		       strerror(errno));
		return;
	}
	dl->out_off += (size_t)n;
	if (dl->out_off < dl->out_len)
		return;
	if (start_answer(dl))
		finish(dl, -1, "out of memory");
}

static void connected(struct migration_dial *dl)
{
	socklen_t len = sizeof(int);
	int e = 0;

	if (getsockopt(dl->fd, SOL_SOCKET, SO_ERROR, &e, &len) || e) {
		finish(dl, -1, "connecting: %s",
		       strerror(e ? e : errno));
		return;
	}
	dl->step = DIAL_WRITE;
	if (wait_for(dl, EV_WRITE | EV_PERSIST, ANSWER_TIMEOUT_S))
		finish(dl, -1, "out of memory");
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char *const steps[] = {
		"connecting", "sending the handshake", "waiting for its answer",
	};
	struct migration_dial *dl = arg;

	if (what & EV_TIMEOUT) {
		finish(dl, -1, "%s: timed out", steps[dl->step]);
		return;
	}
	switch (dl->step) {
	case DIAL_CONNECT:
		connected(dl);
		break;
	case DIAL_WRITE:
		write_handshake(dl);
		break;
	case DIAL_ANSWER:
		read_answer(dl);
		break;
	}
}

struct migration_dial *migration_dial_start(struct event_base *base,
					    const struct sockaddr *sa,
					    socklen_t salen,
					    const uint8_t *token, json_t *def,
					    migration_dial_fn cb, void *arg,
					    char *why, size_t whylen)
{
	struct migration_dial *dl = calloc(1, sizeof(*dl));

	if (!dl) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	dl->fd = -1;
	dl->base = base;
	dl->cb = cb;
	dl->arg = arg;
	memcpy(dl->token, token, sizeof(dl->token));
	if (migration_handshake_encode(def, token, &dl->out, &dl->out_len,
				       why, whylen))
		goto fail;
	dl->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	if (dl->fd < 0 || (connect(dl->fd, sa, salen) && errno != EINPROGRESS)) {
		snprintf(why, whylen, "connecting: %s", strerror(errno));
		goto fail;
	}
	dl->step = DIAL_CONNECT;
	if (!wait_for(dl, EV_WRITE, CONNECT_TIMEOUT_S))
		return dl;
	snprintf(why, whylen, "out of memory");
fail:
	migration_dial_cancel(dl);
	return NULL;
}
