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
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Add string S (or null). */
static void
mig_json_str(yajl_gen g, const char *s)
{
	if (s == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Add "KEY": S. */
static void
mig_json_kv_str(yajl_gen g, const char *key, const char *s)
{
	mig_json_str(g, key);
	mig_json_str(g, s);
}

/* Add "KEY": N. */
static void
mig_json_kv_int(yajl_gen g, const char *key, uint64_t n)
{
	mig_json_str(g, key);
	yajl_gen_integer(g, (long long)n);
}

/* Add "KEY": RFC 3339 time of wall MS, or null when 0. */
static void
mig_json_kv_time(yajl_gen g, const char *key, uint64_t ms)
{
	char	buf[40];

	mig_json_str(g, key);
	if (ms == 0) {
		yajl_gen_null(g);
		return;
	}
	util_rfc3339(ms, buf, sizeof buf);
	mig_json_str(g, buf);
}

/* Take the generator's buffer as a new string and free G. */
static char *
mig_json_finish(yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;
	char			*s;

	yajl_gen_get_buf(g, &buf, &len);
	s = xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	return (s);
}

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
	mig_json_kv_str(g, "apiVersion", "ferry.io/v1");
	mig_json_kv_str(g, "kind", "VirtualMachineInstanceMigration");

	mig_json_str(g, "metadata");
	yajl_gen_map_open(g);
	mig_json_kv_str(g, "name", rec->name);
	mig_json_kv_str(g, "uid", rec->uid);
	mig_json_kv_time(g, "creationTimestamp", rec->created);
	yajl_gen_map_close(g);

	mig_json_str(g, "spec");
	yajl_gen_map_open(g);
	mig_json_kv_str(g, "vmiName", rec->vm);
	mig_json_kv_str(g, "targetNode", rec->target);
	yajl_gen_map_close(g);

	mig_json_str(g, "status");
	yajl_gen_map_open(g);
	mig_json_kv_str(g, "phase", mig_state_name(rec->state));
	mig_json_kv_str(g, "reason", mig_reason_name(rec->reason));
	mig_json_kv_str(g, "message", rec->message != NULL ? rec->message : "");
	mig_json_kv_str(g, "sourceNode", rec->source);
	mig_json_kv_str(g, "targetNode", rec->target);
	mig_json_kv_str(g, "trigger", rec->trigger);
	mig_json_kv_str(g, "evacuation", rec->evacuation);
	mig_json_str(g, "abortRequested");
	yajl_gen_bool(g, rec->abort_requested);
	mig_json_kv_time(g, "startTimestamp", rec->started);
	mig_json_kv_time(g, "endTimestamp", rec->ended);
	mig_json_kv_int(g, "createdMs", rec->created);
	mig_json_kv_int(g, "startedMs", rec->started);
	mig_json_kv_int(g, "endedMs", rec->ended);

	mig_json_str(g, "progress");
	yajl_gen_map_open(g);
	mig_json_kv_int(g, "dataTotal", st->data_total);
	mig_json_kv_int(g, "dataProcessed", st->data_processed);
	mig_json_kv_int(g, "dataRemaining", st->data_remaining);
	mig_json_kv_int(g, "memoryBps", st->memory_bps);
	mig_json_kv_int(g, "dirtyRate", st->dirty_rate);
	mig_json_kv_int(g, "iteration", st->iteration);
	mig_json_kv_int(g, "elapsedMs", st->elapsed_ms);
	mig_json_kv_int(g, "downtimeMs", st->downtime_ms);
	yajl_gen_map_close(g);

	mig_json_str(g, "phaseTransitions");
	yajl_gen_array_open(g);
	for (i = 0; i < rec->ntransitions; i++) {
		yajl_gen_map_open(g);
		mig_json_kv_str(g, "phase",
		    mig_state_name(rec->transitions[i].state));
		mig_json_kv_time(g, "time", rec->transitions[i].time);
		mig_json_kv_int(g, "timeMs", rec->transitions[i].time);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);

	yajl_gen_map_close(g);
	return (mig_json_finish(g));
}

/* Look up PATH (NULL-terminated) in V with TYPE, or NULL. */
static yajl_val
mig_json_get(yajl_val v, yajl_type type, const char *a, const char *b,
    const char *c)
{
	const char	*path[4] = { a, b, c, NULL };

	return (yajl_tree_get(v, path, type));
}

/* Copy a required string at A.B into *OUT; -1 with cause if missing. */
static int
mig_json_need_str(yajl_val v, const char *a, const char *b, char **out,
    char **cause)
{
	yajl_val	s = mig_json_get(v, yajl_t_string, a, b, NULL);

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
	yajl_val	n = mig_json_get(v, yajl_t_number, a, b, c);

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

	s = mig_json_get(v, yajl_t_string, "status", "phase", NULL);
	if (s == NULL || mig_state_parse(YAJL_GET_STRING(s), &rec->state) != 0) {
		*cause = xstrdup("field 'status.phase' is missing or unknown");
		goto out;
	}
	s = mig_json_get(v, yajl_t_string, "status", "reason", NULL);
	if (s == NULL ||
	    mig_reason_parse(YAJL_GET_STRING(s), &rec->reason) != 0) {
		*cause = xstrdup("field 'status.reason' is missing or unknown");
		goto out;
	}
	s = mig_json_get(v, yajl_t_string, "status", "message", NULL);
	if (s != NULL && YAJL_GET_STRING(s)[0] != '\0')
		rec->message = xstrdup(YAJL_GET_STRING(s));
	s = mig_json_get(v, yajl_t_true, "status", "abortRequested", NULL);
	rec->abort_requested = (s != NULL);
	s = mig_json_get(v, yajl_t_string, "status", "evacuation", NULL);
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

	arr = mig_json_get(v, yajl_t_array, "status", "phaseTransitions",
	    NULL);
	for (i = 0; arr != NULL && i < YAJL_GET_ARRAY(arr)->len &&
	    rec->ntransitions < MIG_MAX_TRANSITIONS; i++) {
		yajl_val		 t = YAJL_GET_ARRAY(arr)->values[i];
		struct mig_transition	*tr;

		s = mig_json_get(t, yajl_t_string, "phase", NULL, NULL);
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
	char		 err[256], *copy;
	yajl_val	 v = NULL, t;
	size_t		 i;
	int		 rc = -1;

	*target = NULL;
	copy = xstrndup(body, len);
	if (strlen(copy) != len) {
		*cause = xstrdup("request body contains a NUL byte");
		goto out;
	}
	if ((v = yajl_tree_parse(copy, err, sizeof err)) == NULL) {
		xasprintf(cause, "request body is not valid JSON: %s", err);
		goto out;
	}
	if (!YAJL_IS_OBJECT(v)) {
		*cause = xstrdup("request body must be a JSON object");
		goto out;
	}
	for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
		if (strcmp(YAJL_GET_OBJECT(v)->keys[i], "targetNode") != 0) {
			xasprintf(cause, "unknown field '%s'",
			    YAJL_GET_OBJECT(v)->keys[i]);
			goto out;
		}
	}
	t = mig_json_get(v, yajl_t_any, "targetNode", NULL, NULL);
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
	free(copy);
	return (rc);
}

/* An error body with its reasons. */
char *
mig_json_error(const char *error, const char *const *reasons, size_t n)
{
	yajl_gen	g = yajl_gen_alloc(NULL);
	size_t		i;

	yajl_gen_map_open(g);
	mig_json_kv_str(g, "error", error);
	mig_json_str(g, "reasons");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		mig_json_str(g, reasons[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return (mig_json_finish(g));
}
