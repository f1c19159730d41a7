#!/usr/bin/env bash
# Test harness (automake LOG_COMPILER): runs one test with what it needs.
# Integration and end-to-end tests get a private redis-server on a free
# loopback port (FERRY_REDIS_PORT), started here and stopped afterwards.
set -u
test=$1; shift

needs_redis=0
case "$test" in
*/test-ferryctl.sh|*/test-logreport.sh|*/test-notify) ;;
*/integration/*|*/e2e/*|*/bench/*) needs_redis=1 ;;
esac

redis_pid=
tmp=
cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$needs_redis" = 1 ] && [ -z "${FERRY_REDIS_PORT:-}" ]; then
	if ! command -v redis-server >/dev/null; then
		echo "SKIP: redis-server is not installed (run the README's test command)"
		exit 77
	fi
	tmp=$(mktemp -d /tmp/ferry-test.XXXXXX)
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 20000))
		redis-server --port "$port" --bind 127.0.0.1 --save '' \
		    --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" &
		redis_pid=$!
		for i in $(seq 50); do
			redis-cli -p "$port" ping >/dev/null 2>&1 && break
			kill -0 "$redis_pid" 2>/dev/null || break
			sleep 0.05
		done
		if redis-cli -p "$port" ping >/dev/null 2>&1; then
			break
		fi
		kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null
		redis_pid=
	done
	if [ -z "$redis_pid" ]; then
		echo "harness: cannot start redis-server" >&2
		exit 99
	fi
	export FERRY_REDIS_PORT=$port
	export FERRY_REDIS_DIR=$tmp
fi

case "$test" in
*.sh) bash "$test" "$@" ;;
*) "$test" "$@" ;;
esac
