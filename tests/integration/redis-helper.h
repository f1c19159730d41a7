/*
 * redis-helper.h: what the integration tests share: a private
 * redis-server for tests that need to kill and restart Redis, blocking
 * hiredis checks, and a captured log.  Tests only (cmocka asserts inside).
 */
#ifndef FERRY_TEST_REDIS_HELPER_H
#define FERRY_TEST_REDIS_HELPER_H

#include <sys/types.h>

#include <stdio.h>

#include <hiredis/hiredis.h>

#include "ferry/log.h"

/* A redis-server the test owns. */
struct t_redis {
	pid_t	 pid;		/* running server, or -1 / 0 */
	int	 port;		/* its port (0 before start: a free one) */
	int	 persist;	/* AOF fsynced on every write: a kill loses
				   nothing; else a restart starts empty */
	char	 dir[128];	/* its working directory ("" until started) */
};

int		 t_free_port(void);
int		 t_redis_ping(int);
int		 t_redis_start(struct t_redis *);
void		 t_redis_kill(struct t_redis *);
void		 t_redis_remove(struct t_redis *);
redisContext	*t_redis_connect(int);

/* Blocking commands on C, asserted: a string (copy, NULL for nil), an
 * integer, or just "not an error". */
char		*t_redis_str(redisContext *, const char *, ...);
long long	 t_redis_int(redisContext *, const char *, ...);
void		 t_redis_do(redisContext *, const char *, ...);

/*
 * ferryd's log into a new temporary file, down to LEVEL; back to stderr;
 * lines of the file holding both W1 and W2.
 */
FILE		*t_log_open(enum log_level);
void		 t_log_close(void);
int		 t_log_lines(FILE *, const char *, const char *);

#endif
