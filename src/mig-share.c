/*
 * mig-share.c: what migrations share with the other replicas.
 *
 * Work comes from the queue (queue.h): the replica that reads a
 * migration's entry takes its record (compare-and-set on owner and
 * epoch, coord.h) and drives it; the entry is acknowledged once the final
 * state is written (mig.c).  An entry claimed from a replica that stopped
 * refreshing it is taken over only once that replica's liveness lease is
 * gone, and the migration is then concluded from the hosts (mig_adopt).
 *
 * Aborts reach the owner through a flag on the record ("abort": the
 * reason), which every owner reads for its migrations on a short timer,
 * with the records it could not write yet.  The API reads records from
 * Redis, so any replica answers for all of them.
 */

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/coord.h"
#include "ferry/mig-json.h"
#include "ferry/mig-priv.h"
#include "ferry/queue.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define MIG_SHARE_MS		250	/* write records again, read aborts */
#define MIG_TAKE_POLL_MS	100	/* does the owner still live? */
#define MIG_TAKE_RETRY_MS	1000	/* Redis did not answer */
#define MIG_TAKE_WAIT_MS	30000	/* a live owner keeps its entry */
#define MIG_LIST_MAX		1000	/* newest records in a list */

/* The newest MIG_LIST_MAX records: name, JSON, ...; oldest first. */
static const char mig_list_lua[] =
    "local names = redis.call('ZRANGE', KEYS[1], -tonumber(ARGV[2]), -1) "
    "local out = {} "
    "for _, n in ipairs(names) do "
    "local j = redis.call('HGET', ARGV[1] .. n, 'json') "
    "if j then out[#out + 1] = n; out[#out + 1] = j end "
    "end "
    "return out";

/* The abort flag of each record named in KEYS (nil when none). */
static const char mig_abort_poll_lua[] =
    "local out = {} "
    "for i, k in ipairs(KEYS) do "
    "out[i] = redis.call('HGET', k, 'abort') or '' "
    "end "
    "return out";

/* For each VM in ARGV[2..]: VM, JSON of its active migration, if any. */
static const char mig_active_lua[] =
    "local out = {} "
    "for i = 2, #ARGV do "
    "local n = redis.call('GET', ARGV[1] .. 'vm:' .. ARGV[i] .. ':active') "
    "if n then "
    "local j = redis.call('HGET', ARGV[1] .. 'mig:' .. n, 'json') "
    "if j then out[#out + 1] = ARGV[i]; out[#out + 1] = j end "
    "end "
    "end "
    "return out";

/* Set the abort flag unless the record ended: 1 set, 0 ended, -1 gone. */
static const char mig_abort_set_lua[] =
    "local p = redis.call('HGET', KEYS[1], 'phase') "
    "if not p then return -1 end "
    "if p == 'succeeded' or p == 'aborted' or p == 'failed' then "
    "return 0 end "
    "redis.call('HSET', KEYS[1], 'abort', ARGV[1]) "
    "return 1";

/* An answer on its way to a caller, from the loop. */
struct mig_answer {
	mig_json_cb	 cb;		/* the caller */
	void		*arg;		/* its argument */
	int		 status;	/* HTTP-like */
	char		*json;		/* body, or NULL */
	char		*err;		/* error, or NULL */
};

/* A remote abort between its two Redis commands. */
struct mig_abort_req {
	struct mig_mgr	*mgr;		/* the manager */
	char		*name;		/* migration */
	char		*json;		/* its record, once read */
	enum mig_reason	 reason;	/* AbortRequested, EvacuationCancelled */
	int		 force;		/* may stop an evacuation's */
	mig_json_cb	 cb;		/* the caller */
	void		*arg;		/* its argument */
};

/* A read of records for the API. */
struct mig_get_req {
	mig_json_cb	 cb;		/* the caller */
	void		*arg;		/* its argument */
	char		*name;		/* one record, or NULL: the list */
};

/* A fresh read of a node's VMs. */
struct mig_vms_req {
	struct mig_node	*node;		/* the node */
	mig_names_cb	 cb;		/* the caller */
	void		*arg;		/* its argument */
};

