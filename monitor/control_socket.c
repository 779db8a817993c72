/* SPDX-License-Identifier: ISC */
/*
 * The control socket skiffd talks to (docs/monitor-control.md): JSON-RPC
 * 2.0, one object per line, served by its own thread so it answers while
 * the vCPU runs or waits. The socket is bound before the sandbox goes on;
 * afterwards the thread only accepts, reads and writes. Signals that
 * steer the vCPU are blocked here so they always reach the vCPU thread.
 * A client that does not read its answers is dropped rather than
 * allowed to block the others.
 *
 * monitor.snapshot takes a file descriptor passed with its request line
 * (SCM_RIGHTS: the sandboxed monitor opens nothing) and is answered
 * later, when the transfer thread has written the file; its reply goes
 * to the connection that asked, if that is still open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "jsonrpc.h"
#include "line_reader.h"
#include "monitor.h"

#define CONTROL_MAX_CLIENTS	8
#define CONTROL_MAX_LINE	(64 * 1024)

struct control_client {
	int fd;
	struct line_reader lr;
	int passed_fd;			/* the last descriptor received, or -1 */
	unsigned int gen;		/* bumped when the slot is reused */
};

/* The request the transfer thread is working for. */
struct pending_reply {
	bool active;
	size_t client;
	unsigned int gen;
	json_t *id;
};

static struct {
	int listen_fd;
	int wake[2];			/* control_stop() writes here */
	pthread_t thread;
	sem_t started;			/* the thread is up: safe to sandbox */
	bool running;
	struct vm *vm;
	struct control_client client[CONTROL_MAX_CLIENTS];
	struct pending_reply pending;
} ctl = { .listen_fd = -1, .wake = { -1, -1 } };

static uint64_t counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static json_t *hypercall_counts(const struct vm *vm)
{
	static const char *const keys[HVT_HYPERCALL_MAX] = {
		NULL, "walltime", "puts", "poll", "block_write", "block_read",
		"net_write", "net_read", "halt",
	};
	json_t *o = json_object();
	unsigned int nr;

	for (nr = 1; nr < HVT_HYPERCALL_MAX; nr++)
		json_object_set_new(o, keys[nr], json_integer(
			counter(&vm->counters.hypercalls[nr])));
	return o;
}

static json_t *info_fields(struct vm *vm)
{
	const struct vm_counters *c = &vm->counters;

	return json_pack("{s:s?, s:i, s:s, s:f, s:I, s:s, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:o}}",
		"name", vm->name, "pid", (int)getpid(),
		"state", vcpu_is_paused(vm) ? "paused" : "running",
		"started_at", vm->started_at,
		"mem_size", (json_int_t)vm->mem.size,
		"kernel", vm->kernel_path,
		"console_origin", (json_int_t)vm->console_origin,
		"counters",
		"exits", (json_int_t)counter(&c->exits),
		"console_bytes", (json_int_t)counter(&c->console_bytes),
		"block_read_bytes", (json_int_t)counter(&c->block_read_bytes),
		"block_write_bytes", (json_int_t)counter(&c->block_write_bytes),
		"net_rx_bytes", (json_int_t)counter(&c->net_rx_bytes),
		"net_tx_bytes", (json_int_t)counter(&c->net_tx_bytes),
		"hypercalls", hypercall_counts(vm));
}

static json_t *migration_info(void)
{
	struct migrate_progress p;

	if (!transfer_progress(&p))
		return NULL;
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:f, s:f, s:f}",
		"phase", p.phase, "round", (int)p.round,
		"pages_sent", (json_int_t)p.pages_sent,
		"bytes_sent", (json_int_t)p.bytes_sent,
		"dirty_pages", (json_int_t)p.dirty_pages,
		"dirty_rate_mib_s", p.dirty_rate_mib_s,
		"estimated_downtime_ms", p.estimated_downtime_ms,
		"elapsed_s", p.elapsed_s);
}

static json_t *method_info(struct vm *vm)
{
	json_t *info = info_fields(vm), *mig = migration_info();

	if (info && mig)
		json_object_set_new(info, "migration", mig);
	else
		json_decref(mig);
	return info;
}

