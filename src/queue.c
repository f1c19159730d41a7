/*
 * queue.c: work queues on Redis streams with a consumer group (queue.h).
 *
 * Each queue owns two hiredis async contexts on the loop, each reconnected
 * on its own with backoff: the reader runs nothing but XREADGROUP (its
 * BLOCK would hold up whatever is queued behind it on the same socket);
 * the writer runs the rest: XGROUP CREATE, XADD, XACK, XAUTOCLAIM and the
 * touch script.  A queue created without an entry callback only writes.
 *
 * Reading: whenever the reader (re)connects it first re-reads this
 * consumer's own pending entries (ID 0, paged by the last ID seen) until a
 * page comes back empty, then blocks for new ones ('>') in a loop.  An
 * entry handed to the caller and not yet acknowledged is never handed over
 * a second time, however it comes back (replay, XAUTOCLAIM); nor is one
 * whose XACK, on the other connection, overtook a read that holds it.
 *
 * Touching: Redis counts an entry's idle time from its last delivery, not
 * from its consumer's death, so a migration running longer than
 * claim_idle_ms would be claimed from a healthy replica and run twice.
 * Each queue therefore re-claims the entries it holds to itself (XCLAIM
 * with idle 0, JUSTID, only while it still owns them: one script) every
 * claim_idle_ms / 3.  Idle time then measures how long the holder has been
 * silent, and only a dead or cut-off replica's entries are claimed.
 *
 * Lifetime rules, as in store.c:
 *  - every command carries a struct queue_req as privdata and sits on the
 *    inflight list; queue_free orphans them (req->q = NULL) so a reply
 *    arriving later touches only the request;
 *  - hiredis frees a context itself after the connect-failure and
 *    disconnect callbacks, so the pointer is cleared there; a reply of NULL
 *    means the connection is going, and nothing is sent from it;
 *  - callers' callbacks run with q->depth raised: queue_free called from
 *    one tears the queue down at once but frees the struct only when the
 *    callback has returned (queue_leave);
 *  - add failures are reported from an event of our own, never inside
 *    queue_add and never inside a hiredis connect or disconnect callback.
 *
 * hiredis 0.14 has no command timeouts, so a watchdog drops a connection
 * whose connect or reply is overdue (a peer that vanished without a RST).
 */

#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "ferry/log.h"
#include "ferry/queue.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define QUEUE_DEFAULT_PREFIX	"ferry:"
#define QUEUE_BACKOFF_MIN_MS	100
#define QUEUE_BACKOFF_MAX_MS	5000
#define QUEUE_CONNECT_TIMEOUT_MS 5000
#define QUEUE_BLOCK		"1000"	/* XREADGROUP ... BLOCK, in ms */
#define QUEUE_BLOCK_MS		1000	/* the same, as a number */
#define QUEUE_REPLY_GRACE_MS	5000	/* beyond BLOCK: the peer is gone */
#define QUEUE_WATCH_MS		500	/* watchdog period */
#define QUEUE_RETRY_MS		1000	/* after a failed read or XGROUP */
#define QUEUE_BATCH		"16"	/* COUNT of reads and claims */
#define QUEUE_TOUCH_CHUNK	100	/* entries per touch script */
#define QUEUE_ID_MAX		48	/* "<ms>-<seq>": 41 bytes at most */
#define QUEUE_ADD_MAX		256	/* strings in one XADD */
#define QUEUE_BY_MAX		64	/* bytes of a request's "by" */
#define QUEUE_ESCAPE_MAX	64	/* bytes of an untrusted string shown */

/*
 * Refresh the idle time of ARGV[3...] in stream KEYS[1], group ARGV[1],
 * for those still pending for consumer ARGV[2]; return the ones refreshed.
 * XCLAIM drops entries deleted from the stream, so they are not returned.
 */
static const char queue_touch_lua[] =
    "local kept = {} "
    "for i = 3, #ARGV do "
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1) "
    "if p[1] and p[1][2] == ARGV[2] then "
    "local c = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], "
    "'JUSTID') "
    "if c[1] then kept[#kept + 1] = ARGV[i] end "
    "end "
    "end "
    "return kept";

struct queue;

/* One entry ID on a list. */
struct queue_id {
	char			*id;		/* stream entry ID */
	uint64_t		 seq;		/* done: read_seq when XACKed */
	TAILQ_ENTRY(queue_id)	 entry;		/* in held, acks or done */
};
TAILQ_HEAD(queue_ids, queue_id);

/* One of a queue's two connections to Redis. */
struct queue_conn {
	struct queue		*q;		/* owner */
	const char		*role;		/* "reader" or "writer" */
	redisAsyncContext	*ac;		/* live context or NULL */
	int			 up;		/* ac is connected */
	int			 answered;	/* replied since it connected */
	int			 backoff_ms;	/* delay of the next retry */
	unsigned int		 attempts;	/* failed tries this outage */
	unsigned int		 waiting;	/* replies outstanding on ac */
	uint64_t		 progress_ms;	/* connect start, last reply */
	struct event		*retry_timer;	/* next connection attempt */
};

/* One command awaiting its reply: the privdata hiredis hands back. */
struct queue_req {
	struct queue		*q;		/* NULL once q is freed */
	struct queue_conn	*conn;		/* connection it was sent on */
	char			*id;		/* XACK: the entry (owned) */
	char			**ids;		/* touch: the entries (owned) */
	uint64_t		 seq;		/* XREADGROUP: its read_seq */
	size_t			 nids;		/* touch: how many */
	queue_add_cb		 cb;		/* XADD: caller's callback */
	void			*arg;		/* XADD: its argument */
	TAILQ_ENTRY(queue_req)	 entry;		/* in q->inflight */
};
TAILQ_HEAD(queue_reqs, queue_req);

/* A failed queue_add, reported later from the loop. */
struct queue_note {
	queue_add_cb		 cb;		/* caller's callback */
	void			*arg;		/* its argument */
	char			*err;		/* the reason */
	TAILQ_ENTRY(queue_note)	 entry;		/* in the queue's notes list */
};
TAILQ_HEAD(queue_notes, queue_note);

/* A queue: one stream and group, read by one consumer. */
struct queue {
	struct event_base	*base;		/* loop everything runs on */
	char			*host;		/* Redis address */
	int			 port;		/* Redis port */
	char			*key;		/* prefix + stream */
	char			*group;		/* consumer group */
	char			*consumer;	/* consumer, NULL: write only */
	int			 claim_idle_ms;	/* claim after; touch /3 */
	int			 claim_every_ms; /* claim period, 0: never */
	queue_entry_cb		 entry_cb;	/* caller's callback, or NULL */
	void			*arg;		/* its argument */

