/*
 * test-notify.c: webhooks (notify.h) against real HTTP receivers on
 * loopback.  Each receiver is an evhttp server on the test's own event
 * base, the one the notifier runs on, so a test is one loop: the receiver
 * records every request (method, URI, headers, body, when) and answers as
 * its script says (a status, or nothing at all).  A closed port stands for
 * a receiver that is down.  Pauses and timeouts are shrunk through
 * notify_opts so the whole file runs in a few seconds; a ticker checks that
 * the loop keeps turning on time while receivers fail.  A safety timer
 * fails a wait that hangs.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <yajl/yajl_tree.h>

#include "ferry/json.h"
#include "ferry/log.h"
#include "ferry/notify.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#include "redis-helper.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define T_SAFETY_MS	10000	/* longest wait of one step */
#define T_MAX_REQS	64	/* requests one receiver records */
#define T_NRECV		3	/* receivers per test */
#define T_TICK_MS	10	/* the ticker's period */
#define T_TICK_LATE_MS	150	/* a tick this late means the loop stalled */
#define T_SILENT	-1	/* script: do not answer */

/* One request as a receiver saw it. */
struct t_req {
	int		 post;		/* the method was POST */
	char		 uri[256];	/* path and query */
	char		 ctype[128];	/* Content-Type, "" if none */
	char		 agent[128];	/* User-Agent, "" if none */
	int		 expect;	/* an Expect header came */
	char		*body;		/* copied */
	uint64_t	 at;		/* monotonic ms it came */
	int		 status;	/* what was answered, T_SILENT */
};

/* A webhook receiver: an evhttp server and what it saw. */
struct t_recv {
	struct evhttp	*http;			/* NULL until started */
	int		 port;			/* its loopback port */
	char		 url[128];		/* http://127.0.0.1:PORT/hook */
	int		 script[T_MAX_REQS];	/* answer to request I; 0: 200 */
	struct t_req	 reqs[T_MAX_REQS];	/* requests, in order */
	int		 n;			/* how many */
};

/* One test's world. */
struct t {
	struct event_base	*base;		/* the loop */
	struct event		*safety;	/* fails a wait that hangs */
	int			 timed_out;	/* the safety timer fired */
	struct event		*ticker;	/* every T_TICK_MS */
	uint64_t		 last_tick;	/* monotonic ms of the last tick */
	uint64_t		 worst_gap;	/* longest time between ticks */
	int			 ticks;		/* how many */
	struct t_recv		 recv[T_NRECV];	/* receivers */
	struct notify		*n;		/* under test */
	FILE			*logf;		/* captured log */
};

/* The safety timer: stop the loop and mark the wait as failed. */
static void
t_safety_timer(evutil_socket_t fd, short events, void *arg)
{
	struct t	*t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

/* The ticker: note how late it comes. */
static void
t_tick_timer(evutil_socket_t fd, short events, void *arg)
{
	struct t	*t = arg;
	uint64_t	 now = util_now_ms();

	if (t->last_tick != 0 && now - t->last_tick > t->worst_gap)
		t->worst_gap = now - t->last_tick;
	t->last_tick = now;
	t->ticks++;
}

/* Start the ticker afresh. */
static void
t_tick_start(struct t *t)
{
	struct timeval	tv = { 0, T_TICK_MS * 1000 };

	t->last_tick = util_now_ms();
	t->worst_gap = 0;
	t->ticks = 0;
	event_add(t->ticker, &tv);
}

/* Copy header NAME of HEADERS into BUF ("" if absent). */
static void
t_header(struct evkeyvalq *headers, const char *name, char *buf, size_t len)
{
	const char	*v = evhttp_find_header(headers, name);

	snprintf(buf, len, "%s", v != NULL ? v : "");
}

/* A request reached receiver R: record it, answer as scripted. */
static void
t_recv_cb(struct evhttp_request *req, void *arg)
{
	struct t_recv		*r = arg;
	struct t_req		*q;
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	size_t			 len;
	int			 status;

	assert_true(r->n < T_MAX_REQS);
	q = &r->reqs[r->n];
	status = r->script[r->n] != 0 ? r->script[r->n] : 200;
	r->n++;
	q->post = (evhttp_request_get_command(req) == EVHTTP_REQ_POST);
	snprintf(q->uri, sizeof q->uri, "%s", evhttp_request_get_uri(req));
	t_header(h, "Content-Type", q->ctype, sizeof q->ctype);
	t_header(h, "User-Agent", q->agent, sizeof q->agent);
	q->expect = (evhttp_find_header(h, "Expect") != NULL);
	len = evbuffer_get_length(in);
	q->body = xmalloc(len + 1);
	evbuffer_remove(in, q->body, len);
	q->body[len] = '\0';
	q->at = util_now_ms();
	q->status = status;
	if (status == T_SILENT)
		return;		/* evhttp frees it when the client hangs up */
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Failed", NULL);
}

/* Start receiver I of T on a free loopback port. */
static struct t_recv *
t_recv_start(struct t *t, int i)
{
	struct t_recv			*r = &t->recv[i];
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof sin;

	r->http = evhttp_new(t->base);
	assert_non_null(r->http);
	evhttp_set_gencb(r->http, t_recv_cb, r);
	bs = evhttp_bind_socket_with_handle(r->http, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len), 0);
	r->port = ntohs(sin.sin_port);
	snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d/hook?r=%d",
	    r->port, i);
	return (r);
}

