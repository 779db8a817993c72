/* SPDX-License-Identifier: ISC */
/*
 * The migration stream codec (migration/): round trips of every section,
 * plaintext and encrypted, fed whole and in pieces; zero-page elision;
 * authentication (wrong token, every flipped bit, truncation at every
 * offset); and the reader's refusals of hostile sections.
 */
#define TEST_HARNESS_IMPL
#include "test_harness.h"

#include "stream_fixture.h"

#define PAGES 16

struct sink {
	struct stream_vm_config cfg;
	struct stream_vcpu_state vcpu;
	uint8_t *mem;
	uint64_t mem_size;
	unsigned int nconfig, nvcpu, ndevice, nack, nend;
	uint64_t zero_pages, data_pages;
	char dev_names[4][STREAM_NAME_MAX + 1];
	size_t dev_len[4];
	uint8_t dev_blob[4][16];
	uint32_t ack_status;
	char ack_msg[STREAM_ACK_MSG_MAX];
	const char *refuse_config;	/* a reason to refuse the config with */
	unsigned int nclock, ndefinition, nconsole;
	uint64_t console;
	struct stream_clock clock;
	char definition[64];
};

static int on_config(void *o, const struct stream_vm_config *cfg,
		     struct stream_error *err)
{
	struct sink *s = o;

	if (s->refuse_config) {
		snprintf(err->msg, sizeof(err->msg), "%s", s->refuse_config);
		return -1;
	}
	s->cfg = *cfg;
	s->nconfig++;
	free(s->mem);
	s->mem = calloc(1, cfg->mem_size);
	s->mem_size = cfg->mem_size;
	return 0;
}

static int on_pages(void *o, uint64_t gfn, uint32_t count, const void *data,
		    struct stream_error *err)
{
	struct sink *s = o;
	size_t off = gfn * STREAM_PAGE_SIZE, len = (size_t)count * STREAM_PAGE_SIZE;

	if (data) {
		memcpy(s->mem + off, data, len);
		s->data_pages += count;
	} else {
		memset(s->mem + off, 0, len);
		s->zero_pages += count;
	}
	return 0;
}

static int on_vcpu(void *o, const struct stream_vcpu_state *v,
		   struct stream_error *err)
{
	struct sink *s = o;

	s->vcpu = *v;
	s->nvcpu++;
	return 0;
}

static int on_device(void *o, const char *name, const void *blob, size_t len,
		     struct stream_error *err)
{
	struct sink *s = o;

	if (s->ndevice < 4) {
		strcpy(s->dev_names[s->ndevice], name);
		s->dev_len[s->ndevice] = len;
		memcpy(s->dev_blob[s->ndevice], blob, len < 16 ? len : 16);
	}
	s->ndevice++;
	return 0;
}

static int on_ack(void *o, uint32_t status, const char *msg,
		  struct stream_error *err)
{
	struct sink *s = o;

	s->ack_status = status;
	strcpy(s->ack_msg, msg);
	s->nack++;
	return 0;
}

static int on_end(void *o, struct stream_error *err)
{
	((struct sink *)o)->nend++;
	return 0;
}

static int on_clock(void *o, const struct stream_clock *k,
		    struct stream_error *err)
{
	struct sink *s = o;

	s->clock = *k;
	s->nclock++;
	return 0;
}

static int on_definition(void *o, const char *text, size_t len,
			 struct stream_error *err)
{
	struct sink *s = o;

	snprintf(s->definition, sizeof(s->definition), "%.*s", (int)len, text);
	s->ndefinition++;
	return 0;
}

static int on_console(void *o, uint64_t offset, struct stream_error *err)
{
	struct sink *s = o;

	s->console = offset;
	s->nconsole++;
	return 0;
}

static const struct stream_callbacks sink_cb = {
	on_config, on_pages, on_vcpu, on_device, on_ack, on_end, on_clock,
	on_definition, on_console,
};

static char last_error[256];

/*
 * Reads len bytes in pieces of chunk bytes (0: whole; -1: pseudo-random
 * sizes), then finishes. Returns 0 or -1, the error in last_error.
 */
