/* SPDX-License-Identifier: ISC */
/*
 * vm.snapshot: the state of a running or paused VM into a new file.
 *
 * skiffd creates the file as the client (peer_create: O_EXCL, 0600, the
 * client's uid and permissions), because the monitor is sandboxed and
 * opens nothing, and hands it to the monitor with monitor.snapshot, by
 * SCM_RIGHTS on the request line, with the VM's definition to write into
 * it (docs/monitor-control.md, /work/notes/snapshot-contract.md). The
 * monitor pauses the guest while it writes, puts it back as it was,
 * fsyncs, and answers with what it wrote.
 *
 * The call is a VM job (vm_jobs.c): it waits for a pause, resume or
 * console rotation in flight, and they wait for it; the state is checked
 * when its turn comes. It may take seconds (config_snapshot_timeout_ms).
 * On any failure the file skiffd created is unlinked, as the client,
 * and only if the name still leads to that file: the monitor has only
 * the descriptor and cannot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rpc_params.h"
#include "skiffd.h"

struct snapshot_job {
	struct vm_job job;		/* first: the job is the whole */
	struct rpc_reply *reply;
	struct peer_cred peer;		/* the caller's: the file's owner */
	char path[VM_PATH_MAX + 1];
	struct stat st;			/* what was created: unlink only it */
	bool created;
	double started;
};

int snapshot_path_param(json_t *p, const char **path,
			struct jsonrpc_error *err)
{
	const char *s;
	size_t i;

	if (rpc_param_string(p, "path", true, VM_PATH_MAX, &s, err))
		return -1;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return rpc_params_error(err, "path",
				"expected a path without control characters");
	if (s[0] != '/')
		return rpc_params_error(err, "path",
			"expected an absolute path, got \"%.200s\"", s);
	*path = s;
	return 0;
}

/* Unlink the file we created, if the name still leads to it. */
static void discard_file(struct vm *vm, struct snapshot_job *sj)
{
	struct stat now;

	if (!sj->created)
		return;
	if (lstat(sj->path, &now) || now.st_dev != sj->st.st_dev ||
	    now.st_ino != sj->st.st_ino) {
		log_warn("vm %s: snapshot %s: not removed: it is no longer the file skiffd created",
			 vm->def.name, sj->path);
		return;
	}
	if (peer_unlink(&sj->peer, sj->path))
		log_warn("vm %s: snapshot %s: removing it: %m", vm->def.name,
			 sj->path);
}

/* "vm NAME: monitor: why" -> "why", "vm NAME: METHOD: why" -> "METHOD: why" */
static const char *monitor_why(struct vm *vm, const char *msg)
{
	size_t n = strlen(vm->def.name);

	if (!strncmp(msg, "vm ", 3) && !strncmp(msg + 3, vm->def.name, n) &&
	    !strncmp(msg + 3 + n, ": ", 2))
		msg += 3 + n + 2;
	if (!strncmp(msg, "monitor: ", 9))
		msg += 9;
	return msg;
}

static void snapshot_finish(struct vm *vm, struct snapshot_job *sj,
			    json_t *result, struct jsonrpc_error *err)
{
	if (err) {
		discard_file(vm, sj);
		log_warn("%s", err->message);
		rpc_reply_error(sj->reply, err);
	} else {
		rpc_reply_result(sj->reply, result);
	}
	vm_job_done(vm);
	free(sj);
}

static json_int_t count(json_t *m, const char *key)
{
	return json_integer_value(json_object_get(m, key));
}

/* The monitor's figures, with the VM and the file. */
static json_t *snapshot_result(struct vm *vm, struct snapshot_job *sj,
			       json_t *m)
{
	json_t *secs = json_object_get(m, "seconds");
	double seconds = json_is_number(secs) ? json_number_value(secs) :
			 now_monotonic() - sj->started;

	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:f}", "name", vm->def.name,
			 "path", sj->path, "bytes", count(m, "bytes"),
			 "pages", count(m, "pages"),
			 "zero_pages", count(m, "zero_pages"),
			 "seconds", seconds);
}

