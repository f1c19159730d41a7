#!/usr/bin/env bash
# End to end on real libvirt: ferryd drives live migrations between two lab
# hosts (libvirtd in network namespaces, TCG guests) and reports them right.
#   (a) migrate succeeds; the VM runs on the target and stays alive there
#   (e) a second migrate of a VM while one runs is refused with 409
#   (b) abort mid-migration (bandwidth capped) -> aborted, VM on the source
#   (c) dirtying faster than the capped bandwidth, short progress timeout
#       -> failed/ProgressTimeout, VM on the source
#   (d) short completion timeout -> failed/CompletionTimeout, VM on the source
#   and: records survive a ferryd restart; SIGHUP reloads the config.
# Busy guests are judged by libvirt's view only (TCG pre-copy trap, NOTES §4c).
set -euo pipefail
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"

ferry_need_lab 2
FERRY_GUESTS="e2e-idle e2e-busy"
for g in $FERRY_GUESTS; do bash "$LAB_SH" destroy "$g" >/dev/null 2>&1 || true; done
bash "$LAB_SH" guest e2e-idle node-a --wait-up
bash "$LAB_SH" guest e2e-busy node-a --dirty 32 --rate 20 --wait-up

ferry_conf job_stats_interval=250
# A webhook receiver on loopback that fails its first POST.
hook_port=$(ferry_free_port)
python3 "$top_srcdir/tests/e2e/webhook-recv.py" "$hook_port" "$FERRY_TMP/hooks" 1 &
FERRY_BG_PIDS="$!"
printf '[notify]\nwebhook_url = http://127.0.0.1:%s/hook\nwebhook_events = all\n' "$hook_port" >> "$FERRYD_CONF"
ferryd_start

echo "# (a) migrate e2e-idle node-a -> node-b and wait"
# Watched meanwhile: ferryctl watch streams GET /v1/watch (from Redis' events channel).
"$FERRY_BIN/ferryctl" --server "$FERRY_SERVER" watch vm=e2e-idle -o json > "$FERRY_TMP/watch" 2>&1 &
FERRY_BG_PIDS="$FERRY_BG_PIDS $!"
wait_for 10 bash -c "curl -fs '$FERRY_SERVER/metrics' | grep -qx 'ferry_watchers 1'" || fail "the watcher did not connect"
out=$(ctl migrate e2e-idle --to node-b --wait) || fail "ferryctl migrate --wait failed: $out"
echo "$out"
name=$(echo "$out" | grep -o 'e2e-idle-[a-z0-9]\{5\}' | head -1)
[ -n "$name" ] || fail "no migration name in: $out"
[ "$(mig_field "$name" .status.phase)" = succeeded ] || fail "phase is not succeeded"
[ "$(mig_field "$name" .spec.vmiName)" = e2e-idle ] || fail "spec.vmiName is wrong"
[ "$(mig_field "$name" .status.sourceNode)" = node-a ] || fail "sourceNode is wrong"
[ "$(mig_field "$name" '.status.progress.dataTotal > 0')" = true ] || fail "no progress recorded"
[ "$(mig_field "$name" '[.status.phaseTransitions[].phase] | join(",")')" = \
    "pending,scheduling,copying,completing,succeeded" ] || fail "unexpected phase history"
assert_runs_on e2e-idle node-b
# Persisted with the target's definition, gone from the source (PERSIST_DEST|UNDEFINE_SOURCE).
virsh -c "$FERRY_URI_node_a" dominfo e2e-idle >/dev/null 2>&1 && fail "e2e-idle still defined on node-a"
# The (idle) guest is alive on the target: a new heartbeat after the move.
hb=$(grep -c '^HB' "$FERRY_LAB/shared/e2e-idle.serial" || true)
wait_for 30 bash -c "[ \$(grep -c '^HB' '$FERRY_LAB/shared/e2e-idle.serial') -gt $hb ]" ||
    fail "no heartbeat from e2e-idle on node-b"
# One structured log line per transition, with the fields operators grep for.
n=$(grep '"msg":"migration transition"' "$FERRYD_LOG" | jq -r "select(.migration == \"$name\") | .to" | tr '\n' ,)
[ "$n" = "scheduling,copying,completing,succeeded," ] || fail "transition log lines: $n"
grep '"msg":"migration transition"' "$FERRYD_LOG" | jq -en "[inputs | select(.migration == \"$name\" and .to == \"succeeded\")] | length == 1 and (.[0] | .vm == \"e2e-idle\" and .source == \"node-a\" and .target == \"node-b\" and (.uid | length) == 36)" >/dev/null ||
    fail "transition line lacks fields"

