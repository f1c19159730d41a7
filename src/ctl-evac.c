/*
 * ctl-evac.c: ferryctl's evacuation commands: drain (and following the
 * evacuation it starts with --wait), uncordon, the table of 'get
 * evacuations' and the page of 'describe evacuation'.  Objects come from
 * the network: in a table or on a page a missing or mistyped field prints
 * as "-" or "<unknown>"; only what a --wait needs to decide is checked
 * strictly, and then it is an error, never a crash.
 */

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl-api.h"
#include "ferry/ctl-evac.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-mig.h"
#include "ferry/ctl-util.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define CTL_EVAC_NCOLS		11	/* columns of 'get evacuations' */
#define CTL_EVAC_VM_NCOLS	4	/* columns of describe's VM table */
#define CTL_EVAC_LIST_GAP	2	/* spaces between describe columns */
#define CTL_EVAC_INDENT		2	/* indent of describe list lines */
#define CTL_EVAC_LABEL_WIDTH	15	/* "Requested By:" and two spaces */
#define CTL_EVAC_BY_MAX		64	/* bytes of --by, as the API takes */
#define CTL_EVAC_ID_MAX		128	/* bytes of an evacuation id */
#define CTL_EVAC_POLL_MS	250	/* --wait poll interval */
#define CTL_EVAC_RETRY_MS	10000	/* --wait rides out outages this long */
#define CTL_EVAC_START_MS	60000	/* --wait for the evacuation to appear */
#define CTL_EVAC_UNKNOWN	"<unknown>"

/* How an evacuation's phase ends a --wait. */
enum ctl_evac_kind {
	CTL_EVAC_RUNNING,	/* running (or a phase we do not know) */
	CTL_EVAC_COMPLETED,	/* final: every VM moved */
	CTL_EVAC_FAILED,	/* final: some VMs remain, or it timed out */
	CTL_EVAC_CANCELLED,	/* final: the node was uncordoned */
};

static const struct {
	const char		*name;	/* phase as the API spells it */
	enum ctl_evac_kind	 kind;	/* whether and how it ends a wait */
} ctl_evac_phases[] = {
	{ .name = "running", .kind = CTL_EVAC_RUNNING },
	{ .name = "completed", .kind = CTL_EVAC_COMPLETED },
	{ .name = "failed", .kind = CTL_EVAC_FAILED },
	{ .name = "cancelled", .kind = CTL_EVAC_CANCELLED },
};

static const struct ctl_util_column
ctl_evac_columns[CTL_EVAC_NCOLS] = {
	{ .name = "NAME" },
	{ .name = "NODE" },
	{ .name = "PHASE" },
	{ .name = "DONE/TOTAL" },
	{ .name = "AGE" },
	{ .name = "REASON" },
	{ .name = "SUCCEEDED", .wide = 1 },	/* VMs moved */
	{ .name = "FAILED", .wide = 1 },	/* VMs that remain */
	{ .name = "ELAPSED", .wide = 1 },	/* start to end, or now */
	{ .name = "BY", .wide = 1 },		/* who asked */
	{ .name = "MESSAGE", .wide = 1 },	/* the detail of REASON */
};

static const char *ctl_evac_vm_columns[CTL_EVAC_VM_NCOLS] = {
	"VM", "MIGRATION", "PHASE", "REASON"
};

/* The fields a --wait follows; strings point into the parsed tree. */
struct ctl_evac {
	const char		*name;		/* metadata.name, a valid name */
	const char		*node;		/* spec.node, or "-" */
	const char		*phase;		/* status.phase, never empty */
	enum ctl_evac_kind	 kind;		/* what the phase means */
	const char		*reason;	/* status.reason, "" if none */
	const char		*message;	/* status.message, "" if none */
	char			 counts[48];	/* "done/total", or "-" */
	uint64_t		 created_ms;	/* status.createdMs, or 0 */
	uint64_t		 ended_ms;	/* status.endedMs, or 0 */
	yajl_val		 vms;		/* status.vms, or NULL */
};

