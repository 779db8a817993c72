/* SPDX-License-Identifier: ISC */
/*
 * Live migration between two skiffds (docs/migration.md, "Live
 * migration: the daemons"). The monitors move the guest; the daemons
 * agree on it first:
 *
 *   destination                              source
 *   migration.prepare -> ADDR:PORT, token
 *                                            vm.migrate NAME ADDR:PORT token
 *   accept <------------- TCP ----------------- connect
 *   read the handshake <-- hello, definition, end (keyed by the token)
 *   register NAME "incoming", spawn          monitor.migrate with the socket
 *   skiff-monitor --incoming=@FD  <== the monitors' stream ==  skiff-monitor
 *
 * One file per job: migration_addr.c (addresses, tokens),
 * migration_handshake.c (the handshake stream), migration_dial.c (the
 * source's connection and handshake), migration_map.c (device mappings),
 * migration_prepare.c (the destination), migration_send.c (the source's
 * vm.migrate), migration_hooks.c (what the rest of skiffd asks).
 */
#ifndef SKIFF_DAEMON_MIGRATION_H
#define SKIFF_DAEMON_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>

#include "skiffd.h"

#define MIGRATION_TOKEN_BYTES	32
#define MIGRATION_TOKEN_HEX	64
#define MIGRATION_DEFAULT_PORT	7460
#define MIGRATION_DEFAULT_LISTEN "0.0.0.0:7460"
#define MIGRATION_EXPIRE_DEFAULT 300
#define MIGRATION_EXPIRE_MAX	86400
/* ADDR:PORT with an IPv6 address in brackets, and its NUL. */
#define MIGRATION_ADDR_MAX	64

/* --- migration_addr.c ------------------------------------------------------ */
/*
 * migration_addr_parse - "ADDR:PORT" (IPv4, or [IPv6]:PORT) into @ss.
 * Numeric addresses only: no name lookup on the event loop. @port_zero:
 * may the port be 0 (prepare's "pick a free one")? Returns 0, or -1
 * with @why ("expected ADDR:PORT", "port 70000 out of range", ...).
 */
int migration_addr_parse(const char *s, bool port_zero,
			 struct sockaddr_storage *ss, socklen_t *len,
			 char *why, size_t whylen);
/* "ADDR:PORT" of @sa; 0, or -1. */
int migration_addr_format(const struct sockaddr *sa, char *out, size_t len);
/* The port of @sa (host order). */
unsigned int migration_addr_port(const struct sockaddr *sa);

/* 64 lower-case hex digits and a NUL. */
void migration_token_hex(const uint8_t *tok, char *hex);
/* Exactly 64 hex digits (either case) into 32 bytes; 0, or -1. */
int migration_token_parse(const char *hex, uint8_t *tok);
/* Constant-time comparison of two tokens. */
bool migration_token_equal(const uint8_t *a, const uint8_t *b);

#define MIGRATION_USER_TIMEOUT_MS 30000
/* The socket as a monitor takes it (both sides); 0, or -1 with errno. */
int migration_socket_for_monitor(int fd);

/* --- migration_handshake.c ------------------------------------------------- */
/*
 * migration_handshake_encode - the daemons' handshake: a stream to the
 * destination keyed by @token holding @def (the VM's definition) alone:
 * hello, definition, end. *out is malloc'd. 0, or -1 with @why.
 */
int migration_handshake_encode(json_t *def, const uint8_t *token,
			       uint8_t **out, size_t *len, char *why,
			       size_t whylen);

struct migration_hs;
struct migration_hs *migration_hs_new(const uint8_t *token);
void migration_hs_free(struct migration_hs *hs);
/*
 * How many bytes to read next; 0 when the handshake is over (done or
 * failed). Reading no more than this never takes a byte of the
 * monitors' stream that follows on the same connection.
 */
size_t migration_hs_want(const struct migration_hs *hs);
/* Push bytes; 0, or -1 (migration_hs_error() says why). */
int migration_hs_feed(struct migration_hs *hs, const void *data, size_t len);
bool migration_hs_done(const struct migration_hs *hs);
/* Bytes fed so far: none is authenticated before the first record. */
uint64_t migration_hs_bytes(const struct migration_hs *hs);
const char *migration_hs_error(const struct migration_hs *hs);
/* The definition, parsed but not validated (NULL until done); borrowed. */
json_t *migration_hs_definition(const struct migration_hs *hs);

