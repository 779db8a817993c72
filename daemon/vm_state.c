/* SPDX-License-Identifier: ISC */
/*
 * The VM lifecycle:
 *
 *   defined -> starting -> running <-> paused
 *                 |          |           |
 *                 +----------+-----------+--> stopped (exit status)
 *                                          \-> crashed (reason)
 *
 * incoming (a live migration to this host) -> running once the guest
 * runs here; if it never does, the VM is removed (migration_hooks.c).
 *
 * stopped and crashed VMs can be started again; only they and defined
 * ones can be deleted. Which operation is legal in which state is one
 * table; every refusal names the current state.
 */
#include <string.h>

#include "skiffd.h"

static const char *const state_names[VM_STATE_COUNT] = {
	[VM_DEFINED] = "defined",
	[VM_STARTING] = "starting",
	[VM_RUNNING] = "running",
	[VM_PAUSED] = "paused",
	[VM_STOPPED] = "stopped",
	[VM_CRASHED] = "crashed",
	[VM_INCOMING] = "incoming",
};

#define S(x) (1u << (x))

static const struct {
	const char *verb;
	unsigned int allowed;
	const char *allowed_text;
} ops[] = {
	[VM_OP_START] = { "start", S(VM_DEFINED) | S(VM_STOPPED) | S(VM_CRASHED),
			  "defined, stopped or crashed" },
	[VM_OP_STOP] = { "stop", S(VM_STARTING) | S(VM_RUNNING) | S(VM_PAUSED) |
			 S(VM_INCOMING), "starting, running, paused or incoming" },
	[VM_OP_KILL] = { "kill", S(VM_STARTING) | S(VM_RUNNING) | S(VM_PAUSED) |
			 S(VM_INCOMING), "starting, running, paused or incoming" },
	[VM_OP_PAUSE] = { "pause", S(VM_RUNNING), "running" },
	[VM_OP_RESUME] = { "resume", S(VM_PAUSED), "paused" },
	[VM_OP_DELETE] = { "delete", S(VM_DEFINED) | S(VM_STOPPED) | S(VM_CRASHED),
			   "defined, stopped or crashed" },
	[VM_OP_CONSOLE] = { "read the console of", ~0u, "any" },
	[VM_OP_SNAPSHOT] = { "snapshot", S(VM_RUNNING) | S(VM_PAUSED),
			     "running or paused" },
};

const char *vm_state_name(enum vm_state s)
{
	return s < VM_STATE_COUNT ? state_names[s] : "unknown";
}

int vm_state_parse(const char *s, enum vm_state *out)
{
	int i;

	for (i = 0; i < VM_STATE_COUNT; i++) {
		if (!strcmp(s, state_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

bool vm_state_active(enum vm_state s)
{
	return s == VM_STARTING || s == VM_RUNNING || s == VM_PAUSED ||
	       s == VM_INCOMING;
}

int vm_state_check(const char *name, enum vm_state s, enum vm_op op,
		   struct jsonrpc_error *err)
{
	if (ops[op].allowed & S(s))
		return 0;
	jsonrpc_error_set(err, SKIFF_ERR_ILLEGAL_STATE,
			  "vm %s: cannot %s: vm is %s (allowed when %s)", name,
			  ops[op].verb, vm_state_name(s), ops[op].allowed_text);
	err->data = json_pack("{s:s,s:s}", "state", vm_state_name(s),
			      "operation", ops[op].verb);
	return -1;
}
