/*
 * rules.c: the cluster rules (see rules.h).  Every reason carries a stable
 * code and a sentence that names the device, volume, label or node, so an
 * operator knows what to change (seed: "remove non-migratable devices and
 * add schedulable nodes").
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/rules.h"
#include "ferry/xmalloc.h"

/* Free the messages of WHY and empty it. */
void
rules_reasons_clear(struct rules_reasons *why)
{
	size_t	i;

	for (i = 0; i < why->n; i++)
		free(why->v[i].message);
	free(why->v);
	why->v = NULL;
	why->n = 0;
}

/* Append a reason CODE with a formatted message. */
static void __attribute__((format(printf, 3, 4)))
rules_add(struct rules_reasons *why, const char *code, const char *fmt, ...)
{
	va_list	ap;

	why->v = xreallocarray(why->v, why->n + 1, sizeof *why->v);
	why->v[why->n].code = code;
	va_start(ap, fmt);
	xvasprintf(&why->v[why->n].message, fmt, ap);
	va_end(ap);
	why->n++;
}

/* Set a single reason CODE with a formatted message. */
static void __attribute__((format(printf, 3, 4)))
rules_set(struct rules_reason *why, const char *code, const char *fmt, ...)
{
	va_list	ap;

	why->code = code;
	va_start(ap, fmt);
	xvasprintf(&why->message, fmt, ap);
	va_end(ap);
}

/* Does NODE carry label KEY (with VALUE, unless VALUE is NULL)? */
static int
rules_has_label(const struct rules_node *node, const char *key,
    const char *value)
{
	size_t	i;

	for (i = 0; i < node->nlabels; i++) {
		if (strcmp(node->labels[i].key, key) != 0)
			continue;
		if (value == NULL || strcmp(node->labels[i].value, value) == 0)
			return (1);
	}
	return (0);
}

/* The value of NODE's first label starting with PREFIX, minus the prefix. */
static const char *
rules_label_suffix(const struct rules_node *node, const char *prefix)
{
	size_t	i, n = strlen(prefix);

	for (i = 0; node != NULL && i < node->nlabels; i++) {
		if (strncmp(node->labels[i].key, prefix, n) == 0)
			return (node->labels[i].key + n);
	}
	return (NULL);
}

/* Does NODE have network NAME? */
static int
rules_has_network(const struct rules_node *node, const char *name)
{
	size_t	i;

	for (i = 0; i < node->nnetworks; i++) {
		if (strcmp(node->networks[i], name) == 0)
			return (1);
	}
	return (0);
}

/* Find node NAME. */
static const struct rules_node *
rules_node_find(const struct rules_cluster *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i].name, name) == 0)
			return (&c->nodes[i]);
	}
	return (NULL);
}

/* Does the cluster model networks at all (any node declares one)? */
static int
rules_networks_modelled(const struct rules_cluster *c)
{
	size_t	i;

	for (i = 0; i < c->nnodes; i++) {
		if (c->nodes[i].nnetworks > 0)
			return (1);
	}
	return (0);
}

/* The network an interface needs on a node, or NULL if none. */
static const char *
rules_iface_network(const struct vm_iface *ifc)
{
	if (ifc->source == NULL || ifc->type == NULL)
		return (NULL);
	if (strcmp(ifc->type, "network") == 0 ||
	    strcmp(ifc->type, "bridge") == 0 ||
	    strcmp(ifc->type, "direct") == 0)
		return (ifc->source);
	return (NULL);
}

/*
 * The label a node must carry to run VM's CPU, judged from SOURCE (the
 * node the VM runs on, whose host model a host-model VM has).  NULL when
 * it cannot be known.  Caller frees.
 */
char *
rules_cpu_label(const struct rules_cluster *c, const struct vm_info *vm,
    const struct rules_node *source)
{
	const char	*model;
	char		*label;

	if (vm->cpu_mode == VM_CPU_CUSTOM && vm->cpu_model != NULL) {
		xasprintf(&label, "%s%s", NODE_LABEL_CPU_MODEL, vm->cpu_model);
		return (label);
	}
	if (vm->cpu_mode == VM_CPU_UNSET && c->cpu_model != NULL &&
	    c->cpu_model[0] != '\0') {
		xasprintf(&label, "%s%s", NODE_LABEL_CPU_MODEL, c->cpu_model);
		return (label);
	}
	/* host-model (the default), host-passthrough, maximum. */
	if ((model = rules_label_suffix(source, NODE_LABEL_HOST_MODEL)) == NULL)
		return (NULL);
	xasprintf(&label, "%s%s", NODE_LABEL_MIGRATION, model);
	return (label);
}

