/* SPDX-License-Identifier: ISC */
/*
 * Following a monitor's life: readiness (its control socket answers),
 * the stop timeout, and its end. A pidfd tells when the process ends,
 * whether it is skiffd's child or one adopted after a restart; for a
 * child waitid() gives the real status, for an adopted monitor the
 * status file it wrote is the only witness.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "migration.h"
#include "skiffd.h"

#define READY_POLL_MS	2

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* Fields after the command name, which may contain spaces. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (i = 0, p += 2; i < 19 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

static void clear_timer(struct vm *vm)
{
	if (vm->timer) {
		event_free(vm->timer);
		vm->timer = NULL;
	}
}

static int signal_monitor(struct vm *vm, int sig)
{
	if (vm->pidfd >= 0)
		return syscall(SYS_pidfd_send_signal, vm->pidfd, sig, NULL, 0);
	return kill(vm->pid, sig);
}

/* "signal 9 (Killed)" */
static void describe_signal(char *buf, size_t len, const char *what, int sig)
{
	snprintf(buf, len, "%s by signal %d (SIG%s)", what, sig,
		 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
}

/*
 * A status file reason that says the guest ended the way guests end:
 * it exited/halted, or the monitor stopped it on SIGTERM/SIGINT.
 */
static bool orderly_reason(const char *reason)
{
	static const char *const orderly[] = {
		"exit", "halt", "guest exit", "guest halt", "signal ",
		"Exiting on signal ", NULL
	};
	const char *const *p;

	if (!*reason)
		return true;
	for (p = orderly; *p; p++)
		if (!strncmp(reason, *p, strlen(*p)))
			return true;
	return false;
}

/*
 * Read RUN/vms/NAME/status.json; true if it was there and well-formed.
 * *orderly: the monitor's "kind" says the guest ended the way guests end
 * (it halted, or was stopped by SIGTERM/SIGINT), rather than trapped or
 * was stopped for an error; without "kind", the reason text decides.
 */
static bool read_status_file(struct skiffd *d, struct vm *vm, int *status,
			     bool *orderly, char *reason, size_t len)
{
	char dir[VM_PATH_MAX + 64];
	json_t *j, *st, *r;
	const char *kind;
	bool ok = false;

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)))
		return false;
	j = persist_read_json(dir, "status.json");
	st = json_object_get(j, "exit_status");
	r = json_object_get(j, "reason");
	kind = json_string_value(json_object_get(j, "kind"));
	if (json_is_integer(st)) {
		*status = json_integer_value(st);
		snprintf(reason, len, "%s", json_string_value(r) ?: "");
		*orderly = kind ? !strcmp(kind, "halt") ||
				  !strcmp(kind, "signal") ||
				  !strcmp(kind, "migrated") :
				  orderly_reason(reason);
		ok = true;
	}
	json_decref(j);
	return ok;
}

/* Decide stopped or crashed, and why; fills vm->exit_*, vm->reason. */
static enum vm_state classify_end(struct skiffd *d, struct vm *vm,
				  bool have_wstatus, int wstatus)
{
	char freason[200];
	int fstatus = 0;
	bool forderly = false;
	bool have_file = read_status_file(d, vm, &fstatus, &forderly, freason,
					  sizeof(freason));

	vm->exit_signal = 0;
	if (have_wstatus && WIFSIGNALED(wstatus)) {
		vm->exit_signal = WTERMSIG(wstatus);
		vm->exit_status = 128 + vm->exit_signal;
		if (vm->kill_requested || (vm->stop_requested &&
					   vm->exit_signal == SIGKILL)) {
			describe_signal(vm->reason, sizeof(vm->reason),
					vm->kill_requested ?
					"killed on request" :
					"killed after the stop timeout",
					vm->exit_signal);
			return VM_STOPPED;
		}
		describe_signal(vm->reason, sizeof(vm->reason), "monitor killed",
				vm->exit_signal);
		return VM_CRASHED;
	}
	if (have_file) {
		vm->exit_status = fstatus;
		snprintf(vm->reason, sizeof(vm->reason), "%s", freason);
		/* Asked to stop and it wrote its status: an orderly end. */
		if (vm->stop_requested || forderly)
			return VM_STOPPED;
		return VM_CRASHED;
	}
	if (vm->kill_requested) {
		vm->exit_status = 128 + SIGKILL;
		vm->exit_signal = SIGKILL;
		snprintf(vm->reason, sizeof(vm->reason), "killed on request");
		return VM_STOPPED;
	}
	if (have_wstatus) {
		vm->exit_status = WEXITSTATUS(wstatus);
		snprintf(vm->reason, sizeof(vm->reason),
			 "monitor exited with status %d without writing its status file",
			 vm->exit_status);
		return VM_CRASHED;
	}
	vm->exit_status = -1;
	snprintf(vm->reason, sizeof(vm->reason),
		 "monitor ended while skiffd could not wait for it, without writing its status file (killed by a signal?)");
	return VM_CRASHED;
}

