/* SPDX-License-Identifier: MIT */
/*
 * pool.h - a fixed set of threads that run one function together and wait
 * for each other: the workload step of every thread, then the harvest on
 * the caller's thread alone.
 */
#ifndef DS_POOL_H
#define DS_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef int (*ds_pool_fn)(void *arg, unsigned int thread, uint64_t step);

struct ds_pool;

/* @threads >= 1; thread 0 is the caller's. @node >= 0 runs them on that NUMA node. 0 or -errno. */
int ds_pool_create(struct ds_pool **out, unsigned int threads, int node);

/* Run fn(arg, t, step) on every thread t; returns the first error any returned, else 0. */
int ds_pool_run(struct ds_pool *p, ds_pool_fn fn, void *arg, uint64_t step);

void ds_pool_destroy(struct ds_pool *p);

#endif
