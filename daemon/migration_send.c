/* SPDX-License-Identifier: ISC */
/*
 * vm.migrate: the source's side of a live migration.
 *
 *   1-2. Connect to the destination, write the handshake (the VM's
 *      definition, keyed by the token) and read its answer, exactly to
 *      its end: refused (its reason is the error) or ready (its monitor
 *      waits on the other end). migration_dial.c does this on the loop.
 *   3. Hand the socket to the VM's monitor with monitor.migrate; the RPC
 *      answer waits. Meanwhile monitor.info's "migration" object is
 *      polled every PROGRESS_MS and sent to the caller as
 *      migration.progress notifications.
 *   4. The monitor answers when the guest runs on the destination and
 *      exits "migrated"; migration_hooks.c then removes the VM here.
 *
 * Nothing depends on the client after the call: if it goes away the
 * migration completes all the same (its answer is dropped). If skiffd
 * itself dies, the monitor holds the socket and completes it; the next
 * skiffd drops the VM when it sees the monitor exited "migrated".
 *
 * The migration is a VM job (vm_jobs.c): a console rotation waits for
 * it; vm.pause, vm.resume and vm.stop are refused meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "migration.h"
#include "rpc_params.h"
#include "stream.h"

#define PROGRESS_MS		200
/* A slow answer is no reason to reset the monitor's connection. */
#define PROGRESS_TIMEOUT_MS	5000
#define MIGRATE_TIMEOUT_MS	(24 * 3600 * 1000)

struct migrate_op {
	struct vm_job job;		/* first: the job is the op */
	struct migrate_op *next;
	struct vm *vm;
	struct rpc_reply *reply;
	char dest[MIGRATION_ADDR_MAX];
	struct sockaddr_storage ss;
	socklen_t sslen;
	uint8_t token[MIGRATION_TOKEN_BYTES];
	double downtime_ms, bandwidth;
	uint64_t max_rounds;		/* 0: the monitor's default */
	struct migration_dial *dial;	/* until the monitor has the socket */
	bool in_monitor;
	struct event *progress_ev;
	bool polling, finished;
	bool answer_lost;		/* monitor.migrate failed unanswered */
	double started;
	json_t *last;			/* the last progress seen */
};

static struct migrate_op *outgoing;

bool migration_outgoing(const struct vm *vm)
{
	struct migrate_op *op;

	for (op = outgoing; op; op = op->next)
		if (op->vm == vm)
			return true;
	return false;
}

static void op_unlink(struct migrate_op *op)
{
	struct migrate_op **pp;

	for (pp = &outgoing; *pp; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			return;
		}
}

static void op_release(struct migrate_op *op)
{
	if (!op->finished || op->polling)
		return;
	sodium_memzero(op->token, sizeof(op->token));
	json_decref(op->last);
	free(op);
}

static void op_close(struct migrate_op *op)
{
	migration_dial_cancel(op->dial);
	op->dial = NULL;
	if (op->progress_ev)
		event_free(op->progress_ev);
	op->progress_ev = NULL;
}

void migration_send_shutdown(struct skiffd *d)
{
	struct migrate_op *op, *next;

	/* The monitors keep theirs; the others just stop (no one to answer). */
	for (op = outgoing; op; op = next) {
		next = op->next;
		if (!op->in_monitor) {
			op_close(op);
			op_unlink(op);
		}
	}
}

/* The end of the job: answer, forget the op (freed once no poll is out). */
static void op_finish(struct migrate_op *op, json_t *result,
		      struct jsonrpc_error *err)
{
	struct vm *vm = op->vm;

	op_close(op);
	op_unlink(op);
	if (err) {
		log_warn("%s", err->message);
		rpc_reply_error(op->reply, err);
	} else {
		rpc_reply_result(op->reply, result);
	}
	op->finished = true;
	op->vm = NULL;
	vm->migrating = false;
	vm_job_done(vm);
	op_release(op);
}

