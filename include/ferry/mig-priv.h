/*
 * mig-priv.h: what mig.c (the migration machine) and mig-req.c (migrate
 * requests) share.  Nothing outside those two files should need it.
 */
#ifndef FERRY_MIG_PRIV_H
#define FERRY_MIG_PRIV_H

#include <sys/queue.h>

#include "ferry/hv.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/mig-timeout.h"
#include "ferry/node.h"
#include "ferry/rules.h"
#include "ferry/vm.h"

/* Someone waiting for a node's inventory refresh to end. */
struct mig_inv_waiter {
	void	(*cb)(void *);	/* called on the loop */
	void	*arg;
	uint64_t gen;		/* the refresh it waits for */
};

/* One VM seen on a node by the inventory. */
struct mig_vm {
	char			*name;		/* domain name */
	enum hv_dom_state	 state;		/* where it stood when listed */
	struct vm_info		*info;		/* its XML parsed, or NULL */
	char			*error;		/* why the XML did not parse */
};

/* One host as the manager sees it. */
struct mig_node {
	struct mig_mgr		*mgr;		/* owner */
	char			*name;		/* config section name */
	const struct config_node *cfg;		/* settings it started with */
	struct hv_node		*hv;		/* connection */
	int			 up;		/* connected now */

	/* Inventory (mig-inv.c), refreshed on events and on a timer. */
	struct node_caps	 caps;		/* from its capabilities */
	int			 have_caps;	/* caps and labels are filled */
	struct node_label	*labels;	/* computed + hostname + config */
	size_t			 nlabels;
	uint64_t		 memory_kib;	/* host memory */
	uint64_t		 free_kib;	/* free memory when last asked */
	unsigned int		 cpus;		/* host logical CPUs */
	struct mig_vm		*vms;		/* domains, as last listed */
	size_t			 nvms;
	int			 have_vms;	/* vms has been listed once */
	int			 inv_busy;	/* inventory calls out */
	int			 inv_again;	/* refresh again when done */
	uint64_t		 inv_gen;	/* refreshes started so far */
	uint64_t		 inv_at;	/* wall ms of the last refresh */
	struct event		*inv_timer;	/* every inventory_interval */
	struct event		*inv_soon;	/* shortly after domain events */
	struct mig_inv_waiter	*waiters;	/* called when a refresh ends */
	size_t			 nwaiters;
	int			 cordoned;	/* drained: never a target */
};

/* What the retry timer of a migration is waiting to do. */
enum mig_retry {
	MIG_RETRY_NONE,		/* nothing armed */
	MIG_RETRY_ABORT,	/* the abort call failed: call it again */
	MIG_RETRY_PROBE,	/* ask the source about the job again */
	MIG_RETRY_CONCLUDE,	/* ask both hosts where the VM runs again */
	MIG_RETRY_SLOT,		/* ask for a concurrency slot again */
};

/* A queue entry whose migration this replica is taking over. */
struct mig_take {
	struct mig_mgr		*mgr;		/* NULL once given up */
	char			*id;		/* queue entry */
	char			*name;		/* migration */
	char			*owner;		/* owner found in the record */
	char			*json;		/* the record found */
	long long		 epoch;		/* its epoch */
	uint64_t		 since;		/* monotonic ms: owner seen alive */
	int			 reading;	/* a record read is out */
	int			 asking;	/* a coord call is out */
	struct event		*timer;		/* asks again whether it lives */
	TAILQ_ENTRY(mig_take)	 entry;		/* in mgr->takes */
};
TAILQ_HEAD(mig_take_list, mig_take);

