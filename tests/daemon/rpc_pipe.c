/* SPDX-License-Identifier: ISC */
/*
 * rpc-pipe: a raw client for testing skiffd's socket byte by byte.
 *
 *   rpc-pipe [--hold SECONDS] [--no-read] [--timeout SECONDS] SOCKET
 *
 * Writes stdin to SOCKET unchanged, then (unless --hold) half-closes and
 * copies everything the daemon sends to stdout until it closes. --hold
 * keeps the connection open without finishing (a stuck client);
 * --no-read never reads the answers (a slow client). Exit status 0 when
 * the daemon closed the connection, 3 when it could not connect, 4 on
 * timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static int copy_in(int sock)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write_all(sock, buf, n))
			return -1;
	return n < 0 ? -1 : 0;
}

static int copy_out(int sock, int timeout_s)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	char buf[65536];
	ssize_t n;

	for (;;) {
		if (poll(&p, 1, timeout_s * 1000) == 0)
			return 4;
		n = read(sock, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return 0;
		if (n <= 0)
			return n < 0 ? 1 : 0;
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			return 1;
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, sock, hold = 0, no_read = 0, timeout_s = 20;

	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--hold") && i + 1 < argc - 1)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc - 1)
			timeout_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-read"))
			no_read = 1;
		else
			break;
	}
	if (i != argc - 1 || strlen(argv[i]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: rpc-pipe [--hold S] [--no-read] [--timeout S] SOCKET\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[i]);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(argv[i]);
		return 3;
	}
	if (copy_in(sock))
		perror("rpc-pipe: sending");
	if (hold) {
		sleep(hold);
		return 0;
	}
	if (no_read) {
		shutdown(sock, SHUT_WR);
		sleep(timeout_s);
		return 0;
	}
	shutdown(sock, SHUT_WR);
	return copy_out(sock, timeout_s);
}
