/*
 * mig-fsm.c: the migration transition table.  Rows are tried in order; the
 * first whose (from, event, guard) matches wins.  A pair with no row is
 * invalid: the caller refuses and logs it.
 */

#include <string.h>

#include "ferry/mig-fsm.h"
#include "ferry/util.h"

#define ROW(f, e, g, a, t, r) {						\
	.from = MIG_##f, .event = MIG_EV_##e, .guard = MIG_GUARD_##g,	\
	.action = MIG_ACT_##a, .to = MIG_##t, .reason = MIG_REASON_##r	\
}

const struct mig_fsm_row mig_fsm_table[] = {
	/* pending: waiting for a slot. */
	ROW(PENDING, SLOT_GRANTED, NONE, SCHEDULE, SCHEDULING, NONE),
	ROW(PENDING, ABORT_REQUESTED, NONE, NONE, ABORTED, ABORT_REQUESTED),
	ROW(PENDING, EVACUATION_CANCELLED, NONE, NONE, ABORTED,
	    EVACUATION_CANCELLED),
	ROW(PENDING, PENDING_TIMEOUT, NONE, NONE, FAILED, PENDING_TIMEOUT),
	ROW(PENDING, CONNECTION_LOST, NONE, NONE, PENDING, NONE),
	ROW(PENDING, ADOPTED, NONE, NONE, PENDING, NONE),

	/* scheduling: choosing and checking the target. */
	ROW(SCHEDULING, TARGET_CHOSEN, NONE, START_JOB, COPYING, NONE),
	ROW(SCHEDULING, NO_TARGET, NONE, BACKOFF, PENDING, NONE),
	ROW(SCHEDULING, UNSCHEDULABLE, NONE, NONE, FAILED, UNSCHEDULABLE),
	ROW(SCHEDULING, TARGET_CHECK_FAILED, NONE, NONE, FAILED,
	    TARGET_CHECK_FAILED),
	ROW(SCHEDULING, ABORT_REQUESTED, NONE, NONE, ABORTED, ABORT_REQUESTED),
	ROW(SCHEDULING, EVACUATION_CANCELLED, NONE, NONE, ABORTED,
	    EVACUATION_CANCELLED),
	ROW(SCHEDULING, CONNECTION_LOST, NONE, BACKOFF, PENDING, NONE),
	ROW(SCHEDULING, ADOPTED, NONE, SCHEDULE, SCHEDULING, NONE),

	/* copying: the job runs on the source. */
	ROW(COPYING, JOB_STARTED, NONE, NONE, COPYING, NONE),
	ROW(COPYING, STATS, NONE, PROGRESS, COPYING, NONE),
	ROW(COPYING, ITERATION, NONE, PROGRESS, COPYING, NONE),
	ROW(COPYING, SWITCHOVER, NONE, NONE, COMPLETING, NONE),
	ROW(COPYING, JOB_ENDED, STOPPING, CONCLUDE, COPYING, NONE),
	ROW(COPYING, JOB_ENDED, NOT_STOPPING, CONCLUDE, COMPLETING, NONE),
	ROW(COPYING, ON_TARGET, NONE, NONE, SUCCEEDED, NONE),
	ROW(COPYING, ON_SOURCE, ABORTING, NONE, ABORTED, ABORT_REQUESTED),
	ROW(COPYING, ON_SOURCE, STOPPING, NONE, FAILED, STOP),
	ROW(COPYING, ON_SOURCE, NONE, NONE, FAILED, MIGRATION_ERROR),
	ROW(COPYING, ON_NEITHER, NONE, NONE, FAILED, STOP),
	ROW(COPYING, ABORT_REQUESTED, NONE, ABORT_JOB, COPYING, NONE),
	ROW(COPYING, PROGRESS_TIMEOUT, NOT_STOPPING, ABORT_JOB, COPYING, NONE),
	ROW(COPYING, COMPLETION_TIMEOUT, NOT_STOPPING, ABORT_JOB, COPYING,
	    NONE),
	ROW(COPYING, CONNECTION_LOST, NONE, WATCH, COPYING, NONE),
	ROW(COPYING, ADOPTED, NONE, WATCH, COPYING, NONE),

	/* completing: too late to abort; find where the VM runs. */
	ROW(COMPLETING, STATS, NONE, PROGRESS, COMPLETING, NONE),
	ROW(COMPLETING, ITERATION, NONE, PROGRESS, COMPLETING, NONE),
	ROW(COMPLETING, SWITCHOVER, NONE, NONE, COMPLETING, NONE),
	ROW(COMPLETING, JOB_ENDED, NONE, CONCLUDE, COMPLETING, NONE),
	ROW(COMPLETING, ON_TARGET, NONE, NONE, SUCCEEDED, NONE),
	ROW(COMPLETING, ON_SOURCE, ABORTING, NONE, ABORTED, ABORT_REQUESTED),
	ROW(COMPLETING, ON_SOURCE, STOPPING, NONE, FAILED, STOP),
	ROW(COMPLETING, ON_SOURCE, NONE, NONE, FAILED, MIGRATION_ERROR),
	ROW(COMPLETING, ON_NEITHER, NONE, NONE, FAILED, STOP),
	ROW(COMPLETING, CONNECTION_LOST, NONE, WATCH, COMPLETING, NONE),
	ROW(COMPLETING, ADOPTED, NONE, WATCH, COMPLETING, NONE),
};
const unsigned int mig_fsm_nrows = nitems(mig_fsm_table);

