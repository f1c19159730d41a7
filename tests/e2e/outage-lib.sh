# tests/e2e/outage-lib.sh - link cuts during a migration (bash, sourced after
# ferry-lib.sh): a guest "out-a" on NODE, every link healed on exit, helpers.

# outage_setup NODE: the lab with three hosts and out-a running on NODE.
outage_setup() {
	ferry_need_lab 3
	FERRY_GUESTS="out-a"
	bash "$LAB_SH" destroy out-a >/dev/null 2>&1 || true
	bash "$LAB_SH" guest out-a "$1" --wait-up >/dev/null
	trap outages_cleanup EXIT
}

# On exit, whatever happened: every link back up, then ferry-lib's cleanup.
outages_cleanup() {
	local rc=$? n
	for n in node-a node-b node-c; do
		bash "$LAB_SH" heal "$n" mig >/dev/null 2>&1 || true
		bash "$LAB_SH" heal "$n" mgmt >/dev/null 2>&1 || true
	done
	(exit $rc)
	ferry_cleanup
}

now_s() { date +%s; }
processed() { mig_field "$1" .status.progress.dataProcessed; }
# wait_copied NAME MIB [TIMEOUT]: NAME is copying with more than MIB MiB processed.
wait_copied() {
	wait_for "${3:-60}" bash -c "curl -fs '$FERRY_SERVER/v1/migrations/$1' | jq -en 'input | .status.phase == \"copying\" and .status.progress.dataProcessed > $2 * 1048576' >/dev/null"
}
# transitions NAME: the phases of NAME's transition lines, comma-separated.
transitions() { grep '"msg":"migration transition"' "$FERRYD_LOG" | jq -r "select(.migration == \"$1\") | .to" | tr '\n' ,; }
