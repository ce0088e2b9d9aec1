// SPDX-License-Identifier: MIT
/*
 * run_loop.c - the measurement loop of `dirtyscope run`, after the KVM
 * dirty-log perf test: map, populate (its own phase), START, then
 * iterations of dirty -> harvest, then the profiler pass, STOP, and
 * unmap-with-bitmap. Every tracking call is timed alone with
 * CLOCK_MONOTONIC and paired with a memcpy of the same bitmap bytes taken
 * right after it: the floor the call is compared with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "run.h"

/* Keep the compiler from dropping or moving a copy whose result nobody reads. */
#define DS_CLOBBER() __asm__ volatile("" ::: "memory")

static int fail(struct ds_run *run, int err, const char *what)
{
	snprintf(run->error, sizeof(run->error), "%s: %s", what, strerror(-err));
	return err;
}

static int record(struct ds_run *run, const struct ds_sample *s)
{
	int ret = ds_result_add_sample(&run->result, s);

	return ret < 0 ? fail(run, ret, "recording a sample") : 0;
}

/* The memcpy floor for @bytes: the destination prepared like the user's bitmap. */
static uint64_t time_memcpy(struct ds_run *run, uint64_t bytes)
{
	uint64_t t0;

	memset(run->dst, 0, bytes);
	DS_CLOBBER();
	t0 = ds_now_ns();
	memcpy(run->dst, run->src, bytes);
	DS_CLOBBER();
	return ds_now_ns() - t0;
}

static bool interrupted(const struct ds_run *run)
{
	return run->interrupted && *run->interrupted;
}

/* Is every mapping's first bit on a 64-bit word of a request starting at @base? */
static enum ds_path merged_path(const struct ds_device *dev, uint64_t base)
{
	size_t i;

	for (i = 0; i < dev->nmappings; i++)
		if (((dev->mappings[i].iova - base) / dev->pgsize) % 64)
			return DS_PATH_SHIFT;
	return DS_PATH_ALIGNED;
}

/* Time one GET_BITMAP into the zero-filled user buffer. */
static int timed_get(struct ds_run *run, struct dt_container *c, struct ds_run_device *d,
		     uint64_t iova, uint64_t size, enum ds_request req, enum ds_path path,
		     uint32_t mapping)
{
	uint64_t pages = size / d->dev.pgsize, bytes = dt_bitmap_bytes(pages), t0, t1;
	struct dt_bitmap bm = {.pgsize = d->dev.pgsize, .size = bytes, .data = run->user};
	struct ds_sample s = {
		.iteration = run->iteration,
		.op = DS_OP_GET_BITMAP,
		.request = (uint8_t)req,
		.path = (uint8_t)path,
		.harvest = run->harvest,
		.device = d->index,
		.mapping = mapping,
		.bitmap_bytes = bytes,
		.pages = pages,
	};
	int ret;

	memset(run->user, 0, bytes);
	t0 = ds_now_ns();
	ret = dt_get_bitmap(c, iova, size, &bm);
	t1 = ds_now_ns();
	if (ret < 0)
		return fail(run, ret, "GET_BITMAP");
	s.ns = t1 - t0;
	s.memcpy_ns = time_memcpy(run, bytes);
	return record(run, &s);
}

static int harvest_merged(struct ds_run *run, struct dt_container *c, struct ds_run_device *d,
			  enum ds_path *path)
{
	*path = merged_path(&d->dev, d->dev.iova_base);
	return timed_get(run, c, d, d->dev.iova_base, d->pages * d->dev.pgsize, DS_REQ_MERGED,
			 *path, 0);
}

static int harvest_per_mapping(struct ds_run *run, struct dt_container *c,
			       struct ds_run_device *d)
{
	size_t i;
	int ret;

