/* SPDX-License-Identifier: ISC */
/*
 * The channel under the sections: the cleartext hello, the key for one
 * direction of one migration, and sealing/opening of records.
 *
 * Crypto is libsodium's, never our own: the key is BLAKE2b keyed with the
 * one-time token over a context string naming the direction and a random
 * per-stream salt (so no key is ever used twice, even if a token were);
 * records are crypto_secretstream_xchacha20poly1305 messages, the first
 * one bound to the hello as additional data so a forged version or flag
 * fails authentication, the last one tagged FINAL so truncation is seen.
 */
#include "stream_wire.h"

static const char *const kdf_context[] = {
	[STREAM_TO_DESTINATION] = "skiff migration v1: to destination",
	[STREAM_TO_SOURCE] = "skiff migration v1: to source",
};

static int derive_key(uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES],
		      const uint8_t *token, enum stream_direction dir,
		      const uint8_t *salt)
{
	crypto_generichash_state h;

	if (crypto_generichash_init(&h, token, STREAM_TOKEN_BYTES,
				    crypto_secretstream_xchacha20poly1305_KEYBYTES) ||
	    crypto_generichash_update(&h, (const uint8_t *)kdf_context[dir],
				      strlen(kdf_context[dir]) + 1) ||
	    crypto_generichash_update(&h, salt, WIRE_SALT_BYTES) ||
	    crypto_generichash_final(&h, key,
				     crypto_secretstream_xchacha20poly1305_KEYBYTES))
		return -1;
	sodium_memzero(&h, sizeof(h));
	return 0;
}

static void hello_fill(uint8_t *hello, uint16_t flags)
{
	memset(hello, 0, WIRE_HELLO_BYTES);
	memcpy(hello, WIRE_MAGIC, WIRE_MAGIC_BYTES);
	put_le16(hello + 8, WIRE_VERSION);
	put_le16(hello + 10, flags);
}

int channel_start_push(struct channel *ch, const uint8_t *token,
		       enum stream_direction dir, struct stream_error *err)
{
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	uint8_t *salt = ch->hello + 16;
	int rc = -1;

	memset(ch, 0, sizeof(*ch));
	ch->encrypted = token != NULL;
	ch->first = true;
	hello_fill(ch->hello, (ch->encrypted ? WIRE_FLAG_ENCRYPTED : 0) |
		   (dir == STREAM_TO_SOURCE ? WIRE_FLAG_TO_SOURCE : 0));
	if (!ch->encrypted)
		return 0;
	if (sodium_init() < 0) {
		stream_error_set(err, "libsodium failed to initialise");
		return -1;
	}
	randombytes_buf(salt, WIRE_SALT_BYTES);
	if (derive_key(key, token, dir, salt) ||
	    crypto_secretstream_xchacha20poly1305_init_push(&ch->state,
							    salt + WIRE_SALT_BYTES,
							    key)) {
		stream_error_set(err, "key setup failed");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

size_t channel_seal(struct channel *ch, const uint8_t *plain, size_t len,
		    bool final, uint8_t *out)
{
	uint8_t tag = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL :
			      crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
	unsigned long long clen = len;

	if (ch->encrypted) {
		crypto_secretstream_xchacha20poly1305_push(&ch->state, out + 4,
			&clen, plain, len, ch->first ? ch->hello : NULL,
			ch->first ? WIRE_HELLO_BYTES : 0, tag);
	} else {
		memcpy(out + 4, plain, len);
	}
	ch->first = false;
	put_le32(out, (uint32_t)clen | (final ? WIRE_RECORD_FINAL : 0));
	return 4 + clen;
}

static int hello_check(const uint8_t *hello, const uint8_t *token,
		       enum stream_direction dir, struct stream_error *err)
{
	static const uint8_t zero[WIRE_SALT_BYTES + WIRE_SS_HEADER_BYTES];
	uint16_t version = get_le16(hello + 8), flags = get_le16(hello + 10);
	bool to_source = flags & WIRE_FLAG_TO_SOURCE;

	if (memcmp(hello, WIRE_MAGIC, WIRE_MAGIC_BYTES)) {
		stream_error_set(err, "hello: not a skiff migration stream (bad magic)");
		return -1;
	}
	if (version != WIRE_VERSION) {
		stream_error_set(err, "hello: format version %u not supported (this reader knows %u)",
				 version, WIRE_VERSION);
		return -1;
	}
	if ((flags & ~WIRE_FLAGS_KNOWN) || get_le32(hello + 12)) {
		stream_error_set(err, "hello: unknown flags 0x%x", flags);
		return -1;
	}
	if (to_source != (dir == STREAM_TO_SOURCE)) {
		stream_error_set(err, "hello: a stream to the %s, expected one to the %s",
				 to_source ? "source" : "destination",
				 dir == STREAM_TO_SOURCE ? "source" : "destination");
		return -1;
	}
	if (!(flags & WIRE_FLAG_ENCRYPTED) && token) {
		stream_error_set(err, "hello: the stream is not encrypted, and a migration must be");
		return -1;
	}
	if ((flags & WIRE_FLAG_ENCRYPTED) && !token) {
		stream_error_set(err, "hello: the stream is encrypted and no token was given");
		return -1;
	}
	if (!token && memcmp(hello + 16, zero, sizeof(zero))) {
		stream_error_set(err, "hello: a plaintext stream with a salt");
		return -1;
	}
	return 0;
}

int channel_start_pull(struct channel *ch, const uint8_t *hello,
		       const uint8_t *token, enum stream_direction dir,
		       struct stream_error *err)
{
	uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	int rc = -1;

	memset(ch, 0, sizeof(*ch));
	if (hello_check(hello, token, dir, err))
		return -1;
	memcpy(ch->hello, hello, WIRE_HELLO_BYTES);
	ch->encrypted = token != NULL;
	ch->first = true;
	if (!ch->encrypted)
		return 0;
	if (sodium_init() < 0) {
		stream_error_set(err, "libsodium failed to initialise");
		return -1;
	}
	if (derive_key(key, token, dir, hello + 16) ||
	    crypto_secretstream_xchacha20poly1305_init_pull(&ch->state,
		    hello + 16 + WIRE_SALT_BYTES, key)) {
		stream_error_set(err, "hello: key setup failed");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int channel_open(struct channel *ch, const uint8_t *body, size_t len,
		 bool final, uint8_t *buf, const uint8_t **plain,
		 size_t *plain_len, struct stream_error *err)
{
	uint8_t want = final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL :
			       crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
	unsigned long long mlen;
	unsigned char tag;

	/* A plaintext record is read where it lies: no copy. */
	if (!ch->encrypted) {
		*plain = body;
		*plain_len = len;
		return 0;
	}
	if (crypto_secretstream_xchacha20poly1305_pull(&ch->state, buf,
			&mlen, &tag, body, len, ch->first ? ch->hello : NULL,
			ch->first ? WIRE_HELLO_BYTES : 0)) {
		stream_error_set(err, "record: authentication failed (a wrong token, or the stream was altered)");
		return -1;
	}
	ch->first = false;
	if (tag != want) {
		stream_error_set(err, "record: tag 0x%x disagrees with the record's final flag",
				 tag);
		return -1;
	}
	*plain = buf;
	*plain_len = mlen;
	return 0;
}

void channel_wipe(struct channel *ch)
{
	sodium_memzero(ch, sizeof(*ch));
}
