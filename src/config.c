/*
 * config.c: read, check and compare ferryd's configuration file.  Every
 * rule comes from the option table in config-table.c; this file only knows
 * the INI syntax, lists and booleans.  Errors are collected, one line each,
 * and reported together so that one run shows everything wrong with a file.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config-priv.h"
#include "ferry/notify.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* Longest piece of untrusted text quoted in an error message. */
#define CONFIG_QUOTE_MAX	64

/* State of one config_load() run. */
struct config_parse {
	const char		*path;		/* file name, for messages */
	u_int			 line;		/* number of the line being read */
	struct config		*config;	/* being filled in */
	int			 in_section;	/* a section header was seen */
	enum config_section	 section;	/* section of the lines being read */
	int			 skip;		/* the header was bad: ignore
						   options until the next one */
	size_t			 node;		/* index of the current node in
						   config->nodes */
	size_t			 storage;	/* index of the current storage
						   section in config->storage */
	int			 too_many_nodes; /* the node limit was reported */
	int			 too_many_storage; /* the storage limit was
						   reported */
	u_int			*set_line;	/* per table row: line that set
						   it in this section, or 0 */
	int			*invalid;	/* per table row: set in this
						   section to a refused value */
	char			*cause;		/* errors so far, one a line */
	u_int			 nerrors;	/* errors found, also those past
						   CONFIG_ERRORS_MAX */
};

static void	config_error(struct config_parse *, u_int, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/* A word of a boolean option and the value it stands for. */
struct config_bool_word {
	const char	*word;		/* as written in the file */
	int		 value;		/* 1 or 0 */
};

/* Words a boolean option accepts. */
static const struct config_bool_word config_bool_words[] = {
	{ "true", 1 }, { "false", 0 },
	{ "yes", 1 }, { "no", 0 },
	{ "on", 1 }, { "off", 0 },
	{ "1", 1 }, { "0", 0 },
};

/*
 * Where option O lives in BASE (a struct config, struct config_node or
 * struct config_storage).
 */
static void *
config_field(const void *base, const struct config_option *o)
{
	return ((char *)base + o->offset);
}

/* Is SECTION one that takes a NAME and may repeat? */
static int
config_section_named(enum config_section section)
{
	return (config_sections[section].named);
}

/*
 * Copy S for an error message: bytes that are not printable ASCII become
 * \xNN and long text is cut, so a hostile file cannot flood or garble the
 * terminal or log that shows the message.
 */
static char *
config_quote(const char *s)
{
	char	*out, *p;
	size_t	 i;

	out = p = xmalloc(CONFIG_QUOTE_MAX * 4 + sizeof "...");
	for (i = 0; i < CONFIG_QUOTE_MAX && s[i] != '\0'; i++) {
		if (s[i] == '\\' || !isprint((unsigned char)s[i])) {
			snprintf(p, 5, "\\x%02x", (unsigned char)s[i]);
			p += 4;
		} else
			*p++ = s[i];
	}
	if (s[i] != '\0') {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p = '\0';
	return (out);
}

/*
 * Record one error at LINE (0 for the file as a whole) about option NAME
 * (NULL for lines that are not options).
 */
static void
config_error(struct config_parse *p, u_int line, const char *name,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL, *text = NULL, *quoted = NULL, *joined = NULL;

	if (++p->nerrors > CONFIG_ERRORS_MAX)
		return;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);

	if (name != NULL) {
		quoted = config_quote(name);
		xasprintf(&text, "%s:%u: option '%s': %s", p->path, line,
		    quoted, msg);
	} else if (line != 0)
		xasprintf(&text, "%s:%u: %s", p->path, line, msg);
	else
		xasprintf(&text, "%s: %s", p->path, msg);

	if (p->cause == NULL) {
		p->cause = text;
		text = NULL;
	} else {
		xasprintf(&joined, "%s\n%s", p->cause, text);
		free(p->cause);
		p->cause = joined;
	}

	free(text);
	free(quoted);
	free(msg);
}

/* The words option O accepts, joined by SEP. */
static char *
config_choices(const struct config_option *o, const char *sep)
{
	char	*list = NULL, *next;
	size_t	 i;

	for (i = 0; o->choices[i] != NULL; i++) {
		if (list == NULL)
			list = xstrdup(o->choices[i]);
		else {
			xasprintf(&next, "%s%s%s", list, sep, o->choices[i]);
			free(list);
			list = next;
		}
	}
	return (list);
}

/* Find option NAME in SECTION, or NULL. */
static const struct config_option *
config_table_find(enum config_section section, const char *name)
{
	size_t	i;

	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section == section &&
		    strcmp(config_table[i].name, name) == 0)
			return (&config_table[i]);
	}
	return (NULL);
}

/* Find option NAME in any section, to tell where a misplaced one goes. */
static const struct config_option *
config_table_find_any(const char *name)
{
	size_t	i;

	for (i = 0; i < config_table_size; i++) {
		if (strcmp(config_table[i].name, name) == 0)
			return (&config_table[i]);
	}
	return (NULL);
}

