/*
 * test-virt-event.c: libvirt's event loop on libevent, then the libvirt
 * driver (hv_libvirt_ops), both against libvirt's test:///default driver,
 * which needs no daemon.
 */

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
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
#include <event2/thread.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "ferry/hv.h"
#include "ferry/log.h"
#include "ferry/util.h"
#include "ferry/virt-event.h"
#include "ferry/worker.h"

#define TEST_URI	"test:///default"
#define BAD_URI		"qemu+unix:///system?socket=/nonexistent/sock"

static struct event_base	*base;		/* the one loop */
static pthread_t		 loop_thread;	/* thread that runs it */

/* What a raw libvirt callback saw. */
struct seen {
	int		 calls;		/* callback calls */
	int		 off_loop;	/* calls not on the loop thread */
	int		 id;		/* libvirt's id for the item */
	int		 events;	/* handle: last events */
	int		 fd;		/* handle: last fd */
	int		 remove_at;	/* remove itself at this call (0 never) */
	int		 remove_rc;	/* what the remove returned */
	int		 ff_calls;	/* free callback calls */
	int		 ff_off_loop;	/* free callbacks off the loop thread */
	int		 ff_in_remove;	/* free callbacks inside remove */
	int		 in_remove;	/* set while we are inside remove */
	int		 sleep_ms;	/* handle: sleep in the callback */
	int		 lifecycle[8];	/* lifecycle: events in order */
	int		 nlifecycle;	/* lifecycle: how many */
};

/* Run the loop until *COUNTER reaches TARGET or MS milliseconds pass. */
static void
run_until(volatile int *counter, int target, int ms)
{
	uint64_t	deadline = util_now_ms() + ms;
	struct timeval	tv = { 0, 5000 };

	while (*counter < target && util_now_ms() < deadline) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* Run the loop for MS milliseconds. */
static void
run_for(int ms)
{
	int	never = 0;

	run_until(&never, 1, ms);
}

/* Free callback: where and when it ran. */
static void
seen_ff(void *opaque)
{
	struct seen	*s = opaque;

	__atomic_fetch_add(&s->ff_calls, 1, __ATOMIC_SEQ_CST);
	if (!pthread_equal(pthread_self(), loop_thread))
		s->ff_off_loop++;
	if (s->in_remove)
		s->ff_in_remove++;
}

/* Timer callback: count, and remove itself when told to. */
static void
seen_timeout_cb(int timer, void *opaque)
{
	struct seen	*s = opaque;

	s->calls++;
	s->id = timer;
	if (!pthread_equal(pthread_self(), loop_thread))
		s->off_loop++;
	if (s->remove_at != 0 && s->calls == s->remove_at) {
		s->in_remove = 1;
		s->remove_rc = virEventRemoveTimeout(timer);
		s->in_remove = 0;
	}
}

/* Handle callback: drain the pipe, count, maybe remove itself. */
static void
seen_handle_cb(int watch, int fd, int events, void *opaque)
{
	struct seen	*s = opaque;
	char		 buf[64];

	__atomic_fetch_add(&s->calls, 1, __ATOMIC_SEQ_CST);
	s->id = watch;
	s->fd = fd;
	s->events = events;
	if (!pthread_equal(pthread_self(), loop_thread))
		s->off_loop++;
	if (s->sleep_ms > 0)
		usleep(s->sleep_ms * 1000);
	if (events & VIR_EVENT_HANDLE_READABLE)
		(void)read(fd, buf, sizeof buf);
	if (s->remove_at != 0 && s->calls == s->remove_at) {
		s->in_remove = 1;
		s->remove_rc = virEventRemoveHandle(watch);
		s->in_remove = 0;
	}
}

static void
virt_event_register__again__same_base_ok_other_base_refused(void **state)
{
	struct event_base	*other = event_base_new();

	assert_int_equal(virt_event_register(base), 0);
	assert_int_equal(virt_event_register(other), -1);
	event_base_free(other);
}

static void
virt_event_add_timeout__zero__fires_each_pass_until_removed(void **state)
{
	struct seen	s = { .remove_at = 3 };
	int		before = virt_event_count(), id;

	id = virEventAddTimeout(0, seen_timeout_cb, &s, seen_ff);
	assert_true(id > 0);
	assert_int_equal(virt_event_count(), before + 1);

	run_until(&s.ff_calls, 1, 2000);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.off_loop, 0);
	assert_int_equal(s.remove_rc, 0);
	assert_int_equal(s.ff_calls, 1);
	assert_int_equal(s.ff_in_remove, 0);
	assert_int_equal(s.ff_off_loop, 0);
	assert_int_equal(virt_event_count(), before);

	/* Removed means gone: no more calls, a second remove fails. */
	run_for(30);
	assert_int_equal(s.calls, 3);
	assert_int_equal(virEventRemoveTimeout(id), -1);
}