	struct queue_conn	 rd;		/* reader: XREADGROUP only */
	struct queue_conn	 wr;		/* writer: everything else */
	int			 outage_logged;	/* this outage is logged */
	struct event		*watch_timer;	/* connect, reply deadlines */

	int			 group_ok;	/* the group should exist */
	int			 creating;	/* XGROUP CREATE in flight */
	int			 group_err;	/* creation failure logged */
	struct event		*group_timer;	/* retries a failed creation */

	int			 reading;	/* XREADGROUP in flight */
	int			 replaying;	/* reading our own pending */
	int			 replayed;	/* a replay has finished once */
	char			 replay_from[QUEUE_ID_MAX]; /* last replayed */
	int			 read_err;	/* read failure logged */
	struct event		*read_timer;	/* retries a failed read */

	int			 claiming;	/* XAUTOCLAIM in flight */
	char			 cursor[QUEUE_ID_MAX]; /* XAUTOCLAIM cursor */
	int			 claim_err;	/* claim failure logged */
	struct event		*claim_timer;	/* every claim_every_ms */
	int			 touching;	/* touch scripts in flight */
	int			 touch_err;	/* touch failure logged */
	struct event		*touch_timer;	/* every claim_idle_ms / 3 */

	struct queue_ids	 held;		/* handed over, not acked */
	struct queue_ids	 acks;		/* acked, XACK not sent yet */
	struct queue_ids	 done;		/* XACKed during a read */
	uint64_t		 read_seq;	/* reads sent so far */
	struct queue_reqs	 inflight;	/* commands awaiting replies */
	struct queue_notes	 notes;		/* add failures to report */
	struct event		*note_ev;	/* reports them */

	int			 depth;		/* caller's callbacks running */
	int			 dead;		/* queue_free was called */
};

/* Forward declarations. */
static void	queue_conn_connect(struct queue_conn *);
static void	queue_read_next(struct queue *);
static void	queue_claim_send(struct queue *);

/* A printable copy of untrusted S (LEN bytes), shortened, for messages. */
static char *
queue_escape(const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, n = len < QUEUE_ESCAPE_MAX ? len :
				     QUEUE_ESCAPE_MAX;
	char			*out = xmalloc(n * 4 + 4), *o = out;
	unsigned char		 ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'') {
			*o++ = (char)ch;
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[ch >> 4];
		*o++ = hex[ch & 0xf];
	}
	if (n < len) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return (out);
}

/* Is S (LEN bytes) a stream entry ID, "<digits>-<digits>"? */
static int
queue_id_valid(const char *s, size_t len)
{
	size_t	i, dash = 0, ndash = 0;

	if (len == 0 || len >= QUEUE_ID_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			dash = i;
			ndash++;
		} else if (s[i] < '0' || s[i] > '9')
			return (0);
	}
	return (ndash == 1 && dash > 0 && dash < len - 1);
}

/* The ID on list L equal to ID, or NULL. */
static struct queue_id *
queue_ids_find(struct queue_ids *l, const char *id)
{
	struct queue_id	*qi;

	TAILQ_FOREACH(qi, l, entry) {
		if (strcmp(qi->id, id) == 0)
			return (qi);
	}
	return (NULL);
}

/* Append a copy of ID to list L; the new element. */
static struct queue_id *
queue_ids_add(struct queue_ids *l, const char *id)
{
	struct queue_id	*qi = xcalloc(1, sizeof *qi);

	qi->id = xstrdup(id);
	TAILQ_INSERT_TAIL(l, qi, entry);
	return (qi);
}

/* Remove QI from list L and free it. */
static void
queue_ids_remove(struct queue_ids *l, struct queue_id *qi)
{
	TAILQ_REMOVE(l, qi, entry);
	free(qi->id);
	free(qi);
}

/* Empty list L; how many it held. */
static size_t
queue_ids_clear(struct queue_ids *l)
{
	size_t	n = 0;

	while (!TAILQ_EMPTY(l)) {
		queue_ids_remove(l, TAILQ_FIRST(l));
		n++;
	}
	return (n);
}

/* A new request for the reply of a command of Q. */
static struct queue_req *
queue_req_new(struct queue *q)
{
	struct queue_req	*req = xcalloc(1, sizeof *req);

	req->q = q;
	return (req);
}

/* Free a request and whatever it still owns. */
static void
queue_req_free(struct queue_req *req)
{
	size_t	i;

	for (i = 0; i < req->nids; i++)
		free(req->ids[i]);
	free(req->ids);
	free(req->id);
	free(req);
}

/*
 * The first reply on C since it connected: Redis answers, not merely its
 * kernel (a hung server still accepts connections).  Once both
 * connections answer, the outage is over.
 */
static void
queue_conn_answered(struct queue_conn *c)
{
	struct queue	*q = c->q;

	c->answered = 1;
	c->attempts = 0;
	c->backoff_ms = QUEUE_BACKOFF_MIN_MS;
	if (!q->wr.answered || (q->entry_cb != NULL && !q->rd.answered))
		return;
	if (q->outage_logged) {
		log_info("redis %s:%d reachable again: queue '%s' resumes",
		    q->host, q->port, q->key);
	} else {
		log_info("redis %s:%d: queue '%s' connected", q->host, q->port,
		    q->key);
	}
	q->outage_logged = 0;
}

/* Take REQ off the inflight list as REPLY arrives; its queue, or NULL. */
static struct queue *
queue_req_detach(struct queue_req *req, const redisReply *reply)
{
	struct queue	*q = req->q;

	if (q == NULL)
		return (NULL);
	TAILQ_REMOVE(&q->inflight, req, entry);
	if (reply != NULL) {
		if (req->conn->waiting > 0)
			req->conn->waiting--;
		req->conn->progress_ms = util_now_ms();
		if (!req->conn->answered)
			queue_conn_answered(req->conn);
	}
	return (q);
}

/* Was ID handed over and not yet acknowledged in Redis? */
static int
queue_known(struct queue *q, const char *id)
{
	struct queue_req	*req;

	if (queue_ids_find(&q->held, id) != NULL ||
	    queue_ids_find(&q->acks, id) != NULL ||
	    queue_ids_find(&q->done, id) != NULL)
		return (1);
	TAILQ_FOREACH(req, &q->inflight, entry) {
		if (req->id != NULL && strcmp(req->id, id) == 0)
			return (1);
	}
	return (0);
}

