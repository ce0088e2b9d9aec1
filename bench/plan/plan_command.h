/* SPDX-License-Identifier: MIT */
/*
 * plan_command.h - the pieces of `dirtyscope plan` around the pure core of
 * plan.h: its options, the cost model read from a run folder, and the
 * output (the table and plan.json).
 */
#ifndef DS_PLAN_COMMAND_H
#define DS_PLAN_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plan.h"
#include "say.h"

#define DS_PLAN_MAX_SIZES 64
#define DS_PLAN_MAX_RUNS 16

struct ds_plan_opts {
	uint64_t sizes[DS_PLAN_MAX_SIZES];
	size_t nsizes;
	uint64_t page_bytes, bandwidth, dirty_rate, working_set, pinned, state, limit_ns;
	uint64_t max_rounds, mappings;
	enum ds_plan_tracking tracking;
	enum ds_plan_queries queries;
	/* --tracking hw: --io-page-size, --write-pattern, --amplification (0: the model's). */
	uint64_t io_page_bytes;
	enum ds_write_pattern writes;
	double amplification;
	const char *io_page_arg;
	double cost_ns[DS_TERM_COUNT]; /* NAN: not given */
	const char *from[DS_PLAN_MAX_RUNS]; /* run folders, in the order given */
	size_t nfrom;
	const char *harvest, *out;
	/* The arguments as given (or the defaults' spelling), for the table's header. */
	const char *device_size_arg, *bandwidth_arg, *dirty_rate_arg, *working_set_arg;
	const char *state_arg, *limit_arg, *pinned_arg;
	int argc;
	char **argv;
};

/*
 * Parse the command line (argv[0] is "plan"). Returns 0 to go on, -1 when
 * --help was printed (exit 0), or 2 after printing one line naming the bad
 * option (exit 2).
 */
int ds_plan_parse_options(int argc, char **argv, struct ds_plan_opts *o);

/* "dirtyscope plan: " and one line on stderr; returns 2, the exit status for bad input. */
#define ds_plan_bad(...) ds_bad("plan", __VA_ARGS__)

/*
 * The built-in cost terms (ns per call, bitmap byte, node walked, pinned
 * page): measured on this project's build machine, docs/published-case.md.
 */
extern const double ds_plan_builtin_cost_ns[DS_TERM_COUNT];

/* The cost model, as the command settled it; owns what it points to. */
struct ds_plan_cost {
	struct ds_cost_model model;
	bool from_run;	  /* fitted to a run folder */
	struct ds_fit fit; /* with from_run */
	const char *const *runs; /* with from_run */
	size_t nruns;
	const char *harvest;
	char harvest_name[64];
	struct ds_measured_harvest *measured;
	size_t nmeasured;
	char note[256]; /* one line for people about the fit's data, or "" */
};

/*
 * Read the run folders of @o->from through the run-folder reader and fit
 * the cost terms that @o does not give. Returns 0, or 2 after printing one line that names the
 * option, the file and the field (exit 2), or 1 on another failure
 * (out of memory: exit 1).
 */
int ds_plan_cost_from_run(const struct ds_plan_opts *o, struct ds_plan_cost *cost);

void ds_plan_cost_release(struct ds_plan_cost *cost);

/* The table and the largest size that fits, for people. */
void ds_plan_print(FILE *f, const struct ds_plan_opts *o, const struct ds_plan_cost *cost,
		   const struct ds_plan_size *sizes, size_t n);

/*
 * Write @dir/plan.json (results/plan.md): to a temporary name in @dir,
 * fsync, rename, fsync the folder; @dir is created when missing. Returns 0
 * or -errno; on failure no plan.json is left half-written.
 */
int ds_plan_write_json(const char *dir, const struct ds_plan_opts *o,
		       const struct ds_plan_cost *cost, const struct ds_plan_size *sizes, size_t n);

#endif
