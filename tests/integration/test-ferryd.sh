#!/usr/bin/env bash
# ferryd as a process: config checking, the API's refusals, Redis outages
# and bad Redis records, SIGHUP with a broken file, SIGTERM.  Real
# redis-server on loopback; the nodes point at sockets that do not exist,
# so no hypervisor is needed here (the lab tests cover real hosts).
set -euo pipefail

. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/itest-lib.sh"
start_redis
port=$(free_port)
srv=http://127.0.0.1:$port

cat > "$tmp/ferryd.conf" <<CONF
[ferryd]
listen_port = $port
log_format = json
[redis]
redis_port = $rport
redis_prefix = "it:"
[migration]
progress_timeout = 150
[node node-a]
uri = "qemu+unix:///system?socket=$tmp/none-a"
[node node-b]
uri = "qemu+unix:///system?socket=$tmp/none-b"
migration_address = 10.78.0.2
CONF

echo "# --check-config"
"$BIN/ferryd" --check-config "$tmp/ferryd.conf" | grep -q "ok (2 nodes)" || fail "good config not accepted"
printf '[migration]\nprogress_timeout = 0\nbogus = 1\n' > "$tmp/bad.conf"
out=$("$BIN/ferryd" --check-config "$tmp/bad.conf" 2>&1) && fail "bad config accepted"
echo "$out" | grep -q "bad.conf:2: option 'progress_timeout'" || fail "range error not reported: $out"
echo "$out" | grep -q "bad.conf:3: option 'bogus'" || fail "unknown option not reported: $out"
"$BIN/ferryd" --dump-config | cmp -s - "${top_srcdir:-..}/conf/ferryd.conf" || fail "conf/ferryd.conf differs from --dump-config"

echo "# start; health with redis up and both nodes down"
"$BIN/ferryd" -c "$tmp/ferryd.conf" 2> "$log" & pid=$!
wait_for 10 curl -fs "$srv/healthz" -o /dev/null || fail "ferryd not healthy"
h=$(curl -s "$srv/healthz")
[ "$(echo "$h" | jq -r '.redis + "/" + .nodes["node-a"] + "/" + .nodes["node-b"]')" = up/down/down ] || fail "healthz: $h"
head -1 "$log" | jq -en 'input | .msg | test("ferryd .* starting \\(libevent")' >/dev/null || fail "versions not logged"

echo "# the API's refusals"
code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
wait_for 5 bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $srv/v1/migrations) = 200 ]" || fail "list not 200"
[ "$(curl -s "$srv/v1/migrations" | jq '.items | length')" = 0 ] || fail "list not empty"
[ "$(code -X POST -d '{"targetNode":' "$srv/v1/vms/vm1/migrate")" = 400 ] || fail "bad JSON"
jq -en 'input | .reasons[0] | test("not valid JSON")' "$tmp/body" >/dev/null || fail "no reason: $(cat "$tmp/body")"
[ "$(code -X POST -d '{"targetNode":"node-b","x":1}' "$srv/v1/vms/vm1/migrate")" = 400 ] || fail "unknown field"
[ "$(code -X POST -d '{"targetNode":"node-z"}' "$srv/v1/vms/vm1/migrate")" = 400 ] || fail "unknown node"
[ "$(code -X POST -d '{"targetNode":"node-b"}' "$srv/v1/vms/bad%20name/migrate")" = 400 ] || fail "bad vm name"
[ "$(code -X POST -d '{"targetNode":"node-b"}' "$srv/v1/vms/vm1/migrate")" = 503 ] || fail "unreachable nodes not 503"
jq -en 'input | .error | test("target node .node-b. is not connected")' "$tmp/body" >/dev/null || fail "503 reason: $(cat "$tmp/body")"
# Nesting is bounded before yajl builds (and recursively frees) a tree.
deep=$(printf '{"a":%.0s' $(seq 65))1$(printf '}%.0s' $(seq 65))
[ "$(code -X POST -d "$deep" "$srv/v1/vms/vm1/migrate")" = 400 ] || fail "deep JSON not 400"
jq -en 'input | .reasons[0] | test("nested deeper than 64")' "$tmp/body" >/dev/null || fail "deep JSON reason: $(cat "$tmp/body")"
[ "$(code -X POST -d "$deep" "$srv/v1/nodes/node-a/drain")" = 400 ] || fail "deep drain body not 400"
deep=$(printf '[%.0s' $(seq 30000))
[ "$(code -X POST -d "$deep" "$srv/v1/vms/vm1/migrate")" = 400 ] || fail "30000 open brackets not 400"
head -c 70000 /dev/zero | tr '\0' 'x' > "$tmp/big"
[ "$(code -X POST --data-binary @"$tmp/big" "$srv/v1/vms/vm1/migrate")" = 413 ] || fail "oversized body not refused"
[ "$(code "$srv/v1/migrations/nope")" = 404 ] || fail "unknown migration"
[ "$(code -X POST "$srv/v1/migrations/nope/abort")" = 404 ] || fail "abort unknown"
[ "$(code "$srv/v2/things")" = 404 ] || fail "unknown route"
[ "$(code -X PUT "$srv/v1/migrations")" = 405 ] || fail "PUT not 405"