/* Free the struct itself, once torn down and out of every callback. */
static void
queue_destroy(struct queue *q)
{
	free(q->host);
	free(q->key);
	free(q->group);
	free(q->consumer);
	free(q);
}

/* Before calling a caller's callback: keep Q allocated meanwhile. */
static void
queue_enter(struct queue *q)
{
	q->depth++;
}

/* After a caller's callback: 1 if Q was freed meanwhile (do not touch it). */
static int
queue_leave(struct queue *q)
{
	if (--q->depth > 0)
		return (q->dead);
	if (q->dead) {
		queue_destroy(q);
		return (1);
	}
	return (0);
}

/* Report the failure of an add to CB (if any) later, from the loop. */
static void
queue_note_add(struct queue *q, queue_add_cb cb, void *arg, const char *err)
{
	struct queue_note	*n;

	if (cb == NULL)
		return;
	n = xcalloc(1, sizeof *n);
	n->cb = cb;
	n->arg = arg;
	n->err = xstrdup(err);
	TAILQ_INSERT_TAIL(&q->notes, n, entry);
	event_active(q->note_ev, EV_TIMEOUT, 0);
}

/* Free a note without running it. */
static void
queue_note_free(struct queue_note *n)
{
	free(n->err);
	free(n);
}

/* Run queued notes in order, stopping if a callback frees the queue. */
static void
queue_note_cb(evutil_socket_t fd, short events, void *arg)
{
	struct queue		*q = arg;
	struct queue_note	*n;
	int			 gone;

	while ((n = TAILQ_FIRST(&q->notes)) != NULL) {
		TAILQ_REMOVE(&q->notes, n, entry);
		queue_enter(q);
		n->cb(NULL, n->err, n->arg);
		gone = queue_leave(q);
		queue_note_free(n);
		if (gone)
			return;
	}
}

/* Send ARGC strings of ARGV (LENS NULL: C strings) on C for REQ; 0 or -1. */
static int
queue_send(struct queue_conn *c, redisCallbackFn *fn, struct queue_req *req,
    int argc, const char **argv, const size_t *lens)
{
	struct queue	*q = c->q;
	size_t		*own = NULL;
	int		 i, rc = -1;

	if (lens == NULL) {
		own = xcalloc(argc, sizeof *own);
		for (i = 0; i < argc; i++)
			own[i] = strlen(argv[i]);
		lens = own;
	}
	if (redisAsyncCommandArgv(c->ac, fn, req, argc, argv, lens) !=
	    REDIS_OK) {
		log_error("redis %s:%d: queue '%s' cannot send '%s': %s",
		    q->host, q->port, q->key, argv[0], c->ac->c.errstr[0] !=
		    '\0' ? c->ac->c.errstr : "connection closing");
		goto out;
	}
	if (c->waiting++ == 0)
		c->progress_ms = util_now_ms();
	req->conn = c;
	TAILQ_INSERT_TAIL(&q->inflight, req, entry);
	rc = 0;
out:
	free(own);
	return (rc);
}

/* Log a failure of WHAT (ERR) at error level once, then at debug level. */
static void
queue_fail_log(struct queue *q, int *logged, const char *what,
    const char *err)
{
	if (!*logged)
		log_error("queue '%s': %s failed: %s", q->key, what, err);
	else
		log_debug("queue '%s': %s failed again: %s", q->key, what, err);
	*logged = 1;
}

/* Is REPLY an error whose text holds CODE (scripts wrap the code)? */
static int
queue_reply_is(const redisReply *reply, const char *code)
{
	return (reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	    strstr(reply->str, code) != NULL);
}

/* Arm the one-shot timer EV for MS milliseconds. */
static void
queue_timer_add(struct event *ev, int ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Arm C's retry timer and double the backoff. */
static void
queue_conn_retry(struct queue_conn *c)
{
	queue_timer_add(c->retry_timer, c->backoff_ms);
	c->backoff_ms *= 2;
	if (c->backoff_ms > QUEUE_BACKOFF_MAX_MS)
		c->backoff_ms = QUEUE_BACKOFF_MAX_MS;
}

/* C has no connection (WHY): log it once per outage, then retry later. */
static void
queue_conn_unreachable(struct queue_conn *c, const char *why)
{
	struct queue	*q = c->q;

	c->attempts++;
	if (!q->outage_logged) {
		log_error("redis %s:%d unreachable: %s; queue '%s' retrying",
		    q->host, q->port, why, q->key);
		q->outage_logged = 1;
	} else {
		log_debug("redis %s:%d still unreachable (queue '%s' %s, "
		    "attempt %u): %s; retrying in %d ms", q->host, q->port,
		    q->key, c->role, c->attempts, why, c->backoff_ms);
	}
	queue_conn_retry(c);
}

/* C's context is gone (WHY): start over, soon if Redis had answered on it. */
static void
queue_conn_lost(struct queue_conn *c, const char *why)
{
	int	answered = c->answered;

	c->ac = NULL;
	c->up = 0;
	c->answered = 0;
	c->waiting = 0;
	if (answered)
		c->backoff_ms = QUEUE_BACKOFF_MIN_MS;
	queue_conn_unreachable(c, why);
}

/* Drop C's context (hiredis defers it inside its callbacks): NULL replies. */
static void
queue_conn_close(struct queue_conn *c, int gently)
{
	redisAsyncContext	*ac = c->ac;

	if (ac == NULL)
		return;
	c->ac = NULL;
	ac->data = NULL;
	if (gently && c->up)
		redisAsyncDisconnect(ac);	/* queued commands still go */
	else
		redisAsyncFree(ac);
	c->up = 0;
}

/* Drop C if its connect or a reply is overdue (LIMIT_MS): the peer vanished. */
static void
queue_conn_watch(struct queue_conn *c, int limit_ms)
{
	uint64_t	 now = util_now_ms();
	const char	*why;

	if (c->ac == NULL)
		return;
	if (!c->up && now - c->progress_ms >= QUEUE_CONNECT_TIMEOUT_MS)
		why = "connect timed out";
	else if (c->up && c->waiting > 0 && now - c->progress_ms >=
	    (uint64_t)limit_ms)
		why = "no reply in time";
	else
		return;
	queue_conn_close(c, 0);
	queue_conn_lost(c, why);
}

/* The watchdog timer: check both connections. */
static void
queue_watch_timer(evutil_socket_t fd, short events, void *arg)
{
	struct queue	*q = arg;

	queue_conn_watch(&q->rd, QUEUE_BLOCK_MS + QUEUE_REPLY_GRACE_MS);
	queue_conn_watch(&q->wr, QUEUE_REPLY_GRACE_MS);
}

/* The retry timer of a connection: try to connect again. */
static void
queue_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct queue_conn	*c = arg;

	log_debug("redis %s:%d: queue '%s' %s reconnecting", c->q->host,
	    c->q->port, c->q->key, c->role);
	queue_conn_connect(c);
}

