// SPDX-License-Identifier: MIT
/*
 * viommu.c - the map/unmap churn of a guest behind a vIOMMU: every step
 * plans the destruction of random mappings of the device (the harness
 * makes them with unmap-with-bitmap: the guest's dirty bits must not be
 * lost with the mapping) and the creation of as many small ones at free
 * places of its IOVA window. The device sits in a group of its own, an
 * IOMMU-backed one unless told otherwise: a vIOMMU guest's assigned device
 * (a NIC or NVMe passthrough), which never pins, so that type1 reports
 * every mapped page dirty, as it would for that guest.
 *
 * A step costs O(nmappings + churn^2): one pass to check the array, one to
 * compact it, one to merge the new mappings in; the new ones are kept in
 * their own small sorted array until then. Only in a crowded window, where
 * random places keep landing on mappings, does each creation also walk the
 * window's gaps (O(nmappings)).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wl.h"

/* A vIOMMU maps what a guest IOMMU page table maps: 4 KiB to 64 KiB here. */
#define VIOMMU_MAX_BYTES (64u << 10)
/* Random places tried before a first-fit walk of the window. */
#define VIOMMU_TRIES 16

struct viommu {
	struct ds_device *dev;
	struct ds_workload_params p;
	struct ds_rand r;
	bool attached;
	struct ds_churn_op *ops; /* planned this step, for the harness */
	size_t nops, ops_cap;
	struct ds_mapping *fresh; /* created this step, sorted */
	size_t nfresh, fresh_cap;
	uint64_t window; /* pages of the IOVA window */
	uint64_t mapped; /* pages mapped in it */
};

/* Check the device's array and count its pages: 0 or -EINVAL. */
static int scan(struct viommu *w)
{
	struct ds_device *dev = w->dev;
	uint64_t end = dev->iova_base, top = dev->iova_base + w->window * dev->pgsize;
	size_t i;

	w->mapped = 0;
	for (i = 0; i < dev->nmappings; i++) {
		const struct ds_mapping *m = &dev->mappings[i];

		if (!m->size || ((m->iova | m->size) & (dev->pgsize - 1)) || m->iova < end ||
		    m->iova > top || m->size > top - m->iova)
			return -EINVAL;
		end = m->iova + m->size;
		w->mapped += m->size / dev->pgsize;
	}
	return 0;
}

/* Room for @fresh new mappings and 2 x @fresh planned calls. */
static int reserve(struct viommu *w, size_t fresh)
{
	struct ds_mapping *f;
	struct ds_churn_op *o;

	if (fresh > w->fresh_cap) {
		f = realloc(w->fresh, fresh * sizeof(*f));
		if (!f)
			return -ENOMEM;
		w->fresh = f;
		w->fresh_cap = fresh;
	}
	if (2 * fresh > w->ops_cap) {
		o = realloc(w->ops, 2 * fresh * sizeof(*o));
		if (!o)
			return -ENOMEM;
		w->ops = o;
		w->ops_cap = 2 * fresh;
	}
	return 0;
}

static void plan(struct viommu *w, bool map, uint64_t iova, uint64_t size)
{
	w->ops[w->nops++] = (struct ds_churn_op){.map = map, .iova = iova, .size = size};
}

/* Plan the destruction of one mapping; its entry is marked dead (size 0). */
static int destroy(struct viommu *w, struct ds_mapping *m)
{
	plan(w, false, m->iova, m->size);
	w->mapped -= m->size / w->dev->pgsize;
	m->size = 0;
	return 0;
}

