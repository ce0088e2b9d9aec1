/* SPDX-License-Identifier: MIT */
/*
 * compare.h - two sets of run folders of the same scenario (a base and a
 * new one, each one run or several), row by row: the medians and p99s of
 * both, the change of the median with a bootstrap confidence interval,
 * and a verdict that counts a change only when the interval says so.
 * docs/compare.md gives the statistic, the threshold and the reasons.
 *
 * Nothing here prints; the folders must have been opened with
 * DS_RF_SAMPLES. Not thread-safe per struct ds_cmp; separate ones are
 * independent.
 */
#ifndef DS_COMPARE_H
#define DS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct ds_cmp_opts {
	unsigned int stages;	/* stages that get a verdict: bits 1 << enum ds_stage [steady] */
	double threshold;	/* noise threshold, a fraction: a change inside +-threshold is same */
	double confidence;	/* of the interval [0.99] */
	unsigned int resamples; /* bootstrap resamples [2000] */
	unsigned int min_n;	/* fewer samples than this on a side: no verdict [10] */
	uint64_t seed;		/* of the bootstrap: the same folders, the same verdicts [1] */
};

/* The defaults above (threshold DS_CMP_THRESHOLD). */
#define DS_CMP_THRESHOLD 0.10
void ds_cmp_default_opts(struct ds_cmp_opts *o);

enum ds_cmp_verdict {
	DS_CMP_SAME,
	DS_CMP_FASTER,
	DS_CMP_SLOWER,
	/* not judged, and why: */
	DS_CMP_STAGE,	  /* a stage outside opts.stages */
	DS_CMP_WORKLOAD,  /* a workload step (dirty, populate): it times the workload, not tracking */
	DS_CMP_FEW,	  /* fewer than opts.min_n samples on a side */
	DS_CMP_BASE_ONLY, /* no such row in the new runs */
	DS_CMP_NEW_ONLY,  /* no such row in the base runs */
};

/* "same", "faster", "slower"; for rows not judged "(stage)", "(workload)", "(few)", ... */
const char *ds_cmp_verdict_name(enum ds_cmp_verdict v);

/*
 * One row: a kind of call, (harvest, device size, layout, op, request,
 * path, stage), in both sets. Index 0 is the base, 1 the new set. Names
 * point into the folders, which must outlive the comparison.
 */
struct ds_cmp_row {
	const char *harvest, *layout, *op, *request, *path, *stage;
	uint64_t device_bytes;
	uint64_t n[2];		/* samples, pooled over the runs of the set; 0: absent */
	uint64_t median_ns[2];	/* of the pooled samples (results/README.md's median) */
	uint64_t p99_ns[2];	/* nearest rank, pooled */
	size_t runs[2];		/* runs that have the row */
	double change;		/* median_ns[1] / median_ns[0] - 1; NAN when a side is absent */
	double lo, hi;		/* the confidence interval of change; NAN when not judged */
	double p99_change;	/* p99_ns[1] / p99_ns[0] - 1; NAN when a side is absent */
	bool clock_limited;	/* in a run of either set: the clock's cost is most of the time */
	enum ds_cmp_verdict verdict;
};

/* A setting that differs: "config.device_size_bytes", "[1073741824]", "[4294967296]". */
struct ds_cmp_diff {
	char *key, *base, *new_; /* values as compact JSON */
};

struct ds_cmp {
	struct ds_cmp_row *rows; /* in the base's order of first appearance, then new-only rows */
	size_t nrows;
	/* What was measured differs (options, devices, harvests, backend): refuse unless forced. */
	struct ds_cmp_diff *diffs;
	size_t ndiffs;
	/* The machine differs (host.*): worth a warning, not a refusal. */
	struct ds_cmp_diff *host;
	size_t nhost;
	size_t judged, slower, faster, same;
	struct ds_cmp_opts opts;
};

/*
 * Compare @nbase base folders with @nnew new ones. Returns 0 and a
 * comparison to free with ds_cmp_free(), or -EINVAL (no folder on a side,
 * a folder opened without samples, bad options), -ENOMEM. Differing
 * settings are listed in diffs and host, not refused here: the caller
 * decides.
 */
int ds_cmp_run(struct ds_run_folder *const *base, size_t nbase, struct ds_run_folder *const *nw,
	       size_t nnew, const struct ds_cmp_opts *o, struct ds_cmp **out);

void ds_cmp_free(struct ds_cmp *c);

/* Judged rows slower by more than @pct percent with confidence: lo > pct / 100. */
size_t ds_cmp_regressions(const struct ds_cmp *c, double pct);

/* The bootstrap's building blocks, exported for the tests. */
/* results/README.md's median of @v (reordered in place); 0 when n is 0. */
uint64_t ds_cmp_median(uint64_t *v, size_t n);

#endif
