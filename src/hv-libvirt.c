/*
 * hv-libvirt.c: the hypervisor driver on libvirt.
 *
 * Every libvirt call that may talk to a daemon runs on a worker: opening,
 * registering callbacks (each is an RPC on a remote connection), the calls
 * themselves and closing (the last virConnectClose is an RPC too).  The
 * loop only takes references (virConnectRef never blocks) and handles
 * results.  Each job holds its own connection reference and drops it on
 * the worker when it is done.
 *
 * Lifetimes.  A node counts references: one for its owner and one for each
 * job in flight.  hv_node_free marks the node dead (no callback of the
 * owner runs after that), hands the owner's reference to a teardown job and
 * the node is freed by whichever worker done callback drops the last one,
 * so a job that returns late never touches freed memory.  The close
 * callback and the domain event callbacks point at the node; the teardown
 * job unregisters them (libvirt waits for a running close callback) before
 * the node can be freed.
 *
 * The close callback may run on any thread (the loop, or a worker whose RPC
 * saw the socket die), so it only records which connection generation was
 * lost and wakes the loop with event_active().
 *
 * One call at a time per connection.  libvirt 9.0's RPC client leaves a
 * socket watch attached to the client's GMainContext, pointing at the
 * stack of the thread that ran the I/O loop, whenever another thread
 * interrupts that loop; if a second thread then takes over the I/O loop it
 * dispatches the stale watch and writes through a dead stack frame (seen
 * as a crash in virNetClientIOEventFD after a link came back).  So calls
 * on a node's connection wait in line (waiting) and go to a worker one by
 * one (busy); the teardown of a connection waits for its call to return;
 * and a migration, which blocks for its whole length, opens a connection
 * of its own and closes it when the call returns.
 */

#include <sys/queue.h>

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "ferry/hv.h"
#include "ferry/log.h"
#include "ferry/util.h"
#include "ferry/worker.h"
#include "ferry/xmalloc.h"

/* Domain events we register, in the order of hv_node.event_ids. */
static const int hv_libvirt_event_ids[] = {
	VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
	VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
};
#define HV_LIBVIRT_NEVENTS nitems(hv_libvirt_event_ids)

/* Where a node's connection stands. */
enum hv_libvirt_state {
	HV_LIBVIRT_CONNECTING,	/* an open job is on a worker */
	HV_LIBVIRT_UP,		/* connected, callbacks registered */
	HV_LIBVIRT_WAITING,	/* down; the reconnect timer is armed */
};

/* One libvirt host.  The first two members are what hv.c reads. */
struct hv_node {
	const struct hv_ops	*ops;		/* &hv_libvirt_ops (hv.c) */
	char			*name;		/* node name (hv.c) */
	char			*uri;		/* URI we open */
	int			 keepalive_interval; /* s, 0 = off */
	int			 keepalive_count; /* unanswered probes allowed */
	int			 call_timeout;	/* s, deadline of each call */
	char			*virt_type;	/* "kvm"/"qemu", or NULL: auto */
	int			 reconnect_max;	/* s, cap of the backoff */
	struct hv_node_cbs	 cbs;		/* owner's callbacks */
	struct event_base	*base;		/* the loop */
	struct workers		*workers;	/* where libvirt calls run */

	enum hv_libvirt_state	 state;		/* connection state */
	int			 reported;	/* last conn_cb: -1 none, 0, 1 */
	virConnectPtr		 conn;		/* our reference while UP */
	int			 event_ids[HV_LIBVIRT_NEVENTS]; /* while UP */
	struct hv_libvirt_closer *closer;	/* close callback data, while UP */
	unsigned		 gen;		/* bumped by every open attempt */
	int			 backoff;	/* next reconnect delay, s */
	struct event		*retry_timer;	/* reconnect after backoff */
	struct event		*close_ev;	/* woken by the close callback */
	struct event		*fail_ev;	/* fails calls made while down */
	TAILQ_HEAD(, hv_libvirt_call) failing;	/* calls for fail_ev */
	TAILQ_HEAD(, hv_libvirt_call) waiting;	/* for the connection */
	TAILQ_HEAD(, hv_libvirt_call) running;	/* calls on a worker */
	struct hv_libvirt_call	*busy;		/* the call on conn, or NULL */
	TAILQ_HEAD(, hv_libvirt_teardown) deferred; /* wait for a call of
						   their generation */

	pthread_mutex_t		 lost_lock;	/* guards the two below */
	unsigned		 lost_gen;	/* generation that was closed */
	int			 lost_reason;	/* VIR_CONNECT_CLOSE_REASON_* */

	int			 refs;		/* owner + jobs in flight */
	int			 dead;		/* hv_node_free was called */
};

/*
 * The close callback's data: which node and which connection.  Freed by us
 * after the callback is unregistered, not by libvirt's free callback, which
 * drivers without close callbacks (test:///) never call.
 */
struct hv_libvirt_closer {
	struct hv_node		*node;	/* never freed while registered */
	unsigned		 gen;	/* the connection's generation */
};

/* An attempt to connect, run on a worker. */
struct hv_libvirt_open {
	struct hv_node		*node;	/* holds a reference; not read by work */
	char			*uri;	/* copy for the worker */
	int			 keepalive_interval; /* copy for the worker */
	int			 keepalive_count; /* copy for the worker */
	unsigned		 gen;	/* generation of this attempt */
	struct hv_libvirt_closer *closer; /* close callback data */
	virConnectPtr		 conn;	/* result: the connection, or NULL */
	int			 event_ids[HV_LIBVIRT_NEVENTS]; /* result */
	char			*error;	/* result: why it failed */
};

/* Closing a connection, run on a worker (also frees a dead node's last ref). */
struct hv_libvirt_teardown {
	struct hv_node		*node;	/* holds a reference; not read by work */
	virConnectPtr		 conn;	/* reference to drop, or NULL */
	int			 event_ids[HV_LIBVIRT_NEVENTS]; /* to deregister */
	struct hv_libvirt_closer *closer; /* freed once unregistered */
	unsigned		 gen;	/* generation of conn */
	TAILQ_ENTRY(hv_libvirt_teardown) entry; /* in deferred */
};

