/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of api/line_reader.c over a pipe.
 */
#include <errno.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "line_reader.h"

static void put(int fd, const char *s, size_t n)
{
	if (write(fd, s, n) != (ssize_t)n)
		abort();
}

TEST(lines_split_across_reads)
{
	struct line_reader lr;
	int p[2];
	char *line;
	size_t len;

	REQUIRE(pipe(p) == 0);
	line_reader_init(&lr, 0);
	put(p[1], "{\"a\":1}\n{\"b\"", 12);
	CHECK(line_reader_fill(&lr, p[0]) == 12);
	REQUIRE(line_reader_next(&lr, &line, &len) == 1);
	CHECK(len == 7 && !strcmp(line, "{\"a\":1}"));
	CHECK(line_reader_next(&lr, &line, &len) == 0);
	put(p[1], ":2}\n\n", 5);
	CHECK(line_reader_fill(&lr, p[0]) == 5);
	REQUIRE(line_reader_next(&lr, &line, &len) == 1);
	CHECK(!strcmp(line, "{\"b\":2}"));
	REQUIRE(line_reader_next(&lr, &line, &len) == 1);
	CHECK(len == 0);
	close(p[1]);
	CHECK(line_reader_fill(&lr, p[0]) == 0);
	close(p[0]);
	line_reader_free(&lr);
}

TEST(overlong_line_refused)
{
	struct line_reader lr;
	int p[2];
	char *line;
	size_t len;

	REQUIRE(pipe(p) == 0);
	line_reader_init(&lr, 8);
	put(p[1], "0123456789", 10);
	CHECK(line_reader_fill(&lr, p[0]) == 10);
	errno = 0;
	CHECK(line_reader_next(&lr, &line, &len) == -1);
	CHECK(errno == EMSGSIZE);
	close(p[0]);
	close(p[1]);
	line_reader_free(&lr);

	REQUIRE(pipe(p) == 0);
	line_reader_init(&lr, 8);
	put(p[1], "0123456789\n", 11);
	CHECK(line_reader_fill(&lr, p[0]) == 11);
	CHECK(line_reader_next(&lr, &line, &len) == -1);
	close(p[0]);
	close(p[1]);
	line_reader_free(&lr);
}

TEST(exact_limit_accepted)
{
	struct line_reader lr;
	int p[2];
	char *line;
	size_t len;

	REQUIRE(pipe(p) == 0);
	line_reader_init(&lr, 8);
	put(p[1], "01234567\n", 9);
	CHECK(line_reader_fill(&lr, p[0]) == 9);
	CHECK(line_reader_next(&lr, &line, &len) == 1 && len == 8);
	close(p[0]);
	close(p[1]);
	line_reader_free(&lr);
}

TEST(large_line_grows_buffer)
{
	struct line_reader lr;
	int p[2];
	char *line, big[20000];
	size_t len, got = 0;

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	REQUIRE(pipe(p) == 0);
	line_reader_init(&lr, 0);
	put(p[1], big, sizeof(big));
	close(p[1]);
	while (line_reader_fill(&lr, p[0]) > 0)
		got++;
	CHECK(got >= 2);
	REQUIRE(line_reader_next(&lr, &line, &len) == 1);
	CHECK(len == sizeof(big) - 1);
	close(p[0]);
	line_reader_free(&lr);
}

static const struct test_case cases[] = {
	TEST_ENTRY(lines_split_across_reads),
	TEST_ENTRY(overlong_line_refused),
	TEST_ENTRY(exact_limit_accepted),
	TEST_ENTRY(large_line_grows_buffer),
};

TEST_MAIN("api/line_reader", cases)
