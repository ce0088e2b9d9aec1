// SPDX-License-Identifier: MIT
/*
 * test_plan_model - the planner's pure core (bench/plan/plan.h) against
 * rounds worked out by hand: convergence, the two ways of not converging,
 * type1 out of scope, the working set and the pinned floor, measured
 * harvests, the amounts of a harvest, and the fit of the cost terms.
 *
 * Most cases use a bandwidth of 10^9 bytes/s, so that bytes and
 * nanoseconds of transfer are the same number.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "plan.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static struct ds_plan_input base(const uint64_t *sizes, size_t n)
{
	struct ds_plan_input in;

	memset(&in, 0, sizeof(in));
	in.sizes = sizes;
	in.nsizes = n;
	in.page_bytes = 4096;
	in.bandwidth_bytes_per_s = 1000000000;
	in.dirty_rate_bytes_per_s = 100000000;
	in.limit_ns = 300000000;
	in.max_rounds = 30;
	in.mappings = 1;
	in.tracking = DS_TRACK_PINNED;
	in.queries = DS_QUERY_MERGED;
	return in;
}

static void converges(void)
{
	const uint64_t one[] = {GiB};
	struct ds_plan_input in = base(one, 1);
	struct ds_plan_size s;

	/*
	 * Round 0 sends 1 GiB in 1.073741824 s; 100 MB/s dirty 107374182.4
	 * bytes meanwhile: 26215 pages, 107376640 bytes <= 3e8. One round.
	 */
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.device_bytes, GiB);
	CHECK_EQ(s.rounds, 1);
	CHECK(s.converged);
	CHECK_EQ(s.stop, DS_STOP_LIMIT_MET);
	CHECK_EQ(s.dirty_bytes, 107376640);
	CHECK_EQ(s.final_harvest_ns, 0);
	CHECK_EQ(s.transfer_ns, 107376640);
	CHECK_EQ(s.state_ns, 0);
	CHECK_EQ(s.downtime_ns, 107376640);
	CHECK_EQ(s.qemu_expected_downtime_ns, 107376640);
	CHECK_EQ(s.precopy_ns, 1073741824);
	CHECK(s.fits);

	/*
	 * A 10 ms limit (10^7 bytes): round 1 sends 107376640 bytes in 0.107 s,
	 * 10737664 dirty (2622 pages: 10739712 > 10^7); round 2 sends those in
	 * 10.7 ms, 1073971.2 dirty: 263 pages, 1077248 bytes. Three rounds.
	 */
	in.limit_ns = 10000000;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.rounds, 3);
	CHECK(s.converged);
	CHECK_EQ(s.dirty_bytes, 1077248);
	CHECK_EQ(s.downtime_ns, 1077248);
	CHECK_EQ(s.precopy_ns, 1073741824 + 107376640 + 10739712);
	CHECK(s.fits);

	/* The state counts toward QEMU's switchover and the downtime, not QEMU's estimate. */
	in.limit_ns = 300000000;
	in.state_bytes = 9000000;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.rounds, 1);
	CHECK_EQ(s.state_ns, 9000000);
	CHECK_EQ(s.downtime_ns, 107376640 + 9000000);
	CHECK_EQ(s.qemu_expected_downtime_ns, 107376640);

	/*
	 * A harvest of 1 ms (one merged call at 1 ms) runs in every round and
	 * once more at switchover: round 0 lasts 1.074741824 s, 107474182.4
	 * bytes dirty: 26239 pages, 107474944 bytes.
	 */
	in.state_bytes = 0;
	in.cost.term_ns[DS_TERM_CALL] = 1e6;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.rounds, 1);
	CHECK_EQ(s.harvest_source, DS_SRC_TERMS);
	CHECK_EQ(s.final_harvest_ns, 1000000);
	CHECK_EQ(s.dirty_bytes, 107474944);
	CHECK_EQ(s.downtime_ns, 1000000 + 107474944);
	CHECK_EQ(s.qemu_expected_downtime_ns, 107474944);
	CHECK_EQ(s.precopy_ns, 1074741824);
}

