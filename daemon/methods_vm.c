/* SPDX-License-Identifier: ISC */
/*
 * The vm.* methods. Each validates its params, looks the VM up, checks
 * the lifecycle table, then acts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rpc_params.h"
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

/* The VM named in @p, if the caller may act on it (peer_may_manage). */
static struct vm *vm_param_managed(struct rpc_call *c, json_t *p,
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
static int check_files(struct vm_def *def, const struct peer_cred *peer,
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
	    check_files(&def, c->peer, err))
		goto err;
	def.owner = *c->peer;
	def.created_at = now_realtime();
	vm = vm_add(d, &def);
	if (!vm || persist_save_def(d, vm) || persist_save_state(d, vm)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: saving definition in %s: %s",
				  vm ? vm->def.name : "?", d->cfg.state_dir,
				  strerror(errno));
		if (vm) {
			persist_remove_vm(d, vm->def.name);
			vm_remove(d, vm);
		}
		return NULL;
	}
	log_info("vm %s: created by uid %d (pid %d)", vm->def.name,
		 (int)c->peer->uid, (int)c->peer->pid);
	events_vm(d, "vm.created", vm->def.name);
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

static json_t *pause_resume(struct rpc_call *c, json_t *p, bool pause,
			    struct jsonrpc_error *err)
{
	struct vm *vm = vm_param_managed(c, p, err);
	json_t *r;

	if (!vm || vm_state_check(vm->def.name, vm->state,
				  pause ? VM_OP_PAUSE : VM_OP_RESUME, err))
		return NULL;
	r = monitor_call(c->d, vm, pause ? "monitor.pause" : "monitor.resume",
			 2000, err);
	if (!r)
		return NULL;
	json_decref(r);
	vm_set_state(c->d, vm, pause ? VM_PAUSED : VM_RUNNING);
	return json_pack("{s:s,s:s}", "name", vm->def.name,
			 "state", vm_state_name(vm->state));
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

	if (!vm || vm_state_check(vm->def.name, vm->state, VM_OP_DELETE, err))
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

json_t *method_vm_info(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err)
{
	struct vm *vm = vm_param(c, p, err);

	return vm ? vm_info_json(c->d, vm) : NULL;
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
