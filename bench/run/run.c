// SPDX-License-Identifier: MIT
/*
 * run.c - `dirtyscope run`: devices, buffers, and the result. The options
 * are run_options.c, the run folder run_outdir.c, the measurement run_loop.c.
 */
#include <errno.h>
#include <limits.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "commands.h"
#include "output.h"
#include "run.h"
#include "version.h"

static int setup_device(struct ds_run *run, size_t i, uint64_t iova_base)
{
	const struct ds_run_opts *o = run->opts;
	struct ds_run_device *d = &run->devices[i];
	struct ds_device_info *info = &run->result.devices[i];
	const char *why;
	size_t k;
	int ret;

	d->run = run;
	d->index = (uint16_t)i;
	d->layout = o->layouts[i];
	ret = ds_layout_build(&d->layout, o->device_size, DS_PGSIZE, iova_base, o->seed + i, &d->initial,
			      &d->ninitial, &why);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: --layout %s with --device-size %llu: %s\n",
			d->layout.name, (unsigned long long)o->device_size,
			why ? why : strerror(-ret));
		return 2;
	}
	ret = ds_region_create(&d->region, o->device_size, o->huge, o->numa_node);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: cannot reserve %llu bytes of memory for a device: %s\n",
			(unsigned long long)o->device_size, strerror(-ret));
		return 2;
	}
	d->pages = o->device_size / DS_PGSIZE;
	d->dev = (struct ds_device){
		.pgsize = DS_PGSIZE,
		.iova_base = iova_base,
		.iova_size = o->device_size,
		.mem = d->region.mem,
		.mappings = calloc(d->ninitial, sizeof(struct ds_mapping)),
		.mappings_cap = d->ninitial,
	};
	if (!d->dev.mappings)
		return ds_run_bad("out of memory");
	for (k = 0; k < o->nworkloads; k++) {
		struct ds_workload_params *p = &d->wl[k].params;

		d->wl[k].ops = o->workloads[k];
		*p = (struct ds_workload_params){
			.seed = o->seed * 1000003 + i * 101 + k,
			.threads = o->workloads[k]->threaded ? o->threads : 1,
			.pages = o->pages,
			.step_ns = o->step_ms * 1000000,
			.pattern = o->pattern,
			.hot_percent = o->hot_percent,
			.hot_share = o->hot_share,
			.working_set = o->working_set / DS_PGSIZE,
			.rw_bytes = o->rw_bytes,
			.churn = o->churn,
			/* Distinct group ids per device and workload. */
			.group = 100 * (i + 1) + k,
		};
	}
	d->nwl = o->nworkloads;
	snprintf(info->layout, sizeof(info->layout), "%s", d->layout.name);
	info->device_bytes = o->device_size;
	info->mappings = d->ninitial;
	info->pages = d->pages;
	info->iova_base = iova_base;
	return 0;
}

static void release(struct ds_run *run)
{
	size_t i;

	for (i = 0; i < run->ndevices; i++) {
		ds_region_destroy(&run->devices[i].region);
		free(run->devices[i].initial);
		free(run->devices[i].dev.mappings);
	}
	ds_pool_destroy(run->pool);
	free(run->user);
	free(run->src);
	free(run->dst);
	ds_result_release(&run->result);
}

static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
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

