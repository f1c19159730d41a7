/*
 * test-evac.c: drains, uncordons, requests and evacuations against a real
 * redis-server.
 *
 * tests/harness.sh starts a private redis-server and exports
 * FERRY_REDIS_PORT.  The migration manager is cut out with -Wl,--wrap
 * (Makefile.am): a fake one below lists the VMs of a node, creates
 * migrations the way mig_mgr_evacuate does in Redis (mig:<name> with a
 * phase, vm:<vm>:active), answers 409 for a VM that has one, 422 for a
 * pinned VM, and records aborts.  The test moves the migrations' phases
 * in Redis by hand, as their owners would; the evacuation manager only
 * ever reads them.  The happy path with real migrations is the end to
 * end suite's (tests/e2e).  Each test has its own loop and key prefix; a
 * safety deadline fails a wait whose condition never comes.
 */

#include <sys/types.h>

#include <setjmp.h>
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

#include "ferry/config.h"
#include "ferry/coord.h"
#include "ferry/evac.h"
#include "ferry/log.h"
#include "ferry/mig.h"
#include "ferry/store.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#include "redis-helper.h"

#define T_SAFETY_MS	5000
#define F_MAX		16
#define T_TAINT		"kubevirt.io/drain:NoSchedule"

/* The wrapped manager calls (the real ones are never linked in). */
void	__wrap_mig_mgr_evacuate(struct mig_mgr *, const char *, const char *,
	    mig_reply_cb, void *);
void	__wrap_mig_mgr_node_vms(struct mig_mgr *, const char *,
	    mig_names_cb, void *);
void	__wrap_mig_mgr_abort(struct mig_mgr *, const char *, enum mig_reason,
	    int, mig_json_cb, void *);
void	__wrap_mig_mgr_set_cordoned(struct mig_mgr *, const char *, int);

/* An abort the fake manager was asked for. */
struct f_abort {
	char		 name[128];	/* migration */
	enum mig_reason	 reason;	/* why */
	int		 force;		/* forced */
};

/* A node_vms call not answered yet (the fake holds it). */
struct f_held {
	mig_names_cb	 cb;		/* evac's callback */
	void		*arg;		/* its argument */
};

/* The fake migration manager. */
static struct {
	struct event_base	*base;		/* the test's loop */
	redisContext		*rc;		/* blocking Redis, its writes */
	char			 prefix[64];	/* key prefix */
	const char		*vms[F_MAX];	/* VMs on every node */
	size_t			 nvms;
	const char		*pinned;	/* this VM answers 422 */
	int			 hold;		/* node_vms not answered */
	struct f_held		 held[F_MAX];	/* held node_vms calls */
	int			 nheld;
	int			 nlists;	/* node_vms calls */
	int			 nevacuate;	/* evacuate calls */
	int			 ncreated;	/* migrations created */
	char			 created[F_MAX][128]; /* their names */
	struct f_abort		 aborts[F_MAX];	/* abort calls */
	int			 naborts;
	int			 cordoned[2];	/* n1, n2: -1 never told */
	char			 evac_id[128];	/* evac id of the last create */
} f;

/* A deferred answer of the fake (from the loop, as the real one). */
struct f_answer {
	int		 kind;		/* 0 evacuate, 1 node_vms, 2 abort */
	int		 status;	/* evacuate, abort */
	char		 name[128];	/* evacuate: migration */
	char		 vm[64];	/* evacuate: VM */
	char		 err[256];	/* evacuate: error */
	mig_reply_cb	 reply_cb;	/* evacuate */
	mig_names_cb	 names_cb;	/* node_vms */
	mig_json_cb	 json_cb;	/* abort */
	void		*arg;		/* the callback's argument */
};

/* One test's world. */
struct t {
	struct event_base	*base;		/* the test's own loop */
	struct event		*poll;		/* wakes the loop in waits */
	char			 prefix[64];	/* unique key prefix */
	int			 port;		/* harness redis-server */
	char			 cfg_path[128];	/* config file written */
	struct config		*cfg;		/* its configuration */
	struct store		*s[2];		/* two replicas' stores */
	struct evac_mgr		*e[2];		/* two replicas' managers */
	struct coord		*c;		/* coord of the fence test */
	redisContext		*rc;		/* blocking checks */
	struct t_redis		 redis;		/* own redis-server, if any */
	int			 up[2];		/* store up_cb said 1 */
};

/* The answer of one evac call. */
struct t_ans {
	int	 done;		/* callback calls */
	int	 status;	/* HTTP-like status */
	char	 json[8192];	/* JSON or "" */
	char	 err[256];	/* error or "" */
};

/* Port of the harness' redis-server. */
static int
t_env_port(void)
{
	const char	*p = getenv("FERRY_REDIS_PORT");

	return (p != NULL ? atoi(p) : 0);
}

/* Run a command on the blocking context; the reply (caller frees). */
static redisReply *
t_cmd(redisContext *c, const char *fmt, ...)
{
	redisReply	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	return (r);
}

/* Does S (may be NULL) equal V? */
static int
t_streq(const char *s, const char *v)
{
	return (s != NULL && strcmp(s, v) == 0);
}

/* The poll timer: nothing, it only wakes the loop. */
static void
t_poll_timer(evutil_socket_t fd, short events, void *arg)
{
}

/* A condition waited for. */
typedef int (*t_cond)(struct t *, const void *);

