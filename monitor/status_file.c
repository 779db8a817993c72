/* SPDX-License-Identifier: ISC */
/*
 * The status file: how this monitor ended, for a skiffd that may not be
 * our parent (it can restart while we run). Opened before the sandbox;
 * written once at exit as one JSON object, then fsynced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

static int status_fd = -1;

int status_file_open(const char *path)
{
	status_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (status_fd < 0) {
		mon_err("status file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* JSON string escaping for the reason: quotes, backslashes, controls. */
static size_t json_escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < size; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			n += snprintf(out + n, size - n, "\\%c", c);
		else if (c < 0x20)
			n += snprintf(out + n, size - n, "\\u%04x", c);
		else
			out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

void status_file_write(int status, const char *kind, const char *reason)
{
	char esc[1024], line[1200];
	int n;

	if (status_fd < 0)
		return;
	json_escape(esc, sizeof(esc), reason ? reason : "");
	n = snprintf(line, sizeof(line),
		     "{\"exit_status\":%d,\"kind\":\"%s\",\"reason\":\"%s\"}\n",
		     status, kind, esc);
	if (pwrite(status_fd, line, n, 0) == n)
		fsync(status_fd);
	close(status_fd);
	status_fd = -1;
}
