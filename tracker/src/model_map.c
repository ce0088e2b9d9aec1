// SPDX-License-Identifier: MIT
/*
 * model_map.c - MAP_DMA, UNMAP_DMA and the mappings' tree and bitmaps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int model_mapping_cmp(const struct model_mapping *a, const struct model_mapping *b)
{
	return a->iova < b->iova ? -1 : a->iova > b->iova;
}

static int model_pin_cmp(const struct model_pin *a, const struct model_pin *b)
{
	return a->page < b->page ? -1 : a->page > b->page;
}

RB_GENERATE(model_mapping_tree, model_mapping, node, model_mapping_cmp)
RB_GENERATE(model_pin_tree, model_pin, node, model_pin_cmp)

struct model_mapping *model_mapping_find(struct model *md, uint64_t addr)
{
	struct model_mapping *m = RB_ROOT(&md->mappings);

	/* Mappings never overlap, so "holds addr" orders them against it. */
	while (m) {
		if (addr < m->iova)
			m = RB_LEFT(m, node);
		else if (addr - m->iova >= m->size)
			m = RB_RIGHT(m, node);
		else
			return m;
	}
	return NULL;
}

struct model_mapping *model_mapping_from(struct model *md, uint64_t iova)
{
	struct model_mapping key = {.iova = iova};

	return RB_NFIND(model_mapping_tree, &md->mappings, &key);
}

void model_mapping_free(struct model *md, struct model_mapping *m)
{
	struct model_pin *p, *next;

	RB_FOREACH_SAFE(p, model_pin_tree, &m->pins, next) {
		RB_REMOVE(model_pin_tree, &m->pins, p);
		free(p);
	}
	if (m->track)
		md->harvest->untrack(md, m);
	model_hw_untrack(m);
	free(m);
}

void model_report_fault(struct model *md, struct model_mapping *m, uint64_t bit_offset)
{
	/* Only the reference harvest has a compat mode, and so this op. */
	md->harvest->report_fault(md, m, bit_offset);
}

void model_mark_all(struct model *md)
{
	struct model_mapping *m;

	RB_FOREACH(m, model_mapping_tree, &md->mappings)
		md->harvest->mark(md, m, 0, m->npages);
}

int model_bitmap_verify(const struct dt_bitmap *bm, uint64_t size)
{
	uint64_t npages;

	/* The kernel sizes the request with the bitmap's page size, not the container's. */
	if (!bm->pgsize)
		return -EINVAL;
	npages = size >> __builtin_ctzll(bm->pgsize);
	if (!npages || !bm->size || bm->size > DT_DIRTY_BITMAP_SIZE_MAX)
		return -EINVAL;
	if (bm->size < dt_bitmap_bytes(npages))
		return -EINVAL;
	return 0;
}

bool model_range_whole(struct model *md, uint64_t iova, uint64_t last)
{
	struct model_mapping *m = model_mapping_find(md, iova);

	if (m && m->iova != iova)
		return false;
#ifndef DT_MUTANT_WALK_PAST_END
	m = model_mapping_find(md, last);
#else
	/* The first kernel version looked one page too far (-EINVAL, err: 22). */
	m = model_mapping_find(md, last + 1);
#endif
	return !m || m->iova + (m->size - 1) == last;
}

static int map_locked(struct model *md, uint64_t iova, uint64_t size, uint64_t vaddr,
		      uint32_t prot, uint64_t io_max)
{
	struct model_index *ix;
	struct model_mapping *m;
	int ret;

	if (!size || ((iova | size | vaddr) & (md->pgsize - 1)))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;
	m = model_mapping_find(md, iova);
	if (!m)
		m = model_mapping_from(md, iova);
	if (m && m->iova <= iova + size - 1)
		return -EEXIST;
	if (md->nmappings >= md->dma_limit)
		return -ENOSPC;

	ix = model_index_prepare(md, 1);
	if (md->concurrent && !ix)
		return -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m) {
		free(ix);
		return -ENOMEM;
	}
	m->iova = iova;
	m->size = size;
	m->vaddr = vaddr;
	m->prot = prot;
	m->npages = size >> md->pgshift;
	m->io_max = io_max;
	RB_INIT(&m->pins);
	if (md->tracking) {
		ret = md->harvest->track(md, m);
		if (ret < 0) {
			free(ix);
			free(m);
			return ret;
		}
	}
	if (md->hw_tracking) {
		/* The IOMMU tracks every IO page it maps, from the start (hw mode has no type1 state). */
		ret = model_hw_track(md, m);
		if (ret < 0) {
			free(ix);
			free(m);
			return ret;
		}
	}
	RB_INSERT(model_mapping_tree, &md->mappings, m);
	md->nmappings++;
	if (ix)
		model_index_commit(md, ix);
	return 0;
}

