/*
 * store.h: ferry's connection to Redis (hiredis async, attached to the
 * libevent loop).  Never blocks the loop.  While Redis is unreachable the
 * store reconnects with backoff, logs it clearly, and keeps every claim
 * release made meanwhile to send, in order, once it is back: nothing is
 * lost.  Other modules send their own commands over it (store_command):
 * coord.c writes the migration records (see coord.h).
 *
 * Keys of its own, under PREFIX (default "ferry:"):
 *	vm:<vm>:active	string: name of the VM's active migration (SET NX)
 */
#ifndef FERRY_STORE_H
#define FERRY_STORE_H

#include <stddef.h>

struct event_base;
struct store;

/* UP_CB: Redis became reachable (1) or was lost (0). */
struct store_cbs {
	void	(*up_cb)(int, void *);
	void	*arg;
};

/* rc: 1 claimed; 0 already held, HOLDER names the holder; -1 error (ERR). */
typedef void (*store_claim_cb)(int, const char *, const char *, void *);

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

/* SET vm:<VM>:active NAME NX.  Fails (-1) at once when down. */
void	 store_vm_claim(struct store *, const char *, const char *,
	     store_claim_cb, void *);

/*
 * Delete vm:<VM>:active if it still holds NAME (one Lua script).  Fire and
 * forget; while down, kept (each VM and NAME once) and sent in order on
 * reconnect, before any other command.
 */
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

#endif
