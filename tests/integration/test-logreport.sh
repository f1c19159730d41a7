#!/usr/bin/env bash
# test-logreport.sh: contrib/ferry-logreport on a recorded ferryd log with
# known contents (tests/integration/fixtures/ferryd-sample.jsonl, whose
# README tells where its lines come from).  Checks exact figures of the text
# report (line counts, outcomes, a timeline, phase durations, failure
# reasons, evacuations), of --migration and of --json, and that stdin, .gz
# files, a file given twice, an unknown migration, an unreadable file and a
# bad option behave as documented.  Needs python3 only (no Redis, no
# hypervisor; the harness may start a redis-server anyway, unused).
set -u

: "${top_srcdir:?top_srcdir must be set}"
TOOL=$top_srcdir/contrib/ferry-logreport
LOG=$top_srcdir/tests/integration/fixtures/ferryd-sample.jsonl

if ! command -v python3 >/dev/null; then
	echo "SKIP: python3 is not installed (ferry-logreport is a python3 script)"
	exit 77
fi
for f in "$TOOL" "$LOG"; do
	if [ ! -r "$f" ]; then
		echo "FAIL: '$f' is missing" >&2
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/ferry-logreport-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

report() {
	python3 "$TOOL" "$@"
}

# has FILE TEXT: FILE holds the line TEXT exactly.
has() {
	grep -qxF -- "$2" "$1" || fail "'$1' lacks the line '$2'"
}

