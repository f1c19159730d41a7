#!/usr/bin/env bash
# contrib/deps.sh - install everything ferry needs to build and test on Debian 12.
#
# Idempotent and meant to be run as root, by hand, by CI (.ci/run) and by
# tests/e2e/lab.sh. When every package is already installed it does no
# network access at all and returns in well under a second.
#
#   contrib/deps.sh            install what is missing
#   contrib/deps.sh --check    exit 0 if nothing is missing, 1 otherwise (no changes)
#   contrib/deps.sh --list     print the package list
set -euo pipefail

# Keep this list in one place: build, unit tests, and the end-to-end lab.
PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	libevent-dev libvirt-dev libxml2-dev libhiredis-dev libyajl-dev
	libcurl4-openssl-dev libcmocka-dev
	# services the tests start
	redis-server
	# the end-to-end lab (tests/e2e/lab.sh): real libvirtd + TCG QEMU per node.
	# libvirt-daemon-system is deliberately NOT installed: it pulls in dnsmasq,
	# polkit and iptables and ships systemd units; lab.sh writes its own configs.
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	qemu-system-x86 qemu-utils
	# guest initramfs (static busybox; `busybox cpio` builds the archive) and
	# the static dirtier (gcc + libc6-dev come with build-essential)
	busybox-static
	# unpacking the guest kernel (xz) and checking it boots via PVH (readelf,
	# from binutils, comes with build-essential)
	xz-utils
	# network namespaces, veth, bridges; unshare/setsid; pgrep/ps
	iproute2 util-linux procps
	curl ca-certificates
	# tests: JSON checks in shell (jq), the fake API behind test-ferryctl (python3)
	jq python3
)

log() { printf 'deps.sh: %s\n' "$*" >&2; }

# missing_packages: print the packages that are not fully installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		[[ $status == ii* ]] || printf '%s\n' "$p"
	done
}

# libvirtd looks up its compiled-in default user 'libvirt-qemu' before it
# reads qemu.conf, so the QEMU driver fails to initialise without it - even
# with user = "root" in qemu.conf. The package that normally creates it
# (libvirt-daemon-system) is not installed on purpose.
ensure_qemu_user() {
	getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
	getent passwd libvirt-qemu >/dev/null ||
		useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
}

user_ok() { getent passwd libvirt-qemu >/dev/null && getent group libvirt-qemu >/dev/null; }

main() {
	case "${1:-}" in
	--list) printf '%s\n' "${PACKAGES[@]}"; return 0 ;;
	--check)
		if [[ -z $(missing_packages) ]] && user_ok; then return 0; fi
		return 1
		;;
	"") ;;
	*) log "usage: $0 [--check|--list]"; return 2 ;;
	esac

	if [[ $(id -u) -ne 0 ]]; then
		log "must run as root"
		return 1
	fi

	local missing
	missing=$(missing_packages)
	if [[ -n $missing ]]; then
		log "installing: ${missing//$'\n'/ }"
		export DEBIAN_FRONTEND=noninteractive
		# Package scripts must not start services (redis-server would start
		# listening on 127.0.0.1:6379): forbid it for the duration of the
		# install with a policy-rc.d, unless the machine already has one.
		local policy=/usr/sbin/policy-rc.d own_policy=0
		if [[ ! -e $policy ]]; then
			printf '#!/bin/sh\nexit 101\n' >"$policy"
			chmod 755 "$policy"
			own_policy=1
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		fi
		# The package lists on a fresh machine may be missing or stale (a
		# stale list gives 404s), so refresh once, only when installing.
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $missing
		if [[ $own_policy -eq 1 ]]; then
			rm -f "$policy"
			trap - EXIT
		fi
	fi

	ensure_qemu_user
	if [[ -n $missing ]]; then log "done"; fi
}

main "$@"
