// SPDX-License-Identifier: MIT
/*
 * test_migrate_writers - the threads that dirty a migration's source
 * (bench/migrate/writers.h), on a model container, with both harvests:
 *   - no dirty bit lost while harvests race the writers: the pages whose
 *     bytes changed since START are exactly the union of every harvest,
 *     the one after the writers stopped included (every write changes its
 *     page, so a page in the union that did not change is a false report,
 *     and a changed page outside it a lost bit);
 *   - the pace: sequential writes over a working set larger than what they
 *     reach are distinct pages, so the harvests count exactly the writes,
 *     and the writes are what the rate asks, within this loaded machine's
 *     noise;
 *   - the pause: stopping writers that sleep between far-apart writes
 *     takes milliseconds, not the gap;
 *   - a write that fails (a page outside the mappings) stops its thread
 *     and is reported.
 * Labelled stress: ThreadSanitizer runs it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "check.h"
#include "writers.h"

#define PAGE 4096ull
#define IOVA (4ull << 30)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};

	nanosleep(&ts, NULL);
}

struct dev {
	struct dt_container *c;
	uint8_t *mem, *before;
	uint64_t pages, words;
	uint64_t *bm, *all;
};

static int dev_open(struct dev *d, const char *harvest, uint64_t pages)
{
	struct dt_container_config cfg;
	uint64_t i;

	memset(d, 0, sizeof(*d));
	d->pages = pages;
	d->words = (pages + 63) / 64;
	d->mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	d->before = malloc(pages * PAGE);
	d->bm = calloc(d->words, 8);
	d->all = calloc(d->words, 8);
	if (d->mem == MAP_FAILED || !d->before || !d->bm || !d->all)
		return -1;
	for (i = 0; i < pages * PAGE; i++)
		d->mem[i] = (uint8_t)(i * 131 + 7);
	dt_container_config_init(&cfg);
	cfg.harvest = harvest;
	cfg.concurrent = true;
	if (dt_container_create(&cfg, &d->c) || dt_group_attach(d->c, 1, DT_GROUP_MEDIATED, 1) ||
	    dt_dma_map(d->c, IOVA, pages * PAGE, (uint64_t)(uintptr_t)d->mem,
		       DT_PROT_READ | DT_PROT_WRITE) ||
	    dt_dirty_start(d->c))
		return -1;
	memcpy(d->before, d->mem, pages * PAGE);
	return 0;
}

static void dev_close(struct dev *d)
{
	dt_container_destroy(d->c);
	if (d->mem && d->mem != MAP_FAILED)
		munmap(d->mem, d->pages * PAGE);
	free(d->before);
	free(d->bm);
	free(d->all);
}

/* One harvest of the whole device, ORed into d->all; the pages it reported. */
static uint64_t harvest(struct dev *d)
{
	struct dt_bitmap b = {.pgsize = PAGE, .size = d->words * 8, .data = d->bm};
	uint64_t n = 0, i;

	memset(d->bm, 0, d->words * 8);
	CHECK(dt_get_bitmap(d->c, IOVA, d->pages * PAGE, &b) == 0);
	for (i = 0; i < d->words; i++) {
		n += (uint64_t)__builtin_popcountll(d->bm[i]);
		d->all[i] |= d->bm[i];
	}
	return n;
}

static struct ds_writer_params params(struct dev *d, enum ds_pattern pattern, uint64_t rate,
				      unsigned int threads)
{
	return (struct ds_writer_params){
		.c = d->c,
		.iova_base = IOVA,
		.page_bytes = PAGE,
		.pages = d->pages,
		.ws_pages = d->pages,
		.pattern = pattern,
		.hot_percent = 10,
		.hot_share = 90,
		.rate = rate,
		.rw_bytes = 64,
		.threads = threads,
		.seed = 1,
	};
}

