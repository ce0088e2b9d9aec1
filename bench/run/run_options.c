// SPDX-License-Identifier: MIT
/*
 * run_options.c - the options of `dirtyscope run`: --help, parsing, the
 * checks that need several options or the machine, and the configuration
 * as meta.json records it.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "files.h"
#include "parse.h"
#include "units.h"
#include "run.h"

static const char *const default_layouts = "uniform:8,ragged:8";

/* "reference, fast": the harvests the library has, for --help and messages. */
static const char *harvest_list(void)
{
	static char buf[128];
	const char *const *names = dt_harvest_names();
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; names[i] && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? ", " : "", names[i]);
	return buf;
}

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
		"  --backend NAME        tracker backend: model, vfio, ... [model]\n"
		"  --device PATH         what the backend opens: for vfio the group file\n"
		"                        /dev/vfio/N (several: comma-separated) [none]\n"
		"  --vfio-device BDF     the vfio backend on this PCI device's group [none]\n"
		"  --bind                with --vfio-device: bind it to vfio-pci for the run and\n"
		"                        give it back to its driver at the end [off]\n"
		"  --harvest H           %s, or all (run every harvest, alternating\n"
		"                        iteration by iteration) [reference]\n"
		"  --device-size S[,S...]  device sizes, K/M/G/T suffixes, 4K to 8T; every layout\n"
		"                        is run at every size [64G]\n"
		"  --layout L[,L...]     layouts of each device size: single, uniform:N,\n"
		"                        ragged:N, viommu:N (at most 8) [%s]\n"
		"  --workload W[,W...]   what dirties memory, combinable [pinned]:\n",
		harvest_list(), default_layouts);
	for (i = 0; ds_workloads[i]; i++)
		fprintf(f, "                          %-8s %s\n", ds_workloads[i]->name,
			ds_workloads[i]->summary);
	fprintf(f,
		"  --threads N           threads per threaded workload step [1]\n"
		"  --iterations N        measured dirty -> harvest iterations [100]\n"
		"  --warmup N            iterations run first and reported apart (stage warmup:\n"
		"                        page faults, cold caches) [2]\n"
		"  --profile-iterations N  extra iterations with the harvest phases timed\n"
		"                        (the profiler view); 0 turns it off [same as --iterations]\n"
		"  --cycles N            STOP/START pairs timed after the iterations [5]\n"
		"  --pages N             pages pinned or written per workload step, at most the\n"
		"                        working set's [1024]\n"
		"  --step-ms MS          run each workload step for MS ms instead of --pages [0]\n"
		"  --pattern P           random|sequential|strided|hotcold page choice [random]\n"
		"  --stride N            strided: pages from one access to the next [16]\n"
		"  --hot PCT:SHARE       hotcold: SHARE %% of accesses to PCT %% of pages [10:90]\n"
		"  --working-set SIZE    bytes of each device the workloads draw pages from;\n"
		"                        0 = the whole device [256M]\n"
		"  --rw-bytes N          bytes per DMA_RW write or device write (devwrite) [64]\n"
		"  --tracking T          type1 (VFIO type1 DIRTY_PAGES), hw (IOMMU dirty bits,\n"
		"                        iommufd) or dmalog (the device's DMA logging); hw and\n"
		"                        dmalog see what devwrite writes [type1]\n"
		"  --io-page-size S[,S...]  hw: the largest IO page of the mappings; dmalog: the\n"
		"                        log's tracking page; 4K, 2M or 1G, one device per size,\n"
		"                        to show the dirty amplification of large pages [4K]\n"
		"  --churn N             viommu: mappings destroyed and created per step [16]\n"
		"  --marking M           between: workloads dirty between harvests (dirty -> harvest);\n"
		"                        during: their threads keep marking, --pages a step, while\n"
		"                        a harvest runs every --step-ms (default then 10) (harvest\n"
		"                        latency under load, marks per second per thread; the\n"
		"                        fast harvest marks without the lock) [between]\n"
		"  --viommu-group G      viommu: the group of the guest's device: iommu (an assigned\n"
		"                        device behind the vIOMMU; type1 then reports every page)\n"
		"                        or mediated (an mdev that pins) [iommu]\n"
		"  --hugepages H         none|thp|hugetlb backing for the regions [none]\n"
		"  --numa-node N         bind regions, bitmaps and threads to node N [no binding]\n"
		"  --seed N              random seed: the same seed, the same run [1]\n"
		"  --bandwidth RATE      downtime estimate: the migration link, in bit/s or a size\n"
		"                        per second (10Gbit/s, 1.25GB/s, 800MiB/s) [10Gbit/s]\n"
		"  --state-size SIZE     downtime estimate: the device state sent at switchover [0]\n"
		"  --downtime-limit T    downtime estimate: the limit, ns/us/ms/s [300ms]\n"
		"  --out DIR             run folder, new or empty [results/runs/DATE-TIME-LAYOUT-WORKLOAD]\n"
		"  --force               replace a non-empty --out folder (swapped in whole at the end)\n"
		"  --no-progress         no progress line on stderr (shown only on a terminal)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 done, 1 a call or a write failed (the results so far are kept),\n"
		"2 bad options, 128+N stopped by signal N (SIGINT 130, SIGTERM 143, SIGHUP 129;\n"
		"the results so far are kept). results/README.md says what a run folder holds.\n");
}

