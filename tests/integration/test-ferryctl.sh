#!/usr/bin/env bash
# test-ferryctl.sh: ferryctl against a fake ferryd API (python3, loopback
# only) that serves canned JSON: a table, -o json, migrate --wait through
# pending -> copying -> succeeded/failed/aborted, a 409 with reasons, a
# malformed body, an unreachable server and usage errors; the inventory
# (get nodes, get vms, describe vm, objects with missing or mistyped
# fields), migrate without --to and a 422 refusal with its reasons; drains
# and evacuations (drain, drain --wait to completed/failed/cancelled with
# the evacuation named in the answer or found in the list, on a tty and
# interrupted, uncordon, get and describe evacuations, abort --force);
# migrate --wait's bar on a tty; -o wide and -o name for every get; the
# configuration file (server, token, token_file; flags > environment >
# file; file:line errors; the warning about a token others can read);
# --help for every command; and the bash completion (commands, types,
# options, names asked of the fake, watch's filters).
# Exit codes and output are checked; POST bodies and paths, and the
# Authorization header of GETs, are logged by the fake and checked too.
# The end-to-end test against the real ferryd is tests/e2e/test-migrate.sh.
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
import json, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

now = time.time()
def ts(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%03dZ" % int((t % 1) * 1000)

GIB = 1 << 30
def mig(name, vm, phase, reason="", message="", pct=None, age=300,
        end=None, transitions=None, target="node-b", asked="node-b"):
    o = {"apiVersion": "ferry.io/v1", "kind": "VirtualMachineInstanceMigration",
         "metadata": {"name": name, "uid": "6f1c0000-0000-4000-8000-000000000000",
                      "creationTimestamp": ts(now - age)},
         "spec": {"vmiName": vm, "targetNode": asked},
         "status": {"phase": phase, "reason": reason, "message": message,
                    "sourceNode": "node-a", "targetNode": target,
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
LIST[2]["status"].update(trigger="evacuation", evacuation="node-a-drain-k3x9q")

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
# The inventory of doc/api.md "Cluster inventory".
KIB_GIB = 1 << 20
def node(name, ready=True, unschedulable=False, taints=(), vms=0, cpus=2,
         total=24576000, free=20000000, host_model="Skylake-Client-IBRS"):
    return {"apiVersion": "ferry.io/v1", "kind": "Node",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/hostname": name,
                                    "host-model-cpu.node.kubevirt.io/" + host_model: "true",
                                    "zone": "east"}},
            "spec": {"unschedulable": unschedulable, "taints": list(taints),
                     "cpuManager": False, "networks": ["mgmt"]},
            "status": {"ready": ready, "hostModel": host_model,
                       "capacity": {"memoryKiB": total, "cpus": cpus},
                       "free": {"memoryKiB": free},
                       "allocated": {"vcpus": vms, "vms": vms},
                       "inbound": {"migrations": 0, "memoryKiB": 0}}}

NODES = [node("node-a", vms=2),
         node("node-b", vms=1, cpus=4, total=16 * KIB_GIB, free=12 * KIB_GIB + KIB_GIB // 2,
              host_model="Cascadelake-Server"),
         node("node-c", ready=False, unschedulable=True, vms=0, cpus=8,
              total=8 * KIB_GIB, free=8 * KIB_GIB,
              taints=[{"key": "maintenance", "effect": "NoSchedule"}])]

def vm(name, node, phase="Running", memory=131072, vcpus=1, mode="host-model",
       model=None, disks=(), ifaces=(), hostdevs=(), selector=None,
       required=None, reasons=(), migration=None):
    o = {"apiVersion": "ferry.io/v1", "kind": "VirtualMachineInstance",
         "metadata": {"name": name, "uid": "0000000%s-0000-4000-8000-000000000000" % name[-1]},
         "spec": {"memoryKiB": memory, "vcpus": vcpus,
                  "cpu": {"mode": mode, "model": model},
                  "disks": list(disks), "interfaces": list(ifaces),
                  "hostDevices": list(hostdevs),
                  "nodeSelector": selector or {}, "requiredLabels": required or {}},
         "status": {"nodeName": node, "phase": phase,
                    "migratable": not reasons,
                    "reasons": [{"code": c, "message": m} for c, m in reasons],
                    "conditions": [{"type": "LiveMigratable",
                                    "status": "False" if reasons else "True",
                                    "reason": reasons[0][0] if reasons else "",
                                    "message": reasons[0][1] if reasons else ""}],
                    "migrationState": migration}}
    return o

VMS = [vm("vm1", "node-a",
          disks=[{"target": "vda", "device": "disk", "source": "/srv/nfs/vm1.qcow2"}],
          ifaces=[{"type": "network", "source": "mgmt", "mac": "52:54:00:00:00:01"}],
          migration={"migrationUID": "6f1c0000-0000-4000-8000-000000000000",
                     "migrationName": "vm1-a3d1f", "phase": "copying",
                     "sourceNode": "node-a", "targetNode": "node-b"}),
       vm("vm2", "node-a", memory=2 * KIB_GIB, vcpus=2, mode="custom", model="Nehalem",
          disks=[{"target": "vda", "device": "disk", "source": "/srv/nfs/vm2.qcow2"},
                 {"target": "sda", "device": "cdrom", "source": "/srv/iso/install.iso"}],
          ifaces=[{"type": "bridge", "source": "br0", "mac": "52:54:00:00:00:02"}],
          hostdevs=[{"type": "pci", "device": "0000:65:00.0"}],
          selector={"kubernetes.io/hostname": "node-a"},
          required={"zone": "east", "ssd": None},
          reasons=[("CDROM", "disk 'sda' is a CD-ROM"),
                   ("HostDevicePCI", "PCI host device '0000:65:00.0' is attached")]),
       vm("vm3", "node-b", phase="Paused", memory=1536 * 1024, mode=None,
          migration={"migrationUID": "7a2d0000-0000-4000-8000-000000000000",
                     "migrationName": "vm3-k2k2k", "phase": "succeeded",
                     "sourceNode": "node-a", "targetNode": "node-b"})]

# Objects a newer or broken ferryd might send: nothing must crash.
ODD = {
    "/v1/nodes/odd": {"metadata": {"name": "odd"}, "spec": {"taints": "x"},
                      "status": {"ready": "yes", "capacity": {"cpus": -1},
                                 "free": {"memoryKiB": 1048576}}},
    "/v1/vms/odd": {"metadata": {"name": "odd\u001b[31m"},
                    "spec": {"memoryKiB": "lots", "vcpus": 1.5, "cpu": None,
                             "disks": [None, 7, {"target": 3}],
                             "interfaces": {"not": "a list"},
                             "nodeSelector": {"n": 1, "b": True, "l": [1]}},
                    "status": {"migratable": False, "reasons": [7, "Legacy: a string"],
                               "migrationState": {"phase": 3}}},
    "/v1/vms/empty": {},
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

# Evacuations (doc/api.md "Evacuation").
def evac(name, node, phase, done, total, reason="", message="", age=60,
         took=None, by="api", vms=(), succeeded=0, failed=0):
    c = now - age
    return {"apiVersion": "ferry.io/v1", "kind": "Evacuation",
            "metadata": {"name": name, "creationTimestamp": ts(c)},
            "spec": {"node": node, "requestedBy": by},
            "status": {"phase": phase, "reason": reason, "message": message,
                       "total": total, "done": done, "succeeded": succeeded,
                       "failed": failed, "createdMs": int(c * 1000),
                       "endedMs": int((c + took) * 1000) if took else 0,
                       "endTimestamp": ts(c + took) if took else None,
                       "vms": [{"vm": v, "migration": m, "phase": ph,
                                "reason": r, "reasons": list(rs)}
                               for v, m, ph, r, rs in vms]}}

EVACS = [evac("evac-old01", "node-c", "completed", 2, 2, age=7200, took=30,
              succeeded=2,
              vms=[("vm-c1", "kubevirt-evacuation-c1c1c", "succeeded", "", ()),
                   ("vm-c2", "kubevirt-evacuation-c2c2c", "succeeded", "", ())]),
         evac("evac-fl001", "node-b", "failed", 3, 3, "VMsRemain",
              "1 VM remains on node-b", age=600, took=120, by="alice",
              succeeded=1, failed=2,
              vms=[("vm-x", "kubevirt-evacuation-aaaaa", "succeeded", "", ()),
                   ("vm-y", "kubevirt-evacuation-bbbbb", "failed", "ProgressTimeout", ()),
                   ("vm-z", None, None, "",
                    ("CDROM: disk 'sda' is a CD-ROM",
                     "HostDevicePCI: PCI host device '0000:65:00.0' is attached"))])]
ODD_EVAC = {"metadata": {"name": "odd"},
            "status": {"phase": 7, "done": "x",
                       "vms": [None, 5, {"vm": 3, "reasons": [1, {"code": "X"}]}]}}

# Per drained node: the evacuation the drain starts and its (phase, done,
# total) walked by GETs; "503" is an outage.  node-s's drain answer names
# no evacuation: ferryctl finds it in the list (after an old one).
EVAC_WAITS = {
    "node-w": ("evac-w0001", [("running", 0, 3), ("running", 1, 3), ("503", 0, 0),
               ("running", 1, 3), ("running", 2, 3), ("completed", 3, 3)]),
    "node-f": ("evac-f0001", [("running", 0, 3), ("failed", 3, 3)]),
    "node-x": ("evac-x0001", [("running", 1, 2), ("cancelled", 2, 2)]),
    "node-s": ("evac-s0001", [("running", 0, 1), ("completed", 1, 1)]),
    "node-t": ("evac-t0001", [("running", 0, 2), ("running", 1, 2), ("completed", 2, 2)]),
    "node-h": ("evac-h0001", [("running", 0, 5)]),
}
EVAC_FINAL = {"completed": ("", ""),
              "failed": ("VMsRemain", "1 VM remains on node-f"),
              "cancelled": ("EvacuationCancelled", "node-x was uncordoned")}
EVAC_VMS = {
    "failed": [("vm5", "kubevirt-evacuation-f5f5f", "succeeded", "", ()),
               ("vm6", "kubevirt-evacuation-f6f6f", "failed", "ProgressTimeout", ()),
               ("vm7", None, None, "", ("CDROM: disk 'sda' is a CD-ROM",))],
    "cancelled": [("vm8", "kubevirt-evacuation-x8x8x", "succeeded", "", ()),
                  ("vm9", "kubevirt-evacuation-x9x9x", "aborted", "EvacuationCancelled", ())],
}
OLD_S = evac("evac-s-old", "node-s", "completed", 1, 1, age=86400, took=10)
evac_steps = {}
list_steps = {}
drained = set()

def evac_scripted(node, step):
    name, seq = EVAC_WAITS[node]
    phase, done, total = seq[min(step, len(seq) - 1)]
    if phase == "503":
        return None
    reason, message = EVAC_FINAL.get(phase, ("", ""))
    return evac(name, node, phase, done, total, reason, message, age=10,
                took=4.2 if phase in EVAC_FINAL else None,
                vms=EVAC_VMS.get(phase, ()))

def evac_list(node):
    items = [e for e in EVACS if node is None or e["spec"]["node"] == node]
    if node == "node-s":
        items = [OLD_S]
        if node in drained:
            list_steps[node] = list_steps.get(node, 0) + 1
            if list_steps[node] > 2:
                items.append(evac_scripted(node, evac_steps.get("evac-s0001", 0)))
    return {"apiVersion": "ferry.io/v1", "kind": "EvacuationList", "items": items}

def log_post(path, raw):
    with open(sys.argv[2], "a") as f:
        f.write("POST %s %s\n" % (path, raw.decode(errors="replace")))

def log_auth(path, auth):
    with open(sys.argv[3], "a") as f:
        f.write("GET %s %s\n" % (path, auth or "-"))

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
        u = urllib.parse.urlsplit(p)
        log_auth(p, self.headers.get("Authorization"))
        if u.path == "/v1/evacuations":
            q = urllib.parse.parse_qs(u.query)
            return self.send(200, evac_list(q["node"][0] if "node" in q else None))
        if u.path == "/v1/evacuations/odd":
            return self.send(200, ODD_EVAC)
        if u.path.startswith("/v1/evacuations/"):
            name = u.path[len("/v1/evacuations/"):]
            for e in EVACS:
                if e["metadata"]["name"] == name:
                    return self.send(200, e)
            for node, (n, _) in EVAC_WAITS.items():
                if n == name and node in drained:
                    step = evac_steps.get(name, 0)
                    evac_steps[name] = step + 1
                    o = evac_scripted(node, step)
                    if o is None:
                        return self.err(503, "redis unreachable")
                    return self.send(200, o)
            return self.err(404, "evacuation '%s' not found" % name)
        if p == "/v1/migrations":
            return self.send(200, {"kind": "VirtualMachineInstanceMigrationList",
                                   "items": LIST})
        if p == "/v1/nodes":
            return self.send(200, {"kind": "NodeList", "items": NODES})
        if p == "/v1/vms":
            return self.send(200, {"kind": "VirtualMachineInstanceList", "items": VMS})
        if p == "/v1/vms-empty":
            return self.send(200, {"kind": "VirtualMachineInstanceList", "items": []})
        if p in ODD:
            return self.send(200, ODD[p])
        for prefix, objs in (("/v1/nodes/", NODES), ("/v1/vms/", VMS)):
            if p.startswith(prefix):
                name = p[len(prefix):]
                for o in objs:
                    if o["metadata"]["name"] == name:
                        return self.send(200, o)
                return self.err(404, "%s '%s' not found" % (prefix[4:-2], name))
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
        log_post(p, raw)
        m = p.split("/")
        if len(m) == 5 and m[1:3] == ["v1", "nodes"] and m[4] in ("drain", "uncordon"):
            node, op = m[3], m[4]
            if raw:
                if self.headers.get("Content-Type") != "application/json":
                    return self.err(400, "body must be application/json")
                try:
                    body = json.loads(raw)
                    assert isinstance(body, dict) and set(body) <= {"by"}
                    assert isinstance(body.get("by"), str)
                except Exception:
                    return self.err(400, "bad request body", ["expected {\"by\": \"...\"}"])
            if node not in ("node-a",) and node not in EVAC_WAITS:
                return self.err(404, "node '%s' not found" % node)
            if op == "uncordon":
                drained.discard(node)
                return self.send(202, {"node": node, "cordoned": False, "taint": "",
                                       "evacuation": EVAC_WAITS[node][0]
                                       if node in EVAC_WAITS else None})
            drained.add(node)
            list_steps[node] = 0
            ev = None
            if node in EVAC_WAITS:
                evac_steps[EVAC_WAITS[node][0]] = 0
                if node != "node-s":
                    ev = EVAC_WAITS[node][0]
            return self.send(202, {"node": node, "cordoned": True,
                                   "taint": "kubevirt.io/drain:NoSchedule",
                                   "evacuation": ev})
        if p == "/v1/migrations/kubevirt-evacuation-abcde/abort":
            return self.err(409, "migration 'kubevirt-evacuation-abcde' belongs to evacuation 'evac-fl001'",
                            ["aborting it needs force=true"])
        if p == "/v1/migrations/kubevirt-evacuation-abcde/abort?force=true":
            o = mig("kubevirt-evacuation-abcde", "vm-y", "copying", pct=40)
            o["status"]["abortRequested"] = True
            return self.send(202, o)
        if p.startswith("/v1/vms/") and p.endswith("/migrate"):
            vm = p[len("/v1/vms/"):-len("/migrate")]
            if self.headers.get("Content-Type") != "application/json":
                return self.err(400, "body must be application/json")
            try:
                body = json.loads(raw)
                assert isinstance(body, dict) and set(body) <= {"targetNode"}
                target = body.get("targetNode")
            except Exception:
                return self.err(400, "bad body")
            if vm == "vm2":
                return self.err(422, "VM 'vm2' is not live-migratable",
                                ["CDROM: disk 'sda' is a CD-ROM",
                                 "HostDevicePCI: PCI host device '0000:65:00.0' is attached"])
            if target is None:
                # ferry picks: vm3 -> node-b; "lonely" waits for a fit.
                if raw != b"{}":
                    return self.err(400, "expected the body {}")
                if vm == "lonely":
                    return self.send(201, mig("lonely-p0001", vm, "pending", age=0,
                                              target="", asked=None))
                return self.send(201, mig(vm + "-auto1", vm, "pending", age=0,
                                          asked=None))
            if target == "node-c":
                return self.err(409, "cannot migrate '%s' to 'node-c'" % vm,
                                ["Unschedulable: node 'node-c' is cordoned or tainted NoSchedule"])
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

python3 "$tmp/fake.py" "$tmp/port.tmp" "$tmp/posts.log" "$tmp/auth.log" &
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
# No configuration file but the ones the tests write.
export XDG_CONFIG_HOME="$tmp/config"
unset FERRY_TOKEN

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

# Run ferryctl under env(1): env's arguments (NAME=VALUE, -u NAME) up to
# "--", then ferryctl's.
run_env() {
	local envargs=()
	while [ "$1" != -- ]; do
		envargs+=("$1")
		shift
	done
	shift
	env "${envargs[@]}" "$CTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	what="${envargs[*]} ferryctl $*"
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

# get nodes: STATUS, SCHEDULABLE (cordon and taints), free/total GiB.
run get nodes
expect_rc 0
expect '^NAME +STATUS +SCHEDULABLE +VMS +CPUS +MEMORY +HOST-MODEL$'
expect '^node-a +Ready +true +2 +2 +19\.1/23\.4Gi +Skylake-Client-IBRS$'
expect '^node-b +Ready +true +1 +4 +12\.5/16\.0Gi +Cascadelake-Server$'
expect '^node-c +NotReady +false +0 +8 +8\.0/8\.0Gi +Skylake-Client-IBRS$'
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "not 4 lines"

run get node node-b
expect_rc 0
expect '^NAME +STATUS'
expect '^node-b +Ready +true +1 +4 '
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "not 2 lines"

run get nodes node-c
expect_rc 0
expect '^node-c +NotReady +false '

run get node node-a -o json
expect_rc 0
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert o["kind"] == "Node" and o["status"]["capacity"]["memoryKiB"] == 24576000
assert o["metadata"]["labels"]["zone"] == "east"' "$tmp/out" 2>/dev/null ||
    fail "-o json is not the node"
[ "$(printf '%s\n' "$out" | wc -l)" -gt 20 ] || fail "-o json is not pretty"

run get nodes -o json
expect_rc 0
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert [n["metadata"]["name"] for n in o["items"]] == ["node-a", "node-b", "node-c"]' \
    "$tmp/out" 2>/dev/null || fail "-o json is not the node list"

run get node nope
expect_rc 1
expect -e "^ferryctl: node 'nope' not found \(HTTP 404\)$"

# A node with mistyped fields: dashes, no crash.
run get node odd
expect_rc 0
expect '^odd +- +- +- +- +1\.0/-Gi +-$'

# get vms: MIGRATABLE with the first reason, CPU, memory, migration.
run get vms
expect_rc 0
expect '^NAME +NODE +PHASE +MIGRATABLE +CPU +MEMORY +MIGRATION$'
expect '^vm1 +node-a +Running +true +host-model +128Mi +vm1-a3d1f/copying$'
expect '^vm2 +node-a +Running +false \(CDROM\) +Nehalem +2Gi +-$'
expect '^vm3 +node-b +Paused +true +- +1536Mi +vm3-k2k2k/succeeded$'
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "not 4 lines"

run get vm vm2
expect_rc 0
expect '^vm2 +node-a +Running +false \(CDROM\) +Nehalem +2Gi +-$'
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "not 2 lines"

run get vm vm2 -o json
expect_rc 0
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert o["status"]["migratable"] is False
assert [r["code"] for r in o["status"]["reasons"]] == ["CDROM", "HostDevicePCI"]
assert o["spec"]["requiredLabels"]["ssd"] is None' "$tmp/out" 2>/dev/null ||
    fail "-o json is not the VM"
[ "$(printf '%s\n' "$out" | wc -l)" -gt 20 ] || fail "-o json is not pretty"

run get vms -o json
expect_rc 0
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "-o json is not JSON"

run get vm nope
expect_rc 1
expect -e "^ferryctl: vm 'nope' not found \(HTTP 404\)$"

run get vm odd
expect_rc 0
expect '^odd\?\[31m +- +- +false +- +- +-/-$'
not_expect $'\033'

# describe vm: a migratable VM with a migration.
run describe vm vm1
expect_rc 0
expect '^Name: +vm1$'
expect '^UID: +00000001-0000-4000-8000-000000000000$'
expect '^Node: +node-a$'
expect '^Phase: +Running$'
expect '^Memory: +128Mi$'
expect '^vCPUs: +1$'
expect '^CPU: +host-model$'
expect '^Disks:$'
expect '^  vda +disk +/srv/nfs/vm1\.qcow2$'
expect '^Interfaces:$'
expect '^  network +mgmt +52:54:00:00:00:01$'
expect '^Host Devices: +<none>$'
expect '^Node Selector: +<none>$'
expect '^Required Labels: +<none>$'
expect '^Live Migratable: +True$'
not_expect '^Reasons:'
expect '^Migration:$'
expect '^  Name: +vm1-a3d1f$'
expect '^  UID: +6f1c0000-0000-4000-8000-000000000000$'
expect '^  Phase: +copying$'
expect '^  Nodes: +node-a -> node-b$'

# describe vm: not migratable, every reason, placement rules.
run describe vm vm2
expect_rc 0
expect '^Memory: +2Gi$'
expect '^vCPUs: +2$'
expect '^CPU: +Nehalem$'
expect '^  vda +disk +/srv/nfs/vm2\.qcow2$'
expect '^  sda +cdrom +/srv/iso/install\.iso$'
expect '^  bridge +br0 +52:54:00:00:00:02$'
expect '^Host Devices:$'
expect '^  pci +0000:65:00\.0$'
expect '^Node Selector: +kubernetes\.io/hostname=node-a$'
expect '^Required Labels: +zone=east$'
expect '^ {18}ssd$'
expect '^Live Migratable: +False$'
expect '^Reasons:$'
expect "^  CDROM: disk 'sda' is a CD-ROM$"
expect "^  HostDevicePCI: PCI host device '0000:65:00\.0' is attached$"
expect '^Migration: +<none>$'

run describe vm vm3
expect_rc 0
expect '^Phase: +Paused$'
expect '^Memory: +1536Mi$'
expect '^CPU: +<unknown>$'
expect '^  Phase: +succeeded$'

# describe: missing and mistyped fields print <unknown> or -, no crash.
run describe vm odd
expect_rc 0
expect '^Name: +odd\?\[31m$'
expect '^UID: +<unknown>$'
expect '^Memory: +<unknown>$'
expect '^vCPUs: +<unknown>$'
expect '^  - +- +-$'
expect '^Interfaces: +<none>$'
expect '^Node Selector: +n=1$'
expect '^ {18}b=true$'
expect '^ {18}l=\?$'
expect '^Live Migratable: +False$'
expect '^  <unknown>: <unknown>$'
expect '^  Legacy: a string$'
expect '^  Name: +<unknown>$'
expect '^  Nodes: +- -> -$'
not_expect $'\033'

run describe vm empty
expect_rc 0
expect '^Name: +<unknown>$'
expect '^Live Migratable: +<unknown>$'
expect '^Migration: +<none>$'

run describe vm nope
expect_rc 1
expect -e "^ferryctl: vm 'nope' not found \(HTTP 404\)$"

# migrate without --to: the body is {} and ferryd picks the target.
run migrate vm3
expect_rc 0
expect '^migration vm3-auto1 created \(vm3: node-a -> node-b\)$'

run migrate lonely
expect_rc 0
expect '^migration lonely-p0001 created \(lonely: node-a -> -\)$'

# 422: not live-migratable, every reason indented; 409 on a filter.
run migrate vm2
expect_rc 1
expect -e "^ferryctl: VM 'vm2' is not live-migratable \(HTTP 422\)$"
expect -e "^  CDROM: disk 'sda' is a CD-ROM$"
expect -e "^  HostDevicePCI: PCI host device '0000:65:00\.0' is attached$"
[ -z "$out" ] || fail "a refusal printed on stdout"

run migrate vm2 --to node-b --wait
expect_rc 1
expect -e "\(HTTP 422\)$"

run migrate vm1 --to node-c
expect_rc 1
expect -e "^ferryctl: cannot migrate 'vm1' to 'node-c' \(HTTP 409\)$"
expect -e "^  Unschedulable: node 'node-c' is cordoned or tainted NoSchedule$"

# Drains and evacuations (issue 4).
posts() {
	cat "$tmp/posts.log" 2>/dev/null
}

# drain without --wait: no body (ferryd records "api"), one line.
: >"$tmp/posts.log"
run drain node-a
expect_rc 0
expect '^node node-a drained \(cordoned, taint kubevirt\.io/drain:NoSchedule\)$'
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "not 1 line"
posts | grep -Eq '^POST /v1/nodes/node-a/drain $' || fail "drain did not POST an empty body"

# --by is sent as JSON, quotes and backslashes escaped.
: >"$tmp/posts.log"
run drain node-a --by 'alice "ops" \ x'
expect_rc 0
posts | sed -n 's|^POST /v1/nodes/node-a/drain ||p' >"$tmp/body"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1]));
assert b == {"by": "alice \"ops\" \\ x"}, b' "$tmp/body" 2>/dev/null ||
    fail "--by body is not {\"by\": ...}: $(cat "$tmp/body")"

