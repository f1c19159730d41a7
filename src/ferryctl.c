/*
 * ferryctl.c: the operator's command line.  Each command is a row (name,
 * usage, help, options, handler) in one table, so a new verb is one row
 * and one function; ctl-get.c is 'get', ctl-watch.c 'watch', ctl-conf.c
 * the configuration file, ctl-api.c talks to ferryd, ctl-mig.c formats
 * migrations, ctl-inv.c nodes and VMs, ctl-evac.c drains and evacuations.
 */

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <yajl/yajl_tree.h>
#include <yajl/yajl_version.h>

#include "ferry/ctl.h"
#include "ferry/ctl-api.h"
#include "ferry/ctl-conf.h"
#include "ferry/ctl-evac.h"
#include "ferry/ctl-get.h"
#include "ferry/ctl-inv.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-mig.h"
#include "ferry/ctl-util.h"
#include "ferry/ctl-watch.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define CTL_DEFAULT_SERVER	"http://127.0.0.1:8470"
#define CTL_POLL_MS		250		/* --wait poll interval */
#define CTL_PLAIN_PROGRESS_MS	2000		/* plain progress line every */
#define CTL_RETRY_MS		10000		/* --wait rides out outages */

/* The options commands take, by bit: for help and "does not take". */
static const struct {
	int		 bit;		/* CTL_OPT_* */
	const char	*name;		/* as the operator types it */
	const char	*usage;		/* with its argument, for help */
	const char	*help;		/* what it does */
} ctl_opts[] = {
	{ .bit = CTL_OPT_TO, .name = "--to", .usage = "    --to NODE",
	  .help = "the target node (default: ferryd picks the best fit)" },
	{ .bit = CTL_OPT_WAIT, .name = "--wait", .usage = "    --wait",
	  .help = "follow it until it ends: a progress line redrawn on a\n"
	    "terminal, a line per change otherwise" },
	{ .bit = CTL_OPT_OUTPUT, .name = "-o",
	  .usage = "-o, --output FORMAT",
	  .help = "json: the API's JSON; wide: more columns; name: the\n"
	    "names alone, one a line" },
	{ .bit = CTL_OPT_BY, .name = "--by", .usage = "    --by WHO",
	  .help = "who asks, recorded on the node and the evacuation\n"
	    "(default: \"api\"; 1 to 64 bytes)" },
	{ .bit = CTL_OPT_NODE, .name = "--node", .usage = "    --node NODE",
	  .help = "only what concerns node NODE" },
	{ .bit = CTL_OPT_FORCE, .name = "--force", .usage = "    --force",
	  .help = "abort even a migration an evacuation created" },
};

/* -o FORMAT, by the names the operator types. */
static const char *ctl_outputs[] = {
	[CTL_OUTPUT_TABLE] = NULL,
	[CTL_OUTPUT_WIDE] = "wide",
	[CTL_OUTPUT_JSON] = "json",
	[CTL_OUTPUT_NAME] = "name",
};

/* Exit codes of what a drain or uncordon came to. */
static const int ctl_evac_exits[] = {
	[CTL_EVAC_END_OK] = CTL_EXIT_OK,
	[CTL_EVAC_END_ERROR] = CTL_EXIT_ERROR,
	[CTL_EVAC_END_FAILED] = CTL_EXIT_FAILED,
	[CTL_EVAC_END_CANCELLED] = CTL_EXIT_ABORTED,
	[CTL_EVAC_END_INTERRUPTED] = CTL_EXIT_INTERRUPTED,
};

/* What a --wait has shown so far. */
struct ctl_wait {
	const char	*name;		/* migration being watched */
	int		 tty;		/* stdout is a tty: redraw one line */
	size_t		 line_len;	/* length of the bar on screen */
	size_t		 shown;		/* transitions printed (plain mode) */
	char		 last_phase[32]; /* phase printed last (plain mode) */
	uint64_t	 last_progress;	/* last plain progress line, ms */
	uint64_t	 started;	/* when waiting began, monotonic ms */
};

static int	ctl_cmd_migrate(struct ctl *, int, char **);
static int	ctl_cmd_describe(struct ctl *, int, char **);
static int	ctl_cmd_abort(struct ctl *, int, char **);
static int	ctl_cmd_drain(struct ctl *, int, char **);
static int	ctl_cmd_uncordon(struct ctl *, int, char **);
static int	ctl_cmd_version(struct ctl *, int, char **);
static int	ctl_cmd_help(struct ctl *, int, char **);

