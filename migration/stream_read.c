/* SPDX-License-Identifier: ISC */
/*
 * Bytes -> records -> sections: the reader's framing. Every length read
 * from the stream is checked against what is left and against the
 * caller's limits before anything is allocated or copied; a record is
 * authenticated whole before one byte of it reaches a section decoder, so
 * callbacks only ever see data the source really sent.
 */
#include <stdlib.h>

#include "stream_wire.h"

#define DEFAULT_MAX_MEM		(4096ull << 20)
#define DEFAULT_MAX_SECTION	(4u << 20)

static int fail(struct stream_reader *r)
{
	r->state = R_FAILED;
	return -1;
}

struct stream_reader *stream_reader_new(const struct stream_reader_config *cfg,
					struct stream_error *err)
{
	struct stream_reader *r = calloc(1, sizeof(*r));

	if (!r)
		goto nomem;
	if (cfg->cb)
		r->cb = *cfg->cb;
	r->opaque = cfg->opaque;
	r->has_token = cfg->token != NULL;
	if (cfg->token)
		memcpy(r->token, cfg->token, STREAM_TOKEN_BYTES);
	r->direction = cfg->direction;
	r->max_mem_size = cfg->max_mem_size ? cfg->max_mem_size : DEFAULT_MAX_MEM;
	r->max_section = cfg->max_section ? cfg->max_section : DEFAULT_MAX_SECTION;
	r->config = calloc(1, sizeof(*r->config));
	r->vcpu = calloc(1, sizeof(*r->vcpu));
	if (!r->config || !r->vcpu)
		goto nomem;
	return r;
nomem:
	stream_error_set(err, "out of memory");
	stream_reader_free(r);
	return NULL;
}

void stream_reader_free(struct stream_reader *r)
{
	if (!r)
		return;
	channel_wipe(&r->ch);
	sodium_memzero(r->token, sizeof(r->token));
	free(r->config);
	free(r->vcpu);
	free(r->body);
	free(r->plain);
	free(r->sbuf);
	free(r);
}

/*
 * Grows a buffer to n bytes. Buffers grow only as real records arrive, so
 * a small stream costs little memory and a hostile header costs none.
 */
static int reserve(struct stream_reader *r, uint8_t **buf, size_t *cap,
		   size_t n)
{
	uint8_t *b;

	if (*cap >= n && *buf)
		return 0;
	if (n < 64)
		n = 64;
	b = realloc(*buf, n);
	if (!b) {
		stream_error_set(&r->err, "out of memory");
		return -1;
	}
	*buf = b;
	*cap = n;
	return 0;
}

/* Moves up to want - *have bytes into buf; true once it is full. */
static bool fill(uint8_t *buf, size_t *have, size_t want,
		 const uint8_t **p, size_t *len)
{
	size_t n = want - *have;

	if (n > *len)
		n = *len;
	memcpy(buf + *have, *p, n);
	*have += n;
	*p += n;
	*len -= n;
	return *have == want;
}

static bool type_known(uint16_t type)
{
	return type >= WIRE_SEC_CONFIG && type <= WIRE_SEC_CONSOLE;
}

/*
 * The order a stream must follow: config before the VM's state, ack only
 * backwards, a definition at most once (a daemons' handshake is a
 * definition alone), end last.
 */
static int section_order(struct stream_reader *r)
{
	const char *name = stream_section_name(r->stype);
	bool back = r->direction == STREAM_TO_SOURCE;

	switch (r->stype) {
	case WIRE_SEC_CONFIG:
		if (back || r->have_config)
			goto bad;
		return 0;
	case WIRE_SEC_MEMORY:
	case WIRE_SEC_VCPU:
	case WIRE_SEC_DEVICE:
	case WIRE_SEC_CLOCK:
	case WIRE_SEC_CONSOLE:
		if (back || !r->have_config)
			goto bad;
		return 0;
	case WIRE_SEC_ACK:
		if (!back || r->have_ack)
			goto bad;
		return 0;
	case WIRE_SEC_DEFINITION:
		if (back || r->have_definition)
			goto bad;
		return 0;
	case WIRE_SEC_END:
		if (back ? !r->have_ack :
		    !r->have_config && !r->have_definition)
			goto bad;
		return 0;
	}
bad:
	stream_error_set(&r->err, "section %s: not allowed here (section %llu of a stream to the %s)",
			 name, (unsigned long long)r->nsections + 1,
			 back ? "source" : "destination");
	return -1;
}