int model_dma_map_io(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot,
		     uint64_t io_pgsize)
{
	struct model *md = state;
	uint64_t io_max;
	int ret;

	if (model_no_iommu(md))
		return -EINVAL;
	if (!prot || (prot & ~(DT_PROT_READ | DT_PROT_WRITE)))
		return -EINVAL;
	if (model_io_max(md, io_pgsize, &io_max) < 0)
		return -EINVAL;
	pthread_mutex_lock(&md->lock);
	ret = map_locked(md, iova, size, vaddr, prot, io_max);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

int model_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot)
{
	return model_dma_map_io(state, iova, size, vaddr, prot, 0);
}

static int unmap_locked(struct model *md, struct dt_dma_unmap *u)
{
	bool get_dirty = u->flags & DT_UNMAP_GET_DIRTY_BITMAP;
	struct model_mapping *m, *next, *dead = NULL, **tail = &dead;
	struct model_index *ix;
	uint64_t last, unmapped = 0;

	if (u->iova & (md->pgsize - 1))
		return -EINVAL;
	if (u->flags & DT_UNMAP_ALL) {
		if (u->iova || u->size)
			return -EINVAL;
		last = UINT64_MAX;
	} else {
		if (!u->size || (u->size & (md->pgsize - 1)))
			return -EINVAL;
		last = u->iova + u->size - 1;
		if (last < u->iova)
			return -EINVAL;
	}
	if (get_dirty && (!md->tracking || u->bitmap.pgsize != md->pgsize))
		return -EINVAL;
	if (md->v1_unmap && !md->v2) {
		/*
		 * The kernel's v1 rules: no bisect check; a range starting
		 * inside a mapping unmaps nothing (and succeeds), and a mapping
		 * that starts inside the range goes whole, even past its end.
		 */
		m = model_mapping_find(md, u->iova);
		if (m && m->iova < u->iova && !(u->flags & DT_UNMAP_ALL)) {
			u->size = 0;
			return 0;
		}
	} else if (!(u->flags & DT_UNMAP_ALL) && !model_range_whole(md, u->iova, last)) {
		return -EINVAL;
	}
	if (get_dirty && !u->bitmap.data) {
		if (!md->efault_on_copy)
			return -EFAULT;
		/* The kernel fails at the first mapping it reports, before removing it. */
		m = model_mapping_from(md, u->iova);
		if (m && m->iova <= last) {
			model_report_fault(md, m, (m->iova - u->iova) >> md->pgshift);
			return -EFAULT;
		}
	}
	ix = model_index_prepare(md, 0);
	if (md->concurrent && !ix)
		return -ENOMEM;

	/* Out of the tree first, in IOVA order: @dead keeps them for the report. */
	for (m = model_mapping_from(md, u->iova); m && m->iova <= last; m = next) {
		next = RB_NEXT(model_mapping_tree, &md->mappings, m);
		RB_REMOVE(model_mapping_tree, &md->mappings, m);
		md->nmappings--;
		*tail = m;
		tail = &m->next_free;
	}
	*tail = NULL;
	/*
	 * Out of the markers' reach, and a grace period, before the report: a
	 * DMA_RW that got to a mapping has marked it by now, so that its bit is
	 * in this report; later ones find no mapping (-EINVAL).
	 */
	if (ix)
		model_index_commit(md, ix);
	for (m = dead; m; m = next) {
		next = m->next_free;
		if (get_dirty)
			md->harvest->unmap_report(md, m, u->bitmap.data,
						  (m->iova - u->iova) >> md->pgshift);
		unmapped += m->size;
		model_mapping_free(md, m);
	}
	u->size = unmapped;
	return 0;
}

int model_dma_unmap(void *state, struct dt_dma_unmap *u)
{
	const uint32_t known = DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_ALL | DT_UNMAP_VADDR;
	struct model *md = state;
	int ret;

	if (model_no_iommu(md))
		return -EINVAL;
	if (u->argsz < DT_DMA_UNMAP_ARGSZ || (u->flags & ~known))
		return -EINVAL;
	/* iommufd's type1 compatibility has no dirty bitmap on unmap. */
	if (md->mode == DT_TRACK_HW && (u->flags & DT_UNMAP_GET_DIRTY_BITMAP))
		return -EOPNOTSUPP;
	if ((u->flags & DT_UNMAP_GET_DIRTY_BITMAP) && (u->flags & (DT_UNMAP_ALL | DT_UNMAP_VADDR)))
		return -EINVAL;
	if (u->flags & DT_UNMAP_VADDR)
		return -EOPNOTSUPP;
	if (u->flags & DT_UNMAP_GET_DIRTY_BITMAP) {
		if (u->argsz < DT_DMA_UNMAP_BITMAP_ARGSZ)
			return -EINVAL;
		ret = model_bitmap_verify(&u->bitmap, u->size);
		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&md->lock);
	ret = unmap_locked(md, u);
	pthread_mutex_unlock(&md->lock);
	return ret;
}
