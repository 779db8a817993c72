#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Restart safety: guests outlive skiffd, the next skiffd re-adopts them
# with their states and counters, and learns how monitors that ended in
# between ended. Persistence and autostart.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	require_kvm
	require_guest counter
	start_skiffd
}

teardown() {
	teardown_skiffd
}

@test "kill -9 skiffd with 5 running guests: all re-adopted, same pids, counters kept" {
	start_counters g1 g2 g3 g4 g5
	ctl pause g5 >/dev/null
	sleep 1.2
	declare -A pid exits
	for n in g1 g2 g3 g4 g5; do
		pid[$n]=$(vm_field "$n" pid)
		exits[$n]=$(vm_field "$n" counters.exits)
	done
	kill9_skiffd
	sleep 1
	# The guests did not notice.
	for n in g1 g2 g3 g4 g5; do
		kill -0 "${pid[$n]}"
	done
	start_skiffd
	for n in g1 g2 g3 g4; do
		run vm_field "$n" state
		assert_output running
		run vm_field "$n" adopted
		assert_output true
		run vm_field "$n" pid
		assert_equal "$output" "${pid[$n]}"
		run vm_field "$n" counters.exits
		[ "$output" -ge "${exits[$n]}" ]
	done
	run vm_field g5 state
	assert_output paused
	# Still supervised: console keeps flowing, stop and resume work.
	before=$(ticks g1)
	wait_until 5 ticks_at_least g1 $((before + 1))
	run ctl resume g5
	assert_success
	run ctl stop g1
	assert_output --partial "g1: stopped (exit status 1"
	run vm_field g2 state
	assert_output running
}

@test "kill -9 of one monitor: that vm is crashed with the signal, the others run on" {
	start_counters a b c
	victim=$(vm_field b pid)
	kill -9 "$victim"
	wait_state b crashed
	run vm_field b exit.signal
	assert_output 9
	run vm_field b exit.reason
	assert_output "monitor killed by signal 9 (SIGKILL)"
	run vm_field a state
	assert_output running
	run vm_field c state
	assert_output running
}

@test "monitors that ended while skiffd was down are reported with their real status" {
	start_counters term9 term15 alive
	p9=$(vm_field term9 pid)
	p15=$(vm_field term15 pid)
	kill9_skiffd
	kill -TERM "$p15"
	kill -9 "$p9"
	wait_until 5 bash -c "! kill -0 $p15 2>/dev/null && ! kill -0 $p9 2>/dev/null"
	start_skiffd
	run vm_field term15 state
	assert_output stopped
	run vm_field term15 exit.status
	assert_output 1
	run vm_field term15 exit.reason
	assert_output --partial "signal 15"
	run vm_field term9 state
	assert_output crashed
	run vm_field term9 exit.reason
	assert_output --partial "without writing its status file"
	run vm_field alive state
	assert_output running
	run vm_field alive adopted
	assert_output true
}

@test "definitions and last states persist across a restart" {
	require_guest exit
	ctl create --name keep --mem 16 "$(guest counter)" extra arg >/dev/null
	run ctl run --attach --name done3 "$(guest exit)" 3
	assert_equal "$status" 3
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	start_skiffd
	run vm_field keep state
	assert_output defined
	run vm_field keep mem
	assert_output 16
	run ctl --json info keep
	assert_output --partial '"extra"'
	run vm_field done3 state
	assert_output stopped
	run vm_field done3 exit.status
	assert_output 3
	run vm_field done3 start_count
	assert_output 1
	# Atomic writes leave no temp files; every file is whole JSON.
	run find "$STATE" -name '.*.tmp'
	assert_output ""
	for f in "$STATE"/vms/*/*.json; do
		jq -e . "$f" >/dev/null
	done
}

@test "a damaged definition is skipped with a message, the rest load" {
	ctl create --name good "$(guest counter)" >/dev/null
	ctl create --name bad "$(guest counter)" >/dev/null
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	echo '{"name":"bad","kernel":"relative"' >"$STATE/vms/bad/vm.json"
	start_skiffd
	run vm_field good state
	assert_output defined
	run ctl info bad
	assert_equal "$status" 4
	grep -q "vm bad: .*vm.json: missing or not JSON; skipped" "$SKIFFD_LOG"
}

@test "autostart vms start with the daemon" {
	ctl create --name auto --autostart --mem 8 "$(guest counter)" >/dev/null
	ctl create --name manual --mem 8 "$(guest counter)" >/dev/null
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	start_skiffd
	wait_state auto running
	run vm_field manual state
	assert_output defined
	run vm_field auto autostart
	assert_output true
}

@test "a frozen monitor (SIGSTOP) costs a bounded wait, and only its own vm" {
	start_counters frozen other
	p=$(vm_field frozen pid)
	kill -STOP "$p"
	sleep 1.2
	start=$(date +%s%N)
	run ctl --json info frozen
	assert_success
	assert_output --partial '"state": "running"'
	run ctl --json info other
	assert_success
	run ctl ls
	assert_success
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$elapsed" -lt "$(scaled_ms 2000)" ] || fail "three calls took $elapsed ms"
	# (daemon_wedged.bats shows a frozen monitor coming back on SIGCONT.)
	kill -9 "$p"
	wait_state frozen crashed
	run vm_field other state
	assert_output running
}
