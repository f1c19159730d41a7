/*
 * evac-record.c: the evacuation record (see evac-priv.h): names, the
 * outcome of each VM, the counts and phase derived from them, the status
 * message, and the JSON of the API objects (yajl_gen to encode, yajl_tree
 * with every field checked to decode).  Pure: no loop, no Redis.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ferry/evac.h"
#include "ferry/evac-priv.h"
#include "ferry/json.h"
#include "ferry/mig-fsm.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Longest field kept of a rejected request's strings. */
#define EVAC_RECORD_FIELD_MAX	256

/* status.phase names. */
static const char *const evac_phase_names[] = {
	[EVAC_RUNNING] = "running",
	[EVAC_COMPLETED] = "completed",
	[EVAC_FAILED] = "failed",
	[EVAC_CANCELLED] = "cancelled",
};

/* status.reason names. */
static const char *const evac_reason_names[] = {
	[EVAC_REASON_NONE] = "",
	[EVAC_REASON_VMS_REMAIN] = "VMsRemain",
	[EVAC_REASON_TIMEOUT] = "EvacuationTimeout",
	[EVAC_REASON_CANCELLED] = "EvacuationCancelled",
};

/* Name of phase P. */
const char *
evac_phase_name(enum evac_phase p)
{
	if ((size_t)p >= nitems(evac_phase_names) ||
	    evac_phase_names[p] == NULL)
		return ("unknown");
	return (evac_phase_names[p]);
}

/* Name of reason R ("" for none). */
const char *
evac_reason_name(enum evac_reason r)
{
	if ((size_t)r >= nitems(evac_reason_names) ||
	    evac_reason_names[r] == NULL)
		return ("unknown");
	return (evac_reason_names[r]);
}

/* Phase named S into *OUT; 0, or -1 if S names none. */
int
evac_phase_parse(const char *s, enum evac_phase *out)
{
	size_t	i;

	for (i = 0; s != NULL && i < nitems(evac_phase_names); i++) {
		if (evac_phase_names[i] != NULL &&
		    strcmp(s, evac_phase_names[i]) == 0) {
			*out = (enum evac_phase)i;
			return (0);
		}
	}
	return (-1);
}

/* Reason named S into *OUT; 0, or -1 if S names none. */
int
evac_reason_parse(const char *s, enum evac_reason *out)
{
	size_t	i;

	for (i = 0; s != NULL && i < nitems(evac_reason_names); i++) {
		if (evac_reason_names[i] != NULL &&
		    strcmp(s, evac_reason_names[i]) == 0) {
			*out = (enum evac_reason)i;
			return (0);
		}
	}
	return (-1);
}

/* Free the members of one VM entry and zero it. */
void
evac_record_vm_clear(struct evac_vm *v)
{
	size_t	i;

	free(v->vm);
	free(v->migration);
	free(v->phase);
	free(v->reason);
	for (i = 0; i < v->nreasons; i++)
		free(v->reasons[i]);
	free(v->reasons);
	memset(v, 0, sizeof *v);
}

/* Free the members of REC and zero it. */
void
evac_record_clear(struct evac_record *rec)
{
	size_t	i;

	free(rec->id);
	free(rec->node);
	free(rec->by);
	free(rec->message);
	for (i = 0; i < rec->nvms; i++)
		evac_record_vm_clear(&rec->vms[i]);
	free(rec->vms);
	memset(rec, 0, sizeof *rec);
}

/* Is ID a possible evacuation id ([A-Za-z0-9_.-], 1..EVAC_ID_MAX)? */
int
evac_record_id_valid(const char *id)
{
	size_t	i;

	if (id == NULL || *id == '\0')
		return (0);
	for (i = 0; id[i] != '\0'; i++) {
		if (i >= EVAC_ID_MAX)
			return (0);
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    id[i] == '_' || id[i] == '.' || id[i] == '-'))
			return (0);
	}
	return (1);
}

