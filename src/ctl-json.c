/*
 * ctl-json.c: ferryctl's JSON helpers.  Answers come from the network, so
 * parsing bounds the nesting, lookups tolerate missing or mistyped fields,
 * and strings are cleaned of control characters before they are printed.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ferry/ctl-json.h"
#include "ferry/json.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Replace control characters in S, which came from the network, by '?'. */
void
ctl_json_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Parse LEN bytes of NUL-terminated DATA; a NULL tree if there are none. */
int
ctl_json_parse(const char *data, size_t len, yajl_val *out, char **cause)
{
	char	err[256], *nl;

	*out = NULL;
	if (data == NULL || len == 0)
		return (0);
	if (strlen(data) != len) {
		*cause = xstrdup("body contains a NUL byte");
		return (-1);
	}
	/* yajl_tree_free recurses: a hostile nesting would blow the stack. */
	if (!json_depth_ok(data, len, JSON_DEPTH_MAX)) {
		xasprintf(cause, "JSON nested deeper than %d", JSON_DEPTH_MAX);
		return (-1);
	}
	err[0] = '\0';
	if ((*out = yajl_tree_parse(data, err, sizeof err)) == NULL) {
		/* yajl's message goes on with a snippet on more lines. */
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		ctl_json_clean(err);
		xasprintf(cause, "%s", err[0] != '\0' ? err : "invalid JSON");
		return (-1);
	}
	return (0);
}

/* Look up dotted PATH ("status.progress.dataTotal") of TYPE under V. */
yajl_val
ctl_json_get(yajl_val v, const char *path, yajl_type type)
{
	char		 copy[128], *p, *dot;
	const char	*parts[8];
	size_t		 n = 0;

	if (v == NULL || strlen(path) >= sizeof copy)
		return (NULL);
	strcpy(copy, path);
	for (p = copy; p != NULL && n < nitems(parts) - 1; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		parts[n++] = p;
	}
	parts[n] = NULL;
	return (yajl_tree_get(v, parts, type));
}

/* The string at PATH under V, cleaned for printing, or NULL. */
const char *
ctl_json_string(yajl_val v, const char *path)
{
	yajl_val	s = ctl_json_get(v, path, yajl_t_string);

	if (s == NULL)
		return (NULL);
	ctl_json_clean(s->u.string);
	return (s->u.string);
}

/* The non-empty string at PATH under V, cleaned for printing, else DEF. */
const char *
ctl_json_text(yajl_val v, const char *path, const char *def)
{
	const char	*s = ctl_json_string(v, path);

	return (s != NULL && *s != '\0' ? s : def);
}

/* The number at PATH under V into *OUT; -1 if there is none. */
int
ctl_json_number(yajl_val v, const char *path, double *out)
{
	yajl_val	n = ctl_json_get(v, path, yajl_t_number);

	if (YAJL_IS_DOUBLE(n))
		*out = YAJL_GET_DOUBLE(n);
	else if (YAJL_IS_INTEGER(n))
		*out = (double)YAJL_GET_INTEGER(n);
	else
		return (-1);
	return (0);
}

/* The whole number >= 0 at PATH under V into *OUT; -1 if there is none. */
int
ctl_json_count(yajl_val v, const char *path, uint64_t *out)
{
	double	d;

	if (ctl_json_number(v, path, &d) != 0)
		return (-1);
	/* Written this way round so that NaN fails too. */
	if (!(d >= 0 && d <= CTL_JSON_COUNT_MAX) || d != (double)(uint64_t)d)
		return (-1);
	*out = (uint64_t)d;
	return (0);
}

/* The boolean at PATH under V into *OUT (1 or 0); -1 if there is none. */
int
ctl_json_bool(yajl_val v, const char *path, int *out)
{
	yajl_val	b = ctl_json_get(v, path, yajl_t_any);

	if (YAJL_IS_TRUE(b))
		*out = 1;
	else if (YAJL_IS_FALSE(b))
		*out = 0;
	else
		return (-1);
	return (0);
}

/* Generate V into G; -1 on a yajl error. */
static int
ctl_json_gen(yajl_gen g, yajl_val v)
{
	const char	*key;
	size_t		 i;

	switch (v->type) {
	case yajl_t_string:
		return (yajl_gen_string(g, (const unsigned char *)v->u.string,
		    strlen(v->u.string)) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_number:
		/* The text as received: no rounding through a double. */
		return (yajl_gen_number(g, v->u.number.r,
		    strlen(v->u.number.r)) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_object:
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return (-1);
		for (i = 0; i < v->u.object.len; i++) {
			key = v->u.object.keys[i];
			if (yajl_gen_string(g, (const unsigned char *)key,
			    strlen(key)) != yajl_gen_status_ok ||
			    ctl_json_gen(g, v->u.object.values[i]) != 0)
				return (-1);
		}
		return (yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_array:
		if (yajl_gen_array_open(g) != yajl_gen_status_ok)
			return (-1);
		for (i = 0; i < v->u.array.len; i++) {
			if (ctl_json_gen(g, v->u.array.values[i]) != 0)
				return (-1);
		}
		return (yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_true:
		return (yajl_gen_bool(g, 1) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_false:
		return (yajl_gen_bool(g, 0) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_null:
		return (yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1);
	case yajl_t_any:
		return (-1);
	}
	return (-1);
}

/* Pretty-print V to stdout. */
int
ctl_json_print(yajl_val v)
{
	yajl_gen		 g;
	const unsigned char	*buf;
	size_t			 len;
	int			 retval = -1;

	if ((g = yajl_gen_alloc(NULL)) == NULL) {
		fprintf(stderr, "ferryctl: cannot allocate a JSON generator\n");
		return (-1);
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	if (ctl_json_gen(g, v) != 0 ||
	    yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		fprintf(stderr,
		    "ferryctl: cannot print the response as JSON\n");
		goto out;
	}
	fwrite(buf, 1, len, stdout);
	if (len == 0 || buf[len - 1] != '\n')
		putchar('\n');
	retval = 0;
out:
	yajl_gen_free(g);
	return (retval);
}
