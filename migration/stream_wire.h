/* SPDX-License-Identifier: ISC */
/*
 * Internal to migration/: the wire constants, little-endian field access,
 * the record channel and the reader's state, shared by the codec's files.
 * Other components use stream.h only.
 */
#ifndef SKIFF_MIGRATION_STREAM_WIRE_H
#define SKIFF_MIGRATION_STREAM_WIRE_H

#include <stdarg.h>
#include <string.h>

#include <sodium.h>

#include "stream.h"

/* The cleartext hello: magic, version, flags, salt, secretstream header. */
#define WIRE_MAGIC		"SKIFFMIG"
#define WIRE_MAGIC_BYTES	8
#define WIRE_VERSION		1
#define WIRE_SALT_BYTES		16
#define WIRE_SS_HEADER_BYTES	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define WIRE_HELLO_BYTES	(16 + WIRE_SALT_BYTES + WIRE_SS_HEADER_BYTES)

#define WIRE_FLAG_ENCRYPTED	0x0001
#define WIRE_FLAG_TO_SOURCE	0x0002
#define WIRE_FLAGS_KNOWN	(WIRE_FLAG_ENCRYPTED | WIRE_FLAG_TO_SOURCE)

/*
 * Records: u32 header (bit 31 final, bits 0-30 body length), then the
 * body (plaintext, or secretstream ciphertext: plaintext + ABYTES).
 * A record carries at most WIRE_RECORD_MAX plaintext bytes, so a memory
 * section (1 MiB of pages and its run headers) fits in one.
 */
#define WIRE_RECORD_FINAL	0x80000000u
#define WIRE_RECORD_MAX		(1088u * 1024)
#define WIRE_ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define WIRE_BODY_MAX		(WIRE_RECORD_MAX + WIRE_ABYTES)

/* Sections: u16 type, u16 flags, u16 version, u16 zero, u64 length. */
#define WIRE_SECTION_HEADER	16
enum wire_section_type {
	WIRE_SEC_CONFIG = 1,
	WIRE_SEC_MEMORY = 2,
	WIRE_SEC_VCPU = 3,
	WIRE_SEC_DEVICE = 4,
	WIRE_SEC_ACK = 5,
	WIRE_SEC_END = 6,
	WIRE_SEC_DEFINITION = 7,
	WIRE_SEC_CLOCK = 8,
	WIRE_SEC_CONSOLE = 9,
};
#define WIRE_SECTION_VERSION	1

/* Memory runs: u64 gfn, u32 count, u16 kind, u16 zero; data follows. */
#define WIRE_RUN_HEADER		16
#define WIRE_RUN_DATA		0
#define WIRE_RUN_ZERO		1
#define WIRE_DATA_PAGES_MAX	256	/* per memory section: 1 MiB */
#define WIRE_RUNS_MAX		1024	/* per memory section */

#define WIRE_MSR_BYTES		16	/* u32 index, u32 zero, u64 data */

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* stream_error.c */
void stream_error_set(struct stream_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *stream_section_name(uint16_t type);

/* stream_channel.c: one direction's hello, key and record sealing. */
struct channel {
	bool encrypted;
	bool first;		/* the next record binds the hello as AD */
	uint8_t hello[WIRE_HELLO_BYTES];
	crypto_secretstream_xchacha20poly1305_state state;
};

int channel_start_push(struct channel *ch, const uint8_t *token,
		       enum stream_direction dir, struct stream_error *err);
/* out must hold 4 + len + WIRE_ABYTES; returns the bytes to send. */
size_t channel_seal(struct channel *ch, const uint8_t *plain, size_t len,
		    bool final, uint8_t *out);
int channel_start_pull(struct channel *ch, const uint8_t *hello,
		       const uint8_t *token, enum stream_direction dir,
		       struct stream_error *err);
/* buf holds len - WIRE_ABYTES; *plain is buf, or body if plaintext. */
int channel_open(struct channel *ch, const uint8_t *body, size_t len,
		 bool final, uint8_t *buf, const uint8_t **plain,
		 size_t *plain_len, struct stream_error *err);
void channel_wipe(struct channel *ch);

/* The reader's state (stream_read.c frames, stream_decode.c decodes). */
enum reader_state { R_HELLO, R_RECORD_HEADER, R_RECORD_BODY, R_DONE, R_FAILED };
enum section_state { S_HEADER, S_BODY, S_SKIP };

struct stream_reader {
	struct stream_callbacks cb;
	void *opaque;
	bool has_token;
	uint8_t token[STREAM_TOKEN_BYTES];
	enum stream_direction direction;
	uint64_t max_mem_size, max_section;

	struct channel ch;
	enum reader_state state;
	uint8_t head[WIRE_HELLO_BYTES];	/* the hello, then record headers */
	size_t head_have;
	uint32_t body_len;
	bool body_final;
	uint8_t *body;			/* a record body split across feeds */
	size_t body_have, body_cap;
	uint8_t *plain;			/* the current record's plaintext */
	size_t plain_cap;

	enum section_state sstate;
	uint8_t shead[WIRE_SECTION_HEADER];
	size_t shead_have;
	uint16_t stype, sflags, sversion;
	uint64_t slen, sleft;
	uint8_t *sbuf;			/* a section split across records */
	size_t scap;

	bool have_config, have_ack, have_definition, ended;
	uint64_t mem_size, nsections, bytes;
	struct stream_vm_config *config;
	struct stream_vcpu_state *vcpu;
	struct stream_error err;
};

/* stream_decode.c: one whole section payload, already bounds-framed. */
int decode_section(struct stream_reader *r, const uint8_t *p, size_t len);

#endif
