/*
 * ctl-get.c: ferryctl's 'get': list migrations, nodes, VMs or evacuations,
 * or show one, as a table (-o wide: more columns), as the API's JSON
 * (-o json) or as bare names, one a line (-o name, what scripts and the
 * bash completion read).  The tables themselves are ctl-mig.c's,
 * ctl-inv.c's and ctl-evac.c's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl.h"
#include "ferry/ctl-api.h"
#include "ferry/ctl-evac.h"
#include "ferry/ctl-get.h"
#include "ferry/ctl-inv.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-mig.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* A kind of object 'get' shows: where the API keeps it, how to print it. */
struct ctl_get_kind {
	const char	*singular;	/* "node": needs a NAME */
	const char	*plural;	/* "nodes": the list, or one NAME */
	const char	*path;		/* API collection, "/v1/nodes" */
	int		(*table)(yajl_val *, size_t, int, char **); /* rows,
					   wide or not */
	int		 by_node;	/* the list takes ?node=NODE */
	int		(*valid)(const char *); /* NAME check, NULL: a name */
};

static int	ctl_get_exec(struct ctl *, int, char **);

/* What 'get' shows, by the names the operator types. */
static const struct ctl_get_kind ctl_get_kinds[] = {
	{ .singular = "migration", .plural = "migrations",
	  .path = "/v1/migrations", .table = ctl_mig_table },
	{ .singular = "node", .plural = "nodes",
	  .path = "/v1/nodes", .table = ctl_inv_node_table },
	{ .singular = "vm", .plural = "vms",
	  .path = "/v1/vms", .table = ctl_inv_vm_table },
	{ .singular = "evacuation", .plural = "evacuations",
	  .path = "/v1/evacuations", .table = ctl_evac_table, .by_node = 1,
	  .valid = ctl_evac_id_valid },
};

const struct ctl_cmd ctl_get_cmd = {
	.name = "get",
	.usage = "get TYPE [NAME] [--node NODE] [-o json|wide|name]",
	.summary = "list migrations, nodes, VMs or evacuations, or show one",
	.help = "TYPE is migrations, nodes, vms or evacuations; migration,\n"
	    "node, vm or evacuation need a NAME.  Columns:\n"
	    "  get migrations   NAME VM SOURCE TARGET PHASE REASON PROGRESS "
	    "AGE\n"
	    "  get nodes        NAME STATUS SCHEDULABLE VMS CPUS MEMORY "
	    "HOST-MODEL\n"
	    "  get vms          NAME NODE PHASE MIGRATABLE CPU MEMORY "
	    "MIGRATION\n"
	    "  get evacuations  NAME NODE PHASE DONE/TOTAL AGE REASON\n"
	    "and with -o wide, after those:\n"
	    "  get migrations   DATA RATE ELAPSED EVACUATION MESSAGE\n"
	    "  get nodes        CORDONED TAINTS VCPUS INBOUND NETWORKS\n"
	    "  get vms          VCPUS REASONS MIGRATION-NODES\n"
	    "  get evacuations  SUCCEEDED FAILED ELAPSED BY MESSAGE\n"
	    "A node's MEMORY is free/total GiB.  A VM's MIGRATABLE gives the\n"
	    "code of the first reason it cannot move ('ferryctl describe vm\n"
	    "NAME' lists them all), REASONS every code, and MIGRATION its\n"
	    "active or last one.  A migration's DATA is processed/total MiB.\n"
	    "An evacuation's DONE counts the VMs whose migration ended and\n"
	    "those that cannot move, of the TOTAL found on the node.\n"
	    "--node NODE lists only NODE's evacuations.\n",
	.opts = CTL_OPT_OUTPUT|CTL_OPT_NODE,
	.min_args = 1,
	.max_args = 2,
	.exec = ctl_get_exec,
};

/* Find the kind NAME names; *SINGULAR says whether it was the singular. */
static const struct ctl_get_kind *
ctl_get_kind_find(const char *name, int *singular)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_get_kinds); i++) {
		if (strcmp(ctl_get_kinds[i].plural, name) == 0) {
			*singular = 0;
			return (&ctl_get_kinds[i]);
		}
		if (strcmp(ctl_get_kinds[i].singular, name) == 0) {
			*singular = 1;
			return (&ctl_get_kinds[i]);
		}
	}
	return (NULL);
}