/* Run the loop until COND holds; fail after MS. */
static void
t_wait(struct t *t, t_cond cond, const void *arg, int ms)
{
	uint64_t	deadline = util_now_ms() + (uint64_t)ms;

	while (!cond(t, arg)) {
		if (util_now_ms() > deadline)
			fail_msg("condition not met within %d ms", ms);
		event_base_loop(t->base, EVLOOP_ONCE);
	}
}

/* Run the loop for MS. */
static void
t_run_for(struct t *t, int ms)
{
	uint64_t	deadline = util_now_ms() + (uint64_t)ms;

	while (util_now_ms() < deadline)
		event_base_loop(t->base, EVLOOP_ONCE);
}

/* Wait for *COUNTER to reach N. */
static void
t_wait_n(struct t *t, const int *counter, int n)
{
	uint64_t	deadline = util_now_ms() + T_SAFETY_MS;

	while (*counter < n) {
		if (util_now_ms() > deadline)
			fail_msg("count %d not reached within %d ms", n,
			    T_SAFETY_MS);
		event_base_loop(t->base, EVLOOP_ONCE);
	}
}

/* Store up_cb of replica 0 or 1. */
static void
t_up0(int up, void *arg)
{
	struct t	*t = arg;

	t->up[0] = up;
}

/* Store up_cb of replica 1. */
static void
t_up1(int up, void *arg)
{
	struct t	*t = arg;

	t->up[1] = up;
}

/* Start replica I's store on PORT and its manager; wait for Redis. */
static struct evac_mgr *
t_replica(struct t *t, int i, int port, int wait_up)
{
	struct store_cbs	cbs = { .up_cb = i == 0 ? t_up0 : t_up1,
				    .arg = t };

	t->s[i] = store_create(t->base, "127.0.0.1", port, t->prefix, &cbs);
	assert_non_null(t->s[i]);
	if (wait_up)
		t_wait_n(t, &t->up[i], 1);
	/* A dummy manager pointer: every call to it is wrapped. */
	t->e[i] = evac_create(t->base, t->cfg, t->s[i], NULL,
	    (struct mig_mgr *)&f);
	assert_non_null(t->e[i]);
	return (t->e[i]);
}

/* evac_reply_cb: keep the answer. */
static void
t_ans_cb(int status, const char *json, const char *err, void *arg)
{
	struct t_ans	*a = arg;

	a->done++;
	a->status = status;
	snprintf(a->json, sizeof a->json, "%s", json != NULL ? json : "");
	snprintf(a->err, sizeof a->err, "%s", err != NULL ? err : "");
}

/* Drain (or uncordon) NODE with E for BY and wait for the answer. */
static void
t_node_op(struct t *t, struct evac_mgr *e, int uncordon, const char *node,
    const char *by, struct t_ans *a)
{
	memset(a, 0, sizeof *a);
	if (uncordon)
		evac_uncordon(e, node, by, t_ans_cb, a);
	else
		evac_drain(e, node, by, t_ans_cb, a);
	assert_int_equal(a->done, 0);	/* never inside the call */
	t_wait_n(t, &a->done, 1);
	assert_int_equal(a->done, 1);
}

/* evac_get with E and wait for the answer. */
static void
t_get(struct t *t, struct evac_mgr *e, const char *id, const char *node,
    struct t_ans *a)
{
	memset(a, 0, sizeof *a);
	evac_get(e, id, node, t_ans_cb, a);
	assert_int_equal(a->done, 0);
	t_wait_n(t, &a->done, 1);
}

/* Run the fake's deferred answer. */
static void
f_answer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct f_answer		*a = arg;
	struct mig_record	 rec;
	const char		*names[F_MAX];
	size_t			 i;

	switch (a->kind) {
	case 0:
		if (a->status == 201) {
			memset(&rec, 0, sizeof rec);
			rec.name = a->name;
			rec.vm = a->vm;
			rec.state = MIG_PENDING;
			a->reply_cb(201, &rec, NULL, NULL, 0, a->arg);
		} else
			a->reply_cb(a->status, NULL, a->err, NULL, 0, a->arg);
		break;
	case 1:
		for (i = 0; i < f.nvms; i++)
			names[i] = f.vms[i];
		a->names_cb(0, names, f.nvms, a->arg);
		break;
	case 2:
		a->json_cb(a->status, a->status == 202 ? "{}" : NULL,
		    a->status == 202 ? NULL : "refused", a->arg);
		break;
	}
	free(a);
}

/* Answer A from the loop. */
static void
f_defer(struct f_answer *a)
{
	struct timeval	tv = { 0, 1000 };

	assert_int_equal(event_base_once(f.base, -1, EV_TIMEOUT, f_answer_cb,
	    a, &tv), 0);
}

/* Write migration NAME's phase (and reason, message) as its owner would. */
static void
f_mig_set(const char *name, const char *phase, const char *reason,
    const char *message)
{
	char		 json[512];
	redisReply	*r;
	char		*vm;

	snprintf(json, sizeof json, "{\"status\":{\"phase\":\"%s\","
	    "\"reason\":\"%s\",\"message\":\"%s\"}}", phase, reason, message);
	r = t_cmd(f.rc, "HSET %smig:%s phase %s json %s", f.prefix, name,
	    phase, json);
	freeReplyObject(r);
	if (strcmp(phase, "succeeded") == 0 || strcmp(phase, "failed") == 0 ||
	    strcmp(phase, "aborted") == 0) {
		vm = t_redis_str(f.rc, "HGET %smig:%s vm", f.prefix, name);
		if (vm != NULL) {
			r = t_cmd(f.rc, "DEL %svm:%s:active", f.prefix, vm);
			freeReplyObject(r);
			free(vm);
		}
	}
}

