/*
 * test-queue.c: work queues on Redis streams against a real redis-server,
 * and the pure request parser.
 *
 * tests/harness.sh starts a private redis-server and exports
 * FERRY_REDIS_PORT (and FERRY_REDIS_DIR).  The outage tests start one more
 * redis-server of their own, which they kill and restart.  Each test has
 * its own event base and key prefix; a safety timer fails a wait whose
 * callback never comes.  A plain blocking hiredis context checks what
 * landed in Redis and adds raw entries (tests only: the queue never
 * blocks).
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "ferry/log.h"
#include "ferry/queue.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#include "redis-helper.h"

#define T_SAFETY_MS	5000
#define T_MAX_ENTRIES	64
#define T_NKV		8
#define T_NCONSUMERS	3
#define T_STREAM	"queue"
#define T_GROUP		"ferryd"

/* One entry as an entry callback saw it. */
struct t_entry {
	char	 id[64];		/* entry ID */
	char	*kv[T_NKV];		/* first strings, copied */
	size_t	 nkv;			/* how many strings it had */
	int	 claimed;		/* taken over by XAUTOCLAIM */
	int	 parse_rc;		/* queue_request_parse, if asked */
	char	 cause[256];		/* its cause ("" if none) */
};

/* A consumer under test: its queue and what its callback saw. */
struct t_consumer {
	struct queue	*q;			/* queue, NULL once freed */
	char		 name[32];		/* consumer name */
	struct t_entry	 e[T_MAX_ENTRIES];	/* entries, in order */
	int		 n;			/* how many */
	int		 nclaimed;		/* of which claimed */
	int		 ack_in_cb;		/* queue_ack each from the cb */
	int		 free_in_cb;		/* queue_free from the cb */
	int		 parse_in_cb;		/* queue_request_parse each */
};

/* One test's world: a loop, queues and what their callbacks reported. */
struct t {
	struct event_base	*base;		/* the test's own loop */
	struct event		*safety;	/* fails a wait that hangs */
	int			 timed_out;	/* the safety timer fired */
	char			 prefix[64];	/* unique key prefix */
	char			 key[96];	/* prefix + T_STREAM */
	int			 port;		/* harness redis-server */
	struct t_redis		 redis;		/* test's own redis-server */
	struct t_consumer	 c[T_NCONSUMERS]; /* consumers */
	struct queue		*prod;		/* a queue that only adds */

	int			 add_done;	/* add callback calls */
	char			 add_id[64];	/* its ID ("" if NULL) */
	char			 add_err[256];	/* its error ("" if NULL) */
	struct queue		*free_in_add;	/* freed from the add cb */
	FILE			*logf;		/* captured log, or NULL */
};

/* Port of the harness' redis-server. */
static int
t_env_port(void)
{
	const char	*p = getenv("FERRY_REDIS_PORT");

	return (p != NULL ? atoi(p) : 0);
}