/* A one-line message naming the problem; returns the exit status for bad input. */
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

	/* "a,,b" and "a," are typos, not lists with fewer items. */
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return 0;

	for (t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		items[n++] = t;
	}
	return n;
}

static int parse_layouts(struct ds_run_opts *o, const char *arg)
{
	char buf[512], *items[DS_MAX_LAYOUTS];
	int n, i;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, items, DS_MAX_LAYOUTS);
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
			return ds_run_bad("--workload: unknown workload '%s' (pinned, iommu, rw, viommu, idle)",
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
	return ds_run_bad("--harvest: unknown harvest '%s' (%s, or all)", arg, harvest_list());
}

/* "64G,1T": every size a whole number of pages, 4K to 8T, at most DS_MAX_SIZES. */
static int parse_sizes(struct ds_run_opts *o, const char *arg)
{
	char buf[512], *items[DS_MAX_SIZES];
	uint64_t v;
	int n, i, j;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, items, DS_MAX_SIZES);
	if (n <= 0)
		return ds_run_bad("--device-size takes 1 to %d sizes, not '%s'", DS_MAX_SIZES, arg);
	for (i = 0; i < n; i++) {
		if (ds_parse_u64(items[i], &v) < 0)
			return ds_run_bad("--device-size: malformed size '%s' (e.g. 64G, 1T)", items[i]);
		if (v == 0)
			return ds_run_bad("--device-size must not be zero");
		if (v % DS_PGSIZE)
			return ds_run_bad("--device-size '%s' is not a multiple of the 4 KiB page",
					  items[i]);
		if (v > DS_MAX_DEVICE_BYTES)
			return ds_run_bad("--device-size '%s': a merged GET_BITMAP of more than 8T "
					  "needs a bitmap above the kernel's 256 MiB maximum",
					  items[i]);
		for (j = 0; j < i; j++)
			if (o->sizes[j] == v)
				return ds_run_bad("--device-size: '%s' given twice", items[i]);
		o->sizes[i] = v;
	}
	o->nsizes = (size_t)n;
	return 0;
}

/* "4K,2M,1G": the IO page sizes, one device per size; 0, or 2 after a message. */
static int parse_io_pgsizes(struct ds_run_opts *o, const char *arg)
{
	char buf[128], *items[DS_MAX_IO_PGSIZES];
	uint64_t v;
	int n, i, j;

	snprintf(buf, sizeof(buf), "%s", arg);
	n = split(buf, items, DS_MAX_IO_PGSIZES);
	if (n <= 0)
		return ds_run_bad("--io-page-size takes 1 to %d of 4K, 2M and 1G, not '%s'",
				  DS_MAX_IO_PGSIZES, arg);
	for (i = 0; i < n; i++) {
		if (ds_parse_u64(items[i], &v) < 0 ||
		    (v != DS_PGSIZE && v != DT_IO_PGSIZE_2M && v != DT_IO_PGSIZE_1G))
			return ds_run_bad("--io-page-size: '%s' is not 4K, 2M or 1G", items[i]);
		for (j = 0; j < i; j++)
			if (o->io_pgsizes[j] == v)
				return ds_run_bad("--io-page-size: '%s' given twice", items[i]);
		o->io_pgsizes[i] = v;
	}
	o->nio = (size_t)n;
	return 0;
}

