/* SPDX-License-Identifier: ISC */
/*
 * migration.prepare: the destination's side of a live migration.
 *
 *   1. Draw a one-time token (randombytes), open a TCP listener on the
 *      event loop, answer {address, port, token, expires_at}.
 *   2. Each connection is read, never more than the handshake reader
 *      wants (migration_handshake.c), with a deadline. A connection
 *      that does not authenticate (wrong token, garbage, a scanner, a
 *      close) is logged and closed: the token stays, the listener stays.
 *   3. The first one that authenticates consumes the token: the
 *      listener closes. Its definition is checked as vm.create checks
 *      a client's (the VM belongs to the caller of migration.prepare),
 *      the device mappings applied, the name and the memory checked.
 *   4. The VM is recorded (persisted before the monitor exists, so a
 *      restarted skiffd finds it) and its monitor spawned with
 *      --incoming=@FD (this socket) and --incoming-token=@FD (a pipe):
 *      state "incoming" until the guest runs there, then "running".
 *   5. The source's daemon gets an ack stream keyed by the token:
 *      ack(0) once the monitor is started, ack(1, why) if anything
 *      above failed; only after ack(0) does it hand the socket to its
 *      monitor. A refused migration thus never touches the guest.
 *
 * The listener expires after expire_s; expiry closes it and any
 * half-read connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>
#include <sodium.h>

#include "migration.h"
#include "rpc_params.h"
#include "stream.h"

#define HANDSHAKE_TIMEOUT_S	10
#define INCOMING_MAX_PENDING	16

struct prepared;

struct pending {
	struct pending *next;
	struct prepared *p;
	int fd;
	struct event *ev;
	struct migration_hs *hs;
	char from[MIGRATION_ADDR_MAX];
};

struct prepared {
	struct prepared *next;
	struct skiffd *d;
	struct evconnlistener *lst;
	struct event *expire_ev;
	uint8_t token[MIGRATION_TOKEN_BYTES];
	struct migration_map map;
	struct peer_cred owner;
	char addr[MIGRATION_ADDR_MAX];
	struct sockaddr_storage ss;	/* where it listens */
	struct pending *pending;
	unsigned int npending;
};

static struct prepared *all_prepared;

