#!/usr/bin/env bash
# tests/e2e/lab.sh - a cluster of real libvirt/QEMU hosts on one machine.
#
# Each node (node-a, node-b, node-c) is one libvirtd in its own network
# namespace (ferry-a, ...), mount namespace (private /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt) and UTS namespace
# (hostname = node name). Guests are TCG QEMU (no KVM here) booting a Debian
# kernel and a busybox initramfs built by this script.
#
# Two networks, both bridged in a switch namespace (ferry-sw), so that tests
# can cut one without the other:
#   mgmt 10.77.0.0/24 (br-mgmt; node iface mgmt0): management. The root
#        namespace has a port on it too (<prefix>-mgmt, 10.77.0.254), so ferryd
#        can reach a node's libvirtd over TCP (FERRY_TCPURI_*) and lose it
#        when the node's mgmt link is cut.
#   mig  10.78.0.0/24 (br-mig;  node iface mig0):  the migration network: a
#        source libvirtd reaches the destination's on it (p2p control
#        connection, FERRY_MIGURI_*, keepalive 5 s x 5) and QEMU's stream
#        goes over it (qemu.conf migration_address / migration_host), as
#        with a dedicated migration network.
# libvirtd listens on TCP (auth none) on both, inside its namespace only.
# node-a is .1, node-b .2, node-c .3 on both. Nothing listens on TCP in the
# root namespace; from there nodes are reached through unix sockets
# (FERRY_URI_*) or TCP over mgmt (FERRY_TCPURI_*).
#
# Usage: lab.sh up [N] | down | env | conf [ini lines...] | status
#        lab.sh guest NAME NODE [--memory MiB] [--dirty MiB] [--rate MiB/s] [--wait-up]
#        lab.sh where NAME | destroy NAME
#        lab.sh cut NODE mgmt|mig [node|switch] | heal NODE mgmt|mig
#        lab.sh build          (only build/cache the guest kernel + initramfs)
#        lab.sh --help
# Environment: FERRY_LAB (lab dir, default /var/tmp/ferry-lab), FERRY_LAB_NS
# (namespace prefix, default ferry), FERRY_LAB_CACHE (kernel/initramfs cache,
# default /var/cache/ferry-lab), FERRY_LAB_START_TIMEOUT (s, default 120),
# FERRY_LAB_KERNEL (boot this kernel image instead).
# Facts behind the settings: /work/shared/lab/NOTES.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# Short paths: libvirt's unix sockets live under here (108-byte limit).
LAB=${FERRY_LAB:-/var/tmp/ferry-lab}
CACHE=${FERRY_LAB_CACHE:-/var/cache/ferry-lab}
START_TIMEOUT=${FERRY_LAB_START_TIMEOUT:-120}
ALL_NODES=(node-a node-b node-c)
# Namespace names are <prefix>-a/-b/-c and <prefix>-sw. Another prefix (with
# another FERRY_LAB) gives a second, independent lab on the same machine,
# e.g. for a developer while a test suite runs. Tests should use `lab.sh
# cut/heal` rather than `ip -n ferry-a`, so that they work with either.
NS_PREFIX=${FERRY_LAB_NS:-ferry}
SWITCH_NS=$NS_PREFIX-sw
# Bump to force an initramfs rebuild when the build recipe itself changes.
INITRAMFS_RECIPE=1

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- naming

node_letter() {
	case "$1" in
	node-a) echo a ;; node-b) echo b ;; node-c) echo c ;;
	*) die "unknown node '$1' (expected node-a, node-b or node-c)" ;;
	esac
}
node_num() { local l; l=$(node_letter "$1") || exit 1; case "$l" in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
node_ns() { local l; l=$(node_letter "$1") || exit 1; echo "$NS_PREFIX-$l"; }
node_dir() { echo "$LAB/$1"; }
node_uri() { echo "qemu+unix:///system?socket=$(node_dir "$1")/sock/libvirt-sock"; }
node_mgmt_ip() { echo "10.77.0.$(node_num "$1")"; }
node_mig_ip() { echo "10.78.0.$(node_num "$1")"; }
node_miguri() { echo "qemu+tcp://$(node_mig_ip "$1")/system"; }
node_tcpuri() { echo "qemu+tcp://$(node_mgmt_ip "$1")/system"; }
HOST_IFC=$NS_PREFIX-mgmt	# the root namespace's port on br-mgmt
HOST_MGMT_IP=10.77.0.254
node_var() { echo "${1//-/_}"; }   # node-a -> node_a (shell variable suffix)

vsh() { # vsh NODE virsh-args...: virsh against NODE's libvirtd
	local node=$1
	shift
	virsh -q -c "$(node_uri "$node")" "$@"
}

# ---------------------------------------------------------------- state

daemon_pid() { # print the live libvirtd pid of NODE, or fail
	local pidfile pid
	pidfile="$(node_dir "$1")/libvirtd.pid"
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/comm ]] || return 1
	[[ $(</proc/"$pid"/comm) == libvirtd ]] || return 1
	echo "$pid"
}
node_alive() { daemon_pid "$1" >/dev/null && ns_exists "$(node_ns "$1")"; }

