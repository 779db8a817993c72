/* SPDX-License-Identifier: ISC */
/*
 * The device a VM runs on: the daemon's default fills a definition that
 * names none, and only the operator's allow-list passes; a refusal names
 * the VM, the device and what is allowed.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static void two_devices(struct skiffd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->device, "/dev/kvm");
	strcpy(cfg->devices[0], "/dev/kvm");
	strcpy(cfg->devices[1], "/dev/skiff");
	cfg->ndevices = 2;
}

TEST(path_form)
{
	CHECK(vm_device_path_valid("/dev/kvm"));
	CHECK(vm_device_path_valid("/dev/skiff"));
	CHECK(!vm_device_path_valid(""));
	CHECK(!vm_device_path_valid("/"));
	CHECK(!vm_device_path_valid("dev/kvm"));
	CHECK(!vm_device_path_valid("/dev/kvm\n"));
	CHECK(!vm_device_path_valid("/dev/\tkvm"));
	CHECK(!vm_device_path_valid("/dev/kvm\x7f"));
}

TEST(default_fills_only_a_missing_device)
{
	struct skiffd_config cfg;
	struct vm_def def = { .name = "a" };

	two_devices(&cfg);
	REQUIRE(vm_device_default(&cfg, &def) == 0);
	CHECK(def.device && !strcmp(def.device, "/dev/kvm"));
	free(def.device);
	def.device = strdup("/dev/skiff");
	REQUIRE(vm_device_default(&cfg, &def) == 0);
	CHECK(!strcmp(def.device, "/dev/skiff"));
	free(def.device);
}

TEST(allowed_devices_pass)
{
	struct jsonrpc_error err = { 0 };
	struct skiffd_config cfg;
	struct vm_def def = { .name = "web1", .device = "/dev/skiff" };

	two_devices(&cfg);
	CHECK(vm_device_check(&cfg, &def, &err) == 0);
	def.device = "/dev/kvm";
	CHECK(vm_device_check(&cfg, &def, &err) == 0);
	CHECK(err.code == 0);
}

TEST(others_are_refused_with_the_list)
{
	struct jsonrpc_error err = { 0 };
	struct skiffd_config cfg;
	/* Not a prefix match, not a path resolution. */
	static const char *const bad[] = {
		"/dev/foo", "/dev/kvm/", "/dev//kvm", "/dev/../dev/kvm",
		"/dev/kv",
	};
	struct vm_def def = { .name = "web1" };
	size_t i;

	two_devices(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		def.device = (char *)bad[i];
		CHECK(vm_device_check(&cfg, &def, &err) == -1);
		CHECK(err.code == SKIFF_ERR_ACCESS);
		jsonrpc_error_clear(&err);
	}
	def.device = "/dev/foo";
	CHECK(vm_device_check(&cfg, &def, &err) == -1);
	CHECK(!strcmp(err.message,
		      "vm web1: device /dev/foo: not allowed (allowed: /dev/kvm, /dev/skiff)"));
	CHECK(!strcmp(json_string_value(json_object_get(err.data, "device")),
		      "/dev/foo"));
	CHECK(json_array_size(json_object_get(err.data, "allowed")) == 2);
	jsonrpc_error_clear(&err);
}

TEST(a_long_list_is_cut_in_the_message_only)
{
	struct jsonrpc_error err = { 0 };
	struct skiffd_config cfg;
	struct vm_def def = { .name = "web1", .device = "/dev/foo" };
	unsigned int i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < SKIFFD_DEVICES_MAX; i++) {
		memset(cfg.devices[i], 'x', VM_DEVICE_PATH_MAX);
		cfg.devices[i][0] = '/';
	}
	cfg.ndevices = SKIFFD_DEVICES_MAX;
	CHECK(vm_device_check(&cfg, &def, &err) == -1);
	CHECK(strlen(err.message) == JSONRPC_ERROR_MSG_MAX - 1);
	CHECK(json_array_size(json_object_get(err.data, "allowed")) ==
	      SKIFFD_DEVICES_MAX);
	jsonrpc_error_clear(&err);
}

static const struct test_case cases[] = {
	TEST_ENTRY(path_form),
	TEST_ENTRY(default_fills_only_a_missing_device),
	TEST_ENTRY(allowed_devices_pass),
	TEST_ENTRY(others_are_refused_with_the_list),
	TEST_ENTRY(a_long_list_is_cut_in_the_message_only),
};

TEST_MAIN("daemon/vm_device", cases)
