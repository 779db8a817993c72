/* SPDX-License-Identifier: ISC */
/*
 * events.subscribe and the notifications it brings:
 *   vm.state_changed  {name, state, previous, time[, exit_status, signal,
 *                      reason]}
 *   vm.console_output {name, offset, data}   (only with "console": true)
 *   vm.created, vm.deleted {name}
 * A subscription may name VMs (only those) and lasts until the client
 * disconnects; subscribing again replaces it.
 */
#include <stdlib.h>
#include <string.h>

#include "rpc_params.h"
#include "skiffd.h"

struct rpc_sub {
	struct rpc_sub *next;
	struct rpc_conn *conn;
	json_t *names;		/* NULL: every VM */
	bool console;
};

static bool sub_wants(const struct rpc_sub *s, const char *name)
{
	json_t *n;
	size_t i;

	if (!s->names)
		return true;
	json_array_foreach(s->names, i, n)
		if (!strcmp(json_string_value(n), name))
			return true;
	return false;
}

static int check_names(json_t *names, struct jsonrpc_error *err)
{
	json_t *n;
	size_t i;

	if (!json_is_array(names) || json_array_size(names) > 1024)
		return rpc_params_error(err, "names",
			"expected an array of at most 1024 vm names");
	json_array_foreach(names, i, n)
		if (!json_is_string(n) || !vm_name_valid(json_string_value(n)))
			return rpc_params_error(err, "names",
				"element %zu: not a valid vm name", i);
	return 0;
}

int events_subscribe(struct skiffd *d, struct rpc_conn *c, json_t *params,
		     struct jsonrpc_error *err)
{
	json_t *names = json_object_get(params, "names");
	struct rpc_sub *s;
	bool console = false;

	if (names && check_names(names, err))
		return -1;
	if (rpc_param_bool(params, "console", false, &console, err) < 0)
		return -1;
	events_unsubscribe(d, c);
	s = calloc(1, sizeof(*s));
	if (!s)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
	s->conn = c;
	s->names = names ? json_incref(names) : NULL;
	s->console = console;
	s->next = d->subs;
	d->subs = s;
	return 0;
}

void events_unsubscribe(struct skiffd *d, struct rpc_conn *c)
{
	struct rpc_sub **pp = &d->subs, *s;

	while ((s = *pp)) {
		if (s->conn == c) {
			*pp = s->next;
			json_decref(s->names);
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

/* @owner: for console output, only subscribers who may manage the VM. */
static void broadcast(struct skiffd *d, const char *name,
		      const struct peer_cred *owner, const char *method,
		      json_t *params)
{
	struct rpc_sub *s;
	char *line = NULL;
	size_t len = 0;

	for (s = d->subs; s; s = s->next) {
		if (!sub_wants(s, name))
			continue;
		if (owner && (!s->console ||
			      !peer_may_manage(rpc_conn_peer(s->conn), owner)))
			continue;
		if (!line) {
			line = jsonrpc_notification_line(method,
							 json_incref(params),
							 &len);
			if (!line)
				break;
		}
		rpc_conn_send(s->conn, line, len);
	}
	free(line);
	json_decref(params);
}

void events_state(struct skiffd *d, struct vm *vm, enum vm_state previous)
{
	json_t *p = json_pack("{s:s,s:s,s:s,s:f}", "name", vm->def.name,
			      "state", vm_state_name(vm->state),
			      "previous", vm_state_name(previous),
			      "time", now_realtime());

	if (vm->state == VM_STOPPED || vm->state == VM_CRASHED) {
		json_object_set_new(p, "exit_status",
				    json_integer(vm->exit_status));
		if (vm->exit_signal)
			json_object_set_new(p, "signal",
					    json_integer(vm->exit_signal));
		json_object_set_new(p, "reason", json_string(vm->reason));
	}
	broadcast(d, vm->def.name, NULL, "vm.state_changed", p);
}

void events_console(struct skiffd *d, struct vm *vm, uint64_t offset,
		    const char *buf, size_t len)
{
	json_t *p = json_pack("{s:s,s:I,s:o}", "name", vm->def.name,
			      "offset", (json_int_t)offset,
			      "data", jsonrpc_text(buf, len));

	broadcast(d, vm->def.name, &vm->def.owner, "vm.console_output", p);
}

void events_vm(struct skiffd *d, const char *what, const char *name)
{
	broadcast(d, name, NULL, what, json_pack("{s:s}", "name", name));
}

bool events_want_console(struct skiffd *d, struct vm *vm)
{
	struct rpc_sub *s;

	for (s = d->subs; s; s = s->next)
		if (s->console && sub_wants(s, vm->def.name) &&
		    peer_may_manage(rpc_conn_peer(s->conn), &vm->def.owner))
			return true;
	return false;
}
