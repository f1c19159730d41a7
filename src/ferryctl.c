/*
 * ferryctl.c: the operator's command line.  Commands live in one table
 * (name, usage, options, handler) so a new verb is one row and one
 * function; ctl-api.c talks to ferryd, ctl-mig.c formats migrations,
 * ctl-inv.c nodes and VMs, ctl-evac.c drains and evacuations.
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

#include "ferry/ctl-api.h"
#include "ferry/ctl-evac.h"
#include "ferry/ctl-inv.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-mig.h"
#include "ferry/ctl-util.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define CTL_DEFAULT_SERVER	"http://127.0.0.1:8470"
#define CTL_POLL_MS		250		/* --wait poll interval */
#define CTL_PLAIN_PROGRESS_MS	2000		/* plain progress line every */
#define CTL_RETRY_MS		10000		/* --wait rides out outages */

/* Exit codes; ctl_usage() documents them. */
enum ctl_exit {
	CTL_EXIT_OK = 0,		/* ok; awaited migration succeeded,
					   awaited evacuation completed */
	CTL_EXIT_ERROR = 1,		/* API said no, or unreachable */
	CTL_EXIT_USAGE = 2,		/* bad command line */
	CTL_EXIT_FAILED = 3,		/* the awaited migration or
					   evacuation failed */
	CTL_EXIT_ABORTED = 4,		/* the awaited migration was aborted,
					   the awaited evacuation cancelled */
	CTL_EXIT_INTERRUPTED = 130,	/* Ctrl-C while waiting */
};

/* Options a command accepts, as bits in ctl_cmd.opts. */
#define CTL_OPT_TO	0x1	/* --to NODE */
#define CTL_OPT_WAIT	0x2	/* --wait */
#define CTL_OPT_OUTPUT	0x4	/* -o json */
#define CTL_OPT_BY	0x8	/* --by WHO */
#define CTL_OPT_NODE	0x10	/* --node NODE */
#define CTL_OPT_FORCE	0x20	/* --force */

/* Option names by bit, for "does not take" errors. */
static const struct {
	int		 bit;		/* CTL_OPT_* */
	const char	*name;		/* as the operator types it */
} ctl_opt_names[] = {
	{ .bit = CTL_OPT_TO, .name = "--to" },
	{ .bit = CTL_OPT_WAIT, .name = "--wait" },
	{ .bit = CTL_OPT_OUTPUT, .name = "-o" },
	{ .bit = CTL_OPT_BY, .name = "--by" },
	{ .bit = CTL_OPT_NODE, .name = "--node" },
	{ .bit = CTL_OPT_FORCE, .name = "--force" },
};

/* Exit codes of what a drain or uncordon came to. */
static const int ctl_evac_exits[] = {
	[CTL_EVAC_END_OK] = CTL_EXIT_OK,
	[CTL_EVAC_END_ERROR] = CTL_EXIT_ERROR,
	[CTL_EVAC_END_FAILED] = CTL_EXIT_FAILED,
	[CTL_EVAC_END_CANCELLED] = CTL_EXIT_ABORTED,
	[CTL_EVAC_END_INTERRUPTED] = CTL_EXIT_INTERRUPTED,
};

/* State of one ferryctl run. */
struct ctl {
	struct ctl_api	*api;		/* client for ferryd */
	const char	*to;		/* --to NODE, or NULL */
	int		 wait;		/* --wait was given */
	int		 json;		/* -o json was given */
	const char	*by;		/* --by WHO, or NULL */
	const char	*node;		/* --node NODE, or NULL */
	int		 force;		/* --force was given */
};

/* One row of the command table. */
struct ctl_cmd {
	const char	*name;		/* verb the operator types */
	const char	*usage;		/* verb and its arguments */
	const char	*summary;	/* one line for the global help */
	const char	*help;		/* more for COMMAND --help, or NULL */
	int		 opts;		/* CTL_OPT_* bits accepted */
	int		 min_args;	/* fewest arguments after the verb */
	int		 max_args;	/* most arguments after the verb */
	int		 local;		/* runs without talking to ferryd */
	int		(*exec)(struct ctl *, int, char **); /* runs it */
};

