/* SPDX-License-Identifier: ISC */
/*
 * skiffd: the interface between the files of daemon/.
 *
 * One process per host. A libevent loop serves JSON-RPC 2.0 on a Unix
 * socket (rpc_server.c), keeps the VM registry (vm_registry.c) persisted
 * in the state dir (persist.c), runs one skiff-monitor per VM
 * (monitor_spawn.c), watches and talks to them (monitor_watch.c,
 * monitor_client.c), follows their console logs (console_log.c) and
 * tells subscribers (events.c). After a restart it re-adopts the
 * monitors that kept running (adopt.c).
 *
 * Nothing waits for a monitor: calls to one complete through callbacks
 * (monitor_call_async), methods that need its answer defer theirs
 * (rpc_defer), and the steps that change a guest queue per VM
 * (vm_jobs.c). docs/api.md says what clients see of it.
 */
#ifndef SKIFF_DAEMON_SKIFFD_H
#define SKIFF_DAEMON_SKIFFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <event2/event.h>
#include <jansson.h>

#include "jsonrpc.h"

#define VM_NAME_MAX		32
#define VM_DEV_NAME_MAX		32
#define VM_DEV_MAX		8
#define VM_ARGS_MAX		64
#define VM_ARG_LEN_MAX		4096
#define VM_PATH_MAX		1024
#define VM_DEVICE_PATH_MAX	255
#define SKIFFD_DEVICES_MAX	8
#define VM_MEM_MIN_MIB		2
#define VM_MEM_MAX_MIB		4096
#define VM_MEM_DEFAULT_MIB	32
#define PEER_GROUPS_MAX		64

/* --- config.c: defaults, config file, command line ---------------------- */
struct skiffd_config {
	char config_path[VM_PATH_MAX];
	char socket_path[108];
	char state_dir[VM_PATH_MAX];
	char run_dir[VM_PATH_MAX];
	char monitor_path[VM_PATH_MAX];
	char device[VM_DEVICE_PATH_MAX + 1];
	/* The devices a VM may name; always holds @device. */
	char devices[SKIFFD_DEVICES_MAX][VM_DEVICE_PATH_MAX + 1];
	unsigned int ndevices;
	char socket_group[64];
	unsigned int socket_mode;
	uint64_t console_max_bytes;
	uint64_t max_line;
	unsigned int max_vms;
	unsigned int max_clients;
	uint64_t guest_mem_mib;	/* active guests' memory; 0: no cap */
	double stop_timeout;
	double start_timeout;
	double monitor_timeout;	/* pause/resume: a monitor's answer */
	bool foreground;
	bool print_methods;
	bool verbose;
};

/*
 * config_load - fill @cfg from the defaults, then the config file (the
 * one named by --config, else /etc/skiff/skiffd.conf if it exists), then
 * the command line. Returns 0, 1 when the program should exit 0
 * (--help, --version), or -1 after printing a one-line error.
 */
int config_load(struct skiffd_config *cfg, int argc, char **argv);
/* The wait for monitor calls that change a guest (monitor_timeout). */
int config_monitor_timeout_ms(const struct skiffd_config *cfg);
/*
 * The wait for a monitor.snapshot of @mem_mib of guest memory, and for a
 * restore's control socket beyond start_timeout: monitor_timeout plus a
 * second per 32 MiB, at least SNAPSHOT_TIMEOUT_MIN_MS.
 */
#define SNAPSHOT_TIMEOUT_MIN_MS	30000
int config_snapshot_timeout_ms(const struct skiffd_config *cfg,
			       uint64_t mem_mib);

/* --- log.c ---------------------------------------------------------------- */
void log_init(bool to_syslog, bool verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- peer_auth.c: who is on the other end, and files opened as them ---- */
struct peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[PEER_GROUPS_MAX];
};

/* Read SO_PEERCRED and the peer's supplementary groups. */
int peer_cred_get(int fd, struct peer_cred *pc);
/* Is the peer allowed to use the API at all (root, our uid, the group)? */
bool peer_allowed(const struct peer_cred *pc, gid_t socket_gid);
/*
 * peer_open - open @path with @flags using the file-system credentials
 * of @pc (fsuid, fsgid, supplementary groups), so the daemon opens only
 * what the peer could open itself. Returns the fd or -1 with errno.
 */
int peer_open(const struct peer_cred *pc, const char *path, int flags);
/* The same with O_CREAT and @mode: the file belongs to the peer. */
int peer_create(const struct peer_cred *pc, const char *path, int flags,
		mode_t mode);