static void
virt_event_add_timeout__ids__positive_and_increasing(void **state)
{
	int	a, b;

	a = virEventAddTimeout(-1, seen_timeout_cb, NULL, NULL);
	b = virEventAddTimeout(-1, seen_timeout_cb, NULL, NULL);
	assert_true(a > 0);
	assert_true(b > a);
	assert_int_equal(virEventRemoveTimeout(a), 0);
	assert_int_equal(virEventRemoveTimeout(b), 0);
	run_for(10);
}

static void
virt_event_update_timeout__period_disable_enable__follows_updates(void **state)
{
	struct seen	s = { 0 };
	int		id, n;
	uint64_t	start;

	/* Disabled at first: never fires. */
	id = virEventAddTimeout(-1, seen_timeout_cb, &s, seen_ff);
	run_for(50);
	assert_int_equal(s.calls, 0);

	/* 20 ms period: fires repeatedly, not before its time. */
	start = util_now_ms();
	virEventUpdateTimeout(id, 20);
	run_until(&s.calls, 3, 2000);
	assert_int_equal(s.calls, 3);
	assert_true(util_now_ms() - start >= 55);

	/* Disabled again: stays quiet. */
	virEventUpdateTimeout(id, -1);
	n = s.calls;
	run_for(60);
	assert_int_equal(s.calls, n);

	assert_int_equal(virEventRemoveTimeout(id), 0);
	assert_int_equal(s.ff_calls, 0);
	run_until(&s.ff_calls, 1, 1000);
	assert_int_equal(s.ff_calls, 1);
}

static void
virt_event_add_handle__pipe__readable_then_disabled_then_removed(void **state)
{
	struct seen	s = { 0 };
	int		p[2], id, before = virt_event_count();

	assert_int_equal(pipe(p), 0);
	id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, seen_handle_cb,
	    &s, seen_ff);
	assert_true(id > 0);
	assert_int_equal(virt_event_count(), before + 1);

	/* Nothing to read: no call. */
	run_for(20);
	assert_int_equal(s.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	run_until(&s.calls, 1, 2000);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.fd, p[0]);
	assert_int_equal(s.id, id);
	assert_true(s.events & VIR_EVENT_HANDLE_READABLE);
	assert_int_equal(s.off_loop, 0);

	/* Events 0 = disabled: data waits, no call. */
	virEventUpdateHandle(id, 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	run_for(30);
	assert_int_equal(s.calls, 1);

	/* Enabled again, removes itself from inside its callback. */
	s.remove_at = 2;
	virEventUpdateHandle(id, VIR_EVENT_HANDLE_READABLE);
	run_until(&s.ff_calls, 1, 2000);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.remove_rc, 0);
	assert_int_equal(s.ff_calls, 1);
	assert_int_equal(s.ff_in_remove, 0);
	assert_int_equal(s.ff_off_loop, 0);
	assert_int_equal(virt_event_count(), before);

	assert_int_equal(write(p[1], "z", 1), 1);
	run_for(30);
	assert_int_equal(s.calls, 2);
	close(p[0]);
	close(p[1]);
}

static void
virt_event_add_handle__writable__reported_writable(void **state)
{
	struct seen	s = { .remove_at = 1 };
	int		p[2], id;

	assert_int_equal(pipe(p), 0);
	id = virEventAddHandle(p[1], VIR_EVENT_HANDLE_WRITABLE, seen_handle_cb,
	    &s, seen_ff);
	assert_true(id > 0);
	run_until(&s.ff_calls, 1, 2000);
	assert_int_equal(s.calls, 1);
	assert_true(s.events & VIR_EVENT_HANDLE_WRITABLE);
	assert_false(s.events & VIR_EVENT_HANDLE_READABLE);
	close(p[0]);
	close(p[1]);
}

/* What the remover thread needs. */
struct remover {
	struct seen	*s;	/* the handle's record */
	int		 id;	/* watch to remove */
	int		 rc;	/* what remove returned */
	int		 ff_seen; /* ff calls seen right after remove */
};

/* Remove a watch from another thread while its callback sleeps. */
static void *
remover_thread(void *arg)
{
	struct remover	*r = arg;

	while (__atomic_load_n(&r->s->calls, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	r->rc = virEventRemoveHandle(r->id);
	r->ff_seen = __atomic_load_n(&r->s->ff_calls, __ATOMIC_SEQ_CST);
	return (NULL);
}

static void
virt_event_remove_handle__other_thread_during_callback__ff_after(void **state)
{
	struct seen	*s = calloc(1, sizeof *s);
	struct remover	 r = { 0 };
	pthread_t	 t;
	int		 p[2];

	assert_int_equal(pipe(p), 0);
	s->sleep_ms = 100;
	r.s = s;
	r.id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE,
	    seen_handle_cb, s, seen_ff);
	assert_true(r.id > 0);
	assert_int_equal(pthread_create(&t, NULL, remover_thread, &r), 0);
	assert_int_equal(write(p[1], "x", 1), 1);

	run_until(&s->ff_calls, 1, 3000);
	pthread_join(t, NULL);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.ff_seen, 0);
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->ff_calls, 1);
	assert_int_equal(s->ff_off_loop, 0);
	free(s);
	close(p[0]);
	close(p[1]);
}