static void does_not_converge(void)
{
	const uint64_t one[] = {GiB};
	struct ds_plan_input in = base(one, 1);
	struct ds_plan_size s;
	uint64_t rate;

	/* Dirty rate >= bandwidth: round 0 leaves the whole device dirty again. */
	for (rate = 1000000000; rate <= 4000000000; rate *= 2) {
		in.dirty_rate_bytes_per_s = rate;
		CHECK_EQ(ds_plan_compute(&in, &s), 0);
		CHECK(!s.converged);
		CHECK_EQ(s.stop, DS_STOP_NOT_SHRINKING);
		CHECK_EQ(s.rounds, 1);
		CHECK_EQ(s.dirty_bytes, GiB);
		/* The forced switchover sends it all while the VM is paused. */
		CHECK_EQ(s.downtime_ns, 1073741824);
		CHECK(!s.fits);
	}

	/*
	 * 90% of the bandwidth shrinks the dirty set by 10% a round: from 1 GiB
	 * to 3e8 bytes takes 13 rounds, so a cap of 5 forces the switchover
	 * with 0.9^5 GiB (within a page per round) left.
	 */
	in.dirty_rate_bytes_per_s = 900000000;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK(s.converged);
	CHECK_EQ(s.rounds, 13);
	in.max_rounds = 5;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK(!s.converged);
	CHECK_EQ(s.stop, DS_STOP_MAX_ROUNDS);
	CHECK_EQ(s.rounds, 5);
	CHECK(fabs((double)s.dirty_bytes - 0.59049 * (double)GiB) < 5 * 4096);

	/*
	 * A slow harvest keeps it from converging even below the bandwidth:
	 * with 1 s a harvest and half the bandwidth dirtied, the dirty set
	 * tends to R x H / (1 - R/B) = 10^9 bytes, far above the limit's 3e8.
	 */
	in.max_rounds = 30;
	in.dirty_rate_bytes_per_s = 500000000;
	in.cost.term_ns[DS_TERM_CALL] = 1e9;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK(!s.converged);
	CHECK(s.dirty_bytes >= 1000000000);
	CHECK(s.downtime_ns > 2000000000);
}

static void iommu(void)
{
	uint64_t sizes[16];
	struct ds_plan_input in;
	struct ds_plan_size s[16];
	size_t i, n = 0;

	/* 64 MiB to 64 GiB: bandwidth x limit is 3e8 bytes, between 256 and 512 MiB. */
	for (i = 0; i < 11; i++)
		sizes[n++] = (64 * MiB) << i;
	in = base(sizes, n);
	in.tracking = DS_TRACK_IOMMU;
	in.dirty_rate_bytes_per_s = 1; /* irrelevant: every page is dirty at every harvest */
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	for (i = 0; i < n; i++) {
		CHECK_EQ(s[i].dirty_bytes, sizes[i]);
		CHECK_EQ(s[i].rounds, 1);
		if (sizes[i] <= 300000000) {
			CHECK(s[i].converged);
			CHECK(s[i].fits);
		} else {
			CHECK(!s[i].converged);
			CHECK_EQ(s[i].stop, DS_STOP_NOT_SHRINKING);
			CHECK(!s[i].fits);
		}
	}
	CHECK_EQ(ds_plan_largest_fit(s, n), 2); /* 256 MiB */

	/* More rounds change nothing: the whole device is dirty every time. */
	in.max_rounds = 1000;
	in.dirty_rate_bytes_per_s = 1000000;
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	for (i = 3; i < n; i++)
		CHECK(!s[i].converged);

	/* The state counts: 256 MiB + 40 MB is above 3e8. */
	in.state_bytes = 40000000;
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	CHECK(!s[2].converged);
	CHECK(s[1].converged);
}

