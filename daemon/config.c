/* SPDX-License-Identifier: ISC */
/*
 * skiffd's configuration: built-in defaults, then the config file, then
 * the command line. The file has one "key = value" per line; '#' starts
 * a comment. Unknown keys and bad values are errors with file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skiffd.h"

#define DEFAULT_CONFIG	"/etc/skiff/skiffd.conf"

static void config_defaults(struct skiffd_config *cfg)
{
	char exe[VM_PATH_MAX];
	ssize_t n;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->socket_path, "/run/skiff/skiffd.sock");
	strcpy(cfg->state_dir, "/var/lib/skiff");
	strcpy(cfg->run_dir, "/run/skiff");
	strcpy(cfg->device, "/dev/kvm");
	cfg->socket_mode = 0660;
	cfg->console_max_bytes = 1024 * 1024;
	cfg->max_line = JSONRPC_MAX_LINE;
	cfg->max_vms = 1024;
	cfg->max_clients = 1024;
	cfg->stop_timeout = 10;
	cfg->start_timeout = 10;
	cfg->monitor_timeout = 2;
	/* The monitor installed next to skiffd. */
	/* The monitor next to skiffd, or in ../bin when skiffd is in sbin. */
	strcpy(cfg->monitor_path, "/usr/local/bin/skiff-monitor");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	snprintf(cfg->monitor_path, sizeof(cfg->monitor_path),
		 "%s/skiff-monitor", dirname(exe));
	if (access(cfg->monitor_path, X_OK) &&
	    snprintf(cfg->monitor_path, sizeof(cfg->monitor_path),
		     "%s/../bin/skiff-monitor", exe) >=
	    (int)sizeof(cfg->monitor_path))
		strcpy(cfg->monitor_path, "/usr/local/bin/skiff-monitor");
}

static int set_string(char *dst, size_t size, const char *key,
		      const char *val)
{
	if (!*val || strlen(val) >= size) {
		fprintf(stderr, "skiffd: %s: empty or longer than %zu bytes\n",
			key, size - 1);
		return -1;
	}
	strcpy(dst, val);
	return 0;
}

static int set_u64(uint64_t *dst, const char *key, const char *val,
		   uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 0);
	if (!isdigit((unsigned char)*val) || errno || *end || v < min ||
	    v > max) {
		fprintf(stderr, "skiffd: %s: \"%s\" is not a number in %llu..%llu\n",
			key, val, (unsigned long long)min,
			(unsigned long long)max);
		return -1;
	}
	*dst = v;
	return 0;
}

int config_monitor_timeout_ms(const struct skiffd_config *cfg)
{
	return (int)(cfg->monitor_timeout * 1000 + 0.5);
}

int config_snapshot_timeout_ms(const struct skiffd_config *cfg,
			       uint64_t mem_mib)
{
	uint64_t ms = config_monitor_timeout_ms(cfg) +
		      (mem_mib + 31) / 32 * 1000;

	return ms < SNAPSHOT_TIMEOUT_MIN_MS ? SNAPSHOT_TIMEOUT_MIN_MS : (int)ms;
}

static int set_double(double *dst, const char *key, const char *val)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno || *end || end == val || !(v > 0 && v <= 3600)) {
		fprintf(stderr, "skiffd: %s: \"%s\" is not a number of seconds in (0, 3600]\n",
			key, val);
		return -1;
	}
	*dst = v;
	return 0;
}

static int set_device(char *dst, const char *key, const char *val)
{
	if (!vm_device_path_valid(val)) {
		fprintf(stderr, "skiffd: %s: \"%s\" is not an absolute path of at most %d bytes without control characters\n",
			key, val, VM_DEVICE_PATH_MAX);
		return -1;
	}
	strcpy(dst, val);
	return 0;
}

/* "devices = /dev/kvm, /dev/skiff": paths between commas or blanks. */
static int set_devices(struct skiffd_config *cfg, const char *key,
		       const char *val)
{
	char buf[SKIFFD_DEVICES_MAX * (VM_DEVICE_PATH_MAX + 2)], *tok, *save;

	if (strlen(val) >= sizeof(buf)) {
		fprintf(stderr, "skiffd: %s: longer than %zu bytes\n", key,
			sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, val);
	cfg->ndevices = 0;
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (cfg->ndevices == SKIFFD_DEVICES_MAX) {
			fprintf(stderr, "skiffd: %s: more than %d devices\n",
				key, SKIFFD_DEVICES_MAX);
			return -1;
		}
		if (set_device(cfg->devices[cfg->ndevices++], key, tok))
			return -1;
	}
	if (!cfg->ndevices) {
		fprintf(stderr, "skiffd: %s: empty\n", key);
		return -1;
	}
	return 0;
}