static int read_stream_ex(const uint8_t *p, size_t len, const uint8_t *token,
			  enum stream_direction dir, long chunk,
			  uint64_t max_section, struct sink *s)
{
	struct stream_reader_config rc = { &sink_cb, s, token, dir, 0,
					   max_section };
	struct stream_error err;
	struct stream_reader *r = stream_reader_new(&rc, &err);
	unsigned int seed = 1;
	size_t off = 0;
	int ret = 0;

	if (!r)
		return -1;
	while (off < len && !ret) {
		size_t n = chunk > 0 ? (size_t)chunk : len - off;

		if (chunk < 0)
			n = 1 + (seed = seed * 1103515245 + 12345) % 70000;
		if (n > len - off)
			n = len - off;
		ret = stream_reader_feed(r, p + off, n);
		off += n;
	}
	if (!ret)
		ret = stream_reader_finish(r);
	snprintf(last_error, sizeof(last_error), "%s", stream_reader_error(r));
	stream_reader_free(r);
	return ret;
}

static int read_stream(const uint8_t *p, size_t len, const uint8_t *token,
		       long chunk, struct sink *s)
{
	return read_stream_ex(p, len, token, STREAM_TO_DESTINATION, chunk, 0, s);
}

static bool error_has(const char *what)
{
	if (strstr(last_error, what))
		return true;
	fprintf(stderr, "  expected \"%s\" in: %s\n", what, last_error);
	return false;
}

/* For a read that should have passed: shows why it did not. */
static bool shown(void)
{
	fprintf(stderr, "  unexpected error: %s\n", last_error);
	return false;
}

static void sink_free(struct sink *s)
{
	free(s->mem);
	memset(s, 0, sizeof(*s));
}

static void check_vm(struct sink *s, const uint8_t *mem, uint64_t pages)
{
	struct stream_vm_config cfg;
	struct stream_vcpu_state v;

	fixture_config(&cfg, pages * STREAM_PAGE_SIZE);
	fixture_vcpu(&v);
	CHECK(s->nconfig == 1 && s->nvcpu == 1 && s->nend == 1);
	CHECK_EQ_U64(s->cfg.mem_size, cfg.mem_size);
	CHECK(!memcmp(s->cfg.image_sha256, cfg.image_sha256, 32));
	CHECK(!strcmp(s->cfg.image_path, cfg.image_path));
	CHECK(s->cfg.ndevices == 2 && s->cfg.devices[1].kind == STREAM_DEVICE_BLOCK);
	CHECK(!strcmp(s->cfg.devices[0].name, "service"));
	CHECK(s->mem && !memcmp(s->mem, mem, pages * STREAM_PAGE_SIZE));
	CHECK(!memcmp(&s->vcpu.regs, &v.regs, sizeof(v.regs)));
	CHECK(!memcmp(&s->vcpu.sregs, &v.sregs, sizeof(v.sregs)));
	CHECK(!memcmp(&s->vcpu.fpu, &v.fpu, sizeof(v.fpu)));
	CHECK(!memcmp(&s->vcpu.events, &v.events, sizeof(v.events)));
	CHECK(s->vcpu.nmsrs == 5 && s->vcpu.msrs[0].index == 0x10);
	CHECK(!memcmp(s->vcpu.msrs, v.msrs, 5 * sizeof(v.msrs[0])));
	CHECK(s->ndevice == 2 && !strcmp(s->dev_names[1], "data0"));
	CHECK(s->dev_len[0] == 9 && !memcmp(s->dev_blob[0], "net-state", 9));
	CHECK(s->dev_len[1] == 0);
}

static void round_trip(const uint8_t *token, long chunk)
{
	static uint8_t mem[PAGES * STREAM_PAGE_SIZE];
	struct buf b = { 0 };
	struct sink s = { 0 };

	fixture_memory(mem, PAGES);
	REQUIRE(!fixture_stream(&b, token, mem, PAGES));
	CHECK(!read_stream(b.p, b.len, token, chunk, &s) || shown());
	check_vm(&s, mem, PAGES);
	CHECK_EQ_U64(s.zero_pages, PAGES / 4);
	sink_free(&s);
	free(b.p);
}

TEST(round_trip_plaintext) { round_trip(NULL, 0); }
TEST(round_trip_encrypted) { round_trip(fixture_token, 0); }
TEST(round_trip_byte_by_byte) { round_trip(fixture_token, 1); }
TEST(round_trip_random_pieces) { round_trip(fixture_token, -1); }

