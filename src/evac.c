/*
 * evac.c: node drains and the evacuations they start (see evac.h): the
 * plumbing of the evacuation manager, the node read, and the API.
 *
 * Everything goes over the store's connection with store_command; every
 * change that reads before it writes is one Lua script.  Drain and
 * uncordon (any replica, from the API or the requests stream) write
 * node:<name>.  A timer (EVAC_TICK_MS) on every replica reads every
 * configured node's record and evac:active:<node> in one script and
 * tells the manager which nodes are cordoned; on the leader, the same
 * read feeds the controller (evac-ctl.c), which has the rules of which
 * drain starts an evacuation and of leader failover.
 *
 * Lifetimes.  Every operation carries a struct evac_op on the manager's
 * list.  Store commands free theirs through store_command's free
 * callback; the migration manager's callbacks free theirs when they run.
 * evac_free orphans them (op->e = NULL), so a late answer touches only
 * its op.  The migration manager must therefore answer every call it
 * took, or that op leaks: free the evacuation manager first.  Callers'
 * callbacks run with e->depth raised: evac_free from inside one frees
 * the struct once it returns.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "ferry/config.h"
#include "ferry/coord.h"
#include "ferry/evac.h"
#include "ferry/evac-priv.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/queue.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define EVAC_ERRORS_KEEP	"100"	/* error records kept */
#define EVAC_BY_REQUESTS	"requests" /* by, if an entry has none */

/* Lua: "now" in ms from Redis' clock, as a string. */
#define EVAC_LUA_NOW							\
	"local t = redis.call('TIME') "					\
	"local now = string.format('%d', tonumber(t[1]) * 1000 + "	\
	"math.floor(tonumber(t[2]) / 1000)) "

/*
 * Drain: KEYS node:<n>, evac:active:<n>; ARGV taint, by.  A new drain
 * (not drained, or drained with another taint) or a drain after the last
 * evacuation ended bumps gen; returns the running evacuation or "".
 */
static const char evac_drain_lua[] =
    EVAC_LUA_NOW
    "local h = redis.call('HMGET', KEYS[1], 'cordoned', 'taint') "
    "local active = redis.call('GET', KEYS[2]) "
    "if h[1] ~= '1' or h[2] ~= ARGV[1] then "
    "redis.call('HSET', KEYS[1], 'cordoned', '1', 'taint', ARGV[1], "
    "'by', ARGV[2], 'since', now) "
    "redis.call('HINCRBY', KEYS[1], 'gen', 1) "
    "elseif not active then "
    "redis.call('HSET', KEYS[1], 'by', ARGV[2]) "
    "redis.call('HINCRBY', KEYS[1], 'gen', 1) "
    "end "
    "return active or ''";

/* Uncordon: KEYS node:<n>, evac:active:<n>; ARGV by.  Returns as drain. */
static const char evac_uncordon_lua[] =
    EVAC_LUA_NOW
    "local h = redis.call('HMGET', KEYS[1], 'cordoned', 'taint') "
    "if h[1] == '1' or (h[2] and h[2] ~= '') then "
    "redis.call('HSET', KEYS[1], 'cordoned', '0', 'taint', '', "
    "'by', ARGV[1], 'since', now) "
    "end "
    "return redis.call('GET', KEYS[2]) or ''";

/*
 * Read nodes: KEYS node:<n>, evac:active:<n> for each node.  Returns per
 * node {cordoned, taint, by, gen, served, active}, all strings.
 */
static const char evac_nodes_lua[] =
    "local out = {} "
    "for i = 1, #KEYS, 2 do "
    "local h = redis.call('HMGET', KEYS[i], 'cordoned', 'taint', 'by', "
    "'gen', 'served') "
    "local a = redis.call('GET', KEYS[i + 1]) "
    "out[#out + 1] = {h[1] or '0', h[2] or '', h[3] or '', h[4] or '0', "
    "h[5] or '0', a or ''} "
    "end "
    "return out";

/*
 * List: KEYS evacs; ARGV key prefix of records ("<prefix>evac:"), node
 * ("" = every node).  Returns the JSON of each, oldest first.  Reads keys
 * it is not given (fine on a single Redis, as ferry uses).
 */
static const char evac_list_lua[] =
    "local out = {} "
    "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
    "local h = redis.call('HMGET', ARGV[1] .. id, 'node', 'json') "
    "if h[2] and (ARGV[2] == '' or h[1] == ARGV[2]) then "
    "out[#out + 1] = h[2] "
    "end "
    "end "
    "return out";

