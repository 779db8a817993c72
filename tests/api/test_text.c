/* SPDX-License-Identifier: ISC */
/*
 * jsonrpc_text(): bytes become valid JSON text: valid UTF-8 kept, everything
 * else (bad sequences, overlongs, surrogates, NUL) one U+FFFD per byte.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "jsonrpc.h"

static bool text_is(const char *in, size_t n, const char *want)
{
	json_t *j = jsonrpc_text(in, n);
	bool ok = j && !strcmp(json_string_value(j), want);

	if (!ok)
		fprintf(stderr, "  got \"%s\"\n", j ? json_string_value(j) : "?");
	json_decref(j);
	return ok;
}

#define R "\xef\xbf\xbd"

TEST(valid_text_kept)
{
	CHECK(text_is("tick 1\n", 7, "tick 1\n"));
	CHECK(text_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(text_is("", 0, ""));
}

TEST(invalid_bytes_replaced)
{
	CHECK(text_is("a\xff" "b", 3, "a" R "b"));
	CHECK(text_is("\xc3", 1, R));
	CHECK(text_is("\xc0\xaf", 2, R R));
	CHECK(text_is("\xed\xa0\x80", 3, R R R));
	CHECK(text_is("\xf4\x90\x80\x80", 4, R R R R));
	CHECK(text_is("a\0b", 3, "a" R "b"));
}

static const struct test_case cases[] = {
	TEST_ENTRY(valid_text_kept),
	TEST_ENTRY(invalid_bytes_replaced),
};

TEST_MAIN("api/text", cases)