static const char *mig_state_names[] = {
	[MIG_PENDING] = "pending",
	[MIG_SCHEDULING] = "scheduling",
	[MIG_COPYING] = "copying",
	[MIG_COMPLETING] = "completing",
	[MIG_SUCCEEDED] = "succeeded",
	[MIG_ABORTED] = "aborted",
	[MIG_FAILED] = "failed",
};

static const char *mig_event_names[] = {
	[MIG_EV_SLOT_GRANTED] = "slot-granted",
	[MIG_EV_TARGET_CHOSEN] = "target-chosen",
	[MIG_EV_NO_TARGET] = "no-target",
	[MIG_EV_UNSCHEDULABLE] = "unschedulable",
	[MIG_EV_TARGET_CHECK_FAILED] = "target-check-failed",
	[MIG_EV_JOB_STARTED] = "job-started",
	[MIG_EV_STATS] = "stats",
	[MIG_EV_ITERATION] = "iteration",
	[MIG_EV_SWITCHOVER] = "switchover",
	[MIG_EV_JOB_ENDED] = "job-ended",
	[MIG_EV_ON_TARGET] = "on-target",
	[MIG_EV_ON_SOURCE] = "on-source",
	[MIG_EV_ON_NEITHER] = "on-neither",
	[MIG_EV_ABORT_REQUESTED] = "abort-requested",
	[MIG_EV_EVACUATION_CANCELLED] = "evacuation-cancelled",
	[MIG_EV_PROGRESS_TIMEOUT] = "progress-timeout",
	[MIG_EV_COMPLETION_TIMEOUT] = "completion-timeout",
	[MIG_EV_PENDING_TIMEOUT] = "pending-timeout",
	[MIG_EV_CONNECTION_LOST] = "connection-lost",
	[MIG_EV_ADOPTED] = "adopted",
};

static const char *mig_reason_names[] = {
	[MIG_REASON_NONE] = "",
	[MIG_REASON_UNSCHEDULABLE] = "Unschedulable",
	[MIG_REASON_PENDING_TIMEOUT] = "PendingTimeout",
	[MIG_REASON_PROGRESS_TIMEOUT] = "ProgressTimeout",
	[MIG_REASON_COMPLETION_TIMEOUT] = "CompletionTimeout",
	[MIG_REASON_NOT_CONVERGING] = "NotConverging",
	[MIG_REASON_CONNECTION_LOST] = "ConnectionLost",
	[MIG_REASON_MIGRATION_ERROR] = "MigrationError",
	[MIG_REASON_TARGET_CHECK_FAILED] = "TargetCheckFailed",
	[MIG_REASON_NON_MIGRATABLE] = "NonMigratable",
	[MIG_REASON_ABORT_REQUESTED] = "AbortRequested",
	[MIG_REASON_EVACUATION_CANCELLED] = "EvacuationCancelled",
};

/* Does GUARD hold for FACTS? */
static int
mig_fsm_guard(enum mig_guard guard, const struct mig_fsm_facts *facts)
{
	switch (guard) {
	case MIG_GUARD_NONE:
		return (1);
	case MIG_GUARD_ABORTING:
		return (facts->abort_requested);
	case MIG_GUARD_STOPPING:
		return (facts->stop_reason != MIG_REASON_NONE);
	case MIG_GUARD_NOT_STOPPING:
		return (facts->stop_reason == MIG_REASON_NONE);
	}
	return (0);
}

/* Find the row for EV in FROM given FACTS; NULL if the pair is invalid. */
const struct mig_fsm_row *
mig_fsm_lookup(enum mig_state from, enum mig_event ev,
    const struct mig_fsm_facts *facts)
{
	const struct mig_fsm_row	*r;
	unsigned int			 i;

	for (i = 0; i < mig_fsm_nrows; i++) {
		r = &mig_fsm_table[i];
		if (r->from == from && r->event == ev &&
		    mig_fsm_guard(r->guard, facts))
			return (r);
	}
	return (NULL);
}

/* Is S a final state? */
int
mig_state_final(enum mig_state s)
{
	return (s == MIG_SUCCEEDED || s == MIG_ABORTED || s == MIG_FAILED);
}

/* Is S an active (not final) state? */
int
mig_state_active(enum mig_state s)
{
	return (s < MIG_NSTATES && !mig_state_final(s));
}

/* Name of state S. */
const char *
mig_state_name(enum mig_state s)
{
	if (s >= MIG_NSTATES)
		return ("unknown");
	return (mig_state_names[s]);
}

/* Name of event EV. */
const char *
mig_event_name(enum mig_event ev)
{
	if (ev >= MIG_NEVENTS)
		return ("unknown");
	return (mig_event_names[ev]);
}

/* Name of reason R ("" for none). */
const char *
mig_reason_name(enum mig_reason r)
{
	if (r >= MIG_NREASONS)
		return ("unknown");
	return (mig_reason_names[r]);
}

/* Parse a state name; 0 on success. */
int
mig_state_parse(const char *s, enum mig_state *out)
{
	int	i;

	for (i = 0; i < MIG_NSTATES; i++) {
		if (strcmp(s, mig_state_names[i]) == 0) {
			*out = (enum mig_state)i;
			return (0);
		}
	}
	return (-1);
}

/* Parse a reason name ("" is none); 0 on success. */
int
mig_reason_parse(const char *s, enum mig_reason *out)
{
	int	i;

	for (i = 0; i < MIG_NREASONS; i++) {
		if (strcmp(s, mig_reason_names[i]) == 0) {
			*out = (enum mig_reason)i;
			return (0);
		}
	}
	return (-1);
}
