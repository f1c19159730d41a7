/*
 * virt-event.h: libvirt's event loop implementation on libevent
 * (virEventRegisterImpl).  libvirt may call the six callbacks from any
 * thread; the handles' events fire on the loop thread that runs BASE.
 * A handle's free callback runs later from the loop, never inside remove.
 */
#ifndef FERRY_VIRT_EVENT_H
#define FERRY_VIRT_EVENT_H

struct event_base;

/*
 * Register the implementation for BASE.  Call once, after
 * evthread_use_pthreads() and before the first virConnectOpen.  Returns 0,
 * or -1 if already registered for another base.
 */
int	 virt_event_register(struct event_base *);

/* Handles and timeouts currently registered (for tests). */
int	 virt_event_count(void);

#endif
