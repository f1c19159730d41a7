/*
 * coord.c: coordination of ferryd replicas through Redis (see coord.h).
 *
 * Everything goes over the store's connection with store_command, and
 * every change that reads before it writes is one Lua script, so it is
 * atomic whatever the number of replicas.  Slot expiries use Redis' own
 * clock (TIME inside the script), never the replicas', so replicas with
 * skewed clocks still agree on which slots are live.
 *
 * The leases: one persistent timer every TTL / 3 sets replica:<id> and
 * either tries SET leader NX or, while leading, renews the leader key if
 * it still names us.  Leadership is also bounded by the local clock: each
 * successful acquisition or renewal is good until the moment it was SENT
 * plus the TTL (Redis started its expiry no earlier), and a one-shot
 * timer drops leadership at that moment when no renewal came back: a
 * replica cut off from Redis stops leading before anyone else can start.
 *
 * Lifetime: each command carries a struct coord_req; coord_free orphans
 * them (req->c = NULL) so replies arriving later touch only the request,
 * which the store hands back through its free callback.  Callers'
 * callbacks run with c->depth raised: coord_free from inside one tears
 * the coord down at once but frees the struct when the callback returns.
 *
 * Records written here carry owner and epoch.  A record without them
 * (written by an older ferryd) reads as owner "" at epoch 0.
 */

#include <sys/queue.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "ferry/coord.h"
#include "ferry/log.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Lua: "now" in ms from Redis' clock (allowed in scripts since Redis 5). */
#define COORD_LUA_NOW							\
	"local t = redis.call('TIME') "					\
	"local now = tonumber(t[1]) * 1000 + "				\
	"math.floor(tonumber(t[2]) / 1000) "

/* Lua: ARGV[N] as a positive TTL, or an error reply. */
#define COORD_LUA_TTL(n)						\
	"local ttl = tonumber(ARGV[" #n "]) "				\
	"if not ttl or ttl <= 0 then "					\
	"return redis.error_reply('ERR slot ttl must be positive') "	\
	"end "

/* Lua: drop expired members of both slot sets. */
#define COORD_LUA_PRUNE							\
	"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) "		\
	"redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) "

/* Renew the leader key (KEYS[1]) for ARGV[2] ms if it names ARGV[1]. */
static const char coord_leader_renew_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
    "end "
    "return 0";

/* Delete the leader key (KEYS[1]) if it still names ARGV[1]. */
static const char coord_leader_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) "
    "end "
    "return 0";

/*
 * Take a slot: KEYS[1] cluster set, KEYS[2] node set; ARGV[1] member,
 * ARGV[2] cluster limit, ARGV[3] node limit, ARGV[4] ttl.  A member that
 * holds both is renewed; one that holds only one (never both expire
 * apart, but a set can be edited by hand) is not counted twice.
 */
static const char coord_slot_take_lua[] =
    COORD_LUA_TTL(4)
    COORD_LUA_NOW
    COORD_LUA_PRUNE
    "local inc = redis.call('ZSCORE', KEYS[1], ARGV[1]) "
    "local inn = redis.call('ZSCORE', KEYS[2], ARGV[1]) "
    "if not (inc and inn) then "
    "local cc = redis.call('ZCARD', KEYS[1]) "
    "local nc = redis.call('ZCARD', KEYS[2]) "
    "if inc then cc = cc - 1 end "
    "if inn then nc = nc - 1 end "
    "if cc >= tonumber(ARGV[2]) or nc >= tonumber(ARGV[3]) then "
    "return 0 "
    "end "
    "end "
    "redis.call('ZADD', KEYS[1], now + ttl, ARGV[1]) "
    "redis.call('ZADD', KEYS[2], now + ttl, ARGV[1]) "
    "return 1";

/* Renew a live slot: ARGV[1] member, ARGV[2] ttl; never revive one. */
static const char coord_slot_renew_lua[] =
    COORD_LUA_TTL(2)
    COORD_LUA_NOW
    COORD_LUA_PRUNE
    "redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1]) "
    "redis.call('ZADD', KEYS[2], 'XX', now + ttl, ARGV[1]) "
    "return 1";

/* Release a slot: ARGV[1] member. */
static const char coord_slot_release_lua[] =
    "redis.call('ZREM', KEYS[1], ARGV[1]) "
    "redis.call('ZREM', KEYS[2], ARGV[1]) "
    "return 1";

