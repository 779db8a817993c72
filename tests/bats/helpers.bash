# SPDX-License-Identifier: ISC
#
# Shared setup for skiff's Bats suites. Load with `load helpers`.

SKIFF_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
SKIFF_BIN=$SKIFF_TOP/build/bin
SKIFF_GUESTS=$SKIFF_TOP/build/unikernels
MONITOR=$SKIFF_BIN/skiff-monitor
export SKIFF_TOP SKIFF_BIN SKIFF_GUESTS MONITOR

bats_load_library bats-support
bats_load_library bats-assert

# A missing /dev/kvm (or tap support) skips a test with the reason, except
# in CI or when SKIFF_REQUIRE_KVM=1, where it is a failure: a CI machine
# without KVM must not pass by skipping everything.
skiff_must_have() {
	if [ "${CI:-}" = "true" ] || [ "${SKIFF_REQUIRE_KVM:-}" = "1" ]; then
		echo "required but missing: $*" >&2
		return 1
	fi
	skip "$*"
}

# SKIFF_KVM names the device to look for (default /dev/kvm); pointing it
# at a missing path shows the skip (or, in CI, the failure) path works.
require_kvm() {
	local dev=${SKIFF_KVM:-/dev/kvm}
	if [ ! -c "$dev" ] || [ ! -r "$dev" ] || [ ! -w "$dev" ]; then
		skiff_must_have "$dev is not usable here"
	fi
}

# kvm_backend: which module provides the device under test (kvm_amd,
# kvm_intel, kvm_pvm, or skiff_svm or skiff_vmx when SKIFF_KVM is
# skiff.ko's /dev/skiff: as kmod/core/main.c, SVM where the CPU has it,
# else VMX), for the few tests whose expected outcome depends on it.
kvm_backend() {
	local m
	if [ "${SKIFF_KVM:-}" = /dev/skiff ]; then
		if grep -qw svm /proc/cpuinfo; then
			echo skiff_svm
		elif grep -qw vmx /proc/cpuinfo; then
			echo skiff_vmx
		else
			echo unknown
		fi
		return 0
	fi
	for m in kvm_pvm kvm_amd kvm_intel; do
		if [ -d "/sys/module/$m" ]; then
			echo "$m"
			return 0
		fi
	done
	echo unknown
}

require_tap() {
	require_kvm
	if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] ||
		! command -v ip >/dev/null; then
		skiff_must_have "tap devices need root, /dev/net/tun and ip(8)"
	fi
}

require_guest() {
	local g=$SKIFF_GUESTS/$1.hvt
	[ -f "$g" ] || fail "guest image missing: $g (run make)"
}

# Time limits and waits. Every limit a suite sets on how long something
# may take (timeout(1), wait_until, SKIFF_TIMEOUT) goes through scaled,
# which multiplies it by SKIFF_TIME_FACTOR: 1 on a host, more in the lab
# (scripts/lab sets it; emulated user space runs about ten times slower).
# What a test checks never changes with it; a window in which a test
# measures something (ticks per second) is not a limit and stays as is.

# scaled SECONDS: SECONDS (with up to three decimals) times the factor.
scaled() {
	local s=$1 f=${SKIFF_TIME_FACTOR:-1} int frac=000 ms
	int=${s%%.*}
	if [[ $s == *.* ]]; then
		frac=${s#*.}000
	fi
	ms=$(((10#${int:-0} * 1000 + 10#${frac:0:3}) * f))
	printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds, for
# at most SECONDS (scaled).
wait_until() {
	local limit end
	limit=$(scaled "$1")
	shift
	end=$(($(date +%s%N) + 10#${limit/./} * 1000000))
	until "$@"; do
		if [ "$(date +%s%N)" -gt "$end" ]; then
			echo "wait_until: timed out after ${limit}s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# scaled_ms MS: an integer number of milliseconds times the factor.
scaled_ms() {
	echo $(($1 * ${SKIFF_TIME_FACTOR:-1}))
}

# limit SECONDS CMD...: CMD under timeout(1) with a scaled limit (and
# SIGKILL 5 scaled seconds later if SIGTERM does not end it).
limit() {
	local t=$1
	shift
	timeout --kill-after="$(scaled 5)" "$(scaled "$t")" "$@"
}

# The monitor's --device when SKIFF_KVM names another device than its
# default, /dev/kvm (make check-kmod-guests runs suites on /dev/skiff).
monitor_device_args() {
	if [ -n "${SKIFF_KVM:-}" ] && [ "$SKIFF_KVM" != /dev/kvm ]; then
		echo "--device=$SKIFF_KVM"
	fi
}

# run_monitor ARGS...: run skiff-monitor with a time limit so a hang is a
# failure, not a stuck suite. Output (stdout+stderr) in $output.
run_monitor() {
	# shellcheck disable=SC2046 # zero or one word, never split
	run limit "${SKIFF_TIMEOUT:-30}" "$MONITOR" $(monitor_device_args) "$@"
}

# Same, with stderr kept apart: $output is stdout, $stderr is stderr.
run_monitor_split() {
	# shellcheck disable=SC2046 # zero or one word, never split
	run --separate-stderr limit "${SKIFF_TIMEOUT:-30}" "$MONITOR" \
		$(monitor_device_args) "$@"
}

# netns_tap_setup PREFIX OCTET: a network namespace of the test's own
# (NS) with a tap, tap0, at $HOST_IP in a /24 picked per run and test
# (10.OCTET.x.0/24) so parallel runs do not collide; GUEST_IP is .2.
# No traffic leaves the namespace. netns_teardown deletes it.
netns_tap_setup() {
	NS=$1$$-${BATS_TEST_NUMBER}
	SUBNET=10.$2.$(( ($$ + BATS_TEST_NUMBER) % 250 + 1 ))
	HOST_IP=$SUBNET.1
	GUEST_IP=$SUBNET.2
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add tap0 mode tap
	ip -n "$NS" addr add "$HOST_IP/24" dev tap0
	ip -n "$NS" link set tap0 up
}

netns_teardown() {
	if [ -n "${NS:-}" ]; then
		ip netns delete "$NS" 2>/dev/null || true
	fi
}
