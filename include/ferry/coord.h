/*
 * coord.h: coordination of ferryd replicas through Redis (issue 4): the
 * liveness lease of each replica, the leader lease, cluster-wide
 * concurrency slots, and compare-and-set writes of migration records on
 * (owner, epoch).  Everything is asynchronous on the loop, over the
 * store's connection (store_command); every multi-step change is one Lua
 * script, so it is atomic whatever the number of replicas.
 *
 * Keys, under the store's prefix:
 *	replica:<id>		string "<id>" with PX ttl: the replica lives
 *	leader			string "<id>" with PX ttl: who leads
 *	slots:cluster		sorted set: migration -> expiry (ms, Redis time)
 *	slots:out:<node>	sorted set: migration -> expiry, per source node
 *	mig:<name>		hash: json, vm, phase, owner, epoch
 *	migs			sorted set: names by creation ms
 */
#ifndef FERRY_COORD_H
#define FERRY_COORD_H

#include <stdint.h>

struct event_base;
struct store;
struct coord;

/* LEADER_CB: this replica became leader (1) or stopped being it (0). */
struct coord_cbs {
	void	(*leader_cb)(int, void *);
	void	*arg;
};

/* rc 1 granted / alive / written, 0 refused, -1 error with ERR. */
typedef void (*coord_cb)(int, const char *, void *);
/* A compare-and-set write: rc 1 written; 0 conflict, with the record's
 * current OWNER and EPOCH; -1 error with ERR. */
typedef void (*coord_cas_cb)(int, const char *, long long, const char *,
	    void *);
/* Slot counts: rc 0 with the cluster count and the node's, or -1. */
typedef void (*coord_count_cb)(int, int, int, const char *, void *);

/*
 * Start holding replica:<ID> (renewed every TTL_MS / 3) and competing for
 * the leader lease (same TTL).  Leadership changes come through
 * LEADER_CB; losing Redis for longer than the TTL loses both leases.
 */
struct coord	*coord_create(struct event_base *, struct store *,
		     const char *, int, const struct coord_cbs *);
void		 coord_free(struct coord *);		/* accepts NULL */
const char	*coord_replica_id(struct coord *);
int		 coord_is_leader(struct coord *);

/* Is replica ID alive (its lease exists)?  CB(1/0/-1). */
void	 coord_replica_alive(struct coord *, const char *, coord_cb, void *);

/*
 * Take a slot for MIGRATION leaving NODE: granted (1) only if fewer than
 * CLUSTER_LIMIT live members are in slots:cluster and fewer than
 * NODE_LIMIT in slots:out:<NODE> (expired members are dropped first), or
 * if MIGRATION already holds both (then its expiry is renewed).  The
 * slot expires TTL_MS from now unless renewed.  One Lua script.
 */
void	 coord_slot_take(struct coord *, const char *, const char *, int,
	     int, int, coord_cb, void *);

/* Push the expiry of MIGRATION's slots TTL_MS ahead (if it holds them). */
void	 coord_slot_renew(struct coord *, const char *, const char *, int);

/* Give MIGRATION's slots back. */
void	 coord_slot_release(struct coord *, const char *, const char *);

/* Live members of slots:cluster and slots:out:<NODE> (for tests, bench). */
void	 coord_slot_count(struct coord *, const char *, coord_count_cb,
	     void *);

/*
 * Write migration NAME's record (HSET json/vm/phase, ZADD migs CREATED)
 * only if the stored record is absent or has owner OWNER and epoch EPOCH
 * (compare-and-set, one Lua script).  When written as a new record or
 * with a phase other than the stored one, PUBLISH JSON on events: the
 * channel carries transitions, not progress-only writes (watch.h).
 * CB may be NULL.
 */
void	 coord_mig_write(struct coord *, const char *name, const char *owner,
	     long long epoch, const char *json, const char *vm,
	     const char *phase, uint64_t created, coord_cas_cb, void *);

/*
 * Take migration NAME over: if its record has owner EXPECTED_OWNER and
 * epoch EXPECTED_EPOCH, set owner to this replica and epoch + 1.  CB gets
 * the new owner and epoch when written (1), or the current ones (0).
 */
void	 coord_mig_take(struct coord *, const char *, const char *,
	     long long, coord_cas_cb, void *);

#endif
