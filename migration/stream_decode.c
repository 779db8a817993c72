/* SPDX-License-Identifier: ISC */
/*
 * Section payloads -> the caller's callbacks. A payload arrives whole and
 * authenticated, but is still hostile: every field is read through a
 * cursor that refuses to run past the payload's end, every count and
 * range is checked before use, and a payload with bytes left over is
 * refused rather than ignored.
 */
#include <stdio.h>

#include "stream_wire.h"

struct cursor {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

#define DEFINE_GET(bits)						\
static bool get##bits(struct cursor *c, uint##bits##_t *v)		\
{									\
	const uint8_t *p = take(c, bits / 8);				\
									\
	if (!p)								\
		return false;						\
	*v = bits == 8 ? *p : get_le##bits(p);				\
	return true;							\
}
static inline uint8_t get_le8(const uint8_t *p) { return *p; }
DEFINE_GET(8)
DEFINE_GET(16)
DEFINE_GET(32)
DEFINE_GET(64)

static int bad(struct stream_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct stream_reader *r, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	stream_error_set(&r->err, "section %s: %s",
			 stream_section_name(r->stype), why);
	return -1;
}

static int refused(struct stream_reader *r, const struct stream_error *e)
{
	return bad(r, "refused by the receiver: %s",
		   e->msg[0] ? e->msg : "no reason given");
}

static int truncated(struct stream_reader *r, const char *what)
{
	return bad(r, "%s runs past the end of the section", what);
}

/* Device names as the monitor takes them: 1-67 letters or digits. */
static bool name_ok(const uint8_t *s, size_t n)
{
	size_t i;

	if (!n || n > STREAM_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int read_name(struct stream_reader *r, struct cursor *c, char *out,
		     const char *what)
{
	const uint8_t *s;
	uint8_t n;

	if (!get8(c, &n))
		return truncated(r, what);
	s = take(c, n);
	if (!s)
		return truncated(r, what);
	if (!name_ok(s, n))
		return bad(r, "%s: a name of %u bytes, not 1-%u letters or digits",
			   what, n, STREAM_NAME_MAX);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int config_devices(struct stream_reader *r, struct cursor *c)
{
	struct stream_vm_config *cfg = r->config;
	uint16_t n;
	unsigned int i, j;

	if (!get16(c, &n))
		return truncated(r, "the device count");
	if (n > STREAM_MAX_DEVICES)
		return bad(r, "%u devices, at most %u", n, STREAM_MAX_DEVICES);
	for (i = 0; i < n; i++) {
		struct stream_device *d = &cfg->devices[i];

		if (!get8(c, &d->kind))
			return truncated(r, "a device");
		if (d->kind != STREAM_DEVICE_BLOCK && d->kind != STREAM_DEVICE_NET)
			return bad(r, "device %u: unknown kind %u", i, d->kind);
		if (read_name(r, c, d->name, "a device"))
			return -1;
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->devices[j].name, d->name))
				return bad(r, "device %s named twice", d->name);
	}
	cfg->ndevices = n;
	return 0;
}

static int decode_config(struct stream_reader *r, struct cursor *c)
{
	struct stream_vm_config *cfg = r->config;
	struct stream_error e = { { 0 } };
	const uint8_t *sha, *path;
	uint16_t path_len;

	memset(cfg, 0, sizeof(*cfg));
	if (!get64(c, &cfg->mem_size))
		return truncated(r, "the memory size");
	sha = take(c, 32);
	if (!sha || !get16(c, &path_len))
		return truncated(r, "the image hash or path");
	if (!cfg->mem_size || cfg->mem_size % STREAM_PAGE_SIZE ||
	    cfg->mem_size > r->max_mem_size)
		return bad(r, "memory size %llu: not a multiple of %u in 1..%llu",
			   (unsigned long long)cfg->mem_size, STREAM_PAGE_SIZE,
			   (unsigned long long)r->max_mem_size);
	if (path_len >= STREAM_PATH_MAX)
		return bad(r, "image path of %u bytes, at most %u", path_len,
			   STREAM_PATH_MAX - 1);
	path = take(c, path_len);
	if (!path)
		return truncated(r, "the image path");
	if (memchr(path, '\0', path_len))
		return bad(r, "a NUL byte in the image path");
	memcpy(cfg->image_sha256, sha, 32);
	memcpy(cfg->image_path, path, path_len);
	if (config_devices(r, c))
		return -1;
	if (c->left)
		return bad(r, "%zu unexpected bytes after the devices", c->left);
	r->have_config = true;
	r->mem_size = cfg->mem_size;
	if (r->cb.config && r->cb.config(r->opaque, cfg, &e))
		return refused(r, &e);
	return 0;
}

static int decode_run(struct stream_reader *r, struct cursor *c)
{
	uint64_t gfn, pages = r->mem_size / STREAM_PAGE_SIZE;
	struct stream_error e = { { 0 } };
	const uint8_t *data = NULL;
	uint32_t count;
	uint16_t kind, zero;

	if (!get64(c, &gfn) || !get32(c, &count) || !get16(c, &kind) ||
	    !get16(c, &zero))
		return truncated(r, "a page run header");
	if (!count || zero || kind > WIRE_RUN_ZERO)
		return bad(r, "page run at 0x%llx: count %u, kind %u: malformed",
			   (unsigned long long)gfn, count, kind);
	if (gfn >= pages || count > pages - gfn)
		return bad(r, "page run at 0x%llx (%u pages) past the end of guest memory (%llu pages)",
			   (unsigned long long)gfn, count,
			   (unsigned long long)pages);
	if (kind == WIRE_RUN_DATA)
		data = take(c, (uint64_t)count * STREAM_PAGE_SIZE);
	if (kind == WIRE_RUN_DATA && !data)
		return bad(r, "page run at 0x%llx: %u pages of data, %zu bytes left",
			   (unsigned long long)gfn, count, c->left);
	if (r->cb.pages && r->cb.pages(r->opaque, gfn, count, data, &e))
		return refused(r, &e);
	return 0;
}

static int decode_memory(struct stream_reader *r, struct cursor *c)
{
	if (!c->left)
		return bad(r, "no page runs");
	while (c->left)
		if (decode_run(r, c))
			return -1;
	return 0;
}

/* A KVM ABI struct: the stream records its size, which must be ours. */
static int kvm_struct(struct stream_reader *r, struct cursor *c, void *dst,
		      size_t size, uint16_t stream_size, const char *name)
{
	const uint8_t *p;

	if (stream_size != size)
		return bad(r, "%s is %u bytes in the stream, %zu here",
			   name, stream_size, size);
	p = take(c, size);
	if (!p)
		return truncated(r, name);
	memcpy(dst, p, size);
	return 0;
}

static int decode_msrs(struct stream_reader *r, struct cursor *c)
{
	struct stream_vcpu_state *v = r->vcpu;
	uint32_t zero, i;
	uint64_t data;

	if (!get32(c, &v->nmsrs) || !get32(c, &zero))
		return truncated(r, "the MSR count");
	if (v->nmsrs > STREAM_MAX_MSRS || zero)
		return bad(r, "%u MSRs, at most %u", v->nmsrs, STREAM_MAX_MSRS);
	for (i = 0; i < v->nmsrs; i++) {
		if (!get32(c, &v->msrs[i].index) || !get32(c, &zero) ||
		    !get64(c, &data))
			return truncated(r, "an MSR");
		v->msrs[i].data = data;
		if (zero)
			return bad(r, "MSR 0x%x: reserved field not zero",
				   v->msrs[i].index);
	}
	return 0;
}

static int decode_vcpu(struct stream_reader *r, struct cursor *c)
{
	struct stream_vcpu_state *v = r->vcpu;
	struct stream_error e = { { 0 } };
	uint16_t sz[4];

	memset(v, 0, sizeof(*v));
	if (!get32(c, &v->id) || !get16(c, &sz[0]) || !get16(c, &sz[1]) ||
	    !get16(c, &sz[2]) || !get16(c, &sz[3]))
		return truncated(r, "the vCPU header");
	if (kvm_struct(r, c, &v->regs, sizeof(v->regs), sz[0], "kvm_regs") ||
	    kvm_struct(r, c, &v->sregs, sizeof(v->sregs), sz[1], "kvm_sregs") ||
	    kvm_struct(r, c, &v->fpu, sizeof(v->fpu), sz[2], "kvm_fpu") ||
	    kvm_struct(r, c, &v->events, sizeof(v->events), sz[3],
		       "kvm_vcpu_events") ||
	    decode_msrs(r, c))
		return -1;
	if (c->left)
		return bad(r, "%zu unexpected bytes after the MSRs", c->left);
	if (r->cb.vcpu && r->cb.vcpu(r->opaque, v, &e))
		return refused(r, &e);
	return 0;
}

static int decode_device(struct stream_reader *r, struct cursor *c)
{
	struct stream_error e = { { 0 } };
	char name[STREAM_NAME_MAX + 1];
	uint32_t len;

	if (read_name(r, c, name, "the device name"))
		return -1;
	if (!get32(c, &len))
		return truncated(r, "the blob length");
	if (len != c->left)
		return bad(r, "device %s: a blob of %u bytes in %zu", name, len,
			   c->left);
	if (r->cb.device && r->cb.device(r->opaque, name, c->p, len, &e))
		return refused(r, &e);
	return 0;
}

static int decode_ack(struct stream_reader *r, struct cursor *c)
{
	struct stream_error e = { { 0 } };
	char msg[STREAM_ACK_MSG_MAX];
	const uint8_t *s;
	uint32_t status;
	uint16_t n;

	if (!get32(c, &status) || !get16(c, &n))
		return truncated(r, "the status");
	if (n >= STREAM_ACK_MSG_MAX || n != c->left)
		return bad(r, "a message of %u bytes in %zu (at most %u)", n,
			   c->left, STREAM_ACK_MSG_MAX - 1);
	s = take(c, n);
	if (memchr(s, '\0', n))
		return bad(r, "a NUL byte in the message");
	memcpy(msg, s, n);
	msg[n] = '\0';
	r->have_ack = true;
	if (r->cb.ack && r->cb.ack(r->opaque, status, msg, &e))
		return refused(r, &e);
	return 0;
}

static int decode_definition(struct stream_reader *r, struct cursor *c)
{
	struct stream_error e = { { 0 } };
	uint32_t len;

	if (!get32(c, &len))
		return truncated(r, "the length");
	if (len == 0 || len > STREAM_DEFINITION_MAX || len != c->left)
		return bad(r, "a definition of %u bytes in %zu (1 to %u)", len,
			   c->left, STREAM_DEFINITION_MAX);
	if (memchr(c->p, '\0', len))
		return bad(r, "a NUL byte in the definition");
	r->have_definition = true;
	if (r->cb.definition &&
	    r->cb.definition(r->opaque, (const char *)c->p, len, &e))
		return refused(r, &e);
	return 0;
}

static int decode_clock(struct stream_reader *r, struct cursor *c)
{
	struct stream_error e = { { 0 } };
	struct stream_clock k;

	if (c->left != 24)
		return bad(r, "%zu bytes, expected 24", c->left);
	get64(c, &k.tsc_hz);
	get64(c, &k.guest_tsc);
	get64(c, &k.realtime_ns);
	if (!k.tsc_hz)
		return bad(r, "a TSC frequency of 0 Hz");
	if (r->cb.clock && r->cb.clock(r->opaque, &k, &e))
		return refused(r, &e);
	return 0;
}

static int decode_console(struct stream_reader *r, struct cursor *c)
{
	struct stream_error e = { { 0 } };
	uint64_t offset;

	if (c->left != 8)
		return bad(r, "%zu bytes, expected 8", c->left);
	get64(c, &offset);
	if (offset > STREAM_CONSOLE_OFFSET_MAX)
		return bad(r, "a console offset of %llu (at most 2^62)",
			   (unsigned long long)offset);
	if (r->cb.console && r->cb.console(r->opaque, offset, &e))
		return refused(r, &e);
	return 0;
}

static int decode_end(struct stream_reader *r, struct cursor *c)
{
	uint64_t n;

	if (c->left != 8)
		return bad(r, "%zu bytes, expected 8", c->left);
	get64(c, &n);
	if (n != r->nsections)
		return bad(r, "the writer sent %llu sections, %llu arrived",
			   (unsigned long long)n,
			   (unsigned long long)r->nsections);
	r->ended = true;
	return 0;
}

int decode_section(struct stream_reader *r, const uint8_t *p, size_t len)
{
	struct cursor c = { p, len };

	switch (r->stype) {
	case WIRE_SEC_CONFIG:
		return decode_config(r, &c);
	case WIRE_SEC_MEMORY:
		return decode_memory(r, &c);
	case WIRE_SEC_VCPU:
		return decode_vcpu(r, &c);
	case WIRE_SEC_DEVICE:
		return decode_device(r, &c);
	case WIRE_SEC_ACK:
		return decode_ack(r, &c);
	case WIRE_SEC_END:
		return decode_end(r, &c);
	case WIRE_SEC_DEFINITION:
		return decode_definition(r, &c);
	case WIRE_SEC_CLOCK:
		return decode_clock(r, &c);
	case WIRE_SEC_CONSOLE:
		return decode_console(r, &c);
	}
	return bad(r, "no decoder");
}
