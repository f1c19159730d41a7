/*
 * json.h: helpers over yajl shared by every encoder (migration records,
 * inventory objects, evacuations) and decoder of ferryd.
 */
#ifndef FERRY_JSON_H
#define FERRY_JSON_H

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

#endif
