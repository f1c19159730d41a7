/* xmalloc.c: allocation wrappers; out of memory is fatal. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/xmalloc.h"

/* Report that SIZE bytes could not be had, and exit. */
static void __attribute__((noreturn))
xmalloc_fatal(size_t size)
{
	fprintf(stderr, "ferry: out of memory allocating %zu bytes\n", size);
	abort();
}

/* Allocate SIZE bytes. */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_fatal(size);
	return (p);
}

/* Allocate NMEMB zeroed members of SIZE bytes. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		xmalloc_fatal(nmemb * size);
	return (p);
}

/* Resize P to SIZE bytes. */
void *
xrealloc(void *p, size_t size)
{
	return (xreallocarray(p, 1, size));
}

/* Resize P to NMEMB members of SIZE bytes, checking for overflow. */
void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void	*np;

	if (size != 0 && nmemb > SIZE_MAX / size)
		xmalloc_fatal(SIZE_MAX);
	if ((np = realloc(p, nmemb * size == 0 ? 1 : nmemb * size)) == NULL)
		xmalloc_fatal(nmemb * size);
	return (np);
}

/* Copy string S. */
char *
xstrdup(const char *s)
{
	return (xstrndup(s, strlen(s)));
}

/* Copy at most N bytes of S, always terminated. */
char *
xstrndup(const char *s, size_t n)
{
	size_t	 len = strnlen(s, n);
	char	*p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* Format into a new string. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (n);
}

/* Format into a new string from a va_list. */
int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	n;

	if ((n = vasprintf(ret, fmt, ap)) == -1)
		xmalloc_fatal(strlen(fmt));
	return (n);
}
