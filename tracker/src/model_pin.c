// SPDX-License-Identifier: MIT
/*
 * model_pin.c - what a vendor driver does to guest memory: pin pages and
 * DMA_RW. Both are all or nothing: every page (byte) is checked in address
 * order before anything changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* The address of page @i from @iova; false past the top of the address space. */
static bool page_addr(const struct model *md, uint64_t iova, uint64_t i, uint64_t *addr)
{
	uint64_t off;

	return !__builtin_mul_overflow(i, md->pgsize, &off) &&
	       !__builtin_add_overflow(iova, off, addr);
}

static struct model_pin *pin_find(struct model_mapping *m, uint64_t page)
{
	struct model_pin key = {.page = page};

	return RB_FIND(model_pin_tree, &m->pins, &key);
}

/* One page of a pin or unpin request, looked up once. */
struct pin_slot {
	struct model_mapping *m;
	uint64_t page;	    /* index within m */
	struct model_pin *p; /* NULL: not pinned yet */
};

/*
 * Look up every page of a request in address order, checking that each
 * lies in a mapping with @prot (0: any): the first page that fails decides.
 */
static int pins_resolve(struct model *md, uint64_t iova, uint64_t npages, uint32_t prot,
			struct pin_slot *slots)
{
	struct model_mapping *m;
	uint64_t i, addr;

	for (i = 0; i < npages; i++) {
		if (!page_addr(md, iova, i, &addr))
			return -EINVAL;
		m = model_mapping_find(md, addr);
		if (!m)
			return -EINVAL;
		if ((m->prot & prot) != prot)
			return -EPERM;
		slots[i].m = m;
		slots[i].page = (addr - m->iova) >> md->pgshift;
		slots[i].p = pin_find(m, slots[i].page);
	}
	return 0;
}

static int pin_locked(struct model *md, uint64_t group, uint64_t iova, uint64_t npages,
		      uint32_t prot)
{
	struct pin_slot slots[DT_PIN_MAX_PAGES];
	struct model_group *g = model_group_find(md, group);
	struct pin_slot *sl;
	uint64_t i, j;
	int ret;

	if (!g)
		return -ENODEV;
	if (g->devices != 1)
		return -EINVAL;
	if (!npages)
		return -EINVAL;
	if (npages > DT_PIN_MAX_PAGES)
		return -E2BIG;
	if (!prot || (prot & ~(DT_PROT_READ | DT_PROT_WRITE)))
		return -EINVAL;
	if (iova & (md->pgsize - 1))
		return -EINVAL;
	ret = pins_resolve(md, iova, npages, prot, slots);
	if (ret < 0)
		return ret;
	/* Allocate before changing anything, so that -ENOMEM changes nothing. */
	for (i = 0; i < npages; i++) {
		if (slots[i].p)
			continue;
		slots[i].p = calloc(1, sizeof(*slots[i].p));
		if (!slots[i].p) {
			for (j = 0; j < i; j++)
				if (slots[j].p && !slots[j].p->count)
					free(slots[j].p);
			return -ENOMEM;
		}
	}

	for (i = 0; i < npages; i++) {
		sl = &slots[i];
		if (!sl->p->count) {
			sl->p->page = sl->page;
			RB_INSERT(model_pin_tree, &sl->m->pins, sl->p);
			if (md->harvest->pin_changed)
				md->harvest->pin_changed(md, sl->m, sl->page, true);
		}
		sl->p->count++;
		/* A harvest that keeps pins itself (pin_changed) reports them without a mark. */
		if (md->tracking && !md->harvest->pin_changed)
			md->harvest->mark(md, sl->m, sl->page, 1);
	}
	if (!g->scoped) {
		g->scoped = true;
		md->unscoped--;
	}
	return 0;
}

