/*
 * config.c: read, check and compare ferryd's configuration file.  Every
 * rule comes from the option table in config-table.c; this file only knows
 * the INI syntax.  Errors are collected, one line each, and reported
 * together so that one run shows everything wrong with a file.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config-priv.h"
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
	int			 too_many;	/* the node limit was reported */
	u_int			*set_line;	/* per table row: line that set
						   it in this section, or 0 */
	char			*cause;		/* errors so far, one a line */
	u_int			 nerrors;	/* errors found, also those past
						   CONFIG_ERRORS_MAX */
};

static void	config_error(struct config_parse *, u_int, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/* Where option O lives in BASE (a struct config or struct config_node). */
static void *
config_field(const void *base, const struct config_option *o)
{
	return ((char *)base + o->offset);
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
	for (i = 0; s[i] != '\0' && i < CONFIG_QUOTE_MAX; i++) {
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
		*(int *)config_field(base, o) = o->default_num;
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		if (o->default_str != NULL)
			*(char **)config_field(base, o) = xstrdup(o->default_str);
		break;
	}
}

/* Free the strings option O holds in BASE. */
static void
config_clear(void *base, const struct config_option *o)
{
	char	**sp;

	switch (o->type) {
	case CONFIG_INT:
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		sp = config_field(base, o);
		free(*sp);
		*sp = NULL;
		break;
	}
}

/* Is option O the same in A and B? */
static int
config_option_equal(const struct config_option *o, const void *a,
    const void *b)
{
	const char	*sa, *sb;

	switch (o->type) {
	case CONFIG_INT:
		return (*(int *)config_field(a, o) == *(int *)config_field(b, o));
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

/* Handle "KEY = VALUE" in the current section. */
static void
config_parse_option(struct config_parse *p, const char *key, char *value)
{
	const struct config_option	*o;
	void				*base;
	char				**sp;
	size_t				 len, row;
	int				 n;

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
			return;
		}
		value[len - 1] = '\0';
		value++;
	}

	if (o->section == CONFIG_SECTION_NODE)
		base = &p->config->nodes[p->node];
	else
		base = p->config;

	switch (o->type) {
	case CONFIG_INT:
		if (config_parse_int(p, o, value, &n) == 0)
			*(int *)config_field(base, o) = n;
		break;
	case CONFIG_STRING:
	case CONFIG_CHOICE:
		if (config_check_string(p, o, value) == 0) {
			sp = config_field(base, o);
			free(*sp);
			*sp = xstrdup(value);
		}
		break;
	}
}

/* Close the current section: check that a node has what it needs. */
static void
config_end_section(struct config_parse *p)
{
	struct config_node		*node;
	const struct config_option	*o;
	size_t				 i;

	if (!p->in_section || p->skip || p->section != CONFIG_SECTION_NODE)
		return;
	node = &p->config->nodes[p->node];

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

/* Start a [node NAME] section; 0 or -1 (reported). */
static int
config_start_node(struct config_parse *p, const char *name)
{
	struct config		*c = p->config;
	const struct config_node *other;
	char			*quoted = NULL;
	size_t			 i;
	int			 rv = -1;

	if (*name == '\0') {
		config_error(p, p->line, NULL,
		    "section [node] needs a name: [node NAME]");
		goto out;
	}
	quoted = config_quote(name);
	if (!util_name_valid(name)) {
		config_error(p, p->line, NULL, "invalid node name '%s' (1 to "
		    "64 letters, digits, '_', '.' or '-')", quoted);
		goto out;
	}
	if ((other = config_node_find(c, name)) != NULL) {
		config_error(p, p->line, NULL,
		    "duplicate node '%s', first at line %d", quoted,
		    other->line);
		goto out;
	}
	if (c->nnodes >= CONFIG_NODES_MAX) {
		if (!p->too_many) {
			config_error(p, p->line, NULL,
			    "more than %d nodes", CONFIG_NODES_MAX);
		}
		p->too_many = 1;
		goto out;
	}

	c->nodes = xreallocarray(c->nodes, c->nnodes + 1, sizeof *c->nodes);
	p->node = c->nnodes++;
	c->nodes[p->node] = (struct config_node){
		.name = xstrdup(name),
		.line = (int)p->line
	};

	/* Node options may be set once per node. */
	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section == CONFIG_SECTION_NODE)
			p->set_line[i] = 0;
	}
	rv = 0;
out:
	free(quoted);
	return (rv);
}

