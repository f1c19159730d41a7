#!/usr/bin/env bash
# End to end with three ferryd replicas sharing one Redis (issue 4), on
# three real libvirt hosts:
#   - any replica answers for every migration, whichever drives it; an
#     abort sent to one replica stops a migration another one drives
#   - kill -9 of the replica driving a migration: another takes the record
#     over within seconds, concludes from the hosts (the p2p job went on)
#     and it ends succeeded, the VM on the target and nowhere else
#   - redis-server restarted (AOF on) mid-migration: it ends succeeded and
#     its queue entry is acknowledged; nothing in flight is forgotten
set -euo pipefail
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"
. "$top_srcdir/tests/e2e/replica-lib.sh"

ferry_need_lab 3
FERRY_GUESTS="rp-a rp-b"
for g in $FERRY_GUESTS; do bash "$LAB_SH" destroy "$g" >/dev/null 2>&1 || true; done
bash "$LAB_SH" guest rp-a node-a --wait-up >/dev/null
bash "$LAB_SH" guest rp-b node-b --wait-up >/dev/null

redis_start
# 5 MiB/s: a 128 MiB guest takes ~25 s, time enough to act mid-copy.
for r in r1 r2 r3; do replica_start "$r" bandwidth_per_migration=5 job_stats_interval=250 finished_retention=0; done

echo "# any replica answers; an abort sent to one stops what another drives"
[ "$(replica_migrate r1 rp-a '{"targetNode":"node-b"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
replica_wait_phase r2 "$name" copying 60 || fail "$name never reached copying"
owner=$(mig_owner "$name")
[ -n "$owner" ] || fail "$name has no owner"
for r in r1 r2 r3; do
	[ "$(replica_field "$r" "$name" .metadata.name)" = "$name" ] || fail "replica $r does not answer for $name"
done
other=$(replica_other "$owner")
code=$(curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST "$(replica_srv "$other")/v1/migrations/$name/abort")
[ "$code" = 202 ] || fail "abort through $other (owner $owner): $code $(cat "$FERRY_TMP/body")"
replica_wait_phase "$other" "$name" final 60 || fail "$name did not end after the abort"
[ "$(replica_field r3 "$name" .status.phase)/$(replica_field r3 "$name" .status.reason)" = aborted/AbortRequested ] ||
    fail "$name ended $(replica_field r3 "$name" .status.phase)/$(replica_field r3 "$name" .status.reason)"
wait_for 20 assert_runs_on rp-a node-a || fail "rp-a is not back on node-a alone"
grep -q '"msg":"abort requested"' "$(replica_log "$owner")" || fail "the owner $owner did not act on the abort"

echo "# kill -9 of the replica driving a migration: another adopts it"
[ "$(replica_migrate r2 rp-a '{"targetNode":"node-b"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
replica_wait_phase r2 "$name" copying 60 || fail "$name never reached copying"
owner=$(mig_owner "$name")
epoch=$(mig_epoch "$name")
replica_kill9 "$owner"
t0=${EPOCHREALTIME/[.,]/}
wait_for 15 bash -c "[ \"\$(redis-cli -p $FERRY_REDIS_PORT hget '${FERRY_PREFIX}mig:$name' owner)\" != '$owner' ]" ||
    fail "nobody took $name over from $owner"
t1=${EPOCHREALTIME/[.,]/}
adopter=$(mig_owner "$name")
echo "adopted by $adopter $(( (t1 - t0) / 1000 )) ms after kill -9 of $owner"
[ "$(mig_epoch "$name")" -gt "$epoch" ] || fail "epoch did not grow on take-over"
(( (t1 - t0) / 1000 <= 6000 )) || fail "adoption took $(( (t1 - t0) / 1000 )) ms"
wait_for 10 grep -q '"msg":"migration adopted"' "$(replica_log "$adopter")" || fail "$adopter logged no adoption"
replica_wait_phase "$adopter" "$name" final 120 || fail "$name did not end after adoption"
[ "$(replica_field "$adopter" "$name" .status.phase)" = succeeded ] ||
    fail "adopted $name ended $(replica_field "$adopter" "$name" .status.phase)/$(replica_field "$adopter" "$name" .status.reason): $(replica_field "$adopter" "$name" .status.message)"
assert_runs_on rp-a node-b || fail "rp-a does not run on node-b alone"
n=$(grep -h '"msg":"migration transition"' "$FERRY_TMP"/r?.log | jq -r "select(.migration == \"$name\" and .to == \"succeeded\") | .migration" | wc -l)
[ "$n" = 1 ] || fail "$name reached succeeded $n times across replicas"
replica_start "$owner" bandwidth_per_migration=5 job_stats_interval=250 finished_retention=0

echo "# redis-server restarted (AOF) mid-migration: it completes"
[ "$(replica_migrate r3 rp-b '{"targetNode":"node-c"}')" = 201 ] || fail "migrate refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
replica_wait_phase r3 "$name" copying 60 || fail "$name never reached copying"
redis_restart 3
replica_wait_phase r1 "$name" final 120 || fail "$name did not end after the redis restart"
[ "$(replica_field r1 "$name" .status.phase)" = succeeded ] ||
    fail "$name ended $(replica_field r1 "$name" .status.phase)/$(replica_field r1 "$name" .status.reason): $(replica_field r1 "$name" .status.message)"
assert_runs_on rp-b node-c || fail "rp-b does not run on node-c alone"
wait_for 10 bash -c "[ \"\$(redis-cli -p $FERRY_REDIS_PORT xpending '${FERRY_PREFIX}queue' ferryd | head -n 1)\" = 0 ]" ||
    fail "queue entries left unacknowledged: $(redis-cli -p "$FERRY_REDIS_PORT" xpending "${FERRY_PREFIX}queue" ferryd)"
for r in r1 r2 r3; do grep -q 'redis is reachable' "$(replica_log "$r")" || fail "$r never reconnected"; done

replicas_stop
echo "test-replicas: every case passed"
