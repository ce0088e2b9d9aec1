/* SPDX-License-Identifier: MIT */
/*
 * wl.h - what the workloads share: a seeded generator, the working set and
 * the page pickers, parameter checks.
 *
 * Nothing here is shared between threads: every thread of a threaded
 * workload owns its own struct wl_set and struct wl_picker, so a step needs
 * no lock of its own (the container serialises its calls itself).
 */
#ifndef WL_H
#define WL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <workloads/rand.h>
#include <workloads/workload.h>

/* Generator streams: the same seed gives each workload and thread its own pages. */
enum wl_stream {
	WL_STREAM_PINNED = 1,
	WL_STREAM_IOMMU = 2,
	WL_STREAM_RW = 3,
	WL_STREAM_VIOMMU = 4,
	WL_STREAM_DEVWRITE = 5,
};

/* Each (stream, thread) gets its own sequence of the one generator. */
void wl_rand_seed(struct ds_rand *r, uint64_t seed, enum wl_stream stream, unsigned int thread);

static inline uint64_t wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The working set as of the last refresh: @pages pages spread evenly over
 * the @total mapped pages of the device, in device order. Working-set page
 * k is mapped page k * total / pages; mapped page x lies in the mapping i
 * with cum[i] <= x < cum[i + 1].
 */
struct wl_set {
	const struct ds_mapping *m; /* the device's array, read at refresh */
	uint64_t *cum;		    /* n + 1 entries */
	size_t n, cap;
	uint64_t total;
	uint64_t pages;
	uint64_t hot; /* the first @hot pages are the hot ones */
	uint64_t pgsize;
	size_t hint; /* the mapping of the last lookup: most lookups hit it or the next */
};

/*
 * Re-read @dev->mappings. O(nmappings), measured at 1.6 ns a mapping (100 us
 * for 65535, the kernel's default limit): no dearer than telling whether
 * the array changed. Returns 0, -EINVAL (no mapping, or one that is
 * unaligned, out of order, overlapping or outside the device's window),
 * -ENOMEM.
 */
int wl_set_refresh(struct wl_set *s, const struct ds_device *dev,
		   const struct ds_workload_params *p);
void wl_set_release(struct wl_set *s);

/* The IOVA of working-set page @k < s->pages. O(1) when k follows the last lookup, else O(log n). */
uint64_t wl_set_iova(struct wl_set *s, uint64_t k);

/* Where a thread draws its pages from: its generator and its sequential cursor. */
struct wl_picker {
	struct ds_rand r;
	uint64_t cursor; /* next working-set page of the sequential pattern */
};

/* Seed the picker of @thread; its cursor starts at its share of the working set. */
void wl_picker_init(struct wl_picker *pk, const struct ds_workload_params *p,
		    enum wl_stream stream, unsigned int thread, uint64_t ws_pages);

/* The next working-set page by the pattern of @p. */
uint64_t wl_pick(struct wl_picker *pk, const struct wl_set *s, const struct ds_workload_params *p);

/* Pages of a count step that thread @t does: the remainder goes to the low threads. */
static inline uint64_t wl_share(const struct ds_workload_params *p, unsigned int t)
{
	return p->pages / p->threads + (t < p->pages % p->threads);
}

/* Checks shared by the setups: 0 or -EINVAL. */
int wl_check_device(const struct ds_device *dev);
/* threads, pattern, hot_percent, hot_share, and pages or step_ns. */
int wl_check_pattern(const struct ds_workload_params *p);

/*
 * Run @fn on each page of thread @t's share of a step or, with p->step_ns,
 * until p->step_ns after @t0 (the step's start), reading the clock every
 * @clock_every pages. Returns 0 or the first error.
 */
int wl_for_pages(struct wl_set *s, struct wl_picker *pk, const struct ds_workload_params *p,
		 unsigned int t, uint64_t t0, unsigned int clock_every,
		 int (*fn)(void *arg, uint64_t iova), void *arg);

/*
 * Write one byte of every page of the current working set in @s, so that no
 * step takes a page fault. 0 or -errno (refreshing the set).
 */
int wl_touch(struct wl_set *s, const struct ds_device *dev, const struct ds_workload_params *p);

/* The workloads, for registry.c. */
extern const struct ds_workload_ops ds_workload_pinned;
extern const struct ds_workload_ops ds_workload_iommu;
extern const struct ds_workload_ops ds_workload_rw;
extern const struct ds_workload_ops ds_workload_viommu;
extern const struct ds_workload_ops ds_workload_idle;
extern const struct ds_workload_ops ds_workload_devwrite;

/* Per-thread state on its own cache lines: @n objects of @size, zeroed; NULL on failure. */
void *wl_alloc_threads(unsigned int n, size_t size);

#endif
