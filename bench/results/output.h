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

/* One line of the summary: the calls of one kind. */
struct ds_row {
	uint8_t harvest;
	uint16_t device;
	uint8_t op;	 /* enum ds_op */
	uint8_t request; /* enum ds_request */
	uint8_t path;	 /* enum ds_path */
	uint64_t pages;	       /* median pages per call */
	uint64_t bitmap_bytes; /* median bitmap bytes per call */
	struct ds_stats stats;
	struct ds_stats memcpy; /* of the paired memcpy samples; n == 0 when none */
	double ratio;		/* stats.median / memcpy.median; 0 when no memcpy */
};

/*
 * Group the samples of @r by (harvest, device, op, request, path), in that
 * order of first appearance. Returns 0 and a malloc'ed array, or -ENOMEM.
 */
int ds_summarize(const struct ds_result *r, struct ds_row **rows, size_t *nrows);

/* The human table, then the profiler view (phase shares) when there are phases. */
void ds_print_table(FILE *f, const struct ds_result *r, const struct ds_row *rows, size_t nrows);

/*
 * Write meta.json, samples.csv and summary.json into @dir, creating it and
 * its parents as needed; each file is written to a temporary name and
 * renamed, so a crash never leaves half a file.
 * Returns 0 or -errno.
 */
int ds_write_results(const char *dir, const struct ds_result *r, const struct ds_row *rows,
		     size_t nrows);

/* The host, for meta.json: CPU model, cores, memory, kernel, NUMA nodes, hugepages. */
json_t *ds_host_info(void);

#endif
