#!/usr/bin/env bash
# GET /v1/watch and 'ferryctl watch': events another replica publishes on
# the Redis channel reach every watcher whose filters match, one JSON
# object per line; refusals; a bad record is skipped; Redis restarted
# mid-stream; many watchers; a client that leaves or never reads is
# freed; a drain's evacuation is published end to end.  Real
# redis-server on loopback; the nodes point at sockets that do not exist.
set -euo pipefail

. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/itest-lib.sh"
start_redis
port=$(free_port)
srv=http://127.0.0.1:$port
ctl() { "$BIN/ferryctl" -s "$srv" "$@"; }

cat > "$tmp/ferryd.conf" <<CONF
[ferryd]
listen_port = $port
log_format = json
[redis]
redis_host = localhost
redis_port = $rport
redis_prefix = "it:"
[node node-a]
uri = "qemu+unix:///system?socket=$tmp/none-a"
[node node-b]
uri = "qemu+unix:///system?socket=$tmp/none-b"
CONF

"$BIN/ferryd" -c "$tmp/ferryd.conf" 2> "$log" & pid=$!
wait_for 10 curl -fs "$srv/healthz" -o /dev/null || fail "ferryd not healthy"

# A metric's value; the number of watchers is what the waits below read.
metric() { curl -fs "$srv/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
watchers_are() { [ "$(metric ferry_watchers)" = "$1" ]; }
# Watch with curl in the background, into $tmp/NAME: QUERY is "?..." or "".
watch() { curl -sN "$srv/v1/watch$2" > "$tmp/$1" 2>/dev/null & bg+=($!); }
# Records as ferryd writes them (what the watch reads of them, and more).
mig() {	# NAME VM SOURCE TARGET EVACUATION|"" PHASE
	jq -cn --arg n "$1" --arg vm "$2" --arg s "$3" --arg d "$4" --arg e "$5" --arg p "$6" '
	    {apiVersion: "ferry.io/v1", kind: "VirtualMachineInstanceMigration",
	     metadata: {name: $n, uid: ("u-" + $n), creationTimestamp: "2026-11-18T11:06:40.000Z"},
	     spec: {vmiName: $vm, targetNode: $d},
	     status: {phase: $p, reason: "", message: "", sourceNode: $s, targetNode: $d,
	        trigger: (if $e == "" then "manual" else "evacuation" end),
	        evacuation: (if $e == "" then null else $e end), abortRequested: false,
	        createdMs: 1795000000000, startedMs: 0, endedMs: 0,
	        progress: {dataTotal: 0, dataProcessed: 0, dataRemaining: 0},
	        phaseTransitions: [{phase: $p, time: "2026-11-18T11:06:40.000Z", timeMs: 1795000000000}]}}'
}
evac() {	# ID NODE PHASE
	jq -cn --arg id "$1" --arg node "$2" --arg p "$3" '
	    {apiVersion: "ferry.io/v1", kind: "Evacuation",
	     metadata: {name: $id, creationTimestamp: "2026-11-18T11:06:40.000Z"},
	     spec: {node: $node, requestedBy: "api"},
	     status: {phase: $p, reason: "", message: "", total: 1, done: 0, succeeded: 0,
	        failed: 0, createdMs: 1795000000000, endedMs: 0, endTimestamp: null, vms: []}}'
}
pub() { redis-cli -p "$rport" publish it:events "$1" >/dev/null; }
# The names of the records in watch output FILE, in order, on one line.
names() { jq -r 'select(.type == "migration" or .type == "evacuation") | .object.metadata.name' "$tmp/$1" 2>/dev/null | tr '\n' ' '; }
has_names() { [ "$(names "$1")" = "$2" ]; }
expect_names() { wait_for 5 has_names "$1" "$2" || fail "watch $1 got '$(names "$1")', not '$2'"; }
# Every line of FILE is one JSON object.
all_json() {
	local line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		[ -n "$line" ] && jq -e 'type == "object" and (.type | type == "string")' <<<"$line" >/dev/null 2>&1 ||
		    fail "$1, line $n is not a JSON object: $line"
	done < "$tmp/$1"
}

echo "# refusals: 400 for bad filters (the API's error shape), 405, ferryctl usage"
code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
for q in 'bogus=1' 'vm=a%20b' 'vm=a&vm=b' 'node=' 'evacuation=x/y' 'migration=%00'; do
	[ "$(code --max-time 5 "$srv/v1/watch?$q")" = 400 ] || fail "?$q not 400: $(cat "$tmp/body")"
	jq -e '(.error | type == "string") and (.reasons | length == 1)' "$tmp/body" >/dev/null ||
	    fail "?$q: not the error shape: $(cat "$tmp/body")"
done
[ "$(code --max-time 5 -X POST "$srv/v1/watch")" = 405 ] || fail "POST /v1/watch not 405"
rc=0; ctl watch bogus=1 >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown filter 'bogus=1'" "$tmp/err" || fail "ferryctl watch bogus=1: rc $rc, $(cat "$tmp/err")"
rc=0; ctl watch vm=bad/name >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 2 ] || fail "ferryctl watch vm=bad/name: rc $rc"

