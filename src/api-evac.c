/*
 * api-evac.c: the API routes of node drains and evacuations (issue 4):
 *	POST /v1/nodes/NAME/drain	body {"by": WHO} or none
 *	POST /v1/nodes/NAME/uncordon	body {"by": WHO} or none
 *	GET  /v1/evacuations[?node=NAME]
 *	GET  /v1/evacuations/ID
 * The evacuation manager answers from Redis, so every answer arrives later
 * from a callback, and the request may be gone by then:
 *  - the client closed its connection (or evhttp's timeout did): evhttp
 *    (2.1) detaches the unanswered request instead of freeing it, and the
 *    evhttp_send_reply of the late answer frees it without sending;
 *  - the server was freed (api_free at shutdown; ferryd runs its loop a
 *    little longer afterwards): evhttp_free frees the connection and its
 *    request.  Only this case needs care: each waiting request is on a
 *    list, and a close callback on its connection, called before evhttp
 *    frees the requests still attached, marks them gone so their answer
 *    is dropped.  api.c sets no close callback of its own.
 */

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ferry/api-priv.h"
#include "ferry/evac.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define API_EVAC_BY_MAX		64	/* bytes of "by", as on the stream */
#define API_EVAC_BODY_MAX	4096	/* bytes of a drain/uncordon body */
#define API_EVAC_BY_DEFAULT	"api"	/* "by" when the body has none */

/* A request waiting for the evacuation manager's answer. */
struct api_evac_call {
	struct evhttp_request		*req;	/* NULL once evhttp freed it */
	TAILQ_ENTRY(api_evac_call)	 entry;	/* in api_evac_calls */
};

/* Every request waiting for an answer, whichever connection it came on. */
static TAILQ_HEAD(, api_evac_call) api_evac_calls =
    TAILQ_HEAD_INITIALIZER(api_evac_calls);

/* What a POST /v1/nodes/NAME/ACTION asks for. */
enum api_evac_action {
	API_EVAC_DRAIN,		/* cordon and taint: evacuate */
	API_EVAC_UNCORDON,	/* take both off: cancel the evacuation */
};

/*
 * A connection is being freed: its requests still attached to it are
 * freed with it (a request the client gave up on was detached before).
 */
static void
api_evac_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct api_evac_call	*call;

	TAILQ_FOREACH(call, &api_evac_calls, entry) {
		if (call->req != NULL &&
		    evhttp_request_get_connection(call->req) == evcon)
			call->req = NULL;
	}
}

/* Remember that REQ is answered later: the argument for api_evac_done. */
static struct api_evac_call *
api_evac_call_new(struct evhttp_request *req)
{
	struct api_evac_call		*call = xcalloc(1, sizeof *call);
	struct evhttp_connection	*evcon;

	call->req = req;
	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		evhttp_connection_set_closecb(evcon, api_evac_close_cb, NULL);
	TAILQ_INSERT_TAIL(&api_evac_calls, call, entry);
	return (call);
}

/* The answer of the evacuation manager: send it to the waiting client. */
static void
api_evac_done(int status, const char *json, const char *err, void *arg)
{
	struct api_evac_call	*call = arg;
	struct evhttp_request	*req = call->req;

	TAILQ_REMOVE(&api_evac_calls, call, entry);
	free(call);
	if (req == NULL) {
		log_debug("api: answer %d to a request of a closed server "
		    "dropped", status);
		return;
	}
	if (status < 100 || status > 599) {
		log_warn("api: evacuation manager answered status %d", status);
		api_error(req, 500, "internal error", NULL);
	} else if (json != NULL)
		api_reply(req, status, json);
	else
		api_error(req, status, err != NULL ? err : "internal error",
		    NULL);
}

/* Does the body hold only JSON whitespace (or nothing)? */
static int
api_evac_body_blank(const char *body, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			return (0);
	}
	return (1);
}

/*
 * Parse a drain or uncordon body of LEN bytes: empty, {} or {"by": WHO}
 * with WHO 1 to API_EVAC_BY_MAX bytes and no control characters (the
 * rules of the requests stream).  *BY is allocated, API_EVAC_BY_DEFAULT
 * when not given.  0, or -1 with *CAUSE.
 */
static int
api_evac_body_parse(const char *body, size_t len, char **by, char **cause)
{
	yajl_val	 v = NULL, b = NULL;
	const char	*s;
	size_t		 i;
	int		 rc = -1;

	*by = NULL;
	if (body == NULL || api_evac_body_blank(body, len)) {
		*by = xstrdup(API_EVAC_BY_DEFAULT);
		return (0);
	}
	if ((v = json_parse_object(body, len, "request body", cause)) == NULL)
		goto out;
	for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
		if (strcmp(YAJL_GET_OBJECT(v)->keys[i], "by") != 0) {
			/* Keys are valid UTF-8: yajl checked them. */
			xasprintf(cause, "unknown field '%s' (known: by)",
			    YAJL_GET_OBJECT(v)->keys[i]);
			goto out;
		}
		if (b != NULL) {
			*cause = xstrdup("field 'by' given twice");
			goto out;
		}
		b = YAJL_GET_OBJECT(v)->values[i];
	}
	if (b == NULL || YAJL_IS_NULL(b)) {
		*by = xstrdup(API_EVAC_BY_DEFAULT);
		rc = 0;
		goto out;
	}
	if (!YAJL_IS_STRING(b)) {
		*cause = xstrdup("field 'by' must be a string");
		goto out;
	}
	s = YAJL_GET_STRING(b);
	if (*s == '\0' || strlen(s) > API_EVAC_BY_MAX) {
		xasprintf(cause, "field 'by' must be 1 to %d bytes long",
		    API_EVAC_BY_MAX);
		goto out;
	}
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*cause = xstrdup(
			    "field 'by' holds a control character");
			goto out;
		}
	}
	*by = xstrdup(s);
	rc = 0;
