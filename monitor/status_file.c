/* SPDX-License-Identifier: ISC */
/*
 * The status file: how this monitor ended, for a skiffd that may not be
 * our parent (it can restart while we run). Opened before the sandbox;
 * written once at exit as one JSON object, then fsynced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
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

void status_file_write(int status, const char *kind, const char *reason)
{
	const char *r = reason ? reason : "";
	char *line;
	json_t *j;
	size_t n;

	if (status_fd < 0)
		return;
	/* The reason may name a path in any encoding: jsonrpc_text() copes. */
	j = json_pack("{s:i, s:s, s:o}", "exit_status", status, "kind", kind,
		      "reason", jsonrpc_text(r, strlen(r)));
	line = j ? jsonrpc_dump_line(j, &n) : NULL;
	if (line && pwrite(status_fd, line, n, 0) == (ssize_t)n)
		fsync(status_fd);
	free(line);
	json_decref(j);
	close(status_fd);
	status_fd = -1;
}
