/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of api/jsonrpc.c: request validation, error codes, line
 * builders and the client-side message parser.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "jsonrpc.h"

static json_t *parse(const char *s, struct jsonrpc_error *err)
{
	return jsonrpc_parse_line(s, strlen(s), 0, err);
}

/* Parse and validate one request; return the error code or 0. */
static int request_code(const char *s, struct jsonrpc_request *req)
{
	struct jsonrpc_error err = { 0 };
	json_t *v, *id;
	int rc;

	v = parse(s, &err);
	if (!v)
		return err.code;
	rc = jsonrpc_request_from_json(v, req, &id, &err);
	json_decref(v);
	jsonrpc_error_clear(&err);
	return rc ? JSONRPC_INVALID_REQUEST : 0;
}

TEST(init_is_idempotent)
{
	json_t *o;

	jsonrpc_init();
	jsonrpc_init();
	o = json_pack("{s:i}", "a", 1);
	CHECK(json_integer_value(json_object_get(o, "a")) == 1);
	json_decref(o);
}

TEST(parse_error_names_column)
{
	struct jsonrpc_error err = { 0 };

	CHECK(parse("{\"jsonrpc\": \"2.0\", \"method\": ", &err) == NULL);
	CHECK(err.code == JSONRPC_PARSE_ERROR);
	CHECK(strstr(err.message, "column") != NULL);
	CHECK(parse("", &err) == NULL);
	CHECK(err.code == JSONRPC_PARSE_ERROR);
	CHECK(parse("{\"a\":1,\"a\":2}", &err) == NULL);
	CHECK(err.code == JSONRPC_PARSE_ERROR);
	jsonrpc_error_clear(&err);
}

TEST(trailing_newline_and_cr_accepted)
{
	struct jsonrpc_error err = { 0 };
	json_t *v = parse("{\"x\":1}\r\n", &err);

	REQUIRE(v != NULL);
	CHECK(json_integer_value(json_object_get(v, "x")) == 1);
	json_decref(v);
}

TEST(line_limit)
{
	struct jsonrpc_error err = { 0 };
	const char *s = "[1,2,3,4,5]";

	CHECK(jsonrpc_parse_line(s, strlen(s), 4, &err) == NULL);
	CHECK(err.code == SKIFF_ERR_LINE_TOO_LONG);
	json_decref(jsonrpc_parse_line(s, strlen(s), strlen(s), &err));
}

TEST(nul_byte_is_parse_error)
{
	struct jsonrpc_error err = { 0 };
	const char s[] = "{\"a\":\"x\0y\"}";

	CHECK(jsonrpc_parse_line(s, sizeof(s) - 1, 0, &err) == NULL);
	CHECK(err.code == JSONRPC_PARSE_ERROR);
}

TEST(valid_request)
{
	struct jsonrpc_request req;

	REQUIRE(request_code("{\"jsonrpc\":\"2.0\",\"method\":\"vm.list\","
			     "\"params\":{},\"id\":7}", &req) == 0);
	CHECK(!strcmp(req.method, "vm.list"));
	CHECK(json_integer_value(req.id) == 7);
	CHECK(json_is_object(req.params));
	CHECK(!jsonrpc_is_notification(&req));
	jsonrpc_request_release(&req);
}

TEST(notification_has_no_id)
{
	struct jsonrpc_request req;

	REQUIRE(request_code("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
			     &req) == 0);
	CHECK(jsonrpc_is_notification(&req));
	CHECK(req.params == NULL);
	jsonrpc_request_release(&req);
	/* "id": null is a request, not a notification. */
	REQUIRE(request_code("{\"jsonrpc\":\"2.0\",\"method\":\"x\","
			     "\"id\":null}", &req) == 0);
	CHECK(!jsonrpc_is_notification(&req));
	jsonrpc_request_release(&req);
}

