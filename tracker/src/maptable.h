/* SPDX-License-Identifier: MIT */
/*
 * maptable.h - the type1 request rules for backends that keep their own
 * list of mappings in user space (uffd, iommufd): the kernel they drive
 * does not know what a type1 mapping is (userfaultfd sees virtual memory,
 * iommufd's IOAS has no bisect or argsz rules), so the rules of
 * SEMANTICS.md §1-§3 are checked here, in the order docs/semantics.md
 * gives, before anything reaches the kernel. The model has its own copy of
 * these rules, on its own tree: this one is a sorted array, which is all a
 * backend whose costs are in the kernel needs.
 *
 * Not thread-safe: the backend holds its lock around every call.
 */
#ifndef DT_MAPTABLE_H
#define DT_MAPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dirtytrack/dirtytrack.h>

struct mt_mapping {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
	uint32_t prot;
};

struct mt_table {
	struct mt_mapping *m; /* sorted by iova; mappings never overlap */
	size_t n;
	size_t cap;
	uint64_t pgsize;
	unsigned int pgshift;
	uint32_t dma_limit;
	bool v2;
};

/* An empty table. Returns 0 or -EINVAL (pgsize not a power of two >= 4096). */
int mt_init(struct mt_table *t, uint64_t pgsize, uint32_t dma_limit, bool v2);
void mt_fini(struct mt_table *t);

/* The index of the first mapping that starts at or after @iova (t->n if none). */
size_t mt_lower(const struct mt_table *t, uint64_t iova);
/* The mapping that holds @addr, or NULL. */
const struct mt_mapping *mt_find(const struct mt_table *t, uint64_t addr);
/* The mappings wholly inside [iova, last]: indices [*first, *end). */
void mt_span(const struct mt_table *t, uint64_t iova, uint64_t last, size_t *first, size_t *end);

/*
 * MAP_DMA's checks: -EINVAL (prot, size 0, alignment, wrap-around; with
 * @tracking, more than INT_MAX pages), -EEXIST (overlaps a mapping's IOVA;
 * with @exclusive_vaddr, also its memory), -ENOSPC (dma_limit).
 */
int mt_map_check(const struct mt_table *t, uint64_t iova, uint64_t size, uint64_t vaddr,
		 uint32_t prot, bool tracking, bool exclusive_vaddr);
/* Insert a checked mapping. Returns 0 or -ENOMEM (nothing changed). */
int mt_insert(struct mt_table *t, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot);
/* Remove the mappings [first, end). */
void mt_remove(struct mt_table *t, size_t first, size_t end);

/*
 * UNMAP_DMA's checks, all of them: -EINVAL (argsz, flags, alignment,
 * wrap, a bisected mapping, a bad bitmap, tracking off with GET_DIRTY),
 * -EOPNOTSUPP (VADDR), -EFAULT (NULL bitmap data). On success the mappings
 * to remove are [*first, *end).
 */
int mt_unmap_check(const struct mt_table *t, const struct dt_dma_unmap *u, bool tracking,
		   size_t *first, size_t *end);

/*
 * VFIO_IOMMU_DIRTY_PAGES's checks, all of them: -EACCES (v1), -EINVAL,
 * -EFAULT (NULL bitmap data for GET_BITMAP). For GET_BITMAP the mappings to
 * report are [*first, *end) (may be NULL for START and STOP).
 */
int mt_dirty_check(const struct mt_table *t, const struct dt_dirty_pages *req, bool tracking,
		   size_t *first, size_t *end);

/* -EINVAL if tracking @t's mappings needs more than INT_MAX pages in one of them (START). */
int mt_track_check(const struct mt_table *t);

/*
 * DMA_RW's checks: -EINVAL (NULL @buf with len > 0, a byte outside every
 * mapping, wrap-around), -EPERM (a mapping lacks the permission), in byte
 * order as the model does. len 0 is fine.
 */
int mt_rw_check(const struct mt_table *t, uint64_t iova, const void *buf, uint64_t len,
		bool write);

/* GET_INFO as the model answers it: every byte written, padding included. */
void mt_info(const struct mt_table *t, struct dt_info *info);

#endif