/* Lifecycle callback of the raw libvirt test. */
static int
seen_lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
    void *opaque)
{
	struct seen	*s = opaque;

	if (!pthread_equal(pthread_self(), loop_thread))
		s->off_loop++;
	if (s->nlifecycle < (int)nitems(s->lifecycle))
		s->lifecycle[s->nlifecycle++] = event;
	s->calls++;
	return (0);
}

static void
virt_event__test_driver_lifecycle__events_arrive_through_loop(void **state)
{
	struct seen	 s = { 0 };
	virConnectPtr	 conn;
	virDomainPtr	 dom;
	int		 before = virt_event_count(), id;

	conn = virConnectOpen(TEST_URI);
	assert_non_null(conn);
	id = virConnectDomainEventRegisterAny(conn, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE,
	    VIR_DOMAIN_EVENT_CALLBACK(seen_lifecycle_cb), &s, NULL);
	assert_true(id >= 0);
	/* libvirt's dispatch timer lives on our loop. */
	assert_true(virt_event_count() > before);

	dom = virDomainLookupByName(conn, "test");
	assert_non_null(dom);
	assert_int_equal(virDomainSuspend(dom), 0);
	assert_int_equal(virDomainResume(dom), 0);
	/* Nothing is delivered until the loop runs. */
	assert_int_equal(s.calls, 0);

	run_until(&s.calls, 2, 2000);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.lifecycle[0], VIR_DOMAIN_EVENT_SUSPENDED);
	assert_int_equal(s.lifecycle[1], VIR_DOMAIN_EVENT_RESUMED);
	assert_int_equal(s.off_loop, 0);

	virDomainFree(dom);
	assert_int_equal(virConnectDomainEventDeregisterAny(conn, id), 0);
	assert_int_equal(virConnectClose(conn), 0);
	run_for(20);
	assert_int_equal(virt_event_count(), before);
}

/* What the owner of a node saw. */
struct owner {
	int			 ups;		/* conn_cb(1) calls */
	int			 downs;		/* conn_cb(0) calls */
	char			 why[512];	/* last down reason */
	int			 off_loop;	/* callbacks off the loop thread */
	enum hv_event		 events[16];	/* event_cb events in order */
	char			 vms[16][32];	/* their domains */
	struct hv_job_stats	 stats[16];	/* their stats if any */
	int			 has_stats[16];	/* stats were non-NULL */
	int			 nevents;	/* event_cb calls */
	int			 free_in_conn_cb; /* free the node in conn_cb */
	struct hv_node		*node;		/* for free_in_conn_cb */
};

/* What one call's callback saw. */
struct answer {
	int			 calls;		/* callback calls */
	int			 rc;		/* rc */
	char			 msg[512];	/* message, "" if NULL */
	enum hv_dom_state	 state;		/* dom_state */
	struct hv_job_stats	 stats;		/* job_stats */
	int			 has_stats;	/* stats non-NULL */
	int			 off_loop;	/* not on the loop thread */
};

/* conn_cb of the test owner. */
static void
owner_conn_cb(struct hv_node *node, int up, const char *why, void *arg)
{
	struct owner	*o = arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		o->off_loop++;
	if (up)
		o->ups++;
	else {
		o->downs++;
		snprintf(o->why, sizeof o->why, "%s", why != NULL ? why : "");
	}
	if (o->free_in_conn_cb) {
		hv_node_free(o->node);
		o->node = NULL;
	}
}

/* event_cb of the test owner. */
static void
owner_event_cb(struct hv_node *node, const char *vm, enum hv_event ev,
    const struct hv_job_stats *stats, void *arg)
{
	struct owner	*o = arg;
	int		 i = o->nevents;

	if (!pthread_equal(pthread_self(), loop_thread))
		o->off_loop++;
	if (i >= (int)nitems(o->events))
		return;
	o->events[i] = ev;
	snprintf(o->vms[i], sizeof o->vms[i], "%s", vm);
	if (stats != NULL) {
		o->stats[i] = *stats;
		o->has_stats[i] = 1;
	}
	o->nevents++;
}

/* Note a call's result. */
static void
answer_note(struct answer *a, int rc, const char *msg)
{
	a->calls++;
	a->rc = rc;
	snprintf(a->msg, sizeof a->msg, "%s", msg != NULL ? msg : "");
	if (!pthread_equal(pthread_self(), loop_thread))
		a->off_loop++;
}

