/* SPDX-License-Identifier: ISC */
/*
 * mig-proxy [--quiet=MS] [--at=POINT] [--do=ACTION] PORTFILE PORT:
 * a TCP proxy between a migration's source monitor and its destination,
 * which breaks the connection at a chosen point, for the fault matrix
 * (tests/bats/monitor_faults.bats). It listens on 127.0.0.1 (a free port,
 * written to PORTFILE), takes one connection (the source's) and connects
 * to 127.0.0.1:PORT (the destination's) first, so the destination
 * starts setting up while the source connects.
 *
 * The points are found in the streams' cleartext framing (the 56-byte
 * hello, then records: u32 header, bit 31 final, bits 0-30 the body's
 * length; docs/migration.md), never by guessing offsets:
 *   src:N    once N bytes have gone to the destination
 *   dst:N    once N bytes have gone to the source
 *   signal   on SIGUSR1 (the test picks the moment from the source's
 *            monitor.info, e.g. its pre-copy round)
 *   final    the newest record to the destination is held back; on
 *            SIGUSR1, once the source has sent nothing for --quiet=MS
 *            (default 300), half of it goes (when the source's phase is
 *            "final" and it waits for the ack, that record is the final
 *            state)
 *   ack      once the destination's first record (its ack) is in; none
 *            of it goes to the source
 *   commit   after the ack went to the source, when the source sends
 *            more (the commit); none of that goes
 *   confirm  after the source's final record (the commit) went, when the
 *            destination sends more or closes; none of that goes
 * The actions:
 *   cut      close both connections (FIN; the default)
 *   rst      reset the destination's connection, close the source's
 *   fin      end the stream to the destination (FIN), forward the rest
 *            of the other direction
 *   stall    forward nothing more, close nothing, until SIGTERM
 *   flip     invert the byte at offset N to the destination (src:N only)
 * "src:N" and "dst:N" are for what has no marker in the framing (the
 * hello, a byte inside a record). It prints the bytes it had forwarded
 * each way when the fault happens and on exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELLO_BYTES	56
#define RECORD_FINAL	0x80000000u
#define BUF_BYTES	(2u << 20)	/* more than a record */

enum point { AT_SRC, AT_DST, AT_SIGNAL, AT_FINAL, AT_ACK, AT_COMMIT,
	     AT_CONFIRM };
enum action { DO_CUT, DO_RST, DO_FIN, DO_STALL, DO_FLIP };

/* One direction: bytes read, held, forwarded, and its record framing. */
struct flow {
	int from, to;
	const char *name;
	uint8_t *buf;		/* read but not yet forwarded */
	size_t held;
	uint64_t in, fwd;	/* bytes read; bytes forwarded */
	bool eof, closed;	/* the sender ended; we ended the receiver */
	uint64_t next_hdr;	/* offset of the next record header */
	uint8_t hdr[4];
	unsigned int hdr_have;
	uint64_t rec_start;	/* the newest record seen starts here */
	uint64_t rec_end;	/* ... and ends here */
	bool rec_whole;		/* ... and is all in */
	uint64_t final_end;	/* the final record's end, once seen */
};

static volatile sig_atomic_t got_usr1, got_term;
static enum point at = AT_SIGNAL;
static enum action act = DO_CUT;
static uint64_t at_n;
static bool fired, stalled, src_dropped;
static uint64_t src_last_ms;	/* when the source last sent bytes */
static uint64_t quiet_ms = 300;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

/* Follow the records in bytes [f->in, f->in + len). */
static void frame(struct flow *f, const uint8_t *p, size_t len)
{
	uint64_t off = f->in, end = f->in + len, body;

	if (f->next_hdr == 0)
		f->next_hdr = HELLO_BYTES;
	while (off < end) {
		if (off < f->next_hdr) {
			off = f->next_hdr < end ? f->next_hdr : end;
			continue;
		}
		if (f->hdr_have == 0)
			f->rec_start = off;
		f->hdr[f->hdr_have++] = p[off - f->in];
		off++;
		if (f->hdr_have < 4)
			continue;
		f->hdr_have = 0;
		body = (f->hdr[0] | f->hdr[1] << 8 | f->hdr[2] << 16 |
			(uint32_t)f->hdr[3] << 24);
		f->rec_end = off + (body & ~RECORD_FINAL);
		f->next_hdr = f->rec_end;
		if (body & RECORD_FINAL)
			f->final_end = f->rec_end;
	}
	f->rec_whole = f->rec_end && end >= f->rec_end;
}

