/* SPDX-License-Identifier: ISC */
/*
 * skiffd's live-migration parts without monitors: ADDR:PORT parsing and
 * formatting, tokens, prepare's device mappings, the daemons' handshake
 * (encoded, then read exactly to its end with the monitors' stream behind
 * it, in any piece size; wrong tokens and hostile contents refused), and
 * migration.prepare's listener on a real event loop: a connection that
 * does not authenticate is closed and leaves the listener, and expiry
 * closes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "migration.h"
#include "stream.h"

static bool parses(const char *s, bool zero, char *back, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[160];

	if (migration_addr_parse(s, zero, &ss, &sl, why, sizeof(why)))
		return false;
	return !migration_addr_format((struct sockaddr *)&ss, back, len);
}

TEST(addresses)
{
	static const char *const bad[] = {
		"", "10.99.0.2", "10.99.0.2:", ":7460", "host.example:7460",
		"10.99.0.2:70000", "10.99.0.2:-1", "10.99.0.2:74a0",
		"10.99.0.2:123456", "1.2.3:80", "[::1]80", "::1:80",
		"[::1]:", "[10.0.0.1]:80", "10.99.0.2: 80", NULL,
	};
	char back[MIGRATION_ADDR_MAX];
	int i;

	CHECK(parses("10.99.0.2:7460", false, back, sizeof(back)));
	CHECK(!strcmp(back, "10.99.0.2:7460"));
	CHECK(parses("[::1]:80", false, back, sizeof(back)));
	CHECK(!strcmp(back, "[::1]:80"));
	CHECK(parses("0.0.0.0:0", true, back, sizeof(back)));
	CHECK(!parses("0.0.0.0:0", false, back, sizeof(back)));
	CHECK(parses("127.0.0.1:65535", false, back, sizeof(back)));
	for (i = 0; bad[i]; i++)
		CHECK(!parses(bad[i], true, back, sizeof(back)) ||
		      !fprintf(stderr, "  accepted \"%s\"\n", bad[i]));
}

TEST(tokens)
{
	uint8_t t[MIGRATION_TOKEN_BYTES], u[MIGRATION_TOKEN_BYTES];
	char hex[MIGRATION_TOKEN_HEX + 1], up[MIGRATION_TOKEN_HEX + 1];
	int i;

	for (i = 0; i < MIGRATION_TOKEN_BYTES; i++)
		t[i] = (uint8_t)(i * 37 + 5);
	migration_token_hex(t, hex);
	CHECK(strlen(hex) == MIGRATION_TOKEN_HEX);
	CHECK(!migration_token_parse(hex, u) && migration_token_equal(t, u));
	for (i = 0; hex[i]; i++)
		up[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	up[i] = '\0';
	CHECK(!migration_token_parse(up, u) && migration_token_equal(t, u));
	u[31] ^= 1;
	CHECK(!migration_token_equal(t, u));
	hex[63] = '\0';
	CHECK(migration_token_parse(hex, u) == -1);
	migration_token_hex(t, hex);
	hex[10] = 'g';
	CHECK(migration_token_parse(hex, u) == -1);
	CHECK(migration_token_parse("", u) == -1);
}

static struct vm_def sample_def(void)
{
	struct vm_def def;
	struct jsonrpc_error err = { 0 };
	json_t *p = json_pack("{s:s,s:s,s:i,s:[{s:s,s:s},{s:s,s:s}],s:[{s:s,s:s,s:s}]}",
			      "name", "web1", "kernel", "/srv/web.hvt",
			      "mem", 16, "block", "name", "disk", "path",
			      "/src/disk.img", "name", "logs", "path",
			      "/src/logs.img", "net", "name", "service",
			      "tap", "tap0", "mac", "02:00:5e:10:00:09");

	if (vm_def_from_params(p, &def, &err))
		fprintf(stderr, "  %s\n", err.message);
	json_decref(p);
	return def;
}

static int map_from(const char *blk, const char *net, struct migration_map *m,
		    char *msg, size_t len)
{
	struct jsonrpc_error err = { 0 };
	json_t *b = blk ? json_loads(blk, 0, NULL) : NULL;
	json_t *n = net ? json_loads(net, 0, NULL) : NULL;
	int rc = migration_map_parse(b, n, m, &err);

	snprintf(msg, len, "%s", err.message);
	jsonrpc_error_clear(&err);
	json_decref(b);
	json_decref(n);
	return rc;
}

TEST(mappings_validated)
{
	static const char *const bad_block[] = {
		"[]", "{\"disk\":\"relative.img\"}", "{\"disk\":7}",
		"{\"di-sk\":\"/a\"}", "{\"\":\"/a\"}", "{\"disk\":\"/a\\nb\"}",
		"{\"a\":\"/a\",\"b\":\"/b\",\"c\":\"/c\",\"d\":\"/d\",\"e\":\"/e\",\"f\":\"/f\",\"g\":\"/g\",\"h\":\"/h\",\"i\":\"/i\"}",
		NULL,
	};
	static const char *const bad_net[] = {
		"{\"service\":\"tap with space\"}", "{\"service\":\"\"}",
		"{\"service\":\"a-very-long-tap-name\"}", "[\"tap0\"]", NULL,
	};
	struct migration_map m;
	char msg[256];
	int i;

	CHECK(!map_from("{\"disk\":\"/dst/disk.img\"}", "{\"service\":\"tap7\"}",
			&m, msg, sizeof(msg)));
	CHECK(m.nblock == 1 && m.nnet == 1);
	migration_map_free(&m);
	CHECK(!map_from(NULL, NULL, &m, msg, sizeof(msg)) && !m.nblock);
	for (i = 0; bad_block[i]; i++) {
		CHECK(map_from(bad_block[i], NULL, &m, msg, sizeof(msg)) == -1);
		CHECK(strstr(msg, "map_block") || !fprintf(stderr, "  %s\n", msg));
	}
	for (i = 0; bad_net[i]; i++) {
		CHECK(map_from(NULL, bad_net[i], &m, msg, sizeof(msg)) == -1);
		CHECK(strstr(msg, "map_net") || !fprintf(stderr, "  %s\n", msg));
	}
}

TEST(mappings_applied)
{
	struct jsonrpc_error err = { 0 };
	struct vm_def def = sample_def();
	struct migration_map m;
	char msg[256];

	REQUIRE(!map_from("{\"disk\":\"/dst/disk.img\"}", "{\"service\":\"tap7\"}",
			  &m, msg, sizeof(msg)));
	CHECK(!migration_map_apply(&m, &def, &err));
	CHECK(!strcmp(def.block[0].path, "/dst/disk.img"));
	/* not mapped: the same path, shared storage */
	CHECK(!strcmp(def.block[1].path, "/src/logs.img"));
	CHECK(!strcmp(def.net[0].tap, "tap7"));
	CHECK(!strcmp(def.net[0].mac, "02:00:5e:10:00:09"));
	migration_map_free(&m);
	REQUIRE(!map_from("{\"data\":\"/dst/data.img\"}", NULL, &m, msg,
			  sizeof(msg)));
	CHECK(migration_map_apply(&m, &def, &err) == -1);
	CHECK(strstr(err.message, "vm web1: map_block: the vm has no block device data"));
	jsonrpc_error_clear(&err);
	migration_map_free(&m);
	REQUIRE(!map_from(NULL, "{\"admin\":\"tap9\"}", &m, msg, sizeof(msg)));
	CHECK(migration_map_apply(&m, &def, &err) == -1);
	CHECK(strstr(err.message, "no net device admin"));
	jsonrpc_error_clear(&err);
	migration_map_free(&m);
	vm_def_free(&def);
}

