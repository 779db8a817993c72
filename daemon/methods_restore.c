/* SPDX-License-Identifier: ISC */
/*
 * vm.restore: a new VM from a snapshot file (methods_snapshot.c).
 *
 *   1. Open the file as the client (it could read it itself) and read
 *      its definition (snapshot_read.c), no further.
 *   2. Validate the definition as vm.create validates its params: the
 *      file is the client's, so nothing in it is trusted. The VM belongs
 *      to the client, whoever made the snapshot; "name" renames it.
 *   3. Register it (persisted as any VM) and start its monitor with the
 *      usual options plus --incoming=@FD, the file read from its start.
 *   4. Answer once the restore is over: when the monitor's control
 *      socket answers (it is bound only when the guest's state is
 *      loaded), with the VM's summary. If the monitor ends before (the
 *      stream is truncated or does not match the image, or someone
 *      stopped it), the restore did not happen: the VM is removed again
 *      and the answer is the monitor's reason. An operator then finds
 *      nothing half-made, and may try again under the same name.
 *
 * Until the answer the VM is listed, "starting". Once restored it is a
 * VM like any other: a later vm.start (after it stops) boots it from its
 * image; the snapshot is not part of the definition.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpc_params.h"
#include "skiffd.h"

struct restore_op {
	struct rpc_reply *reply;
	char path[VM_PATH_MAX + 1];
	struct event *discard;		/* removes the VM: the restore failed */
	struct jsonrpc_error err;	/* why it failed */
};

/* A file that is no snapshot: invalid params, naming "path". */
static int bad_file(const char *path, const char *why,
		    struct jsonrpc_error *err)
{
	jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS, "restore %s: %s", path,
			  why);
	err->data = json_pack("{s:s}", "field", "path");
	return -1;
}

/* Open the snapshot as the caller: a regular file, read-only. */
static int open_snapshot(const struct peer_cred *peer, const char *path,
			 struct jsonrpc_error *err)
{
	int fd = peer_open(peer, path, O_RDONLY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
					 "restore %s: %s", path,
					 strerror(errno));
	/* O_NONBLOCK: a FIFO's open must not wait; it is refused next. */
	if (fstat(fd, &st) || fcntl(fd, F_SETFL, 0))
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "restore %s: %s",
				  path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		bad_file(path, "not a regular file", err);
	else
		return fd;
	close(fd);
	return -1;
}

/* The definition in @fd, validated as vm.create's params; 0 or -1. */
static int read_def(int fd, const char *path, struct vm_def *def,
		    struct jsonrpc_error *err)
{
	struct jsonrpc_error derr = { 0 };
	const char *msg, *field;
	char why[256];
	json_t *j;

	j = snapshot_read_definition(fd, why, sizeof(why));
	if (!j)
		return bad_file(path, why, err);
	if (vm_def_from_params(j, def, &derr)) {
		msg = derr.message;
		if (!strncmp(msg, "Invalid params: ", 16))
			msg += 16;
		snprintf(why, sizeof(why), "its definition: %.200s", msg);
		field = json_string_value(json_object_get(derr.data, "field"));
		bad_file(path, why, err);
		if (field)
			json_object_set_new(err->data, "definition_field",
					    json_string(field));
		jsonrpc_error_clear(&derr);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	return 0;
}

static int new_name(struct vm_def *def, const char *name,
		    struct jsonrpc_error *err)
{
	if (!name)
		return 0;
	if (!vm_name_valid(name))
		return rpc_params_error(err, "name",
			"expected 1-%d of [A-Za-z0-9_.-], starting with a letter or digit",
			VM_NAME_MAX);
	strcpy(def->name, name);
	return 0;
}

/* Everything vm.create checks, for the client restoring it. */
static int check_def(struct skiffd *d, struct vm_def *def,
		     const struct peer_cred *peer, struct jsonrpc_error *err)
{
	if (vm_find(d, def->name))
		return jsonrpc_error_set(err, SKIFF_ERR_EXISTS,
					 "vm %s: already exists", def->name);
	if (d->nvms >= d->cfg.max_vms)
		return jsonrpc_error_set(err, SKIFF_ERR_LIMIT,
					 "vm %s: the limit of %u vms is reached",
					 def->name, d->cfg.max_vms);
	if (vm_device_default(&d->cfg, def))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "vm %s: %s",
					 def->name, strerror(errno));
	return vm_device_check(&d->cfg, def, err) ||
	       vm_def_check_files(def, peer, err) ? -1 : 0;
}

