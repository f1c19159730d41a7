/*
 * mig.h: migrations and the manager that drives them.  A migration is a
 * record (what the API shows and Redis keeps) plus the runtime that moves
 * it through the state machine of mig-fsm.h: timers, hypervisor calls,
 * progress.  The manager owns the host connections and every migration;
 * everything runs on the loop thread.
 */
#ifndef FERRY_MIG_H
#define FERRY_MIG_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/mig-fsm.h"

struct event_base;
struct config;
struct store;
struct workers;
struct hv_ops;
struct mig_mgr;

#define MIG_MAX_TRANSITIONS 16

/* One entry of a migration's phase history. */
struct mig_transition {
	enum mig_state	 state;		/* state entered */
	uint64_t	 time;		/* wall ms when entered */
};

/* Progress as last sampled from the job. */
struct mig_stats {
	uint64_t	 data_total;	/* bytes */
	uint64_t	 data_processed;
	uint64_t	 data_remaining;
	uint64_t	 memory_bps;	/* bytes/s */
	uint64_t	 dirty_rate;	/* pages/s */
	uint64_t	 iteration;
	uint64_t	 elapsed_ms;	/* job time elapsed */
	uint64_t	 downtime_ms;	/* once completed */
	uint64_t	 stalled_since;	/* wall ms no data has moved since, or 0 */
};

/* What the API shows and Redis keeps of a migration. */
struct mig_record {
	char			*name;		/* <vm>-xxxxx */
	char			*uid;		/* UUID */
	char			*vm;		/* spec.vmiName */
	char			*source;	/* node the VM ran on */
	char			*target;	/* node it moves to */
	char			*trigger;	/* "manual" or "evacuation" */
	char			*evacuation;	/* evacuation id, or NULL */
	enum mig_state		 state;		/* status.phase */
	enum mig_reason		 reason;	/* status.reason */
	char			*message;	/* human detail, or NULL */
	int			 abort_requested; /* operator asked to abort */
	uint64_t		 created;	/* wall ms */
	uint64_t		 started;	/* wall ms copying began, 0 = not yet */
	uint64_t		 ended;		/* wall ms of the final state, 0 = not yet */
	struct mig_stats	 stats;		/* last progress */
	struct mig_transition	 transitions[MIG_MAX_TRANSITIONS]; /* phase history */
	unsigned int		 ntransitions;
};

void	 mig_record_clear(struct mig_record *);	/* free members */

/* Result of an API request: HTTP-like STATUS, the record or an error. */
typedef void (*mig_reply_cb)(int, const struct mig_record *, const char *,
	    const char *const *, size_t, void *);
typedef void (*mig_each_cb)(const struct mig_record *, void *);

struct mig_mgr	*mig_mgr_create(struct event_base *, const struct config *,
		     struct store *, struct workers *, const struct hv_ops *);
void		 mig_mgr_free(struct mig_mgr *);	/* accepts NULL */

/*
 * Take concurrency slots through COORD (coord.h) before a migration leaves
 * pending: parallel_migrations_per_cluster and
 * parallel_outbound_migrations_per_node hold cluster-wide.  Without it
 * (tests), slots are granted at once.
 */
struct coord;
void		 mig_mgr_set_coord(struct mig_mgr *, struct coord *);

/*
 * The work queue (queue.h): a migration is driven by the replica that
 * reads its entry; mig_mgr_queue_entry is the queue's entry callback
 * (ARG the manager).  A claimed entry (its replica died) is taken over
 * once the owner's liveness lease is gone: compare-and-set on the
 * record's owner and epoch, then the migration is concluded from the
 * hosts (adoption).  Call after mig_mgr_set_coord.
 */
struct queue;
void		 mig_mgr_set_queue(struct mig_mgr *, struct queue *);
void		 mig_mgr_queue_entry(const char *, const char *const *, size_t,
		     int, void *);

/*
 * Tell CB(record, final, ARG) about the state changes of the migrations
 * this replica drives (webhooks): a change to a state that is not final at
 * once, and a final state once, when its record is in Redis, so that a
 * replica that lost a migration to another (whose record write failed)
 * never reports its end and each end is reported once, by the owner.  The
 * creation of a migration (pending) is no change.  FREE_CB(ARG), if not
 * NULL, runs when the callback is replaced or the manager freed.
 */
