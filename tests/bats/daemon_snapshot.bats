#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# vm.snapshot and vm.restore through skiffd and skiffctl, with real
# monitors and the counter guest: a restored guest counts on from where
# it was snapshotted, and every refusal is clear and leaves nothing.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_kvm
	require_guest counter
	start_skiffd
}

teardown() {
	teardown_skiffd
}

# first_tick NAME / last_tick NAME: the numbers of its console's ticks.
first_tick() {
	ctl logs "$1" | sed -n 's/^tick \([0-9]*\)$/\1/p' | head -1
}

last_tick() {
	ctl logs "$1" | sed -n 's/^tick \([0-9]*\)$/\1/p' | tail -1
}

has_ticked() {
	[ -n "$(first_tick "$1")" ]
}

# vm_names: the registered VMs, one line.
vm_names() {
	ctl --json ls | jq -r '[.vms[].name] | join(" ")'
}

@test "a restored counter counts on from its snapshot; a later start boots it afresh" {
	start_counters c1
	wait_until 10 ticks_at_least c1 3
	before=$(last_tick c1)
	cd "$BATS_TEST_TMPDIR"
	run ctl snapshot c1 c1.snap
	assert_success
	assert_output --regexp "^snapshot c1 -> $BATS_TEST_TMPDIR/c1.snap: [0-9]+\.[0-9] MiB in [0-9]+\.[0-9]{2} s \(2048 pages, [0-9]+ zero\)$"
	after=$(last_tick c1)
	[ "$(stat -c %a c1.snap)" = 600 ]
	[ "$(stat -c %s c1.snap)" -gt 4096 ]
	run vm_field c1 state
	assert_output running
	ctl kill c1 >/dev/null
	ctl rm c1 >/dev/null

	run ctl restore "$BATS_TEST_TMPDIR/c1.snap" --name c2
	assert_success
	assert_output --regexp "^restore $BATS_TEST_TMPDIR/c1.snap -> c2: running \(pid [0-9]+\)$"
	wait_until 10 has_ticked c2
	first=$(first_tick c2)
	echo "ticks: $before before the snapshot, $after after, $first first restored"
	[ "$first" -gt "$before" ]
	[ "$first" -le $((after + 1)) ]
	wait_until 10 ticks_at_least c2 2
	[ "$(last_tick c2)" -gt "$first" ]
	run vm_field c2 kernel
	assert_output "$(guest counter)"
	run vm_names
	assert_output c2

	# Stopped, it starts from its image like any VM.
	ctl stop c2 >/dev/null
	ctl start c2 >/dev/null
	wait_until 10 bash -c "\"$SKIFFCTL\" --socket $SOCK logs c2 | grep -qx 'tick 1'"
}

@test "a paused vm is snapshotted and stays paused" {
	start_counters p1
	ctl pause p1 >/dev/null
	run ctl --json snapshot p1 "$BATS_TEST_TMPDIR/p1.snap"
	assert_success
	run jq -r '[.name, .path, .pages] | join(" ")' <<<"$output"
	assert_output "p1 $BATS_TEST_TMPDIR/p1.snap 2048"
	run vm_field p1 state
	assert_output paused
	ctl resume p1 >/dev/null
	run vm_field p1 state
	assert_output running
}

@test "snapshot refuses an existing file, a stopped vm and a relative path" {
	start_counters s1
	echo keep >"$BATS_TEST_TMPDIR/there"
	run ctl snapshot s1 "$BATS_TEST_TMPDIR/there"
	assert_equal "$status" 7
	assert_output "skiffctl: vm s1: snapshot $BATS_TEST_TMPDIR/there: File exists"
	run cat "$BATS_TEST_TMPDIR/there"
	assert_output keep

	rpc '{"jsonrpc":"2.0","id":1,"method":"vm.snapshot","params":{"name":"s1","path":"rel.snap"}}'
	assert_output --partial '"code":-32602'
	assert_output --partial 'path: expected an absolute path, got \"rel.snap\"'

	ctl stop s1 >/dev/null
	run ctl snapshot s1 "$BATS_TEST_TMPDIR/s1.snap"
	assert_equal "$status" 5
	assert_output "skiffctl: vm s1: cannot snapshot: vm is stopped (allowed when running or paused)"
	[ ! -e "$BATS_TEST_TMPDIR/s1.snap" ]
}

@test "restore refuses a taken name, a relative path, another file and a truncated snapshot; nothing is left" {
	start_counters c1
	snap=$BATS_TEST_TMPDIR/c1.snap
	ctl snapshot c1 "$snap" >/dev/null

	run ctl restore "$snap"
	assert_equal "$status" 7
	assert_output "skiffctl: vm c1: already exists"

	rpc '{"jsonrpc":"2.0","id":1,"method":"vm.restore","params":{"path":"c1.snap","name":"r1"}}'
	assert_output --partial '"code":-32602'
	assert_output --partial 'path: expected an absolute path, got \"c1.snap\"'

	run ctl restore "$(guest counter)" --name r2
	assert_equal "$status" 2
	assert_output "skiffctl: restore $(guest counter): not a skiff snapshot: migration stream: hello: not a skiff migration stream (bad magic)"

	# Cut before its definition: skiffd sees it.
	head -c 100 "$snap" >"$BATS_TEST_TMPDIR/short.snap"
	run ctl restore "$BATS_TEST_TMPDIR/short.snap" --name r3
	assert_equal "$status" 2
	assert_output "skiffctl: restore $BATS_TEST_TMPDIR/short.snap: truncated, or not a snapshot: the file ends after 100 bytes, before any definition"

	# Cut in its memory: the monitor sees it, and the vm goes again.
	head -c $(($(stat -c %s "$snap") / 2)) "$snap" >"$BATS_TEST_TMPDIR/half.snap"
	run ctl restore "$BATS_TEST_TMPDIR/half.snap" --name r4
	assert_equal "$status" 1
	assert_output --partial "skiffctl: vm r4: restore $BATS_TEST_TMPDIR/half.snap: "

	run vm_names
	assert_output c1
	for n in r1 r2 r3 r4; do
		[ ! -e "$STATE/vms/$n" ]
	done
	run vm_field c1 state
	assert_output running
}
