/*
 * json.h: helpers over yajl shared by every encoder (migration records,
 * inventory objects, evacuations) and decoder of ferryd.
 */
#ifndef FERRY_JSON_H
#define FERRY_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

void	 json_str(yajl_gen, const char *);		/* S, or null */
void	 json_kv_str(yajl_gen, const char *, const char *);
void	 json_kv_int(yajl_gen, const char *, uint64_t);
void	 json_kv_bool(yajl_gen, const char *, int);
void	 json_kv_time(yajl_gen, const char *, uint64_t); /* RFC 3339 */
char	*json_finish(yajl_gen);			/* frees the generator */
yajl_val json_get(yajl_val, yajl_type, const char *, const char *,
	     const char *);

#define JSON_DEPTH_MAX	64	/* deepest nesting we parse */

/* Is JSON text S (LEN bytes) nested at most MAX deep? */
int	 json_depth_ok(const char *, size_t, int);

/*
 * Parse LEN bytes of DATA (a request body, a record) that must be one JSON
 * object nested at most JSON_DEPTH_MAX deep: the tree, or NULL with
 * *CAUSE saying what is wrong with WHAT ("request body": "... contains a
 * NUL byte", "... is nested deeper than 64", "... is not valid JSON: ...",
 * "... must be a JSON object").
 */
yajl_val json_parse_object(const char *, size_t, const char *, char **);

#endif
