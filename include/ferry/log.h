/*
 * log.h: leveled logging.  One JSON object per line on a file or pipe, a
 * readable line on a terminal.  Structured fields travel as key/value pairs.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level {
	LOG_LEVEL_DEBUG,	/* developer detail */
	LOG_LEVEL_INFO,		/* normal operation, transitions */
	LOG_LEVEL_WARN,		/* something degraded, ferry carries on */
	LOG_LEVEL_ERROR,	/* an operation failed */
};

enum log_format {
	LOG_FORMAT_AUTO,	/* text on a terminal, JSON otherwise */
	LOG_FORMAT_JSON,	/* one JSON object per line */
	LOG_FORMAT_TEXT,	/* time level message key=value ... */
};

enum log_field_type {
	LOG_FIELD_STR,		/* .s; NULL is written as null */
	LOG_FIELD_INT,		/* .i */
};

/* One structured field of a log line. */
struct log_field {
	const char		*key;	/* JSON key */
	enum log_field_type	 type;	/* which member below is valid */
	const char		*s;	/* string value */
	int64_t			 i;	/* integer value */
};

#define LOG_STR(k, v)	{ .key = (k), .type = LOG_FIELD_STR, .s = (v) }
#define LOG_INT(k, v)	{ .key = (k), .type = LOG_FIELD_INT, .i = (int64_t)(v) }

void	 log_open(FILE *, enum log_level, enum log_format);
void	 log_set_level(enum log_level);
int	 log_level_parse(const char *, enum log_level *);
int	 log_format_parse(const char *, enum log_format *);
int	 log_enabled(enum log_level);
void	 log_fields(enum log_level, const struct log_field *, size_t,
	     const char *, ...) __attribute__((format(printf, 4, 5)));
void	 log_msg(enum log_level, const char *, ...)
	     __attribute__((format(printf, 2, 3)));

/* The level is checked before the message is formatted. */
#define log_debug(...) do {						\
	if (log_enabled(LOG_LEVEL_DEBUG))				\
		log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);			\
} while (0)
#define log_info(...) do {						\
	if (log_enabled(LOG_LEVEL_INFO))				\
		log_msg(LOG_LEVEL_INFO, __VA_ARGS__);			\
} while (0)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
