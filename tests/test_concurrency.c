// SPDX-License-Identifier: MIT
/*
 * test_concurrency.c - device threads write and pin while the harness
 * harvests: no dirty bit may be lost and none invented. Run it under
 * ThreadSanitizer (-DDT_TSAN=ON) to check the locking too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"

#define PAGES 4096u
#define WRITERS 2
#define WRITES 20000u
#define IOVA 0x100000000ull

struct writer {
	struct dt_container *c;
	atomic_int *finished;
	atomic_int *go; /* set once the harvester runs: writes then overlap harvests */
	unsigned int index;
	uint8_t touched[PAGES]; /* written or pinned by this thread */
	int error;
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (w->index + 1), page, data = w->index;
	unsigned int i;
	int ret;

	while (!atomic_load(w->go))
		;
	for (i = 0; i < WRITES && !w->error; i++) {
		/* Each thread owns the pages of its residue class: pins never collide. */
		page = next_rand(&seed) % (PAGES / WRITERS) * WRITERS + w->index;
		w->touched[page] = 1;
		if (i % 16 == 0) {
			ret = dt_pin(w->c, 1, IOVA + page * 4096, 1, DT_PROT_WRITE);
			if (ret == 0)
				ret = dt_unpin(w->c, 1, IOVA + page * 4096, 1);
		} else {
			ret = dt_dma_rw(w->c, IOVA + page * 4096 + (page % 512), &data, sizeof(data),
					true);
		}
		if (ret < 0)
			w->error = ret;
	}
	atomic_fetch_add(w->finished, 1);
	return NULL;
}

int main(void)
{
	static struct writer writers[WRITERS];
	static uint64_t words[PAGES / 64];
	uint8_t reported[PAGES] = {0};
	struct dt_bitmap bm = {.pgsize = 4096, .size = sizeof(words), .data = words};
	pthread_t threads[WRITERS];
	struct dt_container_config cfg;
	struct dt_container *c;
	unsigned int i, t, harvests = 0;
	atomic_int finished = 0, go = 0;
	bool last;
	void *mem;

	dt_container_config_init(&cfg);
	CHECK_EQ(dt_container_create(&cfg, &c), 0);
	mem = mmap(NULL, PAGES * 4096ul, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(mem != MAP_FAILED);
	CHECK_EQ(dt_dma_map(c, IOVA, PAGES * 4096ull, (uintptr_t)mem, DT_PROT_READ | DT_PROT_WRITE),
		 0);
	CHECK_EQ(dt_group_attach(c, 1, DT_GROUP_MEDIATED, 1), 0);
	CHECK_EQ(dt_dirty_start(c), 0);

	for (t = 0; t < WRITERS; t++) {
		writers[t].c = c;
		writers[t].finished = &finished;
		writers[t].go = &go;
		writers[t].index = t;
		CHECK_EQ(pthread_create(&threads[t], NULL, writer_main, &writers[t]), 0);
	}
	/* Harvest while they write; the last pass after they are done. */
	do {
		last = atomic_load(&finished) == WRITERS;
		memset(words, 0, sizeof(words));
		CHECK_EQ(dt_get_bitmap(c, IOVA, PAGES * 4096ull, &bm), 0);
		for (i = 0; i < PAGES; i++)
			if (words[i / 64] >> (i % 64) & 1)
				reported[i] = 1;
		harvests++;
		atomic_store(&go, 1);
	} while (!last);
	for (t = 0; t < WRITERS; t++)
		pthread_join(threads[t], NULL);

	for (t = 0; t < WRITERS; t++)
		CHECK_EQ(writers[t].error, 0);
	for (i = 0; i < PAGES; i++) {
		uint8_t touched = 0;

		for (t = 0; t < WRITERS; t++)
			touched |= writers[t].touched[i];
		if (touched != reported[i]) {
			fprintf(stderr, "page %u: touched %u reported %u\n", i, touched, reported[i]);
			CHECK(touched == reported[i]);
			break;
		}
	}
	CHECK(harvests > 1);
	printf("concurrency: %u writers, %u writes each, %u harvests\n", WRITERS, WRITES,
	       harvests);
	dt_container_destroy(c);
	munmap(mem, PAGES * 4096ul);
	CHECK_EXIT();
}
