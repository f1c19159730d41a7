/*
 * curl-event.h: libcurl's multi interface on libevent.  curl tells us
 * which sockets to watch and when to wake it (its socket and timer
 * callbacks); the loop tells curl what happened
 * (curl_multi_socket_action).  Transfers never block the loop: name
 * lookups too run asynchronously when libcurl was built with AsynchDNS
 * (curl_event_create logs a warning when it was not).
 */
#ifndef FERRY_CURL_EVENT_H
#define FERRY_CURL_EVENT_H

#include <curl/curl.h>

struct event_base;
struct curl_event;

/*
 * A transfer ended: its easy handle, already out of the multi and the
 * caller's again, and curl's result.  Runs on the loop, never inside
 * curl_event_add; it may add and remove transfers, not free the
 * curl_event.
 */
typedef void (*curl_event_done_cb)(CURL *, CURLcode, void *);

/* A multi handle on BASE; NULL with *CAUSE if curl cannot make one. */
struct curl_event	*curl_event_create(struct event_base *,
			     curl_event_done_cb, void *, void (*)(void *),
			     char **);

/*
 * Free CE (NULL is fine), from outside its done callback: transfers still
 * running are cut and left to their callers (no done callback for them).
 */
void			 curl_event_free(struct curl_event *);

/* Start EASY, set up by the caller; 0, or -1 with *CAUSE. */
int			 curl_event_add(struct curl_event *, CURL *, char **);

/* Cut EASY short, if it runs (no done callback); the caller frees it. */
void			 curl_event_remove(struct curl_event *, CURL *);

#endif