# Nodes that are up, in order; falls back to the recorded/default set so
# `env` is still useful (and deterministic) before `up`.
up_nodes() {
	local n out=()
	for n in "${ALL_NODES[@]}"; do node_alive "$n" && out+=("$n"); done
	echo "${out[*]}"
}
recorded_nodes() {
	if [[ -s $LAB/nodes ]]; then cat "$LAB/nodes"; else echo "node-a node-b"; fi
}

# ---------------------------------------------------------------- guest artifacts

# The Debian kernel, extracted from its .deb without installing it (no
# initramfs-tools hooks run, nothing lands in /boot). Cached: ~8 MB.
fetch_kernel() {
	local pkg tmp deb
	[[ -s $CACHE/vmlinuz ]] && return 0
	mkdir -p "$CACHE"
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || true
	if [[ -z $pkg ]]; then
		log "apt lists have no linux-image-amd64; running apt-get update"
		apt-get update -qq
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	fi
	[[ -n $pkg ]] || die "cannot resolve linux-image-amd64 to a kernel package"
	log "downloading kernel package $pkg"
	tmp=$(mktemp -d "$CACHE/kernel.XXXXXX")
	# apt drops privileges to _apt for downloads: let it write here.
	chmod 755 "$tmp"
	getent passwd _apt >/dev/null && chown _apt "$tmp"
	if ! (cd "$tmp" && apt-get download -qq "$pkg" 2>"$tmp/apt.err"); then
		# A stale package list names a version the mirror no longer has.
		log "apt-get download failed ($(tail -n1 "$tmp/apt.err")); apt-get update and retry"
		apt-get update -qq
		(cd "$tmp" && apt-get download -qq "$pkg") || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	fi
	deb=$(ls "$tmp"/*.deb)
	# Extract only boot/vmlinuz-* (the modules are not needed: the guest has
	# no disk and no NIC, and 8250 serial/devtmpfs are built in).
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$tmp" --wildcards './boot/vmlinuz-*'
	mv "$tmp"/boot/vmlinuz-* "$CACHE/vmlinuz.new"
	echo "$pkg" >"$CACHE/vmlinuz.pkg"
	mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
	rm -rf "$tmp"
}

# The bzImage's payload is xz-compressed, and decompressing it under TCG
# costs ~4 s of every guest boot (7 s -> 3 s to GUEST-UP without it). QEMU
# can boot the plain ELF vmlinux straight from its PVH entry point, which the
# Debian kernel has (CONFIG_PVH), so unpack it once here (~66 MB). Falls back
# to the bzImage if anything about that does not hold.
make_vmlinux() {
	local setup payload_off payload_len magic off
	[[ -s $CACHE/vmlinux && $CACHE/vmlinux -nt $CACHE/vmlinuz ]] && return 0
	rm -f "$CACHE/vmlinux"
	command -v xz >/dev/null && command -v readelf >/dev/null || return 0
	# Boot protocol header: setup_sects at 0x1f1, payload_offset/length at
	# 0x248/0x24c (payload offset counted from the protected-mode code).
	setup=$(od -An -t u1 -j $((0x1f1)) -N 1 "$CACHE/vmlinuz" | tr -d ' ')
	read -r payload_off payload_len < <(od -An -t u4 -j $((0x248)) -N 8 "$CACHE/vmlinuz")
	off=$(((setup + 1) * 512 + payload_off))
	magic=$(od -An -t x1 -j "$off" -N 6 "$CACHE/vmlinuz" | tr -d ' ')
	if [[ $magic != fd377a585a00 ]]; then
		log "kernel payload is not xz ($magic); guests boot the bzImage (slower)"
		return 0
	fi
	# --single-stream: the payload is followed by other bytes, which xz then
	# leaves unread (a process substitution, so tail's SIGPIPE is no failure).
	if xz -dc --single-stream < <(tail -c +$((off + 1)) "$CACHE/vmlinuz") >"$CACHE/vmlinux.new" 2>/dev/null &&
		readelf -n "$CACHE/vmlinux.new" 2>/dev/null | grep 'Xen' | grep '(0x00000012)' >/dev/null; then
		mv "$CACHE/vmlinux.new" "$CACHE/vmlinux"   # 0x12: XEN_ELFNOTE_PHYS32_ENTRY (PVH)
	else
		rm -f "$CACHE/vmlinux.new"
		log "could not unpack a PVH vmlinux ($payload_len bytes at $off); guests boot the bzImage (slower)"
	fi
}

# The kernel image guests boot: FERRY_LAB_KERNEL, else the PVH vmlinux, else the bzImage.
guest_kernel() {
	if [[ -n ${FERRY_LAB_KERNEL:-} ]]; then echo "$FERRY_LAB_KERNEL"
	elif [[ -s $CACHE/vmlinux ]]; then echo "$CACHE/vmlinux"
	else echo "$CACHE/vmlinuz"; fi
}

# Key of the initramfs: its inputs. A change to init or dirtier.c (or the
# recipe) yields a new file; old ones stay until the lab is next brought up
# from nothing (a running guest's destination QEMU re-reads them on migration).
initramfs_path() {
	local key
	key=$( { cat "$HERE/guest/init" "$HERE/guest/dirtier.c"; echo "recipe=$INITRAMFS_RECIPE";
		stat -L -c '%s %Y' /bin/busybox; } | sha256sum | cut -c1-16)
	echo "$CACHE/initramfs-$key.cpio"
}

build_initramfs() {
	local out work a
	out=$(initramfs_path)
	[[ -s $out ]] && return 0
	mkdir -p "$CACHE"
	log "building $out"
	work=$(mktemp -d "$CACHE/initramfs.XXXXXX")
	mkdir -p "$work"/{bin,dev,proc,sys}
	cp /bin/busybox "$work/bin/busybox"
	for a in sh mount cat sleep echo ls ps dmesg poweroff; do ln -s busybox "$work/bin/$a"; done
	install -m 755 "$HERE/guest/init" "$work/init"
	gcc -static -O2 -Wall -o "$work/bin/dirtier" "$HERE/guest/dirtier.c"
	# The kernel opens /dev/console for init before init mounts devtmpfs.
	mknod -m 600 "$work/dev/console" c 5 1
	# Uncompressed: TCG decompresses slowly and the archive is only ~3 MB.
	(cd "$work" && find . | busybox cpio -o -H newc 2>/dev/null) >"$out.new"
	mv "$out.new" "$out"
	rm -rf "$work"
}

# Remove initramfs images other than the current one (only when no guest
# can still need them, i.e. when the lab is down).
prune_initramfs() {
	local cur f
	cur=$(initramfs_path)
	for f in "$CACHE"/initramfs-*.cpio; do
		[[ -e $f && $f != "$cur" ]] && rm -f "$f"
	done
	return 0
}

build_guest() {
	fetch_kernel
	make_vmlinux
	build_initramfs
}

cmd_build() {
	build_guest
	echo "kernel:    $(guest_kernel) ($(cat "$CACHE/vmlinuz.pkg" 2>/dev/null || echo '?'))"
	echo "initramfs: $(initramfs_path)"
}

# ---------------------------------------------------------------- network

# (`ip netns add` keeps its namespaces as files here; no pipe into grep -q,
# which under pipefail can fail on the writer's SIGPIPE.)
ns_exists() { [[ -e /run/netns/$1 ]]; }
ns_sh() { local ns=$1; shift; ip netns exec "$ns" sh -c "$@"; }

# New namespace with loopback up and IPv6 off (no RS/DAD chatter on the
# links, so `ip -s link` counters show only real traffic).
make_ns() {
	local ns=$1
	ns_exists "$ns" || ip netns add "$ns"
	ip -n "$ns" link set lo up
	# shellcheck disable=SC2016 # expanded by the inner sh
	ns_sh "$ns" 'for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do
		[ -w "$f" ] && echo 1 >"$f"; done; true'
}

switch_up() {
	local br
	make_ns "$SWITCH_NS"
	for br in br-mgmt br-mig; do
		if ! ip -n "$SWITCH_NS" link show "$br" >/dev/null 2>&1; then
			# STP is off by default: ports forward at once.
			ip -n "$SWITCH_NS" link add "$br" type bridge
		fi
		ip -n "$SWITCH_NS" link set "$br" up
	done
	# The root namespace's port on mgmt (deleted with the switch namespace).
	if ! ip link show "$HOST_IFC" >/dev/null 2>&1; then
		ip -n "$SWITCH_NS" link del h-mgmt 2>/dev/null || true
		ip link add "$HOST_IFC" type veth peer name h-mgmt netns "$SWITCH_NS"
	fi
	ip -n "$SWITCH_NS" link set h-mgmt master br-mgmt up
	ip addr replace "$HOST_MGMT_IP/24" dev "$HOST_IFC"
	ip link set "$HOST_IFC" up
}

# node_net_up NODE: namespace + mgmt0/mig0 veths whose peers (a-mgmt, a-mig
# in ferry-sw) are ports of br-mgmt / br-mig. Created directly inside the
# namespaces: nothing appears in the root namespace, even briefly.
node_net_up() {
	local node=$1 ns l net ifc ip
	ns=$(node_ns "$node")
	l=$(node_letter "$node")
	make_ns "$ns"
	for net in mgmt mig; do
		ifc=${net}0
		if [[ $net == mgmt ]]; then ip=$(node_mgmt_ip "$node"); else ip=$(node_mig_ip "$node"); fi
		if ! ip -n "$ns" link show "$ifc" >/dev/null 2>&1; then
			ip -n "$SWITCH_NS" link del "$l-$net" 2>/dev/null || true
			ip -n "$SWITCH_NS" link add "$l-$net" type veth peer name "$ifc" netns "$ns"
		fi
		ip -n "$SWITCH_NS" link set "$l-$net" master "br-$net" up
		ip -n "$ns" addr replace "$ip/24" dev "$ifc"
		ip -n "$ns" link set "$ifc" up
	done
}

# ---------------------------------------------------------------- daemons

write_node_conf() {
	local node=$1 d
	d=$(node_dir "$node")
	# Fresh per-node state (defined domains, runtime files, logs). The QEMU
	# capabilities cache ($d/cache) is kept: probing costs ~8 s per start.
	rm -rf "${d:?}"/{etc,run,lib,log,sock} "${d:?}"/libvirtd.{pid,log,out}
	mkdir -p "$d"/{etc,run,lib,cache,log,sock}

	# user/group root, no security driver, no cgroups, no namespaces: QEMU runs
	# as a plain root process of this node's namespaces. stdio_handler=file:
	# no virtlogd needed. keepalive 5 x 5: a lost peer is detected in ~30 s.
	cat >"$d/etc/qemu.conf" <<-EOF
		# written by tests/e2e/lab.sh for $node
		user = "root"
		group = "root"
		dynamic_ownership = 0
		remember_owner = 0
		security_driver = "none"
		cgroup_controllers = [ ]
		namespaces = [ ]
		stdio_handler = "file"
		set_process_name = 1
		migration_address = "$(node_mig_ip "$node")"
		migration_host = "$(node_mig_ip "$node")"
		keepalive_interval = 5
		keepalive_count = 5
	EOF
	# Distinct host_uuid per node: libvirt refuses to migrate to a host with
	# the same UUID as the source.
	cat >"$d/etc/libvirtd.conf" <<-EOF
		# written by tests/e2e/lab.sh for $node
		listen_tls = 0
		listen_tcp = 1
		listen_addr = "0.0.0.0"
		auth_tcp = "none"
		auth_unix_ro = "none"
		auth_unix_rw = "none"
		unix_sock_dir = "$d/sock"
		host_uuid = "f0f0f0f0-0000-4000-8000-00000000000$(node_num "$node")"
		log_outputs = "3:file:$d/libvirtd.log"
		keepalive_interval = 5
		keepalive_count = 5
	EOF
}

# Start NODE's libvirtd in its namespaces, in the background. Does not wait.
spawn_daemon() {
	local node=$1 d
	d=$(node_dir "$node")
	# Bind-mount targets must exist in the root mount namespace.
	mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
	# taskset: libvirt keys its QEMU capabilities cache on the host CPUID,
	# whose leaf 0x1f/0xb reports the x2APIC id of the CPU the probe ran on.
	# Unpinned, the cache is thrown away (an ~8 s re-probe) whenever libvirtd
	# lands on another CPU, and a copied cache is refused. libvirt gives each
	# QEMU an affinity of all host CPUs itself, so guests are not pinned.
	local cpu
	cpu=$(cut -d, -f1 /sys/devices/system/cpu/online | cut -d- -f1)
	# setsid: own session, so the daemon outlives the caller's terminal/job.
	# unshare --propagation private: the bind mounts stay inside.
	# fd 9 (the lab lock) must not be inherited, or the lock outlives us.
	# shellcheck disable=SC2016 # expanded by the inner sh
	setsid ip netns exec "$(node_ns "$node")" \
		unshare --mount --uts --propagation private -- \
		sh -c 'set -e; hostname "$1"; d=$2
			mount --bind "$d/etc" /etc/libvirt
			mount --bind "$d/run" /run/libvirt
			mount --bind "$d/lib" /var/lib/libvirt
			mount --bind "$d/cache" /var/cache/libvirt
			mount --bind "$d/log" /var/log/libvirt
			exec taskset -c "$3" libvirtd --listen -f "$d/etc/libvirtd.conf" -p "$d/libvirtd.pid"' \
		sh "$node" "$d" "$cpu" </dev/null >"$d/libvirtd.out" 2>&1 9>&- &
	echo $! >"$d/spawn.pid"
}

# Wait until NODE answers `virsh version`; fail with its log otherwise.
wait_daemon() {
	local node=$1 d deadline spid
	d=$(node_dir "$node")
	spid=$(<"$d/spawn.pid")
	deadline=$((SECONDS + START_TIMEOUT))
	while ! timeout 10 virsh -c "$(node_uri "$node")" version >/dev/null 2>&1; do
		if ! kill -0 "$spid" 2>/dev/null; then
			log "libvirtd of $node exited during start-up; last lines of $d/libvirtd.out and $d/libvirtd.log:"
			tail -n 20 "$d/libvirtd.out" "$d/libvirtd.log" >&2 2>/dev/null || true
			die "libvirtd of $node did not start (logs: $d/libvirtd.log, $d/libvirtd.out)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 20 "$d/libvirtd.log" >&2 2>/dev/null || true
			die "libvirtd of $node not answering on $(node_uri "$node") after ${START_TIMEOUT}s (log: $d/libvirtd.log)"
		fi
		sleep 0.2
	done
}

# The capabilities cache is identical for all nodes (same host, same QEMU):
# seed empty caches from a node that has one, so only one node pays for the
# ~8 s probe.
# Also kept in $CACHE (save_caps_cache) so that a new lab dir starts fast.
seed_caps_cache() {
	local node=$1 src
	[[ -n $(ls -A "$(node_dir "$node")/cache/qemu/capabilities" 2>/dev/null) ]] && return 0
	for src in "$CACHE/qemu/capabilities" "$LAB"/node-?/cache/qemu/capabilities; do
		if [[ -n $(ls -A "$src" 2>/dev/null) ]]; then
			mkdir -p "$(node_dir "$node")/cache/qemu"
			cp -a "$src" "$(node_dir "$node")/cache/qemu/"
			return 0
		fi
	done
	return 1
}

save_caps_cache() {
	local src
	src="$(node_dir "$1")/cache/qemu/capabilities"
	[[ -n $(ls -A "$src" 2>/dev/null) ]] || return 0
	mkdir -p "$CACHE/qemu"
	rm -rf "$CACHE/qemu/capabilities"
	cp -a "$src" "$CACHE/qemu/"
}

# ---------------------------------------------------------------- up / down

need_tools() {
	local t missing=()
	for t in libvirtd virsh qemu-system-x86_64 busybox gcc ip unshare setsid flock taskset; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if ((${#missing[@]})) || ! getent passwd libvirt-qemu >/dev/null; then
		log "missing ${missing[*]:-libvirt-qemu user}: running contrib/deps.sh"
		bash "$REPO/contrib/deps.sh"
	fi
}

lock_lab() {
	mkdir -p "$LAB"
	exec 9>"$LAB/.lock"
	flock 9
}

cmd_up() {
	local n=${1:-2} nodes=() node todo=() first
	[[ $n =~ ^[1-3]$ ]] || die "up: N must be 1, 2 or 3 (got '$n')"
	[[ $(id -u) -eq 0 ]] || die "must run as root"
	nodes=("${ALL_NODES[@]:0:n}")
	lock_lab

	for node in "${nodes[@]}"; do node_alive "$node" || todo+=("$node"); done
	if ((${#todo[@]} == 0)); then
		log "already up: ${nodes[*]}"
		record_nodes "${nodes[@]}"
		return 0
	fi

	need_tools
	if [[ -z $(up_nodes) ]]; then
		# Starting from nothing: clear leftovers of a crashed run.
		teardown
		prune_initramfs
		rm -rf "$LAB/shared"
	fi
	mkdir -p "$LAB/shared"
	build_guest

	switch_up
	for node in "${todo[@]}"; do
		kill_node "$node"
		node_net_up "$node"
		write_node_conf "$node"
	done

	# With no capabilities cache anywhere, start one node alone so the others
	# can copy its cache instead of probing QEMU in parallel on 2 cores.
	first=""
	for node in "${todo[@]}"; do
		if ! seed_caps_cache "$node"; then first=$node; break; fi
	done
	if [[ -n $first ]]; then
		log "probing QEMU capabilities on $first (first start, ~10 s)"
		spawn_daemon "$first"
		wait_daemon "$first"
		save_caps_cache "$first"
		for node in "${todo[@]}"; do [[ $node == "$first" ]] || seed_caps_cache "$node" || true; done
	fi
	for node in "${todo[@]}"; do [[ $node == "$first" ]] || spawn_daemon "$node"; done
	for node in "${todo[@]}"; do wait_daemon "$node"; done

	record_nodes "${nodes[@]}"
	log "up: $(up_nodes) (lab dir $LAB)"
}

record_nodes() {
	local all
	all=$(up_nodes)
	[[ -n $all ]] || all="$*"
	echo "$all" >"$LAB/nodes"
}

# Kill every process in NODE's namespace (libvirtd, QEMU, helpers) and
# delete the namespace. Polite first: destroy domains, SIGTERM libvirtd.
kill_node() {
	local node=$1 ns d pid pids _
	ns=$(node_ns "$node")
	d=$(node_dir "$node")
	ns_exists "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null || true)
	# shellcheck disable=SC2086 # a list of pids
	[[ -z $pids ]] || kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 50); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[[ -z $pids ]] && break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
	# QEMU daemonizes; if one somehow left the namespace, its pidfile knows
	# it. The pid must still be a QEMU (comm "qemu:NAME"), not a reused pid.
	for pid in "$d"/run/qemu/*.pid; do
		[[ -s $pid ]] || continue
		pid=$(<"$pid")
		[[ $pid =~ ^[0-9]+$ && $(cat /proc/"$pid"/comm 2>/dev/null) == qemu* ]] || continue
		kill -KILL "$pid" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		[[ -z $(ip netns pids "$ns" 2>/dev/null || true) ]] && break
		sleep 0.1
	done
	ip netns del "$ns" 2>/dev/null || true
}

# Destroy domains (QEMU gets a clean SIGTERM from libvirt) on every node in
# parallel, then stop all daemons and remove every namespace.
teardown() {
	local node pid
	for node in "${ALL_NODES[@]}"; do
		node_alive "$node" || continue
		(
			for dom in $(timeout 10 virsh -q -c "$(node_uri "$node")" list --name 2>/dev/null || true); do
				timeout 15 virsh -q -c "$(node_uri "$node")" destroy "$dom" >/dev/null 2>&1 || true
			done
		) &
	done
	wait
	for node in "${ALL_NODES[@]}"; do
		if pid=$(daemon_pid "$node"); then kill -TERM "$pid" 2>/dev/null || true; fi
	done
	for node in "${ALL_NODES[@]}"; do kill_node "$node" & done
	wait
	ip netns del "$SWITCH_NS" 2>/dev/null || true
	rm -f "$LAB/nodes"
}

cmd_down() {
	[[ $(id -u) -eq 0 ]] || die "must run as root"
	lock_lab
	teardown
	log "down (logs kept in $LAB/node-*/libvirtd.log)"
}

