#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# skiffd never waits for a monitor: calls that need one are answered
# later, a frozen monitor (SIGSTOP) fails only its own VM's calls, after
# their timeout and with a clear error, while every other client goes
# on; a monitor that exits with calls in flight fails them cleanly. Also
# what a client sees of deferred answers: order per connection, batches.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_kvm
	require_guest counter
	skiffd_paths
	# The messages below name it: 2 s, not scaled in the lab.
	echo "monitor_timeout = 2" >"$CONF"
	start_skiffd --verbose
}

teardown() {
	local p
	# A monitor left stopped would not die of SIGKILL's teardown quickly.
	for p in $(monitor_pids); do
		kill -CONT "$p" 2>/dev/null || true
	done
	teardown_skiffd
}

req() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"%s","params":{"name":"%s"}}' \
		"$1" "$2" "$3"
}

# counters_known VM: vm.info has counters from the monitor (counters_at).
counters_known() {
	[ "$(vm_field "$1" counters_at)" != null ]
}

# in_flight VM METHOD: skiffd has sent METHOD to VM's monitor (--verbose).
in_flight() {
	grep -q "vm $1: $2: sent" "$SKIFFD_LOG"
}

@test "a frozen monitor: its pauses time out with a clear error, other clients are answered meanwhile, SIGCONT and it works again" {
	start_counters frozen other
	p=$(vm_field frozen pid)
	kill -STOP "$p"
	# Five pauses in one batch: they queue, each waits its 2 s, and the
	# batch is answered once all are done (about 10 s, a fixed window).
	batch="[$(req 1 vm.pause frozen),$(req 2 vm.pause frozen),$(req 3 vm.pause frozen),$(req 4 vm.pause frozen),$(req 5 vm.pause frozen)]"
	out=$BATS_TEST_TMPDIR/batch.out
	(rc=0; printf '%s\n' "$batch" |
		"$RPC_PIPE" --timeout 60 "$SOCK" >"$out" || rc=$?
	 echo $rc >"$out.rc") &
	wait_until 10 in_flight frozen monitor.pause
	# While the batch waits, the daemon answers everyone else.
	run ctl version
	assert_success
	run ctl ls
	assert_success
	assert_output --partial frozen
	run vm_field other state
	assert_output running
	run ctl pause other
	assert_output "other: paused"
	run ctl resume other
	assert_output "other: running"
	[ ! -e "$out.rc" ] || fail "the batch was answered too soon: $(cat "$out")"
	wait_until 60 test -e "$out.rc"
	assert_equal "$(cat "$out.rc")" 0
	run jq -r '.[] | "\(.id) \(.error.message)"' "$out"
	assert_success
	assert_output "1 vm frozen: monitor.pause: timed out after 2 s
2 vm frozen: monitor.pause: timed out after 2 s
3 vm frozen: monitor.pause: timed out after 2 s
4 vm frozen: monitor.pause: timed out after 2 s
5 vm frozen: monitor.pause: timed out after 2 s"
	grep -q "vm frozen: monitor.pause: timed out after 2 s; resetting the monitor connection" \
		"$SKIFFD_LOG"
	# Still running as far as skiffd knows: no pause was confirmed.
	run vm_field frozen state
	assert_output running
	kill -CONT "$p"
	# The monitor now carries out the pauses it had not read; skiffd
	# learns it from monitor.info (vm.info asks, the counters are stale
	# after a failed pause) and takes the monitor's word.
	wait_until 10 counters_known frozen
	state=$(vm_field frozen state)
	if [ "$state" = paused ]; then
		run ctl resume frozen
		assert_output "frozen: running"
	fi
	wait_state frozen running
	n=$(ticks frozen)
	wait_until 10 ticks_at_least frozen $((n + 2))
	run ctl pause frozen
	assert_output "frozen: paused"
	run ctl resume frozen
	assert_output "frozen: running"
}

@test "a client that leaves before its deferred answer: the answer is dropped, the daemon goes on" {
	start_counters frozen
	p=$(vm_field frozen pid)
	kill -STOP "$p"
	printf '%s\n' "$(req 1 vm.pause frozen)" |
		limit 30 "$RPC_PIPE" --hold 30 "$SOCK" >/dev/null 2>&1 &
	holder=$!
	wait_until 10 in_flight frozen monitor.pause
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	wait_until 20 grep -q "vm frozen: monitor.pause: timed out" "$SKIFFD_LOG"
	run ctl version
	assert_success
	kill -CONT "$p"
	run ctl --json info frozen
	assert_success
}

@test "vm.kill while a pause is in flight: the pause fails, the vm is stopped, nothing hangs" {
	start_counters frozen
	p=$(vm_field frozen pid)
	kill -STOP "$p"
	out=$BATS_TEST_TMPDIR/pause.out
	(rc=0; ctl pause frozen >"$out" 2>&1 || rc=$?; echo $rc >"$out.rc") &
	wait_until 10 in_flight frozen monitor.pause
	run ctl kill frozen
	assert_success
	wait_until 10 test -e "$out.rc"
	assert_equal "$(cat "$out.rc")" 1
	run cat "$out"
	assert_output --regexp "^skiffctl: vm frozen: monitor.pause: (the monitor (exited|closed the connection))"
	wait_state frozen stopped
	run ctl pause frozen
	assert_failure
	assert_output "skiffctl: vm frozen: cannot pause: vm is stopped (allowed when running)"
}

@test "deferred answers keep the order of a connection's requests; batches wait for all their calls" {
	start_counters c1
	rpc "$(req 1 vm.pause c1)" "$(req 2 vm.info c1)" "$(req 3 vm.pause c1)" \
		"$(req 4 vm.resume c1)" '{"jsonrpc":"2.0","id":5,"method":"vm.list"}'
	assert_success
	run jq -c '[.id, (.result.state // .error.message)]' <<<"$output"
	assert_output '[1,"paused"]
[2,"paused"]
[3,"vm c1: cannot pause: vm is paused (allowed when running)"]
[4,"running"]
[5,null]'
	rpc "[$(req 1 vm.pause c1),{\"jsonrpc\":\"2.0\",\"method\":\"vm.resume\",\"params\":{\"name\":\"c1\"}},$(req 2 vm.info c1),{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"daemon.info\"}]"
	assert_success
	answer=$output
	run jq -c '[.[] | .id]' <<<"$answer"
	assert_output '[1,2,3]'
	run jq -r '.[0].result.state' <<<"$answer"
	assert_output paused
	# The batch was answered after its notification (the resume) too.
	run vm_field c1 state
	assert_output running
}
