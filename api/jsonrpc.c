/* SPDX-License-Identifier: ISC */
/*
 * JSON-RPC 2.0 envelope codec: decode and validate request lines, build
 * response, error, notification and request lines. See jsonrpc.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"

void jsonrpc_init(void)
{
	static bool done;

	if (!done) {
		json_object_seed(0);
		done = true;
	}
}

int jsonrpc_error_set(struct jsonrpc_error *err, int code, const char *fmt,
		      ...)
{
	va_list ap;

	if (!err)
		return -1;
	json_decref(err->data);
	err->data = NULL;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

void jsonrpc_error_clear(struct jsonrpc_error *err)
{
	json_decref(err->data);
	memset(err, 0, sizeof(*err));
}

json_t *jsonrpc_parse_line(const char *buf, size_t len, size_t max_len,
			   struct jsonrpc_error *err)
{
	json_error_t jerr;
	json_t *v;

	if (!max_len)
		max_len = JSONRPC_MAX_LINE;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	if (len > max_len) {
		jsonrpc_error_set(err, SKIFF_ERR_LINE_TOO_LONG,
				  "line of %zu bytes is over the limit of %zu",
				  len, max_len);
		return NULL;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		       &jerr);
	if (!v) {
		jsonrpc_error_set(err, JSONRPC_PARSE_ERROR,
				  "Parse error: column %d: %s", jerr.column,
				  jerr.text);
		return NULL;
	}
	return v;
}

static bool id_is_valid(json_t *id)
{
	return json_is_string(id) || json_is_integer(id) || json_is_null(id);
}

/* Reject members the specification does not define. */
static int check_members(json_t *v, struct jsonrpc_error *err)
{
	const char *key;
	json_t *val;

	json_object_foreach(v, key, val) {
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") &&
		    strcmp(key, "params") && strcmp(key, "id"))
			return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
				"Invalid Request: unknown member \"%.64s\"",
				key);
	}
	return 0;
}

int jsonrpc_request_from_json(json_t *v, struct jsonrpc_request *req,
			      json_t **id_out, struct jsonrpc_error *err)
{
	json_t *ver, *method, *params, *id;

	memset(req, 0, sizeof(*req));
	*id_out = NULL;
	if (!json_is_object(v))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"Invalid Request: expected an object");
	id = json_object_get(v, "id");
	if (id && id_is_valid(id))
		*id_out = id;
	if (id && !id_is_valid(id))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"Invalid Request: id: expected a string, an integer or null");
	ver = json_object_get(v, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0"))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"Invalid Request: jsonrpc: expected \"2.0\"");
	method = json_object_get(v, "method");
	if (!json_is_string(method))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"Invalid Request: method: expected a string");
	params = json_object_get(v, "params");
	if (params && !json_is_object(params) && !json_is_array(params))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"Invalid Request: params: expected an object or an array");
	if (check_members(v, err))
		return -1;
	req->root = json_incref(v);
	req->id = id;
	req->method = json_string_value(method);
	req->params = params;
	return 0;
}

void jsonrpc_request_release(struct jsonrpc_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

bool jsonrpc_is_notification(const struct jsonrpc_request *req)
{
	return req->id == NULL;
}

static json_t *envelope(json_t *id)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set(o, "id", id ? id : json_null());
	return o;
}

json_t *jsonrpc_result_object(json_t *id, json_t *result)
{
	json_t *o = envelope(id);

	if (!o) {
		json_decref(result);
		return NULL;
	}
	json_object_set_new(o, "result", result ? result : json_null());
	return o;
}

json_t *jsonrpc_error_object(json_t *id, int code, const char *message,
			     json_t *data)
{
	json_t *o = envelope(id);
	json_t *e = json_object();

	if (!o || !e) {
		json_decref(o);
		json_decref(e);
		json_decref(data);
		return NULL;
	}
	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", json_string(message ? message : ""));
	if (!json_object_get(e, "message"))
		json_object_set_new(e, "message",
				    json_string("(message not UTF-8)"));
	if (data)
		json_object_set_new(e, "data", data);
	json_object_set_new(o, "error", e);
	return o;
}

static char *steal_line(json_t *o, size_t *len)
{
	char *line;

	if (!o)
		return NULL;
	line = jsonrpc_dump_line(o, len);
	json_decref(o);
	return line;
}

char *jsonrpc_result_line(json_t *id, json_t *result, size_t *len)
{
	return steal_line(jsonrpc_result_object(id, result), len);
}

