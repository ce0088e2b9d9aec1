// SPDX-License-Identifier: MIT
/*
 * test_plan_published - the planner, on harvest costs this tool measured,
 * reproduces the order of magnitude of a published vGPU migration over the
 * type1 interface (2020, Intel vGPU, a 2 GiB guest, device state ~9 MB,
 * device idle): downtime ~100 ms without a vIOMMU and 58 s with one.
 * docs/published-case.md has the method, the measurements and every
 * assumption; the constants below come from it.
 *
 * The cost terms, measured on the project's build machine (2-core AMD EPYC
 * VM, model backend, `reference` harvest walking the tree from its first
 * node as the kernel does, RelWithDebInfo builds), in two sweeps: A on the
 * tree of 8fd8990, B on that of 3754836 (the same walk), each
 *
 *   scripts/viommu_sweep.py build/bench/dirtyscope sweep
 *     (one `dirtyscope run --layout viommu:N --device-size 4G --workload
 *      pinned --iterations 3 --warmup 1 --profile-iterations 0 --cycles 1`
 *      per N = 256, 1024, 4096, 16384, 65535)
 *
 * then the planner's fit on the per-mapping harvests of N = 16384 and
 * 65535 of both (the tree out of the caches, as in the published case):
 *
 *   dirtyscope plan --from A/viommu-16384 --from A/viommu-65535 \
 *       --from B/viommu-16384 --from B/viommu-65535 --queries mapping
 *     -> 10.5 ns per node walked, the call below resolution (error <= 30 %:
 *        the two sweeps differ by that much, 32.3 s and 22.1 s at 65535)
 *   the same with --queries merged
 *     -> 31.0 ns per node walked (error <= 48 %)
 *   dirtyscope plan --from results/reference/default \
 *       --from results/reference/1T-ragged64-pinned --queries mapping \
 *       --cost-call 0 --cost-walk 10.5ns
 *     -> 0.132 ns per bitmap byte (error <= 29 %) on the take these
 *        constants were fitted on; the retake at d953058 gives 0.0969 ns:
 *        2.3 µs less on a 64 KiB bitmap, nothing against 58 s
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "plan.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* Per-mapping GETs (what QEMU does, with or without a vIOMMU). */
static const double per_mapping_ns[DS_TERM_COUNT] = {
	[DS_TERM_CALL] = 0, [DS_TERM_BYTE] = 0.132, [DS_TERM_WALK] = 10.5, [DS_TERM_PINNED] = 0};
/* One merged GET over the vIOMMU window. */
static const double merged_ns[DS_TERM_COUNT] = {
	[DS_TERM_CALL] = 0, [DS_TERM_BYTE] = 0.132, [DS_TERM_WALK] = 31.0, [DS_TERM_PINNED] = 0};

static const uint64_t guest[] = {2 * GiB};

/* The published setup; docs/published-case.md says why each value. */
static struct ds_plan_input published(enum ds_plan_queries q, uint64_t mappings)
{
	struct ds_plan_input in;

	memset(&in, 0, sizeof(in));
	in.sizes = guest;
	in.nsizes = 1;
	in.page_bytes = 4096;
	in.bandwidth_bytes_per_s = 128 * MiB; /* QEMU's default max-bandwidth */
	in.dirty_rate_bytes_per_s = 500000;   /* idle: 0.5 MB/s of distinct pages */
	in.working_set_bytes = 16 * MiB;
	in.state_bytes = 9000000;	      /* "device state ~9 MB" */
	in.limit_ns = 300000000;	      /* QEMU's default downtime-limit */
	in.max_rounds = 30;
	in.mappings = mappings;
	in.tracking = DS_TRACK_PINNED; /* a mediated vGPU pins what it touches */
	in.queries = q;
	memcpy(in.cost.term_ns, q == DS_QUERY_MERGED ? merged_ns : per_mapping_ns,
	       sizeof(in.cost.term_ns));
	return in;
}

/*
 * The same order of magnitude: within half a decade either way, a factor of
 * sqrt(10) = 3.16, so that both round to the same power of ten around it.
 */
static bool same_order(double got, double want)
{
	return fabs(log10(got / want)) <= 0.5;
}

static struct ds_plan_size plan(enum ds_plan_queries q, uint64_t mappings)
{
	struct ds_plan_input in = published(q, mappings);
	struct ds_plan_size s;

	memset(&s, 0, sizeof(s));
	CHECK_EQ(ds_plan_compute(&in, &s), 0);
	return s;
}

int main(void)
{
	struct ds_plan_size s;
	uint64_t lo, hi, mid, n58;

	/*
	 * Without a vIOMMU: QEMU asks one GET per RAM section, a handful of
	 * large mappings (4 here). One round, then 8 MB dirty and 9 MB of state
	 * at 128 MiB/s: 127 ms, the harvest some microseconds of it.
	 */
	s = plan(DS_QUERY_MAPPING, 4);
	fprintf(stderr, "no vIOMMU: %.1f ms (harvest %.1f us), %llu rounds\n",
		(double)s.downtime_ns / 1e6, (double)s.final_harvest_ns / 1e3,
		(unsigned long long)s.rounds);
	CHECK(s.converged);
	CHECK(same_order((double)s.downtime_ns, 100e6));
	CHECK(s.final_harvest_ns < 100000);
	CHECK(s.fits);

	/*
	 * Behind a vIOMMU: one GET per vIOMMU mapping, each walking the tree
	 * from its first node. At the kernel's default limit of 65535 mappings
	 * one harvest is 22.5 s: the order of magnitude of the published 58 s,
	 * while QEMU's own estimate still says about a tenth of a second.
	 */
	s = plan(DS_QUERY_MAPPING, 65535);
	fprintf(stderr, "vIOMMU, 65535 mappings: %.1f s (harvest %.1f s; QEMU says %.0f ms)\n",
		(double)s.downtime_ns / 1e9, (double)s.final_harvest_ns / 1e9,
		(double)s.qemu_expected_downtime_ns / 1e6);
	CHECK(same_order((double)s.downtime_ns, 58e9));
	CHECK(s.qemu_expected_downtime_ns < 1000000000);
	CHECK(!s.fits);

	/* The N whose downtime is 58 s: bisection on the planner itself. */
	lo = 1;
	hi = 1u << 20;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		s = plan(DS_QUERY_MAPPING, mid);
		if (s.downtime_ns < 58000000000ull)
			lo = mid;
		else
			hi = mid;
	}
	n58 = hi;
	s = plan(DS_QUERY_MAPPING, n58);
	fprintf(stderr, "58 s at %llu mappings\n", (unsigned long long)n58);
	CHECK(fabs((double)s.downtime_ns - 58e9) < 0.01e9);
	/* docs/published-case.md quotes this N; the constants above fix it. */
	CHECK(n58 > 104000 && n58 < 106000);

	/*
	 * Merged queries, same mappings: one walk instead of N, and the
	 * downtime is back to the order of the no-vIOMMU case.
	 */
	s = plan(DS_QUERY_MERGED, n58);
	fprintf(stderr, "vIOMMU, merged, %llu mappings: %.1f ms (harvest %.2f ms)\n",
		(unsigned long long)n58, (double)s.downtime_ns / 1e6,
		(double)s.final_harvest_ns / 1e6);
	CHECK(same_order((double)s.downtime_ns, 100e6));
	CHECK(s.final_harvest_ns < 10000000);
	CHECK(s.fits);
	CHECK_EXIT();
}
