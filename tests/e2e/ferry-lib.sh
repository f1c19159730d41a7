# tests/e2e/ferry-lib.sh - run ferryd against the lab from a test (bash, sourced).
#
# Needs: top_builddir/top_srcdir (from automake), FERRY_REDIS_PORT (from
# tests/harness.sh).  Sets FERRYD_PID, FERRY_SERVER, FERRYD_LOG, FERRYD_CONF.

FERRY_BIN=${top_builddir:-.}
FERRY_SRC=${top_srcdir:-..}
LAB_SH=$FERRY_SRC/tests/e2e/lab.sh
FERRY_TMP=$(mktemp -d /tmp/ferry-e2e.XXXXXX)
FERRYD_LOG=$FERRY_TMP/ferryd.log
FERRYD_CONF=$FERRY_TMP/ferryd.conf
FERRYD_PID=

# Skip (exit 77) unless we are root with the lab's tools; bring the lab up.
ferry_need_lab() {
	local nodes=${1:-2}
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: end-to-end tests need root (network namespaces, libvirtd)"
		exit 77
	fi
	if ! command -v libvirtd >/dev/null || ! command -v qemu-system-x86_64 >/dev/null; then
		echo "SKIP: libvirtd/qemu are not installed (run: contrib/quickstart.sh test)"
		exit 77
	fi
	bash "$LAB_SH" up "$nodes" >&2 || fail "the lab did not come up"
	eval "$(bash "$LAB_SH" env)"
}

# Write ferryd.conf: migration options as KEY=VALUE arguments.
ferry_conf() {
	local kv
	{
		printf '[ferryd]\nlisten_port = %s\nlog_format = json\nlog_level = debug\n' "$FERRY_PORT"
		printf '[redis]\nredis_port = %s\nredis_prefix = "%s"\n' "$FERRY_REDIS_PORT" "$FERRY_PREFIX"
		printf '[migration]\n'
		for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
		bash "$LAB_SH" conf "virt_type = qemu"
	} > "$FERRYD_CONF"
}

# A free loopback TCP port.
ferry_free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 20000))   # below the ephemeral range (32768-)
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# Start ferryd and wait until its API answers with redis up and nodes loaded.
ferryd_start() {
	"$FERRY_BIN/ferryd" -c "$FERRYD_CONF" 2>> "$FERRYD_LOG" &
	FERRYD_PID=$!
	wait_for 20 curl -fs "$FERRY_SERVER/healthz" -o /dev/null ||
	    fail "ferryd did not answer on $FERRY_SERVER (log: $FERRYD_LOG)"
	wait_for 20 curl -fs "$FERRY_SERVER/v1/migrations" -o /dev/null ||
	    fail "ferryd did not load migrations"
	wait_for 30 bash -c "curl -fs '$FERRY_SERVER/healthz' | jq -en 'input | [.nodes[]] | all(. == \"up\")' >/dev/null" ||
	    fail "ferryd did not connect to every node: $(curl -s "$FERRY_SERVER/healthz")"
}

# Stop ferryd (SIGTERM) and wait for it: it must exit 0 (a sanitizer
# report or a leak at exit makes it fail).
ferryd_stop() {
	local rc=0 pid=$FERRYD_PID
	[ -n "$pid" ] || return 0
	FERRYD_PID=
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	[ $rc = 0 ] || fail "ferryd exited with status $rc (log: $FERRYD_LOG)"
}

# Rewrite the config with KEY=VALUE migration options and SIGHUP ferryd.
ferryd_reload() {
	local before
	before=$(grep -c 'configuration reloaded' "$FERRYD_LOG" || true)
	ferry_conf "$@"
	kill -HUP "$FERRYD_PID"
	wait_for 10 bash -c "[ \$(grep -c 'configuration reloaded' '$FERRYD_LOG') -gt $before ]" ||
	    fail "ferryd did not reload"
}

# ferryctl with the test's server.
ctl() { "$FERRY_BIN/ferryctl" --server "$FERRY_SERVER" "$@"; }

# Field of a migration object: mig_field NAME JQ-PATH
mig_field() { curl -fs "$FERRY_SERVER/v1/migrations/$1" | jq -r "$2"; }

# Wait until migration NAME is in PHASE (or any final phase if PHASE=final).
wait_phase() {
	local name=$1 phase=$2 timeout=${3:-120}
	if [ "$phase" = final ]; then
		wait_for "$timeout" bash -c "curl -fs '$FERRY_SERVER/v1/migrations/$name' | jq -en 'input | .status.phase | test(\"succeeded|aborted|failed\")' >/dev/null"
	else
		wait_for "$timeout" bash -c "curl -fs '$FERRY_SERVER/v1/migrations/$name' | jq -en 'input | .status.phase == \"$phase\"' >/dev/null"
	fi
}

# POST a migrate request; prints "STATUS BODY".
api_migrate() {
	curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -d "$2" \
	    "$FERRY_SERVER/v1/vms/$1/migrate"
}

ferry_cleanup() {
	local rc=$? p
	ferryd_stop
	for p in ${FERRY_BG_PIDS:-}; do kill "$p" 2>/dev/null || true; done
	if [ $rc != 0 ] && [ -f "$FERRYD_LOG" ]; then
		echo "--- last lines of ferryd's log ($FERRYD_LOG)"
		tail -n 60 "$FERRYD_LOG"
	fi
	for g in ${FERRY_GUESTS:-}; do bash "$LAB_SH" destroy "$g" >/dev/null 2>&1 || true; done
	[ $rc = 0 ] && rm -rf "$FERRY_TMP"
	exit $rc
}

FERRY_PORT=$(ferry_free_port)
FERRY_SERVER=http://127.0.0.1:$FERRY_PORT
FERRY_PREFIX="ferry-e2e-$$:"
trap ferry_cleanup EXIT