/* hv_done_cb for tests. */
static void
answer_done_cb(int rc, const char *msg, void *arg)
{
	answer_note(arg, rc, msg);
}

/* hv_state_cb for tests. */
static void
answer_state_cb(int rc, enum hv_dom_state st, const char *msg, void *arg)
{
	struct answer	*a = arg;

	a->state = st;
	answer_note(a, rc, msg);
}

/* hv_stats_cb for tests. */
static void
answer_stats_cb(int rc, const struct hv_job_stats *st, const char *msg,
    void *arg)
{
	struct answer	*a = arg;

	if (st != NULL) {
		a->stats = *st;
		a->has_stats = 1;
	}
	answer_note(a, rc, msg);
}

/* Create a libvirt node for URI owned by O. */
static struct hv_node *
node_create(struct workers *w, const char *name, const char *uri,
    struct owner *o)
{
	struct hv_node_params	 params = {
		.name = name,
		.uri = uri,
		.keepalive_interval = 5,
		.keepalive_count = 5,
		.call_timeout = 5,
		.reconnect_max = 4,
	};
	struct hv_node_cbs	 cbs = {
		.conn_cb = owner_conn_cb,
		.event_cb = owner_event_cb,
		.arg = o,
	};

	return (hv_node_create(&hv_libvirt_ops, base, w, &params, &cbs));
}

/* Free the node and the pool, then let the loop reap libvirt's leftovers. */
static void
node_finish(struct hv_node *node, struct workers *w)
{
	hv_node_free(node);
	workers_free(w);
	run_for(20);
}

static void
hv_node_create__test_driver__comes_up_on_loop(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct hv_node	*node;

	node = node_create(w, "n1", TEST_URI, &o);
	assert_non_null(node);
	assert_string_equal(hv_node_name(node), "n1");
	/* Asynchronous: not up yet, no callback from inside create. */
	assert_false(hv_node_is_up(node));
	assert_int_equal(o.ups, 0);

	run_until(&o.ups, 1, 5000);
	assert_int_equal(o.ups, 1);
	assert_int_equal(o.downs, 0);
	assert_int_equal(o.off_loop, 0);
	assert_true(hv_node_is_up(node));

	node_finish(node, w);
}

static void
hv_dom_state__test_driver__running_and_absent(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 test = { .state = HV_DOM_OTHER };
	struct answer	 nope = { .state = HV_DOM_OTHER };
	struct hv_node	*node;

	node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);
	assert_true(hv_node_is_up(node));

	hv_dom_state(node, "test", answer_state_cb, &test);
	hv_dom_state(node, "nope", answer_state_cb, &nope);
	assert_int_equal(test.calls, 0);
	run_until(&nope.calls, 1, 5000);
	run_until(&test.calls, 1, 5000);

	assert_int_equal(test.calls, 1);
	assert_int_equal(test.rc, 0);
	assert_int_equal(test.state, HV_DOM_RUNNING);
	assert_int_equal(test.off_loop, 0);
	assert_int_equal(nope.calls, 1);
	assert_int_equal(nope.rc, 0);
	assert_int_equal(nope.state, HV_DOM_ABSENT);

	node_finish(node, w);
}

/* What an inventory call answered. */
struct inv_answer {
	int		calls;		/* callbacks run */
	int		rc;		/* last rc */
	int		off_loop;	/* callbacks off the loop thread */
	size_t		ndomains;	/* list_domains */
	int		test_running;	/* "test" listed as running */
	int		test_xml;	/* its XML names it */
	int		has_caps;	/* host_info: capabilities XML */
	int		has_domcaps;	/* host_info: domain capabilities XML */
	uint64_t	memory_kib;	/* host_info */
	uint64_t	free_kib;
	unsigned int	cpus;
	char		msg[256];	/* last error */
};

/* hv_domains_cb for tests. */
static void
inv_domains_cb(int rc, const struct hv_domain *d, size_t n, const char *msg,
    void *arg)
{
	struct inv_answer	*a = arg;
	size_t			 i;

	a->calls++;
	a->rc = rc;
	a->ndomains = n;
	if (!pthread_equal(pthread_self(), loop_thread))
		a->off_loop++;
	for (i = 0; i < n; i++) {
		if (strcmp(d[i].name, "test") != 0)
			continue;
		a->test_running = (d[i].state == HV_DOM_RUNNING);
		a->test_xml = (strstr(d[i].xml, "<name>test</name>") != NULL);
	}
	snprintf(a->msg, sizeof a->msg, "%s", msg != NULL ? msg : "");
}

