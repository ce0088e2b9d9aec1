/* SPDX-License-Identifier: MIT */
/*
 * model.h - the model backend's state: the kernel's vfio_iommu, vfio_dma
 * and vfio_pfn, in user space.
 */
#ifndef DT_MODEL_H
#define DT_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <bsd/sys/tree.h>

#include <dirtytrack/dirtytrack.h>

#include "harvest.h"

/* One pinned page of a mapping and its reference count (the kernel's vfio_pfn). */
struct model_pin {
	RB_ENTRY(model_pin) node;
	uint64_t page; /* index within the mapping */
	uint32_t count;
};
RB_HEAD(model_pin_tree, model_pin);

/* One successful MAP (the kernel's vfio_dma). */
struct model_mapping {
	RB_ENTRY(model_mapping) node;
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t prot;
	uint64_t npages;
	/* While tracking: the harvest's dirty state of this mapping (harvest.h); else NULL. */
	void *track;
	/* Unmapped, waiting for the grace period before it is freed (concurrent mode). */
	struct model_mapping *next_free;
	struct model_pin_tree pins;
	/* The largest IO page it may use (model_hw.c). */
	uint64_t io_max;
	/* DT_TRACK_HW while the IOMMU tracks: its IO pages' dirty bits (model_hw.c); else NULL. */
	void *hw;
};
RB_HEAD(model_mapping_tree, model_mapping);

/* The mappings, sorted, as the lock-free marking path reads them (model_index.c). */
struct model_index {
	size_t n;
	struct model_mapping *m[];
};

struct model_group {
	uint64_t id;
	enum dt_group_kind kind;
	unsigned int devices;
	bool scoped; /* its dirtying is limited to the pages it pins */
};

struct model {
	/* Serialises every operation, as the kernel's iommu->lock does. */
	pthread_mutex_t lock;
	uint64_t pgsize;
	unsigned int pgshift;
	uint32_t dma_limit;
	uint32_t nmappings;
	bool v2;
	/*
	 * Read without the lock by the concurrent marking path (atomically);
	 * written under the lock.
	 */
	bool tracking;
	/*
	 * DMA_RW marks without the lock (harvests that mark atomically): the
	 * mapping look-up goes through @index under RCU, and whatever a marker
	 * may still hold is freed after a grace period.
	 */
	bool concurrent;
	struct model_index *index;
	/*
	 * ThreadSanitizer's token for "a read section ended before this grace
	 * period did" (model_index.c). Not @index: a release store to @index
	 * would overwrite, not join, what the readers released there.
	 */
	char grace;
	bool profile;
	/* --compat: clear only a mapping's own pages after a shifted report, as 6.1 does. */
	bool stale_bits;
	/* --compat: no IOMMU (-EINVAL) without a group; the last detach releases it (compat.h). */
	bool group_required;
	/* --compat: a NULL bitmap fails only when a mapping is reported (compat.h). */
	bool efault_on_copy;
	/* --compat: a v1 container's unmap follows the kernel's v1 rules (compat.h). */
	bool v1_unmap;
	struct model_mapping_tree mappings;
	struct model_group *groups;
	size_t ngroups;
	/* Groups without pinned-page scope: the container is in scope at 0. */
	unsigned int unscoped;
	const struct dt_harvest_ops *harvest;
	struct dt_profile prof;
	/* The tracking mode (hwdirty.h) and the state of the second and third. */
	enum dt_track_mode mode;
	uint64_t io_pgsize;	  /* a mapping's largest IO page when MAP does not say */
	bool hw_tracking;	  /* DT_TRACK_HW: the IOMMU sets dirty bits (model_hw.c) */
	uint32_t log_max_ranges;  /* DT_TRACK_DMALOG: the device's limit, 0 for none */
	struct model_dmalog *log; /* DT_TRACK_DMALOG while the device logs (model_dmalog.c) */
};

RB_PROTOTYPE(model_mapping_tree, model_mapping, node, model_mapping_cmp)
RB_PROTOTYPE(model_pin_tree, model_pin, node, model_pin_cmp)

static inline uint64_t model_words(uint64_t npages)
{
	return npages / 64 + (npages % 64 != 0);
}

/* The mapping that holds @addr, or NULL. */
struct model_mapping *model_mapping_find(struct model *md, uint64_t addr);
/* The first mapping that starts at or after @iova, or NULL (O(log n)). */
struct model_mapping *model_mapping_from(struct model *md, uint64_t iova);
/* Free a mapping's dirty state, its pins, and the mapping. */
void model_mapping_free(struct model *md, struct model_mapping *m);
/* Mark every page of every mapping dirty (tracking is on). */
void model_mark_all(struct model *md);

