/*
 * config-man.c: the ferryd.conf(5) manual page, written from the option
 * table (config-table.c) as config_write_default() writes the default
 * file, so that the page cannot drift from what ferryd accepts.  The build
 * runs "ferryd --man-config" to make doc/ferryd.conf.5.
 */

#include <stdio.h>
#include <string.h>

#include "ferry/config-priv.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Names of enum config_type as the page spells them. */
static const char *const config_man_types[] = {
	[CONFIG_INT] = "integer",
	[CONFIG_STRING] = "string",
	[CONFIG_CHOICE] = "word",
	[CONFIG_BOOL] = "boolean",
	[CONFIG_LIST] = "list",
};

/*
 * Write TEXT for use inside a roff text line: backslashes and minus signs
 * escaped, so that option names and values copy and paste as typed.
 */
static void
config_man_escape(FILE *f, const char *text)
{
	const char	*s;

	for (s = text; *s != '\0'; s++) {
		switch (*s) {
		case '\\':
			fputs("\\e", f);
			break;
		case '-':
			fputs("\\-", f);
			break;
		case '\n':
			fputc(' ', f);
			break;
		default:
			fputc(*s, f);
			break;
		}
	}
}

/*
 * Write TEXT as one roff text line; a leading '.' or '\'' would make it a
 * request, so "\&" goes first.
 */
static void
config_man_line(FILE *f, const char *text)
{
	if (text[0] == '.' || text[0] == '\'')
		fputs("\\&", f);
	config_man_escape(f, text);
	fputc('\n', f);
}

/* Write VALUE in bold and never hyphenated, or "empty" for "". */
static void
config_man_value(FILE *f, const char *value)
{
	if (*value == '\0') {
		fputs("empty", f);
		return;
	}
	fputs("\\fB\\%", f);
	config_man_escape(f, value);
	fputs("\\fR", f);
}

/* Write MACRO, the configuration file's path, then TAIL, as one line. */
static void
config_man_path(FILE *f, const char *macro, const char *tail)
{
	fprintf(f, "%s \"", macro);
	config_man_escape(f, SYSCONFDIR "/ferryd.conf");
	fprintf(f, "\"%s\n", tail);
}

/* Write the sentences after option O's help: values, default, flags. */
static void
config_man_facts(FILE *f, const struct config_option *o)
{
	const char *const	*c;

	switch (o->type) {
	case CONFIG_INT:
		fprintf(f, "Range %d to %d; default \\fB%d\\fR.\n", o->min,
		    o->max, o->default_num);
		break;
	case CONFIG_BOOL:
		fprintf(f, "Default \\fB%s\\fR.\n", o->default_num ? "true" :
		    "false");
		break;
	case CONFIG_STRING:
		if (o->default_str != NULL) {
			fputs("Default ", f);
			config_man_value(f, o->default_str);
			fputs(".\n", f);
		}
		break;
	case CONFIG_CHOICE:
		fputs("One of", f);
		for (c = o->choices; *c != NULL; c++) {
			fputs(c == o->choices ? " " : c[1] == NULL ? " or " :
			    ", ", f);
			config_man_value(f, *c);
		}
		fputs("; default ", f);
		config_man_value(f, o->default_str);
		fputs(".\n", f);
		break;
	case CONFIG_LIST:
		fputs("Default: no items.\n", f);
		break;
	}
	if (o->flags & CONFIG_REQUIRED)
		fputs("Required.\n", f);
	if ((o->flags & CONFIG_NAME) && o->type == CONFIG_LIST)
		fputs("Each item is 1 to 64 letters, digits, '_', '.' or "
		    "'\\-'.\n", f);
	else if (o->flags & CONFIG_NAME)
		fprintf(f, "%s 1 to 64 letters, digits, '_', '.' or '\\-'.\n",
		    o->flags & CONFIG_NONEMPTY ? "A value of" : "Empty, or");
	else if (o->flags & CONFIG_NONEMPTY)
		fputs("May not be empty.\n", f);
	if (o->flags & CONFIG_PATH)
		fputs("Each item is an absolute path.\n", f);
	if (o->flags & CONFIG_RELOAD)
		fputs("Reloadable: a SIGHUP applies a change.\n", f);
	else
		fputs("Needs a restart: a SIGHUP keeps the running value.\n",
		    f);
	if (o->example != NULL) {
		fputs("Example: ", f);
		config_man_value(f, o->example);
		fputs(".\n", f);
	}
}