/* The fake mig_mgr_evacuate. */
void
__wrap_mig_mgr_evacuate(struct mig_mgr *mgr, const char *vm,
    const char *evac_id, mig_reply_cb cb, void *arg)
{
	const char	*why[] = { "NotMigratable: hostdev 'gpu0' attached" };
	struct f_answer	*a;
	char		*holder;
	redisReply	*r;

	f.nevacuate++;
	snprintf(f.evac_id, sizeof f.evac_id, "%s", evac_id);
	if (f.pinned != NULL && strcmp(vm, f.pinned) == 0) {
		/* A check that fails at once answers inside the call. */
		cb(422, NULL, "VM is not live-migratable", why, 1, arg);
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->kind = 0;
	a->reply_cb = cb;
	a->arg = arg;
	snprintf(a->vm, sizeof a->vm, "%s", vm);
	holder = t_redis_str(f.rc, "GET %svm:%s:active", f.prefix, vm);
	if (holder != NULL) {
		a->status = 409;
		snprintf(a->err, sizeof a->err, "VM '%s' already has an active "
		    "migration '%s'", vm, holder);
		free(holder);
		f_defer(a);
		return;
	}
	assert_true(f.ncreated < F_MAX);
	a->status = 201;
	snprintf(a->name, sizeof a->name, "kubevirt-evacuation-%05d",
	    f.ncreated + 1);
	snprintf(f.created[f.ncreated++], sizeof f.created[0], "%s",
	    a->name);
	r = t_cmd(f.rc, "SET %svm:%s:active %s", f.prefix, vm, a->name);
	freeReplyObject(r);
	r = t_cmd(f.rc, "HSET %smig:%s vm %s", f.prefix, a->name, vm);
	freeReplyObject(r);
	f_mig_set(a->name, "pending", "", "");
	f_defer(a);
}

/* The fake mig_mgr_node_vms: every node runs f.vms. */
void
__wrap_mig_mgr_node_vms(struct mig_mgr *mgr, const char *node,
    mig_names_cb cb, void *arg)
{
	struct f_answer	*a;

	f.nlists++;
	if (f.hold) {
		assert_true(f.nheld < F_MAX);
		f.held[f.nheld].cb = cb;
		f.held[f.nheld++].arg = arg;
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->kind = 1;
	a->names_cb = cb;
	a->arg = arg;
	f_defer(a);
}

/* Answer the held node_vms calls. */
static void
f_release(void)
{
	struct f_answer	*a;
	int		 i;

	for (i = 0; i < f.nheld; i++) {
		a = xcalloc(1, sizeof *a);
		a->kind = 1;
		a->names_cb = f.held[i].cb;
		a->arg = f.held[i].arg;
		f_defer(a);
	}
	f.nheld = 0;
	f.hold = 0;
}

/* The fake mig_mgr_abort: pending migrations stop, others go on. */
void
__wrap_mig_mgr_abort(struct mig_mgr *mgr, const char *name,
    enum mig_reason reason, int force, mig_json_cb cb, void *arg)
{
	struct f_answer	*a = xcalloc(1, sizeof *a);
	char		*phase;

	assert_true(f.naborts < F_MAX);
	snprintf(f.aborts[f.naborts].name, sizeof f.aborts[0].name, "%s",
	    name);
	f.aborts[f.naborts].reason = reason;
	f.aborts[f.naborts++].force = force;
	phase = t_redis_str(f.rc, "HGET %smig:%s phase", f.prefix, name);
	a->kind = 2;
	a->json_cb = cb;
	a->arg = arg;
	a->status = 409;
	if (t_streq(phase, "pending")) {
		f_mig_set(name, "aborted", mig_reason_name(reason),
		    "aborted while pending");
		a->status = 202;
	}
	free(phase);
	f_defer(a);
}

/* The fake mig_mgr_set_cordoned. */
void
__wrap_mig_mgr_set_cordoned(struct mig_mgr *mgr, const char *node,
    int cordoned)
{
	assert_ptr_equal(mgr, (struct mig_mgr *)&f);
	if (strcmp(node, "n1") == 0)
		f.cordoned[0] = cordoned;
	else if (strcmp(node, "n2") == 0)
		f.cordoned[1] = cordoned;
	else
		fail_msg("set_cordoned of unknown node '%s'", node);
}

/* The fake's VMs: NAMES, N of them. */
static void
f_vms(const char *const *names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		f.vms[i] = names[i];
	f.nvms = n;
}

/* A new world: loop, prefix, config with nodes n1 and n2, fake reset. */
static int
t_setup(void **state)
{
	struct t	*t = xcalloc(1, sizeof *t);
	struct timeval	 tv = { 0, 20000 };
	char		 suffix[9], *cause = NULL;
	FILE		*fp;
	int		 fd;

	t->base = event_base_new();
	assert_non_null(t->base);
	t->poll = event_new(t->base, -1, EV_PERSIST, t_poll_timer, t);
	evtimer_add(t->poll, &tv);
	util_random_suffix(suffix, sizeof suffix);
	snprintf(t->prefix, sizeof t->prefix, "test-%s:", suffix);
	t->port = t_env_port();
	if (t->port == 0)
		fail_msg("FERRY_REDIS_PORT is not set (use harness.sh)");
	t->rc = t_redis_connect(t->port);
	t->redis.pid = -1;

	snprintf(t->cfg_path, sizeof t->cfg_path, "/tmp/test-evac-XXXXXX");
	fd = mkstemp(t->cfg_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fprintf(fp, "[node n1]\nuri = qemu+tcp://n1/system\n"
	    "[node n2]\nuri = qemu+tcp://n2/system\n");
	fclose(fp);
	if (config_load(t->cfg_path, &t->cfg, &cause) != 0)
		fail_msg("config: %s", cause);

	memset(&f, 0, sizeof f);
	f.base = t->base;
	f.rc = t->rc;
	snprintf(f.prefix, sizeof f.prefix, "%s", t->prefix);
	f.cordoned[0] = f.cordoned[1] = -1;
	*state = t;
	return (0);
}

/* Managers first, then the fake's last answers, then stores. */
static int
t_teardown(void **state)
{
	struct t	*t = *state;
	int		 i;

	for (i = 0; i < 2; i++)
		evac_free(t->e[i]);
	f_release();
	t_run_for(t, 50);		/* late answers find orphaned ops */
	coord_free(t->c);
	for (i = 0; i < 2; i++)
		store_free(t->s[i]);
	t_run_for(t, 200);
	t_redis_remove(&t->redis);
	event_free(t->poll);
	event_base_free(t->base);
	config_free(t->cfg);
	unlink(t->cfg_path);
	redisFree(t->rc);
	free(t);
	return (0);
}

/* The running evacuation of NODE, or NULL (caller frees). */
static char *
t_active(struct t *t, const char *node)
{
	return (t_redis_str(t->rc, "GET %sevac:active:%s", t->prefix, node));
}

/* Condition: NODE has a running evacuation. */
static int
t_cond_active(struct t *t, const void *node)
{
	char	*id = t_active(t, node);
	int	 ok = id != NULL;

	free(id);
	return (ok);
}

/* Condition: the fake created N migrations. */
static int
t_cond_created(struct t *t, const void *n)
{
	return (f.ncreated >= *(const int *)n);
}

/* Condition: evacuation ID's record has phase PHASE (id, phase). */
static int
t_cond_phase(struct t *t, const void *arg)
{
	const char *const	*p = arg;
	char			*phase;
	int			 ok;

	phase = t_redis_str(t->rc, "HGET %sevac:%s phase", t->prefix, p[0]);
	ok = t_streq(phase, p[1]);
	free(phase);
	return (ok);
}

/* Wait for evacuation ID to reach PHASE; its JSON (caller frees). */
static char *
t_wait_phase(struct t *t, const char *id, const char *phase, int ms)
{
	const char	*p[2] = { id, phase };

	t_wait(t, t_cond_phase, p, ms);
	return (t_redis_str(t->rc, "HGET %sevac:%s json", t->prefix, id));
}

/* Does JSON hold NEEDLE? */
static void
t_has(const char *json, const char *needle)
{
	if (json == NULL || strstr(json, needle) == NULL)
		fail_msg("'%s' not in %s", needle, json != NULL ? json :
		    "(null)");
}

/* Drain: the node record, the answer, the manager told; 404; idempotent. */
static void
evac_drain__known_node__cordoned_tainted_202(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	struct t_ans	 a;
	char		*v;

	t_node_op(t, e, 0, "n1", "alice", &a);
	assert_int_equal(a.status, 202);
	assert_string_equal(a.json, "{\"node\":\"n1\",\"cordoned\":true,"
	    "\"taint\":\"" T_TAINT "\",\"evacuation\":null}");
	v = t_redis_str(t->rc, "HGET %snode:n1 cordoned", t->prefix);
	assert_string_equal(v, "1");
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n1 taint", t->prefix);
	assert_string_equal(v, T_TAINT);
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n1 by", t->prefix);
	assert_string_equal(v, "alice");
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n1 since", t->prefix);
	assert_non_null(v);
	assert_true(strtoull(v, NULL, 10) > 1700000000000ULL);
	free(v);
	assert_int_equal(t_redis_int(t->rc, "HINCRBY %snode:n1 gen 0", t->prefix),
	    1);
	/* This replica's manager knows at once; n2 is read as not cordoned. */
	assert_int_equal(f.cordoned[0], 1);
	t_run_for(t, 400);
	assert_int_equal(f.cordoned[1], 0);
	/* Not the leader: no evacuation. */
	assert_int_equal(t_redis_int(t->rc, "EXISTS %sevac:active:n1", t->prefix),
	    0);

	/* Unknown node: 404, from the loop; nothing written. */
	t_node_op(t, e, 0, "n9", "alice", &a);
	assert_int_equal(a.status, 404);
	assert_string_equal(a.err, "node 'n9' not found");
	t_node_op(t, e, 1, "../x", "alice", &a);
	assert_int_equal(a.status, 404);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %snode:n9", t->prefix), 0);

	/* Uncordon: both off; the manager told. */
	t_node_op(t, e, 1, "n1", "bob", &a);
	assert_int_equal(a.status, 202);
	assert_string_equal(a.json, "{\"node\":\"n1\",\"cordoned\":false,"
	    "\"taint\":\"\",\"evacuation\":null}");
	v = t_redis_str(t->rc, "HGET %snode:n1 taint", t->prefix);
	assert_string_equal(v, "");
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n1 by", t->prefix);
	assert_string_equal(v, "bob");
	free(v);
	assert_int_equal(f.cordoned[0], 0);
	/* An uncordon does not ask for an evacuation. */
	assert_int_equal(t_redis_int(t->rc, "HINCRBY %snode:n1 gen 0", t->prefix),
	    1);
}

/* Redis unreachable: 503 from the loop; the free is clean. */
static void
evac_drain__redis_down__503(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t_free_port(), 0);
	struct t_ans	 a;

	t_node_op(t, e, 0, "n1", "alice", &a);
	assert_int_equal(a.status, 503);
	t_has(a.err, "redis is unreachable");
	t_get(t, e, NULL, NULL, &a);
	assert_int_equal(a.status, 503);
	t_get(t, e, "n1-drain-abcde", NULL, &a);
	assert_int_equal(a.status, 503);
	/* An answer still out at the free: no callback, nothing leaked. */
	memset(&a, 0, sizeof a);
	evac_drain(e, "n1", "x", t_ans_cb, &a);
	evac_free(e);
	t->e[0] = NULL;
	t_run_for(t, 50);
	assert_int_equal(a.done, 0);
}

/* Redis refuses the write (a key of the wrong type): 500, error record. */
static void
evac_drain__redis_refuses__500_and_error_record(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	const char	*good[] = { "op", "drain", "node", "n1", "by", "tool" };
	struct t_ans	 a;
	redisReply	*r;
	char		*v;

	r = t_cmd(t->rc, "SET %snode:n1 not-a-hash", t->prefix);
	freeReplyObject(r);
	t_node_op(t, e, 0, "n1", "alice", &a);
	assert_int_equal(a.status, 500);
	t_has(a.err, "WRONGTYPE");
	evac_request(e, "8-0", good, nitems(good));
	t_run_for(t, 600);
	assert_int_equal(t_redis_int(t->rc, "LLEN %srequests:errors", t->prefix),
	    1);
	v = t_redis_str(t->rc, "LINDEX %srequests:errors 0", t->prefix);
	t_has(v, "\"id\":\"8-0\"");
	t_has(v, "WRONGTYPE");
	t_has(v, "\"fields\":[\"op\",\"drain\",\"node\",\"n1\",\"by\","
	    "\"tool\"]");
	free(v);
}

/* Bad stream entries leave error records (capped); good ones drain. */
static void
evac_request__entries__drained_or_error_records(void **state)
{
	struct t		*t = *state;
	struct evac_mgr		*e = t_replica(t, 0, t->port, 1);
	const char		*good[] = { "op", "drain", "node", "n2",
				    "by", "tool" };
	const char		*noby[] = { "op", "uncordon", "node", "n2" };
	const char		*unknown[] = { "op", "drain", "node", "n7" };
	const char		*bad[] = { "op", "reboot", "node", "n1" };
	const char		*odd[] = { "op", "drain", "node" };
	redisReply		*r;
	char			*v;
	int			 i;

	evac_request(e, "1-0", good, nitems(good));
	t_run_for(t, 100);
	v = t_redis_str(t->rc, "HGET %snode:n2 by", t->prefix);
	assert_string_equal(v, "tool");
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n2 taint", t->prefix);
	assert_string_equal(v, T_TAINT);
	free(v);
	evac_request(e, "2-0", noby, nitems(noby));
	t_run_for(t, 100);
	v = t_redis_str(t->rc, "HGET %snode:n2 by", t->prefix);
	assert_string_equal(v, "requests");
	free(v);
	v = t_redis_str(t->rc, "HGET %snode:n2 cordoned", t->prefix);
	assert_string_equal(v, "0");
	free(v);

	evac_request(e, "3-0", unknown, nitems(unknown));
	evac_request(e, "4-0", bad, nitems(bad));
	evac_request(e, "5-0", odd, nitems(odd));
	evac_request(e, "6-0", NULL, 0);
	t_run_for(t, 100);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %snode:n7", t->prefix), 0);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %snode:n1", t->prefix), 0);
	r = t_cmd(t->rc, "LRANGE %srequests:errors 0 -1", t->prefix);
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 4);
	/* Newest first. */
	t_has(r->element[0]->str, "\"id\":\"6-0\"");
	t_has(r->element[0]->str, "missing field 'op'");
	t_has(r->element[1]->str, "\"id\":\"5-0\"");
	t_has(r->element[1]->str, "odd number");
	t_has(r->element[2]->str, "unknown op 'reboot'");
	t_has(r->element[2]->str, "\"fields\":[\"op\",\"reboot\",\"node\","
	    "\"n1\"]");
	t_has(r->element[3]->str, "unknown node 'n7'");
	freeReplyObject(r);

	/* Capped at 100, newest kept. */
	for (i = 0; i < 110; i++)
		evac_request(e, "7-0", bad, nitems(bad));
	evac_request(e, "last", bad, nitems(bad));
	t_run_for(t, 200);
	assert_int_equal(t_redis_int(t->rc, "LLEN %srequests:errors", t->prefix),
	    100);
	v = t_redis_str(t->rc, "LINDEX %srequests:errors 0", t->prefix);
	t_has(v, "\"id\":\"last\"");
	free(v);
}

