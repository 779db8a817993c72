/* SPDX-License-Identifier: ISC */
/*
 * accept-exec PORTFILE FD CMD [ARG...]: listen on 127.0.0.1 (a free
 * port, written to PORTFILE once listening), accept one connection, make
 * it descriptor FD and exec CMD: a destination skiff-monitor taking a
 * migration (--incoming=@FD) without skiffd, for the Bats suites.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_any(const char *portfile)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	FILE *f;
	int s;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 1) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	f = fopen(portfile, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", ntohs(sa.sin_port));
	fclose(f);
	return s;
}

int main(int argc, char **argv)
{
	int s, c, fd;

	if (argc < 4) {
		fprintf(stderr, "usage: accept-exec PORTFILE FD CMD [ARG...]\n");
		return 2;
	}
	fd = atoi(argv[2]);
	s = listen_any(argv[1]);
	c = s < 0 ? -1 : accept(s, NULL, NULL);
	if (c >= 0)
		close(s);	/* first: it may hold descriptor FD */
	if (c < 0 || dup2(c, fd) < 0) {
		fprintf(stderr, "accept-exec: %s\n", strerror(errno));
		return 1;
	}
	if (c != fd)
		close(c);
	execvp(argv[3], argv + 3);
	fprintf(stderr, "accept-exec: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
