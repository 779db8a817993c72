/* SPDX-License-Identifier: ISC */
/*
 * A minimal C test harness shared by the unit, MMU and codec tests.
 *
 * A test file defines functions with TEST(name) and lists them in a
 * table given to test_main(). CHECK() records a failure with file, line
 * and expression and goes on; REQUIRE() also ends the current test.
 * test_main() prints one line per failing test, a closing
 * "N passed, N failed" line, and, when SKIFF_RESULTS names a file,
 * appends "passed failed 0" to it for `make check`'s summary.
 */
#ifndef SKIFF_TEST_HARNESS_H
#define SKIFF_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern int test_failures_in_case;

#define TEST(name) static void test_##name(void)
#define TEST_ENTRY(name) { #name, test_##name }

#define CHECK(expr)                                                     \
	do {                                                            \
		if (!(expr)) {                                          \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",  \
				__FILE__, __LINE__, #expr);             \
			test_failures_in_case++;                        \
		}                                                       \
	} while (0)

#define CHECK_EQ_U64(a, b)                                              \
	do {                                                            \
		unsigned long long a_ = (unsigned long long)(a);        \
		unsigned long long b_ = (unsigned long long)(b);        \
		if (a_ != b_) {                                         \
			fprintf(stderr,                                 \
				"  %s:%d: %s == %s failed: 0x%llx != 0x%llx\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);    \
			test_failures_in_case++;                        \
		}                                                       \
	} while (0)

#define REQUIRE(expr)                                                   \
	do {                                                            \
		if (!(expr)) {                                          \
			fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", \
				__FILE__, __LINE__, #expr);             \
			test_failures_in_case++;                        \
			return;                                         \
		}                                                       \
	} while (0)

int test_main(const char *suite, const struct test_case *cases, size_t n);

#ifdef TEST_HARNESS_IMPL
int test_failures_in_case;

int test_main(const char *suite, const struct test_case *cases, size_t n)
{
	size_t i, passed = 0, failed = 0;
	const char *results = getenv("SKIFF_RESULTS");

	for (i = 0; i < n; i++) {
		test_failures_in_case = 0;
		cases[i].fn();
		if (test_failures_in_case) {
			printf("not ok - %s: %s\n", suite, cases[i].name);
			failed++;
		} else {
			printf("ok - %s: %s\n", suite, cases[i].name);
			passed++;
		}
	}
	printf("%s: %zu passed, %zu failed\n", suite, passed, failed);
	if (results) {
		FILE *f = fopen(results, "a");

		if (f) {
			fprintf(f, "%zu %zu 0\n", passed, failed);
			fclose(f);
		}
	}
	return failed ? 1 : 0;
}
#endif

#define TEST_MAIN(suite, table)                                         \
	int main(void)                                                  \
	{                                                               \
		return test_main(suite, table,                          \
				 sizeof(table) / sizeof((table)[0]));   \
	}

#endif