static const struct ctl_cmd ctl_migrate_cmd = {
	.name = "migrate", .usage = "migrate VM [--to NODE] [--wait]",
	.summary = "live-migrate VM (to NODE, or ferryd picks)",
	.help = "Without --to, ferryd picks the target that fits best; if\n"
	    "none fits yet, the migration waits in phase pending.\n"
	    "A VM that is not live-migratable is refused (HTTP 422) with\n"
	    "every reason; 'ferryctl describe vm VM' lists them too.\n"
	    "With --wait, follow the migration until it ends: on a\n"
	    "terminal a progress bar redrawn in place (percent, MiB\n"
	    "processed of total, rate, time left); otherwise a line per\n"
	    "phase and a progress line at most every 2 seconds.\n",
	.exits = "  0    created; with --wait, the migration succeeded\n"
	    CTL_EXITS_ERROR CTL_EXITS_USAGE
	    "  3    with --wait, the migration failed\n"
	    "  4    with --wait, the migration was aborted\n"
	    "  130  with --wait, interrupted (the migration goes on)\n",
	.opts = CTL_OPT_TO|CTL_OPT_WAIT, .min_args = 1, .max_args = 1,
	.exec = ctl_cmd_migrate,
};

static const struct ctl_cmd ctl_describe_cmd = {
	.name = "describe", .usage = "describe vm|evacuation NAME",
	.summary = "show everything about a VM or an evacuation",
	.help = "describe vm NAME: its node, phase, memory, CPU, disks,\n"
	    "interfaces, host devices and placement rules; whether it is\n"
	    "live-migratable and, if not, every reason; and its active or\n"
	    "last migration.\n"
	    "describe evacuation NAME: its node, who asked, phase, reason,\n"
	    "times and counts, and a row per VM found on the node: its\n"
	    "migration, the migration's phase and every reason it did not\n"
	    "move.\n",
	.opts = 0, .min_args = 2, .max_args = 2,
	.exec = ctl_cmd_describe,
};

static const struct ctl_cmd ctl_abort_cmd = {
	.name = "abort", .usage = "abort NAME [--force]",
	.summary = "ask ferryd to abort migration NAME",
	.help = "The migration ends aborted once the hypervisor confirms; one\n"
	    "in phase completing or already ended is refused.  A migration\n"
	    "an evacuation created is refused (HTTP 409) without --force:\n"
	    "aborting it leaves its VM on the draining node and fails the\n"
	    "evacuation.\n",
	.opts = CTL_OPT_FORCE, .min_args = 1, .max_args = 1,
	.exec = ctl_cmd_abort,
};

static const struct ctl_cmd ctl_drain_cmd = {
	.name = "drain", .usage = "drain NODE [--wait] [--by WHO]",
	.summary = "cordon NODE and evacuate its VMs",
	.help = "Cordons NODE and puts the evacuation taint on it; the\n"
	    "leading ferryd then migrates every live-migratable VM off it,\n"
	    "in batches under the concurrency limits.  Draining a drained\n"
	    "node is accepted again.\n"
	    "With --wait, follow the evacuation until it ends: VMs done /\n"
	    "total on one redrawn line on a terminal, a line per change\n"
	    "otherwise; at the end, the VMs that did not move and why.\n",
	.exits = "  0    drained; with --wait, the evacuation completed\n"
	    CTL_EXITS_ERROR CTL_EXITS_USAGE
	    "  3    with --wait, the evacuation failed\n"
	    "  4    with --wait, the evacuation was cancelled (ferryctl "
	    "uncordon NODE)\n"
	    "  130  with --wait, interrupted (the drain goes on)\n",
	.opts = CTL_OPT_WAIT|CTL_OPT_BY, .min_args = 1, .max_args = 1,
	.exec = ctl_cmd_drain,
};