/* "10Gbit/s", "1.25GB/s": the syntax of bench/util/units.h, as plan takes it. */
static int parse_rate(const char *arg, uint64_t *out)
{
	const char *why = NULL;

	if (ds_parse_rate(arg, out, &why) < 0)
		return ds_run_bad("--bandwidth '%s': %s", arg, why ? why : "not a rate");
	if (!*out)
		return ds_run_bad("--bandwidth must not be zero");
	return 0;
}

/* "300ms", "0.3s", "250us", as above. */
static int parse_time(const char *name, const char *arg, uint64_t *out)
{
	const char *why = NULL;

	if (ds_parse_time_ns(arg, out, &why) < 0)
		return ds_run_bad("%s '%s': %s", name, arg, why ? why : "not a time");
	if (!*out)
		return ds_run_bad("%s must not be zero", name);
	return 0;
}

int ds_run_parse_options(int argc, char **argv, struct ds_run_opts *o)
{
	enum {
		O_BACKEND = 256, O_HARVEST, O_DEVICE_SIZE, O_LAYOUT, O_WORKLOAD, O_THREADS,
		O_ITERATIONS, O_WARMUP, O_PROFILE_ITERATIONS, O_CYCLES, O_PAGES, O_STEP_MS,
		O_PATTERN, O_HOT, O_WORKING_SET, O_RW_BYTES, O_CHURN, O_VIOMMU_GROUP, O_HUGEPAGES,
		O_NUMA_NODE, O_SEED, O_BANDWIDTH, O_STATE_SIZE, O_DOWNTIME_LIMIT, O_OUT, O_FORCE,
		O_NO_PROGRESS, O_MARKING, O_DEVICE, O_VFIO_DEVICE, O_BIND, O_TRACKING, O_IO_PGSIZE,
		O_STRIDE,
	};
	static const struct option opts[] = {
		{"backend", required_argument, NULL, O_BACKEND},
		{"harvest", required_argument, NULL, O_HARVEST},
		{"device-size", required_argument, NULL, O_DEVICE_SIZE},
		{"layout", required_argument, NULL, O_LAYOUT},
		{"workload", required_argument, NULL, O_WORKLOAD},
		{"threads", required_argument, NULL, O_THREADS},
		{"iterations", required_argument, NULL, O_ITERATIONS},
		{"warmup", required_argument, NULL, O_WARMUP},
		{"profile-iterations", required_argument, NULL, O_PROFILE_ITERATIONS},
		{"cycles", required_argument, NULL, O_CYCLES},
		{"pages", required_argument, NULL, O_PAGES},
		{"step-ms", required_argument, NULL, O_STEP_MS},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"hot", required_argument, NULL, O_HOT},
		{"working-set", required_argument, NULL, O_WORKING_SET},
		{"rw-bytes", required_argument, NULL, O_RW_BYTES},
		{"churn", required_argument, NULL, O_CHURN},
		{"viommu-group", required_argument, NULL, O_VIOMMU_GROUP},
		{"marking", required_argument, NULL, O_MARKING},
		{"device", required_argument, NULL, O_DEVICE},
		{"vfio-device", required_argument, NULL, O_VFIO_DEVICE},
		{"bind", no_argument, NULL, O_BIND},
		{"hugepages", required_argument, NULL, O_HUGEPAGES},
		{"numa-node", required_argument, NULL, O_NUMA_NODE},
		{"seed", required_argument, NULL, O_SEED},
		{"bandwidth", required_argument, NULL, O_BANDWIDTH},
		{"state-size", required_argument, NULL, O_STATE_SIZE},
		{"downtime-limit", required_argument, NULL, O_DOWNTIME_LIMIT},
		{"out", required_argument, NULL, O_OUT},
		{"force", no_argument, NULL, O_FORCE},
		{"no-progress", no_argument, NULL, O_NO_PROGRESS},
		{"tracking", required_argument, NULL, O_TRACKING},
		{"io-page-size", required_argument, NULL, O_IO_PGSIZE},
		{"stride", required_argument, NULL, O_STRIDE},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool profile_given = false;
	const char *why = NULL;
	uint64_t v = 0, a = 0, b = 0;
	char *colon;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	/* argv[0] is "run": meta.json's command line is one to paste back. */
	o->argc = argc;
	o->argv = argv;
	o->backend = "model";
	o->harvests[0] = "reference";
	o->nharvests = 1;
	o->sizes[0] = 64ull << 30;
	o->nsizes = 1;
	o->threads = 1;
	o->iterations = 100;
	o->warmup = 2;
	o->cycles = 5;
	o->pages = 1024;
	o->pattern = DS_PATTERN_RANDOM;
	o->hot_percent = 10;
	o->hot_share = 90;
	o->working_set = 256ull << 20;
	o->rw_bytes = 64;
	o->churn = 16;
	o->viommu_group = DT_GROUP_IOMMU;
	o->huge = DS_HUGE_NONE;
	o->numa_node = -1;
	o->seed = 1;
	o->downtime = (struct ds_downtime_params){
		.bandwidth_bytes_per_s = 1250000000, /* 10 Gbit/s */
		.state_bytes = 0,
		.limit_ns = 300000000, /* QEMU's default downtime-limit */
		.pgsize = DS_PGSIZE,
	};
	o->progress = isatty(STDERR_FILENO);
	o->tracking = DT_TRACK_TYPE1;
	o->io_pgsizes[0] = DS_PGSIZE;
	o->nio = 1;
	o->stride = 16;
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
			ret = parse_sizes(o, optarg);
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
		case O_WARMUP:
			ret = parse_count(optarg, "--warmup", 0, 1000000, &o->warmup) ? 2 : 0;
			break;
		case O_PROFILE_ITERATIONS:
			ret = parse_count(optarg, "--profile-iterations", 0, 100000000,
					  &o->profile_iterations) ? 2 : 0;
			profile_given = true;
			break;
		case O_CYCLES:
			ret = parse_count(optarg, "--cycles", 0, 1000000, &o->cycles) ? 2 : 0;
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
			else if (!strcmp(optarg, "strided"))
				o->pattern = DS_PATTERN_STRIDED;
			else
				ret = ds_run_bad("--pattern: unknown pattern '%s' (random, sequential, "
						 "strided, hotcold)",
						 optarg);
			break;
		case O_STRIDE:
			ret = parse_count(optarg, "--stride", 1, 1ull << 40, &o->stride) ? 2 : 0;
			break;
		case O_TRACKING:
			if (!strcmp(optarg, "type1"))
				o->tracking = DT_TRACK_TYPE1;
			else if (!strcmp(optarg, "hw"))
				o->tracking = DT_TRACK_HW;
			else if (!strcmp(optarg, "dmalog"))
				o->tracking = DT_TRACK_DMALOG;
			else
				ret = ds_run_bad("--tracking: unknown tracking '%s' (type1, hw, dmalog)",
						 optarg);
			break;
		case O_IO_PGSIZE:
			ret = parse_io_pgsizes(o, optarg);
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
			if (ds_parse_u64(optarg, &o->working_set) < 0 || o->working_set % DS_PGSIZE ||
			    o->working_set > DS_MAX_DEVICE_BYTES)
				ret = ds_run_bad("--working-set: '%s' is not a size in whole 4 KiB pages, 8T "
						 "at most", optarg);
			break;
		case O_RW_BYTES:
			ret = parse_count(optarg, "--rw-bytes", 1, DS_PGSIZE, &o->rw_bytes) ? 2 : 0;
			break;
		case O_CHURN:
			ret = parse_count(optarg, "--churn", 1, 65535, &o->churn) ? 2 : 0;
			break;
		case O_VIOMMU_GROUP:
			if (!strcmp(optarg, "iommu"))
				o->viommu_group = DT_GROUP_IOMMU;
			else if (!strcmp(optarg, "mediated"))
				o->viommu_group = DT_GROUP_MEDIATED;
			else
				ret = ds_run_bad("--viommu-group: unknown group '%s' (iommu, mediated)",
						 optarg);
			break;
		case O_DEVICE:
			o->device = optarg;
			break;
		case O_VFIO_DEVICE:
			o->vfio_device = optarg;
			break;
		case O_BIND:
			o->bind = true;
			break;
		case O_MARKING:
			if (!strcmp(optarg, "between"))
				o->marking_during = false;
			else if (!strcmp(optarg, "during"))
				o->marking_during = true;
			else
				ret = ds_run_bad("--marking: unknown mode '%s' (between, during)", optarg);
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
			/* meta.json records it as a JSON integer, exactly: 63 bits at most. */
			ret = parse_count(optarg, "--seed", 0, INT64_MAX, &o->seed) ? 2 : 0;
			break;
		case O_BANDWIDTH:
			ret = parse_rate(optarg, &o->downtime.bandwidth_bytes_per_s);
			break;
		case O_STATE_SIZE:
			/* As plan takes it: 9M is 9 MiB, 9MB is 9 x 10^6 bytes, a bare number bytes. */
			if (ds_parse_size(optarg, DS_UNITS_BARE_BYTES, &o->downtime.state_bytes, &why) < 0 ||
			    o->downtime.state_bytes > (1ull << 50))
				ret = ds_run_bad("--state-size '%s': %s", optarg,
						 why ? why : "above 1P");
			break;
		case O_DOWNTIME_LIMIT:
			ret = parse_time("--downtime-limit", optarg, &o->downtime.limit_ns);
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case O_FORCE:
			o->force = true;
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
	if (o->bind && !o->vfio_device)
		return ds_run_bad("--bind goes with --vfio-device");
	if (o->vfio_device && o->device)
		return ds_run_bad("--vfio-device names the group itself: no --device with it");
	if (o->vfio_device && !strcmp(o->backend, "model"))
		o->backend = "vfio";
	return 0;
}

