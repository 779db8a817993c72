/* SPDX-License-Identifier: ISC */
/*
 * bench/start: how long from "start" to the guest's first console byte,
 * through skiffd (vm.start sent -> first vm.console_output received)
 * against skiff-monitor run directly (fork+exec -> first byte on its
 * stdout pipe), alternated run by run; medians and their ratio. Then the
 * start rate: N small guests started with pipelined vm.start calls, until
 * every one is running.
 *
 *   bench-start SOCKET MONITOR HELLO COUNTER RUNS N
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "line_reader.h"

static int sock;
static struct line_reader lr;
static int next_id;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-start: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void send_call(const char *method, json_t *params)
{
	json_t *id = json_integer(++next_id);
	size_t len;
	char *line = jsonrpc_request_line(id, method, params, &len);

	json_decref(id);
	if (!line || write(sock, line, len) != (ssize_t)len)
		die("write: %s", strerror(errno));
	free(line);
}

static void read_msg(struct jsonrpc_message *m)
{
	struct jsonrpc_error err = { 0 };
	char *line;
	size_t n;
	int rc;

	while ((rc = line_reader_next(&lr, &line, &n)) == 0)
		if (line_reader_fill(&lr, sock) <= 0)
			die("skiffd closed the connection");
	if (rc < 0 || jsonrpc_message_parse(line, n, 0, m, &err))
		die("bad message from skiffd");
	if (m->kind == JSONRPC_MSG_RESPONSE && m->is_error)
		die("%s", m->message);
}

/* Call and wait for the answer; notifications in between are dropped. */
static void call(const char *method, json_t *params)
{
	struct jsonrpc_message m;
	int id;

	send_call(method, params);
	id = next_id;
	for (;;) {
		read_msg(&m);
		if (m.kind == JSONRPC_MSG_RESPONSE &&
		    json_integer_value(m.id) == id) {
			jsonrpc_message_release(&m);
			return;
		}
		jsonrpc_message_release(&m);
	}
}

static bool is_event(struct jsonrpc_message *m, const char *method,
		     const char *name, const char *state)
{
	const char *s;

	if (m->kind != JSONRPC_MSG_NOTIFICATION || strcmp(m->method, method))
		return false;
	if (name && strcmp(json_string_value(json_object_get(m->params,
							       "name")), name))
		return false;
	s = json_string_value(json_object_get(m->params, "state"));
	return !state || (s && !strcmp(s, state));
}

static void wait_event(const char *method, const char *name,
		       const char *state)
{
	struct jsonrpc_message m;

	for (;;) {
		read_msg(&m);
		if (is_event(&m, method, name, state)) {
			jsonrpc_message_release(&m);
			return;
		}
		jsonrpc_message_release(&m);
	}
}

static double via_daemon(const char *guest, int i)
{
	struct jsonrpc_message m;
	char name[32];
	double t0, t;

	snprintf(name, sizeof(name), "s%d", i);
	call("vm.create", json_pack("{s:s,s:s,s:i}", "name", name,
				    "kernel", guest, "mem", 8));
	t0 = now();
	send_call("vm.start", json_pack("{s:s}", "name", name));
	for (;;) {
		read_msg(&m);
		if (is_event(&m, "vm.console_output", name, NULL)) {
			t = now() - t0;
			jsonrpc_message_release(&m);
			break;
		}
		jsonrpc_message_release(&m);
	}
	wait_event("vm.state_changed", name, "stopped");
	call("vm.delete", json_pack("{s:s}", "name", name));
	return t;
}

static double direct(const char *monitor, const char *guest)
{
	int p[2], status;
	double t0, t;
	char c;
	pid_t pid;

	if (pipe(p))
		die("pipe");
	t0 = now();
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(monitor, monitor, "--mem=8", guest, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("%s printed nothing", monitor);
	t = now() - t0;
	while (read(p[0], &c, 1) > 0)
		;
	close(p[0]);
	waitpid(pid, &status, 0);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return v[n / 2];
}

static void start_rate(const char *guest, int n)
{
	char name[32];
	double t0, t;
	int i, running = 0;
	struct jsonrpc_message m;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		call("vm.create", json_pack("{s:s,s:s,s:i}", "name", name,
					    "kernel", guest, "mem", 4));
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		send_call("vm.start", json_pack("{s:s}", "name", name));
	}
	while (running < n) {
		read_msg(&m);
		if (is_event(&m, "vm.state_changed", NULL, "running"))
			running++;
		else if (is_event(&m, "vm.state_changed", NULL, "crashed"))
			die("a guest crashed during the start-rate run");
		jsonrpc_message_release(&m);
	}
	t = now() - t0;
	printf("start rate: %d guests running in %.3f s: %.1f starts/s (goal >= 50 on 2 cores: %s)\n",
	       n, t, n / t, n / t >= 50 ? "met" : "NOT met");
	/* Kill them all; count answers and stops as they come, in any order. */
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		send_call("vm.kill", json_pack("{s:s}", "name", name));
	}
	for (running = 0, i = 0; running < n || i < n;) {
		read_msg(&m);
		if (m.kind == JSONRPC_MSG_RESPONSE)
			i++;
		else if (is_event(&m, "vm.state_changed", NULL, "stopped"))
			running++;
		jsonrpc_message_release(&m);
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		call("vm.delete", json_pack("{s:s}", "name", name));
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double *dd, *md, d, m;
	int i, runs, n;

	if (argc != 7)
		die("usage: bench-start SOCKET MONITOR HELLO COUNTER RUNS N");
	setvbuf(stdout, NULL, _IOLBF, 0);
	runs = atoi(argv[5]);
	n = atoi(argv[6]);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)))
		die("%s: %s", argv[1], strerror(errno));
	line_reader_init(&lr, 64 << 20);
	call("events.subscribe", json_pack("{s:b}", "console", 1));
	dd = calloc(runs, sizeof(double));
	md = calloc(runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		md[i] = direct(argv[2], argv[3]);
		dd[i] = via_daemon(argv[3], i);
	}
	d = median(dd, runs);
	m = median(md, runs);
	printf("bench/start: start -> first console byte of hello, median of %d runs (alternated)\n",
	       runs);
	printf("via skiffd %.2f ms  direct skiff-monitor %.2f ms  ratio %.2f (goal <= 1.30: %s)  [min %.2f / %.2f ms]\n",
	       d * 1e3, m * 1e3, d / m, d / m <= 1.3 ? "met" : "NOT met",
	       dd[0] * 1e3, md[0] * 1e3);
	start_rate(argv[4], n);
	return 0;
}