/* One abort-flag poll: the names asked about. */
struct mig_poll {
	struct mig_mgr	*mgr;		/* the manager */
	char		**names;	/* migrations polled */
	size_t		 n;
};

static void	mig_take_read(struct mig_take *);

/* Run CB(ARG) from the loop, soon (out of memory only can stop it). */
static void
mig_once(struct mig_mgr *mgr, event_callback_fn cb, void *arg)
{
	struct timeval	tv = { 0, 0 };

	if (event_base_once(mgr->base, -1, EV_TIMEOUT, cb, arg, &tv) != 0) {
		log_error("cannot schedule a callback");
		abort();
	}
}

/* Deliver an answer. */
static void
mig_answer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct mig_answer	*a = arg;

	a->cb(a->status, a->json, a->err, a->arg);
	free(a->json);
	free(a->err);
	free(a);
}

/* Answer CB with STATUS and JSON (taken) or ERR, from the loop. */
static void
mig_answer(struct mig_mgr *mgr, mig_json_cb cb, void *arg, int status,
    char *json, const char *err)
{
	struct mig_answer	*a = xcalloc(1, sizeof *a);

	a->cb = cb;
	a->arg = arg;
	a->status = status;
	a->json = json;
	a->err = err != NULL ? xstrdup(err) : NULL;
	mig_once(mgr, mig_answer_cb, a);
}

/* <prefix>mig:<NAME>; caller frees. */
static char *
mig_key(struct mig_mgr *mgr, const char *name)
{
	char	*key;

	xasprintf(&key, "%smig:%s", store_prefix(mgr->store), name);
	return (key);
}

/* A string element of an array reply, or NULL. */
static const char *
mig_reply_str(const redisReply *r, size_t i)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return (NULL);
	return (r->element[i]->str);
}

/*
 * Forget take T.  A take lives while it is on the manager's list or a
 * command about it is out; the last one to end frees it.
 */
static void
mig_take_free(struct mig_take *t)
{
	if (t->mgr != NULL) {
		TAILQ_REMOVE(&t->mgr->takes, t, entry);
		t->mgr = NULL;
		evtimer_del(t->timer);
	}
	if (t->reading || t->asking)
		return;
	event_free(t->timer);
	free(t->id);
	free(t->name);
	free(t->owner);
	free(t->json);
	free(t);
}

/* Give T up: leave its entry to whoever claims it next. */
static void
mig_take_release(struct mig_take *t)
{
	if (t->mgr != NULL)
		queue_release(t->mgr->queue, t->id);
	mig_take_free(t);
}

/* Done with T's entry for good: acknowledge it. */
static void
mig_take_ack(struct mig_take *t)
{
	if (t->mgr != NULL)
		queue_ack(t->mgr->queue, t->id);
	mig_take_free(t);
}

/* Ask again about T in MS. */
static void
mig_take_later(struct mig_take *t, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(t->timer, &tv);
}

/* T's record is ours now (epoch EPOCH), or not: drive or adopt it. */
static void
mig_take_done(int rc, const char *owner, long long epoch, const char *err,
    void *arg)
{
	struct mig_take		*t = arg;
	struct mig_mgr		*mgr = t->mgr;
	struct mig_record	 rec;
	struct mig		*m;
	char			*cause = NULL;
	int			 fresh;

	t->asking = 0;
	if (mgr == NULL) {
		mig_take_free(t);
		return;
	}
	if (rc < 0) {
		log_warn("migration '%s': cannot take it over: %s", t->name,
		    err != NULL ? err : "no record");
		mig_take_release(t);
		return;
	}
	if (rc == 0) {
		log_info("migration '%s' was taken by replica '%s' first",
		    t->name, owner);
		mig_take_release(t);
		return;
	}
	/* The record is ours: nobody else writes it now. */
	if (mig_json_decode(t->json, &rec, &cause) != 0) {
		log_error("migration '%s': record unreadable after take-over: "
		    "%s", t->name, cause);
		free(cause);
		mig_take_release(t);
		return;
	}
	fresh = (t->owner[0] == '\0');
	m = mig_create(mgr, &rec);
	m->epoch = epoch;
	m->entry_id = t->id;
	t->id = NULL;
	mig_take_free(t);
	if (fresh) {
		mig_log(m, LOG_LEVEL_INFO, m->rec.state, "migration taken");
		mig_persist(m);
		mig_begin(m);
	} else
		mig_adopt(m);
}

