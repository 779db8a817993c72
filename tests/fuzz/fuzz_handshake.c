/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the destination's read of the daemons' handshake
 * (daemon/migration_handshake.c): the bytes a stranger on the network
 * controls before anything else. The first byte picks the mode and the
 * piece size:
 *   bit 0 clear: the rest is the raw connection, fed as the destination
 *                feeds it (never more than the reader wants, in pieces of
 *                at most bits 1-7 + 1 bytes);
 *   bit 0 set:   the rest is a definition's text, sealed into a valid
 *                handshake with the token and read back: the JSON side.
 * Checks: the reader never takes more than it asked for, stops at the
 * handshake's last byte, and only a finished read has a definition,
 * which is then an object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "migration.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t token[MIGRATION_TOKEN_BYTES] = {
	0x73, 0x6b, 0x69, 0x66, 0x66, 0x2d, 0x68, 0x73, 1, 2, 3, 4, 5, 6, 7, 8,
};

struct out {
	uint8_t *p;
	size_t len;
};

static int out_write(void *o, const void *d, size_t n)
{
	struct out *b = o;
	uint8_t *p = realloc(b->p, b->len + n);

	if (!p)
		return -1;
	memcpy(p + b->len, d, n);
	b->p = p;
	b->len += n;
	return 0;
}

static void read_all(const uint8_t *p, size_t len, size_t piece)
{
	struct migration_hs *hs = migration_hs_new(token);
	size_t off = 0, n, want;
	json_t *def;

	if (!hs)
		abort();
	while ((want = migration_hs_want(hs)) > 0 && off < len) {
		n = want < piece ? want : piece;
		if (n > len - off)
			n = len - off;
		if (migration_hs_feed(hs, p + off, n))
			break;
		off += n;
		if (migration_hs_bytes(hs) != off)
			abort();
	}
	def = migration_hs_definition(hs);
	if (def && (!migration_hs_done(hs) || !json_is_object(def)))
		abort();
	if (migration_hs_done(hs) && migration_hs_want(hs))
		abort();
	migration_hs_free(hs);
}

static void sealed(const uint8_t *text, size_t len)
{
	struct out b = { 0 };
	struct stream_writer_config wc = { out_write, &b, token,
					   STREAM_TO_DESTINATION };
	struct stream_error e;
	struct stream_writer *w = stream_writer_new(&wc, &e);

	if (!w)
		abort();
	if (!stream_write_definition(w, (const char *)text, len) &&
	    !stream_write_end(w))
		read_all(b.p, b.len, b.len);
	stream_writer_free(w);
	free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		sealed(data + 1, size - 1);
	else
		read_all(data + 1, size - 1, (size_t)(data[0] >> 1) + 1);
	return 0;
}
