/*
 * mig.c: migrations and their manager.  Every event goes through
 * mig_fire(): the transition table (mig-fsm.c) says what to do and where to
 * go; every state change then goes through mig_set_state(), which stamps,
 * persists, logs one line and publishes.  Everything here runs on the loop
 * thread; hypervisor calls return through hv.h callbacks.
 */

#include <sys/queue.h>

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/hv.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-json.h"
#include "ferry/mig-timeout.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define MIG_CONCLUDE_RETRY_MS	50	/* a domain is between states */
#define MIG_CONCLUDE_ERROR_MS	1000	/* a host did not answer */
#define MIG_CONCLUDE_TRIES	100	/* undecided answers before giving up */
#define MIG_ABORT_RETRY_MS	250	/* job not started yet */
#define MIG_ABORT_TRIES		40

/* One host as the manager sees it. */
struct mig_node {
	struct mig_mgr		*mgr;		/* owner */
	char			*name;		/* config section name */
	const struct config_node *cfg;		/* its configuration */
	struct hv_node		*hv;		/* connection */
	int			 up;		/* connected now */
};

/* A migration: its record plus the runtime driving it. */
struct mig {
	struct mig_record	 rec;		/* what the API and Redis see */
	struct mig_mgr		*mgr;		/* owner */
	struct mig_fsm_facts	 facts;		/* what the guards read */
	struct mig_progress	 progress;	/* for the timeouts */
	struct event		*tick;		/* stats sampling + timeouts */
	struct event		*retry;		/* conclude/abort retries */
	int			 stats_busy;	/* a job-stats call in flight */
	int			 job_running;	/* our migrate call is out */
	int			 job_ended;	/* JOB_ENDED fired */
	int			 external;	/* job found running, not ours */
	int			 watching;	/* waiting for a host to return */
	int			 concluding;	/* where-is-the-VM probes out */
	int			 conclude_tries; /* undecided answers so far */
	int			 abort_tries;	/* failed abort calls so far */
	int			 probes;	/* outstanding dom_state calls */
	int			 probe_error;	/* a probe failed */
	enum hv_dom_state	 src_state;	/* probe answers */
	enum hv_dom_state	 dst_state;
	uint64_t		 job_end_ms;	/* monotonic, when the job ended */
	TAILQ_ENTRY(mig)	 entry;		/* in mgr->migs, oldest first */
};
TAILQ_HEAD(mig_list, mig);

struct mig_mgr {
	struct event_base	*base;		/* the loop */
	const struct config	*cfg;		/* current configuration */
	struct store		*store;		/* Redis */
	struct workers		*workers;	/* for hypervisor calls */
	const struct hv_ops	*ops;		/* hypervisor driver */
	struct mig_node		*nodes;		/* one per [node] */
	size_t			 nnodes;
	struct mig_list		 migs;		/* every migration known */
	int			 loaded;	/* past records read from Redis */
	int			 loading;	/* a load is in flight */
};

/* A migrate request between its checks. */
struct mig_req {
	struct mig_mgr		*mgr;
	char			*vm;		/* VM to move */
	char			*target;	/* node name */
	char			*name;		/* migration name, once chosen */
	char			*source;	/* where it runs, once found */
	int			 found;		/* nodes running it */
	int			 waiting;	/* dom_state answers outstanding */
	int			 down;		/* nodes that could not answer */
	mig_reply_cb		 cb;
	void			*arg;
};

static int	mig_fire(struct mig *, enum mig_event);
static void	mig_conclude(struct mig *);
static void	mig_tick_timer(evutil_socket_t, short, void *);
static void	mig_retry_timer(evutil_socket_t, short, void *);

/* Free the members of REC. */
void
mig_record_clear(struct mig_record *rec)
{
	free(rec->name);
	free(rec->uid);
	free(rec->vm);
	free(rec->source);
	free(rec->target);
	free(rec->trigger);
	free(rec->message);
	memset(rec, 0, sizeof *rec);
}

/* Find a node by name. */
static struct mig_node *
mig_node_find(struct mig_mgr *mgr, const char *name)
{
	size_t	i;

	for (i = 0; i < mgr->nnodes; i++) {
		if (strcmp(mgr->nodes[i].name, name) == 0)
			return (&mgr->nodes[i]);
	}
	return (NULL);
}

/* Find a migration by name. */
static struct mig *
mig_find(struct mig_mgr *mgr, const char *name)
{
	struct mig	*m;

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (strcmp(m->rec.name, name) == 0)
			return (m);
	}
	return (NULL);
}

/* The VM's active migration, if any. */
static struct mig *
mig_find_active(struct mig_mgr *mgr, const char *vm)
{
	struct mig	*m;

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (mig_state_active(m->rec.state) && strcmp(m->rec.vm, vm) == 0)
			return (m);
	}
	return (NULL);
}

