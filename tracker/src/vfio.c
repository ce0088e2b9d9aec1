// SPDX-License-Identifier: MIT
/*
 * vfio.c - the vfio backend: a real VFIO type1 container (<linux/vfio.h>).
 * This file holds the container, its groups and GET_INFO; vfio_dma.c the
 * DMA and dirty-tracking requests. docs/kernel.md says how the container
 * operations map onto the kernel's and where the kernel differs from the
 * model.
 *
 * PIN, UNPIN and DMA_RW are interfaces a vendor driver calls inside the
 * kernel: user space has no way to reach them, so their ops are NULL and
 * answer -EOPNOTSUPP. So do the profiler calls: the kernel's harvest has no
 * phases we could time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "backend.h"
#include "vfio.h"

int vfio_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static void vfio_destroy(void *state)
{
	struct vfio *v = state;
	size_t i;

	if (!v)
		return;
	/* Closing an attached group detaches it; closing the container drops its mappings. */
	for (i = 0; i < v->nslots; i++) {
		if (v->slots[i].fd >= 0)
			close(v->slots[i].fd);
		free(v->slots[i].path);
	}
	free(v->slots);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* Split "a,b,c" into slots; empty names are skipped. */
static int slots_parse(struct vfio *v, const char *list)
{
	const char *p = list, *end;
	size_t n = 1, len;

	for (end = list; *end; end++)
		n += *end == ',';
	v->slots = calloc(n, sizeof(*v->slots));
	if (!v->slots)
		return -ENOMEM;
	while (*p) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len) {
			struct vfio_slot *s = &v->slots[v->nslots];

			s->path = strndup(p, len);
			if (!s->path)
				return -ENOMEM;
			s->fd = -1;
			v->nslots++;
		}
		p += len + (end != NULL);
	}
	return v->nslots ? 0 : -EINVAL;
}

static int vfio_create(const struct dt_container_config *cfg, void **state)
{
	struct vfio *v;
	long page;
	int ret;

	if (cfg->pgsize < 4096 || (cfg->pgsize & (cfg->pgsize - 1)))
		return -EINVAL;
	if (!cfg->device)
		return -EINVAL;
	/* A kernel's bits are the kernel's own: compat modes are the model's. */
	if (cfg->compat && *cfg->compat)
		return -EOPNOTSUPP;
	/*
	 * type1 takes its page size from the IOMMU (the smallest it supports,
	 * 4 KiB on x86) and its mapping limit from the dma_entry_limit module
	 * parameter: a container cannot ask for others. Attach checks the
	 * page size once the IOMMU is known.
	 */
	page = sysconf(_SC_PAGESIZE);
	if (page > 0 && cfg->pgsize != (uint64_t)page)
		return -EOPNOTSUPP;
	if (cfg->dma_limit != DT_DMA_LIMIT_DEFAULT)
		return -EOPNOTSUPP;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->fd = -1;
	if (pthread_mutex_init(&v->lock, NULL)) {
		free(v);
		return -ENOMEM;
	}
	v->pgsize = cfg->pgsize;
	v->v2 = cfg->v2;
	ret = slots_parse(v, cfg->device);
	if (ret < 0)
		goto err;
	v->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		ret = -errno;
		goto err;
	}
	if (ioctl(v->fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		ret = -ENODEV;
		goto err;
	}
	if (ioctl(v->fd, VFIO_CHECK_EXTENSION, v->v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU) <= 0) {
		ret = -EOPNOTSUPP;
		goto err;
	}
	*state = v;
	return 0;
err:
	vfio_destroy(v);
	return ret;
}

static struct vfio_slot *slot_by_id(struct vfio *v, uint64_t id)
{
	size_t i;

	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].fd >= 0 && v->slots[i].id == id)
			return &v->slots[i];
	return NULL;
}

/*
 * VFIO_IOMMU_GET_INFO with its whole capability chain: the first call
 * says how large the chain is. Returns a malloc'd buffer or NULL with
 * *err set.
 */
static struct vfio_iommu_type1_info *info_fetch(struct vfio *v, int *err)
{
	struct vfio_iommu_type1_info head = {.argsz = sizeof(head)}, *info;
	int ret;

	ret = vfio_ioctl(v->fd, VFIO_IOMMU_GET_INFO, &head);
	if (ret < 0) {
		*err = ret;
		return NULL;
	}
	if (head.argsz < sizeof(head))
		head.argsz = sizeof(head);
	info = calloc(1, head.argsz);
	if (!info) {
		*err = -ENOMEM;
		return NULL;
	}
	info->argsz = head.argsz;
	ret = vfio_ioctl(v->fd, VFIO_IOMMU_GET_INFO, info);
	if (ret < 0) {
		free(info);
		*err = ret;
		return NULL;
	}
	return info;
}

/* The capability @id of @info, or NULL. Offsets count from the start of info. */
static const struct vfio_info_cap_header *info_cap(const struct vfio_iommu_type1_info *info,
						    uint16_t id)
{
	const struct vfio_info_cap_header *h;
	uint32_t off, hops = 0;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	/* A chain that loops or leaves the buffer is the kernel's bug, not a crash of ours. */
	for (off = info->cap_offset; off && hops < 64; off = h->next, hops++) {
		if (off < sizeof(*info) || off > info->argsz - sizeof(*h))
			return NULL;
		h = (const struct vfio_info_cap_header *)((const char *)info + off);
		if (h->id == id)
			return h;
	}
	return NULL;
}