/* Reply to XGROUP CREATE: reading may start (again). */
static void
queue_group_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);

	queue_req_free(req);
	if (q == NULL)
		return;
	q->creating = 0;
	if (reply == NULL)
		return;		/* the writer reconnects and sends it again */
	if (reply->type == REDIS_REPLY_STATUS) {
		log_info("queue '%s': consumer group '%s' created", q->key,
		    q->group);
		snprintf(q->cursor, sizeof q->cursor, "0-0");
	} else if (!queue_reply_is(reply, "BUSYGROUP")) {
		queue_fail_log(q, &q->group_err, "XGROUP CREATE",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		queue_timer_add(q->group_timer, QUEUE_RETRY_MS);
		return;
	}
	q->group_ok = 1;
	q->group_err = 0;
	queue_read_next(q);
}

/* Send XGROUP CREATE <key> <group> $ MKSTREAM unless it is on its way. */
static void
queue_group_create(struct queue *q)
{
	struct queue_req	*req;
	const char		*argv[] = { "XGROUP", "CREATE", q->key,
				    q->group, "$", "MKSTREAM" };

	if (q->dead || !q->wr.up || q->creating)
		return;
	req = queue_req_new(q);
	if (queue_send(&q->wr, queue_group_done, req, nitems(argv), argv,
	    NULL) != 0) {
		queue_req_free(req);
		return;
	}
	q->creating = 1;
}

/* The group vanished (WHY: the stream was deleted or Redis lost data). */
static void
queue_group_lost(struct queue *q, const char *why)
{
	if (q->group_ok) {
		log_warn("queue '%s': consumer group '%s' is gone (%s); "
		    "creating it again", q->key, q->group, why);
	}
	q->group_ok = 0;
	queue_group_create(q);
}

/* The group timer: try XGROUP CREATE again. */
static void
queue_group_timer(evutil_socket_t fd, short events, void *arg)
{
	queue_group_create(arg);
}

/* Reply to XACK: done, or kept again if the connection died first. */
static void
queue_ack_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);

	if (q == NULL)
		goto out;
	if (reply == NULL) {
		/* Maybe applied, maybe not: XACK again on reconnect. */
		queue_ids_add(&q->acks, req->id);
		goto out;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warn("queue '%s': cannot acknowledge entry %s: %s; dropped",
		    q->key, req->id, reply->str);
	} else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
		log_debug("queue '%s': entry %s was not pending", q->key,
		    req->id);
	/*
	 * A read on the other connection may have been served before this
	 * XACK and still bring the entry back: remember it until every read
	 * sent before now has been answered.
	 */
	if (q->reading)
		queue_ids_add(&q->done, req->id)->seq = q->read_seq;
out:
	queue_req_free(req);
}

/* Send every kept XACK if the writer is up. */
static void
queue_acks_flush(struct queue *q)
{
	struct queue_id		*qi;
	struct queue_req	*req;
	const char		*argv[4];

	while (q->wr.up && (qi = TAILQ_FIRST(&q->acks)) != NULL) {
		argv[0] = "XACK";
		argv[1] = q->key;
		argv[2] = q->group;
		argv[3] = qi->id;
		req = queue_req_new(q);
		if (queue_send(&q->wr, queue_ack_done, req, nitems(argv), argv,
		    NULL) != 0) {
			queue_req_free(req);
			break;
		}
		/* The request owns the ID while it is in flight. */
		req->id = qi->id;
		TAILQ_REMOVE(&q->acks, qi, entry);
		free(qi);
	}
}

/* Acknowledge ID: no longer held; XACK now, or kept until reconnect. */
static void
queue_ack_id(struct queue *q, const char *id)
{
	struct queue_id	*qi;

	if ((qi = queue_ids_find(&q->held, id)) != NULL)
		queue_ids_remove(&q->held, qi);
	else if (queue_known(q, id))
		return;		/* already on its way */
	queue_ids_add(&q->acks, id);
	queue_acks_flush(q);
}

/* Why the fields F of an entry cannot be handed over, or NULL. */
static const char *
queue_fields_check(const redisReply *f)
{
	size_t	i;

	if (f->type != REDIS_REPLY_ARRAY)
		return ("has fields that are not an array");
	if (f->elements % 2 != 0)
		return ("has an odd number of field strings");
	if (f->elements > QUEUE_ADD_MAX)
		return ("has too many fields");
	for (i = 0; i < f->elements; i++) {
		if (f->element[i]->type != REDIS_REPLY_STRING)
			return ("has a field that is not a string");
		if (memchr(f->element[i]->str, '\0', f->element[i]->len) !=
		    NULL)
			return ("has a field holding a NUL byte");
	}
	return (NULL);
}

/*
 * Hand entry E of a read or claim reply to the caller; LAST gets its ID.
 * 1 if handed over, 0 if skipped, -1 if the caller freed the queue.
 */
static int
queue_entry_deliver(struct queue *q, const redisReply *e, int claimed,
    char *last, size_t lastsz)
{
	const redisReply	 *idr, *f;
	const char		**kv = NULL, *why;
	char			 *esc = NULL;
	size_t			  i;
	int			  rc = 0;

	if (e->type == REDIS_REPLY_NIL)
		goto out;	/* Redis 6.2 XAUTOCLAIM: a deleted entry */
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING) {
		log_error("queue '%s': malformed entry in a reply; skipped",
		    q->key);
		goto out;
	}
	idr = e->element[0];
	if (!queue_id_valid(idr->str, idr->len)) {
		esc = queue_escape(idr->str, idr->len);
		log_error("queue '%s': entry with invalid ID '%s'; skipped",
		    q->key, esc);
		goto out;
	}
	snprintf(last, lastsz, "%s", idr->str);
	f = e->element[1];
	if (f->type == REDIS_REPLY_NIL) {
		log_warn("queue '%s': pending entry %s was deleted from the "
		    "stream; acknowledged", q->key, idr->str);
		queue_ack_id(q, idr->str);
		goto out;
	}
	if ((why = queue_fields_check(f)) != NULL) {
		log_error("queue '%s': entry %s %s; acknowledged and dropped",
		    q->key, idr->str, why);
		queue_ack_id(q, idr->str);
		goto out;
	}
	if (queue_known(q, idr->str)) {
		log_debug("queue '%s': entry %s is held already", q->key,
		    idr->str);
		goto out;
	}

	queue_ids_add(&q->held, idr->str);
	kv = xcalloc(f->elements + 1, sizeof *kv);
	for (i = 0; i < f->elements; i++)
		kv[i] = f->element[i]->str;
	queue_enter(q);
	q->entry_cb(idr->str, kv, f->elements, claimed, q->arg);
	rc = queue_leave(q) ? -1 : 1;