/* The storage class holding DISK, or NULL if none declares it. */
static const struct rules_storage *
rules_disk_storage(const struct rules_cluster *c, const struct vm_disk *d)
{
	const struct rules_storage	*best = NULL;
	size_t				 i, j, len, best_len = 0, poollen = 0;

	/* A network disk (rbd, iscsi, ...) is in the pool its name starts with. */
	if (d->pool == NULL && d->protocol != NULL && d->name != NULL)
		poollen = strcspn(d->name, "/");
	for (i = 0; i < c->nstorage; i++) {
		const struct rules_storage	*s = &c->storage[i];

		for (j = 0; j < s->npools; j++) {
			if (d->pool != NULL && strcmp(s->pools[j], d->pool) == 0)
				return (s);
			if (poollen > 0 && strlen(s->pools[j]) == poollen &&
			    strncmp(s->pools[j], d->name, poollen) == 0)
				return (s);
		}
		for (j = 0; d->path != NULL && j < s->npaths; j++) {
			len = strlen(s->paths[j]);
			/* A prefix that ends at a path component. */
			if (strncmp(d->path, s->paths[j], len) != 0)
				continue;
			if (len > 0 && s->paths[j][len - 1] != '/' &&
			    d->path[len] != '/' && d->path[len] != '\0')
				continue;
			if (len > best_len) {
				best = s;
				best_len = len;
			}
		}
	}
	return (best);
}

/* Where a disk's data lives, for messages. */
static const char *
rules_disk_where(const struct vm_disk *d)
{
	if (d->path != NULL)
		return (d->path);
	if (d->volume != NULL)
		return (d->volume);
	if (d->name != NULL)
		return (d->name);
	return ("?");
}

/* The disk rules: CD-ROM, container disk, ReadWriteOnce, one replica. */
static void
rules_disks(const struct rules_cluster *c, const struct vm_info *vm,
    struct rules_reasons *why)
{
	const struct rules_storage	*s;
	const struct vm_disk		*d;
	const char			*dev;
	size_t				 i;

	for (i = 0; i < vm->ndisks; i++) {
		d = &vm->disks[i];
		dev = d->target != NULL ? d->target : "?";
		if (d->device == VM_DISK_CDROM) {
			rules_add(why, "CDROM", "disk '%s' is a CD-ROM", dev);
			continue;
		}
		if (!d->has_source)
			continue;
		if ((s = rules_disk_storage(c, d)) == NULL) {
			rules_add(why, "ReadWriteOnceVolume", "disk '%s' (%s) "
			    "is on storage no storage class declares, so it "
			    "counts as ReadWriteOnce", dev, rules_disk_where(d));
			continue;
		}
		if (s->container_disk) {
			rules_add(why, "ContainerDisk", "disk '%s' is a "
			    "container disk (storage class '%s')", dev,
			    s->name);
			continue;
		}
		if (!s->rwx)
			rules_add(why, "ReadWriteOnceVolume", "disk '%s' is on "
			    "storage class '%s', which is ReadWriteOnce", dev,
			    s->name);
		if (s->replicas == 1)
			rules_add(why, "SingleReplicaStorage", "disk '%s' is "
			    "on storage class '%s', which keeps one replica",
			    dev, s->name);
	}
}

/* The host device rules: PCI passthrough, mdev/vGPU, USB. */
static void
rules_hostdevs(const struct vm_info *vm, struct rules_reasons *why)
{
	const struct vm_hostdev	*h;
	size_t			 i;

	for (i = 0; i < vm->nhostdevs; i++) {
		h = &vm->hostdevs[i];
		switch (h->kind) {
		case VM_HOSTDEV_PCI:
			rules_add(why, "HostDevicePCI", "PCI host device '%s' "
			    "is passed through", h->desc);
			break;
		case VM_HOSTDEV_MDEV:
			rules_add(why, "HostDeviceMdev", "mediated device "
			    "'%s' (vGPU) is passed through", h->desc);
			break;
		case VM_HOSTDEV_USB:
			rules_add(why, "HostDeviceUSB", "USB host device '%s' "
			    "is passed through", h->desc);
			break;
		case VM_HOSTDEV_OTHER:
			rules_add(why, "HostDevice", "host device '%s' is "
			    "passed through", h->desc);
			break;
		}
	}
}

/* Format label L as key=value (or key). */
static char *
rules_label_text(const struct vm_label *l)
{
	char	*s;

	if (l->value != NULL)
		xasprintf(&s, "%s=%s", l->key, l->value);
	else
		s = xstrdup(l->key);
	return (s);
}

/*
 * The placement filters that do not change from minute to minute (labels,
 * networks, CPU manager, CPU model): does NODE pass them for VM?  Sets
 * *WHY when not.
 */