static void working_set_and_pinned(void)
{
	const uint64_t one[] = {GiB};
	struct ds_plan_input in = base(one, 1);
	struct ds_plan_size s;

	/* Half the bandwidth, a 64 MiB working set: 64, 32, 16, 8 MiB (8388608 <= 10^7). */
	in.dirty_rate_bytes_per_s = 500000000;
	in.working_set_bytes = 64 * MiB;
	in.limit_ns = 10000000;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.rounds, 4);
	CHECK(s.converged);
	CHECK_EQ(s.dirty_bytes, 8 * MiB);
	CHECK_EQ(s.downtime_ns, 8388608);

	/* A working set above the device is the device. */
	in.working_set_bytes = 4 * GiB;
	in.dirty_rate_bytes_per_s = 2000000000;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.dirty_bytes, GiB);

	/*
	 * 64 MiB pinned throughout: reported at every harvest. 107376640,
	 * then max(10.7 MB, 64 MiB), then 64 MiB again: not shrinking.
	 */
	in.working_set_bytes = 0;
	in.dirty_rate_bytes_per_s = 100000000;
	in.pinned_bytes = 64 * MiB;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.rounds, 3);
	CHECK(!s.converged);
	CHECK_EQ(s.stop, DS_STOP_NOT_SHRINKING);
	CHECK_EQ(s.dirty_bytes, 64 * MiB);

	/* The pinned pages are also what the per-pinned-page term multiplies. */
	in.cost.term_ns[DS_TERM_PINNED] = 100;
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	CHECK_EQ(s.final_harvest_ns, 100 * 16384);
}

static void shapes(void)
{
	struct ds_harvest_shape h;

	/* 1 GiB in one mapping: 262144 pages, 4096 words. */
	ds_harvest_shape(GiB, 4096, 1, DS_QUERY_MERGED, 0, &h);
	CHECK_EQ(h.x[DS_TERM_CALL], 1);
	CHECK_EQ(h.x[DS_TERM_BYTE], 32768);
	CHECK_EQ(h.x[DS_TERM_WALK], 1);
	CHECK_EQ(h.x[DS_TERM_PINNED], 0);

	/* 2 GiB in 65535: 8 mappings of 9 pages, the rest of 8; a word each. */
	ds_harvest_shape(2 * GiB, 4096, 65535, DS_QUERY_MAPPING, 7, &h);
	CHECK_EQ(h.x[DS_TERM_CALL], 65535);
	CHECK_EQ(h.x[DS_TERM_BYTE], 65535 * 8);
	CHECK_EQ(h.x[DS_TERM_WALK], 2147516414); /* 65535 x 65536 / 2 + 65534 */
	CHECK_EQ(h.x[DS_TERM_PINNED], 7);
	ds_harvest_shape(2 * GiB, 4096, 65535, DS_QUERY_MERGED, 0, &h);
	CHECK_EQ(h.x[DS_TERM_CALL], 1);
	CHECK_EQ(h.x[DS_TERM_BYTE], 65535 * 8);
	CHECK_EQ(h.x[DS_TERM_WALK], 65535);

	/*
	 * 70 pages in 3: 24, 23, 23 pages, one word each. The GETs walk 2, 3
	 * and 3 nodes: the mappings below, their own, the one after (not for
	 * the last). 65 pages in 1: two words.
	 */
	ds_harvest_shape(70 * 4096, 4096, 3, DS_QUERY_MAPPING, 0, &h);
	CHECK_EQ(h.x[DS_TERM_BYTE], 24);
	CHECK_EQ(h.x[DS_TERM_WALK], 8);
	ds_harvest_shape(65 * 4096, 4096, 1, DS_QUERY_MERGED, 0, &h);
	CHECK_EQ(h.x[DS_TERM_BYTE], 16);
}

