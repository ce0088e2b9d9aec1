/* SPDX-License-Identifier: MIT */
/*
 * dirtytrack/container.h - a VFIO type1 container: groups, DMA mappings,
 * pinned pages and device writes.
 *
 * The behaviour is the one of ../shared/SEMANTICS.md (docs/semantics.md in
 * this tree states the rulings where that text is silent). Every function
 * returns 0 or a negative errno and changes nothing when it fails; nothing
 * here prints, exits or keeps global state. A compat mode
 * (dt_container_config.compat) and the vfio backend answer as a kernel
 * does instead, where it differs: docs/kernel.md lists each difference
 * (no IOMMU before the first group, the last detach releasing it, a NULL
 * bitmap seen only on a copy, v1 unmap, the stale bits).
 *
 * Concurrency: every function taking a container may be called from any
 * thread at any time, except dt_container_destroy(), which must not race
 * with anything on the same container. The model backend serialises the
 * operations of one container on one lock, as the kernel's iommu->lock does
 * for type1; containers are independent of each other.
 *
 * With dt_container_config.concurrent and the "fast" harvest, dt_dma_rw()
 * is the exception: it finds its mappings under RCU (liburcu) and marks
 * pages with atomic operations, without the lock, so that device
 * emulators never wait for a harvest or a MAP/UNMAP. The guarantees:
 *   - a page marked while a GET_BITMAP (or an unmap with bitmap) of it
 *     runs is reported by that harvest or by the next one: never lost;
 *   - no harvest reports a page that nobody marked (or pinned, or that an
 *     IOMMU-backed device could have written);
 *   - a DMA_RW racing with the UNMAP of its range either completes (the
 *     mapping's memory must stay valid for the caller, as the kernel's
 *     does while it holds a reference) or fails with -EINVAL, as if it ran
 *     entirely before or after the unmap; one racing with START or STOP
 *     marks or not, as if it ran before or after.
 */
#ifndef DIRTYTRACK_CONTAINER_H
#define DIRTYTRACK_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dt_container;

/* Mapping permissions, from the device's point of view (VFIO_DMA_MAP_FLAG_*). */
#define DT_PROT_READ (1u << 0)
#define DT_PROT_WRITE (1u << 1)

/* The kernel's default for vfio_iommu_type1.dma_entry_limit. */
#define DT_DMA_LIMIT_DEFAULT 65535u

enum dt_group_kind {
	/* A device behind an IOMMU: it may write any mapped page unseen. */
	DT_GROUP_IOMMU = 1,
	/* mdev-like: touches guest memory only through pin or DMA_RW. */
	DT_GROUP_MEDIATED = 2,
};

struct dt_container_config {
	/*
	 * "model" (the in-process engine), "vfio" (a real type1 container,
	 * /dev/vfio/vfio; docs/kernel.md), "uffd" (real write tracking of the
	 * mappings' memory by this host's kernel; docs/uffd.md) or "iommufd"
	 * (/dev/iommu with the IOMMU's dirty bits; docs/iommufd.md); NULL
	 * means "model". The harvest name means nothing to the real backends.
	 */
	const char *backend;
	/* Harvest implementation of the model: "reference"; NULL means "reference". */
	const char *harvest;
	/* The IOMMU page size: a power of two >= 4096. */
	uint64_t pgsize;
	/* How many mappings may exist at once; 0 makes every map fail. */
	uint32_t dma_limit;
	/* false: a type1 (v1) container, which answers -EACCES to dirty tracking. */
	bool v2;
	/* Time the phases of every harvest (see profile.h); costs two clock reads a phase. */
	bool profile;
	/*
	 * Reproduce a kernel's bits exactly, defects included: NULL (or "")
	 * gives the correct bits of SEMANTICS.md; a name of
	 * dt_compat_names() gives that kernel's (model backend, reference
	 * harvest only; docs/kernel.md says what each one changes).
	 */
	const char *compat;
	/*
	 * What a backend that drives a real device opens: for "vfio" the group
	 * file (/dev/vfio/N), for "iommufd" the vfio device cdev
	 * (/dev/vfio/devices/vfioN), or several separated by commas; each
	 * dt_group_attach() of an IOMMU group takes the first one not attached.
	 * The files are opened at attach and closed at detach, so two
	 * containers may name the same group as long as only one attaches it.
	 * NULL for the model.
	 */
	const char *device;
	/*
	 * Let device emulators mark pages while harvests and MAP/UNMAP run:
	 * with a harvest that supports it ("fast"), dt_dma_rw() takes no lock
	 * and never waits for a harvest or a MAP/UNMAP (see "Concurrency"
	 * above). MAP, UNMAP and STOP then also wait for a grace period.
	 * Ignored by harvests that mark under the lock ("reference", as the
	 * kernel's vfio_dma_rw() takes iommu->lock).
	 */
	bool concurrent;
};