/* Start a snapshot; NULL when the answer will come from the thread. */
static char *method_snapshot(struct control_client *c, size_t slot,
			     const struct jsonrpc_request *req)
{
	json_t *def = json_object_get(req->params, "definition");
	char *text = NULL;
	int rc;

	if (c->passed_fd < 0)
		return jsonrpc_error_line(req->id, JSONRPC_INVALID_PARAMS,
			"monitor.snapshot: no file descriptor came with the request",
			NULL, NULL);
	if (def && !json_is_null(def)) {
		text = json_dumps(def, JSON_COMPACT);
		if (!text || strlen(text) > STREAM_DEFINITION_MAX) {
			free(text);
			return jsonrpc_error_line(req->id,
				JSONRPC_INVALID_PARAMS,
				"monitor.snapshot: the definition is over 64 KiB",
				NULL, NULL);
		}
	}
	if (ctl.pending.active) {
		free(text);
		return jsonrpc_error_line(req->id, SKIFF_ERR_ILLEGAL_STATE,
			"a snapshot is already being written", NULL, NULL);
	}
	rc = transfer_submit_snapshot(c->passed_fd, text);
	if (rc) {
		free(text);
		return jsonrpc_error_line(req->id, SKIFF_ERR_ILLEGAL_STATE,
			"a snapshot is already being written", NULL, NULL);
	}
	c->passed_fd = -1;		/* the transfer thread closes it */
	ctl.pending = (struct pending_reply){ true, slot, c->gen,
					      json_incref(req->id) };
	return NULL;
}

/* monitor.migrate's params; NULL when good, else why not. */
static const char *migrate_params(json_t *params, struct migrate_params *p)
{
	json_t *token = json_object_get(params, "token");
	json_t *v;
	size_t len;

	memset(p, 0, sizeof(*p));
	p->downtime_ms = 5;
	p->max_rounds = 30;
	if (!json_is_string(token) || json_string_length(token) != 64 ||
	    sodium_hex2bin(p->token, sizeof(p->token), json_string_value(token),
			   64, NULL, &len, NULL) || len != sizeof(p->token))
		return "token: 64 hex digits";
	v = json_object_get(params, "downtime_ms");
	if (v && (!json_is_number(v) || json_number_value(v) <= 0 ||
		  json_number_value(v) > 60000))
		return "downtime_ms: a number of milliseconds, above 0 and at most 60000";
	if (v)
		p->downtime_ms = json_number_value(v);
	v = json_object_get(params, "bandwidth_mib_s");
	if (v && (!json_is_number(v) || json_number_value(v) < 0))
		return "bandwidth_mib_s: a number of MiB/s, 0 for no cap";
	if (v)
		p->bandwidth_mib_s = json_number_value(v);
	v = json_object_get(params, "max_rounds");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 1000))
		return "max_rounds: an integer from 1 to 1000";
	if (v)
		p->max_rounds = json_integer_value(v);
	v = json_object_get(params, "console_offset");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  (uint64_t)json_integer_value(v) > STREAM_CONSOLE_OFFSET_MAX))
		return "console_offset: the console log's offset of this monitor's first byte, from 0 to 2^62";
	if (v) {
		p->has_console_offset = true;
		p->console_offset = json_integer_value(v);
	}
	return NULL;
}

/* Start a migration; NULL when the answer will come from the thread. */
static char *method_migrate(struct control_client *c, size_t slot,
			    const struct jsonrpc_request *req)
{
	struct migrate_params p;
	const char *bad;
	char msg[160];

	if (c->passed_fd < 0)
		return jsonrpc_error_line(req->id, JSONRPC_INVALID_PARAMS,
			"monitor.migrate: no socket came with the request",
			NULL, NULL);
	bad = migrate_params(req->params, &p);
	if (bad) {
		snprintf(msg, sizeof(msg), "monitor.migrate: %s", bad);
		return jsonrpc_error_line(req->id, JSONRPC_INVALID_PARAMS,
					  msg, NULL, NULL);
	}
	if (ctl.pending.active || transfer_submit_migrate(c->passed_fd, &p))
		return jsonrpc_error_line(req->id, SKIFF_ERR_ILLEGAL_STATE,
			"a snapshot or migration is already running", NULL,
			NULL);
	sodium_memzero(&p, sizeof(p));
	c->passed_fd = -1;		/* the transfer thread closes it */
	ctl.pending = (struct pending_reply){ true, slot, c->gen,
					      json_incref(req->id) };
	return NULL;
}

