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
	netns_tap_setup skiff-d 214
	SKIFFD_PREFIX=(ip netns exec "$NS")
	start_skiffd
}

rx_bytes_seen() {
	[ "$(vm_field "$1" counters.net_rx_bytes)" -gt 0 ]
}

teardown() {
	teardown_skiffd
	netns_teardown
}

@test "run --net attaches a tap: the guest answers ping, counters see the bytes" {
	run ctl run --name n1 --mem 8 --net service0=tap0,mac=02:00:5e:10:00:09 \
		"$(guest net)" "$GUEST_IP" 3
	assert_success
	wait_state n1 running
	run ip netns exec "$NS" ping -c 2 -i 0.3 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	assert_output --partial "2 packets transmitted, 2 received"
	# vm.info's counters may be up to a second old: give them three.
	wait_until 3 rx_bytes_seen n1 ||
		fail "net_rx_bytes is $(vm_field n1 counters.net_rx_bytes)"
	run vm_field n1 'net[0].mac'
	assert_output 02:00:5e:10:00:09
	# The third reply ends the guest with status 0.
	run ip netns exec "$NS" ping -c 1 -W "$(scaled 2)" "$GUEST_IP"
	assert_success
	wait_state n1 stopped
	run vm_field n1 exit.status
	assert_output 0
	run ctl logs n1
	assert_line "net: mac=02:00:5e:10:00:09 mtu=1500 ip=$GUEST_IP"
}