/* Fill @cfg with the defaults: model, reference, 4096, 65535, v2, no profiling, no compat. */
void dt_container_config_init(struct dt_container_config *cfg);

/*
 * Create an empty container, tracking off.
 * Returns 0 and sets *out, or -EINVAL (bad pgsize, NULL argument),
 * -ENOENT (unknown backend, harvest or compat name), -EOPNOTSUPP (a compat
 * mode with a backend or harvest that has none; vfio: a pgsize other than
 * the page size or a dma_limit other than the default, which the kernel
 * decides, or no type1 support), -ENOMEM, or the backend's errno when it
 * cannot open its device (-ENODEV, -EACCES, ...; vfio: -EINVAL without a
 * device, the errno of opening /dev/vfio/vfio; uffd: -EOPNOTSUPP when the
 * kernel cannot track writes (no userfaultfd async write-protect or no
 * PAGEMAP_SCAN: Linux < 6.7) or pgsize is below the page size, -EPERM
 * when userfaultfd is denied; iommufd: -ENODEV without /dev/iommu or when
 * it is no iommufd, -EINVAL without a device).
 * The caller owns *out and releases it with dt_container_destroy().
 */
int dt_container_create(const struct dt_container_config *cfg, struct dt_container **out);

/* Release a container and everything in it; NULL is allowed. */
void dt_container_destroy(struct dt_container *c);

/* The backend and harvest names the container was created with. */
const char *dt_container_backend(const struct dt_container *c);
const char *dt_container_harvest(const struct dt_container *c);

/*
 * NULL-terminated lists of the names dt_container_create() accepts, in the
 * order a user should see them.
 */
const char *const *dt_backend_names(void);
const char *const *dt_harvest_names(void);
const char *const *dt_compat_names(void);

/*
 * Attach a group of @devices devices (at least 1).
 * Returns 0, -EINVAL (id already attached, unknown kind, 0 devices), -ENOMEM.
 * An IOMMU group puts the container out of pinned-page scope until it pins.
 * vfio: the group is a real one (see dt_container_config.device), attached
 * with VFIO_GROUP_SET_CONTAINER; the first one also sets the IOMMU type
 * (type1v2, or type1 for a v1 container). More returns: -EOPNOTSUPP (a
 * mediated group, or no group file left), and the kernel's errno for
 * open, SET_CONTAINER or SET_IOMMU (-EBUSY, -EPERM, -ENOENT, ...).
 */
int dt_group_attach(struct dt_container *c, uint64_t id, enum dt_group_kind kind,
		    unsigned int devices);

/*
 * Detach a group. Its pins stay with the container's mappings. While
 * tracking, detaching a group without pinned-page scope first marks every
 * page of every mapping dirty.
 * Returns 0 or -ENOENT (not attached); vfio: or the kernel's errno for
 * VFIO_GROUP_UNSET_CONTAINER. In a kernel, detaching the last group
 * releases the IOMMU: every mapping goes and tracking stops.
 */
int dt_group_detach(struct dt_container *c, uint64_t id);

/*
 * MAP_DMA: map [iova, iova+size) to the caller's memory at @vaddr.
 * The container never frees @vaddr; it writes there only for dt_dma_rw().
 * Returns 0, -EINVAL (unaligned, size 0, wrap-around, bad @prot, or a
 * mapping of more than INT_MAX pages while tracking), -EEXIST (overlaps a
 * mapping), -ENOSPC (dma_limit mappings exist), -ENOMEM.
 */
int dt_dma_map(struct dt_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
	       uint32_t prot);

/* A dirty bitmap buffer, as in struct vfio_bitmap. */
struct dt_bitmap {
	uint64_t pgsize; /* bytes of memory one bit stands for */
	uint64_t size;   /* bytes at @data */
	uint64_t *data;  /* zero-filled by the caller: bits are merged into it */
};

/* UNMAP_DMA flags, as VFIO_DMA_UNMAP_FLAG_*. */
#define DT_UNMAP_GET_DIRTY_BITMAP (1u << 0)
#define DT_UNMAP_ALL (1u << 1)
#define DT_UNMAP_VADDR (1u << 2)

/*
 * The UNMAP_DMA request, field for field the kernel's
 * vfio_iommu_type1_dma_unmap with its trailing vfio_bitmap. @argsz is what
 * the caller claims to pass, checked as the kernel checks it.
 */