static const struct ctl_cmd ctl_uncordon_cmd = {
	.name = "uncordon", .usage = "uncordon NODE [--by WHO]",
	.summary = "make NODE schedulable again; cancel its evacuation",
	.help = "Takes the cordon and the evacuation taint off NODE.  A\n"
	    "running evacuation ends cancelled: its pending migrations end\n"
	    "aborted (EvacuationCancelled), running ones finish.\n",
	.opts = CTL_OPT_BY, .min_args = 1, .max_args = 1,
	.exec = ctl_cmd_uncordon,
};

static const struct ctl_cmd ctl_version_cmd = {
	.name = "version", .usage = "version",
	.summary = "print ferryctl's version",
	.exits = CTL_EXITS_OK CTL_EXITS_USAGE,
	.opts = 0, .min_args = 0, .max_args = 0, .local = 1,
	.exec = ctl_cmd_version,
};

static const struct ctl_cmd ctl_help_cmd = {
	.name = "help", .usage = "help [COMMAND]",
	.summary = "show help for ferryctl or one command",
	.exits = CTL_EXITS_OK CTL_EXITS_USAGE,
	.opts = 0, .min_args = 0, .max_args = 1, .local = 1,
	.exec = ctl_cmd_help,
};

/*
 * The commands, in the order the help lists them.  A command in a file of
 * its own (ctl-get.c, ctl-watch.c) defines its row there, declares it in
 * its header, and is one line here.
 */
static const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_migrate_cmd,
	&ctl_get_cmd,
	&ctl_describe_cmd,
	&ctl_abort_cmd,
	&ctl_drain_cmd,
	&ctl_uncordon_cmd,
	&ctl_watch_cmd,
	&ctl_version_cmd,
	&ctl_help_cmd,
};

/* Print the options every command takes to F. */
static void
ctl_usage_global(FILE *f)
{
	fprintf(f,
	    "  -s, --server URL     ferryd's API (default: $FERRY_SERVER, else "
	    "the\n"
	    "                       config file's server, else "
	    CTL_DEFAULT_SERVER ")\n"
	    "      --token TOKEN    bearer token (default: $FERRY_TOKEN, else "
	    "the\n"
	    "                       config file's token or token_file)\n"
	    "      --config FILE    configuration file (default:\n"
	    "                       $XDG_CONFIG_HOME/ferry/ferryctl.conf, "
	    "else\n"
	    "                       " CTL_CONF_DEFAULT ")\n");
}

/* Print the global help to F. */
static void
ctl_usage(FILE *f)
{
	size_t	i, width = 0;

	for (i = 0; i < nitems(ctl_cmds); i++) {
		if (strlen(ctl_cmds[i]->usage) > width)
			width = strlen(ctl_cmds[i]->usage);
	}
	fprintf(f, "usage: ferryctl [-s URL] [--token TOKEN] [--config FILE] "
	    "COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < nitems(ctl_cmds); i++)
		fprintf(f, "  %-*s  %s\n", (int)width, ctl_cmds[i]->usage,
		    ctl_cmds[i]->summary);
	fprintf(f, "\nOptions (before or after the command):\n");
	ctl_usage_global(f);
	fprintf(f, "  -h, --help           show help; COMMAND --help for one "
	    "command\n"
	    "\nThe server and the token come from the options, else\n"
	    "$FERRY_SERVER and $FERRY_TOKEN, else the configuration file\n"
	    "(server = URL, token = TOKEN or token_file = FILE lines).\n"
	    "\nExit status:\n"
	    "  0    success; with --wait, the migration succeeded or the "
	    "evacuation completed\n"
	    CTL_EXITS_ERROR CTL_EXITS_USAGE
	    "  3    with --wait, the migration or the evacuation failed\n"
	    "  4    with --wait, the migration was aborted or the evacuation "
	    "cancelled\n"
	    "  130  interrupted while waiting (the migration or the drain "
	    "goes on)\n");
}

/* Print the text of an option's help, continued lines indented, to F. */
static void
ctl_usage_text(FILE *f, const char *text, int indent)
{
	const char	*nl;

	while ((nl = strchr(text, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - text), text, indent, "");
		text = nl + 1;
	}
	fprintf(f, "%s\n", text);
}

/* Print the help of CMD to F: usage, what it does, options, exit codes. */
static void
ctl_usage_cmd(FILE *f, const struct ctl_cmd *cmd)
{
	size_t	i;

	fprintf(f, "usage: ferryctl [OPTIONS] %s\n\n%s.\n", cmd->usage,
	    cmd->summary);
	if (cmd->help != NULL)
		fprintf(f, "\n%s", cmd->help);
	if (cmd->opts != 0) {
		fprintf(f, "\nOptions:\n");
		for (i = 0; i < nitems(ctl_opts); i++) {
			if ((cmd->opts & ctl_opts[i].bit) == 0)
				continue;
			fprintf(f, "  %-19s  ", ctl_opts[i].usage);
			ctl_usage_text(f, ctl_opts[i].help, 2 + 19 + 2);
		}
	}
	if (!cmd->local) {
		fprintf(f, "\nGlobal options:\n");
		ctl_usage_global(f);
	}
	fprintf(f, "\nExit status:\n%s", cmd->exits != NULL ? cmd->exits :
	    CTL_EXITS_OK CTL_EXITS_ERROR CTL_EXITS_USAGE);
}

/* Report a usage error about CMD (NULL: global) and return the exit code. */
int
ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ferryctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "\nusage: ferryctl %s\n", cmd->usage);
	else
		fprintf(stderr, "\nrun 'ferryctl --help' for the commands\n");
	return (CTL_EXIT_USAGE);
}

