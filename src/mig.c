/*
 * mig.c: migrations and their manager.  Every event goes through
 * mig_fire(): the transition table (mig-fsm.c) says what to do and where to
 * go; every state change then goes through mig_set_state(), which stamps,
 * persists, logs one line and publishes.  Everything here runs on the loop
 * thread; hypervisor calls return through hv.h callbacks.
 *
 * Where the VM ends up is always asked of both hosts, never assumed.  A
 * peer-to-peer job lives in the source's libvirtd, not in ferryd: when
 * ferryd loses sight of it (its connection dropped, or another run of
 * ferryd started it) it asks the source whether the job still runs, and
 * watches or concludes accordingly.
 */

#include <event2/event.h>
#include <libvirt/libvirt.h>
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

#define MIG_RETRY_MS		1000	/* a host did not answer: ask again */
#define MIG_CONCLUDE_RETRY_MS	50	/* a domain is between states */
#define MIG_UNDECIDED_MS	60000	/* answers may stay unclear this long */
#define MIG_LEFTOVER_MS		10000	/* a paused copy on the target may linger */
#define MIG_ABORT_RETRY_MS	250	/* job not started yet */
#define MIG_ABORT_SLOW_MS	2000	/* ... after MIG_ABORT_TRIES */
#define MIG_ABORT_TRIES		40
#define MIG_BACKOFF_MIN_MS	1000	/* scheduling back-off */
#define MIG_BACKOFF_MAX_MS	30000
#define MIG_LOAD_RETRY_MS	1000	/* reading past records failed */
#define MIG_SLOT_TTL_MS		30000	/* a slot lives this long unrenewed */
#define MIG_SLOT_RETRY_MS	1000	/* all slots taken: ask again */
#define MIG_STALL_MS		5000	/* no data moved this long: stalled */

static int	mig_fire(struct mig *, enum mig_event);
static void	mig_conclude(struct mig *);
static void	mig_probe_job(struct mig *);
static void	mig_tick_timer(evutil_socket_t, short, void *);
static void	mig_retry_timer(evutil_socket_t, short, void *);
static void	mig_begin_cb(evutil_socket_t, short, void *);
static void	mig_slot_timer(evutil_socket_t, short, void *);
static void	mig_slot_release(struct mig *);

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
	free(rec->evacuation);
	free(rec->message);
	memset(rec, 0, sizeof *rec);
}

/* Find a node by name. */
struct mig_node *
mig_node_find(struct mig_mgr *mgr, const char *name)
{
	size_t	i;

	for (i = 0; i < mgr->nnodes; i++) {
		if (strcmp(mgr->nodes[i].name, name) == 0)
			return (&mgr->nodes[i]);
	}
	return (NULL);
}

/* Find a migration this replica drives (or drove) by name. */
struct mig *
mig_find(struct mig_mgr *mgr, const char *name)
{
	struct mig	*m;

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (!m->disowned && strcmp(m->rec.name, name) == 0)
			return (m);
	}
	return (NULL);
}

/* The VM's active migration, if any. */
struct mig *
mig_find_active(struct mig_mgr *mgr, const char *vm)
{
	struct mig	*m;

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (!m->disowned && mig_state_active(m->rec.state) &&
		    strcmp(m->rec.vm, vm) == 0)
			return (m);
	}
	return (NULL);
}

/* Allocate a migration around REC (taken over) and add it. */
struct mig *
mig_create(struct mig_mgr *mgr, struct mig_record *rec)
{
	struct mig	*m = xcalloc(1, sizeof *m);

	m->rec = *rec;
	memset(rec, 0, sizeof *rec);
	m->mgr = mgr;
	m->begin = evtimer_new(mgr->base, mig_begin_cb, m);
	m->tick = event_new(mgr->base, -1, EV_PERSIST, mig_tick_timer, m);
	m->retry = evtimer_new(mgr->base, mig_retry_timer, m);
	m->slot_timer = event_new(mgr->base, -1, EV_PERSIST, mig_slot_timer,
	    m);
	m->backoff_ms = MIG_BACKOFF_MIN_MS;
	TAILQ_INSERT_TAIL(&mgr->migs, m, entry);
	return (m);
}

/* Free M (at shutdown, or once mig_reap finds it done with). */
static void
mig_free(struct mig *m)
{
	event_free(m->begin);
	event_free(m->tick);
	event_free(m->retry);
	event_free(m->slot_timer);
	mig_record_clear(&m->rec);
	free(m->entry_id);
	free(m);
}

/*
 * Forget the migrations that ended (or went to another replica) more than
 * finished_retention ago and that nothing refers to any more: no call out
 * with it as argument, its final record written and its queue entry
 * acknowledged, no slot held.  Their records stay in Redis, where the API
 * reads them; without this a long-running replica grows with its history.
 */
void
mig_reap(struct mig_mgr *mgr)
{
	struct mig	*m, *next;
	uint64_t	 now = util_now_ms(), keep;
	size_t		 n = 0;

	keep = (uint64_t)mgr->cfg->finished_retention * 1000;
	for (m = TAILQ_FIRST(&mgr->migs); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (!m->disowned && !mig_state_final(m->rec.state))
			continue;
		if (m->done_ms == 0)
			m->done_ms = now;	/* created ended: keep it a while */
		if (now - m->done_ms < keep || m->pending > 0 ||
		    m->has_slot || m->slot_busy)
			continue;
		if (!m->disowned && (m->writing || m->dirty ||
		    (m->entry_id != NULL && !m->acked)))
			continue;
		TAILQ_REMOVE(&mgr->migs, m, entry);
		mig_free(m);
		n++;
	}
	if (n > 0)
		log_debug("forgot %zu ended migrations (records stay in "
		    "Redis)", n);
}