/* A URL where nobody listens: a receiver that is down. */
static void
t_dead_url(char *buf, size_t len)
{
	snprintf(buf, len, "http://127.0.0.1:%d/down", t_free_port());
}

/* Options for tests: small pauses and timeouts, replica "replica-1". */
static void
t_opts(struct notify_opts *o, const char *const *urls, size_t nurls)
{
	memset(o, 0, sizeof *o);
	o->urls = urls;
	o->nurls = nurls;
	o->timeout_ms = 2000;
	o->retries = 5;
	o->queue_max = 100;
	o->backoff_ms = 20;
	o->backoff_max_ms = 1000;
	o->replica = "replica-1";
}

/* Make T's notifier with O. */
static void
t_notify(struct t *t, const struct notify_opts *o)
{
	char	*cause = NULL;

	t->n = notify_create(t->base, o, &cause);
	if (t->n == NULL)
		fail_msg("notify_create: %s", cause);
}

/* Counters of URL, asserted to exist. */
static struct notify_stats
t_stats(struct t *t, const char *url)
{
	struct notify_stats	st;

	assert_int_equal(notify_stats(t->n, url, &st), 0);
	return (st);
}

/* Post migration NAME, FINAL or not. */
static void
t_post(struct t *t, const char *name, int final)
{
	char	*json;

	xasprintf(&json, "{\"kind\":\"VirtualMachineInstanceMigration\","
	    "\"metadata\":{\"name\":\"%s\"},\"status\":{\"phase\":\"%s\"}}",
	    name, final ? "Succeeded" : "Running");
	notify_event(t->n, "migration", json, final);
	free(json);
}

/* Is the condition a t_run_until() waits for met? */
typedef int (*t_pred)(struct t *, const void *, uint64_t);