echo "# watchers with filters, curl and ferryctl; records another replica publishes"
watch all ''
watch vm '?vm=vm1'
watch node '?node=node-b'
watch mig '?migration=vm1-aaaaa'
watch evac '?evacuation=node-a-drain-aaaaa'
watch both '?vm=vm2&node=node-a'
# Not through ctl(): $! must be ferryctl itself, to signal it.
"$BIN/ferryctl" -s "$srv" watch node=node-a > "$tmp/ctl-table" 2> "$tmp/ctl-table.err" & ctl_table=$!; bg+=($!)
"$BIN/ferryctl" -s "$srv" watch evacuation=node-a-drain-aaaaa -o json > "$tmp/ctl-json" 2> "$tmp/ctl-json.err" &
ctl_json=$!; bg+=($!)
wait_for 10 watchers_are 8 || fail "8 watchers expected, /metrics says $(metric ferry_watchers)"
pub "$(mig vm1-aaaaa vm1 node-a node-b node-a-drain-aaaaa scheduling)"
pub "$(mig vm2-bbbbb vm2 node-c node-b "" copying)"
pub 'this is not JSON'
pub "$(mig vm2-ccccc vm2 node-a node-c "" pending)"
pub '{"kind":"Pod","metadata":{"name":"p"}}'
pub "$(evac node-a-drain-aaaaa node-a running)"
pub "$(mig vm1-aaaaa vm1 node-a node-b node-a-drain-aaaaa succeeded)"
expect_names all "vm1-aaaaa vm2-bbbbb vm2-ccccc node-a-drain-aaaaa vm1-aaaaa "
expect_names vm "vm1-aaaaa vm1-aaaaa "
expect_names node "vm1-aaaaa vm2-bbbbb vm1-aaaaa "
expect_names mig "vm1-aaaaa vm1-aaaaa "
expect_names evac "vm1-aaaaa node-a-drain-aaaaa vm1-aaaaa "
expect_names both "vm2-ccccc "
expect_names ctl-json "vm1-aaaaa node-a-drain-aaaaa vm1-aaaaa "
for f in all vm node mig evac both ctl-json; do all_json "$f"; done
[ "$(jq -r 'select(.type == "migration") | .object.status.phase' "$tmp/mig" | tr '\n' ' ')" = "scheduling succeeded " ] ||
    fail "phases of vm1-aaaaa: $(cat "$tmp/mig")"
wait_for 5 bash -c "[ \$(grep -c . '$tmp/ctl-table') = 5 ]" || fail "ferryctl table: $(cat "$tmp/ctl-table")"
head -1 "$tmp/ctl-table" | grep -q '^TIME *KIND *NAME *VM *PHASE *ROUTE *REASON' || fail "table header: $(head -1 "$tmp/ctl-table")"
grep -q 'migration *vm1-aaaaa *vm1 *scheduling *node-a->node-b' "$tmp/ctl-table" || fail "table row: $(cat "$tmp/ctl-table")"
grep -q 'evacuation *node-a-drain-aaaaa *- *running *node-a' "$tmp/ctl-table" || fail "table evacuation row: $(cat "$tmp/ctl-table")"
grep -q 'vm2-ccccc' "$tmp/ctl-table" && ! grep -q 'vm2-bbbbb' "$tmp/ctl-table" || fail "table filter: $(cat "$tmp/ctl-table")"

