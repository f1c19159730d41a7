/*
 * mig-inv.c: the inventory.  For each node: its capabilities (and the
 * labels computed from them), memory, and every domain with its XML parsed
 * into a vm_info.  Refreshed when a node connects, shortly after domain
 * lifecycle events, and every inventory_interval; the loop never waits for
 * it (hv calls answer later).  Also builds the rules' view of the cluster.
 */

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/mig-priv.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define MIG_INV_SOON_MS		200	/* after a domain event */
#define MIG_INV_HOSTNAME	"kubernetes.io/hostname"

static void	mig_inv_timer(evutil_socket_t, short, void *);

/* Free the VMs of N. */
static void
mig_inv_vms_free(struct mig_vm *vms, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(vms[i].name);
		vm_info_free(vms[i].info);
		free(vms[i].error);
	}
	free(vms);
}

/* Arm N's periodic refresh. */
static void
mig_inv_arm(struct mig_node *n)
{
	struct timeval	tv = { n->mgr->cfg->inventory_interval, 0 };

	evtimer_add(n->inv_timer, &tv);
}

/* One of the two refresh calls of N ended. */
static void
mig_inv_call_done(struct mig_node *n)
{
	struct mig_inv_waiter	*due = NULL;
	size_t			 i, ndue = 0, kept = 0;

	if (--n->inv_busy > 0)
		return;
	n->inv_at = util_wall_ms();
	/* Answer those this refresh was for; later ones wait for theirs. */
	for (i = 0; i < n->nwaiters; i++) {
		if (n->waiters[i].gen <= n->inv_gen) {
			due = xreallocarray(due, ndue + 1, sizeof *due);
			due[ndue++] = n->waiters[i];
		} else
			n->waiters[kept++] = n->waiters[i];
	}
	n->nwaiters = kept;
	if (n->inv_again) {
		n->inv_again = 0;
		mig_inv_refresh(n, NULL, NULL);
	}
	for (i = 0; i < ndue; i++)
		due[i].cb(due[i].arg);
	free(due);
}

/* Add label KEY=VALUE to N unless it has the key already. */
static void
mig_inv_label_add(struct mig_node *n, const char *key, size_t keylen,
    const char *value)
{
	size_t	i;

	for (i = 0; i < n->nlabels; i++) {
		if (strlen(n->labels[i].key) == keylen &&
		    strncmp(n->labels[i].key, key, keylen) == 0)
			return;
	}
	n->labels = xreallocarray(n->labels, n->nlabels + 1,
	    sizeof *n->labels);
	n->labels[n->nlabels].key = xstrndup(key, keylen);
	n->labels[n->nlabels].value = xstrdup(value);
	n->nlabels++;
}

/* Recompute N's labels: configured first (they win), hostname, computed. */
static void
mig_inv_labels(struct mig_node *n)
{
	struct node_label	*computed = NULL;
	size_t			 ncomputed = 0, i;
	const char		*item, *eq;

	node_labels_free(n->labels, n->nlabels);
	n->labels = NULL;
	n->nlabels = 0;
	for (i = 0; i < n->cfg->labels.n; i++) {
		item = n->cfg->labels.v[i];
		if ((eq = strchr(item, '=')) == NULL)
			continue;	/* config.c refuses these */
		mig_inv_label_add(n, item, (size_t)(eq - item), eq + 1);
	}
	mig_inv_label_add(n, MIG_INV_HOSTNAME, strlen(MIG_INV_HOSTNAME),
	    n->name);
	if (n->have_caps)
		node_caps_labels(&n->caps, &computed, &ncomputed);
	for (i = 0; i < ncomputed; i++)
		mig_inv_label_add(n, computed[i].key, strlen(computed[i].key),
		    computed[i].value);
	node_labels_free(computed, ncomputed);
}

/* The host answered: capabilities, memory, CPUs. */
static void
mig_inv_host_done(int rc, const struct hv_host *h, const char *err,
    void *arg)
{
	struct mig_node		*n = arg;
	struct node_caps	 caps;
	static const char	 no_domcaps[] = "<domainCapabilities/>";
	const char		*dc;
	char			*cause = NULL;

	if (rc != 0) {
		log_warn("node '%s': cannot read its capabilities: %s",
		    n->name, err);
		goto out;
	}
	n->memory_kib = h->memory_kib;
	n->free_kib = h->free_kib;
	n->cpus = h->cpus;
	dc = h->domcaps_xml != NULL ? h->domcaps_xml : no_domcaps;
	if (node_caps_parse(h->caps_xml, strlen(h->caps_xml), dc, strlen(dc),
	    &caps, &cause) != 0) {
		log_error("node '%s': its capabilities do not parse: %s",
		    n->name, cause);
		free(cause);
		goto out;
	}
	node_caps_clear(&n->caps);
	n->caps = caps;
	n->have_caps = 1;
	mig_inv_labels(n);
out:
	mig_inv_call_done(n);
}