/*
 * Another replica owns M now (it took the record over while we were cut
 * off or stalled): stop driving it and touch nothing of its.  Its slots
 * and its VM claim carry the same names and are the new owner's now.
 */
static void
mig_disown(struct mig *m, const char *owner, long long epoch)
{
	m->disowned = 1;
	m->done_ms = util_now_ms();
	event_del(m->begin);
	event_del(m->tick);
	event_del(m->retry);
	event_del(m->slot_timer);
	m->has_slot = 0;
	if (m->entry_id != NULL)
		queue_release(m->mgr->queue, m->entry_id);
	log_error("migration '%s' was taken over by replica '%s' (epoch "
	    "%lld); this replica stops driving it", m->rec.name, owner,
	    epoch);
}

/* A compare-and-set write of M's record was answered. */
static void
mig_persist_done(int rc, const char *owner, long long epoch,
    const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	m->writing = 0;
	if (m->disowned)
		return;
	if (rc == 0) {
		mig_disown(m, owner, epoch);
		return;
	}
	if (rc < 0) {
		/* Kept: the share timer writes it again once Redis answers. */
		log_debug("migration '%s': record not written: %s",
		    m->rec.name, err);
		m->dirty = 1;
		return;
	}
	if (m->dirty) {
		mig_persist(m);
		return;
	}
	/* The final state is in Redis: the work is done. */
	if (mig_state_final(m->rec.state) && !m->acked &&
	    m->entry_id != NULL) {
		m->acked = 1;
		queue_ack(m->mgr->queue, m->entry_id);
	}
	/* Only now: had another replica taken it over, this write failed. */
	if (mig_state_final(m->rec.state) && !m->notified) {
		m->notified = 1;
		mig_notify(m->mgr, &m->rec, 1);
	}
}

/*
 * Write M's record to Redis (compare-and-set on our owner and epoch) and
 * publish it.  One write is out at a time; changes meanwhile are written
 * after it, and a write that fails is made again by the share timer, so
 * nothing is lost while Redis is away.
 */
void
mig_persist(struct mig *m)
{
	struct mig_mgr	*mgr = m->mgr;
	char		*json;

	if (m->disowned)
		return;
	if (m->writing || mgr->coord == NULL) {
		m->dirty = 1;
		return;
	}
	m->writing = 1;
	m->dirty = 0;
	json = mig_json_encode(&m->rec);
	m->pending++;
	coord_mig_write(mgr->coord, m->rec.name, coord_replica_id(mgr->coord),
	    m->epoch, json, m->rec.vm, mig_state_name(m->rec.state),
	    m->rec.created, mig_persist_done, m);
	free(json);
}

/* Replace M's message. */
static void
mig_set_message(struct mig *m, const char *msg)
{
	if (msg == m->rec.message)
		return;		/* the message itself: freeing it would lose it */
	free(m->rec.message);
	m->rec.message = msg != NULL ? xstrdup(msg) : NULL;
}

/* Log one line for M with every field an operator greps for. */
void
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

/* Tell the notify callback, if any, that REC changed state (FINAL). */
void
mig_notify(struct mig_mgr *mgr, const struct mig_record *rec, int final)
{
	if (mgr->notify_cb != NULL)
		mgr->notify_cb(rec, final, mgr->notify_arg);
}

/* Set the callback told about state changes; see mig.h. */
void
mig_mgr_set_notify(struct mig_mgr *mgr, mig_notify_cb cb, void *arg,
    void (*free_cb)(void *))
{
	if (mgr->notify_free != NULL)
		mgr->notify_free(mgr->notify_arg);
	mgr->notify_cb = cb;
	mgr->notify_arg = arg;
	mgr->notify_free = free_cb;
}

/* Arm M's retry timer to do KIND in MS. */
static void
mig_retry_in(struct mig *m, enum mig_retry kind, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	m->retry_kind = kind;
	evtimer_add(m->retry, &tv);
}

/* Start sampling M's job every job_stats_interval. */
static void
mig_tick_start(struct mig *m)
{
	int		ms = m->mgr->cfg->job_stats_interval;
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_add(m->tick, &tv);
}

/*
 * The one setter: every state change of every migration comes here.  It
 * stamps the time, records the transition, persists the record, logs one
 * line and publishes (the store publishes what it persists).  A "change"
 * to the same state only persists what the event updated.
 */
static void
mig_set_state(struct mig *m, enum mig_state to, enum mig_reason reason)
{
	struct mig_record	*r = &m->rec;
	enum mig_state		 from = r->state;
	uint64_t		 now = util_wall_ms();

	if (m->disowned)
		return;
	if (to == from) {
		mig_persist(m);
		return;
	}
	/* For /metrics: time spent in the phase left, final states. */
	if (r->ntransitions > 0 &&
	    now >= r->transitions[r->ntransitions - 1].time) {
		m->mgr->phase_ms[from] += now -
		    r->transitions[r->ntransitions - 1].time;
		m->mgr->phase_n[from]++;
	}
	if (mig_state_final(to)) {
		m->mgr->finished[to]++;
		m->done_ms = util_now_ms();
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
		event_del(m->tick);
		event_del(m->retry);
		m->retry_kind = MIG_RETRY_NONE;
		mig_slot_release(m);
		store_vm_release(m->mgr->store, r->vm, r->name);
	}
	mig_persist(m);
	mig_log(m, to == MIG_FAILED ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, from,
	    "migration transition");
	/* A final state is reported once its record is in Redis. */
	if (!mig_state_final(to))
		mig_notify(m->mgr, r, 0);
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

/* Does a libvirt message say a host connection broke? */
static int
mig_error_is_connection(const char *err)
{
	static const char *lost[] = {
		"keepalive", "Lost connection", "socket is closed",
		"connection closed", "Connection reset", "not connected",
		"unable to connect", "End of file while reading", "timed out",
	};
	size_t	i;

	for (i = 0; err != NULL && i < nitems(lost); i++) {
		if (strstr(err, lost[i]) != NULL)
			return (1);
	}
	return (0);
}

/* Does a libvirt message say the domain is not there? */
static int
mig_error_is_no_domain(const char *err)
{
	return (err != NULL && (strstr(err, "Domain not found") != NULL ||
	    strstr(err, "no domain with matching") != NULL));
}

/*
 * Has M waited for a host longer than unreachable_timeout?  Starts the
 * clock on the first call.
 */
static int
mig_waited_too_long(struct mig *m)
{
	uint64_t	now = util_now_ms();

	if (m->wait_since == 0)
		m->wait_since = now;
	return (now - m->wait_since >=
	    (uint64_t)m->mgr->cfg->unreachable_timeout * 1000);
}

/* Give up on a host that does not answer: failed/ConnectionLost. */
static void
mig_give_up(struct mig *m, const char *node)
{
	char	*msg;

	xasprintf(&msg, "node '%s' did not answer for %d s; where the VM "
	    "runs is not known", node, m->mgr->cfg->unreachable_timeout);
	mig_set_message(m, msg);
	free(msg);
	m->job_ended = 1;
	event_del(m->tick);
	if (m->facts.stop_reason == MIG_REASON_NONE ||
	    m->facts.stop_reason == MIG_REASON_MIGRATION_ERROR)
		m->facts.stop_reason = MIG_REASON_CONNECTION_LOST;
	mig_fire(m, MIG_EV_ON_NEITHER);
}

/* The job is over (RC 0 success, -1 with ERR): conclude where M stands. */
static void
mig_job_ended(struct mig *m, int rc, const char *err)
{
	if (m->job_ended || !mig_state_active(m->rec.state))
		return;
	m->job_ended = 1;
	m->job_ok = (rc == 0);
	m->watching = 0;
	m->wait_since = 0;
	m->job_end_ms = util_now_ms();
	event_del(m->tick);
	if (m->retry_kind == MIG_RETRY_ABORT ||
	    m->retry_kind == MIG_RETRY_PROBE) {
		event_del(m->retry);
		m->retry_kind = MIG_RETRY_NONE;
	}
	if (rc != 0) {
		if (m->facts.stop_reason == MIG_REASON_NONE)
			m->facts.stop_reason = mig_error_is_connection(err) ?
			    MIG_REASON_CONNECTION_LOST :
			    MIG_REASON_MIGRATION_ERROR;
		if (err != NULL)
			mig_set_message(m, err);
	}
	mig_fire(m, MIG_EV_JOB_ENDED);
}

/* hv_migrate returned. */
static void
mig_job_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	m->job_running = 0;
	log_debug("migration '%s' call returned %d", m->rec.name, rc);
	if (m->job_ended || !mig_state_active(m->rec.state))
		return;
	if (rc != 0 && m->facts.stop_reason == MIG_REASON_NONE &&
	    mig_error_is_connection(err)) {
		/*
		 * Our connection to the source may be what broke: the job
		 * itself may go on in the source's libvirtd.  Ask it.
		 */
		m->lost = 1;
		mig_set_message(m, err);
		mig_probe_job(m);
		return;
	}
	mig_job_ended(m, rc, err);
}

/* Start the hypervisor job of M (action START_JOB). */
static void
mig_start_job(struct mig *m)
{
	struct mig_mgr			*mgr = m->mgr;
	struct mig_node			*src, *dst;
	const struct config_node	*c;
	struct hv_migrate_params	 p;
	char				*uri = NULL;

	src = mig_node_find(mgr, m->rec.source);
	dst = mig_node_find(mgr, m->rec.target);
	c = dst->cfg;
	if (c->migration_address != NULL)
		xasprintf(&uri, "tcp://%s", c->migration_address);
	p.dconnuri = c->migration_uri != NULL ? c->migration_uri : c->uri;
	p.uri = uri;
	p.bandwidth = (uint64_t)mgr->cfg->bandwidth_per_migration;

	mig_progress_start(&m->progress, util_now_ms());
	m->job_running = 1;
	m->job_ended = 0;
	m->pending++;
	hv_migrate(src->hv, m->rec.vm, &p, mig_job_done, m);
	free(uri);
	mig_tick_start(m);
}

/*
 * Note whether M's job moves data: a stream that stops (a migration
 * network outage) is shown as stalled on the record and logged once,
 * and again when data moves again.  Stalling alone never stops a job:
 * the progress timeout judges that.
 */
