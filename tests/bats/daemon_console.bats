#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Console logs: the size cap, logical offsets across rotation, and the
# guest's bytes arriving intact when they fit.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_kvm
	skiffd_paths
	echo "console_max_bytes = 65536" >"$CONF"
	start_skiffd
}

teardown() {
	teardown_skiffd
}

@test "a guest printing 1 MiB: the log stays under the cap, offsets stay logical" {
	require_guest bigout
	run ctl run --attach --name big "$(guest bigout)"
	assert_success
	live=$(stat -c %s "$STATE/vms/big/console.log")
	old=$(stat -c %s "$STATE/vms/big/console.log.1")
	[ "$live" -le 65536 ] || fail "console.log is $live bytes"
	[ "$old" -le 65536 ] || fail "console.log.1 is $old bytes"
	run bash -c "\"$SKIFFCTL\" --socket $SOCK --json info big | jq .console_end"
	[ "$output" -gt 1000000 ] || fail "console_end is $output"
	end=$output
	# From 0: the kept part only, said so.
	run bash -c "\"$SKIFFCTL\" --socket $SOCK --json logs big >/dev/null; \
		echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.console\",\"params\":{\"name\":\"big\",\"offset\":0,\"max_bytes\":100}}' | \
		\"$RPC_PIPE\" $SOCK"
	assert_equal "$(jq .result.truncated <<<"$output")" true
	first=$(jq .result.offset <<<"$output")
	[ "$first" -gt 0 ] && [ "$first" -lt "$end" ]
	# The end of the log is the guest's last line.
	run bash -c "\"$SKIFFCTL\" --socket $SOCK logs big | tail -n 1"
	assert_output --partial "16384"
	# Rotation loses nothing: what is kept is one contiguous tail of what
	# the guest wrote (the guest is paused around each rotation).
	"$SKIFF_BIN/skiff-monitor" --mem=8 "$(guest bigout)" >"$BATS_TEST_TMPDIR/direct"
	cat "$STATE/vms/big/console.log.1" "$STATE/vms/big/console.log" \
		>"$BATS_TEST_TMPDIR/kept"
	local kept
	kept=$(stat -c %s "$BATS_TEST_TMPDIR/kept")
	[ "$end" -eq "$(stat -c %s "$BATS_TEST_TMPDIR/direct")" ] ||
		fail "console_end $end is not the guest's byte count"
	tail -c "$kept" "$BATS_TEST_TMPDIR/direct" | cmp - "$BATS_TEST_TMPDIR/kept"
}

@test "small output arrives byte for byte through vm.console and logs" {
	require_guest hello
	run ctl run --attach --name h "$(guest hello)" a "b c"
	assert_success
	attached=$output
	run ctl logs h
	assert_equal "$output" "$attached"
	run bash -c "\"$SKIFFCTL\" --socket $SOCK --json info h | jq -r .console_end"
	assert_equal "$output" "$(stat -c %s "$STATE/vms/h/console.log")"
}
