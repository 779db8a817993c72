/* SPDX-License-Identifier: ISC */
/*
 * vm.create's validation: each bad value is refused naming its field;
 * a good definition survives the round trip through the state dir's
 * JSON.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static const char *bad_field(const char *json)
{
	static char field[64];
	struct jsonrpc_error err = { 0 };
	struct vm_def def;
	json_error_t je;
	json_t *p = json_loads(json, 0, &je);
	int rc;

	if (!p)
		return "(test json)";
	rc = vm_def_from_params(p, &def, &err);
	json_decref(p);
	if (rc == 0) {
		vm_def_free(&def);
		return NULL;
	}
	snprintf(field, sizeof(field), "%s", json_string_value(
		json_object_get(err.data, "field")) ?: "(none)");
	if (err.code != JSONRPC_INVALID_PARAMS)
		snprintf(field, sizeof(field), "(code %d)", err.code);
	jsonrpc_error_clear(&err);
	return field;
}

#define K "\"kernel\":\"/k.hvt\""

TEST(good_definitions)
{
	CHECK(bad_field("{\"name\":\"a\"," K "}") == NULL);
	CHECK(bad_field("{\"name\":\"web-1.x_2\"," K ",\"mem\":64,"
			"\"args\":[\"x\",\"\"],\"autostart\":true,"
			"\"block\":[{\"name\":\"data\",\"path\":\"/d.img\"}],"
			"\"net\":[{\"name\":\"service\",\"tap\":\"tap0\","
			"\"mac\":\"02:00:00:00:00:01\"}]}") == NULL);
	CHECK(bad_field("{\"name\":\"a\"," K ",\"device\":\"/dev/skiff\"}") ==
	      NULL);
}

TEST(bad_devices_are_refused_naming_the_vm)
{
	static const char *const bad[] = {
		"\"dev/kvm\"", "\"\"", "\"/\"", "\"/dev/kvm\\n\"",
		"\"/dev/\\u001bkvm\"", "7", "null", "[\"/dev/kvm\"]",
	};
	struct jsonrpc_error err = { 0 };
	char json[512], longest[300];
	struct vm_def def;
	json_error_t je;
	json_t *p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"name\":\"web1\"," K
			 ",\"device\":%s}", bad[i]);
		p = json_loads(json, 0, &je);
		REQUIRE(p != NULL);
		CHECK(vm_def_from_params(p, &def, &err) == -1);
		CHECK(!strcmp(json_string_value(json_object_get(err.data,
							"field")) ?: "",
			      "device"));
		if (!strstr(err.message, "vm web1: expected an absolute path"))
			fprintf(stderr, "  %s: %s\n", bad[i], err.message);
		CHECK(strstr(err.message, "vm web1: expected an absolute path"));
		jsonrpc_error_clear(&err);
		json_decref(p);
	}
	/* 255 bytes pass, 256 do not. */
	memset(longest, 'd', sizeof(longest));
	longest[0] = '/';
	longest[VM_DEVICE_PATH_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"name\":\"a\"," K ",\"device\":\"%s\"}",
		 longest);
	CHECK(bad_field(json) == NULL);
	longest[VM_DEVICE_PATH_MAX] = 'd';
	longest[VM_DEVICE_PATH_MAX + 1] = '\0';
	snprintf(json, sizeof(json), "{\"name\":\"a\"," K ",\"device\":\"%s\"}",
		 longest);
	CHECK(bad_field(json) && !strcmp(bad_field(json), "device"));
}

