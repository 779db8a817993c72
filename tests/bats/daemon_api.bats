#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The JSON-RPC surface of skiffd, byte by byte: the bad-input table,
# batches and notifications, slow and stuck clients, 32 concurrent
# clients. Most of these need no guest; the concurrency test runs them.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	start_skiffd
}

teardown() {
	teardown_skiffd
}

# field N JQ: the JQ expression on line N (0-based) of $output.
field() {
	sed -n "$(($1 + 1))p" <<<"$output" | jq -c "$2"
}

@test "invalid JSON: -32700 and the connection stays usable" {
	rpc '{"jsonrpc":"2.0","id":1,"method":' 'not json at all' \
		'{"jsonrpc":"2.0","id":2,"method":"vm.list"}'
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(field 0 .error.code)" -32700
	assert_equal "$(field 0 .id)" null
	assert_equal "$(field 1 .error.code)" -32700
	assert_equal "$(field 2 .id)" 2
	assert_equal "$(field 2 .result.vms)" "[]"
}

@test "invalid requests: -32600 with the id when it can be read" {
	rpc '1' '{"jsonrpc":"1.0","id":"a","method":"vm.list"}' \
		'{"jsonrpc":"2.0","id":{},"method":"vm.list"}' \
		'{"jsonrpc":"2.0","id":3,"method":7}'
	assert_equal "${#lines[@]}" 4
	for i in 0 1 2 3; do
		assert_equal "$(field $i .error.code)" -32600
	done
	assert_equal "$(field 1 .id)" '"a"'
	assert_equal "$(field 2 .id)" null
	assert_equal "$(field 3 .id)" 3
}

@test "unknown method: -32601; as a notification: no answer at all" {
	rpc '{"jsonrpc":"2.0","id":1,"method":"vm.explode"}' \
		'{"jsonrpc":"2.0","method":"vm.explode"}' \
		'{"jsonrpc":"2.0","id":2,"method":"daemon.info"}'
	assert_equal "${#lines[@]}" 2
	assert_equal "$(field 0 .error.code)" -32601
	assert_equal "$(field 0 .error.message)" '"Method not found: vm.explode"'
	assert_equal "$(field 1 .id)" 2
}

@test "bad params: -32602 naming the field" {
	rpc '{"jsonrpc":"2.0","id":1,"method":"vm.create","params":{"name":"a","kernel":"/k","mem":"big"}}' \
		'{"jsonrpc":"2.0","id":2,"method":"vm.create","params":{"name":"../etc","kernel":"/k"}}' \
		'{"jsonrpc":"2.0","id":3,"method":"vm.info","params":{}}' \
		'{"jsonrpc":"2.0","id":4,"method":"vm.info","params":{"name":"a","extra":1}}' \
		'{"jsonrpc":"2.0","id":5,"method":"vm.info","params":["a"]}' \
		'{"jsonrpc":"2.0","id":6,"method":"vm.console","params":{"name":"a","offset":-5}}' \
		'{"jsonrpc":"2.0","id":7,"method":"vm.stop","params":{"name":"a","timeout":"soon"}}' \
		'{"jsonrpc":"2.0","id":8,"method":"events.subscribe","params":{"names":[1]}}'
	assert_equal "${#lines[@]}" 8
	want=(mem name name extra params offset timeout names)
	for i in "${!want[@]}"; do
		assert_equal "$(field "$i" .error.code)" -32602
		assert_equal "$(field "$i" .error.data.field)" "\"${want[$i]}\""
		[[ "$(field "$i" .error.message)" == *"${want[$i]}"* ]]
	done
}

@test "batches: answers in an array, notifications left out, empty batch refused" {
	rpc '[{"jsonrpc":"2.0","id":1,"method":"vm.list"},{"jsonrpc":"2.0","method":"vm.list"},{"jsonrpc":"2.0","id":2,"method":"nope"},5]' \
		'[]' \
		'[{"jsonrpc":"2.0","method":"vm.list"},{"jsonrpc":"2.0","method":"daemon.info"}]' \
		'{"jsonrpc":"2.0","id":9,"method":"vm.list"}'
	assert_equal "${#lines[@]}" 3
	assert_equal "$(field 0 length)" 3
	assert_equal "$(field 0 '.[0].id')" 1
	assert_equal "$(field 0 '.[1].error.code')" -32601
	assert_equal "$(field 0 '.[2].error.code')" -32600
	assert_equal "$(field 1 .error.code)" -32600
	assert_equal "$(field 2 .id)" 9
}