/* Strip whitespace from both ends of S in place; return the new start. */
static char *
config_strip(char *s)
{
	size_t	len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return (s);
}

/*
 * Read the next line of F into BUF (CONFIG_LINE_MAX + 1 bytes) without its
 * newline.  Return 0 at end of file, else 1.  A line that does not fit sets
 * *TOO_LONG and the rest of it is skipped; a NUL byte sets *HAS_NUL.
 */
static int
config_read_line(FILE *f, char *buf, int *too_long, int *has_nul)
{
	size_t	len = 0;
	int	ch, any = 0;

	*too_long = *has_nul = 0;
	while ((ch = getc(f)) != EOF) {
		any = 1;
		if (ch == '\n')
			break;
		if (ch == '\0')
			*has_nul = 1;
		if (len < CONFIG_LINE_MAX)
			buf[len++] = (char)ch;
		else
			*too_long = 1;
	}
	buf[len] = '\0';
	return (any);
}

/* Set option O of BASE to its default. */
static void
config_set_default(void *base, const struct config_option *o)
{
	switch (o->type) {
	case CONFIG_INT:
	case CONFIG_BOOL:
		*(int *)config_field(base, o) = o->default_num;
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		if (o->default_str != NULL)
			*(char **)config_field(base, o) = xstrdup(o->default_str);
		break;
	case CONFIG_LIST:
		/* The empty list: the field is zeroed already. */
		break;
	}
}

/* Free the items of L and make it the empty list. */
static void
config_list_clear(struct config_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Make DST, which holds nothing, a copy of SRC. */
static void
config_list_copy(struct config_list *dst, const struct config_list *src)
{
	size_t	i;

	dst->v = NULL;
	dst->n = src->n;
	if (src->n == 0)
		return;
	dst->v = xcalloc(src->n, sizeof *dst->v);
	for (i = 0; i < src->n; i++)
		dst->v[i] = xstrdup(src->v[i]);
}

/* Do A and B hold the same items, in any order?  (Items are unique.) */
static int
config_list_equal(const struct config_list *a, const struct config_list *b)
{
	size_t	i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++) {
		if (!config_list_has(b, a->v[i]))
			return (0);
	}
	return (1);
}

/* Does L hold exactly ITEM?  See config.h. */
int
config_list_has(const struct config_list *l, const char *item)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], item) == 0)
			return (1);
	}
	return (0);
}

/* The value of label KEY in LABELS, or NULL; see config.h. */
const char *
config_labels_get(const struct config_list *labels, const char *key)
{
	size_t	i, len = strlen(key);

	for (i = 0; i < labels->n; i++) {
		if (strncmp(labels->v[i], key, len) == 0 &&
		    labels->v[i][len] == '=')
			return (labels->v[i] + len + 1);
	}
	return (NULL);
}

/* Free the strings and lists option O holds in BASE. */
static void
config_clear(void *base, const struct config_option *o)
{
	char	**sp;

	switch (o->type) {
	case CONFIG_INT:
	case CONFIG_BOOL:
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		sp = config_field(base, o);
		free(*sp);
		*sp = NULL;
		break;
	case CONFIG_LIST:
		config_list_clear(config_field(base, o));
		break;
	}
}

/* Free what the options of SECTION hold in BASE. */
static void
config_clear_section(void *base, enum config_section section)
{
	size_t	i;

	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section == section)
			config_clear(base, &config_table[i]);
	}
}

/* Is option O the same in A and B?  Lists compare as sets. */
static int
config_option_equal(const struct config_option *o, const void *a,
    const void *b)
{
	const char	*sa, *sb;

	switch (o->type) {
	case CONFIG_INT:
	case CONFIG_BOOL:
		return (*(int *)config_field(a, o) == *(int *)config_field(b, o));
	case CONFIG_LIST:
		return (config_list_equal(config_field(a, o),
		    config_field(b, o)));
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		sa = *(char **)config_field(a, o);
		sb = *(char **)config_field(b, o);
		if (sa == NULL || sb == NULL)
			return (sa == sb);
		return (strcmp(sa, sb) == 0);
	}
	return (0);
}

/* Parse VALUE as an integer for option O into *OUT; 0 or -1 (reported). */
static int
config_parse_int(struct config_parse *p, const struct config_option *o,
    const char *value, int *out)
{
	char		*end, *quoted = NULL;
	long long	 n;
	int		 rv = -1;

	if (*value == '\0') {
		config_error(p, p->line, o->name,
		    "empty value, must be between %d and %d", o->min, o->max);
		goto out;
	}
	quoted = config_quote(value);
	errno = 0;
	n = strtoll(value, &end, 10);
	if (*end != '\0' || (!isdigit((unsigned char)value[0]) &&
	    value[0] != '-' && value[0] != '+')) {
		config_error(p, p->line, o->name,
		    "'%s' is not an integer, must be between %d and %d",
		    quoted, o->min, o->max);
		goto out;
	}
	if (errno == ERANGE || n < o->min || n > o->max) {
		config_error(p, p->line, o->name,
		    "'%s' is out of range, must be between %d and %d", quoted,
		    o->min, o->max);
		goto out;
	}
	*out = (int)n;
	rv = 0;
out:
	free(quoted);
	return (rv);
}

