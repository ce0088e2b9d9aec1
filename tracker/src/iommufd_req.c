// SPDX-License-Identifier: MIT
/*
 * iommufd_req.c - dt_* arguments laid out as iommufd requests, and the
 * argument rules of IOMMU_HWPT_GET_DIRTY_BITMAP. Pure functions: the
 * tests check them without a kernel.
 */
#include <errno.h>
#include <string.h>

#include "iommufd.h"

void iommufd_map_req(struct dt_iommu_ioas_map *r, uint32_t ioas_id, uint64_t iova,
		     uint64_t size, uint64_t vaddr, uint32_t prot)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	/* At the caller's IOVA, never one the kernel picks: type1 has no such thing. */
	r->flags = DT_IOMMU_IOAS_MAP_FIXED_IOVA;
	if (prot & DT_PROT_READ)
		r->flags |= DT_IOMMU_IOAS_MAP_READABLE;
	if (prot & DT_PROT_WRITE)
		r->flags |= DT_IOMMU_IOAS_MAP_WRITEABLE;
	r->ioas_id = ioas_id;
	r->user_va = vaddr;
	r->length = size;
	r->iova = iova;
}

void iommufd_unmap_req(struct dt_iommu_ioas_unmap *r, uint32_t ioas_id, uint64_t iova,
		       uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->ioas_id = ioas_id;
	r->iova = iova;
	r->length = size;
}

void iommufd_dirty_req(struct dt_iommu_hwpt_get_dirty_bitmap *r, uint32_t hwpt_id, uint64_t iova,
		       uint64_t length, uint64_t page_size, void *data, bool no_clear)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->hwpt_id = hwpt_id;
	r->flags = no_clear ? DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;
	r->iova = iova;
	r->length = length;
	r->page_size = page_size;
	r->data = (uintptr_t)data;
}

int iommufd_dirty_req_check(const struct dt_iommu_hwpt_get_dirty_bitmap *r)
{
	uint64_t last;

	if ((r->flags & ~DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || r->reserved)
		return -EOPNOTSUPP;
	/* A range may end exactly at 2^64: only its last byte must exist. */
	if (!r->length || __builtin_add_overflow(r->iova, r->length - 1, &last))
		return -EOVERFLOW;
	if (!r->page_size || (r->iova % r->page_size) || (r->length % r->page_size))
		return -EINVAL;
	return 0;
}

void iommufd_bits_or(uint64_t *dst, uint64_t at, const uint64_t *src, uint64_t nbits)
{
	uint64_t w = at / 64, s = at % 64, words = nbits / 64 + (nbits % 64 != 0), i, v;

	for (i = 0; i < words; i++) {
		v = src[i];
		if (i == words - 1 && nbits % 64)
			v &= (1ull << (nbits % 64)) - 1;
		if (!v)
			continue;
		dst[w + i] |= v << s;
		/* Only bits that exist are carried: the word past the last bit is never touched. */
		if (s && v >> (64 - s))
			dst[w + i + 1] |= v >> (64 - s);
	}
}
