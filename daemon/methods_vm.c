/* SPDX-License-Identifier: ISC */
/*
 * The vm.* methods. Each validates its params, looks the VM up, checks
 * the lifecycle table, then acts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc_params.h"
#include "migration.h"
#include "skiffd.h"

#define CONSOLE_READ_DEFAULT	65536
#define CONSOLE_READ_MAX	131072

static struct vm *vm_param(struct rpc_call *c, json_t *p,
			   struct jsonrpc_error *err)
{
	const char *name;

	if (rpc_param_string(p, "name", true, 256, &name, err))
		return NULL;
	return vm_lookup(c->d, name, err);
}

struct vm *vm_param_managed(struct rpc_call *c, json_t *p,
			    struct jsonrpc_error *err)
{
	struct vm *vm = vm_param(c, p, err);

	if (vm && !peer_may_manage(c->peer, &vm->def.owner)) {
		jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
			"vm %s: owned by uid %d; uid %d may only look at it",
			vm->def.name, (int)vm->def.owner.uid,
			(int)c->peer->uid);
		return NULL;
	}
	return vm;
}

/*
 * Check at definition time that the client may open every file the VM
 * will use, with its own credentials, so that the answer comes now and
 * names the file (vm.start checks again).
 */
int vm_def_check_files(const struct vm_def *def, const struct peer_cred *peer,
		       struct jsonrpc_error *err)
{
	int i, fd;

	fd = peer_open(peer, def->kernel, O_RDONLY);
	if (fd < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
			"vm %s: kernel: %s: %s", def->name, def->kernel,
			strerror(errno));
	close(fd);
	for (i = 0; i < def->nblock; i++) {
		fd = peer_open(peer, def->block[i].path, O_RDWR);
		if (fd < 0)
			return jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
				"vm %s: block %s: %s: %s", def->name,
				def->block[i].name, def->block[i].path,
				strerror(errno));
		close(fd);
	}
	if (def->nnet && peer->uid != 0)
		return jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
			"vm %s: net %s: only root may attach tap devices",
			def->name, def->net[0].name);
	return 0;
}

json_t *method_vm_create(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err)
{
	struct skiffd *d = c->d;
	struct vm_def def;
	struct vm *vm;

	if (vm_def_from_params(p, &def, err))
		return NULL;
	if (vm_find(d, def.name)) {
		jsonrpc_error_set(err, SKIFF_ERR_EXISTS, "vm %s: already exists",
				  def.name);
		goto err;
	}
	if (d->nvms >= d->cfg.max_vms) {
		jsonrpc_error_set(err, SKIFF_ERR_LIMIT,
				  "vm %s: the limit of %u vms is reached",
				  def.name, d->cfg.max_vms);
		goto err;
	}
	if (vm_device_default(&d->cfg, &def)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "vm %s: %s", def.name,
				  strerror(errno));
		goto err;
	}
	if (vm_device_check(&d->cfg, &def, err) ||
	    vm_def_check_files(&def, c->peer, err))
		goto err;
	vm = vm_register(d, &def, c->peer, VM_DEFINED, err);
	if (!vm)
		return NULL;
	log_info("vm %s: created by uid %d (pid %d)", vm->def.name,
		 (int)c->peer->uid, (int)c->peer->pid);
	return vm_summary_json(vm);
err:
	vm_def_free(&def);
	return NULL;
}

json_t *method_vm_start(struct rpc_call *c, json_t *p,
			struct jsonrpc_error *err)
{
	struct vm *vm = vm_param_managed(c, p, err);

	if (!vm || vm_state_check(vm->def.name, vm->state, VM_OP_START, err))
		return NULL;
	if (vm_start(c->d, vm, err))
		return NULL;
	return json_pack("{s:s,s:s,s:i,s:I}", "name", vm->def.name,
			 "state", vm_state_name(vm->state), "pid", (int)vm->pid,
			 "console_offset", (json_int_t)vm->run_console_offset);
}

json_t *method_vm_stop(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err)
{
	double timeout = c->d->cfg.stop_timeout;
	struct vm *vm;

	/* Every param is checked before the lookup. */
	if (rpc_param_number(p, "timeout", false, 0, 3600, &timeout, err) < 0)
		return NULL;
	vm = vm_param_managed(c, p, err);
	if (!vm)
		return NULL;
	if (vm_state_check(vm->def.name, vm->state, VM_OP_STOP, err) ||
	    migration_refuse(vm, "stop", err) ||
	    monitor_stop(c->d, vm, timeout, err))
		return NULL;
	return json_pack("{s:s,s:s,s:b,s:f}", "name", vm->def.name,
			 "state", vm_state_name(vm->state), "stopping", 1,
			 "timeout", timeout);
}

json_t *method_vm_kill(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err)
{
	struct vm *vm = vm_param_managed(c, p, err);

	if (!vm || vm_state_check(vm->def.name, vm->state, VM_OP_KILL, err) ||
	    monitor_kill(c->d, vm, err))
		return NULL;
	return json_pack("{s:s,s:s,s:b}", "name", vm->def.name,
			 "state", vm_state_name(vm->state), "killed", 1);
}

/*
 * vm.pause and vm.resume answer once the monitor has (monitor_timeout
 * at most, skiffd.conf). They queue as VM jobs (vm_jobs.c), so a second one waits for
 * the first and then sees the state it left. The state changes only on
 * the monitor's "done". If the call fails after it was sent (a timeout,
 * the monitor went away) the monitor may yet carry it out: the counters
 * are marked stale, so the next vm.info asks the monitor and takes its
 * word on running/paused (monitor_client.c).
 */
