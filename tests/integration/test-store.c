/*
 * test-store.c: the Redis store against a real redis-server.
 *
 * tests/harness.sh starts a private redis-server and exports
 * FERRY_REDIS_PORT (and FERRY_REDIS_DIR).  The outage tests start one more
 * redis-server of their own (redis-helper.c), which they kill and restart.
 * Each test has its own event base and key prefix; a safety timer fails a
 * test whose callback never comes.  A plain blocking hiredis context checks
 * (or changes) what is in Redis, and a MONITOR connection shows what the
 * store sent, in order (tests only: the store itself never blocks).
 * store_command's replies, errors and dropped links are tested in
 * test-coord.c; here, how it meets the rest of the store.
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
#define T_MAX_SEEN	16

/* The answer of one store_command. */
struct t_res {
	int		 done;		/* callback calls */
	int		 freed;		/* free_cb calls */
	int		 done_at_free;	/* callback calls when freed */
	int		 type;		/* reply type (-1 if none) */
	long long	 integer;	/* integer reply */
	char		 str[256];	/* string or status reply */
	char		 err[256];	/* error ("" if NULL) */
	int		 err_null;	/* error was NULL */
};

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
	char			 up_get[128];	/* up_cb(1) GETs this key */
	struct t_res		 up_res;	/* and its answer */

	int			 claim_done;	/* claim callback calls */
	int			 claim_rc;	/* its rc */
	char			 holder[128];	/* its holder ("" if NULL) */
	char			 claim_err[256]; /* its error ("" if NULL) */
	int			 free_in_claim;	/* store_free inside claim cb */

	char			*seen[T_MAX_SEEN]; /* MONITOR lines kept */
	int			 nseen;		/* how many */
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

/* Forget RES's last answer. */
static void
t_res_reset(struct t_res *res)
{
	memset(res, 0, sizeof *res);
	res->type = -1;
}

/* store_command's callback: record the answer. */
static void
t_reply_cb(const struct redisReply *reply, const char *err, void *arg)
{
	struct t_res	*res = arg;

	res->done++;
	res->err_null = (err == NULL);
	snprintf(res->err, sizeof res->err, "%s", err != NULL ? err : "");
	if (reply == NULL)
		return;
	res->type = reply->type;
	res->integer = reply->integer;
	if (reply->str != NULL)
		snprintf(res->str, sizeof res->str, "%.*s", (int)reply->len,
		    reply->str);
}

/* store_command's free_cb: count it, and whether the callback came first. */
static void
t_reply_free(void *arg)
{
	struct t_res	*res = arg;

	res->freed++;
	res->done_at_free = res->done;
}

