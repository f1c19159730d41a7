/*
 * test-config-man.c: unit tests of config_write_man(), the ferryd.conf(5)
 * page made from the option table: it names every section and option of
 * the table with its type and default, says which options are reloadable,
 * and is well-formed roff (.TH first, known macros only, every .TP
 * followed by its tag and text, no blank lines, no line that roff would
 * take for a request by accident).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/config.h"
#include "ferry/config-priv.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* The page split into lines. */
struct page {
	char	*text;			/* the whole page */
	char	*buf;			/* a copy of text, cut into lines */
	char	**lines;		/* pointers into buf, NUL-terminated */
	size_t	 n;			/* how many lines */
};

/* Macros the page may use; anything else is a typo or an accident. */
static const char *const known_macros[] = {
	".TH", ".SH", ".SS", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi",
	".B", ".I", ".BR", ".IR", ".BI", ".IB", ".\\\"",
};

/* Write the page into P and split it into lines. */
static void
page_make(struct page *p)
{
	FILE	*f;
	char	*s;
	size_t	 len = 0, cap = 0;

	memset(p, 0, sizeof *p);
	f = open_memstream(&p->text, &len);
	assert_non_null(f);
	config_write_man(f);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0);
	assert_int_equal(p->text[len - 1], '\n');
	p->buf = xstrdup(p->text);
	p->buf[len - 1] = '\0';
	for (s = p->buf; s != NULL; ) {
		if (p->n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			p->lines = xreallocarray(p->lines, cap,
			    sizeof *p->lines);
		}
		p->lines[p->n++] = s;
		if ((s = strchr(s, '\n')) != NULL)
			*s++ = '\0';
	}
}

/* Free what P holds. */
static void
page_free(struct page *p)
{
	free(p->lines);
	free(p->buf);
	free(p->text);
}

/* The macro of LINE (".TP" of ".TP 4"), in BUF; NULL for a text line. */
static const char *
line_macro(const char *line, char *buf, size_t size)
{
	size_t	len;

	if (line[0] != '.' && line[0] != '\'')
		return (NULL);
	if (strncmp(line, ".\\\"", 3) == 0)
		return (".\\\"");
	len = strcspn(line, " ");
	if (len >= size)
		len = size - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return (buf);
}

/* The name of option O as the page writes it: minus signs escaped. */
static char *
escaped(const char *name)
{
	char	*out = xmalloc(strlen(name) * 2 + 1), *d = out;

	for (; *name != '\0'; name++) {
		if (*name == '-')
			*d++ = '\\';
		*d++ = *name;
	}
	*d = '\0';
	return (out);
}

/* Index of the .TP tag line of option O in section S, or P->n. */
static size_t
find_option(const struct page *p, const struct config_option *o)
{
	char	*section, *tag;
	size_t	 i, at = p->n;

	xasprintf(&section, ".SS \"[%s%s]\"", config_sections[o->section].name,
	    config_sections[o->section].named ? " NAME" : "");
	tag = escaped(o->name);
	for (i = 0; i < p->n && strcmp(p->lines[i], section) != 0; i++)
		;
	for (i++; i + 1 < p->n && strncmp(p->lines[i], ".S", 2) != 0; i++) {
		if (strcmp(p->lines[i], ".TP") == 0 &&
		    strncmp(p->lines[i + 1], "\\fB", 3) == 0 &&
		    strncmp(p->lines[i + 1] + 3, tag, strlen(tag)) == 0 &&
		    strncmp(p->lines[i + 1] + 3 + strlen(tag), "\\fR = \\fI",
		    9) == 0) {
			at = i + 1;
			break;
		}
	}
	free(tag);
	free(section);
	return (at);
}

/* Does the paragraph of the option at tag line AT contain NEEDLE? */
static int
paragraph_has(const struct page *p, size_t at, const char *needle)
{
	size_t	i;

	for (i = at + 1; i < p->n && p->lines[i][0] != '.'; i++) {
		if (strstr(p->lines[i], needle) != NULL)
			return (1);
	}
	return (0);
}