/* Allocate a migration around REC (taken over) and add it. */
static struct mig *
mig_create(struct mig_mgr *mgr, struct mig_record *rec)
{
	struct mig	*m = xcalloc(1, sizeof *m);

	m->rec = *rec;
	memset(rec, 0, sizeof *rec);
	m->mgr = mgr;
	m->tick = event_new(mgr->base, -1, EV_PERSIST, mig_tick_timer, m);
	m->retry = evtimer_new(mgr->base, mig_retry_timer, m);
	TAILQ_INSERT_TAIL(&mgr->migs, m, entry);
	return (m);
}

/* Free M (only at shutdown: records are kept for the API). */
static void
mig_free(struct mig *m)
{
	event_free(m->tick);
	event_free(m->retry);
	mig_record_clear(&m->rec);
	free(m);
}

/* Write M's record to Redis and publish it. */
static void
mig_persist(struct mig *m)
{
	char	*json = mig_json_encode(&m->rec);

	store_mig_put(m->mgr->store, m->rec.name, json, m->rec.vm,
	    m->rec.created, mig_state_name(m->rec.state));
	free(json);
}

/* Replace M's message. */
static void
mig_set_message(struct mig *m, const char *msg)
{
	free(m->rec.message);
	m->rec.message = msg != NULL ? xstrdup(msg) : NULL;
}

/* Log one line for M with every field an operator greps for. */
static void
mig_log(struct mig *m, enum log_level level, enum mig_state from,
    const char *what)
{
	const struct mig_record	*r = &m->rec;
	struct log_field	 f[] = {
		LOG_STR("migration", r->name),
		LOG_STR("uid", r->uid),
		LOG_STR("vm", r->vm),
		LOG_STR("source", r->source),
		LOG_STR("target", r->target),
		LOG_STR("trigger", r->trigger),
		LOG_STR("from", mig_state_name(from)),
		LOG_STR("to", mig_state_name(r->state)),
		LOG_STR("reason", mig_reason_name(r->reason)),
		LOG_STR("message", r->message),
		LOG_INT("data_total", r->stats.data_total),
		LOG_INT("data_processed", r->stats.data_processed),
		LOG_INT("data_remaining", r->stats.data_remaining),
		LOG_INT("memory_bps", r->stats.memory_bps),
		LOG_INT("dirty_rate", r->stats.dirty_rate),
		LOG_INT("iteration", r->stats.iteration),
		LOG_INT("settle_ms", m->job_end_ms != 0 ?
		    util_now_ms() - m->job_end_ms : 0),
	};
	size_t			 n = nitems(f);

	/* How long from the job's end to the final state, for the bench. */
	if (!mig_state_final(r->state) || m->job_end_ms == 0)
		n--;
	log_fields(level, f, n, "%s", what);
}

/* Stop M's timers. */
static void
mig_stop_timers(struct mig *m)
{
	event_del(m->tick);
	event_del(m->retry);
}

/*
 * The one setter: every state change of every migration comes here.  It
 * stamps the time, records the transition, persists the record, logs one
 * line and publishes (the store publishes what it persists).
 */
static void
mig_set_state(struct mig *m, enum mig_state to, enum mig_reason reason)
{
	struct mig_record	*r = &m->rec;
	enum mig_state		 from = r->state;
	uint64_t		 now = util_wall_ms();

	if (to == from) {
		mig_persist(m);
		return;
	}
	r->state = to;
	if (reason != MIG_REASON_NONE)
		r->reason = reason;
	if (r->ntransitions < MIG_MAX_TRANSITIONS) {
		r->transitions[r->ntransitions].state = to;
		r->transitions[r->ntransitions].time = now;
		r->ntransitions++;
	}
	if (to == MIG_COPYING && r->started == 0)
		r->started = now;
	if (mig_state_final(to)) {
		r->ended = now;
		mig_stop_timers(m);
		store_vm_release(m->mgr->store, r->vm, r->name);
	}
	mig_persist(m);
	mig_log(m, to == MIG_FAILED ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, from,
	    "migration transition");
}

/* Reason a job-stopping event stands for. */
static enum mig_reason
mig_stop_reason(enum mig_event ev)
{
	switch (ev) {
	case MIG_EV_PROGRESS_TIMEOUT:
		return (MIG_REASON_PROGRESS_TIMEOUT);
	case MIG_EV_COMPLETION_TIMEOUT:
		return (MIG_REASON_COMPLETION_TIMEOUT);
	case MIG_EV_EVACUATION_CANCELLED:
		return (MIG_REASON_EVACUATION_CANCELLED);
	default:
		return (MIG_REASON_ABORT_REQUESTED);
	}
}

