/*
 * virt-event.c: libvirt's event loop implementation on libevent.
 *
 * libvirt calls the six functions below from any thread (a worker inside an
 * RPC, or the loop itself inside one of its callbacks), so every watch and
 * timer lives in one list under one mutex.  Events are libevent events on
 * the one base; their callbacks run on the loop thread.
 *
 * Removal never waits: the item is marked removed, its events are deleted
 * with event_del_noblock() (event_del() would deadlock when libvirt removes
 * a watch from another thread while holding a lock that the watch's running
 * callback wants) and it moves to a list that a deferred event reaps on the
 * loop.  Since callbacks run only on the loop thread, the reaper runs after
 * any callback that was in progress, so the item is never freed under it,
 * and libvirt's free callback runs from a clean stack as it requires.
 */

#include <sys/queue.h>

#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>
#include <libvirt/libvirt.h>

#include "ferry/log.h"
#include "ferry/virt-event.h"
#include "ferry/xmalloc.h"

/* What an item watches. */
enum virt_event_kind {
	VIRT_EVENT_HANDLE,	/* a file descriptor */
	VIRT_EVENT_TIMEOUT,	/* a timer */
};

/* One watch or timer registered by libvirt. */
struct virt_event_item {
	int			 id;	/* libvirt's watch or timer number */
	enum virt_event_kind	 kind;	/* handle or timeout */
	int			 fd;	/* handle: the descriptor */
	int			 events; /* handle: VIR_EVENT_HANDLE_* wanted */
	int			 ms;	/* timeout: period, -1 off, 0 each pass */
	virEventHandleCallback	 hcb;	/* handle: libvirt's callback */
	virEventTimeoutCallback	 tcb;	/* timeout: libvirt's callback */
	void			*opaque; /* libvirt's data for the callback */
	virFreeCallback		 ff;	/* frees opaque, later, from the loop */
	struct event		*rev;	/* handle: EV_READ; timeout: the timer */
	struct event		*wev;	/* handle: EV_WRITE; timeout: NULL */
	int			 removed; /* removed; waiting for the reaper */
	TAILQ_ENTRY(virt_event_item) entry; /* in live or dead list */
};
TAILQ_HEAD(virt_event_items, virt_event_item);

/* Guards everything below; never held while calling into libvirt. */
static pthread_mutex_t		 virt_event_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event_base	*virt_event_base;	/* set once */
static struct event		*virt_event_reap_ev;	/* frees dead items */
static struct virt_event_items	 virt_event_live =	/* registered */
    TAILQ_HEAD_INITIALIZER(virt_event_live);
static struct virt_event_items	 virt_event_dead =	/* for the reaper */
    TAILQ_HEAD_INITIALIZER(virt_event_dead);
static int			 virt_event_next_id = 1; /* ids only grow */
static int			 virt_event_nlive;	/* live list length */

/* Find a live item by kind and id; the lock is held. */
static struct virt_event_item *
virt_event_find(enum virt_event_kind kind, int id)
{
	struct virt_event_item	*item;

	TAILQ_FOREACH(item, &virt_event_live, entry) {
		if (item->kind == kind && item->id == id)
			return (item);
	}
	return (NULL);
}

/* Give an item a fresh id and put it on the live list; the lock is held. */
static int
virt_event_insert(struct virt_event_item *item)
{
	item->id = virt_event_next_id++;
	TAILQ_INSERT_TAIL(&virt_event_live, item, entry);
	virt_event_nlive++;
	return (item->id);
}

/* Take an item off the live list and hand it to the reaper; lock held. */
static void
virt_event_kill(struct virt_event_item *item)
{
	item->removed = 1;
	event_del_noblock(item->rev);
	if (item->wev != NULL)
		event_del_noblock(item->wev);
	TAILQ_REMOVE(&virt_event_live, item, entry);
	TAILQ_INSERT_TAIL(&virt_event_dead, item, entry);
	virt_event_nlive--;
	event_active(virt_event_reap_ev, EV_READ, 0);
}

