#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The systemd units: systemd-analyze verify, the security exposure
# (printed, and held under a limit), socket activation of skiffd through
# systemd-socket-activate, and make install's layout.

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

# Units as make install writes them, pointing at this build.
make_units() {
	U=$BATS_TEST_TMPDIR/units
	mkdir -p "$U"
	sed "s|@SBINDIR@|$SKIFF_BIN|g" "$SKIFF_TOP/systemd/skiffd.service.in" \
		>"$U/skiffd.service"
	cp "$SKIFF_TOP/systemd/skiffd.socket" "$U/"
}

teardown() {
	teardown_skiffd
}

@test "systemd-analyze verify accepts skiffd.service and skiffd.socket" {
	command -v systemd-analyze >/dev/null || skiff_must_have "systemd-analyze"
	make_units
	run systemd-analyze verify --man=no "$U/skiffd.service" "$U/skiffd.socket"
	assert_success
	assert_output ""
}

@test "the service is Type=notify, KillMode=process, keeps its run dir, allows only the VM devices" {
	make_units
	for line in Type=notify KillMode=process RuntimeDirectoryPreserve=yes \
		NoNewPrivileges=yes ProtectSystem=strict DevicePolicy=closed \
		"DeviceAllow=/dev/kvm rw" "DeviceAllow=/dev/skiff rw" \
		"DeviceAllow=/dev/net/tun rw" StateDirectory=skiff \
		RuntimeDirectory=skiff; do
		grep -qxF "$line" "$U/skiffd.service" || fail "missing: $line"
	done
}

@test "systemd-analyze security --offline: exposure printed and below 3.0" {
	command -v systemd-analyze >/dev/null || skiff_must_have "systemd-analyze"
	make_units
	run systemd-analyze security --offline=yes "$U/skiffd.service"
	{
		echo "# systemd-analyze security --offline=yes skiffd.service:"
		sed 's/^/#   /' <<<"$output"
	} >&3
	level=$(sed -n 's/.*Overall exposure level for skiffd.service: \([0-9.]*\).*/\1/p' <<<"$output")
	[ -n "$level" ] || fail "no exposure level in the output"
	awk -v l="$level" 'BEGIN { exit !(l < 3.0) }' ||
		fail "exposure $level is not below 3.0"
}

@test "socket activation: skiffd serves the socket systemd-socket-activate passes" {
	command -v systemd-socket-activate >/dev/null ||
		skiff_must_have "systemd-socket-activate"
	skiffd_paths
	systemd-socket-activate -l "$SOCK" "$SKIFFD" --config "$CONF" \
		--state-dir "$STATE" --run-dir "$RUN" >>"$SKIFFD_LOG" 2>&1 &
	SKIFFD_PID=$!
	echo "$SKIFFD_PID" >>"$D/skiffd.pids"
	wait_until 10 test -S "$SOCK"
	# The first connection starts skiffd (same pid: it execs).
	run ctl --json version
	assert_success
	assert_output --partial '"socket_activated": true'
	kill -0 "$SKIFFD_PID"
	grep -q "listening on the socket systemd passed" "$SKIFFD_LOG"
	run ctl ls
	assert_success
	# skiffd does not remove a socket it did not create.
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	test -S "$SOCK"
}

@test "make install puts binaries, units and man pages under DESTDIR" {
	dest=$BATS_TEST_TMPDIR/dest
	run make -s -C "$SKIFF_TOP" install-daemon DESTDIR="$dest" PREFIX=/usr
	assert_success
	for f in usr/sbin/skiffd usr/bin/skiffctl \
		usr/lib/systemd/system/skiffd.service \
		usr/lib/systemd/system/skiffd.socket \
		usr/lib/sysusers.d/skiff.conf usr/share/man/man8/skiffd.8 \
		usr/share/man/man1/skiffctl.1 usr/share/man/man8/skiff-monitor.8; do
		[ -f "$dest/$f" ] || fail "missing $f"
	done
	grep -qx "ExecStart=/usr/sbin/skiffd" "$dest/usr/lib/systemd/system/skiffd.service"
}

@test "man pages render without errors" {
	command -v groff >/dev/null || skip "groff is not installed"
	for m in skiffd.8 skiffctl.1 skiff-monitor.8; do
		run groff -man -Tutf8 -z "$SKIFF_TOP/man/$m"
		assert_success
		refute_output --partial error
	done
}

@test "sd_notify: READY=1 with a STATUS, watchdog pings, STOPPING=1 on SIGTERM" {
	skiffd_paths
	listener=$SKIFF_TOP/build/tests/daemon/notify-listen
	"$listener" "$D/notify.sock" 8 >"$D/notify.out" &
	lpid=$!
	wait_until 5 test -S "$D/notify.sock"
	(
		export NOTIFY_SOCKET=$D/notify.sock WATCHDOG_USEC=400000
		export WATCHDOG_PID=$BASHPID
		exec "$SKIFFD" --config "$CONF" --socket "$SOCK" \
			--state-dir "$STATE" --run-dir "$RUN"
	) >>"$SKIFFD_LOG" 2>&1 &
	SKIFFD_PID=$!
	echo "$SKIFFD_PID" >>"$D/skiffd.pids"
	wait_until 5 grep -q "READY=1" "$D/notify.out"
	# Under systemd skiffd stays in the foreground: the same pid serves.
	run ctl --json version
	assert_success
	assert_output --partial "\"pid\": $SKIFFD_PID"
	wait_until 5 grep -q "WATCHDOG=1" "$D/notify.out"
	kill -TERM "$SKIFFD_PID"
	wait "$SKIFFD_PID" || true
	wait_until 5 grep -q "STOPPING=1" "$D/notify.out"
	kill "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
	run grep "READY=1" "$D/notify.out"
	assert_output --partial "STATUS=serving 0 vms on $SOCK"
}