/* A request that meets Redis down is kept and done once it is back. */
static void
evac_request__redis_restarts__drained_after(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e;
	const char	*good[] = { "op", "drain", "node", "n1", "by", "ops" };
	redisContext	*c;
	char		*v;

	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot start a private redis-server");
	e = t_replica(t, 0, t->redis.port, 1);
	t_redis_kill(&t->redis);
	t_run_for(t, 300);		/* the store sees it gone */
	evac_request(e, "9-0", good, nitems(good));
	t_run_for(t, 300);
	if (t_redis_start(&t->redis) != 0)
		fail_msg("cannot restart the private redis-server");
	c = t_redis_connect(t->redis.port);
	t_run_for(t, 100);
	{
		uint64_t	deadline = util_now_ms() + 8000;

		while ((v = t_redis_str(c, "HGET %snode:n1 by", t->prefix)) ==
		    NULL && util_now_ms() < deadline) {
			event_base_loop(t->base, EVLOOP_ONCE);
		}
	}
	assert_non_null(v);
	assert_string_equal(v, "ops");
	free(v);
	redisFree(c);
}

/*
 * Three VMs, one pinned: two migrations, the pinned VM listed with its
 * reason; both move; the evacuation ends failed/VMsRemain naming it.  It
 * is never restarted while the node stays tainted; a new drain starts a
 * new one.  GET serves it, one and in the list.
 */
