// SPDX-License-Identifier: MIT
/*
 * uffd.c - the uffd backend: the type1 container's requests on real write
 * tracking by the host kernel (userfaultfd async write-protect and
 * PAGEMAP_SCAN, Linux >= 6.7). Writes to a mapping's memory by any thread
 * of the process - a workload standing in for a software device or a
 * vfio-user server, or DMA_RW - are what GET_BITMAP reports, with the
 * type1 rules of SEMANTICS.md §1-§3 checked in user space (maptable.c).
 *
 * How the rest of the container maps onto it (docs/uffd.md):
 *   - START registers every mapping's memory and write-protects it (a
 *     clean slate); MAP while tracking does the same for the new mapping;
 *     STOP and UNMAP unregister. Between them the memory runs untracked,
 *     at full speed.
 *   - GET_BITMAP scans each mapping's memory and protects the written pages
 *     again in the same walk: harvest and clear are one kernel operation,
 *     atomic per page, so a write racing it is never lost.
 *   - UNMAP with bitmap scans without protecting (the range goes next).
 *   - DMA_RW is a plain memcpy into the memory: the kernel tracks it like
 *     any other write (a 2-byte write across a page boundary faults on both
 *     pages).
 *   - Groups are accepted and checked as in the model but change nothing:
 *     no device is unseen here, so there is no pinned-page scope and no
 *     "every page dirty" of an IOMMU-backed group.
 *   - PIN and UNPIN answer -EOPNOTSUPP: a pin says "this page may be
 *     written at any time", which only a vendor driver in a kernel needs;
 *     here a device's writes are real and seen.
 *   - Two mappings of the same memory are refused (-EEXIST): the dirty bit
 *     lives in the page table, one per virtual page, and a harvest of one
 *     mapping would clear the other's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "uffd.h"

static void uffd_destroy(void *state)
{
	struct uffd *u = state;

	if (!u)
		return;
	/* Closing the userfaultfd unregisters whatever it still holds, WP bits included. */
	if (u->uffd >= 0)
		close(u->uffd);
	if (u->pagemap >= 0)
		close(u->pagemap);
	mt_fini(&u->t);
	free(u->vec);
	free(u->groups);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static int uffd_create(const struct dt_container_config *cfg, void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffd *u;
	int ret;

	if (cfg->pgsize < 4096 || (cfg->pgsize & (cfg->pgsize - 1)))
		return -EINVAL;
	/* A kernel's defects are reproduced by the model only. */
	if (cfg->compat && *cfg->compat)
		return -EOPNOTSUPP;
	/* The kernel tracks whole pages: a bit cannot stand for less than one. */
	if (page <= 0 || cfg->pgsize < (uint64_t)page)
		return -EOPNOTSUPP;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->uffd = u->pagemap = -1;
	if (pthread_mutex_init(&u->lock, NULL)) {
		free(u);
		return -ENOMEM;
	}
	ret = mt_init(&u->t, cfg->pgsize, cfg->dma_limit, cfg->v2);
	if (ret < 0)
		goto err;
	u->vec_len = UFFD_VEC_LEN;
	u->vec = calloc(u->vec_len, sizeof(*u->vec));
	if (!u->vec) {
		ret = -ENOMEM;
		goto err;
	}
	ret = uffd_open();
	if (ret < 0)
		goto err;
	u->uffd = ret;
	u->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (u->pagemap < 0) {
		ret = errno == ENOENT ? -EOPNOTSUPP : -errno; /* no /proc */
		goto err;
	}
	/* One page through the whole chain: a kernel that cannot do it fails here, clearly. */
	ret = uffd_probe(u->uffd, u->pagemap);
	if (ret < 0)
		goto err;
	*state = u;
	return 0;
err:
	uffd_destroy(u);
	return ret;
}

/*
 * Mappings [i, j) of @u that follow each other both in IOVA and in memory
 * are one range to the kernel: one REGISTER, one scan (a device's
 * mappings usually are: `dirtyscope run` lays them out so).
 */
static size_t run_end(const struct uffd *u, size_t i, size_t end)
{
	const struct mt_mapping *m = u->t.m;

	while (i + 1 < end && m[i + 1].iova == m[i].iova + m[i].size &&
	       m[i + 1].vaddr == m[i].vaddr + m[i].size)
		i++;
	return i + 1;
}