/* Find the command called NAME. */
static const struct ctl_cmd *
ctl_cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_cmds); i++) {
		if (strcmp(ctl_cmds[i]->name, name) == 0)
			return (ctl_cmds[i]);
	}
	return (NULL);
}

/* Redraw the one-line progress bar of W for M. */
static void
ctl_wait_draw(struct ctl_wait *w, const struct ctl_mig *m)
{
	char	line[512], bar[64], text[128], eta[32];
	size_t	cols = ctl_util_tty_width(), width, fill;
	int	pct;

	if (!m->has_progress) {
		snprintf(line, sizeof line, "%s: %s", w->name, m->phase);
	} else {
		ctl_mig_eta(m, eta, sizeof eta);
		snprintf(text, sizeof text, "%.0f/%.0f MiB  %.1f MiB/s  %s",
		    m->processed / 1048576.0, m->total / 1048576.0,
		    m->bps / 1048576.0, eta);
		pct = ctl_mig_percent(m);
		/* Room for "phase      100% [] " and ~36 of text. */
		width = cols > 1 + 20 + 36 + 10 ? cols - 1 - 20 - 36 : 10;
		if (width > 40)
			width = 40;
		fill = width * (size_t)pct / 100;
		memset(bar, '#', fill);
		memset(bar + fill, '-', width - fill);
		bar[width] = '\0';
		snprintf(line, sizeof line, "%-10s %3d%% [%s]  %s", m->phase,
		    pct, bar, text);
	}
	ctl_util_line_draw(&w->line_len, line);
}

/* Print the phases M went through since the last call (plain mode). */
static void
ctl_wait_phases(struct ctl_wait *w, const struct ctl_mig *m)
{
	yajl_val	 t;
	const char	*phase;
	size_t		 i;

	for (i = w->shown; m->transitions != NULL &&
	    i < m->transitions->u.array.len; i++) {
		t = m->transitions->u.array.values[i];
		phase = ctl_json_string(t, "phase");
		if (phase == NULL || strcmp(phase, w->last_phase) == 0)
			continue;
		printf("phase: %s\n", phase);
		snprintf(w->last_phase, sizeof w->last_phase, "%s", phase);
	}
	if (m->transitions != NULL)
		w->shown = m->transitions->u.array.len;
	/* The list may lag the current phase, or be missing. */
	if (strcmp(m->phase, w->last_phase) != 0) {
		printf("phase: %s\n", m->phase);
		snprintf(w->last_phase, sizeof w->last_phase, "%s", m->phase);
	}
}

/* Show M's state: redraw the bar, or print new phases and some progress. */
static void
ctl_wait_show(struct ctl_wait *w, const struct ctl_mig *m)
{
	char		text[128];
	uint64_t	now = util_now_ms();

	if (w->tty) {
		ctl_wait_draw(w, m);
		return;
	}
	ctl_wait_phases(w, m);
	if (m->has_progress && m->kind == CTL_MIG_ACTIVE &&
	    (w->last_progress == 0 ||
	    now - w->last_progress >= CTL_PLAIN_PROGRESS_MS)) {
		ctl_mig_progress(m, text, sizeof text);
		printf("progress: %d%% (%s)\n", ctl_mig_percent(m), text);
		w->last_progress = now;
	}
	fflush(stdout);
}

