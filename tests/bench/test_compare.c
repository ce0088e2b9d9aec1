// SPDX-License-Identifier: MIT
/*
 * test_compare - the statistics of `dirtyscope compare` on folders built
 * in memory, where the truth is known: the median agrees with
 * results/README.md's; identical samples are 'same'; a 30 % shift is
 * 'slower' with an interval around +30 %; a 2 % shift is 'same' under the
 * default threshold and 'slower' with none; the verdicts do not depend on
 * the order of the rows; and two runs per side whose levels differ widen
 * the interval (the hierarchical bootstrap sees the spread between runs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compare.h"
#include "stats.h"

#define N 200

/* A deterministic stand-in for timing noise: log-normal-ish, seeded. */
static uint64_t noise_state;
static double noise(void)
{
	double u = 0;
	int i;

	for (i = 0; i < 12; i++) {
		noise_state = noise_state * 6364136223846793005ull + 1442695040888963407ull;
		u += (double)(noise_state >> 11) / 9007199254740992.0;
	}
	return exp((u - 6) * 0.05); /* sd ~5 % */
}

/*
 * One folder of @nrows steady get_bitmap rows (device i of 1 GiB << i),
 * each of N samples around @level ns times @factor.
 */
static struct ds_run_folder *folder(size_t nrows, double factor, uint64_t seed, bool reverse)
{
	static char *harvest = "reference";
	struct ds_run_folder *rf = calloc(1, sizeof(*rf));
	size_t r, i;

	noise_state = seed;
	rf->path = strdup("mem");
	rf->meta = json_pack("{s:s, s:[s], s:{s:s}, s:{s:i}}", "backend", "model", "harvests",
			     "reference", "host", "kernel", "Linux", "config", "seed", 1);
	rf->nharvests = 1;
	rf->harvests = calloc(1, sizeof(char *));
	rf->harvests[0] = strdup(harvest);
	rf->ndevices = nrows;
	rf->devices = calloc(nrows, sizeof(*rf->devices));
	rf->nrows = nrows;
	rf->rows = calloc(nrows, sizeof(*rf->rows));
	rf->nsamples = nrows * N;
	rf->samples = calloc(rf->nsamples, sizeof(*rf->samples));
	/* Devices in order, so the noise of a device does not depend on its row's place. */
	for (size_t d = 0; d < nrows; d++) {
		struct ds_rf_row *row;

		r = reverse ? nrows - 1 - d : d;
		row = &rf->rows[r];

		rf->devices[d].layout = strdup("ragged:8");
		rf->devices[d].group = strdup("none");
		rf->devices[d].device_bytes = (1ull << 30) << d;
		*row = (struct ds_rf_row){.harvest = rf->harvests[0],
					  .op = "get_bitmap",
					  .request = "merged",
					  .path = "shift",
					  .stage = "steady",
					  .layout = rf->devices[d].layout,
					  .device = d,
					  .device_bytes = rf->devices[d].device_bytes,
					  .n = N};
		for (i = 0; i < N; i++) {
			struct ds_rf_sample *s = &rf->samples[r * N + i];

			s->row = (uint32_t)r;
			s->device = (uint16_t)d;
			s->ns = (uint64_t)(10000.0 * (double)(d + 1) * factor * noise());
		}
	}
	return rf;
}

static struct ds_cmp *compare(struct ds_run_folder **a, size_t na, struct ds_run_folder **b,
			      size_t nb, double threshold)
{
	struct ds_cmp_opts o;
	struct ds_cmp *c = NULL;

	ds_cmp_default_opts(&o);
	if (threshold >= 0)
		o.threshold = threshold;
	CHECK_EQ(ds_cmp_run(a, na, b, nb, &o, &c), 0);
	return c;
}

static void check_median(void)
{
	static const uint64_t cases[][7] = {
		{1, 5},		      {2, 5, 6},	 {3, 9, 1, 5}, {4, 1, 2, 3, 4},
		{5, 7, 7, 7, 1, 9}, {6, 3, 3, 3, 3, 3, 4},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t a[6], b[6];
		size_t n = cases[i][0];
		struct ds_stats st;

		memcpy(a, &cases[i][1], n * sizeof(*a));
		memcpy(b, a, sizeof(a));
		ds_stats_compute(b, n, &st);
		CHECK_EQ(ds_cmp_median(a, n), st.median);
	}
	/* many ties and a long input: the three-way quickselect stays right */
	{
		uint64_t *v = malloc(10001 * sizeof(*v)), *w = malloc(10001 * sizeof(*w));
		struct ds_stats st;

		for (i = 0; i < 10001; i++)
			v[i] = (i * 7919) % 13;
		memcpy(w, v, 10001 * sizeof(*v));
		ds_stats_compute(w, 10000, &st);
		CHECK_EQ(ds_cmp_median(v, 10000), st.median);
		free(v);
		free(w);
	}
}

