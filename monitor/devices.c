/* SPDX-License-Identifier: ISC */
/*
 * Attach the devices given on the command line to the ones the image's
 * manifest declares; every declared device must be attached.
 */
#include <unistd.h>

#include "monitor.h"

int devices_attach(struct vm *vm, const struct monitor_options *o)
{
	uint32_t i;
	size_t k;

	for (i = 0; i < MFT_MAX_ENTRIES; i++)
		vm->dev[i].fd = -1;
	for (k = 0; k < o->nblock; k++)
		if (block_attach(vm, &o->block[k]))
			return -1;
	for (k = 0; k < o->nnet; k++)
		if (net_attach(vm, &o->net[k]))
			return -1;
	for (i = 1; i < vm->mft.entries; i++) {
		const struct mft_entry *e = &vm->mft.e[i];

		if (e->type < MFT_RESERVED_FIRST && !e->attached) {
			mon_err("device '%s' (%s) declared in the manifest but not attached: use --%s:%s=...",
				e->name,
				e->type == MFT_DEV_BLOCK_BASIC ? "block" : "net",
				e->type == MFT_DEV_BLOCK_BASIC ? "block" : "net",
				e->name);
			return -1;
		}
	}
	return 0;
}

void devices_close(struct vm *vm)
{
	uint32_t i;

	for (i = 0; i < MFT_MAX_ENTRIES; i++) {
		if (vm->dev[i].fd >= 0)
			close(vm->dev[i].fd);
		vm->dev[i].fd = -1;
	}
}
