/* SPDX-License-Identifier: MIT */
/*
 * dirtytrack/dirty.h - dirty page tracking: START/STOP, GET_BITMAP and the
 * migration capability of a container (see container.h for the contract
 * on errors and concurrency that every function here shares).
 */
#ifndef DIRTYTRACK_DIRTY_H
#define DIRTYTRACK_DIRTY_H

#include <dirtytrack/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One tracked mapping may have at most INT_MAX pages ... */
#define DT_DIRTY_BITMAP_PAGES_MAX 2147483647ull
/* ... so a bitmap is at most the bitmap bytes of INT_MAX pages: 256 MiB. */
#define DT_DIRTY_BITMAP_SIZE_MAX 268435456ull

/* Bytes of a bitmap for @npages pages: whole 64-bit words. */
static inline uint64_t dt_bitmap_bytes(uint64_t npages)
{
	return (npages / 64 + (npages % 64 != 0)) * 8;
}

/* VFIO_IOMMU_DIRTY_PAGES flags: exactly one per request. */
#define DT_DIRTY_START (1u << 0)
#define DT_DIRTY_STOP (1u << 1)
#define DT_DIRTY_GET_BITMAP (1u << 2)

/*
 * The VFIO_IOMMU_DIRTY_PAGES request: vfio_iommu_type1_dirty_bitmap and,
 * for GET_BITMAP, its vfio_iommu_type1_dirty_bitmap_get payload.
 */
struct dt_dirty_pages {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova; /* GET_BITMAP only */
	uint64_t size; /* GET_BITMAP only */
	struct dt_bitmap bitmap;
};
#define DT_DIRTY_PAGES_ARGSZ 8u	     /* argsz, flags */
#define DT_DIRTY_PAGES_GET_ARGSZ 48u /* ... iova, size, bitmap descriptor */

/*
 * VFIO_IOMMU_DIRTY_PAGES, checked as the kernel checks it.
 * Returns 0, -EACCES (v1 container), -EINVAL (argsz, flags, and for
 * GET_BITMAP: wrap-around; a bitmap size of 0, too small for size/pgsize
 * pages or above DT_DIRTY_BITMAP_SIZE_MAX; a pgsize other than the
 * container's; unaligned iova or size; size 0; tracking off; a bisected
 * mapping; for START: a mapping of more than INT_MAX pages), -EFAULT (NULL
 * bitmap data with a non-zero size), -ENOMEM.
 * START when started and STOP when stopped succeed and do nothing. A START
 * that fails leaves tracking off and no bitmap allocated.
 * GET_BITMAP writes the bits of each mapping in the range at bit
 * (mapping.iova - iova) / pgsize of @req->bitmap.data, which must arrive
 * zero-filled, then clears the mapping's bitmap (pinned pages stay dirty).
 */
int dt_dirty_pages(struct dt_container *c, const struct dt_dirty_pages *req);

/* dt_dirty_pages() with DT_DIRTY_START, DT_DIRTY_STOP, DT_DIRTY_GET_BITMAP. */
int dt_dirty_start(struct dt_container *c);
int dt_dirty_stop(struct dt_container *c);
int dt_get_bitmap(struct dt_container *c, uint64_t iova, uint64_t size,
		  const struct dt_bitmap *bitmap);

/* VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, laid out as the kernel's struct. */
#define DT_CAP_MIGRATION_ID 2
#define DT_CAP_MIGRATION_VERSION 1
struct dt_cap_migration {
	uint16_t id;
	uint16_t version;
	uint32_t next;
	uint32_t flags;
	/* 4 bytes of padding here, written as zero (a kernel once leaked stack) */
	uint64_t pgsize_bitmap;
	uint64_t max_dirty_bitmap_size;
};

struct dt_info {
	uint64_t pgsize_bitmap; /* the container's page sizes */
	uint32_t dma_avail;	/* mappings that may still be created */
	struct dt_cap_migration migration;
};

/*
 * VFIO_IOMMU_GET_INFO. Every byte of *@info is written, padding included.
 * Returns 0 or -EINVAL (NULL @info); vfio: or the kernel's errno (-EINVAL
 * before a group is attached: a container has no IOMMU until then), and
 * -ENOMEM. A kernel without a capability leaves its fields zero
 * (migration.id 0 means no migration capability).
 */
int dt_info_get(struct dt_container *c, struct dt_info *info);

#ifdef __cplusplus
}
#endif

#endif
