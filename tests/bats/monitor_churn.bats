#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Live migration under load, at the monitors' level (as in
# monitor_migrate.bats, without skiffd): the churn guest rewrites pages
# of its working set at a set rate and verifies the whole set all the
# time, while it is migrated back and forth, each hop to a new
# destination monitor (accept-exec) with monitor.migrate (ctl-fd). It
# must end with exit 0 after its full last pass, never report a bad page
# or a clock going back, and its "churn N ok" lines must run on from one
# monitor's console to the next without a gap or a repeat.
#
# Run time: about 33 s on the nested PVM test hosts, where the churn
# lives 30 s; in the lab (SKIFF_TIME_FACTOR > 1) it lives 130 s, and the
# suite takes about 160 s (churn_seconds).

load helpers
bats_require_minimum_version 1.5.0

TOOLS=$SKIFF_TOP/build/tests/tools
HOPS=20
CHURN_MEM=16
CHURN_ARGS="12 8"

teardown() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

setup() {
	PIDS=()
}

new_token() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# counter_lines FILE...: how many "churn N ok" lines the files hold.
counter_lines() {
	cat "$@" | grep -c '^churn [0-9]* ok' || true
}

# more_lines N FILE...: the files hold more than N counter lines.
more_lines() {
	local n=$1
	shift
	[ "$(counter_lines "$@")" -gt "$n" ]
}

# churn_seconds: how long the churn lives, long enough for the hops:
# each takes about 1 s on a host (it waits for a counter line) and
# 2-3 s in the lab (50 s for all 20 on kvm_amd, measured 2026-12-03).
churn_seconds() {
	if [ "${SKIFF_TIME_FACTOR:-1}" -le 1 ]; then
		echo 30
	else
		echo $((30 + 5 * HOPS))
	fi
}

# start_churn SECONDS: the first monitor (hop 0), with a control socket
# ($BATS_TEST_TMPDIR/ctl.0) and its console in out.0; returns once the
# churn has printed its first counter line.
start_churn() {
	require_kvm
	require_guest churn
	local d=$BATS_TEST_TMPDIR
	"$MONITOR" $(monitor_device_args) --mem=$CHURN_MEM --name=churn \
		--control="$d/ctl.0" --status-file="$d/status.0" \
		"$SKIFF_GUESTS/churn.hvt" $CHURN_ARGS "$1" >"$d/out.0" 2>&1 &
	PIDS+=($!)
	wait_until 10 more_lines 0 "$d/out.0" ||
		fail "churn did not start: $(cat "$d/out.0")"
}

# hop N: migrate the guest from monitor N-1 to a new monitor N, which
# takes the connection through accept-exec; returns once monitor N-1
# has exited 0 as migrated. The answer is appended to $d/results.
hop() {
	local n=$1 d=$BATS_TEST_TMPDIR token port
	local src=$((n - 1))
	token=$(new_token)
	"$TOOLS/accept-exec" "$d/port.$n" 5 "$MONITOR" $(monitor_device_args) \
		--mem=$CHURN_MEM --name=churn --control="$d/ctl.$n" \
		--status-file="$d/status.$n" --incoming=@5 --incoming-token=@7 \
		"$SKIFF_GUESTS/churn.hvt" 7<<<"$token" >"$d/out.$n" 2>&1 &
	PIDS+=($!)
	wait_until 5 test -s "$d/port.$n"
	port=$(cat "$d/port.$n")
	run "$TOOLS/ctl-fd" "$d/ctl.$src" "tcp:$port" \
		"{\"jsonrpc\":\"2.0\",\"id\":$n,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$token\"}}"
	echo "$output" >>"$d/results"
	assert_output --regexp "\"id\":$n,\"result\":\\{\"total_seconds\""
	wait_until 5 grep -q '"exit_status":0,"kind":"migrated"' "$d/status.$src" ||
		fail "hop $n: source: $(cat "$d/status.$src" "$d/out.$src")"
	wait "${PIDS[$src]}" || fail "hop $n: the source exited $?"
}

# assert_consecutive FILE...: the counter lines across the files, in
# order, are 1, 2, 3, ...
assert_consecutive() {
	local want=1 n
	for n in $(cat "$@" | sed -n 's/^churn \([0-9]*\) ok.*/\1/p'); do
		[ "$n" -eq "$want" ] ||
			fail "counter line $n where $want was due: $(cat "$@")"
		want=$((want + 1))
	done
}

