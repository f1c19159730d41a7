/*
 * store.c: ferry's connection to Redis (see store.h).
 *
 * One hiredis async context at a time, attached to the libevent loop.  Its
 * life is a small machine: no context (waiting for the retry timer), a
 * context connecting, a context up.  Commands are sent only while up; while
 * not up, releases wait in the pending list (a repeated one only once, in
 * order of first release) and are flushed, before anything else, as soon
 * as the connection is back.  Claims and other commands fail at once while
 * not up, but always from the loop, never inside the call.
 *
 * Lifetime rules, because hiredis calls back into us from inside itself:
 *  - every command whose reply we wait for carries a struct store_req as
 *    privdata and sits on the inflight list; store_free orphans them
 *    (req->s = NULL) so a reply arriving later touches only the request;
 *  - hiredis frees the context itself after the connect-failure and
 *    disconnect callbacks, so s->ac is cleared there and never used again;
 *  - callers' callbacks run with s->depth raised: store_free called from
 *    one tears the store down at once but frees the struct only when the
 *    callback has returned (store_leave);
 *  - nothing calls a caller's callback from inside the connect or
 *    disconnect callbacks: up/down changes and early failures are queued
 *    as notes and delivered from an event of our own;
 *  - a store_command's argument goes to its free callback exactly once,
 *    after its callback, or instead of it once the store is freed (then
 *    from the loop, when hiredis lets go of the orphaned request).
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "ferry/log.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define STORE_DEFAULT_PREFIX	"ferry:"
#define STORE_BACKOFF_MIN_MS	100
#define STORE_BACKOFF_MAX_MS	5000
#define STORE_STABLE_MS		5000	/* a connection that lasted this long */
#define STORE_CONNECT_TIMEOUT_MS 5000

/* Delete KEYS[1] only while it still names ARGV[1]: release our claim only. */
static const char store_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) "
    "end "
    "return 0";

/*
 * One write to Redis, a release (the conditional DEL of vm:<vm>:active):
 * sent while up, kept in the pending list otherwise.
 */
struct store_write {
	char			*name;		/* migration releasing */
	char			*vm;		/* VM it releases */
	TAILQ_ENTRY(store_write) entry;		/* in the pending list */
};
TAILQ_HEAD(store_writes, store_write);

/* A store_vm_claim in progress. */
struct store_claim {
	char		*vm;		/* VM to claim */
	char		*name;		/* migration claiming it */
	int		 retried;	/* SET already retried once */
	store_claim_cb	 cb;		/* caller's callback */
	void		*arg;		/* its argument */
};

/* A store_command in progress: another module's command. */
struct store_cmd {
	store_reply_cb	  cb;		/* caller's callback (may be NULL) */
	void		 *arg;		/* its argument */
	void		(*free_cb)(void *);	/* frees ARG once over */
};

/* One command awaiting its reply: the privdata hiredis hands back. */
struct store_req {
	struct store		*s;	/* NULL once the store is freed */
	struct store_write	*w;	/* release sent, owned here */
	struct store_claim	*claim;	/* claim in progress, owned here */
	struct store_cmd	*cmd;	/* store_command, owned here */
	TAILQ_ENTRY(store_req)	 entry;	/* in the store's inflight list */
};
TAILQ_HEAD(store_reqs, store_req);

/* What a note delivers. */
enum store_note_type {
	STORE_NOTE_UP,		/* up_cb(up) */
	STORE_NOTE_CLAIM,	/* claim failed: cb(-1, NULL, err) */
	STORE_NOTE_CMD,		/* command failed: cb(NULL, err) */
};

/* A callback to run later from the loop, in order. */
struct store_note {
	enum store_note_type	 type;	/* which callback */
	int			 up;	/* UP: the new state */
	struct store_claim	*claim;	/* CLAIM: owned here */
	struct store_cmd	*cmd;	/* CMD: owned here */
	char			*err;	/* CLAIM, CMD: the reason */
	TAILQ_ENTRY(store_note)	 entry;	/* in the store's notes list */
};
TAILQ_HEAD(store_notes, store_note);

