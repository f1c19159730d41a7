#!/usr/bin/env bash
# Benchmark: the same idle guest migrated back and forth between two lab hosts,
# alternately by raw `virsh migrate --live --p2p` and by ferry, N rounds.
# Prints the median wall-time ratio ferry/virsh (target <= 1.03) and the median
# delay from the job's end to `succeeded` being recorded (target <= 50 ms).
# It prints figures; it never fails on time.
#
#   sudo tests/harness.sh tests/bench/bench-migrate.sh [ROUNDS]   (default 10)
# (run from a build directory, or set top_builddir/top_srcdir)
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$PWD}
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"
ROUNDS=${1:-10}

ferry_need_lab 2
FERRY_GUESTS=bench-vm
bash "$LAB_SH" destroy bench-vm >/dev/null 2>&1 || true
bash "$LAB_SH" guest bench-vm node-a --wait-up
ferry_conf job_stats_interval=1000
ferryd_start

now_ms() { date +%s%3N; }
other() { [ "$1" = node-a ] && echo node-b || echo node-a; }
where() { bash "$LAB_SH" where bench-vm | head -1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

: > "$FERRY_TMP/virsh"; : > "$FERRY_TMP/ferry"; : > "$FERRY_TMP/ratio"
# One migration by virsh: process start to exit, in ms.
run_virsh() {
	local src dst src_uri dst_mig dst_addr t0
	src=$(where); dst=$(other "$src")
	src_uri=FERRY_URI_${src//-/_}; dst_mig=FERRY_MIGURI_${dst//-/_}; dst_addr=FERRY_MIGADDR_${dst//-/_}
	t0=$(now_ms)
	virsh -q -c "${!src_uri}" migrate --live --p2p --persistent --undefinesource \
	    bench-vm "${!dst_mig}" "tcp://${!dst_addr}" >/dev/null
	echo $(( $(now_ms) - t0 ))
}

# One migration by ferry: request accepted to `succeeded` recorded, from the
# record's own times; also notes where the time went.
run_ferry() {
	local src dst code name
	src=$(where); dst=$(other "$src")
	code=$(api_migrate bench-vm "{\"targetNode\":\"$dst\"}")
	[ "$code" = 201 ] || fail "ferry refused: $(cat "$FERRY_TMP/body")"
	name=$(jq -r .metadata.name "$FERRY_TMP/body")
	wait_phase "$name" final 120 || fail "$name did not end"
	[ "$(mig_field "$name" .status.phase)" = succeeded ] || fail "$name: $(mig_field "$name" .status.phase)"
	mig_field "$name" '([.status.phaseTransitions[] | {(.phase): .timeMs}] | add) as $t |
	    [$t.copying - $t.pending, $t.completing - $t.copying, $t.succeeded - $t.completing,
	     .status.progress.elapsedMs] | @tsv' >> "$FERRY_TMP/phases"
	mig_field "$name" '.status.endedMs - .status.createdMs'
}

: > "$FERRY_TMP/virsh"; : > "$FERRY_TMP/ferry"; : > "$FERRY_TMP/ratio"; : > "$FERRY_TMP/phases"
for i in $(seq "$ROUNDS"); do
	# Alternate who goes first, so both move the guest both ways equally.
	if [ $((i % 2)) = 1 ]; then tv=$(run_virsh); tf=$(run_ferry)
	else tf=$(run_ferry); tv=$(run_virsh); fi
	echo "$tv" >> "$FERRY_TMP/virsh"; echo "$tf" >> "$FERRY_TMP/ferry"
	awk -v f="$tf" -v v="$tv" 'BEGIN {printf "%.4f\n", f / v}' >> "$FERRY_TMP/ratio"
	printf 'round %2d: virsh %5d ms  ferry %5d ms\n' "$i" "$tv" "$tf"
done
settle=$(grep '"msg":"migration transition"' "$FERRYD_LOG" | jq -r 'select(.to == "succeeded") | .settle_ms' | median)
echo "median ms: to copying $(cut -f1 "$FERRY_TMP/phases" | median), copying $(cut -f2 "$FERRY_TMP/phases" | median), completing $(cut -f3 "$FERRY_TMP/phases" | median), libvirt job elapsed $(cut -f4 "$FERRY_TMP/phases" | median)"
echo "virsh median:            $(median < "$FERRY_TMP/virsh") ms"
echo "ferry median:            $(median < "$FERRY_TMP/ferry") ms"
echo "median ratio ferry/virsh: $(median < "$FERRY_TMP/ratio") (target <= 1.03)"
echo "median job end -> succeeded recorded: ${settle} ms (target <= 50 ms)"