/* The page starts with .TH naming ferryd.conf in section 5. */
static void
config_write_man__output__th_first(void **state)
{
	struct page	p;

	page_make(&p);
	assert_true(strncmp(p.lines[0], ".TH FERRYD.CONF 5 ", 18) == 0);
	assert_true(strstr(p.text, "\n.SH NAME\nferryd.conf \\- ") != NULL);
	assert_non_null(strstr(p.text, "\n.SH SYNOPSIS\n"));
	assert_non_null(strstr(p.text, "\n.SH DESCRIPTION\n"));
	assert_non_null(strstr(p.text, "\n.SH \"SEE ALSO\"\n"));
	page_free(&p);
}

/*
 * Every line is a text line or one of the known macros; no blank lines
 * but in no-fill mode; .TH once; every .TP is followed by a tag line and
 * a text line.
 */
static void
config_write_man__output__valid_roff(void **state)
{
	struct page	 p;
	const char	*m;
	char		 buf[16];
	size_t		 i, j, nth = 0, ntp = 0;
	int		 known, nofill = 0;

	page_make(&p);
	for (i = 0; i < p.n; i++) {
		if (p.lines[i][0] == '\0' && !nofill)
			fail_msg("line %zu is blank", i + 1);
		if (strcmp(p.lines[i], ".nf") == 0)
			nofill = 1;
		if (strcmp(p.lines[i], ".fi") == 0)
			nofill = 0;
		if ((m = line_macro(p.lines[i], buf, sizeof buf)) == NULL)
			continue;
		known = 0;
		for (j = 0; j < nitems(known_macros); j++) {
			if (strcmp(m, known_macros[j]) == 0)
				known = 1;
		}
		if (!known)
			fail_msg("line %zu: unknown request '%s'", i + 1,
			    p.lines[i]);
		if (strcmp(m, ".TH") == 0)
			nth++;
		if (strcmp(m, ".TP") == 0) {
			ntp++;
			if (i + 2 >= p.n)
				fail_msg("line %zu: .TP at the end", i + 1);
			if (line_macro(p.lines[i + 1], buf, sizeof buf) !=
			    NULL || line_macro(p.lines[i + 2], buf,
			    sizeof buf) != NULL)
				fail_msg("line %zu: .TP not followed by a tag "
				    "and text", i + 1);
		}
		if ((strcmp(m, ".SH") == 0 || strcmp(m, ".SS") == 0) &&
		    strlen(p.lines[i]) < 5)
			fail_msg("line %zu: a heading without a title",
			    i + 1);
	}
	assert_int_equal(nth, 1);
	assert_int_equal(nofill, 0);
	assert_true(ntp >= config_table_size);
	/* Fill mode is turned off for the example and back on. */
	assert_non_null(strstr(p.text, "\n.nf\n"));
	assert_non_null(strstr(p.text, "\n.fi\n"));
	page_free(&p);
}

/* Every section of the table is a subsection with its help. */
static void
config_write_man__sections__each_with_help(void **state)
{
	struct page	 p;
	char		*want, *help;
	size_t		 s;

	page_make(&p);
	for (s = 0; s < config_sections_size; s++) {
		help = escaped(config_sections[s].help);
		xasprintf(&want, "\n.SS \"[%s%s]\"\n%s\n",
		    config_sections[s].name, config_sections[s].named ?
		    " NAME" : "", help);
		if (strstr(p.text, want) == NULL)
			fail_msg("section '%s' missing or without its help",
			    config_sections[s].name);
		free(want);
		free(help);
	}
	page_free(&p);
}

/*
 * Every option of the table has a .TP paragraph in its section, with its
 * type, its help, its default and whether a SIGHUP applies it.
 */