# ---------------------------------------------------------------- info

cmd_env() {
	local nodes node v
	nodes=$(up_nodes)
	[[ -n $nodes ]] || nodes=$(recorded_nodes)
	printf "export FERRY_LAB='%s'\n" "$LAB"
	printf "export FERRY_LAB_NS='%s'\n" "$NS_PREFIX"
	printf "export FERRY_LAB_NODES='%s'\n" "$nodes"
	for node in $nodes; do
		v=$(node_var "$node")
		printf "export FERRY_URI_%s='%s'\n" "$v" "$(node_uri "$node")"
		printf "export FERRY_MIGURI_%s='%s'\n" "$v" "$(node_miguri "$node")"
		printf "export FERRY_TCPURI_%s='%s'\n" "$v" "$(node_tcpuri "$node")"
		printf "export FERRY_MIGADDR_%s='%s'\n" "$v" "$(node_mig_ip "$node")"
	done
}

cmd_conf() {
	local nodes node line
	nodes=$(up_nodes)
	[[ -n $nodes ]] || nodes=$(recorded_nodes)
	for node in $nodes; do
		echo "[node $node]"
		echo "uri = $(node_uri "$node")"
		echo "migration_uri = $(node_miguri "$node")"
		echo "migration_address = $(node_mig_ip "$node")"
		for line in "$@"; do echo "$line"; done
		echo
	done
}

