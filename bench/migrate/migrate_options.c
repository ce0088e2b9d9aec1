// SPDX-License-Identifier: MIT
/*
 * migrate_options.c - the options of `dirtyscope migrate`: --help, parsing
 * (quantities with units, util/units.h), the checks that need several
 * options or the machine, the test-only fault hooks, and the configuration
 * as meta.json records it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "link.h"
#include "files.h"
#include "migrate.h"
#include "parse.h"
#include "units.h"

#define DEFAULT_BACKEND "model"
#define DEFAULT_HARVEST "fast"
#define DEFAULT_SIZES "64M"
#define DEFAULT_BANDWIDTH "1Gbit/s"
#define DEFAULT_DIRTY_RATE "16MB/s"
#define DEFAULT_STATE "0"
#define DEFAULT_LIMIT "300ms"
#define DEFAULT_IO_TIMEOUT "10s"
#define DEFAULT_MAX_ROUNDS 30
#define FAULT_ENV "DIRTYSCOPE_FAULT"
/* Below this a 64 MiB region takes minutes per round: surely a typo. */
#define MIN_BANDWIDTH 125000ull /* 1 Mbit/s */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dirtyscope migrate [options]\n"
		"       dirtyscope migrate --listen ADDRESS:PORT [--io-timeout T]\n"
		"\n"
		"Migrate a device region for real: a source and a destination connected by a\n"
		"loopback TCP link paced at --bandwidth, writer threads dirtying the source\n"
		"(DMA_RW, or plain stores with uffd), pre-copy rounds until the pending bytes fit --downtime-limit at\n"
		"the measured link rate (QEMU's rule) or --max-rounds, then stop-and-copy. The\n"
		"downtime is measured from the pause to the destination's resume, next to what\n"
		"`dirtyscope plan` and QEMU's expected_downtime predict; the destination checks\n"
		"its copy page by page. Lists of sizes, bandwidths and dirty rates make a sweep:\n"
		"one migration per combination. Writes rounds.csv, migrations.csv, summary.json\n"
		"and meta.json (results/migrate.md).\n"
		"\n"
		"Units are required: sizes B, K/M/G = KiB/MiB/GiB (1024), KB/MB/GB (1000); rates\n"
		"a size per second (16MB/s) or bit/s (1Gbit/s); times ns, us, ms, s. A bare 0 is\n"
		"zero.\n"
		"\n"
		"options (default in brackets):\n"
		"  --backend NAME        model: writers write through DMA_RW, the model marks;\n"
		"                        uffd: writers store to memory, the host kernel tracks\n"
		"                        it (userfaultfd, Linux >= 6.7) [" DEFAULT_BACKEND "]\n"
		"  --harvest H           model: reference (the kernel's, under the container lock:\n"
		"                        writers wait for harvests) or fast (writers never wait);\n"
		"                        uffd harvests with PAGEMAP_SCAN whatever H [" DEFAULT_HARVEST "]\n"
		"  --device-size LIST    region sizes, or ranges A..B doubling from A; each one\n"
		"                        is migrated [" DEFAULT_SIZES "]\n"
		"  --mappings N          mappings the region is cut into, equal sizes [1]\n"
		"  --bandwidth LIST      link rates (token bucket), at least 1Mbit/s [" DEFAULT_BANDWIDTH "]\n"
		"  --dirty-rate LIST     page writes per second of the writers, in bytes/s of\n"
		"                        pages: distinct pages with sequential, repeats with\n"
		"                        random and hotcold [" DEFAULT_DIRTY_RATE "]\n"
		"  --pattern P           random|sequential|hotcold page choice [random]\n"
		"  --hot PCT:SHARE       hotcold: SHARE %% of writes to PCT %% of pages [10:90]\n"
		"  --working-set SIZE    bytes of the region the writers draw pages from,\n"
		"                        spread over it [the whole region]\n"
		"  --threads N           writer threads, sharing the dirty rate [1]\n"
		"  --rw-bytes N          bytes per write, a multiple of 8, up to 4096 [64]\n"
		"  --state-size SIZE     device state sent at stop-and-copy [" DEFAULT_STATE "]\n"
		"  --downtime-limit T    QEMU's downtime-limit: the switchover threshold [" DEFAULT_LIMIT "]\n"
		"  --max-rounds N        pre-copy rounds before a forced switchover [%d]\n"
		"  --io-timeout T        longest wait for the other side: connect, a socket that\n"
		"                        takes no byte, an answer; with --listen, each source\n"
		"                        to connect [" DEFAULT_IO_TIMEOUT "]\n"
		"  --seed N              the writers' pages and the region's bytes [1]\n"
		"  --listen ADDR:PORT    be only the destination, on this loopback address (port\n"
		"                        0: any; the chosen one is printed); serves until the\n"
		"                        source's last migration [the destination is a thread]\n"
		"  --connect ADDR:PORT   be only the source, with the destination listening\n"
		"                        there [the destination is a thread]\n"
		"  --out DIR             run folder, new or empty\n"
		"                        [results/runs/DATE-TIME-migrate]\n"
		"  -h, --help            show this help\n"
		"\n"
		"Addresses are IPv4 loopback only (127.0.0.0/8).\n"
		"\n"
		"Exit status: 0 every migration converged and its destination matched; 1 one\n"
		"failed (a connection refused or broken, a destination that fell behind, a\n"
		"tracker call, or a destination copy that differs: a lost dirty bit), the\n"
		"results so far kept; 2 bad options; 3 a migration did not converge (writers\n"
		"dirtying faster than the link: it was forced over at --max-rounds, and\n"
		"checked); 128+N stopped by signal N, the results so far kept.\n"
		"\n"
		"Test only: the environment variable " FAULT_ENV " injects a fault:\n"
		"drop-bit (one stale page left out of the stop-and-copy), dest-stall (the\n"
		"destination stops reading), dest-close (it hangs up in round 0).\n",
		DEFAULT_MAX_ROUNDS);
}

