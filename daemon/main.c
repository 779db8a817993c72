/* SPDX-License-Identifier: ISC */
/*
 * skiffd: start-up in order, the loop, and shut-down.
 *
 *   1. Configuration (defaults, file, flags).
 *   2. Directories and the state-dir lock (one daemon per state dir).
 *   3. Registry from the state dir; the API socket (bound, or passed by
 *      systemd); monitors left by a previous skiffd re-adopted; autostart.
 *   4. Ready: sd_notify, or the parent of a detached daemon is released.
 *   5. SIGTERM/SIGINT end the loop. Guests keep running: their monitors
 *      are in their own sessions and the next skiffd adopts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "migration.h"
#include "skiffd.h"

static int make_dirs(struct skiffd *d)
{
	char lock[VM_PATH_MAX + 32];

	if (persist_mkdir_p(d->cfg.state_dir, 0700)) {
		log_err("state dir %s: %m", d->cfg.state_dir);
		return -1;
	}
	if (persist_mkdir_p(d->cfg.run_dir, 0755)) {
		log_err("run dir %s: %m", d->cfg.run_dir);
		return -1;
	}
	snprintf(lock, sizeof(lock), "%s/skiffd.lock", d->cfg.state_dir);
	d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0) {
		log_err("%s: %m", lock);
		return -1;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		log_err("%s: another skiffd uses this state dir", lock);
		return -1;
	}
	return 0;
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct skiffd *d = arg;
	unsigned int active = 0;
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next)
		active += vm_state_active(vm->state);
	log_info("signal %d: exiting; %u running guests keep running",
		 (int)sig, active);
	event_base_loopbreak(d->base);
}

/* Once a second: console caps and output that inotify did not report. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct skiffd *d = arg;
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next)
		if (vm->console.fd >= 0)
			console_pump(d, vm);
}

static int setup_events(struct skiffd *d)
{
	struct timeval sec = { 1, 0 };

	d->sigterm_ev = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sigint_ev = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->tick_ev = event_new(d->base, -1, EV_PERSIST, tick_cb, d);
	if (!d->sigterm_ev || !d->sigint_ev || !d->tick_ev)
		return -1;
	event_add(d->sigterm_ev, NULL);
	event_add(d->sigint_ev, NULL);
	event_add(d->tick_ev, &sec);
	return 0;
}

/*
 * Without --foreground and outside systemd, detach: the parent waits for
 * the child to be ready (or to fail) and exits with that result.
 */
static int detach(int *ready_fd)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

/* Three descriptors per running VM: take the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void print_methods(void)
{
	json_t *m = rpc_methods_json();

	json_dumpf(m, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(m);
}

static void shutdown_daemon(struct skiffd *d)
{
	sd_stopping();
	rpc_server_stop(d);
	migration_prepare_shutdown(d);
	migration_send_shutdown(d);
	/* Keep the monitors running; only forget them. */
	while (d->vms)
		vm_remove(d, d->vms);
	if (d->inotify_ev)
		event_free(d->inotify_ev);
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->watchdog_ev)
		event_free(d->watchdog_ev);
	event_free(d->tick_ev);
	event_free(d->sigterm_ev);
	event_free(d->sigint_ev);
	event_base_free(d->base);
	close(d->lock_fd);
}

static int run(struct skiffd *d, int ready_fd)
{
	if (make_dirs(d))
		return 1;
	d->base = event_base_new();
	if (!d->base || setup_events(d))
		return 1;
	if (console_watch_init(d))
		log_warn("inotify: %m; console output is polled once a second");
	if (persist_load_all(d)) {
		log_err("loading %s/vms: %m", d->cfg.state_dir);
		return 1;
	}
	if (rpc_server_start(d))
		return 1;
	adopt_all(d);
	vm_autostart_all(d);
	log_info("skiffd %s ready: %u vms, socket %s, state %s, run %s",
		 SKIFF_VERSION, d->nvms, d->cfg.socket_path, d->cfg.state_dir,
		 d->cfg.run_dir);
	sd_ready(d);
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			log_warn("telling the parent we are ready: %m");
		close(ready_fd);
		if (freopen("/dev/null", "r", stdin) == NULL ||
		    freopen("/dev/null", "w", stdout) == NULL)
			log_warn("/dev/null: %m");
	}
	event_base_dispatch(d->base);
	shutdown_daemon(d);
	return 0;
}

int main(int argc, char **argv)
{
	static struct skiffd d = { .inotify_fd = -1, .lock_fd = -1 };
	int rc, ready_fd = -1;
	bool detached;

	rc = config_load(&d.cfg, argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (d.cfg.print_methods) {
		print_methods();
		return 0;
	}
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	detached = !d.cfg.foreground && !getenv("NOTIFY_SOCKET") &&
		   !getenv("LISTEN_FDS");
	if (detached && detach(&ready_fd)) {
		perror("skiffd: detaching");
		return 1;
	}
	log_init(detached, d.cfg.verbose);
	d.started_at = now_realtime();
	return run(&d, ready_fd);
}