/* 6 MiB: many memory sections and records, a blob spanning records. */
TEST(round_trip_large)
{
	const uint64_t pages = 1536;
	uint8_t *mem = malloc(pages * STREAM_PAGE_SIZE);
	uint8_t *blob = malloc(3 << 20);
	struct stream_writer_config wc = { buf_write, NULL, fixture_token, 0 };
	struct stream_vm_config cfg;
	struct stream_error err;
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };

	REQUIRE(mem && blob);
	fixture_memory(mem, pages);
	memset(blob, 0x5a, 3 << 20);
	wc.opaque = &b;
	fixture_config(&cfg, pages * STREAM_PAGE_SIZE);
	w = stream_writer_new(&wc, &err);
	REQUIRE(w);
	CHECK(!stream_write_config(w, &cfg));
	CHECK(!stream_write_pages(w, 0, pages, mem));
	CHECK(!stream_write_device(w, "service", blob, 3 << 20));
	CHECK(!stream_write_end(w));
	CHECK(stream_writer_bytes(w) == b.len);
	stream_writer_free(w);
	CHECK(!read_stream(b.p, b.len, fixture_token, -1, &s) || shown());
	CHECK(s.mem && !memcmp(s.mem, mem, pages * STREAM_PAGE_SIZE));
	CHECK(s.ndevice == 1 && s.dev_len[0] == 3 << 20 && s.nend == 1);
	CHECK_EQ_U64(s.data_pages, pages * 3 / 4);
	sink_free(&s);
	free(b.p);
	free(mem);
	free(blob);
}

TEST(zero_pages_elided)
{
	const uint64_t pages = 1024;
	uint8_t *mem = calloc(pages, STREAM_PAGE_SIZE);
	struct buf b = { 0 };
	struct sink s = { 0 };

	REQUIRE(mem);
	mem[5 * STREAM_PAGE_SIZE + 17] = 1;
	mem[900 * STREAM_PAGE_SIZE + 4095] = 2;
	REQUIRE(!fixture_stream(&b, fixture_token, mem, pages));
	/* two pages of data, five runs, and the rest of a small VM */
	CHECK(b.len < 2 * STREAM_PAGE_SIZE + 2048);
	CHECK(!read_stream(b.p, b.len, fixture_token, 0, &s) || shown());
	CHECK_EQ_U64(s.data_pages, 2);
	CHECK_EQ_U64(s.zero_pages, pages - 2);
	CHECK(s.mem && !memcmp(s.mem, mem, pages * STREAM_PAGE_SIZE));
	sink_free(&s);
	free(b.p);
	free(mem);
}

static void ack_stream(struct buf *b, const uint8_t *token)
{
	struct stream_writer_config wc = { buf_write, b, token, STREAM_TO_SOURCE };
	struct stream_error err;
	struct stream_writer *w = stream_writer_new(&wc, &err);

	REQUIRE(w);
	CHECK(!stream_write_ack(w, 0, "resumed on host-b"));
	CHECK(!stream_write_end(w));
	stream_writer_free(w);
}

TEST(ack_round_trip_and_direction_keys)
{
	struct buf b = { 0 }, vm = { 0 };
	struct sink s = { 0 };
	uint8_t mem[STREAM_PAGE_SIZE] = { 1 };

	ack_stream(&b, fixture_token);
	CHECK(!read_stream_ex(b.p, b.len, fixture_token, STREAM_TO_SOURCE, 0,
			      0, &s) || shown());
	CHECK(s.nack == 1 && s.ack_status == 0 && s.nend == 1);
	CHECK(!strcmp(s.ack_msg, "resumed on host-b"));
	/* An ack is not a VM stream, and a VM stream is not an ack. */
	CHECK(read_stream(b.p, b.len, fixture_token, 0, &s) &&
	      error_has("a stream to the source, expected one to the destination"));
	REQUIRE(!fixture_stream(&vm, fixture_token, mem, 1));
	CHECK(read_stream_ex(vm.p, vm.len, fixture_token, STREAM_TO_SOURCE, 0,
			     0, &s) && error_has("expected one to the source"));
	/* Flip the direction flag: the other direction's key fails. */
	b.p[10] ^= 0x02;
	CHECK(read_stream(b.p, b.len, fixture_token, 0, &s) &&
	      error_has("authentication failed"));
	sink_free(&s);
	free(b.p);
	free(vm.p);
}

TEST(wrong_token_fails_authentication)
{
	uint8_t mem[2 * STREAM_PAGE_SIZE] = { 1 }, token[STREAM_TOKEN_BYTES];
	struct buf b = { 0 };
	struct sink s = { 0 };

	REQUIRE(!fixture_stream(&b, fixture_token, mem, 2));
	memcpy(token, fixture_token, sizeof(token));
	token[31] ^= 1;
	CHECK(read_stream(b.p, b.len, token, 0, &s) &&
	      error_has("record: authentication failed (a wrong token"));
	CHECK(s.nconfig == 0);
	sink_free(&s);
	free(b.p);
}

