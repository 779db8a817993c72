/* SPDX-License-Identifier: ISC */
/*
 * bench/api: vm.info throughput and latency (p50, p99, max) against
 * skiffd at 1 and 32 clients, each client one connection doing one call
 * at a time. The p99 and the max show the calls that waited for a
 * monitor.info round trip (counters are refreshed once a second): with
 * a daemon that waits for monitors, every client stalls behind it.
 *
 * The limit measured in the same run is the transport floor: the same
 * clients against an in-process echo server that answers each line with
 * a canned response of the same size, over the same kind of socket. The
 * ratio says what skiffd (decoding, lookup, the monitor round trip for
 * counters, encoding) adds to the bare socket round trip.
 *
 * With FROZEN, the name of a second VM whose monitor the caller stopped
 * (SIGSTOP), a last run repeats the 32 clients while one more client
 * asks vm.info on FROZEN all along (not counted): what a wedged
 * monitor costs everyone else.
 *
 *   bench-api SOCKET VM SECONDS [FROZEN]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "line_reader.h"

#define MAX_CLIENTS	64
#define MAX_SAMPLES	(1 << 20)

struct client {
	pthread_t thread;
	const char *socket;
	const char *request;
	size_t request_len;
	double seconds;
	double *lat;		/* seconds per call */
	size_t n;
	size_t errors;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(path);
		exit(1);
	}
	return fd;
}