static int bad_value(const char *opt, const char *arg, const char *why)
{
	return ds_mig_bad("%s '%s': %s", opt, arg, why ? why : "malformed");
}

static int size_opt(const char *opt, const char *arg, uint64_t *out)
{
	const char *why = NULL;

	return ds_parse_size(arg, 0, out, &why) < 0 ? bad_value(opt, arg, why) : 0;
}

static int time_opt(const char *opt, const char *arg, uint64_t *out)
{
	const char *why = NULL;

	if (ds_parse_time_ns(arg, out, &why) < 0)
		return bad_value(opt, arg, why);
	return *out ? 0 : bad_value(opt, arg, "must not be zero");
}

static int count_opt(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	if (ds_parse_u64(arg, out) < 0 || *out < min || *out > max)
		return ds_mig_bad("%s must be a whole number from %llu to %llu, not '%s'", opt,
				  (unsigned long long)min, (unsigned long long)max, arg);
	return 0;
}

/* "200Mbit/s,1Gbit/s": 1 to DS_MIG_MAX_RATES rates of at least @min, none twice. */
static int rate_list(const char *opt, const char *arg, uint64_t min, uint64_t *out, size_t *n)
{
	char buf[512], *save = NULL, *t;
	const char *why = NULL;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", arg);
	if (!*buf || *buf == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return bad_value(opt, arg, "an empty item in the list");
	*n = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == DS_MIG_MAX_RATES)
			return bad_value(opt, arg, "at most 8 rates");
		if (ds_parse_rate(t, &out[*n], &why) < 0)
			return bad_value(opt, t, why);
		if (!out[*n])
			return bad_value(opt, t, "must not be zero");
		if (out[*n] < min)
			return bad_value(opt, t, "below 1Mbit/s, the slowest link migrate paces");
		for (i = 0; i < *n; i++)
			if (out[i] == out[*n])
				return bad_value(opt, t, "given twice");
		(*n)++;
	}
	return 0;
}

static int fault_from_env(struct ds_mig_opts *o)
{
	const char *f = getenv(FAULT_ENV);

	o->fault = DS_FAULT_NONE;
	if (!f || !*f)
		return 0;
	if (!strcmp(f, "drop-bit"))
		o->fault = DS_FAULT_DROP_BIT;
	else if (!strcmp(f, "dest-stall"))
		o->fault = DS_FAULT_DEST_STALL;
	else if (!strcmp(f, "dest-close"))
		o->fault = DS_FAULT_DEST_CLOSE;
	else
		return ds_mig_bad("%s='%s': unknown fault (drop-bit, dest-stall, dest-close)",
				  FAULT_ENV, f);
	return 0;
}


