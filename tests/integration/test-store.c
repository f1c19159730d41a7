/*
 * test-store.c: the Redis store against a real redis-server.
 *
 * tests/harness.sh starts a private redis-server and exports
 * FERRY_REDIS_PORT (and FERRY_REDIS_DIR).  The outage tests start one more
 * redis-server of their own, which they kill and restart.  Each test has
 * its own event base and key prefix; a safety timer fails a test whose
 * callback never comes.  A plain blocking hiredis context checks what
 * landed in Redis (tests only: the store itself never blocks).
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "ferry/log.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#include "redis-helper.h"

#define T_SAFETY_MS	5000
#define T_MAX_RECORDS	16

/* One test's world: a loop, a store and what its callbacks reported. */
struct t {
	struct event_base	*base;		/* the test's own loop */
	struct event		*safety;	/* fails a wait that hangs */
	int			 timed_out;	/* the safety timer fired */
	struct store		*s;		/* store under test */
	char			 prefix[64];	/* unique key prefix */
	int			 port;		/* harness redis-server */
	struct t_redis		 redis;		/* test's own redis-server */

	int			 ups[16];	/* up_cb values, in order */
	int			 nups;		/* how many */
	int			 up;		/* last up_cb value */
	int			 down_seen;	/* up_cb(0) was called */

	int			 claim_done;	/* claim callback calls */
	int			 claim_rc;	/* its rc */
	char			 holder[128];	/* its holder ("" if NULL) */
	char			 claim_err[256]; /* its error ("" if NULL) */
	int			 free_in_claim;	/* store_free inside claim cb */

