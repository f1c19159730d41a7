/*
 * api.h: the HTTP API (evhttp on the loop).  See doc/api.md for routes,
 * bodies and status codes.
 */
#ifndef FERRY_API_H
#define FERRY_API_H

struct event_base;
struct mig_mgr;
struct evac_mgr;
struct store;
struct watch;
struct api;

#define API_MAX_BODY	(64 * 1024)	/* bytes of a request body */

/* Listen on ADDRESS:PORT; NULL with *cause on failure.  EVAC may be NULL. */
struct api	*api_create(struct event_base *, const char *, int,
		     struct mig_mgr *, struct evac_mgr *, struct store *,
		     char **);
void		 api_free(struct api *);	/* accepts NULL */

/*
 * Require bearer TOKEN (NULL: no authentication) on every request; with
 * OPEN_HEALTH, GET /healthz answers without it.  401 otherwise.
 */
void		 api_set_token(struct api *, const char *, int);

/*
 * Serve GET /v1/watch from WATCH (NULL: 503), and add its metrics to
 * GET /metrics.  Either may be freed first.
 */
void		 api_set_watch(struct api *, struct watch *);

#endif