/* up_cb: record the transition; when up, send the GET asked for. */
static void
t_up_cb(int up, void *arg)
{
	struct t	*t = arg;
	const char	*argv[2];

	assert_true(t->nups < (int)nitems(t->ups));
	t->ups[t->nups++] = up;
	t->up = up;
	if (!up)
		t->down_seen = 1;
	if (up && t->up_get[0] != '\0') {
		argv[0] = "GET";
		argv[1] = t->up_get;
		t_res_reset(&t->up_res);
		store_command(t->s, nitems(argv), argv, NULL, t_reply_cb,
		    &t->up_res, t_reply_free);
		t->up_get[0] = '\0';
	}
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

/* Run ARGC C strings with store_command and wait until it is over. */
static void
t_command(struct t *t, struct t_res *res, int argc, const char *const *argv)
{
	t_res_reset(res);
	store_command(t->s, argc, argv, NULL, t_reply_cb, res, t_reply_free);
	assert_int_equal(res->done, 0);		/* never inside the call */
	assert_int_equal(res->freed, 0);
	t_run_until(t, &res->freed);
	assert_int_equal(res->done, 1);
	assert_int_equal(res->freed, 1);
	assert_int_equal(res->done_at_free, 1);	/* after the callback */
}

/* Check that vm:VM:active (under T's prefix) holds WANT (NULL: absent). */
static void
t_check_claim(struct t *t, redisContext *c, const char *vm, const char *want)
{
	char	*v;

	v = t_redis_str(c, "GET %svm:%s:active", t->prefix, vm);
	if (want == NULL)
		assert_null(v);
	else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	free(v);
}

/* A connection to PORT that has started MONITOR. */
static redisContext *
t_monitor(int port)
{
	redisContext	*mon = t_redis_connect(port);
	redisReply	*r;

	r = redisCommand(mon, "MONITOR");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	return (mon);
}

/*
 * Read MON until it shows an ECHO sent now on C; keep, in order, the
 * commands naming T's prefix that clients sent (not those that scripts
 * ran, which MONITOR shows as "lua").
 */
static void
t_monitor_collect(struct t *t, redisContext *mon, redisContext *c)
{
	redisReply	*r;
	void		*reply;
	int		 end = 0;

	t_redis_do(c, "ECHO %smonitor-end", t->prefix);
	while (!end) {
		assert_int_equal(redisGetReply(mon, &reply), REDIS_OK);
		r = reply;
		assert_int_equal(r->type, REDIS_REPLY_STATUS);
		if (strstr(r->str, "monitor-end") != NULL)
			end = 1;
		else if (strstr(r->str, t->prefix) != NULL &&
		    strstr(r->str, " lua]") == NULL) {
			assert_true(t->nseen < T_MAX_SEEN);
			t->seen[t->nseen++] = xstrdup(r->str);
		}
		freeReplyObject(r);
	}
}

/* Check that the Ith command seen ends with "<prefix>KEY" and ARGS. */
static void
t_seen_check(struct t *t, int i, const char *cmd, const char *key,
    const char *args)
{
	char		 want[256];
	const char	*line;
	size_t		 len, wlen;

	assert_true(i < t->nseen);
	line = t->seen[i];
	snprintf(want, sizeof want, "\"%s\" ", cmd);
	assert_non_null(strstr(line, want));
	snprintf(want, sizeof want, "\"%s%s\"%s", t->prefix, key, args);
	len = strlen(line);
	wlen = strlen(want);
	assert_true(len >= wlen);
	assert_string_equal(line + len - wlen, want);
}

/* Forget the MONITOR lines kept. */
static void
t_seen_clear(struct t *t)
{
	int	i;

	for (i = 0; i < t->nseen; i++)
		free(t->seen[i]);
	t->nseen = 0;
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

	t_log_close();
	store_free(t->s);
	t->s = NULL;
	t_drain(t);
	t_seen_clear(t);
	t_redis_remove(&t->redis);
	event_free(t->safety);
	event_base_free(t->base);
	free(t);
	return (0);
}

/* A free VM is claimed; a second claim learns the holder. */
static void
store_vm_claim__free_then_held__one_then_zero_with_holder(void **state)
{
	struct t	*t = *state;
	redisContext	*c;

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-1", "mig-1"), 1);
	assert_string_equal(t->holder, "");
	assert_string_equal(t->claim_err, "");
	assert_int_equal(t_claim(t, "vm-1", "mig-2"), 0);
	assert_string_equal(t->holder, "mig-1");
	assert_string_equal(t->claim_err, "");

	c = t_redis_connect(t->port);
	t_check_claim(t, c, "vm-1", "mig-1");
	redisFree(c);
}

/* Names with spaces and '%' are single arguments, never formats. */
static void
store_vm_claim__spaces_and_percent__stored_verbatim(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	const char	*vm = "vm %s 1", *name = "mig 100% %n";

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, vm, name), 1);
	c = t_redis_connect(t->port);
	t_check_claim(t, c, vm, name);

	assert_int_equal(t_claim(t, vm, "mig-2"), 0);
	assert_string_equal(t->holder, name);

	/* The release script compares the name byte for byte. */
	store_vm_release(t->s, vm, "mig 100% %s");
	store_vm_release(t->s, vm, name);
	assert_int_equal(t_claim(t, "vm-sync", "mig-sync"), 1);
	t_check_claim(t, c, vm, NULL);
	redisFree(c);
}

/* A claim key that is not a string: an error naming Redis' reason. */
static void
store_vm_claim__key_of_wrong_type__error_and_store_goes_on(void **state)
{
	struct t	*t = *state;
	redisContext	*c;

	c = t_redis_connect(t->port);
	t_redis_do(c, "RPUSH %svm:vm-w:active a", t->prefix);
	redisFree(c);

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-w", "mig-w"), -1);
	assert_string_equal(t->holder, "");
	assert_non_null(strstr(t->claim_err, "redis GET failed: "));
	assert_non_null(strstr(t->claim_err, "WRONGTYPE"));
	assert_true(store_is_up(t->s));
	assert_int_equal(t_claim(t, "vm-ok", "mig-w"), 1);
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

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-3", "mig-1"), 1);
	store_vm_release(t->s, "vm-3", "mig-1");
	assert_int_equal(t_claim(t, "vm-3", "mig-2"), 1);

	c = t_redis_connect(t->port);
	t_check_claim(t, c, "vm-3", "mig-2");
	redisFree(c);
}

