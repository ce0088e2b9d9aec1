// SPDX-License-Identifier: MIT
/*
 * model_dirty.c - VFIO_IOMMU_DIRTY_PAGES: START, STOP and GET_BITMAP,
 * checked in the kernel's order.
 */
#include <errno.h>

#include "model.h"

static void untrack_all(struct model *md)
{
	struct model_mapping *m;

	RB_FOREACH(m, model_mapping_tree, &md->mappings)
		md->harvest->untrack(md, m);
}

static int start_locked(struct model *md)
{
	struct model_mapping *m;
	int ret;

	if (md->tracking)
		return 0;
	RB_FOREACH(m, model_mapping_tree, &md->mappings) {
		ret = md->harvest->track(md, m);
		if (ret < 0) {
			/* A kernel once leaked the bitmaps allocated so far here. */
			untrack_all(md);
			return ret;
		}
	}
	/* Markers that see it on see every mapping's dirty state. */
	__atomic_store_n(&md->tracking, true, __ATOMIC_RELEASE);
	return 0;
}

static void stop_locked(struct model *md)
{
	if (!md->tracking)
		return;
	__atomic_store_n(&md->tracking, false, __ATOMIC_RELEASE);
	/* A marker that saw tracking on may still be marking: wait for it. */
	model_index_wait(md);
	untrack_all(md);
}

static int get_locked(struct model *md, const struct dt_dirty_pages *req)
{
	struct model_mapping *m;
	uint64_t last;

	if (req->bitmap.pgsize != md->pgsize)
		return -EINVAL;
	if ((req->iova & (md->pgsize - 1)) || !req->size || (req->size & (md->pgsize - 1)))
		return -EINVAL;
	if (!md->tracking)
		return -EINVAL;
	last = req->iova + req->size - 1;
	if (!model_range_whole(md, req->iova, last))
		return -EINVAL;
	if (!req->bitmap.data) {
		if (!md->efault_on_copy)
			return -EFAULT;
		/* The kernel notices the pointer at the first mapping it reports. */
		m = model_mapping_from(md, req->iova);
		if (!m || m->iova > last)
			return 0;
		model_report_fault(md, m, (m->iova - req->iova) >> md->pgshift);
		return -EFAULT;
	}

	/*
	 * The bisect check above makes every mapping from iova on that starts
	 * at or before last lie wholly inside the range.
	 */
	md->harvest->get(md, req->iova, last, req->bitmap.data);
	return 0;
}

int model_dirty_pages(void *state, const struct dt_dirty_pages *req)
{
	const uint32_t known = DT_DIRTY_START | DT_DIRTY_STOP | DT_DIRTY_GET_BITMAP;
	struct model *md = state;
	int ret = 0;

	/* An iommufd HWPT has no VFIO_IOMMU_DIRTY_PAGES: its tracking is hwdirty.h's. */
	if (md->mode == DT_TRACK_HW)
		return -EOPNOTSUPP;
	if (model_no_iommu(md))
		return -EINVAL;
	if (!md->v2)
		return -EACCES;
	if (req->argsz < DT_DIRTY_PAGES_ARGSZ || (req->flags & ~known))
		return -EINVAL;
	if (__builtin_popcount(req->flags) != 1)
		return -EINVAL;
	if (req->flags & DT_DIRTY_GET_BITMAP) {
		if (req->argsz < DT_DIRTY_PAGES_GET_ARGSZ)
			return -EINVAL;
		/* The end may not wrap: a range ending at 2^64 fails, as in the kernel. */
		if (req->iova + req->size < req->iova)
			return -EINVAL;
		ret = model_bitmap_verify(&req->bitmap, req->size);
		if (ret < 0)
			return ret;
	}

	pthread_mutex_lock(&md->lock);
	if (req->flags & DT_DIRTY_START)
		ret = start_locked(md);
	else if (req->flags & DT_DIRTY_STOP)
		stop_locked(md);
	else
		ret = get_locked(md, req);
	pthread_mutex_unlock(&md->lock);
	return ret;
}
