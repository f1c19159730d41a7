/*
 * notify.c: webhooks (notify.h).
 *
 * Each URL is a target with a queue of events, oldest first, and at most
 * one of them current: being sent, or waiting out the pause before it is
 * sent again.  The next event is sent only once the current one is
 * delivered or dropped, so a receiver sees events in order.  Requests are
 * libcurl easy handles run by curl-event.c on the loop; the pause is a
 * timer per target.  A full queue drops its oldest waiting event, never the
 * current one, which is on its way out anyway.
 *
 * Logs: one warning per event given up after its last retry, and one when
 * a queue starts overflowing (with the count, again after the queue has
 * recovered); each failed attempt only at debug level.  URLs are logged
 * as scheme://host[:port] only: user information, path and query may hold
 * secrets (a chat webhook's path is its token).
 */

#include <sys/queue.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <yajl/yajl_gen.h>

#include "ferry/curl-event.h"
#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/notify.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* One event on its way to one URL. */
struct notify_ev {
	char			*body;		/* the JSON POSTed */
	size_t			 len;		/* its length */
	char			 id[37];	/* its "id", for logs */
	TAILQ_ENTRY(notify_ev)	 entry;		/* in target->waiting */
};
TAILQ_HEAD(notify_ev_list, notify_ev);

/* One URL: its queue and its request. */
struct notify_target {
	struct notify		*n;		/* owner */
	char			*url;		/* as configured */
	char			*shown;		/* for logs: no secrets */
	struct notify_ev_list	 waiting;	/* not sent yet, oldest first */
	size_t			 nwaiting;	/* entries in waiting */
	struct notify_ev	*cur;		/* being sent or to be retried */
	int			 attempts;	/* made for cur so far */
	CURL			*easy;		/* cur's request in flight */
	struct event		*retry;		/* pause before cur goes again */
	char			 err[CURL_ERROR_SIZE]; /* curl's detail */
	int			 overflowing;	/* the queue-full warning is out */
	struct notify_stats	 stats;		/* for notify_stats() */
	TAILQ_ENTRY(notify_target) entry;	/* in n->targets */
};
TAILQ_HEAD(notify_target_list, notify_target);

/* The notifier. */
struct notify {
	struct event_base	*base;		/* the loop */
	struct curl_event	*ce;		/* runs the requests */
	struct curl_slist	*headers;	/* of every request */
	struct notify_target_list targets;	/* one per URL, in config order */
	int			 all;		/* post events that are not final */
	int			 timeout_ms;	/* per request */
	int			 retries;	/* attempts after the first */
	size_t			 queue_max;	/* waiting events per URL */
	int			 backoff_ms;	/* first pause */
	int			 backoff_max_ms; /* longest pause */
	char			*replica;	/* "replica" of each event */
};

static void	notify_target_send(struct notify_target *);
static void	notify_target_retry_timer(evutil_socket_t, short, void *);

/* Check that URL can be a webhook; see notify.h. */
int
notify_url_check(const char *url, char **cause)
{
	const char	*host, *end, *at, *port, *s;
	size_t		 len;
	long		 n;

	len = strlen(url);
	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else {
		xasprintf(cause, "is not http:// or https://");
		return (-1);
	}
	if (len > NOTIFY_URL_MAX) {
		xasprintf(cause, "is longer than %d bytes", NOTIFY_URL_MAX);
		return (-1);
	}
	for (s = url; *s != '\0'; s++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f) {
			xasprintf(cause, "has a space or a control character");
			return (-1);
		}
	}
	end = host + strcspn(host, "/?#");
	/* User information ends at the last '@' of the authority. */
	for (at = host; at < end; at++) {
		if (*at == '@')
			host = at + 1;
	}
	port = NULL;
	if (host < end && *host == '[') {
		s = memchr(host, ']', (size_t)(end - host));
		if (s == NULL || s == host + 1) {
			xasprintf(cause, "has a bad IPv6 address");
			return (-1);
		}
		if (s + 1 < end) {
			if (s[1] != ':') {
				xasprintf(cause, "has a bad IPv6 address");
				return (-1);
			}
			port = s + 2;
		}
	} else {
		s = memchr(host, ':', (size_t)(end - host));
		if (s == host || host == end) {
			xasprintf(cause, "has no host");
			return (-1);
		}
		if (s != NULL)
			port = s + 1;
	}
	if (port != NULL) {
		n = 0;
		for (s = port; s < end && n <= 65535; s++) {
			if (!isdigit((unsigned char)*s))
				break;
			n = n * 10 + (*s - '0');
		}
		if (s != end || port == end || n < 1 || n > 65535) {
			xasprintf(cause, "has a bad port");
			return (-1);
		}
	}
	return (0);
}

