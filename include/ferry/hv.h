/*
 * hv.h: the hypervisor driver interface.  Everything ferry asks of a host
 * goes through here; hv-libvirt.c implements it on libvirt, and a simulated
 * hypervisor (for scale benchmarks) will implement the same operations.
 *
 * Every call is asynchronous: it returns at once and its callback runs
 * later on the loop thread (never from inside the call itself).  Strings
 * handed to a callback are valid only during the callback.  Every call but
 * hv_migrate has a deadline (call_timeout): past it the callback fires
 * with rc -1 and "timed out" and the late result is dropped.
 */
#ifndef FERRY_HV_H
#define FERRY_HV_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct workers;
struct hv_node;

/* Where a domain stands on one host. */
enum hv_dom_state {
	HV_DOM_ABSENT,		/* no such domain on this host */
	HV_DOM_RUNNING,		/* running */
	HV_DOM_PAUSED,		/* paused (e.g. incoming migration, switchover) */
	HV_DOM_SHUTOFF,		/* defined but not running */
	HV_DOM_OTHER,		/* crashed, pmsuspended, blocked, ... */
};

/* Domain events forwarded to the node's owner. */
enum hv_event {
	HV_EV_STARTED,			/* lifecycle STARTED (any detail) */
	HV_EV_STARTED_MIGRATED,		/* lifecycle STARTED / MIGRATED (incoming) */
	HV_EV_SUSPENDED_MIGRATED,	/* lifecycle SUSPENDED / MIGRATED: switchover */
	HV_EV_SUSPENDED_POSTCOPY,	/* lifecycle SUSPENDED / POSTCOPY */
	HV_EV_RESUMED,			/* lifecycle RESUMED (any detail) */
	HV_EV_STOPPED_MIGRATED,		/* lifecycle STOPPED / MIGRATED (left) */
	HV_EV_STOPPED,			/* lifecycle STOPPED, other details */
	HV_EV_UNDEFINED,		/* lifecycle UNDEFINED */
	HV_EV_OTHER_LIFECYCLE,		/* any other lifecycle event */
	HV_EV_MIGRATION_ITERATION,	/* MIGRATION_ITERATION; stats.iteration set */
	HV_EV_JOB_COMPLETED,		/* JOB_COMPLETED; stats filled from params */
};

/* A migration job's statistics (virDomainGetJobStats, or JOB_COMPLETED). */
struct hv_job_stats {
	int		 active;	/* a job is running (type != NONE) */
	int		 type;		/* virDomainJobType value */
	int		 operation;	/* virDomainJobOperation value, 0 if unknown */
	uint64_t	 time_elapsed_ms;
	uint64_t	 data_total;	/* bytes */
	uint64_t	 data_processed;
	uint64_t	 data_remaining;
	uint64_t	 memory_bps;	/* bytes per second */
	uint64_t	 dirty_rate;	/* pages per second */
	uint64_t	 page_size;	/* bytes, 0 if unknown */
	uint64_t	 iteration;
	uint64_t	 downtime_ms;	/* total downtime once completed, else 0 */
	uint64_t	 setup_time_ms;
};

/* What hv_migrate needs beyond the domain's name. */
struct hv_migrate_params {
	const char	*dconnuri;	/* target's libvirt URI as the source sees it */
	const char	*uri;		/* VIR_MIGRATE_PARAM_URI, or NULL */
	uint64_t	 bandwidth;	/* MiB/s, 0 = unlimited */
};

/*
 * Owner's callbacks for one node.  CONN_CB: the connection came up (UP 1)
 * or went down (UP 0, WHY says why: close callback, keepalive, open
 * failure).  EVENT_CB: a domain event; STATS is non-NULL for
 * HV_EV_JOB_COMPLETED and HV_EV_MIGRATION_ITERATION.
 */
struct hv_node_cbs {
	void	(*conn_cb)(struct hv_node *, int, const char *, void *);
	void	(*event_cb)(struct hv_node *, const char *, enum hv_event,
		    const struct hv_job_stats *, void *);
	void	*arg;
};

/* Connection settings for one node. */
struct hv_node_params {
	const char	*name;			/* node name (config section) */
	const char	*uri;			/* URI ferryd opens */
	int		 keepalive_interval;	/* s, 0 = off */
	int		 keepalive_count;
	int		 call_timeout;		/* s, deadline of each call */
	int		 reconnect_max;		/* s, cap of reconnect backoff */
	const char	*virt_type;		/* "kvm", "qemu", or NULL: kvm if
						   the host offers it */
};