/* A drain --wait: which evacuation it follows and what it has shown. */
struct ctl_evac_wait {
	struct ctl_api	 *api;		/* client for ferryd */
	const char	 *node;		/* node being drained */
	char		 *id;		/* evacuation followed, NULL until known */
	char		**old;		/* the node's evacuations already ended */
	size_t		  nold;		/* entries of old */
	int		  tty;		/* stdout is a tty: redraw one line */
	size_t		  line_len;	/* length of the line on screen */
	int		  told_waiting;	/* "waiting ... to start" printed */
	char		  last[48];	/* counts printed last (plain mode) */
	uint64_t	  started;	/* when waiting began, monotonic ms */
};

/*
 * Is ID a possible evacuation id: [A-Za-z0-9_.-], 1 to CTL_EVAC_ID_MAX
 * bytes ("<node>-drain-xxxxx" may be longer than a node name)?
 */
int
ctl_evac_id_valid(const char *id)
{
	size_t	n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return (n > 0 && n <= CTL_EVAC_ID_MAX && id[n] == '\0');
}

/* Is WHO fit for "by": 1 to CTL_EVAC_BY_MAX bytes, no control characters? */
int
ctl_evac_by_valid(const char *who)
{
	size_t	i;

	if (*who == '\0' || strlen(who) > CTL_EVAC_BY_MAX)
		return (0);
	for (i = 0; who[i] != '\0'; i++) {
		if ((unsigned char)who[i] < 0x20 || who[i] == 0x7f)
			return (0);
	}
	return (1);
}

/* The body of a drain or uncordon: {"by": BY}, or NULL (none) if BY is. */
static char *
ctl_evac_body(const char *by)
{
	char	*body, *p;
	size_t	 i;

	if (by == NULL)
		return (NULL);
	/* Each byte takes at most 6 ("\u001f"), plus {"by":""} and a NUL. */
	body = p = xmalloc(strlen(by) * 6 + 16);
	p += sprintf(p, "{\"by\":\"");
	for (i = 0; by[i] != '\0'; i++) {
		if (by[i] == '"' || by[i] == '\\')
			p += sprintf(p, "\\%c", by[i]);
		else if ((unsigned char)by[i] < 0x20)
			p += sprintf(p, "\\u%04x", (unsigned char)by[i]);
		else
			*p++ = by[i];
	}
	strcpy(p, "\"}");
	return (body);
}

/* How PHASE ends a wait. */
static enum ctl_evac_kind
ctl_evac_phase_kind(const char *phase)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_evac_phases); i++) {
		if (strcmp(ctl_evac_phases[i].name, phase) == 0)
			return (ctl_evac_phases[i].kind);
	}
	return (CTL_EVAC_RUNNING);
}

/* "done/total" of evacuation V into BUF, or "-" if either is unknown. */
static void
ctl_evac_counts(yajl_val v, char *buf, size_t len)
{
	uint64_t	done, total;

	if (ctl_json_count(v, "status.done", &done) != 0 ||
	    ctl_json_count(v, "status.total", &total) != 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu/%llu", (unsigned long long)done,
		    (unsigned long long)total);
}

/* Fill E from evacuation object V; -1 if what a --wait needs is missing. */
static int
ctl_evac_parse(yajl_val v, struct ctl_evac *e, char **cause)
{
	memset(e, 0, sizeof *e);
	if (!YAJL_IS_OBJECT(v)) {
		*cause = xstrdup(
		    "bad response from server: an evacuation is not an object");
		return (-1);
	}
	e->name = ctl_json_string(v, "metadata.name");
	if (e->name == NULL || !ctl_evac_id_valid(e->name)) {
		xasprintf(cause,
		    "bad response from server: invalid evacuation name '%s'",
		    e->name != NULL ? e->name : "");
		return (-1);
	}
	e->phase = ctl_json_string(v, "status.phase");
	if (e->phase == NULL || *e->phase == '\0') {
		xasprintf(cause,
		    "bad response from server: evacuation '%s' without 'status.phase'",
		    e->name);
		return (-1);
	}
	e->kind = ctl_evac_phase_kind(e->phase);
	e->node = ctl_json_text(v, "spec.node", "-");
	e->reason = ctl_json_text(v, "status.reason", "");
	e->message = ctl_json_text(v, "status.message", "");
	ctl_evac_counts(v, e->counts, sizeof e->counts);
	if (ctl_json_count(v, "status.createdMs", &e->created_ms) != 0)
		e->created_ms = 0;
	if (ctl_json_count(v, "status.endedMs", &e->ended_ms) != 0)
		e->ended_ms = 0;
	e->vms = ctl_json_get(v, "status.vms", yajl_t_array);
	return (0);
}

