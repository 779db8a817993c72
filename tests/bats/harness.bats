#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The test harness's own promise: without KVM a test skips with the
# reason, except in CI (or with SKIFF_REQUIRE_KVM=1), where it fails.

load helpers

probe() {
	# A nested bats run of one test that needs KVM, on a missing device.
	local t=$BATS_TEST_TMPDIR/probe.bats
	# (printf: a literal test line here would be read as one of ours)
	printf 'load %s\n@%s "needs kvm" { require_kvm; }\n' \
		"$SKIFF_TOP/tests/bats/helpers" test >"$t"
	run env -u CI -u SKIFF_REQUIRE_KVM SKIFF_KVM=/nonexistent/kvm "$@" \
		bats --tap "$t"
}

@test "no KVM outside CI: the test is skipped, with the reason" {
	probe
	assert_success
	assert_output --partial 'ok 1 needs kvm # skip /nonexistent/kvm is not usable here'
}

@test "no KVM in CI: the test fails" {
	probe env CI=true
	assert_failure
	assert_output --partial 'not ok 1 needs kvm'
	assert_output --partial 'required but missing: /nonexistent/kvm'
}

@test "no KVM with SKIFF_REQUIRE_KVM=1: the test fails" {
	probe env SKIFF_REQUIRE_KVM=1
	assert_failure
	assert_output --partial 'not ok 1 needs kvm'
}
