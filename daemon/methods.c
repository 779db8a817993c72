/* SPDX-License-Identifier: ISC */
/*
 * The method table: every method skiffd serves and the parameter names
 * each accepts. api/skiff.openrpc.json must describe exactly these (a
 * test checks both ways).
 */
#include <string.h>

#include "migration.h"
#include "skiffd.h"

static const char *const p_none[] = { NULL };
static const char *const p_name[] = { "name", NULL };
static const char *const p_create[] = {
	"name", "kernel", "mem", "args", "block", "net", "autostart",
	"device", NULL
};
static const char *const p_stop[] = { "name", "timeout", NULL };
static const char *const p_console[] = { "name", "offset", "max_bytes", NULL };
static const char *const p_subscribe[] = { "names", "console", NULL };
static const char *const p_snapshot[] = { "name", "path", NULL };
static const char *const p_restore[] = { "path", "name", NULL };
static const char *const p_prepare[] = {
	"listen", "expire_s", "map_block", "map_net", NULL
};
static const char *const p_migrate[] = {
	"name", "destination", "token", "downtime_ms", "bandwidth_mib_s",
	"max_rounds", NULL
};

static const struct rpc_method methods[] = {
	{ "daemon.info", method_daemon_info, p_none },
	{ "events.subscribe", method_events_subscribe, p_subscribe },
	{ "migration.prepare", method_migration_prepare, p_prepare },
	{ "vm.console", method_vm_console, p_console },
	{ "vm.create", method_vm_create, p_create },
	{ "vm.delete", method_vm_delete, p_name },
	{ "vm.info", method_vm_info, p_name },
	{ "vm.kill", method_vm_kill, p_name },
	{ "vm.list", method_vm_list, p_none },
	{ "vm.migrate", method_vm_migrate, p_migrate },
	{ "vm.pause", method_vm_pause, p_name },
	{ "vm.restore", method_vm_restore, p_restore },
	{ "vm.resume", method_vm_resume, p_name },
	{ "vm.snapshot", method_vm_snapshot, p_snapshot },
	{ "vm.start", method_vm_start, p_name },
	{ "vm.stop", method_vm_stop, p_stop },
};

const struct rpc_method *rpc_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(methods[i].name, name))
			return &methods[i];
	return NULL;
}

const struct rpc_method *rpc_methods(size_t *count)
{
	*count = sizeof(methods) / sizeof(methods[0]);
	return methods;
}

json_t *rpc_methods_json(void)
{
	json_t *all = json_object(), *params;
	const char *const *p;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		params = json_array();
		for (p = methods[i].params; *p; p++)
			json_array_append_new(params, json_string(*p));
		json_object_set_new(all, methods[i].name, params);
	}
	return all;
}
