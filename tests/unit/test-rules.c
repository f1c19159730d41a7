/* test-rules.c: migratability reasons, target filters and the score. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <stdio.h>

#include "ferry/rules.h"
#include "ferry/xmalloc.h"

#define MIB	1024ULL		/* KiB */
#define GIB	(1024 * MIB)

/* Labels of three nodes: same host model "Skylake", all run Nehalem. */
/* A label from two literals (-Wwrite-strings makes them const). */
#define L(k, v)	{ (char *)(k), (char *)(v) }

static struct node_label labels_a[] = {
	L("kubernetes.io/hostname", "node-a"),
	L(NODE_LABEL_HOST_MODEL "Skylake", "true"),
	L(NODE_LABEL_MIGRATION "Skylake", "true"),
	L(NODE_LABEL_CPU_MODEL "Nehalem", "true"),
	L("zone", "east"),
	L("ssd", "yes"),
};
static struct node_label labels_b[] = {
	L("kubernetes.io/hostname", "node-b"),
	L(NODE_LABEL_HOST_MODEL "Skylake", "true"),
	L(NODE_LABEL_MIGRATION "Skylake", "true"),
	L(NODE_LABEL_CPU_MODEL "Nehalem", "true"),
	L("zone", "east"),
};
static struct node_label labels_c[] = {
	L("kubernetes.io/hostname", "node-c"),
	L(NODE_LABEL_HOST_MODEL "EPYC", "true"),
	L(NODE_LABEL_MIGRATION "EPYC", "true"),
	L(NODE_LABEL_CPU_MODEL "Nehalem", "true"),
	L("zone", "west"),
};
static const char *nets_ab[] = { "mgmt", "vlan100" };
static const char *nets_c[] = { "mgmt" };

static const char *nfs_paths[] = { "/srv/nfs" };
static const char *local_paths[] = { "/var/lib/libvirt/images" };
static const char *ceph_pools[] = { "ceph" };
static const char *cd_paths[] = { "/srv/containerdisks" };
static const char *single_paths[] = { "/srv/nfs/single" };
static const struct rules_storage storage[] = {
	{ .name = "nfs", .paths = nfs_paths, .npaths = 1, .rwx = 1,
	  .replicas = 3 },
	{ .name = "local", .paths = local_paths, .npaths = 1, .rwx = 0,
	  .replicas = 1 },
	{ .name = "ceph", .pools = ceph_pools, .npools = 1, .rwx = 1,
	  .replicas = 3 },
	{ .name = "cdi", .paths = cd_paths, .npaths = 1, .rwx = 1,
	  .replicas = 3, .container_disk = 1 },
	{ .name = "single", .paths = single_paths, .npaths = 1, .rwx = 1,
	  .replicas = 1 },
};

/* Append SRC to DST (size LEN), truncating. */
static void
strlcat_like(char *dst, const char *src, size_t len)
{
	size_t	n = strlen(dst);

	if (n + 1 < len)
		snprintf(dst + n, len - n, "%s", src);
}

/* A fresh three-node cluster in *NODES and *C. */
static void
cluster(struct rules_node nodes[3], struct rules_cluster *c)
{
	memset(nodes, 0, 3 * sizeof nodes[0]);
	nodes[0] = (struct rules_node){ .name = "node-a", .labels = labels_a,
	    .nlabels = 6, .networks = nets_ab, .nnetworks = 2, .up = 1,
	    .schedulable = 1, .cpu_manager = 1, .free_kib = 8 * GIB,
	    .cpus = 8 };
	nodes[1] = (struct rules_node){ .name = "node-b", .labels = labels_b,
	    .nlabels = 5, .networks = nets_ab, .nnetworks = 2, .up = 1,
	    .schedulable = 1, .free_kib = 4 * GIB, .cpus = 8 };
	nodes[2] = (struct rules_node){ .name = "node-c", .labels = labels_c,
	    .nlabels = 5, .networks = nets_c, .nnetworks = 1, .up = 1,
	    .schedulable = 1, .free_kib = 16 * GIB, .cpus = 8 };
	memset(c, 0, sizeof *c);
	c->nodes = nodes;
	c->nnodes = 3;
	c->storage = storage;
	c->nstorage = sizeof storage / sizeof storage[0];
	c->cpu_model = "";
	c->headroom_kib = 256 * MIB;
	c->cpu_overcommit = 1.0;
}

