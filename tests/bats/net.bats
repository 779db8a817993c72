#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# net.hvt over a tap: the guest answers ARP and ICMP echo, so `ping`
# works. Everything happens inside a network namespace of our own, with
# a tap in it; no traffic leaves the namespace.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_tap
	require_guest net
	netns_tap_setup skiff-t 213
	MON_PID=
}

teardown() {
	if [ -n "${MON_PID:-}" ]; then
		kill "$MON_PID" 2>/dev/null || true
		wait "$MON_PID" 2>/dev/null || true
	fi
	netns_teardown
}

# start_guest ARGS...: run net.hvt in the namespace, in the background,
# and wait until it has printed its first line (it has opened the tap).
start_guest() {
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	ip netns exec "$NS" timeout --kill-after="$(scaled 5)" "$(scaled 60)" \
		"$MONITOR" --mem=8 --net:service0=tap0 "$@" >"$OUT" 2>"$ERR" &
	MON_PID=$!
	wait_until 10 started_or_gone && [ -s "$OUT" ] && return 0
	echo "guest did not start; stderr: $(cat "$ERR")" >&2
	return 1
}

started_or_gone() {
	[ -s "$OUT" ] || ! kill -0 "$MON_PID" 2>/dev/null
}

# wait_guest: wait for the background monitor; its status in GUEST_STATUS.
wait_guest() {
	GUEST_STATUS=0
	wait "$MON_PID" || GUEST_STATUS=$?
	MON_PID=
}

@test "net: ping from the host gets echo replies; ARP gives the guest's MAC" {
	start_guest --net-mac:service0=02:00:5e:10:00:01 -- \
		"$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 4
	run ip netns exec "$NS" ping -c 3 -i 0.3 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	assert_output --partial "3 packets transmitted, 3 received"
	# While the guest runs, the host's neighbour entry is its ARP reply.
	run ip -n "$NS" neigh show "$GUEST_IP"
	assert_output --partial "lladdr 02:00:5e:10:00:01"
	# The fourth reply ends the guest with status 0.
	run ip netns exec "$NS" ping -c 1 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	wait_guest
	assert_equal "$GUEST_STATUS" 0
	run cat "$OUT"
	assert_output "net: mac=02:00:5e:10:00:01 mtu=1500 ip=$GUEST_IP
net: echo reply to $HOST_IP seq 1
net: echo reply to $HOST_IP seq 2
net: echo reply to $HOST_IP seq 3
net: echo reply to $HOST_IP seq 1"
}

@test "net: large echo payloads come back intact" {
	start_guest --net-mac:service0=02:00:5e:10:00:02 -- \
		"$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 2
	# 1400 bytes of payload, a pattern ping checks in each reply.
	run ip netns exec "$NS" ping -c 2 -i 0.3 -W "$(scaled 2)" -s 1400 -p 5a17 \
		"$GUEST_IP"
	assert_success
	assert_output --partial "2 packets transmitted, 2 received"
	refute_output --partial "wrong data"
	wait_guest
	assert_equal "$GUEST_STATUS" 0
}

@test "net: without --net-mac the MAC is unicast and locally administered" {
	local mac first
	start_guest -- "$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 1
	run ip netns exec "$NS" ping -c 1 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	wait_guest
	assert_equal "$GUEST_STATUS" 0
	mac=$(sed -nE 's/^net: mac=([0-9a-f:]{17}) .*/\1/p' "$OUT")
	[ -n "$mac" ]
	first=$((16#${mac%%:*}))
	# Bit 0: multicast (must be clear); bit 1: locally administered (set).
	[ $((first & 1)) -eq 0 ]
	[ $((first & 2)) -eq 2 ]
}

@test "net: the guest ignores what is not for it and keeps answering" {
	start_guest --net-mac:service0=02:00:5e:10:00:03 -- \
		"$SKIFF_GUESTS/net.hvt" "$GUEST_IP" 1
	# ARP requests for another address on the subnet: no answer.
	run ip netns exec "$NS" ping -c 1 -W 1 "$SUBNET.3"
	assert_failure
	run ip -n "$NS" neigh show "$SUBNET.3"
	refute_output --partial "lladdr"
	run ip netns exec "$NS" ping -c 1 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	wait_guest
	assert_equal "$GUEST_STATUS" 0
}

@test "net: a bad IP argument prints usage and exits 2" {
	run ip netns exec "$NS" timeout "$(scaled 30)" "$MONITOR" --mem=8 \
		--net:service0=tap0 "$SKIFF_GUESTS/net.hvt" 10.0.0.256
	assert_equal "$status" 2
	assert_output --partial "usage: net IP [COUNT]"
}
