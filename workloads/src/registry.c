// SPDX-License-Identifier: MIT
#include <string.h>

#include <workloads/workload.h>

#include "wl.h"

const struct ds_workload_ops *const ds_workloads[] = {
	&ds_workload_pinned,
	&ds_workload_iommu,
	&ds_workload_rw,
	&ds_workload_viommu,
	&ds_workload_idle,
	&ds_workload_devwrite,
	NULL,
};

const struct ds_workload_ops *ds_workload_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; ds_workloads[i]; i++)
		if (!strcmp(ds_workloads[i]->name, name))
			return ds_workloads[i];
	return NULL;
}