/*
 * Check a bitmap descriptor against a request of @size bytes, as the
 * kernel's verify_bitmap_size does, with the bitmap's own page size.
 */
int model_bitmap_verify(const struct dt_bitmap *bm, uint64_t size);

/*
 * Publishing the mappings to the marking path, in two steps so that a
 * failure changes nothing: prepare (before MAP or UNMAP changes the tree)
 * allocates room for @extra more mappings, NULL when out of memory or
 * when md->concurrent is off; commit (after) fills it from the tree,
 * publishes it and frees the previous array after a grace period.
 */
struct model_index *model_index_prepare(struct model *md, size_t extra);
void model_index_commit(struct model *md, struct model_index *ix);
/* Wait until no marker can hold what was unpublished (no-op unless md->concurrent). */
void model_index_wait(struct model *md);
void model_index_free(struct model *md);
/*
 * The marking path's read side: the current index, and the end of the read
 * (which ThreadSanitizer must be told of: it cannot see that a grace
 * period orders the reads before the frees that follow it).
 */
const struct model_index *model_index_read(struct model *md);
void model_index_read_done(struct model *md);
/* The mapping of @ix that holds @addr, or NULL; under rcu_read_lock. */
struct model_mapping *model_index_find(const struct model_index *ix, uint64_t addr);

/*
 * --compat group_required: is the container without an IOMMU (no group)?
 * Takes the lock: the answer holds for the start of the calling operation.
 */
bool model_no_iommu(struct model *md);

/*
 * --compat efault_on_copy: what a kernel leaves behind when reporting @m at
 * bit @bit_offset into a bad pointer fails: the mapping marked when out of
 * scope, and its bits shifted in place when the offset is not word-aligned
 * (the failed read of the user's first word comes after the shift).
 */
void model_report_fault(struct model *md, struct model_mapping *m, uint64_t bit_offset);

/* Does no mapping stick out of [iova, last]? (the range does not bisect one) */
bool model_range_whole(struct model *md, uint64_t iova, uint64_t last);

int model_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot);
int model_dma_map_io(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot,
		     uint64_t io_pgsize);
int model_dma_unmap(void *state, struct dt_dma_unmap *u);
int model_pin(void *state, uint64_t group, uint64_t iova, uint64_t npages, uint32_t prot);
int model_unpin(void *state, uint64_t group, uint64_t iova, uint64_t npages);
int model_dma_rw(void *state, uint64_t iova, void *buf, size_t len, bool write);
int model_dirty_pages(void *state, const struct dt_dirty_pages *req);
struct model_group *model_group_find(struct model *md, uint64_t id);

/*
 * The second and third modes (model_hw.c, model_dmalog.c), under the lock
 * unless said. model_modes_configure() checks and takes the config's mode,
 * io_pgsize and log_max_ranges (-EINVAL, -EOPNOTSUPP with a compat mode);
 * model_io_max() resolves a MAP's io_pgsize (0: the container's) or says
 * -EINVAL; model_hw_track() gives a mapping its IO pages' dirty bits while
 * the IOMMU tracks (-ENOMEM), model_hw_untrack() frees them (none: nothing);
 * model_dmalog_mark() logs a device write of [iova, last], checked;
 * model_dmalog_free() forgets the log (destroy).
 */
int model_modes_configure(struct model *md, const struct dt_container_config *cfg);
int model_io_max(const struct model *md, uint64_t io_pgsize, uint64_t *out);
int model_hw_track(struct model *md, struct model_mapping *m);
void model_hw_untrack(struct model_mapping *m);
void model_dmalog_mark(struct model *md, uint64_t iova, uint64_t last);
void model_dmalog_free(struct model *md);
int model_device_write(void *state, uint64_t iova, uint64_t len);
int model_hw_set_dirty_tracking(void *state, bool enable);
int model_hw_dirty_bitmap(void *state, const struct dt_hw_dirty_bitmap *req);
int model_dmalog_start(void *state, const struct dt_dmalog_range *ranges, uint32_t nranges,
		       uint64_t page_size);
int model_dmalog_stop(void *state);
int model_dmalog_report(void *state, uint64_t iova, uint64_t length, uint64_t page_size,
			void *data);
int model_dmalog_ranges(void *state, struct dt_dmalog_range *out, size_t max);

/*
 * Phase timing for the profiler view; a test of one flag when profiling is
 * off. @phase indexes the harvest's own phase names.
 */
static inline uint64_t model_phase_begin(const struct model *md)
{
	struct timespec ts;

	if (!md->profile)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void model_phase_end(struct model *md, unsigned int phase, uint64_t t0)
{
	struct timespec ts;

	if (!md->profile)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	md->prof.ns[phase] += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - t0;
	md->prof.calls[phase]++;
}

#endif