/* Fill ROW with the table cells of evacuation object V (allocated). */
static void
ctl_evac_row(yajl_val v, uint64_t now, char **row)
{
	char		counts[48], age[16], elapsed[32];
	uint64_t	created, ended;

	ctl_evac_counts(v, counts, sizeof counts);
	ctl_mig_age(ctl_json_string(v, "metadata.creationTimestamp"), now,
	    age, sizeof age);
	row[0] = xstrdup(ctl_json_text(v, "metadata.name", "-"));
	row[1] = xstrdup(ctl_json_text(v, "spec.node", "-"));
	row[2] = xstrdup(ctl_json_text(v, "status.phase", "-"));
	row[3] = xstrdup(counts);
	row[4] = xstrdup(age);
	row[5] = xstrdup(ctl_json_text(v, "status.reason", "-"));
	row[6] = ctl_util_count(v, "status.succeeded", "-");
	row[7] = ctl_util_count(v, "status.failed", "-");
	if (ctl_json_count(v, "status.createdMs", &created) != 0 ||
	    created == 0)
		snprintf(elapsed, sizeof elapsed, "-");
	else {
		if (ctl_json_count(v, "status.endedMs", &ended) != 0 ||
		    ended == 0)
			ended = now;
		ctl_util_duration(ended > created ? ended - created : 0,
		    elapsed, sizeof elapsed);
	}
	row[8] = xstrdup(elapsed);
	row[9] = xstrdup(ctl_json_text(v, "spec.requestedBy", "-"));
	row[10] = xstrdup(ctl_json_text(v, "status.message", "-"));
}

/* Print the N evacuation objects of ITEMS as a table, WIDE or not. */
int
ctl_evac_table(yajl_val *items, size_t n, int wide, char **cause)
{
	ctl_util_table(items, n, ctl_evac_columns, CTL_EVAC_NCOLS, wide,
	    ctl_evac_row);
	return (0);
}

/* Reason I of a VM entry's "reasons" as text (allocated), or NULL. */
static char *
ctl_evac_vm_reason(yajl_val vm, size_t i)
{
	yajl_val	 reasons, r;
	char		*s = NULL;

	reasons = ctl_json_get(vm, "reasons", yajl_t_array);
	if (reasons == NULL || i >= reasons->u.array.len)
		return (NULL);
	r = reasons->u.array.values[i];
	if (YAJL_IS_STRING(r)) {		/* "CODE: sentence" */
		ctl_json_clean(r->u.string);
		return (xstrdup(r->u.string));
	}
	xasprintf(&s, "%s: %s", ctl_json_text(r, "code", CTL_EVAC_UNKNOWN),
	    ctl_json_text(r, "message", CTL_EVAC_UNKNOWN));
	return (s);
}

/* Number of reasons of a VM entry. */
static size_t
ctl_evac_vm_nreasons(yajl_val vm)
{
	yajl_val	reasons = ctl_json_get(vm, "reasons", yajl_t_array);

	return (reasons != NULL ? reasons->u.array.len : 0);
}

/*
 * Print the VM table of evacuation V: a row per VM, its reason (or first
 * reason) in the last column and every further reason on a row of its
 * own below it.
 */
