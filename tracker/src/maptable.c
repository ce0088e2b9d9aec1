// SPDX-License-Identifier: MIT
/*
 * maptable.c - the type1 request rules on a sorted array of mappings, for
 * the backends whose kernel interface has no type1 mappings of its own.
 * The checks and their order are the model's (model_map.c, model_dirty.c,
 * model_pin.c) without its compat modes: the differential tests compare
 * these backends' errnos with the oracle's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maptable.h"

int mt_init(struct mt_table *t, uint64_t pgsize, uint32_t dma_limit, bool v2)
{
	memset(t, 0, sizeof(*t));
	if (pgsize < 4096 || (pgsize & (pgsize - 1)))
		return -EINVAL;
	t->pgsize = pgsize;
	t->pgshift = (unsigned int)__builtin_ctzll(pgsize);
	t->dma_limit = dma_limit;
	t->v2 = v2;
	return 0;
}

void mt_fini(struct mt_table *t)
{
	free(t->m);
	t->m = NULL;
	t->n = t->cap = 0;
}

size_t mt_lower(const struct mt_table *t, uint64_t iova)
{
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->m[mid].iova < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct mt_mapping *mt_find(const struct mt_table *t, uint64_t addr)
{
	size_t i = mt_lower(t, addr);

	/* The one starting at addr, or the one before it if it reaches addr. */
	if (i < t->n && t->m[i].iova == addr)
		return &t->m[i];
	if (i > 0 && addr - t->m[i - 1].iova < t->m[i - 1].size)
		return &t->m[i - 1];
	return NULL;
}

void mt_span(const struct mt_table *t, uint64_t iova, uint64_t last, size_t *first, size_t *end)
{
	size_t i = mt_lower(t, iova);

	*first = i;
	while (i < t->n && t->m[i].iova <= last)
		i++;
	*end = i;
}

/* Does no mapping stick out of [iova, last]? (the range does not bisect one) */
static bool range_whole(const struct mt_table *t, uint64_t iova, uint64_t last)
{
	const struct mt_mapping *m = mt_find(t, iova);

	if (m && m->iova != iova)
		return false;
	m = mt_find(t, last);
	return !m || m->iova + (m->size - 1) == last;
}

int mt_map_check(const struct mt_table *t, uint64_t iova, uint64_t size, uint64_t vaddr,
		 uint32_t prot, bool tracking, bool exclusive_vaddr)
{
	size_t i;

	if (!prot || (prot & ~(DT_PROT_READ | DT_PROT_WRITE)))
		return -EINVAL;
	if (!size || ((iova | size | vaddr) & (t->pgsize - 1)))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;
	i = mt_lower(t, iova);
	if (i < t->n && t->m[i].iova <= iova + size - 1)
		return -EEXIST;
	if (i > 0 && iova - t->m[i - 1].iova < t->m[i - 1].size)
		return -EEXIST;
	/*
	 * A backend whose dirty state lives in the memory's page tables has
	 * one dirty bit per virtual page: two mappings of the same memory
	 * would harvest each other's writes away. Linear, but only at MAP.
	 */
	for (i = 0; exclusive_vaddr && i < t->n; i++)
		if (vaddr <= t->m[i].vaddr + (t->m[i].size - 1) &&
		    t->m[i].vaddr <= vaddr + (size - 1))
			return -EEXIST;
	if (t->n >= t->dma_limit)
		return -ENOSPC;
	if (tracking && (size >> t->pgshift) > DT_DIRTY_BITMAP_PAGES_MAX)
		return -EINVAL;
	return 0;
}

int mt_insert(struct mt_table *t, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot)
{
	struct mt_mapping *m;
	size_t i, cap;

	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		m = realloc(t->m, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		t->m = m;
		t->cap = cap;
	}
	i = mt_lower(t, iova);
	memmove(&t->m[i + 1], &t->m[i], (t->n - i) * sizeof(*t->m));
	t->m[i] = (struct mt_mapping){.iova = iova, .size = size, .vaddr = vaddr, .prot = prot};
	t->n++;
	return 0;
}

void mt_remove(struct mt_table *t, size_t first, size_t end)
{
	memmove(&t->m[first], &t->m[end], (t->n - end) * sizeof(*t->m));
	t->n -= end - first;
}

/* The kernel's verify_bitmap_size, with the bitmap's own page size (model_bitmap_verify). */
static int bitmap_verify(const struct dt_bitmap *bm, uint64_t size)
{
	uint64_t npages;

	if (!bm->pgsize)
		return -EINVAL;
	npages = size >> __builtin_ctzll(bm->pgsize);
	if (!npages || !bm->size || bm->size > DT_DIRTY_BITMAP_SIZE_MAX)
		return -EINVAL;
	if (bm->size < dt_bitmap_bytes(npages))
		return -EINVAL;
	return 0;
}