link_state() { # link_state NS IFC -> UP/DOWN/absent
	local out
	out=$(ip -n "$1" -o link show "$2" 2>/dev/null) || { echo absent; return; }
	if [[ $out == *[\<,]UP[,\>]* ]]; then echo up; else echo DOWN; fi
}

cmd_status() {
	local node ns pid
	echo "lab dir: $LAB  cache: $CACHE"
	ns_exists "$SWITCH_NS" && echo "switch:  $SWITCH_NS up" || echo "switch:  $SWITCH_NS absent"
	for node in "${ALL_NODES[@]}"; do
		ns=$(node_ns "$node")
		if pid=$(daemon_pid "$node"); then
			echo "$node: libvirtd pid $pid, netns $ns, mgmt0 $(link_state "$ns" mgmt0)," \
				"mig0 $(link_state "$ns" mig0), log $(node_dir "$node")/libvirtd.log"
			vsh "$node" list --all 2>&1 | sed 's/^/    /'
		elif ns_exists "$ns"; then
			echo "$node: netns $ns exists but libvirtd is NOT running (log $(node_dir "$node")/libvirtd.log)"
		else
			echo "$node: down"
		fi
	done
}

# Nodes where NAME is active (running, or paused e.g. as an incoming
# migration's destination or while being migrated).
cmd_where() {
	local name=${1:?usage: where NAME} node
	for node in $(up_nodes); do
		vsh "$node" list --name 2>/dev/null | grep -Fx "$name" >/dev/null && echo "$node"
	done
	return 0
}

