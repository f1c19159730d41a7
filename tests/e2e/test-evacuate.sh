#!/usr/bin/env bash
# End to end: batch evacuation on a node drain (issue 4), two ferryd
# replicas sharing one Redis, three real libvirt hosts.
#   1. drain a host with four guests (ferryctl drain --wait): all move,
#      the evacuation completes, the cluster and per-node limits hold
#      throughout (slots sampled); aborting an evacuation's migration
#      without --force is refused
#   2. kill -9 of the replica driving migrations mid-evacuation: the other
#      adopts them; every VM ends on exactly one host, none twice migrated
#   3. redis-server restarted mid-evacuation: it completes
#   4. uncordon mid-evacuation: cancelled; pending migrations end
#      aborted/EvacuationCancelled, the running one finishes
#   5. a host with a non-migratable VM: the others move, the evacuation
#      ends failed naming it
#   6. malformed entries of the requests stream: error records, daemons
#      unharmed; a good entry drains
set -euo pipefail
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"
. "$top_srcdir/tests/e2e/replica-lib.sh"

ferry_need_lab 3
GUESTS="ev-1 ev-2 ev-3 ev-4"
FERRY_GUESTS="$GUESTS ev-cd"
for g in $FERRY_GUESTS; do bash "$LAB_SH" destroy "$g" >/dev/null 2>&1 || true; done
for g in $GUESTS; do bash "$LAB_SH" guest "$g" node-a >/dev/null; done

redis_start
# 20 MiB/s: each 128 MiB guest takes several seconds; 2 leave a node at once.
# finished_retention=0: ended migrations leave memory at once (mig_reap runs all along).
OPTS="bandwidth_per_migration=20 job_stats_interval=250 parallel_migrations_per_cluster=3 parallel_outbound_migrations_per_node=2 finished_retention=0"
replica_start r1 $OPTS
replica_start r2 $OPTS
rctl() { "$FERRY_BIN/ferryctl" --server "$(replica_srv "$1")" "${@:2}"; }
# evac_of NODE: the newest evacuation of NODE (JSON), from replica r2.
# (Retried for a while: right after a redis restart a replica may answer 503.)
evac_of() {
	local i out
	for i in $(seq 50); do
		out=$(curl -fs "$(replica_srv r2)/v1/evacuations?node=$1") && break
		sleep 0.2
	done
	jq -c '.items[-1]' <<< "$out"
}
evac_field() { evac_of "$1" | jq -r "$2"; }
# where_all: "vm=node ..." for the guests given.
where_all() { local g; for g in "$@"; do printf '%s=%s ' "$g" "$(bash "$LAB_SH" where "$g" | tr '\n' ',')"; done; }
# none_on NODE GUESTS...: no guest runs on NODE, each runs on one host.
none_on() {
	local node=$1 g w; shift
	for g in "$@"; do
		w=$(bash "$LAB_SH" where "$g")
		[ "$(echo "$w" | grep -c .)" = 1 ] || { echo "$g runs on: $w" >&2; return 1; }
		[ "$w" != "$node" ] || { echo "$g still on $node" >&2; return 1; }
	done
}
# Sample the slot sets every 100 ms into FILE until killed.
sample_slots() {
	while :; do
		printf '%s %s %s %s\n' \
		    "$(redis-cli -p "$FERRY_REDIS_PORT" zcard "${FERRY_PREFIX}slots:cluster")" \
		    "$(redis-cli -p "$FERRY_REDIS_PORT" zcard "${FERRY_PREFIX}slots:out:node-a")" \
		    "$(redis-cli -p "$FERRY_REDIS_PORT" zcard "${FERRY_PREFIX}slots:out:node-b")" \
		    "$(redis-cli -p "$FERRY_REDIS_PORT" zcard "${FERRY_PREFIX}slots:out:node-c")"
		sleep 0.1
	done >> "$1"
}

echo "# 1. drain node-a (four guests) with ferryctl drain --wait"
sample_slots "$FERRY_TMP/slots" & sampler=$!
rctl r1 drain node-a --wait > "$FERRY_TMP/drain.out" 2>&1 & drainer=$!
# Mid-way: aborting an evacuation's migration without force is refused.
wait_for 60 bash -c "curl -fs '$(replica_srv r1)/v1/migrations' | jq -en 'input | [.items[] | select(.status.trigger == \"evacuation\" and (.status.phase | test(\"pending|scheduling|copying\")))] | length > 0' >/dev/null" ||
    fail "no evacuation migration appeared"
