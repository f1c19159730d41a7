/*
 * api.c: the HTTP API on evhttp.  Handlers read the manager's records and
 * never block: a migrate request is answered from its completion callback.
 */

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/api.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define API_MAX_PARTS	8

struct api {
	struct event_base	*base;	/* the loop */
	struct evhttp		*http;	/* the server */
	struct mig_mgr		*mgr;	/* migrations */
	struct store		*store;	/* for health */
};

/* Send BODY (JSON) with STATUS. */
static void
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
static void
api_error(struct evhttp_request *req, int status, const char *msg,
    const char *reason)
{
	char	*body;

	body = mig_json_error(msg, &reason, reason != NULL ? 1 : 0);
	api_reply(req, status, body);
	free(body);
	log_debug("api: %d %s", status, msg);
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

/* Append one record to a list being built. */
static void
api_list_add(const struct mig_record *rec, void *arg)
{
	struct evbuffer	*buf = arg;
	char		*json = mig_json_encode(rec);

	if (evbuffer_get_length(buf) > 1)
		evbuffer_add(buf, ",", 1);
	evbuffer_add(buf, json, strlen(json));
	free(json);
}

/* GET /v1/migrations */
static void
api_migrations_list(struct api *api, struct evhttp_request *req)
{
	struct evbuffer	*items = evbuffer_new();
	struct evbuffer	*out = evbuffer_new();

	if (!mig_mgr_loaded(api->mgr)) {
		api_error(req, 503, "past migrations are not loaded yet "
		    "(is redis reachable?)", NULL);
		goto out;
	}
	evbuffer_add(items, "[", 1);
	mig_mgr_foreach(api->mgr, api_list_add, items);
	evbuffer_add(items, "]", 1);
	evbuffer_add_printf(out, "{\"apiVersion\":\"ferry.io/v1\","
	    "\"kind\":\"VirtualMachineInstanceMigrationList\",\"items\":");
	evbuffer_add_buffer(out, items);
	evbuffer_add(out, "}\n", 2);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", out);
out:
	evbuffer_free(items);
	evbuffer_free(out);
}

/* A migrate request finished its checks. */
static void
api_migrate_done(int status, const struct mig_record *rec, const char *err,
    const char *const *reasons, size_t nreasons, void *arg)
{
	struct evhttp_request	*req = arg;
	char			*body;

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
	mig_mgr_migrate(api->mgr, vm, target, api_migrate_done, req);
	free(target);
}

/* POST /v1/migrations/NAME/abort */
static void
api_migration_abort(struct api *api, struct evhttp_request *req,
    const char *name)
{
	char	*cause = NULL;
	int	 status;

	status = mig_mgr_abort(api->mgr, name, &cause);
	if (status == 202)
		api_reply_mig(req, 202, mig_mgr_find(api->mgr, name));
	else
		api_error(req, status, cause, NULL);
	free(cause);
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

	if (n >= 3 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 && !mig_mgr_loaded(api->mgr))
		/* Not knowing a migration yet is not "it does not exist". */
		api_error(req, 503, "past migrations are not loaded yet "
		    "(is redis reachable?)", NULL);
	else if (n >= 2 && n <= 3 && strcmp(parts[0], "v1") == 0 &&
	    (strcmp(parts[1], "nodes") == 0 || strcmp(parts[1], "vms") == 0) &&
	    get)
		api_inventory(api, req, parts[1], n == 3 ? parts[2] : NULL);
	else if (n == 1 && strcmp(parts[0], "healthz") == 0 && get)
		api_healthz(api, req);
	else if (n == 2 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 && get)
		api_migrations_list(api, req);
	else if (n == 3 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 && get) {
		const struct mig_record *rec = mig_mgr_find(api->mgr, parts[2]);

		if (rec == NULL)
			api_error(req, 404, "migration not found", parts[2]);
		else
			api_reply_mig(req, 200, rec);
	} else if (n == 4 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "migrations") == 0 &&
	    strcmp(parts[3], "abort") == 0 && post)
		api_migration_abort(api, req, parts[2]);
	else if (n == 4 && strcmp(parts[0], "v1") == 0 &&
	    strcmp(parts[1], "vms") == 0 &&
	    strcmp(parts[3], "migrate") == 0 && post)
		api_vm_migrate(api, req, parts[2]);
	else if (n >= 1 && (strcmp(parts[0], "v1") == 0 ||
	    strcmp(parts[0], "healthz") == 0) && !get && !post)
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
    struct mig_mgr *mgr, struct store *store, char **cause)
{
	struct api	*api = xcalloc(1, sizeof *api);

	api->base = base;
	api->mgr = mgr;
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

/* Stop the API server. */
void
api_free(struct api *api)
{
	if (api == NULL)
		return;
	if (api->http != NULL)
		evhttp_free(api->http);
	free(api);
}