int mt_unmap_check(const struct mt_table *t, const struct dt_dma_unmap *u, bool tracking,
		   size_t *first, size_t *end)
{
	const uint32_t known = DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_ALL | DT_UNMAP_VADDR;
	bool get_dirty = u->flags & DT_UNMAP_GET_DIRTY_BITMAP;
	uint64_t last;
	int ret;

	if (u->argsz < DT_DMA_UNMAP_ARGSZ || (u->flags & ~known))
		return -EINVAL;
	if (get_dirty && (u->flags & (DT_UNMAP_ALL | DT_UNMAP_VADDR)))
		return -EINVAL;
	if (u->flags & DT_UNMAP_VADDR)
		return -EOPNOTSUPP;
	if (get_dirty) {
		if (u->argsz < DT_DMA_UNMAP_BITMAP_ARGSZ)
			return -EINVAL;
		ret = bitmap_verify(&u->bitmap, u->size);
		if (ret < 0)
			return ret;
	}
	if (u->iova & (t->pgsize - 1))
		return -EINVAL;
	if (u->flags & DT_UNMAP_ALL) {
		if (u->iova || u->size)
			return -EINVAL;
		last = UINT64_MAX;
	} else {
		if (!u->size || (u->size & (t->pgsize - 1)))
			return -EINVAL;
		last = u->iova + u->size - 1;
		if (last < u->iova)
			return -EINVAL;
	}
	if (get_dirty && (!tracking || u->bitmap.pgsize != t->pgsize))
		return -EINVAL;
	if (!(u->flags & DT_UNMAP_ALL) && !range_whole(t, u->iova, last))
		return -EINVAL;
	if (get_dirty && !u->bitmap.data)
		return -EFAULT;
	mt_span(t, u->iova, last, first, end);
	return 0;
}

int mt_dirty_check(const struct mt_table *t, const struct dt_dirty_pages *req, bool tracking,
		   size_t *first, size_t *end)
{
	const uint32_t known = DT_DIRTY_START | DT_DIRTY_STOP | DT_DIRTY_GET_BITMAP;
	uint64_t last;
	int ret;

	if (!t->v2)
		return -EACCES;
	if (req->argsz < DT_DIRTY_PAGES_ARGSZ || (req->flags & ~known))
		return -EINVAL;
	if (__builtin_popcount(req->flags) != 1)
		return -EINVAL;
	if (!(req->flags & DT_DIRTY_GET_BITMAP))
		return 0;
	if (req->argsz < DT_DIRTY_PAGES_GET_ARGSZ)
		return -EINVAL;
	/* The end may not wrap: a range ending at 2^64 fails, as in the kernel. */
	if (req->iova + req->size < req->iova)
		return -EINVAL;
	ret = bitmap_verify(&req->bitmap, req->size);
	if (ret < 0)
		return ret;
	if (req->bitmap.pgsize != t->pgsize)
		return -EINVAL;
	if ((req->iova & (t->pgsize - 1)) || !req->size || (req->size & (t->pgsize - 1)))
		return -EINVAL;
	if (!tracking)
		return -EINVAL;
	last = req->iova + req->size - 1;
	if (!range_whole(t, req->iova, last))
		return -EINVAL;
	if (!req->bitmap.data)
		return -EFAULT;
	mt_span(t, req->iova, last, first, end);
	return 0;
}

int mt_track_check(const struct mt_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if ((t->m[i].size >> t->pgshift) > DT_DIRTY_BITMAP_PAGES_MAX)
			return -EINVAL;
	return 0;
}

int mt_rw_check(const struct mt_table *t, uint64_t iova, const void *buf, uint64_t len,
		bool write)
{
	uint32_t need = write ? DT_PROT_WRITE : DT_PROT_READ;
	const struct mt_mapping *m;
	uint64_t addr = iova, left = len, chunk;

	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	while (left) {
		if (addr < iova) /* wrapped past the top */
			return -EINVAL;
		m = mt_find(t, addr);
		if (!m)
			return -EINVAL;
		if (!(m->prot & need))
			return -EPERM;
		chunk = m->size - (addr - m->iova);
		if (chunk >= left)
			break;
		left -= chunk;
		addr += chunk;
	}
	return 0;
}

void mt_info(const struct mt_table *t, struct dt_info *info)
{
	/* Padding included: a kernel once leaked 4 bytes of stack here. */
	memset(info, 0, sizeof(*info));
	info->pgsize_bitmap = t->pgsize;
	info->dma_avail = t->dma_limit - (uint32_t)t->n;
	info->migration.id = DT_CAP_MIGRATION_ID;
	info->migration.version = DT_CAP_MIGRATION_VERSION;
	info->migration.pgsize_bitmap = t->pgsize;
	info->migration.max_dirty_bitmap_size = DT_DIRTY_BITMAP_SIZE_MAX;
}
