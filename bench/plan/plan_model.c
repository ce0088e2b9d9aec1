// SPDX-License-Identifier: MIT
/*
 * plan_model.c - the convergence model: pre-copy rounds until QEMU would
 * switch over, then the stop-and-copy downtime (results/plan.md, "The
 * model"), and the harvest's amounts of work per device size.
 */
#include <errno.h>
#include <math.h>

#include "plan.h"

const char *ds_cost_term_name(enum ds_cost_term t)
{
	static const char *const names[] = {"call", "byte", "walk", "pinned"};

	return (unsigned int)t < DS_TERM_COUNT ? names[t] : "?";
}

const char *ds_plan_tracking_name(enum ds_plan_tracking t)
{
	return t == DS_TRACK_IOMMU ? "iommu" : "pinned";
}

const char *ds_plan_queries_name(enum ds_plan_queries q)
{
	return q == DS_QUERY_MAPPING ? "mapping" : "merged";
}

const char *ds_plan_stop_name(enum ds_plan_stop s)
{
	static const char *const names[] = {"limit_met", "max_rounds", "not_shrinking"};

	return (unsigned int)s < 3 ? names[s] : "?";
}

const char *ds_harvest_source_name(enum ds_harvest_source s)
{
	static const char *const names[] = {"terms", "measured", "model", "extrapolated"};

	return (unsigned int)s < 4 ? names[s] : "?";
}

static uint64_t words(uint64_t pages)
{
	return pages / 64 + (pages % 64 != 0);
}

void ds_harvest_shape(uint64_t device_bytes, uint64_t page_bytes, uint64_t mappings,
		      enum ds_plan_queries queries, uint64_t pinned_pages,
		      struct ds_harvest_shape *out)
{
	uint64_t pages = page_bytes ? device_bytes / page_bytes : 0;
	uint64_t m = mappings ? mappings : 1, q = pages / m, r = pages % m;
	double n = (double)m;

	/* Each mapping is shifted, copied and cleared in whole words of its own. */
	out->x[DS_TERM_BYTE] = 8.0 * ((double)r * (double)words(q + 1) +
				      (double)(m - r) * (double)words(q));
	out->x[DS_TERM_PINNED] = (double)pinned_pages;
	if (queries == DS_QUERY_MAPPING) {
		out->x[DS_TERM_CALL] = n;
		/*
		 * The i-th GET walks from rb_first: the i-1 nodes below its mapping,
		 * the mapping, and the next node, which ends the walk (all but the
		 * last GET have one).
		 */
		out->x[DS_TERM_WALK] = n * (n + 1) / 2 + (n - 1);
	} else {
		out->x[DS_TERM_CALL] = 1;
		out->x[DS_TERM_WALK] = n;
	}
}

double ds_cost_predict(const struct ds_cost_model *m, const struct ds_harvest_shape *shape,
		       bool *extrapolated)
{
	double ns = 0;
	bool out = false;
	int t;

	for (t = 0; t < DS_TERM_COUNT; t++) {
		double x = shape->x[t];

		ns += m->term_ns[t] * x;
		/* A little slack: amounts recomputed from a run may differ in the last bit. */
		if (m->fitted && x > 0 && (x < m->lo[t] * (1 - 1e-9) || x > m->hi[t] * (1 + 1e-9)))
			out = true;
	}
	if (extrapolated)
		*extrapolated = out;
	return ns;
}

static uint64_t to_ns(double ns)
{
	if (!(ns > 0))
		return 0;
	if (ns >= 9.2e18)
		return INT64_MAX;
	return (uint64_t)llround(ns);
}

/* The measured harvest for this size, the slowest when several layouts match. */
static bool measured_ns(const struct ds_plan_input *in, uint64_t device_bytes, double *ns)
{
	bool found = false;
	size_t i;

	for (i = 0; i < in->cost.nmeasured; i++) {
		const struct ds_measured_harvest *h = &in->cost.measured[i];

		if (h->device_bytes != device_bytes || h->mappings != in->mappings ||
		    h->queries != in->queries)
			continue;
		if (!found || (double)h->harvest_ns > *ns)
			*ns = (double)h->harvest_ns;
		found = true;
	}
	return found;
}

