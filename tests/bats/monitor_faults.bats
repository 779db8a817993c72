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
# The churn guest rewrites its 12 MiB working set at 8 MiB/s and checks
# all of it continuously: pre-copy needs rounds, and a page that arrives
# wrong ends it with "churn: CORRUPTION".
GUEST=churn
MEM=16
GUEST_ARGS="12 8"

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

# last_tick FILE: the N of the last "churn N ok" line in FILE.
last_tick() {
	grep -o '^churn [0-9]* ok' "$1" | tail -n1 | cut -d' ' -f2
}

first_tick() {
	grep -m1 -o '^churn [0-9]* ok' "$1" | cut -d' ' -f2
}

# ticks_in_order FILE: the guest found all its memory as it left it (no
# CORRUPTION), and its once-a-second lines go up by one, no gap, no
# repeat: its state came through whole.
ticks_in_order() {
	if grep 'CORRUPTION' "$1"; then
		return 1
	fi
	grep -o '^churn [0-9]* ok' "$1" | cut -d' ' -f2 |
		awk 'NR > 1 && $1 != p + 1 { print "churn " p " then " $1; bad = 1 }
		     { p = $1 } END { exit bad }'
}

# printed FILE N: FILE has the guest's line N.
printed() {
	grep -q "^churn $2 ok" "$1"
}

start_source() {
	require_kvm
	require_guest "$GUEST"
	SRC_SOCK=$BATS_TEST_TMPDIR/src.sock
	# shellcheck disable=SC2046,SC2086 # zero or one word; two arguments
	"$MONITOR" $(monitor_device_args) --mem=$MEM --name=c1 --control="$SRC_SOCK" \
		--status-file="$BATS_TEST_TMPDIR/src.status" \
		"$SKIFF_GUESTS/$GUEST.hvt" $GUEST_ARGS >"$BATS_TEST_TMPDIR/src.out" 2>&1 &
	MON_PID=$!
	wait_until 10 printed "$BATS_TEST_TMPDIR/src.out" 2 ||
		fail "the guest did not tick: $(cat "$BATS_TEST_TMPDIR/src.out")"
}

# start_destination TOKEN: a monitor waiting for one connection on
# $DST_PORT; its output in dst.out, its status in dst.status.
start_destination() {
	local pf=$BATS_TEST_TMPDIR/port
	rm -f "$pf" "$BATS_TEST_TMPDIR/dst.sock"
	# shellcheck disable=SC2046 # zero or one word, never split
	"$TOOLS/accept-exec" "$pf" 5 "$MONITOR" $(monitor_device_args) --mem=$MEM --name=c1 \
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
	"$TOOLS/mig-proxy" --quiet="$(scaled_ms 300)" "$@" "$pf" "$DST_PORT" >"$BATS_TEST_TMPDIR/proxy.out" 2>&1 &
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
	echo "source console: $(grep -v "^churn [0-9]* ok" "$BATS_TEST_TMPDIR/src.out"; cat "$BATS_TEST_TMPDIR/src.status" 2>/dev/null)" >&2
}

# The source's answer when the commit went and no confirmation came: the
# destination's answer stream ended after its hello and ack (104 bytes).
UNKNOWN='"code":-32001,"message":"migration outcome unknown: no confirmation from the destination after the commit: migration stream: truncated: the input ended after 104 bytes, before the final record; the guest stays paused here: resume it only if the destination does not run it"'

# to_dst: the bytes the proxy had let through to the destination when
# it broke the connection.
to_dst() {
	sed -n 's/^mig-proxy: fault: \([0-9]*\) bytes to the destination.*/\1/p' \
		"$BATS_TEST_TMPDIR/proxy.out"
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
	refute grep -q '^churn' "$BATS_TEST_TMPDIR/dst.out"
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
	wait_until 5 printed "$BATS_TEST_TMPDIR/src.out" $((n + 2)) ||
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
	wait_until 10 grep -q '^churn' "$BATS_TEST_TMPDIR/dst.out" ||
		fail "the destination did not run it: $(cat "$BATS_TEST_TMPDIR/dst.out")"
	dst_first=$(first_tick "$BATS_TEST_TMPDIR/dst.out")
	[ "$dst_first" -eq $((src_last + 1)) ] ||
		fail "the source's last tick was $src_last, the destination's first $dst_first"
	run info "$BATS_TEST_TMPDIR/dst.sock"
	assert_output --partial '"state":"running"'
	wait_until 5 printed "$BATS_TEST_TMPDIR/dst.out" $((dst_first + 2))
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
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed "\"reason\":\"incoming migration: the connection ended after $(to_dst) bytes\""
	runs_at_source
}

# cut_in_round K: a cut while the source sends pre-copy round K (0: the
# full copy). A bandwidth cap makes each pass last seconds, and a budget
# only a round without dirty pages meets keeps the rounds going while the
# guest writes, so the test sees the round it wants.
cut_in_round() {
	PARAMS='"downtime_ms":0.001,"bandwidth_mib_s":3,"max_rounds":1000'
	fault_cell --at=signal --do=cut
	wait_until 30 src_phase precopy "$1" || fail "the source never reached round $1"
	kill -USR1 "$PROXY_PID"
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed "\"reason\":\"incoming migration: the connection ended after $(to_dst) bytes\""
	runs_at_source
}

