/*
 * evac-ctl.c: the evacuation controller, which runs on the leader only
 * (see evac.h).  Fed by the node read of evac.c, it starts evacuations
 * of tainted nodes, carries on those another leader started, asks the
 * manager for one migration per VM, follows their phases in Redis, and
 * ends each evacuation: completed, failed or cancelled.
 *
 * Which drain an evacuation serves.  node:<name> holds "gen", a counter
 * of drain requests that ask for an evacuation, and "served", the gen of
 * the last evacuation started for the node.  A drain of a node that is
 * not drained bumps gen; so does a drain of a drained node whose last
 * evacuation is over (running `ferryctl drain` again retries, as running
 * `kubectl drain` again does); a drain while an evacuation runs does not
 * (that evacuation serves it).  The leader starts an evacuation only for
 * a tainted node with no running evacuation and gen > served, and the
 * start script sets served = gen: an ended evacuation on a node that
 * stays tainted is never restarted by itself, tick after tick.  Counters,
 * not times, so replicas' clocks never have to agree.  An evacuation ends
 * cancelled when its node loses the taint, or when the node's gen moved
 * past the one it serves (uncordoned and drained again between two
 * reads): then a fresh evacuation follows.
 *
 * Leader failover.  The start script sets evac:active:<node>, served and
 * the record (phase running, "listed" 0) at once, so a running evacuation
 * always has a record.  A leader that sees evac:active:<node> naming an
 * evacuation it does not follow reads the record and carries it on: if
 * the VMs were never listed it lists them again and asks for a migration
 * of each; a VM that already has an active migration answers 409, and
 * the evacuation follows that migration (vm:<vm>:active names it).  VMs
 * listed without a migration yet are asked for again the same way.
 * Writes are fenced: the write script checks that the leader key still
 * names this replica, and never rewrites a final record.
 *
 * An evacuation is freed only from the loop (evac_ctl_reap), never inside
 * a callback about it; dropping it detaches the operations still out.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "ferry/config.h"
#include "ferry/evac.h"
#include "ferry/evac-priv.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-fsm.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/*
 * Start: KEYS node:<n>, evac:active:<n>, evac:<id>, evacs, leader,
 * events; ARGV id, json, created, replica ("" = no fence), node.  Returns
 * {1, gen} when started, {0, why} when not.  A started evacuation's
 * record is published on events (GET /v1/watch).
 */
static const char evac_start_lua[] =
    "if ARGV[4] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[4] then "
    "return {0, 'this replica is not the leader'} "
    "end "
    "if redis.call('EXISTS', KEYS[2]) == 1 then "
    "return {0, 'an evacuation is running'} "
    "end "
    "if redis.call('EXISTS', KEYS[3]) == 1 then "
    "return {0, 'the id is taken'} "
    "end "
    "local h = redis.call('HMGET', KEYS[1], 'taint', 'gen', 'served') "
    "if not h[1] or h[1] == '' then "
    "return {0, 'the node is not tainted'} "
    "end "
    "local gen = tonumber(h[2]) or 0 "
    "if gen <= (tonumber(h[3]) or 0) then "
    "return {0, 'the drain was served already'} "
    "end "
    "local g = string.format('%d', gen) "
    "redis.call('SET', KEYS[2], ARGV[1]) "
    "redis.call('HSET', KEYS[1], 'served', g, 'evacuation', ARGV[1]) "
    "redis.call('HSET', KEYS[3], 'json', ARGV[2], 'node', ARGV[5], "
    "'phase', 'running', 'gen', g, 'listed', '0') "
    "redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1]) "
    "redis.call('PUBLISH', KEYS[6], ARGV[2]) "
    "return {1, g}";

/*
 * Write: KEYS evac:<id>, evacs, evac:active:<node>, leader, events; ARGV
 * id, json, node, phase, gen, listed, created, replica ("" = no fence).
 * Returns 1 written, 0 not the leader, -1 the record is final already.
 * A final record also drops evac:active:<node> if it still names id.  A
 * record whose phase changed is published on events: the channel carries
 * transitions, not the counts of a running evacuation.
 */
static const char evac_write_lua[] =
    "if ARGV[8] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[8] then "
    "return 0 "
    "end "
    "local cur = redis.call('HGET', KEYS[1], 'phase') "
    "if cur and cur ~= 'running' then "
    "return -1 "
    "end "
    "redis.call('HSET', KEYS[1], 'json', ARGV[2], 'node', ARGV[3], "
    "'phase', ARGV[4], 'gen', ARGV[5], 'listed', ARGV[6]) "
    "redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1]) "
    "if ARGV[4] ~= 'running' and redis.call('GET', KEYS[3]) == ARGV[1] "
    "then "
    "redis.call('DEL', KEYS[3]) "
    "end "
    "if cur ~= ARGV[4] then "
    "redis.call('PUBLISH', KEYS[5], ARGV[2]) "
    "end "
    "return 1";

/* Release: delete KEYS[1] (evac:active:<node>) if it names ARGV[1]. */
static const char evac_release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) "
    "end "
    "return 0";

/*
 * Phases: KEYS mig:<name> each.  Returns per migration {phase, reason,
 * message} ("" when unknown); reason and message only once final.
 */
