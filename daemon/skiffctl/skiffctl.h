/* SPDX-License-Identifier: ISC */
/*
 * skiffctl: a thin client of skiffd's JSON-RPC API.
 *
 * client.c   the connection: calls, and notifications kept in order
 * output.c   tables, key/value blocks, errors, durations
 * commands.c one function per command
 * migrate.c  incoming and migrate (live migration)
 * main.c     global options and dispatch
 */
#ifndef SKIFF_SKIFFCTL_H
#define SKIFF_SKIFFCTL_H

#include <stdbool.h>
#include <jansson.h>

#include "jsonrpc.h"
#include "line_reader.h"

/* Exit statuses (see skiffctl(1)). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_ERR = 1,		/* the daemon refused or failed */
	CTL_USAGE = 2,
	CTL_NO_DAEMON = 3,	/* cannot connect */
	CTL_NOT_FOUND = 4,
	CTL_BAD_STATE = 5,
	CTL_DENIED = 6,
	CTL_EXISTS = 7,
	CTL_CRASHED = 125,	/* run --attach: crashed without a signal */
};

struct ctl {
	const char *socket;
	bool json;
	int fd;
	struct line_reader lr;
	json_int_t next_id;
	json_t *queued;		/* notifications read while waiting */
	int last_code;		/* JSON-RPC code of the last error */
};

/* client.c */
int ctl_connect(struct ctl *c);
void ctl_close(struct ctl *c);
/*
 * ctl_call - call @method with @params (stolen; may be NULL). Returns the
 * result (caller owns it), or NULL after printing a one-line error on
 * stderr; c->last_code then holds the error code (0 for I/O errors).
 */
json_t *ctl_call(struct ctl *c, const char *method, json_t *params);
/* The same, with notifications handed to @fn as they arrive. */
typedef void (*ctl_notify_fn)(const char *method, json_t *params, void *arg);
json_t *ctl_call_notified(struct ctl *c, const char *method, json_t *params,
			  ctl_notify_fn fn, void *arg);
/*
 * ctl_next_notification - wait up to @timeout_ms (-1: forever) for the
 * next notification. Returns it (caller owns it; has "method" and
 * "params") or NULL on timeout or end of connection.
 */
json_t *ctl_next_notification(struct ctl *c, int timeout_ms);
/* Map the last error to an exit status. */
int ctl_exit_code(struct ctl *c);

/* output.c */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_json(json_t *v);
void out_table(json_t *rows, const char *const *cols,
	       const char *const *heads);
const char *out_duration(double seconds, char *buf, size_t len);
void out_info(json_t *info);
void out_console(json_t *params);
void out_event(json_t *notification);
void out_snapshot(json_t *result);
void out_restore(const char *path, json_t *summary);

/* commands.c */
int cmd_run(struct ctl *c, int argc, char **argv, bool start);
int cmd_start(struct ctl *c, int argc, char **argv);
int cmd_stop(struct ctl *c, int argc, char **argv, bool kill);
int cmd_simple(struct ctl *c, int argc, char **argv, const char *method);
int cmd_rm(struct ctl *c, int argc, char **argv);
int cmd_ls(struct ctl *c, int argc, char **argv);
int cmd_info(struct ctl *c, int argc, char **argv);
int cmd_logs(struct ctl *c, int argc, char **argv);
int cmd_events(struct ctl *c, int argc, char **argv);
int cmd_snapshot(struct ctl *c, int argc, char **argv);
int cmd_restore(struct ctl *c, int argc, char **argv);
int cmd_version(struct ctl *c, int argc, char **argv);

/* migrate.c */
int cmd_incoming(struct ctl *c, int argc, char **argv);
int cmd_migrate(struct ctl *c, int argc, char **argv);

#endif
