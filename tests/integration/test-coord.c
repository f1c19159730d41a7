/*
 * test-coord.c: replica coordination (and store_command) against a real
 * redis-server.
 *
 * tests/harness.sh starts a private redis-server and exports
 * FERRY_REDIS_PORT (and FERRY_REDIS_DIR).  The outage test starts one more
 * redis-server of its own and kills it.  Each test has its own event base
 * and key prefix; a safety timer fails a wait whose callback never comes.
 * Several replicas are several stores and coords on one loop: each store
 * has its own connection, so Redis sees them as separate clients.  A plain
 * blocking hiredis context checks (or changes) what is in Redis.
 */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
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

#include "ferry/coord.h"
#include "ferry/log.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#include "redis-helper.h"

#define T_SAFETY_MS	5000
#define T_NREPS		3
#define T_LEASE_MS	600	/* lease TTL of the leader tests */

struct t;

/* One replica: its store, its coord, what its leader_cb said. */
struct t_rep {
	struct t	*t;		/* the test */
	struct store	*s;		/* its connection to Redis */
	struct coord	*c;		/* its coordination */
	int		 up;		/* store up_cb said 1 last */
	int		 calls[16];	/* leader_cb values, in order */
	int		 ncalls;	/* how many */
	int		 leader;	/* last leader_cb value */
	int		 lost;		/* leader_cb(0) was called */
	uint64_t	 cb_ms;		/* monotonic ms of the last call */
	int		 free_in_cb;	/* coord_free inside leader_cb */
};

/* The answer of one coord or store_command call. */
struct t_res {
	struct t	*t;		/* the test */
	int		 done;		/* callback calls */
	int		 rc;		/* its rc */
	int		 ncluster;	/* count: cluster slots */
	int		 nnode;		/* count: node slots */
	long long	 epoch;		/* CAS: epoch */
	char		 owner[64];	/* CAS: owner ("" if NULL) */
	int		 owner_null;	/* CAS: owner was NULL */
	char		 err[256];	/* error ("" if NULL) */
	int		 err_null;	/* error was NULL */
	int		 type;		/* command: reply type (-1 if none) */
	long long	 integer;	/* command: integer reply */
	char		 str[256];	/* command: string or status reply */
	int		 freed;		/* command: free_cb calls */
};

/* One test's world. */
struct t {
	struct event_base	*base;		/* the test's own loop */
	struct event		*safety;	/* fails a wait that hangs */
	int			 timed_out;	/* the safety timer fired */
	char			 prefix[64];	/* unique key prefix */
	int			 port;		/* harness redis-server */
	struct t_redis		 redis;		/* test's own redis-server */
	struct t_rep		 reps[T_NREPS];	/* the replicas */
	int			 answers;	/* callbacks of any t_res */
};

/* Port of the harness' redis-server. */
static int
t_env_port(void)
{
	const char	*p = getenv("FERRY_REDIS_PORT");

	return (p != NULL ? atoi(p) : 0);
}

/* The safety timer: stop the loop and mark the wait as over. */
static void
t_safety_timer(evutil_socket_t fd, short events, void *arg)
{
	struct t	*t = arg;

	t->timed_out = 1;
	event_base_loopbreak(t->base);
}