/* Error record: LPUSH KEYS[1] ARGV[1], keep the ARGV[2] newest. */
static const char evac_error_lua[] =
    "redis.call('LPUSH', KEYS[1], ARGV[1]) "
    "redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1) "
    "return 1";

/* Forward declarations. */
static void	evac_store_cb(const redisReply *, const char *, void *);
static void	evac_nodes_read(struct evac_mgr *);
static void	evac_req_send(struct evac_mgr *, struct evac_req *);
static void	evac_request_reject(struct evac_mgr *, const char *,
		    const char *, const char *const *, size_t);

/*
 * The status for a store error ERR: 503 when Redis could not be reached
 * (the store's own "redis ..." messages: it may work later), 500 for an
 * error reply of the server (a script or a key of the wrong type: it
 * will not).
 */
static int
evac_err_status(const char *err)
{
	return (strncmp(err, "redis ", 6) == 0 ? 503 : 500);
}

/* The store's prefix + PART + ARG (ARG may be NULL). */
char *
evac_key(struct evac_mgr *e, const char *part, const char *arg)
{
	char	*key;

	xasprintf(&key, "%s%s%s", store_prefix(e->store), part,
	    arg != NULL ? arg : "");
	return (key);
}

/* This replica's id for the leader fence, "" without a coord. */
const char *
evac_fence(struct evac_mgr *e)
{
	return (e->coord != NULL ? coord_replica_id(e->coord) : "");
}

/* The taint a drain puts on: "<evacuation_taint>:NoSchedule". */
static char *
evac_taint(struct evac_mgr *e)
{
	char	*taint;

	xasprintf(&taint, "%s:NoSchedule", e->cfg->evacuation_taint);
	return (taint);
}

/* Free the struct itself, once torn down and out of every callback. */
static void
evac_destroy_mgr(struct evac_mgr *e)
{
	free(e);
}

/* Before calling a caller's callback: keep E allocated meanwhile. */
static void
evac_enter(struct evac_mgr *e)
{
	e->depth++;
}

/* After a caller's callback: 1 if E was freed meanwhile. */
static int
evac_leave(struct evac_mgr *e)
{
	if (--e->depth > 0)
		return (e->dead);
	if (e->dead) {
		evac_destroy_mgr(e);
		return (1);
	}
	return (0);
}

/* Answer a caller: 1 if E was freed by the callback. */
static int
evac_answer(struct evac_mgr *e, evac_reply_cb cb, void *arg, int status,
    const char *json, const char *err)
{
	if (cb == NULL)
		return (0);
	evac_enter(e);
	cb(status, json, err, arg);
	return (evac_leave(e));
}

/* Deliver the notes, in order, from the loop. */
static void
evac_note_cb(evutil_socket_t fd, short events, void *arg)
{
	struct evac_mgr		*e = arg;
	struct evac_note	*n;
	int			 gone;

	while ((n = TAILQ_FIRST(&e->notes)) != NULL) {
		TAILQ_REMOVE(&e->notes, n, entry);
		gone = evac_answer(e, n->cb, n->arg, n->status, NULL, n->err);
		free(n->err);
		free(n);
		if (gone || e->dead)
			return;
	}
}

/* Answer a caller with an error STATUS and ERR from the loop. */
static void
evac_note(struct evac_mgr *e, evac_reply_cb cb, void *arg, int status,
    const char *err)
{
	struct evac_note	*n = xcalloc(1, sizeof *n);

	n->cb = cb;
	n->arg = arg;
	n->status = status;
	n->err = xstrdup(err);
	TAILQ_INSERT_TAIL(&e->notes, n, entry);
	event_active(e->note_ev, EV_TIMEOUT, 1);
}

/* A new operation on E's list for EV (may be NULL); DONE handles it. */
struct evac_op *
evac_op_new(struct evac_mgr *e, evac_done_cb done, struct evac *ev)
{
	struct evac_op	*op = xcalloc(1, sizeof *op);

	op->e = e;
	op->done = done;
	op->ev = ev;
	TAILQ_INSERT_TAIL(&e->ops, op, entry);
	return (op);
}

/* Free a stream request. */
static void
evac_req_free(struct evac_req *req)
{
	if (req == NULL)
		return;
	free(req->id);
	free(req->node);
	free(req->by);
	free(req);
}

