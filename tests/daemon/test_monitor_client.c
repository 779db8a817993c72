/* SPDX-License-Identifier: ISC */
/*
 * monitor_client.c against a scripted monitor (this test holds the
 * listening control socket and answers by hand): answers matched by id,
 * notifications skipped, timeouts that fail their call and reset the
 * connection, the connection ending with calls in flight, and callbacks
 * that start new calls while the old connection is torn down, and a file
 * descriptor that rides with its own request line (SCM_RIGHTS), also
 * behind output the socket has not taken yet (FILLER). Run under ASan,
 * which catches any use of a freed request or connection.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static struct skiffd d;
static struct vm vm;
static int listen_fd = -1;

struct outcome {
	int done;
	char result[256];		/* the result's JSON, or "" */
	char error[256];		/* the error message, or "" */
	bool again;			/* start a new call from the callback */
	struct outcome *next_call;
};

static void done_cb(struct vm *v, json_t *result, struct jsonrpc_error *err,
		    void *arg)
{
	struct outcome *o = arg;
	struct jsonrpc_error e = { 0 };
	char *s;

	o->done++;
	if (result) {
		s = json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(o->result, sizeof(o->result), "%s", s);
		free(s);
	} else {
		snprintf(o->error, sizeof(o->error), "%s", err->message);
	}
	if (o->again && monitor_call_async(&d, v, "monitor.info", NULL, 5000,
					   done_cb, o->next_call, &e))
		jsonrpc_error_clear(&e);
}

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[VM_PATH_MAX + 64];

	memset(&d, 0, sizeof(d));
	memset(&vm, 0, sizeof(vm));
	d.base = event_base_new();
	snprintf(d.cfg.run_dir, sizeof(d.cfg.run_dir),
		 "/tmp/skiff-test-monitor-client.%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/vms/t1", d.cfg.run_dir);
	persist_mkdir_p(dir, 0700);
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%.80s/control.sock",
			     dir) >= sizeof(sa.sun_path))
		fprintf(stderr, "%s: path too long\n", dir);
	unlink(sa.sun_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listen_fd, 8))
		perror(sa.sun_path);
	vm.d = &d;
	vm.pidfd = -1;
	vm.console.fd = -1;
	vm.state = VM_RUNNING;
	snprintf(vm.def.name, sizeof(vm.def.name), "t1");
}

static void teardown(void)
{
	char path[VM_PATH_MAX + 96];

	monitor_disconnect(&vm);
	json_decref(vm.counters);
	close(listen_fd);
	snprintf(path, sizeof(path), "%s/vms/t1/control.sock", d.cfg.run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/vms/t1", d.cfg.run_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/vms", d.cfg.run_dir);
	rmdir(path);
	rmdir(d.cfg.run_dir);
	event_base_free(d.base);
}

/* Run the loop until *@flag is set (at most ~2 s). */
static void loop_until(const int *flag)
{
	struct timeval tick = { 0, 10000 };
	int i;

	for (i = 0; i < 200 && !*flag; i++) {
		event_base_loopexit(d.base, &tick);
		event_base_dispatch(d.base);
	}
}

/* Read one request line from @fd; return its id. */
static long read_request(int fd, char *method, size_t len)
{
	char buf[512];
	size_t n = 0;
	json_t *j;
	long id;

	while (n < sizeof(buf) - 1 && read(fd, buf + n, 1) == 1 &&
	       buf[n] != '\n')
		n++;
	buf[n] = 0;
	j = json_loads(buf, 0, NULL);
	id = (long)json_integer_value(json_object_get(j, "id"));
	snprintf(method, len, "%s",
		 json_string_value(json_object_get(j, "method")) ?: "");
	json_decref(j);
	return id;
}

static void say(int fd, const char *line)
{
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		perror("write");
}