/* Write one option of the table as a .TP paragraph. */
static void
config_man_option(FILE *f, const struct config_option *o)
{
	fputs(".TP\n\\fB", f);
	config_man_escape(f, o->name);
	fprintf(f, "\\fR = \\fI%s\\fR\n", config_man_types[o->type]);
	config_man_line(f, o->help);
	config_man_facts(f, o);
}

/* Write the paragraph that says how a named section's NAME is made. */
static void
config_man_named(FILE *f, enum config_section s)
{
	fprintf(f, ".PP\nNAME is 1 to 64 letters, digits, '_', '.' or '\\-' "
	    "and unique among the [%s] sections; at most %d of them.\n",
	    config_sections[s].name, s == CONFIG_SECTION_NODE ?
	    CONFIG_NODES_MAX : CONFIG_STORAGE_MAX);
	if (s == CONFIG_SECTION_NODE)
		fputs("Nodes are read at start only: adding, removing or "
		    "changing one needs a restart.\n", f);
	if (s == CONFIG_SECTION_STORAGE)
		fputs("Each needs paths or pools.\n"
		    "A disk on storage that no section names counts as "
		    "ReadWriteOnce.\n"
		    "Storage sections are reloadable.\n", f);
}

/* Write the sections of the table, each with its options. */
static void
config_man_sections(FILE *f)
{
	size_t	s, i;

	fputs(".SH SECTIONS\n", f);
	for (s = 0; s < config_sections_size; s++) {
		fprintf(f, ".SS \"[%s%s]\"\n", config_sections[s].name,
		    config_sections[s].named ? " NAME" : "");
		config_man_line(f, config_sections[s].help);
		if (config_sections[s].named)
			config_man_named(f, (enum config_section)s);
		for (i = 0; i < config_table_size; i++) {
			if (config_table[i].section == s)
				config_man_option(f, &config_table[i]);
		}
	}
}

/* Write an example of each named section from the table's sample values. */
static void
config_man_example(FILE *f)
{
	static const char *const	 names[] = {
		[CONFIG_SECTION_NODE] = "node\\-a",
		[CONFIG_SECTION_STORAGE] = "shared\\-nfs",
	};
	const struct config_option	*o;
	size_t				 s, i;

	fputs(".SH EXAMPLE\n"
	    "One section of each named kind, with the sample values of the "
	    "default file\n"
	    "(\\fBferryd \\-\\-dump\\-config\\fR);\n"
	    "every option left out keeps its default.\n"
	    ".PP\n.RS 4\n.nf\n", f);
	for (s = 0; s < config_sections_size; s++) {
		if (!config_sections[s].named)
			continue;
		if (s != CONFIG_SECTION_NODE)
			fputs("\n", f);
		fprintf(f, "[%s %s]\n", config_sections[s].name, names[s]);
		for (i = 0; i < config_table_size; i++) {
			o = &config_table[i];
			if (o->section != s || o->example == NULL)
				continue;
			config_man_escape(f, o->name);
			fputs(" = ", f);
			config_man_escape(f, o->example);
			fputc('\n', f);
		}
	}
	fputs(".fi\n.RE\n", f);
}

