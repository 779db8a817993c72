/* SPDX-License-Identifier: ISC */
/*
 * Sections -> records. Each section is appended to a plaintext record
 * buffer; a full buffer is sealed and handed to the write callback. A
 * section that fits in a record never straddles two, so the reader can
 * decode it where it was decrypted, without another copy.
 */
#include <errno.h>
#include <stdlib.h>

#include "stream_wire.h"

_Static_assert(sizeof(struct kvm_regs) == 144, "kvm_regs ABI size");
_Static_assert(sizeof(struct kvm_sregs) == 312, "kvm_sregs ABI size");
_Static_assert(sizeof(struct kvm_fpu) == 416, "kvm_fpu ABI size");
_Static_assert(sizeof(struct kvm_vcpu_events) == 64, "kvm_vcpu_events ABI size");

struct page_run {
	uint64_t gfn;
	uint32_t count;
	uint16_t kind;
	const uint8_t *data;
};

struct stream_writer {
	stream_write_fn write;
	void *opaque;
	struct channel ch;
	uint8_t *rec;		/* plaintext of the record being filled */
	size_t rec_len;
	uint8_t *out;		/* its sealed form */
	uint64_t bytes, nsections, mem_pages;
	uint64_t pages, zero_pages;	/* written by stream_write_pages */
	bool failed, ended, have_config;
	struct page_run runs[WIRE_RUNS_MAX];
	struct stream_error err;
};

static int emit(struct stream_writer *w, const void *data, size_t len)
{
	if (w->write(w->opaque, data, len)) {
		stream_error_set(&w->err, "write failed after %llu bytes: %s",
				 (unsigned long long)w->bytes, strerror(errno));
		w->failed = true;
		return -1;
	}
	w->bytes += len;
	return 0;
}

static int flush_record(struct stream_writer *w, bool final)
{
	size_t n;

	uint8_t h[4];

	if (!w->rec_len && !final)
		return 0;
	if (!w->ch.encrypted) {
		/* Header and body apart: no copy of plaintext pages. */
		put_le32(h, w->rec_len | (final ? WIRE_RECORD_FINAL : 0));
		n = w->rec_len;
		w->rec_len = 0;
		return emit(w, h, sizeof(h)) || emit(w, w->rec, n) ? -1 : 0;
	}
	n = channel_seal(&w->ch, w->rec, w->rec_len, final, w->out);
	w->rec_len = 0;
	return emit(w, w->out, n);
}

static int put(struct stream_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		size_t n = WIRE_RECORD_MAX - w->rec_len;

		if (n > len)
			n = len;
		memcpy(w->rec + w->rec_len, p, n);
		w->rec_len += n;
		p += n;
		len -= n;
		if (w->rec_len == WIRE_RECORD_MAX && flush_record(w, false))
			return -1;
	}
	return 0;
}

static int begin_section(struct stream_writer *w, uint16_t type,
			 uint16_t flags, uint16_t version, uint64_t len)
{
	uint8_t h[WIRE_SECTION_HEADER] = { 0 };

	if (w->failed || w->ended) {
		if (!w->failed)
			stream_error_set(&w->err, "section %s: written after the end",
					 stream_section_name(type));
		w->failed = true;
		return -1;
	}
	if (WIRE_SECTION_HEADER + len <= WIRE_RECORD_MAX &&
	    w->rec_len + WIRE_SECTION_HEADER + len > WIRE_RECORD_MAX &&
	    flush_record(w, false))
		return -1;
	put_le16(h, type);
	put_le16(h + 2, flags);
	put_le16(h + 4, version);
	put_le64(h + 8, len);
	w->nsections++;
	return put(w, h, sizeof(h));
}

static int fail(struct stream_writer *w)
{
	w->failed = true;
	return -1;
}

struct stream_writer *stream_writer_new(const struct stream_writer_config *cfg,
					struct stream_error *err)
{
	struct stream_writer *w = calloc(1, sizeof(*w));

