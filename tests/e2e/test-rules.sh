#!/usr/bin/env bash
# End to end on three real libvirt hosts: the cluster rules (issue 3).
#   - a VM with a CD-ROM is refused (422) with its reason
#   - a VM with a node selector binding it to its node is refused (422)
#   - migrate without a target picks a fitting host (node-b is cordoned)
#   - an explicit target lacking the VM's network is refused (409)
#   - a VM whose CPU model only its own host supports is non-migratable
# The VMs are lab guests whose domain XML is edited before they start.
set -euo pipefail
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/ferry-lib.sh"

ferry_need_lab 3
FERRY_GUESTS="r-cdrom r-sel r-auto r-net r-cpu"
for g in $FERRY_GUESTS; do bash "$LAB_SH" destroy "$g" >/dev/null 2>&1 || true; done

# A bridge for the VM's interface, on node-a only (in its namespace).
ip -n ferry-a link show vlan100 >/dev/null 2>&1 ||
    { ip -n ferry-a link add vlan100 type bridge && ip -n ferry-a link set vlan100 up; }

# guest_edit NAME SED-SCRIPT: a lab guest on node-a, redefined with edited XML.
guest_edit() {
	local name=$1 script=$2 uri=$FERRY_URI_node_a
	bash "$LAB_SH" guest "$name" node-a >/dev/null
	virsh -q -c "$uri" dumpxml --inactive "$name" > "$FERRY_TMP/$name.xml"
	virsh -q -c "$uri" destroy "$name" >/dev/null
	virsh -q -c "$uri" undefine "$name" >/dev/null
	sed -e "$script" "$FERRY_TMP/$name.xml" > "$FERRY_TMP/$name.new.xml"
	virsh -q -c "$uri" define "$FERRY_TMP/$name.new.xml" >/dev/null ||
	    fail "cannot define $name: $(cat "$FERRY_TMP/$name.new.xml")"
	virsh -q -c "$uri" start "$name" >/dev/null || fail "cannot start $name"
}

guest_edit r-cdrom "s|<devices>|<devices><disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>|"
guest_edit r-sel "s|</domain>|<metadata><ferry:placement xmlns:ferry='urn:ferry:placement:1'><ferry:nodeSelector key='kubernetes.io/hostname' value='node-a'/></ferry:placement></metadata></domain>|"
guest_edit r-net "s|<devices>|<devices><interface type='bridge'><source bridge='vlan100'/></interface>|"
guest_edit r-cpu "/<cpu /,/<\/cpu>/c\\  <cpu mode='host-model'/>"
bash "$LAB_SH" guest r-auto node-a >/dev/null

# Per-node facts: node-a reports its own host-model CPU (as a host of
# another CPU generation would), node-b is cordoned, node-c lacks vlan100.
{
	printf '[ferryd]\nlisten_port = %s\nlog_format = json\nlog_level = debug\n' "$FERRY_PORT"
	printf '[redis]\nredis_port = %s\nredis_prefix = "%s"\n' "$FERRY_REDIS_PORT" "$FERRY_PREFIX"
	printf '[migration]\njob_stats_interval = 250\n'
	for n in node-a node-b node-c; do
		v=${n//-/_}; uri=FERRY_URI_$v; mig=FERRY_MIGURI_$v; addr=FERRY_MIGADDR_$v
		printf '[node %s]\nuri = "%s"\nmigration_uri = %s\nmigration_address = %s\nvirt_type = qemu\n' \
		    "$n" "${!uri}" "${!mig}" "${!addr}"
		case $n in
		node-a) printf 'networks = mgmt, vlan100\nlabels = host-model-cpu.node.kubevirt.io/Lab-A=true\n' ;;
		node-b) printf 'networks = mgmt, vlan100\nschedulable = false\n' ;;
		node-c) printf 'networks = mgmt\n' ;;
		esac
	done
} > "$FERRYD_CONF"
ferryd_start

vm() { curl -fs "$FERRY_SERVER/v1/vms/$1"; }

