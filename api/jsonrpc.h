/* SPDX-License-Identifier: ISC */
/*
 * skiff's JSON-RPC 2.0 codec, shared by skiffd, skiff-monitor's control
 * socket and skiffctl.
 *
 * Framing: one JSON value per line ('\n'), compact encoding, at most
 * JSONRPC_MAX_LINE bytes per line (the newline excluded) unless a caller
 * sets its own limit. Built on jansson; every json_t handed out belongs
 * to the caller as documented per function.
 *
 * Server side:
 *   1. jsonrpc_parse_line() turns one line into a JSON value, or fills a
 *      -32700 error.
 *   2. If the value is an array it is a batch (an empty one is -32600);
 *      each element, or the single value, goes through
 *      jsonrpc_request_from_json(), which validates the envelope and
 *      fills a struct jsonrpc_request or a -32600 error.
 *   3. Handlers answer with jsonrpc_result_line() or
 *      jsonrpc_error_line(); notifications (no "id") get no answer.
 *
 * Client side: jsonrpc_request_line() / jsonrpc_notification_line()
 * build lines, jsonrpc_message_parse() reads a response or a
 * notification.
 */
#ifndef SKIFF_API_JSONRPC_H
#define SKIFF_API_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Default size limit of one line, newline excluded. */
#define JSONRPC_MAX_LINE (1024 * 1024)

/* Longest error message kept in struct jsonrpc_error. */
#define JSONRPC_ERROR_MSG_MAX 256

/* Error codes: the JSON-RPC 2.0 ones and skiff's application range. */
enum jsonrpc_code {
	JSONRPC_PARSE_ERROR = -32700,
	JSONRPC_INVALID_REQUEST = -32600,
	JSONRPC_METHOD_NOT_FOUND = -32601,
	JSONRPC_INVALID_PARAMS = -32602,
	JSONRPC_INTERNAL_ERROR = -32603,

	/* The object is not in a state that allows the call. */
	SKIFF_ERR_ILLEGAL_STATE = -32001,
	/* No such object (VM, ...). */
	SKIFF_ERR_NOT_FOUND = -32002,
	/* The object already exists. */
	SKIFF_ERR_EXISTS = -32003,
	/* The caller may not do this, or may not open that file. */
	SKIFF_ERR_ACCESS = -32004,
	/* A system call failed; the message names the object and errno. */
	SKIFF_ERR_SYSTEM = -32005,
	/* A configured limit was reached (VM count, line size, ...). */
	SKIFF_ERR_LIMIT = -32006,
	/* The line was longer than the limit; the server closes. */
	SKIFF_ERR_LINE_TOO_LONG = -32007,
};

/* An error to send back: code, one-line message, optional data (owned). */
struct jsonrpc_error {
	int code;
	char message[JSONRPC_ERROR_MSG_MAX];
	json_t *data;
	/* Set by a caller whose peer never answered (a timeout, a reset). */
	bool no_answer;
};

/*
 * One validated request. All pointers borrow from @root; release it with
 * jsonrpc_request_release().
 *   id:     NULL for a notification; otherwise a string, integer or null.
 *   params: NULL when absent; otherwise an object or an array.
 */
struct jsonrpc_request {
	json_t *root;
	json_t *id;
	const char *method;
	json_t *params;
};

/*
 * A response or notification read by a client. Pointers borrow from
 * @root; release with jsonrpc_message_release().
 *   kind RESPONSE: id, and either result or (code, message, data).
 *   kind NOTIFICATION: method and params (params may be NULL).
 */
enum jsonrpc_message_kind {
	JSONRPC_MSG_RESPONSE,
	JSONRPC_MSG_NOTIFICATION,
};

struct jsonrpc_message {
	json_t *root;
	enum jsonrpc_message_kind kind;
	json_t *id;
	json_t *result;
	bool is_error;
	int code;
	const char *message;
	json_t *data;
	const char *method;
	json_t *params;
};

/*
 * jsonrpc_init - call once, early, in a process that will later enter a
 * seccomp sandbox: jansson seeds its hash function from /dev/urandom when
 * the first JSON object is created, and that open() would be refused
 * once the sandbox is on. Idempotent; harmless elsewhere.
 */
void jsonrpc_init(void);