static const char evac_phases_lua[] =
    "local out = {} "
    "for i, k in ipairs(KEYS) do "
    "local h = redis.call('HMGET', k, 'phase', 'json') "
    "local p = h[1] or '' "
    "local reason, msg = '', '' "
    "if (p == 'failed' or p == 'aborted') and h[2] then "
    "local ok, o = pcall(cjson.decode, h[2]) "
    "if ok and type(o) == 'table' and type(o.status) == 'table' then "
    "if type(o.status.reason) == 'string' then reason = o.status.reason end "
    "if type(o.status.message) == 'string' then msg = o.status.message end "
    "end "
    "end "
    "out[i] = {p, reason, msg} "
    "end "
    "return out";

/* Forward declarations. */
static void	evac_ctl_write(struct evac *);
static void	evac_ctl_write_done(struct evac_mgr *, struct evac_op *,
		    const redisReply *, const char *);

/* Log an evacuation's state as one structured line. */
static void
evac_ctl_log(struct evac *ev, enum log_level level, const char *what)
{
	struct evac_counts	 c;
	const struct evac_record *r = &ev->rec;

	evac_record_count(r, &c);
	{
		const struct log_field	f[] = {
			LOG_STR("evacuation", r->id),
			LOG_STR("node", r->node),
			LOG_STR("phase", evac_phase_name(r->phase)),
			LOG_STR("reason", evac_reason_name(r->reason)),
			LOG_STR("by", r->by),
			LOG_INT("total", c.total),
			LOG_INT("done", c.done),
			LOG_INT("succeeded", c.succeeded),
			LOG_INT("failed", c.failed),
			LOG_STR("message", r->message),
		};

		log_fields(level, f, nitems(f), "evacuation '%s' %s", r->id,
		    what);
	}
	ev->logged_done = c.done;
}

/* A new evacuation led here, taking REC's members. */
static struct evac *
evac_ctl_new(struct evac_mgr *e, struct evac_record *rec, long long gen,
    int listed)
{
	struct evac	*ev = xcalloc(1, sizeof *ev);

	ev->e = e;
	ev->rec = *rec;
	memset(rec, 0, sizeof *rec);
	if (ev->rec.by == NULL)
		ev->rec.by = xstrdup("");
	if (ev->rec.message == NULL)
		ev->rec.message = xstrdup("");
	ev->rt = xcalloc(ev->rec.nvms + 1, sizeof *ev->rt);
	ev->gen = gen;
	ev->listed = listed;
	ev->written_listed = listed;
	TAILQ_INSERT_TAIL(&e->evacs, ev, entry);
	return (ev);
}

/* Free EV (already off the list); answers still out lose it. */
static void
evac_ctl_destroy(struct evac *ev)
{
	struct evac_op	*op;

	TAILQ_FOREACH(op, &ev->e->ops, entry) {
		if (op->ev == ev)
			op->ev = NULL;
	}
	evac_record_clear(&ev->rec);
	free(ev->rt);
	free(ev->written);
	free(ev->final);
	free(ev);
}

/* Stop leading EV: it is freed from the loop. */
static void
evac_ctl_drop(struct evac *ev)
{
	ev->dead = 1;
	evac_kick(ev->e);
}

/* Free dropped evacuations, and those over with nothing out. */
static void
evac_ctl_reap(struct evac_mgr *e)
{
	struct evac	*ev, *next;

	for (ev = TAILQ_FIRST(&e->evacs); ev != NULL; ev = next) {
		next = TAILQ_NEXT(ev, entry);
		if (ev->dead || (ev->over && ev->calls == 0 && !ev->listing)) {
			TAILQ_REMOVE(&e->evacs, ev, entry);
			evac_ctl_destroy(ev);
		}
	}
}

/* The running evacuation of NODE led here, or NULL. */
static struct evac *
evac_ctl_find_running(struct evac_mgr *e, const char *node)
{
	struct evac	*ev;

	TAILQ_FOREACH(ev, &e->evacs, entry) {
		if (!ev->dead && ev->rec.phase == EVAC_RUNNING &&
		    strcmp(ev->rec.node, node) == 0)
			return (ev);
	}
	return (NULL);
}

/* Evacuation ID led here (running or being ended), or NULL. */
static struct evac *
evac_ctl_find_id(struct evac_mgr *e, const char *id)
{
	struct evac	*ev;

	TAILQ_FOREACH(ev, &e->evacs, entry) {
		if (!ev->dead && strcmp(ev->rec.id, id) == 0)
			return (ev);
	}
	return (NULL);
}

/* Replace *S with a copy of V (NULL allowed). */
static void
evac_ctl_set_str(char **s, const char *v)
{
	char	*copy = v != NULL ? xstrdup(v) : NULL;

	free(*s);
	*s = copy;
}

/* The manager's answer to an abort. */
static void
evac_ctl_abort_done(int status, const char *json, const char *err,
    void *arg)
{
	struct evac_op		*op = arg;
	struct evac_mgr		*e = evac_op_detach(op);
	struct evac_abort	*a;

	if (e == NULL)
		goto out;
	if (status == 503) {
		/* Sent again on the next tick with Redis up. */
		log_debug("abort of migration '%s' deferred: %s", op->name,
		    err != NULL ? err : "unavailable");
		a = xcalloc(1, sizeof *a);
		a->name = op->name;
		op->name = NULL;
		a->reason = op->reason;
		a->force = op->force;
		TAILQ_INSERT_TAIL(&e->aborts, a, entry);
	} else if (status == 202)
		log_info("migration '%s': abort requested (%s)", op->name,
		    mig_reason_name(op->reason));
	else
		log_debug("migration '%s' not aborted (%d): %s", op->name,
		    status, err != NULL ? err : "");
out:
	evac_op_free(op);
}