/* Check VALUE for string option O; 0 or -1 (reported). */
static int
config_check_string(struct config_parse *p, const struct config_option *o,
    const char *value)
{
	char	*quoted = NULL, *list = NULL;
	size_t	 i;
	int	 rv = -1;

	quoted = config_quote(value);
	if (o->type == CONFIG_CHOICE) {
		for (i = 0; o->choices[i] != NULL; i++) {
			if (strcmp(o->choices[i], value) == 0)
				break;
		}
		if (o->choices[i] == NULL) {
			list = config_choices(o, ", ");
			config_error(p, p->line, o->name,
			    "'%s' is not one of %s", quoted, list);
			goto out;
		}
	}
	if ((o->flags & CONFIG_NONEMPTY) && *value == '\0') {
		config_error(p, p->line, o->name, "must not be empty");
		goto out;
	}
	if ((o->flags & CONFIG_NAME) && *value != '\0' &&
	    !util_name_valid(value)) {
		config_error(p, p->line, o->name,
		    "'%s' is not a valid name (1 to 64 letters, digits, '_', "
		    "'.' or '-')", quoted);
		goto out;
	}
	rv = 0;
out:
	free(list);
	free(quoted);
	return (rv);
}

/* Parse VALUE as a boolean for option O into *OUT; 0 or -1 (reported). */
static int
config_parse_bool(struct config_parse *p, const struct config_option *o,
    const char *value, int *out)
{
	char	*quoted;
	size_t	 i;

	for (i = 0; i < nitems(config_bool_words); i++) {
		if (strcmp(config_bool_words[i].word, value) == 0) {
			*out = config_bool_words[i].value;
			return (0);
		}
	}
	quoted = config_quote(value);
	config_error(p, p->line, o->name, "'%s' is not a boolean: true, false, "
	    "yes, no, on, off, 1 or 0", quoted);
	free(quoted);
	return (-1);
}

/* Are the LEN bytes at S all label characters, [A-Za-z0-9._/-]? */
static int
config_label_chars(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '/' && s[i] != '-')
			return (0);
	}
	return (1);
}

/* Check label ITEM of option O against the labels in L; 0 or -1. */
static int
config_check_label(struct config_parse *p, const struct config_option *o,
    const struct config_list *l, const char *item)
{
	const char	*eq;
	char		*quoted = NULL, *key = NULL;
	int		 rv = -1;

	quoted = config_quote(item);
	if ((eq = strchr(item, '=')) == NULL) {
		config_error(p, p->line, o->name,
		    "label '%s' is not key=value", quoted);
		goto out;
	}
	if (eq == item) {
		config_error(p, p->line, o->name,
		    "label '%s' has an empty key", quoted);
		goto out;
	}
	if (!config_label_chars(item, (size_t)(eq - item))) {
		config_error(p, p->line, o->name, "label '%s' has an invalid "
		    "key (letters, digits, '.', '_', '/' or '-')", quoted);
		goto out;
	}
	if (!config_label_chars(eq + 1, strlen(eq + 1))) {
		config_error(p, p->line, o->name, "label '%s' has an invalid "
		    "value (letters, digits, '.', '_', '/' or '-', or empty)",
		    quoted);
		goto out;
	}
	key = xstrndup(item, (size_t)(eq - item));
	if (config_labels_get(l, key) != NULL) {
		free(quoted);
		quoted = config_quote(key);
		config_error(p, p->line, o->name,
		    "label key '%s' is given twice", quoted);
		goto out;
	}
	rv = 0;
out:
	free(key);
	free(quoted);
	return (rv);
}

/*
 * Check ITEM, number INDEX (from 1) of the value of list option O, against
 * option O's rules and the items already accepted into L; 0 or -1
 * (reported).
 */
static int
config_check_item(struct config_parse *p, const struct config_option *o,
    const struct config_list *l, const char *item, size_t index)
{
	char	*quoted = NULL, *why = NULL, *shown;
	size_t	 max;
	int	 rv = -1;

	if (*item == '\0') {
		config_error(p, p->line, o->name, "item %zu is empty", index);
		goto out;
	}
	max = (o->flags & CONFIG_URL) ? NOTIFY_URL_MAX : CONFIG_ITEM_MAX;
	if (strlen(item) > max) {
		config_error(p, p->line, o->name,
		    "item %zu is longer than %zu bytes", index, max);
		goto out;
	}
	if (o->flags & CONFIG_LABEL) {
		rv = config_check_label(p, o, l, item);
		goto out;
	}
	quoted = config_quote(item);
	if ((o->flags & CONFIG_URL) && notify_url_check(item, &why) != 0) {
		free(quoted);
		shown = notify_url_shown(item);
		quoted = config_quote(shown);
		free(shown);
		config_error(p, p->line, o->name, "item '%s' %s", quoted, why);
		goto out;
	}
	if ((o->flags & CONFIG_NAME) && !util_name_valid(item)) {
		config_error(p, p->line, o->name,
		    "item '%s' is not a valid name (1 to 64 letters, digits, "
		    "'_', '.' or '-')", quoted);
		goto out;
	}
	if ((o->flags & CONFIG_PATH) && item[0] != '/') {
		config_error(p, p->line, o->name,
		    "item '%s' is not an absolute path", quoted);
		goto out;
	}
	if (config_list_has(l, item)) {
		config_error(p, p->line, o->name, "item '%s' is given twice",
		    quoted);
		goto out;
	}
	rv = 0;
out:
	free(why);
	free(quoted);
	return (rv);
}

