#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# skiffd with skiff.ko's /dev/skiff: a VM that names the device runs on
# it, beside a VM on /dev/kvm, and skiffctl info says which is which.
# Needs skiff.ko loaded: make check-kmod-guests runs it in the lab (not
# a BATS_SUITES suite, which run where there may be no /dev/skiff).

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	skiffd_paths
	echo "devices = /dev/kvm, /dev/skiff" >"$CONF"
}

teardown() {
	teardown_skiffd
}

# monitor_device NAME: the --device its running monitor was given.
monitor_device() {
	tr '\0' '\n' <"/proc/$(vm_field "$1" pid)/cmdline" |
		sed -n 's/^--device=//p'
}

@test "a vm on /dev/skiff runs beside one on /dev/kvm; info names each device" {
	[ -c /dev/skiff ] || skiff_must_have "/dev/skiff: load skiff.ko"
	require_kvm
	require_guest counter
	start_skiffd
	ctl run --name onskiff --mem 8 --device /dev/skiff "$(guest counter)" \
		>/dev/null
	ctl run --name onkvm --mem 8 "$(guest counter)" >/dev/null
	wait_state onskiff running
	wait_state onkvm running
	run monitor_device onskiff
	assert_output /dev/skiff
	wait_until 10 ticks_at_least onskiff 2
	wait_until 10 ticks_at_least onkvm 2
	run ctl info onskiff
	assert_line --regexp '^device +/dev/skiff$'
	run ctl info onkvm
	assert_line --regexp '^device +/dev/kvm$'
	run ctl stop onskiff
	assert_success
	wait_state onskiff stopped
	wait_until 10 ticks_at_least onkvm 4
}