/* Run T's loop until *COUNTER reaches N; fail after T_SAFETY_MS. */
static void
t_run_until_n(struct t *t, const int *counter, int n)
{
	struct timeval	tv = { T_SAFETY_MS / 1000, 0 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (*counter < n && !t->timed_out)
		event_base_loop(t->base, EVLOOP_ONCE);
	evtimer_del(t->safety);
	assert_false(t->timed_out);
}

/* Run T's loop until *FLAG is set; fail after T_SAFETY_MS. */
static void
t_run_until(struct t *t, const int *flag)
{
	t_run_until_n(t, flag, 1);
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

/* Store up_cb of a replica. */
static void
t_up_cb(int up, void *arg)
{
	struct t_rep	*r = arg;

	r->up = up;
}

/* leader_cb of a replica: record the transition. */
static void
t_leader_cb(int leader, void *arg)
{
	struct t_rep	*r = arg;

	assert_true(r->ncalls < (int)nitems(r->calls));
	r->calls[r->ncalls++] = leader;
	r->leader = leader;
	if (!leader)
		r->lost = 1;
	r->cb_ms = util_now_ms();
	if (r->free_in_cb) {
		coord_free(r->c);
		r->c = NULL;
	}
}

/* Start replica I's store on PORT and wait until it is up. */
static struct t_rep *
t_rep_store(struct t *t, int i, int port)
{
	struct t_rep		*r = &t->reps[i];
	struct store_cbs	 cbs = { .up_cb = t_up_cb, .arg = r };

	r->t = t;
	r->s = store_create(t->base, "127.0.0.1", port, t->prefix, &cbs);
	assert_non_null(r->s);
	t_run_until(t, &r->up);
	return (r);
}

/* Start replica I (store on PORT, then coord ID with lease TTL_MS). */
static struct t_rep *
t_rep_start(struct t *t, int i, int port, const char *id, int ttl_ms)
{
	struct t_rep		*r = t_rep_store(t, i, port);
	struct coord_cbs	 cbs = { .leader_cb = t_leader_cb, .arg = r };

	r->c = coord_create(t->base, r->s, id, ttl_ms, &cbs);
	assert_non_null(r->c);
	assert_int_equal(r->ncalls, 0);	/* never inside coord_create */
	assert_string_equal(coord_replica_id(r->c), id);
	return (r);
}

/* Free replica R's coord. */
static void
t_rep_coord_free(struct t_rep *r)
{
	coord_free(r->c);
	r->c = NULL;
}

/* Forget the answer in RES, ready for the next call. */
static void
t_res_reset(struct t *t, struct t_res *res)
{
	memset(res, 0, sizeof *res);
	res->t = t;
	res->rc = -2;
	res->type = -1;
}

/* Keep ERR in RES. */
static void
t_res_err(struct t_res *res, const char *err)
{
	res->err_null = (err == NULL);
	snprintf(res->err, sizeof res->err, "%s", err != NULL ? err : "");
}

/* coord_cb: record the answer. */
static void
t_cb(int rc, const char *err, void *arg)
{
	struct t_res	*res = arg;

	res->done++;
	res->t->answers++;
	res->rc = rc;
	t_res_err(res, err);
}

/* coord_count_cb: record the answer. */
static void
t_count_cb(int rc, int ncluster, int nnode, const char *err, void *arg)
{
	struct t_res	*res = arg;

	res->done++;
	res->t->answers++;
	res->rc = rc;
	res->ncluster = ncluster;
	res->nnode = nnode;
	t_res_err(res, err);
}

/* coord_cas_cb: record the answer. */
static void
t_cas_cb(int rc, const char *owner, long long epoch, const char *err,
    void *arg)
{
	struct t_res	*res = arg;

	res->done++;
	res->t->answers++;
	res->rc = rc;
	res->owner_null = (owner == NULL);
	snprintf(res->owner, sizeof res->owner, "%s", owner != NULL ? owner :
	    "");
	res->epoch = epoch;
	t_res_err(res, err);
}

/* store_reply_cb: record the reply. */
static void
t_reply_cb(const struct redisReply *reply, const char *err, void *arg)
{
	struct t_res	*res = arg;

	res->done++;
	res->t->answers++;
	t_res_err(res, err);
	if (reply == NULL)
		return;
	res->type = reply->type;
	res->integer = reply->integer;
	if (reply->str != NULL)
		snprintf(res->str, sizeof res->str, "%.*s", (int)reply->len,
		    reply->str);
}

/* free_cb of store_command. */
static void
t_reply_free(void *arg)
{
	struct t_res	*res = arg;

	res->freed++;
}

/* Run ARGV (C strings) with store_command on S and wait for the reply. */
static void
t_command(struct t *t, struct store *s, struct t_res *res, int argc,
    const char *const *argv)
{
	t_res_reset(t, res);
	store_command(s, argc, argv, NULL, t_reply_cb, res, t_reply_free);
	assert_int_equal(res->done, 0);		/* never inside the call */
	assert_int_equal(res->freed, 0);
	t_run_until(t, &res->freed);
	assert_int_equal(res->done, 1);
	assert_int_equal(res->freed, 1);	/* once, after the callback */
}

/* Count the slots of C for NODE and wait. */
static void
t_count(struct t *t, struct coord *c, const char *node, struct t_res *res)
{
	t_res_reset(t, res);
	coord_slot_count(c, node, t_count_cb, res);
	assert_int_equal(res->done, 0);
	t_run_until(t, &res->done);
	assert_int_equal(res->rc, 0);
	assert_int_equal(res->err_null, 1);
}

/* Take a slot with C and wait; the rc. */
static int
t_take(struct t *t, struct coord *c, const char *mig, const char *node,
    int climit, int nlimit, int ttl_ms)
{
	struct t_res	res;

	t_res_reset(t, &res);
	coord_slot_take(c, mig, node, climit, nlimit, ttl_ms, t_cb, &res);
	assert_int_equal(res.done, 0);
	t_run_until(t, &res.done);
	assert_int_equal(res.done, 1);
	return (res.rc);
}

/* Write a record with C and wait for the answer in RES. */
static void
t_write(struct t *t, struct coord *c, const char *name, const char *owner,
    long long epoch, const char *json, struct t_res *res)
{
	t_res_reset(t, res);
	coord_mig_write(c, name, owner, epoch, json, "vm-1", "Running",
	    1700000000123ULL, t_cas_cb, res);
	assert_int_equal(res->done, 0);
	t_run_until(t, &res->done);
	assert_int_equal(res->done, 1);
}

/* Take a record over with C and wait for the answer in RES. */
static void
t_mig_take(struct t *t, struct coord *c, const char *name,
    const char *owner, long long epoch, struct t_res *res)
{
	t_res_reset(t, res);
	coord_mig_take(c, name, owner, epoch, t_cas_cb, res);
	assert_int_equal(res->done, 0);
	t_run_until(t, &res->done);
	assert_int_equal(res->done, 1);
}

/* Ask C whether replica ID is alive and wait; the rc. */
static int
t_alive(struct t *t, struct coord *c, const char *id)
{
	struct t_res	res;

	t_res_reset(t, &res);
	coord_replica_alive(c, id, t_cb, &res);
	assert_int_equal(res.done, 0);
	t_run_until(t, &res.done);
	return (res.rc);
}

/* Check that hash field FIELD of KEY (under T's prefix) is WANT. */
static void
t_check_field(struct t *t, redisContext *c, const char *key,
    const char *field, const char *want)
{
	char	*v;

	v = t_redis_str(c, "HGET %s%s %s", t->prefix, key, field);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
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
	t->port = t_env_port();
	t->redis.pid = -1;
	*state = t;
	return (0);
}

/* Each test: coords first, then stores, let the loop finish, stop redis. */
static int
t_teardown(void **state)
{
	struct t	*t = *state;
	int		 i;

	for (i = 0; i < T_NREPS; i++)
		t_rep_coord_free(&t->reps[i]);
	for (i = 0; i < T_NREPS; i++) {
		store_free(t->reps[i].s);
		t->reps[i].s = NULL;
	}
	t_drain(t);
	t_redis_remove(&t->redis);
	event_free(t->safety);
	event_base_free(t->base);
	free(t);
	return (0);
}

/* PING, SET and GET answer through the caller's callback. */
static void
store_command__ping_set_get__replies_round_trip(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_store(t, 0, t->port);
	struct t_res	 res;
	char		 key[128];
	const char	*ping[] = { "PING" };
	const char	*get[2], *set[3];
	/* Binary-safe: NUL bytes and '%' travel untouched. */
	const char	 val[] = "a\0b %s";
	const char	*bin[3];
	size_t		 lens[3];

	t_command(t, r->s, &res, nitems(ping), ping);
	assert_int_equal(res.err_null, 1);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	assert_string_equal(res.str, "PONG");

	snprintf(key, sizeof key, "%skey", store_prefix(r->s));
	assert_string_equal(store_prefix(r->s), t->prefix);
	set[0] = "SET";
	set[1] = key;
	set[2] = "value 1";
	t_command(t, r->s, &res, nitems(set), set);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	assert_string_equal(res.str, "OK");
	get[0] = "GET";
	get[1] = key;
	t_command(t, r->s, &res, nitems(get), get);
	assert_int_equal(res.err_null, 1);
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	assert_string_equal(res.str, "value 1");

	bin[0] = "SET";
	bin[1] = key;
	bin[2] = val;
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = sizeof val - 1;
	t_res_reset(t, &res);
	store_command(r->s, nitems(bin), bin, lens, t_reply_cb, &res,
	    t_reply_free);
	t_run_until(t, &res.freed);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	get[0] = "STRLEN";
	t_command(t, r->s, &res, nitems(get), get);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	assert_int_equal(res.integer, sizeof val - 1);
}

/* An error reply comes as NULL with the server's text. */
static void
store_command__error_reply__null_with_err_text(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_store(t, 0, t->port);
	struct t_res	 res;
	const char	*bad[] = { "NOSUCHCOMMAND", "x" };
	const char	*wrong[] = { "INCR", NULL };
	char		 key[128];

	t_command(t, r->s, &res, nitems(bad), bad);
	assert_int_equal(res.type, -1);
	assert_int_equal(res.err_null, 0);
	assert_non_null(strstr(res.err, "ERR"));
	assert_non_null(strstr(res.err, "NOSUCHCOMMAND"));

	/* The connection is still good afterwards. */
	snprintf(key, sizeof key, "%scounter", t->prefix);
	wrong[1] = key;
	t_command(t, r->s, &res, nitems(wrong), wrong);
	assert_int_equal(res.err_null, 1);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	assert_int_equal(res.integer, 1);
}

/* No Redis: the command fails from the loop, its argument is freed. */
static void
store_command__redis_down__fails_later_unreachable(void **state)
{
	struct t		*t = *state;
	struct t_rep		*r = &t->reps[0];
	struct store_cbs	 cbs = { .up_cb = t_up_cb, .arg = r };
	struct t_res		 res;
	const char		*ping[] = { "PING" };

	r->s = store_create(t->base, "127.0.0.1", t_free_port(), t->prefix,
	    &cbs);
	assert_non_null(r->s);
	t_command(t, r->s, &res, nitems(ping), ping);
	assert_int_equal(res.type, -1);
	assert_string_equal(res.err, "redis is unreachable");
}

/* The link drops with a command in flight: "redis connection lost". */
static void
store_command__link_dropped__fails_connection_lost(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_store(t, 0, t->port);
	struct t_res	 res;
	redisContext	*c;
	redisReply	*reply;
	char		 key[128];
	const char	*argv[3];

	/* A blocking pop that waits until its connection is killed. */
	snprintf(key, sizeof key, "%snever", t->prefix);
	argv[0] = "BLPOP";
	argv[1] = key;
	argv[2] = "0";
	t_res_reset(t, &res);
	store_command(r->s, nitems(argv), argv, NULL, t_reply_cb, &res,
	    t_reply_free);
	t_run_for(t, 100);	/* sent and blocked */
	assert_int_equal(res.done, 0);

	c = t_redis_connect(t->port);
	reply = redisCommand(c, "CLIENT KILL TYPE normal SKIPME yes");
	assert_non_null(reply);
	assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
	assert_true(reply->integer >= 1);
	freeReplyObject(reply);
	redisFree(c);

	t_run_until(t, &res.freed);
	assert_int_equal(res.done, 1);
	assert_int_equal(res.type, -1);
	assert_string_equal(res.err, "redis connection lost");
}

/* store_free with a command in flight: no callback, the argument freed. */
static void
store_free__command_in_flight__no_callback_arg_freed(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_store(t, 0, t->port);
	struct t_res	 res, down;
	const char	*ping[] = { "PING" };

	t_res_reset(t, &res);
	store_command(r->s, nitems(ping), ping, NULL, t_reply_cb, &res,
	    t_reply_free);
	store_free(r->s);
	r->s = NULL;
	t_drain(t);
	assert_int_equal(res.done, 0);
	assert_int_equal(res.freed, 1);

	/* Same for a failure not yet delivered. */
	r->up = 0;
	r->s = store_create(t->base, "127.0.0.1", t_free_port(), t->prefix,
	    NULL);
	t_res_reset(t, &down);
	store_command(r->s, nitems(ping), ping, NULL, t_reply_cb, &down,
	    t_reply_free);
	store_free(r->s);
	r->s = NULL;
	assert_int_equal(down.freed, 1);
	t_drain(t);
	assert_int_equal(down.done, 0);
}

/* The replica lease exists with a TTL within the configured one, lasts. */
static void
coord_create__replica_lease__set_with_ttl_and_renewed(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_start(t, 0, t->port, "rep-a", 300);
	redisContext	*c;
	long long	 pttl;
	char		*v;

	t_run_for(t, 50);
	c = t_redis_connect(t->port);
	v = t_redis_str(c, "GET %sreplica:rep-a", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "rep-a");
	free(v);
	pttl = t_redis_int(c, "PTTL %sreplica:rep-a", t->prefix);
	assert_true(pttl > 0 && pttl <= 300);

	t_run_for(t, 600);	/* twice the TTL: renewed meanwhile */
	pttl = t_redis_int(c, "PTTL %sreplica:rep-a", t->prefix);
	assert_true(pttl > 0 && pttl <= 300);
	assert_int_equal(t_alive(t, r->c, "rep-a"), 1);
	assert_int_equal(t_alive(t, r->c, "rep-nobody"), 0);

	/* A second replica sees it; once freed, its lease runs out. */
	t_rep_start(t, 1, t->port, "rep-b", 300);
	assert_int_equal(t_alive(t, t->reps[1].c, "rep-a"), 1);
	t_rep_coord_free(r);
	t_run_for(t, 400);
	assert_int_equal(t_alive(t, t->reps[1].c, "rep-a"), 0);
	assert_int_equal(t_redis_int(c, "EXISTS %sreplica:rep-a", t->prefix),
	    0);
	redisFree(c);
}

/* Two replicas on one Redis: exactly one leads, told once. */
static void
coord_create__two_replicas__exactly_one_leader(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a, *b, *l;
	redisContext	*c;
	long long	 pttl;
	char		*v;

	a = t_rep_start(t, 0, t->port, "rep-a", T_LEASE_MS);
	b = t_rep_start(t, 1, t->port, "rep-b", T_LEASE_MS);
	t_run_for(t, 2 * T_LEASE_MS);

	assert_int_equal(coord_is_leader(a->c) + coord_is_leader(b->c), 1);
	l = coord_is_leader(a->c) ? a : b;
	assert_int_equal(l->ncalls, 1);
	assert_int_equal(l->calls[0], 1);
	assert_int_equal((l == a ? b : a)->ncalls, 0);

	c = t_redis_connect(t->port);
	v = t_redis_str(c, "GET %sleader", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, coord_replica_id(l->c));
	free(v);
	pttl = t_redis_int(c, "PTTL %sleader", t->prefix);
	assert_true(pttl > 0 && pttl <= T_LEASE_MS);
	redisFree(c);
}

/* The leader stops: the other leads within about one TTL. */
static void
coord_free__leader__other_leads_within_ttl(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a, *b;
	uint64_t	 t0;

	a = t_rep_start(t, 0, t->port, "rep-a", T_LEASE_MS);
	t_run_until(t, &a->leader);
	b = t_rep_start(t, 1, t->port, "rep-b", T_LEASE_MS);
	t_run_for(t, T_LEASE_MS);
	assert_false(coord_is_leader(b->c));

	t0 = util_now_ms();
	t_rep_coord_free(a);
	t_run_until(t, &b->leader);
	assert_true(coord_is_leader(b->c));
	assert_true(b->cb_ms - t0 <= T_LEASE_MS);
	assert_int_equal(a->ncalls, 1);		/* no callback after free */
	assert_int_equal(b->ncalls, 1);
}

/* The lease is taken by another (we stalled past it): leader_cb(0). */
static void
coord_leader__lease_taken_by_another__leader_cb_zero(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a;
	redisContext	*c;
	char		*v;

	a = t_rep_start(t, 0, t->port, "rep-a", T_LEASE_MS);
	t_run_until(t, &a->leader);

	c = t_redis_connect(t->port);
	t_redis_do(c, "SET %sleader rep-other PX 5000", t->prefix);
	t_run_until(t, &a->lost);
	assert_false(coord_is_leader(a->c));
	assert_int_equal(a->ncalls, 2);
	assert_int_equal(a->calls[1], 0);

	/* It does not take the lease back while the other holds it. */
	t_run_for(t, T_LEASE_MS);
	assert_int_equal(a->ncalls, 2);
	v = t_redis_str(c, "GET %sleader", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "rep-other");
	free(v);

	/* coord_free must not delete another's lease. */
	t_rep_coord_free(a);
	t_run_for(t, 100);	/* its release script has run */
	v = t_redis_str(c, "GET %sleader", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "rep-other");
	free(v);
	redisFree(c);
}

/* Redis unreachable for longer than the TTL: the leader steps down. */
static void
coord_leader__redis_lost__steps_down_within_ttl(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a;
	uint64_t	 t0;

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	a = t_rep_start(t, 0, t->redis.port, "rep-a", T_LEASE_MS);
	t_run_until(t, &a->leader);
	t_run_for(t, T_LEASE_MS / 2);

	t0 = util_now_ms();
	t_redis_kill(&t->redis);
	t_run_until(t, &a->lost);
	assert_false(coord_is_leader(a->c));
	/* Not before the last renewal's lease ran out, not after the TTL. */
	assert_true(a->cb_ms - t0 >= T_LEASE_MS / 3);
	assert_true(a->cb_ms - t0 <= T_LEASE_MS + 100);
	assert_int_equal(a->ncalls, 2);
}

/* coord_free inside leader_cb: nothing after it, nothing leaked. */
static void
coord_free__inside_leader_cb__no_later_callback(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a;
	redisContext	*c;

	a = t_rep_start(t, 0, t->port, "rep-a", 300);
	a->free_in_cb = 1;
	t_run_until(t, &a->leader);
	assert_null(a->c);
	t_run_for(t, 300);
	assert_int_equal(a->ncalls, 1);

	/* The lease was given back. */
	c = t_redis_connect(t->port);
	assert_int_equal(t_redis_int(c, "EXISTS %sleader", t->prefix), 0);
	redisFree(c);
}

/* Three replicas race for slots: both limits hold cluster-wide. */
static void
coord_slot_take__three_replicas__limits_hold(void **state)
{
	struct t	*t = *state;
	/* 7 migrations on 3 nodes: node limits allow 6, the cluster 5. */
	const char	*migs[] = { "m0", "m1", "m2", "m3", "m4", "m5", "m6" };
	const char	*nodes[] = { "na", "na", "na", "nb", "nb", "nc", "nc" };
	const char	*names[] = { "na", "nb", "nc" };
	struct t_res	 res[nitems(migs)], cnt;
	int		 i, granted = 0, sum = 0, refused = -1, held = -1;

	t_rep_start(t, 0, t->port, "rep-a", 5000);
	t_rep_start(t, 1, t->port, "rep-b", 5000);
	t_rep_start(t, 2, t->port, "rep-c", 5000);
	t->answers = 0;
	for (i = 0; i < (int)nitems(migs); i++) {
		t_res_reset(t, &res[i]);
		coord_slot_take(t->reps[i % T_NREPS].c, migs[i], nodes[i], 5,
		    2, 10000, t_cb, &res[i]);
	}
	t_run_until_n(t, &t->answers, nitems(migs));
	for (i = 0; i < (int)nitems(migs); i++) {
		assert_int_equal(res[i].done, 1);
		assert_true(res[i].rc == 0 || res[i].rc == 1);
		granted += res[i].rc;
		if (res[i].rc == 0)
			refused = i;
		else
			held = i;
	}
	assert_int_equal(granted, 5);
	for (i = 0; i < (int)nitems(names); i++) {
		t_count(t, t->reps[i].c, names[i], &cnt);
		assert_int_equal(cnt.ncluster, 5);
		assert_true(cnt.nnode <= 2);
		sum += cnt.nnode;
	}
	assert_int_equal(sum, 5);

	/* A holder asks again (from another replica): granted, no change. */
	assert_int_equal(t_take(t, t->reps[(held + 1) % T_NREPS].c,
	    migs[held], nodes[held], 5, 2, 10000), 1);
	t_count(t, t->reps[0].c, nodes[held], &cnt);
	assert_int_equal(cnt.ncluster, 5);
	/* One refused asks again: still refused. */
	assert_int_equal(t_take(t, t->reps[0].c, migs[refused],
	    nodes[refused], 5, 2, 10000), 0);
	t_count(t, t->reps[0].c, nodes[refused], &cnt);
	assert_int_equal(cnt.ncluster, 5);
}

/* A slot nobody renews frees itself. */
static void
coord_slot_take__not_renewed__expires(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 cnt;

	assert_int_equal(t_take(t, r->c, "m1", "na", 1, 1, 200), 1);
	assert_int_equal(t_take(t, r->c, "m2", "na", 1, 1, 200), 0);
	t_count(t, r->c, "na", &cnt);
	assert_int_equal(cnt.ncluster, 1);
	assert_int_equal(cnt.nnode, 1);

	t_run_for(t, 300);
	t_count(t, r->c, "na", &cnt);
	assert_int_equal(cnt.ncluster, 0);
	assert_int_equal(cnt.nnode, 0);
	assert_int_equal(t_take(t, r->c, "m2", "na", 1, 1, 200), 1);
}

/* Renewing a slot keeps it past its first expiry. */
static void
coord_slot_renew__before_expiry__slot_kept(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 cnt;
	int		 i;

	assert_int_equal(t_take(t, r->c, "m1", "na", 5, 2, 300), 1);
	for (i = 0; i < 4; i++) {
		t_run_for(t, 150);
		coord_slot_renew(r->c, "m1", "na", 300);
	}
	/* 600 ms after the take, twice its TTL. */
	t_count(t, r->c, "na", &cnt);
	assert_int_equal(cnt.ncluster, 1);
	assert_int_equal(cnt.nnode, 1);

	/* Renewing never revives an expired slot. */
	t_run_for(t, 400);
	coord_slot_renew(r->c, "m1", "na", 300);
	t_count(t, r->c, "na", &cnt);
	assert_int_equal(cnt.ncluster, 0);
	assert_int_equal(cnt.nnode, 0);
}

/* A released slot is free for the next migration at once. */
static void
coord_slot_release__held__freed(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 cnt;

	assert_int_equal(t_take(t, r->c, "m1", "na", 1, 1, 10000), 1);
	assert_int_equal(t_take(t, r->c, "m2", "na", 1, 1, 10000), 0);
	coord_slot_release(r->c, "m1", "na");
	t_count(t, r->c, "na", &cnt);
	assert_int_equal(cnt.ncluster, 0);
	assert_int_equal(cnt.nnode, 0);
	assert_int_equal(t_take(t, r->c, "m2", "na", 1, 1, 10000), 1);
}

/* A bad TTL is an error from Redis, not a crash or a grant. */
static void
coord_slot_take__bad_ttl__error(void **state)
{
	struct t	*t = *state;
	struct t_rep	*r = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 res;

	t_res_reset(t, &res);
	coord_slot_take(r->c, "m1", "na", 5, 2, 0, t_cb, &res);
	t_run_until(t, &res.done);
	assert_int_equal(res.rc, -1);
	assert_non_null(strstr(res.err, "slot ttl must be positive"));
}

/* No Redis: slot and CAS calls fail with an error, from the loop. */
static void
coord_slot_take__redis_down__fails_with_error(void **state)
{
	struct t		*t = *state;
	struct t_rep		*r = &t->reps[0];
	struct coord_cbs	 cbs = { .leader_cb = t_leader_cb, .arg = r };
	struct t_res		 res;

	r->t = t;
	r->s = store_create(t->base, "127.0.0.1", t_free_port(), t->prefix,
	    NULL);
	r->c = coord_create(t->base, r->s, "rep-a", 300, &cbs);
	assert_non_null(r->c);
	assert_int_equal(t_take(t, r->c, "m1", "na", 5, 2, 1000), -1);
	t_write(t, r->c, "mig-1", "rep-a", 1, "{}", &res);
	assert_int_equal(res.rc, -1);
	assert_string_equal(res.err, "redis is unreachable");
	assert_int_equal(res.owner_null, 1);
	t_run_for(t, 400);
	assert_int_equal(r->ncalls, 0);
	assert_false(coord_is_leader(r->c));
}

/* A first write lands with owner and epoch, indexed and published. */
static void
coord_mig_write__absent__written_and_published(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 res;
	redisContext	*c, *sub;
	redisReply	*r;
	void		*reply;
	char		*v;

	sub = t_redis_connect(t->port);
	r = redisCommand(sub, "SUBSCRIBE %sevents", t->prefix);
	assert_non_null(r);
	freeReplyObject(r);

	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"n\":1}", &res);
	assert_int_equal(res.rc, 1);
	assert_int_equal(res.err_null, 1);
	assert_string_equal(res.owner, "rep-a");
	assert_int_equal(res.epoch, 1);

	c = t_redis_connect(t->port);
	t_check_field(t, c, "mig:mig-1", "json", "{\"n\":1}");
	t_check_field(t, c, "mig:mig-1", "vm", "vm-1");
	t_check_field(t, c, "mig:mig-1", "phase", "Running");
	t_check_field(t, c, "mig:mig-1", "owner", "rep-a");
	t_check_field(t, c, "mig:mig-1", "epoch", "1");
	v = t_redis_str(c, "ZSCORE %smigs mig-1", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "1700000000123");
	free(v);
	redisFree(c);

	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	assert_string_equal(r->element[2]->str, "{\"n\":1}");
	freeReplyObject(r);
	redisFree(sub);

	/* The owner at the same epoch writes again. */
	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"n\":2}", &res);
	assert_int_equal(res.rc, 1);
}

