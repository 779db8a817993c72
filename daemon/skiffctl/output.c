/* SPDX-License-Identifier: ISC */
/*
 * skiffctl's output: aligned tables, key/value blocks, console text, and
 * one-line errors on stderr.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "skiffctl.h"

#define COL_MAX 16

void out_error(const char *fmt, ...)
{
	va_list ap;

	fputs("skiffctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void out_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
	fflush(stdout);
}

const char *out_duration(double s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", (long)s / 60, (long)s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", (long)s / 3600,
			 ((long)s % 3600) / 60);
	else
		snprintf(buf, len, "%ldd%02ldh", (long)s / 86400,
			 ((long)s % 86400) / 3600);
	return buf;
}

/* One cell as text: strings as is, numbers, "-" when absent. */
static void cell(json_t *row, const char *col, char *buf, size_t len)
{
	json_t *v = json_object_get(row, col);

	if (!strcmp(col, "uptime") && json_is_number(v))
		out_duration(json_number_value(v), buf, len);
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
}

void out_table(json_t *rows, const char *const *cols,
	       const char *const *heads)
{
	size_t width[COL_MAX] = { 0 }, i, j, ncols = 0;
	char buf[512];
	json_t *row;

	while (cols[ncols] && ncols < COL_MAX)
		ncols++;
	for (j = 0; j < ncols; j++)
		width[j] = strlen(heads[j]);
	json_array_foreach(rows, i, row) {
		for (j = 0; j < ncols; j++) {
			cell(row, cols[j], buf, sizeof(buf));
			if (strlen(buf) > width[j])
				width[j] = strlen(buf);
		}
	}
	for (j = 0; j < ncols; j++) {
		if (j + 1 < ncols)
			printf("%-*s  ", (int)width[j], heads[j]);
		else
			printf("%s\n", heads[j]);
	}
	json_array_foreach(rows, i, row) {
		for (j = 0; j < ncols; j++) {
			cell(row, cols[j], buf, sizeof(buf));
			if (j + 1 < ncols)
				printf("%-*s  ", (int)width[j], buf);
			else
				printf("%s\n", buf);
		}
	}
}

static void kv(const char *key, json_t *v)
{
	char *s;

	if (!v)
		return;
	if (json_is_string(v)) {
		printf("%-14s %s\n", key, json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%-14s %s\n", key, s ? s : "?");
	free(s);
}

static void when(const char *key, json_t *v)
{
	char buf[64];
	time_t t;

	if (!json_is_number(v))
		return;
	t = (time_t)json_number_value(v);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("%-14s %s\n", key, buf);
}

void out_info(json_t *info)
{
	static const char *const plain[] = {
		"name", "state", "pid", "kernel", "device", "args", "mem",
		"block", "net", "autostart", "start_count", "adopted", "exit",
		"owner", NULL
	};
	const char *const *k;
	json_t *c = json_object_get(info, "counters"), *h, *v;
	const char *key;
	char buf[64];

	for (k = plain; *k; k++)
		kv(*k, json_object_get(info, *k));
	if (json_is_number(json_object_get(info, "uptime")))
		printf("%-14s %s\n", "uptime", out_duration(json_number_value(
			json_object_get(info, "uptime")), buf, sizeof(buf)));
	when("created", json_object_get(info, "created_at"));
	when("started", json_object_get(info, "started_at"));
	if (!json_is_object(c) || !json_object_size(c))
		return;
	printf("counters:\n");
	json_object_foreach(c, key, v) {
		if (json_is_integer(v))
			printf("  %-20s %lld\n", key,
			       (long long)json_integer_value(v));
	}
	h = json_object_get(c, "hypercalls");
	json_object_foreach(h, key, v)
		printf("  hypercall %-10s %lld\n", key,
		       (long long)json_integer_value(v));
}

void out_console(json_t *params)
{
	const char *s = json_string_value(json_object_get(params, "data"));

	if (s) {
		fputs(s, stdout);
		fflush(stdout);
	}
}

void out_event(json_t *n)
{
	const char *method = json_string_value(json_object_get(n, "method"));
	json_t *p = json_object_get(n, "params");
	const char *name = json_string_value(json_object_get(p, "name"));
	json_t *reason = json_object_get(p, "reason");

	if (!strcmp(method, "vm.console_output")) {
		printf("%s console: %s", name,
		       json_string_value(json_object_get(p, "data")));
	} else if (!strcmp(method, "vm.state_changed")) {
		printf("%s %s -> %s", name,
		       json_string_value(json_object_get(p, "previous")),
		       json_string_value(json_object_get(p, "state")));
		if (json_object_get(p, "exit_status"))
			printf(" (status %lld%s%s)",
			       (long long)json_integer_value(
				       json_object_get(p, "exit_status")),
			       json_string_length(reason) ? ", " : "",
			       json_string_value(reason) ?: "");
		putchar('\n');
	} else {
		printf("%s %s\n", name ? name : "-", method);
	}
	fflush(stdout);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "?";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "snapshot web1 -> /path: 5.4 MiB in 0.41 s (16384 pages, 15000 zero)" */
void out_snapshot(json_t *r)
{
	printf("snapshot %s -> %s: %.1f MiB in %.2f s (%lld pages, %lld zero)\n",
	       str(r, "name"), str(r, "path"), num(r, "bytes") / 1048576.0,
	       json_number_value(json_object_get(r, "seconds")),
	       num(r, "pages"), num(r, "zero_pages"));
}

/* "restore /path -> web2: running (pid 4242)" */
void out_restore(const char *path, json_t *summary)
{
	printf("restore %s -> %s: %s (pid %lld)\n", path, str(summary, "name"),
	       str(summary, "state"), num(summary, "pid"));
}
