/*
 * curl-event.c: libcurl's multi interface on libevent (curl-event.h).
 *
 * curl's socket callback says which sockets it wants watched and for
 * what; each gets one persistent libevent event, changed as curl asks.  A
 * socket curl is done with stops being watched at once and is freed from
 * the loop later (reap), never inside the event's own callback.  curl's timer callback arms one timer.  When an event fires, curl
 * is told through curl_multi_socket_action() and then asked which
 * transfers ended; those are taken out of the multi and handed to the done
 * callback.  curl forbids calling back into the multi from its own
 * callbacks, so they only arrange events; all work happens from the loop.
 */

#include <sys/queue.h>

#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "ferry/curl-event.h"
#include "ferry/log.h"
#include "ferry/xmalloc.h"

/* A socket curl asked us to watch. */
struct curl_event_sock {
	struct curl_event		*ce;	/* owner */
	curl_socket_t			 fd;	/* the socket */
	struct event			*ev;	/* watches it for curl */
	LIST_ENTRY(curl_event_sock)	 entry;	/* in ce->socks or dead */
};

/* A multi handle and the events that drive it. */
struct curl_event {
	struct event_base		*base;	/* the loop */
	CURLM				*multi;	/* curl's multi handle */
	struct event			*timer;	/* when curl wants a call */
	LIST_HEAD(, curl_event_sock)	 socks;	/* sockets watched */
	LIST_HEAD(, curl_event_sock)	 dead;	/* to free from reap */
	struct event			*reap;	/* frees dead */
	curl_event_done_cb		 cb;	/* a transfer ended */
	void				*arg;	/* for cb */
	void				(*free_cb)(void *); /* frees arg */
};

/* Tell the done callback about every transfer that ended. */
static void
curl_event_check(struct curl_event *ce)
{
	CURLMsg		*msg;
	CURL		*easy;
	CURLcode	 result;
	int		 left;

	while ((msg = curl_multi_info_read(ce->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with the removal: copy what is needed first. */
		easy = msg->easy_handle;
		result = msg->data.result;
		curl_multi_remove_handle(ce->multi, easy);
		ce->cb(easy, result, ce->arg);
	}
}

/* A watched socket is ready: tell curl. */
static void
curl_event_sock_cb(evutil_socket_t fd, short events, void *arg)
{
	struct curl_event	*ce = arg;
	int			 action = 0, running;

	if (events & EV_READ)
		action |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(ce->multi, fd, action, &running);
	curl_event_check(ce);
}

/* curl's timeout expired: tell curl. */
static void
curl_event_timer(evutil_socket_t fd, short events, void *arg)
{
	struct curl_event	*ce = arg;
	int			 running;

	curl_multi_socket_action(ce->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_event_check(ce);
}

/* Free S, already out of its list and no longer watched. */
static void
curl_event_sock_free(struct curl_event_sock *s)
{
	event_free(s->ev);
	free(s);
}

/* Free the sockets curl is done with (loop). */
static void
curl_event_reap(evutil_socket_t fd, short events, void *arg)
{
	struct curl_event	*ce = arg;
	struct curl_event_sock	*s;

	while ((s = LIST_FIRST(&ce->dead)) != NULL) {
		LIST_REMOVE(s, entry);
		curl_event_sock_free(s);
	}
}

/*
 * curl's socket callback: watch FD for WHAT, or stop (CURL_POLL_REMOVE).
 * SOCKP is our curl_event_sock once curl_multi_assign gave it one.
 */
static int
curl_event_socket_fn(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct curl_event	*ce = arg;
	struct curl_event_sock	*s = sockp;
	short			 flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_del(s->ev);
			LIST_REMOVE(s, entry);
			LIST_INSERT_HEAD(&ce->dead, s, entry);
			event_active(ce->reap, EV_TIMEOUT, 1);
		}
		return (0);
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->ce = ce;
		s->fd = fd;
		s->ev = event_new(ce->base, fd, flags, curl_event_sock_cb, ce);
		LIST_INSERT_HEAD(&ce->socks, s, entry);
		curl_multi_assign(ce->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, ce->base, fd, flags, curl_event_sock_cb,
		    ce);
	}
	event_add(s->ev, NULL);
	return (0);
}

/* curl's timer callback: call curl in MS (-1: no need to). */
static int
curl_event_timer_fn(CURLM *multi, long ms, void *arg)
{
	struct curl_event	*ce = arg;
	struct timeval		 tv;

	if (ms < 0) {
		evtimer_del(ce->timer);
		return (0);
	}
	/* Even 0 goes through the loop: curl may not be re-entered here. */
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ce->timer, &tv);
	return (0);
}

/* A multi handle driven by BASE; see curl-event.h. */
struct curl_event *
curl_event_create(struct event_base *base, curl_event_done_cb cb, void *arg,
    void (*free_cb)(void *), char **cause)
{
	static int			 warned;
	struct curl_event		*ce = NULL;
	const curl_version_info_data	*info;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		xasprintf(cause, "cannot initialise libcurl");
		return (NULL);
	}
	info = curl_version_info(CURLVERSION_NOW);
	if (!(info->features & CURL_VERSION_ASYNCHDNS) && !warned) {
		log_warn("libcurl %s resolves host names synchronously: a "
		    "slow DNS server would stall the loop; use addresses in "
		    "URLs", info->version);
		warned = 1;
	}

	ce = xcalloc(1, sizeof *ce);
	ce->base = base;
	ce->cb = cb;
	ce->arg = arg;
	ce->free_cb = free_cb;
	LIST_INIT(&ce->socks);
	LIST_INIT(&ce->dead);
	if ((ce->multi = curl_multi_init()) == NULL) {
		xasprintf(cause, "cannot create a libcurl multi handle");
		free(ce);
		curl_global_cleanup();
		return (NULL);
	}
	ce->timer = evtimer_new(base, curl_event_timer, ce);
	ce->reap = event_new(base, -1, 0, curl_event_reap, ce);
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETFUNCTION,
	    curl_event_socket_fn);
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETDATA, ce);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERFUNCTION,
	    curl_event_timer_fn);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERDATA, ce);
	return (ce);
}

/* Free CE and its events; see curl-event.h. */
void
curl_event_free(struct curl_event *ce)
{
	struct curl_event_sock	*s;

	if (ce == NULL)
		return;
	/* Closing cached connections may call the socket callback. */
	curl_multi_cleanup(ce->multi);
	while ((s = LIST_FIRST(&ce->socks)) != NULL) {
		LIST_REMOVE(s, entry);
		curl_event_sock_free(s);
	}
	curl_event_reap(-1, 0, ce);
	event_free(ce->reap);
	event_free(ce->timer);
	if (ce->free_cb != NULL)
		ce->free_cb(ce->arg);
	free(ce);
	curl_global_cleanup();
}

/* Start EASY; see curl-event.h. */
int
curl_event_add(struct curl_event *ce, CURL *easy, char **cause)
{
	CURLMcode	rc;

	/* curl arms its timer from here; the transfer starts from the loop. */
	if ((rc = curl_multi_add_handle(ce->multi, easy)) != CURLM_OK) {
		xasprintf(cause, "cannot start a transfer: %s",
		    curl_multi_strerror(rc));
		return (-1);
	}
	return (0);
}

/* Cut EASY short; see curl-event.h. */
void
curl_event_remove(struct curl_event *ce, CURL *easy)
{
	curl_multi_remove_handle(ce->multi, easy);
}
