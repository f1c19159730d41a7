/*
 * mig-json.c: migration objects to and from JSON.  Encoding uses yajl_gen,
 * decoding yajl_tree with every field checked.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ferry/evac.h"
#include "ferry/json.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/*
 * Encode REC.  Times are RFC 3339 for people plus raw ms ("...Ms") so the
 * decoder gets them back exactly.
 */
char *
mig_json_encode(const struct mig_record *rec)
{
	yajl_gen		 g = yajl_gen_alloc(NULL);
	const struct mig_stats	*st = &rec->stats;
	unsigned int		 i;

	yajl_gen_map_open(g);
	json_kv_str(g, "apiVersion", "ferry.io/v1");
	json_kv_str(g, "kind", "VirtualMachineInstanceMigration");

	json_str(g, "metadata");
	yajl_gen_map_open(g);
	json_kv_str(g, "name", rec->name);
	json_kv_str(g, "uid", rec->uid);
	json_kv_time(g, "creationTimestamp", rec->created);
	yajl_gen_map_close(g);

	json_str(g, "spec");
	yajl_gen_map_open(g);
	json_kv_str(g, "vmiName", rec->vm);
	json_kv_str(g, "targetNode", rec->target);
	yajl_gen_map_close(g);

	json_str(g, "status");
	yajl_gen_map_open(g);
	json_kv_str(g, "phase", mig_state_name(rec->state));
	json_kv_str(g, "reason", mig_reason_name(rec->reason));
	json_kv_str(g, "message", rec->message != NULL ? rec->message : "");
	json_kv_str(g, "sourceNode", rec->source);
	json_kv_str(g, "targetNode", rec->target);
	json_kv_str(g, "trigger", rec->trigger);
	json_kv_str(g, "evacuation", rec->evacuation);
	json_kv_bool(g, "abortRequested", rec->abort_requested);
	json_kv_time(g, "startTimestamp", rec->started);
	json_kv_time(g, "endTimestamp", rec->ended);
	json_kv_int(g, "createdMs", rec->created);
	json_kv_int(g, "startedMs", rec->started);
	json_kv_int(g, "endedMs", rec->ended);

	json_str(g, "progress");
	yajl_gen_map_open(g);
	json_kv_int(g, "dataTotal", st->data_total);
	json_kv_int(g, "dataProcessed", st->data_processed);
	json_kv_int(g, "dataRemaining", st->data_remaining);
	json_kv_int(g, "memoryBps", st->memory_bps);
	json_kv_int(g, "dirtyRate", st->dirty_rate);
	json_kv_int(g, "iteration", st->iteration);
	json_kv_int(g, "elapsedMs", st->elapsed_ms);
	json_kv_int(g, "downtimeMs", st->downtime_ms);
	json_kv_bool(g, "stalled", st->stalled_since != 0);
	json_kv_int(g, "stalledSinceMs", st->stalled_since);
	yajl_gen_map_close(g);

	json_str(g, "phaseTransitions");
	yajl_gen_array_open(g);
	for (i = 0; i < rec->ntransitions; i++) {
		yajl_gen_map_open(g);
		json_kv_str(g, "phase",
		    mig_state_name(rec->transitions[i].state));
		json_kv_time(g, "time", rec->transitions[i].time);
		json_kv_int(g, "timeMs", rec->transitions[i].time);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	yajl_gen_map_close(g);
	return (json_finish(g));
}

/* Copy a required string at A.B into *OUT; -1 with cause if missing. */
static int
mig_json_need_str(yajl_val v, const char *a, const char *b, char **out,
    char **cause)
{
	yajl_val	s = json_get(v, yajl_t_string, a, b, NULL);

	if (s == NULL || YAJL_GET_STRING(s) == NULL) {
		xasprintf(cause, "field '%s.%s' is missing or not a string",
		    a, b);
		return (-1);
	}
	*out = xstrdup(YAJL_GET_STRING(s));
	return (0);
}

/* A non-negative integer at A.B.C, or 0 when absent. */
static uint64_t
mig_json_int(yajl_val v, const char *a, const char *b, const char *c)
{
	yajl_val	n = json_get(v, yajl_t_number, a, b, c);

	if (n == NULL || !YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0)
		return (0);
	return ((uint64_t)YAJL_GET_INTEGER(n));
}

/* Decode JSON into REC; -1 with a cause naming the bad field. */
int
mig_json_decode(const char *json, struct mig_record *rec, char **cause)
{
	char		 err[256];
	yajl_val	 v = NULL, s, arr;
	size_t		 i;
	int		 rc = -1;

	memset(rec, 0, sizeof *rec);
	if ((v = yajl_tree_parse(json, err, sizeof err)) == NULL) {
		xasprintf(cause, "invalid JSON: %s", err);
		goto out;
	}
	if (!YAJL_IS_OBJECT(v)) {
		*cause = xstrdup("not a JSON object");
		goto out;
	}
	if (mig_json_need_str(v, "metadata", "name", &rec->name, cause) != 0 ||
	    mig_json_need_str(v, "metadata", "uid", &rec->uid, cause) != 0 ||
	    mig_json_need_str(v, "spec", "vmiName", &rec->vm, cause) != 0 ||
	    mig_json_need_str(v, "status", "sourceNode", &rec->source,
	    cause) != 0 ||
	    mig_json_need_str(v, "status", "targetNode", &rec->target,
	    cause) != 0 ||
	    mig_json_need_str(v, "status", "trigger", &rec->trigger,
	    cause) != 0)
		goto out;

	s = json_get(v, yajl_t_string, "status", "phase", NULL);
	if (s == NULL || mig_state_parse(YAJL_GET_STRING(s), &rec->state) != 0) {
		*cause = xstrdup("field 'status.phase' is missing or unknown");
		goto out;
	}
	s = json_get(v, yajl_t_string, "status", "reason", NULL);
	if (s == NULL ||
	    mig_reason_parse(YAJL_GET_STRING(s), &rec->reason) != 0) {
		*cause = xstrdup("field 'status.reason' is missing or unknown");
		goto out;
	}
	s = json_get(v, yajl_t_string, "status", "message", NULL);
	if (s != NULL && YAJL_GET_STRING(s)[0] != '\0')
		rec->message = xstrdup(YAJL_GET_STRING(s));
	s = json_get(v, yajl_t_true, "status", "abortRequested", NULL);
	rec->abort_requested = (s != NULL);
	s = json_get(v, yajl_t_string, "status", "evacuation", NULL);
	if (s != NULL && !evac_record_id_valid(YAJL_GET_STRING(s))) {
		*cause = xstrdup("field 'status.evacuation' is not an "
		    "evacuation id");
		goto out;
	}
	if (s != NULL)
		rec->evacuation = xstrdup(YAJL_GET_STRING(s));

	rec->created = mig_json_int(v, "status", "createdMs", NULL);
	rec->started = mig_json_int(v, "status", "startedMs", NULL);
	rec->ended = mig_json_int(v, "status", "endedMs", NULL);
	rec->stats.data_total = mig_json_int(v, "status", "progress",
	    "dataTotal");
	rec->stats.data_processed = mig_json_int(v, "status", "progress",
	    "dataProcessed");
	rec->stats.data_remaining = mig_json_int(v, "status", "progress",
	    "dataRemaining");
	rec->stats.memory_bps = mig_json_int(v, "status", "progress",
	    "memoryBps");
	rec->stats.dirty_rate = mig_json_int(v, "status", "progress",
	    "dirtyRate");
	rec->stats.iteration = mig_json_int(v, "status", "progress",
	    "iteration");
	rec->stats.elapsed_ms = mig_json_int(v, "status", "progress",
	    "elapsedMs");
	rec->stats.downtime_ms = mig_json_int(v, "status", "progress",
	    "downtimeMs");
	rec->stats.stalled_since = mig_json_int(v, "status", "progress",
	    "stalledSinceMs");

	arr = json_get(v, yajl_t_array, "status", "phaseTransitions",
	    NULL);
	for (i = 0; arr != NULL && i < YAJL_GET_ARRAY(arr)->len &&
	    rec->ntransitions < MIG_MAX_TRANSITIONS; i++) {
		yajl_val		 t = YAJL_GET_ARRAY(arr)->values[i];
		struct mig_transition	*tr;

		s = json_get(t, yajl_t_string, "phase", NULL, NULL);
		tr = &rec->transitions[rec->ntransitions];
		if (s == NULL ||
		    mig_state_parse(YAJL_GET_STRING(s), &tr->state) != 0) {
			*cause = xstrdup("a phase transition has a bad phase");
			goto out;
		}
		tr->time = mig_json_int(t, "timeMs", NULL, NULL);
		rec->ntransitions++;
	}
	rc = 0;
out:
	if (rc != 0)
		mig_record_clear(rec);
	yajl_tree_free(v);
	return (rc);
}

/*
 * Parse a migrate body: {"targetNode": NAME} or {} (*TARGET stays NULL:
 * ferry picks); other fields are errors.
 */
int
mig_json_migrate_body(const char *body, size_t len, char **target,
    char **cause)
{
	yajl_val	 v = NULL, t;
	size_t		 i;
	int		 rc = -1;

	*target = NULL;
	if ((v = json_parse_object(body, len, "request body", cause)) == NULL)
		goto out;
	for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
		if (strcmp(YAJL_GET_OBJECT(v)->keys[i], "targetNode") != 0) {
			xasprintf(cause, "unknown field '%s'",
			    YAJL_GET_OBJECT(v)->keys[i]);
			goto out;
		}
	}
	t = json_get(v, yajl_t_any, "targetNode", NULL, NULL);
	if (t == NULL || YAJL_IS_NULL(t)) {
		rc = 0;		/* no target: ferry picks one */
		goto out;
	}
	if (!YAJL_IS_STRING(t) || !util_name_valid(YAJL_GET_STRING(t))) {
		*cause = xstrdup("field 'targetNode' must be a node name");
		goto out;
	}
	*target = xstrdup(YAJL_GET_STRING(t));
	rc = 0;
out:
	yajl_tree_free(v);
	return (rc);
}

/* An error body with its reasons. */
char *
mig_json_error(const char *error, const char *const *reasons, size_t n)
{
	yajl_gen	g = yajl_gen_alloc(NULL);
	size_t		i;

	yajl_gen_map_open(g);
	json_kv_str(g, "error", error);
	json_str(g, "reasons");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		json_str(g, reasons[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return (json_finish(g));
}
