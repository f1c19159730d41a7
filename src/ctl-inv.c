/*
 * ctl-inv.c: ferryctl's view of the cluster inventory: the tables of 'get
 * nodes' and 'get vms' and the page of 'describe vm'.  Objects come from
 * the network and may be older or newer than ferryctl, so a missing or
 * mistyped field prints as "-" in a table or "<unknown>" on a describe
 * page: never an error, never a crash.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl-inv.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-util.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define CTL_INV_NODE_NCOLS	12	/* columns of 'get nodes', wide too */
#define CTL_INV_VM_NCOLS	10	/* columns of 'get vms', wide too */
#define CTL_INV_LIST_GAP	2	/* spaces between describe list columns */
#define CTL_INV_INDENT		2	/* indent of describe list lines */
#define CTL_INV_LABEL_WIDTH	18	/* "Required Labels:" and two spaces */
#define CTL_INV_SUB_WIDTH	8	/* "Phase:" and two spaces */
#define CTL_INV_KIB_PER_MIB	1024ULL
#define CTL_INV_KIB_PER_GIB	(1024ULL * 1024ULL)
#define CTL_INV_UNKNOWN		"<unknown>"

static const struct ctl_util_column
ctl_inv_node_columns[CTL_INV_NODE_NCOLS] = {
	{ .name = "NAME" },
	{ .name = "STATUS" },
	{ .name = "SCHEDULABLE" },
	{ .name = "VMS" },
	{ .name = "CPUS" },
	{ .name = "MEMORY" },
	{ .name = "HOST-MODEL" },
	{ .name = "CORDONED", .wide = 1 },	/* spec.unschedulable */
	{ .name = "TAINTS", .wide = 1 },	/* key:effect,... */
	{ .name = "VCPUS", .wide = 1 },		/* vCPUs of its VMs */
	{ .name = "INBOUND", .wide = 1 },	/* migrations coming in */
	{ .name = "NETWORKS", .wide = 1 },	/* networks it has */
};

static const struct ctl_util_column
ctl_inv_vm_columns[CTL_INV_VM_NCOLS] = {
	{ .name = "NAME" },
	{ .name = "NODE" },
	{ .name = "PHASE" },
	{ .name = "MIGRATABLE" },
	{ .name = "CPU" },
	{ .name = "MEMORY" },
	{ .name = "MIGRATION" },
	{ .name = "VCPUS", .wide = 1 },
	{ .name = "REASONS", .wide = 1 },	/* every code, not the first */
	{ .name = "MIGRATION-NODES", .wide = 1 }, /* its source->target */
};

/* Taint effects that keep new VMs off a node. */
static const char *ctl_inv_blocking_effects[] = { "NoSchedule", "NoExecute" };

/* KIB as Kubernetes prints an exact quantity: "128Mi", "2Gi", "1000Ki". */
static char *
ctl_inv_kib_text(uint64_t kib)
{
	char	*s = NULL;

	if (kib != 0 && kib % CTL_INV_KIB_PER_GIB == 0)
		xasprintf(&s, "%lluGi",
		    (unsigned long long)(kib / CTL_INV_KIB_PER_GIB));
	else if (kib != 0 && kib % CTL_INV_KIB_PER_MIB == 0)
		xasprintf(&s, "%lluMi",
		    (unsigned long long)(kib / CTL_INV_KIB_PER_MIB));
	else if (kib != 0)
		xasprintf(&s, "%lluKi", (unsigned long long)kib);
	else
		s = xstrdup("0");
	return (s);
}

/* A copy of untrusted S with control characters replaced, for printing. */
static char *
ctl_inv_clean_dup(const char *s)
{
	char	*copy = xstrdup(s);

	ctl_json_clean(copy);
	return (copy);
}