# The metrics count it.
curl -fs "$FERRY_SERVER/metrics" > "$FERRY_TMP/metrics" || fail "no /metrics"
grep -qx 'ferry_migrations_total{phase="succeeded"} 1' "$FERRY_TMP/metrics" || fail "metrics: $(grep total "$FERRY_TMP/metrics")"
grep -qx 'ferry_migration_phase_seconds_count{phase="copying"} 1' "$FERRY_TMP/metrics" || fail "metrics: $(grep phase_seconds "$FERRY_TMP/metrics")"
grep -qx 'ferry_node_up{node="node-b"} 1' "$FERRY_TMP/metrics" || fail "metrics: $(grep node_up "$FERRY_TMP/metrics")"
grep -q "^ferry_migration_end_time_seconds{migration=\"$name\",vm=\"e2e-idle\",source=\"node-a\",target=\"node-b\"} [0-9]" "$FERRY_TMP/metrics" ||
    fail "no end time for $name: $(grep end_time "$FERRY_TMP/metrics")"

# The watcher saw every transition of it, once each, in order.
wait_for 10 bash -c "grep -q '\"phase\":\"succeeded\"' '$FERRY_TMP/watch'" || fail "watch: $(cat "$FERRY_TMP/watch")"
w=$(jq -r "select(.type == \"migration\" and .object.metadata.name == \"$name\") | .object.status.phase" "$FERRY_TMP/watch" | tr '\n' ,)
[ "$w" = "pending,scheduling,copying,completing,succeeded," ] || fail "watch saw: $w"
# The webhook got every transition in order, the end once, after a retry.
wait_for 20 bash -c "grep -q '\"final\": true' '$FERRY_TMP/hooks' 2>/dev/null" || fail "no final webhook: $(cat "$FERRY_TMP/hooks" 2>/dev/null)"
sleep 1
h=$(jq -r "select(.object.metadata.name == \"$name\") | \"\(.object.status.phase)/\(.final)\"" "$FERRY_TMP/hooks" | tr '\n' ,)
[ "$h" = "scheduling/false,copying/false,completing/false,succeeded/true," ] || fail "webhooks: $h"
jq -en '[inputs | select(.final)] | length == 1 and (.[0] | .type == "migration" and ._content_type == "application/json" and (.id | length) > 0 and (.time | test("Z$")))' "$FERRY_TMP/hooks" >/dev/null ||
    fail "webhook body: $(tail -1 "$FERRY_TMP/hooks")"

echo "# records survive a restart of ferryd"
ferryd_stop
ferryd_start
[ "$(mig_field "$name" .status.phase)" = succeeded ] || fail "migration $name lost across restart"
ctl get migrations | grep -q "^$name " || fail "ferryctl get migrations does not list $name"

echo "# bad requests are refused with reasons"
[ "$(api_migrate e2e-idle '{"targetNode":')" = 400 ] || fail "bad JSON not 400"
[ "$(api_migrate e2e-idle '{"targetNode":"node-z"}')" = 400 ] || fail "unknown node not 400"
[ "$(api_migrate e2e-nope '{"targetNode":"node-a"}')" = 404 ] || fail "unknown VM not 404"
[ "$(api_migrate e2e-idle '{"targetNode":"node-b"}')" = 409 ] || fail "migrate to current node not 409"
jq -en 'input | .error | length > 0' "$FERRY_TMP/body" >/dev/null || fail "409 without error"

echo "# (b) abort mid-migration, bandwidth capped at 5 MiB/s (reloaded by SIGHUP)"
ferryd_reload job_stats_interval=250 bandwidth_per_migration=5
[ "$(api_migrate e2e-busy '{"targetNode":"node-b"}')" = 201 ] || fail "migrate e2e-busy refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_phase "$name" copying 30 || fail "$name never reached copying"
wait_for 30 bash -c "curl -fs '$FERRY_SERVER/v1/migrations/$name' | jq -en 'input | .status.progress.dataProcessed > 0' >/dev/null" ||
    fail "no progress sampled"
# A running migration's progress is on /metrics, labelled.
curl -fs "$FERRY_SERVER/metrics" | grep -E "^ferry_migration_data_processed_bytes\{migration=\"$name\",vm=\"e2e-busy\",source=\"node-a\",target=\"node-b\"\} [1-9][0-9]*\$" >/dev/null ||
    fail "running migration not on /metrics: $(curl -s "$FERRY_SERVER/metrics" | grep data_processed)"

