/* SPDX-License-Identifier: ISC */
/*
 * Messages on stderr: "skiff-monitor: vm NAME: what: why". The last error
 * is kept so the status file can tell skiffd why the monitor ended.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor.h"

static char context[MFT_NAME_SIZE + 8];
static char last_error[512];

void mon_set_context(const char *vm_name)
{
	if (vm_name && *vm_name)
		snprintf(context, sizeof(context), "vm %.*s: ",
			 MFT_NAME_MAX, vm_name);
	else
		context[0] = '\0';
}

static void mon_vlog(const char *kind, const char *fmt, va_list ap)
{
	char msg[sizeof(last_error)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s%s%s\n", MONITOR_NAME, context, kind, msg);
	if (!*kind)
		memcpy(last_error, msg, sizeof(last_error));
}

void mon_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mon_vlog("", fmt, ap);
	va_end(ap);
}

void mon_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mon_vlog("warning: ", fmt, ap);
	va_end(ap);
}

const char *mon_last_error(void)
{
	return last_error;
}