/* Whether new VMs may land on NODE (not cordoned, no blocking taint). */
static const char *
ctl_inv_node_schedulable(yajl_val node)
{
	yajl_val	 taints, t;
	const char	*effect;
	size_t		 i, j;
	int		 cordoned;

	taints = ctl_json_get(node, "spec.taints", yajl_t_array);
	for (i = 0; taints != NULL && i < taints->u.array.len; i++) {
		t = taints->u.array.values[i];
		if ((effect = ctl_json_string(t, "effect")) == NULL)
			continue;
		for (j = 0; j < nitems(ctl_inv_blocking_effects); j++) {
			if (strcmp(effect, ctl_inv_blocking_effects[j]) == 0)
				return ("false");
		}
	}
	if (ctl_json_bool(node, "spec.unschedulable", &cordoned) != 0)
		return ("-");
	return (cordoned ? "false" : "true");
}

/* NODE's memory as "free/total" GiB with one decimal: "19.1/23.4Gi". */
static char *
ctl_inv_node_memory(yajl_val node)
{
	uint64_t	 free_kib, total_kib;
	int		 has_free, has_total;
	char		 free_s[32], total_s[32], *s = NULL;

	has_free = ctl_json_count(node, "status.free.memoryKiB",
	    &free_kib) == 0;
	has_total = ctl_json_count(node, "status.capacity.memoryKiB",
	    &total_kib) == 0;
	if (!has_free && !has_total)
		return (xstrdup("-"));
	if (has_free)
		snprintf(free_s, sizeof free_s, "%.1f",
		    (double)free_kib / (double)CTL_INV_KIB_PER_GIB);
	else
		snprintf(free_s, sizeof free_s, "-");
	if (has_total)
		snprintf(total_s, sizeof total_s, "%.1f",
		    (double)total_kib / (double)CTL_INV_KIB_PER_GIB);
	else
		snprintf(total_s, sizeof total_s, "-");
	xasprintf(&s, "%s/%sGi", free_s, total_s);
	return (s);
}

/* NODE's taints as "key:effect,..." (allocated), or "<none>". */
static char *
ctl_inv_node_taints(yajl_val node)
{
	yajl_val	 taints, t;
	char		*list = NULL, *next;
	size_t		 i;

	taints = ctl_json_get(node, "spec.taints", yajl_t_array);
	for (i = 0; taints != NULL && i < taints->u.array.len; i++) {
		t = taints->u.array.values[i];
		xasprintf(&next, "%s%s%s:%s", list != NULL ? list : "",
		    list != NULL ? "," : "", ctl_json_text(t, "key", "-"),
		    ctl_json_text(t, "effect", "-"));
		free(list);
		list = next;
	}
	return (list != NULL ? list : xstrdup("<none>"));
}

/* Fill ROW with the table cells of node object NODE (allocated). */
static void
ctl_inv_node_row(yajl_val node, uint64_t now, char **row)
{
	int	ready, cordoned;

	row[0] = xstrdup(ctl_json_text(node, "metadata.name", "-"));
	if (ctl_json_bool(node, "status.ready", &ready) != 0)
		row[1] = xstrdup("-");
	else
		row[1] = xstrdup(ready ? "Ready" : "NotReady");
	row[2] = xstrdup(ctl_inv_node_schedulable(node));
	row[3] = ctl_util_count(node, "status.allocated.vms", "-");
	row[4] = ctl_util_count(node, "status.capacity.cpus", "-");
	row[5] = ctl_inv_node_memory(node);
	row[6] = xstrdup(ctl_json_text(node, "status.hostModel", "-"));
	if (ctl_json_bool(node, "spec.unschedulable", &cordoned) != 0)
		row[7] = xstrdup("-");
	else
		row[7] = xstrdup(cordoned ? "true" : "false");
	row[8] = ctl_inv_node_taints(node);
	row[9] = ctl_util_count(node, "status.allocated.vcpus", "-");
	row[10] = ctl_util_count(node, "status.inbound.migrations", "-");
	if ((row[11] = ctl_util_list(ctl_json_get(node, "spec.networks",
	    yajl_t_array))) == NULL)
		row[11] = xstrdup("<none>");
}

/* Print the N node objects of ITEMS as a table, WIDE or not, on stdout. */
int
ctl_inv_node_table(yajl_val *items, size_t n, int wide, char **cause)
{
	ctl_util_table(items, n, ctl_inv_node_columns, CTL_INV_NODE_NCOLS,
	    wide, ctl_inv_node_row);
	return (0);
}