static void
evac__pinned_vm__failed_vms_remain_then_redrain(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	const char	*vms[] = { "vm-a", "vm-pinned", "vm-b" };
	struct t_ans	 a;
	char		*id, *json;
	int		 two = 2, three = 3;

	f_vms(vms, nitems(vms));
	f.pinned = "vm-pinned";
	evac_set_leader(e, 1);
	t_node_op(t, e, 0, "n1", "alice", &a);
	assert_int_equal(a.status, 202);
	t_wait(t, t_cond_active, "n1", T_SAFETY_MS);
	id = t_active(t, "n1");
	assert_non_null(id);
	assert_int_equal(strncmp(id, "n1-drain-", 9), 0);
	assert_int_equal(strlen(id), 14);
	t_wait(t, t_cond_created, &two, T_SAFETY_MS);
	assert_string_equal(f.evac_id, id);
	/* The record lists every VM, the pinned one with why. */
	t_run_for(t, 300);
	json = t_redis_str(t->rc, "HGET %sevac:%s json", t->prefix, id);
	t_has(json, "\"phase\":\"running\"");
	t_has(json, "\"requestedBy\":\"alice\"");
	t_has(json, "\"total\":3");
	t_has(json, "\"done\":1");
	t_has(json, "NotMigratable: hostdev 'gpu0' attached");
	t_has(json, "\"migration\":\"kubevirt-evacuation-00001\"");
	free(json);
	json = t_redis_str(t->rc, "HGET %sevac:%s listed", t->prefix, id);
	assert_string_equal(json, "1");
	free(json);
	/* Draining again while it runs: the same one serves it. */
	t_node_op(t, e, 0, "n1", "carol", &a);
	assert_int_equal(a.status, 202);
	t_has(a.json, id);

	f_mig_set("kubevirt-evacuation-00001", "copying", "", "");
	t_run_for(t, 300);
	f_mig_set("kubevirt-evacuation-00001", "succeeded", "", "");
	f_mig_set("kubevirt-evacuation-00002", "succeeded", "", "");
	json = t_wait_phase(t, id, "failed", T_SAFETY_MS);
	t_has(json, "\"reason\":\"VMsRemain\"");
	t_has(json, "\"total\":3,\"done\":3,\"succeeded\":2,\"failed\":1");
	t_has(json, "1 of 3 VMs remain on node 'n1': vm-pinned (cannot "
	    "move: NotMigratable: hostdev 'gpu0' attached)");
	free(json);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %sevac:active:n1", t->prefix),
	    0);

	/* Any replica serves it. */
	t_get(t, e, id, NULL, &a);
	assert_int_equal(a.status, 200);
	t_has(a.json, "\"phase\":\"failed\"");
	t_get(t, e, "n1-drain-nope0", NULL, &a);
	assert_int_equal(a.status, 404);
	t_get(t, e, "bad id", NULL, &a);
	assert_int_equal(a.status, 404);
	t_get(t, e, NULL, NULL, &a);
	assert_int_equal(a.status, 200);
	t_has(a.json, "\"kind\":\"EvacuationList\"");
	t_has(a.json, id);
	t_get(t, e, NULL, "n2", &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.json, "{\"apiVersion\":\"ferry.io/v1\","
	    "\"kind\":\"EvacuationList\",\"items\":[]}");

	/* Still tainted: no new evacuation, tick after tick. */
	t_run_for(t, 1000);
	assert_int_equal(t_redis_int(t->rc, "ZCARD %sevacs", t->prefix), 1);
	assert_int_equal(f.ncreated, 2);

	/* A new drain retries: a new evacuation. */
	t_node_op(t, e, 0, "n1", "dave", &a);
	t_wait(t, t_cond_created, &three, T_SAFETY_MS);
	assert_int_equal(t_redis_int(t->rc, "ZCARD %sevacs", t->prefix), 2);
	free(id);
	id = t_active(t, "n1");
	assert_non_null(id);
	assert_string_equal(f.evac_id, id);
	free(id);
}

