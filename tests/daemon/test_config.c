/* SPDX-License-Identifier: ISC */
/*
 * skiffd's configuration: defaults, the file, the flags (which win), and
 * refusals of unknown keys and bad values.
 */
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"

static char path[] = "/tmp/skiff-test-config-XXXXXX";

static int load_with(const char *text, int argc, char **argv,
		     struct skiffd_config *cfg)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -2;
	fputs(text, f);
	fclose(f);
	return config_load(cfg, argc, argv);
}

TEST(defaults)
{
	struct skiffd_config cfg;
	char *argv[] = { "skiffd", "--config", path, NULL };
	int fd = mkstemp(path);

	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(load_with("", 3, argv, &cfg) == 0);
	CHECK(!strcmp(cfg.socket_path, "/run/skiff/skiffd.sock"));
	CHECK(!strcmp(cfg.state_dir, "/var/lib/skiff"));
	CHECK(!strcmp(cfg.run_dir, "/run/skiff"));
	CHECK(cfg.socket_mode == 0660);
	CHECK(cfg.max_line == JSONRPC_MAX_LINE);
	CHECK(cfg.stop_timeout == 10);
	CHECK(cfg.monitor_timeout == 2);
	CHECK(config_monitor_timeout_ms(&cfg) == 2000);
	/* 2 s and a second per 32 MiB begun, never under 30 s. */
	CHECK(config_snapshot_timeout_ms(&cfg, 64) == 30000);
	CHECK(config_snapshot_timeout_ms(&cfg, 1024) == 34000);
	CHECK(config_snapshot_timeout_ms(&cfg, 1025) == 35000);
	CHECK(config_snapshot_timeout_ms(&cfg, 4096) == 130000);
	CHECK(!cfg.foreground);
	CHECK(!strcmp(cfg.device, "/dev/kvm"));
	CHECK(cfg.ndevices == 1 && !strcmp(cfg.devices[0], "/dev/kvm"));
}

TEST(devices)
{
	struct skiffd_config cfg;
	char *argv[] = { "skiffd", "--config", path, NULL };

	REQUIRE(load_with("devices = /dev/kvm, /dev/skiff\n", 3, argv,
			  &cfg) == 0);
	CHECK(cfg.ndevices == 2);
	CHECK(!strcmp(cfg.devices[0], "/dev/kvm"));
	CHECK(!strcmp(cfg.devices[1], "/dev/skiff"));
	/* Blanks separate too; the default device comes from its key. */
	REQUIRE(load_with("device = /dev/skiff\ndevices = /dev/skiff\t/dev/kvm\n",
			  3, argv, &cfg) == 0);
	CHECK(!strcmp(cfg.device, "/dev/skiff"));
	CHECK(cfg.ndevices == 2 && !strcmp(cfg.devices[1], "/dev/kvm"));
	/* Without the list, only the configured device. */
	REQUIRE(load_with("device = /dev/skiff\n", 3, argv, &cfg) == 0);
	CHECK(cfg.ndevices == 1 && !strcmp(cfg.devices[0], "/dev/skiff"));
}

TEST(device_refusals)
{
	struct skiffd_config cfg;
	char *argv[] = { "skiffd", "--config", path, NULL };

	CHECK(load_with("device = kvm\n", 3, argv, &cfg) == -1);
	CHECK(load_with("device =\n", 3, argv, &cfg) == -1);
	CHECK(load_with("devices =\n", 3, argv, &cfg) == -1);
	CHECK(load_with("devices = , ,\n", 3, argv, &cfg) == -1);
	CHECK(load_with("devices = /dev/kvm, dev/skiff\n", 3, argv, &cfg) == -1);
	/* The default device must be one a VM may run on. */
	CHECK(load_with("devices = /dev/skiff\n", 3, argv, &cfg) == -1);
	CHECK(load_with("devices = /a /b /c /d /e /f /g /h /dev/kvm\n", 3,
			argv, &cfg) == -1);
	CHECK(load_with("devices = /a /b /c /d /e /f /g /dev/kvm\n", 3,
			argv, &cfg) == 0);
}

TEST(file_then_flags)
{
	struct skiffd_config cfg;
	char *argv[] = { "skiffd", "--foreground", "--config", path,
			 "--state-dir", "/flag/state", NULL };

	REQUIRE(load_with("# comment\n state_dir = /file/state \n"
			  "run_dir=/file/run # trailing\n"
			  "socket_group = users\nconsole_max_bytes = 8192\n"
			  "stop_timeout = 2.5\nsocket_mode = 0600\n"
			  "monitor_timeout = 0.25\n",
			  6, argv, &cfg) == 0);
	CHECK(!strcmp(cfg.state_dir, "/flag/state"));
	CHECK(!strcmp(cfg.run_dir, "/file/run"));
	CHECK(!strcmp(cfg.socket_group, "users"));
	CHECK(cfg.console_max_bytes == 8192);
	CHECK(cfg.stop_timeout == 2.5);
	CHECK(config_monitor_timeout_ms(&cfg) == 250);
	CHECK(config_snapshot_timeout_ms(&cfg, 4096) == 128250);
	CHECK(cfg.socket_mode == 0600);
	CHECK(cfg.foreground);
}

TEST(refusals)
{
	struct skiffd_config cfg;
	char *argv[] = { "skiffd", "--config", path, NULL };
	char *long_sock[] = { "skiffd", "--config", path, "--socket",
		"/a/very/long/socket/path/that/does/not/fit/in/sockaddr_un/"
		"because/it/is/longer/than/one/hundred/and/seven/bytes/x.sock",
		NULL };
	char *stray[] = { "skiffd", "--config", path, "extra", NULL };
	char *missing[] = { "skiffd", "--config", "/nonexistent/skiffd.conf",
			    NULL };

	CHECK(load_with("bogus = 1\n", 3, argv, &cfg) == -1);
	CHECK(load_with("no equals sign\n", 3, argv, &cfg) == -1);
	CHECK(load_with("console_max_bytes = 12\n", 3, argv, &cfg) == -1);
	CHECK(load_with("max_line = lots\n", 3, argv, &cfg) == -1);
	CHECK(load_with("stop_timeout = -1\n", 3, argv, &cfg) == -1);
	CHECK(load_with("monitor_timeout = 0\n", 3, argv, &cfg) == -1);
	CHECK(load_with("socket_mode = 01777\n", 3, argv, &cfg) == -1);
	CHECK(load_with("state_dir =\n", 3, argv, &cfg) == -1);
	CHECK(load_with("", 5, long_sock, &cfg) == -1);
	CHECK(load_with("", 4, stray, &cfg) == -1);
	CHECK(config_load(&cfg, 3, missing) == -1);
	unlink(path);
}

static const struct test_case cases[] = {
	TEST_ENTRY(defaults),
	TEST_ENTRY(file_then_flags),
	TEST_ENTRY(devices),
	TEST_ENTRY(device_refusals),
	TEST_ENTRY(refusals),
};

TEST_MAIN("daemon/config", cases)