TEST(answers_matched_by_id_notifications_skipped)
{
	struct outcome a = { 0 }, b = { 0 };
	struct jsonrpc_error err = { 0 };
	char m1[64], m2[64], line[256];
	long id1, id2;
	int fd;

	setup();
	REQUIRE(monitor_call_async(&d, &vm, "monitor.pause", NULL, 2000,
				   done_cb, &a, &err) == 0);
	REQUIRE(monitor_call_async(&d, &vm, "monitor.info", NULL, 2000,
				   done_cb, &b, &err) == 0);
	fd = accept(listen_fd, NULL, NULL);
	REQUIRE(fd >= 0);
	id1 = read_request(fd, m1, sizeof(m1));
	id2 = read_request(fd, m2, sizeof(m2));
	CHECK(!strcmp(m1, "monitor.pause") && !strcmp(m2, "monitor.info"));
	CHECK(id1 != id2);
	say(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"monitor.progress\",\"params\":{}}\n");
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"result\":{\"state\":\"running\",\"counters\":{\"exits\":7}}}\n",
		 id2);
	say(fd, line);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"error\":{\"code\":-32001,\"message\":\"already paused\"}}\n",
		 id1);
	say(fd, line);
	loop_until(&a.done);
	loop_until(&b.done);
	CHECK(a.done == 1 && b.done == 1);
	CHECK(!strcmp(a.error, "vm t1: monitor: already paused"));
	CHECK(!strcmp(b.result,
		      "{\"counters\":{\"exits\":7},\"state\":\"running\"}"));
	CHECK(vm.mon != NULL);
	close(fd);
	teardown();
}

TEST(timeout_fails_its_call_and_resets_the_connection)
{
	struct outcome slow = { 0 }, other = { 0 };
	struct jsonrpc_error err = { 0 };
	int fd;

	setup();
	REQUIRE(monitor_call_async(&d, &vm, "monitor.pause", NULL, 50,
				   done_cb, &slow, &err) == 0);
	REQUIRE(monitor_call_async(&d, &vm, "monitor.info", NULL, 5000,
				   done_cb, &other, &err) == 0);
	fd = accept(listen_fd, NULL, NULL);
	loop_until(&slow.done);
	CHECK(slow.done == 1 && other.done == 1);
	CHECK(!strcmp(slow.error, "vm t1: monitor.pause: timed out after 50 ms"));
	CHECK(!strcmp(other.error,
		      "vm t1: monitor.info: connection reset (monitor.pause timed out after 50 ms)"));
	CHECK(vm.mon == NULL);
	close(fd);
	teardown();
}

TEST(the_end_of_the_connection_fails_what_is_in_flight)
{
	struct outcome a = { 0 }, b = { 0 };
	struct jsonrpc_error err = { 0 };
	int fd;

	setup();
	REQUIRE(monitor_call_async(&d, &vm, "monitor.info", NULL, 5000,
				   done_cb, &a, &err) == 0);
	fd = accept(listen_fd, NULL, NULL);
	shutdown(fd, SHUT_WR);
	loop_until(&a.done);
	CHECK(!strcmp(a.error,
		      "vm t1: monitor.info: the monitor closed the connection"));
	close(fd);
	REQUIRE(monitor_call_async(&d, &vm, "monitor.resume", NULL, 5000,
				   done_cb, &b, &err) == 0);
	monitor_disconnect_reason(&vm, "the monitor exited");
	CHECK(b.done == 1);
	CHECK(!strcmp(b.error, "vm t1: monitor.resume: the monitor exited"));
	teardown();
}

TEST(a_callback_may_call_again_while_the_connection_goes)
{
	struct outcome second = { 0 }, first = { .again = true,
						 .next_call = &second };
	struct jsonrpc_error err = { 0 };
	char m[64];
	int fd, fd2;

	setup();
	REQUIRE(monitor_call_async(&d, &vm, "monitor.pause", NULL, 30,
				   done_cb, &first, &err) == 0);
	fd = accept(listen_fd, NULL, NULL);
	loop_until(&first.done);
	CHECK(first.done == 1 && second.done == 0);
	/* The new call went out on a new connection. */
	REQUIRE(vm.mon != NULL);
	fd2 = accept(listen_fd, NULL, NULL);
	REQUIRE(fd2 >= 0);
	CHECK(read_request(fd2, m, sizeof(m)) > 0);
	CHECK(!strcmp(m, "monitor.info"));
	monitor_disconnect(&vm);
	CHECK(second.done == 1);
	close(fd);
	close(fd2);
	teardown();
}

TEST(no_monitor_listening_fails_at_once)
{
	struct outcome a = { 0 };
	struct jsonrpc_error err = { 0 };

	setup();
	close(listen_fd);
	listen_fd = -1;
	CHECK(monitor_call_async(&d, &vm, "monitor.info", NULL, 100, done_cb,
				 &a, &err) == -1);
	CHECK(a.done == 0);
	CHECK(strstr(err.message, "vm t1: monitor.info: monitor control socket: ") ==
	      err.message);
	jsonrpc_error_clear(&err);
	teardown();
}

/* --- a descriptor with its line ------------------------------------------ */

/*
 * What the fake monitor read: the bytes, and with which a descriptor
 * came. Linux hands it over with the recvmsg() that returns the first
 * bytes sent with it, at the tail of what that call returns (earlier
 * bytes may come first in the same call, later ones never do).
 */
