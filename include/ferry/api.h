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

#endif
