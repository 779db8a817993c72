/* SPDX-License-Identifier: ISC */
/*
 * skiffctl's commands. Each parses its own arguments, makes its calls
 * and returns the exit status.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skiffctl.h"

static int usage_error(const char *fmt, const char *arg)
{
	fputs("skiffctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return CTL_USAGE;
}

static int need_name(int argc, char **argv, const char *cmd)
{
	if (argc != 2) {
		fprintf(stderr, "skiffctl: usage: skiffctl %s NAME\n", cmd);
		return -1;
	}
	return 0;
}

static json_t *name_params(const char *name)
{
	return json_pack("{s:s}", "name", name);
}

/* Parse "NAME=VALUE" into a {name, KEY: value} device entry. */
static json_t *device_arg(const char *arg, const char *key)
{
	const char *eq = strchr(arg, '=');
	char path[PATH_MAX];
	json_t *d;

	if (!eq || eq == arg || !eq[1])
		return NULL;
	d = json_object();
	json_object_set_new(d, "name", json_stringn(arg, eq - arg));
	if (!strcmp(key, "path") && eq[1] != '/' && realpath(eq + 1, path))
		json_object_set_new(d, key, json_string(path));
	else
		json_object_set_new(d, key, json_string(eq + 1));
	return d;
}

/* "tap0,mac=02:..." after "NAME=" */
static json_t *net_arg(const char *arg)
{
	char buf[256], *comma;
	json_t *d;

	snprintf(buf, sizeof(buf), "%s", arg);
	comma = strstr(buf, ",mac=");
	if (comma)
		*comma = '\0';
	d = device_arg(buf, "tap");
	if (d && comma)
		json_object_set_new(d, "mac", json_string(comma + 5));
	return d;
}

/* The kernel's file name without ".hvt", made unique among the VMs. */
static int default_name(struct ctl *c, const char *kernel, char *out,
			size_t len)
{
	char base[256], *dot, try[300];
	json_t *list, *vms, *v;
	bool taken;
	size_t i;
	int n;

	snprintf(base, sizeof(base), "%s", kernel);
	snprintf(base, sizeof(base), "%s", basename(base));
	dot = strstr(base, ".hvt");
	if (dot)
		*dot = '\0';
	base[24] = '\0';
	list = ctl_call(c, "vm.list", NULL);
	if (!list)
		return -1;
	vms = json_object_get(list, "vms");
	for (n = 1; n < 10000; n++) {
		if (n == 1)
			snprintf(try, sizeof(try), "%s", base);
		else
			snprintf(try, sizeof(try), "%s-%d", base, n);
		taken = false;
		json_array_foreach(vms, i, v)
			if (!strcmp(json_string_value(json_object_get(v, "name")), try))
				taken = true;
		if (!taken)
			break;
	}
	json_decref(list);
	snprintf(out, len, "%s", try);
	return 0;
}

enum { OPT_NAME = 256, OPT_MEM, OPT_BLOCK, OPT_NET, OPT_AUTOSTART,
       OPT_ATTACH, OPT_TIMEOUT, OPT_FORCE, OPT_FOLLOW, OPT_CONSOLE,
       OPT_DEVICE };

static const struct option run_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "autostart", no_argument, NULL, OPT_AUTOSTART },
	{ "attach", no_argument, NULL, OPT_ATTACH },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ NULL, 0, NULL, 0 },
};

struct run_args {
	const char *name;
	json_t *params;
	bool attach;
};