struct received {
	char *data;
	size_t len, cap;
	int fd;			/* the descriptor received, or -1 */
	size_t fd_from, fd_to;	/* the bytes of the recvmsg() it came with */
	int nfds;
};

/* Did the descriptor come with the first byte of line [@start, @end)? */
static bool came_with(const struct received *rx, size_t start, size_t end)
{
	return rx->fd >= 0 && rx->fd_from <= start && start < rx->fd_to &&
	       rx->fd_to <= end;
}

/* One non-blocking recvmsg(); 1 if bytes came, 0 if none, -1 at the end. */
static int receive_some(int sock, struct received *rx)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char buf[65536];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		rx->nfds += (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(&rx->fd, CMSG_DATA(c), sizeof(int));
		rx->fd_from = rx->len;
		rx->fd_to = rx->len + n;
	}
	if (rx->len + n + 1 > rx->cap) {
		rx->cap = (rx->len + n + 1) * 2;
		rx->data = realloc(rx->data, rx->cap);
	}
	memcpy(rx->data + rx->len, buf, n);
	rx->len += n;
	rx->data[rx->len] = '\0';
	return 1;
}

/* Turn the loop and read until @lines lines have come (at most ~5 s). */
static void receive_lines(int sock, struct received *rx, int lines)
{
	int i, n;
	char *p;

	for (i = 0; i < 5000; i++) {
		event_base_loop(d.base, EVLOOP_NONBLOCK);
		while (receive_some(sock, rx) > 0)
			;
		for (n = 0, p = rx->data; p && (p = strchr(p, '\n')); p++)
			n++;
		if (n >= lines)
			return;
		usleep(1000);
	}
}

/* The offsets of line @i of @rx: [*start, *end). */
static void line_span(const struct received *rx, int i, size_t *start,
		      size_t *end)
{
	const char *p = rx->data, *nl;

	for (; i > 0 && (nl = strchr(p, '\n')); i--)
		p = nl + 1;
	*start = p - rx->data;
	nl = strchr(p, '\n');
	*end = nl ? (size_t)(nl - rx->data) + 1 : rx->len;
}

static json_t *line_json(const struct received *rx, int i)
{
	size_t start, end;

	line_span(rx, i, &start, &end);
	return json_loadb(rx->data + start, end - start, 0, NULL);
}

/*
 * Eight calls this large: 4 MiB, more than a Unix socket holds unread
 * (its sender's buffer, wmem_default: 208 KiB unless raised).
 */
#define FILLER	(512 * 1024)

/* Is @a the same open file as @b? */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* How many of this process's descriptors are open on @fd's file. */
static int copies_of(int fd)
{
	DIR *dh = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (dh && (de = readdir(dh)))
		if (de->d_name[0] != '.' && same_file(atoi(de->d_name), fd))
			n++;
	if (dh)
		closedir(dh);
	return n;
}

TEST(a_descriptor_arrives_with_its_own_line)
{
	struct jsonrpc_error err = { 0 };
	struct received rx = { .fd = -1 };
	struct outcome a = { 0 };
	int file = memfd_create("snap", MFD_CLOEXEC), sock;
	size_t start, end;
	char line[256];
	json_t *params, *j;

	setup();
	REQUIRE(file >= 0);
	params = json_pack("{s:{s:s}}", "definition", "name", "t1");
	REQUIRE(monitor_call_async_fd(&d, &vm, "monitor.snapshot", params,
				      file, 2000, done_cb, &a, &err) == 0);
	json_decref(params);
	/* The call has its own copy: the caller may close its one now. */
	close(file);
	sock = accept(listen_fd, NULL, NULL);
	REQUIRE(sock >= 0);
	receive_lines(sock, &rx, 1);
	CHECK(rx.nfds == 1);
	line_span(&rx, 0, &start, &end);
	CHECK(came_with(&rx, start, end));
	j = line_json(&rx, 0);
	CHECK(!strcmp(json_string_value(json_object_get(j, "method")) ?: "",
		      "monitor.snapshot"));
	CHECK(!strcmp(json_string_value(json_object_get(
		json_object_get(json_object_get(j, "params"), "definition"),
		"name")) ?: "", "t1"));
	/* The monitor writes through it: a file it could not open itself. */
	CHECK(write(rx.fd, "SKIFF", 5) == 5);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"bytes\":5}}\n",
		 (long long)json_integer_value(json_object_get(j, "id")));
	say(sock, line);
	loop_until(&a.done);
	CHECK(!strcmp(a.result, "{\"bytes\":5}"));
	json_decref(j);
	close(rx.fd);
	free(rx.data);
	close(sock);
	teardown();
}