/* Parameters of the migration of M to its target. */
static void
mig_job_params(struct mig *m, struct mig_node *dst,
    struct hv_migrate_params *p, char **uri)
{
	const struct config_node	*c = dst->cfg;

	*uri = NULL;
	if (c->migration_address != NULL)
		xasprintf(uri, "tcp://%s", c->migration_address);
	p->dconnuri = c->migration_uri != NULL ? c->migration_uri : c->uri;
	p->uri = *uri;
	p->bandwidth = (uint64_t)m->mgr->cfg->bandwidth_per_migration;
}

/* Classify a failed job's libvirt message. */
static enum mig_reason
mig_classify_error(const char *err)
{
	static const char *lost[] = {
		"keepalive", "Lost connection", "socket is closed",
		"connection closed", "Connection reset", "not connected",
		"unable to connect", "End of file while reading",
	};
	size_t	i;

	for (i = 0; err != NULL && i < nitems(lost); i++) {
		if (strstr(err, lost[i]) != NULL)
			return (MIG_REASON_CONNECTION_LOST);
	}
	return (MIG_REASON_MIGRATION_ERROR);
}

/* The job is over (RC 0 success, -1 with ERR): conclude where M stands. */
static void
mig_job_ended(struct mig *m, int rc, const char *err)
{
	if (m->job_ended || !mig_state_active(m->rec.state))
		return;
	m->job_ended = 1;
	m->job_end_ms = util_now_ms();
	event_del(m->tick);
	if (rc != 0) {
		if (m->facts.stop_reason == MIG_REASON_NONE)
			m->facts.stop_reason = mig_classify_error(err);
		mig_set_message(m, err);
	}
	mig_fire(m, MIG_EV_JOB_ENDED);
}

/* hv_migrate returned. */
static void
mig_job_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->job_running = 0;
	log_debug("migration '%s' call returned %d", m->rec.name, rc);
	mig_job_ended(m, rc, err);
}

/* Start the hypervisor job of M (action START_JOB). */
static void
mig_start_job(struct mig *m)
{
	struct mig_mgr			*mgr = m->mgr;
	struct mig_node			*src, *dst;
	struct hv_migrate_params	 p;
	struct timeval			 tv;
	char				*uri;

	src = mig_node_find(mgr, m->rec.source);
	dst = mig_node_find(mgr, m->rec.target);
	mig_job_params(m, dst, &p, &uri);
	mig_progress_start(&m->progress, util_now_ms());
	m->job_running = 1;
	m->job_ended = 0;
	hv_migrate(src->hv, m->rec.vm, &p, mig_job_done, m);
	free(uri);

	tv.tv_sec = mgr->cfg->job_stats_interval / 1000;
	tv.tv_usec = (mgr->cfg->job_stats_interval % 1000) * 1000;
	event_add(m->tick, &tv);
}

/* Job stats arrived. */
static void
mig_stats_done(int rc, const struct hv_job_stats *st, const char *err,
    void *arg)
{
	struct mig		*m = arg;
	struct mig_stats	*s = &m->rec.stats;

	m->stats_busy = 0;
	if (!mig_state_active(m->rec.state) || m->job_ended)
		return;
	if (rc != 0) {
		log_debug("migration '%s': job stats failed: %s", m->rec.name,
		    err);
		return;
	}
	if (!st->active) {
		/* A job we adopted ended while nobody waited on it. */
		if (m->external)
			mig_job_ended(m, 0, NULL);
		return;
	}
	/*
	 * Before QEMU reports and while a cancelled job winds down, samples
	 * are all zero: they say nothing about progress.
	 */
	if (st->data_total == 0)
		return;
	s->data_total = st->data_total;
	s->data_processed = st->data_processed;
	s->data_remaining = st->data_remaining;
	s->memory_bps = st->memory_bps;
	s->dirty_rate = st->dirty_rate;
	s->iteration = st->iteration;
	s->elapsed_ms = st->time_elapsed_ms;
	mig_fire(m, MIG_EV_STATS);
}

/* Every job_stats_interval while copying: sample, then judge timeouts. */
static void
mig_tick_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig		*m = arg;
	struct mig_mgr		*mgr = m->mgr;
	struct mig_node		*src = mig_node_find(mgr, m->rec.source);
	enum mig_reason		 why;

	if (!m->stats_busy && src != NULL && src->up) {
		m->stats_busy = 1;
		hv_job_stats(src->hv, m->rec.vm, mig_stats_done, m);
	}
	if (m->rec.state != MIG_COPYING ||
	    m->facts.stop_reason != MIG_REASON_NONE)
		return;
	why = mig_timeout_check(&m->progress, util_now_ms(),
	    mgr->cfg->progress_timeout, mgr->cfg->completion_timeout_per_gib);
	if (why == MIG_REASON_PROGRESS_TIMEOUT)
		mig_fire(m, MIG_EV_PROGRESS_TIMEOUT);
	else if (why == MIG_REASON_COMPLETION_TIMEOUT)
		mig_fire(m, MIG_EV_COMPLETION_TIMEOUT);
}

