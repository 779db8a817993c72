/* SPDX-License-Identifier: ISC */
/*
 * Files in the state dir (definitions, last states, console logs) and the
 * runtime dir (one record per live monitor). Every JSON file is written
 * atomically: a temp file in the same directory, fsync, rename, fsync of
 * the directory. A crash at any point leaves the old or the new file.
 *
 *   STATE/vms/NAME/vm.json        definition, owner, creation time
 *   STATE/vms/NAME/state.json     last state, exit status, start count
 *   STATE/vms/NAME/console.log    console (and console.log.1, capped)
 *   STATE/vms/NAME/monitor.log    the monitor's stderr, last run
 *   RUN/vms/NAME/monitor.json     pid, start time of the live monitor
 *   RUN/vms/NAME/control.sock     the monitor's control socket
 *   RUN/vms/NAME/status.json      written by the monitor when it ends
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skiffd.h"

int persist_mkdir_p(const char *path, mode_t mode)
{
	char buf[VM_PATH_MAX + 64], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * @durable: fsync the file and the directory. Files whose content only
 * matters while the host is up (the runtime records, the state of a VM
 * whose monitor runs: an OS crash ends the guest anyway) skip it and stay
 * atomic against a crash of skiffd itself, which is what they must survive.
 */
static int write_file(const char *dir, const char *name, const char *data,
		      size_t len, bool durable)
{
	char tmp[VM_PATH_MAX + 128], dst[VM_PATH_MAX + 128];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || (durable && fsync(fd)))
		goto err;
	if (close(fd)) {
		fd = -1;
		goto err;
	}
	if (rename(tmp, dst))
		goto err_unlink;
	return durable ? fsync_dir(dir) : 0;
err:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
err_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}

int persist_write_atomic(const char *dir, const char *name, const char *data,
			 size_t len)
{
	return write_file(dir, name, data, len, true);
}

static int write_json(const char *dir, const char *name, json_t *j,
		      bool durable)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	json_decref(j);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	rc = write_file(dir, name, s, strlen(s), durable);
	free(s);
	return rc;
}

json_t *persist_read_json(const char *dir, const char *name)
{
	char path[VM_PATH_MAX + 128];
	json_error_t jerr;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
}

int persist_vm_dir(struct skiffd *d, const char *name, char *out,
		   size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s/vms/%s", d->cfg.state_dir,
			     name) >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int persist_run_dir(struct skiffd *d, const char *name, char *out,
		    size_t outlen)
{
	if ((size_t)snprintf(out, outlen, "%s/vms/%s", d->cfg.run_dir,
			     name) >= outlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int persist_save_def(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64];
	json_t *j;

	if (persist_vm_dir(d, vm->def.name, dir, sizeof(dir)) ||
	    persist_mkdir_p(dir, 0700))
		return -1;
	j = vm_def_to_json(&vm->def);
	json_object_set_new(j, "owner", peer_cred_json(&vm->def.owner));
	json_object_set_new(j, "created_at", json_real(vm->def.created_at));
	return write_json(dir, "vm.json", j, true);
}

int persist_save_state(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64];
	json_t *j;

	if (persist_vm_dir(d, vm->def.name, dir, sizeof(dir)))
		return -1;
	j = json_pack("{s:s,s:i,s:I}", "state", vm_state_name(vm->state),
		      "start_count", vm->start_count,
		      "console_base", (json_int_t)vm->console.base);
	if (vm->has_exit) {
		json_object_set_new(j, "exit_status",
				    json_integer(vm->exit_status));
		json_object_set_new(j, "exit_signal",
				    json_integer(vm->exit_signal));
		json_object_set_new(j, "reason", json_string(vm->reason));
		json_object_set_new(j, "stopped_at", json_real(vm->stopped_at));
	}
	if (vm->counters)
		json_object_set(j, "counters", vm->counters);
	return write_json(dir, "state.json", j, !vm_state_active(vm->state));
}

int persist_save_runtime(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64];
	json_t *j;

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)) ||
	    persist_mkdir_p(dir, 0700))
		return -1;
	j = json_pack("{s:i,s:I,s:f,s:I,s:b}", "pid", (int)vm->pid,
		      "pid_start", (json_int_t)vm->pid_start,
		      "started_at", vm->started_at,
		      "run_console_offset", (json_int_t)vm->run_console_offset,
		      "stop_requested", vm->stop_requested || vm->kill_requested);
	/* The run dir does not outlive the host: no fsync needed. */
	return write_json(dir, "monitor.json", j, false);
}

