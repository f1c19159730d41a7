/*
 * evac.h: node drains and the evacuations they start (issue 4; seed
 * "Automatically triggered batch-migrations").
 *
 * A drain cordons a node and puts the evacuation taint on it
 * (<evacuation_taint>:NoSchedule); an uncordon takes both off.  Any
 * replica writes drains and uncordons (from the API, or from an entry of
 * the requests stream: XADD <prefix>requests * op drain node NAME by WHO).
 * The leader's controller sees a tainted node without a running
 * evacuation, creates one, and one migration per live-migratable VM on
 * the node (mig_mgr_evacuate: named <evacuation_migration_prefix>-xxxxx);
 * VMs that cannot move are listed with their reasons.  It then follows the
 * migrations (their phases in Redis) until the evacuation ends:
 *	completed	every VM moved
 *	failed		some VMs remain (each listed with why), or
 *			evacuation_timeout passed (pending migrations are
 *			aborted, running ones finish)
 *	cancelled	the node was uncordoned: pending migrations end
 *			aborted/EvacuationCancelled, running ones finish
 * A new leader carries on the running evacuations from their records.
 * Every replica reads the node records on a timer and tells the manager
 * which nodes are cordoned (mig_mgr_set_cordoned), so none is a target.
 * The node stays cordoned and tainted after its evacuation ends (as after
 * kubectl drain); only an uncordon takes that off.
 *
 * Which drain starts an evacuation: a drain of a node that is not
 * drained, or of a drained node whose last evacuation has ended (running
 * the drain again retries, as kubectl drain does).  A drain while an
 * evacuation runs is served by it.  An ended evacuation is never started
 * again by itself while the node stays tainted.  (Counters, not clocks:
 * node:<name> gen counts the drains that ask for an evacuation, served
 * is the gen of the last one started; see evac-ctl.c.)
 *
 * Keys, under the store's prefix:
 *	node:<name>		hash: cordoned "1"/"0", taint "KEY:NoSchedule"
 *				or "", by (who asked last), since (Redis ms
 *				of the last change of cordon or taint), gen,
 *				served, evacuation (the last one started)
 *	evac:<id>		hash: json (the API object), node, phase, gen
 *				(the drain it serves), listed ("1" once the
 *				node's VMs were listed)
 *	evacs			sorted set: evacuation ids by creation ms
 *	evac:active:<node>	string: id of the node's running evacuation
 *	events			pub/sub channel: the record of an evacuation
 *				that starts or changes phase (watch.h)
 *	requests:errors		list: error records of rejected request
 *				entries, newest first, the last 100
 *	leader			(coord.h) evacuation writes are fenced on it
 *
 * The API object (GET /v1/evacuations/ID):
 *	{"apiVersion": "ferry.io/v1", "kind": "Evacuation",
 *	 "metadata": {"name": ID, "creationTimestamp": RFC3339},
 *	 "spec": {"node": NODE, "requestedBy": WHO},
 *	 "status": {"phase": "running|completed|failed|cancelled",
 *	    "reason": ""|"EvacuationTimeout"|"EvacuationCancelled"|
 *		"VMsRemain",
 *	    "message": "...", "total": N, "done": N, "succeeded": N,
 *	    "failed": N, "createdMs": MS, "endedMs": MS|0,
 *	    "endTimestamp": RFC3339|null,
 *	    "vms": [{"vm": NAME, "migration": NAME|null,
 *		"phase": MIGRATION PHASE|null, "reason": "...",
 *		"reasons": ["CODE: text", ...]}]}}
 * total counts every VM found on the node; done those whose migration
 * is final plus those that cannot move (or stopped running: reason
 * "VMGone: ..."); failed those that remain: migration aborted or failed,
 * or cannot move (reasons).  While running, message lists the VMs still
 * on the node.  A VM already migrating when the evacuation starts is not
 * migrated twice: the evacuation follows its active migration.
 *
 * The migration manager must answer every call evac makes of it, and
 * outlive the evacuation manager (free this one first).
 */
#ifndef FERRY_EVAC_H
#define FERRY_EVAC_H

#include <stddef.h>

struct event_base;
struct config;
struct store;
struct coord;
struct mig_mgr;
struct evac_mgr;

/*
 * Answer to an API call: HTTP-like STATUS with JSON (an object or a list
 * object), or an error message ERR.  Always called from the loop, never
 * inside the call that started it.
 */
typedef void (*evac_reply_cb)(int, const char *, const char *, void *);

#define EVAC_ID_MAX	128	/* bytes of an evacuation id */

/* Is ID a possible evacuation id ([A-Za-z0-9_.-], 1..EVAC_ID_MAX)? */
int		 evac_record_id_valid(const char *);

struct evac_mgr	*evac_create(struct event_base *, const struct config *,
		     struct store *, struct coord *, struct mig_mgr *);
void		 evac_free(struct evac_mgr *);		/* accepts NULL */
void		 evac_reload(struct evac_mgr *, const struct config *);

/* This replica became leader (1) or stopped being it (0). */
void		 evac_set_leader(struct evac_mgr *, int);

/*
 * Drain NODE (cordon + taint) on behalf of BY (NULL: "api"): 202 with the
 * node's record as {"node": NODE, "cordoned": true, "taint": "...",
 * "evacuation": the running evacuation's ID, or null}; 404 unknown node
 * (not in the configuration); 503 Redis unreachable; 500 Redis refused
 * the write.  Draining a drained node is 202 again: the running
 * evacuation serves it, or, if the last one ended, a new one starts.
 */
void		 evac_drain(struct evac_mgr *, const char *, const char *,
		     evac_reply_cb, void *);

/*
 * Uncordon NODE (take cordon and taint off): 202 with the node's record
 * (cordoned false; evacuation: the one being cancelled, or null), 404,
 * 503, 500.
 */
void		 evac_uncordon(struct evac_mgr *, const char *, const char *,
		     evac_reply_cb, void *);

/*
 * Evacuation ID (200 with the object, 404), or every evacuation (ID
 * NULL: 200 with {"apiVersion": "ferry.io/v1", "kind": "EvacuationList",
 * "items": [...]}, oldest first), optionally only NODE's (NULL = all).
 * Read from Redis, so any replica answers; 503 while it is unreachable.
 */
void		 evac_get(struct evac_mgr *, const char *, const char *,
		     evac_reply_cb, void *);

/*
 * One entry ID of the requests stream (field/value strings): checked with
 * queue_request_parse and against the configured nodes; a bad entry is
 * logged with its reason and leaves an error record (LPUSH
 * <prefix>requests:errors, capped: {"id", "error", "time", "fields"}),
 * never a crash.  A good one is a drain or uncordon by its "by" (or
 * "requests"); while Redis is unreachable it is kept in memory and done
 * once Redis is back, so the caller may acknowledge the entry at once.
 */
void		 evac_request(struct evac_mgr *, const char *,
		     const char *const *, size_t);

/* For unit tests: the evacuation phase from its VMs' outcomes. */
enum evac_phase {
	EVAC_RUNNING,
	EVAC_COMPLETED,
	EVAC_FAILED,
	EVAC_CANCELLED,
};
const char	*evac_phase_name(enum evac_phase);

struct evbuffer;

/*
 * Append the evacuations this replica leads to B as Prometheus text
 * (GET /metrics): their VMs by state and their phase.  Only the leader
 * has any; the others write the families' headers and ferry_evacuation_
 * leader 0.
 */
void		 evac_metrics(struct evac_mgr *, struct evbuffer *);

#endif