/* The sandboxed monitor cannot unlink its socket; skiffd does. */
static void remove_control_socket(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64], path[VM_PATH_MAX + 96];

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)))
		return;
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	unlink(path);
}

void monitor_ended(struct skiffd *d, struct vm *vm, bool have_wstatus,
		   int wstatus)
{
	enum vm_state s, prev = vm->state;

	console_pump(d, vm);
	console_detach(d, vm);
	vm->console.sent = 0;
	s = classify_end(d, vm, have_wstatus, wstatus);
	log_info("vm %s: monitor pid %d ended: %s, status %d%s%s",
		 vm->def.name, (int)vm->pid, vm_state_name(s),
		 vm->exit_status, vm->reason[0] ? ", " : "", vm->reason);
	vm->has_exit = true;
	vm->stopped_at = now_realtime();
	monitor_unwatch(vm);
	persist_remove_runtime(d, vm);
	remove_control_socket(d, vm);
	vm->pid = 0;
	vm->stop_requested = vm->kill_requested = false;
	vm_set_state(d, vm, s);
	/*
	 * Last: the calls still outstanding fail, and their callbacks (and
	 * the ops queued behind them) see the VM already stopped.
	 */
	monitor_disconnect_reason(vm, "the monitor exited");
	migration_monitor_ended(d, vm, prev);
}

static void pidfd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	siginfo_t si;
	int wstatus = 0;
	bool have = false;

	memset(&si, 0, sizeof(si));
	if (vm->is_child &&
	    waitid(P_PID, vm->pid, &si, WEXITED | WNOHANG) == 0 &&
	    si.si_pid == vm->pid) {
		have = true;
		if (si.si_code == CLD_EXITED)
			wstatus = (si.si_status & 0xff) << 8;
		else
			wstatus = si.si_status & 0x7f;
	}
	monitor_ended(vm->d, vm, have, wstatus);
}

int monitor_watch(struct skiffd *d, struct vm *vm)
{
	if (vm->pidfd < 0)
		vm->pidfd = pidfd_open(vm->pid, 0);
	if (vm->pidfd < 0)
		return -1;
	vm->pidfd_ev = event_new(d->base, vm->pidfd, EV_READ, pidfd_cb, vm);
	if (!vm->pidfd_ev || event_add(vm->pidfd_ev, NULL))
		return -1;
	return 0;
}

void monitor_unwatch(struct vm *vm)
{
	clear_timer(vm);
	if (vm->pidfd_ev)
		event_free(vm->pidfd_ev);
	vm->pidfd_ev = NULL;
	if (vm->pidfd >= 0)
		close(vm->pidfd);
	vm->pidfd = -1;
}

static void arm_timer(struct vm *vm, event_callback_fn cb, double seconds)
{
	struct timeval tv = { .tv_sec = (time_t)seconds,
		.tv_usec = (suseconds_t)((seconds - (time_t)seconds) * 1e6) };

	clear_timer(vm);
	vm->timer = evtimer_new(vm->d->base, cb, vm);
	if (vm->timer)
		evtimer_add(vm->timer, &tv);
}

enum vm_state monitor_info_state(json_t *info)
{
	const char *st = json_string_value(json_object_get(info, "state"));

	return st && !strcmp(st, "paused") ? VM_PAUSED : VM_RUNNING;
}

/*
 * An adopted or incoming monitor answered monitor.info: it is ready. An
 * incoming one says where the source's console log ended: this host's
 * log of the VM goes on from there.
 */
