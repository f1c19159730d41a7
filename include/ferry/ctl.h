/*
 * ctl.h: what ferryctl's commands share: the options of a run, the row a
 * command has in ferryctl.c's table, and the exit codes.  A command in a
 * file of its own (ctl-get.c, ctl-watch.c) defines its row there, declares
 * it in its header, and ferryctl.c lists it.
 */
#ifndef FERRY_CTL_H
#define FERRY_CTL_H

/* Exit codes; ctl_usage() and ferryctl(1) document them. */
enum ctl_exit {
	CTL_EXIT_OK = 0,		/* ok; awaited migration succeeded,
					   awaited evacuation completed */
	CTL_EXIT_ERROR = 1,		/* API said no, or unreachable */
	CTL_EXIT_USAGE = 2,		/* bad command line or config file */
	CTL_EXIT_FAILED = 3,		/* the awaited migration or
					   evacuation failed */
	CTL_EXIT_ABORTED = 4,		/* the awaited migration was aborted,
					   the awaited evacuation cancelled */
	CTL_EXIT_INTERRUPTED = 130,	/* Ctrl-C while waiting */
};

/* What -o asks 'get' to print. */
enum ctl_output {
	CTL_OUTPUT_TABLE,		/* no -o: the usual columns */
	CTL_OUTPUT_WIDE,		/* -o wide: more columns */
	CTL_OUTPUT_JSON,		/* -o json: the API's object */
	CTL_OUTPUT_NAME,		/* -o name: names, one a line */
};

/* Options a command accepts, as bits in ctl_cmd.opts. */
#define CTL_OPT_TO	0x1	/* --to NODE */
#define CTL_OPT_WAIT	0x2	/* --wait */
#define CTL_OPT_OUTPUT	0x4	/* -o FORMAT */
#define CTL_OPT_BY	0x8	/* --by WHO */
#define CTL_OPT_NODE	0x10	/* --node NODE */
#define CTL_OPT_FORCE	0x20	/* --force */

/* State of one ferryctl run. */
struct ctl {
	struct ctl_api	*api;		/* client for ferryd, NULL if local */
	const char	*to;		/* --to NODE, or NULL */
	int		 wait;		/* --wait was given */
	enum ctl_output	 output;	/* -o FORMAT */
	const char	*by;		/* --by WHO, or NULL */
	const char	*node;		/* --node NODE, or NULL */
	int		 force;		/* --force was given */
};

/* One command: a row of ferryctl.c's table. */
struct ctl_cmd {
	const char	*name;		/* verb the operator types */
	const char	*usage;		/* verb and its arguments */
	const char	*summary;	/* one line for the global help */
	const char	*help;		/* more for COMMAND --help, or NULL */
	const char	*exits;		/* "Exit status" lines of --help, NULL:
					   the usual 0, 1 and 2 */
	int		 opts;		/* CTL_OPT_* bits accepted */
	int		 min_args;	/* fewest arguments after the verb */
	int		 max_args;	/* most arguments after the verb */
	int		 local;		/* runs without talking to ferryd */
	int		(*exec)(struct ctl *, int, char **); /* runs it */
};

/* The lines of the usual exit codes, for a row's exits. */
#define CTL_EXITS_OK \
	"  0    success\n"
#define CTL_EXITS_ERROR \
	"  1    the API refused the request, answered badly, or could not " \
	"be reached\n"
#define CTL_EXITS_USAGE \
	"  2    usage error: a bad command line or configuration file\n"

int	ctl_usage_error(const struct ctl_cmd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
