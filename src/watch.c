/*
 * watch.c: GET /v1/watch (see watch.h): one subscribed Redis connection,
 * fanned out to every client's chunked response.
 *
 * The subscription is a small machine:
 *	DOWN		no context; the retry timer is pending
 *	CONNECTING	context connecting; the connect timer gives up on it
 *	SUBSCRIBING	connected, SUBSCRIBE sent; the same timer waits for
 *			the confirmation
 *	SUBSCRIBED	messages arrive; watches are accepted
 * A lost connection goes back to DOWN and is tried again with backoff
 * (100 ms doubling to 5 s); clients stay connected and are told, in
 * band, that the stream has a gap ("error", later "resumed").
 *
 * Lifetime rules:
 *  - hiredis frees the context itself after the connect-failure and
 *    disconnect callbacks, and calls the subscription's callback with a
 *    NULL reply while it does: both find ac->data and do nothing when it
 *    is NULL, which is how watch_free and the connect timer let go of a
 *    context they free themselves;
 *  - a client's connection may go at any time (the client left, its
 *    write timed out, the server is freed): evhttp calls the close
 *    callback, which only marks the client; the reap event frees it from
 *    the loop.  If evhttp detached the unfinished request from the
 *    connection (a client that left), the request is ours and
 *    evhttp_send_reply_end frees it; if it is still attached (the server
 *    is being freed), evhttp frees it with the connection;
 *  - a client too slow to read is closed from the reap event too, never
 *    while the fan-out walks the list.
 */

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "ferry/api-priv.h"
#include "ferry/log.h"
#include "ferry/util.h"
#include "ferry/watch.h"
#include "ferry/watch-priv.h"
#include "ferry/xmalloc.h"

#define WATCH_BACKOFF_MIN_MS	100
#define WATCH_BACKOFF_MAX_MS	5000
#define WATCH_CONNECT_TIMEOUT_MS 5000	/* connect, then SUBSCRIBE's answer */
#define WATCH_WARN_EVERY_MS	1000	/* at most one bad-record warning */

/* Where the subscription stands (see the top of the file). */
enum watch_state {
	WATCH_DOWN,		/* no context; retry timer pending */
	WATCH_CONNECTING,	/* connecting; connect timer running */
	WATCH_SUBSCRIBING,	/* SUBSCRIBE sent; connect timer running */
	WATCH_SUBSCRIBED,	/* messages arrive */
};

/* One client streaming GET /v1/watch. */
struct watch_client {
	struct watch			*w;	/* its watch */
	struct evhttp_request		*req;	/* NULL once evhttp owns it */
	struct evhttp_connection	*evcon;	/* NULL once closed */
	struct watch_filter		 filter; /* what it wants */
	char				*peer;	/* "address:port", for logs */
	uint64_t			 id;	/* number, for logs */
	uint64_t			 sent;	/* events sent to it */
	int				 closed; /* its connection is gone */
	int				 slow;	/* to close: reads too slowly */
	TAILQ_ENTRY(watch_client)	 entry;	/* in the watch's list */
};
TAILQ_HEAD(watch_clients, watch_client);

/* The watch: a subscription and its clients. */
struct watch {
	struct event_base	*base;		/* the loop */
	char			*host;		/* Redis address */
	int			 port;		/* Redis port */
	char			*channel;	/* <prefix>events */

	redisAsyncContext	*ac;		/* context, or NULL */
	enum watch_state	 state;		/* see above */
	int			 outage_logged;	/* this outage is logged */
	int			 gap;		/* clients were told of a loss */
	unsigned int		 attempts;	/* failed tries this outage */
	int			 backoff_ms;	/* delay of the next retry */
	struct event		*retry_timer;	/* next connection attempt */
	struct event		*connect_timer;	/* gives up a hung attempt */

	struct watch_clients	 clients;	/* streaming clients */
	size_t			 nclients;	/* how many */
	uint64_t		 next_id;	/* id of the next client */
	struct event		*heartbeat;	/* every WATCH_HEARTBEAT_S */
	struct event		*reap_ev;	/* frees gone clients */
	struct evbuffer		*chunk;		/* one chunk on its way */

	uint64_t		 events;	/* records fanned out */
	uint64_t		 skipped;	/* records that were not */
	uint64_t		 dropped;	/* clients closed as too slow */
	uint64_t		 warn_ms;	/* last bad-record warning */
	uint64_t		 unwarned;	/* bad records not logged since */
};

/* Forward declarations. */
static void	watch_connect(struct watch *);