static void
ctl_evac_vm_table(yajl_val vms)
{
	yajl_val	  vm;
	char		**cells, *first;
	size_t		  rows = 1, nr, i, j, r = 1, c;
	const char	 *reason;

	for (i = 0; i < vms->u.array.len; i++) {
		nr = ctl_evac_vm_nreasons(vms->u.array.values[i]);
		rows += nr > 1 ? nr : 1;
		if (nr > 0 && ctl_json_text(vms->u.array.values[i], "reason",
		    NULL) != NULL)
			rows++;
	}
	cells = xcalloc(rows * CTL_EVAC_VM_NCOLS, sizeof *cells);
	for (c = 0; c < CTL_EVAC_VM_NCOLS; c++)
		cells[c] = xstrdup(ctl_evac_vm_columns[c]);
	for (i = 0; i < vms->u.array.len; i++) {
		vm = vms->u.array.values[i];
		cells[r * CTL_EVAC_VM_NCOLS] = xstrdup(ctl_json_text(vm, "vm",
		    "-"));
		cells[r * CTL_EVAC_VM_NCOLS + 1] = xstrdup(ctl_json_text(vm,
		    "migration", "-"));
		cells[r * CTL_EVAC_VM_NCOLS + 2] = xstrdup(ctl_json_text(vm,
		    "phase", "-"));
		nr = ctl_evac_vm_nreasons(vm);
		j = 0;
		if ((reason = ctl_json_text(vm, "reason", NULL)) != NULL)
			first = xstrdup(reason);
		else if ((first = ctl_evac_vm_reason(vm, j)) != NULL)
			j++;
		else
			first = xstrdup("-");
		cells[r * CTL_EVAC_VM_NCOLS + 3] = first;
		r++;
		for (; j < nr; j++, r++) {
			for (c = 0; c < CTL_EVAC_VM_NCOLS - 1; c++)
				cells[r * CTL_EVAC_VM_NCOLS + c] = xstrdup("");
			cells[r * CTL_EVAC_VM_NCOLS + 3] =
			    ctl_evac_vm_reason(vm, j);
		}
	}
	ctl_util_cells_print(cells, r, CTL_EVAC_VM_NCOLS, CTL_EVAC_INDENT,
	    CTL_EVAC_LIST_GAP);
	free(cells);
}

/* Print one describe line: LABEL padded to the value column, then VALUE. */
static void
ctl_evac_field(const char *label, const char *value)
{
	printf("%-*s%s\n", CTL_EVAC_LABEL_WIDTH, label, value);
}

/* Print evacuation object V the way kubectl describe does, on stdout. */
int
ctl_evac_describe(yajl_val v, char **cause)
{
	yajl_val	vms;
	char		counts[48], line[160];
	uint64_t	succeeded, failed;
	int		has_s, has_f;

	ctl_evac_field("Name:", ctl_json_text(v, "metadata.name",
	    CTL_EVAC_UNKNOWN));
	ctl_evac_field("Node:", ctl_json_text(v, "spec.node",
	    CTL_EVAC_UNKNOWN));
	ctl_evac_field("Requested By:", ctl_json_text(v, "spec.requestedBy",
	    CTL_EVAC_UNKNOWN));
	ctl_evac_field("Phase:", ctl_json_text(v, "status.phase",
	    CTL_EVAC_UNKNOWN));
	ctl_evac_field("Reason:", ctl_json_text(v, "status.reason", "<none>"));
	ctl_evac_field("Message:", ctl_json_text(v, "status.message",
	    "<none>"));
	ctl_evac_field("Created:", ctl_json_text(v,
	    "metadata.creationTimestamp", CTL_EVAC_UNKNOWN));
	ctl_evac_field("Ended:", ctl_json_text(v, "status.endTimestamp",
	    "<none>"));

	ctl_evac_counts(v, counts, sizeof counts);
	has_s = ctl_json_count(v, "status.succeeded", &succeeded) == 0;
	has_f = ctl_json_count(v, "status.failed", &failed) == 0;
	if (strcmp(counts, "-") == 0)
		snprintf(line, sizeof line, "%s", CTL_EVAC_UNKNOWN);
	else if (has_s && has_f)
		snprintf(line, sizeof line, "%s done (%llu succeeded, "
		    "%llu failed)", counts, (unsigned long long)succeeded,
		    (unsigned long long)failed);
	else
		snprintf(line, sizeof line, "%s done", counts);
	ctl_evac_field("VMs:", line);
	vms = ctl_json_get(v, "status.vms", yajl_t_array);
	if (vms != NULL && vms->u.array.len > 0)
		ctl_evac_vm_table(vms);
	return (0);
}