/* Ask the manager to abort migration NAME for REASON. */
static void
evac_ctl_abort(struct evac_mgr *e, const char *name,
    enum mig_reason reason, int force)
{
	struct evac_op	*op;

	if (e->mgr == NULL)
		return;
	op = evac_op_new(e, NULL, NULL);
	op->name = xstrdup(name);
	op->reason = reason;
	op->force = force;
	mig_mgr_abort(e->mgr, name, reason, force, evac_ctl_abort_done, op);
}

/* Send the deferred aborts again. */
void
evac_ctl_aborts_retry(struct evac_mgr *e)
{
	struct evac_aborts	 todo;
	struct evac_abort	*a;

	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &e->aborts, entry);
	while ((a = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, a, entry);
		evac_ctl_abort(e, a->name, a->reason, a->force);
		free(a->name);
		free(a);
	}
}

/* End EV in PHASE for REASON; LEAD opens the message (may be NULL). */
static void
evac_ctl_end(struct evac *ev, enum evac_phase phase, enum evac_reason reason,
    const char *lead)
{
	struct evac_counts	c;

	ev->rec.phase = phase;
	ev->rec.reason = reason;
	ev->rec.ended = util_wall_ms();
	evac_record_count(&ev->rec, &c);
	free(ev->rec.message);
	ev->rec.message = evac_record_message(&ev->rec, &c, lead);
	ev->final = evac_record_encode(&ev->rec);
	evac_ctl_log(ev, phase == EVAC_COMPLETED ? LOG_LEVEL_INFO :
	    LOG_LEVEL_WARN, evac_phase_name(phase));
	evac_ctl_write(ev);
}

/*
 * The node of EV was uncordoned (ST says by whom), or drained again after
 * an uncordon: cancel.  Pending migrations end aborted/EvacuationCancelled;
 * running ones finish.  If every VM is done already, it ends as it is.
 */
static void
evac_ctl_cancel(struct evac *ev, const struct evac_node_state *st)
{
	struct evac_mgr		*e = ev->e;
	struct evac_counts	 c;
	enum evac_reason	 reason;
	enum evac_phase		 phase;
	char			*lead;
	size_t			 i;

	evac_record_count(&ev->rec, &c);
	phase = evac_record_judge(&c, ev->listed, 1, 0, &reason);
	if (phase != EVAC_CANCELLED) {
		evac_ctl_end(ev, phase, reason, NULL);
		return;
	}
	for (i = 0; i < ev->rec.nvms; i++) {
		if (evac_record_vm_outcome(&ev->rec.vms[i]) ==
		    EVAC_VM_MIGRATING)
			evac_ctl_abort(e, ev->rec.vms[i].migration,
			    MIG_REASON_EVACUATION_CANCELLED, 0);
	}
	xasprintf(&lead, "node '%s' was uncordoned%s%s%s%s; pending "
	    "migrations are aborted, running ones finish", ev->rec.node,
	    *st->by != '\0' ? " by '" : "", st->by, *st->by != '\0' ? "'" : "",
	    *st->taint != '\0' ? " and drained again" : "");
	evac_ctl_end(ev, EVAC_CANCELLED, EVAC_REASON_CANCELLED, lead);
	free(lead);
}

/* EV ran out of time: abort what has not started, let the rest finish. */
static void
evac_ctl_timeout(struct evac *ev, enum evac_reason reason)
{
	struct evac_mgr		*e = ev->e;
	const struct evac_vm	*v;
	enum mig_state		 st;
	char			*lead;
	size_t			 i;

	for (i = 0; i < ev->rec.nvms; i++) {
		v = &ev->rec.vms[i];
		if (evac_record_vm_outcome(v) != EVAC_VM_MIGRATING ||
		    v->phase == NULL || mig_state_parse(v->phase, &st) != 0)
			continue;
		if (st == MIG_PENDING || st == MIG_SCHEDULING)
			evac_ctl_abort(e, v->migration,
			    MIG_REASON_ABORT_REQUESTED, 1);
	}
	xasprintf(&lead, "evacuation_timeout (%d s) passed; pending "
	    "migrations are aborted, running ones finish",
	    e->cfg->evacuation_timeout);
	evac_ctl_end(ev, EVAC_FAILED, reason, lead);
	free(lead);
}

/* Write EV's record if it changed since last written. */
static void
evac_ctl_write(struct evac *ev)
{
	struct evac_mgr	*e = ev->e;
	struct evac_op	*op;
	const char	*argv[16];
	char		*json, *key, *zkey, *akey, *lkey, *ckey;
	char		 gen[32], created[32];

	if (ev->writing || ev->over || ev->dead)
		return;
	json = ev->final != NULL ? xstrdup(ev->final) :
	    evac_record_encode(&ev->rec);
	if (ev->written != NULL && strcmp(json, ev->written) == 0 &&
	    ev->written_listed == ev->listed) {
		free(json);
		return;
	}
	key = evac_key(e, "evac:", ev->rec.id);
	zkey = evac_key(e, "evacs", NULL);
	akey = evac_key(e, "evac:active:", ev->rec.node);
	lkey = evac_key(e, "leader", NULL);
	ckey = evac_key(e, "events", NULL);
	snprintf(gen, sizeof gen, "%lld", ev->gen);
	snprintf(created, sizeof created, "%" PRIu64, ev->rec.created);
	op = evac_op_new(e, evac_ctl_write_done, ev);
	op->json = json;
	op->flag = ev->listed;
	argv[0] = "EVAL";
	argv[1] = evac_write_lua;
	argv[2] = "5";
	argv[3] = key;
	argv[4] = zkey;
	argv[5] = akey;
	argv[6] = lkey;
	argv[7] = ckey;
	argv[8] = ev->rec.id;
	argv[9] = json;
	argv[10] = ev->rec.node;
	argv[11] = evac_phase_name(ev->rec.phase);
	argv[12] = gen;
	argv[13] = ev->listed ? "1" : "0";
	argv[14] = created;
	argv[15] = evac_fence(e);
	ev->writing = 1;
	evac_send(e, op, nitems(argv), argv);
	free(key);
	free(zkey);
	free(akey);
	free(lkey);
	free(ckey);
}