cmd_destroy() {
	local name=${1:?usage: destroy NAME} node
	for node in $(up_nodes); do
		vsh "$node" destroy "$name" >/dev/null 2>&1 || true
		vsh "$node" undefine "$name" >/dev/null 2>&1 || true
	done
}

# ---------------------------------------------------------------- guests

guest_xml() { # guest_xml NAME MEMORY DIRTY RATE
	local name=$1 mem=$2 dirty=$3 rate=$4
	# Direct kernel boot, no disk, no NIC, no USB/balloon/graphics: the least
	# device state to migrate. qemu64 runs on every TCG node. The serial file
	# is shared by all nodes and appended to, so one log spans migrations.
	# acpi=off: libvirt gives no ACPI tables without <acpi/>; it also saves
	# a "no RSDP" error line in the serial log.
	# panic=1 + on_reboot restart: a guest broken by the TCG pre-copy trap
	# (NOTES 4c) reboots in place instead of spinning a host CPU in its panic
	# loop; the domain stays "running" (libvirt-side assertions hold) and the
	# serial log shows "Kernel panic" and a second GUEST-UP.
	cat <<-EOF
		<domain type='qemu'>
		  <name>$name</name>
		  <memory unit='MiB'>$mem</memory>
		  <vcpu>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='pc'>hvm</type>
		    <kernel>$(guest_kernel)</kernel>
		    <initrd>$(initramfs_path)</initrd>
		    <cmdline>console=ttyS0 quiet acpi=off mitigations=off panic=1 ferry.dirty=$dirty ferry.rate=$rate</cmdline>
		  </os>
		  <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>
		  <clock offset='utc'/>
		  <on_poweroff>destroy</on_poweroff>
		  <on_reboot>restart</on_reboot>
		  <on_crash>destroy</on_crash>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <controller type='usb' model='none'/>
		    <serial type='file'>
		      <source path='$LAB/shared/$name.serial' append='on'/>
		      <target port='0'/>
		    </serial>
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOF
}