run drain node-q
expect_rc 1
expect -e "^ferryctl: node 'node-q' not found \(HTTP 404\)$"

# drain --wait: the answer names the evacuation; a 503 is ridden out; a
# line per change of done/total (1/3 seen twice, printed once).
run drain node-w --wait
expect_rc 0
expect '^node node-w drained \(cordoned, taint kubevirt\.io/drain:NoSchedule\)$'
expect '^evacuation evac-w0001$'
expect '^evacuation evac-w0001: 0/3 VMs done$'
expect '^evacuation evac-w0001: 1/3 VMs done$'
expect '^evacuation evac-w0001: 2/3 VMs done$'
expect '^evacuation evac-w0001 completed: 3/3 VMs done in 4\.2s$'
[ "$(printf '%s\n' "$out" | grep -c '1/3 VMs done$')" = 1 ] ||
    fail "1/3 printed more than once"
not_expect $'\r'

# The answer names no evacuation: the newest of the list that had not
# ended before the drain (evac-s-old had) is followed.
run drain node-s --wait
expect_rc 0
expect '^waiting for the evacuation of node node-s to start$'
[ "$(printf '%s\n' "$out" | grep -c '^waiting')" = 1 ] ||
    fail "waiting printed more than once"
expect '^evacuation evac-s0001: 0/1 VMs done$'
expect '^evacuation evac-s0001 completed: 1/1 VMs done in 4\.2s$'
not_expect 'evac-s-old'

