// SPDX-License-Identifier: MIT
/*
 * run_options.c - the options of `dirtyscope run`: --help, parsing, the
 * checks that need several options or the machine, and the configuration
 * as meta.json records it.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "parse.h"
#include "run.h"

static const char *const default_layouts = "uniform:8,ragged:8";

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: dirtyscope run [options]\n"
		"\n"
		"Map DMA regions, drive workloads that dirty them, and time every tracking\n"
		"call (START, GET_BITMAP per mapping and merged, UNMAP with bitmap, STOP)\n"
		"against a memcpy of the same bitmap bytes. Prints a table and writes\n"
		"meta.json, samples.csv and summary.json (see results/README.md).\n"
		"\n"
		"options (default in brackets):\n"
		"  --backend NAME        tracker backend [model]\n"
		"  --harvest H           reference|all: harvest implementation(s) to run [reference]\n"
		"  --device-size SIZE    bytes of each device, K/M/G/T suffixes [64G]\n"
		"  --layout L[,L...]     one device per layout: single, uniform:N, ragged:N,\n"
		"                        viommu:N [%s]\n"
		"  --workload W[,W...]   what dirties memory, combinable [pinned]:\n",
		default_layouts);
	for (i = 0; ds_workloads[i]; i++)
		fprintf(f, "                          %-8s %s\n", ds_workloads[i]->name,
			ds_workloads[i]->summary);
	fprintf(f,
		"  --threads N           threads per threaded workload step [1]\n"
		"  --iterations N        dirty -> harvest iterations [100]\n"
		"  --profile-iterations N  extra iterations with the harvest phases timed\n"
		"                        (the profiler view); 0 turns it off [same as --iterations]\n"
		"  --pages N             pages pinned or written per workload step [1024]\n"
		"  --step-ms MS          run each workload step for MS ms instead of --pages [0]\n"
		"  --pattern P           random|sequential|hotcold page choice [random]\n"
		"  --hot PCT:SHARE       hotcold: SHARE %% of accesses to PCT %% of pages [10:90]\n"
		"  --working-set SIZE    bytes of each device the workloads draw pages from;\n"
		"                        0 = the whole device [256M]\n"
		"  --rw-bytes N          bytes per DMA_RW write [64]\n"
		"  --churn N             viommu: mappings destroyed and created per step [16]\n"
		"  --hugepages H         none|thp|hugetlb backing for the regions [none]\n"
		"  --numa-node N         bind regions, bitmaps and threads to node N [no binding]\n"
		"  --seed N              random seed: the same seed, the same run [1]\n"
		"  --out DIR             run folder [results/runs/DATE-TIME-LAYOUT-WORKLOAD]\n"
		"  --no-progress         no progress line on stderr (shown only on a terminal)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 done, 1 a tracking call failed (results so far are kept),\n"
		"2 bad options, 130 interrupted (results so far are kept).\n");
}

/* A one-line message naming the problem; returns the exit status for bad input. */
int ds_run_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("dirtyscope run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int parse_count(const char *s, const char *name, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (ds_parse_u64(s, &v) < 0 || v < min || v > max) {
		fprintf(stderr, "dirtyscope run: %s must be a number from %llu to %llu, not '%s'\n",
			name, (unsigned long long)min, (unsigned long long)max, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* Split a comma-separated list in place; returns the count, or -1 when above @max. */
static int split(char *s, char **items, int max)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		items[n++] = t;
	}
	return n;
}

static int parse_layouts(struct ds_run_opts *o, const char *arg)
{
	char buf[512], *items[DS_MAX_DEVICES];
	int n, i;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, items, DS_MAX_DEVICES);
	if (n <= 0)
		return ds_run_bad("--layout takes 1 to 8 layouts, not '%s'", arg);
	for (i = 0; i < n; i++)
		if (ds_layout_parse(items[i], &o->layouts[i]) < 0)
			return ds_run_bad("--layout: unknown layout '%s' (single, uniform:N, ragged:N or "
				   "viommu:N, N from 1 to 65535)",
				   items[i]);
	o->nlayouts = (size_t)n;
	return 0;
}

