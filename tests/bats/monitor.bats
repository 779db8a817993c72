#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# skiff-monitor as an operator meets it: its command line, its errors,
# its sandbox, its control socket and status file, and the sanitizer
# build running every hostile guest.

load helpers
bats_require_minimum_version 1.5.0

ctl() {
	printf '%s\n' "$2" | limit 5 socat - "UNIX-CONNECT:$1"
}

wait_for_socket() {
	wait_until 5 test -S "$1"
}

# more_ticks FILE N: FILE holds more than N ticks.
more_ticks() {
	[ "$(grep -c tick "$1")" -gt "$2" ]
}

# start_counter [OPTIONS...]: counter.hvt in the background (MON_PID), its
# output in $BATS_TEST_TMPDIR/out; returns once it has ticked.
start_counter() {
	require_kvm
	require_guest counter
	"$MONITOR" --mem=4 "$@" "$SKIFF_GUESTS/counter.hvt" \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	MON_PID=$!
	wait_until 5 grep -q 'tick 1' "$BATS_TEST_TMPDIR/out" ||
		fail "counter did not tick: $(cat "$BATS_TEST_TMPDIR/out")"
}

teardown() {
	if [ -n "${MON_PID:-}" ]; then
		kill -9 "$MON_PID" 2>/dev/null || true
		wait "$MON_PID" 2>/dev/null || true
	fi
}

@test "--version prints the version and the ABI, exits 0" {
	run "$MONITOR" --version
	assert_success
	assert_output --regexp '^skiff-monitor [0-9.]+ \(Solo5 hvt ABI version 2\)$'
}

@test "--help prints usage on stdout and exits 0" {
	run --separate-stderr "$MONITOR" --help
	assert_success
	assert_output --partial 'usage: skiff-monitor'
	assert_output --partial '--block:NAME=PATH'
}

@test "an unknown option is refused with usage, exit 1" {
	run "$MONITOR" --frobnicate k.hvt
	assert_failure 1
	assert_output --partial 'unknown option: --frobnicate'
	assert_output --partial 'usage:'
}

@test "a missing kernel argument is an error" {
	run "$MONITOR" --mem=4
	assert_failure 1
	assert_output --partial 'missing KERNEL'
}

@test "a kernel file that does not exist is named in the error" {
	run "$MONITOR" /nonexistent/guest.hvt
	assert_failure 1
	assert_output --partial '/nonexistent/guest.hvt: No such file or directory'
}

@test "a file that is not an hvt image is refused before KVM is touched" {
	run "$MONITOR" --device=/nonexistent /etc/passwd
	assert_failure 1
	assert_output --partial '/etc/passwd: not an ELF file'
	run "$MONITOR" --device=/nonexistent /bin/true
	assert_failure 1
	assert_output --partial 'not a static executable'
}

@test "an unusable device is named in the error, with what to do" {
	require_guest quiet
	run "$MONITOR" --mem=4 --device=/nonexistent/kvm "$SKIFF_GUESTS/quiet.hvt"
	assert_failure 1
	assert_output --partial '/nonexistent/kvm: No such file or directory (no KVM here: enable virtualization, or nested virtualization, in the firmware or hypervisor, load kvm_intel or kvm_amd, or point --device at another KVM-compatible device)'
	run "$MONITOR" --mem=4 --device=/dev/null "$SKIFF_GUESTS/quiet.hvt"
	assert_failure 1
	assert_output --partial '/dev/null: not a KVM device (KVM_GET_API_VERSION: Inappropriate ioctl for device)'
}

@test "--mem is rounded down to 2 MiB with a warning, limits enforced" {
	require_kvm
	require_guest solo5_layout
	run_monitor --mem=7 "$SKIFF_GUESTS/solo5_layout.hvt"
	assert_success
	assert_output --partial 'warning: adjusting memory to 6 MiB'
	assert_output --partial 'mem_size=0x600000'
	run "$MONITOR" --mem=4097 "$SKIFF_GUESTS/solo5_layout.hvt"
	assert_failure 1
	assert_output --partial 'not a number of MiB from 2 to 4096'
}

