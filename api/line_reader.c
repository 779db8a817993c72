/* SPDX-License-Identifier: ISC */
/*
 * Newline framing over a byte stream with a per-line size limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "line_reader.h"

void line_reader_init(struct line_reader *lr, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->max_line = max_line ? max_line : JSONRPC_MAX_LINE;
}

void line_reader_free(struct line_reader *lr)
{
	free(lr->buf);
	memset(lr, 0, sizeof(*lr));
}

int line_reader_next(struct line_reader *lr, char **line, size_t *len)
{
	char *p, *nl;
	size_t avail = lr->len - lr->start;

	p = lr->buf + lr->start;
	nl = avail ? memchr(p, '\n', avail) : NULL;
	if (!nl) {
		if (avail > lr->max_line) {
			errno = EMSGSIZE;
			return -1;
		}
		return 0;
	}
	if ((size_t)(nl - p) > lr->max_line) {
		errno = EMSGSIZE;
		return -1;
	}
	*nl = '\0';
	*line = p;
	*len = nl - p;
	lr->start += *len + 1;
	return 1;
}

/* Move pending bytes to the front and make room for one more read. */
static int make_room(struct line_reader *lr, size_t want)
{
	char *nb;
	size_t ncap;

	if (lr->start) {
		memmove(lr->buf, lr->buf + lr->start, lr->len - lr->start);
		lr->len -= lr->start;
		lr->start = 0;
	}
	if (lr->cap - lr->len >= want)
		return 0;
	ncap = lr->cap ? lr->cap : 4096;
	while (ncap - lr->len < want)
		ncap *= 2;
	nb = realloc(lr->buf, ncap + 1);
	if (!nb)
		return -1;
	lr->buf = nb;
	lr->cap = ncap;
	return 0;
}

ssize_t line_reader_fill(struct line_reader *lr, int fd)
{
	ssize_t n;

	if (make_room(lr, 4096))
		return -1;
	do {
		n = read(fd, lr->buf + lr->len, lr->cap - lr->len);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		lr->len += n;
	return n;
}

/* Close every descriptor a control message carried except the first. */
static int take_fds(struct msghdr *mh)
{
	struct cmsghdr *c;
	int fd, got = -1;
	size_t i, n;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < 0)
				got = fd;
			else
				close(fd);
		}
	}
	return got;
}

ssize_t line_reader_fill_fd(struct line_reader *lr, int fd, int *passed_fd)
{
	union {
		char buf[CMSG_SPACE(LINE_READER_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	ssize_t n;

	*passed_fd = -1;
	if (make_room(lr, 4096))
		return -1;
	iov.iov_base = lr->buf + lr->len;
	iov.iov_len = lr->cap - lr->len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	*passed_fd = take_fds(&mh);
	lr->len += n;
	return n;
}
