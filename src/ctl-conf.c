/*
 * ctl-conf.c: ferryctl's configuration file: $XDG_CONFIG_HOME/ferry/
 * ferryctl.conf (~/.config/ferry/ferryctl.conf without it), or the file
 * --config names.  "key = value" lines give the server and the token (or
 * a file holding it), so that neither need be typed or put in the
 * environment; '#' or ';' starts a comment line, a value may be quoted.
 * As ferryd's config.c does, every error is collected, one "file:line:"
 * line each, before the load fails.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/ctl-conf.h"
#include "ferry/ctl-json.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#define CTL_CONF_LINE_MAX	4096	/* longest line, bytes */
#define CTL_CONF_ERRORS_MAX	20	/* errors told before "N more" */
#define CTL_CONF_TOKEN_MAX	4096	/* longest token, bytes */
#define CTL_CONF_QUOTE_MAX	64	/* bytes of bad text quoted back */
#define CTL_CONF_PATH		"ferry/ferryctl.conf" /* under the config
					   directory */

/* The keys of the file. */
enum ctl_conf_key {
	CTL_CONF_SERVER,	/* server = URL of ferryd's API */
	CTL_CONF_TOKEN,		/* token = the bearer token itself */
	CTL_CONF_TOKEN_FILE,	/* token_file = a file holding it */
	CTL_CONF_NKEYS
};

static const char *const ctl_conf_keys[CTL_CONF_NKEYS] = {
	[CTL_CONF_SERVER] = "server",
	[CTL_CONF_TOKEN] = "token",
	[CTL_CONF_TOKEN_FILE] = "token_file",
};

/* A configuration file as read. */
struct ctl_conf {
	char		*path;		/* the file read, NULL if none */
	char		*values[CTL_CONF_NKEYS]; /* each key's value, or NULL;
					   token_file made absolute */
	unsigned	 lines[CTL_CONF_NKEYS]; /* line that set each key */
	unsigned	 line;		/* number of the line being read */
	unsigned	 nerrors;	/* errors found */
	char		*cause;		/* the errors, one a line */
};

/* Record an error at line LINE (0: the file as a whole). */
static void __attribute__((format(printf, 3, 4)))
ctl_conf_error(struct ctl_conf *conf, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg = NULL, *text = NULL, *joined = NULL;

	if (++conf->nerrors > CTL_CONF_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (line != 0)
		xasprintf(&text, "%s:%u: %s", conf->path, line, msg);
	else
		xasprintf(&text, "%s: %s", conf->path, msg);
	if (conf->cause == NULL) {
		conf->cause = text;
		text = NULL;
	} else {
		xasprintf(&joined, "%s\n%s", conf->cause, text);
		free(conf->cause);
		conf->cause = joined;
	}
	free(text);
	free(msg);
}

/* A copy of untrusted S fit to quote in an error: cleaned and cut short. */
static char *
ctl_conf_quote(const char *s)
{
	char	*q = xstrndup(s, CTL_CONF_QUOTE_MAX);

	ctl_json_clean(q);
	return (q);
}

/*
 * Is TOKEN fit for an Authorization header: 1 to CTL_CONF_TOKEN_MAX
 * printable ASCII characters, no spaces?
 */
int
ctl_conf_token_valid(const char *token)
{
	size_t	i;

	for (i = 0; token[i] != '\0'; i++) {
		if (token[i] <= ' ' || token[i] > '~')
			return (0);
	}
	return (i > 0 && i <= CTL_CONF_TOKEN_MAX);
}

/* Is the file of ST readable by its group or by others? */
static int
ctl_conf_exposed(const struct stat *st)
{
	return ((st->st_mode & (S_IRGRP|S_IROTH)) != 0);
}

/* The file ferryctl reads without --config (allocated), or NULL. */
static char *
ctl_conf_default_path(void)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");
	char		*path = NULL;

	/* The XDG spec: a relative $XDG_CONFIG_HOME is to be ignored. */
	if (xdg != NULL && *xdg == '/')
		xasprintf(&path, "%s/%s", xdg, CTL_CONF_PATH);
	else if (home != NULL && *home != '\0')
		xasprintf(&path, "%s/.config/%s", home, CTL_CONF_PATH);
	return (path);
}

/*
 * TOKEN_FILE as a path to open (allocated): "~/" is $HOME, and a relative
 * path is relative to the directory of the configuration file.
 */
