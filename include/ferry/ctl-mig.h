/* ctl-mig.h: ferryctl's view of a migration object: fields, table, progress. */
#ifndef FERRY_CTL_MIG_H
#define FERRY_CTL_MIG_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

/* How a phase ends a --wait. */
enum ctl_mig_kind {
	CTL_MIG_ACTIVE,		/* running (or a phase we do not know) */
	CTL_MIG_SUCCEEDED,	/* final: the VM runs on the target */
	CTL_MIG_FAILED,		/* final: failed with a reason */
	CTL_MIG_ABORTED,	/* final: aborted on request */
};

/* The fields ferryctl shows; strings point into the parsed tree. */
struct ctl_mig {
	const char	*name;		/* metadata.name, a valid name */
	const char	*vm;		/* spec.vmiName, or "-" */
	const char	*source;	/* status.sourceNode, or "-" */
	const char	*target;	/* status.targetNode (spec's), or "-" */
	const char	*phase;		/* status.phase, never empty */
	enum ctl_mig_kind kind;		/* what the phase means for a wait */
	const char	*reason;	/* status.reason, "" if none */
	const char	*message;	/* status.message, "" if none */
	const char	*evacuation;	/* status.evacuation, "" if none */
	const char	*created;	/* creationTimestamp, or NULL */
	const char	*started;	/* status.startTimestamp, or NULL */
	const char	*ended;		/* status.endTimestamp, or NULL */
	int		 has_progress;	/* dataTotal is known and positive */
	double		 total;		/* bytes to copy */
	double		 processed;	/* bytes copied so far */
	double		 remaining;	/* bytes left */
	double		 bps;		/* memory copy rate, bytes per second */
	yajl_val	 transitions;	/* status.phaseTransitions, or NULL */
};

int	 ctl_mig_parse(yajl_val, struct ctl_mig *, char **);
int	 ctl_mig_time_parse(const char *, uint64_t *);
void	 ctl_mig_age(const char *, uint64_t, char *, size_t);
int	 ctl_mig_percent(const struct ctl_mig *);
void	 ctl_mig_eta(const struct ctl_mig *, char *, size_t);
void	 ctl_mig_progress(const struct ctl_mig *, char *, size_t);
int	 ctl_mig_table(yajl_val *, size_t, int, char **);

#endif