# The matrix's baseline: capped rounds as in the cells below, through the
# proxy, with no fault; a round limit ends them (the guest never lets a
# round be empty). Every page the guest wrote must arrive.
@test "no fault, rounds under a bandwidth cap: the guest runs at the destination, intact" {
	PARAMS='"downtime_ms":0.001,"bandwidth_mib_s":3,"max_rounds":4'
	fault_cell --at=signal
	migrate_end
	assert_output --regexp '"id":9,"result":\{"total_seconds":[0-9.e-]+,"downtime_ms":[0-9.e-]+,"rounds":[0-9]+,"bytes":[0-9]+,"pages":[0-9]+\}'
	runs_at_destination
}

@test "cut in the full copy: the guest runs on at the source" {
	cut_in_round 0
}

@test "cut in pre-copy round 2: the guest runs on at the source" {
	cut_in_round 2
}

@test "cut during the final state: the guest runs on at the source" {
	fault_cell --at=final --do=cut
	wait_until 30 src_phase final
	kill -USR1 "$PROXY_PID"
	migrate_end
	assert_output --partial '"code":-32005,"message":"migration: no acknowledgement from the destination: the connection ended after 0 bytes"'
	dst_failed "\"reason\":\"incoming migration: the connection ended after $(to_dst) bytes\""
	runs_at_source
}

@test "cut before the ack: the destination drops the state, the source resumes" {
	fault_cell --at=ack --do=cut
	migrate_end
	assert_output --partial '"code":-32005,"message":"migration: no acknowledgement from the destination: the connection ended after 0 bytes"'
	dst_failed "\"reason\":\"incoming migration: the source did not commit (migration stream: truncated: the input ended after $(to_dst) bytes, before the final record): the guest stays there\""
	runs_at_source
}

@test "cut after the ack, before the commit: the source holds the guest, the destination drops it" {
	fault_cell --at=commit --do=cut
	migrate_end
	assert_output --partial "$UNKNOWN"
	dst_failed "\"reason\":\"incoming migration: the source did not commit (migration stream: truncated: the input ended after $(to_dst) bytes, before the final record): the guest stays there\""
	resume_at_source
}

@test "cut after the commit: the destination runs the guest, the source holds it paused" {
	fault_cell --at=confirm --do=cut
	migrate_end
	assert_output --partial "$UNKNOWN"
	runs_at_destination paused
}

@test "destination killed before the ack: the guest runs on at the source" {
	# Half the final state reaches the destination, then nothing more.
	fault_cell --at=final --do=stall
	wait_until 30 src_phase final
	kill -USR1 "$PROXY_PID"
	wait_until 10 grep -q fault "$BATS_TEST_TMPDIR/proxy.out"
	kill -9 "$DST_PID"
	kill "$PROXY_PID"
	migrate_end
	assert_output --partial '"code":-32005,"message":"migration: no acknowledgement from the destination: the connection ended after 0 bytes"'
	dst_killed
	runs_at_source
}

@test "destination killed after the ack: the source holds the guest, then resumes it" {
	fault_cell --at=commit --do=stall
	wait_until 20 grep -q fault "$BATS_TEST_TMPDIR/proxy.out"
	kill -9 "$DST_PID"
	kill "$PROXY_PID"
	migrate_end
	assert_output --partial "$UNKNOWN"
	dst_killed
	resume_at_source
}

@test "destination killed after the commit: the source held the guest and resumes it" {
	fault_cell --at=confirm --do=stall
	wait_until 20 grep -q fault "$BATS_TEST_TMPDIR/proxy.out"
	wait_until 10 grep -q '^churn' "$BATS_TEST_TMPDIR/dst.out"
	kill -9 "$DST_PID"
	kill "$PROXY_PID"
	migrate_end
	assert_output --partial "$UNKNOWN"
	dst_killed
	resume_at_source
}

@test "wrong token: the destination refuses the stream, the guest runs on at the source" {
	start_source
	start_destination "$(new_token)"
	start_proxy --at=signal
	migrate_start "$PROXY_PORT" "$(new_token)"
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed "\"reason\":\"incoming migration: migration stream: record: authentication failed (a wrong token, or the stream was altered)\""
	runs_at_source
}

# An offset inside the first record's pages: past the hello (56), the
# record header and the config section.
@test "a corrupted page byte: the destination refuses the stream, the guest runs on at the source" {
	fault_cell --at=src:9000 --do=flip
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed "\"reason\":\"incoming migration: migration stream: record: authentication failed (a wrong token, or the stream was altered)\""
	runs_at_source
}