/* Free an operation (the store's free callback for store commands). */
void
evac_op_free(void *arg)
{
	struct evac_op	*op = arg;
	size_t		 i;

	if (op->e != NULL)
		TAILQ_REMOVE(&op->e->ops, op, entry);
	for (i = 0; i < op->nnames; i++)
		free(op->names[i]);
	free(op->names);
	free(op->idx);
	free(op->node);
	free(op->name);
	free(op->json);
	free(op->by);
	evac_req_free(op->req);
	free(op);
}

/* An operation was answered: take it off the list; its manager or NULL. */
struct evac_mgr *
evac_op_detach(struct evac_op *op)
{
	struct evac_mgr	*e = op->e;

	if (e != NULL)
		TAILQ_REMOVE(&e->ops, op, entry);
	op->e = NULL;
	return (e);
}

/* Send ARGC strings ARGV for OP; the answer comes from the loop. */
void
evac_send(struct evac_mgr *e, struct evac_op *op, int argc,
    const char *const *argv)
{
	store_command(e->store, argc, argv, NULL, evac_store_cb, op,
	    evac_op_free);
}

/* Run the controller step soon, from the loop. */
void
evac_kick(struct evac_mgr *e)
{
	event_active(e->kick, EV_TIMEOUT, 1);
}

/* The kick: a controller step now. */
static void
evac_kick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct evac_mgr	*e = arg;

	evac_ctl_work_all(e, 0);
}

/* The configured node NAME, or NULL. */
struct evac_node *
evac_node_find(struct evac_mgr *e, const char *name)
{
	size_t	i;

	for (i = 0; i < e->nnodes; i++) {
		if (strcmp(e->nodes[i].name, name) == 0)
			return (&e->nodes[i]);
	}
	return (NULL);
}

/* Tell the manager that N is cordoned (1) or not (0), if it changed. */
static void
evac_cordon(struct evac_mgr *e, struct evac_node *n, int cordoned)
{
	if (n->cordoned == cordoned)
		return;
	if (n->cordoned != -1 || cordoned)
		log_info("node '%s' is %s", n->name, cordoned ? "cordoned: "
		    "never a migration target" : "no longer cordoned");
	n->cordoned = cordoned;
	if (e->mgr != NULL)
		mig_mgr_set_cordoned(e->mgr, n->name, cordoned);
}

/* (Re)build E's nodes from CFG, keeping what is known of each. */
static void
evac_nodes_build(struct evac_mgr *e, const struct config *cfg)
{
	struct evac_node	*nodes, *old;
	size_t			 i;

	nodes = xcalloc(cfg->nnodes + 1, sizeof *nodes);
	for (i = 0; i < cfg->nnodes; i++) {
		nodes[i].name = xstrdup(cfg->nodes[i].name);
		nodes[i].cordoned = -1;
		if ((old = evac_node_find(e, nodes[i].name)) != NULL) {
			nodes[i].cordoned = old->cordoned;
			nodes[i].starting = old->starting;
			nodes[i].adopting = old->adopting;
		}
	}
	for (i = 0; i < e->nnodes; i++)
		free(e->nodes[i].name);
	free(e->nodes);
	e->nodes = nodes;
	e->nnodes = cfg->nnodes;
}

/* Element I of a node read reply as a state; -1 if malformed. */
static int
evac_node_parse(const redisReply *r, struct evac_node_state *st)
{
	size_t	i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 6)
		return (-1);
	for (i = 0; i < 6; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			return (-1);
	}
	st->cordoned = strcmp(r->element[0]->str, "1") == 0;
	st->taint = r->element[1]->str;
	st->by = r->element[2]->str;
	st->gen = strtoll(r->element[3]->str, NULL, 10);
	st->served = strtoll(r->element[4]->str, NULL, 10);
	st->active = r->element[5]->str;
	return (0);
}

