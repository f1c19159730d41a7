# tests/e2e/replica-lib.sh - several ferryd replicas and a restartable
# redis-server for an end-to-end test (bash, sourced after ferry-lib.sh).
#
# Replicas are named (r1, r2, ...): each has its config, log and port in
# FERRY_TMP and replica_id = its name, so a restarted replica is the same
# replica.  The test's own redis-server (AOF on, fsync always) replaces the
# harness's, so that it can be stopped and started again.

declare -A REPLICA_PID REPLICA_PORT
REDIS_PID=
REDIS_DIR=$FERRY_TMP/redis

# Start the test's redis-server (append-only file on) on a free port.
redis_start() {
	mkdir -p "$REDIS_DIR"
	[ -n "${REDIS_PORT:-}" ] || REDIS_PORT=$(ferry_free_port)
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
	    --appendonly yes --appendfsync always --dir "$REDIS_DIR" \
	    --logfile "$REDIS_DIR/redis.log" &
	REDIS_PID=$!
	wait_for 10 redis-cli -p "$REDIS_PORT" ping || fail "redis-server did not start"
	FERRY_REDIS_PORT=$REDIS_PORT
}

# Stop redis-server (SIGTERM: it writes its AOF), wait SECONDS, start it.
redis_restart() {
	kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true
	sleep "$1"
	redis_start
}

# URL of replica R.
replica_srv() { echo "http://127.0.0.1:${REPLICA_PORT[$1]}"; }
replica_log() { echo "$FERRY_TMP/$1.log"; }

# Start replica R with migration options KEY=VALUE; wait until it serves.
replica_start() {
	local r=$1 kv; shift
	[ -n "${REPLICA_PORT[$r]:-}" ] || REPLICA_PORT[$r]=$(ferry_free_port)
	{
		printf '[ferryd]\nlisten_port = %s\nlog_format = json\nlog_level = debug\nreplica_id = %s\n' \
		    "${REPLICA_PORT[$r]}" "$r"
		printf '[redis]\nredis_port = %s\nredis_prefix = "%s"\n' "$FERRY_REDIS_PORT" "$FERRY_PREFIX"
		printf '[migration]\n'
		for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
		bash "$LAB_SH" conf "virt_type = qemu"
	} > "$FERRY_TMP/$r.conf"
	"$FERRY_BIN/ferryd" -c "$FERRY_TMP/$r.conf" 2>> "$(replica_log "$r")" &
	REPLICA_PID[$r]=$!
	wait_for 30 bash -c "curl -fs '$(replica_srv "$r")/healthz' | jq -en 'input | [.nodes[]] | all(. == \"up\")' >/dev/null" ||
	    fail "replica $r did not come up (log: $(replica_log "$r"))"
}

# kill -9 replica R.
replica_kill9() {
	kill -9 "${REPLICA_PID[$1]}"; wait "${REPLICA_PID[$1]}" 2>/dev/null || true
	REPLICA_PID[$1]=
}

# Stop every replica with SIGTERM; each must exit 0.
replicas_stop() {
	local r rc
	for r in "${!REPLICA_PID[@]}"; do
		[ -n "${REPLICA_PID[$r]}" ] || continue
		kill "${REPLICA_PID[$r]}" 2>/dev/null || true
		rc=0; wait "${REPLICA_PID[$r]}" 2>/dev/null || rc=$?
		REPLICA_PID[$r]=
		[ $rc = 0 ] || fail "replica $r exited with status $rc (log: $(replica_log "$r"))"
	done
}

# A running replica other than R.
replica_other() {
	local r
	for r in "${!REPLICA_PID[@]}"; do
		[ "$r" != "$1" ] && [ -n "${REPLICA_PID[$r]}" ] && { echo "$r"; return; }
	done
	fail "no replica other than $1"
}

# POST a migrate request to replica R: replica_migrate R VM BODY.
replica_migrate() {
	curl -s -o "$FERRY_TMP/body" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -d "$3" \
	    "$(replica_srv "$1")/v1/vms/$2/migrate"
}

# Field of migration NAME as replica R shows it.
replica_field() { curl -fs "$(replica_srv "$1")/v1/migrations/$2" | jq -r "$3"; }

# Wait until replica R shows migration NAME in PHASE (or "final").
replica_wait_phase() {
	local r=$1 name=$2 phase=$3 timeout=${4:-120} test
	if [ "$phase" = final ]; then
		test='.status.phase | test("succeeded|aborted|failed")'
	else
		test=".status.phase == \"$phase\""
	fi
	wait_for "$timeout" bash -c "curl -fs '$(replica_srv "$r")/v1/migrations/$name' | jq -en 'input | $test' >/dev/null"
}

# Owner and epoch of migration NAME's record.
mig_owner() { redis-cli -p "$FERRY_REDIS_PORT" hget "${FERRY_PREFIX}mig:$1" owner; }
mig_epoch() { redis-cli -p "$FERRY_REDIS_PORT" hget "${FERRY_PREFIX}mig:$1" epoch; }

# On exit: stop replicas and redis, then ferry-lib's cleanup.
replica_cleanup() {
	local rc=$? r
	for r in "${!REPLICA_PID[@]}"; do
		[ -n "${REPLICA_PID[$r]}" ] || continue
		kill "${REPLICA_PID[$r]}" 2>/dev/null
		wait "${REPLICA_PID[$r]}" 2>/dev/null
	done
	if [ $rc != 0 ]; then
		for r in "${!REPLICA_PORT[@]}"; do
			echo "--- last lines of replica $r's log"
			tail -n 25 "$(replica_log "$r")" | cut -c1-400
		done
	fi
	if [ -n "$REDIS_PID" ]; then
		kill "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
	fi
	(exit $rc)
	ferry_cleanup
}
trap replica_cleanup EXIT