/* Run T's loop until PRED(T, ARG, N); fail after T_SAFETY_MS. */
static void
t_run_until(struct t *t, t_pred pred, const void *arg, uint64_t n)
{
	struct timeval	tv = { T_SAFETY_MS / 1000, 0 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (!pred(t, arg, n) && !t->timed_out)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
	if (t->timed_out)
		fail_msg("timed out waiting");
}

/* Run T's loop for MS. */
static void
t_run_for(struct t *t, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

/* Has receiver ARG seen N requests? */
static int
t_pred_requests(struct t *t, const void *arg, uint64_t n)
{
	const struct t_recv	*r = arg;

	return ((uint64_t)r->n >= n);
}

/* Has URL ARG been delivered N events? */
static int
t_pred_delivered(struct t *t, const void *arg, uint64_t n)
{
	return (t_stats(t, arg).delivered >= n);
}

/* Has URL ARG dropped N events after their retries? */
static int
t_pred_dropped(struct t *t, const void *arg, uint64_t n)
{
	return (t_stats(t, arg).dropped_retries >= n);
}

/* The parsed body of request Q; caller frees. */
static yajl_val
t_body(const struct t_req *q)
{
	char		err[256];
	yajl_val	v;

	v = yajl_tree_parse(q->body, err, sizeof err);
	if (v == NULL)
		fail_msg("body is not JSON (%s): %s", err, q->body);
	return (v);
}

/* Name of the migration in request Q's body. */
static char *
t_body_name(const struct t_req *q)
{
	yajl_val	 v = t_body(q), s;
	char		*name;

	s = json_get(v, yajl_t_string, "object", "metadata", "name");
	assert_non_null(s);
	name = xstrdup(YAJL_GET_STRING(s));
	yajl_tree_free(v);
	return (name);
}

/* Assert that request Q of R carries migration NAME. */
static void
t_assert_name(const struct t_recv *r, int i, const char *name)
{
	char	*got;

	assert_true(i < r->n);
	got = t_body_name(&r->reqs[i]);
	if (strcmp(got, name) != 0)
		fail_msg("request %d carries '%s', not '%s'", i, got, name);
	free(got);
}

/* The "id" of request Q's body; caller frees. */
static char *
t_body_id(const struct t_req *q)
{
	yajl_val	 v = t_body(q), s;
	char		*id;

	s = json_get(v, yajl_t_string, "id", NULL, NULL);
	assert_non_null(s);
	id = xstrdup(YAJL_GET_STRING(s));
	yajl_tree_free(v);
	return (id);
}

/* Each test: a loop, a ticker and a safety timer. */
static int
t_setup(void **state)
{
	struct t	*t = xcalloc(1, sizeof *t);

	t->base = event_base_new();
	assert_non_null(t->base);
	t->safety = evtimer_new(t->base, t_safety_timer, t);
	t->ticker = event_new(t->base, -1, EV_PERSIST, t_tick_timer, t);
	*state = t;
	return (0);
}

/* Each test: free the notifier and receivers, then the loop. */
static int
t_teardown(void **state)
{
	struct t	*t = *state;
	int		 i, j;

	notify_free(t->n);
	log_open(stderr, LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	if (t->logf != NULL)
		fclose(t->logf);
	for (i = 0; i < T_NRECV; i++) {
		if (t->recv[i].http != NULL)
			evhttp_free(t->recv[i].http);
		for (j = 0; j < t->recv[i].n; j++)
			free(t->recv[i].reqs[j].body);
	}
	event_free(t->ticker);
	event_free(t->safety);
	event_base_free(t->base);
	free(t);
	return (0);
}

/*
 * A final event reaches the receiver once: a POST to the URL as given,
 * JSON with the envelope (id, type, final, time, replica) around the
 * object, Content-Type application/json, User-Agent ferry/VERSION and no
 * Expect: 100-continue.
 */
static void
notify_event__final__posted_with_envelope_and_headers(void **state)
{
	struct t		*t = *state;
	struct t_recv		*r = t_recv_start(t, 0);
	const char		*urls[] = { r->url };
	struct notify_opts	 o;
	struct t_req		*q;
	struct notify_stats	 st;
	yajl_val		 v, x;
	char			 agent[64], when[40];
	const char		*s;
	uint64_t		 before = util_wall_ms();

	t_opts(&o, urls, 1);
	t_notify(t, &o);
	t_post(t, "vm1-abcde", 1);
	t_run_until(t, t_pred_delivered, r->url, 1);
	t_run_for(t, 50);

	assert_int_equal(r->n, 1);
	q = &r->reqs[0];
	assert_true(q->post);
	assert_string_equal(q->uri, "/hook?r=0");
	assert_string_equal(q->ctype, "application/json");
	snprintf(agent, sizeof agent, "ferry/%s", PACKAGE_VERSION);
	assert_string_equal(q->agent, agent);
	assert_false(q->expect);

	v = t_body(q);
	x = json_get(v, yajl_t_string, "id", NULL, NULL);
	assert_non_null(x);
	s = YAJL_GET_STRING(x);
	assert_non_null(s);
	assert_int_equal(strlen(s), 36);
	x = json_get(v, yajl_t_string, "type", NULL, NULL);
	assert_non_null(x);
	assert_string_equal(YAJL_GET_STRING(x), "migration");
	assert_non_null(json_get(v, yajl_t_true, "final", NULL, NULL));
	x = json_get(v, yajl_t_string, "replica", NULL, NULL);
	assert_non_null(x);
	assert_string_equal(YAJL_GET_STRING(x), "replica-1");
	/* RFC 3339 UTC with milliseconds, between before and now. */
	x = json_get(v, yajl_t_string, "time", NULL, NULL);
	assert_non_null(x);
	s = YAJL_GET_STRING(x);
	assert_int_equal(strlen(s), 24);
	assert_int_equal(s[10], 'T');
	assert_int_equal(s[19], '.');
	assert_int_equal(s[23], 'Z');
	util_rfc3339(before - before % 1000, when, sizeof when);
	assert_true(strncmp(s, when, 19) >= 0);
	util_rfc3339(util_wall_ms(), when, sizeof when);
	assert_true(strcmp(s, when) <= 0);
	/* The object as given. */
	x = json_get(v, yajl_t_string, "object", "kind", NULL);
	assert_non_null(x);
	assert_string_equal(YAJL_GET_STRING(x),
	    "VirtualMachineInstanceMigration");
	x = json_get(v, yajl_t_string, "object", "status", "phase");
	assert_non_null(x);
	assert_string_equal(YAJL_GET_STRING(x), "Succeeded");
	yajl_tree_free(v);
	t_assert_name(r, 0, "vm1-abcde");

	st = t_stats(t, r->url);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.queued, 0);
}

/*
 * Events that are not final are posted only with opts.all, with "final":
 * false; every URL gets every event.
 */
static void
notify_event__not_final__posted_only_with_all(void **state)
{
	struct t		*t = *state;
	struct t_recv		*a = t_recv_start(t, 0), *b = t_recv_start(t, 1);
	const char		*urls[] = { a->url, b->url };
	struct notify_opts	 o;
	yajl_val		 v;
	char			*cause = NULL;

	t_opts(&o, urls, 2);
	t_notify(t, &o);
	t_post(t, "m-running", 0);
	t_post(t, "m-done", 1);
	t_run_until(t, t_pred_delivered, a->url, 1);
	t_run_until(t, t_pred_delivered, b->url, 1);
	t_run_for(t, 50);
	assert_int_equal(a->n, 1);
	assert_int_equal(b->n, 1);
	t_assert_name(a, 0, "m-done");
	t_assert_name(b, 0, "m-done");

	o.all = 1;
	assert_int_equal(notify_set_opts(t->n, &o, &cause), 0);
	t_post(t, "m2-running", 0);
	t_post(t, "m2-done", 1);
	t_run_until(t, t_pred_delivered, a->url, 3);
	t_run_until(t, t_pred_delivered, b->url, 3);
	t_assert_name(a, 1, "m2-running");
	t_assert_name(a, 2, "m2-done");
	t_assert_name(b, 1, "m2-running");
	v = t_body(&a->reqs[1]);
	assert_non_null(json_get(v, yajl_t_false, "final", NULL, NULL));
	yajl_tree_free(v);
	v = t_body(&a->reqs[2]);
	assert_non_null(json_get(v, yajl_t_true, "final", NULL, NULL));
	yajl_tree_free(v);
}

/*
 * A receiver that answers 500 twice, then 200: the first event is
 * delivered on its third attempt, the same id each time, after pauses
 * that double; the events behind it follow in order, each once.
 */
static void
notify_event__500_twice_then_200__delivered_once_in_order(void **state)
{
	struct t		*t = *state;
	struct t_recv		*r = t_recv_start(t, 0);
	const char		*urls[] = { r->url };
	struct notify_opts	 o;
	struct notify_stats	 st;
	char			*id0, *id;
	int			 i;

	r->script[0] = 500;
	r->script[1] = 500;
	t_opts(&o, urls, 1);
	o.backoff_ms = 50;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_post(t, "m-a", 1);
	t_post(t, "m-b", 1);
	t_post(t, "m-c", 1);
	t_run_until(t, t_pred_delivered, r->url, 3);
	t_run_for(t, 100);

	assert_int_equal(r->n, 5);
	t_assert_name(r, 0, "m-a");
	t_assert_name(r, 1, "m-a");
	t_assert_name(r, 2, "m-a");
	t_assert_name(r, 3, "m-b");
	t_assert_name(r, 4, "m-c");
	id0 = t_body_id(&r->reqs[0]);
	for (i = 1; i < 3; i++) {
		id = t_body_id(&r->reqs[i]);
		assert_string_equal(id, id0);
		free(id);
	}
	id = t_body_id(&r->reqs[3]);
	assert_string_not_equal(id, id0);
	free(id);
	free(id0);
	/* Pauses of 50 then 100 ms. */
	assert_true(r->reqs[1].at - r->reqs[0].at >= 45);
	assert_true(r->reqs[2].at - r->reqs[1].at >= 95);

	st = t_stats(t, r->url);
	assert_int_equal(st.delivered, 3);
	assert_int_equal(st.failures, 2);
	assert_int_equal(st.dropped_retries, 0);
	assert_int_equal(st.queued, 0);
	/* Failed attempts are debug lines only; nothing was dropped. */
	assert_int_equal(t_log_lines(t->logf, "debug", "HTTP status 500"), 2);
	assert_int_equal(t_log_lines(t->logf, "warn", "webhook"), 0);
}

/*
 * A receiver that is down (nothing listens on its port): each event is
 * dropped after its last retry with one warning, while the loop keeps
 * turning on time and a healthy receiver gets its events at once.
 */
static void
notify_event__receiver_down__dropped_after_retries_loop_free(void **state)
{
	struct t		*t = *state;
	struct t_recv		*live = t_recv_start(t, 0);
	char			 dead[128];
	const char		*urls[2];
	struct notify_opts	 o;
	struct notify_stats	 st;

	t_dead_url(dead, sizeof dead);
	urls[0] = dead;
	urls[1] = live->url;
	t_opts(&o, urls, 2);
	o.retries = 3;
	o.backoff_ms = 30;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_tick_start(t);

	t_post(t, "m-1", 1);
	t_post(t, "m-2", 1);
	t_run_until(t, t_pred_delivered, live->url, 2);
	/* The dead receiver is still on its first event. */
	assert_int_equal(t_stats(t, dead).dropped_retries, 0);
	t_run_until(t, t_pred_dropped, dead, 2);
	t_run_for(t, 50);

	st = t_stats(t, dead);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.failures, 8);
	assert_int_equal(st.dropped_retries, 2);
	assert_int_equal(st.queued, 0);
	assert_int_equal(t_stats(t, live->url).delivered, 2);
	assert_int_equal(live->n, 2);
	/* One warning per event, none about the healthy URL. */
	assert_int_equal(t_log_lines(t->logf, "warn", "dropped after 4 attempts"),
	    2);
	assert_int_equal(t_log_lines(t->logf, "warn", "webhook"), 2);
	assert_int_equal(t_log_lines(t->logf, "warn", "/hook"), 0);
	/* 2 x (30 + 60 + 120) ms of pauses: the ticker never stalled. */
	assert_true(t->ticks >= 20);
	if (t->worst_gap > T_TICK_LATE_MS)
		fail_msg("a tick came %llu ms after the one before",
		    (unsigned long long)t->worst_gap);
}

/*
 * A full queue drops its oldest waiting events, never the one being sent,
 * counts them, and warns once each time it starts overflowing.
 */
static void
notify_event__queue_full__oldest_dropped_and_counted(void **state)
{
	struct t		*t = *state;
	struct t_recv		*r = t_recv_start(t, 0);
	const char		*urls[] = { r->url };
	struct notify_opts	 o;
	struct notify_stats	 st;
	char			 name[32];
	int			 i;

	t_opts(&o, urls, 1);
	o.queue_max = 3;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	/* m-0 goes out at once; m-1 .. m-10 wait, 3 at most. */
	for (i = 0; i <= 10; i++) {
		snprintf(name, sizeof name, "m-%d", i);
		t_post(t, name, 1);
	}
	st = t_stats(t, r->url);
	assert_int_equal(st.dropped_full, 7);
	assert_int_equal(st.queued, 4);
	t_run_until(t, t_pred_delivered, r->url, 4);
	t_run_for(t, 50);

	assert_int_equal(r->n, 4);
	t_assert_name(r, 0, "m-0");
	t_assert_name(r, 1, "m-8");
	t_assert_name(r, 2, "m-9");
	t_assert_name(r, 3, "m-10");
	assert_int_equal(t_log_lines(t->logf, "warn", "queue full (3 events)"), 1);

	/* Drained: overflowing again is worth a warning again. */
	for (i = 11; i <= 15; i++) {
		snprintf(name, sizeof name, "m-%d", i);
		t_post(t, name, 1);
	}
	st = t_stats(t, r->url);
	assert_int_equal(st.dropped_full, 8);
	t_run_until(t, t_pred_delivered, r->url, 8);
	t_assert_name(r, 4, "m-11");
	t_assert_name(r, 5, "m-13");
	t_assert_name(r, 7, "m-15");
	assert_int_equal(t_log_lines(t->logf, "warn", "queue full (3 events)"), 2);
	assert_int_equal(t_log_lines(t->logf, "warn", "8 dropped so far"), 1);
}

/*
 * A receiver that takes the request and never answers: the request times
 * out and is sent again (same id), and the answer to that one delivers.
 */
static void
notify_event__receiver_silent__timeout_then_retry(void **state)
{
	struct t		*t = *state;
	struct t_recv		*r = t_recv_start(t, 0);
	const char		*urls[] = { r->url };
	struct notify_opts	 o;
	struct notify_stats	 st;
	char			*id0, *id1;
	uint64_t		 gap;

	r->script[0] = T_SILENT;
	t_opts(&o, urls, 1);
	o.timeout_ms = 300;
	o.backoff_ms = 20;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_tick_start(t);
	t_post(t, "m-slow", 1);
	t_run_until(t, t_pred_delivered, r->url, 1);

	assert_int_equal(r->n, 2);
	id0 = t_body_id(&r->reqs[0]);
	id1 = t_body_id(&r->reqs[1]);
	assert_string_equal(id0, id1);
	free(id0);
	free(id1);
	/* The timeout, then the pause, then the second request. */
	gap = r->reqs[1].at - r->reqs[0].at;
	assert_true(gap >= 300);
	assert_true(gap < 2000);
	st = t_stats(t, r->url);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.failures, 1);
	assert_int_equal(t_log_lines(t->logf, "debug", "attempt 1 failed"), 1);
	if (t->worst_gap > T_TICK_LATE_MS)
		fail_msg("a tick came %llu ms after the one before",
		    (unsigned long long)t->worst_gap);
}