/* URL as logs show it; see notify.h. */
char *
notify_url_shown(const char *url)
{
	const char	*host, *end, *s;
	char		*shown;
	size_t		 scheme;

	if ((host = strstr(url, "://")) != NULL)
		host += 3;
	else
		host = url;
	scheme = (size_t)(host - url);
	end = host + strcspn(host, "/?#");
	for (s = host; s < end; s++) {
		if (*s == '@')
			host = s + 1;
	}
	/* The path of a chat webhook is its secret: never shown. */
	xasprintf(&shown, "%.*s%.*s%s", (int)scheme, url, (int)(end - host),
	    host, end[0] == '\0' ? "" : strcmp(end, "/") == 0 ? "/" :
	    "/...");
	return (shown);
}

/* Free EV. */
static void
notify_ev_free(struct notify_ev *ev)
{
	if (ev == NULL)
		return;
	free(ev->body);
	free(ev);
}

/* Pop T's oldest waiting event and free it. */
static void
notify_target_drop_oldest(struct notify_target *t)
{
	struct notify_ev	*ev = TAILQ_FIRST(&t->waiting);

	TAILQ_REMOVE(&t->waiting, ev, entry);
	t->nwaiting--;
	notify_ev_free(ev);
}

/* Drop waiting events of T beyond the queue bound, oldest first. */
static void
notify_target_trim(struct notify_target *t)
{
	size_t	dropped = 0;

	while (t->nwaiting > t->n->queue_max) {
		notify_target_drop_oldest(t);
		t->stats.dropped_full++;
		dropped++;
	}
	if (dropped == 0 || t->overflowing)
		return;
	/* Once until the queue has room again: a dead receiver is one line. */
	t->overflowing = 1;
	log_warn("webhook '%s': queue full (%zu events), dropping the oldest; "
	    "%llu dropped so far", t->shown, t->n->queue_max,
	    (unsigned long long)t->stats.dropped_full);
}

/* A new target for URL, with nothing to send yet. */
static struct notify_target *
notify_target_create(struct notify *n, const char *url)
{
	struct notify_target	*t = xcalloc(1, sizeof *t);

	t->n = n;
	t->url = xstrdup(url);
	t->shown = notify_url_shown(url);
	TAILQ_INIT(&t->waiting);
	t->retry = evtimer_new(n->base, notify_target_retry_timer, t);
	return (t);
}

/* Free T: cut its request, drop its events (one log line if any). */
static void
notify_target_free(struct notify_target *t, const char *why)
{
	size_t	lost = t->nwaiting + (t->cur != NULL);

	if (lost > 0)
		log_warn("webhook '%s': %zu events not delivered (%s)",
		    t->shown, lost, why);
	if (t->easy != NULL) {
		curl_event_remove(t->n->ce, t->easy);
		curl_easy_cleanup(t->easy);
	}
	event_free(t->retry);
	while (t->nwaiting > 0)
		notify_target_drop_oldest(t);
	notify_ev_free(t->cur);
	free(t->shown);
	free(t->url);
	free(t);
}

/* Find the target of URL, or NULL. */
static struct notify_target *
notify_target_find(struct notify *n, const char *url)
{
	struct notify_target	*t;

	TAILQ_FOREACH(t, &n->targets, entry) {
		if (strcmp(t->url, url) == 0)
			return (t);
	}
	return (NULL);
}

/* T's current event is done with (delivered or dropped): send the next. */
static void
notify_target_next(struct notify_target *t)
{
	notify_ev_free(t->cur);
	t->cur = NULL;
	t->attempts = 0;
	notify_target_send(t);
}

/* An attempt of T's current event failed for WHY: retry later or drop. */
static void
notify_target_failed(struct notify_target *t, const char *why)
{
	struct notify	*n = t->n;
	struct timeval	 tv;
	int		 ms, i;

	t->stats.failures++;
	if (t->attempts > n->retries) {
		log_warn("webhook '%s': event %s dropped after %d attempts: %s",
		    t->shown, t->cur->id, t->attempts, why);
		t->stats.dropped_retries++;
		notify_target_next(t);
		return;
	}
	ms = n->backoff_ms;
	for (i = 1; i < t->attempts && ms < n->backoff_max_ms; i++)
		ms *= 2;
	if (ms > n->backoff_max_ms)
		ms = n->backoff_max_ms;
	log_debug("webhook '%s': event %s attempt %d failed: %s; again in %d "
	    "ms", t->shown, t->cur->id, t->attempts, why, ms);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(t->retry, &tv);
}

