/* SPDX-License-Identifier: ISC */
/*
 * monitor_client.c against a scripted monitor (this test holds the
 * listening control socket and answers by hand): answers matched by id,
 * notifications skipped, timeouts that fail their call and reset the
 * connection, the connection ending with calls in flight, and callbacks
 * that start new calls while the old connection is torn down. Run under
 * ASan, which catches any use of a freed request or connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	static const struct test_case cases[] = {
		TEST_ENTRY(answers_matched_by_id_notifications_skipped),
		TEST_ENTRY(timeout_fails_its_call_and_resets_the_connection),
		TEST_ENTRY(the_end_of_the_connection_fails_what_is_in_flight),
		TEST_ENTRY(a_callback_may_call_again_while_the_connection_goes),
		TEST_ENTRY(no_monitor_listening_fails_at_once),
	};

	log_init(false, false);
	return test_main("daemon/monitor_client", cases,
			 sizeof(cases) / sizeof(cases[0]));
}
