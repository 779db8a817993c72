/* SPDX-License-Identifier: ISC */
/*
 * Validation of JSON-RPC "params" objects. Every failure is a
 * JSONRPC_INVALID_PARAMS error whose message names the field
 * ("Invalid params: mem: expected an integer in 1..4096") and whose data
 * is {"field":"<name>"}, so clients and tests can tell which one was bad.
 */
#ifndef SKIFF_API_RPC_PARAMS_H
#define SKIFF_API_RPC_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonrpc.h"

/*
 * rpc_params_object - check that @params is absent or an object whose
 * members are all listed in @allowed (NULL-terminated). An array is
 * refused: skiff's methods take their parameters by name.
 */
int rpc_params_object(json_t *params, const char *const *allowed,
		      struct jsonrpc_error *err);

/* rpc_params_error - set an invalid-params error naming @field. */
int rpc_params_error(struct jsonrpc_error *err, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Typed getters. Each returns 0 with *@out set, 1 when the member is
 * absent and not @required (*@out untouched), or -1 with @err set.
 */
int rpc_param_string(json_t *params, const char *name, bool required,
		     size_t max_len, const char **out,
		     struct jsonrpc_error *err);
int rpc_param_u64(json_t *params, const char *name, bool required,
		  uint64_t min, uint64_t max, uint64_t *out,
		  struct jsonrpc_error *err);
int rpc_param_bool(json_t *params, const char *name, bool required,
		   bool *out, struct jsonrpc_error *err);
int rpc_param_number(json_t *params, const char *name, bool required,
		     double min, double max, double *out,
		     struct jsonrpc_error *err);

#endif
