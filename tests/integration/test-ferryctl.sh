#!/usr/bin/env bash
# test-ferryctl.sh: ferryctl against a fake ferryd API (python3, loopback
# only) that serves canned JSON: a table, -o json, migrate --wait through
# pending -> copying -> succeeded/failed/aborted, a 409 with reasons, a
# malformed body, an unreachable server and usage errors.  Exit codes and
# output are checked.  The end-to-end test against the real ferryd is
# tests/e2e/test-migrate.sh.
set -u

: "${top_builddir:?top_builddir must be set}"
: "${top_srcdir:?top_srcdir must be set}"
CTL=$top_builddir/ferryctl

if [ ! -x "$CTL" ]; then
	echo "FAIL: '$CTL' is not built" >&2
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "SKIP: python3 is not installed (it runs the fake API server)"
	exit 77
fi

tmp=$(mktemp -d /tmp/ferry-ctl-test.XXXXXX)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null &&
	    wait "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/fake.py" <<'EOF'
# A fake ferryd API: canned answers, state advanced by successive GETs.
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

now = time.time()
def ts(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%03dZ" % int((t % 1) * 1000)

GIB = 1 << 30
def mig(name, vm, phase, reason="", message="", pct=None, age=300,
        end=None, transitions=None):
    o = {"apiVersion": "ferry.io/v1", "kind": "VirtualMachineInstanceMigration",
         "metadata": {"name": name, "uid": "6f1c0000-0000-4000-8000-000000000000",
                      "creationTimestamp": ts(now - age)},
         "spec": {"vmiName": vm, "targetNode": "node-b"},
         "status": {"phase": phase, "reason": reason, "message": message,
                    "sourceNode": "node-a", "targetNode": "node-b",
                    "abortRequested": False, "startTimestamp": ts(now - age),
                    "endTimestamp": ts(now - age + end) if end else None,
                    "phaseTransitions": [{"phase": p, "time": ts(now)}
                                         for p in (transitions or [phase])]}}
    if pct is not None:
        o["status"]["progress"] = {"dataTotal": GIB, "dataProcessed": GIB * pct // 100,
                                   "dataRemaining": GIB - GIB * pct // 100,
                                   "memoryBps": 100 << 20, "dirtyRate": 10,
                                   "iteration": 1, "elapsedMs": 1000}
    return o

LIST = [mig("vm1-a3d1f", "vm1", "copying", pct=42, age=300),
        mig("vm2-zz9x0", "vm2", "failed", "ProgressTimeout", "no progress for 150s",
            pct=10, age=7200),
        mig("vm3-qq111", "vm3", "pending", age=5)]

# Per target node: (migration name, phases with progress) walked by GETs.
SCRIPTS = {
    "node-b": ("vm1-ok123", [("pending", None), ("scheduling", None),
               ("copying", 30), ("copying", 60), ("completing", 99),
               ("succeeded", 100)]),
    "node-f": ("vm1-fl123", [("pending", None), ("copying", 20),
               ("failed", 20)]),
    "node-x": ("vm1-ab123", [("pending", None), ("copying", 5),
               ("aborted", 5)]),
    "node-r": ("vm1-rt123", [("pending", None), ("503", None),
               ("copying", 50), ("succeeded", 100)]),
}
FINAL = {"succeeded": ("", ""), "failed": ("ProgressTimeout", "no progress for 150s"),
         "aborted": ("AbortRequested", "")}
steps = {}

def scripted(name, step):
    for node, (n, seq) in SCRIPTS.items():
        if n == name:
            seq = seq[:]
            i = min(step, len(seq) - 1)
            phase, pct = seq[i]
            if phase == "503":
                return None
            seen = [p for p, _ in seq[:i + 1] if p != "503"]
            trans = [p for j, p in enumerate(seen) if j == 0 or seen[j - 1] != p]
            reason, message = FINAL.get(phase, ("", ""))
            return mig(name, "vm1", phase, reason, message, pct=pct, age=10,
                       end=4.2 if phase in FINAL else None, transitions=trans)
    return False

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def send(self, code, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def err(self, code, msg, reasons=()):
        self.send(code, {"error": msg, "reasons": list(reasons)})
    def do_GET(self):
        p = self.path
        if p == "/v1/migrations":
            return self.send(200, {"kind": "VirtualMachineInstanceMigrationList",
                                   "items": LIST})
        if p == "/v1/migrations/bad-json":
            return self.send(200, raw=b'{"metadata": {"name": ')
        if p == "/v1/migrations/no-phase":
            return self.send(200, {"metadata": {"name": "no-phase"}})
        if p.startswith("/v1/migrations/"):
            name = p[len("/v1/migrations/"):]
            for o in LIST:
                if o["metadata"]["name"] == name:
                    return self.send(200, o)
            step = steps.get(name, 0)
            steps[name] = step + 1
            o = scripted(name, step)
            if o is None:
                return self.err(503, "store not loaded")
            if o:
                return self.send(200, o)
            return self.err(404, "migration '%s' not found" % name)
        self.err(404, "no route")
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        p = self.path
        if p.startswith("/v1/vms/") and p.endswith("/migrate"):
            vm = p[len("/v1/vms/"):-len("/migrate")]
            if self.headers.get("Content-Type") != "application/json":
                return self.err(400, "body must be application/json")
            try:
                target = json.loads(raw)["targetNode"]
            except Exception:
                return self.err(400, "bad body")
            if vm == "busy":
                return self.err(409, "cannot migrate 'busy'",
                                ["VM already has an active migration 'busy-x1y2z'",
                                 "target node-b is the VM's current node"])
            if vm == "garbage":
                return self.send(201, raw=b"<html>proxy error</html>")
            if target in SCRIPTS:
                name = SCRIPTS[target][0]
                steps[name] = 0
                return self.send(201, mig(name, vm, "pending", age=0))
            return self.err(400, "unknown target node '%s'" % target)
        if p == "/v1/migrations/vm1-a3d1f/abort":
            o = json.loads(json.dumps(LIST[0]))
            o["status"]["abortRequested"] = True
            return self.send(202, o)
        if p == "/v1/migrations/vm2-zz9x0/abort":
            return self.err(409, "migration 'vm2-zz9x0' is already final",
                            ["phase is failed"])
        self.err(404, "no route")

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1], "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
EOF

python3 "$tmp/fake.py" "$tmp/port.tmp" &
server_pid=$!
for i in $(seq 100); do
	[ -s "$tmp/port.tmp" ] && break
	sleep 0.05
done
if [ ! -s "$tmp/port.tmp" ]; then
	echo "FAIL: the fake API server did not start" >&2
	exit 1
fi
export FERRY_SERVER="http://127.0.0.1:$(cat "$tmp/port.tmp")"

failures=0
out= err= rc=

# Run ferryctl with ARGS; capture stdout, stderr and the exit code.
run() {
	"$CTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	what="ferryctl $*"
}

fail() {
	echo "FAIL: $what: $1"
	echo "  stdout: $(sed 's/^/    /' "$tmp/out")"
	echo "  stderr: $(sed 's/^/    /' "$tmp/err")"
	failures=$((failures + 1))
}

expect_rc() {
	[ "$rc" = "$1" ] || fail "exit code $rc, wanted $1"
}

# Expect an extended regexp in stdout (or, with -e, stderr).
expect() {
	local where=out text=$out
	if [ "$1" = -e ]; then where=err; text=$err; shift; fi
	printf '%s\n' "$text" | grep -Eq -- "$1" || fail "no /$1/ in std$where"
}

not_expect() {
	printf '%s\n%s\n' "$out" "$err" | grep -Eq -- "$1" && fail "/$1/ printed"
}

# get migrations: a table with the right columns and rows.
run get migrations
expect_rc 0
expect '^NAME +VM +SOURCE +TARGET +PHASE +REASON +PROGRESS +AGE$'
expect '^vm1-a3d1f +vm1 +node-a +node-b +copying +- +42% +5m$'
expect '^vm2-zz9x0 +vm2 +node-a +node-b +failed +ProgressTimeout +10% +2h$'
expect '^vm3-qq111 +vm3 +node-a +node-b +pending +- +- +[4-6]s$'
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "not 4 lines"

# get migration NAME: one row; -o json: valid, pretty JSON.
run get migration vm1-a3d1f
expect_rc 0
expect '^NAME +VM'
expect '^vm1-a3d1f +vm1 +node-a +node-b +copying'
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "not 2 lines"

run get migration vm2-zz9x0 -o json
expect_rc 0
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "-o json is not JSON"
expect '"reason": "ProgressTimeout"'
[ "$(printf '%s\n' "$out" | wc -l)" -gt 20 ] || fail "-o json is not pretty"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert o["status"]["progress"]["dataTotal"] == 1 << 30
assert o["status"]["endTimestamp"] is None
assert o["status"]["abortRequested"] is False' "$tmp/out" 2>/dev/null ||
    fail "-o json changed the object"

run get migrations -o json
expect_rc 0
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "-o json is not JSON"

# Errors: 404, malformed JSON, a missing field, unreachable, 409.
run get migration nope-12345
expect_rc 1
expect -e "^ferryctl: migration 'nope-12345' not found \(HTTP 404\)$"

run get migration bad-json
expect_rc 1
expect -e '^ferryctl: bad response from server: .*\(HTTP 200\)$'

run get migration no-phase
expect_rc 1
expect -e "^ferryctl: bad response from server: migration 'no-phase' without 'status.phase'"

run migrate garbage --to node-b
expect_rc 1
expect -e '^ferryctl: bad response from server: '

run --server http://127.0.0.1:1 get migrations
expect_rc 1
expect -e "^ferryctl: cannot reach 'http://127.0.0.1:1': "

run migrate busy --to node-b
expect_rc 1
expect -e "^ferryctl: cannot migrate 'busy' \(HTTP 409\)$"
expect -e "^  VM already has an active migration 'busy-x1y2z'$"
expect -e "^  target node-b is the VM's current node$"

run migrate vm1 --to node-zz
expect_rc 1
expect -e "^ferryctl: unknown target node 'node-zz' \(HTTP 400\)$"

# abort.
run abort vm1-a3d1f
expect_rc 0
expect '^abort of vm1-a3d1f requested$'

run abort vm2-zz9x0
expect_rc 1
expect -e "already final \(HTTP 409\)$"
expect -e '^  phase is failed$'

# migrate without and with --wait (stdout is a file: plain lines).
run migrate vm1 --to node-b
expect_rc 0
expect '^migration vm1-ok123 created \(vm1: node-a -> node-b\)$'

run migrate vm1 --to node-b --wait
expect_rc 0
expect '^migration vm1-ok123 created \(vm1: node-a -> node-b\)$'
expect '^phase: pending$'
expect '^phase: scheduling$'
expect '^phase: copying$'
expect '^phase: completing$'
expect '^progress: 30% \(307\.2/1024\.0 MiB, 100\.0 MiB/s, 7s left\)$'
expect '^migration vm1-ok123 succeeded in 4\.2s$'
[ "$(printf '%s\n' "$out" | grep -c '^phase: copying$')" = 1 ] ||
    fail "phase copying printed more than once"
[ "$(printf '%s\n' "$out" | grep -c '^progress:')" -le 2 ] ||
    fail "more than one progress line per 2 s"
not_expect $'\r'

run --wait migrate --to node-f vm1
expect_rc 3
expect '^phase: copying$'
expect '^migration vm1-fl123 failed: ProgressTimeout \(no progress for 150s\)$'

run migrate vm1 --to=node-x --wait
expect_rc 4
expect '^migration vm1-ab123 aborted: AbortRequested$'

# A 503 while waiting is ridden out.
run migrate vm1 --to node-r --wait
expect_rc 0
expect '^migration vm1-rt123 succeeded in 4\.2s$'

# --server wins over FERRY_SERVER, before or after the command.
run get migrations --server "$FERRY_SERVER/"
expect_rc 0
FERRY_SERVER=http://127.0.0.1:1 run -s "$FERRY_SERVER" get migrations
expect_rc 0

# Usage errors exit 2; help and version exit 0.
for args in "" "frobnicate" "migrate vm1" "migrate --to node-b" \
    "migrate a b --to node-b" "get" "get nodes" "get migration" \
    "get migrations -o yaml" "abort" "abort a b" "get migrations --wait" \
    "--bogus get migrations" "migrate 'bad name' --to node-b"; do
	eval run "$args"
	expect_rc 2
	expect -e '^ferryctl: '
done

run --help
expect_rc 0
expect '^usage: ferryctl'
expect '^  3 +with --wait, the migration failed$'
run migrate -h
expect_rc 0
expect '^usage: ferryctl .*migrate VM --to NODE \[--wait\]$'
run help get
expect_rc 0
expect 'get migrations'
run version
expect_rc 0
expect '^ferryctl [0-9]'

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed"
	exit 1
fi
echo "PASS: ferryctl against a fake API"
