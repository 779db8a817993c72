/* SPDX-License-Identifier: ISC */
/*
 * The API socket: accept clients, check who they are, frame lines,
 * decode JSON-RPC 2.0 (single calls, batches, notifications), dispatch to
 * the method table, and queue answers.
 *
 * Every socket is non-blocking and every client has its own buffers, so
 * a slow or stuck client only ever delays itself:
 *   - a client whose answers pile up past RPC_OUT_HIGH stops being read
 *     until it drains them below RPC_OUT_LOW;
 *   - a subscriber that is more than RPC_OUT_DROP behind on events is
 *     disconnected;
 *   - a line over the size limit gets an error and the connection closes.
 *
 * A method that needs a monitor's answer defers its reply (rpc_defer())
 * and completes it from a later callback. Ordering: a connection's lines
 * are handled one at a time, in order; while a line (a call or a batch)
 * waits for a deferred answer, the next line of that connection is not
 * read. So every client gets its answers in the order it sent its
 * requests (pipelining works, and answers still carry their ids), and a
 * wait delays only that connection; clients that want calls in parallel
 * open more connections. A batch is answered once all its calls are
 * done, in request order. A client that leaves before a deferred answer
 * is complete is simply not answered: the pending line forgets it.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "rpc_params.h"
#include "skiffd.h"

#define RPC_OUT_HIGH	(1u << 20)
#define RPC_OUT_LOW	(256u << 10)
#define RPC_OUT_DROP	(16u << 20)

/* One line (a call or a batch) whose answer is not complete yet. */
struct rpc_wait {
	struct rpc_conn *conn;		/* NULL once the client is gone */
	bool batch;
	bool dispatching;		/* its calls are still being started */
	size_t n, left;
	json_t *answers[];		/* per call; NULL: none (notification) */
};

/* A deferred answer: one call of a rpc_wait. */
struct rpc_reply {
	struct rpc_wait *w;
	size_t slot;
	json_t *id;			/* NULL for a notification */
};

struct rpc_conn {
	struct rpc_conn *next;
	struct rpc_conn **pprev;
	struct skiffd *d;
	struct bufferevent *bev;
	struct event *close_ev;
	struct peer_cred peer;
	unsigned long id;
	struct rpc_wait *waiting;	/* the line being answered, or NULL */
	bool closing;
	bool throttled;
	bool read_eof;			/* half-closed while a line waited */
	bool in_process;
};

struct rpc_server {
	struct evconnlistener *listener;
	struct rpc_conn *conns;
	unsigned int nconns;
	unsigned long next_id;
};

static void conn_free(struct rpc_conn *c)
{
	struct skiffd *d = c->d;

	events_unsubscribe(d, c);
	if (c->waiting)
		c->waiting->conn = NULL;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	d->rpc->nconns--;
	log_debug("client %lu: closed", c->id);
	bufferevent_free(c->bev);
	event_free(c->close_ev);
	free(c);
}

/* Read from the client only when its next line can be handled. */
static void conn_update_read(struct rpc_conn *c)
{
	if (c->closing || c->throttled || c->waiting || c->read_eof)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void close_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_free(arg);
}

/* Close once the pending output is written (or at once if there is none). */
static void conn_close_after_flush(struct rpc_conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
		event_active(c->close_ev, EV_TIMEOUT, 0);
}

