/* SPDX-License-Identifier: ISC */
/*
 * A VM's definition: what vm.create accepts and what the state dir keeps.
 * Both go through the same validation, so a hand-edited or damaged file
 * cannot carry anything a client could not send.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_params.h"
#include "skiffd.h"

static const char *const create_params[] = {
	"name", "kernel", "mem", "args", "block", "net", "autostart",
	"device", NULL
};

bool vm_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > VM_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

static bool dev_name_valid(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > VM_DEV_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool ifname_valid(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 15)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static bool mac_valid(const char *s)
{
	int i;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	/* A station address: the multicast bit must be clear. */
	return !(strtoul(s, NULL, 16) & 1);
}

static int path_param(json_t *o, const char *key, const char *field,
		      char **out, struct jsonrpc_error *err)
{
	const char *s;

	if (rpc_param_string(o, key, true, VM_PATH_MAX, &s, err))
		return rpc_params_error(err, field,
			"expected an absolute path of at most %d bytes",
			VM_PATH_MAX);
	if (s[0] != '/' || strchr(s, '\n'))
		return rpc_params_error(err, field,
			"expected an absolute path, got \"%.200s\"", s);
	*out = strdup(s);
	return *out ? 0 : rpc_params_error(err, field, "out of memory");
}

/* Only the form here: the allow-list is the daemon's (vm_device.c). */
static int parse_device(json_t *params, struct vm_def *def,
			struct jsonrpc_error *err)
{
	const char *s;
	int rc;

	rc = rpc_param_string(params, "device", false, VM_DEVICE_PATH_MAX, &s,
			      err);
	if (rc > 0)
		return 0;
	if (rc < 0 || !vm_device_path_valid(s))
		return rpc_params_error(err, "device",
			"vm %s: expected an absolute path of at most %d bytes without control characters",
			def->name, VM_DEVICE_PATH_MAX);
	def->device = strdup(s);
	return def->device ? 0 : rpc_params_error(err, "device",
						  "out of memory");
}

static int parse_args(json_t *params, struct vm_def *def,
		      struct jsonrpc_error *err)
{
	json_t *args = json_object_get(params, "args"), *a;
	size_t i;

	if (!args)
		return 0;
	if (!json_is_array(args) || json_array_size(args) > VM_ARGS_MAX)
		return rpc_params_error(err, "args",
			"expected an array of at most %d strings", VM_ARGS_MAX);
	def->argv = calloc(json_array_size(args) + 1, sizeof(char *));
	if (!def->argv)
		return rpc_params_error(err, "args", "out of memory");
	json_array_foreach(args, i, a) {
		if (!json_is_string(a) ||
		    json_string_length(a) > VM_ARG_LEN_MAX ||
		    strlen(json_string_value(a)) != json_string_length(a))
			return rpc_params_error(err, "args",
				"element %zu: expected a string of at most %d bytes without NUL",
				i, VM_ARG_LEN_MAX);
		def->argv[def->argc++] = strdup(json_string_value(a));
	}
	return 0;
}

static bool dev_name_taken(const struct vm_def *def, const char *name)
{
	int i;

	for (i = 0; i < def->nblock; i++)
		if (!strcmp(def->block[i].name, name))
			return true;
	for (i = 0; i < def->nnet; i++)
		if (!strcmp(def->net[i].name, name))
			return true;
	return false;
}

/* The common part of one block or net entry: an object with a name. */
static int dev_entry(json_t *e, const char *list, size_t i,
		     const char *const *members, const struct vm_def *def,
		     char *name, char *field, size_t fieldlen,
		     struct jsonrpc_error *err)
{
	const char *n;

	snprintf(field, fieldlen, "%s[%zu]", list, i);
	if (!json_is_object(e))
		return rpc_params_error(err, field, "expected an object");
	if (rpc_params_object(e, members, err))
		return -1;
	if (rpc_param_string(e, "name", true, VM_DEV_NAME_MAX, &n, err) ||
	    !dev_name_valid(n))
		return rpc_params_error(err, field,
			"name: expected 1-%d letters or digits",
			VM_DEV_NAME_MAX);
	if (dev_name_taken(def, n))
		return rpc_params_error(err, field,
					"device name \"%s\" used twice", n);
	strcpy(name, n);
	return 0;
}

static json_t *dev_list(json_t *params, const char *key,
			struct jsonrpc_error *err)
{
	json_t *l = json_object_get(params, key);

	if (l && (!json_is_array(l) || json_array_size(l) > VM_DEV_MAX)) {
		rpc_params_error(err, key,
				 "expected an array of at most %d devices",
				 VM_DEV_MAX);
		return NULL;
	}
	return l ? l : json_array();
}

static int parse_blocks(json_t *params, struct vm_def *def,
			struct jsonrpc_error *err)
{
	static const char *const members[] = { "name", "path", NULL };
	json_t *l = dev_list(params, "block", err), *e;
	char field[64];
	size_t i;

	if (!l)
		return -1;
	json_array_foreach(l, i, e) {
		struct vm_block *b = &def->block[def->nblock];

		if (dev_entry(e, "block", i, members, def, b->name, field,
			      sizeof(field), err))
			goto err;
		def->nblock++;
		if (path_param(e, "path", field, &b->path, err))
			goto err;
	}
	json_decref(json_object_get(params, "block") ? NULL : l);
	return 0;
err:
	json_decref(json_object_get(params, "block") ? NULL : l);
	return -1;
}

