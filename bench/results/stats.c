// SPDX-License-Identifier: MIT
/*
 * stats.c - order statistics of a set of timings. The definitions are
 * those of results/README.md; tests/bench/test_stats.c pins them down.
 */
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Nearest rank: the value at 1-based rank ceil(p/100 * n). Split so that
 * p * n cannot overflow whatever n is.
 */
static uint64_t nearest_rank(const uint64_t *v, size_t n, unsigned int p)
{
	uint64_t rank = (uint64_t)(n / 100) * p + ((uint64_t)(n % 100) * p + 99) / 100;

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

void ds_stats_compute(uint64_t *v, size_t n, struct ds_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	out->n = n;
	out->min = v[0];
	out->max = v[n - 1];
	/* lo + (hi - lo) / 2 is the mean rounded down, without overflowing. */
	if (n % 2)
		out->median = v[n / 2];
	else
		out->median = v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
	out->p90 = nearest_rank(v, n, 90);
	out->p99 = nearest_rank(v, n, 99);
}