/* Fold the last sample into progress (action PROGRESS). */
static void
mig_progress(struct mig *m)
{
	const struct mig_stats	*s = &m->rec.stats;

	if (mig_progress_sample(&m->progress, util_now_ms(), s->iteration,
	    s->data_remaining, s->data_total, s->memory_bps,
	    (uint64_t)m->mgr->cfg->job_stats_interval))
		log_debug("migration '%s': progress, %llu bytes remaining",
		    m->rec.name, (unsigned long long)s->data_remaining);
}

/* Arm M's retry timer in MS. */
static void
mig_retry_in(struct mig *m, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(m->retry, &tv);
}

/* virDomainAbortJob returned. */
static void
mig_abort_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	if (rc == 0 || m->job_ended || !mig_state_active(m->rec.state))
		return;
	if (++m->abort_tries >= MIG_ABORT_TRIES) {
		log_error("migration '%s': cannot abort the job: %s",
		    m->rec.name, err);
		return;
	}
	log_debug("migration '%s': abort failed (%s), retrying", m->rec.name,
	    err);
	mig_retry_in(m, MIG_ABORT_RETRY_MS);
}

/* Ask the source to abort M's job. */
static void
mig_abort_job(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);

	hv_job_abort(src->hv, m->rec.vm, mig_abort_done, m);
}

/* Retry timer: a pending abort or conclusion. */
static void
mig_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;

	if (!mig_state_active(m->rec.state))
		return;
	if (m->job_ended)
		mig_conclude(m);
	else if (m->facts.stop_reason != MIG_REASON_NONE)
		mig_abort_job(m);
}

/* Judge the probes of a conclusion. */
static void
mig_conclude_judge(struct mig *m)
{
	enum hv_dom_state	s = m->src_state, d = m->dst_state;
	int			on_src = (s == HV_DOM_RUNNING);
	int			on_dst = (d == HV_DOM_RUNNING);

	m->concluding = 0;
	if (m->probe_error) {
		if (++m->conclude_tries >= MIG_CONCLUDE_TRIES) {
			mig_set_message(m, "cannot tell where the VM runs: "
			    "a host does not answer");
			mig_fire(m, MIG_EV_ON_NEITHER);
		} else
			mig_retry_in(m, MIG_CONCLUDE_ERROR_MS);
		return;
	}
	if (on_dst && !on_src) {
		mig_fire(m, MIG_EV_ON_TARGET);
		return;
	}
	/* A failed job leaves the target's incoming domain briefly paused. */
	if (on_src && d != HV_DOM_RUNNING && d != HV_DOM_PAUSED) {
		if (m->facts.stop_reason == MIG_REASON_NONE)
			mig_set_message(m, "the job ended but the VM still "
			    "runs on the source");
		mig_fire(m, MIG_EV_ON_SOURCE);
		return;
	}
	if (++m->conclude_tries >= MIG_CONCLUDE_TRIES) {
		char	*msg;

		xasprintf(&msg, "VM is %s on source and %s on target",
		    hv_dom_state_name(s), hv_dom_state_name(d));
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_ON_NEITHER);
		return;
	}
	mig_retry_in(m, MIG_CONCLUDE_RETRY_MS);
}

/* One probe of a conclusion returned (source). */
static void
mig_probe_src_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig	*m = arg;

	if (rc != 0) {
		m->probe_error = 1;
		log_warn("migration '%s': cannot ask source '%s': %s",
		    m->rec.name, m->rec.source, err);
	}
	m->src_state = st;
	if (--m->probes == 0)
		mig_conclude_judge(m);
}

/* One probe of a conclusion returned (target). */
static void
mig_probe_dst_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig	*m = arg;

	if (rc != 0) {
		m->probe_error = 1;
		log_warn("migration '%s': cannot ask target '%s': %s",
		    m->rec.name, m->rec.target, err);
	}
	m->dst_state = st;
	if (--m->probes == 0)
		mig_conclude_judge(m);
}

/* Ask both hosts where M's VM runs (action CONCLUDE): verified, not assumed. */
static void
mig_conclude(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);
	struct mig_node	*dst = mig_node_find(m->mgr, m->rec.target);

	if (m->concluding)
		return;
	m->concluding = 1;
	m->probe_error = 0;
	m->probes = 2;
	hv_dom_state(src->hv, m->rec.vm, mig_probe_src_done, m);
	hv_dom_state(dst->hv, m->rec.vm, mig_probe_dst_done, m);
}