static char *dispatch(struct vm *vm, struct control_client *c, size_t slot,
		      const struct jsonrpc_request *req, bool *deferred)
{
	int rc;

	if (!strcmp(req->method, "monitor.snapshot") &&
	    !jsonrpc_is_notification(req)) {
		char *out = method_snapshot(c, slot, req);

		*deferred = !out;
		return out;
	}
	if (!strcmp(req->method, "monitor.migrate") &&
	    !jsonrpc_is_notification(req)) {
		char *out = method_migrate(c, slot, req);

		*deferred = !out;
		return out;
	}
	if (!strcmp(req->method, "monitor.info"))
		return jsonrpc_result_line(req->id, method_info(vm), NULL);
	if (!strcmp(req->method, "monitor.pause")) {
		rc = vcpu_request_pause(vm);
		if (rc == -EALREADY)
			return jsonrpc_error_line(req->id,
				SKIFF_ERR_ILLEGAL_STATE, "already paused",
				NULL, NULL);
		if (rc)
			return jsonrpc_error_line(req->id, SKIFF_ERR_SYSTEM,
				"the vCPU did not stop in time", NULL, NULL);
		return jsonrpc_result_line(req->id,
				json_pack("{s:s}", "state", "paused"), NULL);
	}
	if (!strcmp(req->method, "monitor.resume")) {
		if (vcpu_resume(vm))
			return jsonrpc_error_line(req->id,
				SKIFF_ERR_ILLEGAL_STATE, "not paused", NULL,
				NULL);
		return jsonrpc_result_line(req->id,
				json_pack("{s:s}", "state", "running"), NULL);
	}
	return jsonrpc_error_line(req->id, JSONRPC_METHOD_NOT_FOUND,
				  "method not found", NULL, NULL);
}

/* One line in, at most one line out (none for a notification). */
static char *handle_line(struct vm *vm, struct control_client *c, size_t slot,
			 const char *line, size_t len)
{
	bool deferred = false;
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_request req;
	json_t *v, *id = NULL;
	char *out;

	v = jsonrpc_parse_line(line, len, CONTROL_MAX_LINE, &err);
	if (!v)
		return jsonrpc_error_line_from(NULL, &err, NULL);
	if (json_is_array(v)) {
		json_decref(v);
		return jsonrpc_error_line(NULL, JSONRPC_INVALID_REQUEST,
			"batches are not accepted on the control socket",
			NULL, NULL);
	}
	if (jsonrpc_request_from_json(v, &req, &id, &err)) {
		out = jsonrpc_error_line_from(id, &err, NULL);
		json_decref(v);
		return out;
	}
	out = dispatch(vm, c, slot, &req, &deferred);
	json_decref(v);
	if (jsonrpc_is_notification(&req)) {
		free(out);
		out = NULL;
	}
	jsonrpc_request_release(&req);
	return out;
}

static void client_drop(struct control_client *c)
{
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	line_reader_free(&c->lr);
	c->fd = c->passed_fd = -1;
	c->gen++;
}

static int client_send(struct control_client *c, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= w;
	}
	return 0;
}

static void client_input(struct vm *vm, size_t slot)
{
	struct control_client *c = &ctl.client[slot];
	char *line, *out;
	int passed;
	size_t len;
	int rc;

	if (line_reader_fill_fd(&c->lr, c->fd, &passed) <= 0 &&
	    errno != EAGAIN) {
		client_drop(c);
		return;
	}
	if (passed >= 0) {
		if (c->passed_fd >= 0)
			close(c->passed_fd);
		c->passed_fd = passed;
	}
	while ((rc = line_reader_next(&c->lr, &line, &len)) == 1) {
		out = handle_line(vm, c, slot, line, len);
		if (out && client_send(c, out, strlen(out))) {
			free(out);
			client_drop(c);
			return;
		}
		free(out);
	}
	if (rc < 0) {
		out = jsonrpc_error_line(NULL, SKIFF_ERR_LINE_TOO_LONG,
					 "line too long", NULL, NULL);
		if (out)
			client_send(c, out, strlen(out));
		free(out);
		client_drop(c);
	}
}

static void client_accept(void)
{
	int fd = accept4(ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (ctl.client[i].fd < 0) {
			ctl.client[i].fd = fd;
			ctl.client[i].passed_fd = -1;
			line_reader_init(&ctl.client[i].lr, CONTROL_MAX_LINE);
			return;
		}
	}
	close(fd);			/* full: the client sees EOF */
}

