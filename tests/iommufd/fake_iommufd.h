/* SPDX-License-Identifier: MIT */
/*
 * fake_iommufd.h - a fake /dev/iommu and vfio device cdevs for the iommufd
 * backend's tests, where no IOMMU exists. It answers the ioctls the
 * backend makes as the kernel documents them (include/uapi/linux/
 * iommufd.h) and as drivers/iommu/iommufd/ checks them: the argument
 * rules of IOMMU_HWPT_GET_DIRTY_BITMAP (SEMANTICS.md §5), -EINVAL for a
 * range that is not wholly mapped, dirty bits per 4 KiB IO page that a
 * device write sets while tracking and a read clears (unless NO_CLEAR),
 * tracking enabled with its bits cleared. It records every request, so
 * that a test can check what the backend asked. Paths and fds that are not
 * its own go to the real system calls.
 */
#ifndef DT_FAKE_IOMMUFD_H
#define DT_FAKE_IOMMUFD_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd.h"

#define FAKE_IOMMU_PATH "/fake/iommu"
#define FAKE_DEV_PATH "/fake/vfio" /* /fake/vfio0 .. /fake/vfio7 */
#define FAKE_IOMMU_FD 1000
#define FAKE_DEV_FD 2000
#define FAKE_IOAS 3
#define FAKE_HWPT 5
#define FAKE_IOPAGE 4096ull
#define FAKE_MAX_AREAS 512
#define FAKE_MAX_REQS 4096

struct fake_area {
	uint64_t iova, length;
	uint32_t flags;
};

struct fake_req {
	unsigned long nr;
	union {
		struct dt_iommu_ioas_map map;
		struct dt_iommu_ioas_unmap unmap;
		struct dt_iommu_hwpt_alloc alloc;
		struct dt_iommu_hwpt_set_dirty_tracking track;
		struct dt_iommu_hwpt_get_dirty_bitmap get;
		struct dt_vfio_device_bind_iommufd bind;
		struct dt_vfio_device_attach_iommufd_pt attach;
		struct dt_iommu_destroy destroy;
	} u;
};

struct fake_iommufd {
	bool ioas, hwpt, tracking;
	bool no_dirty_tracking; /* an IOMMU without dirty bits: HWPT_ALLOC -EOPNOTSUPP */
	bool open_devs[8], bound[8];
	struct fake_area areas[FAKE_MAX_AREAS];
	size_t nareas;
	/* Dirty IO pages from base, one byte each. */
	uint64_t base;
	size_t npages;
	uint8_t *dirty;
	struct fake_req reqs[FAKE_MAX_REQS];
	size_t nreqs;
};

static inline struct fake_area *fake_area_of(struct fake_iommufd *k, uint64_t a)
{
	size_t i;

	for (i = 0; i < k->nareas; i++)
		if (a >= k->areas[i].iova && a - k->areas[i].iova < k->areas[i].length)
			return &k->areas[i];
	return NULL;
}

/* A device writes [iova, iova+len): while tracking, the IOMMU marks each IO page dirty. */
static inline int fake_device_write(struct fake_iommufd *k, uint64_t iova, uint64_t len)
{
	uint64_t a;

	for (a = iova & ~(FAKE_IOPAGE - 1); a < iova + len; a += FAKE_IOPAGE) {
		struct fake_area *ar = fake_area_of(k, a);

		if (!ar || !(ar->flags & DT_IOMMU_IOAS_MAP_WRITEABLE))
			return -EFAULT; /* an IOMMU fault: not this test's business */
		if (k->tracking && a >= k->base && (a - k->base) / FAKE_IOPAGE < k->npages)
			k->dirty[(a - k->base) / FAKE_IOPAGE] = 1;
	}
	return 0;
}

