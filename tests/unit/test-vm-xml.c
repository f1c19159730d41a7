/* test-vm-xml.c: domain XML to struct vm_info, on fixtures and bad input. */

#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "ferry/util.h"
#include "ferry/vm.h"
#include "ferry/xmalloc.h"

/* Path of FILE under the source tree, found from $top_srcdir or nearby. */
static char *
srcdir_path(const char *file)
{
	static const char *const	 tries[] = { "..", ".", "../.." };
	const char			*top = getenv("top_srcdir");
	char				*path;
	size_t				 i;

	if (top != NULL && *top != '\0') {
		xasprintf(&path, "%s/%s", top, file);
		return (path);
	}
	for (i = 0; i < nitems(tries); i++) {
		xasprintf(&path, "%s/%s", tries[i], file);
		if (access(path, R_OK) == 0)
			return (path);
		free(path);
	}
	fail_msg("cannot find '%s': set top_srcdir", file);
	return (NULL);
}

/* Contents of fixture NAME (tests/unit/fixtures/vm/NAME); length in *LEN. */
static char *
fixture(const char *name, size_t *len)
{
	char		*rel, *path, *buf;
	FILE		*f;
	struct stat	 sb;

	xasprintf(&rel, "tests/unit/fixtures/vm/%s", name);
	path = srcdir_path(rel);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open '%s'", path);
	assert_int_equal(fstat(fileno(f), &sb), 0);
	buf = xmalloc(sb.st_size + 1);
	assert_int_equal(fread(buf, 1, sb.st_size, f), sb.st_size);
	buf[sb.st_size] = '\0';
	fclose(f);
	free(path);
	free(rel);
	*len = sb.st_size;
	return (buf);
}

/* Parse fixture NAME, which must succeed. */
static struct vm_info *
parse_fixture(const char *name)
{
	struct vm_info	*vm = NULL;
	char		*xml, *cause = NULL;
	size_t		 len;

	xml = fixture(name, &len);
	if (vm_info_parse(xml, len, &vm, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	assert_non_null(vm);
	assert_null(cause);
	free(xml);
	return (vm);
}

/* Parse XML (a C string), which must succeed. */
static struct vm_info *
parse_ok(const char *xml)
{
	struct vm_info	*vm = NULL;
	char		*cause = NULL;

	if (vm_info_parse(xml, strlen(xml), &vm, &cause) != 0)
		fail_msg("unexpected failure: %s", cause);
	assert_non_null(vm);
	return (vm);
}

/* Parse LEN bytes of XML, which must fail with a cause containing WANT. */
static void
parse_fail_len(const char *xml, size_t len, const char *want)
{
	struct vm_info	*vm = NULL;
	char		*cause = NULL;

	assert_int_equal(vm_info_parse(xml, len, &vm, &cause), -1);
	assert_null(vm);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause '%s' does not contain '%s'", cause, want);
	free(cause);
}

/* Parse XML (a C string), which must fail with a cause containing WANT. */
static void
parse_fail(const char *xml, const char *want)
{
	parse_fail_len(xml, strlen(xml), want);
}

/* A minimal domain with BODY after its name. */
static char *
domain_with(const char *body)
{
	char	*xml;

	xasprintf(&xml, "<domain type='kvm'><name>t1</name>%s</domain>", body);
	return (xml);
}

/* A minimal domain with 1 GiB of memory and DEVICES. */
static char *
domain_devices(const char *devices)
{
	char	*xml;

	xasprintf(&xml, "<domain type='kvm'><name>t1</name>"
	    "<memory unit='KiB'>1048576</memory><devices>%s</devices>"
	    "</domain>", devices);
	return (xml);
}

/* Check the disk D read from a fixture. */
static void
check_disk(const struct vm_disk *d, enum vm_disk_device device,
    const char *type, const char *target, const char *path)
{
	assert_int_equal(d->device, device);
	assert_string_equal(d->type, type);
	assert_string_equal(d->target, target);
	if (path == NULL)
		assert_null(d->path);
	else
		assert_string_equal(d->path, path);
}

/* A disk that is a plain local file, fully checked. */
static void
check_file_disk(const struct vm_disk *d, const char *target, const char *path)
{
	check_disk(d, VM_DISK_DISK, "file", target, path);
	assert_null(d->pool);
	assert_null(d->volume);
	assert_null(d->protocol);
	assert_null(d->name);
	assert_int_equal(d->readonly, 0);
	assert_int_equal(d->shareable, 0);
	assert_int_equal(d->has_source, 1);
}

/* The default network NIC of the KVM fixtures. */
static void
check_default_iface(const struct vm_info *vm)
{
	assert_int_equal(vm->nifaces, 1);
	assert_string_equal(vm->ifaces[0].type, "network");
	assert_string_equal(vm->ifaces[0].source, "default");
	assert_string_equal(vm->ifaces[0].mac, "52:54:00:3a:91:0c");
}

/* The fields every KVM fixture shares unless a test says otherwise. */
static void
check_kvm_common(const struct vm_info *vm, const char *name, const char *uuid)
{
	assert_string_equal(vm->name, name);
	assert_string_equal(vm->uuid, uuid);
	assert_int_equal(vm->memory_kib, 4194304);
	assert_int_equal(vm->nhostdevs, 0);
	assert_int_equal(vm->nnode_selector, 0);
	assert_int_equal(vm->nrequired_labels, 0);
}

/* The default CPU of the KVM fixtures: a running host-model, expanded. */
static void
check_expanded_cpu(const struct vm_info *vm, unsigned int vcpus)
{
	assert_int_equal(vm->vcpus, vcpus);
	assert_int_equal(vm->cpu_mode, VM_CPU_CUSTOM);
	assert_string_equal(vm->cpu_model, "Cascadelake-Server-noTSX");
	assert_int_equal(vm->cpu_pinned, 0);
}

/* The lab's guest: direct kernel boot, no disk, no NIC, qemu64. */
static void
vm_info_parse__plain__lab_guest(void **state)
{
	struct vm_info	*vm = parse_fixture("plain.xml");

	assert_string_equal(vm->name, "e2e-idle");
	assert_string_equal(vm->uuid, "d14be107-f12e-4f68-a9b0-5bc9642d1112");
	assert_int_equal(vm->memory_kib, 131072);
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->cpu_mode, VM_CPU_CUSTOM);
	assert_string_equal(vm->cpu_model, "qemu64");
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 0);
	assert_null(vm->disks);
	assert_int_equal(vm->nifaces, 0);
	assert_int_equal(vm->nhostdevs, 0);
	assert_int_equal(vm->nnode_selector, 0);
	assert_int_equal(vm->nrequired_labels, 0);
	vm_info_free(vm);
}