# Failed: exit 3 and the VMs that did not move, with why.
run drain node-f --wait
expect_rc 3
expect '^evacuation evac-f0001 failed \(VMsRemain, 1 VM remains on node-f\): 3/3 VMs done in 4\.2s$'
expect '^  vm6 \(kubevirt-evacuation-f6f6f failed\): ProgressTimeout$'
expect "^  vm7 \(not migrated\): CDROM: disk 'sda' is a CD-ROM$"
not_expect '^  vm5'

# Cancelled (uncordoned): exit 4.
run drain --wait node-x --by ops
expect_rc 4
expect '^evacuation evac-x0001 cancelled \(EvacuationCancelled, node-x was uncordoned\): 2/2 VMs done in 4\.2s$'
expect '^  vm9 \(kubevirt-evacuation-x9x9x aborted\): EvacuationCancelled$'

# On a terminal: one line redrawn with \r, then the outcome.
cat >"$tmp/on-tty.py" <<'PY'
# Run argv[1:] on a pseudo-terminal; print what it wrote, exit as it did.
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=s, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace"))
sys.exit(p.wait())
PY
python3 "$tmp/on-tty.py" "$CTL" drain node-t --wait >"$tmp/tty" 2>&1
rc=$?
out=$(tr -d '\r' <"$tmp/tty")
err=
what="ferryctl drain node-t --wait (on a tty)"
cp "$tmp/tty" "$tmp/out"; : >"$tmp/err"
expect_rc 0
grep -q $'\revacuation evac-t0001: running, 1/2 VMs done' "$tmp/tty" ||
    fail "no redrawn progress line"