/* Queue LINE (LEN bytes) for client C (1), or mark C too slow (0). */
static int
watch_client_send(struct watch_client *c, const char *line, size_t len)
{
	struct watch		*w = c->w;
	struct bufferevent	*bev;
	size_t			 queued;

	if (c->closed || c->slow || c->evcon == NULL || c->req == NULL)
		return (0);
	bev = evhttp_connection_get_bufferevent(c->evcon);
	queued = evbuffer_get_length(bufferevent_get_output(bev));
	if (queued + len > WATCH_OUTBUF_MAX) {
		log_warn("watch: client %" PRIu64 " (%s) reads too slowly: "
		    "%zu bytes wait to be sent; closing it", c->id, c->peer,
		    queued);
		c->slow = 1;
		w->dropped++;
		event_active(w->reap_ev, EV_TIMEOUT, 0);
		return (0);
	}
	evbuffer_add(w->chunk, line, len);
	evhttp_send_reply_chunk(c->req, w->chunk);
	/* Moved into the connection's output; empty it if it was not. */
	evbuffer_drain(w->chunk, evbuffer_get_length(w->chunk));
	return (1);
}

/* Send a line that is not a record (TYPE, ERROR, REASON) to every client. */
static void
watch_notice_all(struct watch *w, const char *type, const char *error,
    const char *reason)
{
	struct watch_client	*c;
	char			*line;

	if (w->nclients == 0)
		return;
	line = watch_event_notice(type, util_wall_ms(), error, reason);
	TAILQ_FOREACH(c, &w->clients, entry)
		watch_client_send(c, line, strlen(line));
	free(line);
}

/* A bad record was skipped: warn, at most once per WATCH_WARN_EVERY_MS. */
static void
watch_skip(struct watch *w, const char *cause)
{
	uint64_t	now = util_now_ms();

	w->skipped++;
	if (w->warn_ms != 0 && now - w->warn_ms < WATCH_WARN_EVERY_MS) {
		w->unwarned++;
		return;
	}
	if (w->unwarned > 0)
		log_warn("watch: record on channel '%s' skipped: %s (and %"
		    PRIu64 " more since the last warning)", w->channel, cause,
		    w->unwarned);
	else
		log_warn("watch: record on channel '%s' skipped: %s",
		    w->channel, cause);
	w->warn_ms = now;
	w->unwarned = 0;
}

/* A record arrived on the channel: send it to the clients it matches. */
static void
watch_message(struct watch *w, const char *payload, size_t len)
{
	struct watch_event	 ev;
	struct watch_client	*c;
	char			*cause = NULL;

	if (w->nclients == 0)
		return;		/* nobody to tell: not even parsed */
	if (watch_event_parse(payload, len, &ev, &cause) != 0) {
		watch_skip(w, cause);
		free(cause);
		return;
	}
	w->events++;
	TAILQ_FOREACH(c, &w->clients, entry) {
		if (watch_filter_match(&c->filter, &ev) &&
		    watch_client_send(c, ev.line, ev.len))
			c->sent++;
	}
	watch_event_clear(&ev);
}

/* Arm the retry timer and double the backoff. */
static void
watch_retry_schedule(struct watch *w)
{
	struct timeval	tv;

	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000;
	evtimer_add(w->retry_timer, &tv);
	w->backoff_ms *= 2;
	if (w->backoff_ms > WATCH_BACKOFF_MAX_MS)
		w->backoff_ms = WATCH_BACKOFF_MAX_MS;
}

/*
 * The subscription is down (WHY), or an attempt failed: tell the clients
 * once per outage that their stream has a gap, log once per outage, and
 * try again later.
 */
static void
watch_unreachable(struct watch *w, const char *why)
{
	w->state = WATCH_DOWN;
	w->attempts++;
	if (!w->gap && w->nclients > 0) {
		watch_notice_all(w, "error", "redis connection lost",
		    "events published until the watch is resubscribed are "
		    "missed");
		w->gap = 1;
	}
	if (!w->outage_logged) {
		log_error("watch: redis %s:%d unreachable: %s; subscribing "
		    "to '%s' again when it is back", w->host, w->port, why,
		    w->channel);
		w->outage_logged = 1;
	} else {
		log_debug("watch: redis %s:%d still unreachable (attempt %u): "
		    "%s; retrying in %d ms", w->host, w->port, w->attempts,
		    why, w->backoff_ms);
	}
	watch_retry_schedule(w);
}