/* The node read answered: cordons everywhere, decisions on the leader. */
static void
evac_nodes_done(struct evac_mgr *e, struct evac_op *op, const redisReply *r,
    const char *err)
{
	struct evac_node_state	 st;
	struct evac_node	*n;
	size_t			 i;

	e->reading = 0;
	if (err != NULL) {
		log_debug("node records not read: %s", err);
		goto again;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != op->nnames) {
		log_warn("node records not read: unexpected reply from redis");
		goto again;
	}
	for (i = 0; i < op->nnames; i++) {
		if ((n = evac_node_find(e, op->names[i])) == NULL)
			continue;
		if (evac_node_parse(r->element[i], &st) != 0) {
			log_warn("node '%s': unexpected record in redis",
			    n->name);
			continue;
		}
		evac_cordon(e, n, st.cordoned || *st.taint != '\0');
		if (e->leader)
			evac_ctl_control(e, n, &st);
	}
again:
	if (e->read_again) {
		e->read_again = 0;
		evac_nodes_read(e);
	}
}

/* Read every configured node's record (one script). */
static void
evac_nodes_read(struct evac_mgr *e)
{
	struct evac_op	*op;
	const char	**argv;
	char		 nkeys[32];
	size_t		 i, n = e->nnodes * 2;

	if (e->reading) {
		e->read_again = 1;
		return;
	}
	if (e->nnodes == 0 || !store_is_up(e->store))
		return;
	op = evac_op_new(e, evac_nodes_done, NULL);
	op->names = xcalloc(e->nnodes, sizeof *op->names);
	argv = xcalloc(n + 3, sizeof *argv);
	for (i = 0; i < e->nnodes; i++) {
		op->names[i] = xstrdup(e->nodes[i].name);
		argv[3 + 2 * i] = evac_key(e, "node:", e->nodes[i].name);
		argv[4 + 2 * i] = evac_key(e, "evac:active:",
		    e->nodes[i].name);
	}
	op->nnames = e->nnodes;
	snprintf(nkeys, sizeof nkeys, "%zu", n);
	argv[0] = "EVAL";
	argv[1] = evac_nodes_lua;
	argv[2] = nkeys;
	e->reading = 1;
	evac_send(e, op, (int)n + 3, argv);
	for (i = 3; i < n + 3; i++)
		free((char *)argv[i]);
	free(argv);
}

/* Send the stream requests kept while Redis was away. */
static void
evac_reqs_retry(struct evac_mgr *e)
{
	struct evac_reqs	 todo;
	struct evac_req		*req;

	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &e->reqs, entry);
	while ((req = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, req, entry);
		evac_req_send(e, req);
	}
}

/* The tick: note Redis' state, retry, read the nodes, step the leader. */
static void
evac_tick_timer(evutil_socket_t fd, short events, void *arg)
{
	struct evac_mgr	*e = arg;

	if (!store_is_up(e->store)) {
		if (!e->down)
			log_warn("drains and evacuations wait: redis is "
			    "unreachable");
		e->down = 1;
	} else {
		if (e->down)
			log_info("drains and evacuations go on: redis is "
			    "reachable");
		e->down = 0;
		evac_reqs_retry(e);
		evac_ctl_aborts_retry(e);
		evac_nodes_read(e);
	}
	evac_ctl_work_all(e, 1);
}

/*
 * A stream request was answered: done; kept to retry once Redis is back
 * (503); or refused by Redis for good (500): an error record.
 */
static void
evac_req_done(struct evac_mgr *e, struct evac_op *op, int status,
    const char *err)
{
	struct evac_req	*req = op->req;
	const char	*kv[6];

	if (status == 503) {
		log_warn("requests entry '%s' waits for redis: %s", req->id,
		    err);
		TAILQ_INSERT_TAIL(&e->reqs, req, entry);
		op->req = NULL;
	} else if (status != 202) {
		kv[0] = "op";
		kv[1] = req->uncordon ? "uncordon" : "drain";
		kv[2] = "node";
		kv[3] = req->node;
		kv[4] = "by";
		kv[5] = req->by;
		evac_request_reject(e, req->id, err, kv, nitems(kv));
	}
}