static int parse_nets(json_t *params, struct vm_def *def,
		      struct jsonrpc_error *err)
{
	static const char *const members[] = { "name", "tap", "mac", NULL };
	json_t *l = dev_list(params, "net", err), *e;
	const char *s;
	char field[64];
	size_t i;
	int rc;

	if (!l)
		return -1;
	json_array_foreach(l, i, e) {
		struct vm_net *n = &def->net[def->nnet];

		if (dev_entry(e, "net", i, members, def, n->name, field,
			      sizeof(field), err))
			goto err;
		def->nnet++;
		if (rpc_param_string(e, "tap", true, 15, &s, err) ||
		    !ifname_valid(s)) {
			rpc_params_error(err, field,
				"tap: expected an interface name of 1-15 characters");
			goto err;
		}
		n->tap = strdup(s);
		rc = rpc_param_string(e, "mac", false, 17, &s, err);
		if (rc < 0 || (rc == 0 && !mac_valid(s))) {
			rpc_params_error(err, field,
				"mac: expected a unicast address like 02:00:00:00:00:01");
			goto err;
		}
		if (rc == 0)
			strcpy(n->mac, s);
	}
	json_decref(json_object_get(params, "net") ? NULL : l);
	return 0;
err:
	json_decref(json_object_get(params, "net") ? NULL : l);
	return -1;
}

int vm_def_from_params(json_t *params, struct vm_def *def,
		       struct jsonrpc_error *err)
{
	const char *name;

	memset(def, 0, sizeof(*def));
	def->mem_mib = VM_MEM_DEFAULT_MIB;
	if (!params)
		return rpc_params_error(err, "name", "missing");
	if (rpc_params_object(params, create_params, err))
		return -1;
	if (rpc_param_string(params, "name", true, VM_NAME_MAX, &name, err))
		return -1;
	if (!vm_name_valid(name))
		return rpc_params_error(err, "name",
			"expected 1-%d of [A-Za-z0-9_.-], starting with a letter or digit",
			VM_NAME_MAX);
	strcpy(def->name, name);
	if (path_param(params, "kernel", "kernel", &def->kernel, err) ||
	    parse_device(params, def, err))
		goto err;
	if (rpc_param_u64(params, "mem", false, VM_MEM_MIN_MIB, VM_MEM_MAX_MIB,
			  &def->mem_mib, err) < 0)
		goto err;
	if (rpc_param_bool(params, "autostart", false, &def->autostart,
			   err) < 0)
		goto err;
	if (parse_args(params, def, err) || parse_blocks(params, def, err) ||
	    parse_nets(params, def, err))
		goto err;
	return 0;
err:
	vm_def_free(def);
	return -1;
}

json_t *vm_def_to_json(const struct vm_def *def)
{
	json_t *args = json_array(), *block = json_array(), *net = json_array();
	json_t *j;
	int i;

	for (i = 0; i < def->argc; i++)
		json_array_append_new(args, json_string(def->argv[i]));
	for (i = 0; i < def->nblock; i++)
		json_array_append_new(block, json_pack("{s:s,s:s}",
			"name", def->block[i].name, "path", def->block[i].path));
	for (i = 0; i < def->nnet; i++) {
		json_t *n = json_pack("{s:s,s:s}", "name", def->net[i].name,
				      "tap", def->net[i].tap);

		if (def->net[i].mac[0])
			json_object_set_new(n, "mac", json_string(def->net[i].mac));
		json_array_append_new(net, n);
	}
	j = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:b}",
		      "name", def->name, "kernel", def->kernel,
		      "mem", (json_int_t)def->mem_mib, "args", args,
		      "block", block, "net", net, "autostart", def->autostart);
	if (def->device)
		json_object_set_new(j, "device", json_string(def->device));
	return j;
}

int vm_def_from_json(json_t *j, struct vm_def *def,
		     struct jsonrpc_error *err)
{
	json_t *params = json_deep_copy(j);
	json_t *owner, *created;
	int rc;

	if (!json_is_object(params)) {
		json_decref(params);
		return jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS,
					 "expected an object");
	}
	owner = json_incref(json_object_get(params, "owner"));
	created = json_incref(json_object_get(params, "created_at"));
	json_object_del(params, "owner");
	json_object_del(params, "created_at");
	rc = vm_def_from_params(params, def, err);
	if (!rc && peer_cred_from_json(owner, &def->owner)) {
		vm_def_free(def);
		rc = jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS,
				       "owner: expected uid, gid and groups");
	}
	if (!rc)
		def->created_at = json_number_value(created);
	json_decref(owner);
	json_decref(created);
	json_decref(params);
	return rc;
}

void vm_def_free(struct vm_def *def)
{
	int i;

	free(def->kernel);
	free(def->device);
	for (i = 0; i < def->argc; i++)
		free(def->argv[i]);
	free(def->argv);
	for (i = 0; i < def->nblock; i++)
		free(def->block[i].path);
	for (i = 0; i < def->nnet; i++)
		free(def->net[i].tap);
	memset(def, 0, sizeof(*def));
}
