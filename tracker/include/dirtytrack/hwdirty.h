/* SPDX-License-Identifier: MIT */
/*
 * dirtytrack/hwdirty.h - what a device writes, and the two trackers that
 * see it: the IOMMU's dirty bits (../shared/SEMANTICS.md §5, iommufd's
 * IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP) and the
 * device's own DMA logging (§6, VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
 * _STOP and _REPORT). docs/semantics.md states the rulings where those
 * texts are silent.
 *
 * Under type1 a device behind an IOMMU writes memory unseen: the container
 * can only report every mapped page dirty. A container created with
 * dt_container_config.mode = DT_TRACK_HW sees each write as the IOMMU does,
 * one dirty bit per IO page table entry, so a write of one byte dirties
 * the whole IO page that holds it (4 KiB, 2 MiB or 1 GiB): the dirty
 * amplification of large IO pages. DT_TRACK_DMALOG keeps the type1
 * container and adds the device's logger, which tracks the ranges it was
 * told to at the page size it was told.
 *
 * Bitmaps here are the kernel's iova_bitmap: the caller's buffer may start
 * at any byte; bit n stands for the n-th page of the request and is bit
 * n % 8 of byte n / 8 (on a little-endian machine, the same bit as in
 * 64-bit words). The call only ever sets bits: it never clears one and
 * writes no byte that holds none of its pages' bits, so the caller zeroes
 * the buffer (or merges several requests into one buffer). It needs
 * ceil(length / page_size / 8) bytes; a real iommufd pins whole 64-bit
 * words from @data, so give it dt_bitmap_bytes(length / page_size).
 *
 * Every function returns 0 or a negative errno and changes nothing when it
 * fails. A call of a mode the container is not in answers -EOPNOTSUPP, as
 * does a backend other than the model.
 *
 * Concurrency: as container.h: every function may be called from any
 * thread at any time on any container but one being destroyed; the model
 * serialises the calls of one container on its lock (a real IOMMU sets its
 * dirty bits without one: the model's cost of a device write is not what
 * it measures).
 */
#ifndef DIRTYTRACK_HWDIRTY_H
#define DIRTYTRACK_HWDIRTY_H

#include <dirtytrack/container.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The IO page sizes of the model's IOMMU above the container's pgsize (x86's). */
#define DT_IO_PGSIZE_2M (2ull << 20)
#define DT_IO_PGSIZE_1G (1ull << 30)

/*
 * MAP_DMA with the largest IO page the mapping may use: the container's
 * pgsize, or DT_IO_PGSIZE_2M or DT_IO_PGSIZE_1G when above it; 0 means
 * dt_container_config.io_pgsize. The IOMMU maps each part of the mapping
 * with the largest of those pages that is aligned there and fits, as the
 * kernel's iommu_map() does (the model's memory counts as physically as
 * aligned as its IOVA, a guest backed by hugepages): a 2 MiB-aligned
 * mapping of 4 MiB + 4 KiB has two 2 MiB IO pages and one of 4 KiB.
 * Only DT_TRACK_HW reads the IO pages; the other modes keep the value.
 * Returns as dt_dma_map(), and -EINVAL for another @io_pgsize.
 * Concurrency: as dt_dma_map().
 */
int dt_dma_map_io(struct dt_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
		  uint32_t prot, uint64_t io_pgsize);

/*
 * A device's DMA write of the bytes [iova, iova+len): what the device does,
 * not what the container is told. The bytes themselves are the caller's to
 * write (a device's DMA goes to memory without the container). While the
 * IOMMU tracks (DT_TRACK_HW), the IO page of every byte becomes dirty;
 * while the device logs (DT_TRACK_DMALOG), every tracking page of its
 * logged ranges that a byte lies in does. Under DT_TRACK_TYPE1 the write is
 * invisible, as a real device's is (an IOMMU group without pinned-page
 * scope makes every page dirty instead).
 * Returns 0 (len 0 does nothing), -EINVAL (a byte outside every mapping,
 * or past 2^64-1), -EPERM (a mapping without DT_PROT_WRITE: the IOMMU
 * faults). Bytes are checked in address order; the first failure decides,
 * before anything is marked.
 */
int dt_device_write(struct dt_container *c, uint64_t iova, uint64_t len);

/*
 * IOMMU_HWPT_SET_DIRTY_TRACKING. Enabling starts from a clean snapshot:
 * every IO page's dirty bit is cleared, also when tracking was on already
 * (the kernel clears the IO page table's bits before it enables). While
 * off, device writes leave no trace. Disabling when off succeeds.
 * Returns 0, -EOPNOTSUPP (not DT_TRACK_HW), -ENOMEM (enabling: the model
 * keeps a bit per IO page).
 */
int dt_hw_set_dirty_tracking(struct dt_container *c, bool enable);

/* IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: report without clearing. */
#define DT_HW_GET_DIRTY_NO_CLEAR (1u << 0)

/*
 * The IOMMU_HWPT_GET_DIRTY_BITMAP request (struct iommu_hwpt_get_dirty_bitmap
 * less its size and hwpt_id: the container is the HWPT).
 */
