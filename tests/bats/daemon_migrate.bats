#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Live migration between two skiffds: two "hosts" are network namespaces
# joined by a veth pair (10.99.0.1/24 and 10.99.0.2/24, nothing routed
# anywhere else), each with a skiffd of its own and its own state and run
# directories. The destination runs migration.prepare (skiffctl
# incoming), the source vm.migrate (skiffctl migrate). In every cell the
# guest must run on exactly one host afterwards.

bats_require_minimum_version 1.5.0
load helpers

SKIFFD=${SKIFFD_BIN:-$SKIFF_BIN/skiffd}
SKIFFCTL=$SKIFF_BIN/skiffctl
A_IP=10.99.0.1
B_IP=10.99.0.2

setup() {
	require_kvm
	require_guest counter
	command -v ip >/dev/null || skip "no ip(8)"
	NS_A=skmig-a-$$
	NS_B=skmig-b-$$
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	ip link add skmiga$$ netns "$NS_A" type veth peer name skmigb$$ netns "$NS_B"
	ip -n "$NS_A" addr add "$A_IP/24" dev skmiga$$
	ip -n "$NS_B" addr add "$B_IP/24" dev skmigb$$
	ip -n "$NS_A" link set skmiga$$ up
	ip -n "$NS_B" link set skmigb$$ up
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
	start_host a
	start_host b
}

teardown() {
	local h pid
	for h in a b; do
		[ -f "$BATS_TEST_TMPDIR/$h/pids" ] || continue
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null || true
		done <"$BATS_TEST_TMPDIR/$h/pids"
	done
	for pid in $(host_monitors a) $(host_monitors b); do
		kill -9 "$pid" 2>/dev/null || true
	done
	for h in a b; do
		echo "--- skiffd $h:" >&2
		tail -n 30 "$BATS_TEST_TMPDIR/$h/skiffd.log" >&2 2>/dev/null || true
	done
	ip netns del "$NS_A" 2>/dev/null || true
	ip netns del "$NS_B" 2>/dev/null || true
}

# start_host a|b: that host's skiffd, in its namespace; its config file
# ($BATS_TEST_TMPDIR/H/skiffd.conf) may be written before.
start_host() {
	local h=$1 dir=$BATS_TEST_TMPDIR/$1 ns mon=()
	ns=$([ "$h" = a ] && echo "$NS_A" || echo "$NS_B")
	# check-daemon-san's skiffd is not next to the monitor
	[ -z "${SKIFFD_MONITOR:-}" ] || mon=(--monitor "$SKIFFD_MONITOR")
	mkdir -p "$dir"
	[ -f "$dir/skiffd.conf" ] || echo "monitor_timeout = $(scaled 2)" >"$dir/skiffd.conf"
	ip netns exec "$ns" "$SKIFFD" --foreground --config "$dir/skiffd.conf" \
		--socket "$dir/s.sock" --state-dir "$dir/state" \
		--run-dir "$dir/run" "${mon[@]}" >>"$dir/skiffd.log" 2>&1 3>&- &
	echo $! >"$dir/pid"
	echo $! >>"$dir/pids"
	wait_until 10 on_quiet "$h" version
}

kill9_host() {
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/$1/pid")
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
}

# on a|b ARGS...: skiffctl against that host's daemon, bounded in time.
on() {
	local h=$1
	shift
	limit "${SKIFF_TIMEOUT:-60}" "$SKIFFCTL" --socket "$BATS_TEST_TMPDIR/$h/s.sock" "$@"
}

on_quiet() {
	on "$@" >/dev/null 2>&1
}

no_monitor_on() {
	[ -z "$(host_monitors "$1")" ]
}

host_monitors() {
	pgrep -f -- "--control=$BATS_TEST_TMPDIR/$1/run/" || true
}

vm_state_on() {
	on "$1" --json info "$2" 2>/dev/null | jq -r .state
}

state_is() {
	[ "$(vm_state_on "$1" "$2")" = "$3" ]
}

has_vm() {
	on "$1" --json ls | jq -e --arg n "$2" 'any(.vms[]; .name == $n)' >/dev/null
}

lacks_vm() {
	! has_vm "$@"
}

