#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# The SDK's sample and test guests under skiff-monitor: exact console
# output (stdout) and exit status of each. Expected values that depend on
# the image (addresses, sizes) are computed from the image itself.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	require_kvm
}

# addr_of IMAGE SYMBOL: the symbol's address as 0x-hex, no leading zeros.
addr_of() {
	local a
	a=$(nm "$SKIFF_GUESTS/$1.hvt" | awk -v s="$2" '$3 == s { print $1 }')
	[ -n "$a" ] || return 1
	printf '0x%x\n' "$((16#$a))"
}

# run_monitor_to FILE ARGS...: run_monitor with stdout going to FILE
# (for output too large or too long-running for $output).
run_monitor_to() {
	local out=$1
	shift
	run bash -c 'out=$1; shift; exec "$@" >"$out"' _ "$out" \
		timeout --kill-after="$(scaled 5)" "$(scaled "${SKIFF_TIMEOUT:-30}")" \
		"$MONITOR" $(monitor_device_args) "$@"
}

# insn_addr IMAGE FUNCTION MNEMONIC: address of MNEMONIC in FUNCTION.
insn_addr() {
	objdump -d --no-show-raw-insn "$SKIFF_GUESTS/$1.hvt" |
		awk -v f="<$2>:" -v m="$3" '
			$2 == f { infn = 1; next }
			/^$/ { infn = 0 }
			infn && $2 == m { sub(":", "", $1); print "0x" $1; exit }'
}

@test "hello prints a greeting and each argument" {
	require_guest hello
	run_monitor_split --mem=8 "$SKIFF_GUESTS/hello.hvt" one two three
	assert_success
	assert_output "Hello, world! (hello)
arg 1: one
arg 2: two
arg 3: three"
}

@test "hello without arguments prints only the greeting" {
	require_guest hello
	run_monitor_split --mem=8 -- "$SKIFF_GUESTS/hello.hvt"
	assert_success
	assert_output "Hello, world! (hello)"
}

@test "hello: arguments are joined with one space (hvt command line)" {
	require_guest hello
	run_monitor_split --mem=8 "$SKIFF_GUESTS/hello.hvt" "a b" c
	assert_success
	assert_output "Hello, world! (hello)
arg 1: a
arg 2: b
arg 3: c"
}

@test "hello: options after the kernel file are the guest's arguments" {
	require_guest hello
	run_monitor_split --mem=8 "$SKIFF_GUESTS/hello.hvt" --mem=2 -- -x
	assert_success
	assert_output "Hello, world! (hello)
arg 1: --mem=2
arg 2: --
arg 3: -x"
}

@test "tiny: a hand-written image (one R+X segment, no stack) prints and exits 7" {
	require_guest tiny
	run_monitor_split --mem=2 "$SKIFF_GUESTS/tiny.hvt"
	assert_equal "$status" 7
	assert_output "tiny"
}

@test "quiet prints nothing and exits 0" {
	require_guest quiet
	run_monitor_split --mem=4 "$SKIFF_GUESTS/quiet.hvt"
	assert_success
	assert_output ""
}

exit_case() {
	require_guest exit
	run_monitor_split --mem=4 "$SKIFF_GUESTS/exit.hvt" "$1"
	assert_equal "$status" "$2"
	assert_output "exit: status $1"
	refute grep -qF 'guest trap:' <<<"$stderr"
}

@test "exit 0 gives status 0" {
	exit_case 0 0
}

@test "exit 1 gives status 1" {
	exit_case 1 1
}

@test "exit 255 gives status 255" {
	exit_case 255 255
}

@test "exit 42 gives status 42" {
	exit_case 42 42
}

@test "exit statuses are taken mod 256 (256 -> 0, 300 -> 44)" {
	exit_case 256 0
	exit_case 300 44
}

@test "exit without a status prints usage and exits 2" {
	require_guest exit
	run_monitor_split --mem=4 "$SKIFF_GUESTS/exit.hvt"
	assert_equal "$status" 2
	assert_output "usage: exit STATUS (0..2147483647)"
}

