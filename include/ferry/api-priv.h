/*
 * api-priv.h: what api.c shares with the files that add routes to it
 * (api-evac.c).  Nothing else should need it.
 */
#ifndef FERRY_API_PRIV_H
#define FERRY_API_PRIV_H

struct evhttp_request;
struct evac_mgr;

/* Send BODY (JSON, without its final newline) with STATUS. */
void	 api_reply(struct evhttp_request *, int, const char *);

/* Send {"error": MSG, "reasons": [REASON]} (no reasons if NULL). */
void	 api_error(struct evhttp_request *, int, const char *, const char *);

/*
 * Routes of api-evac.c: POST /v1/nodes/NAME/drain, POST
 * /v1/nodes/NAME/uncordon, GET /v1/evacuations[/ID] (?node=NAME filters
 * the list).  PARTS are the N decoded path segments, QUERY the raw query
 * string or NULL.  Returns 1 when the request was one of them (and is or
 * will be answered), 0 to let api.c go on routing.
 */
int	 api_evac_route(struct evac_mgr *, struct evhttp_request *,
	     char **, int, const char *);

#endif
