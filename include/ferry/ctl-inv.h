/* ctl-inv.h: ferryctl's view of the cluster inventory: nodes and VMs. */
#ifndef FERRY_CTL_INV_H
#define FERRY_CTL_INV_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

int	 ctl_inv_node_table(yajl_val *, size_t, int, char **);
int	 ctl_inv_vm_table(yajl_val *, size_t, int, char **);
int	 ctl_inv_vm_describe(yajl_val, char **);

#endif
