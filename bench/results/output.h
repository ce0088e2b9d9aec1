/* SPDX-License-Identifier: MIT */
/*
 * output.h - a run's result, computed once and rendered several ways: the
 * table on stdout, and the files of a run folder (meta.json, samples.csv,
 * summary.json; documented in results/README.md).
 */
#ifndef DS_OUTPUT_H
#define DS_OUTPUT_H

#include <stdio.h>

#include "result.h"
#include "stats.h"

/* A row whose median is below this many clock pairs is mostly the clock. */
#define DS_CLOCK_LIMITED_FACTOR 10

/* One line of the summary: the calls of one kind. */
struct ds_row {
	uint8_t harvest;
	uint16_t device;
	uint8_t op;	 /* enum ds_op */
	uint8_t request; /* enum ds_request */
	uint8_t path;	 /* enum ds_path */
	uint8_t stage;	 /* enum ds_stage */
	uint64_t pages;	       /* median pages per call */
	uint64_t bitmap_bytes; /* median bitmap bytes per call */
	bool has_dirty;	       /* a harvesting call: dirty_pages means something */
	uint64_t dirty_pages;  /* median dirty pages per call */
	struct ds_stats stats;
	struct ds_stats memcpy; /* of the paired memcpy samples; n == 0 when none */
	uint64_t memcpy_bytes;	/* median bytes of the paired memcpy */
	double ratio;		/* stats.median / memcpy.median; 0 when no memcpy */
	double ratio_median;	/* median of the per-call ns / memcpy_ns; 0 when no memcpy */
	bool clock_limited;	/* median < DS_CLOCK_LIMITED_FACTOR clock pairs */
};

/*
 * Group the samples of @r by (harvest, device, op, request, path, stage),
 * in that order of first appearance. Returns 0 and a malloc'ed array, or
 * -ENOMEM.
 */
int ds_summarize(const struct ds_result *r, struct ds_row **rows, size_t *nrows);

/* One estimate of summary.json's downtime section. */
struct ds_downtime {
	uint8_t harvest;
	uint16_t device;
	uint8_t query; /* enum ds_request: DS_REQ_MAPPING or DS_REQ_MERGED */
	uint64_t calls;
	uint64_t final_harvest_ns, dirty_pages, dirty_bytes;
	bool all_dirty, fits;
	uint64_t transfer_ns, state_ns, downtime_ns, qemu_expected_downtime_ns;
	double tracking_share;
	/*
	 * What the device really wrote in a harvest interval (a workload that
	 * counts it: devwrite), and the dirty amplification: pages reported /
	 * pages written, the median over the iterations. has_written false
	 * when no workload counted.
	 */
	bool has_written;
	uint64_t written_pages;
	double amplification;
};

/*
 * The stop-and-copy estimate per (harvest, device, query) from the steady
 * harvests of @r and r->downtime. Returns 0 and a malloc'ed array (NULL
 * and 0 when the run has no steady harvest), or -ENOMEM.
 */
int ds_downtime_estimate(const struct ds_result *r, struct ds_downtime **out, size_t *n);

/* The human table, the profiler view, and the downtime table. */
void ds_print_table(FILE *f, const struct ds_result *r, const struct ds_row *rows, size_t nrows,
		    const struct ds_downtime *dt, size_t ndt);

/*
 * The run folder as the run goes (results/README.md, "What a folder holds"):
 * ds_out_begin() writes meta.json with status "running" and opens
 * samples.csv with its header; ds_out_sample() appends a sample (buffered;
 * flushed at least once a second); ds_out_finish() flushes and syncs
 * samples.csv, writes summary.json (when @rows is not NULL), then meta.json
 * with the final status, each whole and synced. All return 0 or -errno; a
 * failed write is remembered, and ds_out_finish() still tries the rest.
 */
int ds_out_begin(const char *dir, struct ds_result *r);
int ds_out_sample(struct ds_result *r, const struct ds_sample *s, uint64_t now_ns);
int ds_out_finish(const char *dir, struct ds_result *r, const struct ds_row *rows, size_t nrows,
		  const struct ds_downtime *dt, size_t ndt);

/* The host, for meta.json: CPU model, cores, memory, kernel, hypervisor, NUMA nodes, hugepages. */
json_t *ds_host_info(void);

#endif
