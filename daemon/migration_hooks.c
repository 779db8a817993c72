/* SPDX-License-Identifier: ISC */
/*
 * What the rest of skiffd asks of live migration: may this VM be
 * paused, resumed or stopped now (not while it migrates away), and what
 * becomes of a VM whose monitor ended because of a migration.
 */
#include <stdlib.h>
#include <string.h>

#include "migration.h"

int migration_refuse(const struct vm *vm, const char *verb,
		     struct jsonrpc_error *err)
{
	/* ours, or one a previous skiffd started that the monitor reports */
	if (!migration_outgoing(vm) && !vm->migrating)
		return 0;
	jsonrpc_error_set(err, SKIFF_ERR_ILLEGAL_STATE,
			  "vm %s: cannot %s: a live migration of the vm is running (vm.kill stops it; the migration then fails and the guest is lost)",
			  vm->def.name, verb);
	err->data = json_pack("{s:s,s:s}", "state", vm_state_name(vm->state),
			      "operation", verb);
	return -1;
}

struct drop {
	struct skiffd *d;
	char name[VM_NAME_MAX + 1];
	bool migrated;
};

/* From the loop: monitor_ended()'s callers still use the VM. */
static void drop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drop *dr = arg;
	struct vm *vm = vm_find(dr->d, dr->name);

	if (vm && !vm_state_active(vm->state)) {
		if (persist_remove_vm(dr->d, dr->name))
			log_err("vm %s: removing its files: %m", dr->name);
		vm_remove(dr->d, vm);
		events_vm(dr->d, "vm.deleted", dr->name);
		log_info("vm %s: removed: %s", dr->name, dr->migrated ?
			 "it runs on the destination now" :
			 "the incoming migration did not complete");
	}
	free(dr);
}

bool migration_exited_migrated(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64];
	const char *kind;
	bool yes;
	json_t *j;

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)))
		return false;
	j = persist_read_json(dir, "status.json");
	kind = json_string_value(json_object_get(j, "kind"));
	yes = kind && !strcmp(kind, "migrated") && vm->exit_status == 0 &&
	      !vm->exit_signal;
	json_decref(j);
	return yes;
}

bool migration_monitor_ended(struct skiffd *d, struct vm *vm,
			     enum vm_state prev)
{
	struct drop *dr;
	bool migrated = migration_exited_migrated(d, vm);

	if (!migrated && prev != VM_INCOMING)
		return false;
	if (migrated)
		log_info("vm %s: migrated: the guest runs on the destination",
			 vm->def.name);
	else
		log_err("vm %s: incoming migration: %s", vm->def.name,
			vm->reason[0] ? vm->reason : "the monitor ended");
	dr = calloc(1, sizeof(*dr));
	if (!dr)
		return false;
	dr->d = d;
	dr->migrated = migrated;
	strcpy(dr->name, vm->def.name);
	if (event_base_once(d->base, -1, EV_TIMEOUT, drop_cb, dr, NULL)) {
		free(dr);
		return false;
	}
	return true;
}