/* hv_host_cb for tests. */
static void
inv_host_cb(int rc, const struct hv_host *h, const char *msg, void *arg)
{
	struct inv_answer	*a = arg;

	a->calls++;
	a->rc = rc;
	if (h != NULL) {
		a->has_caps = (h->caps_xml != NULL &&
		    strstr(h->caps_xml, "<capabilities>") != NULL);
		a->has_domcaps = (h->domcaps_xml != NULL);
		a->memory_kib = h->memory_kib;
		a->free_kib = h->free_kib;
		a->cpus = h->cpus;
	}
	snprintf(a->msg, sizeof a->msg, "%s", msg != NULL ? msg : "");
}

/* hv_compare_cb for tests. */
static void
inv_compare_cb(int rc, int compatible, const char *msg, void *arg)
{
	struct inv_answer	*a = arg;

	a->calls++;
	a->rc = rc;
	snprintf(a->msg, sizeof a->msg, "%s", msg != NULL ? msg : "");
}

static void
hv_inventory__test_driver__domains_and_host(void **state)
{
	struct workers		*w = workers_create(base, 2);
	struct owner		 o = { 0 };
	struct inv_answer	 dom = { 0 }, host = { 0 }, cmp = { 0 };
	struct hv_node		*node;

	node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);

	hv_list_domains(node, inv_domains_cb, &dom);
	hv_host_info(node, inv_host_cb, &host);
	hv_compare_cpu(node, "<cpu><model>qemu64</model></cpu>",
	    inv_compare_cb, &cmp);
	run_until(&dom.calls, 1, 5000);
	run_until(&host.calls, 1, 5000);
	run_until(&cmp.calls, 1, 5000);

	assert_int_equal(dom.rc, 0);
	assert_true(dom.ndomains >= 1);
	assert_true(dom.test_running);
	assert_true(dom.test_xml);
	assert_int_equal(dom.off_loop, 0);
	/* The test driver has capabilities but no domain capabilities. */
	assert_int_equal(host.rc, 0);
	assert_true(host.has_caps);
	assert_false(host.has_domcaps);
	assert_true(host.memory_kib > 0);
	assert_true(host.free_kib > 0);
	assert_true(host.cpus > 0);
	assert_int_equal(cmp.rc, -1);
	assert_non_null(strstr(cmp.msg, "not supported"));

	node_finish(node, w);
}

static void
hv_job_stats__test_driver__fails_with_libvirt_message(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 stats = { 0 }, abort_ = { 0 }, mig = { 0 };
	struct hv_migrate_params mp = {
		.dconnuri = "test:///default",
		.uri = "tcp://127.0.0.1",
		.bandwidth = 5,
	};
	struct hv_node	*node;

	node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);

	hv_job_stats(node, "test", answer_stats_cb, &stats);
	hv_job_abort(node, "test", answer_done_cb, &abort_);
	hv_migrate(node, "test", &mp, answer_done_cb, &mig);
	run_until(&stats.calls, 1, 5000);
	run_until(&abort_.calls, 1, 5000);
	run_until(&mig.calls, 1, 5000);

	assert_int_equal(stats.calls, 1);
	assert_int_equal(stats.rc, -1);
	assert_int_equal(stats.has_stats, 0);
	assert_non_null(strstr(stats.msg, "not supported"));
	assert_int_equal(abort_.calls, 1);
	assert_int_equal(abort_.rc, -1);
	assert_non_null(strstr(abort_.msg, "not supported"));
	assert_int_equal(mig.calls, 1);
	assert_int_equal(mig.rc, -1);
	assert_true(strlen(mig.msg) > 0);

	/* Unknown domains fail with libvirt's words. */
	stats.calls = 0;
	hv_job_stats(node, "nope", answer_stats_cb, &stats);
	run_until(&stats.calls, 1, 5000);
	assert_int_equal(stats.rc, -1);
	assert_non_null(strstr(stats.msg, "not found"));

	node_finish(node, w);
}

static void
hv_event_cb__suspend_resume_destroy_start__mapped_events(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct hv_node	*node;
	virConnectPtr	 conn;
	virDomainPtr	 dom;

	node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);
	assert_true(hv_node_is_up(node));

	/* Another connection to the same (shared) test driver. */
	conn = virConnectOpen(TEST_URI);
	assert_non_null(conn);
	dom = virDomainLookupByName(conn, "test");
	assert_non_null(dom);
	assert_int_equal(virDomainSuspend(dom), 0);
	assert_int_equal(virDomainResume(dom), 0);
	assert_int_equal(virDomainDestroy(dom), 0);
	assert_int_equal(virDomainCreate(dom), 0);

	run_until(&o.nevents, 4, 5000);
	assert_int_equal(o.nevents, 4);
	assert_int_equal(o.events[0], HV_EV_OTHER_LIFECYCLE);
	assert_int_equal(o.events[1], HV_EV_RESUMED);
	assert_int_equal(o.events[2], HV_EV_STOPPED);
	assert_int_equal(o.events[3], HV_EV_STARTED);
	assert_string_equal(o.vms[0], "test");
	assert_int_equal(o.has_stats[0], 0);
	assert_int_equal(o.off_loop, 0);

	virDomainFree(dom);
	virConnectClose(conn);
	node_finish(node, w);
}

