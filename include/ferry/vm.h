/*
 * vm.h: a VM as ferry's rules see it, read from its libvirt domain XML with
 * libxml2 and XPath (never by hand).  Pure data: no connection needed, so
 * the rules can be tested on fixtures.
 *
 * Placement rules live in the domain's <metadata> under ferry's namespace
 * VM_XMLNS (documented in the README):
 *
 *	<metadata>
 *	  <ferry:placement xmlns:ferry="urn:ferry:placement:1">
 *	    <ferry:nodeSelector key="kubernetes.io/hostname" value="node-a"/>
 *	    <ferry:requiredLabel key="zone" value="east"/>
 *	    <ferry:requiredLabel key="gpu"/>          (value omitted: key exists)
 *	  </ferry:placement>
 *	</metadata>
 */
#ifndef FERRY_VM_H
#define FERRY_VM_H

#include <stddef.h>
#include <stdint.h>

#define VM_XMLNS	"urn:ferry:placement:1"

/* <disk device='...'>. */
enum vm_disk_device {
	VM_DISK_DISK,		/* device='disk' (or unset) */
	VM_DISK_CDROM,		/* device='cdrom' */
	VM_DISK_FLOPPY,		/* device='floppy' */
	VM_DISK_LUN,		/* device='lun' */
};

/* One <disk>. */
struct vm_disk {
	enum vm_disk_device	 device;	/* what the guest sees */
	char			*type;		/* file|block|volume|network|dir, as written */
	char			*target;	/* target/@dev, e.g. "vda" */
	char			*path;		/* source/@file or source/@dev, or NULL */
	char			*pool;		/* source/@pool (type='volume'), or NULL */
	char			*volume;	/* source/@volume, or NULL */
	char			*protocol;	/* source/@protocol (network), or NULL */
	char			*name;		/* source/@name (network), or NULL */
	int			 readonly;	/* <readonly/> */
	int			 shareable;	/* <shareable/> */
	int			 has_source;	/* a <source> element is present */
};

/* One <interface>. */
struct vm_iface {
	char	*type;		/* network|bridge|direct|user|..., as written */
	char	*source;	/* source/@network, @bridge or @dev, or NULL */
	char	*mac;		/* mac/@address, or NULL */
};

enum vm_hostdev_kind {
	VM_HOSTDEV_PCI,		/* <hostdev type='pci'> */
	VM_HOSTDEV_MDEV,	/* <hostdev type='mdev'> (vGPU and friends) */
	VM_HOSTDEV_USB,		/* <hostdev type='usb'> */
	VM_HOSTDEV_OTHER,	/* scsi, scsi_host, ... */
};

/* One <hostdev>. */
struct vm_hostdev {
	enum vm_hostdev_kind	 kind;	/* bus */
	char			*desc;	/* "0000:65:00.0", mdev UUID, "usb 046d:c52b"... */
};

enum vm_cpu_mode {
	VM_CPU_UNSET,		/* no <cpu> or no mode/model: cluster default */
	VM_CPU_HOST_MODEL,	/* mode='host-model' */
	VM_CPU_HOST_PASSTHROUGH, /* mode='host-passthrough' */
	VM_CPU_MAXIMUM,		/* mode='maximum' */
	VM_CPU_CUSTOM,		/* mode='custom' with <model> */
};

/* A key and (optional) value. */
struct vm_label {
	char	*key;		/* never NULL */
	char	*value;		/* NULL: the key must only exist */
};

/* A VM's facts. */
struct vm_info {
	char			*name;		/* domain name */
	char			*uuid;		/* domain UUID, or NULL */
	uint64_t		 memory_kib;	/* <memory> (or currentMemory if larger) in KiB */
	unsigned int		 vcpus;		/* <vcpu> */
	enum vm_cpu_mode	 cpu_mode;	/* <cpu mode=...> */
	char			*cpu_model;	/* <cpu><model> text, or NULL */
	int			 cpu_pinned;	/* <cputune><vcpupin>, or <vcpu cpuset=...> */
	struct vm_disk		*disks;		/* in document order */
	size_t			 ndisks;
	struct vm_iface		*ifaces;
	size_t			 nifaces;
	struct vm_hostdev	*hostdevs;
	size_t			 nhostdevs;
	struct vm_label		*node_selector;	/* ferry:nodeSelector */
	size_t			 nnode_selector;
	struct vm_label		*required_labels; /* ferry:requiredLabel */
	size_t			 nrequired_labels;
};

/*
 * Parse domain XML (LEN bytes, need not be terminated).  On success *out
 * is a new vm_info and 0 is returned; on failure -1 and *cause says what
 * is wrong ("not a domain", "element 'memory' is missing", ...).  Never
 * crashes on hostile input; no network access (XML_PARSE_NONET, no
 * entities expanded).
 */
int	 vm_info_parse(const char *, size_t, struct vm_info **, char **);
void	 vm_info_free(struct vm_info *);		/* accepts NULL */

const char	*vm_disk_device_name(enum vm_disk_device);
const char	*vm_cpu_mode_name(enum vm_cpu_mode);

#endif