# json FILE EXPR WANT: the python expression EXPR on the JSON object o of
# FILE gives WANT (printed with repr()).
json() {
	local got
	got=$(python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
print(repr(eval(sys.argv[2])))' "$1" "$2" 2>&1)
	[ "$got" = "$3" ] || fail "$2: got $got, want $3"
}

echo "# the text report"
report "$LOG" >"$tmp/report.txt" 2>"$tmp/err.txt"
rc=$?
[ "$rc" = 0 ] || fail "exit $rc on the sample log: $(cat "$tmp/err.txt")"
[ -s "$tmp/err.txt" ] && fail "stderr not empty: $(cat "$tmp/err.txt")"
R=$tmp/report.txt
has "$R" "ferry log report: 347 lines, 345 JSON, 2 skipped (not JSON)"
has "$R" "time: 2026-11-26T11:34:05.963Z .. 2026-11-26T12:04:23.964Z (1818.001s)"
has "$R" "migrations: 19 (succeeded 14, failed 2, aborted 2, unfinished 1)"
has "$R" "evacuations: 5"

# One whole timeline, as the fixture's README tells it.
sed -n '/^e2e-idle-xhami /,/^[^ ]/p' "$R" | sed '$d' >"$tmp/xhami.txt"
cat >"$tmp/xhami.want" <<'EOF'
e2e-idle-xhami  vm e2e-idle  node-a -> node-b  manual  succeeded in 2.270s
     +0.000s  created (manual), target node-b asked
     +0.001s  taken by a replica
     +0.001s  pending -> scheduling
     +0.002s  scheduling -> copying
     +0.557s  copying -> completing  1.6 MiB of 128.4 MiB sent, 111.0 MiB left, pass 2
     +2.270s  completing -> succeeded  61.6 MiB of 128.4 MiB sent, 0.0 MiB left, pass 3
EOF
diff -u "$tmp/xhami.want" "$tmp/xhami.txt" >/dev/null ||
    fail "timeline of e2e-idle-xhami: $(diff -u "$tmp/xhami.want" "$tmp/xhami.txt")"
has "$R" "e2e-idle-dlqkd  vm e2e-idle  node-b -> node-a  manual  unfinished (last seen copying)"
has "$R" "e2e-busy-8swkh  vm e2e-busy  node-a -> node-b  manual  failed ProgressTimeout in 32.483s"
# An adopted migration shows the take-over, from the surviving replica's log.
has "$R" "kubevirt-evacuation-3j15o  vm ev-4  node-b -> node-a  evacuation (node-b-drain-gcizb)  succeeded in 4.923s"
has "$R" "     +2.145s  replica r2 is gone; taken over (epoch 1)"
has "$R" "     +2.146s  adopted after its replica died"

# Phase durations: every migration of the log.
has "$R" "PHASE        COUNT     MEDIAN        MAX"
has "$R" "scheduling      18     0.001s     0.002s"
has "$R" "completing      14     1.675s     2.269s"
has "$R" "total           18     5.938s    32.483s"

# Failure reasons, one row each, with an example migration.
has "$R" "ProgressTimeout        1  failed  e.g. e2e-busy-8swkh"
has "$R" "CompletionTimeout      1  failed  e.g. e2e-busy-6jnx2"
has "$R" "AbortRequested         1  aborted  e.g. e2e-busy-mp61d"
has "$R" "EvacuationCancelled    1  aborted  e.g. kubevirt-evacuation-k26js"
n=$(sed -n '/^== Failure reasons ==$/,/^$/p' "$R" | grep -c '  e\.g\. ')
[ "$n" = 4 ] || fail "$n failure reasons, want 4"

# Evacuations: outcome, counts, their migrations, the VM that stayed.
has "$R" "node-a-drain-04nv7  node node-a  by api  completed  4/4 done (4 succeeded, 0 failed) in 12.342s"
has "$R" "node-a-drain-2b22s  node node-a  by api  completed  3/3 done (3 succeeded, 0 failed) in 9.879s"
has "$R" "  carried on by a new leader 1 time"
has "$R" "node-c-drain-9wseb  node node-c  by api  cancelled EvacuationCancelled  0/2 done (0 succeeded, 0 failed) in 0.130s"
has "$R" "  ev-3       kubevirt-evacuation-k26js  aborted EvacuationCancelled in 0.131s"
has "$R" "node-b-drain-zg6x9  node node-b  by api  failed VMsRemain  3/3 done (2 succeeded, 1 failed) in 11.205s"
has "$R" "  ev-4       kubevirt-evacuation-4gitv  succeeded in 5.135s"
has "$R" "  ev-cd      cannot move: VM 'ev-cd' is not live-migratable"
has "$R" "2026-11-26T12:04:00.887Z  node node-c uncordoned by api"
n=$(grep -c '  node node-[abc] \(drained\|uncordoned\) by api$' "$R")
[ "$n" = 10 ] || fail "$n drains and uncordons, want 10"

echo "# --migration"
report --migration e2e-idle-xhami "$LOG" >"$tmp/one.txt" ||
    fail "--migration e2e-idle-xhami: exit $?"
head -n 7 "$tmp/one.txt" | diff -u "$tmp/xhami.want" - >/dev/null ||
    fail "--migration e2e-idle-xhami: timeline differs"
has "$tmp/one.txt" "copying          1     0.555s     0.555s"
has "$tmp/one.txt" "completing       1     1.713s     1.713s"
has "$tmp/one.txt" "total            1     2.270s     2.270s"
grep -q "e2e-busy" "$tmp/one.txt" && fail "--migration shows other migrations"
report --migration no-such-mig "$LOG" >"$tmp/none.txt" 2>"$tmp/none.err"
rc=$?
[ "$rc" = 1 ] || fail "--migration of an unknown name: exit $rc, want 1"
has "$tmp/none.err" "ferry-logreport: no migration 'no-such-mig' in the log"

echo "# --json"
report --json "$LOG" >"$tmp/all.json" || fail "--json: exit $?"
J=$tmp/all.json
json "$J" 'o["lines"]["read"], o["lines"]["json"], o["lines"]["skipped"]' "(347, 345, 2)"
json "$J" 'o["outcomes"]' "{'succeeded': 14, 'aborted': 2, 'failed': 2, 'unfinished': 1}"
json "$J" 'len(o["migrations"]), len(o["evacuations"]), len(o["drains"])' "(19, 5, 10)"
json "$J" '[m for m in o["migrations"] if m["name"] == "e2e-idle-xhami"][0]["phases_ms"]' \
    "{'pending': 1, 'scheduling': 1, 'copying': 555, 'completing': 1713}"
json "$J" '[m for m in o["migrations"] if m["name"] == "e2e-idle-xhami"][0]["total_ms"]' "2270"
json "$J" 'o["phases"]["completing"]' "{'count': 14, 'median_ms': 1674.5, 'max_ms': 2269}"
json "$J" '[(f["reason"], f["count"], f["migrations"]) for f in o["failures"]]' \
    "[('AbortRequested', 1, ['e2e-busy-mp61d']), ('CompletionTimeout', 1, ['e2e-busy-6jnx2']), ('EvacuationCancelled', 1, ['kubevirt-evacuation-k26js']), ('ProgressTimeout', 1, ['e2e-busy-8swkh'])]"
json "$J" '[(e["id"], e["phase"], e["reason"]) for e in o["evacuations"]]' \
    "[('node-a-drain-04nv7', 'completed', ''), ('node-b-drain-gcizb', 'completed', ''), ('node-a-drain-2b22s', 'completed', ''), ('node-c-drain-9wseb', 'cancelled', 'EvacuationCancelled'), ('node-b-drain-zg6x9', 'failed', 'VMsRemain')]"
json "$J" '[e for e in o["evacuations"] if e["id"] == "node-b-drain-zg6x9"][0]["counts"]' \
    "{'total': 3, 'done': 3, 'succeeded': 2, 'failed': 1}"
json "$J" '[e for e in o["evacuations"] if e["id"] == "node-b-drain-zg6x9"][0]["cannot_move"]' \
    "[{'vm': 'ev-cd', 'why': \"VM 'ev-cd' is not live-migratable\"}]"
json "$J" '[e for e in o["evacuations"] if e["id"] == "node-b-drain-gcizb"][0]["duration_ms"]' "9999"
json "$J" 'sum(len(e["migrations"]) for e in o["evacuations"])' "14"
report --json --migration e2e-busy-8swkh "$LOG" >"$tmp/one.json" ||
    fail "--json --migration: exit $?"
json "$tmp/one.json" '(o["phase"], o["reason"], o["total_ms"], o["phases_ms"]["copying"])' \
    "('failed', 'ProgressTimeout', 32483, 32481)"
json "$tmp/one.json" '[(t["offset_ms"], t["kind"], t.get("to")) for t in o["timeline"]][-1]' \
    "(32483, 'transition', 'failed')"

echo "# standard input, .gz, a file given twice"
report <"$LOG" >"$tmp/stdin.txt" || fail "stdin: exit $?"
cmp -s "$R" "$tmp/stdin.txt" || fail "stdin gives another report than the file"
report - <"$LOG" >"$tmp/dash.txt" || fail "'-': exit $?"
cmp -s "$R" "$tmp/dash.txt" || fail "'-' gives another report than the file"
gzip -c "$LOG" >"$tmp/old.log.gz"
report "$tmp/old.log.gz" >"$tmp/gz.txt" || fail ".gz: exit $?"
cmp -s "$R" "$tmp/gz.txt" || fail "a .gz file gives another report"
report "$LOG" "$tmp/old.log.gz" >"$tmp/twice.txt" || fail "twice: exit $?"
has "$tmp/twice.txt" "migrations: 19 (succeeded 14, failed 2, aborted 2, unfinished 1)"
grep -q "^ferry log report: 694 lines, 690 JSON, 4 skipped (not JSON), [0-9]* duplicates ignored$" \
    "$tmp/twice.txt" || fail "a file given twice: $(head -n 1 "$tmp/twice.txt")"
sed 1,3d "$R" >"$tmp/once.body"
sed 1,3d "$tmp/twice.txt" | cmp -s "$tmp/once.body" - ||
    fail "a file given twice changes the report beyond its line counts"

echo "# journal prefixes, an empty log, errors"
sed 's/^{/Nov 26 12:00:00 host ferryd[42]: {/' "$LOG" >"$tmp/journal.txt"
report "$tmp/journal.txt" >"$tmp/journal.out" || fail "journal prefix: exit $?"
sed 1d "$R" | cmp -s - <(sed 1d "$tmp/journal.out") ||
    fail "lines with a journal prefix give another report"
: >"$tmp/empty.log"
report "$tmp/empty.log" >"$tmp/empty.out" || fail "empty log: exit $?"
has "$tmp/empty.out" "ferry log report: 0 lines, 0 JSON, 0 skipped (not JSON)"
has "$tmp/empty.out" "migrations: 0 (succeeded 0, failed 0, aborted 0, unfinished 0)"
report "$tmp/no-such-file" >/dev/null 2>"$tmp/nofile.err"
rc=$?
[ "$rc" = 1 ] || fail "unreadable file: exit $rc, want 1"
grep -q "^ferry-logreport: cannot read '$tmp/no-such-file': " "$tmp/nofile.err" ||
    fail "unreadable file: $(cat "$tmp/nofile.err")"
report --bogus >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "unknown option: exit $rc, want 2"

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "ok"
