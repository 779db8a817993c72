/* SPDX-License-Identifier: ISC */
/*
 * Writes the fuzz target's seed corpus: a plaintext and an encrypted VM
 * stream, fed whole and in small pieces, and an acknowledgement stream,
 * each behind fuzz_stream.c's mode byte. Usage: stream-seeds DIR
 */
#include "stream_fixture.h"

static int save(const char *dir, const char *name, uint8_t mode,
		const struct buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(&mode, 1, 1, f) != 1 ||
	    fwrite(b->p, 1, b->len, f) != b->len || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t mem[8 * STREAM_PAGE_SIZE];
	struct buf plain = { 0 }, enc = { 0 }, ack = { 0 };
	struct stream_writer_config wc = { buf_write, &ack, fixture_token,
					   STREAM_TO_SOURCE };
	struct stream_error err;
	struct stream_writer *w;

	if (argc != 2)
		return 2;
	fixture_memory(mem, 8);
	w = stream_writer_new(&wc, &err);
	if (!w || fixture_stream(&plain, NULL, mem, 8) ||
	    fixture_stream(&enc, fixture_token, mem, 8) ||
	    stream_write_ack(w, 0, "ok") || stream_write_end(w))
		return 1;
	stream_writer_free(w);
	return save(argv[1], "plain", 0, &plain) ||
	       save(argv[1], "plain-pieces", 7 << 2, &plain) ||
	       save(argv[1], "encrypted", 1, &enc) ||
	       save(argv[1], "encrypted-pieces", 1 | 13 << 2, &enc) ||
	       save(argv[1], "ack", 3, &ack);
}
