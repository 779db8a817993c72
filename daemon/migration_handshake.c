/* SPDX-License-Identifier: ISC */
/*
 * The daemons' handshake: before the monitors' stream, on the same
 * connection, the source's skiffd sends the VM's definition as a short
 * migration stream keyed by the token (hello, definition, end). Reading
 * it proves the source holds the token (every record is authenticated),
 * and tells the destination what to register. The reader is fed at most
 * stream_reader_want() bytes at a time, so it stops at the handshake's
 * last byte and the monitors' stream stays on the socket for the
 * destination's monitor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"
#include "stream.h"

struct migration_hs {
	struct stream_reader *r;
	json_t *def;
	char why[256];
};

struct out_buf {
	uint8_t *p;
	size_t len, cap;
};

static int out_write(void *opaque, const void *data, size_t len)
{
	struct out_buf *b = opaque;
	uint8_t *p;

	if (b->len + len > b->cap) {
		p = realloc(b->p, (b->len + len) * 2);
		if (!p)
			return -1;
		b->p = p;
		b->cap = (b->len + len) * 2;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

int migration_handshake_encode(json_t *def, const uint8_t *token,
			       uint8_t **out, size_t *len, char *why,
			       size_t whylen)
{
	struct stream_writer_config wc = { out_write, NULL, token,
					   STREAM_TO_DESTINATION };
	struct out_buf b = { 0 };
	struct stream_error e = { { 0 } };
	struct stream_writer *w;
	char *text = json_dumps(def, JSON_COMPACT);
	int rc = -1;

	wc.opaque = &b;
	if (!text) {
		snprintf(why, whylen, "handshake: out of memory");
		return -1;
	}
	w = stream_writer_new(&wc, &e);
	if (!w) {
		snprintf(why, whylen, "handshake: %s", e.msg);
	} else if (stream_write_definition(w, text, strlen(text)) ||
		   stream_write_end(w)) {
		snprintf(why, whylen, "handshake: %s", stream_writer_error(w));
	} else {
		*out = b.p;
		*len = b.len;
		b.p = NULL;
		rc = 0;
	}
	stream_writer_free(w);
	free(text);
	free(b.p);
	return rc;
}

static int on_definition(void *opaque, const char *text, size_t len,
			 struct stream_error *err)
{
	struct migration_hs *hs = opaque;
	json_error_t je;

	hs->def = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(hs->def)) {
		snprintf(err->msg, sizeof(err->msg),
			 "the definition is not a JSON object: %.150s",
			 hs->def ? "another JSON value" : je.text);
		json_decref(hs->def);
		hs->def = NULL;
		return -1;
	}
	return 0;
}

/* The handshake is the definition alone: anything else is refused. */
static int on_config(void *opaque, const struct stream_vm_config *cfg,
		     struct stream_error *err)
{
	snprintf(err->msg, sizeof(err->msg), "not a handshake (a VM stream?)");
	return -1;
}

static int on_end(void *opaque, struct stream_error *err)
{
	struct migration_hs *hs = opaque;

	if (hs->def)
		return 0;
	snprintf(err->msg, sizeof(err->msg), "a handshake without a definition");
	return -1;
}

static const struct stream_callbacks hs_cb = {
	.config = on_config,
	.end = on_end,
	.definition = on_definition,
};

struct migration_hs *migration_hs_new(const uint8_t *token)
{
	struct stream_reader_config rc = {
		.cb = &hs_cb, .token = token,
		.direction = STREAM_TO_DESTINATION,
		/* a definition and its section header, with room to spare */
		.max_section = STREAM_DEFINITION_MAX + 64,
	};
	struct migration_hs *hs = calloc(1, sizeof(*hs));
	struct stream_error e;

	if (!hs)
		return NULL;
	rc.opaque = hs;
	hs->r = stream_reader_new(&rc, &e);
	if (!hs->r) {
		free(hs);
		return NULL;
	}
	return hs;
}

void migration_hs_free(struct migration_hs *hs)
{
	if (!hs)
		return;
	stream_reader_free(hs->r);
	json_decref(hs->def);
	free(hs);
}

size_t migration_hs_want(const struct migration_hs *hs)
{
	return stream_reader_want(hs->r);
}

int migration_hs_feed(struct migration_hs *hs, const void *data, size_t len)
{
	return stream_reader_feed(hs->r, data, len);
}

bool migration_hs_done(const struct migration_hs *hs)
{
	return stream_reader_done(hs->r);
}

uint64_t migration_hs_bytes(const struct migration_hs *hs)
{
	return stream_reader_bytes(hs->r);
}

const char *migration_hs_error(const struct migration_hs *hs)
{
	const char *e = stream_reader_error(hs->r);

	return e[0] ? e : "the handshake is incomplete";
}

json_t *migration_hs_definition(const struct migration_hs *hs)
{
	return stream_reader_done(hs->r) ? hs->def : NULL;
}
