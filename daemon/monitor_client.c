/* SPDX-License-Identifier: ISC */
/*
 * skiffd's side of a monitor's control socket (docs/monitor-control.md),
 * on the event loop: the daemon never waits for a monitor.
 *
 * One connection per VM, opened on the first call and kept. Requests are
 * written at once and queued by JSON-RPC id; each has a completion
 * callback and its own timer. The monitor answers in order, but answers
 * are matched by id, so the queue does not depend on it.
 *
 * Every request ends exactly once, through its callback:
 *   - the answer arrives: result, or the monitor's error;
 *   - its timer fires: "timed out after N s". The connection is then
 *     reset, because a monitor that does not answer one request is not
 *     trusted with the others: they fail with "connection reset";
 *   - the connection ends (EOF, a read error, a bad line) or
 *     monitor_disconnect() is called (the monitor exited, the VM goes):
 *     every outstanding request fails.
 * A request the daemon gave up on may still be carried out by the
 * monitor (it was written before the reset); callers that change state
 * account for that (methods_vm.c).
 *
 * Callbacks may start new calls; a call on a connection being torn down
 * opens a new one.
 *
 * A call may carry one file descriptor (monitor_call_async_fd: the file
 * monitor.snapshot writes), attached by SCM_RIGHTS to a byte of its
 * request line. The bufferevent cannot attach one, so such a line is sent
 * with sendmsg() by this file, and only when nothing is queued before it
 * in the bufferevent's output: sent straight away then, else held, with
 * every line that comes after it, until that output has drained (the
 * bufferevent's write callback) or the socket takes more (wev). Lines
 * thus leave in the order they were made, and the descriptor arrives
 * with its own line, never with a byte of another. What sendmsg() does
 * not take of the line (after its first byte, which carried the
 * descriptor) goes through the bufferevent like any line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "skiffd.h"

/* A monitor's lines are small; anything longer is a broken monitor. */
#define MONITOR_LINE_MAX	(1u << 20)

struct monitor_req {
	struct monitor_req *next;
	struct monitor_conn *m;
	json_int_t id;
	char method[32];
	int timeout_ms;
	struct event *timer;
	monitor_done_fn cb;
	void *arg;
};

/* A line not yet handed to the bufferevent (see the top of the file). */
struct held_line {
	struct held_line *next;
	int fd;				/* to attach, or -1 */
	size_t len;
	char data[];
};

struct monitor_conn {
	struct vm *vm;
	struct bufferevent *bev;
	struct monitor_req *reqs;	/* outstanding, oldest first */
	struct held_line *held;		/* an fd's line, and lines after it */
	struct held_line **held_tail;
	struct event *wev;		/* the socket can take a held line */
	json_int_t next_id;
	unsigned int in_read;		/* read callback running */
	bool dead;			/* free at the end of the read callback */
};

static void req_free(struct monitor_req *r)
{
	if (r->timer)
		event_free(r->timer);
	free(r);
}