/* Free removed items and call their free callbacks (loop thread). */
static void
virt_event_reap_cb(evutil_socket_t fd, short events, void *arg)
{
	struct virt_event_items	 dead;
	struct virt_event_item	*item;

	TAILQ_INIT(&dead);
	pthread_mutex_lock(&virt_event_lock);
	TAILQ_CONCAT(&dead, &virt_event_dead, entry);
	pthread_mutex_unlock(&virt_event_lock);

	while ((item = TAILQ_FIRST(&dead)) != NULL) {
		TAILQ_REMOVE(&dead, item, entry);
		event_free(item->rev);
		if (item->wev != NULL)
			event_free(item->wev);
		if (item->ff != NULL)
			item->ff(item->opaque);
		free(item);
	}
}

/* Arm or disarm a handle's two events to match item->events; lock held. */
static void
virt_event_handle_apply(struct virt_event_item *item)
{
	if (item->events & VIR_EVENT_HANDLE_READABLE)
		event_add(item->rev, NULL);
	else
		event_del_noblock(item->rev);
	if (item->events & VIR_EVENT_HANDLE_WRITABLE)
		event_add(item->wev, NULL);
	else
		event_del_noblock(item->wev);
}

/* A watched descriptor is ready: call libvirt's callback unless removed. */
static void
virt_event_handle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_event_item	*item = arg;
	virEventHandleCallback	 cb;
	void			*opaque;
	int			 id, events = 0;

	pthread_mutex_lock(&virt_event_lock);
	if (item->removed) {
		pthread_mutex_unlock(&virt_event_lock);
		return;
	}
	cb = item->hcb;
	opaque = item->opaque;
	id = item->id;
	if (what & EV_READ)
		events |= VIR_EVENT_HANDLE_READABLE;
	if (what & EV_WRITE)
		events |= VIR_EVENT_HANDLE_WRITABLE;
	events &= item->events;
	pthread_mutex_unlock(&virt_event_lock);

	/* Disabled since libevent queued it: nothing to report. */
	if (events == 0)
		return;
	cb(id, fd, events, opaque);
}

/* virEventAddHandleFunc: watch FD for EVENTS. */
static int
virt_event_add_handle(int fd, int events, virEventHandleCallback cb,
    void *opaque, virFreeCallback ff)
{
	struct virt_event_item	*item;
	int			 id;

	item = xcalloc(1, sizeof *item);
	item->kind = VIRT_EVENT_HANDLE;
	item->fd = fd;
	item->events = events;
	item->ms = -1;
	item->hcb = cb;
	item->opaque = opaque;
	item->ff = ff;
	item->rev = event_new(virt_event_base, fd, EV_READ|EV_PERSIST,
	    virt_event_handle_cb, item);
	item->wev = event_new(virt_event_base, fd, EV_WRITE|EV_PERSIST,
	    virt_event_handle_cb, item);
	if (item->rev == NULL || item->wev == NULL) {
		log_error("cannot watch descriptor %d for libvirt", fd);
		if (item->rev != NULL)
			event_free(item->rev);
		if (item->wev != NULL)
			event_free(item->wev);
		free(item);
		return (-1);
	}

	pthread_mutex_lock(&virt_event_lock);
	id = virt_event_insert(item);
	virt_event_handle_apply(item);
	pthread_mutex_unlock(&virt_event_lock);
	log_debug("libvirt watch %d: fd %d events %d", id, fd, events);
	return (id);
}

/* virEventUpdateHandleFunc: change the events of watch ID (0 disables). */
static void
virt_event_update_handle(int id, int events)
{
	struct virt_event_item	*item;

	pthread_mutex_lock(&virt_event_lock);
	item = virt_event_find(VIRT_EVENT_HANDLE, id);
	if (item != NULL) {
		item->events = events;
		virt_event_handle_apply(item);
	}
	pthread_mutex_unlock(&virt_event_lock);
}

/* virEventRemoveHandleFunc: stop watch ID; its free callback runs later. */
static int
virt_event_remove_handle(int id)
{
	struct virt_event_item	*item;

	pthread_mutex_lock(&virt_event_lock);
	item = virt_event_find(VIRT_EVENT_HANDLE, id);
	if (item != NULL)
		virt_event_kill(item);
	pthread_mutex_unlock(&virt_event_lock);
	return (item != NULL ? 0 : -1);
}

/* Arm a timer for MS milliseconds (0: the next pass of the loop). */
static void
virt_event_timer_arm(struct virt_event_item *item)
{
	struct timeval	tv;

	tv.tv_sec = item->ms / 1000;
	tv.tv_usec = (item->ms % 1000) * 1000;
	evtimer_add(item->rev, &tv);
}

