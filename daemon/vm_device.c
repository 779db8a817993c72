/* SPDX-License-Identifier: ISC */
/*
 * The KVM-compatible device a VM runs on (/dev/kvm, /dev/skiff). Its
 * monitor opens the path as root, read-write, and opening some device
 * nodes does something by itself (a watchdog starts counting), so a
 * client may only name a device the operator listed in `devices`. The
 * list is checked at vm.create, to answer early, and again at every
 * start, so taking a device out of it keeps its VMs from starting.
 */
#include <stdlib.h>
#include <string.h>

#include "skiffd.h"

bool vm_device_path_valid(const char *path)
{
	size_t i, len = strlen(path);

	if (len < 2 || len > VM_DEVICE_PATH_MAX || path[0] != '/')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return false;
	return true;
}

int vm_device_default(const struct skiffd_config *cfg, struct vm_def *def)
{
	if (def->device)
		return 0;
	def->device = strdup(cfg->device);
	return def->device ? 0 : -1;
}

static bool allowed(const struct skiffd_config *cfg, const char *path)
{
	unsigned int i;

	for (i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i], path))
			return true;
	return false;
}

int vm_device_check(const struct skiffd_config *cfg,
		    const struct vm_def *def, struct jsonrpc_error *err)
{
	char list[JSONRPC_ERROR_MSG_MAX] = "";
	json_t *all = json_array();
	size_t len = 0;
	unsigned int i;

	if (allowed(cfg, def->device)) {
		json_decref(all);
		return 0;
	}
	for (i = 0; i < cfg->ndevices; i++) {
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
				i ? ", " : "", cfg->devices[i]);
		if (len >= sizeof(list))
			len = sizeof(list) - 1;
		json_array_append_new(all, json_string(cfg->devices[i]));
	}
	jsonrpc_error_set(err, SKIFF_ERR_ACCESS,
			  "vm %s: device %s: not allowed (allowed: %s)",
			  def->name, def->device, list);
	/* The message may be cut short; the data has the whole list. */
	err->data = json_pack("{s:s,s:o}", "device", def->device,
			      "allowed", all);
	return -1;
}
