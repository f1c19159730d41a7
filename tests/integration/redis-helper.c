/* redis-helper.c: a private redis-server for integration tests. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis-helper.h"

/* A loopback port nobody listens on right now. */
int
t_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* Is a redis-server answering PING on PORT? */
int
t_redis_ping(int port)
{
	struct timeval	 tv = { 0, 200000 };
	redisContext	*c;
	redisReply	*r;
	int		 ok = 0;

	c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c == NULL)
		return (0);
	if (c->err == 0 && (r = redisCommand(c, "PING")) != NULL) {
		ok = (r->type == REDIS_REPLY_STATUS &&
		    strcmp(r->str, "PONG") == 0);
		freeReplyObject(r);
	}
	redisFree(c);
	return (ok);
}

/* Start R's redis-server on R->port (0: a free one); 0 once it answers. */
int
t_redis_start(struct t_redis *r)
{
	const char	*base = getenv("FERRY_REDIS_DIR");
	char		 port[16];
	int		 try, i, fixed = (r->port != 0), status, fd;
	pid_t		 pid;

	if (r->dir[0] == '\0') {
		snprintf(r->dir, sizeof r->dir, "%s/redis-XXXXXX",
		    base != NULL ? base : "/tmp");
		if (mkdtemp(r->dir) == NULL)
			return (-1);
	}
	for (try = 0; try < 10; try++) {
		if (!fixed)
			r->port = t_free_port();
		snprintf(port, sizeof port, "%d", r->port);
		if ((pid = fork()) == -1)
			return (-1);
		if (pid == 0) {
			fd = open("/dev/null", O_RDWR);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			execlp("redis-server", "redis-server", "--port", port,
			    "--bind", "127.0.0.1", "--save", "",
			    "--appendonly", r->persist ? "yes" : "no",
			    "--appendfsync", "always", "--dir", r->dir,
			    "--logfile", "", (char *)NULL);
			_exit(127);
		}
		for (i = 0; i < 100; i++) {
			if (t_redis_ping(r->port)) {
				r->pid = pid;
				return (0);
			}
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;	/* port taken or no redis-server */
			usleep(50000);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		usleep(100000);
	}
	return (-1);
}

/* Kill R's redis-server hard, as a crash would. */
void
t_redis_kill(struct t_redis *r)
{
	int	status;

	if (r->pid <= 0)
		return;
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	r->pid = -1;
}

/* nftw callback: remove one file or directory. */
static int
t_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

/* Kill R's redis-server and remove its directory. */
void
t_redis_remove(struct t_redis *r)
{
	t_redis_kill(r);
	if (r->dir[0] != '\0')
		nftw(r->dir, t_rm_one, 8, FTW_DEPTH | FTW_PHYS);
	r->dir[0] = '\0';
}

/* A blocking hiredis context on PORT, for checks. */
redisContext *
t_redis_connect(int port)
{
	struct timeval	 tv = { 2, 0 };
	redisContext	*c;

	c = redisConnectWithTimeout("127.0.0.1", port, tv);
	assert_non_null(c);
	assert_int_equal(c->err, 0);
	redisSetTimeout(c, tv);
	return (c);
}

/* Run a command on C expecting a string reply; its copy, or NULL if nil. */
char *
t_redis_str(redisContext *c, const char *fmt, ...)
{
	redisReply	*r;
	va_list		 ap;
	char		*s = NULL;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_STRING)
		s = strdup(r->str);
	else
		assert_int_equal(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	return (s);
}

/* Run a command on C expecting an integer reply; the integer. */
long long
t_redis_int(redisContext *c, const char *fmt, ...)
{
	redisReply	*r;
	va_list		 ap;
	long long	 n;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return (n);
}

/* Run a command on C and check it did not fail. */
void
t_redis_do(redisContext *c, const char *fmt, ...)
{
	redisReply	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

/* Log to a new temporary file, down to LEVEL. */
FILE *
t_log_open(enum log_level level)
{
	FILE	*f = tmpfile();

	assert_non_null(f);
	log_open(f, level, LOG_FORMAT_TEXT);
	return (f);
}

/* Log to stderr again; a captured file can still be read. */
void
t_log_close(void)
{
	log_open(stderr, LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

/* Count the lines of F holding both W1 and W2. */
int
t_log_lines(FILE *f, const char *w1, const char *w2)
{
	char	line[4096];
	int	n = 0;

	fflush(f);
	rewind(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, w1) != NULL && strstr(line, w2) != NULL)
			n++;
	}
	return (n);
}