/* A qcow2 file under /var/lib/libvirt/images; libosinfo's metadata ignored. */
static void
vm_info_parse__file_disk__path_and_flags(void **state)
{
	struct vm_info	*vm = parse_fixture("disk-file.xml");

	check_kvm_common(vm, "web1", "3f2a9c1e-7b4d-4e8a-9f61-2c5d8e0b7a14");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/web1.qcow2");
	check_default_iface(vm);
	vm_info_free(vm);
}

/* An ISO in a CD-ROM drive: cdrom, read-only, with a source. */
static void
vm_info_parse__cdrom__medium_is_source(void **state)
{
	struct vm_info	*vm = parse_fixture("cdrom.xml");

	check_kvm_common(vm, "install1", "8c6d1f20-3b9e-4a57-a0c4-6e1d2b3f4a59");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 2);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/install1.qcow2");
	check_disk(&vm->disks[1], VM_DISK_CDROM, "file", "sda",
	    "/var/lib/libvirt/images/debian-12.8.0-amd64-netinst.iso");
	assert_int_equal(vm->disks[1].readonly, 1);
	assert_int_equal(vm->disks[1].shareable, 0);
	assert_int_equal(vm->disks[1].has_source, 1);
	assert_null(vm->disks[1].pool);
	assert_null(vm->disks[1].protocol);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* An ejected CD-ROM: still a cdrom disk, with no source. */
static void
vm_info_parse__cdrom_empty__no_source(void **state)
{
	struct vm_info	*vm = parse_fixture("cdrom-empty.xml");

	check_kvm_common(vm, "install2", "0d4e9a3b-6c1f-4e28-b7a5-93c2d1e0f817");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 2);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/install2.qcow2");
	check_disk(&vm->disks[1], VM_DISK_CDROM, "file", "sda", NULL);
	assert_int_equal(vm->disks[1].readonly, 1);
	assert_int_equal(vm->disks[1].has_source, 0);
	assert_null(vm->disks[1].pool);
	assert_null(vm->disks[1].volume);
	assert_null(vm->disks[1].protocol);
	assert_null(vm->disks[1].name);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* A pool volume: pool and volume, no path. */