struct dt_hw_dirty_bitmap {
	uint32_t flags;	    /* DT_HW_GET_DIRTY_NO_CLEAR */
	uint32_t reserved;  /* must be 0 */
	uint64_t iova;	    /* a multiple of page_size and of pgsize */
	uint64_t length;    /* likewise; the range must be mapped throughout */
	uint64_t page_size; /* what one bit stands for: a power of two >= 4096 */
	void *data;	    /* any byte; bits are only set (see the top of this file) */
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: for every dirty IO page that overlaps the
 * range, set the bits of the bitmap pages it overlaps (a 2 MiB IO page
 * asked at 4 KiB sets 512 bits; sixteen 4 KiB IO pages asked at 64 KiB
 * set one), then clear the IO page's dirty bit unless NO_CLEAR. The bit is
 * the IO page's, so a request that covers part of a large IO page clears
 * it whole: the rest of that page reads clean afterwards (ask for whole IO
 * pages).
 * Returns 0, -EOPNOTSUPP (not DT_TRACK_HW, unknown flags, non-zero
 * reserved), -EOVERFLOW (length 0, or iova+length-1 past 2^64-1), -EINVAL
 * (page_size not a power of two >= 4096, iova or length not a multiple of
 * it or of pgsize, tracking off, a byte of the range outside every
 * mapping: the kernel finds such a hole only after reporting the mappings
 * before it, the model before anything), -EFAULT (NULL @data; last).
 */
int dt_hw_dirty_bitmap(struct dt_container *c, const struct dt_hw_dirty_bitmap *req);

/* dt_hw_dirty_bitmap() with its fields as arguments. */
int dt_hw_get_dirty_bitmap(struct dt_container *c, uint64_t iova, uint64_t length,
			   uint64_t page_size, uint32_t flags, void *data);

/* One IOVA range of a DMA logging START (vfio_device_feature_dma_logging_range). */
struct dt_dmalog_range {
	uint64_t iova;
	uint64_t length;
};

/* The kernel's limit on the ranges of one START (LOG_MAX_RANGES). */
#define DT_DMALOG_RANGES_MAX 256u
/* The model's device logs at most this much IOVA, gaps of merged ranges included. */
#define DT_DMALOG_BYTES_MAX (8ull << 40)

/*
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_START: the device logs its writes into
 * @ranges, one bit per @page_size page (the tracking page: a write dirties
 * the tracking pages its bytes lie in). The ranges need not be mapped. A
 * device that can log fewer ranges (dt_container_config.log_max_ranges)
 * merges neighbours, smallest gap first (the lowest pair on a tie), as the
 * kernel's vfio_combine_iova_ranges() does: it then logs the gaps too, and
 * a REPORT over a gap shows the device's writes there (the over-reporting
 * that merging causes). dt_dmalog_ranges() lists what it logs.
 * Returns 0, -EOPNOTSUPP (not DT_TRACK_DMALOG), -EINVAL (@nranges 0, NULL
 * @ranges, @page_size not a power of two >= 4096; then range by range in
 * order: length 0, iova or length not a multiple of @page_size, an overlap
 * with an earlier range; already logging), -E2BIG (@nranges above
 * DT_DMALOG_RANGES_MAX; more than DT_DMALOG_BYTES_MAX logged after
 * merging), -EOVERFLOW (a range past 2^64-1, by the kernel's iova+length),
 * -ENOMEM. The first failing range decides among the per-range errors.
 */
int dt_dmalog_start(struct dt_container *c, const struct dt_dmalog_range *ranges,
		    uint32_t nranges, uint64_t page_size);

/*
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP: forget the log. Stopping when not
 * logging succeeds. Returns 0 or -EOPNOTSUPP (not DT_TRACK_DMALOG).
 */
int dt_dmalog_stop(struct dt_container *c);

/*
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: for every dirty tracking page
 * that overlaps [iova, iova+length), set the bits of the @page_size pages
 * it overlaps (bits repeated when @page_size is the smaller, ORed when the
 * larger), then clear it. Pages outside the logged ranges read clean.
 * Returns 0, -EOPNOTSUPP (not DT_TRACK_DMALOG), -EINVAL (@page_size not a
 * power of two >= 4096, length 0, iova or length not a multiple of
 * @page_size, not logging), -EOVERFLOW (iova+length past 2^64-1, by the
 * kernel's sum: a range ending at 2^64 fails), -EFAULT (NULL @data; last).
 */
int dt_dmalog_report(struct dt_container *c, uint64_t iova, uint64_t length, uint64_t page_size,
		     void *data);

/*
 * The ranges the device logs, after merging, in ascending order: writes
 * the first min(@max, count) to @out (NULL is fine when @max is 0) and
 * returns the count (0 when not logging), or -EINVAL (NULL @out with @max
 * > 0), -EOPNOTSUPP (not DT_TRACK_DMALOG). A device's own answer to
 * "what did you merge": the kernel does not tell, the model does.
 */
int dt_dmalog_ranges(struct dt_container *c, struct dt_dmalog_range *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
