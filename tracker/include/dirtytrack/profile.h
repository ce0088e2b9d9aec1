/* SPDX-License-Identifier: MIT */
/*
 * dirtytrack/profile.h - where a harvest spends its time.
 *
 * With profiling on, the model's harvest times each of its phases with
 * CLOCK_MONOTONIC and adds the nanoseconds to per-phase counters of the
 * container. Each harvest implementation names its own phases (the
 * `reference` one: walk, set_all, shift, leftover, copy, clear,
 * repopulate), so a reader takes the names from the profile it reads.
 * The counters belong to the container and are updated under its lock, so
 * a reader on another thread sees whole updates.
 */
#ifndef DIRTYTRACK_PROFILE_H
#define DIRTYTRACK_PROFILE_H

#include <dirtytrack/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* No harvest has more phases than this. */
#define DT_PROFILE_PHASES_MAX 8

struct dt_profile {
	unsigned int nphases;			    /* phases of the container's harvest */
	const char *names[DT_PROFILE_PHASES_MAX];   /* static strings, in the order a harvest runs them */
	uint64_t ns[DT_PROFILE_PHASES_MAX];	    /* time spent in each phase */
	uint64_t calls[DT_PROFILE_PHASES_MAX];	    /* how many times each phase ran */
	/*
	 * Mapping-tree nodes that GET_BITMAP requests visited to find their
	 * mappings. The reference harvest walks from the first mapping, as
	 * the kernel's vfio_iova_dirty_bitmap() does, so this is the kernel's
	 * count: every mapping below the request, every one in it, and the
	 * first one above it. Counted whether or not phases are timed.
	 */
	uint64_t walk_nodes;
};

/*
 * Turn phase timing on or off (it starts as dt_container_config.profile
 * says), so that one container can be measured both ways: the clock reads
 * cost about 2 x 20 ns a phase, too much to leave in a timed call.
 * Returns 0, -EINVAL (NULL), -EOPNOTSUPP (a backend without phases).
 */
int dt_profile_set(struct dt_container *c, bool on);

/*
 * Copy the counters into *@out and zero them.
 * Returns 0, -EINVAL (NULL argument), -EOPNOTSUPP (profiling not enabled,
 * or a backend whose harvest has no phases to time).
 */
int dt_profile_take(struct dt_container *c, struct dt_profile *out);

#ifdef __cplusplus
}
#endif

#endif