/* What a call does. */
enum hv_libvirt_kind {
	HV_LIBVIRT_MIGRATE,	/* virDomainMigrateToURI3 */
	HV_LIBVIRT_JOB_STATS,	/* virDomainGetJobStats */
	HV_LIBVIRT_JOB_ABORT,	/* virDomainAbortJob */
	HV_LIBVIRT_DOM_STATE,	/* virDomainLookupByName + virDomainGetState */
	HV_LIBVIRT_LIST,	/* virConnectListAllDomains + XML of each */
	HV_LIBVIRT_HOST,	/* capabilities, domain capabilities, memory */
	HV_LIBVIRT_COMPARE,	/* virConnectCompareHypervisorCPU */
};

/* One call of the interface, from the loop to a worker and back. */
struct hv_libvirt_call {
	struct hv_node		*node;		/* holds a reference */
	enum hv_libvirt_kind	 kind;		/* what to do */
	char			*vm;		/* domain name */
	char			*dconnuri;	/* migrate: target URI */
	char			*uri;		/* migrate: migration URI or NULL */
	uint64_t		 bandwidth;	/* migrate: MiB/s, 0 = unlimited */
	char			*open_uri;	/* migrate: node URI to open */
	int			 keepalive_interval; /* migrate: copies */
	int			 keepalive_count;
	virConnectPtr		 conn;		/* the job's own reference */
	unsigned		 gen;		/* generation of conn */
	int			 conn_dead;	/* failed on a dead connection */
	hv_done_cb		 done_cb;	/* migrate, job_abort */
	hv_stats_cb		 stats_cb;	/* job_stats */
	hv_state_cb		 state_cb;	/* dom_state */
	void			*arg;		/* for the callback */
	struct event		*deadline;	/* call_timeout timer, or NULL */
	int			 answered;	/* callback done or cancelled */
	int			 expired;	/* deadline passed (atomic: the
						   worker reads it) */
	int			 rc;		/* result: 0 or -1 */
	char			*error;		/* result: message if -1 */
	struct hv_job_stats	 stats;		/* result: job_stats */
	enum hv_dom_state	 dom_state;	/* result: dom_state */
	hv_domains_cb		 domains_cb;	/* list_domains */
	hv_host_cb		 host_cb;	/* host_info */
	hv_compare_cb		 compare_cb;	/* compare_cpu */
	char			*cpu_xml;	/* compare: the CPU asked about */
	const char		*virt_type;	/* the node's, or NULL: auto */
	struct hv_domain	*domains;	/* result: list_domains */
	size_t			 ndomains;
	struct hv_host		 host;		/* result: host_info */
	int			 compatible;	/* result: compare_cpu */
	TAILQ_ENTRY(hv_libvirt_call) entry;	/* in failing, waiting or
						   running */
};

/* Where each job statistic goes in struct hv_job_stats. */
static const struct {
	const char	*name;		/* VIR_DOMAIN_JOB_* typed parameter */
	size_t		 offset;	/* of a uint64_t in hv_job_stats */
} hv_libvirt_stats_fields[] = {
	{ VIR_DOMAIN_JOB_TIME_ELAPSED,
	    offsetof(struct hv_job_stats, time_elapsed_ms) },
	{ VIR_DOMAIN_JOB_DATA_TOTAL, offsetof(struct hv_job_stats, data_total) },
	{ VIR_DOMAIN_JOB_DATA_PROCESSED,
	    offsetof(struct hv_job_stats, data_processed) },
	{ VIR_DOMAIN_JOB_DATA_REMAINING,
	    offsetof(struct hv_job_stats, data_remaining) },
	{ VIR_DOMAIN_JOB_MEMORY_BPS, offsetof(struct hv_job_stats, memory_bps) },
	{ VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE,
	    offsetof(struct hv_job_stats, dirty_rate) },
	{ VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE,
	    offsetof(struct hv_job_stats, page_size) },
	{ VIR_DOMAIN_JOB_MEMORY_ITERATION,
	    offsetof(struct hv_job_stats, iteration) },
	{ VIR_DOMAIN_JOB_DOWNTIME, offsetof(struct hv_job_stats, downtime_ms) },
	{ VIR_DOMAIN_JOB_SETUP_TIME,
	    offsetof(struct hv_job_stats, setup_time_ms) },
};

/* Why libvirt closed a connection, for conn_cb and the log. */
static const char *hv_libvirt_close_reasons[] = {
	[VIR_CONNECT_CLOSE_REASON_ERROR] = "connection closed: I/O error",
	[VIR_CONNECT_CLOSE_REASON_EOF] = "connection closed by the daemon",
	[VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "connection lost: keepalive timeout",
	[VIR_CONNECT_CLOSE_REASON_CLIENT] = "connection closed by the client",
};

static pthread_once_t hv_libvirt_once = PTHREAD_ONCE_INIT; /* init once */

static void	hv_libvirt_open_start(struct hv_node *);
static void	hv_libvirt_call_fail_event(evutil_socket_t, short, void *);
static void	hv_libvirt_call_dispatch(struct hv_node *);
static void	hv_libvirt_close_cb(virConnectPtr, int, void *);

/* Route libvirt's own error reports to the debug log instead of stderr. */
static void
hv_libvirt_error_func(void *userdata, virErrorPtr err)
{
	if (err != NULL && err->message != NULL)
		log_debug("libvirt: %s", err->message);
}

/* Process-wide libvirt set-up, once. */
static void
hv_libvirt_init_once(void)
{
	if (virInitialize() < 0)
		log_error("cannot initialize libvirt: %s",
		    virGetLastErrorMessage());
	virSetErrorFunc(NULL, hv_libvirt_error_func);
}

/* The last libvirt error of this thread, as a string the caller frees. */
static char *
hv_libvirt_error(void)
{
	return (xstrdup(virGetLastErrorMessage()));
}

/* Fill S from a job's typed parameters. */
static void
hv_libvirt_stats_fill(struct hv_job_stats *s, virTypedParameterPtr params,
    int nparams)
{
	unsigned long long	 v;
	size_t			 i;
	int			 op;

	for (i = 0; i < nitems(hv_libvirt_stats_fields); i++) {
		if (virTypedParamsGetULLong(params, nparams,
		    hv_libvirt_stats_fields[i].name, &v) == 1) {
			*(uint64_t *)(void *)((char *)s +
			    hv_libvirt_stats_fields[i].offset) = v;
		}
	}
	if (virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION,
	    &op) == 1)
		s->operation = op;
}

/* Drop a reference to NODE; the last one frees it (worker done callbacks). */
static void
hv_libvirt_node_unref(struct hv_node *node)
{
	if (--node->refs > 0)
		return;

	event_free(node->retry_timer);
	event_free(node->close_ev);
	event_free(node->fail_ev);
	pthread_mutex_destroy(&node->lost_lock);
	free(node->name);
	free(node->uri);
	free(node->virt_type);
	free(node);
}