TEST(invalid_requests)
{
	struct jsonrpc_request req;
	static const char *const bad[] = {
		"1", "\"x\"", "null", "{}",
		"{\"jsonrpc\":\"1.0\",\"method\":\"x\",\"id\":1}",
		"{\"jsonrpc\":2.0,\"method\":\"x\",\"id\":1}",
		"{\"method\":\"x\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":1,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":{}}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":[1]}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1.5}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":1,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":\"a\"}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"extra\":1,\"id\":1}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int code = request_code(bad[i], &req);

		if (code != JSONRPC_INVALID_REQUEST)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(code == JSONRPC_INVALID_REQUEST);
	}
}

TEST(invalid_request_keeps_readable_id)
{
	struct jsonrpc_error err = { 0 };
	struct jsonrpc_request req;
	json_t *v, *id;

	v = parse("{\"jsonrpc\":\"1.0\",\"method\":\"x\",\"id\":\"abc\"}", &err);
	REQUIRE(v != NULL);
	CHECK(jsonrpc_request_from_json(v, &req, &id, &err) == -1);
	CHECK(json_is_string(id) && !strcmp(json_string_value(id), "abc"));
	json_decref(v);
	jsonrpc_error_clear(&err);
}

TEST(result_line)
{
	json_t *id = json_integer(3);
	size_t len;
	char *line = jsonrpc_result_line(id, json_pack("{s:i}", "n", 1), &len);

	REQUIRE(line != NULL);
	CHECK(len == strlen(line));
	CHECK(line[len - 1] == '\n');
	CHECK(strchr(line, '\n') == line + len - 1);
	CHECK(!strcmp(line, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"n\":1}}\n"));
	free(line);
	json_decref(id);
}

TEST(error_line_null_id_and_data)
{
	char *line = jsonrpc_error_line(NULL, JSONRPC_INVALID_PARAMS, "bad",
					json_pack("{s:s}", "field", "mem"),
					NULL);

	REQUIRE(line != NULL);
	CHECK(strstr(line, "\"id\":null") != NULL);
	CHECK(strstr(line, "\"code\":-32602") != NULL);
	CHECK(strstr(line, "\"field\":\"mem\"") != NULL);
	free(line);
}

TEST(error_line_from_struct)
{
	struct jsonrpc_error err = { 0 };
	json_t *id = json_string("q");
	char *line;

	jsonrpc_error_set(&err, SKIFF_ERR_NOT_FOUND, "vm %s: not found", "a");
	err.data = json_pack("{s:s}", "name", "a");
	line = jsonrpc_error_line_from(id, &err, NULL);
	REQUIRE(line != NULL);
	CHECK(strstr(line, "\"message\":\"vm a: not found\"") != NULL);
	CHECK(err.data == NULL);
	free(line);
	json_decref(id);
}

TEST(notification_and_request_lines_round_trip)
{
	struct jsonrpc_message msg;
	struct jsonrpc_error err = { 0 };
	json_t *id = json_integer(9);
	char *line;

	line = jsonrpc_notification_line("vm.state",
		json_pack("{s:s}", "name", "a"), NULL);
	REQUIRE(line != NULL);
	REQUIRE(jsonrpc_message_parse(line, strlen(line), 0, &msg, &err) == 0);
	CHECK(msg.kind == JSONRPC_MSG_NOTIFICATION);
	CHECK(!strcmp(msg.method, "vm.state"));
	CHECK(json_is_object(msg.params));
	jsonrpc_message_release(&msg);
	free(line);

	line = jsonrpc_request_line(id, "vm.info", NULL, NULL);
	REQUIRE(line != NULL);
	CHECK(!strcmp(line,
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"vm.info\"}\n"));
	free(line);
	json_decref(id);
}

TEST(message_parse_responses)
{
	struct jsonrpc_message msg;
	struct jsonrpc_error err = { 0 };
	const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}";
	const char *e = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
			"{\"code\":-32601,\"message\":\"Method not found\"}}";

	REQUIRE(jsonrpc_message_parse(ok, strlen(ok), 0, &msg, &err) == 0);
	CHECK(msg.kind == JSONRPC_MSG_RESPONSE && !msg.is_error);
	CHECK(json_is_array(msg.result));
	jsonrpc_message_release(&msg);

	REQUIRE(jsonrpc_message_parse(e, strlen(e), 0, &msg, &err) == 0);
	CHECK(msg.is_error && msg.code == JSONRPC_METHOD_NOT_FOUND);
	CHECK(!strcmp(msg.message, "Method not found"));
	CHECK(json_is_null(msg.id));
	jsonrpc_message_release(&msg);
}