/* unlink(@path) with the peer's file-system credentials; 0 or -1. */
int peer_unlink(const struct peer_cred *pc, const char *path);
json_t *peer_cred_json(const struct peer_cred *pc);
/*
 * peer_may_manage - may @pc act on a VM owned by @owner (start, stop,
 * kill, pause, resume, delete, read its console)? Root, skiffd's own
 * user and the owner may; other members of the socket's group may only
 * look (vm.list, vm.info, state events).
 */
bool peer_may_manage(const struct peer_cred *pc,
		     const struct peer_cred *owner);
int peer_cred_from_json(json_t *j, struct peer_cred *pc);

/* --- vm_state.c: the lifecycle -------------------------------------------- */
enum vm_state {
	VM_DEFINED,
	VM_STARTING,
	VM_RUNNING,
	VM_PAUSED,
	VM_STOPPED,
	VM_CRASHED,
	VM_INCOMING,		/* a live migration to this host, not run yet */
	VM_STATE_COUNT,
};

enum vm_op {
	VM_OP_START,
	VM_OP_STOP,
	VM_OP_KILL,
	VM_OP_PAUSE,
	VM_OP_RESUME,
	VM_OP_DELETE,
	VM_OP_CONSOLE,
	VM_OP_SNAPSHOT,
};

const char *vm_state_name(enum vm_state s);
int vm_state_parse(const char *s, enum vm_state *out);
/* Has a monitor process (starting, running, paused). */
bool vm_state_active(enum vm_state s);
/*
 * vm_state_check - may @op run in state @s? Returns 0, or -1 with
 * SKIFF_ERR_ILLEGAL_STATE naming the VM, the operation, the current
 * state and the states that allow it.
 */
int vm_state_check(const char *name, enum vm_state s, enum vm_op op,
		   struct jsonrpc_error *err);

/* --- vm_def.c: a VM's definition, validated ------------------------------- */
struct vm_block {
	char name[VM_DEV_NAME_MAX + 1];
	char *path;
};

struct vm_net {
	char name[VM_DEV_NAME_MAX + 1];
	char *tap;
	char mac[18];
};

struct vm_def {
	char name[VM_NAME_MAX + 1];
	char *kernel;
	char *device;			/* NULL until vm_device_default() */
	uint64_t mem_mib;
	int argc;
	char **argv;
	int nblock;
	struct vm_block block[VM_DEV_MAX];
	int nnet;
	struct vm_net net[VM_DEV_MAX];
	bool autostart;
	double created_at;
	struct peer_cred owner;
};

bool vm_name_valid(const char *name);
/* Build a definition from vm.create params; errors name the field. */
int vm_def_from_params(json_t *params, struct vm_def *def,
		       struct jsonrpc_error *err);
json_t *vm_def_to_json(const struct vm_def *def);
/* Parse a stored definition (same validation as vm.create). */
int vm_def_from_json(json_t *j, struct vm_def *def,
		     struct jsonrpc_error *err);
void vm_def_free(struct vm_def *def);

/* --- vm_device.c: the KVM-compatible device a VM runs on ----------------- */
/* An absolute path of at most VM_DEVICE_PATH_MAX bytes, no control chars. */
bool vm_device_path_valid(const char *path);
/* Give @def the daemon's configured device if it names none; 0 or -1. */
int vm_device_default(const struct skiffd_config *cfg, struct vm_def *def);
/*
 * vm_device_check - is @def's device in the operator's allow-list? The
 * monitor opens it as root, so nothing else may be. Returns 0, or -1
 * with SKIFF_ERR_ACCESS "vm NAME: device PATH: not allowed (allowed:
 * ...)".
 */
int vm_device_check(const struct skiffd_config *cfg,
		    const struct vm_def *def, struct jsonrpc_error *err);

/* --- vm_registry.c -------------------------------------------------------- */
struct console_log {
	int fd;			/* O_RDONLY on the live file, or -1 */
	int wd;			/* inotify watch, or -1 */
	uint64_t base;		/* logical offset of the live file's byte 0 */
	uint64_t sent;		/* logical offset told to subscribers */
};

struct monitor_conn;
struct refresh_waiter;