/*
 * Take the CPU as configured from the defined XML: live XML shows a
 * host-model (or unset) CPU expanded to the model it resolved to, but
 * the rules judge what the VM asks for.
 */
static void
mig_inv_config_cpu(struct vm_info *live, const char *config_xml)
{
	struct vm_info	*cfg = NULL;
	char		*cause = NULL;

	if (vm_info_parse(config_xml, strlen(config_xml), &cfg, &cause) != 0) {
		free(cause);
		return;
	}
	live->cpu_mode = cfg->cpu_mode;
	free(live->cpu_model);
	live->cpu_model = cfg->cpu_model;
	cfg->cpu_model = NULL;
	vm_info_free(cfg);
}

/* The host listed its domains. */
static void
mig_inv_domains_done(int rc, const struct hv_domain *d, size_t nd,
    const char *err, void *arg)
{
	struct mig_node	*n = arg;
	struct mig_vm	*vms;
	size_t		 i;

	if (rc != 0) {
		log_warn("node '%s': cannot list its domains: %s", n->name,
		    err);
		goto out;
	}
	vms = xcalloc(nd, sizeof *vms);
	for (i = 0; i < nd; i++) {
		vms[i].name = xstrdup(d[i].name);
		vms[i].state = d[i].state;
		if (vm_info_parse(d[i].xml, strlen(d[i].xml), &vms[i].info,
		    &vms[i].error) != 0)
			log_warn("node '%s': domain '%s' has XML ferry cannot "
			    "read: %s", n->name, d[i].name, vms[i].error);
		else if (d[i].config_xml != NULL)
			mig_inv_config_cpu(vms[i].info, d[i].config_xml);
	}
	mig_inv_vms_free(n->vms, n->nvms);
	n->vms = vms;
	n->nvms = nd;
	n->have_vms = 1;
out:
	mig_inv_call_done(n);
}

/*
 * Refresh N's inventory; CB(ARG), if not NULL, runs once it is done (or at
 * once, later, if N is down).
 */
void
mig_inv_refresh(struct mig_node *n, void (*cb)(void *), void *arg)
{
	/* A waiter wants a refresh that starts after it asked. */
	if (cb != NULL) {
		n->waiters = xreallocarray(n->waiters, n->nwaiters + 1,
		    sizeof *n->waiters);
		n->waiters[n->nwaiters].cb = cb;
		n->waiters[n->nwaiters].arg = arg;
		n->waiters[n->nwaiters].gen = n->inv_gen + 1;
		n->nwaiters++;
	}
	if (n->inv_busy > 0) {
		n->inv_again = 1;
		return;
	}
	/* A down node answers both calls with errors, from the loop. */
	n->inv_gen++;
	n->inv_busy = 2;
	hv_host_info(n->hv, mig_inv_host_done, n);
	hv_list_domains(n->hv, mig_inv_domains_done, n);
}

/* Periodic refresh. */
static void
mig_inv_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig_node	*n = arg;

	if (n->up)
		mig_inv_refresh(n, NULL, NULL);
	mig_inv_arm(n);
}

/* Soon after domain events: one refresh for a burst of them. */
static void
mig_inv_soon_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig_node	*n = arg;

	if (n->up)
		mig_inv_refresh(n, NULL, NULL);
}

/* A domain of N started, stopped, moved...: refresh shortly. */
void
mig_inv_domain_event(struct mig_node *n)
{
	struct timeval	tv = { 0, MIG_INV_SOON_MS * 1000 };

	if (!evtimer_pending(n->inv_soon, NULL))
		evtimer_add(n->inv_soon, &tv);
}

/* N connected (UP) or went away. */
void
mig_inv_node_changed(struct mig_node *n, int up)
{
	if (up)
		mig_inv_refresh(n, NULL, NULL);
}

/* Create the inventory timers of every node. */
void
mig_inv_start(struct mig_mgr *mgr)
{
	size_t	i;

	for (i = 0; i < mgr->nnodes; i++) {
		struct mig_node	*n = &mgr->nodes[i];

		n->inv_timer = evtimer_new(mgr->base, mig_inv_timer, n);
		n->inv_soon = evtimer_new(mgr->base, mig_inv_soon_timer, n);
		mig_inv_arm(n);
		mig_inv_labels(n);
	}
}