/*
 * Parse VALUE (changed in place) as list option O into *OUT, which holds
 * nothing; 0 or -1 (every bad item reported).  A blank value is the empty
 * list.
 */
static int
config_parse_list(struct config_parse *p, const struct config_option *o,
    char *value, struct config_list *out)
{
	struct config_list	 l = { NULL, 0 };
	char			*s, *next, *item;
	size_t			 count = 1, index;
	int			 bad = 0, rv = -1;

	*out = l;
	value = config_strip(value);
	if (*value == '\0') {
		rv = 0;
		goto out;
	}
	for (s = value; *s != '\0'; s++) {
		if (*s == ',')
			count++;
	}
	if (count > CONFIG_LIST_MAX) {
		config_error(p, p->line, o->name, "more than %d items",
		    CONFIG_LIST_MAX);
		goto out;
	}

	l.v = xcalloc(count, sizeof *l.v);
	for (s = value, index = 1; s != NULL; s = next, index++) {
		if ((next = strchr(s, ',')) != NULL)
			*next++ = '\0';
		item = config_strip(s);
		if (config_check_item(p, o, &l, item, index) == 0)
			l.v[l.n++] = xstrdup(item);
		else
			bad = 1;
	}
	if (bad)
		goto out;
	*out = l;
	l = (struct config_list){ NULL, 0 };
	rv = 0;
out:
	config_list_clear(&l);
	return (rv);
}

/* Where options of the current section are stored. */
static void *
config_parse_base(struct config_parse *p)
{
	switch (p->section) {
	case CONFIG_SECTION_NODE:
		return (&p->config->nodes[p->node]);
	case CONFIG_SECTION_STORAGE:
		return (&p->config->storage[p->storage]);
	case CONFIG_SECTION_FERRYD:
	case CONFIG_SECTION_REDIS:
	case CONFIG_SECTION_MIGRATION:
	case CONFIG_SECTION_NOTIFY:
		break;
	}
	return (p->config);
}

/* Handle "KEY = VALUE" in the current section. */
static void
config_parse_option(struct config_parse *p, const char *key, char *value)
{
	const struct config_option	*o;
	struct config_list		 list;
	void				*base;
	char				**sp;
	size_t				 len, row;
	int				 n, rv = -1;

	if (!p->in_section) {
		config_error(p, p->line, key, "appears before any [section]");
		return;
	}
	if (p->skip)
		return;

	if ((o = config_table_find(p->section, key)) == NULL) {
		o = config_table_find_any(key);
		if (o != NULL) {
			config_error(p, p->line, key,
			    "unknown in [%s], it belongs in [%s]",
			    config_sections[p->section].name,
			    config_sections[o->section].name);
		} else {
			config_error(p, p->line, key, "unknown option in [%s]",
			    config_sections[p->section].name);
		}
		return;
	}

	row = (size_t)(o - config_table);
	if (p->set_line[row] != 0) {
		config_error(p, p->line, o->name,
		    "set twice in one section, first at line %u",
		    p->set_line[row]);
		return;
	}
	p->set_line[row] = p->line;

	if (*value == '"') {
		len = strlen(value);
		if (len < 2 || value[len - 1] != '"') {
			config_error(p, p->line, o->name,
			    "missing closing '\"'");
			p->invalid[row] = 1;
			return;
		}
		value[len - 1] = '\0';
		value++;
	}

	base = config_parse_base(p);
	switch (o->type) {
	case CONFIG_INT:
		if ((rv = config_parse_int(p, o, value, &n)) == 0)
			*(int *)config_field(base, o) = n;
		break;
	case CONFIG_BOOL:
		if ((rv = config_parse_bool(p, o, value, &n)) == 0)
			*(int *)config_field(base, o) = n;
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		if ((rv = config_check_string(p, o, value)) == 0) {
			sp = config_field(base, o);
			free(*sp);
			*sp = xstrdup(value);
		}
		break;
	case CONFIG_LIST:
		if ((rv = config_parse_list(p, o, value, &list)) == 0) {
			config_list_clear(config_field(base, o));
			*(struct config_list *)config_field(base, o) = list;
		}
		break;
	}
	if (rv != 0)
		p->invalid[row] = 1;
}

