/* SPDX-License-Identifier: ISC */
/*
 * Moving a migration stream's bytes through a descriptor: the writer's
 * callback (with an optional bandwidth cap, so a migration leaves room
 * on the link for the guests' own traffic) and a read loop that feeds
 * the codec's push reader until the stream is whole, with a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define STREAM_READ_CHUNK	(256 * 1024)
#define STREAM_WRITE_STALL_MS	30000	/* no byte taken: the link is dead */

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until @sent bytes are within the cap, counted from the start. */
static void pace(struct stream_fd *s)
{
	double due, ahead;
	struct timespec ts;

	if (s->bytes_per_s <= 0)
		return;
	due = s->started + s->sent / s->bytes_per_s;
	ahead = due - mono_now();
	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void stream_fd_init(struct stream_fd *s, int fd, double bytes_per_s)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->bytes_per_s = bytes_per_s;
	s->started = mono_now();
}

/*
 * Wait until @fd takes more bytes. A peer that reads nothing and never
 * closes (a dead path: no FIN, no RST) would otherwise block a send
 * until TCP gives up, a quarter of an hour later.
 */
static int wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int rc;

	do {
		rc = poll(&p, 1, STREAM_WRITE_STALL_MS);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc == 1 ? 0 : -1;
}

int stream_fd_write(void *opaque, const void *data, size_t len)
{
	struct stream_fd *s = opaque;
	const uint8_t *p = data;
	ssize_t n;

	while (len) {
		n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK)
			n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_writable(s->fd))
				return -1;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= n;
		s->sent += n;
		pace(s);
	}
	return 0;
}

/*
 * Feed @r from @fd until @done(@arg) says so (or, with no @done, until
 * the stream is complete), the input ends, or @timeout_ms pass without a
 * byte. Returns 0 when done; -1 with the reason in @err otherwise.
 */
int stream_fd_read(struct stream_reader *r, int fd, int timeout_ms,
		   bool (*done)(void *arg), void *arg, char *err, size_t errlen)
{
	static uint8_t buf[STREAM_READ_CHUNK];	/* one reader at a time */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int rc;

	while (done ? !done(arg) : !stream_reader_done(r)) {
		rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			snprintf(err, errlen, "nothing came for %d s after %llu bytes",
				 timeout_ms / 1000,
				 (unsigned long long)stream_reader_bytes(r));
			return -1;
		}
		n = rc < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "read after %llu bytes: %s",
				 (unsigned long long)stream_reader_bytes(r),
				 strerror(errno));
			return -1;
		}
		if (n == 0) {
			if (stream_reader_finish(r) == 0 && !done)
				return 0;
			if (done)
				snprintf(err, errlen, "the connection ended after %llu bytes",
					 (unsigned long long)stream_reader_bytes(r));
			else
				snprintf(err, errlen, "%s", stream_reader_error(r));
			return -1;
		}
		if (stream_reader_feed(r, buf, n)) {
			snprintf(err, errlen, "%s", stream_reader_error(r));
			return -1;
		}
	}
	return 0;
}