/* The safety timer: stop the loop and mark the wait as failed. */
static void
t_safety_timer(evutil_socket_t fd, short events, void *arg)
{
	struct t	*t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

/* Run T's loop until *COUNTER reaches TARGET; fail after T_SAFETY_MS. */
static void
t_run_until(struct t *t, const int *counter, int target)
{
	struct timeval	tv = { T_SAFETY_MS / 1000, 0 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (*counter < target && !t->timed_out)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
	assert_false(t->timed_out);
}

/* Run T's loop for MS milliseconds. */
static void
t_run_for(struct t *t, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (!t->timed_out)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
}

/* Run T's loop until nothing but the safety timer is left. */
static void
t_drain(struct t *t)
{
	struct timeval	tv = { T_SAFETY_MS / 1000, 0 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (!t->timed_out && event_base_get_num_events(t->base,
	    EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) > 1)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
	assert_false(t->timed_out);
}

/* The entry callback: keep a copy of what came, then act as told. */
static void
t_entry_cb(const char *id, const char *const *kv, size_t nkv, int claimed,
    void *arg)
{
	struct t_consumer	*c = arg;
	struct t_entry		*e;
	struct queue_request	 req;
	char			*cause = NULL;
	size_t			 i;

	assert_non_null(c->q);
	assert_true(c->n < T_MAX_ENTRIES);
	e = &c->e[c->n++];
	snprintf(e->id, sizeof e->id, "%s", id);
	e->nkv = nkv;
	for (i = 0; i < nkv && i < T_NKV; i++)
		e->kv[i] = xstrdup(kv[i]);
	e->claimed = claimed;
	if (claimed)
		c->nclaimed++;
	if (c->parse_in_cb) {
		e->parse_rc = queue_request_parse(kv, nkv, &req, &cause);
		snprintf(e->cause, sizeof e->cause, "%s", cause != NULL ?
		    cause : "");
		free(cause);
		queue_request_clear(&req);
	}
	if (c->ack_in_cb)
		queue_ack(c->q, id);
	if (c->free_in_cb) {
		queue_free(c->q);
		c->q = NULL;
	}
}

/* The add callback: record the answer. */
static void
t_add_cb(const char *id, const char *err, void *arg)
{
	struct t	*t = arg;

	t->add_done++;
	snprintf(t->add_id, sizeof t->add_id, "%s", id != NULL ? id : "");
	snprintf(t->add_err, sizeof t->add_err, "%s", err != NULL ? err :
	    "");
	assert_true((id == NULL) != (err == NULL));
	if (t->free_in_add != NULL) {
		queue_free(t->free_in_add);
		if (t->free_in_add == t->c[0].q)
			t->c[0].q = NULL;
		t->free_in_add = NULL;
	}
}

/* Parameters of a queue of T on PORT for CONSUMER. */
static struct queue_params
t_params(struct t *t, int port, const char *consumer, int idle, int every)
{
	struct queue_params	p;

	memset(&p, 0, sizeof p);
	p.host = "127.0.0.1";
	p.port = port;
	p.prefix = t->prefix;
	p.stream = T_STREAM;
	p.group = T_GROUP;
	p.consumer = consumer;
	p.claim_idle_ms = idle;
	p.claim_every_ms = every;
	return (p);
}

/* Start consumer I named NAME on PORT (not waiting for it). */
static struct t_consumer *
t_consumer(struct t *t, int i, int port, const char *name, int idle,
    int every)
{
	struct t_consumer	*c = &t->c[i];
	struct queue_params	 p = t_params(t, port, name, idle, every);

	assert_null(c->q);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->q = queue_create(t->base, &p, t_entry_cb, c);
	assert_non_null(c->q);
	return (c);
}

/* Start T's add-only queue on PORT. */
static void
t_producer(struct t *t, int port)
{
	struct queue_params	p = t_params(t, port, NULL, 0, 0);

	t->prod = queue_create(t->base, &p, NULL, NULL);
	assert_non_null(t->prod);
}

/* Add the NKV strings of KV through Q once it is up; the new ID in T. */
static void
t_add(struct t *t, struct queue *q, const char *const *kv, size_t nkv)
{
	int	try;

	for (try = 0; try < 100; try++) {
		t->add_done = 0;
		queue_add(q, kv, nkv, t_add_cb, t);
		assert_int_equal(t->add_done, 0);	/* never inside */
		t_run_until(t, &t->add_done, 1);
		if (t->add_id[0] != '\0')
			return;
		t_run_for(t, 50);	/* not connected yet */
	}
	fail_msg("cannot add an entry: %s", t->add_err);
}

/* Add entry "n N" through Q; its ID into ID. */
static void
t_add_n(struct t *t, struct queue *q, int n, char *id, size_t idsz)
{
	char		 num[16];
	const char	*kv[] = { "name", "mig", "n", num };

	snprintf(num, sizeof num, "%d", n);
	t_add(t, q, kv, nitems(kv));
	snprintf(id, idsz, "%s", t->add_id);
}

/* Forget what consumer C saw. */
static void
t_consumer_clear(struct t_consumer *c)
{
	int	i;
	size_t	j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < T_NKV; j++)
			free(c->e[i].kv[j]);
	}
	memset(c->e, 0, sizeof c->e);
	c->n = 0;
	c->nclaimed = 0;
}

/* Entries pending in T's group on PORT (XPENDING summary count). */
static long long
t_pending(struct t *t, int port)
{
	redisContext	*c = t_redis_connect(port);
	redisReply	*r;
	long long	 n;

	r = redisCommand(c, "XPENDING %s %s", t->key, T_GROUP);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_true(r->elements >= 1);
	assert_int_equal(r->element[0]->type, REDIS_REPLY_INTEGER);
	n = r->element[0]->integer;
	freeReplyObject(r);
	redisFree(c);
	return (n);
}

/* Run the loop until T's group on PORT has N pending entries. */
static void
t_wait_pending(struct t *t, int port, long long n)
{
	int	i;

	for (i = 0; i < T_SAFETY_MS / 50; i++) {
		if (t_pending(t, port) == n)
			return;
		t_run_for(t, 50);
	}
	fail_msg("group never had %lld pending entries (has %lld)", n,
	    t_pending(t, port));
}

/* Does T's group exist on PORT? */
static int
t_group_exists(struct t *t, int port)
{
	redisContext	*c = t_redis_connect(port);
	redisReply	*r;
	int		 yes;

	r = redisCommand(c, "XINFO GROUPS %s", t->key);
	assert_non_null(r);
	yes = (r->type == REDIS_REPLY_ARRAY && r->elements == 1);
	freeReplyObject(r);
	redisFree(c);
	return (yes);
}

/* Run the loop until T's group exists on PORT. */
static void
t_wait_group(struct t *t, int port)
{
	int	i;

	for (i = 0; i < T_SAFETY_MS / 50; i++) {
		if (t_group_exists(t, port))
			return;
		t_run_for(t, 50);
	}
	fail_msg("the consumer group was never created");
}

/* Run a command on PORT and check it did not fail. */
static void
t_port_do(int port, const char *fmt, ...)
{
	redisContext	*c = t_redis_connect(port);
	redisReply	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	redisFree(c);
}

/* Each test: a loop, a safety timer and a unique prefix. */
static int
t_setup(void **state)
{
	struct t	*t = xcalloc(1, sizeof *t);
	char		 suffix[9];

	t->base = event_base_new();
	assert_non_null(t->base);
	t->safety = evtimer_new(t->base, t_safety_timer, t);
	assert_non_null(t->safety);
	util_random_suffix(suffix, sizeof suffix);
	snprintf(t->prefix, sizeof t->prefix, "test-%s:", suffix);
	snprintf(t->key, sizeof t->key, "%s%s", t->prefix, T_STREAM);
	t->port = t_env_port();
	t->redis.pid = -1;
	*state = t;
	return (0);
}

/* Each test: free the queues, let the loop finish, stop its own redis. */
static int
t_teardown(void **state)
{
	struct t	*t = *state;
	int		 i;

	log_open(stderr, LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	if (t->logf != NULL)
		fclose(t->logf);
	for (i = 0; i < T_NCONSUMERS; i++) {
		queue_free(t->c[i].q);
		t->c[i].q = NULL;
		t_consumer_clear(&t->c[i]);
	}
	queue_free(t->prod);
	t->prod = NULL;
	t_drain(t);
	t_redis_remove(&t->redis);
	event_free(t->safety);
	event_base_free(t->base);
	free(t);
	return (0);
}

/* Three entries come in order, with their fields, not claimed. */
static void
queue_create__three_added__read_in_order_with_fields(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	const char		*kv1[] = { "name", "mig-1", "vm", "vm-a",
				    "trigger", "manual" };
	const char		*kv2[] = { "name", "mig-2", "vm", "vm b %s" };
	const char		*kv3[] = { "name", "mig-3" };
	char			 ids[3][64];

	t_producer(t, t->port);
	t_add(t, t->prod, kv1, nitems(kv1));
	snprintf(ids[0], sizeof ids[0], "%s", t->add_id);
	t_add(t, t->prod, kv2, nitems(kv2));
	snprintf(ids[1], sizeof ids[1], "%s", t->add_id);
	t_add(t, t->prod, kv3, nitems(kv3));
	snprintf(ids[2], sizeof ids[2], "%s", t->add_id);

	c = t_consumer(t, 0, t->port, "replica-1", 0, 0);
	t_run_until(t, &c->n, 3);
	t_run_for(t, 200);
	assert_int_equal(c->n, 3);

	assert_string_equal(c->e[0].id, ids[0]);
	assert_int_equal(c->e[0].nkv, 6);
	assert_string_equal(c->e[0].kv[0], "name");
	assert_string_equal(c->e[0].kv[1], "mig-1");
	assert_string_equal(c->e[0].kv[2], "vm");
	assert_string_equal(c->e[0].kv[3], "vm-a");
	assert_string_equal(c->e[0].kv[4], "trigger");
	assert_string_equal(c->e[0].kv[5], "manual");
	assert_string_equal(c->e[1].id, ids[1]);
	assert_int_equal(c->e[1].nkv, 4);
	assert_string_equal(c->e[1].kv[3], "vm b %s");
	assert_string_equal(c->e[2].id, ids[2]);
	assert_int_equal(c->e[2].nkv, 2);
	assert_string_equal(c->e[2].kv[1], "mig-3");
	assert_int_equal(c->nclaimed, 0);
	assert_int_equal(t_pending(t, t->port), 3);

	queue_ack(c->q, ids[0]);
	queue_ack(c->q, ids[1]);
	queue_ack(c->q, ids[2]);
	t_wait_pending(t, t->port, 0);
}

/* After a restart, acknowledged entries stay done; the others come back. */
static void
queue_create__same_consumer_after_free__replays_only_unacked(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 ids[4][64];
	int			 i;

	t_producer(t, t->port);
	for (i = 0; i < 3; i++)
		t_add_n(t, t->prod, i, ids[i], sizeof ids[i]);
	c = t_consumer(t, 0, t->port, "replica-1", 3000, 0);
	t_run_until(t, &c->n, 3);
	queue_ack(c->q, ids[0]);
	queue_ack(c->q, ids[2]);
	t_wait_pending(t, t->port, 1);
	queue_free(c->q);
	c->q = NULL;
	t_consumer_clear(c);

	/* The same replica comes back: only the unacknowledged one. */
	c = t_consumer(t, 0, t->port, "replica-1", 3000, 0);
	t_run_until(t, &c->n, 1);
	t_run_for(t, 300);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->e[0].id, ids[1]);
	assert_string_equal(c->e[0].kv[3], "1");
	assert_int_equal(c->e[0].claimed, 0);

	/* Then new entries as usual. */
	t_add_n(t, t->prod, 3, ids[3], sizeof ids[3]);
	t_run_until(t, &c->n, 2);
	assert_string_equal(c->e[1].id, ids[3]);
	assert_int_equal(c->e[1].claimed, 0);
	assert_int_equal(t_pending(t, t->port), 2);
}

/* Two consumers of one group: every entry goes to exactly one of them. */
static void
queue_create__two_consumers_one_group__each_entry_once(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*a, *b;
	char			 ids[20][64];
	int			 i, j, found, total;

	t_producer(t, t->port);
	a = t_consumer(t, 0, t->port, "replica-a", 300, 100);
	b = t_consumer(t, 1, t->port, "replica-b", 300, 100);
	a->ack_in_cb = b->ack_in_cb = 1;
	t_wait_group(t, t->port);
	t_run_for(t, 200);	/* both blocked in XREADGROUP */
	for (i = 0; i < 20; i++)
		t_add_n(t, t->prod, i, ids[i], sizeof ids[i]);

	total = 0;
	for (i = 0; i < T_SAFETY_MS / 50 && total < 20; i++) {
		t_run_for(t, 50);
		total = a->n + b->n;
	}
	t_run_for(t, 500);	/* nothing more may come */
	print_message("queue: consumer a got %d entries, b got %d\n", a->n,
	    b->n);
	assert_int_equal(a->n + b->n, 20);
	assert_int_equal(a->nclaimed + b->nclaimed, 0);
	for (i = 0; i < 20; i++) {
		found = 0;
		for (j = 0; j < a->n; j++)
			found += strcmp(a->e[j].id, ids[i]) == 0;
		for (j = 0; j < b->n; j++)
			found += strcmp(b->e[j].id, ids[i]) == 0;
		assert_int_equal(found, 1);
	}
	t_wait_pending(t, t->port, 0);
}

/*
 * A consumer holding entries is not robbed while it lives (it touches
 * them), however long it holds them; once it is gone, another consumer
 * claims them all within about a second.
 */
static void
queue_create__dead_consumer__other_claims_its_entries(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*a, *b;
	char			 ids[5][64];
	redisContext		*rc;
	redisReply		*r;
	uint64_t		 t0, elapsed;
	int			 i, j, found;

	t_producer(t, t->port);
	for (i = 0; i < 5; i++)
		t_add_n(t, t->prod, i, ids[i], sizeof ids[i]);
	a = t_consumer(t, 0, t->port, "replica-a", 300, 100);
	t_run_until(t, &a->n, 5);

	b = t_consumer(t, 1, t->port, "replica-b", 300, 100);
	t_run_for(t, 1200);	/* four times the idle limit */
	assert_int_equal(b->n, 0);

	queue_free(a->q);	/* dies without acknowledging */
	a->q = NULL;
	t0 = util_now_ms();
	t_run_until(t, &b->n, 5);
	elapsed = util_now_ms() - t0;
	print_message("queue: entries claimed %llu ms after their consumer "
	    "died\n", (unsigned long long)elapsed);
	assert_true(elapsed < 1500);
	t_run_for(t, 300);
	assert_int_equal(b->n, 5);
	assert_int_equal(b->nclaimed, 5);
	for (i = 0; i < 5; i++) {
		found = 0;
		for (j = 0; j < b->n; j++)
			found += strcmp(b->e[j].id, ids[i]) == 0;
		assert_int_equal(found, 1);
		assert_int_equal(b->e[i].claimed, 1);
	}

	/* All five are now B's, in Redis too. */
	rc = t_redis_connect(t->port);
	r = redisCommand(rc, "XPENDING %s %s - + 10 replica-b", t->key,
	    T_GROUP);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 5);
	freeReplyObject(r);
	redisFree(rc);
}

