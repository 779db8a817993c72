/* SPDX-License-Identifier: ISC */
/*
 * Network devices through the NET_READ / NET_WRITE hypercalls, which
 * every hvt tender implements. (The optional shared ring, offered with
 * HVT_FEATURE_RING_IO, is not used.)
 */
#include "sdk_internal.h"
#include "hypercall.h"

int skiff_net_open(const char *name, struct skiff_net_info *info)
{
	const struct mft_entry *e;
	int handle = sdk_mft_find(name, MFT_DEV_NET_BASIC, &e);

	if (handle >= 0 && info) {
		memcpy(info->mac, e->u.net_basic.mac, sizeof(info->mac));
		info->mtu = e->u.net_basic.mtu;
	}
	return handle;
}

int skiff_net_read(int handle, void *buf, size_t size, size_t *len)
{
	struct hvt_hc_net arg = {
		.handle = (uint64_t)handle,
		.data = (uint64_t)(uintptr_t)buf,
		.len = size,
		.ret = HVT_R_EUNSPEC,
	};

	if (!sdk_mft_get(handle, MFT_DEV_NET_BASIC))
		return SKIFF_R_EINVAL;
	hvt_hypercall(HVT_HYPERCALL_NET_READ, &arg);
	/* Never report more than the buffer holds, whatever came back. */
	*len = arg.ret == HVT_R_OK && arg.len <= size ? arg.len : 0;
	return arg.ret;
}

int skiff_net_write(int handle, const void *buf, size_t len)
{
	struct hvt_hc_net arg = {
		.handle = (uint64_t)handle,
		.data = (uint64_t)(uintptr_t)buf,
		.len = len,
		.ret = HVT_R_EUNSPEC,
	};

	if (!sdk_mft_get(handle, MFT_DEV_NET_BASIC))
		return SKIFF_R_EINVAL;
	hvt_hypercall(HVT_HYPERCALL_NET_WRITE, &arg);
	return arg.ret;
}