/* A kind of object 'get' shows: where the API keeps it, how to print it. */
struct ctl_kind {
	const char	*singular;	/* "node": needs a NAME */
	const char	*plural;	/* "nodes": the list, or one NAME */
	const char	*path;		/* API collection, "/v1/nodes" */
	int		(*table)(yajl_val *, size_t, char **); /* rows */
	int		 by_node;	/* the list takes ?node=NODE */
	int		(*valid)(const char *); /* NAME check, NULL: a name */
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
static int	ctl_cmd_get(struct ctl *, int, char **);
static int	ctl_cmd_describe(struct ctl *, int, char **);
static int	ctl_cmd_abort(struct ctl *, int, char **);
static int	ctl_cmd_drain(struct ctl *, int, char **);
static int	ctl_cmd_uncordon(struct ctl *, int, char **);
static int	ctl_cmd_version(struct ctl *, int, char **);
static int	ctl_cmd_help(struct ctl *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ .name = "migrate", .usage = "migrate VM [--to NODE] [--wait]",
	  .summary = "live-migrate VM (to NODE, or ferryd picks)",
	  .help = "Without --to, ferryd picks the target that fits best; if\n"
	    "none fits yet, the migration waits in phase pending.\n"
	    "A VM that is not live-migratable is refused (HTTP 422) with\n"
	    "every reason; 'ferryctl describe vm VM' lists them too.\n"
	    "With --wait, follow the migration until it ends: a\n"
	    "progress bar on a terminal, one line per phase otherwise.\n"
	    "Exit 0 if it succeeded, 3 if it failed, 4 if it was aborted.\n",
	  .opts = CTL_OPT_TO|CTL_OPT_WAIT, .min_args = 1, .max_args = 1,
	  .exec = ctl_cmd_migrate },
	{ .name = "get", .usage = "get TYPE [NAME] [--node NODE] [-o json]",
	  .summary = "list migrations, nodes, VMs or evacuations, or show one",
	  .help = "TYPE is migrations, nodes, vms or evacuations; migration,\n"
	    "node, vm or evacuation need a NAME.  Columns:\n"
	    "  get migrations   NAME VM SOURCE TARGET PHASE REASON PROGRESS "
	    "AGE\n"
	    "  get nodes        NAME STATUS SCHEDULABLE VMS CPUS MEMORY "
	    "HOST-MODEL\n"
	    "  get vms          NAME NODE PHASE MIGRATABLE CPU MEMORY "
	    "MIGRATION\n"
	    "  get evacuations  NAME NODE PHASE DONE/TOTAL AGE REASON\n"
	    "A node's MEMORY is free/total GiB.  A VM's MIGRATABLE gives the\n"
	    "code of the first reason it cannot move ('ferryctl describe vm\n"
	    "NAME' lists them all) and MIGRATION its active or last one.\n"
	    "An evacuation's DONE counts the VMs whose migration ended and\n"
	    "those that cannot move, of the TOTAL found on the node.\n"
	    "--node NODE lists only NODE's evacuations.\n"
	    "-o json prints the API object instead.\n",
	  .opts = CTL_OPT_OUTPUT|CTL_OPT_NODE, .min_args = 1, .max_args = 2,
	  .exec = ctl_cmd_get },
	{ .name = "describe", .usage = "describe vm|evacuation NAME",
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
	  .exec = ctl_cmd_describe },
	{ .name = "abort", .usage = "abort NAME [--force]",
	  .summary = "ask ferryd to abort migration NAME",
	  .help = "A migration an evacuation created is refused (HTTP 409)\n"
	    "without --force: aborting it leaves its VM on the draining\n"
	    "node and fails the evacuation.\n",
	  .opts = CTL_OPT_FORCE, .min_args = 1, .max_args = 1,
	  .exec = ctl_cmd_abort },
	{ .name = "drain", .usage = "drain NODE [--wait] [--by WHO]",
	  .summary = "cordon NODE and evacuate its VMs",
	  .help = "Cordons NODE and puts the evacuation taint on it; the\n"
	    "leading ferryd then migrates every live-migratable VM off it,\n"
	    "in batches under the concurrency limits.  Draining a drained\n"
	    "node is accepted again.  --by records who asked (default: the\n"
	    "API's \"api\"; at most 64 bytes).\n"
	    "With --wait, follow the evacuation until it ends: VMs done /\n"
	    "total on one redrawn line on a terminal, a line per change\n"
	    "otherwise; at the end, the VMs that did not move and why.\n"
	    "Exit 0 if it completed, 3 if it failed, 4 if it was cancelled\n"
	    "(ferryctl uncordon NODE), 130 on Ctrl-C (the drain goes on).\n",
	  .opts = CTL_OPT_WAIT|CTL_OPT_BY, .min_args = 1, .max_args = 1,
	  .exec = ctl_cmd_drain },
	{ .name = "uncordon", .usage = "uncordon NODE [--by WHO]",
	  .summary = "make NODE schedulable again; cancel its evacuation",
	  .help = "Takes the cordon and the evacuation taint off NODE.  A\n"
	    "running evacuation ends cancelled: its pending migrations end\n"
	    "aborted (EvacuationCancelled), running ones finish.\n",
	  .opts = CTL_OPT_BY, .min_args = 1, .max_args = 1,
	  .exec = ctl_cmd_uncordon },
	{ .name = "version", .usage = "version",
	  .summary = "print ferryctl's version",
	  .help = NULL, .opts = 0, .min_args = 0, .max_args = 0, .local = 1,
	  .exec = ctl_cmd_version },
	{ .name = "help", .usage = "help [COMMAND]",
	  .summary = "show help for ferryctl or one command",
	  .help = NULL, .opts = 0, .min_args = 0, .max_args = 1, .local = 1,
	  .exec = ctl_cmd_help },
};