static void
mig_stall_check(struct mig *m, uint64_t processed)
{
	struct mig_stats	*s = &m->rec.stats;
	uint64_t		 now = util_now_ms(), stalled;

	if (m->moved_ms == 0 || processed != s->data_processed) {
		if (s->stalled_since != 0) {
			stalled = util_wall_ms() - s->stalled_since;
			s->stalled_since = 0;
			log_fields(LOG_LEVEL_INFO, (struct log_field[]){
			    LOG_STR("migration", m->rec.name),
			    LOG_STR("vm", m->rec.vm),
			    LOG_INT("stalled_ms", stalled),
			    LOG_INT("data_processed", processed) }, 4,
			    "migration progress resumed");
		}
		m->moved_ms = now;
		return;
	}
	if (s->stalled_since == 0 && now - m->moved_ms >= MIG_STALL_MS) {
		s->stalled_since = util_wall_ms() - (now - m->moved_ms);
		log_fields(LOG_LEVEL_WARN, (struct log_field[]){
		    LOG_STR("migration", m->rec.name),
		    LOG_STR("vm", m->rec.vm),
		    LOG_INT("stalled_ms", now - m->moved_ms),
		    LOG_INT("data_processed", processed) }, 4,
		    "migration stalled: no data moved");
	}
}

/* Job stats arrived from the tick. */
static void
mig_stats_done(int rc, const struct hv_job_stats *st, const char *err,
    void *arg)
{
	struct mig		*m = arg;
	struct mig_stats	*s = &m->rec.stats;

	m->pending--;
	m->stats_busy = 0;
	if (!mig_state_active(m->rec.state) || m->job_ended)
		return;
	if (rc != 0) {
		/* A job we watch but did not start: gone with its domain. */
		if (m->external && mig_error_is_no_domain(err))
			mig_job_ended(m, 0, NULL);
		else
			log_debug("migration '%s': job stats failed: %s",
			    m->rec.name, err);
		return;
	}
	if (!st->active) {
		if (m->external)
			mig_job_ended(m, m->lost ? -1 : 0, m->rec.message);
		return;
	}
	/*
	 * Before QEMU reports and while a cancelled job winds down, samples
	 * are all zero: they say nothing about progress.
	 */
	if (st->data_total == 0)
		return;
	mig_stall_check(m, st->data_processed);
	s->data_total = st->data_total;
	s->data_processed = st->data_processed;
	s->data_remaining = st->data_remaining;
	s->memory_bps = st->memory_bps;
	s->dirty_rate = st->dirty_rate;
	s->iteration = st->iteration;
	s->elapsed_ms = st->time_elapsed_ms;
	mig_fire(m, MIG_EV_STATS);
}

/* Every job_stats_interval while the job runs: sample, judge timeouts. */
static void
mig_tick_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;
	struct mig_mgr	*mgr = m->mgr;
	struct mig_node	*src = mig_node_find(mgr, m->rec.source);
	enum mig_reason	 why;

	/* Without the source, nothing can be sampled or judged. */
	if (src == NULL || !src->up)
		return;
	if (!m->stats_busy) {
		m->stats_busy = 1;
		m->pending++;
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

	if (s->data_total == 0)
		return;
	if (mig_progress_sample(&m->progress, util_now_ms(), s->iteration,
	    s->data_remaining, s->data_total, s->memory_bps,
	    (uint64_t)m->mgr->cfg->job_stats_interval))
		log_debug("migration '%s': progress, %llu bytes remaining",
		    m->rec.name, (unsigned long long)s->data_remaining);
}

/* virDomainAbortJob returned. */
static void
mig_abort_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	if (rc == 0 || m->job_ended || m->rec.state != MIG_COPYING)
		return;
	m->abort_tries++;
	if (m->abort_tries == MIG_ABORT_TRIES)
		log_error("migration '%s': the job does not abort (%s); still "
		    "trying", m->rec.name, err);
	else
		log_debug("migration '%s': abort failed (%s), retrying",
		    m->rec.name, err);
	mig_retry_in(m, MIG_RETRY_ABORT, m->abort_tries < MIG_ABORT_TRIES ?
	    MIG_ABORT_RETRY_MS : MIG_ABORT_SLOW_MS);
}

/* Ask the source to abort M's job (only while copying: later is too late). */
static void
mig_abort_job(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);

	if (m->job_ended || m->rec.state != MIG_COPYING)
		return;
	if (!src->up) {
		/* Asked again when the source is back (mig_node_conn_cb). */
		return;
	}
	m->pending++;
	hv_job_abort(src->hv, m->rec.vm, mig_abort_done, m);
}

/* The source said whether M's job still runs. */
static void
mig_probe_done(int rc, const struct hv_job_stats *st, const char *err,
    void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	if (m->job_ended || !mig_state_active(m->rec.state))
		return;
	if (rc == 0 && st->active) {
		/* It goes on: watch it as if we had started it. */
		log_info("migration '%s': the job still runs on '%s'; "
		    "watching it", m->rec.name, m->rec.source);
		m->external = 1;
		m->watching = 0;
		m->wait_since = 0;
		mig_tick_start(m);
		return;
	}
	if (rc == 0 || mig_error_is_no_domain(err)) {
		/* No job (or the domain left): it is over; see where it went. */
		mig_job_ended(m, m->lost ? -1 : 0, m->rec.message);
		return;
	}
	log_warn("migration '%s': cannot ask '%s' about the job: %s",
	    m->rec.name, m->rec.source, err);
	/* Not at once: a dead connection fails every call instantly. */
	if (mig_waited_too_long(m))
		mig_give_up(m, m->rec.source);
	else
		mig_retry_in(m, MIG_RETRY_PROBE, MIG_RETRY_MS);
}

/*
 * Ask the source whether M's job still runs; while the source does not
 * answer, wait (at most unreachable_timeout).
 */
