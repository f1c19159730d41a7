/*
 * evac-priv.h: what the evacuation files share, and the unit tests see.
 * First the evacuation record (what GET /v1/evacuations shows and Redis
 * keeps in evac:<id>), its JSON, and the pure rules that judge an
 * evacuation from its VMs (evac-record.c); then the internals shared by
 * evac.c and evac-ctl.c.  Nothing else should need it.
 */
#ifndef FERRY_EVAC_PRIV_H
#define FERRY_EVAC_PRIV_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "ferry/evac.h"
#include "ferry/mig-fsm.h"

/* Longest evacuation id: "<node (64)>-drain-xxxxx" fits. */

/* Reason of an evacuation's phase (status.reason). */
enum evac_reason {
	EVAC_REASON_NONE,	/* "": running or completed */
	EVAC_REASON_VMS_REMAIN,	/* "VMsRemain": some VMs did not move */
	EVAC_REASON_TIMEOUT,	/* "EvacuationTimeout": evacuation_timeout */
	EVAC_REASON_CANCELLED,	/* "EvacuationCancelled": node uncordoned */
	EVAC_NREASONS
};

/*
 * What became of one VM, derived from its entry (never stored as such):
 * the migration's phase if it has one; else reasons mean it cannot move,
 * a reason starting with EVAC_VM_GONE_CODE that it no longer runs, and
 * anything else that its migration is still to be created.
 */
enum evac_vm_outcome {
	EVAC_VM_WAITING,	/* no migration yet: being created or retried */
	EVAC_VM_MIGRATING,	/* its migration is not final (or not read) */
	EVAC_VM_MOVED,		/* its migration succeeded */
	EVAC_VM_REMAINS,	/* its migration ended aborted or failed */
	EVAC_VM_CANNOT_MOVE,	/* refused (not live-migratable...): reasons */
	EVAC_VM_GONE,		/* it stopped running before it was moved */
};

/* The reason code of a VM that no longer runs. */
#define EVAC_VM_GONE_CODE	"VMGone"

/* One VM of an evacuation (an item of status.vms). */
struct evac_vm {
	char	 *vm;		/* VM name */
	char	 *migration;	/* its migration, or NULL: none yet */
	char	 *phase;	/* that migration's phase, or NULL: not read */
	char	 *reason;	/* why it remains or waits; never NULL */
	char	**reasons;	/* cannot move: "CODE: text" each */
	size_t	  nreasons;	/* how many */
};

/* An evacuation as the API shows it; the counts are derived. */
struct evac_record {
	char			*id;		/* metadata.name */
	char			*node;		/* spec.node */
	char			*by;		/* spec.requestedBy, not NULL */
	enum evac_phase		 phase;		/* status.phase */
	enum evac_reason	 reason;	/* status.reason */
	char			*message;	/* status.message; never NULL */
	uint64_t		 created;	/* wall ms */
	uint64_t		 ended;		/* wall ms of the end, or 0 */
	struct evac_vm		*vms;		/* every VM found on the node */
	size_t			 nvms;		/* how many */
};

/* Counts of status: total, done, succeeded, failed, and still active. */
struct evac_counts {
	size_t	 total;		/* VMs found on the node */
	size_t	 done;		/* total - active */
	size_t	 succeeded;	/* moved */
	size_t	 failed;	/* remain: migration failed or cannot move */
	size_t	 active;	/* waiting for or in a migration */
};

void		 evac_record_clear(struct evac_record *);
void		 evac_record_vm_clear(struct evac_vm *);

const char	*evac_reason_name(enum evac_reason);
int		 evac_phase_parse(const char *, enum evac_phase *);
int		 evac_reason_parse(const char *, enum evac_reason *);

enum evac_vm_outcome evac_record_vm_outcome(const struct evac_vm *);
void		 evac_record_count(const struct evac_record *,
		     struct evac_counts *);

/*
 * The phase (and *REASON) of an evacuation from its counts: once LISTED
 * and no VM is active it is over (completed, or failed/VMsRemain); before
 * that CANCELLED (the node was uncordoned) or TIMED_OUT end it at once;
 * else it is running.
 */
enum evac_phase	 evac_record_judge(const struct evac_counts *, int, int,
		     int, enum evac_reason *);