/* Print how M ended and return the exit code. */
static int
ctl_wait_done(struct ctl_wait *w, const struct ctl_mig *m)
{
	uint64_t	created, ended;
	double		secs;
	const char	*what;

	ctl_util_line_clear(&w->line_len);
	if (m->kind == CTL_MIG_SUCCEEDED) {
		if (ctl_mig_time_parse(m->created, &created) == 0 &&
		    ctl_mig_time_parse(m->ended, &ended) == 0 &&
		    ended >= created)
			secs = (double)(ended - created) / 1000.0;
		else
			secs = (double)(util_now_ms() - w->started) / 1000.0;
		printf("migration %s succeeded in %.1fs\n", m->name, secs);
		return (CTL_EXIT_OK);
	}
	what = m->kind == CTL_MIG_FAILED ? "failed" : "aborted";
	printf("migration %s %s%s%s%s%s%s\n", m->name, what,
	    *m->reason != '\0' ? ": " : "", m->reason,
	    *m->message != '\0' ? " (" : "", m->message,
	    *m->message != '\0' ? ")" : "");
	return (m->kind == CTL_MIG_FAILED ? CTL_EXIT_FAILED :
	    CTL_EXIT_ABORTED);
}

/* Follow migration NAME until it ends; returns the exit code. */
static int
ctl_wait(struct ctl *ctl, const char *name)
{
	struct ctl_wait		 w;
	struct ctl_mig		 m;
	struct sigaction	 old;
	yajl_val		 tree = NULL;
	char			*path = NULL, *cause = NULL;
	uint64_t		 last_ok;
	long			 status;
	int			 retval = CTL_EXIT_ERROR;

	memset(&w, 0, sizeof w);
	w.name = name;
	w.tty = isatty(STDOUT_FILENO);
	w.started = last_ok = util_now_ms();
	xasprintf(&path, "/v1/migrations/%s", name);

	ctl_util_sigint_start(&old);

	for (;;) {
		if (ctl_api_interrupted()) {
			ctl_util_line_clear(&w.line_len);
			fprintf(stderr,
			    "ferryctl: stopped waiting; migration '%s' goes on (stop it with 'ferryctl abort %s')\n",
			    name, name);
			retval = CTL_EXIT_INTERRUPTED;
			goto out;
		}
		yajl_tree_free(tree);
		tree = NULL;
		free(cause);
		cause = NULL;
		if (ctl_api_call(ctl->api, "GET", path, NULL, &tree, &status,
		    &cause) != 0) {
			if (ctl_api_interrupted())
				continue;
			/* Ride out a restarting ferryd or a network blip. */
			if ((status == 0 || status >= 500) &&
			    util_now_ms() - last_ok < CTL_RETRY_MS) {
				ctl_util_sleep_ms(CTL_POLL_MS);
				continue;
			}
			goto out;
		}
		last_ok = util_now_ms();
		if (ctl_mig_parse(tree, &m, &cause) != 0)
			goto out;
		ctl_wait_show(&w, &m);
		if (m.kind != CTL_MIG_ACTIVE) {
			retval = ctl_wait_done(&w, &m);
			goto out;
		}
		ctl_util_sleep_ms(CTL_POLL_MS);
	}
out:
	ctl_util_sigint_stop(&old);
	if (cause != NULL) {
		ctl_util_line_clear(&w.line_len);
		fprintf(stderr, "ferryctl: %s\n", cause);
	}
	yajl_tree_free(tree);
	free(cause);
	free(path);
	return (retval);
}

/*
 * migrate VM [--to NODE] [--wait]: create a migration, maybe follow it.
 * Without --to the body is {} and ferryd picks the target.
 */