/* Report the connection up to the owner, once per transition. */
static void
hv_libvirt_report_up(struct hv_node *node)
{
	struct log_field	fields[] = {
		LOG_STR("node", node->name),
		LOG_STR("uri", node->uri),
	};

	if (node->reported == 1)
		return;
	node->reported = 1;
	log_fields(LOG_LEVEL_INFO, fields, nitems(fields), "node '%s' connected",
	    node->name);
	if (node->cbs.conn_cb != NULL)
		node->cbs.conn_cb(node, 1, NULL, node->cbs.arg);
}

/* Report the connection down to the owner, once per transition. */
static void
hv_libvirt_report_down(struct hv_node *node, const char *why)
{
	struct log_field	fields[] = {
		LOG_STR("node", node->name),
		LOG_STR("uri", node->uri),
		LOG_STR("reason", why),
	};

	if (node->reported == 0)
		return;
	node->reported = 0;
	log_fields(LOG_LEVEL_INFO, fields, nitems(fields),
	    "node '%s' disconnected: %s", node->name, why);
	if (node->cbs.conn_cb != NULL)
		node->cbs.conn_cb(node, 0, why, node->cbs.arg);
}

/* Unregister everything from a connection and drop our reference (worker). */
static void
hv_libvirt_teardown_work(void *arg)
{
	struct hv_libvirt_teardown	*td = arg;
	size_t				 i;

	if (td->conn == NULL)
		return;
	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++) {
		if (td->event_ids[i] >= 0)
			virConnectDomainEventDeregisterAny(td->conn,
			    td->event_ids[i]);
	}
	/* Fails harmlessly if the callback already fired (it is one-shot). */
	virConnectUnregisterCloseCallback(td->conn, hv_libvirt_close_cb);
	virConnectClose(td->conn);
}

/* The teardown is over: drop its node reference (loop). */
static void
hv_libvirt_teardown_done(void *arg)
{
	struct hv_libvirt_teardown	*td = arg;

	hv_libvirt_node_unref(td->node);
	free(td->closer);
	free(td);
}

/*
 * Deregister IDS, unregister CLOSER and close CONN of generation GEN (or
 * nothing) on a worker, once no call is using CONN.
 */
static void
hv_libvirt_teardown(struct hv_node *node, virConnectPtr conn, unsigned gen,
    const int *ids, struct hv_libvirt_closer *closer)
{
	struct hv_libvirt_teardown	*td;
	size_t				 i;

	td = xcalloc(1, sizeof *td);
	td->node = node;
	td->conn = conn;
	td->gen = gen;
	td->closer = closer;
	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++)
		td->event_ids[i] = ids != NULL ? ids[i] : -1;
	node->refs++;
	if (conn != NULL && node->busy != NULL && node->busy->gen == gen) {
		TAILQ_INSERT_TAIL(&node->deferred, td, entry);
		return;
	}
	workers_submit(node->workers, hv_libvirt_teardown_work,
	    hv_libvirt_teardown_done, td);
}

/* The call on generation GEN returned: start the teardowns waiting for it. */
static void
hv_libvirt_teardown_resume(struct hv_node *node, unsigned gen)
{
	struct hv_libvirt_teardown	*td, *next;

	for (td = TAILQ_FIRST(&node->deferred); td != NULL; td = next) {
		next = TAILQ_NEXT(td, entry);
		if (td->gen != gen)
			continue;
		TAILQ_REMOVE(&node->deferred, td, entry);
		workers_submit(node->workers, hv_libvirt_teardown_work,
		    hv_libvirt_teardown_done, td);
	}
}

/* Arm the reconnect timer and double the next delay. */
static void
hv_libvirt_retry_schedule(struct hv_node *node)
{
	struct timeval	tv = { .tv_sec = node->backoff, .tv_usec = 0 };

	node->state = HV_LIBVIRT_WAITING;
	log_debug("node '%s': reconnecting in %d s", node->name, node->backoff);
	evtimer_add(node->retry_timer, &tv);
	node->backoff *= 2;
	if (node->backoff > node->reconnect_max)
		node->backoff = node->reconnect_max;
}

/* The reconnect delay is over: try again. */
static void
hv_libvirt_retry_timer(evutil_socket_t fd, short events, void *arg)
{
	struct hv_node	*node = arg;

	if (!node->dead)
		hv_libvirt_open_start(node);
}

/* The connection of the current generation is gone: tear it down, retry. */
static void
hv_libvirt_lose(struct hv_node *node, const char *why)
{
	struct hv_libvirt_call	*call;

	hv_libvirt_teardown(node, node->conn, node->gen, node->event_ids,
	    node->closer);
	node->conn = NULL;
	node->closer = NULL;
	node->busy = NULL;	/* its call returns on the old connection */
	while ((call = TAILQ_FIRST(&node->waiting)) != NULL) {
		TAILQ_REMOVE(&node->waiting, call, entry);
		xasprintf(&call->error, "connection to node '%s' lost: %s",
		    node->name, why);
		TAILQ_INSERT_TAIL(&node->failing, call, entry);
		event_active(node->fail_ev, EV_READ, 0);
	}
	node->backoff = 1;
	node->state = HV_LIBVIRT_WAITING;
	hv_libvirt_report_down(node, why);
	if (!node->dead)
		hv_libvirt_retry_schedule(node);
}

/* Close callback: runs on any thread; only records and wakes the loop. */
static void
hv_libvirt_close_cb(virConnectPtr conn, int reason, void *opaque)
{
	struct hv_libvirt_closer	*c = opaque;
	struct hv_node			*node = c->node;

	pthread_mutex_lock(&node->lost_lock);
	if (c->gen > node->lost_gen) {
		node->lost_gen = c->gen;
		node->lost_reason = reason;
	}
	pthread_mutex_unlock(&node->lost_lock);
	event_active(node->close_ev, EV_READ, 0);
}

/* Why generation GEN was lost, or NULL if it was not. */
static const char *
hv_libvirt_lost(struct hv_node *node, unsigned gen)
{
	const char	*why = NULL;
	int		 reason;

	pthread_mutex_lock(&node->lost_lock);
	if (node->lost_gen == gen) {
		reason = node->lost_reason;
		if (reason >= 0 &&
		    (size_t)reason < nitems(hv_libvirt_close_reasons))
			why = hv_libvirt_close_reasons[reason];
		else
			why = "connection closed";
	}
	pthread_mutex_unlock(&node->lost_lock);
	return (why);
}

