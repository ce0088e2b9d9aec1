// SPDX-License-Identifier: MIT
/*
 * plan_options.c - the options of `dirtyscope plan`: --help, parsing with
 * units (util/units.h), and the checks that need several options.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "plan_command.h"
#include "units.h"

#define DEFAULT_SIZES "1G..4T"
#define DEFAULT_PAGE "4K"
#define DEFAULT_BANDWIDTH "10Gbit/s"
#define DEFAULT_DIRTY_RATE "200MB/s"
#define DEFAULT_STATE "0"
#define DEFAULT_PINNED "0"
#define DEFAULT_LIMIT "300ms"
#define DEFAULT_MAX_ROUNDS 30
/* The kernel's dma_entry_limit is an unsigned int module parameter. */
#define MAX_MAPPINGS 4294967295ull

static void usage(FILE *f)
{
	char b[DS_TERM_COUNT][24];
	int t;

	for (t = 0; t < DS_TERM_COUNT; t++)
		ds_format_ns(b[t], sizeof(b[t]), ds_plan_builtin_cost_ns[t]);
	fprintf(f,
		"usage: dirtyscope plan [options]\n"
		"\n"
		"Stop-and-copy downtime per device size: pre-copy rounds until QEMU would\n"
		"switch over (dirty + state <= bandwidth x limit), or a forced switchover\n"
		"when it does not converge; each round and the switchover pay a dirty-bitmap\n"
		"harvest. Prints a table and the largest device size that meets the limit;\n"
		"--out writes plan.json (results/plan.md).\n"
		"\n"
		"Units are required: sizes B, K/M/G/T = KiB/MiB/GiB/TiB (1024), KB/MB/GB/TB\n"
		"(1000); rates a size per second (1.25GB/s) or bit/s (10Gbit/s); times ns, us,\n"
		"ms, s. A bare 0 is zero.\n"
		"\n"
		"options (default in brackets):\n"
		"  --device-size LIST    sizes, or ranges A..B doubling from A [" DEFAULT_SIZES "]\n"
		"  --page-size SIZE      the IOMMU page: one bit of the bitmap [" DEFAULT_PAGE "]\n"
		"  --bandwidth RATE      migration bandwidth [" DEFAULT_BANDWIDTH "]\n"
		"  --dirty-rate RATE     distinct pages written per second while running\n"
		"                        [" DEFAULT_DIRTY_RATE "]\n"
		"  --working-set SIZE    the dirty set stops growing there [the whole device]\n"
		"  --pinned SIZE         pinned by the vendor driver throughout: dirty at every\n"
		"                        harvest (type1 pinned scope) [" DEFAULT_PINNED "]\n"
		"  --state-size SIZE     device state sent at switchover [" DEFAULT_STATE "]\n"
		"  --downtime-limit TIME QEMU's downtime-limit [" DEFAULT_LIMIT "]\n"
		"  --max-rounds N        pre-copy rounds before a forced switchover [%d]\n"
		"  --tracking T          pinned: the device dirties at --dirty-rate; iommu: type1\n"
		"                        out of scope, every mapped page dirty at every harvest;\n"
		"                        hw: IOMMU dirty bits, each write dirties its IO page\n"
		"                        [pinned]\n"
		"  --io-page-size SIZE   hw: the IO page (4K, 2M, 1G, ...) [the page size]\n"
		"  --write-pattern P     hw: random or sequential writes, for the IO pages they\n"
		"                        touch [random]\n"
		"  --amplification X     hw: dirty pages reported per page written, as a run\n"
		"                        measured it (its amplif. column), instead of the\n"
		"                        pattern's model [the model]\n"
		"  --queries Q           merged: one GET_BITMAP per device; mapping: one per\n"
		"                        mapping, as QEMU does behind a vIOMMU [merged]\n"
		"  --mappings N          mappings the device is cut into, equal sizes [1]\n"
		"  --from RUN_DIR        harvest costs from a run folder of `dirtyscope run`\n"
		"                        (repeat for several): the measured harvest where a\n"
		"                        run has the same size, mappings and queries;\n"
		"                        elsewhere cost terms fitted to the runs' harvests\n"
		"                        (the fit's error is printed) [none]\n"
		"  --harvest H           with --from: the run's harvest to use [its first]\n"
		"  --cost-call TIME      harvest cost per GET_BITMAP call [%s]\n"
		"  --cost-byte TIME      per byte of the mappings' bitmaps [%s]\n"
		"  --cost-walk TIME      per mapping-tree node a GET walks [%s]\n"
		"  --cost-pinned TIME    per pinned page set again [%s]\n"
		"                        (given terms are kept as given; with --from the\n"
		"                        others are fitted, without it they are the built-in\n"
		"                        ones, measured on the project's build machine)\n"
		"  --out DIR             write DIR/plan.json [nothing written]\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 done, 1 a file could not be written, 2 bad options or run folder.\n",
		DEFAULT_MAX_ROUNDS, b[DS_TERM_CALL], b[DS_TERM_BYTE], b[DS_TERM_WALK],
		b[DS_TERM_PINNED]);
}

