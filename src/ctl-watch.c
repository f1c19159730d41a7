/*
 * ctl-watch.c: ferryctl's 'watch': follow ferryd's GET /v1/watch and
 * print each transition as it happens, a table line each (-o wide adds
 * the message; -o name prints KIND/NAME), or the stream's JSON lines as
 * they come (-o json, without the heartbeats).  It runs until Ctrl-C or
 * SIGTERM (exit 0), or until the stream ends (exit 1, saying whether
 * ferryd closed it, went silent, or could not be reached).
 *
 * The filters are operands, KEY=VALUE with the query parameters' keys
 * (vm, node, migration, evacuation): the options ferryctl.c parses are
 * shared by every command, and --node is the only one of these it knows
 * (it is accepted too).
 */

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "ferry/ctl.h"
#include "ferry/ctl-api.h"
#include "ferry/ctl-evac.h"
#include "ferry/ctl-json.h"
#include "ferry/ctl-watch.h"
#include "ferry/util.h"
#include "ferry/xmalloc.h"

/* The filters, by key; each at most once. */
struct ctl_watch_filter {
	const char	*key;		/* query key and operand KEY= */
	int		(*valid)(const char *); /* its values */
	const char	*value;		/* given, or NULL */
};

/* What the stream's lines are printed as. */
struct ctl_watch {
	enum ctl_output	 output;	/* table, wide, json or name */
	int		 header;	/* the table's header is printed */
	int		 failed;	/* stdout could not be written */
};

static int	ctl_watch_exec(struct ctl *, int, char **);

const struct ctl_cmd ctl_watch_cmd = {
	.name = "watch",
	.usage = "watch [FILTER=NAME...] [-o json|wide|name]",
	.summary = "follow migrations and evacuations as they change",
	.help = "Prints a line per transition, from every replica: a\n"
	    "migration created or changing phase, an evacuation started or\n"
	    "ended.  Columns: TIME KIND NAME VM PHASE ROUTE REASON, where\n"
	    "ROUTE is SOURCE->TARGET of a migration and the node of an\n"
	    "evacuation; -o wide adds MESSAGE.  -o json prints the stream's\n"
	    "JSON lines as they come ({\"type\":\"migration\"|\"evacuation\",\n"
	    "\"object\":{...}}, and \"error\"/\"resumed\" around a gap while\n"
	    "ferryd lost Redis); -o name prints KIND/NAME.\n"
	    "FILTERs (all must match):\n"
	    "  vm=NAME         migrations of VM NAME\n"
	    "  node=NAME       migrations from or to NAME, evacuations of it\n"
	    "                  (--node NAME says the same)\n"
	    "  migration=NAME  that migration\n"
	    "  evacuation=ID   that evacuation and its migrations\n"
	    "Runs until Ctrl-C or SIGTERM; a gap (ferryd lost Redis for a\n"
	    "while) is reported on stderr and the watch goes on.\n",
	.exits = "  0    stopped by Ctrl-C or SIGTERM\n"
	    "  1    the stream ended: ferryd closed it, sent nothing for "
	    "45 seconds,\n"
	    "       refused the watch, or could not be reached\n"
	    CTL_EXITS_USAGE,
	.opts = CTL_OPT_OUTPUT|CTL_OPT_NODE,
	.min_args = 0,
	.max_args = 4,
	.exec = ctl_watch_exec,
};

/* SIGINT or SIGTERM: stop the stream; the watch then exits 0. */
static void
ctl_watch_signal(int sig)
{
	ctl_api_interrupt();
}