/* The retry timer: connect again. */
static void
watch_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct watch	*w = arg;

	watch_connect(w);
}

/*
 * The connect timer: a connect that hangs (dropped SYNs), or a SUBSCRIBE
 * never answered, is given up.  Not inside a hiredis callback: the
 * context may be freed here.
 */
static void
watch_connect_timer(evutil_socket_t fd, short events, void *arg)
{
	struct watch		*w = arg;
	redisAsyncContext	*ac = w->ac;
	int			 subscribing;

	if (ac == NULL || w->state == WATCH_SUBSCRIBED)
		return;
	subscribing = (w->state == WATCH_SUBSCRIBING);
	w->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
	watch_unreachable(w, subscribing ? "SUBSCRIBE not answered in time" :
	    "connect timed out");
}

/* hiredis: a reply on the subscribed connection (NULL while it goes). */
static void
watch_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct watch		*w = ac->data;
	redisReply		*reply = r, *kind, *data;

	if (w == NULL || reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING)
		return;
	kind = reply->element[0];
	data = reply->element[2];
	if (strcmp(kind->str, "message") == 0) {
		if (data->type == REDIS_REPLY_STRING)
			watch_message(w, data->str, data->len);
		return;
	}
	if (strcmp(kind->str, "subscribe") != 0 ||
	    w->state != WATCH_SUBSCRIBING)
		return;
	evtimer_del(w->connect_timer);
	w->state = WATCH_SUBSCRIBED;
	if (w->outage_logged)
		log_info("watch: redis %s:%d reachable again after %u failed "
		    "attempts; subscribed to '%s'", w->host, w->port,
		    w->attempts, w->channel);
	else
		log_info("watch: subscribed to '%s' on redis %s:%d",
		    w->channel, w->host, w->port);
	w->outage_logged = 0;
	w->attempts = 0;
	w->backoff_ms = WATCH_BACKOFF_MIN_MS;
	if (w->gap) {
		watch_notice_all(w, "resumed", NULL, NULL);
		w->gap = 0;
	}
}

/* hiredis: the connection attempt finished; subscribe if it worked. */
static void
watch_connect_done(const redisAsyncContext *cac, int status)
{
	struct watch		*w = cac->data;
	redisAsyncContext	*ac = (redisAsyncContext *)cac;

	if (w == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees AC when this returns. */
		evtimer_del(w->connect_timer);
		w->ac = NULL;
		watch_unreachable(w, ac->c.errstr[0] != '\0' ? ac->c.errstr :
		    "connect failed");
		return;
	}
	/* A dead peer without a FIN is noticed in minutes, not never. */
	redisEnableKeepAlive(&ac->c);
	w->state = WATCH_SUBSCRIBING;
	if (redisAsyncCommand(ac, watch_reply_cb, NULL, "SUBSCRIBE %b",
	    w->channel, strlen(w->channel)) != REDIS_OK) {
		/* The connect timer frees it, from the loop. */
		log_error("watch: redis %s:%d: cannot send SUBSCRIBE: %s",
		    w->host, w->port, ac->c.errstr[0] != '\0' ?
		    ac->c.errstr : "connection closing");
	}
}

/* hiredis: the connection is gone; hiredis frees AC when this returns. */
static void
watch_disconnect_done(const redisAsyncContext *ac, int status)
{
	struct watch	*w = ac->data;

	if (w == NULL)
		return;		/* let go by watch_free or the timer */
	evtimer_del(w->connect_timer);
	w->ac = NULL;
	/* The pause shrinks back once a SUBSCRIBE is confirmed, not here. */
	watch_unreachable(w, ac->c.errstr[0] != '\0' ? ac->c.errstr :
	    "connection closed");
}