/*
 * Redis crashes and comes back (AOF): adds fail cleanly meanwhile, an ack
 * made meanwhile is applied after the reconnect, reading resumes, nothing
 * held is handed over twice, and the outage is logged once.
 */
static void
queue_create__redis_restarted__resumes_and_applies_kept_ack(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 ids[3][64];
	const char		*kv[] = { "name", "mig-down" };

	t->redis.persist = 1;
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	c = t_consumer(t, 0, t->redis.port, "replica-1", 300, 100);
	t_add_n(t, c->q, 0, ids[0], sizeof ids[0]);
	t_add_n(t, c->q, 1, ids[1], sizeof ids[1]);
	t_run_until(t, &c->n, 2);
	assert_int_equal(t_pending(t, t->redis.port), 2);

	t_redis_kill(&t->redis);
	t_run_for(t, 300);

	/* Down: an add fails from the loop, an ack is kept. */
	t->add_done = 0;
	queue_add(c->q, kv, nitems(kv), t_add_cb, t);
	assert_int_equal(t->add_done, 0);
	t_run_until(t, &t->add_done, 1);
	assert_string_equal(t->add_id, "");
	assert_non_null(strstr(t->add_err, "redis"));
	queue_ack(c->q, ids[0]);
	t_run_for(t, 700);	/* several retries: 100, 200, 400 ms */

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot restart the private redis-server");
	assert_int_equal(t_pending(t, t->redis.port), 2);   /* as it was */
	t_wait_pending(t, t->redis.port, 1);	/* the kept ack landed */

	t_add_n(t, c->q, 2, ids[2], sizeof ids[2]);
	t_run_until(t, &c->n, 3);
	t_run_for(t, 500);
	assert_int_equal(c->n, 3);	/* ids[1] was not handed over again */
	assert_string_equal(c->e[2].id, ids[2]);
	assert_int_equal(c->nclaimed, 0);

	assert_int_equal(t_log_lines(t->logf, " error ", "unreachable"), 1);
	assert_true(t_log_lines(t->logf, " debug ", "still unreachable") >= 2);
	assert_int_equal(t_log_lines(t->logf, " info ", "reachable again"), 1);
}