TEST(encryption_is_required_and_salted)
{
	uint8_t mem[STREAM_PAGE_SIZE] = { 1 };
	struct buf plain = { 0 }, a = { 0 }, c = { 0 };
	struct sink s = { 0 };

	REQUIRE(!fixture_stream(&plain, NULL, mem, 1));
	REQUIRE(!fixture_stream(&a, fixture_token, mem, 1));
	REQUIRE(!fixture_stream(&c, fixture_token, mem, 1));
	CHECK(read_stream(plain.p, plain.len, fixture_token, 0, &s) &&
	      error_has("not encrypted, and a migration must be"));
	CHECK(read_stream(a.p, a.len, NULL, 0, &s) &&
	      error_has("encrypted and no token"));
	/* Same token, same VM: a fresh salt and nonce, other bytes. */
	CHECK(memcmp(a.p + 16, c.p + 16, 40));
	CHECK(a.len == c.len && memcmp(a.p + 56, c.p + 56, a.len - 56));
	sink_free(&s);
	free(plain.p);
	free(a.p);
	free(c.p);
}

TEST(every_flipped_bit_fails)
{
	uint8_t mem[2 * STREAM_PAGE_SIZE] = { 1 };
	struct buf b = { 0 };
	size_t bit, failed = 0;

	REQUIRE(!fixture_stream(&b, fixture_token, mem, 2));
	for (bit = 0; bit < b.len * 8; bit++) {
		struct sink s = { 0 };

		b.p[bit / 8] ^= 1 << bit % 8;
		if (read_stream(b.p, b.len, fixture_token, 0, &s))
			failed++;
		else
			fprintf(stderr, "  bit %zu flipped and accepted\n", bit);
		CHECK(s.nend == 0);
		b.p[bit / 8] ^= 1 << bit % 8;
		sink_free(&s);
	}
	CHECK_EQ_U64(failed, b.len * 8);
	free(b.p);
}

static void truncations(const uint8_t *token)
{
	uint8_t mem[2 * STREAM_PAGE_SIZE] = { 1 };
	struct buf b = { 0 };
	size_t n, failed = 0, named = 0;

	REQUIRE(!fixture_stream(&b, token, mem, 2));
	for (n = 0; n < b.len; n++) {
		struct sink s = { 0 };

		if (read_stream(b.p, n, token, 0, &s))
			failed++;
		named += !!strstr(last_error, "truncated");
		CHECK(s.nend == 0);
		sink_free(&s);
	}
	CHECK_EQ_U64(failed, b.len);
	/* a cut is reported as one, whatever the cut point */
	CHECK_EQ_U64(named, b.len);
	free(b.p);
}

TEST(truncation_at_every_offset_encrypted) { truncations(fixture_token); }
TEST(truncation_at_every_offset_plaintext) { truncations(NULL); }

/* A plaintext stream: its hello, config of `pages`, then raw sections. */
static struct stream_writer *hostile(struct buf *b, uint64_t pages)
{
	struct stream_writer_config wc = { buf_write, b, NULL, 0 };
	struct stream_vm_config cfg;
	struct stream_error err;
	struct stream_writer *w = stream_writer_new(&wc, &err);

	fixture_config(&cfg, pages * STREAM_PAGE_SIZE);
	if (w && stream_write_config(w, &cfg)) {
		stream_writer_free(w);
		return NULL;
	}
	return w;
}

static uint8_t *run(uint8_t *p, uint64_t gfn, uint32_t count, uint16_t kind)
{
	memset(p, 0, 16);
	for (int i = 0; i < 8; i++)
		p[i] = gfn >> (8 * i);
	for (int i = 0; i < 4; i++)
		p[8 + i] = count >> (8 * i);
	p[12] = kind;
	return p + 16;
}

/* Writes one raw section and the end; reads; returns the reader's result. */
static int hostile_section(uint16_t type, uint16_t flags, uint16_t version,
			   const void *payload, size_t len, uint64_t max_section)
{
	struct buf b = { 0 };
	struct sink s = { 0 };
	struct stream_writer *w = hostile(&b, PAGES);
	int rc;

	if (!w)
		return 0;
	stream_write_raw_section(w, type, flags, version, payload, len);
	stream_write_end(w);
	stream_writer_free(w);
	rc = read_stream_ex(b.p, b.len, NULL, STREAM_TO_DESTINATION, 0,
			    max_section, &s);
	sink_free(&s);
	free(b.p);
	return rc;
}