cmd_guest() {
	local name=${1:-} node=${2:-} mem=128 dirty=0 rate=0 wait_up=0 n xml
	[[ -n $name && -n $node ]] || die "usage: guest NAME NODE [--memory MiB] [--dirty MiB] [--rate MiB/s] [--wait-up]"
	node_letter "$node" >/dev/null
	shift 2
	while (($#)); do
		case "$1" in
		--memory) mem=${2:?}; shift 2 ;;
		--dirty) dirty=${2:?}; shift 2 ;;
		--rate) rate=${2:?}; shift 2 ;;
		--wait-up) wait_up=1; shift ;;
		*) die "guest: unknown option '$1'" ;;
		esac
	done
	[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "guest: bad name '$name'"
	[[ $mem =~ ^[0-9]+$ && $dirty =~ ^[0-9]+$ && $rate =~ ^[0-9]+$ ]] || die "guest: --memory/--dirty/--rate take integers"
	# The kernel + initramfs take ~70 MiB of a guest; more dirty memory than
	# what is left gets the dirtier OOM-killed.
	((dirty == 0 || dirty + 80 <= mem)) || die "guest: --dirty $dirty too big for --memory $mem (keep dirty <= memory - 80)"
	node_alive "$node" || die "guest: $node is not up (lab.sh up)"
	for n in $(up_nodes); do
		vsh "$n" dominfo "$name" >/dev/null 2>&1 && die "guest: '$name' already exists on $n"
	done
	[[ -s $CACHE/vmlinuz && -s $(initramfs_path) ]] || build_guest

	mkdir -p "$LAB/shared"
	: >"$LAB/shared/$name.serial"     # a reused name must not see old output
	xml="$LAB/shared/$name.xml"
	guest_xml "$name" "$mem" "$dirty" "$rate" >"$xml"
	vsh "$node" define "$xml" >/dev/null || die "guest: define $name on $node failed (log $(node_dir "$node")/libvirtd.log)"
	vsh "$node" start "$name" >/dev/null ||
		die "guest: start $name on $node failed (logs $(node_dir "$node")/log/qemu/$name.log, $(node_dir "$node")/libvirtd.log)"
	if ((wait_up)); then
		local deadline=$((SECONDS + 60))
		until grep -q GUEST-UP "$LAB/shared/$name.serial"; do
			((SECONDS < deadline)) || die "guest: $name did not print GUEST-UP in 60 s (serial $LAB/shared/$name.serial)"
			sleep 0.2
		done
	fi
	log "guest $name running on $node (serial $LAB/shared/$name.serial)"
}