/* One call: write the request, read one line, check it is a result. */
static int call(int fd, struct line_reader *lr, const char *req, size_t len)
{
	char *line;
	size_t n;
	int rc;

	if (write(fd, req, len) != (ssize_t)len)
		return -1;
	while ((rc = line_reader_next(lr, &line, &n)) == 0)
		if (line_reader_fill(lr, fd) <= 0)
			return -1;
	if (rc < 0)
		return -1;
	return strstr(line, "\"result\"") ? 0 : -1;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct line_reader lr;
	double end, t0, t1;
	int fd = connect_to(c->socket);

	line_reader_init(&lr, 0);
	end = now() + c->seconds;
	while ((t0 = now()) < end && c->n < MAX_SAMPLES) {
		if (call(fd, &lr, c->request, c->request_len))
			c->errors++;
		t1 = now();
		c->lat[c->n++] = t1 - t0;
	}
	line_reader_free(&lr);
	close(fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct result {
	double rate, p50, p99, max;
	size_t errors;
};

/* @side: one more client's request, run alongside and not counted. */
static struct result run_clients(const char *sock, const char *req,
				 int nclients, double seconds,
				 const char *side)
{
	static struct client cs[MAX_CLIENTS + 1];
	struct result r = { 0 };
	double *all, t0, t1;
	size_t total = 0, k = 0;
	int i, nthreads = nclients + (side != NULL);

	t0 = now();
	for (i = 0; i < nthreads; i++) {
		cs[i] = (struct client){ .socket = sock, .request = req,
			.request_len = strlen(req), .seconds = seconds };
		if (i == nclients) {
			cs[i].request = side;
			cs[i].request_len = strlen(side);
		}
		cs[i].lat = malloc(MAX_SAMPLES * sizeof(double));
		pthread_create(&cs[i].thread, NULL, client_main, &cs[i]);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(cs[i].thread, NULL);
	if (side)
		free(cs[nclients].lat);
	for (i = 0; i < nclients; i++) {
		total += cs[i].n;
		r.errors += cs[i].errors;
	}
	t1 = now();
	all = malloc(total * sizeof(double));
	for (i = 0; i < nclients; i++) {
		memcpy(all + k, cs[i].lat, cs[i].n * sizeof(double));
		k += cs[i].n;
		free(cs[i].lat);
	}
	qsort(all, total, sizeof(double), cmp_double);
	r.rate = total / (t1 - t0);
	r.p50 = total ? all[total / 2] : 0;
	r.p99 = total ? all[(size_t)(total * 0.99)] : 0;
	r.max = total ? all[total - 1] : 0;
	free(all);
	return r;
}

/* The floor: an echo server answering every line with @answer. */
struct echo {
	int listen_fd;
	const char *answer;
};

static void *echo_conn(void *arg)
{
	struct echo *e = ((void **)arg)[0];
	int fd = (int)(long)((void **)arg)[1];
	struct line_reader lr;
	size_t alen = strlen(e->answer), n;
	char *line;

	free(arg);
	line_reader_init(&lr, 0);
	for (;;) {
		while (line_reader_next(&lr, &line, &n) == 1)
			if (write(fd, e->answer, alen) != (ssize_t)alen)
				goto out;
		if (line_reader_fill(&lr, fd) <= 0)
			break;
	}
out:
	line_reader_free(&lr);
	close(fd);
	return NULL;
}

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	pthread_t t;
	void **a;
	int fd;

	while ((fd = accept(e->listen_fd, NULL, NULL)) >= 0) {
		a = malloc(2 * sizeof(void *));
		a[0] = e;
		a[1] = (void *)(long)fd;
		pthread_create(&t, NULL, echo_conn, a);
		pthread_detach(t);
	}
	return NULL;
}

static char *one_answer(const char *sock, const char *req)
{
	struct line_reader lr;
	char *line, *copy;
	size_t n;
	int fd = connect_to(sock);

	line_reader_init(&lr, 0);
	if (write(fd, req, strlen(req)) < 0)
		exit(1);
	while (line_reader_next(&lr, &line, &n) == 0)
		if (line_reader_fill(&lr, fd) <= 0)
			exit(1);
	copy = malloc(n + 2);
	memcpy(copy, line, n);
	strcpy(copy + n, "\n");
	line_reader_free(&lr);
	close(fd);
	return copy;
}

static void start_echo(const char *path, const char *answer)
{
	static struct echo e;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	e.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	e.answer = answer;
	if (bind(e.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(e.listen_fd, 128)) {
		perror(path);
		exit(1);
	}
	pthread_create(&t, NULL, echo_main, &e);
	pthread_detach(t);
}

/*
 * --during LABEL: only the 32 clients against the floor, one line named
 * LABEL (run/ calls it while something else goes on: a migration).
 */
static int run_during(const char *label, const char *sock,
		      const char *req, const char *echo_path, double secs)
{
	struct result d = run_clients(sock, req, 32, secs, NULL);
	struct result f = run_clients(echo_path, req, 32, secs, NULL);

	printf("32 clients, %s: skiffd %8.0f calls/s  p50 %6.1f us  p99 %7.1f us  max %7.1f us  errors %zu | floor %8.0f calls/s  p50 %6.1f us  p99 %7.1f us | ratio p50 %.2f  p99 %.2f\n",
	       label, d.rate, d.p50 * 1e6, d.p99 * 1e6, d.max * 1e6,
	       d.errors, f.rate, f.p50 * 1e6, f.p99 * 1e6, d.p50 / f.p50,
	       d.p99 / f.p99);
	printf("goal at 32 clients, %s: p99 < 1000 us: %s\n", label,
	       d.p99 < 1e-3 ? "met" : "NOT met");
	return d.errors != 0;
}

int main(int argc, char **argv)
{
	static const int counts[] = { 1, 32 };
	char req[512], side[512], echo_path[64];
	const char *during = NULL;
	struct result d, f;
	double secs;
	size_t i;
	int fail = 0;

	if (argc > 2 && !strcmp(argv[1], "--during")) {
		during = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: bench-api [--during LABEL] SOCKET VM SECONDS [FROZEN]\n");
		return 2;
	}
	secs = atof(argv[3]);
	snprintf(req, sizeof(req),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.info\",\"params\":{\"name\":\"%s\"}}\n",
		 argv[2]);
	snprintf(echo_path, sizeof(echo_path), "/tmp/skiff-bench-echo.%d",
		 (int)getpid());
	start_echo(echo_path, one_answer(argv[1], req));
	if (during) {
		fail = run_during(during, argv[1], req, echo_path, secs);
		unlink(echo_path);
		return fail;
	}
	printf("bench/api: vm.info on a running vm, %.0f s per run; floor = echo server, same socket type, same answer size\n",
	       secs);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		d = run_clients(argv[1], req, counts[i], secs, NULL);
		f = run_clients(echo_path, req, counts[i], secs, NULL);
		printf("%2d clients: skiffd %8.0f calls/s  p50 %6.1f us  p99 %7.1f us  max %7.1f us  errors %zu | floor %8.0f calls/s  p50 %6.1f us  p99 %7.1f us | ratio p50 %.2f  p99 %.2f\n",
		       counts[i], d.rate, d.p50 * 1e6, d.p99 * 1e6,
		       d.max * 1e6, d.errors, f.rate, f.p50 * 1e6,
		       f.p99 * 1e6, d.p50 / f.p50, d.p99 / f.p99);
		fail |= d.errors != 0;
		if (counts[i] == 32)
			printf("goal at 32 clients: >= 20000 calls/s and p99 < 1000 us: %s\n",
			       d.rate >= 20000 && d.p99 < 1e-3 ? "met" : "NOT met");
	}
	if (argc == 5) {
		snprintf(side, sizeof(side),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.info\",\"params\":{\"name\":\"%s\"}}\n",
			 argv[4]);
		d = run_clients(argv[1], req, 32, secs, side);
		printf("32 clients, vm %s's monitor stopped and asked vm.info all along: skiffd %8.0f calls/s  p50 %6.1f us  p99 %7.1f us  max %7.1f us  errors %zu | ratio to the floor p50 %.2f  p99 %.2f\n",
		       argv[4], d.rate, d.p50 * 1e6, d.p99 * 1e6, d.max * 1e6,
		       d.errors, d.p50 / f.p50, d.p99 / f.p99);
		fail |= d.errors != 0;
	}
	unlink(echo_path);
	return fail;
}
