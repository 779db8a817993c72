#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
#
# Static checks of every image in build/unikernels against HVT_ABI.md:
# the ELF header (1.1), the PT_LOAD rules a tender applies (1.2), and the
# Solo5 notes byte for byte (1.3, 1.4). The bytes are read with od from
# the program headers, as a tender does; section headers are not used.
# No KVM needed.

bats_require_minimum_version 1.5.0
load helpers

MIB=$((1024 * 1024))
MFTGEN=$SKIFF_TOP/build/obj/unikernels/sdk/mftgen

# Devices each image declares (NAME:TYPE, 1 = BLOCK_BASIC, 2 = NET_BASIC).
declare -gA DEVICES=(
	[block]="disk:1"
	[blocklog]="disk:1"
	[hostile_block]="disk:1"
	[net]="service0:2"
)

images() {
	local f
	for f in "$SKIFF_GUESTS"/*.hvt; do
		[ -f "$f" ] && echo "$f"
	done
}

# u FILE OFFSET SIZE: unsigned little-endian integer (SIZE 1, 2, 4 or 8).
u() {
	od -An -v -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# hex FILE OFFSET COUNT: the bytes as one lowercase hex string.
hex() {
	od -An -v -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# phdrs FILE: one line per program header:
# type flags offset vaddr filesz memsz align
phdrs() {
	local f=$1 phoff phnum i base
	local -a w
	phoff=$(u "$f" 32 8)
	phnum=$(u "$f" 56 2)
	# shellcheck disable=SC2207 # numbers only: splitting is intended
	w=($(od -An -v -t u4 -j "$phoff" -N $((phnum * 56)) "$f"))
	for ((i = 0; i < phnum; i++)); do
		base=$((i * 14))
		echo "${w[base]} ${w[base + 1]}" \
			"$((w[base + 2] + (w[base + 3] << 32)))" \
			"$((w[base + 4] + (w[base + 5] << 32)))" \
			"$((w[base + 8] + (w[base + 9] << 32)))" \
			"$((w[base + 10] + (w[base + 11] << 32)))" \
			"$((w[base + 12] + (w[base + 13] << 32)))"
	done
}

# le32 N: N as the 8 hex digits of its little-endian bytes.
le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}

# note_segments FILE TYPE: "offset filesz" of each PT_NOTE whose first
# note is a Solo5 note of TYPE (a tender reads only the first one).
note_segments() {
	local type flags off vaddr filesz memsz align
	while read -r type flags off vaddr filesz memsz align; do
		[ "$type" -eq 4 ] || continue
		[ "$filesz" -ge 20 ] || continue
		[ "$(u "$1" "$off" 4)" -eq 6 ] || continue
		[ "$(hex "$1" $((off + 12)) 8)" = 536f6c6f35000000 ] || continue
		[ "$(u "$1" $((off + 8)) 4)" -eq "$2" ] || continue
		echo "$off $filesz"
	done < <(phdrs "$1")
}

@test "there are images to check" {
	[ "$(images | wc -l)" -ge 10 ]
}

@test "ELF header: 64-bit LSB x86-64 ET_EXEC, sizes, entry = _start >= 1 MiB" {
	local f entry start
	for f in $(images); do
		echo "# $f"
		assert_equal "$(hex "$f" 0 7)" 7f454c46020101
		assert_equal "$(u "$f" 16 2)" 2	# ET_EXEC
		assert_equal "$(u "$f" 18 2)" 62	# EM_X86_64
		assert_equal "$(u "$f" 20 4)" 1	# EV_CURRENT
		assert_equal "$(u "$f" 52 2)" 64	# e_ehsize
		assert_equal "$(u "$f" 54 2)" 56	# e_phentsize
		[ "$(u "$f" 56 2)" -ge 1 ]
		entry=$(u "$f" 24 8)
		start=$(nm "$f" | awk '$3 == "_start" { print $1 }')
		assert_equal "$entry" "$((16#$start))"
		[ "$entry" -ge $((0x100000)) ]
	done
}

@test "PT_LOADs with file bytes pass every loader rule of HVT_ABI.md 1.2" {
	local f type flags off vaddr filesz memsz align start end prev
	for f in $(images); do
		echo "# $f"
		prev=0
		while read -r type flags off vaddr filesz memsz align; do
			[ "$type" -eq 1 ] && [ "$filesz" -gt 0 ] || continue
			echo "#   vaddr=$vaddr filesz=$filesz memsz=$memsz align=$align flags=$flags"
			[ "$align" -gt 0 ]
			[ $((align & (align - 1))) -eq 0 ]
			[ "$vaddr" -ge $((0x100000)) ]
			start=$((vaddr & ~(align - 1)))
			end=$(( (vaddr + memsz + align - 1) & ~(align - 1) ))
			[ "$start" -ge $((0x100000)) ]
			[ $((start % 4096)) -eq 0 ]
			[ $((end % 4096)) -eq 0 ]
			# Ascending, no overlap with the rounded end of the last.
			[ "$start" -ge "$prev" ]
			[ "$memsz" -ge "$filesz" ]
			# W^X: never both PF_W (2) and PF_X (1).
			[ $((flags & 3)) -ne 3 ]
			# File offset and address agree modulo the alignment.
			[ $((off % align)) -eq $((vaddr % align)) ]
			prev=$end
		done < <(phdrs "$f")
		[ "$prev" -gt 0 ]
	done
}

@test "every image fits in 4 MiB with its 128 KiB stack (the tests use --mem=4)" {
	local f end
	for f in $(images); do
		end=$(nm "$f" | awk '$3 == "_end" { print $1 }')
		echo "# $f: _end=0x$end"
		[ $((16#$end + 128 * 1024)) -le $((4 * MIB)) ]
	done
}

@test "ABI1 note: first note of its own PT_NOTE, 36 bytes as in HVT_ABI.md 1.3" {
	local f segs off filesz
	# namesz 6, descsz 16, type "ABI1", "Solo5" padded to 8,
	# target 1 (hvt), version 2, two reserved words.
	local want=060000001000000041424931536f6c6f3500000001000000020000000000000000000000
	for f in $(images); do
		echo "# $f"
		segs=$(note_segments "$f" $((0x31494241)))
		assert_equal "$(wc -l <<<"$segs")" 1
		read -r off filesz <<<"$segs"
		[ "$filesz" -ge 36 ]
		assert_equal "$(hex "$f" "$off" 36)" "$want"
	done
}

# check_entry FILE OFFSET NAME TYPE: one 104-byte mft_entry as the file
# must hold it: the name NUL-padded to 68 bytes, the type, and zeros for
# the device data, the host-private word and `attached`.
check_entry() {
	local f=$1 off=$2 name=$3 type=$4 namehex
	namehex=$(printf '%s' "$name" | od -An -v -t x1 | tr -d ' \n')
	namehex=$namehex$(printf '%0*d' $((136 - ${#namehex})) 0)
	assert_equal "$(hex "$f" "$off" 68)" "$namehex"
	assert_equal "$(u "$f" $((off + 68)) 4)" "$type"
	assert_equal "$(hex "$f" $((off + 72)) 32)" "$(printf '%064d' 0)"
}

@test "MFT1 note: first note of its own PT_NOTE, header, padding and entries byte for byte" {
	local f img segs off filesz n descsz i dev
	for f in $(images); do
		img=$(basename "$f" .hvt)
		local -a devs=()
		[ -z "${DEVICES[$img]:-}" ] || read -r -a devs <<<"${DEVICES[$img]}"
		n=$((${#devs[@]} + 1))
		descsz=$((4 + 8 + 104 * n))
		echo "# $f: $n entries"
		segs=$(note_segments "$f" $((0x3154464d)))
		assert_equal "$(wc -l <<<"$segs")" 1
		read -r off filesz <<<"$segs"
		[ "$filesz" -ge $((20 + descsz)) ]
		# namesz 6, descsz, type "MFT1", "Solo5" padded to 8, then the
		# 4 bytes that 8-align the payload, version 1, entry count.
		assert_equal "$(hex "$f" "$off" 32)" \
			"06000000$(le32 "$descsz")4d465431536f6c6f350000000000000001000000$(le32 "$n")"
		# Entry 0: reserved, empty name.
		check_entry "$f" $((off + 32)) "" $((0x40000000))
		for ((i = 1; i < n; i++)); do
			dev=${devs[i - 1]}
			check_entry "$f" $((off + 32 + 104 * i)) "${dev%:*}" "${dev#*:}"
		done
	done
}

@test "images built with -mgeneral-regs-only use no SSE/x87 registers; fpu does" {
	local f
	for f in $(images); do
		[ "$(basename "$f")" != fpu.hvt ] || continue
		echo "# $f"
		run bash -c "objdump -d --no-show-raw-insn '$f' | grep -E '%[xyz]mm|%st|\\bf(ld|st|x(save|rstor))'"
		assert_failure 1
	done
	objdump -d "$SKIFF_GUESTS/fpu.hvt" | grep -q mulps
	objdump -d "$SKIFF_GUESTS/fpu.hvt" | grep -q stmxcsr
}

@test "solo5_layout has Solo5's program headers (HVT_ABI.md 1.2)" {
	local f=$SKIFF_GUESTS/solo5_layout.hvt
	local type flags off vaddr filesz memsz align
	local interp=0 empty0=0 bss=0 tls=0 first_load=
	require_guest solo5_layout
	while read -r type flags off vaddr filesz memsz align; do
		case $type in
		3)	# PT_INTERP
			assert_equal "$(hex "$f" "$off" "$filesz")" \
				"$(printf '/nonexistent/solo5/' | od -An -v -t x1 | tr -d ' \n')00"
			interp=$vaddr ;;
		1)	[ -n "$first_load" ] || first_load="$vaddr $filesz $flags"
			if [ "$vaddr" -eq 0 ] && [ "$memsz" -eq 0 ]; then
				empty0=1
			elif [ "$filesz" -eq 0 ] && [ "$memsz" -gt 0 ]; then
				bss=1
			fi ;;
		7)	tls=1 ;;
		esac
	done < <(phdrs "$f")
	[ "$empty0" -eq 1 ]
	[ "$bss" -eq 1 ]
	[ "$tls" -eq 1 ]
	# The interpreter string sits at the start of the R+X text segment.
	read -r vaddr filesz flags <<<"$first_load"
	assert_equal "$vaddr" $((0x100000))
	assert_equal "$interp" "$vaddr"
	assert_equal "$flags" 5
	# Three PT_NOTEs of one note each: OpenBSD ident, ABI1, MFT1.
	assert_equal "$(phdrs "$f" | awk '$1 == 4' | wc -l)" 3
	assert_equal "$(note_segments "$f" $((0x31494241)) | wc -l)" 1
	assert_equal "$(note_segments "$f" $((0x3154464d)) | wc -l)" 1
	run bash -c "$(declare -f u hex phdrs); phdrs '$f' | while read -r t fl o rest; do
		[ \"\$t\" -eq 4 ] && hex '$f' \"\$o\" 24 && echo; done"
	# namesz 8, descsz 4, type 1, "OpenBSD\0", descriptor 0.
	assert_line "0800000004000000010000004f70656e4253440000000000"
}

@test "solo5_layout cannot be run by the host kernel (PT_INTERP does not exist)" {
	require_guest solo5_layout
	run -127 "$SKIFF_GUESTS/solo5_layout.hvt"
}

@test "mftgen: 63 devices give the largest manifest note (descsz 6668)" {
	local in=$BATS_TEST_TMPDIR/m out=$BATS_TEST_TMPDIR/m.c i
	[ -x "$MFTGEN" ] || fail "mftgen missing: run make"
	for i in $(seq 63); do echo "dev$i block"; done >"$in"
	"$MFTGEN" big "$in" "$out"
	gcc -std=gnu11 -Wall -Werror -ffreestanding -I"$SKIFF_TOP/unikernels/sdk" \
		-c -o "$BATS_TEST_TMPDIR/m.o" "$out"
	run bash -c "objcopy -O binary -j .note.solo5.manifest '$BATS_TEST_TMPDIR/m.o' /dev/stdout | od -An -t u4 -j 4 -N 4 | tr -d ' '"
	assert_output 6668
	echo "dev64 net" >>"$in"
	run "$MFTGEN" big "$in" "$out"
	assert_failure
	assert_output --partial "too many entries, maximum 63"
}

@test "mftgen rejects bad names, types, duplicates and junk" {
	local in=$BATS_TEST_TMPDIR/m out=$BATS_TEST_TMPDIR/m.c
	[ -x "$MFTGEN" ] || fail "mftgen missing: run make"
	local bad
	for bad in "bad-name block" "x block extra" "disk floppy" \
		"$(printf 'a%.0s' $(seq 68)) block" "disk"; do
		echo "$bad" >"$in"
		run "$MFTGEN" app "$in" "$out"
		assert_failure
	done
	printf 'disk block\ndisk net\n' >"$in"
	run "$MFTGEN" app "$in" "$out"
	assert_failure
	assert_output --partial "duplicate device name"
	# 67 characters is the longest name; comments and blank lines pass.
	printf '# c\n\n%s block\n' "$(printf 'a%.0s' $(seq 67))" >"$in"
	run "$MFTGEN" app "$in" "$out"
	assert_success
}
