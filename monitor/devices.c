/* SPDX-License-Identifier: ISC */
/*
 * Attach the devices given on the command line to the ones the image's
 * manifest declares; every declared device must be attached.
 */
#include <unistd.h>

#include "monitor.h"

static const char *device_kind(uint32_t type)
{
	return type == MFT_DEV_BLOCK_BASIC ? "block" : "net";
}

int device_declared(const struct vm *vm, const char *name, uint32_t type)
{
	int idx = manifest_find(&vm->mft, name);

	if (idx < 0 || vm->mft.e[idx].type != type) {
		mon_err("--%s:%s: the image declares no %s device '%s'",
			device_kind(type), name, device_kind(type), name);
		return -1;
	}
	return idx;
}

const struct vm_device *device_at(const struct vm *vm, uint64_t handle,
				  uint32_t type)
{
	if (handle >= vm->mft.entries || vm->dev[handle].type != type)
		return NULL;
	return &vm->dev[handle];
}

int devices_attach(struct vm *vm, const struct monitor_options *o)
{
	uint32_t i;
	size_t k;

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
				e->name, device_kind(e->type),
				device_kind(e->type), e->name);
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
