/*
 * redis-helper.h: a private redis-server for integration tests that need
 * to kill and restart Redis, and blocking hiredis checks.  Tests only
 * (cmocka asserts inside).
 */
#ifndef FERRY_TEST_REDIS_HELPER_H
#define FERRY_TEST_REDIS_HELPER_H

#include <sys/types.h>

#include <hiredis/hiredis.h>

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

#endif