TEST(page_runs_outside_memory_refused)
{
	uint8_t sec[64 + STREAM_PAGE_SIZE] = { 0 };

	run(sec, PAGES - 1, 2, 1);
	CHECK(hostile_section(2, 0, 1, sec, 16, 0) &&
	      error_has("section memory: page run at 0xf (2 pages) past the end of guest memory (16 pages)"));
	run(sec, UINT64_MAX, 2, 1);
	CHECK(hostile_section(2, 0, 1, sec, 16, 0) &&
	      error_has("past the end of guest memory"));
	run(sec, PAGES, 1, 1);
	CHECK(hostile_section(2, 0, 1, sec, 16, 0) &&
	      error_has("past the end of guest memory"));
	/* 0xffffffff pages of data claimed, one page present */
	run(sec, 0, UINT32_MAX, 0);
	CHECK(hostile_section(2, 0, 1, sec, 16 + STREAM_PAGE_SIZE, 0) &&
	      error_has("past the end"));
	run(sec, 0, 2, 0);
	CHECK(hostile_section(2, 0, 1, sec, 16 + STREAM_PAGE_SIZE, 0) &&
	      error_has("2 pages of data, 4096 bytes left"));
	run(sec, 0, 0, 1);
	CHECK(hostile_section(2, 0, 1, sec, 16, 0) && error_has("malformed"));
	run(sec, 0, 1, 7);
	CHECK(hostile_section(2, 0, 1, sec, 16, 0) && error_has("malformed"));
	CHECK(hostile_section(2, 0, 1, sec, 15, 0) &&
	      error_has("a page run header runs past the end of the section"));
	run(sec, 1, 1, 1);
	CHECK(!hostile_section(2, 0, 1, sec, 16, 0) || shown());
}

/* A plaintext stream built by hand: hello, records of our choosing. */
static void raw_record(struct buf *b, const void *body, uint32_t len,
		       uint32_t header)
{
	uint8_t h[4] = { header, header >> 8, header >> 16, header >> 24 };

	buf_write(b, h, 4);
	buf_write(b, body, len);
}

/* A stream whose first section is this raw config payload. */
static int config_section(const void *cfg, size_t len)
{
	struct stream_writer_config wc = { buf_write, NULL, NULL, 0 };
	struct stream_error err;
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };
	int rc;

	wc.opaque = &b;
	w = stream_writer_new(&wc, &err);
	if (!w)
		return 0;
	stream_write_raw_section(w, 1, 0, 1, cfg, len);
	stream_write_end(w);
	stream_writer_free(w);
	rc = read_stream(b.p, b.len, NULL, 0, &s);
	sink_free(&s);
	free(b.p);
	return rc;
}

TEST(huge_lengths_refused)
{
	uint8_t sec[16] = { 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40 };
	uint8_t cfg[8 + 32 + 2 + 2] = { 0, 0, 1 };	/* 64 KiB, no devices */
	uint8_t vcpu[12 + 144 + 312 + 416 + 64 + 8] = { 0 };
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };

	/* a section of 2^62 bytes, in a record built by hand */
	w = hostile(&b, PAGES);
	REQUIRE(w);
	stream_writer_free(w);
	raw_record(&b, sec, 16, 0x80000000u | 16);
	CHECK(read_stream(b.p, b.len, NULL, 0, &s) &&
	      error_has("section memory: length 4611686018427387904 exceeds the limit"));
	/* a record of 2^31 - 1 bytes */
	b.len = 56;
	raw_record(&b, NULL, 0, 0x7fffffff);
	CHECK(read_stream(b.p, b.len, NULL, 0, &s) &&
	      error_has("record: length 2147483647 outside 0..1114112"));
	free(b.p);
	/* 65535 devices; a 65535-byte path; a memory size over the limit */
	CHECK(config_section(cfg, sizeof(cfg)) == 0 || shown());
	cfg[42] = cfg[43] = 0xff;
	CHECK(config_section(cfg, sizeof(cfg)) &&
	      error_has("section config: 65535 devices, at most 64"));
	cfg[40] = cfg[41] = 0xff;
	CHECK(config_section(cfg, sizeof(cfg)) &&
	      error_has("image path of 65535 bytes, at most 4095"));
	memset(cfg, 0, sizeof(cfg));
	cfg[5] = 1;
	CHECK(config_section(cfg, sizeof(cfg)) &&
	      error_has("memory size 1099511627776: not a multiple of 4096 in 1..4294967296"));
	/* 2^32 - 1 MSRs; a KVM struct of another size */
	vcpu[4] = 144;
	vcpu[6] = 312 & 0xff;
	vcpu[7] = 312 >> 8;
	vcpu[8] = 416 & 0xff;
	vcpu[9] = 416 >> 8;
	vcpu[10] = 64;
	CHECK(!hostile_section(3, 0, 1, vcpu, sizeof(vcpu), 0) || shown());
	memset(vcpu + sizeof(vcpu) - 8, 0xff, 4);
	CHECK(hostile_section(3, 0, 1, vcpu, sizeof(vcpu), 0) &&
	      error_has("section vcpu: 4294967295 MSRs, at most 64"));
	vcpu[4] = 143;
	CHECK(hostile_section(3, 0, 1, vcpu, sizeof(vcpu), 0) &&
	      error_has("kvm_regs is 143 bytes in the stream, 144 here"));
	sink_free(&s);
}

