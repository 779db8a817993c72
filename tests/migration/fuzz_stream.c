/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the migration stream reader. The first byte picks
 * the mode (bit 0: encrypted with the fixture's token; bit 1: a stream to
 * the source) and how the rest is fed (bits 2-7: piece size, 0 = whole),
 * so one input exercises every split of the framing. Callbacks write each
 * page run into a guest memory of exactly the reader's limit, so a run
 * the reader let past its bounds is an ASan report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream_fixture.h"

#define FUZZ_MEM (64 * STREAM_PAGE_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *guest;

static int on_pages(void *o, uint64_t gfn, uint32_t count, const void *p,
		    struct stream_error *err)
{
	size_t len = (size_t)count * STREAM_PAGE_SIZE;

	if (p)
		memcpy(guest + gfn * STREAM_PAGE_SIZE, p, len);
	else
		memset(guest + gfn * STREAM_PAGE_SIZE, 0, len);
	return 0;
}

static int on_device(void *o, const char *name, const void *blob, size_t len,
		     struct stream_error *err)
{
	const uint8_t *b = blob;

	/* touch both ends: a blob past its section is an ASan report */
	if (len && (b[0] ^ b[len - 1]) == 0x100)
		abort();
	return strlen(name) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct stream_callbacks cb = { .pages = on_pages,
						    .device = on_device };
	struct stream_reader_config rc = { &cb, NULL, NULL, 0, FUZZ_MEM,
					   256 * 1024 };
	struct stream_error err;
	struct stream_reader *r;
	size_t piece;

	if (!size)
		return 0;
	if (!guest)
		guest = malloc(FUZZ_MEM);
	rc.token = data[0] & 1 ? fixture_token : NULL;
	rc.direction = data[0] & 2 ? STREAM_TO_SOURCE : STREAM_TO_DESTINATION;
	piece = data[0] >> 2;
	data++;
	size--;
	r = stream_reader_new(&rc, &err);
	if (!r)
		abort();
	while (size) {
		size_t n = piece && piece < size ? piece : size;

		if (stream_reader_feed(r, data, n))
			break;
		data += n;
		size -= n;
	}
	if (!size && !stream_reader_finish(r) && !stream_reader_done(r))
		abort();
	if (!stream_reader_done(r) && !stream_reader_error(r)[0] && !size)
		abort();
	stream_reader_free(r);
	return 0;
}