static void
hv_node_create__bad_uri__down_and_calls_fail_later(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 st = { 0 }, mig = { 0 };
	struct hv_migrate_params mp = { .dconnuri = "qemu:///system" };
	struct hv_node	*node;

	node = node_create(w, "bad", BAD_URI, &o);
	run_until(&o.downs, 1, 5000);
	assert_int_equal(o.downs, 1);
	assert_int_equal(o.ups, 0);
	assert_non_null(strstr(o.why, "/nonexistent/sock"));
	assert_false(hv_node_is_up(node));

	hv_dom_state(node, "test", answer_state_cb, &st);
	hv_migrate(node, "test", &mp, answer_done_cb, &mig);
	/* Never from inside the call. */
	assert_int_equal(st.calls, 0);
	assert_int_equal(mig.calls, 0);
	run_until(&mig.calls, 1, 2000);
	assert_int_equal(st.calls, 1);
	assert_int_equal(st.rc, -1);
	assert_string_equal(st.msg, "node 'bad' is not connected");
	assert_int_equal(mig.calls, 1);
	assert_int_equal(mig.rc, -1);
	assert_int_equal(st.off_loop, 0);

	/* Retries (1 s, then 2 s) do not report "down" again. */
	run_for(3300);
	assert_int_equal(o.downs, 1);

	node_finish(node, w);
}

static void
hv_node_free__calls_in_flight__callbacks_never_run(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 a = { 0 }, b = { 0 };
	struct hv_node	*node, *down;

	node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);
	hv_dom_state(node, "test", answer_state_cb, &a);
	hv_node_free(node);

	/* A node still connecting, with a failing call queued. */
	down = node_create(w, "bad", BAD_URI, &o);
	hv_dom_state(down, "test", answer_state_cb, &b);
	hv_node_free(down);

	run_for(200);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
	assert_int_equal(o.downs, 0);
	workers_free(w);
	run_for(20);
}

static void
hv_node_free__inside_conn_cb__safe(void **state)
{
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { .free_in_conn_cb = 1 };

	o.node = node_create(w, "n1", TEST_URI, &o);
	run_until(&o.ups, 1, 5000);
	assert_int_equal(o.ups, 1);
	assert_null(o.node);

	o.free_in_conn_cb = 1;
	o.node = node_create(w, "bad", BAD_URI, &o);
	run_until(&o.downs, 1, 5000);
	assert_int_equal(o.downs, 1);
	assert_null(o.node);

	workers_free(w);
	run_for(20);
}

/*
 * A private libvirtd serving test:///default over a unix socket: a session
 * daemon (as nobody when we are root), so the remote driver, keepalive, the
 * close callback and calls that block can be tested without the lab.
 */
struct daemon {
	char	dir[64];	/* its XDG directories */
	char	sock[128];	/* its socket */
	char	uri[256];	/* test+unix URI of the socket */
	pid_t	pid;		/* running daemon, or -1 */
};

static struct daemon	daemon_g = { .pid = -1 };	/* the daemon tests' */

/* Start (or restart) the daemon; skip the test if libvirtd is missing. */
static void
daemon_start(struct daemon *d)
{
	uint64_t	deadline;
	struct stat	sb;
	char		path[256];
	int		fd;

	if (access("/usr/sbin/libvirtd", X_OK) != 0) {
		print_message("libvirtd is not installed: skipped\n");
		skip();
	}
	if (d->dir[0] == '\0') {
		snprintf(d->dir, sizeof d->dir, "/tmp/ferry-lvd.XXXXXX");
		assert_non_null(mkdtemp(d->dir));
		assert_int_equal(chmod(d->dir, 0755), 0);
		if (getuid() == 0)
			assert_int_equal(chown(d->dir, 65534, 65534), 0);
		snprintf(d->sock, sizeof d->sock, "%s/run/libvirt/libvirt-sock",
		    d->dir);
		snprintf(d->uri, sizeof d->uri, "test+unix:///default?socket=%s",
		    d->sock);
	}
	unlink(d->sock);

	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		snprintf(path, sizeof path, "%s/libvirtd.log", d->dir);
		if (getuid() == 0 && (setgroups(0, NULL) != 0 ||
		    setgid(65534) != 0 || setuid(65534) != 0))
			_exit(126);
		if ((fd = open(path, O_WRONLY|O_CREAT|O_APPEND, 0644)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if (chdir(d->dir) != 0)
			_exit(126);
		snprintf(path, sizeof path, "%s/run", d->dir);
		setenv("XDG_RUNTIME_DIR", path, 1);
		snprintf(path, sizeof path, "%s/cfg", d->dir);
		setenv("XDG_CONFIG_HOME", path, 1);
		snprintf(path, sizeof path, "%s/cache", d->dir);
		setenv("XDG_CACHE_HOME", path, 1);
		setenv("HOME", d->dir, 1);
		execl("/usr/sbin/libvirtd", "libvirtd", "--timeout", "120",
		    (char *)NULL);
		_exit(127);
	}

	deadline = util_now_ms() + 15000;
	while (stat(d->sock, &sb) != 0 && util_now_ms() < deadline)
		usleep(20000);
	assert_int_equal(stat(d->sock, &sb), 0);
}

/* Kill the daemon with SIG and reap it. */
static void
daemon_kill(struct daemon *d, int sig)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGCONT);
	kill(d->pid, sig);
	waitpid(d->pid, NULL, 0);
	d->pid = -1;
}

