/* SPDX-License-Identifier: MIT */
/*
 * workloads/workload.h - generators of DMA activity against a container.
 *
 * Every workload has the same life: setup (attach what it needs, choose its
 * pages, touch no memory), populate (touch the memory its steps will write,
 * timed on its own so that page faults never land in a measurement), step
 * (one burst of activity between two harvests, optionally on several
 * threads at once), teardown (undo what setup and the steps did).
 *
 * Functions return 0 or a negative errno (the tracker's, when a tracker
 * call failed) and never print.
 */
#ifndef WORKLOADS_WORKLOAD_H
#define WORKLOADS_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One mapping of a device, as created in the container. */
struct ds_mapping {
	uint64_t iova;
	uint64_t size;
};

/*
 * A device: a window of IOVA backed one to one by memory (iova_base + x is
 * mem + x), and the mappings that cover it. Several workloads may share a
 * device; the harness runs their steps one after the other, never two
 * workloads' steps at once. A workload that creates or destroys mappings
 * (vIOMMU churn) keeps @mappings sorted and current; the others re-read it
 * at every step.
 */
struct ds_device {
	struct dt_container *c;
	uint64_t pgsize;
	uint64_t iova_base;
	uint64_t iova_size;
	uint8_t *mem;
	struct ds_mapping *mappings;
	size_t nmappings;
	size_t mappings_cap;
};

enum ds_pattern {
	DS_PATTERN_RANDOM,     /* uniform over the working set */
	DS_PATTERN_SEQUENTIAL, /* a cursor through the working set, in runs */
	DS_PATTERN_HOTCOLD,    /* hot_share % of the accesses go to hot_percent % of the pages */
	DS_PATTERN_STRIDED,    /* every stride-th page of the working set, one page further each lap */
};

/*
 * A tracking call a workload asks for (vIOMMU churn). Workloads only dirty
 * memory and plan: the harness makes these calls, times and records them,
 * so that a workload step never holds a measurement of its own.
 */
struct ds_churn_op {
	bool map;      /* true: MAP_DMA; false: UNMAP_DMA (with the bitmap while tracking) */
	uint64_t iova; /* the mapping's memory is the device's, at the same offset */
	uint64_t size;
};

struct ds_workload_params {
	uint64_t seed;
	unsigned int threads;	 /* step() is called with thread 0 .. threads-1 */
	uint64_t pages;		 /* per step, over all threads: pages pinned or written */
	uint64_t step_ns;	 /* > 0: each thread repeats its work for this long instead */
	enum ds_pattern pattern;
	unsigned int hot_percent; /* 1..100 */
	unsigned int hot_share;	  /* 0..100 */
	uint64_t working_set;	  /* pages drawn from, spread over the device; 0: all */
	uint64_t rw_bytes;	  /* bytes per DMA_RW write or device write (1 .. pgsize) */
	uint64_t stride;	  /* DS_PATTERN_STRIDED: pages from one access to the next (>= 1) */
	uint64_t churn;		  /* mappings destroyed and created per step (viommu) */
	uint64_t group;		  /* the group id this instance may attach */
	/* viommu: the kind of the group its device sits in (a vIOMMU guest's assigned device) */
	enum dt_group_kind group_kind;
	/*
	 * Set (non-zero) when the run must end: a step checks it as often as it
	 * reads the clock and returns early, so that Ctrl-C is obeyed within
	 * milliseconds whatever the step's size. NULL: never.
	 */
	const volatile int *stop;
};

struct ds_workload_ops {
	const char *name;
	const char *summary; /* one line for --help */
	bool threaded;	     /* step() may run on several threads at once */
	int (*setup)(struct ds_device *dev, const struct ds_workload_params *p, void **state);
	/* NULL when the workload writes no memory. */
	int (*populate)(void *state);
	/* @step counts from 0; thread < p->threads (always 0 when !threaded). */
	int (*step)(void *state, unsigned int thread, uint64_t step);
	/*
	 * NULL, or the tracking calls the last step planned, in order, in *@ops
	 * (owned by the workload, valid until the next step): the harness makes
	 * every one of them, in order, before the next step, and the workload's
	 * view of the device assumes they all succeed.
	 */
	size_t (*churn)(void *state, const struct ds_churn_op **ops);
	/*
	 * NULL, or how many distinct pages the workload wrote since the last
	 * call (or setup): what the device really dirtied, to set against
	 * what a harvest reports (the dirty amplification of large IO pages).
	 * Called between steps, never while one runs.
	 */
	uint64_t (*written)(void *state);
	/* Accepts a half-built state; NULL is allowed. */
	void (*teardown)(void *state);
};

/* The workloads, NULL-terminated: pinned, iommu, rw, viommu, idle, devwrite. */
extern const struct ds_workload_ops *const ds_workloads[];

/* The workload called @name, or NULL. */
const struct ds_workload_ops *ds_workload_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif
