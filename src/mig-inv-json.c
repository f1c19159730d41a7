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
#include "ferry/json.h"
#include "ferry/mig-priv.h"
#include "ferry/xmalloc.h"

/* One node object. */
static void
inv_node(yajl_gen g, struct mig_mgr *mgr, struct mig_node *n,
    const struct rules_node *r)
{
	size_t	i;

	yajl_gen_map_open(g);
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "Node");
	json_str(g, "metadata");
	yajl_gen_map_open(g);
	json_kv_str(g, "name", n->name);
	json_str(g, "labels");
	yajl_gen_map_open(g);
	for (i = 0; i < n->nlabels; i++)
		json_kv_str(g, n->labels[i].key, n->labels[i].value);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	json_str(g, "spec");
	yajl_gen_map_open(g);
	json_kv_bool(g, "unschedulable", !n->cfg->schedulable || n->cordoned);
	json_str(g, "taints");
	yajl_gen_array_open(g);
	if (n->cordoned) {
		/* Drained: the evacuation taint (evac.h). */
		yajl_gen_map_open(g);
		json_kv_str(g, "key", mgr->cfg->evacuation_taint);
		json_kv_str(g, "effect", "NoSchedule");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	json_kv_bool(g, "cpuManager", n->cfg->cpu_manager);
	json_str(g, "networks");
	yajl_gen_array_open(g);
	for (i = 0; i < n->cfg->networks.n; i++)
		json_str(g, n->cfg->networks.v[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	json_str(g, "status");
	yajl_gen_map_open(g);
	json_kv_bool(g, "ready", n->up);
	json_kv_str(g, "hostModel", n->have_caps ? n->caps.host_model : NULL);
	json_str(g, "capacity");
	yajl_gen_map_open(g);
	json_kv_int(g, "memoryKiB", n->memory_kib);
	json_kv_int(g, "cpus", n->cpus);
	yajl_gen_map_close(g);
	json_str(g, "free");
	yajl_gen_map_open(g);
	json_kv_int(g, "memoryKiB", n->free_kib);
	yajl_gen_map_close(g);
	json_str(g, "allocated");
	yajl_gen_map_open(g);
	json_kv_int(g, "vcpus", r->vcpus_used);
	json_kv_int(g, "vms", n->nvms);
	yajl_gen_map_close(g);
	json_str(g, "inbound");
	yajl_gen_map_open(g);
	json_kv_int(g, "migrations", r->inbound);
	json_kv_int(g, "memoryKiB", r->inbound_kib);
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
		json_kv_str(g, "apiVersion", "ferry.io/v1");
		json_kv_str(g, "kind", "NodeList");
		json_str(g, "items");
		yajl_gen_array_open(g);
		for (i = 0; i < mgr->nnodes; i++)
			inv_node(g, mgr, &mgr->nodes[i], &c.nodes[i]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		s = json_finish(g);
		g = NULL;
	} else {
		for (i = 0; i < mgr->nnodes; i++) {
			if (strcmp(mgr->nodes[i].name, name) != 0)
				continue;
			inv_node(g, mgr, &mgr->nodes[i], &c.nodes[i]);
			s = json_finish(g);
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

	json_str(g, key);
	yajl_gen_map_open(g);
	for (i = 0; i < n; i++)
		json_kv_str(g, l[i].key, l[i].value);
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

	json_kv_int(g, "memoryKiB", vi->memory_kib);
	json_kv_int(g, "vcpus", vi->vcpus);
	json_str(g, "cpu");
	yajl_gen_map_open(g);
	json_kv_str(g, "mode", vm_cpu_mode_name(vi->cpu_mode));
	json_kv_str(g, "model", vi->cpu_model);
	json_kv_bool(g, "pinned", vi->cpu_pinned);
	yajl_gen_map_close(g);
	json_str(g, "disks");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->ndisks; i++) {
		d = &vi->disks[i];
		yajl_gen_map_open(g);
		json_kv_str(g, "target", d->target);
		json_kv_str(g, "device", vm_disk_device_name(d->device));
		json_kv_str(g, "source", d->path != NULL ? d->path :
		    d->volume != NULL ? d->volume : d->name);
		if (d->pool != NULL)
			json_kv_str(g, "pool", d->pool);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	json_str(g, "interfaces");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->nifaces; i++) {
		yajl_gen_map_open(g);
		json_kv_str(g, "type", vi->ifaces[i].type);
		json_kv_str(g, "source", vi->ifaces[i].source);
		json_kv_str(g, "mac", vi->ifaces[i].mac);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	json_str(g, "hostDevices");
	yajl_gen_array_open(g);
	for (i = 0; i < vi->nhostdevs; i++) {
		yajl_gen_map_open(g);
		json_kv_str(g, "type", hostdev_kinds[vi->hostdevs[i].kind]);
		json_kv_str(g, "device", vi->hostdevs[i].desc);
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
	const struct mig_record	*r;
	size_t			 i;

	/* Ours if active, else another replica's active one, else ours. */
	if (m != NULL && mig_state_active(m->rec.state))
		r = &m->rec;
	else if ((r = mig_cluster_active(mgr, v->name)) == NULL && m != NULL)
		r = &m->rec;

	yajl_gen_map_open(g);
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "VirtualMachineInstance");
	json_str(g, "metadata");
	yajl_gen_map_open(g);
	json_kv_str(g, "name", v->name);
	json_kv_str(g, "uid", v->info != NULL ? v->info->uuid : NULL);
	yajl_gen_map_close(g);

	json_str(g, "spec");
	yajl_gen_map_open(g);
	if (v->info != NULL)
		inv_vm_spec(g, v->info);
	yajl_gen_map_close(g);

	json_str(g, "status");
	yajl_gen_map_open(g);
	json_kv_str(g, "nodeName", n->name);
	json_kv_str(g, "phase", inv_phase(v->state));
	/* As KubeVirt prints a VM being moved. */
	if (r != NULL && r->state == MIG_PENDING)
		json_kv_str(g, "printableStatus", "Pending migration");
	else if (r != NULL && mig_state_active(r->state))
		json_kv_str(g, "printableStatus", "Migrating");
	else
		json_kv_str(g, "printableStatus", inv_phase(v->state));
	if (v->info != NULL)
		rules_migratable(&c->c, v->info, n->name, &why);
	else {
		why.v = xcalloc(1, sizeof *why.v);
		why.v[0].code = "UnreadableXML";
		xasprintf(&why.v[0].message, "the domain XML cannot be read: "
		    "%s", v->error);
		why.n = 1;
	}
	json_kv_bool(g, "migratable", why.n == 0);
	json_str(g, "reasons");
	yajl_gen_array_open(g);
	for (i = 0; i < why.n; i++) {
		yajl_gen_map_open(g);
		json_kv_str(g, "code", why.v[i].code);
		json_kv_str(g, "message", why.v[i].message);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	json_str(g, "conditions");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	json_kv_str(g, "type", "LiveMigratable");
	json_kv_str(g, "status", why.n == 0 ? "True" : "False");
	json_kv_str(g, "reason", why.n > 0 ? why.v[0].code : "");
	json_kv_str(g, "message", why.n > 0 ? why.v[0].message : "");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	json_str(g, "migrationState");
	if (r == NULL)
		yajl_gen_null(g);
	else {
		yajl_gen_map_open(g);
		json_kv_str(g, "migrationUID", r->uid);
		json_kv_str(g, "migrationName", r->name);
		json_kv_str(g, "phase", mig_state_name(r->state));
		json_kv_str(g, "sourceNode", r->source);
		json_kv_str(g, "targetNode", r->target);
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
			s = json_finish(g);
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
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "VirtualMachineInstanceList");
	json_str(g, "items");
	yajl_gen_array_open(g);
	for (i = 0; i < nnames; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;	/* on two nodes while it migrates */
		if ((v = inv_vm_find(mgr, names[i], &n)) != NULL)
			inv_vm(g, mgr, &c, n, v);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	s = json_finish(g);
	g = NULL;
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(names);
	mig_cluster_free(&c);
	return (s);
}