/* The drain or uncordon script answered. */
static void
evac_node_done(struct evac_mgr *e, struct evac_op *op, const redisReply *r,
    const char *err)
{
	struct evac_node	*n;
	const char		*active = NULL;
	char			*json, *taint = NULL, *msg = NULL;
	int			 uncordon = op->flag, status;

	if (err == NULL && r->type != REDIS_REPLY_STRING)
		err = "unexpected reply from redis";
	if (err != NULL) {
		status = evac_err_status(err);
		xasprintf(&msg, "cannot %s node '%s': %s", uncordon ?
		    "uncordon" : "drain", op->node, err);
		log_warn("%s", msg);
		if (op->req != NULL)
			evac_req_done(e, op, status, msg);
		else
			evac_answer(e, op->cb, op->arg, status, NULL, msg);
		free(msg);
		return;
	}
	if (*r->str != '\0')
		active = r->str;
	if (!uncordon)
		taint = evac_taint(e);
	{
		const struct log_field	f[] = {
			LOG_STR("node", op->node),
			LOG_STR("op", uncordon ? "uncordon" : "drain"),
			LOG_STR("by", op->by),
			LOG_STR("taint", taint != NULL ? taint : ""),
			LOG_STR("evacuation", active),
		};

		log_fields(LOG_LEVEL_INFO, f, nitems(f), "node '%s' %s by "
		    "'%s'", op->node, uncordon ? "uncordoned" : "drained",
		    op->by);
	}
	if ((n = evac_node_find(e, op->node)) != NULL)
		evac_cordon(e, n, !uncordon);
	if (e->leader)
		evac_nodes_read(e);	/* act now, not at the next tick */
	json = evac_record_node(op->node, !uncordon, taint, active);
	free(taint);
	if (op->req != NULL)
		evac_req_done(e, op, 202, NULL);
	else
		evac_answer(e, op->cb, op->arg, 202, json, NULL);
	free(json);
}

/*
 * Drain (UNCORDON 0) or uncordon NODE for BY: the script.  The answer
 * goes to CB, or, for a stream request REQ (taken), to evac_req_done.
 */
static void
evac_node_send(struct evac_mgr *e, const char *node, const char *by,
    int uncordon, evac_reply_cb cb, void *arg, struct evac_req *req)
{
	struct evac_op	*op;
	const char	*argv[7];
	char		*key, *akey, *taint = NULL;
	int		 argc = 0;

	op = evac_op_new(e, evac_node_done, NULL);
	op->node = xstrdup(node);
	op->by = xstrdup(by);
	op->flag = uncordon;
	op->cb = cb;
	op->arg = arg;
	op->req = req;
	key = evac_key(e, "node:", node);
	akey = evac_key(e, "evac:active:", node);
	argv[argc++] = "EVAL";
	argv[argc++] = uncordon ? evac_uncordon_lua : evac_drain_lua;
	argv[argc++] = "2";
	argv[argc++] = key;
	argv[argc++] = akey;
	if (!uncordon) {
		taint = evac_taint(e);
		argv[argc++] = taint;
	}
	argv[argc++] = op->by;
	evac_send(e, op, argc, argv);
	free(key);
	free(akey);
	free(taint);
}

/* Send a stream request (taking it). */
static void
evac_req_send(struct evac_mgr *e, struct evac_req *req)
{
	evac_node_send(e, req->node, req->by, req->uncordon, NULL, NULL, req);
}

/* The answer to evac_get of one evacuation. */
static void
evac_get_done(struct evac_mgr *e, struct evac_op *op, const redisReply *r,
    const char *err)
{
	char	*msg = NULL;

	if (err != NULL) {
		xasprintf(&msg, "cannot read evacuation '%s': %s", op->name,
		    err);
		evac_answer(e, op->cb, op->arg, evac_err_status(err), NULL,
		    msg);
	} else if (r->type == REDIS_REPLY_STRING)
		evac_answer(e, op->cb, op->arg, 200, r->str, NULL);
	else {
		xasprintf(&msg, "evacuation '%s' not found", op->name);
		evac_answer(e, op->cb, op->arg, 404, NULL, msg);
	}
	free(msg);
}

/* The answer to evac_get of the list: decoded, checked, encoded. */
static void
evac_list_done(struct evac_mgr *e, struct evac_op *op, const redisReply *r,
    const char *err)
{
	struct evac_record	*recs = NULL;
	char			*msg = NULL, *cause, *json;
	size_t			 i, n = 0;

	if (err == NULL && r->type != REDIS_REPLY_ARRAY)
		err = "unexpected reply from redis";
	if (err != NULL) {
		xasprintf(&msg, "cannot read evacuations: %s", err);
		evac_answer(e, op->cb, op->arg, evac_err_status(err), NULL,
		    msg);
		free(msg);
		return;
	}
	recs = xcalloc(r->elements + 1, sizeof *recs);
	for (i = 0; i < r->elements; i++) {
		cause = NULL;
		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (evac_record_decode(r->element[i]->str, &recs[n],
		    &cause) != 0) {
			log_warn("an evacuation record is skipped: %s", cause);
			free(cause);
			continue;
		}
		n++;
	}
	json = evac_record_list(recs, n);
	for (i = 0; i < n; i++)
		evac_record_clear(&recs[i]);
	free(recs);
	evac_answer(e, op->cb, op->arg, 200, json, NULL);
	free(json);
}

