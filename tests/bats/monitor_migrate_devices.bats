#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Live migration of guests with devices, between two monitors (no
# skiffd; see migrate_helpers.bash). Block: the destination opens the
# same file (shared storage); the guest's log goes on and reads back what
# it wrote on the source. Net: source and destination taps on one bridge,
# as two hosts on one LAN; ping goes on answering after the move, from
# the same MAC, because the destination announces the MAC on its tap.
# The outcomes are the same on every backend.

load helpers
load migrate_helpers
bats_require_minimum_version 1.5.0

teardown() {
	local pid
	for pid in ${SRC_PID:-} ${DST_PID:-} ${PING_PID:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	netns_teardown
}

last_entry() {
	grep -o 'blocklog [0-9]* ok' "$1" | tail -n1 | cut -d' ' -f2
}

@test "block: the log goes on at the destination over shared storage" {
	require_kvm
	require_guest blocklog
	local disk=$BATS_TEST_TMPDIR/disk token n m
	head -c 65536 /dev/zero >"$disk"
	"$MONITOR" $(monitor_device_args) --mem=4 --block:disk="$disk" \
		--control="$BATS_TEST_TMPDIR/src.sock" \
		--status-file="$BATS_TEST_TMPDIR/src.status" \
		"$SKIFF_GUESTS/blocklog.hvt" >"$BATS_TEST_TMPDIR/src.out" 2>&1 &
	SRC_PID=$!
	wait_until 10 grep -q 'blocklog 2 ok' "$BATS_TEST_TMPDIR/src.out" ||
		fail "$(cat "$BATS_TEST_TMPDIR/src.out")"
	token=$(new_token)
	start_dst "$token" -- --mem=4 --block:disk="$disk" "$SKIFF_GUESTS/blocklog.hvt"
	migrate_to "$BATS_TEST_TMPDIR/src.sock" "$token"
	assert_success
	assert_output --partial '"result":{"total_seconds"'
	wait "$SRC_PID" && SRC_PID=
	n=$(last_entry "$BATS_TEST_TMPDIR/src.out")
	# Entry n+1 checks entry n, written on the source, from the disk.
	wait_until 10 grep -q "blocklog $((n + 2)) ok" "$BATS_TEST_TMPDIR/dst.out" ||
		fail "source ended at $n; destination: $(cat "$BATS_TEST_TMPDIR/dst.out")"
	m=$(grep -m1 -o 'blocklog [0-9]* ok' "$BATS_TEST_TMPDIR/dst.out" | cut -d' ' -f2)
	[ "$m" -eq $((n + 1)) ] || fail "source's last entry $n, destination's first $m"
	refute grep -q 'does not hold\|failed' "$BATS_TEST_TMPDIR/dst.out"
	# And the file holds the entries, as the guest wrote them.
	run dd if="$disk" bs=512 skip=$((n + 1)) count=1 status=none
	assert_output --partial "L$(printf '%014d' $((n + 1)))"
}

# A LAN in a namespace: bridge br0 at $HOST_IP with two taps, one per
# "host".
lan_setup() {
	NS=skiff-mg$$-${BATS_TEST_NUMBER}
	SUBNET=10.215.$(( ($$ + BATS_TEST_NUMBER) % 250 + 1 ))
	HOST_IP=$SUBNET.1
	GUEST_IP=$SUBNET.2
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" addr add "$HOST_IP/24" dev br0
	local t
	for t in tapa tapb; do
		ip -n "$NS" tuntap add "$t" mode tap
		ip -n "$NS" link set "$t" master br0
		ip -n "$NS" link set "$t" up
	done
	ip -n "$NS" link set br0 up
}

guest_mac() {
	ip -n "$NS" neigh show "$GUEST_IP" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2
}

@test "net: ping answers after the move, from the same MAC; the bridge learned the new port" {
	require_tap
	require_guest net
	lan_setup
	local token mac
	# 600 echo replies, then the guest exits 0; a random MAC (no --net-mac).
	ip netns exec "$NS" "$MONITOR" $(monitor_device_args) --mem=8 --net:service0=tapa \
		--control="$BATS_TEST_TMPDIR/src.sock" \
		"$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 600 >"$BATS_TEST_TMPDIR/src.out" 2>&1 &
	SRC_PID=$!
	wait_until 10 test -s "$BATS_TEST_TMPDIR/src.out"
	run ip netns exec "$NS" ping -c 2 -i 0.3 -W "$(scaled 2)" "$GUEST_IP"
	assert_output --partial "2 received"
	mac=$(guest_mac)
	[ -n "$mac" ]
	token=$(new_token)
	start_dst "$token" ip netns exec "$NS" -- --mem=8 --net:service0=tapb \
		"$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 600
	run ip netns exec "$NS" "$TOOLS/ctl-fd" "$BATS_TEST_TMPDIR/src.sock" \
		"tcp:$DST_PORT" \
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$token\"}}"
	assert_output --partial '"result":{"total_seconds"'
	wait "$SRC_PID" && SRC_PID=
	# tapa still exists (a persistent tap): without the announcement
	# the bridge would send the guest's frames there for minutes.
	run ip netns exec "$NS" ping -c 3 -i 0.3 -W "$(scaled 2)" "$GUEST_IP"
	assert_output --partial "3 received"
	[ "$(guest_mac)" = "$mac" ] || fail "MAC was $mac, is $(guest_mac)"
	run bridge -n "$NS" fdb show br br0
	assert_output --regexp "$mac dev tapb"
}