/*
 * New options: a URL kept keeps its queue and counters, a URL removed is
 * dropped with its events (one line), a URL added starts empty.
 */
static void
notify_set_opts__urls_changed__kept_added_removed(void **state)
{
	struct t		*t = *state;
	struct t_recv		*b = t_recv_start(t, 1), *c = t_recv_start(t, 2);
	char			 dead[128], *cause = NULL;
	const char		*before[2], *after[2];
	struct notify_opts	 o;
	struct notify_stats	 st;

	t_dead_url(dead, sizeof dead);
	before[0] = dead;
	before[1] = b->url;
	t_opts(&o, before, 2);
	o.backoff_ms = 5000;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_post(t, "m-1", 1);
	t_post(t, "m-2", 1);
	t_run_until(t, t_pred_delivered, b->url, 2);
	assert_int_equal(t_stats(t, dead).queued, 2);

	after[0] = b->url;
	after[1] = c->url;
	t_opts(&o, after, 2);
	assert_int_equal(notify_set_opts(t->n, &o, &cause), 0);
	assert_int_equal(notify_stats(t->n, dead, &st), -1);
	assert_int_equal(t_log_lines(t->logf, "warn", "2 events not delivered (no "
	    "longer configured)"), 1);
	t_post(t, "m-3", 1);
	t_run_until(t, t_pred_delivered, b->url, 3);
	t_run_until(t, t_pred_delivered, c->url, 1);
	t_assert_name(b, 0, "m-1");
	t_assert_name(b, 2, "m-3");
	t_assert_name(c, 0, "m-3");
	assert_int_equal(c->n, 1);

	/* A bad URL changes nothing. */
	after[1] = "gopher://h/";
	assert_int_equal(notify_set_opts(t->n, &o, &cause), -1);
	assert_string_equal(cause, "webhook URL 'gopher://h/' is not http:// "
	    "or https://");
	free(cause);
	assert_int_equal(notify_stats(t->n, c->url, &st), 0);
}