/* Start one connection attempt; on immediate failure, retry later. */
static void
watch_connect(struct watch *w)
{
	redisAsyncContext	*ac;
	struct timeval		 tv;

	ac = redisAsyncConnect(w->host, w->port);
	if (ac == NULL) {
		watch_unreachable(w, "cannot allocate context");
		return;
	}
	if (ac->err) {
		watch_unreachable(w, ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	if (redisLibeventAttach(ac, w->base) != REDIS_OK) {
		redisAsyncFree(ac);
		watch_unreachable(w, "cannot attach to the event loop");
		return;
	}
	ac->data = w;
	redisAsyncSetConnectCallback(ac, watch_connect_done);
	redisAsyncSetDisconnectCallback(ac, watch_disconnect_done);
	w->ac = ac;
	w->state = WATCH_CONNECTING;
	tv.tv_sec = WATCH_CONNECT_TIMEOUT_MS / 1000;
	tv.tv_usec = (WATCH_CONNECT_TIMEOUT_MS % 1000) * 1000;
	evtimer_add(w->connect_timer, &tv);
}

/* The heartbeat timer: a line to every client, so idle streams stay up. */
static void
watch_heartbeat_timer(evutil_socket_t fd, short events, void *arg)
{
	struct watch	*w = arg;

	watch_notice_all(w, "heartbeat", NULL, NULL);
}

/*
 * evhttp: client C's connection is being freed.  Only mark C: the reap
 * event frees it.  A request still attached goes with the connection.
 */
static void
watch_client_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct watch_client	*c = arg;

	if (c->req != NULL && evhttp_request_get_connection(c->req) == evcon)
		c->req = NULL;
	c->evcon = NULL;
	c->closed = 1;
	event_active(c->w->reap_ev, EV_TIMEOUT, 0);
}

/* Free client C (off the list), ending its request if it is still ours. */
static void
watch_client_free(struct watch_client *c)
{
	if (c->evcon != NULL)
		evhttp_connection_set_closecb(c->evcon, NULL, NULL);
	/* Attached: ends the stream; detached: only frees the request. */
	if (c->req != NULL)
		evhttp_send_reply_end(c->req);
	watch_filter_clear(&c->filter);
	free(c->peer);
	free(c);
}

/* The reap event: close the slow clients, free the gone ones. */
static void
watch_reap_cb(evutil_socket_t fd, short events, void *arg)
{
	struct watch			*w = arg;
	struct watch_client		*c, *next;
	struct evhttp_connection	*evcon;

	for (c = TAILQ_FIRST(&w->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->slow && !c->closed && c->evcon != NULL) {
			/* Its queued output goes with it. */
			evcon = c->evcon;
			evhttp_connection_set_closecb(evcon, NULL, NULL);
			c->evcon = NULL;
			c->req = NULL;
			c->closed = 1;
			evhttp_connection_free(evcon);
		}
		if (!c->closed)
			continue;
		TAILQ_REMOVE(&w->clients, c, entry);
		w->nclients--;
		log_info("watch: client %" PRIu64 " (%s) %s after %" PRIu64
		    " events; %zu watching", c->id, c->peer, c->slow ?
		    "closed" : "gone", c->sent, w->nclients);
		watch_client_free(c);
	}
}

/* Serve GET /v1/watch: check, then start the stream. */
void
watch_request(struct watch *w, struct evhttp_request *req,
    const char *query)
{
	struct watch_client		*c;
	struct watch_filter		 f;
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct evkeyvalq		*h;
	struct timeval			 tv;
	char				*cause = NULL, *text, *addr = NULL;
	char				 why[64];
	ev_uint16_t			 port = 0;

	if (watch_filter_parse(query, &f, &cause) != 0) {
		api_error(req, 400, "bad query", cause);
		free(cause);
		return;
	}
	if (w->nclients >= WATCH_CLIENTS_MAX) {
		watch_filter_clear(&f);
		log_warn("watch: refused a client: %d watch already",
		    WATCH_CLIENTS_MAX);
		snprintf(why, sizeof why, "at most %d clients may watch at "
		    "once", WATCH_CLIENTS_MAX);
		api_error(req, 503, "too many watchers", why);
		return;
	}
	if (w->state != WATCH_SUBSCRIBED ||
	    (evcon = evhttp_request_get_connection(req)) == NULL) {
		watch_filter_clear(&f);
		api_error(req, 503, "redis is unreachable", "the watch cannot "
		    "subscribe to the events channel; try again later");
		return;
	}

	c = xcalloc(1, sizeof *c);
	c->w = w;
	c->req = req;
	c->evcon = evcon;
	c->filter = f;
	c->id = ++w->next_id;
	evhttp_connection_get_peer(evcon, &addr, &port);
	xasprintf(&c->peer, "%s:%u", addr != NULL ? addr : "?",
	    (unsigned)port);
	TAILQ_INSERT_TAIL(&w->clients, c, entry);
	w->nclients++;
	evhttp_connection_set_closecb(evcon, watch_client_close_cb, c);

	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "application/x-ndjson");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply_start(req, 200, "OK");
	/*
	 * The server's timeout would close a stream whose client sends
	 * nothing: no read timeout here, and a write timeout that only runs
	 * while output waits, for a client that stopped reading.
	 */
	tv.tv_sec = WATCH_WRITE_TIMEOUT_S;
	tv.tv_usec = 0;
	bev = evhttp_connection_get_bufferevent(evcon);
	bufferevent_set_timeouts(bev, NULL, &tv);
	/*
	 * evhttp keeps reading (to notice a close) and nothing drains what a
	 * watcher sends after its request: stop reading at WATCH_INBUF_MAX,
	 * so a client that talks cannot grow ferryd's memory.
	 */
	bufferevent_setwatermark(bev, EV_READ, 0, WATCH_INBUF_MAX);

	text = watch_filter_text(&c->filter);
	log_info("watch: client %" PRIu64 " (%s) watches %s; %zu watching",
	    c->id, c->peer, text, w->nclients);
	free(text);
}