/* Every VM moves: completed; the node stays cordoned. */
static void
evac__all_move__completed(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	const char	*vms[] = { "vm-a", "vm-b" };
	struct t_ans	 a;
	char		*id, *json;
	int		 two = 2;
	redisContext	*sub;
	redisReply	*r;
	void		*reply;
	struct timeval	 tv = { 0, 300 * 1000 };

	/* Its start and its end are published (GET /v1/watch), nothing else. */
	sub = t_redis_connect(t->port);
	r = redisCommand(sub, "SUBSCRIBE %sevents", t->prefix);
	assert_non_null(r);
	freeReplyObject(r);

	f_vms(vms, nitems(vms));
	evac_set_leader(e, 1);
	t_node_op(t, e, 0, "n2", "alice", &a);
	t_wait(t, t_cond_active, "n2", T_SAFETY_MS);
	id = t_active(t, "n2");
	t_wait(t, t_cond_created, &two, T_SAFETY_MS);
	f_mig_set("kubevirt-evacuation-00001", "succeeded", "", "");
	f_mig_set("kubevirt-evacuation-00002", "succeeded", "", "");
	json = t_wait_phase(t, id, "completed", T_SAFETY_MS);
	t_has(json, "\"reason\":\"\"");
	t_has(json, "all 2 VMs moved off node 'n2'");
	t_has(json, "\"endedMs\":1");
	free(json);

	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_int_equal(r->elements, 3);
	t_has(r->element[2]->str, "\"kind\":\"Evacuation\"");
	t_has(r->element[2]->str, "\"phase\":\"running\"");
	t_has(r->element[2]->str, id);
	freeReplyObject(r);
	assert_int_equal(redisGetReply(sub, &reply), REDIS_OK);
	r = reply;
	assert_int_equal(r->elements, 3);
	t_has(r->element[2]->str, "\"phase\":\"completed\"");
	t_has(r->element[2]->str, id);
	freeReplyObject(r);
	redisSetTimeout(sub, tv);
	assert_int_not_equal(redisGetReply(sub, &reply), REDIS_OK);
	redisFree(sub);
	json = t_redis_str(t->rc, "HGET %snode:n2 taint", t->prefix);
	assert_string_equal(json, T_TAINT);
	free(json);
	assert_int_equal(f.cordoned[1], 1);
	free(id);
}