static void
mig_probe_job(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);

	if (m->job_ended || !mig_state_active(m->rec.state))
		return;
	if (mig_waited_too_long(m)) {
		mig_give_up(m, m->rec.source);
		return;
	}
	if (!src->up) {
		m->watching = 1;
		mig_retry_in(m, MIG_RETRY_PROBE, MIG_RETRY_MS);
		return;
	}
	m->watching = 0;
	if (evtimer_pending(m->retry, NULL) && m->retry_kind ==
	    MIG_RETRY_PROBE)
		event_del(m->retry);
	m->pending++;
	hv_job_stats(src->hv, m->rec.vm, mig_probe_done, m);
}

/* Retry timer: whatever M was waiting to do again. */
static void
mig_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;
	enum mig_retry	 kind = m->retry_kind;

	m->retry_kind = MIG_RETRY_NONE;
	if (!mig_state_active(m->rec.state))
		return;
	switch (kind) {
	case MIG_RETRY_NONE:
		break;
	case MIG_RETRY_ABORT:
		mig_abort_job(m);
		break;
	case MIG_RETRY_PROBE:
		mig_probe_job(m);
		break;
	case MIG_RETRY_CONCLUDE:
		mig_conclude(m);
		break;
	case MIG_RETRY_SLOT:
		mig_begin(m);
		break;
	}
}

/* Judge the answers of a conclusion. */
static void
mig_conclude_judge(struct mig *m)
{
	enum hv_dom_state	s = m->src_state, d = m->dst_state;
	uint64_t		now = util_now_ms(), undecided;
	int			on_src = (s == HV_DOM_RUNNING);
	int			on_dst = (d == HV_DOM_RUNNING);

	m->concluding = 0;
	/* A paused VM moves paused; once the source's copy is gone. */
	if (d == HV_DOM_PAUSED && m->job_ok && s == HV_DOM_ABSENT)
		on_dst = 1;
	if (on_dst && !on_src && (!m->probe_error || m->job_ok)) {
		/* The job said success and the target runs it: moved. */
		mig_set_message(m, NULL);
		mig_fire(m, MIG_EV_ON_TARGET);
		return;
	}
	if (m->probe_error) {
		if (mig_waited_too_long(m))
			mig_give_up(m, m->rec.source);
		else
			mig_retry_in(m, MIG_RETRY_CONCLUDE, MIG_RETRY_MS);
		return;
	}
	m->wait_since = 0;
	if (m->undecided_since == 0)
		m->undecided_since = now;
	undecided = now - m->undecided_since;
	/* A failed job leaves the target's incoming copy paused a while. */
	if (on_src && (d != HV_DOM_PAUSED || undecided >= MIG_LEFTOVER_MS)) {
		if (d == HV_DOM_PAUSED)
			log_warn("migration '%s': a paused copy of '%s' "
			    "lingers on '%s'", m->rec.name, m->rec.vm,
			    m->rec.target);
		if (m->facts.stop_reason == MIG_REASON_NONE)
			mig_set_message(m, "the job ended but the VM still "
			    "runs on the source");
		mig_fire(m, MIG_EV_ON_SOURCE);
		return;
	}
	if (undecided >= MIG_UNDECIDED_MS) {
		char	*msg;

		xasprintf(&msg, "VM is %s on source and %s on target",
		    hv_dom_state_name(s), hv_dom_state_name(d));
		log_error("migration '%s': %s", m->rec.name, msg);
		mig_set_message(m, msg);
		free(msg);
		if (m->facts.stop_reason == MIG_REASON_NONE)
			m->facts.stop_reason = MIG_REASON_MIGRATION_ERROR;
		mig_fire(m, MIG_EV_ON_NEITHER);
		return;
	}
	mig_retry_in(m, MIG_RETRY_CONCLUDE, MIG_CONCLUDE_RETRY_MS);
}

/* One host answered a conclusion probe: note it in *OUT; judge after both. */
static void
mig_probe_answer(struct mig *m, int rc, enum hv_dom_state st,
    const char *err, const char *role, const char *node,
    enum hv_dom_state *out)
{
	if (rc != 0) {
		m->probe_error = 1;
		log_warn("migration '%s': cannot ask %s '%s': %s",
		    m->rec.name, role, node, err);
	}
	*out = st;
	if (--m->probes == 0)
		mig_conclude_judge(m);
}

/* The source answered a conclusion probe. */
static void
mig_probe_src_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	mig_probe_answer(m, rc, st, err, "source", m->rec.source,
	    &m->src_state);
}

/* The target answered a conclusion probe. */
static void
mig_probe_dst_done(int rc, enum hv_dom_state st, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	mig_probe_answer(m, rc, st, err, "target", m->rec.target,
	    &m->dst_state);
}

/* Ask both hosts where M's VM runs (action CONCLUDE): verified, not assumed. */
static void
mig_conclude(struct mig *m)
{
	struct mig_node	*src = mig_node_find(m->mgr, m->rec.source);
	struct mig_node	*dst = mig_node_find(m->mgr, m->rec.target);

	if (m->concluding || !mig_state_active(m->rec.state))
		return;
	m->concluding = 1;
	m->probe_error = 0;
	m->probes = 2;
	m->pending++;
	hv_dom_state(src->hv, m->rec.vm, mig_probe_src_done, m);
	m->pending++;
	hv_dom_state(dst->hv, m->rec.vm, mig_probe_dst_done, m);
}

/*
 * Lost sight of the job, or took it over from an earlier run (action
 * WATCH).  Our own call still out will tell when it returns; a conclusion
 * under way carries on; otherwise ask the source.
 */
static void
mig_watch(struct mig *m)
{
	if (m->job_running || m->job_ended)
		return;
	mig_probe_job(m);
}