echo "# redis goes away: 503 and a clear log line; it comes back: 200"
kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=
wait_for 10 bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $srv/healthz) = 503 ]" || fail "healthz not 503 without redis"
[ "$(code -X POST -d '{"targetNode":"node-b"}' "$srv/v1/vms/vm1/migrate")" = 503 ] || fail "migrate without redis not 503"
grep -q 'unreachable' "$log" || fail "no log line about redis"
start_redis
wait_for 15 bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $srv/healthz) = 200 ]" || fail "healthz not back to 200"

echo "# records in redis (any replica's): a past migration is listed after restart; junk is refused"
rec='{"metadata":{"name":"vm9-abcde","uid":"u-1"},"spec":{"vmiName":"vm9"},"status":{"phase":"succeeded","reason":"","sourceNode":"node-a","targetNode":"node-b","trigger":"manual","createdMs":1}}'
redis-cli -p "$rport" hset it:mig:vm9-abcde json "$rec" vm vm9 phase succeeded >/dev/null
redis-cli -p "$rport" hset it:mig:junk-1 json '{"metadata":' >/dev/null
redis-cli -p "$rport" zadd it:migs 1 vm9-abcde 2 junk-1 >/dev/null
kill -TERM "$pid"; wait "$pid" || fail "ferryd did not exit 0 on SIGTERM"
"$BIN/ferryd" -c "$tmp/ferryd.conf" 2>> "$log" & pid=$!
# (jq -e on no input at all succeeds: compare the count itself.)
wait_for 10 bash -c "[ \"\$(curl -fs $srv/v1/migrations 2>/dev/null | jq '.items | length')\" = 1 ]" || fail "past migration not listed"
[ "$(curl -s "$srv/v1/migrations/vm9-abcde" | jq -r .status.phase)" = succeeded ] || fail "record content"
grep -q "stored migration 'junk-1' is unreadable" "$log" || fail "junk record not reported"