/* Handle a "[section]" or "[node NAME]" line; S starts with '['. */
static void
config_parse_section(struct config_parse *p, char *s)
{
	char	*end, *name, *arg, *quoted = NULL;
	size_t	 i;

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

	if (p->section == CONFIG_SECTION_NODE) {
		if (config_start_node(p, arg) != 0)
			goto out;
	} else if (*arg != '\0') {
		config_error(p, p->line, NULL, "section [%s] takes no name",
		    name);
		goto out;
	}
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
	free(p.cause);
	config_free(p.config);
	return (rv);
}

/* A config with every option at its default and no nodes. */
struct config *
config_default(void)
{
	struct config	*c;
	size_t		 i;

	c = xcalloc(1, sizeof *c);
	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section != CONFIG_SECTION_NODE)
			config_set_default(c, &config_table[i]);
	}
	return (c);
}

/* Free C and everything it holds; C may be NULL. */
void
config_free(struct config *c)
{
	struct config_node	*node;
	size_t			 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < config_table_size; i++) {
		if (config_table[i].section != CONFIG_SECTION_NODE)
			config_clear(c, &config_table[i]);
	}
	for (j = 0; j < c->nnodes; j++) {
		node = &c->nodes[j];
		for (i = 0; i < config_table_size; i++) {
			if (config_table[i].section == CONFIG_SECTION_NODE)
				config_clear(node, &config_table[i]);
		}
		free(node->name);
	}
	free(c->nodes);
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

	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->section == CONFIG_SECTION_NODE ||
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
	char				**dst;
	size_t				 i;

	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->section == CONFIG_SECTION_NODE ||
		    (o->flags & CONFIG_RELOAD))
			continue;
		switch (o->type) {
		case CONFIG_INT:
			*(int *)config_field(new, o) =
			    *(const int *)config_field(old, o);
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

/* Write option O, commented out, with its help and default. */
static void
config_write_option(FILE *f, const struct config_option *o)
{
	const char	*when;
	char		*list;

	when = (o->flags & CONFIG_RELOAD) ? "reloadable" : "needs restart";
	fputc('\n', f);
	config_write_comment(f, o->help);
	switch (o->type) {
	case CONFIG_INT:
		fprintf(f, "# (default %d, range %d-%d, %s)\n", o->default_num,
		    o->min, o->max, when);
		fprintf(f, "#%s = %d\n", o->name, o->default_num);
		break;
	case CONFIG_STRING:
		fprintf(f, "# (default \"%s\", %s)\n", o->default_str, when);
		fprintf(f, "#%s = ", o->name);
		config_write_value(f, o->default_str);
		fputc('\n', f);
		break;
	case CONFIG_CHOICE:
		list = config_choices(o, "|");
		fprintf(f, "# (default %s, one of %s, %s)\n", o->default_str,
		    list, when);
		fprintf(f, "#%s = %s\n", o->name, o->default_str);
		free(list);
		break;
	}
}

/* Write the commented example [node NAME] section. */
static void
config_write_node(FILE *f)
{
	const struct config_option	*o;
	char				*text;
	size_t				 i;

	fputc('\n', f);
	xasprintf(&text, "%s  NAME is 1 to 64 letters, digits, '_', '.' or '-' "
	    "and unique; at most %d nodes.  Nodes are read at start only: "
	    "adding, removing or changing one needs a restart.",
	    config_sections[CONFIG_SECTION_NODE].help, CONFIG_NODES_MAX);
	config_write_comment(f, text);
	free(text);
	fprintf(f, "#\n#[%s node-a]\n", config_sections[CONFIG_SECTION_NODE].name);
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->section != CONFIG_SECTION_NODE)
			continue;
		fputs("#\n", f);
		config_write_comment(f, o->help);
		fprintf(f, "#%s = %s\n", o->name, o->example);
	}
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
	    " restart.\n", f);

	for (s = 0; s < config_sections_size; s++) {
		if (s == CONFIG_SECTION_NODE)
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
}