/* The write script answered. */
static void
evac_ctl_write_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac	*ev = op->ev;

	if (ev == NULL)
		return;
	ev->writing = 0;
	if (err != NULL || r->type != REDIS_REPLY_INTEGER) {
		/* Written again on the next tick. */
		log_debug("evacuation '%s': record not written: %s",
		    ev->rec.id, err != NULL ? err : "unexpected reply");
		return;
	}
	if (r->integer == 0) {
		log_warn("evacuation '%s': record not written: this replica "
		    "is no longer the leader", ev->rec.id);
		evac_ctl_drop(ev);
		return;
	}
	if (r->integer < 0) {
		log_warn("evacuation '%s' has ended already (another replica "
		    "ended it); this replica stops following it", ev->rec.id);
		evac_ctl_drop(ev);
		return;
	}
	free(ev->written);
	ev->written = op->json;
	op->json = NULL;
	ev->written_listed = op->flag;
	if (ev->final != NULL) {
		ev->over = 1;
		evac_kick(ev->e);
	}
}

/* A VM's migration is known: follow it. */
static void
evac_ctl_vm_follow(struct evac *ev, size_t i, const char *migration,
    const char *phase)
{
	struct evac_vm	*v = &ev->rec.vms[i];

	evac_ctl_set_str(&v->migration, migration);
	evac_ctl_set_str(&v->phase, phase);
	evac_ctl_set_str(&v->reason, "");
}

/* A VM cannot move: REASONS (N of them), or ERR alone. */
static void
evac_ctl_vm_refused(struct evac *ev, size_t i, const char *err,
    const char *const *reasons, size_t n)
{
	struct evac_vm	*v = &ev->rec.vms[i];
	size_t		 j;

	evac_ctl_set_str(&v->reason, err != NULL ? err : "cannot move");
	for (j = 0; j < v->nreasons; j++)
		free(v->reasons[j]);
	free(v->reasons);
	v->reasons = xcalloc(n + 1, sizeof *v->reasons);
	v->nreasons = 0;
	for (j = 0; j < n; j++) {
		if (reasons[j] != NULL)
			v->reasons[v->nreasons++] = xstrdup(reasons[j]);
	}
	if (v->nreasons == 0)
		v->reasons[v->nreasons++] = xstrdup(v->reason);
	log_warn("evacuation '%s': VM '%s' cannot move: %s", ev->rec.id,
	    v->vm, v->reason);
}

/* A VM no longer runs on the node: nothing to move. */
static void
evac_ctl_vm_gone(struct evac *ev, size_t i)
{
	struct evac_vm	*v = &ev->rec.vms[i];

	free(v->reason);
	xasprintf(&v->reason, "%s: VM '%s' no longer runs on node '%s'",
	    EVAC_VM_GONE_CODE, v->vm, ev->rec.node);
	log_info("evacuation '%s': VM '%s' no longer runs on node '%s'",
	    ev->rec.id, v->vm, ev->rec.node);
}

/* The answer to GET vm:<vm>:active after a 409. */
static void
evac_ctl_holder_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac		*ev = op->ev;
	struct evac_vm		*v;
	struct evac_vm_rt	*rt;

	if (ev == NULL)
		return;
	ev->calls--;
	v = &ev->rec.vms[op->vm];
	rt = &ev->rt[op->vm];
	rt->calling = 0;
	if (ev->rec.phase != EVAC_RUNNING || v->migration != NULL)
		return;
	if (err != NULL) {
		rt->retry_at = util_now_ms() + EVAC_RETRY_MS;
		return;
	}
	if (r->type == REDIS_REPLY_STRING && evac_record_id_valid(r->str)) {
		log_info("evacuation '%s': VM '%s' already has migration '%s'; "
		    "following it", ev->rec.id, v->vm, r->str);
		evac_ctl_vm_follow(ev, op->vm, r->str, NULL);
		evac_kick(ev->e);
		return;
	}
	/* No holder: it ended meanwhile (ask again) or the 409 was another. */
	if (strstr(op->name, "active migration") != NULL &&
	    ++rt->tries < EVAC_HOLDER_TRIES) {
		rt->retry_at = util_now_ms();
		evac_kick(ev->e);
		return;
	}
	evac_ctl_vm_refused(ev, op->vm, op->name, NULL, 0);
	evac_kick(ev->e);
}

/* Which migration holds VM I of EV (it answered 409 ERR)? */
static void
evac_ctl_holder(struct evac *ev, size_t i, const char *err)
{
	struct evac_mgr	*e = ev->e;
	struct evac_op	*op;
	const char	*argv[2];
	char		*key;

	xasprintf(&key, "%svm:%s:active", store_prefix(e->store),
	    ev->rec.vms[i].vm);
	op = evac_op_new(e, evac_ctl_holder_done, ev);
	op->vm = i;
	op->name = xstrdup(err != NULL ? err : "conflict");
	ev->calls++;
	ev->rt[i].calling = 1;
	argv[0] = "GET";
	argv[1] = key;
	evac_send(e, op, nitems(argv), argv);
	free(key);
}

