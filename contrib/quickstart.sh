#!/usr/bin/env bash
# contrib/quickstart.sh - everything from a fresh Debian 12 machine (as root).
#
#   contrib/quickstart.sh demo   install, build, bring up two libvirt hosts,
#                                start redis-server and two ferryd replicas,
#                                migrate a running guest between the hosts with
#                                progress, then drain a host (evacuation)
#   contrib/quickstart.sh test   install, build, bring up the lab and run the
#                                whole test suite (make check)
#
# Environment: FERRY_BUILD (build directory, default ./build), FERRY_KEEP=1
# keeps the lab and daemons running after the demo.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FERRY_BUILD:-$TOP/build}
LAB_SH=$TOP/tests/e2e/lab.sh

say() { printf '\n==> %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "quickstart: run as root (it installs packages and creates network namespaces)" >&2; exit 1; }

build() {
	say "installing packages"
	bash "$TOP/contrib/deps.sh"
	say "building ferry in $BUILD"
	(cd "$TOP" && ./autogen.sh >/dev/null)
	mkdir -p "$BUILD"
	(cd "$BUILD" && "$TOP/configure" -q --enable-werror ${FERRY_CONFIGURE_FLAGS:-} && make -s -j"$(nproc)")
}

demo() {
	local tmp port port2 rport pid_redis pid_ferryd pid_ferryd2 conf
	build
	say "bringing up two libvirt hosts (network namespaces, TCG guests)"
	bash "$LAB_SH" up 2
	eval "$(bash "$LAB_SH" env)"
	tmp=$(mktemp -d /tmp/ferry-demo.XXXXXX)
	rport=$((21000 + RANDOM % 1000)); port=$((18000 + RANDOM % 1000)); port2=$((port + 1000))
	say "starting redis-server on 127.0.0.1:$rport"
	redis-server --port "$rport" --bind 127.0.0.1 --save '' --dir "$tmp" \
	    --logfile "$tmp/redis.log" --daemonize no & pid_redis=$!
	conf=$tmp/ferryd.conf
	{
		printf '[ferryd]\nlisten_port = %s\nlog_format = text\nreplica_id = r1\n' "$port"
		printf '[redis]\nredis_port = %s\n' "$rport"
		printf '[migration]\nbandwidth_per_migration = 20\njob_stats_interval = 250\n'
		bash "$LAB_SH" conf "virt_type = qemu"
	} > "$conf"
	say "ferryd configuration ($conf)"
	cat "$conf"
	say "starting two ferryd replicas, r1 on :$port and r2 on :$port2 (logs: $tmp/ferryd*.log)"
	"$BUILD/ferryd" -c "$conf" 2> "$tmp/ferryd.log" & pid_ferryd=$!
	sed -e "s/^listen_port = .*/listen_port = $port2/" -e 's/^replica_id = r1/replica_id = r2/' \
	    "$conf" > "$tmp/ferryd2.conf"
	"$BUILD/ferryd" -c "$tmp/ferryd2.conf" 2> "$tmp/ferryd2.log" & pid_ferryd2=$!
	export FERRY_SERVER=http://127.0.0.1:$port
	for _ in $(seq 50); do curl -fs "$FERRY_SERVER/healthz" >/dev/null 2>&1 &&
	    curl -fs "http://127.0.0.1:$port2/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
	say "starting guest 'demo-vm' (128 MiB, dirtying 16 MiB) on node-a"
	bash "$LAB_SH" destroy demo-vm >/dev/null 2>&1 || true
	bash "$LAB_SH" guest demo-vm node-a --dirty 16 --rate 8 --wait-up
	say "virsh on node-a / node-b"
	virsh -c "$FERRY_URI_node_a" list; virsh -c "$FERRY_URI_node_b" list
	say "ferryctl migrate demo-vm --to node-b --wait (bandwidth capped at 20 MiB/s to show progress)"
	"$BUILD/ferryctl" migrate demo-vm --to node-b --wait || true
	say "ferryctl get migrations"
	"$BUILD/ferryctl" get migrations
	say "where demo-vm runs now"
	bash "$LAB_SH" where demo-vm
	say "starting a second guest 'demo-idle' on node-b"
	bash "$LAB_SH" destroy demo-idle >/dev/null 2>&1 || true
	bash "$LAB_SH" guest demo-idle node-b --wait-up
	say "ferryctl --server (replica r2) drain node-b --wait: the leader evacuates both guests"
	"$BUILD/ferryctl" --server "http://127.0.0.1:$port2" drain node-b --wait || true
	say "ferryctl get evacuations; get vms; get nodes"
	"$BUILD/ferryctl" get evacuations
	"$BUILD/ferryctl" get vms
	"$BUILD/ferryctl" get nodes
	say "where the guests run now"
	echo "demo-vm: $(bash "$LAB_SH" where demo-vm)  demo-idle: $(bash "$LAB_SH" where demo-idle)"
	"$BUILD/ferryctl" uncordon node-b >/dev/null
	say "the replicas' logs (one line per transition, whichever replica drove it)"
	grep -hE 'transition|created|evacuation' "$tmp/ferryd.log" "$tmp/ferryd2.log" | sort || true
	if [ "${FERRY_KEEP:-0}" = 1 ]; then
		say "kept running: FERRY_SERVER=$FERRY_SERVER; stop with: kill $pid_ferryd $pid_ferryd2 $pid_redis; $LAB_SH down"
		return
	fi
	say "cleaning up"
	kill "$pid_ferryd" "$pid_ferryd2" "$pid_redis" 2>/dev/null || true
	wait 2>/dev/null || true
	bash "$LAB_SH" destroy demo-vm >/dev/null 2>&1 || true
	bash "$LAB_SH" destroy demo-idle >/dev/null 2>&1 || true
	bash "$LAB_SH" down
	rm -rf "$tmp"
}

test_all() {
	local rc=0
	build
	say "bringing up the lab (three libvirt hosts)"
	bash "$LAB_SH" up 3
	say "running the test suite (make check)"
	(cd "$BUILD" && make -s check) || rc=$?
	if [ $rc != 0 ]; then
		for f in $(find "$BUILD/tests" -name '*.log' 2>/dev/null); do
			if grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
				say "log of a failed test: $f"; tail -n 80 "$f"
			fi
		done
	fi
	bash "$LAB_SH" down || true
	# One closing line that any reader of the log understands.
	awk '/^# (PASS|FAIL|ERROR|SKIP):/ {n[$2]=$3}
	    END {printf "%d passed, %d failed, %d skipped\n", n["PASS:"], n["FAIL:"] + n["ERROR:"], n["SKIP:"]}' \
	    "$BUILD/test-suite.log"
	return $rc
}

case "${1:-}" in
demo) demo ;;
test) test_all ;;
*) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