/* HH:MM:SS (local time) of wall MS, or now when MS is 0. */
static void
ctl_watch_time(uint64_t ms, char *buf, size_t len)
{
	time_t		t = ms != 0 ? (time_t)(ms / 1000) : time(NULL);
	struct tm	tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* The time of the transition OBJ of a migration (the last one) or not. */
static uint64_t
ctl_watch_when(yajl_val obj, int mig)
{
	yajl_val	tr, last;
	uint64_t	ms = 0;

	if (mig) {
		tr = ctl_json_get(obj, "status.phaseTransitions",
		    yajl_t_array);
		if (tr != NULL && tr->u.array.len > 0) {
			last = tr->u.array.values[tr->u.array.len - 1];
			if (ctl_json_count(last, "timeMs", &ms) == 0)
				return (ms);
		}
		return (0);
	}
	if (ctl_json_count(obj, "status.endedMs", &ms) == 0 && ms != 0)
		return (ms);
	if (ctl_json_count(obj, "status.createdMs", &ms) == 0)
		return (ms);
	return (0);
}

/* Print one event line (TYPE "migration" or "evacuation", OBJ) to W. */
static void
ctl_watch_print_event(struct ctl_watch *w, const char *type, yajl_val obj)
{
	int		 mig = (strcmp(type, "migration") == 0);
	const char	*name, *vm, *phase, *reason, *message, *src, *dst;
	char		 when[16], route[160], extra[64];
	uint64_t	 done, total;

	name = ctl_json_text(obj, "metadata.name", "-");
	phase = ctl_json_text(obj, "status.phase", "-");
	reason = ctl_json_text(obj, "status.reason", "");
	message = ctl_json_text(obj, "status.message", "");
	if (w->output == CTL_OUTPUT_NAME) {
		printf("%s/%s\n", type, name);
		return;
	}
	ctl_watch_time(ctl_watch_when(obj, mig), when, sizeof when);
	extra[0] = '\0';
	if (mig) {
		vm = ctl_json_text(obj, "spec.vmiName", "-");
		src = ctl_json_text(obj, "status.sourceNode", "?");
		dst = ctl_json_text(obj, "status.targetNode", "?");
		snprintf(route, sizeof route, "%s->%s", src, dst);
	} else {
		vm = "-";
		snprintf(route, sizeof route, "%s",
		    ctl_json_text(obj, "spec.node", "?"));
		if (ctl_json_count(obj, "status.done", &done) == 0 &&
		    ctl_json_count(obj, "status.total", &total) == 0)
			snprintf(extra, sizeof extra, "%s%s%" PRIu64 "/%"
			    PRIu64 " done", reason, *reason != '\0' ? " " : "",
			    done, total);
	}
	if (!w->header) {
		printf("%-8s  %-10s  %-30s  %-16s  %-10s  %-24s  %s%s\n",
		    "TIME", "KIND", "NAME", "VM", "PHASE", "ROUTE", "REASON",
		    w->output == CTL_OUTPUT_WIDE ? "  MESSAGE" : "");
		w->header = 1;
	}
	printf("%-8s  %-10s  %-30s  %-16s  %-10s  %-24s  %s", when, type,
	    name, vm, phase, route, extra[0] != '\0' ? extra :
	    *reason != '\0' ? reason : "-");
	if (w->output == CTL_OUTPUT_WIDE)
		printf("  %s", *message != '\0' ? message : "-");
	printf("\n");
}

/* Print a line of the stream that is not an event: a gap, to stderr. */
static void
ctl_watch_print_notice(const char *type, yajl_val v)
{
	const char	*error, *reason;
	yajl_val	 reasons;

	if (strcmp(type, "error") == 0) {
		error = ctl_json_text(v, "error", "error");
		reasons = ctl_json_get(v, "reasons", yajl_t_array);
		reason = NULL;
		if (reasons != NULL && reasons->u.array.len > 0 &&
		    YAJL_IS_STRING(reasons->u.array.values[0])) {
			reason = reasons->u.array.values[0]->u.string;
			ctl_json_clean(reasons->u.array.values[0]->u.string);
		}
		fprintf(stderr, "ferryctl: watch: ferryd: %s%s%s\n", error,
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	} else if (strcmp(type, "resumed") == 0)
		fprintf(stderr, "ferryctl: watch: ferryd resubscribed; "
		    "transitions in the gap were missed ('ferryctl get' "
		    "shows where things are)\n");
}

/* One line of the stream: print it as W says; non-zero stops. */
static int
ctl_watch_line(char *line, size_t len, void *arg)
{
	struct ctl_watch	*w = arg;
	yajl_val		 v = NULL, obj;
	const char		*type;
	char			*why = NULL;

	if (len == 0)
		return (0);
	if (ctl_json_parse(line, len, &v, &why) != 0 || !YAJL_IS_OBJECT(v) ||
	    (type = ctl_json_string(v, "type")) == NULL) {
		fprintf(stderr, "ferryctl: watch: a line of the stream is not "
		    "an event: %s\n", why != NULL ? why : "no \"type\"");
		goto out;
	}
	if (strcmp(type, "heartbeat") == 0)
		goto out;
	if (w->output == CTL_OUTPUT_JSON) {
		/* As it came: one object per line, for jq and scripts. */
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
	} else if (strcmp(type, "migration") == 0 ||
	    strcmp(type, "evacuation") == 0) {
		if ((obj = ctl_json_get(v, "object", yajl_t_object)) != NULL)
			ctl_watch_print_event(w, type, obj);
	} else
		ctl_watch_print_notice(type, v);
	if (fflush(stdout) != 0 || ferror(stdout))
		w->failed = 1;
out:
	yajl_tree_free(v);
	free(why);
	return (w->failed);
}

/* watch [KEY=VALUE...] [--node NODE] [-o FORMAT]: follow the stream. */
static int
ctl_watch_exec(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_watch_filter	 filters[] = {
		{ .key = "vm", .valid = util_name_valid },
		{ .key = "node", .valid = util_name_valid },
		{ .key = "migration", .valid = ctl_evac_id_valid },
		{ .key = "evacuation", .valid = ctl_evac_id_valid },
	};
	struct ctl_watch	 w;
	struct sigaction	 sa, old_int, old_term;
	const char		*eq;
	char			*path = NULL, *more, *cause = NULL;
	size_t			 i, klen;
	long			 status;
	int			 k, rc, retval = CTL_EXIT_ERROR;

	for (k = 0; k < argc; k++) {
		eq = strchr(argv[k], '=');
		klen = eq != NULL ? (size_t)(eq - argv[k]) : 0;
		for (i = 0; eq != NULL && i < nitems(filters); i++) {
			if (strlen(filters[i].key) == klen &&
			    strncmp(argv[k], filters[i].key, klen) == 0)
				break;
		}
		if (eq == NULL || i == nitems(filters))
			return (ctl_usage_error(&ctl_watch_cmd,
			    "unknown filter '%s' (known: vm=, node=, "
			    "migration=, evacuation=)", argv[k]));
		if (filters[i].value != NULL)
			return (ctl_usage_error(&ctl_watch_cmd,
			    "filter '%s' given twice", filters[i].key));
		filters[i].value = eq + 1;
	}
	if (ctl->node != NULL) {
		if (filters[1].value != NULL)
			return (ctl_usage_error(&ctl_watch_cmd,
			    "node given twice (node= and --node)"));
		filters[1].value = ctl->node;
	}
	xasprintf(&path, "/v1/watch");
	for (i = 0; i < nitems(filters); i++) {
		if (filters[i].value == NULL)
			continue;
		if (!filters[i].valid(filters[i].value)) {
			free(path);
			return (ctl_usage_error(&ctl_watch_cmd,
			    "invalid %s name '%s'", filters[i].key,
			    filters[i].value));
		}
		/* Names are [A-Za-z0-9_.-]: safe in a query. */
		xasprintf(&more, "%s%c%s=%s", path,
		    strchr(path, '?') != NULL ? '&' : '?', filters[i].key,
		    filters[i].value);
		free(path);
		path = more;
	}

	memset(&w, 0, sizeof w);
	w.output = ctl->output;
	/* No SA_RESTART: the signal cuts the transfer short. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ctl_watch_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = ctl_api_stream(ctl->api, path, CTL_WATCH_IDLE_S, ctl_watch_line,
	    &w, &status, &cause);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	if (ctl_api_interrupted())
		retval = CTL_EXIT_OK;
	else if (w.failed)
		fprintf(stderr, "ferryctl: watch: cannot write to stdout\n");
	else if (rc == 0)
		fprintf(stderr, "ferryctl: watch: ferryd ended the stream\n");
	else
		fprintf(stderr, "ferryctl: watch: %s\n", cause);
	free(cause);
	free(path);
	return (retval);
}