static int
rules_static_fit(const struct rules_cluster *c, const struct vm_info *vm,
    const struct rules_node *source, const struct rules_node *node,
    struct rules_reason *why)
{
	const char	*net;
	char		*label, *text;
	size_t		 i;

	for (i = 0; i < vm->nnode_selector; i++) {
		if (rules_has_label(node, vm->node_selector[i].key,
		    vm->node_selector[i].value))
			continue;
		text = rules_label_text(&vm->node_selector[i]);
		rules_set(why, "NodeSelector", "node '%s' does not match the "
		    "node selector %s", node->name, text);
		free(text);
		return (0);
	}
	for (i = 0; i < vm->nrequired_labels; i++) {
		if (rules_has_label(node, vm->required_labels[i].key,
		    vm->required_labels[i].value))
			continue;
		text = rules_label_text(&vm->required_labels[i]);
		rules_set(why, "RequiredLabel", "node '%s' lacks the required "
		    "label %s", node->name, text);
		free(text);
		return (0);
	}
	if (rules_networks_modelled(c)) {
		for (i = 0; i < vm->nifaces; i++) {
			net = rules_iface_network(&vm->ifaces[i]);
			if (net == NULL || rules_has_network(node, net))
				continue;
			rules_set(why, "Network", "node '%s' does not have "
			    "network '%s'", node->name, net);
			return (0);
		}
	}
	if (vm->cpu_pinned && !node->cpu_manager) {
		rules_set(why, "CPUManager", "node '%s' has no CPU manager "
		    "for the VM's pinned CPUs", node->name);
		return (0);
	}
	label = rules_cpu_label(c, vm, source);
	if (label == NULL) {
		rules_set(why, "CPUModel", "the host model of node '%s' is "
		    "not known", source != NULL ? source->name : "?");
		return (0);
	}
	if (!rules_has_label(node, label, NULL)) {
		rules_set(why, "CPUModel", "node '%s' lacks label '%s' for "
		    "the VM's CPU", node->name, label);
		free(label);
		return (0);
	}
	free(label);
	return (1);
}

/* Nodes other than SOURCE passing the static filters, counted. */
static size_t
rules_count_static(const struct rules_cluster *c, const struct vm_info *vm,
    const struct rules_node *source)
{
	struct rules_reason	r;
	size_t			i, n = 0;

	for (i = 0; i < c->nnodes; i++) {
		if (source != NULL && &c->nodes[i] == source)
			continue;
		memset(&r, 0, sizeof r);
		if (rules_static_fit(c, vm, source, &c->nodes[i], &r))
			n++;
		free(r.message);
	}
	return (n);
}

/* Scheduling rules each checked alone: which one binds VM to SOURCE? */
static void
rules_placement(const struct rules_cluster *c, const struct vm_info *vm,
    const struct rules_node *source, const char *src_name,
    struct rules_reasons *why)
{
	const char	*net;
	char		*label, *text;
	size_t		 i, j, others;

	for (i = 0; i < vm->nnode_selector; i++) {
		for (j = others = 0; j < c->nnodes; j++) {
			if (&c->nodes[j] != source && rules_has_label(
			    &c->nodes[j], vm->node_selector[i].key,
			    vm->node_selector[i].value))
				others++;
		}
		if (others > 0)
			continue;
		text = rules_label_text(&vm->node_selector[i]);
		rules_add(why, "NodeSelector", "node selector %s binds the VM "
		    "to node '%s'", text, src_name);
		free(text);
	}
	for (i = 0; i < vm->nrequired_labels; i++) {
		for (j = others = 0; j < c->nnodes; j++) {
			if (&c->nodes[j] != source && rules_has_label(
			    &c->nodes[j], vm->required_labels[i].key,
			    vm->required_labels[i].value))
				others++;
		}
		if (others > 0)
			continue;
		text = rules_label_text(&vm->required_labels[i]);
		rules_add(why, "SchedulingRules", "required label %s matches "
		    "only node '%s'", text, src_name);
		free(text);
	}
	for (i = 0; rules_networks_modelled(c) && i < vm->nifaces; i++) {
		if ((net = rules_iface_network(&vm->ifaces[i])) == NULL)
			continue;
		for (j = others = 0; j < c->nnodes; j++) {
			if (&c->nodes[j] != source &&
			    rules_has_network(&c->nodes[j], net))
				others++;
		}
		if (others == 0)
			rules_add(why, "NetworkOnOneNode", "network '%s' of "
			    "interface %zu exists on node '%s' only", net, i,
			    src_name);
	}
	if (vm->cpu_pinned) {
		for (j = others = 0; j < c->nnodes; j++) {
			if (&c->nodes[j] != source && c->nodes[j].cpu_manager)
				others++;
		}
		if (others == 0)
			rules_add(why, "CPUPinningOneNode", "the VM pins its "
			    "CPUs and no other node has a CPU manager");
	}
	label = rules_cpu_label(c, vm, source);
	if (label == NULL)
		rules_add(why, "CPUModel", "the host model of node '%s' is "
		    "not known", src_name);
	else {
		for (j = others = 0; j < c->nnodes; j++) {
			if (&c->nodes[j] != source &&
			    rules_has_label(&c->nodes[j], label, NULL))
				others++;
		}
		if (others == 0)
			rules_add(why, "CPUModel", "no other node carries "
			    "'%s' for the VM's CPU (%s)", label,
			    vm->cpu_model != NULL ? vm->cpu_model :
			    vm_cpu_mode_name(vm->cpu_mode));
		free(label);
	}
}

