// SPDX-License-Identifier: MIT
/*
 * test_marking_stress.c - marks racing harvests and MAP/UNMAP, for every
 * harvest, in the concurrent mode (container.h, "Concurrency").
 *
 * Marker threads write one byte at a time with DMA_RW into pages of their
 * own and record each write that succeeded; a harvester GETs the stable
 * mappings over and over; a churn thread maps and unmaps (with the bitmap)
 * a mapping that the markers also write into. At the end, after a last
 * GET, the union of everything reported must equal the union of what was
 * marked, page for page: no mark lost, no page reported that nobody
 * marked (no pins, no IOMMU group: nothing else makes a page dirty).
 *
 *   test_marking_stress [SECONDS] [THREADS]    (default 1 s, 2 markers)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

#define PG 4096ull
#define BASE 0x100000000ull
#define STABLE 4	 /* mappings that stay */
#define STABLE_PAGES 3000 /* each: several summary lines, odd lengths */
#define CHURN_PAGES 700
/* The stable mappings, back to back at odd offsets, then the churn one after a hole. */
#define CHURN_IOVA (BASE + (STABLE * STABLE_PAGES + 37) * PG)
#define TOTAL_PAGES ((CHURN_IOVA - BASE) / PG + CHURN_PAGES)
#define MAX_THREADS 8

struct shared {
	struct dt_container *c;
	uint8_t *mem;
	volatile int stop;
	unsigned int threads;
	uint8_t *marked;   /* per page: set by the marker that owns the page */
	uint8_t *reported; /* per page: any harvest reported it */
	pthread_mutex_t report_lock;
	unsigned long gets, unmaps, marks[MAX_THREADS];
};

struct marker {
	struct shared *s;
	unsigned int id;
};

static int stopped(struct shared *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void collect(struct shared *s, const uint64_t *bits, uint64_t first_page, uint64_t npages)
{
	uint64_t i;

	pthread_mutex_lock(&s->report_lock);
	for (i = 0; i < npages; i++)
		if (bits[i / 64] >> (i % 64) & 1)
			s->reported[first_page + i] = 1;
	pthread_mutex_unlock(&s->report_lock);
}

/* Page k of the window belongs to marker k % threads; mapped pages only. */
static void *marker_main(void *arg)
{
	struct marker *mk = arg;
	struct shared *s = mk->s;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (mk->id + 1), page, iova;
	uint8_t byte = 1;

	while (!stopped(s)) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		page = (rng % (TOTAL_PAGES / s->threads)) * s->threads + mk->id;
		if (page >= TOTAL_PAGES)
			continue;
		iova = BASE + page * PG + (rng >> 40) % PG;
		if (dt_dma_rw(s->c, iova, &byte, 1, true) == 0) {
			/* Only this thread writes this page's entry; read after the joins. */
			s->marked[page] = 1;
			s->marks[mk->id]++;
		}
	}
	return NULL;
}

static uint64_t *bitmap_buf(uint64_t npages)
{
	return calloc(1, dt_bitmap_bytes(npages));
}

static void get_stable(struct shared *s)
{
	uint64_t n = STABLE * STABLE_PAGES, *bits = bitmap_buf(n);
	struct dt_bitmap bm = {.pgsize = PG, .size = dt_bitmap_bytes(n), .data = bits};

	if (!bits)
		return;
	CHECK_EQ(dt_get_bitmap(s->c, BASE, n * PG, &bm), 0);
	collect(s, bits, 0, n);
	free(bits);
}

static void *harvester_main(void *arg)
{
	struct shared *s = arg;

	while (!stopped(s)) {
		get_stable(s);
		s->gets++;
	}
	return NULL;
}

/* Map and unmap (with the bitmap) the churn mapping while the markers write into it. */
static void *churn_main(void *arg)
{
	struct shared *s = arg;
	uint64_t *bits = bitmap_buf(CHURN_PAGES), unmapped;
	struct dt_bitmap bm = {.pgsize = PG, .size = dt_bitmap_bytes(CHURN_PAGES), .data = bits};

	while (bits && !stopped(s)) {
		memset(bits, 0, bm.size);
		CHECK_EQ(dt_unmap_bitmap(s->c, CHURN_IOVA, CHURN_PAGES * PG, &bm, &unmapped), 0);
		CHECK_EQ(unmapped, CHURN_PAGES * PG);
		collect(s, bits, (CHURN_IOVA - BASE) / PG, CHURN_PAGES);
		CHECK_EQ(dt_dma_map(s->c, CHURN_IOVA, CHURN_PAGES * PG,
				    (uintptr_t)s->mem + (CHURN_IOVA - BASE), DT_PROT_READ | DT_PROT_WRITE),
			 0);
		s->unmaps++;
	}
	free(bits);
	return NULL;
}

