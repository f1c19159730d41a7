/*
 * config.h: ferryd's configuration.  One option table (config-table.c)
 * drives parsing, validation, defaults, --check-config and the commented
 * default file; struct config is what the rest of ferryd reads.
 *
 * File format (INI):
 *
 *	# comment            ; comment
 *	[ferryd]             global daemon options
 *	[redis]              Redis connection
 *	[migration]          migration policy (the seed's defaults)
 *	[node NAME]          one hypervisor host; may repeat, NAME unique
 *	key = value          value may be "quoted"; trailing spaces stripped
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* One [node NAME] section. */
struct config_node {
	char	*name;			/* section name, util_name_valid() */
	char	*uri;			/* libvirt URI ferryd connects to (required) */
	char	*migration_address;	/* host or IP for VIR_MIGRATE_PARAM_URI, or NULL */
	char	*migration_uri;		/* libvirt URI the source daemon uses to
					   reach this node (dconnuri); defaults
					   to uri when unset */
	int	 line;			/* line of the section header */
};

struct config {
	char	*path;			/* file it was read from */

	/* [ferryd] */
	char	*listen_address;	/* API address; default "127.0.0.1" */
	int	 listen_port;		/* default 8470, 1..65535 */
	int	 workers;		/* hypervisor worker threads; default 4, 1..64 */
	char	*log_level;		/* debug|info|warn|error; default info */
	char	*log_format;		/* auto|json|text; default auto */
	char	*replica_id;		/* default "" = hostname-pid */
	int	 call_timeout;		/* seconds a hypervisor call may take; default 30, 1..3600 */
	int	 reconnect_max;		/* max reconnect backoff seconds; default 30, 1..3600 */

	/* [redis] */
	char	*redis_host;		/* default "127.0.0.1" */
	int	 redis_port;		/* default 6379, 1..65535 */
	char	*redis_prefix;		/* key prefix; default "ferry:" */

	/* [migration] */
	int	 completion_timeout_per_gib;	/* s per GiB; default 800, 1..86400 */
	int	 progress_timeout;	/* s without a new low; default 150, 1..86400 */
	int	 keepalive_interval;	/* s; default 5, 0..600 (0 = off) */
	int	 keepalive_count;	/* default 5, 0..100 */
	int	 bandwidth_per_migration; /* MiB/s, 0 = unlimited; default 0, 0..1048576 */
	int	 job_stats_interval;	/* ms between job-stat samples; default 1000, 50..60000 */
	int	 unreachable_timeout;	/* s to wait for a silent host; default 300, 1..86400 */

	struct config_node	*nodes;	/* [node NAME] sections, in file order */
	size_t			 nnodes;
};

/*
 * Read and validate FILE.  On success *out is a new config and 0 is
 * returned.  On failure -1 is returned and *cause holds every error found,
 * one per line, each "FILE:LINE: option 'NAME': what is wrong" (or
 * "FILE:LINE: ..." for lines that are not options).  Unknown sections and
 * options, malformed lines, values out of range, duplicate options in one
 * section, duplicate node names, and a node without uri are all errors.
 */
int	 config_load(const char *, struct config **, char **);

/* A config holding only the defaults and no nodes. */
struct config	*config_default(void);
void		 config_free(struct config *);		/* accepts NULL */

const struct config_node *config_node_find(const struct config *,
		    const char *);

/*
 * Names of options whose change from OLD to NEW needs a restart (not
 * reloadable), comma separated, or NULL if none.  Adding, removing or
 * changing a node counts as "node NAME".  Caller frees.
 */
char	*config_restart_needed(const struct config *, const struct config *);

/*
 * Copy into NEW the values OLD has for options that need a restart, so
 * that after a reload the config says what is really in effect.  Nodes
 * are left alone: the running ones keep the config they started with.
 */
void	 config_keep_restart_options(struct config *, const struct config *);

/*
 * Write the commented default file (every option with its help and
 * default, as conf/ferryd.conf) to F.
 */
void	 config_write_default(FILE *);

#endif