static int send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Forward up to @limit (an offset in the flow) of what is held. */
static int forward(struct flow *f, uint64_t limit)
{
	size_t n;

	if (limit <= f->fwd || f->closed)
		return 0;
	n = limit - f->fwd < f->held ? limit - f->fwd : f->held;
	if (at == AT_SRC && act == DO_FLIP && f->name[0] == 'd' &&
	    at_n >= f->fwd && at_n < f->fwd + n) {
		f->buf[at_n - f->fwd] ^= 0xff;
		fired = true;
	}
	if (send_all(f->to, f->buf, n))
		return -1;
	memmove(f->buf, f->buf + n, f->held - n);
	f->held -= n;
	f->fwd += n;
	return 0;
}

static void report(const struct flow *d, const struct flow *s, const char *what)
{
	printf("mig-proxy: %s: %llu bytes to the destination, %llu to the source\n",
	       what, (unsigned long long)d->fwd, (unsigned long long)s->fwd);
	fflush(stdout);
}

/* Unread bytes make close() send a reset: read them first for a FIN. */
static void drain(int fd)
{
	static uint8_t sink[65536];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

/* The fault itself; returns true when the proxy is done. */
static bool fire(struct flow *d, struct flow *s)
{
	struct linger hard = { 1, 0 };

	fired = true;
	report(d, s, "fault");
	switch (act) {
	case DO_RST:
		setsockopt(d->to, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
		/* fall through */
	case DO_CUT:
		drain(d->to);
		drain(s->to);
		close(d->to);
		close(s->to);
		return true;
	case DO_FIN:
		shutdown(d->to, SHUT_WR);
		d->closed = true;
		d->held = 0;
		src_dropped = true;
		return false;
	default:
		stalled = true;
		return false;
	}
}

/* How far each direction may go now, and whether the fault is due. */
static bool due(struct flow *d, struct flow *s, uint64_t *dlim,
		uint64_t *slim)
{
	*dlim = d->in;
	*slim = s->in;
	if (fired)
		return false;
	switch (at) {
	case AT_SRC:
		if (act == DO_FLIP)
			return false;
		*dlim = d->in < at_n ? d->in : at_n;
		return *dlim == at_n;
	case AT_DST:
		*slim = s->in < at_n ? s->in : at_n;
		return *slim == at_n;
	case AT_SIGNAL:
		return got_usr1;
	case AT_FINAL:
		*dlim = d->rec_start > HELLO_BYTES ? d->rec_start : HELLO_BYTES;
		if (*dlim > d->in)
			*dlim = d->in;
		if (!got_usr1 || now_ms() - src_last_ms < quiet_ms)
			return false;
		*dlim += (d->in - *dlim) / 2;
		return true;
	case AT_ACK:
		*slim = 0;
		return s->rec_whole || s->eof;
	case AT_COMMIT:
		if (!s->rec_end || s->fwd < s->rec_end)
			return false;
		*dlim = d->fwd;
		return d->in > d->fwd || d->eof;
	case AT_CONFIRM:
		if (!d->final_end || d->fwd < d->final_end)
			return false;
		*slim = s->fwd;
		return s->in > s->fwd || s->eof;
	}
	return false;
}

/* Read what one side sent; false on an error. */
static bool take(struct flow *f)
{
	ssize_t n = read(f->from, f->buf + f->held, BUF_BYTES - f->held);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0) {
		f->eof = true;
		return true;
	}
	if (src_dropped && f->name[0] == 'd') {
		f->in += n;	/* truncated: what comes later is dropped */
		return true;
	}
	if (f->name[0] == 'd')
		src_last_ms = now_ms();
	frame(f, f->buf + f->held, n);
	f->held += n;
	f->in += n;
	return true;
}

static int proxy(int src, int dst)
{
	struct flow d = { .from = src, .to = dst, .name = "destination" };
	struct flow s = { .from = dst, .to = src, .name = "source" };
	struct timespec tick = { 0, 50 * 1000000 };
	struct pollfd p[2];
	uint64_t dlim, slim;
	sigset_t open;
	bool done;

	d.buf = malloc(BUF_BYTES);
	s.buf = malloc(BUF_BYTES);
	if (!d.buf || !s.buf)
		return 1;
	sigemptyset(&open);
	for (;;) {
		done = due(&d, &s, &dlim, &slim);
		if (!stalled && (forward(&d, dlim) || forward(&s, slim))) {
			report(&d, &s, "a side hung up");
			return 0;
		}
		if (done && fire(&d, &s))
			break;
		if (got_term) {
			report(&d, &s, "terminated");
			return 0;
		}
		/* Pass an end on once all before it went. */
		if (d.eof && !d.held && !d.closed) {
			shutdown(dst, SHUT_WR);
			d.closed = true;
		}
		if (s.eof && !s.held && !s.closed) {
			shutdown(src, SHUT_WR);
			s.closed = true;
		}
		if (d.eof && s.eof && !d.held && !s.held)
			break;
		p[0].fd = d.eof || stalled || d.held == BUF_BYTES ? -1 : src;
		p[1].fd = s.eof || stalled || s.held == BUF_BYTES ? -1 : dst;
		p[0].events = p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		/* Waiting for the source to go quiet needs a clock. */
		if (ppoll(p, 2, got_usr1 && at == AT_FINAL && !fired ? &tick :
			  NULL, &open) < 0 && errno != EINTR)
			return 1;
		if ((p[0].revents && !take(&d)) || (p[1].revents && !take(&s))) {
			report(&d, &s, "a side failed");
			return 0;
		}
	}
	report(&d, &s, "done");
	return 0;
}

static int listen_any(const char *portfile)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	FILE *f;
	int s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 1) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	f = fopen(portfile, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", ntohs(sa.sin_port));
	fclose(f);
	return s;
}

