/*
 * ctl-watch.h: ferryctl's 'watch' (ctl-watch.c): follow GET /v1/watch,
 * one line per transition.  ferryctl.c lists the row.
 */
#ifndef FERRY_CTL_WATCH_H
#define FERRY_CTL_WATCH_H

#include <stddef.h>

#include "ferry/ctl.h"

#define CTL_WATCH_IDLE_S	45	/* 3 heartbeats missed: ferryd gone */

extern const struct ctl_cmd	ctl_watch_cmd;

#endif
