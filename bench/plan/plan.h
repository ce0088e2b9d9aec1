/* SPDX-License-Identifier: MIT */
/*
 * plan.h - `dirtyscope plan`: stop-and-copy downtime per device size, for
 * sizes that were not (or cannot be) run here. results/plan.md documents
 * the model, the cost model and plan.json.
 *
 * The core is pure: ds_plan_compute() takes every input in one struct and
 * fills one result per device size; ds_cost_fit() fits the harvest's cost
 * terms to measured points. Neither prints nor keeps state (the fit
 * allocates its work arrays and frees them), so tests call them directly
 * and any thread may.
 */
#ifndef DS_PLAN_H
#define DS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The terms a type1 harvest's cost has (the kernel's vfio_iova_dirty_bitmap
 * and what our reference harvest does step by step):
 *   CALL    per GET_BITMAP ioctl: entry, the two look-ups that check the
 *           range, copying the request in;
 *   BYTE    per byte of the mappings' bitmaps, in whole 64-bit words: set
 *           (out of scope), shift, copy out, clear;
 *   WALK    per mapping-tree node visited: the kernel walks from the first
 *           mapping (rb_first) on every GET to the node past the request,
 *           so asking for N mappings one by one visits N(N+1)/2 + N-1;
 *   PINNED  per pinned page set again after the report (type1 keeps a
 *           pinned page dirty, and walks the pinned pages to re-set them).
 */
enum ds_cost_term { DS_TERM_CALL, DS_TERM_BYTE, DS_TERM_WALK, DS_TERM_PINNED, DS_TERM_COUNT };

/* "call", "byte", "walk", "pinned". */
const char *ds_cost_term_name(enum ds_cost_term t);

enum ds_plan_tracking {
	DS_TRACK_PINNED, /* pinned-page scope: what the device dirties, at the dirty rate */
	DS_TRACK_IOMMU,	 /* out of scope: every mapped page dirty at every harvest */
};

enum ds_plan_queries {
	DS_QUERY_MERGED,  /* one GET_BITMAP over the whole device */
	DS_QUERY_MAPPING, /* one GET_BITMAP per mapping (QEMU behind a vIOMMU) */
};

/* Why pre-copy ended. */
enum ds_plan_stop {
	DS_STOP_LIMIT_MET,    /* dirty + state <= bandwidth x limit: QEMU's switchover */
	DS_STOP_MAX_ROUNDS,   /* forced: --max-rounds reached */
	DS_STOP_NOT_SHRINKING /* forced: a round left at least as much dirty as it sent */
};

/* Where a size's harvest time comes from. */
enum ds_harvest_source {
	DS_SRC_TERMS,	     /* cost terms given by hand (or the built-in ones) */
	DS_SRC_MEASURED,     /* the run measured this size, layout and query */
	DS_SRC_MODEL,	     /* the fitted terms, inside the measured range */
	DS_SRC_EXTRAPOLATED, /* the fitted terms, beyond the measured points */
};

const char *ds_plan_tracking_name(enum ds_plan_tracking t);
const char *ds_plan_queries_name(enum ds_plan_queries q);
const char *ds_plan_stop_name(enum ds_plan_stop s);
const char *ds_harvest_source_name(enum ds_harvest_source s);

/* The amounts of work of one harvest, per term: what the costs multiply. */
struct ds_harvest_shape {
	double x[DS_TERM_COUNT]; /* calls, bitmap bytes, walk nodes, pinned pages */
};

/* A harvest the run measured: used as it is for the same size, mappings and query. */
struct ds_measured_harvest {
	uint64_t device_bytes, mappings;
	enum ds_plan_queries queries;
	uint64_t harvest_ns;
};

struct ds_cost_model {
	double term_ns[DS_TERM_COUNT]; /* ns per unit of each term */
	/*
	 * With a fit: the range of each term's amount over the fitted points;
	 * a prediction outside it is flagged extrapolated. Without: all zero.
	 */
	bool fitted;
	double lo[DS_TERM_COUNT], hi[DS_TERM_COUNT];
	const struct ds_measured_harvest *measured; /* may be NULL */
	size_t nmeasured;
};