expect 'evacuation evac-t0001 completed: 2/2 VMs done in 4\.2s$'
grep -q '^evacuation evac-t0001: ' "$tmp/out" && fail "plain progress lines on a tty"

# Ctrl-C while waiting: 130, the drain goes on.
"$CTL" drain node-h --wait >"$tmp/out" 2>"$tmp/err" &
ctl_pid=$!
sleep 1
kill -INT "$ctl_pid"
wait "$ctl_pid"
rc=$?
out=$(cat "$tmp/out") err=$(cat "$tmp/err") what="ferryctl drain node-h --wait (Ctrl-C)"
expect_rc 130
expect -e "^ferryctl: stopped waiting; the drain of node 'node-h' goes on \(cancel it with 'ferryctl uncordon node-h'\)$"

# uncordon.
: >"$tmp/posts.log"
run uncordon node-x
expect_rc 0
expect '^node node-x uncordoned$'
expect '^evacuation evac-x0001 ends cancelled: '
posts | grep -Eq '^POST /v1/nodes/node-x/uncordon $' || fail "uncordon did not POST"

run uncordon node-a --by alice
expect_rc 0
expect '^node node-a uncordoned$'
not_expect 'evacuation'

run uncordon node-q
expect_rc 1
expect -e "^ferryctl: node 'node-q' not found \(HTTP 404\)$"

