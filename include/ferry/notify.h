/*
 * notify.h: webhooks.  Events (a migration that ended, or every transition
 * of one) are POSTed as JSON to every configured URL by libcurl's multi
 * interface, driven by the event loop: nothing here ever blocks it.  Each
 * URL has its own bounded queue and one request in flight, so events reach
 * a receiver in the order they happened; a failed request is tried again
 * after a growing pause, then the event is dropped with one log line.  A
 * receiver that is down costs a log line, never a stall.
 *
 * Body of each POST (Content-Type: application/json):
 *
 *	{"id":"UUID","type":"KIND","final":true,"time":"RFC 3339 UTC",
 *	 "replica":"ID","object":OBJECT}
 *
 * ID is the same for every attempt of one event, so a receiver can tell a
 * retry of a request it took (whose answer was lost) from a new event.
 */
#ifndef FERRY_NOTIFY_H
#define FERRY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct notify;

#define NOTIFY_URL_MAX		2048	/* longest URL accepted, in bytes */
#define NOTIFY_BACKOFF_MS	1000	/* first pause before a retry */
#define NOTIFY_BACKOFF_MAX_MS	60000	/* longest pause: doubling stops here */

/* What the notifier does; copied by notify_create and notify_set_opts. */
struct notify_opts {
	const char *const *urls;	/* http:// or https:// URLs, each once */
	size_t		   nurls;	/* how many; 0 sends nothing */
	int		   all;		/* post every event, not only final ones */
	int		   timeout_ms;	/* one request, connecting included */
	int		   retries;	/* attempts after the first, then drop */
	int		   queue_max;	/* events waiting per URL (>= 1) */
	int		   backoff_ms;	/* first pause; 0: NOTIFY_BACKOFF_MS */
	int		   backoff_max_ms; /* cap; 0: NOTIFY_BACKOFF_MAX_MS */
	const char	  *replica;	/* "replica" of each event */
};

/* Counters of one URL since it was configured (notify_stats). */
struct notify_stats {
	uint64_t	 delivered;	/* events a receiver took (2xx) */
	uint64_t	 failures;	/* attempts that failed */
	uint64_t	 dropped_retries; /* events dropped after the last retry */
	uint64_t	 dropped_full;	/* waiting events dropped, queue full */
	size_t		 queued;	/* events not yet delivered, the one
					   being sent included */
};

/*
 * A notifier on BASE with OPTS, or NULL with *CAUSE if a URL is not
 * http:// or https:// with a host, or given twice.
 */
struct notify	*notify_create(struct event_base *, const struct notify_opts *,
		     char **);

/*
 * Free N (NULL is fine): requests in flight are cut and every event not
 * yet delivered is dropped, one log line per URL that had some.
 */
void		 notify_free(struct notify *);

/*
 * Take new options (SIGHUP), 0 or -1 with *CAUSE (nothing changed).  A URL
 * in both keeps its queue and its request in flight; a URL no longer
 * configured is dropped with its events (logged); a smaller queue_max
 * drops the oldest waiting events; timeouts and retries apply to the
 * requests that start from now.
 */
int		 notify_set_opts(struct notify *, const struct notify_opts *,
		     char **);

/*
 * Post event KIND ("migration") about OBJECT (a JSON object, the
 * migration record) to every URL.  FINAL says the object reached a final
 * state; events that are not final are posted only with opts.all.  Never
 * blocks: the event is queued (dropping the oldest waiting one of a full
 * queue) and sent from the loop.
 */
void		 notify_event(struct notify *, const char *, const char *,
		     int);

/*
 * Can URL be a webhook?  http:// or https://, a host, a port in 1..65535
 * if any, at most 2048 bytes, no space or control character; 0, or -1
 * with *CAUSE saying what is wrong, to follow the URL in a message ("has
 * no host").  config.c checks webhook_url with it.
 */
int		 notify_url_check(const char *, char **);

/*
 * URL as messages show it: scheme://host[:port], then "/..." if anything
 * followed (the path of a chat webhook is its secret); no user
 * information.  Caller frees.
 */
char		*notify_url_shown(const char *);

/* Counters of URL into *ST; -1 if URL is not configured. */
int		 notify_stats(struct notify *, const char *,
		     struct notify_stats *);

#endif
