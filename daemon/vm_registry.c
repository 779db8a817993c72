/* SPDX-License-Identifier: ISC */
/*
 * The registry of VMs: lookup by name, state changes (persisted and
 * announced), and the JSON views vm.list and vm.info return.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skiffd.h"

struct vm *vm_find(struct skiffd *d, const char *name)
{
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next)
		if (!strcmp(vm->def.name, name))
			return vm;
	return NULL;
}

struct vm *vm_lookup(struct skiffd *d, const char *name,
		     struct jsonrpc_error *err)
{
	struct vm *vm = vm_find(d, name);

	if (!vm) {
		jsonrpc_error_set(err, SKIFF_ERR_NOT_FOUND,
				  "vm %s: no such vm", name);
		err->data = json_pack("{s:s}", "name", name);
	}
	return vm;
}

/* Takes over the allocations in @def. */
struct vm *vm_add(struct skiffd *d, struct vm_def *def)
{
	struct vm *vm = calloc(1, sizeof(*vm)), **pp;

	if (!vm)
		return NULL;
	vm->def = *def;
	memset(def, 0, sizeof(*def));
	vm->d = d;
	vm->state = VM_DEFINED;
	vm->pidfd = -1;
	vm->console.fd = -1;
	vm->console.wd = -1;
	/* Keep the list sorted by name: vm.list is stable. */
	for (pp = &d->vms; *pp && strcmp((*pp)->def.name, vm->def.name) < 0;
	     pp = &(*pp)->next)
		;
	vm->next = *pp;
	*pp = vm;
	d->nvms++;
	return vm;
}

/*
 * A new VM (vm.create, vm.restore, an incoming migration), owned by
 * @owner, saved in @state before it is announced. Takes over @def's
 * allocations, freeing them on failure.
 */
struct vm *vm_register(struct skiffd *d, struct vm_def *def,
		       const struct peer_cred *owner, enum vm_state state,
		       struct jsonrpc_error *err)
{
	struct vm *vm;

	def->owner = *owner;
	def->created_at = now_realtime();
	vm = vm_add(d, def);
	if (vm)
		vm->state = state;
	if (vm && !persist_save_def(d, vm) && !persist_save_state(d, vm)) {
		events_vm(d, "vm.created", vm->def.name);
		return vm;
	}
	jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			  "vm %s: saving definition in %s: %s",
			  vm ? vm->def.name : def->name, d->cfg.state_dir,
			  strerror(errno));
	if (vm) {
		persist_remove_vm(d, vm->def.name);
		vm_remove(d, vm);
	} else {
		vm_def_free(def);
	}
	return NULL;
}

void vm_remove(struct skiffd *d, struct vm *vm)
{
	struct vm **pp;

	for (pp = &d->vms; *pp; pp = &(*pp)->next) {
		if (*pp == vm) {
			*pp = vm->next;
			d->nvms--;
			break;
		}
	}
	if (vm->observer) {
		vm_observer_fn fn = vm->observer;

		vm->observer = NULL;
		fn(vm, vm->state, true, vm->observer_arg);
	}
	/* Outstanding monitor calls end now; queued ops are cancelled. */
	vm->removing = true;
	monitor_unwatch(vm);
	monitor_disconnect_reason(vm, "skiffd is shutting down");
	console_detach(d, vm);
	json_decref(vm->counters);
	vm_def_free(&vm->def);
	free(vm);
}

unsigned int vm_count(struct skiffd *d)
{
	return d->nvms;
}

void vm_set_state(struct skiffd *d, struct vm *vm, enum vm_state s)
{
	enum vm_state prev = vm->state;

	if (prev == s)
		return;
	vm->state = s;
	if (persist_save_state(d, vm))
		log_err("vm %s: saving state: %m", vm->def.name);
	log_info("vm %s: %s -> %s", vm->def.name, vm_state_name(prev),
		 vm_state_name(s));
	events_state(d, vm, prev);
	if (vm->observer)
		vm->observer(vm, prev, false, vm->observer_arg);
}

void vm_observe(struct vm *vm, vm_observer_fn fn, void *arg)
{
	vm->observer = fn;
	vm->observer_arg = arg;
}

json_t *vm_summary_json(struct vm *vm)
{
	json_t *j = json_pack("{s:s,s:s,s:I,s:s,s:s,s:b}", "name", vm->def.name,
			      "state", vm_state_name(vm->state),
			      "mem", (json_int_t)vm->def.mem_mib,
			      "kernel", vm->def.kernel,
			      "device", vm->def.device,
			      "autostart", vm->def.autostart);

	if (vm_state_active(vm->state))
		json_object_set_new(j, "pid", json_integer(vm->pid));
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		json_object_set_new(j, "uptime",
			json_real(now_realtime() - vm->started_at));
	if (vm->has_exit && !vm_state_active(vm->state))
		json_object_set_new(j, "exit_status",
				    json_integer(vm->exit_status));
	return j;
}

static json_t *exit_json(struct vm *vm)
{
	json_t *j = json_pack("{s:i,s:s,s:f}", "status", vm->exit_status,
			      "reason", vm->reason,
			      "stopped_at", vm->stopped_at);

	if (vm->exit_signal)
		json_object_set_new(j, "signal", json_integer(vm->exit_signal));
	return j;
}

json_t *vm_info_json(struct skiffd *d, struct vm *vm)
{
	json_t *j = vm_summary_json(vm), *def = vm_def_to_json(&vm->def);

	json_object_update(j, def);
	json_decref(def);
	json_object_set_new(j, "owner", peer_cred_json(&vm->def.owner));
	json_object_set_new(j, "created_at", json_real(vm->def.created_at));
	json_object_set_new(j, "start_count", json_integer(vm->start_count));
	json_object_set_new(j, "console_end",
			    json_integer(console_end(d, vm)));
	if (vm_state_active(vm->state)) {
		json_object_set_new(j, "started_at", json_real(vm->started_at));
		json_object_set_new(j, "adopted", json_boolean(vm->adopted));
	}
	if (vm->has_exit && !vm_state_active(vm->state))
		json_object_set_new(j, "exit", exit_json(vm));
	json_object_set_new(j, "counters", vm->counters ?
			    json_incref(vm->counters) : json_object());
	if (vm->counters_at)
		json_object_set_new(j, "counters_at",
				    json_real(vm->counters_at));
	return j;
}
