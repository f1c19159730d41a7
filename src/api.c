/*
 * api.c: the HTTP API on evhttp.  Handlers read the manager's records and
 * never block: a migrate request is answered from its completion callback.
 */

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ferry/api.h"
#include "ferry/api-priv.h"
#include "ferry/evac.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/watch.h"
#include "ferry/xmalloc.h"

#define API_MAX_PARTS	8

/* A request answered later, from a callback. */
struct api_call {
	struct api		*api;	/* NULL once the server is gone */
	struct evhttp_request	*req;	/* to answer */
	TAILQ_ENTRY(api_call)	 entry;	/* in api->calls */
};
TAILQ_HEAD(api_calls, api_call);

struct api {
	struct event_base	*base;	/* the loop */
	struct evhttp		*http;	/* the server */
	struct mig_mgr		*mgr;	/* migrations */
	struct evac_mgr		*evac;	/* drains and evacuations */
	struct store		*store;	/* for health */
	struct watch		*watch;	/* GET /v1/watch, or NULL */
	struct api_calls	 calls;	/* requests awaiting an answer */
	char			*token;	/* bearer token, or NULL: no auth */
	int			 open_health; /* /healthz without the token */
};

/* Send BODY (JSON) with STATUS. */
void
api_reply(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer		*buf = evbuffer_new();
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	const char		*reason;

	switch (status) {
	case 200: reason = "OK"; break;
	case 201: reason = "Created"; break;
	case 202: reason = "Accepted"; break;
	case 400: reason = "Bad Request"; break;
	case 404: reason = "Not Found"; break;
	case 401: reason = "Unauthorized"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 422: reason = "Unprocessable Entity"; break;
	case 413: reason = "Payload Too Large"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = "Error"; break;
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	evbuffer_add(buf, body, strlen(body));
	evbuffer_add(buf, "\n", 1);
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

/* Send an error: {"error": MSG, "reasons": [REASON]}. */
void
api_error(struct evhttp_request *req, int status, const char *msg,
    const char *reason)
{
	char	*body;

	body = mig_json_error(msg, &reason, reason != NULL ? 1 : 0);
	api_reply(req, status, body);
	free(body);
	log_debug("api: %d %s", status, msg);
}

/* Remember that REQ is answered later. */
static struct api_call *
api_call_new(struct api *api, struct evhttp_request *req)
{
	struct api_call	*call = xcalloc(1, sizeof *call);

	call->api = api;
	call->req = req;
	TAILQ_INSERT_TAIL(&api->calls, call, entry);
	return (call);
}

/* The answer of CALL is here: its request, or NULL if the server went. */
static struct evhttp_request *
api_call_end(struct api_call *call)
{
	struct evhttp_request	*req = call->req;

	if (call->api == NULL)
		req = NULL;
	else
		TAILQ_REMOVE(&call->api->calls, call, entry);
	free(call);
	return (req);
}

/* Answer a JSON callback: STATUS with JSON, or an error. */
static void
api_json_done(int status, const char *json, const char *err, void *arg)
{
	struct evhttp_request	*req = api_call_end(arg);

	if (req == NULL)
		return;
	if (json != NULL)
		api_reply(req, status, json);
	else
		api_error(req, status, err != NULL ? err : "error", NULL);
}

/* Send one migration record. */
static void
api_reply_mig(struct evhttp_request *req, int status,
    const struct mig_record *rec)
{
	char	*json = mig_json_encode(rec);

	api_reply(req, status, json);
	free(json);
}

/* A migrate request finished its checks. */
static void
api_migrate_done(int status, const struct mig_record *rec, const char *err,
    const char *const *reasons, size_t nreasons, void *arg)
{
	struct evhttp_request	*req = api_call_end(arg);
	char			*body;

	if (req == NULL)
		return;
	if (rec != NULL) {
		api_reply_mig(req, status, rec);
		return;
	}
	body = mig_json_error(err, reasons, nreasons);
	api_reply(req, status, body);
	free(body);
}

/* POST /v1/vms/NAME/migrate */
static void
api_vm_migrate(struct api *api, struct evhttp_request *req, const char *vm)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	char		*target = NULL, *cause = NULL;
	const char	*body;

	if (!util_name_valid(vm)) {
		api_error(req, 400, "invalid VM name", NULL);
		return;
	}
	if (len > API_MAX_BODY) {
		api_error(req, 413, "request body too large", NULL);
		return;
	}
	body = (const char *)evbuffer_pullup(in, -1);
	if (mig_json_migrate_body(body != NULL ? body : "", len, &target,
	    &cause) != 0) {
		api_error(req, 400, "bad request body", cause);
		free(cause);
		return;
	}
	mig_mgr_migrate(api->mgr, vm, target, api_migrate_done,
	    api_call_new(api, req));
	free(target);
}

/* POST /v1/migrations/NAME/abort[?force=true] */
static void
api_migration_abort(struct api *api, struct evhttp_request *req,
    const char *name, const char *query)
{
	struct evkeyvalq	 q;
	const char		*force = NULL;
	int			 yes = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		api_error(req, 400, "bad query string", NULL);
		return;
	}
	if ((force = evhttp_find_header(&q, "force")) != NULL) {
		if (strcmp(force, "true") == 0 || strcmp(force, "1") == 0)
			yes = 1;
		else if (strcmp(force, "false") != 0 &&
		    strcmp(force, "0") != 0) {
			evhttp_clear_headers(&q);
			api_error(req, 400, "force must be true or false",
			    NULL);
			return;
		}
	}
	evhttp_clear_headers(&q);
	mig_mgr_abort(api->mgr, name, MIG_REASON_ABORT_REQUESTED, yes,
	    api_json_done, api_call_new(api, req));
}

