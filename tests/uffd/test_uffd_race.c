// SPDX-License-Identifier: MIT
/*
 * test_uffd_race - harvests of the uffd backend racing writers never lose a
 * write and never invent one.
 *
 * Writer threads write random pages of one mapping (each thread its own
 * pages), counting per page the writes they began (before the store) and
 * the writes they completed (after it). The harvester reads both counts
 * (a snapshot), harvests, and again, over and over. Write i of a page
 * began after the last snapshot a that saw fewer than i begun, and was
 * done before the first snapshot b that saw i completed: its store came
 * after harvest a started and before harvest b did, so harvest a caught
 * it or protected the page before it (and the store faulted), and some
 * harvest from a to b reports the page. A writer preempted between its
 * store and its count only widens [a, b], never fakes a loss. At the end,
 * with the writers stopped, one more harvest: the union of every report is
 * exactly the set of pages written (the memory starts untouched and reads
 * do not count as writes).
 *
 * Usage: test_uffd_race [SECONDS [WRITERS]]; exit 0 pass, 1 fail, 77 skip.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirtytrack/dirtytrack.h>

#include "check.h"
#include "uffd_test.h"

#define PG 4096ull
#define NPAGES 8192ull
#define IOVA 0x40000000ull
#define MAX_WRITERS 8

struct shared {
	uint8_t *mem;
	unsigned int writers;
	int stop;
	uint64_t begun[NPAGES]; /* writes begun, per page (atomic) */
	uint64_t done[NPAGES];	/* writes completed, per page (atomic) */
};

struct writer {
	struct shared *s;
	unsigned int id;
	pthread_t thread;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct shared *s = w->s;
	uint64_t x = 0x9e3779b97f4a7c15ull * (w->id + 1), p, n = 0, *word;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Its own pages only: the counts have one writer each. */
		p = (x % (NPAGES / s->writers)) * s->writers + w->id;
		/* Half the pages stay untouched, so that a harvest has clean pages to get wrong. */
		if (p % 4 >= 2)
			continue;
		/* Begun before the store, done after it (x86 keeps stores in order). */
		__atomic_fetch_add(&s->begun[p], 1, __ATOMIC_SEQ_CST);
		word = (uint64_t *)(void *)(s->mem + p * PG + (x >> 40) % (PG / 8) * 8);
		__atomic_store_n(word, x, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->done[p], 1, __ATOMIC_RELEASE);
		/* Now and then a breath, so that a harvest also meets a quiet mapping. */
		if (++n % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the harvester knows of a page across snapshots. */
struct page_log {
	uint64_t done, begun;	/* at the last snapshot */
	uint64_t begun_since;	/* the last snapshot at which fewer than @begun had begun */
	uint64_t reported;	/* the last harvest that reported the page, + 1 (0: never) */
	uint64_t need;		/* a harvest from this one on must report it, + 1 (0: none) */
};

/*
 * Snapshot @h: for each page that completed writes since the last one,
 * the first harvest that may have seen the latest of them.
 */
static void snapshot(struct shared *s, struct page_log *log, uint64_t h)
{
	uint64_t p, done, begun;

	for (p = 0; p < NPAGES; p++) {
		struct page_log *l = &log[p];

		done = __atomic_load_n(&s->done[p], __ATOMIC_ACQUIRE);
		begun = __atomic_load_n(&s->begun[p], __ATOMIC_ACQUIRE);
		if (done > l->done) {
			/*
			 * Write @done began after snapshot h-1 unless it had begun
			 * by then (in flight at h-1): then after begun_since.
			 */
			uint64_t a = l->begun < done ? h - 1 : l->begun_since;

			if (h == 0)
				a = 0;
			if (!l->need || a + 1 > l->need)
				l->need = a + 1;
		}
		if (begun != l->begun) {
			l->begun_since = h ? h - 1 : 0;
			l->begun = begun;
		}
		l->done = done;
	}
}

static bool bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 1.0, end;
	unsigned int writers = argc > 2 ? (unsigned int)atoi(argv[2]) : 2, i;
	struct dt_container *c = uffd_container_or_skip("test_uffd_race", PG);
	static struct shared s;
	static struct page_log log[NPAGES];
	struct writer w[MAX_WRITERS];
	uint64_t rep[NPAGES / 64], all[NPAGES / 64] = {0};
	struct dt_bitmap bm = {.pgsize = PG, .size = sizeof(rep), .data = rep};
	uint64_t h = 0, reported = 0, p;
	bool last = false;
	size_t len;
	void *base;

	if (writers < 1 || writers > MAX_WRITERS)
		return 1;
	s.writers = writers;
	s.mem = uffd_test_mem(NPAGES * PG, PG, &base, &len);
	CHECK_EQ(dt_dma_map(c, IOVA, NPAGES * PG, (uintptr_t)s.mem, DT_PROT_READ | DT_PROT_WRITE),
		 0);
	CHECK_EQ(dt_dirty_start(c), 0);
	for (i = 0; i < writers; i++) {
		w[i] = (struct writer){.s = &s, .id = i};
		if (pthread_create(&w[i].thread, NULL, writer_main, &w[i]))
			return 1;
	}
	end = now_s() + seconds;
	for (;;) {
		if (!last && (now_s() >= end || check_failures >= 10)) {
			/* The last harvest runs with every writer stopped: nothing in flight. */
			__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
			for (i = 0; i < writers; i++)
				pthread_join(w[i].thread, NULL);
			last = true;
		}
		snapshot(&s, log, h);
		memset(rep, 0, sizeof(rep));
		CHECK_EQ(dt_get_bitmap(c, IOVA, NPAGES * PG, &bm), 0);
		for (p = 0; p < NPAGES; p++) {
			if (bit(rep, p)) {
				log[p].reported = h + 1;
				reported++;
			}
			if (log[p].need && log[p].reported < log[p].need) {
				fprintf(stderr,
					"test_uffd_race: page %llu: a write done before harvest "
					"%llu and begun after harvest %llu started is in no "
					"report\n",
					(unsigned long long)p, (unsigned long long)h,
					(unsigned long long)log[p].need - 1);
				check_failures++;
			}
			log[p].need = 0;
		}
		for (p = 0; p < NPAGES / 64; p++)
			all[p] |= rep[p];
		h++;
		if (last)
			break;
	}
	for (p = 0; p < NPAGES; p++) {
		if ((s.done[p] != 0) != bit(all, p)) {
			fprintf(stderr, "test_uffd_race: page %llu written %llu times, %s\n",
				(unsigned long long)p, (unsigned long long)s.done[p],
				bit(all, p) ? "reported" : "never reported");
			check_failures++;
		}
	}
	printf("test_uffd_race: %u writers, %llu harvests, %llu pages reported\n", writers,
	       (unsigned long long)h, (unsigned long long)reported);
	CHECK(h > 2);
	dt_container_destroy(c);
	munmap(base, len);
	CHECK_EXIT();
}