/* Write the ferryd.conf(5) manual page to F; see config.h. */
void
config_write_man(FILE *f)
{
	fprintf(f, ".TH FERRYD.CONF 5 \"\" \"ferry %s\" "
	    "\"File Formats Manual\"\n", PACKAGE_VERSION);
	fputs(".\\\" Written by 'ferryd --man-config' from the option "
	    "table in\n"
	    ".\\\" src/config-table.c.  Do not edit: change the table.\n"
	    ".SH NAME\n"
	    "ferryd.conf \\- configuration file of ferryd, the ferry "
	    "live\\-migration daemon\n"
	    ".SH SYNOPSIS\n", f);
	config_man_path(f, ".I", "");
	fputs(".SH DESCRIPTION\n"
	    ".BR ferryd (8)\n"
	    "reads its configuration from the file given with\n"
	    ".BR \\-c ,\n"
	    "by default\n", f);
	config_man_path(f, ".IR", " .");
	fputs("The file is in INI form: a\n"
	    ".BI [ section ]\n"
	    "header line, then\n"
	    ".IB key \" = \" value\n"
	    "lines until the next header.\n"
	    "Lines whose first non\\-blank character is\n"
	    ".B #\n"
	    "or\n"
	    ".B ;\n"
	    "are comments, and blank lines are ignored.\n"
	    "Whitespace around names and values is ignored;\n"
	    "a value may be put in double quotes (there are no escapes),\n"
	    "which keeps leading and trailing spaces and allows the empty "
	    "string.\n", f);
	fprintf(f, "Lines are at most %d bytes.\n", CONFIG_LINE_MAX);
	fputs(".PP\n"
	    "The sections [ferryd], [redis] and [migration] may appear "
	    "more than once and merge, but an option is set at most once in "
	    "the file.\n"
	    "[node NAME] and [storage NAME] describe one host and one "
	    "storage class each, and set each of their options at most "
	    "once.\n"
	    "Unknown sections and options, malformed lines, values out of "
	    "range, duplicate options, duplicate names and a node without "
	    "\\fBuri\\fR are errors;\n"
	    "ferryd reports every error of the file, each as "
	    "\\fIFILE\\fR:\\fILINE\\fR: and the text, and does not start.\n"
	    ".PP\n"
	    "Options marked reloadable take effect when ferryd receives "
	    "SIGHUP.\n"
	    "The others keep their running value until a restart; the "
	    "reload names them in the log.\n"
	    "A reload whose file has errors changes nothing.\n"
	    ".PP\n"
	    ".B ferryd \\-\\-check\\-config\n"
	    ".I FILE\n"
	    "checks a file without starting the daemon, and\n"
	    ".B ferryd \\-\\-dump\\-config\n"
	    "prints every option, commented out, with its help and "
	    "default.\n"
	    ".SH \"VALUE TYPES\"\n"
	    ".TP\n"
	    "\\fIinteger\\fR\n"
	    "A decimal number within the option's range.\n"
	    ".TP\n"
	    "\\fIstring\\fR\n"
	    "Any text.\n"
	    ".TP\n"
	    "\\fIword\\fR\n"
	    "One of the words the option lists.\n"
	    ".TP\n"
	    "\\fIboolean\\fR\n"
	    "\\fBtrue\\fR or \\fBfalse\\fR, \\fByes\\fR or \\fBno\\fR, "
	    "\\fBon\\fR or \\fBoff\\fR, \\fB1\\fR or \\fB0\\fR.\n"
	    ".TP\n"
	    "\\fIlist\\fR\n"
	    "Items separated by commas, as in \\fBnetworks = mgmt, "
	    "vlan100\\fR;\n", f);
	fprintf(f, "each is trimmed, not empty, at most %d bytes and given "
	    "once; at most %d items.\n"
	    "An empty value is the empty list.\n",
	    CONFIG_ITEM_MAX, CONFIG_LIST_MAX);
	config_man_sections(f);
	config_man_example(f);
	fputs(".SH FILES\n"
	    ".TP\n"
	    "\\fI", f);
	config_man_escape(f, SYSCONFDIR "/ferryd.conf");
	fputs("\\fR\n", f);
	fputs("The configuration file.\n"
	    ".SH \"SEE ALSO\"\n"
	    ".BR ferryd (8),\n"
	    ".BR ferryctl (1)\n", f);
}
