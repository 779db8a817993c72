/* SPDX-License-Identifier: ISC */
/*
 * tcp_floor [MIB [RUNS]]: the loopback TCP bandwidth a migration could
 * at best use on this host, for bench/migrate's floor. A forked sender
 * writes MIB MiB (default 256) of non-zero bytes in 1 MiB writes over
 * 127.0.0.1; the receiver times from accept to EOF. RUNS runs (default
 * 3); prints the median "MIB/s" as a bare number, and each run on stderr.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(1024 * 1024)
#define MAX_RUNS 15

static char buf[CHUNK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_any(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa->sin_port = 0;
	if (s < 0 || bind(s, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(s, 1) < 0 ||
	    getsockname(s, (struct sockaddr *)sa, &len) < 0) {
		perror("tcp_floor: listen");
		exit(1);
	}
	return s;
}

static void send_all(const struct sockaddr_in *sa, long mib)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;
	size_t off;

	if (s < 0 || connect(s, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		_exit(1);
	while (mib--)
		for (off = 0; off < CHUNK; off += n) {
			n = write(s, buf + off, CHUNK - off);
			if (n <= 0)
				_exit(1);
		}
	_exit(0);
}

/* One run: MiB/s from accept to EOF, or a negative number on error. */
static double one_run(long mib)
{
	struct sockaddr_in sa;
	int l = listen_any(&sa), c, status;
	long long got = 0;
	double t0, t1;
	ssize_t n;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		send_all(&sa, mib);
	c = accept(l, NULL, NULL);
	t0 = now();
	while (c >= 0 && (n = read(c, buf, CHUNK)) > 0)
		got += n;
	t1 = now();
	close(c);
	close(l);
	if (waitpid(pid, &status, 0) < 0 || status != 0 ||
	    got != mib * CHUNK)
		return -1;
	return mib / (t1 - t0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256;
	int runs = argc > 2 ? atoi(argv[2]) : 3, i;
	double r[MAX_RUNS];

	if (mib <= 0 || runs <= 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: tcp_floor [MIB [RUNS (1-%d)]]\n",
			MAX_RUNS);
		return 2;
	}
	/* Non-zero, so nothing on the way could make it cheaper. */
	for (i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 131 + 7) | 1;
	for (i = 0; i < runs; i++) {
		r[i] = one_run(mib);
		if (r[i] < 0) {
			fprintf(stderr, "tcp_floor: run %d failed\n", i + 1);
			return 1;
		}
		fprintf(stderr, "tcp_floor: run %d: %ld MiB at %.0f MiB/s\n",
			i + 1, mib, r[i]);
	}
	qsort(r, runs, sizeof(r[0]), cmp);
	printf("%.1f\n", r[runs / 2]);
	return 0;
}