bool rpc_conn_send(struct rpc_conn *c, const char *line, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	ssize_t n = 0;

	if (c->closing)
		return false;
	if (evbuffer_get_length(out) > RPC_OUT_DROP) {
		log_warn("client %lu (pid %d uid %d): %zu bytes behind; closed",
			 c->id, (int)c->peer.pid, (int)c->peer.uid,
			 evbuffer_get_length(out));
		c->closing = true;
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		event_active(c->close_ev, EV_TIMEOUT, 0);
		return false;
	}
	/*
	 * Answers go out at once when the socket takes them: waiting for
	 * the loop's next turn costs two epoll_ctl calls and an epoll_wait
	 * per answer (a socket bufferevent's output cannot be written from
	 * outside it). Only with nothing queued before them, to keep the
	 * order; what the socket does not take waits in the bufferevent.
	 */
	if (!evbuffer_get_length(out)) {
		n = send(bufferevent_getfd(c->bev), line, len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			n = 0;
		if ((size_t)n == len)
			return true;
	}
	return bufferevent_write(c->bev, line + n, len - n) == 0;
}

const struct peer_cred *rpc_conn_peer(struct rpc_conn *c)
{
	return &c->peer;
}

unsigned int rpc_client_count(struct skiffd *d)
{
	return d->rpc ? d->rpc->nconns : 0;
}

static void send_object(struct rpc_conn *c, json_t *o)
{
	size_t len;
	char *line;

	if (!o)
		return;
	line = jsonrpc_dump_line(o, &len);
	json_decref(o);
	if (line)
		rpc_conn_send(c, line, len);
	free(line);
}

static void conn_process(struct rpc_conn *c);
static void wait_finish(struct rpc_wait *w, bool resume);

/* Store the answer of call @slot (NULL: none) and finish @w if complete. */
static void wait_answer(struct rpc_wait *w, size_t slot, json_t *answer)
{
	w->answers[slot] = answer;
	if (--w->left == 0 && !w->dispatching)
		wait_finish(w, true);
}

struct rpc_reply *rpc_defer(struct rpc_call *call)
{
	struct rpc_reply *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->w = call->wait;
	r->slot = call->slot;
	r->id = call->id ? json_incref(call->id) : NULL;
	call->deferred = r;
	return r;
}

void rpc_reply_result(struct rpc_reply *r, json_t *result)
{
	struct rpc_wait *w = r->w;
	size_t slot = r->slot;
	json_t *answer = NULL;

	if (!result)
		result = json_object();
	if (r->id)
		answer = jsonrpc_result_object(r->id, result);
	else
		json_decref(result);
	json_decref(r->id);
	free(r);
	wait_answer(w, slot, answer);
}

bool rpc_reply_notify(struct rpc_reply *r, const char *method,
		      json_t *params)
{
	struct rpc_conn *c = r->w->conn;
	size_t len;
	char *line;
	bool ok;

	if (!c || c->closing) {
		json_decref(params);
		return false;
	}
	line = jsonrpc_notification_line(method, params, &len);
	ok = line && rpc_conn_send(c, line, len);
	free(line);
	return ok;
}

void rpc_reply_error(struct rpc_reply *r, struct jsonrpc_error *err)
{
	struct rpc_wait *w = r->w;
	size_t slot = r->slot;
	json_t *answer = NULL;

	if (r->id)
		answer = jsonrpc_error_object(r->id, err->code, err->message,
					      err->data);
	else
		json_decref(err->data);
	err->data = NULL;
	json_decref(r->id);
	free(r);
	wait_answer(w, slot, answer);
}

/*
 * Run call @slot of @w. Its answer (NULL for a notification) is stored
 * now, or later through the rpc_reply the method deferred.
 */
static void call_one(struct rpc_conn *c, json_t *v, struct rpc_wait *w,
		     size_t slot)
{
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_request req;
	struct rpc_call call = { c->d, c, &c->peer, w, slot, NULL, NULL };
	const struct rpc_method *m;
	json_t *id, *result, *resp;

	if (jsonrpc_request_from_json(v, &req, &id, &err)) {
		wait_answer(w, slot, jsonrpc_error_object(id, err.code,
			    err.message, err.data));
		return;
	}
	m = rpc_method_find(req.method);
	if (!m) {
		jsonrpc_error_set(&err, JSONRPC_METHOD_NOT_FOUND,
				  "Method not found: %.100s", req.method);
		goto err;
	}
	if (rpc_params_object(req.params, m->params, &err))
		goto err;
	call.id = jsonrpc_is_notification(&req) ? NULL : req.id;
	result = m->fn(&call, req.params, &err);
	if (call.deferred) {
		/* The method answers through its rpc_reply; maybe already. */
		jsonrpc_request_release(&req);
		return;
	}
	if (!result)
		goto err;
	resp = jsonrpc_is_notification(&req) ? NULL :
	       jsonrpc_result_object(req.id, result);
	if (!resp)
		json_decref(result);
	jsonrpc_request_release(&req);
	wait_answer(w, slot, resp);
	return;
err:
	resp = jsonrpc_is_notification(&req) ? NULL :
	       jsonrpc_error_object(req.id, err.code, err.message, err.data);
	if (!resp)
		json_decref(err.data);
	jsonrpc_request_release(&req);
	wait_answer(w, slot, resp);
}

/* Send what @w collected, forget it, and go on reading its client. */
static void wait_finish(struct rpc_wait *w, bool resume)
{
	struct rpc_conn *c = w->conn;
	json_t *all = NULL;
	size_t i;

	if (w->batch)
		all = json_array();
	for (i = 0; i < w->n; i++) {
		if (!w->answers[i])
			continue;
		if (all && c)
			json_array_append_new(all, w->answers[i]);
		else if (c)
			send_object(c, w->answers[i]);
		else
			json_decref(w->answers[i]);
	}
	if (all && json_array_size(all))
		send_object(c, all);
	else
		json_decref(all);
	free(w);
	if (!c)
		return;
	if (c->waiting == w)
		c->waiting = NULL;
	if (!resume || c->in_process)
		return;
	conn_update_read(c);
	conn_process(c);
	if (c->read_eof && !c->waiting && !c->closing)
		conn_close_after_flush(c);
}

static void handle_line(struct rpc_conn *c, const char *line, size_t len)
{
	struct jsonrpc_error err = { 0 };
	struct rpc_wait *w;
	size_t i, n;
	json_t *v;

	v = jsonrpc_parse_line(line, len, c->d->cfg.max_line, &err);
	if (!v) {
		send_object(c, jsonrpc_error_object(NULL, err.code,
						    err.message, NULL));
		jsonrpc_error_clear(&err);
		return;
	}
	if (json_is_array(v) && !json_array_size(v)) {
		send_object(c, jsonrpc_error_object(NULL,
			JSONRPC_INVALID_REQUEST,
			"Invalid Request: empty batch", NULL));
		json_decref(v);
		return;
	}
	n = json_is_array(v) ? json_array_size(v) : 1;
	w = calloc(1, sizeof(*w) + n * sizeof(w->answers[0]));
	if (!w) {
		send_object(c, jsonrpc_error_object(NULL,
			JSONRPC_INTERNAL_ERROR, "out of memory", NULL));
		json_decref(v);
		return;
	}
	w->conn = c;
	w->batch = json_is_array(v);
	w->n = w->left = n;
	w->dispatching = true;
	for (i = 0; i < n; i++)
		call_one(c, w->batch ? json_array_get(v, i) : v, w, i);
	json_decref(v);
	w->dispatching = false;
	if (!w->left) {
		wait_finish(w, false);
		return;
	}
	c->waiting = w;
	conn_update_read(c);
}

static void line_too_long(struct rpc_conn *c, size_t len)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "line over the limit of %llu bytes; closing",
		 (unsigned long long)c->d->cfg.max_line);
	log_warn("client %lu (pid %d uid %d): %s", c->id, (int)c->peer.pid,
		 (int)c->peer.uid, msg);
	send_object(c, jsonrpc_error_object(NULL, SKIFF_ERR_LINE_TOO_LONG, msg,
					    NULL));
	conn_close_after_flush(c);
}

