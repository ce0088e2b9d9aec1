/* SPDX-License-Identifier: MIT */
/*
 * writers.h - the running VM of a migration: threads that keep writing
 * real bytes into the source's region, at a paced rate and a page pattern
 * as `dirtyscope run`'s workloads choose them (random, sequential, hotcold
 * over a working set). They write through the container's DMA_RW (a device
 * emulator writing guest memory: the model marks the pages dirty), or with
 * plain stores into the memory, which a backend that tracks real writes
 * (uffd: the host kernel's page tables) sees by itself.
 *
 * The rate counts page writes: each write lands in one page and changes
 * it (an 8-byte stamp, unique to the thread and the write, repeated over
 * rw_bytes at a random offset), so a page the destination holds from
 * before its last write never matches the source. With the sequential
 * pattern the writes are distinct pages until the working set wraps; the
 * random and hotcold ones come back to pages already dirty, which dirties
 * nothing new (docs/migrate.md, "The dirty rate").
 *
 * Pacing: thread k of n has written floor(t x rate / n / page) pages t
 * seconds after the start; it sleeps at least 1 ms between bursts, so a
 * burst is the pages that fell due meanwhile. A thread that falls behind
 * (descheduled) catches up at once, so the rate holds over any second.
 *
 * Concurrency: ds_writers_count() may be called from any thread while the
 * writers run; ds_writers_stop() must be called by one thread, once.
 */
#ifndef DS_WRITERS_H
#define DS_WRITERS_H

#include <stdbool.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>
#include <workloads/workload.h>

struct ds_writer_params {
	struct dt_container *c;
	uint64_t iova_base;
	/* NULL: write through dt_dma_rw(); else store into this memory (iova_base's). */
	uint8_t *mem;
	uint64_t page_bytes;
	uint64_t pages;	   /* of the device */
	uint64_t ws_pages; /* drawn from, spread evenly over the device; <= pages */
	enum ds_pattern pattern;
	unsigned int hot_percent, hot_share;
	uint64_t rate; /* bytes/s of page writes, over all threads */
	uint64_t rw_bytes; /* a multiple of 8, at most a page */
	unsigned int threads;
	uint64_t seed;
	/*
	 * NULL, or one slot per page of the device: when the latest write of
	 * the page began (CLOCK_MONOTONIC ns), kept for the drop-bit fault
	 * hook, which must know a page is stale. Read it after ds_writers_stop().
	 */
	uint64_t *write_ns;
};

struct ds_writers;

/*
 * Start the threads; they write until ds_writers_stop(). Returns 0, or
 * -EINVAL (bad parameters), -ENOMEM, -errno of pthread_create (the
 * threads already started are stopped).
 */
int ds_writers_start(const struct ds_writer_params *p, struct ds_writers **out);

/* Page writes so far, all threads. */
uint64_t ds_writers_count(struct ds_writers *w);

/* The first error a writer met (its DMA_RW failed and it stopped), or 0. */
int ds_writers_error(struct ds_writers *w);

/* Stop every thread and wait for it: the "VM pause". Returns ds_writers_error(). */
int ds_writers_stop(struct ds_writers *w);

/* Stop if needed, and free; NULL is allowed. */
void ds_writers_destroy(struct ds_writers *w);

#endif