echo "# a bad record is skipped and logged; the stream goes on"
grep -q "record on channel 'it:events' skipped: record is not valid JSON" "$log" || fail "bad record not logged"
[ "$(metric ferry_watch_events_skipped_total)" = 2 ] || fail "skipped: $(metric ferry_watch_events_skipped_total)"
[ "$(metric ferry_watch_events_total)" = 5 ] || fail "events: $(metric ferry_watch_events_total)"

echo "# redis restarts mid-stream: watchers stay, are told of the gap, get what follows"
kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=
wait_for 10 bash -c "grep -q '\"type\":\"error\"' '$tmp/all'" || fail "no error line: $(tail -2 "$tmp/all")"
[ "$(code --max-time 5 "$srv/v1/watch")" = 503 ] || fail "watch without redis not 503: $(cat "$tmp/body")"
jq -e '.error == "redis is unreachable"' "$tmp/body" >/dev/null || fail "503 body: $(cat "$tmp/body")"
watchers_are 8 || fail "watchers dropped with redis: $(metric ferry_watchers)"
start_redis
wait_for 15 bash -c "grep -q '\"type\":\"resumed\"' '$tmp/all'" || fail "not resubscribed: $(tail -2 "$tmp/all")"
[ "$(metric ferry_watch_subscribed)" = 1 ] || fail "not subscribed"
pub "$(mig vm1-ddddd vm1 node-a node-b "" pending)"
expect_names vm "vm1-aaaaa vm1-aaaaa vm1-ddddd "
expect_names all "vm1-aaaaa vm2-bbbbb vm2-ccccc node-a-drain-aaaaa vm1-aaaaa vm1-ddddd "
types() { jq -r 'select(.type != "heartbeat") | .type' "$tmp/$1" | tr '\n' ' '; }
[ "$(types all)" = "migration migration migration evacuation migration error resumed migration " ] ||
    fail "line types: $(types all)"
for f in all vm; do all_json "$f"; done
wait_for 5 grep -q 'vm1-ddddd' "$tmp/ctl-table" || fail "ferryctl missed the event after the restart"
grep -q "redis connection lost" "$tmp/ctl-table.err" && grep -q "resubscribed" "$tmp/ctl-table.err" ||
    fail "ferryctl did not report the gap: $(cat "$tmp/ctl-table.err")"
kill -0 "$ctl_table" && kill -0 "$ctl_json" || fail "ferryctl watch ended with redis"

echo "# a drain's evacuation is published when it starts and when it ends"
watch drain '?node=node-b'
wait_for 10 watchers_are 9 || fail "drain watcher"
# (The restart lost the leader lease: the evacuation starts once it is back.)
evac_phases() { jq -r 'select(.type == "evacuation") | .object.status.phase' "$tmp/drain" 2>/dev/null | tr '\n' ' '; }
evac_phases_are() { [ "$(evac_phases)" = "$1" ]; }
curl -fs -X POST "$srv/v1/nodes/node-b/drain" -o /dev/null || fail "drain refused"
wait_for 20 evac_phases_are "running " || fail "evacuation start not seen: $(cat "$tmp/drain")"
curl -fs -X POST "$srv/v1/nodes/node-b/uncordon" -o /dev/null || fail "uncordon refused"
wait_for 10 evac_phases_are "running cancelled " || fail "evacuation end not seen: $(cat "$tmp/drain")"
all_json drain

