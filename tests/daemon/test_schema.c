/* SPDX-License-Identifier: ISC */
/*
 * The daemon's method table and api/skiff.openrpc.json agree both ways:
 * every method served is described with exactly the parameters it
 * accepts, and every method described is served. A VM's summary (vm.list,
 * vm.create, the base of vm.info) has the members VmSummary describes.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static json_t *schema;

static json_t *schema_method(const char *name)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(schema, "methods"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "name")), name))
			return m;
	return NULL;
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

TEST(schema_loads)
{
	json_error_t e;

	schema = json_load_file(SKIFF_TOP "/api/skiff.openrpc.json", 0, &e);
	if (!schema)
		fprintf(stderr, "  %s:%d: %s\n", e.source, e.line, e.text);
	REQUIRE(schema != NULL);
	CHECK(json_is_string(json_object_get(schema, "openrpc")));
	CHECK(json_array_size(json_object_get(schema, "methods")) > 0);
}

TEST(every_served_method_is_described)
{
	const struct rpc_method *m;
	json_t *sm, *params, *p;
	const char *const *name;
	size_t n, i, j, count;

	REQUIRE(schema != NULL);
	m = rpc_methods(&n);
	for (i = 0; i < n; i++) {
		sm = schema_method(m[i].name);
		if (!sm)
			fprintf(stderr, "  not in the schema: %s\n", m[i].name);
		CHECK(sm != NULL);
		if (!sm)
			continue;
		params = json_object_get(sm, "params");
		count = 0;
		for (name = m[i].params; *name; name++)
			count++;
		if (json_array_size(params) != count)
			fprintf(stderr, "  %s: %zu params served, %zu described\n",
				m[i].name, count, json_array_size(params));
		CHECK(json_array_size(params) == count);
		json_array_foreach(params, j, p) {
			const char *pn = json_string_value(json_object_get(p, "name"));

			if (!pn || !in_list(m[i].params, pn))
				fprintf(stderr, "  %s: described param %s not served\n",
					m[i].name, pn ? pn : "?");
			CHECK(pn && in_list(m[i].params, pn));
		}
		CHECK(json_is_object(json_object_get(sm, "result")));
	}
}

TEST(every_described_method_is_served)
{
	json_t *sm;
	size_t i;

	REQUIRE(schema != NULL);
	json_array_foreach(json_object_get(schema, "methods"), i, sm) {
		const char *name = json_string_value(json_object_get(sm, "name"));

		if (!name || !rpc_method_find(name))
			fprintf(stderr, "  described but not served: %s\n",
				name ? name : "?");
		CHECK(name && rpc_method_find(name));
	}
}

TEST(error_codes_match_the_codec)
{
	static const struct { const char *name; int code; } errs[] = {
		{ "InvalidParams", JSONRPC_INVALID_PARAMS },
		{ "IllegalState", SKIFF_ERR_ILLEGAL_STATE },
		{ "NotFound", SKIFF_ERR_NOT_FOUND },
		{ "Exists", SKIFF_ERR_EXISTS },
		{ "Access", SKIFF_ERR_ACCESS },
		{ "System", SKIFF_ERR_SYSTEM },
		{ "Limit", SKIFF_ERR_LIMIT },
		{ "LineTooLong", SKIFF_ERR_LINE_TOO_LONG },
	};
	json_t *all, *e;
	size_t i;

	REQUIRE(schema != NULL);
	all = json_object_get(json_object_get(schema, "components"), "errors");
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		e = json_object_get(all, errs[i].name);
		CHECK(e != NULL);
		CHECK(json_integer_value(json_object_get(e, "code")) ==
		      errs[i].code);
	}
}

TEST(states_match)
{
	json_t *en, *s;
	size_t i;
	enum vm_state st;

	REQUIRE(schema != NULL);
	en = json_object_get(json_object_get(json_object_get(json_object_get(
		schema, "components"), "schemas"), "VmState"), "enum");
	CHECK(json_array_size(en) == VM_STATE_COUNT);
	json_array_foreach(en, i, s)
		CHECK(vm_state_parse(json_string_value(s), &st) == 0);
}

TEST(summary_matches_vm_summary)
{
	struct vm vm = { .state = VM_DEFINED };
	json_t *s, *props, *req, *v;
	const char *key;
	size_t i;

	REQUIRE(schema != NULL);
	s = json_object_get(json_object_get(json_object_get(schema,
		"components"), "schemas"), "VmSummary");
	props = json_object_get(s, "properties");
	req = json_object_get(s, "required");
	strcpy(vm.def.name, "a");
	vm.def.kernel = "/k.hvt";
	vm.def.device = "/dev/skiff";
	vm.def.mem_mib = 32;
	v = vm_summary_json(&vm);
	REQUIRE(v != NULL);
	json_object_foreach(v, key, s) {
		if (!json_object_get(props, key))
			fprintf(stderr, "  VmSummary: %s not described\n", key);
		CHECK(json_object_get(props, key) != NULL);
	}
	json_array_foreach(req, i, s) {
		key = json_string_value(s);
		if (!json_object_get(v, key))
			fprintf(stderr, "  VmSummary: required %s missing\n", key);
		CHECK(json_object_get(v, key) != NULL);
	}
	json_decref(v);
}

static const struct test_case cases[] = {
	TEST_ENTRY(schema_loads),
	TEST_ENTRY(every_served_method_is_described),
	TEST_ENTRY(every_described_method_is_served),
	TEST_ENTRY(error_codes_match_the_codec),
	TEST_ENTRY(states_match),
	TEST_ENTRY(summary_matches_vm_summary),
};

TEST_MAIN("daemon/schema", cases)
