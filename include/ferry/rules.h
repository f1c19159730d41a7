/*
 * rules.h: the cluster rules (seed: "Prerequisites", "Non-migratable
 * Virtual Machines", "How Migration Works", "Limitations / CPU Models"):
 * whether a VM is live-migratable, with every reason; whether a node can
 * take it, with the first filter that refuses; and which node to pick.
 *
 * Pure functions over plain data (vm.h, node.h and the structs below), so
 * every rule is tested on fixtures; the daemon fills the structs from the
 * hosts and the configuration.
 */
#ifndef FERRY_RULES_H
#define FERRY_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/node.h"
#include "ferry/vm.h"

/* A storage class (config [storage NAME]). */
struct rules_storage {
	const char		*name;		/* class name */
	const char *const	*paths;		/* absolute path prefixes */
	size_t			 npaths;
	const char *const	*pools;		/* libvirt pool names */
	size_t			 npools;
	int			 rwx;		/* access_mode ReadWriteMany */
	int			 replicas;	/* copies of the data */
	int			 container_disk; /* kind containerDisk */
};

/* A node as the rules see it. */
struct rules_node {
	const char		*name;		/* node name */
	const struct node_label	*labels;	/* computed + configured labels */
	size_t			 nlabels;
	const char *const	*networks;	/* networks present on the node */
	size_t			 nnetworks;
	int			 up;		/* ferry is connected to it */
	int			 schedulable;	/* not cordoned, no NoSchedule taint */
	int			 cpu_manager;	/* can honour CPU pinning */
	uint64_t		 free_kib;	/* free memory now */
	unsigned int		 cpus;		/* logical CPUs */
	unsigned int		 vcpus_used;	/* vCPUs of VMs running there */
	uint64_t		 inbound_kib;	/* memory of migrations heading there */
	unsigned int		 inbound_vcpus;	/* vCPUs of migrations heading there */
	unsigned int		 inbound;	/* migrations heading there */
};

/* The cluster: nodes, storage classes and policy. */
struct rules_cluster {
	const struct rules_node		*nodes;
	size_t				 nnodes;
	const struct rules_storage	*storage;
	size_t				 nstorage;
	const char			*cpu_model;	/* default model, "" = host-model */
	uint64_t			 headroom_kib;	/* kept free after placement */
	double				 cpu_overcommit; /* vCPUs per CPU allowed,
							   0 = not judged */
};

/* One reason: a stable code and a sentence naming the device or rule. */
struct rules_reason {
	const char	*code;		/* e.g. "CDROM", "NodeSelector" */
	char		*message;	/* e.g. "disk 'sda' is a CD-ROM" */
};

/* A list of reasons. */
struct rules_reasons {
	struct rules_reason	*v;
	size_t			 n;
};

void	 rules_reasons_clear(struct rules_reasons *);

/*
 * Why VM, running on node SOURCE, is not live-migratable in CLUSTER:
 * appends every reason to *WHY.  Returns the number of reasons (0 means
 * live-migratable).
 */
size_t	 rules_migratable(const struct rules_cluster *,
	     const struct vm_info *, const char *, struct rules_reasons *);

/*
 * Can NODE take VM from SOURCE now?  1 if every filter passes; 0 with the
 * first refusing filter in *WHY (caller clears it).
 */
int	 rules_target_fits(const struct rules_cluster *, const struct vm_info *,
	     const char *, const struct rules_node *, struct rules_reason *);

/*
 * The best node for VM from SOURCE: among those that fit, the most free
 * memory after placement, then the fewest inbound migrations, then the
 * name.  NULL if none fits; then *WHY holds one reason per node.
 */
const struct rules_node *rules_pick_target(const struct rules_cluster *,
	     const struct vm_info *, const char *, struct rules_reasons *);

/* The label a node needs to run VM's CPU (for tests and the API). */
char	*rules_cpu_label(const struct rules_cluster *, const struct vm_info *,
	     const struct rules_node *);

#endif