static void
vm_info_parse__volume_disk__pool_and_volume(void **state)
{
	struct vm_info	*vm = parse_fixture("disk-volume.xml");

	check_kvm_common(vm, "db1", "5b7e2c94-1d3a-4f6b-8e09-a4c7d2f1b360");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_disk(&vm->disks[0], VM_DISK_DISK, "volume", "vda", NULL);
	assert_string_equal(vm->disks[0].pool, "vmstore");
	assert_string_equal(vm->disks[0].volume, "db1-root.qcow2");
	assert_null(vm->disks[0].protocol);
	assert_null(vm->disks[0].name);
	assert_int_equal(vm->disks[0].has_source, 1);
	assert_int_equal(vm->disks[0].readonly, 0);
	assert_int_equal(vm->disks[0].shareable, 0);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* A Ceph RBD image: protocol and name, no path. */
static void
vm_info_parse__rbd_disk__protocol_and_name(void **state)
{
	struct vm_info	*vm = parse_fixture("disk-rbd.xml");

	check_kvm_common(vm, "ceph1", "c1e5a7d3-94b2-4f08-8a6e-2d3c4b5a6f71");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_disk(&vm->disks[0], VM_DISK_DISK, "network", "vda", NULL);
	assert_string_equal(vm->disks[0].protocol, "rbd");
	assert_string_equal(vm->disks[0].name, "vms/ceph1-disk0");
	assert_null(vm->disks[0].pool);
	assert_null(vm->disks[0].volume);
	assert_int_equal(vm->disks[0].has_source, 1);
	assert_int_equal(vm->disks[0].readonly, 0);
	assert_int_equal(vm->disks[0].shareable, 0);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* A shared multipath LUN: block type, device path, shareable. */
static void
vm_info_parse__block_disk__dev_and_shareable(void **state)
{
	struct vm_info	*vm = parse_fixture("disk-block.xml");

	check_kvm_common(vm, "cluster-n1",
	    "e8b3d5f1-2a4c-4d69-87b0-1f2e3d4c5b6a");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 2);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/cluster-n1.qcow2");
	check_disk(&vm->disks[1], VM_DISK_DISK, "block", "vdb",
	    "/dev/mapper/mpatha");
	assert_int_equal(vm->disks[1].shareable, 1);
	assert_int_equal(vm->disks[1].readonly, 0);
	assert_int_equal(vm->disks[1].has_source, 1);
	assert_null(vm->disks[1].pool);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* A bridge NIC and a network NIC, in document order. */
static void
vm_info_parse__bridge_and_network__sources(void **state)
{
	struct vm_info	*vm = parse_fixture("iface-bridge-network.xml");

	check_kvm_common(vm, "router1", "7a9c1e3b-5d2f-4b84-a6c0-d8e9f0a1b2c3");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/router1.qcow2");
	assert_int_equal(vm->nifaces, 2);
	assert_string_equal(vm->ifaces[0].type, "bridge");
	assert_string_equal(vm->ifaces[0].source, "br0");
	assert_string_equal(vm->ifaces[0].mac, "52:54:00:c4:7e:21");
	assert_string_equal(vm->ifaces[1].type, "network");
	assert_string_equal(vm->ifaces[1].source, "storage");
	assert_string_equal(vm->ifaces[1].mac, "52:54:00:c4:7e:22");
	vm_info_free(vm);
}

/* A VFIO PCI device: its host address, zero-padded. */
static void
vm_info_parse__pci_hostdev__host_address(void **state)
{
	struct vm_info	*vm = parse_fixture("hostdev-pci.xml");

	assert_string_equal(vm->name, "nfv1");
	assert_int_equal(vm->memory_kib, 4194304);
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/nfv1.qcow2");
	check_default_iface(vm);
	assert_int_equal(vm->nhostdevs, 1);
	assert_int_equal(vm->hostdevs[0].kind, VM_HOSTDEV_PCI);
	assert_string_equal(vm->hostdevs[0].desc, "0000:65:00.1");
	vm_info_free(vm);
}

/* A vGPU: the mediated device's UUID. */
static void
vm_info_parse__mdev_hostdev__uuid(void **state)
{
	struct vm_info	*vm = parse_fixture("hostdev-mdev.xml");

	assert_string_equal(vm->name, "vdi1");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	assert_int_equal(vm->nhostdevs, 1);
	assert_int_equal(vm->hostdevs[0].kind, VM_HOSTDEV_MDEV);
	assert_string_equal(vm->hostdevs[0].desc,
	    "c2177883-f1bb-47f0-914d-32a22e3a8804");
	vm_info_free(vm);
}

/* A USB dongle: vendor and product ids. */
static void
vm_info_parse__usb_hostdev__vendor_product(void **state)
{
	struct vm_info	*vm = parse_fixture("hostdev-usb.xml");

	assert_string_equal(vm->name, "kiosk1");
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	assert_int_equal(vm->nhostdevs, 1);
	assert_int_equal(vm->hostdevs[0].kind, VM_HOSTDEV_USB);
	assert_string_equal(vm->hostdevs[0].desc, "usb 046d:c52b");
	vm_info_free(vm);
}

/* Inactive XML of a host-model domain: mode, no model. */
static void
vm_info_parse__host_model__mode_without_model(void **state)
{
	struct vm_info	*vm = parse_fixture("cpu-host-model.xml");

	check_kvm_common(vm, "app1", "2c4e6a8b-0d1f-4325-a749-6b8d0f2e4a6c");
	assert_int_equal(vm->vcpus, 2);
	assert_int_equal(vm->cpu_mode, VM_CPU_HOST_MODEL);
	assert_null(vm->cpu_model);
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 1);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/app1.qcow2");
	check_default_iface(vm);
	vm_info_free(vm);
}

/* A named model: custom, Skylake-Client. */
static void
vm_info_parse__custom_cpu__model(void **state)
{
	struct vm_info	*vm = parse_fixture("cpu-custom.xml");

	check_kvm_common(vm, "batch1", "6e8a0c2d-4f1b-4365-87a9-0b2d4f6a8c0e");
	assert_int_equal(vm->vcpus, 2);
	assert_int_equal(vm->cpu_mode, VM_CPU_CUSTOM);
	assert_string_equal(vm->cpu_model, "Skylake-Client");
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* host-passthrough: mode, no model, topology does not matter. */
static void
vm_info_parse__host_passthrough__mode(void **state)
{
	struct vm_info	*vm = parse_fixture("cpu-host-passthrough.xml");

	check_kvm_common(vm, "hpc1", "a0b1c2d3-e4f5-4607-8819-2a3b4c5d6e7f");
	assert_int_equal(vm->vcpus, 4);
	assert_int_equal(vm->cpu_mode, VM_CPU_HOST_PASSTHROUGH);
	assert_null(vm->cpu_model);
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* <cputune><vcpupin>: pinned. */
static void
vm_info_parse__vcpupin__pinned(void **state)
{
	struct vm_info	*vm = parse_fixture("vcpupin.xml");

	check_kvm_common(vm, "rt1", "1b3d5f7a-9c0e-4214-a638-5a7c9e0b2d4f");
	assert_int_equal(vm->vcpus, 4);
	assert_int_equal(vm->cpu_mode, VM_CPU_CUSTOM);
	assert_int_equal(vm->cpu_pinned, 1);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* <vcpu cpuset=...>: pinned. */
static void
vm_info_parse__vcpu_cpuset__pinned(void **state)
{
	struct vm_info	*vm = parse_fixture("vcpu-cpuset.xml");

	check_kvm_common(vm, "rt2", "3d5f7b9a-1c2e-4436-a85a-7c9e1a3b5d7f");
	assert_int_equal(vm->vcpus, 2);
	assert_int_equal(vm->cpu_mode, VM_CPU_CUSTOM);
	assert_string_equal(vm->cpu_model, "Cascadelake-Server-noTSX");
	assert_int_equal(vm->cpu_pinned, 1);
	assert_int_equal(vm->ndisks, 1);
	check_file_disk(&vm->disks[0], "vda",
	    "/var/lib/libvirt/images/rt2.qcow2");
	check_default_iface(vm);
	vm_info_free(vm);
}

/* ferry's placement: selector and labels; foreign namespaces ignored. */
static void
vm_info_parse__placement__selector_and_labels(void **state)
{
	struct vm_info	*vm = parse_fixture("placement.xml");

	assert_string_equal(vm->name, "pinned1");
	assert_int_equal(vm->memory_kib, 4194304);
	check_expanded_cpu(vm, 2);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	assert_int_equal(vm->nnode_selector, 1);
	assert_string_equal(vm->node_selector[0].key, "kubernetes.io/hostname");
	assert_string_equal(vm->node_selector[0].value, "node-a");
	assert_int_equal(vm->nrequired_labels, 2);
	assert_string_equal(vm->required_labels[0].key, "zone");
	assert_string_equal(vm->required_labels[0].value, "east");
	assert_string_equal(vm->required_labels[1].key, "gpu");
	assert_null(vm->required_labels[1].value);
	vm_info_free(vm);
}

/* 16 GiB of memory wins over an 8 GiB balloon target; 8 vCPUs. */
static void
vm_info_parse__memory_gib__kib(void **state)
{
	struct vm_info	*vm = parse_fixture("memory-gib.xml");

	assert_string_equal(vm->name, "big1");
	assert_int_equal(vm->memory_kib, 16ULL * 1024 * 1024);
	assert_int_equal(vm->vcpus, 8);
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 1);
	check_default_iface(vm);
	vm_info_free(vm);
}

/* Every unit libvirt knows, in KiB rounded up. */
static void
vm_info_parse__memory_units__scaled(void **state)
{
	static const struct {
		const char	*unit;
		const char	*value;
		uint64_t	 kib;
	} tests[] = {
		{ NULL, "1024", 1024 },
		{ "b", "1025", 2 },
		{ "bytes", "2048", 2 },
		{ "KB", "1024", 1000 },
		{ "k", "7", 7 },
		{ "KiB", "7", 7 },
		{ "MB", "1", 977 },
		{ "M", "3", 3072 },
		{ "MiB", "3", 3072 },
		{ "mib", "3", 3072 },
		{ "GB", "1", 976563 },
		{ "G", "2", 2097152 },
		{ "GiB", "2", 2097152 },
		{ "TB", "1", 976562500 },
		{ "T", "1", 1073741824 },
		{ "TiB", "1", 1073741824 },
		{ "KiB", " 42\n", 42 },
	};
	struct vm_info	*vm;
	char		*xml, *mem;
	size_t		 i;

	for (i = 0; i < nitems(tests); i++) {
		if (tests[i].unit == NULL)
			xasprintf(&mem, "<memory>%s</memory>", tests[i].value);
		else {
			xasprintf(&mem, "<memory unit='%s'>%s</memory>",
			    tests[i].unit, tests[i].value);
		}
		xml = domain_with(mem);
		vm = parse_ok(xml);
		if (vm->memory_kib != tests[i].kib) {
			fail_msg("%s %s: %llu KiB, expected %llu",
			    tests[i].value, tests[i].unit,
			    (unsigned long long)vm->memory_kib,
			    (unsigned long long)tests[i].kib);
		}
		vm_info_free(vm);
		free(xml);
		free(mem);
	}
}

/* currentMemory larger than memory is the figure kept. */
static void
vm_info_parse__current_memory_larger__kept(void **state)
{
	struct vm_info	*vm;
	char		*xml;

	xml = domain_with("<memory unit='MiB'>512</memory>"
	    "<currentMemory unit='GiB'>1</currentMemory>");
	vm = parse_ok(xml);
	assert_int_equal(vm->memory_kib, 1048576);
	vm_info_free(vm);
	free(xml);
}

/* No <vcpu>, no <cpu>: one vCPU, cluster default CPU. */
static void
vm_info_parse__minimal__defaults(void **state)
{
	struct vm_info	*vm;
	char		*xml;

	xml = domain_with("<memory>1024</memory>");
	vm = parse_ok(xml);
	assert_string_equal(vm->name, "t1");
	assert_null(vm->uuid);
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->cpu_mode, VM_CPU_UNSET);
	assert_null(vm->cpu_model);
	assert_int_equal(vm->cpu_pinned, 0);
	assert_int_equal(vm->ndisks, 0);
	assert_int_equal(vm->nifaces, 0);
	assert_int_equal(vm->nhostdevs, 0);
	vm_info_free(vm);
	free(xml);
}

/* Each <cpu> shape maps to its mode and model. */
static void
vm_info_parse__cpu_shapes__modes(void **state)
{
	static const struct {
		const char		*cpu;
		enum vm_cpu_mode	 mode;
		const char		*model;
	} tests[] = {
		{ "<cpu mode='maximum' check='none'/>", VM_CPU_MAXIMUM, NULL },
		{ "<cpu><model>Haswell</model></cpu>", VM_CPU_CUSTOM,
		    "Haswell" },
		{ "<cpu match='exact'><model> EPYC </model></cpu>",
		    VM_CPU_CUSTOM, "EPYC" },
		{ "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>",
		    VM_CPU_UNSET, NULL },
		{ "<cpu mode='host-model'><model fallback='allow'/></cpu>",
		    VM_CPU_HOST_MODEL, NULL },
		{ "<cpu mode='custom'><model>Skylake-Client</model></cpu>",
		    VM_CPU_CUSTOM, "Skylake-Client" },
	};
	struct vm_info	*vm;
	char		*xml, *body;
	size_t		 i;

	for (i = 0; i < nitems(tests); i++) {
		xasprintf(&body, "<memory>1024</memory>%s", tests[i].cpu);
		xml = domain_with(body);
		vm = parse_ok(xml);
		if (vm->cpu_mode != tests[i].mode)
			fail_msg("%s: mode %d", tests[i].cpu, vm->cpu_mode);
		if (tests[i].model == NULL)
			assert_null(vm->cpu_model);
		else
			assert_string_equal(vm->cpu_model, tests[i].model);
		vm_info_free(vm);
		free(xml);
		free(body);
	}
}

/* Only a cpuset or a vcpupin pins; placement alone does not. */
static void
vm_info_parse__vcpu_placement__pinning(void **state)
{
	static const struct {
		const char	*xml;
		int		 pinned;
	} tests[] = {
		{ "<vcpu placement='static'>2</vcpu>", 0 },
		{ "<vcpu placement='auto'>2</vcpu>", 0 },
		{ "<vcpu placement='static' cpuset='1'>2</vcpu>", 1 },
		{ "<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='3'/>"
		    "</cputune>", 1 },
		{ "<vcpu>2</vcpu><cputune><emulatorpin cpuset='3'/>"
		    "</cputune>", 0 },
	};
	struct vm_info	*vm;
	char		*xml, *body;
	size_t		 i;

	for (i = 0; i < nitems(tests); i++) {
		xasprintf(&body, "<memory>1024</memory>%s", tests[i].xml);
		xml = domain_with(body);
		vm = parse_ok(xml);
		if (vm->cpu_pinned != tests[i].pinned)
			fail_msg("%s: pinned %d", tests[i].xml, vm->cpu_pinned);
		assert_int_equal(vm->vcpus, 2);
		vm_info_free(vm);
		free(xml);
		free(body);
	}
}

/* Disk devices other than disk and cdrom, and a disk with no type. */
static void
vm_info_parse__disk_kinds__devices(void **state)
{
	struct vm_info	*vm;
	char		*xml;

	xml = domain_devices(
	    "<disk><source file='/a.img'/><target dev='vda'/></disk>"
	    "<disk type='file' device='floppy'><target dev='fda'/></disk>"
	    "<disk type='block' device='lun'><source dev='/dev/sdb'/>"
	    "<target dev='sda'/></disk>"
	    "<disk type='dir' device='disk'><source dir='/srv/fat'/>"
	    "<target dev='hdb'/><readonly/></disk>"
	    "<disk type='file' device='cdrom'>"
	    "<source startupPolicy='optional' index='2'/>"
	    "<target dev='sdc'/></disk>");
	vm = parse_ok(xml);
	assert_int_equal(vm->ndisks, 5);
	check_disk(&vm->disks[0], VM_DISK_DISK, "file", "vda", "/a.img");
	check_disk(&vm->disks[1], VM_DISK_FLOPPY, "file", "fda", NULL);
	assert_int_equal(vm->disks[1].has_source, 0);
	check_disk(&vm->disks[2], VM_DISK_LUN, "block", "sda", "/dev/sdb");
	check_disk(&vm->disks[3], VM_DISK_DISK, "dir", "hdb", "/srv/fat");
	assert_int_equal(vm->disks[3].readonly, 1);
	check_disk(&vm->disks[4], VM_DISK_CDROM, "file", "sdc", NULL);
	assert_int_equal(vm->disks[4].has_source, 0);
	vm_info_free(vm);
	free(xml);
}

/* Interfaces of other types and host devices of other buses. */
static void
vm_info_parse__other_devices__described(void **state)
{
	struct vm_info	*vm;
	char		*xml;

	xml = domain_devices(
	    "<interface type='direct'><mac address='52:54:00:00:00:01'/>"
	    "<source dev='eno1' mode='bridge'/></interface>"
	    "<interface type='hostdev' managed='yes'><source>"
	    "<address type='pci' domain='0' bus='3' slot='0x10'"
	    " function='2'/></source></interface>"
	    "<interface type='user'/>"
	    "<hostdev mode='subsystem' type='scsi'><source>"
	    "<adapter name='scsi_host0'/><address bus='0' target='1'"
	    " unit='2'/></source></hostdev>"
	    "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi'"
	    " name='iqn.2014-08.com.example:storage/1'/></hostdev>"
	    "<hostdev mode='subsystem' type='scsi_host'><source"
	    " protocol='vhost' wwpn='naa.5123456789abcde0'/></hostdev>"
	    "<hostdev mode='subsystem' type='usb'><source>"
	    "<address bus='1' device='5'/></source></hostdev>"
	    "<hostdev mode='capabilities' type='storage'><source>"
	    "<block>/dev/sdf1</block></source></hostdev>");
	vm = parse_ok(xml);
	assert_int_equal(vm->nifaces, 3);
	assert_string_equal(vm->ifaces[0].type, "direct");
	assert_string_equal(vm->ifaces[0].source, "eno1");
	assert_string_equal(vm->ifaces[0].mac, "52:54:00:00:00:01");
	assert_string_equal(vm->ifaces[1].type, "hostdev");
	assert_string_equal(vm->ifaces[1].source, "0000:03:10.2");
	assert_null(vm->ifaces[1].mac);
	assert_string_equal(vm->ifaces[2].type, "user");
	assert_null(vm->ifaces[2].source);
	assert_int_equal(vm->nhostdevs, 5);
	assert_int_equal(vm->hostdevs[0].kind, VM_HOSTDEV_OTHER);
	assert_string_equal(vm->hostdevs[0].desc, "scsi scsi_host0:0:1:2");
	assert_string_equal(vm->hostdevs[1].desc,
	    "scsi iqn.2014-08.com.example:storage/1");
	assert_int_equal(vm->hostdevs[2].kind, VM_HOSTDEV_OTHER);
	assert_string_equal(vm->hostdevs[2].desc,
	    "scsi_host naa.5123456789abcde0");
	assert_int_equal(vm->hostdevs[3].kind, VM_HOSTDEV_USB);
	assert_string_equal(vm->hostdevs[3].desc, "usb bus 1 device 5");
	assert_int_equal(vm->hostdevs[4].kind, VM_HOSTDEV_OTHER);
	assert_string_equal(vm->hostdevs[4].desc, "storage");
	vm_info_free(vm);
	free(xml);
}

/* The length is honoured: bytes after it are not read. */
static void
vm_info_parse__unterminated_buffer__reads_len(void **state)
{
	static const char	 xml[] = "<domain><name>t1</name>"
	    "<memory>1</memory></domain>GARBAGE<<<";
	struct vm_info		*vm = NULL;
	char			*cause = NULL;

	assert_int_equal(vm_info_parse(xml, strlen(xml) - 10, &vm, &cause), 0);
	assert_string_equal(vm->name, "t1");
	vm_info_free(vm);
}

/* Empty, not XML, cut short, or some other document. */
static void
vm_info_parse__not_a_domain__fails(void **state)
{
	char	*xml;
	size_t	 len;

	parse_fail_len("", 0, "domain XML is empty");
	parse_fail("hello, world", "invalid domain XML: line 1: ");
	parse_fail("<domain><name>x</name>", "invalid domain XML");
	parse_fail("<capabilities><host/></capabilities>", "not a domain");
	parse_fail("<?xml version='1.0'?>", "invalid domain XML");
	parse_fail("<domain><name>a</name><memory>1</memory></domain><x/>",
	    "invalid domain XML");

	xml = fixture("disk-rbd.xml", &len);
	parse_fail_len(xml, len / 2, "invalid domain XML: line ");
	free(xml);
}

/* libxml2's first message is the cause, with its line. */
static void
vm_info_parse__mismatched_tag__libxml2_message(void **state)
{
	parse_fail("<domain>\n<name>x</nam>\n</domain>",
	    "invalid domain XML: line 2: Opening and ending tag mismatch:"
	    " name line 2 and nam");
}

/* Missing or bad required facts. */
static void
vm_info_parse__bad_facts__fails(void **state)
{
	static const struct {
		const char	*body;
		const char	*want;
	} tests[] = {
		{ "", "element 'memory' is missing" },
		{ "<memory unit='KiB'></memory>", "'memory' is not a number: ''" },
		{ "<memory>-1</memory>", "'memory' is not a number: '-1'" },
		{ "<memory>12abc</memory>", "'memory' is not a number" },
		{ "<memory unit='parsecs'>1</memory>",
		    "unknown unit 'parsecs' in 'memory'" },
		{ "<memory unit='KiBB'>1</memory>", "unknown unit 'KiBB'" },
		{ "<memory unit='ZiB'>1</memory>", "unknown unit 'ZiB'" },
		{ "<memory unit='TiB'>99999999999</memory>",
		    "'memory' is too large: '99999999999'" },
		{ "<memory>184467440737095516160</memory>",
		    "'memory' is not a number" },
		{ "<memory>1</memory><currentMemory unit='EiB'>16"
		    "</currentMemory>", "'currentMemory' is too large" },
		{ "<memory>1</memory><vcpu>0</vcpu>",
		    "'vcpu' is out of range: '0' (1 to 4096)" },
		{ "<memory>1</memory><vcpu>99999</vcpu>",
		    "'vcpu' is out of range: '99999'" },
		{ "<memory>1</memory><vcpu>two</vcpu>",
		    "'vcpu' is not a number: 'two'" },
		{ "<memory>1</memory><cpu mode='host-modle'/>",
		    "unknown CPU mode 'host-modle'" },
	};
	char	*xml;
	size_t	 i;

	for (i = 0; i < nitems(tests); i++) {
		xml = domain_with(tests[i].body);
		parse_fail(xml, tests[i].want);
		free(xml);
	}
	parse_fail("<domain><memory>1</memory></domain>",
	    "element 'name' is missing");
	parse_fail("<domain><name></name><memory>1</memory></domain>",
	    "element 'name' is missing");
}

/* Bad devices name the device in the cause. */
static void
vm_info_parse__bad_devices__fails(void **state)
{
	static const struct {
		const char	*devices;
		const char	*want;
	} tests[] = {
		{ "<disk type='file' device='tape'><target dev='st0'/></disk>",
		    "unknown disk device 'tape' in 'devices/disk[1]/'" },
		{ "<disk type='file'><source file='/a'/></disk>",
		    "'devices/disk[1]/target/@dev' is missing" },
		{ "<interface><mac address='52:54:00:00:00:01'/></interface>",
		    "'devices/interface[1]/@type' is missing" },
		{ "<hostdev mode='subsystem'/>",
		    "'devices/hostdev[1]/@type' is missing" },
		{ "<hostdev type='pci'><source/></hostdev>",
		    "'devices/hostdev[1]/source/address' is missing" },
		{ "<hostdev type='pci'><source><address domain='0'"
		    " bus='0x100' slot='0' function='0'/></source></hostdev>",
		    "'devices/hostdev[1]/source/address/@bus' is out of range:"
		    " '0x100' (at most 255)" },
		{ "<hostdev type='pci'><source><address bus='zz'/></source>"
		    "</hostdev>", "'devices/hostdev[1]/source/address/@bus'"
		    " is not a number: 'zz'" },
		{ "<hostdev type='mdev'><source/></hostdev>",
		    "'devices/hostdev[1]/source/address/@uuid' is missing" },
		{ "<hostdev type='usb'><source><vendor id='0x46d'/></source>"
		    "</hostdev>",
		    "'devices/hostdev[1]/source/product/@id' is missing" },
		{ "<hostdev type='usb'><source/></hostdev>",
		    "'devices/hostdev[1]/source' has no vendor or address" },
	};
	char	*xml;
	size_t	 i;

	for (i = 0; i < nitems(tests); i++) {
		xml = domain_devices(tests[i].devices);
		parse_fail(xml, tests[i].want);
		free(xml);
	}
}

/* A ferry label without a key is refused, naming the element. */
static void
vm_info_parse__label_without_key__fails(void **state)
{
	char	*xml;

	xml = domain_with("<memory>1</memory><metadata>"
	    "<f:placement xmlns:f='urn:ferry:placement:1'>"
	    "<f:requiredLabel key='zone' value='east'/>"
	    "<f:requiredLabel value='west'/>"
	    "</f:placement></metadata>");
	parse_fail(xml, "element 'requiredLabel' 2 in ferry placement has no"
	    " 'key'");
	free(xml);
	xml = domain_with("<memory>1</memory><metadata>"
	    "<placement xmlns='urn:ferry:placement:1'>"
	    "<nodeSelector key=''/></placement></metadata>");
	parse_fail(xml, "element 'nodeSelector' 1 in ferry placement has no"
	    " 'key'");
	free(xml);
}

/* A default namespace works as well as a prefix; value='' is kept. */
static void
vm_info_parse__default_namespace__labels(void **state)
{
	struct vm_info	*vm;
	char		*xml;

	xml = domain_with("<memory>1</memory><metadata>"
	    "<placement xmlns='urn:ferry:placement:1'>"
	    "<nodeSelector key='rack' value=''/>"
	    "<requiredLabel key='ssd'/></placement>"
	    "<placement xmlns='urn:ferry:placement:2'>"
	    "<requiredLabel key='ignored'/></placement></metadata>");
	vm = parse_ok(xml);
	assert_int_equal(vm->nnode_selector, 1);
	assert_string_equal(vm->node_selector[0].key, "rack");
	assert_string_equal(vm->node_selector[0].value, "");
	assert_int_equal(vm->nrequired_labels, 1);
	assert_string_equal(vm->required_labels[0].key, "ssd");
	assert_null(vm->required_labels[0].value);
	vm_info_free(vm);
	free(xml);
}

/* Billion laughs: refused at the DOCTYPE, at once, nothing expanded. */
static void
vm_info_parse__billion_laughs__refused_fast(void **state)
{
	static const char	 xml[] =
	    "<?xml version='1.0'?>\n"
	    "<!DOCTYPE domain [\n"
	    " <!ENTITY a \"lollollollollollollollollollol\">\n"
	    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	    " <!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
	    " <!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
	    "]>\n"
	    "<domain><name>&i;</name><memory>1</memory>"
	    "<uuid>&i;</uuid></domain>\n";
	uint64_t		 start = util_now_ms();

	parse_fail(xml, "domain XML must not have a DOCTYPE");
	assert_true(util_now_ms() - start < 1000);
}

/* An external entity (XXE) is refused too; no file is read. */
static void
vm_info_parse__external_entity__refused(void **state)
{
	parse_fail("<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
	    "<domain><name>&x;</name><memory>1</memory></domain>",
	    "domain XML must not have a DOCTYPE");
	parse_fail("<!DOCTYPE domain SYSTEM 'http://example.com/domain.dtd'>"
	    "<domain><name>x</name><memory>1</memory></domain>",
	    "domain XML must not have a DOCTYPE");
	parse_fail("<domain><name>&x;</name><memory>1</memory></domain>",
	    "Entity 'x' not defined");
}

/* Device counts past the limits are refused. */
static void
vm_info_parse__too_many_devices__fails(void **state)
{
	char	*devs = NULL, *next, *xml;
	size_t	 i;

	devs = xstrdup("");
	for (i = 0; i < 300; i++) {
		xasprintf(&next, "%s<disk type='file' device='disk'>"
		    "<source file='/var/lib/libvirt/images/d%zu.qcow2'/>"
		    "<target dev='vd%zu'/></disk>", devs, i, i);
		free(devs);
		devs = next;
	}
	xml = domain_devices(devs);
	parse_fail(xml, "too many disks (300, at most 256)");
	free(xml);
	free(devs);

	devs = xstrdup("");
	for (i = 0; i < 65; i++) {
		xasprintf(&next, "%s<hostdev type='mdev'><source>"
		    "<address uuid='u%zu'/></source></hostdev>", devs, i);
		free(devs);
		devs = next;
	}
	xml = domain_devices(devs);
	parse_fail(xml, "too many host devices (65, at most 64)");
	free(xml);
	free(devs);

	devs = xstrdup("");
	for (i = 0; i < 257; i++) {
		xasprintf(&next, "%s<interface type='user'/>", devs);
		free(devs);
		devs = next;
	}
	xml = domain_devices(devs);
	parse_fail(xml, "too many interfaces (257, at most 256)");
	free(xml);
	free(devs);

	devs = xstrdup("");
	for (i = 0; i < 65; i++) {
		xasprintf(&next, "%s<f:nodeSelector key='k%zu'/>", devs, i);
		free(devs);
		devs = next;
	}
	xasprintf(&next, "<memory>1</memory><metadata><f:placement"
	    " xmlns:f='urn:ferry:placement:1'>%s</f:placement></metadata>",
	    devs);
	xml = domain_with(next);
	parse_fail(xml, "too many node selectors (65, at most 64)");
	free(xml);
	free(next);
	free(devs);
}

/* A value longer than 4096 bytes is refused, naming where it is. */
static void
vm_info_parse__long_attribute__fails(void **state)
{
	char	*path, *devs, *xml;

	path = xmalloc(5001);
	memset(path, 'a', 5000);
	path[0] = '/';
	path[5000] = '\0';
	xasprintf(&devs, "<disk type='file' device='disk'><source file='%s'/>"
	    "<target dev='vda'/></disk>", path);
	xml = domain_devices(devs);
	parse_fail(xml, "'devices/disk[1]/source/@file' is too long (5000"
	    " bytes, at most 4096)");
	free(xml);
	free(devs);

	/* Exactly at the limit is fine. */
	path[4096] = '\0';
	xasprintf(&devs, "<disk type='file' device='disk'><source file='%s'/>"
	    "<target dev='vda'/></disk>", path);
	xml = domain_devices(devs);
	vm_info_free(parse_ok(xml));
	free(xml);
	free(devs);

	xasprintf(&xml, "<domain><name>%s</name><memory>1</memory></domain>",
	    path + 1);
	vm_info_free(parse_ok(xml));
	free(xml);
	path[4096] = 'a';
	xasprintf(&xml, "<domain><name>%s</name><memory>1</memory></domain>",
	    path);
	parse_fail(xml, "'name' is too long");
	free(xml);
	free(path);
}

/* Hostile bytes in a cause come out escaped and cut short. */
static void
vm_info_parse__hostile_value__quoted(void **state)
{
	struct vm_info	*vm = NULL;
	char		*xml, *cause = NULL, *long_unit;

	xml = domain_with("<memory unit='\xc3\xa9&#10;x'>1</memory>");
	assert_int_equal(vm_info_parse(xml, strlen(xml), &vm, &cause), -1);
	assert_string_equal(cause, "unknown unit '\\xc3\\xa9\\x0ax' in 'memory'");
	free(cause);
	free(xml);

	long_unit = xmalloc(201);
	memset(long_unit, 'Q', 200);
	long_unit[200] = '\0';
	xasprintf(&xml, "<domain><name>t</name><memory unit='%s'>1</memory>"
	    "</domain>", long_unit);
	cause = NULL;
	assert_int_equal(vm_info_parse(xml, strlen(xml), &vm, &cause), -1);
	assert_non_null(strstr(cause, "QQQ...' in 'memory'"));
	assert_true(strlen(cause) < 100);
	free(cause);
	free(xml);
	free(long_unit);
}

/* libxml2 2.12 made the structured error const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *test_error_t;
#else
typedef xmlErrorPtr test_error_t;
#endif

/* Structured handler a caller had in place before the parse. */
static void
caller_error_cb(void *arg, test_error_t err)
{
	(*(int *)arg)++;
}

/* libxml2 writes nothing to stderr and the caller's handler is restored. */
static void
vm_info_parse__bad_xml__silent_and_restores_handlers(void **state)
{
	struct vm_info	*vm = NULL;
	char		*cause = NULL, buf[256];
	int		 saved, fd, calls = 0;
	ssize_t		 n;
	FILE		*tmp;

	xmlSetStructuredErrorFunc(&calls, caller_error_cb);

	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	fd = fileno(tmp);
	assert_int_equal(dup2(fd, 2), 2);
	assert_int_equal(vm_info_parse("<domain><name>x</nam></domain>", 30,
	    &vm, &cause), -1);
	assert_int_equal(vm_info_parse("<?xml version='1.0' encoding='nope'?>"
	    "<domain/>", 46, &vm, &cause), -1);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	n = pread(fd, buf, sizeof buf - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	if (n != 0)
		fail_msg("libxml2 wrote to stderr: %s", buf);
	fclose(tmp);
	free(cause);

	assert_ptr_equal(xmlStructuredError, caller_error_cb);
	assert_ptr_equal(xmlStructuredErrorContext, &calls);
	assert_int_equal(calls, 0);
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* Names come from the tables; unknown values are "unknown". */
static void
vm_names__every_value__named(void **state)
{
	assert_string_equal(vm_disk_device_name(VM_DISK_DISK), "disk");
	assert_string_equal(vm_disk_device_name(VM_DISK_CDROM), "cdrom");
	assert_string_equal(vm_disk_device_name(VM_DISK_FLOPPY), "floppy");
	assert_string_equal(vm_disk_device_name(VM_DISK_LUN), "lun");
	assert_string_equal(vm_disk_device_name((enum vm_disk_device)42),
	    "unknown");
	assert_string_equal(vm_cpu_mode_name(VM_CPU_UNSET), "unset");
	assert_string_equal(vm_cpu_mode_name(VM_CPU_HOST_MODEL), "host-model");
	assert_string_equal(vm_cpu_mode_name(VM_CPU_HOST_PASSTHROUGH),
	    "host-passthrough");
	assert_string_equal(vm_cpu_mode_name(VM_CPU_MAXIMUM), "maximum");
	assert_string_equal(vm_cpu_mode_name(VM_CPU_CUSTOM), "custom");
	assert_string_equal(vm_cpu_mode_name((enum vm_cpu_mode)-1), "unknown");
}

/* vm_info_free(NULL) is a no-op. */
static void
vm_info_free__null__returns(void **state)
{
	vm_info_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vm_info_parse__plain__lab_guest),
		cmocka_unit_test(vm_info_parse__file_disk__path_and_flags),
		cmocka_unit_test(vm_info_parse__cdrom__medium_is_source),
		cmocka_unit_test(vm_info_parse__cdrom_empty__no_source),
		cmocka_unit_test(vm_info_parse__volume_disk__pool_and_volume),
		cmocka_unit_test(vm_info_parse__rbd_disk__protocol_and_name),
		cmocka_unit_test(vm_info_parse__block_disk__dev_and_shareable),
		cmocka_unit_test(vm_info_parse__bridge_and_network__sources),
		cmocka_unit_test(vm_info_parse__pci_hostdev__host_address),
		cmocka_unit_test(vm_info_parse__mdev_hostdev__uuid),
		cmocka_unit_test(vm_info_parse__usb_hostdev__vendor_product),
		cmocka_unit_test(vm_info_parse__host_model__mode_without_model),
		cmocka_unit_test(vm_info_parse__custom_cpu__model),
		cmocka_unit_test(vm_info_parse__host_passthrough__mode),
		cmocka_unit_test(vm_info_parse__vcpupin__pinned),
		cmocka_unit_test(vm_info_parse__vcpu_cpuset__pinned),
		cmocka_unit_test(vm_info_parse__placement__selector_and_labels),
		cmocka_unit_test(vm_info_parse__memory_gib__kib),
		cmocka_unit_test(vm_info_parse__memory_units__scaled),
		cmocka_unit_test(vm_info_parse__current_memory_larger__kept),
		cmocka_unit_test(vm_info_parse__minimal__defaults),
		cmocka_unit_test(vm_info_parse__cpu_shapes__modes),
		cmocka_unit_test(vm_info_parse__vcpu_placement__pinning),
		cmocka_unit_test(vm_info_parse__disk_kinds__devices),
		cmocka_unit_test(vm_info_parse__other_devices__described),
		cmocka_unit_test(vm_info_parse__unterminated_buffer__reads_len),
		cmocka_unit_test(vm_info_parse__not_a_domain__fails),
		cmocka_unit_test(vm_info_parse__mismatched_tag__libxml2_message),
		cmocka_unit_test(vm_info_parse__bad_facts__fails),
		cmocka_unit_test(vm_info_parse__bad_devices__fails),
		cmocka_unit_test(vm_info_parse__label_without_key__fails),
		cmocka_unit_test(vm_info_parse__default_namespace__labels),
		cmocka_unit_test(vm_info_parse__billion_laughs__refused_fast),
		cmocka_unit_test(vm_info_parse__external_entity__refused),
		cmocka_unit_test(vm_info_parse__too_many_devices__fails),
		cmocka_unit_test(vm_info_parse__long_attribute__fails),
		cmocka_unit_test(vm_info_parse__hostile_value__quoted),
		cmocka_unit_test(
		    vm_info_parse__bad_xml__silent_and_restores_handlers),
		cmocka_unit_test(vm_names__every_value__named),
		cmocka_unit_test(vm_info_free__null__returns),
	};

	return (cmocka_run_group_tests_name("vm-xml", tests, NULL, NULL));
}
