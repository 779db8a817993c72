/* SPDX-License-Identifier: ISC */
/*
 * Device lookup in the monitor's copy of the manifest (boot info's mft),
 * which carries the attached state, capacities and MACs. A device's
 * handle is its index in the manifest.
 */
#include "sdk_internal.h"

static const struct mft *boot_mft(void)
{
	const struct mft *m =
		(const struct mft *)(uintptr_t)skiff_boot_info()->mft;

	if (!m || m->version != MFT_VERSION || m->entries > MFT_MAX_ENTRIES)
		skiff_panic("bad manifest in boot info\n");
	return m;
}

const struct mft_entry *sdk_mft_get(int handle, uint32_t type)
{
	const struct mft *m = boot_mft();
	const struct mft_entry *e;

	if (handle < 0 || (uint32_t)handle >= m->entries)
		return NULL;
	e = &m->e[handle];
	return e->type == type && e->attached ? e : NULL;
}

int sdk_mft_find(const char *name, uint32_t type,
		 const struct mft_entry **entry)
{
	const struct mft *m = boot_mft();
	uint32_t i;

	for (i = 0; i < m->entries; i++) {
		const struct mft_entry *e = &m->e[i];

		if (e->type != type || !e->attached ||
		    memcmp(e->name, name, strlen(name) + 1) != 0)
			continue;
		*entry = e;
		return (int)i;
	}
	return -1;
}