/* What 'get' shows, by the names the operator types. */
static const struct ctl_kind ctl_kinds[] = {
	{ .singular = "migration", .plural = "migrations",
	  .path = "/v1/migrations", .table = ctl_mig_table },
	{ .singular = "node", .plural = "nodes",
	  .path = "/v1/nodes", .table = ctl_inv_node_table },
	{ .singular = "vm", .plural = "vms",
	  .path = "/v1/vms", .table = ctl_inv_vm_table },
	{ .singular = "evacuation", .plural = "evacuations",
	  .path = "/v1/evacuations", .table = ctl_evac_table, .by_node = 1,
	  .valid = ctl_evac_id_valid },
};

/* Print the global help to F. */
static void
ctl_usage(FILE *f)
{
	size_t	i, width = 0;

	for (i = 0; i < nitems(ctl_cmds); i++) {
		if (strlen(ctl_cmds[i].usage) > width)
			width = strlen(ctl_cmds[i].usage);
	}
	fprintf(f, "usage: ferryctl [-s|--server URL] COMMAND [ARGS]\n\n"
	    "Commands:\n");
	for (i = 0; i < nitems(ctl_cmds); i++)
		fprintf(f, "  %-*s  %s\n", (int)width, ctl_cmds[i].usage,
		    ctl_cmds[i].summary);
	fprintf(f, "\nOptions (before or after the command):\n"
	    "  -s, --server URL  ferryd API (default: $FERRY_SERVER, else "
	    CTL_DEFAULT_SERVER ")\n"
	    "      --token TOKEN bearer token for the API (default: $FERRY_TOKEN)\n"
	    "  -h, --help        show help; COMMAND --help for one command\n"
	    "\nExit status:\n"
	    "  0    success; with --wait, the migration succeeded or the "
	    "evacuation completed\n"
	    "  1    the API refused the request, answered badly, or could not "
	    "be reached\n"
	    "  2    usage error\n"
	    "  3    with --wait, the migration or the evacuation failed\n"
	    "  4    with --wait, the migration was aborted or the evacuation "
	    "cancelled\n"
	    "  130  interrupted while waiting (the migration or the drain "
	    "goes on)\n");
}

/* Print the help of CMD to F. */
static void
ctl_usage_cmd(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "usage: ferryctl [-s|--server URL] %s\n\n%s.\n", cmd->usage,
	    cmd->summary);
	if (cmd->help != NULL)
		fprintf(f, "\n%s", cmd->help);
}

/* Report a usage error about CMD (NULL: global) and return the exit code. */
static int __attribute__((format(printf, 2, 3)))
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
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return (&ctl_cmds[i]);
	}
	return (NULL);
}

