/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the JSON-RPC codec: every byte string a client
 * can send goes through the server path (parse, batch, envelope, params)
 * and every byte string a server can send through the client path.
 * Nothing may crash, leak or trip a sanitizer; every answer line built
 * must be one line of valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "rpc_params.h"

static const char *const allowed[] = {
	"name", "kernel", "mem", "args", "autostart", "timeout", NULL
};

static void check_line(char *line)
{
	json_error_t e;
	json_t *v;

	if (!line)
		return;
	if (strchr(line, '\n') != line + strlen(line) - 1)
		abort();
	v = json_loads(line, JSON_DECODE_ANY, &e);
	if (!v)
		abort();
	json_decref(v);
	free(line);
}

/* Our encoder and jansson's agree byte for byte. */
static void check_encoder(json_t *v)
{
	char *a = jsonrpc_dump_line(v, NULL);
	char *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n;

	if (!a || !b)
		abort();
	n = strlen(b);
	if (strlen(a) != n + 1 || strncmp(a, b, n) || a[n] != '\n')
		abort();
	free(a);
	free(b);
}

static void one_request(json_t *v)
{
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_request req;
	const char *s;
	uint64_t u;
	double d;
	bool b;
	json_t *id;

	if (jsonrpc_request_from_json(v, &req, &id, &err)) {
		check_line(jsonrpc_error_line_from(id, &err, NULL));
		return;
	}
	if (rpc_params_object(req.params, allowed, &err) == 0) {
		rpc_param_string(req.params, "name", false, 32, &s, &err);
		rpc_param_string(req.params, "kernel", false, 1024, &s, &err);
		rpc_param_u64(req.params, "mem", false, 2, 4096, &u, &err);
		rpc_param_bool(req.params, "autostart", false, &b, &err);
		rpc_param_number(req.params, "timeout", false, 0, 3600, &d,
				 &err);
	}
	if (err.code)
		check_line(jsonrpc_error_line_from(req.id, &err, NULL));
	else
		check_line(jsonrpc_result_line(req.id,
			json_string(req.method), NULL));
	jsonrpc_error_clear(&err);
	jsonrpc_request_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_message msg;
	json_t *v, *e;
	size_t i;

	jsonrpc_init();
	v = jsonrpc_parse_line((const char *)data, size, 4096, &err);
	if (!v) {
		check_line(jsonrpc_error_line(NULL, err.code, err.message,
					      NULL, NULL));
	} else if (json_is_array(v)) {
		check_encoder(v);
		json_array_foreach(v, i, e)
			one_request(e);
	} else {
		check_encoder(v);
		one_request(v);
	}
	json_decref(v);
	jsonrpc_error_clear(&err);
	if (jsonrpc_message_parse((const char *)data, size, 4096, &msg,
				  &err) == 0)
		jsonrpc_message_release(&msg);
	jsonrpc_error_clear(&err);
	return 0;
}
