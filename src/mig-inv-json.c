/*
 * mig-inv-json.c: nodes and VMs as KubeVirt-shaped JSON objects for the
 * API (doc/api.md), from the inventory, the configuration and the
 * migrations.  A VM's object carries its migratability, with reasons,
 * and the seed's cross-reference status.migrationState.migrationUID.
 */

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "ferry/config.h"
#include "ferry/mig-priv.h"
#include "ferry/xmalloc.h"

/* Add string S, or null. */
static void
inv_str(yajl_gen g, const char *s)
{
	if (s == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Add "KEY": S. */
static void
inv_kv(yajl_gen g, const char *key, const char *s)
{
	inv_str(g, key);
	inv_str(g, s);
}

/* Add "KEY": N. */
static void
inv_kv_int(yajl_gen g, const char *key, long long n)
{
	inv_str(g, key);
	yajl_gen_integer(g, n);
}

/* Add "KEY": true|false. */
static void
inv_kv_bool(yajl_gen g, const char *key, int b)
{
	inv_str(g, key);
	yajl_gen_bool(g, b);
}

/* Take G's buffer as a string and free G. */
static char *
inv_finish(yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;
	char			*s;

	yajl_gen_get_buf(g, &buf, &len);
	s = xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	return (s);
}

/* One node object. */
static void
inv_node(yajl_gen g, struct mig_mgr *mgr, struct mig_node *n,
    const struct rules_node *r)
{
	size_t	i;

	yajl_gen_map_open(g);
	inv_kv(g, "apiVersion", "ferry.io/v1");
	inv_kv(g, "kind", "Node");
	inv_str(g, "metadata");
	yajl_gen_map_open(g);
	inv_kv(g, "name", n->name);
	inv_str(g, "labels");
	yajl_gen_map_open(g);
	for (i = 0; i < n->nlabels; i++)
		inv_kv(g, n->labels[i].key, n->labels[i].value);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	inv_str(g, "spec");
	yajl_gen_map_open(g);
	inv_kv_bool(g, "unschedulable", !n->cfg->schedulable);
	inv_str(g, "taints");
	yajl_gen_array_open(g);
	yajl_gen_array_close(g);
	inv_kv_bool(g, "cpuManager", n->cfg->cpu_manager);
	inv_str(g, "networks");
	yajl_gen_array_open(g);
	for (i = 0; i < n->cfg->networks.n; i++)
		inv_str(g, n->cfg->networks.v[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	inv_str(g, "status");
	yajl_gen_map_open(g);
	inv_kv_bool(g, "ready", n->up);
	inv_kv(g, "hostModel", n->have_caps ? n->caps.host_model : NULL);
	inv_str(g, "capacity");
	yajl_gen_map_open(g);
	inv_kv_int(g, "memoryKiB", (long long)n->memory_kib);
	inv_kv_int(g, "cpus", n->cpus);
	yajl_gen_map_close(g);
	inv_str(g, "free");
	yajl_gen_map_open(g);
	inv_kv_int(g, "memoryKiB", (long long)n->free_kib);
	yajl_gen_map_close(g);
	inv_str(g, "allocated");
	yajl_gen_map_open(g);
	inv_kv_int(g, "vcpus", r->vcpus_used);
	inv_kv_int(g, "vms", (long long)n->nvms);
	yajl_gen_map_close(g);
	inv_str(g, "inbound");
	yajl_gen_map_open(g);
	inv_kv_int(g, "migrations", r->inbound);
	inv_kv_int(g, "memoryKiB", (long long)r->inbound_kib);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	(void)mgr;
	yajl_gen_map_close(g);
}

/*
 * Node NAME as JSON, or every node as a NodeList when NAME is NULL; NULL
 * if there is no such node.  Caller frees.
 */
char *
mig_mgr_nodes_json(struct mig_mgr *mgr, const char *name)
{
	struct mig_cluster	 c;
	yajl_gen		 g = yajl_gen_alloc(NULL);
	size_t			 i;
	char			*s = NULL;

	mig_cluster_build(mgr, NULL, &c);
	if (name == NULL) {
		yajl_gen_map_open(g);
		inv_kv(g, "apiVersion", "ferry.io/v1");
		inv_kv(g, "kind", "NodeList");
		inv_str(g, "items");
		yajl_gen_array_open(g);
		for (i = 0; i < mgr->nnodes; i++)
			inv_node(g, mgr, &mgr->nodes[i], &c.nodes[i]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		s = inv_finish(g);
		g = NULL;
	} else {
		for (i = 0; i < mgr->nnodes; i++) {
			if (strcmp(mgr->nodes[i].name, name) != 0)
				continue;
			inv_node(g, mgr, &mgr->nodes[i], &c.nodes[i]);
			s = inv_finish(g);
			g = NULL;
			break;
		}
	}
	if (g != NULL)
		yajl_gen_free(g);
	mig_cluster_free(&c);
	return (s);
}

/* The VM's active migration, else its newest one, or NULL. */
static const struct mig *
inv_vm_migration(struct mig_mgr *mgr, const char *vm)
{
	const struct mig	*m, *last = NULL;

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (strcmp(m->rec.vm, vm) != 0)
			continue;
		if (mig_state_active(m->rec.state))
			return (m);
		last = m;
	}
	return (last);
}

/* The name of a phase for the API. */
static const char *
inv_phase(enum hv_dom_state st)
{
	switch (st) {
	case HV_DOM_RUNNING:
		return ("Running");
	case HV_DOM_PAUSED:
		return ("Paused");
	case HV_DOM_SHUTOFF:
		return ("Shutoff");
	case HV_DOM_ABSENT:
	case HV_DOM_OTHER:
		break;
	}
	return ("Other");
}

/* A list of labels as an object (a null value: the key must exist). */
static void
inv_labels(yajl_gen g, const char *key, const struct vm_label *l, size_t n)
{
	size_t	i;

	inv_str(g, key);
	yajl_gen_map_open(g);
	for (i = 0; i < n; i++)
		inv_kv(g, l[i].key, l[i].value);
	yajl_gen_map_close(g);
}

/* The spec part of a VM object. */
static void
inv_vm_spec(yajl_gen g, const struct vm_info *vi)
{
	static const char	*hostdev_kinds[] = {
		[VM_HOSTDEV_PCI] = "pci",
		[VM_HOSTDEV_MDEV] = "mdev",
		[VM_HOSTDEV_USB] = "usb",
		[VM_HOSTDEV_OTHER] = "other",
	};
	size_t			 i;
	const struct vm_disk	*d;

	inv_kv_int(g, "memoryKiB", (long long)vi->memory_kib);
	inv_kv_int(g, "vcpus", vi->vcpus);
	inv_str(g, "cpu");
	yajl_gen_map_open(g);
	inv_kv(g, "mode", vm_cpu_mode_name(vi->cpu_mode));
	inv_kv(g, "model", vi->cpu_model);
	inv_kv_bool(g, "pinned", vi->cpu_pinned);
	yajl_gen_map_close(g);
	inv_str(g, "disks");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->ndisks; i++) {
		d = &vi->disks[i];
		yajl_gen_map_open(g);
		inv_kv(g, "target", d->target);
		inv_kv(g, "device", vm_disk_device_name(d->device));
		inv_kv(g, "source", d->path != NULL ? d->path :
		    d->volume != NULL ? d->volume : d->name);
		if (d->pool != NULL)
			inv_kv(g, "pool", d->pool);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	inv_str(g, "interfaces");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->nifaces; i++) {
		yajl_gen_map_open(g);
		inv_kv(g, "type", vi->ifaces[i].type);
		inv_kv(g, "source", vi->ifaces[i].source);
		inv_kv(g, "mac", vi->ifaces[i].mac);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	inv_str(g, "hostDevices");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->nhostdevs; i++) {
		yajl_gen_map_open(g);
		inv_kv(g, "type", hostdev_kinds[vi->hostdevs[i].kind]);
		inv_kv(g, "device", vi->hostdevs[i].desc);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	inv_labels(g, "nodeSelector", vi->node_selector, vi->nnode_selector);
	inv_labels(g, "requiredLabels", vi->required_labels,
	    vi->nrequired_labels);
}

/* One VM object: V on node N. */
static void
inv_vm(yajl_gen g, struct mig_mgr *mgr, const struct mig_cluster *c,
    struct mig_node *n, const struct mig_vm *v)
{
	struct rules_reasons	 why = { 0 };
	const struct mig	*m = inv_vm_migration(mgr, v->name);
	size_t			 i;

	yajl_gen_map_open(g);
	inv_kv(g, "apiVersion", "ferry.io/v1");
	inv_kv(g, "kind", "VirtualMachineInstance");
	inv_str(g, "metadata");
	yajl_gen_map_open(g);
	inv_kv(g, "name", v->name);
	inv_kv(g, "uid", v->info != NULL ? v->info->uuid : NULL);
	yajl_gen_map_close(g);

	inv_str(g, "spec");
	yajl_gen_map_open(g);
	if (v->info != NULL)
		inv_vm_spec(g, v->info);
	yajl_gen_map_close(g);

	inv_str(g, "status");
	yajl_gen_map_open(g);
	inv_kv(g, "nodeName", n->name);
	inv_kv(g, "phase", inv_phase(v->state));
	if (v->info != NULL)
		rules_migratable(&c->c, v->info, n->name, &why);
	else {
		why.v = xcalloc(1, sizeof *why.v);
		why.v[0].code = "UnreadableXML";
		xasprintf(&why.v[0].message, "the domain XML cannot be read: "
		    "%s", v->error);
		why.n = 1;
	}
	inv_kv_bool(g, "migratable", why.n == 0);
	inv_str(g, "reasons");
	yajl_gen_array_open(g);
	for (i = 0; i < why.n; i++) {
		yajl_gen_map_open(g);
		inv_kv(g, "code", why.v[i].code);
		inv_kv(g, "message", why.v[i].message);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	inv_str(g, "conditions");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	inv_kv(g, "type", "LiveMigratable");
	inv_kv(g, "status", why.n == 0 ? "True" : "False");
	inv_kv(g, "reason", why.n > 0 ? why.v[0].code : "");
	inv_kv(g, "message", why.n > 0 ? why.v[0].message : "");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	inv_str(g, "migrationState");
	if (m == NULL)
		yajl_gen_null(g);
	else {
		yajl_gen_map_open(g);
		inv_kv(g, "migrationUID", m->rec.uid);
		inv_kv(g, "migrationName", m->rec.name);
		inv_kv(g, "phase", mig_state_name(m->rec.state));
		inv_kv(g, "sourceNode", m->rec.source);
		inv_kv(g, "targetNode", m->rec.target);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	rules_reasons_clear(&why);
}

/* Where VM NAME is, once: running beats paused beats anything else. */
static const struct mig_vm *
inv_vm_find(struct mig_mgr *mgr, const char *name, struct mig_node **node)
{
	const struct mig_vm	*v, *best = NULL;
	size_t			 i;

	for (i = 0; i < mgr->nnodes; i++) {
		v = mig_inv_vm(&mgr->nodes[i], name);
		if (v == NULL)
			continue;
		if (best == NULL || (v->state == HV_DOM_RUNNING &&
		    best->state != HV_DOM_RUNNING) || (v->state ==
		    HV_DOM_PAUSED && best->state != HV_DOM_RUNNING &&
		    best->state != HV_DOM_PAUSED)) {
			best = v;
			*node = &mgr->nodes[i];
		}
	}
	return (best);
}

/* Compare VM names for sorting. */
static int
inv_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * VM NAME as JSON, or every VM (sorted by name) as a list when NAME is
 * NULL; NULL if there is no such VM.  Caller frees.
 */
char *
mig_mgr_vms_json(struct mig_mgr *mgr, const char *name)
{
	struct mig_cluster	 c;
	struct mig_node		*n = NULL;
	const struct mig_vm	*v;
	yajl_gen		 g = yajl_gen_alloc(NULL);
	char			**names = NULL, *s = NULL;
	size_t			 i, j, nnames = 0;

	mig_cluster_build(mgr, NULL, &c);
	if (name != NULL) {
		if ((v = inv_vm_find(mgr, name, &n)) != NULL) {
			inv_vm(g, mgr, &c, n, v);
			s = inv_finish(g);
			g = NULL;
		}
		goto out;
	}
	for (i = 0; i < mgr->nnodes; i++) {
		for (j = 0; j < mgr->nodes[i].nvms; j++) {
			names = xreallocarray(names, nnames + 1,
			    sizeof *names);
			names[nnames++] = mgr->nodes[i].vms[j].name;
		}
	}
	qsort(names, nnames, sizeof *names, inv_name_cmp);
	yajl_gen_map_open(g);
	inv_kv(g, "apiVersion", "ferry.io/v1");
	inv_kv(g, "kind", "VirtualMachineInstanceList");
	inv_str(g, "items");
	yajl_gen_array_open(g);
	for (i = 0; i < nnames; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;	/* on two nodes while it migrates */
		if ((v = inv_vm_find(mgr, names[i], &n)) != NULL)
			inv_vm(g, mgr, &c, n, v);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	s = inv_finish(g);
	g = NULL;
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(names);
	mig_cluster_free(&c);
	return (s);
}
