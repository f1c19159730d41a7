#!/usr/bin/env bash
# End to end: ferryd's own link to a host cut during a migration (issue 6;
# seed "Network Outages").  ferryd reaches the hosts over TCP on mgmt; the
# p2p control connection and QEMU's stream use the migration network.
#
# ferryd keeps one call at a time on each host connection and gives each
# migration a connection of its own: with calls side by side, libvirt 9.0's
# RPC client crashed here after the link came back (see hv-libvirt.c).
#   3. ferryd's mgmt link to the source cut mid-copy: ferryd notices
#      (keepalive), reconnects once healed and concludes: succeeded
#   4. the same cut kept past unreachable_timeout: failed/ConnectionLost,
#      never a hang
# Guest health is judged on an idle guest only (lab NOTES: TCG pre-copy).
set -euo pipefail
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"
. "$top_srcdir/tests/e2e/outage-lib.sh"

outage_setup node-b

echo "# 3. ferryd's mgmt link to the source cut mid-copy: reconnects, concludes"
# tcp_conf OPTS...: ferryd.conf with ferryd reaching every node over TCP on mgmt.
tcp_conf() {
	local n u t
	ferry_conf "$@"
	for n in node_a node_b node_c; do
		u=FERRY_URI_$n t=FERRY_TCPURI_$n
		sed -i "s|^uri = ${!u}\$|uri = ${!t}|" "$FERRYD_CONF"
	done
}
tcp_conf bandwidth_per_migration=5 job_stats_interval=250 keepalive_interval=2 keepalive_count=2 unreachable_timeout=120
grep -q '^uri = qemu+tcp://10.77.0.2/system' "$FERRYD_CONF" || fail "config not switched to TCP: $(cat "$FERRYD_CONF")"
ferryd_start
[ "$(api_migrate out-a '{"targetNode":"node-c"}')" = 201 ] || fail "refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_copied "$name" 5 || fail "$name did not copy 5 MiB"
bash "$LAB_SH" cut node-b mgmt
wait_for 20 grep -q "node 'node-b' disconnected" "$FERRYD_LOG" || fail "ferryd did not notice the cut"
[ "$(mig_field "$name" .status.phase)" = copying ] || fail "$name left copying when the link went: $(mig_field "$name" .status.phase)"
sleep 5
bash "$LAB_SH" heal node-b mgmt
wait_for 40 bash -c "grep -A1000000 \"node 'node-b' disconnected\" '$FERRYD_LOG' | grep -q \"node 'node-b' connected\"" ||
    fail "ferryd did not reconnect to node-b"
wait_phase "$name" final 120 || fail "$name did not end"
[ "$(mig_field "$name" .status.phase)" = succeeded ] ||
    fail "$name: $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason): $(mig_field "$name" .status.message)"
assert_runs_on out-a node-c || fail "out-a is not on node-c alone"

echo "# 4. the mgmt link to the source stays cut: failed/ConnectionLost after unreachable_timeout"
before=$(grep -c 'configuration reloaded' "$FERRYD_LOG" || true)
tcp_conf bandwidth_per_migration=5 job_stats_interval=250 keepalive_interval=2 keepalive_count=2 unreachable_timeout=15
kill -HUP "$FERRYD_PID"
wait_for 10 bash -c "[ \$(grep -c 'configuration reloaded' '$FERRYD_LOG') -gt $before ]" || fail "ferryd did not reload"
[ "$(api_migrate out-a '{"targetNode":"node-a"}')" = 201 ] || fail "refused: $(cat "$FERRY_TMP/body")"
name=$(jq -r .metadata.name "$FERRY_TMP/body")
wait_copied "$name" 5 || fail "$name did not copy 5 MiB"
bash "$LAB_SH" cut node-c mgmt
t0=$(now_s)
wait_phase "$name" final 60 || fail "$name hung: still $(mig_field "$name" .status.phase) 60 s after the cut"
t1=$(now_s)
echo "ended $((t1 - t0)) s after the cut: $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason): $(mig_field "$name" .status.message)"
[ "$(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)" = failed/ConnectionLost ] ||
    fail "$name ended $(mig_field "$name" .status.phase)/$(mig_field "$name" .status.reason)"
(( t1 - t0 >= 15 )) || fail "gave up after $((t1 - t0)) s, before unreachable_timeout"
mig_field "$name" .status.message | grep -q "node-c" || fail "message does not name node-c"
bash "$LAB_SH" heal node-c mgmt
# The hosts went on without ferryd: the VM is on one host, whichever.
wait_for 60 bash -c "[ \$(bash '$LAB_SH' where out-a | grep -c .) = 1 ]" || fail "out-a runs on: $(bash "$LAB_SH" where out-a)"
echo "test-outages-mgmt: every case passed"
