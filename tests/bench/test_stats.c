// SPDX-License-Identifier: MIT
/*
 * test_stats - ds_stats_compute against values worked out by hand from the
 * definitions of results/README.md: the median of an even count is the
 * mean of the middle two rounded down; p90 and p99 are nearest-rank, the
 * value at 1-based rank ceil(p/100 * n).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats.h"

struct expect {
	uint64_t n, min, median, p90, p99, max;
};

static void check_stats(const char *what, uint64_t *v, size_t n, struct expect e)
{
	struct ds_stats s;
	int before = check_failures;

	ds_stats_compute(v, n, &s);
	CHECK_EQ(s.n, e.n);
	CHECK_EQ(s.min, e.min);
	CHECK_EQ(s.median, e.median);
	CHECK_EQ(s.p90, e.p90);
	CHECK_EQ(s.p99, e.p99);
	CHECK_EQ(s.max, e.max);
	if (check_failures != before)
		fprintf(stderr, "  in case: %s\n", what);
}

/* 1..n in a scrambled order: a fixed LCG shuffle, so failures reproduce. */
static void scrambled(uint64_t *v, size_t n)
{
	uint64_t x = 12345, t;
	size_t i, j;

	for (i = 0; i < n; i++)
		v[i] = i + 1;
	for (i = n; i > 1; i--) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (size_t)((x >> 33) % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

int main(void)
{
	uint64_t v[101];
	struct ds_stats s;
	size_t i;

	/* n = 0: all zero, and v is not touched. */
	memset(&s, 0xff, sizeof(s));
	ds_stats_compute(NULL, 0, &s);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(s.min, 0);
	CHECK_EQ(s.median, 0);
	CHECK_EQ(s.max, 0);

	v[0] = 42;
	check_stats("n=1", v, 1, (struct expect){1, 42, 42, 42, 42, 42});

	/* Even: (3 + 8) / 2 = 5.5, rounded down; ranks ceil(1.8) = ceil(1.98) = 2. */
	v[0] = 8;
	v[1] = 3;
	check_stats("n=2", v, 2, (struct expect){2, 3, 5, 8, 8, 8});

	/* (5 + 6) / 2 = 5; p90 at rank 9; p99 at rank ceil(9.9) = 10. */
	scrambled(v, 10);
	check_stats("n=10 scrambled", v, 10, (struct expect){10, 1, 5, 9, 10, 10});
	for (i = 0; i < 10; i++)
		CHECK_EQ(v[i], i + 1); /* sorted in place */

	/* (50 + 51) / 2 = 50; p90 at rank 90, p99 at rank 99. */
	scrambled(v, 100);
	check_stats("n=100 scrambled", v, 100, (struct expect){100, 1, 50, 90, 99, 100});

	/* Odd: the 51st; p90 at rank ceil(90.9) = 91, p99 at ceil(99.99) = 100. */
	scrambled(v, 101);
	check_stats("n=101 scrambled", v, 101, (struct expect){101, 1, 51, 91, 100, 101});

	/* Descending input. */
	for (i = 0; i < 101; i++)
		v[i] = 1010 - 10 * i;
	check_stats("n=101 descending", v, 101, (struct expect){101, 10, 510, 910, 1000, 1010});

	for (i = 0; i < 50; i++)
		v[i] = 7;
	check_stats("equal values", v, 50, (struct expect){50, 7, 7, 7, 7, 7});

	/* One outlier moves max and p99 of 100 only at rank 100, so not p99. */
	for (i = 0; i < 100; i++)
		v[i] = 1000;
	v[17] = 1000000;
	check_stats("one outlier in 100", v, 100,
		    (struct expect){100, 1000, 1000, 1000, 1000, 1000000});

	/* Two outliers in 100 reach p99 (rank 99). */
	for (i = 0; i < 100; i++)
		v[i] = 1000;
	v[3] = 5000;
	v[60] = 9000;
	check_stats("two outliers in 100", v, 100,
		    (struct expect){100, 1000, 1000, 1000, 5000, 9000});

	/* The even median must not overflow on the largest timings. */
	v[0] = UINT64_MAX;
	v[1] = UINT64_MAX - 1;
	check_stats("near UINT64_MAX", v, 2,
		    (struct expect){2, UINT64_MAX - 1, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX,
				    UINT64_MAX});

	/* A big set: 1..100000 scrambled; p90 at rank 90000, p99 at rank 99000. */
	{
		size_t n = 100000;
		uint64_t *big = malloc(n * sizeof(*big));

		CHECK(big);
		if (big) {
			scrambled(big, n);
			check_stats("n=100000", big, n,
				    (struct expect){n, 1, 50000, 90000, 99000, 100000});
			free(big);
		}
	}

	CHECK_EXIT();
}