m=$(curl -fs "$(replica_srv r1)/v1/migrations" | jq -r '[.items[] | select(.status.trigger == "evacuation" and (.status.phase | test("pending|scheduling|copying")))][0].metadata.name')
code=$(curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST "$(replica_srv r2)/v1/migrations/$m/abort")
[ "$code" = 409 ] && grep -q force "$FERRY_TMP/body" || fail "abort of $m without force: $code $(cat "$FERRY_TMP/body")"
[[ $m == kubevirt-evacuation-* ]] || fail "evacuation migration named '$m'"
# The leader's /metrics shows the evacuation running with its four VMs.
for r in r1 r2; do curl -fs "$(replica_srv $r)/metrics" > "$FERRY_TMP/metrics.$r" || fail "no /metrics on $r"; done
lead=$(grep -lx 'ferry_evacuation_leader 1' "$FERRY_TMP"/metrics.r1 "$FERRY_TMP"/metrics.r2) || fail "no replica reports itself leader"
[ "$(grep -cx 'ferry_evacuation_leader 0' "$FERRY_TMP"/metrics.r1 "$FERRY_TMP"/metrics.r2 | grep -c ':1$')" = 1 ] || fail "not exactly one non-leader"
grep -qE '^ferry_evacuation_vms\{evacuation="node-a-drain-[a-z0-9]{5}",node="node-a",state="total"\} 4$' "$lead" ||
    fail "evacuation metrics: $(grep ferry_evacuation "$lead")"
grep -qE '^ferry_evacuation_phase\{evacuation="node-a-drain-[a-z0-9]{5}",node="node-a",phase="running"\} 1$' "$lead" ||
    fail "evacuation phase metric: $(grep ferry_evacuation_phase "$lead")"
bad=$(grep -v '^#' "$lead" | grep -vE '^ferry_[a-z_]+(\{[^}]*\})? [0-9][0-9.e+-]*$' || true)
[ -z "$bad" ] || fail "malformed samples on /metrics: $bad"
# Every replica shows the VMs being moved, whichever drives them.
for r in r1 r2; do
	wait_for 30 bash -c "curl -fs '$(replica_srv $r)/v1/vms' | jq -en 'input | [.items[] | select(.metadata.name | startswith(\"ev-\")) | .status.printableStatus] | any(. == \"Migrating\" or . == \"Pending migration\")' >/dev/null" ||
	    fail "$r shows no VM migrating: $(curl -s "$(replica_srv $r)/v1/vms" | jq -c '[.items[] | [.metadata.name, .status.printableStatus]]')"
done
rc=0; wait "$drainer" || rc=$?
kill "$sampler"; wait "$sampler" 2>/dev/null || true
[ $rc = 0 ] || fail "drain --wait exited $rc: $(cat "$FERRY_TMP/drain.out")"
# The ended migrations left the replicas' memory (finished_retention=0); the API still has them.
wait_for 10 bash -c "cat '$FERRY_TMP'/r*.log | grep -q '\"msg\":\"forgot [0-9]* ended migrations'" || fail "no ended migration was forgotten"
[ "$(curl -fs "$(replica_srv r1)/v1/migrations" | jq '[.items[] | select(.status.trigger == "evacuation" and .status.phase == "succeeded")] | length')" -ge 4 ] ||
    fail "forgotten migrations missing from the API"
# Not a terminal: a line each time the count moves, with the bytes moved so far.
grep -qE '^evacuation node-a-drain-[a-z0-9]{5}: [1-3]/4 VMs done, [0-9.]+/[0-9.]+ MiB, ' "$FERRY_TMP/drain.out" ||
    fail "drain --wait progress: $(cat "$FERRY_TMP/drain.out")"
