/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for vm.create's validation (daemon/vm_def.c): any
 * params object is refused with a named field or accepted; an accepted
 * definition survives the trip through the state dir's JSON unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skiffd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(struct vm_def *a)
{
	struct jsonrpc_error err = { 0 };
	struct vm_def b;
	json_t *j = vm_def_to_json(a), *k;

	json_object_set_new(j, "owner", peer_cred_json(&a->owner));
	json_object_set_new(j, "created_at", json_real(1.0));
	if (vm_def_from_json(j, &b, &err))
		abort();
	k = vm_def_to_json(&b);
	json_object_del(j, "owner");
	json_object_del(j, "created_at");
	if (!json_equal(j, k))
		abort();
	json_decref(j);
	json_decref(k);
	vm_def_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonrpc_error err = { 0 };
	struct vm_def def;
	json_error_t je;
	json_t *p;

	jsonrpc_init();
	p = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!p)
		return 0;
	if (vm_def_from_params(p, &def, &err) == 0) {
		round_trip(&def);
		vm_def_free(&def);
	} else if (err.code != JSONRPC_INVALID_PARAMS ||
		   !json_is_string(json_object_get(err.data, "field"))) {
		abort();
	}
	jsonrpc_error_clear(&err);
	json_decref(p);
	return 0;
}