/* Free every node's inventory. */
void
mig_inv_stop(struct mig_mgr *mgr)
{
	size_t	i;

	for (i = 0; i < mgr->nnodes; i++) {
		struct mig_node	*n = &mgr->nodes[i];

		if (n->inv_timer != NULL)
			event_free(n->inv_timer);
		if (n->inv_soon != NULL)
			event_free(n->inv_soon);
		mig_inv_vms_free(n->vms, n->nvms);
		node_labels_free(n->labels, n->nlabels);
		node_caps_clear(&n->caps);
		free(n->waiters);
	}
}

/* VM NAME as last listed on N, or NULL. */
const struct mig_vm *
mig_inv_vm(struct mig_node *n, const char *name)
{
	size_t	i;

	for (i = 0; i < n->nvms; i++) {
		if (strcmp(n->vms[i].name, name) == 0)
			return (&n->vms[i]);
	}
	return (NULL);
}

/* The rules' node NAME in C, or NULL. */
const struct rules_node *
mig_cluster_node(const struct mig_cluster *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->c.nnodes; i++) {
		if (strcmp(c->nodes[i].name, name) == 0)
			return (&c->nodes[i]);
	}
	return (NULL);
}

/*
 * Fill the rules' view of the cluster from the inventory and config.
 * Migrations heading to a node count against it, except SELF (the one
 * being placed, or NULL).
 */
void
mig_cluster_build(struct mig_mgr *mgr, const struct mig *self,
    struct mig_cluster *c)
{
	const struct config	*cfg = mgr->cfg;
	struct rules_node	*r;
	struct mig_node		*n;
	const struct mig_vm	*v;
	struct mig		*m;
	size_t			 i, j;

	memset(c, 0, sizeof *c);
	c->nodes = xcalloc(mgr->nnodes, sizeof *c->nodes);
	for (i = 0; i < mgr->nnodes; i++) {
		n = &mgr->nodes[i];
		r = &c->nodes[i];
		r->name = n->name;
		r->labels = n->labels;
		r->nlabels = n->nlabels;
		r->networks = (const char *const *)n->cfg->networks.v;
		r->nnetworks = n->cfg->networks.n;
		r->up = n->up && n->have_caps && n->have_vms;
		r->schedulable = n->cfg->schedulable && !n->cordoned;
		r->cpu_manager = n->cfg->cpu_manager;
		r->free_kib = n->free_kib;
		r->cpus = n->cpus;
		for (j = 0; j < n->nvms; j++) {
			v = &n->vms[j];
			if (v->info != NULL && (v->state == HV_DOM_RUNNING ||
			    v->state == HV_DOM_PAUSED))
				r->vcpus_used += v->info->vcpus;
		}
	}
	/* Migrations heading to a node count against it. */
	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (m == self || !mig_state_active(m->rec.state) ||
		    m->rec.target == NULL)
			continue;
		for (i = 0; i < mgr->nnodes; i++) {
			if (strcmp(mgr->nodes[i].name, m->rec.target) != 0)
				continue;
			c->nodes[i].inbound++;
			n = mig_node_find(mgr, m->rec.source);
			v = n != NULL ? mig_inv_vm(n, m->rec.vm) : NULL;
			if (v != NULL && v->info != NULL) {
				c->nodes[i].inbound_kib += v->info->memory_kib;
				c->nodes[i].inbound_vcpus += v->info->vcpus;
			}
		}
	}
	c->storage = xcalloc(cfg->nstorage, sizeof *c->storage);
	for (i = 0; i < cfg->nstorage; i++) {
		const struct config_storage	*s = &cfg->storage[i];

		c->storage[i].name = s->name;
		c->storage[i].paths = (const char *const *)s->paths.v;
		c->storage[i].npaths = s->paths.n;
		c->storage[i].pools = (const char *const *)s->pools.v;
		c->storage[i].npools = s->pools.n;
		c->storage[i].rwx = strcmp(s->access_mode, "ReadWriteMany") == 0;
		c->storage[i].replicas = s->replicas;
		c->storage[i].container_disk =
		    strcmp(s->kind, "containerDisk") == 0;
	}
	c->c.nodes = c->nodes;
	c->c.nnodes = mgr->nnodes;
	c->c.storage = c->storage;
	c->c.nstorage = cfg->nstorage;
	c->c.cpu_model = cfg->cpu_model;
	c->c.headroom_kib = (uint64_t)cfg->memory_headroom * 1024;
	c->c.cpu_overcommit = 0;	/* no CPU limit unless configured */
}

/* Free what mig_cluster_build allocated. */
void
mig_cluster_free(struct mig_cluster *c)
{
	free(c->nodes);
	free(c->storage);
}
