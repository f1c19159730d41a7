/*
 * test-mig-metrics.c: /metrics from a manager's migrations: labelled
 * progress of active ones, start and end times of the recent ones only,
 * phase counts, node health.  The manager is built bare (no loop, no
 * Redis): only what mig_mgr_metrics reads.
 */
#include <sys/queue.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "ferry/mig-priv.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* A migration of VM in STATE, ENDED_AGO_MS ago (0: not ended). */
static struct mig *
t_mig(struct mig_mgr *mgr, const char *name, enum mig_state state,
    uint64_t ended_ago_ms)
{
	struct mig	*m = xcalloc(1, sizeof *m);
	uint64_t	 now = util_wall_ms();

	m->mgr = mgr;
	m->rec.name = xstrdup(name);
	m->rec.vm = xstrdup("vm1");
	m->rec.source = xstrdup("node-a");
	m->rec.target = xstrdup("node-b");
	m->rec.state = state;
	m->rec.started = now - ended_ago_ms - 5000;
	m->rec.ended = ended_ago_ms != 0 ? now - ended_ago_ms : 0;
	m->rec.stats.data_total = 1000;
	m->rec.stats.data_processed = 400;
	TAILQ_INSERT_TAIL(&mgr->migs, m, entry);
	return (m);
}

/* The whole text of mig_mgr_metrics(MGR); caller frees. */
static char *
t_text(struct mig_mgr *mgr)
{
	struct evbuffer	*b = mig_mgr_metrics(mgr);
	size_t		 len = evbuffer_get_length(b);
	char		*s = xmalloc(len + 1);

	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

static void
mig_mgr_metrics__migrations__recent_times_and_active_progress(void **state)
{
	struct mig_mgr	 mgr;
	struct mig	*m;
	char		*s;

	memset(&mgr, 0, sizeof mgr);
	TAILQ_INIT(&mgr.migs);
	t_mig(&mgr, "run-aaaaa", MIG_COPYING, 0);
	t_mig(&mgr, "new-bbbbb", MIG_SUCCEEDED, 10 * 1000);
	t_mig(&mgr, "old-ccccc", MIG_FAILED, 2 * 60 * 60 * 1000);
	mgr.finished[MIG_SUCCEEDED] = 1;
	mgr.finished[MIG_FAILED] = 1;
	s = t_text(&mgr);

	/* Progress: the active one only. */
	assert_non_null(strstr(s, "ferry_migration_data_processed_bytes"
	    "{migration=\"run-aaaaa\",vm=\"vm1\",source=\"node-a\","
	    "target=\"node-b\"} 400\n"));
	assert_null(strstr(s, "data_processed_bytes{migration=\"new-bbbbb\""));
	/* Times: active and ended in the last hour, not two hours ago. */
	assert_non_null(strstr(s,
	    "ferry_migration_start_time_seconds{migration=\"run-aaaaa\""));
	assert_non_null(strstr(s,
	    "ferry_migration_end_time_seconds{migration=\"new-bbbbb\""));
	assert_null(strstr(s, "old-ccccc"));
	/* Counts and health still there. */
	assert_non_null(strstr(s,
	    "ferry_migrations_in_phase{phase=\"copying\"} 1\n"));
	assert_non_null(strstr(s,
	    "ferry_migrations_total{phase=\"failed\"} 1\n"));
	assert_non_null(strstr(s, "ferry_redis_up 0\n"));
	free(s);

	while ((m = TAILQ_FIRST(&mgr.migs)) != NULL) {
		TAILQ_REMOVE(&mgr.migs, m, entry);
		mig_record_clear(&m->rec);
		free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    mig_mgr_metrics__migrations__recent_times_and_active_progress),
	};

	return (cmocka_run_group_tests_name("mig-metrics", tests, NULL, NULL));
}