[ "$(evac_field node-a .status.phase)" = completed ] || fail "evacuation: $(evac_of node-a)"
[ "$(evac_field node-a .status.total)" = 4 ] || fail "evacuation total: $(evac_of node-a)"
none_on node-a $GUESTS || fail "guests after the drain: $(where_all $GUESTS)"
read -r maxc maxa < <(awk '{ if ($1 > c) c = $1; if ($2 > a) a = $2 } END { print c + 0, a + 0 }' "$FERRY_TMP/slots")
echo "slots at most: cluster $maxc, node-a $maxa ($(wc -l < "$FERRY_TMP/slots") samples)"
(( maxc <= 3 && maxa <= 2 )) || fail "limits exceeded: cluster $maxc > 3 or node-a $maxa > 2"
(( maxa == 2 )) || fail "never two migrations at once from node-a (max $maxa): no batching"
for r in r1 r2; do
	curl -fs "$(replica_srv $r)/v1/nodes/node-a" | jq -en 'input | .spec.unschedulable == true and (.spec.taints | map(.key + ":" + .effect) | index("kubevirt.io/drain:NoSchedule") != null)' >/dev/null ||
	    fail "$r does not show node-a cordoned and tainted: $(curl -s "$(replica_srv $r)/v1/nodes/node-a" | jq -c .spec)"
done
rctl r2 get nodes | grep -E '^node-a +[^ ]+ +false' >/dev/null || fail "get nodes: $(rctl r2 get nodes)"

echo "# 2. kill -9 of the replica driving migrations mid-evacuation"
rctl r1 uncordon node-a >/dev/null || fail "uncordon node-a"
# guests_on NODE: the guests running on NODE.
guests_on() { local g; for g in $GUESTS; do [ "$(bash "$LAB_SH" where "$g")" != "$1" ] || echo "$g"; done; }
on_b=$(guests_on node-b)
on_c=$(guests_on node-c)
src=node-b; moving=$on_b
[ "$(echo "$on_c" | grep -c .)" -gt "$(echo "$on_b" | grep -c .)" ] && { src=node-c; moving=$on_c; }
[ -n "$moving" ] || fail "no guest to move: $(where_all $GUESTS)"
rctl r2 drain "$src" >/dev/null || fail "drain $src"
wait_for 60 bash -c "curl -fs '$(replica_srv r2)/v1/migrations' | jq -en 'input | [.items[] | select(.status.phase == \"copying\" and .status.sourceNode == \"$src\")] | length > 0' >/dev/null" ||
    fail "no migration copying from $src"
m=$(curl -fs "$(replica_srv r2)/v1/migrations" | jq -r "[.items[] | select(.status.phase == \"copying\" and .status.sourceNode == \"$src\")][0].metadata.name")
victim=$(mig_owner "$m")
survivor=$(replica_other "$victim")
echo "killing $victim (drives $m); $survivor carries on"
replica_kill9 "$victim"
wait_for 180 bash -c "curl -fs '$(replica_srv "$survivor")/v1/evacuations?node=$src' | jq -en 'input | .items[-1].status.phase | test(\"completed|failed|cancelled\")' >/dev/null" ||
    fail "evacuation of $src did not end: $(curl -s "$(replica_srv "$survivor")/v1/evacuations?node=$src")"
e=$(curl -fs "$(replica_srv "$survivor")/v1/evacuations?node=$src" | jq -c '.items[-1]')
[ "$(echo "$e" | jq -r .status.phase)" = completed ] || fail "evacuation of $src: $e"
none_on "$src" $GUESTS || fail "guests after the drain of $src: $(where_all $GUESTS)"
for g in $moving; do
	n=$(curl -fs "$(replica_srv "$survivor")/v1/migrations" | jq "[.items[] | select(.spec.vmiName == \"$g\" and .status.evacuation == \"$(echo "$e" | jq -r .metadata.name)\" and .status.phase == \"succeeded\")] | length")
	[ "$n" = 1 ] || fail "$g moved $n times in the evacuation of $src"
done
grep -q '"msg":"migration adopted"' "$(replica_log "$survivor")" || fail "$survivor adopted nothing"
replica_start "$victim" $OPTS
rctl r1 uncordon "$src" >/dev/null || fail "uncordon $src"