/* The pause of T is over: send its current event again. */
static void
notify_target_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct notify_target	*t = arg;

	notify_target_send(t);
}

/* Throw away what a receiver answers. */
static size_t
notify_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	return (size * nmemb);
}

/*
 * Send T's current event, or make its oldest waiting event current and
 * send that; nothing if a request is out, a pause runs or nothing waits.
 */
static void
notify_target_send(struct notify_target *t)
{
	struct notify	*n = t->n;
	CURL		*easy;
	char		*cause = NULL;

	if (t->easy != NULL || evtimer_pending(t->retry, NULL))
		return;
	if (t->cur == NULL) {
		if ((t->cur = TAILQ_FIRST(&t->waiting)) == NULL)
			return;
		TAILQ_REMOVE(&t->waiting, t->cur, entry);
		t->nwaiting--;
		t->attempts = 0;
		if (t->nwaiting < n->queue_max)
			t->overflowing = 0;
	}
	t->attempts++;
	if ((easy = curl_easy_init()) == NULL) {
		notify_target_failed(t, "cannot create a libcurl handle");
		return;
	}
	t->err[0] = '\0';
	curl_easy_setopt(easy, CURLOPT_URL, t->url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->cur->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)t->cur->len);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, n->headers);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "ferry/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)n->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->err);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, notify_write_cb);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP|CURLPROTO_HTTPS));
#endif
	if (curl_event_add(n->ce, easy, &cause) != 0) {
		curl_easy_cleanup(easy);
		notify_target_failed(t, cause);
		free(cause);
		return;
	}
	t->easy = easy;
}

/* A request ended (curl-event.h): delivered, or failed. */
static void
notify_done(CURL *easy, CURLcode result, void *arg)
{
	struct notify_target	*t;
	char			*why = NULL, *priv = NULL;
	long			 code = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	t = (struct notify_target *)priv;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	t->easy = NULL;
	if (result != CURLE_OK)
		xasprintf(&why, "%s", t->err[0] != '\0' ? t->err :
		    curl_easy_strerror(result));
	else if (code < 200 || code > 299)
		xasprintf(&why, "HTTP status %ld", code);
	curl_easy_cleanup(easy);

	if (why == NULL) {
		t->stats.delivered++;
		notify_target_next(t);
		return;
	}
	notify_target_failed(t, why);
	free(why);
}

/* Check OPTS: URLs valid and each given once; 0 or -1 with *CAUSE. */
static int
notify_opts_check(const struct notify_opts *opts, char **cause)
{
	char	*why = NULL, *shown;
	size_t	 i, j;

	for (i = 0; i < opts->nurls; i++) {
		shown = notify_url_shown(opts->urls[i]);
		if (notify_url_check(opts->urls[i], &why) != 0) {
			xasprintf(cause, "webhook URL '%s' %s", shown, why);
			free(why);
			free(shown);
			return (-1);
		}
		for (j = 0; j < i; j++) {
			if (strcmp(opts->urls[i], opts->urls[j]) == 0) {
				xasprintf(cause, "webhook URL '%s' is given "
				    "twice", shown);
				free(shown);
				return (-1);
			}
		}
		free(shown);
	}
	return (0);
}

/* Take the settings of OPTS that are not URLs. */
static void
notify_opts_apply(struct notify *n, const struct notify_opts *opts)
{
	n->all = opts->all;
	n->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 1;
	n->retries = opts->retries > 0 ? opts->retries : 0;
	n->queue_max = opts->queue_max > 0 ? (size_t)opts->queue_max : 1;
	n->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms :
	    NOTIFY_BACKOFF_MS;
	n->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms :
	    NOTIFY_BACKOFF_MAX_MS;
	if (n->backoff_max_ms < n->backoff_ms)
		n->backoff_max_ms = n->backoff_ms;
	free(n->replica);
	n->replica = xstrdup(opts->replica != NULL ? opts->replica : "");
}

