/*
 * queue.h: work queues on Redis streams with a consumer group (issue 4).
 * Every replica reads with XREADGROUP (a blocking read on a connection of
 * the queue's own, so the loop never waits); an entry is acknowledged
 * (XACK) only when its work reached a final state; entries of a dead
 * replica are claimed with XAUTOCLAIM once idle longer than a threshold.
 *
 * Streams, under PREFIX: "queue" (migrations to run; fields name, vm,
 * trigger, ...) and "requests" (from external tools:
 *	XADD <prefix>requests * op drain node NAME by WHO
 * op is drain or uncordon).
 */
#ifndef FERRY_QUEUE_H
#define FERRY_QUEUE_H

#include <stddef.h>

struct event_base;
struct queue;

/*
 * ENTRY_CB(id, kv, nkv, claimed, arg): one entry, KV holding NKV strings
 * (field, value, field, value...); CLAIMED is 1 when it was taken over
 * from another consumer by XAUTOCLAIM.  Strings live during the call.
 */
typedef void (*queue_entry_cb)(const char *, const char *const *, size_t,
	    int, void *);
/* ID of an added entry, or NULL and ERR. */
typedef void (*queue_add_cb)(const char *, const char *, void *);

/* Settings of one queue. */
struct queue_params {
	const char	*host;		/* Redis (an IP address: no blocking DNS) */
	int		 port;
	const char	*prefix;	/* key prefix, e.g. "ferry:" */
	const char	*stream;	/* "queue" or "requests" */
	const char	*group;		/* consumer group, e.g. "ferryd" */
	const char	*consumer;	/* this replica's id */
	int		 claim_idle_ms;	/* XAUTOCLAIM entries idle this long */
	int		 claim_every_ms; /* how often to try claiming */
};

/*
 * Create the group if needed (XGROUP CREATE ... $ MKSTREAM, BUSYGROUP is
 * fine), first re-read this consumer's own pending entries (ID 0, after a
 * restart), then read new ones ('>') and claim idle ones, calling
 * ENTRY_CB for each.  Reconnects with backoff; logs outages once.
 */
/*
 * A NULL ENTRY_CB makes the queue write-only (queue_add, queue_ack; no
 * reading, no claiming): for producers.  A reader keeps the entries it
 * holds fresh (re-claims them to itself every claim_idle_ms / 3), so only
 * a dead or cut-off replica's entries go idle and get claimed.
 */
struct queue	*queue_create(struct event_base *, const struct queue_params *,
		     queue_entry_cb, void *);
void		 queue_free(struct queue *);		/* accepts NULL */

/* XADD KV (NKV strings, field/value pairs); CB(id or NULL, err). */
void		 queue_add(struct queue *, const char *const *, size_t,
		     queue_add_cb, void *);

/* XACK entry ID (kept and retried while Redis is away). */
void		 queue_ack(struct queue *, const char *);

/*
 * Stop holding entry ID without acknowledging it: it is no longer kept
 * fresh, so it goes idle and another replica (or this one) claims it
 * again later.  For an entry whose work belongs to someone else.
 */
void		 queue_release(struct queue *, const char *);

/* A request from the "requests" stream, checked. */
struct queue_request {
	char	*op;		/* "drain" or "uncordon" */
	char	*node;		/* util_name_valid */
	char	*by;		/* who asked (free text, <= 64 bytes), or NULL */
};

/*
 * Check a request entry's fields: op and node required, op known, node a
 * valid name, by optional and short, no unknown fields.  0, or -1 with
 * *CAUSE naming the problem.  Never trusts its input.
 */
int	 queue_request_parse(const char *const *, size_t,
	     struct queue_request *, char **);
void	 queue_request_clear(struct queue_request *);

#endif