static bool uses(const struct ds_run_opts *o, const char *workload)
{
	size_t i;

	for (i = 0; i < o->nworkloads; i++)
		if (!strcmp(o->workloads[i]->name, workload))
			return true;
	return false;
}

/* Samples the run will keep in memory (results/README.md): ~64 bytes each. */
static uint64_t samples_estimate(const struct ds_run_opts *o)
{
	uint64_t per_iteration = 0, setup = 0, l, s, maps;

	for (s = 0; s < o->nsizes; s++) {
		for (l = 0; l < o->nlayouts; l++) {
			maps = o->layouts[l].kind == DS_LAYOUT_SINGLE ? 1 : o->layouts[l].n;
			/* two dirty steps, a merged GET, a GET per mapping, the churn's calls */
			per_iteration += (3 + maps + (uses(o, "viommu") ? 4 * o->churn : 0)) * o->nio;
			setup += (2 * maps + 2) * o->nio;
		}
	}
	return o->nharvests * ((o->warmup + o->iterations) * per_iteration + setup + 2 * o->cycles + 2);
}


/*
 * What the backend can do, asked of a container of its own: the harness
 * never knows which backend it drives. Pin and DMA_RW are a vendor
 * driver's in-kernel interfaces that a real kernel does not offer to user
 * space (-EOPNOTSUPP before any other check), and a real IOMMU has IOVA
 * ranges the devices' windows must lie in.
 */