@test "abort halts with 255 and no trap frame" {
	require_guest fault
	run_monitor_split --mem=4 "$SKIFF_GUESTS/fault.hvt" abort
	assert_equal "$status" 255
	assert_output "fault: abort"
	refute grep -qF 'guest trap:' <<<"$stderr"
}

# trap_case CASE NAME VECTOR ERROR_CODE CR2 [RIP]: the guest prints one
# trap line and halts with 255; the monitor reports the frame it got as
# the halt cookie.
trap_case() {
	local case=$1 name=$2 vec=$3 ec=$4 cr2=$5 rip=${6:-}

	require_guest fault
	run_monitor_split --mem=4 "$SKIFF_GUESTS/fault.hvt" "$case"
	assert_equal "$status" 255
	assert_line --index 0 "fault: $case"
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp "^skiff: trap: $name \\(vector $vec\\) error_code=$ec rip=0x[0-9a-f]+ cr2=$cr2 rsp=0x[0-9a-f]+ rflags=0x[0-9a-f]+\$"
	if [ -n "$rip" ]; then
		assert_line --index 1 --partial " rip=$rip "
	fi
	# The cookie: the monitor prints the frame the guest handed over.
	grep -F 'guest trap:' <<<"$stderr"
	if [ -n "$rip" ]; then
		grep -qE "rip=0x0*${rip#0x}\b" <<<"$stderr"
	fi
	grep -qE "error_code=(0x)?0*${ec#0x}\b" <<<"$stderr"
	grep -qE "cr2=(0x)?0*${cr2#0x}\b" <<<"$stderr"
}

@test "ud2 (#UD) halts with 255, trap report and frame" {
	trap_case ud2 '#UD' 6 0x0 '0x[0-9a-f]+' "$(insn_addr fault do_ud2 ud2)"
}

@test "divide by zero (#DE) halts with 255" {
	trap_case div0 '#DE' 0 0x0 '0x[0-9a-f]+' "$(insn_addr fault do_div0 div)"
}

@test "NULL read: the zero page is not mapped (#PF, cr2=0)" {
	trap_case null_read '#PF' 14 0x0 0x0
}

@test "NULL write: #PF with cr2=8 and the write bit in the error code" {
	trap_case null_write '#PF' 14 0x2 0x8
}

@test "boot info is read-only to the guest (#PF, present+write)" {
	trap_case bootinfo_write '#PF' 14 0x3 0x10000
}

@test "non-canonical address gives #GP" {
	trap_case noncanonical '#GP' 13 0x0 '0x[0-9a-f]+'
}

@test "nothing is mapped past guest memory (#PF)" {
	# --mem=4: 4 MiB mapped; the guest reads 2 MiB above that.
	trap_case beyond_memory '#PF' 14 0x0 0x600000
}

@test "write to text: the monitor stops the guest with 1" {
	require_guest fault
	run_monitor_split --mem=4 "$SKIFF_GUESTS/fault.hvt" write_text
	assert_failure 1
	assert_output "fault: write_text"
	[[ "$stderr" == *"write to read-only guest memory"* ]]
}

@test "time: monotonic never goes back, sleeps match, wall clock is the host's" {
	local before after mono wall guest
	require_guest time
	before=$(date +%s)
	run_monitor_split --mem=4 "$SKIFF_GUESTS/time.hvt"
	after=$(date +%s)
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 "time: monotonic ok (1000 samples)"
	assert_line --index 1 --regexp '^time: slept 200 ms: monotonic \+[0-9]+ ms, wall \+[0-9]+ ms$'
	assert_line --index 2 --regexp '^time: wall [0-9]+\.[0-9]{9}$'
	mono=$(sed -E 's/.*monotonic \+([0-9]+) ms.*/\1/' <<<"${lines[1]}")
	wall=$(sed -E 's/.*wall \+([0-9]+) ms.*/\1/' <<<"${lines[1]}")
	# At least the requested 200 ms, not absurdly more (a loaded host
	# may oversleep), and the TSC scaling agrees with the host's clock
	# over the same interval to within 100 ms.
	[ "$mono" -ge 200 ]
	[ "$mono" -le 5000 ]
	[ "$wall" -ge 200 ]
	[ "$wall" -le 5000 ]
	[ $((mono - wall)) -le 100 ]
	[ $((wall - mono)) -le 100 ]
	guest=$(sed -E 's/^time: wall ([0-9]+)\..*/\1/' <<<"${lines[2]}")
	[ "$guest" -ge $((before - 2)) ]
	[ "$guest" -le $((after + 2)) ]
}