static int
ctl_cmd_migrate(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_mig	 m;
	yajl_val	 tree = NULL;
	char		*path = NULL, *body = NULL, *cause = NULL, *name = NULL;
	long		 status;
	int		 retval = CTL_EXIT_ERROR;

	if (!util_name_valid(argv[0]))
		return (ctl_usage_error(NULL, "invalid VM name '%s'", argv[0]));
	if (ctl->to != NULL && !util_name_valid(ctl->to))
		return (ctl_usage_error(NULL, "invalid node name '%s'",
		    ctl->to));

	/* Both names are [A-Za-z0-9_.-]: safe in a path and a JSON string. */
	xasprintf(&path, "/v1/vms/%s/migrate", argv[0]);
	if (ctl->to != NULL)
		xasprintf(&body, "{\"targetNode\":\"%s\"}", ctl->to);
	else
		body = xstrdup("{}");
	if (ctl_api_call(ctl->api, "POST", path, body, &tree, &status,
	    &cause) != 0 || ctl_mig_parse(tree, &m, &cause) != 0)
		goto out;
	/* Without --to and no target in the answer yet, the target is "-". */
	printf("migration %s created (%s: %s -> %s)\n", m.name,
	    strcmp(m.vm, "-") != 0 ? m.vm : argv[0], m.source,
	    strcmp(m.target, "-") != 0 || ctl->to == NULL ? m.target :
	    ctl->to);
	fflush(stdout);
	name = xstrdup(m.name);
	yajl_tree_free(tree);
	tree = NULL;
	retval = ctl->wait ? ctl_wait(ctl, name) : CTL_EXIT_OK;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	yajl_tree_free(tree);
	free(name);
	free(cause);
	free(body);
	free(path);
	return (retval);
}

/*
 * describe vm NAME: show a VM, its migratability and its migration;
 * describe evacuation NAME: an evacuation and its VMs.
 */
static int
ctl_cmd_describe(struct ctl *ctl, int argc, char **argv)
{
	yajl_val	 tree = NULL;
	char		*path = NULL, *cause = NULL;
	long		 status;
	int		 retval = CTL_EXIT_ERROR, vm;

	if (strcmp(argv[0], "vm") != 0 && strcmp(argv[0], "evacuation") != 0)
		return (ctl_usage_error(&ctl_describe_cmd,
		    "unknown resource type '%s' (known: vm, evacuation)",
		    argv[0]));
	vm = (strcmp(argv[0], "vm") == 0);
	if (!(vm ? util_name_valid(argv[1]) : ctl_evac_id_valid(argv[1])))
		return (ctl_usage_error(NULL, "invalid %s name '%s'",
		    vm ? "VM" : "evacuation", argv[1]));
	xasprintf(&path, "/v1/%s/%s", vm ? "vms" : "evacuations", argv[1]);
	if (ctl_api_call(ctl->api, "GET", path, NULL, &tree, &status,
	    &cause) != 0)
		goto out;
	if ((vm ? ctl_inv_vm_describe(tree, &cause) :
	    ctl_evac_describe(tree, &cause)) == 0)
		retval = CTL_EXIT_OK;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	yajl_tree_free(tree);
	free(cause);
	free(path);
	return (retval);
}

/* abort NAME [--force]: ask ferryd to abort a migration. */
static int
ctl_cmd_abort(struct ctl *ctl, int argc, char **argv)
{
	yajl_val	 tree = NULL;
	char		*path = NULL, *cause = NULL;
	long		 status;
	int		 retval = CTL_EXIT_ERROR;

	if (!util_name_valid(argv[0]))
		return (ctl_usage_error(NULL, "invalid migration name '%s'",
		    argv[0]));
	xasprintf(&path, "/v1/migrations/%s/abort%s", argv[0],
	    ctl->force ? "?force=true" : "");
	if (ctl_api_call(ctl->api, "POST", path, NULL, &tree, &status,
	    &cause) != 0)
		goto out;
	printf("abort of %s requested\n", argv[0]);
	retval = CTL_EXIT_OK;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	yajl_tree_free(tree);
	free(cause);
	free(path);
	return (retval);
}

/* Check the arguments of drain and uncordon; 0 or a usage exit code. */
static int
ctl_node_args(struct ctl *ctl, const char *node)
{
	if (!util_name_valid(node))
		return (ctl_usage_error(NULL, "invalid node name '%s'", node));
	if (ctl->by != NULL && !ctl_evac_by_valid(ctl->by))
		return (ctl_usage_error(NULL,
		    "--by must be 1 to 64 bytes without control characters"));
	return (0);
}

