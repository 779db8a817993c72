/* SPDX-License-Identifier: ISC */
/*
 * Per-VM console logs. The monitor's stdout is the live file, opened
 * O_APPEND, so skiffd can cap it without the monitor's help: when the live
 * file passes the cap its newest cap's worth of bytes is copied to
 * console.log.1 and it is truncated (the monitor's next write lands at the
 * new end). A running guest is paused around the copy and the truncation
 * (monitor.pause lets an in-flight PUTS finish), so no byte is written
 * between them and none is lost; the pause costs one round trip per cap's
 * worth of output, taken on the event loop (nothing waits for it). Only
 * if the monitor does not answer is the log rotated
 * unpaused, where bytes written during the copy can be lost (logrotate's
 * copytruncate caveat). On disk there are at most the cap in console.log.1
 * plus what the guest wrote since the last check in console.log.
 *
 * Offsets are logical: they count every byte the VM ever wrote, so a
 * reader's position survives rotation. "base" is the logical offset of
 * the live file's first byte; console.log.1 holds the bytes just before.
 *
 * New bytes are noticed through inotify and sent to event subscribers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skiffd.h"

#define CONSOLE_CHUNK	65536

static int log_path(struct skiffd *d, struct vm *vm, const char *file,
		    char *out, size_t len)
{
	char dir[VM_PATH_MAX + 64];

	if (persist_vm_dir(d, vm->def.name, dir, sizeof(dir)))
		return -1;
	if ((size_t)snprintf(out, len, "%s/%s", dir, file) >= len)
		return -1;
	return 0;
}

int console_open_append(struct skiffd *d, struct vm *vm)
{
	char path[VM_PATH_MAX + 128];

	if (log_path(d, vm, "console.log", path, sizeof(path)))
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
}

int console_attach(struct skiffd *d, struct vm *vm)
{
	char path[VM_PATH_MAX + 128];
	struct stat st;
	int fd;

	if (vm->console.fd >= 0)
		return 0;
	fd = console_open_append(d, vm);
	if (fd < 0)
		return -1;
	close(fd);
	if (log_path(d, vm, "console.log", path, sizeof(path)))
		return -1;
	vm->console.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (vm->console.fd < 0)
		return -1;
	if (fstat(vm->console.fd, &st) == 0 && !vm->console.sent)
		vm->console.sent = vm->console.base + st.st_size;
	if (d->inotify_fd >= 0)
		vm->console.wd = inotify_add_watch(d->inotify_fd, path,
						   IN_MODIFY);
	return 0;
}

void console_detach(struct skiffd *d, struct vm *vm)
{
	if (vm->console.wd >= 0 && d->inotify_fd >= 0)
		inotify_rm_watch(d->inotify_fd, vm->console.wd);
	vm->console.wd = -1;
	if (vm->console.fd >= 0)
		close(vm->console.fd);
	vm->console.fd = -1;
}

static off_t live_size(struct vm *vm)
{
	struct stat st;

	if (vm->console.fd < 0 || fstat(vm->console.fd, &st))
		return 0;
	return st.st_size;
}

uint64_t console_end(struct skiffd *d, struct vm *vm)
{
	char path[VM_PATH_MAX + 128];
	struct stat st;

	if (vm->console.fd >= 0)
		return vm->console.base + live_size(vm);
	if (log_path(d, vm, "console.log", path, sizeof(path)) ||
	    stat(path, &st))
		return vm->console.base;
	return vm->console.base + st.st_size;
}

/* Copy the live file to console.log.1 and truncate it. */
static void console_rotate(struct skiffd *d, struct vm *vm)
{
	char live[VM_PATH_MAX + 128], old[VM_PATH_MAX + 128];
	int in = -1, out = -1;
	off_t size = live_size(vm), off;
	ssize_t n;

	if (log_path(d, vm, "console.log", live, sizeof(live)) ||
	    log_path(d, vm, "console.log.1", old, sizeof(old)))
		return;
	in = open(live, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	out = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		   0600);
	if (in < 0 || out < 0)
		goto out;
	/* Keep at most the cap's worth: the newest bytes. */
	off = size > (off_t)d->cfg.console_max_bytes ?
	      size - (off_t)d->cfg.console_max_bytes : 0;
	while (off < size) {
		n = copy_file_range(in, &off, out, NULL, size - off, 0);
		if (n <= 0)
			break;
	}
	size = live_size(vm);
	if (ftruncate(in, 0) == 0) {
		vm->console.base += size;
		if (persist_save_state(d, vm))
			log_err("vm %s: saving state: %m", vm->def.name);
	}
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

/*
 * Rotation with the guest paused, if it runs, so the monitor writes
 * nothing meanwhile: a VM job (vm_jobs.c) of three steps on the event
 * loop, pause -> rotate -> resume, so a client's vm.pause or vm.resume
 * cannot land in between.
 */
static void rotate_end(struct vm *vm)
{
	vm->rotating = false;
	vm_job_done(vm);
}

static void rotate_resumed(struct vm *vm, json_t *result,
			   struct jsonrpc_error *err, void *arg)
{
	if (!result)
		log_err("vm %s: resuming after console rotation: %s",
			vm->def.name, err->message);
	rotate_end(vm);
}

/* Rotate now, then resume the guest if the rotation paused it. */
static void rotate_now(struct vm *vm, bool paused)
{
	struct jsonrpc_error err = { 0 };

	/* Detached: the monitor ended; its log stays as it is. */
	if (vm->console.fd >= 0) {
		console_rotate(vm->d, vm);
		vm->console.sent = vm->console.base + live_size(vm);
	}
	if (!paused || vm->state != VM_RUNNING) {
		rotate_end(vm);
		return;
	}
	if (monitor_call_async(vm->d, vm, "monitor.resume", NULL,
			       config_monitor_timeout_ms(&vm->d->cfg),
			       rotate_resumed, NULL, &err)) {
		log_err("vm %s: resuming after console rotation: %s",
			vm->def.name, err.message);
		jsonrpc_error_clear(&err);
		rotate_end(vm);
	}
}

static void rotate_paused(struct vm *vm, json_t *result,
			  struct jsonrpc_error *err, void *arg)
{
	if (vm->removing) {
		rotate_end(vm);
		return;
	}
	if (!result)
		log_err("vm %s: console rotation without a pause: %s",
			vm->def.name, err->message);
	rotate_now(vm, result != NULL);
}

static void rotate_run(struct vm_job *job, struct vm *vm, bool cancelled)
{
	struct jsonrpc_error err = { 0 };

	if (cancelled || vm->console.fd < 0 ||
	    (uint64_t)live_size(vm) <= vm->d->cfg.console_max_bytes) {
		rotate_end(vm);
		return;
	}
	if (vm->state != VM_RUNNING) {
		rotate_now(vm, false);
		return;
	}
	if (monitor_call_async(vm->d, vm, "monitor.pause", NULL,
			       config_monitor_timeout_ms(&vm->d->cfg),
			       rotate_paused, NULL, &err)) {
		log_err("vm %s: console rotation without a pause: %s",
			vm->def.name, err.message);
		jsonrpc_error_clear(&err);
		rotate_now(vm, false);
	}
}

static void console_rotate_quiet(struct vm *vm)
{
	if (vm->rotating)
		return;
	vm->rotating = true;
	vm->rotate_job.run = rotate_run;
	vm_job_submit(vm, &vm->rotate_job);
}

/* Read logical [offset, offset+max) from one file covering [start, ..). */
static ssize_t read_at(const char *path, int fd, uint64_t start,
		       uint64_t offset, char *buf, size_t max)
{
	int own = -1;
	ssize_t n;

	if (fd < 0) {
		own = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (own < 0)
			return errno == ENOENT ? 0 : -1;
		fd = own;
	}
	n = pread(fd, buf, max, offset - start);
	if (own >= 0)
		close(own);
	return n;
}

json_t *console_read(struct skiffd *d, struct vm *vm, uint64_t offset,
		     uint64_t max, struct jsonrpc_error *err)
{
	char live[VM_PATH_MAX + 128], old[VM_PATH_MAX + 128];
	uint64_t base = vm->console.base, end = console_end(d, vm), first;
	struct stat st;
	ssize_t n = 0;
	char *buf;
	json_t *j;
	bool truncated = false;

	if (log_path(d, vm, "console.log", live, sizeof(live)) ||
	    log_path(d, vm, "console.log.1", old, sizeof(old)))
		return NULL;
	first = base;
	if (stat(old, &st) == 0 && (uint64_t)st.st_size <= base)
		first = base - st.st_size;
	/* an incoming VM's offsets are known once it runs */
	if (vm->state == VM_INCOMING) {
		end = first = base;
		max = 0;
	}
	if (offset < first) {
		offset = first;
		truncated = true;
	}
	if (offset > end)
		offset = end;
	buf = malloc(max ? max : 1);
	if (!buf) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	if (offset < base)
		n = read_at(old, -1, first, offset,
			    buf, offset + max > base ? base - offset : max);
	else if (max)
		n = read_at(live, vm->console.fd, base, offset, buf, max);
	if (n < 0) {
		free(buf);
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: reading console log: %s",
				  vm->def.name, strerror(errno));
		return NULL;
	}
	j = json_pack("{s:o,s:I,s:I,s:I,s:b}", "data", jsonrpc_text(buf, n),
		      "offset", (json_int_t)offset,
		      "next_offset", (json_int_t)(offset + n),
		      "end", (json_int_t)end, "truncated", truncated);
	free(buf);
	return j;
}

