/*
 * node.h: a hypervisor host as ferry's rules see it: capacity and CPU
 * facts read from libvirt's capabilities and domain capabilities XML
 * (libxml2 + XPath), and the labels computed from them, with the seed's
 * three CPU label families:
 *
 *	host-model-cpu.node.kubevirt.io/<model>        the host-model CPU
 *	cpu-model.node.kubevirt.io/<model>             each usable named model
 *	cpu-model-migration.node.kubevirt.io/<model>   models a host-model VM
 *	                                               started elsewhere may
 *	                                               move here with: the
 *	                                               host-model CPU's model
 *
 * Pure data, testable on fixtures captured from real hosts.
 */
#ifndef FERRY_NODE_H
#define FERRY_NODE_H

#include <stddef.h>
#include <stdint.h>

#define NODE_LABEL_HOST_MODEL	"host-model-cpu.node.kubevirt.io/"
#define NODE_LABEL_CPU_MODEL	"cpu-model.node.kubevirt.io/"
#define NODE_LABEL_MIGRATION	"cpu-model-migration.node.kubevirt.io/"

/* A label: key=value ("true" for the CPU families). */
struct node_label {
	char	*key;
	char	*value;
};

/* What a host's capabilities say. */
struct node_caps {
	char		*arch;		/* host/cpu/arch, e.g. "x86_64" */
	char		*host_cpu_model; /* capabilities host/cpu/model, or NULL */
	char		*host_model;	/* domcaps cpu mode host-model model, or NULL */
	int		 host_model_ok;	/* host-model mode supported='yes' */
	char		**models;	/* domcaps custom models with usable='yes' */
	size_t		 nmodels;
	uint64_t	 memory_kib;	/* host memory (sum of NUMA cells, or topology) */
	unsigned int	 cpus;		/* host logical CPUs */
	char		*domain_type;	/* domcaps domain, e.g. "qemu" or "kvm" */
};

/*
 * Parse capabilities XML and domain capabilities XML into *out (fields
 * zeroed first).  0, or -1 with *cause.  Hostile input never crashes.
 */
int	 node_caps_parse(const char *, size_t, const char *, size_t,
	     struct node_caps *, char **);
void	 node_caps_clear(struct node_caps *);

/*
 * The seed's three label families for CAPS, appended to *LABELS / *N
 * (caller frees with node_labels_free).  Values are "true".
 */
void	 node_caps_labels(const struct node_caps *, struct node_label **,
	     size_t *);
void	 node_labels_free(struct node_label *, size_t);

#endif