echo "# (e) a second migrate of the same VM while one runs -> 409"
[ "$(api_migrate e2e-busy '{"targetNode":"node-b"}')" = 409 ] || fail "second migrate not 409"
grep -q "$name" "$FERRY_TMP/body" || fail "409 does not name the active migration"

ctl abort "$name" || fail "ferryctl abort failed"
wait_phase "$name" final 60 || fail "$name did not end after abort"
[ "$(mig_field "$name" .status.phase)" = aborted ] || fail "phase $(mig_field "$name" .status.phase), not aborted"
[ "$(mig_field "$name" .status.reason)" = AbortRequested ] || fail "reason is not AbortRequested"
assert_runs_on e2e-busy node-a

echo "# (c) dirtying faster than 5 MiB/s with progress_timeout=8 -> ProgressTimeout"
ferryd_reload job_stats_interval=250 bandwidth_per_migration=5 progress_timeout=8
[ "$(api_migrate e2e-busy '{"targetNode":"node-b"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_phase "$name" final 180 || fail "$name did not end"
[ "$(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)" = failed/ProgressTimeout ] ||
    fail "got $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)"
[ "$(mig_field "$name" '.status.progress.iteration >= 2')" = true ] || fail "it never left the first pass"
assert_runs_on e2e-busy node-a

echo "# (d) completion_timeout_per_gib=40 (5 s for 128 MiB) -> CompletionTimeout"
ferryd_reload job_stats_interval=250 bandwidth_per_migration=5 completion_timeout_per_gib=40
[ "$(api_migrate e2e-busy '{"targetNode":"node-b"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_phase "$name" final 60 || fail "$name did not end"
[ "$(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)" = failed/CompletionTimeout ] ||
    fail "got $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)"
assert_runs_on e2e-busy node-a

echo "# ferryd killed (-9) mid-migration: the p2p job goes on; a new ferryd adopts and concludes it"
ferryd_reload job_stats_interval=250 bandwidth_per_migration=10
[ "$(api_migrate e2e-idle '{"targetNode":"node-a"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_phase "$name" copying 30 || fail "$name never reached copying"
kill -9 "$FERRYD_PID"; wait "$FERRYD_PID" 2>/dev/null || true; FERRYD_PID=
ferryd_start
# A new ferryd is a new replica: it takes over once the old one's lease ends.
wait_for 10 grep -q '"msg":"migration adopted"' "$FERRYD_LOG" || fail "no adoption logged"
wait_for 10 grep -q "the job still runs on 'node-b'; watching it" "$FERRYD_LOG" ||
    fail "the adopted job was not found running on the source"
wait_phase "$name" final 90 || fail "$name did not end after adoption"
[ "$(mig_field "$name" .status.phase)" = succeeded ] ||
    fail "adopted migration ended $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason): $(mig_field "$name" .status.message)"
assert_runs_on e2e-idle node-a

echo "# the VM can migrate again after all that (claims were released)"
ferryd_reload job_stats_interval=250
ctl migrate e2e-busy --to node-b --wait >/dev/null || fail "final migrate of e2e-busy failed"
assert_runs_on e2e-busy node-b
echo "# concurrency slots: with one outbound migration per node, two from node-b never overlap"
ctl migrate e2e-idle --to node-b --wait >/dev/null || fail "migrate e2e-idle to node-b failed"
ferryd_reload job_stats_interval=250 parallel_outbound_migrations_per_node=1
[ "$(api_migrate e2e-idle '{"targetNode":"node-a"}')" = 201 ] || fail "refused: $(cat "$FERRY_TMP/body")"
first=$(jq -r .metadata.name "$FERRY_TMP/body")
[ "$(api_migrate e2e-busy '{"targetNode":"node-a"}')" = 201 ] || fail "refused: $(cat "$FERRY_TMP/body")"
second=$(jq -r .metadata.name "$FERRY_TMP/body")
[ "$(mig_field "$second" .status.phase)" = pending ] || fail "$second did not wait for a slot"
wait_phase "$first" final 60 && wait_phase "$second" final 90 || fail "the two migrations did not end"
[ "$(mig_field "$first" .status.phase)/$(mig_field "$second" .status.phase)" = succeeded/succeeded ] ||
    fail "slots: $(mig_field "$first" .status.phase)/$(mig_field "$second" .status.phase)"
end1=$(mig_field "$first" .status.endedMs)
start2=$(mig_field "$second" '.status.phaseTransitions[] | select(.phase == "scheduling") | .timeMs')
[ "$start2" -ge "$end1" ] || fail "the second left pending at $start2 before the first ended at $end1"
echo "test-migrate: every case passed"
