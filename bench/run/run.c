// SPDX-License-Identifier: MIT
/*
 * run.c - `dirtyscope run`: devices, buffers, signals, and the run folder
 * from start to end. The options are run_options.c, the folder's name
 * run_outdir.c, the measurement run_loop.c.
 */
#include <errno.h>
#include <limits.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirtytrack/dirtytrack.h>

#include "commands.h"
#include "output.h"
#include "run.h"
#include "stop.h"
#include "version.h"
#include "vfio_bind.h"

/* The signal that asks the run to end (SIGINT, SIGTERM, SIGHUP); 0 while none came. */
static volatile sig_atomic_t stop_signal;
/* What the loops poll: the same, as the int the workloads take. */
static volatile int stop_flag;

static void on_signal(int sig)
{
	if (!stop_signal)
		stop_signal = sig;
	stop_flag = 1;
}

static const char *group_name(const struct ds_run_opts *o)
{
	bool iommu = false, mediated = false;
	size_t i;

	for (i = 0; i < o->nworkloads; i++) {
		const char *n = o->workloads[i]->name;

		if (!strcmp(n, "iommu") || !strcmp(n, "devwrite") ||
		    (!strcmp(n, "viommu") && o->viommu_group == DT_GROUP_IOMMU))
			iommu = true;
		else if (!strcmp(n, "viommu") || !strcmp(n, "pinned") || !strcmp(n, "rw"))
			mediated = true;
	}
	return iommu && mediated ? "iommu+mediated" : iommu ? "iommu" : mediated ? "mediated" : "none";
}

/* "4K", "2M", "1G": an IO page size in a device's label. */
static const char *io_name(uint64_t io)
{
	return io == DT_IO_PGSIZE_1G ? "1G" : io == DT_IO_PGSIZE_2M ? "2M" : "4K";
}

static int setup_device(struct ds_run *run, size_t i, uint64_t size, const struct ds_layout *l,
			uint64_t iova_base, uint64_t io_pgsize)
{
	const struct ds_run_opts *o = run->opts;
	struct ds_run_device *d = &run->devices[i];
	struct ds_device_info info = {0};
	const char *why;
	size_t k, h;
	int ret;

	d->run = run;
	d->index = (uint16_t)i;
	d->layout = *l;
	d->size = size;
	d->iova_base = iova_base;
	d->pages = size / DS_PGSIZE;
	d->io_pgsize = io_pgsize;
	ret = ds_layout_build(&d->layout, size, DS_PGSIZE, iova_base, o->seed + i, &d->initial,
			      &d->ninitial, &why);
	if (ret < 0)
		return ds_run_bad("--layout %s with --device-size %llu: %s", d->layout.name,
				  (unsigned long long)size, why ? why : strerror(-ret));
	for (k = 0; k < d->ninitial; k++)
		if (d->initial[k].size / DS_PGSIZE > DT_DIRTY_BITMAP_PAGES_MAX)
			return ds_run_bad("--layout %s with --device-size %llu: a mapping of %llu pages "
					  "cannot be tracked (type1 tracks at most INT_MAX pages a "
					  "mapping): use more mappings",
					  d->layout.name, (unsigned long long)size,
					  (unsigned long long)(d->initial[k].size / DS_PGSIZE));
	ret = ds_region_create(&d->region, size, o->huge, o->numa_node);
	if (ret < 0)
		return ds_run_bad("cannot reserve %llu bytes of memory for a device: %s",
				  (unsigned long long)size, strerror(-ret));
	/* The floor's source, faulted in now: first-touch costs belong to no measurement. */
	d->shadow_bytes = dt_bitmap_bytes(d->pages);
	d->shadow = aligned_alloc(64, (d->shadow_bytes + 63) & ~63ull);
	if (!d->shadow)
		return ds_run_bad("out of memory for the memcpy floor's %llu-byte buffer",
				  (unsigned long long)d->shadow_bytes);
	memset(d->shadow, 0x5a, d->shadow_bytes);
	for (h = 0; h < o->nharvests; h++) {
		struct ds_run_instance *in = &d->inst[h];

		in->dev = (struct ds_device){
			.pgsize = DS_PGSIZE,
			.iova_base = iova_base,
			.iova_size = size,
			.mem = d->region.mem,
			.mappings = calloc(d->ninitial, sizeof(struct ds_mapping)),
			.mappings_cap = d->ninitial,
		};
		if (!in->dev.mappings)
			return ds_run_bad("out of memory for %zu mappings", d->ninitial);
		for (k = 0; k < o->nworkloads; k++) {
			in->wl[k].ops = o->workloads[k];
			in->wl[k].params = (struct ds_workload_params){
				/* The same seed in every harvest's container: the same dirtying. */
				.seed = o->seed * 1000003 + i * 101 + k,
				.threads = o->workloads[k]->threaded ? o->threads : 1,
				.pages = o->pages,
				/* With --marking during, --step-ms paces the harvests: markers step by count. */
				.step_ns = o->marking_during ? 0 : o->step_ms * 1000000,
				.pattern = o->pattern,
				.hot_percent = o->hot_percent,
				.hot_share = o->hot_share,
				.working_set = o->working_set / DS_PGSIZE,
				.rw_bytes = o->rw_bytes,
				.stride = o->stride,
				.churn = o->churn,
				/* Distinct group ids per device and workload. */
				.group = 100 * (i + 1) + k,
				.group_kind = o->viommu_group,
				.stop = &stop_flag,
			};
		}
		in->nwl = o->nworkloads;
	}
	/* hw and dmalog devices carry their IO (or tracking) page size: "uniform:8@2M". */
	if (o->tracking == DT_TRACK_TYPE1)
		snprintf(info.layout, sizeof(info.layout), "%s", d->layout.name);
	else
		snprintf(info.layout, sizeof(info.layout), "%.24s@%s", d->layout.name,
			 io_name(io_pgsize));
	snprintf(info.group, sizeof(info.group), "%s", group_name(o));
	info.device_bytes = size;
	info.mappings = d->ninitial;
	info.pages = d->pages;
	info.iova_base = iova_base;
	if (ds_result_add_device(&run->result, &info) < 0)
		return ds_run_bad("out of memory");
	return 0;
}