static int parse_workloads(struct ds_run_opts *o, const char *arg)
{
	char buf[256], *items[DS_MAX_WORKLOADS];
	int n, i, j;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, items, DS_MAX_WORKLOADS);
	if (n <= 0)
		return ds_run_bad("--workload takes 1 to 4 workloads, not '%s'", arg);
	for (i = 0; i < n; i++) {
		o->workloads[i] = ds_workload_find(items[i]);
		if (!o->workloads[i])
			return ds_run_bad("--workload: unknown workload '%s' (pinned, iommu, rw, viommu)",
				   items[i]);
		for (j = 0; j < i; j++)
			if (o->workloads[j] == o->workloads[i])
				return ds_run_bad("--workload: '%s' given twice", items[i]);
	}
	o->nworkloads = (size_t)n;
	return 0;
}

static int parse_harvest(struct ds_run_opts *o, const char *arg)
{
	const char *const *names = dt_harvest_names();
	size_t i;

	o->nharvests = 0;
	if (!strcmp(arg, "all")) {
		for (i = 0; names[i] && i < DS_MAX_HARVESTS; i++)
			o->harvests[o->nharvests++] = names[i];
		return 0;
	}
	for (i = 0; names[i]; i++)
		if (!strcmp(arg, names[i])) {
			o->harvests[o->nharvests++] = names[i];
			return 0;
		}
	return ds_run_bad("--harvest: unknown harvest '%s' (reference, or all)", arg);
}