struct pause_job {
	struct vm_job job;		/* first: the job is the pause_job */
	struct rpc_reply *reply;
	bool pause;
};

static void pause_finish(struct vm *vm, struct pause_job *po,
			 struct jsonrpc_error *err)
{
	if (err)
		rpc_reply_error(po->reply, err);
	else
		rpc_reply_result(po->reply, json_pack("{s:s,s:s}", "name",
				 vm->def.name, "state",
				 vm_state_name(vm->state)));
	vm_job_done(vm);
	free(po);
}

static void pause_done(struct vm *vm, json_t *result,
		       struct jsonrpc_error *err, void *arg)
{
	struct pause_job *po = arg;

	if (!result) {
		vm->counters_at = 0;
		vm->refresh_failed_at = 0;
		pause_finish(vm, po, err);
		return;
	}
	/* A monitor that answers is alive: the VM is running or paused. */
	vm_set_state(vm->d, vm, po->pause ? VM_PAUSED : VM_RUNNING);
	pause_finish(vm, po, NULL);
}

static void pause_run(struct vm_job *job, struct vm *vm, bool cancelled)
{
	struct pause_job *po = (struct pause_job *)job;
	const char *method = po->pause ? "monitor.pause" : "monitor.resume";
	struct jsonrpc_error err = { 0 };

	if (cancelled)
		jsonrpc_error_set(&err, SKIFF_ERR_SYSTEM,
				  "vm %s: %s: skiffd is shutting down",
				  vm->def.name, method);
	if (cancelled ||
	    vm_state_check(vm->def.name, vm->state,
			   po->pause ? VM_OP_PAUSE : VM_OP_RESUME, &err) ||
	    monitor_call_async(vm->d, vm, method, NULL,
			       config_monitor_timeout_ms(&vm->d->cfg),
			       pause_done, po, &err)) {
		pause_finish(vm, po, &err);
		jsonrpc_error_clear(&err);
	}
}

static json_t *pause_resume(struct rpc_call *c, json_t *p, bool pause,
			    struct jsonrpc_error *err)
{
	struct vm *vm = vm_param_managed(c, p, err);
	struct pause_job *po;

	/* The state is checked when the job's turn comes (pause_run). */
	if (!vm || migration_refuse(vm, pause ? "pause" : "resume", err))
		return NULL;
	po = calloc(1, sizeof(*po));
	if (po)
		po->reply = rpc_defer(c);
	if (!po || !po->reply) {
		free(po);
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	po->pause = pause;
	po->job.run = pause_run;
	vm_job_submit(vm, &po->job);
	return NULL;
}

json_t *method_vm_pause(struct rpc_call *c, json_t *p,
			struct jsonrpc_error *err)
{
	return pause_resume(c, p, true, err);
}

json_t *method_vm_resume(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err)
{
	return pause_resume(c, p, false, err);
}

json_t *method_vm_delete(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err)
{
	struct vm *vm = vm_param_managed(c, p, err);
	char name[VM_NAME_MAX + 1];

	if (!vm || vm_state_check(vm->def.name, vm->state, VM_OP_DELETE, err) ||
	    migration_refuse(vm, "delete", err))
		return NULL;
	strcpy(name, vm->def.name);
	if (persist_remove_vm(c->d, name)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: removing its files: %s", name,
				  strerror(errno));
		return NULL;
	}
	vm_remove(c->d, vm);
	log_info("vm %s: deleted by uid %d", name, (int)c->peer->uid);
	events_vm(c->d, "vm.deleted", name);
	return json_pack("{s:s,s:b}", "name", name, "deleted", 1);
}

json_t *method_vm_list(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err)
{
	json_t *list = json_array();
	struct vm *vm;

	for (vm = c->d->vms; vm; vm = vm->next)
		json_array_append_new(list, vm_summary_json(vm));
	return json_pack("{s:o}", "vms", list);
}

static void info_refreshed(struct vm *vm, json_t *info, void *arg)
{
	rpc_reply_result(arg, vm_info_json(vm->d, vm));
}

/*
 * Counters older than COUNTERS_MAX_AGE are refreshed first: the answer
 * waits for monitor.info (MONITOR_INFO_TIMEOUT_MS at most). Callers that
 * come while that refresh is in flight are answered at once with the
 * counters there are (at most that much older): a busy API must not
 * stall behind one round trip per second. Without an answer vm.info
 * tells the counters it has; counters_at gives their age.
 */
json_t *method_vm_info(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err)
{
	struct vm *vm = vm_param(c, p, err);
	struct rpc_reply *r;

	if (!vm)
		return NULL;
	if (!monitor_counters_stale(vm) || (vm->refreshing && vm->counters_at))
		return vm_info_json(c->d, vm);
	r = rpc_defer(c);
	if (!r)
		return vm_info_json(c->d, vm);
	if (monitor_refresh_async(c->d, vm, info_refreshed, r))
		rpc_reply_result(r, vm_info_json(c->d, vm));
	return NULL;
}

json_t *method_vm_console(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err)
{
	uint64_t offset = 0, max = CONSOLE_READ_DEFAULT;
	struct vm *vm;
	json_t *r;

	if (rpc_param_u64(p, "offset", false, 0, INT64_MAX, &offset, err) < 0 ||
	    rpc_param_u64(p, "max_bytes", false, 0, CONSOLE_READ_MAX, &max,
			  err) < 0)
		return NULL;
	vm = vm_param_managed(c, p, err);
	if (!vm)
		return NULL;
	r = console_read(c->d, vm, offset, max, err);
	if (r)
		json_object_set_new(r, "state",
				    json_string(vm_state_name(vm->state)));
	return r;
}
