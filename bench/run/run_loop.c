// SPDX-License-Identifier: MIT
/*
 * run_loop.c - the measurement loop of `dirtyscope run`, after the KVM
 * dirty-log perf test. Every device has a container of its own per
 * harvest, as a VM's assigned device would (so that a device's costs do
 * not depend on the mappings of the other sizes and layouts of the run):
 * map, populate (its own phase), START; then iterations of dirty -> merged
 * GET, dirty -> a GET per mapping, the harvests alternating iteration by
 * iteration (A B A B) so that drift hits all of them; the first --warmup
 * iterations reported apart; then the profiler pass, STOP/START cycles,
 * and unmap-with-bitmap of every mapping.
 *
 * Every tracking call is timed alone with CLOCK_MONOTONIC; the harness's
 * own work (zeroing the user's buffer, counting its bits, the memcpy floor,
 * recording) is outside every timed region, and the workloads only dirty
 * memory and plan: the calls they ask for are made and timed here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirtytrack/dirtytrack.h>

#include "output.h"
#include "run.h"

/* Keep the compiler from dropping or moving a copy whose result nobody reads. */
#define DS_CLOBBER() __asm__ volatile("" ::: "memory")

static int fail(struct ds_run *run, int err, const char *what)
{
	snprintf(run->error, sizeof(run->error), "%s: %s", what, strerror(-err));
	return err;
}

static bool stopped(const struct ds_run *run)
{
	return run->stop && *run->stop;
}

/* The container that holds @d for the harvest running. */
static struct dt_container *cont(const struct ds_run *run, const struct ds_run_device *d)
{
	return d->inst[run->harvest].dev.c;
}

static int record(struct ds_run *run, struct ds_sample *s)
{
	int ret;

	if (run->profiling)
		return 0;
	s->harvest = run->harvest;
	s->stage = run->stage;
	if (!s->iteration)
		s->iteration = run->iteration;
	ret = ds_result_add_sample(&run->result, s);
	if (ret < 0)
		return fail(run, ret, "recording a sample");
	if (run->stream) {
		ret = ds_out_sample(&run->result, s, ds_now_ns());
		if (ret < 0)
			return fail(run, ret, "writing samples.csv");
	}
	return 0;
}

