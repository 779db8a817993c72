/* SPDX-License-Identifier: ISC */
/*
 * The Solo5 hvt guest ABI (x86_64), as described in HVT_ABI.md.
 *
 * The one definition of the ABI in skiff: guests built with the SDK and
 * skiff-monitor both include this file, so the two sides cannot drift.
 * Written from the layout facts alone: every size and offset below is
 * checked at compile time, so a mistake here breaks the build instead of
 * talking to the monitor with a wrong struct.
 */
#ifndef SKIFF_HVT_ABI_H
#define SKIFF_HVT_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HVT_ABI_TARGET		1	/* enum abi_target: hvt */
#define HVT_ABI_VERSION		2
#define HVT_GUEST_MIN_BASE	0x100000UL
#define HVT_HYPERCALL_PIO_BASE	0x500
#define HVT_HYPERCALL_MAX	9	/* valid numbers are 1..8 */
#define HVT_RING_KICK_PORT	0x600
#define HVT_CMDLINE_SIZE	8192
#define HVT_HALT_COOKIE_MAX	512
#define HVT_FEATURE_RING_IO	(1U << 0)

/* ELF note identifiers: owner "Solo5", types "ABI1" and "MFT1". */
#define SOLO5_NOTE_NAME		"Solo5"
#define SOLO5_NOTE_NAMESZ	6
#define SOLO5_NOTE_ABI		0x31494241U
#define SOLO5_NOTE_MFT		0x3154464dU
#define SOLO5_ABI_DESC_MAX	32	/* largest n_descsz a tender accepts */
#define SOLO5_MFT_DESC_MAX	6668	/* 4 + 8 + 104 * 64 */

enum hvt_hypercall {
	HVT_HYPERCALL_WALLTIME = 1,
	HVT_HYPERCALL_PUTS = 2,
	HVT_HYPERCALL_POLL = 3,
	HVT_HYPERCALL_BLOCK_WRITE = 4,
	HVT_HYPERCALL_BLOCK_READ = 5,
	HVT_HYPERCALL_NET_WRITE = 6,
	HVT_HYPERCALL_NET_READ = 7,
	HVT_HYPERCALL_HALT = 8,
};

/* Result codes written by the monitor into the `ret` fields. */
enum hvt_result {
	HVT_R_OK = 0,
	HVT_R_AGAIN = 1,
	HVT_R_EINVAL = 2,
	HVT_R_EUNSPEC = 3,
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
};

/* BLOCK_WRITE and BLOCK_READ share one layout; len is IN/OUT for reads. */
struct hvt_hc_block {
	uint64_t handle;
	uint64_t offset;
	uint64_t data;
	uint64_t len;
	int32_t ret;
};

/* NET_WRITE and NET_READ share one layout; len is IN/OUT for reads. */
struct hvt_hc_net {
	uint64_t handle;
	uint64_t data;
	uint64_t len;
	int32_t ret;
};

struct hvt_hc_halt {
	uint64_t cookie;
	int32_t exit_status;
};

/* Manifest (MFT1), the payload of the manifest note and its boot copy. */
#define MFT_VERSION		1
#define MFT_MAX_ENTRIES		64
#define MFT_NAME_SIZE		68
#define MFT_NAME_MAX		(MFT_NAME_SIZE - 1)

enum mft_type {
	MFT_DEV_BLOCK_BASIC = 1,
	MFT_DEV_NET_BASIC = 2,
	MFT_RESERVED_FIRST = 0x40000000,
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
	uint64_t host_private;	/* the tender's hostfd or pointer */
	/*
	 * A byte, not a bool: tenders parse manifests from untrusted image
	 * files, where any value may appear.
	 */
	uint8_t attached;
};

struct mft {
	uint32_t version;
	uint32_t entries;
	struct mft_entry e[];
};

/*
 * The halt cookie of a guest stopped by a CPU exception: the trap frame,
 * in the order a tender's dumpcore expects.
 */
struct hvt_trap_frame {
	uint64_t cr2;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

/* Header of a Solo5 note: Elf64_Nhdr plus the name padded to 8 bytes. */
struct solo5_note_header {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
	char name[8];
};

struct solo5_abi_note {
	struct solo5_note_header h;
	uint32_t abi_target;
	uint32_t abi_version;
	uint32_t reserved0;
	uint32_t reserved1;
};

#define HVT_ASSERT_LAYOUT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " must be at offset " #off)

_Static_assert(sizeof(struct hvt_boot_info) == 56, "hvt_boot_info size");
HVT_ASSERT_LAYOUT(hvt_boot_info, kernel_end, 8);
HVT_ASSERT_LAYOUT(hvt_boot_info, cpu_cycle_freq, 16);
HVT_ASSERT_LAYOUT(hvt_boot_info, cmdline, 24);
HVT_ASSERT_LAYOUT(hvt_boot_info, mft, 32);
HVT_ASSERT_LAYOUT(hvt_boot_info, host_features, 40);
HVT_ASSERT_LAYOUT(hvt_boot_info, guest_features, 44);
HVT_ASSERT_LAYOUT(hvt_boot_info, net_ring, 48);

_Static_assert(sizeof(struct hvt_hc_walltime) == 8, "walltime size");
_Static_assert(sizeof(struct hvt_hc_puts) == 16, "puts size");
_Static_assert(sizeof(struct hvt_hc_poll) == 24, "poll size");
HVT_ASSERT_LAYOUT(hvt_hc_poll, ready_set, 8);
HVT_ASSERT_LAYOUT(hvt_hc_poll, ret, 16);
_Static_assert(sizeof(struct hvt_hc_block) == 40, "block size");
HVT_ASSERT_LAYOUT(hvt_hc_block, offset, 8);
HVT_ASSERT_LAYOUT(hvt_hc_block, data, 16);
HVT_ASSERT_LAYOUT(hvt_hc_block, len, 24);
HVT_ASSERT_LAYOUT(hvt_hc_block, ret, 32);
_Static_assert(sizeof(struct hvt_hc_net) == 32, "net size");
HVT_ASSERT_LAYOUT(hvt_hc_net, data, 8);
HVT_ASSERT_LAYOUT(hvt_hc_net, len, 16);
HVT_ASSERT_LAYOUT(hvt_hc_net, ret, 24);
_Static_assert(sizeof(struct hvt_hc_halt) == 16, "halt size");
HVT_ASSERT_LAYOUT(hvt_hc_halt, exit_status, 8);

_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry size");
HVT_ASSERT_LAYOUT(mft_entry, type, 68);
HVT_ASSERT_LAYOUT(mft_entry, u.block_basic.capacity, 72);
HVT_ASSERT_LAYOUT(mft_entry, u.block_basic.block_size, 80);
HVT_ASSERT_LAYOUT(mft_entry, u.net_basic.mtu, 78);
HVT_ASSERT_LAYOUT(mft_entry, host_private, 88);
HVT_ASSERT_LAYOUT(mft_entry, attached, 96);
_Static_assert(sizeof(struct mft) == 8, "mft header size");
_Static_assert(sizeof(struct hvt_trap_frame) == 56, "trap frame size");
_Static_assert(sizeof(struct solo5_note_header) == 20, "note header size");
_Static_assert(sizeof(struct solo5_abi_note) == 36, "abi note size");

#endif /* SKIFF_HVT_ABI_H */