/* The store: one Redis server, reconnected for as long as it lives. */
struct store {
	struct event_base	*base;		/* loop everything runs on */
	char			*host;		/* Redis address */
	int			 port;		/* Redis port */
	char			*prefix;	/* key prefix, "ferry:" */
	struct store_cbs	 cbs;		/* caller's callbacks */

	redisAsyncContext	*ac;		/* live context or NULL */
	int			 up;		/* ac is connected */
	int			 outage_logged;	/* this outage is logged */
	int			 backoff_ms;	/* delay of the next retry */
	uint64_t		 up_ms;		/* when it last connected */
	unsigned int		 attempts;	/* failed tries this outage */
	struct event		*retry_timer;	/* next connection attempt */
	struct event		*connect_timer;	/* gives up a hung connect */

	struct store_writes	 pending;	/* writes kept while not up */
	size_t			 npending;	/* how many */
	struct store_reqs	 inflight;	/* commands awaiting replies */
	struct store_notes	 notes;		/* callbacks to run later */
	struct event		*note_ev;	/* runs them */

	int			 depth;		/* caller's callbacks running */
	int			 dead;		/* store_free was called */
};

/* Forward declarations. */
static void	store_connect(struct store *);

/* The key of VM's claim, PREFIX + "vm:" + VM + ":active", as a new string. */
static char *
store_vm_key(struct store *s, const char *vm)
{
	char	*key;

	xasprintf(&key, "%svm:%s:active", s->prefix, vm);
	return (key);
}

/* Free a write. */
static void
store_write_free(struct store_write *w)
{
	if (w == NULL)
		return;
	free(w->name);
	free(w->vm);
	free(w);
}

/* Free a claim without calling its callback. */
static void
store_claim_free(struct store_claim *c)
{
	if (c == NULL)
		return;
	free(c->vm);
	free(c->name);
	free(c);
}

/* Free a command without calling its callback; its FREE_CB runs. */
static void
store_cmd_free(struct store_cmd *cmd)
{
	if (cmd == NULL)
		return;
	if (cmd->free_cb != NULL)
		cmd->free_cb(cmd->arg);
	free(cmd);
}

/* Free a request and whatever it still owns. */
static void
store_req_free(struct store_req *req)
{
	store_write_free(req->w);
	store_claim_free(req->claim);
	store_cmd_free(req->cmd);
	free(req);
}

/* Take a reply's request off the inflight list; its store, or NULL. */
static struct store *
store_req_detach(struct store_req *req)
{
	struct store	*s = req->s;

	if (s != NULL)
		TAILQ_REMOVE(&s->inflight, req, entry);
	return (s);
}

/* Free a note without running it. */
static void
store_note_free(struct store_note *n)
{
	store_claim_free(n->claim);
	store_cmd_free(n->cmd);
	free(n->err);
	free(n);
}

/* Free the struct itself, once torn down and out of every callback. */
static void
store_destroy(struct store *s)
{
	free(s->host);
	free(s->prefix);
	free(s);
}

/* Before calling a caller's callback: keep S allocated meanwhile. */
static void
store_enter(struct store *s)
{
	s->depth++;
}

/* After a caller's callback: 1 if S was freed meanwhile (do not touch it). */
static int
store_leave(struct store *s)
{
	if (--s->depth > 0)
		return (s->dead);
	if (s->dead) {
		store_destroy(s);
		return (1);
	}
	return (0);
}

/* Queue a note and make sure the loop runs it. */
static void
store_note_add(struct store *s, struct store_note *n)
{
	TAILQ_INSERT_TAIL(&s->notes, n, entry);
	event_active(s->note_ev, EV_TIMEOUT, 0);
}

