/* SPDX-License-Identifier: ISC */
/* options_parse(): the solo5-hvt command line, good and bad. */
#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "monitor.h"

#define MAX_ARGS 16

static int parse_v(struct monitor_options *o, char *err, const char *const *a)
{
	static char *argv[MAX_ARGS];
	int argc = 0;

	argv[argc++] = "skiff-monitor";
	while (*a && argc < MAX_ARGS)
		argv[argc++] = (char *)*a++;
	return options_parse(argc, argv, o, err, 256);
}

#define PARSE(o, err, ...) \
	parse_v(o, err, (const char *const[]){ __VA_ARGS__, NULL })

TEST(defaults)
{
	struct monitor_options o;
	char err[256];

	REQUIRE(PARSE(&o, err, "k.hvt") == 0);
	CHECK_EQ_U64(o.mem_bytes, 512 * MIB);
	CHECK(!strcmp(o.device, "/dev/kvm"));
	CHECK(!strcmp(o.kernel, "k.hvt"));
	CHECK(o.guest_argc == 0);
}

TEST(full_command_line)
{
	struct monitor_options o;
	char err[256], cmd[HVT_CMDLINE_SIZE];

	REQUIRE(PARSE(&o, err, "--mem=64", "--block:disk=/tmp/d",
		      "--block-sector-size:disk=4096", "--net:service=tap0",
		      "--net-mac:service=02:00:00:00:00:01",
		      "--device=/dev/skiff", "--name=web1", "--", "k.hvt",
		      "a", "b c") == 0);
	CHECK_EQ_U64(o.mem_bytes, 64 * MIB);
	CHECK(o.nblock == 1 && !strcmp(o.block[0].name, "disk"));
	CHECK(o.block[0].sector_size == 4096);
	CHECK(o.nnet == 1 && !strcmp(o.net[0].iface, "tap0"));
	CHECK(o.net[0].have_mac && o.net[0].mac[5] == 1);
	CHECK(!strcmp(o.device, "/dev/skiff"));
	CHECK(o.guest_argc == 2);
	REQUIRE(options_cmdline(&o, cmd, sizeof(cmd), err, 256) == 0);
	CHECK(!strcmp(cmd, "a b c"));
}

/* Options stop at the kernel: later "--x" are the guest's. */
TEST(options_end_at_kernel)
{
	struct monitor_options o;
	char err[256];

	REQUIRE(PARSE(&o, err, "k.hvt", "--mem=2") == 0);
	CHECK_EQ_U64(o.mem_bytes, 512 * MIB);
	CHECK(o.guest_argc == 1);
}

