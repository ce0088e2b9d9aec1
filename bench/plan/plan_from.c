// SPDX-License-Identifier: MIT
/*
 * plan_from.c - `plan --from RUN_DIR`: the harvests a run measured, read
 * through the run-folder reader, become the cost model: each measured
 * harvest as it is for its own size, and the points of the fit.
 *
 * The points are summary.json's downtime.estimates of one harvest: a whole
 * harvest of one device (for per-mapping queries, the sum of an
 * iteration's calls), which is what the planner predicts. Their amounts:
 *   calls   the estimate's calls;
 *   bytes   the bytes the calls wrote (the steady get_bitmap row's
 *           memcpy_bytes, per call, times the calls): for a sparse
 *           vIOMMU window that is the mappings' words, not the window's;
 *   walk    the nodes the profiler counted (phases[].walk_nodes per
 *           request, times the calls); without a profile, what the
 *           kernel visits: from the container's first mapping, so the
 *           devices below this one count too;
 *   pinned  config.pages_per_step when the pinned workload ran by count
 *           (it keeps that many pages of each device pinned at a harvest);
 *           0 otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan_command.h"
#include "reader.h"

static const struct ds_rf_row *steady_row(const struct ds_run_folder *rf, const char *harvest,
					  size_t device, const char *query)
{
	size_t i;

	for (i = 0; i < rf->nrows; i++) {
		const struct ds_rf_row *r = &rf->rows[i];

		if (r->device == device && !strcmp(r->harvest, harvest) &&
		    !strcmp(r->op, "get_bitmap") && !strcmp(r->request, query) &&
		    !strcmp(r->stage, "steady"))
			return r;
	}
	return NULL;
}

/* Walk nodes per request as the profiler counted them, or -1 without a profile. */
static double profiled_walk(const struct ds_run_folder *rf, const char *harvest, size_t device,
			    const char *query)
{
	uint64_t nodes = 0, requests = 0;
	size_t i;

	/* A device may have an aligned and a shift object: add them up. */
	for (i = 0; i < rf->nphases; i++) {
		const struct ds_rf_phases *p = &rf->phases[i];

		if (p->device == device && !strcmp(p->harvest, harvest) &&
		    !strcmp(p->op, "get_bitmap") && !strcmp(p->request, query)) {
			nodes += p->walk_nodes;
			requests += p->requests;
		}
	}
	return requests ? (double)nodes / (double)requests : -1;
}

/* What the kernel walks: from the container's first mapping, past the devices below. */
static double kernel_walk(const struct ds_run_folder *rf, size_t device, bool per_mapping)
{
	const struct ds_rf_device *d = &rf->devices[device];
	double below = 0, m = (double)d->mappings;
	size_t i;

	for (i = 0; i < rf->ndevices; i++)
		if (strcmp(rf->devices[i].layout, "all") && rf->devices[i].iova_base < d->iova_base)
			below += (double)rf->devices[i].mappings;
	return per_mapping ? m * below + m * (m + 1) / 2 : below + m;
}

static uint64_t config_u64(json_t *config, const char *key, bool *found)
{
	json_t *v = json_object_get(config, key);

	*found = json_is_integer(v) && json_integer_value(v) >= 0;
	return *found ? (uint64_t)json_integer_value(v) : 0;
}

/* Pages each device had pinned at a harvest, as far as the configuration tells. */
static uint64_t run_pinned_pages(json_t *config)
{
	json_t *w = json_object_get(config, "workload"), *v;
	bool pinned = false, found;
	uint64_t step_ms, pages;
	size_t i;

	json_array_foreach(w, i, v)
		pinned |= json_is_string(v) && !strcmp(json_string_value(v), "pinned");
	step_ms = config_u64(config, "step_ms", &found);
	if (!pinned || !found || step_ms)
		return 0;
	pages = config_u64(config, "pages_per_step", &found);
	return found ? pages : 0;
}

static bool has_harvest(const struct ds_run_folder *rf, const char *name)
{
	size_t i;

	for (i = 0; i < rf->nharvests; i++)
		if (!strcmp(rf->harvests[i], name))
			return true;
	return false;
}

