// SPDX-License-Identifier: MIT
/* pool.c - threads that step together, separated by barriers. */
#include <errno.h>
#include <numa.h>
#include <stdlib.h>

#include "pool.h"

struct ds_worker {
	struct ds_pool *pool;
	unsigned int index;
	pthread_t thread;
};

struct ds_pool {
	unsigned int threads;
	int node;
	pthread_barrier_t go, done;
	/* Workers start stepping only once all exist, so a failed create can undo. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool launched;
	/* Written by the caller before `go`, read by the workers after it. */
	ds_pool_fn fn;
	void *arg;
	uint64_t step;
	bool quit;
	int *errors;
	struct ds_worker *workers;
};

static void *worker_main(void *arg)
{
	struct ds_worker *w = arg;
	struct ds_pool *p = w->pool;

	bool quit;

	if (p->node >= 0)
		numa_run_on_node(p->node);
	pthread_mutex_lock(&p->lock);
	while (!p->launched && !p->quit)
		pthread_cond_wait(&p->cond, &p->lock);
	quit = p->quit;
	pthread_mutex_unlock(&p->lock);
	if (quit)
		return NULL;
	for (;;) {
		pthread_barrier_wait(&p->go);
		if (p->quit)
			return NULL;
		p->errors[w->index] = p->fn(p->arg, w->index, p->step);
		pthread_barrier_wait(&p->done);
	}
}

static void pool_free(struct ds_pool *p)
{
	pthread_barrier_destroy(&p->go);
	pthread_barrier_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->errors);
	free(p->workers);
	free(p);
}

int ds_pool_create(struct ds_pool **out, unsigned int threads, int node)
{
	struct ds_pool *p;
	unsigned int i;
	int ret = 0;

	if (threads == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->threads = threads;
	p->node = node;
	p->errors = calloc(threads, sizeof(*p->errors));
	p->workers = calloc(threads, sizeof(*p->workers));
	if (!p->errors || !p->workers) {
		free(p->errors);
		free(p->workers);
		free(p);
		return -ENOMEM;
	}
	pthread_barrier_init(&p->go, NULL, threads);
	pthread_barrier_init(&p->done, NULL, threads);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (i = 1; i < threads; i++) {
		p->workers[i].pool = p;
		p->workers[i].index = i;
		ret = pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
		if (ret)
			break;
	}
	pthread_mutex_lock(&p->lock);
	if (i < threads)
		p->quit = true;
	else
		p->launched = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (i < threads) {
		while (--i > 0)
			pthread_join(p->workers[i].thread, NULL);
		pool_free(p);
		return -ret;
	}
	*out = p;
	return 0;
}

int ds_pool_run(struct ds_pool *p, ds_pool_fn fn, void *arg, uint64_t step)
{
	unsigned int i;

	p->fn = fn;
	p->arg = arg;
	p->step = step;
	if (p->threads > 1)
		pthread_barrier_wait(&p->go);
	p->errors[0] = fn(arg, 0, step);
	if (p->threads > 1)
		pthread_barrier_wait(&p->done);
	for (i = 0; i < p->threads; i++)
		if (p->errors[i] < 0)
			return p->errors[i];
	return 0;
}

void ds_pool_destroy(struct ds_pool *p)
{
	unsigned int i;

	if (!p)
		return;
	if (p->threads > 1) {
		p->quit = true;
		pthread_barrier_wait(&p->go);
		for (i = 1; i < p->threads; i++)
			pthread_join(p->workers[i].thread, NULL);
	}
	pool_free(p);
}