static int parse_run(int argc, char **argv, struct run_args *ra)
{
	json_t *block = json_array(), *net = json_array(), *args, *d;
	char kernel[PATH_MAX], *end;
	long mem;
	int o;

	ra->params = json_object();
	optind = 1;
	while ((o = getopt_long(argc, argv, "+a", run_opts, NULL)) != -1) {
		switch (o) {
		case OPT_NAME:
			ra->name = optarg;
			break;
		case OPT_MEM:
			mem = strtol(optarg, &end, 10);
			if (*end || mem <= 0)
				return usage_error("--mem %s: expected MiB", optarg);
			json_object_set_new(ra->params, "mem", json_integer(mem));
			break;
		case OPT_BLOCK:
			d = device_arg(optarg, "path");
			if (!d)
				return usage_error("--block %s: expected NAME=PATH", optarg);
			json_array_append_new(block, d);
			break;
		case OPT_NET:
			d = net_arg(optarg);
			if (!d)
				return usage_error("--net %s: expected NAME=TAP[,mac=MAC]", optarg);
			json_array_append_new(net, d);
			break;
		case OPT_AUTOSTART:
			json_object_set_new(ra->params, "autostart", json_true());
			break;
		case OPT_DEVICE:
			/* As given: skiffd compares it with its allow-list. */
			d = json_string(optarg);
			if (!d)
				return usage_error("--device %s: expected a path", optarg);
			json_object_set_new(ra->params, "device", d);
			break;
		case 'a':
		case OPT_ATTACH:
			ra->attach = true;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "usage: skiffctl run|create [OPTIONS] KERNEL [ARGS...]");
	if (!realpath(argv[optind], kernel))
		snprintf(kernel, sizeof(kernel), "%s", argv[optind]);
	json_object_set_new(ra->params, "kernel", json_string(kernel));
	args = json_array();
	for (o = optind + 1; o < argc; o++)
		json_array_append_new(args, json_string(argv[o]));
	json_object_set_new(ra->params, "args", args);
	json_object_set_new(ra->params, "block", block);
	json_object_set_new(ra->params, "net", net);
	return 0;
}

/*
 * Stream the console and wait for the VM to stop or crash. Returns the
 * guest's exit status, 128+signal when the monitor was killed, or
 * CTL_CRASHED.
 */
static int attach(struct ctl *c, const char *name)
{
	json_t *n, *p;
	const char *method, *state;
	int rc = CTL_ERR;

	while ((n = ctl_next_notification(c, -1))) {
		method = json_string_value(json_object_get(n, "method"));
		p = json_object_get(n, "params");
		if (!strcmp(method, "vm.console_output")) {
			out_console(p);
		} else if (!strcmp(method, "vm.state_changed")) {
			state = json_string_value(json_object_get(p, "state"));
			if (!strcmp(state, "stopped") || !strcmp(state, "crashed")) {
				rc = json_integer_value(json_object_get(p, "exit_status"));
				if (!strcmp(state, "crashed")) {
					fprintf(stderr, "skiffctl: vm %s crashed: %s\n", name,
						json_string_value(json_object_get(p, "reason")));
					if (rc < 0 || rc > 255)
						rc = CTL_CRASHED;
				}
				json_decref(n);
				return rc;
			}
		} else if (!strcmp(method, "vm.deleted")) {
			json_decref(n);
			break;
		}
		json_decref(n);
	}
	out_error("vm %s: lost the connection to skiffd while attached", name);
	return rc;
}

static int subscribe(struct ctl *c, const char *name, bool console)
{
	json_t *r = ctl_call(c, "events.subscribe",
			     json_pack("{s:[s],s:b}", "names", name,
				       "console", console));

	json_decref(r);
	return r ? 0 : -1;
}

static int start_vm(struct ctl *c, const char *name, bool attach_console)
{
	json_t *r;

	if (attach_console && subscribe(c, name, true))
		return ctl_exit_code(c);
	r = ctl_call(c, "vm.start", name_params(name));
	if (!r)
		return ctl_exit_code(c);
	if (c->json && !attach_console)
		out_json(r);
	else if (!attach_console)
		printf("%s\n", name);
	json_decref(r);
	return attach_console ? attach(c, name) : CTL_OK;
}

int cmd_run(struct ctl *c, int argc, char **argv, bool start)
{
	struct run_args ra = { 0 };
	char name[300];
	json_t *r;
	int rc;

	rc = parse_run(argc, argv, &ra);
	if (rc)
		goto out;
	if (ra.name)
		snprintf(name, sizeof(name), "%s", ra.name);
	else if (default_name(c, json_string_value(json_object_get(ra.params,
							"kernel")),
			      name, sizeof(name))) {
		rc = ctl_exit_code(c);
		goto out;
	}
	json_object_set_new(ra.params, "name", json_string(name));
	r = ctl_call(c, "vm.create", json_incref(ra.params));
	if (!r) {
		rc = ctl_exit_code(c);
		goto out;
	}
	if (!start) {
		if (c->json)
			out_json(r);
		else
			printf("%s\n", name);
	}
	json_decref(r);
	rc = start ? start_vm(c, name, ra.attach) : CTL_OK;
out:
	json_decref(ra.params);
	return rc;
}

int cmd_start(struct ctl *c, int argc, char **argv)
{
	bool attach_console = false;

	if (argc == 3 && (!strcmp(argv[1], "--attach") ||
			  !strcmp(argv[1], "-a"))) {
		attach_console = true;
		argv++;
		argc--;
	}
	if (need_name(argc, argv, "start [--attach]"))
		return CTL_USAGE;
	return start_vm(c, argv[1], attach_console);
}

/* Wait for the VM to reach stopped or crashed; prints the outcome. */
static int wait_stopped(struct ctl *c, const char *name, double timeout)
{
	json_t *n, *p;
	const char *state;

	while ((n = ctl_next_notification(c, (int)(timeout * 1000) + 5000))) {
		p = json_object_get(n, "params");
		state = json_string_value(json_object_get(p, "state"));
		if (state && (!strcmp(state, "stopped") ||
			      !strcmp(state, "crashed"))) {
			if (c->json)
				out_json(p);
			else
				printf("%s: %s (exit status %lld%s%s)\n", name,
				       state, (long long)json_integer_value(
					       json_object_get(p, "exit_status")),
				       json_string_length(json_object_get(p, "reason")) ?
				       ", " : "",
				       json_string_value(json_object_get(p, "reason")));
			json_decref(n);
			return CTL_OK;
		}
		json_decref(n);
	}
	out_error("vm %s: did not stop in time", name);
	return CTL_ERR;
}

int cmd_stop(struct ctl *c, int argc, char **argv, bool kill)
{
	double timeout = 10;
	json_t *params, *r;
	int i;
	const char *name = NULL;

	for (i = 1; i < argc; i++) {
		if (!kill && !strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = strtod(argv[++i], NULL);
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return usage_error("usage: skiffctl %s", kill ?
				"kill NAME" : "stop [--timeout SECONDS] NAME");
	}
	if (!name)
		return usage_error("usage: skiffctl %s", kill ? "kill NAME" :
				   "stop [--timeout SECONDS] NAME");
	if (subscribe(c, name, false))
		return ctl_exit_code(c);
	params = name_params(name);
	if (!kill)
		json_object_set_new(params, "timeout", json_real(timeout));
	r = ctl_call(c, kill ? "vm.kill" : "vm.stop", params);
	if (!r)
		return ctl_exit_code(c);
	json_decref(r);
	return wait_stopped(c, name, kill ? 5 : timeout);
}

int cmd_simple(struct ctl *c, int argc, char **argv, const char *method)
{
	json_t *r;

	if (need_name(argc, argv, argv[0]))
		return CTL_USAGE;
	r = ctl_call(c, method, name_params(argv[1]));
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		printf("%s: %s\n", argv[1],
		       json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return CTL_OK;
}

int cmd_rm(struct ctl *c, int argc, char **argv)
{
	json_t *r, *info;
	const char *state;
	bool force = argc == 3 && (!strcmp(argv[1], "-f") ||
				   !strcmp(argv[1], "--force"));

	if (force) {
		argv++;
		argc--;
	}
	if (need_name(argc, argv, "rm [-f]"))
		return CTL_USAGE;
	if (force) {
		info = ctl_call(c, "vm.info", name_params(argv[1]));
		if (!info)
			return ctl_exit_code(c);
		state = json_string_value(json_object_get(info, "state"));
		if (!strcmp(state, "running") || !strcmp(state, "paused") ||
		    !strcmp(state, "starting")) {
			char *kargv[] = { "kill", argv[1], NULL };
			bool json = c->json;

			c->json = false;
			if (cmd_stop(c, 2, kargv, true)) {
				json_decref(info);
				return ctl_exit_code(c);
			}
			c->json = json;
		}
		json_decref(info);
	}
	r = ctl_call(c, "vm.delete", name_params(argv[1]));
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		printf("%s\n", argv[1]);
	json_decref(r);
	return CTL_OK;
}

int cmd_ls(struct ctl *c, int argc, char **argv)
{
	static const char *const cols[] = {
		"name", "state", "pid", "mem", "uptime", "exit_status",
		"kernel", NULL
	};
	static const char *const heads[] = {
		"NAME", "STATE", "PID", "MEM(MiB)", "UPTIME", "EXIT", "KERNEL",
		NULL
	};
	json_t *r;

	if (argc != 1)
		return usage_error("%s", "usage: skiffctl ls");
	r = ctl_call(c, "vm.list", NULL);
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		out_table(json_object_get(r, "vms"), cols, heads);
	json_decref(r);
	return CTL_OK;
}

int cmd_info(struct ctl *c, int argc, char **argv)
{
	json_t *r;

	if (need_name(argc, argv, "info"))
		return CTL_USAGE;
	r = ctl_call(c, "vm.info", name_params(argv[1]));
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		out_info(r);
	json_decref(r);
	return CTL_OK;
}

/* Print the log from @offset to its current end; returns the end. */
static json_int_t print_log(struct ctl *c, const char *name,
			    json_int_t offset, bool *failed)
{
	json_t *r;
	json_int_t next, end;

	for (;;) {
		r = ctl_call(c, "vm.console", json_pack("{s:s,s:I}", "name",
			     name, "offset", offset));
		if (!r) {
			*failed = true;
			return offset;
		}
		out_console(r);
		next = json_integer_value(json_object_get(r, "next_offset"));
		end = json_integer_value(json_object_get(r, "end"));
		json_decref(r);
		if (next >= end || next == offset)
			return next;
		offset = next;
	}
}

int cmd_logs(struct ctl *c, int argc, char **argv)
{
	bool follow = false, failed = false;
	json_int_t pos, off;
	json_t *n, *p, *info;
	const char *state, *method;

	if (argc == 3 && (!strcmp(argv[1], "-f") ||
			  !strcmp(argv[1], "--follow"))) {
		follow = true;
		argv++;
		argc--;
	}
	if (need_name(argc, argv, "logs [-f]"))
		return CTL_USAGE;
	if (follow && subscribe(c, argv[1], true))
		return ctl_exit_code(c);
	pos = print_log(c, argv[1], 0, &failed);
	if (failed)
		return ctl_exit_code(c);
	if (!follow)
		return CTL_OK;
	info = ctl_call(c, "vm.info", name_params(argv[1]));
	state = info ? json_string_value(json_object_get(info, "state")) : "";
	if (!info || (strcmp(state, "running") && strcmp(state, "paused") &&
		      strcmp(state, "starting"))) {
		json_decref(info);
		return info ? CTL_OK : ctl_exit_code(c);
	}
	json_decref(info);
	while ((n = ctl_next_notification(c, -1))) {
		method = json_string_value(json_object_get(n, "method"));
		p = json_object_get(n, "params");
		if (!strcmp(method, "vm.console_output")) {
			off = json_integer_value(json_object_get(p, "offset"));
			/* Skip what the history read already printed. */
			if (off >= pos)
				out_console(p);
		} else if (!strcmp(method, "vm.state_changed")) {
			state = json_string_value(json_object_get(p, "state"));
			if (!strcmp(state, "stopped") || !strcmp(state, "crashed")) {
				json_decref(n);
				return CTL_OK;
			}
		}
		json_decref(n);
	}
	return CTL_ERR;
}

int cmd_events(struct ctl *c, int argc, char **argv)
{
	json_t *names = json_array(), *params, *r, *n;
	bool console = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--console"))
			console = true;
		else
			json_array_append_new(names, json_string(argv[i]));
	}
	params = json_pack("{s:b}", "console", console);
	if (json_array_size(names))
		json_object_set(params, "names", names);
	json_decref(names);
	r = ctl_call(c, "events.subscribe", params);
	if (!r)
		return ctl_exit_code(c);
	json_decref(r);
	while ((n = ctl_next_notification(c, -1))) {
		if (c->json) {
			json_dumpf(n, stdout, JSON_COMPACT);
			putchar('\n');
			fflush(stdout);
		} else {
			out_event(n);
		}
		json_decref(n);
	}
	return CTL_OK;
}

/*
 * @arg as an absolute path, from the caller's directory: skiffd runs
 * elsewhere. Not resolved: a snapshot's file does not exist yet.
 */
static int absolute_path(const char *arg, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (arg[0] == '/')
		return snprintf(out, len, "%s", arg) < (int)len ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(out, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", arg) <
	       (int)len ? 0 : -1;
}

int cmd_snapshot(struct ctl *c, int argc, char **argv)
{
	char path[PATH_MAX];
	json_t *r;

	if (argc != 3)
		return usage_error("%s", "usage: skiffctl snapshot NAME FILE");
	if (absolute_path(argv[2], path, sizeof(path)))
		return usage_error("%s: cannot make it an absolute path",
				   argv[2]);
	r = ctl_call(c, "vm.snapshot", json_pack("{s:s,s:s}", "name", argv[1],
						 "path", path));
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		out_snapshot(r);
	json_decref(r);
	return CTL_OK;
}

static const struct option restore_opts[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ NULL, 0, NULL, 0 },
};

int cmd_restore(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL;
	char path[PATH_MAX];
	json_t *params, *r;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", restore_opts, NULL)) != -1) {
		if (o != OPT_NAME)
			return CTL_USAGE;
		name = optarg;
	}
	if (optind != argc - 1)
		return usage_error("%s",
			"usage: skiffctl restore FILE [--name NAME]");
	if (absolute_path(argv[optind], path, sizeof(path)))
		return usage_error("%s: cannot make it an absolute path",
				   argv[optind]);
	params = json_pack("{s:s}", "path", path);
	if (name)
		json_object_set_new(params, "name", json_string(name));
	r = ctl_call(c, "vm.restore", params);
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		out_restore(path, r);
	json_decref(r);
	return CTL_OK;
}

int cmd_version(struct ctl *c, int argc, char **argv)
{
	json_t *r = ctl_call(c, "daemon.info", NULL);

	if (!r) {
		printf("skiffctl %s\n", SKIFF_VERSION);
		return ctl_exit_code(c);
	}
	if (c->json)
		out_json(json_pack("{s:s,s:O}", "skiffctl", SKIFF_VERSION,
				   "skiffd", r));
	else
		printf("skiffctl %s\nskiffd   %s (pid %lld, %lld vms)\n",
		       SKIFF_VERSION,
		       json_string_value(json_object_get(r, "version")),
		       (long long)json_integer_value(json_object_get(r, "pid")),
		       (long long)json_integer_value(json_object_get(r, "vms")));
	json_decref(r);
	return CTL_OK;
}