ticks_of() {
	sed -n 's/^tick \([0-9]*\)$/\1/p' "$1"
}

ticked_on() {
	on "$1" logs "$2" | grep -q "^tick $3\$"
}

# runs_only_on H NAME: the guest runs on H, and on the other host there
# is no such VM and no monitor at all. Each side learns the outcome from
# its own monitor (a poll or an exit away): allow them a moment.
runs_only_on() {
	local other
	other=$([ "$1" = a ] && echo b || echo a)
	wait_until 10 state_is "$1" "$2" running ||
		fail "vm $2 is $(vm_state_on "$1" "$2") on $1, wanted running"
	wait_until 10 lacks_vm "$other" "$2" ||
		fail "vm $2 is still listed on $other"
	wait_until 10 no_monitor_on "$other" ||
		fail "a monitor still runs on $other: $(host_monitors "$other")"
	[ "$(host_monitors "$1" | wc -l)" -eq 1 ] ||
		fail "$(host_monitors "$1" | wc -l) monitors on $1"
}

# incoming H [ARGS...]: skiffctl incoming on H; "ADDR:PORT" in $DEST,
# the token in $TOKEN.
incoming() {
	local h=$1 line
	shift
	line=$(on "$h" incoming --listen "$([ "$h" = a ] && echo $A_IP || echo $B_IP):0" "$@")
	[[ $line =~ ^([0-9.]+:[0-9]+)\ ([0-9a-f]{64})$ ]] ||
		fail "skiffctl incoming printed: $line"
	DEST=${BASH_REMATCH[1]}
	TOKEN=${BASH_REMATCH[2]}
}

rpc_on() {
	local h=$1
	shift
	printf '%s\n' "$@" | limit 30 "$SKIFF_TOP/build/tests/daemon/rpc-pipe" \
		"$BATS_TEST_TMPDIR/$h/s.sock"
}

# console_first H NAME: the console log offset of the first byte H holds.
console_first() {
	rpc_on "$1" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vm.console\",\"params\":{\"name\":\"$2\",\"offset\":0,\"max_bytes\":1}}" |
		jq -e .result.offset
}

start_counter() {
	on "$1" run --name "$2" --mem 8 "$SKIFF_GUESTS/counter.hvt" >/dev/null
	wait_until 10 ticked_on "$1" "$2" 2
}