@test "--name puts the VM's name in messages" {
	require_kvm
	require_guest hostile
	run_monitor --mem=4 --name=web1 "$SKIFF_GUESTS/hostile.hvt" hlt
	assert_failure 1
	assert_output --partial 'skiff-monitor: vm web1: guest executed HLT'
}

@test "a device the manifest declares must be attached" {
	require_guest hostile_block
	run "$MONITOR" --mem=4 "$SKIFF_GUESTS/hostile_block.hvt" edge_ok
	assert_failure 1
	assert_output --partial "declared in the manifest but not attached"
}

@test "attaching a device the manifest does not declare is refused" {
	require_guest quiet
	run "$MONITOR" --mem=4 --block:disk=/dev/null "$SKIFF_GUESTS/quiet.hvt"
	assert_failure 1
	assert_output --partial "the image declares no block device 'disk'"
	run "$MONITOR" --mem=4 --net:service0=lo "$SKIFF_GUESTS/quiet.hvt"
	assert_failure 1
	assert_output --partial "the image declares no net device 'service0'"
}

@test "a disk whose size is not a multiple of the sector is refused" {
	require_guest hostile_block
	truncate -s 1000 "$BATS_TEST_TMPDIR/odd.img"
	run "$MONITOR" --mem=4 --block:disk="$BATS_TEST_TMPDIR/odd.img" \
		"$SKIFF_GUESTS/hostile_block.hvt" edge_ok
	assert_failure 1
	assert_output --partial 'size 1000 is not a non-zero multiple of the 512-byte sector'
	truncate -s 4096 "$BATS_TEST_TMPDIR/ok.img"
	run "$MONITOR" --mem=4 --block:disk="$BATS_TEST_TMPDIR/ok.img" \
		--block-sector-size:disk=8192 "$SKIFF_GUESTS/hostile_block.hvt" edge_ok
	assert_failure 1
	assert_output --partial 'not a non-zero multiple of the 8192-byte sector'
}

@test "a net device must be an existing tap that is up" {
	require_guest net
	run "$MONITOR" --mem=4 --net:service0=nosuchtap0 "$SKIFF_GUESTS/net.hvt"
	assert_failure 1
	assert_output --partial 'interface nosuchtap0: no such interface'
	run "$MONITOR" --mem=4 --net:service0=lo "$SKIFF_GUESTS/net.hvt"
	assert_failure 1
	assert_output --partial 'lo is not a tap interface'
}

@test "a too long guest command line is refused" {
	require_guest hello
	run "$MONITOR" --mem=4 "$SKIFF_GUESTS/hello.hvt" "$(head -c 8192 /dev/zero | tr '\0' x)"
	assert_failure 1
	assert_output --partial 'guest command line longer than 8191 bytes'
}

@test "the running monitor is sandboxed: seccomp filter and no new privileges" {
	start_counter
	run grep -E '^(Seccomp|NoNewPrivs):' "/proc/$MON_PID/status"
	assert_output --partial 'NoNewPrivs:	1'
	assert_output --partial 'Seccomp:	2'
}

@test "SIGTERM ends the guest with exit 1 and the reason in the status file" {
	start_counter --status-file="$BATS_TEST_TMPDIR/status"
	kill -TERM "$MON_PID"
	local rc=0
	wait "$MON_PID" || rc=$?
	assert_equal "$rc" 1
	MON_PID=
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial 'Exiting on signal 15'
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output '{"exit_status":1,"kind":"signal","reason":"Exiting on signal 15"}'
}