/* The manager's answer to mig_mgr_evacuate for one VM. */
static void
evac_ctl_create_done(int status, const struct mig_record *rec,
    const char *err, const char *const *reasons, size_t nreasons, void *arg)
{
	struct evac_op		*op = arg;
	struct evac_mgr		*e = evac_op_detach(op);
	struct evac		*ev = op->ev;
	size_t			 i = op->vm;

	if (e == NULL || ev == NULL) {
		/* The leader that carries it on follows it (409). */
		goto out;
	}
	ev->calls--;
	ev->rt[i].calling = 0;
	switch (status) {
	case 201:
		evac_ctl_vm_follow(ev, i, rec->name,
		    mig_state_name(rec->state));
		log_info("evacuation '%s': VM '%s' leaves in migration '%s'",
		    ev->rec.id, ev->rec.vms[i].vm, rec->name);
		/* Ended meanwhile: this one must not start. */
		if (ev->rec.phase == EVAC_CANCELLED)
			evac_ctl_abort(e, rec->name,
			    MIG_REASON_EVACUATION_CANCELLED, 0);
		else if (ev->rec.phase != EVAC_RUNNING)
			evac_ctl_abort(e, rec->name,
			    MIG_REASON_ABORT_REQUESTED, 1);
		break;
	case 409:
		if (ev->rec.phase == EVAC_RUNNING)
			evac_ctl_holder(ev, i, err);
		break;
	case 404:
		evac_ctl_vm_gone(ev, i);
		break;
	case 503:
		ev->rt[i].retry_at = util_now_ms() + EVAC_RETRY_MS;
		evac_ctl_set_str(&ev->rec.vms[i].reason, err != NULL ? err :
		    "the migration manager is unavailable");
		break;
	default:
		evac_ctl_vm_refused(ev, i, err, reasons, nreasons);
		break;
	}
	evac_kick(e);
out:
	evac_op_free(op);
}

/* Ask the manager for a migration of VM I of EV. */
static void
evac_ctl_create(struct evac *ev, size_t i)
{
	struct evac_mgr	*e = ev->e;
	struct evac_op	*op;

	op = evac_op_new(e, NULL, ev);
	op->vm = i;
	ev->calls++;
	ev->rt[i].calling = 1;
	/* May answer before it returns: the answer only marks VM I. */
	mig_mgr_evacuate(e->mgr, ev->rec.vms[i].vm, ev->rec.id,
	    evac_ctl_create_done, op);
}

/* Ask for a migration of every VM waiting for one, if it is time. */
static void
evac_ctl_create_all(struct evac *ev)
{
	uint64_t	now = util_now_ms();
	size_t		i;

	if (ev->e->mgr == NULL)
		return;
	for (i = 0; i < ev->rec.nvms; i++) {
		if (ev->rec.phase == EVAC_RUNNING &&
		    evac_record_vm_outcome(&ev->rec.vms[i]) ==
		    EVAC_VM_WAITING && !ev->rt[i].calling &&
		    now >= ev->rt[i].retry_at)
			evac_ctl_create(ev, i);
	}
}

/* Index of VM NAME in EV, or -1. */
static ssize_t
evac_ctl_vm_index(struct evac *ev, const char *name)
{
	size_t	i;

	for (i = 0; i < ev->rec.nvms; i++) {
		if (strcmp(ev->rec.vms[i].vm, name) == 0)
			return ((ssize_t)i);
	}
	return (-1);
}

/*
 * The VMs on the node: add those not listed yet; a VM listed before that
 * waits for a migration and is no longer there has gone.
 */
static void
evac_ctl_vms_merge(struct evac *ev, const char *const *names, size_t n)
{
	struct evac_vm	*v;
	size_t		 i, j, before = ev->rec.nvms;
	int		 found;

	for (i = 0; i < before; i++) {
		v = &ev->rec.vms[i];
		if (evac_record_vm_outcome(v) != EVAC_VM_WAITING ||
		    ev->rt[i].calling)
			continue;
		for (found = 0, j = 0; j < n && !found; j++)
			found = names[j] != NULL &&
			    strcmp(names[j], v->vm) == 0;
		if (!found)
			evac_ctl_vm_gone(ev, i);
	}
	for (j = 0; j < n; j++) {
		if (names[j] == NULL || !util_name_valid(names[j]) ||
		    evac_ctl_vm_index(ev, names[j]) != -1)
			continue;
		ev->rec.vms = xreallocarray(ev->rec.vms, ev->rec.nvms + 1,
		    sizeof *ev->rec.vms);
		ev->rt = xreallocarray(ev->rt, ev->rec.nvms + 1,
		    sizeof *ev->rt);
		v = &ev->rec.vms[ev->rec.nvms];
		memset(v, 0, sizeof *v);
		memset(&ev->rt[ev->rec.nvms], 0, sizeof *ev->rt);
		v->vm = xstrdup(names[j]);
		v->reason = xstrdup("");
		ev->rec.nvms++;
	}
}