/* Kill the daemon and remove its directory. */
static void
daemon_cleanup(struct daemon *d)
{
	char	cmd[128];

	daemon_kill(d, SIGKILL);
	if (d->dir[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
		if (system(cmd) != 0)
			print_message("cannot remove %s\n", d->dir);
	}
	memset(d, 0, sizeof *d);
	d->pid = -1;
}

/* cmocka teardown: never leave a (stopped) daemon behind a failed test. */
static int
daemon_teardown(void **state)
{
	daemon_cleanup(&daemon_g);
	return (0);
}

/* Create a node on D's socket with the given keepalive and deadline. */
static struct hv_node *
daemon_node_create(struct workers *w, struct daemon *d, struct owner *o,
    int keepalive, int call_timeout)
{
	struct hv_node_params	 params = {
		.name = "remote",
		.uri = d->uri,
		.keepalive_interval = keepalive,
		.keepalive_count = 1,
		.call_timeout = call_timeout,
		.reconnect_max = 2,
	};
	struct hv_node_cbs	 cbs = {
		.conn_cb = owner_conn_cb,
		.event_cb = owner_event_cb,
		.arg = o,
	};

	return (hv_node_create(&hv_libvirt_ops, base, w, &params, &cbs));
}

static void
hv_node__daemon_killed_and_restarted__down_then_up_again(void **state)
{
	struct daemon	*d = &daemon_g;
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 a = { .state = HV_DOM_OTHER };
	struct hv_node	*node;

	daemon_start(d);
	node = daemon_node_create(w, d, &o, 5, 5);
	run_until(&o.ups, 1, 10000);
	assert_int_equal(o.ups, 1);

	hv_dom_state(node, "test", answer_state_cb, &a);
	run_until(&a.calls, 1, 5000);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.state, HV_DOM_RUNNING);

	/* The close callback notices, through our loop. */
	daemon_kill(d, SIGKILL);
	run_until(&o.downs, 1, 5000);
	assert_int_equal(o.downs, 1);
	assert_true(strlen(o.why) > 0);
	assert_false(hv_node_is_up(node));

	/* Back after the backoff, reported once. */
	daemon_start(d);
	run_until(&o.ups, 2, 10000);
	assert_int_equal(o.ups, 2);
	assert_int_equal(o.downs, 1);
	assert_true(hv_node_is_up(node));
	assert_int_equal(o.off_loop, 0);

	node_finish(node, w);
	daemon_cleanup(d);
}

static void
hv_dom_state__daemon_stopped__times_out_and_drops_late_result(void **state)
{
	struct daemon	*d = &daemon_g;
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct answer	 a = { .state = HV_DOM_OTHER };
	struct hv_node	*node;
	uint64_t	 start;

	daemon_start(d);
	node = daemon_node_create(w, d, &o, 0, 1);
	run_until(&o.ups, 1, 10000);
	assert_int_equal(o.ups, 1);

	kill(d->pid, SIGSTOP);
	start = util_now_ms();
	hv_dom_state(node, "test", answer_state_cb, &a);
	run_until(&a.calls, 1, 5000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rc, -1);
	assert_string_equal(a.msg, "timed out after 1 s");
	assert_true(util_now_ms() - start >= 900);
	assert_int_equal(workers_busy(w), 1);

	/* The worker returns once the daemon wakes; nobody hears of it. */
	kill(d->pid, SIGCONT);
	run_for(300);
	while (workers_busy(w) > 0 && util_now_ms() - start < 10000)
		run_for(20);
	assert_int_equal(workers_busy(w), 0);
	assert_int_equal(a.calls, 1);
	assert_true(hv_node_is_up(node));

	node_finish(node, w);
	daemon_cleanup(d);
}