/* Bits set in @bytes of @w: how many pages the call reported dirty. */
__attribute__((target("popcnt"))) static uint64_t popcount_hw(const uint64_t *w, uint64_t words)
{
	uint64_t i, n = 0;

	for (i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(w[i]);
	return n;
}

static uint64_t popcount_sw(const uint64_t *w, uint64_t words)
{
	uint64_t i, n = 0;

	for (i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(w[i]);
	return n;
}

static uint64_t dirty_count(const uint64_t *w, uint64_t bytes)
{
	/* A 32 MiB bitmap is 4 M words: the instruction, where there is one, saves ~30 ms. */
	if (__builtin_cpu_supports("popcnt"))
		return popcount_hw(w, bytes / 8);
	return popcount_sw(w, bytes / 8);
}

/*
 * The memcpy floor of a harvest call that wrote @bytes into the user's
 * buffer from the device's bitmap at byte @src_off: the same bytes, into
 * the same buffer at the same offset, zeroed just before as it was for the
 * call, from a source last written as long ago as the tracker's bitmaps.
 * Then the source is rewritten, as the harvest rewrote its bitmaps.
 */
static uint64_t floor_copy(struct ds_run *run, struct ds_run_device *d, uint64_t src_off,
			   uint64_t bytes)
{
	uint64_t t0, t1;

	if (src_off > d->shadow_bytes)
		src_off = 0;
	if (bytes > d->shadow_bytes - src_off)
		bytes = d->shadow_bytes - src_off;
	memset(run->user, 0, bytes);
	DS_CLOBBER();
	t0 = ds_now_ns();
	memcpy(run->user, d->shadow + src_off, bytes);
	DS_CLOBBER();
	t1 = ds_now_ns();
	memset(d->shadow + src_off, 0x5a, bytes);
	return t1 - t0;
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

/*
 * Bytes a merged request from @base writes: per mapping, the words from
 * the one holding its first bit, as many as its bits and its shift fill
 * (the kernel copies those), counted once where neighbours share a word.
 */
static uint64_t merged_bytes(const struct ds_device *dev, uint64_t base)
{
	uint64_t end = 0, words = 0, bit, first, last;
	size_t i;

	for (i = 0; i < dev->nmappings; i++) {
		bit = (dev->mappings[i].iova - base) / dev->pgsize;
		first = bit / 64;
		last = (bit + dev->mappings[i].size / dev->pgsize - 1) / 64 + 1;
		if (first < end)
			first = end;
		if (last > first)
			words += last - first;
		if (last > end)
			end = last;
	}
	return words * 8;
}

/* Time one GET_BITMAP into the zero-filled user buffer, with its floor and dirty count. */
static int timed_get(struct ds_run *run, struct ds_run_device *d, uint64_t iova, uint64_t size,
		     enum ds_request req, enum ds_path path, uint32_t mapping, uint64_t written)
{
	struct dt_container *c = cont(run, d);
	uint64_t pages = size / DS_PGSIZE, bytes = dt_bitmap_bytes(pages), t0, t1;
	struct dt_bitmap bm = {.pgsize = DS_PGSIZE, .size = bytes, .data = run->user};
	struct ds_sample s = {
		.op = DS_OP_GET_BITMAP,
		.request = (uint8_t)req,
		.path = (uint8_t)path,
		.device = d->index,
		.mapping = mapping,
		.bitmap_bytes = bytes,
		.pages = pages,
		.memcpy_bytes = written,
	};
	int ret;

	memset(run->user, 0, bytes);
	t0 = ds_now_ns();
	ret = dt_get_bitmap(c, iova, size, &bm);
	t1 = ds_now_ns();
	if (ret < 0)
		return fail(run, ret, "GET_BITMAP");
	if (run->profiling)
		return 0;
	s.ns = t1 - t0;
	s.dirty_pages = dirty_count(run->user, bytes);
	s.memcpy_ns = floor_copy(run, d, (iova - d->iova_base) / DS_PGSIZE / 64 * 8, written);
	return record(run, &s);
}

static int harvest_merged(struct ds_run *run, struct ds_run_device *d, enum ds_path *path)
{
	const struct ds_device *dev = &d->inst[run->harvest].dev;

	*path = merged_path(dev, d->iova_base);
	return timed_get(run, d, d->iova_base, d->pages * DS_PGSIZE, DS_REQ_MERGED, *path, 0,
			 merged_bytes(dev, d->iova_base));
}

static int harvest_per_mapping(struct ds_run *run, struct ds_run_device *d)
{
	const struct ds_device *dev = &d->inst[run->harvest].dev;
	size_t i;
	int ret;

	for (i = 0; i < dev->nmappings && !stopped(run); i++) {
		const struct ds_mapping *m = &dev->mappings[i];

		ret = timed_get(run, d, m->iova, m->size, DS_REQ_MAPPING, DS_PATH_ALIGNED,
				(uint32_t)i, dt_bitmap_bytes(m->size / DS_PGSIZE));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Unmap one mapping with its bitmap (plain when tracking is off), timed, with its floor. */
static int timed_unmap(struct ds_run *run, struct ds_run_device *d, uint64_t iova, uint64_t size,
		       uint32_t mapping, bool tracking)
{
	struct dt_container *c = cont(run, d);
	uint64_t pages = size / DS_PGSIZE, bytes = dt_bitmap_bytes(pages), unmapped = 0, t0, t1;
	struct dt_bitmap bm = {.pgsize = DS_PGSIZE, .size = bytes, .data = run->user};
	struct ds_sample s = {
		.op = tracking ? DS_OP_UNMAP_BITMAP : DS_OP_UNMAP,
		.request = DS_REQ_MAPPING,
		.path = DS_PATH_ALIGNED,
		.device = d->index,
		.mapping = mapping,
		.bitmap_bytes = tracking ? bytes : 0,
		.pages = pages,
	};
	int ret;

	if (tracking)
		memset(run->user, 0, bytes);
	t0 = ds_now_ns();
	ret = tracking ? dt_unmap_bitmap(c, iova, size, &bm, &unmapped)
		       : dt_unmap(c, iova, size, &unmapped);
	t1 = ds_now_ns();
	if (ret < 0)
		return fail(run, ret, tracking ? "UNMAP_DMA with bitmap" : "UNMAP_DMA");
	if (unmapped != size)
		return fail(run, -ENOENT, "UNMAP_DMA: the mapping was not there");
	s.ns = t1 - t0;
	if (tracking) {
		s.dirty_pages = dirty_count(run->user, bytes);
		s.memcpy_bytes = bytes;
		s.memcpy_ns = floor_copy(run, d, (iova - d->iova_base) / DS_PGSIZE / 64 * 8, bytes);
	}
	return record(run, &s);
}

static int timed_map(struct ds_run *run, struct ds_run_device *d, const struct ds_mapping *m,
		     uint32_t mapping)
{
	struct dt_container *c = cont(run, d);
	struct ds_sample s = {
		.op = DS_OP_MAP,
		.request = DS_REQ_MAPPING,
		.device = d->index,
		.mapping = mapping,
		.pages = m->size / DS_PGSIZE,
	};
	uint64_t t0 = ds_now_ns();
	int ret;

	ret = dt_dma_map(c, m->iova, m->size, (uintptr_t)(d->region.mem + (m->iova - d->iova_base)),
			 DT_PROT_READ | DT_PROT_WRITE);
	s.ns = ds_now_ns() - t0;
	if (ret < 0)
		return fail(run, ret, "MAP_DMA");
	return record(run, &s);
}

/* The calls a workload's last step planned (vIOMMU churn), each timed. */
static int churn(struct ds_run *run, struct ds_run_device *d, struct ds_run_workload *wl,
		 bool tracking)
{
	const struct ds_churn_op *ops;
	uint8_t stage = run->stage;
	size_t n, i;
	int ret = 0;

	if (!wl->ops->churn)
		return 0;
	n = wl->ops->churn(wl->state, &ops);
	run->stage = DS_STAGE_CHURN;
	for (i = 0; i < n && ret == 0; i++) {
		struct ds_mapping m = {.iova = ops[i].iova, .size = ops[i].size};

		if (ops[i].map)
			ret = timed_map(run, d, &m, 0);
		else
			ret = timed_unmap(run, d, m.iova, m.size, 0, tracking);
	}
	run->stage = stage;
	return ret;
}

static int step_thread(void *arg, unsigned int thread, uint64_t step)
{
	struct ds_run_workload *wl = arg;

	return wl->ops->step(wl->state, thread, step);
}

/*
 * One step of every workload of @d, threaded ones on the pool, timed
 * together as the dirty step; after each workload's step, the calls it
 * planned (timed on their own), so that the next workload sees the device
 * as the container holds it.
 */
static int dirty(struct ds_run *run, struct ds_run_device *d)
{
	struct ds_run_instance *in = &d->inst[run->harvest];
	struct ds_sample s = {.op = DS_OP_DIRTY, .device = d->index};
	uint64_t step = in->step++, t0;
	size_t i;
	int ret;

	for (i = 0; i < in->nwl; i++) {
		struct ds_run_workload *wl = &in->wl[i];

		t0 = ds_now_ns();
		if (wl->ops->threaded && run->opts->threads > 1)
			ret = ds_pool_run(run->pool, step_thread, wl, step);
		else
			ret = wl->ops->step(wl->state, 0, step);
		s.ns += ds_now_ns() - t0;
		if (ret < 0)
			return fail(run, ret, wl->ops->name);
		ret = churn(run, d, wl, true);
		if (ret < 0)
			return ret;
	}
	return record(run, &s);
}

static int map_device(struct ds_run *run, struct ds_run_device *d)
{
	struct ds_device *dev = &d->inst[run->harvest].dev;
	size_t i;
	int ret;

	dev->nmappings = 0;
	for (i = 0; i < d->ninitial && !stopped(run); i++) {
		ret = timed_map(run, d, &d->initial[i], (uint32_t)i);
		if (ret < 0)
			return ret;
		dev->mappings[dev->nmappings++] = d->initial[i];
	}
	return 0;
}

static int setup_workloads(struct ds_run *run, struct ds_run_device *d)
{
	struct ds_run_instance *in = &d->inst[run->harvest];
	struct ds_sample s = {.op = DS_OP_POPULATE, .device = d->index};
	bool populated = false;
	uint64_t t0;
	size_t i;
	int ret;

	for (i = 0; i < in->nwl; i++) {
		ret = in->wl[i].ops->setup(&in->dev, &in->wl[i].params, &in->wl[i].state);
		if (ret < 0)
			return fail(run, ret, in->wl[i].ops->name);
	}
	/* Page faults are a phase of their own, never inside a measurement. */
	t0 = ds_now_ns();
	for (i = 0; i < in->nwl; i++) {
		if (!in->wl[i].ops->populate)
			continue;
		ret = in->wl[i].ops->populate(in->wl[i].state);
		if (ret < 0)
			return fail(run, ret, in->wl[i].ops->name);
		populated = true;
	}
	s.ns = ds_now_ns() - t0;
	return populated ? record(run, &s) : 0;
}

static void teardown_workloads(struct ds_run_instance *in)
{
	size_t i;

	for (i = 0; i < in->nwl; i++) {
		if (in->wl[i].ops && in->wl[i].state)
			in->wl[i].ops->teardown(in->wl[i].state);
		in->wl[i].state = NULL;
	}
}

static int timed_dirty_call(struct ds_run *run, struct ds_run_device *d, enum ds_op op)
{
	struct ds_sample s = {.op = (uint8_t)op, .device = d->index, .pages = d->pages};
	uint64_t t0 = ds_now_ns();
	int ret;

	ret = op == DS_OP_START ? dt_dirty_start(cont(run, d)) : dt_dirty_stop(cont(run, d));
	s.ns = ds_now_ns() - t0;
	if (ret < 0)
		return fail(run, ret, op == DS_OP_START ? "dirty START" : "dirty STOP");
	return record(run, &s);
}

/* START or STOP of every device's container. */
static int dirty_calls(struct ds_run *run, enum ds_op op)
{
	size_t k;
	int ret = 0;

	for (k = 0; k < run->ndevices && ret == 0 && !stopped(run); k++)
		ret = timed_dirty_call(run, &run->devices[k], op);
	return ret;
}

/* Add what the profiler counted since the last take to the matching phase total. */
static int take_phases(struct ds_run *run, struct ds_run_device *d, enum ds_request req,
		       enum ds_path path, uint64_t requests)
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

	ret = dt_profile_take(cont(run, d), &p);
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
		fresh.profile.nphases = p.nphases;
		memcpy(fresh.profile.names, p.names, sizeof(p.names));
		ret = ds_result_add_phases(&run->result, &fresh);
		if (ret < 0)
			return fail(run, ret, "recording phases");
		t = &run->result.phases[run->result.nphases - 1];
	}
	t->requests += requests;
	t->profile.walk_nodes += p.walk_nodes;
	for (i = 0; i < p.nphases && i < DT_PROFILE_PHASES_MAX; i++) {
		t->profile.ns[i] += p.ns[i];
		t->profile.calls[i] += p.calls[i];
	}
	return 0;
}

/*
 * A workload step in the profiler pass: drop what the step's own calls
 * (vIOMMU unmap-with-bitmap) counted, so that the totals hold the GETs alone.
 */
static int dirty_step(struct ds_run *run, struct ds_run_device *d)
{
	struct dt_profile discard;
	int ret = dirty(run, d);

	if (ret == 0 && run->profiling) {
		ret = dt_profile_take(cont(run, d), &discard);
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
	fprintf(stderr, "\r\033[Kdirtyscope run: %s %llu/%llu", what, (unsigned long long)i,
		(unsigned long long)n);
	fflush(stderr);
}

/*
 * One iteration of one harvest over every device: dirty -> merged; dirty ->
 * per mapping. With --marking during, the markers dirty all along instead.
 */
static int iteration(struct ds_run *r)
{
	bool during = r->opts->marking_during;
	enum ds_path path;
	size_t k;
	int ret = 0;

	for (k = 0; k < r->ndevices && ret == 0 && !stopped(r); k++) {
		struct ds_run_device *d = &r->devices[k];

		if (!during)
			ret = dirty_step(r, d);
		if (ret == 0)
			ret = harvest_merged(r, d, &path);
		if (ret == 0 && r->profiling)
			ret = take_phases(r, d, DS_REQ_MERGED, path, 1);
		if (ret == 0 && !during)
			ret = dirty_step(r, d);
		if (ret == 0)
			ret = harvest_per_mapping(r, d);
		if (ret == 0 && r->profiling)
			ret = take_phases(r, d, DS_REQ_MAPPING, DS_PATH_ALIGNED,
					  d->inst[r->harvest].dev.nmappings);
	}
	return ret;
}

/* Destroy every mapping with its bitmap, one request per mapping. */
static int unmap_all(struct ds_run *run, struct ds_run_device *d)
{
	struct ds_device *dev = &d->inst[run->harvest].dev;
	size_t i;
	int ret;

	for (i = 0; i < dev->nmappings && !stopped(run); i++) {
		ret = timed_unmap(run, d, dev->mappings[i].iova, dev->mappings[i].size, (uint32_t)i,
				  true);
		if (ret < 0)
			return ret;
	}
	dev->nmappings = 0;
	return 0;
}

/* For each harvest in turn, @fn on the run; stops at the first error or signal. */
static int each_harvest(struct ds_run *run, int (*fn)(struct ds_run *run))
{
	size_t h;
	int ret = 0;

	for (h = 0; h < run->opts->nharvests && ret == 0 && !stopped(run); h++) {
		run->harvest = (uint8_t)h;
		ret = fn(run);
	}
	return ret;
}

static int setup_one(struct ds_run *run)
{
	size_t k;
	int ret = 0;

	run->stage = DS_STAGE_SETUP;
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = map_device(run, &run->devices[k]);
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = setup_workloads(run, &run->devices[k]);
	if (ret == 0)
		ret = dirty_calls(run, DS_OP_START);
	return ret;
}

/* Phase timing on or off in every device's container; -EOPNOTSUPP from a backend without phases. */
static int profile_all(struct ds_run *run, bool on)
{
	size_t k;
	int ret = 0;

	for (k = 0; k < run->ndevices && ret == 0; k++) {
		ret = dt_profile_set(cont(run, &run->devices[k]), on);
		if (ret == 0 && on)
			ret = dt_profile_take(cont(run, &run->devices[k]), &(struct dt_profile){0});
	}
	return ret;
}

static int profile_one(struct ds_run *run)
{
	uint64_t i;
	int ret;

	ret = profile_all(run, true);
	/* A backend without phases (a real kernel) has no profiler view: not an error. */
	if (ret == -EOPNOTSUPP)
		return 0;
	if (ret < 0)
		return fail(run, ret, "turning the harvest profile on");
	run->profiling = true;
	for (i = 0; i < run->opts->profile_iterations && ret == 0 && !stopped(run); i++) {
		progress(run, "profile iteration", i + 1, run->opts->profile_iterations);
		ret = iteration(run);
	}
	run->profiling = false;
	if (ret == 0) {
		ret = profile_all(run, false);
		if (ret < 0)
			fail(run, ret, "turning the harvest profile off");
	}
	return ret;
}

static int cycle_one(struct ds_run *run)
{
	int ret = dirty_calls(run, DS_OP_STOP);

	return ret ? ret : dirty_calls(run, DS_OP_START);
}

static int teardown_one(struct ds_run *run)
{
	size_t k;
	int ret = 0;

	run->stage = DS_STAGE_TEARDOWN;
	run->iteration = 0;
	for (k = 0; k < run->ndevices && ret == 0; k++)
		ret = unmap_all(run, &run->devices[k]);
	if (ret == 0)
		ret = dirty_calls(run, DS_OP_STOP);
	return ret;
}

/*
 * --marking during: a thread per workload thread keeps stepping its
 * workload (DMA_RW writes, pins) while the harvests run, so that harvest
 * latency is measured under marking load and the markers' rate under
 * harvests.
 */
struct marker {
	struct ds_run *run;
	struct ds_run_device *d;
	struct ds_run_workload *wl;
	unsigned int thread;
	pthread_t tid;
	bool started;
	volatile int *quit;
	uint64_t steps, ns;
	int err;
};

static void *marker_main(void *arg)
{
	struct marker *mk = arg;
	uint64_t t0 = ds_now_ns(), step = 0;
	int ret = 0;

	while (!__atomic_load_n(mk->quit, __ATOMIC_ACQUIRE) && !stopped(mk->run) && ret == 0)
		ret = mk->wl->ops->step(mk->wl->state, mk->thread, step++);
	mk->ns = ds_now_ns() - t0;
	mk->steps = step - (ret < 0);
	mk->err = ret;
	return NULL;
}

/* The harvests of the running harvest, with every marker of its devices marking. */
static int measure_during(struct ds_run *run, uint64_t n)
{
	const struct ds_run_opts *o = run->opts;
	struct marker *mk;
	size_t nmk = 0, k, w, i;
	volatile int quit = 0;
	uint64_t it;
	int ret = 0;

	mk = calloc(run->ndevices * DS_MAX_WORKLOADS * o->threads, sizeof(*mk));
	if (!mk)
		return fail(run, -ENOMEM, "starting the markers");
	for (k = 0; k < run->ndevices; k++) {
		struct ds_run_instance *in = &run->devices[k].inst[run->harvest];

		for (w = 0; w < in->nwl; w++)
			for (i = 0; i < in->wl[w].params.threads; i++)
				mk[nmk++] = (struct marker){.run = run, .d = &run->devices[k],
							    .wl = &in->wl[w],
							    .thread = (unsigned int)i,
							    .quit = &quit};
	}
	for (i = 0; i < nmk && ret == 0; i++) {
		ret = -pthread_create(&mk[i].tid, NULL, marker_main, &mk[i]);
		mk[i].started = ret == 0;
	}
	if (ret < 0)
		fail(run, ret, "starting the markers");
	for (it = 1; it <= n && ret == 0 && !stopped(run); it++) {
		progress(run, it <= o->warmup ? "warm-up iteration" : "iteration", it, n);
		run->iteration = (uint32_t)it;
		run->stage = it <= o->warmup ? DS_STAGE_WARMUP : DS_STAGE_STEADY;
		ret = iteration(run);
	}
	__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nmk; i++) {
		struct ds_sample s = {.op = DS_OP_DIRTY, .device = mk[i].d->index, .mapping = mk[i].thread};

		if (!mk[i].started)
			continue;
		pthread_join(mk[i].tid, NULL);
		if (mk[i].err < 0 && ret == 0)
			ret = fail(run, mk[i].err, mk[i].wl->ops->name);
		/* One sample a marker: the pages it marked over the whole measurement, and how long. */
		s.pages = mk[i].steps * (mk[i].wl->params.pages / mk[i].wl->params.threads);
		s.ns = mk[i].ns;
		run->stage = DS_STAGE_STEADY;
		s.iteration = 0;
		if (ret == 0)
			ret = record(run, &s);
	}
	free(mk);
	return ret;
}

static int iterations_during(struct ds_run *run)
{
	return measure_during(run, run->opts->warmup + run->opts->iterations);
}

static int measure(struct ds_run *run)
{
	const struct ds_run_opts *o = run->opts;
	uint64_t i, n = o->warmup + o->iterations;
	int ret;

	run->iteration = 0;
	ret = each_harvest(run, setup_one);
	/* Under marking load, one harvest after the other, each with its own markers. */
	if (ret == 0 && o->marking_during)
		ret = each_harvest(run, iterations_during);
	for (i = 1; i <= n && ret == 0 && !o->marking_during && !stopped(run); i++) {
		progress(run, i <= o->warmup ? "warm-up iteration" : "iteration", i, n);
		run->iteration = (uint32_t)i;
		run->stage = i <= o->warmup ? DS_STAGE_WARMUP : DS_STAGE_STEADY;
		ret = each_harvest(run, iteration);
	}
	run->iteration = 0;
	if (ret == 0 && o->profile_iterations)
		ret = each_harvest(run, profile_one);
	run->stage = DS_STAGE_CYCLE;
	for (i = 1; i <= o->cycles && ret == 0 && !stopped(run); i++) {
		run->iteration = (uint32_t)i;
		ret = each_harvest(run, cycle_one);
	}
	if (ret == 0)
		ret = each_harvest(run, teardown_one);
	return ret;
}

/* What failed when a container cannot be made: for a real backend, what it needs. */
static const char *create_what(const char *backend)
{
	if (!strcmp(backend, "uffd"))
		return "creating the container (the uffd backend needs Linux >= 6.7 with userfaultfd "
		       "async write-protect and PAGEMAP_SCAN: docs/uffd.md)";
	if (!strcmp(backend, "iommufd"))
		return "creating the container (the iommufd backend needs /dev/iommu and a vfio "
		       "device: docs/iommufd.md)";
	return "creating the container";
}

int ds_run_measure(struct ds_run *run)
{
	const struct ds_run_opts *o = run->opts;
	struct dt_container_config cfg;
	size_t h, k;
	int ret = 0;

	for (h = 0; h < o->nharvests && ret == 0; h++) {
		for (k = 0; k < run->ndevices && ret == 0; k++) {
			dt_container_config_init(&cfg);
			cfg.backend = o->backend;
			cfg.harvest = o->harvests[h];
			/* Markers that run during harvests need the lock-free marking path. */
			cfg.concurrent = o->marking_during;
			ret = dt_container_create(&cfg, &run->devices[k].inst[h].dev.c);
			if (ret < 0)
				fail(run, ret, create_what(o->backend));
		}
	}
	if (ret == 0)
		ret = measure(run);
	if (o->progress)
		fputs("\r\033[K", stderr);
	for (h = 0; h < o->nharvests; h++) {
		for (k = 0; k < run->ndevices; k++) {
			teardown_workloads(&run->devices[k].inst[h]);
			dt_container_destroy(run->devices[k].inst[h].dev.c);
			run->devices[k].inst[h].dev.c = NULL;
		}
	}
	return ret;
}