/* What became of VM V (see enum evac_vm_outcome). */
enum evac_vm_outcome
evac_record_vm_outcome(const struct evac_vm *v)
{
	enum mig_state	st;

	if (v->migration != NULL) {
		if (v->phase == NULL || mig_state_parse(v->phase, &st) != 0 ||
		    !mig_state_final(st))
			return (EVAC_VM_MIGRATING);
		return (st == MIG_SUCCEEDED ? EVAC_VM_MOVED : EVAC_VM_REMAINS);
	}
	if (v->nreasons > 0)
		return (EVAC_VM_CANNOT_MOVE);
	if (v->reason != NULL && strncmp(v->reason, EVAC_VM_GONE_CODE,
	    strlen(EVAC_VM_GONE_CODE)) == 0)
		return (EVAC_VM_GONE);
	return (EVAC_VM_WAITING);
}

/* Count REC's VMs by outcome into *C. */
void
evac_record_count(const struct evac_record *rec, struct evac_counts *c)
{
	size_t	i;

	memset(c, 0, sizeof *c);
	c->total = rec->nvms;
	for (i = 0; i < rec->nvms; i++) {
		switch (evac_record_vm_outcome(&rec->vms[i])) {
		case EVAC_VM_WAITING:
		case EVAC_VM_MIGRATING:
			c->active++;
			break;
		case EVAC_VM_MOVED:
			c->succeeded++;
			break;
		case EVAC_VM_REMAINS:
		case EVAC_VM_CANNOT_MOVE:
			c->failed++;
			break;
		case EVAC_VM_GONE:
			break;
		}
	}
	c->done = c->total - c->active;
}

/*
 * The phase from the counts.  A finished evacuation reports how it
 * finished even if the node was uncordoned or the time ran out at the
 * same moment: that is the truth about its VMs.
 */
enum evac_phase
evac_record_judge(const struct evac_counts *c, int listed, int cancelled,
    int timed_out, enum evac_reason *reason)
{
	*reason = EVAC_REASON_NONE;
	if (listed && c->active == 0) {
		if (c->failed == 0)
			return (EVAC_COMPLETED);
		*reason = EVAC_REASON_VMS_REMAIN;
		return (EVAC_FAILED);
	}
	if (cancelled) {
		*reason = EVAC_REASON_CANCELLED;
		return (EVAC_CANCELLED);
	}
	if (timed_out) {
		*reason = EVAC_REASON_TIMEOUT;
		return (EVAC_FAILED);
	}
	return (EVAC_RUNNING);
}

/* Append to *S (a string or NULL) what FMT formats. */
static void __attribute__((format(printf, 2, 3)))
evac_record_append(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *both;

	va_start(ap, fmt);
	xvasprintf(&more, fmt, ap);
	va_end(ap);
	if (*s == NULL) {
		*s = more;
		return;
	}
	xasprintf(&both, "%s%s", *s, more);
	free(*s);
	free(more);
	*s = both;
}

/* Append "VM (what became of it)" for a VM that is still on the node. */
static void
evac_record_append_vm(char **s, const struct evac_vm *v,
    enum evac_vm_outcome o)
{
	const char	*reason = v->reason != NULL ? v->reason : "";
	size_t		 i;

	switch (o) {
	case EVAC_VM_WAITING:
		evac_record_append(s, "%s (no migration yet%s%s)", v->vm,
		    *reason != '\0' ? ": " : "", reason);
		break;
	case EVAC_VM_MIGRATING:
	case EVAC_VM_REMAINS:
		evac_record_append(s, "%s (migration '%s' %s%s%s)", v->vm,
		    v->migration, v->phase != NULL ? v->phase : "not read yet",
		    *reason != '\0' ? ": " : "", reason);
		break;
	case EVAC_VM_CANNOT_MOVE:
		evac_record_append(s, "%s (cannot move: ", v->vm);
		for (i = 0; i < v->nreasons; i++)
			evac_record_append(s, "%s%s", i > 0 ? ", " : "",
			    v->reasons[i]);
		evac_record_append(s, ")");
		break;
	case EVAC_VM_MOVED:
	case EVAC_VM_GONE:
		break;
	}
}