/* A notifier; see notify.h. */
struct notify *
notify_create(struct event_base *base, const struct notify_opts *opts,
    char **cause)
{
	struct notify		*n = NULL;
	struct notify_target	*t;
	struct curl_slist	*h;
	size_t			 i;

	if (notify_opts_check(opts, cause) != 0)
		return (NULL);
	n = xcalloc(1, sizeof *n);
	n->base = base;
	TAILQ_INIT(&n->targets);
	n->ce = curl_event_create(base, notify_done, n, NULL, cause);
	if (n->ce == NULL) {
		free(n);
		return (NULL);
	}
	/* No "Expect: 100-continue": it costs a round trip, or a second. */
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (h == NULL || (n->headers = curl_slist_append(h, "Expect:")) ==
	    NULL) {
		xasprintf(cause, "out of memory for request headers");
		curl_slist_free_all(h);
		curl_event_free(n->ce);
		free(n);
		return (NULL);
	}
	notify_opts_apply(n, opts);
	for (i = 0; i < opts->nurls; i++) {
		t = notify_target_create(n, opts->urls[i]);
		TAILQ_INSERT_TAIL(&n->targets, t, entry);
	}
	return (n);
}

/* Free N and drop what it holds; see notify.h. */
void
notify_free(struct notify *n)
{
	struct notify_target	*t;

	if (n == NULL)
		return;
	while ((t = TAILQ_FIRST(&n->targets)) != NULL) {
		TAILQ_REMOVE(&n->targets, t, entry);
		notify_target_free(t, "ferryd is stopping");
	}
	curl_event_free(n->ce);
	curl_slist_free_all(n->headers);
	free(n->replica);
	free(n);
}

/* New options (SIGHUP); see notify.h. */
int
notify_set_opts(struct notify *n, const struct notify_opts *opts,
    char **cause)
{
	struct notify_target_list	 old;
	struct notify_target		*t;
	size_t				 i;

	if (notify_opts_check(opts, cause) != 0)
		return (-1);
	notify_opts_apply(n, opts);

	/* Rebuild the list in the new order, keeping the targets kept. */
	TAILQ_INIT(&old);
	TAILQ_CONCAT(&old, &n->targets, entry);
	for (i = 0; i < opts->nurls; i++) {
		TAILQ_FOREACH(t, &old, entry) {
			if (strcmp(t->url, opts->urls[i]) == 0)
				break;
		}
		if (t != NULL)
			TAILQ_REMOVE(&old, t, entry);
		else
			t = notify_target_create(n, opts->urls[i]);
		TAILQ_INSERT_TAIL(&n->targets, t, entry);
		notify_target_trim(t);
	}
	while ((t = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, t, entry);
		notify_target_free(t, "no longer configured");
	}
	return (0);
}

/* The body of one event: the envelope around OBJECT. */
static char *
notify_body(struct notify *n, const char *id, const char *kind,
    const char *object, int final)
{
	yajl_gen	 g;
	char		*head, *body;

	g = yajl_gen_alloc(NULL);
	yajl_gen_map_open(g);
	json_kv_str(g, "id", id);
	json_kv_str(g, "type", kind);
	json_kv_bool(g, "final", final);
	json_kv_time(g, "time", util_wall_ms());
	json_kv_str(g, "replica", n->replica);
	yajl_gen_map_close(g);
	head = json_finish(g);
	/* yajl cannot embed ready JSON: put OBJECT in place of the '}'. */
	xasprintf(&body, "%.*s,\"object\":%s}", (int)(strlen(head) - 1), head,
	    object);
	free(head);
	return (body);
}

/* Queue an event for every URL; see notify.h. */
void
notify_event(struct notify *n, const char *kind, const char *object,
    int final)
{
	struct notify_target	*t;
	struct notify_ev	*ev;
	char			 id[37], *body;
	size_t			 len;

	if (n == NULL || (!final && !n->all) || TAILQ_EMPTY(&n->targets))
		return;
	util_uuid(id);
	body = notify_body(n, id, kind, object, final);
	len = strlen(body);
	TAILQ_FOREACH(t, &n->targets, entry) {
		ev = xcalloc(1, sizeof *ev);
		ev->body = xstrdup(body);
		ev->len = len;
		memcpy(ev->id, id, sizeof ev->id);
		TAILQ_INSERT_TAIL(&t->waiting, ev, entry);
		t->nwaiting++;
		notify_target_trim(t);
		notify_target_send(t);
	}
	free(body);
}

/* Counters of URL; see notify.h. */
int
notify_stats(struct notify *n, const char *url, struct notify_stats *st)
{
	struct notify_target	*t;

	if ((t = notify_target_find(n, url)) == NULL)
		return (-1);
	*st = t->stats;
	st->queued = t->nwaiting + (t->cur != NULL);
	return (0);
}
