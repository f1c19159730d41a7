/*
 * config-table.c: every option ferryd reads from its configuration file.
 * This table alone drives parsing, validation, defaults, the commented
 * default file (conf/ferryd.conf) and which changes need a restart; add an
 * option here and to struct config, nowhere else.
 */

#include <stddef.h>

#include "ferry/config-priv.h"
#include "ferry/util.h"

/* Words log_level accepts, as log_level_parse() knows them. */
static const char *const config_log_levels[] = {
	"debug", "info", "warn", "error", NULL
};

/* Words log_format accepts, as log_format_parse() knows them. */
static const char *const config_log_formats[] = {
	"auto", "json", "text", NULL
};

/* Access modes of a storage class, spelled as KubeVirt spells them. */
static const char *const config_access_modes[] = {
	"ReadWriteMany", "ReadWriteOnce", NULL
};

/* Kinds of storage class. */
static const char *const config_virt_types[] = {
	"auto", "kvm", "qemu", NULL
};

static const char *const config_storage_kinds[] = {
	"volume", "containerDisk", NULL
};

/* Which migration events webhook_events posts. */
static const char *const config_webhook_events[] = {
	"final", "all", NULL
};

const struct config_section_entry config_sections[] = {
	[CONFIG_SECTION_FERRYD] = {
		.name = "ferryd",
		.help = "The daemon: its API socket, threads, logs and timeouts."
	},
	[CONFIG_SECTION_REDIS] = {
		.name = "redis",
		.help = "The Redis server that holds ferry's shared state."
	},
	[CONFIG_SECTION_MIGRATION] = {
		.name = "migration",
		.help = "Migration policy; every option here is reloadable."
	},
	[CONFIG_SECTION_NOTIFY] = {
		.name = "notify",
		.help = "Webhooks: a JSON event POSTed for each migration this "
		    "replica drives when it ends, or at each of its "
		    "transitions.  Every option here is reloadable."
	},
	[CONFIG_SECTION_NODE] = {
		.name = "node",
		.help = "One [node NAME] section per hypervisor host.",
		.named = 1
	},
	[CONFIG_SECTION_STORAGE] = {
		.name = "storage",
		.help = "One [storage NAME] section per storage class: how the "
		    "disks under its paths or in its pools may be shared "
		    "between hosts.",
		.named = 1
	},
};
const size_t config_sections_size = nitems(config_sections);