static void pending_free(struct pending *c)
{
	struct pending **pp;

	for (pp = &c->p->pending; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->p->npending--;
	if (c->ev)
		event_free(c->ev);
	if (c->fd >= 0)
		close(c->fd);
	migration_hs_free(c->hs);
	free(c);
}

static void prepared_free(struct prepared *p)
{
	struct prepared **pp;

	for (pp = &all_prepared; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	while (p->pending)
		pending_free(p->pending);
	if (p->lst)
		evconnlistener_free(p->lst);
	if (p->expire_ev)
		event_free(p->expire_ev);
	migration_map_free(&p->map);
	sodium_memzero(p->token, sizeof(p->token));
	free(p);
}

void migration_prepare_shutdown(struct skiffd *d)
{
	while (all_prepared)
		prepared_free(all_prepared);
}

/* The answer to the source's daemon: an ack stream keyed by the token. */
static int out_fd_write(void *opaque, const void *data, size_t len)
{
	int fd = *(int *)opaque;
	const char *p = data;
	ssize_t n;

	/* A few hundred bytes into an idle socket: never more than a wait. */
	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void send_ack(int fd, const uint8_t *token, uint32_t status,
		     const char *msg)
{
	struct stream_writer_config wc = { out_fd_write, &fd, token,
					   STREAM_TO_SOURCE };
	struct stream_error e;
	struct stream_writer *w = stream_writer_new(&wc, &e);

	if (!w || stream_write_ack(w, status, msg) || stream_write_end(w))
		log_warn("migration: answering the source: %s",
			 w ? stream_writer_error(w) : e.msg);
	stream_writer_free(w);
}

/* MemAvailable, in MiB; 0 if unknown. */
static uint64_t host_mem_available_mib(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

static int check_memory(struct skiffd *d, const struct vm_def *def,
			struct jsonrpc_error *err)
{
	uint64_t avail = host_mem_available_mib();

	if (avail && def->mem_mib > avail)
		return jsonrpc_error_set(err, SKIFF_ERR_LIMIT,
			"vm %s: %llu MiB of guest memory, and this host has %llu MiB available",
			def->name, (unsigned long long)def->mem_mib,
			(unsigned long long)avail);
	return vm_mem_check(d, def, err);
}

/* The definition as vm.create would take it, mapped to this host. */
static int build_def(struct prepared *p, json_t *j, struct vm_def *def,
		     struct jsonrpc_error *err)
{
	struct skiffd *d = p->d;
	json_t *copy = json_deep_copy(j);

	/* The source's device node is its own: this host picks its own. */
	json_object_del(copy, "device");
	if (vm_def_from_params(copy, def, err)) {
		json_decref(copy);
		return -1;
	}
	json_decref(copy);
	if (migration_map_apply(&p->map, def, err))
		goto fail;
	if (vm_find(d, def->name)) {
		jsonrpc_error_set(err, SKIFF_ERR_EXISTS,
				  "vm %s: already exists on the destination",
				  def->name);
		goto fail;
	}
	if (d->nvms >= d->cfg.max_vms) {
		jsonrpc_error_set(err, SKIFF_ERR_LIMIT,
				  "vm %s: the limit of %u vms is reached",
				  def->name, d->cfg.max_vms);
		goto fail;
	}
	if (vm_device_default(&d->cfg, def)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "vm %s: %s",
				  def->name, strerror(errno));
		goto fail;
	}
	if (vm_device_check(&d->cfg, def, err) ||
	    vm_def_check_files(def, &p->owner, err) ||
	    check_memory(d, def, err))
		goto fail;
	return 0;
fail:
	vm_def_free(def);
	return -1;
}

/* A pipe holding the token in hex, for --incoming-token=@FD. */
static int token_pipe(const uint8_t *token)
{
	char hex[MIGRATION_TOKEN_HEX + 2];
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	migration_token_hex(token, hex);
	strcat(hex, "\n");
	if (write(fds[1], hex, strlen(hex)) != (ssize_t)strlen(hex)) {
		close(fds[0]);
		fds[0] = -1;
	}
	sodium_memzero(hex, sizeof(hex));
	close(fds[1]);
	return fds[0];
}

static int start_incoming(struct prepared *p, struct pending *c,
			  struct jsonrpc_error *err)
{
	struct skiffd *d = p->d;
	struct vm_def def;
	struct vm *vm;
	int tfd, rc;

	if (build_def(p, migration_hs_definition(c->hs), &def, err))
		return -1;
	/*
	 * Saved as "incoming" before its monitor exists: a skiffd restarted
	 * in between adopts the monitor, or, finding none, drops the VM.
	 */
	vm = vm_register(d, &def, &p->owner, VM_INCOMING, err);
	if (!vm)
		return -1;
	tfd = token_pipe(p->token);
	if (tfd < 0 || migration_socket_for_monitor(c->fd)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
				  "vm %s: incoming migration: %s",
				  vm->def.name, strerror(errno));
		rc = -1;
	} else {
		rc = vm_start_migration(d, vm, c->fd, tfd, err);
	}
	if (tfd >= 0)
		close(tfd);
	if (rc) {
		persist_remove_vm(d, vm->def.name);
		events_vm(d, "vm.deleted", vm->def.name);
		vm_remove(d, vm);
		return -1;
	}
	events_state(d, vm, VM_DEFINED);
	log_info("vm %s: incoming migration from %s: monitor pid %d",
		 vm->def.name, c->from, (int)vm->pid);
	return 0;
}

/* Authenticated: the token is spent. Start the VM or say why not. */
static void handshake_done(struct prepared *p, struct pending *c)
{
	struct jsonrpc_error err = { 0 };
	const char *msg;

	log_info("migration on %s: %s authenticated; the token is spent",
		 p->addr, c->from);
	evconnlistener_free(p->lst);
	p->lst = NULL;
	if (start_incoming(p, c, &err)) {
		msg = err.message;
		if (!strncmp(msg, "Invalid params: ", 16))
			msg += 16;
		log_err("incoming migration from %s refused: %s", c->from, msg);
		send_ack(c->fd, p->token, 1, msg);
		jsonrpc_error_clear(&err);
	} else {
		send_ack(c->fd, p->token, 0, "ready");
	}
	prepared_free(p);
}

static void pending_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *c = arg;
	uint8_t buf[4096];
	size_t want;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_warn("migration on %s: %s: no handshake within %d s; closed",
			 c->p->addr, c->from, HANDSHAKE_TIMEOUT_S);
		pending_free(c);
		return;
	}
	want = migration_hs_want(c->hs);
	n = recv(fd, buf, want < sizeof(buf) ? want : sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_warn("migration on %s: %s closed the connection during the handshake",
			 c->p->addr, c->from);
		pending_free(c);
		return;
	}
	if (migration_hs_feed(c->hs, buf, (size_t)n)) {
		log_warn("migration on %s: %s refused: %s", c->p->addr,
			 c->from, migration_hs_error(c->hs));
		pending_free(c);
		return;
	}
	if (migration_hs_done(c->hs))
		handshake_done(c->p, c);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct prepared *p = arg;
	struct timeval tv = { HANDSHAKE_TIMEOUT_S, 0 };
	struct pending *c;

	c = p->npending < INCOMING_MAX_PENDING ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		log_warn("migration on %s: too many connections in their handshake; one closed",
			 p->addr);
		close(fd);
		return;
	}
	c->p = p;
	c->fd = fd;
	if (migration_addr_format(sa, c->from, sizeof(c->from)))
		strcpy(c->from, "?");
	c->next = p->pending;
	p->pending = c;
	p->npending++;
	c->hs = migration_hs_new(p->token);
	c->ev = event_new(p->d->base, fd, EV_READ | EV_PERSIST, pending_cb, c);
	if (!c->hs || !c->ev || event_add(c->ev, &tv)) {
		log_err("migration on %s: %s: out of memory", p->addr, c->from);
		pending_free(c);
		return;
	}
	log_info("migration on %s: connection from %s", p->addr, c->from);
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct prepared *p = arg;

	log_info("migration on %s: the token expired; listener closed",
		 p->addr);
	prepared_free(p);
}