/* GET /v1/nodes[/NAME], GET /v1/vms[/NAME] */
static void
api_inventory(struct api *api, struct evhttp_request *req, const char *what,
    const char *name)
{
	char	*json;
	int	 nodes = (strcmp(what, "nodes") == 0);

	json = nodes ? mig_mgr_nodes_json(api->mgr, name) :
	    mig_mgr_vms_json(api->mgr, name);
	if (json == NULL) {
		api_error(req, 404, nodes ? "node not found" : "VM not found",
		    name);
		return;
	}
	api_reply(req, 200, json);
	free(json);
}

/* GET /healthz: redis and every node's connection. */
static void
api_healthz(struct api *api, struct evhttp_request *req)
{
	struct evbuffer	*out = evbuffer_new();
	int		 up = store_is_up(api->store);
	const char	*name;
	size_t		 i;

	evbuffer_add_printf(out, "{\"status\":\"%s\",\"redis\":\"%s\","
	    "\"nodes\":{", up ? "ok" : "degraded", up ? "up" : "down");
	for (i = 0; (name = mig_mgr_node_name(api->mgr, i)) != NULL; i++) {
		/* Node names are checked by util_name_valid: no escaping. */
		evbuffer_add_printf(out, "%s\"%s\":\"%s\"", i > 0 ? "," : "",
		    name, mig_mgr_node_up(api->mgr, name) ? "up" : "down");
	}
	evbuffer_add_printf(out, "}}\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, up ? 200 : 503, up ? "OK" :
	    "Service Unavailable", out);
	evbuffer_free(out);
}

/* GET /v1/watch[?vm=&node=&migration=&evacuation=]: the stream. */
static void
api_watch(struct api *api, struct evhttp_request *req, const char *query)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		api_error(req, 405, "method not allowed", "use GET");
		return;
	}
	if (api->watch == NULL) {
		api_error(req, 503, "the watch is not available", NULL);
		return;
	}
	watch_request(api->watch, req, query);
}

/* Do A and B hold the same string?  Time depends on A's length only. */
static int
api_secret_equal(const char *a, const char *b)
{
	size_t		 na = strlen(a), nb = strlen(b), i;
	unsigned char	 diff = (na != nb);

	for (i = 0; i < na; i++)
		diff |= (unsigned char)(a[i] ^ b[i < nb ? i : 0]);
	return (nb > 0 && diff == 0);
}

/* Does REQ carry the bearer token (or need none)? */
static int
api_authorized(struct api *api, struct evhttp_request *req)
{
	const char	*h;

	if (api->token == NULL)
		return (1);
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return (0);
	return (api_secret_equal(api->token, h + 7));
}