/*
 * Only transitions are published (GET /v1/watch): a write that keeps the
 * stored phase lands but is not published; one that changes it is.
 */
static void
coord_mig_write__same_phase__written_not_published(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 res;
	redisContext	*c, *sub;
	redisReply	*r;
	void		*reply;
	const char	*want[] = { "{\"n\":1}", "{\"n\":3}" };
	size_t		 i;

	sub = t_redis_connect(t->port);
	r = redisCommand(sub, "SUBSCRIBE %sevents", t->prefix);
	assert_non_null(r);
	freeReplyObject(r);

	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"n\":1}", &res);
	assert_int_equal(res.rc, 1);
	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"n\":2}", &res);
	assert_int_equal(res.rc, 1);
	t_res_reset(t, &res);
	coord_mig_write(a->c, "mig-1", "rep-a", 1, "{\"n\":3}", "vm-1",
	    "Completing", 1700000000123ULL, t_cas_cb, &res);
	t_run_until(t, &res.done);
	assert_int_equal(res.rc, 1);

	c = t_redis_connect(t->port);
	t_check_field(t, c, "mig:mig-1", "json", "{\"n\":3}");
	t_check_field(t, c, "mig:mig-1", "phase", "Completing");
	redisFree(c);

	/* One connection publishes in order: n:2 would come before n:3. */
	for (i = 0; i < nitems(want); i++) {
		assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
		r = reply;
		assert_int_equal(r->type, REDIS_REPLY_ARRAY);
		assert_int_equal(r->elements, 3);
		assert_string_equal(r->element[2]->str, want[i]);
		freeReplyObject(r);
	}
	redisFree(sub);
}