static void plan_one(const struct ds_plan_input *in, uint64_t device_bytes,
		     struct ds_plan_size *out)
{
	const double bw = (double)in->bandwidth_bytes_per_s, page = (double)in->page_bytes;
	const double device = (double)device_bytes;
	const double threshold = bw * (double)in->limit_ns / 1e9;
	double ws = (double)in->working_set_bytes, floor_bytes = (double)in->pinned_bytes;
	double harvest = 0, sent = device, dirty, precopy = 0, round_ns;
	struct ds_harvest_shape shape;
	bool extrapolated;
	uint64_t rounds = 0;

	if (ws == 0 || ws > device)
		ws = device;
	if (floor_bytes > device)
		floor_bytes = device;

	out->device_bytes = device_bytes;
	if (measured_ns(in, device_bytes, &harvest)) {
		out->harvest_source = DS_SRC_MEASURED;
	} else {
		ds_harvest_shape(device_bytes, in->page_bytes, in->mappings, in->queries,
				 in->pinned_bytes / in->page_bytes, &shape);
		harvest = ds_cost_predict(&in->cost, &shape, &extrapolated);
		out->harvest_source = !in->cost.fitted ? DS_SRC_TERMS
				      : extrapolated	 ? DS_SRC_EXTRAPOLATED
							 : DS_SRC_MODEL;
	}

	for (;;) {
		/* A round sends what the last one left, then harvests; the VM runs throughout. */
		round_ns = sent / bw * 1e9 + harvest;
		precopy += round_ns;
		rounds++;
		if (in->tracking == DS_TRACK_IOMMU) {
			dirty = device;
		} else {
			dirty = (double)in->dirty_rate_bytes_per_s * round_ns / 1e9;
			dirty = fmin(dirty, ws);
			dirty = fmax(dirty, floor_bytes);
			/* Pages are dirty whole. */
			dirty = fmin(ceil(dirty / page) * page, device);
		}
		if (dirty + (double)in->state_bytes <= threshold) {
			out->stop = DS_STOP_LIMIT_MET;
			break;
		}
		if (rounds >= in->max_rounds) {
			out->stop = DS_STOP_MAX_ROUNDS;
			break;
		}
		if (dirty >= sent) {
			out->stop = DS_STOP_NOT_SHRINKING;
			break;
		}
		sent = dirty;
	}

	out->rounds = rounds;
	out->converged = out->stop == DS_STOP_LIMIT_MET;
	out->dirty_bytes = (uint64_t)dirty;
	out->final_harvest_ns = to_ns(harvest);
	out->transfer_ns = to_ns(dirty / bw * 1e9);
	out->state_ns = to_ns((double)in->state_bytes / bw * 1e9);
	out->downtime_ns = out->final_harvest_ns + out->transfer_ns + out->state_ns;
	out->qemu_expected_downtime_ns = out->transfer_ns;
	out->precopy_ns = to_ns(precopy);
	out->fits = out->downtime_ns <= in->limit_ns;
}

int ds_plan_compute(const struct ds_plan_input *in, struct ds_plan_size *out)
{
	size_t i;

	if (!in || !out || !in->sizes || !in->nsizes || !in->page_bytes ||
	    !in->bandwidth_bytes_per_s || !in->dirty_rate_bytes_per_s || !in->limit_ns ||
	    !in->max_rounds || !in->mappings)
		return -EINVAL;
	for (i = 0; i < in->nsizes; i++) {
		uint64_t d = in->sizes[i];

		if (!d || d % in->page_bytes || d / in->page_bytes < in->mappings)
			return -EINVAL;
	}
	for (i = 0; i < in->nsizes; i++)
		plan_one(in, in->sizes[i], &out[i]);
	return 0;
}

ptrdiff_t ds_plan_largest_fit(const struct ds_plan_size *sizes, size_t n)
{
	ptrdiff_t best = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (sizes[i].fits && (best < 0 || sizes[i].device_bytes > sizes[best].device_bytes))
			best = (ptrdiff_t)i;
	return best;
}
