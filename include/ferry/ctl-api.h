/* ctl-api.h: ferryctl's blocking client for ferryd's HTTP API. */
#ifndef FERRY_CTL_API_H
#define FERRY_CTL_API_H

#include <yajl/yajl_tree.h>

struct ctl_api;

struct ctl_api	*ctl_api_create(const char *, char **);
void		 ctl_api_set_token(struct ctl_api *, const char *);
void		 ctl_api_free(struct ctl_api *);
int		 ctl_api_call(struct ctl_api *, const char *, const char *,
		     const char *, yajl_val *, long *, char **);
void		 ctl_api_interrupt(void);	/* async-signal-safe */
int		 ctl_api_interrupted(void);

#endif
