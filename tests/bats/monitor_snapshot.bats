#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Snapshots at the monitor's level: monitor.snapshot on the control
# socket with the file passed as a descriptor (as skiffd passes it), and
# skiff-monitor --incoming=@FD restoring the guest from that file. The
# counter guest prints "tick N" each second against its monotonic clock,
# so a restored counter must go on from the snapshot's N, not from 1.
# skiffd's vm.snapshot and vm.restore are in daemon_snapshot.bats.
# The outcomes are the same on every backend (/dev/kvm on a host or in
# the lab, /dev/skiff): the state is taken at a hypercall boundary on all.

load helpers
bats_require_minimum_version 1.5.0

CTL_FD=$SKIFF_TOP/build/tests/tools/ctl-fd

teardown() {
	local pid
	for pid in ${MON_PID:-} ${MON2_PID:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# start_counter SOCK: counter.hvt with a control socket (MON_PID); its
# output in $BATS_TEST_TMPDIR/out; returns once it has ticked twice.
start_counter() {
	require_kvm
	require_guest counter
	"$MONITOR" $(monitor_device_args) --mem=4 --name=c1 --control="$1" \
		"$SKIFF_GUESTS/counter.hvt" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	MON_PID=$!
	wait_until 10 grep -q 'tick 2' "$BATS_TEST_TMPDIR/out" ||
		fail "counter did not tick: $(cat "$BATS_TEST_TMPDIR/out")"
}

ticks() {
	grep -c tick "$BATS_TEST_TMPDIR/out"
}

# more_ticks N: the counter has printed more than N ticks.
more_ticks() {
	[ "$(ticks)" -gt "$1" ]
}

# snapshot SOCK FILE: monitor.snapshot into FILE; the answer in $output.
snapshot() {
	run "$CTL_FD" "$1" 5 '{"jsonrpc":"2.0","id":7,"method":"monitor.snapshot","params":{"definition":{"name":"c1"}}}' 5>"$2"
}

@test "snapshot: a running counter's state goes to the file; it keeps running" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock snap=$BATS_TEST_TMPDIR/snap
	start_counter "$sock"
	snapshot "$sock" "$snap"
	assert_success
	assert_output --regexp '"id":7,"result":\{"bytes":[0-9]+,"pages":1024,"zero_pages":[0-9]+,"seconds":'
	# The file holds the definition skiffd gave, and the stream's magic.
	run head -c 8 "$snap"
	assert_output SKIFFMIG
	grep -q '{"name":"c1"}' "$snap"
	local n
	n=$(ticks)
	wait_until 5 more_ticks "$n"
	run "$CTL_FD" "$sock" -1 '{"jsonrpc":"2.0","id":8,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
}

@test "restore: the counter goes on from the snapshot's tick, not from 1" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock snap=$BATS_TEST_TMPDIR/snap
	local out2=$BATS_TEST_TMPDIR/out2 before after first
	start_counter "$sock"
	wait_until 10 grep -q 'tick 3' "$BATS_TEST_TMPDIR/out"
	before=$(ticks)
	snapshot "$sock" "$snap"
	assert_success
	after=$(ticks)
	kill -9 "$MON_PID"
	"$MONITOR" $(monitor_device_args) --mem=4 --name=c2 --incoming=@5 "$SKIFF_GUESTS/counter.hvt" \
		5<"$snap" >"$out2" 2>&1 &
	MON2_PID=$!
	wait_until 10 grep -q tick "$out2" ||
		fail "restored counter did not tick: $(cat "$out2")"
	first=$(grep -m1 -o 'tick [0-9]*' "$out2" | cut -d' ' -f2)
	# The snapshot was taken after tick $before and before tick $after + 1.
	[ "$first" -ge $((before + 1)) ] && [ "$first" -le $((after + 1)) ] ||
		fail "restored counter started at tick $first, snapshot was between ticks $before and $after"
	wait_until 5 grep -q "tick $((first + 2))" "$out2"
}

