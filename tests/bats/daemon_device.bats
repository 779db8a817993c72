#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The device a VM runs on: the daemon's `device` unless the VM names one
# of the operator's `devices`; anything else refused naming the VM, the
# device and the allowed ones; kept across restarts and re-adoption, and
# given to the monitor. Only the tests that run a guest need KVM. For a
# second device that really runs guests they allow a symlink to
# /dev/kvm; /dev/skiff is only named (the module is not loaded here).

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

setup() {
	skiffd_paths
	ALIAS=$D/kvm-alias
	echo "devices = /dev/kvm, /dev/skiff, $ALIAS" >"$CONF"
}

teardown() {
	teardown_skiffd
}

# field N JQ: the JQ expression on line N (0-based) of $output.
field() {
	sed -n "$(($1 + 1))p" <<<"$output" | jq -c "$2"
}

# monitor_device NAME: the --device its running monitor was given.
monitor_device() {
	tr '\0' '\n' <"/proc/$(vm_field "$1" pid)/cmdline" |
		sed -n 's/^--device=//p'
}

# restart_skiffd: SIGTERM, then a new daemon on the same state.
restart_skiffd() {
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	start_skiffd
}

@test "without a device a vm has the daemon's: vm.info, vm.list, skiffctl info" {
	start_skiffd
	ctl create --name plain "$(guest counter)" >/dev/null
	run vm_field plain device
	assert_output /dev/kvm
	run ctl info plain
	assert_success
	assert_line --regexp '^device +/dev/kvm$'
	assert_equal "$(ctl --json ls | jq -r '.vms[0].device')" /dev/kvm
	assert_equal "$(ctl --json version | jq -c .skiffd.devices)" \
		"[\"/dev/kvm\",\"/dev/skiff\",\"$ALIAS\"]"
	assert_equal "$(jq -r .device "$STATE/vms/plain/vm.json")" /dev/kvm
}

@test "an allowed device is accepted and shown by vm.info and skiffctl info" {
	start_skiffd
	run ctl create --name onskiff --device /dev/skiff "$(guest counter)"
	assert_success
	run vm_field onskiff device
	assert_output /dev/skiff
	run ctl info onskiff
	assert_line --regexp '^device +/dev/skiff$'
	rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"params\":{\"name\":\"raw\",\"kernel\":\"$(guest counter)\",\"device\":\"$ALIAS\"}}"
	assert_equal "$(field 0 .result.device)" "\"$ALIAS\""
}

@test "a device outside the allow-list is refused naming the vm, the device and the allowed ones" {
	start_skiffd
	run --separate-stderr ctl create --name web1 --device /dev/sda \
		"$(guest counter)"
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm web1: device /dev/sda: not allowed (allowed: /dev/kvm, /dev/skiff, $ALIAS)"
	run ctl info web1
	assert_equal "$status" 4
	# Only the exact paths: no prefix, no other spelling of one.
	for dev in /dev/mem /dev/kvm/ /dev//kvm /dev/../dev/kvm /dev/kv; do
		rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"params\":{\"name\":\"web1\",\"kernel\":\"$(guest counter)\",\"device\":\"$dev\"}}"
		assert_equal "$(field 0 .error.code)" -32004
		assert_equal "$(field 0 .error.data.device)" "\"$dev\""
		assert_equal "$(field 0 .error.data.allowed)" \
			"[\"/dev/kvm\",\"/dev/skiff\",\"$ALIAS\"]"
	done
	assert_equal "$(ctl --json ls | jq -c .vms)" "[]"
}

@test "without devices configured only the daemon's device is allowed" {
	: >"$CONF"
	start_skiffd
	run --separate-stderr ctl create --name web1 --device /dev/skiff \
		"$(guest counter)"
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm web1: device /dev/skiff: not allowed (allowed: /dev/kvm)"
	assert_equal "$(ctl --json version | jq -c .skiffd.devices)" \
		'["/dev/kvm"]'
}

