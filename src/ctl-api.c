/*
 * ctl-api.c: ferryctl's client for ferryd's HTTP API.  A command line may
 * block, so this is libcurl's easy interface with one handle reused across
 * calls (a --wait polls over one kept-alive connection).  Every answer is
 * JSON; errors have the API's {"error", "reasons"} shape.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <yajl/yajl_tree.h>

#include "ferry/ctl-api.h"
#include "ferry/ctl-json.h"
#include "ferry/xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define CTL_API_CONNECT_TIMEOUT	5L		/* seconds */
#define CTL_API_TOTAL_TIMEOUT	30L		/* seconds */
#define CTL_API_BODY_MAX	(8 * 1024 * 1024) /* bytes accepted */

/* A connection to one ferryd. */
struct ctl_api {
	char		*server;	/* base URL without a trailing '/' */
	char		*auth;		/* "Authorization: Bearer ..." or NULL */
	CURL		*curl;		/* easy handle, reused across calls */
};

/* A response body as it arrives. */
struct ctl_api_body {
	char		*data;		/* bytes and a NUL, or NULL if none */
	size_t		 len;		/* bytes in data */
	int		 too_big;	/* stopped at CTL_API_BODY_MAX */
};

/* Set from a signal handler: stop the transfer under way. */
static volatile sig_atomic_t	 ctl_api_stop;

/* Make a client for SERVER ("http://host:port"). */
struct ctl_api *
ctl_api_create(const char *server, char **cause)
{
	struct ctl_api	*api;
	size_t		 n;

	api = xcalloc(1, sizeof *api);
	api->server = xstrdup(server);
	for (n = strlen(api->server); n > 0 && api->server[n - 1] == '/'; n--)
		api->server[n - 1] = '\0';
	if (*api->server == '\0') {
		xasprintf(cause, "empty server URL '%s'", server);
		goto error;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (api->curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		goto error;
	}
	return (api);
error:
	ctl_api_free(api);
	return (NULL);
}

/* Send TOKEN as a bearer token with every request (NULL: none). */
void
ctl_api_set_token(struct ctl_api *api, const char *token)
{
	free(api->auth);
	api->auth = NULL;
	if (token != NULL && *token != '\0')
		xasprintf(&api->auth, "Authorization: Bearer %s", token);
}

/* Free API and close its connections. */
void
ctl_api_free(struct ctl_api *api)
{
	if (api == NULL)
		return;
	free(api->auth);
	if (api->curl != NULL) {
		curl_easy_cleanup(api->curl);
		curl_global_cleanup();
	}
	free(api->server);
	free(api);
}

/* Stop the call under way and fail later ones; safe in a signal handler. */
void
ctl_api_interrupt(void)
{
	ctl_api_stop = 1;
}

/* Has ctl_api_interrupt() been called? */
int
ctl_api_interrupted(void)
{
	return (ctl_api_stop != 0);
}

/* libcurl progress hook: abort the transfer once interrupted. */
static int
ctl_api_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	return (ctl_api_stop ? 1 : 0);
}

/* libcurl write hook: append to the body, up to CTL_API_BODY_MAX. */
static size_t
ctl_api_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ctl_api_body	*b = arg;
	size_t			 n = size * nmemb;

	if (n > CTL_API_BODY_MAX - b->len) {
		b->too_big = 1;
		return (0);
	}
	b->data = xrealloc(b->data, b->len + n + 1);
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return (n);
}

/*
 * Reset the handle and set what every request shares: URL (SERVER PATH,
 * returned for the caller to free), headers (ACCEPT, a JSON content type
 * if JSON_BODY, agent, token; *HEADERS for the caller to free), error
 * buffer, connect timeout, http(s) only, progress callback (^C).  -1 with
 * *CAUSE if the headers cannot be built.
 */