static int open_listener(struct prepared *p, const char *listen,
			 struct jsonrpc_error *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[160];

	if (migration_addr_parse(listen, true, &ss, &len, why, sizeof(why)))
		return rpc_params_error(err, "listen", "%s", why);
	p->lst = evconnlistener_new_bind(p->d->base, accept_cb, p,
					 LEV_OPT_CLOSE_ON_FREE |
					 LEV_OPT_CLOSE_ON_EXEC |
					 LEV_OPT_REUSEABLE, 8,
					 (struct sockaddr *)&ss, (int)len);
	if (!p->lst)
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
					 "migration: listening on %s: %s",
					 listen, strerror(errno));
	len = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(p->lst),
			(struct sockaddr *)&p->ss, &len) ||
	    migration_addr_format((struct sockaddr *)&p->ss, p->addr,
				  sizeof(p->addr)))
		return jsonrpc_error_set(err, SKIFF_ERR_SYSTEM,
					 "migration: listening on %s: %s",
					 listen, strerror(errno));
	return 0;
}

static json_t *answer(struct prepared *p, double expires_at)
{
	const struct sockaddr *sa = (const struct sockaddr *)&p->ss;
	char hex[MIGRATION_TOKEN_HEX + 1];
	char host[INET6_ADDRSTRLEN];
	json_t *j;

	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&p->ss)->sin6_addr,
			  host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&p->ss)->sin_addr,
			  host, sizeof(host));
	migration_token_hex(p->token, hex);
	j = json_pack("{s:s,s:i,s:s,s:f}", "address", host,
		      "port", (int)migration_addr_port(sa),
		      "token", hex, "expires_at", expires_at);
	sodium_memzero(hex, sizeof(hex));
	return j;
}

json_t *method_migration_prepare(struct rpc_call *c, json_t *p,
				 struct jsonrpc_error *err)
{
	const char *listen = MIGRATION_DEFAULT_LISTEN;
	uint64_t expire = MIGRATION_EXPIRE_DEFAULT;
	struct timeval tv = { 0, 0 };
	struct prepared *pr;
	double expires_at;

	if (rpc_param_string(p, "listen", false, MIGRATION_ADDR_MAX - 1,
			     &listen, err) < 0 ||
	    rpc_param_u64(p, "expire_s", false, 1, MIGRATION_EXPIRE_MAX,
			  &expire, err) < 0)
		return NULL;
	pr = calloc(1, sizeof(*pr));
	if (!pr) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		return NULL;
	}
	pr->d = c->d;
	pr->owner = *c->peer;
	randombytes_buf(pr->token, sizeof(pr->token));
	pr->next = all_prepared;
	all_prepared = pr;
	if (migration_map_parse(json_object_get(p, "map_block"),
				json_object_get(p, "map_net"), &pr->map, err) ||
	    open_listener(pr, listen, err))
		goto fail;
	tv.tv_sec = (time_t)expire;
	pr->expire_ev = evtimer_new(c->d->base, expire_cb, pr);
	if (!pr->expire_ev || evtimer_add(pr->expire_ev, &tv)) {
		jsonrpc_error_set(err, SKIFF_ERR_SYSTEM, "out of memory");
		goto fail;
	}
	expires_at = now_realtime() + (double)expire;
	log_info("migration: expecting one on %s for %llu s (uid %d)",
		 pr->addr, (unsigned long long)expire, (int)c->peer->uid);
	return answer(pr, expires_at);
fail:
	prepared_free(pr);
	return NULL;
}
