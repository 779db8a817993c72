# SPDX-License-Identifier: ISC
#
# Sourced by bench/boot/run and bench/hypercall/run: the devices a
# benchmark runs on, and figures over the rounds proc_timer --each
# prints (a line a round, a column a command, microseconds).

# bench_devices NAME ARG...: each --device=PATH of ARG into the array
# devices; with none, $SKIFF_KVM or else /dev/kvm.
bench_devices() {
	local name=$1 a d

	shift
	devices=()
	for a in "$@"; do
		case $a in
		--device=?*) devices+=("${a#--device=}") ;;
		*) echo "usage: bench/$name/run [--device=PATH]..." >&2; exit 2 ;;
		esac
	done
	[ ${#devices[@]} -gt 0 ] || devices=("${SKIFF_KVM:-/dev/kvm}")
	for d in "${devices[@]}"; do
		[ -c "$d" ] || { echo "bench/$name: no device $d" >&2; exit 1; }
	done
}

# median ROUNDS EXPR: the median over ROUNDS of the awk expression EXPR
# of each round's columns ($1 the first command's time). A ratio such
# as '$3 / $1' is taken within each round, so what drifts between
# rounds cancels out of it.
median() {
	awk "{ print $2 }" <<<"$1" | sort -g |
		awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'
}

# least ROUNDS EXPR: the least value of EXPR over ROUNDS.
least() {
	awk "{ print $2 }" <<<"$1" | sort -g | head -n 1
}