@test "bigout: 1 MiB of console output arrives intact and in order" {
	local out=$BATS_TEST_TMPDIR/bigout want=$BATS_TEST_TMPDIR/want
	require_guest bigout
	SKIFF_TIMEOUT=60 run_monitor_to "$out" --mem=4 "$SKIFF_GUESTS/bigout.hvt"
	assert_success
	# The same 16384 lines, generated here from their definition.
	awk 'BEGIN {
		ab = "abcdefghijklmnopqrstuvwxyz"; ab = ab ab ab ab
		for (n = 0; n < 16384; n++)
			printf "%08x %s\n", n, substr(ab, n % 26 + 1, 54)
		print "bigout: bytes=1048576 lines=16384"
	}' >"$want"
	assert_equal "$(head -c 1048576 "$out" | wc -c)" 1048576
	cmp "$out" "$want"
}

@test "memory: every page from _end to the stack is zeroed, then holds a pattern" {
	local end start stop pages
	require_guest memory
	end=$(addr_of memory _end)
	start=$(( (end + 4095) & ~4095 ))
	stop=$(( 4 * 1024 * 1024 - 128 * 1024 ))
	pages=$(( (stop - start) / 4096 ))
	SKIFF_TIMEOUT=120 run_monitor_split --mem=4 "$SKIFF_GUESTS/memory.hvt"
	assert_success
	assert_output "$(printf 'memory: 0x%x-0x%x: %d pages zeroed and verified' \
		"$start" "$stop" "$pages")"
}

# make_disk FILE BYTES BLOCKSIZE TAG: 16-byte lines "<TAG><block, 14 digits>\n".
make_disk() {
	awk -v bytes="$2" -v bs="$3" -v tag="$4" 'BEGIN {
		for (b = 0; b < bytes / bs; b++)
			for (i = 0; i < bs / 16; i++)
				printf "%s%014d\n", tag, b
	}' >"$1"
}

block_case() {
	local bs=$1 disk=$BATS_TEST_TMPDIR/disk.img want=$BATS_TEST_TMPDIR/want
	local size=$((256 * 1024))
	require_guest block
	make_disk "$disk" "$size" "$bs" H
	make_disk "$want" "$size" "$bs" G
	run_monitor_split --mem=8 --block:disk="$disk" \
		--block-sector-size:disk="$bs" "$SKIFF_GUESTS/block.hvt"
	assert_success
	assert_output "block: capacity=$size block_size=$bs
block: $((size / bs)) blocks read, written and verified
block: bounds ok"
	# What the guest wrote is on the disk, from the host's side.
	cmp "$disk" "$want"
}

@test "block: 512-byte sectors: read, write, verify, bounds" {
	block_case 512
}

@test "block: 4096-byte sectors: read, write, verify, bounds" {
	block_case 4096
}

@test "block: a declared block device must be attached" {
	require_guest block
	run_monitor_split --mem=8 "$SKIFF_GUESTS/block.hvt"
	assert_failure 1
	assert_output ""
	[ -n "$stderr" ]
}

# What the backend does with SSE: hardware KVM (kvm_amd in the lab,
# kvm_intel/kvm_amd on metal) and skiff.ko run it; nested PVM cannot
# emulate the guest's SSE instructions, and the monitor says so.
@test "fpu: SSE runs on hardware KVM; on PVM the monitor names the emulation failure" {
	require_guest fpu
	run_monitor_split --mem=4 "$SKIFF_GUESTS/fpu.hvt"
	case $(kvm_backend) in
	kvm_amd | kvm_intel | skiff_svm | skiff_vmx)
		assert_success
		assert_output "fpu: start