/* Look at a job we did not start, or lost sight of (action WATCH). */
static void
mig_watch(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);
	struct timeval	 tv;

	m->watching = 1;
	if (src == NULL || !src->up || m->job_running)
		return;		/* conn_cb or the call's return resumes us */
	m->watching = 0;
	m->external = 1;
	m->job_ended = 0;
	if (m->progress.start_ms == 0)
		mig_progress_start(&m->progress, util_now_ms());
	tv.tv_sec = m->mgr->cfg->job_stats_interval / 1000;
	tv.tv_usec = (m->mgr->cfg->job_stats_interval % 1000) * 1000;
	event_add(m->tick, &tv);
}

/* Check the target of M and fire the result (action SCHEDULE). */
static void
mig_schedule(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);
	struct mig_node	*dst = mig_node_find(m->mgr, m->rec.target);
	char		*msg;

	if (src == NULL || dst == NULL) {
		xasprintf(&msg, "node '%s' is no longer configured",
		    src == NULL ? m->rec.source : m->rec.target);
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_TARGET_CHECK_FAILED);
		return;
	}
	if (!dst->up) {
		xasprintf(&msg, "target node '%s' is not connected", dst->name);
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_TARGET_CHECK_FAILED);
		return;
	}
	mig_fire(m, MIG_EV_TARGET_CHOSEN);
}

/* Run the action of a row. */
static void
mig_act(struct mig *m, enum mig_action action, enum mig_event ev)
{
	switch (action) {
	case MIG_ACT_NONE:
		break;
	case MIG_ACT_SCHEDULE:
		mig_schedule(m);
		break;
	case MIG_ACT_START_JOB:
		mig_start_job(m);
		break;
	case MIG_ACT_BACKOFF:
		/* Target selection with backoff arrives with cluster rules. */
		break;
	case MIG_ACT_PROGRESS:
		mig_progress(m);
		break;
	case MIG_ACT_ABORT_JOB:
		m->facts.stop_reason = mig_stop_reason(ev);
		m->abort_tries = 0;
		mig_abort_job(m);
		break;
	case MIG_ACT_CONCLUDE:
		m->conclude_tries = 0;
		mig_conclude(m);
		break;
	case MIG_ACT_WATCH:
		mig_watch(m);
		break;
	}
}

/* Fire EV at M: look the row up, change state, run its action. */
static int
mig_fire(struct mig *m, enum mig_event ev)
{
	const struct mig_fsm_row	*row;
	enum mig_reason			 reason;

	row = mig_fsm_lookup(m->rec.state, ev, &m->facts);
	if (row == NULL) {
		log_warn("migration '%s': event '%s' refused in state '%s'",
		    m->rec.name, mig_event_name(ev),
		    mig_state_name(m->rec.state));
		return (-1);
	}
	reason = row->reason;
	if (reason == MIG_REASON_STOP)
		reason = m->facts.stop_reason != MIG_REASON_NONE ?
		    m->facts.stop_reason : MIG_REASON_MIGRATION_ERROR;
	if (row->to != m->rec.state || ev == MIG_EV_STATS)
		mig_set_state(m, row->to, reason);
	mig_act(m, row->action, ev);
	return (0);
}

/* Deferred first step of a new migration: the slot is granted at once. */
static void
mig_begin_cb(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;

	if (m->rec.state == MIG_PENDING)
		mig_fire(m, MIG_EV_SLOT_GRANTED);
}

/* A host connection went up or down. */
static void
mig_node_conn_cb(struct hv_node *hv, int up, const char *why, void *arg)
{
	struct mig_node	*n = arg;
	struct mig	*m;

	n->up = up;
	TAILQ_FOREACH(m, &n->mgr->migs, entry) {
		if (!mig_state_active(m->rec.state))
			continue;
		if (strcmp(m->rec.source, n->name) != 0 &&
		    strcmp(m->rec.target, n->name) != 0)
			continue;
		if (!up)
			mig_fire(m, MIG_EV_CONNECTION_LOST);
		else if (m->watching)
			mig_watch(m);
	}
}