/* drain NODE [--wait] [--by WHO]: evacuate a node, maybe follow it. */
static int
ctl_cmd_drain(struct ctl *ctl, int argc, char **argv)
{
	int	retval;

	if ((retval = ctl_node_args(ctl, argv[0])) != 0)
		return (retval);
	return (ctl_evac_exits[ctl_evac_drain(ctl->api, argv[0], ctl->by,
	    ctl->wait)]);
}

/* uncordon NODE [--by WHO]: end a drain. */
static int
ctl_cmd_uncordon(struct ctl *ctl, int argc, char **argv)
{
	int	retval;

	if ((retval = ctl_node_args(ctl, argv[0])) != 0)
		return (retval);
	return (ctl_evac_exits[ctl_evac_uncordon(ctl->api, argv[0],
	    ctl->by)]);
}

/* version: print ferryctl's and its libraries' versions. */
static int
ctl_cmd_version(struct ctl *ctl, int argc, char **argv)
{
	int	y = yajl_version();

	printf("ferryctl %s (libcurl %s, yajl %d.%d.%d)\n", PACKAGE_VERSION,
	    curl_version_info(CURLVERSION_NOW)->version, y / 10000,
	    y / 100 % 100, y % 100);
	return (CTL_EXIT_OK);
}

/* help [COMMAND]: print the global or a command's help. */
static int
ctl_cmd_help(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_cmd	*cmd;

	if (argc == 0) {
		ctl_usage(stdout);
		return (CTL_EXIT_OK);
	}
	if ((cmd = ctl_cmd_find(argv[0])) == NULL)
		return (ctl_usage_error(NULL, "unknown command '%s'", argv[0]));
	ctl_usage_cmd(stdout, cmd);
	return (CTL_EXIT_OK);
}

/* Parse -o NAME into *OUT; -1 if NAME is not a format. */
static int
ctl_output_parse(const char *name, enum ctl_output *out)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_outputs); i++) {
		if (ctl_outputs[i] != NULL &&
		    strcmp(ctl_outputs[i], name) == 0) {
			*out = (enum ctl_output)i;
			return (0);
		}
	}
	return (-1);
}

/* Print CAUSE on stderr, one "ferryctl: " line for each of its lines. */
static void
ctl_error_lines(const char *cause)
{
	const char	*nl;

	while ((nl = strchr(cause, '\n')) != NULL) {
		fprintf(stderr, "ferryctl: %.*s\n", (int)(nl - cause), cause);
		cause = nl + 1;
	}
	fprintf(stderr, "ferryctl: %s\n", cause);
}

/*
 * Make CTL's client for ferryd.  SERVER and TOKEN are the options' (NULL
 * if not given); else $FERRY_SERVER and $FERRY_TOKEN; else configuration
 * file CONFIG's (NULL: the default file, if there is one); else the
 * default server and no token.  0, or the exit code.
 */
static int
ctl_connect(struct ctl *ctl, const char *server, const char *token,
    const char *config)
{
	struct ctl_conf	*conf = NULL;
	const char	*env, *from = "--token";
	char		*cause = NULL, *file_token = NULL;
	int		 retval = CTL_EXIT_USAGE;

	if (ctl_conf_load(config, &conf, &cause) != 0) {
		ctl_error_lines(cause);
		goto out;
	}
	if (server == NULL && (env = getenv("FERRY_SERVER")) != NULL &&
	    *env != '\0')
		server = env;
	if (server == NULL && (server = ctl_conf_server(conf)) == NULL)
		server = CTL_DEFAULT_SERVER;
	if (*server == '\0') {
		retval = ctl_usage_error(NULL, "empty server URL");
		goto out;
	}
	if (token == NULL && (env = getenv("FERRY_TOKEN")) != NULL &&
	    *env != '\0') {
		token = env;
		from = "$FERRY_TOKEN";
	}
	if (token == NULL) {
		if (ctl_conf_token(conf, &file_token, &cause) != 0) {
			ctl_error_lines(cause);
			goto out;
		}
		token = file_token;
	}
	/* "--token ''" sends none, whatever the environment says. */
	if (token != NULL && *token != '\0' && !ctl_conf_token_valid(token)) {
		retval = ctl_usage_error(NULL,
		    "the token of %s must be printable characters without spaces",
		    from);
		goto out;
	}
	if ((ctl->api = ctl_api_create(server, &cause)) == NULL) {
		fprintf(stderr, "ferryctl: %s\n", cause);
		retval = CTL_EXIT_ERROR;
		goto out;
	}
	ctl_api_set_token(ctl->api, token);
	retval = 0;
out:
	ctl_conf_free(conf);
	free(file_token);
	free(cause);
	return (retval);
}