/* A migration: its record plus the runtime driving it. */
struct mig {
	struct mig_record	 rec;		/* what the API and Redis see */
	struct mig_mgr		*mgr;		/* owner */
	struct mig_fsm_facts	 facts;		/* what the guards read */
	struct mig_progress	 progress;	/* for the timeouts */
	struct event		*begin;		/* deferred first step */
	struct event		*tick;		/* stats sampling + timeouts */
	struct event		*retry;		/* one retry, of retry_kind */
	enum mig_retry		 retry_kind;	/* what retry will do */
	int			 backoff_ms;	/* next scheduling back-off */
	int			 stats_busy;	/* a job-stats call in flight */
	int			 job_running;	/* our migrate call is out */
	int			 job_ended;	/* JOB_ENDED fired */
	int			 job_ok;	/* the job reported success */
	int			 lost;		/* the call returned a connection error */
	int			 external;	/* watching a job we did not start */
	int			 watching;	/* waiting for the source to answer */
	int			 concluding;	/* where-is-the-VM probes out */
	int			 probes;	/* outstanding dom_state calls */
	int			 probe_error;	/* a probe failed */
	int			 abort_tries;	/* failed abort calls so far */
	enum hv_dom_state	 src_state;	/* probe answer from the source */
	enum hv_dom_state	 dst_state;	/* probe answer from the target */
	uint64_t		 wait_since;	/* monotonic ms: waiting for a host */
	uint64_t		 undecided_since; /* monotonic ms: answers unclear */
	uint64_t		 src_down_since; /* monotonic ms: source lost */
	uint64_t		 job_end_ms;	/* monotonic ms: the job ended */
	uint64_t		 moved_ms;	/* monotonic ms: data last moved */
	long long		 epoch;		/* of our ownership of the record */
	char			*entry_id;	/* its work-queue entry, or NULL */
	int			 writing;	/* a record write is out */
	int			 dirty;		/* the record changed since */
	int			 acked;		/* the final state was acknowledged */
	int			 notified;	/* the final state was reported */
	int			 disowned;	/* another replica took it over */
	int			 abort_seen;	/* the Redis abort flag was acted on */
	int			 has_slot;	/* holds its concurrency slots */
	int			 slot_busy;	/* a slot request is out */
	int			 pending;	/* calls out with M as argument */
	uint64_t		 done_ms;	/* monotonic ms it ended or was
						   disowned, 0 = neither */
	struct event		*slot_timer;	/* renews the slots */
	TAILQ_ENTRY(mig)	 entry;		/* in mgr->migs, oldest first */
};
TAILQ_HEAD(mig_list, mig);

struct mig_mgr {
	struct event_base	*base;		/* the loop */
	const struct config	*cfg;		/* current configuration */
	struct store		*store;		/* Redis */
	struct workers		*workers;	/* for hypervisor calls */
	const struct hv_ops	*ops;		/* hypervisor driver */
	struct mig_node		*nodes;		/* one per [node] */
	size_t			 nnodes;	/* entries in nodes */
	struct mig_list		 migs;		/* every migration known */
	struct coord		*coord;		/* leases, slots, record writes */
	struct queue		*queue;		/* the work queue */
	struct event		*share_timer;	/* flush records, read aborts */
	int			 polling;	/* an abort poll is out */
	int			 active_polling; /* a cluster-active read is out */
	struct mig_record	*cluster_active; /* every replica's active ones */
	size_t			 ncluster_active;
	struct mig_take_list	 takes;		/* entries being taken over */
	uint64_t		 finished[MIG_NSTATES]; /* final states reached here */
	uint64_t		 phase_ms[MIG_NSTATES];	/* time spent in each phase */
	uint64_t		 phase_n[MIG_NSTATES];	/* phases left */
	mig_notify_cb		 notify_cb;	/* state changes, or NULL */
	void			*notify_arg;	/* for notify_cb */
	void			(*notify_free)(void *); /* frees notify_arg */
};

struct mig_node	*mig_node_find(struct mig_mgr *, const char *);
struct mig	*mig_find_active(struct mig_mgr *, const char *);
struct mig	*mig_find(struct mig_mgr *, const char *);
struct mig	*mig_create(struct mig_mgr *, struct mig_record *);
void		 mig_persist(struct mig *);
void		 mig_adopt(struct mig *);
int		 mig_abort_local(struct mig *, enum mig_reason, int, char **);
void		 mig_share_start(struct mig_mgr *);
const struct mig_record *mig_cluster_active(struct mig_mgr *, const char *);
void		 mig_share_stop(struct mig_mgr *);
void		 mig_log(struct mig *, enum log_level, enum mig_state,
		     const char *);
void		 mig_begin(struct mig *);
void		 mig_notify(struct mig_mgr *, const struct mig_record *, int);
void		 mig_reap(struct mig_mgr *);

/* The rules' view of the cluster, built from the inventory (mig-inv.c). */
struct mig_cluster {
	struct rules_cluster	 c;		/* what the rules read */
	struct rules_node	*nodes;		/* one per mig_node, same order */
	struct rules_storage	*storage;	/* one per config storage class */
};

void		 mig_inv_start(struct mig_mgr *);
void		 mig_inv_stop(struct mig_mgr *);
void		 mig_inv_node_changed(struct mig_node *, int);
void		 mig_inv_domain_event(struct mig_node *);
void		 mig_inv_refresh(struct mig_node *, void (*)(void *), void *);
const struct mig_vm *mig_inv_vm(struct mig_node *, const char *);
void		 mig_cluster_build(struct mig_mgr *, const struct mig *,
		    struct mig_cluster *);
void		 mig_cluster_free(struct mig_cluster *);
const struct rules_node *mig_cluster_node(const struct mig_cluster *,
		    const char *);

#endif