/* The loop's side of the close callback. */
static void
hv_libvirt_close_event(evutil_socket_t fd, short events, void *arg)
{
	struct hv_node	*node = arg;
	const char	*why;

	if (node->dead || node->state != HV_LIBVIRT_UP)
		return;
	if ((why = hv_libvirt_lost(node, node->gen)) != NULL)
		hv_libvirt_lose(node, why);
}

/* Map a lifecycle event and detail to ours. */
static enum hv_event
hv_libvirt_lifecycle_map(int event, int detail)
{
	switch (event) {
	case VIR_DOMAIN_EVENT_STARTED:
		if (detail == VIR_DOMAIN_EVENT_STARTED_MIGRATED)
			return (HV_EV_STARTED_MIGRATED);
		return (HV_EV_STARTED);
	case VIR_DOMAIN_EVENT_SUSPENDED:
		if (detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED)
			return (HV_EV_SUSPENDED_MIGRATED);
		if (detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY)
			return (HV_EV_SUSPENDED_POSTCOPY);
		return (HV_EV_OTHER_LIFECYCLE);
	case VIR_DOMAIN_EVENT_RESUMED:
		return (HV_EV_RESUMED);
	case VIR_DOMAIN_EVENT_STOPPED:
		if (detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
			return (HV_EV_STOPPED_MIGRATED);
		return (HV_EV_STOPPED);
	case VIR_DOMAIN_EVENT_UNDEFINED:
		return (HV_EV_UNDEFINED);
	default:
		return (HV_EV_OTHER_LIFECYCLE);
	}
}

/* Hand one domain event to the owner. */
static void
hv_libvirt_event_forward(struct hv_node *node, virDomainPtr dom,
    enum hv_event ev, const struct hv_job_stats *stats)
{
	const char	*vm = virDomainGetName(dom);

	if (node->dead || node->cbs.event_cb == NULL || vm == NULL)
		return;
	log_debug("node '%s': domain '%s' event %s", node->name, vm,
	    hv_event_name(ev));
	node->cbs.event_cb(node, vm, ev, stats, node->cbs.arg);
}

/* Lifecycle event (loop, from libvirt's event dispatch). */
static int
hv_libvirt_lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event,
    int detail, void *opaque)
{
	struct hv_node	*node = opaque;

	log_debug("node '%s': domain '%s' lifecycle %d/%d", node->name,
	    virDomainGetName(dom), event, detail);
	hv_libvirt_event_forward(node, dom,
	    hv_libvirt_lifecycle_map(event, detail), NULL);
	return (0);
}

/* Migration iteration event (loop). */
static void
hv_libvirt_iteration_cb(virConnectPtr conn, virDomainPtr dom, int iteration,
    void *opaque)
{
	struct hv_node		*node = opaque;
	struct hv_job_stats	 stats;

	/* A migration job is running; it is an unbounded job. */
	memset(&stats, 0, sizeof stats);
	stats.active = 1;
	stats.type = VIR_DOMAIN_JOB_UNBOUNDED;
	stats.iteration = iteration > 0 ? (uint64_t)iteration : 0;
	hv_libvirt_event_forward(node, dom, HV_EV_MIGRATION_ITERATION, &stats);
}

/* Job completed event, with the job's final statistics (loop). */
static void
hv_libvirt_job_completed_cb(virConnectPtr conn, virDomainPtr dom,
    virTypedParameterPtr params, int nparams, void *opaque)
{
	struct hv_node		*node = opaque;
	struct hv_job_stats	 stats;

	memset(&stats, 0, sizeof stats);
	stats.active = 0;
	stats.type = VIR_DOMAIN_JOB_COMPLETED;
	hv_libvirt_stats_fill(&stats, params, nparams);
	hv_libvirt_event_forward(node, dom, HV_EV_JOB_COMPLETED, &stats);
}

/* Open the connection and register our callbacks on it (worker). */
static void
hv_libvirt_open_work(void *arg)
{
	struct hv_libvirt_open		*op = arg;
	virConnectDomainEventGenericCallback cbs[HV_LIBVIRT_NEVENTS] = {
		VIR_DOMAIN_EVENT_CALLBACK(hv_libvirt_lifecycle_cb),
		VIR_DOMAIN_EVENT_CALLBACK(hv_libvirt_iteration_cb),
		VIR_DOMAIN_EVENT_CALLBACK(hv_libvirt_job_completed_cb),
	};
	virConnectPtr			 conn = NULL;
	int				 closing = 0;
	size_t				 i;

	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++)
		op->event_ids[i] = -1;

	if ((conn = virConnectOpen(op->uri)) == NULL) {
		op->error = hv_libvirt_error();
		goto out;
	}

	if (virConnectRegisterCloseCallback(conn, hv_libvirt_close_cb,
	    op->closer, NULL) < 0) {
		op->error = hv_libvirt_error();
		goto out;
	}
	closing = 1;

	/* -1 for connections that are not remote (test:///): no keepalive. */
	if (op->keepalive_interval > 0 && virConnectSetKeepAlive(conn,
	    op->keepalive_interval, op->keepalive_count) < 0)
		log_debug("no keepalive on '%s': %s", op->uri,
		    virGetLastErrorMessage());

	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++) {
		op->event_ids[i] = virConnectDomainEventRegisterAny(conn, NULL,
		    hv_libvirt_event_ids[i], cbs[i], op->node, NULL);
		if (op->event_ids[i] < 0) {
			op->error = hv_libvirt_error();
			goto out;
		}
	}
	op->conn = conn;
	conn = NULL;

out:
	if (conn != NULL) {
		for (i = 0; i < HV_LIBVIRT_NEVENTS; i++) {
			if (op->event_ids[i] >= 0)
				virConnectDomainEventDeregisterAny(conn,
				    op->event_ids[i]);
			op->event_ids[i] = -1;
		}
		if (closing)
			virConnectUnregisterCloseCallback(conn,
			    hv_libvirt_close_cb);
		virConnectClose(conn);
	}
}