echo "# 20 more watchers all receive; those that leave are freed"
many=()
for i in $(seq 20); do watch "many$i" '?vm=vm7'; many+=($!); done
wait_for 10 watchers_are 29 || fail "29 watchers expected: $(metric ferry_watchers)"
pub "$(mig vm7-eeeee vm7 node-a node-b "" pending)"
for i in $(seq 20); do expect_names "many$i" "vm7-eeeee "; done
kill "${many[@]}"
wait_for 10 watchers_are 9 || fail "gone watchers not freed: $(metric ferry_watchers)"
[ "$(grep -c '"msg":"watch: client [0-9]* (127.0.0.1:[0-9]*) gone after 1 events' "$log")" -ge 20 ] || fail "gone clients not logged"

echo "# ferryctl watch: exit 0 on SIGINT"
kill -INT "$ctl_table"; rc=0; wait "$ctl_table" || rc=$?
[ $rc = 0 ] || fail "ferryctl watch exit $rc on SIGINT: $(cat "$tmp/ctl-table.err")"
wait_for 10 watchers_are 8 || fail "ferryctl's watcher not freed: $(metric ferry_watchers)"

echo "# a client that never reads is closed at the output bound; ferryd does not grow"
for p in "${bg[@]}"; do [ "$p" = "$ctl_json" ] || kill "$p" 2>/dev/null || true; done
wait_for 10 watchers_are 1 || fail "watchers not freed: $(metric ferry_watchers)"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /v1/watch?vm=vmbig HTTP/1.1\r\nHost: test\r\n\r\n' >&3
wait_for 10 watchers_are 2 || fail "silent client not watching"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
rss0=$(rss)
big=$(head -c 100000 /dev/zero | tr '\0' 'x')
rec=$(mig vmbig-fffff vmbig node-a node-b "" copying | jq -c --arg m "$big" '.status.message = $m')
for i in 1 2 3 4; do
	redis-cli -p "$rport" eval "for i = 1, 50 do redis.call('PUBLISH', KEYS[1], ARGV[1]) end" 1 it:events "$rec" >/dev/null
done
wait_for 10 grep -q 'reads too slowly' "$log" || fail "slow client not closed"
wait_for 10 watchers_are 1 || fail "slow client not freed: $(metric ferry_watchers)"
[ "$(metric ferry_watch_clients_dropped_total)" = 1 ] || fail "dropped: $(metric ferry_watch_clients_dropped_total)"
rss1=$(rss)
if grep -q __asan_init "$BIN/ferryd"; then
	echo "  (RSS not compared: AddressSanitizer keeps freed memory in quarantine)"
else
	[ $((rss1 - rss0)) -lt 16384 ] || fail "ferryd grew from $rss0 to $rss1 KiB with a client that never reads"
fi
exec 3>&-

echo "# a client that keeps sending after its request: ferryd stops reading it"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /v1/watch?vm=vmtalk HTTP/1.1\r\nHost: test\r\n\r\n' >&3
wait_for 10 watchers_are 2 || fail "talking client not watching"
rss0=$(rss)
# 64 MiB at it; the writes block once the kernel's buffers are full.
timeout 10 bash -c 'head -c 67108864 /dev/zero >&3' 3>&3 || true
rss1=$(rss)
if ! grep -q __asan_init "$BIN/ferryd"; then
	[ $((rss1 - rss0)) -lt 16384 ] || fail "ferryd grew from $rss0 to $rss1 KiB with a client that talks"
fi
exec 3>&-
# Not read any more, its close shows on the next write: the heartbeat (15 s).
wait_for 20 watchers_are 1 || fail "talking client not freed: $(metric ferry_watchers)"
[ "$(names ctl-json)" = "vm1-aaaaa node-a-drain-aaaaa vm1-aaaaa " ] || fail "ctl-json got more: $(names ctl-json)"

echo "# ferryd stops: ferryctl watch says the stream ended (exit 1); ferryd exits 0"
kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; pid=
[ $rc = 0 ] || fail "ferryd exit $rc on SIGTERM with a watcher"
rc=0; wait "$ctl_json" || rc=$?
[ $rc = 1 ] && grep -q 'ferryctl: watch: the server closed the stream\|ferryctl: watch: ferryd ended the stream' "$tmp/ctl-json.err" ||
    fail "ferryctl watch after ferryd stopped: rc $rc, $(cat "$tmp/ctl-json.err")"
rc=0; ctl watch >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 1 ] && grep -q "ferryctl: watch: cannot reach '$srv'" "$tmp/err" || fail "unreachable: rc $rc, $(cat "$tmp/err")"
if grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\)\|runtime error:' "$log"; then fail "sanitizer report in the log"; fi
echo "PASS"