static int destroy_some(struct viommu *w, uint64_t k)
{
	struct ds_device *dev = w->dev;
	uint64_t i, j;
	int ret;

	for (i = 0; i < k; i++) {
		/* Rejection sampling: k <= n, so at worst n ln n draws in all. */
		do
			j = ds_rand_below(&w->r, dev->nmappings);
		while (!dev->mappings[j].size);
		ret = destroy(w, &dev->mappings[j]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Drop the dead entries, keeping the order. */
static void compact(struct ds_device *dev)
{
	size_t i, n = 0;

	for (i = 0; i < dev->nmappings; i++)
		if (dev->mappings[i].size)
			dev->mappings[n++] = dev->mappings[i];
	dev->nmappings = n;
}

/* The first entry of sorted @m[0..n) that ends after @iova. */
static size_t first_ending_after(const struct ds_mapping *m, size_t n, uint64_t iova)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m[mid].iova + m[mid].size <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool overlaps(const struct ds_mapping *m, size_t n, uint64_t iova, uint64_t size)
{
	size_t i = first_ending_after(m, n, iova);

	return i < n && m[i].iova < iova + size;
}

static bool is_free(const struct viommu *w, uint64_t iova, uint64_t size)
{
	return !overlaps(w->dev->mappings, w->dev->nmappings, iova, size) &&
	       !overlaps(w->fresh, w->nfresh, iova, size);
}

/*
 * Walk the window's gaps in order, between the surviving and the fresh
 * mappings: the first that holds @pages, else the largest (the caller
 * makes sure one page is free). Only reached when random places failed,
 * i.e. in a crowded window.
 */
static int first_fit(const struct viommu *w, uint64_t *pages, uint64_t *iova)
{
	const struct ds_device *dev = w->dev;
	const struct ds_mapping *next;
	uint64_t end = dev->iova_base, top = dev->iova_base + w->window * dev->pgsize, gap;
	uint64_t best = 0, best_iova = 0, want = *pages * dev->pgsize;
	size_t a = 0, f = 0;

	for (;;) {
		next = NULL;
		if (a < dev->nmappings &&
		    (f == w->nfresh || dev->mappings[a].iova < w->fresh[f].iova))
			next = &dev->mappings[a++];
		else if (f < w->nfresh)
			next = &w->fresh[f++];
		gap = (next ? next->iova : top) - end;
		if (gap >= want) {
			*iova = end;
			return 0;
		}
		if (gap > best) {
			best = gap;
			best_iova = end;
		}
		if (!next)
			break;
		end = next->iova + next->size;
	}
	if (!best)
		return -ENOSPC;
	*pages = best / dev->pgsize;
	*iova = best_iova;
	return 0;
}

static int place(struct viommu *w, uint64_t *pages, uint64_t *iova)
{
	const struct ds_device *dev = w->dev;
	uint64_t cand;
	int i;

	for (i = 0; i < VIOMMU_TRIES; i++) {
		cand = dev->iova_base + ds_rand_below(&w->r, w->window - *pages + 1) * dev->pgsize;
		if (is_free(w, cand, *pages * dev->pgsize)) {
			*iova = cand;
			return 0;
		}
	}
	return first_fit(w, pages, iova);
}

static void fresh_insert(struct viommu *w, uint64_t iova, uint64_t size)
{
	size_t i = first_ending_after(w->fresh, w->nfresh, iova);

	memmove(w->fresh + i + 1, w->fresh + i, (w->nfresh - i) * sizeof(*w->fresh));
	w->fresh[i] = (struct ds_mapping){.iova = iova, .size = size};
	w->nfresh++;
}

/* Plan the creation of one mapping; @after more are to be created after it. */
static int create(struct viommu *w, uint64_t after)
{
	struct ds_device *dev = w->dev;
	uint64_t max = VIOMMU_MAX_BYTES / dev->pgsize, pages, room, iova = 0;
	int ret;

	pages = 1 + ds_rand_below(&w->r, max ? max : 1);
	/* Leave a page for each later one: each destroyed mapping freed at least one. */
	room = w->window - w->mapped - after;
	if (pages > room)
		pages = room;
	ret = place(w, &pages, &iova);
	if (ret < 0)
		return ret;
	plan(w, true, iova, pages * dev->pgsize);
	fresh_insert(w, iova, pages * dev->pgsize);
	w->mapped += pages;
	return 0;
}

/*
 * Merge the fresh mappings into the device's array, from the back, in
 * place. The array holds at least @held entries (it held them at the start
 * of the step); a step creates no more than it destroyed, so the realloc
 * is never taken by a step that went as planned.
 */
static int merge(struct viommu *w, size_t held)
{
	struct ds_device *dev = w->dev;
	size_t n = dev->nmappings + w->nfresh, a = dev->nmappings, f = w->nfresh, i;
	struct ds_mapping *m;

	if (held < dev->mappings_cap)
		held = dev->mappings_cap;
	if (n > held) {
		m = realloc(dev->mappings, n * sizeof(*m));
		if (!m)
			return -ENOMEM;
		dev->mappings = m;
		dev->mappings_cap = n;
	}
	for (i = n; f; i--) {
		if (a && dev->mappings[a - 1].iova > w->fresh[f - 1].iova)
			dev->mappings[i - 1] = dev->mappings[--a];
		else
			dev->mappings[i - 1] = w->fresh[--f];
	}
	dev->nmappings = n;
	w->nfresh = 0;
	return 0;
}

static int viommu_step(void *state, unsigned int thread, uint64_t step)
{
	struct viommu *w = state;
	struct ds_device *dev;
	uint64_t k, destroyed, i;
	size_t before;
	int ret, ret2;

	(void)step;
	if (!w || thread)
		return -EINVAL;
	dev = w->dev;
	ret = scan(w);
	if (ret < 0)
		return ret;
	k = w->p.churn < dev->nmappings ? w->p.churn : dev->nmappings;
	w->nops = 0;
	ret = reserve(w, k);
	if (ret < 0)
		return ret;
	before = dev->nmappings;
	ret = destroy_some(w, k);
	/* Whatever failed, the array must say what the container holds. */
	compact(dev);
	destroyed = before - dev->nmappings;
	for (i = 0; i < destroyed && ret == 0; i++)
		ret = create(w, destroyed - 1 - i);
	ret2 = merge(w, before);
	return ret < 0 ? ret : ret2;
}

static size_t viommu_churn(void *state, const struct ds_churn_op **ops)
{
	struct viommu *w = state;

	*ops = w->ops;
	return w->nops;
}

static void viommu_teardown(void *state)
{
	struct viommu *w = state;

	if (!w)
		return;
	if (w->attached)
		dt_group_detach(w->dev->c, w->p.group);
	free(w->ops);
	free(w->fresh);
	free(w);
}

static int viommu_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	struct viommu *w;
	int ret;

	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0 || !dev->mem || !p->threads || !p->churn)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dev = dev;
	w->p = *p;
	w->window = dev->iova_size / dev->pgsize;
	wl_rand_seed(&w->r, p->seed, WL_STREAM_VIOMMU, 0);
	ret = scan(w);
	if (ret < 0)
		goto err;
	if (p->group_kind) {
		ret = dt_group_attach(dev->c, p->group, p->group_kind, 1);
		if (ret < 0)
			goto err;
		w->attached = true;
	}
	*state = w;
	return 0;
err:
	viommu_teardown(w);
	return ret;
}

const struct ds_workload_ops ds_workload_viommu = {
	.name = "viommu",
	.summary = "vIOMMU churn: small mappings unmapped with their bitmap and mapped while tracking",
	.threaded = false,
	.setup = viommu_setup,
	.populate = NULL,
	.step = viommu_step,
	.churn = viommu_churn,
	.teardown = viommu_teardown,
};