static int probe_backend(const struct ds_run_opts *o)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	struct dt_iova_range ranges[16];
	uint64_t iova = DS_IOVA_BASE, end, byte = 0;
	int n, ret;
	size_t i, l, r;

	dt_container_config_init(&cfg);
	cfg.backend = o->backend;
	cfg.device = o->device;
	ret = dt_container_create(&cfg, &c);
	if (ret == -EINVAL && !o->device)
		return ds_run_bad("--backend %s needs --device (for vfio the group file /dev/vfio/N) or "
				  "--vfio-device BDF", o->backend);
	if (ret < 0)
		return ds_run_bad("--backend %s: cannot open a container%s%s: %s", o->backend,
				  o->device ? " on " : "", o->device ? o->device : "", strerror(-ret));
	if ((uses(o, "pinned") && dt_pin(c, 0, 0, 1, DT_PROT_READ) == -EOPNOTSUPP) ||
	    (uses(o, "rw") && dt_dma_rw(c, 0, &byte, 1, true) == -EOPNOTSUPP)) {
		dt_container_destroy(c);
		return ds_run_bad("--workload: the %s backend has no pin or DMA_RW (a vendor "
				  "driver's in-kernel interfaces): use iommu, viommu or idle",
				  o->backend);
	}
	/* The ranges come from the IOMMU, which a first group brings. */
	ret = dt_group_attach(c, 1, DT_GROUP_IOMMU, 1);
	n = ret < 0 ? ret : dt_iova_ranges(c, ranges, sizeof(ranges) / sizeof(ranges[0]));
	dt_container_destroy(c);
	if (n < 0)
		return ds_run_bad("--backend %s: cannot learn the valid IOVA ranges: %s", o->backend,
				  strerror(-n));
	for (i = 0; i < o->nsizes; i++) {
		for (l = 0; l < o->nlayouts; l++) {
			end = iova + o->sizes[i] - 1;
			for (r = 0; r < (size_t)n && r < sizeof(ranges) / sizeof(ranges[0]); r++)
				if (iova >= ranges[r].start && end <= ranges[r].last)
					break;
			if (r == (size_t)n || r == sizeof(ranges) / sizeof(ranges[0]))
				return ds_run_bad("--device-size: a device at IOVA 0x%llx-0x%llx is "
						  "outside the IOMMU's valid ranges: use smaller or "
						  "fewer devices",
						  (unsigned long long)iova, (unsigned long long)end);
			iova += (o->sizes[i] + (1ull << 30) - 1) & ~((1ull << 30) - 1);
		}
	}
	return 0;
}