/*
 * Lines the socket did not take wait in the bufferevent: a descriptor's
 * line and the one after it wait behind them, and everything arrives in
 * order, the descriptor with the first bytes of its own line.
 */
TEST(a_descriptor_line_waits_its_turn_behind_queued_output)
{
	struct outcome big[8] = { 0 }, snap = { 0 }, after = { 0 };
	struct jsonrpc_error err = { 0 };
	struct received rx = { .fd = -1 };
	int file = memfd_create("snap", MFD_CLOEXEC), sock, i;
	char *filler = malloc(FILLER + 1);
	size_t start, end;
	json_t *params, *j;
	bool ordered = true;

	setup();
	REQUIRE(file >= 0 && filler);
	memset(filler, 'x', FILLER);
	filler[FILLER] = '\0';
	params = json_pack("{s:s}", "filler", filler);
	for (i = 0; i < 8; i++)
		REQUIRE(monitor_call_async(&d, &vm, "monitor.info", params,
					   5000, done_cb, &big[i], &err) == 0);
	REQUIRE(monitor_call_async_fd(&d, &vm, "monitor.snapshot", NULL, file,
				      5000, done_cb, &snap, &err) == 0);
	REQUIRE(monitor_call_async(&d, &vm, "monitor.resume", NULL, 5000,
				   done_cb, &after, &err) == 0);
	sock = accept(listen_fd, NULL, NULL);
	REQUIRE(sock >= 0);
	receive_lines(sock, &rx, 10);
	CHECK(rx.nfds == 1);
	for (i = 0; i < 10; i++) {
		j = line_json(&rx, i);
		if (json_integer_value(json_object_get(j, "id")) != i + 1)
			ordered = false;
		json_decref(j);
	}
	CHECK(ordered);
	line_span(&rx, 8, &start, &end);
	CHECK(came_with(&rx, start, end));
	CHECK(same_file(rx.fd, file));
	CHECK(snap.done == 0 && after.done == 0);
	json_decref(params);
	free(filler);
	close(rx.fd);
	close(file);
	free(rx.data);
	close(sock);
	teardown();
	CHECK(snap.done == 1 && after.done == 1);
}

/* A held line that never goes out takes its copy of the file with it. */
TEST(a_held_descriptor_is_closed_when_its_call_times_out)
{
	struct outcome big[8] = { 0 }, snap = { 0 };
	struct jsonrpc_error err = { 0 };
	int file = memfd_create("snap", MFD_CLOEXEC), sock, i;
	char *filler = malloc(FILLER + 1);
	json_t *params;

	setup();
	REQUIRE(file >= 0 && filler);
	memset(filler, 'x', FILLER);
	filler[FILLER] = '\0';
	params = json_pack("{s:s}", "filler", filler);
	for (i = 0; i < 8; i++)
		REQUIRE(monitor_call_async(&d, &vm, "monitor.info", params,
					   5000, done_cb, &big[i], &err) == 0);
	sock = accept(listen_fd, NULL, NULL);
	REQUIRE(monitor_call_async_fd(&d, &vm, "monitor.snapshot", NULL, file,
				      50, done_cb, &snap, &err) == 0);
	CHECK(copies_of(file) == 2);
	loop_until(&snap.done);
	CHECK(!strcmp(snap.error,
		      "vm t1: monitor.snapshot: timed out after 50 ms"));
	CHECK(big[7].done == 1);
	CHECK(copies_of(file) == 1);
	json_decref(params);
	free(filler);
	close(file);
	close(sock);
	teardown();
}

int main(void)
{
	static const struct test_case cases[] = {
		TEST_ENTRY(answers_matched_by_id_notifications_skipped),
		TEST_ENTRY(timeout_fails_its_call_and_resets_the_connection),
		TEST_ENTRY(the_end_of_the_connection_fails_what_is_in_flight),
		TEST_ENTRY(a_callback_may_call_again_while_the_connection_goes),
		TEST_ENTRY(no_monitor_listening_fails_at_once),
		TEST_ENTRY(a_descriptor_arrives_with_its_own_line),
		TEST_ENTRY(a_descriptor_line_waits_its_turn_behind_queued_output),
		TEST_ENTRY(a_held_descriptor_is_closed_when_its_call_times_out),
	};

	log_init(false, false);
	return test_main("daemon/monitor_client", cases,
			 sizeof(cases) / sizeof(cases[0]));
}