typedef void (*mig_notify_cb)(const struct mig_record *, int, void *);
void		 mig_mgr_set_notify(struct mig_mgr *, mig_notify_cb, void *,
		     void (*)(void *));

/* Use a new configuration (SIGHUP); CFG must outlive the manager's use. */
void		 mig_mgr_reload(struct mig_mgr *, const struct config *);

/* The store went up (1) or down (0): write what waited for it. */
void		 mig_mgr_store_changed(struct mig_mgr *, int);

/*
 * Start migrating VM to TARGET (a node name, or NULL: ferry picks one).
 * CB(status, record, error, reasons, nreasons) runs exactly once, on the
 * loop (before this returns when a check fails at once): 201 created;
 * 422 not live-migratable (every reason); 409 the target fails a filter; 400 unknown target; 404 VM
 * not found; 409 one-node cluster, VM already on TARGET or paused, or an
 * active migration exists; 503 Redis, the source or the target unreachable.
 */
void		 mig_mgr_migrate(struct mig_mgr *, const char *,
		     const char *, mig_reply_cb, void *);

/*
 * Start a migration of VM for evacuation EVAC_ID: trigger "evacuation",
 * named <evacuation_migration_prefix>-xxxxx, ferry picks the target.
 * Same checks and answers as mig_mgr_migrate (409 with the active
 * migration's name in the error when the VM already has one).
 */
void		 mig_mgr_evacuate(struct mig_mgr *, const char *,
		     const char *, mig_reply_cb, void *);

/*
 * An answer carrying JSON: HTTP-like STATUS and JSON (NULL on error) or
 * ERR.  Always from the loop, never inside the call.
 */
typedef void (*mig_json_cb)(int, const char *, const char *, void *);

/*
 * Ask migration NAME, whichever replica drives it, to stop.  REASON is
 * MIG_REASON_ABORT_REQUESTED (an operator; a migration an evacuation
 * created needs FORCE) or MIG_REASON_EVACUATION_CANCELLED (takes effect
 * only while it is pending: running ones finish).  The flag is written to
 * its record in Redis (field "abort") and its owner acts on it.  CB: 202
 * with the record, 404 unknown, 409 final, completing or needs force,
 * 503 Redis unreachable.
 */
void		 mig_mgr_abort(struct mig_mgr *, const char *,
		     enum mig_reason, int, mig_json_cb, void *);

/*
 * Records from Redis, whichever replica wrote them: migration NAME (200,
 * 404) or, NAME NULL, every migration as a list object, oldest first
 * (200).  503 while Redis is unreachable, except that a migration this
 * replica drives is answered from memory.
 */
void		 mig_mgr_get(struct mig_mgr *, const char *, mig_json_cb,
		     void *);

/* VMs running on NODE after a fresh inventory read: CB(rc, names, n). */
typedef void (*mig_names_cb)(int, const char *const *, size_t, void *);
void		 mig_mgr_node_vms(struct mig_mgr *, const char *,
		     mig_names_cb, void *);

/* NODE is cordoned (1) or not (0): cordoned nodes are never targets. */
void		 mig_mgr_set_cordoned(struct mig_mgr *, const char *, int);

const struct mig_record *mig_mgr_find(struct mig_mgr *, const char *);
int		 mig_mgr_node_up(struct mig_mgr *, const char *);

/*
 * Node NAME (or every node, NAME NULL) and VM NAME (or every VM) as API
 * JSON; NULL if there is no such node or VM.  Caller frees.
 */
char		*mig_mgr_nodes_json(struct mig_mgr *, const char *);
char		*mig_mgr_vms_json(struct mig_mgr *, const char *);

/* This replica's metrics as Prometheus text (GET /metrics); caller frees. */
struct evbuffer;
struct evbuffer	*mig_mgr_metrics(struct mig_mgr *);

/* Name of the Ith configured node, or NULL past the end. */
const char	*mig_mgr_node_name(struct mig_mgr *, size_t);

#endif
