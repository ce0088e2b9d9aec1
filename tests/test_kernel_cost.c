// SPDX-License-Identifier: MIT
/*
 * test_kernel_cost.c - the reference harvest does the kernel's work, not
 * just its bits (drivers/vfio/vfio_iommu_type1.c, 6.1-6.12):
 *   - a GET_BITMAP walks the mapping tree from its first node: it visits
 *     every mapping below the request, every one in it, and the first one
 *     above it (the profiler's walk_nodes counts them);
 *   - an unmap with bitmap reports and frees: no clear, no repopulate;
 *   - START allocates the bitmaps as kvzalloc does, touching every page,
 *     so that the first GET takes no page fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

/* A sanitizer build, by GCC's macros or clang's __has_feature. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DT_SANITIZED 1
#endif
#endif
#ifndef DT_SANITIZED
#define DT_SANITIZED 0
#endif

#define PG 4096ull

static struct dt_container *make(void)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;

	dt_container_config_init(&cfg);
	cfg.profile = true;
	CHECK_EQ(dt_container_create(&cfg, &c), 0);
	return c;
}

static int64_t phase_calls(const struct dt_profile *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->nphases; i++)
		if (!strcmp(p->names[i], name))
			return (int64_t)p->calls[i];
	return -1;
}

/*
 * N one-page mappings two pages apart. What the kernel's loop visits for a
 * request of [first, last] mapping indices, counted naively: the nodes
 * below, the nodes inside, and the node that ends the walk, if any.
 */
static uint64_t kernel_visits(uint64_t n, uint64_t first, uint64_t last)
{
	uint64_t below = first, inside = last - first + 1, above = last + 1 < n;

	return below + inside + above;
}

static void test_walk(void)
{
	enum { N = 300 };
	struct dt_container *c = make();
	uint64_t bits[8], i, a, b;
	struct dt_bitmap bm = {.pgsize = PG, .size = sizeof(bits), .data = bits};
	struct dt_profile p;
	static const uint64_t ranges[][2] = {{0, 0}, {1, 1}, {150, 150}, {299, 299},
					     {0, 9}, {290, 299}, {100, 200}};

	if (!c)
		return;
	for (i = 0; i < N; i++)
		CHECK_EQ(dt_dma_map(c, 0x100000 + 2 * i * PG, PG, 0x10000000, DT_PROT_READ), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	CHECK_EQ(dt_profile_take(c, &p), 0);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		a = ranges[i][0];
		b = ranges[i][1];
		memset(bits, 0, sizeof(bits));
		bm.size = dt_bitmap_bytes((b - a) * 2 + 1);
		CHECK_EQ(dt_get_bitmap(c, 0x100000 + 2 * a * PG, ((b - a) * 2 + 1) * PG, &bm), 0);
		CHECK_EQ(dt_profile_take(c, &p), 0);
		CHECK_EQ(p.walk_nodes, kernel_visits(N, a, b));
		CHECK_EQ(phase_calls(&p, "copy"), (int64_t)(b - a + 1));
	}
	/* A request over a hole above every mapping still walks them all. */
	bm.size = 8;
	CHECK_EQ(dt_get_bitmap(c, 0x100000 + 2 * N * PG, PG, &bm), 0);
	CHECK_EQ(dt_profile_take(c, &p), 0);
	CHECK_EQ(p.walk_nodes, N);
	CHECK_EQ(phase_calls(&p, "copy"), 0);
	dt_container_destroy(c);
}

static void test_unmap_no_clear(void)
{
	struct dt_container *c = make();
	uint64_t bits[4] = {0};
	struct dt_bitmap bm = {.pgsize = PG, .size = sizeof(bits), .data = bits};
	struct dt_profile p;

	if (!c)
		return;
	/* Two mappings, the second shifted by 3 in the user's bitmap, one pinned page each. */
	CHECK_EQ(dt_dma_map(c, 0x0, 3 * PG, 0x10000000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_dma_map(c, 3 * PG, 70 * PG, 0x10000000, DT_PROT_READ | DT_PROT_WRITE), 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_MEDIATED, 1), 0);
	CHECK_EQ(dt_pin(c, 1, 0, 1, DT_PROT_READ), 0);
	CHECK_EQ(dt_pin(c, 1, 4 * PG, 1, DT_PROT_READ), 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	CHECK_EQ(dt_profile_take(c, &p), 0);
	CHECK_EQ(dt_unmap_bitmap(c, 0, 73 * PG, &bm, NULL), 0);
	CHECK_EQ(bits[0], 0x11);
	CHECK_EQ(dt_profile_take(c, &p), 0);
	CHECK_EQ(phase_calls(&p, "copy"), 2);
	CHECK_EQ(phase_calls(&p, "shift"), 1);
	CHECK_EQ(phase_calls(&p, "leftover"), 1);
	CHECK_EQ(phase_calls(&p, "clear"), 0);
	CHECK_EQ(phase_calls(&p, "repopulate"), 0);
	/* The kernel's unmap finds its first mapping by descent, not by a walk. */
	CHECK_EQ(p.walk_nodes, 0);
	dt_container_destroy(c);
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void test_start_touches(void)
{
	/* 1 TiB: a 32 MiB bitmap, more pages than any huge-page backing could hide. */
	const uint64_t size = 1ull << 40, bytes = dt_bitmap_bytes(size / PG);
	struct dt_container *c = make();
	uint64_t *user = malloc(bytes);
	struct dt_bitmap bm = {.pgsize = PG, .size = bytes, .data = user};
	long f0, start_faults, get_faults;

	if (!c || !user) {
		CHECK(!"allocation");
		free(user);
		dt_container_destroy(c);
		return;
	}
	/* The barrier keeps the compiler from folding malloc + memset into calloc. */
	__asm__ volatile("" : : "r"(user) : "memory");
	memset(user, 0, bytes);
	__asm__ volatile("" : : "r"(user) : "memory");
	CHECK_EQ(dt_dma_map(c, 1ull << 40, size, 0x10000000, DT_PROT_READ), 0);
	f0 = minor_faults();
	CHECK_EQ(dt_dirty_start(c), 0);
	start_faults = minor_faults() - f0;
	f0 = minor_faults();
	CHECK_EQ(dt_get_bitmap(c, 1ull << 40, size, &bm), 0);
	get_faults = minor_faults() - f0;
	fprintf(stderr, "START took %ld minor faults, the first GET %ld\n", start_faults,
		get_faults);
#if DT_SANITIZED
	/* A sanitizer's shadow memory faults on first use: the counts mean nothing here. */
	fprintf(stderr, "(not checked under a sanitizer)\n");
#else
	/* 8192 pages of bitmap: START faults them in, 2 MiB huge pages or not. */
	CHECK(start_faults >= 16);
	CHECK(get_faults <= 4);
#endif
	free(user);
	dt_container_destroy(c);
}

int main(void)
{
	test_walk();
	test_unmap_no_clear();
	test_start_touches();
	CHECK_EXIT();
}
