/* SPDX-License-Identifier: ISC */
/*
 * Typed, bounded access to the members of a JSON-RPC params object.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rpc_params.h"

int rpc_params_error(struct jsonrpc_error *err, const char *field,
		     const char *fmt, ...)
{
	char detail[JSONRPC_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS,
			  "Invalid params: %.64s: %s", field, detail);
	err->data = json_pack("{s:s%}", "field", field, strnlen(field, 64));
	return -1;
}

static bool name_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(key, *allowed))
			return true;
	return false;
}

int rpc_params_object(json_t *params, const char *const *allowed,
		      struct jsonrpc_error *err)
{
	const char *key;
	json_t *val;

	if (!params)
		return 0;
	if (!json_is_object(params))
		return rpc_params_error(err, "params",
					"expected an object (by-name parameters)");
	json_object_foreach(params, key, val) {
		if (!name_allowed(key, allowed))
			return rpc_params_error(err, key, "unknown parameter");
	}
	return 0;
}

static json_t *member(json_t *params, const char *name, bool required,
		      int *rc, struct jsonrpc_error *err)
{
	json_t *v = json_is_object(params) ?
		    json_object_get(params, name) : NULL;

	*rc = 0;
	if (!v) {
		*rc = required ? rpc_params_error(err, name, "missing") : 1;
		return NULL;
	}
	return v;
}

int rpc_param_string(json_t *params, const char *name, bool required,
		     size_t max_len, const char **out,
		     struct jsonrpc_error *err)
{
	int rc;
	json_t *v = member(params, name, required, &rc, err);

	if (!v)
		return rc;
	if (!json_is_string(v))
		return rpc_params_error(err, name, "expected a string");
	if (max_len && json_string_length(v) > max_len)
		return rpc_params_error(err, name,
					"longer than %zu bytes", max_len);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return rpc_params_error(err, name, "contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

int rpc_param_u64(json_t *params, const char *name, bool required,
		  uint64_t min, uint64_t max, uint64_t *out,
		  struct jsonrpc_error *err)
{
	int rc;
	json_int_t i;
	json_t *v = member(params, name, required, &rc, err);

	if (!v)
		return rc;
	if (!json_is_integer(v))
		return rpc_params_error(err, name,
			"expected an integer in %" PRIu64 "..%" PRIu64,
			min, max);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return rpc_params_error(err, name,
			"expected an integer in %" PRIu64 "..%" PRIu64,
			min, max);
	*out = (uint64_t)i;
	return 0;
}

int rpc_param_bool(json_t *params, const char *name, bool required,
		   bool *out, struct jsonrpc_error *err)
{
	int rc;
	json_t *v = member(params, name, required, &rc, err);

	if (!v)
		return rc;
	if (!json_is_boolean(v))
		return rpc_params_error(err, name, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int rpc_param_number(json_t *params, const char *name, bool required,
		     double min, double max, double *out,
		     struct jsonrpc_error *err)
{
	int rc;
	double d;
	json_t *v = member(params, name, required, &rc, err);

	if (!v)
		return rc;
	if (!json_is_number(v))
		return rpc_params_error(err, name,
					"expected a number in %g..%g", min, max);
	d = json_number_value(v);
	if (!(d >= min && d <= max))
		return rpc_params_error(err, name,
					"expected a number in %g..%g", min, max);
	*out = d;
	return 0;
}