/* The manager listed the VMs on EV's node. */
static void
evac_ctl_vms_done(int rc, const char *const *names, size_t n, void *arg)
{
	struct evac_op	*op = arg;
	struct evac_mgr	*e = evac_op_detach(op);
	struct evac	*ev = op->ev;

	evac_op_free(op);
	if (e == NULL || ev == NULL)
		return;
	ev->listing = 0;
	if (ev->rec.phase != EVAC_RUNNING)
		return;
	if (rc != 0) {
		log_warn("evacuation '%s': cannot list the VMs of node '%s'; "
		    "retrying", ev->rec.id, ev->rec.node);
		ev->list_at = util_now_ms() + EVAC_LIST_RETRY_MS;
		return;
	}
	evac_ctl_vms_merge(ev, names, n);
	ev->listed = 1;
	log_info("evacuation '%s': %zu VMs on node '%s'", ev->rec.id,
	    ev->rec.nvms, ev->rec.node);
	evac_kick(e);
}

/* List the VMs on EV's node (a fresh inventory read). */
static void
evac_ctl_list(struct evac *ev)
{
	struct evac_mgr	*e = ev->e;
	struct evac_op	*op;

	if (e->mgr == NULL)
		return;
	ev->listing = 1;
	op = evac_op_new(e, NULL, ev);
	mig_mgr_node_vms(e->mgr, ev->rec.node, evac_ctl_vms_done, op);
}

/* The phases of EV's migrations were read. */
static void
evac_ctl_phases_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac		*ev = op->ev;
	const redisReply	*it;
	struct evac_vm		*v;
	char			*why;
	size_t			 k;

	if (ev == NULL)
		return;
	ev->reading = 0;
	if (err != NULL || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != op->nnames) {
		log_debug("evacuation '%s': phases not read: %s", ev->rec.id,
		    err != NULL ? err : "unexpected reply");
		return;
	}
	for (k = 0; k < op->nnames; k++) {
		it = r->element[k];
		v = &ev->rec.vms[op->idx[k]];
		if (it->type != REDIS_REPLY_ARRAY || it->elements != 3 ||
		    it->element[0]->type != REDIS_REPLY_STRING ||
		    it->element[1]->type != REDIS_REPLY_STRING ||
		    it->element[2]->type != REDIS_REPLY_STRING ||
		    v->migration == NULL ||
		    strcmp(v->migration, op->names[k]) != 0)
			continue;
		if (*it->element[0]->str == '\0')
			continue;	/* no record yet */
		if (v->phase == NULL || strcmp(v->phase,
		    it->element[0]->str) != 0)
			evac_ctl_set_str(&v->phase, it->element[0]->str);
		if (*it->element[1]->str == '\0' &&
		    *it->element[2]->str == '\0')
			continue;
		xasprintf(&why, "%s%s%s", it->element[1]->str,
		    *it->element[1]->str != '\0' &&
		    *it->element[2]->str != '\0' ? ": " : "",
		    it->element[2]->str);
		free(v->reason);
		v->reason = why;
	}
	evac_kick(ev->e);
}

/* Read the phases of EV's migrations that are not final. */
static void
evac_ctl_read(struct evac *ev)
{
	struct evac_mgr	*e = ev->e;
	struct evac_op	*op;
	const char	**argv;
	char		 nkeys[32];
	size_t		 i, n = 0;

	for (i = 0; i < ev->rec.nvms; i++) {
		if (evac_record_vm_outcome(&ev->rec.vms[i]) ==
		    EVAC_VM_MIGRATING)
			n++;
	}
	if (n == 0)
		return;
	op = evac_op_new(e, evac_ctl_phases_done, ev);
	op->idx = xcalloc(n, sizeof *op->idx);
	op->names = xcalloc(n * 2, sizeof *op->names);
	argv = xcalloc(n + 3, sizeof *argv);
	for (i = 0; i < ev->rec.nvms; i++) {
		if (evac_record_vm_outcome(&ev->rec.vms[i]) !=
		    EVAC_VM_MIGRATING)
			continue;
		op->idx[op->nnames] = i;
		op->names[op->nnames] = xstrdup(ev->rec.vms[i].migration);
		op->names[n + op->nnames] = evac_key(e, "mig:",
		    ev->rec.vms[i].migration);
		argv[3 + op->nnames] = op->names[n + op->nnames];
		op->nnames++;
	}
	snprintf(nkeys, sizeof nkeys, "%zu", n);
	argv[0] = "EVAL";
	argv[1] = evac_phases_lua;
	argv[2] = nkeys;
	ev->reading = 1;
	evac_send(e, op, (int)n + 3, argv);
	/* The keys are only needed while sending. */
	for (i = 0; i < n; i++) {
		free(op->names[n + i]);
		op->names[n + i] = NULL;
	}
	free(argv);
}

/*
 * One controller step for EV: list, create, read (on ticks only, so
 * kicks do not spin on Redis), judge, write.
 */
static void
evac_ctl_work(struct evac *ev, int tick)
{
	struct evac_mgr		*e = ev->e;
	struct evac_counts	 c;
	enum evac_reason	 reason;
	enum evac_phase		 phase;
	char			*msg;
	int			 timed_out;

	if (ev->dead || ev->over)
		return;
	if (ev->rec.phase != EVAC_RUNNING) {
		evac_ctl_write(ev);	/* the end, until it is written */
		return;
	}
	timed_out = util_wall_ms() >= ev->rec.created +
	    (uint64_t)e->cfg->evacuation_timeout * 1000;
	if (!timed_out) {
		if (!ev->listed && !ev->listing &&
		    util_now_ms() >= ev->list_at)
			evac_ctl_list(ev);
		if (ev->listed)
			evac_ctl_create_all(ev);
		if (tick && !ev->reading)
			evac_ctl_read(ev);
	}
	evac_record_count(&ev->rec, &c);
	phase = evac_record_judge(&c, ev->listed, 0, timed_out, &reason);
	if (phase != EVAC_RUNNING) {
		if (reason == EVAC_REASON_TIMEOUT)
			evac_ctl_timeout(ev, reason);
		else
			evac_ctl_end(ev, phase, reason, NULL);
		return;
	}
	if (ev->listed)
		msg = evac_record_message(&ev->rec, &c, NULL);
	else
		xasprintf(&msg, "listing the VMs on node '%s'", ev->rec.node);
	free(ev->rec.message);
	ev->rec.message = msg;
	if (c.done != ev->logged_done)
		evac_ctl_log(ev, LOG_LEVEL_INFO, "progresses");
	evac_ctl_write(ev);
}