int main(void)
{
	struct ds_run_folder *a = folder(4, 1.0, 1, false), *b = folder(4, 1.0, 2, false);
	struct ds_run_folder *slow = folder(4, 1.3, 3, false), *fast = folder(4, 0.7, 4, false);
	struct ds_run_folder *near = folder(4, 1.02, 5, false), *rev = folder(4, 1.3, 3, true);
	struct ds_run_folder *a2 = folder(4, 1.08, 6, false), *b2 = folder(4, 1.08, 7, false);
	struct ds_run_folder *pa[2] = {a, a2}, *pb[2] = {b, b2};
	struct ds_cmp *c, *d;
	size_t i;

	check_median();

	/* a run against itself: no change, an interval around 0 */
	c = compare(&a, 1, &a, 1, -1);
	CHECK_EQ(c->judged, 4);
	CHECK_EQ(c->same, 4);
	for (i = 0; i < c->nrows; i++) {
		CHECK(c->rows[i].change == 0);
		CHECK(c->rows[i].lo < 0 && c->rows[i].hi > 0);
		CHECK(c->rows[i].lo > -0.05 && c->rows[i].hi < 0.05);
	}
	CHECK_EQ(ds_cmp_regressions(c, 0), 0);
	ds_cmp_free(c);

	/* two draws of the same distribution */
	c = compare(&a, 1, &b, 1, -1);
	CHECK_EQ(c->same, 4);
	ds_cmp_free(c);

	/* 30 % slower: slower, and the interval holds +30 % */
	c = compare(&a, 1, &slow, 1, -1);
	CHECK_EQ(c->slower, 4);
	for (i = 0; i < c->nrows; i++) {
		CHECK(c->rows[i].verdict == DS_CMP_SLOWER);
		CHECK(c->rows[i].lo < 0.30 && c->rows[i].hi > 0.30);
		CHECK(c->rows[i].lo > 0.2);
	}
	CHECK_EQ(ds_cmp_regressions(c, 10), 4);
	CHECK_EQ(ds_cmp_regressions(c, 40), 0);

	/* the same folders with the rows in another order: the same intervals */
	d = compare(&a, 1, &rev, 1, -1);
	CHECK_EQ(d->slower, 4);
	for (i = 0; i < c->nrows; i++) {
		size_t j;

		for (j = 0; j < d->nrows; j++)
			if (d->rows[j].device_bytes == c->rows[i].device_bytes)
				break;
		CHECK(j < d->nrows && d->rows[j].lo == c->rows[i].lo &&
		      d->rows[j].hi == c->rows[i].hi);
	}
	ds_cmp_free(d);
	ds_cmp_free(c);

	c = compare(&a, 1, &fast, 1, -1);
	CHECK_EQ(c->faster, 4);
	CHECK_EQ(ds_cmp_regressions(c, 0), 0);
	ds_cmp_free(c);

	/* 2 %: inside the noise threshold; with no threshold, what the samples say */
	c = compare(&a, 1, &near, 1, -1);
	CHECK_EQ(c->same, 4);
	ds_cmp_free(c);
	c = compare(&a, 1, &near, 1, 0);
	CHECK(c->slower >= 2);
	CHECK_EQ(c->faster, 0);
	ds_cmp_free(c);

	/*
	 * Two runs a side, whose levels differ by 8 %: pooled, the interval
	 * must be wider than one run's against one run's, because the runs
	 * disagree with each other.
	 */
	c = compare(&a, 1, &b, 1, 0);
	d = compare(pa, 2, pb, 2, 0);
	for (i = 0; i < c->nrows; i++)
		CHECK(d->rows[i].hi - d->rows[i].lo > 1.5 * (c->rows[i].hi - c->rows[i].lo));
	CHECK_EQ(d->rows[0].runs[0], 2);
	CHECK_EQ(d->slower + d->faster, 0);
	ds_cmp_free(c);
	ds_cmp_free(d);

	ds_rf_close(a);
	ds_rf_close(b);
	ds_rf_close(slow);
	ds_rf_close(fast);
	ds_rf_close(near);
	ds_rf_close(rev);
	ds_rf_close(a2);
	ds_rf_close(b2);
	CHECK_EXIT();
}
