# Shared by the shell integration tests that run ferryd against a private
# redis-server (test-ferryd.sh, test-watch.sh): scratch directory, failure
# and cleanup, polling, free loopback ports, and a redis-server the test
# can stop and restart.  Source it after `set -euo pipefail`; it leaves
# tmp, log, rport and start_redis; pid (ferryd), rpid (redis) and bg (other
# background jobs) are killed on exit.
BIN=${top_builddir:-.}
tmp=$(mktemp -d /tmp/ferry-itest.XXXXXX)
log=$tmp/ferryd.log
pid=; rpid=; bg=()
fail() { echo "FAIL: $*"; [ -f "$log" ] && tail -n 40 "$log"; exit 1; }
cleanup() {
	local p
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$rpid" ] || kill "$rpid" 2>/dev/null || true
	exec 3>&-
	wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
command -v jq >/dev/null || { echo "SKIP: jq is not installed (run contrib/deps.sh)"; exit 77; }
wait_for() { local t=$1; shift; local end=$((SECONDS + t)); until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done; }
# A free loopback port below the ephemeral range.
free_port() { local p; while :; do p=$((10000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo $p; return; }; done; }

rport=$(free_port)
start_redis() {
	redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
	    --dir "$tmp" --logfile "$tmp/redis.log" & rpid=$!
	wait_for 5 redis-cli -p "$rport" ping >/dev/null 2>&1 || fail "redis did not start"
}