static void release(struct ds_run *run)
{
	size_t i, h;

	for (i = 0; i < run->ndevices; i++) {
		ds_region_destroy(&run->devices[i].region);
		free(run->devices[i].initial);
		free(run->devices[i].shadow);
		for (h = 0; h < DS_MAX_HARVESTS; h++)
			free(run->devices[i].inst[h].dev.mappings);
	}
	free(run->devices);
	ds_pool_destroy(run->pool);
	free(run->user);
	ds_result_release(&run->result);
}

static json_t *placement_json(const struct ds_run *run)
{
	json_t *pl = json_object(), *regions = json_array();
	size_t i;

	for (i = 0; i < run->ndevices; i++) {
		json_t *p = ds_placement(run->devices[i].region.mem, run->devices[i].region.len, 1024);

		json_array_append_new(regions, p ? p : json_null());
	}
	json_object_set_new(pl, "requested_node",
			    run->opts->numa_node >= 0 ? json_integer(run->opts->numa_node) : json_null());
	json_object_set_new(pl, "regions", regions);
	json_object_set_new(pl, "user_bitmap",
			    ds_placement(run->user, run->buf_bytes, 256) ?: json_null());
	json_object_set_new(pl, "tracker_bitmaps",
			    json_string(run->opts->numa_node >= 0 ? "process memory policy bound to "
								    "the node"
								  : "default policy"));
	return pl;
}

/* The median cost of a pair of clock reads: what every sample carries once. */
static void measure_clock(struct ds_result *r)
{
	enum { PAIRS = 10001 };
	static uint64_t v[PAIRS];
	struct ds_stats st;
	struct timespec res;
	uint64_t t0;
	size_t i;

	for (i = 0; i < PAIRS; i++) {
		t0 = ds_now_ns();
		v[i] = ds_now_ns() - t0;
	}
	ds_stats_compute(v, PAIRS, &st);
	r->clock_pair_ns = st.median;
	clock_getres(CLOCK_MONOTONIC, &res);
	r->clock_resolution_ns = (uint64_t)res.tv_sec * 1000000000u + (uint64_t)res.tv_nsec;
}

/*
 * Devices: every layout at every size, size by size, each on its own 1 GiB-aligned
 * window (in a container of its own, the windows apart all the same: a
 * run's addresses read the same whatever the device).
 */
static int setup_devices(struct ds_run *run)
{
	const struct ds_run_opts *o = run->opts;
	uint64_t iova = DS_IOVA_BASE;
	size_t s, l, k, i = 0;
	int ret;

	run->devices = calloc(o->nsizes * o->nlayouts * o->nio, sizeof(*run->devices));
	if (!run->devices)
		return ds_run_bad("out of memory");
	/* Each IO page size a device of its own, side by side: the same writes, other reports. */
	for (s = 0; s < o->nsizes; s++) {
		for (l = 0; l < o->nlayouts; l++) {
			for (k = 0; k < o->nio; k++, i++) {
				ret = setup_device(run, i, o->sizes[s], &o->layouts[l], iova,
						   o->io_pgsizes[k]);
				run->ndevices = i + 1;
				if (ret)
					return ret;
				iova += (o->sizes[s] + (1ull << 30) - 1) & ~((1ull << 30) - 1);
			}
		}
	}
	return 0;
}