/* Step every evacuation led here; free those dropped or over. */
void
evac_ctl_work_all(struct evac_mgr *e, int tick)
{
	struct evac	*ev;

	evac_ctl_reap(e);
	if (!e->leader)
		return;
	TAILQ_FOREACH(ev, &e->evacs, entry)
		evac_ctl_work(ev, tick);
}

/* The start script answered. */
static void
evac_ctl_start_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac_node	*n = evac_node_find(e, op->node);
	struct evac_record	 rec;
	struct evac		*ev;
	char			*cause = NULL;
	long long		 gen;

	if (n != NULL)
		n->starting = 0;
	if (err != NULL) {
		log_warn("cannot start an evacuation of node '%s': %s",
		    op->node, err);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		log_warn("cannot start an evacuation of node '%s': unexpected "
		    "reply from redis", op->node);
		return;
	}
	if (r->element[0]->integer != 1) {
		log_debug("no evacuation of node '%s' started: %s", op->node,
		    r->element[1]->str);
		return;
	}
	gen = strtoll(r->element[1]->str, NULL, 10);
	if (!e->leader || evac_ctl_find_running(e, op->node) != NULL)
		return;		/* the leader carries it on from its record */
	if (evac_record_decode(op->json, &rec, &cause) != 0) {
		/* Only a bug makes our own JSON unreadable. */
		log_error("evacuation '%s': %s", op->name, cause);
		free(cause);
		return;
	}
	ev = evac_ctl_new(e, &rec, gen, 0);
	ev->written = op->json;
	op->json = NULL;
	evac_ctl_log(ev, LOG_LEVEL_INFO, "started");
	evac_kick(e);
}

/* Start an evacuation of node N, drained as ST says. */
static void
evac_ctl_start(struct evac_mgr *e, struct evac_node *n,
    const struct evac_node_state *st)
{
	struct evac_record	 rec;
	struct evac_op		*op;
	const char		*argv[14];
	char			 suffix[6], created[32];
	char			*key, *akey, *ekey, *zkey, *lkey, *ckey;

	memset(&rec, 0, sizeof rec);
	util_random_suffix(suffix, sizeof suffix);
	xasprintf(&rec.id, "%s-drain-%s", n->name, suffix);
	rec.node = xstrdup(n->name);
	rec.by = xstrdup(st->by);
	rec.phase = EVAC_RUNNING;
	xasprintf(&rec.message, "listing the VMs on node '%s'", n->name);
	rec.created = util_wall_ms();
	snprintf(created, sizeof created, "%" PRIu64, rec.created);

	op = evac_op_new(e, evac_ctl_start_done, NULL);
	op->node = xstrdup(n->name);
	op->name = xstrdup(rec.id);
	op->json = evac_record_encode(&rec);
	key = evac_key(e, "node:", n->name);
	akey = evac_key(e, "evac:active:", n->name);
	ekey = evac_key(e, "evac:", rec.id);
	zkey = evac_key(e, "evacs", NULL);
	lkey = evac_key(e, "leader", NULL);
	ckey = evac_key(e, "events", NULL);
	argv[0] = "EVAL";
	argv[1] = evac_start_lua;
	argv[2] = "6";
	argv[3] = key;
	argv[4] = akey;
	argv[5] = ekey;
	argv[6] = zkey;
	argv[7] = lkey;
	argv[8] = ckey;
	argv[9] = rec.id;
	argv[10] = op->json;
	argv[11] = created;
	argv[12] = evac_fence(e);
	argv[13] = n->name;
	n->starting = 1;
	evac_send(e, op, nitems(argv), argv);
	free(key);
	free(akey);
	free(ekey);
	free(zkey);
	free(lkey);
	free(ckey);
	evac_record_clear(&rec);
}

/* The release of a stale evac:active:<node> answered. */
static void
evac_ctl_release_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac_node	*n = evac_node_find(e, op->node);

	if (n != NULL)
		n->adopting = 0;
	if (err != NULL)
		log_warn("cannot release evacuation '%s' of node '%s': %s",
		    op->name, op->node, err);
}

/* Drop evac:active:<NODE> if it still names ID. */
static void
evac_ctl_release(struct evac_mgr *e, const char *node, const char *id)
{
	struct evac_node	*n = evac_node_find(e, node);
	struct evac_op		*op;
	const char		*argv[5];
	char			*akey;

	if (n != NULL)
		n->adopting = 1;
	akey = evac_key(e, "evac:active:", node);
	op = evac_op_new(e, evac_ctl_release_done, NULL);
	op->node = xstrdup(node);
	op->name = xstrdup(id);
	argv[0] = "EVAL";
	argv[1] = evac_release_lua;
	argv[2] = "1";
	argv[3] = akey;
	argv[4] = id;
	evac_send(e, op, nitems(argv), argv);
	free(akey);
}