/* An open attempt returned (loop). */
static void
hv_libvirt_open_done(void *arg)
{
	struct hv_libvirt_open	*op = arg;
	struct hv_node		*node = op->node;
	const char		*why = NULL;
	char			*msg = NULL;
	size_t			 i;

	if (node->dead) {
		if (op->conn != NULL) {
			hv_libvirt_teardown(node, op->conn, op->gen,
			    op->event_ids, op->closer);
			op->closer = NULL;
		}
		goto out;
	}

	if (op->conn != NULL) {
		/* It may have died before its close callback was ours. */
		why = hv_libvirt_lost(node, op->gen);
		if (why == NULL && virConnectIsAlive(op->conn) == 0)
			why = "connection closed while connecting";
		if (why != NULL) {
			hv_libvirt_teardown(node, op->conn, op->gen,
			    op->event_ids, op->closer);
			op->conn = NULL;
			op->closer = NULL;
		}
	} else
		why = op->error != NULL ? op->error : "cannot connect";

	if (op->conn == NULL) {
		xasprintf(&msg, "cannot connect to '%s': %s", node->uri, why);
		log_warn("node '%s': %s", node->name, msg);
		node->state = HV_LIBVIRT_WAITING;
		hv_libvirt_report_down(node, msg);
		if (!node->dead)
			hv_libvirt_retry_schedule(node);
		goto out;
	}

	node->conn = op->conn;
	node->closer = op->closer;
	op->closer = NULL;
	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++)
		node->event_ids[i] = op->event_ids[i];
	node->state = HV_LIBVIRT_UP;
	node->backoff = 1;
	hv_libvirt_report_up(node);

out:
	free(msg);
	free(op->closer);
	free(op->error);
	free(op->uri);
	free(op);
	hv_libvirt_node_unref(node);
}

/* Start an open attempt of a new generation on a worker. */
static void
hv_libvirt_open_start(struct hv_node *node)
{
	struct hv_libvirt_open	*op;

	node->state = HV_LIBVIRT_CONNECTING;
	node->gen++;

	op = xcalloc(1, sizeof *op);
	op->node = node;
	op->uri = xstrdup(node->uri);
	op->keepalive_interval = node->keepalive_interval;
	op->keepalive_count = node->keepalive_count;
	op->gen = node->gen;
	op->closer = xcalloc(1, sizeof *op->closer);
	op->closer->node = node;
	op->closer->gen = node->gen;
	node->refs++;
	log_debug("node '%s': connecting to '%s'", node->name, node->uri);
	workers_submit(node->workers, hv_libvirt_open_work,
	    hv_libvirt_open_done, op);
}

/* Create a node and start connecting in the background. */
static struct hv_node *
hv_libvirt_node_create(struct event_base *base, struct workers *workers,
    const struct hv_node_params *params, const struct hv_node_cbs *cbs)
{
	struct hv_node	*node;
	size_t		 i;

	if (params->name == NULL || params->uri == NULL) {
		log_error("a libvirt node needs a name and a URI");
		return (NULL);
	}
	pthread_once(&hv_libvirt_once, hv_libvirt_init_once);

	node = xcalloc(1, sizeof *node);
	node->ops = &hv_libvirt_ops;
	node->name = xstrdup(params->name);
	node->uri = xstrdup(params->uri);
	node->keepalive_interval = params->keepalive_interval;
	node->keepalive_count = params->keepalive_count;
	node->call_timeout = params->call_timeout;
	node->virt_type = params->virt_type != NULL ?
	    xstrdup(params->virt_type) : NULL;
	node->reconnect_max = params->reconnect_max > 1 ?
	    params->reconnect_max : 1;
	if (cbs != NULL)
		node->cbs = *cbs;
	node->base = base;
	node->workers = workers;
	node->reported = -1;
	node->backoff = 1;
	for (i = 0; i < HV_LIBVIRT_NEVENTS; i++)
		node->event_ids[i] = -1;
	TAILQ_INIT(&node->failing);
	TAILQ_INIT(&node->waiting);
	TAILQ_INIT(&node->running);
	TAILQ_INIT(&node->deferred);
	pthread_mutex_init(&node->lost_lock, NULL);
	node->retry_timer = evtimer_new(base, hv_libvirt_retry_timer, node);
	node->close_ev = event_new(base, -1, 0, hv_libvirt_close_event, node);
	node->fail_ev = event_new(base, -1, 0, hv_libvirt_call_fail_event,
	    node);
	if (node->retry_timer == NULL || node->close_ev == NULL ||
	    node->fail_ev == NULL) {
		log_error("cannot create the events of node '%s'", node->name);
		abort();
	}
	node->refs = 1;

	hv_libvirt_open_start(node);
	return (node);
}

/* Free one call's memory and its node reference. */
static void
hv_libvirt_call_free(struct hv_libvirt_call *call)
{
	struct hv_node	*node = call->node;
	size_t		 i;

	if (call->deadline != NULL)
		event_free(call->deadline);
	free(call->vm);
	free(call->dconnuri);
	free(call->uri);
	free(call->open_uri);
	free(call->error);
	free(call->cpu_xml);
	for (i = 0; i < call->ndomains; i++) {
		free(call->domains[i].name);
		free(call->domains[i].xml);
		free(call->domains[i].config_xml);
	}
	free(call->domains);
	free(call->host.caps_xml);
	free(call->host.domcaps_xml);
	free(call);
	hv_libvirt_node_unref(node);
}

/*
 * Stop the node: no owner callback runs after this.  The connection is
 * closed on a worker and the memory freed when the last job returns.
 */
static void
hv_libvirt_node_free(struct hv_node *node)
{
	struct hv_libvirt_call	*call;

	if (node == NULL || node->dead)
		return;
	node->dead = 1;

	while ((call = TAILQ_FIRST(&node->failing)) != NULL) {
		TAILQ_REMOVE(&node->failing, call, entry);
		hv_libvirt_call_free(call);
	}
	while ((call = TAILQ_FIRST(&node->waiting)) != NULL) {
		TAILQ_REMOVE(&node->waiting, call, entry);
		hv_libvirt_call_free(call);
	}
	TAILQ_FOREACH(call, &node->running, entry) {
		call->answered = 1;
		if (call->deadline != NULL)
			event_del(call->deadline);
	}
	event_del(node->retry_timer);
	event_del(node->close_ev);
	event_del(node->fail_ev);

	/* The owner's reference goes with the teardown job. */
	if (node->state == HV_LIBVIRT_UP) {
		hv_libvirt_teardown(node, node->conn, node->gen,
		    node->event_ids, node->closer);
		node->conn = NULL;
		node->closer = NULL;
	} else
		hv_libvirt_teardown(node, NULL, 0, NULL, NULL);
	node->refs--;
}