# get evacuations: table, one, --node, -o json, 404, odd fields.
run get evacuations
expect_rc 0
expect '^NAME +NODE +PHASE +DONE/TOTAL +AGE +REASON$'
expect '^evac-old01 +node-c +completed +2/2 +2h +-$'
expect '^evac-fl001 +node-b +failed +3/3 +10m +VMsRemain$'
[ "$(printf '%s\n' "$out" | wc -l)" = 3 ] || fail "not 3 lines"

run get evacuations --node node-b
expect_rc 0
expect '^evac-fl001 +node-b +failed '
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "not 2 lines"

run get evacuations --node node-zz
expect_rc 0
expect -e '^No evacuations found\.$'

run get evacuation evac-fl001
expect_rc 0
expect '^NAME +NODE'
expect '^evac-fl001 +node-b +failed +3/3 +10m +VMsRemain$'

run get evacuations -o json
expect_rc 0
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert o["kind"] == "EvacuationList"
assert [e["metadata"]["name"] for e in o["items"]] == ["evac-old01", "evac-fl001"]' \
    "$tmp/out" 2>/dev/null || fail "-o json is not the evacuation list"

run get evacuation evac-fl001 -o json
expect_rc 0
python3 -c 'import json,sys; o=json.load(open(sys.argv[1]));
assert o["kind"] == "Evacuation" and o["spec"]["requestedBy"] == "alice"
assert o["status"]["vms"][2]["migration"] is None' "$tmp/out" 2>/dev/null ||
    fail "-o json is not the evacuation"
[ "$(printf '%s\n' "$out" | wc -l)" -gt 20 ] || fail "-o json is not pretty"

run get evacuation nope
expect_rc 1
expect -e "^ferryctl: evacuation 'nope' not found \(HTTP 404\)$"

# Ids ("<node>-drain-xxxxx") may be longer than names: up to 128 bytes.
long_id=$(printf 'n%.0s' $(seq 64))-drain-abcde
run get evacuation "$long_id"
expect_rc 1
expect -e "^ferryctl: evacuation '$long_id' not found \(HTTP 404\)$"
run describe evacuation "$(printf 'e%.0s' $(seq 129))"
expect_rc 2

run get evacuation odd
expect_rc 0
expect '^odd +- +- +- +- +-$'

# describe evacuation: fields, the VM table, every reason on its row.
run describe evacuation evac-fl001
expect_rc 0
expect '^Name: +evac-fl001$'
expect '^Node: +node-b$'
expect '^Requested By: +alice$'
expect '^Phase: +failed$'
expect '^Reason: +VMsRemain$'
expect '^Message: +1 VM remains on node-b$'
expect '^Created: +[0-9]{4}-[0-9]{2}-[0-9]{2}T'
expect '^Ended: +[0-9]{4}-[0-9]{2}-[0-9]{2}T'
expect '^VMs: +3/3 done \(1 succeeded, 2 failed\)$'
expect '^  VM +MIGRATION +PHASE +REASON$'
expect '^  vm-x +kubevirt-evacuation-aaaaa +succeeded +-$'
expect '^  vm-y +kubevirt-evacuation-bbbbb +failed +ProgressTimeout$'
expect "^  vm-z +- +- +CDROM: disk 'sda' is a CD-ROM$"
expect "^ {30,}HostDevicePCI: PCI host device '0000:65:00\.0' is attached$"

run describe evacuation evac-old01
expect_rc 0
expect '^Reason: +<none>$'
expect '^Requested By: +api$'

run describe evacuation odd
expect_rc 0
expect '^Name: +odd$'
expect '^Node: +<unknown>$'
expect '^Phase: +<unknown>$'
expect '^Ended: +<none>$'
expect '^VMs: +<unknown>$'
expect '^  - +- +- +<unknown>: <unknown>$'
expect '^ +X: <unknown>$'

run describe evacuation nope
expect_rc 1
expect -e "^ferryctl: evacuation 'nope' not found \(HTTP 404\)$"

# abort of an evacuation's migration: 409 without --force, ?force=true with.
: >"$tmp/posts.log"
run abort kubevirt-evacuation-abcde
expect_rc 1
expect -e "belongs to evacuation 'evac-fl001' \(HTTP 409\)$"
expect -e '^  aborting it needs force=true$'
run abort kubevirt-evacuation-abcde --force
expect_rc 0
expect '^abort of kubevirt-evacuation-abcde requested$'
posts | grep -Eq '^POST /v1/migrations/kubevirt-evacuation-abcde/abort\?force=true $' ||
    fail "--force did not send ?force=true"
posts | grep -Eq '^POST /v1/migrations/kubevirt-evacuation-abcde/abort $' ||
    fail "abort without --force sent a query"

# --server wins over FERRY_SERVER, before or after the command.
run get migrations --server "$FERRY_SERVER/"
expect_rc 0
FERRY_SERVER=http://127.0.0.1:1 run -s "$FERRY_SERVER" get migrations
expect_rc 0