/* Count live slots: {cluster, node}. */
static const char coord_slot_count_lua[] =
    COORD_LUA_NOW
    COORD_LUA_PRUNE
    "return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])}";

/*
 * Compare-and-set write: KEYS[1] mig:<name>, KEYS[2] migs, KEYS[3]
 * events; ARGV owner, epoch, json, vm, phase, created, name.  Returns
 * {1, owner, epoch} when written, {0, current owner, current epoch}.
 * The record is published only when it is new or its phase changed: the
 * channel carries transitions (GET /v1/watch), not every progress write.
 */
static const char coord_mig_write_lua[] =
    "local cur = redis.call('HMGET', KEYS[1], 'owner', 'epoch', 'phase') "
    "local owner = cur[1] or '' "
    "local epoch = tonumber(cur[2]) or 0 "
    "if redis.call('EXISTS', KEYS[1]) == 0 or "
    "(owner == ARGV[1] and epoch == tonumber(ARGV[2])) then "
    "redis.call('HSET', KEYS[1], 'json', ARGV[3], 'vm', ARGV[4], "
    "'phase', ARGV[5], 'owner', ARGV[1], 'epoch', ARGV[2]) "
    "redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7]) "
    "if cur[3] ~= ARGV[5] then "
    "redis.call('PUBLISH', KEYS[3], ARGV[3]) "
    "end "
    "return {1, ARGV[1], ARGV[2]} "
    "end "
    "return {0, owner, string.format('%d', epoch)}";

/*
 * Take-over: KEYS[1] mig:<name>; ARGV expected owner, expected epoch, new
 * owner.  Returns {1, new owner, epoch + 1}, {0, current owner, current
 * epoch}, or {-1, '', '0'} when there is no record.
 */
static const char coord_mig_take_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then "
    "return {-1, '', '0'} "
    "end "
    "local cur = redis.call('HMGET', KEYS[1], 'owner', 'epoch') "
    "local owner = cur[1] or '' "
    "local epoch = tonumber(cur[2]) or 0 "
    "if owner == ARGV[1] and epoch == tonumber(ARGV[2]) then "
    "local e = string.format('%d', epoch + 1) "
    "redis.call('HSET', KEYS[1], 'owner', ARGV[3], 'epoch', e) "
    "return {1, ARGV[3], e} "
    "end "
    "return {0, owner, string.format('%d', epoch)}";

/* What a command is, so its reply goes to the right place. */
enum coord_op {
	COORD_OP_REPLICA,	/* SET replica:<id>: our liveness lease */
	COORD_OP_ACQUIRE,	/* SET leader NX: try to lead */
	COORD_OP_RENEW,		/* renew the leader key while leading */
	COORD_OP_QUIET,		/* no answer wanted: log a failure only */
	COORD_OP_ALIVE,		/* EXISTS replica:<id>: cb */
	COORD_OP_SLOT_TAKE,	/* slot take script: cb */
	COORD_OP_SLOT_COUNT,	/* slot count script: count_cb */
	COORD_OP_MIG_WRITE,	/* compare-and-set write: cas_cb */
	COORD_OP_MIG_TAKE,	/* take-over: cas_cb */
};

/* One command awaiting its reply: the argument store_command hands back. */
struct coord_req {
	struct coord		*c;		/* NULL once the coord is freed */
	enum coord_op		 op;		/* what to do with the reply */
	uint64_t		 sent_ms;	/* monotonic time it was sent */
	char			*what;		/* subject, for messages */
	coord_cb		 cb;		/* ALIVE, SLOT_TAKE */
	coord_count_cb		 count_cb;	/* SLOT_COUNT */
	coord_cas_cb		 cas_cb;	/* MIG_WRITE, MIG_TAKE */
	void			*arg;		/* argument of the callback */
	TAILQ_ENTRY(coord_req)	 entry;		/* in the coord's list */
};
TAILQ_HEAD(coord_reqs, coord_req);

/* This replica's part in the coordination. */
struct coord {
	struct event_base	*base;		/* loop everything runs on */
	struct store		*store;		/* connection to Redis */
	char			*id;		/* this replica's id */
	int			 ttl_ms;	/* TTL of both leases */
	struct coord_cbs	 cbs;		/* caller's callbacks */

