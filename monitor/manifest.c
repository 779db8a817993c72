/* SPDX-License-Identifier: ISC */
/*
 * The MFT1 manifest an image carries: which devices it wants. It comes
 * from the image file, so it is untrusted: sizes, counts, names and types
 * are all checked, as solo5-hvt does, and a little more (unknown types,
 * bad or duplicate names are refused here rather than later).
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "monitor.h"

static int mft_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int mft_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "manifest: ");

	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

size_t manifest_size(const struct manifest *m)
{
	return sizeof(struct mft) + m->entries * sizeof(struct mft_entry);
}

static int entry_name_ok(const struct mft_entry *e)
{
	size_t i, len = strnlen(e->name, MFT_NAME_SIZE);

	if (len == 0 || len > MFT_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)e->name[i]))
			return 0;
	return 1;
}

static int check_entry(const struct manifest *m, uint32_t i, char *err,
		       size_t errlen)
{
	const struct mft_entry *e = &m->e[i];
	uint32_t j;

	if (e->name[MFT_NAME_MAX] != '\0')
		return mft_error(err, errlen, "entry %u: name not terminated",
				 i);
	if (e->attached)
		return mft_error(err, errlen, "entry %u: marked attached", i);
	if (e->type >= MFT_RESERVED_FIRST)
		return 0;
	if (e->type != MFT_DEV_BLOCK_BASIC && e->type != MFT_DEV_NET_BASIC)
		return mft_error(err, errlen, "entry %u: unknown device type %u",
				 i, e->type);
	if (!entry_name_ok(e))
		return mft_error(err, errlen,
				 "entry %u: device name must be 1-67 letters or digits",
				 i);
	for (j = 1; j < i; j++)
		if (m->e[j].type < MFT_RESERVED_FIRST &&
		    !strcmp(m->e[j].name, e->name))
			return mft_error(err, errlen,
					 "entry %u: device name '%s' used twice",
					 i, e->name);
	return 0;
}

int manifest_parse(const uint8_t *payload, size_t size, struct manifest *m,
		   char *err, size_t errlen)
{
	struct mft hdr;
	uint32_t i;

	memset(m, 0, sizeof(*m));
	if (size < sizeof(hdr))
		return mft_error(err, errlen, "%zu bytes, too short", size);
	memcpy(&hdr, payload, sizeof(hdr));
	if (hdr.version != MFT_VERSION)
		return mft_error(err, errlen, "unsupported version %u",
				 hdr.version);
	if (hdr.entries < 1 || hdr.entries > MFT_MAX_ENTRIES)
		return mft_error(err, errlen, "%u entries, need 1 to %d",
				 hdr.entries, MFT_MAX_ENTRIES);
	if (size != sizeof(hdr) + hdr.entries * sizeof(struct mft_entry))
		return mft_error(err, errlen,
				 "size %zu does not match %u entries", size,
				 hdr.entries);
	m->entries = hdr.entries;
	memcpy(m->e, payload + sizeof(hdr),
	       hdr.entries * sizeof(struct mft_entry));
	if (m->e[0].type != MFT_RESERVED_FIRST || m->e[0].name[0] != '\0')
		return mft_error(err, errlen, "entry 0 is not the reserved entry");
	for (i = 0; i < m->entries; i++)
		if (check_entry(m, i, err, errlen))
			return -1;
	return 0;
}

int manifest_find(const struct manifest *m, const char *name)
{
	uint32_t i;

	for (i = 1; i < m->entries; i++)
		if (m->e[i].type < MFT_RESERVED_FIRST &&
		    !strcmp(m->e[i].name, name))
			return i;
	return -1;
}