struct ds_plan_input {
	const uint64_t *sizes; /* device sizes, bytes, each a multiple of page_bytes */
	size_t nsizes;
	uint64_t page_bytes;
	uint64_t bandwidth_bytes_per_s;
	uint64_t dirty_rate_bytes_per_s;
	uint64_t working_set_bytes; /* 0: the whole device */
	uint64_t pinned_bytes;	    /* pinned throughout: dirty at every harvest */
	uint64_t state_bytes;
	uint64_t limit_ns;
	uint64_t max_rounds; /* >= 1 */
	uint64_t mappings;   /* >= 1; they cut each device into equal parts */
	enum ds_plan_tracking tracking;
	enum ds_plan_queries queries;
	struct ds_cost_model cost;
};

struct ds_plan_size {
	uint64_t device_bytes;
	uint64_t rounds; /* pre-copy rounds, round 0 (the whole device) included */
	bool converged;
	enum ds_plan_stop stop;
	uint64_t dirty_bytes; /* left to send at switchover */
	uint64_t final_harvest_ns;
	enum ds_harvest_source harvest_source;
	uint64_t transfer_ns; /* dirty_bytes / bandwidth */
	uint64_t state_ns;    /* state_bytes / bandwidth */
	uint64_t downtime_ns; /* final harvest + transfer + state */
	uint64_t qemu_expected_downtime_ns; /* dirty_bytes / bandwidth: no harvest, no state */
	uint64_t precopy_ns;		    /* the pre-copy rounds, harvests included */
	bool fits;			    /* downtime_ns <= limit_ns */
};

/*
 * The amounts of one harvest of a @device_bytes device cut into @mappings
 * equal mappings (the first ones a page longer when it does not divide),
 * asked @queries, with @pinned_pages pinned. The walk counts what the kernel
 * visits when the device's mappings are the container's only ones.
 */
void ds_harvest_shape(uint64_t device_bytes, uint64_t page_bytes, uint64_t mappings,
		      enum ds_plan_queries queries, uint64_t pinned_pages,
		      struct ds_harvest_shape *out);

/* The cost model's time for @shape, and whether that is an extrapolation. */
double ds_cost_predict(const struct ds_cost_model *m, const struct ds_harvest_shape *shape,
		       bool *extrapolated);

/*
 * Plan every size of @in into @out (room for in->nsizes). Returns 0, or
 * -EINVAL when an input is out of its domain (zero bandwidth, dirty rate,
 * limit, page size, rounds or mappings; a size that is zero, not a multiple
 * of the page, or smaller than one page per mapping); @out is then
 * unspecified.
 */
int ds_plan_compute(const struct ds_plan_input *in, struct ds_plan_size *out);

/* The index of the largest size that fits the limit, or -1 when none does. */
ptrdiff_t ds_plan_largest_fit(const struct ds_plan_size *sizes, size_t n);

/* ---- the fit ---- */

/* One measured harvest: its amounts and its time. */
struct ds_fit_point {
	struct ds_harvest_shape shape;
	double ns;
};

struct ds_fit {
	double term_ns[DS_TERM_COUNT];
	bool fixed[DS_TERM_COUNT];	/* given, not fitted */
	bool determined[DS_TERM_COUNT]; /* fitted from points whose amounts vary */
	/* Why a free term is not determined (a static phrase); NULL otherwise. */
	const char *why[DS_TERM_COUNT];
	double lo[DS_TERM_COUNT], hi[DS_TERM_COUNT];
	size_t npoints;
	double median_rel_error, max_rel_error; /* |predicted - measured| / measured */
};

/*
 * Fit the terms that @fixed_ns leaves free (NAN) to @points by least squares
 * on the relative error, each term >= 0 (a cost cannot be negative); fixed
 * terms keep their value. A free term is left at 0 and not determined when
 * its amount is 0 at every point, when it is a combination of the other
 * terms' amounts (collinear), or - for every term but CALL - when it is the
 * same at every point (then it cannot be told from a cost per harvest).
 * Returns 0, or -EINVAL (no point, or a point whose time is not positive),
 * -ENOMEM.
 */
int ds_cost_fit(const struct ds_fit_point *points, size_t n, const double *fixed_ns,
		struct ds_fit *out);

#endif
