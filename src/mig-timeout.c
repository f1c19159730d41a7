/* mig-timeout.c: progress and completion timeouts (see mig-timeout.h). */

#include <string.h>

#include "ferry/mig-timeout.h"

#define MIG_GIB		(1024ULL * 1024 * 1024)
#define MIG_MIB		(1024ULL * 1024)

/* Start tracking a migration whose copy begins at NOW. */
void
mig_progress_start(struct mig_progress *p, uint64_t now)
{
	memset(p, 0, sizeof *p);
	p->start_ms = now;
	p->last_progress_ms = now;
}

/* How much lower than the old low a new one must be to count. */
static uint64_t
mig_progress_margin(uint64_t total, uint64_t bps, uint64_t interval_ms)
{
	uint64_t	by_rate = bps / 1000 * interval_ms * 2;
	uint64_t	by_size = total / 100;
	uint64_t	m = by_rate > by_size ? by_rate : by_size;

	return (m > MIG_MIB ? m : MIG_MIB);
}

/* Fold one sample in; 1 if it shows progress. */
int
mig_progress_sample(struct mig_progress *p, uint64_t now, uint64_t iteration,
    uint64_t remaining, uint64_t total, uint64_t bps, uint64_t interval_ms)
{
	uint64_t	margin;
	int		progress = 0;

	if (total != 0)
		p->data_total = total;
	margin = mig_progress_margin(p->data_total, bps, interval_ms);

	if (iteration <= 1) {
		/* First pass: remaining only falls as pages are sent. */
		if (p->low == 0 || remaining + margin <= p->low) {
			p->low = remaining;
			progress = 1;
		}
	} else if (iteration != p->iteration) {
		/* A pass ended: judge its peak, start the next. */
		if (p->iteration <= 1)
			progress = 1;	/* the bulk copy is done */
		else if (p->best_peak == 0 || p->peak + margin <= p->best_peak) {
			p->best_peak = p->peak;
			progress = 1;
		}
		p->peak = remaining;
	} else if (remaining > p->peak)
		p->peak = remaining;

	p->iteration = iteration;
	if (progress)
		p->last_progress_ms = now;
	return (progress);
}

/* Completion budget in ms: PER_GIB seconds for each GiB of TOTAL bytes. */
uint64_t
mig_timeout_completion_ms(uint64_t total, int per_gib)
{
	/* ms = per_gib * 1000 * total / GiB, without overflow for huge VMs. */
	return ((uint64_t)per_gib * 1000 * (total / MIG_MIB) / 1024 +
	    (uint64_t)per_gib * 1000 * (total % MIG_MIB) / MIG_GIB);
}

/* Which timeout has passed at NOW, if any. */
enum mig_reason
mig_timeout_check(const struct mig_progress *p, uint64_t now,
    int progress_timeout, int per_gib)
{
	if (now - p->last_progress_ms >= (uint64_t)progress_timeout * 1000)
		return (MIG_REASON_PROGRESS_TIMEOUT);
	if (p->data_total != 0 && now - p->start_ms >=
	    mig_timeout_completion_ms(p->data_total, per_gib))
		return (MIG_REASON_COMPLETION_TIMEOUT);
	return (MIG_REASON_NONE);
}