/* Find the kind NAME names; *SINGULAR says whether it was the singular. */
static const struct ctl_kind *
ctl_kind_find(const char *name, int *singular)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_kinds); i++) {
		if (strcmp(ctl_kinds[i].plural, name) == 0) {
			*singular = 0;
			return (&ctl_kinds[i]);
		}
		if (strcmp(ctl_kinds[i].singular, name) == 0) {
			*singular = 1;
			return (&ctl_kinds[i]);
		}
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
 * get TYPE [NAME] [--node NODE] [-o json]: list migrations, nodes, VMs or
 * evacuations (--node: only NODE's evacuations), or show one.
 */
static int
ctl_cmd_get(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_kind	*kind;
	yajl_val		 tree = NULL, items;
	char			*path = NULL, *cause = NULL;
	long			 status;
	int			 singular, retval = CTL_EXIT_ERROR;

	if ((kind = ctl_kind_find(argv[0], &singular)) == NULL)
		return (ctl_usage_error(ctl_cmd_find("get"),
		    "unknown resource type '%s' (known: migrations, nodes, vms, evacuations)",
		    argv[0]));
	if (argc == 2 && !(kind->valid != NULL ? kind->valid(argv[1]) :
	    util_name_valid(argv[1])))
		return (ctl_usage_error(NULL, "invalid %s name '%s'",
		    kind->singular, argv[1]));
	if (argc == 1 && singular)
		return (ctl_usage_error(ctl_cmd_find("get"),
		    "'get %s' needs a NAME", kind->singular));
	if (ctl->node != NULL && (!kind->by_node || argc == 2))
		return (ctl_usage_error(ctl_cmd_find("get"),
		    "--node only filters the list of evacuations"));
	if (ctl->node != NULL && !util_name_valid(ctl->node))
		return (ctl_usage_error(NULL, "invalid node name '%s'",
		    ctl->node));

	/* Names are [A-Za-z0-9_.-]: safe in a path and a query. */
	if (argc == 2)
		xasprintf(&path, "%s/%s", kind->path, argv[1]);
	else if (ctl->node != NULL)
		xasprintf(&path, "%s?node=%s", kind->path, ctl->node);
	else
		path = xstrdup(kind->path);
	if (ctl_api_call(ctl->api, "GET", path, NULL, &tree, &status,
	    &cause) != 0)
		goto out;
	if (ctl->json) {
		if (ctl_json_print(tree) == 0)
			retval = CTL_EXIT_OK;
		goto out;
	}
	if (argc == 2) {
		if (kind->table(&tree, 1, &cause) == 0)
			retval = CTL_EXIT_OK;
		goto out;
	}
	if ((items = ctl_json_get(tree, "items", yajl_t_array)) == NULL) {
		cause = xstrdup(
		    "bad response from server: no 'items' array in the list");
		goto out;
	}
	if (items->u.array.len == 0) {
		fprintf(stderr, "No %s found.\n", kind->plural);
		retval = CTL_EXIT_OK;
	} else if (kind->table(items->u.array.values, items->u.array.len,
	    &cause) == 0)
		retval = CTL_EXIT_OK;
out:
	if (cause != NULL)
		fprintf(stderr, "ferryctl: %s\n", cause);
	yajl_tree_free(tree);
	free(cause);
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
		return (ctl_usage_error(ctl_cmd_find("describe"),
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
		{ NULL, 0, NULL, 0 }
	};
	struct ctl			 ctl;
	const struct ctl_cmd		*cmd = NULL;
	const char			*server, *token;
	char				**args = NULL, *cause = NULL;
	size_t				 i;
	int				 ch, nargs = 0, help = 0, given = 0;
	int				 retval = CTL_EXIT_USAGE;

	memset(&ctl, 0, sizeof ctl);
	server = getenv("FERRY_SERVER");
	if (server == NULL || *server == '\0')
		server = CTL_DEFAULT_SERVER;
	token = getenv("FERRY_TOKEN");

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
			if (strcmp(optarg, "json") != 0) {
				retval = ctl_usage_error(cmd,
				    "unknown output format '%s' (known: json)",
				    optarg);
				goto out;
			}
			ctl.json = 1;
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
	for (i = 0; i < nitems(ctl_opt_names); i++) {
		if ((given & ~cmd->opts & ctl_opt_names[i].bit) != 0) {
			retval = ctl_usage_error(cmd, "'%s' does not take %s",
			    cmd->name, ctl_opt_names[i].name);
			goto out;
		}
	}
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		retval = ctl_usage_error(cmd,
		    "wrong number of arguments for '%s'", cmd->name);
		goto out;
	}

	if (!cmd->local && *server == '\0') {
		retval = ctl_usage_error(NULL, "empty server URL");
		goto out;
	}
	if (!cmd->local &&
	    (ctl.api = ctl_api_create(server, &cause)) == NULL) {
		fprintf(stderr, "ferryctl: %s\n", cause);
		retval = CTL_EXIT_ERROR;
		goto out;
	}
	if (ctl.api != NULL)
		ctl_api_set_token(ctl.api, token);
	retval = cmd->exec(&ctl, nargs, args);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ferryctl: cannot write to stdout\n");
		if (retval == CTL_EXIT_OK)
			retval = CTL_EXIT_ERROR;
	}
out:
	ctl_api_free(ctl.api);
	free(cause);
	free(args);
	return (retval);
}