TEST(unknown_sections)
{
	uint8_t big[200 * 1024] = { 0 }, sec[16] = { 0 };

	CHECK(hostile_section(0x77, 0, 1, "abc", 3, 0) &&
	      error_has("section type 0x77 (version 1): unknown and not skippable"));
	CHECK(!hostile_section(0x77, STREAM_SECTION_SKIPPABLE, 1, "abc", 3, 0) ||
	      shown());
	/* skipped without being buffered: larger than max_section is fine */
	CHECK(!hostile_section(0x77, STREAM_SECTION_SKIPPABLE, 1, big,
			       sizeof(big), 64 * 1024) || shown());
	CHECK(hostile_section(2, 0, 1, big, sizeof(big), 64 * 1024) &&
	      error_has("section memory: length 204800 exceeds the limit of 65536 bytes"));
	/* a known section in a newer version: skipped only if skippable */
	CHECK(hostile_section(3, 0, 2, "abc", 3, 0) &&
	      error_has("section vcpu: version 2 not supported (this reader knows 1)"));
	CHECK(!hostile_section(3, STREAM_SECTION_SKIPPABLE, 2, "abc", 3, 0) ||
	      shown());
	CHECK(hostile_section(0x77, 0x8000, 1, "abc", 3, 0) &&
	      error_has("unknown flags 0x8000"));
	run(sec, 0, 1, 1);
	CHECK(hostile_section(5, 0, 1, sec, 16, 0) &&
	      error_has("section ack: not allowed here"));
}

TEST(order_and_trailing_data_refused)
{
	uint8_t mem[STREAM_PAGE_SIZE] = { 1 }, sec[16];
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };

	/* memory before config */
	w = stream_writer_new(&(struct stream_writer_config){ buf_write, &b, NULL, 0 },
			      &(struct stream_error){ { 0 } });
	REQUIRE(w);
	stream_write_raw_section(w, 2, 0, 1, run(sec, 0, 1, 1) - 16, 16);
	stream_write_end(w);
	stream_writer_free(w);
	CHECK(read_stream(b.p, b.len, NULL, 0, &s) &&
	      error_has("section memory: not allowed here (section 1"));
	free(b.p);
	b = (struct buf){ 0 };
	/* bytes after the final record */
	REQUIRE(!fixture_stream(&b, fixture_token, mem, 1));
	buf_write(&b, "x", 1);
	CHECK(read_stream(b.p, b.len, fixture_token, 0, &s) &&
	      error_has("1 bytes after the final record"));
	sink_free(&s);
	free(b.p);
}

TEST(receiver_refusal_is_reported)
{
	uint8_t mem[STREAM_PAGE_SIZE] = { 1 };
	struct buf b = { 0 };
	struct sink s = { .refuse_config = "16 MiB of memory, 8 MiB free" };

	REQUIRE(!fixture_stream(&b, fixture_token, mem, 1));
	CHECK(read_stream(b.p, b.len, fixture_token, 0, &s) &&
	      error_has("section config: refused by the receiver: 16 MiB of memory, 8 MiB free"));
	sink_free(&s);
	free(b.p);
}

TEST(writer_refuses_pages_outside_config)
{
	uint8_t mem[STREAM_PAGE_SIZE] = { 0 };
	struct buf b = { 0 };
	struct stream_writer *w = hostile(&b, PAGES);

	REQUIRE(w);
	CHECK(stream_write_pages(w, PAGES, 1, mem) == -1);
	CHECK(strstr(stream_writer_error(w), "outside guest memory"));
	CHECK(stream_write_end(w) == -1);
	stream_writer_free(w);
	free(b.p);
}

