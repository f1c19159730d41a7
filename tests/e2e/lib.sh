# tests/e2e/lib.sh - helpers for end-to-end tests; source it from bash:
#
#   . "$(dirname "$0")/lib.sh"
#   lab_env                      # FERRY_LAB, FERRY_LAB_NODES, FERRY_URI_node_a, ...
#   "$LAB_SH" guest g1 node-a --wait-up
#   wait_for 30 assert_runs_on g1 node-b || fail "g1 did not move"
#
# The lab itself (bring-up, guests, link cuts) is tests/e2e/lab.sh ($LAB_SH).

LAB_SH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab.sh"

# lab_env: import the lab's variables (see `lab.sh env`) into this shell.
lab_env() {
	eval "$("$LAB_SH" env)"
}

# fail MSG...: report a test failure and stop the test.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# wait_for TIMEOUT CMD...: run CMD every 0.2 s until it succeeds (return 0)
# or TIMEOUT seconds (may be fractional) pass (return 1). CMD's output is
# discarded.
wait_for() {
	local deadline
	printf -v deadline '%.0f' "${1}e6"
	deadline=$((${EPOCHREALTIME/[.,]/} + deadline))   # microseconds
	shift
	until "$@" >/dev/null 2>&1; do
		((${EPOCHREALTIME/[.,]/} < deadline)) || return 1
		sleep 0.2
	done
}

# node_uri NODE: the libvirt URI of NODE from here (root namespace).
node_uri() {
	local v="FERRY_URI_${1//-/_}"
	[[ -n ${!v:-} ]] || fail "node_uri: no URI for '$1' (lab_env not run, or node not up)"
	echo "${!v}"
}

# dom_state NODE NAME: libvirt's state of NAME on NODE ("running", "paused",
# "shut off", ...), or "absent" if NODE does not know NAME.
dom_state() {
	local state
	state=$(virsh -q -c "$(node_uri "$1")" domstate "$2" 2>/dev/null) || { echo absent; return 0; }
	echo "$state"
}

# assert_runs_on NAME NODE: NAME is running on NODE and active nowhere else.
# Returns non-zero (with a reason on stderr) rather than exiting, so it also
# works under wait_for; use `assert_runs_on ... || fail ...` for a hard check.
assert_runs_on() {
	local name=$1 node=$2 n state
	state=$(dom_state "$node" "$name")
	if [[ $state != running ]]; then
		echo "$name on $node is '$state', not running" >&2
		return 1
	fi
	for n in $FERRY_LAB_NODES; do
		[[ $n == "$node" ]] && continue
		state=$(dom_state "$n" "$name")
		case "$state" in
		absent | "shut off" | shut\ off*) ;;
		*) echo "$name is also '$state' on $n" >&2; return 1 ;;
		esac
	done
}

# serial_file NAME: the guest's serial log, shared by all nodes and appended
# to, so one file spans migrations. Lines end in \r\n (a tty).
serial_file() { echo "$FERRY_LAB/shared/$1.serial"; }

# serial_has NAME PATTERN: the serial log has a line matching PATTERN
# (grep -E; the \r is stripped first so that '$' anchors work).
serial_has() {
	[[ -r $(serial_file "$1") ]] || return 1
	tr -d '\r' <"$(serial_file "$1")" | grep -E -- "$2" >/dev/null
}

# serial_last_hb NAME: the guest uptime in its last "HB <uptime>" line (0 if none).
# A heartbeat that keeps growing after a migration means the guest lives on.
serial_last_hb() {
	local hb
	hb=$(tr -d '\r' 2>/dev/null <"$(serial_file "$1")" | grep -E '^HB [0-9.]+$' | tail -n 1 | cut -d' ' -f2) || true
	echo "${hb:-0}"
}

# serial_hb_after NAME UPTIME: the guest printed a heartbeat later than
# UPTIME (a number from serial_last_hb), i.e. it is still alive since then.
serial_hb_after() {
	awk -v a="$(serial_last_hb "$1")" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'
}