/* Is every byte of capability @h inside @info, for a struct of @size bytes? */
static bool cap_fits(const struct vfio_iommu_type1_info *info,
		     const struct vfio_info_cap_header *h, size_t size)
{
	return (size_t)((const char *)h - (const char *)info) + size <= info->argsz;
}

static uint64_t min_pgsize(uint64_t bitmap)
{
	return bitmap ? bitmap & -bitmap : 0;
}

static int attach_locked(struct vfio *v, uint64_t id)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_slot *s = NULL;
	int ret, err = 0;
	size_t i;

	for (i = 0; i < v->nslots && !s; i++)
		if (v->slots[i].fd < 0)
			s = &v->slots[i];
	if (!s)
		return -EOPNOTSUPP;
	s->fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	ret = vfio_ioctl(s->fd, VFIO_GROUP_SET_CONTAINER, &v->fd);
	if (ret < 0)
		goto err_close;
	if (!v->iommu_set) {
		ret = vfio_ioctl(v->fd, VFIO_SET_IOMMU,
				 (void *)(uintptr_t)(v->v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU));
		if (ret < 0)
			goto err_unset;
		info = info_fetch(v, &err);
		if (!info) {
			ret = err;
			goto err_unset;
		}
		/* Bits of another page size would mean nothing to the caller. */
		ret = min_pgsize(info->iova_pgsizes) == v->pgsize ? 0 : -EOPNOTSUPP;
		free(info);
		if (ret < 0)
			goto err_unset;
		v->iommu_set = true;
	}
	s->id = id;
	return 0;
err_unset:
	/* The last group leaving releases the IOMMU that SET_IOMMU may have set. */
	ioctl(s->fd, VFIO_GROUP_UNSET_CONTAINER);
err_close:
	close(s->fd);
	s->fd = -1;
	return ret;
}

static int vfio_group_attach(void *state, uint64_t id, enum dt_group_kind kind,
			     unsigned int devices)
{
	struct vfio *v = state;
	int ret;

	/* The model's checks first, so that both backends answer bad arguments alike. */
	if ((kind != DT_GROUP_IOMMU && kind != DT_GROUP_MEDIATED) || devices == 0)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (slot_by_id(v, id))
		ret = -EINVAL;
	else if (kind == DT_GROUP_MEDIATED)
		ret = -EOPNOTSUPP; /* an mdev group needs a vendor driver in the kernel */
	else
		ret = attach_locked(v, id);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static int vfio_group_detach(void *state, uint64_t id)
{
	struct vfio *v = state;
	struct vfio_slot *s;
	bool any = false;
	size_t i;
	int ret;

	pthread_mutex_lock(&v->lock);
	s = slot_by_id(v, id);
	if (!s) {
		pthread_mutex_unlock(&v->lock);
		return -ENOENT;
	}
	ret = vfio_ioctl(s->fd, VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (ret == 0) {
		close(s->fd);
		s->fd = -1;
		for (i = 0; i < v->nslots; i++)
			any |= v->slots[i].fd >= 0;
		/* The kernel released the IOMMU with the last group: mappings and tracking went too. */
		if (!any)
			v->iommu_set = false;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static int vfio_info_get(void *state, struct dt_info *out)
{
	const struct vfio_iommu_type1_info_cap_migration *mig;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	struct vfio *v = state;
	int err = 0;

	memset(out, 0, sizeof(*out));
	info = info_fetch(v, &err);
	if (!info)
		return err;
	out->pgsize_bitmap = info->iova_pgsizes;
	avail = (const void *)info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (avail && cap_fits(info, &avail->header, sizeof(*avail)))
		out->dma_avail = avail->avail;
	mig = (const void *)info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (mig && cap_fits(info, &mig->header, sizeof(*mig))) {
		/* Field by field: the padding stays zero whatever the kernel left there. */
		out->migration.id = mig->header.id;
		out->migration.version = mig->header.version;
		out->migration.flags = mig->flags;
		out->migration.pgsize_bitmap = mig->pgsize_bitmap;
		out->migration.max_dirty_bitmap_size = mig->max_dirty_bitmap_size;
	}
	free(info);
	return 0;
}

static int vfio_iova_ranges(void *state, struct dt_iova_range *ranges, size_t max)
{
	const struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	struct vfio *v = state;
	uint32_t i, n;
	int err = 0;

	info = info_fetch(v, &err);
	if (!info)
		return err;
	cap = (const void *)info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!cap || !cap_fits(info, &cap->header, sizeof(*cap))) {
		/* A kernel before the capability (4.x): the whole space, as it did not check. */
		free(info);
		if (max)
			ranges[0] = (struct dt_iova_range){.start = 0, .last = UINT64_MAX};
		return 1;
	}
	n = cap->nr_iovas;
	if (!cap_fits(info, &cap->header, sizeof(*cap) + (size_t)n * sizeof(cap->iova_ranges[0])) ||
	    n > INT32_MAX) {
		free(info);
		return -EIO;
	}
	for (i = 0; i < n && i < max; i++)
		ranges[i] = (struct dt_iova_range){.start = cap->iova_ranges[i].start,
						   .last = cap->iova_ranges[i].end};
	free(info);
	return (int)n;
}

const struct dt_backend_ops dt_vfio_backend = {
	.name = "vfio",
	.create = vfio_create,
	.destroy = vfio_destroy,
	.group_attach = vfio_group_attach,
	.group_detach = vfio_group_detach,
	.dma_map = vfio_dma_map,
	.dma_unmap = vfio_dma_unmap,
	.dirty_pages = vfio_dirty_pages,
	.info_get = vfio_info_get,
	.iova_ranges = vfio_iova_ranges,
};
