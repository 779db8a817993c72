/* SPDX-License-Identifier: ISC */
/*
 * bench/migrate_stream: throughput of the migration stream codec alone
 * (no network), for a guest memory of MiB (default 256) where one page in
 * four is zero. Prints MiB/s of guest memory for encode and decode,
 * plaintext (the codec alone) and encrypted, for libsodium's secretstream
 * alone over the same bytes, and each as a ratio to memcpy of the guest
 * memory measured in the same run (the physical floor: every path must
 * move each byte at least once). Best of 3 runs each.
 * Usage: bench-migrate-stream [MiB]
 */
#include <time.h>

#include <sodium.h>

#include "stream_fixture.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *dst;

static int to_guest(void *o, uint64_t gfn, uint32_t count, const void *p,
		    struct stream_error *err)
{
	size_t len = (size_t)count * STREAM_PAGE_SIZE;

	/* a fresh destination is already zero: zero runs cost nothing */
	if (p)
		memcpy(dst + gfn * STREAM_PAGE_SIZE, p, len);
	return 0;
}

static double encode(const uint8_t *token, const uint8_t *mem, uint64_t pages,
		     struct buf *out)
{
	struct stream_writer_config wc = { buf_write, out, token, 0 };
	struct stream_vm_config cfg;
	struct stream_error err;
	struct stream_writer *w;
	double t0 = now();

	out->len = 0;
	fixture_config(&cfg, pages * STREAM_PAGE_SIZE);
	w = stream_writer_new(&wc, &err);
	if (!w || stream_write_config(w, &cfg) ||
	    stream_write_pages(w, 0, pages, mem) || stream_write_end(w)) {
		fprintf(stderr, "bench: encode failed\n");
		exit(1);
	}
	stream_writer_free(w);
	return now() - t0;
}

static double decode(const uint8_t *token, const struct buf *in, uint64_t max)
{
	static const struct stream_callbacks cb = { .pages = to_guest };
	struct stream_reader_config rc = { &cb, NULL, token, 0, max, 0 };
	struct stream_error err;
	struct stream_reader *r;
	double t0 = now();
	size_t off;

	r = stream_reader_new(&rc, &err);
	/* 64 KiB pieces, as a socket would hand them over */
	for (off = 0; r && off < in->len; off += 65536)
		if (stream_reader_feed(r, in->p + off, in->len - off < 65536 ?
				       in->len - off : 65536))
			break;
	if (!r || stream_reader_finish(r)) {
		fprintf(stderr, "bench: decode failed: %s\n",
			r ? stream_reader_error(r) : err.msg);
		exit(1);
	}
	stream_reader_free(r);
	return now() - t0;
}

/* secretstream alone, 1 MiB messages, over len bytes: push then pull. */
static void crypto_only(const uint8_t *src, size_t len, double *push,
			double *pull)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[32], hdr[24], *c = malloc(len + (len >> 20) * 17 + 64);
	uint8_t *m = malloc(1 << 20);
	size_t off, coff = 0;
	double t0;

	randombytes_buf(key, sizeof(key));
	memset(c, 0, len + (len >> 20) * 17 + 64);	/* fault it in first */
	memset(m, 0, 1 << 20);
	t0 = now();
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	for (off = 0; off < len; off += 1 << 20) {
		unsigned long long cl;
		size_t n = len - off < (1u << 20) ? len - off : 1u << 20;

		crypto_secretstream_xchacha20poly1305_push(&st, c + coff, &cl,
			src + off, n, NULL, 0, 0);
		coff += cl;
	}
	*push = now() - t0;
	t0 = now();
	crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, key);
	for (off = 0; off < coff;) {
		unsigned long long ml;
		unsigned char tag;
		size_t n = coff - off < (1u << 20) + 17 ? coff - off : (1u << 20) + 17;

		if (crypto_secretstream_xchacha20poly1305_pull(&st, m, &ml, &tag,
							       c + off, n, NULL, 0))
			exit(1);
		off += n;
	}
	*pull = now() - t0;
	free(c);
	free(m);
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 256;
	uint64_t size = mib << 20, pages = size / STREAM_PAGE_SIZE;
	uint8_t *mem = malloc(size);
	struct buf out = { malloc(size + (size >> 4)), 0, size + (size >> 4) };
	double t_copy = 1e9, t_pe = 1e9, t_pd = 1e9, t_ee = 1e9, t_ed = 1e9;
	double t_push = 1e9, t_pull = 1e9, a, b;
	size_t stream_plain = 0, stream_enc = 0;
	int i;

	dst = malloc(size);
	if (!mem || !dst || !out.p || sodium_init() < 0)
		return 1;
	fixture_memory(mem, pages);
	memset(dst, 0, size);
	for (i = 0; i < 3; i++) {
		double t0 = now();

		memcpy(dst, mem, size);
		t_copy = best(t_copy, now() - t0);
		memset(dst, 0, size);
		t_pe = best(t_pe, encode(NULL, mem, pages, &out));
		stream_plain = out.len;
		t_pd = best(t_pd, decode(NULL, &out, size));
		if (memcmp(dst, mem, size))
			return 1;
		memset(dst, 0, size);
		t_ee = best(t_ee, encode(fixture_token, mem, pages, &out));
		stream_enc = out.len;
		t_ed = best(t_ed, decode(fixture_token, &out, size));
		if (memcmp(dst, mem, size))
			return 1;
		crypto_only(out.p, out.len, &a, &b);
		t_push = best(t_push, a);
		t_pull = best(t_pull, b);
	}
#define ROW(name, t) printf("%-34s %9.0f MiB/s  %5.2fx memcpy's time\n", \
			    name, mib / (t), (t) / t_copy)
	printf("bench/migrate_stream: %llu MiB guest, 1/4 zero pages; stream %zu bytes plaintext, %zu encrypted\n",
	       (unsigned long long)mib, stream_plain, stream_enc);
	ROW("memcpy (floor)", t_copy);
	ROW("encode, plaintext (codec alone)", t_pe);
	ROW("decode, plaintext (codec alone)", t_pd);
	ROW("secretstream push alone", t_push);
	ROW("secretstream pull alone", t_pull);
	ROW("encode + encrypt", t_ee);
	ROW("decrypt + decode", t_ed);
	free(mem);
	free(dst);
	free(out.p);
	return 0;
}