static const uint8_t token[MIGRATION_TOKEN_BYTES] = { 1, 2, 3, 4, 5, 6, 7 };

/* A handshake for @def, then "monitor stream" bytes on the same "socket". */
static size_t handshake_then_tail(json_t *def, uint8_t **out, size_t *len)
{
	char why[256];
	uint8_t *p;
	size_t hs;

	if (migration_handshake_encode(def, token, out, &hs, why, sizeof(why))) {
		fprintf(stderr, "  %s\n", why);
		return 0;
	}
	p = realloc(*out, hs + 100);
	if (!p)
		return 0;
	memset(p + hs, 0xee, 100);
	*out = p;
	*len = hs + 100;
	return hs;
}

/* Read like the destination: never more than want(), at most @piece. */
static size_t read_exactly(struct migration_hs *hs, const uint8_t *p,
			   size_t len, size_t piece)
{
	size_t off = 0, n;

	while ((n = migration_hs_want(hs)) > 0 && off < len) {
		if (n > piece)
			n = piece;
		if (n > len - off)
			n = len - off;
		if (migration_hs_feed(hs, p + off, n))
			break;
		off += n;
	}
	return off;
}

TEST(handshake_read_to_its_last_byte)
{
	static const size_t pieces[] = { 1, 2, 5, 17, 4096, 1 << 20 };
	struct vm_def def = sample_def();
	json_t *j = vm_def_to_json(&def);
	uint8_t *buf = NULL;
	size_t len = 0, hs_len, i;

	hs_len = handshake_then_tail(j, &buf, &len);
	REQUIRE(hs_len > 0);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct migration_hs *hs = migration_hs_new(token);

		REQUIRE(hs);
		CHECK(!migration_hs_definition(hs));
		CHECK_EQ_U64(read_exactly(hs, buf, len, pieces[i]), hs_len);
		CHECK(migration_hs_done(hs));
		CHECK_EQ_U64(migration_hs_bytes(hs), hs_len);
		CHECK(json_equal(migration_hs_definition(hs), j));
		migration_hs_free(hs);
	}
	free(buf);
	json_decref(j);
	vm_def_free(&def);
}