/* The status message: LEAD, then which VMs remain and why. */
char *
evac_record_message(const struct evac_record *rec,
    const struct evac_counts *c, const char *lead)
{
	enum evac_vm_outcome	 o;
	char			*s = NULL;
	size_t			 i, gone, remain, n = 0;

	if (lead != NULL && *lead != '\0')
		evac_record_append(&s, "%s; ", lead);
	remain = c->failed + c->active;
	gone = c->done - c->succeeded - c->failed;
	if (remain == 0) {
		if (c->total == 0)
			evac_record_append(&s, "node '%s' had no VMs to move",
			    rec->node);
		else if (c->succeeded == c->total)
			evac_record_append(&s, "all %zu VMs moved off node "
			    "'%s'", c->total, rec->node);
		else
			evac_record_append(&s, "%zu of %zu VMs moved off node "
			    "'%s', %zu stopped running first", c->succeeded,
			    c->total, rec->node, gone);
		return (s);
	}
	evac_record_append(&s, "%zu of %zu VMs remain on node '%s': ", remain,
	    c->total, rec->node);
	for (i = 0; i < rec->nvms; i++) {
		o = evac_record_vm_outcome(&rec->vms[i]);
		if (o == EVAC_VM_MOVED || o == EVAC_VM_GONE)
			continue;
		if (n++ > 0)
			evac_record_append(&s, "; ");
		evac_record_append_vm(&s, &rec->vms[i], o);
	}
	return (s);
}