@test "SIGSTOP and SIGCONT leave the sandboxed monitor running" {
	start_counter
	kill -STOP "$MON_PID"
	sleep 1.5
	kill -CONT "$MON_PID"
	local before
	before=$(grep -c tick "$BATS_TEST_TMPDIR/out")
	wait_until 4 more_ticks "$BATS_TEST_TMPDIR/out" "$before" ||
		fail "no tick after SIGCONT: $(cat "$BATS_TEST_TMPDIR/out")"
	kill -0 "$MON_PID" || fail "monitor died: $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "the status file tells a trap and a monitor-stopped guest apart" {
	require_kvm
	require_guest fault
	require_guest hostile
	run_monitor --mem=4 --status-file="$BATS_TEST_TMPDIR/trap" \
		"$SKIFF_GUESTS/fault.hvt" null_read
	assert_equal "$status" 255
	run cat "$BATS_TEST_TMPDIR/trap"
	assert_output --regexp '^\{"exit_status":255,"kind":"trap","reason":"guest trap: rip=0x[0-9a-f]+ cr2=0x0 '
	run_monitor --mem=4 --status-file="$BATS_TEST_TMPDIR/err" \
		"$SKIFF_GUESTS/hostile.hvt" hlt
	assert_equal "$status" 1
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --regexp '^\{"exit_status":1,"kind":"error","reason":"guest executed HLT at rip 0x'
}

@test "the status file records a guest's own exit status" {
	require_kvm
	require_guest exit
	run_monitor --mem=4 --status-file="$BATS_TEST_TMPDIR/status" \
		"$SKIFF_GUESTS/exit.hvt" 42
	assert_equal "$status" 42
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output '{"exit_status":42,"kind":"halt","reason":"halted"}'
}

@test "control socket: info, counters, pause stops the guest, resume restarts it" {
	require_kvm
	require_guest counter
	local sock=$BATS_TEST_TMPDIR/ctl.sock out=$BATS_TEST_TMPDIR/out
	"$MONITOR" --mem=4 --name=c1 --control="$sock" \
		"$SKIFF_GUESTS/counter.hvt" >"$out" 2>&1 &
	MON_PID=$!
	wait_for_socket "$sock"
	run stat -c %a "$sock"
	assert_output 600
	wait_until 5 grep -q 'tick 2' "$out"
	run ctl "$sock" '{"jsonrpc":"2.0","id":1,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
	assert_output --partial '"name":"c1"'
	assert_output --regexp '"puts":[1-9]'
	assert_output --regexp '"console_bytes":[1-9]'

	run ctl "$sock" '{"jsonrpc":"2.0","id":2,"method":"monitor.pause"}'
	assert_output '{"jsonrpc":"2.0","id":2,"result":{"state":"paused"}}'
	run ctl "$sock" '{"jsonrpc":"2.0","id":3,"method":"monitor.pause"}'
	assert_output --partial '"code":-32001'
	local before after
	before=$(grep -c tick "$out")
	sleep 2.5
	after=$(grep -c tick "$out")
	assert_equal "$after" "$before"
	run ctl "$sock" '{"jsonrpc":"2.0","id":4,"method":"monitor.info"}'
	assert_output --partial '"state":"paused"'

	run ctl "$sock" '{"jsonrpc":"2.0","id":5,"method":"monitor.resume"}'
	assert_output '{"jsonrpc":"2.0","id":5,"result":{"state":"running"}}'
	wait_until 3 more_ticks "$out" "$after"
	run ctl "$sock" '{"jsonrpc":"2.0","id":6,"method":"monitor.resume"}'
	assert_output --partial 'not paused'
}

@test "control socket: bad input gets JSON-RPC errors, the guest runs on" {
	require_kvm
	require_guest counter
	local sock=$BATS_TEST_TMPDIR/ctl.sock
	"$MONITOR" --mem=4 --control="$sock" "$SKIFF_GUESTS/counter.hvt" \
		>/dev/null 2>&1 &
	MON_PID=$!
	wait_for_socket "$sock"
	run ctl "$sock" 'not json'
	assert_output --partial '"code":-32700'
	run ctl "$sock" '{"jsonrpc":"2.0","id":1,"method":"monitor.nope"}'
	assert_output --partial '"code":-32601'
	run ctl "$sock" '[{"jsonrpc":"2.0","id":1,"method":"monitor.info"}]'
	assert_output --partial '"code":-32600'
	run limit 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b"x" * 100000)