int ds_run_parse_options(int argc, char **argv, struct ds_run_opts *o)
{
	enum {
		O_BACKEND = 256, O_HARVEST, O_DEVICE_SIZE, O_LAYOUT, O_WORKLOAD, O_THREADS,
		O_ITERATIONS, O_PROFILE_ITERATIONS, O_PAGES, O_STEP_MS, O_PATTERN, O_HOT,
		O_WORKING_SET, O_RW_BYTES, O_CHURN, O_HUGEPAGES, O_NUMA_NODE, O_SEED, O_OUT,
		O_NO_PROGRESS,
	};
	static const struct option opts[] = {
		{"backend", required_argument, NULL, O_BACKEND},
		{"harvest", required_argument, NULL, O_HARVEST},
		{"device-size", required_argument, NULL, O_DEVICE_SIZE},
		{"layout", required_argument, NULL, O_LAYOUT},
		{"workload", required_argument, NULL, O_WORKLOAD},
		{"threads", required_argument, NULL, O_THREADS},
		{"iterations", required_argument, NULL, O_ITERATIONS},
		{"profile-iterations", required_argument, NULL, O_PROFILE_ITERATIONS},
		{"pages", required_argument, NULL, O_PAGES},
		{"step-ms", required_argument, NULL, O_STEP_MS},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"hot", required_argument, NULL, O_HOT},
		{"working-set", required_argument, NULL, O_WORKING_SET},
		{"rw-bytes", required_argument, NULL, O_RW_BYTES},
		{"churn", required_argument, NULL, O_CHURN},
		{"hugepages", required_argument, NULL, O_HUGEPAGES},
		{"numa-node", required_argument, NULL, O_NUMA_NODE},
		{"seed", required_argument, NULL, O_SEED},
		{"out", required_argument, NULL, O_OUT},
		{"no-progress", no_argument, NULL, O_NO_PROGRESS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool profile_given = false;
	uint64_t v = 0, a = 0, b = 0;
	char *colon;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->backend = "model";
	o->harvests[0] = "reference";
	o->nharvests = 1;
	o->device_size = 64ull << 30;
	o->threads = 1;
	o->iterations = 100;
	o->pages = 1024;
	o->pattern = DS_PATTERN_RANDOM;
	o->hot_percent = 10;
	o->hot_share = 90;
	o->working_set = 256ull << 20;
	o->rw_bytes = 64;
	o->churn = 16;
	o->huge = DS_HUGE_NONE;
	o->numa_node = -1;
	o->seed = 1;
	o->progress = isatty(STDERR_FILENO);
	parse_layouts(o, default_layouts);
	parse_workloads(o, "pinned");

	optind = 1;
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_BACKEND:
			o->backend = optarg;
			break;
		case O_HARVEST:
			ret = parse_harvest(o, optarg);
			break;
		case O_DEVICE_SIZE:
			if (ds_parse_u64(optarg, &o->device_size) < 0)
				ret = ds_run_bad("--device-size: malformed size '%s' (e.g. 64G, 1T)", optarg);
			else if (o->device_size == 0)
				ret = ds_run_bad("--device-size must not be zero");
			else if (o->device_size % DS_PGSIZE)
				ret = ds_run_bad("--device-size '%s' is not a multiple of the 4 KiB page", optarg);
			else if (o->device_size > DS_MAX_TOTAL_BYTES)
				ret = ds_run_bad("--device-size '%s' is larger than the address space this "
					  "machine can reserve (64T at most)",
					  optarg);
			break;
		case O_LAYOUT:
			ret = parse_layouts(o, optarg);
			break;
		case O_WORKLOAD:
			ret = parse_workloads(o, optarg);
			break;
		case O_THREADS:
			ret = parse_count(optarg, "--threads", 1, 1024, &v) ? 2 : 0;
			o->threads = (unsigned int)v;
			break;
		case O_ITERATIONS:
			ret = parse_count(optarg, "--iterations", 1, 100000000, &o->iterations) ? 2 : 0;
			break;
		case O_PROFILE_ITERATIONS:
			ret = parse_count(optarg, "--profile-iterations", 0, 100000000,
					  &o->profile_iterations) ? 2 : 0;
			profile_given = true;
			break;
		case O_PAGES:
			ret = parse_count(optarg, "--pages", 1, 1ull << 40, &o->pages) ? 2 : 0;
			break;
		case O_STEP_MS:
			ret = parse_count(optarg, "--step-ms", 0, 3600000, &o->step_ms) ? 2 : 0;
			break;
		case O_PATTERN:
			if (!strcmp(optarg, "random"))
				o->pattern = DS_PATTERN_RANDOM;
			else if (!strcmp(optarg, "sequential"))
				o->pattern = DS_PATTERN_SEQUENTIAL;
			else if (!strcmp(optarg, "hotcold"))
				o->pattern = DS_PATTERN_HOTCOLD;
			else
				ret = ds_run_bad("--pattern: unknown pattern '%s' (random, sequential, hotcold)",
					  optarg);
			break;
		case O_HOT:
			colon = strchr(optarg, ':');
			if (colon)
				*colon = '\0';
			if (!colon || ds_parse_u64(optarg, &a) < 0 || ds_parse_u64(colon + 1, &b) < 0 ||
			    a < 1 || a > 100 || b > 100) {
				ret = ds_run_bad("--hot takes PCT:SHARE, PCT 1-100 and SHARE 0-100, e.g. 10:90");
				break;
			}
			o->hot_percent = (unsigned int)a;
			o->hot_share = (unsigned int)b;
			break;
		case O_WORKING_SET:
			if (ds_parse_u64(optarg, &o->working_set) < 0 || o->working_set % DS_PGSIZE)
				ret = ds_run_bad("--working-set: '%s' is not a size in whole 4 KiB pages", optarg);
			break;
		case O_RW_BYTES:
			ret = parse_count(optarg, "--rw-bytes", 1, DS_PGSIZE, &o->rw_bytes) ? 2 : 0;
			break;
		case O_CHURN:
			ret = parse_count(optarg, "--churn", 1, 65535, &o->churn) ? 2 : 0;
			break;
		case O_HUGEPAGES:
			if (!strcmp(optarg, "none"))
				o->huge = DS_HUGE_NONE;
			else if (!strcmp(optarg, "thp"))
				o->huge = DS_HUGE_THP;
			else if (!strcmp(optarg, "hugetlb"))
				o->huge = DS_HUGE_HUGETLB;
			else
				ret = ds_run_bad("--hugepages: unknown mode '%s' (none, thp, hugetlb)", optarg);
			break;
		case O_NUMA_NODE:
			ret = parse_count(optarg, "--numa-node", 0, 4095, &v) ? 2 : 0;
			o->numa_node = (int)v;
			break;
		case O_SEED:
			if (ds_parse_u64(optarg, &o->seed) < 0)
				ret = ds_run_bad("--seed: malformed number '%s'", optarg);
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_NO_PROGRESS:
			o->progress = false;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			if (optopt)
				fprintf(stderr, "dirtyscope run: option needs a value or is unknown: -%c\n",
					optopt);
			else
				fprintf(stderr, "dirtyscope run: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (ret)
		return 2;
	if (optind < argc)
		return ds_run_bad("unexpected argument '%s'", argv[optind]);
	if (!profile_given)
		o->profile_iterations = o->iterations;
	return 0;
}

/* Checks that need several options together, or the machine. */
int ds_run_validate(struct ds_run_opts *o)
{
	const char *why;
	uint64_t touched = 0;
	int ret;
	size_t i, j;
	bool churn = false, writes = false;

	for (i = 0; dt_backend_names()[i]; i++)
		if (!strcmp(o->backend, dt_backend_names()[i]))
			break;
	if (!dt_backend_names()[i])
		return ds_run_bad("--backend: unknown backend '%s' (model)", o->backend);
	if (o->device_size * o->nlayouts > DS_MAX_TOTAL_BYTES)
		return ds_run_bad("the devices add up to more than the 64T of address space this machine "
			   "can reserve");
	for (i = 0; i < o->nworkloads; i++) {
		churn |= !strcmp(o->workloads[i]->name, "viommu");
		writes |= o->workloads[i]->populate != NULL;
	}
	for (j = 0; j < o->nlayouts; j++)
		if (churn && o->layouts[j].kind != DS_LAYOUT_VIOMMU)
			return ds_run_bad("--workload viommu needs every --layout to be viommu:N, not '%s'",
				   o->layouts[j].name);
	if (writes)
		touched = (o->working_set && o->working_set < o->device_size ? o->working_set
									      : o->device_size) /
			  DS_PGSIZE;
	ret = ds_memory_check(o->huge, o->device_size, touched, o->nlayouts, &why);
	if (ret < 0)
		return ds_run_bad("%s: %s", o->huge == DS_HUGE_NONE ? "--working-set" : "--hugepages",
				  why);
	if (o->numa_node >= 0) {
		if (numa_available() < 0)
			return ds_run_bad("--numa-node: this machine has no NUMA support");
		if (o->numa_node > numa_max_node())
			return ds_run_bad("--numa-node: no such node (this machine has nodes 0-%d)",
				   numa_max_node());
	}
	return 0;
}

static const char *pattern_name(enum ds_pattern p)
{
	return p == DS_PATTERN_SEQUENTIAL ? "sequential" : p == DS_PATTERN_HOTCOLD ? "hotcold" : "random";
}

static const char *huge_name(enum ds_hugepages h)
{
	return h == DS_HUGE_THP ? "thp" : h == DS_HUGE_HUGETLB ? "hugetlb" : "none";
}

json_t *ds_run_config_json(const struct ds_run_opts *o, const char *out, bool interrupted)
{
	json_t *harvests = json_array(), *layouts = json_array(), *workloads = json_array();
	size_t i;

	for (i = 0; i < o->nharvests; i++)
		json_array_append_new(harvests, json_string(o->harvests[i]));
	for (i = 0; i < o->nlayouts; i++)
		json_array_append_new(layouts, json_string(o->layouts[i].name));
	for (i = 0; i < o->nworkloads; i++)
		json_array_append_new(workloads, json_string(o->workloads[i]->name));
	return json_pack("{s:s,s:o,s:I,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:I,"
			 "s:s,s:o,s:I,s:s,s:b}",
			 "backend", o->backend, "harvest", harvests, "device_size_bytes",
			 (json_int_t)o->device_size, "pgsize_bytes", (json_int_t)DS_PGSIZE, "layout",
			 layouts, "workload", workloads, "threads", (json_int_t)o->threads,
			 "iterations", (json_int_t)o->iterations, "profile_iterations",
			 (json_int_t)o->profile_iterations, "pages_per_step", (json_int_t)o->pages,
			 "step_ms", (json_int_t)o->step_ms, "pattern", pattern_name(o->pattern),
			 "hot_percent", (json_int_t)o->hot_percent, "hot_share",
			 (json_int_t)o->hot_share, "working_set_bytes", (json_int_t)o->working_set,
			 "rw_bytes", (json_int_t)o->rw_bytes, "churn", (json_int_t)o->churn,
			 "hugepages", huge_name(o->huge), "numa_node",
			 o->numa_node >= 0 ? json_integer(o->numa_node) : json_null(), "seed",
			 (json_int_t)o->seed, "out", out, "interrupted", interrupted);
}

