/* SPDX-License-Identifier: MIT */
/*
 * dirtytrack/profile.h - where a harvest spends its time.
 *
 * With dt_container_config.profile set, the reference harvest times each
 * of its phases with CLOCK_MONOTONIC and adds the nanoseconds to per-phase
 * counters of the container. The counters belong to the container and are
 * updated under its lock, so a reader on another thread sees whole updates.
 */
#ifndef DIRTYTRACK_PROFILE_H
#define DIRTYTRACK_PROFILE_H

#include <dirtytrack/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The phases of the kernel's harvest, in the order it runs them per mapping. */
enum dt_phase {
	DT_PHASE_SET_ALL,    /* out of scope: mark the whole mapping dirty */
	DT_PHASE_SHIFT,	     /* shift the mapping's bitmap to the user's bit offset */
	DT_PHASE_LEFTOVER,   /* read the user's first word back and OR it in */
	DT_PHASE_COPY,	     /* copy whole words to the user's bitmap */
	DT_PHASE_CLEAR,	     /* clear the mapping's bitmap */
	DT_PHASE_REPOPULATE, /* set the still-pinned pages again */
	DT_PHASE_COUNT
};

/* "set_all", "shift", "leftover", "copy", "clear", "repopulate"; NULL when out of range. */
const char *dt_phase_name(enum dt_phase phase);

struct dt_profile {
	uint64_t ns[DT_PHASE_COUNT];	/* time spent in each phase */
	uint64_t calls[DT_PHASE_COUNT]; /* how many times each phase ran */
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
