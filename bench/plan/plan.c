// SPDX-License-Identifier: MIT
/*
 * plan.c - `dirtyscope plan`: options, the cost model (given, built in or
 * fitted to a run), the pure planner, then the table and plan.json.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "plan_command.h"

/*
 * Measured on the project's build machine (2-core AMD EPYC VM, model
 * backend, the reference harvest at the kernel's cost); the commands and the
 * fits' errors are in docs/published-case.md. Per node walked: 10.5 ns, the
 * per-mapping GETs of 16384 and 65535 vIOMMU mappings in two sweeps (error
 * <= 30 %, the spread between the sweeps). Per call: below what the fits
 * resolve - the model is a function call, not an ioctl; give a kernel's with
 * --cost-call. Per byte: 0.132 ns, the reference runs' per-mapping GETs of
 * 256 KiB and 512 KiB bitmaps (error <= 29 %). Per pinned page: 330 ns with
 * 65536 pages pinned in 1 GiB, where the pinned set no longer fits in cache
 * (6.4 ns with 1024): the larger one, as capacity planning should err.
 */
const double ds_plan_builtin_cost_ns[DS_TERM_COUNT] = {
	[DS_TERM_CALL] = 0,
	[DS_TERM_BYTE] = 0.132,
	[DS_TERM_WALK] = 10.5,
	[DS_TERM_PINNED] = 330,
};

void ds_plan_cost_release(struct ds_plan_cost *cost)
{
	free(cost->measured);
	cost->measured = NULL;
	cost->nmeasured = 0;
}

/* Without a run: every term as given, or built in. */
static void cost_from_terms(const struct ds_plan_opts *o, struct ds_plan_cost *cost)
{
	int t;

	for (t = 0; t < DS_TERM_COUNT; t++) {
		cost->fit.fixed[t] = !isnan(o->cost_ns[t]);
		cost->model.term_ns[t] = cost->fit.fixed[t] ? o->cost_ns[t]
							     : ds_plan_builtin_cost_ns[t];
	}
}

int cmd_plan(int argc, char **argv)
{
	struct ds_plan_size sizes[DS_PLAN_MAX_SIZES];
	struct ds_plan_cost cost;
	struct ds_plan_opts o;
	struct ds_plan_input in;
	int ret;

	ret = ds_plan_parse_options(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : ret;

	memset(&cost, 0, sizeof(cost));
	if (o.nfrom) {
		ret = ds_plan_cost_from_run(&o, &cost);
		if (ret)
			return ret;
	} else {
		cost_from_terms(&o, &cost);
	}

	memset(&in, 0, sizeof(in));
	in.sizes = o.sizes;
	in.nsizes = o.nsizes;
	in.page_bytes = o.page_bytes;
	in.bandwidth_bytes_per_s = o.bandwidth;
	in.dirty_rate_bytes_per_s = o.dirty_rate;
	in.working_set_bytes = o.working_set;
	in.pinned_bytes = o.pinned;
	in.state_bytes = o.state;
	in.limit_ns = o.limit_ns;
	in.max_rounds = o.max_rounds;
	in.mappings = o.mappings;
	in.tracking = o.tracking;
	in.queries = o.queries;
	in.cost = cost.model;
	ret = ds_plan_compute(&in, sizes);
	if (ret) {
		/* The options were checked against the same rules: this is a bug. */
		fprintf(stderr, "dirtyscope plan: the planner refused its inputs (%s)\n",
			strerror(-ret));
		ds_plan_cost_release(&cost);
		return 1;
	}

	if (o.out) {
		ret = ds_plan_write_json(o.out, &o, &cost, sizes, o.nsizes);
		if (ret) {
			fprintf(stderr, "dirtyscope plan: --out %s: writing plan.json: %s\n", o.out,
				strerror(-ret));
			ds_plan_cost_release(&cost);
			return 1;
		}
	}
	ds_plan_print(stdout, &o, &cost, sizes, o.nsizes);
	ds_plan_cost_release(&cost);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "dirtyscope plan: writing the table: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