static void stress(const char *harvest, double seconds, unsigned int threads)
{
	struct dt_container_config cfg;
	struct shared s = {.threads = threads};
	struct marker mk[MAX_THREADS];
	pthread_t tm[MAX_THREADS], th, tc;
	struct timespec ts = {.tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	uint64_t i, lost = 0, phantom = 0, n, *bits, marks = 0;
	struct dt_bitmap bm;

	pthread_mutex_init(&s.report_lock, NULL);
	s.mem = mmap(NULL, TOTAL_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	s.marked = calloc(TOTAL_PAGES, 1);
	s.reported = calloc(TOTAL_PAGES, 1);
	dt_container_config_init(&cfg);
	cfg.harvest = harvest;
	cfg.concurrent = true;
	CHECK(s.mem != MAP_FAILED && s.marked && s.reported);
	CHECK_EQ(dt_container_create(&cfg, &s.c), 0);
	if (s.mem == MAP_FAILED || !s.marked || !s.reported || !s.c)
		return;
	for (i = 0; i < STABLE; i++)
		CHECK_EQ(dt_dma_map(s.c, BASE + i * STABLE_PAGES * PG, STABLE_PAGES * PG,
				    (uintptr_t)s.mem + i * STABLE_PAGES * PG,
				    DT_PROT_READ | DT_PROT_WRITE),
			 0);
	CHECK_EQ(dt_dma_map(s.c, CHURN_IOVA, CHURN_PAGES * PG, (uintptr_t)s.mem + (CHURN_IOVA - BASE),
			    DT_PROT_READ | DT_PROT_WRITE),
		 0);
	CHECK_EQ(dt_dirty_start(s.c), 0);

	for (i = 0; i < threads; i++) {
		mk[i] = (struct marker){.s = &s, .id = (unsigned int)i};
		pthread_create(&tm[i], NULL, marker_main, &mk[i]);
	}
	pthread_create(&th, NULL, harvester_main, &s);
	pthread_create(&tc, NULL, churn_main, &s);
	nanosleep(&ts, NULL);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < threads; i++)
		pthread_join(tm[i], NULL);
	pthread_join(th, NULL);
	pthread_join(tc, NULL);

	/* The last harvests: what the racing ones left. */
	get_stable(&s);
	n = CHURN_PAGES;
	bits = bitmap_buf(n);
	bm = (struct dt_bitmap){.pgsize = PG, .size = dt_bitmap_bytes(n), .data = bits};
	CHECK(bits != NULL);
	if (bits) {
		CHECK_EQ(dt_get_bitmap(s.c, CHURN_IOVA, n * PG, &bm), 0);
		collect(&s, bits, (CHURN_IOVA - BASE) / PG, n);
		free(bits);
	}
	for (i = 0; i < TOTAL_PAGES; i++) {
		lost += s.marked[i] && !s.reported[i];
		phantom += !s.marked[i] && s.reported[i];
	}
	for (i = 0; i < threads; i++)
		marks += s.marks[i];
	fprintf(stderr,
		"%s: %u markers, %llu marks, %lu GETs, %lu unmap/map cycles: %llu lost, %llu "
		"reported unmarked\n",
		harvest, threads, (unsigned long long)marks, s.gets, s.unmaps,
		(unsigned long long)lost, (unsigned long long)phantom);
	CHECK_EQ(lost, 0);
	CHECK_EQ(phantom, 0);
	/* The race must have been run: marks, GETs and churn all happened. */
	CHECK(marks > 100 && s.gets > 2 && s.unmaps > 2);
	dt_container_destroy(s.c);
	munmap(s.mem, TOTAL_PAGES * PG);
	free(s.marked);
	free(s.reported);
	pthread_mutex_destroy(&s.report_lock);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0;
	unsigned int threads = argc > 2 ? (unsigned int)atoi(argv[2]) : 2;
	const char *const *h;

	if (threads < 1 || threads > MAX_THREADS || !(seconds > 0)) {
		fprintf(stderr, "usage: test_marking_stress [SECONDS] [THREADS 1-%d]\n", MAX_THREADS);
		return 2;
	}
	for (h = dt_harvest_names(); *h; h++)
		stress(*h, seconds, threads);
	CHECK_EXIT();
}