	int			 load_done;	/* load done callback calls */
	int			 load_rc;	/* its rc */
	char			 load_err[256];	/* its error ("" if NULL) */
	char			*names[T_MAX_RECORDS];	/* records' names */
	char			*jsons[T_MAX_RECORDS];	/* records' JSON */
	int			 nrecords;	/* how many */
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

/* Run T's loop until *FLAG is set; fail after T_SAFETY_MS. */
static void
t_run_until(struct t *t, const int *flag)
{
	struct timeval	tv = { T_SAFETY_MS / 1000, 0 };

	t->timed_out = 0;
	evtimer_add(t->safety, &tv);
	while (!*flag && !t->timed_out)
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

/* up_cb: record the transition. */
static void
t_up_cb(int up, void *arg)
{
	struct t	*t = arg;

	assert_true(t->nups < (int)nitems(t->ups));
	t->ups[t->nups++] = up;
	t->up = up;
	if (!up)
		t->down_seen = 1;
}

/* Create the store on PORT (not waiting for it). */
static void
t_store(struct t *t, int port)
{
	struct store_cbs	cbs = { .up_cb = t_up_cb, .arg = t };

	t->s = store_create(t->base, "127.0.0.1", port, t->prefix, &cbs);
	assert_non_null(t->s);
}

/* Create the store on PORT and wait until it is up. */
static void
t_store_up(struct t *t, int port)
{
	t_store(t, port);
	t_run_until(t, &t->up);
	assert_true(store_is_up(t->s));
}

/* Claim callback: record the answer. */
static void
t_claim_cb(int rc, const char *holder, const char *err, void *arg)
{
	struct t	*t = arg;

	t->claim_done++;
	t->claim_rc = rc;
	snprintf(t->holder, sizeof t->holder, "%s", holder != NULL ? holder :
	    "");
	snprintf(t->claim_err, sizeof t->claim_err, "%s", err != NULL ? err :
	    "");
	if (t->free_in_claim) {
		store_free(t->s);
		t->s = NULL;
	}
}

/* Claim VM for NAME and wait for the answer; its rc. */
static int
t_claim(struct t *t, const char *vm, const char *name)
{
	t->claim_done = 0;
	store_vm_claim(t->s, vm, name, t_claim_cb, t);
	assert_int_equal(t->claim_done, 0);	/* never inside the call */
	t_run_until(t, &t->claim_done);
	assert_int_equal(t->claim_done, 1);
	return (t->claim_rc);
}

/* Forget the records of the last load. */
static void
t_records_clear(struct t *t)
{
	int	i;

	for (i = 0; i < t->nrecords; i++) {
		free(t->names[i]);
		free(t->jsons[i]);
	}
	t->nrecords = 0;
}

/* record_cb: keep the record. */
static void
t_record_cb(const char *name, const char *json, void *arg)
{
	struct t	*t = arg;

	assert_int_equal(t->load_done, 0);	/* records come first */
	assert_true(t->nrecords < T_MAX_RECORDS);
	t->names[t->nrecords] = xstrdup(name);
	t->jsons[t->nrecords] = xstrdup(json);
	t->nrecords++;
}

/* done_cb of a load: record the outcome. */
static void
t_load_done(int rc, const char *err, void *arg)
{
	struct t	*t = arg;

	t->load_done++;
	t->load_rc = rc;
	snprintf(t->load_err, sizeof t->load_err, "%s", err != NULL ? err :
	    "");
}

/* Load every record and wait for the end; the rc. */
static int
t_load(struct t *t)
{
	t_records_clear(t);
	t->load_done = 0;
	store_mig_load(t->s, t_record_cb, t_load_done, t);
	assert_int_equal(t->load_done, 0);	/* never inside the call */
	t_run_until(t, &t->load_done);
	assert_int_equal(t->load_done, 1);
	return (t->load_rc);
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

/* Each test: free the store, let the loop finish, stop its own redis. */
static int
t_teardown(void **state)
{
	struct t	*t = *state;

	log_open(stderr, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	store_free(t->s);
	t->s = NULL;
	t_drain(t);
	t_records_clear(t);
	t_redis_remove(&t->redis);
	event_free(t->safety);
	event_base_free(t->base);
	free(t);
	return (0);
}

/* Records come back oldest first, with their JSON byte for byte. */
static void
store_mig_load__after_puts__records_oldest_first(void **state)
{
	struct t	*t = *state;

	t_store_up(t, t->port);
	store_mig_put(t->s, "mig-b", "{\"name\":\"mig-b\",\"n\":2}", "vm-b",
	    2000, "Running");
	store_mig_put(t->s, "mig-a",
	    "{\"name\":\"mig-a\",\"s\":\"\\u00e9 \\\"q\\\"\"}", "vm-a", 1000,
	    "Pending");
	store_mig_put(t->s, "mig-c", "{\"name\":\"mig-c\"}", "vm-c", 3000,
	    "Succeeded");

	assert_int_equal(t_load(t), 0);
	assert_string_equal(t->load_err, "");
	assert_int_equal(t->nrecords, 3);
	assert_string_equal(t->names[0], "mig-a");
	assert_string_equal(t->jsons[0],
	    "{\"name\":\"mig-a\",\"s\":\"\\u00e9 \\\"q\\\"\"}");
	assert_string_equal(t->names[1], "mig-b");
	assert_string_equal(t->jsons[1], "{\"name\":\"mig-b\",\"n\":2}");
	assert_string_equal(t->names[2], "mig-c");
	assert_string_equal(t->jsons[2], "{\"name\":\"mig-c\"}");
}

/* Nothing stored: done(0) and no record. */
static void
store_mig_load__nothing_stored__done_without_records(void **state)
{
	struct t	*t = *state;

	t_store_up(t, t->port);
	assert_int_equal(t_load(t), 0);
	assert_int_equal(t->nrecords, 0);
}

/* A second put of a name replaces the first. */
static void
store_mig_put__same_name_twice__latest_overwrites(void **state)
{
	struct t	*t = *state;

	t_store_up(t, t->port);
	store_mig_put(t->s, "mig-x", "{\"v\":1}", "vm-x", 1000, "Pending");
	store_mig_put(t->s, "mig-x", "{\"v\":2}", "vm-x", 1000, "Running");

	assert_int_equal(t_load(t), 0);
	assert_int_equal(t->nrecords, 1);
	assert_string_equal(t->names[0], "mig-x");
	assert_string_equal(t->jsons[0], "{\"v\":2}");
}

/* The hash holds json, vm and phase; the index holds the creation ms. */
static void
store_mig_put__hash_fields__hold_vm_and_phase(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	char		*v;
	/* Binary-safe arguments: a '%' or a space must not be interpreted. */
	const char	*json = "{\"note\":\"100% done %s %n\"}";

	t_store_up(t, t->port);
	store_mig_put(t->s, "mig-f", json, "vm f", 1700000000123ULL,
	    "Scheduling");
	assert_int_equal(t_load(t), 0);	/* the put has landed by now */

	c = t_redis_connect(t->port);
	v = t_redis_str(c, "HGET %smig:mig-f json", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, json);
	free(v);
	v = t_redis_str(c, "HGET %smig:mig-f vm", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "vm f");
	free(v);
	v = t_redis_str(c, "HGET %smig:mig-f phase", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "Scheduling");
	free(v);
	v = t_redis_str(c, "ZSCORE %smigs mig-f", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "1700000000123");
	free(v);
	redisFree(c);
}

/* Every put is published on the events channel. */
static void
store_mig_put__subscriber__receives_event(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	redisReply	*r;
	void		*reply;

	c = t_redis_connect(t->port);
	r = redisCommand(c, "SUBSCRIBE %sevents", t->prefix);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);

	t_store_up(t, t->port);
	store_mig_put(t->s, "mig-p", "{\"phase\":\"Running\"}", "vm-p", 1,
	    "Running");
	assert_int_equal(t_load(t), 0);

	assert_int_equal(redisGetReply(c, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	assert_string_equal(r->element[0]->str, "message");
	assert_string_equal(r->element[2]->str, "{\"phase\":\"Running\"}");
	freeReplyObject(r);
	redisFree(c);
}

/* A free VM is claimed; a second claim learns the holder. */
static void
store_vm_claim__free_then_held__one_then_zero_with_holder(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	char		*v;

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-1", "mig-1"), 1);
	assert_string_equal(t->holder, "");
	assert_string_equal(t->claim_err, "");
	assert_int_equal(t_claim(t, "vm-1", "mig-2"), 0);
	assert_string_equal(t->holder, "mig-1");
	assert_string_equal(t->claim_err, "");

	c = t_redis_connect(t->port);
	v = t_redis_str(c, "GET %svm:vm-1:active", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "mig-1");
	free(v);
	redisFree(c);
}

/* Release by another migration leaves the claim alone. */
static void
store_vm_release__wrong_name__claim_kept(void **state)
{
	struct t	*t = *state;

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-2", "mig-1"), 1);
	store_vm_release(t->s, "vm-2", "mig-other");
	assert_int_equal(t_claim(t, "vm-2", "mig-3"), 0);
	assert_string_equal(t->holder, "mig-1");
}

/* Release by the holder frees the VM for the next claim. */
static void
store_vm_release__right_name__claim_freed(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	char		*v;

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-3", "mig-1"), 1);
	store_vm_release(t->s, "vm-3", "mig-1");
	assert_int_equal(t_claim(t, "vm-3", "mig-2"), 1);

	c = t_redis_connect(t->port);
	v = t_redis_str(c, "GET %svm:vm-3:active", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "mig-2");
	free(v);
	redisFree(c);
}

/* Index entries whose record is missing or not a hash are skipped. */
static void
store_mig_load__bad_records__skipped(void **state)
{
	struct t	*t = *state;
	redisContext	*c;

	c = t_redis_connect(t->port);
	/* A string where a hash belongs: HGET says WRONGTYPE. */
	t_redis_do(c, "SET %smig:bad-string oops", t->prefix);
	t_redis_do(c, "ZADD %smigs 1 bad-string", t->prefix);
	/* A list: also WRONGTYPE. */
	t_redis_do(c, "RPUSH %smig:bad-list a b", t->prefix);
	t_redis_do(c, "ZADD %smigs 2 bad-list", t->prefix);
	/* A hash without the json field. */
	t_redis_do(c, "HSET %smig:bad-nojson vm vm-z", t->prefix);
	t_redis_do(c, "ZADD %smigs 3 bad-nojson", t->prefix);
	/* An index entry with no record at all. */
	t_redis_do(c, "ZADD %smigs 4 bad-missing", t->prefix);
	redisFree(c);

	t_store_up(t, t->port);
	store_mig_put(t->s, "good-1", "{\"g\":1}", "vm-g", 0, "Pending");
	store_mig_put(t->s, "good-2", "{\"g\":2}", "vm-g", 5, "Pending");
	assert_int_equal(t_load(t), 0);
	assert_int_equal(t->nrecords, 2);
	assert_string_equal(t->names[0], "good-1");
	assert_string_equal(t->jsons[0], "{\"g\":1}");
	assert_string_equal(t->names[1], "good-2");
	assert_string_equal(t->jsons[1], "{\"g\":2}");
}

/* No Redis: a claim fails with an error, from the loop. */
static void
store_vm_claim__redis_down__fails_later_with_error(void **state)
{
	struct t	*t = *state;

	t_store(t, t_free_port());
	assert_false(store_is_up(t->s));
	assert_int_equal(t_claim(t, "vm-d", "mig-d"), -1);
	assert_string_equal(t->holder, "");
	assert_non_null(strstr(t->claim_err, "redis"));
	assert_int_equal(t->nups, 0);
}

/* No Redis: a load fails with an error, from the loop. */
static void
store_mig_load__redis_down__fails_later_with_error(void **state)
{
	struct t	*t = *state;

	t_store(t, t_free_port());
	assert_int_equal(t_load(t), -1);
	assert_int_equal(t->nrecords, 0);
	assert_string_equal(t->load_err, "redis is unreachable");
}

/* Count lines of F holding every one of the NUL-terminated words. */
static int
t_count_lines(FILE *f, const char *w1, const char *w2)
{
	char	line[1024];
	int	n = 0;

	rewind(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, w1) != NULL && strstr(line, w2) != NULL)
			n++;
	}
	return (n);
}

/*
 * Redis crashes and comes back: up_cb says 0 then 1, the outage is logged
 * once, claims and loads fail meanwhile, and writes made meanwhile (the
 * latest per name, releases too) land in order once it is back.
 */
static void
store_mig_put__redis_restarted__kept_writes_land_in_order(void **state)
{
	struct t	*t = *state;
	redisContext	*c, *sub;
	redisReply	*r;
	void		*reply;
	FILE		*logf;
	char		*v;

	t->redis.persist = 1;	/* a kill must lose nothing */
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	logf = tmpfile();
	assert_non_null(logf);
	log_open(logf, LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT);

	t_store_up(t, t->redis.port);
	store_mig_put(t->s, "mig-1", "{\"v\":1}", "vm-1", 1000, "Running");
	assert_int_equal(t_claim(t, "vm-9", "mig-9"), 1);

	/* Queued but not sent (the loop has not run): lost with the
	 * connection, so it must be kept and sent again. */
	store_mig_put(t->s, "mig-0", "{\"v\":0}", "vm-0", 500, "Running");
	t_redis_kill(&t->redis);
	t_run_until(t, &t->down_seen);
	assert_false(store_is_up(t->s));

	/* Meanwhile: claims and loads fail, writes are kept. */
	assert_int_equal(t_claim(t, "vm-2", "mig-2"), -1);
	assert_non_null(strstr(t->claim_err, "redis"));
	assert_int_equal(t_load(t), -1);
	assert_non_null(strstr(t->load_err, "redis"));
	store_mig_put(t->s, "mig-3", "{\"v\":3,\"old\":true}", "vm-3", 3000,
	    "Pending");
	store_mig_put(t->s, "mig-2", "{\"v\":2}", "vm-2", 2000, "Pending");
	store_mig_put(t->s, "mig-3", "{\"v\":3}", "vm-3", 3000, "Running");
	store_vm_release(t->s, "vm-9", "mig-9");
	/* Let several retries fail: 100 + 200 + 400 ms... */
	t_run_for(t, 1000);
	assert_false(store_is_up(t->s));

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot restart the private redis-server");
	/* The loop is not running: the store cannot reconnect yet. */
	c = t_redis_connect(t->redis.port);
	v = t_redis_str(c, "GET %svm:vm-9:active", t->prefix);
	assert_non_null(v);		/* the claim survived the crash */
	assert_string_equal(v, "mig-9");
	free(v);
	sub = t_redis_connect(t->redis.port);
	r = redisCommand(sub, "SUBSCRIBE %sevents", t->prefix);
	assert_non_null(r);
	freeReplyObject(r);

	t->up = 0;
	t_run_until(t, &t->up);
	assert_int_equal(t->nups, 3);
	assert_int_equal(t->ups[0], 1);
	assert_int_equal(t->ups[1], 0);
	assert_int_equal(t->ups[2], 1);

	assert_int_equal(t_load(t), 0);
	assert_int_equal(t->nrecords, 4);
	assert_string_equal(t->names[0], "mig-0");
	assert_string_equal(t->jsons[0], "{\"v\":0}");
	assert_string_equal(t->names[1], "mig-1");
	assert_string_equal(t->jsons[1], "{\"v\":1}");
	assert_string_equal(t->names[2], "mig-2");
	assert_string_equal(t->jsons[2], "{\"v\":2}");
	assert_string_equal(t->names[3], "mig-3");
	assert_string_equal(t->jsons[3], "{\"v\":3}");

	/* Flushed in order of first write, each name once, latest content. */
	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_string_equal(r->element[2]->str, "{\"v\":0}");
	freeReplyObject(r);
	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_string_equal(r->element[2]->str, "{\"v\":3}");
	freeReplyObject(r);
	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_string_equal(r->element[2]->str, "{\"v\":2}");
	freeReplyObject(r);
	redisFree(sub);

	v = t_redis_str(c, "GET %svm:vm-9:active", t->prefix);
	assert_null(v);			/* the release was kept too */
	v = t_redis_str(c, "HGET %smig:mig-3 phase", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "Running");
	free(v);
	redisFree(c);

	/* One error line for the outage; the retries at debug. */
	log_open(stderr, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(t_count_lines(logf, " error ", " unreachable: "), 1);
	assert_true(t_count_lines(logf, " debug ", "still unreachable") >= 2);
	fclose(logf);
}

/* A store that never reached Redis frees its pending work, calls nobody. */
static void
store_free__while_down__nothing_called_nothing_leaked(void **state)
{
	struct t	*t = *state;

	t_store(t, t_free_port());
	store_mig_put(t->s, "mig-1", "{}", "vm-1", 1, "Pending");
	store_vm_release(t->s, "vm-1", "mig-1");
	t_run_for(t, 350);	/* a few retries */
	store_vm_claim(t->s, "vm-1", "mig-1", t_claim_cb, t);
	store_mig_load(t->s, t_record_cb, t_load_done, t);
	store_free(t->s);
	t->s = NULL;
	t_drain(t);
	assert_int_equal(t->claim_done, 0);
	assert_int_equal(t->load_done, 0);
	assert_int_equal(t->nups, 0);
}

/* Freed right after a put: the put still lands, no callback runs. */
static void
store_free__while_connected__queued_write_lands(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	char		*v;

	t_store_up(t, t->port);
	store_mig_put(t->s, "mig-late", "{\"late\":1}", "vm-l", 1, "Pending");
	store_vm_claim(t->s, "vm-l", "mig-late", t_claim_cb, t);
	store_free(t->s);
	t->s = NULL;
	t_drain(t);
	assert_int_equal(t->claim_done, 0);

	c = t_redis_connect(t->port);
	v = t_redis_str(c, "HGET %smig:mig-late json", t->prefix);
	assert_non_null(v);
	assert_string_equal(v, "{\"late\":1}");
	free(v);
	redisFree(c);
}

/* store_free from inside a callback: later replies find no store. */
static void
store_free__inside_claim_cb__later_replies_ignored(void **state)
{
	struct t	*t = *state;

	t_store_up(t, t->port);
	t->free_in_claim = 1;
	store_vm_claim(t->s, "vm-a", "mig-a", t_claim_cb, t);
	store_vm_claim(t->s, "vm-b", "mig-b", t_claim_cb, t);
	store_mig_load(t->s, t_record_cb, t_load_done, t);
	t_run_until(t, &t->claim_done);
	assert_null(t->s);
	t_drain(t);
	assert_int_equal(t->claim_done, 1);
	assert_int_equal(t->claim_rc, 1);
	assert_int_equal(t->load_done, 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(store_mig_load__after_puts__records_oldest_first),
		T(store_mig_load__nothing_stored__done_without_records),
		T(store_mig_put__same_name_twice__latest_overwrites),
		T(store_mig_put__hash_fields__hold_vm_and_phase),
		T(store_mig_put__subscriber__receives_event),
		T(store_vm_claim__free_then_held__one_then_zero_with_holder),
		T(store_vm_release__wrong_name__claim_kept),
		T(store_vm_release__right_name__claim_freed),
		T(store_mig_load__bad_records__skipped),
		T(store_vm_claim__redis_down__fails_later_with_error),
		T(store_mig_load__redis_down__fails_later_with_error),
		T(store_mig_put__redis_restarted__kept_writes_land_in_order),
		T(store_free__while_down__nothing_called_nothing_leaked),
		T(store_free__while_connected__queued_write_lands),
		T(store_free__inside_claim_cb__later_replies_ignored),
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
	return (cmocka_run_group_tests_name("store", tests, NULL, NULL));
}