/*
 * An incoming migration's guest ran on from the source, whose log ended
 * at @origin: so does this log's offsets. Before this the file's bytes
 * stay unannounced (console_pump waits while the VM is incoming).
 */
void console_rebase(struct skiffd *d, struct vm *vm, uint64_t origin)
{
	vm->console.base += origin;
	vm->console.sent += origin;
	vm->run_console_offset += origin;
	if (persist_save_state(d, vm))
		log_err("vm %s: saving state: %m", vm->def.name);
}

void console_pump(struct skiffd *d, struct vm *vm)
{
	char buf[CONSOLE_CHUNK];
	uint64_t end;
	ssize_t n;

	/* Its offsets are not known before it runs (console_rebase). */
	if (vm->console.fd < 0 || vm->state == VM_INCOMING)
		return;
	end = vm->console.base + live_size(vm);
	if (vm->console.sent < vm->console.base)
		vm->console.sent = vm->console.base;
	while (vm->console.sent < end && events_want_console(d, vm)) {
		n = pread(vm->console.fd, buf, sizeof(buf),
			  vm->console.sent - vm->console.base);
		if (n <= 0)
			break;
		events_console(d, vm, vm->console.sent, buf, n);
		vm->console.sent += n;
	}
	vm->console.sent = end;
	if ((uint64_t)live_size(vm) > d->cfg.console_max_bytes)
		console_rotate_quiet(vm);
}

static void inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct skiffd *d = arg;
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	struct vm *vm;
	ssize_t n;
	char *p;

	n = read(fd, buf, sizeof(buf));
	for (p = buf; n > 0 && p < buf + n; p += sizeof(*ev) + ev->len) {
		ev = (const struct inotify_event *)p;
		for (vm = d->vms; vm; vm = vm->next)
			if (vm->console.wd == ev->wd)
				console_pump(d, vm);
	}
}

int console_watch_init(struct skiffd *d)
{
	d->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inotify_fd < 0)
		return -1;
	d->inotify_ev = event_new(d->base, d->inotify_fd, EV_READ | EV_PERSIST,
				  inotify_cb, d);
	return d->inotify_ev ? event_add(d->inotify_ev, NULL) : -1;
}

