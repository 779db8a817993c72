#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# A tap through the daemon: skiffd runs in a network namespace of our
# own with a tap in it; `skiffctl run --net` attaches net.hvt, which
# answers ping. No traffic leaves the namespace.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_tap
	require_guest net
	NS=skiff-d$$-${BATS_TEST_NUMBER}
	SUBNET=10.214.$(( ($$ + BATS_TEST_NUMBER) % 250 + 1 ))
	HOST_IP=$SUBNET.1
	GUEST_IP=$SUBNET.2
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add tap0 mode tap
	ip -n "$NS" addr add "$HOST_IP/24" dev tap0
	ip -n "$NS" link set tap0 up
	SKIFFD_PREFIX=(ip netns exec "$NS")
	start_skiffd
}

teardown() {
	teardown_skiffd
	if [ -n "${NS:-}" ]; then
		ip netns delete "$NS" 2>/dev/null || true
	fi
}

@test "run --net attaches a tap: the guest answers ping, counters see the bytes" {
	run ctl run --name n1 --mem 8 --net service0=tap0,mac=02:00:5e:10:00:09 \
		"$(guest net)" "$GUEST_IP" 3
	assert_success
	wait_state n1 running
	run ip netns exec "$NS" ping -c 2 -i 0.3 -W 2 "$GUEST_IP"
	assert_success
	assert_output --partial "2 packets transmitted, 2 received"
	run vm_field n1 counters.net_rx_bytes
	[ "$output" -gt 0 ] || fail "net_rx_bytes is $output"
	run vm_field n1 'net[0].mac'
	assert_output 02:00:5e:10:00:09
	# The third reply ends the guest with status 0.
	run ip netns exec "$NS" ping -c 1 -W 2 "$GUEST_IP"
	assert_success
	wait_state n1 stopped
	run vm_field n1 exit.status
	assert_output 0
	run ctl logs n1
	assert_line "net: mac=02:00:5e:10:00:09 mtu=1500 ip=$GUEST_IP"
}