/* Say, once, that the evacuation has not started yet. */
static void
ctl_evac_wait_starting(struct ctl_evac_wait *w)
{
	char	line[160];

	snprintf(line, sizeof line,
	    "waiting for the evacuation of node %s to start", w->node);
	if (w->tty)
		ctl_util_line_draw(&w->line_len, line);
	else if (!w->told_waiting) {
		printf("%s\n", line);
		fflush(stdout);
	}
	w->told_waiting = 1;
}

/*
 * The bytes the migrations of evacuation ID have moved, summed into BUF
 * ("56.2/128.5 MiB, 20.0 MiB/s, 6s left": those started so far, the rate
 * of those copying), or "" if ferryd does not say.
 */
static void
ctl_evac_wait_bytes(struct ctl_evac_wait *w, const char *id, char *buf,
    size_t len)
{
	struct ctl_mig	 m, sum;
	yajl_val	 tree = NULL, items;
	char		*cause = NULL;
	long		 status;
	size_t		 i, n = 0;

	buf[0] = '\0';
	if (ctl_api_call(w->api, "GET", "/v1/migrations", NULL, &tree, &status,
	    &cause) != 0 || (items = ctl_json_get(tree, "items",
	    yajl_t_array)) == NULL)
		goto out;
	memset(&sum, 0, sizeof sum);
	for (i = 0; i < items->u.array.len; i++) {
		if (ctl_mig_parse(items->u.array.values[i], &m, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		if (strcmp(m.evacuation, id) != 0 || !m.has_progress)
			continue;
		/* Pages sent again can take processed past the total. */
		if (m.kind == CTL_MIG_SUCCEEDED || m.processed > m.total)
			m.processed = m.total;
		sum.total += m.total;
		sum.processed += m.processed;
		if (m.kind == CTL_MIG_ACTIVE) {
			sum.remaining += m.total - m.processed;
			sum.bps += m.bps;
		}
		n++;
	}
	if (n > 0)
		ctl_mig_progress(&sum, buf, len);
out:
	free(cause);
	yajl_tree_free(tree);
}

/*
 * Show E's progress: redraw the line (VMs and bytes), or print a line
 * when the VM counts moved.
 */
static void
ctl_evac_wait_show(struct ctl_evac_wait *w, const struct ctl_evac *e)
{
	char	line[384], bytes[128];

	if (!w->tty && strcmp(w->last, e->counts) == 0)
		return;
	ctl_evac_wait_bytes(w, e->name, bytes, sizeof bytes);
	if (w->tty) {
		snprintf(line, sizeof line, "evacuation %s: %s, %s VMs done%s%s",
		    e->name, e->phase, e->counts, bytes[0] != '\0' ? ", " : "",
		    bytes);
		ctl_util_line_draw(&w->line_len, line);
		return;
	}
	printf("evacuation %s: %s VMs done%s%s\n", e->name, e->counts,
	    bytes[0] != '\0' ? ", " : "", bytes);
	fflush(stdout);
	snprintf(w->last, sizeof w->last, "%s", e->counts);
}

/* Print, one line each, the VMs of E that did not move and why. */
static void
ctl_evac_wait_remaining(const struct ctl_evac *e)
{
	yajl_val	 vm;
	const char	*phase, *mig, *reason;
	char		*r;
	size_t		 i, j, nr;

	for (i = 0; e->vms != NULL && i < e->vms->u.array.len; i++) {
		vm = e->vms->u.array.values[i];
		phase = ctl_json_text(vm, "phase", NULL);
		if (phase != NULL && strcmp(phase, "succeeded") == 0)
			continue;
		mig = ctl_json_text(vm, "migration", NULL);
		printf("  %s", ctl_json_text(vm, "vm", "-"));
		if (mig != NULL)
			printf(" (%s %s)", mig, phase != NULL ? phase : "-");
		else
			printf(" (not migrated)");
		reason = ctl_json_text(vm, "reason", NULL);
		nr = ctl_evac_vm_nreasons(vm);
		if (reason != NULL)
			printf(": %s", reason);
		for (j = 0; j < nr; j++) {
			if ((r = ctl_evac_vm_reason(vm, j)) == NULL)
				continue;
			printf("%s%s", reason == NULL && j == 0 ? ": " : "; ",
			    r);
			free(r);
		}
		printf("\n");
	}
}

/* Print how E ended and return what the drain came to. */
static enum ctl_evac_end
ctl_evac_wait_done(struct ctl_evac_wait *w, const struct ctl_evac *e)
{
	char	took[32] = "", why[512] = "";

	ctl_util_line_clear(&w->line_len);
	if (e->created_ms != 0 && e->ended_ms >= e->created_ms)
		snprintf(took, sizeof took, " in %.1fs",
		    (double)(e->ended_ms - e->created_ms) / 1000.0);
	if (e->kind == CTL_EVAC_COMPLETED) {
		printf("evacuation %s completed: %s VMs done%s\n", e->name,
		    e->counts, took);
		return (CTL_EVAC_END_OK);
	}
	if (*e->reason != '\0' || *e->message != '\0')
		snprintf(why, sizeof why, " (%s%s%s)", e->reason,
		    *e->reason != '\0' && *e->message != '\0' ? ", " : "",
		    e->message);
	printf("evacuation %s %s%s: %s VMs done%s\n", e->name, e->phase, why,
	    e->counts, took);
	ctl_evac_wait_remaining(e);
	return (e->kind == CTL_EVAC_FAILED ? CTL_EVAC_END_FAILED :
	    CTL_EVAC_END_CANCELLED);
}

/* Had evacuation ID of W's node already ended before the drain? */
static int
ctl_evac_wait_is_old(struct ctl_evac_wait *w, const char *id)
{
	size_t	i;

	for (i = 0; i < w->nold; i++) {
		if (strcmp(w->old[i], id) == 0)
			return (1);
	}
	return (0);
}

/* The "items" array of list TREE, or NULL with *CAUSE. */
static yajl_val
ctl_evac_items(yajl_val tree, char **cause)
{
	yajl_val	items = ctl_json_get(tree, "items", yajl_t_array);

	if (items == NULL)
		*cause = xstrdup(
		    "bad response from server: no 'items' array in the list");
	return (items);
}

/*
 * Before draining, note the evacuations of W's node that have ended: the
 * one a --wait follows is the newest of the others, so neither an old
 * evacuation nor the clocks of two hosts can fool it.
 */
static int
ctl_evac_wait_snapshot(struct ctl_evac_wait *w, char **cause)
{
	yajl_val	 tree = NULL, items, v;
	const char	*name, *node, *phase;
	char		*path = NULL;
	long		 status;
	size_t		 i;
	int		 rc = -1;

	xasprintf(&path, "/v1/evacuations?node=%s", w->node);
	if (ctl_api_call(w->api, "GET", path, NULL, &tree, &status,
	    cause) != 0 || (items = ctl_evac_items(tree, cause)) == NULL)
		goto out;
	for (i = 0; i < items->u.array.len; i++) {
		v = items->u.array.values[i];
		name = ctl_json_string(v, "metadata.name");
		node = ctl_json_string(v, "spec.node");
		phase = ctl_json_string(v, "status.phase");
		if (name == NULL || node == NULL || phase == NULL ||
		    strcmp(node, w->node) != 0 ||
		    ctl_evac_phase_kind(phase) == CTL_EVAC_RUNNING)
			continue;
		w->old = xreallocarray(w->old, w->nold + 1, sizeof *w->old);
		w->old[w->nold++] = xstrdup(name);
	}
	rc = 0;
out:
	yajl_tree_free(tree);
	free(path);
	return (rc);
}

/*
 * The newest evacuation of W's node in list TREE that had not ended
 * before the drain: *ITEM, or NULL if there is none yet.
 */
static int
ctl_evac_wait_pick(struct ctl_evac_wait *w, yajl_val tree, yajl_val *item,
    char **cause)
{
	yajl_val	 items, v;
	const char	*name, *node;
	uint64_t	 created, best = 0;
	size_t		 i;

	*item = NULL;
	if ((items = ctl_evac_items(tree, cause)) == NULL)
		return (-1);
	/* Oldest first: on equal times, the later one wins. */
	for (i = 0; i < items->u.array.len; i++) {
		v = items->u.array.values[i];
		name = ctl_json_string(v, "metadata.name");
		node = ctl_json_string(v, "spec.node");
		if (name == NULL || !ctl_evac_id_valid(name) || node == NULL ||
		    strcmp(node, w->node) != 0 || ctl_evac_wait_is_old(w, name))
			continue;
		if (ctl_json_count(v, "status.createdMs", &created) != 0)
			created = 0;
		if (*item == NULL || created >= best) {
			*item = v;
			best = created;
		}
	}
	return (0);
}

/* Follow the evacuation of W's node until it ends. */
static enum ctl_evac_end
ctl_evac_wait(struct ctl_evac_wait *w)
{
	struct ctl_evac		 e;
	struct sigaction	 old;
	yajl_val		 tree = NULL, item;
	char			*path = NULL, *cause = NULL;
	uint64_t		 last_ok;
	long			 status;
	enum ctl_evac_end	 end = CTL_EVAC_END_ERROR;

	w->tty = isatty(STDOUT_FILENO);
	w->started = last_ok = util_now_ms();

	ctl_util_sigint_start(&old);

	for (;;) {
		if (ctl_api_interrupted()) {
			ctl_util_line_clear(&w->line_len);
			fprintf(stderr,
			    "ferryctl: stopped waiting; the drain of node '%s' goes on (cancel it with 'ferryctl uncordon %s')\n",
			    w->node, w->node);
			end = CTL_EVAC_END_INTERRUPTED;
			goto out;
		}
		yajl_tree_free(tree);
		tree = NULL;
		free(cause);
		cause = NULL;
		free(path);
		if (w->id != NULL)
			xasprintf(&path, "/v1/evacuations/%s", w->id);
		else
			xasprintf(&path, "/v1/evacuations?node=%s", w->node);
		if (ctl_api_call(w->api, "GET", path, NULL, &tree, &status,
		    &cause) != 0) {
			if (ctl_api_interrupted())
				continue;
			/* Ride out a restarting ferryd or a network blip. */
			if ((status == 0 || status >= 500) &&
			    util_now_ms() - last_ok < CTL_EVAC_RETRY_MS) {
				ctl_util_sleep_ms(CTL_EVAC_POLL_MS);
				continue;
			}
			goto out;
		}
		last_ok = util_now_ms();
		item = tree;
		if (w->id == NULL) {
			if (ctl_evac_wait_pick(w, tree, &item, &cause) != 0)
				goto out;
			if (item == NULL) {
				if (util_now_ms() - w->started >=
				    CTL_EVAC_START_MS) {
					xasprintf(&cause,
					    "no evacuation of node '%s' started within %ds (is a ferryd replica leading?)",
					    w->node, CTL_EVAC_START_MS / 1000);
					goto out;
				}
				ctl_evac_wait_starting(w);
				ctl_util_sleep_ms(CTL_EVAC_POLL_MS);
				continue;
			}
		}
		if (ctl_evac_parse(item, &e, &cause) != 0)
			goto out;
		if (w->id == NULL)
			w->id = xstrdup(e.name);
		if (e.kind != CTL_EVAC_RUNNING) {
			end = ctl_evac_wait_done(w, &e);
			goto out;
		}
		ctl_evac_wait_show(w, &e);
		ctl_util_sleep_ms(CTL_EVAC_POLL_MS);
	}
out:
	ctl_util_sigint_stop(&old);
	if (cause != NULL) {
		ctl_util_line_clear(&w->line_len);
		fprintf(stderr, "ferryctl: %s\n", cause);
	}
	yajl_tree_free(tree);
	free(cause);
	free(path);
	return (end);
}

/*
 * POST /v1/nodes/NODE/ACTION with BY (NULL: no body, ferryd writes
 * "api"); *TREE is the answer.  -1 with the reason printed.
 */
static int
ctl_evac_post(struct ctl_api *api, const char *node, const char *action,
    const char *by, yajl_val *tree)
{
	char		*path = NULL, *body = NULL, *cause = NULL;
	const char	*id;
	long		 status;
	int		 rc = -1;

	/* NODE is [A-Za-z0-9_.-]: safe in a path. */
	xasprintf(&path, "/v1/nodes/%s/%s", node, action);
	body = ctl_evac_body(by);
	if (ctl_api_call(api, "POST", path, body, tree, &status,
	    &cause) != 0)
		goto out;
	id = ctl_json_string(*tree, "evacuation");
	if (id != NULL && !ctl_evac_id_valid(id)) {
		xasprintf(&cause,
		    "bad response from server: invalid evacuation name '%s'",
		    id);
		goto out;
	}
	rc = 0;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	if (rc != 0) {
		yajl_tree_free(*tree);
		*tree = NULL;
	}
	free(cause);
	free(body);
	free(path);
	return (rc);
}

/*
 * drain NODE [--wait] [--by WHO]: cordon and taint NODE; with WAIT follow
 * the evacuation the drain starts until it ends.
 */
enum ctl_evac_end
ctl_evac_drain(struct ctl_api *api, const char *node, const char *by,
    int wait)
{
	struct ctl_evac_wait	 w;
	yajl_val		 tree = NULL;
	const char		*taint, *id;
	char			*cause = NULL;
	size_t			 i;
	enum ctl_evac_end	 end = CTL_EVAC_END_ERROR;

	memset(&w, 0, sizeof w);
	w.api = api;
	w.node = node;
	if (wait && ctl_evac_wait_snapshot(&w, &cause) != 0) {
		fprintf(stderr, "ferryctl: %s\n", cause);
		goto out;
	}
	if (ctl_evac_post(api, node, "drain", by, &tree) != 0)
		goto out;
	taint = ctl_json_text(tree, "taint", NULL);
	id = ctl_json_text(tree, "evacuation", NULL);
	if (taint != NULL)
		printf("node %s drained (cordoned, taint %s)\n", node, taint);
	else
		printf("node %s drained (cordoned)\n", node);
	if (id != NULL)
		printf("evacuation %s\n", id);
	fflush(stdout);
	if (!wait) {
		end = CTL_EVAC_END_OK;
		goto out;
	}
	if (id != NULL && !ctl_evac_wait_is_old(&w, id))
		w.id = xstrdup(id);
	yajl_tree_free(tree);
	tree = NULL;
	end = ctl_evac_wait(&w);
out:
	for (i = 0; i < w.nold; i++)
		free(w.old[i]);
	free(w.old);
	free(w.id);
	yajl_tree_free(tree);
	free(cause);
	return (end);
}

/* uncordon NODE [--by WHO]: take NODE's cordon and taint off. */
enum ctl_evac_end
ctl_evac_uncordon(struct ctl_api *api, const char *node, const char *by)
{
	yajl_val	 tree = NULL;
	const char	*id;

	if (ctl_evac_post(api, node, "uncordon", by, &tree) != 0)
		return (CTL_EVAC_END_ERROR);
	printf("node %s uncordoned\n", node);
	if ((id = ctl_json_text(tree, "evacuation", NULL)) != NULL)
		printf("evacuation %s ends cancelled: its pending migrations "
		    "are aborted, running ones finish\n", id);
	yajl_tree_free(tree);
	return (CTL_EVAC_END_OK);
}
