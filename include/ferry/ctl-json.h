/* ctl-json.h: ferryctl's helpers over yajl_tree for reading API answers. */
#ifndef FERRY_CTL_JSON_H
#define FERRY_CTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#define CTL_JSON_COUNT_MAX	9e15	/* larger numbers are not counts */

int		 ctl_json_parse(const char *, size_t, yajl_val *, char **);
yajl_val	 ctl_json_get(yajl_val, const char *, yajl_type);
const char	*ctl_json_string(yajl_val, const char *);
const char	*ctl_json_text(yajl_val, const char *, const char *);
int		 ctl_json_number(yajl_val, const char *, double *);
int		 ctl_json_count(yajl_val, const char *, uint64_t *);
int		 ctl_json_bool(yajl_val, const char *, int *);
int		 ctl_json_print(yajl_val);
void		 ctl_json_clean(char *);

#endif
