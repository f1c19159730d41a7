/*
 * evac-metrics.c: the evacuations this replica leads as Prometheus text
 * (GET /metrics).  The leader drives every evacuation, so its scrape is
 * the cluster's view; the other replicas report ferry_evacuation_leader 0
 * and no samples.
 */

#include <sys/queue.h>

#include <event2/buffer.h>
#include <stddef.h>

#include "ferry/evac.h"
#include "ferry/evac-priv.h"

/*
 * Sample NAME of EV, its labels left open: NAME{evacuation="",node=""
 * (ids and node names need no escaping).
 */
static void
evac_metrics_labels(struct evbuffer *b, const char *name,
    const struct evac *ev)
{
	evbuffer_add_printf(b, "%s{evacuation=\"%s\",node=\"%s\"", name,
	    ev->rec.id, ev->rec.node);
}

void
evac_metrics(struct evac_mgr *e, struct evbuffer *b)
{
	const struct evac	*ev;
	struct evac_counts	 c;
	int			 p;

	if (e == NULL)
		return;
	evbuffer_add_printf(b, "# HELP ferry_evacuation_leader "
	    "1 if this replica leads the evacuations.\n"
	    "# TYPE ferry_evacuation_leader gauge\n"
	    "ferry_evacuation_leader %d\n", e->leader ? 1 : 0);

	evbuffer_add_printf(b, "# HELP ferry_evacuation_vms VMs of an "
	    "evacuation by state: total, succeeded (moved), failed (remain), "
	    "active (waiting for or in a migration).\n"
	    "# TYPE ferry_evacuation_vms gauge\n");
	TAILQ_FOREACH(ev, &e->evacs, entry) {
		if (ev->dead)
			continue;
		evac_record_count(&ev->rec, &c);
		evac_metrics_labels(b, "ferry_evacuation_vms", ev);
		evbuffer_add_printf(b, ",state=\"total\"} %zu\n", c.total);
		evac_metrics_labels(b, "ferry_evacuation_vms", ev);
		evbuffer_add_printf(b, ",state=\"succeeded\"} %zu\n",
		    c.succeeded);
		evac_metrics_labels(b, "ferry_evacuation_vms", ev);
		evbuffer_add_printf(b, ",state=\"failed\"} %zu\n", c.failed);
		evac_metrics_labels(b, "ferry_evacuation_vms", ev);
		evbuffer_add_printf(b, ",state=\"active\"} %zu\n", c.active);
	}

	evbuffer_add_printf(b, "# HELP ferry_evacuation_phase 1 for the "
	    "phase an evacuation is in.\n"
	    "# TYPE ferry_evacuation_phase gauge\n");
	TAILQ_FOREACH(ev, &e->evacs, entry) {
		if (ev->dead)
			continue;
		for (p = EVAC_RUNNING; p <= EVAC_CANCELLED; p++) {
			evac_metrics_labels(b, "ferry_evacuation_phase", ev);
			evbuffer_add_printf(b, ",phase=\"%s\"} %d\n",
			    evac_phase_name(p), (int)ev->rec.phase == p);
		}
	}

	evbuffer_add_printf(b, "# HELP ferry_evacuation_start_time_seconds "
	    "When an evacuation started, Unix time.\n"
	    "# TYPE ferry_evacuation_start_time_seconds gauge\n");
	TAILQ_FOREACH(ev, &e->evacs, entry) {
		if (ev->dead)
			continue;
		evac_metrics_labels(b, "ferry_evacuation_start_time_seconds",
		    ev);
		evbuffer_add_printf(b, "} %llu.%03llu\n",
		    (unsigned long long)(ev->rec.created / 1000),
		    (unsigned long long)(ev->rec.created % 1000));
	}
}