/* Take T's record over from its owner at its epoch. */
static void
mig_take_now(struct mig_take *t)
{
	t->asking = 1;
	coord_mig_take(t->mgr->coord, t->name, t->owner, t->epoch,
	    mig_take_done, t);
}

/* Is the owner of T alive?  Only a dead owner's migration is taken. */
static void
mig_take_alive_done(int rc, const char *err, void *arg)
{
	struct mig_take	*t = arg;
	uint64_t	 now = util_now_ms();

	t->asking = 0;
	if (t->mgr == NULL) {
		mig_take_free(t);
		return;
	}
	if (rc < 0) {
		mig_take_later(t, MIG_TAKE_RETRY_MS);
		return;
	}
	if (rc == 1) {
		if (t->since == 0)
			t->since = now;
		if (now - t->since >= MIG_TAKE_WAIT_MS) {
			log_warn("migration '%s': its entry went idle but "
			    "replica '%s' still lives; leaving it", t->name,
			    t->owner);
			mig_take_release(t);
			return;
		}
		/* Read the record again: its owner may have moved on. */
		mig_take_later(t, MIG_TAKE_POLL_MS);
		return;
	}
	log_info("migration '%s': replica '%s' is gone; taking over (epoch "
	    "%lld)", t->name, t->owner, t->epoch);
	mig_take_now(t);
}

/* The record of T was read: decide. */
static void
mig_take_read_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_take		*t = arg;
	struct mig_mgr		*mgr = t->mgr;
	struct mig_record	 rec;
	const char		*json, *owner, *ep, *self;
	char			*cause = NULL;
	int			 final, known;

	if (mgr == NULL)
		return;		/* given up: freed by the free callback */
	if (err != NULL) {
		log_warn("migration '%s': cannot read its record: %s",
		    t->name, err);
		mig_take_later(t, MIG_TAKE_RETRY_MS);
		return;
	}
	json = mig_reply_str(r, 0);
	owner = mig_reply_str(r, 1);
	ep = mig_reply_str(r, 2);
	if (json == NULL) {
		log_error("queue entry %s names migration '%s', which has no "
		    "record; dropped", t->id, t->name);
		mig_take_ack(t);
		return;
	}
	if (mig_json_decode(json, &rec, &cause) != 0) {
		log_error("record of migration '%s' is unreadable (%s); its "
		    "entry is dropped", t->name, cause);
		free(cause);
		mig_take_ack(t);
		return;
	}
	final = mig_state_final(rec.state);
	known = (mig_node_find(mgr, rec.source) != NULL &&
	    (rec.target[0] == '\0' || mig_node_find(mgr, rec.target) != NULL));
	mig_record_clear(&rec);
	if (final) {
		/* Ended, but the acknowledgement was lost. */
		mig_take_ack(t);
		return;
	}
	if (!known) {
		log_error("migration '%s' names a node not configured here; "
		    "left to another replica", t->name);
		mig_take_release(t);
		return;
	}
	free(t->owner);
	free(t->json);
	t->owner = xstrdup(owner != NULL ? owner : "");
	t->json = xstrdup(json);
	t->epoch = ep != NULL ? strtoll(ep, NULL, 10) : 0;
	self = coord_replica_id(mgr->coord);
	if (t->owner[0] == '\0' || strcmp(t->owner, self) == 0) {
		/* Queued and never taken, or ours from an earlier run. */
		mig_take_now(t);
		return;
	}
	t->asking = 1;
	coord_replica_alive(mgr->coord, t->owner, mig_take_alive_done, t);
}

