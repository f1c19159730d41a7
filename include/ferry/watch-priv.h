/*
 * watch-priv.h: the pure half of the watch (watch-event.c), shared by
 * watch.c and the unit tests: the event line made from a record read on
 * the events channel, the filters of a query string, and the match.
 *
 * Filters, an AND of those given (each at most once):
 *	vm=NAME		migrations of VM NAME (spec.vmiName)
 *	migration=NAME	migration NAME (metadata.name)
 *	node=NAME	migrations leaving or entering NAME (status.sourceNode
 *			or status.targetNode), evacuations of NAME (spec.node)
 *	evacuation=ID	evacuation ID itself and the migrations it created
 *			(their status.evacuation)
 * vm and migration select migrations only: an evacuation never matches
 * them.  Names are [A-Za-z0-9_.-]: VMs and nodes 1 to 64 bytes,
 * migrations and evacuations 1 to EVAC_ID_MAX (evacuation migrations are
 * "<prefix>-xxxxx", evacuations "<node>-drain-xxxxx", longer than 64).
 */
#ifndef FERRY_WATCH_PRIV_H
#define FERRY_WATCH_PRIV_H

#include <stddef.h>
#include <stdint.h>


/* What a record on the channel is. */
enum watch_kind {
	WATCH_KIND_MIGRATION,	/* "kind": "VirtualMachineInstanceMigration" */
	WATCH_KIND_EVACUATION,	/* "kind": "Evacuation" */
};

/* One record read on the channel, ready to send. */
struct watch_event {
	enum watch_kind	 kind;		/* migration or evacuation */
	char		*name;		/* metadata.name */
	char		*vm;		/* migration: spec.vmiName; else NULL */
	char		*source;	/* migration: status.sourceNode;
					   evacuation: spec.node */
	char		*target;	/* migration: status.targetNode ("" until
					   chosen); evacuation: NULL */
	char		*evacuation;	/* migration: status.evacuation or NULL;
					   evacuation: its own id */
	char		*line;		/* {"type":...,"object":RECORD}\n */
	size_t		 len;		/* bytes of line */
};

/* The filters of one client; NULL: any. */
struct watch_filter {
	char	*vm;		/* ?vm= */
	char	*node;		/* ?node= */
	char	*migration;	/* ?migration= */
	char	*evacuation;	/* ?evacuation= */
};

/*
 * Read the LEN bytes of PAYLOAD (a record as published: no NUL byte, at
 * most WATCH_PAYLOAD_MAX bytes, nesting at most JSON_DEPTH_MAX) into EV
 * with its line.  0, or -1 with *CAUSE (EV is then cleared).
 */
int	 watch_event_parse(const char *, size_t, struct watch_event *,
	     char **);
void	 watch_event_clear(struct watch_event *);

/*
 * Read the filters of QUERY (raw query string, or NULL) into F.  0, or -1
 * with *CAUSE for an unknown key, a key given twice, or a bad name.
 */
int	 watch_filter_parse(const char *, struct watch_filter *, char **);
void	 watch_filter_clear(struct watch_filter *);

/* Does EV pass every filter of F? */
int	 watch_filter_match(const struct watch_filter *,
	     const struct watch_event *);

/* F as "vm=a node=b" for logs ("all" when none); caller frees. */
char	*watch_filter_text(const struct watch_filter *);

/*
 * A line of TYPE ("heartbeat", "error", "resumed") stamped NOW_MS (wall),
 * with ERROR and REASON when not NULL, and its final newline; caller
 * frees.
 */
char	*watch_event_notice(const char *, uint64_t, const char *,
	     const char *);

#endif