	char			*replica_key;	/* <prefix>replica:<id> */
	char			*leader_key;	/* <prefix>leader */
	struct event		*lease_timer;	/* every TTL / 3 */
	struct event		*expire_timer;	/* leadership runs out */
	int			 replica_busy;	/* replica SET in flight */
	int			 leader_busy;	/* leader command in flight */
	int			 leader;	/* we hold the leader lease */
	uint64_t		 leader_until;	/* monotonic ms it is good to */

	struct coord_reqs	 reqs;		/* commands awaiting replies */
	int			 depth;		/* caller's callbacks running */
	int			 dead;		/* coord_free was called */
};

/* Build the store's prefix + PART + ARG (ARG may be NULL). */
static char *
coord_key(struct coord *c, const char *part, const char *arg)
{
	char	*key;

	xasprintf(&key, "%s%s%s", store_prefix(c->store), part,
	    arg != NULL ? arg : "");
	return (key);
}

/* Before calling a caller's callback: keep C allocated meanwhile. */
static void
coord_enter(struct coord *c)
{
	c->depth++;
}

/* Free the struct itself, once torn down and out of every callback. */
static void
coord_destroy(struct coord *c)
{
	free(c->id);
	free(c->replica_key);
	free(c->leader_key);
	free(c);
}

/* After a caller's callback: 1 if C was freed meanwhile (do not touch it). */
static int
coord_leave(struct coord *c)
{
	if (--c->depth > 0)
		return (c->dead);
	if (c->dead) {
		coord_destroy(c);
		return (1);
	}
	return (0);
}

/* The store's free callback: the command is over, free its request. */
static void
coord_req_free(void *arg)
{
	struct coord_req	*req = arg;

	if (req->c != NULL)
		TAILQ_REMOVE(&req->c->reqs, req, entry);
	free(req->what);
	free(req);
}

/* A new request of type OP about WHAT (may be NULL). */
static struct coord_req *
coord_req_new(struct coord *c, enum coord_op op, const char *what)
{
	struct coord_req	*req = xcalloc(1, sizeof *req);

	req->c = c;
	req->op = op;
	req->what = xstrdup(what != NULL ? what : "");
	return (req);
}

/* Forward declaration: every reply comes back here. */
static void	coord_reply_cb(const redisReply *, const char *, void *);

/* Send ARGV (C strings) for REQ (taking it); the reply comes later. */
static void
coord_send(struct coord *c, struct coord_req *req, int argc,
    const char *const *argv)
{
	req->sent_ms = util_now_ms();
	TAILQ_INSERT_TAIL(&c->reqs, req, entry);
	store_command(c->store, argc, argv, NULL, coord_reply_cb, req,
	    coord_req_free);
}

/* Become leader (1) or stop (0); 1 if the callback freed C. */
static int
coord_leader_set(struct coord *c, int leader)
{
	int	gone = 0;

	if (c->leader == leader)
		return (0);
	c->leader = leader;
	if (!leader)
		evtimer_del(c->expire_timer);
	log_info("replica '%s' %s the leader", c->id, leader ? "is now" :
	    "is no longer");
	if (c->cbs.leader_cb != NULL) {
		coord_enter(c);
		c->cbs.leader_cb(leader, c->cbs.arg);
		gone = coord_leave(c);
	}
	return (gone);
}

/* Leadership confirmed by a command sent at SENT_MS: good to SENT + TTL. */
static void
coord_leader_extend(struct coord *c, uint64_t sent_ms)
{
	uint64_t	now = util_now_ms(), left;
	struct timeval	tv;

	c->leader_until = sent_ms + (uint64_t)c->ttl_ms;
	left = c->leader_until > now ? c->leader_until - now : 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(c->expire_timer, &tv);
}

/* Send SET replica:<id> <id> PX ttl unless the last one is unanswered. */
static void
coord_replica_send(struct coord *c)
{
	const char	*argv[5];
	char		 ttl[16];

	if (c->replica_busy)
		return;
	snprintf(ttl, sizeof ttl, "%d", c->ttl_ms);
	argv[0] = "SET";
	argv[1] = c->replica_key;
	argv[2] = c->id;
	argv[3] = "PX";
	argv[4] = ttl;
	c->replica_busy = 1;
	coord_send(c, coord_req_new(c, COORD_OP_REPLICA, NULL),
	    nitems(argv), argv);
}