static void measured_and_extrapolated(void)
{
	const uint64_t sizes[] = {GiB, 2 * GiB, 64 * GiB};
	struct ds_measured_harvest m[] = {
		{.device_bytes = GiB, .mappings = 1, .queries = DS_QUERY_MERGED,
		 .harvest_ns = 5000000},
		/* Another layout of the same size: the slower one is used. */
		{.device_bytes = GiB, .mappings = 1, .queries = DS_QUERY_MERGED,
		 .harvest_ns = 6000000},
		/* Same size, other query: not this plan's. */
		{.device_bytes = 2 * GiB, .mappings = 1, .queries = DS_QUERY_MAPPING,
		 .harvest_ns = 7000000},
	};
	struct ds_plan_input in = base(sizes, 3);
	struct ds_plan_size s[3];

	in.cost.term_ns[DS_TERM_BYTE] = 10;
	in.cost.measured = m;
	in.cost.nmeasured = 3;
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	CHECK_EQ(s[0].harvest_source, DS_SRC_MEASURED);
	CHECK_EQ(s[0].final_harvest_ns, 6000000);
	CHECK_EQ(s[1].harvest_source, DS_SRC_TERMS);
	CHECK_EQ(s[1].final_harvest_ns, 65536 * 10);

	/* Fitted on bitmaps of 32 to 64 KiB: 2 GiB is inside, 64 GiB beyond. */
	in.cost.fitted = true;
	in.cost.lo[DS_TERM_BYTE] = 32768;
	in.cost.hi[DS_TERM_BYTE] = 65536;
	in.cost.lo[DS_TERM_CALL] = in.cost.hi[DS_TERM_CALL] = 1;
	in.cost.lo[DS_TERM_WALK] = in.cost.hi[DS_TERM_WALK] = 1;
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	CHECK_EQ(s[0].harvest_source, DS_SRC_MEASURED);
	CHECK_EQ(s[1].harvest_source, DS_SRC_MODEL);
	CHECK_EQ(s[2].harvest_source, DS_SRC_EXTRAPOLATED);
	CHECK_EQ(s[2].final_harvest_ns, 2097152 * 10);
	/* More mappings than measured is beyond the points too. */
	in.mappings = 2;
	CHECK_EQ(ds_plan_compute(&in, s), 0);
	CHECK_EQ(s[0].harvest_source, DS_SRC_EXTRAPOLATED);
}

static void bad_inputs(void)
{
	const uint64_t one[] = {GiB}, odd[] = {GiB + 1}, tiny[] = {8192}, zero[] = {0};
	struct ds_plan_input in;
	struct ds_plan_size s;

	in = base(one, 1);
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	in.bandwidth_bytes_per_s = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(one, 1);
	in.dirty_rate_bytes_per_s = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(one, 1);
	in.limit_ns = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(one, 1);
	in.max_rounds = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(one, 1);
	in.mappings = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(one, 1);
	in.nsizes = 0;
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(odd, 1);
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(zero, 1);
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
	in = base(tiny, 1);
	in.mappings = 3; /* 2 pages, 3 mappings */
	CHECK_EQ(ds_plan_compute(&in, &s), -EINVAL);
}

static void largest(void)
{
	struct ds_plan_size s[4];

	memset(s, 0, sizeof(s));
	s[0].device_bytes = GiB;
	s[1].device_bytes = 4 * GiB;
	s[2].device_bytes = 2 * GiB;
	s[3].device_bytes = 8 * GiB;
	CHECK_EQ(ds_plan_largest_fit(s, 4), -1);
	s[0].fits = s[2].fits = true;
	CHECK_EQ(ds_plan_largest_fit(s, 4), 2);
	s[3].fits = true;
	CHECK_EQ(ds_plan_largest_fit(s, 4), 3);
}

/* Points from known terms over varied shapes: the fit must give the terms back. */
static size_t synthetic(struct ds_fit_point *p, const double *terms, bool vary_pinned)
{
	static const uint64_t sizes[] = {GiB, 4 * GiB, 16 * GiB, 64 * GiB};
	static const uint64_t maps[] = {1, 8, 256, 4096};
	size_t n = 0, i, j;
	int q, t;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			for (q = 0; q < 2; q++) {
				ds_harvest_shape(sizes[i], 4096, maps[j], q, vary_pinned ? 1024 * (i + 1) : 1024,
						 &p[n].shape);
				p[n].ns = 0;
				for (t = 0; t < DS_TERM_COUNT; t++)
					p[n].ns += terms[t] * p[n].shape.x[t];
				n++;
			}
	return n;
}