/* Redis comes back empty: the group is created again and reading goes on. */
static void
queue_create__redis_restarted_empty__group_created_again(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 ids[2][64];

	t->redis.persist = 0;
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	c = t_consumer(t, 0, t->redis.port, "replica-1", 300, 100);
	t_add_n(t, c->q, 0, ids[0], sizeof ids[0]);
	t_run_until(t, &c->n, 1);

	t_redis_kill(&t->redis);
	t_run_for(t, 300);
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot restart the private redis-server");
	t_wait_group(t, t->redis.port);

	t_add_n(t, c->q, 1, ids[1], sizeof ids[1]);
	t_run_until(t, &c->n, 2);
	assert_string_equal(c->e[1].id, ids[1]);
	assert_int_equal(t_pending(t, t->redis.port), 1);
}

/*
 * Pending entries deleted from the stream come back without fields: a
 * replay skips and acknowledges them, XAUTOCLAIM drops them (Redis 7).
 */
static void
queue_create__pending_entries_deleted__skipped(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*a, *b;
	char			 ids[3][64];
	int			 i;

	t_producer(t, t->port);
	for (i = 0; i < 3; i++)
		t_add_n(t, t->prod, i, ids[i], sizeof ids[i]);
	a = t_consumer(t, 0, t->port, "replica-a", 3000, 0);
	t_run_until(t, &a->n, 3);
	queue_free(a->q);
	a->q = NULL;
	t_consumer_clear(a);

	/* The same consumer replays: the deleted one is skipped and acked. */
	t_port_do(t->port, "XDEL %s %s", t->key, ids[0]);
	a = t_consumer(t, 0, t->port, "replica-a", 3000, 0);
	t_run_until(t, &a->n, 2);
	t_run_for(t, 200);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->e[0].id, ids[1]);
	assert_string_equal(a->e[1].id, ids[2]);
	t_wait_pending(t, t->port, 2);
	queue_free(a->q);
	a->q = NULL;

	/* Another consumer claims what is left, skipping the deleted one. */
	t_port_do(t->port, "XDEL %s %s", t->key, ids[1]);
	b = t_consumer(t, 1, t->port, "replica-b", 100, 100);
	t_run_until(t, &b->n, 1);
	t_run_for(t, 300);
	assert_int_equal(b->n, 1);
	assert_string_equal(b->e[0].id, ids[2]);
	assert_int_equal(b->e[0].claimed, 1);
	t_wait_pending(t, t->port, 1);
}