/* The checks that need several options, or the machine. */
static int cross_checks(struct ds_mig_opts *o)
{
	const char *const *names = dt_backend_names();
	uint64_t largest = 0, avail;
	char a[24], b[24];
	size_t i;

	if (o->listen && o->connect)
		return ds_mig_bad("--listen and --connect: one process is the destination or the "
				  "source, not both (give neither to run both here)");
	if (o->listen)
		return 0;
	for (i = 0; names[i] && strcmp(names[i], o->backend); i++)
		;
	if (!names[i])
		return ds_mig_bad("--backend: unknown backend '%s'", o->backend);
	/* The writers need DMA_RW (model) or memory whose writes the backend sees (uffd). */
	if (strcmp(o->backend, "model") && strcmp(o->backend, "uffd"))
		return ds_mig_bad("--backend %s: the writers need DMA_RW (model) or tracked memory "
				  "writes (uffd), which this backend does not offer",
				  o->backend);
	for (i = 0; dt_harvest_names()[i] && strcmp(dt_harvest_names()[i], o->harvest); i++)
		;
	if (!dt_harvest_names()[i])
		return ds_mig_bad("--harvest: unknown harvest '%s' (reference, fast)", o->harvest);
	for (i = 0; i < o->nsizes; i++) {
		if (o->sizes[i] % DS_MIG_PAGE)
			return ds_mig_bad("--device-size: %s is not a multiple of the 4 KiB page",
					  ds_format_bytes(a, sizeof(a), (double)o->sizes[i]));
		if (o->sizes[i] > DS_MIG_MAX_DEVICE)
			return ds_mig_bad("--device-size: %s is more than the 64 GiB migrate holds "
					  "twice (the source's and the destination's copy)",
					  ds_format_bytes(a, sizeof(a), (double)o->sizes[i]));
		if (o->sizes[i] / DS_MIG_PAGE < o->mappings)
			return ds_mig_bad("--mappings %llu: a %s region has fewer pages than mappings",
					  (unsigned long long)o->mappings,
					  ds_format_bytes(a, sizeof(a), (double)o->sizes[i]));
		largest = o->sizes[i] > largest ? o->sizes[i] : largest;
	}
	if (o->working_set % DS_MIG_PAGE)
		return ds_mig_bad("--working-set: %s is not a multiple of the 4 KiB page",
				  ds_format_bytes(a, sizeof(a), (double)o->working_set));
	avail = ds_mem_available();
	/* Both copies of the region and of the state live on this machine. */
	if (2 * (largest + o->state_bytes) > avail / 2)
		return ds_mig_bad("--device-size: two copies of %s and its state (source and "
				  "destination) are more than half of the %s of memory available",
				  ds_format_bytes(a, sizeof(a), (double)largest),
				  ds_format_bytes(b, sizeof(b), (double)avail));
	return 0;
}

