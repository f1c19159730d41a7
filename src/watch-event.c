/*
 * watch-event.c: what GET /v1/watch sends (see watch.h, watch-priv.h):
 * the line made from a record read on the events channel, the filters of
 * a query string and whether an event passes them, and the lines that
 * are not records (heartbeat, error, resumed).  Pure: no loop, no Redis.
 *
 * A record is sent as it was published, wrapped, never re-encoded: the
 * client sees the same bytes as GET /v1/migrations/NAME would.  It is
 * checked first (valid UTF-8 JSON, an object of a known kind with the
 * fields the filters read), because any replica or tool with access to
 * Redis may publish on the channel.
 */

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ferry/evac.h"
#include "ferry/json.h"
#include "ferry/util.h"
#include "ferry/watch.h"
#include "ferry/watch-priv.h"
#include "ferry/xmalloc.h"

/* The "kind" of each record type, and its "type" on the stream. */
static const struct {
	const char	*kind;		/* the record's "kind" */
	const char	*type;		/* the line's "type" */
} watch_kinds[] = {
	[WATCH_KIND_MIGRATION] = { "VirtualMachineInstanceMigration",
				   "migration" },
	[WATCH_KIND_EVACUATION] = { "Evacuation", "evacuation" },
};

/* Free the members of EV and zero it. */
void
watch_event_clear(struct watch_event *ev)
{
	free(ev->name);
	free(ev->vm);
	free(ev->source);
	free(ev->target);
	free(ev->evacuation);
	free(ev->line);
	memset(ev, 0, sizeof *ev);
}

/* A copy of the string at A.B (B may be NULL) of V, or NULL. */
static char *
watch_event_str(yajl_val v, const char *a, const char *b)
{
	yajl_val	s = json_get(v, yajl_t_string, a, b, NULL);

	if (s == NULL || YAJL_GET_STRING(s) == NULL)
		return (NULL);
	return (xstrdup(YAJL_GET_STRING(s)));
}

/* Fill the fields of a migration record V into EV; -1 with *CAUSE. */
static int
watch_event_migration(yajl_val v, struct watch_event *ev, char **cause)
{
	yajl_val	e;

	ev->name = watch_event_str(v, "metadata", "name");
	ev->vm = watch_event_str(v, "spec", "vmiName");
	ev->source = watch_event_str(v, "status", "sourceNode");
	ev->target = watch_event_str(v, "status", "targetNode");
	if (ev->name == NULL || ev->vm == NULL || ev->source == NULL ||
	    ev->target == NULL) {
		*cause = xstrdup("a migration record needs the strings "
		    "metadata.name, spec.vmiName, status.sourceNode and "
		    "status.targetNode");
		return (-1);
	}
	e = json_get(v, yajl_t_any, "status", "evacuation", NULL);
	if (e != NULL && YAJL_IS_STRING(e))
		ev->evacuation = xstrdup(YAJL_GET_STRING(e));
	else if (e != NULL && !YAJL_IS_NULL(e)) {
		*cause = xstrdup("field 'status.evacuation' of a migration "
		    "record is neither a string nor null");
		return (-1);
	}
	return (0);
}

/* Fill the fields of an evacuation record V into EV; -1 with *CAUSE. */
static int
watch_event_evacuation(yajl_val v, struct watch_event *ev, char **cause)
{
	ev->name = watch_event_str(v, "metadata", "name");
	ev->source = watch_event_str(v, "spec", "node");
	if (ev->name == NULL || ev->source == NULL) {
		*cause = xstrdup("an evacuation record needs the strings "
		    "metadata.name and spec.node");
		return (-1);
	}
	ev->evacuation = xstrdup(ev->name);
	return (0);
}

/*
 * Build EV's line: the record wrapped as {"type":T,"object":RECORD}.  A
 * CR or LF of the record becomes a space: JSON allows neither inside a
 * string (yajl refused them), so they were whitespace between tokens, and
 * the stream is one object per line.
 */
static void
watch_event_line(struct watch_event *ev, const char *payload, size_t len)
{
	static const char	 tail[] = "}\n";
	char			*head, *p;
	size_t			 hlen, i;

	xasprintf(&head, "{\"type\":\"%s\",\"object\":",
	    watch_kinds[ev->kind].type);
	hlen = strlen(head);
	ev->len = hlen + len + sizeof tail - 1;
	ev->line = xmalloc(ev->len + 1);
	memcpy(ev->line, head, hlen);
	p = ev->line + hlen;
	for (i = 0; i < len; i++)
		p[i] = (payload[i] == '\n' || payload[i] == '\r') ? ' ' :
		    payload[i];
	memcpy(p + len, tail, sizeof tail);
	free(head);
}

