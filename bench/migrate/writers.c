// SPDX-License-Identifier: MIT
/* writers.c - the threads that dirty the source while it migrates (writers.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <workloads/rand.h>

#include "writers.h"

/* A sleeping writer wakes at least this long after its last burst. */
#define MIN_SLEEP_NS 1000000ull

struct writer {
	_Alignas(64) struct ds_writers *ws;
	unsigned int id;
	pthread_t tid;
	struct ds_rand r;
	uint64_t cursor; /* the sequential pattern's next working-set page */
	uint64_t seq;	 /* writes so far: the low bits of the stamp */
	uint64_t done;	 /* page writes, read by ds_writers_count() (atomic) */
	uint64_t *buf;	 /* rw_bytes of the stamp */
};

struct ds_writers {
	struct ds_writer_params p;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;  /* atomic; set under the lock so that a sleeper cannot miss it */
	int error; /* the first writer's error (atomic) */
	uint64_t t0;
	uint64_t hot; /* hotcold: the first @hot working-set pages are the hot ones */
	struct writer *w;
	unsigned int started;
	bool joined;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool stopping(struct ds_writers *ws)
{
	return __atomic_load_n(&ws->stop, __ATOMIC_RELAXED);
}

/* Pages one thread owes @elapsed ns after the start. */
static uint64_t pages_due(const struct ds_writers *ws, uint64_t elapsed)
{
	unsigned __int128 per = (unsigned __int128)ws->p.page_bytes * ws->p.threads * 1000000000u;

	return (uint64_t)((unsigned __int128)elapsed * ws->p.rate / per);
}

/* When the thread owes its @n-th page, ns after the start (rounded up). */
static uint64_t due_time(const struct ds_writers *ws, uint64_t n)
{
	unsigned __int128 per = (unsigned __int128)ws->p.page_bytes * ws->p.threads * 1000000000u;

	return (uint64_t)(((unsigned __int128)n * per + ws->p.rate - 1) / ws->p.rate);
}

/* The next working-set page, as workloads/wl.c picks them for `run`. */
static uint64_t pick(struct writer *w)
{
	const struct ds_writers *ws = w->ws;
	uint64_t n = ws->p.ws_pages, k;

	switch (ws->p.pattern) {
	case DS_PATTERN_SEQUENTIAL:
		k = w->cursor++;
		if (w->cursor == n)
			w->cursor = 0;
		return k;
	case DS_PATTERN_HOTCOLD:
		if (ds_rand_below(&w->r, 100) < ws->p.hot_share || ws->hot == n)
			return ds_rand_below(&w->r, ws->hot);
		return ws->hot + ds_rand_below(&w->r, n - ws->hot);
	case DS_PATTERN_RANDOM:
	default:
		return ds_rand_below(&w->r, n);
	}
}

static int write_one(struct writer *w)
{
	const struct ds_writer_params *p = &w->ws->p;
	uint64_t k = pick(w), page, off, stamp, i, t = 0, seen;
	int ret;

	/* The working set spreads evenly over the device, as `run` spreads it. */
	page = p->ws_pages == p->pages
		       ? k
		       : (uint64_t)((unsigned __int128)k * p->pages / p->ws_pages);
	off = ds_rand_below(&w->r, (p->page_bytes - p->rw_bytes) / 8 + 1) * 8;
	/* Unique to this thread and this write, never 0: the page always changes. */
	stamp = (uint64_t)(w->id + 1) << 48 | ++w->seq;
	for (i = 0; i < p->rw_bytes / 8; i++)
		w->buf[i] = stamp;
	if (p->write_ns)
		t = now_ns();
	if (p->mem) {
		/* A plain store, as a vCPU's: only a backend that tracks memory sees it. */
		memcpy(p->mem + page * p->page_bytes + off, w->buf, p->rw_bytes);
		ret = 0;
	} else {
		ret = dt_dma_rw(p->c, p->iova_base + page * p->page_bytes + off, w->buf,
				p->rw_bytes, true);
	}
	if (ret < 0 || !p->write_ns)
		return ret;
	/* The latest start wins, whichever thread stores last. */
	seen = __atomic_load_n(&p->write_ns[page], __ATOMIC_RELAXED);
	while (seen < t && !__atomic_compare_exchange_n(&p->write_ns[page], &seen, t, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;
}

/* Sleep until @t after the start, or until told to stop. */
static void nap(struct ds_writers *ws, uint64_t t)
{
	uint64_t abs_ns = ws->t0 + t;
	struct timespec ts = {.tv_sec = (time_t)(abs_ns / 1000000000u),
			      .tv_nsec = (long)(abs_ns % 1000000000u)};

	pthread_mutex_lock(&ws->lock);
	while (!ws->stop && now_ns() < abs_ns)
		if (pthread_cond_timedwait(&ws->wake, &ws->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ws->lock);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct ds_writers *ws = w->ws;
	uint64_t done = 0, due, elapsed, next;
	int ret, none = 0;

	while (!stopping(ws)) {
		elapsed = now_ns() - ws->t0;
		due = pages_due(ws, elapsed);
		while (done < due && !stopping(ws)) {
			ret = write_one(w);
			if (ret < 0) {
				__atomic_compare_exchange_n(&ws->error, &none, ret, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
				return NULL;
			}
			__atomic_store_n(&w->done, ++done, __ATOMIC_RELAXED);
		}
		next = due_time(ws, done + 1);
		nap(ws, next > elapsed + MIN_SLEEP_NS ? next : elapsed + MIN_SLEEP_NS);
	}
	return NULL;
}

static void free_writers(struct ds_writers *ws)
{
	unsigned int i;

	for (i = 0; ws->w && i < ws->p.threads; i++)
		free(ws->w[i].buf);
	free(ws->w);
	pthread_cond_destroy(&ws->wake);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

int ds_writers_start(const struct ds_writer_params *p, struct ds_writers **out)
{
	pthread_condattr_t ca;
	struct ds_writers *ws;
	unsigned int i;
	int ret;

	*out = NULL;
	if (!p->c || !p->page_bytes || !p->pages || !p->ws_pages || p->ws_pages > p->pages ||
	    !p->threads || !p->rate || !p->rw_bytes || p->rw_bytes % 8 ||
	    p->rw_bytes > p->page_bytes || !p->hot_percent || p->hot_percent > 100 ||
	    p->hot_share > 100)
		return -EINVAL;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->p = *p;
	pthread_mutex_init(&ws->lock, NULL);
	/* The naps' deadlines are CLOCK_MONOTONIC, as every time here. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ws->wake, &ca);
	pthread_condattr_destroy(&ca);
	ws->hot = p->ws_pages * p->hot_percent / 100;
	if (!ws->hot)
		ws->hot = 1;
	ws->w = aligned_alloc(64, sizeof(*ws->w) * p->threads);
	if (!ws->w) {
		free_writers(ws);
		return -ENOMEM;
	}
	memset(ws->w, 0, sizeof(*ws->w) * p->threads);
	for (i = 0; i < p->threads; i++) {
		struct writer *w = &ws->w[i];

		w->ws = ws;
		w->id = i;
		ds_rand_seed(&w->r, p->seed ^ ((uint64_t)(i + 1) * 0xd1b54a32d192ed03ull));
		/* Threads walk apart, as run's workloads do. */
		w->cursor = (uint64_t)((unsigned __int128)p->ws_pages * i / p->threads);
		w->buf = malloc(p->rw_bytes);
		if (!w->buf) {
			free_writers(ws);
			return -ENOMEM;
		}
	}
	ws->t0 = now_ns();
	for (i = 0; i < p->threads; i++) {
		ret = pthread_create(&ws->w[i].tid, NULL, writer_main, &ws->w[i]);
		if (ret) {
			ws->started = i;
			ds_writers_destroy(ws);
			return -ret;
		}
	}
	ws->started = p->threads;
	*out = ws;
	return 0;
}

uint64_t ds_writers_count(struct ds_writers *ws)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < ws->started; i++)
		n += __atomic_load_n(&ws->w[i].done, __ATOMIC_RELAXED);
	return n;
}

int ds_writers_error(struct ds_writers *ws)
{
	return __atomic_load_n(&ws->error, __ATOMIC_RELAXED);
}

int ds_writers_stop(struct ds_writers *ws)
{
	unsigned int i;

	if (!ws->joined) {
		pthread_mutex_lock(&ws->lock);
		__atomic_store_n(&ws->stop, 1, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&ws->wake);
		pthread_mutex_unlock(&ws->lock);
		for (i = 0; i < ws->started; i++)
			pthread_join(ws->w[i].tid, NULL);
		ws->joined = true;
	}
	return ds_writers_error(ws);
}

void ds_writers_destroy(struct ds_writers *ws)
{
	if (!ws)
		return;
	ds_writers_stop(ws);
	free_writers(ws);
}
