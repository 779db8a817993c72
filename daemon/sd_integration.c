/* SPDX-License-Identifier: ISC */
/*
 * systemd: socket activation, readiness, status, stopping, watchdog.
 * Outside systemd every call here is a no-op (libsystemd checks
 * $LISTEN_FDS and $NOTIFY_SOCKET).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include "skiffd.h"

int sd_listen_socket(void)
{
	int n = sd_listen_fds(1);

	if (n <= 0)
		return -1;
	if (n > 1)
		log_warn("systemd passed %d sockets; using the first", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
		log_err("the socket systemd passed is not a listening Unix stream socket");
		return -1;
	}
	return SD_LISTEN_FDS_START;
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

void sd_ready(struct skiffd *d)
{
	uint64_t usec = 0;
	struct timeval tv;

	sd_notifyf(0, "READY=1\nSTATUS=serving %u vms on %s", d->nvms,
		   d->socket_activated ? "the activated socket" :
		   d->cfg.socket_path);
	if (sd_watchdog_enabled(0, &usec) <= 0 || !usec)
		return;
	usec /= 2;
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	d->watchdog_ev = event_new(d->base, -1, EV_PERSIST, watchdog_cb, d);
	if (d->watchdog_ev)
		event_add(d->watchdog_ev, &tv);
}

void sd_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

void sd_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping; guests keep running");
}
