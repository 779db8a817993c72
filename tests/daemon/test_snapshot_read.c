/* SPDX-License-Identifier: ISC */
/*
 * snapshot_read.c: the definition out of a snapshot file, for vm.restore.
 * Streams are written with the migration codec's writer into a memfd, as
 * a monitor writes a snapshot file; then whole, cut short, without a
 * definition, with one that is not JSON, encrypted, or not a
 * stream at all. Run under ASan+UBSan.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define TEST_HARNESS_IMPL
#include "test_harness.h"
#include "skiffd.h"
#include "stream.h"

#define DEF_TEXT "{\"name\":\"web1\",\"kernel\":\"/k.hvt\",\"mem\":2}"
#define MEM_PAGES 1024		/* 4 MiB: a few records */

struct sbuf {
	uint8_t *p;
	size_t len, cap;
};

static int sbuf_write(void *opaque, const void *data, size_t len)
{
	struct sbuf *b = opaque;
	uint8_t *p;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		p = realloc(b->p, b->cap);
		if (!p)
			return -1;
		b->p = p;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

enum shape {
	SNAPSHOT,		/* config, definition, memory, vCPU, end */
	NO_DEFINITION,		/* config, memory, vCPU, end */
	CONFIG_END,		/* config, end */
	JUNK_SMALL,		/* 512 KiB of skippable sections, then as SNAPSHOT */
	JUNK_LARGE,		/* the same, 5 MiB: past the search limit */
};

static struct stream_writer *writer(struct sbuf *b, const uint8_t *token)
{
	struct stream_writer_config wc = {
		.write = sbuf_write,
		.opaque = b,
		.token = token,
		.direction = STREAM_TO_DESTINATION,
	};
	struct stream_error err;

	return stream_writer_new(&wc, &err);
}

static int write_junk(struct stream_writer *w, int n)
{
	static uint8_t junk[256 * 1024];
	int i;

	for (i = 0; i < n; i++)
		if (stream_write_raw_section(w, 0x7fff,
					     STREAM_SECTION_SKIPPABLE, 1,
					     junk, sizeof(junk)))
			return -1;
	return 0;
}

static int write_state(struct stream_writer *w, const uint8_t *mem,
		       uint64_t pages)
{
	struct stream_vcpu_state v;

	memset(&v, 0, sizeof(v));
	return stream_write_pages(w, 0, pages, mem) ||
	       stream_write_vcpu(w, &v) ? -1 : 0;
}

/* A stream of @shape, @def (NULL: DEF_TEXT) and @pages into @b; 0 or -1. */
static int make_stream(struct sbuf *b, enum shape shape, const char *def,
		       const uint8_t *token, uint64_t pages)
{
	struct stream_vm_config cfg = { .mem_size = pages * 4096 };
	struct stream_writer *w = writer(b, token);
	uint8_t *mem = calloc(pages, 4096);
	int rc = -1;
	size_t i;

	if (!w || !mem)
		goto out;
	for (i = 0; i < pages * 4096; i += 4096)
		mem[i] = 1;
	strcpy(cfg.image_path, "/k.hvt");
	def = def ? def : DEF_TEXT;
	if (stream_write_config(w, &cfg) ||
	    (shape == JUNK_SMALL && write_junk(w, 2)) ||
	    (shape == JUNK_LARGE && write_junk(w, 20)))
		goto out;
	if ((shape == SNAPSHOT || shape == JUNK_SMALL ||
	     shape == JUNK_LARGE) &&
	    stream_write_definition(w, def, strlen(def)))
		goto out;
	if (shape != CONFIG_END && write_state(w, mem, pages))
		goto out;
	rc = stream_write_end(w);
out:
	if (rc && w)
		fprintf(stderr, "  writer: %s\n", stream_writer_error(w));
	stream_writer_free(w);
	free(mem);
	return rc;
}

/* A memfd holding @len bytes of @data, at offset 0. */
static int file_of(const void *data, size_t len)
{
	int fd = memfd_create("snapshot", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		perror("memfd");
		return -1;
	}
	return fd;
}

/* Read the definition of @len bytes of @data; NULL with @why. */
static json_t *read_def(const void *data, size_t len, char *why,
			size_t whylen, off_t *stopped_at)
{
	int fd = file_of(data, len);
	json_t *j;

	why[0] = '\0';
	if (fd < 0)
		return NULL;
	j = snapshot_read_definition(fd, why, whylen);
	if (stopped_at)
		*stopped_at = lseek(fd, 0, SEEK_CUR);
	close(fd);
	return j;
}

TEST(a_snapshot_gives_its_definition_and_is_read_no_further)
{
	struct sbuf b = { 0 };
	char why[256];
	off_t at;
	json_t *j;

	REQUIRE(make_stream(&b, SNAPSHOT, NULL, NULL, MEM_PAGES) == 0);
	CHECK(b.len > MEM_PAGES * 4096ull);
	j = read_def(b.p, b.len, why, sizeof(why), &at);
	if (!j)
		fprintf(stderr, "  %s\n", why);
	REQUIRE(j != NULL);
	CHECK(!strcmp(json_string_value(json_object_get(j, "name")), "web1"));
	CHECK(!strcmp(json_string_value(json_object_get(j, "kernel")), "/k.hvt"));
	CHECK(json_integer_value(json_object_get(j, "mem")) == 2);
	/* Stopped at the definition's record, well before the end. */
	CHECK(at > 0 && at < (off_t)b.len / 2);
	json_decref(j);
	free(b.p);
}

TEST(the_definition_is_found_after_other_sections_up_to_the_limit)
{
	struct sbuf b = { 0 };
	char why[256];
	json_t *j;

	REQUIRE(make_stream(&b, JUNK_SMALL, NULL, NULL, MEM_PAGES) == 0);
	j = read_def(b.p, b.len, why, sizeof(why), NULL);
	CHECK(j != NULL);
	json_decref(j);
	free(b.p);
	memset(&b, 0, sizeof(b));
	REQUIRE(make_stream(&b, JUNK_LARGE, NULL, NULL, MEM_PAGES) == 0);
	j = read_def(b.p, b.len, why, sizeof(why), NULL);
	CHECK(j == NULL);
	CHECK(!strcmp(why, "not a skiff snapshot: no definition in its first 4096 KiB"));
	json_decref(j);
	free(b.p);
}

TEST(no_definition_before_the_memory_is_not_a_snapshot)
{
	struct sbuf b = { 0 };
	char why[256];

	REQUIRE(make_stream(&b, NO_DEFINITION, NULL, NULL, MEM_PAGES) == 0);
	CHECK(read_def(b.p, b.len, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "not a skiff snapshot: no definition before the guest's memory (a stream written without skiffd?)"));
	free(b.p);
	memset(&b, 0, sizeof(b));
	REQUIRE(make_stream(&b, CONFIG_END, NULL, NULL, MEM_PAGES) == 0);
	CHECK(read_def(b.p, b.len, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "not a skiff snapshot: the stream ends without a definition"));
	free(b.p);
}

/*
 * The codec hands a section over when its record is complete: a small
 * snapshot is one record, so every cut fails; in a large one, a cut
 * inside the first record fails and one past it reads.
 */
TEST(a_truncated_snapshot_fails_until_its_definition_is_complete)
{
	struct sbuf b = { 0 };
	char why[256], want[128];
	size_t cut, bad = 0;
	json_t *j;

	REQUIRE(make_stream(&b, SNAPSHOT, NULL, NULL, 4) == 0);
	for (cut = 0; cut < b.len; cut++) {
		j = read_def(b.p, cut, why, sizeof(why), NULL);
		snprintf(want, sizeof(want),
			 "truncated, or not a snapshot: the file ends after %zu bytes, before any definition",
			 cut);
		if ((j || strcmp(why, want)) && !bad++)
			fprintf(stderr, "  cut at %zu: %s\n", cut, why);
		json_decref(j);
	}
	CHECK(bad == 0);
	j = read_def(b.p, b.len, why, sizeof(why), NULL);
	CHECK(j != NULL);
	json_decref(j);
	free(b.p);
	memset(&b, 0, sizeof(b));
	REQUIRE(make_stream(&b, SNAPSHOT, NULL, NULL, MEM_PAGES) == 0);
	CHECK(read_def(b.p, 100000, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "truncated, or not a snapshot: the file ends after 100000 bytes, before any definition"));
	j = read_def(b.p, b.len / 2, why, sizeof(why), NULL);
	CHECK(j != NULL);
	json_decref(j);
	free(b.p);
}

TEST(a_definition_that_is_not_a_json_object_is_refused)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "{\"name\":", "its definition is not JSON: line 1 column 8: " },
		{ "{\"a\":1,\"a\":2}", "its definition is not JSON: line 1 column " },
		{ "[1,2]", "its definition is not a JSON object" },
		{ "\"web1\"", "its definition is not JSON: " },
	};
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbuf b = { 0 };

		REQUIRE(make_stream(&b, SNAPSHOT, t[i].text, NULL, MEM_PAGES) == 0);
		CHECK(read_def(b.p, b.len, why, sizeof(why), NULL) == NULL);
		if (strncmp(why, t[i].want, strlen(t[i].want)))
			fprintf(stderr, "  %s: %s\n", t[i].text, why);
		CHECK(!strncmp(why, t[i].want, strlen(t[i].want)));
		free(b.p);
	}
}