out:
	free(kv);
	free(esc);
	return (rc);
}

/* Hand over ENTRIES; count in *N, last ID in LAST; -1 if Q was freed. */
static int
queue_entries_deliver(struct queue *q, const redisReply *entries,
    int claimed, size_t *n, char *last, size_t lastsz)
{
	size_t	i;
	int	rc;

	*n = 0;
	for (i = 0; i < entries->elements; i++) {
		if ((rc = queue_entry_deliver(q, entries->element[i], claimed,
		    last, lastsz)) < 0)
			return (-1);
		*n += (size_t)rc;
	}
	return (0);
}

/* A read failed (ERR): log it once and read again a little later. */
static void
queue_read_fail(struct queue *q, const char *err)
{
	queue_fail_log(q, &q->read_err, "XREADGROUP", err);
	queue_timer_add(q->read_timer, QUEUE_RETRY_MS);
}

/* Forward declaration: a replayed page asks for a touch. */
static void	queue_touch_send(struct queue *);

/* Hand over the entries of an XREADGROUP reply, then read on. */
static void
queue_read_reply(struct queue *q, const redisReply *reply)
{
	const redisReply	*s, *entries;
	char			 last[QUEUE_ID_MAX] = "";
	size_t			 n;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 ||
	    (s = reply->element[0])->type != REDIS_REPLY_ARRAY ||
	    s->elements != 2 || s->element[1]->type != REDIS_REPLY_ARRAY) {
		queue_read_fail(q, "malformed reply");
		return;
	}
	entries = s->element[1];
	q->read_err = 0;
	if (queue_entries_deliver(q, entries, 0, &n, last, sizeof last) != 0)
		return;
	if (q->replaying) {
		/* Done at an empty page (or one that would loop). */
		if (entries->elements == 0 || last[0] == '\0' ||
		    strcmp(last, q->replay_from) == 0) {
			q->replaying = 0;
			q->replayed = 1;
		} else
			snprintf(q->replay_from, sizeof q->replay_from, "%s",
			    last);
		/* Replayed entries may have idled long: refresh them now. */
		if (n > 0)
			queue_touch_send(q);
	}
	queue_read_next(q);
}

/* Reply to XREADGROUP: hand entries over and read on. */
static void
queue_read_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);
	struct queue_id		*qi, *next;
	uint64_t		 seq = req->seq;

	queue_req_free(req);
	if (q == NULL)
		return;
	q->reading = 0;
	/* Entries XACKed before this read was sent cannot be in it. */
	for (qi = TAILQ_FIRST(&q->done); qi != NULL; qi = next) {
		next = TAILQ_NEXT(qi, entry);
		if (qi->seq < seq)
			queue_ids_remove(&q->done, qi);
	}
	if (reply == NULL)
		return;		/* the reader reconnects and reads again */
	/* 7.0 unblocks a read whose key was deleted; 7.2 says NOGROUP. */
	if (queue_reply_is(reply, "NOGROUP") ||
	    queue_reply_is(reply, "UNBLOCKED")) {
		queue_group_lost(q, reply->str);
		return;		/* reading resumes once it exists */
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		queue_read_fail(q, reply->str);
		return;
	}
	if (reply->type == REDIS_REPLY_NIL) {
		queue_read_next(q);	/* BLOCK ran out */
		return;
	}
	queue_read_reply(q, reply);
}

/* Send the next XREADGROUP: our pending entries first, then new ones. */
static void
queue_read_next(struct queue *q)
{
	struct queue_req	*req;
	const char		*argv[11];
	int			 argc = 0;

	if (q->dead || q->entry_cb == NULL || !q->rd.up || !q->group_ok ||
	    q->reading || evtimer_pending(q->read_timer, NULL))
		return;
	argv[argc++] = "XREADGROUP";
	argv[argc++] = "GROUP";
	argv[argc++] = q->group;
	argv[argc++] = q->consumer;
	argv[argc++] = "COUNT";
	argv[argc++] = QUEUE_BATCH;
	if (!q->replaying) {
		argv[argc++] = "BLOCK";
		argv[argc++] = QUEUE_BLOCK;
	}
	argv[argc++] = "STREAMS";
	argv[argc++] = q->key;
	argv[argc++] = q->replaying ? q->replay_from : ">";
	req = queue_req_new(q);
	req->seq = ++q->read_seq;
	if (queue_send(&q->rd, queue_read_done, req, argc, argv, NULL) != 0) {
		queue_req_free(req);
		return;
	}
	q->reading = 1;
}

/* The read timer: read again after a failure. */
static void
queue_read_timer(evutil_socket_t fd, short events, void *arg)
{
	queue_read_next(arg);
}

/* Reply to XAUTOCLAIM: hand claimed entries over; go on with the scan. */
static void
queue_claim_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);
	const redisReply	*cur, *entries;
	char			 last[QUEUE_ID_MAX];
	size_t			 n;

	queue_req_free(req);
	if (q == NULL)
		return;
	q->claiming = 0;
	if (reply == NULL)
		return;
	if (queue_reply_is(reply, "NOGROUP")) {
		queue_group_lost(q, reply->str);
		return;
	}
	/* [cursor, [entries...]] (6.2), then [deleted IDs...] (7.0). */
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    (cur = reply->element[0])->type != REDIS_REPLY_STRING ||
	    !queue_id_valid(cur->str, cur->len) ||
	    (entries = reply->element[1])->type != REDIS_REPLY_ARRAY) {
		queue_fail_log(q, &q->claim_err, "XAUTOCLAIM",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "malformed reply");
		return;
	}
	q->claim_err = 0;
	snprintf(q->cursor, sizeof q->cursor, "%s", cur->str);
	if (reply->elements >= 3 && reply->element[2]->type ==
	    REDIS_REPLY_ARRAY && reply->element[2]->elements > 0) {
		log_warn("queue '%s': %zu idle entries were deleted from the "
		    "stream; dropped from the pending list", q->key,
		    reply->element[2]->elements);
	}
	if (queue_entries_deliver(q, entries, 1, &n, last, sizeof last) != 0)
		return;
	if (n > 0) {
		log_info("queue '%s': claimed %zu entries idle for over %d ms",
		    q->key, n, q->claim_idle_ms);
	}
	if (strcmp(q->cursor, "0-0") != 0)
		queue_claim_send(q);	/* finish this pass */
}

