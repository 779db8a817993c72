#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# scripts/demo-daemon (the main job of issue 3) runs to the end and
# leaves no daemon, monitor or temp dir behind.

bats_require_minimum_version 1.5.0
load helpers

@test "demo-daemon: run --attach, ls, info, clean stop" {
	require_kvm
	require_guest hello
	require_guest counter
	before=$(ls -d /tmp/skiff-demo.* 2>/dev/null | wc -l)
	run limit 60 "$SKIFF_TOP/scripts/demo-daemon"
	assert_success
	assert_output --partial "Hello, world!"
	assert_output --partial "(exit status 0: the guest's own)"
	assert_line --regexp '^ticker +running +[0-9]+ +16 '
	assert_output --partial "hypercall puts"
	assert_output --partial "ticker: stopped (exit status 1, Exiting on signal 15)"
	assert_output --partial "0 running guests keep running"
	after=$(ls -d /tmp/skiff-demo.* 2>/dev/null | wc -l)
	assert_equal "$after" "$before"
}
