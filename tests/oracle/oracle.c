// SPDX-License-Identifier: MIT
/*
 * oracle.c - the naive model of VFIO type1 dirty tracking (see oracle.h).
 *
 * Everything here is done the slow, plain way on purpose: this file is the
 * reference the engine is compared with, so it must be easy to check by
 * reading. Where the kernel's order of checks is observable (errno
 * precedence), the code follows the table of docs/semantics.md line by line
 * and says which line.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "oracle.h"
#include "oracle_priv.h"

#define ORACLE_PROT_ALL (DT_PROT_READ | DT_PROT_WRITE)
#define ORACLE_INT_MAX_PAGES ((uint64_t)INT_MAX)

/* Bytes of a bitmap for @npages pages: whole 64-bit words. */
static uint64_t bitmap_bytes(uint64_t npages)
{
	uint64_t words = npages / 64;

	if (npages % 64 != 0)
		words++;
	return words * 8;
}

/* The largest bitmap the kernel accepts: the bitmap bytes of INT_MAX pages. */
static uint64_t bitmap_bytes_max(void)
{
	return bitmap_bytes(ORACLE_INT_MAX_PAGES);
}

/*
 * Per-page arrays. A mapping of more than INT_MAX pages exists in the tests
 * only to make START fail, but it may still be pinned, so its pin array (8
 * GiB at 4 KiB pages) must cost nothing until a page is pinned. Anonymous
 * MAP_NORESERVE memory gives that whatever malloc is in use (AddressSanitizer's
 * refuses or commits such sizes); small arrays come from calloc so that the
 * sanitizer still checks their bounds.
 */
#define PAGE_ARRAY_MMAP_BYTES (1ull << 24)

void *oracle_page_array_alloc(uint64_t n, size_t elem)
{
	void *p;

	if (n == 0 || n > SIZE_MAX / elem)
		return NULL;
	if (n * elem < PAGE_ARRAY_MMAP_BYTES)
		return calloc(n, elem);
	p = mmap(NULL, n * elem, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void oracle_page_array_free(void *p, uint64_t n, size_t elem)
{
	if (!p)
		return;
	if (n * elem < PAGE_ARRAY_MMAP_BYTES)
		free(p);
	else
		munmap(p, n * elem);
}

static void mapping_free(struct oracle_mapping *m)
{
	oracle_page_array_free(m->dirty, m->npages, sizeof(*m->dirty));
	oracle_page_array_free(m->pins, m->npages, sizeof(*m->pins));
	m->dirty = NULL;
	m->pins = NULL;
	oracle_hw_mapping_free(m);
}

/* Last byte of a mapping; never wraps, MAP refuses that. */
static uint64_t mapping_last(const struct oracle_mapping *m)
{
	return m->iova + (m->size - 1);
}

static bool mapping_contains(const struct oracle_mapping *m, uint64_t addr)
{
	return addr >= m->iova && addr <= mapping_last(m);
}

static struct oracle_mapping *find_mapping(const struct oracle_container *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++)
		if (mapping_contains(&c->maps[i], addr))
			return &c->maps[i];
	return NULL;
}

static uint64_t page_index(const struct oracle_container *c, const struct oracle_mapping *m,
                           uint64_t addr)
{
	return (addr - m->iova) / c->pgsize;
}

static struct oracle_group *find_group(const struct oracle_container *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

/* In scope when every attached group has pinned-page scope (none attached: yes). */
static bool in_scope(const struct oracle_container *c)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		if (!c->groups[i].scoped)
			return false;
	return true;
}

static bool is_aligned(const struct oracle_container *c, uint64_t x)
{
	return x % c->pgsize == 0;
}

/* Does some mapping lie partly inside [iova, last] and partly outside? */
static bool range_bisects(const struct oracle_container *c, uint64_t iova, uint64_t last)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++) {
		const struct oracle_mapping *m = &c->maps[i];
		bool overlaps = m->iova <= last && iova <= mapping_last(m);
		bool inside = m->iova >= iova && mapping_last(m) <= last;

		if (overlaps && !inside)
			return true;
	}
	return false;
}

static bool range_holds(uint64_t iova, uint64_t last, const struct oracle_mapping *m)
{
	return m->iova >= iova && mapping_last(m) <= last;
}