int ds_mig_parse_options(int argc, char **argv, struct ds_mig_opts *o)
{
	enum {
		O_BACKEND = 256, O_HARVEST, O_DEVICE_SIZE, O_MAPPINGS, O_BANDWIDTH, O_DIRTY_RATE,
		O_PATTERN, O_HOT, O_WORKING_SET, O_THREADS, O_RW_BYTES, O_STATE_SIZE, O_LIMIT,
		O_MAX_ROUNDS, O_IO_TIMEOUT, O_SEED, O_LISTEN, O_CONNECT, O_OUT,
	};
	static const struct option opts[] = {
		{"backend", required_argument, NULL, O_BACKEND},
		{"harvest", required_argument, NULL, O_HARVEST},
		{"device-size", required_argument, NULL, O_DEVICE_SIZE},
		{"mappings", required_argument, NULL, O_MAPPINGS},
		{"bandwidth", required_argument, NULL, O_BANDWIDTH},
		{"dirty-rate", required_argument, NULL, O_DIRTY_RATE},
		{"pattern", required_argument, NULL, O_PATTERN},
		{"hot", required_argument, NULL, O_HOT},
		{"working-set", required_argument, NULL, O_WORKING_SET},
		{"threads", required_argument, NULL, O_THREADS},
		{"rw-bytes", required_argument, NULL, O_RW_BYTES},
		{"state-size", required_argument, NULL, O_STATE_SIZE},
		{"downtime-limit", required_argument, NULL, O_LIMIT},
		{"max-rounds", required_argument, NULL, O_MAX_ROUNDS},
		{"io-timeout", required_argument, NULL, O_IO_TIMEOUT},
		{"seed", required_argument, NULL, O_SEED},
		{"listen", required_argument, NULL, O_LISTEN},
		{"connect", required_argument, NULL, O_CONNECT},
		{"out", required_argument, NULL, O_OUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *why = NULL;
	uint64_t v = 0, a = 0, b = 0;
	char *colon;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->argc = argc;
	o->argv = argv;
	o->backend = DEFAULT_BACKEND;
	o->harvest = DEFAULT_HARVEST;
	/* The defaults go through the parsers: what --help shows is what they mean. */
	ds_parse_size_list(DEFAULT_SIZES, 0, o->sizes, DS_MIG_MAX_SIZES, &o->nsizes, NULL);
	rate_list("--bandwidth", DEFAULT_BANDWIDTH, MIN_BANDWIDTH, o->bandwidths, &o->nbandwidths);
	rate_list("--dirty-rate", DEFAULT_DIRTY_RATE, 1, o->dirty_rates, &o->ndirty_rates);
	ds_parse_size(DEFAULT_STATE, 0, &o->state_bytes, NULL);
	ds_parse_time_ns(DEFAULT_LIMIT, &o->limit_ns, NULL);
	ds_parse_time_ns(DEFAULT_IO_TIMEOUT, &o->io_timeout_ns, NULL);
	o->mappings = 1;
	o->pattern = DS_PATTERN_RANDOM;
	o->hot_percent = 10;
	o->hot_share = 90;
	o->threads = 1;
	o->rw_bytes = 64;
	o->max_rounds = DEFAULT_MAX_ROUNDS;
	o->seed = 1;

	optind = 1;
	opterr = 0;
	while (ret == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_BACKEND:
			o->backend = optarg;
			break;
		case O_HARVEST:
			o->harvest = optarg;
			break;
		case O_DEVICE_SIZE:
			if (ds_parse_size_list(optarg, 0, o->sizes, DS_MIG_MAX_SIZES, &o->nsizes,
					       &why) < 0)
				ret = bad_value("--device-size", optarg, why);
			else if (!o->sizes[0])
				ret = bad_value("--device-size", optarg, "must not be zero");
			break;
		case O_MAPPINGS:
			ret = count_opt("--mappings", optarg, 1, 65535, &o->mappings);
			break;
		case O_BANDWIDTH:
			ret = rate_list("--bandwidth", optarg, MIN_BANDWIDTH, o->bandwidths,
					&o->nbandwidths);
			break;
		case O_DIRTY_RATE:
			ret = rate_list("--dirty-rate", optarg, 1, o->dirty_rates, &o->ndirty_rates);
			break;
		case O_PATTERN:
			if (!strcmp(optarg, "random"))
				o->pattern = DS_PATTERN_RANDOM;
			else if (!strcmp(optarg, "sequential"))
				o->pattern = DS_PATTERN_SEQUENTIAL;
			else if (!strcmp(optarg, "hotcold"))
				o->pattern = DS_PATTERN_HOTCOLD;
			else
				ret = bad_value("--pattern", optarg, "random, sequential or hotcold");
			break;
		case O_HOT:
			colon = strchr(optarg, ':');
			if (colon)
				*colon = '\0';
			if (!colon || ds_parse_u64(optarg, &a) < 0 || ds_parse_u64(colon + 1, &b) < 0 ||
			    a < 1 || a > 100 || b > 100) {
				ret = ds_mig_bad("--hot takes PCT:SHARE, PCT 1-100 and SHARE 0-100, "
						 "e.g. 10:90");
				break;
			}
			o->hot_percent = (unsigned int)a;
			o->hot_share = (unsigned int)b;
			break;
		case O_WORKING_SET:
			ret = size_opt("--working-set", optarg, &o->working_set);
			if (!ret && !o->working_set)
				ret = bad_value("--working-set", optarg,
						"must not be zero (leave it out for the whole region)");
			break;
		case O_THREADS:
			ret = count_opt("--threads", optarg, 1, DS_MIG_MAX_THREADS, &v);
			o->threads = (unsigned int)v;
			break;
		case O_RW_BYTES:
			ret = count_opt("--rw-bytes", optarg, 8, DS_MIG_PAGE, &o->rw_bytes);
			if (!ret && o->rw_bytes % 8)
				ret = bad_value("--rw-bytes", optarg,
						"must be a multiple of 8 (a write is whole stamps)");
			break;
		case O_STATE_SIZE:
			ret = size_opt("--state-size", optarg, &o->state_bytes);
			if (!ret && o->state_bytes > (1ull << 32))
				ret = bad_value("--state-size", optarg, "at most 4G");
			break;
		case O_LIMIT:
			ret = time_opt("--downtime-limit", optarg, &o->limit_ns);
			break;
		case O_MAX_ROUNDS:
			ret = count_opt("--max-rounds", optarg, 1, 1000000, &o->max_rounds);
			break;
		case O_IO_TIMEOUT:
			ret = time_opt("--io-timeout", optarg, &o->io_timeout_ns);
			if (!ret && o->io_timeout_ns > 3600000000000ull)
				ret = bad_value("--io-timeout", optarg, "at most 1 hour");
			break;
		case O_SEED:
			/* meta.json records it as a JSON integer, exactly: 63 bits at most. */
			ret = count_opt("--seed", optarg, 0, INT64_MAX, &o->seed);
			break;
		case O_LISTEN:
			o->listen = optarg;
			if (ds_link_parse_addr(optarg, &o->listen_addr, &why) < 0)
				ret = bad_value("--listen", optarg, why);
			break;
		case O_CONNECT:
			o->connect = optarg;
			if (ds_link_parse_addr(optarg, &o->connect_addr, &why) < 0)
				ret = bad_value("--connect", optarg, why);
			else if (!o->connect_addr.sin_port)
				ret = bad_value("--connect", optarg, "port 0 is nobody's: name the "
								     "destination's port");
			break;
		case O_OUT:
			if (!*optarg)
				ret = ds_mig_bad("--out needs a folder name");
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			ret = ds_mig_bad("%s needs a value", argv[optind - 1]);
			break;
		default:
			ret = ds_mig_bad("unknown option '%s' (see dirtyscope migrate --help)",
					 argv[optind - 1]);
			break;
		}
	}
	if (ret)
		return ret;
	if (optind < argc)
		return ds_mig_bad("unexpected argument '%s' (see dirtyscope migrate --help)",
				  argv[optind]);
	ret = fault_from_env(o);
	return ret ? ret : cross_checks(o);
}

size_t ds_mig_points(const struct ds_mig_opts *o, struct ds_mig_point *pts, size_t max)
{
	size_t s, b, d, n = 0;

	for (s = 0; s < o->nsizes; s++)
		for (b = 0; b < o->nbandwidths; b++)
			for (d = 0; d < o->ndirty_rates; d++) {
				if (n == max)
					return n;
				pts[n].device_bytes = o->sizes[s];
				pts[n].bandwidth = o->bandwidths[b];
				pts[n].dirty_rate = o->dirty_rates[d];
				/* As plan does: a working set beyond the device is the device. */
				pts[n].working_set = o->working_set && o->working_set < o->sizes[s]
							     ? o->working_set
							     : o->sizes[s];
				n++;
			}
	return n;
}

const char *ds_mig_pattern_name(enum ds_pattern p)
{
	return p == DS_PATTERN_SEQUENTIAL ? "sequential"
	       : p == DS_PATTERN_HOTCOLD  ? "hotcold"
					  : "random";
}

const char *ds_mig_outcome_name(enum ds_mig_outcome o)
{
	static const char *const names[] = {"converged", "forced", "failed", "interrupted"};

	return (unsigned int)o < 4 ? names[o] : "?";
}

static const char *fault_name(enum ds_mig_fault_kind f)
{
	static const char *const names[] = {NULL, "drop-bit", "dest-stall", "dest-close"};

	return (unsigned int)f < 4 ? names[f] : NULL;
}

static json_t *u64_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

json_t *ds_mig_config_json(const struct ds_mig_opts *o)
{
	const char *fault = fault_name(o->fault);

	return json_pack("{s:s,s:s,s:o,s:I,s:o,s:o,s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			 "s:s?,s:s?,s:s?,s:s?,s:I}",
			 "backend", o->backend, "harvest", o->harvest, "device_size_bytes",
			 u64_array(o->sizes, o->nsizes), "mappings", (json_int_t)o->mappings,
			 "bandwidth_bytes_per_s", u64_array(o->bandwidths, o->nbandwidths),
			 "dirty_rate_bytes_per_s", u64_array(o->dirty_rates, o->ndirty_rates),
			 "pattern", ds_mig_pattern_name(o->pattern), "hot_percent",
			 (json_int_t)o->hot_percent, "hot_share", (json_int_t)o->hot_share,
			 "working_set_bytes",
			 o->working_set ? json_integer((json_int_t)o->working_set) : json_null(),
			 "threads", (json_int_t)o->threads, "rw_bytes", (json_int_t)o->rw_bytes,
			 "state_bytes", (json_int_t)o->state_bytes, "downtime_limit_ns",
			 (json_int_t)o->limit_ns, "max_rounds", (json_int_t)o->max_rounds,
			 "io_timeout_ns", (json_int_t)o->io_timeout_ns, "seed", (json_int_t)o->seed,
			 "listen", o->listen, "connect", o->connect, "out", o->out, "fault", fault,
			 "page_bytes", (json_int_t)DS_MIG_PAGE);
}