TEST(message_parse_rejects_malformed)
{
	struct jsonrpc_message msg;
	struct jsonrpc_error err = { 0 };
	static const char *const bad[] = {
		"[]", "{\"jsonrpc\":\"2.0\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\"}}",
		"{\"id\":1,\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1}",
		"not json",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(jsonrpc_message_parse(bad[i], strlen(bad[i]), 0, &msg,
					    &err) == -1);
		CHECK(msg.root == NULL);
	}
	jsonrpc_error_clear(&err);
}

TEST(non_utf8_message_still_encodes)
{
	char *line = jsonrpc_error_line(NULL, SKIFF_ERR_SYSTEM, "bad \xff byte",
					NULL, NULL);

	REQUIRE(line != NULL);
	CHECK(strstr(line, "\"message\":") != NULL);
	free(line);
}

/* The encoder writes what json_dumps(JSON_COMPACT) writes. */
static bool same_as_jansson(json_t *v)
{
	char *a = jsonrpc_dump_line(v, NULL);
	char *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	bool ok = a && b && strlen(a) == strlen(b) + 1 &&
		  !strncmp(a, b, strlen(b)) && a[strlen(b)] == '\n';

	if (!ok)
		fprintf(stderr, "  ours:    %s  jansson: %s\n", a, b);
	free(a);
	free(b);
	return ok;
}

TEST(encoder_matches_jansson)
{
	static const char *const docs[] = {
		"{\"a\":1,\"b\":[true,false,null],\"c\":{}}",
		"[\"\\u0000\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u007f\"]",
		"[\"caf\u00e9 \\ud83d\\ude00 \\u2028\"]",
		"[0.1,1.0,-2.5,1e21,1e-7,123456789.123,5e-324,1.7976931348623157e308]",
		"[-9223372036854775808,9223372036854775807,0,-1]",
		"{\"nested\":{\"deep\":[[[[{\"x\":\"y\"}]]]]}}",
		"\"just a string\"", "3", "[]",
	};
	json_error_t e;
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL,
				       &e);

		if (!v)
			fprintf(stderr, "  test doc %zu: %s\n", i, e.text);
		REQUIRE(v != NULL);
		CHECK(same_as_jansson(v));
		json_decref(v);
	}
	CHECK(jsonrpc_dump_line(NULL, NULL) == NULL);
}

TEST(code_names)
{
	CHECK(!strcmp(jsonrpc_code_name(JSONRPC_PARSE_ERROR), "Parse error"));
	CHECK(!strcmp(jsonrpc_code_name(SKIFF_ERR_ILLEGAL_STATE),
		      "Illegal state"));
	CHECK(jsonrpc_code_name(42) == NULL);
}

static const struct test_case cases[] = {
	TEST_ENTRY(init_is_idempotent),
	TEST_ENTRY(parse_error_names_column),
	TEST_ENTRY(trailing_newline_and_cr_accepted),
	TEST_ENTRY(line_limit),
	TEST_ENTRY(nul_byte_is_parse_error),
	TEST_ENTRY(valid_request),
	TEST_ENTRY(notification_has_no_id),
	TEST_ENTRY(invalid_requests),
	TEST_ENTRY(invalid_request_keeps_readable_id),
	TEST_ENTRY(result_line),
	TEST_ENTRY(error_line_null_id_and_data),
	TEST_ENTRY(error_line_from_struct),
	TEST_ENTRY(notification_and_request_lines_round_trip),
	TEST_ENTRY(message_parse_responses),
	TEST_ENTRY(message_parse_rejects_malformed),
	TEST_ENTRY(non_utf8_message_still_encodes),
	TEST_ENTRY(encoder_matches_jansson),
	TEST_ENTRY(code_names),
};

TEST_MAIN("api/jsonrpc", cases)