/* Try to lead, or renew the lead, unless the last try is unanswered. */
static void
coord_leader_send(struct coord *c)
{
	const char	*argv[6];
	char		 ttl[16];

	if (c->leader_busy)
		return;
	snprintf(ttl, sizeof ttl, "%d", c->ttl_ms);
	c->leader_busy = 1;
	if (c->leader) {
		argv[0] = "EVAL";
		argv[1] = coord_leader_renew_lua;
		argv[2] = "1";
		argv[3] = c->leader_key;
		argv[4] = c->id;
		argv[5] = ttl;
		coord_send(c, coord_req_new(c, COORD_OP_RENEW, NULL), 6, argv);
	} else {
		argv[0] = "SET";
		argv[1] = c->leader_key;
		argv[2] = c->id;
		argv[3] = "NX";
		argv[4] = "PX";
		argv[5] = ttl;
		coord_send(c, coord_req_new(c, COORD_OP_ACQUIRE, NULL), 6,
		    argv);
	}
}

/* The lease timer: renew our leases, compete for the leader's. */
static void
coord_lease_timer(evutil_socket_t fd, short events, void *arg)
{
	struct coord	*c = arg;

	coord_replica_send(c);
	coord_leader_send(c);
}

/* The expire timer: no renewal came back in time, so we may not lead. */
static void
coord_expire_timer(evutil_socket_t fd, short events, void *arg)
{
	struct coord	*c = arg;

	if (!c->leader)
		return;
	log_warn("replica '%s': leader lease not renewed within %d ms "
	    "(redis unreachable or slow); stepping down", c->id, c->ttl_ms);
	coord_leader_set(c, 0);
}

/* Reply to SET replica:<id>. */
static void
coord_replica_done(struct coord *c, const redisReply *r, const char *err)
{
	c->replica_busy = 0;
	if (err != NULL)
		log_debug("replica '%s': cannot renew its lease: %s", c->id,
		    err);
}

/* Reply to SET leader NX: we lead if it was set, and still in time. */
static void
coord_acquire_done(struct coord *c, struct coord_req *req,
    const redisReply *r, const char *err)
{
	c->leader_busy = 0;
	if (err != NULL) {
		log_debug("replica '%s': cannot try the leader lease: %s",
		    c->id, err);
		return;
	}
	if (r->type != REDIS_REPLY_STATUS || c->leader)
		return;		/* NIL: someone else leads */
	if (util_now_ms() >= req->sent_ms + (uint64_t)c->ttl_ms)
		return;		/* too late: it has expired already */
	coord_leader_extend(c, req->sent_ms);
	coord_leader_set(c, 1);
}

/* Reply to the renewal script: 1 renewed, 0 the key is not ours. */
static void
coord_renew_done(struct coord *c, struct coord_req *req,
    const redisReply *r, const char *err)
{
	c->leader_busy = 0;
	if (!c->leader)
		return;		/* stepped down meanwhile */
	if (err != NULL) {
		log_warn("replica '%s': cannot renew the leader lease: %s",
		    c->id, err);
		return;		/* the expire timer decides */
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		coord_leader_extend(c, req->sent_ms);
		return;
	}
	log_warn("replica '%s': the leader lease was lost (expired or "
	    "taken by another replica)", c->id);
	coord_leader_set(c, 0);
}

/* Read a CAS reply {rc, owner, epoch}; 0, or -1 if it is not one. */
static int
coord_cas_parse(const redisReply *r, int *rc, const char **owner,
    long long *epoch)
{
	const redisReply	*e;
	char			*end;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return (-1);
	*rc = (int)r->element[0]->integer;
	*owner = r->element[1]->str;
	e = r->element[2];
	if (e->type == REDIS_REPLY_INTEGER)
		*epoch = e->integer;
	else if (e->type == REDIS_REPLY_STRING) {
		*epoch = strtoll(e->str, &end, 10);
		if (end == e->str || *end != '\0')
			return (-1);
	} else
		return (-1);
	return (0);
}