static int section_begin(struct stream_reader *r)
{
	bool skippable;

	r->stype = get_le16(r->shead);
	r->sflags = get_le16(r->shead + 2);
	r->sversion = get_le16(r->shead + 4);
	r->slen = r->sleft = get_le64(r->shead + 8);
	skippable = r->sflags & STREAM_SECTION_SKIPPABLE;
	if ((r->sflags & ~STREAM_SECTION_SKIPPABLE) || get_le16(r->shead + 6)) {
		stream_error_set(&r->err, "section type 0x%x: unknown flags 0x%x",
				 r->stype, r->sflags);
		return -1;
	}
	if (!type_known(r->stype) || r->sversion != WIRE_SECTION_VERSION) {
		if (skippable) {
			r->nsections++;
			r->sstate = S_SKIP;
			return 0;
		}
		if (!type_known(r->stype))
			stream_error_set(&r->err, "section type 0x%x (version %u): unknown and not skippable (written by a newer skiff?)",
					 r->stype, r->sversion);
		else
			stream_error_set(&r->err, "section %s: version %u not supported (this reader knows %u)",
					 stream_section_name(r->stype), r->sversion,
					 WIRE_SECTION_VERSION);
		return -1;
	}
	if (r->slen > r->max_section) {
		stream_error_set(&r->err, "section %s: length %llu exceeds the limit of %llu bytes",
				 stream_section_name(r->stype),
				 (unsigned long long)r->slen,
				 (unsigned long long)r->max_section);
		return -1;
	}
	if (section_order(r))
		return -1;
	if (r->stype != WIRE_SEC_END)
		r->nsections++;
	r->sstate = S_BODY;
	return 0;
}

static int section_done(struct stream_reader *r, const uint8_t *p, size_t len)
{
	r->sstate = S_HEADER;
	r->shead_have = 0;
	return decode_section(r, p, len);
}

/* Collects a section that straddles records into sbuf. */
static int section_collect(struct stream_reader *r, const uint8_t **p,
			   size_t *len)
{
	size_t have = r->slen - r->sleft, n = r->sleft;

	if (reserve(r, &r->sbuf, &r->scap, r->slen))
		return -1;
	if (n > *len)
		n = *len;
	memcpy(r->sbuf + have, *p, n);
	*p += n;
	*len -= n;
	r->sleft -= n;
	return r->sleft ? 0 : section_done(r, r->sbuf, r->slen);
}

static int section_body(struct stream_reader *r, const uint8_t **p,
			size_t *len)
{
	size_t n;

	if (r->sstate == S_SKIP) {
		n = r->sleft < *len ? r->sleft : *len;
		*p += n;
		*len -= n;
		r->sleft -= n;
		if (!r->sleft)
			r->sstate = S_HEADER, r->shead_have = 0;
		return 0;
	}
	/* The usual case: the whole section in this record, decoded in place. */
	if (r->sleft == r->slen && *len >= r->slen) {
		const uint8_t *s = *p;

		*p += r->slen;
		*len -= r->slen;
		r->sleft = 0;
		return section_done(r, s, r->slen);
	}
	return section_collect(r, p, len);
}

static int sections_feed(struct stream_reader *r, const uint8_t *p, size_t len)
{
	while (len || (r->sstate != S_HEADER && !r->sleft)) {
		if (r->ended) {
			stream_error_set(&r->err, "%zu bytes after the end section", len);
			return -1;
		}
		if (r->sstate == S_HEADER) {
			if (fill(r->shead, &r->shead_have, WIRE_SECTION_HEADER,
				 &p, &len) && section_begin(r))
				return -1;
			continue;
		}
		if (section_body(r, &p, &len))
			return -1;
	}
	return 0;
}

