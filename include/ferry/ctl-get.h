/*
 * ctl-get.h: ferryctl's 'get' (ctl-get.c): list or show migrations,
 * nodes, VMs and evacuations.  ferryctl.c lists the row.
 */
#ifndef FERRY_CTL_GET_H
#define FERRY_CTL_GET_H

#include "ferry/ctl.h"

extern const struct ctl_cmd	ctl_get_cmd;

#endif