/* A write at the wrong epoch or by another owner conflicts. */
static void
coord_mig_write__wrong_epoch__conflict_with_current(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 res;
	redisContext	*c;

	t_write(t, a->c, "mig-1", "rep-a", 3, "{\"n\":1}", &res);
	assert_int_equal(res.rc, 1);
	t_write(t, a->c, "mig-1", "rep-a", 2, "{\"n\":2}", &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.err_null, 1);
	assert_string_equal(res.owner, "rep-a");
	assert_int_equal(res.epoch, 3);
	t_write(t, a->c, "mig-1", "rep-z", 3, "{\"n\":3}", &res);
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.owner, "rep-a");
	assert_int_equal(res.epoch, 3);

	c = t_redis_connect(t->port);
	t_check_field(t, c, "mig:mig-1", "json", "{\"n\":1}");
	redisFree(c);
}

/* Take-over bumps the epoch; the stalled old owner cannot overwrite. */
static void
coord_mig_take__right_expected__old_owner_conflicts(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a, *b;
	struct t_res	 res;
	redisContext	*c;

	a = t_rep_start(t, 0, t->port, "rep-a", 5000);
	b = t_rep_start(t, 1, t->port, "rep-b", 5000);
	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"by\":\"a\"}", &res);
	assert_int_equal(res.rc, 1);

	t_mig_take(t, b->c, "mig-1", "rep-a", 1, &res);
	assert_int_equal(res.rc, 1);
	assert_int_equal(res.err_null, 1);
	assert_string_equal(res.owner, "rep-b");
	assert_int_equal(res.epoch, 2);

	/* The old owner wakes up and writes with what it knew. */
	t_write(t, a->c, "mig-1", "rep-a", 1, "{\"by\":\"a-late\"}", &res);
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.owner, "rep-b");
	assert_int_equal(res.epoch, 2);
	/* Nor can it take the record back with stale knowledge. */
	t_mig_take(t, a->c, "mig-1", "rep-a", 1, &res);
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.owner, "rep-b");
	assert_int_equal(res.epoch, 2);

	t_write(t, b->c, "mig-1", "rep-b", 2, "{\"by\":\"b\"}", &res);
	assert_int_equal(res.rc, 1);
	c = t_redis_connect(t->port);
	t_check_field(t, c, "mig:mig-1", "json", "{\"by\":\"b\"}");
	t_check_field(t, c, "mig:mig-1", "owner", "rep-b");
	t_check_field(t, c, "mig:mig-1", "epoch", "2");
	redisFree(c);
}