# Usage errors exit 2; help and version exit 0.
for args in "" "frobnicate" "migrate" "migrate --to node-b" \
    "migrate a b --to node-b" "get" "get pods" "get migration" \
    "get node" "get vm" "get vms a b" "get vm 'bad name'" \
    "get migrations -o yaml" "abort" "abort a b" "get migrations --wait" \
    "--bogus get migrations" "migrate 'bad name' --to node-b" \
    "migrate vm1 --to 'bad node'" "describe" "describe vm" \
    "describe node node-a" "describe vm a b" "describe vm 'bad name'" \
    "describe vm vm1 -o json" "describe vm vm1 --to node-b" \
    "drain" "drain a b" "drain 'bad name'" "drain node-a --to node-b" \
    "drain node-a -o json" "drain node-a --by ''" \
    "drain node-a --by $(printf '%065d' 0)" "drain node-a --by \$'a\tb'" \
    "drain node-a --force" "drain node-a --by" "uncordon" \
    "uncordon node-a --wait" "uncordon 'bad name'" "uncordon a b" \
    "get evacuations --node 'bad name'" "get nodes --node node-a" \
    "get evacuation evac-fl001 --node node-b" "get evacuation" \
    "get evacuation 'bad name'" "describe evacuation" \
    "describe evacuation 'bad name'" "describe evacuation x --force" \
    "abort a --wait" "migrate vm1 --force" "get migrations --by x"; do
	eval run "$args"
	expect_rc 2
	expect -e '^ferryctl: '
done

run --help
expect_rc 0
expect '^usage: ferryctl'
expect '^  0 +success; with --wait, the migration succeeded or the evacuation completed$'
expect '^  3 +with --wait, the migration or the evacuation failed$'
expect '^  4 +with --wait, the migration was aborted or the evacuation cancelled$'
expect '^  130 +interrupted while waiting'
run migrate -h
expect_rc 0
expect '^usage: ferryctl .*migrate VM \[--to NODE\] \[--wait\]$'
expect 'ferryd picks'
run help get
expect_rc 0
expect 'get migrations'
expect 'get nodes +NAME STATUS SCHEDULABLE VMS CPUS MEMORY HOST-MODEL$'
expect 'get vms +NAME NODE PHASE MIGRATABLE CPU MEMORY MIGRATION$'
expect 'get evacuations +NAME NODE PHASE DONE/TOTAL AGE REASON$'
run get --help
expect_rc 0
expect '^usage: ferryctl .*get TYPE \[NAME\] \[--node NODE\] \[-o json\|wide\|name\]$'
run describe --help
expect_rc 0
expect '^usage: ferryctl .*describe vm\|evacuation NAME$'
expect 'every reason'
run help describe
expect_rc 0
expect '^usage: ferryctl .*describe vm\|evacuation NAME$'
run drain --help
expect_rc 0
expect '^usage: ferryctl .*drain NODE \[--wait\] \[--by WHO\]$'
expect '^  0 +drained; with --wait, the evacuation completed$'
expect '^  3 +with --wait, the evacuation failed$'
expect '^  4 +with --wait, the evacuation was cancelled'
expect '^  130 +with --wait, interrupted \(the drain goes on\)$'
expect '^ +--by WHO +who asks'
run abort --help
expect_rc 0
expect '^usage: ferryctl .*abort NAME \[--force\]$'
run --help
expect_rc 0
expect '^  migrate VM \[--to NODE\] \[--wait\] '
expect '^  get TYPE \[NAME\] \[--node NODE\] \[-o json\|wide\|name\] +list migrations, nodes, VMs or evacuations'
expect '^  describe vm\|evacuation NAME +show everything about a VM or an evacuation$'
expect '^  drain NODE \[--wait\] \[--by WHO\] +cordon NODE and evacuate its VMs$'
expect '^  uncordon NODE \[--by WHO\] +make NODE schedulable again'
expect '^  abort NAME \[--force\] '
run version
expect_rc 0
expect '^ferryctl [0-9]'

# migrate --wait on a terminal: a bar redrawn with \r (percent, MiB
# processed of total, rate, time left), then the outcome; no plain lines.
python3 "$tmp/on-tty.py" "$CTL" migrate vm1 --to node-b --wait >"$tmp/tty" 2>&1
rc=$?
out=$(tr -d '\r' <"$tmp/tty")
err=
what="ferryctl migrate vm1 --to node-b --wait (on a tty)"
cp "$tmp/tty" "$tmp/out"; : >"$tmp/err"
expect_rc 0
grep -Eq $'\rcopying +30% \\[#+-+\\]  307/1024 MiB  100\\.0 MiB/s  7s left' "$tmp/tty" ||
    fail "no redrawn progress bar"
grep -Eq $'\rcompleting +99% ' "$tmp/tty" || fail "the bar did not follow the phase"
expect 'migration vm1-ok123 succeeded in 4\.2s$'
not_expect '^(phase|progress): '

# -o wide: the usual columns, then more.
run get migrations -o wide
expect_rc 0
expect '^NAME +VM +SOURCE +TARGET +PHASE +REASON +PROGRESS +AGE +DATA +RATE +ELAPSED +EVACUATION +MESSAGE$'
expect '^vm1-a3d1f +vm1 +node-a +node-b +copying +- +42% +5m +430\.1/1024\.0MiB +100\.0MiB/s +5m[0-9]+s +- +-$'
expect '^vm2-zz9x0 +vm2 +node-a +node-b +failed +ProgressTimeout +10% +2h +102\.4/1024\.0MiB +100\.0MiB/s +2h0m +- +no progress for 150s$'
expect '^vm3-qq111 +vm3 +node-a +node-b +pending +- +- +[0-9]+[sm] +- +- +[0-9]+[sm][0-9]*s? +node-a-drain-k3x9q +-$'
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "not 4 lines"

run get migration vm2-zz9x0 --output wide
expect_rc 0
expect '^NAME +VM .* +DATA +RATE +ELAPSED +EVACUATION +MESSAGE$'
expect '^vm2-zz9x0 .* +no progress for 150s$'
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "not 2 lines"

run get nodes -o wide
expect_rc 0
expect '^NAME +STATUS +SCHEDULABLE +VMS +CPUS +MEMORY +HOST-MODEL +CORDONED +TAINTS +VCPUS +INBOUND +NETWORKS$'
expect '^node-a +Ready +true +2 +2 +19\.1/23\.4Gi +Skylake-Client-IBRS +false +<none> +2 +0 +mgmt$'
expect '^node-c +NotReady +false +0 +8 +8\.0/8\.0Gi +Skylake-Client-IBRS +true +maintenance:NoSchedule +0 +0 +mgmt$'

run get node odd -o wide
expect_rc 0
expect '^odd +- +- +- +- +1\.0/-Gi +- +- +<none> +- +- +<none>$'

run get vms -o wide
expect_rc 0
expect '^NAME +NODE +PHASE +MIGRATABLE +CPU +MEMORY +MIGRATION +VCPUS +REASONS +MIGRATION-NODES$'
expect '^vm1 +node-a +Running +true +host-model +128Mi +vm1-a3d1f/copying +1 +<none> +node-a->node-b$'
expect '^vm2 +node-a +Running +false \(CDROM\) +Nehalem +2Gi +- +2 +CDROM,HostDevicePCI +-$'
expect '^vm3 +node-b +Paused +true +- +1536Mi +vm3-k2k2k/succeeded +1 +<none> +node-a->node-b$'