/* A 1 GiB, 2-vCPU host-model VM with nothing attached. */
static void
plain(struct vm_info *vm)
{
	memset(vm, 0, sizeof *vm);
	vm->name = (char *)"vm1";
	vm->memory_kib = GIB;
	vm->vcpus = 2;
	vm->cpu_mode = VM_CPU_HOST_MODEL;
}

/* Exactly one reason, with CODE and a message containing TEXT. */
static void
expect_one(struct rules_reasons *why, const char *code, const char *text)
{
	if (why->n != 1)
		fail_msg("%zu reasons, first '%s'", why->n,
		    why->n > 0 ? why->v[0].message : "");
	assert_string_equal(why->v[0].code, code);
	if (strstr(why->v[0].message, text) == NULL)
		fail_msg("'%s' not in '%s'", text, why->v[0].message);
	rules_reasons_clear(why);
}

/* A plain VM on a node whose host model another node shares: movable. */
static void
rules_migratable__plain_vm__no_reasons(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
	assert_int_equal(why.n, 0);
}

/* Disk rules, one at a time. */
static void
rules_migratable__disks__each_rule(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_disk		d;
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	vm.disks = &d;
	vm.ndisks = 1;

	memset(&d, 0, sizeof d);
	d.device = VM_DISK_CDROM;
	d.target = (char *)"sda";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "CDROM", "disk 'sda' is a CD-ROM");

	memset(&d, 0, sizeof d);
	d.target = (char *)"vda";
	d.has_source = 1;
	d.path = (char *)"/data/vm1.qcow2";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "ReadWriteOnceVolume", "no storage class declares");

	d.path = (char *)"/var/lib/libvirt/images/vm1.qcow2";
	rules_migratable(&c, &vm, "node-a", &why);
	assert_int_equal(why.n, 2);	/* RWO and one replica */
	assert_string_equal(why.v[0].code, "ReadWriteOnceVolume");
	assert_string_equal(why.v[1].code, "SingleReplicaStorage");
	rules_reasons_clear(&why);

	d.path = (char *)"/srv/nfs/vm1.qcow2";
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);

	/* The longest prefix wins; a prefix must end at a component. */
	d.path = (char *)"/srv/nfs/single/vm1.qcow2";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "SingleReplicaStorage", "'single'");
	d.path = (char *)"/srv/nfs2/vm1.qcow2";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "ReadWriteOnceVolume", "no storage class");

	d.path = (char *)"/srv/containerdisks/fedora.qcow2";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "ContainerDisk", "container disk");

	memset(&d, 0, sizeof d);
	d.target = (char *)"vdb";
	d.has_source = 1;
	d.pool = (char *)"ceph";
	d.volume = (char *)"vm1-data";
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
	d.pool = (char *)"default";
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "ReadWriteOnceVolume", "vm1-data");

	/* An empty drive with no source is not storage. */
	memset(&d, 0, sizeof d);
	d.target = (char *)"vdc";
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
}

/* Host devices: PCI, mdev and USB each give their reason. */
static void
rules_migratable__hostdevs__named(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_hostdev	h[3] = {
		{ VM_HOSTDEV_PCI, (char *)"0000:65:00.0" },
		{ VM_HOSTDEV_MDEV, (char *)"c2177883-f1bb-47f0-914d-32a22e3a8804" },
		{ VM_HOSTDEV_USB, (char *)"usb 046d:c52b" },
	};
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	vm.hostdevs = h;
	vm.nhostdevs = 3;
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 3);
	assert_string_equal(why.v[0].code, "HostDevicePCI");
	assert_non_null(strstr(why.v[0].message, "0000:65:00.0"));
	assert_string_equal(why.v[1].code, "HostDeviceMdev");
	assert_non_null(strstr(why.v[1].message, "vGPU"));
	assert_string_equal(why.v[2].code, "HostDeviceUSB");
	rules_reasons_clear(&why);
}

