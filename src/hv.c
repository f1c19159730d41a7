/*
 * hv.c: the hypervisor interface's dispatch.  A node is created by one
 * driver and every call goes through that driver's table of operations.
 *
 * Drivers define struct hv_node in their own file; it must begin with the
 * two members of struct hv_node_head below, in that order, so this file can
 * find the operations table and the name of any driver's node.
 */

#include <stddef.h>

#include "ferry/hv.h"
#include "ferry/util.h"

/* The start of every driver's struct hv_node. */
struct hv_node_head {
	const struct hv_ops	*ops;	/* the driver that made the node */
	char			*name;	/* node name, owned by the driver */
};

#define HV_HEAD(node) ((struct hv_node_head *)(void *)(node))

static const char *hv_dom_state_names[] = {
	[HV_DOM_ABSENT] = "absent",
	[HV_DOM_RUNNING] = "running",
	[HV_DOM_PAUSED] = "paused",
	[HV_DOM_SHUTOFF] = "shutoff",
	[HV_DOM_OTHER] = "other",
};

static const char *hv_event_names[] = {
	[HV_EV_STARTED] = "started",
	[HV_EV_STARTED_MIGRATED] = "started-migrated",
	[HV_EV_SUSPENDED_MIGRATED] = "suspended-migrated",
	[HV_EV_SUSPENDED_POSTCOPY] = "suspended-postcopy",
	[HV_EV_RESUMED] = "resumed",
	[HV_EV_STOPPED_MIGRATED] = "stopped-migrated",
	[HV_EV_STOPPED] = "stopped",
	[HV_EV_UNDEFINED] = "undefined",
	[HV_EV_OTHER_LIFECYCLE] = "other-lifecycle",
	[HV_EV_MIGRATION_ITERATION] = "migration-iteration",
	[HV_EV_JOB_COMPLETED] = "job-completed",
};

/* Create a node with driver OPS; it starts connecting in the background. */
struct hv_node *
hv_node_create(const struct hv_ops *ops, struct event_base *base,
    struct workers *workers, const struct hv_node_params *params,
    const struct hv_node_cbs *cbs)
{
	return (ops->node_create(base, workers, params, cbs));
}

/* Free a node (NULL is fine); its pending callbacks are not called. */
void
hv_node_free(struct hv_node *node)
{
	if (node != NULL)
		HV_HEAD(node)->ops->node_free(node);
}

/* Is the node's connection up? */
int
hv_node_is_up(struct hv_node *node)
{
	return (HV_HEAD(node)->ops->node_is_up(node));
}

/* The node's name, as configured. */
const char *
hv_node_name(struct hv_node *node)
{
	return (HV_HEAD(node)->name);
}

/* Start a live peer-to-peer migration of VM; CB when the call returns. */
void
hv_migrate(struct hv_node *node, const char *vm,
    const struct hv_migrate_params *params, hv_done_cb cb, void *arg)
{
	HV_HEAD(node)->ops->migrate(node, vm, params, cb, arg);
}

/* Sample the statistics of VM's current job. */
void
hv_job_stats(struct hv_node *node, const char *vm, hv_stats_cb cb, void *arg)
{
	HV_HEAD(node)->ops->job_stats(node, vm, cb, arg);
}

/* Abort VM's current job. */
void
hv_job_abort(struct hv_node *node, const char *vm, hv_done_cb cb, void *arg)
{
	HV_HEAD(node)->ops->job_abort(node, vm, cb, arg);
}

/* Find where VM stands on the node. */
void
hv_dom_state(struct hv_node *node, const char *vm, hv_state_cb cb, void *arg)
{
	HV_HEAD(node)->ops->dom_state(node, vm, cb, arg);
}

/* List every domain of NODE. */
void
hv_list_domains(struct hv_node *node, hv_domains_cb cb, void *arg)
{
	HV_HEAD(node)->ops->list_domains(node, cb, arg);
}

/* What NODE says of itself. */
void
hv_host_info(struct hv_node *node, hv_host_cb cb, void *arg)
{
	HV_HEAD(node)->ops->host_info(node, cb, arg);
}

/* Can NODE run CPU_XML? */
void
hv_compare_cpu(struct hv_node *node, const char *cpu_xml, hv_compare_cb cb,
    void *arg)
{
	HV_HEAD(node)->ops->compare_cpu(node, cpu_xml, cb, arg);
}

/* Name of a domain state, for logs and JSON. */
const char *
hv_dom_state_name(enum hv_dom_state state)
{
	if ((size_t)state >= nitems(hv_dom_state_names) ||
	    hv_dom_state_names[state] == NULL)
		return ("unknown");
	return (hv_dom_state_names[state]);
}

/* Name of a domain event, for logs and JSON. */
const char *
hv_event_name(enum hv_event ev)
{
	if ((size_t)ev >= nitems(hv_event_names) || hv_event_names[ev] == NULL)
		return ("unknown");
	return (hv_event_names[ev]);
}