int cmd_run(int argc, char **argv)
{
	struct ds_run_opts o;
	struct ds_run run;
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	char outbuf[PATH_MAX];
	const char *out, *why;
	struct ds_made_dirs made;
	struct ds_row *rows = NULL;
	size_t nrows = 0, i;
	uint64_t iova = DS_IOVA_BASE, total_pages = 0, total_mappings = 0;
	int ret, status = 0;

	ret = ds_run_parse_options(argc, argv, &o);
	if (ret == 1)
		return 0;
	if (ret)
		return ret;
	ret = ds_run_validate(&o);
	if (ret)
		return ret;
	if (o.out) {
		out = o.out;
	} else {
		ds_default_out(&o, outbuf, sizeof(outbuf));
		out = outbuf;
	}

	memset(&run, 0, sizeof(run));
	run.opts = &o;
	run.interrupted = &got_sigint;
	run.result.tool_version = DS_VERSION;
	run.result.git_revision = DS_GIT_REVISION;
	for (i = 0; i < o.nharvests; i++)
		run.result.harvests[i] = o.harvests[i];
	run.result.nharvests = o.nharvests;
	if (o.numa_node >= 0) {
		/* The tracker's own bitmaps come from malloc: bind the whole process. */
		struct bitmask *nodes = numa_allocate_nodemask();

		numa_bitmask_setbit(nodes, (unsigned int)o.numa_node);
		numa_set_membind(nodes);
		numa_free_nodemask(nodes);
		numa_run_on_node(o.numa_node);
	}
	for (i = 0; i < o.nlayouts; i++) {
		ret = setup_device(&run, i, iova);
		run.ndevices = i + 1;
		if (ret) {
			release(&run);
			return ret;
		}
		total_pages += run.devices[i].pages;
		total_mappings += run.devices[i].ninitial;
		/* The next device starts on a 1 GiB boundary after this one. */
		iova += (o.device_size + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	}
	if (total_mappings > DT_DMA_LIMIT_DEFAULT) {
		release(&run);
		return ds_run_bad("the layouts ask for more than the 65535 mappings a type1 container "
			   "allows");
	}
	run.result.ndevices = run.ndevices;
	run.container_device = 0;
	if (run.ndevices > 1) {
		struct ds_device_info *all = &run.result.devices[run.ndevices];

		snprintf(all->layout, sizeof(all->layout), "all");
		all->device_bytes = o.device_size * run.ndevices;
		all->mappings = total_mappings;
		all->pages = total_pages;
		all->iova_base = DS_IOVA_BASE;
		run.container_device = (uint16_t)run.ndevices;
		run.result.ndevices++;
	}

	run.buf_bytes = dt_bitmap_bytes(o.device_size / DS_PGSIZE);
	/* With --numa-node the process policy already binds these to the node. */
	run.user = aligned_alloc(64, (run.buf_bytes + 63) & ~63ull);
	run.src = aligned_alloc(64, (run.buf_bytes + 63) & ~63ull);
	run.dst = aligned_alloc(64, (run.buf_bytes + 63) & ~63ull);
	ret = ds_pool_create(&run.pool, o.threads, o.numa_node);
	if (!run.user || !run.src || !run.dst || ret < 0) {
		release(&run);
		return ds_run_bad("out of memory for the bitmap buffers");
	}
	/* Fault the buffers in now: first-touch costs belong to no measurement. */
	memset(run.user, 0, run.buf_bytes);
	memset(run.src, 0xa5, run.buf_bytes);
	memset(run.dst, 0, run.buf_bytes);

	if (ds_make_out(out, &made, &why) < 0) {
		release(&run);
		return ds_run_bad("--out %s: %s", out, why);
	}

	printf("dirtyscope run: backend %s, harvest %s, %zu device(s) of %llu MiB (",
	       o.backend, o.nharvests > 1 ? "all" : o.harvests[0], run.ndevices,
	       (unsigned long long)(o.device_size >> 20));
	for (i = 0; i < run.ndevices; i++)
		printf("%s%s", i ? ", " : "", o.layouts[i].name);
	printf("), workload ");
	for (i = 0; i < o.nworkloads; i++)
		printf("%s%s", i ? "," : "", o.workloads[i]->name);
	printf(", %llu iterations, seed %llu\n", (unsigned long long)o.iterations,
	       (unsigned long long)o.seed);
	fflush(stdout);

	sigaction(SIGINT, &sa, &old);
	ret = ds_run_measure(&run);
	sigaction(SIGINT, &old, NULL);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: %s\n", run.error);
		status = 1;
	} else if (got_sigint) {
		fprintf(stderr, "dirtyscope run: interrupted; keeping the results so far\n");
		status = 130;
	}

	run.result.config = ds_run_config_json(&o, out, got_sigint != 0);
	run.result.host = ds_host_info();
	run.result.placement = placement_json(&run);
	if (ds_summarize(&run.result, &rows, &nrows) < 0) {
		fprintf(stderr, "dirtyscope run: out of memory summarising\n");
		ds_remove_made(&made);
		release(&run);
		return 1;
	}
	ds_print_table(stdout, &run.result, rows, nrows);
	ret = ds_write_results(out, &run.result, rows, nrows);
	if (ret < 0) {
		fprintf(stderr, "dirtyscope run: writing the results to %s: %s\n", out, strerror(-ret));
		ds_remove_made(&made);
		status = 1;
	} else {
		printf("results: %s\n", out);
	}
	free(rows);
	release(&run);
	return status;
}