static int bad_value(const char *opt, const char *arg, const char *why)
{
	return ds_plan_bad("%s '%s': %s", opt, arg, why ? why : "malformed");
}

static int size_opt(const char *opt, const char *arg, uint64_t *out, const char **keep)
{
	const char *why = NULL;

	if (ds_parse_size(arg, 0, out, &why) < 0)
		return bad_value(opt, arg, why);
	if (keep)
		*keep = arg;
	return 0;
}

static int rate_opt(const char *opt, const char *arg, uint64_t *out, const char **keep)
{
	const char *why = NULL;

	if (ds_parse_rate(arg, out, &why) < 0)
		return bad_value(opt, arg, why);
	if (*out == 0)
		return bad_value(opt, arg, "must not be zero");
	*keep = arg;
	return 0;
}

static int cost_opt(const char *opt, const char *arg, double *out)
{
	const char *why = NULL;

	if (ds_parse_time(arg, out, &why) < 0)
		return bad_value(opt, arg, why);
	return 0;
}

static int count_opt(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	if (ds_parse_u64(arg, out) < 0 || *out < min || *out > max)
		return ds_plan_bad("%s must be a whole number from %llu to %llu, not '%s'", opt,
				   (unsigned long long)min, (unsigned long long)max, arg);
	return 0;
}

static int device_sizes(struct ds_plan_opts *o, const char *arg)
{
	const char *why = NULL;

	if (ds_parse_size_list(arg, 0, o->sizes, DS_PLAN_MAX_SIZES, &o->nsizes, &why) < 0)
		return bad_value("--device-size", arg, why);
	if (o->sizes[0] == 0)
		return bad_value("--device-size", arg, "a device size must not be zero");
	o->device_size_arg = arg;
	return 0;
}

/* The checks that need every option: sizes against the page and the mappings. */
static int cross_checks(struct ds_plan_opts *o)
{
	char a[24], b[24];
	size_t i;

	for (i = 0; i < o->nsizes; i++) {
		if (o->sizes[i] % o->page_bytes)
			return ds_plan_bad("--device-size '%s': %s is not a multiple of the %s page",
					   o->device_size_arg,
					   ds_format_bytes(a, sizeof(a), (double)o->sizes[i]),
					   ds_format_bytes(b, sizeof(b), (double)o->page_bytes));
		if (o->sizes[i] / o->page_bytes < o->mappings)
			return ds_plan_bad("--mappings %llu: a %s device has fewer pages than "
					   "mappings",
					   (unsigned long long)o->mappings,
					   ds_format_bytes(a, sizeof(a), (double)o->sizes[i]));
	}
	if (o->working_set % o->page_bytes)
		return ds_plan_bad("--working-set '%s': not a multiple of the page",
				   o->working_set_arg);
	if (o->pinned % o->page_bytes)
		return ds_plan_bad("--pinned '%s': not a multiple of the page", o->pinned_arg);
	if (o->harvest && !o->nfrom)
		return ds_plan_bad("--harvest chooses among the harvests of a run: it needs --from");
	if (o->tracking != DS_TRACK_HW && (o->io_page_bytes || o->amplification))
		return ds_plan_bad("--io-page-size and --amplification go with --tracking hw");
	if (o->io_page_bytes && o->io_page_bytes < o->page_bytes)
		return ds_plan_bad("--io-page-size '%s': smaller than the page", o->io_page_arg);
	return 0;
}

