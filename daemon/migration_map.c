/* SPDX-License-Identifier: ISC */
/*
 * migration.prepare's device mappings: where the destination finds an
 * incoming VM's disks ({NAME: PATH}) and which taps its net devices use
 * ({NAME: TAP}). A disk left out keeps the source's path (shared
 * storage); a net device its tap name; every device its MAC.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"
#include "rpc_params.h"

static bool name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > VM_DEV_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool path_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (s[0] != '/' || len > VM_PATH_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool tap_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (!len || len > 15)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static int parse_one(json_t *o, const char *field, bool is_net,
		     struct migration_map_entry *out, unsigned int *n,
		     struct jsonrpc_error *err)
{
	const char *key;
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_object(o) || json_object_size(o) > VM_DEV_MAX)
		return rpc_params_error(err, field,
			"expected an object of at most %d NAME: %s pairs",
			VM_DEV_MAX, is_net ? "TAP" : "PATH");
	json_object_foreach(o, key, v) {
		const char *s = json_string_value(v);

		if (!name_ok(key))
			return rpc_params_error(err, field,
				"\"%.40s\": expected a device name of 1-%d letters or digits",
				key, VM_DEV_NAME_MAX);
		if (!s || (is_net ? !tap_ok(s) : !path_ok(s)))
			return rpc_params_error(err, field,
				"%s: expected %s", key, is_net ?
				"an interface name of 1-15 of [A-Za-z0-9_.-]" :
				"an absolute path without control characters");
		strcpy(out[*n].name, key);
		out[*n].to = strdup(s);
		if (!out[*n].to)
			return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
						 "out of memory");
		(*n)++;
	}
	return 0;
}

int migration_map_parse(json_t *block, json_t *net, struct migration_map *m,
			struct jsonrpc_error *err)
{
	memset(m, 0, sizeof(*m));
	if (parse_one(block, "map_block", false, m->block, &m->nblock, err) ||
	    parse_one(net, "map_net", true, m->net, &m->nnet, err)) {
		migration_map_free(m);
		return -1;
	}
	return 0;
}

static int replace(char **slot, const char *to, struct jsonrpc_error *err)
{
	char *s = strdup(to);

	if (!s)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
	free(*slot);
	*slot = s;
	return 0;
}

int migration_map_apply(const struct migration_map *m, struct vm_def *def,
			struct jsonrpc_error *err)
{
	unsigned int i;
	int j;

	for (i = 0; i < m->nblock; i++) {
		for (j = 0; j < def->nblock; j++)
			if (!strcmp(def->block[j].name, m->block[i].name))
				break;
		if (j == def->nblock)
			return jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS,
				"vm %s: map_block: the vm has no block device %s",
				def->name, m->block[i].name);
		if (replace(&def->block[j].path, m->block[i].to, err))
			return -1;
	}
	for (i = 0; i < m->nnet; i++) {
		for (j = 0; j < def->nnet; j++)
			if (!strcmp(def->net[j].name, m->net[i].name))
				break;
		if (j == def->nnet)
			return jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS,
				"vm %s: map_net: the vm has no net device %s",
				def->name, m->net[i].name);
		if (replace(&def->net[j].tap, m->net[i].to, err))
			return -1;
	}
	return 0;
}

void migration_map_free(struct migration_map *m)
{
	unsigned int i;

	for (i = 0; i < m->nblock; i++)
		free(m->block[i].to);
	for (i = 0; i < m->nnet; i++)
		free(m->net[i].to);
	m->nblock = m->nnet = 0;
}