/* Remove mapping @idx, keeping the others in their order. */
static void remove_mapping(struct oracle_container *c, size_t idx)
{
	mapping_free(&c->maps[idx]);
	memmove(&c->maps[idx], &c->maps[idx + 1], (c->nmaps - idx - 1) * sizeof(c->maps[0]));
	c->nmaps--;
}

/* Index of the lowest set bit: the kernel's __ffs(), for log2 of a page size. */
static unsigned int lowest_bit(uint64_t x)
{
	unsigned int n = 0;

	while (x % 2 == 0 && n < 63) {
		x /= 2;
		n++;
	}
	return n;
}

/*
 * The bitmap size checks shared by GET and UNMAP+GET_DIRTY: non-zero, at
 * least the bitmap bytes of the range's pages counted at the bitmap's own
 * pgsize (size >> log2(pgsize), as the kernel counts before it compares the
 * pgsize with the container's), at most the maximum.
 */
static bool bitmap_size_ok(uint64_t range_size, const struct dt_bitmap *bm)
{
	uint64_t npages;

	if (bm->size == 0 || bm->size > bitmap_bytes_max())
		return false;
	if (bm->pgsize == 0)
		return false;
	npages = range_size >> lowest_bit(bm->pgsize);
	return bm->size >= bitmap_bytes(npages);
}