@test "snapshot of a paused guest: it stays paused, and restores running" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock snap=$BATS_TEST_TMPDIR/snap
	start_counter "$sock"
	run "$CTL_FD" "$sock" -1 '{"jsonrpc":"2.0","id":1,"method":"monitor.pause"}'
	assert_output --partial '"state":"paused"'
	snapshot "$sock" "$snap"
	assert_output --partial '"result"'
	run "$CTL_FD" "$sock" -1 '{"jsonrpc":"2.0","id":2,"method":"monitor.info"}'
	assert_output --partial '"state":"paused"'
	local n
	n=$(ticks)
	sleep 2
	assert_equal "$(ticks)" "$n"
	kill -9 "$MON_PID"
	"$MONITOR" $(monitor_device_args) --mem=4 --incoming=@5 "$SKIFF_GUESTS/counter.hvt" \
		5<"$snap" >"$BATS_TEST_TMPDIR/out2" 2>&1 &
	MON2_PID=$!
	wait_until 10 grep -q "tick $((n + 1))" "$BATS_TEST_TMPDIR/out2"
}

@test "monitor.snapshot without a descriptor is refused; the guest runs on" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock
	start_counter "$sock"
	run "$CTL_FD" "$sock" -1 '{"jsonrpc":"2.0","id":3,"method":"monitor.snapshot"}'
	assert_output --partial '"code":-32602'
	assert_output --partial 'no file descriptor came with the request'
	local n
	n=$(ticks)
	wait_until 5 more_ticks "$n"
}

@test "snapshot into a file that cannot be written: a clear error, the guest runs on" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock
	start_counter "$sock"
	run "$CTL_FD" "$sock" 5 '{"jsonrpc":"2.0","id":4,"method":"monitor.snapshot"}' 5</dev/null
	assert_output --partial '"code":-32005'
	assert_output --partial 'snapshot: migration stream: write failed after 0 bytes: Bad file descriptor'
	local n
	n=$(ticks)
	wait_until 5 more_ticks "$n"
}

# restore_fails MESSAGE MONITOR-ARGS...: the restore exits 1 with MESSAGE
# on stderr and in the status file, before the guest runs.
restore_fails() {
	local msg=$1
	shift
	run "$MONITOR" $(monitor_device_args) --status-file="$BATS_TEST_TMPDIR/status" "$@"
	assert_failure 1
	assert_output --partial "$msg"
	refute_output --partial tick
	grep -qF "$msg" "$BATS_TEST_TMPDIR/status"
}

@test "restore refuses another memory size, another image, a cut or foreign file" {
	local sock=$BATS_TEST_TMPDIR/ctl.sock snap=$BATS_TEST_TMPDIR/snap
	require_guest hello
	start_counter "$sock"
	snapshot "$sock" "$snap"
	assert_success
	kill -9 "$MON_PID"
	restore_fails "restore: migration stream: section config: refused by the receiver: the VM has 4 MiB of memory, --mem gives 8 MiB" \
		--mem=8 --incoming=@5 "$SKIFF_GUESTS/counter.hvt" 5<"$snap"
	restore_fails "the VM booted another image than $SKIFF_GUESTS/hello.hvt" \
		--mem=4 --incoming=@5 "$SKIFF_GUESTS/hello.hvt" 5<"$snap"
	head -c $(($(stat -c %s "$snap") / 2)) "$snap" >"$BATS_TEST_TMPDIR/cut"
	restore_fails "truncated" \
		--mem=4 --incoming=@5 "$SKIFF_GUESTS/counter.hvt" 5<"$BATS_TEST_TMPDIR/cut"
	restore_fails "restore: migration stream: hello: not a skiff migration stream (bad magic)" \
		--mem=4 --incoming=@5 "$SKIFF_GUESTS/counter.hvt" 5<"$SKIFF_GUESTS/counter.hvt"
	run "$MONITOR" $(monitor_device_args) --mem=4 --incoming=3 "$SKIFF_GUESTS/counter.hvt"
	assert_failure 1
	assert_output --partial "--incoming: @FD needs a file descriptor number"
}