static int record_done(struct stream_reader *r, const uint8_t *body)
{
	struct stream_error e = { { 0 } };
	const uint8_t *plain;
	size_t plen;

	if ((r->ch.encrypted && reserve(r, &r->plain, &r->plain_cap,
					r->body_len - WIRE_ABYTES)) ||
	    channel_open(&r->ch, body, r->body_len, r->body_final, r->plain,
			 &plain, &plen, &r->err) ||
	    sections_feed(r, plain, plen))
		return -1;
	r->head_have = 0;
	r->body_have = 0;
	r->state = R_RECORD_HEADER;
	if (!r->body_final)
		return 0;
	if (!r->ended || r->sstate != S_HEADER || r->shead_have) {
		stream_error_set(&r->err, "the final record ends before the end section");
		return -1;
	}
	r->state = R_DONE;
	if (r->cb.end && r->cb.end(r->opaque, &e)) {
		stream_error_set(&r->err, "section end: refused by the receiver: %s",
				 e.msg[0] ? e.msg : "no reason given");
		return -1;
	}
	return 0;
}

static int record_header(struct stream_reader *r)
{
	uint32_t h = get_le32(r->head);
	size_t min = r->ch.encrypted ? WIRE_ABYTES : 0;
	size_t max = r->ch.encrypted ? WIRE_BODY_MAX : WIRE_RECORD_MAX;

	r->body_final = h & WIRE_RECORD_FINAL;
	r->body_len = h & ~WIRE_RECORD_FINAL;
	r->body_have = 0;
	if (r->body_len < min || r->body_len > max) {
		stream_error_set(&r->err, "record: length %u outside %zu..%zu",
				 r->body_len, min, max);
		return -1;
	}
	r->state = R_RECORD_BODY;
	/* An empty plaintext record is complete already. */
	return r->body_len ? 0 : record_done(r, r->body);
}

static int record_body(struct stream_reader *r, const uint8_t **p, size_t *len)
{
	const uint8_t *b = *p;

	if (!r->body_have && *len >= r->body_len) {
		*p += r->body_len;
		*len -= r->body_len;
		return record_done(r, b);
	}
	if (reserve(r, &r->body, &r->body_cap, r->body_len))
		return -1;
	if (!fill(r->body, &r->body_have, r->body_len, p, len))
		return 0;
	return record_done(r, r->body);
}

static int feed_step(struct stream_reader *r, const uint8_t **p, size_t *len)
{
	switch (r->state) {
	case R_HELLO:
		if (!fill(r->head, &r->head_have, WIRE_HELLO_BYTES, p, len))
			return 0;
		if (channel_start_pull(&r->ch, r->head,
				       r->has_token ? r->token : NULL,
				       r->direction, &r->err))
			return -1;
		r->head_have = 0;
		r->state = R_RECORD_HEADER;
		return 0;
	case R_RECORD_HEADER:
		if (!fill(r->head, &r->head_have, 4, p, len))
			return 0;
		return record_header(r);
	case R_RECORD_BODY:
		return record_body(r, p, len);
	case R_DONE:
		stream_error_set(&r->err, "%zu bytes after the final record", *len);
		return -1;
	case R_FAILED:
		break;
	}
	return -1;
}

int stream_reader_feed(struct stream_reader *r, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (r->state == R_FAILED)
		return -1;
	r->bytes += len;
	while (len)
		if (feed_step(r, &p, &len))
			return fail(r);
	return 0;
}

int stream_reader_finish(struct stream_reader *r)
{
	if (r->state == R_DONE)
		return 0;
	if (r->state != R_FAILED)
		stream_error_set(&r->err, "truncated: the input ended after %llu bytes, before the final record",
				 (unsigned long long)r->bytes);
	return fail(r);
}

bool stream_reader_done(const struct stream_reader *r)
{
	return r->state == R_DONE;
}

const char *stream_reader_error(const struct stream_reader *r)
{
	return r->err.msg;
}

uint64_t stream_reader_bytes(const struct stream_reader *r)
{
	return r->bytes;
}

size_t stream_reader_want(const struct stream_reader *r)
{
	switch (r->state) {
	case R_HELLO:
		return WIRE_HELLO_BYTES - r->head_have;
	case R_RECORD_HEADER:
		return 4 - r->head_have;
	case R_RECORD_BODY:
		return r->body_len - r->body_have;
	case R_DONE:
	case R_FAILED:
		break;
	}
	return 0;
}