/*
 * status.message for REC's counts: LEAD (may be NULL), then which VMs
 * remain on the node and why.  Caller frees.
 */
char		*evac_record_message(const struct evac_record *,
		     const struct evac_counts *, const char *);

/* The API object (counts computed).  Caller frees. */
char		*evac_record_encode(const struct evac_record *);

/* Parse what evac_record_encode wrote into REC (cleared); 0 or -1. */
int		 evac_record_decode(const char *, struct evac_record *,
		     char **);

/* {"apiVersion", "kind": "EvacuationList", "items": [RECS...]}. */
char		*evac_record_list(const struct evac_record *, size_t);

/* A node's drain state: {"node", "cordoned", "taint", "evacuation"}. */
char		*evac_record_node(const char *, int, const char *,
		     const char *);

/*
 * The error record of a rejected requests-stream entry: {"id", "error",
 * "time", "fields": [every string as given, escaped and cut short]}.
 */
char		*evac_record_request_error(const char *, const char *,
		     const char *const *, size_t, uint64_t);

/*
 * Between evac.c (plumbing, node reads, API, requests) and evac-ctl.c
 * (the leader's controller).  Nothing else uses what follows.
 */
struct event;
struct event_base;
struct config;
struct store;
struct coord;
struct mig_mgr;
struct redisReply;

#define EVAC_TICK_MS		250	/* node reads and controller steps */
#define EVAC_RETRY_MS		1000	/* after the manager answered 503 */
#define EVAC_LIST_RETRY_MS	2000	/* after the VMs could not be listed */
#define EVAC_HOLDER_TRIES	3	/* 409 without a holder, then give up */

struct evac_op;

/* What to do with a store operation's answer (reply R, or error ERR). */
typedef void (*evac_done_cb)(struct evac_mgr *, struct evac_op *,
	    const struct redisReply *, const char *);

/* A request from the stream, kept to retry while Redis is away. */
struct evac_req {
	char			*id;		/* stream entry id */
	char			*node;		/* node to drain or uncordon */
	char			*by;		/* who asked */
	int			 uncordon;	/* 1 uncordon, 0 drain */
	TAILQ_ENTRY(evac_req)	 entry;		/* in the retry list */
};
TAILQ_HEAD(evac_reqs, evac_req);

/* An abort the manager could not take (503), to send again. */
struct evac_abort {
	char			*name;		/* migration */
	enum mig_reason		 reason;	/* why */
	int			 force;		/* ABORT_REQUESTED needs it */
	TAILQ_ENTRY(evac_abort)	 entry;		/* in the retry list */
};
TAILQ_HEAD(evac_aborts, evac_abort);

/* An answer to deliver from the loop (never inside the call). */
struct evac_note {
	evac_reply_cb		 cb;		/* caller's callback */
	void			*arg;		/* its argument */
	int			 status;	/* HTTP-like status */
	char			*err;		/* error message */
	TAILQ_ENTRY(evac_note)	 entry;		/* in the notes list */
};
TAILQ_HEAD(evac_notes, evac_note);

struct evac;

/*
 * One operation awaiting its answer: a store command (DONE handles the
 * reply; the store frees the op) or a manager call (DONE is NULL; its
 * callback frees the op).
 */
struct evac_op {
	struct evac_mgr		*e;		/* NULL once orphaned */
	evac_done_cb		 done;		/* store reply handler */
	struct evac		*ev;		/* its evacuation or NULL */
	size_t			 vm;		/* create, holder: VM index */
	size_t			*idx;		/* phases: VM index per item */
	char			**names;	/* node read: nodes; phase read:
						   migrations */
	size_t			 nnames;	/* how many */
	char			*node;		/* drain, start, adopt... */
	char			*name;		/* start, adopt, get: id;
						   abort: migration;
						   holder: the 409's text;
						   error: the entry */
	char			*json;		/* start, write: JSON sent */
	char			*by;		/* drain: who asked */
	int			 flag;		/* drain: uncordon; write:
						   listed */
	enum mig_reason		 reason;	/* abort */
	int			 force;		/* abort */
	struct evac_req		*req;		/* drain for a stream entry */
	evac_reply_cb		 cb;		/* drain, get: the API's */
	void			*arg;		/* its argument */
	TAILQ_ENTRY(evac_op)	 entry;		/* in the manager's list */
};
TAILQ_HEAD(evac_ops, evac_op);

