/* SPDX-License-Identifier: ISC */
/*
 * Line framing for blocking clients of the JSON-RPC socket (skiffctl,
 * the daemon's monitor client): buffer bytes read from a file
 * descriptor, hand out complete lines, refuse a line over the limit.
 */
#ifndef SKIFF_API_LINE_READER_H
#define SKIFF_API_LINE_READER_H

#include <stddef.h>
#include <sys/types.h>

struct line_reader {
	char *buf;
	size_t len;	/* bytes buffered */
	size_t start;	/* first byte not yet handed out */
	size_t cap;
	size_t max_line;
};

/* line_reader_init - empty reader; @max_line 0 means JSONRPC_MAX_LINE. */
void line_reader_init(struct line_reader *lr, size_t max_line);
void line_reader_free(struct line_reader *lr);

/*
 * line_reader_next - the next complete line, newline excluded and
 * NUL-terminated in place. Returns 1 with *@line / *@len set, 0 when no
 * complete line is buffered, -1 when the pending line is already longer
 * than the limit (errno EMSGSIZE). The line stays valid until the next
 * call of any line_reader function.
 */
int line_reader_next(struct line_reader *lr, char **line, size_t *len);

/*
 * line_reader_fill - read once from @fd into the buffer. Returns the
 * byte count, 0 at end of file, -1 with errno on error (EAGAIN when
 * non-blocking and nothing is there).
 */
ssize_t line_reader_fill(struct line_reader *lr, int fd);

/*
 * line_reader_fill_fd - the same from a Unix socket, also receiving a
 * descriptor passed with SCM_RIGHTS: *@passed_fd is it (close-on-exec),
 * or -1. Descriptors beyond the first in one message are closed (at most
 * LINE_READER_MAX_FDS are received; the kernel closes any more).
 */
#define LINE_READER_MAX_FDS	4
ssize_t line_reader_fill_fd(struct line_reader *lr, int fd, int *passed_fd);

#endif