	if (!w)
		goto nomem;
	w->write = cfg->write;
	w->opaque = cfg->opaque;
	w->rec = malloc(WIRE_RECORD_MAX);
	w->out = malloc(4 + WIRE_BODY_MAX);
	if (!w->rec || !w->out)
		goto nomem;
	if (channel_start_push(&w->ch, cfg->token, cfg->direction, err))
		goto free;
	if (emit(w, w->ch.hello, WIRE_HELLO_BYTES)) {
		*err = w->err;
		goto free;
	}
	return w;
nomem:
	stream_error_set(err, "out of memory");
free:
	stream_writer_free(w);
	return NULL;
}

void stream_writer_free(struct stream_writer *w)
{
	if (!w)
		return;
	channel_wipe(&w->ch);
	free(w->rec);
	free(w->out);
	free(w);
}

int stream_write_raw_section(struct stream_writer *w, uint16_t type,
			     uint16_t flags, uint16_t version,
			     const void *payload, size_t len)
{
	if (begin_section(w, type, flags, version, len) ||
	    put(w, payload, len))
		return fail(w);
	return 0;
}

int stream_write_config(struct stream_writer *w,
			const struct stream_vm_config *cfg)
{
	size_t path_len = strnlen(cfg->image_path, STREAM_PATH_MAX);
	uint8_t buf[8 + 32 + 2 + STREAM_PATH_MAX + 2 +
		    STREAM_MAX_DEVICES * (2 + STREAM_NAME_MAX)];
	uint8_t *p = buf;
	unsigned int i;

	if (path_len == STREAM_PATH_MAX || cfg->ndevices > STREAM_MAX_DEVICES ||
	    !cfg->mem_size || cfg->mem_size % STREAM_PAGE_SIZE) {
		stream_error_set(&w->err, "section config: invalid configuration");
		return fail(w);
	}
	put_le64(p, cfg->mem_size);
	memcpy(p + 8, cfg->image_sha256, 32);
	put_le16(p + 40, path_len);
	memcpy(p + 42, cfg->image_path, path_len);
	p += 42 + path_len;
	put_le16(p, cfg->ndevices);
	p += 2;
	for (i = 0; i < cfg->ndevices; i++) {
		size_t n = strnlen(cfg->devices[i].name, STREAM_NAME_MAX + 1);

		if (!n || n > STREAM_NAME_MAX) {
			stream_error_set(&w->err, "section config: device %u: bad name", i);
			return fail(w);
		}
		p[0] = cfg->devices[i].kind;
		p[1] = n;
		memcpy(p + 2, cfg->devices[i].name, n);
		p += 2 + n;
	}
	w->mem_pages = cfg->mem_size / STREAM_PAGE_SIZE;
	w->have_config = true;
	return stream_write_raw_section(w, WIRE_SEC_CONFIG, 0,
					WIRE_SECTION_VERSION, buf, p - buf);
}

static bool page_is_zero(const uint8_t *p)
{
	/* libc's memcmp is vectorised; an open-coded loop is slower. */
	return !p[0] && !memcmp(p, p + 1, STREAM_PAGE_SIZE - 1);
}

/* Fills w->runs from pages [gfn, gfn + count): returns pages consumed. */
static uint64_t plan_runs(struct stream_writer *w, uint64_t gfn,
			  uint64_t count, const uint8_t *data, unsigned int *nruns)
{
	unsigned int n = 0, data_pages = 0;
	uint64_t i;

	for (i = 0; i < count; i++) {
		const uint8_t *page = data + i * STREAM_PAGE_SIZE;
		uint16_t kind = page_is_zero(page) ? WIRE_RUN_ZERO : WIRE_RUN_DATA;
		struct page_run *r = n ? &w->runs[n - 1] : NULL;

		if (kind == WIRE_RUN_DATA && data_pages == WIRE_DATA_PAGES_MAX)
			break;
		if (r && r->kind == kind && r->count < INT32_MAX) {
			r->count++;
		} else {
			if (n == WIRE_RUNS_MAX)
				break;
			w->runs[n++] = (struct page_run){ gfn + i, 1, kind, page };
		}
		data_pages += kind == WIRE_RUN_DATA;
		w->zero_pages += kind == WIRE_RUN_ZERO;
		w->pages++;
	}
	*nruns = n;
	return i;
}