/*
 * vm_jobs.c: the jobs that hold a conversation with a VM's monitor and
 * change what it does (vm.pause, vm.resume, a console rotation's
 * pause-rotate-resume) run one at a time per VM, in arrival order; each
 * checks the VM's state when its turn comes. @run starts it; it ends
 * with vm_job_done(), now or from a later callback. @cancelled: the VM
 * is going away (skiffd shuts down): report and end, touch nothing.
 */
struct vm;

/*
 * A VM's observer (vm.restore's, until the restore is over): called at
 * the end of every state change with the previous state, and once from
 * vm_remove() with @removed set, when the VM is about to be freed (then
 * no longer observed). It must not remove the VM: its caller goes on
 * using it.
 */
typedef void (*vm_observer_fn)(struct vm *vm, enum vm_state prev,
			       bool removed, void *arg);

struct vm_job {
	struct vm_job *next;
	void (*run)(struct vm_job *job, struct vm *vm, bool cancelled);
};

void vm_job_submit(struct vm *vm, struct vm_job *job);
/* The running op (the queue's head) is over: start the next one. */
void vm_job_done(struct vm *vm);
/* Is a job running or waiting? */
bool vm_job_busy(struct vm *vm);

struct vm {
	struct vm *next;
	struct skiffd *d;
	struct vm_def def;
	enum vm_state state;
	pid_t pid;
	unsigned long long pid_start;
	int pidfd;
	struct event *pidfd_ev;
	struct event *timer;		/* readiness polling, stop timeout */
	struct monitor_conn *mon;
	struct vm_job *jobs;		/* running job first, then waiting ones */
	bool removing;			/* vm_remove(): jobs are cancelled */
	bool refreshing;		/* a monitor.info is in flight */
	struct refresh_waiter *refresh_waiters;
	double refresh_failed_at;	/* monotonic; 0: last one answered */
	bool is_child;
	bool stop_requested;
	bool kill_requested;
	bool adopted;
	double started_at;
	double stopped_at;
	double ready_deadline;
	bool has_exit;
	int exit_status;
	int exit_signal;
	char reason[256];
	unsigned int start_count;
	json_t *counters;		/* last counters read from the monitor */
	double counters_at;		/* when (realtime), 0: never */
	struct console_log console;
	struct vm_job rotate_job;	/* console_log.c */
	bool rotating;
	uint64_t run_console_offset;	/* log offset at the last start */
	bool migrating;			/* monitor.info had a "migration" */
	vm_observer_fn observer;	/* see vm_observe() */
	void *observer_arg;
};

struct skiffd;

struct vm *vm_find(struct skiffd *d, const char *name);
/* Find or fail with SKIFF_ERR_NOT_FOUND "vm NAME: no such vm". */
struct vm *vm_lookup(struct skiffd *d, const char *name,
		     struct jsonrpc_error *err);
struct vm *vm_add(struct skiffd *d, struct vm_def *def);
/* vm_add, saved and announced (vm.created); frees @def on failure. */
struct vm *vm_register(struct skiffd *d, struct vm_def *def,
		       const struct peer_cred *owner, enum vm_state state,
		       struct jsonrpc_error *err);
void vm_remove(struct skiffd *d, struct vm *vm);
unsigned int vm_count(struct skiffd *d);
/* Change state, persist it, and tell subscribers and the observer. */
void vm_set_state(struct skiffd *d, struct vm *vm, enum vm_state s);
/* Set (or with NULL, clear) the VM's one observer. */
void vm_observe(struct vm *vm, vm_observer_fn fn, void *arg);
json_t *vm_summary_json(struct vm *vm);
json_t *vm_info_json(struct skiffd *d, struct vm *vm);

/* --- persist.c: atomic files in the state and runtime dirs ---------------- */
/* Write @data to DIR/NAME via a temp file, fsync, rename, fsync(DIR). */
int persist_write_atomic(const char *dir, const char *name, const char *data,
			 size_t len);
int persist_mkdir_p(const char *path, mode_t mode);
int persist_vm_dir(struct skiffd *d, const char *name, char *out,
		   size_t outlen);
int persist_run_dir(struct skiffd *d, const char *name, char *out,
		    size_t outlen);
int persist_save_def(struct skiffd *d, struct vm *vm);
int persist_save_state(struct skiffd *d, struct vm *vm);
int persist_save_runtime(struct skiffd *d, struct vm *vm);
void persist_remove_runtime(struct skiffd *d, struct vm *vm);
int persist_remove_vm(struct skiffd *d, const char *name);
/* Load every stored VM into the registry (state from state.json). */
int persist_load_all(struct skiffd *d);
json_t *persist_read_json(const char *dir, const char *name);