/*
 * Handle every complete line buffered, unless output backs up or a line
 * waits for a deferred answer.
 */
static void conn_process_lines(struct rpc_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	char *line;

	while (!c->closing && !c->waiting) {
		if (evbuffer_get_length(out) > RPC_OUT_HIGH) {
			c->throttled = true;
			conn_update_read(c);
			break;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > c->d->cfg.max_line)
				line_too_long(c, evbuffer_get_length(in));
			return;
		}
		if ((size_t)eol.pos > c->d->cfg.max_line + 1) {
			line_too_long(c, eol.pos);
			return;
		}
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
		if (!line)
			return;
		if (n > c->d->cfg.max_line + (n && line[n - 1] == '\r')) {
			free(line);
			line_too_long(c, n);
			return;
		}
		handle_line(c, line, n);
		free(line);
	}
}

static void conn_process(struct rpc_conn *c)
{
	c->in_process = true;
	conn_process_lines(c);
	c->in_process = false;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct rpc_conn *c = arg;

	conn_process(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct rpc_conn *c = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->closing) {
		if (!pending)
			event_active(c->close_ev, EV_TIMEOUT, 0);
		return;
	}
	if (c->throttled && pending <= RPC_OUT_LOW) {
		c->throttled = false;
		conn_update_read(c);
		conn_process(c);
	}
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct rpc_conn *c = arg;

	if (what & BEV_EVENT_ERROR) {
		c->closing = true;
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		event_active(c->close_ev, EV_TIMEOUT, 0);
	} else if (what & BEV_EVENT_EOF) {
		/*
		 * Half-closed: answer what was sent, then close; once the
		 * waiting line is answered if there is one (wait_finish).
		 */
		conn_process(c);
		if (c->waiting)
			c->read_eof = true;
		else
			conn_close_after_flush(c);
	}
}

