/*
 * mig-metrics.c: this replica's migrations as Prometheus text (GET
 * /metrics), named after KubeVirt's migration metrics with the ferry_
 * prefix.  Each replica reports what it drives and what it concluded;
 * sum the counters across replicas for the cluster.
 */

#include <event2/buffer.h>
#include <stddef.h>
#include <string.h>

#include "ferry/mig-priv.h"
#include "ferry/store.h"
#include "ferry/util.h"

#define MIG_METRICS_KEEP_MS	(60 * 60 * 1000) /* ended ones shown, ms */

/* One gauge family of per-migration values, VALUE picked by FIELD. */
struct mig_metric {
	const char	*name;		/* ferry_... */
	const char	*help;
	size_t		 offset;	/* of a uint64_t in struct mig_stats */
	uint64_t	 scale;		/* multiply by (dirty pages -> bytes) */
};

static const struct mig_metric mig_metrics[] = {
	{ "ferry_migration_data_total_bytes",
	  "Bytes the migration has to move in all.",
	  offsetof(struct mig_stats, data_total), 1 },
	{ "ferry_migration_data_processed_bytes",
	  "Bytes moved so far.",
	  offsetof(struct mig_stats, data_processed), 1 },
	{ "ferry_migration_data_remaining_bytes",
	  "Bytes still to move.",
	  offsetof(struct mig_stats, data_remaining), 1 },
	{ "ferry_migration_dirty_memory_rate_bytes",
	  "Rate the guest dirties memory, bytes per second (4 KiB pages).",
	  offsetof(struct mig_stats, dirty_rate), 4096 },
	{ "ferry_migration_memory_transfer_rate_bytes",
	  "Rate memory is sent, bytes per second.",
	  offsetof(struct mig_stats, memory_bps), 1 },
};

/* Labels of M: {migration="",vm="",source="",target=""}. */
static void
mig_metrics_labels(struct evbuffer *b, const struct mig *m)
{
	/* Names are util_name_valid(): nothing to escape. */
	evbuffer_add_printf(b, "{migration=\"%s\",vm=\"%s\",source=\"%s\","
	    "target=\"%s\"}", m->rec.name, m->rec.vm, m->rec.source,
	    m->rec.target);
}

/*
 * Gauge NAME: the wall ms at OFFSET in each record, as Unix seconds; of
 * migrations that ended, only those of the last MIG_METRICS_KEEP_MS, so
 * that a long-running replica's scrape does not grow with its history.
 */
static void
mig_metrics_time(struct evbuffer *b, struct mig_mgr *mgr, const char *name,
    const char *help, size_t offset)
{
	const struct mig	*m;
	uint64_t		 ms, now = util_wall_ms();

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
	    name);
	TAILQ_FOREACH(m, &mgr->migs, entry) {
		ms = *(const uint64_t *)((const char *)&m->rec + offset);
		if (m->disowned || ms == 0)
			continue;
		if (m->rec.ended != 0 && m->rec.ended + MIG_METRICS_KEEP_MS <
		    now)
			continue;
		evbuffer_add_printf(b, "%s", name);
		mig_metrics_labels(b, m);
		evbuffer_add_printf(b, " %.3f\n", ms / 1000.0);
	}
}

/* This replica's metrics; caller frees the buffer. */
struct evbuffer *
mig_mgr_metrics(struct mig_mgr *mgr)
{
	struct evbuffer		*b = evbuffer_new();
	const struct mig	*m;
	const uint64_t		*v;
	size_t			 i;
	int			 n[MIG_NSTATES] = { 0 };
	enum mig_state		 st;

	for (i = 0; i < nitems(mig_metrics); i++) {
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n",
		    mig_metrics[i].name, mig_metrics[i].help,
		    mig_metrics[i].name);
		TAILQ_FOREACH(m, &mgr->migs, entry) {
			if (m->disowned || !mig_state_active(m->rec.state))
				continue;
			v = (const uint64_t *)((const char *)&m->rec.stats +
			    mig_metrics[i].offset);
			evbuffer_add_printf(b, "%s", mig_metrics[i].name);
			mig_metrics_labels(b, m);
			evbuffer_add_printf(b, " %llu\n",
			    (unsigned long long)(*v * mig_metrics[i].scale));
		}
	}
	mig_metrics_time(b, mgr, "ferry_migration_start_time_seconds",
	    "When copying began (Unix time).",
	    offsetof(struct mig_record, started));
	mig_metrics_time(b, mgr, "ferry_migration_end_time_seconds",
	    "When the migration ended (Unix time).",
	    offsetof(struct mig_record, ended));

	TAILQ_FOREACH(m, &mgr->migs, entry) {
		if (!m->disowned)
			n[m->rec.state]++;
	}
	evbuffer_add_printf(b, "# HELP ferry_migrations_in_phase Migrations "
	    "this replica drives, by phase.\n"
	    "# TYPE ferry_migrations_in_phase gauge\n");
	for (st = 0; st < MIG_NSTATES; st++) {
		if (!mig_state_final(st))
			evbuffer_add_printf(b, "ferry_migrations_in_phase"
			    "{phase=\"%s\"} %d\n", mig_state_name(st), n[st]);
	}
	evbuffer_add_printf(b, "# HELP ferry_migrations_total Migrations "
	    "this replica concluded since it started, by final phase.\n"
	    "# TYPE ferry_migrations_total counter\n");
	for (st = 0; st < MIG_NSTATES; st++) {
		if (mig_state_final(st))
			evbuffer_add_printf(b, "ferry_migrations_total"
			    "{phase=\"%s\"} %llu\n", mig_state_name(st),
			    (unsigned long long)mgr->finished[st]);
	}
	evbuffer_add_printf(b, "# HELP ferry_migration_phase_seconds Time "
	    "migrations spent in each phase they left.\n"
	    "# TYPE ferry_migration_phase_seconds summary\n");
	for (st = 0; st < MIG_NSTATES; st++) {
		if (mig_state_final(st))
			continue;
		evbuffer_add_printf(b, "ferry_migration_phase_seconds_sum"
		    "{phase=\"%s\"} %.3f\n", mig_state_name(st),
		    mgr->phase_ms[st] / 1000.0);
		evbuffer_add_printf(b, "ferry_migration_phase_seconds_count"
		    "{phase=\"%s\"} %llu\n", mig_state_name(st),
		    (unsigned long long)mgr->phase_n[st]);
	}

	evbuffer_add_printf(b, "# HELP ferry_node_up Whether this replica is "
	    "connected to the node.\n# TYPE ferry_node_up gauge\n");
	for (i = 0; i < mgr->nnodes; i++)
		evbuffer_add_printf(b, "ferry_node_up{node=\"%s\"} %d\n",
		    mgr->nodes[i].name, mgr->nodes[i].up);
	evbuffer_add_printf(b, "# HELP ferry_node_cordoned Whether the node "
	    "is drained (no migration targets it).\n"
	    "# TYPE ferry_node_cordoned gauge\n");
	for (i = 0; i < mgr->nnodes; i++)
		evbuffer_add_printf(b, "ferry_node_cordoned{node=\"%s\"} %d\n",
		    mgr->nodes[i].name, mgr->nodes[i].cordoned);
	evbuffer_add_printf(b, "# HELP ferry_redis_up Whether Redis is "
	    "reachable.\n# TYPE ferry_redis_up gauge\nferry_redis_up %d\n",
	    store_is_up(mgr->store));
	return (b);
}