/* Checks that need several options together, or the machine. */
int ds_run_validate(struct ds_run_opts *o)
{
	const char *why;
	uint64_t touched = 0, largest = 0, total = 0, ws, need, avail;
	int ret;
	size_t i, j;
	bool churn = uses(o, "viommu"), writes = false;

	for (i = 0; dt_backend_names()[i]; i++)
		if (!strcmp(o->backend, dt_backend_names()[i]))
			break;
	if (!dt_backend_names()[i])
		return ds_run_bad("--backend: unknown backend '%s'", o->backend);
	if (strcmp(o->backend, "model") && o->nharvests > 1)
		return ds_run_bad("--harvest all: the %s backend has its own harvest", o->backend);
	for (i = 0; i < o->nsizes; i++) {
		largest = o->sizes[i] > largest ? o->sizes[i] : largest;
		total += ((o->sizes[i] + (1ull << 30) - 1) & ~((1ull << 30) - 1)) * o->nlayouts *
			 o->nio;
	}
	if (total > DS_MAX_TOTAL_BYTES)
		return ds_run_bad("--device-size: the devices add up to more than the 64T of address "
				  "space this machine can reserve");
	for (i = 0; i < o->nworkloads; i++)
		writes |= o->workloads[i]->populate != NULL;
	for (j = 0; j < o->nlayouts; j++)
		if (churn && o->layouts[j].kind != DS_LAYOUT_VIOMMU)
			return ds_run_bad("--workload viommu needs every --layout to be viommu:N, not '%s'",
				   o->layouts[j].name);
	if (o->tracking != DT_TRACK_TYPE1) {
		const char *t = o->tracking == DT_TRACK_HW ? "hw" : "dmalog";

		if (strcmp(o->backend, "model"))
			return ds_run_bad("--tracking %s: the model's mode; the %s backend is type1",
					  t, o->backend);
		for (i = 0; i < o->nworkloads; i++)
			if (strcmp(o->workloads[i]->name, "devwrite") &&
			    strcmp(o->workloads[i]->name, "idle"))
				return ds_run_bad("--tracking %s sees a device's own writes: use "
						  "--workload devwrite (or idle), not '%s'",
						  t, o->workloads[i]->name);
		for (j = 0; j < o->nlayouts; j++)
			if (o->tracking == DT_TRACK_HW && o->layouts[j].kind == DS_LAYOUT_VIOMMU)
				return ds_run_bad("--tracking hw: a GET_DIRTY_BITMAP over the holes of "
						  "'%s' fails: use single, uniform or ragged",
						  o->layouts[j].name);
		if (o->marking_during)
			return ds_run_bad("--marking during is type1's concurrent marking: not "
					  "with --tracking %s", t);
	} else if (o->nio != 1 || o->io_pgsizes[0] != DS_PGSIZE) {
		return ds_run_bad("--io-page-size goes with --tracking hw or dmalog: type1 tracks "
				  "4 KiB pages");
	}
	if (o->marking_during && churn)
		return ds_run_bad("--marking during: the viommu workload's churn is made between harvests");
	/* A step draws --pages from the working set: more would never end (pins) or repeat. */
	ws = o->working_set && o->working_set < largest ? o->working_set : largest;
	if ((uses(o, "pinned") || uses(o, "iommu") || uses(o, "rw") || uses(o, "devwrite")) &&
	    !o->step_ms &&
	    o->pages > ws / DS_PGSIZE)
		return ds_run_bad("--pages %llu is more than the %llu pages of the working set "
				  "(--working-set, or the device)",
				  (unsigned long long)o->pages, (unsigned long long)(ws / DS_PGSIZE));
	if (writes)
		touched = ws / DS_PGSIZE;
	ret = ds_memory_check(o->huge, largest, touched, o->nlayouts * o->nsizes * o->nio, &why);
	if (ret < 0)
		return ds_run_bad("%s: %s", o->huge == DS_HUGE_NONE ? "--working-set" : "--hugepages",
				  why);
	/* Samples, plus the tracker's bitmaps, the floor's source and the user's buffer. */
	need = samples_estimate(o) * sizeof(struct ds_sample);
	for (i = 0; i < o->nsizes; i++)
		need += (o->sizes[i] / DS_PGSIZE / 8) * o->nlayouts * o->nio * (o->nharvests + 1);
	avail = ds_mem_available();
	if (need > avail / 2)
		return ds_run_bad("--iterations: the run would keep about %llu MiB of samples and "
				  "bitmaps, more than half of the %llu MiB available: lower "
				  "--iterations or the layouts' mappings",
				  (unsigned long long)(need >> 20), (unsigned long long)(avail >> 20));
	ret = probe_backend(o);
	if (ret)
		return ret;
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
	return p == DS_PATTERN_SEQUENTIAL ? "sequential"
	       : p == DS_PATTERN_HOTCOLD  ? "hotcold"
	       : p == DS_PATTERN_STRIDED  ? "strided"
					  : "random";
}

