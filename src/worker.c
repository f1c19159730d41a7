/*
 * worker.c: a fixed pool of threads for calls that block.  Jobs wait on a
 * queue under a mutex and condition variable; a thread runs the work, then
 * moves the job to a done queue and makes one event active, so the loop
 * thread drains the done callbacks in the order the work finished.
 */

#include <sys/queue.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "ferry/log.h"
#include "ferry/worker.h"
#include "ferry/xmalloc.h"

/* One unit of work, on the run queue and then on the done queue. */
struct worker_job {
	worker_work_cb		 work;	/* runs on a worker thread */
	worker_done_cb		 done;	/* runs on the loop thread afterwards */
	void			*arg;	/* handed to both */
	TAILQ_ENTRY(worker_job)	 entry;	/* in workers.queue or workers.done */
	struct workers		*owner;	/* workers_spawn: the pool it reports to */
};
TAILQ_HEAD(worker_jobs, worker_job);

/* The pool. */
struct workers {
	struct event_base	*base;		/* the loop done callbacks run on */
	struct event		*done_ev;	/* made active when work finishes */
	pthread_t		*threads;	/* the worker threads */
	int			 nthreads;	/* how many were started */

	pthread_mutex_t		 lock;		/* guards everything below */
	pthread_cond_t		 cond;		/* signalled when queue grows or on stop */
	struct worker_jobs	 queue;		/* waiting to run */
	struct worker_jobs	 done;		/* run, done callback pending */
	int			 busy;		/* submitted, done callback not yet run */
	int			 stopping;	/* workers_free has begun */
	int			 spawned;	/* workers_spawn threads still running */
	pthread_cond_t		 spawned_cond;	/* signalled when spawned drops */
};

/* Run one job's done callback and forget the job (loop thread). */
static void
workers_finish(struct workers *w, struct worker_job *job)
{
	if (job->done != NULL)
		job->done(job->arg);
	free(job);

	pthread_mutex_lock(&w->lock);
	w->busy--;
	pthread_mutex_unlock(&w->lock);
}

/* Drain the done queue: the loop thread's side of the pool. */
static void
workers_done_cb(evutil_socket_t fd, short events, void *arg)
{
	struct workers		*w = arg;
	struct worker_jobs	 ready;
	struct worker_job	*job;

	TAILQ_INIT(&ready);
	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(&ready, &w->done, entry);
	pthread_mutex_unlock(&w->lock);

	while ((job = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, job, entry);
		workers_finish(w, job);
	}
}

/* A worker thread: take jobs until the pool stops and the queue is empty. */
static void *
workers_thread(void *arg)
{
	struct workers		*w = arg;
	struct worker_job	*job;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (TAILQ_EMPTY(&w->queue) && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		job = TAILQ_FIRST(&w->queue);
		if (job == NULL)
			break;
		TAILQ_REMOVE(&w->queue, job, entry);
		pthread_mutex_unlock(&w->lock);

		job->work(job->arg);

		pthread_mutex_lock(&w->lock);
		TAILQ_INSERT_TAIL(&w->done, job, entry);
		if (!w->stopping)
			event_active(w->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return (NULL);
}

/* Start N threads whose done callbacks run on BASE. */
struct workers *
workers_create(struct event_base *base, int n)
{
	struct workers	*w;
	sigset_t	 all, old;
	int		 error;

	if (n < 1)
		n = 1;
	w = xcalloc(1, sizeof *w);
	w->base = base;
	w->done_ev = event_new(base, -1, 0, workers_done_cb, w);
	if (w->done_ev == NULL) {
		log_error("cannot create the workers' done event");
		abort();
	}
	TAILQ_INIT(&w->queue);
	TAILQ_INIT(&w->done);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->spawned_cond, NULL);
	w->threads = xcalloc(n, sizeof *w->threads);

	/* Signals belong to the loop thread: the workers start with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (w->nthreads = 0; w->nthreads < n; w->nthreads++) {
		error = pthread_create(&w->threads[w->nthreads], NULL,
		    workers_thread, w);
		if (error != 0) {
			log_error("cannot start worker thread %d of %d (error %d)",
			    w->nthreads + 1, n, error);
			abort();
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (w);
}

/*
 * Stop the pool: let the threads finish running and queued work, join them,
 * then run every done callback here.  Work that a done callback submits
 * meanwhile runs on this thread, so nothing is left behind.
 */
void
workers_free(struct workers *w)
{
	struct worker_job	*job;
	int			 i;

	if (w == NULL)
		return;

	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_lock(&w->lock);
	while (w->spawned > 0)
		pthread_cond_wait(&w->spawned_cond, &w->lock);
	pthread_mutex_unlock(&w->lock);

	/* Only this thread is left: no lock is needed to look at the queues. */
	for (;;) {
		if ((job = TAILQ_FIRST(&w->done)) != NULL) {
			TAILQ_REMOVE(&w->done, job, entry);
			workers_finish(w, job);
		} else if ((job = TAILQ_FIRST(&w->queue)) != NULL) {
			TAILQ_REMOVE(&w->queue, job, entry);
			job->work(job->arg);
			workers_finish(w, job);
		} else
			break;
	}

	event_free(w->done_ev);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->spawned_cond);
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w);
}

/* Queue WORK(ARG) for a worker thread; DONE(ARG) follows on the loop. */
void
workers_submit(struct workers *w, worker_work_cb work, worker_done_cb done,
    void *arg)
{
	struct worker_job	*job;

	job = xcalloc(1, sizeof *job);
	job->work = work;
	job->done = done;
	job->arg = arg;

	pthread_mutex_lock(&w->lock);
	TAILQ_INSERT_TAIL(&w->queue, job, entry);
	w->busy++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Jobs submitted whose done callback has not run yet. */
int
workers_busy(struct workers *w)
{
	int	n;

	pthread_mutex_lock(&w->lock);
	n = w->busy;
	pthread_mutex_unlock(&w->lock);
	return (n);
}

/* A thread of its own for one long job (workers_spawn). */
static void *
workers_spawn_thread(void *arg)
{
	struct worker_job	*job = arg;
	struct workers		*w = job->owner;

	job->work(job->arg);

	pthread_mutex_lock(&w->lock);
	TAILQ_INSERT_TAIL(&w->done, job, entry);
	if (!w->stopping)
		event_active(w->done_ev, EV_READ, 0);
	w->spawned--;
	pthread_cond_broadcast(&w->spawned_cond);
	pthread_mutex_unlock(&w->lock);
	return (NULL);
}

/*
 * Run WORK(ARG) on a thread of its own, for calls that last as long as a
 * migration: they must not hold a pool thread that short calls wait for.
 */
void
workers_spawn(struct workers *w, worker_work_cb work, worker_done_cb done,
    void *arg)
{
	struct worker_job	*job;
	pthread_attr_t		 attr;
	pthread_t		 t;
	sigset_t		 all, old;
	int			 error;

	job = xcalloc(1, sizeof *job);
	job->work = work;
	job->done = done;
	job->arg = arg;
	job->owner = w;

	pthread_mutex_lock(&w->lock);
	w->busy++;
	w->spawned++;
	pthread_mutex_unlock(&w->lock);

	/* Signals belong to the loop thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	error = pthread_create(&t, &attr, workers_spawn_thread, job);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		log_error("cannot start a thread for a long call (error %d)",
		    error);
		abort();
	}
}
