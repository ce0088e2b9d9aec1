// SPDX-License-Identifier: MIT
/*
 * plan_from_none.c - `plan --from` in a build without the run-folder reader
 * (bench/results/reader.c is being written on another branch): the option
 * is refused as bad input, so nothing half-works. Goes away with the reader.
 */
#include "plan_command.h"

int ds_plan_cost_from_run(const struct ds_plan_opts *o, struct ds_plan_cost *cost)
{
	(void)cost;
	return ds_plan_bad("--from %s: this build has no run-folder reader yet "
			   "(bench/results/reader.c); give the cost terms with --cost-*",
			   o->from);
}