except OSError:
    pass
print(s.recv(4096).decode())' "$sock"
	assert_output --partial 'line too long'
	kill -0 "$MON_PID"
	run ctl "$sock" '{"jsonrpc":"2.0","id":9,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
}

# Every hostile case, under the ASan+UBSan build of the monitor: each one
# ends with exit 1 and a named violation, and no sanitizer finding.
@test "sanitizer build: hostile guests are refused with no ASan/UBSan finding" {
	require_kvm
	require_guest hostile
	local san=$SKIFF_TOP/build/san/bin/skiff-monitor c
	[ -x "$san" ] || fail "missing $san"
	for c in arg_end arg_high arg_outside halt_arg_outside hlt cookie_end \
		cookie_huge hypercall_0 in_byte in_long out_4ff out_509 \
		out_byte out_word puts_end puts_huge puts_wrap ring_kick \
		triple_fault walltime_end net_nodev block_nodev; do
		run limit 30 "$san" --mem=4 "$SKIFF_GUESTS/hostile.hvt" "$c"
		[ "$status" -eq 1 ] || fail "case $c: exit $status: $output"
		if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' <<<"$output"; then
			fail "case $c: sanitizer finding: $output"
		fi
		grep -qE 'invalid guest port access|invalid hypercall|invalid guest access|guest executed HLT|triple fault' <<<"$output" ||
			fail "case $c: no named violation: $output"
	done
}

@test "a guest that never exits is still paused, resumed and stopped" {
	require_kvm
	require_guest spin
	local sock=$BATS_TEST_TMPDIR/ctl.sock out=$BATS_TEST_TMPDIR/out
	"$MONITOR" --mem=4 --control="$sock" --status-file="$BATS_TEST_TMPDIR/status" \
		"$SKIFF_GUESTS/spin.hvt" >"$out" 2>&1 &
	MON_PID=$!
	wait_for_socket "$sock"
	wait_until 5 grep -q '^spin$' "$out"
	run ctl "$sock" '{"jsonrpc":"2.0","id":1,"method":"monitor.pause"}'
	assert_output '{"jsonrpc":"2.0","id":1,"result":{"state":"paused"}}'
	# Paused means off the CPU: the monitor's threads sleep.
	sleep 0.5
	run ps -o stat= -p "$MON_PID"
	assert_output --regexp '^S'
	run ctl "$sock" '{"jsonrpc":"2.0","id":2,"method":"monitor.resume"}'
	assert_output --partial '"state":"running"'
	kill -TERM "$MON_PID"
	local rc=0
	limit 10 tail --pid="$MON_PID" -f /dev/null || fail "SIGTERM did not stop a spinning guest"
	wait "$MON_PID" || rc=$?
	MON_PID=
	assert_equal "$rc" 1
	run cat "$BATS_TEST_TMPDIR/status"
	assert_output '{"exit_status":1,"kind":"signal","reason":"Exiting on signal 15"}'
}

@test "the status file stays valid JSON when the reason holds bytes that are not UTF-8" {
	run "$MONITOR" --status-file="$BATS_TEST_TMPDIR/status" $'/nonexistent/g\xff\x01.hvt'
	assert_failure 1
	# Strictly UTF-8 (jq alone would quietly repair a bad byte).
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' \
		"$BATS_TEST_TMPDIR/status"
	run jq -r '.kind + " " + .reason' "$BATS_TEST_TMPDIR/status"
	assert_success
	assert_output $'error /nonexistent/g\xef\xbf\xbd\x01.hvt: No such file or directory'
}
