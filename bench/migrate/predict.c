// SPDX-License-Identifier: MIT
/*
 * predict.c - what `dirtyscope plan` predicts for the inputs of a migration,
 * through the planner's own pure core (ds_plan_compute()), twice:
 *   plan           the inputs as `dirtyscope plan` takes them on its command
 *                  line, with its built-in harvest cost terms: what a user
 *                  planning this migration would have been told;
 *   plan_measured  the same, but with the harvest this migration measured
 *                  (the median of its harvests), as `plan --from` would use
 *                  a run's: what is left is the convergence model's error.
 * The link is the configured --bandwidth (the planner's input), not the
 * rate the link was measured at.
 */
#include <string.h>

#include "migrate.h"
#include "plan_command.h"

static void predict(const struct ds_mig_opts *o, const struct ds_mig_result *res,
		    const struct ds_measured_harvest *measured, struct ds_mig_prediction *out)
{
	uint64_t size = res->pt.device_bytes;
	struct ds_plan_input in;
	int t;

	memset(&in, 0, sizeof(in));
	in.sizes = &size;
	in.nsizes = 1;
	in.page_bytes = DS_MIG_PAGE;
	in.bandwidth_bytes_per_s = res->pt.bandwidth;
	in.dirty_rate_bytes_per_s = res->pt.dirty_rate;
	in.working_set_bytes = res->pt.working_set;
	in.pinned_bytes = 0;
	in.state_bytes = o->state_bytes;
	in.limit_ns = o->limit_ns;
	in.max_rounds = o->max_rounds;
	in.mappings = o->mappings;
	in.tracking = DS_TRACK_PINNED;
	in.queries = DS_QUERY_MERGED;
	for (t = 0; t < DS_TERM_COUNT; t++)
		in.cost.term_ns[t] = ds_plan_builtin_cost_ns[t];
	in.cost.measured = measured;
	in.cost.nmeasured = measured ? 1 : 0;
	memset(out, 0, sizeof(*out));
	out->valid = ds_plan_compute(&in, &out->plan) == 0;
}

void ds_mig_predict(const struct ds_mig_opts *o, struct ds_mig_result *res)
{
	struct ds_measured_harvest h = {
		.device_bytes = res->pt.device_bytes,
		.mappings = o->mappings,
		.queries = DS_QUERY_MERGED,
		.harvest_ns = res->harvest_median_ns,
	};

	predict(o, res, NULL, &res->plan);
	if (res->harvest_median_ns)
		predict(o, res, &h, &res->plan_measured);
	else
		memset(&res->plan_measured, 0, sizeof(res->plan_measured));
}
