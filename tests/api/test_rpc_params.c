/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of api/rpc_params.c: every failure names its field.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "rpc_params.h"

static const char *const allowed[] = { "name", "mem", "autostart", NULL };

static const char *field_of(struct jsonrpc_error *err)
{
	return json_string_value(json_object_get(err->data, "field"));
}

TEST(unknown_member_named)
{
	struct jsonrpc_error err = { 0 };
	json_t *p = json_pack("{s:s,s:i}", "name", "a", "bogus", 1);

	CHECK(rpc_params_object(p, allowed, &err) == -1);
	CHECK(err.code == JSONRPC_INVALID_PARAMS);
	CHECK(strstr(err.message, "bogus") != NULL);
	CHECK(field_of(&err) && !strcmp(field_of(&err), "bogus"));
	json_decref(p);
	jsonrpc_error_clear(&err);
}

TEST(absent_params_and_array_params)
{
	struct jsonrpc_error err = { 0 };
	json_t *a = json_array();

	CHECK(rpc_params_object(NULL, allowed, &err) == 0);
	CHECK(rpc_params_object(a, allowed, &err) == -1);
	CHECK(!strcmp(field_of(&err), "params"));
	json_decref(a);
	jsonrpc_error_clear(&err);
}

TEST(string_getter)
{
	struct jsonrpc_error err = { 0 };
	json_t *p = json_pack("{s:s,s:i}", "name", "web1", "mem", 3);
	const char *s = NULL;

	CHECK(rpc_param_string(p, "name", true, 64, &s, &err) == 0);
	CHECK(s && !strcmp(s, "web1"));
	CHECK(rpc_param_string(p, "name", true, 2, &s, &err) == -1);
	CHECK(strstr(err.message, "name") != NULL);
	CHECK(rpc_param_string(p, "mem", true, 0, &s, &err) == -1);
	CHECK(!strcmp(field_of(&err), "mem"));
	CHECK(rpc_param_string(p, "kernel", true, 0, &s, &err) == -1);
	CHECK(strstr(err.message, "kernel: missing") != NULL);
	CHECK(rpc_param_string(p, "kernel", false, 0, &s, &err) == 1);
	json_decref(p);
	jsonrpc_error_clear(&err);
}

TEST(string_with_nul_refused)
{
	struct jsonrpc_error err = { 0 };
	json_t *p = json_object();
	const char *s;

	json_object_set_new(p, "name", json_stringn("a\0b", 3));
	CHECK(rpc_param_string(p, "name", true, 0, &s, &err) == -1);
	CHECK(strstr(err.message, "NUL") != NULL);
	json_decref(p);
	jsonrpc_error_clear(&err);
}

TEST(u64_bounds)
{
	struct jsonrpc_error err = { 0 };
	json_t *p = json_pack("{s:i,s:i,s:f,s:s}", "a", 64, "b", -1,
			      "c", 1.5, "d", "64");
	uint64_t v = 0;

	CHECK(rpc_param_u64(p, "a", true, 1, 64, &v, &err) == 0 && v == 64);
	CHECK(rpc_param_u64(p, "a", true, 1, 63, &v, &err) == -1);
	CHECK(strstr(err.message, "1..63") != NULL);
	CHECK(rpc_param_u64(p, "b", true, 0, 10, &v, &err) == -1);
	CHECK(rpc_param_u64(p, "c", true, 0, 10, &v, &err) == -1);
	CHECK(rpc_param_u64(p, "d", true, 0, 100, &v, &err) == -1);
	CHECK(!strcmp(field_of(&err), "d"));
	json_decref(p);
	jsonrpc_error_clear(&err);
}

TEST(bool_and_number)
{
	struct jsonrpc_error err = { 0 };
	json_t *p = json_pack("{s:b,s:i,s:f}", "t", 1, "i", 1, "f", 2.5);
	bool b = false;
	double d = 0;

	CHECK(rpc_param_bool(p, "t", true, &b, &err) == 0 && b);
	CHECK(rpc_param_bool(p, "i", true, &b, &err) == -1);
	CHECK(rpc_param_number(p, "f", true, 0, 10, &d, &err) == 0 && d == 2.5);
	CHECK(rpc_param_number(p, "i", true, 0, 10, &d, &err) == 0 && d == 1);
	CHECK(rpc_param_number(p, "f", true, 0, 2, &d, &err) == -1);
	CHECK(rpc_param_number(p, "t", true, 0, 2, &d, &err) == -1);
	json_decref(p);
	jsonrpc_error_clear(&err);
}

static const struct test_case cases[] = {
	TEST_ENTRY(unknown_member_named),
	TEST_ENTRY(absent_params_and_array_params),
	TEST_ENTRY(string_getter),
	TEST_ENTRY(string_with_nul_refused),
	TEST_ENTRY(u64_bounds),
	TEST_ENTRY(bool_and_number),
};

TEST_MAIN("api/rpc_params", cases)