/* --- console_log.c ---------------------------------------------------------- */
/* Open the live log for appending (for the monitor's stdout). */
int console_open_append(struct skiffd *d, struct vm *vm);
int console_attach(struct skiffd *d, struct vm *vm);
void console_detach(struct skiffd *d, struct vm *vm);
uint64_t console_end(struct skiffd *d, struct vm *vm);
/* An incoming migration's log: its offsets go on from the source's @origin. */
void console_rebase(struct skiffd *d, struct vm *vm, uint64_t origin);
/* Read up to @max bytes from logical @offset; see vm.console. */
json_t *console_read(struct skiffd *d, struct vm *vm, uint64_t offset,
		     uint64_t max, struct jsonrpc_error *err);
/* Send new bytes to subscribers and enforce the size cap. */
void console_pump(struct skiffd *d, struct vm *vm);
int console_watch_init(struct skiffd *d);

/* --- snapshot_read.c: the definition at the head of a snapshot file ---- */
/*
 * How far into a file vm.restore looks for the definition. The codec
 * hands a section over once its record (up to 1088 KiB) is complete, and
 * a monitor's first record holds the config, the definition and the
 * first megabyte of memory: skiffd reads about that much.
 */
#define SNAPSHOT_DEF_SEARCH_MAX	(4u << 20)
/*
 * snapshot_read_definition - read the snapshot file @fd (a plaintext
 * migration stream) from its current offset until its definition
 * section, and no further, and parse the definition as JSON. Returns the
 * object (not validated: that is vm_def_from_params()'s), or NULL with
 * @why ("not a skiff snapshot: ...", "truncated, or not a snapshot:
 * ...", "its definition is not JSON: ...").
 */
json_t *snapshot_read_definition(int fd, char *why, size_t len);

/* --- monitor_spawn.c -------------------------------------------------------- */
/*
 * @incoming_fd: a snapshot to restore or a migration's socket
 * (--incoming), or -1 to boot; @token_fd: with a socket, the pipe that
 * holds the migration's token (--incoming-token), else -1.
 */
int monitor_spawn(struct skiffd *d, struct vm *vm, int incoming_fd,
		  int token_fd, struct jsonrpc_error *err);

/* --- monitor_client.c: the monitor's control socket, asynchronous ------ */
/*
 * monitor_done_fn - how a monitor call ends: @result (borrowed; NULL on
 * failure) or @err ("vm NAME: METHOD: why"; cleared after the call).
 * Called exactly once per accepted call, from the event loop, possibly
 * from within monitor_disconnect() (the VM is still valid then).
 */
typedef void (*monitor_done_fn)(struct vm *vm, json_t *result,
				struct jsonrpc_error *err, void *arg);
/*
 * monitor_call_async - send @method (with @params, borrowed, or NULL) to
 * the VM's monitor, connecting if needed, and return at once. @cb runs
 * when the answer comes, after @timeout_ms ("timed out after N s"; the
 * connection is then reset), or when the connection ends. Returns 0, or
 * -1 with @err set if the call could not even be sent; @cb is then never
 * called.
 */
int monitor_call_async(struct skiffd *d, struct vm *vm, const char *method,
		       json_t *params, int timeout_ms, monitor_done_fn cb,
		       void *arg, struct jsonrpc_error *err);
/*
 * monitor_call_async_fd - the same, with @fd (borrowed: the call keeps
 * its own copy until the line is out) attached to the request line by
 * SCM_RIGHTS. The line leaves in order with the calls around it.
 */
int monitor_call_async_fd(struct skiffd *d, struct vm *vm, const char *method,
			  json_t *params, int fd, int timeout_ms,
			  monitor_done_fn cb, void *arg,
			  struct jsonrpc_error *err);
/* Fail every outstanding call ("the monitor connection was closed"). */
void monitor_disconnect(struct vm *vm);
/* The same, with @why as the reason the calls fail. */
void monitor_disconnect_reason(struct vm *vm, const char *why);
/* Connect to the control socket if not yet connected; 0 or -1. */
int monitor_connect(struct skiffd *d, struct vm *vm);

/*
 * vm.info reads counters at most COUNTERS_MAX_AGE old, so a busy API
 * does not turn every call into a round trip to the monitor; a monitor
 * that failed to answer is not asked again within that time either.
 */