/*
 * Uncordon mid-evacuation: cancelled at once; every non-final migration
 * is asked to stop with EvacuationCancelled (the pending one stops, the
 * copying one finishes); no new evacuation.
 */
static void
evac__uncordon__cancelled_pending_aborted(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	const char	*vms[] = { "vm-a", "vm-b" };
	struct t_ans	 a;
	char		*id, *json, *v;
	int		 two = 2, i;

	f_vms(vms, nitems(vms));
	evac_set_leader(e, 1);
	t_node_op(t, e, 0, "n1", "alice", &a);
	t_wait(t, t_cond_active, "n1", T_SAFETY_MS);
	id = t_active(t, "n1");
	t_wait(t, t_cond_created, &two, T_SAFETY_MS);
	f_mig_set("kubevirt-evacuation-00001", "copying", "", "");
	t_run_for(t, 300);
	t_node_op(t, e, 1, "n1", "bob", &a);
	t_has(a.json, id);
	json = t_wait_phase(t, id, "cancelled", T_SAFETY_MS);
	t_has(json, "\"reason\":\"EvacuationCancelled\"");
	t_has(json, "node 'n1' was uncordoned by 'bob'");
	free(json);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %sevac:active:n1", t->prefix),
	    0);
	t_run_for(t, 100);
	assert_int_equal(f.naborts, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f.aborts[i].reason,
		    MIG_REASON_EVACUATION_CANCELLED);
		assert_int_equal(f.aborts[i].force, 0);
	}
	v = t_redis_str(t->rc, "HGET %smig:kubevirt-evacuation-00002 phase",
	    t->prefix);
	assert_string_equal(v, "aborted");
	free(v);
	v = t_redis_str(t->rc, "HGET %smig:kubevirt-evacuation-00001 phase",
	    t->prefix);
	assert_string_equal(v, "copying");
	free(v);
	t_run_for(t, 600);
	assert_int_equal(t_redis_int(t->rc, "ZCARD %sevacs", t->prefix), 1);
	free(id);
}

/* evacuation_timeout: failed at once; pending ones aborted with force. */
static void
evac__timeout__failed_pending_aborted(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e;
	const char	*vms[] = { "vm-a", "vm-b" };
	struct t_ans	 a;
	char		*id, *json;
	int		 two = 2;

	t->cfg->evacuation_timeout = 1;
	e = t_replica(t, 0, t->port, 1);
	f_vms(vms, nitems(vms));
	evac_set_leader(e, 1);
	t_node_op(t, e, 0, "n1", "alice", &a);
	t_wait(t, t_cond_active, "n1", T_SAFETY_MS);
	id = t_active(t, "n1");
	t_wait(t, t_cond_created, &two, T_SAFETY_MS);
	f_mig_set("kubevirt-evacuation-00001", "copying", "", "");
	json = t_wait_phase(t, id, "failed", T_SAFETY_MS);
	t_has(json, "\"reason\":\"EvacuationTimeout\"");
	t_has(json, "evacuation_timeout (1 s) passed");
	t_has(json, "vm-a (migration 'kubevirt-evacuation-00001' copying)");
	free(json);
	t_run_for(t, 100);
	assert_int_equal(f.naborts, 1);
	assert_string_equal(f.aborts[0].name, "kubevirt-evacuation-00002");
	assert_int_equal(f.aborts[0].reason, MIG_REASON_ABORT_REQUESTED);
	assert_int_equal(f.aborts[0].force, 1);
	free(id);
}

/*
 * The leader changes before the VMs were listed: the new leader lists
 * them again; a VM that already has a migration is followed (409), the
 * other gets one; the evacuation completes with both.
 */