run get vm odd -o wide
expect_rc 0
expect '^odd\?\[31m +- +- +false +- +- +-/- +- +Legacy +-->-$'
not_expect $'\033'

run get evacuations -o wide
expect_rc 0
expect '^NAME +NODE +PHASE +DONE/TOTAL +AGE +REASON +SUCCEEDED +FAILED +ELAPSED +BY +MESSAGE$'
expect '^evac-old01 +node-c +completed +2/2 +2h +- +2 +0 +30s +api +-$'
expect '^evac-fl001 +node-b +failed +3/3 +10m +VMsRemain +1 +2 +2m0s +alice +1 VM remains on node-b$'

run get evacuation odd -o wide
expect_rc 0
expect '^odd( +-){10}$'

# -o name: the names alone, one a line, for scripts and the completion.
run get vms -o name
expect_rc 0
[ "$out" = "$(printf 'vm1\nvm2\nvm3')" ] || fail "not the names of the VMs"
run get migrations -o name
expect_rc 0
[ "$out" = "$(printf 'vm1-a3d1f\nvm2-zz9x0\nvm3-qq111')" ] ||
    fail "not the names of the migrations"
run get nodes --output=name
expect_rc 0
[ "$out" = "$(printf 'node-a\nnode-b\nnode-c')" ] || fail "not the names of the nodes"
run get evacuations -o name --node node-b
expect_rc 0
[ "$out" = evac-fl001 ] || fail "not the name of node-b's evacuation"
run get node node-b -o name
expect_rc 0
[ "$out" = node-b ] || fail "not the node's name"
run get evacuations --node node-zz -o name
expect_rc 0
[ -z "$out" ] || fail "names printed for an empty list"

run get vms -o yaml
expect_rc 2
expect -e "^ferryctl: unknown output format 'yaml' \(known: json, wide, name\)$"

# The configuration file: server and token when neither the options nor
# the environment give them.
conf_dir=$XDG_CONFIG_HOME/ferry
mkdir -p "$conf_dir" "$tmp/alt" "$tmp/home/.config/ferry"
# The Authorization header of the last GET, "-" if none.
auth() {
	tail -n 1 "$tmp/auth.log" | cut -d' ' -f3-
}
printf '# ferryctl\n\nserver = %s\n  token   =   "tok-file-0001"  \n; done\n' \
    "$FERRY_SERVER" >"$conf_dir/ferryctl.conf"
chmod 600 "$conf_dir/ferryctl.conf"
run_env -u FERRY_SERVER -- get nodes
expect_rc 0
expect '^node-a '
[ "$(auth)" = "Bearer tok-file-0001" ] || fail "the file's token was not sent: $(auth)"
[ -z "$err" ] || fail "a warning about a file only its owner can read"

# $FERRY_TOKEN wins over the file, --token over both; --token '' sends none.
run_env -u FERRY_SERVER FERRY_TOKEN=tok-env-0001 -- get nodes
expect_rc 0
[ "$(auth)" = "Bearer tok-env-0001" ] || fail "FERRY_TOKEN did not win: $(auth)"
run_env -u FERRY_SERVER FERRY_TOKEN=tok-env-0001 -- --token tok-flag-0001 get nodes
expect_rc 0
[ "$(auth)" = "Bearer tok-flag-0001" ] || fail "--token did not win: $(auth)"
run get nodes --token ''
expect_rc 0
[ "$(auth)" = "-" ] || fail "--token '' sent a token: $(auth)"

# $FERRY_SERVER wins over the file, --server over both.
run_env FERRY_SERVER=http://127.0.0.1:1 -- get nodes
expect_rc 1
expect -e "^ferryctl: cannot reach 'http://127.0.0.1:1': "
run_env FERRY_SERVER=http://127.0.0.1:1 -- get nodes -s "$FERRY_SERVER"
expect_rc 0
expect '^node-a '

# --config FILE instead of the default file; a token_file relative to it.
printf 'server = http://127.0.0.1:1\n' >"$tmp/alt/unreachable.conf"
run_env -u FERRY_SERVER -- get nodes --config "$tmp/alt/unreachable.conf"
expect_rc 1
expect -e "^ferryctl: cannot reach 'http://127.0.0.1:1': "
printf 'server = %s\ntoken_file = secret\n' "$FERRY_SERVER" >"$tmp/alt/ferryctl.conf"
printf 'tok-file-0002\n' >"$tmp/alt/secret"
chmod 600 "$tmp/alt/secret"
run_env -u FERRY_SERVER -- --config "$tmp/alt/ferryctl.conf" get vms
expect_rc 0
[ "$(auth)" = "Bearer tok-file-0002" ] || fail "token_file was not read: $(auth)"
[ -z "$err" ] || fail "a warning about a token file only its owner can read"

# Without $XDG_CONFIG_HOME: ~/.config/ferry/ferryctl.conf; "~/" is $HOME.
printf 'server = %s\ntoken_file = ~/tok\n' "$FERRY_SERVER" \
    >"$tmp/home/.config/ferry/ferryctl.conf"
printf 'tok-home-0003' >"$tmp/home/tok"
chmod 600 "$tmp/home/tok"
run_env -u FERRY_SERVER -u XDG_CONFIG_HOME HOME="$tmp/home" -- get nodes
expect_rc 0
[ "$(auth)" = "Bearer tok-home-0003" ] || fail "~/.config/ferry was not read: $(auth)"

# A token others can read: a warning, and the command runs.
chmod 644 "$conf_dir/ferryctl.conf" "$tmp/alt/secret"
run_env -u FERRY_SERVER -- get nodes
expect_rc 0
expect -e "^ferryctl: warning: '$conf_dir/ferryctl\.conf' holds a token and can be read by other users \(chmod 600 it\)$"
run_env -u FERRY_SERVER -- get nodes --config "$tmp/alt/ferryctl.conf"
expect_rc 0
expect -e "^ferryctl: warning: token_file '$tmp/alt/secret' can be read by other users"
chmod 600 "$conf_dir/ferryctl.conf"

# The token_file is read only when its token is used.
printf 'server = %s\ntoken_file = %s\n' "$FERRY_SERVER" "$tmp/alt/nope" \
    >"$tmp/alt/nofile.conf"
run_env FERRY_TOKEN=tok-env-0004 -- get nodes --config "$tmp/alt/nofile.conf"
expect_rc 0
run get nodes --config "$tmp/alt/nofile.conf"
expect_rc 2
expect -e "^ferryctl: token_file '$tmp/alt/nope': No such file or directory$"
printf 'one\ntwo\n' >"$tmp/alt/two-lines"
printf 'token_file = two-lines\n' >"$tmp/alt/two.conf"
run get nodes --config "$tmp/alt/two.conf"
expect_rc 2
expect -e "^ferryctl: token_file '$tmp/alt/two-lines': the token must be one line "

# A bad file: every error with file:line, exit 2, nothing sent.
cat >"$tmp/bad.conf" <<'EOF'
# a bad file
server = http://127.0.0.1:1
colour = blue
this line has no equals
server = http://127.0.0.1:2
 = value