/* Placement: selectors, required labels, networks, pinning. */
static void
rules_migratable__placement__binds_to_source(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_label		sel = { (char *)"kubernetes.io/hostname",
				    (char *)"node-a" };
	struct vm_label		zone = { (char *)"zone", (char *)"east" };
	struct vm_label		ssd = { (char *)"ssd", NULL };
	struct vm_iface		ifc = { (char *)"network", (char *)"vlan100",
				    NULL };
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	vm.node_selector = &sel;
	vm.nnode_selector = 1;
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "NodeSelector",
	    "kubernetes.io/hostname=node-a binds the VM to node 'node-a'");
	vm.node_selector = &zone;	/* node-b is in zone east too */
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
	vm.nnode_selector = 0;

	vm.required_labels = &ssd;
	vm.nrequired_labels = 1;
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "SchedulingRules", "ssd matches only node 'node-a'");
	vm.nrequired_labels = 0;

	/* vlan100 is on a and b: fine from a; pretend b lacks it. */
	vm.ifaces = &ifc;
	vm.nifaces = 1;
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
	n[1].networks = nets_c;
	n[1].nnetworks = 1;
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "NetworkOnOneNode", "'vlan100'");
	ifc.type = (char *)"user";	/* user networking needs no network */
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
	vm.nifaces = 0;

	/* Pinned CPUs: only node-a has a CPU manager. */
	vm.cpu_pinned = 1;
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "CPUPinningOneNode", "CPU manager");
	n[1].cpu_manager = 1;
	assert_int_equal(rules_migratable(&c, &vm, "node-a", &why), 0);
}

/* CPU models: host-model, named model, cluster default. */
static void
rules_migratable__cpu_models__seed_rules(void **state)
{
	struct rules_node	 n[3];
	struct rules_cluster	 c;
	struct vm_info		 vm;
	struct rules_reasons	 why = { 0 };
	char			*label;

	cluster(n, &c);
	plain(&vm);
	/* node-c's host model EPYC exists nowhere else. */
	rules_migratable(&c, &vm, "node-c", &why);
	expect_one(&why, "CPUModel", NODE_LABEL_MIGRATION "EPYC");
	label = rules_cpu_label(&c, &vm, &n[2]);
	assert_string_equal(label, NODE_LABEL_MIGRATION "EPYC");
	free(label);

	/* A named model every node runs moves anywhere (the seed's "123"). */
	vm.cpu_mode = VM_CPU_CUSTOM;
	vm.cpu_model = (char *)"Nehalem";
	assert_int_equal(rules_migratable(&c, &vm, "node-c", &why), 0);
	vm.cpu_model = (char *)"Cascadelake";
	rules_migratable(&c, &vm, "node-c", &why);
	expect_one(&why, "CPUModel", NODE_LABEL_CPU_MODEL "Cascadelake");

	/* The cluster default applies to VMs that name none. */
	vm.cpu_mode = VM_CPU_UNSET;
	vm.cpu_model = NULL;
	c.cpu_model = "Nehalem";
	assert_int_equal(rules_migratable(&c, &vm, "node-c", &why), 0);
	label = rules_cpu_label(&c, &vm, &n[2]);
	assert_string_equal(label, NODE_LABEL_CPU_MODEL "Nehalem");
	free(label);
	c.cpu_model = "";
	rules_migratable(&c, &vm, "node-c", &why);
	expect_one(&why, "CPUModel", "EPYC");
}

/* Rules that pass alone can still leave no node when combined. */
static void
rules_migratable__rules_combined__no_node(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_label		west = { (char *)"zone", (char *)"west" };
	struct vm_iface		ifc = { (char *)"bridge", (char *)"vlan100",
				    NULL };
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	vm.cpu_mode = VM_CPU_CUSTOM;
	vm.cpu_model = (char *)"Nehalem";
	vm.node_selector = &west;	/* only node-c ... */
	vm.nnode_selector = 1;
	vm.ifaces = &ifc;		/* ... which lacks vlan100 */
	vm.nifaces = 1;
	rules_migratable(&c, &vm, "node-a", &why);
	expect_one(&why, "SchedulingRules", "together");
}