/* Take @r off its connection's queue. */
static void req_unlink(struct monitor_req *r)
{
	struct monitor_req **pp;

	for (pp = &r->m->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	r->next = NULL;
}

/* Finish @r (already unlinked) with @result or @err, and free it. */
static void req_finish(struct vm *vm, struct monitor_req *r, json_t *result,
		       struct jsonrpc_error *err)
{
	r->cb(vm, result, result ? NULL : err, r->arg);
	req_free(r);
}

static void req_fail(struct vm *vm, struct monitor_req *r, int code,
		     const char *why)
{
	struct jsonrpc_error err = { 0 };

	jsonrpc_error_set(&err, code, "vm %s: %s: %s", vm->def.name,
			  r->method, why);
	req_finish(vm, r, NULL, &err);
	jsonrpc_error_clear(&err);
}

static void held_free(struct monitor_conn *m)
{
	struct held_line *h;

	while ((h = m->held)) {
		m->held = h->next;
		if (h->fd >= 0)
			close(h->fd);
		free(h);
	}
	m->held_tail = &m->held;
}

static void conn_free(struct monitor_conn *m)
{
	held_free(m);
	if (m->wev)
		event_free(m->wev);
	bufferevent_free(m->bev);
	free(m);
}

/*
 * Detach @m from its VM first, so that the callbacks see no connection
 * (a new call opens a fresh one), then fail what was outstanding.
 */
static void conn_reset(struct monitor_conn *m, const char *why)
{
	struct vm *vm = m->vm;
	struct monitor_req *r;

	if (vm->mon == m)
		vm->mon = NULL;
	bufferevent_disable(m->bev, EV_READ | EV_WRITE);
	if (m->wev)
		event_del(m->wev);
	held_free(m);
	while ((r = m->reqs)) {
		m->reqs = r->next;
		r->next = NULL;
		req_fail(vm, r, SKIFF_ERR_SYSTEM, why);
	}
	if (m->in_read)
		m->dead = true;
	else
		conn_free(m);
}

void monitor_disconnect(struct vm *vm)
{
	if (vm->mon)
		conn_reset(vm->mon, "the monitor connection was closed");
}

void monitor_disconnect_reason(struct vm *vm, const char *why)
{
	if (vm->mon)
		conn_reset(vm->mon, why);
}

/* One line from the monitor: an answer to one of ours, else skipped. */
static void conn_line(struct monitor_conn *m, const char *line, size_t len)
{
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_message msg;
	struct vm *vm = m->vm;
	struct monitor_req *r;
	json_int_t id;

	if (jsonrpc_message_parse(line, len, MONITOR_LINE_MAX, &msg, &err)) {
		log_debug("vm %s: monitor sent a bad line: %s", vm->def.name,
			  err.message);
		jsonrpc_error_clear(&err);
		return;
	}
	/*
	 * Notifications (none yet) are where migration progress will come
	 * in; route them from here when the monitor sends any.
	 */
	if (msg.kind != JSONRPC_MSG_RESPONSE || !json_is_integer(msg.id))
		goto out;
	id = json_integer_value(msg.id);
	for (r = m->reqs; r && r->id != id; r = r->next)
		;
	if (!r)
		goto out;
	req_unlink(r);
	if (msg.is_error) {
		jsonrpc_error_set(&err, msg.code == SKIFF_ERR_ILLEGAL_STATE ?
				  SKIFF_ERR_ILLEGAL_STATE : SKIFF_ERR_SYSTEM,
				  "vm %s: monitor: %s", vm->def.name,
				  msg.message);
		req_finish(vm, r, NULL, &err);
		jsonrpc_error_clear(&err);
	} else {
		req_finish(vm, r, msg.result, NULL);
	}
out:
	jsonrpc_message_release(&msg);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct monitor_conn *m = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	m->in_read++;
	while (!m->dead && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		conn_line(m, line, n);
		free(line);
	}
	if (!m->dead && evbuffer_get_length(in) > MONITOR_LINE_MAX)
		conn_reset(m, "the monitor sent a line over 1 MiB");
	if (--m->in_read == 0 && m->dead)
		conn_free(m);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct monitor_conn *m = arg;
	char why[128];

	/* A monitor that dies with unread input resets instead of EOF. */
	if ((what & BEV_EVENT_EOF) || EVUTIL_SOCKET_ERROR() == ECONNRESET)
		snprintf(why, sizeof(why), "the monitor closed the connection");
	else
		snprintf(why, sizeof(why), "control socket: %s",
			 strerror(EVUTIL_SOCKET_ERROR()));
	conn_reset(m, why);
}

/* @line with @fd attached by SCM_RIGHTS; what sendmsg() returns. */
static ssize_t send_fd(struct monitor_conn *m, const char *line, size_t len,
		       int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(bufferevent_getfd(m->bev), &msg,
		       MSG_NOSIGNAL | MSG_DONTWAIT);
}

static bool would_block(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* Keep a line (and a copy of its @fd) until the lines before it are out. */
static int held_push(struct monitor_conn *m, const char *line, size_t len,
		     int fd)
{
	struct held_line *h = malloc(sizeof(*h) + len);

	if (!h)
		return -1;
	h->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd >= 0 && h->fd < 0) {
		free(h);
		return -1;
	}
	h->next = NULL;
	h->len = len;
	memcpy(h->data, line, len);
	*m->held_tail = h;
	m->held_tail = &h->next;
	return 0;
}

/*
 * Send the held line @h, which carries a descriptor, now that nothing is
 * queued before it. 1: sent (the rest of it queued), 0: the socket is
 * full (wev armed), -1: error.
 */
static int held_send(struct monitor_conn *m, struct held_line *h)
{
	ssize_t n = send_fd(m, h->data, h->len, h->fd);

	if (n < 0 && would_block(errno))
		return event_add(m->wev, NULL) ? -1 : 0;
	if (n < 0)
		return -1;
	if ((size_t)n < h->len &&
	    bufferevent_write(m->bev, h->data + n, h->len - n))
		return -1;
	return 1;
}

/*
 * Hand the held lines over in order. A descriptor's line waits for the
 * output to be empty: the write callback or wev brings us back.
 */
static void held_flush(struct monitor_conn *m)
{
	struct evbuffer *out = bufferevent_get_output(m->bev);
	struct held_line *h;
	char why[128];
	int rc;

	while ((h = m->held)) {
		if (h->fd < 0) {
			rc = bufferevent_write(m->bev, h->data, h->len);
			rc = rc ? -1 : 1;
		} else {
			if (evbuffer_get_length(out))
				return;
			rc = held_send(m, h);
		}
		if (rc == 0)
			return;
		if (rc < 0) {
			snprintf(why, sizeof(why), "control socket: %s",
				 strerror(errno));
			conn_reset(m, why);
			return;
		}
		m->held = h->next;
		if (!m->held)
			m->held_tail = &m->held;
		if (h->fd >= 0)
			close(h->fd);
		free(h);
	}
}

/* The output has drained: a held line may go now. */
static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct monitor_conn *m = arg;

	if (m->held)
		held_flush(m);
}

