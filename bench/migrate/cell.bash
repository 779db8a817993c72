# SPDX-License-Identifier: ISC
#
# Sourced by bench/migrate/run: one cell (start a churn, migrate it to a
# new monitor, check it runs on there unharmed), the touched-memory
# count, and the goals. Uses run's $monitor, $guest, $tools, $device,
# $tmp, $bw and the array pids.

# kvm_module: which module serves the device (for the header line).
kvm_module() {
	local m
	if [ "$device" = /dev/skiff ]; then
		echo skiff.ko
		return
	fi
	for m in kvm_pvm kvm_amd kvm_intel; do
		[ -d "/sys/module/$m" ] && { echo "$m"; return; }
	done
	echo unknown
}

device_args() {
	[ "$device" = /dev/kvm ] || echo "--device=$device"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s, for at most SECONDS
# (times SKIFF_TIME_FACTOR, as in the lab).
wait_for() {
	local end=$(($(date +%s) + $1 * ${SKIFF_TIME_FACTOR:-1}))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

token() {
	od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# start_churn DIR MEM WS RATE: a source monitor running churn WS RATE in
# MEM MiB, control socket DIR/src.sock; its pid in $src.
start_churn() {
	# shellcheck disable=SC2046 # zero or one word
	"$monitor" $(device_args) --mem="$2" --name=bench \
		--control="$1/src.sock" --status-file="$1/src.status" \
		"$guest" "$3" "$4" >"$1/src.out" 2>&1 &
	src=$!
	pids+=("$src")
}

# stop PID: kill one monitor this script started.
stop() {
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# overhead_pages MEM: non-zero pages of a MEM MiB guest besides the
# churn's working set (image, boot data, page tables, stack), from a
# snapshot of a 1 MiB churn; cached per MEM.
overhead_pages() {
	local d=$tmp/overhead.$1 res
	if [ ! -f "$d/pages" ]; then
		mkdir -p "$d"
		start_churn "$d" "$1" 1 0
		wait_for 30 grep -qs '^churn 1 ok' "$d/src.out" ||
			{ echo "bench/migrate: churn did not start: $(cat "$d/src.out")" >&2; return 1; }
		res=$("$tools/ctl-fd" "$d/src.sock" 5 \
			'{"jsonrpc":"2.0","id":1,"method":"monitor.snapshot"}' 5>/dev/null)
		stop "$src"
		jq -e '.result.pages - .result.zero_pages - 256' <<<"$res" >"$d/pages" ||
			{ echo "bench/migrate: snapshot: $res" >&2; return 1; }
	fi
	cat "$d/pages"
}

# written FILE N: pages written by churn line N.
written() {
	sed -n "s/^churn $2 ok: \\([0-9]*\\) pages written.*/\\1/p" "$1"
}

# migrate DIR: a new destination monitor through accept-exec, then
# monitor.migrate on the source; the answer in $answer, the
# destination's pid in $dst.
migrate() {
	local d=$1 tok params
	tok=$(token)
	# shellcheck disable=SC2046 # zero or one word
	"$tools/accept-exec" "$d/port" 5 "$monitor" $(device_args) \
		--mem="$mem" --name=bench --control="$d/dst.sock" \
		--status-file="$d/dst.status" --incoming=@5 --incoming-token=@7 \
		"$guest" 7<<<"$tok" >"$d/dst.out" 2>&1 &
	dst=$!
	pids+=("$dst")
	wait_for 5 test -s "$d/port" || return 1
	params="\"token\":\"$tok\"${BENCH_DOWNTIME_MS:+,\"downtime_ms\":$BENCH_DOWNTIME_MS}"
	answer=$("$tools/ctl-fd" "$d/src.sock" "tcp:$(cat "$d/port")" \
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"monitor.migrate\",\"params\":{$params}}")
}

# check_after DIR: the source exited as migrated, the churn prints a
# new counter line at the destination, and neither saw a bad page.
check_after() {
	local d=$1
	wait_for 10 grep -qs '"kind":"migrated"' "$d/src.status" || {
		echo "source: $(cat "$d/src.status" 2>/dev/null) $(tail -n2 "$d/src.out")"
		return 1
	}
	wait_for 30 grep -qs '^churn [0-9]* ok' "$d/dst.out" || {
		echo "destination: $(tail -n3 "$d/dst.out")"
		return 1
	}
	if grep -h 'CORRUPTION\|backwards' "$d/src.out" "$d/dst.out"; then
		return 1
	fi
}

# run_cell MEM RATE: one migration of a MEM MiB guest whose churn
# rewrites (MEM - 2) MiB at RATE MiB/s; prints a row and keeps it in
# $tmp/rows. The row ends "ok", or "BAD" when the churn found a bad page
# (or did not run on) at the destination; failed counts those.
run_cell() {
	local mem=$1 rate=$2 ws=$(($1 - 2)) d=$tmp/cell extra w1 w2 row
	local verdict=ok
	rm -rf "$d"
	mkdir -p "$d"
	extra=$(overhead_pages "$mem") || return 1
	start_churn "$d" "$mem" "$ws" "$rate"
	wait_for $((60 + mem / 4)) grep -qs '^churn 2 ok' "$d/src.out" || {
		echo "bench/migrate: $mem:$rate: churn did not start: $(cat "$d/src.out")" >&2
		return 1
	}
	w1=$(written "$d/src.out" 1)
	w2=$(written "$d/src.out" 2)
	if ! migrate "$d" || ! jq -e .result <<<"$answer" >/dev/null; then
		echo "bench/migrate: $mem:$rate: migration failed: ${answer:-}" >&2
		failed=$((failed + 1))
		stop "$src"
		stop "$dst"
		return 0
	fi
	wait "$src" 2>/dev/null || true
	if ! check_after "$d" >"$d/why"; then
		echo "bench/migrate: $mem:$rate: after the migration: $(cat "$d/why")" >&2
		verdict=BAD
		failed=$((failed + 1))
	fi
	stop "$dst"
	row=$(jq -r --argjson mem "$mem" --argjson rate "$rate" \
		--argjson got "$(((w2 - w1) / 256))" --argjson bw "$bw" \
		--argjson touched "$(((ws * 256 + extra) * 4096))" \
		--arg verdict "$verdict" '
		.result | ($touched / ($bw * 1048576)) as $floor |
		[$mem, $rate, $got, .downtime_ms, .total_seconds, .rounds,
		 .bytes, .pages, $floor, .total_seconds / $floor,
		 .bytes / $touched, $verdict] | @tsv' <<<"$answer")
	echo "$row" >>"$tmp/rows"
	awk -F'\t' '{ printf "%5d %5d %6d %9.2f %8.3f %6d %11d %8d %8.3f %8.2f %7.3f %s\n",
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' <<<"$row"
}

# median_of COLUMN FILTER: the median of COLUMN over rows FILTER (awk).
median_of() {
	awk -F'\t' "$2 { print \$$1 }" "$tmp/rows" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.3f\n", v[int((NR + 1) / 2)] }'
}

# verdict VALUE LIMIT: met or missed.
verdict() {
	awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "met" : "MISSED" }'
}

goals() {
	local v mem
	[ -s "$tmp/rows" ] || return 0
	echo "goals (medians over runs):"
	v=$(median_of 4 '$1 == 256 && $2 == 64')
	[ -z "$v" ] || echo "  downtime, 256 MiB at 64 MiB/s: $v ms (<= 5): $(verdict "$v" 5)"
	for mem in $(cut -f1 "$tmp/rows" | sort -un); do
		v=$(median_of 10 "\$1 == $mem && \$2 == 0")
		[ -z "$v" ] || echo "  total / floor, $mem MiB idle: $v (<= 1.3): $(verdict "$v" 1.3)"
	done
	for mem in $(cut -f1 "$tmp/rows" | sort -un); do
		v=$(median_of 11 "\$1 == $mem && \$2 == 0")
		[ -z "$v" ] || echo "  bytes / touched, $mem MiB idle: $v (<= 1.05): $(verdict "$v" 1.05)"
	done
	v=$(awk -F'\t' '$2 > 0 { printf "%.3f\n", $11 }' "$tmp/rows" | sort -g | tail -n1)
	[ -z "$v" ] || echo "  bytes / touched, worst dirtying cell: $v (<= 1.05): $(verdict "$v" 1.05)"
}
