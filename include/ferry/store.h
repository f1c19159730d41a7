/*
 * store.h: ferry's shared state in Redis (hiredis async, attached to the
 * libevent loop).  Never blocks the loop.  While Redis is unreachable the
 * store reconnects with backoff, logs it clearly, and keeps every record
 * written meanwhile (the latest per name) to write once it is back:
 * nothing is lost.
 *
 * Keys, under PREFIX (default "ferry:"):
 *	mig:<name>	hash: json (the whole object), vm, phase
 *	migs		sorted set: migration names scored by creation ms
 *	vm:<vm>:active	string: name of the VM's active migration (SET NX)
 *	events		pub/sub channel: every record written, as JSON
 */
#ifndef FERRY_STORE_H
#define FERRY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;

/* UP_CB: Redis became reachable (1) or was lost (0). */
struct store_cbs {
	void	(*up_cb)(int, void *);
	void	*arg;
};

/* rc: 1 claimed; 0 already held, HOLDER names the holder; -1 error (ERR). */
typedef void (*store_claim_cb)(int, const char *, const char *, void *);
/* Called once per stored migration by store_mig_load. */
typedef void (*store_record_cb)(const char *, const char *, void *);
/* rc 0 or -1 with ERR. */
typedef void (*store_done_cb)(int, const char *, void *);

struct redisReply;

/*
 * A reply to store_command: REPLY (valid during the call), or NULL with
 * ERR ("redis is unreachable", "redis connection lost", or the server's
 * error text for an error reply).
 */
typedef void (*store_reply_cb)(const struct redisReply *, const char *,
	    void *);

struct store	*store_create(struct event_base *, const char *, int,
		     const char *, const struct store_cbs *);
void		 store_free(struct store *);		/* accepts NULL */
int		 store_is_up(struct store *);

/*
 * Persist migration NAME (HSET mig:<name> json JSON vm VM phase PHASE,
 * ZADD migs CREATED NAME) and PUBLISH JSON on events.  Fire and forget;
 * while down, kept (latest per name) and flushed in order on reconnect.
 */
void	 store_mig_put(struct store *, const char *name, const char *json,
	     const char *vm, uint64_t created, const char *phase);

/* SET vm:<VM>:active NAME NX.  Fails (-1) at once when down. */
void	 store_vm_claim(struct store *, const char *, const char *,
	     store_claim_cb, void *);

/* Delete vm:<VM>:active if it still holds NAME (one Lua script). */
void	 store_vm_release(struct store *, const char *, const char *);

/*
 * Send one command of ARGC binary-safe arguments (LENS may be NULL for C
 * strings) on the store's connection.  CB (may be NULL) answers once,
 * always from the loop, never inside the call; with an error when down.
 * FREE_CB (may be NULL) gets ARG exactly once when the command is over,
 * also when store_free means CB never runs.  For other modules' commands
 * (coord.c): Lua scripts, leases, slots.
 */
void	 store_command(struct store *, int, const char *const *,
	     const size_t *, store_reply_cb, void *, void (*)(void *));

/* The key prefix, e.g. "ferry:". */
const char	*store_prefix(struct store *);

/*
 * Read every stored migration, oldest first: RECORD_CB(name, json, arg)
 * per record, then DONE_CB(rc, err, arg).
 */
void	 store_mig_load(struct store *, store_record_cb, store_done_cb,
	     void *);

#endif