static void print_header(const struct ds_run_opts *o, size_t ndevices)
{
	size_t i;

	printf("dirtyscope run: backend %s, harvest ", o->backend);
	for (i = 0; i < o->nharvests; i++)
		printf("%s%s", i ? "," : "", o->harvests[i]);
	printf(", %zu device(s): size ", ndevices);
	for (i = 0; i < o->nsizes; i++) {
		uint64_t b = o->sizes[i];

		if (b >= (1ull << 40) && !(b % (1ull << 40)))
			printf("%s%lluT", i ? "," : "", (unsigned long long)(b >> 40));
		else if (b >= (1ull << 30) && !(b % (1ull << 30)))
			printf("%s%lluG", i ? "," : "", (unsigned long long)(b >> 30));
		else
			printf("%s%lluM", i ? "," : "", (unsigned long long)(b >> 20));
	}
	printf(" x layout ");
	for (i = 0; i < o->nlayouts; i++)
		printf("%s%s", i ? "," : "", o->layouts[i].name);
	printf(", workload ");
	for (i = 0; i < o->nworkloads; i++)
		printf("%s%s", i ? "," : "", o->workloads[i]->name);
	if (o->tracking != DT_TRACK_TYPE1) {
		printf(", tracking %s, %s ", o->tracking == DT_TRACK_HW ? "hw" : "dmalog",
		       o->tracking == DT_TRACK_HW ? "IO pages" : "log pages");
		for (i = 0; i < o->nio; i++)
			printf("%s%s", i ? "," : "", io_name(o->io_pgsizes[i]));
	}
	printf(", %llu+%llu iterations, seed %llu\n", (unsigned long long)o->warmup,
	       (unsigned long long)o->iterations, (unsigned long long)o->seed);
	fflush(stdout);
}

static bool any_unscoped(const struct ds_run_opts *o)
{
	/* Backends that track real writes (docs/uffd.md, docs/iommufd.md) have no such scope. */
	if (!strcmp(o->backend, "uffd") || !strcmp(o->backend, "iommufd"))
		return false;
	return strncmp(group_name(o), "iommu", 5) == 0;
}

static void start_result(struct ds_run *run, const struct ds_run_opts *o)
{
	struct ds_result *r = &run->result;
	time_t now = time(NULL);
	struct tm tm;
	int i;

	r->tool_version = DS_VERSION;
	r->git_revision = DS_GIT_REVISION;
	r->backend = o->backend;
	for (i = 0; i < (int)o->nharvests; i++)
		r->harvests[i] = o->harvests[i];
	r->nharvests = o->nharvests;
	r->status = DS_STATUS_RUNNING;
	r->warmup = o->warmup;
	r->steady = o->iterations;
	r->profile_iterations = o->profile_iterations;
	r->cycles = o->cycles;
	r->downtime = o->downtime;
	/* Only type1 cannot tell what a device behind the IOMMU wrote. */
	r->all_dirty = o->tracking == DT_TRACK_TYPE1 && any_unscoped(o);
	if (gmtime_r(&now, &tm))
		strftime(r->created_utc, sizeof(r->created_utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r->command_line = json_array();
	json_array_append_new(r->command_line, json_string("dirtyscope"));
	for (i = 0; i < o->argc; i++)
		json_array_append_new(r->command_line, json_string(o->argv[i]));
}

/* The summary and the files, whatever happened; returns the exit status. */
static int finish(struct ds_run *run, struct ds_outdir *od, int status)
{
	struct ds_row *rows = NULL;
	struct ds_downtime *dt = NULL;
	size_t nrows = 0, ndt = 0;
	bool summarised = true;
	int ret;

	if (ds_summarize(&run->result, &rows, &nrows) < 0 ||
	    ds_downtime_estimate(&run->result, &dt, &ndt) < 0) {
		/* The samples are on disk already; meta.json says the rest failed. */
		fprintf(stderr, "dirtyscope run: out of memory summarising; samples.csv holds the "
				"samples\n");
		size_t len = strlen(run->result.error);

		/* The first failure stays first: it is why the run ended. */
		snprintf(run->result.error + len, sizeof(run->result.error) - len, "%ssummarising: %s",
			 len ? "; " : "", strerror(ENOMEM));
		run->result.status = DS_STATUS_FAILED;
		free(rows);
		rows = NULL;
		status = 1;
		summarised = false;
	}
	if (rows)
		ds_print_table(stdout, &run->result, rows, nrows, dt, ndt);
	/*
	 * A run stopped before its first sample (a signal during the setup)
	 * still ends with a summary, of no row: ds_out_finish() writes one
	 * only for a row array, and summarising nothing gives none.
	 */
	static struct ds_row no_rows[1];
	ret = ds_out_finish(od->path, &run->result,
			    rows || !summarised ? rows : no_rows, nrows, dt, ndt);
	if (ret == 0)
		ret = ds_outdir_finish(od);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: writing the results to %s: %s\n", od->path,
			strerror(-ret));
		status = 1;
	} else {
		printf("results: %s (%s)\n", od->final, ds_status_name(run->result.status));
	}
	free(rows);
	free(dt);
	/* stdout is part of the output: a table that could not be written is a failure. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "dirtyscope run: writing the table to stdout: %s (the run folder "
				"is complete)\n",
			strerror(errno ? errno : EIO));
		if (!status)
			status = 1;
	}
	return status;
}

static int run_folder(struct ds_run_opts *op);

int cmd_run(int argc, char **argv)
{
	struct ds_run_opts o;
	struct ds_vfio_dev vdev = {0};
	int ret;

	/* From the first moment: a signal during setup must not lose the folder. */
	ds_catch_stop_signals(on_signal);
	ret = ds_run_parse_options(argc, argv, &o);
	if (ret == 1)
		return 0;
	if (ret)
		return ret;
	if (o.vfio_device) {
		char why[256];

		ret = ds_vfio_acquire(NULL, o.vfio_device, o.bind, &vdev, why, sizeof(why));
		if (ret < 0)
			return ds_run_bad("--vfio-device %s: %s", o.vfio_device, why);
		o.device = vdev.group;
	}
	ret = ds_run_validate(&o);
	if (!ret)
		ret = run_folder(&o);
	/* The device goes back to its driver, whatever happened (a signal included). */
	if (o.vfio_device)
		ds_vfio_release(&vdev);
	return ret;
}