static void fit(void)
{
	const double terms[DS_TERM_COUNT] = {300, 0.05, 4, 20};
	const double no_pinned[DS_TERM_COUNT] = {300, 0.05, 4, 0};
	double fixed[DS_TERM_COUNT] = {NAN, NAN, NAN, NAN};
	struct ds_fit_point p[64];
	struct ds_fit f;
	size_t n;
	int t;

	n = synthetic(p, terms, true);
	CHECK_EQ(ds_cost_fit(p, n, NULL, &f), 0);
	for (t = 0; t < DS_TERM_COUNT; t++) {
		CHECK(f.determined[t]);
		CHECK(!f.fixed[t]);
		CHECK(fabs(f.term_ns[t] - terms[t]) < 1e-6 * terms[t]);
	}
	CHECK_EQ(f.npoints, n);
	CHECK(f.max_rel_error < 1e-9);
	CHECK(f.median_rel_error <= f.max_rel_error);
	CHECK_EQ(f.lo[DS_TERM_CALL], 1);
	CHECK_EQ(f.hi[DS_TERM_CALL], 4096);
	CHECK_EQ(f.hi[DS_TERM_WALK], 4096.0 * 4097 / 2 + 4095);

	/* The same pinned pages at every point: that term cannot be told from a constant. */
	n = synthetic(p, no_pinned, false);
	CHECK_EQ(ds_cost_fit(p, n, NULL, &f), 0);
	CHECK(!f.determined[DS_TERM_PINNED]);
	CHECK_EQ(f.term_ns[DS_TERM_PINNED], 0);
	for (t = 0; t < DS_TERM_PINNED; t++)
		CHECK(fabs(f.term_ns[t] - no_pinned[t]) < 1e-6 * no_pinned[t]);

	/* A given term is kept as given, the others fitted around it. */
	n = synthetic(p, terms, true);
	fixed[DS_TERM_WALK] = 4;
	CHECK_EQ(ds_cost_fit(p, n, fixed, &f), 0);
	CHECK(f.fixed[DS_TERM_WALK]);
	CHECK(!f.determined[DS_TERM_WALK]);
	CHECK_EQ(f.term_ns[DS_TERM_WALK], 4);
	CHECK(fabs(f.term_ns[DS_TERM_BYTE] - 0.05) < 1e-9);
	CHECK(f.max_rel_error < 1e-9);
	/* A wrong given term shows in the error on the points. */
	fixed[DS_TERM_WALK] = 8;
	CHECK_EQ(ds_cost_fit(p, n, fixed, &f), 0);
	CHECK(f.max_rel_error > 0.1);

	/* Times that fall as bitmaps grow: least squares says < 0 per byte, the fit says 0. */
	memset(p, 0, sizeof(p));
	for (n = 0; n < 4; n++) {
		p[n].shape.x[DS_TERM_CALL] = 1;
		p[n].shape.x[DS_TERM_BYTE] = 1000.0 * (double)(n + 1);
		p[n].ns = 100 - (double)n;
	}
	CHECK_EQ(ds_cost_fit(p, n, NULL, &f), 0);
	CHECK_EQ(f.term_ns[DS_TERM_BYTE], 0);
	CHECK(f.term_ns[DS_TERM_CALL] > 97 && f.term_ns[DS_TERM_CALL] < 100);

	/* Bytes twice the nodes at every point: one of them is the other's. */
	for (n = 0; n < 4; n++) {
		p[n].shape.x[DS_TERM_WALK] = p[n].shape.x[DS_TERM_BYTE] / 2;
		p[n].ns = 50 + 0.1 * p[n].shape.x[DS_TERM_BYTE];
	}
	CHECK_EQ(ds_cost_fit(p, n, NULL, &f), 0);
	CHECK(f.determined[DS_TERM_BYTE] != f.determined[DS_TERM_WALK]);
	CHECK(f.max_rel_error < 1e-9);

	/* No points, or a time that is not one. */
	CHECK_EQ(ds_cost_fit(p, 0, NULL, &f), -EINVAL);
	p[1].ns = 0;
	CHECK_EQ(ds_cost_fit(p, 4, NULL, &f), -EINVAL);
}

int main(void)
{
	converges();
	does_not_converge();
	iommu();
	working_set_and_pinned();
	shapes();
	measured_and_extrapolated();
	bad_inputs();
	largest();
	fit();
	CHECK_EXIT();
}