TEST(mem_rounding_and_limits)
{
	struct monitor_options o;
	char err[256];

	REQUIRE(PARSE(&o, err, "--mem=3", "k") == 0);
	CHECK_EQ_U64(o.mem_bytes, 2 * MIB);
	CHECK(o.mem_rounded);
	REQUIRE(PARSE(&o, err, "--mem=4096", "k") == 0);
	CHECK_EQ_U64(o.mem_bytes, 4096 * MIB);
	CHECK(PARSE(&o, err, "--mem=4097", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=1", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=0", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=-2", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=12abc", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=99999999999999999999999", "k") != 0);
}

TEST(fd_forms)
{
	struct monitor_options o;
	char err[256];

	REQUIRE(PARSE(&o, err, "--net:n=@5", "--block:d=@7", "k") == 0);
	CHECK(o.net[0].fd == 5 && !o.net[0].iface);
	CHECK(o.block[0].fd == 7 && !o.block[0].path);
	CHECK(PARSE(&o, err, "--net:n=@", "k") != 0);
	CHECK(PARSE(&o, err, "--net:n=@x", "k") != 0);
	CHECK(PARSE(&o, err, "--net:n=@99999999999", "k") != 0);
	CHECK(PARSE(&o, err, "--block:d=@", "k") != 0);
	CHECK(strstr(err, "--block:d=@: @FD needs") != NULL);
	CHECK(PARSE(&o, err, "--block:d=@-1", "k") != 0);
	REQUIRE(PARSE(&o, err, "--incoming=@9", "k") == 0);
	CHECK(o.incoming && o.incoming_fd == 9);
	CHECK(PARSE(&o, err, "--incoming=9", "k") != 0);
	CHECK(strstr(err, "--incoming: @FD needs") != NULL);
	CHECK(PARSE(&o, err, "--incoming=@1", "--incoming=@2", "k") != 0);
	CHECK(strstr(err, "--incoming given twice") != NULL);
}

struct bad_opt {
	const char *arg;
	const char *expect;
};

static const struct bad_opt bad[] = {
	{ "--bogus", "unknown option" },
	{ "--block:=x", "NAME=VALUE" },
	{ "--block:bad-name=x", "NAME=VALUE" },
	{ "--block:d", "NAME=VALUE" },
	{ "--block:d=", "empty value" },
	{ "--block:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x",
	  "NAME=VALUE" },
	{ "--block-sector-size:d=511", "power of two" },
	{ "--block-sector-size:d=768", "power of two" },
	{ "--block-sector-size:d=65536", "power of two" },
	{ "--block-sector-size:d=x", "power of two" },
	{ "--net:n=averyveryverylongifname", "longer than" },
	{ "--net-mac:n=01:00:00:00:00:01", "unicast MAC" },
	{ "--net-mac:n=02:00:00:00:00", "unicast MAC" },
	{ "--net-mac:n=02:00:00:00:00:0g", "unicast MAC" },
	{ "--net-mac:n=02:00:00:00:00:01:", "unicast MAC" },
	{ "--name=has space", "letters, digits" },
	{ "--name=", "empty value" },
	{ "--device=", "empty value" },
};

TEST(bad_options_refused)
{
	struct monitor_options o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (PARSE(&o, err, bad[i].arg, "k") == 0 ||
		    !strstr(err, bad[i].expect)) {
			fprintf(stderr, "  %s: got '%s'\n", bad[i].arg, err);
			test_failures_in_case++;
		}
	}
}

TEST(duplicates_and_missing_kernel)
{
	struct monitor_options o;
	char err[256];

	CHECK(PARSE(&o, err, "--block:d=a", "--block:d=b", "k") != 0);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(PARSE(&o, err, "--net:n=t", "--net:n=t", "k") != 0);
	CHECK(PARSE(&o, err, "--device=a", "--device=b", "k") != 0);
	CHECK(PARSE(&o, err, "--mem=8") != 0);
	CHECK(strstr(err, "missing KERNEL") != NULL);
	REQUIRE(PARSE(&o, err, "--help") == 0);
	CHECK(o.help);
}

TEST(cmdline_limit)
{
	static char big[HVT_CMDLINE_SIZE + 1];
	struct monitor_options o;
	char err[256], cmd[HVT_CMDLINE_SIZE];

	memset(big, 'x', HVT_CMDLINE_SIZE - 1);
	REQUIRE(PARSE(&o, err, "k", big) == 0);
	CHECK(options_cmdline(&o, cmd, sizeof(cmd), err, 256) == 0);
	CHECK(strlen(cmd) == HVT_CMDLINE_SIZE - 1);
	big[HVT_CMDLINE_SIZE - 1] = 'x';
	REQUIRE(PARSE(&o, err, "k", big) == 0);
	CHECK(options_cmdline(&o, cmd, sizeof(cmd), err, 256) != 0);
	big[HVT_CMDLINE_SIZE - 1] = '\0';
	big[HVT_CMDLINE_SIZE - 2] = '\0';
	REQUIRE(PARSE(&o, err, "k", big, "y") == 0);
	CHECK(options_cmdline(&o, cmd, sizeof(cmd), err, 256) != 0);
}

static const struct test_case cases[] = {
	TEST_ENTRY(defaults),
	TEST_ENTRY(full_command_line),
	TEST_ENTRY(options_end_at_kernel),
	TEST_ENTRY(mem_rounding_and_limits),
	TEST_ENTRY(fd_forms),
	TEST_ENTRY(bad_options_refused),
	TEST_ENTRY(duplicates_and_missing_kernel),
	TEST_ENTRY(cmdline_limit),
};

TEST_MAIN("options", cases)