@test "a stream truncated by a FIN: the destination says so in its ack, the guest runs on at the source" {
	fault_cell --at=final --do=fin
	wait_until 30 src_phase final
	kill -USR1 "$PROXY_PID"
	migrate_end
	assert_output --partial "\"code\":-32005,\"message\":\"migration: the destination refused the VM: incoming migration: the connection ended after $(to_dst) bytes\""
	dst_failed "\"reason\":\"incoming migration: the connection ended after $(to_dst) bytes\""
	runs_at_source
}

@test "a stream truncated by a reset: the guest runs on at the source" {
	fault_cell --at=final --do=rst
	wait_until 30 src_phase final
	kill -USR1 "$PROXY_PID"
	migrate_end
	assert_output --partial '"code":-32005,"message":"migration: no acknowledgement from the destination: the connection ended after 0 bytes"'
	dst_failed "\"reason\":\"incoming migration: read after $(to_dst) bytes: Connection reset by peer\""
	runs_at_source
}

# A stalled link closes nothing: each side's own deadline ends it (the
# source waits 30 s for the ack, the destination 60 s for more).
@test "the link stalls before the ack: both sides time out, the guest runs on at the source" {
	fault_cell --at=ack --do=stall
	migrate_end
	assert_output --partial '"code":-32005,"message":"migration: no acknowledgement from the destination: nothing came for 30 s after 0 bytes"'
	runs_at_source
	dst_failed "\"reason\":\"incoming migration: the source did not commit (nothing came for 60 s after $(to_dst) bytes): the guest stays there\""
}

@test "the link stalls in pre-copy: the source gives up in time, the guest runs on at the source" {
	PARAMS='"bandwidth_mib_s":3'
	fault_cell --at=signal --do=stall
	wait_until 30 src_phase precopy 0
	kill -USR1 "$PROXY_PID"
	wait_until 90 test -s "$BATS_TEST_TMPDIR/answer" ||
		fail "monitor.migrate did not answer within 90 s of a stalled link"
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: Connection timed out"'
	runs_at_source
	dst_failed "\"reason\":\"incoming migration: nothing came for 60 s after $(to_dst) bytes\""
}

# restore_refused TEXT FILE: a restore from FILE exits 1 with TEXT.
restore_refused() {
	run_monitor --mem=$MEM --name=c2 --incoming=@5 "$SKIFF_GUESTS/$GUEST.hvt" 5<"$2"
	assert_failure 1
	assert_output --partial "$1"
	refute_output --partial churn
}

@test "a truncated or corrupted snapshot file: restore refuses it, the guest runs on where it was" {
	local snap=$BATS_TEST_TMPDIR/snap bad=$BATS_TEST_TMPDIR/bad size
	start_source
	run "$TOOLS/ctl-fd" "$SRC_SOCK" 5 '{"jsonrpc":"2.0","id":7,"method":"monitor.snapshot"}' 5>"$snap"
	assert_success
	assert_output --partial '"result":{"bytes"'
	size=$(stat -c %s "$snap")
	head -c 56 "$snap" >"$bad"
	restore_refused "restore: migration stream: truncated: the input ended after 56 bytes, before the final record" "$bad"
	head -c $((size / 2)) "$snap" >"$bad"
	restore_refused "restore: migration stream: truncated: the input ended after $((size / 2)) bytes, before the final record" "$bad"
	head -c $((size - 1)) "$snap" >"$bad"
	restore_refused "restore: migration stream: truncated: the input ended after $((size - 1)) bytes" "$bad"
	# The first section's type (after the hello and the record header).
	cp "$snap" "$bad"
	printf '\xff' | dd of="$bad" bs=1 seek=60 conv=notrunc status=none
	restore_refused "restore: migration stream: section type 0x" "$bad"
	runs_at_source
}

@test "a second migration after a failed one: the same source monitor migrates for real" {
	fault_cell --at=src:0 --do=cut
	migrate_end
	assert_output --regexp '"code":-32005,"message":"migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)"'
	dst_failed '"reason":"incoming migration: the connection ended after 0 bytes"'
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=
	TOKEN=$(new_token)
	start_destination "$TOKEN"
	migrate_start "$DST_PORT" "$TOKEN" '"downtime_ms":5'
	migrate_end
	assert_output --regexp '"id":9,"result":\{"total_seconds":[0-9.e-]+,"downtime_ms":[0-9.e-]+,"rounds":[0-9]+,"bytes":[0-9]+,"pages":[0-9]+\}'
	runs_at_destination
}

@test "a reset before the destination is set up: both sides say what happened" {
	fault_cell --at=src:0 --do=rst
	migrate_end
	assert_output --regexp '"code":-32005,"message":"(migration stream: write failed after [0-9]+ bytes: (Broken pipe|Connection reset by peer)|migration: no acknowledgement from the destination: .*)"'
	dst_failed '"reason":"incoming migration: '
	grep -Eq '"reason":"incoming migration: (read after 0 bytes: Connection reset by peer|cannot answer the source: migration stream: write failed after 0 bytes: (Broken pipe|Connection reset by peer))"' \
		"$BATS_TEST_TMPDIR/dst.status"
	runs_at_source
}
