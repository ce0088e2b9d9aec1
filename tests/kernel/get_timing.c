// SPDX-License-Identifier: MIT
/*
 * get_timing - GET_BITMAP medians for a few layouts, through any backend:
 * the numbers of docs/kernel.md ("Timings"). In the QEMU guest of
 * scripts/kernel-vm.sh the vfio backend's are emulated (TCG) timings, good
 * for comparing layouts with each other, not for hardware figures.
 *
 *   get_timing [model|vfio] [REPS]
 *
 * vfio takes its group files from DT_VFIO_GROUPS. Every layout has an
 * IOMMU group that never pins, so every page is dirty on every GET (the
 * set-all path), on both backends. The first GET of each layout is not
 * counted: a kernel path's first call also pays for its translation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>

#define RW (DT_PROT_READ | DT_PROT_WRITE)
#define PG 4096ull

struct layout {
	const char *name;
	uint64_t base;	      /* the first mapping's iova */
	uint64_t pages[3];    /* up to three adjacent mappings */
	uint64_t lead_pages;  /* the request starts this many pages before base */
};

/* Large mappings at 4 GiB and up, clear of the MSI window. */
static const struct layout layouts[] = {
	{"merged 3/70/5 (78 pages)", 0x100000, {3, 70, 5}, 0},
	{"256 MiB aligned", 1ull << 32, {65536}, 0},
	{"256 MiB shifted by 1", 1ull << 32, {65536}, 1},
	{"1 GiB aligned", 1ull << 33, {262144}, 0},
	{"1 GiB shifted by 1", 1ull << 33, {262144}, 1},
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int run(const char *backend, const struct layout *l, unsigned int reps)
{
	struct dt_container_config cfg;
	struct dt_container *c = NULL;
	uint64_t total = 0, iova, *samples, *bits, start_ns, map_ns;
	struct dt_bitmap bm;
	size_t i;
	void *mem;
	int ret;

	for (i = 0; i < 3 && l->pages[i]; i++)
		total += l->pages[i];
	dt_container_config_init(&cfg);
	cfg.backend = backend;
	cfg.device = getenv("DT_VFIO_GROUPS");
	ret = dt_container_create(&cfg, &c);
	if (ret < 0)
		return ret;
	mem = mmap(NULL, total * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bm.pgsize = PG;
	bm.size = dt_bitmap_bytes(total + l->lead_pages);
	bits = calloc(1, bm.size);
	samples = calloc(reps + 1, sizeof(*samples));
	if (mem == MAP_FAILED || !bits || !samples) {
		ret = -ENOMEM;
		goto out;
	}
	bm.data = bits;
	ret = dt_group_attach(c, 1, DT_GROUP_IOMMU, 1);
	map_ns = now_ns();
	for (i = 0, iova = l->base; ret == 0 && i < 3 && l->pages[i]; i++) {
		ret = dt_dma_map(c, iova, l->pages[i] * PG,
				 (uintptr_t)mem + (iova - l->base), RW);
		iova += l->pages[i] * PG;
	}
	map_ns = now_ns() - map_ns;
	start_ns = now_ns();
	if (ret == 0)
		ret = dt_dirty_start(c);
	start_ns = now_ns() - start_ns;
	for (i = 0; ret == 0 && i <= reps; i++) {
		uint64_t t0;

		/* The user's bitmap arrives zeroed, as the interface requires. */
		memset(bits, 0, bm.size);
		t0 = now_ns();
		ret = dt_get_bitmap(c, l->base - l->lead_pages * PG, (total + l->lead_pages) * PG, &bm);
		samples[i] = now_ns() - t0;
	}
	if (ret == 0) {
		qsort(samples + 1, reps, sizeof(*samples), cmp_u64);
		printf("%-8s %-26s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12.3f %12.3f\n",
		       backend, l->name, samples[1 + reps / 2], samples[1], samples[reps],
		       samples[0], map_ns / 1e6, start_ns / 1e6);
	}
out:
	dt_container_destroy(c);
	if (mem != MAP_FAILED)
		munmap(mem, total * PG);
	free(bits);
	free(samples);
	return ret;
}

int main(int argc, char **argv)
{
	const char *backend = argc > 1 ? argv[1] : "model";
	unsigned int reps = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : 51;
	size_t i;
	int ret;

	if (reps == 0) {
		fprintf(stderr, "get_timing: REPS must be at least 1\n");
		return 2;
	}
	printf("%-8s %-26s %12s %12s %12s %12s %12s %12s\n", "backend", "layout", "median_ns",
	       "min_ns", "max_ns", "first_ns", "map_ms", "start_ms");
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		ret = run(backend, &layouts[i], reps);
		if (ret < 0) {
			fprintf(stderr, "get_timing: %s, %s: %s\n", backend, layouts[i].name,
				strerror(-ret));
			return 1;
		}
	}
	return 0;
}