/* Close a [node NAME] section: check that it has what it needs. */
static void
config_end_node(struct config_parse *p)
{
	struct config_node		*node = &p->config->nodes[p->node];
	const struct config_option	*o;
	size_t				 i;

	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->section != CONFIG_SECTION_NODE ||
		    (~o->flags & CONFIG_REQUIRED))
			continue;
		/* Set but invalid was reported already. */
		if (p->set_line[i] == 0) {
			config_error(p, (u_int)node->line, o->name,
			    "missing in [node %s]", node->name);
		}
	}
	if (node->migration_uri == NULL && node->uri != NULL)
		node->migration_uri = xstrdup(node->uri);
}

/* Close a [storage NAME] section: it must say which disks it covers. */
static void
config_end_storage(struct config_parse *p)
{
	struct config_storage		*st;
	const struct config_option	*paths, *pools;

	st = &p->config->storage[p->storage];
	paths = config_table_find(CONFIG_SECTION_STORAGE, "paths");
	pools = config_table_find(CONFIG_SECTION_STORAGE, "pools");
	/* A refused paths or pools was reported already. */
	if (p->invalid[paths - config_table] ||
	    p->invalid[pools - config_table])
		return;
	if (st->paths.n == 0 && st->pools.n == 0) {
		config_error(p, (u_int)st->line, NULL,
		    "[storage %s] needs paths or pools", st->name);
	}
}

/* Close the current section: check that a named one has what it needs. */
static void
config_end_section(struct config_parse *p)
{
	if (!p->in_section || p->skip)
		return;
	switch (p->section) {
	case CONFIG_SECTION_NODE:
		config_end_node(p);
		break;
	case CONFIG_SECTION_STORAGE:
		config_end_storage(p);
		break;
	case CONFIG_SECTION_FERRYD:
	case CONFIG_SECTION_REDIS:
	case CONFIG_SECTION_MIGRATION:
	case CONFIG_SECTION_NOTIFY:
		break;
	}
}

/*
 * Check NAME of a new section of the current named kind: present, a valid
 * name, and not that of the section at line OTHER (0 if there is none);
 * 0 or -1 (reported).
 */
static int
config_check_section_name(struct config_parse *p, const char *name,
    int other)
{
	const char	*word = config_sections[p->section].name;
	char		*quoted = NULL;
	int		 rv = -1;

	if (*name == '\0') {
		config_error(p, p->line, NULL,
		    "section [%s] needs a name: [%s NAME]", word, word);
		goto out;
	}
	quoted = config_quote(name);
	if (!util_name_valid(name)) {
		config_error(p, p->line, NULL, "invalid %s name '%s' (1 to "
		    "64 letters, digits, '_', '.' or '-')", word, quoted);
		goto out;
	}
	if (other != 0) {
		config_error(p, p->line, NULL,
		    "duplicate %s '%s', first at line %d", word, quoted, other);
		goto out;
	}
	rv = 0;
out:
	free(quoted);
	return (rv);
}

/*
 * Begin the options of a new named section stored at BASE: none is set
 * yet (each may be set once per section) and all have their defaults.
 */
static void
config_begin_options(struct config_parse *p, void *base)
{
	size_t	i;

	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section != p->section)
			continue;
		p->set_line[i] = 0;
		p->invalid[i] = 0;
		config_set_default(base, &config_table[i]);
	}
}

/* Start a [node NAME] section; 0 or -1 (reported). */
static int
config_start_node(struct config_parse *p, const char *name)
{
	struct config			*c = p->config;
	const struct config_node	*other;

	other = config_node_find(c, name);
	if (config_check_section_name(p, name,
	    other != NULL ? other->line : 0) != 0)
		return (-1);
	if (c->nnodes >= CONFIG_NODES_MAX) {
		if (!p->too_many_nodes) {
			config_error(p, p->line, NULL,
			    "more than %d nodes", CONFIG_NODES_MAX);
		}
		p->too_many_nodes = 1;
		return (-1);
	}

	c->nodes = xreallocarray(c->nodes, c->nnodes + 1, sizeof *c->nodes);
	p->node = c->nnodes++;
	c->nodes[p->node] = (struct config_node){
		.name = xstrdup(name),
		.line = (int)p->line
	};
	config_begin_options(p, &c->nodes[p->node]);
	return (0);
}

/* Start a [storage NAME] section; 0 or -1 (reported). */
static int
config_start_storage(struct config_parse *p, const char *name)
{
	struct config			*c = p->config;
	const struct config_storage	*other;

	other = config_storage_find(c, name);
	if (config_check_section_name(p, name,
	    other != NULL ? other->line : 0) != 0)
		return (-1);
	if (c->nstorage >= CONFIG_STORAGE_MAX) {
		if (!p->too_many_storage) {
			config_error(p, p->line, NULL,
			    "more than %d storage sections",
			    CONFIG_STORAGE_MAX);
		}
		p->too_many_storage = 1;
		return (-1);
	}

	c->storage = xreallocarray(c->storage, c->nstorage + 1,
	    sizeof *c->storage);
	p->storage = c->nstorage++;
	c->storage[p->storage] = (struct config_storage){
		.name = xstrdup(name),
		.line = (int)p->line
	};
	config_begin_options(p, &c->storage[p->storage]);
	return (0);
}