static void ready_refreshed(struct vm *vm, json_t *info, void *arg)
{
	json_t *origin = json_object_get(info, "console_origin");

	if (!info || (vm->state != VM_STARTING && vm->state != VM_INCOMING))
		return;
	clear_timer(vm);
	if (vm->state == VM_INCOMING && json_is_integer(origin) &&
	    json_integer_value(origin) > 0)
		console_rebase(vm->d, vm, json_integer_value(origin));
	vm_set_state(vm->d, vm, monitor_info_state(info));
	console_pump(vm->d, vm);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	struct skiffd *d = vm->d;

	if (vm->state != VM_STARTING && vm->state != VM_INCOMING)
		return;
	/*
	 * A monitor we started creates its control socket just before the
	 * guest's first instruction and starts unpaused: accepting the
	 * connection is the sign. No round trip: the loop must not wait
	 * while the new guest competes for the CPUs.
	 */
	if (!vm->adopted && vm->state != VM_INCOMING &&
	    monitor_connect(d, vm) == 0) {
		clear_timer(vm);
		vm_set_state(d, vm, VM_RUNNING);
		return;
	}
	/*
	 * An adopted one may be paused, an incoming one carries its console
	 * log's offset: ask them, without waiting here.
	 */
	if ((vm->adopted || vm->state == VM_INCOMING) && !vm->refreshing)
		monitor_refresh_async(d, vm, ready_refreshed, NULL);
	if (now_monotonic() > vm->ready_deadline) {
		log_err("vm %s: monitor pid %d: control socket not ready after %.1f s; killing it",
			vm->def.name, (int)vm->pid, d->cfg.start_timeout);
		signal_monitor(vm, SIGKILL);
		clear_timer(vm);
		return;
	}
	arm_timer(vm, ready_cb, READY_POLL_MS / 1000.0);
}

void monitor_wait_ready(struct skiffd *d, struct vm *vm)
{
	vm->ready_deadline = now_monotonic() + d->cfg.start_timeout;
	arm_timer(vm, ready_cb, READY_POLL_MS / 1000.0);
}

static void stop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	log_warn("vm %s: still running %.1f s after SIGTERM; sending SIGKILL",
		 vm->def.name, vm->d->cfg.stop_timeout);
	clear_timer(vm);
	signal_monitor(vm, SIGKILL);
}

static void send_sigterm(struct vm *vm)
{
	if (signal_monitor(vm, SIGTERM) < 0 && errno != ESRCH)
		log_err("vm %s: SIGTERM to monitor pid %d: %m", vm->def.name,
			(int)vm->pid);
	else
		log_info("vm %s: SIGTERM sent to monitor pid %d",
			 vm->def.name, (int)vm->pid);
}

/* The last counters are in (or the monitor did not answer): SIGTERM. */
static void stop_refreshed(struct vm *vm, json_t *info, void *arg)
{
	if (vm_state_active(vm->state) && vm->stop_requested && vm->pid > 0)
		send_sigterm(vm);
}

/*
 * vm.stop answers at once. The SIGTERM waits for one monitor.info, so
 * the last counters are kept (MONITOR_INFO_TIMEOUT_MS at most; a frozen
 * monitor gets its SIGTERM then); the SIGKILL timeout runs from now.
 */
int monitor_stop(struct skiffd *d, struct vm *vm, double timeout,
		 struct jsonrpc_error *err)
{
	vm->stop_requested = true;
	persist_save_runtime(d, vm);
	if (vm->state == VM_STARTING ||
	    monitor_refresh_async(d, vm, stop_refreshed, NULL))
		send_sigterm(vm);
	log_info("vm %s: stopping monitor pid %d (SIGKILL in %.1f s)",
		 vm->def.name, (int)vm->pid, timeout);
	arm_timer(vm, stop_timeout_cb, timeout);
	return 0;
}

int monitor_kill(struct skiffd *d, struct vm *vm, struct jsonrpc_error *err)
{
	vm->kill_requested = true;
	persist_save_runtime(d, vm);
	if (signal_monitor(vm, SIGKILL) < 0 && errno != ESRCH)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: SIGKILL to monitor pid %d: %s", vm->def.name,
			(int)vm->pid, strerror(errno));
	log_info("vm %s: SIGKILL sent to monitor pid %d", vm->def.name,
		 (int)vm->pid);
	return 0;
}