echo "# /metrics: Prometheus text, every sample of a declared family"
curl -fs "$srv/metrics" > "$tmp/metrics" || fail "no /metrics"
python3 - "$tmp/metrics" <<'PY' || fail "metrics: $(cat "$tmp/metrics")"
import re, sys
declared, samples = {}, {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE (\w+) (gauge|counter|summary)$", line)
    if m:
        declared[m.group(1)] = m.group(2); continue
    if line.startswith("# HELP ") or not line:
        continue
    m = re.match(r'(\w+)(\{(\w+="[^"]*")(,\w+="[^"]*")*\})? (-?[0-9.]+)$', line)
    assert m, "bad line: " + line
    name = m.group(1)
    base = re.sub(r"_(sum|count)$", "", name)
    assert name in declared or base in declared, "undeclared: " + name
    samples[name + (m.group(2) or "")] = float(m.group(5))
assert samples["ferry_redis_up"] == 1, samples
assert samples['ferry_node_up{node="node-a"}'] == 0
assert samples['ferry_migrations_total{phase="succeeded"}'] == 0
assert 'ferry_migrations_in_phase{phase="copying"}' in samples
assert "ferry_migration_data_processed_bytes" in declared
PY

echo "# bearer token: required once configured (SIGHUP), /healthz open unless told"
reloads() { grep -c 'configuration reloaded' "$log" || true; }
hup() { local n; n=$(reloads); kill -HUP "$pid"; wait_for 5 bash -c "[ \$(grep -c 'configuration reloaded' '$log') -gt $n ]" || fail "no reload"; }
code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
tok=0123456789abcdef0123456789abcdef
printf '%s\n' "$tok" > "$tmp/token"; chmod 600 "$tmp/token"
sed -i "s|^\[ferryd\]\$|[ferryd]\napi_token_file = $tmp/token|" "$tmp/ferryd.conf"
hup
[ "$(code "$srv/v1/migrations")" = 401 ] || fail "no token: $(cat "$tmp/body")"
curl -s -D - -o /dev/null "$srv/v1/migrations" | grep -qi '^WWW-Authenticate: Bearer' || fail "no WWW-Authenticate"
[ "$(code -H "Authorization: Bearer ${tok}x" "$srv/v1/migrations")" = 401 ] || fail "wrong token accepted"
[ "$(code -H "Authorization: Bearer ${tok%?}" "$srv/v1/migrations")" = 401 ] || fail "token prefix accepted"
[ "$(code -H "Authorization: Bearer $tok" "$srv/v1/migrations")" = 200 ] || fail "right token refused: $(cat "$tmp/body")"
[ "$(code -X POST -d '{}' "$srv/v1/vms/vm1/migrate")" = 401 ] || fail "POST without token not refused"
[ "$(code "$srv/healthz")" = 200 ] || fail "healthz not open"
[ "$(code "$srv/metrics")" = 200 ] || fail "metrics not open"
rc=0; "$BIN/ferryctl" --server "$srv" get migrations >/dev/null 2>"$tmp/err" || rc=$?
[ $rc = 1 ] && grep -q "bearer token" "$tmp/err" || fail "ferryctl without a token: rc $rc, $(cat "$tmp/err")"
FERRY_TOKEN=$tok "$BIN/ferryctl" --server "$srv" get migrations >/dev/null || fail "ferryctl with FERRY_TOKEN"
"$BIN/ferryctl" --server "$srv" --token "$tok" get migrations >/dev/null || fail "ferryctl with --token"
sed -i "s|^\[ferryd\]\$|[ferryd]\napi_open_health = false|" "$tmp/ferryd.conf"
hup
[ "$(code "$srv/healthz")" = 401 ] || fail "healthz open although api_open_health = false"
[ "$(code "$srv/metrics")" = 401 ] || fail "metrics open although api_open_health = false"
echo short > "$tmp/token"
hup
grep -q 'keeping the previous token' "$log" || fail "a bad token file was not reported"
[ "$(code -H "Authorization: Bearer $tok" "$srv/v1/migrations")" = 200 ] || fail "previous token lost"

echo "# SIGHUP with a broken file keeps the running config"
echo "progress_timeout = 99999999" >> "$tmp/ferryd.conf"
kill -HUP "$pid"
wait_for 5 grep -q 'reload failed' "$log" || fail "no reload error logged"
[ "$(code -H "Authorization: Bearer $tok" "$srv/healthz")" = 200 ] || fail "ferryd died on a bad reload"
kill -TERM "$pid"; wait "$pid" || fail "ferryd did not exit 0"; pid=
echo "test-ferryd: every case passed"