/* Parse the command line, run the command, return its exit code. */
int
main(int argc, char **argv)
{
	static const struct option	 long_opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "to", required_argument, NULL, 't' },
		{ "wait", no_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "by", required_argument, NULL, 'b' },
		{ "node", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "token", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl			 ctl;
	const struct ctl_cmd		*cmd = NULL;
	const char			*server = NULL, *token = NULL;
	const char			*config = NULL;
	char				**args = NULL;
	size_t				 i;
	int				 ch, nargs = 0, help = 0, given = 0;
	int				 retval = CTL_EXIT_USAGE;

	memset(&ctl, 0, sizeof ctl);

	/*
	 * "-" makes getopt hand back operands in order (code 1), so options
	 * may come before or after the command and its arguments.  The first
	 * operand is the command, the rest are its arguments.
	 */
	args = xcalloc((size_t)argc + 1, sizeof *args);
	while ((ch = getopt_long(argc, argv, "-hs:o:", long_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 1:
			if (cmd != NULL)
				args[nargs++] = optarg;
			else if ((cmd = ctl_cmd_find(optarg)) == NULL) {
				retval = ctl_usage_error(NULL,
				    "unknown command '%s'", optarg);
				goto out;
			}
			break;
		case 's':
			server = optarg;
			break;
		case 'T':
			token = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'h':
			help = 1;
			break;
		case 'V':
			ctl_cmd_version(&ctl, 0, NULL);
			retval = CTL_EXIT_OK;
			goto out;
		case 't':
			ctl.to = optarg;
			given |= CTL_OPT_TO;
			break;
		case 'w':
			ctl.wait = 1;
			given |= CTL_OPT_WAIT;
			break;
		case 'o':
			if (ctl_output_parse(optarg, &ctl.output) != 0) {
				retval = ctl_usage_error(cmd,
				    "unknown output format '%s' (known: json, wide, name)",
				    optarg);
				goto out;
			}
			given |= CTL_OPT_OUTPUT;
			break;
		case 'b':
			ctl.by = optarg;
			given |= CTL_OPT_BY;
			break;
		case 'n':
			ctl.node = optarg;
			given |= CTL_OPT_NODE;
			break;
		case 'f':
			ctl.force = 1;
			given |= CTL_OPT_FORCE;
			break;
		default:	/* getopt has printed why */
			retval = ctl_usage_error(cmd, "bad option");
			goto out;
		}
	}
	for (; optind < argc; optind++) {	/* operands after "--" */
		if (cmd != NULL)
			args[nargs++] = argv[optind];
		else if ((cmd = ctl_cmd_find(argv[optind])) == NULL) {
			retval = ctl_usage_error(NULL, "unknown command '%s'",
			    argv[optind]);
			goto out;
		}
	}

	if (cmd == NULL) {
		if (help) {
			ctl_usage(stdout);
			retval = CTL_EXIT_OK;
		} else
			retval = ctl_usage_error(NULL, "no command given");
		goto out;
	}
	if (help) {
		ctl_usage_cmd(stdout, cmd);
		retval = CTL_EXIT_OK;
		goto out;
	}
	for (i = 0; i < nitems(ctl_opts); i++) {
		if ((given & ~cmd->opts & ctl_opts[i].bit) != 0) {
			retval = ctl_usage_error(cmd, "'%s' does not take %s",
			    cmd->name, ctl_opts[i].name);
			goto out;
		}
	}
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		retval = ctl_usage_error(cmd,
		    "wrong number of arguments for '%s'", cmd->name);
		goto out;
	}

	if (!cmd->local &&
	    (retval = ctl_connect(&ctl, server, token, config)) != 0)
		goto out;
	retval = cmd->exec(&ctl, nargs, args);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ferryctl: cannot write to stdout\n");
		if (retval == CTL_EXIT_OK)
			retval = CTL_EXIT_ERROR;
	}
out:
	ctl_api_free(ctl.api);
	free(args);
	return (retval);
}