/* The target's hypervisor answered whether it runs the VM's CPU. */
static void
mig_schedule_cpu_done(int rc, int compatible, const char *err, void *arg)
{
	struct mig	*m = arg;
	char		*msg;

	m->pending--;
	if (m->rec.state != MIG_SCHEDULING)
		return;
	if (rc == 0 && !compatible) {
		xasprintf(&msg, "node '%s' cannot run the VM's CPU",
		    m->rec.target);
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_TARGET_CHECK_FAILED);
		return;
	}
	if (rc != 0)
		log_warn("migration '%s': cannot compare the VM's CPU on '%s' "
		    "(%s); going on", m->rec.name, m->rec.target, err);
	mig_set_message(m, NULL);
	mig_fire(m, MIG_EV_TARGET_CHOSEN);
}

/* No node takes M now: wait (back in pending) or give up. */
static void
mig_schedule_none(struct mig *m, const char *why)
{
	uint64_t	waited = util_wall_ms() - m->rec.created;
	char		*msg;

	xasprintf(&msg, "no node can take the VM: %s", why);
	mig_set_message(m, msg);
	free(msg);
	if (waited >= (uint64_t)m->mgr->cfg->unschedulable_timeout * 1000)
		mig_fire(m, MIG_EV_UNSCHEDULABLE);
	else
		mig_fire(m, MIG_EV_NO_TARGET);
}

/*
 * Choose or check M's target with the cluster rules, then ask the target
 * whether it runs the VM's CPU (action SCHEDULE).
 */
static void
mig_schedule(struct mig *m)
{
	struct mig_mgr			*mgr = m->mgr;
	struct mig_node			*src = mig_node_find(mgr, m->rec.source);
	struct mig_node			*dst;
	const struct mig_vm		*v;
	const struct rules_node		*t;
	struct mig_cluster		 c;
	struct rules_reasons		 why = { 0 };
	struct rules_reason		 r = { 0 };
	char				*msg, *cpu;

	if (src == NULL || (m->rec.target[0] != '\0' &&
	    mig_node_find(mgr, m->rec.target) == NULL)) {
		xasprintf(&msg, "node '%s' is no longer configured",
		    src == NULL ? m->rec.source : m->rec.target);
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_TARGET_CHECK_FAILED);
		return;
	}
	v = mig_inv_vm(src, m->rec.vm);
	if (!src->up || v == NULL || v->info == NULL) {
		xasprintf(&msg, "node '%s' is not connected or has not listed "
		    "the VM; waiting", src->name);
		mig_set_message(m, msg);
		free(msg);
		mig_fire(m, MIG_EV_NO_TARGET);
		return;
	}
	mig_cluster_build(mgr, m, &c);
	if (m->rec.target[0] == '\0') {
		if ((t = rules_pick_target(&c.c, v->info, src->name,
		    &why)) == NULL) {
			msg = why.n > 0 ? why.v[0].message : NULL;
			mig_schedule_none(m, msg != NULL ? msg :
			    "the cluster has no other node");
			goto out;
		}
		free(m->rec.target);
		m->rec.target = xstrdup(t->name);
		mig_log(m, LOG_LEVEL_INFO, m->rec.state, "target chosen");
	} else if (!rules_target_fits(&c.c, v->info, src->name,
	    mig_cluster_node(&c, m->rec.target), &r)) {
		/* A node that is only away for now is worth waiting for. */
		if (strcmp(r.code, "NodeDown") == 0)
			mig_schedule_none(m, r.message);
		else {
			mig_set_message(m, r.message);
			mig_fire(m, MIG_EV_TARGET_CHECK_FAILED);
		}
		goto out;
	}
	dst = mig_node_find(mgr, m->rec.target);
	if (v->info->cpu_mode == VM_CPU_CUSTOM && v->info->cpu_model != NULL) {
		xasprintf(&cpu, "<cpu mode='custom' match='exact'>"
		    "<model fallback='forbid'>%s</model></cpu>",
		    v->info->cpu_model);
		m->pending++;
		hv_compare_cpu(dst->hv, cpu, mig_schedule_cpu_done, m);
		free(cpu);
	} else {
		m->pending++;
		mig_schedule_cpu_done(0, 1, NULL, m);
	}
out:
	free(r.message);
	rules_reasons_clear(&why);
	mig_cluster_free(&c);
}

/* Back in pending: retry scheduling later, or give up (action BACKOFF). */
static void
mig_backoff(struct mig *m)
{
	uint64_t	waited = util_wall_ms() - m->rec.created;

	/* Waiting for a host to come back: unreachable_timeout at most. */
	if (m->rec.target[0] != '\0' &&
	    waited >= (uint64_t)m->mgr->cfg->unreachable_timeout * 1000) {
		mig_fire(m, MIG_EV_PENDING_TIMEOUT);
		return;
	}
	/* Waiting must not hold a slot another migration could use. */
	mig_slot_release(m);
	mig_retry_in(m, MIG_RETRY_SLOT, m->backoff_ms);
	m->backoff_ms *= 2;
	if (m->backoff_ms > MIG_BACKOFF_MAX_MS)
		m->backoff_ms = MIG_BACKOFF_MAX_MS;
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
		mig_backoff(m);
		break;
	case MIG_ACT_PROGRESS:
		mig_progress(m);
		break;
	case MIG_ACT_ABORT_JOB:
		if (m->facts.stop_reason == MIG_REASON_NONE)
			m->facts.stop_reason = mig_stop_reason(ev);
		m->abort_tries = 0;
		mig_abort_job(m);
		break;
	case MIG_ACT_CONCLUDE:
		m->undecided_since = 0;
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

	if (m->disowned)
		return (-1);

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
	mig_set_state(m, row->to, reason);
	mig_act(m, row->action, ev);
	return (0);
}

