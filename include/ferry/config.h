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
 *	[notify]             webhooks
 *	[node NAME]          one hypervisor host; may repeat, NAME unique
 *	[storage NAME]       one storage class; may repeat, NAME unique
 *	key = value          value may be "quoted"; trailing spaces stripped
 *	key = a, b, c        a list: comma separated, items trimmed
 *	key = true           a boolean: true/false, yes/no, on/off, 1/0
 */
#ifndef FERRY_CONFIG_H
#define FERRY_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/*
 * A list option's value ("networks = mgmt, vlan100"): the items in file
 * order, each trimmed, non-empty, at most 256 bytes (a URL 2048) and given
 * once; at most 64 of them.  The empty list is { NULL, 0 }, the default of
 * every list.
 */
struct config_list {
	char	**v;			/* the items; NULL when n is 0 */
	size_t	  n;			/* how many */
};

/* One [node NAME] section. */
struct config_node {
	char	*name;			/* section name, util_name_valid() */
	char	*uri;			/* libvirt URI ferryd connects to (required) */
	char	*migration_address;	/* host or IP for VIR_MIGRATE_PARAM_URI, or NULL */
	char	*migration_uri;		/* libvirt URI the source daemon uses to
					   reach this node (dconnuri); defaults
					   to uri when unset */
	int	 line;			/* line of the section header */
	char	*virt_type;		/* "auto" (default), "kvm" or "qemu" */
	struct config_list labels;	/* "key=value" items, key
					   [A-Za-z0-9._/-]+, value
					   [A-Za-z0-9._/-]*, keys unique;
					   see config_labels_get() */
	struct config_list networks;	/* network names (util_name_valid)
					   this node can attach VMs to */
	int	 cpu_manager;		/* 1 if VMs with pinned vCPUs may run
					   here; default 0 */
	int	 schedulable;		/* 0 cordons the node: never a
					   target; default 1 */
};

/* One [storage NAME] section: a storage class. */
struct config_storage {
	char	*name;			/* section name, util_name_valid() */
	struct config_list paths;	/* absolute path prefixes of its disks
					   (each starts with '/') */
	struct config_list pools;	/* libvirt storage pool names */
	char	*access_mode;		/* "ReadWriteMany" or "ReadWriteOnce"
					   (default) */
	int	 replicas;		/* copies of each volume; default 1,
					   1..64 */
	char	*kind;			/* "volume" (default) or
					   "containerDisk" */
	int	 line;			/* line of the section header */
};

struct config {
	char	*path;			/* file it was read from */

	/* [ferryd] */
	char	*listen_address;	/* API address; default "127.0.0.1" */
	int	 listen_port;		/* default 8470, 1..65535 */
	char	*api_token_file;	/* bearer token file; default "" = none */
	int	 api_open_health;	/* /healthz, /metrics open; default 1 */
	int	 workers;		/* hypervisor worker threads; default 4, 1..64 */
	char	*log_level;		/* debug|info|warn|error; default info */
	char	*log_format;		/* auto|json|text; default auto */
	char	*replica_id;		/* default "" = hostname-pid */
	int	 lease_timeout;		/* ms replica/leader leases last;
					   default 2000, 300..60000 */
	int	 call_timeout;		/* seconds a hypervisor call may take; default 30, 1..3600 */
	int	 reconnect_max;		/* max reconnect backoff seconds; default 30, 1..3600 */
	int	 inventory_interval;	/* s between full inventory refreshes;
					   default 30, 1..3600 */

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
	int	 finished_retention;	/* s an ended migration stays in memory; default 600, 0..86400 */
	char	*cpu_model;		/* CPU model of VMs that name none;
					   default "" = host-model, else a
					   util_name_valid() libvirt model */
	int	 memory_headroom;	/* MiB left free on a target after
					   placement; default 256, 0..1048576 */
	int	 unschedulable_timeout;	/* s a migration waits in pending for a
					   target; default 300, 1..86400 */
	char	*evacuation_taint;	/* taint key; default "kubevirt.io/drain" */
	char	*evacuation_migration_prefix; /* default "kubevirt-evacuation" */
	int	 evacuation_timeout;	/* s; default 3600, 1..604800 */
	int	 parallel_migrations_per_cluster; /* default 5, 1..1000 */
	int	 parallel_outbound_migrations_per_node; /* default 2, 1..100 */

	/* [notify]; every option reloadable */
	struct config_list webhook_url;	/* http(s) URLs events are POSTed
					   to; empty (default) = off */
	char	*webhook_events;	/* final|all; default final */
	int	 webhook_timeout;	/* ms one request may take; default
					   5000, 100..600000 */
	int	 webhook_retries;	/* attempts after the first; default 5,
					   0..100 */
	int	 webhook_queue;		/* events waiting per URL; default 1000,
					   1..100000 */

	struct config_node	*nodes;	/* [node NAME] sections, in file order */
	size_t			 nnodes;
	struct config_storage	*storage; /* [storage NAME] sections, in file
					   order; reloadable */
	size_t			 nstorage;
};

/*
 * Read and validate FILE.  On success *out is a new config and 0 is
 * returned.  On failure -1 is returned and *cause holds every error found,
 * one per line, each "FILE:LINE: option 'NAME': what is wrong" (or
 * "FILE:LINE: ..." for lines that are not options).  Unknown sections and
 * options, malformed lines, values out of range, duplicate options in one
 * section, duplicate node names, and a node without uri are all errors.
 * So are bad list items (empty, too long, invalid, given twice), more than
 * 64 items, duplicate storage names, and a storage section whose paths and
 * pools are both empty (reported at its header line).
 */
int	 config_load(const char *, struct config **, char **);

/* A config holding only the defaults, no nodes and no storage. */
struct config	*config_default(void);
void		 config_free(struct config *);		/* accepts NULL */

const struct config_node *config_node_find(const struct config *,
		    const char *);
const struct config_storage *config_storage_find(const struct config *,
		    const char *);

/* 1 if the list holds exactly ITEM, else 0. */
int		 config_list_has(const struct config_list *, const char *);

/*
 * The value of label KEY in a labels list ("" for "KEY="), or NULL if
 * the list has no such key.  Points into the list.
 */
const char	*config_labels_get(const struct config_list *, const char *);

/*
 * Names of options whose change from OLD to NEW needs a restart (not
 * reloadable), comma separated, or NULL if none.  Adding, removing or
 * changing a node counts as "node NAME" (lists compare as sets, so items
 * in another order are no change).  Storage sections are reloadable and
 * never named.  Caller frees.
 */
char	*config_restart_needed(const struct config *, const struct config *);

/*
 * Copy into NEW the values OLD has for options that need a restart, so
 * that after a reload the config says what is really in effect.  Nodes
 * are left alone: the running ones keep the config they started with.
 * Storage is left alone too: NEW's storage sections take effect.
 */
void	 config_keep_restart_options(struct config *, const struct config *);

/*
 * Write the commented default file (every option with its help and
 * default, as conf/ferryd.conf) to F.
 */
void	 config_write_default(FILE *);

/*
 * Write the ferryd.conf(5) manual page to F: roff made from the same
 * table (config-man.c).
 */
void	 config_write_man(FILE *);

#endif