static const char *huge_name(enum ds_hugepages h)
{
	return h == DS_HUGE_THP ? "thp" : h == DS_HUGE_HUGETLB ? "hugetlb" : "none";
}

json_t *ds_run_config_json(const struct ds_run_opts *o, const char *out)
{
	json_t *harvests = json_array(), *layouts = json_array(), *workloads = json_array();
	json_t *sizes = json_array(), *io = json_array(), *cfg;
	size_t i;

	for (i = 0; i < o->nharvests; i++)
		json_array_append_new(harvests, json_string(o->harvests[i]));
	for (i = 0; i < o->nsizes; i++)
		json_array_append_new(sizes, json_integer((json_int_t)o->sizes[i]));
	for (i = 0; i < o->nlayouts; i++)
		json_array_append_new(layouts, json_string(o->layouts[i].name));
	for (i = 0; i < o->nworkloads; i++)
		json_array_append_new(workloads, json_string(o->workloads[i]->name));
	for (i = 0; i < o->nio; i++)
		json_array_append_new(io, json_integer((json_int_t)o->io_pgsizes[i]));
	cfg = json_pack("{s:s,s:o,s:o,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:I,"
			 "s:I,s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:s,s:b,s:s,s:s?}",
			 "backend", o->backend, "harvest", harvests, "device_size_bytes", sizes,
			 "pgsize_bytes", (json_int_t)DS_PGSIZE, "layout", layouts, "workload",
			 workloads, "threads", (json_int_t)o->threads, "iterations",
			 (json_int_t)o->iterations, "warmup", (json_int_t)o->warmup,
			 "profile_iterations", (json_int_t)o->profile_iterations, "cycles",
			 (json_int_t)o->cycles, "pages_per_step", (json_int_t)o->pages, "step_ms",
			 (json_int_t)o->step_ms, "pattern", pattern_name(o->pattern), "hot_percent",
			 (json_int_t)o->hot_percent, "hot_share", (json_int_t)o->hot_share,
			 "working_set_bytes", (json_int_t)o->working_set, "rw_bytes",
			 (json_int_t)o->rw_bytes, "churn", (json_int_t)o->churn, "viommu_group",
			 o->viommu_group == DT_GROUP_IOMMU ? "iommu" : "mediated", "hugepages",
			 huge_name(o->huge), "numa_node",
			 o->numa_node >= 0 ? json_integer(o->numa_node) : json_null(), "seed",
			 (json_int_t)o->seed, "bandwidth_bytes_per_s",
			 (json_int_t)o->downtime.bandwidth_bytes_per_s, "state_bytes",
			 (json_int_t)o->downtime.state_bytes, "downtime_limit_ns",
			 (json_int_t)o->downtime.limit_ns, "out", out, "force", o->force, "marking",
			 o->marking_during ? "during" : "between", "device", o->device);
	if (!cfg) {
		json_decref(io);
		return NULL;
	}
	json_object_set_new(cfg, "tracking",
			    json_string(o->tracking == DT_TRACK_HW	   ? "hw"
					: o->tracking == DT_TRACK_DMALOG ? "dmalog"
									 : "type1"));
	json_object_set_new(cfg, "io_page_bytes", io);
	json_object_set_new(cfg, "stride_pages", json_integer((json_int_t)o->stride));
	return cfg;
}