static void conn_wev_cb(evutil_socket_t fd, short what, void *arg)
{
	held_flush(arg);
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
	/* A Unix socket connects at once or not at all: never waits. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err_fd;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto err_fd;
	m->vm = vm;
	m->held_tail = &m->held;
	m->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!m->bev)
		goto err_m;
	m->wev = event_new(d->base, fd, EV_WRITE, conn_wev_cb, m);
	bufferevent_setcb(m->bev, conn_read_cb, conn_write_cb, conn_event_cb,
			  m);
	if (!m->wev || bufferevent_enable(m->bev, EV_READ | EV_WRITE))
		goto err_bev;
	vm->mon = m;
	return 0;
err_bev:
	if (m->wev)
		event_free(m->wev);
	bufferevent_free(m->bev);
	free(m);
	return -1;
err_m:
	free(m);
err_fd:
	close(fd);
	return -1;
}

static void req_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor_req *r = arg;
	struct monitor_conn *m = r->m;
	struct vm *vm = m->vm;
	char why[96], reset[160];

	if (r->timeout_ms % 1000)
		snprintf(why, sizeof(why), "timed out after %d ms",
			 r->timeout_ms);
	else
		snprintf(why, sizeof(why), "timed out after %d s",
			 r->timeout_ms / 1000);
	log_warn("vm %s: %s: %s; resetting the monitor connection",
		 vm->def.name, r->method, why);
	req_unlink(r);
	snprintf(reset, sizeof(reset), "connection reset (%s %s)", r->method,
		 why);
	conn_reset(m, reset);
	req_fail(vm, r, SKIFF_ERR_SYSTEM, why);
}

/*
 * Straight to the socket when nothing is queued before it (waiting for
 * the loop's next turn would add latency); the rest, if the socket does
 * not take it all, goes out through the bufferevent. A line with @fd
 * (>= 0) goes straight out or is held (see the top of the file), and so
 * is every line behind a held one.
 */
static int conn_send(struct monitor_conn *m, const char *line, size_t len,
		     int fd)
{
	struct evbuffer *out = bufferevent_get_output(m->bev);
	bool queued = evbuffer_get_length(out) > 0;
	ssize_t n = 0;

	if (m->held || (fd >= 0 && queued))
		return held_push(m, line, len, fd);
	if (!queued) {
		if (fd >= 0)
			n = send_fd(m, line, len, fd);
		else
			n = send(bufferevent_getfd(m->bev), line, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && !would_block(errno))
			return -1;
		if (n < 0)
			n = 0;
	}
	/* The socket is full: the descriptor waits with its line. */
	if (fd >= 0 && n == 0)
		return held_push(m, line, len, fd) || event_add(m->wev, NULL) ?
		       -1 : 0;
	if ((size_t)n == len)
		return 0;
	return bufferevent_write(m->bev, line + n, len - n);
}

static int call_async(struct skiffd *d, struct vm *vm, const char *method,
		      json_t *params, int timeout_ms, monitor_done_fn cb,
		      void *arg, int fd, struct jsonrpc_error *err)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	struct monitor_req *r, **pp;
	struct monitor_conn *m;
	char *line = NULL;
	json_t *id;
	size_t len;
	int e;

	if (monitor_connect(d, vm))
		goto sys_err;
	m = vm->mon;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto sys_err;
	r->m = m;
	r->id = ++m->next_id;
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->timeout_ms = timeout_ms;
	r->cb = cb;
	r->arg = arg;
	r->timer = evtimer_new(d->base, req_timeout_cb, r);
	id = json_integer(r->id);
	line = jsonrpc_request_line(id, method, json_incref(params), &len);
	json_decref(id);
	if (!r->timer || !line || evtimer_add(r->timer, &tv) ||
	    conn_send(m, line, len, fd))
		goto err_r;
	free(line);
	for (pp = &m->reqs; *pp; pp = &(*pp)->next)
		;
	*pp = r;
	log_debug("vm %s: %s: sent (id %lld, timeout %d ms)", vm->def.name,
		  method, (long long)r->id, timeout_ms);
	return 0;
err_r:
	e = errno;
	free(line);
	req_free(r);
	errno = e;
sys_err:
	return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				 "vm %s: %s: monitor control socket: %s",
				 vm->def.name, method, strerror(errno));
}