static uint64_t run_bytes(const struct uffd *u, size_t i, size_t j)
{
	return u->t.m[j - 1].vaddr + u->t.m[j - 1].size - u->t.m[i].vaddr;
}

/* Unregister the memory of mappings [first, end). */
static void release_range(struct uffd *u, size_t first, size_t end)
{
	size_t i, j;

	for (i = first; i < end; i = j) {
		j = run_end(u, i, end);
		/*
		 * It can only fail to split a VMA (out of memory or of
		 * vm.max_map_count). The range then stays registered and
		 * protected until the container is destroyed: its writes cost a
		 * fault and are reported to nobody, which is harmless.
		 */
		uffd_release(u->uffd, u->t.m[i].vaddr, run_bytes(u, i, j));
	}
}

/* Register and protect the memory of mappings [first, end); all or nothing. */
static int protect_range(struct uffd *u, size_t first, size_t end)
{
	size_t i, j;
	int ret;

	for (i = first; i < end; i = j) {
		j = run_end(u, i, end);
		ret = uffd_protect(u->uffd, u->t.m[i].vaddr, run_bytes(u, i, j));
		if (ret < 0) {
			release_range(u, first, i);
			return ret;
		}
	}
	return 0;
}

/* Where a scan of one run puts its bits: bit (addr - vaddr) / pgsize + base of @map. */
struct bits_target {
	uint64_t *map;
	uint64_t vaddr;
	uint64_t base;
	unsigned int pgshift;
};

static void bits_set(void *arg, uint64_t start, uint64_t end)
{
	struct bits_target *b = arg;
	uint64_t first = (start - b->vaddr) >> b->pgshift;
	uint64_t last = (end - 1 - b->vaddr) >> b->pgshift;

	/* A written 4 KiB page dirties the whole pgsize page that holds it. */
	uffd_set_bits(b->map, b->base + first, last - first + 1);
}

/*
 * Report mappings [first, end) into @map at bit (mapping.iova - iova) /
 * pgsize: the mapping's bits land where the naive oracle puts them (bits
 * are only ever set, so the shift/merge of neighbours is an OR).
 */