static void
config_write_man__options__every_row_documented(void **state)
{
	static const char *const	 types[] = {
		[CONFIG_INT] = "integer", [CONFIG_STRING] = "string",
		[CONFIG_CHOICE] = "word", [CONFIG_BOOL] = "boolean",
		[CONFIG_LIST] = "list",
	};
	const struct config_option	*o;
	struct page			 p;
	char				*want, *value;
	size_t				 i, at;

	page_make(&p);
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if ((at = find_option(&p, o)) == p.n)
			fail_msg("option '%s' is not in section [%s]",
			    o->name, config_sections[o->section].name);
		xasprintf(&want, "\\fR = \\fI%s\\fR", types[o->type]);
		if (strstr(p.lines[at], want) == NULL)
			fail_msg("option '%s': type '%s' not given", o->name,
			    types[o->type]);
		free(want);
		if (!paragraph_has(&p, at, o->flags & CONFIG_RELOAD ?
		    "Reloadable" : "Needs a restart"))
			fail_msg("option '%s': reload flag not given",
			    o->name);
		switch (o->type) {
		case CONFIG_INT:
			xasprintf(&want, "Range %d to %d; default \\fB%d\\fR.",
			    o->min, o->max, o->default_num);
			break;
		case CONFIG_BOOL:
			xasprintf(&want, "Default \\fB%s\\fR.",
			    o->default_num ? "true" : "false");
			break;
		case CONFIG_STRING:
		case CONFIG_CHOICE:
			if (o->default_str == NULL) {
				want = xstrdup("");
				break;
			}
			value = escaped(o->default_str);
			xasprintf(&want, "efault \\fB\\%%%s\\fR.", value);
			if (*value == '\0') {
				free(want);
				want = xstrdup("efault empty.");
			}
			free(value);
			break;
		case CONFIG_LIST:
			want = xstrdup("Default: no items.");
			break;
		}
		if (!paragraph_has(&p, at, want))
			fail_msg("option '%s': default '%s' not given",
			    o->name, want);
		free(want);
		value = escaped(o->help);
		if (strcmp(p.lines[at + 1], value) != 0)
			fail_msg("option '%s': help not on the line after its "
			    "tag", o->name);
		free(value);
	}
	page_free(&p);
}

/* Every choice of a word option is listed. */
static void
config_write_man__choices__all_listed(void **state)
{
	const struct config_option	*o;
	const char *const		*c;
	struct page			 p;
	char				*want;
	size_t				 i, at;

	page_make(&p);
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->type != CONFIG_CHOICE)
			continue;
		at = find_option(&p, o);
		assert_true(at < p.n);
		for (c = o->choices; *c != NULL; c++) {
			xasprintf(&want, "\\fB\\%%%s\\fR", *c);
			if (!paragraph_has(&p, at, want))
				fail_msg("option '%s': choice '%s' missing",
				    o->name, *c);
			free(want);
		}
	}
	page_free(&p);
}

/*
 * The example holds a [node node-a] and a [storage shared-nfs] section
 * with every sample value of the table.
 */
static void
config_write_man__example__every_sample(void **state)
{
	const struct config_option	*o;
	struct page			 p;
	char				*want, *name, *value;
	const char			*ex;
	size_t				 i;

	page_make(&p);
	ex = strstr(p.text, "\n.SH EXAMPLE\n");
	assert_non_null(ex);
	assert_non_null(strstr(ex, "\n[node node\\-a]\n"));
	assert_non_null(strstr(ex, "\n[storage shared\\-nfs]\n"));
	for (i = 0; i < config_table_size; i++) {
		o = &config_table[i];
		if (o->example == NULL)
			continue;
		name = escaped(o->name);
		value = escaped(o->example);
		xasprintf(&want, "\n%s = %s\n", name, value);
		if (strstr(ex, want) == NULL)
			fail_msg("example lacks '%s = %s'", o->name,
			    o->example);
		free(want);
		free(value);
		free(name);
	}
	page_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_write_man__output__th_first),
		cmocka_unit_test(config_write_man__output__valid_roff),
		cmocka_unit_test(config_write_man__sections__each_with_help),
		cmocka_unit_test(
		    config_write_man__options__every_row_documented),
		cmocka_unit_test(config_write_man__choices__all_listed),
		cmocka_unit_test(config_write_man__example__every_sample),
	};

	return (cmocka_run_group_tests_name("config-man", tests, NULL, NULL));
}