/* Take-over of a record that does not exist is an error; of a record
 * without owner (as an older ferryd wrote them), it works from ("", 0). */
static void
coord_mig_take__absent_or_unowned__error_or_epoch_one(void **state)
{
	struct t	*t = *state;
	struct t_rep	*a = t_rep_start(t, 0, t->port, "rep-a", 5000);
	struct t_res	 res;
	redisContext	*c;

	t_mig_take(t, a->c, "mig-none", "", 0, &res);
	assert_int_equal(res.rc, -1);
	assert_int_equal(res.owner_null, 1);
	assert_string_equal(res.err, "migration 'mig-none' has no record");

	c = t_redis_connect(t->port);
	t_redis_do(c, "HSET %smig:mig-old json {} vm vm-o phase Running",
	    t->prefix);
	t_mig_take(t, a->c, "mig-old", "", 0, &res);
	assert_int_equal(res.rc, 1);
	assert_string_equal(res.owner, "rep-a");
	assert_int_equal(res.epoch, 1);
	t_check_field(t, c, "mig:mig-old", "owner", "rep-a");
	t_check_field(t, c, "mig:mig-old", "epoch", "1");
	t_check_field(t, c, "mig:mig-old", "json", "{}");
	redisFree(c);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(store_command__ping_set_get__replies_round_trip),
		T(store_command__error_reply__null_with_err_text),
		T(store_command__redis_down__fails_later_unreachable),
		T(store_command__link_dropped__fails_connection_lost),
		T(store_free__command_in_flight__no_callback_arg_freed),
		T(coord_create__replica_lease__set_with_ttl_and_renewed),
		T(coord_create__two_replicas__exactly_one_leader),
		T(coord_free__leader__other_leads_within_ttl),
		T(coord_leader__lease_taken_by_another__leader_cb_zero),
		T(coord_leader__redis_lost__steps_down_within_ttl),
		T(coord_free__inside_leader_cb__no_later_callback),
		T(coord_slot_take__three_replicas__limits_hold),
		T(coord_slot_take__not_renewed__expires),
		T(coord_slot_renew__before_expiry__slot_kept),
		T(coord_slot_release__held__freed),
		T(coord_slot_take__bad_ttl__error),
		T(coord_slot_take__redis_down__fails_with_error),
		T(coord_mig_write__absent__written_and_published),
		T(coord_mig_write__same_phase__written_not_published),
		T(coord_mig_write__wrong_epoch__conflict_with_current),
		T(coord_mig_take__right_expected__old_owner_conflicts),
		T(coord_mig_take__absent_or_unowned__error_or_epoch_one),
#undef T
	};

	if (t_env_port() == 0) {
		printf("SKIP: FERRY_REDIS_PORT is not set (run through "
		    "tests/harness.sh, which starts redis-server)\n");
		return (77);
	}
	/* hiredis writes with write(2): a dead server must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	log_open(stderr, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	return (cmocka_run_group_tests_name("coord", tests, NULL, NULL));
}