static int report_range(struct uffd *u, size_t first, size_t end, uint64_t iova, uint64_t *map,
			bool reprotect)
{
	struct bits_target b = {.map = map, .pgshift = u->t.pgshift};
	size_t i, j;
	int ret;

	for (i = first; i < end; i = j) {
		j = run_end(u, i, end);
		b.vaddr = u->t.m[i].vaddr;
		b.base = (u->t.m[i].iova - iova) >> u->t.pgshift;
		ret = uffd_scan(u->pagemap, b.vaddr, b.vaddr + run_bytes(u, i, j), reprotect,
				u->vec, u->vec_len, bits_set, &b, NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static struct uffd_group *group_find(struct uffd *u, uint64_t id)
{
	size_t i;

	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i].id == id)
			return &u->groups[i];
	return NULL;
}

static int uffd_group_attach(void *state, uint64_t id, enum dt_group_kind kind,
			     unsigned int devices)
{
	struct uffd *u = state;
	struct uffd_group *g;
	int ret = 0;

	if ((kind != DT_GROUP_IOMMU && kind != DT_GROUP_MEDIATED) || devices == 0)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	if (group_find(u, id)) {
		ret = -EINVAL;
	} else {
		g = realloc(u->groups, (u->ngroups + 1) * sizeof(*g));
		if (!g) {
			ret = -ENOMEM;
		} else {
			u->groups = g;
			g[u->ngroups++] =
				(struct uffd_group){.id = id, .kind = kind, .devices = devices};
		}
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uffd_group_detach(void *state, uint64_t id)
{
	struct uffd *u = state;
	struct uffd_group *g;
	int ret = 0;

	pthread_mutex_lock(&u->lock);
	g = group_find(u, id);
	if (!g)
		ret = -ENOENT;
	else
		*g = u->groups[--u->ngroups];
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uffd_dma_map(void *state, uint64_t iova, uint64_t size, uint64_t vaddr, uint32_t prot)
{
	struct uffd *u = state;
	size_t i;
	int ret;

	pthread_mutex_lock(&u->lock);
	ret = mt_map_check(&u->t, iova, size, vaddr, prot, u->tracking, true);
	if (ret == 0)
		ret = mt_insert(&u->t, iova, size, vaddr, prot);
	if (ret == 0 && u->tracking) {
		/* Its own range only: a neighbour's memory keeps its dirty pages. */
		ret = uffd_protect(u->uffd, vaddr, size);
		if (ret < 0) {
			i = mt_lower(&u->t, iova);
			mt_remove(&u->t, i, i + 1);
		}
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uffd_dma_unmap(void *state, struct dt_dma_unmap *un)
{
	struct uffd *u = state;
	uint64_t unmapped = 0;
	size_t first, end, i;
	int ret;

	pthread_mutex_lock(&u->lock);
	ret = mt_unmap_check(&u->t, un, u->tracking, &first, &end);
	/*
	 * Read without protecting again: the memory leaves tracking next. The
	 * unmap takes effect at this scan; a write after it is to memory that
	 * is no longer mapped, as a device's DMA after an IOMMU unmap would be.
	 */
	if (ret == 0 && (un->flags & DT_UNMAP_GET_DIRTY_BITMAP))
		ret = report_range(u, first, end, un->iova, un->bitmap.data, false);
	if (ret == 0) {
		if (u->tracking)
			release_range(u, first, end);
		for (i = first; i < end; i++)
			unmapped += u->t.m[i].size;
		mt_remove(&u->t, first, end);
		un->size = unmapped;
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uffd_dma_rw(void *state, uint64_t iova, void *buf, size_t len, bool write)
{
	struct uffd *u = state;
	const struct mt_mapping *m;
	uint64_t addr = iova, left = len, chunk, off;
	uint8_t *p = buf;
	int ret;

	pthread_mutex_lock(&u->lock);
	ret = mt_rw_check(&u->t, iova, buf, len, write);
	while (ret == 0 && left) {
		m = mt_find(&u->t, addr);
		off = addr - m->iova;
		chunk = m->size - off < left ? m->size - off : left;
		/* A plain copy: the kernel sees the write, as it sees a device's. */
		if (write)
			memcpy((void *)(uintptr_t)(m->vaddr + off), p, chunk);
		else
			memcpy(p, (const void *)(uintptr_t)(m->vaddr + off), chunk);
		p += chunk;
		addr += chunk;
		left -= chunk;
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int start_locked(struct uffd *u)
{
	int ret;

	if (u->tracking)
		return 0;
	ret = mt_track_check(&u->t);
	if (ret == 0)
		ret = protect_range(u, 0, u->t.n);
	if (ret == 0)
		u->tracking = true;
	return ret;
}

static int uffd_dirty_pages(void *state, const struct dt_dirty_pages *req)
{
	struct uffd *u = state;
	size_t first = 0, end = 0;
	int ret;

	pthread_mutex_lock(&u->lock);
	ret = mt_dirty_check(&u->t, req, u->tracking, &first, &end);
	if (ret == 0) {
		if (req->flags & DT_DIRTY_START) {
			ret = start_locked(u);
		} else if (req->flags & DT_DIRTY_STOP) {
			if (u->tracking)
				release_range(u, 0, u->t.n);
			u->tracking = false;
		} else {
			ret = report_range(u, first, end, req->iova, req->bitmap.data, true);
		}
	}
	pthread_mutex_unlock(&u->lock);
	return ret;
}

static int uffd_info_get(void *state, struct dt_info *info)
{
	struct uffd *u = state;

	pthread_mutex_lock(&u->lock);
	mt_info(&u->t, info);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uffd_iova_ranges(void *state, struct dt_iova_range *ranges, size_t max)
{
	(void)state;
	/* IOVA is only a name here: any aligned value will do, as in the model. */
	if (max)
		ranges[0] = (struct dt_iova_range){.start = 0, .last = UINT64_MAX};
	return 1;
}

const struct dt_backend_ops dt_uffd_backend = {
	.name = "uffd",
	.create = uffd_create,
	.destroy = uffd_destroy,
	.group_attach = uffd_group_attach,
	.group_detach = uffd_group_detach,
	.dma_map = uffd_dma_map,
	.dma_unmap = uffd_dma_unmap,
	.dma_rw = uffd_dma_rw,
	.dirty_pages = uffd_dirty_pages,
	.info_get = uffd_info_get,
	.iova_ranges = uffd_iova_ranges,
};