token = "unterminated
token_file =
token = "two words"
EOF
: >"$tmp/auth.log"
run --config "$tmp/bad.conf" get nodes
expect_rc 2
expect -e "^ferryctl: $tmp/bad\.conf:3: unknown key 'colour' \(known: server, token, token_file\)$"
expect -e "^ferryctl: $tmp/bad\.conf:4: missing '=' in 'this line has no equals', expected 'key = value'$"
expect -e "^ferryctl: $tmp/bad\.conf:5: 'server' is set twice, first at line 2$"
expect -e "^ferryctl: $tmp/bad\.conf:6: missing key before '='$"
expect -e "^ferryctl: $tmp/bad\.conf:7: 'token': missing closing '\"'$"
expect -e "^ferryctl: $tmp/bad\.conf:8: 'token_file' must not be empty$"
expect -e "^ferryctl: $tmp/bad\.conf:9: 'token' is set twice, first at line 7$"
[ -z "$out" ] || fail "a bad config file printed on stdout"
[ -s "$tmp/auth.log" ] && fail "a request was sent despite a bad config file"

printf 'token = abcdefgh\ntoken_file = x\n' >"$tmp/both.conf"
run get nodes --config "$tmp/both.conf"
expect_rc 2
expect -e "^ferryctl: $tmp/both\.conf:2: 'token' and 'token_file' are both set: keep one$"
printf 'token = "two words"\n' >"$tmp/space.conf"
run get nodes --config "$tmp/space.conf"
expect_rc 2
expect -e "^ferryctl: $tmp/space\.conf:1: 'token' must be 1 to 4096 printable characters without spaces$"
run get nodes --config "$tmp/nope.conf"
expect_rc 2
expect -e "^ferryctl: cannot open '$tmp/nope\.conf': No such file or directory$"
run_env FERRY_TOKEN='bad token' -- get nodes
expect_rc 2
expect -e '^ferryctl: the token of \$FERRY_TOKEN must be printable characters without spaces$'

# A bad default file stops the commands that talk to ferryd, not help.
cp "$tmp/bad.conf" "$conf_dir/ferryctl.conf"
run get nodes
expect_rc 2
expect -e "^ferryctl: $conf_dir/ferryctl\.conf:3: unknown key 'colour'"
run --help
expect_rc 0
run get --help
expect_rc 0
run version
expect_rc 0
rm -f "$conf_dir/ferryctl.conf"

# --help for every command: usage, options, exit status; help COMMAND too.
for verb in migrate get describe abort drain uncordon version help; do
	run "$verb" --help
	expect_rc 0
	expect "^usage: ferryctl .*$verb"
	expect '^Exit status:$'
	expect '^  0 +'
	expect '^  2 +usage error'
	run help "$verb"
	expect_rc 0
	expect "^usage: ferryctl .*$verb"
done
run get --help
expect '^Options:$'
expect '^  -o, --output FORMAT +json: '
expect '^ +--node NODE +only what concerns node NODE$'
expect "^--node NODE lists only NODE's evacuations\\.$"
expect '^Global options:$'
expect '^ +--config FILE +configuration file'
run migrate --help
expect '^ +--to NODE +the target node'
expect '^ +--wait +follow it until it ends'
expect '^  3 +with --wait, the migration failed$'
expect '^  130 +with --wait, interrupted'
run abort -h
expect '^ +--force +abort even'
run --help
expect '^ +--config FILE +configuration file'
expect '^\$FERRY_SERVER and \$FERRY_TOKEN, else the configuration file$'
run help frobnicate
expect_rc 2
expect -e "^ferryctl: unknown command 'frobnicate'$"
run frobnicate --help
expect_rc 2

# Bash completion: commands, types, options, and names asked of ferryd.
comp=$top_srcdir/contrib/ferryctl.bash-completion
# Print, sorted on one line, what completing WORDS (the last is under the
# cursor) offers; comp_env is env(1)'s arguments.
comp_env=()
complete_words() {
	env "${comp_env[@]}" PATH="$top_builddir:$PATH" bash -c '
		source "$1" || exit 1
		complete -p ferryctl >/dev/null || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_ferryctl
		printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" |
	    LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
# Expect completing WORDS to offer WANT.
expect_completion() {
	local want=$1 got
	shift
	got=$(complete_words "$@")
	what="completing '$*'"
	[ "$got" = "$want" ] || fail "offered '$got', wanted '$want'"
}
port=${FERRY_SERVER##*:}
expect_completion 'get' ferryctl g
expect_completion 'abort describe drain get help migrate uncordon version watch' ferryctl ''
expect_completion 'evacuations migrations nodes vms' ferryctl get ''
expect_completion 'evacuations migrations nodes vms' ferryctl --wait get ''
expect_completion 'vm1 vm2 vm3' ferryctl get vms ''
expect_completion 'node-a node-b node-c' ferryctl get node n
expect_completion 'evac-fl001 evac-old01' ferryctl get evacuations ''
expect_completion '' ferryctl get vms vm1 ''
expect_completion 'evacuation vm' ferryctl describe ''
expect_completion 'vm1 vm2 vm3' ferryctl describe vm ''
expect_completion 'evac-fl001' ferryctl describe evacuation evac-f
expect_completion 'vm1 vm2 vm3' ferryctl migrate v
expect_completion 'node-a node-b node-c' ferryctl migrate vm1 --to ''
expect_completion 'vm1-a3d1f vm2-zz9x0 vm3-qq111' ferryctl abort ''
expect_completion 'node-a node-b node-c' ferryctl drain node-
expect_completion 'node-a node-b node-c' ferryctl uncordon ''
expect_completion 'node-b' ferryctl get evacuations --node node-b
expect_completion 'json name wide' ferryctl get -o ''
expect_completion 'wide' ferryctl get vms --output = w
expect_completion '--wait' ferryctl migrate --w
expect_completion '--config --help --node --output --server --token' ferryctl get vms --
expect_completion '-o' ferryctl get vms -o
expect_completion '--by --config --help --server --token --wait' ferryctl drain node-a -
expect_completion 'describe drain' ferryctl help d
expect_completion 'evacuation= migration= node= vm=' ferryctl watch ''
expect_completion 'migration= node= vm=' ferryctl watch evacuation = evac-old01 ''
expect_completion 'vm1 vm2 vm3' ferryctl watch vm = ''
expect_completion 'node-a node-b node-c' ferryctl watch node = node
expect_completion '--node' ferryctl watch --n
# The completion asks the server of the line being completed.
expect_completion '' ferryctl -s http : //127.0.0.1 : 1 get vms ''
comp_env=(FERRY_SERVER=http://127.0.0.1:1)
expect_completion 'node-a node-b node-c' ferryctl --server http : //127.0.0.1 : "$port" drain ''
expect_completion 'node-a node-b node-c' ferryctl --server = http : //127.0.0.1 : "$port" drain ''
comp_env=(-u FERRY_SERVER)
expect_completion 'vm1 vm2 vm3' ferryctl --config "$tmp/alt/ferryctl.conf" migrate ''
comp_env=()

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed"
	exit 1
fi
echo "PASS: ferryctl against a fake API"
