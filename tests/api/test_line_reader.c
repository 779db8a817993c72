/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of api/line_reader.c over a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* Send @s with @nfds copies of @fd attached, in one message. */
static void put_fds(int sock, const char *s, int fd, int nfds)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)s, strlen(s) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int i;

	if (nfds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, 0) != (ssize_t)iov.iov_len)
		abort();
}

/* How many descriptors this process has open. */
static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

TEST(descriptor_passed_with_a_line)
{
	struct line_reader lr;
	struct stat a, b;
	int sv[2], passed, before;
	char *line;
	size_t len;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	line_reader_init(&lr, 0);
	put_fds(sv[1], "{\"m\":1}\n", sv[1], 1);
	CHECK(line_reader_fill_fd(&lr, sv[0], &passed) == 8);
	REQUIRE(passed >= 0);
	CHECK(fcntl(passed, F_GETFD) & FD_CLOEXEC);
	CHECK(fstat(passed, &a) == 0 && fstat(sv[1], &b) == 0 &&
	      a.st_ino == b.st_ino);
	close(passed);
	REQUIRE(line_reader_next(&lr, &line, &len) == 1);
	CHECK(!strcmp(line, "{\"m\":1}"));
	/* none attached: -1 */
	put_fds(sv[1], "x\n", -1, 0);
	CHECK(line_reader_fill_fd(&lr, sv[0], &passed) == 2 && passed == -1);
	/* several attached: the first is kept, the others closed */
	before = open_fds();
	put_fds(sv[1], "y\n", sv[1], 3);
	CHECK(line_reader_fill_fd(&lr, sv[0], &passed) == 2 && passed >= 0);
	CHECK(open_fds() == before + 1);
	close(passed);
	close(sv[0]);
	close(sv[1]);
	line_reader_free(&lr);
}

static const struct test_case cases[] = {
	TEST_ENTRY(lines_split_across_reads),
	TEST_ENTRY(overlong_line_refused),
	TEST_ENTRY(exact_limit_accepted),
	TEST_ENTRY(large_line_grows_buffer),
	TEST_ENTRY(descriptor_passed_with_a_line),
};

TEST_MAIN("api/line_reader", cases)
