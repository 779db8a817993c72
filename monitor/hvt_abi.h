/* SPDX-License-Identifier: ISC */
/*
 * The Solo5 hvt guest ABI, x86_64: the structures and constants a guest
 * and a tender agree on. Written from the facts in shared/design/HVT_ABI.md
 * (offsets checked there against Solo5's own headers); the static asserts
 * at the end pin every offset so a layout mistake fails the build.
 */
#ifndef SKIFF_HVT_ABI_H
#define SKIFF_HVT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define HVT_ABI_VERSION		2
#define HVT_ABI_TARGET		1
#define MFT_VERSION		1

#define SOLO5_NOTE_NAME		"Solo5"
#define SOLO5_NOTE_ABI		0x31494241u	/* "ABI1" */
#define SOLO5_NOTE_MANIFEST	0x3154464du	/* "MFT1" */
#define SOLO5_ABI_DESC_MAX	32
#define SOLO5_MFT_DESC_MAX	6668

#define HVT_GUEST_MIN_BASE	0x100000ull
#define HVT_HYPERCALL_PIO_BASE	0x500
#define HVT_RING_KICK_PORT	0x600
#define HVT_CMDLINE_SIZE	8192
#define HVT_HALT_COOKIE_MAX	512

#define MFT_MAX_ENTRIES		64
#define MFT_NAME_SIZE		68
#define MFT_NAME_MAX		(MFT_NAME_SIZE - 1)

enum mft_type {
	MFT_DEV_BLOCK_BASIC = 1,
	MFT_DEV_NET_BASIC = 2,
	MFT_RESERVED_FIRST = 0x40000000,
};

enum hvt_hypercall {
	HVT_HYPERCALL_WALLTIME = 1,
	HVT_HYPERCALL_PUTS,
	HVT_HYPERCALL_POLL,
	HVT_HYPERCALL_BLOCK_WRITE,
	HVT_HYPERCALL_BLOCK_READ,
	HVT_HYPERCALL_NET_WRITE,
	HVT_HYPERCALL_NET_READ,
	HVT_HYPERCALL_HALT,
	HVT_HYPERCALL_MAX
};

enum solo5_result {
	SOLO5_R_OK = 0,
	SOLO5_R_AGAIN,
	SOLO5_R_EINVAL,
	SOLO5_R_EUNSPEC,
};

struct mft_block_basic {
	uint64_t capacity;
	uint16_t block_size;
};

struct mft_net_basic {
	uint8_t mac[6];
	uint16_t mtu;
};

struct mft_entry {
	char name[MFT_NAME_SIZE];
	uint32_t type;
	union {
		struct mft_block_basic block_basic;
		struct mft_net_basic net_basic;
	} u;
	union {
		int32_t hostfd;
		uint64_t data;
	} b;
	uint8_t attached;
	uint8_t pad[7];
};

struct mft {
	uint32_t version;
	uint32_t entries;
	struct mft_entry e[];
};

struct hvt_boot_info {
	uint64_t mem_size;
	uint64_t kernel_end;
	uint64_t cpu_cycle_freq;
	uint64_t cmdline;
	uint64_t mft;
	uint32_t host_features;
	uint32_t guest_features;
	uint64_t net_ring;
};

struct hvt_hc_walltime {
	uint64_t nsecs;
};

struct hvt_hc_puts {
	uint64_t data;
	uint64_t len;
};

struct hvt_hc_poll {
	uint64_t timeout_nsecs;
	uint64_t ready_set;
	int32_t ret;
	uint32_t pad;
};

struct hvt_hc_block_io {
	uint64_t handle;
	uint64_t offset;
	uint64_t data;
	uint64_t len;
	int32_t ret;
	uint32_t pad;
};

struct hvt_hc_net_io {
	uint64_t handle;
	uint64_t data;
	uint64_t len;
	int32_t ret;
	uint32_t pad;
};

struct hvt_hc_halt {
	uint64_t cookie;
	int32_t exit_status;
	uint32_t pad;
};

/* The trap frame a guest's exception handler passes as the halt cookie. */
struct hvt_trap_frame {
	uint64_t cr2;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry size");
_Static_assert(offsetof(struct mft_entry, type) == 68, "mft_entry.type");
_Static_assert(offsetof(struct mft_entry, u) == 72, "mft_entry.u");
_Static_assert(offsetof(struct mft_entry, b) == 88, "mft_entry.b");
_Static_assert(offsetof(struct mft_entry, attached) == 96, "attached");
_Static_assert(offsetof(struct mft_entry, u.net_basic.mtu) == 78, "mtu");
_Static_assert(offsetof(struct mft_entry, u.block_basic.block_size) == 80,
	       "block_size");
_Static_assert(sizeof(struct mft) == 8, "mft header");
_Static_assert(sizeof(struct hvt_boot_info) == 56, "boot info size");
_Static_assert(offsetof(struct hvt_boot_info, host_features) == 40, "feat");
_Static_assert(offsetof(struct hvt_boot_info, net_ring) == 48, "net_ring");
_Static_assert(sizeof(struct hvt_hc_poll) == 24, "poll");
_Static_assert(sizeof(struct hvt_hc_block_io) == 40, "block io");
_Static_assert(sizeof(struct hvt_hc_net_io) == 32, "net io");
_Static_assert(sizeof(struct hvt_hc_halt) == 16, "halt");

#endif