TEST(handshake_with_a_wrong_token_refused)
{
	uint8_t other[MIGRATION_TOKEN_BYTES] = { 9 };
	json_t *j = json_pack("{s:s}", "name", "web1");
	struct migration_hs *hs = migration_hs_new(other);
	uint8_t *buf = NULL;
	size_t len = 0, hs_len = handshake_then_tail(j, &buf, &len);

	REQUIRE(hs && hs_len);
	CHECK(read_exactly(hs, buf, len, 4096) < hs_len);
	CHECK(!migration_hs_done(hs) && !migration_hs_definition(hs));
	CHECK(strstr(migration_hs_error(hs), "authentic") ||
	      !fprintf(stderr, "  %s\n", migration_hs_error(hs)));
	CHECK(migration_hs_want(hs) == 0);
	migration_hs_free(hs);
	free(buf);
	json_decref(j);
}

struct out {
	uint8_t *p;
	size_t len;
};

static int out_write(void *o, const void *data, size_t n)
{
	struct out *b = o;
	uint8_t *p = realloc(b->p, b->len + n);

	if (!p)
		return -1;
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	return 0;
}

/*
 * A stream keyed by the token holding @definition (or none), after a
 * config if @config, read as a handshake: its error, "" if it passed.
 */
static const char *hostile(const char *definition, bool config)
{
	static char why[256];
	struct out b = { 0 };
	struct stream_writer_config wc = { out_write, &b, token,
					   STREAM_TO_DESTINATION };
	struct stream_vm_config cfg = { .mem_size = 1 << 20 };
	struct stream_error e;
	struct stream_writer *w = stream_writer_new(&wc, &e);
	struct migration_hs *hs = migration_hs_new(token);

	if (!w || !hs)
		return "setup failed";
	if (config)
		stream_write_config(w, &cfg);
	if (definition)
		stream_write_definition(w, definition, strlen(definition));
	stream_write_end(w);
	stream_writer_free(w);
	why[0] = '\0';
	read_exactly(hs, b.p, b.len, 4096);
	if (!migration_hs_done(hs))
		snprintf(why, sizeof(why), "%s", migration_hs_error(hs));
	migration_hs_free(hs);
	free(b.p);
	return why;
}

TEST(hostile_handshakes_refused)
{
	CHECK(!strcmp(hostile("{\"name\":\"x\"}", false), ""));
	CHECK(strstr(hostile("[1,2]", false), "not a JSON object"));
	CHECK(strstr(hostile("{\"name\":", false), "not a JSON object"));
	CHECK(strstr(hostile("{\"a\":1,\"a\":2}", false), "not a JSON object"));
	CHECK(strstr(hostile("{\"name\":\"x\"}", true), "not a handshake"));
	CHECK(strstr(hostile(NULL, false), "not allowed here"));
}

/* migration.prepare on a real loop, without ever spending the token. */
static struct skiffd d;

static void run_loop(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(d.base, &tv);
	event_base_dispatch(d.base);
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(prepare_listens_refuses_strangers_and_expires)
{
	struct peer_cred pc = { .pid = getpid() };
	struct rpc_call call = { .d = &d, .peer = &pc };
	struct jsonrpc_error err = { 0 };
	uint8_t junk[64], buf[16];
	json_t *p, *r;
	ssize_t n;
	int port, fd;

	memset(&d, 0, sizeof(d));
	d.base = event_base_new();
	d.cfg.max_vms = 8;
	p = json_pack("{s:s,s:i}", "listen", "127.0.0.1:0", "expire_s", 1);
	r = method_migration_prepare(&call, p, &err);
	json_decref(p);
	REQUIRE(r);
	port = (int)json_integer_value(json_object_get(r, "port"));
	CHECK(port > 0);
	CHECK(!strcmp(json_string_value(json_object_get(r, "address")),
		      "127.0.0.1"));
	CHECK(strlen(json_string_value(json_object_get(r, "token"))) == 64);
	CHECK(json_number_value(json_object_get(r, "expires_at")) >
	      now_realtime());
	json_decref(r);
	/* A stranger: garbage instead of a hello. Closed; the listener stays. */
	fd = connect_to(port);
	REQUIRE(fd >= 0);
	memset(junk, 'x', sizeof(junk));
	CHECK(write(fd, junk, sizeof(junk)) == sizeof(junk));
	run_loop(200);
	/* 0, or a reset: it closed with our last bytes unread */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd);
	fd = connect_to(port);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* Expired: nobody listens any more. */
	run_loop(1300);
	fd = connect_to(port);
	CHECK(fd < 0 && errno == ECONNREFUSED);
	/* Bad params name their field. */
	p = json_pack("{s:s}", "listen", "localhost:0");
	CHECK(!method_migration_prepare(&call, p, &err));
	CHECK(strstr(err.message, "listen") && strstr(err.message, "not an IPv4"));
	jsonrpc_error_clear(&err);
	json_decref(p);
	migration_prepare_shutdown(&d);
	event_base_free(d.base);
}

