/* SPDX-License-Identifier: ISC */
/*
 * The definition at the head of a snapshot file, for vm.restore.
 *
 * A snapshot is a plaintext migration stream (migration/stream.h,
 * docs/migration.md) written by the VM's monitor: the hello, the config,
 * skiffd's definition of the VM (JSON text), then the guest's memory,
 * vCPUs, devices and the end. skiffd needs only the definition, to
 * register the VM; the monitor reads and checks the rest when it
 * restores. So the file is fed to the codec's reader in chunks until the
 * definition callback fires, and reading stops there: the event loop is
 * held for the first record's read (about a megabyte, see
 * SNAPSHOT_DEF_SEARCH_MAX), never for a multi-gigabyte one.
 *
 * The file comes from a client and is read as hostile: the codec checks
 * the framing, and a stream whose memory (or end) comes before any
 * definition, or that has none in its first SNAPSHOT_DEF_SEARCH_MAX
 * bytes, is refused. The definition itself is only parsed as JSON here;
 * validating it is vm.restore's (the same as vm.create's).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skiffd.h"
#include "stream.h"

#define SNAPSHOT_READ_CHUNK	(64u << 10)

struct def_search {
	char *text;		/* the definition, once found */
	size_t len;
	char why[200];		/* why the search failed in a callback */
};

static void search_fail(struct def_search *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void search_fail(struct def_search *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/*
 * Found: keep a copy and stop the reader (a callback's -1 is the only
 * way to end a push parser's work on the chunk it was given).
 */
static int on_definition(void *opaque, const char *text, size_t len,
			 struct stream_error *err)
{
	struct def_search *s = opaque;

	s->text = malloc(len + 1);
	if (!s->text) {
		search_fail(s, "out of memory");
		return -1;
	}
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	snprintf(err->msg, sizeof(err->msg), "definition found");
	return -1;
}

static int on_pages(void *opaque, uint64_t gfn, uint32_t count,
		    const void *data, struct stream_error *err)
{
	search_fail(opaque, "not a skiff snapshot: no definition before the guest's memory (a stream written without skiffd?)");
	snprintf(err->msg, sizeof(err->msg), "no definition");
	return -1;
}

static int on_end(void *opaque, struct stream_error *err)
{
	search_fail(opaque, "not a skiff snapshot: the stream ends without a definition");
	snprintf(err->msg, sizeof(err->msg), "no definition");
	return -1;
}

static const struct stream_callbacks search_cb = {
	.pages = on_pages,
	.definition = on_definition,
	.end = on_end,
};

/*
 * Feed @fd to @r until the definition is found (0), or fail (-1, @s->why
 * set). The reader's own error explains a stream that is not one.
 */
static int search(int fd, struct stream_reader *r, struct def_search *s,
		  char *buf)
{
	uint64_t total = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, SNAPSHOT_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			search_fail(s, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			/* Short of a whole hello, the reader cannot tell. */
			search_fail(s, "truncated, or not a snapshot: the file ends after %llu bytes, before any definition",
				    (unsigned long long)total);
			return -1;
		}
		total += n;
		if (stream_reader_feed(r, buf, n) && !s->text) {
			if (!s->why[0])
				search_fail(s, "not a skiff snapshot: %s",
					    stream_reader_error(r));
			return -1;
		}
		if (s->text)
			return 0;
		if (total >= SNAPSHOT_DEF_SEARCH_MAX) {
			search_fail(s, "not a skiff snapshot: no definition in its first %u KiB",
				    SNAPSHOT_DEF_SEARCH_MAX / 1024);
			return -1;
		}
	}
}

static json_t *parse(const struct def_search *s, char *why, size_t len)
{
	json_error_t jerr;
	json_t *j;

	j = json_loadb(s->text, s->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(why, len, "its definition is not JSON: line %d column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(why, len, "its definition is not a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *snapshot_read_definition(int fd, char *why, size_t len)
{
	struct def_search s = { 0 };
	struct stream_reader_config rc = {
		.cb = &search_cb,
		.opaque = &s,
		.token = NULL,
		.direction = STREAM_TO_DESTINATION,
	};
	struct stream_error serr;
	struct stream_reader *r;
	json_t *j = NULL;
	char *buf;

	buf = malloc(SNAPSHOT_READ_CHUNK);
	if (!buf) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	r = stream_reader_new(&rc, &serr);
	if (!r) {
		snprintf(why, len, "the stream reader: %s", serr.msg);
		goto out;
	}
	if (search(fd, r, &s, buf))
		snprintf(why, len, "%s", s.why);
	else
		j = parse(&s, why, len);
	stream_reader_free(r);
out:
	free(s.text);
	free(buf);
	return j;
}