echo "# 3. redis-server restarted mid-evacuation"
src=$(bash "$LAB_SH" where ev-1)
rctl r1 drain "$src" >/dev/null || fail "drain $src"
wait_for 60 bash -c "curl -fs '$(replica_srv r1)/v1/migrations' | jq -en 'input | [.items[] | select(.status.phase == \"copying\" and .status.sourceNode == \"$src\")] | length > 0' >/dev/null" ||
    fail "no migration copying from $src"
redis_restart 2
wait_for 180 bash -c "curl -fs '$(replica_srv r1)/v1/evacuations?node=$src' | jq -en 'input | .items[-1].status.phase | test(\"completed|failed|cancelled\")' >/dev/null" ||
    fail "evacuation of $src did not end after the redis restart"
[ "$(evac_field "$src" .status.phase)" = completed ] || fail "evacuation of $src: $(evac_of "$src")"
none_on "$src" $GUESTS || fail "guests: $(where_all $GUESTS)"
rctl r2 uncordon "$src" >/dev/null || fail "uncordon $src"

echo "# 4. uncordon mid-evacuation: cancelled"
sed -i 's/^parallel_outbound_migrations_per_node = .*/parallel_outbound_migrations_per_node = 1/' "$FERRY_TMP"/r1.conf "$FERRY_TMP"/r2.conf
for r in r1 r2; do kill -HUP "${REPLICA_PID[$r]}"; done
sleep 1
src=$(for g in $GUESTS; do bash "$LAB_SH" where "$g"; done | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
n_src=$(guests_on "$src" | grep -c . || true)
(( n_src >= 2 )) || {
	# Gather two guests on one host first.
	for g in $GUESTS; do [ "$(bash "$LAB_SH" where "$g")" = "$src" ] || { rctl r1 migrate "$g" --to "$src" --wait >/dev/null || fail "gathering $g"; break; }; done
}
rctl r1 drain "$src" >/dev/null || fail "drain $src"
wait_for 60 bash -c "curl -fs '$(replica_srv r1)/v1/migrations' | jq -en 'input | [.items[] | select(.status.phase == \"copying\" and .status.sourceNode == \"$src\")] | length > 0' >/dev/null" ||
    fail "no migration copying from $src"
rctl r2 uncordon "$src" >/dev/null || fail "uncordon $src"
wait_for 30 bash -c "[ \"\$(curl -fs '$(replica_srv r1)/v1/evacuations?node=$src' | jq -r '.items[-1].status.phase')\" = cancelled ]" ||
    fail "evacuation of $src not cancelled: $(evac_of "$src")"
eid=$(evac_field "$src" .metadata.name)
wait_for 120 bash -c "curl -fs '$(replica_srv r1)/v1/migrations' | jq -en 'input | [.items[] | select(.status.evacuation == \"$eid\" and (.status.phase | test(\"pending|scheduling|copying|completing\")))] | length == 0' >/dev/null" ||
    fail "migrations of $eid did not end"
curl -fs "$(replica_srv r1)/v1/migrations" | jq -c "[.items[] | select(.status.evacuation == \"$eid\") | [.status.phase, .status.reason]]" > "$FERRY_TMP/cancel"
echo "migrations of the cancelled evacuation: $(cat "$FERRY_TMP/cancel")"
jq -en 'input | map(select(.[0] == "succeeded")) | length >= 1' "$FERRY_TMP/cancel" >/dev/null || fail "the running migration did not finish"
jq -en 'input | map(select(. == ["aborted", "EvacuationCancelled"])) | length >= 1' "$FERRY_TMP/cancel" >/dev/null || fail "no pending migration ended aborted/EvacuationCancelled"
for g in $GUESTS; do [ "$(bash "$LAB_SH" where "$g" | grep -c .)" = 1 ] || fail "$g runs on: $(bash "$LAB_SH" where "$g")"; done

echo "# 5. a non-migratable VM (CD-ROM): the others move, the evacuation fails naming it"
src=$(bash "$LAB_SH" where ev-2)
bash "$LAB_SH" guest ev-cd "$src" >/dev/null
uri=$(node_uri "$src")
virsh -q -c "$uri" dumpxml --inactive ev-cd > "$FERRY_TMP/ev-cd.xml"
virsh -q -c "$uri" destroy ev-cd >/dev/null; virsh -q -c "$uri" undefine ev-cd >/dev/null
sed -e "s|</devices>|<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk></devices>|" \
    "$FERRY_TMP/ev-cd.xml" > "$FERRY_TMP/ev-cd.new.xml"
virsh -q -c "$uri" define "$FERRY_TMP/ev-cd.new.xml" >/dev/null || fail "cannot define ev-cd"
virsh -q -c "$uri" start ev-cd >/dev/null || fail "cannot start ev-cd"
movable=$(guests_on "$src")
rc=0; rctl r2 drain "$src" --wait > "$FERRY_TMP/drain.out" 2>&1 || rc=$?
[ $rc = 3 ] || fail "drain --wait of $src with a CD-ROM VM exited $rc (want 3): $(cat "$FERRY_TMP/drain.out")"
e=$(evac_of "$src")
[ "$(echo "$e" | jq -r .status.phase)" = failed ] || fail "evacuation: $e"
echo "$e" | jq -en 'input | .status.vms[] | select(.vm == "ev-cd") | .reasons | map(test("CDROM|cdrom|CD-ROM")) | any' >/dev/null ||
    fail "ev-cd not listed with its reason: $e"
echo "$e" | jq -r .status.message | grep -q ev-cd || fail "message does not name ev-cd: $e"
none_on "$src" $movable || fail "movable guests did not leave $src: $(where_all $movable)"
[ "$(bash "$LAB_SH" where ev-cd)" = "$src" ] || fail "ev-cd moved"
rctl r1 uncordon "$src" >/dev/null

echo "# 6. malformed requests are refused with reasons; a good one drains"
before=$(curl -fs "$(replica_srv r1)/v1/evacuations?node=node-c" | jq '.items | length')
for body in '{"by": 7}' '{"by": "x", "extra": 1}' '[1]' '{"by":'; do
	code=$(curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST -d "$body" "$(replica_srv r1)/v1/nodes/node-c/drain")
	[ "$code" = 400 ] && jq -en 'input | (.reasons | length) >= 1' "$FERRY_TMP/body" >/dev/null ||
	    fail "drain body '$body': $code $(cat "$FERRY_TMP/body")"
done
code=$(curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST "$(replica_srv r1)/v1/nodes/node-z/drain")
[ "$code" = 404 ] || fail "drain of an unknown node: $code $(cat "$FERRY_TMP/body")"
sleep 1
[ "$(curl -fs "$(replica_srv r1)/v1/evacuations?node=node-c" | jq '.items | length')" = "$before" ] || fail "a refused drain started an evacuation"
x() { redis-cli -p "$FERRY_REDIS_PORT" xadd "${FERRY_PREFIX}requests" '*' "$@" >/dev/null; }
x op drian node node-a by test
x node node-a
x op drain node '../../etc' by test
x op drain node node-a by test extra field
wait_for 10 bash -c "[ \$(redis-cli -p $FERRY_REDIS_PORT llen '${FERRY_PREFIX}requests:errors') -ge 4 ]" ||
    fail "error records: $(redis-cli -p "$FERRY_REDIS_PORT" lrange "${FERRY_PREFIX}requests:errors" 0 -1)"
redis-cli -p "$FERRY_REDIS_PORT" lrange "${FERRY_PREFIX}requests:errors" 0 -1 | grep -q drian || fail "unknown op not recorded"
for r in r1 r2; do curl -fs "$(replica_srv "$r")/healthz" >/dev/null || fail "$r hurt by bad requests"; done
x op uncordon node "$src" by maintenance-bot
x op drain node node-c by maintenance-bot
wait_for 30 bash -c "curl -fs '$(replica_srv r1)/v1/evacuations?node=node-c' | jq -en 'input | .items[-1].spec.requestedBy == \"maintenance-bot\"' >/dev/null" ||
    fail "a drain request from the stream started no evacuation"
wait_for 180 bash -c "curl -fs '$(replica_srv r1)/v1/evacuations?node=node-c' | jq -en 'input | .items[-1].status.phase | test(\"completed|failed|cancelled\")' >/dev/null" ||
    fail "the stream's evacuation did not end"
x op uncordon node node-c by maintenance-bot

replicas_stop
echo "test-evacuate: every case passed"