/* guest_mem_mib: what a destination (or any start) checks. */
TEST(memory_cap)
{
	struct jsonrpc_error err = { 0 };
	struct skiffd dd = { 0 };
	struct vm a = { 0 }, b = { 0 };
	struct vm_def def = { 0 };

	strcpy(a.def.name, "a");
	a.def.mem_mib = 8;
	a.state = VM_RUNNING;
	strcpy(b.def.name, "b");
	b.def.mem_mib = 64;
	b.state = VM_STOPPED;		/* inactive: not counted */
	a.next = &b;
	dd.vms = &a;
	strcpy(def.name, "web1");
	def.mem_mib = 9;
	CHECK(!vm_mem_check(&dd, &def, &err));		/* no cap */
	dd.cfg.guest_mem_mib = 16;
	CHECK(vm_mem_check(&dd, &def, &err) == -1);
	CHECK(err.code == SKIFF_ERR_LIMIT &&
	      strstr(err.message, "vm web1: 9 MiB of guest memory does not fit: 8 of guest_mem_mib = 16 MiB are in use"));
	jsonrpc_error_clear(&err);
	def.mem_mib = 8;
	CHECK(!vm_mem_check(&dd, &def, &err));
	/* a VM is not counted against itself (a restart, an incoming one) */
	strcpy(def.name, "a");
	def.mem_mib = 16;
	CHECK(!vm_mem_check(&dd, &def, &err));
	b.state = VM_INCOMING;
	CHECK(vm_mem_check(&dd, &def, &err) == -1);
	jsonrpc_error_clear(&err);
}

static const char *monitor_error(enum vm_state st, int code, const char *msg,
				 int *out_code)
{
	static char buf[300];
	struct jsonrpc_error in = { 0 }, out = { 0 };
	struct vm vm = { 0 };

	strcpy(vm.def.name, "c1");
	vm.state = st;
	jsonrpc_error_set(&in, code, "%s", msg);
	migration_monitor_error(&vm, &in, &out);
	snprintf(buf, sizeof(buf), "%s", out.message);
	*out_code = out.code;
	jsonrpc_error_clear(&in);
	jsonrpc_error_clear(&out);
	return buf;
}

TEST(monitor_errors_as_the_api_tells_them)
{
	int code;

	CHECK(!strcmp(monitor_error(VM_PAUSED, SKIFF_ERR_ILLEGAL_STATE,
		"vm c1: monitor: migration outcome unknown: the connection failed after the commit was sent; the guest stays paused here",
		&code),
		"vm c1: monitor: migration outcome unknown: the connection failed after the commit was sent; the guest stays paused here"));
	CHECK(code == SKIFF_ERR_ILLEGAL_STATE);
	CHECK(!strcmp(monitor_error(VM_RUNNING, SKIFF_ERR_SYSTEM,
		"vm c1: monitor: migration: no acknowledgement from the destination: truncated",
		&code),
		"vm c1: monitor: migration: no acknowledgement from the destination: truncated (the guest runs on here)"));
	CHECK(code == SKIFF_ERR_SYSTEM);
	CHECK(!strcmp(monitor_error(VM_STOPPED, SKIFF_ERR_SYSTEM,
		"vm c1: monitor.migrate: the monitor exited", &code),
		"vm c1: monitor: the monitor exited"));
}

static const struct test_case cases[] = {
	TEST_ENTRY(monitor_errors_as_the_api_tells_them),
	TEST_ENTRY(memory_cap),
	TEST_ENTRY(addresses),
	TEST_ENTRY(tokens),
	TEST_ENTRY(mappings_validated),
	TEST_ENTRY(mappings_applied),
	TEST_ENTRY(handshake_read_to_its_last_byte),
	TEST_ENTRY(handshake_with_a_wrong_token_refused),
	TEST_ENTRY(hostile_handshakes_refused),
	TEST_ENTRY(prepare_listens_refuses_strangers_and_expires),
};

TEST_MAIN("daemon/migration", cases)