/* store_command's callback for every store operation of a manager. */
static void
evac_store_cb(const redisReply *r, const char *err, void *arg)
{
	struct evac_op	*op = arg;
	struct evac_mgr	*e = evac_op_detach(op);

	if (e == NULL || op->done == NULL)
		return;		/* the manager is gone: nobody to tell */
	op->done(e, op, r, err);
}

/* An error record was written (or not). */
static void
evac_error_done(struct evac_mgr *e, struct evac_op *op, const redisReply *r,
    const char *err)
{
	if (err != NULL)
		log_warn("requests entry '%s': error record not written: %s",
		    op->name, err);
}

/* Reject stream entry ID (KV, NKV strings) for CAUSE: log, error record. */
static void
evac_request_reject(struct evac_mgr *e, const char *id, const char *cause,
    const char *const *kv, size_t nkv)
{
	struct evac_op	*op;
	const char	*argv[6];
	char		*key, *json;

	log_error("requests entry '%s' rejected: %s", id != NULL ? id : "?",
	    cause);
	json = evac_record_request_error(id, cause, kv, nkv, util_wall_ms());
	key = evac_key(e, "requests:errors", NULL);
	op = evac_op_new(e, evac_error_done, NULL);
	op->name = xstrdup(id != NULL ? id : "?");
	argv[0] = "EVAL";
	argv[1] = evac_error_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = json;
	argv[5] = EVAC_ERRORS_KEEP;
	evac_send(e, op, nitems(argv), argv);
	free(key);
	free(json);
}

/* Start the manager: the tick runs from the loop. */
struct evac_mgr *
evac_create(struct event_base *base, const struct config *cfg,
    struct store *store, struct coord *coord, struct mig_mgr *mgr)
{
	struct evac_mgr	*e;
	struct timeval	 tv = { 0, EVAC_TICK_MS * 1000 };

	if (base == NULL || cfg == NULL || store == NULL) {
		log_error("evac: a loop, a configuration and a store are "
		    "needed");
		return (NULL);
	}
	e = xcalloc(1, sizeof *e);
	e->base = base;
	e->cfg = cfg;
	e->store = store;
	e->coord = coord;
	e->mgr = mgr;
	TAILQ_INIT(&e->evacs);
	TAILQ_INIT(&e->ops);
	TAILQ_INIT(&e->notes);
	TAILQ_INIT(&e->aborts);
	TAILQ_INIT(&e->reqs);
	evac_nodes_build(e, cfg);
	e->tick = event_new(base, -1, EV_PERSIST, evac_tick_timer, e);
	e->kick = event_new(base, -1, 0, evac_kick_cb, e);
	e->note_ev = event_new(base, -1, 0, evac_note_cb, e);
	if (e->tick == NULL || e->kick == NULL || e->note_ev == NULL) {
		/* Only out of memory makes these fail; that is fatal. */
		log_error("evac: cannot create events");
		abort();
	}
	evtimer_add(e->tick, &tv);
	return (e);
}

/*
 * Stop: no callback runs after this.  Answers still out find their op
 * orphaned; the store frees its ops, the manager's callbacks theirs.
 */
void
evac_free(struct evac_mgr *e)
{
	struct evac_op		*op;
	struct evac_note	*n;
	struct evac_req		*req;
	size_t			 i;

	if (e == NULL || e->dead)
		return;
	e->dead = 1;
	event_free(e->tick);
	event_free(e->kick);
	event_free(e->note_ev);
	while ((op = TAILQ_FIRST(&e->ops)) != NULL) {
		TAILQ_REMOVE(&e->ops, op, entry);
		op->e = NULL;
		op->ev = NULL;
	}
	evac_ctl_free(e);
	while ((n = TAILQ_FIRST(&e->notes)) != NULL) {
		TAILQ_REMOVE(&e->notes, n, entry);
		free(n->err);
		free(n);
	}
	while ((req = TAILQ_FIRST(&e->reqs)) != NULL) {
		TAILQ_REMOVE(&e->reqs, req, entry);
		evac_req_free(req);
	}
	for (i = 0; i < e->nnodes; i++)
		free(e->nodes[i].name);
	free(e->nodes);
	if (e->depth == 0)
		evac_destroy_mgr(e);
}

