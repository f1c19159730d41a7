/* test-mig-fsm.c: walk every (state, event) pair of the transition table. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/mig-fsm.h"

/*
 * The expected table, written out independently of mig-fsm.c: for each
 * state and event, the destination for the facts (no abort, no stop
 * reason), or -1 when the pair must be refused.
 */
static int
expect_to(enum mig_state s, enum mig_event e, int aborting, int stopping)
{
	switch (s) {
	case MIG_PENDING:
		switch (e) {
		case MIG_EV_SLOT_GRANTED: return (MIG_SCHEDULING);
		case MIG_EV_ABORT_REQUESTED: return (MIG_ABORTED);
		case MIG_EV_EVACUATION_CANCELLED: return (MIG_ABORTED);
		case MIG_EV_PENDING_TIMEOUT: return (MIG_FAILED);
		case MIG_EV_CONNECTION_LOST: return (MIG_PENDING);
		case MIG_EV_ADOPTED: return (MIG_PENDING);
		default: return (-1);
		}
	case MIG_SCHEDULING:
		switch (e) {
		case MIG_EV_TARGET_CHOSEN: return (MIG_COPYING);
		case MIG_EV_NO_TARGET: return (MIG_PENDING);
		case MIG_EV_UNSCHEDULABLE: return (MIG_FAILED);
		case MIG_EV_TARGET_CHECK_FAILED: return (MIG_FAILED);
		case MIG_EV_ABORT_REQUESTED: return (MIG_ABORTED);
		case MIG_EV_EVACUATION_CANCELLED: return (MIG_ABORTED);
		case MIG_EV_CONNECTION_LOST: return (MIG_PENDING);
		case MIG_EV_ADOPTED: return (MIG_SCHEDULING);
		default: return (-1);
		}
	case MIG_COPYING:
		switch (e) {
		case MIG_EV_JOB_STARTED:
		case MIG_EV_STATS:
		case MIG_EV_ITERATION:
		case MIG_EV_ABORT_REQUESTED:
		case MIG_EV_CONNECTION_LOST:
		case MIG_EV_ADOPTED:
			return (MIG_COPYING);
		case MIG_EV_PROGRESS_TIMEOUT:
		case MIG_EV_COMPLETION_TIMEOUT:
			return (stopping ? -1 : MIG_COPYING);
		case MIG_EV_SWITCHOVER: return (MIG_COMPLETING);
		case MIG_EV_JOB_ENDED:
			return (stopping ? MIG_COPYING : MIG_COMPLETING);
		case MIG_EV_ON_TARGET: return (MIG_SUCCEEDED);
		case MIG_EV_ON_SOURCE:
			return (aborting ? MIG_ABORTED : MIG_FAILED);
		case MIG_EV_ON_NEITHER: return (MIG_FAILED);
		default: return (-1);
		}
	case MIG_COMPLETING:
		switch (e) {
		case MIG_EV_STATS:
		case MIG_EV_ITERATION:
		case MIG_EV_SWITCHOVER:
		case MIG_EV_JOB_ENDED:
		case MIG_EV_CONNECTION_LOST:
		case MIG_EV_ADOPTED:
			return (MIG_COMPLETING);
		case MIG_EV_ON_TARGET: return (MIG_SUCCEEDED);
		case MIG_EV_ON_SOURCE:
			/* An abort that lost the race to the switchover. */
			return (aborting ? MIG_ABORTED : MIG_FAILED);
		case MIG_EV_ON_NEITHER: return (MIG_FAILED);
		default: return (-1);	/* abort is refused: too late */
		}
	case MIG_SUCCEEDED:
	case MIG_ABORTED:
	case MIG_FAILED:
	case MIG_NSTATES:
		return (-1);
	}
	return (-1);
}

/* Every (state, event, facts) combination matches the expectation. */
static void
mig_fsm_lookup__every_pair__matches_expected(void **state)
{
	struct mig_fsm_facts		 f;
	const struct mig_fsm_row	*r;
	int				 s, e, a, st, want;

	for (a = 0; a < 2; a++) {
		for (st = 0; st < 2; st++) {
			f.abort_requested = a;
			f.stop_reason = st ? MIG_REASON_PROGRESS_TIMEOUT :
			    MIG_REASON_NONE;
			for (s = 0; s < MIG_NSTATES; s++) {
				for (e = 0; e < MIG_NEVENTS; e++) {
					r = mig_fsm_lookup(s, e, &f);
					want = expect_to(s, e, a, st);
					if (want == -1) {
						if (r != NULL)
							fail_msg("%s/%s valid",
							    mig_state_name(s),
							    mig_event_name(e));
						continue;
					}
					if (r == NULL)
						fail_msg("%s/%s refused",
						    mig_state_name(s),
						    mig_event_name(e));
					assert_int_equal(r->to, want);
				}
			}
		}
	}
}

