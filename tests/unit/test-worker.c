/* test-worker.c: the thread pool, with real threads and a real loop. */

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "ferry/util.h"
#include "ferry/worker.h"

#define NJOBS		1000	/* jobs in the ordering test */
#define NTHREADS	4	/* threads in the concurrency test */

/* What one test's jobs record. */
struct record {
	pthread_mutex_t	 lock;		/* guards the work side */
	pthread_cond_t	 cond;		/* signalled when arrived grows */
	int		 arrived;	/* jobs that reached the rendezvous */
	int		 together;	/* jobs that saw all NTHREADS arrive */
	int		 worked;	/* work functions run */
	pthread_t	 work_thread;	/* thread of the last work function */
	int		 done;		/* done callbacks run (loop side) */
	pthread_t	 done_thread;	/* thread of the last done callback */
	int		 order[NJOBS];	/* job index in done order */
	int		 in_order;	/* order entries used */
	int		 done_busy;	/* workers_busy() seen in a done cb */
	struct workers	*w;		/* pool, for callbacks that submit */
};

/* One job: the record and its index. */
struct job {
	struct record	*r;	/* shared record */
	int		 index;	/* submit order */
};

/* Run BASE until *COUNTER reaches TARGET or five seconds pass. */
static void
run_until(struct event_base *base, int *counter, int target)
{
	uint64_t	deadline = util_now_ms() + 5000;
	struct timeval	tv = { 0, 10000 };

	while (*counter < target && util_now_ms() < deadline) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* Set up a record. */
static void
record_init(struct record *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

/* Tear a record down. */
static void
record_fini(struct record *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

/* Work: note the thread. */
static void
job_work(void *arg)
{
	struct job	*j = arg;

	pthread_mutex_lock(&j->r->lock);
	j->r->worked++;
	j->r->work_thread = pthread_self();
	pthread_mutex_unlock(&j->r->lock);
}

/* Work: sleep a little, then note the thread. */
static void
job_work_slow(void *arg)
{
	usleep(2000);
	job_work(arg);
}

/* Work: wait (at most 5 s) until NTHREADS jobs are inside at once. */
static void
job_work_rendezvous(void *arg)
{
	struct job	*j = arg;
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&j->r->lock);
	j->r->arrived++;
	pthread_cond_broadcast(&j->r->cond);
	while (j->r->arrived < NTHREADS) {
		if (pthread_cond_timedwait(&j->r->cond, &j->r->lock, &ts) != 0)
			break;
	}
	if (j->r->arrived >= NTHREADS)
		j->r->together++;
	j->r->worked++;
	pthread_mutex_unlock(&j->r->lock);
}

/* Done: note the thread and the order, free the job. */
static void
job_done(void *arg)
{
	struct job	*j = arg;
	struct record	*r = j->r;

	r->done++;
	r->done_thread = pthread_self();
	if (r->in_order < NJOBS)
		r->order[r->in_order++] = j->index;
	free(j);
}

/* Done: like job_done, and note how busy the pool says it is. */
static void
job_done_busy(void *arg)
{
	struct job	*j = arg;

	j->r->done_busy = workers_busy(j->r->w);
	job_done(arg);
}

/* Done: submit one more job (during workers_free, too). */
static void
job_done_resubmit(void *arg)
{
	struct job	*j = arg;
	struct job	*next;

	if (j->index == 0) {
		next = calloc(1, sizeof *next);
		next->r = j->r;
		next->index = 1;
		workers_submit(j->r->w, job_work, job_done, next);
	}
	job_done(arg);
}

/* Queue a job with index I on W. */
static void
submit(struct workers *w, struct record *r, int i, void (*work)(void *),
    void (*done)(void *))
{
	struct job	*j = calloc(1, sizeof *j);

	assert_non_null(j);
	j->r = r;
	j->index = i;
	workers_submit(w, work, done, j);
}

static void
workers_submit__one_job__work_on_worker_done_on_loop(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 2);
	struct record		 r;

	record_init(&r);
	submit(w, &r, 0, job_work, job_done);
	run_until(base, &r.done, 1);

	assert_int_equal(r.worked, 1);
	assert_int_equal(r.done, 1);
	assert_true(pthread_equal(r.done_thread, pthread_self()));
	assert_false(pthread_equal(r.work_thread, pthread_self()));
	assert_int_equal(workers_busy(w), 0);

	workers_free(w);
	event_base_free(base);
	record_fini(&r);
}

static void
workers_submit__many_jobs_one_thread__done_in_submit_order(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 1);
	struct record		*r = calloc(1, sizeof *r);
	int			 i;

	record_init(r);
	for (i = 0; i < NJOBS; i++)
		submit(w, r, i, job_work, job_done);
	run_until(base, &r->done, NJOBS);

	assert_int_equal(r->worked, NJOBS);
	assert_int_equal(r->done, NJOBS);
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(r->order[i], i);

	workers_free(w);
	event_base_free(base);
	record_fini(r);
	free(r);
}

