#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The page-table torture guest under skiff-monitor: its own address
# spaces, maps, remaps, permission changes, shared and recycled tables,
# INVLPG and CR3 reloads, A/D bits, every access and #PF checked against
# its model (docs/testing.md). It prints one line before and one after,
# and exits 0; on any mismatch it says what differed and exits 3.

bats_require_minimum_version 1.5.0
load helpers

# Room for its tables, frames and two 2 MiB pages.
MEM=16

setup() {
	require_kvm
	require_guest torture
}

# run_torture ARGS...: the guest with a generous limit (each table write
# may trap to the host under shadow paging).
run_torture() {
	SKIFF_TIMEOUT=120 run_monitor_split --mem=$MEM \
		"$SKIFF_GUESTS/torture.hvt" "$@"
}

# assert_passed ROUNDS SEED: the two lines of a clean run.
assert_passed() {
	local probes faults
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^torture: $1 rounds, seed $2, 4 address spaces, nx (on|off)\$"
	assert_line --index 1 --regexp "^torture: $1 ops, [0-9]+ probes, [0-9]+ faults, 4 address spaces: ok\$"
	probes=$(sed -E 's/.* ([0-9]+) probes.*/\1/' <<<"${lines[1]}")
	faults=$(sed -E 's/.* ([0-9]+) faults.*/\1/' <<<"${lines[1]}")
	# Both sides were exercised: accesses that work and ones that fault.
	[ "$faults" -gt 0 ]
	[ "$probes" -gt "$faults" ]
}

@test "torture: the default run (2000 rounds) matches the model" {
	run_torture
	assert_passed 2000 0x5eed
	# Every CPU KVM and skiff.ko run on has NX; the guest turns
	# EFER.NXE on. What PVM's CPUID says is not pinned down here.
	case $(kvm_backend) in
	kvm_amd | kvm_intel | skiff_svm | skiff_vmx)
		assert_line --index 0 --partial "nx on" ;;
	esac
}

@test "torture: other seeds match the model too" {
	local seed
	for seed in 1 2 3; do
		run_torture 1000 "$seed"
		assert_passed 1000 "0x$seed"
	done
}

@test "torture: a seed gives the same run every time" {
	local first
	run_torture 500 7
	assert_passed 500 0x7
	first=$output
	run_torture 500 7
	assert_equal "$output" "$first"
}

@test "torture: bad arguments print usage and exit 2" {
	local args
	for args in x 0 "10 0" "1 2 3"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run_torture $args
		assert_equal "$status" 2
		assert_output "usage: torture [ROUNDS [SEED]]"
	done
}