static void
hv_node__keepalive_daemon_stopped__down_with_keepalive_reason(void **state)
{
	struct daemon	*d = &daemon_g;
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct hv_node	*node;

	daemon_start(d);
	node = daemon_node_create(w, d, &o, 1, 5);
	run_until(&o.ups, 1, 10000);
	assert_int_equal(o.ups, 1);

	kill(d->pid, SIGSTOP);
	run_until(&o.downs, 1, 10000);
	assert_int_equal(o.downs, 1);
	assert_non_null(strstr(o.why, "keepalive"));
	kill(d->pid, SIGCONT);

	node_finish(node, w);
	daemon_cleanup(d);
}

static void
hv_event_cb__remote_daemon__events_arrive_through_loop(void **state)
{
	struct daemon	*d = &daemon_g;
	struct workers	*w = workers_create(base, 2);
	struct owner	 o = { 0 };
	struct hv_node	*node;
	virConnectPtr	 conn;
	virDomainPtr	 dom;

	daemon_start(d);
	node = daemon_node_create(w, d, &o, 5, 5);
	run_until(&o.ups, 1, 10000);
	assert_int_equal(o.ups, 1);

	conn = virConnectOpen(d->uri);
	assert_non_null(conn);
	dom = virDomainLookupByName(conn, "test");
	assert_non_null(dom);
	assert_int_equal(virDomainSuspend(dom), 0);
	assert_int_equal(virDomainResume(dom), 0);
	virDomainFree(dom);
	virConnectClose(conn);

	run_until(&o.nevents, 2, 5000);
	assert_int_equal(o.nevents, 2);
	assert_int_equal(o.events[0], HV_EV_OTHER_LIFECYCLE);
	assert_int_equal(o.events[1], HV_EV_RESUMED);
	assert_string_equal(o.vms[1], "test");
	assert_int_equal(o.off_loop, 0);

	node_finish(node, w);
	daemon_cleanup(d);
}

static void
hv_names__every_value__named(void **state)
{
	assert_string_equal(hv_dom_state_name(HV_DOM_RUNNING), "running");
	assert_string_equal(hv_dom_state_name(HV_DOM_ABSENT), "absent");
	assert_string_equal(hv_dom_state_name((enum hv_dom_state)99),
	    "unknown");
	assert_string_equal(hv_event_name(HV_EV_SUSPENDED_MIGRATED),
	    "suspended-migrated");
	assert_string_equal(hv_event_name(HV_EV_JOB_COMPLETED),
	    "job-completed");
	assert_string_equal(hv_event_name((enum hv_event)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    virt_event_register__again__same_base_ok_other_base_refused),
		cmocka_unit_test(
		    virt_event_add_timeout__zero__fires_each_pass_until_removed),
		cmocka_unit_test(
		    virt_event_add_timeout__ids__positive_and_increasing),
		cmocka_unit_test(
		    virt_event_update_timeout__period_disable_enable__follows_updates),
		cmocka_unit_test(
		    virt_event_add_handle__pipe__readable_then_disabled_then_removed),
		cmocka_unit_test(
		    virt_event_add_handle__writable__reported_writable),
		cmocka_unit_test(
		    virt_event_remove_handle__other_thread_during_callback__ff_after),
		cmocka_unit_test(
		    virt_event__test_driver_lifecycle__events_arrive_through_loop),
		cmocka_unit_test(hv_node_create__test_driver__comes_up_on_loop),
		cmocka_unit_test(hv_dom_state__test_driver__running_and_absent),
		cmocka_unit_test(hv_inventory__test_driver__domains_and_host),
		cmocka_unit_test(
		    hv_job_stats__test_driver__fails_with_libvirt_message),
		cmocka_unit_test(
		    hv_event_cb__suspend_resume_destroy_start__mapped_events),
		cmocka_unit_test(
		    hv_node_create__bad_uri__down_and_calls_fail_later),
		cmocka_unit_test(
		    hv_node_free__calls_in_flight__callbacks_never_run),
		cmocka_unit_test(hv_node_free__inside_conn_cb__safe),
		cmocka_unit_test_teardown(
		    hv_node__daemon_killed_and_restarted__down_then_up_again,
		    daemon_teardown),
		cmocka_unit_test_teardown(
		    hv_dom_state__daemon_stopped__times_out_and_drops_late_result,
		    daemon_teardown),
		cmocka_unit_test_teardown(
		    hv_node__keepalive_daemon_stopped__down_with_keepalive_reason,
		    daemon_teardown),
		cmocka_unit_test_teardown(
		    hv_event_cb__remote_daemon__events_arrive_through_loop,
		    daemon_teardown),
		cmocka_unit_test(hv_names__every_value__named),
	};
	int	rc;

	log_open(stderr, getenv("FERRY_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	evthread_use_pthreads();
	base = event_base_new();
	loop_thread = pthread_self();
	if (virt_event_register(base) != 0) {
		fprintf(stderr, "cannot register the event implementation\n");
		return (1);
	}
	rc = cmocka_run_group_tests_name("virt-event", tests, NULL, NULL);
	event_base_free(base);
	return (rc);
}