out:
	yajl_tree_free(v);
	return (rc);
}

/* POST /v1/nodes/NODE/drain or /uncordon. */
static void
api_evac_node(struct evac_mgr *evac, struct evhttp_request *req,
    const char *node, enum api_evac_action action)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	const char	*body;
	char		*by = NULL, *cause = NULL;

	if (!util_name_valid(node)) {
		api_error(req, 400, "invalid node name", NULL);
		goto out;
	}
	/* Small bodies only: yajl's tree is freed recursively. */
	if (len > API_EVAC_BODY_MAX) {
		api_error(req, 413, "request body too large", NULL);
		goto out;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
	if (api_evac_body_parse(body, len, &by, &cause) != 0) {
		api_error(req, 400, "bad request body", cause);
		goto out;
	}
	switch (action) {
	case API_EVAC_DRAIN:
		log_debug("api: drain of node %s asked by %s", node, by);
		evac_drain(evac, node, by, api_evac_done,
		    api_evac_call_new(req));
		break;
	case API_EVAC_UNCORDON:
		log_debug("api: uncordon of node %s asked by %s", node, by);
		evac_uncordon(evac, node, by, api_evac_done,
		    api_evac_call_new(req));
		break;
	}
out:
	free(cause);
	free(by);
}

/*
 * Find the only query parameter the list knows, node=NAME, in QUERY (raw,
 * or NULL).  *NODE is allocated, NULL if not given.  0, or -1 with *CAUSE.
 */
static int
api_evac_query(const char *query, char **node, char **cause)
{
	struct evkeyvalq	 params;
	struct evkeyval		*kv;
	int			 rc = -1;

	*node = NULL;
	TAILQ_INIT(&params);
	if (query == NULL || *query == '\0')
		return (0);
	if (evhttp_parse_query_str(query, &params) != 0) {
		*cause = xstrdup("malformed query string");
		goto out;
	}
	TAILQ_FOREACH(kv, &params, next) {
		if (strcmp(kv->key, "node") != 0) {
			/* Not echoed: decoded, it may be any bytes. */
			*cause = xstrdup("unknown query parameter "
			    "(known: node)");
			goto out;
		}
		if (*node != NULL) {
			*cause = xstrdup("query parameter 'node' given twice");
			goto out;
		}
		if (!util_name_valid(kv->value)) {
			*cause = xstrdup("query parameter 'node' must be a "
			    "node name");
			goto out;
		}
		*node = xstrdup(kv->value);
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*node);
		*node = NULL;
	}
	evhttp_clear_headers(&params);
	return (rc);
}

/* GET /v1/evacuations[?node=NAME] and GET /v1/evacuations/ID. */
static void
api_evac_get(struct evac_mgr *evac, struct evhttp_request *req,
    const char *id, const char *query)
{
	char	*node = NULL, *cause = NULL;

	if (id != NULL) {
		/* Ids are "<node>-drain-xxxxx": longer than a name may be. */
		if (!evac_record_id_valid(id))
			api_error(req, 400, "invalid evacuation name", NULL);
		else if (query != NULL && *query != '\0')
			api_error(req, 400, "bad query",
			    "an evacuation takes no query parameters");
		else
			evac_get(evac, id, NULL, api_evac_done,
			    api_evac_call_new(req));
		return;
	}
	if (api_evac_query(query, &node, &cause) != 0)
		api_error(req, 400, "bad query", cause);
	else
		evac_get(evac, NULL, node, api_evac_done,
		    api_evac_call_new(req));
	free(cause);
	free(node);
}

/*
 * Route REQ if it is one of the evacuation routes; 1 if it was (it is
 * answered now or later), 0 if api.c should go on routing.
 */
int
api_evac_route(struct evac_mgr *evac, struct evhttp_request *req,
    char **parts, int n, const char *query)
{
	enum evhttp_cmd_type	cmd = evhttp_request_get_command(req);
	enum api_evac_action	action;
	int			node_route, list_route;

	if (n < 2 || strcmp(parts[0], "v1") != 0)
		return (0);
	node_route = (n == 4 && strcmp(parts[1], "nodes") == 0 &&
	    (strcmp(parts[3], "drain") == 0 ||
	    strcmp(parts[3], "uncordon") == 0));
	list_route = ((n == 2 || n == 3) &&
	    strcmp(parts[1], "evacuations") == 0);
	if (!node_route && !list_route)
		return (0);

	if (evac == NULL) {
		api_error(req, 503, "evacuations are not available", NULL);
		return (1);
	}
	if (node_route) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(
			    evhttp_request_get_output_headers(req), "Allow",
			    "POST");
			api_error(req, 405, "method not allowed", "use POST");
			return (1);
		}
		if (query != NULL && *query != '\0') {
			api_error(req, 400, "bad query",
			    "a drain or an uncordon takes no query parameters");
			return (1);
		}
		action = strcmp(parts[3], "drain") == 0 ? API_EVAC_DRAIN :
		    API_EVAC_UNCORDON;
		api_evac_node(evac, req, parts[2], action);
		return (1);
	}
	if (cmd != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		api_error(req, 405, "method not allowed", "use GET");
		return (1);
	}
	api_evac_get(evac, req, n == 3 ? parts[2] : NULL, query);
	return (1);
}