/* Runtime of one VM of an evacuation (parallel to rec.vms). */
struct evac_vm_rt {
	int		 calling;	/* evacuate or holder read in flight */
	uint64_t	 retry_at;	/* monotonic ms of the next try */
	int		 tries;		/* 409s whose holder was not found */
};

/* An evacuation this replica leads. */
struct evac {
	struct evac_mgr		*e;		/* its manager */
	struct evac_record	 rec;		/* what the API shows */
	struct evac_vm_rt	*rt;		/* per VM, as rec.vms */
	long long		 gen;		/* drain generation it serves */
	int			 listed;	/* the node's VMs were listed */
	int			 listing;	/* mig_mgr_node_vms in flight */
	uint64_t		 list_at;	/* monotonic ms, next try */
	int			 calls;		/* creates, holder reads out */
	int			 reading;	/* phase read in flight */
	int			 writing;	/* record write in flight */
	char			*written;	/* JSON last written, or NULL */
	int			 written_listed; /* listed as last written */
	char			*final;		/* JSON of the end, or NULL */
	size_t			 logged_done;	/* done count last logged */
	int			 over;		/* final record written */
	int			 dead;		/* dropped: freed by the reap */
	TAILQ_ENTRY(evac)	 entry;		/* in the manager's list */
};
TAILQ_HEAD(evacs, evac);

/* What the node read says of one node (strings live in the reply). */
struct evac_node_state {
	int		 cordoned;	/* cordoned "1" */
	const char	*taint;		/* "" if none */
	const char	*by;		/* who changed it last */
	long long	 gen;		/* drain requests asking to evacuate */
	long long	 served;	/* gen of the last evacuation started */
	const char	*active;	/* running evacuation, "" if none */
};

/* One configured node. */
struct evac_node {
	char		*name;		/* node name */
	int		 cordoned;	/* as told to the manager; -1 not yet */
	int		 starting;	/* start script in flight */
	int		 adopting;	/* adopt read or release in flight */
};

/* The evacuation manager of this replica. */
struct evac_mgr {
	struct event_base	*base;		/* the loop */
	const struct config	*cfg;		/* current configuration */
	struct store		*store;		/* Redis */
	struct coord		*coord;		/* leases (NULL: no fence) */
	struct mig_mgr		*mgr;		/* migrations */
	int			 leader;	/* the controller runs here */

	struct evac_node	*nodes;		/* configured nodes */
	size_t			 nnodes;	/* how many */

	struct event		*tick;		/* every EVAC_TICK_MS */
	struct event		*kick;		/* controller step now */
	struct event		*note_ev;	/* delivers notes */
	int			 reading;	/* node read in flight */
	int			 read_again;	/* read again once answered */
	int			 down;		/* Redis outage logged */

	struct evacs		 evacs;		/* evacuations led here */
	struct evac_ops		 ops;		/* operations out */
	struct evac_notes	 notes;		/* answers to deliver */
	struct evac_aborts	 aborts;	/* aborts to send again */
	struct evac_reqs	 reqs;		/* stream requests to retry */

	int			 depth;		/* callers' callbacks running */
	int			 dead;		/* evac_free was called */
};

/* evac.c */
char		*evac_key(struct evac_mgr *, const char *, const char *);
const char	*evac_fence(struct evac_mgr *);
struct evac_op	*evac_op_new(struct evac_mgr *, evac_done_cb, struct evac *);
void		 evac_op_free(void *);
struct evac_mgr	*evac_op_detach(struct evac_op *);
void		 evac_send(struct evac_mgr *, struct evac_op *, int,
		     const char *const *);
void		 evac_kick(struct evac_mgr *);
struct evac_node *evac_node_find(struct evac_mgr *, const char *);

/* evac-ctl.c */
void		 evac_ctl_control(struct evac_mgr *, struct evac_node *,
		     const struct evac_node_state *);
void		 evac_ctl_work_all(struct evac_mgr *, int);
void		 evac_ctl_aborts_retry(struct evac_mgr *);
void		 evac_ctl_stop(struct evac_mgr *);
void		 evac_ctl_free(struct evac_mgr *);

#endif