const struct config_option config_table[] = {
	/* [ferryd] */
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "listen_address",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_NONEMPTY,
	  .default_str = "127.0.0.1",
	  .help = "Address the HTTP API listens on.",
	  .offset = offsetof(struct config, listen_address)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "listen_port",
	  .type = CONFIG_INT,
	  .min = 1,
	  .max = 65535,
	  .default_num = 8470,
	  .help = "TCP port the HTTP API listens on.",
	  .offset = offsetof(struct config, listen_port)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "api_token_file",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD,
	  .default_str = "",
	  .help = "File holding the bearer token API clients must send "
	      "(Authorization: Bearer TOKEN); empty means no authentication, "
	      "fit only for a loopback listen_address.  Read again on SIGHUP.",
	  .offset = offsetof(struct config, api_token_file)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "api_open_health",
	  .type = CONFIG_BOOL,
	  .flags = CONFIG_RELOAD,
	  .default_num = 1,
	  .help = "Whether /healthz and /metrics answer without the token "
	      "(for load balancers, probes and Prometheus).",
	  .offset = offsetof(struct config, api_open_health)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "workers",
	  .type = CONFIG_INT,
	  .min = 1,
	  .max = 64,
	  .default_num = 4,
	  .help = "Threads that make hypervisor calls, so that a slow host "
	      "cannot stall the event loop.",
	  .offset = offsetof(struct config, workers)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "log_level",
	  .type = CONFIG_CHOICE,
	  .flags = CONFIG_RELOAD,
	  .default_str = "info",
	  .choices = config_log_levels,
	  .help = "Least severe message that is logged.",
	  .offset = offsetof(struct config, log_level)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "log_format",
	  .type = CONFIG_CHOICE,
	  .default_str = "auto",
	  .choices = config_log_formats,
	  .help = "Log line format; auto is text on a terminal and JSON "
	      "otherwise.",
	  .offset = offsetof(struct config, log_format)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "replica_id",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_NAME,
	  .default_str = "",
	  .help = "Name of this replica among ferryd replicas (letters, "
	      "digits, _ . -); empty means HOSTNAME-PID.",
	  .offset = offsetof(struct config, replica_id)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "lease_timeout",
	  .type = CONFIG_INT,
	  .min = 300,
	  .max = 60000,
	  .default_num = 2000,
	  .help = "Milliseconds a replica's liveness lease and the leader "
	      "lease last unless renewed (every third of it); another "
	      "replica adopts a dead replica's migrations soon after its "
	      "lease ends.",
	  .offset = offsetof(struct config, lease_timeout)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "call_timeout",
	  .type = CONFIG_INT,
	  .min = 1,
	  .max = 3600,
	  .default_num = 30,
	  .help = "Seconds one hypervisor call may take before it is given "
	      "up.",
	  .offset = offsetof(struct config, call_timeout)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "reconnect_max",
	  .type = CONFIG_INT,
	  .min = 1,
	  .max = 3600,
	  .default_num = 30,
	  .help = "Longest wait in seconds between attempts to reconnect to "
	      "a hypervisor.",
	  .offset = offsetof(struct config, reconnect_max)
	},
	{ .section = CONFIG_SECTION_FERRYD,
	  .name = "inventory_interval",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 3600,
	  .default_num = 30,
	  .help = "Seconds between full refreshes of the inventory of VMs and "
	      "nodes (domain events refresh it in between).",
	  .offset = offsetof(struct config, inventory_interval)
	},

	/* [redis] */
	{ .section = CONFIG_SECTION_REDIS,
	  .name = "redis_host",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_NONEMPTY,
	  .default_str = "127.0.0.1",
	  .help = "Host name or address of the Redis server. A name is "
	      "resolved once when ferryd starts: restart it if the address "
	      "changes.",
	  .offset = offsetof(struct config, redis_host)
	},
	{ .section = CONFIG_SECTION_REDIS,
	  .name = "redis_port",
	  .type = CONFIG_INT,
	  .min = 1,
	  .max = 65535,
	  .default_num = 6379,
	  .help = "TCP port of the Redis server.",
	  .offset = offsetof(struct config, redis_port)
	},
	{ .section = CONFIG_SECTION_REDIS,
	  .name = "redis_prefix",
	  .type = CONFIG_STRING,
	  .default_str = "ferry:",
	  .help = "Prefix of every Redis key ferryd uses, so that clusters "
	      "can share one server.",
	  .offset = offsetof(struct config, redis_prefix)
	},

	/* [migration] */
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "completion_timeout_per_gib",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 86400,
	  .default_num = 800,
	  .help = "Seconds per GiB of guest memory a migration may take in "
	      "all before it is aborted.",
	  .offset = offsetof(struct config, completion_timeout_per_gib)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "progress_timeout",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 86400,
	  .default_num = 150,
	  .help = "Seconds a migration may go without a new low of remaining "
	      "data before it is aborted.",
	  .offset = offsetof(struct config, progress_timeout)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "keepalive_interval",
	  .type = CONFIG_INT,
	  .flags = 0,
	  .min = 0,
	  .max = 600,
	  .default_num = 5,
	  .help = "Seconds between libvirt keepalive probes on ferryd's "
	      "connections; 0 turns them off.",
	  .offset = offsetof(struct config, keepalive_interval)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "keepalive_count",
	  .type = CONFIG_INT,
	  .flags = 0,
	  .min = 0,
	  .max = 100,
	  .default_num = 5,
	  .help = "Keepalive probes left unanswered before a connection "
	      "counts as lost.",
	  .offset = offsetof(struct config, keepalive_count)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "bandwidth_per_migration",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 0,
	  .max = 1048576,
	  .default_num = 0,
	  .help = "Bandwidth cap of one migration in MiB/s; 0 means "
	      "unlimited.",
	  .offset = offsetof(struct config, bandwidth_per_migration)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "job_stats_interval",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 50,
	  .max = 60000,
	  .default_num = 1000,
	  .help = "Milliseconds between job statistics samples of a running "
	      "migration (a reload applies to migrations started after it).",
	  .offset = offsetof(struct config, job_stats_interval)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "unreachable_timeout",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 86400,
	  .default_num = 300,
	  .help = "Seconds a migration waits for a host that does not answer "
	      "(to learn where its VM runs, or for a target to connect) "
	      "before it ends failed with ConnectionLost.",
	  .offset = offsetof(struct config, unreachable_timeout)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "finished_retention",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 0,
	  .max = 86400,
	  .default_num = 600,
	  .help = "Seconds a replica keeps a migration it ended (or lost to "
	      "another replica) in memory; its record stays in Redis, where "
	      "the API reads it.",
	  .offset = offsetof(struct config, finished_retention)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "cpu_model",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD|CONFIG_NAME,
	  .default_str = "",
	  .help = "Cluster-wide CPU model of VMs that name none, a libvirt "
	      "model name such as Skylake-Client-IBRS; empty means "
	      "host-model.",
	  .offset = offsetof(struct config, cpu_model)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "memory_headroom",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 0,
	  .max = 1048576,
	  .default_num = 256,
	  .help = "MiB of memory a target must still have free after it "
	      "takes a VM, counting migrations already heading there.",
	  .offset = offsetof(struct config, memory_headroom)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "unschedulable_timeout",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 86400,
	  .default_num = 300,
	  .help = "Seconds a migration waits in pending for a target that "
	      "fits before it ends failed with Unschedulable.",
	  .offset = offsetof(struct config, unschedulable_timeout)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "evacuation_taint",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD | CONFIG_NONEMPTY,
	  .default_str = "kubevirt.io/drain",
	  .help = "Key of the NoSchedule taint a drain puts on a node; the "
	      "leader evacuates every node that carries it.",
	  .offset = offsetof(struct config, evacuation_taint)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "evacuation_migration_prefix",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD | CONFIG_NONEMPTY | CONFIG_NAME,
	  .default_str = "kubevirt-evacuation",
	  .help = "Evacuation migrations are named PREFIX-xxxxx.",
	  .offset = offsetof(struct config, evacuation_migration_prefix)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "evacuation_timeout",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 604800,
	  .default_num = 3600,
	  .help = "Seconds an evacuation may run; then it ends failed, its "
	      "pending migrations aborted, running ones left to finish.",
	  .offset = offsetof(struct config, evacuation_timeout)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "parallel_migrations_per_cluster",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 1000,
	  .default_num = 5,
	  .help = "Migrations running at once in the whole cluster, whatever "
	      "the number of ferryd replicas.",
	  .offset = offsetof(struct config, parallel_migrations_per_cluster)
	},
	{ .section = CONFIG_SECTION_MIGRATION,
	  .name = "parallel_outbound_migrations_per_node",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 100,
	  .default_num = 2,
	  .help = "Migrations leaving one node at once.",
	  .offset = offsetof(struct config,
	      parallel_outbound_migrations_per_node)
	},

	/* [notify] */
	{ .section = CONFIG_SECTION_NOTIFY,
	  .name = "webhook_url",
	  .type = CONFIG_LIST,
	  .flags = CONFIG_RELOAD|CONFIG_URL,
	  .help = "http:// or https:// URLs that each event is POSTed to as "
	      "a JSON object with id, type (migration), final, time, replica "
	      "and object (the migration record).  Each URL has its own "
	      "queue and gets the events in order; a URL may not hold a "
	      "comma.  Empty turns webhooks off.",
	  .offset = offsetof(struct config, webhook_url)
	},
	{ .section = CONFIG_SECTION_NOTIFY,
	  .name = "webhook_events",
	  .type = CONFIG_CHOICE,
	  .flags = CONFIG_RELOAD,
	  .default_str = "final",
	  .choices = config_webhook_events,
	  .help = "final posts an event when a migration ends (succeeded, "
	      "aborted or failed), once, from the replica that drove it; "
	      "all posts one at every transition too.",
	  .offset = offsetof(struct config, webhook_events)
	},
	{ .section = CONFIG_SECTION_NOTIFY,
	  .name = "webhook_timeout",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 100,
	  .max = 600000,
	  .default_num = 5000,
	  .help = "Milliseconds one POST may take, connecting included, "
	      "before it counts as failed.",
	  .offset = offsetof(struct config, webhook_timeout)
	},
	{ .section = CONFIG_SECTION_NOTIFY,
	  .name = "webhook_retries",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 0,
	  .max = 100,
	  .default_num = 5,
	  .help = "Times a failed POST (no connection, timeout, status other "
	      "than 2xx) is tried again, after 1 s, 2 s, 4 s ... (at most "
	      "60 s); then the event is dropped with a warning.",
	  .offset = offsetof(struct config, webhook_retries)
	},
	{ .section = CONFIG_SECTION_NOTIFY,
	  .name = "webhook_queue",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 100000,
	  .default_num = 1000,
	  .help = "Events that may wait for one URL while an earlier one is "
	      "sent or retried; when full the oldest waiting one is dropped "
	      "with a warning.",
	  .offset = offsetof(struct config, webhook_queue)
	},

	/* [node NAME]; any change to a node needs a restart. */
	{ .section = CONFIG_SECTION_NODE,
	  .name = "uri",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_REQUIRED|CONFIG_NONEMPTY,
	  .example = "qemu+tls://node-a.example.com/system",
	  .help = "libvirt URI ferryd connects to (required).",
	  .offset = offsetof(struct config_node, uri)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "migration_uri",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_NONEMPTY,
	  .example = "qemu+tls://node-a.mgmt.example.com/system",
	  .help = "libvirt URI the source host's libvirtd uses to reach this "
	      "node in a peer-to-peer migration; default: uri.",
	  .offset = offsetof(struct config_node, migration_uri)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "migration_address",
	  .type = CONFIG_STRING,
	  .flags = CONFIG_NONEMPTY,
	  .example = "10.10.0.11",
	  .help = "Host or address on the migration network that guest "
	      "memory is sent to; default: libvirt chooses.",
	  .offset = offsetof(struct config_node, migration_address)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "virt_type",
	  .type = CONFIG_CHOICE,
	  .default_str = "auto",
	  .choices = config_virt_types,
	  .example = "auto",
	  .help = "Domain type the node's VMs run with, for its CPU labels "
	      "and CPU checks: kvm, qemu (TCG), or auto (kvm if the host "
	      "offers it).",
	  .offset = offsetof(struct config_node, virt_type)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "labels",
	  .type = CONFIG_LIST,
	  .flags = CONFIG_LABEL,
	  .example = "topology.example.com/rack=r12, ssd=",
	  .help = "Labels of this node as key=value, added to those computed "
	      "from its CPUs; VM node selectors match them.  A key is "
	      "letters, digits, '.', '_', '/' or '-', a value the same or "
	      "empty.",
	  .offset = offsetof(struct config_node, labels)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "networks",
	  .type = CONFIG_LIST,
	  .flags = CONFIG_NAME,
	  .example = "mgmt, vlan100",
	  .help = "Networks VMs can attach to on this node; a VM goes only "
	      "where all its networks are.",
	  .offset = offsetof(struct config_node, networks)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "cpu_manager",
	  .type = CONFIG_BOOL,
	  .default_num = 0,
	  .example = "true",
	  .help = "This node runs VMs with pinned vCPUs (the CPU manager of "
	      "KubeVirt).",
	  .offset = offsetof(struct config_node, cpu_manager)
	},
	{ .section = CONFIG_SECTION_NODE,
	  .name = "schedulable",
	  .type = CONFIG_BOOL,
	  .default_num = 1,
	  .example = "false",
	  .help = "false cordons the node: no migration picks it as target.",
	  .offset = offsetof(struct config_node, schedulable)
	},

	/* [storage NAME]; reloadable, the rules read it afresh. */
	{ .section = CONFIG_SECTION_STORAGE,
	  .name = "paths",
	  .type = CONFIG_LIST,
	  .flags = CONFIG_RELOAD|CONFIG_PATH,
	  .example = "/srv/nfs/vms",
	  .help = "Absolute path prefixes: a disk whose source starts with "
	      "one is of this class.",
	  .offset = offsetof(struct config_storage, paths)
	},
	{ .section = CONFIG_SECTION_STORAGE,
	  .name = "pools",
	  .type = CONFIG_LIST,
	  .flags = CONFIG_RELOAD,
	  .example = "nfs-vms",
	  .help = "libvirt storage pools whose volumes are of this class.",
	  .offset = offsetof(struct config_storage, pools)
	},
	{ .section = CONFIG_SECTION_STORAGE,
	  .name = "access_mode",
	  .type = CONFIG_CHOICE,
	  .flags = CONFIG_RELOAD,
	  .default_str = "ReadWriteOnce",
	  .choices = config_access_modes,
	  .example = "ReadWriteMany",
	  .help = "ReadWriteMany if every host reaches the same disk (shared "
	      "storage, needed for live migration).",
	  .offset = offsetof(struct config_storage, access_mode)
	},
	{ .section = CONFIG_SECTION_STORAGE,
	  .name = "replicas",
	  .type = CONFIG_INT,
	  .flags = CONFIG_RELOAD,
	  .min = 1,
	  .max = 64,
	  .default_num = 1,
	  .example = "3",
	  .help = "Copies the storage keeps of each volume; a VM on storage "
	      "with one replica is not live-migratable.",
	  .offset = offsetof(struct config_storage, replicas)
	},
	{ .section = CONFIG_SECTION_STORAGE,
	  .name = "kind",
	  .type = CONFIG_CHOICE,
	  .flags = CONFIG_RELOAD,
	  .default_str = "volume",
	  .choices = config_storage_kinds,
	  .example = "volume",
	  .help = "containerDisk for ephemeral disk images made from a "
	      "container image; a VM with one is not live-migratable.",
	  .offset = offsetof(struct config_storage, kind)
	},
};
const size_t config_table_size = nitems(config_table);