int ds_plan_cost_from_run(const struct ds_plan_opts *o, struct ds_plan_cost *cost)
{
	bool want_all_dirty = o->tracking == DS_TRACK_IOMMU, found, same_page;
	struct ds_fit_point *points = NULL;
	struct ds_run_folder *rf = NULL;
	size_t i, n = 0, nmatch = 0;
	uint64_t run_page, pinned;
	char why[512];
	json_t *config;
	int ret;

	ret = ds_rf_open(o->from, 0, &rf, why, sizeof(why));
	if (ret == -ENOMEM) {
		fprintf(stderr, "dirtyscope plan: --from %s: out of memory\n", o->from);
		return 1;
	}
	if (ret)
		return ds_plan_bad("--from %s: %s", o->from, why);

	if (o->harvest && !has_harvest(rf, o->harvest)) {
		ret = ds_plan_bad("--harvest '%s': not a harvest of the run (meta.json: harvests)",
				  o->harvest);
		goto out;
	}
	snprintf(cost->harvest_name, sizeof(cost->harvest_name), "%s",
		 o->harvest ? o->harvest : rf->harvests[0]);
	cost->harvest = cost->harvest_name;
	cost->run = o->from;
	if (!rf->ndowntime) {
		ret = ds_plan_bad("--from %s: summary.json: downtime.estimates: empty (the run "
				  "estimated no downtime: nothing measured to plan from)",
				  o->from);
		goto out;
	}

	config = json_object_get(rf->meta, "config");
	run_page = config_u64(config, "pgsize_bytes", &found);
	/* A harvest measured at another page size has other amounts: fit only. */
	same_page = !found || run_page == o->page_bytes;
	pinned = run_pinned_pages(config);

	for (i = 0; i < rf->ndowntime; i++) {
		const struct ds_rf_downtime *e = &rf->downtime[i];

		if (!strcmp(e->harvest, cost->harvest) && e->final_harvest_ns > 0 &&
		    e->all_dirty == want_all_dirty)
			nmatch++;
	}
	points = calloc(rf->ndowntime, sizeof(*points));
	cost->measured = calloc(rf->ndowntime, sizeof(*cost->measured));
	if (!points || !cost->measured) {
		fprintf(stderr, "dirtyscope plan: --from %s: out of memory\n", o->from);
		ret = 1;
		goto out;
	}
	for (i = 0; i < rf->ndowntime; i++) {
		const struct ds_rf_downtime *e = &rf->downtime[i];
		bool per_mapping = !strcmp(e->query, "mapping");
		const struct ds_rf_row *row;
		struct ds_harvest_shape *s;
		double walk;

		if (strcmp(e->harvest, cost->harvest) || !e->final_harvest_ns)
			continue;
		/* Out of scope sets every bit first: a cost pinned-scope harvests do not pay. */
		if (nmatch && e->all_dirty != want_all_dirty)
			continue;
		if (e->device >= rf->ndevices) {
			ret = ds_plan_bad("--from %s: summary.json: downtime.estimates[%zu].device: "
					  "out of range",
					  o->from, i);
			goto out;
		}
		s = &points[n].shape;
		s->x[DS_TERM_CALL] = (double)e->calls;
		row = steady_row(rf, cost->harvest, e->device, e->query);
		if (row) {
			s->x[DS_TERM_BYTE] = (double)(row->memcpy_bytes >= 0 ? (uint64_t)row->memcpy_bytes
									     : row->bitmap_bytes) *
					     (double)e->calls;
		} else {
			struct ds_harvest_shape t;

			ds_harvest_shape(e->device_bytes, run_page ? run_page : o->page_bytes,
					 e->mappings,
					 per_mapping ? DS_QUERY_MAPPING : DS_QUERY_MERGED, 0, &t);
			s->x[DS_TERM_BYTE] = t.x[DS_TERM_BYTE];
		}
		walk = profiled_walk(rf, cost->harvest, e->device, e->query);
		s->x[DS_TERM_WALK] = walk >= 0 ? walk * (double)e->calls
					       : kernel_walk(rf, e->device, per_mapping);
		s->x[DS_TERM_PINNED] = (double)pinned;
		points[n].ns = (double)e->final_harvest_ns;
		n++;
		if (same_page)
			cost->measured[cost->nmeasured++] = (struct ds_measured_harvest){
				.device_bytes = e->device_bytes,
				.mappings = e->mappings,
				.queries = per_mapping ? DS_QUERY_MAPPING : DS_QUERY_MERGED,
				.harvest_ns = e->final_harvest_ns,
			};
	}
	if (!n) {
		ret = ds_plan_bad("--from %s: summary.json: downtime.estimates: no estimate of "
				  "harvest '%s' with a time above zero",
				  o->from, cost->harvest);
		goto out;
	}
	if (!nmatch)
		snprintf(cost->note, sizeof(cost->note),
			 "the run has no %s harvest: fitted to %s ones",
			 want_all_dirty ? "all-dirty (iommu workload)" : "pinned-scope",
			 want_all_dirty ? "pinned-scope" : "all-dirty");
	else if (!same_page)
		snprintf(cost->note, sizeof(cost->note),
			 "the run's page is %llu bytes: its harvests are not used as measured",
			 (unsigned long long)run_page);

	ret = ds_cost_fit(points, n, o->cost_ns, &cost->fit);
	if (ret) {
		fprintf(stderr, "dirtyscope plan: --from %s: fitting the cost terms: %s\n", o->from,
			strerror(-ret));
		ret = 1;
		goto out;
	}
	cost->from_run = true;
	cost->model.fitted = true;
	memcpy(cost->model.term_ns, cost->fit.term_ns, sizeof(cost->model.term_ns));
	memcpy(cost->model.lo, cost->fit.lo, sizeof(cost->model.lo));
	memcpy(cost->model.hi, cost->fit.hi, sizeof(cost->model.hi));
	cost->model.measured = cost->measured;
	cost->model.nmeasured = cost->nmeasured;
	if (rf->status == DS_RF_INTERRUPTED || rf->status == DS_RF_FAILED)
		fprintf(stderr, "dirtyscope plan: warning: --from %s: the run %s; its harvests are "
				"used as measured\n",
			o->from, rf->status == DS_RF_FAILED ? "failed" : "was interrupted");
	ret = 0;
out:
	free(points);
	if (ret)
		ds_plan_cost_release(cost);
	ds_rf_close(rf);
	return ret;
}