static char *
ctl_conf_resolve(const struct ctl_conf *conf, const char *file)
{
	const char	*home = getenv("HOME"), *slash;
	char		*path = NULL;

	if (strncmp(file, "~/", 2) == 0 && home != NULL && *home != '\0')
		xasprintf(&path, "%s/%s", home, file + 2);
	else if (*file != '/' &&
	    (slash = strrchr(conf->path, '/')) != NULL)
		xasprintf(&path, "%.*s/%s", (int)(slash - conf->path),
		    conf->path, file);
	else
		path = xstrdup(file);
	return (path);
}

/* Strip whitespace from both ends of S in place; return the new start. */
static char *
ctl_conf_strip(char *s)
{
	size_t	len;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		s[--len] = '\0';
	return (s);
}

/* Set KEY to VALUE (quotes still on) as read at the current line. */
static void
ctl_conf_set(struct ctl_conf *conf, const char *key, char *value)
{
	enum ctl_conf_key	 k;
	char			*quoted = NULL;
	size_t			 len;

	for (k = 0; k < CTL_CONF_NKEYS; k++) {
		if (strcmp(ctl_conf_keys[k], key) == 0)
			break;
	}
	if (k == CTL_CONF_NKEYS) {
		quoted = ctl_conf_quote(key);
		ctl_conf_error(conf, conf->line,
		    "unknown key '%s' (known: server, token, token_file)",
		    quoted);
		goto out;
	}
	if (conf->lines[k] != 0) {
		ctl_conf_error(conf, conf->line,
		    "'%s' is set twice, first at line %u", key,
		    conf->lines[k]);
		goto out;
	}
	conf->lines[k] = conf->line;
	if (*value == '"') {
		len = strlen(value);
		if (len < 2 || value[len - 1] != '"') {
			ctl_conf_error(conf, conf->line,
			    "'%s': missing closing '\"'", key);
			goto out;
		}
		value[len - 1] = '\0';
		value++;
	}
	if (*value == '\0') {
		ctl_conf_error(conf, conf->line, "'%s' must not be empty", key);
		goto out;
	}
	switch (k) {
	case CTL_CONF_SERVER:
		if (strcspn(value, " \t") != strlen(value)) {
			quoted = ctl_conf_quote(value);
			ctl_conf_error(conf, conf->line,
			    "'server': '%s' is not a URL", quoted);
			goto out;
		}
		conf->values[k] = xstrdup(value);
		break;
	case CTL_CONF_TOKEN:
		if (!ctl_conf_token_valid(value)) {
			ctl_conf_error(conf, conf->line,
			    "'token' must be 1 to %d printable characters without spaces",
			    CTL_CONF_TOKEN_MAX);
			goto out;
		}
		conf->values[k] = xstrdup(value);
		break;
	case CTL_CONF_TOKEN_FILE:
		conf->values[k] = ctl_conf_resolve(conf, value);
		break;
	case CTL_CONF_NKEYS:
		break;
	}
out:
	free(quoted);
}

/* Handle one line of the file, comments and blank lines included. */
static void
ctl_conf_line(struct ctl_conf *conf, char *line)
{
	char	*s, *eq, *quoted;

	s = ctl_conf_strip(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if ((eq = strchr(s, '=')) == NULL) {
		quoted = ctl_conf_quote(s);
		ctl_conf_error(conf, conf->line,
		    "missing '=' in '%s', expected 'key = value'", quoted);
		free(quoted);
		return;
	}
	*eq = '\0';
	s = ctl_conf_strip(s);
	if (*s == '\0') {
		ctl_conf_error(conf, conf->line, "missing key before '='");
		return;
	}
	ctl_conf_set(conf, s, ctl_conf_strip(eq + 1));
}

/* Read the lines of F into CONF. */
static void
ctl_conf_read(struct ctl_conf *conf, FILE *f)
{
	char	*buf = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	while ((n = getline(&buf, &size, f)) != -1) {
		conf->line++;
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n > CTL_CONF_LINE_MAX)
			ctl_conf_error(conf, conf->line,
			    "line is longer than %d bytes", CTL_CONF_LINE_MAX);
		else if (strlen(buf) != (size_t)n)
			ctl_conf_error(conf, conf->line,
			    "line contains a NUL byte");
		else
			ctl_conf_line(conf, buf);
	}
	if (ferror(f))
		ctl_conf_error(conf, 0, "read error: %s", strerror(errno));
	free(buf);
}