/* Queue up_cb(UP). */
static void
store_note_up(struct store *s, int up)
{
	struct store_note	*n = xcalloc(1, sizeof *n);

	n->type = STORE_NOTE_UP;
	n->up = up;
	store_note_add(s, n);
}

/* Queue the failure of claim C (taking it) with ERR. */
static void
store_note_claim(struct store *s, struct store_claim *c, const char *err)
{
	struct store_note	*n = xcalloc(1, sizeof *n);

	n->type = STORE_NOTE_CLAIM;
	n->claim = c;
	n->err = xstrdup(err);
	store_note_add(s, n);
}

/* Queue the failure of command CMD (taking it) with ERR. */
static void
store_note_cmd(struct store *s, struct store_cmd *cmd, const char *err)
{
	struct store_note	*n = xcalloc(1, sizeof *n);

	n->type = STORE_NOTE_CMD;
	n->cmd = cmd;
	n->err = xstrdup(err);
	store_note_add(s, n);
}

/* Run queued notes in order, stopping if a callback frees the store. */
static void
store_note_cb(evutil_socket_t fd, short events, void *arg)
{
	struct store		*s = arg;
	struct store_note	*n;
	int			 gone;

	while ((n = TAILQ_FIRST(&s->notes)) != NULL) {
		TAILQ_REMOVE(&s->notes, n, entry);
		store_enter(s);
		switch (n->type) {
		case STORE_NOTE_UP:
			if (s->cbs.up_cb != NULL)
				s->cbs.up_cb(n->up, s->cbs.arg);
			break;
		case STORE_NOTE_CLAIM:
			n->claim->cb(-1, NULL, n->err, n->claim->arg);
			break;
		case STORE_NOTE_CMD:
			if (n->cmd->cb != NULL)
				n->cmd->cb(NULL, n->err, n->cmd->arg);
			break;
		}
		gone = store_leave(s);
		store_note_free(n);
		if (gone)
			return;
	}
}

/* Send one command; REQ (may be NULL) then waits on the inflight list. */
static int
store_send(struct store *s, redisCallbackFn *fn, struct store_req *req,
    int argc, const char **argv, const size_t *lens)
{
	if (redisAsyncCommandArgv(s->ac, fn, req, argc, argv, lens) !=
	    REDIS_OK) {
		log_error("redis %s:%d: cannot send '%s': %s", s->host,
		    s->port, argv[0], s->ac->c.errstr[0] != '\0' ?
		    s->ac->c.errstr : "connection closing");
		return (-1);
	}
	if (req != NULL)
		TAILQ_INSERT_TAIL(&s->inflight, req, entry);
	return (0);
}

/* Send a command whose arguments are all C strings. */
static int
store_send_str(struct store *s, redisCallbackFn *fn,
    struct store_req *req, int argc, const char **argv)
{
	size_t	lens[16];
	int	i;

	if ((size_t)argc > nitems(lens)) {
		log_error("redis: too many arguments to '%s'", argv[0]);
		return (-1);
	}
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return (store_send(s, fn, req, argc, argv, lens));
}

/* A new request for the reply of a command to S. */
static struct store_req *
store_req_new(struct store *s)
{
	struct store_req	*req = xcalloc(1, sizeof *req);

	req->s = s;
	return (req);
}

/*
 * Keep W (taking it) until the connection is back, in order.  The same
 * release (same VM, same migration) already kept makes W redundant.
 */
static void
store_pending_add(struct store *s, struct store_write *w)
{
	struct store_write	*p;

	TAILQ_FOREACH(p, &s->pending, entry) {
		if (strcmp(p->vm, w->vm) == 0 &&
		    strcmp(p->name, w->name) == 0) {
			store_write_free(w);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&s->pending, w, entry);
	s->npending++;
}

/* Reply to a write: log errors; if the connection died, keep it again. */
static void
store_write_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct store_req	*req = privdata;
	struct store		*s = store_req_detach(req);
	redisReply		*reply = r;

	if (s == NULL)
		goto out;
	if (reply == NULL) {
		/* Lost with the connection: maybe written, maybe not. */
		store_pending_add(s, req->w);
		req->w = NULL;
		goto out;
	}
	if (reply->type == REDIS_REPLY_ERROR)
		log_error("redis %s:%d: cannot release VM of '%s': %s",
		    s->host, s->port, req->w->name, reply->str);
out:
	store_req_free(req);
}