/* Several problems: every one is reported. */
static void
rules_migratable__many_problems__all_reported(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_disk		d = { .device = VM_DISK_CDROM,
				    .target = (char *)"hdc" };
	struct vm_hostdev	h = { VM_HOSTDEV_PCI, (char *)"0000:01:00.0" };
	struct vm_label		sel = { (char *)"kubernetes.io/hostname",
				    (char *)"node-b" };
	struct rules_reasons	why = { 0 };

	cluster(n, &c);
	plain(&vm);
	vm.disks = &d;
	vm.ndisks = 1;
	vm.hostdevs = &h;
	vm.nhostdevs = 1;
	vm.node_selector = &sel;
	vm.nnode_selector = 1;
	assert_int_equal(rules_migratable(&c, &vm, "node-b", &why), 3);
	assert_string_equal(why.v[0].code, "CDROM");
	assert_string_equal(why.v[1].code, "HostDevicePCI");
	assert_string_equal(why.v[2].code, "NodeSelector");
	rules_reasons_clear(&why);
}

/* Each target filter refuses with its own code. */
static void
rules_target_fits__each_filter__refuses(void **state)
{
	struct rules_node	n[3];
	struct rules_cluster	c;
	struct vm_info		vm;
	struct vm_label		zone = { (char *)"zone", (char *)"east" };
	struct vm_iface		ifc = { (char *)"network", (char *)"vlan100",
				    NULL };
	struct rules_reason	r;
	cluster(n, &c);
	plain(&vm);
#define REFUSE(node, want) do {						\
	memset(&r, 0, sizeof r);					\
	assert_int_equal(rules_target_fits(&c, &vm, "node-a", (node),	\
	    &r), 0);							\
	assert_string_equal(r.code, (want));				\
	free(r.message);						\
} while (0)
	REFUSE(&n[0], "SourceNode");
	n[1].up = 0;
	REFUSE(&n[1], "NodeDown");
	n[1].up = 1;
	n[1].schedulable = 0;
	REFUSE(&n[1], "Unschedulable");
	n[1].schedulable = 1;
	vm.node_selector = &zone;
	vm.nnode_selector = 1;
	REFUSE(&n[2], "NodeSelector");
	vm.nnode_selector = 0;
	vm.required_labels = &zone;
	vm.nrequired_labels = 1;
	REFUSE(&n[2], "RequiredLabel");
	vm.nrequired_labels = 0;
	vm.ifaces = &ifc;
	vm.nifaces = 1;
	REFUSE(&n[2], "Network");
	vm.nifaces = 0;
	vm.cpu_pinned = 1;
	REFUSE(&n[1], "CPUManager");
	vm.cpu_pinned = 0;
	REFUSE(&n[2], "CPUModel");		/* EPYC host, Skylake VM */
	/* 4 GiB free: 1 GiB VM + 256 MiB headroom + 3 GiB inbound. */
	n[1].inbound_kib = 3 * GIB;
	REFUSE(&n[1], "Memory");
	n[1].inbound_kib = 0;
	memset(&r, 0, sizeof r);
	assert_int_equal(rules_target_fits(&c, &vm, "node-a", &n[1], &r), 1);
	n[1].vcpus_used = 7;
	REFUSE(&n[1], "CPU");
	c.cpu_overcommit = 2.0;
	assert_int_equal(rules_target_fits(&c, &vm, "node-a", &n[1], &r), 1);
#undef REFUSE
}

/* The score: most free memory after placement, then fewest inbound. */
static void
rules_pick_target__score__most_free_then_fewest_inbound(void **state)
{
	struct rules_node	 n[3];
	struct rules_cluster	 c;
	struct vm_info		 vm;
	struct rules_reasons	 why = { 0 };
	const struct rules_node	*t;

	cluster(n, &c);
	plain(&vm);
	vm.cpu_mode = VM_CPU_CUSTOM;
	vm.cpu_model = (char *)"Nehalem";	/* all three can run it */
	t = rules_pick_target(&c, &vm, "node-a", &why);
	assert_string_equal(t->name, "node-c");	/* 16 GiB free */
	assert_int_equal(why.n, 0);
	n[2].inbound_kib = 13 * GIB;		/* c: 3 GiB left, b: 4 */
	t = rules_pick_target(&c, &vm, "node-a", &why);
	assert_string_equal(t->name, "node-b");
	n[2].inbound_kib = 0;
	n[2].free_kib = n[1].free_kib;		/* a tie on memory */
	n[1].inbound = 2;
	n[2].inbound = 1;
	t = rules_pick_target(&c, &vm, "node-a", &why);
	assert_string_equal(t->name, "node-c");
	n[2].inbound = 2;			/* full tie: by name */
	t = rules_pick_target(&c, &vm, "node-a", &why);
	assert_string_equal(t->name, "node-b");

	/* Nothing fits: one reason per other node, none for the source. */
	n[1].schedulable = 0;
	n[2].up = 0;
	assert_null(rules_pick_target(&c, &vm, "node-a", &why));
	assert_int_equal(why.n, 2);
	assert_string_equal(why.v[0].code, "Unschedulable");
	assert_string_equal(why.v[1].code, "NodeDown");
	rules_reasons_clear(&why);
}