static void put_le32_test(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* The sections snapshots and the daemons' handshake add. */
TEST(definition_and_clock_round_trip)
{
	static const char def[] = "{\"name\":\"web1\",\"mem\":64}";
	const struct stream_clock k = { 2500000000ull, 123456789ull, 42 };
	uint8_t mem[STREAM_PAGE_SIZE] = { 7 };
	struct stream_vm_config cfg;
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };

	fixture_config(&cfg, STREAM_PAGE_SIZE);
	w = stream_writer_new(&(struct stream_writer_config){ buf_write, &b,
			      fixture_token, 0 }, &(struct stream_error){ { 0 } });
	REQUIRE(w);
	CHECK(!stream_write_config(w, &cfg));
	CHECK(!stream_write_definition(w, def, strlen(def)));
	CHECK(!stream_writer_flush(w));
	/* the flush sealed a record: its bytes hold config and definition */
	CHECK(b.len > 56 && b.len < 56 + 4 + 17 + 8192);
	CHECK(!stream_write_pages(w, 0, 1, mem));
	CHECK(stream_writer_pages(w, NULL) == 1);
	CHECK(!stream_write_clock(w, &k));
	CHECK(!stream_write_console(w, 123456));
	CHECK(!stream_write_end(w));
	stream_writer_free(w);
	CHECK(!read_stream(b.p, b.len, fixture_token, 1, &s) || shown());
	CHECK(s.ndefinition == 1 && !strcmp(s.definition, def));
	CHECK(s.nconsole == 1 && s.console == 123456);
	CHECK(s.nclock == 1 && s.clock.tsc_hz == k.tsc_hz &&
	      s.clock.guest_tsc == k.guest_tsc && s.clock.realtime_ns == 42);
	sink_free(&s);
	free(b.p);
}

TEST(definition_alone_is_a_handshake)
{
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };

	w = stream_writer_new(&(struct stream_writer_config){ buf_write, &b,
			      fixture_token, 0 }, &(struct stream_error){ { 0 } });
	REQUIRE(w);
	CHECK(!stream_write_definition(w, "{}", 2));
	/* a second one, and one with a NUL, are the writer's errors */
	CHECK(stream_write_definition(w, "a\0b", 3) == -1);
	CHECK(strstr(stream_writer_error(w), "NUL"));
	stream_writer_free(w);
	free(b.p);
	b = (struct buf){ 0 };
	w = stream_writer_new(&(struct stream_writer_config){ buf_write, &b,
			      fixture_token, 0 }, &(struct stream_error){ { 0 } });
	CHECK(!stream_write_definition(w, "{}", 2));
	CHECK(!stream_write_end(w));
	stream_writer_free(w);
	CHECK(!read_stream(b.p, b.len, fixture_token, 0, &s) || shown());
	CHECK(s.ndefinition == 1 && s.nconfig == 0 && s.nend == 1);
	sink_free(&s);
	free(b.p);
}

/* A handshake of @n bytes followed by @tail: read it exactly, by want(). */
static size_t read_by_want(const uint8_t *p, size_t len, struct sink *s,
			   size_t max_piece)
{
	struct stream_reader_config rc = { &sink_cb, s, fixture_token, 0, 0, 0 };
	struct stream_error err;
	struct stream_reader *r = stream_reader_new(&rc, &err);
	size_t off = 0, n;

	if (!r)
		return 0;
	while ((n = stream_reader_want(r)) > 0 && off < len) {
		if (n > max_piece)
			n = max_piece;
		if (n > len - off)
			n = len - off;
		if (stream_reader_feed(r, p + off, n))
			break;
		off += n;
	}
	if (!stream_reader_done(r))
		off = 0;
	stream_reader_free(r);
	return off;
}

TEST(want_reads_a_handshake_exactly)
{
	static const size_t pieces[] = { 1, 3, 7, 64, 4096, 1 << 20 };
	struct stream_writer *w;
	struct buf b = { 0 };
	struct sink s = { 0 };
	size_t hs, i;

	w = stream_writer_new(&(struct stream_writer_config){ buf_write, &b,
			      fixture_token, 0 }, &(struct stream_error){ { 0 } });
	REQUIRE(w);
	CHECK(!stream_write_definition(w, "{\"name\":\"web1\"}", 15));
	CHECK(!stream_write_end(w));
	stream_writer_free(w);
	hs = b.len;
	/* the monitor stream that follows on the same socket */
	CHECK(!buf_write(&b, "SKIFFMIG and more bytes", 23));
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		memset(&s, 0, sizeof(s));
		CHECK_EQ_U64(read_by_want(b.p, b.len, &s, pieces[i]), hs);
		CHECK(s.ndefinition == 1 && s.nend == 1);
		CHECK(!strcmp(s.definition, "{\"name\":\"web1\"}"));
	}
	free(b.p);
}