/*
 * Freeing the notifier drops what it still holds, with one line per URL,
 * and cuts a request in flight (ASan checks that nothing leaks).
 */
static void
notify_free__pending__dropped_with_one_line(void **state)
{
	struct t		*t = *state;
	struct t_recv		*r = t_recv_start(t, 0);
	char			 dead[128];
	const char		*urls[2];
	struct notify_opts	 o;

	r->script[0] = T_SILENT;
	t_dead_url(dead, sizeof dead);
	urls[0] = dead;
	urls[1] = r->url;
	t_opts(&o, urls, 2);
	o.backoff_ms = 5000;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_post(t, "m-1", 1);
	t_post(t, "m-2", 1);
	t_post(t, "m-3", 1);
	t_run_until(t, t_pred_requests, r, 1);
	notify_free(t->n);
	t->n = NULL;
	assert_int_equal(t_log_lines(t->logf, "warn", "3 events not delivered "
	    "(ferryd is stopping)"), 2);
	assert_int_equal(t_log_lines(t->logf, "warn", "127.0.0.1"), 2);
	notify_free(NULL);
}

/* Bad options are refused with a reason; URLs are logged without secrets. */
static void
notify_create__bad_urls__refused(void **state)
{
	struct t		*t = *state;
	struct notify_opts	 o;
	const char		*bad[] = { "ftp://h/x" };
	const char		*twice[] = { "http://h/", "http://h/" };
	const char		*secret[] = { "http://user:pw@127.0.0.1:1/p?"
	    "token=abc" };
	char			*cause = NULL;

	t_opts(&o, bad, 1);
	assert_null(notify_create(t->base, &o, &cause));
	assert_string_equal(cause, "webhook URL 'ftp://h/...' is not http:// "
	    "or https://");
	free(cause);
	t_opts(&o, twice, 2);
	assert_null(notify_create(t->base, &o, &cause));
	assert_string_equal(cause, "webhook URL 'http://h/' is given twice");
	free(cause);

	/* No URL at all: a notifier that posts nothing. */
	t_opts(&o, NULL, 0);
	t_notify(t, &o);
	t_post(t, "m-1", 1);
	notify_free(t->n);
	t->n = NULL;

	t_opts(&o, secret, 1);
	o.retries = 0;
	t_notify(t, &o);
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_post(t, "m-1", 1);
	t_run_until(t, t_pred_dropped, secret[0], 1);
	assert_int_equal(t_log_lines(t->logf, "warn", "'http://127.0.0.1:1/...'"),
	    1);
	assert_int_equal(t_log_lines(t->logf, "", "pw"), 0);
	assert_int_equal(t_log_lines(t->logf, "", "token"), 0);
	assert_int_equal(t_log_lines(t->logf, "", "/p"), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(notify_event__final__posted_with_envelope_and_headers),
		T(notify_event__not_final__posted_only_with_all),
		T(notify_event__500_twice_then_200__delivered_once_in_order),
		T(notify_event__receiver_down__dropped_after_retries_loop_free),
		T(notify_event__queue_full__oldest_dropped_and_counted),
		T(notify_event__receiver_silent__timeout_then_retry),
		T(notify_set_opts__urls_changed__kept_added_removed),
		T(notify_free__pending__dropped_with_one_line),
		T(notify_create__bad_urls__refused),
#undef T
	};

	/* Loopback only: a proxy from the environment must not intervene. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	log_open(stderr, LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	return (cmocka_run_group_tests_name("notify", tests, NULL, NULL));
}