/* Final states get a reason; the stop reason is used where the row says. */
static void
mig_fsm_lookup__final_rows__carry_reasons(void **state)
{
	struct mig_fsm_facts		 f = { 0, MIG_REASON_NONE };
	const struct mig_fsm_row	*r;

	r = mig_fsm_lookup(MIG_PENDING, MIG_EV_ABORT_REQUESTED, &f);
	assert_int_equal(r->reason, MIG_REASON_ABORT_REQUESTED);
	r = mig_fsm_lookup(MIG_PENDING, MIG_EV_EVACUATION_CANCELLED, &f);
	assert_int_equal(r->reason, MIG_REASON_EVACUATION_CANCELLED);
	r = mig_fsm_lookup(MIG_SCHEDULING, MIG_EV_UNSCHEDULABLE, &f);
	assert_int_equal(r->reason, MIG_REASON_UNSCHEDULABLE);
	r = mig_fsm_lookup(MIG_COPYING, MIG_EV_ON_SOURCE, &f);
	assert_int_equal(r->reason, MIG_REASON_MIGRATION_ERROR);
	f.stop_reason = MIG_REASON_COMPLETION_TIMEOUT;
	r = mig_fsm_lookup(MIG_COPYING, MIG_EV_ON_SOURCE, &f);
	assert_int_equal(r->reason, MIG_REASON_STOP);
	f.abort_requested = 1;
	r = mig_fsm_lookup(MIG_COPYING, MIG_EV_ON_SOURCE, &f);
	assert_int_equal(r->to, MIG_ABORTED);
	assert_int_equal(r->reason, MIG_REASON_ABORT_REQUESTED);
}

/* Actions: timeouts and aborts in copying abort the job. */
static void
mig_fsm_lookup__copying_stops__abort_job(void **state)
{
	struct mig_fsm_facts	f = { 0, MIG_REASON_NONE };

	assert_int_equal(mig_fsm_lookup(MIG_COPYING, MIG_EV_ABORT_REQUESTED,
	    &f)->action, MIG_ACT_ABORT_JOB);
	assert_int_equal(mig_fsm_lookup(MIG_COPYING, MIG_EV_PROGRESS_TIMEOUT,
	    &f)->action, MIG_ACT_ABORT_JOB);
	assert_int_equal(mig_fsm_lookup(MIG_COPYING,
	    MIG_EV_COMPLETION_TIMEOUT, &f)->action, MIG_ACT_ABORT_JOB);
	assert_int_equal(mig_fsm_lookup(MIG_COPYING, MIG_EV_JOB_ENDED,
	    &f)->action, MIG_ACT_CONCLUDE);
	assert_int_equal(mig_fsm_lookup(MIG_SCHEDULING, MIG_EV_TARGET_CHOSEN,
	    &f)->action, MIG_ACT_START_JOB);
}

/* Every row's states and events are in range and names are complete. */
static void
mig_fsm_table__rows__well_formed(void **state)
{
	unsigned int	i;
	int		n;
	enum mig_state	s;
	enum mig_reason	r;

	for (i = 0; i < mig_fsm_nrows; i++) {
		assert_true(mig_fsm_table[i].from < MIG_NSTATES);
		assert_true(mig_fsm_table[i].to < MIG_NSTATES);
		assert_true(mig_fsm_table[i].event < MIG_NEVENTS);
		assert_false(mig_state_final(mig_fsm_table[i].from));
		if (mig_state_final(mig_fsm_table[i].to))
			assert_int_not_equal(mig_fsm_table[i].reason ==
			    MIG_REASON_NONE && mig_fsm_table[i].to !=
			    MIG_SUCCEEDED, 1);
	}
	for (n = 0; n < MIG_NSTATES; n++) {
		assert_int_equal(mig_state_parse(mig_state_name(n), &s), 0);
		assert_int_equal(s, n);
	}
	for (n = 0; n < MIG_NREASONS; n++) {
		assert_int_equal(mig_reason_parse(mig_reason_name(n), &r), 0);
		assert_int_equal(r, n);
	}
	for (n = 0; n < MIG_NEVENTS; n++)
		assert_non_null(mig_event_name(n));
	assert_int_equal(mig_state_parse("copyin", &s), -1);
	assert_string_equal(mig_state_name(MIG_NSTATES), "unknown");
	assert_true(mig_state_active(MIG_COMPLETING));
	assert_false(mig_state_active(MIG_FAILED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mig_fsm_lookup__every_pair__matches_expected),
		cmocka_unit_test(mig_fsm_lookup__final_rows__carry_reasons),
		cmocka_unit_test(mig_fsm_lookup__copying_stops__abort_job),
		cmocka_unit_test(mig_fsm_table__rows__well_formed),
	};

	return (cmocka_run_group_tests_name("mig-fsm", tests, NULL, NULL));
}
