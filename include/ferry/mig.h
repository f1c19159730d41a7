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
};

/* What the API shows and Redis keeps of a migration. */
struct mig_record {
	char			*name;		/* <vm>-xxxxx */
	char			*uid;		/* UUID */
	char			*vm;		/* spec.vmiName */
	char			*source;	/* node the VM ran on */
	char			*target;	/* node it moves to */
	char			*trigger;	/* "manual" or "evacuation" */
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

/* Use a new configuration (SIGHUP); CFG must outlive the manager's use. */
void		 mig_mgr_reload(struct mig_mgr *, const struct config *);

/* The store went up (1) or down (0): load past records on first up. */
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

/* Request an abort: 202, 404 unknown, 409 final or completing. */
int		 mig_mgr_abort(struct mig_mgr *, const char *, char **);

const struct mig_record *mig_mgr_find(struct mig_mgr *, const char *);
void		 mig_mgr_foreach(struct mig_mgr *, mig_each_cb, void *);
int		 mig_mgr_loaded(struct mig_mgr *);	/* past records read */
int		 mig_mgr_node_up(struct mig_mgr *, const char *);

/*
 * Node NAME (or every node, NAME NULL) and VM NAME (or every VM) as API
 * JSON; NULL if there is no such node or VM.  Caller frees.
 */
char		*mig_mgr_nodes_json(struct mig_mgr *, const char *);
char		*mig_mgr_vms_json(struct mig_mgr *, const char *);

/* Name of the Ith configured node, or NULL past the end. */
const char	*mig_mgr_node_name(struct mig_mgr *, size_t);

#endif