/* Send write W (taking it); kept as pending if it cannot be sent. */
static void
store_write_send(struct store *s, struct store_write *w)
{
	struct store_req	*req = store_req_new(s);
	char			*key = store_vm_key(s, w->vm);
	const char		*argv[5];

	req->w = w;
	argv[0] = "EVAL";
	argv[1] = store_release_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = w->name;
	if (store_send_str(s, store_write_done, req, nitems(argv),
	    argv) != 0) {
		store_pending_add(s, w);
		req->w = NULL;
		store_req_free(req);
	}
	free(key);
}

/* Send every pending write, in order, now that the connection is up. */
static void
store_pending_flush(struct store *s)
{
	struct store_writes	 todo = TAILQ_HEAD_INITIALIZER(todo);
	struct store_write	*w;

	if (s->npending == 0)
		return;
	log_info("redis %s:%d: sending %zu writes kept while it was "
	    "unreachable", s->host, s->port, s->npending);
	TAILQ_CONCAT(&todo, &s->pending, entry);
	s->npending = 0;
	while ((w = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, w, entry);
		store_write_send(s, w);
	}
}

/* Send W now if up, else keep it. */
static void
store_write_submit(struct store *s, struct store_write *w)
{
	if (s->up)
		store_write_send(s, w);
	else
		store_pending_add(s, w);
}

/* Arm the retry timer and double the backoff. */
static void
store_retry_schedule(struct store *s)
{
	struct timeval	tv;

	tv.tv_sec = s->backoff_ms / 1000;
	tv.tv_usec = (s->backoff_ms % 1000) * 1000;
	evtimer_add(s->retry_timer, &tv);
	s->backoff_ms *= 2;
	if (s->backoff_ms > STORE_BACKOFF_MAX_MS)
		s->backoff_ms = STORE_BACKOFF_MAX_MS;
}

/* No connection (WHY): log it once per outage, then retry later. */
static void
store_unreachable(struct store *s, const char *why)
{
	s->attempts++;
	if (!s->outage_logged) {
		log_error("redis %s:%d unreachable: %s; retrying", s->host,
		    s->port, why);
		s->outage_logged = 1;
	} else {
		log_debug("redis %s:%d still unreachable (attempt %u): %s; "
		    "retrying in %d ms", s->host, s->port, s->attempts, why,
		    s->backoff_ms);
	}
	store_retry_schedule(s);
}

/* The retry timer: try to connect again. */
static void
store_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct store	*s = arg;

	log_debug("redis %s:%d: reconnecting", s->host, s->port);
	store_connect(s);
}

/* The connect timer: a connect that hangs (dropped SYNs) is given up. */
static void
store_connect_timer(evutil_socket_t fd, short events, void *arg)
{
	struct store		*s = arg;
	redisAsyncContext	*ac = s->ac;

	if (ac == NULL || s->up)
		return;
	/* Not inside a hiredis callback, and nothing is queued on it. */
	s->ac = NULL;
	ac->data = NULL;
	redisAsyncFree(ac);
	store_unreachable(s, "connect timed out");
}

/* hiredis: the connection attempt finished. */
static void
store_connect_done(const redisAsyncContext *ac, int status)
{
	struct store	*s = ac->data;

	if (s == NULL)
		return;
	evtimer_del(s->connect_timer);
	if (status != REDIS_OK) {
		/* hiredis frees AC when this returns. */
		s->ac = NULL;
		store_unreachable(s, ac->c.errstr[0] != '\0' ? ac->c.errstr :
		    "connect failed");
		return;
	}

	if (s->outage_logged)
		log_info("redis %s:%d reachable again after %u failed attempts",
		    s->host, s->port, s->attempts);
	else
		log_info("redis %s:%d connected", s->host, s->port);
	s->up = 1;
	s->up_ms = util_now_ms();
	s->outage_logged = 0;
	s->attempts = 0;
	store_pending_flush(s);
	store_note_up(s, 1);
}