/* Handle a "[section]", "[node NAME]" or "[storage NAME]" line (S). */
static void
config_parse_section(struct config_parse *p, char *s)
{
	char	*end, *name, *arg, *quoted = NULL;
	size_t	 i;
	int	 rv = 0;

	config_end_section(p);
	p->in_section = 1;
	p->skip = 1;

	if ((end = strchr(s, ']')) == NULL) {
		config_error(p, p->line, NULL, "missing ']' after '['");
		goto out;
	}
	if (end[1] != '\0') {
		quoted = config_quote(end + 1);
		config_error(p, p->line, NULL, "unexpected '%s' after ']'",
		    quoted);
		goto out;
	}
	*end = '\0';
	name = config_strip(s + 1);
	arg = name + strcspn(name, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = config_strip(arg);

	for (i = 0; i < config_sections_size; i++) {
		if (strcmp(config_sections[i].name, name) == 0)
			break;
	}
	if (i == config_sections_size) {
		quoted = config_quote(name);
		config_error(p, p->line, NULL, "unknown section '%s'", quoted);
		goto out;
	}
	p->section = (enum config_section)i;

	switch (p->section) {
	case CONFIG_SECTION_NODE:
		rv = config_start_node(p, arg);
		break;
	case CONFIG_SECTION_STORAGE:
		rv = config_start_storage(p, arg);
		break;
	case CONFIG_SECTION_FERRYD:
	case CONFIG_SECTION_REDIS:
	case CONFIG_SECTION_MIGRATION:
	case CONFIG_SECTION_NOTIFY:
		if (*arg != '\0') {
			config_error(p, p->line, NULL,
			    "section [%s] takes no name", name);
			rv = -1;
		}
		break;
	}
	if (rv != 0)
		goto out;
	p->skip = 0;
out:
	free(quoted);
}

/* Handle one line of the file, comments and blank lines included. */
static void
config_parse_line(struct config_parse *p, char *line)
{
	char	*s, *eq, *key, *quoted;

	s = config_strip(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		config_parse_section(p, s);
		return;
	}

	if ((eq = strchr(s, '=')) == NULL) {
		quoted = config_quote(s);
		config_error(p, p->line, NULL,
		    "missing '=' in '%s', expected 'name = value'", quoted);
		free(quoted);
		return;
	}
	*eq = '\0';
	key = config_strip(s);
	if (*key == '\0') {
		config_error(p, p->line, NULL, "missing option name before '='");
		return;
	}
	config_parse_option(p, key, config_strip(eq + 1));
}

/* Read and check PATH into a new config; see config.h. */
int
config_load(const char *path, struct config **out, char **cause)
{
	struct config_parse	 p = { .path = path };
	FILE			*f = NULL;
	char			*buf = NULL, *line, *more = NULL;
	int			 too_long, has_nul, rv = -1;

	*out = NULL;
	*cause = NULL;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	p.config = config_default();
	p.config->path = xstrdup(path);
	p.set_line = xcalloc(config_table_size, sizeof *p.set_line);
	p.invalid = xcalloc(config_table_size, sizeof *p.invalid);
	buf = xmalloc(CONFIG_LINE_MAX + 1);

	while (config_read_line(f, buf, &too_long, &has_nul)) {
		p.line++;
		if (too_long) {
			config_error(&p, p.line, NULL,
			    "line is longer than %d bytes", CONFIG_LINE_MAX);
			continue;
		}
		if (has_nul) {
			config_error(&p, p.line, NULL,
			    "line contains a NUL byte");
			continue;
		}
		line = buf;
		if (p.line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3;	/* a UTF-8 byte order mark */
		config_parse_line(&p, line);
	}
	if (ferror(f))
		config_error(&p, 0, NULL, "read error: %s", strerror(errno));
	config_end_section(&p);

	if (p.nerrors != 0) {
		if (p.nerrors > CONFIG_ERRORS_MAX) {
			xasprintf(&more, "%s\n%s: %u more errors not shown",
			    p.cause, path, p.nerrors - CONFIG_ERRORS_MAX);
			free(p.cause);
			p.cause = more;
		}
		*cause = p.cause;
		p.cause = NULL;
		goto out;
	}
	*out = p.config;
	p.config = NULL;
	rv = 0;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	free(p.set_line);
	free(p.invalid);
	free(p.cause);
	config_free(p.config);
	return (rv);
}

/* A config with every option at its default, no nodes and no storage. */
struct config *
config_default(void)
{
	struct config	*c;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	for (i = 0; i < config_table_size; i++) {
		if (!config_section_named(config_table[i].section))
			config_set_default(c, &config_table[i]);
	}
	return (c);
}

/* Free C and everything it holds; C may be NULL. */
void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < config_table_size; i++) {
		if (!config_section_named(config_table[i].section))
			config_clear(c, &config_table[i]);
	}
	for (i = 0; i < c->nnodes; i++) {
		config_clear_section(&c->nodes[i], CONFIG_SECTION_NODE);
		free(c->nodes[i].name);
	}
	free(c->nodes);
	for (i = 0; i < c->nstorage; i++) {
		config_clear_section(&c->storage[i], CONFIG_SECTION_STORAGE);
		free(c->storage[i].name);
	}
	free(c->storage);
	free(c->path);
	free(c);
}