/* The code of the first reason VM cannot migrate, or NULL. */
static const char *
ctl_inv_vm_first_code(yajl_val vm)
{
	yajl_val	reasons;

	reasons = ctl_json_get(vm, "status.reasons", yajl_t_array);
	if (reasons == NULL || reasons->u.array.len == 0)
		return (NULL);
	return (ctl_json_text(reasons->u.array.values[0], "code", NULL));
}

/*
 * The codes of every reason VM cannot migrate, "CDROM,HostDevicePCI"
 * (allocated), or NULL if it gives none.  A reason is {"code", "message"}
 * or, from an older ferryd, "CODE: sentence".
 */
static char *
ctl_inv_vm_codes(yajl_val vm)
{
	yajl_val	 reasons, r;
	const char	*code;
	char		*list = NULL, *next;
	size_t		 i, len;

	reasons = ctl_json_get(vm, "status.reasons", yajl_t_array);
	for (i = 0; reasons != NULL && i < reasons->u.array.len; i++) {
		r = reasons->u.array.values[i];
		if (YAJL_IS_STRING(r)) {
			ctl_json_clean(r->u.string);
			code = r->u.string;
			len = strcspn(code, ":");
		} else if ((code = ctl_json_text(r, "code", NULL)) != NULL)
			len = strlen(code);
		else
			continue;
		if (len == 0)
			continue;
		xasprintf(&next, "%s%s%.*s", list != NULL ? list : "",
		    list != NULL ? "," : "", (int)len, code);
		free(list);
		list = next;
	}
	return (list);
}

/* VM's MIGRATABLE cell: "true", "false (CODE)", "false" or "-". */
static char *
ctl_inv_vm_migratable(yajl_val vm)
{
	const char	*code;
	char		*s = NULL;
	int		 ok;

	if (ctl_json_bool(vm, "status.migratable", &ok) != 0)
		return (xstrdup("-"));
	if (ok)
		return (xstrdup("true"));
	if ((code = ctl_inv_vm_first_code(vm)) == NULL)
		return (xstrdup("false"));
	xasprintf(&s, "false (%s)", code);
	return (s);
}

/* VM's CPU: its named model, else its mode ("host-model"), else DEF. */
static const char *
ctl_inv_vm_cpu(yajl_val vm, const char *def)
{
	const char	*model = ctl_json_text(vm, "spec.cpu.model", NULL);

	return (model != NULL ? model : ctl_json_text(vm, "spec.cpu.mode",
	    def));
}

/* VM's memory as a quantity ("128Mi"), or DEF (allocated). */
static char *
ctl_inv_vm_memory(yajl_val vm, const char *def)
{
	uint64_t	kib;

	if (ctl_json_count(vm, "spec.memoryKiB", &kib) != 0)
		return (xstrdup(def));
	return (ctl_inv_kib_text(kib));
}

/* Fill ROW with the table cells of VM object VM (allocated). */
static void
ctl_inv_vm_row(yajl_val vm, uint64_t now, char **row)
{
	yajl_val	ms;
	int		ok;

	row[0] = xstrdup(ctl_json_text(vm, "metadata.name", "-"));
	row[1] = xstrdup(ctl_json_text(vm, "status.nodeName", "-"));
	row[2] = xstrdup(ctl_json_text(vm, "status.printableStatus",
	    ctl_json_text(vm, "status.phase", "-")));
	row[3] = ctl_inv_vm_migratable(vm);
	row[4] = xstrdup(ctl_inv_vm_cpu(vm, "-"));
	row[5] = ctl_inv_vm_memory(vm, "-");
	ms = ctl_json_get(vm, "status.migrationState", yajl_t_object);
	if (ms == NULL)
		row[6] = xstrdup("-");
	else
		xasprintf(&row[6], "%s/%s",
		    ctl_json_text(ms, "migrationName", "-"),
		    ctl_json_text(ms, "phase", "-"));
	row[7] = ctl_util_count(vm, "spec.vcpus", "-");
	if (ctl_json_bool(vm, "status.migratable", &ok) == 0 && ok)
		row[8] = xstrdup("<none>");
	else if ((row[8] = ctl_inv_vm_codes(vm)) == NULL)
		row[8] = xstrdup("-");
	if (ms == NULL)
		row[9] = xstrdup("-");
	else
		xasprintf(&row[9], "%s->%s",
		    ctl_json_text(ms, "sourceNode", "-"),
		    ctl_json_text(ms, "targetNode", "-"));
}

