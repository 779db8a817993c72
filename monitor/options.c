/* SPDX-License-Identifier: ISC */
/*
 * The command line, compatible with solo5-hvt:
 *   [--mem=MiB] [--block:NAME=PATH] [--block-sector-size:NAME=N]
 *   [--net:NAME=IFACE|@FD] [--net-mac:NAME=MAC] [--] KERNEL [ARGS...]
 * plus skiff's --device, --control, --status-file, --name and --incoming.
 * Options stop at the first non-option (the kernel) or at "--".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "monitor.h"

#define VM_NAME_MAX		64

static int opt_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int opt_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A decimal number with no sign, no spaces and no trailing junk. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Device names as Solo5 allows them: [A-Za-z0-9]{1,67}. */
static int device_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MFT_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

static int vm_name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > VM_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

int options_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (strlen(s) != 17)
		return -1;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) ||
		    !isxdigit((unsigned char)s[i * 3 + 1]))
			return -1;
		mac[i] = b[i];
	}
	if (mac[0] & 1)		/* multicast: not a valid station address */
		return -1;
	return 0;
}

static int parse_mem(const char *v, struct monitor_options *o, char *err,
		     size_t errlen)
{
	uint64_t mib, bytes;

	if (parse_u64(v, GUEST_MEM_MAX / MIB, &mib))
		return opt_error(err, errlen,
				 "--mem=%s: not a number of MiB from 2 to 4096",
				 v);
	bytes = mib * MIB;
	o->mem_rounded = (bytes % GUEST_LARGE_PAGE) != 0;
	bytes -= bytes % GUEST_LARGE_PAGE;
	if (bytes < GUEST_LARGE_PAGE)
		return opt_error(err, errlen, "--mem=%s: at least 2 MiB", v);
	o->mem_bytes = bytes;
	return 0;
}

/*
 * Split "NAME=VALUE" after a "--xxx:" prefix; checks the name and copies
 * it into @name. Returns the value, or NULL with @err set.
 */
static const char *split_dev_arg(const char *opt, const char *arg,
				 char name[MFT_NAME_SIZE], char *err,
				 size_t errlen)
{
	const char *eq = strchr(arg, '=');

	if (!eq || !device_name_ok(arg, eq - arg)) {
		opt_error(err, errlen,
			  "%s%s: expected NAME=VALUE with NAME of 1-67 letters or digits",
			  opt, arg);
		return NULL;
	}
	memcpy(name, arg, eq - arg);
	name[eq - arg] = '\0';
	if (!eq[1]) {
		opt_error(err, errlen, "%s%s: empty value", opt, arg);
		return NULL;
	}
	return eq + 1;
}

/* "@FD" after "--xxx:NAME=": an inherited, already opened descriptor. */
static int parse_at_fd(const char *opt, const char *arg, const char *v,
		       int *fd, char *err, size_t errlen)
{
	uint64_t n;

	if (parse_u64(v + 1, INT_MAX, &n))
		return opt_error(err, errlen,
				 "%s%s: @FD needs a file descriptor number",
				 opt, arg);
	*fd = n;
	return 0;
}

static struct block_opt *block_slot(struct monitor_options *o,
				    const char *name)
{
	size_t i;

	for (i = 0; i < o->nblock; i++)
		if (!strcmp(o->block[i].name, name))
			return &o->block[i];
	if (o->nblock == MFT_MAX_ENTRIES)
		return NULL;
	strcpy(o->block[o->nblock].name, name);
	o->block[o->nblock].fd = -1;
	return &o->block[o->nblock++];
}

static struct net_opt *net_slot(struct monitor_options *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nnet; i++)
		if (!strcmp(o->net[i].name, name))
			return &o->net[i];
	if (o->nnet == MFT_MAX_ENTRIES)
		return NULL;
	strcpy(o->net[o->nnet].name, name);
	o->net[o->nnet].fd = -1;
	return &o->net[o->nnet++];
}