/* Labels of the fixture cluster (a real-world mix of CPUs). */
static struct node_label fx_a[] = {
	L("kubernetes.io/hostname", "node-a"),
	L(NODE_LABEL_HOST_MODEL "Cascadelake-Server", "true"),
	L(NODE_LABEL_MIGRATION "Cascadelake-Server", "true"),
	L(NODE_LABEL_CPU_MODEL "Cascadelake-Server-noTSX", "true"),
	L(NODE_LABEL_CPU_MODEL "Skylake-Client", "true"),
	L(NODE_LABEL_CPU_MODEL "qemu64", "true"),
	L("zone", "east"),
};
static struct node_label fx_b[] = {
	L("kubernetes.io/hostname", "node-b"),
	L(NODE_LABEL_HOST_MODEL "Cascadelake-Server", "true"),
	L(NODE_LABEL_MIGRATION "Cascadelake-Server", "true"),
	L(NODE_LABEL_CPU_MODEL "Cascadelake-Server-noTSX", "true"),
	L(NODE_LABEL_CPU_MODEL "qemu64", "true"),
	L("zone", "east"),
	L("gpu", "a100"),
};
static struct node_label fx_c[] = {
	L("kubernetes.io/hostname", "node-c"),
	L(NODE_LABEL_HOST_MODEL "EPYC-Rome", "true"),
	L(NODE_LABEL_MIGRATION "EPYC-Rome", "true"),
	L(NODE_LABEL_CPU_MODEL "Cascadelake-Server-noTSX", "true"),
	L(NODE_LABEL_CPU_MODEL "qemu64", "true"),
	L("zone", "west"),
};
static const char *fx_nets_ab[] = { "default", "br0", "storage" };
static const char *fx_nets_b[] = { "default", "br0" };
static const char *fx_images[] = { "/var/lib/libvirt/images" };
static const char *fx_lvm[] = { "vmstore" };
static const char *fx_ceph[] = { "vms" };
static const struct rules_storage fx_storage[] = {
	{ .name = "images", .paths = fx_images, .npaths = 1, .rwx = 1,
	  .replicas = 3 },
	{ .name = "local-lvm", .pools = fx_lvm, .npools = 1, .rwx = 0,
	  .replicas = 1 },
	{ .name = "ceph", .pools = fx_ceph, .npools = 1, .rwx = 1,
	  .replicas = 3 },
};