/* Keep M's slots alive while it is active. */
static void
mig_slot_timer(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;

	if (m->has_slot && m->mgr->coord != NULL)
		coord_slot_renew(m->mgr->coord, m->rec.name, m->rec.source,
		    MIG_SLOT_TTL_MS);
}

/* Give M's slots back (final state, or back to pending). */
static void
mig_slot_release(struct mig *m)
{
	if (!m->has_slot)
		return;
	m->has_slot = 0;
	event_del(m->slot_timer);
	if (m->mgr->coord != NULL)
		coord_slot_release(m->mgr->coord, m->rec.name, m->rec.source);
}

/* Note that M holds its slots and keep them renewed. */
static void
mig_slot_hold(struct mig *m)
{
	struct timeval	tv = { MIG_SLOT_TTL_MS / 3000, 0 };

	m->has_slot = 1;
	if (!evtimer_pending(m->slot_timer, NULL))
		event_add(m->slot_timer, &tv);
}

/* The slot request of a pending M was answered. */
static void
mig_slot_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	m->pending--;
	m->slot_busy = 0;
	if (rc == 1 && m->rec.state == MIG_PENDING) {
		mig_slot_hold(m);
		mig_fire(m, MIG_EV_SLOT_GRANTED);
		return;
	}
	if (rc == 1) {
		/* Ended while we asked: give it back. */
		m->has_slot = 1;
		mig_slot_release(m);
		return;
	}
	if (rc < 0)
		log_warn("migration '%s': cannot take a slot: %s", m->rec.name,
		    err);
	if (m->rec.state == MIG_PENDING)
		mig_retry_in(m, MIG_RETRY_SLOT, MIG_SLOT_RETRY_MS);
}

/*
 * Deferred first step of a pending migration: take its slots (cluster-
 * wide and on its source node), then leave pending.
 */
static void
mig_begin_cb(evutil_socket_t fd, short events, void *arg)
{
	struct mig	*m = arg;
	struct mig_mgr	*mgr = m->mgr;

	if (m->rec.state != MIG_PENDING || m->slot_busy)
		return;
	if (mgr->coord == NULL) {
		mig_fire(m, MIG_EV_SLOT_GRANTED);
		return;
	}
	m->slot_busy = 1;
	m->pending++;
	coord_slot_take(mgr->coord, m->rec.name, m->rec.source,
	    mgr->cfg->parallel_migrations_per_cluster,
	    mgr->cfg->parallel_outbound_migrations_per_node, MIG_SLOT_TTL_MS,
	    mig_slot_done, m);
}

/* Use COORD for concurrency slots. */
void
mig_mgr_set_coord(struct mig_mgr *mgr, struct coord *coord)
{
	mgr->coord = coord;
}

/* Take M's first step from the loop, after the caller has answered. */
void
mig_begin(struct mig *m)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(m->begin, &tv);
}

/* A host connection went up or down. */
static void
mig_node_conn_cb(struct hv_node *hv, int up, const char *why, void *arg)
{
	struct mig_node	*n = arg;
	struct mig	*m;
	uint64_t	 now = util_now_ms();

	n->up = up;
	mig_inv_node_changed(n, up);
	TAILQ_FOREACH(m, &n->mgr->migs, entry) {
		if (!mig_state_active(m->rec.state))
			continue;
		if (strcmp(m->rec.source, n->name) == 0) {
			/* No judging progress while the source is away. */
			if (!up)
				m->src_down_since = now;
			else if (m->src_down_since != 0) {
				m->progress.last_progress_ms +=
				    now - m->src_down_since;
				m->src_down_since = 0;
			}
		} else if (strcmp(m->rec.target, n->name) != 0)
			continue;
		if (!up) {
			mig_fire(m, MIG_EV_CONNECTION_LOST);
			continue;
		}
		if (m->watching)
			mig_probe_job(m);
		else if (m->rec.state == MIG_COPYING && !m->job_ended &&
		    m->facts.stop_reason != MIG_REASON_NONE)
			mig_abort_job(m);	/* an abort the outage swallowed */
	}
}

