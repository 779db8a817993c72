/* SPDX-License-Identifier: ISC */
/*
 * skiffctl: global options, then one command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skiffctl.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: skiffctl [--socket PATH] [--json] COMMAND [ARGS]\n"
"\n"
"  run [--name N] [--mem MiB] [--block NAME=PATH] [--net NAME=TAP[,mac=M]]\n"
"      [--device PATH] [--autostart] [--attach] KERNEL [ARGS...]\n"
"                                                  create and start a vm\n"
"  create [same options] KERNEL [ARGS...]          define a vm\n"
"  start [--attach] NAME      stop [--timeout S] NAME      kill NAME\n"
"  pause NAME                 resume NAME                  rm [-f] NAME\n"
"  ls                         info NAME                    logs [-f] NAME\n"
"  events [--console] [NAME...]                            version\n"
"  snapshot NAME FILE         restore FILE [--name NEW]\n"
"  incoming [--listen ADDR:PORT] [--expire S] [--map-block NAME=PATH]\n"
"           [--map-net NAME=TAP]\n"
"  migrate NAME ADDR:PORT --token T [--downtime MS] [--bandwidth MIB_S]\n"
"\n"
"The socket is $SKIFF_SOCKET or /run/skiff/skiffd.sock. See skiffctl(1).\n");
}

static int dispatch(struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "run"))
		return cmd_run(c, argc, argv, true);
	if (!strcmp(cmd, "create"))
		return cmd_run(c, argc, argv, false);
	if (!strcmp(cmd, "start"))
		return cmd_start(c, argc, argv);
	if (!strcmp(cmd, "stop"))
		return cmd_stop(c, argc, argv, false);
	if (!strcmp(cmd, "kill"))
		return cmd_stop(c, argc, argv, true);
	if (!strcmp(cmd, "pause"))
		return cmd_simple(c, argc, argv, "vm.pause");
	if (!strcmp(cmd, "resume"))
		return cmd_simple(c, argc, argv, "vm.resume");
	if (!strcmp(cmd, "rm"))
		return cmd_rm(c, argc, argv);
	if (!strcmp(cmd, "ls") || !strcmp(cmd, "list"))
		return cmd_ls(c, argc, argv);
	if (!strcmp(cmd, "info"))
		return cmd_info(c, argc, argv);
	if (!strcmp(cmd, "logs"))
		return cmd_logs(c, argc, argv);
	if (!strcmp(cmd, "events"))
		return cmd_events(c, argc, argv);
	if (!strcmp(cmd, "snapshot"))
		return cmd_snapshot(c, argc, argv);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(c, argc, argv);
	if (!strcmp(cmd, "incoming"))
		return cmd_incoming(c, argc, argv);
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(c, argc, argv);
	if (!strcmp(cmd, "version"))
		return cmd_version(c, argc, argv);
	fprintf(stderr, "skiffctl: unknown command \"%s\" (see skiffctl --help)\n",
		cmd);
	return CTL_USAGE;
}

int main(int argc, char **argv)
{
	struct ctl c = { .fd = -1 };
	int i, rc;

	c.socket = getenv("SKIFF_SOCKET");
	if (!c.socket || !*c.socket)
		c.socket = "/run/skiff/skiffd.sock";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			c.socket = argv[++i];
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			c.socket = argv[i] + 9;
		} else if (!strcmp(argv[i], "--json")) {
			c.json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CTL_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("skiffctl %s\n", SKIFF_VERSION);
			return CTL_OK;
		} else {
			fprintf(stderr, "skiffctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (ctl_connect(&c))
		return CTL_NO_DAEMON;
	rc = dispatch(&c, argc - i, argv + i);
	ctl_close(&c);
	return rc;
}