/* Read and parse tests/unit/fixtures/vm/NAME. */
static struct vm_info *
fx_parse(const char *name)
{
	const char	*top = getenv("top_srcdir");
	struct vm_info	*vm = NULL;
	struct stat	 sb;
	char		*path, *buf, *cause = NULL;
	FILE		*f;

	xasprintf(&path, "%s/tests/unit/fixtures/vm/%s",
	    top != NULL ? top : "..", name);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot open '%s' (set top_srcdir)", path);
	assert_int_equal(fstat(fileno(f), &sb), 0);
	buf = xmalloc(sb.st_size + 1);
	assert_int_equal(fread(buf, 1, sb.st_size, f), sb.st_size);
	fclose(f);
	if (vm_info_parse(buf, sb.st_size, &vm, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	free(buf);
	free(path);
	return (vm);
}

/*
 * Every domain XML fixture through the parser and the rules: each rule
 * alone (one fixture each) and the clean ones, with the exact codes.
 */
static void
rules_migratable__xml_fixtures__expected_codes(void **state)
{
	static const struct {
		const char	*fixture;
		const char	*codes;		/* comma separated, in order */
	} cases[] = {
		{ "plain.xml", "" },
		{ "disk-file.xml", "" },
		{ "memory-gib.xml", "" },
		{ "cpu-host-model.xml", "" },
		{ "cpu-host-passthrough.xml", "" },
		{ "disk-rbd.xml", "" },
		{ "cdrom.xml", "CDROM" },
		{ "cdrom-empty.xml", "CDROM" },
		{ "cpu-custom.xml", "CPUModel" },
		{ "disk-block.xml", "ReadWriteOnceVolume" },
		{ "disk-volume.xml", "ReadWriteOnceVolume,SingleReplicaStorage" },
		{ "hostdev-mdev.xml", "HostDeviceMdev" },
		{ "hostdev-pci.xml", "HostDevicePCI" },
		{ "hostdev-usb.xml", "HostDeviceUSB" },
		{ "iface-bridge-network.xml", "NetworkOnOneNode" },
		{ "placement.xml", "NodeSelector" },
		{ "vcpupin.xml", "CPUPinningOneNode" },
		{ "vcpu-cpuset.xml", "CPUPinningOneNode" },
	};
	struct rules_node	 n[3];
	struct rules_cluster	 c;
	struct rules_reasons	 why = { 0 };
	struct vm_info		*vm;
	char			 got[256];
	size_t			 i, j;

	cluster(n, &c);
	n[0].labels = fx_a;
	n[0].nlabels = sizeof fx_a / sizeof fx_a[0];
	n[0].networks = fx_nets_ab;
	n[0].nnetworks = 3;
	n[1].labels = fx_b;
	n[1].nlabels = sizeof fx_b / sizeof fx_b[0];
	n[1].networks = fx_nets_b;
	n[1].nnetworks = 2;
	n[1].cpu_manager = 0;
	n[2].labels = fx_c;
	n[2].nlabels = sizeof fx_c / sizeof fx_c[0];
	n[2].networks = fx_nets_b;
	n[2].nnetworks = 2;
	c.storage = fx_storage;
	c.nstorage = sizeof fx_storage / sizeof fx_storage[0];

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vm = fx_parse(cases[i].fixture);
		rules_migratable(&c, vm, "node-a", &why);
		got[0] = '\0';
		for (j = 0; j < why.n; j++) {
			if (j > 0)
				strlcat_like(got, ",", sizeof got);
			strlcat_like(got, why.v[j].code, sizeof got);
		}
		if (strcmp(got, cases[i].codes) != 0)
			fail_msg("%s: got '%s', want '%s'%s%s",
			    cases[i].fixture, got, cases[i].codes,
			    why.n > 0 ? ": " : "",
			    why.n > 0 ? why.v[0].message : "");
		rules_reasons_clear(&why);
		vm_info_free(vm);
	}

	/* In combination: the placement fixture with pinned CPUs too gives
	 * both reasons. */
	vm = fx_parse("placement.xml");
	vm->cpu_pinned = 1;
	assert_int_equal(rules_migratable(&c, vm, "node-a", &why), 2);
	assert_string_equal(why.v[0].code, "NodeSelector");
	assert_string_equal(why.v[1].code, "CPUPinningOneNode");
	rules_reasons_clear(&why);
	vm_info_free(vm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_migratable__plain_vm__no_reasons),
		cmocka_unit_test(rules_migratable__disks__each_rule),
		cmocka_unit_test(rules_migratable__hostdevs__named),
		cmocka_unit_test(rules_migratable__placement__binds_to_source),
		cmocka_unit_test(rules_migratable__cpu_models__seed_rules),
		cmocka_unit_test(rules_migratable__rules_combined__no_node),
		cmocka_unit_test(rules_migratable__many_problems__all_reported),
		cmocka_unit_test(rules_target_fits__each_filter__refuses),
		cmocka_unit_test(
		    rules_pick_target__score__most_free_then_fewest_inbound),
		cmocka_unit_test(rules_migratable__xml_fixtures__expected_codes),
	};

	return (cmocka_run_group_tests_name("rules", tests, NULL, NULL));
}