static int parse_block(const char *arg, struct monitor_options *o,
		       char *err, size_t errlen)
{
	char name[MFT_NAME_SIZE];
	const char *path = split_dev_arg("--block:", arg, name, err, errlen);
	struct block_opt *b;

	if (!path)
		return -1;
	b = block_slot(o, name);
	if (!b)
		return opt_error(err, errlen, "--block:%s: too many devices",
				 arg);
	if (b->path || b->fd >= 0)
		return opt_error(err, errlen, "--block:%s: given twice", name);
	if (path[0] == '@')
		return parse_at_fd("--block:", arg, path, &b->fd, err, errlen);
	b->path = path;
	return 0;
}

static int parse_sector_size(const char *arg, struct monitor_options *o,
			     char *err, size_t errlen)
{
	char name[MFT_NAME_SIZE];
	const char *v = split_dev_arg("--block-sector-size:", arg, name, err,
				      errlen);
	struct block_opt *b;
	uint64_t n;

	if (!v)
		return -1;
	/* block_size is 16 bits in the manifest: 512 to 32768. */
	if (parse_u64(v, 32768, &n) || n < 512 || (n & (n - 1)))
		return opt_error(err, errlen,
				 "--block-sector-size:%s: must be a power of two from 512 to 32768",
				 arg);
	b = block_slot(o, name);
	if (!b)
		return opt_error(err, errlen,
				 "--block-sector-size:%s: too many devices",
				 arg);
	if (b->sector_size)
		return opt_error(err, errlen,
				 "--block-sector-size:%s: given twice", name);
	b->sector_size = n;
	return 0;
}

static int parse_net(const char *arg, struct monitor_options *o, char *err,
		     size_t errlen)
{
	char name[MFT_NAME_SIZE];
	const char *v = split_dev_arg("--net:", arg, name, err, errlen);
	struct net_opt *n;

	if (!v)
		return -1;
	n = net_slot(o, name);
	if (!n)
		return opt_error(err, errlen, "--net:%s: too many devices", arg);
	if (n->iface || n->fd >= 0)
		return opt_error(err, errlen, "--net:%s: given twice", name);
	if (v[0] == '@')
		return parse_at_fd("--net:", arg, v, &n->fd, err, errlen);
	if (strlen(v) >= IFNAMSIZ)
		return opt_error(err, errlen,
				 "--net:%s: interface name longer than %d",
				 arg, IFNAMSIZ - 1);
	n->iface = v;
	return 0;
}

static int parse_net_mac(const char *arg, struct monitor_options *o,
			 char *err, size_t errlen)
{
	char name[MFT_NAME_SIZE];
	const char *v = split_dev_arg("--net-mac:", arg, name, err, errlen);
	struct net_opt *n;

	if (!v)
		return -1;
	n = net_slot(o, name);
	if (!n)
		return opt_error(err, errlen, "--net-mac:%s: too many devices",
				 arg);
	if (n->have_mac)
		return opt_error(err, errlen, "--net-mac:%s: given twice", name);
	if (options_parse_mac(v, n->mac))
		return opt_error(err, errlen,
				 "--net-mac:%s: expected a unicast MAC as xx:xx:xx:xx:xx:xx",
				 arg);
	n->have_mac = true;
	return 0;
}

static int parse_value(const char *arg, const char *opt, const char **dst,
		       char *err, size_t errlen)
{
	const char *v = arg + strlen(opt);

	if (!*v)
		return opt_error(err, errlen, "%s: empty value", opt);
	if (*dst)
		return opt_error(err, errlen, "%s given twice", opt);
	*dst = v;
	return 0;
}