#define COUNTERS_MAX_AGE	1.0
#define MONITOR_INFO_TIMEOUT_MS	250
/* @info is NULL if the monitor did not answer. */
typedef void (*monitor_refresh_fn)(struct vm *vm, json_t *info, void *arg);
/*
 * monitor_refresh_async - ask monitor.info (one at a time per VM; a
 * second asker joins the call in flight), take its counters and its word
 * on running/paused, then call @cb (if not NULL). Returns 0, or -1 if
 * the call could not be sent (@cb is then not called).
 */
int monitor_refresh_async(struct skiffd *d, struct vm *vm,
			  monitor_refresh_fn cb, void *arg);
/* Should vm.info ask the monitor for fresh counters before answering? */
bool monitor_counters_stale(struct vm *vm);

/* --- monitor_watch.c: readiness, exit, stop timeouts ----------------------- */
int monitor_watch(struct skiffd *d, struct vm *vm);
void monitor_unwatch(struct vm *vm);
/* Schedule readiness polling after a spawn or an adoption. */
void monitor_wait_ready(struct skiffd *d, struct vm *vm);
/* SIGTERM now, SIGKILL after the stop timeout. */
int monitor_stop(struct skiffd *d, struct vm *vm, double timeout,
		 struct jsonrpc_error *err);
int monitor_kill(struct skiffd *d, struct vm *vm, struct jsonrpc_error *err);
/* running or paused, as monitor.info's "state" says. */
enum vm_state monitor_info_state(json_t *info);
/* Record how the monitor ended (wait status if known, status file). */
void monitor_ended(struct skiffd *d, struct vm *vm, bool have_wstatus,
		   int wstatus);
/* /proc/PID/stat start time, 0 if the process is gone. */
unsigned long long proc_start_time(pid_t pid);

/* --- adopt.c: monitors left by a previous skiffd ------------------------- */
void adopt_all(struct skiffd *d);

/* --- events.c ------------------------------------------------------------- */
struct rpc_conn;
int events_subscribe(struct skiffd *d, struct rpc_conn *c, json_t *params,
		     struct jsonrpc_error *err);
void events_unsubscribe(struct skiffd *d, struct rpc_conn *c);
void events_state(struct skiffd *d, struct vm *vm, enum vm_state previous);
void events_console(struct skiffd *d, struct vm *vm, uint64_t offset,
		    const char *buf, size_t len);
void events_vm(struct skiffd *d, const char *what, const char *name);
bool events_want_console(struct skiffd *d, struct vm *vm);

/* --- rpc_server.c ----------------------------------------------------------- */
struct rpc_server;
struct rpc_wait;
struct rpc_reply;
struct rpc_call {
	struct skiffd *d;
	struct rpc_conn *conn;
	const struct peer_cred *peer;
	/* rpc_server.c's own: where the answer goes. */
	struct rpc_wait *wait;
	size_t slot;
	json_t *id;			/* NULL for a notification */
	struct rpc_reply *deferred;
};

/*
 * rpc_defer - answer this call later. The method then returns NULL (its
 * error unset) and completes the reply exactly once, with
 * rpc_reply_result() or rpc_reply_error(), from a later callback or even
 * before it returns. The client's next line waits until then (see
 * rpc_server.c); if the client has gone, the answer is dropped. NULL if
 * out of memory: the method fails the call instead.
 */
struct rpc_reply *rpc_defer(struct rpc_call *call);
/* Steals @result (NULL: an empty object). */
void rpc_reply_result(struct rpc_reply *r, json_t *result);
/* Copies the message, steals @err's data. */
void rpc_reply_error(struct rpc_reply *r, struct jsonrpc_error *err);
/*
 * rpc_reply_notify - before the answer, send the caller a notification
 * (steals @params). False if the client has gone: the work goes on.
 */
bool rpc_reply_notify(struct rpc_reply *r, const char *method,
		      json_t *params);

int rpc_server_start(struct skiffd *d);
void rpc_server_stop(struct skiffd *d);
/*
 * Send a line to @c: now as far as the socket takes it, the rest queued.
 * False if the client is too far behind (then dropped) or closing.
 */
bool rpc_conn_send(struct rpc_conn *c, const char *line, size_t len);
const struct peer_cred *rpc_conn_peer(struct rpc_conn *c);
unsigned int rpc_client_count(struct skiffd *d);

/* --- methods.c: the method table ------------------------------------------ */
typedef json_t *(*rpc_handler)(struct rpc_call *call, json_t *params,
			       struct jsonrpc_error *err);