static int write_runs(struct stream_writer *w, unsigned int nruns)
{
	uint64_t len = 0;
	unsigned int i;

	for (i = 0; i < nruns; i++)
		len += WIRE_RUN_HEADER + (w->runs[i].kind == WIRE_RUN_DATA ?
			(uint64_t)w->runs[i].count * STREAM_PAGE_SIZE : 0);
	if (begin_section(w, WIRE_SEC_MEMORY, 0, WIRE_SECTION_VERSION, len))
		return fail(w);
	for (i = 0; i < nruns; i++) {
		struct page_run *r = &w->runs[i];
		uint8_t h[WIRE_RUN_HEADER] = { 0 };

		put_le64(h, r->gfn);
		put_le32(h + 8, r->count);
		put_le16(h + 12, r->kind);
		if (put(w, h, sizeof(h)) || (r->kind == WIRE_RUN_DATA &&
		    put(w, r->data, (size_t)r->count * STREAM_PAGE_SIZE)))
			return fail(w);
	}
	return 0;
}

int stream_write_pages(struct stream_writer *w, uint64_t gfn, uint64_t count,
		       const void *data)
{
	const uint8_t *p = data;
	unsigned int nruns;

	if (!w->have_config || gfn > w->mem_pages ||
	    count > w->mem_pages - gfn) {
		stream_error_set(&w->err, "section memory: pages 0x%llx+0x%llx outside guest memory (or no config yet)",
				 (unsigned long long)gfn,
				 (unsigned long long)count);
		return fail(w);
	}
	while (count) {
		uint64_t done = plan_runs(w, gfn, count, p, &nruns);

		if (write_runs(w, nruns))
			return -1;
		gfn += done;
		count -= done;
		p += done * STREAM_PAGE_SIZE;
	}
	return 0;
}

int stream_write_vcpu(struct stream_writer *w,
		      const struct stream_vcpu_state *v)
{
	uint8_t buf[12 + 144 + 312 + 416 + 64 + 8 +
		    STREAM_MAX_MSRS * WIRE_MSR_BYTES];
	uint8_t *p = buf;
	uint32_t i;

	if (v->nmsrs > STREAM_MAX_MSRS) {
		stream_error_set(&w->err, "section vcpu: %u MSRs, at most %u",
				 v->nmsrs, STREAM_MAX_MSRS);
		return fail(w);
	}
	/* The KVM structs are their own payload; their sizes go first. */
	put_le32(p, v->id);
	put_le16(p + 4, sizeof(v->regs));
	put_le16(p + 6, sizeof(v->sregs));
	put_le16(p + 8, sizeof(v->fpu));
	put_le16(p + 10, sizeof(v->events));
	p += 12;
	memcpy(p, &v->regs, sizeof(v->regs));
	p += sizeof(v->regs);
	memcpy(p, &v->sregs, sizeof(v->sregs));
	p += sizeof(v->sregs);
	memcpy(p, &v->fpu, sizeof(v->fpu));
	p += sizeof(v->fpu);
	memcpy(p, &v->events, sizeof(v->events));
	p += sizeof(v->events);
	put_le32(p, v->nmsrs);
	put_le32(p + 4, 0);
	p += 8;
	for (i = 0; i < v->nmsrs; i++, p += WIRE_MSR_BYTES) {
		put_le32(p, v->msrs[i].index);
		put_le32(p + 4, 0);
		put_le64(p + 8, v->msrs[i].data);
	}
	return stream_write_raw_section(w, WIRE_SEC_VCPU, 0,
					WIRE_SECTION_VERSION, buf, p - buf);
}

