/* SPDX-License-Identifier: ISC */
/*
 * daemon.info and events.subscribe.
 */
#include <unistd.h>

#include "skiffd.h"

json_t *method_daemon_info(struct rpc_call *c, json_t *p,
			   struct jsonrpc_error *err)
{
	struct skiffd *d = c->d;
	unsigned int counts[VM_STATE_COUNT] = { 0 }, j;
	json_t *states = json_object(), *devices = json_array();
	struct vm *vm;
	int i;

	for (vm = d->vms; vm; vm = vm->next)
		counts[vm->state]++;
	for (i = 0; i < VM_STATE_COUNT; i++)
		json_object_set_new(states, vm_state_name(i),
				    json_integer(counts[i]));
	for (j = 0; j < d->cfg.ndevices; j++)
		json_array_append_new(devices, json_string(d->cfg.devices[j]));
	return json_pack("{s:s,s:i,s:f,s:f,s:s,s:s,s:s,s:s,s:s,s:o,s:i,s:o,s:i,s:b,s:I,s:I,s:{s:I,s:I,s:I}}",
		"version", SKIFF_VERSION, "pid", (int)getpid(),
		"started_at", d->started_at,
		"uptime", now_realtime() - d->started_at,
		"socket", d->cfg.socket_path, "state_dir", d->cfg.state_dir,
		"run_dir", d->cfg.run_dir, "monitor", d->cfg.monitor_path,
		"device", d->cfg.device, "devices", devices,
		"vms", (int)d->nvms,
		"states", states, "clients", (int)rpc_client_count(d),
		"socket_activated", d->socket_activated,
		"max_line", (json_int_t)d->cfg.max_line,
		"console_max_bytes", (json_int_t)d->cfg.console_max_bytes,
		"peer", "uid", (json_int_t)c->peer->uid,
		"gid", (json_int_t)c->peer->gid, "pid", (json_int_t)c->peer->pid);
}

json_t *method_events_subscribe(struct rpc_call *c, json_t *p,
				struct jsonrpc_error *err)
{
	if (events_subscribe(c->d, c->conn, p, err))
		return NULL;
	return json_pack("{s:b}", "subscribed", 1);
}
