/*
 * log.c: leveled, structured logging.  JSON lines (yajl does the escaping)
 * when writing to a file or pipe, readable text on a terminal.  Worker
 * threads may log too, so a line is written under a mutex.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "ferry/log.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

static FILE		*log_file;
static enum log_level	 log_level = LOG_LEVEL_INFO;
static int		 log_json = 1;
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

/* Send log lines to F (stderr if NULL) at LEVEL in FORMAT. */
void
log_open(FILE *f, enum log_level level, enum log_format format)
{
	log_file = f;
	log_level = level;
	if (format == LOG_FORMAT_AUTO)
		log_json = !isatty(fileno(f != NULL ? f : stderr));
	else
		log_json = (format == LOG_FORMAT_JSON);
}

/* Change the level (SIGHUP). */
void
log_set_level(enum log_level level)
{
	log_level = level;
}

/* Parse a level name; 0 on success. */
int
log_level_parse(const char *s, enum log_level *level)
{
	size_t	i;

	for (i = 0; i < nitems(log_level_names); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return (0);
		}
	}
	return (-1);
}

/* Parse a format name; 0 on success. */
int
log_format_parse(const char *s, enum log_format *format)
{
	if (strcmp(s, "auto") == 0)
		*format = LOG_FORMAT_AUTO;
	else if (strcmp(s, "json") == 0)
		*format = LOG_FORMAT_JSON;
	else if (strcmp(s, "text") == 0)
		*format = LOG_FORMAT_TEXT;
	else
		return (-1);
	return (0);
}

/* Would a line at LEVEL be written? */
int
log_enabled(enum log_level level)
{
	return (level >= log_level);
}

/* Add one string to G, as null if S is NULL. */
static void
log_gen_str(yajl_gen g, const char *s)
{
	if (s == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

/* Write one line: a message plus structured fields. */
static void __attribute__((format(printf, 4, 0)))
log_vwrite(enum log_level level, const struct log_field *f, size_t nf,
    const char *fmt, va_list ap)
{
	FILE		*out = log_file != NULL ? log_file : stderr;
	char		*msg, ts[40];
	size_t		 i;

	xvasprintf(&msg, fmt, ap);
	util_rfc3339(util_wall_ms(), ts, sizeof ts);

	pthread_mutex_lock(&log_lock);
	if (log_json) {
		yajl_gen		 g = yajl_gen_alloc(NULL);
		const unsigned char	*buf;
		size_t			 len;

		yajl_gen_map_open(g);
		log_gen_str(g, "time");
		log_gen_str(g, ts);
		log_gen_str(g, "level");
		log_gen_str(g, log_level_names[level]);
		log_gen_str(g, "msg");
		log_gen_str(g, msg);
		for (i = 0; i < nf; i++) {
			log_gen_str(g, f[i].key);
			if (f[i].type == LOG_FIELD_INT)
				yajl_gen_integer(g, f[i].i);
			else
				log_gen_str(g, f[i].s);
		}
		yajl_gen_map_close(g);
		yajl_gen_get_buf(g, &buf, &len);
		fwrite(buf, 1, len, out);
		fputc('\n', out);
		yajl_gen_free(g);
	} else {
		fprintf(out, "%s %-5s %s", ts + 11, log_level_names[level], msg);
		for (i = 0; i < nf; i++) {
			if (f[i].type == LOG_FIELD_INT)
				fprintf(out, " %s=%lld", f[i].key,
				    (long long)f[i].i);
			else if (f[i].s != NULL && f[i].s[0] != '\0')
				fprintf(out, " %s=%s", f[i].key, f[i].s);
		}
		fputc('\n', out);
	}
	fflush(out);
	pthread_mutex_unlock(&log_lock);
	free(msg);
}

/* Log a message with structured fields. */
void
log_fields(enum log_level level, const struct log_field *f, size_t nf,
    const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vwrite(level, f, nf, fmt, ap);
	va_end(ap);
}

/* Log a plain message. */
void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vwrite(level, NULL, 0, fmt, ap);
	va_end(ap);
}