static int
ctl_api_prepare(struct ctl_api *api, const char *path, const char *accept,
    int json_body, char *errbuf, char **url, struct curl_slist **headers,
    char **cause)
{
	struct curl_slist	*h;

	/* Reset keeps the connection cache, so polls reuse one connection. */
	curl_easy_reset(api->curl);
	xasprintf(url, "%s%s", api->server, path);
	errbuf[0] = '\0';

	h = curl_slist_append(NULL, accept);
	if (h != NULL && json_body)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (h != NULL)
		h = curl_slist_append(h,
		    "User-Agent: ferryctl/" PACKAGE_VERSION);
	if (h != NULL && api->auth != NULL)
		h = curl_slist_append(h, api->auth);
	*headers = h;
	if (h == NULL) {
		*cause = xstrdup("out of memory building the request");
		return (-1);
	}

	curl_easy_setopt(api->curl, CURLOPT_URL, *url);
	curl_easy_setopt(api->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(api->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(api->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(api->curl, CURLOPT_CONNECTTIMEOUT,
	    CTL_API_CONNECT_TIMEOUT);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(api->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(api->curl, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP|CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(api->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(api->curl, CURLOPT_XFERINFOFUNCTION,
	    ctl_api_progress_cb);
	return (0);
}

/* Send METHOD PATH (with JSON BODY if not NULL); any HTTP status is success. */
static int
ctl_api_http(struct ctl_api *api, const char *method, const char *path,
    const char *body, long *status, struct ctl_api_body *out, char **cause)
{
	struct curl_slist	*headers = NULL;
	char			*url = NULL, errbuf[CURL_ERROR_SIZE];
	CURLcode		 rc;
	int			 retval = -1;

	memset(out, 0, sizeof *out);
	*status = 0;
	if (ctl_api_prepare(api, path, "Accept: application/json",
	    body != NULL, errbuf, &url, &headers, cause) != 0)
		goto out;
	curl_easy_setopt(api->curl, CURLOPT_TIMEOUT, CTL_API_TOTAL_TIMEOUT);
	curl_easy_setopt(api->curl, CURLOPT_WRITEFUNCTION, ctl_api_write_cb);
	curl_easy_setopt(api->curl, CURLOPT_WRITEDATA, out);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(api->curl, CURLOPT_POSTFIELDS,
		    body != NULL ? body : "");
		curl_easy_setopt(api->curl, CURLOPT_POSTFIELDSIZE,
		    (long)(body != NULL ? strlen(body) : 0));
	}

	if ((rc = curl_easy_perform(api->curl)) != CURLE_OK) {
		if (out->too_big)
			xasprintf(cause,
			    "bad response from server: body larger than %d bytes",
			    CTL_API_BODY_MAX);
		else if (ctl_api_stop)
			*cause = xstrdup("interrupted");
		else {
			ctl_json_clean(errbuf);
			xasprintf(cause, "cannot reach '%s': %s", api->server,
			    errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(rc));
		}
		goto out;
	}
	curl_easy_getinfo(api->curl, CURLINFO_RESPONSE_CODE, status);
	retval = 0;
out:
	if (retval != 0) {
		free(out->data);
		memset(out, 0, sizeof *out);
	}
	curl_slist_free_all(headers);
	free(url);
	return (retval);
}

/* Turn an error answer (TREE may be NULL) into a message with its reasons. */
static char *
ctl_api_error(long status, yajl_val tree)
{
	const char	*error = ctl_json_string(tree, "error");
	yajl_val	 reasons, r;
	char		*s = NULL, *t;
	size_t		 i;

	if (error == NULL) {
		xasprintf(&s,
		    "server answered HTTP %ld without an error message",
		    status);
		return (s);
	}
	xasprintf(&s, "%s (HTTP %ld)", error, status);
	reasons = ctl_json_get(tree, "reasons", yajl_t_array);
	for (i = 0; reasons != NULL && i < reasons->u.array.len; i++) {
		r = reasons->u.array.values[i];
		if (!YAJL_IS_STRING(r))
			continue;
		ctl_json_clean(r->u.string);
		xasprintf(&t, "%s\n  %s", s, r->u.string);
		free(s);
		s = t;
	}
	return (s);
}

/*
 * Call METHOD PATH and return the JSON object of a 2xx answer in *OUT and
 * the HTTP status in *STATUS (0 if there was no answer).  CAUSE says what
 * went wrong: the API's error and reasons on several lines, a bad answer,
 * or a server out of reach.
 */
int
ctl_api_call(struct ctl_api *api, const char *method, const char *path,
    const char *body, yajl_val *out, long *status, char **cause)
{
	struct ctl_api_body	 b;
	yajl_val		 tree = NULL;
	char			*why = NULL;
	int			 retval = -1;

	*out = NULL;
	if (ctl_api_http(api, method, path, body, status, &b, cause) != 0)
		goto out;
	if (ctl_json_parse(b.data, b.len, &tree, &why) != 0) {
		if (*status >= 200 && *status <= 299)
			xasprintf(cause,
			    "bad response from server: %s (HTTP %ld)", why,
			    *status);
		else
			*cause = ctl_api_error(*status, NULL);
		goto out;
	}
	if (*status < 200 || *status > 299) {
		*cause = ctl_api_error(*status, tree);
		goto out;
	}
	if (!YAJL_IS_OBJECT(tree)) {
		xasprintf(cause,
		    "bad response from server: expected a JSON object (HTTP %ld)",
		    *status);
		goto out;
	}
	*out = tree;
	tree = NULL;
	retval = 0;
out:
	yajl_tree_free(tree);
	free(b.data);
	free(why);
	return (retval);
}

/* A streamed body as it arrives: lines for a 2xx, the body otherwise. */
struct ctl_api_stream {
	CURL		*curl;		/* the transfer */
	long		 status;	/* HTTP status, once known */
	ctl_api_line_cb	 line_cb;	/* each line of a 2xx body */
	void		*arg;		/* its argument */
	int		 stopped;	/* the callback asked to stop */
	struct ctl_api_body line;	/* the line so far (2xx), or the
					   error body */
};

/* libcurl write hook of a stream: cut the body into lines. */
static size_t
ctl_api_stream_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ctl_api_stream	*st = arg;
	size_t			 n = size * nmemb, i, start = 0;

	if (st->status == 0)
		curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE,
		    &st->status);
	if (st->status < 200 || st->status > 299)
		return (ctl_api_write_cb(ptr, size, nmemb, &st->line));
	for (i = 0; i < n; i++) {
		if (ptr[i] != '\n')
			continue;
		if (ctl_api_write_cb(ptr + start, 1, i - start,
		    &st->line) != i - start)
			return (0);
		if (st->line.len > 0 && st->line.data[st->line.len - 1] == '\r')
			st->line.data[--st->line.len] = '\0';
		if (st->line.data != NULL && st->line_cb(st->line.data,
		    st->line.len, st->arg) != 0) {
			st->stopped = 1;
			return (0);
		}
		st->line.len = 0;
		start = i + 1;
	}
	if (ctl_api_write_cb(ptr + start, 1, n - start, &st->line) !=
	    n - start)
		return (0);
	return (n);
}

/* GET PATH and hand the lines of its body to LINE_CB as they arrive. */
int
ctl_api_stream(struct ctl_api *api, const char *path, long idle_s,
    ctl_api_line_cb line_cb, void *arg, long *status, char **cause)
{
	struct ctl_api_stream	 st;
	struct curl_slist	*headers = NULL;
	yajl_val		 tree = NULL;
	char			*url = NULL, *why = NULL;
	char			 errbuf[CURL_ERROR_SIZE];
	CURLcode		 rc;
	int			 retval = -1;

	memset(&st, 0, sizeof st);
	st.curl = api->curl;
	st.line_cb = line_cb;
	st.arg = arg;
	*status = 0;
	if (ctl_api_prepare(api, path, "Accept: application/x-ndjson", 0,
	    errbuf, &url, &headers, cause) != 0)
		goto out;
	/* A stream has no end to wait for: give up on silence instead. */
	curl_easy_setopt(api->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(api->curl, CURLOPT_LOW_SPEED_TIME, idle_s);
	curl_easy_setopt(api->curl, CURLOPT_WRITEFUNCTION, ctl_api_stream_cb);
	curl_easy_setopt(api->curl, CURLOPT_WRITEDATA, &st);

	rc = curl_easy_perform(api->curl);
	curl_easy_getinfo(api->curl, CURLINFO_RESPONSE_CODE, status);
	if (*status != 0 && (*status < 200 || *status > 299)) {
		if (ctl_json_parse(st.line.data, st.line.len, &tree,
		    &why) != 0)
			tree = NULL;
		*cause = ctl_api_error(*status, tree);
		goto out;
	}
	if (rc != CURLE_OK) {
		if (ctl_api_stop)
			*cause = xstrdup("interrupted");
		else if (st.stopped)
			*cause = xstrdup("stopped");
		else if (st.line.too_big)
			xasprintf(cause, "bad response from server: a line "
			    "longer than %d bytes", CTL_API_BODY_MAX);
		else if (rc == CURLE_OPERATION_TIMEDOUT && *status != 0)
			xasprintf(cause, "the server sent nothing for %ld "
			    "seconds", idle_s);
		else if (*status != 0) {
			ctl_json_clean(errbuf);
			xasprintf(cause, "the server closed the stream: %s",
			    errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(rc));
		} else {
			ctl_json_clean(errbuf);
			xasprintf(cause, "cannot reach '%s': %s", api->server,
			    errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(rc));
		}
		goto out;
	}
	/* A last line without its newline still counts. */
	if (st.line.len > 0)
		line_cb(st.line.data, st.line.len, arg);
	retval = 0;
out:
	yajl_tree_free(tree);
	free(why);
	free(st.line.data);
	curl_slist_free_all(headers);
	free(url);
	return (retval);
}