# follow H NAME FILE: the console of NAME on H, to FILE, until it ends
# there (after a migration the VM and its log are gone from the source).
follow() {
	on "$1" logs -f "$2" >"$3" 2>/dev/null 3>&- &
	FOLLOW_PID=$!
	echo "$FOLLOW_PID" >>"$BATS_TEST_TMPDIR/a/pids"
	wait_until 5 test -s "$3"
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

# migrate_ok FROM TO NAME: the counter moves; its ticks go on, and so
# do its console log's offsets: the destination's first byte is at the
# offset after the source's last.
migrate_ok() {
	local from=$1 to=$2 name=$3 log=$BATS_TEST_TMPDIR/src-$1.log last first
	local src_first dst_first
	src_first=$(console_first "$from" "$name")
	follow "$from" "$name" "$log"
	incoming "$to"
	run on "$from" migrate "$name" "$DEST" --token "$TOKEN"
	assert_success
	assert_output --regexp "migrated $name to $DEST: [0-9.]+ s, downtime [0-9.]+ ms, [0-9]+ rounds, [0-9.]+ MiB, [0-9]+ pages"
	runs_only_on "$to" "$name"
	wait_until 5 ticked_on "$to" "$name" '[0-9]*'
	# logs -f ends when the source's VM stops, after its last bytes.
	wait_until 10 gone "$FOLLOW_PID"
	last=$(ticks_of "$log" | tail -n1)
	first=$(on "$to" logs "$name" | sed -n 's/^tick \([0-9]*\)$/\1/p' | head -n1)
	[ -n "$last" ] && [ "$first" -eq $((last + 1)) ] ||
		fail "the source's last tick was '$last', the destination's first '$first'"
	dst_first=$(console_first "$to" "$name")
	[ "$dst_first" -eq $((src_first + $(wc -c <"$log"))) ] ||
		fail "the source's log held offsets $src_first to $((src_first + $(wc -c <"$log"))), the destination's starts at $dst_first"
}

@test "a counter migrates there and back; its ticks go on; skiffctl incoming/migrate output" {
	start_counter a c1
	migrate_ok a b c1
	run on a --json ls
	assert_output --partial '"vms": []'
	migrate_ok b a c1
	wait_until 5 ticked_on a c1 '[0-9]*'
}

churn_printed() {
	on "$1" logs "$2" | grep -q "^churn $3 ok"
}

# The churn guest (12 MiB rewritten at 8 MiB/s, checking all of it
# continuously) moves between the two hosts 20 times while it runs, then
# ends by itself with status 0 where it is. Its console, followed on each
# source until the VM left, and then the last host's log, must count on
# without a gap or a repeat.
@test "churn migrates there and back 20 times: memory intact, console without gaps, exit 0" {
	require_guest churn
	local from=a to=b hop secs all=$BATS_TEST_TMPDIR/all.log
	# Long enough for the hops (about 2 s each here; the lab is slower).
	secs=$(( ${SKIFF_TIME_FACTOR:-1} > 1 ? 400 : 75 ))
	on a run --name ch --mem 16 "$SKIFF_GUESTS/churn.hvt" 12 8 "$secs" >/dev/null
	wait_until 10 churn_printed a ch 2
	: >"$all"
	for hop in $(seq 20); do
		follow "$from" ch "$BATS_TEST_TMPDIR/hop$hop.log"
		incoming "$to"
		run on "$from" migrate ch "$DEST" --token "$TOKEN"
		assert_success
		runs_only_on "$to" ch
		wait_until 10 gone "$FOLLOW_PID"
		cat "$BATS_TEST_TMPDIR/hop$hop.log" >>"$all"
		from=$to
		to=$([ "$to" = a ] && echo b || echo a)
	done
	wait_until "$((secs + 30))" state_is "$from" ch stopped
	on "$from" logs ch >>"$all"
	[ "$(on "$from" --json info ch | jq -r .exit.status)" = 0 ] ||
		fail "churn exited $(on "$from" --json info ch | jq -c .exit): $(grep -v '^churn [0-9]* ok' "$all")"
	refute grep -q CORRUPTION "$all"
	# Each host's log starts where the last one ended: counts 1, 2, ...
	# with nothing missing and nothing twice.
	run bash -c "sed -n 's/^churn \([0-9]*\) ok: .*/\1/p' '$all' | awk '\$1 != NR { print \"line \" NR \": \" \$1; exit 1 }'"
	assert_success
}

@test "a wrong token is refused; the guest runs on at the source; the right one still works" {
	start_counter a c1
	incoming b
	run on a migrate c1 "$DEST" --token "$(printf '%064d' 7)"
	assert_failure
	assert_output --partial "vm c1: migration to $DEST:"
	assert_output --partial "the guest runs on here"
	runs_only_on a c1
	grep -q "refused" "$BATS_TEST_TMPDIR/b/skiffd.log"
	# The token was not spent by the wrong one.
	run on a migrate c1 "$DEST" --token "$TOKEN"
	assert_success
	runs_only_on b c1
}

@test "an expired token: the listener is gone, the guest runs on at the source" {
	start_counter a c1
	incoming b --expire 1
	wait_until 5 grep -q "the token expired" "$BATS_TEST_TMPDIR/b/skiffd.log"
	run on a migrate c1 "$DEST" --token "$TOKEN"
	assert_failure
	assert_output --partial "connecting: Connection refused; the guest runs on here"
	runs_only_on a c1
}

@test "a destination without the memory refuses; the guest stays at the source" {
	echo "guest_mem_mib = 4" >"$BATS_TEST_TMPDIR/b/skiffd.conf"
	kill9_host b
	start_host b
	start_counter a c1
	incoming b
	run on a migrate c1 "$DEST" --token "$TOKEN"
	assert_failure
	assert_output --partial "the destination refused: vm c1: 8 MiB of guest memory does not fit"
	assert_output --partial "the guest runs on here"
	runs_only_on a c1
	# A name that exists there is refused the same way.
	echo "monitor_timeout = $(scaled 2)" >"$BATS_TEST_TMPDIR/b/skiffd.conf"
	kill9_host b
	start_host b
	on b create --name c1 --mem 8 "$SKIFF_GUESTS/counter.hvt" >/dev/null
	incoming b
	run on a migrate c1 "$DEST" --token "$TOKEN"
	assert_failure
	assert_output --partial "the destination refused: vm c1: already exists on the destination"
	state_is a c1 running
	state_is b c1 defined
}

# slow_migrate: c1 from a to b at a crawl, in the background; its output
# in $BATS_TEST_TMPDIR/migrate.out, its status in migrate.rc.
slow_migrate() {
	incoming b
	(
		rc=0
		on a migrate c1 "$DEST" --token "$TOKEN" --bandwidth 0.02 \
			>"$BATS_TEST_TMPDIR/migrate.out" 2>&1 || rc=$?
		echo "$rc" >"$BATS_TEST_TMPDIR/migrate.rc"
	) 3>&- &
	MIGRATE_PID=$!
	wait_until 10 state_is b c1 incoming
}

@test "pause, resume and stop are refused while the vm migrates" {
	start_counter a c1
	slow_migrate
	run on a pause c1
	assert_failure
	assert_output --partial "vm c1: cannot pause: a live migration of the vm is running"
	run on a stop c1
	assert_failure
	assert_output --partial "cannot stop"
	wait_until 60 test -s "$BATS_TEST_TMPDIR/migrate.rc"
	[ "$(cat "$BATS_TEST_TMPDIR/migrate.rc")" = 0 ] ||
		fail "migrate: $(cat "$BATS_TEST_TMPDIR/migrate.out")"
	cat "$BATS_TEST_TMPDIR/migrate.out" >&2
	# Not a terminal: the progress as plain lines, then the figures.
	grep -Eq '^c1: (precopy|final|commit) +round [0-9]+, [0-9.]+ MiB sent \([0-9]+ pages\)' "$BATS_TEST_TMPDIR/migrate.out"
	grep -q "downtime" "$BATS_TEST_TMPDIR/migrate.out"
	runs_only_on b c1
}

@test "the destination's skiffd killed mid-migration: the migration completes, the restarted one adopts the vm" {
	start_counter a c1
	slow_migrate
	kill9_host b
	start_host b
	wait_until 60 test -s "$BATS_TEST_TMPDIR/migrate.rc"
	[ "$(cat "$BATS_TEST_TMPDIR/migrate.rc")" = 0 ] ||
		fail "migrate: $(cat "$BATS_TEST_TMPDIR/migrate.out")"
	wait_until 10 state_is b c1 running
	runs_only_on b c1
	wait_until 5 ticked_on b c1 '[0-9]*'
}

@test "the source's skiffd killed mid-migration: the monitor completes it, the restarted one drops the vm" {
	start_counter a c1
	slow_migrate
	kill9_host a
	# The client saw its daemon go; the monitor goes on without it.
	wait_until 10 test -s "$BATS_TEST_TMPDIR/migrate.rc"
	grep -q "skiffd closed the connection" "$BATS_TEST_TMPDIR/migrate.out"
	wait_until 60 no_monitor_on a
	start_host a
	wait_until 10 lacks_vm a c1
	grep -q "vm c1: removed: it runs on the destination now" "$BATS_TEST_TMPDIR/a/skiffd.log"
	wait_until 10 state_is b c1 running
	runs_only_on b c1
}

@test "a source skiffd restarted mid-migration learns it from the monitor and refuses a pause" {
	start_counter a c1
	slow_migrate
	kill9_host a
	start_host a
	# Adopted: the monitor's monitor.info carries its migration.
	run on a pause c1
	assert_failure
	assert_output --partial "vm c1: cannot pause: a live migration of the vm is running"
	wait_until 60 lacks_vm a c1
	runs_only_on b c1
}

@test "the caller disconnects mid-migration: the migration completes all the same" {
	start_counter a c1
	slow_migrate
	# The client (the subshell's skiffctl) goes away without a word.
	pkill -9 -P "$MIGRATE_PID" timeout || true
	pkill -9 -f -- "skiffctl --socket $BATS_TEST_TMPDIR/a/s.sock migrate" || true
	wait_until 60 lacks_vm a c1
	wait_until 10 state_is b c1 running
	runs_only_on b c1
	grep -q "vm c1: removed: it runs on the destination now" "$BATS_TEST_TMPDIR/a/skiffd.log"
}

@test "the destination's monitor dies mid-migration: the vm is removed there, the guest runs on at the source" {
	start_counter a c1
	slow_migrate
	kill -9 "$(host_monitors b)"
	wait_until 60 test -s "$BATS_TEST_TMPDIR/migrate.rc"
	[ "$(cat "$BATS_TEST_TMPDIR/migrate.rc")" != 0 ]
	grep -q "vm c1: monitor: " "$BATS_TEST_TMPDIR/migrate.out"
	grep -q "the guest runs on here" "$BATS_TEST_TMPDIR/migrate.out"
	wait_until 10 lacks_vm b c1
	grep -q "vm c1: incoming migration: " "$BATS_TEST_TMPDIR/b/skiffd.log"
	runs_only_on a c1
	local n
	n=$(on a logs c1 | grep -c '^tick ')
	wait_until 5 ticked_on a c1 "$((n + 1))"
}

blocklog_ok() {
	on "$1" logs "$2" | grep -q "^blocklog $3 ok\$"
}

# disk_entry FILE N: what block N % 4096 of FILE (512-byte blocks) starts
# with; blocklog writes entry N there as 16-byte lines "L<N, 14 digits>\n".
disk_entry() {
	dd if="$1" bs=512 skip=$(($2 % 4096)) count=1 status=none | head -c 15
}

# migrate_blocklog DISK [INCOMING_ARGS...]: the blocklog guest keeps a log
# on DISK (2 MiB), one entry a second, each read back with the one before
# it. It moves from a to b mid-run: on b it reads back what it wrote on
# a (shared storage), and goes on. The disk is DISK on b unless the
# arguments map it elsewhere.
migrate_blocklog() {
	local disk=$1 src=$BATS_TEST_TMPDIR/src.log n
	shift
	require_guest blocklog
	truncate -s 2M "$disk"
	on a run --name b1 --mem 8 --block "disk=$disk" "$SKIFF_GUESTS/blocklog.hvt" >/dev/null
	wait_until 10 blocklog_ok a b1 2
	follow a b1 "$src"
	incoming b "$@"
	run on a migrate b1 "$DEST" --token "$TOKEN"
	assert_success
	runs_only_on b b1
	wait_until 10 gone "$FOLLOW_PID"
	n=$(sed -n 's/^blocklog \([0-9]*\) ok$/\1/p' "$src" | tail -n1)
	[ -n "$n" ] || fail "the source's log has no entry: $(cat "$src")"
	# Entry n + 1, written on b, is checked with entry n, written on a.
	wait_until 10 blocklog_ok b b1 $((n + 2))
	on b stop b1 >/dev/null
	wait_until 10 state_is b b1 stopped
	run on b logs b1
	refute_output --partial "does not hold"
	refute_output --partial "failed"
	[ "$(on b logs b1 | sed -n 's/^blocklog \([0-9]*\) ok$/\1/p' | head -n1)" = $((n + 1)) ] ||
		fail "the destination's first entry is not $((n + 1)): $output"
	LAST_ENTRY=$((n + 2))
}

@test "a block guest migrates mid-run with shared storage and goes on with the same disk" {
	local disk=$BATS_TEST_TMPDIR/disk.img
	migrate_blocklog "$disk"
	lacks_vm a b1
	[ "$(disk_entry "$disk" "$LAST_ENTRY")" = "$(printf 'L%014d' "$LAST_ENTRY")" ]
}

@test "--map-block: the destination reaches the same disk under another path" {
	local disk=$BATS_TEST_TMPDIR/disk.img
	local other=$BATS_TEST_TMPDIR/other-mount/disk.img
	mkdir -p "$(dirname "$other")"
	: >"$disk"
	ln "$disk" "$other"
	migrate_blocklog "$disk" --map-block "disk=$other"
	[ "$(on b --json info b1 | jq -r '.block[0].path')" = "$other" ]
	[ "$(disk_entry "$other" "$LAST_ENTRY")" = "$(printf 'L%014d' "$LAST_ENTRY")" ]
}

# rpc H LINE...: raw JSON-RPC lines on one connection to H's daemon.
@test "the API: bad params name their field, a stopped vm cannot migrate, progress reaches the caller" {
	local tok
	tok=$(printf '%064d' 1)
	run rpc_on b '{"jsonrpc":"2.0","id":1,"method":"migration.prepare","params":{"listen":"localhost:0"}}' \
		'{"jsonrpc":"2.0","id":2,"method":"migration.prepare","params":{"map_net":{"service":"bad tap"}}}' \
		'{"jsonrpc":"2.0","id":3,"method":"migration.prepare","params":{"expire_s":0}}'
	assert_line --partial '"id":1,"error":{"code":-32602'
	assert_output --partial '"field":"listen"'
	assert_output --partial '"field":"map_net"'
	assert_output --partial '"field":"expire_s"'
	on a create --name s1 --mem 8 "$SKIFF_GUESTS/counter.hvt" >/dev/null
	run rpc_on a "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"vm.migrate\",\"params\":{\"name\":\"s1\",\"destination\":\"$B_IP:7460\",\"token\":\"$tok\"}}" \
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"vm.migrate\",\"params\":{\"name\":\"s1\",\"destination\":\"$B_IP\",\"token\":\"$tok\"}}" \
		"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"vm.migrate\",\"params\":{\"name\":\"s1\",\"destination\":\"$B_IP:7460\",\"token\":\"abc\"}}"
	assert_output --partial '"id":4,"error":{"code":-32001,"message":"vm s1: cannot migrate: vm is defined (allowed when running or paused)"'
	assert_output --partial '"field":"destination"'
	assert_output --partial '"field":"token"'
	# A live one: the caller sees migration.progress, then the figures.
	start_counter a c1
	incoming b
	run rpc_on a "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"vm.migrate\",\"params\":{\"name\":\"c1\",\"destination\":\"$DEST\",\"token\":\"$TOKEN\",\"bandwidth_mib_s\":0.05}}"
	assert_success
	assert_output --regexp '"method":"migration.progress","params":\{"name":"c1","phase":"(precopy|final|commit)","round":[0-9]+,"pages_sent":[0-9]+,"bytes_sent":[0-9]+,"dirty_rate_mib_s":[0-9.e+-]+,"estimated_downtime_ms":[0-9.e+-]+\}'
	assert_output --regexp '"id":7,"result":\{"name":"c1","destination":"[0-9.:]+","total_seconds":[0-9.e+-]+,"downtime_ms":[0-9.e+-]+,"rounds":[0-9]+,"bytes":[0-9]+,"pages":[0-9]+\}'
	runs_only_on b c1
}

@test "--map-net: a net guest answers ping on the destination's tap, its MAC kept" {
	require_tap
	require_guest net
	ip -n "$NS_A" tuntap add tap0 mode tap
	ip -n "$NS_A" addr add 10.98.0.1/24 dev tap0
	ip -n "$NS_A" link set tap0 up
	ip -n "$NS_B" tuntap add tapm mode tap
	ip -n "$NS_B" addr add 10.98.0.1/24 dev tapm
	ip -n "$NS_B" link set tapm up
	on a run --name n1 --mem 8 --net service0=tap0,mac=02:00:5e:10:00:0a \
		"$SKIFF_GUESTS/net.hvt" 10.98.0.2 >/dev/null
	wait_until 10 state_is a n1 running
	ip netns exec "$NS_A" ping -c 1 -W "$(scaled 2)" 10.98.0.2
	incoming b --map-net service0=tapm
	run on a migrate n1 "$DEST" --token "$TOKEN"
	assert_success
	runs_only_on b n1
	run ip netns exec "$NS_B" ping -c 2 -i 0.3 -W "$(scaled 2)" 10.98.0.2
	assert_success
	assert_output --partial "2 packets transmitted, 2 received"
	[ "$(on b --json info n1 | jq -r '.net[0].tap')" = tapm ]
	[ "$(on b --json info n1 | jq -r '.net[0].mac')" = 02:00:5e:10:00:0a ]
}