/* Add REC as an API object to G. */
static void
evac_record_gen(yajl_gen g, const struct evac_record *rec)
{
	struct evac_counts	 c;
	const struct evac_vm	*v;
	size_t			 i, j;

	evac_record_count(rec, &c);
	yajl_gen_map_open(g);
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "Evacuation");

	json_str(g, "metadata");
	yajl_gen_map_open(g);
	json_kv_str(g, "name", rec->id);
	json_kv_time(g, "creationTimestamp", rec->created);
	yajl_gen_map_close(g);

	json_str(g, "spec");
	yajl_gen_map_open(g);
	json_kv_str(g, "node", rec->node);
	json_kv_str(g, "requestedBy", rec->by != NULL ? rec->by : "");
	yajl_gen_map_close(g);

	json_str(g, "status");
	yajl_gen_map_open(g);
	json_kv_str(g, "phase", evac_phase_name(rec->phase));
	json_kv_str(g, "reason", evac_reason_name(rec->reason));
	json_kv_str(g, "message", rec->message != NULL ? rec->message : "");
	json_kv_int(g, "total", c.total);
	json_kv_int(g, "done", c.done);
	json_kv_int(g, "succeeded", c.succeeded);
	json_kv_int(g, "failed", c.failed);
	json_kv_int(g, "createdMs", rec->created);
	json_kv_int(g, "endedMs", rec->ended);
	json_kv_time(g, "endTimestamp", rec->ended);
	json_str(g, "vms");
	yajl_gen_array_open(g);
	for (i = 0; i < rec->nvms; i++) {
		v = &rec->vms[i];
		yajl_gen_map_open(g);
		json_kv_str(g, "vm", v->vm);
		json_kv_str(g, "migration", v->migration);
		json_kv_str(g, "phase", v->phase);
		json_kv_str(g, "reason", v->reason != NULL ? v->reason : "");
		json_str(g, "reasons");
		yajl_gen_array_open(g);
		for (j = 0; j < v->nreasons; j++)
			json_str(g, v->reasons[j]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	yajl_gen_map_close(g);
}

/* REC as its API object. */
char *
evac_record_encode(const struct evac_record *rec)
{
	yajl_gen	g = yajl_gen_alloc(NULL);

	evac_record_gen(g, rec);
	return (json_finish(g));
}

/* Every evacuation of RECS as a list object. */
char *
evac_record_list(const struct evac_record *recs, size_t n)
{
	yajl_gen	g = yajl_gen_alloc(NULL);
	size_t		i;

	yajl_gen_map_open(g);
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "EvacuationList");
	json_str(g, "items");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		evac_record_gen(g, &recs[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return (json_finish(g));
}

/* A node's drain state; EVACUATION NULL when none runs. */
char *
evac_record_node(const char *node, int cordoned, const char *taint,
    const char *evacuation)
{
	yajl_gen	g = yajl_gen_alloc(NULL);

	yajl_gen_map_open(g);
	json_kv_str(g, "node", node);
	json_kv_bool(g, "cordoned", cordoned);
	json_kv_str(g, "taint", taint != NULL ? taint : "");
	json_kv_str(g, "evacuation", evacuation);
	yajl_gen_map_close(g);
	return (json_finish(g));
}

/*
 * Untrusted S as printable ASCII: other bytes become "\xNN", and more
 * than EVAC_RECORD_FIELD_MAX bytes are cut, marked with "...".
 */
static char *
evac_record_sanitize(const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 ch;
	char			*out;
	size_t			 i, o = 0;

	out = xmalloc(EVAC_RECORD_FIELD_MAX * 4 + 4);
	for (i = 0; i < EVAC_RECORD_FIELD_MAX && s[i] != '\0'; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 0xf];
	}
	if (s[i] != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return (out);
}

/* The error record of a rejected requests-stream entry. */
char *
evac_record_request_error(const char *id, const char *error,
    const char *const *kv, size_t nkv, uint64_t now_ms)
{
	yajl_gen	 g = yajl_gen_alloc(NULL);
	char		*clean;
	size_t		 i;

	yajl_gen_map_open(g);
	clean = id != NULL ? evac_record_sanitize(id) : NULL;
	json_kv_str(g, "id", clean);
	free(clean);
	clean = evac_record_sanitize(error != NULL ? error : "");
	json_kv_str(g, "error", clean);
	free(clean);
	json_kv_time(g, "time", now_ms);
	json_str(g, "fields");
	yajl_gen_array_open(g);
	for (i = 0; kv != NULL && i < nkv; i++) {
		if (kv[i] == NULL) {
			yajl_gen_null(g);
			continue;
		}
		clean = evac_record_sanitize(kv[i]);
		json_str(g, clean);
		free(clean);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return (json_finish(g));
}

/* A required string at A.B (B may be NULL) of V; NULL with a cause. */
static const char *
evac_record_need_str(yajl_val v, const char *a, const char *b,
    char **cause)
{
	yajl_val	s = json_get(v, yajl_t_string, a, b, NULL);

	if (s == NULL || YAJL_GET_STRING(s) == NULL) {
		xasprintf(cause, "field '%s%s%s' is missing or not a string",
		    a, b != NULL ? "." : "", b != NULL ? b : "");
		return (NULL);
	}
	return (YAJL_GET_STRING(s));
}

/* A required non-negative integer at status.KEY; -1 with a cause. */
static int
evac_record_need_ms(yajl_val v, const char *key, uint64_t *out,
    char **cause)
{
	yajl_val	n = json_get(v, yajl_t_number, "status", key, NULL);

	if (n == NULL || !YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0) {
		xasprintf(cause, "field 'status.%s' is missing or not a "
		    "non-negative integer", key);
		return (-1);
	}
	*out = (uint64_t)YAJL_GET_INTEGER(n);
	return (0);
}

/* A string-or-null field KEY of VM item T into *OUT; -1 if neither. */
static int
evac_record_opt_str(yajl_val t, const char *key, char **out)
{
	yajl_val	s = json_get(t, yajl_t_any, key, NULL, NULL);

	*out = NULL;
	if (s == NULL || YAJL_IS_NULL(s))
		return (0);
	if (!YAJL_IS_STRING(s))
		return (-1);
	*out = xstrdup(YAJL_GET_STRING(s));
	return (0);
}

/* Decode VM item T (the Ith) into V; -1 with a cause. */
static int
evac_record_decode_vm(yajl_val t, size_t i, struct evac_vm *v,
    char **cause)
{
	yajl_val	 s, arr;
	size_t		 j;

	s = json_get(t, yajl_t_string, "vm", NULL, NULL);
	if (s == NULL || !util_name_valid(YAJL_GET_STRING(s)))
		goto bad;
	v->vm = xstrdup(YAJL_GET_STRING(s));
	if (evac_record_opt_str(t, "migration", &v->migration) != 0 ||
	    evac_record_opt_str(t, "phase", &v->phase) != 0)
		goto bad;
	s = json_get(t, yajl_t_string, "reason", NULL, NULL);
	if (s == NULL)
		goto bad;
	v->reason = xstrdup(YAJL_GET_STRING(s));
	arr = json_get(t, yajl_t_array, "reasons", NULL, NULL);
	if (arr == NULL)
		goto bad;
	v->reasons = xcalloc(YAJL_GET_ARRAY(arr)->len + 1,
	    sizeof *v->reasons);
	for (j = 0; j < YAJL_GET_ARRAY(arr)->len; j++) {
		s = YAJL_GET_ARRAY(arr)->values[j];
		if (!YAJL_IS_STRING(s))
			goto bad;
		v->reasons[v->nreasons++] = xstrdup(YAJL_GET_STRING(s));
	}
	return (0);
bad:
	xasprintf(cause, "item %zu of 'status.vms' is malformed", i);
	return (-1);
}

/* Decode JSON into REC; -1 with a cause naming the bad field. */
int
evac_record_decode(const char *json, struct evac_record *rec, char **cause)
{
	char		 err[256];
	const char	*s;
	yajl_val	 v = NULL, arr;
	size_t		 i, n;
	int		 rc = -1;

	memset(rec, 0, sizeof *rec);
	if (json == NULL) {
		*cause = xstrdup("no JSON");
		goto out;
	}
	if ((v = yajl_tree_parse(json, err, sizeof err)) == NULL) {
		xasprintf(cause, "invalid JSON: %s", err);
		goto out;
	}
	if (!YAJL_IS_OBJECT(v)) {
		*cause = xstrdup("not a JSON object");
		goto out;
	}
	if ((s = evac_record_need_str(v, "kind", NULL, cause)) == NULL)
		goto out;
	if (strcmp(s, "Evacuation") != 0) {
		*cause = xstrdup("field 'kind' is not 'Evacuation'");
		goto out;
	}
	if ((s = evac_record_need_str(v, "metadata", "name", cause)) == NULL)
		goto out;
	if (!evac_record_id_valid(s)) {
		*cause = xstrdup("field 'metadata.name' is not an evacuation "
		    "id");
		goto out;
	}
	rec->id = xstrdup(s);
	if ((s = evac_record_need_str(v, "spec", "node", cause)) == NULL)
		goto out;
	if (!util_name_valid(s)) {
		*cause = xstrdup("field 'spec.node' is not a node name");
		goto out;
	}
	rec->node = xstrdup(s);
	if ((s = evac_record_need_str(v, "spec", "requestedBy", cause)) ==
	    NULL)
		goto out;
	rec->by = xstrdup(s);
	if ((s = evac_record_need_str(v, "status", "phase", cause)) == NULL)
		goto out;
	if (evac_phase_parse(s, &rec->phase) != 0) {
		*cause = xstrdup("field 'status.phase' is unknown");
		goto out;
	}
	if ((s = evac_record_need_str(v, "status", "reason", cause)) == NULL)
		goto out;
	if (evac_reason_parse(s, &rec->reason) != 0) {
		*cause = xstrdup("field 'status.reason' is unknown");
		goto out;
	}
	if ((s = evac_record_need_str(v, "status", "message", cause)) == NULL)
		goto out;
	rec->message = xstrdup(s);
	if (evac_record_need_ms(v, "createdMs", &rec->created, cause) != 0 ||
	    evac_record_need_ms(v, "endedMs", &rec->ended, cause) != 0)
		goto out;

	arr = json_get(v, yajl_t_array, "status", "vms", NULL);
	if (arr == NULL) {
		*cause = xstrdup("field 'status.vms' is missing or not an "
		    "array");
		goto out;
	}
	n = YAJL_GET_ARRAY(arr)->len;
	rec->vms = xcalloc(n + 1, sizeof *rec->vms);
	for (i = 0; i < n; i++) {
		rec->nvms++;
		if (evac_record_decode_vm(YAJL_GET_ARRAY(arr)->values[i], i,
		    &rec->vms[i], cause) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		evac_record_clear(rec);
	yajl_tree_free(v);
	return (rc);
}