static void snapshot_done(struct vm *vm, json_t *result,
			  struct jsonrpc_error *err, void *arg)
{
	struct snapshot_job *sj = arg;
	struct jsonrpc_error e = { 0 };
	json_t *r;

	if (!result) {
		jsonrpc_error_set(&e, err->code, "vm %s: snapshot %s: %s",
				  vm->def.name, sj->path,
				  monitor_why(vm, err->message));
		snapshot_finish(vm, sj, NULL, &e);
		jsonrpc_error_clear(&e);
		return;
	}
	r = snapshot_result(vm, sj, result);
	log_info("vm %s: snapshot %s: %lld bytes in %.2f s", vm->def.name,
		 sj->path, (long long)count(r, "bytes"),
		 json_real_value(json_object_get(r, "seconds")));
	snapshot_finish(vm, sj, r, NULL);
}

/* Create the file as the caller; 0, or -1 with @err. */
static int create_file(struct vm *vm, struct snapshot_job *sj,
		       struct jsonrpc_error *err)
{
	int fd = peer_create(&sj->peer, sj->path, O_WRONLY | O_EXCL, 0600);

	if (fd < 0)
		return jsonrpc_error_set(err, errno == EEXIST ?
					 SKIFF_ERR_EXISTS : SKIFF_ERR_ACCESS,
					 "vm %s: snapshot %s: %s", vm->def.name,
					 sj->path, strerror(errno));
	if (fstat(fd, &sj->st)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: snapshot %s: %s", vm->def.name,
				  sj->path, strerror(errno));
		close(fd);
		return -1;
	}
	sj->created = true;
	return fd;
}

/* Its turn: check the state, create the file, send monitor.snapshot. */
static void snapshot_run(struct vm_job *job, struct vm *vm, bool cancelled)
{
	struct snapshot_job *sj = (struct snapshot_job *)job;
	struct jsonrpc_error err = { 0 };
	json_t *params;
	int fd, rc;

	if (cancelled) {
		jsonrpc_error_set(&err, SKIFF_ERR_SYSTEM,
				  "vm %s: snapshot %s: skiffd is shutting down",
				  vm->def.name, sj->path);
		goto fail;
	}
	if (vm_state_check(vm->def.name, vm->state, VM_OP_SNAPSHOT, &err))
		goto fail;
	fd = create_file(vm, sj, &err);
	if (fd < 0)
		goto fail;
	sj->started = now_monotonic();
	params = json_pack("{s:o}", "definition", vm_def_to_json(&vm->def));
	rc = monitor_call_async_fd(vm->d, vm, "monitor.snapshot", params, fd,
				   config_snapshot_timeout_ms(&vm->d->cfg,
							      vm->def.mem_mib),
				   snapshot_done, sj, &err);
	json_decref(params);
	/* The call has its own copy until the line is out. */
	close(fd);
	if (!rc)
		return;
fail:
	snapshot_finish(vm, sj, NULL, &err);
	jsonrpc_error_clear(&err);
}

json_t *method_vm_snapshot(struct rpc_call *c, json_t *p,
			   struct jsonrpc_error *err)
{
	struct snapshot_job *sj;
	const char *path;
	struct vm *vm;

	if (snapshot_path_param(p, &path, err))
		return NULL;
	vm = vm_param_managed(c, p, err);
	if (!vm)
		return NULL;
	sj = calloc(1, sizeof(*sj));
	if (sj)
		sj->reply = rpc_defer(c);
	if (!sj || !sj->reply) {
		free(sj);
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	sj->peer = *c->peer;
	snprintf(sj->path, sizeof(sj->path), "%s", path);
	sj->job.run = snapshot_run;
	vm_job_submit(vm, &sj->job);
	return NULL;
}