int ds_plan_parse_options(int argc, char **argv, struct ds_plan_opts *o)
{
	enum {
		O_DEVICE_SIZE = 256, O_PAGE_SIZE, O_BANDWIDTH, O_DIRTY_RATE, O_WORKING_SET,
		O_PINNED, O_STATE_SIZE, O_LIMIT, O_MAX_ROUNDS, O_TRACKING, O_QUERIES, O_MAPPINGS,
		O_FROM, O_HARVEST, O_COST_CALL, O_COST_BYTE, O_COST_WALK, O_COST_PINNED, O_OUT,
		O_IO_PAGE, O_WRITES, O_AMPLIFICATION,
	};
	static const struct option opts[] = {
		{"device-size", required_argument, NULL, O_DEVICE_SIZE},
		{"page-size", required_argument, NULL, O_PAGE_SIZE},
		{"bandwidth", required_argument, NULL, O_BANDWIDTH},
		{"dirty-rate", required_argument, NULL, O_DIRTY_RATE},
		{"working-set", required_argument, NULL, O_WORKING_SET},
		{"pinned", required_argument, NULL, O_PINNED},
		{"state-size", required_argument, NULL, O_STATE_SIZE},
		{"downtime-limit", required_argument, NULL, O_LIMIT},
		{"max-rounds", required_argument, NULL, O_MAX_ROUNDS},
		{"tracking", required_argument, NULL, O_TRACKING},
		{"queries", required_argument, NULL, O_QUERIES},
		{"mappings", required_argument, NULL, O_MAPPINGS},
		{"from", required_argument, NULL, O_FROM},
		{"harvest", required_argument, NULL, O_HARVEST},
		{"cost-call", required_argument, NULL, O_COST_CALL},
		{"cost-byte", required_argument, NULL, O_COST_BYTE},
		{"cost-walk", required_argument, NULL, O_COST_WALK},
		{"cost-pinned", required_argument, NULL, O_COST_PINNED},
		{"out", required_argument, NULL, O_OUT},
		{"io-page-size", required_argument, NULL, O_IO_PAGE},
		{"write-pattern", required_argument, NULL, O_WRITES},
		{"amplification", required_argument, NULL, O_AMPLIFICATION},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *why = NULL;
	int c, t, ret = 0;

	memset(o, 0, sizeof(*o));
	o->argc = argc;
	o->argv = argv;
	for (t = 0; t < DS_TERM_COUNT; t++)
		o->cost_ns[t] = NAN;
	/* The defaults go through the parsers: what --help shows is what they mean. */
	device_sizes(o, DEFAULT_SIZES);
	size_opt("--page-size", DEFAULT_PAGE, &o->page_bytes, NULL);
	rate_opt("--bandwidth", DEFAULT_BANDWIDTH, &o->bandwidth, &o->bandwidth_arg);
	rate_opt("--dirty-rate", DEFAULT_DIRTY_RATE, &o->dirty_rate, &o->dirty_rate_arg);
	size_opt("--state-size", DEFAULT_STATE, &o->state, &o->state_arg);
	size_opt("--pinned", DEFAULT_PINNED, &o->pinned, &o->pinned_arg);
	ds_parse_time_ns(DEFAULT_LIMIT, &o->limit_ns, NULL);
	o->limit_arg = DEFAULT_LIMIT;
	o->max_rounds = DEFAULT_MAX_ROUNDS;
	o->mappings = 1;
	o->tracking = DS_TRACK_PINNED;
	o->queries = DS_QUERY_MERGED;

	optind = 1;
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_DEVICE_SIZE:
			ret = device_sizes(o, optarg);
			break;
		case O_PAGE_SIZE:
			ret = size_opt("--page-size", optarg, &o->page_bytes, NULL);
			if (!ret && (o->page_bytes < 512 || o->page_bytes > (1ull << 30) ||
				     (o->page_bytes & (o->page_bytes - 1))))
				ret = bad_value("--page-size", optarg,
						"must be a power of two from 512B to 1G");
			break;
		case O_BANDWIDTH:
			ret = rate_opt("--bandwidth", optarg, &o->bandwidth, &o->bandwidth_arg);
			break;
		case O_DIRTY_RATE:
			ret = rate_opt("--dirty-rate", optarg, &o->dirty_rate, &o->dirty_rate_arg);
			break;
		case O_WORKING_SET:
			ret = size_opt("--working-set", optarg, &o->working_set,
				       &o->working_set_arg);
			if (!ret && o->working_set == 0)
				ret = bad_value("--working-set", optarg, "must not be zero");
			break;
		case O_PINNED:
			ret = size_opt("--pinned", optarg, &o->pinned, &o->pinned_arg);
			break;
		case O_STATE_SIZE:
			ret = size_opt("--state-size", optarg, &o->state, &o->state_arg);
			break;
		case O_LIMIT:
			if (ds_parse_time_ns(optarg, &o->limit_ns, &why) < 0)
				ret = bad_value("--downtime-limit", optarg, why);
			else if (o->limit_ns == 0)
				ret = bad_value("--downtime-limit", optarg, "must not be zero");
			o->limit_arg = optarg;
			break;
		case O_MAX_ROUNDS:
			ret = count_opt("--max-rounds", optarg, 1, 1000000, &o->max_rounds);
			break;
		case O_TRACKING:
			if (!strcmp(optarg, "pinned"))
				o->tracking = DS_TRACK_PINNED;
			else if (!strcmp(optarg, "iommu"))
				o->tracking = DS_TRACK_IOMMU;
			else if (!strcmp(optarg, "hw"))
				o->tracking = DS_TRACK_HW;
			else
				ret = bad_value("--tracking", optarg, "pinned, iommu or hw");
			break;
		case O_IO_PAGE:
			ret = size_opt("--io-page-size", optarg, &o->io_page_bytes, &o->io_page_arg);
			if (!ret && (!o->io_page_bytes || (o->io_page_bytes & (o->io_page_bytes - 1))))
				ret = bad_value("--io-page-size", optarg, "must be a power of two");
			break;
		case O_WRITES:
			if (!strcmp(optarg, "random"))
				o->writes = DS_WRITES_RANDOM;
			else if (!strcmp(optarg, "sequential"))
				o->writes = DS_WRITES_SEQUENTIAL;
			else
				ret = bad_value("--write-pattern", optarg, "random or sequential");
			break;
		case O_AMPLIFICATION: {
			char *end;

			errno = 0;
			o->amplification = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->amplification >= 1) ||
			    o->amplification > 1e12)
				ret = bad_value("--amplification", optarg,
						"a number of pages reported per page written, at least 1");
			break;
		}
		case O_QUERIES:
			if (!strcmp(optarg, "merged"))
				o->queries = DS_QUERY_MERGED;
			else if (!strcmp(optarg, "mapping"))
				o->queries = DS_QUERY_MAPPING;
			else
				ret = bad_value("--queries", optarg, "merged or mapping");
			break;
		case O_MAPPINGS:
			ret = count_opt("--mappings", optarg, 1, MAX_MAPPINGS, &o->mappings);
			break;
		case O_FROM:
			if (o->nfrom == DS_PLAN_MAX_RUNS)
				ret = ds_plan_bad("--from: at most %d run folders", DS_PLAN_MAX_RUNS);
			else
				o->from[o->nfrom++] = optarg;
			break;
		case O_HARVEST:
			o->harvest = optarg;
			break;
		case O_COST_CALL:
			ret = cost_opt("--cost-call", optarg, &o->cost_ns[DS_TERM_CALL]);
			break;
		case O_COST_BYTE:
			ret = cost_opt("--cost-byte", optarg, &o->cost_ns[DS_TERM_BYTE]);
			break;
		case O_COST_WALK:
			ret = cost_opt("--cost-walk", optarg, &o->cost_ns[DS_TERM_WALK]);
			break;
		case O_COST_PINNED:
			ret = cost_opt("--cost-pinned", optarg, &o->cost_ns[DS_TERM_PINNED]);
			break;
		case O_OUT:
			if (!*optarg)
				ret = ds_plan_bad("--out needs a folder name");
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			ret = ds_plan_bad("%s needs a value", argv[optind - 1]);
			break;
		default:
			ret = ds_plan_bad("unknown option '%s' (see dirtyscope plan --help)",
					  argv[optind - 1]);
			break;
		}
	}
	if (ret)
		return ret;
	if (optind < argc)
		return ds_plan_bad("unexpected argument '%s' (see dirtyscope plan --help)",
				   argv[optind]);
	return cross_checks(o);
}
