/* SPDX-License-Identifier: ISC */
/*
 * Start one skiff-monitor for a VM.
 *
 *   1. Prepare RUN/vms/NAME (control socket and status file paths; stale
 *      ones removed) and check the socket path fits sockaddr_un.
 *   2. Open the kernel and every disk with the credentials of the VM's
 *      owner (peer_open), so the monitor, which runs as root, gets only
 *      files its owner could open; they reach the monitor as inherited
 *      descriptors (--block:NAME=@N; the kernel as /proc/self/fd/3).
 *      A restore's snapshot file, opened by vm.restore as the client,
 *      comes after them (--incoming=@N), read from its start.
 *   3. posix_spawn; the child starts its own session (a signal to
 *      skiffd's process group never reaches a guest), points stdin at
 *      /dev/null, stdout at the console log (O_APPEND), stderr at
 *      monitor.log, and execs the monitor. An exec failure is the return
 *      value, so the caller gets the real errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "skiffd.h"

#define SPAWN_FD_BASE	3
#define SPAWN_MAX_FDS	(3 + VM_DEV_MAX)	/* kernel, disks, incoming, token */
#define SPAWN_ARGV_MAX	(16 + 3 * VM_DEV_MAX + VM_ARGS_MAX)

struct spawn_ctx {
	int fds[SPAWN_MAX_FDS];		/* kernel, disks, a snapshot */
	int nfds;
	int incoming;			/* its index in fds, or -1 */
	int token;			/* the migration token's, or -1 */
	int console_fd;
	int log_fd;
	char *argv[SPAWN_ARGV_MAX];
	int argc;
	char ctl[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char status[VM_PATH_MAX + 128];
};

static void ctx_close(struct spawn_ctx *s)
{
	int i;

	for (i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	if (s->console_fd >= 0)
		close(s->console_fd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	for (i = 0; i < s->argc; i++)
		free(s->argv[i]);
}

static int add_arg(struct spawn_ctx *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_arg(struct spawn_ctx *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (s->argc >= SPAWN_ARGV_MAX - 1)
		return -1;
	va_start(ap, fmt);
	rc = vasprintf(&s->argv[s->argc], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	s->argc++;
	return 0;
}

static int prepare_paths(struct skiffd *d, struct vm *vm, struct spawn_ctx *s,
			 struct jsonrpc_error *err)
{
	char dir[VM_PATH_MAX + 64];

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)) ||
	    persist_mkdir_p(dir, 0700))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: %s/vms/%s: %s", vm->def.name, d->cfg.run_dir,
			vm->def.name, strerror(errno));
	if ((size_t)snprintf(s->ctl, sizeof(s->ctl), "%s/control.sock", dir) >=
	    sizeof(s->ctl))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: control socket path %s/control.sock is longer than %zu bytes; use a shorter run_dir",
			vm->def.name, dir, sizeof(s->ctl) - 1);
	snprintf(s->status, sizeof(s->status), "%s/status.json", dir);
	unlink(s->ctl);
	unlink(s->status);
	return 0;
}

/* Open one file as the owner and keep it above the fds the child uses. */
static int open_as_owner(struct vm *vm, struct spawn_ctx *s, const char *what,
			 const char *path, int flags, struct jsonrpc_error *err)
{
	int fd = peer_open(&vm->def.owner, path, flags), high;

	if (fd < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
			"vm %s: %s: %s: %s (opened as uid %d)", vm->def.name,
			what, path, strerror(errno), (int)vm->def.owner.uid);
	high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	close(fd);
	if (high < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: %s: %s", vm->def.name, path, strerror(errno));
	s->fds[s->nfds++] = high;
	return 0;
}

static int open_files(struct skiffd *d, struct vm *vm, struct spawn_ctx *s,
		      struct jsonrpc_error *err)
{
	char what[64], path[VM_PATH_MAX + 64];
	int i;

	if (open_as_owner(vm, s, "kernel", vm->def.kernel, O_RDONLY, err))
		return -1;
	for (i = 0; i < vm->def.nblock; i++) {
		snprintf(what, sizeof(what), "block %s", vm->def.block[i].name);
		if (open_as_owner(vm, s, what, vm->def.block[i].path, O_RDWR,
				  err))
			return -1;
	}
	s->console_fd = console_open_append(d, vm);
	if (persist_vm_dir(d, vm->def.name, path, sizeof(path)) == 0)
		strcat(path, "/monitor.log");
	s->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
			 O_NOFOLLOW, 0600);
	if (s->console_fd < 0 || s->log_fd < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
			"vm %s: opening its logs in %s/vms/%s: %s",
			vm->def.name, d->cfg.state_dir, vm->def.name,
			strerror(errno));
	return 0;
}

