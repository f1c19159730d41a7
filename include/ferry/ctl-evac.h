/* ctl-evac.h: ferryctl's view of evacuations: drain, uncordon, tables. */
#ifndef FERRY_CTL_EVAC_H
#define FERRY_CTL_EVAC_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

struct ctl_api;

/* How a drain or uncordon went; ferryctl.c turns it into an exit code. */
enum ctl_evac_end {
	CTL_EVAC_END_OK,		/* done; with --wait, completed */
	CTL_EVAC_END_ERROR,		/* refused, bad answer, unreachable */
	CTL_EVAC_END_FAILED,		/* awaited evacuation failed */
	CTL_EVAC_END_CANCELLED,		/* awaited evacuation cancelled */
	CTL_EVAC_END_INTERRUPTED,	/* Ctrl-C while waiting */
};

int		 ctl_evac_id_valid(const char *);
int		 ctl_evac_by_valid(const char *);
enum ctl_evac_end ctl_evac_drain(struct ctl_api *, const char *,
		     const char *, int);
enum ctl_evac_end ctl_evac_uncordon(struct ctl_api *, const char *,
		     const char *);
int		 ctl_evac_table(yajl_val *, size_t, int, char **);
int		 ctl_evac_describe(yajl_val, char **);

#endif