/* Find node NAME in C, or NULL. */
const struct config_node *
config_node_find(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nnodes; i++) {
		if (strcmp(c->nodes[i].name, name) == 0)
			return (&c->nodes[i]);
	}
	return (NULL);
}

/* Find storage section NAME in C, or NULL. */
const struct config_storage *
config_storage_find(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nstorage; i++) {
		if (strcmp(c->storage[i].name, name) == 0)
			return (&c->storage[i]);
	}
	return (NULL);
}

/* Is every node option the same in A and B? */
static int
config_node_equal(const struct config_node *a, const struct config_node *b)
{
	size_t	i;

	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section == CONFIG_SECTION_NODE &&
		    !config_option_equal(&config_table[i], a, b))
			return (0);
	}
	return (1);
}

/* Append NAME to the comma-separated LIST. */
static void
config_list_add(char **list, const char *prefix, const char *name)
{
	char	*next;

	if (*list == NULL)
		xasprintf(&next, "%s%s", prefix, name);
	else
		xasprintf(&next, "%s, %s%s", *list, prefix, name);
	free(*list);
	*list = next;
}

/* What changed from OLD to NEW that a reload cannot apply; see config.h. */
char *
config_restart_needed(const struct config *old, const struct config *new)
{
	const struct config_option	*o;
	const struct config_node	*node, *other;
	char				*list = NULL;
	size_t				 i;

	/* Nodes are compared below; storage is reloadable, never named. */
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (config_section_named(o->section) ||
		    (o->flags & CONFIG_RELOAD))
			continue;
		if (!config_option_equal(o, old, new))
			config_list_add(&list, "", o->name);
	}
	for (i = 0; i < old->nnodes; i++) {
		node = &old->nodes[i];
		other = config_node_find(new, node->name);
		if (other == NULL || !config_node_equal(node, other))
			config_list_add(&list, "node ", node->name);
	}
	for (i = 0; i < new->nnodes; i++) {
		node = &new->nodes[i];
		if (config_node_find(old, node->name) == NULL)
			config_list_add(&list, "node ", node->name);
	}
	return (list);
}

/* Give NEW the running values of OLD's options that need a restart. */
void
config_keep_restart_options(struct config *new, const struct config *old)
{
	const struct config_option	*o;
	struct config_list		*list;
	char				**dst;
	size_t				 i;

	/* Nodes and storage are left alone; see config.h. */
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (config_section_named(o->section) ||
		    (o->flags & CONFIG_RELOAD))
			continue;
		switch (o->type) {
		case CONFIG_INT:
		case CONFIG_BOOL:
			*(int *)config_field(new, o) =
			    *(const int *)config_field(old, o);
			break;
		case CONFIG_LIST:
			list = config_field(new, o);
			config_list_clear(list);
			config_list_copy(list, config_field(old, o));
			break;
		case CONFIG_STRING:
		case CONFIG_CHOICE:
			dst = (char **)config_field(new, o);
			free(*dst);
			*dst = *(char *const *)config_field(old, o) == NULL ?
			    NULL : xstrdup(*(char *const *)config_field(old, o));
			break;
		}
	}
}

/* Write TEXT to F as "# " comment lines of at most 76 columns. */
static void
config_write_comment(FILE *f, const char *text)
{
	const char	*s = text, *end;
	size_t		 len, word;

	while (*s != '\0') {
		len = 0;
		for (;;) {
			end = s + len;
			while (*end == ' ')
				end++;
			word = strcspn(end, " ");
			if (word == 0 ||
			    (len != 0 && (size_t)(end - s) + word > 74))
				break;
			len = (size_t)(end - s) + word;
		}
		fprintf(f, "# %.*s\n", (int)len, s);
		s += len;
		while (*s == ' ')
			s++;
	}
}

/* Write VALUE as the file would hold it: quoted if the quotes matter. */
static void
config_write_value(FILE *f, const char *value)
{
	size_t	len = strlen(value);

	if (len == 0 || value[0] == '"' || isspace((unsigned char)value[0]) ||
	    isspace((unsigned char)value[len - 1]))
		fprintf(f, "\"%s\"", value);
	else
		fputs(value, f);
}

/*
 * Write "# (default ..., WHEN)": option O's default and the values it takes,
 * and WHEN unless it is NULL.  Nothing for a string without a default.
 */
