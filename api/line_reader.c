/* SPDX-License-Identifier: ISC */
/*
 * Newline framing over a byte stream with a per-line size limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