static inline int fake_get(struct fake_iommufd *k, struct dt_iommu_hwpt_get_dirty_bitmap *r)
{
	uint8_t *data = (uint8_t *)(uintptr_t)r->data;
	uint64_t a, p, last, bit;
	int ret = iommufd_dirty_req_check(r);

	if (ret < 0)
		return ret;
	if (!k->hwpt || r->hwpt_id != FAKE_HWPT)
		return -ENOENT;
	if ((r->iova | r->length) & (FAKE_IOPAGE - 1))
		return -EINVAL;
	last = r->iova + r->length - 1;
	/* The kernel walks contiguous areas and refuses a hole (iopt_area_contig_done). */
	for (a = r->iova; a <= last && a >= r->iova; a += FAKE_IOPAGE)
		if (!fake_area_of(k, a))
			return -EINVAL;
	/* Intel's read_and_clear_dirty refuses a domain that is not tracking. */
	if (!k->tracking)
		return -EINVAL;
	for (a = r->iova; a <= last && a >= r->iova; a += FAKE_IOPAGE) {
		if (a < k->base || (a - k->base) / FAKE_IOPAGE >= k->npages)
			continue;
		p = (a - k->base) / FAKE_IOPAGE;
		if (!k->dirty[p])
			continue;
		/* Bits are only set, in place, at (a - iova) / page_size. */
		bit = (a - r->iova) / r->page_size;
		data[bit / 8] |= (uint8_t)(1u << (bit % 8));
		if (!(r->flags & DT_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
			k->dirty[p] = 0;
	}
	return 0;
}

static inline int fake_map(struct fake_iommufd *k, struct dt_iommu_ioas_map *r)
{
	uint64_t a;

	if (r->size < sizeof(*r) || r->ioas_id != FAKE_IOAS || r->reserved)
		return -EINVAL;
	if (!(r->flags & DT_IOMMU_IOAS_MAP_FIXED_IOVA) || !r->length || !r->user_va)
		return -EINVAL;
	for (a = r->iova; a < r->iova + r->length; a += FAKE_IOPAGE)
		if (fake_area_of(k, a))
			return -EEXIST;
	if (k->nareas == FAKE_MAX_AREAS)
		return -ENOMEM;
	k->areas[k->nareas++] = (struct fake_area){r->iova, r->length, r->flags};
	return 0;
}

static inline int fake_unmap(struct fake_iommufd *k, struct dt_iommu_ioas_unmap *r)
{
	uint64_t last = r->iova + r->length - 1, done = 0;
	size_t i;

	if (r->ioas_id != FAKE_IOAS)
		return -ENOENT;
	/* Areas may not be split. */
	for (i = 0; i < k->nareas; i++) {
		struct fake_area *ar = &k->areas[i];
		uint64_t al = ar->iova + ar->length - 1;

		if (ar->iova <= last && al >= r->iova && (ar->iova < r->iova || al > last))
			return -EINVAL;
	}
	for (i = 0; i < k->nareas;) {
		struct fake_area *ar = &k->areas[i];

		if (ar->iova >= r->iova && ar->iova + ar->length - 1 <= last) {
			uint64_t a;

			/* The IO page-table entries go, and their dirty bits with them. */
			for (a = ar->iova; a < ar->iova + ar->length; a += FAKE_IOPAGE)
				if (a >= k->base && (a - k->base) / FAKE_IOPAGE < k->npages)
					k->dirty[(a - k->base) / FAKE_IOPAGE] = 0;
			done += ar->length;
			*ar = k->areas[--k->nareas];
		} else {
			i++;
		}
	}
	if (!done)
		return -ENOENT;
	r->length = done;
	return 0;
}

static inline int fake_ioctl_iommu(struct fake_iommufd *k, unsigned long nr, void *arg)
{
	switch (nr) {
	case DT_IOMMU_IOAS_ALLOC: {
		struct dt_iommu_ioas_alloc *r = arg;

		if (k->ioas)
			return -ENOSPC; /* one is all the backend needs */
		k->ioas = true;
		r->out_ioas_id = FAKE_IOAS;
		return 0;
	}
	case DT_IOMMU_IOAS_MAP:
		return fake_map(k, arg);
	case DT_IOMMU_IOAS_UNMAP:
		return fake_unmap(k, arg);
	case DT_IOMMU_HWPT_ALLOC: {
		struct dt_iommu_hwpt_alloc *r = arg;

		if (r->dev_id < 100 || r->dev_id > 107 || !k->bound[r->dev_id - 100])
			return -ENOENT;
		if (r->pt_id != FAKE_IOAS || r->data_type || r->data_len || r->reserved)
			return -EINVAL;
		if ((r->flags & DT_IOMMU_HWPT_ALLOC_DIRTY_TRACKING) && k->no_dirty_tracking)
			return -EOPNOTSUPP;
		if (k->hwpt)
			return -ENOSPC;
		k->hwpt = true;
		r->out_hwpt_id = FAKE_HWPT;
		return 0;
	}
	case DT_IOMMU_HWPT_SET_DIRTY_TRACKING: {
		struct dt_iommu_hwpt_set_dirty_tracking *r = arg;

		if (!k->hwpt || r->hwpt_id != FAKE_HWPT)
			return -ENOENT;
		if (r->flags & ~DT_IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
			return -EOPNOTSUPP;
		/* Turning it on clears the bits (iopt_set_dirty_tracking). */
		if (r->flags && !k->tracking)
			memset(k->dirty, 0, k->npages);
		k->tracking = r->flags != 0;
		return 0;
	}
	case DT_IOMMU_HWPT_GET_DIRTY_BITMAP:
		return fake_get(k, arg);
	case DT_IOMMU_DESTROY: {
		struct dt_iommu_destroy *r = arg;

		if (r->id != FAKE_HWPT || !k->hwpt)
			return -ENOENT;
		k->hwpt = k->tracking = false;
		return 0;
	}
	case DT_IOMMU_IOAS_IOVA_RANGES: {
		static const struct dt_iommu_iova_range two[2] = {
			{0, 0xfedfffffull},
			{0xfef00000ull, (1ull << 48) - 1},
		};
		struct dt_iommu_ioas_iova_ranges *r = arg;
		uint32_t i;

		for (i = 0; i < 2 && i < r->num_iovas; i++)
			((struct dt_iommu_iova_range *)(uintptr_t)r->allowed_iovas)[i] = two[i];
		i = r->num_iovas;
		r->num_iovas = 2;
		return i < 2 ? -EMSGSIZE : 0;
	}
	default:
		return -ENOTTY;
	}
}

static inline int fake_sys_ioctl(void *ctx, int fd, unsigned long nr, void *arg)
{
	struct fake_iommufd *k = ctx;
	struct fake_req *q = k->nreqs < FAKE_MAX_REQS ? &k->reqs[k->nreqs] : NULL;
	size_t n;
	int ret;

	if (fd != FAKE_IOMMU_FD && (fd < FAKE_DEV_FD || fd >= FAKE_DEV_FD + 8))
		return ioctl(fd, nr, arg) < 0 ? -errno : 0;
	/* Every request starts with its own size (argsz for vfio): copy that much. */
	n = *(const uint32_t *)arg < sizeof(q->u) ? *(const uint32_t *)arg : sizeof(q->u);
	if (q) {
		q->nr = nr;
		memset(&q->u, 0, sizeof(q->u));
		memcpy(&q->u, arg, n);
		k->nreqs++;
	}
	if (fd == FAKE_IOMMU_FD)
		ret = fake_ioctl_iommu(k, nr, arg);
	else if (nr == DT_VFIO_DEVICE_BIND_IOMMUFD) {
		struct dt_vfio_device_bind_iommufd *r = arg;

		if (r->argsz < sizeof(*r) || r->iommufd != FAKE_IOMMU_FD || r->flags)
			ret = -EINVAL;
		else if (k->bound[fd - FAKE_DEV_FD])
			ret = -EBUSY;
		else
			ret = 0;
		if (ret < 0)
			return ret;
		k->bound[fd - FAKE_DEV_FD] = true;
		r->out_devid = 100 + (uint32_t)(fd - FAKE_DEV_FD);
	} else if (nr == DT_VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
		struct dt_vfio_device_attach_iommufd_pt *r = arg;

		ret = !k->bound[fd - FAKE_DEV_FD] ? -EINVAL
		      : r->pt_id != FAKE_HWPT || !k->hwpt ? -ENOENT
							  : 0;
	} else {
		ret = -ENOTTY;
	}
	/* What the kernel wrote back, for the test to see. */
	if (q && ret == 0)
		memcpy(&q->u, arg, n);
	return ret;
}

static inline int fake_sys_open(void *ctx, const char *path, int flags)
{
	struct fake_iommufd *k = ctx;
	int fd, n;

	if (!strcmp(path, FAKE_IOMMU_PATH))
		return FAKE_IOMMU_FD;
	if (!strncmp(path, FAKE_DEV_PATH, strlen(FAKE_DEV_PATH))) {
		n = atoi(path + strlen(FAKE_DEV_PATH));
		if (n < 0 || n > 7)
			return -ENOENT;
		if (k->open_devs[n])
			return -EBUSY; /* a cdev is opened once */
		k->open_devs[n] = true;
		return FAKE_DEV_FD + n;
	}
	fd = open(path, flags);
	return fd < 0 ? -errno : fd;
}

static inline void fake_sys_close(void *ctx, int fd)
{
	struct fake_iommufd *k = ctx;

	if (fd >= FAKE_DEV_FD && fd < FAKE_DEV_FD + 8) {
		k->open_devs[fd - FAKE_DEV_FD] = false;
		k->bound[fd - FAKE_DEV_FD] = false;
	} else if (fd == FAKE_IOMMU_FD) {
		/* Everything the iommufd held goes with it. */
		k->ioas = k->hwpt = k->tracking = false;
		k->nareas = 0;
		memset(k->dirty, 0, k->npages);
	} else {
		close(fd);
	}
}

static inline void fake_init(struct fake_iommufd *k, struct iommufd_sys *sys, uint64_t base,
			     size_t npages)
{
	memset(k, 0, sizeof(*k));
	k->base = base;
	k->npages = npages;
	k->dirty = calloc(npages, 1);
	if (!k->dirty)
		exit(1);
	*sys = (struct iommufd_sys){
		.open = fake_sys_open,
		.ioctl = fake_sys_ioctl,
		.close = fake_sys_close,
		.ctx = k,
	};
}

static inline void fake_fini(struct fake_iommufd *k)
{
	free(k->dirty);
	k->dirty = NULL;
}

#endif