/* Is the node connected? */
static int
hv_libvirt_node_is_up(struct hv_node *node)
{
	return (node->state == HV_LIBVIRT_UP);
}

/* Answer a call through the owner's callback: rc, message, results. */
static void
hv_libvirt_call_answer(struct hv_libvirt_call *call, int rc, const char *error)
{
	call->answered = 1;
	switch (call->kind) {
	case HV_LIBVIRT_MIGRATE:
	case HV_LIBVIRT_JOB_ABORT:
		call->done_cb(rc, error, call->arg);
		break;
	case HV_LIBVIRT_JOB_STATS:
		call->stats_cb(rc, rc == 0 ? &call->stats : NULL, error,
		    call->arg);
		break;
	case HV_LIBVIRT_DOM_STATE:
		call->state_cb(rc, call->dom_state, error, call->arg);
		break;
	case HV_LIBVIRT_LIST:
		call->domains_cb(rc, call->domains, rc == 0 ? call->ndomains :
		    0, error, call->arg);
		break;
	case HV_LIBVIRT_HOST:
		call->host_cb(rc, rc == 0 ? &call->host : NULL, error,
		    call->arg);
		break;
	case HV_LIBVIRT_COMPARE:
		call->compare_cb(rc, call->compatible, error, call->arg);
		break;
	}
}

/* Fail the calls that were made while the node was down (loop). */
static void
hv_libvirt_call_fail_event(evutil_socket_t fd, short events, void *arg)
{
	struct hv_node		*node = arg;
	struct hv_libvirt_call	*call;

	while (!node->dead && (call = TAILQ_FIRST(&node->failing)) != NULL) {
		TAILQ_REMOVE(&node->failing, call, entry);
		if (!call->answered)
			hv_libvirt_call_answer(call, -1, call->error);
		hv_libvirt_call_free(call);
	}
}

/* The deadline passed before the worker returned: answer now (loop). */
static void
hv_libvirt_call_timer(evutil_socket_t fd, short events, void *arg)
{
	struct hv_libvirt_call	*call = arg;
	char			*msg;

	if (call->answered || call->node->dead)
		return;
	/* A worker that has not started it yet will not run it at all. */
	__atomic_store_n(&call->expired, 1, __ATOMIC_RELEASE);
	xasprintf(&msg, "timed out after %d s", call->node->call_timeout);
	log_warn("node '%s': call on domain '%s' %s", call->node->name,
	    call->vm, msg);
	hv_libvirt_call_answer(call, -1, msg);
	free(msg);
}

/* Migrate with the fixed flags and optional parameters (worker). */
static int
hv_libvirt_call_migrate(struct hv_libvirt_call *call, virDomainPtr dom)
{
	virTypedParameterPtr	params = NULL;
	int			nparams = 0, maxparams = 0, rc = -1;
	unsigned int		flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
				    VIR_MIGRATE_PERSIST_DEST |
				    VIR_MIGRATE_UNDEFINE_SOURCE;

	if (call->uri != NULL && virTypedParamsAddString(&params, &nparams,
	    &maxparams, VIR_MIGRATE_PARAM_URI, call->uri) < 0)
		goto out;
	if (call->bandwidth > 0 && virTypedParamsAddULLong(&params, &nparams,
	    &maxparams, VIR_MIGRATE_PARAM_BANDWIDTH, call->bandwidth) < 0)
		goto out;
	rc = virDomainMigrateToURI3(dom, call->dconnuri, params, nparams, flags);

out:
	virTypedParamsFree(params, nparams);
	return (rc);
}

/* Sample the job's statistics (worker). */
static int
hv_libvirt_call_job_stats(struct hv_libvirt_call *call, virDomainPtr dom)
{
	virTypedParameterPtr	params = NULL;
	int			nparams = 0, type;

	if (virDomainGetJobStats(dom, &type, &params, &nparams, 0) < 0)
		return (-1);
	memset(&call->stats, 0, sizeof call->stats);
	call->stats.type = type;
	call->stats.active = (type != VIR_DOMAIN_JOB_NONE);
	hv_libvirt_stats_fill(&call->stats, params, nparams);
	virTypedParamsFree(params, nparams);
	return (0);
}

/* Map libvirt's domain state to ours. */
static enum hv_dom_state
hv_libvirt_state_map(int state)
{
	switch (state) {
	case VIR_DOMAIN_RUNNING:
		return (HV_DOM_RUNNING);
	case VIR_DOMAIN_PAUSED:
		return (HV_DOM_PAUSED);
	case VIR_DOMAIN_SHUTOFF:
		return (HV_DOM_SHUTOFF);
	default:
		return (HV_DOM_OTHER);
	}
}

/* Read the domain's state and map it to ours (worker). */
static int
hv_libvirt_call_dom_state(struct hv_libvirt_call *call, virDomainPtr dom)
{
	int	state, reason;

	if (virDomainGetState(dom, &state, &reason, 0) < 0)
		return (-1);
	call->dom_state = hv_libvirt_state_map(state);
	return (0);
}