/* Forget a VM whose restore did not happen: its files and its entry. */
static void unregister(struct skiffd *d, struct vm *vm)
{
	char name[VM_NAME_MAX + 1];

	strcpy(name, vm->def.name);
	if (persist_remove_vm(d, name))
		log_err("vm %s: removing its files: %m", name);
	vm_remove(d, vm);
	events_vm(d, "vm.deleted", name);
}

static void op_free(struct restore_op *op)
{
	if (op->discard)
		event_free(op->discard);
	jsonrpc_error_clear(&op->err);
	free(op);
}

/* After the state change that ended the restore: remove the VM. */
static void discard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;
	struct restore_op *op = vm->observer_arg;

	vm_observe(vm, NULL, NULL);
	log_warn("%s; vm %s removed", op->err.message, vm->def.name);
	unregister(vm->d, vm);
	rpc_reply_error(op->reply, &op->err);
	op_free(op);
}

/* The monitor ended before the guest ran: say why, remove the VM. */
static void restore_failed(struct vm *vm, struct restore_op *op)
{
	const char *why = vm->reason;
	struct timeval now = { 0, 0 };

	if (!strncmp(why, "restore: ", 9))
		why += 9;
	if (!*why)
		why = "the monitor ended";
	jsonrpc_error_set(&op->err, SKIFF_ERR_SYSTEM, "vm %s: restore %s: %s",
			  vm->def.name, op->path, why);
	/* Not from here: vm_set_state()'s callers still use the VM. */
	op->discard = evtimer_new(vm->d->base, discard_cb, vm);
	if (op->discard && !evtimer_add(op->discard, &now))
		return;
	log_err("vm %s: restore failed, and the vm is left %s", vm->def.name,
		vm_state_name(vm->state));
	vm_observe(vm, NULL, NULL);
	rpc_reply_error(op->reply, &op->err);
	op_free(op);
}

static void restore_observe(struct vm *vm, enum vm_state prev, bool removed,
			    void *arg)
{
	struct restore_op *op = arg;

	if (removed) {
		if (!op->err.message[0])
			jsonrpc_error_set(&op->err, SKIFF_ERR_SYSTEM,
					  "vm %s: restore %s: skiffd is shutting down",
					  vm->def.name, op->path);
		rpc_reply_error(op->reply, &op->err);
		op_free(op);
		return;
	}
	if (prev != VM_STARTING || op->discard)
		return;
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED) {
		vm_observe(vm, NULL, NULL);
		log_info("vm %s: restored from %s", vm->def.name, op->path);
		rpc_reply_result(op->reply, vm_summary_json(vm));
		op_free(op);
		return;
	}
	restore_failed(vm, op);
}

/* Start the monitor on @fd and answer when it is ready (or not). */
static json_t *launch(struct rpc_call *c, struct vm *vm, int fd,
		      const char *path, struct jsonrpc_error *err)
{
	struct restore_op *op;

	if (vm_start_incoming(c->d, vm, fd, err)) {
		unregister(c->d, vm);
		return NULL;
	}
	op = calloc(1, sizeof(*op));
	if (op)
		op->reply = rpc_defer(c);
	if (!op || !op->reply) {
		/* It restores all the same; say where it is now. */
		free(op);
		return vm_summary_json(vm);
	}
	snprintf(op->path, sizeof(op->path), "%s", path);
	vm_observe(vm, restore_observe, op);
	return NULL;
}

json_t *method_vm_restore(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err)
{
	const char *path, *name = NULL;
	struct vm_def def;
	struct vm *vm;
	json_t *r = NULL;
	int fd;

	if (snapshot_path_param(p, &path, err) ||
	    rpc_param_string(p, "name", false, VM_NAME_MAX, &name, err) < 0)
		return NULL;
	fd = open_snapshot(c->peer, path, err);
	if (fd < 0)
		return NULL;
	if (read_def(fd, path, &def, err))
		goto out;
	if (new_name(&def, name, err) || check_def(c->d, &def, c->peer, err)) {
		vm_def_free(&def);
		goto out;
	}
	vm = vm_register(c->d, &def, c->peer, VM_DEFINED, err);
	if (!vm)
		goto out;
	log_info("vm %s: restoring from %s for uid %d (pid %d)", vm->def.name,
		 path, (int)c->peer->uid, (int)c->peer->pid);
	r = launch(c, vm, fd, path, err);
out:
	close(fd);
	return r;
}
