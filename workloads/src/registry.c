// SPDX-License-Identifier: MIT
#include <string.h>

#include <workloads/workload.h>

const struct ds_workload_ops *const ds_workloads[] = {NULL};

const struct ds_workload_ops *ds_workload_find(const char *name)
{
	size_t i;

	for (i = 0; ds_workloads[i]; i++)
		if (!strcmp(ds_workloads[i]->name, name))
			return ds_workloads[i];
	return NULL;
}