/* Read a record as published into EV and its line. */
int
watch_event_parse(const char *payload, size_t len, struct watch_event *ev,
    char **cause)
{
	yajl_val	 v = NULL, k;
	const char	*kind;
	size_t		 i;
	int		 rc = -1;

	memset(ev, 0, sizeof *ev);
	if (len > WATCH_PAYLOAD_MAX) {
		xasprintf(cause, "record of %zu bytes is larger than %d", len,
		    WATCH_PAYLOAD_MAX);
		goto out;
	}
	if ((v = json_parse_object(payload, len, "record", cause)) == NULL)
		goto out;
	k = json_get(v, yajl_t_string, "kind", NULL, NULL);
	if (k == NULL || (kind = YAJL_GET_STRING(k)) == NULL) {
		*cause = xstrdup("record has no string 'kind'");
		goto out;
	}
	for (i = 0; i < nitems(watch_kinds); i++) {
		if (strcmp(kind, watch_kinds[i].kind) == 0)
			break;
	}
	if (i == nitems(watch_kinds)) {
		*cause = xstrdup("record is of an unknown kind");
		goto out;
	}
	ev->kind = (enum watch_kind)i;
	switch (ev->kind) {
	case WATCH_KIND_MIGRATION:
		if (watch_event_migration(v, ev, cause) != 0)
			goto out;
		break;
	case WATCH_KIND_EVACUATION:
		if (watch_event_evacuation(v, ev, cause) != 0)
			goto out;
		break;
	}
	watch_event_line(ev, payload, len);
	rc = 0;
out:
	if (rc != 0)
		watch_event_clear(ev);
	yajl_tree_free(v);
	return (rc);
}

/* Free the members of F and zero it. */
void
watch_filter_clear(struct watch_filter *f)
{
	free(f->vm);
	free(f->node);
	free(f->migration);
	free(f->evacuation);
	memset(f, 0, sizeof *f);
}

/* Read the filters of QUERY into F. */
int
watch_filter_parse(const char *query, struct watch_filter *f,
    char **cause)
{
	struct evkeyvalq	 params;
	struct evkeyval		*kv;
	char			**slot;
	int			 name_ok, rc = -1;

	memset(f, 0, sizeof *f);
	TAILQ_INIT(&params);
	if (query == NULL || *query == '\0')
		return (0);
	if (evhttp_parse_query_str(query, &params) != 0) {
		*cause = xstrdup("malformed query string");
		goto out;
	}
	TAILQ_FOREACH(kv, &params, next) {
		if (strcmp(kv->key, "vm") == 0) {
			slot = &f->vm;
			name_ok = util_name_valid(kv->value);
		} else if (strcmp(kv->key, "node") == 0) {
			slot = &f->node;
			name_ok = util_name_valid(kv->value);
		} else if (strcmp(kv->key, "migration") == 0) {
			slot = &f->migration;
			name_ok = evac_record_id_valid(kv->value);
		} else if (strcmp(kv->key, "evacuation") == 0) {
			slot = &f->evacuation;
			name_ok = evac_record_id_valid(kv->value);
		} else {
			/* Not echoed: decoded, it may be any bytes. */
			*cause = xstrdup("unknown query parameter (known: vm, "
			    "node, migration, evacuation)");
			goto out;
		}
		if (*slot != NULL) {
			xasprintf(cause, "query parameter '%s' given twice",
			    kv->key);
			goto out;
		}
		if (!name_ok) {
			xasprintf(cause, "query parameter '%s' must be a "
			    "name: [A-Za-z0-9_.-], 1 to %d bytes", kv->key,
			    slot == &f->vm || slot == &f->node ? 64 :
			    EVAC_ID_MAX);
			goto out;
		}
		*slot = xstrdup(kv->value);
	}
	rc = 0;
out:
	if (rc != 0)
		watch_filter_clear(f);
	evhttp_clear_headers(&params);
	return (rc);
}

/* Is S (may be NULL) the string WANT? */
static int
watch_filter_is(const char *s, const char *want)
{
	return (s != NULL && strcmp(s, want) == 0);
}

/* Does EV pass every filter of F? */
int
watch_filter_match(const struct watch_filter *f,
    const struct watch_event *ev)
{
	int	mig = (ev->kind == WATCH_KIND_MIGRATION);

	if (f->vm != NULL && !(mig && watch_filter_is(ev->vm, f->vm)))
		return (0);
	if (f->migration != NULL &&
	    !(mig && watch_filter_is(ev->name, f->migration)))
		return (0);
	if (f->node != NULL && !watch_filter_is(ev->source, f->node) &&
	    !watch_filter_is(ev->target, f->node))
		return (0);
	if (f->evacuation != NULL &&
	    !watch_filter_is(ev->evacuation, f->evacuation))
		return (0);
	return (1);
}

/* F as text for logs; names are checked, so nothing needs escaping. */
char *
watch_filter_text(const struct watch_filter *f)
{
	char	*s;

	if (f->vm == NULL && f->node == NULL && f->migration == NULL &&
	    f->evacuation == NULL)
		return (xstrdup("all"));
	xasprintf(&s, "%s%s%s%s%s%s%s%s", f->vm != NULL ? " vm=" : "",
	    f->vm != NULL ? f->vm : "", f->node != NULL ? " node=" : "",
	    f->node != NULL ? f->node : "",
	    f->migration != NULL ? " migration=" : "",
	    f->migration != NULL ? f->migration : "",
	    f->evacuation != NULL ? " evacuation=" : "",
	    f->evacuation != NULL ? f->evacuation : "");
	memmove(s, s + 1, strlen(s));	/* the first space */
	return (s);
}

/* A line that is not a record: heartbeat, error, resumed. */
char *
watch_event_notice(const char *type, uint64_t now_ms, const char *error,
    const char *reason)
{
	yajl_gen	 g = yajl_gen_alloc(NULL);
	char		*json, *line;

	yajl_gen_map_open(g);
	json_kv_str(g, "type", type);
	json_kv_time(g, "time", now_ms);
	if (error != NULL)
		json_kv_str(g, "error", error);
	if (reason != NULL) {
		json_str(g, "reasons");
		yajl_gen_array_open(g);
		json_str(g, reason);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	json = json_finish(g);
	xasprintf(&line, "%s\n", json);
	free(json);
	return (line);
}