/*
 * A timer expired: call libvirt's callback, then re-arm it, since libvirt's
 * timers repeat until updated.  A zero timeout is armed with a zero delay,
 * so it fires once per pass of the loop, after I/O has been polled, rather
 * than in a loop of its own.
 */
static void
virt_event_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_event_item	*item = arg;
	virEventTimeoutCallback	 cb;
	void			*opaque;
	int			 id;

	pthread_mutex_lock(&virt_event_lock);
	if (item->removed || item->ms < 0) {
		pthread_mutex_unlock(&virt_event_lock);
		return;
	}
	cb = item->tcb;
	opaque = item->opaque;
	id = item->id;
	pthread_mutex_unlock(&virt_event_lock);

	cb(id, opaque);

	/* Unless the callback removed, disabled or re-armed it already. */
	pthread_mutex_lock(&virt_event_lock);
	if (!item->removed && item->ms >= 0 && !evtimer_pending(item->rev, NULL))
		virt_event_timer_arm(item);
	pthread_mutex_unlock(&virt_event_lock);
}

/* virEventAddTimeoutFunc: call CB every MS milliseconds (-1 disabled). */
static int
virt_event_add_timeout(int ms, virEventTimeoutCallback cb, void *opaque,
    virFreeCallback ff)
{
	struct virt_event_item	*item;
	int			 id;

	item = xcalloc(1, sizeof *item);
	item->kind = VIRT_EVENT_TIMEOUT;
	item->fd = -1;
	item->ms = ms;
	item->tcb = cb;
	item->opaque = opaque;
	item->ff = ff;
	item->rev = evtimer_new(virt_event_base, virt_event_timeout_cb, item);
	if (item->rev == NULL) {
		log_error("cannot create a timer for libvirt");
		free(item);
		return (-1);
	}

	pthread_mutex_lock(&virt_event_lock);
	id = virt_event_insert(item);
	if (ms >= 0)
		virt_event_timer_arm(item);
	pthread_mutex_unlock(&virt_event_lock);
	log_debug("libvirt timer %d: %d ms", id, ms);
	return (id);
}

/* virEventUpdateTimeoutFunc: restart timer ID with period MS (-1 off). */
static void
virt_event_update_timeout(int id, int ms)
{
	struct virt_event_item	*item;

	pthread_mutex_lock(&virt_event_lock);
	item = virt_event_find(VIRT_EVENT_TIMEOUT, id);
	if (item != NULL) {
		item->ms = ms;
		if (ms >= 0)
			virt_event_timer_arm(item);
		else
			event_del_noblock(item->rev);
	}
	pthread_mutex_unlock(&virt_event_lock);
}

/* virEventRemoveTimeoutFunc: stop timer ID; its free callback runs later. */
static int
virt_event_remove_timeout(int id)
{
	struct virt_event_item	*item;

	pthread_mutex_lock(&virt_event_lock);
	item = virt_event_find(VIRT_EVENT_TIMEOUT, id);
	if (item != NULL)
		virt_event_kill(item);
	pthread_mutex_unlock(&virt_event_lock);
	return (item != NULL ? 0 : -1);
}

/* Make BASE libvirt's event loop; 0, or -1 if another base has it. */
int
virt_event_register(struct event_base *base)
{
	int	rc = -1;

	pthread_mutex_lock(&virt_event_lock);
	if (virt_event_base != NULL) {
		if (virt_event_base == base)
			rc = 0;
		goto out;
	}
	virt_event_reap_ev = event_new(base, -1, 0, virt_event_reap_cb, NULL);
	if (virt_event_reap_ev == NULL) {
		log_error("cannot create the libvirt event reaper");
		goto out;
	}
	virt_event_base = base;
	virEventRegisterImpl(virt_event_add_handle, virt_event_update_handle,
	    virt_event_remove_handle, virt_event_add_timeout,
	    virt_event_update_timeout, virt_event_remove_timeout);
	rc = 0;

out:
	pthread_mutex_unlock(&virt_event_lock);
	return (rc);
}

/* Watches and timers registered and not removed. */
int
virt_event_count(void)
{
	int	n;

	pthread_mutex_lock(&virt_event_lock);
	n = virt_event_nlive;
	pthread_mutex_unlock(&virt_event_lock);
	return (n);
}
