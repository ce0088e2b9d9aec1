/* SPDX-License-Identifier: MIT */
/*
 * source.h - the source side of a migration: the device's region (real
 * memory, filled with seeded bytes), the container that tracks it (one
 * mediated group, the region cut into equal mappings), the harvests, and
 * the sending of pages and device state over the link.
 *
 * Pages to send are kept in a bitmap of their own (@pending): each harvest
 * is ORed into it and each send takes pages out of it, so the stop-and-copy
 * sends the union of what the last pre-copy harvest and the final one
 * reported, as QEMU's RAM bitmap does.
 *
 * One thread drives a source; only the writers (writers.h) touch its
 * region meanwhile, through the container.
 */
#ifndef DS_SOURCE_H
#define DS_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

#include "link.h"

struct ds_source_params {
	const char *backend, *harvest;
	uint64_t device_bytes, page_bytes, mappings, state_bytes, seed;
	bool track_sends; /* keep when each page was last copied out, and written (the drop-bit hook) */
	/* Filling a large region takes seconds: a set flag ends it with -ECANCELED. */
	const volatile int *stop;
};

struct ds_source {
	struct dt_container *c;
	uint8_t *mem;
	uint64_t bytes, pages, page_bytes, iova_base, mappings;
	uint64_t words;	   /* of a bitmap of the device */
	uint64_t *harvest; /* the user's buffer of the last GET_BITMAP */
	uint64_t *pending; /* pages reported dirty and not sent since */
	uint8_t *state;
	uint64_t state_bytes;
	uint8_t *batch; /* one PAGES message */
	/* With track_sends, per page: when its last copy for a send ended, when its last write began. */
	uint64_t *sent_ns, *write_ns;
	bool tracking;
};

/*
 * Build the source: region, container, group, mappings. Returns 0, or
 * -errno with *@what naming the step that failed ("mmap", "container",
 * "MAP_DMA", ...); -ECANCELED when *p->stop was set while it filled the
 * region.
 */
int ds_source_create(const struct ds_source_params *p, struct ds_source **out,
		     const char **what);
void ds_source_destroy(struct ds_source *s);

/* Dirty tracking START / STOP: 0 or the tracker's -errno. */
int ds_source_start(struct ds_source *s);
int ds_source_stop(struct ds_source *s);

/*
 * One merged GET_BITMAP of the device into s->harvest, timed alone, its
 * pages ORed into s->pending. Returns 0 or the tracker's -errno; *@ns is
 * the call's time, *@dirty the pages it reported.
 */
int ds_source_harvest(struct ds_source *s, uint64_t *ns, uint64_t *dirty);

/*
 * Send every page (@all, round 0) or the pending ones (taking them out of
 * s->pending) as PAGES messages of @round through the paced link.
 * Returns 0 or the link's -errno; *@pages counts the pages sent.
 */
int ds_source_send_pages(struct ds_source *s, struct ds_link *l, uint32_t round, bool all,
			 uint64_t *pages);

/* The device state as one STATE message, paced: 0 or -errno. */
int ds_source_send_state(struct ds_source *s, struct ds_link *l);

/* Pages pending. */
uint64_t ds_source_pending(const struct ds_source *s);

/*
 * The drop-bit fault hook: take out of s->pending, unsent, the first page
 * the destination certainly holds an older copy of: one whose last write
 * began after its last copy for a send ended (s->write_ns, filled by the
 * writers, must be final: call it after they stopped). Returns the page,
 * or -1 when no pending page is certainly stale (nothing is dropped).
 */
int64_t ds_source_drop_stale(struct ds_source *s);

/* The checksum of every page (into @sums, s->pages of them) and of the state. */
void ds_source_sums(const struct ds_source *s, uint64_t *sums, uint64_t *state_sum);

#endif
