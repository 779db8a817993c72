/* SPDX-License-Identifier: ISC */
/*
 * Sample VMs and streams shared by the stream codec's test, its fuzz
 * target's seed writer and its benchmark: a buffer the writer appends to,
 * a small VM (config, pages, one vCPU, two devices) and a receiver that
 * rebuilds it from the reader's callbacks.
 */
#ifndef SKIFF_TESTS_STREAM_FIXTURE_H
#define SKIFF_TESTS_STREAM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static inline int buf_write(void *opaque, const void *data, size_t len)
{
	struct buf *b = opaque;

	if (!len)
		return 0;
	if (b->len + len > b->cap) {
		size_t cap = (b->len + len) * 2;
		uint8_t *p = realloc(b->p, cap);

		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static const uint8_t fixture_token[STREAM_TOKEN_BYTES] = {
	0x73, 0x6b, 0x69, 0x66, 0x66, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
};

static inline void fixture_config(struct stream_vm_config *c, uint64_t mem)
{
	memset(c, 0, sizeof(*c));
	c->mem_size = mem;
	for (int i = 0; i < 32; i++)
		c->image_sha256[i] = 0xa0 + i;
	strcpy(c->image_path, "/var/lib/skiff/images/web.hvt");
	c->ndevices = 2;
	c->devices[0] = (struct stream_device){ STREAM_DEVICE_NET, "service" };
	c->devices[1] = (struct stream_device){ STREAM_DEVICE_BLOCK, "data0" };
}

static inline void fixture_vcpu(struct stream_vcpu_state *v)
{
	static const uint32_t msr[] = {
		0x10, 0xc0000080, 0xc0000100, 0xc0000101, 0xc0000102,
	};
	uint8_t *p = (uint8_t *)v;

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < offsetof(struct stream_vcpu_state, nmsrs); i++)
		p[i] = (uint8_t)(i * 7 + 1);
	v->id = 0;
	v->nmsrs = sizeof(msr) / sizeof(msr[0]);
	for (uint32_t i = 0; i < v->nmsrs; i++) {
		v->msrs[i].index = msr[i];
		v->msrs[i].data = 0x1122334455667788ull + i;
	}
}

/* Every fourth page zero, the rest a pattern unique to the page. */
static inline void fixture_memory(uint8_t *mem, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint8_t *p = mem + i * STREAM_PAGE_SIZE;

		if (i % 4 == 3) {
			memset(p, 0, STREAM_PAGE_SIZE);
			continue;
		}
		for (unsigned int j = 0; j < STREAM_PAGE_SIZE; j += 8)
			memcpy(p + j, &(uint64_t){ i << 32 | j }, 8);
	}
}

/* A whole VM stream of `pages` pages of mem into b; 0 or -1. */
static inline int fixture_stream(struct buf *b, const uint8_t *token,
				 const uint8_t *mem, uint64_t pages)
{
	struct stream_writer_config wc = { buf_write, b, token,
					   STREAM_TO_DESTINATION };
	struct stream_vm_config cfg;
	struct stream_vcpu_state v;
	struct stream_error err;
	struct stream_writer *w = stream_writer_new(&wc, &err);
	int rc;

	if (!w)
		return -1;
	fixture_config(&cfg, pages * STREAM_PAGE_SIZE);
	fixture_vcpu(&v);
	rc = stream_write_config(w, &cfg) ||
	     stream_write_pages(w, 0, pages, mem) ||
	     stream_write_vcpu(w, &v) ||
	     stream_write_device(w, "service", "net-state", 9) ||
	     stream_write_device(w, "data0", "", 0) ||
	     stream_write_end(w) ? -1 : 0;
	if (rc)
		fprintf(stderr, "fixture: %s\n", stream_writer_error(w));
	stream_writer_free(w);
	return rc;
}

#endif
