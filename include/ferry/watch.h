/*
 * watch.h: GET /v1/watch, the stream of transitions (issue 5).
 *
 * Every replica publishes each transition it writes on the Redis channel
 * <prefix>events (the record, as JSON, exactly as stored): a migration
 * when it is created and whenever its phase changes (coord.c's write
 * script compares the stored phase, so progress-only writes are not
 * published), an evacuation when it starts and when it ends (evac-ctl.c's
 * scripts, same rule).  The channel carries bare records; their "kind"
 * ("VirtualMachineInstanceMigration" or "Evacuation") says what they are.
 *
 * The watch holds one hiredis connection of its own, in SUBSCRIBE mode
 * (a subscribed connection can send no other command, so it cannot be
 * the store's), from watch_create to watch_free, whether or not anyone
 * watches: a watch that starts is then served at once with no window in
 * which events are lost, and a 503 means the subscription is really
 * down, not that the store's connection is.  One idle connection per
 * replica costs little; messages that arrive while nobody watches are
 * dropped unparsed.  Lost, it is reconnected with backoff and
 * resubscribed; the loop never waits on it.
 *
 * Each client gets HTTP 200 and a chunked body of one JSON object per
 * line (application/x-ndjson):
 *	{"type":"migration","object":{...the migration record...}}
 *	{"type":"evacuation","object":{...the evacuation record...}}
 *	{"type":"heartbeat","time":RFC3339}	every WATCH_HEARTBEAT_S
 *	{"type":"error","time":...,"error":"redis connection lost",
 *	    "reasons":[...]}			the subscription was lost;
 *						the stream stays open
 *	{"type":"resumed","time":...}		subscribed again: events
 *						published in between were
 *						missed (list to catch up)
 * Filters (query): vm, node, migration, evacuation; see watch-priv.h.
 *
 * Bounds: at most WATCH_CLIENTS_MAX clients (503 beyond); a client
 * whose unsent output passes WATCH_OUTBUF_MAX bytes, or that takes no
 * data for WATCH_WRITE_TIMEOUT_S while some waits, is closed with a log
 * line, so a slow reader never makes ferryd grow.  A client that goes is
 * noticed (evhttp's close callback) and freed from the loop.
 */
#ifndef FERRY_WATCH_H
#define FERRY_WATCH_H

struct event_base;
struct evbuffer;
struct evhttp_request;
struct watch;

#define WATCH_CLIENTS_MAX	256		/* concurrent watchers */
#define WATCH_OUTBUF_MAX	(1024 * 1024)	/* unsent bytes, per client */
#define WATCH_INBUF_MAX		4096		/* bytes read from a watcher, at most */
#define WATCH_PAYLOAD_MAX	(512 * 1024)	/* bytes of one record */
#define WATCH_HEARTBEAT_S	15		/* a heartbeat line every */
#define WATCH_WRITE_TIMEOUT_S	60		/* no progress: close */

/*
 * Subscribe to PREFIX + "events" on Redis at HOST:PORT, and keep at it
 * until watch_free.
 */
struct watch	*watch_create(struct event_base *, const char *, int,
		     const char *);

/*
 * Stop: every stream still open is ended (its last chunk is queued; the
 * server's own teardown may cut it), the subscription is dropped.
 */
void		 watch_free(struct watch *);	/* accepts NULL */

/* Is the subscription up (watches are accepted)? */
int		 watch_is_up(struct watch *);

/*
 * Serve GET /v1/watch?QUERY (raw query string or NULL) on REQ: 400 for a
 * bad query, 503 when the subscription is down or too many watch, else
 * 200 and the stream, until the client or ferryd goes.
 */
void		 watch_request(struct watch *, struct evhttp_request *,
		     const char *);

/* Add the watch's metrics (Prometheus text) to BUF. */
void		 watch_metrics(struct watch *, struct evbuffer *);

#endif