/* Hand a reply to the caller's callback of REQ. */
static void
coord_answer(struct coord *c, struct coord_req *req, const redisReply *r,
    const char *err)
{
	const char	*owner = NULL;
	long long	 epoch = 0;
	int		 rc = -1, ncluster = 0, nnode = 0;
	char		*msg = NULL;

	if (err == NULL) {
		err = "unexpected reply from redis";
		switch (req->op) {
		case COORD_OP_ALIVE:
		case COORD_OP_SLOT_TAKE:
			if (r->type == REDIS_REPLY_INTEGER) {
				rc = r->integer != 0;
				err = NULL;
			}
			break;
		case COORD_OP_SLOT_COUNT:
			if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
			    r->element[0]->type == REDIS_REPLY_INTEGER &&
			    r->element[1]->type == REDIS_REPLY_INTEGER) {
				rc = 0;
				ncluster = (int)r->element[0]->integer;
				nnode = (int)r->element[1]->integer;
				err = NULL;
			}
			break;
		case COORD_OP_MIG_WRITE:
		case COORD_OP_MIG_TAKE:
			if (coord_cas_parse(r, &rc, &owner, &epoch) != 0)
				rc = -1;
			else if (rc == -1) {
				xasprintf(&msg, "migration '%s' has no record",
				    req->what);
				err = msg;
				owner = NULL;
				epoch = 0;
			} else
				err = NULL;
			break;
		case COORD_OP_REPLICA:
		case COORD_OP_ACQUIRE:
		case COORD_OP_RENEW:
		case COORD_OP_QUIET:
			break;
		}
	}
	if (err != NULL && rc != -1)
		rc = -1;
	if (err != NULL)
		log_debug("coord '%s': %s", req->what, err);

	coord_enter(c);
	switch (req->op) {
	case COORD_OP_ALIVE:
	case COORD_OP_SLOT_TAKE:
		req->cb(rc, err, req->arg);
		break;
	case COORD_OP_SLOT_COUNT:
		req->count_cb(rc, ncluster, nnode, err, req->arg);
		break;
	case COORD_OP_MIG_WRITE:
	case COORD_OP_MIG_TAKE:
		if (req->cas_cb != NULL)
			req->cas_cb(rc, owner, epoch, err, req->arg);
		break;
	case COORD_OP_REPLICA:
	case COORD_OP_ACQUIRE:
	case COORD_OP_RENEW:
	case COORD_OP_QUIET:
		break;
	}
	coord_leave(c);
	free(msg);
}

/* store_command's callback for every request of a coord. */
static void
coord_reply_cb(const redisReply *r, const char *err, void *arg)
{
	struct coord_req	*req = arg;
	struct coord		*c = req->c;

	if (c == NULL)
		return;		/* the coord is gone: nobody to tell */
	TAILQ_REMOVE(&c->reqs, req, entry);
	req->c = NULL;		/* the store frees it after this call */

	switch (req->op) {
	case COORD_OP_REPLICA:
		coord_replica_done(c, r, err);
		break;
	case COORD_OP_ACQUIRE:
		coord_acquire_done(c, req, r, err);
		break;
	case COORD_OP_RENEW:
		coord_renew_done(c, req, r, err);
		break;
	case COORD_OP_QUIET:
		if (err != NULL)
			log_warn("coord: %s failed: %s", req->what, err);
		break;
	case COORD_OP_ALIVE:
	case COORD_OP_SLOT_TAKE:
	case COORD_OP_SLOT_COUNT:
	case COORD_OP_MIG_WRITE:
	case COORD_OP_MIG_TAKE:
		coord_answer(c, req, r, err);
		break;
	}
}