@test "churn: 12 MiB at 8 MiB/s migrated $HOPS times while it runs: no gap, no bad page, exit 0" {
	local d=$BATS_TEST_TMPDIR seconds i outs=()
	seconds=$(churn_seconds)
	start_churn "$seconds"
	outs+=("$d/out.0")
	for ((i = 1; i <= HOPS; i++)); do
		! grep -q '^churn: done' "$d/out.$((i - 1))" ||
			fail "the churn ended before hop $i: make churn_seconds longer"
		hop "$i"
		outs+=("$d/out.$i")
		# It runs on the destination: a new counter line appears there.
		wait_until 5 more_lines 0 "$d/out.$i" ||
			fail "hop $i: no counter line on the destination: $(cat "$d/out.$i")"
	done
	# The last destination ends the churn: a full pass, then exit 0.
	wait_until 40 test -s "$d/status.$HOPS" ||
		fail "the churn did not end: $(tail -n3 "$d/out.$HOPS")"
	wait "${PIDS[$HOPS]}" || fail "the last monitor exited $?: $(cat "$d/status.$HOPS")"
	grep -q '"exit_status":0,"kind":"halt"' "$d/status.$HOPS" ||
		fail "last monitor: $(cat "$d/status.$HOPS")"
	run cat "${outs[@]}"
	refute_output --partial CORRUPTION
	refute_output --partial backwards
	assert_output --regexp "churn: done: $seconds s, [0-9]+ pages written, [0-9]+ passes, all verified"
	assert_consecutive "${outs[@]}"
	# One line a second; fewer only if a pause outlasted a second (the
	# guest does not burst to catch up).
	local lines
	lines=$(counter_lines "${outs[@]}")
	[ "$lines" -gt "$HOPS" ] && [ "$lines" -le "$seconds" ] ||
		fail "$lines counter lines in $seconds s"
}

# set_generation FILE PAGE GEN: in a snapshot of the churn at rest (every
# page at generation 1), make page PAGE's first word say generation GEN:
# the page's bytes are found by its first word and the complement in its
# last (page << 32 | 1, little-endian), wherever the stream put them.
set_generation() {
	local f=$1 page=$2 off tail
	tail=feffffff$(printf %02x $((255 - page)))ffffff
	for off in $(LC_ALL=C grep -obUaP \
		"\\x01\\x00\\x00\\x00\\x$(printf %02x "$page")\\x00\\x00\\x00" "$f" |
		cut -d: -f1); do
		if [ "$(od -An -tx1 -j $((off + 4088)) -N8 "$f" | tr -d ' ')" = "$tail" ]; then
			printf "\\x$(printf %02x "$3")" |
				dd of="$f" bs=1 seek="$off" conv=notrunc status=none
			return 0
		fi
	done
	return 1
}

@test "churn finds a page that comes back stale: exit 3 with the page, expected and found" {
	local d=$BATS_TEST_TMPDIR
	require_kvm
	require_guest churn
	# At 0 MiB/s every page stays at generation 1 after the fill.
	"$MONITOR" $(monitor_device_args) --mem=$CHURN_MEM --name=churn \
		--control="$d/ctl.r" "$SKIFF_GUESTS/churn.hvt" 1 0 >"$d/out.r" 2>&1 &
	PIDS+=($!)
	wait_until 10 more_lines 0 "$d/out.r"
	run "$TOOLS/ctl-fd" "$d/ctl.r" 5 '{"jsonrpc":"2.0","id":1,"method":"monitor.snapshot"}' 5>"$d/snap"
	assert_output --partial '"result"'
	set_generation "$d/snap" 5 2 || fail "page 5 not found in the snapshot"
	run limit 10 "$MONITOR" $(monitor_device_args) --mem=$CHURN_MEM --incoming=@5 \
		"$SKIFF_GUESTS/churn.hvt" 5<"$d/snap"
	assert_failure 3
	assert_output --regexp 'churn: CORRUPTION: page 5 \(0x[0-9a-f]+\) word 0: expected 0x0000000500000001 \(generation 1\), found 0x0000000500000002'
}

@test "churn: usage errors exit 2" {
	require_kvm
	require_guest churn
	run_monitor --mem=4 "$SKIFF_GUESTS/churn.hvt" 1
	assert_failure 2
	assert_output --partial 'usage: churn MIB RATE_MIB_S [SECONDS]'
	run_monitor --mem=4 "$SKIFF_GUESTS/churn.hvt" 8 1
	assert_failure 2
	assert_output --partial 'churn: 8 MiB do not fit in'
	run_monitor --mem=4 "$SKIFF_GUESTS/churn.hvt" 1 x
	assert_failure 2
	assert_output --partial 'RATE_MIB_S'
	run_monitor --mem=4 "$SKIFF_GUESTS/churn.hvt" 1 1 0
	assert_failure 2
	assert_output --partial 'SECONDS'
}