/*
 * The snapshot to restore from (a copy of @fd at its start), or a live
 * migration's socket and its token's pipe.
 */
static int add_incoming(struct vm *vm, struct spawn_ctx *s, int fd,
			int token_fd, struct jsonrpc_error *err)
{
	int high;

	if (fd < 0)
		return 0;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	if (high < 0 || (token_fd < 0 && lseek(high, 0, SEEK_SET) < 0)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: the snapshot file: %s", vm->def.name,
				  strerror(errno));
		if (high >= 0)
			close(high);
		return -1;
	}
	s->incoming = s->nfds;
	s->fds[s->nfds++] = high;
	if (token_fd < 0)
		return 0;
	high = fcntl(token_fd, F_DUPFD_CLOEXEC, 64);
	if (high < 0)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
					 "vm %s: the migration token: %s",
					 vm->def.name, strerror(errno));
	s->token = s->nfds;
	s->fds[s->nfds++] = high;
	return 0;
}

static int build_argv(struct skiffd *d, struct vm *vm, struct spawn_ctx *s)
{
	int i, rc = 0;

	rc |= add_arg(s, "%s", d->cfg.monitor_path);
	rc |= add_arg(s, "--name=%s", vm->def.name);
	rc |= add_arg(s, "--device=%s", vm->def.device);
	rc |= add_arg(s, "--control=%s", s->ctl);
	rc |= add_arg(s, "--status-file=%s", s->status);
	rc |= add_arg(s, "--mem=%llu", (unsigned long long)vm->def.mem_mib);
	for (i = 0; i < vm->def.nblock; i++)
		rc |= add_arg(s, "--block:%s=@%d",
			      vm->def.block[i].name, SPAWN_FD_BASE + 1 + i);
	for (i = 0; i < vm->def.nnet; i++) {
		rc |= add_arg(s, "--net:%s=%s", vm->def.net[i].name,
			      vm->def.net[i].tap);
		if (vm->def.net[i].mac[0])
			rc |= add_arg(s, "--net-mac:%s=%s",
				      vm->def.net[i].name, vm->def.net[i].mac);
	}
	if (s->incoming >= 0)
		rc |= add_arg(s, "--incoming=@%d", SPAWN_FD_BASE + s->incoming);
	if (s->token >= 0)
		rc |= add_arg(s, "--incoming-token=@%d",
			      SPAWN_FD_BASE + s->token);
	rc |= add_arg(s, "--");
	rc |= add_arg(s, "/proc/self/fd/%d", SPAWN_FD_BASE);
	for (i = 0; i < vm->def.argc; i++)
		rc |= add_arg(s, "%s", vm->def.argv[i]);
	s->argv[s->argc] = NULL;
	return rc ? -1 : 0;
}

/*
 * The child's set-up as posix_spawn actions (a vfork-style clone: no
 * copy of skiffd's memory, and an exec failure comes back as the return
 * value): own session, default signals, nothing blocked, stdin
 * /dev/null, stdout the console log, stderr monitor.log, the opened
 * files at 3.., and nothing else of skiffd's.
 */
static int spawn(struct spawn_ctx *s, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int i, rc;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
				 POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawn_file_actions_adddup2(&fa, s->console_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, s->log_fd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	for (i = 0; i < s->nfds; i++)
		posix_spawn_file_actions_adddup2(&fa, s->fds[i],
						 SPAWN_FD_BASE + i);
	posix_spawn_file_actions_addclosefrom_np(&fa, SPAWN_FD_BASE + s->nfds);
	rc = posix_spawn(pid, s->argv[0], &fa, &attr, s->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int monitor_spawn(struct skiffd *d, struct vm *vm, int incoming_fd,
		  int token_fd, struct jsonrpc_error *err)
{
	struct spawn_ctx s = { .console_fd = -1, .log_fd = -1, .incoming = -1,
			       .token = -1 };
	pid_t pid;
	int rc = -1, e;

	if (prepare_paths(d, vm, &s, err) || open_files(d, vm, &s, err) ||
	    add_incoming(vm, &s, incoming_fd, token_fd, err))
		goto out;
	if (build_argv(d, vm, &s)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: preparing the monitor: %s",
				  vm->def.name, strerror(errno));
		goto out;
	}
	e = spawn(&s, &pid);
	if (e) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: starting %s: %s", vm->def.name,
				  d->cfg.monitor_path, strerror(e));
		goto out;
	}
	vm->pid = pid;
	vm->is_child = true;
	vm->pid_start = proc_start_time(pid);
	vm->started_at = now_realtime();
	if (persist_save_runtime(d, vm))
		log_err("vm %s: saving the runtime record: %m", vm->def.name);
	log_info("vm %s: monitor pid %d started", vm->def.name, (int)pid);
	rc = 0;
out:
	ctx_close(&s);
	return rc;
}
