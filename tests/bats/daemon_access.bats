#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Who may talk to skiffd, and what it opens for them: the socket's mode
# and group, SO_PEERCRED checked and logged, and no confused deputy
# (files are opened with the client's credentials; /etc/shadow as a
# disk is refused for an unprivileged client).

bats_require_minimum_version 1.5.0
load helpers
load ../daemon/bats_daemon

NOBODY=65534
GROUP=users

setup() {
	[ "$(id -u)" -eq 0 ] || skiff_must_have "needs root to switch users"
	command -v setpriv >/dev/null || skiff_must_have "needs setpriv(1)"
	getent group "$GROUP" >/dev/null || skiff_must_have "needs group $GROUP"
	GID=$(getent group "$GROUP" | cut -d: -f3)
	# Somewhere an unprivileged user can reach (bats' dir is 0700).
	PUB=$(mktemp -d /tmp/skiff-access.XXXXXX)
	chmod 0711 "$PUB"
	mkdir "$PUB/home"
	chown "$NOBODY:$NOBODY" "$PUB/home"
	cp "$(guest hello)" "$PUB/hello.hvt"
	chmod 0644 "$PUB/hello.hvt"
	SKIFFD_SOCK=$PUB/skiffd.sock
	skiffd_paths
	echo "socket_group = $GROUP" >"$CONF"
}

teardown() {
	teardown_skiffd
	rm -rf "$PUB"
}

# as_member / as_stranger ARGS...: skiffctl as nobody, with / without the
# socket's group.
as_member() {
	limit 20 setpriv --reuid=$NOBODY --regid=$NOBODY --groups="$GID" \
		"$SKIFFCTL" --socket "$PUB/skiffd.sock" "$@"
}

as_stranger() {
	limit 20 setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		"$SKIFFCTL" --socket "$PUB/skiffd.sock" "$@"
}

@test "socket is 0660 and owned by the configured group" {
	start_skiffd
	run stat -c '%a %G' "$PUB/skiffd.sock"
	assert_output "660 $GROUP"
}

@test "a second unprivileged user: refused without the group, served with it, logged" {
	start_skiffd
	run --separate-stderr as_stranger ls
	assert_equal "$status" 3
	[[ "$stderr" == *"Permission denied"* ]]
	run as_member ls
	assert_success
	assert_line --index 0 --partial NAME
	grep -qE "client [0-9]+: pid [0-9]+ uid $NOBODY gid $NOBODY connected" \
		"$SKIFFD_LOG"
}

@test "SO_PEERCRED is checked even when the socket mode lets everyone in" {
	echo "socket_mode = 0666" >>"$CONF"
	start_skiffd
	run --separate-stderr as_stranger ls
	assert_equal "$status" 6
	[[ "$stderr" == *"access denied"* ]]
	grep -q "uid $NOBODY gid $NOBODY: not root, not uid 0, not in the socket group; refused" \
		"$SKIFFD_LOG"
	run as_member ls
	assert_success
}

@test "confused deputy: /etc/shadow as a disk or a kernel is refused for an unprivileged client" {
	start_skiffd
	run --separate-stderr as_member create --name d1 \
		--block data=/etc/shadow "$PUB/hello.hvt"
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm d1: block data: /etc/shadow: Permission denied"
	run --separate-stderr as_member create --name d2 /etc/shadow
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm d2: kernel: /etc/shadow: Permission denied"
	run ctl ls
	refute_output --partial d1
	# Root may: the check is the client's own access, nothing else.
	run ctl create --name rootdisk --block data=/etc/shadow "$PUB/hello.hvt"
	assert_success
	ctl rm rootdisk >/dev/null
}

@test "confused deputy: a disk swapped for a link to /etc/shadow after create is refused at start" {
	start_skiffd
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		truncate -s 1M "$PUB/home/disk.img"
	run as_member create --name swap --block data="$PUB/home/disk.img" \
		"$PUB/hello.hvt"
	assert_success
	run vm_field swap owner.uid
	assert_output "$NOBODY"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		ln -sf /etc/shadow "$PUB/home/disk.img"
	run --separate-stderr as_member start swap
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm swap: block data: $PUB/home/disk.img: Permission denied (opened as uid $NOBODY)"
	run vm_field swap state
	assert_output defined
	[ -z "$(monitor_pids)" ]
}

@test "tap devices are for root clients only" {
	start_skiffd
	run --separate-stderr as_member create --name n1 --net service=tap0 \
		"$PUB/hello.hvt"
	assert_equal "$status" 6
	assert_equal "$stderr" \
		"skiffctl: vm n1: net service: only root may attach tap devices"
}

@test "other users' vms: a group member may look, not act or read the console" {
	require_kvm
	require_guest counter
	start_skiffd
	ctl run --name rootvm --mem 8 "$(guest counter)" >/dev/null
	wait_state rootvm running
	run as_member ls
	assert_success
	assert_output --partial rootvm
	run as_member --json info rootvm
	assert_success
	for cmd in stop kill pause logs rm; do
		run --separate-stderr as_member "$cmd" rootvm
		assert_equal "$status" 6
		assert_equal "$stderr" \
			"skiffctl: vm rootvm: owned by uid 0; uid $NOBODY may only look at it"
	done
	run vm_field rootvm state
	assert_output running
	# Its own vm: everything.
	run as_member run --attach --name mine "$PUB/hello.hvt" x
	assert_success
	assert_output --partial "arg 1: x"
	run as_member logs mine
	assert_output --partial "Hello, world!"
	run as_member rm mine
	assert_success
}

@test "an unprivileged member's own disk works: opened with its rights, used by the root monitor" {
	require_kvm
	require_guest block
	start_skiffd
	cp "$(guest block)" "$PUB/block.hvt"
	chmod 0644 "$PUB/block.hvt"
	awk 'BEGIN { for (b = 0; b < 512; b++) for (i = 0; i < 32; i++)
		printf "H%014d\n", b }' >"$PUB/home/disk.img"
	chown "$NOBODY:$NOBODY" "$PUB/home/disk.img"
	chmod 0600 "$PUB/home/disk.img"
	run as_member run --attach --name nb --mem 8 \
		--block disk="$PUB/home/disk.img" "$PUB/block.hvt"
	assert_success
	assert_line "block: 512 blocks read, written and verified"
	run head -c 15 "$PUB/home/disk.img"
	assert_output "G00000000000000"
}