/* Apply one setting from the file or the command line. */
static int config_set(struct skiffd_config *cfg, const char *key,
		      const char *val)
{
	uint64_t u;
	int rc;

	if (!strcmp(key, "socket"))
		return set_string(cfg->socket_path, sizeof(cfg->socket_path),
				  key, val);
	if (!strcmp(key, "state_dir"))
		return set_string(cfg->state_dir, sizeof(cfg->state_dir), key,
				  val);
	if (!strcmp(key, "run_dir"))
		return set_string(cfg->run_dir, sizeof(cfg->run_dir), key, val);
	if (!strcmp(key, "monitor"))
		return set_string(cfg->monitor_path,
				  sizeof(cfg->monitor_path), key, val);
	if (!strcmp(key, "device"))
		return set_device(cfg->device, key, val);
	if (!strcmp(key, "devices"))
		return set_devices(cfg, key, val);
	if (!strcmp(key, "socket_group"))
		return set_string(cfg->socket_group,
				  sizeof(cfg->socket_group), key, val);
	if (!strcmp(key, "console_max_bytes"))
		return set_u64(&cfg->console_max_bytes, key, val, 4096,
			       1ull << 34);
	if (!strcmp(key, "max_line"))
		return set_u64(&cfg->max_line, key, val, 1024, 64 << 20);
	if (!strcmp(key, "stop_timeout"))
		return set_double(&cfg->stop_timeout, key, val);
	if (!strcmp(key, "start_timeout"))
		return set_double(&cfg->start_timeout, key, val);
	if (!strcmp(key, "monitor_timeout"))
		return set_double(&cfg->monitor_timeout, key, val);
	if (!strcmp(key, "max_vms")) {
		rc = set_u64(&u, key, val, 1, 65536);
		cfg->max_vms = u;
		return rc;
	}
	if (!strcmp(key, "guest_mem_mib"))
		return set_u64(&cfg->guest_mem_mib, key, val, 0, 1ull << 32);
	if (!strcmp(key, "max_clients")) {
		rc = set_u64(&u, key, val, 1, 65536);
		cfg->max_clients = u;
		return rc;
	}
	if (!strcmp(key, "socket_mode")) {
		rc = set_u64(&u, key, val, 0, 0777);
		cfg->socket_mode = u;
		return rc;
	}
	fprintf(stderr, "skiffd: unknown setting \"%s\"\n", key);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int config_file(struct skiffd_config *cfg, const char *path,
		       bool must_exist)
{
	char line[2048], *key, *val, *eq;
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "skiffd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			fprintf(stderr, "skiffd: %s:%d: expected key = value\n",
				path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if (config_set(cfg, key, val)) {
			fprintf(stderr, "skiffd: %s:%d: setting ignored\n",
				path, lineno);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: skiffd [--foreground] [--config FILE] [--socket PATH]\n"
		"              [--state-dir DIR] [--run-dir DIR] [--monitor PATH]\n"
		"              [--group GROUP] [--verbose] [--methods]\n"
		"              [--version] [--help]\n");
}

static const struct option long_opts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "config", required_argument, NULL, 'c' },
	{ "socket", required_argument, NULL, 's' },
	{ "state-dir", required_argument, NULL, 'S' },
	{ "run-dir", required_argument, NULL, 'R' },
	{ "monitor", required_argument, NULL, 'm' },
	{ "group", required_argument, NULL, 'g' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "methods", no_argument, NULL, 'M' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Find --config first: the file comes before the other flags. */
static const char *config_arg(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static int config_flags(struct skiffd_config *cfg, int argc, char **argv)
{
	static const char *const keys[128] = {
		['s'] = "socket", ['S'] = "state_dir", ['R'] = "run_dir",
		['m'] = "monitor", ['g'] = "socket_group",
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fc:s:S:R:m:g:vMVh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			cfg->foreground = true;
			break;
		case 'c':
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'M':
			cfg->print_methods = true;
			break;
		case 'V':
			printf("skiffd %s\n", SKIFF_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		case 's': case 'S': case 'R': case 'm': case 'g':
			if (config_set(cfg, keys[c], optarg))
				return -1;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "skiffd: unexpected argument \"%s\"\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/*
 * Without `devices`, VMs may run on the configured device only. With it,
 * the configured device must be listed: it is the one every VM that
 * names none runs on.
 */
static int config_check_devices(struct skiffd_config *cfg)
{
	unsigned int i;

	if (!cfg->ndevices) {
		strcpy(cfg->devices[0], cfg->device);
		cfg->ndevices = 1;
		return 0;
	}
	for (i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i], cfg->device))
			return 0;
	fprintf(stderr, "skiffd: device %s is not in devices; list it there too\n",
		cfg->device);
	return -1;
}

int config_load(struct skiffd_config *cfg, int argc, char **argv)
{
	const char *path = config_arg(argc, argv);
	int rc;

	config_defaults(cfg);
	if (config_file(cfg, path ? path : DEFAULT_CONFIG, path != NULL))
		return -1;
	snprintf(cfg->config_path, sizeof(cfg->config_path), "%s",
		 path ? path : DEFAULT_CONFIG);
	rc = config_flags(cfg, argc, argv);
	if (rc)
		return rc;
	return config_check_devices(cfg);
}