TEST(other_files_are_not_snapshots)
{
	static const uint8_t token[STREAM_TOKEN_BYTES] = { 1, 2, 3 };
	static const char text[] = "#!/bin/sh\necho this is not a snapshot\n";
	static const char garbage[4096] = "\177ELF";
	struct sbuf b = { 0 };
	char why[256];

	CHECK(read_def(text, sizeof(text) - 1, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "truncated, or not a snapshot: the file ends after 38 bytes, before any definition"));
	CHECK(read_def(garbage, sizeof(garbage), why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "not a skiff snapshot: migration stream: hello: not a skiff migration stream (bad magic)"));
	CHECK(read_def("", 0, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "truncated, or not a snapshot: the file ends after 0 bytes, before any definition"));
	/* A live migration's stream is encrypted: not a snapshot file. */
	REQUIRE(make_stream(&b, SNAPSHOT, NULL, token, MEM_PAGES) == 0);
	CHECK(read_def(b.p, b.len, why, sizeof(why), NULL) == NULL);
	CHECK(!strcmp(why, "not a skiff snapshot: migration stream: hello: the stream is encrypted and no token was given"));
	free(b.p);
}

TEST(a_read_error_is_reported)
{
	char why[256];
	int fd = memfd_create("wo", MFD_CLOEXEC), wfd;
	char path[64];

	REQUIRE(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	REQUIRE(wfd >= 0);
	CHECK(snapshot_read_definition(wfd, why, sizeof(why)) == NULL);
	CHECK(!strcmp(why, "read: Bad file descriptor"));
	close(wfd);
	close(fd);
}

int main(void)
{
	static const struct test_case cases[] = {
		TEST_ENTRY(a_snapshot_gives_its_definition_and_is_read_no_further),
		TEST_ENTRY(the_definition_is_found_after_other_sections_up_to_the_limit),
		TEST_ENTRY(no_definition_before_the_memory_is_not_a_snapshot),
		TEST_ENTRY(a_truncated_snapshot_fails_until_its_definition_is_complete),
		TEST_ENTRY(a_definition_that_is_not_a_json_object_is_refused),
		TEST_ENTRY(other_files_are_not_snapshots),
		TEST_ENTRY(a_read_error_is_reported),
	};

	log_init(false, false);
	return test_main("daemon/snapshot_read", cases,
			 sizeof(cases) / sizeof(cases[0]));
}