/* hiredis: the connection is gone; hiredis frees AC when this returns. */
static void
store_disconnect_done(const redisAsyncContext *ac, int status)
{
	struct store	*s = ac->data;

	if (s == NULL)
		return;		/* store_free's own disconnect */
	s->ac = NULL;
	s->up = 0;
	/*
	 * Back to quick retries only after a connection that lasted: a
	 * server that accepts and then drops us (maxclients, protected
	 * mode) is retried with a growing pause, not every 100 ms.
	 */
	if (util_now_ms() - s->up_ms >= STORE_STABLE_MS)
		s->backoff_ms = STORE_BACKOFF_MIN_MS;
	store_unreachable(s, ac->c.errstr[0] != '\0' ? ac->c.errstr :
	    "connection closed");
	store_note_up(s, 0);
}

/* Start one connection attempt; on immediate failure, retry later. */
static void
store_connect(struct store *s)
{
	redisAsyncContext	*ac;
	struct timeval		 tv;

	ac = redisAsyncConnect(s->host, s->port);
	if (ac == NULL) {
		store_unreachable(s, "cannot allocate context");
		return;
	}
	if (ac->err) {
		store_unreachable(s, ac->errstr);
		redisAsyncFree(ac);
		return;
	}
	if (redisLibeventAttach(ac, s->base) != REDIS_OK) {
		redisAsyncFree(ac);
		store_unreachable(s, "cannot attach to the event loop");
		return;
	}
	ac->data = s;
	redisAsyncSetConnectCallback(ac, store_connect_done);
	redisAsyncSetDisconnectCallback(ac, store_disconnect_done);
	s->ac = ac;

	tv.tv_sec = STORE_CONNECT_TIMEOUT_MS / 1000;
	tv.tv_usec = (STORE_CONNECT_TIMEOUT_MS % 1000) * 1000;
	evtimer_add(s->connect_timer, &tv);
}

/* Connect to HOST:PORT (NULL host: 127.0.0.1) with keys under PREFIX. */
struct store *
store_create(struct event_base *base, const char *host, int port,
    const char *prefix, const struct store_cbs *cbs)
{
	struct store	*s = xcalloc(1, sizeof *s);

	s->base = base;
	s->host = xstrdup(host != NULL ? host : "127.0.0.1");
	s->port = port;
	s->prefix = xstrdup(prefix != NULL ? prefix : STORE_DEFAULT_PREFIX);
	if (cbs != NULL)
		s->cbs = *cbs;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	TAILQ_INIT(&s->pending);
	TAILQ_INIT(&s->inflight);
	TAILQ_INIT(&s->notes);
	s->retry_timer = evtimer_new(base, store_retry_timer, s);
	s->connect_timer = evtimer_new(base, store_connect_timer, s);
	s->note_ev = event_new(base, -1, 0, store_note_cb, s);
	if (s->retry_timer == NULL || s->connect_timer == NULL ||
	    s->note_ev == NULL) {
		/* Only out of memory makes these fail; that is fatal. */
		log_error("store: cannot create events");
		abort();
	}
	store_connect(s);
	return (s);
}

/*
 * Tear S down: no callback of the caller runs after this.  A connected
 * context is closed cleanly (commands already queued are still written and
 * their replies read, then hiredis frees it from the loop); a connecting
 * one is freed at once.  Replies arriving later find orphaned requests.
 */