/* Subscribe to PREFIX + "events" at HOST:PORT until watch_free. */
struct watch *
watch_create(struct event_base *base, const char *host, int port,
    const char *prefix)
{
	struct watch	*w = xcalloc(1, sizeof *w);
	struct timeval	 tv = { WATCH_HEARTBEAT_S, 0 };

	w->base = base;
	w->host = xstrdup(host != NULL ? host : "127.0.0.1");
	w->port = port;
	xasprintf(&w->channel, "%sevents", prefix != NULL ? prefix : "");
	w->backoff_ms = WATCH_BACKOFF_MIN_MS;
	TAILQ_INIT(&w->clients);
	w->retry_timer = evtimer_new(base, watch_retry_timer, w);
	w->connect_timer = evtimer_new(base, watch_connect_timer, w);
	w->heartbeat = event_new(base, -1, EV_PERSIST, watch_heartbeat_timer,
	    w);
	w->reap_ev = event_new(base, -1, 0, watch_reap_cb, w);
	w->chunk = evbuffer_new();
	if (w->retry_timer == NULL || w->connect_timer == NULL ||
	    w->heartbeat == NULL || w->reap_ev == NULL || w->chunk == NULL) {
		/* Only out of memory makes these fail; that is fatal. */
		log_error("watch: cannot create events");
		abort();
	}
	evtimer_add(w->heartbeat, &tv);
	watch_connect(w);
	return (w);
}

/* Stop: end every stream, drop the subscription. */
void
watch_free(struct watch *w)
{
	struct watch_client	*c;
	redisAsyncContext	*ac;

	if (w == NULL)
		return;
	while ((c = TAILQ_FIRST(&w->clients)) != NULL) {
		TAILQ_REMOVE(&w->clients, c, entry);
		watch_client_free(c);
	}
	w->nclients = 0;
	if ((ac = w->ac) != NULL) {
		/* Not inside a hiredis callback: free it now. */
		w->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	event_free(w->retry_timer);
	event_free(w->connect_timer);
	event_free(w->heartbeat);
	event_free(w->reap_ev);
	evbuffer_free(w->chunk);
	free(w->host);
	free(w->channel);
	free(w);
}

/* Is the subscription up? */
int
watch_is_up(struct watch *w)
{
	return (w->state == WATCH_SUBSCRIBED);
}

/* The watch's metrics as Prometheus text. */
void
watch_metrics(struct watch *w, struct evbuffer *b)
{
	evbuffer_add_printf(b,
	    "# HELP ferry_watch_subscribed Whether GET /v1/watch is subscribed "
	    "to the events channel.\n"
	    "# TYPE ferry_watch_subscribed gauge\n"
	    "ferry_watch_subscribed %d\n"
	    "# HELP ferry_watchers Clients streaming GET /v1/watch.\n"
	    "# TYPE ferry_watchers gauge\n"
	    "ferry_watchers %zu\n"
	    "# HELP ferry_watch_events_total Records read on the events "
	    "channel and sent to the watchers they match.\n"
	    "# TYPE ferry_watch_events_total counter\n"
	    "ferry_watch_events_total %" PRIu64 "\n"
	    "# HELP ferry_watch_events_skipped_total Records on the events "
	    "channel skipped as unreadable.\n"
	    "# TYPE ferry_watch_events_skipped_total counter\n"
	    "ferry_watch_events_skipped_total %" PRIu64 "\n"
	    "# HELP ferry_watch_clients_dropped_total Watchers closed because "
	    "they read too slowly.\n"
	    "# TYPE ferry_watch_clients_dropped_total counter\n"
	    "ferry_watch_clients_dropped_total %" PRIu64 "\n",
	    w->state == WATCH_SUBSCRIBED, w->nclients, w->events, w->skipped,
	    w->dropped);
}
