/* SPDX-License-Identifier: ISC */
/*
 * Re-adoption after a restart. For every VM whose last saved state had a
 * monitor (starting, running, paused):
 *   1. Read RUN/vms/NAME/monitor.json (pid and the process start time).
 *   2. If that pid still runs with that start time, it is our monitor:
 *      take a pidfd, connect to its control socket, and take its state
 *      (running or paused) and counters from monitor.info when it
 *      answers (without waiting for it).
 *   3. Otherwise it ended while skiffd was down: its status file says
 *      how (stopped with its exit status, or crashed with the reason);
 *      without one the VM is crashed. One that exited "migrated" runs
 *      on another host now, and an incoming one that ended never ran
 *      here: both are dropped (migration_monitor_ended()).
 */
#include <string.h>
#include <sys/pidfd.h>

#include "skiffd.h"

static bool read_runtime(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64];
	json_t *j;

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)))
		return false;
	j = persist_read_json(dir, "monitor.json");
	if (!json_is_integer(json_object_get(j, "pid"))) {
		json_decref(j);
		return false;
	}
	vm->pid = json_integer_value(json_object_get(j, "pid"));
	vm->pid_start = json_integer_value(json_object_get(j, "pid_start"));
	vm->started_at = json_number_value(json_object_get(j, "started_at"));
	vm->run_console_offset = json_integer_value(
		json_object_get(j, "run_console_offset"));
	vm->stop_requested = json_is_true(json_object_get(j, "stop_requested"));
	json_decref(j);
	return vm->pid > 0;
}

/* Is vm->pid still the process we started? Takes a pidfd if so. */
static bool still_ours(struct vm *vm)
{
	if (!vm->pid_start || proc_start_time(vm->pid) != vm->pid_start)
		return false;
	vm->pidfd = pidfd_open(vm->pid, 0);
	if (vm->pidfd < 0)
		return false;
	/* The pid could have been reused between the two looks. */
	return proc_start_time(vm->pid) == vm->pid_start;
}

/* Its answer (or silence) decides the state the VM is adopted in. */
static void adopt_refreshed(struct vm *vm, json_t *info, void *arg)
{
	if (!vm_state_active(vm->state))
		return;			/* it ended meanwhile */
	if (!info && vm->state == VM_INCOMING) {
		/* Still reading the source's stream: no deadline. */
		monitor_wait_ready(vm->d, vm);
		vm->ready_deadline = 1e300;
	} else if (!info) {
		vm_set_state(vm->d, vm, VM_STARTING);
		monitor_wait_ready(vm->d, vm);
	} else if (vm->state == VM_STARTING || vm->state == VM_INCOMING) {
		vm_set_state(vm->d, vm, monitor_info_state(info));
	}
	/* running/paused: monitor_client.c took the monitor's word. */
}

/*
 * The VM keeps its saved state until the monitor answers monitor.info;
 * the loop does not wait for it (nor for any other monitor).
 */
static void adopt_one(struct skiffd *d, struct vm *vm)
{
	vm->is_child = false;
	if (!read_runtime(d, vm) || !still_ours(vm)) {
		log_info("vm %s: its monitor ended while skiffd was down",
			 vm->def.name);
		monitor_ended(d, vm, false, 0);
		return;
	}
	vm->adopted = true;
	console_attach(d, vm);
	if (monitor_watch(d, vm)) {
		log_err("vm %s: watching monitor pid %d: %m", vm->def.name,
			(int)vm->pid);
		return;
	}
	log_info("vm %s: re-adopted monitor pid %d (was %s)", vm->def.name,
		 (int)vm->pid, vm_state_name(vm->state));
	if (monitor_refresh_async(d, vm, adopt_refreshed, NULL))
		adopt_refreshed(vm, NULL, NULL);
}

void adopt_all(struct skiffd *d)
{
	struct vm *vm, *next;

	for (vm = d->vms; vm; vm = next) {
		next = vm->next;
		if (vm_state_active(vm->state))
			adopt_one(d, vm);
	}
}