/* A domain event from a host. */
static void
mig_node_event_cb(struct hv_node *hv, const char *vm, enum hv_event ev,
    const struct hv_job_stats *st, void *arg)
{
	struct mig_node	*n = arg;
	struct mig	*m = mig_find_active(n->mgr, vm);

	log_debug("node '%s': domain '%s' event %s", n->name, vm,
	    hv_event_name(ev));
	if (m == NULL || strcmp(m->rec.source, n->name) != 0)
		return;
	switch (ev) {
	case HV_EV_SUSPENDED_MIGRATED:
	case HV_EV_SUSPENDED_POSTCOPY:
		if (m->rec.state == MIG_COPYING)
			mig_fire(m, MIG_EV_SWITCHOVER);
		break;
	case HV_EV_MIGRATION_ITERATION:
		if (st != NULL && (m->rec.state == MIG_COPYING ||
		    m->rec.state == MIG_COMPLETING)) {
			m->rec.stats.iteration = st->iteration;
			mig_fire(m, MIG_EV_ITERATION);
		}
		break;
	case HV_EV_JOB_COMPLETED:
		if (st == NULL || m->rec.state < MIG_COPYING)
			break;
		m->rec.stats.data_total = st->data_total;
		m->rec.stats.data_processed = st->data_processed;
		m->rec.stats.data_remaining = st->data_remaining;
		m->rec.stats.memory_bps = st->memory_bps;
		m->rec.stats.elapsed_ms = st->time_elapsed_ms;
		m->rec.stats.downtime_ms = st->downtime_ms;
		if (st->iteration != 0)
			m->rec.stats.iteration = st->iteration;
		mig_job_ended(m, 0, NULL);
		break;
	default:
		break;
	}
}

/* Create the manager: one connection per configured node. */
struct mig_mgr *
mig_mgr_create(struct event_base *base, const struct config *cfg,
    struct store *store, struct workers *workers, const struct hv_ops *ops)
{
	struct mig_mgr		*mgr = xcalloc(1, sizeof *mgr);
	struct hv_node_params	 p;
	struct hv_node_cbs	 cbs;
	size_t			 i;

	mgr->base = base;
	mgr->cfg = cfg;
	mgr->store = store;
	mgr->workers = workers;
	mgr->ops = ops;
	TAILQ_INIT(&mgr->migs);
	mgr->nodes = xcalloc(cfg->nnodes, sizeof *mgr->nodes);
	mgr->nnodes = cfg->nnodes;
	for (i = 0; i < cfg->nnodes; i++) {
		struct mig_node	*n = &mgr->nodes[i];

		n->mgr = mgr;
		n->name = xstrdup(cfg->nodes[i].name);
		n->cfg = &cfg->nodes[i];
		memset(&p, 0, sizeof p);
		p.name = n->name;
		p.uri = n->cfg->uri;
		p.keepalive_interval = cfg->keepalive_interval;
		p.keepalive_count = cfg->keepalive_count;
		p.call_timeout = cfg->call_timeout;
		p.reconnect_max = cfg->reconnect_max;
		cbs.conn_cb = mig_node_conn_cb;
		cbs.event_cb = mig_node_event_cb;
		cbs.arg = n;
		n->hv = hv_node_create(ops, base, workers, &p, &cbs);
	}
	return (mgr);
}

/* Free the manager, its nodes and migrations. */
void
mig_mgr_free(struct mig_mgr *mgr)
{
	struct mig	*m;
	size_t		 i;

	if (mgr == NULL)
		return;
	while ((m = TAILQ_FIRST(&mgr->migs)) != NULL) {
		TAILQ_REMOVE(&mgr->migs, m, entry);
		mig_free(m);
	}
	for (i = 0; i < mgr->nnodes; i++) {
		hv_node_free(mgr->nodes[i].hv);
		free(mgr->nodes[i].name);
	}
	free(mgr->nodes);
	free(mgr);
}

/*
 * Take a reloaded configuration.  Nodes keep the settings they started
 * with (node changes need a restart), so they never point into a config
 * that a later reload frees.
 */
void
mig_mgr_reload(struct mig_mgr *mgr, const struct config *cfg)
{
	mgr->cfg = cfg;
}

/* One past record from Redis. */
static void
mig_load_record_cb(const char *name, const char *json, void *arg)
{
	struct mig_mgr		*mgr = arg;
	struct mig_record	 rec;
	struct mig		*m;
	char			*cause = NULL;

	if (mig_find(mgr, name) != NULL)
		return;
	if (mig_json_decode(json, &rec, &cause) != 0) {
		log_error("stored migration '%s' is unreadable: %s", name,
		    cause);
		free(cause);
		return;
	}
	if (mig_node_find(mgr, rec.source) == NULL ||
	    mig_node_find(mgr, rec.target) == NULL) {
		log_warn("stored migration '%s' names a node not configured "
		    "here; listed but not driven", name);
		if (mig_state_active(rec.state)) {
			mig_record_clear(&rec);
			return;
		}
	}
	m = mig_create(mgr, &rec);
	if (mig_state_active(m->rec.state)) {
		mig_log(m, LOG_LEVEL_INFO, m->rec.state,
		    "adopting a migration from an earlier run");
		mig_fire(m, MIG_EV_ADOPTED);
		if (m->rec.state == MIG_PENDING)
			event_base_once(mgr->base, -1, EV_TIMEOUT,
			    mig_begin_cb, m, NULL);
	}
}