char *jsonrpc_error_line(json_t *id, int code, const char *message,
			 json_t *data, size_t *len)
{
	return steal_line(jsonrpc_error_object(id, code, message, data), len);
}

char *jsonrpc_error_line_from(json_t *id, struct jsonrpc_error *err,
			      size_t *len)
{
	json_t *data = err->data;

	err->data = NULL;
	return jsonrpc_error_line(id, err->code, err->message, data, len);
}

char *jsonrpc_notification_line(const char *method, json_t *params,
				size_t *len)
{
	json_t *o = json_object();

	if (!o) {
		json_decref(params);
		return NULL;
	}
	json_object_set_new(o, "jsonrpc", json_string("2.0"));
	json_object_set_new(o, "method", json_string(method));
	if (params)
		json_object_set_new(o, "params", params);
	return steal_line(o, len);
}

char *jsonrpc_request_line(json_t *id, const char *method, json_t *params,
			   size_t *len)
{
	json_t *o = envelope(id);

	if (!o) {
		json_decref(params);
		return NULL;
	}
	json_object_set_new(o, "method", json_string(method));
	if (params)
		json_object_set_new(o, "params", params);
	return steal_line(o, len);
}

static int message_error_part(json_t *e, struct jsonrpc_message *msg,
			      struct jsonrpc_error *err)
{
	json_t *code = json_object_get(e, "code");
	json_t *message = json_object_get(e, "message");

	if (!json_is_object(e) || !json_is_integer(code) ||
	    !json_is_string(message))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"invalid response: error: expected code and message");
	msg->is_error = true;
	msg->code = (int)json_integer_value(code);
	msg->message = json_string_value(message);
	msg->data = json_object_get(e, "data");
	return 0;
}

static int message_classify(json_t *v, struct jsonrpc_message *msg,
			    struct jsonrpc_error *err)
{
	json_t *ver = json_object_get(v, "jsonrpc");
	json_t *method = json_object_get(v, "method");
	json_t *e = json_object_get(v, "error");

	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0"))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"invalid message: jsonrpc: expected \"2.0\"");
	if (method) {
		if (!json_is_string(method) || json_object_get(v, "id"))
			return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
				"invalid message: a notification has a string method and no id");
		msg->kind = JSONRPC_MSG_NOTIFICATION;
		msg->method = json_string_value(method);
		msg->params = json_object_get(v, "params");
		return 0;
	}
	msg->kind = JSONRPC_MSG_RESPONSE;
	msg->id = json_object_get(v, "id");
	if (!msg->id || !id_is_valid(msg->id))
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"invalid response: id: missing or not a string, integer or null");
	msg->result = json_object_get(v, "result");
	if (!msg->result == !e)
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"invalid response: needs exactly one of result and error");
	if (e)
		return message_error_part(e, msg, err);
	return 0;
}

int jsonrpc_message_parse(const char *buf, size_t len, size_t max_len,
			  struct jsonrpc_message *msg,
			  struct jsonrpc_error *err)
{
	json_t *v;

	memset(msg, 0, sizeof(*msg));
	v = jsonrpc_parse_line(buf, len, max_len, err);
	if (!v)
		return -1;
	if (!json_is_object(v)) {
		json_decref(v);
		return jsonrpc_error_set(err, JSONRPC_INVALID_REQUEST,
			"invalid message: expected an object");
	}
	if (message_classify(v, msg, err)) {
		json_decref(v);
		memset(msg, 0, sizeof(*msg));
		return -1;
	}
	msg->root = v;
	return 0;
}

void jsonrpc_message_release(struct jsonrpc_message *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}

const char *jsonrpc_code_name(int code)
{
	switch (code) {
	case JSONRPC_PARSE_ERROR:
		return "Parse error";
	case JSONRPC_INVALID_REQUEST:
		return "Invalid Request";
	case JSONRPC_METHOD_NOT_FOUND:
		return "Method not found";
	case JSONRPC_INVALID_PARAMS:
		return "Invalid params";
	case JSONRPC_INTERNAL_ERROR:
		return "Internal error";
	case SKIFF_ERR_ILLEGAL_STATE:
		return "Illegal state";
	case SKIFF_ERR_NOT_FOUND:
		return "Not found";
	case SKIFF_ERR_EXISTS:
		return "Already exists";
	case SKIFF_ERR_ACCESS:
		return "Access denied";
	case SKIFF_ERR_SYSTEM:
		return "System error";
	case SKIFF_ERR_LIMIT:
		return "Limit reached";
	case SKIFF_ERR_LINE_TOO_LONG:
		return "Line too long";
	default:
		return NULL;
	}
}
