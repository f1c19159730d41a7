/*
 * json.c: the few yajl calls every JSON encoder of ferryd makes, written
 * once: strings that may be NULL, "key": value pairs, times as RFC 3339
 * text, the generator's buffer as a string; and a yajl_tree lookup of a
 * short path for the decoders.
 */

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ferry/json.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	size_t	len, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	}
	return (len);
}

/*
 * Add string S, or null when S is NULL.  Bytes that are not UTF-8 (a
 * hypervisor's message could hold some) become '?': yajl would write them
 * as they are and the document could not be read back.
 */
void
json_str(yajl_gen g, const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned char		*copy;
	size_t			 n, i, k;

	if (s == NULL) {
		yajl_gen_null(g);
		return;
	}
	n = strlen(s);
	for (i = 0; i < n; i += k) {
		if ((k = json_utf8_len(u + i, n - i)) == 0)
			break;
	}
	if (i >= n) {
		yajl_gen_string(g, u, n);
		return;
	}
	copy = (unsigned char *)xstrdup(s);
	for (i = 0; i < n; i += k) {
		if ((k = json_utf8_len(copy + i, n - i)) == 0) {
			copy[i] = '?';
			k = 1;
		}
	}
	yajl_gen_string(g, copy, n);
	free(copy);
}

/* Add "KEY": S (null when S is NULL). */
void
json_kv_str(yajl_gen g, const char *key, const char *s)
{
	json_str(g, key);
	json_str(g, s);
}

/* Add "KEY": N. */
void
json_kv_int(yajl_gen g, const char *key, uint64_t n)
{
	json_str(g, key);
	yajl_gen_integer(g, (long long)n);
}

/* Add "KEY": true or false. */
void
json_kv_bool(yajl_gen g, const char *key, int b)
{
	json_str(g, key);
	yajl_gen_bool(g, b);
}

/* Add "KEY": RFC 3339 time of wall MS, or null when 0. */
void
json_kv_time(yajl_gen g, const char *key, uint64_t ms)
{
	char	buf[40];

	json_str(g, key);
	if (ms == 0) {
		yajl_gen_null(g);
		return;
	}
	util_rfc3339(ms, buf, sizeof buf);
	json_str(g, buf);
}

/* Take the generator's buffer as a new string and free G. */
char *
json_finish(yajl_gen g)
{
	const unsigned char	*buf;
	size_t			 len;
	char			*s;

	yajl_gen_get_buf(g, &buf, &len);
	s = xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	return (s);
}

/* Look up A.B.C (B and C may be NULL) in V with TYPE, or NULL. */
yajl_val
json_get(yajl_val v, yajl_type type, const char *a, const char *b,
    const char *c)
{
	const char	*path[4] = { a, b, c, NULL };

	return (yajl_tree_get(v, path, type));
}

/* Is JSON text S (LEN bytes) nested at most MAX arrays and objects deep? */
int
json_depth_ok(const char *s, size_t len, int max)
{
	size_t	i;
	int	depth = 0, in_string = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_string = 0;
		} else if (s[i] == '"')
			in_string = 1;
		else if (s[i] == '{' || s[i] == '[') {
			if (++depth > max)
				return (0);
		} else if (s[i] == '}' || s[i] == ']')
			depth--;
	}
	return (1);
}

/* Parse LEN bytes of DATA, which must be one JSON object; see json.h. */
yajl_val
json_parse_object(const char *data, size_t len, const char *what,
    char **cause)
{
	char		 err[256], *copy, *nl;
	yajl_val	 v = NULL;

	copy = xstrndup(data, len);
	if (strlen(copy) != len) {
		xasprintf(cause, "%s contains a NUL byte", what);
		goto out;
	}
	/* yajl_tree_free recurses: a hostile nesting would blow the stack. */
	if (!json_depth_ok(copy, len, JSON_DEPTH_MAX)) {
		xasprintf(cause, "%s is nested deeper than %d", what,
		    JSON_DEPTH_MAX);
		goto out;
	}
	err[0] = '\0';
	if ((v = yajl_tree_parse(copy, err, sizeof err)) == NULL) {
		/* yajl goes on with a snippet of the input on more lines. */
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		xasprintf(cause, "%s is not valid JSON: %s", what, err);
		goto out;
	}
	if (!YAJL_IS_OBJECT(v)) {
		xasprintf(cause, "%s must be a JSON object", what);
		yajl_tree_free(v);
		v = NULL;
	}
out:
	free(copy);
	return (v);
}
