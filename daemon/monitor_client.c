/* SPDX-License-Identifier: ISC */
/*
 * skiffd's side of a monitor's control socket (docs/monitor-control.md):
 * one connection per VM, kept open, one request at a time with a bounded
 * wait. Calls are short (monitor.info, monitor.pause, monitor.resume)
 * and the wait is bounded, so a wedged monitor costs at most the timeout
 * and marks that VM's counters stale; it cannot hang the daemon.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "line_reader.h"
#include "skiffd.h"

struct monitor_conn {
	int fd;
	struct line_reader lr;
	json_int_t next_id;
};

void monitor_disconnect(struct vm *vm)
{
	if (!vm->mon)
		return;
	close(vm->mon->fd);
	line_reader_free(&vm->mon->lr);
	free(vm->mon);
	vm->mon = NULL;
}

int monitor_connect(struct skiffd *d, struct vm *vm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[VM_PATH_MAX + 64];
	struct monitor_conn *m;
	int fd;

	if (vm->mon)
		return 0;
	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)) ||
	    (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
			     "%s/control.sock", dir) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		return -1;
	}
	m->fd = fd;
	line_reader_init(&m->lr, 0);
	vm->mon = m;
	return 0;
}

static long ms_left(double deadline)
{
	double left = deadline - now_monotonic();

	return left <= 0 ? 0 : (long)(left * 1000) + 1;
}

static int send_all(int fd, const char *buf, size_t len, double deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(&p, 1, ms_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* Wait for the response to @id; notifications and others are skipped. */
static int read_response(struct monitor_conn *m, json_int_t id,
			 double deadline, struct jsonrpc_message *msg,
			 struct jsonrpc_error *err)
{
	struct pollfd p = { .fd = m->fd, .events = POLLIN };
	char *line;
	size_t len;
	ssize_t n;
	int rc;

	for (;;) {
		rc = line_reader_next(&m->lr, &line, &len);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			if (jsonrpc_message_parse(line, len, 0, msg, err))
				return -1;
			if (msg->kind == JSONRPC_MSG_RESPONSE &&
			    json_integer_value(msg->id) == id)
				return 0;
			jsonrpc_message_release(msg);
			continue;
		}
		n = line_reader_fill(&m->lr, m->fd);
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n < 0 && poll(&p, 1, ms_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

json_t *monitor_call(struct skiffd *d, struct vm *vm, const char *method,
		     int timeout_ms, struct jsonrpc_error *err)
{
	double deadline = now_monotonic() + timeout_ms / 1000.0;
	struct jsonrpc_message msg;
	json_t *id, *result;
	char *line;
	size_t len;
	int rc;

	if (monitor_connect(d, vm))
		goto sys_err;
	id = json_integer(++vm->mon->next_id);
	line = jsonrpc_request_line(id, method, NULL, &len);
	json_decref(id);
	if (!line)
		goto sys_err;
	rc = send_all(vm->mon->fd, line, len, deadline);
	free(line);
	if (rc || read_response(vm->mon, vm->mon->next_id, deadline, &msg,
				err))
		goto sys_err;
	if (msg.is_error) {
		jsonrpc_error_set(err, msg.code == SKIFF_ERR_ILLEGAL_STATE ?
				  SKIFF_ERR_ILLEGAL_STATE : SKIFF_ERR_SYSTEM,
				  "vm %s: monitor: %s", vm->def.name,
				  msg.message);
		jsonrpc_message_release(&msg);
		return NULL;
	}
	result = json_incref(msg.result);
	jsonrpc_message_release(&msg);
	return result;
sys_err:
	jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			  "vm %s: monitor control socket: %s: %s", vm->def.name,
			  method, strerror(errno));
	monitor_disconnect(vm);
	return NULL;
}

json_t *monitor_refresh(struct skiffd *d, struct vm *vm)
{
	struct jsonrpc_error err = { 0 };
	json_t *info = monitor_call(d, vm, "monitor.info", 250, &err), *c;

	if (!info) {
		log_debug("%s", err.message);
		jsonrpc_error_clear(&err);
		return NULL;
	}
	c = json_object_get(info, "counters");
	if (json_is_object(c)) {
		json_decref(vm->counters);
		vm->counters = json_incref(c);
		vm->counters_at = now_realtime();
	}
	return info;
}
