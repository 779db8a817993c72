#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# skiffd + skiffctl with real monitors and guests: the lifecycle, run
# --attach, console logs, errors and exit statuses.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_kvm
	start_skiffd
}

teardown() {
	teardown_skiffd
}

@test "run --attach streams the console and returns the guest's exit status" {
	require_guest hello
	require_guest exit
	run ctl run --attach --name h1 "$(guest hello)" one two
	assert_success
	assert_output --partial "Hello, world!"
	assert_output --partial "arg 2: two"
	run ctl run --attach --name e7 "$(guest exit)" 7
	assert_equal "$status" 7
	run vm_field e7 state
	assert_output stopped
	run vm_field e7 exit.status
	assert_output 7
}

@test "full lifecycle: create, start, pause, resume, stop, rm" {
	require_guest counter
	run ctl create --name c1 --mem 16 "$(guest counter)"
	assert_success
	assert_output c1
	run vm_field c1 state
	assert_output defined
	run ctl start c1
	assert_success
	wait_state c1 running
	wait_until 5 ticks_at_least c1 2
	run vm_field c1 pid
	[ "$output" -gt 0 ]
	run ctl pause c1
	assert_success
	assert_output "c1: paused"
	# A tick written just before the pause may still be on its way.
	sleep "$(scaled 0.3)"
	before=$(ctl logs c1 | grep -c tick)
	sleep 1.5
	after=$(ctl logs c1 | grep -c tick)
	assert_equal "$after" "$before"
	run ctl resume c1
	assert_output "c1: running"
	wait_until 5 ticks_at_least c1 $((after + 1))
	run ctl info c1
	assert_output --partial "hypercall puts"
	run ctl stop c1
	assert_success
	assert_output --partial "c1: stopped"
	run vm_field c1 state
	assert_output stopped
	run ctl rm c1
	assert_success
	run ctl info c1
	assert_equal "$status" 4
	assert_output --partial "vm c1: no such vm"
}

@test "illegal transitions name the current state and exit 5" {
	require_guest hello
	run ctl create --name h "$(guest hello)"
	assert_success
	run ctl pause h
	assert_equal "$status" 5
	assert_output "skiffctl: vm h: cannot pause: vm is defined (allowed when running)"
	run ctl stop h
	assert_equal "$status" 5
	assert_output --partial "vm is defined"
	run ctl run --attach --name h2 "$(guest hello)"
	assert_success
	run ctl resume h2
	assert_equal "$status" 5
	assert_output --partial "vm is stopped"
	run ctl create --name h "$(guest hello)"
	assert_equal "$status" 7
	assert_output --partial "already exists"
}

@test "kill ends a running guest as stopped, killed on request" {
	require_guest counter
	run ctl run --name k1 "$(guest counter)"
	assert_success
	wait_state k1 running
	run ctl kill k1
	assert_success
	assert_output --partial "killed on request"
	run vm_field k1 exit.signal
	assert_output 9
	run vm_field k1 state
	assert_output stopped
}

@test "ls shows a table; --json gives the API's objects" {
	require_guest hello
	ctl run --attach --name t1 "$(guest hello)" >/dev/null
	run ctl ls
	assert_success
	assert_line --index 0 --regexp '^NAME +STATE +PID +MEM\(MiB\) +UPTIME +EXIT +KERNEL$'
	assert_line --index 1 --regexp '^t1 +stopped +- +32 +- +0 +/'
	run bash -c "\"$SKIFFCTL\" --socket $SOCK --json ls | jq -r '.vms[0].name'"
	assert_output t1
}

@test "logs and logs -f follow the console until the guest stops" {
	require_guest counter
	ctl run --name f1 "$(guest counter)" >/dev/null
	wait_state f1 running
	# Stopped once it has ticked twice: logs -f has followed it.
	( wait_until 5 ticks_at_least f1 2
	  "$SKIFFCTL" --socket "$SOCK" stop f1 >/dev/null ) &
	run ctl logs -f f1
	assert_success
	assert_line "tick 1"
	assert_line "tick 2"
	run ctl logs f1
	assert_line "tick 1"
}

@test "skiffctl without a daemon: one line on stderr, exit 3" {
	run --separate-stderr "$SKIFFCTL" --socket "$BATS_TEST_TMPDIR/none.sock" ls
	assert_equal "$status" 3
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == "skiffctl: cannot connect to skiffd at "* ]]
}

@test "events shows state changes" {
	require_guest hello
	ctl events >"$BATS_TEST_TMPDIR/events" &
	ev=$!
	# Time to subscribe before the first event.
	sleep "$(scaled 0.3)"
	ctl run --attach --name ev1 "$(guest hello)" >/dev/null
	wait_until 5 grep -qE "ev1 (running|starting) -> stopped \(status 0, halted\)" \
		"$BATS_TEST_TMPDIR/events"
	kill "$ev"
	run cat "$BATS_TEST_TMPDIR/events"
	assert_line "ev1 vm.created"
	assert_line "ev1 defined -> starting"
}

@test "rm refuses a running vm; rm -f kills it first" {
	require_guest counter
	ctl run --name r1 "$(guest counter)" >/dev/null
	wait_state r1 running
	run ctl rm r1
	assert_equal "$status" 5
	assert_output --partial "cannot delete: vm is running"
	run ctl rm -f r1
	assert_success
	run ctl info r1
	assert_equal "$status" 4
	[ -z "$(monitor_pids)" ]
	[ ! -e "$STATE/vms/r1" ]
}

# make_disk FILE BYTES TAG: 16-byte lines "<TAG><512-byte block, 14 digits>\n"
# (the pattern block.hvt checks and writes).
make_disk() {
	awk -v bytes="$2" -v tag="$3" 'BEGIN {
		for (b = 0; b < bytes / 512; b++)
			for (i = 0; i < 32; i++)
				printf "%s%014d\n", tag, b
	}' >"$1"
}

@test "a disk through the daemon: opened by skiffd, passed to the monitor, written by the guest" {
	require_guest block
	make_disk "$BATS_TEST_TMPDIR/disk.img" 262144 H
	make_disk "$BATS_TEST_TMPDIR/want" 262144 G
	run ctl run --attach --name b1 --mem 8 \
		--block disk="$BATS_TEST_TMPDIR/disk.img" "$(guest block)"
	assert_success
	assert_line "block: 512 blocks read, written and verified"
	cmp "$BATS_TEST_TMPDIR/disk.img" "$BATS_TEST_TMPDIR/want"
	run vm_field b1 'block[0].path'
	assert_output "$BATS_TEST_TMPDIR/disk.img"
}