static void
evac__leader_changes_before_listing__carried_on(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*ea = t_replica(t, 0, t->port, 1);
	struct evac_mgr	*eb = t_replica(t, 1, t->port, 1);
	const char	*vms[] = { "vm-a", "vm-b" };
	struct t_ans	 a;
	redisReply	*r;
	char		*id, *json;
	int		 one = 1;

	f_vms(vms, nitems(vms));
	f.hold = 1;
	evac_set_leader(ea, 1);
	t_node_op(t, ea, 0, "n1", "alice", &a);
	t_wait(t, t_cond_active, "n1", T_SAFETY_MS);
	id = t_active(t, "n1");
	t_run_for(t, 300);
	assert_int_equal(f.nlists, 1);
	json = t_redis_str(t->rc, "HGET %sevac:%s listed", t->prefix, id);
	assert_string_equal(json, "0");
	free(json);

	/* The old leader had made vm-a's migration before it went. */
	r = t_cmd(t->rc, "SET %svm:vm-a:active kubevirt-evacuation-prior",
	    t->prefix);
	freeReplyObject(r);
	r = t_cmd(t->rc, "HSET %smig:kubevirt-evacuation-prior vm vm-a "
	    "phase copying", t->prefix);
	freeReplyObject(r);

	evac_set_leader(ea, 0);
	f_release();			/* the old leader's answer: ignored */
	evac_set_leader(eb, 1);
	t_wait(t, t_cond_created, &one, T_SAFETY_MS);
	t_run_for(t, 300);
	assert_int_equal(f.nlists, 2);
	assert_int_equal(f.ncreated, 1);
	assert_string_equal(f.evac_id, id);
	json = t_redis_str(t->rc, "HGET %sevac:%s json", t->prefix, id);
	t_has(json, "\"vm\":\"vm-a\",\"migration\":"
	    "\"kubevirt-evacuation-prior\"");
	t_has(json, "\"vm\":\"vm-b\",\"migration\":"
	    "\"kubevirt-evacuation-00001\"");
	free(json);

	f_mig_set("kubevirt-evacuation-prior", "succeeded", "", "");
	f_mig_set("kubevirt-evacuation-00001", "succeeded", "", "");
	json = t_wait_phase(t, id, "completed", T_SAFETY_MS);
	t_has(json, "\"succeeded\":2");
	free(json);
	assert_int_equal(t_redis_int(t->rc, "ZCARD %sevacs", t->prefix), 1);
	free(id);
}

/* A replica that thinks it leads but does not hold the lease writes nothing. */
static void
evac__not_the_lease_holder__no_evacuation(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e;
	struct t_ans	 a;
	redisReply	*r;

	r = t_cmd(t->rc, "SET %sleader someone-else PX 10000", t->prefix);
	freeReplyObject(r);
	t_replica(t, 0, t->port, 1);
	evac_free(t->e[0]);
	t->c = coord_create(t->base, t->s[0], "rep-a", 5000, NULL);
	assert_non_null(t->c);
	e = t->e[0] = evac_create(t->base, t->cfg, t->s[0], t->c,
	    (struct mig_mgr *)&f);
	evac_set_leader(e, 1);		/* wrongly */
	t_node_op(t, e, 0, "n1", "alice", &a);
	assert_int_equal(a.status, 202);
	t_run_for(t, 600);
	assert_int_equal(t_redis_int(t->rc, "EXISTS %sevac:active:n1", t->prefix),
	    0);
	assert_int_equal(t_redis_int(t->rc, "ZCARD %sevacs", t->prefix), 0);
	assert_int_equal(f.nlists, 0);
}

/* evac_free with a listing and a drain out: no callback, nothing leaked. */
static void
evac_free__operations_out__clean(void **state)
{
	struct t	*t = *state;
	struct evac_mgr	*e = t_replica(t, 0, t->port, 1);
	const char	*vms[] = { "vm-a" };
	struct t_ans	 a, b;

	f_vms(vms, nitems(vms));
	f.hold = 1;
	evac_set_leader(e, 1);
	t_node_op(t, e, 0, "n1", "alice", &a);
	t_wait(t, t_cond_active, "n1", T_SAFETY_MS);
	t_run_for(t, 300);
	assert_int_equal(f.nheld, 1);
	memset(&b, 0, sizeof b);
	evac_drain(e, "n1", "x", t_ans_cb, &b);
	evac_get(e, NULL, NULL, t_ans_cb, &b);
	evac_drain(e, "n9", "x", t_ans_cb, &b);
	evac_free(e);
	t->e[0] = NULL;
	f_release();
	t_run_for(t, 100);
	assert_int_equal(b.done, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)
		T(evac_drain__known_node__cordoned_tainted_202),
		T(evac_drain__redis_down__503),
		T(evac_drain__redis_refuses__500_and_error_record),
		T(evac_request__entries__drained_or_error_records),
		T(evac_request__redis_restarts__drained_after),
		T(evac__pinned_vm__failed_vms_remain_then_redrain),
		T(evac__all_move__completed),
		T(evac__uncordon__cancelled_pending_aborted),
		T(evac__timeout__failed_pending_aborted),
		T(evac__leader_changes_before_listing__carried_on),
		T(evac__not_the_lease_holder__no_evacuation),
		T(evac_free__operations_out__clean),
#undef T
	};

	log_open(stderr, LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	return (cmocka_run_group_tests_name("evac", tests, NULL, NULL));
}
