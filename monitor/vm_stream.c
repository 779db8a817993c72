/* SPDX-License-Identifier: ISC */
/*
 * What says "this VM" in a snapshot or migration stream: the memory
 * size, the SHA-256 of the image it booted and the devices its manifest
 * declares. A restore refuses a stream that describes another VM: the
 * image's code is already in the restored memory, but its manifest and
 * its read-only ranges come from the file given here, so both must be
 * the same image.
 */
#include <string.h>

#include <sodium.h>

#include "monitor.h"

static uint8_t device_kind(uint32_t type)
{
	switch (type) {
	case MFT_DEV_BLOCK_BASIC:
		return STREAM_DEVICE_BLOCK;
	case MFT_DEV_NET_BASIC:
		return STREAM_DEVICE_NET;
	}
	return 0;
}

void vm_stream_config(struct vm *vm, struct stream_vm_config *cfg)
{
	uint32_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = vm->mem.size;
	crypto_hash_sha256(cfg->image_sha256, vm->image, vm->image_size);
	snprintf(cfg->image_path, sizeof(cfg->image_path), "%s",
		 vm->kernel_path);
	for (i = 0; i < vm->mft.entries; i++) {
		const struct mft_entry *e = &vm->mft.e[i];
		struct stream_device *d = &cfg->devices[cfg->ndevices];

		if (!device_kind(e->type) || cfg->ndevices == STREAM_MAX_DEVICES)
			continue;
		d->kind = device_kind(e->type);
		snprintf(d->name, sizeof(d->name), "%s", e->name);
		cfg->ndevices++;
	}
}

static const char *kind_name(uint8_t kind)
{
	return kind == STREAM_DEVICE_BLOCK ? "block" : "net";
}

int vm_stream_config_check(struct vm *vm, const struct stream_vm_config *cfg,
			   char *err, size_t errlen)
{
	struct stream_vm_config here;
	unsigned int i;

	vm_stream_config(vm, &here);
	if (cfg->mem_size != here.mem_size) {
		snprintf(err, errlen, "the VM has %llu MiB of memory, --mem gives %llu MiB",
			 (unsigned long long)(cfg->mem_size / MIB),
			 (unsigned long long)(here.mem_size / MIB));
		return -1;
	}
	if (memcmp(cfg->image_sha256, here.image_sha256, 32)) {
		snprintf(err, errlen, "the VM booted another image than %s (it booted %.200s; their SHA-256 differ)",
			 vm->kernel_path, cfg->image_path);
		return -1;
	}
	if (cfg->ndevices != here.ndevices) {
		snprintf(err, errlen, "the VM has %u devices, the image declares %u",
			 cfg->ndevices, here.ndevices);
		return -1;
	}
	for (i = 0; i < cfg->ndevices; i++) {
		const struct stream_device *a = &cfg->devices[i];
		const struct stream_device *b = &here.devices[i];

		if (a->kind != b->kind || strcmp(a->name, b->name)) {
			snprintf(err, errlen, "device %u is %s %s in the VM, %s %s in the image",
				 i, kind_name(a->kind), a->name,
				 kind_name(b->kind), b->name);
			return -1;
		}
	}
	return 0;
}
