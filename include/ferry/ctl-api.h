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

/*
 * One line of a streamed body (without its newline, NUL-terminated, LEN
 * bytes); return non-zero to stop the stream.
 */
typedef int	(*ctl_api_line_cb)(char *, size_t, void *);

/*
 * GET PATH and hand each line of a 2xx body to LINE_CB as it arrives,
 * for as long as the server sends (no total timeout; IDLE_S seconds
 * without a byte end it).  0 once the server ended the body; -1 with
 * *CAUSE otherwise: interrupted (ctl_api_interrupt), the callback
 * stopped, idle, unreachable, or an error answer (its message and
 * reasons; *STATUS is the HTTP status, 0 if there was no answer).
 */
int		 ctl_api_stream(struct ctl_api *, const char *, long,
		     ctl_api_line_cb, void *, long *, char **);

#endif