/* A running evacuation's record was read: carry it on. */
static void
evac_ctl_adopt_done(struct evac_mgr *e, struct evac_op *op,
    const redisReply *r, const char *err)
{
	struct evac_node	*n = evac_node_find(e, op->node);
	struct evac_record	 rec;
	struct evac		*ev;
	const redisReply	*json, *gen, *listed, *phase;
	char			*cause = NULL;

	if (n != NULL)
		n->adopting = 0;
	if (err != NULL) {
		log_debug("evacuation '%s' not read: %s", op->name, err);
		return;
	}
	if (!e->leader || evac_ctl_find_id(e, op->name) != NULL)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
		log_warn("evacuation '%s' not read: unexpected reply from "
		    "redis", op->name);
		return;
	}
	json = r->element[0];
	gen = r->element[1];
	listed = r->element[2];
	phase = r->element[3];
	if (json->type != REDIS_REPLY_STRING) {
		log_error("evacuation '%s' of node '%s' has no record; its "
		    "marker is dropped", op->name, op->node);
		evac_ctl_release(e, op->node, op->name);
		return;
	}
	if (phase->type != REDIS_REPLY_STRING ||
	    strcmp(phase->str, "running") != 0) {
		log_info("evacuation '%s' of node '%s' has ended; its marker "
		    "is dropped", op->name, op->node);
		evac_ctl_release(e, op->node, op->name);
		return;
	}
	if (evac_record_decode(json->str, &rec, &cause) != 0) {
		log_error("evacuation '%s' of node '%s' has a bad record (%s); "
		    "its marker is dropped", op->name, op->node, cause);
		free(cause);
		evac_ctl_release(e, op->node, op->name);
		return;
	}
	if (strcmp(rec.node, op->node) != 0 || strcmp(rec.id, op->name) != 0) {
		log_error("evacuation '%s' of node '%s' has the record of "
		    "'%s' of node '%s'; its marker is dropped", op->name,
		    op->node, rec.id, rec.node);
		evac_record_clear(&rec);
		evac_ctl_release(e, op->node, op->name);
		return;
	}
	ev = evac_ctl_new(e, &rec, gen->type == REDIS_REPLY_STRING ?
	    strtoll(gen->str, NULL, 10) : 0, listed->type ==
	    REDIS_REPLY_STRING && strcmp(listed->str, "1") == 0);
	ev->written = xstrdup(json->str);
	evac_ctl_log(ev, LOG_LEVEL_INFO, "carried on by this replica");
	evac_kick(e);
}

/* Read running evacuation ID of node N to carry it on. */
static void
evac_ctl_adopt(struct evac_mgr *e, struct evac_node *n, const char *id)
{
	struct evac_op	*op;
	const char	*argv[6];
	char		*key;

	if (!evac_record_id_valid(id)) {
		log_error("node '%s': running evacuation '%s' is not an id; "
		    "its marker is dropped", n->name, id);
		evac_ctl_release(e, n->name, id);
		return;
	}
	n->adopting = 1;
	key = evac_key(e, "evac:", id);
	op = evac_op_new(e, evac_ctl_adopt_done, NULL);
	op->node = xstrdup(n->name);
	op->name = xstrdup(id);
	argv[0] = "HMGET";
	argv[1] = key;
	argv[2] = "json";
	argv[3] = "gen";
	argv[4] = "listed";
	argv[5] = "phase";
	evac_send(e, op, nitems(argv), argv);
	free(key);
}

/* The leader's decision for node N from what the read says (ST). */
void
evac_ctl_control(struct evac_mgr *e, struct evac_node *n,
    const struct evac_node_state *st)
{
	struct evac	*ev, *other;
	int		 tainted = *st->taint != '\0';

	if (*st->active != '\0') {
		ev = evac_ctl_find_id(e, st->active);
		other = evac_ctl_find_running(e, n->name);
		if (other != NULL && other != ev) {
			log_warn("evacuation '%s' of node '%s' was replaced by "
			    "'%s'; this replica stops following it",
			    other->rec.id, n->name, st->active);
			evac_ctl_drop(other);
		}
		if (ev == NULL) {
			if (!n->adopting)
				evac_ctl_adopt(e, n, st->active);
			return;
		}
		if (ev->rec.phase == EVAC_RUNNING &&
		    (!tainted || st->gen != ev->gen))
			evac_ctl_cancel(ev, st);
		return;
	}
	if ((ev = evac_ctl_find_running(e, n->name)) != NULL) {
		log_error("evacuation '%s': evac:active:%s no longer names it; "
		    "this replica stops following it", ev->rec.id, n->name);
		evac_ctl_drop(ev);
		return;
	}
	if (tainted && st->gen > st->served && !n->starting)
		evac_ctl_start(e, n, st);
}

/* Leadership is lost: drop every evacuation (the next leader carries on). */
void
evac_ctl_stop(struct evac_mgr *e)
{
	struct evac	*ev;

	TAILQ_FOREACH(ev, &e->evacs, entry)
		evac_ctl_drop(ev);
}

/* Free every evacuation and deferred abort (evac_free). */
void
evac_ctl_free(struct evac_mgr *e)
{
	struct evac		*ev;
	struct evac_abort	*a;

	while ((ev = TAILQ_FIRST(&e->evacs)) != NULL) {
		TAILQ_REMOVE(&e->evacs, ev, entry);
		evac_ctl_destroy(ev);
	}
	while ((a = TAILQ_FIRST(&e->aborts)) != NULL) {
		TAILQ_REMOVE(&e->aborts, a, entry);
		free(a->name);
		free(a);
	}
}