/* A record read of T is over. */
static void
mig_take_read_free(void *arg)
{
	struct mig_take	*t = arg;

	t->reading = 0;
	if (t->mgr == NULL)
		mig_take_free(t);
}

/* Read T's record: json, owner, epoch. */
static void
mig_take_read(struct mig_take *t)
{
	struct mig_mgr	*mgr = t->mgr;
	char		*key = mig_key(mgr, t->name);
	const char	*argv[] = { "HMGET", key, "json", "owner", "epoch" };

	t->reading = 1;
	store_command(mgr->store, nitems(argv), argv, NULL,
	    mig_take_read_done, t, mig_take_read_free);
	free(key);
}

/* T's timer: read the record again. */
static void
mig_take_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig_take	*t = arg;

	if (t->mgr != NULL && !t->reading)
		mig_take_read(t);
}

/* One entry of the work queue. */
void
mig_mgr_queue_entry(const char *id, const char *const *kv, size_t nkv,
    int claimed, void *arg)
{
	struct mig_mgr	*mgr = arg;
	struct mig_take	*t;
	struct mig	*m;
	const char	*name = NULL;
	size_t		 i;

	for (i = 0; i + 1 < nkv; i += 2) {
		if (strcmp(kv[i], "name") == 0)
			name = kv[i + 1];
	}
	if (name == NULL || !util_name_valid(name)) {
		log_error("queue entry %s names no valid migration; dropped",
		    id);
		queue_ack(mgr->queue, id);
		return;
	}
	if ((m = mig_find(mgr, name)) != NULL) {
		/* Ours already: read again after the claim cycle. */
		if (m->entry_id == NULL)
			m->entry_id = xstrdup(id);
		if (m->acked)
			queue_ack(mgr->queue, id);
		return;
	}
	TAILQ_FOREACH(t, &mgr->takes, entry) {
		if (strcmp(t->name, name) == 0)
			return;
	}
	log_debug("queue entry %s: migration '%s'%s", id, name, claimed ?
	    " (claimed)" : "");
	t = xcalloc(1, sizeof *t);
	t->mgr = mgr;
	t->id = xstrdup(id);
	t->name = xstrdup(name);
	t->timer = evtimer_new(mgr->base, mig_take_timer, t);
	TAILQ_INSERT_TAIL(&mgr->takes, t, entry);
	mig_take_read(t);
}

/* The abort flags of our migrations were read. */
static void
mig_poll_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_poll		*p = arg;
	struct mig_mgr		*mgr = p->mgr;
	enum mig_reason		 reason;
	struct mig		*m;
	const char		*flag;
	char			*cause = NULL;
	size_t			 i;

	mgr->polling = 0;
	if (err != NULL)
		return;
	for (i = 0; i < p->n; i++) {
		flag = mig_reply_str(r, i);
		if (flag == NULL || *flag == '\0')
			continue;
		m = mig_find(mgr, p->names[i]);
		if (m == NULL || m->abort_seen || !mig_state_active(m->rec.state))
			continue;
		m->abort_seen = 1;
		if (mig_reason_parse(flag, &reason) != 0 ||
		    (reason != MIG_REASON_ABORT_REQUESTED &&
		    reason != MIG_REASON_EVACUATION_CANCELLED)) {
			log_error("migration '%s': unknown abort reason '%s' in "
			    "its record; ignored", m->rec.name, flag);
			continue;
		}
		/* Whoever set the flag checked force. */
		if (mig_abort_local(m, reason, 1, &cause) != 202)
			log_info("migration '%s': %s", m->rec.name, cause);
		free(cause);
		cause = NULL;
	}
}