static int parse_one(const char *a, struct monitor_options *o, char *err,
		     size_t errlen)
{
	if (!strncmp(a, "--mem=", 6))
		return parse_mem(a + 6, o, err, errlen);
	if (!strncmp(a, "--block:", 8))
		return parse_block(a + 8, o, err, errlen);
	if (!strncmp(a, "--block-sector-size:", 20))
		return parse_sector_size(a + 20, o, err, errlen);
	if (!strncmp(a, "--net:", 6))
		return parse_net(a + 6, o, err, errlen);
	if (!strncmp(a, "--net-mac:", 10))
		return parse_net_mac(a + 10, o, err, errlen);
	if (!strncmp(a, "--device=", 9))
		return parse_value(a, "--device=", &o->device, err, errlen);
	if (!strncmp(a, "--control=", 10))
		return parse_value(a, "--control=", &o->control, err, errlen);
	if (!strncmp(a, "--status-file=", 14))
		return parse_value(a, "--status-file=", &o->status_file, err,
				   errlen);
	if (!strncmp(a, "--incoming-token=", 17)) {
		if (o->incoming_token_fd >= 0)
			return opt_error(err, errlen,
					 "--incoming-token given twice");
		if (a[17] != '@' || parse_at_fd("--incoming-token", "", a + 17,
						 &o->incoming_token_fd, err,
						 errlen))
			return opt_error(err, errlen,
					 "--incoming-token: @FD needs a file descriptor number");
		return 0;
	}
	if (!strncmp(a, "--incoming=", 11)) {
		if (o->incoming)
			return opt_error(err, errlen, "--incoming given twice");
		if (a[11] != '@' || parse_at_fd("--incoming", "", a + 11,
						 &o->incoming_fd, err, errlen))
			return opt_error(err, errlen,
					 "--incoming: @FD needs a file descriptor number");
		o->incoming = true;
		return 0;
	}
	if (!strncmp(a, "--name=", 7)) {
		if (parse_value(a, "--name=", &o->name, err, errlen))
			return -1;
		if (!vm_name_ok(o->name))
			return opt_error(err, errlen,
					 "--name=%s: 1-64 letters, digits, '.', '_' or '-'",
					 o->name);
		return 0;
	}
	if (!strcmp(a, "--help")) {
		o->help = true;
		return 0;
	}
	if (!strcmp(a, "--version")) {
		o->version = true;
		return 0;
	}
	return opt_error(err, errlen, "unknown option: %s", a);
}

int options_parse(int argc, char **argv, struct monitor_options *o,
		  char *err, size_t errlen)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->mem_bytes = GUEST_MEM_DEFAULT_MIB * MIB;
	o->incoming_fd = o->incoming_token_fd = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2))
			break;
		if (parse_one(a, o, err, errlen))
			return -1;
	}
	if (!o->device)
		o->device = "/dev/kvm";
	if (o->help || o->version)
		return 0;
	if (o->incoming_token_fd >= 0 && !o->incoming)
		return opt_error(err, errlen,
				 "--incoming-token needs --incoming");
	if (i >= argc)
		return opt_error(err, errlen, "missing KERNEL");
	o->kernel = argv[i];
	o->guest_argc = argc - i - 1;
	o->guest_argv = argv + i + 1;
	return 0;
}

int options_cmdline(const struct monitor_options *o, char *buf, size_t size,
		    char *err, size_t errlen)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < o->guest_argc; i++) {
		size_t len = strlen(o->guest_argv[i]) + (i ? 1 : 0);

		if (len >= size - used)
			return opt_error(err, errlen,
					 "guest command line longer than %zu bytes",
					 size - 1);
		used += snprintf(buf + used, size - used, "%s%s", i ? " " : "",
				 o->guest_argv[i]);
	}
	return 0;
}

void options_usage(FILE *out)
{
	fprintf(out,
		"usage: " MONITOR_NAME " [OPTIONS] [--] KERNEL [ARGS...]\n"
		"Run a Solo5 hvt unikernel.\n\n"
		"  --mem=MiB                   guest memory (default %u, 2 to 4096,\n"
		"                              rounded down to a multiple of 2)\n"
		"  --block:NAME=PATH|@FD       attach block device NAME to a file\n"
		"  --block-sector-size:NAME=N  its sector size (512 to 32768, power of 2)\n"
		"  --net:NAME=IFACE|@FD        attach net device NAME to a tap\n"
		"  --net-mac:NAME=MAC          its MAC (default: random)\n"
		"  --device=PATH               KVM-compatible device (default /dev/kvm)\n"
		"  --name=NAME                 VM name for messages\n"
		"  --control=PATH              JSON-RPC control socket (for skiffd)\n"
		"  --status-file=PATH          write the exit status there at exit\n"
		"  --incoming=@FD              restore the VM from the snapshot stream\n"
		"                              on FD instead of booting KERNEL (which\n"
		"                              must be the image it booted; ARGS are\n"
		"                              ignored: they are in its memory)\n"
		"  --incoming-token=@FD        FD holds a migration token (64 hex\n"
		"                              digits): --incoming is then a live\n"
		"                              migration's encrypted stream\n"
		"  --version, --help\n",
		GUEST_MEM_DEFAULT_MIB);
}
