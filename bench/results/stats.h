/* SPDX-License-Identifier: MIT */
/* stats.h - order statistics of a set of timings. */
#ifndef DS_STATS_H
#define DS_STATS_H

#include <stddef.h>
#include <stdint.h>

struct ds_stats {
	uint64_t n;
	uint64_t min;
	uint64_t median;
	uint64_t p90;
	uint64_t p99;
	uint64_t max;
};

/*
 * Sort @v in place and compute its statistics (all zero when n is 0). The
 * definitions (median of an even count, the nearest-rank percentiles) are
 * those of results/README.md.
 */
void ds_stats_compute(uint64_t *v, size_t n, struct ds_stats *out);

#endif