/* Free a poll. */
static void
mig_poll_free(void *arg)
{
	struct mig_poll	*p = arg;
	size_t		 i;

	for (i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}

/* Forget the cluster's active migrations. */
static void
mig_active_clear(struct mig_mgr *mgr)
{
	size_t	i;

	for (i = 0; i < mgr->ncluster_active; i++)
		mig_record_clear(&mgr->cluster_active[i]);
	free(mgr->cluster_active);
	mgr->cluster_active = NULL;
	mgr->ncluster_active = 0;
}

/* Every replica's active migrations were read. */
static void
mig_active_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_mgr		*mgr = arg;
	struct mig_record	 rec;
	const char		*json;
	char			*cause = NULL;
	size_t			 i;

	mgr->active_polling = 0;
	if (err != NULL)
		return;
	mig_active_clear(mgr);
	for (i = 0; i + 1 < r->elements; i += 2) {
		if ((json = mig_reply_str(r, i + 1)) == NULL)
			continue;
		if (mig_json_decode(json, &rec, &cause) != 0) {
			free(cause);
			cause = NULL;
			continue;
		}
		mgr->cluster_active = xreallocarray(mgr->cluster_active,
		    mgr->ncluster_active + 1, sizeof *mgr->cluster_active);
		mgr->cluster_active[mgr->ncluster_active++] = rec;
	}
}

/* Read every replica's active migration of the VMs the inventory knows. */
static void
mig_active_poll(struct mig_mgr *mgr)
{
	const char	**argv;
	size_t		  n = 0, i, k;

	if (mgr->active_polling)
		return;
	for (i = 0; i < mgr->nnodes; i++)
		n += mgr->nodes[i].nvms;
	argv = xcalloc(n + 4, sizeof *argv);
	argv[0] = "EVAL";
	argv[1] = mig_active_lua;
	argv[2] = "0";
	argv[3] = store_prefix(mgr->store);
	n = 4;
	for (i = 0; i < mgr->nnodes; i++) {
		for (k = 0; k < mgr->nodes[i].nvms; k++) {
			if (mgr->nodes[i].vms[k].state == HV_DOM_RUNNING ||
			    mgr->nodes[i].vms[k].state == HV_DOM_PAUSED)
				argv[n++] = mgr->nodes[i].vms[k].name;
		}
	}
	mgr->active_polling = 1;
	store_command(mgr->store, (int)n, argv, NULL, mig_active_done, mgr,
	    NULL);
	free(argv);
}

/* Migration of VM active on any replica, as last read, or NULL. */
const struct mig_record *
mig_cluster_active(struct mig_mgr *mgr, const char *vm)
{
	size_t	i;

	for (i = 0; i < mgr->ncluster_active; i++) {
		if (strcmp(mgr->cluster_active[i].vm, vm) == 0)
			return (&mgr->cluster_active[i]);
	}
	return (NULL);
}

/* Every MIG_SHARE_MS: write what waits, read abort flags. */
static void
mig_share_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig_mgr	*mgr = arg;
	struct mig_poll	*p;
	struct mig	*m;
	const char	**argv;
	char		 nkeys[32];
	size_t		 n = 0, i;

	mig_reap(mgr);
	if (!store_is_up(mgr->store))
		return;
	mig_active_poll(mgr);
	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (m->disowned)
			continue;
		if (m->dirty && !m->writing)
			mig_persist(m);
		if (mig_state_active(m->rec.state) && !m->abort_seen)
			n++;
	}
	if (n == 0 || mgr->polling)
		return;
	p = xcalloc(1, sizeof *p);
	p->mgr = mgr;
	p->names = xcalloc(n, sizeof *p->names);
	argv = xcalloc(n + 3, sizeof *argv);
	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (m->disowned || !mig_state_active(m->rec.state) ||
		    m->abort_seen || p->n == n)
			continue;
		p->names[p->n] = xstrdup(m->rec.name);
		argv[3 + p->n] = mig_key(mgr, m->rec.name);
		p->n++;
	}
	snprintf(nkeys, sizeof nkeys, "%zu", p->n);
	argv[0] = "EVAL";
	argv[1] = mig_abort_poll_lua;
	argv[2] = nkeys;
	mgr->polling = 1;
	store_command(mgr->store, (int)(p->n + 3), argv, NULL, mig_poll_done,
	    p, mig_poll_free);
	for (i = 0; i < p->n; i++)
		free((char *)argv[3 + i]);
	free(argv);
}