static void
workers_submit__many_jobs_many_threads__all_done_on_loop(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 8);
	struct record		*r = calloc(1, sizeof *r);
	int			 i, seen[NJOBS] = { 0 };

	record_init(r);
	for (i = 0; i < NJOBS; i++)
		submit(w, r, i, job_work, job_done);
	run_until(base, &r->done, NJOBS);

	assert_int_equal(r->worked, NJOBS);
	assert_int_equal(r->done, NJOBS);
	assert_true(pthread_equal(r->done_thread, pthread_self()));
	for (i = 0; i < NJOBS; i++)
		seen[r->order[i]]++;
	for (i = 0; i < NJOBS; i++)
		assert_int_equal(seen[i], 1);

	workers_free(w);
	event_base_free(base);
	record_fini(r);
	free(r);
}

static void
workers_submit__n_jobs_n_threads__run_concurrently(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, NTHREADS);
	struct record		 r;
	int			 i;

	record_init(&r);
	for (i = 0; i < NTHREADS; i++)
		submit(w, &r, i, job_work_rendezvous, job_done);
	run_until(base, &r.done, NTHREADS);

	assert_int_equal(r.done, NTHREADS);
	assert_int_equal(r.together, NTHREADS);

	workers_free(w);
	event_base_free(base);
	record_fini(&r);
}

static void
workers_busy__jobs_in_flight__counted_until_done(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 1);
	struct record		 r;
	int			 i;

	record_init(&r);
	r.w = w;
	for (i = 0; i < 5; i++)
		submit(w, &r, i, job_work_slow, job_done_busy);
	assert_int_equal(workers_busy(w), 5);
	run_until(base, &r.done, 5);

	assert_int_equal(r.done, 5);
	/* The last done callback still counts itself. */
	assert_int_equal(r.done_busy, 1);
	assert_int_equal(workers_busy(w), 0);

	workers_free(w);
	event_base_free(base);
	record_fini(&r);
}

static void
workers_free__queued_work__runs_work_and_done_callbacks(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 2);
	struct record		 r;
	int			 i;

	record_init(&r);
	for (i = 0; i < 20; i++)
		submit(w, &r, i, job_work_slow, job_done);
	/* No loop has run: everything is queued or running. */
	assert_int_equal(r.done, 0);
	workers_free(w);

	assert_int_equal(r.worked, 20);
	assert_int_equal(r.done, 20);
	assert_true(pthread_equal(r.done_thread, pthread_self()));

	event_base_free(base);
	record_fini(&r);
}

static void
workers_free__done_callback_submits__new_work_still_runs(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 1);
	struct record		 r;

	record_init(&r);
	r.w = w;
	submit(w, &r, 0, job_work_slow, job_done_resubmit);
	workers_free(w);

	assert_int_equal(r.worked, 2);
	assert_int_equal(r.done, 2);
	assert_int_equal(r.order[0], 0);
	assert_int_equal(r.order[1], 1);

	event_base_free(base);
	record_fini(&r);
}

/* Work: wait (at most 5 s) until the test opens the gate (arrived). */
static void
job_work_gate(void *arg)
{
	struct job	*j = arg;
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&j->r->lock);
	while (j->r->arrived == 0) {
		if (pthread_cond_timedwait(&j->r->cond, &j->r->lock, &ts) != 0)
			break;
	}
	j->r->worked++;
	pthread_mutex_unlock(&j->r->lock);
}

/* A spawned long job does not hold the pool's only thread. */
static void
workers_spawn__long_job__pool_keeps_serving(void **state)
{
	struct event_base	*base = event_base_new();
	struct workers		*w = workers_create(base, 1);
	struct record		 r;
	struct job		*j = calloc(1, sizeof *j);

	record_init(&r);
	j->r = &r;
	j->index = 0;
	workers_spawn(w, job_work_gate, job_done, j);
	submit(w, &r, 1, job_work, job_done);
	run_until(base, &r.done, 1);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.order[0], 1);	/* the short job, while 0 waits */
	assert_int_equal(workers_busy(w), 1);

	pthread_mutex_lock(&r.lock);
	r.arrived = 1;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	run_until(base, &r.done, 2);
	assert_int_equal(r.done, 2);
	assert_int_equal(r.order[1], 0);
	assert_true(pthread_equal(r.done_thread, pthread_self()));
	assert_int_equal(workers_busy(w), 0);

	workers_free(w);
	event_base_free(base);
	record_fini(&r);
}

static void
workers_free__null__does_nothing(void **state)
{
	workers_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    workers_submit__one_job__work_on_worker_done_on_loop),
		cmocka_unit_test(
		    workers_submit__many_jobs_one_thread__done_in_submit_order),
		cmocka_unit_test(
		    workers_submit__many_jobs_many_threads__all_done_on_loop),
		cmocka_unit_test(
		    workers_submit__n_jobs_n_threads__run_concurrently),
		cmocka_unit_test(
		    workers_busy__jobs_in_flight__counted_until_done),
		cmocka_unit_test(
		    workers_free__queued_work__runs_work_and_done_callbacks),
		cmocka_unit_test(
		    workers_free__done_callback_submits__new_work_still_runs),
		cmocka_unit_test(workers_spawn__long_job__pool_keeps_serving),
		cmocka_unit_test(workers_free__null__does_nothing),
	};

	evthread_use_pthreads();
	return (cmocka_run_group_tests_name("worker", tests, NULL, NULL));
}