static void refuse(evutil_socket_t fd, int code, const char *msg)
{
	char *line = jsonrpc_error_line(NULL, code, msg, NULL, NULL);

	if (line && write(fd, line, strlen(line)) < 0)
		log_debug("refusing a client: %m");
	free(line);
	close(fd);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct skiffd *d = arg;
	struct rpc_server *s = d->rpc;
	struct rpc_conn *c;
	struct peer_cred pc;

	if (peer_cred_get(fd, &pc)) {
		log_warn("client: SO_PEERCRED: %m; refused");
		refuse(fd, SKIFF_ERR_ACCESS, "cannot identify peer");
		return;
	}
	if (!peer_allowed(&pc, d->socket_gid)) {
		log_warn("client pid %d uid %d gid %d: not root, not uid %d, not in the socket group; refused",
			 (int)pc.pid, (int)pc.uid, (int)pc.gid, (int)geteuid());
		refuse(fd, SKIFF_ERR_ACCESS, "access denied");
		return;
	}
	if (s->nconns >= d->cfg.max_clients) {
		log_warn("client pid %d uid %d: %u clients already; refused",
			 (int)pc.pid, (int)pc.uid, s->nconns);
		refuse(fd, SKIFF_ERR_LIMIT, "too many clients");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		refuse(fd, JSONRPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	c->d = d;
	c->peer = pc;
	c->id = ++s->next_id;
	c->bev = bufferevent_socket_new(d->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->close_ev = evtimer_new(d->base, close_cb, c);
	if (!c->bev || !c->close_ev) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	c->pprev = &s->conns;
	if (s->conns)
		s->conns->pprev = &c->next;
	s->conns = c;
	s->nconns++;
	log_info("client %lu: pid %d uid %d gid %d connected", c->id,
		 (int)pc.pid, (int)pc.uid, (int)pc.gid);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, RPC_OUT_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Is something already answering on @path? */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	strcpy(sa.sun_path, path);
	used = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return used;
}

static int resolve_group(struct skiffd *d)
{
	struct group *gr;

	d->socket_gid = (gid_t)-1;
	if (!d->cfg.socket_group[0])
		return 0;
	gr = getgrnam(d->cfg.socket_group);
	if (!gr) {
		log_err("socket_group %s: no such group", d->cfg.socket_group);
		return -1;
	}
	d->socket_gid = gr->gr_gid;
	return 0;
}

/*
 * Under socket activation systemd set the socket's group (SocketGroup=);
 * its members are the ones to let in when no socket_group is configured.
 */
static gid_t activated_socket_gid(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct stat st;

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    sa.sun_family != AF_UNIX || !sa.sun_path[0] ||
	    stat(sa.sun_path, &st))
		return (gid_t)-1;
	log_info("socket %s: group %d from systemd", sa.sun_path,
		 (int)st.st_gid);
	return st.st_gid;
}

static int bind_socket(struct skiffd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	const char *path = d->cfg.socket_path;
	int fd;

	strcpy(dir, path);
	if (persist_mkdir_p(dirname(dir), 0755)) {
		log_err("%s: creating its directory: %m", path);
		return -1;
	}
	if (socket_in_use(path)) {
		log_err("%s: another daemon is listening there", path);
		return -1;
	}
	unlink(path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, d->cfg.socket_mode) ||
	    (d->socket_gid != (gid_t)-1 && chown(path, -1, d->socket_gid)) ||
	    listen(fd, 128)) {
		log_err("%s: %m", path);
		close(fd);
		return -1;
	}
	return fd;
}

int rpc_server_start(struct skiffd *d)
{
	int fd;

	d->rpc = calloc(1, sizeof(*d->rpc));
	if (!d->rpc || resolve_group(d))
		return -1;
	fd = sd_listen_socket();
	d->socket_activated = fd >= 0;
	if (d->socket_activated && d->socket_gid == (gid_t)-1)
		d->socket_gid = activated_socket_gid(fd);
	if (fd < 0)
		fd = bind_socket(d);
	if (fd < 0)
		return -1;
	evutil_make_socket_nonblocking(fd);
	d->rpc->listener = evconnlistener_new(d->base, accept_cb, d,
					      LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!d->rpc->listener) {
		close(fd);
		return -1;
	}
	log_info("listening on %s%s", d->socket_activated ?
		 "the socket systemd passed" : d->cfg.socket_path,
		 d->socket_activated ? "" : "");
	return 0;
}

void rpc_server_stop(struct skiffd *d)
{
	if (!d->rpc)
		return;
	while (d->rpc->conns)
		conn_free(d->rpc->conns);
	if (d->rpc->listener)
		evconnlistener_free(d->rpc->listener);
	if (!d->socket_activated)
		unlink(d->cfg.socket_path);
	free(d->rpc);
	d->rpc = NULL;
}