/* Every domain with its state and XML (worker). */
static int
hv_libvirt_call_list(struct hv_libvirt_call *call)
{
	virDomainPtr		*doms = NULL;
	struct hv_domain	*d;
	int			 n, i, state, reason;

	if ((n = virConnectListAllDomains(call->conn, &doms, 0)) < 0)
		return (-1);
	call->domains = xcalloc((size_t)n, sizeof *call->domains);
	for (i = 0; i < n; i++) {
		d = &call->domains[call->ndomains];
		/* A domain may vanish while we look: skip it. */
		if (virDomainGetState(doms[i], &state, &reason, 0) < 0)
			continue;
		if ((d->xml = virDomainGetXMLDesc(doms[i], 0)) == NULL)
			continue;
		d->config_xml = virDomainGetXMLDesc(doms[i],
		    VIR_DOMAIN_XML_INACTIVE);
		d->name = xstrdup(virDomainGetName(doms[i]));
		d->state = hv_libvirt_state_map(state);
		call->ndomains++;
	}
	for (i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return (0);
}

/*
 * The domain type this host runs guests with: the node's virt_type, else
 * "kvm" if its capabilities (CAPS, or asked for) offer it, else "qemu"
 * (TCG).  Worker.
 */
static const char *
hv_libvirt_virttype(struct hv_libvirt_call *call, const char *caps)
{
	char		*own = NULL;
	const char	*type = "qemu";

	if (call->virt_type != NULL)
		return (call->virt_type);
	if (caps == NULL)
		caps = own = virConnectGetCapabilities(call->conn);
	if (caps != NULL && strstr(caps, "<domain type='kvm'") != NULL)
		type = "kvm";
	free(own);
	return (type);
}

/* Capabilities, domain capabilities, memory and CPUs (worker). */
static int
hv_libvirt_call_host(struct hv_libvirt_call *call)
{
	virNodeInfo		 info;
	unsigned long long	 free_bytes;

	if ((call->host.caps_xml = virConnectGetCapabilities(call->conn)) ==
	    NULL)
		return (-1);
	/* Optional: drivers without it (test://) still have a host. */
	call->host.domcaps_xml = virConnectGetDomainCapabilities(call->conn,
	    NULL, NULL, NULL, hv_libvirt_virttype(call, call->host.caps_xml), 0);
	if (virNodeGetInfo(call->conn, &info) < 0)
		return (-1);
	call->host.memory_kib = info.memory;
	call->host.cpus = info.cpus;
	if ((free_bytes = virNodeGetFreeMemory(call->conn)) == 0)
		return (-1);
	call->host.free_kib = free_bytes / 1024;
	return (0);
}

/*
 * Migrate on a connection of the call's own, opened here and closed when
 * the call returns, so the node's connection stays free for the job
 * statistics and the abort meanwhile (worker).  Fills call->error.
 */
static int
hv_libvirt_call_migrate_own(struct hv_libvirt_call *call)
{
	virConnectPtr	conn;
	virDomainPtr	dom = NULL;
	int		rc = -1;

	if ((conn = virConnectOpen(call->open_uri)) == NULL) {
		call->error = hv_libvirt_error();
		return (-1);
	}
	if (call->keepalive_interval > 0 && virConnectSetKeepAlive(conn,
	    call->keepalive_interval, call->keepalive_count) < 0)
		log_debug("no keepalive on '%s': %s", call->open_uri,
		    virGetLastErrorMessage());
	if ((dom = virDomainLookupByName(conn, call->vm)) != NULL)
		rc = hv_libvirt_call_migrate(call, dom);
	if (rc < 0)
		call->error = hv_libvirt_error();
	if (dom != NULL)
		virDomainFree(dom);
	virConnectClose(conn);
	return (rc);
}

/* Run one call against its own connection reference (worker). */
static void
hv_libvirt_call_work(void *arg)
{
	struct hv_libvirt_call	*call = arg;
	virDomainPtr		 dom = NULL;
	int			 rc = -1;

	/*
	 * Already answered "timed out" while queued: running it now could,
	 * say, abort a newer job of the same domain.
	 */
	if (__atomic_load_n(&call->expired, __ATOMIC_ACQUIRE))
		goto out;
	if (call->kind == HV_LIBVIRT_MIGRATE) {
		rc = hv_libvirt_call_migrate_own(call);
		goto out;
	}
	/*
	 * Never talk on a connection keepalive has closed: libvirt 9.0 can
	 * crash doing I/O on it while another thread closes it.
	 */
	if (virConnectIsAlive(call->conn) != 1) {
		call->error = xstrdup("connection lost (keepalive or peer "
		    "closed it)");
		call->conn_dead = 1;
		goto done;
	}
	switch (call->kind) {
	case HV_LIBVIRT_LIST:
		rc = hv_libvirt_call_list(call);
		goto out;
	case HV_LIBVIRT_HOST:
		rc = hv_libvirt_call_host(call);
		goto out;
	case HV_LIBVIRT_COMPARE:
		rc = virConnectCompareHypervisorCPU(call->conn, NULL, NULL,
		    NULL, hv_libvirt_virttype(call, NULL), call->cpu_xml, 0);
		if (rc >= 0) {
			call->compatible = (rc != VIR_CPU_COMPARE_INCOMPATIBLE);
			rc = 0;
		}
		goto out;
	default:
		break;
	}
	if ((dom = virDomainLookupByName(call->conn, call->vm)) == NULL) {
		if (call->kind == HV_LIBVIRT_DOM_STATE &&
		    virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
			call->dom_state = HV_DOM_ABSENT;
			rc = 0;
		}
		goto out;
	}

	switch (call->kind) {
	case HV_LIBVIRT_JOB_STATS:
		rc = hv_libvirt_call_job_stats(call, dom);
		break;
	case HV_LIBVIRT_JOB_ABORT:
		rc = virDomainAbortJob(dom);
		break;
	case HV_LIBVIRT_MIGRATE:
	case HV_LIBVIRT_LIST:
	case HV_LIBVIRT_HOST:
	case HV_LIBVIRT_COMPARE:
		break;		/* handled above */
	case HV_LIBVIRT_DOM_STATE:
		rc = hv_libvirt_call_dom_state(call, dom);
		/* Undefined between the lookup and the question. */
		if (rc < 0 && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
			call->dom_state = HV_DOM_ABSENT;
			rc = 0;
		}
		break;
	}

out:
	if (rc < 0 && call->error == NULL) {
		call->error = hv_libvirt_error();
		/* A dead connection may never call the close callback. */
		if (call->conn != NULL)
			call->conn_dead = (virConnectIsAlive(call->conn) == 0);
	}
done:
	call->rc = rc;
	if (dom != NULL)
		virDomainFree(dom);
	if (call->conn != NULL)
		virConnectClose(call->conn);
	call->conn = NULL;
}

/* A call returned from its worker (loop). */
static void
hv_libvirt_call_done(void *arg)
{
	struct hv_libvirt_call	*call = arg;
	struct hv_node		*node = call->node;

	TAILQ_REMOVE(&node->running, call, entry);
	if (call->deadline != NULL)
		event_del(call->deadline);
	if (call->kind != HV_LIBVIRT_MIGRATE) {
		if (node->busy == call)
			node->busy = NULL;
		hv_libvirt_teardown_resume(node, call->gen);
	}
	/*
	 * libvirt does not always call the close callback when keepalive
	 * closes a connection a thread is waiting on (a migration call):
	 * a call that failed on a dead connection of this generation says
	 * it instead.
	 */
	if (call->conn_dead && !node->dead && node->state == HV_LIBVIRT_UP &&
	    call->gen == node->gen) {
		/* As the close callback would: handled from the loop. */
		pthread_mutex_lock(&node->lost_lock);
		if (call->gen > node->lost_gen) {
			node->lost_gen = call->gen;
			node->lost_reason = VIR_CONNECT_CLOSE_REASON_KEEPALIVE;
		}
		pthread_mutex_unlock(&node->lost_lock);
		event_active(node->close_ev, EV_READ, 0);
	}
	if (!call->answered && !node->dead)
		hv_libvirt_call_answer(call, call->rc, call->error);
	else if (!node->dead)
		log_debug("node '%s': late result for domain '%s' dropped",
		    node->name, call->vm);
	hv_libvirt_call_dispatch(node);
	hv_libvirt_call_free(call);
}

/* Give the connection to the next waiting call, if it is free (loop). */
static void
hv_libvirt_call_dispatch(struct hv_node *node)
{
	struct hv_libvirt_call	*call;

	while (!node->dead && node->state == HV_LIBVIRT_UP &&
	    node->busy == NULL && (call = TAILQ_FIRST(&node->waiting)) != NULL) {
		TAILQ_REMOVE(&node->waiting, call, entry);
		if (call->answered) {	/* its deadline passed meanwhile */
			hv_libvirt_call_free(call);
			continue;
		}
		call->conn = node->conn;
		call->gen = node->gen;
		virConnectRef(call->conn);
		node->busy = call;
		TAILQ_INSERT_TAIL(&node->running, call, entry);
		workers_submit(node->workers, hv_libvirt_call_work,
		    hv_libvirt_call_done, call);
	}
}

/*
 * Start CALL: a migration on a thread and a connection of its own, any
 * other call in line for the node's connection; fail it from the loop if
 * the node is down.
 */
static void
hv_libvirt_call_start(struct hv_node *node, struct hv_libvirt_call *call)
{
	struct timeval	tv;

	call->node = node;
	node->refs++;

	/* A caller's bug: nobody is listening any more. */
	if (node->dead) {
		log_error("node '%s': call after the node was freed",
		    node->name);
		hv_libvirt_call_free(call);
		return;
	}

	if (node->state != HV_LIBVIRT_UP) {
		xasprintf(&call->error, "node '%s' is not connected",
		    node->name);
		TAILQ_INSERT_TAIL(&node->failing, call, entry);
		event_active(node->fail_ev, EV_READ, 0);
		return;
	}

	call->virt_type = node->virt_type;
	if (call->kind == HV_LIBVIRT_MIGRATE) {
		call->gen = node->gen;
		call->open_uri = xstrdup(node->uri);
		call->keepalive_interval = node->keepalive_interval;
		call->keepalive_count = node->keepalive_count;
		TAILQ_INSERT_TAIL(&node->running, call, entry);
		workers_spawn(node->workers, hv_libvirt_call_work,
		    hv_libvirt_call_done, call);
		return;
	}
	if (node->call_timeout > 0) {
		call->deadline = evtimer_new(node->base, hv_libvirt_call_timer,
		    call);
		tv.tv_sec = node->call_timeout;
		tv.tv_usec = 0;
		evtimer_add(call->deadline, &tv);
	}
	TAILQ_INSERT_TAIL(&node->waiting, call, entry);
	hv_libvirt_call_dispatch(node);
}

/* Make a call of KIND on domain VM. */
static struct hv_libvirt_call *
hv_libvirt_call_create(enum hv_libvirt_kind kind, const char *vm, void *arg)
{
	struct hv_libvirt_call	*call;

	call = xcalloc(1, sizeof *call);
	call->kind = kind;
	call->vm = xstrdup(vm);
	call->arg = arg;
	call->rc = -1;
	call->dom_state = HV_DOM_OTHER;
	return (call);
}

/* Start a live peer-to-peer migration of VM (no deadline). */
static void
hv_libvirt_migrate(struct hv_node *node, const char *vm,
    const struct hv_migrate_params *params, hv_done_cb cb, void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_MIGRATE, vm, arg);
	call->done_cb = cb;
	call->dconnuri = xstrdup(params->dconnuri != NULL ?
	    params->dconnuri : "");
	if (params->uri != NULL && params->uri[0] != '\0')
		call->uri = xstrdup(params->uri);
	call->bandwidth = params->bandwidth;
	hv_libvirt_call_start(node, call);
}