/* Print the N VM objects of ITEMS as a table, WIDE or not, on stdout. */
int
ctl_inv_vm_table(yajl_val *items, size_t n, int wide, char **cause)
{
	ctl_util_table(items, n, ctl_inv_vm_columns, CTL_INV_VM_NCOLS, wide,
	    ctl_inv_vm_row);
	return (0);
}

/* Print one describe line: LABEL padded to the value column, then VALUE. */
static void
ctl_inv_field(const char *label, const char *value)
{
	printf("%-*s%s\n", CTL_INV_LABEL_WIDTH, label, value);
}

/*
 * Print LABEL, then one indented line per object of the array at PATH
 * under V, with the NFIELDS string FIELDS of each in aligned columns;
 * "<none>" after LABEL if the array is missing or empty.
 */
static void
ctl_inv_field_list(yajl_val v, const char *label, const char *path,
    const char *const *fields, size_t nfields)
{
	yajl_val	  list;
	char		**cells;
	size_t		  n, i, f;

	list = ctl_json_get(v, path, yajl_t_array);
	if (list == NULL || (n = list->u.array.len) == 0) {
		ctl_inv_field(label, "<none>");
		return;
	}
	printf("%s\n", label);
	cells = xcalloc(n * nfields, sizeof *cells);
	for (i = 0; i < n; i++) {
		for (f = 0; f < nfields; f++)
			cells[i * nfields + f] = xstrdup(ctl_json_text(
			    list->u.array.values[i], fields[f], "-"));
	}
	ctl_util_cells_print(cells, n, nfields, CTL_INV_INDENT,
	    CTL_INV_LIST_GAP);
	free(cells);
}

/* One label of a map as "key=value", or "key" when any value will do. */
static char *
ctl_inv_label_text(const char *key, yajl_val value)
{
	char	*k = ctl_inv_clean_dup(key), *s = NULL;

	if (value == NULL || YAJL_IS_NULL(value))
		s = xstrdup(k);
	else if (YAJL_IS_STRING(value)) {
		ctl_json_clean(value->u.string);
		xasprintf(&s, "%s=%s", k, value->u.string);
	} else if (YAJL_IS_TRUE(value) || YAJL_IS_FALSE(value))
		xasprintf(&s, "%s=%s", k, YAJL_IS_TRUE(value) ? "true" :
		    "false");
	else if (YAJL_IS_NUMBER(value))	/* the parsed text: digits */
		xasprintf(&s, "%s=%s", k, value->u.number.r);
	else
		xasprintf(&s, "%s=?", k);
	free(k);
	return (s);
}

/*
 * Print LABEL and the labels of the object at PATH under V, the first on
 * the same line and the others aligned under it (as kubectl describe
 * prints labels); "<none>" if there are none.
 */
static void
ctl_inv_field_map(yajl_val v, const char *label, const char *path)
{
	yajl_val	 map;
	char		*text;
	size_t		 i;

	map = ctl_json_get(v, path, yajl_t_object);
	if (map == NULL || map->u.object.len == 0) {
		ctl_inv_field(label, "<none>");
		return;
	}
	for (i = 0; i < map->u.object.len; i++) {
		text = ctl_inv_label_text(map->u.object.keys[i],
		    map->u.object.values[i]);
		ctl_inv_field(i == 0 ? label : "", text);
		free(text);
	}
}