/*
 * Redis hangs (SIGSTOP): no RST comes, so the watchdog gives up on the
 * overdue replies, logs the outage once and reconnects; once Redis runs
 * again the queue carries on.
 */
static void
queue_create__redis_hangs__watchdog_reconnects(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 ids[2][64];

	t->redis.persist = 1;
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	c = t_consumer(t, 0, t->redis.port, "replica-1", 300, 100);
	t_add_n(t, c->q, 0, ids[0], sizeof ids[0]);
	t_run_until(t, &c->n, 1);

	kill(t->redis.pid, SIGSTOP);
	t_run_for(t, 7000);	/* BLOCK 1 s + 5 s grace, then a check */
	kill(t->redis.pid, SIGCONT);
	assert_int_equal(t_log_lines(t->logf, " error ", "no reply in time"), 1);
	assert_int_equal(t_log_lines(t->logf, " error ", "unreachable"), 1);

	t_add_n(t, c->q, 1, ids[1], sizeof ids[1]);
	t_run_until(t, &c->n, 2);
	assert_string_equal(c->e[1].id, ids[1]);
	assert_int_equal(c->nclaimed, 0);
}

/* The stream is deleted under a live queue: group made again, reads go on. */
static void
queue_create__stream_deleted__group_created_again(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 ids[2][64];

	c = t_consumer(t, 0, t->port, "replica-1", 300, 100);
	t_add_n(t, c->q, 0, ids[0], sizeof ids[0]);
	t_run_until(t, &c->n, 1);

	t_port_do(t->port, "DEL %s", t->key);
	t_run_for(t, 100);
	t_wait_group(t, t->port);
	t_run_for(t, 1200);	/* the reader's BLOCK ends, it reads again */

	t_add_n(t, c->q, 1, ids[1], sizeof ids[1]);
	t_run_until(t, &c->n, 2);
	assert_string_equal(c->e[1].id, ids[1]);
}