@test "a line over 1 MiB: an error, then the connection is closed" {
	{
		printf '{"jsonrpc":"2.0","id":1,"method":"vm.list","params":{"pad":"'
		head -c 1100000 /dev/zero | tr '\0' x
		printf '"}}\n{"jsonrpc":"2.0","id":2,"method":"vm.list"}\n'
	} >"$BATS_TEST_TMPDIR/big"
	run --separate-stderr "$RPC_PIPE" "$SOCK" <"$BATS_TEST_TMPDIR/big"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(field 0 .error.code)" -32007
	assert_equal "$(field 0 .id)" null
	# The daemon is fine.
	run ctl ls
	assert_success
}

@test "an endless line without a newline is cut at the limit" {
	run --separate-stderr bash -c \
		'head -c 3000000 /dev/zero | tr "\0" "[" | "$0" --timeout "$2" "$1"' \
		"$RPC_PIPE" "$SOCK" "$(scaled 10)"
	assert_success
	assert_equal "$(field 0 .error.code)" -32007
}

@test "garbage bytes, NULs, deep nesting and huge numbers do not hurt the daemon" {
	head -c 20000 /dev/urandom | tr '\n' ' ' >"$BATS_TEST_TMPDIR/junk"
	echo >>"$BATS_TEST_TMPDIR/junk"
	printf '{"jsonrpc":"2.0","id":1,"method":"vm.list\\u0000"}\n' >>"$BATS_TEST_TMPDIR/junk"
	printf '%0.s[' $(seq 5000) >>"$BATS_TEST_TMPDIR/junk"
	echo >>"$BATS_TEST_TMPDIR/junk"
	printf '{"jsonrpc":"2.0","id":99999999999999999999999,"method":"vm.list"}\n' >>"$BATS_TEST_TMPDIR/junk"
	printf '{"jsonrpc":"2.0","id":2,"method":"vm.create","params":{"name":"x","kernel":"/k","mem":1e400}}\n' >>"$BATS_TEST_TMPDIR/junk"
	printf '{"jsonrpc":"2.0","id":3,"method":"vm.list"}\n' >>"$BATS_TEST_TMPDIR/junk"
	run --separate-stderr "$RPC_PIPE" "$SOCK" <"$BATS_TEST_TMPDIR/junk"
	assert_success
	run jq -c 'select(.id == 3) | .result' <<<"$output"
	assert_output '{"vms":[]}'
	run ctl ls
	assert_success
	kill -0 "$SKIFFD_PID"
}

@test "a stuck client and a client that never reads do not block others" {
	# Stuck: half a request, then silence.
	printf '{"jsonrpc":"2.0","id":1,' |
		"$RPC_PIPE" --hold 15 "$SOCK" &
	stuck=$!
	# Never reads: 20 MB of requests, answers left unread.
	yes '{"jsonrpc":"2.0","id":1,"method":"daemon.info"}' | head -n 400000 |
		"$RPC_PIPE" --no-read --timeout 15 "$SOCK" &
	slow=$!
	sleep 1
	for i in 1 2 3 4 5; do
		run limit 2 "$SKIFFCTL" --socket "$SOCK" version
		assert_success
	done
	kill "$stuck" "$slow" 2>/dev/null || true
	wait "$stuck" "$slow" 2>/dev/null || true
	run ctl ls
	assert_success
}

@test "32 concurrent clients doing mixed calls: 0 errors" {
	require_kvm
	require_guest counter
	pids=()
	for c in $(seq 1 32); do
		(
			errs=0
			n=v$c
			ctl_c() { "$SKIFFCTL" --socket "$SOCK" "$@" >/dev/null 2>>"$D/err.$c" || errs=$((errs + 1)); }
			ctl_c create --name "$n" --mem 8 "$(guest counter)"
			for i in 1 2 3 4 5; do
				ctl_c ls
				ctl_c info "$n"
				ctl_c version
			done
			ctl_c start "$n"
			wait_until 10 vm_state_is "$n" running || errs=$((errs + 1))
			ctl_c pause "$n"
			ctl_c info "$n"
			ctl_c resume "$n"
			ctl_c logs "$n"
			ctl_c stop --timeout 5 "$n"
			ctl_c rm "$n"
			echo "$errs" >"$D/result.$c"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	total=0
	for c in $(seq 1 32); do
		[ -f "$D/result.$c" ] || fail "client $c did not finish"
		total=$((total + $(cat "$D/result.$c")))
	done
	cat "$D"/err.* >&2 || true
	assert_equal "$total" 0
	run ctl --json ls
	assert_output --partial '"vms": []'
}