/* A failure before the monitor had the socket: the guest never paused. */
static void fail_early(struct migrate_op *op, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_early(struct migrate_op *op, int code, const char *fmt, ...)
{
	struct jsonrpc_error err = { 0 };
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	jsonrpc_error_set(&err, code,
			  "vm %s: migration to %s: %s; the guest runs on here",
			  op->vm->def.name, op->dest, why);
	op_finish(op, NULL, &err);
	jsonrpc_error_clear(&err);
}

void migration_monitor_error(const struct vm *vm,
			     const struct jsonrpc_error *e,
			     struct jsonrpc_error *out)
{
	const char *msg = e->message;
	size_t n = strlen(vm->def.name);
	int code = e->code ? e->code : SKIFF_ERR_SYSTEM;

	if (!strncmp(msg, "vm ", 3) && !strncmp(msg + 3, vm->def.name, n) &&
	    !strncmp(msg + 3 + n, ": ", 2))
		msg += 5 + n;
	if (!strncmp(msg, "monitor.migrate: ", 17))
		msg += 17;
	if (!strncmp(msg, "monitor: ", 9))
		msg += 9;
	if (strstr(msg, "outcome unknown"))
		jsonrpc_error_set(out, SKIFF_ERR_ILLEGAL_STATE,
				  "vm %s: monitor: %s", vm->def.name, msg);
	else if (vm_state_active(vm->state))
		jsonrpc_error_set(out, code,
				  "vm %s: monitor: %s (the guest runs on here)",
				  vm->def.name, msg);
	else
		jsonrpc_error_set(out, code, "vm %s: monitor: %s",
				  vm->def.name, msg);
}

/* The monitor's word, as the API tells it. */
static void migrate_failed(struct migrate_op *op, struct jsonrpc_error *e)
{
	struct jsonrpc_error err = { 0 };

	migration_monitor_error(op->vm, e, &err);
	op_finish(op, NULL, &err);
	jsonrpc_error_clear(&err);
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/*
 * The monitor exited "migrated" before its answer was read (its exit
 * and its last line race): the guest runs there. The figures are the
 * last progress seen and this side's clock.
 */
static json_t *result_without_answer(struct migrate_op *op)
{
	json_t *m = op->last;

	log_warn("vm %s: migrated to %s; the monitor's figures were lost with its answer",
		 op->vm->def.name, op->dest);
	return json_pack("{s:s,s:s,s:f,s:f,s:I,s:I,s:I}",
			 "name", op->vm->def.name, "destination", op->dest,
			 "total_seconds", now_monotonic() - op->started,
			 "downtime_ms", num(m, "estimated_downtime_ms"),
			 "rounds", (json_int_t)num(m, "round"),
			 "bytes", (json_int_t)num(m, "bytes_sent"),
			 "pages", (json_int_t)num(m, "pages_sent"));
}

static void progress_arm(struct migrate_op *op);

/*
 * The answer to monitor.migrate was lost while the monitor runs on (its
 * connection timed out under load, or was reset): the monitor migrates
 * all the same, so the outcome is read off it instead. It exits
 * "migrated" when the guest runs at the destination; its info loses the
 * "migration" object when the migration ended here, the guest running
 * (it failed) or held paused (outcome unknown). Returns true once
 * settled. @info is NULL when there is no fresh one.
 */
static bool settle_lost_answer(struct migrate_op *op, json_t *info)
{
	struct vm *vm = op->vm;
	struct jsonrpc_error err = { 0 };
	const char *state;

	if (!vm_state_active(vm->state)) {
		if (migration_exited_migrated(vm->d, vm)) {
			op_finish(op, result_without_answer(op), NULL);
			return true;
		}
		jsonrpc_error_set(&err, SKIFF_ERR_SYSTEM,
				  "vm %s: monitor: it exited during the migration, its answer lost",
				  vm->def.name);
	} else if (info && !json_object_get(info, "migration")) {
		/* ("migrated": it succeeded and is about to exit.) */
		state = json_string_value(json_object_get(info, "state"));
		if (state && !strcmp(state, "paused"))
			jsonrpc_error_set(&err, SKIFF_ERR_ILLEGAL_STATE,
					  "vm %s: monitor: migration outcome unknown: the monitor's answer was lost; the guest is held paused here: resume it only if the destination does not run it",
					  vm->def.name);
		else
			jsonrpc_error_set(&err, SKIFF_ERR_SYSTEM,
					  "vm %s: monitor: the migration ended without an answer (its reason is in the monitor's log); the guest runs on here",
					  vm->def.name);
	} else {
		return false;
	}
	op_finish(op, NULL, &err);
	jsonrpc_error_clear(&err);
	return true;
}

static void migrate_done(struct vm *vm, json_t *result,
			 struct jsonrpc_error *err, void *arg)
{
	struct migrate_op *op = arg;
	json_t *r;

	if (!result && !vm_state_active(vm->state) &&
	    migration_exited_migrated(vm->d, vm)) {
		op_finish(op, result_without_answer(op), NULL);
		return;
	}
	if (!result && err->no_answer && vm_state_active(vm->state)) {
		log_warn("%s; the monitor migrates on: its outcome is read off it",
			 err->message);
		op->answer_lost = true;
		if (!op->polling)
			progress_arm(op);
		return;
	}
	if (!result) {
		migrate_failed(op, err);
		return;
	}
	r = json_pack("{s:s,s:s,s:f,s:f,s:I,s:I,s:I}", "name", vm->def.name,
		      "destination", op->dest,
		      "total_seconds", num(result, "total_seconds"),
		      "downtime_ms", num(result, "downtime_ms"),
		      "rounds", (json_int_t)num(result, "rounds"),
		      "bytes", (json_int_t)num(result, "bytes"),
		      "pages", (json_int_t)num(result, "pages"));
	log_info("vm %s: migrated to %s in %.2f s, downtime %.1f ms",
		 vm->def.name, op->dest, num(result, "total_seconds"),
		 num(result, "downtime_ms"));
	op_finish(op, r, NULL);
}

static void info_done(struct vm *vm, json_t *result,
		      struct jsonrpc_error *err, void *arg)
{
	struct migrate_op *op = arg;
	json_t *m = json_object_get(result, "migration");
	json_t *p;

	op->polling = false;
	if (op->finished) {
		op_release(op);
		return;
	}
	if (op->answer_lost && settle_lost_answer(op, result))
		return;
	if (json_is_object(m)) {
		json_decref(op->last);
		op->last = json_incref(m);
		p = json_pack("{s:s,s:O*,s:O*,s:O*,s:O*,s:O*,s:O*}",
			      "name", vm->def.name,
			      "phase", json_object_get(m, "phase"),
			      "round", json_object_get(m, "round"),
			      "pages_sent", json_object_get(m, "pages_sent"),
			      "bytes_sent", json_object_get(m, "bytes_sent"),
			      "dirty_rate_mib_s",
			      json_object_get(m, "dirty_rate_mib_s"),
			      "estimated_downtime_ms",
			      json_object_get(m, "estimated_downtime_ms"));
		if (p)
			rpc_reply_notify(op->reply, "migration.progress", p);
	}
	progress_arm(op);
}

static void progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct migrate_op *op = arg;
	struct jsonrpc_error err = { 0 };

	if (op->finished || op->polling)
		return;
	if (op->answer_lost && settle_lost_answer(op, NULL))
		return;
	if (monitor_call_async(op->vm->d, op->vm, "monitor.info", NULL,
			       PROGRESS_TIMEOUT_MS, info_done, op, &err)) {
		jsonrpc_error_clear(&err);
		progress_arm(op);
		return;
	}
	op->polling = true;
}

static void progress_arm(struct migrate_op *op)
{
	struct timeval tv = { 0, PROGRESS_MS * 1000 };

	if (!op->progress_ev)
		op->progress_ev = evtimer_new(op->vm->d->base, progress_cb, op);
	if (op->progress_ev)
		evtimer_add(op->progress_ev, &tv);
}

/* The destination is ready: the monitor takes the socket from here. */
static void hand_over(int fd, const char *why, void *arg)
{
	struct migrate_op *op = arg;
	struct jsonrpc_error err = { 0 };
	char hex[MIGRATION_TOKEN_HEX + 1];
	json_t *params;
	int rc;

	op->dial = NULL;
	if (fd < 0) {
		fail_early(op, SKIFF_ERR_SYSTEM, "%s", why);
		return;
	}
	if (migration_socket_for_monitor(fd)) {
		fail_early(op, SKIFF_ERR_SYSTEM, "%s", strerror(errno));
		close(fd);
		return;
	}
	migration_token_hex(op->token, hex);
	/* the destination's log of the VM goes on from ours */
	params = json_pack("{s:s,s:f,s:f,s:I}", "token", hex,
			   "downtime_ms", op->downtime_ms,
			   "bandwidth_mib_s", op->bandwidth, "console_offset",
			   (json_int_t)op->vm->run_console_offset);
	sodium_memzero(hex, sizeof(hex));
	if (op->max_rounds)
		json_object_set_new(params, "max_rounds",
				    json_integer((json_int_t)op->max_rounds));
	op->in_monitor = true;
	rc = monitor_call_async_fd(op->vm->d, op->vm, "monitor.migrate",
				   params, fd, MIGRATE_TIMEOUT_MS,
				   migrate_done, op, &err);
	json_decref(params);
	/* The monitor call keeps its own copy until the line is out. */
	close(fd);
	if (rc) {
		op->in_monitor = false;
		fail_early(op, err.code, "%s", err.message);
		jsonrpc_error_clear(&err);
		return;
	}
	log_info("vm %s: migration to %s: the destination is ready; pre-copy starts",
		 op->vm->def.name, op->dest);
	progress_arm(op);
}

static bool may_migrate(struct vm *vm, struct jsonrpc_error *err)
{
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		return true;
	jsonrpc_error_set(err, SKIFF_ERR_ILLEGAL_STATE,
			  "vm %s: cannot migrate: vm is %s (allowed when running or paused)",
			  vm->def.name, vm_state_name(vm->state));
	err->data = json_pack("{s:s,s:s}", "state", vm_state_name(vm->state),
			      "operation", "migrate");
	return false;
}

/* Its turn: check the state again, and connect. */
static void migrate_run(struct vm_job *job, struct vm *vm, bool cancelled)
{
	struct migrate_op *op = (struct migrate_op *)job;
	struct jsonrpc_error err = { 0 };
	char why[300];
	json_t *def;

	op->vm = vm;
	if (cancelled) {
		fail_early(op, SKIFF_ERR_SYSTEM, "skiffd is shutting down");
		return;
	}
	if (!may_migrate(vm, &err)) {
		op_finish(op, NULL, &err);
		jsonrpc_error_clear(&err);
		return;
	}
	op->started = now_monotonic();
	def = vm_def_to_json(&vm->def);
	op->dial = migration_dial_start(vm->d->base,
					(struct sockaddr *)&op->ss, op->sslen,
					op->token, def, hand_over, op, why,
					sizeof(why));
	json_decref(def);
	if (!op->dial) {
		fail_early(op, SKIFF_ERR_SYSTEM, "%s", why);
		return;
	}
	log_info("vm %s: migration to %s: connecting", vm->def.name, op->dest);
}

static int parse_params(json_t *p, struct migrate_op *op,
			struct jsonrpc_error *err)
{
	const char *dest, *token;
	char why[160];

	op->downtime_ms = 5;
	if (rpc_param_string(p, "destination", true, MIGRATION_ADDR_MAX - 1,
			     &dest, err) ||
	    rpc_param_string(p, "token", true, MIGRATION_TOKEN_HEX, &token,
			     err) ||
	    rpc_param_number(p, "downtime_ms", false, 0, 60000,
			     &op->downtime_ms, err) < 0 ||
	    rpc_param_number(p, "bandwidth_mib_s", false, 0, 1e6,
			     &op->bandwidth, err) < 0 ||
	    rpc_param_u64(p, "max_rounds", false, 1, 1000, &op->max_rounds,
			  err) < 0)
		return -1;
	if (migration_addr_parse(dest, false, &op->ss, &op->sslen, why,
				 sizeof(why)))
		return rpc_params_error(err, "destination", "%s", why);
	if (migration_token_parse(token, op->token))
		return rpc_params_error(err, "token",
					"expected %d hex digits",
					MIGRATION_TOKEN_HEX);
	snprintf(op->dest, sizeof(op->dest), "%s", dest);
	return 0;
}

json_t *method_vm_migrate(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err)
{
	struct migrate_op *op = calloc(1, sizeof(*op));
	struct vm *vm;

	if (!op) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	if (parse_params(p, op, err))
		goto fail;
	vm = vm_param_managed(c, p, err);
	if (!vm || !may_migrate(vm, err))
		goto fail;
	if (migration_outgoing(vm)) {
		jsonrpc_error_set(err, SKIFF_ERR_ILLEGAL_STATE,
				  "vm %s: cannot migrate: a migration of it is running",
				  vm->def.name);
		goto fail;
	}
	op->reply = rpc_defer(c);
	if (!op->reply) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		goto fail;
	}
	op->vm = vm;
	op->next = outgoing;
	outgoing = op;
	op->job.run = migrate_run;
	vm_job_submit(vm, &op->job);
	return NULL;
fail:
	sodium_memzero(op->token, sizeof(op->token));
	free(op);
	return NULL;
}