/* The key holds a string: creation fails and is retried, nothing breaks. */
static void
queue_create__key_of_wrong_type__retries_until_fixed(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 id[64];

	t->logf = t_log_open(LOG_LEVEL_DEBUG);
	t_port_do(t->port, "SET %s oops", t->key);
	c = t_consumer(t, 0, t->port, "replica-1", 300, 100);
	t_run_for(t, 1500);
	assert_int_equal(c->n, 0);
	assert_int_equal(t_log_lines(t->logf, " error ", "WRONGTYPE"), 1);

	t_port_do(t->port, "DEL %s", t->key);
	t_wait_group(t, t->port);
	t_add_n(t, c->q, 0, id, sizeof id);
	t_run_until(t, &c->n, 1);
	assert_string_equal(c->e[0].id, id);
}

/*
 * Raw entries: one with a NUL byte is dropped (and acknowledged), binary
 * junk without NUL comes byte for byte and fails the request parser
 * cleanly, and a good request after them parses.
 */
static void
queue_create__malformed_entries__dropped_or_passed_safely(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	redisContext		*rc;
	redisReply		*r;

	c = t_consumer(t, 0, t->port, "replica-1", 300, 100);
	c->parse_in_cb = 1;
	t_wait_group(t, t->port);

	rc = t_redis_connect(t->port);
	r = redisCommand(rc, "XADD %s * %b v", t->key, "nul\0byte",
	    (size_t)8);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
	r = redisCommand(rc, "XADD %s * %b %b", t->key, "\xff\xfe\x01op",
	    (size_t)5, "\x80\x7f", (size_t)2);
	assert_non_null(r);
	freeReplyObject(r);
	r = redisCommand(rc, "XADD %s * op drain node node-1 by ops", t->key);
	assert_non_null(r);
	freeReplyObject(r);
	redisFree(rc);

	t_run_until(t, &c->n, 2);
	t_run_for(t, 300);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->e[0].nkv, 2);
	assert_memory_equal(c->e[0].kv[0], "\xff\xfe\x01op", 6);
	assert_memory_equal(c->e[0].kv[1], "\x80\x7f", 3);
	assert_int_equal(c->e[0].parse_rc, -1);
	assert_non_null(strstr(c->e[0].cause, "unknown field"));
	assert_null(strchr(c->e[0].cause, '\x01'));	/* escaped */
	assert_int_equal(c->e[1].parse_rc, 0);
	assert_string_equal(c->e[1].cause, "");
	/* The NUL entry was acknowledged: only the two handed over wait. */
	t_wait_pending(t, t->port, 2);
}

/* An add with an odd or empty field list fails from the loop, sends nothing. */
static void
queue_add__odd_or_empty_fields__fails_cleanly(void **state)
{
	struct t		*t = *state;
	const char		*odd[] = { "op", "drain", "node" };
	const char		*nul[] = { "op", NULL };
	redisContext		*rc;
	redisReply		*r;

	t_producer(t, t->port);
	t->add_done = 0;
	queue_add(t->prod, odd, nitems(odd), t_add_cb, t);
	assert_int_equal(t->add_done, 0);
	t_run_until(t, &t->add_done, 1);
	assert_string_equal(t->add_id, "");
	assert_non_null(strstr(t->add_err, "pairs"));

	t->add_done = 0;
	queue_add(t->prod, odd, 0, t_add_cb, t);
	queue_add(t->prod, nul, nitems(nul), t_add_cb, t);
	queue_add(t->prod, NULL, 2, t_add_cb, t);
	queue_add(t->prod, odd, 2, NULL, NULL);	/* no callback: fine */
	t_run_until(t, &t->add_done, 3);
	assert_string_equal(t->add_id, "");
	assert_int_equal(t->add_done, 3);

	t_run_for(t, 200);
	rc = t_redis_connect(t->port);
	r = redisCommand(rc, "XLEN %s", t->key);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	assert_int_equal(r->integer, 1);	/* only the good one */
	freeReplyObject(r);
	redisFree(rc);
}