TEST(want_is_zero_when_done_or_failed)
{
	struct stream_reader_config rc = { &sink_cb, NULL, fixture_token, 0, 0, 0 };
	struct stream_error err;
	struct stream_reader *r = stream_reader_new(&rc, &err);
	uint8_t junk[56] = "NOTSKIFF";

	REQUIRE(r);
	CHECK_EQ_U64(stream_reader_want(r), 56);
	CHECK(stream_reader_feed(r, junk, 10) == 0);
	CHECK_EQ_U64(stream_reader_want(r), 46);
	CHECK(stream_reader_feed(r, junk + 10, 46) == -1);
	CHECK_EQ_U64(stream_reader_want(r), 0);
	stream_reader_free(r);
}

TEST(hostile_definition_clock_and_console_refused)
{
	uint8_t sec[32] = { 0 };

	/* a well-formed one passes: the refusals below are for their bytes */
	put_le32_test(sec, 2);
	memcpy(sec + 4, "{}", 2);
	CHECK(hostile_section(7, 0, 1, sec, 6, 0) == 0 || shown());
	/* a length that disagrees with the payload, and an empty one */
	put_le32_test(sec, 5);
	CHECK(hostile_section(7, 0, 1, sec, 6, 0) &&
	      error_has("section definition: a definition of 5 bytes in 2"));
	put_le32_test(sec, 0);
	CHECK(hostile_section(7, 0, 1, sec, 4, 0) &&
	      error_has("a definition of 0 bytes"));
	/* a NUL inside */
	put_le32_test(sec, 2);
	memcpy(sec + 4, "{\0", 2);
	CHECK(hostile_section(7, 0, 1, sec, 6, 0) &&
	      error_has("a NUL byte in the definition"));
	/* a clock of the wrong size, or of 0 Hz */
	memset(sec, 0, sizeof(sec));
	CHECK(hostile_section(8, 0, 1, sec, 16, 0) &&
	      error_has("section clock: 16 bytes, expected 24"));
	CHECK(hostile_section(8, 0, 1, sec, 24, 0) &&
	      error_has("a TSC frequency of 0 Hz"));
	/* a console offset of the wrong size, or past 2^62 */
	CHECK(hostile_section(9, 1, 1, sec, 4, 0) &&
	      error_has("section console: 4 bytes, expected 8"));
	memset(sec, 0xff, 8);
	CHECK(hostile_section(9, 1, 1, sec, 8, 0) &&
	      error_has("a console offset of 18446744073709551615"));
}

static const struct test_case cases[] = {
	TEST_ENTRY(round_trip_plaintext),
	TEST_ENTRY(round_trip_encrypted),
	TEST_ENTRY(round_trip_byte_by_byte),
	TEST_ENTRY(round_trip_random_pieces),
	TEST_ENTRY(round_trip_large),
	TEST_ENTRY(zero_pages_elided),
	TEST_ENTRY(ack_round_trip_and_direction_keys),
	TEST_ENTRY(wrong_token_fails_authentication),
	TEST_ENTRY(encryption_is_required_and_salted),
	TEST_ENTRY(every_flipped_bit_fails),
	TEST_ENTRY(truncation_at_every_offset_encrypted),
	TEST_ENTRY(truncation_at_every_offset_plaintext),
	TEST_ENTRY(page_runs_outside_memory_refused),
	TEST_ENTRY(huge_lengths_refused),
	TEST_ENTRY(unknown_sections),
	TEST_ENTRY(order_and_trailing_data_refused),
	TEST_ENTRY(receiver_refusal_is_reported),
	TEST_ENTRY(writer_refuses_pages_outside_config),
	TEST_ENTRY(definition_and_clock_round_trip),
	TEST_ENTRY(definition_alone_is_a_handshake),
	TEST_ENTRY(want_reads_a_handshake_exactly),
	TEST_ENTRY(want_is_zero_when_done_or_failed),
	TEST_ENTRY(hostile_definition_clock_and_console_refused),
};

TEST_MAIN("migration_stream", cases)