/* Hold replica:<ID> and compete for the leader lease, both TTL_MS long. */
struct coord *
coord_create(struct event_base *base, struct store *store, const char *id,
    int ttl_ms, const struct coord_cbs *cbs)
{
	struct coord	*c = NULL;
	struct timeval	 tv;
	int		 period;

	if (store == NULL || id == NULL || *id == '\0') {
		log_error("coord: a store and a replica id are needed");
		return (NULL);
	}
	if (ttl_ms < 3) {
		log_error("coord: lease ttl '%d' ms is too short", ttl_ms);
		return (NULL);
	}
	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->store = store;
	c->id = xstrdup(id);
	c->ttl_ms = ttl_ms;
	if (cbs != NULL)
		c->cbs = *cbs;
	TAILQ_INIT(&c->reqs);
	c->replica_key = coord_key(c, "replica:", id);
	c->leader_key = coord_key(c, "leader", NULL);
	c->lease_timer = event_new(base, -1, EV_PERSIST, coord_lease_timer, c);
	c->expire_timer = evtimer_new(base, coord_expire_timer, c);
	if (c->lease_timer == NULL || c->expire_timer == NULL) {
		/* Only out of memory makes these fail; that is fatal. */
		log_error("coord: cannot create events");
		abort();
	}
	period = ttl_ms / 3;
	tv.tv_sec = period / 1000;
	tv.tv_usec = (period % 1000) * 1000;
	evtimer_add(c->lease_timer, &tv);

	/* First round now; replies (and callbacks) come from the loop. */
	coord_replica_send(c);
	coord_leader_send(c);
	return (c);
}

/*
 * Stop: no callback runs after this.  The leader lease is given back if
 * it still names us (best effort); the replica lease runs out by itself.
 */
void
coord_free(struct coord *c)
{
	struct coord_req	*req;
	const char		*argv[5];

	if (c == NULL || c->dead)
		return;
	c->dead = 1;

	event_free(c->lease_timer);
	event_free(c->expire_timer);
	/* Always: a SET NX in flight may have made us leader already. */
	if (c->leader)
		log_info("replica '%s' gives the leader lease back", c->id);
	argv[0] = "EVAL";
	argv[1] = coord_leader_release_lua;
	argv[2] = "1";
	argv[3] = c->leader_key;
	argv[4] = c->id;
	store_command(c->store, nitems(argv), argv, NULL, NULL, NULL, NULL);
	c->leader = 0;

	while ((req = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, req, entry);
		req->c = NULL;
	}
	if (c->depth == 0)
		coord_destroy(c);
}

/* This replica's id. */
const char *
coord_replica_id(struct coord *c)
{
	return (c->id);
}

/* Does this replica hold the leader lease (as far as it can tell)? */
int
coord_is_leader(struct coord *c)
{
	return (c->leader);
}

/* Is replica ID alive? */
void
coord_replica_alive(struct coord *c, const char *id, coord_cb cb,
    void *arg)
{
	struct coord_req	*req = coord_req_new(c, COORD_OP_ALIVE, id);
	char			*key = coord_key(c, "replica:", id);
	const char		*argv[2];

	req->cb = cb;
	req->arg = arg;
	argv[0] = "EXISTS";
	argv[1] = key;
	coord_send(c, req, nitems(argv), argv);
	free(key);
}

/* Fill the key arguments of a slot script for NODE; free with free(). */
static void
coord_slot_keys(struct coord *c, const char *node, char **ckey,
    char **nkey)
{
	*ckey = coord_key(c, "slots:cluster", NULL);
	*nkey = coord_key(c, "slots:out:", node);
}

/* Take a slot for MIGRATION leaving NODE under both limits. */
void
coord_slot_take(struct coord *c, const char *migration, const char *node,
    int cluster_limit, int node_limit, int ttl_ms, coord_cb cb, void *arg)
{
	struct coord_req	*req;
	char			*ckey, *nkey;
	char			 climit[16], nlimit[16], ttl[16];
	const char		*argv[9];

	coord_slot_keys(c, node, &ckey, &nkey);
	snprintf(climit, sizeof climit, "%d", cluster_limit);
	snprintf(nlimit, sizeof nlimit, "%d", node_limit);
	snprintf(ttl, sizeof ttl, "%d", ttl_ms);
	argv[0] = "EVAL";
	argv[1] = coord_slot_take_lua;
	argv[2] = "2";
	argv[3] = ckey;
	argv[4] = nkey;
	argv[5] = migration;
	argv[6] = climit;
	argv[7] = nlimit;
	argv[8] = ttl;
	req = coord_req_new(c, COORD_OP_SLOT_TAKE, migration);
	req->cb = cb;
	req->arg = arg;
	coord_send(c, req, nitems(argv), argv);
	free(ckey);
	free(nkey);
}