/* queue_free inside the entry callback: no further callback, no leak. */
static void
queue_free__inside_entry_cb__no_more_callbacks(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;
	char			 id[64];
	int			 i;

	t_producer(t, t->port);
	for (i = 0; i < 3; i++)
		t_add_n(t, t->prod, i, id, sizeof id);
	c = t_consumer(t, 0, t->port, "replica-1", 300, 100);
	c->free_in_cb = 1;
	t_run_until(t, &c->n, 1);
	assert_null(c->q);
	t_run_for(t, 400);
	assert_int_equal(c->n, 1);
}

/* queue_free inside an add callback: the other adds are never answered. */
static void
queue_free__inside_add_cb__later_replies_ignored(void **state)
{
	struct t		*t = *state;
	char			 id[64];

	t_producer(t, t->port);
	t_add_n(t, t->prod, 0, id, sizeof id);	/* up */
	t->add_done = 0;
	t->free_in_add = t->prod;
	queue_add(t->prod, (const char *[]){ "a", "1" }, 2, t_add_cb, t);
	queue_add(t->prod, (const char *[]){ "b", "2" }, 2, t_add_cb, t);
	queue_ack(t->prod, id);
	t->prod = NULL;
	t_run_until(t, &t->add_done, 1);
	t_drain(t);
	assert_int_equal(t->add_done, 1);
}

/* A queue that never reached Redis frees its kept work, calls nobody. */
static void
queue_free__while_down__nothing_called(void **state)
{
	struct t		*t = *state;
	struct t_consumer	*c;

	c = t_consumer(t, 0, t_free_port(), "replica-1", 300, 100);
	t_run_for(t, 350);	/* a few retries */
	t->add_done = 0;
	queue_add(c->q, (const char *[]){ "a", "1" }, 2, t_add_cb, t);
	queue_ack(c->q, "1-1");
	queue_ack(c->q, "not an id");
	queue_free(c->q);
	c->q = NULL;
	t_drain(t);
	assert_int_equal(t->add_done, 0);
	assert_int_equal(c->n, 0);
}

/* Bad parameters: no queue. */
static void
queue_create__bad_params__null(void **state)
{
	struct t		*t = *state;
	struct queue_params	 p;

	p = t_params(t, t->port, NULL, 300, 100);
	assert_null(queue_create(t->base, &p, t_entry_cb, &t->c[0]));
	p = t_params(t, t->port, "c", 0, 100);
	assert_null(queue_create(t->base, &p, t_entry_cb, &t->c[0]));
	p = t_params(t, 0, "c", 300, 100);
	assert_null(queue_create(t->base, &p, t_entry_cb, &t->c[0]));
	p = t_params(t, t->port, "c", 300, 100);
	p.stream = "";
	assert_null(queue_create(t->base, &p, t_entry_cb, &t->c[0]));
	assert_null(queue_create(t->base, NULL, t_entry_cb, &t->c[0]));
}

/* Parse KV; the cause ("" on success) into CAUSE. */
static int
t_parse(const char *const *kv, size_t nkv, struct queue_request *req,
    char *cause, size_t causesz)
{
	char	*c = NULL;
	int	 rc;

	rc = queue_request_parse(kv, nkv, req, &c);
	snprintf(cause, causesz, "%s", c != NULL ? c : "");
	if (rc == 0)
		assert_null(c);
	else {
		assert_non_null(c);
		assert_null(req->op);
		assert_null(req->node);
		assert_null(req->by);
	}
	free(c);
	return (rc);
}

/* A good drain request, with who asked. */
static void
queue_request_parse__good_drain__copied(void **state)
{
	const char		*kv[] = { "op", "drain", "node", "node-1.lab",
				    "by", "upgrade tool 1.2" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    0);
	assert_string_equal(req.op, "drain");
	assert_string_equal(req.node, "node-1.lab");
	assert_string_equal(req.by, "upgrade tool 1.2");
	queue_request_clear(&req);
	assert_null(req.op);
	queue_request_clear(&req);	/* twice is fine */
	queue_request_clear(NULL);
}

/* A good uncordon request, fields in any order, no "by". */
static void
queue_request_parse__good_uncordon__by_null(void **state)
{
	const char		*kv[] = { "node", "n2", "op", "uncordon" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    0);
	assert_string_equal(req.op, "uncordon");
	assert_string_equal(req.node, "n2");
	assert_null(req.by);
	queue_request_clear(&req);
}

/* No op. */
static void
queue_request_parse__missing_op__fails(void **state)
{
	const char		*kv[] = { "node", "n1" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "missing field 'op'");
	assert_int_equal(t_parse(NULL, 0, &req, cause, sizeof cause), -1);
	assert_string_equal(cause, "missing field 'op'");
}