fpu: mxcsr=0x1f80 sum=19"
		;;
	kvm_pvm)
		assert_failure 1
		assert_output "fpu: start"
		[[ "$stderr" == *"KVM internal error: the host could not emulate the guest instruction"* ]]
		;;
	*)
		fail "no expected outcome for backend $(kvm_backend)"
		;;
	esac
}

@test "counter ticks once a second until killed" {
	local out=$BATS_TEST_TMPDIR/counter
	require_guest counter
	# 4.5 s is the window the ticks are counted in, not a limit: it
	# is not scaled in the lab (ticks follow the host's clock there too).
	run bash -c 'exec timeout 4.5 "$0" $3 --mem=4 "$1" >"$2"' \
		"$MONITOR" "$SKIFF_GUESTS/counter.hvt" "$out" \
		"$(monitor_device_args)"
	# Killed by timeout(1), not ended by itself.
	assert_equal "$status" 124
	run cat "$out"
	assert_line --index 0 "tick 1"
	assert_line --index 1 "tick 2"
	assert_line --index 2 "tick 3"
	# One a second: 4 or 5 in 4.5 s, at least 3 if boot was slow.
	[ "${#lines[@]}" -ge 3 ]
	[ "${#lines[@]}" -le 6 ]
	run awk '$0 != "tick " NR { exit 1 }' "$out"
	assert_success
}

@test "bench_hypercall N makes N hypercalls silently and exits 0" {
	require_guest bench_hypercall
	run_monitor_split --mem=4 "$SKIFF_GUESTS/bench_hypercall.hvt" 1000
	assert_success
	assert_output ""
	run_monitor_split --mem=4 "$SKIFF_GUESTS/bench_hypercall.hvt" x
	assert_equal "$status" 2
	assert_output "usage: bench_hypercall N"
}

# kernel_end_of IMAGE: the largest page-rounded end of the PT_LOADs that
# have file bytes (HVT_ABI.md 1.2), from the program headers.
kernel_end_of() {
	local type off vaddr paddr filesz memsz end max=0
	while read -r type off vaddr paddr filesz memsz _; do
		[ "$type" = LOAD ] || continue
		[ $((filesz)) -gt 0 ] || continue
		end=$(( (vaddr + memsz + 4095) & ~4095 ))
		[ "$end" -le "$max" ] || max=$end
	done < <(readelf -lW "$1")
	printf '0x%x\n' "$max"
}

@test "solo5_layout: a Solo5-layout image runs, with the boot info the ABI describes" {
	local img=$SKIFF_GUESTS/solo5_layout.hvt
	require_guest solo5_layout
	run_monitor_split --mem=8 "$img" a "b c"
	assert_success
	# mft right after the 56-byte boot info; the command line right after
	# the manifest (8 + 104 bytes for one entry).
	assert_output "solo5_layout: mem_size=0x800000 kernel_end=$(kernel_end_of "$img")
solo5_layout: mft=0x10038 entries=1 cmdline=0x$(printf '%x' $((0x10038 + 8 + 104)))
solo5_layout: cmdline \"a b c\"
solo5_layout: arg 1: a
solo5_layout: arg 2: b
solo5_layout: arg 3: c"
}

@test "--mem is rounded down to a multiple of 2 MiB (9 MiB gives 8)" {
	require_guest solo5_layout
	run_monitor_split --mem=9 "$SKIFF_GUESTS/solo5_layout.hvt"
	assert_success
	assert_line --index 0 --partial "mem_size=0x800000 "
}

@test "the smallest memory, 2 MiB, runs a small guest" {
	require_guest hello
	run_monitor_split --mem=2 "$SKIFF_GUESTS/hello.hvt" x
	assert_success
	assert_output "Hello, world! (hello)
arg 1: x"
}

@test "a guest whose .bss does not fit in memory aborts with 255" {
	local end
	require_guest solo5_layout
	# The loader skips the .bss PT_LOAD (no file bytes), so only the
	# SDK's own check stands between the guest and memory it lacks.
	end=$(addr_of solo5_layout _end)
	run_monitor_split --mem=2 "$SKIFF_GUESTS/solo5_layout.hvt"
	assert_equal "$status" 255
	assert_output "skiff: panic: not enough memory: image ends at $end, mem_size 0x200000"
}