struct rpc_method {
	const char *name;
	rpc_handler fn;
	const char *const *params;	/* NULL-terminated names */
};

const struct rpc_method *rpc_method_find(const char *name);
const struct rpc_method *rpc_methods(size_t *count);
json_t *rpc_methods_json(void);

/* methods_vm.c's helpers, shared with methods_snapshot.c */
/* The VM named by @p's "name", if the caller may act on it. */
struct vm *vm_param_managed(struct rpc_call *c, json_t *p,
			    struct jsonrpc_error *err);
/*
 * vm_def_check_files - may @peer open every file @def names (the kernel
 * read-only, the disks read-write) and attach its taps (root only)?
 * Returns 0, or -1 with SKIFF_ERR_ACCESS naming the file.
 */
int vm_def_check_files(const struct vm_def *def, const struct peer_cred *peer,
		       struct jsonrpc_error *err);

/*
 * snapshot_path_param - @p's "path": an absolute path of at most
 * VM_PATH_MAX bytes without control characters (vm.snapshot, vm.restore).
 */
int snapshot_path_param(json_t *p, const char **path,
			struct jsonrpc_error *err);

/* methods_daemon.c, methods_vm.c, methods_snapshot.c, methods_restore.c */
json_t *method_daemon_info(struct rpc_call *c, json_t *p,
			   struct jsonrpc_error *err);
json_t *method_vm_create(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err);
json_t *method_vm_start(struct rpc_call *c, json_t *p,
			struct jsonrpc_error *err);
json_t *method_vm_stop(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err);
json_t *method_vm_kill(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err);
json_t *method_vm_pause(struct rpc_call *c, json_t *p,
			struct jsonrpc_error *err);
json_t *method_vm_resume(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err);
json_t *method_vm_delete(struct rpc_call *c, json_t *p,
			 struct jsonrpc_error *err);
json_t *method_vm_list(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err);
json_t *method_vm_info(struct rpc_call *c, json_t *p,
		       struct jsonrpc_error *err);
json_t *method_vm_console(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err);
json_t *method_vm_snapshot(struct rpc_call *c, json_t *p,
			   struct jsonrpc_error *err);
json_t *method_vm_restore(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err);
json_t *method_events_subscribe(struct rpc_call *c, json_t *p,
				struct jsonrpc_error *err);

/* vm_start.c: open files as the owner, spawn, watch (vm.start, autostart) */
int vm_start(struct skiffd *d, struct vm *vm, struct jsonrpc_error *err);
/*
 * vm_start_incoming - the same, but the monitor restores the snapshot in
 * @fd (borrowed) instead of booting, and has longer to get ready
 * (config_snapshot_timeout_ms() on top of start_timeout).
 */
int vm_start_incoming(struct skiffd *d, struct vm *vm, int fd,
		      struct jsonrpc_error *err);
/*
 * vm_start_migration - the monitor of an incoming live migration: it
 * reads the source's stream on the socket @sock with the token in the
 * pipe @token_fd (both borrowed). The VM is "incoming" until the guest
 * runs here, however long the pre-copy takes.
 */
int vm_start_migration(struct skiffd *d, struct vm *vm, int sock,
		       int token_fd, struct jsonrpc_error *err);
/*
 * vm_mem_check - would @def's memory fit under guest_mem_mib (the
 * config's cap on the memory of this host's active guests; 0: none)?
 * 0, or -1 with SKIFF_ERR_LIMIT.
 */
int vm_mem_check(struct skiffd *d, const struct vm_def *def,
		 struct jsonrpc_error *err);
void vm_autostart_all(struct skiffd *d);

/* --- sd_integration.c -------------------------------------------------------- */
/* The socket systemd passed us, or -1. */
int sd_listen_socket(void);
void sd_ready(struct skiffd *d);
void sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sd_stopping(void);

/* --- the daemon ---------------------------------------------------------------- */
struct rpc_sub;

struct skiffd {
	struct skiffd_config cfg;
	struct event_base *base;
	struct vm *vms;
	unsigned int nvms;
	struct rpc_server *rpc;
	struct rpc_sub *subs;
	int inotify_fd;
	struct event *inotify_ev;
	struct event *tick_ev;
	struct event *watchdog_ev;
	struct event *sigterm_ev;
	struct event *sigint_ev;
	int lock_fd;
	gid_t socket_gid;
	double started_at;
	bool socket_activated;
};

double now_realtime(void);
double now_monotonic(void);

#endif