int monitor_call_async(struct skiffd *d, struct vm *vm, const char *method,
		       json_t *params, int timeout_ms, monitor_done_fn cb,
		       void *arg, struct jsonrpc_error *err)
{
	return call_async(d, vm, method, params, timeout_ms, cb, arg, -1, err);
}

int monitor_call_async_fd(struct skiffd *d, struct vm *vm, const char *method,
			  json_t *params, int fd, int timeout_ms,
			  monitor_done_fn cb, void *arg,
			  struct jsonrpc_error *err)
{
	return call_async(d, vm, method, params, timeout_ms, cb, arg, fd, err);
}

/* --- monitor.info: counters, and the monitor's word on the state ------- */

struct refresh_waiter {
	struct refresh_waiter *next;
	monitor_refresh_fn cb;
	void *arg;
};

/* Take the counters, and reconcile running/paused with the monitor. */
static void refresh_apply(struct vm *vm, json_t *info)
{
	json_t *c = json_object_get(info, "counters");
	const char *st = json_string_value(json_object_get(info, "state"));
	enum vm_state s;

	/* A skiffd restarted mid-migration learns of it here. */
	vm->migrating = json_is_object(json_object_get(info, "migration"));
	if (json_is_object(c)) {
		json_decref(vm->counters);
		vm->counters = json_incref(c);
		vm->counters_at = now_realtime();
	}
	/*
	 * The monitor is the authority on running vs paused. They differ
	 * after a pause or resume that timed out here but was carried out
	 * there; not while one is in flight (its answer decides).
	 */
	if (!st || vm_job_busy(vm) ||
	    (vm->state != VM_RUNNING && vm->state != VM_PAUSED))
		return;
	s = !strcmp(st, "paused") ? VM_PAUSED : VM_RUNNING;
	if (s != vm->state) {
		log_warn("vm %s: the monitor says %s; taking its word",
			 vm->def.name, st);
		vm_set_state(vm->d, vm, s);
	}
}

static void refresh_done(struct vm *vm, json_t *result,
			 struct jsonrpc_error *err, void *arg)
{
	struct refresh_waiter *w = vm->refresh_waiters, *next;

	vm->refresh_waiters = NULL;
	vm->refreshing = false;
	vm->refresh_failed_at = result ? 0 : now_monotonic();
	if (result)
		refresh_apply(vm, result);
	if (err)
		log_debug("%s", err->message);
	for (; w; w = next) {
		next = w->next;
		w->cb(vm, result, w->arg);
		free(w);
	}
}

int monitor_refresh_async(struct skiffd *d, struct vm *vm,
			  monitor_refresh_fn cb, void *arg)
{
	struct jsonrpc_error err = { 0 };
	struct refresh_waiter *w = NULL, **pp;

	if (cb) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -1;
		w->cb = cb;
		w->arg = arg;
	}
	/* One monitor.info at a time; later askers wait for the same one. */
	if (!vm->refreshing) {
		if (monitor_call_async(d, vm, "monitor.info", NULL,
				       MONITOR_INFO_TIMEOUT_MS, refresh_done,
				       NULL, &err)) {
			log_debug("%s", err.message);
			jsonrpc_error_clear(&err);
			vm->refresh_failed_at = now_monotonic();
			free(w);
			return -1;
		}
		vm->refreshing = true;
	}
	if (w) {
		for (pp = &vm->refresh_waiters; *pp; pp = &(*pp)->next)
			;
		*pp = w;
	}
	return 0;
}

bool monitor_counters_stale(struct vm *vm)
{
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED)
		return false;
	if (now_realtime() - vm->counters_at <= COUNTERS_MAX_AGE)
		return false;
	/* A monitor that just failed to answer is not asked at every call. */
	return !vm->refresh_failed_at ||
	       now_monotonic() - vm->refresh_failed_at > COUNTERS_MAX_AGE;
}
