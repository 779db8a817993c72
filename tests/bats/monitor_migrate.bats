#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Live migration at the monitors' level, without skiffd: a source
# skiff-monitor gets monitor.migrate with a connected TCP socket (as
# skiffd hands it over), a destination skiff-monitor takes the other end
# with --incoming=@FD --incoming-token=@FD. The counter guest prints
# "tick N" each second against its monotonic clock: on the destination it
# must go on from the source's last tick. skiffd's migration.prepare and
# vm.migrate, and two hosts in network namespaces, are in
# daemon_migrate.bats. The outcomes are the same on every backend.

load helpers
load migrate_helpers
bats_require_minimum_version 1.5.0

teardown() {
	local pid
	for pid in ${MON_PID:-} ${DST_PID:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

last_tick() {
	grep -o 'tick [0-9]*' "$1" | tail -n1 | cut -d' ' -f2
}

# start_source: counter.hvt with a control socket ($SRC_SOCK), console in
# $BATS_TEST_TMPDIR/src.out, log in src.err; returns once it has ticked twice.
start_source() {
	require_kvm
	require_guest counter
	SRC_SOCK=$BATS_TEST_TMPDIR/src.sock
	"$MONITOR" $(monitor_device_args) --mem=4 --name=c1 --control="$SRC_SOCK" \
		--status-file="$BATS_TEST_TMPDIR/src.status" \
		"$SKIFF_GUESTS/counter.hvt" >"$BATS_TEST_TMPDIR/src.out" \
		2>"$BATS_TEST_TMPDIR/src.err" &
	MON_PID=$!
	wait_until 10 grep -q 'tick 2' "$BATS_TEST_TMPDIR/src.out" ||
		fail "counter did not tick: $(cat "$BATS_TEST_TMPDIR/src.out" "$BATS_TEST_TMPDIR/src.err")"
}

# start_destination TOKEN: a destination monitor for the counter.
start_destination() {
	start_dst "$1" -- --mem=4 --name=c1 "$SKIFF_GUESTS/counter.hvt"
}

# migrate TOKEN [PARAMS]: monitor.migrate from the source to it.
migrate() {
	migrate_to "$SRC_SOCK" "$@"
}

@test "migrate: the counter goes on at the destination; the source exits as migrated" {
	local token src_last dst_first
	token=$(new_token)
	start_source
	start_destination "$token"
	# skiffd's log of the source held 1000 bytes before this monitor's
	migrate "$token" '"downtime_ms":5,"console_offset":1000'
	assert_success
	assert_output --regexp '"id":9,"result":\{"total_seconds":[0-9.e-]+,"downtime_ms":[0-9.e-]+,"rounds":[0-9]+,"bytes":[0-9]+,"pages":[0-9]+\}'
	# The source ends by itself, exit 0, status "migrated".
	wait_until 5 grep -q '"kind":"migrated"' "$BATS_TEST_TMPDIR/src.status"
	wait "$MON_PID" && MON_PID=
	src_last=$(last_tick "$BATS_TEST_TMPDIR/src.out")
	wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/dst.out" ||
		fail "destination did not tick: $(cat "$BATS_TEST_TMPDIR/dst.out")"
	dst_first=$(grep -m1 -o 'tick [0-9]*' "$BATS_TEST_TMPDIR/dst.out" | cut -d' ' -f2)
	[ "$dst_first" -eq $((src_last + 1)) ] ||
		fail "the source's last tick was $src_last, the destination's first $dst_first"
	run "$TOOLS/ctl-fd" "$BATS_TEST_TMPDIR/dst.sock" -1 '{"jsonrpc":"2.0","id":1,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
	# the destination's console starts after the source's last byte
	assert_output --partial "\"console_origin\":$((1000 + $(wc -c <"$BATS_TEST_TMPDIR/src.out")))"
	wait_until 5 grep -q "tick $((dst_first + 2))" "$BATS_TEST_TMPDIR/dst.out"
}

@test "migrate with a wrong token: the destination refuses it, the guest runs on at the source" {
	start_source
	start_destination "$(new_token)"
	migrate "$(new_token)"
	assert_output --partial '"code":-32005'
	assert_output --partial 'migration: no acknowledgement from the destination'
	wait_until 5 grep -q '"kind":"error"' "$BATS_TEST_TMPDIR/dst.status"
	grep -q 'incoming migration: migration stream: .*authentic' "$BATS_TEST_TMPDIR/dst.status" ||
		fail "$(cat "$BATS_TEST_TMPDIR/dst.status")"
	refute grep -q tick "$BATS_TEST_TMPDIR/dst.out"
	local n
	n=$(last_tick "$BATS_TEST_TMPDIR/src.out")
	wait_until 5 grep -q "tick $((n + 1))" "$BATS_TEST_TMPDIR/src.out"
	run "$TOOLS/ctl-fd" "$SRC_SOCK" -1 '{"jsonrpc":"2.0","id":1,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
	refute_output --partial '"migration"'
	# The same monitor migrates for real afterwards (its transfer
	# thread's second job: once killed by the sandbox, SIGSYS).
	local token
	token=$(new_token)
	wait "$DST_PID" || true
	start_destination "$token"
	migrate "$token"
	assert_success
	assert_output --partial '"result":{"total_seconds"'
	wait_until 5 grep -q '"kind":"migrated"' "$BATS_TEST_TMPDIR/src.status"
	wait_until 10 grep -q tick "$BATS_TEST_TMPDIR/dst.out"
}

@test "migrate: a destination that dies before the commit leaves the guest at the source" {
	local token
	token=$(new_token)
	start_source
	# A destination that never answers, then dies: before the commit.
	start_destination "$token"
	kill -STOP "$DST_PID"
	( sleep 3; kill -9 "$DST_PID" ) &
	migrate "$token" '"downtime_ms":5'
	assert_output --partial '"code":-32005'
	assert_output --partial 'migration: '
	local n
	n=$(last_tick "$BATS_TEST_TMPDIR/src.out")
	wait_until 5 grep -q "tick $((n + 1))" "$BATS_TEST_TMPDIR/src.out"
}

@test "monitor.migrate refuses bad parameters and a missing socket" {
	start_source
	run "$TOOLS/ctl-fd" "$SRC_SOCK" -1 '{"jsonrpc":"2.0","id":1,"method":"monitor.migrate","params":{"token":"00"}}'
	assert_output --partial 'no socket came with the request'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" 0 '{"jsonrpc":"2.0","id":2,"method":"monitor.migrate","params":{"token":"zz"}}' </dev/null
	assert_output --partial 'monitor.migrate: token: 64 hex digits'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" 0 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$(new_token)\",\"downtime_ms\":0}}" </dev/null
	assert_output --partial 'downtime_ms: a number of milliseconds'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" 0 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$(new_token)\",\"max_rounds\":0}}" </dev/null
	assert_output --partial 'max_rounds: an integer from 1 to 1000'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" 0 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$(new_token)\",\"console_offset\":-1}}" </dev/null
	assert_output --partial 'console_offset: the console log'
	run "$TOOLS/ctl-fd" "$SRC_SOCK" -1 '{"jsonrpc":"2.0","id":5,"method":"monitor.info"}'
	assert_output --partial '"state":"running"'
}
