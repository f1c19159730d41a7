/*
 * mig-fsm.h: the migration state machine as one transition table.
 *
 *	pending -> scheduling -> copying -> completing -> succeeded
 *	                 \            \           \
 *	                  +------------+-----------+--> aborted | failed
 *
 * The table is pure data: mig.c fires events through mig_fsm_lookup() and
 * runs the row's action; every state change then goes through one setter
 * (mig_set_state in mig.c).
 */
#ifndef FERRY_MIG_FSM_H
#define FERRY_MIG_FSM_H

enum mig_state {
	MIG_PENDING,		/* accepted, waiting for a slot */
	MIG_SCHEDULING,		/* choosing and checking the target */
	MIG_COPYING,		/* migration job running on the source */
	MIG_COMPLETING,		/* switchover / job ended: verifying the target */
	MIG_SUCCEEDED,		/* final: VM runs on the target */
	MIG_ABORTED,		/* final: stopped on request; VM on the source */
	MIG_FAILED,		/* final: stopped for a reason; VM on the source */
	MIG_NSTATES
};

enum mig_event {
	MIG_EV_SLOT_GRANTED,		/* a cluster/node slot is ours */
	MIG_EV_TARGET_CHOSEN,		/* target checked and fit */
	MIG_EV_NO_TARGET,		/* no target fits yet: back off */
	MIG_EV_UNSCHEDULABLE,		/* no target fits, for too long */
	MIG_EV_TARGET_CHECK_FAILED,	/* the chosen target was refused */
	MIG_EV_JOB_STARTED,		/* the hypervisor accepted the job */
	MIG_EV_STATS,			/* a job-stats sample */
	MIG_EV_ITERATION,		/* a pre-copy iteration began */
	MIG_EV_SWITCHOVER,		/* source paused for the final copy / post-copy */
	MIG_EV_JOB_ENDED,		/* migration call returned (ok or not) */
	MIG_EV_ON_TARGET,		/* concluded: VM runs on the target only */
	MIG_EV_ON_SOURCE,		/* concluded: VM runs on the source only */
	MIG_EV_ON_NEITHER,		/* concluded: VM runs nowhere (or twice) */
	MIG_EV_ABORT_REQUESTED,		/* operator asked to abort */
	MIG_EV_EVACUATION_CANCELLED,	/* its evacuation was cancelled */
	MIG_EV_PROGRESS_TIMEOUT,	/* no new low of data remaining */
	MIG_EV_COMPLETION_TIMEOUT,	/* per-GiB completion budget spent */
	MIG_EV_PENDING_TIMEOUT,		/* waited too long for a slot */
	MIG_EV_CONNECTION_LOST,		/* a host connection dropped */
	MIG_EV_ADOPTED,			/* another replica took it over */
	MIG_NEVENTS
};

enum mig_reason {
	MIG_REASON_NONE,
	MIG_REASON_UNSCHEDULABLE,
	MIG_REASON_PENDING_TIMEOUT,
	MIG_REASON_PROGRESS_TIMEOUT,
	MIG_REASON_COMPLETION_TIMEOUT,
	MIG_REASON_NOT_CONVERGING,
	MIG_REASON_CONNECTION_LOST,
	MIG_REASON_MIGRATION_ERROR,
	MIG_REASON_TARGET_CHECK_FAILED,
	MIG_REASON_NON_MIGRATABLE,
	MIG_REASON_ABORT_REQUESTED,
	MIG_REASON_EVACUATION_CANCELLED,
	MIG_NREASONS,
	MIG_REASON_STOP = MIG_NREASONS	/* in a row: the recorded stop reason */
};

/* What a row asks mig.c to do. */
enum mig_action {
	MIG_ACT_NONE,		/* nothing beyond the state change */
	MIG_ACT_SCHEDULE,	/* check the target, fire chosen/no target */
	MIG_ACT_START_JOB,	/* start the hypervisor job and the timers */
	MIG_ACT_BACKOFF,	/* retry scheduling later */
	MIG_ACT_PROGRESS,	/* fold a stats sample into progress */
	MIG_ACT_ABORT_JOB,	/* ask the hypervisor to abort the job */
	MIG_ACT_CONCLUDE,	/* ask both hosts where the VM runs */
	MIG_ACT_WATCH,		/* connection lost: wait, then conclude */
};

/* Facts the guards read. */
struct mig_fsm_facts {
	int		 abort_requested;	/* an operator abort is in flight */
	enum mig_reason	 stop_reason;		/* why the job was stopped, if any */
};

enum mig_guard {
	MIG_GUARD_NONE,		/* always */
	MIG_GUARD_ABORTING,	/* facts.abort_requested */
	MIG_GUARD_STOPPING,	/* facts.stop_reason != NONE */
	MIG_GUARD_NOT_STOPPING,	/* facts.stop_reason == NONE */
};

/* One row of the transition table. */
struct mig_fsm_row {
	enum mig_state	 from;		/* state the row applies to */
	enum mig_event	 event;		/* event it answers */
	enum mig_guard	 guard;		/* must hold for the row to match */
	enum mig_action	 action;	/* what to do */
	enum mig_state	 to;		/* state after (may equal from) */
	enum mig_reason	 reason;	/* reason set on entering a final state */
};

/* The first row matching (FROM, EV, FACTS), or NULL: the pair is invalid. */
const struct mig_fsm_row *mig_fsm_lookup(enum mig_state, enum mig_event,
		    const struct mig_fsm_facts *);

int		 mig_state_final(enum mig_state);
int		 mig_state_active(enum mig_state);
const char	*mig_state_name(enum mig_state);
const char	*mig_event_name(enum mig_event);
const char	*mig_reason_name(enum mig_reason);	/* "" for NONE */
int		 mig_state_parse(const char *, enum mig_state *);
int		 mig_reason_parse(const char *, enum mig_reason *);

/* The table itself, for tests that walk it. */
extern const struct mig_fsm_row	mig_fsm_table[];
extern const unsigned int	mig_fsm_nrows;

#endif