struct dt_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	uint64_t iova;
	uint64_t size; /* on success: the bytes unmapped */
	struct dt_bitmap bitmap;
};
#define DT_DMA_UNMAP_ARGSZ 24u	      /* argsz, flags, iova, size */
#define DT_DMA_UNMAP_BITMAP_ARGSZ 48u /* ... and the bitmap descriptor */

/*
 * UNMAP_DMA: remove every mapping inside [iova, iova+size); with
 * DT_UNMAP_GET_DIRTY_BITMAP, first merge each one's dirty bits into
 * @u->bitmap at bit (mapping.iova - iova) / pgsize. DT_UNMAP_ALL removes
 * every mapping (iova and size must be 0). Pins inside the range are dropped.
 * Returns 0 and sets u->size to the bytes unmapped (0 is not an error), or
 * -EINVAL (argsz, flags, alignment, wrap, a bisected mapping, a bitmap that
 * is too small or too large, tracking off, wrong bitmap pgsize),
 * -EFAULT (NULL bitmap data with a non-zero size), -EOPNOTSUPP
 * (DT_UNMAP_VADDR: the model does not invalidate virtual addresses).
 */
int dt_dma_unmap(struct dt_container *c, struct dt_dma_unmap *u);

/* dt_dma_unmap() without a bitmap; *unmapped may be NULL. */
int dt_unmap(struct dt_container *c, uint64_t iova, uint64_t size, uint64_t *unmapped);

/* dt_dma_unmap() with DT_UNMAP_GET_DIRTY_BITMAP; *unmapped may be NULL. */
int dt_unmap_bitmap(struct dt_container *c, uint64_t iova, uint64_t size,
		    const struct dt_bitmap *bitmap, uint64_t *unmapped);

/*
 * A vendor driver pins @npages pages from @iova for group @group, all or
 * nothing. Pins are counted per page and belong to the mappings. While
 * tracking, a pinned page is dirty and stays dirty until unpinned. A
 * successful pin gives the group pinned-page scope.
 * Returns 0, -ENODEV (group not attached), -EINVAL (group with more than
 * one device, npages 0, @prot 0 or unknown bits, unaligned @iova, a page
 * outside every mapping), -E2BIG (npages > 512), -EPERM (a mapping lacks
 * @prot), -ENOMEM. Pages are checked in address order; the first failure
 * decides the errno.
 */
int dt_pin(struct dt_container *c, uint64_t group, uint64_t iova, uint64_t npages,
	   uint32_t prot);

/*
 * Drop one pin reference on each of @npages pages from @iova, all or nothing.
 * Any group may unpin what another pinned.
 * Returns 0, -ENODEV, -EINVAL (npages 0, a page that is not pinned), -E2BIG.
 */
int dt_unpin(struct dt_container *c, uint64_t group, uint64_t iova, uint64_t npages);

#define DT_PIN_MAX_PAGES 512u

/* A range of IOVA, both ends included (as VFIO's struct vfio_iova_range). */
struct dt_iova_range {
	uint64_t start;
	uint64_t last;
};

/*
 * The IOVA ranges where a MAP can succeed, in ascending order. For vfio
 * they are the kernel's VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: the IOMMU's
 * aperture less the reserved regions (on x86 the MSI window
 * 0xfee00000-0xfeefffff); a harness places its mappings inside them. The
 * model accepts any IOVA: one range, 0 to 2^64-1.
 * Writes the first min(@max, count) ranges to @ranges (NULL is fine when
 * @max is 0) and returns the count, which may exceed @max (call again with
 * room for them all), or -EINVAL (NULL container, NULL @ranges with @max >
 * 0; vfio: no group attached yet, so no IOMMU to ask), -ENOMEM, -EIO (a
 * capability that does not fit its buffer), or the kernel's errno for
 * VFIO_IOMMU_GET_INFO.
 */
int dt_iova_ranges(struct dt_container *c, struct dt_iova_range *ranges, size_t max);

/*
 * DMA_RW: copy @len bytes between @buf and the mapped memory at @iova; a
 * write marks every page the range touches dirty while tracking.
 * Returns 0 (len 0 does nothing), -EINVAL (a byte outside every mapping,
 * @buf NULL with a non-zero len), -EPERM (a mapping lacks the permission).
 * Bytes are checked in address order; the first failure decides.
 */
int dt_dma_rw(struct dt_container *c, uint64_t iova, void *buf, size_t len, bool write);

#ifdef __cplusplus
}
#endif

#endif