/*
 * Read configuration file PATH (NULL: the default one, which need not
 * exist) into *OUT.  -1 with *CAUSE, one error a line, if it cannot be
 * read or has bad lines.
 */
int
ctl_conf_load(const char *path, struct ctl_conf **out, char **cause)
{
	struct ctl_conf	*conf;
	struct stat	 st;
	FILE		*f = NULL;
	char		*more = NULL;
	int		 rv = -1;

	*out = NULL;
	memset(&st, 0, sizeof st);
	conf = xcalloc(1, sizeof *conf);
	conf->path = path != NULL ? xstrdup(path) : ctl_conf_default_path();
	if (conf->path == NULL)
		goto done;
	if ((f = fopen(conf->path, "r")) == NULL) {
		if (path == NULL && errno == ENOENT) {
			free(conf->path);
			conf->path = NULL;
			goto done;
		}
		xasprintf(cause, "cannot open '%s': %s", conf->path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		xasprintf(cause, "cannot read '%s': it is a directory",
		    conf->path);
		goto out;
	}
	ctl_conf_read(conf, f);
	if (conf->lines[CTL_CONF_TOKEN] != 0 &&
	    conf->lines[CTL_CONF_TOKEN_FILE] != 0)
		ctl_conf_error(conf, conf->lines[CTL_CONF_TOKEN] >
		    conf->lines[CTL_CONF_TOKEN_FILE] ?
		    conf->lines[CTL_CONF_TOKEN] :
		    conf->lines[CTL_CONF_TOKEN_FILE],
		    "'token' and 'token_file' are both set: keep one");
	if (conf->nerrors != 0) {
		if (conf->nerrors > CTL_CONF_ERRORS_MAX) {
			xasprintf(&more, "%s\n%s: %u more errors not shown",
			    conf->cause, conf->path,
			    conf->nerrors - CTL_CONF_ERRORS_MAX);
			free(conf->cause);
			conf->cause = more;
		}
		*cause = conf->cause;
		conf->cause = NULL;
		goto out;
	}
	if (conf->values[CTL_CONF_TOKEN] != NULL && ctl_conf_exposed(&st))
		fprintf(stderr,
		    "ferryctl: warning: '%s' holds a token and can be read by other users (chmod 600 it)\n",
		    conf->path);
done:
	*out = conf;
	conf = NULL;
	rv = 0;
out:
	if (f != NULL)
		fclose(f);
	ctl_conf_free(conf);
	return (rv);
}

/* Free CONF. */
void
ctl_conf_free(struct ctl_conf *conf)
{
	enum ctl_conf_key	k;

	if (conf == NULL)
		return;
	for (k = 0; k < CTL_CONF_NKEYS; k++)
		free(conf->values[k]);
	free(conf->cause);
	free(conf->path);
	free(conf);
}

/* The server CONF names, or NULL. */
const char *
ctl_conf_server(const struct ctl_conf *conf)
{
	return (conf->values[CTL_CONF_SERVER]);
}

/*
 * The token CONF gives, itself or read from its token_file, into *TOKEN
 * (allocated; NULL if it gives none).  -1 with *CAUSE if the file cannot
 * be read or does not hold one line with a token.
 */
int
ctl_conf_token(const struct ctl_conf *conf, char **token, char **cause)
{
	const char	*path = conf->values[CTL_CONF_TOKEN_FILE];
	struct stat	 st;
	FILE		*f;
	char		 buf[CTL_CONF_TOKEN_MAX + 3];
	size_t		 n;

	*token = NULL;
	if (conf->values[CTL_CONF_TOKEN] != NULL) {
		*token = xstrdup(conf->values[CTL_CONF_TOKEN]);
		return (0);
	}
	if (path == NULL)
		return (0);
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "token_file '%s': %s", path, strerror(errno));
		return (-1);
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	if (fstat(fileno(f), &st) == 0 && ctl_conf_exposed(&st))
		fprintf(stderr,
		    "ferryctl: warning: token_file '%s' can be read by other users (chmod 600 it)\n",
		    path);
	fclose(f);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (strlen(buf) != n || !ctl_conf_token_valid(buf)) {
		xasprintf(cause,
		    "token_file '%s': the token must be one line of 1 to %d printable characters without spaces",
		    path, CTL_CONF_TOKEN_MAX);
		return (-1);
	}
	*token = xstrdup(buf);
	return (0);
}