/*
 * jsonrpc_error_set - fill @err with @code and a printf-style message.
 * Any previous data is released. Returns -1 so callers can
 * `return jsonrpc_error_set(...)`.
 */
int jsonrpc_error_set(struct jsonrpc_error *err, int code, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

/* jsonrpc_error_clear - release the data of @err and zero it. */
void jsonrpc_error_clear(struct jsonrpc_error *err);

/*
 * jsonrpc_parse_line - decode one line (without or with its trailing
 * newline) into a JSON value.
 *   1. Rejects a line over @max_len bytes (0 means JSONRPC_MAX_LINE) with
 *      SKIFF_ERR_LINE_TOO_LONG.
 *   2. Decodes with jansson, rejecting duplicate object keys and NUL
 *      bytes; a failure is JSONRPC_PARSE_ERROR naming the column.
 * Returns the new value (caller owns it) or NULL with @err filled.
 */
json_t *jsonrpc_parse_line(const char *buf, size_t len, size_t max_len,
			   struct jsonrpc_error *err);

/*
 * jsonrpc_request_from_json - validate one request envelope.
 *   1. Must be an object with "jsonrpc":"2.0" and a string "method".
 *   2. "id", if present, must be a string, an integer or null.
 *   3. "params", if present, must be an object or an array.
 *   4. No other members.
 * On success fills @req (taking a reference on @v) and returns 0. On
 * failure returns -1 with @err set to JSONRPC_INVALID_REQUEST and
 * *@id_out set to the request's id if one could be read, else NULL (an
 * error response then carries "id":null).
 */
int jsonrpc_request_from_json(json_t *v, struct jsonrpc_request *req,
			      json_t **id_out, struct jsonrpc_error *err);

/* jsonrpc_request_release - drop the reference taken on the request. */
void jsonrpc_request_release(struct jsonrpc_request *req);

/* jsonrpc_is_notification - true when the request carries no id. */
bool jsonrpc_is_notification(const struct jsonrpc_request *req);

/*
 * Line builders. Each returns a malloc'd, NUL-terminated line ending in
 * '\n' (length in *@len if @len is not NULL), or NULL when out of memory.
 * They steal the reference to @result / @params / @data (which may be
 * NULL) and borrow @id (NULL is written as "id":null).
 */
char *jsonrpc_result_line(json_t *id, json_t *result, size_t *len);
char *jsonrpc_error_line(json_t *id, int code, const char *message,
			 json_t *data, size_t *len);
char *jsonrpc_error_line_from(json_t *id, struct jsonrpc_error *err,
			      size_t *len);
char *jsonrpc_notification_line(const char *method, json_t *params,
				size_t *len);
char *jsonrpc_request_line(json_t *id, const char *method, json_t *params,
			   size_t *len);

/*
 * jsonrpc_result_object / jsonrpc_error_object - the same as objects, for
 * collecting the members of a batch response. Same ownership rules.
 */
json_t *jsonrpc_result_object(json_t *id, json_t *result);
json_t *jsonrpc_error_object(json_t *id, int code, const char *message,
			     json_t *data);

/* jsonrpc_dump_line - encode @v compactly plus '\n'; borrows @v. */
char *jsonrpc_dump_line(json_t *v, size_t *len);

/*
 * jsonrpc_message_parse - decode a line a client received: a response
 * (result or error) or a notification. Returns 0 and fills @msg, or -1
 * with @err set (JSONRPC_PARSE_ERROR or JSONRPC_INVALID_REQUEST for a
 * well-formed JSON value that is neither).
 */
int jsonrpc_message_parse(const char *buf, size_t len, size_t max_len,
			  struct jsonrpc_message *msg,
			  struct jsonrpc_error *err);

/* jsonrpc_message_release - release what jsonrpc_message_parse() kept. */
void jsonrpc_message_release(struct jsonrpc_message *msg);

/*
 * jsonrpc_text - a JSON string from @len bytes that need not be UTF-8:
 * invalid sequences and NUL become U+FFFD, one per byte. Never NULL
 * (an empty string when out of memory); the caller owns the result.
 */
json_t *jsonrpc_text(const char *buf, size_t len);

/* jsonrpc_code_name - "Parse error", "Method not found", ... or NULL. */
const char *jsonrpc_code_name(int code);

#endif