/* A release the script cannot run is logged as an error; the key stays. */
static void
store_vm_release__key_of_wrong_type__error_logged_key_kept(void **state)
{
	struct t	*t = *state;
	redisContext	*c;
	FILE		*logf;

	c = t_redis_connect(t->port);
	t_redis_do(c, "RPUSH %svm:vm-w:active a", t->prefix);

	t_store_up(t, t->port);
	logf = t_log_open(LOG_LEVEL_INFO);
	store_vm_release(t->s, "vm-w", "mig-w");
	/* Replies come in order: once this claim is answered, so is the
	 * release. */
	assert_int_equal(t_claim(t, "vm-sync", "mig-sync"), 1);
	assert_true(store_is_up(t->s));
	t_log_close();
	assert_int_equal(t_log_lines(logf, " error ",
	    "cannot release VM of 'mig-w': "), 1);
	assert_int_equal(t_log_lines(logf, "cannot release", "WRONGTYPE"),
	    1);
	fclose(logf);

	assert_int_equal(t_redis_int(c, "LLEN %svm:vm-w:active", t->prefix),
	    1);
	redisFree(c);
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

/* A command without arguments fails from the loop; its ARG is freed. */
static void
store_command__no_arguments__fails_later_with_error(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;

	t_store_up(t, t->port);
	t_command(t, &res, 0, NULL);
	assert_int_equal(res.type, -1);
	assert_string_equal(res.err, "redis: empty command");
	assert_true(store_is_up(t->s));
}

/* Without a callback a command is still sent, and its ARG freed once. */
static void
store_command__no_callback__sent_and_arg_freed(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;
	redisContext	*c;
	char		 key[128];
	const char	*set[3];

	t_store_up(t, t->port);
	snprintf(key, sizeof key, "%sfire-and-forget", store_prefix(t->s));
	set[0] = "SET";
	set[1] = key;
	set[2] = "v";
	t_res_reset(&res);
	store_command(t->s, nitems(set), set, NULL, NULL, &res,
	    t_reply_free);
	assert_int_equal(res.freed, 0);
	t_run_until(t, &res.freed);
	assert_int_equal(res.freed, 1);
	assert_int_equal(res.done, 0);

	c = t_redis_connect(t->port);
	assert_int_equal(t_redis_int(c, "EXISTS %s", key), 1);
	redisFree(c);
}

/*
 * The store starts before Redis: it retries quietly, calls up_cb(1) once
 * when Redis comes, and the releases made meanwhile are sent first (a
 * command sent from up_cb already sees them).
 */
static void
store_create__redis_starts_later__releases_sent_first(void **state)
{
	struct t	*t = *state;
	redisContext	*c;

	t->redis.port = t_free_port();
	t_store(t, t->redis.port);
	store_vm_release(t->s, "vm-7", "mig-7");
	store_vm_release(t->s, "vm-8", "mig-other");
	t_run_for(t, 300);	/* a few retries */
	assert_false(store_is_up(t->s));
	assert_int_equal(t->nups, 0);

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	/* The loop is not running: the store cannot connect yet. */
	c = t_redis_connect(t->redis.port);
	t_redis_do(c, "SET %svm:vm-7:active mig-7", t->prefix);
	t_redis_do(c, "SET %svm:vm-8:active mig-8", t->prefix);
	snprintf(t->up_get, sizeof t->up_get, "%svm:vm-7:active", t->prefix);

	t_run_until(t, &t->up);
	assert_int_equal(t->nups, 1);
	assert_int_equal(t->ups[0], 1);
	t_run_until(t, &t->up_res.freed);
	assert_int_equal(t->up_res.done, 1);
	assert_int_equal(t->up_res.err_null, 1);
	assert_int_equal(t->up_res.type, REDIS_REPLY_NIL);

	t_check_claim(t, c, "vm-7", NULL);
	t_check_claim(t, c, "vm-8", "mig-8");
	assert_int_equal(t_claim(t, "vm-7", "mig-9"), 1);
	redisFree(c);
}

/*
 * Redis crashes and comes back: up_cb says 1, 0, 1; the outage is logged
 * once; a claim queued at the crash fails, claims and commands fail
 * meanwhile; the releases made meanwhile (and the one lost with the
 * connection) are sent once each, in order, before anything else: those
 * whose key held the right name delete it, the one naming another
 * migration leaves it.
 */
static void
store_vm_release__redis_restarted__kept_ones_land_in_order(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;
	redisContext	*c, *mon;
	FILE		*logf;
	const char	*ping[] = { "PING" };

	t->redis.persist = 1;	/* a kill must lose nothing */
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	logf = t_log_open(LOG_LEVEL_DEBUG);

	t_store_up(t, t->redis.port);
	assert_int_equal(t_claim(t, "vm-0", "mig-0"), 1);
	assert_int_equal(t_claim(t, "vm-1", "mig-1"), 1);
	assert_int_equal(t_claim(t, "vm-2", "mig-2"), 1);
	assert_int_equal(t_claim(t, "vm-3", "mig-3"), 1);

	/* Queued but not sent (the loop has not run): lost with the
	 * connection.  The release must be kept and sent again; the claim
	 * fails. */
	store_vm_release(t->s, "vm-0", "mig-0");
	t->claim_done = 0;
	store_vm_claim(t->s, "vm-5", "mig-5", t_claim_cb, t);
	t_redis_kill(&t->redis);
	t_run_until(t, &t->down_seen);
	assert_false(store_is_up(t->s));
	assert_int_equal(t->claim_done, 1);
	assert_int_equal(t->claim_rc, -1);
	assert_string_equal(t->claim_err, "redis connection lost");

	/* Meanwhile: claims and commands fail, releases are kept. */
	assert_int_equal(t_claim(t, "vm-6", "mig-6"), -1);
	assert_string_equal(t->claim_err, "redis is unreachable");
	t_command(t, &res, nitems(ping), ping);
	assert_string_equal(res.err, "redis is unreachable");
	store_vm_release(t->s, "vm-1", "mig-1");
	store_vm_release(t->s, "vm-3", "mig-other");
	store_vm_release(t->s, "vm-2", "mig-2");
	store_vm_release(t->s, "vm-1", "mig-1");	/* the same again */
	store_vm_release(t->s, "vm-0", "mig-0");	/* likewise */
	/* Let several retries fail: 100 + 200 + 400 ms... */
	t_run_for(t, 1000);
	assert_false(store_is_up(t->s));

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot restart the private redis-server");
	/* The loop is not running: the store cannot reconnect yet. */
	c = t_redis_connect(t->redis.port);
	t_check_claim(t, c, "vm-0", "mig-0");	/* the claims survived */
	t_check_claim(t, c, "vm-1", "mig-1");
	t_check_claim(t, c, "vm-2", "mig-2");
	t_check_claim(t, c, "vm-3", "mig-3");
	mon = t_monitor(t->redis.port);
	snprintf(t->up_get, sizeof t->up_get, "%svm:vm-1:active", t->prefix);

	t->up = 0;
	t_run_until(t, &t->up);
	assert_int_equal(t->nups, 3);
	assert_int_equal(t->ups[0], 1);
	assert_int_equal(t->ups[1], 0);
	assert_int_equal(t->ups[2], 1);
	t_run_until(t, &t->up_res.freed);
	assert_int_equal(t->up_res.type, REDIS_REPLY_NIL);

	/* Each release once, in order of first release, then up_cb's GET. */
	t_monitor_collect(t, mon, c);
	redisFree(mon);
	assert_int_equal(t->nseen, 5);
	t_seen_check(t, 0, "EVAL", "vm:vm-0:active", " \"mig-0\"");
	t_seen_check(t, 1, "EVAL", "vm:vm-1:active", " \"mig-1\"");
	t_seen_check(t, 2, "EVAL", "vm:vm-3:active", " \"mig-other\"");
	t_seen_check(t, 3, "EVAL", "vm:vm-2:active", " \"mig-2\"");
	t_seen_check(t, 4, "GET", "vm:vm-1:active", "");

	t_check_claim(t, c, "vm-0", NULL);
	t_check_claim(t, c, "vm-1", NULL);
	t_check_claim(t, c, "vm-2", NULL);
	t_check_claim(t, c, "vm-3", "mig-3");
	redisFree(c);

	/* One error line for the outage; the retries at debug. */
	t_log_close();
	assert_int_equal(t_log_lines(logf, " error ", " unreachable: "), 1);
	assert_true(t_log_lines(logf, " debug ", "still unreachable") >= 2);
	assert_int_equal(t_log_lines(logf, " info ",
	    "sending 4 writes kept while it was unreachable"), 1);
	fclose(logf);
}

/* A store that never reached Redis frees its pending work, calls nobody. */
static void
store_free__while_down__nothing_called_nothing_leaked(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;
	FILE		*logf;
	const char	*ping[] = { "PING" };

	t_store(t, t_free_port());
	store_vm_release(t->s, "vm-1", "mig-1");
	store_vm_release(t->s, "vm-2", "mig-2");
	t_run_for(t, 350);	/* a few retries */
	store_vm_claim(t->s, "vm-1", "mig-1", t_claim_cb, t);
	t_res_reset(&res);
	store_command(t->s, nitems(ping), ping, NULL, t_reply_cb, &res,
	    t_reply_free);
	logf = t_log_open(LOG_LEVEL_INFO);
	store_free(t->s);
	t->s = NULL;
	t_log_close();
	assert_int_equal(res.freed, 1);
	t_drain(t);
	assert_int_equal(t->claim_done, 0);
	assert_int_equal(res.done, 0);
	assert_int_equal(res.freed, 1);
	assert_int_equal(t->nups, 0);
	assert_int_equal(t_log_lines(logf, " warn ",
	    "2 kept writes dropped unsent"), 1);
	fclose(logf);
}

/* Freed right after a release: it still lands, no callback runs. */
static void
store_free__while_connected__queued_release_lands(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;
	redisContext	*c;
	const char	*ping[] = { "PING" };

	t_store_up(t, t->port);
	assert_int_equal(t_claim(t, "vm-l", "mig-late"), 1);
	t->claim_done = 0;
	store_vm_release(t->s, "vm-l", "mig-late");
	store_vm_claim(t->s, "vm-m", "mig-late", t_claim_cb, t);
	t_res_reset(&res);
	store_command(t->s, nitems(ping), ping, NULL, t_reply_cb, &res,
	    t_reply_free);
	store_free(t->s);
	t->s = NULL;
	t_drain(t);
	assert_int_equal(t->claim_done, 0);
	assert_int_equal(res.done, 0);
	assert_int_equal(res.freed, 1);

	c = t_redis_connect(t->port);
	t_check_claim(t, c, "vm-l", NULL);
	redisFree(c);
}

/* store_free from inside a callback: later replies find no store. */
static void
store_free__inside_claim_cb__later_replies_ignored(void **state)
{
	struct t	*t = *state;
	struct t_res	 res;
	const char	*ping[] = { "PING" };

	t_store_up(t, t->port);
	t->free_in_claim = 1;
	store_vm_claim(t->s, "vm-a", "mig-a", t_claim_cb, t);
	store_vm_claim(t->s, "vm-b", "mig-b", t_claim_cb, t);
	t_res_reset(&res);
	store_command(t->s, nitems(ping), ping, NULL, t_reply_cb, &res,
	    t_reply_free);
	t_run_until(t, &t->claim_done);
	assert_null(t->s);
	t_drain(t);
	assert_int_equal(t->claim_done, 1);
	assert_int_equal(t->claim_rc, 1);
	assert_int_equal(res.done, 0);
	assert_int_equal(res.freed, 1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(store_vm_claim__free_then_held__one_then_zero_with_holder),
		T(store_vm_claim__spaces_and_percent__stored_verbatim),
		T(store_vm_claim__key_of_wrong_type__error_and_store_goes_on),
		T(store_vm_release__wrong_name__claim_kept),
		T(store_vm_release__right_name__claim_freed),
		T(store_vm_release__key_of_wrong_type__error_logged_key_kept),
		T(store_vm_claim__redis_down__fails_later_with_error),
		T(store_command__no_arguments__fails_later_with_error),
		T(store_command__no_callback__sent_and_arg_freed),
		T(store_create__redis_starts_later__releases_sent_first),
		T(store_vm_release__redis_restarted__kept_ones_land_in_order),
		T(store_free__while_down__nothing_called_nothing_leaked),
		T(store_free__while_connected__queued_release_lands),
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