/* GET /metrics: Prometheus text. */
static void
api_metrics(struct api *api, struct evhttp_request *req)
{
	struct evbuffer	*out = mig_mgr_metrics(api->mgr);

	if (api->watch != NULL)
		watch_metrics(api->watch, out);
	evac_metrics(api->evac, out);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

/* Split PATH on '/' into at most API_MAX_PARTS parts; -1 if too many. */
static int
api_split(char *path, char **parts, int *n)
{
	char	*p, *save = NULL;

	*n = 0;
	for (p = strtok_r(path, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (*n == API_MAX_PARTS)
			return (-1);
		parts[(*n)++] = p;
	}
	return (0);
}

/* Route one request. */
static void
api_request_cb(struct evhttp_request *req, void *arg)
{
	struct api		*api = arg;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*uri = evhttp_request_get_uri(req);
	struct evhttp_uri	*u = NULL;
	char			*path = NULL, *parts[API_MAX_PARTS];
	int			 n, get = (cmd == EVHTTP_REQ_GET);
	int			 post = (cmd == EVHTTP_REQ_POST);

	if ((u = evhttp_uri_parse(uri)) == NULL ||
	    evhttp_uri_get_path(u) == NULL) {
		api_error(req, 400, "bad request URI", NULL);
		goto out;
	}
	path = evhttp_uridecode(evhttp_uri_get_path(u), 0, NULL);
	if (path == NULL || api_split(path, parts, &n) != 0) {
		api_error(req, 404, "no such resource", NULL);
		goto out;
	}
	log_debug("api: %s %s", get ? "GET" : post ? "POST" : "other", uri);
	if (!api_authorized(api, req) && !(api->open_health && n == 1 &&
	    (strcmp(parts[0], "healthz") == 0 ||
	    strcmp(parts[0], "metrics") == 0))) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer realm=\"ferry\"");
		api_error(req, 401, "missing or wrong bearer token", NULL);
		log_warn("api: %s %s refused: no valid bearer token",
		    get ? "GET" : post ? "POST" : "other", uri);
		goto out;
	}

	if (api->evac != NULL && api_evac_route(api->evac, req, parts, n,
	    evhttp_uri_get_query(u)))
		;	/* drains and evacuations */
	else if (n >= 2 && n <= 3 && strcmp(parts[0], "v1") == 0 &&
	    (strcmp(parts[1], "nodes") == 0 || strcmp(parts[1], "vms") == 0) &&
	    get)
		api_inventory(api, req, parts[1], n == 3 ? parts[2] : NULL);
	else if (n == 2 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "watch") == 0)
		api_watch(api, req, evhttp_uri_get_query(u));
	else if (n == 1 && strcmp(parts[0], "healthz") == 0 && get)
		api_healthz(api, req);
	else if (n == 1 && strcmp(parts[0], "metrics") == 0 && get)
		api_metrics(api, req);
	else if ((n == 2 || n == 3) && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 && get)
		mig_mgr_get(api->mgr, n == 3 ? parts[2] : NULL, api_json_done,
		    api_call_new(api, req));
	else if (n == 4 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 &&
	    strcmp(parts[3], "abort") == 0 && post)
		api_migration_abort(api, req, parts[2],
		    evhttp_uri_get_query(u));
	else if (n == 4 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "vms") == 0 &&
	    strcmp(parts[3], "migrate") == 0 && post)
		api_vm_migrate(api, req, parts[2]);
	else if (n >= 1 && (strcmp(parts[0], "v1") == 0 ||
	    strcmp(parts[0], "healthz") == 0 ||
	    strcmp(parts[0], "metrics") == 0) && !get && !post)
		api_error(req, 405, "method not allowed", NULL);
	else
		api_error(req, 404, "no such resource", uri);
out:
	free(path);
	if (u != NULL)
		evhttp_uri_free(u);
}

/* Start the API server. */
struct api *
api_create(struct event_base *base, const char *address, int port,
    struct mig_mgr *mgr, struct evac_mgr *evac, struct store *store,
    char **cause)
{
	struct api	*api = xcalloc(1, sizeof *api);

	api->base = base;
	api->mgr = mgr;
	api->evac = evac;
	TAILQ_INIT(&api->calls);
	api->store = store;
	if ((api->http = evhttp_new(base)) == NULL) {
		*cause = xstrdup("cannot create the HTTP server");
		goto error;
	}
	evhttp_set_max_body_size(api->http, API_MAX_BODY);
	evhttp_set_max_headers_size(api->http, 16 * 1024);
	evhttp_set_timeout(api->http, 30);
	evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(api->http, api_request_cb, api);
	if (evhttp_bind_socket(api->http, address, (ev_uint16_t)port) != 0) {
		xasprintf(cause, "cannot listen on '%s:%d'", address, port);
		goto error;
	}
	log_info("api listening on %s:%d", address, port);
	return (api);
error:
	api_free(api);
	return (NULL);
}

/* Require TOKEN (NULL: none) from clients; OPEN_HEALTH leaves /healthz open. */
void
api_set_token(struct api *api, const char *token, int open_health)
{
	free(api->token);
	api->token = token != NULL ? xstrdup(token) : NULL;
	api->open_health = open_health;
}

/* Serve GET /v1/watch from WATCH (NULL: 503). */
void
api_set_watch(struct api *api, struct watch *watch)
{
	api->watch = watch;
}

/* Stop the API server. */
void
api_free(struct api *api)
{
	struct api_call	*call;

	if (api == NULL)
		return;
	/* Answers still to come find no server: they are dropped. */
	while ((call = TAILQ_FIRST(&api->calls)) != NULL) {
		TAILQ_REMOVE(&api->calls, call, entry);
		call->api = NULL;
	}
	if (api->http != NULL)
		evhttp_free(api->http);
	free(api->token);
	free(api);
}