void
store_free(struct store *s)
{
	struct store_write	*w;
	struct store_req	*req;
	struct store_note	*n;
	redisAsyncContext	*ac;

	if (s == NULL || s->dead)
		return;
	s->dead = 1;

	event_free(s->retry_timer);
	event_free(s->connect_timer);
	event_free(s->note_ev);
	while ((n = TAILQ_FIRST(&s->notes)) != NULL) {
		TAILQ_REMOVE(&s->notes, n, entry);
		store_note_free(n);
	}
	while ((w = TAILQ_FIRST(&s->pending)) != NULL) {
		TAILQ_REMOVE(&s->pending, w, entry);
		store_write_free(w);
	}
	if (s->npending != 0)
		log_warn("redis %s:%d: %zu kept writes dropped unsent", s->host,
		    s->port, s->npending);
	s->npending = 0;
	while ((req = TAILQ_FIRST(&s->inflight)) != NULL) {
		TAILQ_REMOVE(&s->inflight, req, entry);
		req->s = NULL;
	}

	if ((ac = s->ac) != NULL) {
		s->ac = NULL;
		ac->data = NULL;
		if (s->up)
			redisAsyncDisconnect(ac);
		else
			redisAsyncFree(ac);
	}
	s->up = 0;

	if (s->depth == 0)
		store_destroy(s);
}

/* Is Redis reachable now? */
int
store_is_up(struct store *s)
{
	return (s != NULL && s->up);
}

/* Release VM's claim if migration NAME holds it; kept while down. */
void
store_vm_release(struct store *s, const char *vm, const char *name)
{
	struct store_write	*w = xcalloc(1, sizeof *w);

	w->vm = xstrdup(vm);
	w->name = xstrdup(name);
	store_write_submit(s, w);
}

/* Finish claim C (taking it): run its callback, then free it. */
static void
store_claim_finish(struct store *s, struct store_claim *c, int rc,
    const char *holder, const char *err)
{
	store_enter(s);
	c->cb(rc, holder, err, c->arg);
	store_claim_free(c);
	store_leave(s);
}

/* Finish claim C (taking it) with an error from Redis. */
static void
store_claim_fail(struct store *s, struct store_claim *c, const char *cmd,
    const redisReply *r)
{
	char	*err;

	if (r->type == REDIS_REPLY_ERROR)
		xasprintf(&err, "redis %s failed: %s", cmd, r->str);
	else
		xasprintf(&err, "redis %s: unexpected reply type %d", cmd,
		    r->type);
	store_claim_finish(s, c, -1, NULL, err);
	free(err);
}

/* Forward declaration: a claim's GET may send its SET again. */
static void	store_claim_set(struct store *, struct store_claim *);

/* Reply to GET vm:<vm>:active after a failed SET NX. */
static void
store_claim_get_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct store_req	*req = privdata;
	struct store		*s = store_req_detach(req);
	struct store_claim	*c = req->claim;
	redisReply		*reply = r;

	req->claim = NULL;
	store_req_free(req);
	if (s == NULL) {
		store_claim_free(c);
		return;
	}
	if (reply == NULL) {
		store_note_claim(s, c, "redis connection lost");
		return;
	}
	switch (reply->type) {
	case REDIS_REPLY_STRING:
		store_claim_finish(s, c, 0, reply->str, NULL);
		break;
	case REDIS_REPLY_NIL:
		/* Released between our SET and GET: try once more. */
		if (!c->retried) {
			c->retried = 1;
			store_claim_set(s, c);
		} else {
			store_claim_finish(s, c, -1, NULL, "redis: the "
			    "claim on the VM keeps changing hands");
		}
		break;
	default:
		store_claim_fail(s, c, "GET", reply);
		break;
	}
}