/* An op that is neither drain nor uncordon. */
static void
queue_request_parse__unknown_op__fails(void **state)
{
	const char		*kv[] = { "op", "reboot\n", "node", "n1" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "unknown op 'reboot\\x0a' (drain or "
	    "uncordon)");
}

/* No node. */
static void
queue_request_parse__missing_node__fails(void **state)
{
	const char		*kv[] = { "op", "drain", "by", "me" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "missing field 'node'");
}

/* Node names that util_name_valid refuses. */
static void
queue_request_parse__bad_node_name__fails(void **state)
{
	const char		*bad[] = { "", "a b", "../etc", "n\xc3\xa9",
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaa" };
	const char		*kv[] = { "op", "drain", "node", NULL };
	struct queue_request	 req;
	char			 cause[256];
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		kv[3] = bad[i];
		assert_int_equal(t_parse(kv, nitems(kv), &req, cause,
		    sizeof cause), -1);
		assert_non_null(strstr(cause, "invalid node name"));
	}
	assert_string_equal(cause, "invalid node name 'aaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}

/* A field the format does not know, and a field given twice. */
static void
queue_request_parse__unknown_field__fails(void **state)
{
	const char		*kv[] = { "op", "drain", "node", "n1",
				    "force", "yes" };
	const char		*dup[] = { "op", "drain", "node", "n1",
				    "node", "n2" };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "unknown field 'force'");
	assert_int_equal(t_parse(dup, nitems(dup), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "field 'node' given twice");
}

/* "by" over 64 bytes, or with a control character. */
static void
queue_request_parse__by_too_long__fails(void **state)
{
	const char		*kv[] = { "op", "drain", "node", "n1", "by",
				    NULL };
	struct queue_request	 req;
	char			 cause[256], by[80];

	memset(by, 'x', 64);
	by[64] = '\0';
	kv[5] = by;
	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    0);
	queue_request_clear(&req);
	by[64] = 'x';
	by[65] = '\0';
	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "field 'by' is longer than 64 bytes");
	kv[5] = "ops\r\nforged: line";
	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "field 'by' holds a control character");
}

/* An odd number of strings, or a null one. */
static void
queue_request_parse__odd_kv_count__fails(void **state)
{
	const char		*kv[] = { "op", "drain", "node" };
	const char		*nul[] = { "op", "drain", "node", NULL };
	struct queue_request	 req;
	char			 cause[256];

	assert_int_equal(t_parse(kv, nitems(kv), &req, cause, sizeof cause),
	    -1);
	assert_non_null(strstr(cause, "odd number"));
	assert_int_equal(t_parse(nul, nitems(nul), &req, cause, sizeof cause),
	    -1);
	assert_string_equal(cause, "field 1 is null");
	assert_int_equal(t_parse(NULL, 2, &req, cause, sizeof cause), -1);
	assert_int_equal(queue_request_parse(kv, nitems(kv), &req, NULL), -1);
}

/* Run every test; skip (77) without the harness' redis-server. */
int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(queue_create__three_added__read_in_order_with_fields),
		T(queue_create__same_consumer_after_free__replays_only_unacked),
		T(queue_create__two_consumers_one_group__each_entry_once),
		T(queue_create__dead_consumer__other_claims_its_entries),
		T(queue_create__redis_restarted__resumes_and_applies_kept_ack),
		T(queue_create__redis_restarted_empty__group_created_again),
		T(queue_create__stream_deleted__group_created_again),
		T(queue_create__pending_entries_deleted__skipped),
		T(queue_create__redis_hangs__watchdog_reconnects),
		T(queue_create__key_of_wrong_type__retries_until_fixed),
		T(queue_create__malformed_entries__dropped_or_passed_safely),
		T(queue_add__odd_or_empty_fields__fails_cleanly),
		T(queue_free__inside_entry_cb__no_more_callbacks),
		T(queue_free__inside_add_cb__later_replies_ignored),
		T(queue_free__while_down__nothing_called),
		T(queue_create__bad_params__null),
#undef T
		cmocka_unit_test(queue_request_parse__good_drain__copied),
		cmocka_unit_test(queue_request_parse__good_uncordon__by_null),
		cmocka_unit_test(queue_request_parse__missing_op__fails),
		cmocka_unit_test(queue_request_parse__unknown_op__fails),
		cmocka_unit_test(queue_request_parse__missing_node__fails),
		cmocka_unit_test(queue_request_parse__bad_node_name__fails),
		cmocka_unit_test(queue_request_parse__unknown_field__fails),
		cmocka_unit_test(queue_request_parse__by_too_long__fails),
		cmocka_unit_test(queue_request_parse__odd_kv_count__fails),
	};

	if (t_env_port() == 0) {
		printf("SKIP: FERRY_REDIS_PORT is not set (run through "
		    "tests/harness.sh, which starts redis-server)\n");
		return (77);
	}
	log_open(stderr, LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	return (cmocka_run_group_tests_name("queue", tests, NULL, NULL));
}