/* Sample VM's current job. */
static void
hv_libvirt_job_stats(struct hv_node *node, const char *vm, hv_stats_cb cb,
    void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_JOB_STATS, vm, arg);
	call->stats_cb = cb;
	hv_libvirt_call_start(node, call);
}

/* Abort VM's current job. */
static void
hv_libvirt_job_abort(struct hv_node *node, const char *vm, hv_done_cb cb,
    void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_JOB_ABORT, vm, arg);
	call->done_cb = cb;
	hv_libvirt_call_start(node, call);
}

/* Find where VM stands on the node. */
static void
hv_libvirt_dom_state(struct hv_node *node, const char *vm, hv_state_cb cb,
    void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_DOM_STATE, vm, arg);
	call->state_cb = cb;
	hv_libvirt_call_start(node, call);
}

/* Every domain of the node, with state and XML. */
static void
hv_libvirt_list_domains(struct hv_node *node, hv_domains_cb cb, void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_LIST, "", arg);
	call->domains_cb = cb;
	hv_libvirt_call_start(node, call);
}

/* What the node says of itself. */
static void
hv_libvirt_host_info(struct hv_node *node, hv_host_cb cb, void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_HOST, "", arg);
	call->host_cb = cb;
	hv_libvirt_call_start(node, call);
}

/* Can the node's hypervisor run CPU_XML? */
static void
hv_libvirt_compare_cpu(struct hv_node *node, const char *cpu_xml,
    hv_compare_cb cb, void *arg)
{
	struct hv_libvirt_call	*call;

	call = hv_libvirt_call_create(HV_LIBVIRT_COMPARE, "", arg);
	call->compare_cb = cb;
	call->cpu_xml = xstrdup(cpu_xml);
	hv_libvirt_call_start(node, call);
}

const struct hv_ops hv_libvirt_ops = {
	.name = "libvirt",
	.node_create = hv_libvirt_node_create,
	.node_free = hv_libvirt_node_free,
	.node_is_up = hv_libvirt_node_is_up,
	.migrate = hv_libvirt_migrate,
	.job_stats = hv_libvirt_job_stats,
	.job_abort = hv_libvirt_job_abort,
	.dom_state = hv_libvirt_dom_state,
	.list_domains = hv_libvirt_list_domains,
	.host_info = hv_libvirt_host_info,
	.compare_cpu = hv_libvirt_compare_cpu,
};
