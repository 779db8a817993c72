#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The migration fault matrix at the monitors' level: a source and a
# destination skiff-monitor (as in monitor_migrate.bats) with mig-proxy
# between them, which breaks the connection at a point it finds in the
# stream's framing or when the test, watching the source's monitor.info,
# tells it to. In every cell the guest ends up running on exactly one
# host with its memory intact, and each side's error says what happened.
# The cells and their outcomes are the "Failure cells" table in
# docs/migration.md.

load helpers
bats_require_minimum_version 1.5.0

TOOLS=$SKIFF_TOP/build/tests/tools
GUEST=counter

teardown() {
	local pid
	for pid in ${MON_PID:-} ${DST_PID:-} ${PROXY_PID:-} ${MIG_PID:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

new_token() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

last_tick() {
	grep -o 'tick [0-9]*' "$1" | tail -n1 | cut -d' ' -f2
}

# ticks_in_order FILE: the ticks in FILE go up by one, no gap, no repeat:
# the counter's state (memory and registers) came through whole.
ticks_in_order() {
	grep -o 'tick [0-9]*' "$1" | cut -d' ' -f2 |
		awk 'NR > 1 && $1 != p + 1 { print "tick " p " then " $1; bad = 1 }
		     { p = $1 } END { exit bad }'
}

start_source() {
	require_kvm
	require_guest "$GUEST"
	SRC_SOCK=$BATS_TEST_TMPDIR/src.sock
	"$MONITOR" $(monitor_device_args) --mem=4 --name=c1 --control="$SRC_SOCK" \
		--status-file="$BATS_TEST_TMPDIR/src.status" \
		"$SKIFF_GUESTS/$GUEST.hvt" >"$BATS_TEST_TMPDIR/src.out" 2>&1 &
	MON_PID=$!
	wait_until 10 grep -q 'tick 2' "$BATS_TEST_TMPDIR/src.out" ||
		fail "the guest did not tick: $(cat "$BATS_TEST_TMPDIR/src.out")"
}

# start_destination TOKEN: a monitor waiting for one connection on
# $DST_PORT; its output in dst.out, its status in dst.status.
start_destination() {
	local pf=$BATS_TEST_TMPDIR/port
	rm -f "$pf" "$BATS_TEST_TMPDIR/dst.sock"
	"$TOOLS/accept-exec" "$pf" 5 "$MONITOR" $(monitor_device_args) --mem=4 --name=c1 \
		--control="$BATS_TEST_TMPDIR/dst.sock" \
		--status-file="$BATS_TEST_TMPDIR/dst.status" \
		--incoming=@5 --incoming-token=@7 "$SKIFF_GUESTS/$GUEST.hvt" \
		7<<<"$1" >"$BATS_TEST_TMPDIR/dst.out" 2>&1 &
	DST_PID=$!
	wait_until 5 test -s "$pf"
	DST_PORT=$(cat "$pf")
}

# start_proxy ARGS...: mig-proxy ARGS in front of the destination, on
# $PROXY_PORT; what it forwarded ends up in proxy.out.
start_proxy() {
	local pf=$BATS_TEST_TMPDIR/pport
	rm -f "$pf"
	"$TOOLS/mig-proxy" "$@" "$pf" "$DST_PORT" >"$BATS_TEST_TMPDIR/proxy.out" 2>&1 &
	PROXY_PID=$!
	wait_until 5 test -s "$pf"
	PROXY_PORT=$(cat "$pf")
}

# migrate_start PORT TOKEN [PARAMS]: monitor.migrate to 127.0.0.1:PORT,
# in the background; migrate_end waits for its answer, into $output.
migrate_start() {
	"$TOOLS/ctl-fd" "$SRC_SOCK" "tcp:$1" \
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$2\"${3:+,$3}}}" \
		>"$BATS_TEST_TMPDIR/answer" 2>&1 &
	MIG_PID=$!
}

migrate_end() {
	wait "$MIG_PID" || true
	MIG_PID=
	output=$(cat "$BATS_TEST_TMPDIR/answer")
	echo "source: $output" >&2
	echo "destination: $(cat "$BATS_TEST_TMPDIR/dst.out" \
		"$BATS_TEST_TMPDIR/dst.status" 2>/dev/null | tr -d '\0')" >&2
	echo "proxy: $(cat "$BATS_TEST_TMPDIR/proxy.out" 2>/dev/null)" >&2
}

info() {
	"$TOOLS/ctl-fd" "$1" -1 '{"jsonrpc":"2.0","id":1,"method":"monitor.info"}'
}

# src_phase PHASE [ROUND]: the source's migration is in PHASE (and at
# least in pre-copy round ROUND; round 0 is the full copy).
src_phase() {
	local r
	r=$(info "$SRC_SOCK" | grep -o "\"phase\":\"$1\",\"round\":[0-9]*") ||
		return 1
	[ "${r##*:}" -ge "${2:-0}" ]
}

# dst_failed TEXT: the destination exited 1 without running the guest,
# kind "error", its reason TEXT.
dst_failed() {
	local rc=0
	wait "$DST_PID" || rc=$?
	DST_PID=
	[ "$rc" -eq 1 ] || fail "the destination exited $rc: $(cat "$BATS_TEST_TMPDIR/dst.out")"
	grep -q '"kind":"error"' "$BATS_TEST_TMPDIR/dst.status" ||
		fail "destination status: $(cat "$BATS_TEST_TMPDIR/dst.status")"
	grep -qF -- "$1" "$BATS_TEST_TMPDIR/dst.status" ||
		fail "destination status: $(cat "$BATS_TEST_TMPDIR/dst.status"), expected: $1"
	refute grep -q tick "$BATS_TEST_TMPDIR/dst.out"
}

# dst_killed: the destination died of SIGKILL (it wrote no status).
dst_killed() {
	local rc=0
	wait "$DST_PID" || rc=$?
	DST_PID=
	[ "$rc" -eq 137 ] || fail "the destination exited $rc"
	[ ! -s "$BATS_TEST_TMPDIR/dst.status" ]
}

# runs_at_source: the source runs the guest on, with every tick in order.
runs_at_source() {
	local n
	run info "$SRC_SOCK"
	assert_output --partial '"state":"running"'
	refute_output --partial '"migration"'
	n=$(last_tick "$BATS_TEST_TMPDIR/src.out")
	wait_until 5 grep -q "tick $((n + 2))" "$BATS_TEST_TMPDIR/src.out" ||
		fail "the source stopped at tick $n"
	ticks_in_order "$BATS_TEST_TMPDIR/src.out"
}

# resume_at_source: after -32001 with the destination gone, the guest
# held paused at the source is resumed there and goes on.
resume_at_source() {
	run info "$SRC_SOCK"
	assert_output --partial '"state":"paused"'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" -1 '{"jsonrpc":"2.0","id":2,"method":"monitor.resume"}'
	assert_output --partial '"result":{"state":"running"}'
	runs_at_source
}

# runs_at_destination: the destination goes on from the source's last
# tick; the source is gone (migrated) or, with $1 = paused, held paused.
runs_at_destination() {
	local src_last dst_first
	if [ "${1:-}" = paused ]; then
		run info "$SRC_SOCK"
		assert_output --partial '"state":"paused"'
	else
		wait_until 5 grep -q '"kind":"migrated"' "$BATS_TEST_TMPDIR/src.status"
		wait "$MON_PID" && MON_PID=
	fi
	src_last=$(last_tick "$BATS_TEST_TMPDIR/src.out")
	wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/dst.out" ||
		fail "the destination did not tick: $(cat "$BATS_TEST_TMPDIR/dst.out")"
	dst_first=$(grep -m1 -o 'tick [0-9]*' "$BATS_TEST_TMPDIR/dst.out" | cut -d' ' -f2)
	[ "$dst_first" -eq $((src_last + 1)) ] ||
		fail "the source's last tick was $src_last, the destination's first $dst_first"
	run info "$BATS_TEST_TMPDIR/dst.sock"
	assert_output --partial '"state":"running"'
	wait_until 5 grep -q "tick $((dst_first + 2))" "$BATS_TEST_TMPDIR/dst.out"
	ticks_in_order "$BATS_TEST_TMPDIR/dst.out"
	# Never both: the source printed nothing more.
	[ "$(last_tick "$BATS_TEST_TMPDIR/src.out")" -eq "$src_last" ]
}

# fault_cell PROXY-ARGS...: source, destination and proxy up, the
# migration started through the proxy (with $PARAMS).
fault_cell() {
	TOKEN=$(new_token)
	start_source
	start_destination "$TOKEN"
	start_proxy "$@"
	migrate_start "$PROXY_PORT" "$TOKEN" "${PARAMS:-}"
}

@test "cut before the header: the guest runs on at the source" {
	fault_cell --at=src:0 --do=cut
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration: migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed '"reason":"incoming migration: the connection ended"'
	runs_at_source
}