void persist_remove_runtime(struct skiffd *d, struct vm *vm)
{
	char dir[VM_PATH_MAX + 64], path[VM_PATH_MAX + 128];

	if (persist_run_dir(d, vm->def.name, dir, sizeof(dir)))
		return;
	snprintf(path, sizeof(path), "%s/monitor.json", dir);
	unlink(path);
	fsync_dir(dir);
}

static void remove_tree(const char *dir)
{
	char path[VM_PATH_MAX + 320];
	struct dirent *de;
	DIR *dh = opendir(dir);

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(dh);
	rmdir(dir);
}

int persist_remove_vm(struct skiffd *d, const char *name)
{
	char dir[VM_PATH_MAX + 64];

	if (!persist_run_dir(d, name, dir, sizeof(dir)))
		remove_tree(dir);
	if (persist_vm_dir(d, name, dir, sizeof(dir)))
		return -1;
	/* vm.json first: a VM without it is gone even if we stop here. */
	strcat(dir, "/vm.json");
	if (unlink(dir) < 0 && errno != ENOENT)
		return -1;
	dir[strlen(dir) - strlen("/vm.json")] = '\0';
	remove_tree(dir);
	return 0;
}

static void load_state(struct vm *vm, json_t *st)
{
	enum vm_state s = VM_DEFINED;
	const char *name = json_string_value(json_object_get(st, "state"));
	json_t *c;

	if (name && vm_state_parse(name, &s))
		s = VM_DEFINED;
	vm->state = s;
	vm->start_count = json_integer_value(json_object_get(st, "start_count"));
	vm->console.base = json_integer_value(json_object_get(st, "console_base"));
	if (json_object_get(st, "exit_status")) {
		vm->has_exit = true;
		vm->exit_status = json_integer_value(
			json_object_get(st, "exit_status"));
		vm->exit_signal = json_integer_value(
			json_object_get(st, "exit_signal"));
		snprintf(vm->reason, sizeof(vm->reason), "%s",
			 json_string_value(json_object_get(st, "reason")) ?: "");
		vm->stopped_at = json_number_value(
			json_object_get(st, "stopped_at"));
	}
	c = json_object_get(st, "counters");
	if (json_is_object(c))
		vm->counters = json_incref(c);
}

static void load_one(struct skiffd *d, const char *name)
{
	char dir[VM_PATH_MAX + 64];
	struct jsonrpc_error err = { 0 };
	struct vm_def def;
	struct vm *vm;
	json_t *j, *st;

	if (!vm_name_valid(name) || persist_vm_dir(d, name, dir, sizeof(dir)))
		return;
	j = persist_read_json(dir, "vm.json");
	if (!j) {
		log_warn("vm %s: %s/vm.json: missing or not JSON; skipped",
			 name, dir);
		return;
	}
	if (vm_def_from_json(j, &def, &err) || strcmp(def.name, name)) {
		log_warn("vm %s: %s/vm.json: %s; skipped", name, dir,
			 err.message[0] ? err.message : "name does not match");
		if (!err.message[0])
			vm_def_free(&def);
		json_decref(j);
		jsonrpc_error_clear(&err);
		return;
	}
	json_decref(j);
	/* Defined before VMs named their device: the configured one. */
	if (vm_device_default(&d->cfg, &def)) {
		log_err("vm %s: %m; skipped", name);
		vm_def_free(&def);
		return;
	}
	vm = vm_add(d, &def);
	if (!vm)
		return;
	st = persist_read_json(dir, "state.json");
	if (st)
		load_state(vm, st);
	json_decref(st);
}

int persist_load_all(struct skiffd *d)
{
	char dir[VM_PATH_MAX + 16];
	struct dirent *de;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s/vms", d->cfg.state_dir);
	if (persist_mkdir_p(dir, 0700))
		return -1;
	dh = opendir(dir);
	if (!dh)
		return -1;
	while ((de = readdir(dh)))
		if (de->d_name[0] != '.')
			load_one(d, de->d_name);
	closedir(dh);
	return 0;
}