/* Past records are read. */
static void
mig_load_done_cb(int rc, const char *err, void *arg)
{
	struct mig_mgr	*mgr = arg;
	int		 n = 0;
	struct mig	*m;

	mgr->loading = 0;
	if (rc != 0) {
		log_error("cannot read past migrations from redis: %s", err);
		return;
	}
	mgr->loaded = 1;
	TAILQ_FOREACH(m, &mgr->migs, entry)
		n++;
	log_info("%d migrations known from redis", n);
}

/* Redis came up or went down. */
void
mig_mgr_store_changed(struct mig_mgr *mgr, int up)
{
	if (up && !mgr->loaded && !mgr->loading) {
		mgr->loading = 1;
		store_mig_load(mgr->store, mig_load_record_cb,
		    mig_load_done_cb, mgr);
	}
}

/* Finish a migrate request with an error. */
static void
mig_req_fail(struct mig_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Free a migrate request. */
static void
mig_req_free(struct mig_req *req)
{
	free(req->vm);
	free(req->target);
	free(req->name);
	free(req->source);
	free(req);
}

static void
mig_req_fail(struct mig_req *req, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	req->cb(status, NULL, msg, req->arg);
	free(msg);
	mig_req_free(req);
}

/* The VM is claimed: create the migration and answer. */
static void
mig_req_claimed(int rc, const char *holder, const char *err, void *arg)
{
	struct mig_req		*req = arg;
	struct mig_mgr		*mgr = req->mgr;
	struct mig_record	 rec;
	struct mig		*m;
	char			 uid[37];

	if (rc < 0) {
		mig_req_fail(req, 503, "cannot claim VM '%s': %s", req->vm,
		    err);
		return;
	}
	if (rc == 0) {
		mig_req_fail(req, 409, "VM '%s' already has an active "
		    "migration '%s'", req->vm, holder);
		return;
	}
	if (mig_find_active(mgr, req->vm) != NULL) {
		/* Raced with another request of ours; give the claim back. */
		store_vm_release(mgr->store, req->vm, req->name);
		mig_req_fail(req, 409, "VM '%s' already has an active "
		    "migration", req->vm);
		return;
	}
	memset(&rec, 0, sizeof rec);
	util_uuid(uid);
	rec.name = req->name;
	req->name = NULL;
	rec.uid = xstrdup(uid);
	rec.vm = xstrdup(req->vm);
	rec.source = xstrdup(req->source);
	rec.target = xstrdup(req->target);
	rec.trigger = xstrdup("manual");
	rec.state = MIG_PENDING;
	rec.created = util_wall_ms();
	rec.transitions[0].state = MIG_PENDING;
	rec.transitions[0].time = rec.created;
	rec.ntransitions = 1;
	m = mig_create(mgr, &rec);
	mig_persist(m);
	mig_log(m, LOG_LEVEL_INFO, MIG_PENDING, "migration created");
	req->cb(201, &m->rec, NULL, req->arg);
	mig_req_free(req);
	event_base_once(mgr->base, -1, EV_TIMEOUT, mig_begin_cb, m, NULL);
}

/* Every node has said whether it runs the VM. */
static void
mig_req_located(struct mig_req *req)
{
	struct mig_mgr	*mgr = req->mgr;
	char		 suffix[6];
	struct mig_node	*src;

	if (req->found == 0) {
		if (req->down > 0)
			mig_req_fail(req, 503, "VM '%s' was not found on any "
			    "reachable node (%d unreachable)", req->vm,
			    req->down);
		else
			mig_req_fail(req, 404, "VM '%s' not found", req->vm);
		return;
	}
	if (req->found > 1) {
		mig_req_fail(req, 409, "VM '%s' runs on %d nodes", req->vm,
		    req->found);
		return;
	}
	if (strcmp(req->source, req->target) == 0) {
		mig_req_fail(req, 409, "VM '%s' already runs on node '%s'",
		    req->vm, req->target);
		return;
	}
	src = mig_node_find(mgr, req->source);
	if (src == NULL || !src->up) {
		mig_req_fail(req, 503, "source node '%s' is not connected",
		    req->source);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_req_fail(req, 503, "redis is unreachable");
		return;
	}
	util_random_suffix(suffix, sizeof suffix);
	xasprintf(&req->name, "%s-%s", req->vm, suffix);
	store_vm_claim(mgr->store, req->vm, req->name, mig_req_claimed, req);
}

/* One node's part of locating a VM. */
struct mig_req_probe {
	struct mig_req	*req;		/* the request */
	struct mig_node	*node;		/* the node asked */
};

/* A node answered whether it runs the VM. */
static void
mig_req_state_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig_req_probe	*p = arg;
	struct mig_req		*req = p->req;

	if (rc != 0) {
		log_warn("cannot ask node '%s' about VM '%s': %s",
		    p->node->name, req->vm, err);
		req->down++;
	} else if (st == HV_DOM_RUNNING || st == HV_DOM_PAUSED) {
		req->found++;
		free(req->source);
		req->source = xstrdup(p->node->name);
	}
	free(p);
	if (--req->waiting == 0)
		mig_req_located(req);
}