static int connect_port(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(atoi(port));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int parse_at(const char *v)
{
	static const char *const names[] = { "src:", "dst:", "signal",
		"final", "ack", "commit", "confirm" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strncmp(v, names[i], strlen(names[i])))
			continue;
		at = i;
		if (i <= AT_DST)
			at_n = strtoull(v + 4, NULL, 10);
		return 0;
	}
	return -1;
}

static int parse_do(const char *v)
{
	static const char *const names[] = { "cut", "rst", "fin", "stall",
		"flip" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(v, names[i])) {
			act = i;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	int i, l, src, dst;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strncmp(argv[i], "--quiet=", 8)) {
			quiet_ms = strtoull(argv[i] + 8, NULL, 10);
			continue;
		}
		if ((strncmp(argv[i], "--at=", 5) || parse_at(argv[i] + 5)) &&
		    (strncmp(argv[i], "--do=", 5) || parse_do(argv[i] + 5)))
			break;
	}
	if (argc - i != 2 || (act == DO_FLIP && at != AT_SRC)) {
		fprintf(stderr, "usage: mig-proxy [--quiet=MS] [--at=src:N|dst:N|signal|final|ack|commit|confirm] [--do=cut|rst|fin|stall|flip] PORTFILE PORT\n");
		return 2;
	}
	/* Signals only inside ppoll(), so none is missed between checks. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	l = listen_any(argv[i]);
	dst = l < 0 ? -1 : connect_port(argv[i + 1]);
	src = dst < 0 ? -1 : accept(l, NULL, NULL);
	if (src < 0) {
		fprintf(stderr, "mig-proxy: %s\n", strerror(errno));
		return 1;
	}
	close(l);
	return proxy(src, dst);
}