static json_t *migrate_result(const struct migrate_result *m)
{
	return json_pack("{s:f, s:f, s:i, s:I, s:I}",
			 "total_seconds", m->total_seconds,
			 "downtime_ms", m->downtime_ms,
			 "rounds", (int)m->rounds,
			 "bytes", (json_int_t)m->bytes,
			 "pages", (json_int_t)m->pages);
}

static json_t *snapshot_result(const struct snapshot_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:f}",
			 "bytes", (json_int_t)st->bytes,
			 "pages", (json_int_t)st->pages,
			 "zero_pages", (json_int_t)st->zero_pages,
			 "seconds", st->seconds);
}

/* The transfer thread finished: answer the client that asked, if it stayed. */
static void transfer_finished(void)
{
	struct pending_reply *p = &ctl.pending;
	struct control_client *c;
	struct transfer_result r;
	char *out;

	if (!transfer_take_result(&r) || !p->active)
		return;
	if (r.code)
		out = jsonrpc_error_line(p->id, r.code, r.message, NULL, NULL);
	else if (r.migration)
		out = jsonrpc_result_line(p->id, migrate_result(&r.mig), NULL);
	else
		out = jsonrpc_result_line(p->id, snapshot_result(&r.stats),
					  NULL);
	c = &ctl.client[p->client];
	if (out && c->fd >= 0 && c->gen == p->gen &&
	    client_send(c, out, strlen(out)))
		client_drop(c);
	free(out);
	json_decref(p->id);
	*p = (struct pending_reply){ 0 };
	/* The answer is out: the guest lives on at the destination. */
	if (r.migration && !r.code)
		vcpu_end_migrated(ctl.vm);
}

static void *control_thread(void *arg)
{
	struct pollfd pfd[CONTROL_MAX_CLIENTS + 3];
	size_t i;

	(void)arg;
	sem_post(&ctl.started);
	for (;;) {
		pfd[0] = (struct pollfd){ .fd = ctl.wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ctl.listen_fd,
					  .events = POLLIN };
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
			pfd[i + 2] = (struct pollfd){ .fd = ctl.client[i].fd,
						      .events = POLLIN };
		pfd[i + 2] = (struct pollfd){ .fd = transfer_done_fd(),
					      .events = POLLIN };
		if (poll(pfd, CONTROL_MAX_CLIENTS + 3, -1) < 0)
			continue;
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			client_accept();
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
			if (ctl.client[i].fd >= 0 && pfd[i + 2].revents)
				client_input(ctl.vm, i);
		if (pfd[CONTROL_MAX_CLIENTS + 2].revents)
			transfer_finished();
	}
	return NULL;
}

static int control_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		mon_err("control socket %s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	unlink(path);			/* a stale socket from a dead monitor */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, CONTROL_MAX_CLIENTS) < 0)
		goto err;
	return fd;
err:
	mon_err("control socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int control_start(struct vm *vm, const char *path)
{
	sigset_t block, old;
	size_t i;
	int rc;

	ctl.vm = vm;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl.client[i].fd = ctl.client[i].passed_fd = -1;
	ctl.listen_fd = control_listen(path);
	if (ctl.listen_fd < 0)
		return -1;
	if (pipe2(ctl.wake, O_CLOEXEC) < 0) {
		mon_err("control socket: pipe: %s", strerror(errno));
		return -1;
	}
	sem_init(&ctl.started, 0, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&ctl.thread, NULL, control_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		mon_err("control socket: thread: %s", strerror(rc));
		return -1;
	}
	ctl.running = true;
	/* Thread start-up makes syscalls (rseq, robust list) the sandbox forbids. */
	while (sem_wait(&ctl.started) < 0 && errno == EINTR)
		;
	return 0;
}

void control_stop(void)
{
	size_t i;

	if (ctl.running) {
		if (write(ctl.wake[1], "x", 1) == 1)
			pthread_join(ctl.thread, NULL);
		ctl.running = false;
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
			if (ctl.client[i].fd >= 0)
				client_drop(&ctl.client[i]);
		json_decref(ctl.pending.id);
		ctl.pending = (struct pending_reply){ 0 };
	}
	if (ctl.listen_fd >= 0)
		close(ctl.listen_fd);
	ctl.listen_fd = -1;
}