/* --- migration_dial.c: the source's side of the handshake ----------------- */
/*
 * How a dial ends: @fd, the connected socket (the caller's; the monitors'
 * stream not yet begun), or -1 and @why ("connecting: Connection
 * refused", "the destination refused: ...").
 */
typedef void (*migration_dial_fn)(int fd, const char *why, void *arg);
struct migration_dial;
/*
 * migration_dial_start - connect to @sa, send the handshake holding @def
 * keyed by @token, read the destination's answer; @cb runs once, from the
 * loop. NULL (and @cb never runs) with @why if it cannot even start.
 */
struct migration_dial *migration_dial_start(struct event_base *base,
					    const struct sockaddr *sa,
					    socklen_t salen,
					    const uint8_t *token, json_t *def,
					    migration_dial_fn cb, void *arg,
					    char *why, size_t whylen);
/* Stop a dial in flight; its callback never runs. */
void migration_dial_cancel(struct migration_dial *dl);

/* --- migration_map.c -------------------------------------------------------- */
struct migration_map_entry {
	char name[VM_DEV_NAME_MAX + 1];
	char *to;			/* a path (block) or a tap (net) */
};

struct migration_map {
	unsigned int nblock, nnet;
	struct migration_map_entry block[VM_DEV_MAX];
	struct migration_map_entry net[VM_DEV_MAX];
};

/*
 * migration_map_parse - prepare's "map_block" {NAME: PATH} (absolute
 * paths) and "map_net" {NAME: TAP} (interface names), either NULL.
 * 0, or -1 with invalid params naming the field.
 */
int migration_map_parse(json_t *block, json_t *net, struct migration_map *m,
			struct jsonrpc_error *err);
/*
 * migration_map_apply - point @def's disks and taps where @m says; a
 * disk without a mapping keeps its path (shared storage), a net device
 * its tap name, each its MAC. A mapping for a device the VM lacks is an
 * error (a typo would otherwise go unnoticed). 0, or -1 with @err.
 */
int migration_map_apply(const struct migration_map *m, struct vm_def *def,
			struct jsonrpc_error *err);
void migration_map_free(struct migration_map *m);

/* --- migration_prepare.c, migration_send.c: the methods ---------------------- */
json_t *method_migration_prepare(struct rpc_call *c, json_t *p,
				 struct jsonrpc_error *err);
json_t *method_vm_migrate(struct rpc_call *c, json_t *p,
			  struct jsonrpc_error *err);
/*
 * migration_monitor_error - a failed monitor.migrate as vm.migrate tells
 * it: "vm NAME: monitor: WHY", with "(the guest runs on here)" while the
 * VM runs; "migration outcome unknown" stays -32001 without it (the
 * monitor keeps the guest paused: it may run on the destination).
 */
void migration_monitor_error(const struct vm *vm,
			     const struct jsonrpc_error *e,
			     struct jsonrpc_error *out);
/* Close every listener (skiffd shuts down). */
void migration_prepare_shutdown(struct skiffd *d);

/* --- migration_hooks.c: what the rest of skiffd asks ------------------------ */
/* Is @vm being migrated away? (migration_send.c keeps the list) */
bool migration_outgoing(const struct vm *vm);
/*
 * migration_refuse - fail @verb ("pause", "resume", "stop") of a VM
 * that is migrating away with SKIFF_ERR_ILLEGAL_STATE; 0 if it is not.
 */
int migration_refuse(const struct vm *vm, const char *verb,
		     struct jsonrpc_error *err);
/*
 * migration_monitor_ended - a VM's monitor ended in state @prev: one
 * that exited "migrated" runs elsewhere now, and an incoming one that
 * ended before it ran was never here; either is removed from the
 * registry and the state dir (soon, from the loop). True if so.
 */
bool migration_monitor_ended(struct skiffd *d, struct vm *vm,
			     enum vm_state prev);
/* Did @vm's last monitor write the status kind "migrated" (status 0)? */
bool migration_exited_migrated(struct skiffd *d, struct vm *vm);
/* skiffd shuts down: drop the migrations not yet in a monitor's hands. */
void migration_send_shutdown(struct skiffd *d);

#endif