/* Why VM, on SOURCE, is not live-migratable; the number of reasons. */
size_t
rules_migratable(const struct rules_cluster *c, const struct vm_info *vm,
    const char *src_name, struct rules_reasons *why)
{
	const struct rules_node	*source = rules_node_find(c, src_name);
	size_t			 before = why->n;

	rules_disks(c, vm, why);
	rules_hostdevs(vm, why);
	rules_placement(c, vm, source, src_name, why);
	/* Each rule alone may pass while no node passes them all. */
	if (why->n == before && rules_count_static(c, vm, source) == 0)
		rules_add(why, "SchedulingRules", "no node but '%s' matches "
		    "all of the VM's scheduling rules together", src_name);
	return (why->n - before);
}

/* Can NODE take VM from SOURCE now?  1, or 0 with the first refusal. */
int
rules_target_fits(const struct rules_cluster *c, const struct vm_info *vm,
    const char *src_name, const struct rules_node *node,
    struct rules_reason *why)
{
	const struct rules_node	*source = rules_node_find(c, src_name);
	uint64_t		 need, have;
	double			 limit;

	if (strcmp(node->name, src_name) == 0) {
		rules_set(why, "SourceNode", "node '%s' is where the VM runs",
		    node->name);
		return (0);
	}
	if (!node->up) {
		rules_set(why, "NodeDown", "node '%s' is not connected",
		    node->name);
		return (0);
	}
	if (!node->schedulable) {
		rules_set(why, "Unschedulable", "node '%s' is cordoned or "
		    "tainted NoSchedule", node->name);
		return (0);
	}
	if (!rules_static_fit(c, vm, source, node, why))
		return (0);
	need = vm->memory_kib + c->headroom_kib + node->inbound_kib;
	have = node->free_kib;
	if (have < need) {
		rules_set(why, "Memory", "node '%s' has %llu MiB free; the VM "
		    "needs %llu MiB plus %llu MiB headroom and %llu MiB for "
		    "inbound migrations", node->name,
		    (unsigned long long)(have / 1024),
		    (unsigned long long)(vm->memory_kib / 1024),
		    (unsigned long long)(c->headroom_kib / 1024),
		    (unsigned long long)(node->inbound_kib / 1024));
		return (0);
	}
	/* CPUs are judged only when an overcommit ratio is set. */
	limit = (double)node->cpus * c->cpu_overcommit;
	if (c->cpu_overcommit > 0 && node->cpus > 0 &&
	    (double)(node->vcpus_used +
	    node->inbound_vcpus + vm->vcpus) > limit) {
		rules_set(why, "CPU", "node '%s' has %u vCPUs in use of %.0f "
		    "allowed; the VM needs %u", node->name,
		    node->vcpus_used + node->inbound_vcpus, limit, vm->vcpus);
		return (0);
	}
	return (1);
}

/* The best fitting node for VM from SOURCE, or NULL with every refusal. */
const struct rules_node *
rules_pick_target(const struct rules_cluster *c, const struct vm_info *vm,
    const char *src_name, struct rules_reasons *why)
{
	const struct rules_node	*best = NULL, *n;
	struct rules_reason	 r;
	uint64_t		 after, best_after = 0;
	size_t			 i;

	for (i = 0; i < c->nnodes; i++) {
		n = &c->nodes[i];
		memset(&r, 0, sizeof r);
		if (!rules_target_fits(c, vm, src_name, n, &r)) {
			if (strcmp(n->name, src_name) != 0) {
				why->v = xreallocarray(why->v, why->n + 1,
				    sizeof *why->v);
				why->v[why->n++] = r;
			} else
				free(r.message);
			continue;
		}
		after = n->free_kib - n->inbound_kib - vm->memory_kib;
		if (best == NULL || after > best_after ||
		    (after == best_after && (n->inbound < best->inbound ||
		    (n->inbound == best->inbound &&
		    strcmp(n->name, best->name) < 0)))) {
			best = n;
			best_after = after;
		}
	}
	return (best);
}
