# SPDX-License-Identifier: ISC
#
# Migrating between two skiff-monitors without skiffd, for the monitor_*
# suites: the source gets monitor.migrate with a connected TCP socket
# (tests/tools/ctl-fd), the destination takes the other end with
# --incoming=@5 --incoming-token=@7 (tests/tools/accept-exec).

TOOLS=$SKIFF_TOP/build/tests/tools

new_token() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# start_dst TOKEN PREFIX... -- MONITOR_ARGS...: a destination monitor
# waiting for one connection, run under PREFIX (e.g. ip netns exec NS);
# its port in $DST_PORT, its pid in $DST_PID, its output in dst.out,
# its control socket dst.sock, its status dst.status.
start_dst() {
	local token=$1 pf=$BATS_TEST_TMPDIR/port prefix=()
	shift
	while [ "$1" != -- ]; do
		prefix+=("$1")
		shift
	done
	shift
	rm -f "$pf"
	"${prefix[@]}" "$TOOLS/accept-exec" "$pf" 5 "$MONITOR" $(monitor_device_args) \
		--control="$BATS_TEST_TMPDIR/dst.sock" \
		--status-file="$BATS_TEST_TMPDIR/dst.status" \
		--incoming=@5 --incoming-token=@7 "$@" \
		7<<<"$token" >"$BATS_TEST_TMPDIR/dst.out" 2>&1 &
	DST_PID=$!
	wait_until 5 test -s "$pf"
	DST_PORT=$(cat "$pf")
}

# migrate_to SOCK TOKEN [PARAMS]: monitor.migrate through control socket
# SOCK to 127.0.0.1:$DST_PORT (run: $status, $output).
migrate_to() {
	run "$TOOLS/ctl-fd" "$1" "tcp:$DST_PORT" \
		"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"monitor.migrate\",\"params\":{\"token\":\"$2\"${3:+,$3}}}"
	echo "destination: $(cat "$BATS_TEST_TMPDIR/dst.out" \
		"$BATS_TEST_TMPDIR/dst.status" 2>/dev/null | tr -d '\0')" >&2
}