/* A domain event from a host. */
static void
mig_node_event_cb(struct hv_node *hv, const char *vm, enum hv_event ev,
    const struct hv_job_stats *st, void *arg)
{
	struct mig_node	*n = arg;
	struct mig	*m = mig_find_active(n->mgr, vm);
	int		 running;

	log_debug("node '%s': domain '%s' event %s", n->name, vm,
	    hv_event_name(ev));
	if (ev != HV_EV_MIGRATION_ITERATION && ev != HV_EV_JOB_COMPLETED)
		mig_inv_domain_event(n);
	if (m == NULL || strcmp(m->rec.source, n->name) != 0)
		return;
	running = (m->rec.state == MIG_COPYING ||
	    m->rec.state == MIG_COMPLETING);
	switch (ev) {
	case HV_EV_SUSPENDED_MIGRATED:
	case HV_EV_SUSPENDED_POSTCOPY:
		if (m->rec.state == MIG_COPYING)
			mig_fire(m, MIG_EV_SWITCHOVER);
		break;
	case HV_EV_MIGRATION_ITERATION:
		if (st != NULL && running) {
			m->rec.stats.iteration = st->iteration;
			mig_fire(m, MIG_EV_ITERATION);
		}
		break;
	case HV_EV_JOB_COMPLETED:
		if (st == NULL || !running || (st->operation != 0 &&
		    st->operation != VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT))
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
	TAILQ_INIT(&mgr->takes);
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
		if (n->cfg->virt_type != NULL &&
		    strcmp(n->cfg->virt_type, "auto") != 0)
			p.virt_type = n->cfg->virt_type;
		cbs.conn_cb = mig_node_conn_cb;
		cbs.event_cb = mig_node_event_cb;
		cbs.arg = n;
		n->hv = hv_node_create(ops, base, workers, &p, &cbs);
	}
	mig_inv_start(mgr);
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
	mig_share_stop(mgr);
	while ((m = TAILQ_FIRST(&mgr->migs)) != NULL) {
		TAILQ_REMOVE(&mgr->migs, m, entry);
		mig_free(m);
	}
	for (i = 0; i < mgr->nnodes; i++)
		hv_node_free(mgr->nodes[i].hv);
	mig_inv_stop(mgr);
	for (i = 0; i < mgr->nnodes; i++)
		free(mgr->nodes[i].name);
	free(mgr->nodes);
	if (mgr->notify_free != NULL)
		mgr->notify_free(mgr->notify_arg);
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

/* The slots of an adopted migration were taken back (or not). */
static void
mig_slot_adopt_done(int rc, const char *err, void *arg)
{
	struct mig	*m = arg;

	if (rc < 0)
		log_warn("migration '%s': cannot take its slots back: %s",
		    m->rec.name, err);
}

/* Take over an active migration found in Redis. */
void
mig_adopt(struct mig *m)
{
	uint64_t	now = util_now_ms(), wall = util_wall_ms();

	m->facts.abort_requested = m->rec.abort_requested;
	if (m->rec.abort_requested)
		m->facts.stop_reason = MIG_REASON_ABORT_REQUESTED;
	/* The completion budget counts from when copying began. */
	mig_progress_start(&m->progress, now);
	if (m->rec.started != 0 && wall > m->rec.started &&
	    wall - m->rec.started < now)
		m->progress.start_ms = now - (wall - m->rec.started);
	mig_log(m, LOG_LEVEL_INFO, m->rec.state, "migration adopted");
	mig_fire(m, MIG_EV_ADOPTED);
	if (m->rec.state == MIG_PENDING)
		mig_begin(m);
	else if (m->mgr->coord != NULL) {
		/* Its slots (same member) are renewed, or taken back. */
		coord_slot_take(m->mgr->coord, m->rec.name, m->rec.source,
		    INT32_MAX, INT32_MAX, MIG_SLOT_TTL_MS, mig_slot_adopt_done,
		    m);
		mig_slot_hold(m);
	}
}

/* Redis came back: write what could not be written meanwhile. */
void
mig_mgr_store_changed(struct mig_mgr *mgr, int up)
{
	struct mig	*m;

	if (!up)
		return;
	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (m->dirty && !m->writing && !m->disowned)
			mig_persist(m);
	}
}

/*
 * Stop M for REASON (an operator's abort, or its evacuation cancelled):
 * 202, or 409 with *CAUSE when it cannot be (FORCE: the operator may stop
 * a migration an evacuation created).
 */
int
mig_abort_local(struct mig *m, enum mig_reason reason, int force,
    char **cause)
{
	const char	*name = m->rec.name;
	enum mig_event	 ev = MIG_EV_ABORT_REQUESTED;

	if (mig_state_final(m->rec.state)) {
		xasprintf(cause, "migration '%s' already ended (%s)", name,
		    mig_state_name(m->rec.state));
		return (409);
	}
	if (reason == MIG_REASON_EVACUATION_CANCELLED) {
		if (m->rec.evacuation == NULL) {
			xasprintf(cause, "migration '%s' belongs to no "
			    "evacuation", name);
			return (409);
		}
		/* Only what has not started stops; running ones finish. */
		if (m->rec.state != MIG_PENDING) {
			xasprintf(cause, "migration '%s' is already %s: it "
			    "finishes", name, mig_state_name(m->rec.state));
			return (409);
		}
		ev = MIG_EV_EVACUATION_CANCELLED;
	} else if (m->rec.trigger != NULL &&
	    strcmp(m->rec.trigger, "evacuation") == 0 && !force) {
		xasprintf(cause, "migration '%s' belongs to evacuation '%s': "
		    "aborting it needs force", name, m->rec.evacuation != NULL ?
		    m->rec.evacuation : "?");
		return (409);
	}
	if (m->rec.state == MIG_COMPLETING || m->job_ended) {
		xasprintf(cause, "migration '%s' is completing: too late to "
		    "abort", name);
		return (409);
	}
	if (m->facts.abort_requested) {
		xasprintf(cause, "abort of migration '%s' already requested",
		    name);
		return (409);
	}
	if (m->facts.stop_reason != MIG_REASON_NONE) {
		xasprintf(cause, "migration '%s' is already being stopped "
		    "(%s)", name, mig_reason_name(m->facts.stop_reason));
		return (409);
	}
	if (ev == MIG_EV_ABORT_REQUESTED) {
		m->facts.abort_requested = 1;
		m->rec.abort_requested = 1;
	}
	if (mig_fire(m, ev) != 0) {
		m->facts.abort_requested = 0;
		m->rec.abort_requested = 0;
		xasprintf(cause, "migration '%s' cannot be aborted in state "
		    "'%s'", name, mig_state_name(m->rec.state));
		return (409);
	}
	mig_log(m, LOG_LEVEL_INFO, m->rec.state, ev == MIG_EV_ABORT_REQUESTED ?
	    "abort requested" : "evacuation cancelled");
	return (202);
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
