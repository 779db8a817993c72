/* SPDX-License-Identifier: ISC */
/*
 * Logging: stderr with sd-daemon priority prefixes (the journal reads
 * them), or syslog when skiffd detached itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "skiffd.h"

static bool use_syslog;
static bool log_verbose;

void log_init(bool to_syslog, bool verbose)
{
	use_syslog = to_syslog;
	log_verbose = verbose;
	if (use_syslog)
		openlog("skiffd", LOG_PID, LOG_DAEMON);
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_syslog) {
		syslog(prio, "%s", msg);
		return;
	}
	fprintf(stderr, "<%d>skiffd: %s\n", prio, msg);
}

#define DEFINE_LOG(fn, prio)				\
	void fn(const char *fmt, ...)			\
	{						\
		va_list ap;				\
							\
		va_start(ap, fmt);			\
		vlog(prio, fmt, ap);			\
		va_end(ap);				\
	}

DEFINE_LOG(log_info, LOG_INFO)
DEFINE_LOG(log_warn, LOG_WARNING)
DEFINE_LOG(log_err, LOG_ERR)

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}
