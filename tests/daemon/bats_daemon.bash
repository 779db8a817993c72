# SPDX-License-Identifier: ISC
#
# Shared by the daemon, skiffctl and systemd Bats suites: a private
# skiffd per test under $BATS_TEST_TMPDIR, bounded waits, and a teardown
# that leaves no daemon and no monitor behind.
#
#   load helpers
#   load ../daemon/bats_daemon

SKIFFD=${SKIFFD_BIN:-$SKIFF_BIN/skiffd}
SKIFFCTL=$SKIFF_BIN/skiffctl
RPC_PIPE=$SKIFF_TOP/build/tests/daemon/rpc-pipe

# skiffd_paths: the layout of this test's daemon.
skiffd_paths() {
	D=$BATS_TEST_TMPDIR/sk
	SOCK=${SKIFFD_SOCK:-$D/skiffd.sock}
	STATE=$D/state
	RUN=$D/run
	CONF=$D/skiffd.conf
	SKIFFD_LOG=$D/skiffd.log
	mkdir -p "$D"
	[ -f "$CONF" ] || : >"$CONF"
	export SKIFF_SOCKET=$SOCK
}

# start_skiffd [ARGS...]: a foreground skiffd in the background. Its
# monitor_timeout is 2 s scaled (a monitor's pause answer is a time
# limit like any other), unless the test's skiffd.conf sets one.
start_skiffd() {
	skiffd_paths
	local mon=()
	grep -q '^monitor_timeout' "$CONF" ||
		echo "monitor_timeout = $(scaled 2)" >>"$CONF"
	if [ -n "${SKIFFD_MONITOR:-}" ]; then
		mon=(--monitor "$SKIFFD_MONITOR")
	fi
	# SKIFFD_PREFIX: e.g. (ip netns exec NS) to run it somewhere else.
	"${SKIFFD_PREFIX[@]}" "$SKIFFD" --foreground --config "$CONF" --socket "$SOCK" \
		--state-dir "$STATE" --run-dir "$RUN" "${mon[@]}" "$@" \
		>>"$SKIFFD_LOG" 2>&1 &
	SKIFFD_PID=$!
	echo "$SKIFFD_PID" >>"$D/skiffd.pids"
	wait_until 10 ctl_quiet version || {
		cat "$SKIFFD_LOG" >&2
		return 1
	}
}

ctl_quiet() {
	"$SKIFFCTL" --socket "$SOCK" "$@" >/dev/null 2>&1
}

# ctl ARGS...: skiffctl against this test's daemon, bounded in time.
ctl() {
	limit "${SKIFF_TIMEOUT:-30}" "$SKIFFCTL" --socket "$SOCK" "$@"
}

# vm_field NAME FIELD: one field of vm.info (jq path without the dot).
vm_field() {
	ctl --json info "$1" | jq -r ".$2"
}

# ticks NAME: how many ticks the counter guest NAME has logged.
ticks() {
	ctl logs "$1" | grep -c tick || true
}

# ticks_at_least NAME N
ticks_at_least() {
	[ "$(ticks "$1")" -ge "$2" ]
}

vm_state_is() {
	[ "$(vm_field "$1" state)" = "$2" ]
}

# wait_state NAME STATE [SECONDS]
wait_state() {
	wait_until "${3:-10}" vm_state_is "$1" "$2" || {
		echo "vm $1 is $(vm_field "$1" state), wanted $2" >&2
		return 1
	}
}

# start_counters NAME...: counter guests, run and seen running.
start_counters() {
	local n
	for n in "$@"; do
		ctl run --name "$n" --mem 8 "$(guest counter)" >/dev/null
	done
	for n in "$@"; do
		wait_state "$n" running
	done
}

# rpc LINE...: send raw lines on one connection; answers in $output.
rpc() {
	run --separate-stderr bash -c \
		'sock=$1; shift; printf "%s\n" "$@" | "$0" "$sock"' \
		"$RPC_PIPE" "$SOCK" "$@"
}

# kill9_skiffd: the daemon dies without any cleanup.
kill9_skiffd() {
	kill -9 "$SKIFFD_PID"
	wait "$SKIFFD_PID" 2>/dev/null || true
}

# monitor_pids: monitors of this test's daemon (by their control path).
monitor_pids() {
	pgrep -f -- "--control=$RUN/" || true
}

teardown_skiffd() {
	local pid
	[ -n "${D:-}" ] || return 0
	if [ -f "$D/skiffd.pids" ]; then
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		done <"$D/skiffd.pids"
	fi
	for pid in $(monitor_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	wait_until 5 test -z "$(monitor_pids)" || true
}

guest() {
	echo "$SKIFF_GUESTS/$1.hvt"
}
