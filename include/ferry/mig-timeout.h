/*
 * mig-timeout.h: progress and completion timeouts (seed: "Migration
 * Timeouts"), as pure arithmetic on job-stat samples so they can be tested
 * without a hypervisor.
 *
 * Progress means data remaining reached a new low.  Pre-copy remaining is a
 * saw-tooth: it falls through a pass, then jumps back to the pages dirtied
 * meanwhile.  So during the first pass every sample counts, and from the
 * second pass on each pass is represented by its peak (the dirty set it
 * started with): a new lowest peak is progress, a guest that re-dirties as
 * much every pass makes none.  A new low must beat the old one by a margin
 * (what one sampling interval can move, or 1% of the total) so that
 * sampling noise is not mistaken for progress.
 */
#ifndef FERRY_MIG_TIMEOUT_H
#define FERRY_MIG_TIMEOUT_H

#include <stdint.h>

#include "ferry/mig-fsm.h"

/* Progress bookkeeping of one migration. */
struct mig_progress {
	uint64_t	start_ms;	/* when copying began (monotonic) */
	uint64_t	last_progress_ms; /* when the last new low was seen */
	uint64_t	data_total;	/* bytes to copy, 0 until known */
	uint64_t	iteration;	/* iteration of the last sample */
	uint64_t	low;		/* lowest remaining in the first pass */
	uint64_t	peak;		/* highest remaining in this pass (>= 2) */
	uint64_t	best_peak;	/* lowest peak of a finished pass, 0 = none */
};

/* Start tracking at NOW. */
void		 mig_progress_start(struct mig_progress *, uint64_t);

/*
 * Fold a sample in: ITERATION, REMAINING and TOTAL bytes, transfer rate
 * BPS, taken INTERVAL_MS after the previous one.  Returns 1 if it is
 * progress.
 */
int		 mig_progress_sample(struct mig_progress *, uint64_t, uint64_t,
		     uint64_t, uint64_t, uint64_t, uint64_t);

/* Completion budget in ms for TOTAL bytes at PER_GIB seconds per GiB. */
uint64_t	 mig_timeout_completion_ms(uint64_t, int);

/*
 * Which timeout, if any, has passed at NOW: MIG_REASON_PROGRESS_TIMEOUT,
 * MIG_REASON_COMPLETION_TIMEOUT or MIG_REASON_NONE.  Completion is only
 * judged once the total is known.
 */
enum mig_reason	 mig_timeout_check(const struct mig_progress *, uint64_t, int,
		     int);

#endif