	for (i = 0; i < d->dev.nmappings; i++) {
		ret = timed_get(run, c, d, d->dev.mappings[i].iova, d->dev.mappings[i].size,
				DS_REQ_MAPPING, DS_PATH_ALIGNED, (uint32_t)i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int step_thread(void *arg, unsigned int thread, uint64_t step)
{
	struct ds_run_workload *wl = arg;

	return wl->ops->step(wl->state, thread, step);
}

/* One step of every workload of @d, threaded ones on the pool. */
static int dirty(struct ds_run *run, struct ds_run_device *d, uint64_t step)
{
	struct ds_sample s = {
		.iteration = run->iteration,
		.op = DS_OP_DIRTY,
		.harvest = run->harvest,
		.device = d->index,
	};
	uint64_t t0 = ds_now_ns();
	size_t i;
	int ret;

	for (i = 0; i < d->nwl; i++) {
		struct ds_run_workload *wl = &d->wl[i];

		if (wl->ops->threaded && run->opts->threads > 1)
			ret = ds_pool_run(run->pool, step_thread, wl, step);
		else
			ret = wl->ops->step(wl->state, 0, step);
		if (ret < 0)
			return fail(run, ret, wl->ops->name);
	}
	s.ns = ds_now_ns() - t0;
	return record(run, &s);
}

/* Timed calls the viommu workload makes itself. */
static void workload_event(void *arg, enum ds_workload_event ev, uint64_t bytes, uint64_t pages,
			   uint64_t ns)
{
	struct ds_run_device *d = arg;
	struct ds_run *run = d->run;
	struct ds_sample s = {
		.iteration = run->iteration,
		.op = ev == DS_WL_MAP ? DS_OP_MAP : DS_OP_UNMAP_BITMAP,
		.request = DS_REQ_MAPPING,
		.path = ev == DS_WL_MAP ? DS_PATH_NONE : DS_PATH_ALIGNED,
		.harvest = run->harvest,
		.device = d->index,
		.bitmap_bytes = bytes,
		.pages = pages,
		.ns = ns,
	};

	if (ev == DS_WL_UNMAP_BITMAP && bytes <= run->buf_bytes)
		s.memcpy_ns = time_memcpy(run, bytes);
	/* An event cannot fail the workload; a lost sample shows as a short count. */
	ds_result_add_sample(&run->result, &s);
}

static int map_device(struct ds_run *run, struct dt_container *c, struct ds_run_device *d)
{
	struct ds_device *dev = &d->dev;
	struct ds_sample s = {
		.op = DS_OP_MAP,
		.request = DS_REQ_MAPPING,
		.harvest = run->harvest,
		.device = d->index,
	};
	uint64_t t0;
	size_t i;
	int ret;

	dev->c = c;
	dev->nmappings = 0;
	for (i = 0; i < d->ninitial; i++) {
		const struct ds_mapping *m = &d->initial[i];

		t0 = ds_now_ns();
		ret = dt_dma_map(c, m->iova, m->size, (uintptr_t)(dev->mem + (m->iova - dev->iova_base)),
				 DT_PROT_READ | DT_PROT_WRITE);
		s.ns = ds_now_ns() - t0;
		if (ret < 0)
			return fail(run, ret, "MAP_DMA");
		dev->mappings[dev->nmappings++] = *m;
		s.mapping = (uint32_t)i;
		s.pages = m->size / dev->pgsize;
		ret = record(run, &s);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int setup_workloads(struct ds_run *run, struct ds_run_device *d)
{
	struct ds_sample s = {.op = DS_OP_POPULATE, .harvest = run->harvest, .device = d->index};
	bool populated = false;
	uint64_t t0;
	size_t i;
	int ret;

	for (i = 0; i < d->nwl; i++) {
		d->wl[i].params.record = workload_event;
		d->wl[i].params.record_arg = d;
		ret = d->wl[i].ops->setup(&d->dev, &d->wl[i].params, &d->wl[i].state);
		if (ret < 0)
			return fail(run, ret, d->wl[i].ops->name);
	}
	/* Page faults are a phase of their own, never inside a measurement. */
	t0 = ds_now_ns();
	for (i = 0; i < d->nwl; i++) {
		if (!d->wl[i].ops->populate)
			continue;
		ret = d->wl[i].ops->populate(d->wl[i].state);
		if (ret < 0)
			return fail(run, ret, d->wl[i].ops->name);
		populated = true;
	}
	s.ns = ds_now_ns() - t0;
	return populated ? record(run, &s) : 0;
}

static void teardown_workloads(struct ds_run_device *d)
{
	size_t i;

	for (i = 0; i < d->nwl; i++) {
		if (d->wl[i].ops && d->wl[i].state)
			d->wl[i].ops->teardown(d->wl[i].state);
		d->wl[i].state = NULL;
	}
}

static int timed_dirty_call(struct ds_run *run, struct dt_container *c, enum ds_op op)
{
	struct ds_sample s = {.op = (uint8_t)op, .harvest = run->harvest};
	uint64_t t0 = ds_now_ns();
	int ret;

	ret = op == DS_OP_START ? dt_dirty_start(c) : dt_dirty_stop(c);
	s.ns = ds_now_ns() - t0;
	if (ret < 0)
		return fail(run, ret, op == DS_OP_START ? "dirty START" : "dirty STOP");
	/* START and STOP act on the whole container: every device at once. */
	s.device = run->container_device;
	s.pages = run->result.devices[run->container_device].pages;
	return record(run, &s);
}

/* Add what the profiler counted since the last take to the matching phase total. */
static int take_phases(struct ds_run *run, struct dt_container *c, struct ds_run_device *d,
		       enum ds_request req, enum ds_path path, uint64_t requests)
{
	struct ds_phase_total *t = NULL, fresh = {
		.harvest = run->harvest,
		.device = d->index,
		.request = (uint8_t)req,
		.path = (uint8_t)path,
		.op = DS_OP_GET_BITMAP,
	};
	struct dt_profile p;
	size_t i;
	int ret;

	ret = dt_profile_take(c, &p);
	if (ret < 0)
		return fail(run, ret, "reading the harvest profile");
	for (i = 0; i < run->result.nphases; i++) {
		struct ds_phase_total *x = &run->result.phases[i];

		if (x->harvest == fresh.harvest && x->device == fresh.device &&
		    x->request == fresh.request && x->path == fresh.path) {
			t = x;
			break;
		}
	}
	if (!t) {
		ret = ds_result_add_phases(&run->result, &fresh);
		if (ret < 0)
			return fail(run, ret, "recording phases");
		t = &run->result.phases[run->result.nphases - 1];
	}
	t->requests += requests;
	for (i = 0; i < DT_PHASE_COUNT; i++) {
		t->profile.ns[i] += p.ns[i];
		t->profile.calls[i] += p.calls[i];
	}
	return 0;
}

/*
 * A workload step; with the profiler on, drop what the step's own harvests
 * (vIOMMU unmap-with-bitmap) counted, so the totals hold the GETs alone.
 */
static int dirty_step(struct ds_run *run, struct dt_container *c, struct ds_run_device *d,
		      uint64_t step, bool profile)
{
	struct dt_profile discard;
	int ret = dirty(run, d, step);

	if (ret == 0 && profile) {
		ret = dt_profile_take(c, &discard);
		if (ret < 0)
			return fail(run, ret, "reading the harvest profile");
	}
	return ret;
}

static void progress(struct ds_run *run, const char *what, uint64_t i, uint64_t n)
{
	uint64_t now;

	if (!run->opts->progress)
		return;
	/* Ten lines a second at most: a terminal write costs more than a small harvest. */
	now = ds_now_ns();
	if (i != 1 && i != n && now - run->progress_ns < 100000000)
		return;
	run->progress_ns = now;
	fprintf(stderr, "\r\033[Kdirtyscope run: %s: %s %llu/%llu", run->result.harvests[run->harvest],
		what, (unsigned long long)i, (unsigned long long)n);
	fflush(stderr);
}

/* The dirty/harvest iterations; with @profile, the phase totals instead of samples. */
static int iterate(struct ds_run *r, struct dt_container *c, uint64_t n, uint64_t *step,
		   bool profile)
{
	enum ds_path path;
	uint64_t i;
	size_t k;
	int ret;

	for (i = 0; i < n && !interrupted(r); i++) {
		progress(r, profile ? "profile iteration" : "iteration", i + 1, n);
		r->iteration = (uint32_t)(i + 1);
		for (k = 0; k < r->ndevices; k++) {
			struct ds_run_device *d = &r->devices[k];
			size_t mark = r->result.nsamples;

			/* dirty -> one merged request; dirty -> one request per mapping. */
			ret = dirty_step(r, c, d, (*step)++, profile);
			if (ret == 0)
				ret = harvest_merged(r, c, d, &path);
			if (ret == 0 && profile)
				ret = take_phases(r, c, d, DS_REQ_MERGED, path, 1);
			if (ret == 0)
				ret = dirty_step(r, c, d, (*step)++, profile);
			if (ret == 0)
				ret = harvest_per_mapping(r, c, d);
			if (ret == 0 && profile)
				ret = take_phases(r, c, d, DS_REQ_MAPPING, DS_PATH_ALIGNED,
						  d->dev.nmappings);
			if (ret < 0)
				return ret;
			/* The profiled calls carry the clock reads: keep them out of the samples. */
			if (profile)
				r->result.nsamples = mark;
		}
	}
	return 0;
}

/* Destroy every mapping with its bitmap, one request per mapping. */
static int unmap_all(struct ds_run *run, struct dt_container *c, struct ds_run_device *d)
{
	struct ds_device *dev = &d->dev;
	size_t i;
	int ret;

	for (i = 0; i < dev->nmappings; i++) {
		const struct ds_mapping *m = &dev->mappings[i];
		uint64_t pages = m->size / dev->pgsize, bytes = dt_bitmap_bytes(pages), t0, t1;
		struct dt_bitmap bm = {.pgsize = dev->pgsize, .size = bytes, .data = run->user};
		struct ds_sample s = {
			.op = DS_OP_UNMAP_BITMAP,
			.request = DS_REQ_MAPPING,
			.path = DS_PATH_ALIGNED,
			.harvest = run->harvest,
			.device = d->index,
			.mapping = (uint32_t)i,
			.bitmap_bytes = bytes,
			.pages = pages,
		};

		memset(run->user, 0, bytes);
		t0 = ds_now_ns();
		ret = dt_unmap_bitmap(c, m->iova, m->size, &bm, NULL);
		t1 = ds_now_ns();
		if (ret < 0)
			return fail(run, ret, "UNMAP_DMA with bitmap");
		s.ns = t1 - t0;
		s.memcpy_ns = time_memcpy(run, bytes);
		ret = record(run, &s);
		if (ret < 0)
			return ret;
	}
	dev->nmappings = 0;
	return 0;
}

static int measure_harvest(struct ds_run *run, const char *harvest)
{
	const struct ds_run_opts *o = run->opts;
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	uint64_t step = 0;
	size_t k;
	int ret;

	dt_container_config_init(&cfg);
	cfg.backend = o->backend;
	cfg.harvest = harvest;
	cfg.profile = false;
	ret = dt_container_create(&cfg, &c);
	if (ret < 0)
		return fail(run, ret, "creating the container");

	run->iteration = 0;
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = map_device(run, c, &run->devices[k]);
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = setup_workloads(run, &run->devices[k]);
	if (ret == 0)
		ret = timed_dirty_call(run, c, DS_OP_START);
	if (ret == 0)
		ret = iterate(run, c, o->iterations, &step, false);
	if (ret == 0 && o->profile_iterations && !interrupted(run)) {
		ret = dt_profile_set(c, true);
		if (ret == 0)
			ret = dt_profile_take(c, &(struct dt_profile){0});
		if (ret < 0)
			fail(run, ret, "turning the harvest profile on");
		else
			ret = iterate(run, c, o->profile_iterations, &step, true);
		if (ret == 0)
			ret = dt_profile_set(c, false);
	}
	run->iteration = 0;
	/* STOP with every bitmap allocated; then START again for unmap-with-bitmap. */
	if (ret == 0)
		ret = timed_dirty_call(run, c, DS_OP_STOP);
	if (ret == 0)
		ret = timed_dirty_call(run, c, DS_OP_START);
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = unmap_all(run, c, &run->devices[k]);
	for (k = 0; k < run->ndevices; k++)
		teardown_workloads(&run->devices[k]);
	if (o->progress)
		fputs("\r\033[K", stderr);
	dt_container_destroy(c);
	return ret;
}

int ds_run_measure(struct ds_run *run)
{
	size_t h;
	int ret;

	for (h = 0; h < run->opts->nharvests && !interrupted(run); h++) {
		run->harvest = (uint8_t)h;
		ret = measure_harvest(run, run->opts->harvests[h]);
		if (ret < 0)
			return ret;
	}
	return 0;
}
