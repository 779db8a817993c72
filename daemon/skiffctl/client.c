/* SPDX-License-Identifier: ISC */
/*
 * skiffctl's connection to skiffd: blocking, one call at a time;
 * notifications that arrive while a call waits are queued in order.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "skiffctl.h"

#define CTL_MAX_LINE	(64u << 20)

int ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->socket) >= sizeof(sa.sun_path)) {
		out_error("%s: socket path too long", c->socket);
		return -1;
	}
	strcpy(sa.sun_path, c->socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		out_error("cannot connect to skiffd at %s: %s", c->socket,
			  strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		return -1;
	}
	line_reader_init(&c->lr, CTL_MAX_LINE);
	c->queued = json_array();
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	line_reader_free(&c->lr);
	json_decref(c->queued);
	c->queued = NULL;
}

static int send_line(struct ctl *c, const char *line, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(c->fd, line, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		line += n;
		len -= n;
	}
	return 0;
}

/*
 * Read the next message. Returns 1 with @msg, 0 on timeout, -1 on end
 * of connection or error (printed).
 */
static int read_message(struct ctl *c, int timeout_ms,
			struct jsonrpc_message *msg)
{
	struct jsonrpc_error err = { 0 };
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char *line;
	size_t len;
	ssize_t n;
	int rc;

	for (;;) {
		rc = line_reader_next(&c->lr, &line, &len);
		if (rc < 0) {
			out_error("skiffd sent a line over %u bytes", CTL_MAX_LINE);
			return -1;
		}
		if (rc > 0) {
			if (jsonrpc_message_parse(line, len, CTL_MAX_LINE, msg,
						  &err) == 0)
				return 1;
			out_error("skiffd sent a bad message: %s", err.message);
			jsonrpc_error_clear(&err);
			return -1;
		}
		if (timeout_ms >= 0) {
			rc = poll(&p, 1, timeout_ms);
			if (rc == 0)
				return 0;
		}
		n = line_reader_fill(&c->lr, c->fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				out_error("reading from skiffd: %s",
					  strerror(errno));
			return -1;
		}
	}
}

static void queue_notification(struct ctl *c, struct jsonrpc_message *msg)
{
	json_t *n = json_pack("{s:s,s:O}", "method", msg->method, "params",
			      msg->params ? msg->params : json_null());

	json_array_append_new(c->queued, n);
}

json_t *ctl_call(struct ctl *c, const char *method, json_t *params)
{
	return ctl_call_notified(c, method, params, NULL, NULL);
}

json_t *ctl_call_notified(struct ctl *c, const char *method, json_t *params,
			  ctl_notify_fn fn, void *arg)
{
	struct jsonrpc_message msg;
	json_int_t id = ++c->next_id;
	json_t *jid = json_integer(id), *result;
	size_t len;
	char *line = jsonrpc_request_line(jid, method, params, &len);

	json_decref(jid);
	c->last_code = 0;
	if (!line || send_line(c, line, len)) {
		free(line);
		/* The daemon may have said why before it closed. */
		if (read_message(c, 200, &msg) > 0 && msg.is_error) {
			c->last_code = msg.code;
			out_error("skiffd refused the connection: %s",
				  msg.message);
			jsonrpc_message_release(&msg);
			return NULL;
		}
		out_error("sending %s to skiffd: %s", method, strerror(errno));
		return NULL;
	}
	free(line);
	for (;;) {
		if (read_message(c, -1, &msg) <= 0) {
			out_error("%s: skiffd closed the connection", method);
			return NULL;
		}
		if (msg.kind == JSONRPC_MSG_NOTIFICATION && fn) {
			fn(msg.method, msg.params, arg);
			jsonrpc_message_release(&msg);
			continue;
		}
		if (msg.kind == JSONRPC_MSG_NOTIFICATION) {
			queue_notification(c, &msg);
			jsonrpc_message_release(&msg);
			continue;
		}
		if (json_integer_value(msg.id) == id || json_is_null(msg.id))
			break;
		jsonrpc_message_release(&msg);
	}
	if (msg.is_error) {
		c->last_code = msg.code;
		out_error("%s", msg.message);
		jsonrpc_message_release(&msg);
		return NULL;
	}
	result = json_incref(msg.result);
	jsonrpc_message_release(&msg);
	return result;
}

json_t *ctl_next_notification(struct ctl *c, int timeout_ms)
{
	struct jsonrpc_message msg;
	json_t *n;

	for (;;) {
		if (json_array_size(c->queued)) {
			n = json_incref(json_array_get(c->queued, 0));
			json_array_remove(c->queued, 0);
			return n;
		}
		if (read_message(c, timeout_ms, &msg) <= 0)
			return NULL;
		if (msg.kind == JSONRPC_MSG_NOTIFICATION)
			queue_notification(c, &msg);
		jsonrpc_message_release(&msg);
	}
}

int ctl_exit_code(struct ctl *c)
{
	switch (c->last_code) {
	case SKIFF_ERR_NOT_FOUND:
		return CTL_NOT_FOUND;
	case SKIFF_ERR_ILLEGAL_STATE:
		return CTL_BAD_STATE;
	case SKIFF_ERR_ACCESS:
		return CTL_DENIED;
	case SKIFF_ERR_EXISTS:
		return CTL_EXISTS;
	case JSONRPC_INVALID_PARAMS:
		return CTL_USAGE;
	default:
		return CTL_ERR;
	}
}