/* Start sharing: the timer. */
void
mig_share_start(struct mig_mgr *mgr)
{
	struct timeval	tv = { 0, MIG_SHARE_MS * 1000 };

	if (mgr->share_timer != NULL)
		return;
	mgr->share_timer = event_new(mgr->base, -1, EV_PERSIST,
	    mig_share_timer, mgr);
	event_add(mgr->share_timer, &tv);
}

/* Stop sharing: takes with a command out are freed when it ends. */
void
mig_share_stop(struct mig_mgr *mgr)
{
	if (mgr->share_timer != NULL) {
		event_free(mgr->share_timer);
		mgr->share_timer = NULL;
	}
	while (!TAILQ_EMPTY(&mgr->takes))
		mig_take_free(TAILQ_FIRST(&mgr->takes));
	mig_active_clear(mgr);
}

/* Use Q for work; start the share timer. */
void
mig_mgr_set_queue(struct mig_mgr *mgr, struct queue *q)
{
	mgr->queue = q;
	mig_share_start(mgr);
}

/* Free a remote abort. */
static void
mig_abort_req_free(void *arg)
{
	struct mig_abort_req	*a = arg;

	free(a->name);
	free(a->json);
	free(a);
}

/* The abort flag was set (or not). */
static void
mig_abort_set_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_abort_req	*a = arg;
	char			*msg;

	if (err != NULL) {
		a->cb(503, NULL, err, a->arg);
		return;
	}
	if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
		xasprintf(&msg, "migration '%s' not found", a->name);
		a->cb(404, NULL, msg, a->arg);
	} else if (r->integer == 0) {
		xasprintf(&msg, "migration '%s' already ended", a->name);
		a->cb(409, NULL, msg, a->arg);
	} else {
		log_info("migration '%s': %s requested through redis",
		    a->name, mig_reason_name(a->reason));
		a->cb(202, a->json, NULL, a->arg);
		return;
	}
	free(msg);
}

/* The record of a remote abort was read: check, then set the flag. */
static void
mig_abort_read_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_abort_req	*a = arg, *b;
	struct mig_record	 rec;
	char			*key, *msg = NULL, *cause = NULL;
	const char		*argv[5];
	int			 status = 0;

	if (err != NULL) {
		a->cb(503, NULL, err, a->arg);
		return;
	}
	if (r->type != REDIS_REPLY_STRING) {
		xasprintf(&msg, "migration '%s' not found", a->name);
		a->cb(404, NULL, msg, a->arg);
		free(msg);
		return;
	}
	if (mig_json_decode(r->str, &rec, &cause) != 0) {
		xasprintf(&msg, "record of migration '%s' is unreadable: %s",
		    a->name, cause);
		a->cb(500, NULL, msg, a->arg);
		free(cause);
		free(msg);
		return;
	}
	if (mig_state_final(rec.state)) {
		status = 409;
		xasprintf(&msg, "migration '%s' already ended (%s)", a->name,
		    mig_state_name(rec.state));
	} else if (rec.state == MIG_COMPLETING) {
		status = 409;
		xasprintf(&msg, "migration '%s' is completing: too late to "
		    "abort", a->name);
	} else if (a->reason == MIG_REASON_EVACUATION_CANCELLED &&
	    rec.evacuation == NULL) {
		status = 409;
		xasprintf(&msg, "migration '%s' belongs to no evacuation",
		    a->name);
	} else if (a->reason == MIG_REASON_EVACUATION_CANCELLED &&
	    rec.state != MIG_PENDING) {
		status = 409;
		xasprintf(&msg, "migration '%s' is already %s: it finishes",
		    a->name, mig_state_name(rec.state));
	} else if (a->reason == MIG_REASON_ABORT_REQUESTED && !a->force &&
	    rec.trigger != NULL && strcmp(rec.trigger, "evacuation") == 0) {
		status = 409;
		xasprintf(&msg, "migration '%s' belongs to evacuation '%s': "
		    "aborting it needs force", a->name, rec.evacuation != NULL ?
		    rec.evacuation : "?");
	}
	mig_record_clear(&rec);
	if (status != 0) {
		a->cb(status, NULL, msg, a->arg);
		free(msg);
		return;
	}
	/* A second request carries on; this one is freed by the store. */
	b = xcalloc(1, sizeof *b);
	*b = *a;
	b->name = xstrdup(a->name);
	b->json = xstrdup(r->str);
	key = mig_key(a->mgr, a->name);
	argv[0] = "EVAL";
	argv[1] = mig_abort_set_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = mig_reason_name(a->reason);
	store_command(a->mgr->store, nitems(argv), argv, NULL,
	    mig_abort_set_done, b, mig_abort_req_free);
	free(key);
}