TEST(bad_values_name_their_field)
{
	static const struct { const char *json, *field; } t[] = {
		{ "{" K "}", "name" },
		{ "{\"name\":\"\"," K "}", "name" },
		{ "{\"name\":\"../x\"," K "}", "name" },
		{ "{\"name\":\"-a\"," K "}", "name" },
		{ "{\"name\":\"a/b\"," K "}", "name" },
		{ "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"," K "}", "name" },
		{ "{\"name\":7," K "}", "name" },
		{ "{\"name\":\"a\"}", "kernel" },
		{ "{\"name\":\"a\",\"kernel\":\"rel.hvt\"}", "kernel" },
		{ "{\"name\":\"a\",\"kernel\":5}", "kernel" },
		{ "{\"name\":\"a\"," K ",\"mem\":1}", "mem" },
		{ "{\"name\":\"a\"," K ",\"mem\":4097}", "mem" },
		{ "{\"name\":\"a\"," K ",\"mem\":\"64\"}", "mem" },
		{ "{\"name\":\"a\"," K ",\"mem\":-1}", "mem" },
		{ "{\"name\":\"a\"," K ",\"args\":\"x\"}", "args" },
		{ "{\"name\":\"a\"," K ",\"args\":[1]}", "args" },
		{ "{\"name\":\"a\"," K ",\"autostart\":1}", "autostart" },
		{ "{\"name\":\"a\"," K ",\"bogus\":1}", "bogus" },
		{ "{\"name\":\"a\"," K ",\"block\":{}}", "block" },
		{ "{\"name\":\"a\"," K ",\"block\":[{\"name\":\"d\"}]}", "block[0]" },
		{ "{\"name\":\"a\"," K ",\"block\":[{\"name\":\"d-1\",\"path\":\"/x\"}]}", "block[0]" },
		{ "{\"name\":\"a\"," K ",\"block\":[{\"name\":\"d\",\"path\":\"x\"}]}", "block[0]" },
		{ "{\"name\":\"a\"," K ",\"block\":[{\"name\":\"d\",\"path\":\"/x\",\"z\":1}]}", "z" },
		{ "{\"name\":\"a\"," K ",\"block\":[{\"name\":\"d\",\"path\":\"/x\"},{\"name\":\"d\",\"path\":\"/y\"}]}", "block[1]" },
		{ "{\"name\":\"a\"," K ",\"net\":[{\"name\":\"n\",\"tap\":\"a-very-long-interface\"}]}", "net[0]" },
		{ "{\"name\":\"a\"," K ",\"net\":[{\"name\":\"n\",\"tap\":\"t\",\"mac\":\"01:00:00:00:00:01\"}]}", "net[0]" },
		{ "{\"name\":\"a\"," K ",\"net\":[{\"name\":\"n\",\"tap\":\"t\",\"mac\":\"zz\"}]}", "net[0]" },
		{ "[1]", "params" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *f = bad_field(t[i].json);

		if (!f || strcmp(f, t[i].field))
			fprintf(stderr, "  %s: got field %s, want %s\n",
				t[i].json, f ? f : "(accepted)", t[i].field);
		CHECK(f && !strcmp(f, t[i].field));
	}
}

TEST(round_trip_through_json)
{
	struct jsonrpc_error err = { 0 };
	struct vm_def a, b;
	json_error_t je;
	json_t *p = json_loads("{\"name\":\"rt\"," K ",\"mem\":48,"
		"\"args\":[\"1\",\"two\"],\"block\":[{\"name\":\"d\","
		"\"path\":\"/d\"}],\"device\":\"/dev/skiff\"}", 0, &je), *j;

	REQUIRE(p && vm_def_from_params(p, &a, &err) == 0);
	a.owner.uid = 1000;
	a.owner.gid = 100;
	a.owner.ngroups = 1;
	a.owner.groups[0] = 27;
	j = vm_def_to_json(&a);
	json_object_set_new(j, "owner", peer_cred_json(&a.owner));
	json_object_set_new(j, "created_at", json_real(12.5));
	REQUIRE(vm_def_from_json(j, &b, &err) == 0);
	CHECK(!strcmp(b.name, "rt") && b.mem_mib == 48 && b.argc == 2);
	CHECK(!strcmp(b.argv[1], "two") && b.nblock == 1);
	CHECK(b.device && !strcmp(b.device, "/dev/skiff"));
	CHECK(b.owner.uid == 1000 && b.owner.gid == 100);
	CHECK(b.owner.ngroups == 1 && b.owner.groups[0] == 27);
	CHECK(b.created_at == 12.5);
	vm_def_free(&a);
	vm_def_free(&b);
	json_decref(j);
	json_decref(p);
}

TEST(stored_definition_without_owner_refused)
{
	struct jsonrpc_error err = { 0 };
	struct vm_def d;
	json_error_t je;
	json_t *j = json_loads("{\"name\":\"x\"," K "}", 0, &je);

	CHECK(vm_def_from_json(j, &d, &err) == -1);
	json_decref(j);
	jsonrpc_error_clear(&err);
}

static const struct test_case cases[] = {
	TEST_ENTRY(good_definitions),
	TEST_ENTRY(bad_values_name_their_field),
	TEST_ENTRY(bad_devices_are_refused_naming_the_vm),
	TEST_ENTRY(round_trip_through_json),
	TEST_ENTRY(stored_definition_without_owner_refused),
};

TEST_MAIN("daemon/vm_def", cases)