/* Print why VM cannot migrate, one "CODE: message" line per reason. */
static void
ctl_inv_field_reasons(yajl_val vm)
{
	yajl_val	reasons, r;
	size_t		i;

	reasons = ctl_json_get(vm, "status.reasons", yajl_t_array);
	if (reasons == NULL || reasons->u.array.len == 0) {
		ctl_inv_field("Reasons:", CTL_INV_UNKNOWN);
		return;
	}
	printf("Reasons:\n");
	for (i = 0; i < reasons->u.array.len; i++) {
		r = reasons->u.array.values[i];
		if (YAJL_IS_STRING(r)) {	/* "CODE: sentence" */
			ctl_json_clean(r->u.string);
			printf("%*s%s\n", CTL_INV_INDENT, "", r->u.string);
		} else
			printf("%*s%s: %s\n", CTL_INV_INDENT, "",
			    ctl_json_text(r, "code", CTL_INV_UNKNOWN),
			    ctl_json_text(r, "message", CTL_INV_UNKNOWN));
	}
}

/* Print one line of the Migration section: indented LABEL and VALUE. */
static void
ctl_inv_sub_field(const char *label, const char *value)
{
	printf("%*s%-*s%s\n", CTL_INV_INDENT, "", CTL_INV_SUB_WIDTH, label,
	    value);
}

/* Print VM's active or last migration, or "<none>". */
static void
ctl_inv_field_migration(yajl_val vm)
{
	yajl_val	 ms;
	char		*route = NULL;

	ms = ctl_json_get(vm, "status.migrationState", yajl_t_object);
	if (ms == NULL) {
		ctl_inv_field("Migration:", "<none>");
		return;
	}
	printf("Migration:\n");
	ctl_inv_sub_field("Name:", ctl_json_text(ms, "migrationName",
	    CTL_INV_UNKNOWN));
	ctl_inv_sub_field("UID:", ctl_json_text(ms, "migrationUID",
	    CTL_INV_UNKNOWN));
	ctl_inv_sub_field("Phase:", ctl_json_text(ms, "phase",
	    CTL_INV_UNKNOWN));
	xasprintf(&route, "%s -> %s", ctl_json_text(ms, "sourceNode", "-"),
	    ctl_json_text(ms, "targetNode", "-"));
	ctl_inv_sub_field("Nodes:", route);
	free(route);
}

/* Print VM object VM the way kubectl describe does, on stdout. */
int
ctl_inv_vm_describe(yajl_val vm, char **cause)
{
	static const char *const disk_fields[] = {
		"target", "device", "source"
	};
	static const char *const iface_fields[] = { "type", "source", "mac" };
	static const char *const hostdev_fields[] = { "type", "device" };
	char	*text;
	int	 ok;

	ctl_inv_field("Name:", ctl_json_text(vm, "metadata.name",
	    CTL_INV_UNKNOWN));
	ctl_inv_field("UID:", ctl_json_text(vm, "metadata.uid",
	    CTL_INV_UNKNOWN));
	ctl_inv_field("Node:", ctl_json_text(vm, "status.nodeName",
	    CTL_INV_UNKNOWN));
	ctl_inv_field("Phase:", ctl_json_text(vm, "status.phase",
	    CTL_INV_UNKNOWN));
	text = ctl_inv_vm_memory(vm, CTL_INV_UNKNOWN);
	ctl_inv_field("Memory:", text);
	free(text);
	text = ctl_util_count(vm, "spec.vcpus", CTL_INV_UNKNOWN);
	ctl_inv_field("vCPUs:", text);
	free(text);
	ctl_inv_field("CPU:", ctl_inv_vm_cpu(vm, CTL_INV_UNKNOWN));
	ctl_inv_field_list(vm, "Disks:", "spec.disks", disk_fields,
	    nitems(disk_fields));
	ctl_inv_field_list(vm, "Interfaces:", "spec.interfaces", iface_fields,
	    nitems(iface_fields));
	ctl_inv_field_list(vm, "Host Devices:", "spec.hostDevices",
	    hostdev_fields, nitems(hostdev_fields));
	ctl_inv_field_map(vm, "Node Selector:", "spec.nodeSelector");
	ctl_inv_field_map(vm, "Required Labels:", "spec.requiredLabels");
	if (ctl_json_bool(vm, "status.migratable", &ok) != 0)
		ctl_inv_field("Live Migratable:", CTL_INV_UNKNOWN);
	else {
		ctl_inv_field("Live Migratable:", ok ? "True" : "False");
		if (!ok)
			ctl_inv_field_reasons(vm);
	}
	ctl_inv_field_migration(vm);
	return (0);
}