/* One domain of a host, for the inventory. */
struct hv_domain {
	char			*name;	/* domain name */
	enum hv_dom_state	 state;	/* where it stands */
	char			*xml;	/* its live XML (virDomainGetXMLDesc) */
	char			*config_xml; /* its defined XML (INACTIVE): the
					   CPU as configured, e.g. host-model,
					   which live XML shows expanded */
};

/* What a host says of itself, for the inventory. */
struct hv_host {
	char		*caps_xml;	/* virConnectGetCapabilities */
	char		*domcaps_xml;	/* virConnectGetDomainCapabilities */
	uint64_t	 memory_kib;	/* virNodeGetInfo memory */
	unsigned int	 cpus;		/* virNodeGetInfo cpus */
	uint64_t	 free_kib;	/* virNodeGetFreeMemory */
};

typedef void (*hv_done_cb)(int, const char *, void *);
typedef void (*hv_domains_cb)(int, const struct hv_domain *, size_t,
	    const char *, void *);
typedef void (*hv_host_cb)(int, const struct hv_host *, const char *,
	    void *);
typedef void (*hv_compare_cb)(int, int, const char *, void *);
typedef void (*hv_stats_cb)(int, const struct hv_job_stats *, const char *,
	    void *);
typedef void (*hv_state_cb)(int, enum hv_dom_state, const char *, void *);

/* A driver: one table of operations (libvirt now, simulated later). */
struct hv_ops {
	const char	*name;
	struct hv_node	*(*node_create)(struct event_base *, struct workers *,
			    const struct hv_node_params *,
			    const struct hv_node_cbs *);
	void		 (*node_free)(struct hv_node *);
	int		 (*node_is_up)(struct hv_node *);
	void		 (*migrate)(struct hv_node *, const char *,
			    const struct hv_migrate_params *, hv_done_cb,
			    void *);
	void		 (*job_stats)(struct hv_node *, const char *,
			    hv_stats_cb, void *);
	void		 (*job_abort)(struct hv_node *, const char *,
			    hv_done_cb, void *);
	void		 (*dom_state)(struct hv_node *, const char *,
			    hv_state_cb, void *);
	void		 (*list_domains)(struct hv_node *, hv_domains_cb,
			    void *);
	void		 (*host_info)(struct hv_node *, hv_host_cb, void *);
	void		 (*compare_cpu)(struct hv_node *, const char *,
			    hv_compare_cb, void *);
};

extern const struct hv_ops hv_libvirt_ops;

/*
 * Create a node and start connecting at once (in the background); on loss
 * it reconnects with exponential backoff (1 s doubling, capped at
 * reconnect_max) and calls conn_cb each time it goes up or down.
 */
struct hv_node	*hv_node_create(const struct hv_ops *, struct event_base *,
		     struct workers *, const struct hv_node_params *,
		     const struct hv_node_cbs *);
void		 hv_node_free(struct hv_node *);	/* accepts NULL */
int		 hv_node_is_up(struct hv_node *);
const char	*hv_node_name(struct hv_node *);

/*
 * Start a live peer-to-peer migration of VM (LIVE | PEER2PEER |
 * PERSIST_DEST | UNDEFINE_SOURCE) and call CB when the call returns: rc 0
 * success, -1 with libvirt's message.  No deadline: it lasts as long as
 * the migration.  Fails at once (through CB) if the node is down.
 */
void	 hv_migrate(struct hv_node *, const char *,
	     const struct hv_migrate_params *, hv_done_cb, void *);

/* Sample VM's current job (rc 0; stats.active 0 when no job). */
void	 hv_job_stats(struct hv_node *, const char *, hv_stats_cb, void *);

/* Abort VM's current job (virDomainAbortJob). */
void	 hv_job_abort(struct hv_node *, const char *, hv_done_cb, void *);

/* Where VM stands on this node (rc 0 with HV_DOM_ABSENT if unknown there). */
void	 hv_dom_state(struct hv_node *, const char *, hv_state_cb, void *);

/* Every domain of the node with its state and XML. */
void	 hv_list_domains(struct hv_node *, hv_domains_cb, void *);

/* The node's capabilities, domain capabilities, memory and CPUs. */
void	 hv_host_info(struct hv_node *, hv_host_cb, void *);

/*
 * Can the node's hypervisor run CPU_XML (a <cpu> element)?  CB gets rc 0
 * and 1 (identical or superset) or 0 (incompatible), or rc -1.
 */
void	 hv_compare_cpu(struct hv_node *, const char *, hv_compare_cb,
	     void *);

const char	*hv_dom_state_name(enum hv_dom_state);
const char	*hv_event_name(enum hv_event);

#endif
