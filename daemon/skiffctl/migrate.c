/* SPDX-License-Identifier: ISC */
/*
 * skiffctl incoming and skiffctl migrate: the two halves of a live
 * migration (migration.prepare on the destination, vm.migrate on the
 * source). incoming prints one line, "ADDR:PORT TOKEN", for the operator
 * or a script to carry to the source; migrate shows the progress
 * notifications as they come (one line redrawn on a terminal, plain
 * lines otherwise) and exits 0 only once the guest runs on the
 * destination.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skiffctl.h"

enum {
	OPT_LISTEN = 256, OPT_EXPIRE, OPT_MAP_BLOCK, OPT_MAP_NET, OPT_TOKEN,
	OPT_DOWNTIME, OPT_BANDWIDTH, OPT_ROUNDS,
};

static int usage(const char *msg)
{
	fprintf(stderr, "skiffctl: %s\n", msg);
	return CTL_USAGE;
}

/* "NAME=VALUE" into @obj; -1 if it is not that. */
static int add_pair(json_t *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[64];

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(name))
		return -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	json_object_set_new(obj, name, json_string(eq + 1));
	return 0;
}

static const struct option incoming_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "expire", required_argument, NULL, OPT_EXPIRE },
	{ "map-block", required_argument, NULL, OPT_MAP_BLOCK },
	{ "map-net", required_argument, NULL, OPT_MAP_NET },
	{ NULL, 0, NULL, 0 },
};

static int incoming_opt(int o, json_t *params, json_t *blk, json_t *net)
{
	char *end;
	long v;

	switch (o) {
	case OPT_LISTEN:
		json_object_set_new(params, "listen", json_string(optarg));
		return 0;
	case OPT_EXPIRE:
		v = strtol(optarg, &end, 10);
		if (*end || v < 1)
			return usage("--expire: expected seconds");
		json_object_set_new(params, "expire_s", json_integer(v));
		return 0;
	case OPT_MAP_BLOCK:
		return add_pair(blk, optarg) ?
		       usage("--map-block: expected NAME=PATH") : 0;
	case OPT_MAP_NET:
		return add_pair(net, optarg) ?
		       usage("--map-net: expected NAME=TAP") : 0;
	}
	return CTL_USAGE;
}

int cmd_incoming(struct ctl *c, int argc, char **argv)
{
	json_t *params = json_object(), *blk = json_object();
	json_t *net = json_object(), *r;
	int o, rc = 0;

	optind = 1;
	while (!rc && (o = getopt_long(argc, argv, "", incoming_opts,
				       NULL)) != -1)
		rc = incoming_opt(o, params, blk, net);
	if (!rc && optind != argc)
		rc = usage("usage: skiffctl incoming [--listen ADDR:PORT] [--expire S] [--map-block NAME=PATH] [--map-net NAME=TAP]");
	if (rc) {
		json_decref(params);
		json_decref(blk);
		json_decref(net);
		return rc;
	}
	if (json_object_size(blk))
		json_object_set(params, "map_block", blk);
	if (json_object_size(net))
		json_object_set(params, "map_net", net);
	json_decref(blk);
	json_decref(net);
	r = ctl_call(c, "migration.prepare", params);
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		printf(strchr(json_string_value(json_object_get(r, "address")),
			      ':') ? "[%s]:%lld %s\n" : "%s:%lld %s\n",
		       json_string_value(json_object_get(r, "address")),
		       (long long)json_integer_value(json_object_get(r, "port")),
		       json_string_value(json_object_get(r, "token")));
	json_decref(r);
	return CTL_OK;
}

struct progress {
	bool tty;
	bool drawn;
	bool json;
};

static void show_progress(const char *method, json_t *p, void *arg)
{
	struct progress *pr = arg;
	double mib = json_number_value(json_object_get(p, "bytes_sent")) /
		     (1024.0 * 1024.0);

	if (strcmp(method, "migration.progress"))
		return;
	if (pr->json) {
		json_t *n = json_pack("{s:s,s:O}", "method", method, "params", p);

		out_json(n);
		json_decref(n);
		return;
	}
	printf("%s%s: %-7s round %lld, %.1f MiB sent (%lld pages), dirtying %.1f MiB/s, downtime ~%.1f ms%s",
	       pr->tty ? "\r\033[K" : "",
	       json_string_value(json_object_get(p, "name")),
	       json_string_value(json_object_get(p, "phase")) ?: "?",
	       (long long)json_integer_value(json_object_get(p, "round")), mib,
	       (long long)json_integer_value(json_object_get(p, "pages_sent")),
	       json_number_value(json_object_get(p, "dirty_rate_mib_s")),
	       json_number_value(json_object_get(p, "estimated_downtime_ms")),
	       pr->tty ? "" : "\n");
	pr->drawn = pr->tty;
	fflush(stdout);
}

static const struct option migrate_opts[] = {
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "downtime", required_argument, NULL, OPT_DOWNTIME },
	{ "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
	{ "max-rounds", required_argument, NULL, OPT_ROUNDS },
	{ NULL, 0, NULL, 0 },
};

static int migrate_opt(int o, json_t *params)
{
	static const char *const keys[] = {
		[OPT_DOWNTIME - OPT_DOWNTIME] = "downtime_ms",
		[OPT_BANDWIDTH - OPT_DOWNTIME] = "bandwidth_mib_s",
		[OPT_ROUNDS - OPT_DOWNTIME] = "max_rounds",
	};
	char *end;
	double v;

	if (o == OPT_TOKEN) {
		json_object_set_new(params, "token", json_string(optarg));
		return 0;
	}
	if (o < OPT_DOWNTIME || o > OPT_ROUNDS)
		return CTL_USAGE;
	v = strtod(optarg, &end);
	if (*end || end == optarg || v < 0)
		return usage("--downtime, --bandwidth, --max-rounds: expected a number");
	json_object_set_new(params, keys[o - OPT_DOWNTIME], o == OPT_ROUNDS ?
			    json_integer((json_int_t)v) : json_real(v));
	return 0;
}

int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct progress pr = { isatty(STDOUT_FILENO), false, c->json };
	json_t *params = json_object(), *r;
	int o, rc = 0;

	optind = 1;
	while (!rc && (o = getopt_long(argc, argv, "", migrate_opts,
				       NULL)) != -1)
		rc = migrate_opt(o, params);
	if (!rc && (optind != argc - 2 || !json_object_get(params, "token")))
		rc = usage("usage: skiffctl migrate NAME ADDR:PORT --token T [--downtime MS] [--bandwidth MIB_S]");
	if (rc) {
		json_decref(params);
		return rc;
	}
	json_object_set_new(params, "name", json_string(argv[optind]));
	json_object_set_new(params, "destination",
			    json_string(argv[optind + 1]));
	r = ctl_call_notified(c, "vm.migrate", params, show_progress, &pr);
	if (pr.drawn)
		printf("\n");
	if (!r)
		return ctl_exit_code(c);
	if (c->json)
		out_json(r);
	else
		printf("migrated %s to %s: %.2f s, downtime %.1f ms, %lld rounds, %.1f MiB, %lld pages\n",
		       json_string_value(json_object_get(r, "name")),
		       json_string_value(json_object_get(r, "destination")),
		       json_number_value(json_object_get(r, "total_seconds")),
		       json_number_value(json_object_get(r, "downtime_ms")),
		       (long long)json_integer_value(json_object_get(r, "rounds")),
		       json_number_value(json_object_get(r, "bytes")) /
		       (1024.0 * 1024.0),
		       (long long)json_integer_value(json_object_get(r, "pages")));
	json_decref(r);
	return CTL_OK;
}