/* Changed pages == the union of the harvests, for writers racing the harvests. */
static void no_bit_lost(const char *h)
{
	struct ds_writer_params p;
	struct ds_writers *w;
	uint64_t changed = 0, in_union = 0, lost = 0, false_reports = 0, i, t0;
	struct dev d;
	bool dirty, reported;

	if (dev_open(&d, h, 4096) < 0) {
		fprintf(stderr, "%s: no device\n", h);
		check_failures++;
		return;
	}
	/* 64 MB/s over 16 MiB from 2 threads: pages written twice, some while harvested. */
	p = params(&d, DS_PATTERN_RANDOM, 64000000, 2);
	CHECK(ds_writers_start(&p, &w) == 0);
	for (t0 = now_ns(); now_ns() - t0 < 300000000;)
		harvest(&d);
	CHECK(ds_writers_stop(w) == 0);
	harvest(&d); /* what the last writes marked */
	for (i = 0; i < d.pages; i++) {
		dirty = memcmp(d.mem + i * PAGE, d.before + i * PAGE, PAGE) != 0;
		reported = d.all[i / 64] >> (i % 64) & 1;
		changed += dirty;
		in_union += reported;
		lost += dirty && !reported;
		false_reports += reported && !dirty;
	}
	printf("%s: %llu writes, %llu pages changed, %llu harvested\n", h,
	       (unsigned long long)ds_writers_count(w), (unsigned long long)changed,
	       (unsigned long long)in_union);
	CHECK(changed > 100);
	CHECK_EQ(lost, 0);
	CHECK_EQ(false_reports, 0);
	ds_writers_destroy(w);
	dev_close(&d);
}

static void pace(void)
{
	struct ds_writer_params p;
	struct ds_writers *w;
	uint64_t t0, dt, n, dirty, want;
	struct dev d;

	if (dev_open(&d, "fast", 16384) < 0) {
		check_failures++;
		return;
	}
	/* 8 MB/s is 1953 pages a second: about 600 in 300 ms, far from the 16384 of the set. */
	p = params(&d, DS_PATTERN_SEQUENTIAL, 8000000, 1);
	t0 = now_ns();
	CHECK(ds_writers_start(&p, &w) == 0);
	sleep_ns(300000000);
	CHECK(ds_writers_stop(w) == 0);
	dt = now_ns() - t0;
	n = ds_writers_count(w);
	dirty = harvest(&d);
	want = (uint64_t)((double)dt * 8000000 / PAGE / 1e9);
	printf("sequential: %llu writes in %.1f ms (%llu due), %llu pages dirty\n",
	       (unsigned long long)n, dt / 1e6, (unsigned long long)want,
	       (unsigned long long)dirty);
	/* Distinct pages: every write is one more dirty page. */
	CHECK_EQ(dirty, n);
	/* Never ahead of the schedule; behind it only by a loaded machine's delays. */
	CHECK(n <= want + 1);
	CHECK(n >= want * 7 / 10);
	ds_writers_destroy(w);
	dev_close(&d);
}

static void pause_latency(void)
{
	struct ds_writer_params p;
	struct ds_writers *w;
	uint64_t t0;
	struct dev d;

	if (dev_open(&d, "reference", 1024) < 0) {
		check_failures++;
		return;
	}
	/* One page a second per thread: they sleep almost all the time. */
	p = params(&d, DS_PATTERN_HOTCOLD, 2 * PAGE, 2);
	CHECK(ds_writers_start(&p, &w) == 0);
	sleep_ns(50000000);
	t0 = now_ns();
	CHECK(ds_writers_stop(w) == 0);
	CHECK(now_ns() - t0 < 200000000);
	ds_writers_destroy(w);
	dev_close(&d);
}

static void failing_write(void)
{
	struct ds_writer_params p;
	struct ds_writers *w;
	uint64_t t0;
	struct dev d;

	if (dev_open(&d, "fast", 256) < 0) {
		check_failures++;
		return;
	}
	p = params(&d, DS_PATTERN_RANDOM, 4000000, 1);
	p.iova_base = IOVA + 256 * PAGE; /* past the mapping */
	CHECK(ds_writers_start(&p, &w) == 0);
	for (t0 = now_ns(); !ds_writers_error(w) && now_ns() - t0 < 2000000000;)
		sleep_ns(1000000);
	CHECK_EQ(ds_writers_error(w), -EINVAL);
	CHECK_EQ(ds_writers_stop(w), -EINVAL);
	CHECK_EQ(ds_writers_count(w), 0);
	ds_writers_destroy(w);
	/* Bad parameters are refused before any thread starts. */
	p = params(&d, DS_PATTERN_RANDOM, 4000000, 1);
	p.rw_bytes = 12;
	CHECK_EQ(ds_writers_start(&p, &w), -EINVAL);
	p = params(&d, DS_PATTERN_RANDOM, 0, 1);
	CHECK_EQ(ds_writers_start(&p, &w), -EINVAL);
	dev_close(&d);
}

int main(void)
{
	no_bit_lost("fast");
	no_bit_lost("reference");
	pace();
	pause_latency();
	failing_write();
	CHECK_EXIT();
}