/* Set bit @bit of the user's bitmap: bit n lives in 64-bit word n / 64. */
static void set_user_bit(uint64_t *data, uint64_t bit)
{
	data[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/*
 * Report one mapping into the user's bitmap at bit offset @first_bit, then
 * clear its dirty pages except the pinned ones, which stay dirty while
 * pinned. Out of scope, the IOMMU may have written any page: all are dirty.
 */
static void harvest_mapping(const struct oracle_container *c, struct oracle_mapping *m,
                            uint64_t *data, uint64_t first_bit)
{
	uint64_t p;

	if (!in_scope(c))
		for (p = 0; p < m->npages; p++)
			m->dirty[p] = 1;
	for (p = 0; p < m->npages; p++)
		if (m->dirty[p])
			set_user_bit(data, first_bit + p);
	for (p = 0; p < m->npages; p++)
		m->dirty[p] = m->pins[p] != 0;
}

int oracle_container_create(const struct dt_container_config *cfg, struct oracle_container **out)
{
	struct oracle_container *c;

	if (!cfg || !out)
		return -EINVAL;
	if (cfg->pgsize < 4096 || (cfg->pgsize & (cfg->pgsize - 1)) != 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pgsize = cfg->pgsize;
	c->dma_limit = cfg->dma_limit;
	c->v2 = cfg->v2;
	if (oracle_modes_configure(c, cfg) != 0) {
		free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

void oracle_container_destroy(struct oracle_container *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nmaps; i++)
		mapping_free(&c->maps[i]);
	free(c->maps);
	free(c->groups);
	oracle_log_free(c);
	free(c);
}

int oracle_group_attach(struct oracle_container *c, uint64_t id, enum dt_group_kind kind,
                        unsigned int devices)
{
	struct oracle_group *groups;

	if (!c)
		return -EINVAL;
	if (kind != DT_GROUP_IOMMU && kind != DT_GROUP_MEDIATED)
		return -EINVAL;
	if (devices < 1)
		return -EINVAL;
	if (find_group(c, id))
		return -EINVAL;
	groups = realloc(c->groups, (c->ngroups + 1) * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	c->groups = groups;
	c->groups[c->ngroups] = (struct oracle_group){
	    .id = id,
	    .kind = kind,
	    .devices = devices,
	    /* a mediated device touches memory only through pin and rw */
	    .scoped = kind == DT_GROUP_MEDIATED,
	};
	c->ngroups++;
	return 0;
}

int oracle_group_detach(struct oracle_container *c, uint64_t id)
{
	struct oracle_group *g;
	size_t i, idx;
	uint64_t p;

	if (!c)
		return -EINVAL;
	g = find_group(c, id);
	if (!g)
		return -ENOENT;
	/* The device may have written anything before it left. */
	if (!g->scoped && c->tracking)
		for (i = 0; i < c->nmaps; i++)
			for (p = 0; p < c->maps[i].npages; p++)
				c->maps[i].dirty[p] = 1;
	idx = (size_t)(g - c->groups);
	memmove(&c->groups[idx], &c->groups[idx + 1],
	        (c->ngroups - idx - 1) * sizeof(c->groups[0]));
	c->ngroups--;
	return 0;
}

int oracle_dma_map(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
                   uint32_t prot)
{
	return oracle_dma_map_io(c, iova, size, vaddr, prot, 0);
}

int oracle_dma_map_io(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t vaddr,
                      uint32_t prot, uint64_t io_pgsize)
{
	struct oracle_mapping m = {0}, *maps;
	uint64_t last;
	size_t i;

	if (!c)
		return -EINVAL;
	/* docs/semantics.md, map: -EINVAL checks first ... */
	if (prot == 0 || (prot & ~ORACLE_PROT_ALL) != 0)
		return -EINVAL;
	if (oracle_io_max(c, io_pgsize, &m.io_max) != 0)
		return -EINVAL;
	if (size == 0)
		return -EINVAL;
	if (!is_aligned(c, iova) || !is_aligned(c, size) || !is_aligned(c, vaddr))
		return -EINVAL;
	if (iova + (size - 1) < iova || vaddr + (size - 1) < vaddr)
		return -EINVAL;
	/* ... then overlap ... */
	last = iova + (size - 1);
	for (i = 0; i < c->nmaps; i++)
		if (c->maps[i].iova <= last && iova <= mapping_last(&c->maps[i]))
			return -EEXIST;
	/* ... then the limit ... */
	if (c->nmaps >= c->dma_limit)
		return -ENOSPC;
	/* ... then the bitmap that tracking needs. */
	m.npages = size / c->pgsize;
	if (c->tracking && m.npages > ORACLE_INT_MAX_PAGES)
		return -EINVAL;

	m.iova = iova;
	m.size = size;
	m.vaddr = vaddr;
	m.prot = prot;
	m.pins = oracle_page_array_alloc(m.npages, sizeof(*m.pins));
	if (!m.pins)
		return -ENOMEM;
	if (c->tracking) {
		m.dirty = oracle_page_array_alloc(m.npages, sizeof(*m.dirty));
		if (!m.dirty) {
			mapping_free(&m);
			return -ENOMEM;
		}
	}
	if (c->hw_tracking && oracle_hw_mapping_track(&m) != 0) {
		mapping_free(&m);
		return -ENOMEM;
	}
	maps = realloc(c->maps, (c->nmaps + 1) * sizeof(*maps));
	if (!maps) {
		mapping_free(&m);
		return -ENOMEM;
	}
	c->maps = maps;
	c->maps[c->nmaps++] = m;
	return 0;
}

int oracle_dma_unmap(struct oracle_container *c, struct dt_dma_unmap *u)
{
	const uint32_t known = DT_UNMAP_GET_DIRTY_BITMAP | DT_UNMAP_ALL | DT_UNMAP_VADDR;
	bool get_dirty, all, bad = false;
	uint64_t last = 0, unmapped = 0;
	size_t i;

	if (!c || !u)
		return -EINVAL;
	/* docs/semantics.md, unmap: argsz and flags ... */
	if (u->argsz < DT_DMA_UNMAP_ARGSZ || (u->flags & ~known) != 0)
		return -EINVAL;
	/* ... in hw mode, no dirty bitmap on unmap (iommufd's compat has none) ... */
	if (c->mode == DT_TRACK_HW && (u->flags & DT_UNMAP_GET_DIRTY_BITMAP))
		return -EOPNOTSUPP;
	get_dirty = u->flags & DT_UNMAP_GET_DIRTY_BITMAP;
	all = u->flags & DT_UNMAP_ALL;
	if (get_dirty && (u->flags & (DT_UNMAP_ALL | DT_UNMAP_VADDR)))
		return -EINVAL;
	/* ... VADDR, which the model does not implement ... */
	if (u->flags & DT_UNMAP_VADDR)
		return -EOPNOTSUPP;
	/* ... then every other -EINVAL, in any order among themselves ... */
	if (get_dirty) {
		if (u->argsz < DT_DMA_UNMAP_BITMAP_ARGSZ)
			bad = true;
		if (!bitmap_size_ok(u->size, &u->bitmap))
			bad = true;
	}
	if (!is_aligned(c, u->iova))
		bad = true;
	if (!all) {
		if (u->size == 0 || !is_aligned(c, u->size))
			bad = true;
		else if (u->iova + (u->size - 1) < u->iova)
			bad = true;
		else if (range_bisects(c, u->iova, u->iova + (u->size - 1)))
			bad = true;
		last = u->iova + (u->size - 1);
	} else if (u->iova != 0 || u->size != 0) {
		bad = true;
	}
	if (get_dirty && (!c->tracking || u->bitmap.pgsize != c->pgsize))
		bad = true;
	if (bad)
		return -EINVAL;
	/* ... and a bad pointer last, before anything changes. */
	if (get_dirty && !u->bitmap.data)
		return -EFAULT;

	i = 0;
	while (i < c->nmaps) {
		struct oracle_mapping *m = &c->maps[i];

		if (!all && !range_holds(u->iova, last, m)) {
			i++;
			continue;
		}
		if (get_dirty)
			harvest_mapping(c, m, u->bitmap.data, (m->iova - u->iova) / c->pgsize);
		/* wraps like the kernel's size_t if mappings cover all 2^64 bytes */
		unmapped += m->size;
		remove_mapping(c, i);
	}
	u->size = unmapped;
	return 0;
}

int oracle_unmap(struct oracle_container *c, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	struct dt_dma_unmap u = {
	    .argsz = DT_DMA_UNMAP_ARGSZ,
	    .iova = iova,
	    .size = size,
	};
	int ret = oracle_dma_unmap(c, &u);

	if (ret == 0 && unmapped)
		*unmapped = u.size;
	return ret;
}

int oracle_unmap_bitmap(struct oracle_container *c, uint64_t iova, uint64_t size,
                        const struct dt_bitmap *bitmap, uint64_t *unmapped)
{
	struct dt_dma_unmap u = {
	    .argsz = DT_DMA_UNMAP_BITMAP_ARGSZ,
	    .flags = DT_UNMAP_GET_DIRTY_BITMAP,
	    .iova = iova,
	    .size = size,
	};
	int ret;

	if (!bitmap)
		return -EINVAL;
	u.bitmap = *bitmap;
	ret = oracle_dma_unmap(c, &u);
	if (ret == 0 && unmapped)
		*unmapped = u.size;
	return ret;
}

/*
 * Step @addr to the next page, or return false when that page would lie past
 * 2^64-1: such addresses do not exist, and the page there is "in no mapping".
 */
static bool next_page(const struct oracle_container *c, uint64_t *addr)
{
	if (*addr > UINT64_MAX - c->pgsize)
		return false;
	*addr += c->pgsize;
	return true;
}

int oracle_pin(struct oracle_container *c, uint64_t group, uint64_t iova, uint64_t npages,
               uint32_t prot)
{
	struct oracle_mapping *m;
	struct oracle_group *g;
	uint64_t i, addr;

	if (!c)
		return -EINVAL;
	/* docs/semantics.md, pin, in its order. */
	g = find_group(c, group);
	if (!g)
		return -ENODEV;
	if (g->devices != 1)
		return -EINVAL;
	if (npages == 0)
		return -EINVAL;
	if (npages > DT_PIN_MAX_PAGES)
		return -E2BIG;
	if (prot == 0 || (prot & ~ORACLE_PROT_ALL) != 0)
		return -EINVAL;
	if (!is_aligned(c, iova))
		return -EINVAL;
	addr = iova;
	for (i = 0; i < npages; i++) {
		if (i > 0 && !next_page(c, &addr))
			return -EINVAL;
		m = find_mapping(c, addr);
		if (!m)
			return -EINVAL;
		if ((m->prot & prot) != prot)
			return -EPERM;
	}
	/* All pages passed: now, and only now, change anything. */
	addr = iova;
	for (i = 0; i < npages; i++) {
		if (i > 0)
			next_page(c, &addr);
		m = find_mapping(c, addr);
		m->pins[page_index(c, m, addr)]++;
		if (c->tracking)
			m->dirty[page_index(c, m, addr)] = 1;
	}
	g->scoped = true;
	return 0;
}

int oracle_unpin(struct oracle_container *c, uint64_t group, uint64_t iova, uint64_t npages)
{
	struct oracle_mapping *m;
	uint64_t i, addr;

	if (!c)
		return -EINVAL;
	/* docs/semantics.md, unpin, in its order. */
	if (!find_group(c, group))
		return -ENODEV;
	if (npages == 0)
		return -EINVAL;
	if (npages > DT_PIN_MAX_PAGES)
		return -E2BIG;
	if (!is_aligned(c, iova))
		return -EINVAL;
	addr = iova;
	for (i = 0; i < npages; i++) {
		if (i > 0 && !next_page(c, &addr))
			return -EINVAL;
		m = find_mapping(c, addr);
		if (!m || m->pins[page_index(c, m, addr)] == 0)
			return -EINVAL;
	}
	addr = iova;
	for (i = 0; i < npages; i++) {
		if (i > 0)
			next_page(c, &addr);
		m = find_mapping(c, addr);
		m->pins[page_index(c, m, addr)]--;
	}
	/* The dirty bit stays: the page is reported once more after its last pin. */
	return 0;
}

int oracle_dma_rw(struct oracle_container *c, uint64_t iova, void *buf, size_t len, bool write)
{
	uint32_t need = write ? DT_PROT_WRITE : DT_PROT_READ;
	struct oracle_mapping *m;
	uint8_t *bytes = buf;
	uint64_t addr, left, room;
	size_t i;

	if (!c)
		return -EINVAL;
	if (!buf && len > 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	/*
	 * Check byte by byte in address order. All bytes of one mapping get
	 * the same answer, so the walk steps a mapping at a time; the answer
	 * is the one of the first failing byte all the same.
	 */
	addr = iova;
	left = len;
	for (;;) {
		m = find_mapping(c, addr);
		if (!m)
			return -EINVAL;
		if (!(m->prot & need))
			return -EPERM;
		room = mapping_last(m) - addr + 1; /* >= 1; 0 only for a 2^64-byte mapping */
		if (left <= room)
			break;
		left -= room;
		if (mapping_last(m) == UINT64_MAX)
			return -EINVAL; /* the next byte would be past 2^64-1 */
		addr += room;
	}
	/* Copy byte by byte into (or out of) the mapping's memory. */
	m = NULL;
	for (i = 0; i < len; i++) {
		uint8_t *mem;

		addr = iova + i;
		if (!m || !mapping_contains(m, addr))
			m = find_mapping(c, addr);
		mem = (uint8_t *)(uintptr_t)(m->vaddr + (addr - m->iova));
		if (write) {
			*mem = bytes[i];
			if (c->tracking)
				m->dirty[page_index(c, m, addr)] = 1;
		} else {
			bytes[i] = *mem;
		}
	}
	return 0;
}

static int dirty_start(struct oracle_container *c)
{
	size_t i, j;
	uint64_t p;

	if (c->tracking)
		return 0;
	for (i = 0; i < c->nmaps; i++)
		if (c->maps[i].npages > ORACLE_INT_MAX_PAGES)
			return -EINVAL;
	for (i = 0; i < c->nmaps; i++) {
		struct oracle_mapping *m = &c->maps[i];

		m->dirty = oracle_page_array_alloc(m->npages, sizeof(*m->dirty));
		if (!m->dirty) {
			/* leave no bitmap behind (a kernel once leaked them) */
			for (j = 0; j < i; j++) {
				oracle_page_array_free(c->maps[j].dirty, c->maps[j].npages, 1);
				c->maps[j].dirty = NULL;
			}
			return -ENOMEM;
		}
		for (p = 0; p < m->npages; p++)
			m->dirty[p] = m->pins[p] != 0;
	}
	c->tracking = true;
	return 0;
}

static void dirty_stop(struct oracle_container *c)
{
	size_t i;

	for (i = 0; i < c->nmaps; i++) {
		oracle_page_array_free(c->maps[i].dirty, c->maps[i].npages, 1);
		c->maps[i].dirty = NULL;
	}
	c->tracking = false;
}

static int dirty_get(struct oracle_container *c, const struct dt_dirty_pages *req)
{
	bool bad = false;
	uint64_t last;
	size_t i;

	/* docs/semantics.md, get: every -EINVAL, in any order among themselves ... */
	if (req->argsz < DT_DIRTY_PAGES_GET_ARGSZ)
		bad = true;
	/* the kernel's "iova + size < iova": a range ending at 2^64 wraps too */
	if (req->iova + req->size < req->iova)
		bad = true;
	if (!bitmap_size_ok(req->size, &req->bitmap))
		bad = true;
	if (req->bitmap.pgsize != c->pgsize)
		bad = true;
	if (!is_aligned(c, req->iova) || !is_aligned(c, req->size) || req->size == 0)
		bad = true;
	if (!c->tracking)
		bad = true;
	if (!bad && range_bisects(c, req->iova, req->iova + (req->size - 1)))
		bad = true;
	if (bad)
		return -EINVAL;
	/* ... then the pointer, whether or not a mapping lies in the range. */
	if (!req->bitmap.data)
		return -EFAULT;

	last = req->iova + (req->size - 1);
	for (i = 0; i < c->nmaps; i++) {
		struct oracle_mapping *m = &c->maps[i];

		if (range_holds(req->iova, last, m))
			harvest_mapping(c, m, req->bitmap.data, (m->iova - req->iova) / c->pgsize);
	}
	return 0;
}

int oracle_dirty_pages(struct oracle_container *c, const struct dt_dirty_pages *req)
{
	const uint32_t known = DT_DIRTY_START | DT_DIRTY_STOP | DT_DIRTY_GET_BITMAP;

	if (!c || !req)
		return -EINVAL;
	/* hw mode: an iommufd HWPT has no type1 DIRTY_PAGES at all */
	if (c->mode == DT_TRACK_HW)
		return -EOPNOTSUPP;
	if (!c->v2)
		return -EACCES;
	if (req->argsz < DT_DIRTY_PAGES_ARGSZ || (req->flags & ~known) != 0)
		return -EINVAL;
	switch (req->flags) {
	case DT_DIRTY_START:
		return dirty_start(c);
	case DT_DIRTY_STOP:
		dirty_stop(c);
		return 0;
	case DT_DIRTY_GET_BITMAP:
		return dirty_get(c, req);
	default:
		return -EINVAL; /* none, or more than one */
	}
}

int oracle_dirty_start(struct oracle_container *c)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ, .flags = DT_DIRTY_START};

	return oracle_dirty_pages(c, &req);
}

int oracle_dirty_stop(struct oracle_container *c)
{
	struct dt_dirty_pages req = {.argsz = DT_DIRTY_PAGES_ARGSZ, .flags = DT_DIRTY_STOP};

	return oracle_dirty_pages(c, &req);
}

int oracle_get_bitmap(struct oracle_container *c, uint64_t iova, uint64_t size,
                      const struct dt_bitmap *bitmap)
{
	struct dt_dirty_pages req = {
	    .argsz = DT_DIRTY_PAGES_GET_ARGSZ,
	    .flags = DT_DIRTY_GET_BITMAP,
	    .iova = iova,
	    .size = size,
	};

	if (!bitmap)
		return -EINVAL;
	req.bitmap = *bitmap;
	return oracle_dirty_pages(c, &req);
}

int oracle_info_get(struct oracle_container *c, struct dt_info *info)
{
	if (!c || !info)
		return -EINVAL;
	/* every byte, padding included (a kernel once leaked 4 bytes of stack) */
	memset(info, 0, sizeof(*info));
	info->pgsize_bitmap = c->pgsize;
	info->dma_avail = c->dma_limit - (uint32_t)c->nmaps;
	info->migration.id = DT_CAP_MIGRATION_ID;
	info->migration.version = DT_CAP_MIGRATION_VERSION;
	info->migration.next = 0;
	info->migration.flags = 0;
	info->migration.pgsize_bitmap = c->pgsize;
	info->migration.max_dirty_bitmap_size = bitmap_bytes_max();
	return 0;
}

uint64_t oracle_pgsize(const struct oracle_container *c)
{
	return c->pgsize;
}

bool oracle_tracking(const struct oracle_container *c)
{
	return c->tracking;
}

bool oracle_v2(const struct oracle_container *c)
{
	return c->v2;
}

size_t oracle_mapping_count(const struct oracle_container *c)
{
	return c->nmaps;
}

void oracle_mapping_at(const struct oracle_container *c, size_t idx,
                       struct oracle_mapping_view *view)
{
	const struct oracle_mapping *m = &c->maps[idx];

	view->iova = m->iova;
	view->size = m->size;
	view->vaddr = m->vaddr;
	view->prot = m->prot;
}

uint32_t oracle_page_pins(const struct oracle_container *c, uint64_t iova)
{
	const struct oracle_mapping *m = find_mapping(c, iova);

	return m ? m->pins[page_index(c, m, iova)] : 0;
}

unsigned int oracle_group_devices(const struct oracle_container *c, uint64_t id)
{
	const struct oracle_group *g = find_group(c, id);

	return g ? g->devices : 0;
}
