/* test-mig-timeout.c: progress and completion timeout arithmetic. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ferry/mig-timeout.h"

#define MIB	(1024ULL * 1024)
#define GIB	(1024 * MIB)

/* The seed's example: 8 GiB at 800 s/GiB is 6400 s. */
static void
mig_timeout_completion_ms__seed_example__6400s(void **state)
{
	assert_int_equal(mig_timeout_completion_ms(8 * GIB, 800), 6400000);
	assert_int_equal(mig_timeout_completion_ms(128 * MIB, 800), 100000);
	assert_int_equal(mig_timeout_completion_ms(GIB / 2, 1), 500);
	assert_int_equal(mig_timeout_completion_ms(0, 800), 0);
	/* 4 TiB at the maximum per-GiB value must not overflow. */
	assert_int_equal(mig_timeout_completion_ms(4096 * GIB, 86400),
	    4096ULL * 86400 * 1000);
}

/* A first pass that keeps falling is progress; no timeout. */
static void
mig_progress_sample__falling_first_pass__no_timeout(void **state)
{
	struct mig_progress	p;
	uint64_t		t, rem = 128 * MIB;

	mig_progress_start(&p, 1000);
	for (t = 2000; t <= 200000; t += 1000) {
		mig_progress_sample(&p, t, 1, rem, 128 * MIB, MIB / 2, 1000);
		rem -= MIB / 2;
		assert_int_equal(mig_timeout_check(&p, t, 10, 100000),
		    MIG_REASON_NONE);
	}
}

/* A stall (remaining frozen) trips the progress timeout on time. */
static void
mig_timeout_check__stall__progress_timeout(void **state)
{
	struct mig_progress	p;
	uint64_t		t;

	mig_progress_start(&p, 0);
	assert_int_equal(mig_progress_sample(&p, 1000, 1, 100 * MIB,
	    128 * MIB, 2 * MIB, 1000), 1);
	for (t = 2000; t < 11000; t += 1000) {
		assert_int_equal(mig_progress_sample(&p, t, 1, 100 * MIB,
		    128 * MIB, 0, 1000), 0);
		assert_int_equal(mig_timeout_check(&p, t, 10, 800),
		    MIG_REASON_NONE);
	}
	assert_int_equal(mig_timeout_check(&p, 11000, 10, 800),
	    MIG_REASON_PROGRESS_TIMEOUT);
}

/*
 * A guest that re-dirties its whole 32 MiB every pass: the saw-tooth dips
 * to near zero at the end of each pass, but the passes' peaks never fall,
 * so after the first passes there is no progress and the timeout fires.
 */
static void
mig_timeout_check__sawtooth_not_converging__progress_timeout(void **state)
{
	struct mig_progress	p;
	uint64_t		t = 0, iter = 1, rem = 128 * MIB;
	uint64_t		bps = 2 * MIB;
	int			fired = 0;

	mig_progress_start(&p, 0);
	/* First pass: falls to the dirty set. */
	while (rem > 40 * MIB) {
		t += 1000;
		rem -= bps;
		mig_progress_sample(&p, t, iter, rem, 128 * MIB, bps, 1000);
	}
	/* Then passes of 16 s each from ~32 MiB down to ~0.6 MiB. */
	while (t < 300000 && !fired) {
		iter++;
		/* Jitter: the first sample of a pass is up to 1 s late. */
		rem = 32 * MIB - (iter % 3) * (bps / 2);
		while (rem > bps && !fired) {
			t += 1000;
			mig_progress_sample(&p, t, iter, rem, 128 * MIB, bps,
			    1000);
			rem -= bps;
			if (mig_timeout_check(&p, t, 30, 800) ==
			    MIG_REASON_PROGRESS_TIMEOUT)
				fired = 1;
		}
	}
	assert_true(fired);
	/* It fires within a pass or two of the timeout after the bulk copy. */
	assert_true(t < 48000 + 30000 + 2 * 16000);
}

/* A converging guest (shrinking dirty sets) keeps making progress. */
static void
mig_progress_sample__shrinking_passes__progress(void **state)
{
	struct mig_progress	p;
	uint64_t		sets[] = { 64, 40, 24, 12, 6 };
	uint64_t		t = 0, rem;
	unsigned int		i;
	int			seen = 0;

	mig_progress_start(&p, 0);
	mig_progress_sample(&p, 1000, 1, 100 * MIB, 128 * MIB, MIB, 1000);
	for (i = 0; i < 5; i++) {
		for (rem = sets[i] * MIB; rem > MIB; rem -= 4 * MIB) {
			t += 1000;
			seen += mig_progress_sample(&p, t, i + 2, rem,
			    128 * MIB, MIB, 1000);
			if (rem < 5 * MIB)
				break;
		}
	}
	/* Entering pass 2 and each smaller peak after it (the last pass is
	 * judged when the next begins). */
	assert_true(seen >= 4);
	assert_int_equal(p.best_peak, 12 * MIB);
}

/* Completion timeout counts from the start once the total is known. */
static void
mig_timeout_check__budget_spent__completion_timeout(void **state)
{
	struct mig_progress	p;

	mig_progress_start(&p, 5000);
	/* Unknown total: never a completion timeout. */
	assert_int_equal(mig_timeout_check(&p, 5000 + 999999, 100000, 1),
	    MIG_REASON_NONE);
	/* 128 MiB at 40 s/GiB = 5 s. */
	mig_progress_sample(&p, 6000, 1, 100 * MIB, 128 * MIB, MIB, 1000);
	assert_int_equal(mig_timeout_check(&p, 9999, 1000, 40),
	    MIG_REASON_NONE);
	assert_int_equal(mig_timeout_check(&p, 10000, 1000, 40),
	    MIG_REASON_COMPLETION_TIMEOUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mig_timeout_completion_ms__seed_example__6400s),
		cmocka_unit_test(
		    mig_progress_sample__falling_first_pass__no_timeout),
		cmocka_unit_test(mig_timeout_check__stall__progress_timeout),
		cmocka_unit_test(
		    mig_timeout_check__sawtooth_not_converging__progress_timeout),
		cmocka_unit_test(mig_progress_sample__shrinking_passes__progress),
		cmocka_unit_test(
		    mig_timeout_check__budget_spent__completion_timeout),
	};

	return (cmocka_run_group_tests_name("mig-timeout", tests, NULL, NULL));
}
