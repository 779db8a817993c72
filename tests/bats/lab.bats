#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The lab's own promises (scripts/lab, scripts/vm-place): a working
# /dev/kvm, the caller's directory, status, output and environment, the
# host's tree written through, and clear failures. Runs on any host: the
# lab needs no /dev/kvm of the host's.

load helpers
bats_require_minimum_version 1.5.0

LAB=$SKIFF_TOP/scripts/lab

setup() {
	cd "$SKIFF_TOP"
	# These runs are the lab's tests, not suites: keep their boot times
	# out of make check's figures.
	unset SKIFF_RESULTS_DIR
}

teardown() {
	rm -f "$SKIFF_TOP/build/lab-test.$$"
}

@test "lab: a command runs with a working /dev/kvm, here, and its status is the lab's" {
	run --separate-stderr "$LAB" --quiet -- bash -c \
		'pwd; build/lab/kvm-probe /dev/kvm && echo kvm answers; exit 7'
	assert_equal "$status" 7
	assert_output "$SKIFF_TOP
kvm answers"
	assert_equal "$stderr" ""
}

@test "lab: stdout and stderr come back apart; the environment that matters goes in" {
	SKIFF_X="a b'c" CI=true BATS_Y=2 OTHER=no run --separate-stderr \
		"$LAB" --quiet -- bash -c 'echo "$SKIFF_X|$CI|$BATS_Y|${OTHER:-unset}|$SKIFF_LAB|$SKIFF_TIME_FACTOR|$HOME"; echo to-stderr >&2'
	assert_success
	assert_output "a b'c|true|2|unset|1|10|$HOME"
	assert_equal "$stderr" "to-stderr"
}

@test "lab: the tree is written through to the host; /tmp is the lab's own RAM" {
	local f=$SKIFF_TOP/build/lab-test.$$
	run "$LAB" --quiet -- bash -c \
		"echo through >'$f' && echo ram >/tmp/lab-test.$$ && ls /tmp"
	assert_success
	assert_output "lab-test.$$"
	run cat "$f"
	assert_output through
	[ ! -e "/tmp/lab-test.$$" ]
}

@test "lab: a fresh cache is built from Debian's packages, anywhere (here under /tmp)" {
	local dir=$BATS_TEST_TMPDIR/lab
	SKIFF_LAB_DIR=$dir run --separate-stderr "$LAB" -- bash -c 'echo ran'
	assert_success
	assert_output ran
	[[ "$stderr" == *"lab: building the initramfs"* ]]
	run bash -c "cd '$dir' && ls -d vmlinux-*-amd64 initramfs-*.cpio.gz run.* last"
	assert_success
	assert_equal "${#lines[@]}" 4
	# A second run takes the cache as it is.
	SKIFF_LAB_DIR=$dir run --separate-stderr "$LAB" -- true
	assert_success
	[[ "$stderr" != *"building"* ]]
}

@test "lab: --npt 0 gives kvm_amd with shadow paging, the default nested paging" {
	run "$LAB" --quiet -- cat /sys/module/kvm_amd/parameters/npt
	assert_success
	assert_output Y
	run "$LAB" --quiet --npt 0 -- bash -c \
		'cat /sys/module/kvm_amd/parameters/npt; echo "$SKIFF_LAB_NPT"'
	assert_success
	assert_output "N
0"
}

@test "lab: a failure of the lab itself exits 125 with the reason and the serial log" {
	# A CPU without SVM: kvm_amd cannot load.
	run --separate-stderr "$LAB" --cpu qemu64,-svm -- true
	assert_equal "$status" 125
	[[ "$stderr" == *"lab: insmod kvm-amd.ko failed"* ]]
	[[ "$stderr" == *"the last lines of "*"/serial.log:"* ]]
	[[ "$stderr" == *"kvm: no hardware support for 'kvm_amd'"* ]]
}

@test "lab: a command that outlives --timeout ends the lab with 124" {
	run --separate-stderr "$LAB" --timeout 20 -- sleep 600
	assert_equal "$status" 124
	[[ "$stderr" == *"lab: timed out after 20 s"* ]]
}

@test "lab: bad options are refused before anything boots" {
	run --separate-stderr "$LAB" --npt 2 -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --npt takes 0 or 1, not '2'"
	run --separate-stderr "$LAB" --timeout 10s -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --timeout takes seconds, not '10s'"
	run --separate-stderr "$LAB" --smp 0 -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --smp takes a CPU count, not '0'"
	run --separate-stderr "$LAB" --mem 3G -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --mem takes MiB, not '3G'"
	run --separate-stderr "$LAB" --shell -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --shell takes no command"
	run --separate-stderr "$LAB" --module /nonexistent/x.ko -- true
	assert_equal "$status" 125
	assert_equal "$stderr" "lab: --module /nonexistent/x.ko: no such file"
	run "$LAB"
	assert_equal "$status" 2
	assert_output --partial "usage: scripts/lab"
}

@test "vm-place: this host when its KVM answers, else the lab, saying why" {
	run --separate-stderr env SKIFF_KVM=/nonexistent/kvm "$SKIFF_TOP/scripts/vm-place"
	assert_success
	assert_output lab
	assert_equal "$stderr" "no usable KVM here (/nonexistent/kvm: No such file or directory): what needs it runs in the lab (QEMU TCG with kvm_amd; docs/testing.md)"
	run --separate-stderr env SKIFF_KVM=/dev/null "$SKIFF_TOP/scripts/vm-place"
	assert_output lab
	[[ "$stderr" == *"/dev/null: not a KVM device"* ]]
	run env SKIFF_KVM=/nonexistent/kvm SKIFF_VM_SUITES=host "$SKIFF_TOP/scripts/vm-place"
	assert_output host-vm
	run env SKIFF_VM_SUITES=lab "$SKIFF_TOP/scripts/vm-place"
	assert_output lab
	run env SKIFF_VM_SUITES=elsewhere "$SKIFF_TOP/scripts/vm-place"
	assert_failure
	assert_output --partial "SKIFF_VM_SUITES is host, lab or auto, not 'elsewhere'"
}

@test "vm-place -- CMD runs CMD in the lab when there is no KVM" {
	run env SKIFF_KVM=/nonexistent/kvm "$SKIFF_TOP/scripts/vm-place" -- \
		bash -c 'echo "lab=${SKIFF_LAB:-0}"; exit 3'
	assert_equal "$status" 3
	assert_line "lab=1"
}