/* Take a reloaded configuration (nodes, taint, timeout, prefix). */
void
evac_reload(struct evac_mgr *e, const struct config *cfg)
{
	e->cfg = cfg;
	evac_nodes_build(e, cfg);
}

/* This replica became leader (1) or stopped being it (0). */
void
evac_set_leader(struct evac_mgr *e, int leader)
{
	leader = leader != 0;
	if (e->leader == leader)
		return;
	e->leader = leader;
	log_info("evacuation controller %s on this replica", leader ?
	    "starts" : "stops");
	if (!leader) {
		/* The next leader carries them on from their records. */
		evac_ctl_stop(e);
		return;
	}
	evac_nodes_read(e);
}

/* Drain NODE on behalf of BY. */
void
evac_drain(struct evac_mgr *e, const char *node, const char *by,
    evac_reply_cb cb, void *arg)
{
	char	*msg;

	if (node == NULL || config_node_find(e->cfg, node) == NULL) {
		xasprintf(&msg, "node '%s' not found", node != NULL &&
		    util_name_valid(node) ? node : "?");
		evac_note(e, cb, arg, 404, msg);
		free(msg);
		return;
	}
	evac_node_send(e, node, by != NULL ? by : "api", 0, cb, arg, NULL);
}

/* Uncordon NODE on behalf of BY. */
void
evac_uncordon(struct evac_mgr *e, const char *node, const char *by,
    evac_reply_cb cb, void *arg)
{
	char	*msg;

	if (node == NULL || config_node_find(e->cfg, node) == NULL) {
		xasprintf(&msg, "node '%s' not found", node != NULL &&
		    util_name_valid(node) ? node : "?");
		evac_note(e, cb, arg, 404, msg);
		free(msg);
		return;
	}
	evac_node_send(e, node, by != NULL ? by : "api", 1, cb, arg, NULL);
}

/* Evacuation ID, or every evacuation (of NODE, if given). */
void
evac_get(struct evac_mgr *e, const char *id, const char *node,
    evac_reply_cb cb, void *arg)
{
	struct evac_op	*op;
	const char	*argv[6];
	char		*key, *prefix;

	if (id != NULL) {
		if (!evac_record_id_valid(id)) {
			evac_note(e, cb, arg, 404, "evacuation not found");
			return;
		}
		key = evac_key(e, "evac:", id);
		op = evac_op_new(e, evac_get_done, NULL);
		op->name = xstrdup(id);
		op->cb = cb;
		op->arg = arg;
		argv[0] = "HGET";
		argv[1] = key;
		argv[2] = "json";
		evac_send(e, op, 3, argv);
		free(key);
		return;
	}
	key = evac_key(e, "evacs", NULL);
	prefix = evac_key(e, "evac:", NULL);
	op = evac_op_new(e, evac_list_done, NULL);
	op->cb = cb;
	op->arg = arg;
	argv[0] = "EVAL";
	argv[1] = evac_list_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = prefix;
	argv[5] = node != NULL ? node : "";
	evac_send(e, op, nitems(argv), argv);
	free(key);
	free(prefix);
}

/* One entry of the requests stream. */
void
evac_request(struct evac_mgr *e, const char *id, const char *const *kv,
    size_t nkv)
{
	struct queue_request	 qr;
	struct evac_req		*req;
	char			*cause = NULL;

	if (queue_request_parse(kv, nkv, &qr, &cause) != 0) {
		evac_request_reject(e, id, cause, kv, nkv);
		free(cause);
		return;
	}
	if (config_node_find(e->cfg, qr.node) == NULL) {
		xasprintf(&cause, "unknown node '%s'", qr.node);
		evac_request_reject(e, id, cause, kv, nkv);
		free(cause);
		queue_request_clear(&qr);
		return;
	}
	req = xcalloc(1, sizeof *req);
	req->id = xstrdup(id != NULL ? id : "?");
	req->node = xstrdup(qr.node);
	req->by = xstrdup(qr.by != NULL ? qr.by : EVAC_BY_REQUESTS);
	req->uncordon = strcmp(qr.op, "uncordon") == 0;
	queue_request_clear(&qr);
	evac_req_send(e, req);
}