/* Push MIGRATION's slots TTL_MS ahead, if it still holds them. */
void
coord_slot_renew(struct coord *c, const char *migration, const char *node,
    int ttl_ms)
{
	char		*ckey, *nkey;
	char		 ttl[16], what[128];
	const char	*argv[7];

	coord_slot_keys(c, node, &ckey, &nkey);
	snprintf(ttl, sizeof ttl, "%d", ttl_ms);
	snprintf(what, sizeof what, "renewing the slots of '%s'", migration);
	argv[0] = "EVAL";
	argv[1] = coord_slot_renew_lua;
	argv[2] = "2";
	argv[3] = ckey;
	argv[4] = nkey;
	argv[5] = migration;
	argv[6] = ttl;
	coord_send(c, coord_req_new(c, COORD_OP_QUIET, what), nitems(argv),
	    argv);
	free(ckey);
	free(nkey);
}

/* Give MIGRATION's slots back. */
void
coord_slot_release(struct coord *c, const char *migration, const char *node)
{
	char		*ckey, *nkey;
	char		 what[128];
	const char	*argv[6];

	coord_slot_keys(c, node, &ckey, &nkey);
	snprintf(what, sizeof what, "releasing the slots of '%s'", migration);
	argv[0] = "EVAL";
	argv[1] = coord_slot_release_lua;
	argv[2] = "2";
	argv[3] = ckey;
	argv[4] = nkey;
	argv[5] = migration;
	coord_send(c, coord_req_new(c, COORD_OP_QUIET, what), nitems(argv),
	    argv);
	free(ckey);
	free(nkey);
}

/* Count the live slots of the cluster and of NODE. */
void
coord_slot_count(struct coord *c, const char *node, coord_count_cb cb,
    void *arg)
{
	struct coord_req	*req = coord_req_new(c, COORD_OP_SLOT_COUNT,
				    node);
	char			*ckey, *nkey;
	const char		*argv[5];

	coord_slot_keys(c, node, &ckey, &nkey);
	req->count_cb = cb;
	req->arg = arg;
	argv[0] = "EVAL";
	argv[1] = coord_slot_count_lua;
	argv[2] = "2";
	argv[3] = ckey;
	argv[4] = nkey;
	coord_send(c, req, nitems(argv), argv);
	free(ckey);
	free(nkey);
}

/* Write migration NAME's record if it is absent or OWNER's at EPOCH. */
void
coord_mig_write(struct coord *c, const char *name, const char *owner,
    long long epoch, const char *json, const char *vm, const char *phase,
    uint64_t created, coord_cas_cb cb, void *arg)
{
	struct coord_req	*req = coord_req_new(c, COORD_OP_MIG_WRITE,
				    name);
	char			*key, *zkey, *chan;
	char			 ep[32], score[32];
	const char		*argv[13];

	key = coord_key(c, "mig:", name);
	zkey = coord_key(c, "migs", NULL);
	chan = coord_key(c, "events", NULL);
	snprintf(ep, sizeof ep, "%lld", epoch);
	snprintf(score, sizeof score, "%" PRIu64, created);
	req->cas_cb = cb;
	req->arg = arg;
	argv[0] = "EVAL";
	argv[1] = coord_mig_write_lua;
	argv[2] = "3";
	argv[3] = key;
	argv[4] = zkey;
	argv[5] = chan;
	argv[6] = owner;
	argv[7] = ep;
	argv[8] = json;
	argv[9] = vm != NULL ? vm : "";
	argv[10] = phase != NULL ? phase : "";
	argv[11] = score;
	argv[12] = name;
	coord_send(c, req, nitems(argv), argv);
	free(key);
	free(zkey);
	free(chan);
}

/* Take migration NAME over from EXPECTED_OWNER at EXPECTED_EPOCH. */
void
coord_mig_take(struct coord *c, const char *name, const char *expected_owner,
    long long expected_epoch, coord_cas_cb cb, void *arg)
{
	struct coord_req	*req = coord_req_new(c, COORD_OP_MIG_TAKE,
				    name);
	char			*key = coord_key(c, "mig:", name);
	char			 ep[32];
	const char		*argv[7];

	snprintf(ep, sizeof ep, "%lld", expected_epoch);
	req->cas_cb = cb;
	req->arg = arg;
	argv[0] = "EVAL";
	argv[1] = coord_mig_take_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = expected_owner;
	argv[5] = ep;
	argv[6] = c->id;
	coord_send(c, req, nitems(argv), argv);
	free(key);
}
