// SPDX-License-Identifier: MIT
/*
 * vfio_dma.c - MAP_DMA, UNMAP_DMA and DIRTY_PAGES on a real type1
 * container: each request is laid out as <linux/vfio.h> says and its
 * errno comes back unchanged, so that the kernel's answers can be compared
 * with the model's.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/vfio.h>

#include "vfio.h"

/*
 * The kernel reads the bitmap descriptor right after the 24-byte header,
 * where the UAPI struct ends in a flexible array: the very layout the
 * kernel expects, which clang calls a GNU extension when it is embedded.
 */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
#endif
struct unmap_req {
	struct vfio_iommu_type1_dma_unmap u;
	struct vfio_bitmap bitmap;
};

struct dirty_req {
	struct vfio_iommu_type1_dirty_bitmap d;
	struct vfio_iommu_type1_dirty_bitmap_get get;
};

_Static_assert(sizeof(struct unmap_req) == DT_DMA_UNMAP_BITMAP_ARGSZ, "unmap layout");
_Static_assert(sizeof(struct dirty_req) == DT_DIRTY_PAGES_GET_ARGSZ, "dirty layout");
_Static_assert(DT_PROT_READ == VFIO_DMA_MAP_FLAG_READ && DT_PROT_WRITE == VFIO_DMA_MAP_FLAG_WRITE,
	       "prot bits are the map flags");
_Static_assert(DT_UNMAP_GET_DIRTY_BITMAP == VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP &&
		       DT_UNMAP_ALL == VFIO_DMA_UNMAP_FLAG_ALL &&
		       DT_UNMAP_VADDR == VFIO_DMA_UNMAP_FLAG_VADDR,
	       "unmap flags");
_Static_assert(DT_DIRTY_START == VFIO_IOMMU_DIRTY_PAGES_FLAG_START &&
		       DT_DIRTY_STOP == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP &&
		       DT_DIRTY_GET_BITMAP == VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
	       "dirty flags");

int vfio_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot)
{
	struct vfio *v = state;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = prot,
		.vaddr = vaddr,
		.iova = iova,
		.size = size,
	};

	/*
	 * Map flag bit 2 is VFIO_DMA_MAP_FLAG_VADDR, which would turn this
	 * into a vaddr update of an existing mapping: the API's prot has no
	 * such bit, so refuse it as the model does. prot 0 goes through: the
	 * kernel's own -EINVAL.
	 */
	if (prot & ~(DT_PROT_READ | DT_PROT_WRITE))
		return -EINVAL;
	return vfio_ioctl(v->fd, VFIO_IOMMU_MAP_DMA, &map);
}

int vfio_dma_unmap(void *state, struct dt_dma_unmap *u)
{
	struct vfio *v = state;
	struct unmap_req req;
	int ret;

	/* Whatever argsz claims, the kernel reads inside this struct. */
	memset(&req, 0, sizeof(req));
	req.u.argsz = u->argsz;
	req.u.flags = u->flags;
	req.u.iova = u->iova;
	req.u.size = u->size;
	req.bitmap.pgsize = u->bitmap.pgsize;
	req.bitmap.size = u->bitmap.size;
	req.bitmap.data = (__u64 *)u->bitmap.data;
	ret = vfio_ioctl(v->fd, VFIO_IOMMU_UNMAP_DMA, &req);
	if (ret == 0)
		u->size = req.u.size;
	return ret;
}

int vfio_dirty_pages(void *state, const struct dt_dirty_pages *r)
{
	struct vfio *v = state;
	struct dirty_req req;

	memset(&req, 0, sizeof(req));
	req.d.argsz = r->argsz;
	req.d.flags = r->flags;
	req.get.iova = r->iova;
	req.get.size = r->size;
	req.get.bitmap.pgsize = r->bitmap.pgsize;
	req.get.bitmap.size = r->bitmap.size;
	req.get.bitmap.data = (__u64 *)r->bitmap.data;
	return vfio_ioctl(v->fd, VFIO_IOMMU_DIRTY_PAGES, &req);
}