/* Reply to SET vm:<vm>:active NAME NX. */
static void
store_claim_set_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct store_req	*req = privdata;
	struct store		*s = store_req_detach(req);
	struct store_claim	*c = req->claim;
	redisReply		*reply = r;
	char			*key = NULL;
	const char		*argv[2];

	req->claim = NULL;
	store_req_free(req);
	if (s == NULL) {
		store_claim_free(c);
		return;
	}
	if (reply == NULL) {
		store_note_claim(s, c, "redis connection lost");
		return;
	}
	switch (reply->type) {
	case REDIS_REPLY_STATUS:
		store_claim_finish(s, c, 1, NULL, NULL);
		break;
	case REDIS_REPLY_NIL:
		/* Held: learn by whom. */
		key = store_vm_key(s, c->vm);
		argv[0] = "GET";
		argv[1] = key;
		req = store_req_new(s);
		req->claim = c;
		if (store_send_str(s, store_claim_get_done, req,
		    nitems(argv), argv) != 0) {
			req->claim = NULL;
			store_req_free(req);
			store_note_claim(s, c, "redis connection lost");
		}
		free(key);
		break;
	default:
		store_claim_fail(s, c, "SET", reply);
		break;
	}
}

/* Send SET vm:<vm>:active NAME NX for claim C (taking it). */
static void
store_claim_set(struct store *s, struct store_claim *c)
{
	struct store_req	*req;
	char			*key;
	const char		*argv[4];

	if (!s->up) {
		store_note_claim(s, c, "redis is unreachable");
		return;
	}
	key = store_vm_key(s, c->vm);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = c->name;
	argv[3] = "NX";
	req = store_req_new(s);
	req->claim = c;
	if (store_send_str(s, store_claim_set_done, req, nitems(argv),
	    argv) != 0) {
		req->claim = NULL;
		store_req_free(req);
		store_note_claim(s, c, "redis connection lost");
	}
	free(key);
}

/* Claim VM for migration NAME; the answer always comes from the loop. */
void
store_vm_claim(struct store *s, const char *vm, const char *name,
    store_claim_cb cb, void *arg)
{
	struct store_claim	*c = xcalloc(1, sizeof *c);

	c->vm = xstrdup(vm);
	c->name = xstrdup(name);
	c->cb = cb;
	c->arg = arg;
	store_claim_set(s, c);
}

/* Reply to a store_command: hand it to the caller's callback. */
static void
store_cmd_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct store_req	*req = privdata;
	struct store		*s = store_req_detach(req);
	struct store_cmd	*cmd = req->cmd;
	redisReply		*reply = r;

	req->cmd = NULL;
	store_req_free(req);
	if (s == NULL) {
		store_cmd_free(cmd);
		return;
	}
	if (reply == NULL) {
		/* Inside hiredis' teardown: answer from the loop. */
		store_note_cmd(s, cmd, "redis connection lost");
		return;
	}
	store_enter(s);
	if (cmd->cb != NULL) {
		if (reply->type == REDIS_REPLY_ERROR)
			cmd->cb(NULL, reply->str, cmd->arg);
		else
			cmd->cb(reply, NULL, cmd->arg);
	}
	store_cmd_free(cmd);
	store_leave(s);
}

/* Send another module's command; the answer always comes from the loop. */
void
store_command(struct store *s, int argc, const char *const *argv,
    const size_t *lens, store_reply_cb cb, void *arg,
    void (*free_cb)(void *))
{
	struct store_cmd	*cmd = xcalloc(1, sizeof *cmd);
	struct store_req	*req;

	cmd->cb = cb;
	cmd->arg = arg;
	cmd->free_cb = free_cb;
	if (argc < 1) {
		store_note_cmd(s, cmd, "redis: empty command");
		return;
	}
	if (!s->up) {
		store_note_cmd(s, cmd, "redis is unreachable");
		return;
	}
	req = store_req_new(s);
	req->cmd = cmd;
	/* hiredis only reads the arguments; its prototype lacks a const. */
	if (store_send(s, store_cmd_done, req, argc, (const char **)argv,
	    lens) != 0) {
		req->cmd = NULL;
		store_req_free(req);
		store_note_cmd(s, cmd, "redis connection lost");
	}
}

/* The key prefix every key of this store starts with. */
const char *
store_prefix(struct store *s)
{
	return (s->prefix);
}
