// SPDX-License-Identifier: MIT
/*
 * iommu.c - a device behind an IOMMU that never pins: it writes guest
 * memory directly, unseen by the tracker, as real hardware does. Its group
 * keeps the container out of pinned-page scope, so every harvest reports
 * every page of every mapping dirty whatever the device wrote.
 */
#include <errno.h>
#include <stdlib.h>

#include "wl.h"

struct iommu_thread {
	_Alignas(64) struct wl_set set;
	struct wl_picker pick;
	uint64_t value; /* what this step writes: never zero, so a test can see it */
};

struct iommu {
	struct ds_device *dev;
	struct ds_workload_params p;
	bool attached;
	struct iommu_thread *t;
};

struct iommu_write {
	struct iommu *w;
	struct iommu_thread *t;
};

static int write_page(void *arg, uint64_t iova)
{
	struct iommu_write *wr = arg;
	struct ds_device *dev = wr->w->dev;
	uint64_t off = ds_rand_below(&wr->t->pick.r, dev->pgsize / 8) * 8;
	uint64_t *word = (uint64_t *)(void *)(dev->mem + (iova - dev->iova_base) + off);

	/*
	 * Two threads may pick the same page: a relaxed atomic store is a plain
	 * mov on x86 and keeps the race defined (and ThreadSanitizer quiet).
	 */
	__atomic_store_n(word, wr->t->value, __ATOMIC_RELAXED);
	return 0;
}

static int iommu_step(void *state, unsigned int thread, uint64_t step)
{
	struct iommu *w = state;
	struct iommu_write wr;
	uint64_t t0 = w && w->p.step_ns ? wl_now_ns() : 0;
	int ret;

	if (!w || thread >= w->p.threads)
		return -EINVAL;
	wr = (struct iommu_write){.w = w, .t = &w->t[thread]};
	ret = wl_set_refresh(&wr.t->set, w->dev, &w->p);
	if (ret < 0)
		return ret;
	wr.t->value = (step + 1) << 16 | (thread + 1);
	/* A page write is a few ns, a clock read ~20: read it every 64 pages. */
	return wl_for_pages(&wr.t->set, &wr.t->pick, &w->p, thread, t0, 64, write_page, &wr);
}

static int iommu_populate(void *state)
{
	struct iommu *w = state;

	return w ? wl_touch(&w->t[0].set, w->dev, &w->p) : -EINVAL;
}

static void iommu_teardown(void *state)
{
	struct iommu *w = state;
	unsigned int i;

	if (!w)
		return;
	/* While tracking, this marks every page dirty: the device may have written any. */
	if (w->attached)
		dt_group_detach(w->dev->c, w->p.group);
	for (i = 0; w->t && i < w->p.threads; i++)
		wl_set_release(&w->t[i].set);
	free(w->t);
	free(w);
}

static int iommu_setup(struct ds_device *dev, const struct ds_workload_params *p, void **state)
{
	struct iommu *w;
	unsigned int i;
	int ret;

	if (!state)
		return -EINVAL;
	*state = NULL;
	if (!p || wl_check_device(dev) < 0 || wl_check_pattern(p) < 0 || !dev->mem)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->dev = dev;
	w->p = *p;
	w->t = wl_alloc_threads(p->threads, sizeof(*w->t));
	if (!w->t) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < p->threads; i++) {
		ret = wl_set_refresh(&w->t[i].set, dev, p);
		if (ret < 0)
			goto err;
		wl_picker_init(&w->t[i].pick, p, WL_STREAM_IOMMU, i, w->t[i].set.pages);
	}
	ret = dt_group_attach(dev->c, p->group, DT_GROUP_IOMMU, 1);
	if (ret < 0)
		goto err;
	w->attached = true;
	*state = w;
	return 0;
err:
	iommu_teardown(w);
	return ret;
}

const struct ds_workload_ops ds_workload_iommu = {
	.name = "iommu",
	.summary = "a device behind an IOMMU writes memory unseen (type1 reports every page)",
	.threaded = true,
	.setup = iommu_setup,
	.populate = iommu_populate,
	.step = iommu_step,
	.teardown = iommu_teardown,
};
