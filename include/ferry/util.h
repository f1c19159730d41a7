/* util.h: small helpers shared by every module: clocks, names, ids. */
#ifndef FERRY_UTIL_H
#define FERRY_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof (a) / sizeof (a)[0])

uint64_t	 util_now_ms(void);		/* CLOCK_MONOTONIC, ms */
uint64_t	 util_wall_ms(void);		/* CLOCK_REALTIME, ms since epoch */
void		 util_rfc3339(uint64_t, char *, size_t); /* wall ms -> text */
void		 util_random_suffix(char *, size_t);	/* [a-z0-9]{n-1} */
void		 util_uuid(char *);			/* 37 bytes */
int		 util_name_valid(const char *);	/* [A-Za-z0-9_.-]{1,64} */

#endif