/* Send XAUTOCLAIM from the cursor, once our own replay is done. */
static void
queue_claim_send(struct queue *q)
{
	struct queue_req	*req;
	char			 idle[16];
	const char		*argv[8];

	if (q->dead || q->claim_every_ms <= 0 || !q->wr.up || !q->group_ok ||
	    !q->replayed || q->claiming)
		return;
	snprintf(idle, sizeof idle, "%d", q->claim_idle_ms);
	argv[0] = "XAUTOCLAIM";
	argv[1] = q->key;
	argv[2] = q->group;
	argv[3] = q->consumer;
	argv[4] = idle;
	argv[5] = q->cursor;
	argv[6] = "COUNT";
	argv[7] = QUEUE_BATCH;
	req = queue_req_new(q);
	if (queue_send(&q->wr, queue_claim_done, req, nitems(argv), argv,
	    NULL) != 0) {
		queue_req_free(req);
		return;
	}
	q->claiming = 1;
}

/* The claim timer. */
static void
queue_claim_timer(evutil_socket_t fd, short events, void *arg)
{
	queue_claim_send(arg);
}

/* Reply to the touch script: forget entries that are no longer ours. */
static void
queue_touch_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);
	struct queue_id		*qi;
	size_t			 i, j;

	if (q == NULL)
		goto out;
	q->touching--;
	if (reply == NULL)
		goto out;
	if (queue_reply_is(reply, "NOGROUP")) {
		queue_group_lost(q, reply->str);
		goto out;
	}
	if (reply->type != REDIS_REPLY_ARRAY) {
		queue_fail_log(q, &q->touch_err, "touching held entries",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		goto out;
	}
	q->touch_err = 0;
	for (i = 0; i < req->nids; i++) {
		for (j = 0; j < reply->elements; j++) {
			if (reply->element[j]->type == REDIS_REPLY_STRING &&
			    strcmp(reply->element[j]->str, req->ids[i]) == 0)
				break;
		}
		if (j < reply->elements)
			continue;
		if ((qi = queue_ids_find(&q->held, req->ids[i])) == NULL)
			continue;	/* acknowledged meanwhile */
		log_warn("queue '%s': entry %s is no longer pending for '%s' "
		    "(claimed by another consumer or deleted)", q->key,
		    req->ids[i], q->consumer);
		queue_ids_remove(&q->held, qi);
	}
out:
	queue_req_free(req);
}

/* Refresh the idle time of every held entry (chunks of one script each). */
static void
queue_touch_send(struct queue *q)
{
	struct queue_id		*qi;
	struct queue_req	*req;
	const char		*argv[6 + QUEUE_TOUCH_CHUNK];
	int			 argc;

	if (q->dead || q->claim_idle_ms <= 0 || !q->wr.up || !q->group_ok ||
	    q->touching > 0)
		return;
	qi = TAILQ_FIRST(&q->held);
	while (qi != NULL) {
		req = queue_req_new(q);
		req->ids = xcalloc(QUEUE_TOUCH_CHUNK, sizeof *req->ids);
		argv[0] = "EVAL";
		argv[1] = queue_touch_lua;
		argv[2] = "1";
		argv[3] = q->key;
		argv[4] = q->group;
		argv[5] = q->consumer;
		argc = 6;
		for (; qi != NULL && req->nids < QUEUE_TOUCH_CHUNK;
		    qi = TAILQ_NEXT(qi, entry)) {
			argv[argc++] = qi->id;
			req->ids[req->nids++] = xstrdup(qi->id);
		}
		if (queue_send(&q->wr, queue_touch_done, req, argc, argv,
		    NULL) != 0) {
			queue_req_free(req);
			return;
		}
		q->touching++;
	}
}

/* The touch timer. */
static void
queue_touch_timer(evutil_socket_t fd, short events, void *arg)
{
	queue_touch_send(arg);
}

/* hiredis: a connection attempt finished. */
static void
queue_connect_done(const redisAsyncContext *ac, int status)
{
	struct queue_conn	*c = ac->data;
	struct queue		*q;

	if (c == NULL)
		return;
	q = c->q;
	if (status != REDIS_OK) {
		/* hiredis frees AC when this returns. */
		c->ac = NULL;
		queue_conn_unreachable(c, ac->c.errstr[0] != '\0' ?
		    ac->c.errstr : "connect failed");
		return;
	}
	c->up = 1;
	c->answered = 0;
	c->waiting = 0;
	c->progress_ms = util_now_ms();
	log_debug("redis %s:%d: queue '%s' %s connected", q->host, q->port,
	    q->key, c->role);

	if (c == &q->rd) {
		/* Our own pending entries first: a reply may have been lost. */
		q->replaying = 1;
		snprintf(q->replay_from, sizeof q->replay_from, "0");
		queue_read_next(q);
	} else {
		/* Redis may have restarted without our group. */
		queue_group_create(q);
		queue_acks_flush(q);
	}
}

/* hiredis: a connection is gone; hiredis frees AC when this returns. */
static void
queue_disconnect_done(const redisAsyncContext *ac, int status)
{
	struct queue_conn	*c = ac->data;

	if (c == NULL)
		return;		/* one we closed ourselves */
	queue_conn_lost(c, ac->c.errstr[0] != '\0' ? ac->c.errstr :
	    "connection closed");
}