int model_pin(void *state, uint64_t group, uint64_t iova, uint64_t npages, uint32_t prot)
{
	struct model *md = state;
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = pin_locked(md, group, iova, npages, prot);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

static int unpin_locked(struct model *md, uint64_t group, uint64_t iova, uint64_t npages)
{
	struct pin_slot slots[DT_PIN_MAX_PAGES];
	uint64_t i;

	if (!model_group_find(md, group))
		return -ENODEV;
	if (!npages)
		return -EINVAL;
	if (npages > DT_PIN_MAX_PAGES)
		return -E2BIG;
	if (iova & (md->pgsize - 1))
		return -EINVAL;
	if (pins_resolve(md, iova, npages, 0, slots) < 0)
		return -EINVAL;
	for (i = 0; i < npages; i++)
		if (!slots[i].p)
			return -EINVAL;
	/*
	 * The dirty bit stays: a page unpinned after a harvest is reported
	 * once more, then never.
	 */
	for (i = 0; i < npages; i++) {
		if (--slots[i].p->count == 0) {
			RB_REMOVE(model_pin_tree, &slots[i].m->pins, slots[i].p);
			free(slots[i].p);
			if (md->harvest->pin_changed)
				md->harvest->pin_changed(md, slots[i].m, slots[i].page, false);
		}
	}
	return 0;
}

int model_unpin(void *state, uint64_t group, uint64_t iova, uint64_t npages)
{
	struct model *md = state;
	int ret;

	pthread_mutex_lock(&md->lock);
	ret = unpin_locked(md, group, iova, npages);
	pthread_mutex_unlock(&md->lock);
	return ret;
}

/* The mapping that holds @addr: from the RCU index @ix when there is one, else the tree. */
static struct model_mapping *rw_find(struct model *md, const struct model_index *ix, uint64_t addr)
{
	return ix ? model_index_find(ix, addr) : model_mapping_find(md, addr);
}

/* Check that every byte of [iova, iova+len) is mapped with the permission. */
static int rw_check(struct model *md, const struct model_index *ix, uint64_t iova, uint64_t len,
		    uint32_t need)
{
	struct model_mapping *m;
	uint64_t addr = iova, left = len, chunk;

	while (left) {
		if (addr < iova) /* wrapped past the top */
			return -EINVAL;
		m = rw_find(md, ix, addr);
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

/* The pages that @len bytes at offset @off touch. */
static uint64_t rw_pages(const struct model *md, uint64_t off, uint64_t len)
{
#ifndef DT_MUTANT_RW_UNDERCOUNT
	return ((off + len - 1) >> md->pgshift) - (off >> md->pgshift) + 1;
#else
	/* The first kernel version: as many pages as len fills, not as it touches. */
	(void)off;
	return (len + md->pgsize - 1) >> md->pgshift;
#endif
}

/*
 * Under the lock (@ix NULL), or under rcu_read_lock with the index @ix of
 * the concurrent mode, where marks are atomic and tracking is read once.
 */
static int rw_do(struct model *md, const struct model_index *ix, uint64_t iova, uint8_t *buf,
		 uint64_t len, bool write)
{
	struct model_mapping *m;
	uint64_t addr = iova, left = len, chunk, off;
	bool tracking = ix ? __atomic_load_n(&md->tracking, __ATOMIC_ACQUIRE) : md->tracking;
	uint8_t *mem;
	int ret;

	ret = rw_check(md, ix, iova, len, write ? DT_PROT_WRITE : DT_PROT_READ);
	if (ret < 0)
		return ret;
	while (left) {
		m = rw_find(md, ix, addr);
		off = addr - m->iova;
		chunk = m->size - off < left ? m->size - off : left;
		mem = (uint8_t *)(uintptr_t)(m->vaddr + off);
		if (write) {
			memcpy(mem, buf, chunk);
			/* Every page the bytes touch, not len / pgsize of them. */
			if (tracking && ix && m->track)
				md->harvest->mark_atomic(m, off >> md->pgshift, rw_pages(md, off, chunk));
			else if (tracking && !ix)
				md->harvest->mark(md, m, off >> md->pgshift, rw_pages(md, off, chunk));
		} else {
			memcpy(buf, mem, chunk);
		}
		buf += chunk;
		addr += chunk;
		left -= chunk;
	}
	return 0;
}

int model_dma_rw(void *state, uint64_t iova, void *buf, size_t len, bool write)
{
	struct model *md = state;
	int ret;

	if (!len)
		return 0;
	if (!buf)
		return -EINVAL;
	if (md->concurrent) {
		/* No lock: a harvest or a MAP/UNMAP never makes a device wait. */
		ret = rw_do(md, model_index_read(md), iova, buf, len, write);
		model_index_read_done(md);
		return ret;
	}
	pthread_mutex_lock(&md->lock);
	ret = rw_do(md, NULL, iova, buf, len, write);
	pthread_mutex_unlock(&md->lock);
	return ret;
}
