#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Hostile guests: each breaks one rule of the hvt ABI. The monitor must
# stop it with exit 1 and one stderr message naming the violation, never
# crash, hang (run_monitor's time limit) or let the guest go on (the guest
# would print "hostile: CASE survived" and exit 3).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

# hostile IMAGE CASE PHRASE [MONITOR OPTIONS...]
hostile() {
	local image=$1 case=$2 phrase=$3
	shift 3
	require_guest "$image"
	run_monitor_split --mem=8 "$@" "$SKIFF_GUESTS/$image.hvt" "$case"
	assert_failure 1
	assert_output "hostile: $case"
	[[ "$stderr" == *"skiff-monitor: "* ]]
	[[ "$stderr" =~ $phrase ]]
}

# A small disk for the cases that need a block device.
with_disk() {
	local disk=$BATS_TEST_TMPDIR/disk.img
	truncate -s 64K "$disk"
	hostile hostile_block "$1" "$2" --block:disk="$disk"
}

@test "argument struct at mem_size: invalid guest access" {
	hostile hostile arg_outside "invalid guest access"
}

@test "argument struct near 4 GiB: invalid guest access" {
	hostile hostile arg_high "invalid guest access"
}

@test "argument struct ending exactly at mem_size: invalid guest access" {
	hostile hostile arg_end "invalid guest access"
}

@test "PUTS buffer ending exactly at mem_size: invalid guest access" {
	hostile hostile puts_end "invalid guest access"
}

@test "PUTS buffer ending one byte below mem_size is allowed" {
	require_guest hostile
	run_monitor_split --mem=8 "$SKIFF_GUESTS/hostile.hvt" edge_ok
	assert_success
	assert_output "hostile: edge_ok
edge of memory"
}

@test "PUTS with gpa+len wrapping past 2^64: invalid guest access" {
	hostile hostile puts_wrap "invalid guest access"
}

@test "PUTS with len 2^32: invalid guest access" {
	hostile hostile puts_huge "invalid guest access"
}

@test "WALLTIME struct ending exactly at mem_size: invalid guest access" {
	hostile hostile walltime_end "invalid guest access"
}

@test "hypercall number 0: invalid hypercall" {
	hostile hostile hypercall_0 "invalid hypercall"
}

@test "BLOCK_READ with no block device: invalid hypercall" {
	hostile hostile block_nodev "invalid hypercall"
}

@test "NET_READ with no net device: invalid hypercall" {
	hostile hostile net_nodev "invalid hypercall"
}

@test "inb from a hypercall port: invalid guest port access" {
	hostile hostile in_byte "invalid guest port access"
}

@test "inl from a hypercall port (wrong direction): invalid guest port access" {
	hostile hostile in_long "invalid guest port access"
}

@test "outw to a hypercall port (wrong size): invalid guest port access" {
	hostile hostile out_word "invalid guest port access"
}

@test "outb to a hypercall port (wrong size): invalid guest port access" {
	hostile hostile out_byte "invalid guest port access"
}

@test "outl to 0x4ff (below the range): invalid guest port access" {
	hostile hostile out_4ff "invalid guest port access"
}

@test "outl to 0x509 (hypercall 9, above the range): rejected by name" {
	# Solo5 accepts ports 0x500..0x508 only, so 0x509 is a bad port;
	# a monitor may also call it an unknown hypercall number.
	hostile hostile out_509 "invalid (guest port access|hypercall)"
}

@test "ring kick port 0x600 without a net ring: invalid guest port access" {
	hostile hostile ring_kick "invalid guest port access"
}

@test "hlt: guest executed HLT" {
	hostile hostile hlt "guest executed HLT"
}

@test "empty IDT then #UD: triple fault" {
	hostile hostile triple_fault "triple fault"
}

@test "halt cookie whose 512 bytes cross mem_size: invalid guest access" {
	hostile hostile cookie_end "invalid guest access"
}

@test "halt cookie at 2^40: invalid guest access" {
	hostile hostile cookie_huge "invalid guest access"
}

@test "HALT struct outside memory: invalid guest access" {
	hostile hostile halt_arg_outside "invalid guest access"
}

@test "BLOCK_READ with len 2^40: invalid guest access" {
	with_disk block_read_huge "invalid guest access"
}

@test "BLOCK_WRITE with len 2^32: invalid guest access" {
	with_disk block_write_huge "invalid guest access"
}

@test "BLOCK_READ into a buffer ending exactly at mem_size: invalid guest access" {
	with_disk block_buf_end "invalid guest access"
}

@test "BLOCK_READ struct crossing mem_size: invalid guest access" {
	with_disk block_arg_outside "invalid guest access"
}

@test "block handles that are not block devices get EINVAL, not a crash" {
	local disk=$BATS_TEST_TMPDIR/disk.img
	require_guest hostile_block
	truncate -s 64K "$disk"
	run_monitor_split --mem=8 --block:disk="$disk" \
		"$SKIFF_GUESTS/hostile_block.hvt" block_bad_handle
	assert_success
	assert_output "hostile: block_bad_handle
hostile: handle 0: ret=2
hostile: handle 2: ret=2
hostile: handle 63: ret=2
hostile: handle 64: ret=2
hostile: handle 4294967296: ret=2"
}

@test "unknown case prints usage and exits 2" {
	require_guest hostile
	run_monitor_split --mem=8 "$SKIFF_GUESTS/hostile.hvt" no_such_case
	assert_equal "$status" 2
	assert_output "usage: hostile CASE"
}