# ---------------------------------------------------------------- outages

# cut NODE mgmt|mig [node|switch]
#   node   (default): `ip link set {mgmt0|mig0} down` inside the node. Its
#          routes to that subnet vanish, so the node's own sends fail at once.
#   switch: down the node's port on the bridge. The node still sees its link
#          up and sends into the void: a black hole, like a dead switch.
cmd_cut() { link_set down "${1:-}" "${2:-}" "${3:-node}"; }
cmd_heal() { link_set up "${1:-}" "${2:-}" both; }   # heals either kind of cut

link_set() {
	local state=$1 node=$2 net=$3 where=$4 ns
	[[ $net == mgmt || $net == mig ]] || die "usage: cut|heal NODE mgmt|mig [node|switch]"
	ns=$(node_ns "$node")
	ns_exists "$ns" || die "$node is not up"
	[[ $where == node || $where == switch || $where == both ]] || die "cut: where must be node or switch"
	if [[ $where == node || $where == both ]]; then
		ip -n "$ns" link set "${net}0" "$state"
	fi
	if [[ $where == switch || $where == both ]]; then
		ip -n "$SWITCH_NS" link set "$(node_letter "$node")-$net" "$state"
	fi
	if [[ $state == up ]]; then
		# Address and prefix route come back with the link; nothing else to do.
		[[ $(ip -n "$ns" -4 -o addr show dev "${net}0") == *inet* ]] || die "heal: ${net}0 of $node lost its address"
	fi
}

# ---------------------------------------------------------------- main

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

main() {
	local cmd=${1:-}
	(($#)) && shift
	case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down ;;
	env) cmd_env ;;
	conf) cmd_conf "$@" ;;
	status) cmd_status ;;
	guest) cmd_guest "$@" ;;
	where) cmd_where "$@" ;;
	destroy) cmd_destroy "$@" ;;
	cut) cmd_cut "$@" ;;
	heal) cmd_heal "$@" ;;
	build) cmd_build ;;
	*) usage ;;
	esac
}

main "$@"