/* Print the names of the N objects of ITEMS, one a line (-o name). */
static void
ctl_get_names(yajl_val *items, size_t n)
{
	const char	*name;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((name = ctl_json_text(items[i], "metadata.name",
		    NULL)) != NULL)
			printf("%s\n", name);
	}
}

/* Print the N objects of ITEMS of KIND as CTL asks; -1 with *CAUSE. */
static int
ctl_get_print(struct ctl *ctl, const struct ctl_get_kind *kind,
    yajl_val *items, size_t n, char **cause)
{
	switch (ctl->output) {
	case CTL_OUTPUT_NAME:
		ctl_get_names(items, n);
		return (0);
	case CTL_OUTPUT_TABLE:
	case CTL_OUTPUT_WIDE:
		return (kind->table(items, n, ctl->output == CTL_OUTPUT_WIDE,
		    cause));
	case CTL_OUTPUT_JSON:	/* printed whole by ctl_get_exec */
		break;
	}
	return (0);
}

/*
 * get TYPE [NAME] [--node NODE] [-o json|wide|name]: list migrations,
 * nodes, VMs or evacuations (--node: only NODE's evacuations), or show
 * one.
 */
static int
ctl_get_exec(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_get_kind	*kind;
	yajl_val			 tree = NULL, items;
	char				*path = NULL, *cause = NULL;
	long				 status;
	int				 singular, retval = CTL_EXIT_ERROR;

	if ((kind = ctl_get_kind_find(argv[0], &singular)) == NULL)
		return (ctl_usage_error(&ctl_get_cmd,
		    "unknown resource type '%s' (known: migrations, nodes, vms, evacuations)",
		    argv[0]));
	if (argc == 2 && !(kind->valid != NULL ? kind->valid(argv[1]) :
	    util_name_valid(argv[1])))
		return (ctl_usage_error(NULL, "invalid %s name '%s'",
		    kind->singular, argv[1]));
	if (argc == 1 && singular)
		return (ctl_usage_error(&ctl_get_cmd,
		    "'get %s' needs a NAME", kind->singular));
	if (ctl->node != NULL && (!kind->by_node || argc == 2))
		return (ctl_usage_error(&ctl_get_cmd,
		    "--node only filters the list of evacuations"));
	if (ctl->node != NULL && !util_name_valid(ctl->node))
		return (ctl_usage_error(NULL, "invalid node name '%s'",
		    ctl->node));

	/* Names are [A-Za-z0-9_.-]: safe in a path and a query. */
	if (argc == 2)
		xasprintf(&path, "%s/%s", kind->path, argv[1]);
	else if (ctl->node != NULL)
		xasprintf(&path, "%s?node=%s", kind->path, ctl->node);
	else
		path = xstrdup(kind->path);
	if (ctl_api_call(ctl->api, "GET", path, NULL, &tree, &status,
	    &cause) != 0)
		goto out;
	if (ctl->output == CTL_OUTPUT_JSON) {
		if (ctl_json_print(tree) == 0)
			retval = CTL_EXIT_OK;
		goto out;
	}
	if (argc == 2) {
		if (ctl_get_print(ctl, kind, &tree, 1, &cause) == 0)
			retval = CTL_EXIT_OK;
		goto out;
	}
	if ((items = ctl_json_get(tree, "items", yajl_t_array)) == NULL) {
		cause = xstrdup(
		    "bad response from server: no 'items' array in the list");
		goto out;
	}
	if (items->u.array.len == 0) {
		fprintf(stderr, "No %s found.\n", kind->plural);
		retval = CTL_EXIT_OK;
	} else if (ctl_get_print(ctl, kind, items->u.array.values,
	    items->u.array.len, &cause) == 0)
		retval = CTL_EXIT_OK;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	yajl_tree_free(tree);
	free(cause);
	free(path);
	return (retval);
}