echo "# nodes carry the seed's CPU label families"
[ "$(curl -fs "$FERRY_SERVER/v1/nodes" | jq '.items | length')" = 3 ] || fail "not 3 nodes"
curl -fs "$FERRY_SERVER/v1/nodes/node-c" | jq -en 'input | .metadata.labels | (has("cpu-model.node.kubevirt.io/qemu64") and (keys | map(select(startswith("cpu-model-migration.node.kubevirt.io/"))) | length) == 1)' >/dev/null ||
    fail "node-c labels: $(curl -s "$FERRY_SERVER/v1/nodes/node-c" | jq -c .metadata.labels)"
ctl get nodes | grep -Eq '^node-b +Ready +false' || fail "get nodes: $(ctl get nodes)"

echo "# a VM with a CD-ROM is refused with its reason"
[ "$(api_migrate r-cdrom '{"targetNode":"node-c"}')" = 422 ] || fail "cdrom: $(cat "$FERRY_TMP/body")"
jq -en 'input | .reasons | any(test("^CDROM: disk .hdc. is a CD-ROM"))' "$FERRY_TMP/body" >/dev/null || fail "cdrom reasons: $(cat "$FERRY_TMP/body")"
vm r-cdrom | jq -en 'input | .status.migratable == false and .status.conditions[0].reason == "CDROM"' >/dev/null || fail "vm r-cdrom: $(vm r-cdrom)"
ctl get vms | grep -Eq '^r-cdrom +node-a +Running +false \(CDROM\)' || fail "get vms: $(ctl get vms)"
ctl describe vm r-cdrom | grep -q 'CDROM: disk' || fail "describe: $(ctl describe vm r-cdrom)"

echo "# a VM bound to its node by a node selector is refused"
[ "$(api_migrate r-sel '{}')" = 422 ] || fail "selector: $(cat "$FERRY_TMP/body")"
jq -en 'input | .reasons | any(test("^NodeSelector: node selector kubernetes.io/hostname=node-a binds"))' "$FERRY_TMP/body" >/dev/null ||
    fail "selector reasons: $(cat "$FERRY_TMP/body")"

echo "# an explicit target lacking the VM's network is refused with that reason"
vm r-net | jq -en 'input | .status.migratable == true' >/dev/null || fail "r-net should be migratable (node-b has vlan100): $(vm r-net | jq -c .status)"
[ "$(api_migrate r-net '{"targetNode":"node-c"}')" = 409 ] || fail "network: $(cat "$FERRY_TMP/body")"
jq -en 'input | .reasons[0] | test("^Network: node .node-c. does not have network .vlan100.")' "$FERRY_TMP/body" >/dev/null ||
    fail "network reason: $(cat "$FERRY_TMP/body")"

echo "# a VM whose CPU model only its host supports is non-migratable"
vm r-cpu | jq -en 'input | .status.migratable == false and (.status.reasons[0].code == "CPUModel") and (.status.reasons[0].message | test("cpu-model-migration.node.kubevirt.io/Lab-A"))' >/dev/null ||
    fail "r-cpu: $(vm r-cpu | jq -c .status)"
[ "$(api_migrate r-cpu '{"targetNode":"node-c"}')" = 422 ] || fail "r-cpu migrate: $(cat "$FERRY_TMP/body")"

echo "# migrate without a target picks a fitting host (node-b is cordoned)"
out=$(ctl migrate r-auto --wait) || fail "migrate r-auto: $out"
name=$(echo "$out" | grep -o 'r-auto-[a-z0-9]\{5\}' | head -1)
[ "$(mig_field "$name" .status.targetNode)/$(mig_field "$name" .status.phase)" = node-c/succeeded ] ||
    fail "r-auto: $(mig_field "$name" .status.targetNode)/$(mig_field "$name" .status.phase)"
assert_runs_on r-auto node-c
vm r-auto | jq -en --arg uid "$(mig_field "$name" .metadata.uid)" 'input | .status.migrationState.migrationUID == $uid and .status.nodeName == "node-c"' >/dev/null ||
    fail "cross-reference: $(vm r-auto | jq -c .status)"
echo "test-rules: every case passed"