/* Start migrating VM to TARGET; CB answers later. */
void
mig_mgr_migrate(struct mig_mgr *mgr, const char *vm, const char *target,
    mig_reply_cb cb, void *arg)
{
	struct mig_req		*req = xcalloc(1, sizeof *req);
	struct mig_req_probe	*p;
	struct mig		*m;
	size_t			 i;

	req->mgr = mgr;
	req->vm = xstrdup(vm);
	req->target = xstrdup(target);
	req->cb = cb;
	req->arg = arg;

	if (mgr->nnodes < 2) {
		mig_req_fail(req, 409, "the cluster has only one node");
		return;
	}
	if (mig_node_find(mgr, target) == NULL) {
		mig_req_fail(req, 400, "unknown target node '%s'", target);
		return;
	}
	if (!store_is_up(mgr->store)) {
		mig_req_fail(req, 503, "redis is unreachable");
		return;
	}
	if (!mgr->loaded) {
		mig_req_fail(req, 503, "past migrations are still loading");
		return;
	}
	if ((m = mig_find_active(mgr, vm)) != NULL) {
		mig_req_fail(req, 409, "VM '%s' already has an active "
		    "migration '%s' (%s)", vm, m->rec.name,
		    mig_state_name(m->rec.state));
		return;
	}
	req->waiting = 1;	/* held until every probe is out */
	for (i = 0; i < mgr->nnodes; i++) {
		if (!mgr->nodes[i].up) {
			req->down++;
			continue;
		}
		p = xcalloc(1, sizeof *p);
		p->req = req;
		p->node = &mgr->nodes[i];
		req->waiting++;
		hv_dom_state(mgr->nodes[i].hv, vm, mig_req_state_done, p);
	}
	if (--req->waiting == 0)
		mig_req_located(req);
}

/* Request an abort of migration NAME. */
int
mig_mgr_abort(struct mig_mgr *mgr, const char *name, char **cause)
{
	struct mig	*m = mig_find(mgr, name);

	if (m == NULL) {
		xasprintf(cause, "migration '%s' not found", name);
		return (404);
	}
	if (mig_state_final(m->rec.state)) {
		xasprintf(cause, "migration '%s' already ended (%s)", name,
		    mig_state_name(m->rec.state));
		return (409);
	}
	if (m->rec.state == MIG_COMPLETING) {
		xasprintf(cause, "migration '%s' is completing: too late to "
		    "abort", name);
		return (409);
	}
	if (m->facts.abort_requested) {
		xasprintf(cause, "abort of migration '%s' already requested",
		    name);
		return (409);
	}
	m->facts.abort_requested = 1;
	m->rec.abort_requested = 1;
	if (mig_fire(m, MIG_EV_ABORT_REQUESTED) != 0) {
		m->facts.abort_requested = 0;
		m->rec.abort_requested = 0;
		xasprintf(cause, "migration '%s' cannot be aborted in state "
		    "'%s'", name, mig_state_name(m->rec.state));
		return (409);
	}
	mig_log(m, LOG_LEVEL_INFO, m->rec.state, "abort requested");
	return (202);
}

/* The record of migration NAME, or NULL. */
const struct mig_record *
mig_mgr_find(struct mig_mgr *mgr, const char *name)
{
	struct mig	*m = mig_find(mgr, name);

	return (m != NULL ? &m->rec : NULL);
}

/* Call CB for every migration, oldest first. */
void
mig_mgr_foreach(struct mig_mgr *mgr, mig_each_cb cb, void *arg)
{
	struct mig	*m;

	TAILQ_FOREACH(m, &mgr->migs, entry)
		cb(&m->rec, arg);
}

/* Have past records been read? */
int
mig_mgr_loaded(struct mig_mgr *mgr)
{
	return (mgr->loaded);
}

/* Is node NAME connected? -1 if unknown. */
int
mig_mgr_node_up(struct mig_mgr *mgr, const char *name)
{
	struct mig_node	*n = mig_node_find(mgr, name);

	return (n == NULL ? -1 : n->up);
}

/* Name of the Ith configured node, or NULL past the end. */
const char *
mig_mgr_node_name(struct mig_mgr *mgr, size_t i)
{
	return (i < mgr->nnodes ? mgr->nodes[i].name : NULL);
}