/* Start one connection attempt of C; on immediate failure, retry later. */
static void
queue_conn_connect(struct queue_conn *c)
{
	struct queue		*q = c->q;
	redisAsyncContext	*ac;

	ac = redisAsyncConnect(q->host, q->port);
	if (ac == NULL) {
		queue_conn_unreachable(c, "cannot allocate a context");
		return;
	}
	if (ac->err) {
		queue_conn_unreachable(c, ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	if (redisLibeventAttach(ac, q->base) != REDIS_OK) {
		redisAsyncFree(ac);
		queue_conn_unreachable(c, "cannot attach to the event loop");
		return;
	}
	ac->data = c;
	redisAsyncSetConnectCallback(ac, queue_connect_done);
	redisAsyncSetDisconnectCallback(ac, queue_disconnect_done);
	c->ac = ac;
	c->progress_ms = util_now_ms();
}

/* Set up connection C of Q (ROLE for logs). */
static void
queue_conn_init(struct queue *q, struct queue_conn *c, const char *role)
{
	c->q = q;
	c->role = role;
	c->backoff_ms = QUEUE_BACKOFF_MIN_MS;
	c->retry_timer = evtimer_new(q->base, queue_retry_timer, c);
	if (c->retry_timer == NULL) {
		log_error("queue: cannot create events");
		abort();
	}
}

/* A new persistent timer of Q running CB every MS milliseconds. */
static struct event *
queue_timer_every(struct queue *q, event_callback_fn cb, int ms)
{
	struct event	*ev;

	ev = event_new(q->base, -1, EV_PERSIST, cb, q);
	if (ev == NULL) {
		log_error("queue: cannot create events");
		abort();
	}
	queue_timer_add(ev, ms);
	return (ev);
}

/* Why params P (for a reader when READS) cannot make a queue, or NULL. */
static const char *
queue_params_check(const struct queue_params *p, int reads)
{
	if (p->stream == NULL || p->stream[0] == '\0')
		return ("no stream");
	if (p->group == NULL || p->group[0] == '\0')
		return ("no consumer group");
	if (reads && (p->consumer == NULL || p->consumer[0] == '\0'))
		return ("no consumer");
	if (p->port <= 0 || p->port > 65535)
		return ("invalid Redis port");
	if (reads && p->claim_every_ms > 0 && p->claim_idle_ms <= 0)
		return ("claim_every_ms needs a positive claim_idle_ms");
	return (NULL);
}

/*
 * Create a queue on stream P->prefix + P->stream.  With ENTRY_CB NULL the
 * queue only writes (XADD, XACK): it neither reads nor claims.
 */
struct queue *
queue_create(struct event_base *base, const struct queue_params *p,
    queue_entry_cb entry_cb, void *arg)
{
	struct queue	*q;
	const char	*why;

	if (base == NULL || p == NULL) {
		log_error("queue: cannot create: no loop or parameters");
		return (NULL);
	}
	if ((why = queue_params_check(p, entry_cb != NULL)) != NULL) {
		log_error("queue: cannot create: %s", why);
		return (NULL);
	}

	q = xcalloc(1, sizeof *q);
	q->base = base;
	q->host = xstrdup(p->host != NULL ? p->host : "127.0.0.1");
	q->port = p->port;
	xasprintf(&q->key, "%s%s", p->prefix != NULL ? p->prefix :
	    QUEUE_DEFAULT_PREFIX, p->stream);
	q->group = xstrdup(p->group);
	q->entry_cb = entry_cb;
	q->arg = arg;
	if (entry_cb != NULL) {
		q->consumer = xstrdup(p->consumer);
		q->claim_idle_ms = p->claim_idle_ms > 0 ? p->claim_idle_ms : 0;
		q->claim_every_ms = p->claim_every_ms > 0 ?
		    p->claim_every_ms : 0;
	}
	snprintf(q->cursor, sizeof q->cursor, "0-0");
	TAILQ_INIT(&q->held);
	TAILQ_INIT(&q->acks);
	TAILQ_INIT(&q->done);
	TAILQ_INIT(&q->inflight);
	TAILQ_INIT(&q->notes);
	queue_conn_init(q, &q->rd, "reader");
	queue_conn_init(q, &q->wr, "writer");
	q->group_timer = evtimer_new(base, queue_group_timer, q);
	q->read_timer = evtimer_new(base, queue_read_timer, q);
	q->note_ev = event_new(base, -1, 0, queue_note_cb, q);
	if (q->group_timer == NULL || q->read_timer == NULL ||
	    q->note_ev == NULL) {
		/* Only out of memory makes these fail; that is fatal. */
		log_error("queue: cannot create events");
		abort();
	}
	q->watch_timer = queue_timer_every(q, queue_watch_timer,
	    QUEUE_WATCH_MS);
	if (q->claim_every_ms > 0) {
		q->claim_timer = queue_timer_every(q, queue_claim_timer,
		    q->claim_every_ms);
	}
	if (q->claim_idle_ms > 0) {
		q->touch_timer = queue_timer_every(q, queue_touch_timer,
		    q->claim_idle_ms / 3 > 0 ? q->claim_idle_ms / 3 : 1);
	}

	queue_conn_connect(&q->wr);
	if (entry_cb != NULL)
		queue_conn_connect(&q->rd);
	return (q);
}

/* Free EV if it was made. */
static void
queue_event_free(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

/*
 * Tear Q down: no callback of the caller runs after this.  The reader is
 * dropped at once; the writer, if connected, is closed cleanly so that
 * XACKs and XADDs already queued still go.  Replies arriving later find
 * orphaned requests.  Entries held and not acknowledged stay pending in
 * Redis: a restart replays them, another consumer claims them.
 */
void
queue_free(struct queue *q)
{
	struct queue_note	*n;
	struct queue_req	*req;
	size_t			 nacks;

	if (q == NULL || q->dead)
		return;
	q->dead = 1;

	queue_event_free(q->rd.retry_timer);
	queue_event_free(q->wr.retry_timer);
	queue_event_free(q->watch_timer);
	queue_event_free(q->group_timer);
	queue_event_free(q->read_timer);
	queue_event_free(q->claim_timer);
	queue_event_free(q->touch_timer);
	queue_event_free(q->note_ev);
	while ((n = TAILQ_FIRST(&q->notes)) != NULL) {
		TAILQ_REMOVE(&q->notes, n, entry);
		queue_note_free(n);
	}
	if ((nacks = queue_ids_clear(&q->acks)) != 0) {
		log_warn("queue '%s': %zu acknowledgements dropped unsent; "
		    "their entries stay pending", q->key, nacks);
	}
	queue_ids_clear(&q->held);
	queue_ids_clear(&q->done);
	while ((req = TAILQ_FIRST(&q->inflight)) != NULL) {
		TAILQ_REMOVE(&q->inflight, req, entry);
		req->q = NULL;
	}
	queue_conn_close(&q->rd, 0);
	queue_conn_close(&q->wr, 1);

	if (q->depth == 0)
		queue_destroy(q);
}

/* Reply to XADD: the new entry's ID, or why not. */
static void
queue_add_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct queue_req	*req = privdata;
	redisReply		*reply = r;
	struct queue		*q = queue_req_detach(req, reply);
	queue_add_cb		 cb = req->cb;
	void			*arg = req->arg;
	char			*err = NULL;

	queue_req_free(req);
	if (q == NULL || cb == NULL)
		return;
	if (reply == NULL) {
		/* Maybe added, maybe not: the caller decides. */
		queue_note_add(q, cb, arg, "redis connection lost");
		return;
	}
	queue_enter(q);
	if (reply->type == REDIS_REPLY_STRING)
		cb(reply->str, NULL, arg);
	else {
		xasprintf(&err, "redis XADD failed: %s", reply->type ==
		    REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		cb(NULL, err, arg);
	}
	queue_leave(q);
	free(err);
}

/* XADD the NKV strings of KV; CB(id, NULL) or CB(NULL, err), never inside. */
void
queue_add(struct queue *q, const char *const *kv, size_t nkv,
    queue_add_cb cb, void *arg)
{
	struct queue_req	 *req;
	const char		**argv = NULL;
	size_t			  i;

	if (q == NULL || q->dead)
		return;
	if (kv == NULL || nkv == 0 || nkv % 2 != 0) {
		queue_note_add(q, cb, arg, "an entry needs field and value "
		    "pairs");
		goto out;
	}
	if (nkv > QUEUE_ADD_MAX) {
		queue_note_add(q, cb, arg, "an entry has too many fields");
		goto out;
	}
	for (i = 0; i < nkv; i++) {
		if (kv[i] == NULL) {
			queue_note_add(q, cb, arg, "an entry has a null field "
			    "or value");
			goto out;
		}
	}
	if (!q->wr.up) {
		queue_note_add(q, cb, arg, "redis is unreachable");
		goto out;
	}

	argv = xcalloc(nkv + 3, sizeof *argv);
	argv[0] = "XADD";
	argv[1] = q->key;
	argv[2] = "*";
	for (i = 0; i < nkv; i++)
		argv[i + 3] = kv[i];
	req = queue_req_new(q);
	req->cb = cb;
	req->arg = arg;
	if (queue_send(&q->wr, queue_add_done, req, (int)nkv + 3, argv,
	    NULL) != 0) {
		queue_req_free(req);
		queue_note_add(q, cb, arg, "redis connection lost");
	}
out:
	free(argv);
}

/* Acknowledge entry ID: XACK now, or kept and sent on reconnect. */
void
queue_ack(struct queue *q, const char *id)
{
	char	*esc;

	if (q == NULL || q->dead)
		return;
	if (id == NULL || !queue_id_valid(id, strlen(id))) {
		esc = id != NULL ? queue_escape(id, strlen(id)) : NULL;
		log_error("queue '%s': cannot acknowledge invalid ID '%s'",
		    q->key, esc != NULL ? esc : "(null)");
		free(esc);
		return;
	}
	queue_ack_id(q, id);
}

/* Stop holding entry ID without acknowledging it. */
void
queue_release(struct queue *q, const char *id)
{
	struct queue_id	*qi;

	if (q == NULL || q->dead || id == NULL)
		return;
	if ((qi = queue_ids_find(&q->held, id)) != NULL)
		queue_ids_remove(&q->held, qi);
}

/* Check and copy a request entry's fields into REQ; 0, or -1 with *CAUSE. */
int
queue_request_parse(const char *const *kv, size_t nkv,
    struct queue_request *req, char **cause)
{
	const char	*op = NULL, *node = NULL, *by = NULL, **slot;
	char		*why = NULL, *esc = NULL;
	size_t		 i;
	int		 rc = -1;

	if (req == NULL) {
		why = xstrdup("no request to fill");
		goto out;
	}
	memset(req, 0, sizeof *req);
	if (nkv % 2 != 0) {
		xasprintf(&why, "odd number of strings (%zu): fields and "
		    "values must pair up", nkv);
		goto out;
	}
	if (kv == NULL && nkv != 0) {
		why = xstrdup("no fields");
		goto out;
	}
	for (i = 0; i < nkv; i += 2) {
		if (kv[i] == NULL || kv[i + 1] == NULL) {
			xasprintf(&why, "field %zu is null", i / 2);
			goto out;
		}
		if (strcmp(kv[i], "op") == 0)
			slot = &op;
		else if (strcmp(kv[i], "node") == 0)
			slot = &node;
		else if (strcmp(kv[i], "by") == 0)
			slot = &by;
		else {
			esc = queue_escape(kv[i], strlen(kv[i]));
			xasprintf(&why, "unknown field '%s'", esc);
			goto out;
		}
		if (*slot != NULL) {
			xasprintf(&why, "field '%s' given twice", kv[i]);
			goto out;
		}
		*slot = kv[i + 1];
	}
	if (op == NULL) {
		why = xstrdup("missing field 'op'");
		goto out;
	}
	if (strcmp(op, "drain") != 0 && strcmp(op, "uncordon") != 0) {
		esc = queue_escape(op, strlen(op));
		xasprintf(&why, "unknown op '%s' (drain or uncordon)", esc);
		goto out;
	}
	if (node == NULL) {
		why = xstrdup("missing field 'node'");
		goto out;
	}
	if (!util_name_valid(node)) {
		esc = queue_escape(node, strlen(node));
		xasprintf(&why, "invalid node name '%s'", esc);
		goto out;
	}
	if (by != NULL) {
		if (strlen(by) > QUEUE_BY_MAX) {
			xasprintf(&why, "field 'by' is longer than %d bytes",
			    QUEUE_BY_MAX);
			goto out;
		}
		for (i = 0; by[i] != '\0'; i++) {
			if ((unsigned char)by[i] < 0x20 || by[i] == 0x7f) {
				why = xstrdup("field 'by' holds a control "
				    "character");
				goto out;
			}
		}
	}

	req->op = xstrdup(op);
	req->node = xstrdup(node);
	req->by = by != NULL ? xstrdup(by) : NULL;
	rc = 0;
out:
	if (rc != 0 && cause != NULL) {
		*cause = why;
		why = NULL;
	}
	free(why);
	free(esc);
	return (rc);
}

/* Free what queue_request_parse put in REQ and zero it. */
void
queue_request_clear(struct queue_request *req)
{
	if (req == NULL)
		return;
	free(req->op);
	free(req->node);
	free(req->by);
	memset(req, 0, sizeof *req);
}