int stream_write_device(struct stream_writer *w, const char *name,
			const void *blob, size_t len)
{
	size_t n = strnlen(name, STREAM_NAME_MAX + 1);
	uint8_t h[1 + STREAM_NAME_MAX + 4];

	if (!n || n > STREAM_NAME_MAX || len > UINT32_MAX) {
		stream_error_set(&w->err, "section device: bad name or blob size");
		return fail(w);
	}
	h[0] = n;
	memcpy(h + 1, name, n);
	put_le32(h + 1 + n, len);
	if (begin_section(w, WIRE_SEC_DEVICE, 0, WIRE_SECTION_VERSION,
			  1 + n + 4 + len) ||
	    put(w, h, 1 + n + 4) || put(w, blob, len))
		return fail(w);
	return 0;
}

int stream_write_ack(struct stream_writer *w, uint32_t status,
		     const char *message)
{
	size_t n = strnlen(message, STREAM_ACK_MSG_MAX - 1);
	uint8_t buf[6 + STREAM_ACK_MSG_MAX];

	put_le32(buf, status);
	put_le16(buf + 4, n);
	memcpy(buf + 6, message, n);
	return stream_write_raw_section(w, WIRE_SEC_ACK, 0,
					WIRE_SECTION_VERSION, buf, 6 + n);
}

int stream_write_definition(struct stream_writer *w, const char *text,
			    size_t len)
{
	uint8_t h[4];

	if (!len || len > STREAM_DEFINITION_MAX || memchr(text, '\0', len)) {
		stream_error_set(&w->err, "section definition: %zu bytes or a NUL byte (1 to %u bytes of text)",
				 len, STREAM_DEFINITION_MAX);
		return fail(w);
	}
	put_le32(h, len);
	if (begin_section(w, WIRE_SEC_DEFINITION, 0, WIRE_SECTION_VERSION,
			  sizeof(h) + len) ||
	    put(w, h, sizeof(h)) || put(w, text, len))
		return fail(w);
	return 0;
}

int stream_write_clock(struct stream_writer *w, const struct stream_clock *k)
{
	uint8_t buf[24];

	put_le64(buf, k->tsc_hz);
	put_le64(buf + 8, k->guest_tsc);
	put_le64(buf + 16, k->realtime_ns);
	return stream_write_raw_section(w, WIRE_SEC_CLOCK, 0,
					WIRE_SECTION_VERSION, buf, sizeof(buf));
}

/*
 * Skippable: a reader that predates it loses only the offsets'
 * continuity, never the guest.
 */
int stream_write_console(struct stream_writer *w, uint64_t offset)
{
	uint8_t buf[8];

	put_le64(buf, offset);
	return stream_write_raw_section(w, WIRE_SEC_CONSOLE,
					STREAM_SECTION_SKIPPABLE,
					WIRE_SECTION_VERSION, buf, sizeof(buf));
}

int stream_write_end(struct stream_writer *w)
{
	uint8_t buf[8];

	/* The count lets the reader see a section dropped in transit. */
	put_le64(buf, w->nsections);
	if (stream_write_raw_section(w, WIRE_SEC_END, 0, WIRE_SECTION_VERSION,
				     buf, sizeof(buf)))
		return -1;
	w->ended = true;
	if (flush_record(w, true))
		return fail(w);
	return 0;
}

int stream_writer_flush(struct stream_writer *w)
{
	if (w->failed || w->ended) {
		stream_error_set(&w->err, "flush after the end or an error");
		return fail(w);
	}
	if (w->rec_len && flush_record(w, false))
		return fail(w);
	return 0;
}

uint64_t stream_writer_pages(const struct stream_writer *w, uint64_t *zero)
{
	if (zero)
		*zero = w->zero_pages;
	return w->pages;
}

const char *stream_writer_error(const struct stream_writer *w)
{
	return w->err.msg;
}

uint64_t stream_writer_bytes(const struct stream_writer *w)
{
	return w->bytes;
}