@test "a relative, overlong or multi-line device is refused naming the field and the vm" {
	start_skiffd
	long=/dev/$(printf 'x%.0s' {1..300})
	for dev in dev/kvm kvm '' "$long" '/dev/kvm\n' '/dev/kvm\n/dev/mem' \
		'/dev/\u001bkvm'; do
		rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.create\",\"params\":{\"name\":\"web1\",\"kernel\":\"$(guest counter)\",\"device\":\"$dev\"}}"
		assert_equal "$(field 0 .error.code)" -32602
		assert_equal "$(field 0 .error.data.field)" '"device"'
		assert_equal "$(field 0 .error.message)" \
			'"Invalid params: device: vm web1: expected an absolute path of at most 255 bytes without control characters"'
	done
	run --separate-stderr ctl create --name web1 --device dev/kvm \
		"$(guest counter)"
	assert_equal "$status" 2
	[[ "$stderr" == *"device: vm web1: expected an absolute path"* ]]
	run ctl create --name web1 --device $'/dev/kvm\n' "$(guest counter)"
	assert_equal "$status" 2
	assert_equal "$(ctl --json ls | jq -c .vms)" "[]"
}

@test "skiffd refuses a configured device that is not among the devices" {
	echo "devices = /dev/skiff" >"$CONF"
	run limit 10 "$SKIFFD" --foreground --config "$CONF" --socket "$SOCK" \
		--state-dir "$STATE" --run-dir "$RUN"
	assert_equal "$status" 2
	assert_output "skiffd: device /dev/kvm is not in devices; list it there too"
	echo "devices = /dev/kvm, dev/skiff" >"$CONF"
	run limit 10 "$SKIFFD" --foreground --config "$CONF" --socket "$SOCK" \
		--state-dir "$STATE" --run-dir "$RUN"
	assert_equal "$status" 2
	assert_line --partial 'devices: "dev/skiff" is not an absolute path'
}

@test "a device taken out of the list: the vm stays, and is refused at start" {
	start_skiffd
	ctl create --name onskiff --device /dev/skiff "$(guest counter)" \
		>/dev/null
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	echo "devices = /dev/kvm" >"$CONF"
	start_skiffd
	run vm_field onskiff device
	assert_output /dev/skiff
	run --separate-stderr ctl start onskiff
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm onskiff: device /dev/skiff: not allowed (allowed: /dev/kvm)"
	run vm_field onskiff state
	assert_output defined
}

@test "stored definitions: a bad device is skipped, none means the daemon's" {
	start_skiffd
	ctl create --name bad --device /dev/skiff "$(guest counter)" >/dev/null
	ctl create --name old --device /dev/skiff "$(guest counter)" >/dev/null
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	f=$STATE/vms/bad/vm.json
	jq '.device = "/dev/kvm\n/etc/shadow"' "$f" >"$f.new" && mv "$f.new" "$f"
	# As written before VMs named their device.
	f=$STATE/vms/old/vm.json
	jq 'del(.device)' "$f" >"$f.new" && mv "$f.new" "$f"
	start_skiffd
	run ctl info bad
	assert_equal "$status" 4
	grep -q "vm bad: .*vm.json: Invalid params: device: vm bad: expected an absolute path" \
		"$SKIFFD_LOG"
	run vm_field old device
	assert_output /dev/kvm
}

@test "a vm runs on the device it names: its monitor is given that path" {
	require_kvm
	require_guest counter
	ln -s /dev/kvm "$ALIAS"
	start_skiffd
	ctl run --name aliased --mem 8 --device "$ALIAS" "$(guest counter)" \
		>/dev/null
	ctl run --name plain --mem 8 "$(guest counter)" >/dev/null
	wait_state aliased running
	wait_state plain running
	run monitor_device aliased
	assert_output "$ALIAS"
	run monitor_device plain
	assert_output /dev/kvm
	wait_until 5 ticks_at_least aliased 1
}

@test "kept across restarts: re-adopted with its device, and started on it again" {
	require_kvm
	require_guest counter
	ln -s /dev/kvm "$ALIAS"
	start_skiffd
	ctl run --name aliased --mem 8 --device "$ALIAS" "$(guest counter)" \
		>/dev/null
	ctl create --name idle --device /dev/skiff "$(guest counter)" >/dev/null
	wait_state aliased running
	pid=$(vm_field aliased pid)
	kill9_skiffd
	start_skiffd
	run vm_field aliased adopted
	assert_output true
	run vm_field aliased pid
	assert_output "$pid"
	run vm_field aliased device
	assert_output "$ALIAS"
	run ctl info aliased
	assert_line --regexp "^device +$ALIAS\$"
	run vm_field idle device
	assert_output /dev/skiff
	# Stopped, through a clean restart, and started again: same device.
	run ctl stop aliased
	assert_success
	restart_skiffd
	run vm_field aliased device
	assert_output "$ALIAS"
	ctl start aliased >/dev/null
	wait_state aliased running
	run monitor_device aliased
	assert_output "$ALIAS"
}
