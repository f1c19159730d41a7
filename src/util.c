/* util.c: clocks, random names and ids. */

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ferry/util.h"

/* Monotonic milliseconds, for timeouts and durations. */
uint64_t
util_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Wall-clock milliseconds since the epoch, for records. */
uint64_t
util_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Format wall ms as RFC 3339 UTC with milliseconds. */
void
util_rfc3339(uint64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;
	char		base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", base, (unsigned)(ms % 1000));
}

/* Fill BUF with random bytes; getrandom never fails for small sizes. */
static void
util_random_bytes(unsigned char *buf, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = getrandom(buf + done, len - done, 0);
		if (n <= 0) {
			/* Should not happen; fall back to rand(). */
			for (; done < len; done++)
				buf[done] = (unsigned char)rand();
			return;
		}
		done += (size_t)n;
	}
}

/* Random lowercase alphanumeric suffix of LEN - 1 characters. */
void
util_random_suffix(char *buf, size_t len)
{
	static const char	 set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 r[64];
	size_t			 i, n;

	if (len == 0)
		return;
	n = len - 1 > sizeof r ? sizeof r : len - 1;
	util_random_bytes(r, n);
	for (i = 0; i < n; i++)
		buf[i] = set[r[i] % (sizeof set - 1)];
	buf[n] = '\0';
}

/* A random (version 4) UUID as text; BUF holds at least 37 bytes. */
void
util_uuid(char *buf)
{
	unsigned char	u[16];

	util_random_bytes(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Is S a valid node, VM or migration name? */
int
util_name_valid(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++) {
		if (n >= 64)
			return (0);
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != '.' && s[n] != '-')
			return (0);
	}
	return (n > 0);
}