/* Everything after the options: the devices, the measurement, the folder. */
static int run_folder(struct ds_run_opts *op)
{
	struct ds_run_opts o = *op;
	struct ds_run run;
	struct ds_outdir od;
	const char *why;
	uint64_t largest = 0;
	size_t i;
	int ret, status = 0;

	memset(&run, 0, sizeof(run));
	run.opts = &o;
	run.stop = &stop_flag;
	start_result(&run, &o);
	if (o.numa_node >= 0) {
		/* The tracker's own bitmaps come from malloc: bind the whole process. */
		struct bitmask *nodes = numa_allocate_nodemask();

		numa_bitmask_setbit(nodes, (unsigned int)o.numa_node);
		numa_set_membind(nodes);
		numa_free_nodemask(nodes);
		numa_run_on_node(o.numa_node);
	}
	ret = setup_devices(&run);
	if (ret) {
		release(&run);
		return ret;
	}
	for (i = 0; i < o.nsizes; i++)
		largest = o.sizes[i] > largest ? o.sizes[i] : largest;
	run.buf_bytes = dt_bitmap_bytes(largest / DS_PGSIZE);
	/* With --numa-node the process policy already binds it to the node. */
	run.user = aligned_alloc(64, (run.buf_bytes + 63) & ~63ull);
	if (!run.user) {
		release(&run);
		return ds_run_bad("out of memory for the %llu-byte bitmap buffer",
				  (unsigned long long)run.buf_bytes);
	}
	ret = ds_pool_create(&run.pool, o.threads, o.numa_node);
	if (ret < 0) {
		release(&run);
		return ds_run_bad("--threads %u: cannot start the threads: %s", o.threads,
				  strerror(-ret));
	}
	/* Fault the buffer in now: first-touch costs belong to no measurement. */
	memset(run.user, 0, run.buf_bytes);
	measure_clock(&run.result);

	if (ds_outdir_make(&o, &od, &why) < 0) {
		release(&run);
		return ds_run_bad("--out %s: %s", o.out ? o.out : od.path, why);
	}
	run.result.config = ds_run_config_json(&o, od.final);
	run.result.host = ds_host_info();
	run.result.placement = placement_json(&run);
	ret = ds_out_begin(od.path, &run.result);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: writing %s: %s\n", od.path, strerror(-ret));
		ds_outdir_remove(&od);
		release(&run);
		return 1;
	}
	run.stream = true;
	print_header(&o, run.ndevices);

	ret = stop_flag ? 0 : ds_run_measure(&run);
	/* From here on a signal is noted, not obeyed: the files are finished first. */
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: %s\n", run.error);
		run.result.status = DS_STATUS_FAILED;
		snprintf(run.result.error, sizeof(run.result.error), "%s", run.error);
		status = 1;
	} else if (stop_signal) {
		fprintf(stderr, "dirtyscope run: interrupted (%s); keeping the results so far\n",
			strsignal(stop_signal));
		run.result.status = DS_STATUS_INTERRUPTED;
		run.result.signal = stop_signal;
		status = 128 + stop_signal;
	} else {
		run.result.status = DS_STATUS_COMPLETE;
	}
	status = finish(&run, &od, status);
	release(&run);
	return status;
}
