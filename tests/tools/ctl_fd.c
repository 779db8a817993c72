/* SPDX-License-Identifier: ISC */
/*
 * ctl-fd SOCKET FD LINE: send LINE (plus a newline) to the Unix socket
 * SOCKET with descriptor FD attached (SCM_RIGHTS), as skiffd does for
 * monitor.snapshot, then print the one-line answer. FD -1 sends none;
 * FD tcp:PORT connects to 127.0.0.1:PORT and sends that socket, as
 * skiffd does for monitor.migrate. For the Bats suites that drive
 * skiff-monitor's control socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ANSWER_TIMEOUT_MS	120000

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int connect_tcp(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(atoi(port));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int send_line(int s, const char *line, int pass)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct cmsghdr *c;

	if (pass >= 0) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
	}
	return sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int print_answer(int s)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char c;

	for (;;) {
		if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0)
			return -1;
		if (read(s, &c, 1) != 1)
			return -1;
		putchar(c);
		if (c == '\n')
			return 0;
	}
}

int main(int argc, char **argv)
{
	int s, pass;

	if (argc != 4) {
		fprintf(stderr, "usage: ctl-fd SOCKET FD LINE\n");
		return 2;
	}
	if (!strncmp(argv[2], "tcp:", 4)) {
		pass = connect_tcp(argv[2] + 4);
		if (pass < 0) {
			fprintf(stderr, "ctl-fd: %s: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
	} else {
		pass = atoi(argv[2]);
	}
	s = connect_to(argv[1]);
	if (s < 0 || send_line(s, argv[3], pass) || print_answer(s)) {
		fprintf(stderr, "ctl-fd: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
