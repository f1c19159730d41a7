/*
 * worker.h: a small pool of threads for calls that block (libvirt).  Work
 * runs on a worker thread; its done callback runs later on the loop thread,
 * woken by event_active().  Objects owned by the loop are never touched by
 * the work function.
 */
#ifndef FERRY_WORKER_H
#define FERRY_WORKER_H

struct event_base;
struct workers;

typedef void (*worker_work_cb)(void *);	/* on a worker thread */
typedef void (*worker_done_cb)(void *);	/* on the loop thread, after work */

/* Start N threads serving BASE.  evthread_use_pthreads() must have run. */
struct workers	*workers_create(struct event_base *, int);

/*
 * Stop accepting work, wait for running and queued work to finish (their
 * done callbacks are still called, from this function, on the loop thread),
 * join the threads and free.  Accepts NULL.
 */
void		 workers_free(struct workers *);

/* Queue WORK(ARG); DONE(ARG) follows on the loop thread.  Never blocks. */
void		 workers_submit(struct workers *, worker_work_cb,
		     worker_done_cb, void *);

/*
 * Run WORK(ARG) at once on a thread of its own (for a call as long as a
 * migration); DONE(ARG) follows on the loop thread, as for submit.
 */
void		 workers_spawn(struct workers *, worker_work_cb,
		     worker_done_cb, void *);

/* Jobs queued or running (for health and tests). */
int		 workers_busy(struct workers *);

#endif
