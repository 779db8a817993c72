/* SPDX-License-Identifier: ISC */
/*
 * The devices' part of a snapshot or migration: what the destination's
 * monitor cannot know from its own options. Block devices have none
 * (requests complete within their hypercall). A net device has its MAC:
 * the guest read it from its manifest at boot and keeps using it, so a
 * destination that picked another one (--net-mac not given: a random
 * one) would report and announce the wrong address. After a live
 * migration the destination announces the MAC on the new tap, as QEMU's
 * announce-self does, so bridges and switches learn where the guest is
 * now before its first frame. And before the final state the block
 * devices are flushed, for a destination on shared storage.
 *
 * A device section is "name", then the blob: version (1 byte, 1), the
 * MAC (6 bytes).
 */
#include <string.h>
#include <unistd.h>

#include "monitor.h"

#define NET_STATE_VERSION	1
#define NET_STATE_LEN		7
#define ETH_ALEN		6
#define ETH_P_RARP		0x8035
#define ANNOUNCE_FRAME_LEN	60	/* the Ethernet minimum, no FCS */

int device_state_write(struct vm *vm, struct stream_writer *w)
{
	uint8_t blob[NET_STATE_LEN];
	uint32_t i;

	for (i = 1; i < vm->mft.entries; i++) {
		if (vm->dev[i].type != MFT_DEV_NET_BASIC)
			continue;
		blob[0] = NET_STATE_VERSION;
		memcpy(blob + 1, vm->dev[i].mac, ETH_ALEN);
		if (stream_write_device(w, vm->mft.e[i].name, blob,
					sizeof(blob)))
			return -1;
	}
	return 0;
}

static void format_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}

/*
 * Before the final state: every write the guest made reaches the block
 * devices' files, so a destination on shared storage reads them all.
 */
int device_state_flush(struct vm *vm)
{
	uint32_t i;

	for (i = 1; i < vm->mft.entries; i++) {
		if (vm->dev[i].type != MFT_DEV_BLOCK_BASIC ||
		    fsync(vm->dev[i].fd) == 0)
			continue;
		mon_err("block %s: flushing before the final state: %m",
			vm->mft.e[i].name);
		return -1;
	}
	return 0;
}

/* A device section from the stream, checked against this VM. */
int device_state_restore(struct vm *vm, const char *name, const void *blob,
			 size_t len, char *err, size_t errlen)
{
	const uint8_t *b = blob;
	char have[18], want[18];
	int idx = manifest_find(&vm->mft, name);
	struct vm_device *d;

	if (idx < 0 || vm->dev[idx].type != MFT_DEV_NET_BASIC) {
		snprintf(err, errlen, "device %s: state for a device this VM has no net device of that name for",
			 name);
		return -1;
	}
	if (len != NET_STATE_LEN || b[0] != NET_STATE_VERSION || b[1] & 1) {
		snprintf(err, errlen, "device %s: malformed net state (%zu bytes)",
			 name, len);
		return -1;
	}
	d = &vm->dev[idx];
	if (d->mac_given && memcmp(d->mac, b + 1, ETH_ALEN)) {
		format_mac(b + 1, have, sizeof(have));
		format_mac(d->mac, want, sizeof(want));
		snprintf(err, errlen, "device %s: the guest's MAC is %s, --net-mac gives %s",
			 name, have, want);
		return -1;
	}
	memcpy(d->mac, b + 1, ETH_ALEN);
	memcpy(vm->mft.e[idx].u.net_basic.mac, b + 1, ETH_ALEN);
	return 0;
}

/* One RARP "reverse request" from the guest's MAC, as QEMU announces. */
static void announce_frame(const uint8_t *mac, uint8_t *f)
{
	memset(f, 0, ANNOUNCE_FRAME_LEN);
	memset(f, 0xff, ETH_ALEN);		/* broadcast */
	memcpy(f + 6, mac, ETH_ALEN);
	f[12] = ETH_P_RARP >> 8;
	f[13] = ETH_P_RARP & 0xff;
	f[15] = 1;				/* hardware: Ethernet */
	f[16] = 0x08;				/* protocol: IPv4 */
	f[18] = ETH_ALEN;
	f[19] = 4;
	f[21] = 3;				/* reverse request */
	memcpy(f + 22, mac, ETH_ALEN);		/* sender */
	memcpy(f + 32, mac, ETH_ALEN);		/* target */
}

void device_state_announce(struct vm *vm)
{
	uint8_t frame[ANNOUNCE_FRAME_LEN];
	uint32_t i;

	for (i = 1; i < vm->mft.entries; i++) {
		if (vm->dev[i].type != MFT_DEV_NET_BASIC)
			continue;
		announce_frame(vm->dev[i].mac, frame);
		if (write(vm->dev[i].fd, frame, sizeof(frame)) < 0)
			mon_warn("net %s: announcing the guest's MAC: %m",
				 vm->mft.e[i].name);
	}
}