static void
config_write_facts(FILE *f, const struct config_option *o, const char *when)
{
	char	*list;

	switch (o->type) {
	case CONFIG_INT:
		fprintf(f, "# (default %d, range %d-%d", o->default_num,
		    o->min, o->max);
		break;
	case CONFIG_BOOL:
		fprintf(f, "# (default %s", o->default_num ? "true" : "false");
		break;
	case CONFIG_STRING:
		if (o->default_str == NULL)
			return;
		fprintf(f, "# (default \"%s\"", o->default_str);
		break;
	case CONFIG_CHOICE:
		list = config_choices(o, "|");
		fprintf(f, "# (default %s, one of %s", o->default_str, list);
		free(list);
		break;
	case CONFIG_LIST:
		fputs("# (default none, a comma-separated list", f);
		break;
	}
	if (when != NULL)
		fprintf(f, ", %s", when);
	fputs(")\n", f);
}

/* Write option O, commented out, with its help and default. */
static void
config_write_option(FILE *f, const struct config_option *o)
{
	fputc('\n', f);
	config_write_comment(f, o->help);
	config_write_facts(f, o,
	    (o->flags & CONFIG_RELOAD) ? "reloadable" : "needs restart");
	fprintf(f, "#%s = ", o->name);
	switch (o->type) {
	case CONFIG_INT:
		fprintf(f, "%d", o->default_num);
		break;
	case CONFIG_BOOL:
		fputs(o->default_num ? "true" : "false", f);
		break;
	case CONFIG_STRING:
		config_write_value(f, o->default_str);
		break;
	case CONFIG_CHOICE:
		fputs(o->default_str, f);
		break;
	case CONFIG_LIST:
		config_write_value(f, "");
		break;
	}
	fputc('\n', f);
}

/*
 * Write a commented example [WORD NAME] section of SECTION: every option
 * with its help, its default if it has one, and its sample value.
 */
static void
config_write_example(FILE *f, enum config_section section, const char *name)
{
	const struct config_option	*o;
	size_t				 i;

	fprintf(f, "#\n#[%s %s]\n", config_sections[section].name, name);
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->section != section)
			continue;
		fputs("#\n", f);
		config_write_comment(f, o->help);
		config_write_facts(f, o, NULL);
		fprintf(f, "#%s = %s\n", o->name, o->example);
	}
}

/* Write the commented example [node NAME] section. */
static void
config_write_node(FILE *f)
{
	char	*text;

	fputc('\n', f);
	xasprintf(&text, "%s  NAME is 1 to 64 letters, digits, '_', '.' or '-' "
	    "and unique; at most %d nodes.  Nodes are read at start only: "
	    "adding, removing or changing one needs a restart.",
	    config_sections[CONFIG_SECTION_NODE].help, CONFIG_NODES_MAX);
	config_write_comment(f, text);
	free(text);
	config_write_example(f, CONFIG_SECTION_NODE, "node-a");
}

/* Write the commented example [storage NAME] sections. */
static void
config_write_storage(FILE *f)
{
	char	*text;

	fputc('\n', f);
	xasprintf(&text, "%s  NAME is 1 to 64 letters, digits, '_', '.' or '-' "
	    "and unique; at most %d storage sections, each with paths or "
	    "pools.  A disk on storage that no section names counts as "
	    "ReadWriteOnce.  Storage sections are reloadable.",
	    config_sections[CONFIG_SECTION_STORAGE].help, CONFIG_STORAGE_MAX);
	config_write_comment(f, text);
	free(text);
	fputs("#\n", f);
	config_write_comment(f, "Shared NFS, mounted at the same path on every "
	    "host and kept in three copies:");
	config_write_example(f, CONFIG_SECTION_STORAGE, "shared-nfs");
	fputs("#\n", f);
	config_write_comment(f, "Container disks, ephemeral images each host "
	    "makes for itself:");
	fprintf(f, "#\n#[%s container-disks]\n"
	    "#paths = /var/lib/ferry/container-disks\n"
	    "#kind = containerDisk\n",
	    config_sections[CONFIG_SECTION_STORAGE].name);
}

/* Write the commented default file to F; see config.h. */
void
config_write_default(FILE *f)
{
	size_t	s, i;

	fputs("# ferryd.conf: configuration of ferryd, the ferry live-migration"
	    " daemon.\n"
	    "#\n"
	    "# Every option is listed with its help and default, commented out;"
	    "\n"
	    "# remove the '#' to change one.  Lines whose first non-blank is"
	    " '#'\n"
	    "# or ';' are comments.  Whitespace around names and values is"
	    " ignored;\n"
	    "# a value may be put in double quotes (there are no escapes)."
	    "  Options\n"
	    "# marked \"reloadable\" take effect on SIGHUP, the others need a"
	    " restart.\n"
	    "# A list is comma separated (networks = mgmt, vlan100), at most"
	    " 64 items;\n"
	    "# a boolean is true or false, yes or no, on or off, 1 or 0.\n", f);

	for (s = 0; s < config_sections_size; s++) {
		if (config_sections[s].named)
			continue;
		fputc('\n', f);
		config_write_comment(f, config_sections[s].help);
		fprintf(f, "[%s]\n", config_sections[s].name);
		for (i = 0; i < config_table_size; i++) {
			if (config_table[i].section == s)
				config_write_option(f, &config_table[i]);
		}
	}
	config_write_node(f);
	config_write_storage(f);
}
