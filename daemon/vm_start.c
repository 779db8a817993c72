/* SPDX-License-Identifier: ISC */
/*
 * Starting a VM (vm.start, autostart, and vm.restore's restore from a
 * snapshot): attach its console log, spawn its monitor, watch it, and
 * wait for its control socket.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "skiffd.h"

int vm_mem_check(struct skiffd *d, const struct vm_def *def,
		 struct jsonrpc_error *err)
{
	uint64_t used = 0;
	struct vm *v;

	if (!d->cfg.guest_mem_mib)
		return 0;
	for (v = d->vms; v; v = v->next)
		if (vm_state_active(v->state) && strcmp(v->def.name, def->name))
			used += v->def.mem_mib;
	if (used + def->mem_mib <= d->cfg.guest_mem_mib)
		return 0;
	return jsonrpc_error_set(err, SKIFF_ERR_LIMIT,
		"vm %s: %llu MiB of guest memory does not fit: %llu of guest_mem_mib = %llu MiB are in use",
		def->name, (unsigned long long)def->mem_mib,
		(unsigned long long)used,
		(unsigned long long)d->cfg.guest_mem_mib);
}

static int launch(struct skiffd *d, struct vm *vm, int incoming_fd,
		  int token_fd, enum vm_state state, struct jsonrpc_error *err)
{
	/* The operator may have taken the device out of the list since. */
	if (vm_device_check(&d->cfg, &vm->def, err) ||
	    vm_mem_check(d, &vm->def, err))
		return -1;
	if (access(d->cfg.monitor_path, X_OK))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: monitor %s: %s", vm->def.name,
			d->cfg.monitor_path, strerror(errno));
	if (console_attach(d, vm))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: console log in %s/vms/%s: %s", vm->def.name,
			d->cfg.state_dir, vm->def.name, strerror(errno));
	vm->run_console_offset = console_end(d, vm);
	vm->stop_requested = vm->kill_requested = false;
	vm->adopted = false;
	if (monitor_spawn(d, vm, incoming_fd, token_fd, err))
		goto err;
	if (monitor_watch(d, vm)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: watching monitor pid %d: %s",
				  vm->def.name, (int)vm->pid, strerror(errno));
		kill(vm->pid, SIGKILL);
		goto err;
	}
	vm->start_count++;
	vm->reason[0] = '\0';
	vm_set_state(d, vm, state);
	monitor_wait_ready(d, vm);
	return 0;
err:
	console_detach(d, vm);
	vm->console.sent = 0;
	return -1;
}

int vm_start(struct skiffd *d, struct vm *vm, struct jsonrpc_error *err)
{
	return launch(d, vm, -1, -1, VM_STARTING, err);
}

/* Reading a snapshot takes time: more than a boot's start_timeout. */
int vm_start_incoming(struct skiffd *d, struct vm *vm, int fd,
		      struct jsonrpc_error *err)
{
	if (launch(d, vm, fd, -1, VM_STARTING, err))
		return -1;
	vm->ready_deadline += config_snapshot_timeout_ms(&d->cfg,
							 vm->def.mem_mib) /
			      1000.0;
	return 0;
}

/*
 * A pre-copy lasts as long as the source needs: no deadline here. The
 * monitor ends by itself if the source goes away (TCP_USER_TIMEOUT and
 * keepalives on its socket), and the VM is then removed.
 */
int vm_start_migration(struct skiffd *d, struct vm *vm, int sock,
		       int token_fd, struct jsonrpc_error *err)
{
	if (launch(d, vm, sock, token_fd, VM_INCOMING, err))
		return -1;
	vm->ready_deadline = 1e300;
	return 0;
}

void vm_autostart_all(struct skiffd *d)
{
	struct jsonrpc_error err = { 0 };
	struct vm *vm;

	for (vm = d->vms; vm; vm = vm->next) {
		if (!vm->def.autostart || vm_state_active(vm->state))
			continue;
		if (vm_start(d, vm, &err)) {
			log_err("autostart: %s", err.message);
			jsonrpc_error_clear(&err);
		} else {
			log_info("vm %s: autostarted", vm->def.name);
		}
	}
}