/* Ask migration NAME, whichever replica drives it, to stop. */
void
mig_mgr_abort(struct mig_mgr *mgr, const char *name, enum mig_reason reason,
    int force, mig_json_cb cb, void *arg)
{
	struct mig_abort_req	*a;
	struct mig		*m;
	char			*key, *cause = NULL;
	const char		*argv[3];
	int			 status;

	if (!util_name_valid(name)) {
		mig_answer(mgr, cb, arg, 404, NULL, "no such migration");
		return;
	}
	if ((m = mig_find(mgr, name)) != NULL &&
	    mig_state_active(m->rec.state)) {
		status = mig_abort_local(m, reason, force, &cause);
		mig_answer(mgr, cb, arg, status, status == 202 ?
		    mig_json_encode(&m->rec) : NULL, cause);
		free(cause);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_answer(mgr, cb, arg, 503, NULL, "redis is unreachable");
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->mgr = mgr;
	a->name = xstrdup(name);
	a->reason = reason;
	a->force = force;
	a->cb = cb;
	a->arg = arg;
	key = mig_key(mgr, name);
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = "json";
	store_command(mgr->store, nitems(argv), argv, NULL,
	    mig_abort_read_done, a, mig_abort_req_free);
	free(key);
}

/* Free an API read. */
static void
mig_get_req_free(void *arg)
{
	struct mig_get_req	*g = arg;

	free(g->name);
	free(g);
}

/* Is stored record JSON of NAME readable?  Log it when not. */
static int
mig_get_check(const char *name, const char *json)
{
	struct mig_record	 rec;
	char			*cause = NULL;

	if (mig_json_decode(json, &rec, &cause) != 0) {
		log_error("stored migration '%s' is unreadable: %s; not "
		    "listed", name, cause);
		free(cause);
		return (0);
	}
	mig_record_clear(&rec);
	return (1);
}

/* Records were read for the API. */
static void
mig_get_done(const struct redisReply *r, const char *err, void *arg)
{
	struct mig_get_req	*g = arg;
	const char		*name, *json;
	char			*msg, *out;
	size_t			 i, len;

	if (err != NULL) {
		g->cb(503, NULL, err, g->arg);
		return;
	}
	if (g->name != NULL) {
		if (r->type != REDIS_REPLY_STRING) {
			xasprintf(&msg, "migration '%s' not found", g->name);
			g->cb(404, NULL, msg, g->arg);
			free(msg);
		} else if (!mig_get_check(g->name, r->str)) {
			xasprintf(&msg, "stored migration '%s' is unreadable",
			    g->name);
			g->cb(500, NULL, msg, g->arg);
			free(msg);
		} else
			g->cb(200, r->str, NULL, g->arg);
		return;
	}
	len = 128;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		len += r->element[i]->len + 1;
	out = xmalloc(len);
	len = (size_t)snprintf(out, 128, "{\"apiVersion\":\"ferry.io/v1\","
	    "\"kind\":\"VirtualMachineInstanceMigrationList\",\"items\":[");
	for (i = 0; i + 1 < r->elements; i += 2) {
		name = mig_reply_str(r, i);
		json = mig_reply_str(r, i + 1);
		if (name == NULL || json == NULL || !mig_get_check(name, json))
			continue;
		if (out[len - 1] != '[')
			out[len++] = ',';
		memcpy(out + len, json, r->element[i + 1]->len);
		len += r->element[i + 1]->len;
	}
	memcpy(out + len, "]}", 3);
	g->cb(200, out, NULL, g->arg);
	free(out);
}

/* Records for the API, from Redis (or memory for what we drive). */
void
mig_mgr_get(struct mig_mgr *mgr, const char *name, mig_json_cb cb,
    void *arg)
{
	struct mig_get_req	*g;
	struct mig		*m;
	char			*key, *prefix, max[16];
	const char		*argv[6];

	if (name != NULL && !util_name_valid(name)) {
		mig_answer(mgr, cb, arg, 404, NULL, "no such migration");
		return;
	}
	if (name != NULL && (m = mig_find(mgr, name)) != NULL &&
	    (mig_state_active(m->rec.state) || !store_is_up(mgr->store))) {
		mig_answer(mgr, cb, arg, 200, mig_json_encode(&m->rec), NULL);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_answer(mgr, cb, arg, 503, NULL, "redis is unreachable");
		return;
	}
	g = xcalloc(1, sizeof *g);
	g->cb = cb;
	g->arg = arg;
	if (name != NULL) {
		g->name = xstrdup(name);
		key = mig_key(mgr, name);
		argv[0] = "HGET";
		argv[1] = key;
		argv[2] = "json";
		store_command(mgr->store, 3, argv, NULL, mig_get_done, g,
		    mig_get_req_free);
		free(key);
		return;
	}
	xasprintf(&key, "%smigs", store_prefix(mgr->store));
	xasprintf(&prefix, "%smig:", store_prefix(mgr->store));
	snprintf(max, sizeof max, "%d", MIG_LIST_MAX);
	argv[0] = "EVAL";
	argv[1] = mig_list_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = prefix;
	argv[5] = max;
	store_command(mgr->store, 6, argv, NULL, mig_get_done, g,
	    mig_get_req_free);
	free(key);
	free(prefix);
}

/* A node's inventory was read again for mig_mgr_node_vms. */
static void
mig_vms_done(void *arg)
{
	struct mig_vms_req	*v = arg;
	struct mig_node		*n = v->node;
	const char		**names;
	size_t			 i, k = 0;

	names = xcalloc(n->nvms + 1, sizeof *names);
	for (i = 0; i < n->nvms; i++) {
		if (n->vms[i].state == HV_DOM_RUNNING ||
		    n->vms[i].state == HV_DOM_PAUSED)
			names[k++] = n->vms[i].name;
	}
	v->cb(n->up && n->have_vms ? 0 : -1, names, k, v->arg);
	free(names);
	free(v);
}

/* A refusal of mig_mgr_node_vms, from the loop. */
static void
mig_vms_fail_cb(evutil_socket_t fd, short events, void *arg)
{
	struct mig_vms_req	*v = arg;

	v->cb(-1, NULL, 0, v->arg);
	free(v);
}

/* VMs running (or paused) on NODE after a fresh inventory read. */
void
mig_mgr_node_vms(struct mig_mgr *mgr, const char *node, mig_names_cb cb,
    void *arg)
{
	struct mig_vms_req	*v = xcalloc(1, sizeof *v);

	v->node = mig_node_find(mgr, node);
	v->cb = cb;
	v->arg = arg;
	if (v->node == NULL || !v->node->up) {
		mig_once(mgr, mig_vms_fail_cb, v);
		return;
	}
	mig_inv_refresh(v->node, mig_vms_done, v);
}

/* NODE is cordoned or not: cordoned nodes are never targets. */
void
mig_mgr_set_cordoned(struct mig_mgr *mgr, const char *node, int cordoned)
{
	struct mig_node	*n = mig_node_find(mgr, node);

	if (n == NULL || n->cordoned == (cordoned != 0))
		return;
	n->cordoned = (cordoned != 0);
	log_info("node '%s' is %s", node, cordoned ? "cordoned: no "
	    "migration targets it" : "schedulable again");
}
