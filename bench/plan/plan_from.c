// SPDX-License-Identifier: MIT
/*
 * plan_from.c - `plan --from RUN_DIR` (repeatable): the harvests runs
 * measured, read through the run-folder reader, become the cost model:
 * each measured harvest as it is for its own size, and all of them the
 * points of the fit. Several runs let a sweep (one run per mapping count,
 * each with its container to itself) feed one fit.
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
 *           kernel visits from the container's first mapping (in folders
 *           whose devices share a container, the devices below count too);
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

/*
 * What the kernel walks: from the container's first mapping, past the
 * mappings below the request, through the request's, and the node after
 * them that ends the walk, when there is one. A run gives every device a
 * container of its own; folders written before that held all the devices
 * in one container, and say so with a pseudo device "all" that spans them.
 */
static double kernel_walk(const struct ds_run_folder *rf, size_t device, bool per_mapping)
{
	const struct ds_rf_device *d = &rf->devices[device];
	double below = 0, above = 0, m = (double)d->mappings;
	bool shared = false;
	size_t i;

	for (i = 0; i < rf->ndevices; i++)
		shared |= !strcmp(rf->devices[i].layout, "all");
	for (i = 0; shared && i < rf->ndevices; i++) {
		if (!strcmp(rf->devices[i].layout, "all") || i == device)
			continue;
		if (rf->devices[i].iova_base < d->iova_base)
			below += (double)rf->devices[i].mappings;
		else
			above = 1;
	}
	if (!per_mapping)
		return below + m + above;
	/* Every GET but the last ends on the next mapping of the device. */
	return m * below + m * (m + 1) / 2 + (m - 1) + above;
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

/* A harvest of some run, before the choice of which ones to fit. */
struct candidate {
	struct ds_fit_point point;
	struct ds_measured_harvest measured;
	bool all_dirty, same_page;
};

/* Whether @k was asked as the plan asks and with its dirty scope. */
static bool like_plan(const struct ds_plan_opts *o, const struct candidate *k, bool by_query,
		      bool by_scope)
{
	return (!by_query || k->measured.queries == o->queries) &&
	       (!by_scope || k->all_dirty == (o->tracking == DS_TRACK_IOMMU));
}

struct candidates {
	struct candidate *v;
	size_t n, cap;
};

/*
 * Read one run folder's estimates of @harvest (NULL: the folder's first,
 * written to @harvest_out) into @c. Returns 0, 2 after a message (bad
 * input), or 1 after a message (out of memory).
 */
static int read_run(const struct ds_plan_opts *o, const char *dir, char *harvest,
		    size_t harvest_len, struct candidates *c, bool *warned)
{
	struct ds_run_folder *rf = NULL;
	uint64_t run_page, pinned;
	bool found, same_page;
	char why[512];
	json_t *config;
	size_t i, before = c->n;
	int ret;

	ret = ds_rf_open(dir, 0, &rf, why, sizeof(why));
	if (ret == -ENOMEM) {
		fprintf(stderr, "dirtyscope plan: --from %s: out of memory\n", dir);
		return 1;
	}
	if (ret)
		return ds_plan_bad("--from %s: %s", dir, why);

	if (!harvest[0])
		snprintf(harvest, harvest_len, "%s", o->harvest ? o->harvest : rf->harvests[0]);
	if (!has_harvest(rf, harvest)) {
		ret = ds_plan_bad("--from %s: meta.json: harvests: no harvest '%s'%s", dir, harvest,
				  o->harvest ? " (--harvest)" : " (the first run's)");
		goto out;
	}
	if (!rf->ndowntime) {
		ret = ds_plan_bad("--from %s: summary.json: downtime.estimates: empty (the run "
				  "estimated no downtime: nothing measured to plan from)",
				  dir);
		goto out;
	}

	config = json_object_get(rf->meta, "config");
	run_page = config_u64(config, "pgsize_bytes", &found);
	/* A harvest measured at another page size has other amounts: fit only. */
	same_page = !found || run_page == o->page_bytes;
	pinned = run_pinned_pages(config);

	for (i = 0; i < rf->ndowntime; i++) {
		const struct ds_rf_downtime *e = &rf->downtime[i];
		bool per_mapping = !strcmp(e->query, "mapping");
		const struct ds_rf_row *row;
		struct ds_harvest_shape *s;
		struct candidate *k;
		double walk;

		if (strcmp(e->harvest, harvest) || !e->final_harvest_ns)
			continue;
		if (e->device >= rf->ndevices) {
			ret = ds_plan_bad("--from %s: summary.json: downtime.estimates[%zu].device: "
					  "out of range",
					  dir, i);
			goto out;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 64;
			struct candidate *v = realloc(c->v, cap * sizeof(*v));

			if (!v) {
				fprintf(stderr, "dirtyscope plan: --from %s: out of memory\n", dir);
				ret = 1;
				goto out;
			}
			c->v = v;
			c->cap = cap;
		}
		k = &c->v[c->n++];
		memset(k, 0, sizeof(*k));
		k->all_dirty = e->all_dirty;
		k->same_page = same_page;
		s = &k->point.shape;
		s->x[DS_TERM_CALL] = (double)e->calls;
		row = steady_row(rf, harvest, e->device, e->query);
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
		walk = profiled_walk(rf, harvest, e->device, e->query);
		s->x[DS_TERM_WALK] = walk >= 0 ? walk * (double)e->calls
					       : kernel_walk(rf, e->device, per_mapping);
		s->x[DS_TERM_PINNED] = (double)pinned;
		k->point.ns = (double)e->final_harvest_ns;
		k->measured = (struct ds_measured_harvest){
			.device_bytes = e->device_bytes,
			.mappings = e->mappings,
			.queries = per_mapping ? DS_QUERY_MAPPING : DS_QUERY_MERGED,
			.harvest_ns = e->final_harvest_ns,
		};
	}
	if (c->n == before) {
		ret = ds_plan_bad("--from %s: summary.json: downtime.estimates: no estimate of "
				  "harvest '%s' with a time above zero",
				  dir, harvest);
		goto out;
	}
	if (!same_page)
		*warned = true;
	if (rf->status == DS_RF_INTERRUPTED || rf->status == DS_RF_FAILED)
		fprintf(stderr, "dirtyscope plan: warning: --from %s: the run %s; its harvests are "
				"used as measured\n",
			dir, rf->status == DS_RF_FAILED ? "failed" : "was interrupted");
	ret = 0;
out:
	ds_rf_close(rf);
	return ret;
}

int ds_plan_cost_from_run(const struct ds_plan_opts *o, struct ds_plan_cost *cost)
{
	bool other_page = false, by_query = false, by_scope = false;
	struct candidates c = {0};
	struct ds_fit_point *points = NULL;
	size_t i, n = 0;
	int j, ret = 0;

	cost->harvest_name[0] = '\0';
	for (i = 0; i < o->nfrom && !ret; i++)
		ret = read_run(o, o->from[i], cost->harvest_name, sizeof(cost->harvest_name), &c,
			       &other_page);
	if (ret)
		goto out;
	cost->harvest = cost->harvest_name;
	cost->runs = o->from;
	cost->nruns = o->nfrom;

	/*
	 * Fit the harvests asked the way the plan asks (a merged GET and N GETs
	 * spend their time differently: per mapping reported, in cache or not)
	 * and with its dirty scope (out of scope sets every bit first); when the
	 * runs have none such, drop the scope first, then the query, and say so.
	 */
	for (j = 0; j < 4; j++) {
		by_query = j < 2;
		by_scope = j % 2 == 0;
		for (i = 0; i < c.n && !like_plan(o, &c.v[i], by_query, by_scope); i++)
			;
		if (i < c.n)
			break;
	}
	points = calloc(c.n, sizeof(*points));
	cost->measured = calloc(c.n, sizeof(*cost->measured));
	if (!points || !cost->measured) {
		fprintf(stderr, "dirtyscope plan: --from: out of memory\n");
		ret = 1;
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		/* A harvest is the plan's own only at its page size and in its scope. */
		if (c.v[i].same_page && like_plan(o, &c.v[i], false, true))
			cost->measured[cost->nmeasured++] = c.v[i].measured;
		if (like_plan(o, &c.v[i], by_query, by_scope))
			points[n++] = c.v[i].point;
	}
	if (!by_query || !by_scope)
		snprintf(cost->note, sizeof(cost->note),
			 "the runs have no harvest %s%s%s: fitted to the others",
			 by_query ? "" : "asked this way",
			 !by_query && !by_scope ? " and " : "",
			 by_scope ? ""
			 : o->tracking == DS_TRACK_IOMMU ? "with every page dirty (iommu scope)"
							 : "in pinned scope");
	else if (other_page)
		snprintf(cost->note, sizeof(cost->note),
			 "a run's page is not --page-size: its harvests are fitted, not used as "
			 "measured");

	ret = ds_cost_fit(points, n, o->cost_ns, &cost->fit);
	if (ret) {
		fprintf(stderr, "dirtyscope plan: --from: fitting the cost terms: %s\n",
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
out:
	free(points);
	free(c.v);
	if (ret)
		ds_plan_cost_release(cost);
	return ret;
}
